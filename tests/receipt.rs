//! Receipts (PRODUCT §16): `report --receipt REQUEST` writes, for a settled request, each record with the
//! audit line that proves it and the head; `audit verify --receipt FILE` checks every claim against the
//! log. An edited receipt, or a log cut short or rewritten, does not verify.

use std::collections::BTreeMap;
use std::path::Path;

use bcprune::Resource;
use bcprune::audit::{AuditEntry, AuditLog, EventKind};
use bcprune::by_request::{RecordRef, RequestRow, RequestStatus};
use bcprune::report::{Counts, Status};
use proptest::prelude::*;

use crate::report::{report, requests};
use crate::support::{Workspace, bcprune};

fn verify(receipt: &Path, log: &Path) -> std::process::Output {
    bcprune()
        .args(["audit", "verify", "--receipt"])
        .arg(receipt)
        .arg("--log")
        .arg(log)
        .output()
        .expect("run")
}

#[test]
fn a_receipt_of_a_settled_request_verifies_and_an_edit_or_a_cut_log_does_not() {
    let ws = Workspace::new();
    let manifest = requests(&ws);
    let log = ws.path().join("m/bcprune.audit.jsonl");
    let file = ws.path().join("dsr-1.json");
    report(&manifest, "2026-12-01")
        .args(["--receipt", "DSR-1", "--format", "json", "--out"])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "Wrote the receipt of request DSR-1 to",
        ));
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(receipt["request"], "DSR-1");
    assert_eq!(receipt["status"], "erased");
    assert_eq!(receipt["received"], "2026-10-01");
    assert_eq!(receipt["due"], "2026-11-01");
    assert_eq!(receipt["audit_head"]["seq"], 3);
    let records = receipt["records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["resource"], "customer");
    assert_eq!(records[0]["done"], "erased");
    assert_eq!(records[0]["proof"]["seq"], 1);
    assert_eq!(records[0]["proof"]["event"], "verify");
    assert_eq!(records[1]["resource"], "subscriber");
    assert_eq!(records[1]["proof"]["seq"], 2);
    assert!(
        receipt["stays"]
            .as_array()
            .expect("stays")
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.starts_with("transactions"))),
        "{receipt}"
    );

    let ok = verify(&file, &log);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("(request DSR-1) verifies against the audit log")
            && stdout.contains("2 records proven by 2 lines, head 3:"),
        "{stdout}"
    );

    // With the manifest it was made from: its records are exactly the request's.
    let with_manifest = bcprune()
        .args(["audit", "verify", "--receipt"])
        .arg(&file)
        .arg(ws.path().join("m"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&with_manifest.stdout);
    assert_eq!(with_manifest.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("lists exactly these records under request DSR-1, received 2026-10-01."),
        "{stdout}"
    );
    // Customer 1 swapped for customer 2 (erased too, by the same line, but DSR-2's): only the manifest
    // can tell.
    let swapped = ws.path().join("swapped.json");
    let mut changed = receipt.clone();
    changed["records"][0]["id"] = 2.into();
    std::fs::write(&swapped, changed.to_string()).expect("write");
    let out = bcprune()
        .args(["audit", "verify", "--receipt"])
        .arg(&swapped)
        .arg(ws.path().join("m"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the manifest lists customer 1 under request DSR-1, the receipt does not")
            && stderr.contains("the receipt lists customer 2, which the manifest does not list"),
        "{stderr}"
    );

    // An edited receipt: the subscriber's ID changed.
    let edited = ws.path().join("edited.json");
    let mut changed = receipt.clone();
    changed["records"][1]["id"] = 2.into();
    std::fs::write(&edited, changed.to_string()).expect("write");
    let out = verify(&edited, &log);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("line 2 is not what proves subscriber 2 gone as of the head 3"),
        "{stderr}"
    );

    // The log cut short before the head: named.
    let text = std::fs::read_to_string(&log).expect("log");
    let cut = ws.path().join("cut.jsonl");
    let first_two: String = text.split_inclusive('\n').take(2).collect();
    std::fs::write(&cut, first_two).expect("write");
    let out = verify(&file, &cut);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the head 3:") && stderr.contains("is not in the log: it has 2 lines"),
        "{stderr}"
    );

    // Markdown, for the DPO: the request, each record and its line, the head, what stays.
    let md = report(&manifest, "2026-12-01")
        .args(["--receipt", "DSR-1"])
        .output()
        .expect("run");
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.starts_with("### Erasure receipt: request DSR-1\n"),
        "{md}"
    );
    assert!(md.contains("| customer | 1 | erased |"), "{md}");
    assert!(md.contains("**What stays in the store:**"), "{md}");

    // A request not settled, or not in the manifest: no receipt, exit 1.
    for (request, says) in [
        (
            "DSR-3",
            "request DSR-3 is in progress: a receipt is written once",
        ),
        ("DSR-9", "no entry of the manifest has `request: DSR-9`"),
    ] {
        report(&manifest, "2026-12-01")
            .args(["--receipt", request])
            .assert()
            .code(1)
            .stderr(predicates::str::contains(says));
    }
}

