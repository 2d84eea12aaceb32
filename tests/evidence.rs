//! PRODUCT §14: nothing is skipped, recorded or reported as erased or absent on a file's say-so. A state
//! or saved plan edited outside bcprune is caught before anything in it is trusted, and a recorded ID a
//! listing finds present again stops being settled at once.

use std::path::Path;

use bcprune::sim::SimConfig;
use predicates::str::contains;

use crate::support::{
    Workspace, apply_auto, bcprune, bcprune_at, deletes, manifest_yaml, people, read_json,
    save_plan, store, store_with, subscriber_deletes,
};

/// Rewrite the JSON file at `path` (pretty, as bcprune writes it) after `edit`.
fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value = read_json(path);
    edit(&mut value);
    let text = serde_json::to_string_pretty(&value).expect("json") + "\n";
    std::fs::write(path, text).expect("write");
}

fn report(manifest: &Path) -> assert_cmd::Command {
    let mut cmd = bcprune();
    cmd.env("BCPRUNE_TODAY", "2026-12-01")
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .arg("report")
        .arg(manifest);
    cmd
}

/// Customer 1 deleted and recorded by a real apply; the manifest then lists 1 and 7 (7 was never
/// deleted and is still in the store).
fn one_erased_and_seven_listed(ws: &Workspace) -> (bcprune::sim::SimServer, std::path::PathBuf) {
    let sim = store(50);
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    apply_auto(&sim, &manifest, &[]).success();
    ws.write("m.yaml", manifest_yaml(&[1, 7], ""));
    (sim, manifest)
}

#[test]
fn a_deletion_record_copied_to_another_id_by_hand_is_listed_again_and_reported_unproven() {
    let ws = Workspace::new();
    let (sim, manifest) = one_erased_and_seven_listed(&ws);
    let state_path = ws.path().join("bcprune.state.json");
    edit_json(&state_path, |state| {
        let deleted = state["deleted"].as_array_mut().expect("deleted");
        let mut copy = deleted[0].clone();
        copy["id"] = 7.into();
        deleted.push(copy);
    });
    // The report checks every record against the log: 7 is not erased, and the report fails.
    report(&manifest)
        .assert()
        .code(1)
        .stdout(contains("unproven customer 7"))
        .stdout(contains(
            "Report: 1 erased, 0 unverified, 0 absent, 0 pending, 0 overdue, 0 reappeared, 1 unproven.",
        ))
        .stderr(contains("1 entry as unproven"));
    // The plan lists 7 again and plans its deletion.
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2)
        .stderr(contains("not proven by the audit log (customer 7)"));
    // Apply deletes it, and the report then proves both.
    apply_auto(&sim, &manifest, &[]).success();
    assert!(!sim.customer_ids().contains(&7));
    assert_eq!(deletes(&sim).last(), Some(&vec![7]));
    report(&manifest).assert().success().stdout(contains(
        "Report: 2 erased, 0 unverified, 0 absent, 0 pending, 0 overdue.",
    ));
}

#[test]
fn a_customer_deletion_record_turned_into_a_subscriber_one_is_not_believed() {
    let sim = people(50, 50);
    let ws = Workspace::new();
    let subscribers = |ids: &[u32]| {
        let mut text = manifest_yaml(&[4], "");
        if ids.is_empty() {
            return text;
        }
        text.push_str("absent_subscribers:\n");
        for id in ids {
            text.push_str(&format!(
                "  - id: {id}\n    reason: \"subscription {id}\"\n"
            ));
        }
        text
    };
    let manifest = ws.write("m.yaml", subscribers(&[]));
    apply_auto(&sim, &manifest, &[]).success();
    // Subscriber 4 was never deleted; the customer 4 record is edited to claim it was.
    ws.write("m.yaml", subscribers(&[4]));
    edit_json(&ws.path().join("bcprune.state.json"), |state| {
        let record = state["deleted"][0].clone();
        let mut copy = record;
        copy["resource"] = "subscriber".into();
        state["deleted"].as_array_mut().expect("deleted").push(copy);
    });
    report(&manifest)
        .assert()
        .code(1)
        .stdout(contains("unproven subscriber 4"));
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("not proven by the audit log (subscriber 4)"));
    assert_eq!(subscriber_deletes(&sim), [4]);
    report(&manifest).assert().success();
}

