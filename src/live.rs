//! Records as listed live, of every kind (PRODUCT §3, §7, §15): what the store holds now of the IDs
//! asked for (and, for orders, what discovery found). A domain type on the floor below `api` (which maps HTTP answers to it), `plan`, `render` and
//! `apply`. They hold personal data in memory only: masked before display, never written to any file.

use std::collections::BTreeMap;

use crate::{CustomerId, OrderId, SubscriberId};

/// One customer as listed live. Holds personal data in memory only: it is masked before display and
/// never written to any file.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCustomer {
    pub id: CustomerId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// As the API sent it (RFC 3339), compared verbatim for staleness.
    pub date_modified: String,
    /// The full record as returned, for `plan --diff`.
    pub record: serde_json::Value,
}

/// The customers and newsletter subscribers that exist now, of those asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub customers: BTreeMap<CustomerId, LiveCustomer>,
    /// Subscribers listed (empty when none were asked for).
    pub subscribers: BTreeMap<crate::SubscriberId, LiveSubscriber>,
    /// Orders listed or discovered (empty when none were asked for).
    pub orders: BTreeMap<OrderId, LiveOrder>,
}

impl Live {
    /// Whether `resource` `id` was listed, i.e. exists now.
    pub fn contains(&self, resource: crate::Resource, id: u32) -> bool {
        match resource {
            crate::Resource::Customer => self.customers.contains_key(&id),
            crate::Resource::Subscriber => self.subscribers.contains_key(&id),
            crate::Resource::Order => self.orders.contains_key(&id),
        }
    }

    /// Whether the change to `resource` `id` is done, as this listing shows it: for a deleting kind,
    /// not listed; for an order, listed and every redacted field equal to its placeholder (an order
    /// that cannot be read cannot be proven redacted).
    pub fn is_done(&self, resource: crate::Resource, id: u32) -> bool {
        match resource.operation() {
            crate::resource::Operation::Delete => !self.contains(resource, id),
            crate::resource::Operation::Redact => {
                self.orders.get(&id).is_some_and(LiveOrder::is_redacted)
            }
        }
    }

    /// The `date_modified` of `resource` `id` as listed, if it exists.
    pub fn date_modified(&self, resource: crate::Resource, id: u32) -> Option<&str> {
        match resource {
            crate::Resource::Customer => self.customers.get(&id).map(|c| c.date_modified.as_str()),
            crate::Resource::Subscriber => {
                self.subscribers.get(&id).map(|s| s.date_modified.as_str())
            }
            crate::Resource::Order => self.orders.get(&id).map(|o| o.date_modified.as_str()),
        }
    }

    /// Add what `other` lists (another resource's listing).
    pub fn merge(&mut self, other: Live) {
        self.customers.extend(other.customers);
        self.subscribers.extend(other.subscribers);
        self.orders.extend(other.orders);
    }
}

/// One newsletter subscriber as listed live. Holds personal data in memory only: it is masked before
/// display and never written to any file.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSubscriber {
    pub id: SubscriberId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// As the API sent it (RFC 3339), compared verbatim for staleness.
    pub date_modified: String,
    /// The full record as returned, for `plan --diff`.
    pub record: serde_json::Value,
}

impl From<LiveCustomer> for LiveSubscriber {
    fn from(r: LiveCustomer) -> LiveSubscriber {
        LiveSubscriber {
            id: r.id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            date_modified: r.date_modified,
            record: r.record,
        }
    }
}

/// The subscribers that exist now, of those asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSubscribers {
    pub subscribers: BTreeMap<SubscriberId, LiveSubscriber>,
}

/// One order as read live (`GET /v2/orders/{id}` and its shipping addresses, or a discovery page).
/// Holds personal data in memory only (the billing email and name, for the masked plan row): never
/// written to any file.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOrder {
    pub id: OrderId,
    /// The customer the order is linked to now; 0 for a guest, or once the customer was deleted.
    pub customer_id: CustomerId,
    /// `date_created`'s UTC calendar date (PRODUCT §15: the retention clock's start).
    pub created: jiff::civil::Date,
    /// `date_modified` as the API sent it (RFC 2822), compared verbatim for staleness.
    pub date_modified: String,
    /// The billing address' ISO 3166-1 alpha-2 code, if it has one (retention `by_country`).
    pub billing_country: Option<String>,
    /// The billing email and name (personal data; masked before display).
    pub email: String,
    pub name: String,
    /// Which optional IP fields the order holds (sent "where present").
    pub present: crate::order_redaction::Present,
    /// The redacted fields that do not equal their placeholder yet (`billing_address.city`,
    /// `shipping_addresses[1021].zip`, …): empty once the order is redacted.
    pub unredacted: Vec<String>,
    /// The IDs of its shipping addresses, when they were read (a discovery page names only their
    /// count).
    pub shipping_address_ids: Option<Vec<u32>>,
    /// How many shipping addresses the order has (`shipping_address_count`).
    pub shipping_address_count: usize,
}

impl LiveOrder {
    /// Whether every redacted field equals its placeholder. Only an order read with its shipping
    /// addresses can be redacted.
    pub fn is_redacted(&self) -> bool {
        self.unredacted.is_empty() && self.shipping_address_ids.is_some()
    }
}
