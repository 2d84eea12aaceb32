//! Executing approved deletions: batched DELETEs, their records, and the verifying listing.
//!
//! The loop owns the audit log and the state (`&mut`, no `RefCell`): it writes each request's intent
//! (synced) before pushing the request, the futures in flight only send, and each outcome is recorded
//! in the loop when it arrives. So the ordering guarantees hold by construction:
//! - an intent is on disk before its request is created (no intent, no request);
//! - the state that records a batch is saved before the line that closes its intent;
//! - saves are coalesced when they become the bottleneck (intents of unsaved batches stay open until a
//!   save covers them), keeping an apply linear in the number of deletions.
//!
//! A DELETE whose outcome is unknown (the store may have acted) is neither recorded nor closed: its
//! IDs are listed again at verify (gone → recorded deleted, present → failed) and only then is its
//! intent closed; if verify cannot list, the intent stays open for the next run's reconcile.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::store::{Store, max_ids_per_request};
use super::{
    Approved, Executed, Failure, FailureKind, Fatal, Interrupt, Options, Target, View, id_list,
    target_list,
};
use crate::Resource;
use crate::api::ApiError;
use crate::audit::{AuditEntry, AuditLog, EventKind};
use crate::live::Live;
use crate::plan::scope::list_all;
use crate::resource::Operation;
use crate::state::State;
use crate::store::DeleteError;

/// A save is due once this many times its own last duration has passed since it ended. Small states
/// (the usual case, and always at the real API's pace) are therefore saved after every batch; a large
/// state with fast batches is saved at most a fifth of the time.
const SAVE_INTERVAL_FACTOR: u32 = 4;

/// One DELETE request's records: all of one resource (at most [`max_ids_per_request`] of them).
type Batch = (Resource, Vec<u32>);

pub(crate) use crate::audit::about;

fn targets(resource: Resource, ids: &[u32]) -> impl Iterator<Item = Target> + '_ {
    ids.iter().map(move |&id| Target { resource, id })
}

/// The records of one run: the audit log, the state, and what is accepted but not yet saved.
struct Records<'a> {
    audit: &'a mut AuditLog,
    state: &'a mut State,
    reasons: BTreeMap<Target, Option<String>>,
    options: &'a Options,
    /// Batches the API accepted that are recorded in memory but not saved yet: (intent seq, batch).
    unsaved: Vec<(u64, Batch)>,
    /// This run's records as the state file on disk holds them (as of the last successful save):
    /// recorded deleted, verified or not. What the run reports is read from here, never from memory.
    saved: BTreeMap<Target, bool>,
    /// Changes to this run's records since the last successful save: recorded (verified or not), or
    /// taken out again (`None`).
    changed: Vec<(Target, Option<bool>)>,
    /// Why the last save failed, when it did (cleared by a later successful save).
    save_failed: Option<String>,
    /// When the last save ended, and how long it took.
    last_save: (Instant, Duration),
}

