//! The report per request (PRODUCT.md §16): a data protection officer thinks in requests ("did we erase
//! all of her, in time?"), the erasure report ([`crate::report`]) lists records. [`compute`] groups the
//! records of a [`Report`] by their `request` (an entry without one is a request of its own) and says,
//! per request, the counts of its records by status, received, due, one status, when its last record
//! settled, the days taken and the **days late**, and what stays in the store (§15). Pure: it reads
//! the record report only, so every record status keeps the evidence rule the record report applies
//! (§14). The renderers write a table, markdown, JSON (`schemas/requests.schema.json`) or CSV.

use std::collections::BTreeMap;
use std::io::{self, Write};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::Resource;
use crate::report::{self, AuditInfo, Counts, ManifestInfo, Report, StateInfo, Status};

/// The format version of the JSON report per request.
pub const REQUESTS_VERSION: u32 = 1;

/// What became of a request, from its records' statuses; exactly one per request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Every record erased, found absent or (an order) redacted, each proven by the audit log.
    Erased,
    /// Every record done but orders kept for the law until a date (`retained_until`, the latest).
    Retained,
    /// Some records done, others not yet (or a deletion not yet confirmed), not past due.
    #[serde(rename = "in progress")]
    InProgress,
    /// Nothing done yet, not past due (or without a due date).
    Pending,
    /// Not done and past its due date.
    Overdue,
    /// A record the state calls erased or absent is not proven by the audit log (PRODUCT §14).
    Unproven,
}

impl RequestStatus {
    /// The words shown in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Erased => "erased",
            RequestStatus::Retained => "retained",
            RequestStatus::InProgress => "in progress",
            RequestStatus::Pending => "pending",
            RequestStatus::Overdue => "overdue",
            RequestStatus::Unproven => "unproven",
        }
    }
}

/// One record of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RecordRef {
    /// `customer`, `subscriber` (or `order`).
    pub resource: Resource,
    pub id: u32,
    /// Its status in the record report.
    pub status: Status,
}

/// What stays in the store once a request is carried out (PRODUCT §15): bcprune cannot erase it
/// through the API, so the data subject is told.
pub const STAYS: [&str; 5] = [
    "shipments (copies of the shipping address)",
    "transactions (card details, read-only)",
    "order messages",
    "abandoned carts (not listable through the API)",
    "stored payment instruments (read-only through the API)",
];

/// What stays of a request whose orders `retained` (order, retained until) are kept, said once: which
/// orders and until when first ([`orders_kept`]), then [`STAYS`]. The one wording the report and the
/// receipt share.
pub fn stays(retained: &[(u32, Date)]) -> Vec<String> {
    orders_kept(retained)
        .into_iter()
        .chain(STAYS.iter().map(ToString::to_string))
        .collect()
}

/// `order 100, kept for the law until 2032-12-31, then redacted`, or for several
/// `orders 100, 102, 104, kept for the law, the last until 2032-12-31, then redacted`; `None` when
/// no order is kept.
pub fn orders_kept(retained: &[(u32, Date)]) -> Option<String> {
    let last = retained.iter().map(|r| r.1).max()?;
    let mut ids: Vec<u32> = retained.iter().map(|r| r.0).collect();
    ids.sort_unstable();
    ids.dedup();
    Some(if ids.len() == 1 {
        format!(
            "order {}, kept for the law until {last}, then redacted",
            ids[0]
        )
    } else {
        format!(
            "orders {}, kept for the law, the last until {last}, then redacted",
            crate::resource::id_list(&ids)
        )
    })
}

/// The orders of `records` kept for the law, with their dates.
pub fn retained_orders(records: &[RecordRef]) -> Vec<(u32, Date)> {
    records
        .iter()
        .filter_map(|r| match r.status {
            Status::Retained { until } => Some((r.id, until)),
            _ => None,
        })
        .collect()
}

