//! The pull-request comment (`plan --format markdown`, PRODUCT §13), laid out as Atlantis and tfcmt
//! lay out theirs: a hidden marker a workflow finds its one comment by; a one-line verdict; the
//! deadlines, guards and provenance a reviewer approves; the rows to delete visible (the first
//! [`MARKDOWN_VISIBLE_ROWS`], the rest folded); the rows already absent and the diff folded; what a
//! deletion does not erase. Always under [`MARKDOWN_LIMIT`] characters: what does not fit is counted.
//! [`markdown_failure`] is the same comment when there is no plan, saying why.
//!
//! Every value is escaped for GitHub-flavoured markdown: emails in code spans (no autolink, no
//! `@domain` mention), `@` elsewhere broken with a zero-width space (no one is notified by a reason),
//! HTML and table syntax escaped, control and bidirectional characters shown as `?`.

use std::io::{self, Write};

use super::{
    Context, Counts, DUE_SOON_DAYS, Deadline, MARKDOWN_LIMIT, MARKDOWN_VISIBLE_ROWS, counts,
    deadline, resource_label,
};
use crate::plan::{Action, Change, SavedPlan};
use crate::text::{self, plural};

/// Room kept for the closing lines and the counts of what was cut.
const SLACK: usize = 1_500;

/// Lines of an error shown in a failure comment; the job log has the rest.
const ERROR_LINES: usize = 40;

/// What a customer deletion leaves in a BigCommerce store (PRODUCT §7; API-NOTES), so nobody takes the
/// plan for more than it is.
/// True with or without orders in the plan: it says what `orders: redact` changes.
pub const NOT_ERASED: &str = "**Not erased by deleting a customer:** their orders, unless the manifest \
marks the customer `orders: redact` (an order keeps billing and shipping addresses; BigCommerce can only \
archive it, bcprune redacts it once its retention ends); abandoned carts; stored payment instruments.";

/// The hidden first line a workflow finds its comment by: `<!-- bcprune:plan store=HASH -->`. A store
/// hash that is unknown, or not made of the characters a store hash has, is `unknown`.
pub fn marker(store: Option<&str>) -> String {
    let store = store
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .unwrap_or("unknown");
    format!("<!-- bcprune:plan store={store} -->")
}

/// A cell or `-` when empty.
fn md_cell(text: Option<&str>) -> String {
    match text {
        None | Some("") => "-".to_string(),
        Some(text) => text::markdown(text),
    }
}

/// A code span: no markdown, no autolink, no mention inside. A backtick becomes `'` (a code span cannot
/// escape one); in a table, `|` is escaped (GFM splits cells before it parses code spans).
fn md_code(text: &str, in_table: bool) -> String {
    let mut code = String::with_capacity(text.len() + 2);
    code.push('`');
    for c in text.chars() {
        match c {
            '`' => code.push('\''),
            '|' if in_table => code.push_str("\\|"),
            c if text::is_unsafe(c) => code.push('?'),
            c => code.push(c),
        }
    }
    code.push('`');
    code
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// `2026-12-01 18:00:05 UTC`, from the plan's RFC 3339 time; shown as given if it does not parse.
fn time_to_second(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => text::markdown(rfc3339),
    }
}

/// "3 customers and 2 subscribers", leaving out a resource with none.
fn what_is_deleted(counts: &Counts) -> String {
    let mut parts = Vec::new();
    if counts.customers > 0 || counts.subscribers == 0 {
        parts.push(format!(
            "{} {}",
            thousands(counts.customers),
            plural(counts.customers, "customer", "customers")
        ));
    }
    if counts.subscribers > 0 {
        parts.push(format!(
            "{} {}",
            thousands(counts.subscribers),
            plural(counts.subscribers, "subscriber", "subscribers")
        ));
    }
    parts.join(" and ")
}

