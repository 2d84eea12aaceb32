//! The erasure report (PRODUCT.md §9): for every manifest entry, what became of it — `erased` (deleted by
//! bcprune and verified), `unverified` (deleted, not yet confirmed), `absent` (an apply found it already
//! gone), `pending`, `overdue` (pending and past due), `reappeared` (recorded gone, then listed present
//! again) or `unproven` (the state says erased or absent, the audit log does not prove it, §14) — with
//! its dates, and the state serial and audit log head a copy can be matched against later. Offline: the
//! manifest, the state and the audit log only.
//!
//! [`compute`] is pure (the manifest, the state, what the audit log says and proves, and "today"); the
//! renderers
//! write a table, markdown (to attach to a ticket), JSON (`schemas/report.schema.json`) or CSV (RFC 4180)
//! to any `Write`. Nothing here holds an email or a name: the state and the manifest hold none.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::Resource;
use crate::manifest::Manifest;
use crate::state::{AuditHead, State};

/// The format version of the JSON report.
pub const REPORT_VERSION: u32 = 1;

/// What became of one manifest entry; exactly one per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Deleted by bcprune, and a listing afterwards confirmed it gone.
    Erased,
    /// Deleted by bcprune (the store accepted the DELETE), not yet confirmed by a listing.
    Unverified,
    /// An apply listed it and found it already gone: there was nothing to delete.
    Absent,
    /// Not deleted yet (and not past its due date, or without one).
    Pending,
    /// Not deleted yet and past its due date.
    Overdue,
    /// Recorded as gone, then found present again by a listing (PRODUCT §14); to be deleted again.
    Reappeared,
    /// The state records it as erased or absent, but the audit log does not prove it (PRODUCT §14):
    /// `why` says what is missing. `report` exits 1.
    Unproven,
    /// An order whose personal fields bcprune overwrote, verified and proven by the audit log
    /// (PRODUCT §15).
    Redacted,
    /// An order kept for the law until `until` (its retained-until date, as the audit log records it);
    /// redacted after.
    Retained {
        #[schemars(with = "String", extend("format" = "date"))]
        until: Date,
    },
}

impl Status {
    /// The word shown in tables, CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Erased => "erased",
            Status::Unverified => "unverified",
            Status::Absent => "absent",
            Status::Pending => "pending",
            Status::Overdue => "overdue",
            Status::Reappeared => "reappeared",
            Status::Unproven => "unproven",
            Status::Redacted => "redacted",
            Status::Retained { .. } => "retained",
        }
    }

    /// What a row shows: the word, and for a retained order until when (`retained until 2033-01-01`).
    pub fn label(self) -> String {
        match self {
            Status::Retained { until } => format!("retained until {until}"),
            other => other.as_str().to_string(),
        }
    }

    /// Whether the record is done with: erased, found absent, or (an order) redacted. Not `unverified`:
    /// a DELETE the store accepted is not proof (PRODUCT §4).
    pub fn is_settled(self) -> bool {
        matches!(self, Status::Erased | Status::Absent | Status::Redacted)
    }
}

/// One manifest entry and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// `customer` or `subscriber`.
    pub resource: Resource,
    /// The customer or subscriber ID.
    pub id: u32,
    /// The erasure request it belongs to (`request:`, PRODUCT §16), if the manifest says.
    pub request: Option<String>,
    /// The manifest's reason, if it gives one.
    pub reason: Option<String>,
    /// The day the request arrived (`received`), if the manifest says.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub received: Option<Date>,
    /// The day it is due: one calendar month after `received`, or `respond_within_days` later.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due: Option<Date>,
    /// What became of it.
    pub status: Status,
    /// When bcprune deleted it (`erased` and `unverified`), RFC 3339 UTC.
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub erased_at: Option<Timestamp>,
    /// Whether a listing after the DELETE confirmed it gone (`erased` and `unverified` only).
    pub verified: Option<bool>,
    /// When an apply found it already gone (`absent` only), RFC 3339 UTC.
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub found_absent_at: Option<Timestamp>,
    /// Days from `received` to the day (UTC) it was erased, or found absent.
    pub days: Option<i64>,
    /// Days after `due` it was erased or found absent (UTC), when it was done late; `null` when done on
    /// time, not done, or without a due date.
    pub days_late: Option<i64>,
    /// The apply run that erased it or found it absent (the `run_id` of its audit log lines), or whose
    /// listing found it present again (`reappeared`).
    pub run_id: Option<String>,
    /// Why it is `unproven` or `reappeared`; `null` otherwise.
    pub why: Option<String>,
}

