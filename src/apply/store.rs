//! The seam between apply and the store it deletes from: list and delete, per [`Resource`].
//!
//! `api::Client` implements it against BigCommerce, [`super::MemoryStore`] in memory, so the property
//! tests and the benchmark run [`super::run()`] itself by the thousand while one HTTP path stays tested
//! end to end. Errors are typed ([`DeleteError`]): apply decides split, bisect, stop or re-list without
//! knowing HTTP.

use std::future::Future;

use crate::Resource;
use crate::api::{ApiError, Client, DeleteError, Live};

/// The most IDs one DELETE may carry for `resource`: customers are deleted in bulk (`id:in`, at most
/// 250), subscribers one per request (`DELETE /v3/customers/subscribers/{id}`; the collection endpoint
/// deletes every subscriber and is never called).
pub const fn max_ids_per_delete(resource: Resource) -> usize {
    match resource {
        Resource::Customer => crate::api::PAGE_LIMIT,
        Resource::Subscriber => 1,
    }
}

/// A store bcprune lists and deletes records in.
pub trait Store {
    /// The API host the store is reached at (a saved plan made against another host is stale).
    fn api_host(&self) -> String;

    /// Requests sent so far (every attempt counts), for the "Listed … (N requests)" line.
    fn requests_sent(&self) -> u64;

    /// Which of `ids` exist now. Never a partial result: an error means nothing is known.
    fn list(&self, resource: Resource, ids: &[u32])
    -> impl Future<Output = Result<Live, ApiError>>;

    /// Delete exactly `ids` (1..=[`max_ids_per_delete`]) in one request. `Ok` means accepted, not
    /// proven: apply lists again to verify.
    fn delete(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> impl Future<Output = Result<(), DeleteError>>;
}

impl Store for Client {
    fn api_host(&self) -> String {
        Client::api_host(self)
    }

    fn requests_sent(&self) -> u64 {
        let stats = self.stats();
        stats.get_requests + stats.delete_requests
    }

    async fn list(&self, resource: Resource, ids: &[u32]) -> Result<Live, ApiError> {
        match resource {
            Resource::Customer => Client::list(self, ids).await,
            Resource::Subscriber => Ok(Live {
                subscribers: Client::list_subscribers(self, ids).await?.subscribers,
                ..Live::default()
            }),
        }
    }

    async fn delete(&self, resource: Resource, ids: &[u32]) -> Result<(), DeleteError> {
        match resource {
            Resource::Customer => Client::delete(self, ids)
                .await
                .map_err(DeleteError::from_api),
            Resource::Subscriber => {
                // One subscriber per request, by ID in the path: never the collection DELETE.
                let [id] = ids else {
                    return Err(DeleteError::TooLarge {
                        message: format!(
                            "subscribers are deleted one per request; {} IDs were given",
                            ids.len()
                        ),
                    });
                };
                Client::delete_subscriber(self, *id)
                    .await
                    .map_err(subscriber_delete_error)
            }
        }
    }
}

/// A subscriber DELETE's error as apply acts on it. A 404 ("no such subscriber") is not proof that
/// the subscriber is gone, nor that it never existed: a retried DELETE whose first attempt was carried
/// out answers 404 too. So it is an unknown outcome, settled like any other by listing again: gone →
/// recorded deleted and verified; still listed → failed. Everything else maps as for customers.
fn subscriber_delete_error(error: ApiError) -> DeleteError {
    match error {
        ApiError::Status { status: 404, .. } => DeleteError::Unknown {
            message: format!("{error} (the subscriber is listed again to settle it)"),
        },
        other => DeleteError::from_api(other),
    }
}
