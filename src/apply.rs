//! Executing an approved plan: batched DELETEs, verification, and the records of both.
//!
//! This is the only module that sends a DELETE, and it upholds the invariants the product rests on:
//! - only IDs of the approved plan are ever sent, at most `batch_size` per request, never an empty list;
//! - a `batch_intent` audit line naming the IDs is written and flushed before each request (each piece of
//!   a split batch is its own request with its own intent); if it cannot be written, nothing is sent;
//! - the state file is rewritten atomically after every batch and only records IDs the API accepted,
//!   marked `verified: false` until a re-listing shows them gone; an ID still listed after its 204 is
//!   taken out of the state again and reported as failed;
//! - on interruption no new request starts, the ones in flight finish, and everything is recorded.
//!
//! It returns a [`Report`] and never prints: progress goes through the [`Observer`] the caller supplies.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::CustomerId;
use crate::api::{ApiError, Client};
use crate::audit::{AuditEntry, AuditLog, EventKind, Intent};
use crate::state::State;

/// How an apply runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The most IDs in one DELETE request (1..=250).
    pub batch_size: usize,
    /// Requests in flight at once.
    pub parallelism: usize,
    /// This run's ID, in the state and every audit line.
    pub run_id: String,
    /// Where the state is saved after every batch.
    pub state_path: PathBuf,
}

/// Set from a Ctrl-C handler: finish what is in flight, start nothing new.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Ask the run to stop after the requests in flight.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the caller wants to hear while an apply runs (a progress bar, plain lines, or nothing).
pub trait Observer {
    /// `done` of `total` IDs have an outcome (deleted or failed).
    fn progress(&self, done: usize, total: usize);
    /// Something the user should know that does not stop the run.
    fn warn(&self, message: &str);
}

/// An observer that ignores everything (tests, library use).
pub struct Quiet;

impl Observer for Quiet {
    fn progress(&self, _done: usize, _total: usize) {}
    fn warn(&self, _message: &str) {}
}

/// One approved deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub id: CustomerId,
    pub reason: Option<String>,
}

/// Why one ID was not deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub id: CustomerId,
    /// The HTTP status that refused it, if any.
    pub status: Option<u16>,
    /// What happened, with the API's message where there is one.
    pub message: String,
}

/// What an apply did, per ID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Deleted and confirmed gone by a re-listing.
    pub verified: Vec<CustomerId>,
    /// The API accepted the DELETE but the re-listing could not be done: recorded `verified: false`.
    pub unverified: Vec<CustomerId>,
    /// Not deleted, with the reason.
    pub failed: Vec<Failure>,
    /// Not attempted: the run was interrupted or stopped by a fatal error first.
    pub not_attempted: Vec<CustomerId>,
    /// Why the verification listing failed, when it did.
    pub verify_error: Option<String>,
    /// A fatal error that stopped the run (authorization, audit log or state file).
    pub fatal: Option<String>,
    /// The run stopped early because of Ctrl-C.
    pub interrupted: bool,
    /// The state serial after the last write.
    pub state_serial: u64,
}

impl Report {
    /// IDs the API accepted for deletion in this run, verified or not.
    pub fn deleted_count(&self) -> usize {
        self.verified.len() + self.unverified.len()
    }
}

/// A failure that stops the whole run rather than one batch.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error("could not write the audit log, so no DELETE was sent for customers {ids}: {source}")]
    Audit {
        ids: String,
        source: crate::audit::AuditError,
    },
    #[error("could not save the state file: {0}")]
    State(crate::state::StateError),
}

/// The outcome of one DELETE request.
enum Outcome {
    /// The API accepted the DELETE; the state save that followed (its serial, none yet, or why it
    /// failed).
    Deleted(Vec<CustomerId>, Result<Option<u64>, String>),
    /// The API refused the request as a whole: these IDs failed, try these smaller pieces instead.
    Split {
        retry: Vec<Vec<CustomerId>>,
        failed: Vec<Failure>,
        why: String,
    },
    Failed(Vec<Failure>),
    /// Stop the run: every later request would fail the same way (authorization, unknown store).
    Stop(Vec<Failure>, String),
    NotSent(Vec<CustomerId>, Fatal),
}

