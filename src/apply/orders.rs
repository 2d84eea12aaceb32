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

/// Make the state's order records the ones the audit log records ([`crate::evidence::check`]'s
/// `settled.orders`): a record the log does not match is dropped (the log's, if any, takes its
/// place), one the log has and the state lacks is restored. The warning names both.
pub fn use_logged_orders(state: &mut State, checked: &crate::evidence::Checked) -> Option<String> {
    let message = crate::evidence::orders_message(checked)?;
    let logged = &checked.settled.orders;
    state
        .orders
        .retain(|o| logged.get(&o.id) == Some(&(o.customer_id, o.retained_until)));
    let restored: Vec<(u32, u32, jiff::civil::Date)> = logged
        .iter()
        .map(|(&id, &(customer, until))| (id, customer, until))
        .collect();
    state.record_orders(
        &restored,
        jiff::Timestamp::now(),
        "restored from the audit log",
    );
    Some(message)
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
