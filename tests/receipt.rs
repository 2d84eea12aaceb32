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
        stderr.contains("line 2 is not what proves subscriber 2 erased as of the head 3"),
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
    assert!(
        md.contains("**What stays in the store** (bcprune cannot"),
        "{md}"
    );

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

/// One random line of a log: a proving line (of customers, subscribers or orders — an order's
/// redaction), orders recorded of customers with their retained-until dates, a reappearance or noise.
#[derive(Debug, Clone)]
enum Op {
    Verify(Resource, Vec<u32>),
    FoundAbsent(Vec<u32>, Vec<u32>),
    /// (order, customer, days after 2027-01-01 it is retained until)
    Recorded(Vec<(u32, u32, i64)>),
    Reappeared(Vec<u32>),
    Noise,
}

fn ids() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(1u32..8, 1..4)
}

fn order_ids() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(100u32..108, 1..4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop_oneof![Just(Resource::Customer), Just(Resource::Subscriber)], ids())
            .prop_map(|(r, ids)| Op::Verify(r, ids)),
        2 => order_ids().prop_map(|ids| Op::Verify(Resource::Order, ids)),
        2 => (ids(), ids()).prop_map(|(c, s)| Op::FoundAbsent(c, s)),
        2 => prop::collection::vec((100u32..108, 1u32..8, 0i64..4000), 1..4).prop_map(Op::Recorded),
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
            Op::Verify(Resource::Customer, ids) => {
                AuditEntry::new("run-1", EventKind::Verify).ids(ids)
            }
            Op::Verify(resource, ids) => AuditEntry::new("run-1", EventKind::Verify)
                .ids(ids)
                .field("resource", resource.as_str()),
            Op::FoundAbsent(customers, subscribers) => {
                AuditEntry::new("run-1", EventKind::FoundAbsent)
                    .ids(customers)
                    .field("subscriber_ids", subscribers.clone())
            }
            Op::Recorded(orders) => {
                let day = |d: i64| {
                    jiff::civil::date(2027, 1, 1)
                        .checked_add(jiff::Span::new().days(d))
                        .expect("date")
                        .to_string()
                };
                AuditEntry::new("run-1", EventKind::OrdersRecorded)
                    .ids(&orders.iter().map(|o| o.0).collect::<Vec<_>>())
                    .field(
                        "customer_ids",
                        orders.iter().map(|o| o.1).collect::<Vec<_>>(),
                    )
                    .field(
                        "retained_until",
                        orders.iter().map(|o| day(o.2)).collect::<Vec<_>>(),
                    )
                    .field("resource", "order")
            }
            Op::Reappeared(ids) => AuditEntry::new("run-2", EventKind::Reappeared).ids(ids),
            Op::Noise => AuditEntry::new("run-1", EventKind::ApplyFinished).message("done"),
        };
        log.append(entry).expect("append");
    }
}

/// The requests of the proven records, as the report finds them: each proven customer and subscriber
/// goes to the request `assign` picks, with every order the log records of that customer (redacted
/// when the log proves it, else retained until its recorded date); an order proven redacted that no
/// line records of a customer is a guest's, assigned like the rest.
fn rows(
    proof: &bcprune::evidence::Proof,
    assign: &[usize],
    received: Option<jiff::civil::Date>,
) -> Vec<RequestRow> {
    let mut by: BTreeMap<usize, Vec<RecordRef>> = BTreeMap::new();
    let mut n = 0;
    let mut next = || {
        let request = assign[n % assign.len()];
        n += 1;
        request
    };
    for resource in [Resource::Customer, Resource::Subscriber] {
        for id in 1u32..8 {
            if proof.proves(resource, id) {
                let request = next();
                let records = by.entry(request).or_default();
                records.push(RecordRef {
                    resource,
                    id,
                    status: Status::Erased,
                });
                if resource != Resource::Customer {
                    continue;
                }
                for (&order, &(_, until)) in proof.orders().iter().filter(|(_, o)| o.0 == id) {
                    let status = if proof.proves(Resource::Order, order) {
                        Status::Redacted
                    } else {
                        Status::Retained { until }
                    };
                    records.push(RecordRef {
                        resource: Resource::Order,
                        id: order,
                        status,
                    });
                }
            }
        }
    }
    for order in 100u32..108 {
        if proof.proves(Resource::Order, order) && !proof.orders().contains_key(&order) {
            by.entry(next()).or_default().push(RecordRef {
                resource: Resource::Order,
                id: order,
                status: Status::Redacted,
            });
        }
    }
    by.into_iter()
        .map(|(request, records)| {
            let keep = records
                .iter()
                .any(|r| matches!(r.status, Status::Retained { .. }));
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
                stays: Vec::new(),
            }
        })
        .collect()
}