/// The provenance line: manifest and its hash, commit, CI run, audit head, time, tool version.
fn facts(saved: &SavedPlan, ctx: &Context) -> String {
    let mut parts = vec![format!(
        "Manifest {} (sha256 {})",
        md_code(&saved.manifest.path, false),
        md_code(short(&saved.manifest.sha256), false)
    )];
    parts.extend(provenance(ctx));
    parts.push(match &saved.audit_head {
        Some(head) => format!("audit head {}", md_code(&head.to_string(), false)),
        None => "no audit log yet".to_string(),
    });
    parts.push(format!(
        "planned {} by bcprune {}",
        time_to_second(&saved.created_at),
        text::markdown(&saved.tool_version)
    ));
    parts.join(" · ")
}

/// The commit and the CI run, where the CI said.
fn provenance(ctx: &Context) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(commit) = &ctx.ci.commit {
        let shown = md_code(short(commit), false);
        parts.push(match &ctx.ci.commit_url {
            Some(url) => format!("commit [{shown}]({url})"),
            None => format!("commit {shown}"),
        });
    }
    if let Some(url) = &ctx.ci.run_url {
        let id = ctx.ci.run_id.as_deref().unwrap_or("");
        parts.push(format!("[CI run {id}]({url})"));
    }
    parts
}

/// Keeps the comment under its limit: each section takes what it is given, and counts what did not fit.
struct Budget {
    left: usize,
}

impl Budget {
    fn take(&mut self, bytes: usize) -> bool {
        if bytes <= self.left {
            self.left -= bytes;
            true
        } else {
            false
        }
    }
}

// No Action column: each table holds one action, and a comment is narrow.
const DELETE_HEADER: &str =
    "| Resource | ID | Email | Name | Due | Reason |\n|---|---|---|---|---|---|\n";
const ABSENT_HEADER: &str = "| Resource | ID | Reason |\n|---|---|---|\n";

/// `19,980`: counts a reviewer reads at a glance.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The due cell of a deletion (or of its request's row).
fn due_cell(deadline: Deadline) -> String {
    match deadline {
        Deadline::None => "-".to_string(),
        // A date never wraps in the middle (PRODUCT §17); the mark after it may.
        Deadline::Due(due) => text::nowrap_date(&due.to_string()),
        Deadline::DueSoon(due) => format!("{} (due soon)", text::nowrap_date(&due.to_string())),
        Deadline::Overdue(due) => format!("{} **(overdue)**", text::nowrap_date(&due.to_string())),
    }
}

fn delete_row(change: &Change, ctx: &Context) -> String {
    let due = due_cell(deadline(change, ctx.today));
    // In the reason, the one column that wraps well: the others stay narrow.
    let reappeared = if change.reappeared {
        "**reappeared** · "
    } else {
        ""
    };
    format!(
        "| {} | {} | {} | {} | {due} | {reappeared}{} |\n",
        resource_label(change.resource),
        change.id,
        change
            .email_masked
            .as_deref()
            .filter(|e| !e.is_empty())
            .map_or_else(|| "-".to_string(), |e| md_code(e, true)),
        // A masked name is short: kept on one line, so a row reads as one person.
        md_cell(change.name_masked.as_deref()).replace(' ', "&nbsp;"),
        md_cell(change.reason.as_deref()),
    )
}

fn absent_row(change: &Change) -> String {
    let recorded = if change.recorded { " (recorded)" } else { "" };
    format!(
        "| {} | {}{recorded} | {} |\n",
        resource_label(change.resource),
        change.id,
        md_cell(change.reason.as_deref()),
    )
}

/// Rows into `text` while the budget lasts; how many fit.
fn rows(rows: &[String], budget: &mut Budget, text: &mut String) -> usize {
    let mut shown = 0;
    for row in rows {
        if !budget.take(row.len()) {
            break;
        }
        text.push_str(row);
        shown += 1;
    }
    shown
}

fn not_shown(hidden: usize, what: &str) -> String {
    format!(
        "\n…and {} more {what}, not shown to keep this comment under {} characters. Every row is in \
         the saved plan (the job's artifact): `bcprune show plan.json --full`.\n",
        thousands(hidden),
        thousands(MARKDOWN_LIMIT)
    )
}

/// How the row naming a request starts; a deletion's row starts with its resource.
const REQUEST_ROW: &str = "| **Request ";
/// How the row naming the deletions without a request starts.
const WITHOUT_ROW: &str = "| **Without a request**";

