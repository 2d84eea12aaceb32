//! What applying a plan costs, said before anyone approves it (PRODUCT §17): the requests `apply` would
//! send and how long they take at the store's rate-limit quota.
//!
//! Pure arithmetic over the plan, counted as `apply` sends (ARCHITECTURE.md, Apply): the listing again
//! (a fresh apply lists what the plan listed; `apply --plan` re-checks the plan's non-recorded changes —
//! the same IDs), one DELETE per batch of customers (⌈N/batch⌉) and one per subscriber, and the
//! verification listing of everything deleted (⌈M/250⌉ per resource); for each order redacted
//! (PRODUCT §15) what [`crate::store::redaction_requests`] counts — the one count the client sends
//! by: its PUT, one PUT per shipping address, the two verifying GETs, and a GET of its shipping
//! addresses unless the listing read the order by ID (after listing, at the prompt, that is not
//! known, and the GET is counted). The orders a
//! fresh apply lists are what the plan's [`Scope`] listed: two GETs for each order read by ID (guests'
//! orders and the orders the state records, the order and its shipping addresses), and for each
//! customer whose orders are discovered one GET per page of the orders found and the empty page that
//! ends the walk. Retries, reconciliation of an earlier run and pages beyond the first cannot be known
//! in advance, hence "about"; `apply --plan` reads each order by ID instead of discovering.

use serde::{Deserialize, Serialize};

use super::scope::Scope;
use super::{Action, Plan};
use crate::Resource;

/// IDs per listing request (`id:in` of at most 250, `limit=250`).
const PER_LISTING: usize = 250;

/// Orders per page of a V2 discovery listing (`limit=250`).
const PER_ORDER_PAGE: usize = 250;

/// GETs that read one order by ID: the order and its shipping addresses.
pub const ORDER_READ_REQUESTS: usize = 2;

/// The quota assumed when the store's rate-limit headers were not seen: BigCommerce's smallest plan.
pub const DEFAULT_QUOTA: Quota = Quota {
    requests: 150,
    window_ms: 30_000,
};

/// A rate-limit quota: `requests` per `window_ms` (`X-Rate-Limit-Requests-Quota`, `-Time-Window-Ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Quota {
    /// Requests allowed per window.
    pub requests: u64,
    /// The window, in milliseconds.
    pub window_ms: u64,
}

/// What `apply` of a plan would send, and how long that takes at the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cost {
    /// Requests apply would send: listing again, DELETEs, verification listings.
    pub requests: u64,
    /// Seconds those requests take at the quota (requests × window ÷ quota, rounded up).
    pub seconds: u64,
    /// The quota the time is computed at: from the store's headers when plan saw them, else 150 per 30 s.
    pub quota: Quota,
    /// Whether `quota` came from the store's rate-limit headers (false: the default was assumed).
    pub quota_from_store: bool,
}

impl Cost {
    /// `Apply: about 14 requests, 3 s at 150 per 30 s.`
    pub fn line(&self) -> String {
        if self.requests == 0 {
            return "Apply: no requests (nothing to list again or delete).".to_string();
        }
        self.line_as("Apply")
    }

    /// `{label}: about 14 requests, 3 s at 150 per 30 s.`
    pub fn line_as(&self, label: &str) -> String {
        format!(
            "{label}: about {} request{}, {} at {} per {}{}.",
            self.requests,
            crate::text::plural(
                usize::try_from(self.requests).unwrap_or(usize::MAX),
                "",
                "s"
            ),
            duration(self.seconds),
            self.quota.requests,
            duration(self.quota.window_ms.div_ceil(1000)),
            if self.quota_from_store {
                ""
            } else {
                " (assumed: the store sent no rate-limit headers)"
            }
        )
    }
}

