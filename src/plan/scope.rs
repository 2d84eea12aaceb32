//! What `plan` and `apply` list, and the one function that lists it: every resource through the
//! [`Store`] seam, skipping the IDs the state records as settled unless asked to refresh everything
//! (PRODUCT §11), so `plan`, `apply` and the benchmark cannot disagree about what was asked; and the
//! orders to discover (PRODUCT §15: those of every `orders: redact` customer not settled).

use crate::Resource;
use crate::live::Live;
use crate::manifest::Manifest;
use crate::plan::Change;
use crate::state::Settled;
use crate::store::Store;

/// The IDs to list, per resource, and how many manifest IDs were not listed again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub customers: Vec<u32>,
    pub subscribers: Vec<u32>,
    /// Orders read by ID: guests' `redact_orders` (and a saved plan's orders).
    pub orders: Vec<u32>,
    /// Customers whose orders are discovered (`orders: redact`, not settled).
    pub discover: Vec<u32>,
    /// Manifest IDs the state records as settled (deleted and verified, or found absent): not listed.
    pub not_listed: usize,
}

impl Scope {
    /// Every manifest ID, except (unless `refresh_all`) those the state `settled` records as settled.
    /// IDs are never reused, so a settled ID can only be found absent again; an unverified record is
    /// not settled and is listed again.
    pub fn of_manifest(manifest: &Manifest, settled: Option<&Settled>, refresh_all: bool) -> Scope {
        let mut scope = Scope::default();
        for (resource, entry) in manifest.entries() {
            let settled = settled.is_some_and(|s| s.contains(resource, entry.id));
            if settled && !refresh_all {
                scope.not_listed += 1;
            } else {
                scope.push(resource, entry.id);
                if resource == Resource::Customer
                    && manifest.orders.redact_customers.contains(&entry.id)
                {
                    scope.discover.push(entry.id);
                }
            }
        }
        for entry in &manifest.orders.redact_orders {
            if settled.is_some_and(|s| s.contains(Resource::Order, entry.id)) && !refresh_all {
                scope.not_listed += 1;
            } else {
                scope.orders.push(entry.id);
            }
        }
        // Orders the state records as found of a customer (PRODUCT §15): read by ID, since the
        // customer's deletion may have severed their link, unless the order's redaction is settled;
        // also when the customer is discovered again (its deletion not proven, say): discovery
        // would not find an order whose link is gone.
        if let Some(settled) = settled {
            for (&id, &(customer, _)) in &settled.orders {
                let done = settled.contains(Resource::Order, id) && !refresh_all;
                if manifest.orders.redact_customers.contains(&customer)
                    && !done
                    && !scope.orders.contains(&id)
                {
                    scope.orders.push(id);
                }
            }
        }
        scope
    }

    /// The IDs a saved plan needs listed to re-check it: every change except those it marked
    /// `recorded` (they were not listed when planned, and the unchanged state still settles them).
    pub fn of_saved(changes: &[Change]) -> Scope {
        let mut scope = Scope::default();
        for change in changes {
            if change.recorded {
                scope.not_listed += 1;
            } else {
                scope.push(change.resource, change.id);
            }
        }
        scope
    }

    fn push(&mut self, resource: Resource, id: u32) {
        match resource {
            Resource::Customer => self.customers.push(id),
            Resource::Subscriber => self.subscribers.push(id),
            Resource::Order => self.orders.push(id),
        }
    }

    /// Whether nothing is to be listed.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
            && self.subscribers.is_empty()
            && self.orders.is_empty()
            && self.discover.is_empty()
    }

    /// List this scope ([`list_all`]) and discover the orders of its `discover` customers, at once.
    pub async fn list<S: Store>(&self, store: &S) -> Result<Live, S::ListError> {
        let listed = list_all(store, &self.customers, &self.subscribers, &self.orders);
        let discovered = async {
            if self.discover.is_empty() {
                Ok(Live::default())
            } else {
                store.orders_of(&self.discover).await
            }
        };
        let (listed, discovered) = futures_util::future::join(listed, discovered).await;
        let mut live = listed?;
        live.merge(discovered?);
        Ok(live)
    }

    /// How many IDs the state records as settled that `live` lists again (found by a full refresh).
    pub fn reappeared(manifest: &Manifest, settled: Option<&Settled>, live: &Live) -> usize {
        let Some(settled) = settled else {
            return 0;
        };
        manifest
            .entries()
            .filter(|(resource, e)| {
                settled.contains(*resource, e.id) && live.contains(*resource, e.id)
            })
            .count()
    }

    /// What was listed, for the "Listed …" line.
    pub fn listed(&self, reappeared: usize) -> Listed {
        Listed {
            customers: self.customers.len(),
            subscribers: self.subscribers.len(),
            orders: self.orders.len(),
            discovered_for: self.discover.len(),
            not_listed: self.not_listed,
            reappeared,
        }
    }
}

/// What a listing covered, for the user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listed {
    pub customers: usize,
    pub subscribers: usize,
    /// Orders read by ID (guests', and those the state records).
    pub orders: usize,
    /// Customers whose orders were discovered (PRODUCT §15).
    pub discovered_for: usize,
    /// Manifest IDs the state records as settled, not listed again.
    pub not_listed: usize,
    /// IDs the state records as gone that a full refresh found present again.
    pub reappeared: usize,
}

/// List `ids` of each resource: ⌈C/250⌉ + ⌈S/250⌉ GETs, plus two per order (the order and its
/// shipping addresses), every resource concurrently (the store's own parallelism bound and pacer
/// apply to all). A resource with no IDs sends nothing. The one listing `plan`, `apply` (verify,
/// reconcile) and the benchmark use, so they cannot disagree about what was asked.
pub async fn list_all<S: Store>(
    store: &S,
    customers: &[u32],
    subscribers: &[u32],
    orders: &[u32],
) -> Result<Live, S::ListError> {
    let customers = async {
        if customers.is_empty() {
            Ok(Live::default())
        } else {
            store.list(Resource::Customer, customers).await
        }
    };
    let subscribers = async {
        if subscribers.is_empty() {
            Ok(Live::default())
        } else {
            store.list(Resource::Subscriber, subscribers).await
        }
    };
    let orders = async {
        if orders.is_empty() {
            Ok(Live::default())
        } else {
            store.list(Resource::Order, orders).await
        }
    };
    let (customers, subscribers, orders) =
        futures_util::future::join3(customers, subscribers, orders).await;
    let mut live = customers?;
    live.merge(subscribers?);
    live.merge(orders?);
    Ok(live)
}