impl Entry {
    /// `resource` `id`, written for manifest `entry` (its request, reason, received day) and due on
    /// `due`, with nothing done yet: the row every status starts from.
    fn pending(
        resource: Resource,
        id: u32,
        entry: &crate::manifest::AbsentEntry,
        due: Option<Date>,
    ) -> Entry {
        Entry {
            resource,
            id,
            request: entry.request.as_ref().map(ToString::to_string),
            reason: entry.reason.as_deref().map(str::to_owned),
            received: entry.received,
            due,
            status: Status::Pending,
            erased_at: None,
            verified: None,
            found_absent_at: None,
            days: None,
            days_late: None,
            run_id: None,
            why: None,
        }
    }
}

/// How many entries have each status, and the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub erased: usize,
    pub unverified: usize,
    pub absent: usize,
    pub pending: usize,
    pub overdue: usize,
    pub reappeared: usize,
    pub unproven: usize,
    /// Orders redacted (PRODUCT §15).
    #[serde(skip_serializing_if = "is_zero")]
    pub redacted: usize,
    /// Orders retained until their date.
    #[serde(skip_serializing_if = "is_zero")]
    pub retained: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Counts {
    /// `Report: E erased, U unverified, A absent, P pending, O overdue.`, followed by
    /// `, R reappeared, N unproven` before the period when either is not zero, and by
    /// `, D redacted, K retained` when orders are reported.
    pub fn line(&self) -> String {
        let more = if self.reappeared + self.unproven > 0 {
            format!(
                ", {} reappeared, {} unproven",
                self.reappeared, self.unproven
            )
        } else {
            String::new()
        };
        let orders = if self.redacted + self.retained > 0 {
            format!(
                ", {} orders redacted, {} retained",
                self.redacted, self.retained
            )
        } else {
            String::new()
        };
        format!(
            "Report: {} erased, {} unverified, {} absent, {} pending, {} overdue{more}{orders}.",
            self.erased, self.unverified, self.absent, self.pending, self.overdue
        )
    }
}

/// The manifest the report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ManifestInfo {
    /// The path as given.
    pub path: String,
    /// Its SHA-256 (as in saved plans).
    pub sha256: String,
}

/// The state file the report read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StateInfo {
    pub path: String,
    /// Its lineage (UUID).
    pub lineage: String,
    /// Its serial: match a copy of the report against the committed state.
    pub serial: u64,
    /// When it was last written.
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub updated_at: Timestamp,
    /// The audit log head the state recorded at its last save, if any.
    pub audit_head: Option<AuditHead>,
}

/// What the audit log file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chain {
    /// Every line verifies.
    Intact,
    /// The chain is broken (`problem` names the line).
    Broken,
    /// There is no audit log.
    Missing,
    /// The log could not be read.
    Unreadable,
}

/// The audit log the report names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AuditInfo {
    pub path: String,
    /// Whether its chain verifies.
    pub chain: Chain,
    /// How many lines it has (when it verifies).
    pub lines: Option<u64>,
    /// Its head: the last line's `seq` (its line number) and `hash` (when it verifies).
    pub head: Option<AuditHead>,
    /// Whether the log carries the head the state recorded; `null` when the state records none.
    pub matches_state: Option<bool>,
    /// What is wrong, when something is.
    pub problem: Option<String>,
}