/// Mutable records shared by the concurrent requests of one run. The run is single-threaded (one task
/// polling many futures), and no borrow is ever held across an `.await`.
struct Records<'a> {
    audit: RefCell<&'a mut AuditLog>,
    state: RefCell<&'a mut State>,
    reasons: BTreeMap<CustomerId, Option<String>>,
    options: &'a Options,
    /// Batches the API accepted that are recorded in memory but not yet saved: (intent seq, IDs).
    /// Their intents stay open until a save covers them.
    unsaved: RefCell<Vec<(u64, Vec<CustomerId>)>>,
    /// When the last save ended, and how long it took.
    last_save: Cell<(Instant, Duration)>,
}

/// A save is due once this many times its own last duration has passed since it ended. Small states
/// (the usual case, and always at the real API's pace) are therefore saved after every batch; a large
/// state with fast batches is saved at most a fifth of the time, which keeps an apply linear in the
/// number of deletions instead of rewriting an ever larger file after every batch.
const SAVE_INTERVAL_FACTOR: u32 = 4;

impl Records<'_> {
    fn audit(&self, entry: AuditEntry) -> Result<u64, crate::audit::AuditError> {
        self.audit.borrow_mut().append(entry)
    }

    fn entry(&self, kind: EventKind) -> AuditEntry {
        AuditEntry::new(&self.options.run_id, kind)
    }

    fn record_deleted(&self, ids: &[CustomerId], verified: bool) -> Result<u64, Fatal> {
        self.remember(ids, verified);
        self.save()
    }

    /// Record deletions in memory only.
    fn remember(&self, ids: &[CustomerId], verified: bool) {
        let mut state = self.state.borrow_mut();
        let now = jiff::Timestamp::now();
        for id in ids {
            let reason = self.reasons.get(id).cloned().flatten();
            state.record_deleted(*id, now, &self.options.run_id, reason, verified);
        }
    }

    /// Save the state atomically, then close the intents the save covers with their outcome lines.
    /// The state is saved *before* an intent is closed: a crash in between leaves the intent open over
    /// IDs already recorded, which the next run settles; the other order could lose a deletion.
    fn save(&self) -> Result<u64, Fatal> {
        let started = Instant::now();
        let serial = {
            let mut state = self.state.borrow_mut();
            state.save(&self.options.state_path).map_err(Fatal::State)?;
            state.serial
        };
        self.last_save.set((Instant::now(), started.elapsed()));
        let covered: Vec<(u64, Vec<CustomerId>)> = self.unsaved.borrow_mut().drain(..).collect();
        for (intent, ids) in covered {
            let entry = self
                .entry(EventKind::BatchDeleted)
                .ids(&ids)
                .intent(intent)
                .status(204);
            if let Err(err) = self.audit(entry) {
                // The intent stays open; the next run re-checks these IDs and finds them recorded.
                tracing::warn!("could not write the audit outcome for intent {intent}: {err}");
            }
        }
        Ok(serial)
    }

    /// A batch the API accepted: record it, and save now unless saves have become the bottleneck.
    fn accepted(&self, intent: u64, ids: &[CustomerId]) -> Result<Option<u64>, Fatal> {
        self.remember(ids, false);
        self.unsaved.borrow_mut().push((intent, ids.to_vec()));
        let (ended, took) = self.last_save.get();
        if ended.elapsed() >= took * SAVE_INTERVAL_FACTOR {
            self.save().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Save if anything accepted is not saved yet.
    fn flush(&self) -> Result<Option<u64>, Fatal> {
        if self.unsaved.borrow().is_empty() {
            Ok(None)
        } else {
            self.save().map(Some)
        }
    }
}

/// Delete `approved` (already checked against the manifest, `protect` and `max_deletes` by the caller),
/// verify, and record. Never sends an ID that is not in `approved`.
pub async fn execute(
    client: &Client,
    approved: &[Approved],
    options: &Options,
    audit: &mut AuditLog,
    state: &mut State,
    observer: &dyn Observer,
    interrupt: &Interrupt,
) -> Report {
    let mut report = Report::default();
    let approved_ids: BTreeSet<CustomerId> = approved.iter().map(|a| a.id).collect();
    let ids: Vec<CustomerId> = approved_ids.iter().copied().collect();
    let records = Records {
        audit: RefCell::new(audit),
        state: RefCell::new(state),
        reasons: approved.iter().map(|a| (a.id, a.reason.clone())).collect(),
        options,
        unsaved: RefCell::new(Vec::new()),
        last_save: Cell::new((Instant::now(), Duration::ZERO)),
    };
    report.state_serial = records.state.borrow().serial;
    if ids.is_empty() {
        return report;
    }
    let batch_size = options.batch_size.clamp(1, 250);
    let mut queue: VecDeque<Vec<CustomerId>> =
        ids.chunks(batch_size).map(<[CustomerId]>::to_vec).collect();
    let total = ids.len();
    let mut done = 0usize;
    let mut accepted: Vec<CustomerId> = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let mut stopping = false;
    observer.progress(0, total);

    loop {
        while !stopping && !interrupt.is_set() && in_flight.len() < options.parallelism.max(1) {
            let Some(batch) = queue.pop_front() else {
                break;
            };
            // The invariants, checked where the request is made: never empty, never an unapproved ID.
            if batch.is_empty() || batch.iter().any(|id| !approved_ids.contains(id)) {
                continue;
            }
            in_flight.push(send(client, &records, batch));
        }
        let Some(outcome) = in_flight.next().await else {
            break;
        };
        match outcome {
            Outcome::Deleted(ids, saved) => {
                done += ids.len();
                accepted.extend(ids);
                match saved {
                    Ok(Some(serial)) => report.state_serial = serial,
                    Ok(None) => {}
                    Err(fatal) => {
                        // Accepted but not saved: say so loudly. The intent stays open in the audit
                        // log, so the next run finds these IDs gone and records them.
                        report.fatal = Some(fatal);
                        stopping = true;
                    }
                }
            }
            Outcome::Split { retry, failed, why } => {
                observer.warn(&why);
                done += failed.len();
                report.failed.extend(failed);
                for piece in retry.into_iter().rev() {
                    queue.push_front(piece);
                }
            }
            Outcome::Failed(failures) => {
                done += failures.len();
                report.failed.extend(failures);
            }
            Outcome::Stop(failures, why) => {
                done += failures.len();
                report.failed.extend(failures);
                report.fatal.get_or_insert(why);
                stopping = true;
            }
            Outcome::NotSent(ids, fatal) => {
                report.not_attempted.extend(ids);
                report.fatal.get_or_insert(fatal.to_string());
                stopping = true;
            }
        }
        observer.progress(done, total);
    }
    match records.flush() {
        Ok(Some(serial)) => report.state_serial = serial,
        Ok(None) => {}
        Err(fatal) => {
            report.fatal.get_or_insert(fatal.to_string());
        }
    }
    report.interrupted = interrupt.is_set();
    report.not_attempted.extend(queue.into_iter().flatten());
    report.not_attempted.sort_unstable();

    verify(client, &records, accepted, &mut report).await;
    report.failed.sort_by_key(|f| f.id);
    let finished = records.entry(EventKind::ApplyFinished).message(format!(
        "deleted {} (verified {}), failed {}, not attempted {}{}",
        report.deleted_count(),
        report.verified.len(),
        report.failed.len(),
        report.not_attempted.len(),
        if report.interrupted {
            ", interrupted"
        } else {
            ""
        }
    ));
    if let Err(err) = records.audit(finished) {
        observer.warn(&format!("could not write the final audit line: {err}"));
    }
    report
}

/// Send one DELETE for `batch`, with its intent line first, and classify the answer.
async fn send(client: &Client, records: &Records<'_>, batch: Vec<CustomerId>) -> Outcome {
    let intent = match records.audit(records.entry(EventKind::BatchIntent).ids(&batch)) {
        Ok(seq) => seq,
        Err(source) => {
            let ids = id_list(&batch);
            return Outcome::NotSent(batch, Fatal::Audit { ids, source });
        }
    };
    let result = client.delete(&batch).await;
    let outcome = match classify(&batch, result) {
        // Recorded now; its outcome line is written by the save that covers it (see `Records::save`).
        Outcome::Deleted(ids, _) => {
            let saved = records
                .accepted(intent, &ids)
                .map_err(|fatal| fatal.to_string());
            return Outcome::Deleted(ids, saved);
        }
        other => other,
    };
    let (kind, status, message) = match &outcome {
        Outcome::Deleted(..) => return outcome,
        Outcome::Split { why, .. } => (EventKind::BatchFailed, None, Some(why.clone())),
        Outcome::Failed(f) | Outcome::Stop(f, _) => (
            EventKind::BatchFailed,
            f.first().and_then(|f| f.status),
            f.first().map(|f| f.message.clone()),
        ),
        Outcome::NotSent(..) => return outcome,
    };
    let mut entry = records.entry(kind).ids(&batch).intent(intent);
    if let Some(status) = status {
        entry = entry.status(status);
    }
    if let Some(message) = message {
        entry = entry.message(&message);
    }
    if let Err(err) = records.audit(entry) {
        // The request was already answered; the outcome stands. The intent line without an outcome
        // makes the next run re-check these IDs.
        tracing::warn!("could not write the audit outcome for intent {intent}: {err}");
    }
    outcome
}

/// Turn the API's answer to one DELETE into what the run does next.
fn classify(batch: &[CustomerId], result: Result<(), ApiError>) -> Outcome {
    let err = match result {
        Ok(()) => return Outcome::Deleted(batch.to_vec(), Ok(None)),
        Err(err) => err,
    };
    let status = err.status();
    let message = err.to_string();
    let fail_all = |message: &str| {
        batch
            .iter()
            .map(|&id| Failure {
                id,
                status,
                message: message.to_string(),
            })
            .collect::<Vec<_>>()
    };
    match status {
        // The request was too large for the API: halve it.
        Some(413 | 414) if batch.len() > 1 => {
            let (a, b) = batch.split_at(batch.len() / 2);
            Outcome::Split {
                retry: vec![a.to_vec(), b.to_vec()],
                failed: Vec::new(),
                why: format!(
                    "the API refused a DELETE of {} IDs as too large (HTTP {}); splitting it in two",
                    batch.len(),
                    status.unwrap_or_default()
                ),
            }
        }
        // The API refused some IDs: take out the ones it named, or bisect to find them.
        Some(422) => {
            let named: BTreeMap<CustomerId, String> = err
                .api_errors()
                .into_iter()
                .flatten()
                .filter_map(|(key, msg)| Some((key.parse::<CustomerId>().ok()?, msg.clone())))
                .filter(|(id, _)| batch.contains(id))
                .collect();
            if batch.len() == 1 {
                let detail = named.values().next().cloned().unwrap_or(message);
                return Outcome::Failed(fail_all(&detail));
            }
            if !named.is_empty() {
                // The API named the IDs it refuses: those fail with its message, the rest go again.
                let rest: Vec<CustomerId> = batch
                    .iter()
                    .copied()
                    .filter(|id| !named.contains_key(id))
                    .collect();
                let why = format!(
                    "the API refused customers {} (HTTP 422); retrying the other {} without them",
                    id_list(&named.keys().copied().collect::<Vec<_>>()),
                    rest.len()
                );
                return Outcome::Split {
                    retry: if rest.is_empty() {
                        Vec::new()
                    } else {
                        vec![rest]
                    },
                    failed: named
                        .into_iter()
                        .map(|(id, msg)| Failure {
                            id,
                            status,
                            message: format!("HTTP 422: {msg}"),
                        })
                        .collect(),
                    why,
                };
            }
            let (a, b) = batch.split_at(batch.len() / 2);
            Outcome::Split {
                retry: vec![a.to_vec(), b.to_vec()],
                failed: Vec::new(),
                why: format!(
                    "the API refused a DELETE of {} IDs (HTTP 422: {}); bisecting to find the IDs it refuses",
                    batch.len(),
                    err.title().unwrap_or("no message")
                ),
            }
        }
        // Authorization, wrong store, bad request: every other batch would fail the same way.
        Some(400..=499) => {
            let why = message.clone();
            Outcome::Stop(fail_all(&message), why)
        }
        // Retries exhausted on 429/5xx/network: this batch fails, others may still go through.
        _ => Outcome::Failed(fail_all(&message)),
    }
}

/// List the IDs the API accepted and settle each: gone → verified; still there → failed and taken out
/// of the state; listing impossible → left `verified: false`.
async fn verify(
    client: &Client,
    records: &Records<'_>,
    accepted: Vec<CustomerId>,
    report: &mut Report,
) {
    if accepted.is_empty() {
        return;
    }
    match client.list(&accepted).await {
        Ok(live) => {
            let (present, gone): (Vec<CustomerId>, Vec<CustomerId>) = accepted
                .iter()
                .partition(|id| live.customers.contains_key(id));
            {
                let mut state = records.state.borrow_mut();
                for id in &present {
                    state.forget(*id);
                }
            }
            match records.record_deleted(&gone, true) {
                Ok(serial) => report.state_serial = serial,
                Err(err) => {
                    report.fatal.get_or_insert(err.to_string());
                }
            }
            let mut entry = records.entry(EventKind::Verify).ids(&gone);
            if !present.is_empty() {
                entry = entry.message(format!(
                    "still present after HTTP 204: {}",
                    id_list(&present)
                ));
            }
            if let Err(err) = records.audit(entry) {
                tracing::warn!("could not write the verify audit line: {err}");
            }
            report.failed.extend(present.into_iter().map(|id| Failure {
                id,
                status: Some(204),
                message: "the API answered 204 but the customer is still listed".into(),
            }));
            report.verified = gone;
        }
        Err(err) => {
            let message = format!("could not list the deleted customers again to verify: {err}");
            let entry = records.entry(EventKind::Verify).message(&message).ids(&[]);
            if let Err(err) = records.audit(entry) {
                tracing::warn!("could not write the verify audit line: {err}");
            }
            report.verify_error = Some(message);
            report.unverified = accepted;
        }
    }
}

/// `1, 2, 3` — or the first ten and a count, for messages.
pub fn id_list(ids: &[CustomerId]) -> String {
    let shown: Vec<String> = ids.iter().take(10).map(ToString::to_string).collect();
    if ids.len() > 10 {
        format!("{} and {} more", shown.join(", "), ids.len() - 10)
    } else {
        shown.join(", ")
    }
}

/// What [`reconcile`] settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// IDs of open intents that are gone now: recorded as deleted by the run that sent them.
    pub recorded: Vec<CustomerId>,
    /// IDs recorded `verified: false` that a listing now confirms gone.
    pub confirmed: Vec<CustomerId>,
    /// IDs recorded `verified: false` that still exist: taken out of the state (the next plan deletes them).
    pub still_present: Vec<CustomerId>,
}

