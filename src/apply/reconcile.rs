//! Settling what earlier runs left open, before anything is planned: intents without an outcome (a
//! crash, a kill, a stop at once, or a DELETE whose answer left its outcome unknown and could not be
//! listed again) and deletions recorded `verified: false`. One listing for all of it, and the state
//! ends up recording exactly what the store did.

use std::collections::{BTreeMap, BTreeSet};

use super::store::Store;
use super::{Options, id_list};
use crate::api::ApiError;
use crate::audit::{AuditEntry, AuditLog, EventKind, Intent};
use crate::state::State;
use crate::{CustomerId, Resource};

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
pub async fn reconcile<S: Store>(
    store: &S,
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
    let live = store
        .list(Resource::Customer, &ids)
        .await
        .map_err(ReconcileError::List)?;
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
    state.audit_head = Some(audit.head()); // PRODUCT §10: the head at every save
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
