//! Resolving erasure requests' emails to IDs, for `bcprune import` (PRODUCT.md §8): customers with
//! `GET /v3/customers?email:in=…` (batched), subscribers with `GET /v3/customers/subscribers?email=…`
//! (one request per address, the only email filter that endpoint has). GET only, so a read-only
//! token is enough.
//!
//! Emails are trimmed and matched ignoring **ASCII** case only ([`same_address`], PRODUCT §14):
//! whether the API compares case-sensitively is undocumented (API-NOTES §10), so an address that
//! differs from its ASCII lower-case form is queried in both forms. What comes back is matched to the
//! asked address with the same rule, never with Unicode case folding or normalisation: a store that
//! folds as a database collation may answer `kane@…`'s records to `\u{212A}ane@…` (KELVIN SIGN),
//! and those belong to someone else. Such records are not taken (a warning says how many, never
//! whose). Every answer is checked as a listing is (`listing.rs`), pagination included. Each
//! `email:in` query stays under [`EMAIL_QUERY_BUDGET`] bytes (percent-encoded), far below the 8 KB
//! many servers and proxies cap a request line at.
//!
//! `import --orders redact` also asks `GET /v2/orders?email=…` ([`Client::orders_by_email`], PRODUCT
//! §15): the orders whose billing email is the address, with the customer each belongs to.
//!
//! Emails are personal data: request labels (which end up in errors and logs) show only how many
//! addresses were asked, and any asked address the server quotes back in an error is masked.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt as _;

use super::client::{Client, Filter};
use super::{ApiError, LiveCustomer};
use crate::Resource;
use crate::live::LiveSubscriber;

/// The most bytes of query string (after `?`) one `email:in` lookup sends, percent-encoded,
/// `limit` and `page` included.
pub const EMAIL_QUERY_BUDGET: usize = 4096;

/// The most addresses one `email:in` lookup asks for (the API documents no maximum).
pub const EMAILS_PER_LOOKUP: usize = 100;

/// How many records one address may match at most (one customer per channel; generous): it bounds
/// the pages a lookup follows.
const MOST_PER_EMAIL: usize = 100;

/// Bytes of the query besides the emails: `email:in=` and `&limit=250&page=NNNNN`.
const QUERY_OVERHEAD: usize = "email:in=&limit=250&page=99999".len();

/// The records found for each asked email (trimmed, as given), sorted by ID; an email that matched
/// nothing maps to an empty list. Every asked email is a key.
pub type EmailMatches<T> = BTreeMap<String, Vec<T>>;

impl Client {
    /// The customers whose email is one of `emails` (trimmed; ASCII case ignored), with as few
    /// `GET /v3/customers?email:in=…&limit=250` requests as fit in [`EMAIL_QUERY_BUDGET`] each, at
    /// most `parallelism` at once, pages followed. Several customers per email (one per channel) are
    /// all returned. An empty address, or one holding a comma (it cannot be sent in `email:in`), is
    /// refused before any request. All or nothing: any failure fails the lookup.
    pub async fn customers_by_email(
        &self,
        emails: &[String],
    ) -> Result<EmailMatches<LiveCustomer>, ApiError> {
        let asked = trimmed(emails)?;
        if let Some(bad) = asked.iter().find(|e| e.contains(',')) {
            return Err(ApiError::Config(format!(
                "the email {} holds a comma, which the API's email:in filter cannot carry: look this \
                 customer up in the control panel",
                crate::mask::addresses(bad)
            )));
        }
        let terms = query_forms(&asked);
        let batches = email_batches(&terms);
        let lookups: Vec<_> = batches
            .iter()
            .map(|(encoded, batch)| self.customers_for_batch(encoded, batch))
            .collect();
        let mut pending = futures_util::stream::iter(lookups).buffer_unordered(self.parallelism());
        let mut found = BTreeMap::new();
        while let Some(result) = pending.next().await {
            for record in result.map_err(mask_asked)? {
                found.insert(record.id, record);
            }
        }
        Ok(match_back(&asked, found.into_values(), |r| &r.email))
    }

    async fn customers_for_batch(
        &self,
        encoded: &str,
        batch: &[String],
    ) -> Result<Vec<LiveCustomer>, ApiError> {
        let accept = |_: &LiveCustomer| Ok(());
        let filter = Filter::EmailIn {
            encoded: encoded.to_owned(),
            count: batch.len(),
        };
        let most = batch.len() * MOST_PER_EMAIL;
        let records = self
            .list_pages(Resource::Customer, &filter, most, &accept)
            .await?;
        Ok(taken(records, batch, Resource::Customer))
    }

    /// The newsletter subscribers with this email (trimmed; ASCII case ignored), with
    /// `GET /v3/customers/subscribers?email=…&limit=250` (twice when the address differs from its
    /// ASCII lower-case form), pages followed, sorted by ID. All or nothing.
    pub async fn subscribers_by_email(&self, email: &str) -> Result<Vec<LiveSubscriber>, ApiError> {
        let asked = trimmed(&[email.to_owned()])?;
        let terms = query_forms(&asked);
        let accept = |_: &LiveCustomer| Ok(());
        let mut found = BTreeMap::new();
        for term in &terms {
            let filter = Filter::Email {
                encoded: encode(term),
            };
            let records = self
                .list_pages(Resource::Subscriber, &filter, MOST_PER_EMAIL, &accept)
                .await
                .map_err(mask_asked)?;
            for record in taken(records, &asked, Resource::Subscriber) {
                found.insert(record.id, LiveSubscriber::from(record));
            }
        }
        Ok(found.into_values().collect())
    }
}

