//! Integration tests: `apply` against the fake store — approval, guards, saved plans, batches, records.

use std::collections::BTreeSet;

use bcprune::Resource;
use bcprune::apply::{self, Approval, Interrupt, Outcome, PlanSource, Quiet, Request};
use bcprune::exit::Exit;
use bcprune::sim::{READ_ONLY_TOKEN, SimConfig};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::memory::{DeleteFault, MemoryStore};
use crate::support::*;

#[test]
fn apply_deletes_exactly_the_plan_records_it_and_replans_to_nothing() {
    let sim = store(100);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[10, 20, 30, 500], ""));
    let output = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains("Verified: 3 customers are gone."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete: 3 deleted, 1 already absent, 0 failed."),
        "{stdout}"
    );
    let ids = sim.customer_ids();
    assert_eq!(ids.len(), 97);
    assert!(![10, 20, 30].iter().any(|id| ids.contains(id)));
    assert_eq!(deletes(&sim), vec![vec![10, 20, 30]]);

    let state = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(state["serial"].as_u64().map(|s| s > 0), Some(true));
    assert_eq!(state["store_hash"], "demo42");
    assert_eq!(
        state_deleted(&ws.path().join("bcprune.state.json")),
        vec![(10, true), (20, true), (30, true)]
    );
    assert_eq!(state["deleted"][0]["reason"], "request 10");
    let text = std::fs::read_to_string(ws.path().join("bcprune.state.json")).expect("state");
    assert!(!text.contains('@'), "no emails in the state");

    assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(0)
        .stdout(contains("Plan: 0 to delete, 4 already absent."));
}

#[test]
fn only_the_literal_yes_approves() {
    for (answer, approved) in [
        ("yes\n", true),
        ("no\n", false),
        ("y\n", false),
        ("YES\n", false),
        ("", false),
    ] {
        let sim = store(20);
        let ws = Workspace::new();
        let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
        let output = bcprune_at(&sim)
            .arg("apply")
            .arg(&manifest)
            .write_stdin(answer)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("Delete 2 customers from store demo42? There is no undo."),
            "{stderr}"
        );
        assert!(
            stderr.contains("  Enter a value: \n"),
            "piped input is not echoed, so the prompt's line is ended: {stderr}"
        );
        if approved {
            assert_eq!(output.status.code(), Some(0), "{answer:?}: {output:?}");
            assert_eq!(deletes(&sim).len(), 1);
        } else {
            assert_eq!(output.status.code(), Some(3), "{answer:?}: {output:?}");
            assert!(
                deletes(&sim).is_empty(),
                "{answer:?}: no DELETE when declined"
            );
            assert!(!ws.path().join("bcprune.state.json").exists());
            assert!(
                !ws.path().join("bcprune.audit.jsonl").exists(),
                "{answer:?}: a declined first apply leaves no empty audit log"
            );
        }
    }
}

#[test]
fn max_deletes_refuses_before_any_delete() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], "max_deletes: 2\n"));
    apply_auto(&sim, &manifest, &[])
        .code(3)
        .stderr(contains("allows at most 2"));
    assert!(deletes(&sim).is_empty());
    assert!(!ws.path().join("bcprune.audit.jsonl").exists());
    // The command-line override is the reviewed escape hatch.
    apply_auto(&sim, &manifest, &["--max-deletes", "3"]).success();
    assert_eq!(deletes(&sim), vec![vec![1, 2, 3]]);
}

#[test]
fn max_deletes_zero_allows_nothing() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], "max_deletes: 0\n"));
    apply_auto(&sim, &manifest, &[]).code(3);
    assert!(deletes(&sim).is_empty());
}

#[test]
fn batches_respect_batch_size_and_are_never_empty() {
    let sim = store(700);
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=600).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    apply_auto(&sim, &manifest, &["--batch-size", "100"]).success();
    let batches = deletes(&sim);
    assert_eq!(batches.len(), 6);
    assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= 100));
    let sent: BTreeSet<u32> = batches.into_iter().flatten().collect();
    assert_eq!(sent, ids.iter().copied().collect());
    assert_eq!(sim.customer_ids(), (601..=700).collect());
}

#[test]
fn a_saved_plan_is_applied_without_a_prompt() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 300], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success()
        .stdout(contains(
            "Apply complete: 2 deleted, 1 already absent, 0 failed.",
        ));
    assert_eq!(deletes(&sim), vec![vec![1, 2]]);
}

#[test]
fn a_saved_plan_goes_stale_when_the_manifest_changes() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("the manifest changed since the plan"));
    assert!(deletes(&sim).is_empty());
}

#[test]
fn a_first_plan_goes_stale_when_a_state_appears() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    // Another apply runs first (with its own state file now present).
    apply_auto(&sim, &manifest, &[]).success();
    let before = deletes(&sim).len();
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("the state file changed since the plan"));
    assert_eq!(deletes(&sim).len(), before);
}

#[test]
fn a_saved_plan_goes_stale_when_a_planned_customer_is_modified() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    sim.touch(2);
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("customer 2 was modified since the plan"));
    assert!(deletes(&sim).is_empty());
}

#[test]
fn customers_that_vanished_since_the_plan_are_skipped_not_replaced() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    sim.remove(2);
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success()
        .stderr(contains("no longer exist: customer 2."));
    assert_eq!(deletes(&sim), vec![vec![1, 3]]);
    let log = std::fs::read_to_string(ws.path().join("bcprune.audit.jsonl")).expect("audit log");
    let skipped = log
        .lines()
        .find(|line| line.contains("\"event\":\"skipped\""))
        .expect("a skipped line");
    assert!(skipped.contains("\"ids\":[2]"), "{skipped}");
}

