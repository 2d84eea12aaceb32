//! `bcprune report` (PRODUCT §9): one status per manifest entry, dates, the exact summary line, the state
//! serial and the audit head; offline.

use std::path::Path;

use bcprune::Resource;
use bcprune::audit::{AuditEntry, AuditLog, EventKind};
use bcprune::state::State;
use predicates::prelude::*;

use crate::support::{Workspace, apply_auto, bcprune, manifest_yaml, read_json, store};

fn ts(text: &str) -> jiff::Timestamp {
    text.parse().expect("timestamp")
}

/// A manifest mixing every status, a state and an audit log that agree, in `ws/m/`.
fn mixed(ws: &Workspace) -> std::path::PathBuf {
    let manifest = ws.write(
        "m/requests.yaml",
        "version: 1\nabsent:\n\
         - id: 1\n    reason: \"GDPR 1, \\\"first\\\"\"\n    received: 2026-10-01\n\
         - id: 2\n    reason: \"GDPR 2\"\n    received: 2026-11-15\n\
         - id: 3\n    reason: \"<b>GDPR</b> | *3*\"\n    received: 2026-10-20\n\
         - id: 4\n    reason: \"GDPR 4\"\n    received: 2026-11-25\n\
         - id: 5\n    reason: \"GDPR 5\"\n    received: 2026-10-01\n\
         - id: 6\nabsent_subscribers:\n\
         - id: 1\n    reason: \"GDPR 1\"\n    received: 2026-10-01\n"
            .replace("\n- ", "\n  - ")
            .as_str(),
    );
    let log_path = ws.path().join("m/bcprune.audit.jsonl");
    let mut log = AuditLog::open(&log_path, "tester").expect("open");
    // The lines that prove what the state records (PRODUCT §14): customer 1 and subscriber 1 listed
    // gone after their deletion, customer 3 found absent.
    for entry in [
        AuditEntry::new("run-1", EventKind::Verify).ids(&[1]),
        AuditEntry::new("run-1", EventKind::Verify)
            .ids(&[1])
            .field("resource", "subscriber"),
        AuditEntry::new("run-1", EventKind::FoundAbsent).ids(&[3]),
    ] {
        log.append(entry).expect("append");
    }
    let mut state = State::new("acme42", "00");
    state.record_deleted(1, ts("2026-10-11T09:00:00Z"), "run-1", None, true);
    state.record_deleted(2, ts("2026-11-20T09:00:00Z"), "run-1", None, false);
    state.record_absent(Resource::Customer, 3, ts("2026-10-25T09:00:00Z"), "run-1");
    state.record_deleted_as(
        Resource::Subscriber,
        1,
        ts("2026-10-12T09:00:00Z"),
        "run-1",
        None,
        true,
    );
    state.audit_head = Some(bcprune::state::AuditHead {
        seq: 3,
        hash: log.last_hash().to_string(),
    });
    state
        .save(&ws.path().join("m/bcprune.state.json"))
        .expect("save");
    manifest
}

/// `bcprune report` for store acme42 (the fixtures' store) as of `today`.
pub(crate) fn report(manifest: &Path, today: &str) -> assert_cmd::Command {
    let mut cmd = bcprune();
    cmd.env("BCPRUNE_TODAY", today)
        .env("BIGCOMMERCE_STORE_HASH", "acme42")
        .arg("report")
        .arg(manifest);
    cmd
}

