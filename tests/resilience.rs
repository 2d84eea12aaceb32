//! Integration tests: the real API's hostility — shared quotas, 429s, 5xx, hostile bodies, kills and
//! Ctrl-C mid-run, secrets — with the fake store's knobs. Every loop here is bounded in count and time.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use bcprune::sim::{Hostile, SimConfig, SimServer};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::support::run::Run;
use crate::support::*;

fn statuses(sim: &SimServer, status: u16) -> usize {
    sim.requests().iter().filter(|r| r.status == status).count()
}

#[test]
fn a_tight_quota_finishes_with_few_429s() {
    // 60 requests against a quota of 12 per 250 ms: the pacer must wait for resets, not hit 429s.
    let sim = store_with(
        SimConfig::default()
            .customers(2_000)
            .rate_limit(12, Duration::from_millis(250)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=2_000).step_by(2).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, "max_deletes: 5000\n"));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--batch-size", "25"])
        .arg(&manifest)
        .assert()
        .success()
        .stdout(contains("1000 deleted"));
    let too_many = statuses(&sim, 429);
    assert!(too_many <= 3, "{too_many} 429s against a tight quota");
    assert_eq!(sim.customer_ids().len(), 1_000);
}

#[test]
fn fifteen_percent_injected_5xx_still_deletes_exactly_the_right_customers() {
    let sim = store_with(
        SimConfig::default()
            .customers(1_200)
            .unlimited()
            .fail_rate(0.15)
            .seed(7),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=1_500).filter(|id| id % 3 != 0).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, "max_deletes: 2000\n"));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--batch-size", "20"])
        .arg(&manifest)
        .assert()
        .success();
    let expected: BTreeSet<u32> = (1..=1_200).filter(|id| id % 3 == 0).collect();
    assert_eq!(sim.customer_ids(), expected);
    let mut seen = std::collections::BTreeMap::new();
    for r in sim.requests() {
        *seen.entry(r.status).or_insert(0) += 1;
    }
    let injected: usize = [500, 502, 503, 504]
        .iter()
        .map(|s| statuses(&sim, *s))
        .sum();
    assert!(injected >= 4, "statuses seen: {seen:?}");
    let recorded: BTreeSet<u32> = state_deleted(&ws.path().join("bcprune.state.json"))
        .into_iter()
        .map(|(id, verified)| {
            assert!(verified);
            id
        })
        .collect();
    assert_eq!(recorded, (1..=1_200).filter(|id| id % 3 != 0).collect());
}

#[test]
fn sigkill_mid_run_leaves_a_true_state_and_a_rerun_finishes() {
    let sim = store_with(
        SimConfig::default()
            .customers(400)
            .unlimited()
            .latency(Duration::from_millis(15)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=400).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let run = Run::apply(&sim, &manifest)
        .args(["--batch-size", "10"])
        .spawn();
    run.wait_until("6 DELETEs", || deletes(&sim).len() >= 6);
    run.kill();

    let state_path = ws.path().join("bcprune.state.json");
    let live = sim.customer_ids();
    assert!(live.len() < 400 && !live.is_empty(), "killed mid-run");
    // Valid JSON that never claims a deletion that did not happen.
    for (id, _) in state_deleted(&state_path) {
        assert!(
            !live.contains(&id),
            "state claims {id} deleted but it exists"
        );
    }
    assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));

    // The re-run takes over the dead process's lock, reconciles and finishes.
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--batch-size", "10"])
        .arg(&manifest)
        .assert()
        .success()
        .stderr(contains("took over a lock"));
    assert!(sim.customer_ids().is_empty());
    let recorded: Vec<u32> = state_deleted(&state_path)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(recorded, ids, "the final state lists every deletion");
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(0);
}

#[test]
fn ctrl_c_finishes_in_flight_batches_and_exits_130() {
    let sim = store_with(
        SimConfig::default()
            .customers(300)
            .unlimited()
            .latency(Duration::from_millis(20)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=300).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let run = Run::apply(&sim, &manifest)
        .args(["--batch-size", "5", "--parallelism", "2"])
        .spawn();
    run.wait_until("4 DELETEs", || deletes(&sim).len() >= 4);
    run.signal("INT");
    let done = run.finish();
    assert_eq!(done.code(), Some(130));
    let live = sim.customer_ids();
    assert!(!live.is_empty(), "stopped before the end");
    let recorded: BTreeSet<u32> = state_deleted(&ws.path().join("bcprune.state.json"))
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let gone: BTreeSet<u32> = ids
        .iter()
        .copied()
        .filter(|id| !live.contains(id))
        .collect();
    assert_eq!(recorded, gone, "the state matches the store");
    assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));
}