#[test]
fn a_read_only_token_stops_with_the_apis_message_and_deletes_nothing() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    bcprune_at(&sim)
        .env("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(contains("the run stopped"))
        .stdout(contains("HTTP 403"))
        .stdout(contains("You don't have a required scope"));
    assert_eq!(sim.customer_ids().len(), 20);
}

/// PRODUCT §17: a batch refused for one reason is one message naming its IDs as ranges, not one line per
/// ID, and the progress line does not count it as done.
#[test]
fn a_refused_batch_is_one_message_naming_its_ids_and_is_not_counted_as_done() {
    let sim = store(400);
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=300).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let output = bcprune_at(&sim)
        .env("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .args(["apply", "--auto-approve", "--parallelism", "1"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Failed:"))
        .collect();
    assert_eq!(failed.len(), 1, "{stdout}");
    assert!(
        failed[0].starts_with("Failed: 250 customers (1-250): ")
            && failed[0].contains("You don't have a required scope"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Not attempted: 50 customers (customers 251-300)."),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("You don't have a required scope").count()
            + stderr.matches("You don't have a required scope").count(),
        1,
        "the API's message once: {stdout}{stderr}"
    );
    assert!(!stderr.contains("Deleting: 250/300"), "{stderr}");
    assert_eq!(sim.customer_ids().len(), 400);
}

#[test]
fn a_held_lock_refuses_and_names_the_holder() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let state = ws.path().join("bcprune.state.json");
    let _held =
        bcprune::state::Lock::acquire(&state, "test-run", "test-host").expect("take the lock");
    apply_auto(&sim, &manifest, &[])
        .code(3)
        .stderr(contains(format!("{}", std::process::id())));
    assert!(deletes(&sim).is_empty());
}

#[test]
fn protected_ids_in_a_saved_plan_are_refused() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    // Someone protects 2 afterwards: the manifest changed, so the plan is stale and refused.
    ws.write("m.yaml", manifest_yaml(&[1], "protect: [2]\n"));
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .arg(&manifest)
        .assert()
        .code(3);
    assert!(deletes(&sim).is_empty());
}

#[test]
fn the_apply_uses_the_manifest_given_instead_of_the_recorded_path() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("a/m.yaml", manifest_yaml(&[1], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    // A CI job applying in another checkout: same manifest content, another path.
    let copy = ws.write("b/m.yaml", manifest_yaml(&[1], ""));
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .arg(&copy)
        .assert()
        .success();
    assert!(ws.path().join("b/bcprune.state.json").exists());
    assert_eq!(deletes(&sim), vec![vec![1]]);
}

#[test]
fn a_store_whose_delete_answers_204_without_deleting_is_caught() {
    let sim = store(20);
    sim.faults().lying_deletes(true);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    // One line for the one cause, naming both IDs (PRODUCT §17).
    apply_auto(&sim, &manifest, &[]).code(4).stdout(contains(
        "Failed: 2 customers (1, 2): the API accepted the DELETE but the customer is still listed",
    ));
    let state = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(
        state["deleted"],
        serde_json::json!([]),
        "no claim of a deletion"
    );
}

#[test]
fn a_failed_verification_records_unverified_deletions_and_exits_4() {
    let sim = store(20);
    sim.faults().fail_gets_after_delete(Some(500));
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    apply_auto(&sim, &manifest, &[])
        .code(4)
        .stdout(contains("Not verified: 2 customers"));
    assert_eq!(
        state_deleted(&ws.path().join("bcprune.state.json")),
        vec![(1, false), (2, false)]
    );
    // The next run confirms them.
    sim.faults().fail_gets_after_delete(None);
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("2 confirmed"));
    let state = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(state["deleted"][1]["verified"], true);
}

#[test]
fn a_tampered_audit_log_fails_verify_and_blocks_apply() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    apply_auto(&sim, &manifest, &[]).success();
    let log = ws.path().join("bcprune.audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    std::fs::write(&log, text.replacen("[1,2]", "[1,3]", 1)).expect("tamper");
    bcprune()
        .args(["audit", "verify", "--log"])
        .arg(&log)
        .assert()
        .code(1)
        .stderr(contains(":1:").or(contains(":2:")));
    let manifest2 = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    apply_auto(&sim, &manifest2, &[]).code(1);
    assert_eq!(deletes(&sim).len(), 1, "no DELETE on top of a tampered log");
}

#[test]
fn max_ids_per_delete_cap_splits_batches() {
    let sim = store_with(
        SimConfig::default()
            .customers(50)
            .unlimited()
            .max_ids_per_delete(10, 413),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=40).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    apply_auto(&sim, &manifest, &[])
        .success()
        .stdout(contains("40 deleted"));
    assert_eq!(sim.customer_ids(), (41..=50).collect());
    assert!(deletes(&sim).iter().all(|b| !b.is_empty()));
}

