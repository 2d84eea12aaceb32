//! The apply use-case: everything between "the user asked to apply" and "this is what happened",
//! talking to the user only through a [`View`] and an [`Approver`] (Terraform's `opApply` model), so
//! the CLI, the property tests and the benchmark all run the same path ([`run()`]).
//!
//! - [`mod@run`]: lock → the plan's offline checks → reconcile → plan → guards → approval → execute →
//!   verify, and an [`Outcome`] that knows its exit code.
//! - [`store`]: the [`Store`] seam (list, delete) implemented by `api::Client` (and, in the tests, by an in-memory store).
//! - the plan to approve comes from a [`PlanSource`] (`Fresh`: [`crate::plan::run()`]; `Saved`: a
//!   [`PlanFile`] checked and re-listed by [`crate::plan::recheck`]), a [`crate::plan::Planned`] either
//!   way; listing ([`Scope`], [`list_all`]) and the [`guards`] live in
//!   `plan`, re-exported here.
//! - [`mod@execute`]: the only code that sends a DELETE, and the invariants it upholds:
//!   only IDs of the approved plan, one resource per request, at most `batch_size` customers or one
//!   subscriber per request, never an empty list; a
//!   `batch_intent` line on disk before each request (if it cannot be written, nothing is sent); the
//!   state saved atomically before an intent is closed, recording only IDs the store accepted
//!   (`verified: false` until a listing shows them gone); an answer that leaves the outcome unknown is
//!   settled by listing again, or its intent stays open for the next run.
//! - [`mod@reconcile`]: settles what earlier runs left open before anything is planned.
//!
//! Nothing here prints.

pub mod execute;
pub mod found;
pub mod orders;
pub mod reconcile;
pub mod run;
pub mod store;

use std::sync::Arc;

use crate::Resource;

pub use crate::plan::guards::{self, Violation};
pub use crate::plan::scope::{Listed, Scope, list_all};
pub use crate::plan::{PlanFile, PlanSource};
pub use crate::resource::{Target, count_of, id_list, target_list};
pub use execute::{ToChange, execute};
pub use reconcile::{ReconcileError, Reconciled, reconcile};
pub use run::{
    Applied, Approval, ApprovalRequest, Approver, Outcome, Refusal, Request, RunError, run,
};
pub use store::{Store, max_ids_per_request};

/// How an apply runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most IDs in one DELETE request (1..=250; subscribers are always one per request).
    pub batch_size: usize,
    /// Requests in flight at once.
    pub parallelism: usize,
    /// This run's ID, in the state and every audit line.
    pub run_id: String,
    /// Where the state is saved after every batch.
    pub state_path: std::path::PathBuf,
}

/// Set by a signal handler (Ctrl-C, SIGTERM): the first request starts nothing new and lets the
/// requests in flight finish; the second stops waiting for them (their intents stay open for the next
/// run's reconcile). Cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct Interrupt(Arc<tokio::sync::watch::Sender<u8>>);

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt(Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl Interrupt {
    /// Ask the run to stop: the first call after the requests in flight, the second at once.
    pub fn trigger(&self) {
        self.0.send_modify(|count| *count = count.saturating_add(1));
    }

    /// Whether a stop was asked for.
    pub fn is_set(&self) -> bool {
        *self.0.borrow() >= 1
    }

    /// Whether a stop at once was asked for (a second signal).
    pub fn is_immediate(&self) -> bool {
        *self.0.borrow() >= 2
    }

    /// Resolves once at least `count` stops were asked for.
    pub async fn reached(&self, count: u8) {
        let mut seen = self.0.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = seen.wait_for(|n| *n >= count).await;
    }
}

/// What the user hears while an apply runs. Every method has a no-op default, so a test implements
/// only what it looks at. The CLI renders to stdout/stderr; [`Quiet`] ignores everything.
pub trait View {
    /// A lock left by a process that is gone was taken over.
    fn lock_taken_over(&self, _previous: &crate::state::LockHolder) {}
    /// An earlier run's open intents or unverified records were settled.
    fn reconciled(&self, _done: &Reconciled) {}
    /// The IDs to check were listed in the store (`requests`: sent so far by this run).
    fn listed(&self, _listed: &Listed, _store_hash: &str, _requests: u64) {}
    /// The plan about to be approved; an error (a closed stdout) stops the run before any DELETE.
    fn plan(&self, _plan: &crate::plan::Plan, _full: bool) -> std::io::Result<()> {
        Ok(())
    }
    /// Planned records that vanished since a saved plan: skipped, never replaced.
    fn skipped(&self, _vanished: &[Target]) {}
    /// `done` of `total` IDs were sent and accepted (or their outcome is unknown until verified); a
    /// failed ID is never counted as done (PRODUCT §17), see [`View::failures`].
    fn progress(&self, _done: usize, _total: usize) {}
    /// `failed` IDs so far were refused or provably not deleted.
    fn failures(&self, _failed: usize) {}
    /// The deletions are over; `records` are being listed again to verify them.
    fn verifying(&self, _records: usize) {}
    /// The deletions ended with `done` of `total` settled (fewer when interrupted or stopped).
    fn progress_finished(&self, _done: usize, _total: usize) {}
    /// Something the user should know that does not stop the run.
    fn warn(&self, _message: &str) {}
}

/// A view that ignores everything (tests, library use).
pub struct Quiet;

impl View for Quiet {}

/// One approved deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub resource: Resource,
    pub id: u32,
    pub reason: Option<String>,
}

