//! Records as listed live, of every kind (PRODUCT §3, §7): what the store holds now of the IDs asked
//! for. A domain type on the floor below `api` (which maps HTTP answers to it), `plan`, `render` and
//! `apply`. They hold personal data in memory only: masked before display, never written to any file.

use std::collections::BTreeMap;

use crate::{CustomerId, SubscriberId};

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
}

impl Live {
    /// Whether `resource` `id` was listed, i.e. exists now.
    pub fn contains(&self, resource: crate::Resource, id: u32) -> bool {
        match resource {
            crate::Resource::Customer => self.customers.contains_key(&id),
            crate::Resource::Subscriber => self.subscribers.contains_key(&id),
        }
    }

    /// The `date_modified` of `resource` `id` as listed, if it exists.
    pub fn date_modified(&self, resource: crate::Resource, id: u32) -> Option<&str> {
        match resource {
            crate::Resource::Customer => self.customers.get(&id).map(|c| c.date_modified.as_str()),
            crate::Resource::Subscriber => {
                self.subscribers.get(&id).map(|s| s.date_modified.as_str())
            }
        }
    }

    /// Add what `other` lists (another resource's listing).
    pub fn merge(&mut self, other: Live) {
        self.customers.extend(other.customers);
        self.subscribers.extend(other.subscribers);
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