/// One random line of a log: a proving line, a reappearance or noise, of some records.
#[derive(Debug, Clone)]
enum Op {
    Verify(Resource, Vec<u32>),
    FoundAbsent(Vec<u32>, Vec<u32>),
    Reappeared(Vec<u32>),
    Noise,
}

fn ids() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(1u32..8, 1..4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop_oneof![Just(Resource::Customer), Just(Resource::Subscriber)], ids())
            .prop_map(|(r, ids)| Op::Verify(r, ids)),
        2 => (ids(), ids()).prop_map(|(c, s)| Op::FoundAbsent(c, s)),
        1 => ids().prop_map(Op::Reappeared),
        1 => Just(Op::Noise),
    ]
}

/// Write the log of `ops` (a `state_saved` line of store acme42 first) at `path`.
fn write_log(path: &Path, ops: &[Op]) {
    let mut log = AuditLog::open(path, "tester").expect("open");
    log.append(AuditEntry::new("run-0", EventKind::StateSaved).store_hash("acme42"))
        .expect("append");
    for op in ops {
        let entry = match op {
            Op::Verify(Resource::Subscriber, ids) => AuditEntry::new("run-1", EventKind::Verify)
                .ids(ids)
                .field("resource", "subscriber"),
            Op::Verify(_, ids) => AuditEntry::new("run-1", EventKind::Verify).ids(ids),
            Op::FoundAbsent(customers, subscribers) => {
                AuditEntry::new("run-1", EventKind::FoundAbsent)
                    .ids(customers)
                    .field("subscriber_ids", subscribers.clone())
            }
            Op::Reappeared(ids) => AuditEntry::new("run-2", EventKind::Reappeared).ids(ids),
            Op::Noise => AuditEntry::new("run-1", EventKind::ApplyFinished).message("done"),
        };
        log.append(entry).expect("append");
    }
}

/// The requests of the proven records: each record goes to the request `assign` picks; a request may
/// also hold an order retained until a date.
fn rows(
    proof: &bcprune::evidence::Proof,
    assign: &[usize],
    retained: &[bool],
    received: Option<jiff::civil::Date>,
) -> Vec<RequestRow> {
    let mut by: BTreeMap<usize, Vec<RecordRef>> = BTreeMap::new();
    let mut n = 0;
    for resource in [Resource::Customer, Resource::Subscriber] {
        for id in 1u32..8 {
            if proof.proves(resource, id) {
                let request = assign[n % assign.len()];
                n += 1;
                by.entry(request).or_default().push(RecordRef {
                    resource,
                    id,
                    status: Status::Erased,
                });
            }
        }
    }
    by.into_iter()
        .map(|(request, mut records)| {
            let keep = retained[request % retained.len()];
            if keep {
                records.push(RecordRef {
                    resource: Resource::Customer,
                    id: 9000 + request as u32,
                    status: Status::Retained {
                        until: jiff::civil::date(2034, 12, 31),
                    },
                });
            }
            RequestRow {
                request: Some(format!("DSR-{request}")),
                records,
                counts: Counts::default(),
                received,
                // As the manifest makes it: one calendar month later.
                due: received.map(|r| r.checked_add(jiff::Span::new().months(1)).expect("date")),
                status: if keep {
                    RequestStatus::Retained
                } else {
                    RequestStatus::Erased
                },
                retained_until: None,
                settled_at: None,
                days_taken: None,
                days_late: None,
                stays: vec!["order messages".to_string()],
            }
        })
        .collect()
}

/// The manifest of `rows`: each request's customers and subscribers with `request:` and `received`
/// (retained orders are found through customers, not listed).
fn manifest_of(ws: &Workspace, rows: &[RequestRow]) -> bcprune::manifest::Manifest {
    let mut lists: BTreeMap<Resource, String> = BTreeMap::new();
    for row in rows {
        for record in row.records.iter().filter(|r| r.status == Status::Erased) {
            let mut entry = format!(
                "  - id: {}\n    request: {}\n",
                record.id,
                row.request.as_deref().unwrap_or_default()
            );
            if let Some(received) = row.received {
                entry.push_str(&format!("    received: {received}\n"));
            }
            lists.entry(record.resource).or_default().push_str(&entry);
        }
    }
    let list = |resource| {
        lists
            .get(&resource)
            .map_or_else(|| " []\n".to_string(), |l| format!("\n{l}"))
    };
    let path = ws.write(
        "m.yaml",
        format!(
            "version: 1\nabsent:{}absent_subscribers:{}",
            list(Resource::Customer),
            list(Resource::Subscriber)
        ),
    );
    let today = jiff::civil::date(2026, 12, 1);
    bcprune::manifest::load_with(&path, &bcprune::manifest::Options { today }).expect("manifest")
}