impl Reconciled {
    /// True when there was nothing to settle.
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty() && self.confirmed.is_empty() && self.still_present.is_empty()
    }
}

/// Settle what earlier runs left open before planning, so the state lists every deletion and claims
/// none that did not happen: open intents whose IDs are gone now are recorded as deleted by the run that
/// sent them, and unverified records are checked. One listing (⌈k/250⌉ GETs) for all of it; nothing is
/// sent when nothing is open.
pub async fn reconcile(
    client: &Client,
    intents: &[Intent],
    reasons: &BTreeMap<CustomerId, Option<String>>,
    options: &Options,
    audit: &mut AuditLog,
    state: &mut State,
) -> Result<Reconciled, ReconcileError> {
    let unverified: Vec<CustomerId> = state.unverified_ids();
    let mut ids: BTreeSet<CustomerId> = unverified.iter().copied().collect();
    ids.extend(intents.iter().flat_map(|i| i.ids.iter().copied()));
    let mut done = Reconciled::default();
    if ids.is_empty() {
        return Ok(done);
    }
    let ids: Vec<CustomerId> = ids.into_iter().collect();
    let live = client.list(&ids).await.map_err(ReconcileError::List)?;
    let now = jiff::Timestamp::now();
    // The audit lines that close the intents are written only after the state that records their IDs
    // is saved: a crash in between leaves the intents open, and the next run settles them again.
    let mut lines = Vec::new();
    for intent in intents {
        // The intent's time is the best known time of its DELETE.
        let gone: Vec<CustomerId> = intent
            .ids
            .iter()
            .copied()
            .filter(|id| !live.customers.contains_key(id))
            .collect();
        for &id in &gone {
            if !state.is_recorded(id) {
                let reason = reasons.get(&id).cloned().flatten();
                state.record_deleted(id, intent.ts, &intent.run_id, reason, true);
                done.recorded.push(id);
            }
        }
        lines.push(
            AuditEntry::new(&options.run_id, EventKind::Reconciled)
                .ids(&gone)
                .intent(intent.seq)
                .message(format!(
                    "open intent of run {}: {} of {} IDs are gone and recorded as deleted by that run",
                    intent.run_id,
                    gone.len(),
                    intent.ids.len()
                )),
        );
    }
    for id in unverified {
        if live.customers.contains_key(&id) {
            state.forget(id);
            done.still_present.push(id);
        } else {
            state.record_deleted(id, now, &options.run_id, None, true);
            done.confirmed.push(id);
        }
    }
    if !done.confirmed.is_empty() || !done.still_present.is_empty() {
        lines.push(
            AuditEntry::new(&options.run_id, EventKind::Reconciled)
                .ids(&done.confirmed)
                .message(format!(
                    "unverified deletions re-checked: {} confirmed gone, {} still present ({})",
                    done.confirmed.len(),
                    done.still_present.len(),
                    id_list(&done.still_present)
                )),
        );
    }
    state
        .save(&options.state_path)
        .map_err(ReconcileError::State)?;
    for line in lines {
        audit.append(line).map_err(ReconcileError::Audit)?;
    }
    Ok(done)
}

