//! What an apply found already absent (PRODUCT.md §9): the manifest IDs it listed and found gone are
//! recorded in the state's `absent` (so `report` can say "absent" rather than "pending", and `plan` need
//! not list them again, §11) and in one `found_absent` audit line, so the claim is in the tamper-evident
//! record too. The state is saved at once (with the audit head): the record does not depend on how the
//! deletions that follow go, and it claims no deletion.
//!
//! An apply with nothing to delete that found something absent not yet recorded still writes: its own
//! `apply_started`, `found_absent` and `apply_finished` lines, then the state (whose head then covers the
//! whole run). One that found nothing new writes nothing, so re-running a finished apply changes no file.

use std::path::Path;

use jiff::Timestamp;

use super::FoundAbsentError;
use crate::Resource;
use crate::audit::{AuditEntry, AuditLog, EventKind};
use crate::plan::{Action, Plan};
use crate::resource::Target;
use crate::state::State;

/// The IDs `plan` lists as absent because they were listed and not found (not those the state already
/// records, `recorded`), and the planned records that `vanished` since a saved plan.
pub fn found_absent(plan: &Plan, vanished: &[Target]) -> Vec<(Resource, u32)> {
    plan.changes
        .iter()
        // An order is never "found absent": it is settled only by a verified redaction.
        .filter(|change| {
            change.action == Action::Absent
                && !change.recorded
                && change.resource != Resource::Order
        })
        .map(|change| (change.resource, change.id))
        .chain(
            vanished
                .iter()
                .filter(|target| target.resource != Resource::Order)
                .map(|target| (target.resource, target.id)),
        )
        .collect()
}

/// Record `found` in `state` and, when any is new, write one `found_absent` line and save the state
/// (with the head). Returns how many were new.
pub fn record_found_absent(
    audit: &mut AuditLog,
    state: &mut State,
    found: &[(Resource, u32)],
    run_id: &str,
    state_path: &Path,
) -> Result<usize, FoundAbsentError> {
    let added = state.record_found_absent(found, now(), run_id);
    if added.is_empty() {
        return Ok(0);
    }
    audit
        .append(line(run_id, &added))
        .map_err(FoundAbsentError::Audit)?;
    save(audit, state, state_path, run_id)?;
    Ok(added.len())
}

/// For an apply with nothing to delete: when `found` holds IDs not yet recorded, or `orders` orders
/// ([`super::orders::found_orders`]: a retained order, a guest's too, PRODUCT §15), write
/// `apply_started`, `found_absent` and/or `orders_recorded`, and `apply_finished`, then save the state
/// (its head covers the whole run). Returns how many were new; nothing is written when none is.
pub fn record_no_delete_apply(
    audit: &mut AuditLog,
    state: &mut State,
    found: &[(Resource, u32)],
    orders: &[(u32, u32, jiff::civil::Date)],
    run: (&str, &str, &str),
    state_path: &Path,
) -> Result<usize, FoundAbsentError> {
    let (run_id, store_hash, manifest_sha256) = run;
    let added = state.record_found_absent(found, now(), run_id);
    let orders = state.record_orders(orders, now(), run_id);
    if added.is_empty() && orders.is_empty() {
        return Ok(0);
    }
    state.set_manifest_sha256(manifest_sha256);
    let started = AuditEntry::new(run_id, EventKind::ApplyStarted).message(format!(
        "store {store_hash}: 0 to delete, {} already absent; planned at apply",
        found.len()
    ));
    let finished = AuditEntry::new(run_id, EventKind::ApplyFinished).message(format!(
        "deleted 0 (verified 0), failed 0, not attempted 0, outcome unknown 0; {} found absent and \
         recorded",
        added.len()
    ));
    let mut entries = vec![started];
    if !added.is_empty() {
        entries.push(line(run_id, &added));
    }
    if !orders.is_empty() {
        entries.push(super::orders::recorded_line(run_id, &orders));
    }
    entries.push(finished);
    for entry in entries {
        audit.append(entry).map_err(FoundAbsentError::Audit)?;
    }
    save(audit, state, state_path, run_id)?;
    Ok(added.len() + orders.len())
}

/// The `found_absent` line: customer IDs in `ids`, subscriber IDs in `subscriber_ids`.
fn line(run_id: &str, added: &[(Resource, u32)]) -> AuditEntry {
    let of = |resource: Resource| -> Vec<u32> {
        added
            .iter()
            .filter(|(r, _)| *r == resource)
            .map(|(_, id)| *id)
            .collect()
    };
    let subscribers = of(Resource::Subscriber);
    let mut entry = AuditEntry::new(run_id, EventKind::FoundAbsent)
        .ids(&of(Resource::Customer))
        .message("listed and found already gone: nothing to delete; recorded in the state");
    if !subscribers.is_empty() {
        entry = entry.field("subscriber_ids", subscribers);
    }
    entry
}

/// Save the state as every apply does ([`crate::evidence::save_state`]).
fn save(
    audit: &mut AuditLog,
    state: &mut State,
    path: &Path,
    run_id: &str,
) -> Result<(), FoundAbsentError> {
    crate::evidence::save_state(audit, state, path, run_id).map_err(|error| match error {
        crate::evidence::SaveError::State(error) => FoundAbsentError::State(error),
        crate::evidence::SaveError::Audit(error) => FoundAbsentError::Audit(error),
    })
}

fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}