#[test]
fn a_413_on_a_one_id_delete_blames_the_record_not_the_batch_size_and_the_rest_go_on() {
    // The store refuses every DELETE as too large, even of one ID: splitting reaches single IDs, and
    // then no --batch-size can help; each is its own failure, and the other IDs are still tried.
    let sim = store_with(
        SimConfig::default()
            .customers(10)
            .unlimited()
            .max_ids_per_delete(0, 413),
    );
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    let output = apply_auto(&sim, &manifest, &[])
        .code(1)
        .get_output()
        .clone();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    for id in [1, 2, 3] {
        assert!(
            stdout.contains(&format!(
                "Failed: customer {id}: DELETE /stores/demo42/v3/customers?id:in={id} returned HTTP 413"
            )),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("too large even alone: no --batch-size can help"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("use a smaller --batch-size")
            && !stderr.contains("use a smaller --batch-size"),
        "{stdout}{stderr}"
    );
    assert_eq!(deletes(&sim).iter().filter(|b| b.len() == 1).count(), 3);
}

#[test]
fn refused_ids_are_isolated_and_the_rest_deleted() {
    let sim = store_with(
        SimConfig::default()
            .customers(50)
            .unlimited()
            .reject_delete_ids([7, 33]),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=40).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    apply_auto(&sim, &manifest, &[])
        .code(4)
        .stdout(contains(
            "Failed: 2 customers (7, 33): HTTP 422: Unauthorized to delete",
        ))
        .stdout(contains("38 deleted"));
    let left = sim.customer_ids();
    assert!(left.contains(&7) && left.contains(&33));
    assert_eq!(left.len(), 12);
}

/// An apply request over `manifest` with state and audit log in `dir`, auto-approved.
pub(crate) fn request(
    dir: &std::path::Path,
    manifest: bcprune::manifest::Manifest,
    batch_size: usize,
    parallelism: usize,
) -> Request {
    Request {
        manifest,
        store_hash: "demo42".into(),
        state_path: dir.join("bcprune.state.json"),
        audit_path: dir.join("bcprune.audit.jsonl"),
        batch_size,
        parallelism,
        max_deletes: None,
        auto_approve: true,
        full: false,
        run_id: uuid_like(),
        host: "test-host".into(),
        actor: "tester".into(),
    }
}

/// A plan made at apply time, as `bcprune apply` without `--plan` or `--refresh-all` makes it.
const FRESH: PlanSource = PlanSource::Fresh { refresh_all: false };

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("run-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A temporary folder, in memory when the machine has one (thousands of fsyncs per test).
fn fast_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("temp dir")
}

/// Drive `apply::run` against the fake store over HTTP, as the CLI does.
fn plan_and_apply(
    sim: &bcprune::sim::SimServer,
    manifest_ids: &[u32],
    batch_size: usize,
    parallelism: usize,
) -> (BTreeSet<u32>, bcprune::apply::Executed) {
    use bcprune::api::{Client, ClientConfig, Token};
    let ws = Workspace::new();
    let path = ws.write("m.yaml", manifest_yaml(manifest_ids, ""));
    let manifest = bcprune::manifest::load(&path).expect("valid manifest");
    let client = Client::new(ClientConfig {
        parallelism,
        ..ClientConfig::new(
            sim.base_url(),
            "demo42",
            Token::new(bcprune::sim::READ_WRITE_TOKEN.to_string()),
        )
    })
    .expect("client");
    let request = request(ws.path(), manifest, batch_size, parallelism);
    let outcome = runtime().block_on(apply::run(
        &request,
        &FRESH,
        &client,
        &Quiet,
        &Approval::Approved,
        &Interrupt::default(),
    ));
    match outcome {
        Outcome::Applied(applied) => {
            let approved = deletes(sim).into_iter().flatten().collect();
            (approved, applied.report)
        }
        Outcome::NoChanges => (BTreeSet::new(), Default::default()),
        other => panic!("unexpected outcome {other:?}"),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 24, ..Default::default() })]

    /// Over HTTP, whatever the manifest and the store: every DELETE is non-empty, within the batch size,
    /// and carries only IDs of the approved plan; the store loses exactly those; re-planning finds nothing.
    #[test]
    fn no_delete_ever_leaves_the_approved_plan(
        store_size in 0u32..150,
        removed in proptest::collection::btree_set(1u32..150, 0..50),
        manifest_ids in proptest::collection::btree_set(1u32..220, 1..90),
        batch_size in 1usize..40,
        parallelism in 1usize..4,
    ) {
        let sim = store(store_size);
        for id in &removed {
            sim.remove(*id);
        }
        let before = sim.customer_ids();
        let ids: Vec<u32> = manifest_ids.into_iter().collect();
        let (approved, report) = plan_and_apply(&sim, &ids, batch_size, parallelism);

        let expected: BTreeSet<u32> = ids.iter().copied().filter(|id| before.contains(id)).collect();
        proptest::prop_assert_eq!(&approved, &expected);
        for batch in deletes(&sim) {
            proptest::prop_assert!(!batch.is_empty() && batch.len() <= batch_size);
            proptest::prop_assert!(batch.iter().all(|id| approved.contains(id)), "{:?}", batch);
        }
        let after = sim.customer_ids();
        proptest::prop_assert_eq!(after, before.difference(&approved).copied().collect::<BTreeSet<_>>());
        proptest::prop_assert_eq!(report.verified.iter().map(|t| t.id).collect::<BTreeSet<_>>(), approved);
        proptest::prop_assert!(report.failed.is_empty());

        let (again, _) = plan_and_apply(&sim, &ids, batch_size, parallelism);
        proptest::prop_assert!(again.is_empty(), "re-plan after apply has nothing to do");
    }
}