#[test]
fn a_second_ctrl_c_stops_at_once_with_a_valid_state_and_no_lock() {
    // Slow DELETEs, one at a time: after the first batch is recorded the second is in flight for a
    // long while, so the second Ctrl-C (sent once the first was acknowledged) abandons it.
    let sim = store_with(
        SimConfig::default()
            .customers(300)
            .unlimited()
            .latency(Duration::from_millis(1500)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=300).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let state = ws.path().join("bcprune.state.json");
    let run = Run::apply(&sim, &manifest)
        .args(["--batch-size", "5", "--parallelism", "1"])
        .spawn();
    run.wait_until("a recorded batch", || {
        state.exists() && deletes(&sim).len() >= 2
    });
    run.signal("INT");
    run.wait_for_stderr("Interrupted: finishing the requests in flight");
    run.signal("INT");
    let done = run.finish();
    let stdout = done.stdout;
    assert_eq!(done.status.code(), Some(130), "{stdout}");
    assert!(done.stderr.contains("Stopping at once"), "{}", done.stderr);
    assert!(
        stdout.contains("Abandoned: 5 customers (customers 6-10) were in flight"),
        "a single Ctrl-C would have waited for them: {stdout}"
    );
    // The state is valid and claims nothing the store still has.
    let live = sim.customer_ids();
    let recorded = state_deleted(&state);
    assert_eq!(recorded.len(), 5, "the first batch: {recorded:?}");
    for (id, _) in &recorded {
        assert!(!live.contains(id), "state claims {id}");
    }
    assert!(
        !bcprune::state::Lock::path_for(&state).exists(),
        "the lock is released"
    );
    let log = ws.path().join("bcprune.audit.jsonl");
    let text = assert_audit_intact(&log);
    assert!(text.contains("stopped at once"), "{text}");

    // The next apply settles the abandoned batch and finishes.
    sim.faults().clear();
    bcprune_at(&sim)
        .args([
            "apply",
            "--auto-approve",
            "--batch-size",
            "100",
            "--parallelism",
            "3",
        ])
        .arg(&manifest)
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    assert!(sim.customer_ids().is_empty());
    let all: Vec<u32> = state_deleted(&state)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(all, ids);
}

#[test]
fn sigterm_is_handled_as_ctrl_c() {
    let sim = store_with(
        SimConfig::default()
            .customers(300)
            .unlimited()
            .latency(Duration::from_millis(20)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=300).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let state = ws.path().join("bcprune.state.json");
    let run = Run::apply(&sim, &manifest)
        .args(["--batch-size", "5", "--parallelism", "2"])
        .spawn();
    run.wait_until("4 DELETEs", || deletes(&sim).len() >= 4);
    run.signal("TERM");
    let done = run.finish();
    let stdout = &done.stdout;
    assert_eq!(done.code(), Some(130), "{stdout}\n{}", done.stderr);
    assert!(stdout.contains("Apply interrupted"), "{stdout}");
    let live = sim.customer_ids();
    assert!(!live.is_empty(), "stopped before the end");
    let recorded: BTreeSet<u32> = state_deleted(&state)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let gone: BTreeSet<u32> = ids
        .iter()
        .copied()
        .filter(|id| !live.contains(id))
        .collect();
    assert_eq!(recorded, gone, "in-flight batches finished and recorded");
    assert!(
        !bcprune::state::Lock::path_for(&state).exists(),
        "the lock is released"
    );
    let log = ws.path().join("bcprune.audit.jsonl");
    let text = assert_audit_intact(&log);
    assert!(text.contains("\"event\":\"apply_finished\""), "{text}");
}

#[test]
fn a_signal_at_the_approval_prompt_removes_the_lock() {
    for name in ["INT", "TERM"] {
        let sim = store(20);
        let ws = Workspace::new();
        let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
        let state = ws.path().join("bcprune.state.json");
        let run = Run::at(&sim)
            .args(["apply"])
            .args([&manifest])
            .prompt()
            .spawn();
        run.wait_for_stderr("Only 'yes' will be accepted");
        assert!(
            bcprune::state::Lock::path_for(&state).exists(),
            "{name}: locked while asking"
        );
        run.signal(name);
        let done = run.finish();
        assert_eq!(done.code(), Some(130), "{name}: {}", done.stderr);
        assert!(
            !bcprune::state::Lock::path_for(&state).exists(),
            "{name}: the lock is removed"
        );
        assert!(deletes(&sim).is_empty(), "{name}: nothing deleted");
    }
}

#[test]
fn hostile_listings_fail_clearly_and_nothing_is_deleted() {
    let cases: Vec<(Hostile, &str)> = vec![
        (Hostile::BadJson, "JSON"),
        (Hostile::Html200, "HTML"),
        (Hostile::Html502, "502"),
        (Hostile::TruncatedBody, "but the body was cut off"),
        (Hostile::HugeBody(40 * 1024 * 1024), "larger than"),
        (Hostile::ExtraCustomer, "not asked for"),
        (Hostile::MissingId, "data[0] has no id"),
        (Hostile::ZeroTotalPages, "pages"),
        (Hostile::Hang, "timeout"),
        (Hostile::StallBody, "timeout"),
    ];
    for (mode, needle) in cases {
        let sim = store_with(SimConfig::default().customers(50).unlimited().hostile(mode));
        let ws = Workspace::new();
        let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
        let output = bcprune_at(&sim)
            .env("BCPRUNE_TIMEOUT_MS", "300")
            .env("BCPRUNE_RETRY", "max_attempts=2,base_ms=1,cap_ms=5")
            .args(["apply", "--auto-approve"])
            .arg(&manifest)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{mode:?}: {stderr}");
        assert!(
            stderr.contains("could not list customers"),
            "{mode:?}: {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains(&needle.to_lowercase()),
            "{mode:?}: expected {needle:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{mode:?}: {stderr}");
        assert!(
            deletes(&sim).is_empty(),
            "{mode:?}: no DELETE on a bad read"
        );
        assert_eq!(sim.customer_ids().len(), 50);
    }
}

/// Issue 17.3: a page stating `total: 3, count: 2, per_page: 2, total_pages: 1` was taken as the whole
/// listing, so customer 3 (which exists) was recorded as found absent and skipped by every later plan.
/// Every listing (plan, apply, the lookups of import) refuses pagination that contradicts itself,
/// records nothing, and exits 1; with an honest store again, the same manifest plans all three.
#[test]
fn a_listing_whose_pagination_contradicts_itself_is_invalid_and_nothing_is_recorded() {
    use bcprune::Resource::{Customer, Subscriber};
    for mode in [
        Hostile::ShortPages,
        Hostile::TotalBeyondRecords,
        Hostile::CountBeyondPage,
    ] {
        for resource in [Customer, Subscriber] {
            let sim = store_with(
                SimConfig::default()
                    .customers(50)
                    .subscribers(50)
                    .unlimited()
                    .hostile(mode),
            );
            sim.faults().only(Some(resource));
            let ws = Workspace::new();
            let manifest = ws.write("m.yaml", mixed_manifest(&[1, 2, 3], &[4, 5, 6]));
            let what = format!("{mode:?} on {resource:?}");
            for command in [&["plan"][..], &["apply", "--auto-approve"]] {
                let output = bcprune_at(&sim)
                    .args(command)
                    .arg(&manifest)
                    .output()
                    .expect("run");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_eq!(
                    output.status.code(),
                    Some(1),
                    "{what} {command:?}: {stderr}"
                );
                assert!(
                    stderr.contains("invalid response") && stderr.contains("pagination on page 1"),
                    "{what} {command:?}: {stderr}"
                );
            }
            assert!(deletes(&sim).is_empty(), "{what}: nothing deleted");
            let state = ws.path().join("bcprune.state.json");
            if state.exists() {
                let state = bcprune::state::State::load(&state)
                    .expect("valid")
                    .expect("a state");
                assert!(state.absent.is_empty(), "{what}: nothing recorded absent");
            }
            sim.faults().hostile(None);
            bcprune_at(&sim)
                .args(["plan"])
                .arg(&manifest)
                .assert()
                .success()
                .stdout(contains("Plan: 6 to delete, 0 already absent."));
        }
    }
}

/// The same rule for verification and reconciliation: a store whose listings turn contradictory after
/// the DELETEs leaves the deletions unverified (exit 4), the next run's reconciliation refuses the same
/// listing and records nothing, and an honest store settles them.
#[test]
fn verification_and_reconciliation_refuse_contradictory_pagination() {
    let sim = store(20);
    sim.faults()
        .hostile_after_delete(Some(Hostile::TotalBeyondRecords));
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    let state = ws.path().join("bcprune.state.json");
    let output = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("run");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(4), "{shown}");
    assert!(shown.contains("contradictory pagination"), "{shown}");
    let unverified = vec![(1, false), (2, false), (3, false)];
    assert_eq!(
        state_deleted(&state),
        unverified,
        "deleted, not proven gone"
    );

    let output = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("contradictory pagination"), "{stderr}");
    assert_eq!(
        state_deleted(&state),
        unverified,
        "reconcile recorded nothing"
    );

    sim.faults().hostile(None);
    apply_auto(&sim, &manifest, &[]).success();
    assert_eq!(state_deleted(&state), vec![(1, true), (2, true), (3, true)]);
}