#[test]
fn a_mixed_manifest_counts_each_entry_once_and_ends_with_the_exact_summary_line() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    let output = report(&manifest, "2026-12-01")
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.ends_with("\nReport: 2 erased, 1 unverified, 1 absent, 2 pending, 1 overdue.\n"),
        "{stdout}"
    );
    assert!(stdout.contains(", serial 1 (lineage "), "{stdout}");
    assert!(stdout.contains("head 3:"), "{stdout}");
    assert!(
        stdout.contains("it carries the state's head 3:"),
        "{stdout}"
    );

    let json: serde_json::Value = serde_json::from_slice(
        &report(&manifest, "2026-12-01")
            .args(["--format", "json"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("json");
    let status = |i: usize| {
        json["entries"][i]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let statuses: Vec<String> = (0..7).map(status).collect();
    assert_eq!(
        statuses,
        [
            "erased",
            "unverified",
            "absent",
            "pending",
            "overdue",
            "pending",
            "erased"
        ]
    );
    assert_eq!(json["entries"][0]["due"], "2026-11-01");
    assert_eq!(json["entries"][0]["days"], 10);
    assert_eq!(json["entries"][0]["verified"], true);
    assert_eq!(
        json["entries"][2]["found_absent_at"],
        "2026-10-25T09:00:00Z"
    );
    assert_eq!(json["entries"][6]["resource"], "subscriber");
    assert_eq!(json["state"]["serial"], 1);
    assert_eq!(json["audit_log"]["chain"], "intact");
    assert_eq!(json["audit_log"]["matches_state"], true);
    assert_eq!(json["summary"]["overdue"], 1);
    // Entry 5 is overdue (received 2026-10-01, nothing done); entry 1 (same date) was erased in time.
}

#[test]
fn overdue_exitcode_exits_2_only_when_an_entry_is_overdue() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    report(&manifest, "2026-12-01")
        .arg("--overdue-exitcode")
        .assert()
        .code(2);
    report(&manifest, "2026-12-01").assert().code(0);
}

#[test]
fn due_dates_of_29_to_31_january_fall_on_the_last_day_of_february() {
    let ws = Workspace::new();
    let manifest = ws.write(
        "jan.yaml",
        "version: 1\nabsent:\n  - id: 1\n    received: 2026-01-29\n  - id: 2\n    received: 2026-01-30\n  - id: 3\n    received: 2026-01-31\n  - id: 4\n    received: 2026-01-28\n",
    );
    let json = |today: &str| -> serde_json::Value {
        let out = report(&manifest, today)
            .args(["--format", "json"])
            .output()
            .expect("run");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let on_28th = json("2026-02-28");
    for i in 0..3 {
        assert_eq!(on_28th["entries"][i]["due"], "2026-02-28", "entry {i}");
        assert_eq!(
            on_28th["entries"][i]["status"], "pending",
            "due today is not overdue"
        );
    }
    assert_eq!(on_28th["entries"][3]["due"], "2026-02-28");
    report(&manifest, "2026-02-28")
        .arg("--overdue-exitcode")
        .assert()
        .code(0);
    report(&manifest, "2026-03-01")
        .arg("--overdue-exitcode")
        .assert()
        .code(2);
    let on_1st = json("2026-03-01");
    assert_eq!(on_1st["summary"]["overdue"], 4);
    report(&manifest, "2026-03-01")
        .assert()
        .success()
        .stdout(predicate::str::ends_with(
            "Report: 0 erased, 0 unverified, 0 absent, 0 pending, 4 overdue.\n",
        ));
}

#[test]
fn csv_quotes_reasons_as_rfc_4180_and_markdown_escapes_them() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    let csv = report(&manifest, "2026-12-01")
        .args(["--format", "csv"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&csv.stdout);
    let mut lines = text.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "resource,id,reason,received,due,status,erased_at,verified,days,found_absent_at,run_id,\
             request,days_late"
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "customer,1,\"GDPR 1, \"\"first\"\"\",2026-10-01,2026-11-01,erased,2026-10-11T09:00:00Z,true,10,,run-1,,"
        )
    );
    assert!(
        String::from_utf8_lossy(&csv.stderr)
            .ends_with("Report: 2 erased, 1 unverified, 1 absent, 2 pending, 1 overdue.\n"),
        "the summary goes to stderr so the CSV stays CSV"
    );
    let markdown = report(&manifest, "2026-12-01")
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&markdown.stdout);
    assert!(
        md.contains("| &lt;b&gt;GDPR&lt;/b&gt; \\| \\*3\\* |"),
        "{md}"
    );
    assert!(!md.contains("<b>"), "{md}");
    assert!(
        md.ends_with("\nReport: 2 erased, 1 unverified, 1 absent, 2 pending, 1 overdue.\n"),
        "{md}"
    );
}