/// `apply::run` in memory, retried (bounded) while its state lock or audit-log lock is refused: another
/// test thread of this process forking a child (`Command::spawn`) shares our open lock files, and so
/// their OS locks, until the child's exec closes them (a few milliseconds on a loaded machine).
pub(crate) fn run_unlocked(
    runtime: &tokio::runtime::Runtime,
    request: &Request,
    source: &PlanSource,
    store: &MemoryStore,
) -> Outcome {
    for _ in 0..200 {
        let outcome = runtime.block_on(apply::run(
            request,
            source,
            store,
            &Quiet,
            &Approval::Approved,
            &Interrupt::default(),
        ));
        let busy = matches!(
            outcome,
            Outcome::Refused(bcprune::apply::Refusal::Lock(_))
                | Outcome::Error(bcprune::apply::RunError::Audit(
                    bcprune::audit::AuditError::Busy { .. }
                ))
        );
        if !busy {
            return outcome;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the locks stayed taken for a second");
}

pub(crate) fn fault() -> impl proptest::strategy::Strategy<Value = DeleteFault> {
    use proptest::prelude::*;
    prop_oneof![
        6 => Just(DeleteFault::None),
        1 => Just(DeleteFault::TooLarge),
        1 => Just(DeleteFault::Refused),
        1 => Just(DeleteFault::NotDone),
        1 => Just(DeleteFault::UnknownBefore),
        3 => Just(DeleteFault::UnknownAfter),
        1 => Just(DeleteFault::Lie),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 1000, ..Default::default() })]

    /// `apply::run` itself, in memory, over random manifests, stores, batch sizes, parallelism and
    /// faults — most of them *after* the store acted (an unknown outcome) — and three applies each:
    /// no DELETE outside the approved set or empty or over the batch size; the state never claims
    /// more than the store deleted; exit 1 only when the run provably deleted nothing; and after the
    /// last apply the store lost exactly the approved records and the state lists exactly them.
    #[test]
    fn apply_run_records_exactly_what_the_store_did(
        store_ids in proptest::collection::btree_set(1u32..120, 0..80),
        manifest_ids in proptest::collection::btree_set(1u32..150, 1..50),
        store_subscribers in proptest::collection::btree_set(1u32..60, 0..30),
        manifest_subscribers in proptest::collection::btree_set(1u32..80, 0..20),
        first in proptest::collection::vec(fault(), 0..10),
        second in proptest::collection::vec(fault(), 0..10),
        verify_fails in proptest::bool::weighted(0.3),
        rejected in proptest::collection::btree_set(1u32..150, 0..3),
        max_ids in proptest::option::of(1usize..20),
        batch_size in 1usize..30,
        parallelism in 1usize..4,
    ) {
        let dir = fast_dir();
        let path = dir.path().join("m.yaml");
        let ids: Vec<u32> = manifest_ids.iter().copied().collect();
        let subs: Vec<u32> = manifest_subscribers.iter().copied().collect();
        std::fs::write(&path, mixed_manifest_yaml(&ids, &subs)).expect("manifest");
        let manifest = bcprune::manifest::load(&path).expect("valid manifest");
        let store = MemoryStore::new(store_ids.iter().copied());
        store.insert(Resource::Subscriber, store_subscribers.iter().copied());
        store.reject(rejected.iter().copied());
        if let Some(max) = max_ids {
            store.max_ids_per_delete(max);
        }
        let approved: BTreeSet<u32> = manifest_ids.intersection(&store_ids).copied().collect();
        let approved_subs: BTreeSet<u32> =
            manifest_subscribers.intersection(&store_subscribers).copied().collect();
        // `reject` refuses an ID of either resource.
        let expected_gone: BTreeSet<u32> = approved.difference(&rejected).copied().collect();
        let expected_subs: BTreeSet<u32> = approved_subs.difference(&rejected).copied().collect();
        let runtime = runtime();
        let state_path = dir.path().join("bcprune.state.json");
        for (round, faults) in [first, second, Vec::new()].into_iter().enumerate() {
            let before = (store.deleted(Resource::Customer), store.deleted(Resource::Subscriber));
            store.script_deletes(faults);
            store.script_lists(if round == 0 { vec![false, false, verify_fails] } else { vec![] });
            let sent_before = store.deletes().len();
            let request = request(dir.path(), manifest.clone(), batch_size, parallelism);
            let outcome = run_unlocked(&runtime, &request, &FRESH, &store);
            for (resource, batch) in &store.deletes()[sent_before..] {
                proptest::prop_assert!(!batch.is_empty(), "{:?}", batch);
                match resource {
                    Resource::Customer => {
                        proptest::prop_assert!(batch.len() <= batch_size, "{:?}", batch);
                        proptest::prop_assert!(batch.iter().all(|id| approved.contains(id)), "{:?}", batch);
                    }
                    Resource::Subscriber => {
                        proptest::prop_assert_eq!(batch.len(), 1, "one subscriber per DELETE");
                        proptest::prop_assert!(approved_subs.contains(&batch[0]), "{:?}", batch);
                    }
                    Resource::Order => proptest::prop_assert!(false, "no order in this manifest: {:?}", batch),
                }
            }
            let deleted_now = (store.deleted(Resource::Customer), store.deleted(Resource::Subscriber));
            let (all, verified) = recorded_as(&state_path);
            proptest::prop_assert!(verified.0.is_subset(&deleted_now.0), "round {}: verified {:?} not all deleted", round, verified);
            proptest::prop_assert!(verified.1.is_subset(&deleted_now.1), "round {}: verified subscribers {:?} not all deleted", round, verified);
            if outcome.exit() == Exit::Error {
                proptest::prop_assert_eq!(&deleted_now, &before, "round {}: exit 1 but the store deleted", round);
            }
            if round == 2 {
                proptest::prop_assert_eq!(&deleted_now.0, &expected_gone, "final outcome {:?}", outcome);
                proptest::prop_assert_eq!(&deleted_now.1, &expected_subs, "final outcome {:?}", outcome);
                proptest::prop_assert_eq!(&all, &deleted_now, "the final state lists exactly the store's deletions");
                proptest::prop_assert_eq!(&verified, &all);
                proptest::prop_assert_eq!(
                    store.ids(Resource::Customer),
                    store_ids.difference(&expected_gone).copied().collect::<BTreeSet<_>>()
                );
                proptest::prop_assert_eq!(
                    store.ids(Resource::Subscriber),
                    store_subscribers.difference(&expected_subs).copied().collect::<BTreeSet<_>>()
                );
            }
        }
    }

    /// Incremental plans (PRODUCT §11) over random state records — verified, unverified, found absent,
    /// some of them wrong (the record "reappeared") — never over-delete: every DELETE names an approved
    /// manifest record that exists, and only IDs the state does not settle are listed. They may
    /// under-delete a reappeared record, which `--refresh-all` then deletes.
    #[test]
    fn an_incremental_apply_never_deletes_what_a_full_one_would_not(
        store_ids in proptest::collection::btree_set(1u32..60, 0..40),
        manifest_ids in proptest::collection::btree_set(1u32..80, 1..40),
        store_subscribers in proptest::collection::btree_set(1u32..40, 0..20),
        manifest_subscribers in proptest::collection::btree_set(1u32..50, 0..15),
        records in proptest::collection::vec((proptest::bool::ANY, 1u32..80, 0u8..3), 0..40),
    ) {
        let dir = fast_dir();
        let path = dir.path().join("m.yaml");
        let ids: Vec<u32> = manifest_ids.iter().copied().collect();
        let subs: Vec<u32> = manifest_subscribers.iter().copied().collect();
        std::fs::write(&path, mixed_manifest_yaml(&ids, &subs)).expect("manifest");
        let manifest = bcprune::manifest::load(&path).expect("valid manifest");
        let state_path = dir.path().join("bcprune.state.json");
        let mut state = bcprune::state::State::new("demo42", &manifest.sha256);
        let now = jiff::Timestamp::now();
        for (subscriber, id, kind) in &records {
            let resource = if *subscriber { Resource::Subscriber } else { Resource::Customer };
            match kind {
                0 => { state.record_deleted_as(resource, *id, now, "old", None, true); }
                1 => { state.record_deleted_as(resource, *id, now, "old", None, false); }
                _ => state.record_absent(resource, *id, now, "old"),
            }
        }
        state.save(&state_path).expect("state");
        let store = MemoryStore::new(store_ids.iter().copied());
        store.insert(Resource::Subscriber, store_subscribers.iter().copied());
        let runtime = runtime();
        let incremental = request(dir.path(), manifest.clone(), 250, 2);
        let _ = run_unlocked(&runtime, &incremental, &FRESH, &store);
        let full_c: BTreeSet<u32> = manifest_ids.intersection(&store_ids).copied().collect();
        let full_s: BTreeSet<u32> = manifest_subscribers.intersection(&store_subscribers).copied().collect();
        for (resource, batch) in store.deletes() {
            let allowed = if resource == Resource::Customer { &full_c } else { &full_s };
            proptest::prop_assert!(batch.iter().all(|id| allowed.contains(id)), "{:?} {:?}", resource, batch);
        }
        // A full refresh deletes exactly what a full listing finds, whatever the state said.
        let full = request(dir.path(), manifest, 250, 2);
        let _ = run_unlocked(&runtime, &full, &PlanSource::Fresh { refresh_all: true }, &store);
        proptest::prop_assert_eq!(store.deleted(Resource::Customer), full_c);
        proptest::prop_assert_eq!(store.deleted(Resource::Subscriber), full_s);
    }
}

