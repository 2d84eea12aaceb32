//! Newsletter subscribers (`/v3/customers/subscribers`, PRODUCT.md §7): listing them by ID and
//! deleting them one by one.
//!
//! A subscriber is a record of its own that holds a person's email and name and survives the
//! customer's deletion, so an erasure must remove it too. The API's hazard shapes this module:
//! `DELETE /v3/customers/subscribers` (the collection) has no `id:in` and **by default deletes every
//! subscriber of the store**. bcprune never sends it, and that is structural, not a matter of care:
//! - the only DELETE here is [`Client::delete_subscriber`], whose URL is built by `item_url`, which
//!   takes a (positive) ID and appends it as a path segment; no function builds a DELETE on the
//!   collection path, and the listing URLs are only ever sent with GET;
//! - `Client::send`, which every request passes through, refuses any DELETE whose URL does not name
//!   its records (a subscriber path with an ID, or customers with a non-empty `id:in`), before
//!   anything is sent.
//!
//! Listing uses `GET …/subscribers?id:in=<≤250 ids>&limit=250` with exactly the checks customers get
//! (`listing.rs`): IDs returned must be IDs asked for, no duplicates, pages followed and bounded.

use reqwest::{Method, Url};

use super::client::{Client, ERROR_BODY_CAP};
use super::{ApiError, LiveSubscribers};
use crate::{Resource, SubscriberId};

impl Client {
    /// List which of `ids` exist now, with `GET /v3/customers/subscribers?id:in=<≤250 ids>&limit=250`
    /// (⌈S/250⌉ requests for S distinct IDs, at most `parallelism` at once, pages followed). Every
    /// answer is checked as for customers; any failure fails the whole listing, never a partial one.
    pub async fn list_subscribers(
        &self,
        ids: &[SubscriberId],
    ) -> Result<LiveSubscribers, ApiError> {
        let mut live = LiveSubscribers::default();
        for record in self.list_by_id(Resource::Subscriber, ids).await? {
            live.subscribers.insert(record.id, record.into());
        }
        Ok(live)
    }

    /// Delete one subscriber with `DELETE /v3/customers/subscribers/{id}`, paced and retried exactly
    /// like a customer DELETE (429/5xx/network; deleting by ID is idempotent). ID 0 is refused
    /// without sending anything. A 4xx comes back as [`ApiError::Status`] (a 404: no such
    /// subscriber). A 2xx means "accepted", not "proven deleted": apply lists again to verify.
    pub async fn delete_subscriber(&self, id: SubscriberId) -> Result<(), ApiError> {
        let url = self.item_url(id)?;
        let label = format!("DELETE {}", url.path());
        self.send(Method::DELETE, url, &label, ERROR_BODY_CAP)
            .await
            .map(|_| ())
    }

    /// `…/v3/customers/subscribers/{id}`: the only subscriber URL a DELETE is ever sent to. It needs
    /// an ID by construction; there is deliberately no function for the collection path with DELETE.
    fn item_url(&self, id: SubscriberId) -> Result<Url, ApiError> {
        if id == 0 {
            return Err(ApiError::Config(
                "refusing to delete subscriber 0: it is not a subscriber ID (IDs start at 1); this \
                 is a bug in bcprune, please report it"
                    .into(),
            ));
        }
        let url = format!("{}/subscribers/{id}", self.collection_url());
        Url::parse(&url).map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))
    }
}
