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
        "Plan: 17 to delete, 2 already absent.",
        "newsletter subscription of customer 101",
        "Verified: 11 customers and 6 subscribers are gone.",
        "Apply complete: 17 deleted (11 customers and 6 subscribers), 2 already absent, 0 failed.",
        "Plan: 0 to delete, 19 already absent.",
        "is intact",
        // Plan: 1 customer + 1 subscriber GET; apply: list 2, one customer DELETE, 6 subscriber
        // DELETEs, verify 2; the re-plan sends nothing: the state records every ID as deleted or
        // found absent by the apply (PRODUCT §9, §11).
        "6 GET, 7 DELETE",
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
