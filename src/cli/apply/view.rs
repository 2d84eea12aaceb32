//! How `apply` looks on a terminal: progress on stderr (a bar on a terminal, plain lines otherwise),
//! the plan on stdout, and the final account of what happened. Rendering only: the exit code comes
//! from the outcome, never from here.

use std::cell::Cell;
use std::io::Write;

use crate::Resource;
use crate::apply::{self, Applied, Executed, Listed, Outcome, Reconciled, Refusal, Target, View};
use crate::plan::Plan;
use crate::render;
use crate::state::LockHolder;

use super::super::common::{self, error, listed_line, plural};
use super::super::progress;

/// The terminal view of one apply.
pub(in crate::cli) struct Terminal<'a> {
    /// For the cost line at the approval prompt: the batch size and the client that saw the quota.
    batch_size: usize,
    client: &'a crate::api::Client,
    /// IDs refused so far (shown beside the deletions, never counted as done).
    failed: Cell<usize>,
    /// `delete` in red: stdout is a terminal and no `--no-color` / `NO_COLOR`.
    colour: bool,
    /// For due dates and overdue marks.
    today: jiff::civil::Date,
    /// What the progress of carrying out the plan is called: `Deleting`, `Redacting` or `Deleting
    /// and redacting`, from the plan shown (an order redaction is never called a deletion).
    carrying_out: Cell<&'static str>,
}

/// The name of carrying out `plan`: what it changes, in the words of the summary line.
fn carrying_out(plan: &Plan) -> &'static str {
    let (mut deletes, mut redacts) = (false, false);
    for change in &plan.changes {
        match change.action {
            crate::plan::Action::Delete => deletes = true,
            crate::plan::Action::Redact => redacts = true,
            crate::plan::Action::Retain | crate::plan::Action::Absent => {}
        }
    }
    match (deletes, redacts) {
        (true, true) => progress::DELETING_AND_REDACTING,
        (false, true) => progress::REDACTING,
        _ => progress::DELETING,
    }
}

impl<'a> Terminal<'a> {
    pub(in crate::cli) fn new(
        no_color: bool,
        batch_size: usize,
        client: &'a crate::api::Client,
    ) -> Terminal<'a> {
        Terminal {
            batch_size,
            client,
            failed: Cell::new(0),
            colour: common::stdout_color(no_color),
            today: jiff::ZonedDateTime::now().date(),
            carrying_out: Cell::new(progress::DELETING),
        }
    }

    /// Say how the apply ended.
    pub(in crate::cli) fn outcome(&self, outcome: &Outcome) {
        progress::finish(true);
        match outcome {
            Outcome::Error(e) => error(e),
            Outcome::Refused(Refusal::Lock(e)) => error(e),
            Outcome::Refused(Refusal::Stale(reasons)) => {
                for reason in reasons {
                    error(format!("the saved plan is stale: {reason}"));
                }
                eprintln!(
                    "Nothing was deleted. Make a new plan (bcprune plan MANIFEST --out PLAN), review it, and apply that."
                );
            }
            Outcome::Refused(Refusal::Guards(violations)) => {
                for violation in violations {
                    error(format!("{violation}. Nothing was deleted."));
                    if let Some(hint) = violation.hint() {
                        eprintln!("{hint}");
                    }
                }
            }
            Outcome::Refused(Refusal::Declined) => {
                println!("Apply cancelled: nothing was deleted.")
            }
            Outcome::Interrupted => {
                eprintln!("Interrupted before any deletion: nothing was deleted.");
            }
            Outcome::NoChanges => {
                println!("No changes. The store already matches the manifest: nothing to delete.");
            }
            Outcome::Applied(applied) => print_report(applied),
        }
    }
}

