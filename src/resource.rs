//! The kinds of record bcprune erases. A person's data lives in more than one place in a BigCommerce
//! store: the customer account and the newsletter subscription (PRODUCT.md §7). Each kind has its own
//! ID namespace (customer 17 and subscriber 17 are different records), so every planned change, state
//! record and audit line names its resource.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A BigCommerce newsletter subscriber ID (`/v3/customers/subscribers`): positive, 32 bits, its own
/// namespace.
pub type SubscriberId = u32;

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
}

impl Resource {
    /// Both resources, in the order plans and reports list them.
    pub const ALL: [Resource; 2] = [Resource::Customer, Resource::Subscriber];

    /// `customer` or `subscriber`, as in files and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Customer => "customer",
            Resource::Subscriber => "subscriber",
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
