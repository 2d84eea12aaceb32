//! `api::Client` as the [`Store`] seam (defined in [`crate::store`]): customers in bulk, subscribers one
//! per request by ID in the path, never the collection DELETE; orders read by ID, discovered by
//! customer and redacted one per request (`Client::redact_order`, from what the plan's listing read of
//! the order), never deleted.

use crate::Resource;
use crate::api::{ApiError, Client, Live};
use crate::store::DeleteError;

pub use crate::store::{Store, max_ids_per_request};

impl Store for Client {
    type ListError = ApiError;

    fn api_host(&self) -> String {
        Client::api_host(self)
    }

    fn requests_sent(&self) -> u64 {
        let stats = self.stats();
        stats.get_requests + stats.delete_requests + stats.put_requests
    }

    async fn list(&self, resource: Resource, ids: &[u32]) -> Result<Live, ApiError> {
        match resource {
            Resource::Customer => Client::list(self, ids).await,
            Resource::Subscriber => Ok(Live {
                subscribers: Client::list_subscribers(self, ids).await?.subscribers,
                ..Live::default()
            }),
            Resource::Order => Client::list_orders(self, ids).await,
        }
    }

    async fn orders_of(&self, customers: &[u32]) -> Result<Live, ApiError> {
        Client::orders_of(self, customers).await
    }

    async fn carry_out(
        &self,
        resource: Resource,
        ids: &[u32],
        read: &Live,
    ) -> Result<(), DeleteError> {
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
            Resource::Order => {
                // One order per request: its PUT and its shipping addresses' PUTs, from what the
                // plan's listing read of it (nothing read twice).
                let [id] = ids else {
                    return Err(DeleteError::TooLarge {
                        message: format!(
                            "orders are redacted one per request; {} IDs were given",
                            ids.len()
                        ),
                    });
                };
                Client::redact_order(self, *id, read.orders.get(id))
                    .await
                    .map_err(DeleteError::from_api)
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
