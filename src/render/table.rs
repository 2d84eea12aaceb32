//! The plan as a table for the terminal (tabled), then the stable summary line.
//!
//! Columns in the order a reviewer reads a row: what happens (ACTION), to what (RESOURCE, ID), who it is
//! (EMAIL, NAME, masked), by when (DUE), until when a retained order is kept (RETENTION, only when an
//! order is retained), and why (REASON, the longest, last). `delete` and `redact` are red on a terminal,
//! as Terraform colours a destroy (both are irreversible); `retain` is not a change and stays plain. The
//! colour is added after the layout so it never shifts a column, and no line ends in blanks (a terminal
//! narrower than the padded table would wrap them into empty lines).

use std::io::{self, Write};

use jiff::civil::Date;
use tabled::settings::location::ByColumnName;
use tabled::settings::{Remove, Style};
use tabled::{Table, Tabled};

use super::{
    Deadline, TABLE_ROWS_PER_ACTION, action_label, deadline, resource_label, retention_label,
};
use crate::plan::{Action, Change, Plan};
use crate::text;

/// Longest reason shown in a table cell; the JSON plan keeps it whole.
const REASON_WIDTH: usize = 60;

/// ANSI red and reset: Terraform's colour for a destroy.
const RED: &str = "\u{1b}[31m";
const RESET: &str = "\u{1b}[0m";

/// How to render the table; the CLI decides each from the flags, the terminal and the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Every row (`--full`); else the first [`TABLE_ROWS_PER_ACTION`] per action and a count.
    pub full: bool,
    /// `delete` in red: stdout is a terminal and neither `--no-color` nor `NO_COLOR` is set.
    pub colour: bool,
    /// Today, to mark overdue deletions; `None` marks none.
    pub today: Option<Date>,
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "ACTION")]
    action: String,
    #[tabled(rename = "RESOURCE")]
    resource: String,
    #[tabled(rename = "ID")]
    id: String,
    #[tabled(rename = "EMAIL")]
    email: String,
    #[tabled(rename = "NAME")]
    name: String,
    #[tabled(rename = "DUE")]
    due: String,
    #[tabled(rename = "RETENTION")]
    retention: String,
    #[tabled(rename = "REASON")]
    reason: String,
}

fn row(change: &Change, today: Option<Date>) -> Row {
    Row {
        action: action_label(change),
        resource: resource_label(change.resource).to_string(),
        id: change.id.to_string(),
        email: cell(change.email_masked.as_deref()),
        name: cell(change.name_masked.as_deref()),
        due: match deadline(change, today) {
            Deadline::None => "-".to_string(),
            Deadline::Due(due) | Deadline::DueSoon(due) => due.to_string(),
            Deadline::Overdue(due) => format!("{due} (overdue)"),
        },
        retention: retention_label(change).unwrap_or_else(|| "-".to_string()),
        reason: truncate(&cell(change.reason.as_deref()), REASON_WIDTH),
    }
}

fn cell(text: Option<&str>) -> String {
    match text {
        Some(text) if !text.is_empty() => text::sanitize(text, None),
        _ => "-".to_string(),
    }
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn more(action: Action, hidden: usize) -> Row {
    let what = match action {
        Action::Delete => "more to delete",
        Action::Redact => "more to redact",
        Action::Retain => "more retained",
        Action::Absent => "more already absent",
    };
    // In the last column, so the count does not widen the columns of the rows shown.
    Row {
        action: "…".into(),
        resource: String::new(),
        id: String::new(),
        email: String::new(),
        name: String::new(),
        due: String::new(),
        retention: String::new(),
        reason: format!("({hidden} {what})"),
    }
}

/// The plan as a table followed by the summary line, without colour and without overdue marks: for
/// callers that do not pass [`TableOptions`] yet. Prefer [`table_with`].
pub fn table(plan: &Plan, full: bool, out: &mut dyn Write) -> io::Result<()> {
    table_with(
        plan,
        &TableOptions {
            full,
            ..TableOptions::default()
        },
        out,
    )
}

/// The plan as a table followed by the summary line `Plan: N to delete, M already absent.` Past
/// [`TABLE_ROWS_PER_ACTION`] rows per action the rest is counted in one row, unless `options.full`.
pub fn table_with(plan: &Plan, options: &TableOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut rows = Vec::new();
    let mut red = Vec::new();
    for action in [
        Action::Delete,
        Action::Redact,
        Action::Retain,
        Action::Absent,
    ] {
        let group: Vec<&Change> = plan.changes.iter().filter(|c| c.action == action).collect();
        let shown = if options.full {
            group.len()
        } else {
            group.len().min(TABLE_ROWS_PER_ACTION)
        };
        for change in &group[..shown] {
            red.push(change.action.changes());
            rows.push(row(change, options.today));
        }
        if shown < group.len() {
            red.push(false);
            rows.push(more(action, group.len() - shown));
        }
    }
    if !rows.is_empty() {
        let retained = plan.changes.iter().any(|c| c.action == Action::Retain);
        let mut table = Table::new(rows);
        table.with(Style::blank());
        if !retained {
            table.with(Remove::column(ByColumnName::new("RETENTION")));
        }
        let rendered = text::table_lines(&table.to_string());
        if options.colour {
            // Line 0 is the header, line i + 1 is row i (cells are one line each: sanitised). The
            // first "delete" on a row's line is its ACTION cell, the first column.
            for (i, line) in rendered.lines().enumerate() {
                match i.checked_sub(1).and_then(|row| red.get(row)) {
                    Some(true) => {
                        let word = if line.trim_start().starts_with("redact") {
                            "redact"
                        } else {
                            "delete"
                        };
                        writeln!(
                            out,
                            "{}",
                            line.replacen(word, &format!("{RED}{word}{RESET}"), 1)
                        )?;
                    }
                    _ => writeln!(out, "{line}")?,
                }
            }
        } else {
            writeln!(out, "{rendered}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", plan.summary().line())
}