#[test]
fn a_log_cut_short_is_said_and_the_report_exits_1() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    let log = ws.path().join("m/bcprune.audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("read");
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&log, kept.join("\n") + "\n").expect("write");
    report(&manifest, "2026-12-01")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Report: 2 erased"))
        .stderr(predicate::str::contains(
            "has 2 lines, but the state (serial 1) records its head at line 3",
        ));
}

#[test]
fn after_a_real_apply_deleted_and_already_absent_ids_are_erased_and_absent() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[3, 4, 100_000], ""));
    let applied = apply_auto(&sim, &manifest, &[])
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&applied.stdout);
    let state = read_json(&ws.path().join("bcprune.state.json"));
    let log = std::fs::read_to_string(ws.path().join("bcprune.audit.jsonl")).expect("log");
    let last: serde_json::Value =
        serde_json::from_str(log.lines().last().expect("a line")).expect("json");
    let shown = format!(
        "Audit log: {}, head {}:{}.",
        ws.path().join("bcprune.audit.jsonl").display(),
        last["seq"],
        &last["hash"].as_str().expect("hash")[..12]
    );
    assert!(
        stdout.contains(&shown),
        "apply ends with the log's head: {stdout}"
    );
    let saved_at = state["audit_head"]["seq"]
        .as_u64()
        .expect("the state records a head");
    assert!(
        saved_at >= 3 && saved_at < last["seq"].as_u64().expect("seq"),
        "the head at the last save"
    );
    assert_eq!(
        state["absent"][0]["id"], 100_000,
        "the ID found absent is recorded"
    );
    bcprune()
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .arg("report")
        .arg(&manifest)
        .assert()
        .success()
        .stdout(predicate::str::ends_with(
            "Report: 2 erased, 0 unverified, 1 absent, 0 pending, 0 overdue.\n",
        ));
    // The log verifies against the state's head.
    bcprune()
        .args(["audit", "verify", "--log"])
        .arg(ws.path().join("bcprune.audit.jsonl"))
        .assert()
        .success()
        .stdout(predicate::str::contains("It carries the head "));
}

#[test]
fn an_apply_with_nothing_to_delete_records_what_it_found_absent_once() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[100_001, 100_002], ""));
    apply_auto(&sim, &manifest, &[]).success();
    let state = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(state["absent"].as_array().map(Vec::len), Some(2));
    assert_eq!(state["serial"], 1);
    let log = std::fs::read_to_string(ws.path().join("bcprune.audit.jsonl")).expect("log");
    let events: Vec<String> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["event"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    // PRODUCT §14: each save is announced by a `state_saved` line (the records' digest), which is the
    // state's head.
    assert_eq!(
        events,
        [
            "apply_started",
            "found_absent",
            "apply_finished",
            "state_saved"
        ]
    );
    assert_eq!(
        state["audit_head"]["seq"], 4,
        "the head covers the whole run"
    );
    // Nothing new the second time: no file changes.
    apply_auto(&sim, &manifest, &[]).success();
    let again = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(again["serial"], 1);
}

#[test]
fn a_state_of_another_store_is_refused_not_reported_as_erasures() {
    let ws = Workspace::new();
    let manifest = ws.write(
        "m/requests.yaml",
        "version: 1\nstore_hash: other99\nabsent:\n  - id: 1\n    reason: \"GDPR 1\"\n",
    );
    let mut state = State::new("acme42", "00");
    state.record_deleted(1, ts("2026-10-11T09:00:00Z"), "run-1", None, true);
    state
        .save(&ws.path().join("m/bcprune.state.json"))
        .expect("save");
    // Customer 1 of store acme42 was erased; customer 1 of other99 is another person.
    report(&manifest, "2026-12-01")
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("erased").not())
        .stderr(predicate::str::contains("acme42").and(predicate::str::contains("other99")));
}