impl Records<'_> {
    fn entry(&self, kind: EventKind) -> AuditEntry {
        AuditEntry::new(&self.options.run_id, kind)
    }

    /// Append a line whose failure does not change what happened (an outcome): warn and go on. The
    /// intent it would close stays open, so the next run re-checks its IDs.
    fn note(&mut self, entry: AuditEntry, view: &dyn View) {
        if let Err(err) = self.audit.append(entry) {
            view.warn(&format!("could not write an audit line: {err}"));
        }
    }

    /// Record deletions in memory only.
    fn remember(&mut self, resource: Resource, ids: &[u32], verified: bool) {
        let now = jiff::Timestamp::now();
        for &id in ids {
            let reason = self
                .reasons
                .get(&Target { resource, id })
                .cloned()
                .flatten();
            self.state
                .record_deleted_as(resource, id, now, &self.options.run_id, reason, verified);
            self.changed.push((Target { resource, id }, Some(verified)));
        }
    }

    /// Take a record out again in memory (the store still lists it).
    fn forget(&mut self, target: Target) {
        self.state.forget_as(target.resource, target.id);
        self.changed.push((target, None));
    }

    /// Sort the IDs the store deleted by what the state file on disk holds of them: verified,
    /// unverified, or not recorded at all (a save failed); and say why the state is behind, if it is.
    fn settle(&self, report: &mut Executed) {
        let mut deleted: Vec<Target> = report.verified.drain(..).collect();
        deleted.append(&mut report.unverified);
        for target in deleted {
            match self.saved.get(&target) {
                Some(true) => report.verified.push(target),
                Some(false) => report.unverified.push(target),
                None => report.unrecorded.push(target),
            }
        }
        report.verified.sort_unstable();
        report.unverified.sort_unstable();
        report.unrecorded.sort_unstable();
        report.state_not_saved.clone_from(&self.save_failed);
    }

    /// Save the state atomically, then close the intents the save covers. The state is saved *before*
    /// an intent is closed: a crash in between leaves the intent open over IDs already recorded, which
    /// the next run settles; the other order could lose a deletion.
    fn save(&mut self, view: &dyn View) -> Result<u64, Fatal> {
        let started = Instant::now();
        // PRODUCT §10, §14: a `state_saved` line with the records' digest, then the state at that head.
        let saved = crate::evidence::save_state(
            self.audit,
            self.state,
            &self.options.state_path,
            &self.options.run_id,
        );
        match saved {
            Ok(()) => {}
            Err(crate::evidence::SaveError::State(err)) => {
                let fatal = Fatal::State(err);
                self.save_failed = Some(fatal.to_string());
                return Err(fatal);
            }
            Err(crate::evidence::SaveError::Audit(error)) => {
                view.warn(&format!("could not write an audit line: {error}"));
            }
        }
        self.save_failed = None;
        for (target, recorded) in self.changed.drain(..) {
            match recorded {
                Some(verified) => self.saved.insert(target, verified),
                None => self.saved.remove(&target),
            };
        }
        self.last_save = (Instant::now(), started.elapsed());
        for (intent, (resource, ids)) in std::mem::take(&mut self.unsaved) {
            // The outcome is the kind's: `batch_deleted` (204) or an order's `redacted` (200).
            let (kind, status) = match resource.operation() {
                Operation::Delete => (EventKind::BatchDeleted, 204),
                Operation::Redact => (EventKind::Redacted, 200),
            };
            let entry = self.entry(kind).ids(&ids).intent(intent).status(status);
            self.note(about(entry, resource), view);
        }
        Ok(self.state.serial)
    }

    /// A batch the store accepted: record it, and save now unless saves have become the bottleneck.
    fn accepted(
        &mut self,
        intent: u64,
        batch: &Batch,
        view: &dyn View,
    ) -> Result<Option<u64>, Fatal> {
        self.remember(batch.0, &batch.1, false);
        self.unsaved.push((intent, batch.clone()));
        let (ended, took) = self.last_save;
        if ended.elapsed() >= took * SAVE_INTERVAL_FACTOR {
            self.save(view).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Save if anything accepted is not saved yet.
    fn flush(&mut self, view: &dyn View) -> Result<Option<u64>, Fatal> {
        if self.unsaved.is_empty() {
            Ok(None)
        } else {
            self.save(view).map(Some)
        }
    }
}

/// What an apply was approved to change, and what the listing that made the plan read of it.
#[derive(Debug, Clone, Copy)]
pub struct ToChange<'a> {
    /// The approved records (checked against the manifest, `protect` and `max_deletes`).
    pub approved: &'a [Approved],
    /// The plan's listing: a redaction reads nothing again that it holds.
    pub read: &'a Live,
}

/// What the loop does with one answer.
enum Next {
    /// Go on.
    Continue,
    /// Stop starting requests (a fatal error).
    Stop,
}