fn is_group_row(line: &str) -> bool {
    line.starts_with(REQUEST_ROW) || line.starts_with(WITHOUT_ROW)
}

/// The rows to delete, grouped by request when any has one (PRODUCT §16): requests in the order of
/// their first deletion, each under a row naming it, its count and its due date; the deletions without
/// a request last, under their own row. Without requests, the rows as planned.
fn delete_lines(changes: &[&Change], ctx: &Context) -> Vec<String> {
    let request_of = |c: &Change| ctx.requests.get(&(c.resource, c.id));
    if !changes.iter().any(|c| request_of(c).is_some()) {
        return changes.iter().map(|c| delete_row(c, ctx)).collect();
    }
    let mut order: Vec<Option<&String>> = Vec::new();
    let mut groups: std::collections::HashMap<Option<&String>, Vec<&Change>> =
        std::collections::HashMap::new();
    for change in changes {
        let request = request_of(change);
        let group = groups.entry(request).or_default();
        if group.is_empty() && request.is_some() {
            order.push(request);
        }
        group.push(change);
    }
    if groups.contains_key(&None) {
        order.push(None);
    }
    let mut lines = Vec::with_capacity(changes.len() + order.len());
    for request in order {
        let members = &groups[&request];
        let name = request.map_or_else(
            || WITHOUT_ROW.trim_start_matches("| ").to_string(),
            |r| {
                format!(
                    "{}{}**",
                    REQUEST_ROW.trim_start_matches("| "),
                    md_code(r, true)
                )
            },
        );
        // One request is one person's and arrived on one day (the manifest checks it): its first
        // deletion's due date is the request's.
        let due = members
            .iter()
            .map(|c| deadline(c, ctx.today))
            .find(|d| *d != Deadline::None)
            .filter(|_| request.is_some())
            .map_or_else(|| "-".to_string(), due_cell);
        lines.push(format!(
            "| {name} | {} to delete | | | {due} | |\n",
            thousands(members.len())
        ));
        lines.extend(members.iter().map(|c| delete_row(c, ctx)));
    }
    lines
}

/// The rows to delete: the first [`MARKDOWN_VISIBLE_ROWS`] as a visible table, the rest folded.
fn deletions(changes: &[&Change], ctx: &Context, budget: &mut Budget) -> String {
    let mut text = String::new();
    if changes.is_empty() {
        return text;
    }
    let lines: Vec<String> = delete_lines(changes, ctx);
    let records = changes.len();
    let visible = lines.len().min(MARKDOWN_VISIBLE_ROWS);
    let requests = lines.iter().filter(|l| l.starts_with(REQUEST_ROW)).count();
    let grouped = if requests > 0 {
        format!(
            ", for {} {}",
            thousands(requests),
            plural(requests, "request", "requests")
        )
    } else {
        String::new()
    };
    // Only deletions are counted below, never the rows naming their request.
    let count = |lines: &[String]| lines.iter().filter(|l| !is_group_row(l)).count();
    text.push_str(&format!(
        "**To delete ({}{grouped}):**\n\n{DELETE_HEADER}",
        thousands(records)
    ));
    budget.take(text.len());
    let mut shown = rows(&lines[..visible], budget, &mut text);
    if shown == visible && visible < lines.len() {
        let rest = &lines[visible..];
        let mut folded = String::new();
        budget.take(200);
        let more = rows(rest, budget, &mut folded);
        shown += more;
        let (rest_records, more_records) = (count(rest), count(&rest[..more]));
        let summary = if more < rest.len() {
            format!(
                "{} more to delete ({} shown here)",
                thousands(rest_records),
                thousands(more_records)
            )
        } else {
            format!("{} more to delete", thousands(rest_records))
        };
        text.push_str(&format!(
            "\n<details><summary>{summary}</summary>\n\n{DELETE_HEADER}{folded}"
        ));
        if shown < lines.len() {
            text.push_str(&not_shown(count(&lines[shown..]), "to delete"));
        }
        text.push_str("\n</details>\n");
    } else if shown < lines.len() {
        text.push_str(&not_shown(count(&lines[shown..]), "to delete"));
    }
    text.push('\n');
    text
}