#[test]
fn pagination_that_claims_to_never_end_is_not_followed_forever() {
    // The store claims endless pages (a `total` of 250,000,000). Even a first page that holds every
    // ID asked for is not believed: its figures say more matched than the 250 IDs asked for, a
    // contradiction (PRODUCT §14), so the listing is refused and the endless `next` never followed.
    let sim = store_with(
        SimConfig::default()
            .customers(600)
            .unlimited()
            .hostile(Hostile::EndlessPagination),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=500).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let output = bcprune_at(&sim)
        .env("BCPRUNE_TIMEOUT_MS", "2000")
        .args(["plan"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(count(&sim, "GET") <= 2, "no page 2 is ever asked for");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pagination never ends"), "{stderr}");

    // IDs 501–700 in one request, of which 100 exist: the first page cannot hold them all, the
    // store announces another page forever, and 200 IDs fit in one page of 250.
    let ids: Vec<u32> = (501..=700).collect();
    let manifest = ws.write("n.yaml", manifest_yaml(&ids, ""));
    let before = count(&sim, "GET");
    let output = bcprune_at(&sim)
        .env("BCPRUNE_TIMEOUT_MS", "2000")
        .args(["plan"])
        .arg(&manifest)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pagination never ends"), "{stderr}");
    assert_eq!(
        count(&sim, "GET") - before,
        1,
        "the endless next is not followed"
    );
}

#[test]
fn the_token_appears_nowhere_at_any_verbosity() {
    let sim = store(30);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let token = bcprune::sim::READ_WRITE_TOKEN;
    let plan = ws.path().join("plan.json");
    let outputs = [
        bcprune_at(&sim)
            .env("RUST_LOG", "trace")
            .args(["plan", "-vvv", "--out"])
            .arg(&plan)
            .arg(&manifest)
            .output()
            .expect("plan"),
        bcprune_at(&sim)
            .env("RUST_LOG", "trace")
            .args(["apply", "-vvv", "--plan"])
            .arg(&plan)
            .output()
            .expect("apply"),
        // A rejected token must not be echoed in the error either (--refresh-all: the state
        // records 1 and 2 as deleted, so an incremental plan would send nothing).
        bcprune_at(&sim)
            .env("BIGCOMMERCE_ACCESS_TOKEN", "wrong-secret-value-123")
            .env("RUST_LOG", "trace")
            .args(["plan", "-vvv", "--refresh-all"])
            .arg(&manifest)
            .output()
            .expect("plan with a bad token"),
    ];
    assert_eq!(outputs[1].status.code(), Some(0), "{:?}", outputs[1]);
    assert_eq!(outputs[2].status.code(), Some(1));
    for output in &outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.is_empty());
        assert!(!all.contains(token), "token leaked: {all}");
        assert!(
            !all.contains("wrong-secret-value-123"),
            "token leaked: {all}"
        );
    }
    assert!(
        String::from_utf8_lossy(&outputs[0].stderr).contains("TRACE")
            || String::from_utf8_lossy(&outputs[0].stderr).contains("DEBUG")
    );
    for entry in std::fs::read_dir(ws.path()).expect("workspace") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(token), "token in {}", path.display());
    }
}

