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
//! V2 orders (`orders.rs`, PRODUCT §15): discovery ([`Client::orders_of`], [`Client::orders_by_email`]),
//! reading ([`Client::list_orders`]) and redaction ([`Client::redact_order`]), whose `PUT` bodies come
//! only from [`crate::order_redaction`]; **no DELETE on an orders URL can be sent**.
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
mod orders;
mod outcome;
mod pacer;
mod retry;
mod scrub;
mod subscribers;
mod token;

#[cfg(test)]
mod tests;

pub use crate::live::{Live, LiveCustomer, LiveOrder, LiveSubscriber, LiveSubscribers};
pub use client::{Client, ClientConfig, Stats, USER_AGENT};
pub use error::ApiError;
pub use listing::PAGE_LIMIT;
pub use lookup::{EMAIL_QUERY_BUDGET, EMAILS_PER_LOOKUP, EmailMatches, same_address};
pub use orders::{MAX_ORDER_PAGES, ORDER_PAGE_LIMIT};
pub use pacer::{Observe, Observer};
pub use retry::{CONNECT_RETRY_BUDGET, RetryPolicy, RetrySpecError};
pub use token::{TOKEN_ENV, Token};
