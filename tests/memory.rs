//! An in-memory [`Store`]: customers, subscribers and orders by ID, a log of every change request it
//! received (DELETEs, and order redactions) and of what it really did (an order is redacted, never
//! removed; a deleted customer's orders lose their link, as in the fake store), and scripted faults — before or *after* acting — so the property tests run
//! `bcprune::apply::run` by the thousand in milliseconds. A test double, so it lives with the tests and
//! not in the library. Not a BigCommerce simulation (that
//! is `sim`, over HTTP); it models only what apply's correctness depends on.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use bcprune::Resource;
use bcprune::api::{ApiError, Live, LiveCustomer, LiveOrder};
use bcprune::store::{DeleteError, Store, max_ids_per_request};

/// What the store does with one DELETE request, when scripted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteFault {
    /// Delete and answer success.
    None,
    /// Answer "too large" without deleting.
    TooLarge,
    /// Answer "refused" (as a 403 would) without deleting.
    Refused,
    /// Answer "provably not done" (connection refused) without deleting.
    NotDone,
    /// Answer "unknown outcome" without deleting (the request never reached the store).
    UnknownBefore,
    /// Delete, then answer "unknown outcome" (a 500 or a dropped connection after acting).
    UnknownAfter,
    /// Answer success without deleting (a lying 204).
    Lie,
}

/// One order of the in-memory store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryOrder {
    /// 0 for a guest, or once the customer was deleted.
    pub customer_id: u32,
    pub created: jiff::civil::Date,
    pub country: Option<String>,
    pub redacted: bool,
}

#[derive(Debug, Default)]
struct Inner {
    orders: BTreeMap<u32, MemoryOrder>,
    records: BTreeMap<Resource, BTreeSet<u32>>,
    deletes: Vec<(Resource, Vec<u32>)>,
    deleted: BTreeMap<Resource, BTreeSet<u32>>,
    delete_faults: VecDeque<DeleteFault>,
    list_faults: VecDeque<bool>,
    reject: BTreeSet<u32>,
    max_ids: Option<usize>,
    lists: u64,
}

/// An in-memory store; share it by reference (`&MemoryStore` is the [`Store`]).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    host: String,
}

impl MemoryStore {
    /// A store holding `customers` (and no subscribers), at API host `memory`.
    pub fn new(customers: impl IntoIterator<Item = u32>) -> MemoryStore {
        let store = MemoryStore {
            inner: Mutex::default(),
            host: "memory".into(),
        };
        store.insert(Resource::Customer, customers);
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add records.
    pub fn insert(&self, resource: Resource, ids: impl IntoIterator<Item = u32>) {
        self.lock().records.entry(resource).or_default().extend(ids);
    }

    /// The records that exist now.
    pub fn ids(&self, resource: Resource) -> BTreeSet<u32> {
        self.lock()
            .records
            .get(&resource)
            .cloned()
            .unwrap_or_default()
    }

    /// Add an order.
    pub fn insert_order(&self, id: u32, order: MemoryOrder) {
        self.lock().orders.insert(id, order);
    }

    /// An order as it is now.
    pub fn order(&self, id: u32) -> Option<MemoryOrder> {
        self.lock().orders.get(&id).cloned()
    }

    /// Every change request received (DELETEs, order redactions), in order, with its IDs.
    pub fn deletes(&self) -> Vec<(Resource, Vec<u32>)> {
        self.lock().deletes.clone()
    }

    /// What DELETEs really removed.
    pub fn deleted(&self, resource: Resource) -> BTreeSet<u32> {
        self.lock()
            .deleted
            .get(&resource)
            .cloned()
            .unwrap_or_default()
    }

    /// Script the next DELETEs' behaviour, one entry per request; afterwards they succeed.
    pub fn script_deletes(&self, faults: impl IntoIterator<Item = DeleteFault>) {
        self.lock().delete_faults = faults.into_iter().collect();
    }

    /// Script the next listings: `true` fails that listing; afterwards they succeed.
    pub fn script_lists(&self, failures: impl IntoIterator<Item = bool>) {
        self.lock().list_faults = failures.into_iter().collect();
    }

    /// IDs the store refuses to delete (a DELETE naming one is rejected, naming them, deleting nothing).
    pub fn reject(&self, ids: impl IntoIterator<Item = u32>) {
        self.lock().reject = ids.into_iter().collect();
    }

    /// The most IDs one DELETE may carry before it is "too large".
    pub fn max_ids_per_delete(&self, max: usize) {
        self.lock().max_ids = Some(max);
    }
}

fn live(id: u32) -> LiveCustomer {
    LiveCustomer {
        id,
        email: format!("person{id}@example.com"),
        first_name: "Pat".into(),
        last_name: "Lee".into(),
        date_modified: "2026-01-02T03:04:05Z".into(),
        record: serde_json::json!({ "id": id }),
    }
}

fn live_order(id: u32, order: &MemoryOrder) -> LiveOrder {
    LiveOrder {
        id,
        customer_id: order.customer_id,
        created: order.created,
        date_modified: String::new(),
        billing_country: order.country.clone(),
        email: format!("buyer{id}@example.com"),
        name: "Pat Lee".into(),
        present: Default::default(),
        unredacted: if order.redacted {
            Vec::new()
        } else {
            vec!["billing_address.email".into()]
        },
        shipping_address_ids: Some(vec![id * 10 + 1]),
        shipping_address_count: 1,
    }
}

impl Store for MemoryStore {
    type ListError = ApiError;

    fn api_host(&self) -> String {
        self.host.clone()
    }

