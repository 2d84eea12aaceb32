//! The seam between the use-cases (`plan::run`, `apply::run`) and the store they read and change: list
//! and delete, per [`Resource`].
//!
//! `api::Client` implements it against BigCommerce (in `apply::store`), the tests' `MemoryStore` in memory
//! (`tests/memory.rs`), so the property tests and the benchmark run the use-cases themselves by the thousand while one HTTP
//! path stays tested end to end. Errors are typed ([`DeleteError`]): apply decides split, bisect, stop
//! or re-list without knowing HTTP.

use std::future::Future;

use crate::Resource;
use crate::api::DeleteError;
use crate::live::Live;

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
    /// Why a listing failed (`api::ApiError` for the client and the in-memory store): the seam names
    /// no client type, so `plan` knows none.
    type ListError;

    /// The API host the store is reached at (a saved plan made against another host is stale).
    fn api_host(&self) -> String;

    /// Requests sent so far (every attempt counts), for the "Listed … (N requests)" line.
    fn requests_sent(&self) -> u64;

    /// Which of `ids` exist now. Never a partial result: an error means nothing is known.
    fn list(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> impl Future<Output = Result<Live, Self::ListError>>;

    /// Delete exactly `ids` (1..=[`max_ids_per_delete`]) in one request. `Ok` means accepted, not
    /// proven: apply lists again to verify.
    fn delete(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> impl Future<Output = Result<(), DeleteError>>;
}