/// Why an ID was not deleted, as a user acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The API refused this ID (it named it, or bisection isolated it).
    Rejected,
    /// The API refused the request as a whole; every later request would fail alike.
    Refused,
    /// The request provably was not carried out (connection refused, rate limit exhausted).
    NotDone,
    /// The API accepted the DELETE, but the record is still listed afterwards.
    StillPresent,
}

/// Why one ID was not deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub resource: Resource,
    pub id: u32,
    pub kind: FailureKind,
    /// What happened, with the API's message where there is one.
    pub message: String,
}

/// What an apply did, per record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    /// Deleted, and recorded in the state file on disk as verified (confirmed gone by a re-listing).
    pub verified: Vec<Target>,
    /// Deleted, and recorded in the state file on disk with `verified: false`: the re-listing could not
    /// be done, or its result could not be saved ([`Executed::state_not_saved`]).
    pub unverified: Vec<Target>,
    /// Deleted (the store accepted the DELETE, or a listing found them gone) but not in the state file
    /// on disk: it could not be saved. Their intents stay open in the audit log; the next apply records
    /// them.
    pub unrecorded: Vec<Target>,
    /// Why the state file on disk is behind this run (its last save failed), when it is.
    pub state_not_saved: Option<String>,
    /// The store's answer left it unknown whether these were deleted, and no listing could settle it:
    /// nothing recorded, their intents stay open, the next apply's reconcile records what the store did.
    pub unknown: Vec<Target>,
    /// Not deleted, with the reason.
    pub failed: Vec<Failure>,
    /// Not attempted: the run was interrupted or stopped by a fatal error first.
    pub not_attempted: Vec<Target>,
    /// In flight when a second interrupt stopped the run at once: intents open, settled next run.
    pub abandoned: Vec<Target>,
    /// Why the verification listing failed, when it did.
    pub verify_error: Option<String>,
    /// A fatal error that stopped the run (authorization, audit log or state file).
    pub fatal: Option<String>,
    /// The run stopped early because of an interrupt (Ctrl-C, SIGTERM).
    pub interrupted: bool,
    /// The state serial after the last write.
    pub state_serial: u64,
}

impl Executed {
    /// IDs this run deleted, whatever the state file records of them.
    pub fn deleted_count(&self) -> usize {
        self.verified.len() + self.unverified.len() + self.unrecorded.len()
    }

    /// Whether the error that stopped the run is itself a failed save of the state file (then it has
    /// been said, and [`Executed::state_not_saved`] need not be said again).
    pub fn stopped_by_a_failed_save(&self) -> bool {
        self.fatal
            .as_deref()
            .is_some_and(|fatal| fatal.starts_with(STATE_SAVE_FAILED))
    }

