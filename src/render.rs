//! Rendering a plan for people and machines: a table for the terminal, JSON (the saved-plan document),
//! markdown for a pull-request comment, and a unified diff of the affected records.
//!
//! Renderers write to a `&mut dyn Write` and never decide anything: the plan is already computed. Every
//! string that came from a manifest or the API is sanitised before it reaches a terminal or a comment,
//! so a reason cannot inject escape sequences or markdown.

use std::io::{self, Write};

use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::api::Live;
use crate::mask;
use crate::plan::{Action, Change, Plan, SavedPlan};

/// Rows shown per action in the table unless `--full` is given.
pub const TABLE_ROWS_PER_ACTION: usize = 100;

/// The most characters a markdown plan may have: GitHub rejects comments over 65,536 characters.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Longest reason shown in a table cell; the JSON plan keeps it whole.
const REASON_WIDTH: usize = 60;

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "ACTION")]
    action: String,
    #[tabled(rename = "CUSTOMER")]
    customer: String,
    #[tabled(rename = "EMAIL")]
    email: String,
    #[tabled(rename = "NAME")]
    name: String,
    #[tabled(rename = "REASON")]
    reason: String,
}

fn row(change: &Change) -> Row {
    Row {
        action: change.action.as_str().to_string(),
        customer: change.id.to_string(),
        email: cell(change.email_masked.as_deref()),
        name: cell(change.name_masked.as_deref()),
        reason: truncate(&cell(change.reason.as_deref()), REASON_WIDTH),
    }
}

fn cell(text: Option<&str>) -> String {
    match text {
        Some(text) if !text.is_empty() => sanitize(text),
        _ => "-".to_string(),
    }
}

/// Replace control characters (escape sequences, newlines) so a value shows as one inert line.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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
        Action::Absent => "more already absent",
    };
    Row {
        action: "…".into(),
        customer: format!("({hidden} {what})"),
        email: String::new(),
        name: String::new(),
        reason: String::new(),
    }
}

/// The plan as a table followed by the summary line. Past [`TABLE_ROWS_PER_ACTION`] rows per action
/// the rest is counted in one row, unless `full`.
pub fn table(plan: &Plan, full: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut rows = Vec::new();
    for action in [Action::Delete, Action::Absent] {
        let group: Vec<&Change> = plan.changes.iter().filter(|c| c.action == action).collect();
        let shown = if full {
            group.len()
        } else {
            group.len().min(TABLE_ROWS_PER_ACTION)
        };
        rows.extend(group[..shown].iter().map(|c| row(c)));
        if shown < group.len() {
            rows.push(more(action, group.len() - shown));
        }
    }
    if !rows.is_empty() {
        let mut table = Table::new(rows);
        table.with(Style::blank());
        writeln!(out, "{table}")?;
        writeln!(out)?;
    }
    writeln!(out, "{}", plan.summary().line())
}

/// The saved-plan document as pretty JSON (what `plan --format json` prints and `--out` saves).
pub fn json(saved: &SavedPlan, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, saved).map_err(io::Error::other)?;
    writeln!(out)
}

fn md_cell(text: Option<&str>) -> String {
    match text {
        None | Some("") => "-".to_string(),
        Some(text) => {
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '|' => escaped.push_str("\\|"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '&' => escaped.push_str("&amp;"),
                    '`' | '*' | '_' | '[' | ']' | '\\' => {
                        escaped.push('\\');
                        escaped.push(c);
                    }
                    c if c.is_control() => escaped.push(' '),
                    c => escaped.push(c),
                }
            }
            escaped
        }
    }
}