/// A manifest of customer and subscriber IDs (each with a reason).
fn mixed_manifest_yaml(customers: &[u32], subscribers: &[u32]) -> String {
    let mut text = manifest_yaml(customers, "");
    if !subscribers.is_empty() {
        text.push_str("absent_subscribers:\n");
        for id in subscribers {
            text.push_str(&format!(
                "  - id: {id}\n    reason: \"subscription {id}\"\n"
            ));
        }
    }
    text
}

/// (customers, subscribers) the state file records as deleted: (all, verified).
type Recorded = (
    (BTreeSet<u32>, BTreeSet<u32>),
    (BTreeSet<u32>, BTreeSet<u32>),
);

fn recorded_as(path: &std::path::Path) -> Recorded {
    let Some(state) = bcprune::state::State::load(path).expect("the state is always valid") else {
        return Default::default();
    };
    let of = |resource: Resource, verified_only: bool| -> BTreeSet<u32> {
        state
            .deleted
            .iter()
            .filter(|r| r.resource == resource && (r.verified || !verified_only))
            .map(|r| r.id)
            .collect()
    };
    (
        (
            of(Resource::Customer, false),
            of(Resource::Subscriber, false),
        ),
        (of(Resource::Customer, true), of(Resource::Subscriber, true)),
    )
}

#[test]
fn a_saved_plan_names_its_store_and_api_host() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    // No --store-hash, no BIGCOMMERCE_STORE_HASH, none in the manifest: the plan's store is the target.
    bcprune_at(&sim)
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success();
    assert_eq!(deletes(&sim), vec![vec![1]]);

    // A plan made against one API is never applied against another.
    let other = store(20);
    let plan = save_plan(&other, &ws, &ws.write("n.yaml", manifest_yaml(&[2], "")));
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("the saved plan was made against the API at"));
    assert!(deletes(&sim).len() == 1 && deletes(&other).is_empty());
}

/// Records what the view hears, and interrupts the run once `stop_after` IDs have an outcome.
#[derive(Default)]
struct Recording {
    progress: std::cell::RefCell<Vec<(usize, usize)>>,
    finished: std::cell::Cell<Option<(usize, usize)>>,
    interrupt: Interrupt,
    stop_after: usize,
}

impl bcprune::apply::View for Recording {
    fn progress(&self, done: usize, total: usize) {
        self.progress.borrow_mut().push((done, total));
        if done >= self.stop_after {
            self.interrupt.trigger();
        }
    }
    fn progress_finished(&self, done: usize, total: usize) {
        self.finished.set(Some((done, total)));
    }
}

#[test]
fn an_interrupted_apply_reports_progress_where_the_deletions_stopped() {
    let dir = fast_dir();
    let path = dir.path().join("m.yaml");
    let ids: Vec<u32> = (1..=100).collect();
    std::fs::write(&path, manifest_yaml(&ids, "")).expect("manifest");
    let manifest = bcprune::manifest::load(&path).expect("valid manifest");
    let store = MemoryStore::new(1..=100);
    let view = Recording {
        stop_after: 20,
        ..Recording::default()
    };
    let request = request(dir.path(), manifest, 10, 1);
    let outcome = runtime().block_on(apply::run(
        &request,
        &FRESH,
        &store,
        &view,
        &Approval::Approved,
        &view.interrupt,
    ));
    assert_eq!(outcome.exit(), Exit::Interrupted);
    let Outcome::Applied(applied) = outcome else {
        panic!("deletions started");
    };
    let settled = applied.report.deleted_count() + applied.report.failed.len();
    assert_eq!(
        settled, 20,
        "one batch in flight at a time, stopped after 20"
    );
    assert_eq!(view.finished.get(), Some((20, 100)), "not 100/100");
    assert!(view.progress.borrow().iter().all(|(done, _)| *done <= 20));
    assert_eq!(store.deleted(Resource::Customer).len(), 20);
}