/// The rows already absent, folded.
fn absent(changes: &[&Change], counts: &Counts, budget: &mut Budget) -> String {
    let mut text = String::new();
    if changes.is_empty() {
        return text;
    }
    let recorded = if counts.recorded > 0 {
        format!(
            " ({} recorded in the state as gone, not listed again)",
            thousands(counts.recorded)
        )
    } else {
        String::new()
    };
    text.push_str(&format!(
        "<details><summary>{} already absent{recorded}</summary>\n\n{ABSENT_HEADER}",
        thousands(changes.len())
    ));
    let lines: Vec<String> = changes.iter().map(|c| absent_row(c)).collect();
    let shown = rows(&lines, budget, &mut text);
    if shown < lines.len() {
        text.push_str(&not_shown(lines.len() - shown, "already absent"));
    }
    text.push_str("\n</details>\n\n");
    text
}

/// The diffs in one ```diff block (a fence longer than any backtick run inside), folded; whole records
/// while they fit, then the first lines of the next one, then a count.
fn diff_section(diffs: &[String], budget: &mut Budget) -> String {
    if diffs.is_empty() {
        return String::new();
    }
    let longest_run = diffs
        .iter()
        .flat_map(|d| d.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let mut body = String::new();
    let mut whole = 0;
    let mut cut = false;
    for diff in diffs {
        if budget.take(diff.len()) {
            body.push_str(diff);
            whole += 1;
            continue;
        }
        for line in diff.split_inclusive('\n') {
            if !budget.take(line.len()) {
                break;
            }
            body.push_str(line);
        }
        cut = true;
        break;
    }
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    let mut text = format!(
        "<details><summary>Diff of the {} {} to delete (masked)</summary>\n\n{fence}diff\n{body}{fence}\n",
        thousands(diffs.len()),
        plural(diffs.len(), "record", "records")
    );
    if cut {
        let partly = if body.len() > whole_len(diffs, whole) {
            ", and the first lines of the next"
        } else {
            ""
        };
        text.push_str(&format!(
            "\nShown: {} of {} {}{partly}. The rest is cut to keep this comment under {} characters: \
             run `bcprune plan --diff` to see all of it.\n",
            thousands(whole),
            thousands(diffs.len()),
            plural(diffs.len(), "record", "records"),
            thousands(MARKDOWN_LIMIT)
        ));
    }
    text.push_str("\n</details>\n\n");
    text
}

/// The length of the first `n` diffs.
fn whole_len(diffs: &[String], n: usize) -> usize {
    diffs[..n].iter().map(String::len).sum()
}

/// The plan as a pull-request comment (PRODUCT §13): marker, verdict (or the refusal, when a guard
/// breaks), deadlines, the summary line with the guards, provenance, the rows to delete (the first
/// [`MARKDOWN_VISIBLE_ROWS`] visible, the rest folded), the rows already absent (folded), the diff when
/// given (folded, capped), and what a customer deletion does not erase. Empty sections are left out;
/// the whole is under [`MARKDOWN_LIMIT`] characters.
pub fn markdown(saved: &SavedPlan, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    let counts = counts(&saved.changes, ctx.today);
    let store = md_code(&saved.store_hash, false);
    let deleting = counts.customers + counts.subscribers;
    let mut head = marker(Some(&saved.store_hash));
    head.push('\n');
    if !ctx.refusals.is_empty() {
        head.push_str(
            "### ❌ Refused: this plan breaks a guard, and `bcprune apply` would refuse it\n\n",
        );
        for refusal in &ctx.refusals {
            head.push_str(&format!("- **{}**", text::markdown(&refusal.message)));
            if let Some(hint) = &refusal.hint {
                head.push_str(&format!("<br>{}", text::markdown(hint)));
            }
            head.push('\n');
        }
        head.push_str(&format!(
            "\nNothing is deleted until this is fixed. As planned, it would delete {} from store {store}, irreversibly.\n\n",
            what_is_deleted(&counts)
        ));
    } else if deleting == 0 && counts.redact == 0 {
        head.push_str(&format!(
            "### ✅ No changes. Nothing to delete from store {store}.\n\n"
        ));
    } else if deleting == 0 {
        head.push_str(&format!(
            "### ⚠️ Merging redacts {} order{} in store {store}, irreversibly.\n\n",
            thousands(counts.redact),
            if counts.redact == 1 { "" } else { "s" }
        ));
    } else {
        let verdict = if counts.redact > 0 {
            format!(
                "deletes {} and redacts {} {} in store {store}",
                what_is_deleted(&counts),
                thousands(counts.redact),
                plural(counts.redact, "order", "orders")
            )
        } else {
            format!("deletes {} from store {store}", what_is_deleted(&counts))
        };
        head.push_str(&format!("### ⚠️ Merging {verdict}, irreversibly.\n\n"));
    }
    match (counts.overdue, counts.due_soon) {
        (0, 0) => {}
        (0, soon) => head.push_str(&format!(
            "**Deadlines: {} due within {DUE_SOON_DAYS} days.**\n\n",
            thousands(soon)
        )),
        (overdue, soon) => {
            head.push_str(&format!(
                "**Deadlines: {} overdue** (past the day the erasure was due)",
                thousands(overdue)
            ));
            if soon > 0 {
                head.push_str(&format!(
                    ", **{} due within {DUE_SOON_DAYS} days**",
                    thousands(soon)
                ));
            }
            head.push_str(".\n\n");
        }
    }
    head.push_str(&format!("**{}**\n\n", saved.summary.line()));
    // PRODUCT §15: how many orders are redacted, how many retained and until when, and what stays.
    if counts.redact > 0 || counts.retained > 0 {
        let mut line = format!(
            "Orders: {} redacted on merge (personal fields overwritten, the financial record kept)",
            thousands(counts.redact)
        );
        if let Some(until) = counts.retained_until {
            line.push_str(&format!(
                "; {} retained for the law, the last until {}",
                thousands(counts.retained),
                text::nowrap_date(&until.to_string())
            ));
        }
        line.push_str(
            ". What stays of an order: its shipments (copies of the address), transactions \
             (card details) and order messages.\n\n",
        );
        head.push_str(&line);
    }
    if let Some(cost) = &saved.apply_cost {
        head.push_str(&format!("{}\n\n", text::markdown(&cost.line())));
    }
    let mut notes = Vec::new();
    if let Some(guard) = ctx.guard
        && deleting > 0
    {
        let limit = if guard.from_flag {
            "`--max-deletes`"
        } else {
            "`max_deletes`"
        };
        let max = guard.max_deletes;
        let mut line = if deleting as u64 > u64::from(max) {
            format!(
                "Guards: {} deletions, **over the {} allowed** by {limit}",
                thousands(deleting),
                thousands(max as usize)
            )
        } else {
            format!(
                "Guards: {} of {} deletions allowed by {limit}",
                thousands(deleting),
                thousands(max as usize)
            )
        };
        line.push_str(&match guard.protected {
            0 => "; no protected IDs.".to_string(),
            n if ctx.refusals.is_empty() => format!(
                "; {n} protected {} checked, none to be deleted.",
                plural(n, "ID", "IDs")
            ),
            n => format!("; {n} protected {} checked.", plural(n, "ID", "IDs")),
        });
        notes.push(line);
    }
    if counts.reappeared > 0 {
        notes.push(format!(
            "**{} reappeared:** recorded in the state as gone, present in the store again.",
            counts.reappeared
        ));
    }
    notes.push(facts(saved, ctx));
    for note in notes {
        head.push_str(&format!("- {note}\n"));
    }
    head.push('\n');

    let tail = if counts.customers > 0 {
        format!("{NOT_ERASED}\n")
    } else {
        String::new()
    };
    let mut budget = Budget {
        left: MARKDOWN_LIMIT.saturating_sub(head.len() + tail.len() + SLACK),
    };
    let to_delete: Vec<&Change> = saved
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    let already: Vec<&Change> = saved
        .changes
        .iter()
        .filter(|c| c.action == Action::Absent)
        .collect();
    // Rows to delete come first. A share is held back for the folded sections after them (the absent
    // rows, then the diff), and each section also gets what the one before it left.
    let diff_len: usize = ctx.diff.iter().flatten().map(String::len).sum();
    let diff_share = diff_len.min(budget.left / 3);
    let absent_share = (already.len() * 40).min(budget.left / 6);
    budget.left -= diff_share + absent_share;
    let deletions = deletions(&to_delete, ctx, &mut budget);
    let orders = orders(&saved.changes, ctx, &mut budget);
    budget.left += absent_share;
    let absent = absent(&already, &counts, &mut budget);
    budget.left += diff_share;
    let diff = ctx
        .diff
        .as_deref()
        .map(|d| diff_section(d, &mut budget))
        .unwrap_or_default();

    let mut text = head;
    text.push_str(&deletions);
    text.push_str(&orders);
    text.push_str(&absent);
    text.push_str(&diff);
    text.push_str(&tail);
    out.write_all(text.as_bytes())
}

const REDACT_HEADER: &str =
    "| Order | Customer | Email | Name | Request | Reason |\n|---|---|---|---|---|---|\n";
const RETAIN_HEADER: &str =
    "| Order | Customer | Until | Basis | Request |\n|---|---|---|---|---|\n";

/// The orders (PRODUCT §15): those merging redacts, as a visible table (a reviewer approves each), then
/// those retained for the law, folded, each with the day its retention ends and why. Rows while the
/// budget lasts, the rest counted.
fn orders(changes: &[Change], ctx: &Context, budget: &mut Budget) -> String {
    let request = |c: &Change| {
        ctx.requests
            .get(&(c.resource, c.id))
            .map_or_else(|| "-".to_string(), |r| md_code(r, true))
    };
    let customer = |c: &Change| {
        c.customer_id
            .map_or_else(|| "guest".to_string(), |id| id.to_string())
    };
    let redact: Vec<String> = changes
        .iter()
        .filter(|c| c.action == Action::Redact)
        .map(|c| {
            format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                c.id,
                customer(c),
                c.email_masked
                    .as_deref()
                    .filter(|e| !e.is_empty())
                    .map_or_else(|| "-".to_string(), |e| md_code(e, true)),
                md_cell(c.name_masked.as_deref()).replace(' ', "&nbsp;"),
                request(c),
                md_cell(c.reason.as_deref()),
            )
        })
        .collect();
    let retained: Vec<&Change> = changes
        .iter()
        .filter(|c| c.action == Action::Retain)
        .collect();
    let retain: Vec<String> = retained
        .iter()
        .map(|c| {
            format!(
                "| {} | {} | {} | {} | {} |\n",
                c.id,
                customer(c),
                c.retained_until
                    .map_or_else(|| "-".to_string(), |d| text::nowrap_date(&d.to_string())),
                md_cell(c.basis.as_deref()),
                request(c),
            )
        })
        .collect();
    let mut text = String::new();
    let mut section = |title: String, header: &str, lines: &[String], folded: bool| {
        let mut part = if folded {
            format!("<details><summary>{title}</summary>\n\n{header}")
        } else {
            format!("**{title}:**\n\n{header}")
        };
        budget.take(part.len() + 200);
        let shown = rows(lines, budget, &mut part);
        if shown < lines.len() {
            part.push_str(&not_shown(lines.len() - shown, "orders"));
        }
        part.push_str(if folded { "\n</details>\n\n" } else { "\n" });
        text.push_str(&part);
    };
    if !redact.is_empty() {
        section(
            format!(
                "To redact ({} {})",
                thousands(redact.len()),
                plural(redact.len(), "order", "orders")
            ),
            REDACT_HEADER,
            &redact,
            false,
        );
    }
    if !retain.is_empty() {
        let last = retained.iter().filter_map(|c| c.retained_until).max();
        let until = last.map_or_else(String::new, |d| {
            format!(", the last until {}", text::nowrap_date(&d.to_string()))
        });
        section(
            format!(
                "{} {} retained for the law{until}",
                thousands(retain.len()),
                plural(retain.len(), "order", "orders")
            ),
            RETAIN_HEADER,
            &retain,
            true,
        );
    }
    text
}

