//! The BigCommerce API client (customers and newsletter subscribers): the only code that talks to
//! BigCommerce.
//!
//! It lists customers and subscribers by ID (read-only, for `plan` and for verifying after `apply`),
//! deletes customers by ID list and subscribers one by one by ID (for `apply`), and resolves emails to
//! both (for `import`, GET only), while keeping every promise the tool makes about the network: one
//! pacer per client (`pacer.rs`) spends the store's shared rate-limit quota without causing 429s,
//! `retry.rs` honours 429 headers, backs off on failures and gives up on an unreachable store within
//! seconds, announcing every retry as a warning; every answer is checked before it is believed
//! (`listing.rs`); the token stays out of every log, error and file ([`Token`]), even when a server
//! quotes it back (`scrub.rs`), and never crosses the network over plain `http://`.
//!
//! **No DELETE to the subscribers collection is possible** (`DELETE /v3/customers/subscribers` deletes
//! every subscriber of the store): see [`Client::delete_subscriber`] and `subscribers.rs`.
//!
//! Public API: [`Client`] built from a [`ClientConfig`] ([`Token`], [`RetryPolicy`]); [`Client::list`]
//! → [`Live`]; [`Client::delete`]; [`Client::list_subscribers`] → [`LiveSubscribers`];
//! [`Client::delete_subscriber`]; [`Client::customers_by_email`] → [`EmailMatches`] of
//! [`LiveCustomer`]; [`Client::subscribers_by_email`] → [`LiveSubscriber`]s; [`Client::stats`] →
//! [`Stats`]; errors are [`ApiError`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), bcprune::api::ApiError> {
//! use bcprune::api::{Client, ClientConfig, Token};
//!
//! let config = ClientConfig::new("https://api.bigcommerce.com", "abc123", Token::new("the-token".into()));
//! let client = Client::new(config)?;
//! let live = client.list(&[101, 102, 103]).await?; // one GET ?id:in=101,102,103&limit=250
//! let present: Vec<u32> = live.customers.keys().copied().collect();
//! if !present.is_empty() {
//!     client.delete(&present).await?; // one DELETE ?id:in=…; apply batches and verifies
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The client is `Send + Sync`: share `&Client` between concurrent futures (all its requests go
//! through the same parallelism bound and the same pacer), or an `Arc<Client>` between tasks.

mod client;
mod error;
mod listing;
mod lookup;
mod outcome;
mod pacer;
mod retry;
mod scrub;
mod subscribers;
mod token;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::CustomerId;

pub use client::{Client, ClientConfig, Stats, USER_AGENT};
pub use error::ApiError;
pub use listing::PAGE_LIMIT;
pub use lookup::{EMAIL_QUERY_BUDGET, EMAILS_PER_LOOKUP, EmailMatches, same_address};
pub use outcome::DeleteError;
pub use pacer::{Observe, Observer};
pub use retry::{CONNECT_RETRY_BUDGET, RetryPolicy, RetrySpecError};
pub use subscribers::{LiveSubscriber, LiveSubscribers};
pub use token::{TOKEN_ENV, Token};

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