/// Why [`reconcile`] could not settle an earlier run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("could not list the customers an earlier run left unsettled: {0}")]
    List(ApiError),
    #[error("could not write the audit log: {0}")]
    Audit(crate::audit::AuditError),
    #[error("could not save the state file: {0}")]
    State(crate::state::StateError),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn refused(status: u16, errors: &[(&str, &str)]) -> Result<(), ApiError> {
        Err(ApiError::Status {
            request: "DELETE /stores/s/v3/customers?id:in=…".into(),
            status,
            title: Some("Bulk operation has failed".into()),
            errors: errors
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        })
    }

    #[test]
    fn a_204_is_a_deletion_to_record() {
        assert!(matches!(
            classify(&[1, 2], Ok(())),
            Outcome::Deleted(ids, _) if ids == vec![1, 2]
        ));
    }

    #[test]
    fn too_large_batches_are_halved_and_a_single_id_fails() {
        for status in [413, 414] {
            match classify(&[1, 2, 3, 4, 5], refused(status, &[])) {
                Outcome::Split { retry, failed, .. } => {
                    assert_eq!(retry, vec![vec![1, 2], vec![3, 4, 5]]);
                    assert!(failed.is_empty());
                }
                _ => panic!("{status} must split"),
            }
            assert!(matches!(
                classify(&[9], refused(status, &[])),
                Outcome::Stop(failed, _) if failed.len() == 1
            ));
        }
    }

    #[test]
    fn a_422_naming_ids_fails_those_and_retries_the_rest_once() {
        match classify(
            &[1, 2, 3, 4],
            refused(
                422,
                &[("3", "Unauthorized to delete"), ("77", "not in batch")],
            ),
        ) {
            Outcome::Split { retry, failed, .. } => {
                assert_eq!(retry, vec![vec![1, 2, 4]]);
                assert_eq!(failed.len(), 1);
                assert_eq!(failed[0].id, 3);
                assert_eq!(failed[0].message, "HTTP 422: Unauthorized to delete");
            }
            _ => panic!("must split around the named ID"),
        }
    }

    #[test]
    fn a_422_naming_nothing_bisects_until_single_ids_fail() {
        match classify(&[1, 2, 3], refused(422, &[])) {
            Outcome::Split { retry, failed, .. } => {
                assert_eq!(retry, vec![vec![1], vec![2, 3]]);
                assert!(failed.is_empty());
            }
            _ => panic!("must bisect"),
        }
        match classify(&[2], refused(422, &[])) {
            Outcome::Failed(failed) => {
                assert_eq!(failed.len(), 1);
                assert!(failed[0].message.contains("422"), "{}", failed[0].message);
            }
            _ => panic!("a single refused ID fails"),
        }
    }

    #[test]
    fn authorization_failures_stop_the_run() {
        for status in [401, 403, 404] {
            assert!(
                matches!(classify(&[1, 2], refused(status, &[])), Outcome::Stop(f, _) if f.len() == 2),
                "{status}"
            );
        }
    }

    #[test]
    fn id_lists_are_shortened_for_messages() {
        assert_eq!(id_list(&[1, 2, 3]), "1, 2, 3");
        let many: Vec<u32> = (1..=12).collect();
        assert_eq!(id_list(&many), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more");
    }
}