/// Delete `approved` customers and subscribers and redact approved orders (already checked against
/// the manifest, `protect` and `max_deletes`), verify, and record. Never sends an ID that is not in
/// `approved`, never mixes resources in one request, and sends subscribers and orders one per
/// request. `read` is what the listing that made the plan found: a redaction reads nothing again that
/// it holds ([`crate::store::redaction_requests`]).
pub async fn execute<S: Store<ListError = ApiError>>(
    store: &S,
    ToChange { approved, read }: ToChange<'_>,
    options: &Options,
    audit: &mut AuditLog,
    state: &mut State,
    view: &dyn View,
    interrupt: &Interrupt,
) -> Executed {
    let mut report = Executed {
        state_serial: state.serial,
        ..Executed::default()
    };
    let approved_set: BTreeSet<Target> = approved
        .iter()
        .map(|a| Target {
            resource: a.resource,
            id: a.id,
        })
        .collect();
    let mut records = Records {
        audit,
        state,
        reasons: approved
            .iter()
            .map(|a| {
                let target = Target {
                    resource: a.resource,
                    id: a.id,
                };
                (target, a.reason.clone())
            })
            .collect(),
        options,
        unsaved: Vec::new(),
        saved: BTreeMap::new(),
        changed: Vec::new(),
        save_failed: None,
        last_save: (Instant::now(), Duration::ZERO),
    };
    if approved_set.is_empty() {
        return report;
    }
    let mut queue: VecDeque<Batch> = VecDeque::new();
    for resource in Resource::ALL {
        let ids = crate::resource::ids_of(&approved_set, resource);
        let batch_size = options.batch_size.clamp(1, max_ids_per_request(resource));
        queue.extend(
            ids.chunks(batch_size)
                .map(|chunk| (resource, chunk.to_vec())),
        );
    }
    let total = approved_set.len();
    let mut done = 0usize;
    let mut accepted: Vec<Target> = Vec::new();
    // Requests whose outcome the store left unknown: (intent seq, batch), settled at verify.
    let mut unknown: Vec<(u64, Batch)> = Vec::new();
    // Requests in flight: intent seq → batch (what a stop at once abandons).
    let mut pending: BTreeMap<u64, Batch> = BTreeMap::new();
    let mut in_flight = FuturesUnordered::new();
    let mut stopping = false;
    view.progress(0, total);

    loop {
        while !stopping && !interrupt.is_set() && in_flight.len() < options.parallelism.max(1) {
            let Some((resource, batch)) = queue.pop_front() else {
                break;
            };
            // The invariants, checked where the request is made: never empty, never more than the
            // resource allows in one request, never an unapproved ID.
            if batch.is_empty()
                || batch.len() > max_ids_per_request(resource)
                || batch
                    .iter()
                    .any(|&id| !approved_set.contains(&Target { resource, id }))
            {
                continue;
            }
            let intent_line = about(records.entry(EventKind::BatchIntent).ids(&batch), resource);
            let intent = match records.audit.append(intent_line) {
                Ok(seq) => seq,
                Err(source) => {
                    let fatal = Fatal::Audit {
                        ids: target_list(&targets(resource, &batch).collect::<Vec<_>>()),
                        source,
                    };
                    report.fatal.get_or_insert(fatal.to_string());
                    report.not_attempted.extend(targets(resource, &batch));
                    stopping = true;
                    break;
                }
            };
            pending.insert(intent, (resource, batch.clone()));
            in_flight.push(async move {
                let result = store.carry_out(resource, &batch, read).await;
                (intent, (resource, batch), result)
            });
        }
        if in_flight.is_empty() {
            break;
        }
        let answer = tokio::select! {
            biased;
            answer = in_flight.next() => answer,
            () = interrupt.reached(2) => None,
        };
        let Some((intent, batch, result)) = answer else {
            // Stopped at once: the requests in flight are abandoned; their intents stay open.
            report.abandoned = pending
                .into_values()
                .flat_map(|(resource, ids)| targets(resource, &ids).collect::<Vec<_>>())
                .collect();
            report.abandoned.sort_unstable();
            break;
        };
        pending.remove(&intent);
        let resource = batch.0;
        let next = match result {
            Ok(()) => {
                done += batch.1.len();
                let saved = records.accepted(intent, &batch, view);
                accepted.extend(targets(resource, &batch.1));
                match saved {
                    Ok(Some(serial)) => {
                        report.state_serial = serial;
                        Next::Continue
                    }
                    Ok(None) => Next::Continue,
                    Err(fatal) => {
                        // Accepted but not saved: say so loudly. The intent stays open, so the next
                        // run finds these IDs gone and records them.
                        report.fatal.get_or_insert(fatal.to_string());
                        Next::Stop
                    }
                }
            }
            Err(DeleteError::Unknown { message }) => {
                view.warn(&format!(
                    "the store's answer to the DELETE of {} leaves it unknown whether they were deleted ({message}); they are listed again before anything is recorded",
                    target_list(&targets(resource, &batch.1).collect::<Vec<_>>())
                ));
                done += batch.1.len();
                unknown.push((intent, batch));
                Next::Continue
            }
            Err(error) => {
                // The audit line keeps the HTTP status where the API gave one (PRODUCT §5).
                let status = match &error {
                    DeleteError::Refused { status, .. } => *status,
                    _ => None,
                };
                let (retry, failed, why, stop) = split(resource, &batch.1, error);
                if let Some(why) = &why {
                    view.warn(why);
                }
                let message = why
                    .or_else(|| failed.first().map(|f| f.message.clone()))
                    .unwrap_or_default();
                let mut entry = records
                    .entry(EventKind::BatchFailed)
                    .ids(&batch.1)
                    .intent(intent)
                    .message(&message);
                if let Some(status) = status {
                    entry = entry.status(status);
                }
                records.note(about(entry, resource), view);
                report.failed.extend(failed);
                view.failures(report.failed.len());
                for piece in retry.into_iter().rev() {
                    queue.push_front((resource, piece));
                }
                match stop {
                    Some(why) => {
                        report.fatal.get_or_insert(why);
                        Next::Stop
                    }
                    None => Next::Continue,
                }
            }
        };
        if let Next::Stop = next {
            stopping = true;
        }
        view.progress(done, total);
    }
    match records.flush(view) {
        Ok(Some(serial)) => report.state_serial = serial,
        Ok(None) => {}
        Err(fatal) => {
            report.fatal.get_or_insert(fatal.to_string());
        }
    }
    report.interrupted = interrupt.is_set();
    report.not_attempted.extend(
        queue
            .into_iter()
            .flat_map(|(resource, ids)| targets(resource, &ids).collect::<Vec<_>>()),
    );
    report.not_attempted.sort_unstable();
    view.progress_finished(done, total);

    if !interrupt.is_immediate() {
        verify(
            store,
            &mut records,
            accepted,
            unknown,
            &mut report,
            view,
            interrupt,
        )
        .await;
    } else {
        report.unverified = accepted;
        report.unknown = unknown
            .into_iter()
            .flat_map(|(_, (resource, ids))| targets(resource, &ids).collect::<Vec<_>>())
            .collect();
    }
    report.failed.sort_by_key(|f| (f.resource, f.id));
    report.unknown.sort_unstable();
    // Every count from here on (the audit line, what the CLI prints) is what the state file holds.
    records.settle(&mut report);
    let finished = records.entry(EventKind::ApplyFinished).message(format!(
        "deleted {} (verified {}), failed {}, not attempted {}, outcome unknown {}{}",
        report.deleted_count(),
        report.verified.len(),
        report.failed.len(),
        report.not_attempted.len(),
        report.unknown.len() + report.abandoned.len(),
        if interrupt.is_immediate() {
            ", stopped at once"
        } else if report.interrupted {
            ", interrupted"
        } else {
            ""
        }
    ));
    records.note(finished, view);
    report
}