/// The widest line of a fenced block that a pull-request comment shows whole (~780 px of monospace).
const WRAP_AT: usize = 90;

/// `line` cut at spaces into lines of at most `width` characters (a word longer than that gets a line of
/// its own, cut at `width`); continuation lines are indented by two spaces.
fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = &line[..line.len() - line.trim_start_matches(' ').len()];
    let more = format!("{indent}  ");
    let mut lines = Vec::new();
    let mut current = indent.to_string();
    // `current` holds only its indent.
    let mut empty = true;
    for word in line.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            if used + word.len() + usize::from(!empty) <= width {
                if !empty {
                    current.push(' ');
                }
                current.extend(&word);
                empty = false;
                break;
            }
            if !empty {
                lines.push(std::mem::replace(&mut current, more.clone()));
                empty = true;
                continue;
            }
            // A word longer than a line: cut it.
            let room = width.saturating_sub(used).max(1).min(word.len());
            current.extend(word.drain(..room));
            lines.push(std::mem::replace(&mut current, more.clone()));
            if word.is_empty() {
                break;
            }
        }
    }
    if !empty {
        lines.push(current);
    }
    lines
}

/// A plan that failed, for [`markdown_failure`].
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    /// The store, as far as it is known (flag, environment or manifest); `None`: `unknown`.
    pub store: Option<&'a str>,
    /// The error as bcprune prints it on stderr (several lines for a manifest's errors).
    pub error: &'a str,
    /// The exit code the run ends with.
    pub exit_code: u8,
    /// What to do about it (fix and push; re-run; a pull request from a fork has no secrets), said once
    /// after the error. `None`: nothing (the section appended after a plan).
    pub hint: Option<&'a str>,
    /// When it failed.
    pub at: jiff::Timestamp,
    /// The plan comment was already written (saving the plan failed after): a section to append, with
    /// no marker.
    pub after_plan: bool,
}

