//! What apply keeps of an erased customer's orders (PRODUCT §15): every order found of an
//! `orders: redact` customer, and every guest's order of `redact_orders`, is recorded with its
//! retained-until date — in the audit log (an `orders_recorded` line; a guest's with customer
//! [`crate::evidence::GUEST`]) and the state — **before** any request of the run, so the customer's
//! deletion, which may sever the order's link, never loses it, and a retained order is reported
//! with the date the log fixed; later runs read those orders by ID.
//! A state's order records are used only as the log records them (§14: an edited customer or date
//! is replaced by the log's record, an order added by hand dropped, both named).

use std::path::Path;

use crate::Resource;
use crate::audit::{AuditEntry, AuditLog, EventKind, about};
use crate::plan::Plan;
use crate::state::State;

use super::FoundAbsentError;

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

/// The plan's orders with a retained-until date that the state does not record yet, a customer's or a
/// guest's: (order, customer or [`crate::evidence::GUEST`], retained until).
pub fn found_orders(plan: &Plan, state: &State) -> Vec<(u32, u32, jiff::civil::Date)> {
    plan.changes
        .iter()
        .filter(|c| c.resource == Resource::Order)
        .filter_map(|c| {
            let customer = c.customer_id.unwrap_or(crate::evidence::GUEST);
            Some((c.id, customer, c.retained_until?))
        })
        .filter(|(id, _, _)| state.orders.binary_search_by_key(id, |o| o.id).is_err())
        .collect()
}

/// The `orders_recorded` line of these orders: (order, customer or guest, retained until).
pub fn recorded_line(run_id: &str, found: &[(u32, u32, jiff::civil::Date)]) -> AuditEntry {
    let ids: Vec<u32> = found.iter().map(|f| f.0).collect();
    let customers: Vec<u32> = found.iter().map(|f| f.1).collect();
    let dates: Vec<String> = found.iter().map(|f| f.2.to_string()).collect();
    let entry = AuditEntry::new(run_id, EventKind::OrdersRecorded)
        .ids(&ids)
        .field("customer_ids", customers)
        .field("retained_until", dates)
        .message(
            "orders of erased customers and guests, kept for the law until the date given, then redacted",
        );
    about(entry, Resource::Order)
}

/// Record the plan's orders found (not recorded yet), a guest's with customer [`crate::evidence::GUEST`]: one `orders_recorded` line, then
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
    audit
        .append(recorded_line(run_id, &found))
        .map_err(FoundAbsentError::Audit)?;
    let added = state.record_orders(&found, jiff::Timestamp::now(), run_id);
    crate::evidence::save_state(audit, state, state_path, run_id).map_err(|error| match error {
        crate::evidence::SaveError::State(error) => FoundAbsentError::State(error),
        crate::evidence::SaveError::Audit(error) => FoundAbsentError::Audit(error),
    })?;
    Ok(added.len())
}