/// The plan as a pull-request comment: title and summary first, then each action's rows folded in a
/// `<details>` block. Always under [`MARKDOWN_LIMIT`] characters: rows that do not fit are counted.
pub fn markdown(saved: &SavedPlan, out: &mut dyn Write) -> io::Result<()> {
    let summary = saved.summary;
    let mut text = String::new();
    text.push_str(&format!(
        "### bcprune plan for store `{}`\n\n**{}**\n\n",
        md_cell(Some(&saved.store_hash)),
        summary.line()
    ));
    text.push_str(&format!(
        "Manifest `{}` (sha256 `{}`), made {} by bcprune {}.\n\n",
        md_cell(Some(&saved.manifest.path)),
        saved
            .manifest
            .sha256
            .get(..12)
            .unwrap_or(&saved.manifest.sha256),
        saved.created_at,
        saved.tool_version
    ));
    let footer_reserve = 400;
    for (action, title) in [
        (Action::Delete, "to delete"),
        (Action::Absent, "already absent"),
    ] {
        let group: Vec<&Change> = saved
            .changes
            .iter()
            .filter(|c| c.action == action)
            .collect();
        if group.is_empty() {
            continue;
        }
        text.push_str(&format!(
            "<details><summary>{} {title}</summary>\n\n| Action | Customer | Email | Name | Reason |\n|---|---|---|---|---|\n",
            group.len()
        ));
        let mut shown = 0;
        for change in &group {
            let line = format!(
                "| {} | {} | {} | {} | {} |\n",
                change.action.as_str(),
                change.id,
                md_cell(change.email_masked.as_deref()),
                md_cell(change.name_masked.as_deref()),
                md_cell(change.reason.as_deref()),
            );
            if text.len() + line.len() + footer_reserve > MARKDOWN_LIMIT {
                break;
            }
            text.push_str(&line);
            shown += 1;
        }
        if shown < group.len() {
            text.push_str(&format!(
                "\n…and {} more {title}, not shown to keep this comment under {MARKDOWN_LIMIT} characters. The full plan is in the job's artifacts (`bcprune show PLAN --full`).\n",
                group.len() - shown
            ));
        }
        text.push_str("\n</details>\n\n");
    }
    out.write_all(text.as_bytes())
}

/// A unified diff of each customer record to delete: the masked record before, nothing after.
pub fn diff(plan: &Plan, live: &Live, out: &mut dyn Write) -> io::Result<()> {
    for change in plan.to_delete() {
        let Some(customer) = live.customers.get(&change.id) else {
            continue;
        };
        let before = serde_json::to_string_pretty(&mask::record(&customer.record))
            .map_err(io::Error::other)?
            + "\n";
        let diff = similar::TextDiff::from_lines(before.as_str(), "");
        write!(
            out,
            "{}",
            diff.unified_diff().context_radius(3).header(
                &format!("customer {} (before)", change.id),
                &format!("customer {} (after: deleted)", change.id),
            )
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: u32, action: Action, reason: &str) -> Change {
        let delete = action == Action::Delete;
        Change {
            resource: crate::Resource::Customer,
            id,
            action,
            recorded: false,
            reappeared: false,
            received: None,
            due: None,
            reason: Some(reason.to_string()),
            email_masked: delete.then(|| "j***@example.com".to_string()),
            name_masked: delete.then(|| "J*** D***".to_string()),
            date_modified: delete.then(|| "2026-01-01T00:00:00Z".to_string()),
        }
    }

    fn render_table(plan: &Plan, full: bool) -> String {
        let mut out = Vec::new();
        table(plan, full, &mut out).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn table_caps_rows_per_action_and_counts_the_rest() {
        let mut changes: Vec<Change> = (1..=150)
            .map(|id| change(id, Action::Delete, "dup"))
            .collect();
        changes.extend((1000..1003).map(|id| change(id, Action::Absent, "gone")));
        let plan = Plan { changes };
        let text = render_table(&plan, false);
        assert!(text.contains("(50 more to delete)"), "{text}");
        assert!(text.contains("1002"), "{text}");
        assert!(!text.contains(" 101 "), "{text}");
        assert!(text.ends_with("Plan: 150 to delete, 3 already absent.\n"));
        let full = render_table(&plan, true);
        assert!(full.contains(" 150 ") && !full.contains("more to delete"));
    }

    #[test]
    fn control_characters_in_a_reason_are_neutralised() {
        let plan = Plan {
            changes: vec![change(1, Action::Delete, "evil\u{1b}[2Jreason\nnext")],
        };
        let text = render_table(&plan, false);
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("evil?[2Jreason?next"), "{text}");
    }

    #[test]
    fn markdown_stays_under_the_limit_for_a_huge_plan() {
        let plan = Plan {
            changes: (1..=100_000)
                .map(|id| change(id, Action::Delete, "a long reason | with <b>html</b>"))
                .collect(),
        };
        let manifest = crate::plan::ManifestRef {
            path: "m.yaml".into(),
            sha256: "ab".repeat(32),
        };
        let saved = SavedPlan {
            format_version: 1,
            tool_version: "0".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            store_hash: "acme".into(),
            api_host: "h".into(),
            manifest,
            state: None,
            audit_head: None,
            refresh_all: false,
            summary: plan.summary(),
            changes: plan.changes.clone(),
        };
        let mut out = Vec::new();
        markdown(&saved, &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.len() < MARKDOWN_LIMIT, "{}", text.len());
        assert!(text.starts_with(
            "### bcprune plan for store `acme`\n\n**Plan: 100000 to delete, 0 already absent.**"
        ));
        assert!(text.contains("more to delete, not shown"));
        assert!(text.contains("with &lt;b&gt;html&lt;/b&gt;") && text.contains("reason \\| with"));
    }
}