#[test]
fn the_store_is_taken_like_plan_and_another_stores_state_is_refused_when_the_manifest_names_none() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    // The manifest names no store; the environment or the flag does, and the state is acme42's.
    for cmd in [
        report(&manifest, "2026-12-01").env("BIGCOMMERCE_STORE_HASH", "other99"),
        report(&manifest, "2026-12-01").args(["--store-hash", "other99"]),
    ] {
        cmd.assert()
            .code(1)
            .stdout(predicate::str::contains("erased").not())
            .stderr(predicate::str::contains("acme42").and(predicate::str::contains("other99")));
    }
    // No store anywhere: refused as plan refuses it, not reported as whatever store the state names.
    report(&manifest, "2026-12-01")
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("no target store"));
    // The flag and the manifest must agree.
    let named = ws.write(
        "n/requests.yaml",
        "version: 1\nstore_hash: acme42\nabsent:\n  - id: 1\n    reason: \"GDPR 1\"\n",
    );
    report(&named, "2026-12-01")
        .args(["--store-hash", "other99"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("acme42").and(predicate::str::contains("other99")));
    // The right store: the report names it.
    report(&manifest, "2026-12-01")
        .assert()
        .stdout(predicate::str::contains("store acme42"));
}

/// PRODUCT §17: in the markdown report the dates never wrap in the middle on GitHub's narrow columns:
/// their hyphens are non-breaking (`&#8209;`), in every row.
#[test]
fn markdown_report_dates_do_not_wrap_at_their_hyphens() {
    let ws = Workspace::new();
    let manifest = mixed(&ws);
    let markdown = report(&manifest, "2026-12-01")
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&markdown.stdout);
    let row = md
        .lines()
        .find(|l| l.starts_with("| customer | 1 |"))
        .expect("customer 1's row");
    assert!(
        row.contains(
            "| 2026&#8209;10&#8209;01 | 2026&#8209;11&#8209;01 | erased | 2026&#8209;10&#8209;11T09:00:00Z |"
        ),
        "{row}"
    );
    for row in md
        .lines()
        .filter(|l| l.starts_with("| customer |") || l.starts_with("| subscriber |"))
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        for cell in &cells[3..cells.len().min(7)] {
            assert!(
                !cell.contains('-') || *cell == "-",
                "a breakable hyphen in {cell:?} of {row}"
            );
        }
    }
}

/// A manifest of requests: DSR-1 (a customer and a subscriber, erased in time), DSR-2 (erased 12 days
/// late), DSR-3 (one found absent, one pending), DSR-4 (nothing done, past due), DSR-5 (a deletion not
/// yet confirmed), and customer 6 listed without a request; the state and log agree.
pub(crate) fn requests(ws: &Workspace) -> std::path::PathBuf {
    let manifest = ws.write(
        "m/requests.yaml",
        "version: 1\nabsent:\n\
         - id: 1\n    received: 2026-10-01\n    request: DSR-1\n\
         - id: 2\n    received: 2026-10-01\n    request: DSR-2\n\
         - id: 3\n    received: 2026-11-25\n    request: DSR-3\n\
         - id: 4\n    received: 2026-11-25\n    request: DSR-3\n\
         - id: 5\n    received: 2026-10-01\n    request: DSR-4\n\
         - id: 6\n\
         - id: 7\n    received: 2026-11-25\n    request: DSR-5\n\
         absent_subscribers:\n\
         - id: 1\n    received: 2026-10-01\n    request: DSR-1\n"
            .replace("\n- ", "\n  - ")
            .as_str(),
    );
    let log_path = ws.path().join("m/bcprune.audit.jsonl");
    let mut log = AuditLog::open(&log_path, "tester").expect("open");
    for entry in [
        AuditEntry::new("run-1", EventKind::Verify).ids(&[1, 2]),
        AuditEntry::new("run-1", EventKind::Verify)
            .ids(&[1])
            .field("resource", "subscriber"),
        AuditEntry::new("run-1", EventKind::FoundAbsent).ids(&[3]),
    ] {
        log.append(entry).expect("append");
    }
    let mut state = State::new("acme42", "00");
    state.record_deleted(1, ts("2026-10-11T09:00:00Z"), "run-1", None, true);
    state.record_deleted(2, ts("2026-11-13T09:00:00Z"), "run-1", None, true);
    state.record_absent(Resource::Customer, 3, ts("2026-11-26T09:00:00Z"), "run-1");
    state.record_deleted(7, ts("2026-11-27T09:00:00Z"), "run-1", None, false);
    state.record_deleted_as(
        Resource::Subscriber,
        1,
        ts("2026-10-12T09:00:00Z"),
        "run-1",
        None,
        true,
    );
    state.audit_head = Some(bcprune::state::AuditHead {
        seq: 3,
        hash: log.last_hash().to_string(),
    });
    state
        .save(&ws.path().join("m/bcprune.state.json"))
        .expect("save");
    manifest
}