#[test]
fn a_bounded_soak_of_mixed_faults_ends_exact() {
    // Quota pressure, 5xx, bare 429s, a DELETE size cap and refused IDs, all at once.
    let rejected = [17u32, 405, 999];
    let sim = store_with(
        SimConfig::default()
            .customers(1_500)
            .rate_limit(40, Duration::from_millis(200))
            .fail_rate(0.08)
            .bare_429_rate(0.04)
            .max_ids_per_delete(30, 413)
            .reject_delete_ids(rejected)
            .seed(99),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=1_500).filter(|id| id % 2 == 1).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, "max_deletes: 2000\n"));
    let started = Instant::now();
    let output = bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--batch-size", "50"])
        .arg(&manifest)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run");
    assert!(started.elapsed() < Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        &stdout[stdout.len().saturating_sub(3000)..]
    );
    // One line per cause (PRODUCT §17): the three refused IDs, apart (no range), in one line.
    assert!(
        stdout.contains("Failed: 3 customers (17, 405, 999): HTTP 422"),
        "{stdout}"
    );
    let expected_gone: BTreeSet<u32> = ids
        .iter()
        .copied()
        .filter(|id| !rejected.contains(id))
        .collect();
    let live = sim.customer_ids();
    assert!(expected_gone.iter().all(|id| !live.contains(id)));
    assert_eq!(live.len(), 1_500 - expected_gone.len());
    let recorded: BTreeSet<u32> = state_deleted(&ws.path().join("bcprune.state.json"))
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(recorded, expected_gone);
    for batch in deletes(&sim) {
        assert!(!batch.is_empty() && batch.len() <= 50);
        assert!(batch.iter().all(|id| ids.contains(id)));
    }
}