/// The claims of a receipt, as JSON pointers: what `audit verify --receipt` must back by the log.
fn claims(receipt: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/request",
        "/manifest_sha256",
        "/received",
        "/due",
        "/store_hash",
        "/status",
        "/settled_at",
        "/days_taken",
        "/days_late",
        "/audit_head/seq",
        "/audit_head/hash",
    ]
    .map(String::from)
    .to_vec();
    let n = receipt["records"].as_array().map_or(0, Vec::len);
    for i in 0..n {
        // A retained order has no audit line yet (no line records a retention) and is found through its
        // customer, not listed: its ID and date are the state's word, as `audit verify` says.
        if receipt["records"][i]["done"] == "retained" {
            paths.push(format!("/records/{i}/at"));
            paths.push(format!("/records/{i}/proof"));
            continue;
        }
        for field in [
            "resource",
            "id",
            "done",
            "at",
            "retained_until",
            "proof/seq",
            "proof/hash",
            "proof/event",
        ] {
            paths.push(format!("/records/{i}/{field}"));
        }
    }
    paths
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_receipt_of_an_intact_log_verifies_and_any_one_byte_change_is_caught(
        ops in prop::collection::vec(op(), 1..12),
        assign in prop::collection::vec(0usize..3, 1..6),
        retained in prop::collection::vec(any::<bool>(), 1..4),
        received in prop::option::of(0i64..400),
        pick in any::<prop::sample::Index>(),
        position in any::<prop::sample::Index>(),
        byte in 0x20u8..0x7f,
    ) {
        let ws = Workspace::new();
        let log = ws.path().join("audit.jsonl");
        write_log(&log, &ops);
        let proof = bcprune::evidence::prove(&log, None, "acme42").expect("proof");
        let received = received.map(|d| jiff::civil::date(2025, 1, 1).checked_add(jiff::Span::new().days(d)).expect("date"));
        let path = ws.path().join("receipt.json");
        let rows = rows(&proof, &assign, &retained, received);
        let manifest = manifest_of(&ws, &rows);
        let verify = |receipt: &bcprune::receipt::Receipt, log: &Path| {
            bcprune::receipt::verify(receipt, &path, log, Some(&manifest))
        };
        for row in rows {
            let receipt = bcprune::receipt::make(&row, &manifest.sha256, "acme42", &log).expect("make");
            prop_assert!(verify(&receipt, &log).is_ok(), "{receipt:?}: {:?}", verify(&receipt, &log));

            // One byte of one claim changed: caught (or the receipt no longer reads).
            let value = serde_json::to_value(&receipt).expect("json");
            let claims = claims(&value);
            let pointer = pick.get(&claims);
            let Some(leaf) = value.pointer(pointer) else { continue };
            let mut text = leaf.to_string().into_bytes();
            let at = position.index(text.len());
            if text[at] == byte { continue; }
            text[at] = byte;
            let Ok(new_leaf) = serde_json::from_slice::<serde_json::Value>(&text) else { continue };
            let mut edited = value.clone();
            *edited.pointer_mut(pointer).expect("pointer") = new_leaf;
            let Ok(edited) = serde_json::from_value::<bcprune::receipt::Receipt>(edited) else { continue };
            if edited == receipt { continue; }
            prop_assert!(
                verify(&edited, &log).is_err(),
                "{pointer} edited to {} verified", String::from_utf8_lossy(&text)
            );

            // One byte of the log changed: caught.
            let original = std::fs::read(&log).expect("log");
            let mut bytes = original.clone();
            let at = position.index(bytes.len());
            if bytes[at] != byte {
                bytes[at] = byte;
                let changed = ws.path().join("changed.jsonl");
                std::fs::write(&changed, &bytes).expect("write");
                prop_assert!(
                    verify(&receipt, &changed).is_err(),
                    "log byte {at} changed to {byte} verified"
                );
            }
        }
    }
}

/// The command `report --receipt … --out FILE` suggests to check the receipt runs as written, from
/// wherever the report was made (a DPO pastes it; nothing tells them where the log is).
#[test]
fn the_check_a_written_receipt_suggests_runs_as_written() {
    let ws = Workspace::new();
    let manifest = requests(&ws);
    let file = ws.path().join("dsr-1.json");
    let written = report(&manifest, "2026-12-01")
        .args(["--receipt", "DSR-1", "--format", "json", "--out"])
        .arg(&file)
        .output()
        .expect("report");
    assert_eq!(written.status.code(), Some(0), "{written:?}");
    let stderr = String::from_utf8_lossy(&written.stderr).to_string();
    let command = stderr
        .split("Check it with: bcprune ")
        .nth(1)
        .expect("a suggested check")
        .trim();
    let output = bcprune()
        .args(command.split_whitespace())
        .output()
        .expect("run the suggested check");
    assert_eq!(
        output.status.code(),
        Some(0),
        "`bcprune {command}`: {output:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("verifies against the audit log"),
        "{stdout}"
    );
}