#[test]
fn report_by_request_gives_one_row_per_request_with_days_late_and_the_exact_summary_line() {
    let ws = Workspace::new();
    let manifest = requests(&ws);
    let output = report(&manifest, "2026-12-01")
        .args(["--by", "request"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.ends_with(
            "\nRequests: 6; 2 erased (1 late), 0 retained, 2 in progress, 1 pending, 1 overdue, \
             0 unproven.\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("erased, late 12 days"), "{stdout}");
    assert!(stdout.contains("(customer 6)"), "{stdout}");
    assert!(
        stdout.contains("What stays in the store for every request"),
        "{stdout}"
    );

    let json = |format: &str| {
        report(&manifest, "2026-12-01")
            .args(["--by", "request", "--format", format])
            .output()
            .expect("run")
    };
    let doc: serde_json::Value = serde_json::from_slice(&json("json").stdout).expect("json");
    let rows = doc["requests"].as_array().expect("rows");
    let shown: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["request"].as_str().unwrap_or("-").to_string(),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected = [
        ("DSR-1", "erased"),
        ("DSR-2", "erased"),
        ("DSR-3", "in progress"),
        ("DSR-4", "overdue"),
        ("-", "pending"),
        ("DSR-5", "in progress"),
    ];
    assert_eq!(shown, expected.map(|(a, b)| (a.to_string(), b.to_string())));
    // DSR-1: customer and subscriber; settled when the later record was (12 October), in time.
    assert_eq!(rows[0]["records"].as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["counts"]["erased"], 2);
    assert_eq!(rows[0]["settled_at"], "2026-10-12T09:00:00Z");
    assert_eq!(rows[0]["days_taken"], 11);
    assert_eq!(rows[0]["days_late"], 0);
    assert_eq!(rows[1]["due"], "2026-11-01");
    assert_eq!(rows[1]["days_late"], 12);
    assert_eq!(rows[2]["settled_at"], serde_json::Value::Null);
    assert_eq!(doc["summary"]["erased_late"], 1);

    // The per-record report marks the late erasure too.
    let records = report(&manifest, "2026-12-01").output().expect("run");
    let text = String::from_utf8_lossy(&records.stdout);
    assert!(text.contains("erased, late 12 days"), "{text}");
    let records: serde_json::Value = serde_json::from_slice(
        &report(&manifest, "2026-12-01")
            .args(["--format", "json"])
            .output()
            .expect("run")
            .stdout,
    )
    .expect("json");
    assert_eq!(records["entries"][1]["days_late"], 12);
    assert_eq!(records["entries"][0]["days_late"], serde_json::Value::Null);
    assert_eq!(records["entries"][1]["request"], "DSR-2");

    // CSV: the report's writer, one line per request after the header.
    let csv = String::from_utf8(json("csv").stdout).expect("utf-8");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 7, "{csv}");
    assert!(lines[0].starts_with("request,records,erased,"), "{csv}");
    assert!(lines[2].starts_with("DSR-2,1,1,"), "{csv}");
    assert!(
        lines[2].ends_with(",erased,,2026-11-13T09:00:00Z,43,12"),
        "{csv}"
    );

    // --overdue-exitcode as before: DSR-4's customer is overdue.
    report(&manifest, "2026-12-01")
        .args(["--by", "request", "--overdue-exitcode"])
        .assert()
        .code(2);
}

/// Report tables, per record and per request, end no line in blanks: a terminal narrower than the
/// padded table would wrap each row into an empty line.
#[test]
fn report_tables_end_no_line_in_blanks() {
    let ws = Workspace::new();
    let manifest = requests(&ws);
    for by in ["record", "request"] {
        let output = report(&manifest, "2026-12-01")
            .args(["--by", by])
            .output()
            .expect("report");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            stdout.contains(" ID ") || stdout.contains("REQUEST"),
            "{stdout}"
        );
        assert!(
            stdout.lines().all(|l| l == l.trim_end()),
            "--by {by}:\n{stdout:?}"
        );
    }
}
