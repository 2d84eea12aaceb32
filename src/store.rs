//! The seam between the use-cases (`plan::run`, `apply::run`) and the store they read and change: list,
//! discover an erased customer's orders, and carry out a change (delete, or redact an order), per
//! [`Resource`].
//!
//! `api::Client` implements it against BigCommerce (in `apply::store`), the tests' `MemoryStore` in memory
//! (`tests/memory.rs`), so the property tests and the benchmark run the use-cases themselves by the thousand while one HTTP
//! path stays tested end to end. Errors are typed ([`DeleteError`], defined here; `api` maps HTTP answers to it): apply decides split,
//! bisect, stop or re-list without knowing HTTP. The seam imports nothing from `api`.

use std::collections::BTreeMap;
use std::future::Future;

use crate::Resource;
use crate::live::Live;

/// The most IDs one GET asks for and one bulk DELETE carries: the API's page maximum (`limit`, `id:in`).
pub const PAGE_LIMIT: usize = 250;

/// The most IDs one change request may carry for `resource`: customers are deleted in bulk (`id:in`,
/// at most 250), subscribers one per request (`DELETE /v3/customers/subscribers/{id}`; the collection
/// endpoint deletes every subscriber and is never called), orders one per redaction (`PUT
/// /v2/orders/{id}` and its shipping addresses).
pub const fn max_ids_per_request(resource: Resource) -> usize {
    match resource {
        Resource::Customer => PAGE_LIMIT,
        Resource::Subscriber | Resource::Order => 1,
    }
}

/// The requests `apply` sends for one order it redacts (PRODUCT §15), verification included: the
/// order's `PUT`, one `PUT` per shipping address, and the two verifying `GET`s (the order, its
/// shipping addresses), plus one `GET` of its shipping addresses before their `PUT`s when no listing
/// of this apply read their IDs (`addresses_read: false`: an order found by discovery, whose page
/// names only how many it has). The order itself is never read before its `PUT`: the listing that
/// made the plan read which IP fields it holds. The one count of this: the client sends exactly it
/// (`economy::an_order_redaction_reads_nothing_apply_has_already_read`), and the plan's cost line can
/// use it. Reading the order to plan it (two `GET`s when read by ID, its share of a discovery page
/// otherwise) is the listing's, not counted here.
pub const fn redaction_requests(shipping_addresses: usize, addresses_read: bool) -> usize {
    let read_addresses = if addresses_read { 0 } else { 1 };
    1 + read_addresses + shipping_addresses + 2
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

    /// Which of `ids` exist now (orders: each read with its shipping addresses, so
    /// [`Live::is_done`] can tell whether it is redacted). Never a partial result: an error means
    /// nothing is known.
    fn list(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> impl Future<Output = Result<Live, Self::ListError>>;

    /// Discovery (PRODUCT §15): the orders linked now to each of `customers` (in `Live::orders`).
    /// Never a partial result.
    fn orders_of(&self, customers: &[u32]) -> impl Future<Output = Result<Live, Self::ListError>>;

    /// Carry out the change of `resource` on exactly `ids` (1..=[`max_ids_per_request`]): delete
    /// customers and subscribers, redact an order. `read` is what the listing that made the plan
    /// found, so nothing it holds is read again (an order's IP fields and shipping addresses:
    /// [`redaction_requests`]). `Ok` means accepted, not proven: apply lists again to verify
    /// ([`Live::is_done`]).
    fn carry_out(
        &self,
        resource: Resource,
        ids: &[u32],
        read: &Live,
    ) -> impl Future<Output = Result<(), DeleteError>>;
}

/// Why a change request (a DELETE, or an order redaction's PUTs) did not end in a 2xx, as apply acts
/// on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    /// The request was too large for the API (413/414): nothing was deleted; send smaller pieces.
    #[error("{message}")]
    TooLarge {
        /// The API's words, with the request line.
        message: String,
    },
    /// The API refused the request because of some of its IDs (422): nothing was deleted. `ids` are the
    /// IDs it named, each with the API's message for it (empty when it named none: bisect to find them).
    #[error("{message}")]
    Rejected {
        ids: BTreeMap<u32, String>,
        message: String,
    },
    /// Every later request would fail alike (authorization, unknown store, a redirect, a bad
    /// configuration): nothing was deleted; stop the run. `status` is the HTTP status, if there was one.
    #[error("{message}")]
    Refused {
        status: Option<u16>,
        message: String,
    },
    /// Provably not carried out (every attempt was refused a connection or rate limited): nothing was
    /// deleted by this request; other batches may still go through.
    #[error("{message}")]
    NotDone { message: String },
    /// May have been carried out (a 5xx, a timeout or a connection lost after sending, on any
    /// attempt): the IDs must be listed again before anything is recorded.
    #[error("{message}")]
    Unknown { message: String },
}

impl DeleteError {
    /// Whether the store may have carried the request out.
    pub fn may_have_deleted(&self) -> bool {
        matches!(self, DeleteError::Unknown { .. })
    }

    /// The message, with the request and the API's words.
    pub fn message(&self) -> &str {
        match self {
            DeleteError::TooLarge { message }
            | DeleteError::Rejected { message, .. }
            | DeleteError::Refused { message, .. }
            | DeleteError::NotDone { message }
            | DeleteError::Unknown { message } => message,
        }
    }
}

#[cfg(test)]
mod tests {
    /// The seam is the domain floor: `api` depends on it, never the other way round.
    #[test]
    fn the_seam_names_nothing_from_api() {
        let source = include_str!("store.rs");
        assert!(
            !source.contains(concat!("crate::", "api")),
            "store.rs names api"
        );
    }
}
