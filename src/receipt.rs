//! The receipt of one erasure request (PRODUCT.md §16): a document for the data protection officer and
//! the data subject that anyone can check against the audit log without trusting bcprune or its state.
//!
//! [`make`] writes down, for a settled request, each record (kind, ID), what was done (erased, found
//! absent, redacted, or retained until a date) and when, and the audit line that proves it — its `seq`
//! and `hash`, the line the evidence rule of §14 ([`crate::evidence::Proof::proved_by`]) takes as proof
//! — the audit head it was made against, and what stays in the store. No email, no name: the records
//! are IDs, the rest dates and the request's reference.
//!
//! [`verify`] checks every claim against the log: the chain intact, the head present with its hash,
//! every cited line present with its hash, event and time, each still the proof of its record as of
//! the head (no `reappeared` line between), the store, and the figures derived from them (`status`,
//! `settled_at`, `days_taken`, `days_late`). An edited receipt, a log cut short or rewritten: each
//! failure is named. The request's reference and dates come from the manifest (its SHA-256 is given),
//! which the log does not know: they are the receipt's subject, not its claims.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Resource;
use crate::by_request::{RequestRow, RequestStatus};
use crate::evidence::Proof;
use crate::report::{Status, days_between};
use crate::state::AuditHead;

/// The format version of a receipt.
pub const RECEIPT_VERSION: u32 = 1;

/// What was done to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    /// Deleted by bcprune, and listed gone afterwards (a `verify` or `reconciled` line).
    Erased,
    /// Listed by an apply and found already gone (a `found_absent` line).
    FoundAbsent,
    /// An order's personal fields overwritten, and read back (PRODUCT §15).
    Redacted,
    /// An order kept for the law until `retained_until`, then redacted: the `orders_recorded` line
    /// that recorded it with that date, before its customer was deleted, proves the date was fixed by
    /// the log.
    Retained,
}

impl Done {
    /// The words shown in the markdown receipt.
    pub fn as_str(self) -> &'static str {
        match self {
            Done::Erased => "erased",
            Done::FoundAbsent => "found absent",
            Done::Redacted => "redacted",
            Done::Retained => "retained",
        }
    }

    /// What a proving line's event says was done to a record of `resource`: a verified deletion of a
    /// customer or subscriber is an erasure, of an order a redaction; an order's `orders_recorded`
    /// line records its retention.
    fn of(resource: Resource, event: &str) -> Option<Done> {
        match (resource, event) {
            (Resource::Order, "verify" | "reconciled") => Some(Done::Redacted),
            (Resource::Order, "orders_recorded") => Some(Done::Retained),
            (Resource::Order, _) => None,
            (_, "verify" | "reconciled") => Some(Done::Erased),
            (_, "found_absent") => Some(Done::FoundAbsent),
            _ => None,
        }
    }
}

/// The audit line a claim rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRef {
    /// Its `seq` (its line number).
    pub seq: u64,
    /// Its `hash`.
    pub hash: String,
    /// Its `event`.
    pub event: String,
}

/// One record of the request and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRecord {
    /// `customer`, `subscriber` (or `order`).
    pub resource: Resource,
    pub id: u32,
    pub done: Done,
    /// When it was done: the proving line's `ts`, RFC 3339 UTC (for `retained`, when the order was
    /// recorded with its date).
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub at: Option<Timestamp>,
    /// `retained`: the last day the order is kept, as its `orders_recorded` line records it.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub retained_until: Option<Date>,
    /// An order found of a customer: that customer, as the log's `orders_recorded` line records it
    /// (absent for a guest's order and every other record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<u32>,
    /// The audit line that proves it: a `verify` or `reconciled` line (erased, redacted), a
    /// `found_absent` line, or the order's `orders_recorded` line (retained).
    pub proof: Option<LineRef>,
}