impl AuditInfo {
    /// Read and verify the log at `path`, and check it carries `state`'s head.
    pub fn read(path: &Path, state: Option<&State>) -> AuditInfo {
        let state_head = state.and_then(|s| s.audit_head.as_ref());
        let mut info = AuditInfo {
            path: path.display().to_string(),
            chain: Chain::Missing,
            lines: None,
            head: None,
            matches_state: None,
            problem: None,
        };
        let seqs: BTreeSet<u64> = state_head.map(|h| h.seq).into_iter().collect();
        match crate::audit::verify_at(path, &seqs) {
            Ok((report, hashes)) => {
                info.chain = Chain::Intact;
                info.lines = Some(report.lines);
                info.head = Some(AuditHead {
                    seq: report.lines,
                    hash: report.last_hash.clone(),
                });
                if let (Some(head), Some(state)) = (state_head, state) {
                    let by = format!("the state (serial {})", state.serial);
                    let checked =
                        crate::audit::head::check(path, &report, &hashes, &head.into(), &by);
                    info.matches_state = Some(checked.is_ok());
                    info.problem = checked.err().map(|e| e.to_string());
                }
            }
            Err(crate::audit::VerifyError::Read { source, .. })
                if source.kind() == io::ErrorKind::NotFound =>
            {
                if state_head.is_some() {
                    info.matches_state = Some(false);
                    info.problem = Some(format!(
                        "the audit log {} does not exist, but the state records its head",
                        path.display()
                    ));
                }
            }
            Err(error @ crate::audit::VerifyError::Read { .. }) => {
                info.chain = Chain::Unreadable;
                info.problem = Some(error.to_string());
            }
            Err(error @ crate::audit::VerifyError::Broken { .. }) => {
                info.chain = Chain::Broken;
                info.problem = Some(format!("{error} (the chain is broken from this line on)"));
            }
        }
        info
    }

    /// Whether the report can be matched against this log: it verifies (or does not exist yet while the
    /// state records no head) and carries the state's head.
    pub fn is_trustworthy(&self) -> bool {
        self.problem.is_none()
    }
}

/// The erasure report: a versioned document, documented by `schemas/report.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(title = "bcprune erasure report")]
pub struct Report {
    /// Format version of this document; always 1.
    pub report_version: u32,
    /// The bcprune version that wrote it.
    pub tool_version: String,
    /// The day the statuses were computed for (`overdue` is relative to it).
    #[schemars(with = "String", extend("format" = "date"))]
    pub as_of: Date,
    pub manifest: ManifestInfo,
    /// The store: the state's, else the manifest's `store_hash`.
    pub store_hash: Option<String>,
    /// The state file; `null` when there is none yet (no apply has run).
    pub state: Option<StateInfo>,
    pub audit_log: AuditInfo,
    pub summary: Counts,
    /// One per manifest entry: customers, then subscribers, each in manifest order.
    pub entries: Vec<Entry>,
}

/// What the audit log proves about the state's records ([`crate::evidence::prove`]), or why it
/// proves nothing.
pub type Evidence = Result<crate::evidence::Proof, crate::evidence::Unproven>;

