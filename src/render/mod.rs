//! Rendering a plan for people and machines, one file per format: a table for the terminal
//! ([`table_with`]), JSON (the saved-plan document, [`json`]), markdown for a pull-request comment
//! ([`markdown`], and [`markdown_failure`] when there is no plan), and a unified diff of the affected
//! records ([`diff`], [`diffs`]).
//!
//! Renderers write to a `&mut dyn Write` and never decide anything: the plan is already computed, and
//! what depends on the world (today's date, whether to colour, the CI run, the guards' limits) is passed in
//! by the CLI as plain values ([`TableOptions`], [`Context`]), so every output is a pure function of its
//! inputs and snapshot-tested in memory. Every string that came from a manifest, the API or the
//! environment is sanitised before it reaches a terminal or a comment, so a reason cannot inject escape
//! sequences, bidirectional overrides, markdown, HTML or an @-mention.

use jiff::civil::Date;

use crate::Resource;
use crate::plan::{Action, Change};

mod diff;
mod json;
mod markdown;
mod table;

#[cfg(test)]
mod tests;

pub use diff::{diff, diffs};
pub use json::json;
pub use markdown::{Failure, markdown, markdown_failure, marker};
pub use table::{TableOptions, table, table_with};

/// Rows shown per action in the table unless `--full` is given.
pub const TABLE_ROWS_PER_ACTION: usize = 100;

/// The most characters a markdown plan may have: GitHub rejects comments over 65,536 characters.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Rows to delete shown as a visible table in the pull-request comment; the rest are folded.
pub const MARKDOWN_VISIBLE_ROWS: usize = 20;

/// Pending deletions due within this many days are counted as due soon (PRODUCT §9).
pub const DUE_SOON_DAYS: i32 = 7;

/// What the guards allowed, for the comment's "N of M allowed" (PRODUCT §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    /// The `max_deletes` in force: the manifest's, or `--max-deletes`.
    pub max_deletes: u32,
    /// Whether it came from `--max-deletes`.
    pub from_flag: bool,
    /// How many protected IDs the manifest lists (each checked against the plan).
    pub protected: usize,
}

/// Where the plan was made, from the CI's environment (GitHub Actions' `GITHUB_*`), read by the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ci {
    /// Running under GitHub Actions (`GITHUB_ACTIONS=true`).
    pub github: bool,
    /// The commit planned (`GITHUB_SHA`), when it is a hex commit ID.
    pub commit: Option<String>,
    /// A link to that commit (`GITHUB_SERVER_URL/GITHUB_REPOSITORY/commit/SHA`).
    pub commit_url: Option<String>,
    /// A link to the CI run (`GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID`).
    pub run_url: Option<String>,
    /// The run's ID (`GITHUB_RUN_ID`), shown as the link's text.
    pub run_id: Option<String>,
}

impl Ci {
    /// Read the CI's variables through `env` (the CLI passes the process environment; tests a map).
    /// A value that does not look like what GitHub sets is left out rather than shown: these end up in
    /// a link in a comment.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Ci {
        let get = |name: &str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let commit = get("GITHUB_SHA").filter(|sha| {
            (7..=64).contains(&sha.len()) && sha.chars().all(|c| c.is_ascii_hexdigit())
        });
        let server = get("GITHUB_SERVER_URL")
            .filter(|url| {
                (url.starts_with("https://") || url.starts_with("http://"))
                    && url
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ":/.-_".contains(c))
            })
            .map(|url| url.trim_end_matches('/').to_string());
        let repository = get("GITHUB_REPOSITORY").filter(|repo| {
            repo.split('/').count() == 2
                && repo.split('/').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                })
        });
        let run_id = get("GITHUB_RUN_ID").filter(|id| id.chars().all(|c| c.is_ascii_digit()));
        let base = server.zip(repository).map(|(s, r)| format!("{s}/{r}"));
        Ci {
            github: get("GITHUB_ACTIONS").is_some_and(|v| v == "true"),
            commit_url: base
                .as_ref()
                .zip(commit.as_ref())
                .map(|(base, sha)| format!("{base}/commit/{sha}")),
            run_url: base
                .as_ref()
                .zip(run_id.as_ref())
                .map(|(base, id)| format!("{base}/actions/runs/{id}")),
            commit,
            run_id,
        }
    }
}

/// A guard the plan breaks, as the comment shows it at the top (the CLI passes each
/// [`crate::plan::guards::Violation`]'s message and hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalNote {
    /// What is refused and why.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// What the pull-request comment needs besides the saved plan, passed in by the CLI.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Today, for overdue and due-soon counts; `None` counts nothing as overdue.
    pub today: Option<Date>,
    /// The guards' limits (`None`: not known, as for `show` of a plan whose manifest is gone).
    pub guard: Option<Guard>,
    /// The CI run and commit.
    pub ci: Ci,
    /// The guards the plan breaks: `plan` exits 3, and the comment says so first.
    pub refusals: Vec<RefusalNote>,
    /// With `--diff`: one unified diff per record to delete ([`diffs`]), shown capped in a ```diff block.
    pub diff: Option<Vec<String>>,
    /// The erasure request (`request:`, PRODUCT §16) of each manifest entry that names one: when any
    /// deletion has one, the comment groups the deletions by request (a reviewer approves requests).
    pub requests: Requests,
}