/// The comment when `plan` failed (a bad manifest, an API error, …): the same marker, what failed (the
/// first `ERROR_LINES` (40) lines of the error, in a text block), and where, so a pull request shows why
/// its check is red. Nothing was deleted: plan never deletes.
pub fn markdown_failure(
    failure: &Failure<'_>,
    ctx: &Context,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut text = String::new();
    if failure.after_plan {
        text.push_str(&format!(
            "\n---\n\n### ❌ bcprune plan failed after making the plan above (exit {}): it was not saved and cannot be applied\n\n",
            failure.exit_code
        ));
    } else {
        text.push_str(&marker(failure.store));
        text.push('\n');
        let store = match failure.store {
            Some(store) => format!(" for store {}", md_code(store, false)),
            None => String::new(),
        };
        text.push_str(&format!(
            "### ❌ bcprune plan failed{store} (exit {}): there is no plan to review, and nothing was deleted\n\n",
            failure.exit_code
        ));
    }
    // A fenced block does not wrap on GitHub: a long line would be cut at the comment's right edge.
    let lines: Vec<String> = failure
        .error
        .lines()
        .flat_map(|line| wrap(&text::sanitize(line, Some(500)), WRAP_AT))
        .collect();
    let shown = &lines[..lines.len().min(ERROR_LINES)];
    let longest_run = shown
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    text.push_str(&format!("{fence}text\n"));
    for line in shown {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("{fence}\n\n"));
    if lines.len() > shown.len() {
        text.push_str(&format!(
            "…and {} more lines: see the job's log.\n\n",
            lines.len() - shown.len()
        ));
    }
    if let Some(hint) = failure.hint {
        text.push_str(&format!("{}\n\n", text::markdown(hint)));
    }
    let mut parts = provenance(ctx);
    parts.push(format!(
        "failed {} with bcprune {}",
        failure.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        env!("CARGO_PKG_VERSION")
    ));
    text.push_str(&parts.join(" · "));
    text.push('\n');
    out.write_all(text.as_bytes())
}