/// Complete lines of an audit log (a torn last line, left by a killed write, is not a line).
fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .map(|line| serde_json::from_str(line).expect("complete audit lines are JSON"))
        .collect()
}

#[test]
fn no_delete_is_ever_sent_before_its_intent_is_on_disk() {
    // Kill bcprune at many different writes by capping the size of the files it may write
    // (RLIMIT_FSIZE: the write that crosses the cap gets SIGXFSZ). Whatever write it dies at, every
    // DELETE the store saw must be named by a complete batch_intent line already on disk.
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=40).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    let log = ws.path().join("bcprune.audit.jsonl");
    let mut killed = 0;
    for cap in (600..6_000).step_by(450) {
        let sim = store(40);
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(ws.path().join("bcprune.state.json"));
        let _ = std::fs::remove_file(ws.path().join("bcprune.state.json.lock"));
        let output = std::process::Command::new("prlimit")
            .arg(format!("--fsize={cap}"))
            .arg(assert_cmd::cargo::cargo_bin("bcprune"))
            .args([
                "apply",
                "--auto-approve",
                "--batch-size",
                "4",
                "--parallelism",
                "1",
            ])
            .arg(&manifest)
            .env("BIGCOMMERCE_API_URL", sim.base_url())
            .env("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN)
            .env("BIGCOMMERCE_STORE_HASH", "demo42")
            .env_remove("RUST_LOG")
            .output()
            .expect("run bcprune under prlimit");
        if !output.status.success() {
            killed += 1;
        }
        let intents: Vec<Vec<u32>> = audit_lines(&log)
            .iter()
            .filter(|line| line["event"] == "batch_intent")
            .map(|line| {
                line["ids"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|id| id.as_u64().expect("id") as u32)
                    .collect()
            })
            .collect();
        let sent = deletes(&sim);
        assert!(
            sent.len() <= intents.len(),
            "cap {cap}: {} DELETEs but {} intents on disk",
            sent.len(),
            intents.len()
        );
        for (batch, intent) in sent.iter().zip(&intents) {
            assert_eq!(batch, intent, "cap {cap}: a DELETE without its intent");
        }
    }
    assert!(killed >= 5, "the caps must interrupt most runs ({killed})");
}