#[test]
fn plan_applies_the_guards_apply_would_refuse_on() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], "max_deletes: 2\n"));
    let plan = ws.path().join("plan.json");
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode", "--out"])
        .arg(&plan)
        .arg(&manifest)
        .assert()
        .code(3)
        .stdout(contains("Plan: 3 to delete, 0 already absent."))
        .stderr(contains("apply would refuse this plan"))
        .stderr(contains("allows at most 2"));
    assert!(!plan.exists(), "a plan apply would refuse is not saved");
    bcprune_at(&sim)
        .args(["plan", "--max-deletes", "3", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2);
    assert!(deletes(&sim).is_empty());
}

#[test]
fn a_delete_that_acts_then_answers_500_is_settled_by_listing_again() {
    let sim = store(20);
    sim.faults().fail_after_delete(Some(500));
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    apply_auto(&sim, &manifest, &["--batch-size", "2"])
        .code(0)
        .stdout(contains("Verified: 3 customers are gone."))
        .stderr(contains("leaves it unknown whether they were deleted"));
    assert_eq!(
        state_deleted(&ws.path().join("bcprune.state.json")),
        vec![(1, true), (2, true), (3, true)]
    );
}

/// The first attempt deleted and got a 500; the retry was refused. The refusal says nothing about
/// the first attempt: the outcome is unknown and settled by listing, never "nothing was deleted".
#[test]
fn a_delete_that_acts_then_is_refused_on_retry_is_settled_by_listing_again() {
    for (resource, refusal) in [("customers", 422), ("customers", 403), ("subscribers", 422)] {
        let sim = people(20, 20);
        sim.faults().act_then_refuse(500, refusal);
        let ws = Workspace::new();
        let yaml = if resource == "customers" {
            manifest_yaml(&[1, 2, 3], "")
        } else {
            "version: 1\nabsent: []\nabsent_subscribers:\n  - 1\n".to_string()
        };
        let manifest = ws.write("m.yaml", yaml);
        let gone = if resource == "customers" {
            "Verified: 3 customers are gone."
        } else {
            "Verified: 1 subscriber is gone."
        };
        apply_auto(&sim, &manifest, &[])
            .code(0)
            .stdout(contains(gone));
        let expected = if resource == "customers" {
            vec![(1, true), (2, true), (3, true)]
        } else {
            vec![(1, true)]
        };
        assert_eq!(
            state_deleted(&ws.path().join("bcprune.state.json")),
            expected,
            "{resource} after a {refusal}"
        );
        assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));
    }
}

#[test]
fn an_unknown_outcome_that_cannot_be_listed_stays_open_for_the_next_run() {
    let sim = store(20);
    sim.faults().fail_after_delete(Some(500));
    sim.faults().fail_gets_after_delete(Some(503));
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    let state = ws.path().join("bcprune.state.json");
    apply_auto(&sim, &manifest, &[]).code(4).stdout(contains(
        "Outcome unknown: 3 customers (customers 1-3) may have been deleted",
    ));
    assert_eq!(sim.customer_ids().len(), 17, "the store did delete them");
    let before = if state.exists() {
        state_deleted(&state)
    } else {
        Vec::new()
    };
    assert!(before.is_empty(), "nothing claimed: {before:?}");
    sim.faults().clear();
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("Reconciled an earlier run: 3 deletions recorded"));
    assert_eq!(state_deleted(&state), vec![(1, true), (2, true), (3, true)]);
    assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));
}

/// A store whose DELETE, once carried out, leaves a directory where the state file goes, so the
/// state cannot be saved until the test removes it.
struct StateBreaksAfterDelete<'a> {
    inner: &'a MemoryStore,
    state: std::path::PathBuf,
}

impl bcprune::apply::store::Store for StateBreaksAfterDelete<'_> {
    type ListError = bcprune::api::ApiError;

    fn api_host(&self) -> String {
        bcprune::apply::store::Store::api_host(self.inner)
    }

    fn requests_sent(&self) -> u64 {
        bcprune::apply::store::Store::requests_sent(self.inner)
    }

    async fn list(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> Result<bcprune::api::Live, bcprune::api::ApiError> {
        bcprune::apply::store::Store::list(self.inner, resource, ids).await
    }

    async fn orders_of(
        &self,
        customers: &[u32],
    ) -> Result<bcprune::api::Live, bcprune::api::ApiError> {
        bcprune::apply::store::Store::orders_of(self.inner, customers).await
    }

    async fn carry_out(
        &self,
        resource: Resource,
        ids: &[u32],
        read: &bcprune::api::Live,
    ) -> Result<(), bcprune::store::DeleteError> {
        let result = bcprune::apply::store::Store::carry_out(self.inner, resource, ids, read).await;
        std::fs::create_dir(&self.state).expect("a directory where the state goes");
        result
    }
}

