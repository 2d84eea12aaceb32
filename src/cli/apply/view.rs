//! How `apply` looks on a terminal: progress on stderr (a bar on a terminal, plain lines otherwise),
//! the plan on stdout, and the final account of what happened. Rendering only: the exit code comes
//! from the outcome, never from here.

use std::cell::OnceCell;
use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use crate::CustomerId;
use crate::apply::{self, Applied, Outcome, Reconciled, Refusal, Report, View};
use crate::plan::Plan;
use crate::render;
use crate::state::LockHolder;

use super::super::common::{self, error, plural, warning};

/// The terminal view of one apply.
#[derive(Default)]
pub(in crate::cli) struct Terminal {
    bar: OnceCell<Option<ProgressBar>>,
}

impl Terminal {
    fn bar(&self, total: usize) -> Option<&ProgressBar> {
        self.bar
            .get_or_init(|| {
                common::stderr_is_terminal().then(|| {
                    let bar = ProgressBar::new(total as u64);
                    if let Ok(style) =
                        ProgressStyle::with_template("Deleting {bar:20} {pos}/{len} ({elapsed})")
                    {
                        bar.set_style(style);
                    }
                    bar
                })
            })
            .as_ref()
    }

    /// Say how the apply ended.
    pub(in crate::cli) fn outcome(&self, outcome: &Outcome) {
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

impl View for Terminal {
    fn lock_taken_over(&self, previous: &LockHolder) {
        warning(crate::state::describe_takeover(previous));
    }

    fn reconciled(&self, done: &Reconciled) {
        eprintln!(
            "Reconciled an earlier run: {} deletion{} recorded, {} confirmed, {} still present.",
            done.recorded.len(),
            plural(done.recorded.len()),
            done.confirmed.len(),
            done.still_present.len()
        );
    }

    fn listed(&self, count: usize, store_hash: &str, requests: u64) {
        eprintln!(
            "Listed {count} customer{} in store {store_hash} ({requests} request{}).\n",
            plural(count),
            plural(requests as usize)
        );
    }

    fn plan(&self, plan: &Plan, full: bool) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        render::table(plan, full, &mut stdout)?;
        stdout.flush()
    }

    fn skipped(&self, vanished: &[CustomerId]) {
        eprintln!(
            "Skipped {} customer{} planned for deletion that no longer exist: {}.",
            vanished.len(),
            plural(vanished.len()),
            apply::id_list(vanished)
        );
    }

    fn progress(&self, done: usize, total: usize) {
        match self.bar(total) {
            Some(bar) => bar.set_position(done as u64),
            None if done > 0 => eprintln!("Deleting: {done}/{total}"),
            None => {}
        }
    }

    fn progress_finished(&self, done: usize, total: usize) {
        if let Some(bar) = self.bar(total) {
            bar.set_position(done as u64);
            // `finish` would jump to N/N: an interrupted run stops where its deletions stopped.
            if done == total {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
    }

    fn warn(&self, message: &str) {
        match self.bar.get().and_then(Option::as_ref) {
            Some(bar) => bar.println(format!("warning: {message}")),
            None => warning(message),
        }
    }
}

/// Say exactly what happened, per ID.
fn print_report(applied: &Applied) {
    let report: &Report = &applied.report;
    if !report.verified.is_empty() {
        println!(
            "Verified: {} customer{} {} gone.",
            report.verified.len(),
            plural(report.verified.len()),
            if report.verified.len() == 1 {
                "is"
            } else {
                "are"
            }
        );
    }
    if let Some(why) = &report.verify_error {
        println!(
            "Not verified: {} customer{} the API accepted for deletion could not be listed again ({why}). They are recorded with verified: false; the next plan or apply shows the truth.",
            report.unverified.len(),
            plural(report.unverified.len())
        );
    }
    if !report.unknown.is_empty() {
        println!(
            "Outcome unknown: {} customer{} ({}) may have been deleted: the store's answer was unclear and they could not be listed again. Nothing is recorded for them yet; the next apply lists them and records what the store did.",
            report.unknown.len(),
            plural(report.unknown.len()),
            apply::id_list(&report.unknown)
        );
    }
    if !report.abandoned.is_empty() {
        println!(
            "Abandoned: {} customer{} ({}) were in flight when the run stopped at once. The next apply lists them and records what the store did.",
            report.abandoned.len(),
            plural(report.abandoned.len()),
            apply::id_list(&report.abandoned)
        );
    }
    for failure in &report.failed {
        println!("Failed: customer {}: {}", failure.id, failure.message);
    }
    if !report.not_attempted.is_empty() {
        println!(
            "Not attempted: {} customer{} ({}).",
            report.not_attempted.len(),
            plural(report.not_attempted.len()),
            apply::id_list(&report.not_attempted)
        );
    }
    if let Some(fatal) = &report.fatal {
        error(format!("the run stopped: {fatal}"));
    }
    let status = if report.interrupted {
        "Apply interrupted"
    } else if report.is_complete() {
        "Apply complete"
    } else {
        "Apply finished with failures"
    };
    println!(
        "{status}: {} deleted, {} already absent, {} failed{}.",
        report.deleted_count(),
        applied.already_absent,
        report.failed.len(),
        if report.not_attempted.is_empty() {
            String::new()
        } else {
            format!(", {} not attempted", report.not_attempted.len())
        }
    );
    println!(
        "State: {} (serial {}). Audit log: {}{}.",
        applied.state_path.display(),
        report.state_serial,
        applied.audit_path.display(),
        crate::audit::read_head(&applied.audit_path)
            .ok()
            .flatten()
            .map_or_else(String::new, |head| format!(", head {head}"))
    );
}