/// What to do after the API refused a request: (pieces to retry, IDs that failed, a warning, and the
/// reason to stop the run if every later request would fail alike).
fn split(
    resource: Resource,
    batch: &[u32],
    error: DeleteError,
) -> (Vec<Vec<u32>>, Vec<Failure>, Option<String>, Option<String>) {
    let fail_all = |kind: FailureKind, message: &str| {
        batch
            .iter()
            .map(|&id| Failure {
                resource,
                id,
                kind,
                message: message.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let halves = |batch: &[u32]| {
        let (a, b) = batch.split_at(batch.len() / 2);
        vec![a.to_vec(), b.to_vec()]
    };
    match error {
        // Too large for the API: halve it (automatically, so no --batch-size advice is needed).
        DeleteError::TooLarge { message } if batch.len() > 1 => (
            halves(batch),
            Vec::new(),
            Some(format!(
                "the API refused a DELETE of {} IDs as too large ({message}); splitting it in two",
                batch.len()
            )),
            None,
        ),
        // A request for one ID alone is as small as a DELETE gets: the record is what the API will not
        // delete this way. That ID fails with what to do; the other IDs are still tried.
        DeleteError::TooLarge { message } => (
            Vec::new(),
            fail_all(
                FailureKind::Refused,
                &format!(
                    "{message}; too large even alone: no --batch-size can help, the store will not \
                     delete this {resource} record through the API. Delete it in the store's control \
                     panel (or ask BigCommerce support), then run plan again"
                ),
            ),
            None,
            None,
        ),
        DeleteError::Rejected { ids, message } => {
            let in_batch: BTreeSet<u32> = batch.iter().copied().collect();
            let named: BTreeMap<u32, String> = ids
                .into_iter()
                .filter(|(id, _)| in_batch.contains(id))
                .collect();
            if batch.len() == 1 {
                let detail = named.into_values().next().unwrap_or(message);
                return (
                    Vec::new(),
                    fail_all(FailureKind::Rejected, &detail),
                    None,
                    None,
                );
            }
            if named.is_empty() {
                return (
                    halves(batch),
                    Vec::new(),
                    Some(format!(
                        "the API refused a DELETE of {} IDs ({message}); bisecting to find the IDs it refuses",
                        batch.len()
                    )),
                    None,
                );
            }
            // The API named the IDs it refuses: those fail with its message, the rest go again.
            let rest: Vec<u32> = batch
                .iter()
                .copied()
                .filter(|id| !named.contains_key(id))
                .collect();
            let why = format!(
                "the API refused {}s {}; retrying the other {} without them",
                resource,
                id_list(&named.keys().copied().collect::<Vec<_>>()),
                rest.len()
            );
            let failed = named
                .into_iter()
                .map(|(id, message)| Failure {
                    resource,
                    id,
                    kind: FailureKind::Rejected,
                    message,
                })
                .collect();
            let retry = if rest.is_empty() {
                Vec::new()
            } else {
                vec![rest]
            };
            (retry, failed, Some(why), None)
        }
        // Authorization, wrong store: every other batch would fail the same way.
        DeleteError::Refused { message, .. } => (
            Vec::new(),
            fail_all(FailureKind::Refused, &message),
            None,
            Some(message),
        ),
        // Provably not carried out (retries exhausted): this batch fails, others may still go.
        DeleteError::NotDone { message } => (
            Vec::new(),
            fail_all(FailureKind::NotDone, &message),
            None,
            None,
        ),
        // Handled by the caller before it gets here; conservatively, nothing is claimed.
        DeleteError::Unknown { message } => (
            Vec::new(),
            fail_all(FailureKind::NotDone, &message),
            None,
            None,
        ),
    }
}

/// List the IDs the store accepted or may have deleted, and settle each: gone → recorded deleted and
/// verified; still there → failed (an accepted one is taken out of the state again). If the listing
/// fails, accepted IDs stay `verified: false` and unknown ones unrecorded with their intents open.
/// One listing per resource (⌈n/250⌉ GETs each).
async fn verify<S: Store<ListError = ApiError>>(
    store: &S,
    records: &mut Records<'_>,
    accepted: Vec<Target>,
    unknown: Vec<(u64, Batch)>,
    report: &mut Executed,
    view: &dyn View,
    interrupt: &Interrupt,
) {
    let unknown_set: BTreeSet<Target> = unknown
        .iter()
        .flat_map(|(_, (resource, ids))| targets(*resource, ids).collect::<Vec<_>>())
        .collect();
    let mut all: BTreeSet<Target> = accepted.iter().copied().collect();
    all.extend(&unknown_set);
    if all.is_empty() {
        return;
    }
    let of = |resource: Resource| -> Vec<u32> { crate::resource::ids_of(&all, resource) };
    let (customers, subscribers, orders) = (
        of(Resource::Customer),
        of(Resource::Subscriber),
        of(Resource::Order),
    );
    view.verifying(all.len());
    let listed = tokio::select! {
        biased;
        listed = list_all(store, &customers, &subscribers, &orders) => Some(listed),
        () = interrupt.reached(2) => None,
    };
    let live = match listed {
        Some(Ok(live)) => live,
        failed => {
            let message = match failed {
                Some(Err(err)) => {
                    format!("could not list the deleted records again to verify: {err}")
                }
                _ => "stopped at once before the deleted records were listed again".to_string(),
            };
            let entry = records.entry(EventKind::Verify).message(&message).ids(&[]);
            records.note(entry, view);
            report.verify_error = Some(message);
            report.unverified = accepted;
            report.unknown = unknown_set.into_iter().collect();
            return;
        }
    };
    // Not done yet: a deleted record still listed, an order not read back fully redacted.
    let present = |t: &Target| !live.is_done(t.resource, t.id);
    let mut gone: Vec<Target> = Vec::new();
    for target in accepted {
        if present(&target) {
            records.forget(target);
            report.failed.push(Failure {
                resource: target.resource,
                id: target.id,
                kind: FailureKind::StillPresent,
                message: match target.resource.operation() {
                    Operation::Delete => format!(
                        "the API accepted the DELETE but the {} is still listed",
                        target.resource
                    ),
                    Operation::Redact => format!(
                        "the API accepted the redaction but the {} does not read back with every \
                         redacted field equal to its placeholder",
                        target.resource
                    ),
                },
            });
        } else {
            gone.push(target);
        }
    }
    for &target in &unknown_set {
        if present(&target) {
            report.failed.push(Failure {
                resource: target.resource,
                id: target.id,
                kind: FailureKind::NotDone,
                message: format!(
                    "the store's answer was unclear and the {} is still listed: not deleted",
                    target.resource
                ),
            });
        } else {
            gone.push(target);
        }
    }
    gone.sort_unstable();
    for resource in Resource::ALL {
        let ids = crate::resource::ids_of(&gone, resource);
        records.remember(resource, &ids, true);
    }
    // One verify line per resource, so each names its IDs' namespace; written before the save, so the
    // state that records these IDs verified comes after the lines that prove it (PRODUCT §14).
    for resource in Resource::ALL {
        let ids = crate::resource::ids_of(&gone, resource);
        let still: Vec<u32> = report
            .failed
            .iter()
            .filter(|f| f.kind == FailureKind::StillPresent && f.resource == resource)
            .map(|f| f.id)
            .collect();
        if resource != Resource::Customer && ids.is_empty() && still.is_empty() {
            continue;
        }
        let mut entry = records.entry(EventKind::Verify).ids(&ids);
        if !still.is_empty() {
            entry = entry.message(format!(
                "still present after the API accepted: {}",
                id_list(&still)
            ));
        }
        records.note(about(entry, resource), view);
    }
    let saved = match records.save(view) {
        Ok(serial) => {
            report.state_serial = serial;
            true
        }
        Err(err) => {
            report.fatal.get_or_insert(err.to_string());
            false
        }
    };
    // The unknown outcomes are settled now that the state records them: close their intents. If the
    // state could not be saved they stay open, so the next run lists them again and records them.
    for (intent, (resource, ids)) in unknown.iter().filter(|_| saved) {
        let settled: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&id| live.is_done(*resource, id))
            .collect();
        let entry = records
            .entry(EventKind::Reconciled)
            .ids(&settled)
            .intent(*intent)
            .message(format!(
                "outcome of the DELETE was unknown; listed again: {} of {} gone and recorded as deleted",
                settled.len(),
                ids.len()
            ));
        records.note(about(entry, *resource), view);
    }
    report.verified = gone;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(ids: &[(u32, &str)]) -> DeleteError {
        DeleteError::Rejected {
            ids: ids.iter().map(|(id, m)| (*id, m.to_string())).collect(),
            message: "HTTP 422 \"Bulk operation has failed\"".into(),
        }
    }

    #[test]
    fn too_large_batches_are_halved_and_a_single_id_fails_alone() {
        let (retry, failed, why, stop) = split(
            Resource::Customer,
            &[1, 2, 3, 4, 5],
            DeleteError::TooLarge {
                message: "413".into(),
            },
        );
        assert_eq!(retry, vec![vec![1, 2], vec![3, 4, 5]]);
        assert!(failed.is_empty() && why.is_some() && stop.is_none());
        let (retry, failed, _, stop) = split(
            Resource::Subscriber,
            &[9],
            DeleteError::TooLarge {
                message: "413".into(),
            },
        );
        // One ID alone: the record is the problem, not the batch; the run goes on.
        assert!(retry.is_empty() && failed.len() == 1 && stop.is_none());
        assert!(
            failed[0]
                .message
                .contains("too large even alone: no --batch-size can help, the store will not delete this subscriber record"),
            "{}",
            failed[0].message
        );
    }

    #[test]
    fn a_rejection_naming_ids_fails_those_and_retries_the_rest_once() {
        let (retry, failed, _, stop) = split(
            Resource::Customer,
            &[1, 2, 3, 4],
            rejected(&[
                (3, "HTTP 422: Unauthorized to delete"),
                (77, "not in batch"),
            ]),
        );
        assert_eq!(retry, vec![vec![1, 2, 4]]);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id, 3);
        assert_eq!(failed[0].kind, FailureKind::Rejected);
        assert_eq!(failed[0].message, "HTTP 422: Unauthorized to delete");
        assert!(stop.is_none());
    }

    #[test]
    fn a_rejection_naming_nothing_bisects_until_single_ids_fail() {
        let (retry, failed, _, _) = split(Resource::Customer, &[1, 2, 3], rejected(&[]));
        assert_eq!(retry, vec![vec![1], vec![2, 3]]);
        assert!(failed.is_empty());
        let (retry, failed, _, _) = split(Resource::Customer, &[2], rejected(&[]));
        assert!(retry.is_empty());
        assert_eq!(failed.len(), 1);
        assert!(failed[0].message.contains("422"), "{}", failed[0].message);
    }

    #[test]
    fn refusals_stop_the_run_and_not_done_does_not() {
        let (_, failed, _, stop) = split(
            Resource::Customer,
            &[1, 2],
            DeleteError::Refused {
                status: Some(403),
                message: "HTTP 403".into(),
            },
        );
        assert!(failed.len() == 2 && stop.is_some());
        let (_, failed, _, stop) = split(
            Resource::Customer,
            &[1, 2],
            DeleteError::NotDone {
                message: "connection refused".into(),
            },
        );
        assert!(failed.len() == 2 && stop.is_none());
        assert!(failed.iter().all(|f| f.kind == FailureKind::NotDone));
    }
}
