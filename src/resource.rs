//! The kinds of record bcprune erases. A person's data lives in more than one place in a BigCommerce
//! store: the customer account, the newsletter subscription (PRODUCT.md §7) and the orders (§15). Each
//! kind has its own ID namespace (customer 17, subscriber 17 and order 17 are different records), so
//! every planned change, state record and audit line names its resource. A kind knows how it is
//! changed ([`Resource::operation`]): customers and subscribers are deleted, orders redacted.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A BigCommerce customer ID: a positive integer that fits in 32 bits (the API's `int32`, made unsigned
/// because zero and negatives are never valid IDs).
pub type CustomerId = u32;

/// A BigCommerce newsletter subscriber ID (`/v3/customers/subscribers`): positive, 32 bits, its own
/// namespace.
pub type SubscriberId = u32;

/// A BigCommerce order ID (`/v2/orders/{id}`): positive, 32 bits, its own namespace.
pub type OrderId = u32;

/// How a kind of record is changed when it is erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The record is deleted (customers, subscribers); done when a listing no longer finds it.
    Delete,
    /// The record's personal fields are overwritten with placeholders (orders, PRODUCT §15); done
    /// when it is listed and every redacted field equals its placeholder.
    Redact,
}

/// Which kind of record an ID names.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    /// A customer account (`/v3/customers`). Records written before subscribers existed carry no
    /// resource and are customers.
    #[default]
    Customer,
    /// A newsletter subscriber (`/v3/customers/subscribers`).
    Subscriber,
    /// An order (`/v2/orders`, PRODUCT §15): never deleted, redacted once its retention ends.
    Order,
}

impl Resource {
    /// Every resource, in the order plans and reports list them.
    pub const ALL: [Resource; 3] = [Resource::Customer, Resource::Subscriber, Resource::Order];

    /// `customer`, `subscriber` or `order`, as in files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Customer => "customer",
            Resource::Subscriber => "subscriber",
            Resource::Order => "order",
        }
    }

    /// How a record of this kind is changed: deleted, or (orders) redacted.
    pub const fn operation(self) -> Operation {
        match self {
            Resource::Customer | Resource::Subscriber => Operation::Delete,
            Resource::Order => Operation::Redact,
        }
    }

    /// The kind an audit line's `resource` field names: none is a customer (every line written
    /// before subscribers existed), `customer`, `subscriber` or `order`; any other word is a kind this
    /// bcprune does not know (`None`), so the line proves nothing about any record it knows — never a
    /// customer with the same number. The one reading of that field.
    pub fn of_line(field: Option<&str>) -> Option<Resource> {
        match field {
            None => Some(Resource::Customer),
            Some(word) => Resource::ALL.into_iter().find(|r| r.as_str() == word),
        }
    }

    /// Whether this is the default (for `skip_serializing_if`, so customer records stay as they were).
    pub fn is_customer(&self) -> bool {
        *self == Resource::Customer
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record: a customer, subscriber or order ID (each resource has its own namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub resource: Resource,
    pub id: u32,
}

impl Target {
    /// A customer ID.
    pub const fn customer(id: CustomerId) -> Target {
        Target {
            resource: Resource::Customer,
            id,
        }
    }

    /// A subscriber ID.
    pub const fn subscriber(id: SubscriberId) -> Target {
        Target {
            resource: Resource::Subscriber,
            id,
        }
    }

    /// An order ID.
    pub const fn order(id: OrderId) -> Target {
        Target {
            resource: Resource::Order,
            id,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.resource, self.id)
    }
}

/// `1, 2, 3` — or the first ten and a count, for messages.
pub fn id_list(ids: &[CustomerId]) -> String {
    let shown: Vec<String> = ids.iter().take(10).map(ToString::to_string).collect();
    if ids.len() > 10 {
        format!("{} and {} more", shown.join(", "), ids.len() - 10)
    } else {
        shown.join(", ")
    }
}

/// `customers 1, 2 and subscriber 7` — each resource's IDs shortened as by [`id_list`], for messages.
pub fn target_list(targets: &[Target]) -> String {
    by_resource(targets, id_list)
}

/// `customers … and subscriber …`: each resource's IDs, in [`Resource::ALL`] order, written by `ids`
/// (a short list, ranges, …); a resource with none is left out.
pub fn by_resource(targets: &[Target], ids: impl Fn(&[u32]) -> String) -> String {
    let mut parts = Vec::new();
    for resource in Resource::ALL {
        let of = ids_of(targets, resource);
        if !of.is_empty() {
            let noun = if of.len() == 1 { "" } else { "s" };
            parts.push(format!("{resource}{noun} {}", ids(&of)));
        }
    }
    parts.join(" and ")
}

/// The IDs of `targets` that are of `resource`, in their order.
pub fn ids_of<'a>(targets: impl IntoIterator<Item = &'a Target>, resource: Resource) -> Vec<u32> {
    targets
        .into_iter()
        .filter(|t| t.resource == resource)
        .map(|t| t.id)
        .collect()
}

/// How many of `targets` are of `resource`.
pub fn count_of(targets: &[Target], resource: Resource) -> usize {
    targets.iter().filter(|t| t.resource == resource).count()
}