    /// Whether everything approved was deleted and verified.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
            && self.fatal.is_none()
            && self.unverified.is_empty()
            && self.unrecorded.is_empty()
            && self.state_not_saved.is_none()
            && self.unknown.is_empty()
            && self.abandoned.is_empty()
            && self.not_attempted.is_empty()
    }

    /// Whether this run may have deleted anything: a deletion, one the store may have done, or a DELETE
    /// the store accepted.
    pub fn may_have_deleted(&self) -> bool {
        self.deleted_count() > 0
            || !self.unknown.is_empty()
            || !self.abandoned.is_empty()
            || self
                .failed
                .iter()
                .any(|f| f.kind == FailureKind::StillPresent)
    }

    /// The exit code: 130 interrupted; 0 complete; 4 when anything may have been deleted; 1 only when
    /// provably nothing was.
    pub fn exit(&self) -> crate::exit::Exit {
        use crate::exit::Exit;
        if self.interrupted {
            Exit::Interrupted
        } else if self.is_complete() {
            Exit::Success
        } else if self.may_have_deleted() {
            Exit::Partial
        } else {
            Exit::Error
        }
    }
}

/// A failure that stops the whole run rather than one batch.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error("could not write the audit log, so no DELETE was sent for {ids}: {source}")]
    Audit {
        ids: String,
        source: crate::audit::AuditError,
    },
    #[error("could not save the state file: {0}")]
    State(crate::state::StateError),
}

/// How [`Fatal::State`] begins.
const STATE_SAVE_FAILED: &str = "could not save the state file: ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_stopped_by_a_failed_save_is_told_apart_from_other_stops() {
        let save = Fatal::State(crate::state::StateError::Write {
            path: "s.json".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        });
        let report = Executed {
            fatal: Some(save.to_string()),
            ..Executed::default()
        };
        assert!(report.stopped_by_a_failed_save());
        let report = Executed {
            fatal: Some("HTTP 403".into()),
            ..Executed::default()
        };
        assert!(!report.stopped_by_a_failed_save());
    }

    #[test]
    fn target_lists_name_each_resource() {
        let targets = [
            Target::customer(1),
            Target::subscriber(7),
            Target::customer(2),
        ];
        assert_eq!(target_list(&targets), "customers 1, 2 and subscriber 7");
        assert_eq!(target_list(&[]), "");
    }

    #[test]
    fn id_lists_are_shortened_for_messages() {
        assert_eq!(id_list(&[1, 2, 3]), "1, 2, 3");
        let many: Vec<u32> = (1..=12).collect();
        assert_eq!(id_list(&many), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more");
    }

    #[test]
    fn the_exit_code_says_whether_anything_may_have_been_deleted() {
        use crate::exit::Exit;
        let fail = |kind| Failure {
            resource: Resource::Customer,
            id: 1,
            kind,
            message: String::new(),
        };
        assert_eq!(Executed::default().exit(), Exit::Success);
        let nothing = Executed {
            failed: vec![fail(FailureKind::NotDone)],
            ..Executed::default()
        };
        assert_eq!(nothing.exit(), Exit::Error);
        let unknown = Executed {
            unknown: vec![Target::customer(2)],
            ..nothing.clone()
        };
        assert_eq!(unknown.exit(), Exit::Partial);
        let lied = Executed {
            failed: vec![fail(FailureKind::StillPresent)],
            ..Executed::default()
        };
        assert_eq!(lied.exit(), Exit::Partial);
        let interrupted = Executed {
            interrupted: true,
            verified: vec![Target::subscriber(3)],
            ..Executed::default()
        };
        assert_eq!(interrupted.exit(), Exit::Interrupted);
    }
}

/// Why what an apply found (records already absent, orders found) could not be written: one type for
/// `found.rs` and `orders.rs`, defined here so neither imports the other.
#[derive(Debug, thiserror::Error)]
pub enum FoundAbsentError {
    #[error("{0}")]
    Audit(crate::audit::AuditError),
    #[error("{0}")]
    State(crate::state::StateError),
}

impl From<FoundAbsentError> for RunError {
    fn from(error: FoundAbsentError) -> Self {
        match error {
            FoundAbsentError::Audit(error) => RunError::AuditStart(error),
            FoundAbsentError::State(error) => RunError::State(error),
        }
    }
}