#[test]
fn an_absent_record_added_by_hand_is_not_trusted_and_never_laundered_into_the_state() {
    let ws = Workspace::new();
    let (sim, manifest) = one_erased_and_seven_listed(&ws);
    let state_path = ws.path().join("bcprune.state.json");
    edit_json(&state_path, |state| {
        state["absent"] = serde_json::json!([
            {"id": 7, "seen_at": "2026-11-30T10:00:00Z", "run_id": "forged"}
        ]);
    });
    report(&manifest)
        .assert()
        .code(1)
        .stdout(contains("unproven"));
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2);
    // A declined apply changes nothing; an approved one takes the forged record out and deletes 7.
    bcprune_at(&sim)
        .args(["apply"])
        .arg(&manifest)
        .write_stdin("no\n")
        .assert()
        .code(3);
    apply_auto(&sim, &manifest, &[])
        .success()
        .stderr(contains("not proven by the audit log"));
    let state = read_json(&state_path);
    assert!(state.get("absent").is_none(), "{state}");
    assert!(!sim.customer_ids().contains(&7));
}

#[test]
fn a_saved_plan_marking_a_deletion_recorded_is_refused_and_nothing_is_recorded() {
    let sim = store(50);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    edit_json(&plan, |plan| {
        plan["changes"][1]["recorded"] = true.into();
    });
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("customer 2 as recorded"));
    assert!(deletes(&sim).is_empty());
    assert!(!ws.path().join("bcprune.state.json").exists());
}

#[test]
fn a_saved_plan_turning_a_deletion_into_a_recorded_absence_is_refused() {
    let sim = store(50);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    edit_json(&plan, |plan| {
        let change = &mut plan["changes"][1];
        change["action"] = "absent".into();
        change["recorded"] = true.into();
        plan["summary"] = serde_json::json!({"to_delete": 1, "already_absent": 1});
    });
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("customer 2 as recorded"));
    assert!(deletes(&sim).is_empty());
}

/// A store like [`store`] whose DELETE of customer 1 is refused (422).
fn refusing_one() -> bcprune::sim::SimServer {
    store_with(
        SimConfig::default()
            .customers(50)
            .unlimited()
            .reject_delete_ids([1]),
    )
}

#[test]
fn a_reappeared_customer_whose_redeletion_fails_is_reported_reappeared_and_planned_again() {
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\nabsent:\n  - id: 1\n    reason: \"r\"\n    received: 2026-10-01\n",
    );
    apply_auto(&store(50), &manifest, &[]).success();
    let state_path = ws.path().join("bcprune.state.json");
    let before = std::fs::read_to_string(&state_path).expect("state");
    // Customer 1 is back (a store restored from a backup), and deleting it again fails.
    let sim = refusing_one();
    apply_auto(&sim, &manifest, &["--refresh-all"]).code(1); // nothing was deleted
    let state = read_json(&state_path);
    assert_eq!(state["reappeared"][0]["id"], 1, "{state}");
    report(&manifest)
        .assert()
        .success()
        .stdout(contains("reappeared customer 1"))
        .stdout(contains(
            "Report: 0 erased, 0 unverified, 0 absent, 0 pending, 0 overdue, 1 reappeared, 0 unproven.",
        ));
    report(&manifest).arg("--overdue-exitcode").assert().code(2);
    // The incremental plan (no --refresh-all) deletes it.
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2);
    // The state from before the reappearance, restored from history, is not believed either.
    std::fs::write(&state_path, before).expect("restore");
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2)
        .stderr(contains("not proven by the audit log"));
    report(&manifest)
        .assert()
        .code(1)
        .stdout(contains("found present again"));
}

#[test]
fn a_state_bcprune_wrote_is_trusted_without_listing_and_its_digest_is_in_the_log() {
    let sim = store(50);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    apply_auto(&sim, &manifest, &[]).success();
    let before = sim.requests().len();
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(0)
        .stderr(contains("not proven").not());
    assert_eq!(sim.requests().len(), before, "nothing listed");
    let state = read_json(&ws.path().join("bcprune.state.json"));
    let log = std::fs::read_to_string(ws.path().join("bcprune.audit.jsonl")).expect("log");
    let head: serde_json::Value = serde_json::from_str(
        log.lines()
            .nth(state["audit_head"]["seq"].as_u64().expect("seq") as usize - 1)
            .expect("line"),
    )
    .expect("json");
    assert_eq!(head["event"], "state_saved");
    assert_eq!(head["serial"], state["serial"]);
    assert_eq!(head["records_sha256"].as_str().map(str::len), Some(64));
}

use predicates::prelude::PredicateBooleanExt;