#[test]
fn an_intent_left_open_by_a_dead_run_is_reconciled_into_the_state() {
    // A run wrote its intent, the store deleted the IDs, and the run died before recording anything.
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[3, 4, 5, 6], ""));
    let log = ws.path().join("bcprune.audit.jsonl");
    {
        let mut audit = bcprune::audit::AuditLog::open(&log, "tester").expect("open audit log");
        audit
            .append(
                bcprune::audit::AuditEntry::new("dead-run", bcprune::audit::EventKind::BatchIntent)
                    .ids(&[3, 4, 5]),
            )
            .expect("append intent");
    }
    sim.remove(3);
    sim.remove(4);
    // 5 was named by the intent but not deleted: it is planned again, not recorded.
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("Reconciled an earlier run: 2 deletions recorded"))
        .stdout(contains(
            "Apply complete: 2 deleted, 2 already absent, 0 failed.",
        ));
    let state = read_json(&ws.path().join("bcprune.state.json"));
    let runs: Vec<(u64, String)> = state["deleted"]
        .as_array()
        .expect("deleted")
        .iter()
        .map(|d| {
            (
                d["id"].as_u64().expect("id"),
                d["run_id"].as_str().expect("run_id").to_string(),
            )
        })
        .collect();
    assert_eq!(runs[0], (3, "dead-run".to_string()));
    assert_eq!(runs[1], (4, "dead-run".to_string()));
    assert_eq!(runs.len(), 4);
    assert_eq!(
        deletes(&sim),
        vec![vec![5, 6]],
        "only 5 and 6 are deleted now"
    );
    // The intent is closed: another apply has nothing to reconcile.
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("Reconciled").not());
}

/// A manifest of customers and subscribers.
fn mixed_manifest(customers: &[u32], subscribers: &[u32]) -> String {
    let mut text = manifest_yaml(customers, "max_deletes: 5000\n");
    if customers.is_empty() {
        text = text.replace("absent:\n", "absent: []\n");
    }
    text.push_str("absent_subscribers:\n");
    for id in subscribers {
        text.push_str(&format!(
            "  - id: {id}\n    reason: \"subscription {id}\"\n"
        ));
    }
    text
}

