//! What apply keeps of an erased customer's orders (PRODUCT §15): every order found of an
//! `orders: redact` customer is recorded with its retained-until date — in the audit log (an
//! `orders_recorded` line) and the state — **before** any request of the run, so the customer's
//! deletion, which may sever the order's link, never loses it; later runs read those orders by ID.
//! A state's order records are used only as the log records them (§14: an edited customer or date
//! is replaced by the log's record, an order added by hand dropped, both named).

use std::path::Path;

use crate::Resource;
use crate::audit::{AuditEntry, AuditLog, EventKind, about};
use crate::plan::Plan;
use crate::state::State;

use super::found::FoundAbsentError;

/// Drop the state's order records the audit log at `audit_path` does not record (same customer and
/// retained-until date); the warning names them.
pub fn drop_unproven_orders(
    state: &mut State,
    audit_path: &Path,
    store_hash: &str,
) -> Option<String> {
    if state.orders.is_empty() {
        return None;
    }
    let proof = crate::evidence::prove(audit_path, state.audit_head.as_ref(), store_hash).ok();
    let logged = proof.map(|p| p.orders().clone()).unwrap_or_default();
    let mut dropped = Vec::new();
    let mut kept = std::collections::BTreeSet::new();
    state.orders.retain(|o| {
        let keep = logged.get(&o.id) == Some(&(o.customer_id, o.retained_until));
        if keep {
            kept.insert(o.id);
        } else {
            dropped.push(o.id);
        }
        keep
    });
    // What the log records and the state lost or changed is restored from the log.
    let restored: Vec<(u32, u32, jiff::civil::Date)> = logged
        .iter()
        .filter(|(id, _)| !kept.contains(id))
        .map(|(&id, &(customer, until))| (id, customer, until))
        .collect();
    state.record_orders(
        &restored,
        jiff::Timestamp::now(),
        "restored from the audit log",
    );
    (!dropped.is_empty()).then(|| {
        format!(
            "the state records orders {} that the audit log does not record as found (or with \
             another customer or retained-until date): the log's record is used, or none; the state \
             was edited outside bcprune",
            crate::resource::id_list(&dropped)
        )
    })
}

/// The plan's orders found of a customer that the state does not record yet: (order, customer,
/// retained until).
pub fn found_orders(plan: &Plan, state: &State) -> Vec<(u32, u32, jiff::civil::Date)> {
    plan.changes
        .iter()
        .filter(|c| c.resource == Resource::Order)
        .filter_map(|c| Some((c.id, c.customer_id?, c.retained_until?)))
        .filter(|(id, _, _)| state.orders.binary_search_by_key(id, |o| o.id).is_err())
        .collect()
}

/// Record the plan's orders found of a customer (not recorded yet): one `orders_recorded` line, then
/// the state saved with them. Returns how many were added.
pub fn record_found_orders(
    audit: &mut AuditLog,
    state: &mut State,
    plan: &Plan,
    run_id: &str,
    state_path: &Path,
) -> Result<usize, FoundAbsentError> {
    let found = found_orders(plan, state);
    if found.is_empty() {
        return Ok(0);
    }
    let ids: Vec<u32> = found.iter().map(|f| f.0).collect();
    let customers: Vec<u32> = found.iter().map(|f| f.1).collect();
    let dates: Vec<String> = found.iter().map(|f| f.2.to_string()).collect();
    let entry = AuditEntry::new(run_id, EventKind::OrdersRecorded)
        .ids(&ids)
        .field("customer_ids", customers)
        .field("retained_until", dates)
        .message(
            "orders of erased customers, kept for the law until the date given, then redacted",
        );
    audit
        .append(about(entry, Resource::Order))
        .map_err(FoundAbsentError::Audit)?;
    let added = state.record_orders(&found, jiff::Timestamp::now(), run_id);
    crate::evidence::save_state(audit, state, state_path, run_id).map_err(|error| match error {
        crate::evidence::SaveError::State(error) => FoundAbsentError::State(error),
        crate::evidence::SaveError::Audit(error) => FoundAbsentError::Audit(error),
    })?;
    Ok(added.len())
}