/// `3 s`, `2 min 5 s`, `1 h 4 min`.
fn duration(seconds: u64) -> String {
    match seconds {
        0 => "under 1 s".to_string(),
        1..60 => format!("{seconds} s"),
        60..3600 if seconds.is_multiple_of(60) => format!("{} min", seconds / 60),
        60..3600 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// The cost of applying `plan` (made by listing `scope`) with `batch_size` customers per DELETE, at
/// `quota` (`None`: the store sent no rate-limit headers, so [`DEFAULT_QUOTA`]).
pub fn estimate(plan: &Plan, scope: &Scope, batch_size: usize, quota: Option<Quota>) -> Cost {
    cost(plan, Some(scope), batch_size, quota)
}

/// What is left once apply has listed: the DELETEs and the verification listings (shown at the
/// approval prompt).
pub fn after_listing(plan: &Plan, batch_size: usize, quota: Option<Quota>) -> Cost {
    cost(plan, None, batch_size, quota)
}

/// The GETs a fresh apply sends to list the orders of `scope`, given the plan's order rows: each order
/// read by ID, and each discovered customer's pages (the orders found of it, then the empty page).
fn order_listing(plan: &Plan, scope: &Scope) -> usize {
    let by_id = scope.orders.len() * ORDER_READ_REQUESTS;
    let discovered: usize = scope
        .discover
        .iter()
        .map(|&customer| {
            let found = plan
                .changes
                .iter()
                .filter(|c| c.resource == Resource::Order && c.customer_id == Some(customer))
                .filter(|c| !scope.orders.contains(&c.id))
                .count();
            // A short page is not trusted to be the last: the walk ends at an empty page.
            found.div_ceil(PER_ORDER_PAGE) + 1
        })
        .sum();
    by_id + discovered
}

fn cost(plan: &Plan, scope: Option<&Scope>, batch_size: usize, quota: Option<Quota>) -> Cost {
    let listing = scope.is_some();
    let batch_size = batch_size.max(1);
    let mut requests = 0usize;
    for resource in Resource::ALL {
        let of = || plan.changes.iter().filter(move |c| c.resource == resource);
        let listed = if listing {
            of().filter(|c| !c.recorded).count()
        } else {
            0
        };
        let deleted = of().filter(|c| c.action == Action::Delete).count();
        let requests_for = match resource {
            Resource::Customer => deleted.div_ceil(batch_size) + deleted.div_ceil(PER_LISTING),
            Resource::Subscriber => deleted + deleted.div_ceil(PER_LISTING),
            // Each order redacted, as the client sends it (`store::redaction_requests`): its PUT, one
            // PUT per shipping address, both read again to verify, and a GET of its shipping
            // addresses first unless this apply's listing read the order by ID (with them).
            Resource::Order => of()
                .filter(|c| c.action == Action::Redact)
                .map(|c| {
                    let read_by_id = scope.is_some_and(|s| s.orders.contains(&c.id));
                    crate::store::redaction_requests(c.shipping_addresses, read_by_id)
                })
                .sum(),
        };
        let listed = match (resource, scope) {
            (Resource::Order, Some(scope)) => order_listing(plan, scope),
            _ => listed.div_ceil(PER_LISTING),
        };
        requests += listed + requests_for;
    }
    let requests = u64::try_from(requests).unwrap_or(u64::MAX);
    let (quota, quota_from_store) = match quota {
        Some(quota) if quota.requests > 0 && quota.window_ms > 0 => (quota, true),
        _ => (DEFAULT_QUOTA, false),
    };
    let ms = u128::from(requests) * u128::from(quota.window_ms) / u128::from(quota.requests);
    Cost {
        requests,
        seconds: u64::try_from(ms.div_ceil(1000)).unwrap_or(u64::MAX),
        quota,
        quota_from_store,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Change;

    fn change(resource: Resource, id: u32, action: Action, recorded: bool) -> Change {
        Change {
            resource,
            id,
            action,
            recorded,
            reappeared: false,
            received: None,
            due: None,
            reason: None,
            email_masked: None,
            name_masked: None,
            date_modified: (action == Action::Delete).then(|| "2026-01-01T00:00:00Z".into()),
            retained_until: None,
            customer_id: None,
            basis: None,
            shipping_addresses: 0,
        }
    }

    #[test]
    fn counts_listing_batches_one_delete_per_subscriber_and_verification() {
        let mut changes = Vec::new();
        for id in 1..=600 {
            changes.push(change(Resource::Customer, id, Action::Delete, false));
        }
        for id in 1..=3 {
            changes.push(change(Resource::Subscriber, id, Action::Delete, false));
        }
        for id in 1000..1010 {
            changes.push(change(Resource::Customer, id, Action::Absent, true));
        }
        let plan = Plan { changes };
        let cost = estimate(&plan, &Scope::default(), 250, None);
        // Customers: 3 listing + 3 DELETE + 3 verify; subscribers: 1 + 3 + 1; recorded: nothing.
        assert_eq!(cost.requests, 14);
        assert_eq!(cost.seconds, 3);
        assert_eq!(
            cost.line(),
            "Apply: about 14 requests, 3 s at 150 per 30 s (assumed: the store sent no rate-limit headers)."
        );
        let quota = Quota {
            requests: 450,
            window_ms: 30_000,
        };
        assert_eq!(
            estimate(&plan, &Scope::default(), 100, Some(quota)).line(),
            "Apply: about 17 requests, 2 s at 450 per 30 s."
        );
    }

    #[test]
    fn after_listing_counts_deletes_and_verification_only() {
        let plan = Plan {
            changes: (1..=300)
                .map(|id| change(Resource::Customer, id, Action::Delete, false))
                .collect(),
        };
        assert_eq!(estimate(&plan, &Scope::default(), 250, None).requests, 6);
        assert_eq!(after_listing(&plan, 250, None).requests, 4);
    }

    #[test]
    fn durations_read_in_minutes_and_hours() {
        assert_eq!(duration(0), "under 1 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(120), "2 min");
        assert_eq!(duration(125), "2 min 5 s");
        assert_eq!(duration(3840), "1 h 4 min");
    }
}
