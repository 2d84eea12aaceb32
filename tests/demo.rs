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
        "Plan: 11 to delete, 2 already absent.",
        "Verified: 11 customers are gone.",
        "Apply complete: 11 deleted, 2 already absent, 0 failed.",
        "Plan: 0 to delete, 13 already absent.",
        "is intact",
        "4 GET, 1 DELETE",
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
    let _ = std::fs::remove_dir_all(folder);
    bcprune()
        .arg("demo")
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("demo"));
}