/// The report of `manifest` given the state (read from `state_path`), the audit log, what the log
/// proves (every erased or absent record is checked against it, PRODUCT §14) and `today`. Pure.
pub fn compute(
    manifest: &Manifest,
    state: Option<(&State, &Path)>,
    audit_log: AuditInfo,
    evidence: &Evidence,
    today: Date,
) -> Report {
    let unproven = |resource: Resource, id: u32| -> Option<String> {
        match evidence {
            Ok(proof) if proof.proves(resource, id) => None,
            Ok(proof) => Some(proof.why_not(resource, id)),
            Err(why) => Some(why.to_string()),
        }
    };
    let mut summary = Counts::default();
    let entries: Vec<Entry> = manifest
        .entries()
        .map(|(resource, entry)| {
            let due = entry.received.map(|received| manifest.due(received));
            let mut row = Entry::pending(resource, entry.id, entry, due);
            let deleted = state.and_then(|(s, _)| s.deleted_record_as(resource, entry.id));
            let absent = state.and_then(|(s, _)| s.absent_record(resource, entry.id));
            let reappeared = state.and_then(|(s, _)| s.reappeared_record(resource, entry.id));
            let claimed_gone = deleted.is_some_and(|r| r.verified) || absent.is_some();
            let why_unproven = claimed_gone.then(|| unproven(resource, entry.id)).flatten();
            let done_at = if let Some(record) = reappeared {
                row.status = Status::Reappeared;
                row.run_id = Some(record.run_id.clone());
                row.why = Some(format!(
                    "recorded as gone, but listed present again at {} (run {}): not erased until \
                     deleted again",
                    moment(Some(record.seen_at)),
                    record.run_id
                ));
                None
            } else if let Some(why) = why_unproven {
                row.status = Status::Unproven;
                row.why = Some(why);
                None
            } else if let Some(record) = deleted {
                row.status = if record.verified {
                    Status::Erased
                } else {
                    Status::Unverified
                };
                row.erased_at = Some(record.deleted_at);
                row.verified = Some(record.verified);
                row.run_id = Some(record.run_id.clone());
                Some(record.deleted_at)
            } else if let Some(record) = absent {
                row.status = Status::Absent;
                row.found_absent_at = Some(record.seen_at);
                row.run_id = Some(record.run_id.clone());
                Some(record.seen_at)
            } else {
                if due.is_some_and(|due| due < today) {
                    row.status = Status::Overdue;
                }
                None
            };
            row.days = match (entry.received, done_at) {
                (Some(received), Some(at)) => days_between(received, at),
                _ => None,
            };
            row.days_late = match (due, done_at) {
                (Some(due), Some(at)) => days_between(due, at).filter(|&late| late > 0),
                _ => None,
            };
            summary.count(row.status);
            row
        })
        .collect();
    let mut entries = entries;
    for row in order_rows(manifest, state.map(|(s, _)| s), evidence, today) {
        summary.count(row.status);
        entries.push(row);
    }
    Report {
        report_version: REPORT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: today,
        manifest: ManifestInfo {
            path: manifest.path.display().to_string(),
            sha256: manifest.sha256.clone(),
        },
        store_hash: state
            .map(|(s, _)| s.store_hash.clone())
            .or_else(|| manifest.store_hash.clone()),
        state: state.map(|(s, path)| StateInfo {
            path: path.display().to_string(),
            lineage: s.lineage.to_string(),
            serial: s.serial,
            updated_at: s.updated_at,
            audit_head: s.audit_head.clone(),
        }),
        audit_log,
        summary,
        entries,
    }
}

/// Whole days from `from` to the UTC day of `at` (negative when before).
pub fn days_between(from: Date, at: Timestamp) -> Option<i64> {
    let day = jiff::tz::TimeZone::UTC.to_datetime(at).date();
    day.since(from).ok().map(|span| i64::from(span.get_days()))
}

impl Counts {
    /// Count one entry of `status`.
    pub fn count(&mut self, status: Status) {
        match status {
            Status::Erased => self.erased += 1,
            Status::Unverified => self.unverified += 1,
            Status::Absent => self.absent += 1,
            Status::Pending => self.pending += 1,
            Status::Overdue => self.overdue += 1,
            Status::Reappeared => self.reappeared += 1,
            Status::Unproven => self.unproven += 1,
            Status::Redacted => self.redacted += 1,
            Status::Retained { .. } => self.retained += 1,
        }
    }
}