impl Client {
    /// The orders whose billing email is `email` (trimmed; ASCII case ignored, [`same_address`]), as
    /// (order ID, customer ID — 0 for a guest), sorted by order ID: `GET /v2/orders?email=…&limit=250
    /// &page=N` through the one V2 walk of `api/orders.rs` (only an empty page — 204 or `[]` — ends it; an
    /// order seen twice or a listing past its bound fails it: all or nothing), asked twice when the
    /// address differs from its ASCII lower-case form, as the customer lookups are. Rows whose billing
    /// email is not the address asked for are not taken (a warning names their IDs). Errors never show
    /// the address. GET only. For `import --orders redact`.
    pub async fn orders_by_email(&self, email: &str) -> Result<Vec<(u32, u32)>, ApiError> {
        let asked = trimmed(&[email.to_owned()])?;
        let mut found = BTreeMap::new();
        let mut dropped = Vec::new();
        for term in query_forms(&asked) {
            for order in self.orders_with_email(&term).await.map_err(mask_asked)? {
                if asked.iter().any(|a| same_address(&order.email, a)) {
                    found.insert(order.id, order.customer_id);
                } else {
                    dropped.push(order.id);
                }
            }
        }
        dropped.retain(|id| !found.contains_key(id));
        if !dropped.is_empty() {
            dropped.sort_unstable();
            dropped.dedup();
            let ids: Vec<String> = dropped.iter().map(ToString::to_string).collect();
            tracing::warn!(
                "the store answered {} order{} ({}) whose billing email is not exactly the address \
                 asked for (it differs by more than ASCII case): not taken",
                dropped.len(),
                if dropped.len() == 1 { "" } else { "s" },
                ids.join(", ")
            );
        }
        Ok(found.into_iter().collect())
    }
}

/// Whether a record's email is the asked address: equal once trimmed, ignoring ASCII case and
/// nothing else. The one rule of every lookup (no Unicode folding or normalisation: `\u{212A}` is
/// not `k`, `ſ` is not `s`, `ｋ` is not `k`).
pub fn same_address(record: &str, asked: &str) -> bool {
    record.trim().eq_ignore_ascii_case(asked.trim())
}

/// The records whose email is one of `asked` ([`same_address`]); the others, which the store
/// answered for a filter of those addresses (a store may fold case or look-alikes its own way), are
/// not taken, and a warning says how many (by ID, never by address).
fn taken(records: Vec<LiveCustomer>, asked: &[String], resource: Resource) -> Vec<LiveCustomer> {
    let (kept, dropped): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|r| asked.iter().any(|a| same_address(&r.email, a)));
    if !dropped.is_empty() {
        let ids: Vec<String> = dropped.iter().map(|r| r.id.to_string()).collect();
        tracing::warn!(
            "the store answered {} {}{} ({}) whose email is not exactly an address asked for (it \
             differs by more than ASCII case): not taken",
            dropped.len(),
            resource.as_str(),
            if dropped.len() == 1 { "" } else { "s" },
            ids.join(", ")
        );
    }
    kept
}

/// The asked emails, trimmed; an empty one is refused.
fn trimmed(emails: &[String]) -> Result<Vec<String>, ApiError> {
    emails
        .iter()
        .enumerate()
        .map(|(i, email)| {
            let email = email.trim();
            if email.is_empty() {
                Err(ApiError::Config(format!(
                    "email number {} of the lookup is empty: there is nothing to look up",
                    i + 1
                )))
            } else {
                Ok(email.to_owned())
            }
        })
        .collect()
}

/// Every form to query: each address as given and, when different, ASCII lower-cased; each once.
fn query_forms(asked: &[String]) -> Vec<String> {
    let mut forms = BTreeSet::new();
    for email in asked {
        forms.insert(email.clone());
        forms.insert(email.to_ascii_lowercase());
    }
    forms.into_iter().collect()
}

/// The `email:in` batches: (the percent-encoded comma-separated value, its addresses), each query
/// within [`EMAIL_QUERY_BUDGET`] bytes and [`EMAILS_PER_LOOKUP`] addresses, in order.
pub(super) fn email_batches(terms: &[String]) -> Vec<(String, Vec<String>)> {
    let mut batches: Vec<(String, Vec<String>)> = Vec::new();
    for term in terms {
        let piece = encode(term);
        match batches.last_mut() {
            Some((encoded, batch))
                if batch.len() < EMAILS_PER_LOOKUP
                    && QUERY_OVERHEAD + encoded.len() + 1 + piece.len() <= EMAIL_QUERY_BUDGET =>
            {
                encoded.push(',');
                encoded.push_str(&piece);
                batch.push(term.clone());
            }
            _ => batches.push((piece, vec![term.clone()])),
        }
    }
    batches
}

/// Percent-encode one address for a query value: everything but letters, digits, `-._~` and `@`
/// (so `+` stays a plus and `,` cannot split the list).
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Each asked email with the records whose email is it ([`same_address`]), sorted by ID.
fn match_back<T: Clone>(
    asked: &[String],
    records: impl Iterator<Item = T>,
    email: impl Fn(&T) -> &String,
) -> EmailMatches<T> {
    let records: Vec<T> = records.collect();
    asked
        .iter()
        .map(|wanted| {
            let matching = records
                .iter()
                .filter(|r| same_address(email(r), wanted))
                .cloned()
                .collect();
            (wanted.clone(), matching)
        })
        .collect()
}

/// The error with every address-like token masked ([`crate::mask::addresses`]): the asked addresses
/// the server may have quoted back (as typed, lower-cased or percent-encoded), and any other.
fn mask_asked(error: ApiError) -> ApiError {
    error.map_text(crate::mask::addresses)
}