impl View for Terminal<'_> {
    fn lock_taken_over(&self, previous: &LockHolder) {
        progress::println(format!(
            "warning: {}",
            crate::state::describe_takeover(previous)
        ));
    }

    fn reconciled(&self, done: &Reconciled) {
        progress::println(format!(
            "Reconciled an earlier run: {} deletion{} recorded, {} confirmed, {} still present.",
            done.recorded.len(),
            plural(done.recorded.len()),
            done.confirmed.len(),
            done.still_present.len()
        ));
    }

    fn listed(&self, listed: &Listed, store_hash: &str, requests: u64) {
        progress::finish(true);
        eprint!("{}", listed_line(listed, store_hash, requests));
    }

    fn plan(&self, plan: &Plan, full: bool) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        let options = render::TableOptions {
            full,
            colour: self.colour,
            today: Some(self.today),
        };
        render::table_with(plan, &options, &mut stdout)?;
        self.carrying_out.set(carrying_out(plan));
        // What is left to send, before anyone approves it (PRODUCT §17).
        if !plan.is_empty() {
            let cost = crate::plan::cost::after_listing(
                plan,
                self.batch_size,
                common::quota_of(self.client),
            );
            let what = match self.carrying_out.get() {
                progress::DELETING_AND_REDACTING => "Deleting, redacting and verifying",
                progress::REDACTING => "Redacting and verifying",
                _ => "Deleting and verifying",
            };
            writeln!(stdout, "{}", cost.line_as(what))?;
        }
        stdout.flush()
    }

    fn skipped(&self, vanished: &[Target]) {
        progress::println(format!(
            "Skipped {} planned for deletion that no longer exist: {}.",
            records(vanished),
            target_ranges(vanished)
        ));
    }

    fn progress(&self, done: usize, total: usize) {
        let phase = self.carrying_out.get();
        if progress::phase() != Some(phase) {
            progress::start(phase, Some(total));
        }
        progress::deleted(done, self.failed.get());
    }

    fn failures(&self, failed: usize) {
        self.failed.set(failed);
    }

    fn progress_finished(&self, done: usize, total: usize) {
        if progress::phase() == Some(self.carrying_out.get()) {
            progress::deleted(done, self.failed.get());
            // A run that stopped early stays where its deletions stopped, never N/N.
            progress::finish(done == total);
        }
    }

    fn verifying(&self, records: usize) {
        if !common::stderr_is_terminal() {
            common::note(format!(
                "Verifying: listing {records} record{} again.",
                plural(records)
            ));
        }
        progress::start("Verifying", None);
    }

    fn warn(&self, message: &str) {
        progress::println(format!("warning: {message}"));
    }
}

/// `customers 1-250, 300 and subscriber 7`: each resource's IDs as ranges (PRODUCT §17: long lists of
/// IDs in messages are ranges).
fn target_ranges(targets: &[Target]) -> String {
    crate::resource::by_resource(targets, |ids| crate::text::ranges(ids, 12))
}

/// `3 customers`, `1 subscriber`.
fn count(n: usize, resource: Resource) -> String {
    format!("{n} {resource}{}", plural(n))
}