/// One row per order (PRODUCT §15): the guests' `redact_orders`, and the orders the audit log records
/// as found of an `orders: redact` customer (`orders_recorded`; the state's copy is not trusted for the
/// date). `redacted` when the state records its verified redaction and the log proves it; `retained`
/// until its date while that date has not passed; `overdue` once it has (its redaction has fallen
/// due: `--overdue-exitcode` exits 2); `pending` for a guest order not redacted yet.
fn order_rows(
    manifest: &Manifest,
    state: Option<&State>,
    evidence: &Evidence,
    today: Date,
) -> Vec<Entry> {
    let orders = &manifest.orders;
    if !orders.any() {
        return Vec::new();
    }
    let logged = evidence
        .as_ref()
        .map(|p| p.orders().clone())
        .unwrap_or_default();
    // order → (the entry it is erased for, retained until when the log records it)
    let mut rows: std::collections::BTreeMap<u32, (&crate::manifest::AbsentEntry, Option<Date>)> =
        Default::default();
    for (&id, &(customer, until)) in &logged {
        if orders.redact_customers.contains(&customer)
            && let Some(entry) = manifest.absent.iter().find(|e| e.id == customer)
        {
            rows.insert(id, (entry, Some(until)));
        }
    }
    for entry in &orders.redact_orders {
        // A guest's order: retained until the date the log recorded it with.
        let until = logged.get(&entry.id).map(|&(_, until)| until);
        rows.insert(entry.id, (entry, until));
    }
    rows.into_iter()
        .map(|(id, (entry, until))| {
            let due = entry.received.map(|received| manifest.due(received));
            let record = state.and_then(|s| s.deleted_record_as(Resource::Order, id));
            let proven = evidence
                .as_ref()
                .is_ok_and(|p| p.proves(Resource::Order, id));
            let mut row = Entry::pending(Resource::Order, id, entry, due);
            match (record, until) {
                (Some(r), _) if r.verified && proven => {
                    row.status = Status::Redacted;
                    row.erased_at = Some(r.deleted_at);
                    row.verified = Some(true);
                    row.run_id = Some(r.run_id.clone());
                }
                (Some(r), _) if r.verified => {
                    row.status = Status::Unproven;
                    row.why = Some(match evidence {
                        Ok(p) => p.why_not(Resource::Order, id),
                        Err(why) => why.to_string(),
                    });
                }
                (_, Some(until)) if !crate::retention::is_due(until, today) => {
                    row.status = Status::Retained { until };
                }
                (_, Some(until)) => {
                    row.status = Status::Overdue;
                    row.why = Some(format!(
                        "its retention ended on {until}: redact it (bcprune apply)"
                    ));
                }
                (_, None) => {}
            }
            row
        })
        .collect()
}

/// A moment as shown in tables: to the second, UTC.
fn moment(at: Option<Timestamp>) -> String {
    at.map_or_else(
        || "-".to_string(),
        |at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn date(day: Option<Date>) -> String {
    day.map_or_else(|| "-".to_string(), |day| day.to_string())
}

fn yes_no(verified: Option<bool>) -> &'static str {
    match verified {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    }
}

fn days(days: Option<i64>) -> String {
    days.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// The "when" of a row: erased at, or found absent at.
fn done_at(entry: &Entry) -> Option<Timestamp> {
    entry.erased_at.or(entry.found_absent_at)
}

/// The lines naming what the report was made from: manifest, store, state serial, audit head.
pub fn provenance(report: &Report) -> Vec<String> {
    let store = report.store_hash.as_deref().unwrap_or("(not named)");
    let mut lines = vec![format!(
        "Erasure report for {} (sha256 {}…), store {}, as of {}.",
        report.manifest.path,
        report.manifest.sha256.get(..12).unwrap_or(""),
        store,
        report.as_of
    )];
    lines.push(match &report.state {
        Some(state) => format!(
            "State: {}, serial {} (lineage {}, written {}).",
            state.path,
            state.serial,
            state.lineage,
            moment(Some(state.updated_at))
        ),
        None => "State: none yet (no apply has run).".to_string(),
    });
    let audit = &report.audit_log;
    let state_head = report.state.as_ref().and_then(|s| s.audit_head.as_ref());
    lines.push(match (audit.chain, &audit.head) {
        (Chain::Intact, Some(head)) => {
            let agreement = match (audit.matches_state, state_head) {
                (Some(true), Some(recorded)) => {
                    format!("; it carries the state's head {recorded}")
                }
                (Some(false), Some(recorded)) => format!(
                    "; it does NOT carry the state's head {recorded}: {}",
                    audit.problem.as_deref().unwrap_or("")
                ),
                _ => "; the state records no head".to_string(),
            };
            format!(
                "Audit log: {}, head {head} (its last line is line {}, chain intact{agreement}).",
                audit.path, head.seq
            )
        }
        (Chain::Missing, _) => match &audit.problem {
            Some(problem) => format!("Audit log: {}: {problem}.", audit.path),
            None => format!("Audit log: {}: none yet.", audit.path),
        },
        _ => format!(
            "Audit log: {}: {}.",
            audit.path,
            audit.problem.as_deref().unwrap_or("cannot be verified")
        ),
    });
    lines
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "RESOURCE")]
    resource: &'static str,
    #[tabled(rename = "ID")]
    id: u32,
    #[tabled(rename = "REASON")]
    reason: String,
    #[tabled(rename = "RECEIVED")]
    received: String,
    #[tabled(rename = "DUE")]
    due: String,
    #[tabled(rename = "STATUS")]
    status: String,
    #[tabled(rename = "ERASED AT")]
    erased_at: String,
    #[tabled(rename = "VERIFIED")]
    verified: &'static str,
    #[tabled(rename = "DAYS")]
    days: String,
}