/// One request and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RequestRow {
    /// The request's reference; `null` for an entry listed without one (a request of its own).
    pub request: Option<String>,
    /// Its records, in manifest order.
    pub records: Vec<RecordRef>,
    /// How many of its records have each status.
    pub counts: Counts,
    /// The day it arrived (the same on every entry of a request).
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub received: Option<Date>,
    /// The day it is due.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due: Option<Date>,
    pub status: RequestStatus,
    /// `retained`: the latest day an order of it is kept until.
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub retained_until: Option<Date>,
    /// `erased` or `retained`: when its last record settled, RFC 3339 UTC.
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub settled_at: Option<Timestamp>,
    /// Days from `received` to the day (UTC) it settled.
    pub days_taken: Option<i64>,
    /// Days after `due` it settled: 0 when in time; `null` when not settled or without a due date.
    pub days_late: Option<i64>,
    /// What stays in the store (PRODUCT §15), said once per request.
    pub stays: Vec<String>,
}

impl RequestRow {
    /// The request's name as shown: its reference, or `(customer 101)` for a lone entry.
    pub fn name(&self) -> String {
        match (&self.request, self.records.first()) {
            (Some(request), _) => request.clone(),
            (None, Some(record)) => format!("({} {})", record.resource, record.id),
            (None, None) => "-".to_string(),
        }
    }

    /// Whether it settled after its due date.
    pub fn is_late(&self) -> bool {
        self.days_late.is_some_and(|late| late > 0)
    }
}

/// How many requests have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RequestCounts {
    pub requests: usize,
    pub erased: usize,
    /// Of the erased, those settled after their due date.
    pub erased_late: usize,
    pub retained: usize,
    pub in_progress: usize,
    pub pending: usize,
    pub overdue: usize,
    pub unproven: usize,
}

impl RequestCounts {
    /// `Requests: N; E erased (L late), R retained, I in progress, P pending, O overdue, U unproven.`
    pub fn line(&self) -> String {
        format!(
            "Requests: {}; {} erased ({} late), {} retained, {} in progress, {} pending, {} overdue, \
             {} unproven.",
            self.requests,
            self.erased,
            self.erased_late,
            self.retained,
            self.in_progress,
            self.pending,
            self.overdue,
            self.unproven
        )
    }
}

/// The report per request: a versioned document, documented by `schemas/requests.schema.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(title = "bcprune erasure report per request")]
pub struct RequestReport {
    /// Format version of this document; always 1.
    pub requests_version: u32,
    /// The bcprune version that wrote it.
    pub tool_version: String,
    /// The day the statuses were computed for.
    #[schemars(with = "String", extend("format" = "date"))]
    pub as_of: Date,
    pub manifest: ManifestInfo,
    pub store_hash: Option<String>,
    pub state: Option<StateInfo>,
    pub audit_log: AuditInfo,
    pub summary: RequestCounts,
    /// One per request, in the order of their first entry in the manifest.
    pub requests: Vec<RequestRow>,
}

/// The requests of `report`, each with one status. Pure.
pub fn compute(report: &Report) -> RequestReport {
    let mut order: Vec<Vec<usize>> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, entry) in report.entries.iter().enumerate() {
        match entry.request.as_deref() {
            Some(request) => match index.get(request) {
                Some(&at) => order[at].push(i),
                None => {
                    index.insert(request, order.len());
                    order.push(vec![i]);
                }
            },
            None => order.push(vec![i]),
        }
    }
    let mut summary = RequestCounts::default();
    let requests: Vec<RequestRow> = order
        .into_iter()
        .map(|members| {
            let entries: Vec<&report::Entry> =
                members.iter().map(|&i| &report.entries[i]).collect();
            let row = row(&entries, report.as_of);
            summary.requests += 1;
            match row.status {
                RequestStatus::Erased => {
                    summary.erased += 1;
                    if row.is_late() {
                        summary.erased_late += 1;
                    }
                }
                RequestStatus::Retained => summary.retained += 1,
                RequestStatus::InProgress => summary.in_progress += 1,
                RequestStatus::Pending => summary.pending += 1,
                RequestStatus::Overdue => summary.overdue += 1,
                RequestStatus::Unproven => summary.unproven += 1,
            }
            row
        })
        .collect();
    RequestReport {
        requests_version: REQUESTS_VERSION,
        tool_version: report.tool_version.clone(),
        as_of: report.as_of,
        manifest: report.manifest.clone(),
        store_hash: report.store_hash.clone(),
        state: report.state.clone(),
        audit_log: report.audit_log.clone(),
        summary,
        requests,
    }
}

