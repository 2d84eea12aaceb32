//! Integration tests: `bcprune audit verify` on logs written through the library, intact and tampered with.

use std::path::Path;

use bcprune::audit::{AuditEntry, AuditLog, EventKind};
use predicates::prelude::*;

use crate::support::{Workspace, bcprune};

/// Write a log of two runs (5 lines) at `path` through the library API; returns its last hash.
#[track_caller]
fn write_log(path: &Path) -> String {
    let mut log = AuditLog::open(path, "tester").expect("open");
    log.append(AuditEntry::new("run-1", EventKind::ApplyStarted).store_hash("acme42"))
        .expect("append");
    let intent = log
        .append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[101, 102]))
        .expect("append");
    log.append(
        AuditEntry::new("run-1", EventKind::BatchDeleted)
            .ids(&[101, 102])
            .intent(intent)
            .status(204),
    )
    .expect("append");
    log.append(AuditEntry::new("run-1", EventKind::ApplyFinished))
        .expect("append");
    log.append(AuditEntry::new("run-2", EventKind::ApplyStarted))
        .expect("append");
    log.last_hash().to_string()
}

#[track_caller]
fn edit_lines(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").expect("write");
}

#[test]
fn intact_log_reports_entries_runs_and_last_hash() {
    let ws = Workspace::new();
    let log = ws.path().join("bcprune.audit.jsonl");
    let last_hash = write_log(&log);
    bcprune()
        .args(["audit", "verify", "--log"])
        .arg(&log)
        .assert()
        .success()
        .stdout(format!(
            "Audit log {} is intact: 5 entries, 2 runs, last hash {}…\n",
            log.display(),
            &last_hash[..12]
        ))
        .stderr("");
}

#[test]
fn default_log_is_the_one_in_the_current_directory() {
    let ws = Workspace::new();
    write_log(&ws.path().join("bcprune.audit.jsonl"));
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Audit log bcprune.audit.jsonl is intact: 5 entries, 2 runs, last hash ",
        ));
}

#[test]
fn edited_line_is_named() {
    let ws = Workspace::new();
    write_log(&ws.path().join("bcprune.audit.jsonl"));
    edit_lines(&ws.path().join("bcprune.audit.jsonl"), |lines| {
        lines[2] = lines[2].replace("\"status\":204", "\"status\":200");
    });
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify", "--log", "bcprune.audit.jsonl"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: bcprune.audit.jsonl:3: the line's content does not match its `hash`",
        ))
        .stderr(predicate::str::ends_with(
            "(the chain is broken from this line on; the log was edited, truncated or reordered)\n",
        ));
}

#[test]
fn removed_line_is_named() {
    let ws = Workspace::new();
    write_log(&ws.path().join("bcprune.audit.jsonl"));
    edit_lines(&ws.path().join("bcprune.audit.jsonl"), |lines| {
        lines.remove(1);
    });
    let output = bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    insta::assert_snapshot!(String::from_utf8_lossy(&output), @"error: bcprune.audit.jsonl:2: `seq` is 3 where 2 was expected: a line was removed, inserted or moved here (the chain is broken from this line on; the log was edited, truncated or reordered)");
}

#[test]
fn reordered_lines_are_named() {
    let ws = Workspace::new();
    write_log(&ws.path().join("bcprune.audit.jsonl"));
    edit_lines(&ws.path().join("bcprune.audit.jsonl"), |lines| {
        lines.swap(3, 4);
    });
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: bcprune.audit.jsonl:4: `seq` is 5 where 4 was expected",
        ));
}

#[test]
fn truncated_log_is_named() {
    let ws = Workspace::new();
    let log = ws.path().join("bcprune.audit.jsonl");
    write_log(&log);
    let text = std::fs::read_to_string(&log).expect("read");
    std::fs::write(&log, &text[..text.len() - 40]).expect("write");
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: bcprune.audit.jsonl:5: the last line is incomplete",
        ));
}