/// The receipt: a versioned document, documented by `schemas/receipt.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bcprune erasure receipt")]
pub struct Receipt {
    /// Format version; always 1.
    pub receipt_version: u32,
    /// The bcprune version that wrote it.
    pub tool_version: String,
    /// The request's reference (`request:` in the manifest).
    pub request: String,
    /// The manifest's SHA-256 (as in saved plans and reports): where the reference and dates come from.
    pub manifest_sha256: String,
    /// The store the records were in.
    pub store_hash: String,
    /// The day the request arrived.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub received: Option<Date>,
    /// The day it was due.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due: Option<Date>,
    /// `erased` or `retained` (a receipt is written once a request is settled).
    pub status: RequestStatus,
    /// When its last record was proven done (the latest `at`).
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub settled_at: Option<Timestamp>,
    /// Days from `received` to `settled_at` (UTC days).
    pub days_taken: Option<i64>,
    /// Days after `due` it settled: 0 when in time.
    pub days_late: Option<i64>,
    /// Each record, in manifest order.
    pub records: Vec<ReceiptRecord>,
    /// The audit log's head the receipt was made against: its last line then.
    pub audit_head: AuditHead,
    /// What stays in the store (PRODUCT §15).
    pub stays: Vec<String>,
}

/// Why no receipt could be made, or why one does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// No entry of the manifest names the request.
    #[error(
        "no entry of the manifest has `request: {0}`: a receipt is for a request the manifest names \
         (`bcprune report --by request` lists them)"
    )]
    Unknown(String),
    /// The request is not settled.
    #[error(
        "request {request} is {status}: a receipt is written once every record of it is erased, found \
         absent, redacted or retained (`bcprune report --by request` shows what is left)"
    )]
    NotSettled {
        request: String,
        status: &'static str,
    },
    /// The log cannot be read.
    #[error("cannot read the audit log {}: {source}", path.display())]
    ReadLog {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The log's chain is broken.
    #[error("the audit log {} is broken at line {line}: {reason}", path.display())]
    BrokenLog {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    /// A settled record without its proof line (the report would call it unproven), or a retained
    /// order without the line that recorded it.
    #[error(
        "{resource} {id} has no line in the audit log {} proving what was done (erased, found absent, \
         redacted, or recorded as retained)",
        path.display()
    )]
    NoProof {
        path: PathBuf,
        resource: Resource,
        id: u32,
    },
    /// The receipt could not be written.
    #[error("cannot write the receipt {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The receipt file cannot be read.
    #[error("cannot read the receipt {}: {source}", path.display())]
    ReadReceipt {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The receipt file is not a receipt.
    #[error("{} is not a bcprune receipt: {why}", path.display())]
    NotAReceipt { path: PathBuf, why: String },
    /// Claims of the receipt the log does not back, every one.
    #[error(
        "the receipt {} does not verify against the audit log {}:\n{}",
        receipt.display(),
        log.display(),
        failures.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
    )]
    Failed {
        receipt: PathBuf,
        log: PathBuf,
        failures: Vec<String>,
    },
}

/// The most bytes read from a receipt file.
pub const RECEIPT_LIMIT: u64 = 64 * 1024 * 1024;

/// One line of the log as a receipt cites it.
#[derive(Debug, Clone)]
struct Line {
    hash: String,
    event: String,
    ts: Option<Timestamp>,
}

impl Line {
    fn of(object: &serde_json::Map<String, Value>) -> Line {
        let text = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Line {
            hash: text("hash"),
            event: text("event"),
            ts: text("ts").parse().ok(),
        }
    }
}

/// What one pass over the log yields: the proof as of line `upto` (every line when `None`), the orders
/// recorded as of then (order → the recording line's `seq`, customer, retained until; the first
/// record stands, as in [`Proof`]), the lines at `seqs`, and the last line (the head).
struct Read {
    proof: Proof,
    recorded: BTreeMap<u32, (u64, u32, Date)>,
    lines: BTreeMap<u64, Line>,
    head: AuditHead,
}