/// One request from its entries (all of one request, non-empty).
fn row(entries: &[&report::Entry], today: Date) -> RequestRow {
    let mut counts = Counts::default();
    for entry in entries {
        counts.count(entry.status);
    }
    let received = entries.iter().find_map(|e| e.received);
    let due = entries.iter().find_map(|e| e.due);
    let retained_until = entries
        .iter()
        .filter_map(|e| match e.status {
            Status::Retained { until } => Some(until),
            _ => None,
        })
        .max();
    let all_done = entries
        .iter()
        .all(|e| e.status.is_settled() || matches!(e.status, Status::Retained { .. }));
    let any_done = entries.iter().any(|e| {
        e.status.is_settled() || matches!(e.status, Status::Retained { .. } | Status::Unverified)
    });
    let status = if counts.unproven > 0 {
        RequestStatus::Unproven
    } else if all_done && retained_until.is_some() {
        RequestStatus::Retained
    } else if all_done {
        RequestStatus::Erased
    } else if due.is_some_and(|due| due < today) {
        RequestStatus::Overdue
    } else if any_done {
        RequestStatus::InProgress
    } else {
        RequestStatus::Pending
    };
    // When its last record settled: the latest erasure or absence (a retained order settles nothing yet).
    let settled_at = all_done
        .then(|| {
            entries
                .iter()
                .filter_map(|e| e.erased_at.or(e.found_absent_at))
                .max()
        })
        .flatten();
    let days_taken = received
        .zip(settled_at)
        .and_then(|(r, at)| report::days_between(r, at));
    let days_late = due
        .zip(settled_at)
        .and_then(|(d, at)| report::days_between(d, at))
        .map(|late| late.max(0));
    let records: Vec<RecordRef> = entries
        .iter()
        .map(|e| RecordRef {
            resource: e.resource,
            id: e.id,
            status: e.status,
        })
        .collect();
    RequestRow {
        request: entries[0].request.clone(),
        stays: stays(&retained_orders(&records)),
        records,
        counts,
        received,
        due,
        status,
        retained_until,
        settled_at,
        days_taken,
        days_late,
    }
}