/// The manifest of `rows`: each request's customers (`orders: redact`), subscribers and guests'
/// orders with `request:` and `received` (customers' orders are found through them, not listed).
fn manifest_of(
    ws: &Workspace,
    rows: &[RequestRow],
    proof: &bcprune::evidence::Proof,
) -> bcprune::manifest::Manifest {
    let mut lists: BTreeMap<Resource, String> = BTreeMap::new();
    for row in rows {
        for record in &row.records {
            let guest =
                record.resource == Resource::Order && !proof.orders().contains_key(&record.id);
            if record.resource == Resource::Order && !guest {
                continue;
            }
            let mut entry = format!(
                "  - id: {}\n    request: {}\n",
                record.id,
                row.request.as_deref().unwrap_or_default()
            );
            if record.resource == Resource::Customer {
                entry.push_str("    orders: redact\n");
            }
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
            "version: 1\norders_retention:\n  years: 8\n  basis: law\nabsent:{}absent_subscribers:{}redact_orders:{}",
            list(Resource::Customer),
            list(Resource::Subscriber),
            list(Resource::Order)
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
        "/stays/0",
    ]
    .map(String::from)
    .to_vec();
    let n = receipt["records"].as_array().map_or(0, Vec::len);
    for i in 0..n {
        for field in [
            "resource",
            "id",
            "done",
            "at",
            "retained_until",
            "customer_id",
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
        let rows = rows(&proof, &assign, received);
        let manifest = manifest_of(&ws, &rows, &proof);
        let verify = |receipt: &bcprune::receipt::Receipt, log: &Path| {
            bcprune::receipt::verify(receipt, &path, log, Some(&manifest))
        };
        for row in rows {
            let receipt = bcprune::receipt::make(&row, &manifest.sha256, "acme42", &log).expect("make");
            prop_assert!(verify(&receipt, &log).is_ok(), "{receipt:?}: {:?}", verify(&receipt, &log));

            let value = serde_json::to_value(&receipt).expect("json");
            // Each order left out, and each retained order's date moved by a day: caught.
            for (i, record) in receipt.records.iter().enumerate() {
                if record.resource != Resource::Order {
                    continue;
                }
                let mut left_out = receipt.clone();
                left_out.records.remove(i);
                prop_assert!(verify(&left_out, &log).is_err(), "order {} left out verified", record.id);
                if let Some(until) = record.retained_until {
                    prop_assert!(record.proof.as_ref().is_some_and(|p| p.event == "orders_recorded"));
                    let mut moved = receipt.clone();
                    moved.records[i].retained_until = until.tomorrow().ok();
                    prop_assert!(verify(&moved, &log).is_err(), "order {} date moved verified", record.id);
                }
            }

            // One byte of one claim changed: caught (or the receipt no longer reads).
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

/// A request with a customer whose orders are redacted once their retention ends, and a newsletter
/// subscription, carried out against the fake store through the CLI (plan, apply, report): while
/// orders are kept the request is `retained` until the latest order's date and the report says so in
/// what stays; the receipt lists every order — redacted with the line that proves it, retained with
/// its date and the `orders_recorded` line that fixed it — and `audit verify --receipt` catches an
/// edited date, an order left out or added, and a cut log. Once every order is redacted the request
/// is `erased`.
#[test]
fn a_request_with_orders_is_retained_until_the_last_order_date_then_erased_and_its_receipt_proves_each_order()
 {
    use crate::support::{bcprune_at, store_with};
    use bcprune::sim::SimConfig;
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .subscribers(20)
            .unlimited()
            .orders_for(5, 6),
    );
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 8\n  from: end_of_year\n  basis: \"§147 AO\"\n\
         absent:\n  - id: 5\n    reason: GDPR erasure request\n    received: 2026-11-20\n    \
         request: DSR-2026-0043\n    orders: redact\n\
         absent_subscribers:\n  - id: 3\n    reason: GDPR erasure request\n    received: 2026-11-20\n    \
         request: DSR-2026-0043\n",
    );
    let run = |today: &str, args: &[&str]| {
        let out = bcprune_at(&sim)
            .env("BCPRUNE_TODAY", today)
            .args(args)
            .arg(&manifest)
            .output()
            .expect("run");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            text,
        )
    };
    let order_count = sim.orders_of(5).len();
    let (code, _, text) = run("2026-12-02", &["plan"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, _, text) = run("2026-12-02", &["apply", "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");

    // The report per request: retained until the latest order's date, said in what stays.
    let (code, json, text) = run(
        "2026-12-02",
        &["report", "--by", "request", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{text}");
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let row = &json["requests"][0];
    assert_eq!(json["requests"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(row["request"], "DSR-2026-0043", "{row}");
    assert_eq!(row["status"], "retained", "{row}");
    let until = row["retained_until"]
        .as_str()
        .expect("retained_until")
        .to_string();
    let kept: Vec<String> = row["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["status"].get("retained").is_some())
        .map(|r| r["id"].to_string())
        .collect();
    let kept = kept.join(", ");
    let (_, table, _) = run("2026-12-02", &["report", "--by", "request"]);
    assert!(
        table.contains(&format!("retained until {until}")),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "What stays of DSR-2026-0043: orders {kept}, kept for the law, the last until {until}, then redacted."
        )),
        "{table}"
    );
    assert!(
        table.contains("Requests: 1; 0 erased (0 late), 1 retained,"),
        "{table}"
    );

    // The receipt: each order, redacted with its proof or retained with its recording line.
    let file = ws.path().join("receipt.json");
    let (code, _, text) = run(
        "2026-12-02",
        &[
            "report",
            "--receipt",
            "DSR-2026-0043",
            "--format",
            "json",
            "--out",
            file.to_str().expect("path"),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(receipt["status"], "retained", "{receipt}");
    let records = receipt["records"].as_array().expect("records").clone();
    let orders: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["resource"] == "order")
        .collect();
    assert_eq!(orders.len(), order_count, "{receipt}");
    let redacted = orders.iter().filter(|r| r["done"] == "redacted").count();
    let retained: Vec<&&serde_json::Value> =
        orders.iter().filter(|r| r["done"] == "retained").collect();
    assert!(redacted > 0 && !retained.is_empty(), "{receipt}");
    for order in &orders {
        assert_eq!(order["customer_id"], 5, "{order}");
        let event = &order["proof"]["event"];
        if order["done"] == "retained" {
            assert_eq!(event, "orders_recorded", "{order}");
            assert!(order["retained_until"].is_string(), "{order}");
        } else {
            assert_eq!(event, "verify", "{order}");
        }
    }
    assert_eq!(
        retained
            .iter()
            .filter_map(|r| r["retained_until"].as_str())
            .max(),
        Some(until.as_str())
    );
    assert_eq!(
        receipt["stays"][0],
        format!("orders {kept}, kept for the law, the last until {until}, then redacted")
    );
    let log = ws.path().join("bcprune.audit.jsonl");
    let verify_with = |file: &Path, log: &Path, manifest: Option<&Path>| {
        let mut cmd = bcprune();
        cmd.args(["audit", "verify", "--receipt"])
            .arg(file)
            .arg("--log")
            .arg(log);
        if let Some(m) = manifest {
            cmd.arg(m).env("BCPRUNE_TODAY", "2026-12-02");
        }
        let out = cmd.output().expect("run");
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, text) = verify_with(&file, &log, Some(&manifest));
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "retained orders, the last until {until}: each date as"
        )),
        "{text}"
    );

    // Edited: a retained order's date moved earlier; an order left out; an order added.
    let index = records
        .iter()
        .position(|r| r["done"] == "retained")
        .expect("retained");
    let id = records[index]["id"].as_u64().expect("id");
    let mut edits = Vec::new();
    let mut earlier = receipt.clone();
    earlier["records"][index]["retained_until"] = "2027-01-01".into();
    edits.push((
        earlier,
        format!("order {id} is said retained until 2027-01-01, but line"),
    ));
    let mut removed = receipt.clone();
    removed["records"]
        .as_array_mut()
        .expect("records")
        .remove(index);
    edits.push((
        removed,
        format!("records order {id} of customer 5 (retained until"),
    ));
    let mut added = receipt.clone();
    let mut extra = records[index].clone();
    extra["id"] = 999_999.into();
    added["records"]
        .as_array_mut()
        .expect("records")
        .push(extra);
    edits.push((
        added,
        "order 999999 is said retained, but no line of the log records it".to_string(),
    ));
    for (n, (edited, says)) in edits.into_iter().enumerate() {
        let path = ws.path().join(format!("edited-{n}.json"));
        std::fs::write(&path, edited.to_string()).expect("write");
        let (code, text) = verify_with(&path, &log, None);
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains(&says), "{says}: {text}");
        // With the manifest, the order removed or added is named as the request's or not.
        let (code, _) = verify_with(&path, &log, Some(&manifest));
        assert_eq!(code, Some(1));
    }
    // The log cut before the line recording the retained order.
    let seq = records[index]["proof"]["seq"].as_u64().expect("seq") as usize;
    let text = std::fs::read_to_string(&log).expect("log");
    let cut = ws.path().join("cut.jsonl");
    std::fs::write(
        &cut,
        text.split_inclusive('\n').take(seq - 1).collect::<String>(),
    )
    .expect("write");
    let (code, text) = verify_with(&file, &cut, None);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "order {id} cites line {seq}, which the log does not have"
        )),
        "{text}"
    );

    // Every retention over — the retention shortened to none (plan and apply take today from the clock,
    // not from BCPRUNE_TODAY): apply redacts the rest, and the request is erased.
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("years: 8", "years: 0")).expect("write");
    let (code, _, text) = run("2026-12-02", &["apply", "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("3 orders redacted") || text.contains("orders redacted"),
        "{text}"
    );
    let (code, json, text) = run(
        "2026-12-02",
        &["report", "--by", "request", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{text}");
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(json["requests"][0]["status"], "erased", "{json}");
    assert_eq!(
        json["requests"][0]["retained_until"],
        serde_json::Value::Null
    );
    let (code, md, text) = run("2026-12-02", &["report", "--receipt", "DSR-2026-0043"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!md.contains("kept for the law"), "{md}");
}

/// A guest's order (no customer account) still within its retention, carried out through the CLI
/// (plan, apply, report): apply records it with its retained-until date like a customer's order, so
/// the report shows it `retained until` that date — not `pending` — and its request is `retained`.
#[test]
fn a_retained_guest_order_is_recorded_and_its_request_reported_retained() {
    use crate::support::{bcprune_at, store_with};
    use bcprune::sim::SimConfig;
    let sim = store_with(
        SimConfig::default()
            .customers(5)
            .unlimited()
            .guest_orders("guest@example.com", 1),
    );
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 3\n  basis: \"§147 AO\"\n\
         absent: []\n\
         redact_orders:\n  - id: 100\n    reason: GDPR erasure request\n    received: 2026-11-20\n    \
         request: DSR-2026-0050\n",
    );
    let run = |args: &[&str]| {
        let out = bcprune_at(&sim)
            .env("BCPRUNE_TODAY", "2026-12-02")
            .args(args)
            .arg(&manifest)
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let text = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        (out.status.code(), stdout, text)
    };
    let (code, _, text) = run(&["plan"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, _, text) = run(&["apply", "--auto-approve"]);
    assert_eq!(code, Some(0), "{text}");

    // Order 100 was created 2024-02-29: retained 3 years, until 2027-02-28.
    let (code, table, text) = run(&["report"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(table.contains("retained until 2027-02-28"), "{table}");
    let (code, json, text) = run(&["report", "--by", "request", "--format", "json"]);
    assert_eq!(code, Some(0), "{text}");
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let row = &json["requests"][0];
    assert_eq!(row["request"], "DSR-2026-0050", "{row}");
    assert_eq!(row["status"], "retained", "{row}");
    assert_eq!(row["retained_until"], "2027-02-28", "{row}");

    // Its receipt: the order retained with the line that fixed its date, no customer named.
    let file = ws.path().join("receipt.json");
    let (code, _, text) = run(&[
        "report",
        "--receipt",
        "DSR-2026-0050",
        "--format",
        "json",
        "--out",
        file.to_str().expect("path"),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(receipt["status"], "retained", "{receipt}");
    let order = &receipt["records"][0];
    assert_eq!(order["done"], "retained", "{receipt}");
    assert_eq!(order["retained_until"], "2027-02-28", "{receipt}");
    assert!(
        order
            .get("customer_id")
            .is_none_or(serde_json::Value::is_null),
        "{receipt}"
    );
    let log = ws.path().join("bcprune.audit.jsonl");
    let log = if log.exists() {
        log
    } else {
        manifest.with_file_name("bcprune.audit.jsonl")
    };
    let out = verify(&file, &log);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