/// Longest reason shown in a table cell; JSON and CSV keep it whole.
const REASON_WIDTH: usize = 60;

/// The report as a table: provenance, one row per entry, then the summary line last.
pub fn table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for line in provenance(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    if !report.entries.is_empty() {
        let rows = report.entries.iter().map(|entry| Row {
            resource: entry.resource.as_str(),
            id: entry.id,
            reason: entry.reason.as_deref().map_or_else(
                || "-".to_string(),
                |r| crate::text::sanitize(r, Some(REASON_WIDTH)),
            ),
            received: date(entry.received),
            due: date(entry.due),
            status: status_text(entry),
            erased_at: moment(done_at(entry).filter(|_| entry.erased_at.is_some())),
            verified: yes_no(entry.verified),
            days: days(entry.days),
        });
        let mut table = Table::new(rows);
        table.with(Style::blank());
        writeln!(out, "{}", crate::text::table_lines(&table.to_string()))?;
        writeln!(out)?;
    }
    for line in whys(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}", report.summary.line())
}

/// An entry's status as a person reads it: the word, and `late N days` when it was done after its due
/// date (PRODUCT §16), or the day an order is retained until.
fn status_text(entry: &Entry) -> String {
    match (entry.status, entry.days_late) {
        (Status::Retained { .. }, _) => entry.status.label(),
        (status, Some(late)) => format!("{}, late {}", status.as_str(), day_count(late)),
        (status, None) => status.as_str().to_string(),
    }
}

/// `1 day`, `12 days`.
pub fn day_count(days: i64) -> String {
    format!("{days} day{}", if days == 1 { "" } else { "s" })
}

/// One line per `unproven` or `reappeared` entry saying why (PRODUCT §14), before the summary line.
fn whys(report: &Report) -> Vec<String> {
    report
        .entries
        .iter()
        .filter_map(|entry| {
            let why = entry.why.as_deref()?;
            Some(format!(
                "{} {} {}: {}",
                entry.status.as_str(),
                entry.resource,
                entry.id,
                crate::text::sanitize(why, None)
            ))
        })
        .collect()
}

/// The report as markdown, to attach to a ticket: provenance, a table of every entry, the summary line
/// last. Every text from a file (reasons, paths) is escaped.
pub fn markdown(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### bcprune erasure report")?;
    writeln!(out)?;
    for line in provenance(report) {
        writeln!(out, "- {}", crate::text::markdown(&line))?;
    }
    writeln!(out)?;
    if !report.entries.is_empty() {
        writeln!(
            out,
            "| Resource | ID | Reason | Received | Due | Status | Erased at | Verified | Days |"
        )?;
        writeln!(out, "|---|---:|---|---|---|---|---|---|---:|")?;
        for entry in &report.entries {
            let status = match (entry.status, entry.days_late) {
                (Status::Overdue, _) => "**overdue**".to_string(),
                (_, Some(_)) => format!("**{}**", status_text(entry)),
                _ => status_text(entry),
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {status} | {} | {} | {} |",
                entry.resource,
                entry.id,
                entry
                    .reason
                    .as_deref()
                    .map_or_else(|| "-".to_string(), crate::text::markdown),
                // Dates never wrap in the middle (PRODUCT §17): the columns are narrow on GitHub.
                crate::text::nowrap_date(&date(entry.received)),
                crate::text::nowrap_date(&date(entry.due)),
                crate::text::nowrap_date(&moment(entry.erased_at)),
                yes_no(entry.verified),
                days(entry.days),
            )?;
        }
        writeln!(out)?;
    }
    for line in whys(report) {
        writeln!(out, "- {}", crate::text::markdown(&line))?;
    }
    writeln!(out, "{}", report.summary.line())
}

