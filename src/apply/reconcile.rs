//! Settling what earlier runs left open, before anything is planned: intents without an outcome (a
//! crash, a kill, a stop at once, or a DELETE whose answer left its outcome unknown and could not be
//! listed again) and deletions recorded `verified: false`. One listing for all of it, and the state
//! ends up recording exactly what the store did.

use std::collections::{BTreeMap, BTreeSet};

use super::execute::about;
use super::store::Store;
use super::{Options, Target, target_list};
use crate::Resource;
use crate::api::ApiError;
use crate::audit::{AuditEntry, AuditLog, EventKind, Intent};
use crate::plan::scope::list_all;
use crate::state::State;

/// What [`reconcile`] settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// IDs of open intents that are gone now: recorded as deleted by the run that sent them.
    pub recorded: Vec<Target>,
    /// IDs recorded `verified: false` that a listing now confirms gone.
    pub confirmed: Vec<Target>,
    /// IDs recorded `verified: false` that still exist: taken out of the state (the next plan deletes them).
    pub still_present: Vec<Target>,
}

impl Reconciled {
    /// True when there was nothing to settle.
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty() && self.confirmed.is_empty() && self.still_present.is_empty()
    }
}

/// Settle what earlier runs left open before planning, so the state lists every deletion and claims
/// none that did not happen: open intents whose IDs are gone now are recorded as deleted by the run that
/// sent them, and unverified records are checked, customers and subscribers alike (an intent names its
/// resource). One listing per resource (⌈k/250⌉ GETs each) for all of it; nothing is sent when nothing
/// is open.
pub async fn reconcile<S: Store<ListError = ApiError>>(
    store: &S,
    intents: &[Intent],
    reasons: &BTreeMap<Target, Option<String>>,
    options: &Options,
    audit: &mut AuditLog,
    state: &mut State,
) -> Result<Reconciled, ReconcileError> {
    let unverified: Vec<Target> = Resource::ALL
        .into_iter()
        .flat_map(|resource| {
            state
                .unverified(resource)
                .into_iter()
                .map(move |id| Target { resource, id })
        })
        .collect();
    let mut all: BTreeSet<Target> = unverified.iter().copied().collect();
    all.extend(intents.iter().flat_map(|i| {
        i.ids.iter().map(|&id| Target {
            resource: i.resource,
            id,
        })
    }));
    let mut done = Reconciled::default();
    if all.is_empty() {
        return Ok(done);
    }
    let of = |resource: Resource| -> Vec<u32> { crate::resource::ids_of(&all, resource) };
    let live = list_all(
        store,
        &of(Resource::Customer),
        &of(Resource::Subscriber),
        &of(Resource::Order),
    )
    .await
    .map_err(ReconcileError::List)?;
    let now = jiff::Timestamp::now();
    // The audit lines that close the intents are written only after the state that records their IDs
    // is saved: a crash in between leaves the intents open, and the next run settles them again.
    let mut lines = Vec::new();
    for intent in intents {
        let resource = intent.resource;
        // The intent's time is the best known time of its DELETE.
        let gone: Vec<u32> = intent
            .ids
            .iter()
            .copied()
            .filter(|&id| live.is_done(resource, id))
            .collect();
        for &id in &gone {
            if state.deleted_record_as(resource, id).is_none() {
                let target = Target { resource, id };
                let reason = reasons.get(&target).cloned().flatten();
                state.record_deleted_as(resource, id, intent.ts, &intent.run_id, reason, true);
                done.recorded.push(target);
            }
        }
        lines.push(about(
            AuditEntry::new(&options.run_id, EventKind::Reconciled)
                .ids(&gone)
                .intent(intent.seq)
                .message(format!(
                    "open intent of run {}: {} of {} IDs are gone and recorded as deleted by that run",
                    intent.run_id,
                    gone.len(),
                    intent.ids.len()
                )),
            resource,
        ));
    }
    for target in unverified {
        if !live.is_done(target.resource, target.id) {
            state.forget_as(target.resource, target.id);
            done.still_present.push(target);
        } else {
            let reason = reasons.get(&target).cloned().flatten();
            state.record_deleted_as(
                target.resource,
                target.id,
                now,
                &options.run_id,
                reason,
                true,
            );
            done.confirmed.push(target);
        }
    }
    for resource in Resource::ALL {
        let ids = |list: &[Target]| -> Vec<Target> {
            list.iter()
                .copied()
                .filter(|t| t.resource == resource)
                .collect()
        };
        let (confirmed, still) = (ids(&done.confirmed), ids(&done.still_present));
        if confirmed.is_empty() && still.is_empty() {
            continue;
        }
        let confirmed_ids: Vec<u32> = confirmed.iter().map(|t| t.id).collect();
        lines.push(about(
            AuditEntry::new(&options.run_id, EventKind::Reconciled)
                .ids(&confirmed_ids)
                .message(format!(
                    "unverified deletions re-checked: {} confirmed gone, {} still present ({})",
                    confirmed.len(),
                    still.len(),
                    target_list(&still)
                )),
            resource,
        ));
    }
    // PRODUCT §14: what the listing showed is in the log before the state that relies on it: the IDs
    // now recorded as verified deletions (a `verify` line per resource), and recorded IDs found
    // present again (`reappeared`).
    for resource in Resource::ALL {
        let gone: Vec<u32> = done
            .recorded
            .iter()
            .chain(&done.confirmed)
            .filter(|t| t.resource == resource)
            .map(|t| t.id)
            .collect();
        if gone.is_empty() {
            continue;
        }
        let entry = AuditEntry::new(&options.run_id, EventKind::Verify)
            .ids(&gone)
            .message("reconcile: listed again and gone; recorded as deleted");
        audit
            .append(about(entry, resource))
            .map_err(ReconcileError::Audit)?;
    }
    // Found present again: a deleted record listed, or a redacted order no longer redacted.
    let present: Vec<(Resource, u32)> = all
        .iter()
        .filter(|t| !live.is_done(t.resource, t.id))
        .map(|t| (t.resource, t.id))
        .collect();
    crate::evidence::mark_reappeared(audit, state, &present, &options.run_id)
        .map_err(ReconcileError::Audit)?;
    match crate::evidence::save_state(audit, state, &options.state_path, &options.run_id) {
        Ok(()) => {}
        Err(crate::evidence::SaveError::State(error)) => return Err(ReconcileError::State(error)),
        Err(crate::evidence::SaveError::Audit(error)) => return Err(ReconcileError::Audit(error)),
    }
    for line in lines {
        audit.append(line).map_err(ReconcileError::Audit)?;
    }
    Ok(done)
}

/// Why [`reconcile`] could not settle an earlier run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("could not list the records an earlier run left unsettled: {0}")]
    List(ApiError),
    #[error("could not write the audit log: {0}")]
    Audit(crate::audit::AuditError),
    #[error("could not save the state file: {0}")]
    State(crate::state::StateError),
}