#[test]
fn missing_log_is_a_clear_error() {
    let ws = Workspace::new();
    let output = bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify", "--log", "nope.jsonl"])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    insta::assert_snapshot!(String::from_utf8_lossy(&output), @"error: cannot read the audit log nope.jsonl: No such file or directory (os error 2). Name the manifest (`bcprune audit verify MANIFEST`: the log beside it, as plan and apply place it) or pass the log with --log FILE (default: ./bcprune.audit.jsonl)");
}

/// A state beside `log` recording `log`'s current head (as apply saves it).
#[track_caller]
fn state_with_head(log: &Path) -> std::path::PathBuf {
    let head = bcprune::audit::read_head(log)
        .expect("read")
        .expect("a head");
    let mut state = bcprune::state::State::new("acme42", "00");
    state.audit_head = Some(head);
    let path = log.parent().expect("dir").join("bcprune.state.json");
    state.save(&path).expect("save");
    path
}

#[test]
fn a_log_cut_short_at_a_line_boundary_is_caught_against_the_state_beside_it() {
    let ws = Workspace::new();
    let log = ws.path().join("bcprune.audit.jsonl");
    write_log(&log);
    state_with_head(&log);
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("It carries the head 5:"))
        .stdout(predicate::str::contains(
            "recorded by the state file bcprune.state.json (serial 1).",
        ));
    edit_lines(&log, |lines| {
        lines.truncate(3);
    });
    let output = bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8_lossy(&output);
    assert!(
        stderr.starts_with(
            "error: the audit log bcprune.audit.jsonl has 3 lines, but the state file bcprune.state.json (serial 1) records its head at line 5 ("
        ),
        "{stderr}"
    );
    assert!(stderr.contains("the log was cut short"), "{stderr}");
}

#[test]
fn a_log_rewritten_and_re_chained_is_caught_against_the_state() {
    let ws = Workspace::new();
    let log = ws.path().join("bcprune.audit.jsonl");
    write_log(&log);
    let state = ws.path().join("elsewhere/s.json");
    std::fs::create_dir_all(state.parent().expect("dir")).expect("mkdir");
    std::fs::rename(state_with_head(&log), &state).expect("move the state");
    // A valid chain of the same length, with other content: it verifies on its own.
    std::fs::remove_file(&log).expect("remove");
    let mut forged = AuditLog::open(&log, "tester").expect("open");
    for _ in 0..5 {
        forged
            .append(AuditEntry::new("forged", EventKind::ApplyStarted))
            .expect("append");
    }
    drop(forged);
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .success();
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify", "--state", "elsewhere/s.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: line 5 of the audit log bcprune.audit.jsonl has hash ",
        ))
        .stderr(predicate::str::contains(
            "but the state file elsewhere/s.json (serial 1) records 5:",
        ))
        .stderr(predicate::str::contains("rewritten and re-chained"));
}

#[test]
fn expect_head_takes_a_unique_prefix_of_12_hex_digits_and_refuses_a_short_or_wrong_one() {
    let ws = Workspace::new();
    let log = ws.path().join("bcprune.audit.jsonl");
    let last = write_log(&log);
    let verify = |head: &str| {
        let mut cmd = bcprune();
        cmd.current_dir(ws.path())
            .args(["audit", "verify", "--expect-head", head]);
        cmd.assert()
    };
    verify(&format!("5:{}", &last[..12]))
        .success()
        .stdout(predicate::str::contains(format!(
            "It carries the head 5:{} recorded by --expect-head.",
            &last[..12]
        )));
    verify(&format!("5:{}", last.to_uppercase())).success();
    verify(&format!("5:{}", &last[..11]))
        .code(1)
        .stderr(predicate::str::contains(
            "too short: give at least 12 hex digits",
        ));
    let wrong = if last.starts_with('0') { "1" } else { "0" };
    verify(&format!("5:{wrong}{}", &last[1..12]))
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: line 5 of the audit log bcprune.audit.jsonl has hash ",
        ))
        .stderr(predicate::str::contains("but --expect-head records 5:"));
    verify(&format!("7:{}", &last[..12]))
        .code(1)
        .stderr(predicate::str::contains(
            "has 5 lines, but --expect-head records its head at line 7",
        ));
    verify("five:abc").code(1);
}

