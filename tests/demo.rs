//! Integration test: `bcprune demo`, the README's first command.

use predicates::str::contains;

use crate::support::bcprune;

#[test]
fn demo_runs_plan_apply_and_replan_against_the_embedded_store() {
    let output = bcprune()
        .arg("demo")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    for expected in [
        // 11 customers, and the 6 newsletter subscriptions the same people hold (PRODUCT §7).
        "newsletter subscriptions the same people hold",
        "Plan: 17 to delete, 1 to redact, 1 retained, 2 already absent.",
        "newsletter subscription of customer 101",
        // Customer 101's orders (PRODUCT §15): one redacted, one retained.
        "redact ",
        "until 2032-12-31 (AO 147, HGB 257)",
        "Verified: 11 customers and 6 subscribers are gone.",
        "Verified: 1 order redacted",
        "Apply complete: 17 deleted (11 customers and 6 subscribers), 1 order redacted, 2 already absent, 0 failed.",
        "Plan: 0 to delete, 0 to redact, 1 retained, 20 already absent.",
        "redacted (recorded)",
        "is intact",
        // Plan: 1 customer + 1 subscriber GET and the orders' discovery (a page, then the empty page
        // that ends a V2 listing); apply: list again, one
        // customer DELETE, 6 subscriber DELETEs, one order's redaction (its PUT and its one shipping
        // address's, nothing read again: the saved plan's re-check read the order and its address),
        // verify; the re-plan reads only the retained order (PRODUCT §9, §11, §15; issue 19.8).
        "16 GET, 7 DELETE, 2 PUT",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // The folder it names holds the state and the audit log, and nothing personal.
    let folder = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Working folder: "))
        .expect("working folder line");
    let state = std::path::Path::new(folder).join("customers/bcprune.state.json");
    let text = std::fs::read_to_string(&state).expect("state file");
    assert!(!text.contains('@'));
    // The manifests it wrote cite nothing a user of the demo lacks: no contract section, no `$schema`
    // path into a repository checkout.
    for entry in std::fs::read_dir(std::path::Path::new(folder).join("customers")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).expect("manifest");
            for cited in ["$schema", "PRODUCT", "§"] {
                assert!(
                    !text.contains(cited),
                    "{cited} in {}:\n{text}",
                    path.display()
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(folder);
    bcprune()
        .arg("demo")
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("demo"));
}