/// (resource, id, verified) of every deletion the state records.
fn state_records(path: &Path) -> Vec<(bcprune::Resource, u32, bool)> {
    bcprune::state::State::load(path)
        .expect("a valid state")
        .map(|s| {
            s.deleted
                .iter()
                .map(|r| (r.resource, r.id, r.verified))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn sigkill_with_subscribers_in_flight_then_a_rerun_ends_exact() {
    use bcprune::Resource::{Customer, Subscriber};
    let sim = store_with(
        SimConfig::default()
            .customers(100)
            .subscribers(200)
            .unlimited()
            .latency(Duration::from_millis(15)),
    );
    let ws = Workspace::new();
    let customers: Vec<u32> = (1..=100).collect();
    let subscribers: Vec<u32> = (1..=200).collect();
    let manifest = ws.write("m.yaml", mixed_manifest(&customers, &subscribers));
    let run = Run::apply(&sim, &manifest)
        .args(["--batch-size", "50"])
        .spawn();
    // Customers go first (2 DELETEs), then subscribers one by one: kill while they are in flight.
    run.wait_until("10 subscriber DELETEs", || {
        subscriber_deletes(&sim).len() >= 10
    });
    run.kill();
    let state_path = ws.path().join("bcprune.state.json");
    let live = sim.subscriber_ids();
    assert!(live.len() < 200 && !live.is_empty(), "killed mid-run");
    for (resource, id, _) in state_records(&state_path) {
        let exists = match resource {
            Customer => sim.customer_ids().contains(&id),
            Subscriber => live.contains(&id),
            bcprune::Resource::Order => false,
        };
        assert!(
            !exists,
            "state claims {resource} {id} deleted but it exists"
        );
    }
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--batch-size", "50"])
        .arg(&manifest)
        .assert()
        .success();
    assert!(sim.customer_ids().is_empty() && sim.subscriber_ids().is_empty());
    let mut expected: Vec<_> = customers.iter().map(|&id| (Customer, id, true)).collect();
    expected.extend(subscribers.iter().map(|&id| (Subscriber, id, true)));
    assert_eq!(
        state_records(&state_path),
        expected,
        "the final state lists every deletion"
    );
    assert_no_collection_delete(&sim);
    assert_audit_intact(&ws.path().join("bcprune.audit.jsonl"));
    bcprune_at(&sim)
        .args(["plan", "--refresh-all", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(0);
}

#[test]
fn subscriber_deletes_that_act_then_fail_or_drop_are_settled_by_listing_again() {
    use bcprune::Resource::Subscriber;
    for drop in [false, true] {
        let sim = people(20, 20);
        sim.faults().only(Some(Subscriber));
        if drop {
            sim.faults().drop_after_delete(true);
        } else {
            sim.faults().fail_after_delete(Some(500));
        }
        let ws = Workspace::new();
        let manifest = ws.write("m.yaml", mixed_manifest(&[1, 2], &[3, 4, 5]));
        bcprune_at(&sim)
            .args(["apply", "--auto-approve"])
            .arg(&manifest)
            .assert()
            .code(0)
            .stdout(contains(
                "Verified: 2 customers and 3 subscribers are gone.",
            ));
        let state = ws.path().join("bcprune.state.json");
        let subs: Vec<_> = state_records(&state)
            .into_iter()
            .filter(|(r, _, _)| *r == Subscriber)
            .collect();
        assert_eq!(
            subs,
            vec![
                (Subscriber, 3, true),
                (Subscriber, 4, true),
                (Subscriber, 5, true)
            ]
        );
        assert!(!sim.subscriber_ids().iter().any(|id| [3, 4, 5].contains(id)));
        assert_no_collection_delete(&sim);
    }
}

#[test]
fn sigterm_with_subscribers_in_flight_records_exactly_what_was_deleted() {
    use bcprune::Resource::Subscriber;
    let sim = store_with(
        SimConfig::default()
            .customers(10)
            .subscribers(300)
            .unlimited()
            .latency(Duration::from_millis(20)),
    );
    let ws = Workspace::new();
    let subscribers: Vec<u32> = (1..=300).collect();
    let manifest = ws.write("m.yaml", mixed_manifest(&[], &subscribers));
    let state = ws.path().join("bcprune.state.json");
    let run = Run::apply(&sim, &manifest)
        .args(["--parallelism", "2"])
        .spawn();
    run.wait_until("8 subscriber DELETEs", || {
        subscriber_deletes(&sim).len() >= 8
    });
    run.signal("TERM");
    let done = run.finish();
    assert_eq!(done.code(), Some(130), "{}\n{}", done.stdout, done.stderr);
    let live = sim.subscriber_ids();
    assert!(!live.is_empty(), "stopped before the end");
    let recorded: BTreeSet<u32> = state_records(&state)
        .into_iter()
        .filter(|(r, _, verified)| *r == Subscriber && *verified)
        .map(|(_, id, _)| id)
        .collect();
    let gone: BTreeSet<u32> = subscribers
        .iter()
        .copied()
        .filter(|id| !live.contains(id))
        .collect();
    assert_eq!(
        recorded, gone,
        "in-flight DELETEs finished, recorded and verified"
    );
    assert_no_collection_delete(&sim);
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .success();
    assert!(sim.subscriber_ids().is_empty());
    assert_no_collection_delete(&sim);
}

#[test]
fn a_retried_subscriber_delete_answered_404_is_settled_by_listing_again() {
    use bcprune::Resource::Subscriber;
    use bcprune::sim::UnknownSubscriber;
    // The first attempt deletes and loses its answer; the retry finds nothing and answers 404. A 404
    // is no proof either way: the subscriber is listed again, found gone, and recorded as verified.
    let sim = store_with(
        SimConfig::default()
            .customers(5)
            .subscribers(20)
            .unlimited()
            .unknown_subscriber(UnknownSubscriber::NotFound404),
    );
    sim.faults().only(Some(Subscriber));
    sim.faults().drop_after_delete(true);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", mixed_manifest(&[], &[7, 8]));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .code(0)
        .stdout(contains("Verified: 2 subscribers are gone."));
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.contains(&404),
        "the retry was answered 404: {statuses:?}"
    );
    assert_eq!(
        state_records(&ws.path().join("bcprune.state.json")),
        vec![(Subscriber, 7, true), (Subscriber, 8, true)]
    );
    assert_no_collection_delete(&sim);
}
