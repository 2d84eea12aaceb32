//! Integration tests: `bcprune audit verify` on logs written through the library, intact and tampered with.

use std::path::Path;

use bcprune::audit::{AuditEntry, AuditLog, EventKind};
use predicates::prelude::*;

use crate::support::{Workspace, bcprune};

/// Write a log of two runs (5 lines) at `path` through the library API; returns its last hash.
#[track_caller]
fn write_log(path: &Path) -> String {
    let mut log = AuditLog::open(path).expect("open");
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
    insta::assert_snapshot!(String::from_utf8_lossy(&output), @"error: cannot read the audit log nope.jsonl: No such file or directory (os error 2). Pass the log with --log FILE (default: ./bcprune.audit.jsonl, or the --audit-log given to apply)");
}