fn read_log(path: &Path, upto: Option<u64>, seqs: &BTreeSet<u64>) -> Result<Read, ReceiptError> {
    let bytes = crate::fsio::read_capped(path, crate::fsio::AUDIT_LIMIT).map_err(|source| {
        ReceiptError::ReadLog {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let mut proof = Proof::default();
    let mut recorded = BTreeMap::new();
    let mut lines = BTreeMap::new();
    let end = crate::audit::scan(&bytes, |seq, object| {
        if upto.is_none_or(|upto| seq <= upto) {
            proof.observe(object);
            for (id, customer, until) in crate::evidence::orders_recorded(object) {
                recorded.entry(id).or_insert((seq, customer, until));
            }
        }
        if seqs.contains(&seq) {
            lines.insert(seq, Line::of(object));
        }
    })
    .map_err(|broken| ReceiptError::BrokenLog {
        path: path.to_path_buf(),
        line: broken.line,
        reason: broken.reason.to_string(),
    })?;
    Ok(Read {
        proof,
        recorded,
        lines,
        head: AuditHead {
            seq: end.lines,
            hash: end.last_hash,
        },
    })
}

/// The request's figures from its records: the latest `at`, the days taken and late.
fn figures(
    records: &[ReceiptRecord],
    received: Option<Date>,
    due: Option<Date>,
) -> (RequestStatus, Option<Timestamp>, Option<i64>, Option<i64>) {
    let status = if records.iter().any(|r| r.done == Done::Retained) {
        RequestStatus::Retained
    } else {
        RequestStatus::Erased
    };
    // A retained order settles nothing yet: its `at` is when it was recorded.
    let settled_at = records
        .iter()
        .filter(|r| r.done != Done::Retained)
        .filter_map(|r| r.at)
        .max();
    let taken = received
        .zip(settled_at)
        .and_then(|(r, at)| days_between(r, at));
    let late = due
        .zip(settled_at)
        .and_then(|(d, at)| days_between(d, at))
        .map(|late| late.max(0));
    (status, settled_at, taken, late)
}

/// The receipt of `row` (a request of the report per request), made against the audit log at `log` as
/// it is now (its last line is the head). Refused unless the request is settled (`erased` or
/// `retained`).
pub fn make(
    row: &RequestRow,
    manifest_sha256: &str,
    store_hash: &str,
    log: &Path,
) -> Result<Receipt, ReceiptError> {
    let request = row.request.clone().unwrap_or_else(|| row.name());
    if !matches!(row.status, RequestStatus::Erased | RequestStatus::Retained) {
        return Err(ReceiptError::NotSettled {
            request,
            status: row.status.as_str(),
        });
    }
    let first = read_log(log, None, &BTreeSet::new())?;
    let no_proof = |record: &crate::by_request::RecordRef| ReceiptError::NoProof {
        path: log.to_path_buf(),
        resource: record.resource,
        id: record.id,
    };
    // The line each record rests on: its proof, or for a retained order the line that recorded it
    // with the date the report shows.
    let mut cited = Vec::with_capacity(row.records.len());
    for record in &row.records {
        let seq = match record.status {
            Status::Retained { until } => first
                .recorded
                .get(&record.id)
                .filter(|r| record.resource == Resource::Order && r.2 == until)
                .map(|r| r.0),
            _ => first.proof.proved_by(record.resource, record.id),
        };
        cited.push(seq.ok_or_else(|| no_proof(record))?);
    }
    let read = read_log(log, None, &cited.iter().copied().collect())?;
    let mut records = Vec::with_capacity(row.records.len());
    for (record, seq) in row.records.iter().zip(cited) {
        let line = read.lines.get(&seq).ok_or_else(|| no_proof(record))?;
        let done = Done::of(record.resource, &line.event).ok_or_else(|| no_proof(record))?;
        let retained_until = match record.status {
            Status::Retained { until } => Some(until),
            _ => None,
        };
        if (done == Done::Retained) != retained_until.is_some() {
            return Err(no_proof(record));
        }
        let customer_id = (record.resource == Resource::Order)
            .then(|| {
                read.recorded
                    .get(&record.id)
                    .and_then(|r| crate::evidence::owner(r.1))
            })
            .flatten();
        records.push(ReceiptRecord {
            resource: record.resource,
            id: record.id,
            done,
            at: line.ts,
            retained_until,
            customer_id,
            proof: Some(LineRef {
                seq,
                hash: line.hash.clone(),
                event: line.event.clone(),
            }),
        });
    }
    let (status, settled_at, days_taken, days_late) = figures(&records, row.received, row.due);
    Ok(Receipt {
        receipt_version: RECEIPT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        request,
        manifest_sha256: manifest_sha256.to_string(),
        store_hash: store_hash.to_string(),
        received: row.received,
        due: row.due,
        status,
        settled_at,
        days_taken,
        days_late,
        audit_head: read.head,
        stays: stays_of(&records),
        records,
    })
}

/// What stays of a request with these records: its retained orders and until when, then what
/// bcprune cannot erase ([`crate::by_request::stays`], the report's wording).
fn stays_of(records: &[ReceiptRecord]) -> Vec<String> {
    let retained: Vec<(u32, Date)> = records
        .iter()
        .filter(|r| r.resource == Resource::Order)
        .filter_map(|r| Some((r.id, r.retained_until?)))
        .collect();
    crate::by_request::stays(&retained)
}

/// Read a receipt file (size-checked, strict: unknown keys refused).
pub fn read(path: &Path) -> Result<Receipt, ReceiptError> {
    let bytes = crate::fsio::read_capped(path, RECEIPT_LIMIT).map_err(|source| {
        ReceiptError::ReadReceipt {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let receipt: Receipt =
        serde_json::from_slice(&bytes).map_err(|e| ReceiptError::NotAReceipt {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    if receipt.receipt_version != RECEIPT_VERSION {
        return Err(ReceiptError::NotAReceipt {
            path: path.to_path_buf(),
            why: format!(
                "receipt_version {} (this bcprune reads {RECEIPT_VERSION})",
                receipt.receipt_version
            ),
        });
    }
    Ok(receipt)
}

/// What the manifest says of the receipt's request (when `audit verify --receipt` is given it): the
/// manifest is the one the receipt names (its SHA-256), and the request's records there are exactly
/// the receipt's, with its `received` and due date. The request's records: its customer and subscriber
/// entries, its guests' orders (`redact_orders`), and every order the log (`recorded`, as of the
/// receipt's head) records as found of one of its `orders: redact` customers — as the report finds
/// them. The log knows records, not requests: this is what binds the records to the request.
fn membership(
    receipt: &Receipt,
    manifest: &crate::manifest::Manifest,
    recorded: &BTreeMap<u32, (u64, u32, Date)>,
) -> Vec<String> {
    if manifest.sha256 != receipt.manifest_sha256 {
        return vec![format!(
            "the manifest {} has SHA-256 {}, the receipt was made from {}: check out the commit whose \
             manifest has that hash",
            manifest.path.display(),
            manifest.sha256,
            receipt.manifest_sha256
        )];
    }
    let mut failures = Vec::new();
    let ours = |entry: &crate::manifest::AbsentEntry| {
        entry.request.as_ref().map(|r| r.as_str()) == Some(receipt.request.as_str())
    };
    let guests = manifest.orders.redact_orders.iter();
    let mut listed: BTreeSet<(Resource, u32)> = BTreeSet::new();
    let mut redacting = BTreeSet::new();
    for (resource, entry) in manifest
        .entries()
        .chain(guests.map(|entry| (Resource::Order, entry)))
        .filter(|(_, entry)| ours(entry))
    {
        if entry.received != receipt.received {
            failures.push(format!(
                "the manifest says request {} was received {}, the receipt says {}",
                receipt.request,
                date(entry.received),
                date(receipt.received)
            ));
        }
        if resource == Resource::Customer && manifest.orders.redact_customers.contains(&entry.id) {
            redacting.insert(entry.id);
        }
        listed.insert((resource, entry.id));
    }
    failures.dedup();
    let guest = |id: u32| manifest.orders.redact_orders.iter().any(|e| e.id == id);
    for (&order, &(_, customer, _)) in recorded {
        if redacting.contains(&customer) && !guest(order) {
            listed.insert((Resource::Order, order));
        }
    }
    let claimed: BTreeSet<(Resource, u32)> =
        receipt.records.iter().map(|r| (r.resource, r.id)).collect();
    for (resource, id) in listed.difference(&claimed) {
        failures.push(format!(
            "the manifest lists {resource} {id} under request {}, the receipt does not",
            receipt.request
        ));
    }
    for (resource, id) in claimed.difference(&listed) {
        failures.push(format!(
            "the receipt lists {resource} {id}, which the manifest does not list under request {}",
            receipt.request
        ));
    }
    if let Some(received) = receipt.received
        && receipt.due != Some(manifest.due(received))
    {
        failures.push(format!(
            "the receipt says due {}, the manifest makes it {}",
            date(receipt.due),
            manifest.due(received)
        ));
    }
    failures
}

/// Check every claim of `receipt` against the audit log at `log`, and, given the manifest it names,
/// that its records are the request's; every failure is named (the receipt's path is only used in the
/// error).
pub fn verify(
    receipt: &Receipt,
    path: &Path,
    log: &Path,
    manifest: Option<&crate::manifest::Manifest>,
) -> Result<(), ReceiptError> {
    let head = &receipt.audit_head;
    let mut seqs: BTreeSet<u64> = receipt
        .records
        .iter()
        .filter_map(|r| r.proof.as_ref().map(|p| p.seq))
        .collect();
    seqs.insert(head.seq);
    let read = read_log(log, Some(head.seq), &seqs)?;
    let mut failures = manifest.map_or_else(Vec::new, |m| membership(receipt, m, &read.recorded));
    match read.lines.get(&head.seq) {
        Some(line) if line.hash == head.hash => {}
        Some(line) => failures.push(format!(
            "the head {}:{} is not in the log: its line {} has hash {} (the log was rewritten, or the \
             receipt edited)",
            head.seq, head.hash, head.seq, line.hash
        )),
        None => failures.push(format!(
            "the head {}:{} is not in the log: it has {} lines (cut short, or the receipt edited)",
            head.seq, head.hash, read.head.seq
        )),
    }
    if let Some(other) = read.proof.other_store(&receipt.store_hash) {
        failures.push(format!(
            "the log records states of store {other:?}, not {:?}",
            receipt.store_hash
        ));
    }
    for record in &receipt.records {
        failures.extend(check_record(record, head, &read));
    }
    failures.extend(orders_complete(receipt, &read.recorded));
    if receipt.records.is_empty() {
        failures.push("the receipt lists no record".to_string());
    }
    let (status, settled_at, taken, late) =
        figures(&receipt.records, receipt.received, receipt.due);
    if status != receipt.status {
        failures.push(format!(
            "the status is {}, but its records make it {}",
            receipt.status.as_str(),
            status.as_str()
        ));
    }
    if settled_at != receipt.settled_at {
        failures.push(format!(
            "settled_at is {}, but its records' latest time is {}",
            stamp(receipt.settled_at),
            stamp(settled_at)
        ));
    }
    if taken != receipt.days_taken || late != receipt.days_late {
        failures.push(format!(
            "days taken and late are {} and {}, but received, due and settled_at make them {} and {}",
            number(receipt.days_taken),
            number(receipt.days_late),
            number(taken),
            number(late)
        ));
    }
    if receipt.stays != stays_of(&receipt.records) {
        failures.push(format!(
            "what stays is not what its records make it: {:?}",
            stays_of(&receipt.records)
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ReceiptError::Failed {
            receipt: path.to_path_buf(),
            log: log.to_path_buf(),
            failures,
        })
    }
}

/// What is wrong with one record's claims, as of the receipt's `head`: its cited line there with its
/// hash, event and time; what the line says was done; the line still what proves it (no later line
/// proving, or undoing, it); for an order its customer and, retained, its date as the log records them.
fn check_record(record: &ReceiptRecord, head: &AuditHead, read: &Read) -> Vec<String> {
    let what = format!("{} {}", record.resource, record.id);
    let mut failures = Vec::new();
    let Some(proof) = &record.proof else {
        return vec![format!(
            "{what} is said {} without an audit line proving it",
            record.done.as_str()
        )];
    };
    if proof.seq > head.seq {
        return vec![format!(
            "{what} cites line {}, after the receipt's head {}",
            proof.seq, head.seq
        )];
    }
    let Some(line) = read.lines.get(&proof.seq) else {
        return vec![format!(
            "{what} cites line {}, which the log does not have",
            proof.seq
        )];
    };
    if line.hash != proof.hash {
        failures.push(format!(
            "{what} cites line {} with hash {}, but that line's hash is {}",
            proof.seq, proof.hash, line.hash
        ));
    }
    if line.event != proof.event {
        failures.push(format!(
            "{what} cites line {} as a `{}` line, but it is a `{}` line",
            proof.seq, proof.event, line.event
        ));
    }
    if Done::of(record.resource, &line.event) != Some(record.done) {
        failures.push(format!(
            "{what} is said {}, but line {} (`{}`) does not say so",
            record.done.as_str(),
            proof.seq,
            line.event
        ));
    }
    if record.at != line.ts || record.at.is_none() {
        failures.push(format!(
            "{what} is said done at {}, but line {} was written at {}",
            stamp(record.at),
            proof.seq,
            stamp(line.ts)
        ));
    }
    let logged = read
        .recorded
        .get(&record.id)
        .filter(|_| record.resource == Resource::Order);
    if record.customer_id != logged.and_then(|r| crate::evidence::owner(r.1)) {
        failures.push(match logged {
            Some(&(seq, customer, _)) => format!(
                "{what} is said to be {}, but line {seq} records it found of customer {customer}",
                owner(record.customer_id)
            ),
            None => format!(
                "{what} is said to be {}, but no line of the log records it found of a customer",
                owner(record.customer_id)
            ),
        });
    }
    let proved_by = read.proof.proved_by(record.resource, record.id);
    if record.done == Done::Retained {
        match logged {
            Some(&(seq, _, until)) if seq == proof.seq && record.retained_until == Some(until) => {}
            Some(&(seq, _, until)) => failures.push(format!(
                "{what} is said retained until {}, but line {seq} records it retained until {until}",
                date(record.retained_until)
            )),
            None => failures.push(format!(
                "{what} is said retained, but no line of the log records it with a retained-until date"
            )),
        }
        if let Some(seq) = proved_by {
            failures.push(format!(
                "{what} is said retained, but line {seq} records it redacted as of the head {}",
                head.seq
            ));
        }
    } else {
        if record.retained_until.is_some() {
            failures.push(format!(
                "{what} is said {} and retained",
                record.done.as_str()
            ));
        }
        if proved_by != Some(proof.seq) {
            failures.push(format!(
                "line {} is not what proves {what} {} as of the head {} (it does not name it, or a \
                 later line does)",
                proof.seq,
                record.done.as_str(),
                head.seq
            ));
        }
    }
    failures
}

/// Every order the log records as found of a customer the receipt lists is on the receipt too (an
/// order left out is named), and every order found of a customer is there with that customer.
fn orders_complete(receipt: &Receipt, recorded: &BTreeMap<u32, (u64, u32, Date)>) -> Vec<String> {
    let customers: BTreeSet<u32> = receipt
        .records
        .iter()
        .filter(|r| r.resource == Resource::Customer)
        .map(|r| r.id)
        .collect();
    let orders: BTreeSet<u32> = receipt
        .records
        .iter()
        .filter(|r| r.resource == Resource::Order)
        .map(|r| r.id)
        .collect();
    let mut failures: Vec<String> = recorded
        .iter()
        .filter(|(id, (_, customer, _))| customers.contains(customer) && !orders.contains(id))
        .map(|(id, (seq, customer, until))| {
            format!(
                "line {seq} records order {id} of customer {customer} (retained until {until}), \
                 which the receipt does not list"
            )
        })
        .collect();
    for record in &receipt.records {
        if let Some(customer) = record.customer_id.filter(|c| !customers.contains(c)) {
            failures.push(format!(
                "order {} is said to be customer {customer}'s, which the receipt does not list",
                record.id
            ));
        }
    }
    failures
}

fn owner(customer: Option<u32>) -> String {
    customer.map_or_else(|| "a guest's".to_string(), |c| format!("customer {c}'s"))
}

fn stamp(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "(none)".to_string(), |at| at.to_string())
}

fn number(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

fn date(day: Option<Date>) -> String {
    day.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// The receipt as pretty JSON (`schemas/receipt.schema.json`).
pub fn json(receipt: &Receipt, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, receipt).map_err(io::Error::other)?;
    writeln!(out)
}

/// The receipt as markdown, for the data protection officer and the data subject: the request and its
/// status in words (what was done, what is kept and until when, in time or late), the head, a row per
/// record with the audit line it rests on, what stays, and how to check it.
pub fn markdown(receipt: &Receipt, out: &mut dyn Write) -> io::Result<()> {
    let nowrap = |text: &str| crate::text::nowrap_date(text);
    let when = |at: Option<Timestamp>| {
        at.map_or_else(
            || "-".to_string(),
            |at| at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    writeln!(out, "### Erasure receipt: request {}", receipt.request)?;
    writeln!(out)?;
    let late = match receipt.days_late {
        Some(0) => ", in time".to_string(),
        Some(late) => format!(", **{} late**", crate::report::day_count(late)),
        None => String::new(),
    };
    let taken = receipt
        .days_taken
        .map(|days| format!(", {} after it was received", crate::report::day_count(days)))
        .unwrap_or_default();
    let kept = stays_of(&receipt.records)
        .into_iter()
        .next()
        .filter(|_| receipt.records.iter().any(|r| r.done == Done::Retained));
    writeln!(out, "- Store: {}", receipt.store_hash)?;
    writeln!(
        out,
        "- Received: {}; due: {}",
        nowrap(&date(receipt.received)),
        nowrap(&date(receipt.due))
    )?;
    match (receipt.status, kept) {
        (RequestStatus::Retained, Some(kept)) => writeln!(
            out,
            "- Status: **retained**: everything the law allows is erased or redacted; {kept}. Done \
             {}{taken}{late}.",
            when(receipt.settled_at)
        )?,
        (status, _) => writeln!(
            out,
            "- Status: **{}**: every record erased, found absent or redacted. Done {}{taken}{late}.",
            status.as_str(),
            when(receipt.settled_at)
        )?,
    }
    writeln!(
        out,
        "- Audit log head: line {}, hash `{}`; manifest SHA-256 `{}`",
        receipt.audit_head.seq, receipt.audit_head.hash, receipt.manifest_sha256
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| Record | ID | What was done | When | Audit line | Line hash |"
    )?;
    writeln!(out, "|---|---:|---|---|---|---|")?;
    for record in &receipt.records {
        let kind = match record.customer_id {
            Some(customer) => format!("{} (customer {customer}'s)", record.resource),
            None => record.resource.to_string(),
        };
        let (done, at) = match (record.done, record.retained_until) {
            (Done::Retained, Some(until)) => (
                format!("retained until {until}"),
                format!("{} (recorded)", when(record.at)),
            ),
            (done, _) => (done.as_str().to_string(), when(record.at)),
        };
        let (line, hash) = record.proof.as_ref().map_or_else(
            || ("-".to_string(), "-".to_string()),
            |p| {
                (
                    format!("{} `{}`", p.seq, p.event),
                    format!("`{}…`", p.hash.get(..12).unwrap_or(&p.hash)),
                )
            },
        );
        writeln!(
            out,
            "| {kind} | {} | {} | {} | {line} | {hash} |",
            record.id,
            nowrap(&done),
            nowrap(&at),
        )?;
    }
    writeln!(out)?;
    if receipt.records.iter().any(|r| r.done == Done::Retained) {
        writeln!(
            out,
            "A retained order's audit line is the `orders_recorded` line that recorded it, with its \
             customer and retained-until date, before the customer was deleted: the date was fixed \
             then, and changing it would break the log's hash chain."
        )?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "**What stays in the store** (bcprune cannot erase it through the API):"
    )?;
    writeln!(out)?;
    for stay in &receipt.stays {
        writeln!(out, "- {}", crate::text::markdown(stay))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "**How to check it**: with the JSON receipt (`bcprune report --receipt {} --format json`) and the \
         committed audit log, `bcprune audit verify --receipt FILE MANIFEST` checks every line cited \
         above, the head, the dates and what stays, and that these are all the records the manifest \
         lists for the request. By hand: line N is the N-th line of the log; each line's `hash` is the \
         SHA-256 of the line without `hash`, keys sorted, no whitespace; each line's `prev_hash` is the \
         line before's `hash`.",
        receipt.request
    )
}