/// A request's record counts as a person reads them: `3: 2 erased, 1 pending`.
fn counts_text(row: &RequestRow) -> String {
    let c = &row.counts;
    let parts: Vec<String> = [
        (c.erased, "erased"),
        (c.absent, "absent"),
        (c.redacted, "redacted"),
        (c.retained, "retained"),
        (c.unverified, "unverified"),
        (c.pending, "pending"),
        (c.overdue, "overdue"),
        (c.reappeared, "reappeared"),
        (c.unproven, "unproven"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    format!("{}: {}", row.records.len(), parts.join(", "))
}

/// A request's status as a person reads it: `retained until 2034-12-31`, `erased, late 12 days`.
fn status_text(row: &RequestRow) -> String {
    match (row.status, row.retained_until) {
        (RequestStatus::Retained, Some(until)) => format!("retained until {until}"),
        (status, _) if row.is_late() => format!(
            "{}, late {}",
            status.as_str(),
            report::day_count(row.days_late.unwrap_or(0))
        ),
        (status, _) => status.as_str().to_string(),
    }
}

fn date(day: Option<Date>) -> String {
    day.map_or_else(|| "-".to_string(), |d| d.to_string())
}

fn moment(at: Option<Timestamp>) -> String {
    at.map_or_else(
        || "-".to_string(),
        |at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn number(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// What stays, said once for the whole report: the part every request shares, then each request's
/// own (orders retained until a date).
fn stays_lines(report: &RequestReport) -> Vec<String> {
    let mut lines: Vec<String> = report
        .requests
        .iter()
        .filter_map(|row| {
            orders_kept(&retained_orders(&row.records))
                .map(|kept| format!("What stays of {}: {kept}.", row.name()))
        })
        .collect();
    if !report.requests.is_empty() {
        lines.push(format!(
            "What stays in the store for every request (bcprune cannot erase it through the API): {}.",
            STAYS.join("; ")
        ));
    }
    lines
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "REQUEST")]
    request: String,
    #[tabled(rename = "RECORDS")]
    records: String,
    #[tabled(rename = "RECEIVED")]
    received: String,
    #[tabled(rename = "DUE")]
    due: String,
    #[tabled(rename = "STATUS")]
    status: String,
    #[tabled(rename = "SETTLED AT")]
    settled_at: String,
    #[tabled(rename = "DAYS")]
    days: String,
    #[tabled(rename = "DAYS LATE")]
    late: String,
}

/// The provenance lines of the record report, the heading naming requests.
fn provenance(report: &RequestReport) -> Vec<String> {
    let as_record = Report {
        report_version: report::REPORT_VERSION,
        tool_version: report.tool_version.clone(),
        as_of: report.as_of,
        manifest: report.manifest.clone(),
        store_hash: report.store_hash.clone(),
        state: report.state.clone(),
        audit_log: report.audit_log.clone(),
        summary: Counts::default(),
        entries: Vec::new(),
    };
    let mut lines = report::provenance(&as_record);
    if let Some(first) = lines.first_mut() {
        *first = first.replacen("Erasure report for", "Erasure report per request for", 1);
    }
    lines
}

/// The report per request as a table: provenance, one row per request, what stays, the summary last.
pub fn table(report: &RequestReport, out: &mut dyn Write) -> io::Result<()> {
    for line in provenance(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out)?;
    if !report.requests.is_empty() {
        let rows = report.requests.iter().map(|row| Row {
            request: row.name(),
            records: counts_text(row),
            received: date(row.received),
            due: date(row.due),
            status: status_text(row),
            settled_at: moment(row.settled_at),
            days: number(row.days_taken),
            late: number(row.days_late),
        });
        let mut table = Table::new(rows);
        table.with(Style::blank());
        writeln!(out, "{}", crate::text::table_lines(&table.to_string()))?;
        writeln!(out)?;
    }
    for line in stays_lines(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}", report.summary.line())
}

/// The report per request as markdown: provenance, a table of requests, what stays, the summary last.
pub fn markdown(report: &RequestReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### bcprune erasure report per request")?;
    writeln!(out)?;
    for line in provenance(report) {
        writeln!(out, "- {}", crate::text::markdown(&line))?;
    }
    writeln!(out)?;
    if !report.requests.is_empty() {
        writeln!(
            out,
            "| Request | Records | Received | Due | Status | Settled at | Days | Days late |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---:|---:|")?;
        for row in &report.requests {
            let status = match row.status {
                RequestStatus::Overdue | RequestStatus::Unproven => {
                    format!("**{}**", status_text(row))
                }
                _ if row.is_late() => format!("**{}**", status_text(row)),
                _ => status_text(row),
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                crate::text::nowrap_date(&crate::text::markdown(&row.name())),
                counts_text(row),
                crate::text::nowrap_date(&date(row.received)),
                crate::text::nowrap_date(&date(row.due)),
                crate::text::nowrap_date(&status),
                crate::text::nowrap_date(&moment(row.settled_at)),
                number(row.days_taken),
                number(row.days_late),
            )?;
        }
        writeln!(out)?;
    }
    for line in stays_lines(report) {
        writeln!(out, "- {}", crate::text::markdown(&line))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", report.summary.line())
}

/// The report per request as pretty JSON (`schemas/requests.schema.json`).
pub fn json(report: &RequestReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

/// The report per request as CSV (RFC 4180, CRLF line ends, the report's writer and formula guard):
/// a header line, then one line per request.
pub fn csv(report: &RequestReport, out: &mut dyn Write) -> io::Result<()> {
    let header = [
        "request",
        "records",
        "erased",
        "unverified",
        "absent",
        "redacted",
        "retained",
        "pending",
        "overdue",
        "reappeared",
        "unproven",
        "received",
        "due",
        "status",
        "retained_until",
        "settled_at",
        "days_taken",
        "days_late",
    ];
    let rows = report.requests.iter().map(|row| {
        let c = &row.counts;
        let opt = |text: Option<String>| text.unwrap_or_default();
        vec![
            row.name(),
            row.records.len().to_string(),
            c.erased.to_string(),
            c.unverified.to_string(),
            c.absent.to_string(),
            c.redacted.to_string(),
            c.retained.to_string(),
            c.pending.to_string(),
            c.overdue.to_string(),
            c.reappeared.to_string(),
            c.unproven.to_string(),
            opt(row.received.map(|d| d.to_string())),
            opt(row.due.map(|d| d.to_string())),
            row.status.as_str().to_string(),
            opt(row.retained_until.map(|d| d.to_string())),
            opt(row.settled_at.map(|t| t.to_string())),
            opt(row.days_taken.map(|d| d.to_string())),
            opt(row.days_late.map(|d| d.to_string())),
        ]
    });
    report::write_csv(out, &header, rows)
}

/// The provenance lines, what stays and the summary line, for JSON and CSV (printed on stderr).
pub fn notes(report: &RequestReport) -> Vec<String> {
    let mut lines = provenance(report);
    lines.extend(stays_lines(report));
    lines.push(report.summary.line());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Entry;

    fn day(text: &str) -> Date {
        text.parse().expect("date")
    }

    fn entry(id: u32, request: &str, status: Status, done: Option<&str>) -> Entry {
        Entry {
            resource: Resource::Customer,
            id,
            request: Some(request.to_string()),
            reason: None,
            received: Some(day("2026-10-01")),
            due: Some(day("2026-11-01")),
            status,
            erased_at: done.map(|t| t.parse().expect("timestamp")),
            verified: None,
            found_absent_at: None,
            days: None,
            days_late: None,
            run_id: None,
            why: None,
        }
    }

    fn one(entries: Vec<Entry>, today: &str) -> RequestRow {
        let refs: Vec<&Entry> = entries.iter().collect();
        row(&refs, day(today))
    }

    #[test]
    fn a_request_done_but_for_orders_kept_until_a_date_is_retained_until_the_latest() {
        let row = one(
            vec![
                entry(1, "R", Status::Erased, Some("2026-10-20T10:00:00Z")),
                entry(
                    9001,
                    "R",
                    Status::Retained {
                        until: day("2034-12-31"),
                    },
                    None,
                ),
                entry(
                    9002,
                    "R",
                    Status::Retained {
                        until: day("2036-05-02"),
                    },
                    None,
                ),
                entry(9003, "R", Status::Redacted, Some("2026-10-21T10:00:00Z")),
            ],
            "2026-12-01",
        );
        assert_eq!(row.status, RequestStatus::Retained);
        assert_eq!(row.retained_until, Some(day("2036-05-02")));
        assert_eq!(status_text(&row), "retained until 2036-05-02");
        assert_eq!(row.days_late, Some(0));
        assert_eq!(
            row.stays[0],
            "orders 9001, 9002, kept for the law, the last until 2036-05-02, then redacted"
        );
        assert_eq!(
            stays(&[(9001, day("2034-12-31"))])[0],
            "order 9001, kept for the law until 2034-12-31, then redacted"
        );
        assert_eq!(counts_text(&row), "4: 1 erased, 1 redacted, 2 retained");
    }

    #[test]
    fn one_unproven_record_makes_the_request_unproven_and_past_due_work_overdue() {
        let erased = || entry(1, "R", Status::Erased, Some("2026-10-20T10:00:00Z"));
        let unproven = one(
            vec![erased(), entry(2, "R", Status::Unproven, None)],
            "2026-10-02",
        );
        assert_eq!(unproven.status, RequestStatus::Unproven);
        assert_eq!(unproven.settled_at, None);
        let late = one(
            vec![erased(), entry(2, "R", Status::Pending, None)],
            "2026-11-02",
        );
        assert_eq!(late.status, RequestStatus::Overdue);
        let going = one(
            vec![erased(), entry(2, "R", Status::Pending, None)],
            "2026-11-01",
        );
        assert_eq!(going.status, RequestStatus::InProgress);
        let unverified = one(vec![entry(2, "R", Status::Unverified, None)], "2026-10-02");
        assert_eq!(unverified.status, RequestStatus::InProgress);
        let nothing = one(vec![entry(2, "R", Status::Reappeared, None)], "2026-10-02");
        assert_eq!(nothing.status, RequestStatus::Pending);
    }
}