#[test]
fn an_unknown_outcome_listed_gone_whose_state_save_fails_stays_open_for_the_next_run() {
    let dir = fast_dir();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, mixed_manifest_yaml(&[1], &[])).expect("manifest");
    let manifest = bcprune::manifest::load(&path).expect("valid manifest");
    let store = MemoryStore::new([1, 2]);
    store.script_deletes([DeleteFault::UnknownAfter]);
    let request = request(dir.path(), manifest, 10, 1);
    let breaking = StateBreaksAfterDelete {
        inner: &store,
        state: request.state_path.clone(),
    };
    let runtime = runtime();
    let outcome = runtime.block_on(apply::run(
        &request,
        &FRESH,
        &breaking,
        &Quiet,
        &Approval::Approved,
        &Interrupt::default(),
    ));
    assert_eq!(outcome.exit(), Exit::Partial, "{outcome:?}");
    assert_eq!(store.deleted(Resource::Customer), BTreeSet::from([1]));
    // The verification found customer 1 gone, but the state recording it could not be saved: the
    // intent must stay open, or no later run ever records this deletion.
    std::fs::remove_dir(&request.state_path).expect("remove the directory");
    let open = bcprune::audit::unfinished_intents(&request.audit_path).expect("audit log");
    assert_eq!(open.len(), 1, "the DELETE's intent stays open: {open:?}");
    let again = run_unlocked(&runtime, &request, &FRESH, &store);
    assert_eq!(again.exit(), Exit::Success, "{again:?}");
    assert_eq!(
        recorded_as(&request.state_path),
        (
            (BTreeSet::from([1]), BTreeSet::new()),
            (BTreeSet::from([1]), BTreeSet::new())
        ),
        "the next run records the deletion the store did"
    );
}

/// A store that, when it is asked to list again after a DELETE (the verification), moves the state file
/// aside and leaves a directory in its place: the save after verification fails, while the file as it
/// was (the deletions recorded `verified: false`) is kept to be put back.
struct StateBreaksAtVerify<'a> {
    inner: &'a MemoryStore,
    state: std::path::PathBuf,
    deleted: std::sync::atomic::AtomicBool,
    kept: std::sync::Mutex<Option<Vec<u8>>>,
}

impl bcprune::apply::store::Store for StateBreaksAtVerify<'_> {
    type ListError = bcprune::api::ApiError;

    fn api_host(&self) -> String {
        bcprune::apply::store::Store::api_host(self.inner)
    }

    fn requests_sent(&self) -> u64 {
        bcprune::apply::store::Store::requests_sent(self.inner)
    }

    async fn list(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> Result<bcprune::api::Live, bcprune::api::ApiError> {
        {
            let mut kept = self.kept.lock().expect("lock");
            if self.deleted.load(std::sync::atomic::Ordering::SeqCst) && kept.is_none() {
                *kept = Some(std::fs::read(&self.state).expect("the state saved after the DELETE"));
                std::fs::remove_file(&self.state).expect("move the state aside");
                std::fs::create_dir(&self.state).expect("a directory where the state goes");
            }
        }
        bcprune::apply::store::Store::list(self.inner, resource, ids).await
    }

    async fn orders_of(
        &self,
        customers: &[u32],
    ) -> Result<bcprune::api::Live, bcprune::api::ApiError> {
        bcprune::apply::store::Store::orders_of(self.inner, customers).await
    }

    async fn carry_out(
        &self,
        resource: Resource,
        ids: &[u32],
        read: &bcprune::api::Live,
    ) -> Result<(), bcprune::store::DeleteError> {
        self.deleted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        bcprune::apply::store::Store::carry_out(self.inner, resource, ids, read).await
    }
}

fn applied(outcome: &Outcome) -> &apply::Applied {
    match outcome {
        Outcome::Applied(applied) => applied,
        other => panic!("deletions were attempted: {other:?}"),
    }
}

