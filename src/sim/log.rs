//! The request log: every request the fake store received, rejected ones included, in arrival order,
//! so tests can assert what a client actually sent (how many GETs and DELETEs, which `id:in`, whether a
//! 429 was respected) rather than trusting the client's own account.

use std::sync::Mutex;
use std::time::Duration;

use crate::Resource;

/// One request as the fake store saw it. The access token itself is never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `DELETE`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string (without `?`), as sent, `""` when none.
    pub query: String,
    /// The `id:in` IDs, when the parameter was present and valid.
    pub ids: Option<Vec<u32>>,
    /// The status answered; 0 while the request is still in progress (a `Hostile::Hang` request stays
    /// 0 until the server stops) and for a request answered by closing the connection
    /// (`Faults::drop_after_delete`).
    pub status: u16,
    /// Arrival time, since the server started.
    pub at: Duration,
    /// Whether `X-Auth-Token` held one of the two valid tokens.
    pub token_valid: bool,
    /// The IDs this request actually deleted (empty for all but successful, non-lying DELETEs).
    pub deleted: Vec<u32>,
    /// The `User-Agent` header, if sent.
    pub user_agent: Option<String>,
    /// The resource the path names (`/v3/customers` or `/v3/customers/subscribers[/{id}]` of any store
    /// hash); `None` for any other path. `deleted` holds IDs of this resource.
    pub resource: Option<Resource>,
    /// The `{subscriber_id}` of a `/v3/customers/subscribers/{id}` path.
    pub subscriber_id: Option<u32>,
}

impl RecordedRequest {
    /// Whether this is a `DELETE` of the subscribers *collection* (`/v3/customers/subscribers`, any
    /// store, any query, trailing slashes included, whatever it was answered): the request that wipes
    /// every subscriber, which bcprune must never send.
    pub fn is_subscriber_collection_delete(&self) -> bool {
        self.method.eq_ignore_ascii_case("DELETE") && is_subscribers_collection(&self.path)
    }
}

impl RecordedRequest {
    /// Whether this is a `DELETE` of the orders *collection* (`/v2/orders`, any store, any query,
    /// trailing slashes included, whatever it was answered): the request that archives every order.
    pub fn is_order_collection_delete(&self) -> bool {
        let trimmed = self.path.trim_end_matches('/').to_ascii_lowercase();
        self.method.eq_ignore_ascii_case("DELETE")
            && trimmed.starts_with("/stores/")
            && trimmed.ends_with("/v2/orders")
    }

    /// Whether the path is a V2 orders path (`/stores/{hash}/v2/orders…`).
    pub fn is_order_request(&self) -> bool {
        self.path.starts_with("/stores/") && self.path.contains("/v2/orders")
    }
}

/// `/stores/{anything}/v3/customers/subscribers`, ignoring trailing slashes and letter case.
pub(crate) fn is_subscribers_collection(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/').to_ascii_lowercase();
    trimmed.starts_with("/stores/") && trimmed.ends_with("/v3/customers/subscribers")
}

/// The append-only list of recorded requests.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl RequestLog {
    /// Record an arriving request; returns its index for [`RequestLog::finish`].
    pub fn push(&self, entry: RecordedRequest) -> usize {
        let mut entries = lock(&self.entries);
        entries.push(entry);
        entries.len() - 1
    }

    /// Complete the entry at `index` once its outcome is known.
    pub fn finish(&self, index: usize, f: impl FnOnce(&mut RecordedRequest)) {
        if let Some(entry) = lock(&self.entries).get_mut(index) {
            f(entry);
        }
    }

    /// A copy of every entry, in arrival order.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        lock(&self.entries).clone()
    }
}

/// Lock a mutex, recovering the data if a panicking thread poisoned it: the sim's data stays
/// consistent because every critical section is a few plain assignments.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