/// The request reference of each record that has one, by (resource, ID).
pub type Requests = std::collections::BTreeMap<(crate::Resource, u32), String>;

/// The request reference of each manifest entry that names one: what `plan --format markdown` and
/// `show --format markdown` group the deletions by.
pub fn requests_of(manifest: &crate::manifest::Manifest) -> Requests {
    manifest
        .entries()
        .filter_map(|(resource, entry)| {
            let request = entry.request.as_ref()?;
            Some(((resource, entry.id), request.to_string()))
        })
        .collect()
}

/// How the deadline of a pending deletion stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    None,
    Due(Date),
    DueSoon(Date),
    Overdue(Date),
}

/// The deadline shown for `change` on `today`: only pending deletions have one (PRODUCT §9).
pub(crate) fn deadline(change: &Change, today: Option<Date>) -> Deadline {
    match (change.action, change.due) {
        (Action::Delete, Some(due)) => match today {
            Some(today) if change.is_overdue(today) => Deadline::Overdue(due),
            Some(today) if today.saturating_add(jiff::Span::new().days(DUE_SOON_DAYS)) >= due => {
                Deadline::DueSoon(due)
            }
            _ => Deadline::Due(due),
        },
        _ => Deadline::None,
    }
}

/// The word shown for a change's action, with what is special about it: `delete (reappeared)`, a
/// recorded `absent (recorded)` (PRODUCT §11: the state says it is gone, so it was not listed again),
/// an order's `retain` or `redacted` (PRODUCT §15; until when a retained order is kept is
/// [`retention_label`], its own column, so the ACTION column stays as narrow as its words).
pub(crate) fn action_label(change: &Change) -> String {
    let order = change.resource == Resource::Order;
    match change.action {
        Action::Delete if change.reappeared => "delete (reappeared)".into(),
        Action::Delete => "delete".into(),
        Action::Redact => "redact".into(),
        Action::Retain => "retain".into(),
        Action::Absent if order && change.recorded => "redacted (recorded)".into(),
        Action::Absent if order && change.retained_until.is_some() => "redacted".into(),
        Action::Absent if change.recorded => "absent (recorded)".into(),
        Action::Absent => "absent".into(),
    }
}

/// Until when a retained order is kept and why: `until 2034-12-31 (§147 AO)` (PRODUCT §15); `None`
/// for every other change.
pub(crate) fn retention_label(change: &Change) -> Option<String> {
    if change.action != Action::Retain {
        return None;
    }
    Some(match (change.retained_until, change.basis.as_deref()) {
        (Some(until), Some(basis)) if !basis.is_empty() => {
            format!("until {until} ({})", crate::text::sanitize(basis, None))
        }
        (Some(until), _) => format!("until {until}"),
        (None, _) => "no retention set".into(),
    })
}

/// `customer` or `subscriber`.
pub(crate) fn resource_label(resource: Resource) -> &'static str {
    match resource {
        Resource::Customer => "customer",
        Resource::Subscriber => "subscriber",
        Resource::Order => "order",
    }
}

/// Counts of what a plan deletes, by resource, and of its deadlines on a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub customers: usize,
    pub subscribers: usize,
    /// Orders to redact now, and orders retained (PRODUCT §15).
    pub redact: usize,
    pub retained: usize,
    /// The latest `retained_until` of the retained orders.
    pub retained_until: Option<Date>,
    pub overdue: usize,
    pub due_soon: usize,
    pub absent: usize,
    pub recorded: usize,
    pub reappeared: usize,
}

pub(crate) fn counts(changes: &[Change], today: Option<Date>) -> Counts {
    let mut counts = Counts::default();
    for change in changes {
        match change.action {
            Action::Delete => {
                match change.resource {
                    Resource::Customer => counts.customers += 1,
                    Resource::Subscriber | Resource::Order => counts.subscribers += 1,
                }
                counts.reappeared += usize::from(change.reappeared);
                match deadline(change, today) {
                    Deadline::Overdue(_) => counts.overdue += 1,
                    Deadline::DueSoon(_) => counts.due_soon += 1,
                    Deadline::Due(_) | Deadline::None => {}
                }
            }
            Action::Redact => counts.redact += 1,
            Action::Retain => {
                counts.retained += 1;
                counts.retained_until = counts.retained_until.max(change.retained_until);
            }
            Action::Absent => {
                counts.absent += 1;
                counts.recorded += usize::from(change.recorded);
            }
        }
    }
    counts
}