#[test]
fn after_a_failed_save_no_count_claims_what_the_state_does_not_record() {
    // The save after verification fails: the state holds the deletions unverified, so the run must not
    // call them verified.
    let dir = fast_dir();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, mixed_manifest_yaml(&[1, 2, 3], &[])).expect("manifest");
    let manifest = bcprune::manifest::load(&path).expect("valid manifest");
    let store = MemoryStore::new([1, 2, 3, 4]);
    let req = request(dir.path(), manifest, 10, 1);
    let breaking = StateBreaksAtVerify {
        inner: &store,
        state: req.state_path.clone(),
        deleted: Default::default(),
        kept: Default::default(),
    };
    let outcome = runtime().block_on(apply::run(
        &req,
        &FRESH,
        &breaking,
        &Quiet,
        &Approval::Approved,
        &Interrupt::default(),
    ));
    assert_eq!(outcome.exit(), Exit::Partial, "{outcome:?}");
    std::fs::remove_dir(&req.state_path).expect("remove the directory");
    let kept = breaking.kept.lock().expect("lock").take().expect("kept");
    std::fs::write(&req.state_path, kept).expect("put the state back");
    let ((recorded, _), (verified, _)) = recorded_as(&req.state_path);
    assert_eq!(recorded, BTreeSet::from([1, 2, 3]));
    assert_eq!(verified, BTreeSet::new(), "the state holds them unverified");
    let report = &applied(&outcome).report;
    assert_eq!(report.verified, [], "{report:?}");
    let unverified: BTreeSet<u32> = report.unverified.iter().map(|t| t.id).collect();
    assert_eq!(unverified, recorded, "{report:?}");
    assert!(report.state_not_saved.is_some(), "{report:?}");

    // The state cannot be saved at all (from the first DELETE on): nothing is recorded, nothing is
    // called verified or unverified, and all three are said to be unrecorded.
    let dir = fast_dir();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, mixed_manifest_yaml(&[1, 2, 3], &[])).expect("manifest");
    let manifest = bcprune::manifest::load(&path).expect("valid manifest");
    let store = MemoryStore::new([1, 2, 3, 4]);
    let req = request(dir.path(), manifest, 10, 1);
    let breaking = StateBreaksAfterDelete {
        inner: &store,
        state: req.state_path.clone(),
    };
    let outcome = runtime().block_on(apply::run(
        &req,
        &FRESH,
        &breaking,
        &Quiet,
        &Approval::Approved,
        &Interrupt::default(),
    ));
    assert_eq!(outcome.exit(), Exit::Partial, "{outcome:?}");
    let report = &applied(&outcome).report;
    assert_eq!(
        (report.verified.len(), report.unverified.len()),
        (0, 0),
        "{report:?}"
    );
    assert_eq!(report.unrecorded.len(), 3, "{report:?}");
    assert_eq!(report.deleted_count(), 3, "the store did delete them");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(150))]

    /// PRODUCT §14: a saved plan is a proposal, not evidence. Whatever edits are made to a saved plan
    /// (a change marked `recorded`, a deletion turned into a recorded absence, `reappeared` flipped),
    /// `apply --plan` never records anything on its say-so: every record it adds is a deletion the
    /// store carried out or an absence a listing showed; a `recorded` claim the state and log do not
    /// prove is refused as stale; and an unedited plan is applied.
    #[test]
    fn an_edited_saved_plan_never_gets_anything_recorded_on_its_say_so(
        store_ids in proptest::collection::btree_set(1u32..40, 0..30),
        manifest_ids in proptest::collection::btree_set(1u32..50, 1..25),
        first in proptest::collection::btree_set(1u32..50, 0..10),
        back in proptest::collection::btree_set(1u32..50, 0..5),
        edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), 0u8..4), 0..5),
    ) {
        use bcprune::apply::Store as _;
        use bcprune::plan::{Action, SavedPlan, StateRef};
        let dir = fast_dir();
        let runtime = runtime();
        let store = MemoryStore::new(store_ids.iter().copied());
        let state_path = dir.path().join("bcprune.state.json");
        // An earlier apply (so the state holds proven records), then some of them are back.
        let first: Vec<u32> = first.into_iter().collect();
        if !first.is_empty() {
            let path = dir.path().join("first.yaml");
            std::fs::write(&path, mixed_manifest_yaml(&first, &[])).expect("manifest");
            let manifest = bcprune::manifest::load(&path).expect("valid manifest");
            let _ = run_unlocked(&runtime, &request(dir.path(), manifest, 250, 2), &FRESH, &store);
        }
        store.insert(Resource::Customer, back.iter().copied());
        // `plan --out`, as the CLI makes it.
        let path = dir.path().join("m.yaml");
        let ids: Vec<u32> = manifest_ids.iter().copied().collect();
        std::fs::write(&path, mixed_manifest_yaml(&ids, &[])).expect("manifest");
        let manifest = bcprune::manifest::load(&path).expect("valid manifest");
        let summary = bcprune::state::Summary::load(&state_path).expect("state");
        let settled = summary.as_ref().map(|s| {
            bcprune::evidence::check(
                bcprune::evidence::Claim {
                    lineage: s.lineage,
                    serial: s.serial,
                    store_hash: &s.store_hash,
                    audit_head: s.audit_head.as_ref(),
                    settled: &s.settled,
                    orders_wanted: false,
                },
                &dir.path().join("bcprune.audit.jsonl"),
            )
            .settled
        });
        let scope = apply::Scope::of_manifest(&manifest, settled.as_ref(), false);
        let live = runtime.block_on(scope.list(&store)).expect("list");
        let plan = bcprune::plan::compute_incremental(&manifest, &live, settled.as_ref(), false);
        let state_ref = summary.as_ref().map(|s| StateRef { lineage: s.lineage.to_string(), serial: s.serial });
        let mut saved = SavedPlan::new(&plan, &manifest, "demo42", &store.api_host(), state_ref, jiff::Timestamp::now());
        for (at, kind) in &edits {
            let at = at.index(saved.changes.len());
            let change = &mut saved.changes[at];
            match kind {
                0 => change.recorded = true,
                1 => { change.action = Action::Absent; change.recorded = true; }
                2 => change.action = Action::Absent,
                _ => change.reappeared = !change.reappeared,
            }
        }
        saved.summary = saved.plan().summary();
        if saved.check().is_err() {
            return Ok(()); // `apply --plan` refuses to read it
        }
        let claims_unproven = saved.changes.iter().any(|c| {
            c.recorded
                && (c.action != Action::Absent
                    || !settled.as_ref().is_some_and(|s| s.contains(c.resource, c.id)))
        });
        let before = recorded_keys(&state_path);
        let deleted_before = store.deleted(Resource::Customer);
        let request = request(dir.path(), manifest, 250, 2);
        let source = PlanSource::Saved(Box::new(apply::PlanFile { path: dir.path().join("plan.json"), plan: saved }));
        let outcome = run_unlocked(&runtime, &request, &source, &store);
        if claims_unproven {
            proptest::prop_assert!(
                matches!(outcome, Outcome::Refused(apply::Refusal::Stale(_))),
                "{:?}", outcome
            );
        }
        if edits.is_empty() {
            proptest::prop_assert!(!matches!(outcome, Outcome::Refused(_)), "{:?}", outcome);
        }
        let (deleted_after, absent_after) = recorded_keys(&state_path);
        let deleted_now = store.deleted(Resource::Customer);
        let present = store.ids(Resource::Customer);
        for id in deleted_after.difference(&before.0) {
            proptest::prop_assert!(
                deleted_now.contains(id) && !deleted_before.contains(id),
                "customer {} recorded deleted, but this apply did not delete it", id
            );
        }
        for id in absent_after.difference(&before.1) {
            proptest::prop_assert!(!present.contains(id), "customer {} recorded absent, but it exists", id);
        }
    }
}

/// The customer IDs the state records (deleted, absent).
fn recorded_keys(path: &std::path::Path) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let Some(state) = bcprune::state::State::load(path).expect("the state is always valid") else {
        return Default::default();
    };
    (
        state.deleted.iter().map(|r| r.id).collect(),
        state.absent.iter().map(|r| r.id).collect(),
    )
}