    fn requests_sent(&self) -> u64 {
        let inner = self.lock();
        inner.lists + inner.deletes.len() as u64
    }

    async fn list(&self, resource: Resource, ids: &[u32]) -> Result<Live, ApiError> {
        let mut inner = self.lock();
        inner.lists += 1;
        if inner.list_faults.pop_front() == Some(true) {
            return Err(ApiError::RetriesExhausted {
                request: "GET memory".into(),
                attempts: 1,
                last_status: Some(503),
                last: "injected listing failure".into(),
                may_have_acted: false,
            });
        }
        let records = inner.records.get(&resource);
        let present = ids
            .iter()
            .filter(|id| records.is_some_and(|r| r.contains(id)))
            .map(|&id| (id, live(id)));
        let mut listed = Live::default();
        match resource {
            Resource::Customer => listed.customers = present.collect(),
            Resource::Subscriber => {
                listed.subscribers = present.map(|(id, c)| (id, c.into())).collect();
            }
            Resource::Order => {
                listed.orders = ids
                    .iter()
                    .filter_map(|&id| inner.orders.get(&id).map(|o| (id, live_order(id, o))))
                    .collect();
            }
        }
        Ok(listed)
    }

    async fn orders_of(&self, customers: &[u32]) -> Result<Live, ApiError> {
        let mut inner = self.lock();
        inner.lists += customers.len() as u64;
        Ok(Live {
            orders: inner
                .orders
                .iter()
                .filter(|(_, o)| o.customer_id > 0 && customers.contains(&o.customer_id))
                .map(|(&id, o)| (id, live_order(id, o)))
                .collect(),
            ..Live::default()
        })
    }

    async fn carry_out(
        &self,
        resource: Resource,
        ids: &[u32],
        _read: &Live,
    ) -> Result<(), DeleteError> {
        let mut inner = self.lock();
        inner.deletes.push((resource, ids.to_vec()));
        let max = inner
            .max_ids
            .unwrap_or(usize::MAX)
            .min(max_ids_per_request(resource));
        if ids.is_empty() {
            return Err(DeleteError::Refused {
                status: None,
                message: "empty DELETE".into(),
            });
        }
        if ids.len() > max {
            return Err(DeleteError::TooLarge {
                message: format!("{} IDs, at most {max}", ids.len()),
            });
        }
        let rejected: BTreeMap<u32, String> = ids
            .iter()
            .filter(|id| inner.reject.contains(id))
            .map(|&id| (id, "refused by the store".to_string()))
            .collect();
        if !rejected.is_empty() {
            return Err(DeleteError::Rejected {
                ids: rejected,
                message: "rejected".into(),
            });
        }
        let fault = inner.delete_faults.pop_front().unwrap_or(DeleteFault::None);
        let act = matches!(fault, DeleteFault::None | DeleteFault::UnknownAfter);
        if act {
            let Inner {
                records,
                deleted,
                orders,
                ..
            } = &mut *inner;
            if resource == Resource::Order {
                for id in ids {
                    if let Some(order) = orders.get_mut(id) {
                        order.redacted = true;
                        deleted.entry(resource).or_default().insert(*id);
                    }
                }
            } else {
                let records = records.entry(resource).or_default();
                let deleted = deleted.entry(resource).or_default();
                for id in ids {
                    if records.remove(id) {
                        deleted.insert(*id);
                        if resource == Resource::Customer {
                            for order in orders.values_mut() {
                                if order.customer_id == *id {
                                    order.customer_id = 0;
                                }
                            }
                        }
                    }
                }
            }
        }
        let message = |what: &str| format!("injected: {what}");
        match fault {
            DeleteFault::None | DeleteFault::Lie => Ok(()),
            DeleteFault::TooLarge => Err(DeleteError::TooLarge {
                message: message("too large"),
            }),
            DeleteFault::Refused => Err(DeleteError::Refused {
                status: Some(403),
                message: message("refused"),
            }),
            DeleteFault::NotDone => Err(DeleteError::NotDone {
                message: message("connection refused"),
            }),
            DeleteFault::UnknownBefore | DeleteFault::UnknownAfter => Err(DeleteError::Unknown {
                message: message("HTTP 500 after retries"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn subscribers_are_their_own_namespace_one_per_delete() {
        let store = MemoryStore::new([17]);
        store.insert(Resource::Subscriber, [17, 18]);
        assert!(matches!(
            block(store.carry_out(Resource::Subscriber, &[17, 18], &Live::default())),
            Err(DeleteError::TooLarge { .. })
        ));
        block(store.carry_out(Resource::Subscriber, &[17], &Live::default())).expect("deleted");
        assert_eq!(store.ids(Resource::Subscriber), BTreeSet::from([18]));
        assert_eq!(store.ids(Resource::Customer), BTreeSet::from([17]));
        assert_eq!(store.deleted(Resource::Subscriber), BTreeSet::from([17]));
    }

    #[test]
    fn a_fault_after_acting_deletes_and_answers_unknown() {
        let store = MemoryStore::new([1, 2]);
        store.script_deletes([DeleteFault::UnknownAfter, DeleteFault::Lie]);
        assert!(matches!(
            block(store.carry_out(Resource::Customer, &[1], &Live::default())),
            Err(DeleteError::Unknown { .. })
        ));
        block(store.carry_out(Resource::Customer, &[2], &Live::default()))
            .expect("a lying success");
        assert_eq!(store.ids(Resource::Customer), BTreeSet::from([2]));
        assert_eq!(store.deleted(Resource::Customer), BTreeSet::from([1]));
    }
}