/// `3 customers` when there are only customers, else each kind there is: `3 customers and 2
/// subscribers`, `1 customer, 2 subscribers and 3 orders`.
fn records(targets: &[Target]) -> String {
    let parts: Vec<String> = Resource::ALL
        .into_iter()
        .map(|r| (r, apply::count_of(targets, r)))
        .filter(|&(_, n)| n > 0)
        .map(|(r, n)| count(n, r))
        .collect();
    match parts.as_slice() {
        [] => count(0, Resource::Customer),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Failures grouped by resource and message, in the order each cause first appeared; the IDs of each.
fn failure_groups(failed: &[apply::Failure]) -> Vec<((Resource, String), Vec<u32>)> {
    let mut groups: Vec<((Resource, String), Vec<u32>)> = Vec::new();
    let mut index: std::collections::HashMap<(Resource, &str), usize> =
        std::collections::HashMap::new();
    for failure in failed {
        let key = (failure.resource, failure.message.as_str());
        match index.get(&key) {
            Some(&at) => groups[at].1.push(failure.id),
            None => {
                index.insert(key, groups.len());
                groups.push((
                    (failure.resource, failure.message.clone()),
                    vec![failure.id],
                ));
            }
        }
    }
    groups
}

/// Say exactly what happened, per cause, naming the IDs.
fn print_report(applied: &Applied) {
    let report: &Executed = &applied.report;
    let (redacted, gone): (Vec<Target>, Vec<Target>) = report
        .verified
        .iter()
        .partition(|t| t.resource == Resource::Order);
    if !gone.is_empty() {
        println!(
            "Verified: {} {} gone.",
            records(&gone),
            if gone.len() == 1 { "is" } else { "are" }
        );
    }
    if !redacted.is_empty() {
        println!(
            "Verified: {} redacted (every redacted field reads back as its placeholder).",
            records(&redacted)
        );
    }
    // Every count below is what the state file on disk holds (`apply::Report`): after a failed save,
    // less than the run did, and said so.
    if !report.unverified.is_empty() {
        match (&report.verify_error, &report.state_not_saved) {
            (Some(why), _) => println!(
                "Not verified: {} the API accepted for deletion could not be listed again ({why}). They are recorded with verified: false; the next plan or apply shows the truth.",
                records(&report.unverified)
            ),
            (None, Some(_)) => println!(
                "Not recorded as verified: {} were listed again and found gone, but the state file could not be saved after that; it holds them with verified: false. The next plan or apply lists them again and records them verified.",
                records(&report.unverified)
            ),
            (None, None) => println!(
                "Not verified: {} are recorded with verified: false; the next plan or apply shows the truth.",
                records(&report.unverified)
            ),
        }
    }
    if !report.unrecorded.is_empty() {
        println!(
            "Not recorded: {} ({}) deleted by this run are not in the state file: it could not be saved. The audit log names them in open intents; the next apply lists them and records them.",
            records(&report.unrecorded),
            apply::target_list(&report.unrecorded)
        );
    }
    if !report.unknown.is_empty() {
        println!(
            "Outcome unknown: {} ({}) may have been deleted: the store's answer was unclear and they could not be listed again. Nothing is recorded for them yet; the next apply lists them and records what the store did.",
            records(&report.unknown),
            target_ranges(&report.unknown)
        );
    }
    if !report.abandoned.is_empty() {
        println!(
            "Abandoned: {} ({}) were in flight when the run stopped at once. The next apply lists them and records what the store did.",
            records(&report.abandoned),
            target_ranges(&report.abandoned)
        );
    }
    // One line per cause, naming its IDs (PRODUCT §17): a refused batch is one message, not one per ID.
    let groups = failure_groups(&report.failed);
    for ((resource, message), ids) in &groups {
        match ids.as_slice() {
            [id] => println!("Failed: {resource} {id}: {message}"),
            _ => println!(
                "Failed: {} {resource}s ({}): {message}",
                ids.len(),
                crate::text::ranges(ids, 12)
            ),
        }
    }
    if !report.not_attempted.is_empty() {
        println!(
            "Not attempted: {} ({}).",
            records(&report.not_attempted),
            target_ranges(&report.not_attempted)
        );
    }
    if let Some(fatal) = &report.fatal {
        if groups.iter().any(|((_, message), _)| message == fatal) {
            error("the run stopped there: every later request would be refused alike.");
        } else {
            error(format!("the run stopped: {fatal}"));
        }
    }
    let status = if report.interrupted {
        "Apply interrupted"
    } else if report.is_complete() {
        "Apply complete"
    } else {
        "Apply finished with failures"
    };
    let deleted: Vec<Target> = report
        .verified
        .iter()
        .chain(&report.unverified)
        .chain(&report.unrecorded)
        .copied()
        .collect();
    let orders = apply::count_of(&deleted, Resource::Order);
    let deleted: Vec<Target> = deleted
        .into_iter()
        .filter(|t| t.resource != Resource::Order)
        .collect();
    println!(
        "{status}: {} deleted{}{}, {} already absent, {} failed{}.",
        deleted.len(),
        if apply::count_of(&deleted, Resource::Subscriber) > 0 {
            format!(" ({})", records(&deleted))
        } else {
            String::new()
        },
        if orders > 0 {
            format!(", {orders} order{} redacted", plural(orders))
        } else {
            String::new()
        },
        applied.already_absent,
        report.failed.len(),
        if report.not_attempted.is_empty() {
            String::new()
        } else {
            format!(", {} not attempted", report.not_attempted.len())
        }
    );
    // Said once: usually the save's failure is already the error that stopped the run.
    if let Some(why) = &report.state_not_saved
        && !report.stopped_by_a_failed_save()
    {
        error(format!(
            "{why}; the state file holds what is said above. Fix the cause (disk space, the directory), then run apply again: it records what the store did"
        ));
    }
    println!(
        "State: {} (serial {}{}). Audit log: {}{}.",
        applied.state_path.display(),
        report.state_serial,
        if report.state_not_saved.is_some() {
            ", its last save failed"
        } else {
            ""
        },
        applied.audit_path.display(),
        crate::audit::read_head(&applied.audit_path)
            .ok()
            .flatten()
            .map_or_else(String::new, |head| format!(", head {head}"))
    );
}