#[test]
fn an_old_state_without_a_head_still_loads_and_the_log_verifies_with_a_note() {
    let ws = Workspace::new();
    write_log(&ws.path().join("bcprune.audit.jsonl"));
    ws.write(
        "bcprune.state.json",
        r#"{"version":1,"lineage":"6f1c2a6e-0b1e-4c59-9a57-3d1f0b8e2c11","serial":4,
           "store_hash":"acme42","updated_at":"2026-11-28T20:00:00Z","manifest_sha256":"00",
           "deleted":[{"id":7,"deleted_at":"2026-11-28T19:00:00Z","run_id":"r","reason":null,"verified":true}]}"#,
    );
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("records no audit head"));
    bcprune()
        .current_dir(ws.path())
        .args(["audit", "verify", "--state", "missing.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.json"));
}

#[test]
fn a_saved_plan_carries_the_head_of_the_audit_log_it_was_made_against() {
    let sim = crate::support::store(10);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", crate::support::manifest_yaml(&[2], ""));
    let plan = crate::support::save_plan(&sim, &ws, &manifest);
    assert!(
        crate::support::read_json(&plan).get("audit_head").is_none(),
        "no log yet"
    );
    crate::support::apply_auto(&sim, &manifest, &[]).success();
    let manifest2 = ws.write("m.yaml", crate::support::manifest_yaml(&[2, 3], ""));
    std::fs::remove_file(&plan).expect("remove");
    let plan = crate::support::save_plan(&sim, &ws, &manifest2);
    let head = bcprune::audit::read_head(&ws.path().join("bcprune.audit.jsonl"))
        .expect("read")
        .expect("head");
    let saved = crate::support::read_json(&plan);
    assert_eq!(saved["audit_head"]["seq"], head.seq);
    assert_eq!(saved["audit_head"]["hash"], head.hash.as_str());
}

#[test]
fn apply_refuses_to_extend_a_log_cut_short_since_the_state_was_saved_and_deletes_nothing() {
    let sim = crate::support::store(10);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", crate::support::manifest_yaml(&[2], ""));
    crate::support::apply_auto(&sim, &manifest, &[]).success();
    let state = crate::support::read_json(&ws.path().join("bcprune.state.json"));
    let head = state["audit_head"]["seq"].as_u64().expect("head") as usize;
    let log = ws.path().join("bcprune.audit.jsonl");
    edit_lines(&log, |lines| lines.truncate(head - 1));
    let deletes_before = crate::support::deletes(&sim).len();
    let manifest = ws.write("m.yaml", crate::support::manifest_yaml(&[2, 3], ""));
    crate::support::apply_auto(&sim, &manifest, &[])
        .code(1)
        .stderr(predicate::str::contains("refusing to extend the audit log"))
        .stderr(predicate::str::contains("the log was cut short"));
    assert_eq!(
        crate::support::deletes(&sim).len(),
        deletes_before,
        "nothing deleted"
    );
    // A missing log is refused too, and not created.
    std::fs::remove_file(&log).expect("remove");
    crate::support::apply_auto(&sim, &manifest, &[]).code(1);
    assert!(!log.exists());
}

/// PRODUCT §17: `audit verify MANIFEST` finds the log where `plan` and `apply` put it (beside the manifest
/// file, inside a manifest directory), from any directory.
#[test]
fn audit_verify_finds_the_log_beside_the_manifest_from_any_directory() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path().join("customers")).expect("mkdir");
    write_log(&ws.path().join("customers/bcprune.audit.jsonl"));
    std::fs::create_dir_all(ws.path().join("elsewhere")).expect("mkdir");
    for args in [
        &["audit", "verify", "../customers"][..],
        &["audit", "verify", "../customers/m.yaml"][..],
    ] {
        bcprune()
            .current_dir(ws.path().join("elsewhere"))
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::starts_with(
                "Audit log ../customers/bcprune.audit.jsonl is intact: 5 entries",
            ));
    }
}