/// The report as pretty JSON (`schemas/report.schema.json`).
pub fn json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

/// A value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`
/// (the formula-injection guard, on top of the `csv` crate's RFC 4180 quoting).
fn defused(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The CSV writer every report uses: RFC 4180 (a field is quoted when it holds a comma, a quote, CR or
/// LF; quotes doubled), CRLF line ends.
fn csv_writer(out: &mut dyn Write) -> csv::Writer<&mut dyn Write> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// A CSV writer's error as the I/O error the formats return (a CSV writer only fails writing).
fn io_error(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// The report as CSV (RFC 4180, CRLF line ends): a header line, then one line per entry. Empty fields
/// for what does not apply.
pub fn csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let header = [
        "resource",
        "id",
        "reason",
        "received",
        "due",
        "status",
        "erased_at",
        "verified",
        "days",
        "found_absent_at",
        "run_id",
        "request",
        "days_late",
    ];
    let opt = |text: Option<String>| text.unwrap_or_default();
    let stamp = |at: Option<Timestamp>| opt(at.map(|at| at.to_string()));
    let rows = report.entries.iter().map(|entry| {
        vec![
            entry.resource.as_str().to_string(),
            entry.id.to_string(),
            opt(entry.reason.clone()),
            opt(entry.received.map(|d| d.to_string())),
            opt(entry.due.map(|d| d.to_string())),
            entry.status.label(),
            stamp(entry.erased_at),
            opt(entry.verified.map(|v| v.to_string())),
            opt(entry.days.map(|d| d.to_string())),
            stamp(entry.found_absent_at),
            opt(entry.run_id.clone()),
            opt(entry.request.clone()),
            opt(entry.days_late.map(|d| d.to_string())),
        ]
    });
    write_csv(out, &header, rows)
}

/// Write a CSV document (RFC 4180, CRLF line ends): `header`, then each row, every field through the
/// formula-injection guard. The one CSV writer of the reports.
pub fn write_csv(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> io::Result<()> {
    let mut writer = csv_writer(out);
    writer.write_record(header).map_err(io_error)?;
    for fields in rows {
        writer
            .write_record(fields.iter().map(|f| defused(f).into_owned()))
            .map_err(io_error)?;
    }
    writer.flush()
}

/// The provenance lines and the summary line, for formats whose stdout must stay machine-readable
/// (JSON, CSV): the command prints them on stderr.
pub fn notes(report: &Report) -> Vec<String> {
    let mut lines = provenance(report);
    lines.extend(whys(report));
    lines.push(report.summary.line());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One field as the report writes it (a record of one field, without its line end).
    fn csv_field(text: &str) -> String {
        let mut out = Vec::new();
        let mut writer = csv_writer(&mut out);
        writer.write_record([defused(text).as_ref()]).unwrap();
        writer.flush().unwrap();
        drop(writer);
        String::from_utf8(out)
            .unwrap()
            .strip_suffix("\r\n")
            .unwrap()
            .to_string()
    }

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says_and_formulas_are_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }

    #[test]
    fn markdown_text_cannot_open_html_links_or_break_the_table() {
        assert_eq!(
            crate::text::markdown("<img src=x> [a](b) | `c` *d*"),
            "&lt;img src=x&gt; \\[a\\](b) \\| \\`c\\` \\*d\\*"
        );
        // One line, read as written: no newline, no bidi control survives (they become `?`, as in the
        // pull-request comment; the report had its own weaker copy that left U+2028, `@` and `$` alone).
        assert_eq!(crate::text::markdown("a\nb\u{202E}c"), "a?b?c");
        assert_eq!(
            crate::text::markdown("@dpo $x$ a\u{2028}b"),
            "@&#8203;dpo \\$x\\$ a?b"
        );
    }
}
