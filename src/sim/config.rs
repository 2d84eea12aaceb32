//! The fake store's knobs: one plain struct, fixed when the server starts, so a test states in one place
//! which real-API behaviour (or which documented uncertainty, API-NOTES §7) it wants to face.
//! Knobs a test must flip while a run is in progress live in [`super::faults::Faults`] instead.

use std::collections::BTreeSet;
use std::time::Duration;

/// What `GET` answers when `limit` is above 250 (the real V3 customers behaviour is undocumented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverLimit {
    /// `413 {"status":413,"title":"The specified limit exceeds the maximum allowed.",…}` (seen on V2).
    #[default]
    Status413,
    /// `422` with the `Error` body.
    Status422,
    /// Silently serve 250 per page (`per_page: 250`).
    Clamp,
}

/// What `DELETE` answers for IDs that do not exist (undocumented for the real API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownIds {
    /// Ignore them: delete the others and answer 204.
    #[default]
    Ignore,
    /// Answer `422 "Bulk operation has failed"` naming each unknown ID, and delete nothing.
    Reject422,
}

/// What `DELETE` answers for an empty or non-numeric `id:in` (undocumented for the real API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvalidIdIn {
    /// `422` with the `Error` body.
    #[default]
    Status422,
    /// `204`, nothing deleted (as when `id:in` is missing altogether).
    NoOp204,
}

/// What a trailing slash or an unknown path answers (API-NOTES §1.1: once observed as 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownPath {
    /// `404` with a `{status,title,type}` body.
    #[default]
    NotFound404,
    /// `403 {"status":403,"title":"Authentication Required",…}` as observed in 2017.
    AuthenticationRequired403,
}

/// How the store compares the emails of `GET /customers?email:in=`, `GET /customers/subscribers?email=`
/// and `GET /v2/orders?email=` (an order's billing email) with its records. The real behaviour is undocumented (API-NOTES §10 \[U\]); §7 says `email:in` "matches
/// exactly", so that is the default: the pessimistic case, where a client that queries only the address
/// as typed (`Jane@…`) misses the record stored as `jane@…`. A client that also queries the lower-cased
/// address (PRODUCT §8) finds it in both modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmailMatch {
    /// Byte-for-byte equal.
    #[default]
    Exact,
    /// Equal ignoring case as a database collation folds it ([`collate`](super::collate)): Unicode
    /// case (`K` KELVIN SIGN is `k`), fullwidth letters as their ASCII forms, `ſ` LONG S as `s`. A
    /// real store may fold this way, so a lookup for `\u{212A}ane@…` answers `kane@…`'s records: the
    /// client must not take them (PRODUCT §14).
    IgnoreCase,
}

/// What `DELETE /customers/subscribers/{id}` answers for an ID that does not exist. The spec documents
/// only `204` for this operation (its `GET` documents a 404), so 204 is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownSubscriber {
    /// `204`, nothing changes (the only response the spec lists).
    #[default]
    NoContent204,
    /// `404` with the `NotFound` body, as the spec's `GET` of one subscriber does.
    NotFound404,
}

/// A seeded record a test replaces: this ID has this email on this channel (see
/// [`SimConfig::customer_with_email`], [`SimConfig::subscriber_with_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededEmail {
    /// The record's ID (inside or outside the seeded range `1..=n`).
    pub id: u32,
    /// Its email, stored exactly as given (case included).
    pub email: String,
    /// Its channel: a customer's `origin_channel_id`/`channel_ids`, a subscriber's `channel_id`.
    pub channel_id: u32,
}

/// A way for successful listings (`GET /customers` and `GET /customers/subscribers`) to misbehave, to
/// test the client's defences. Only GETs that would otherwise answer 200 are affected; everything else
/// behaves normally. For subscribers, "customer" below reads "subscriber".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// Status 200, `content-type: application/json`, a body that is not JSON.
    BadJson,
    /// Status 200 with an HTML error page (`content-type: text/html`), as a misconfigured proxy sends.
    Html200,
    /// Status 502 with an HTML error page, as a load balancer sends.
    Html502,
    /// The first half of the real body, then the connection is cut (the HTTP message never completes).
    TruncatedBody,
    /// Status 200, a valid JSON document of about this many bytes (streamed, chunked), e.g. 50 MB.
    HugeBody(usize),
    /// One extra customer the request did not ask for (an ID outside `id:in`, or past the page).
    ExtraCustomer,
    /// The first customer of the page lacks its `id` field.
    MissingId,
    /// `total_pages` is huge and `links.next` (and the cursor `next`) is always present.
    EndlessPagination,
    /// `total_pages: 0` while `data` holds customers.
    ZeroTotalPages,
    /// Pages of 2 customers whatever the `limit`, each stating `per_page: 2`, the true `total` and
    /// `count`, but `total_pages: 1` and no `next` link: page 1 looks complete and is not (the
    /// figures contradict each other: `total: 3, count: 2, per_page: 2, total_pages: 1`).
    ShortPages,
    /// `total` one more than the customers that match (`total_pages` computed from it), as a store
    /// that lost a record between counting and paging would state: the pages never add up to it.
    TotalBeyondRecords,
    /// `count` one more than the customers the page holds.
    CountBeyondPage,
    /// No response at all: the request hangs until the server is dropped.
    Hang,
    /// Status 200 and the first bytes of the body, then nothing more until the server is dropped.
    StallBody,
}

/// A way for V2 order listings (`GET /v2/orders`) to misbehave. A V2 listing is a bare array with no
/// pagination figures (API-NOTES §11), so a client knows it has every order only from a page shorter
/// than `limit` or a 204; each mode is a way a real server could plausibly break that rule, so a client
/// can be tested against it. Only listings are affected (`GET /v2/orders/{id}`, shipping addresses and
/// every `PUT`/`DELETE` behave normally). Set it with [`SimConfig::hostile_orders`], or at run time with
/// [`super::Faults::hostile_orders`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostileOrders {
    /// Every page answers page 1's orders, whatever `page` says (a cache in front of the store that
    /// ignores the query's `page`): a client that pages until a short page never gets one and must
    /// notice the repeated IDs.
    RepeatedPage,
    /// Every page holds one order fewer than `limit` while more follow (a store that cuts a page and
    /// then drops the archived orders from it): a client that stops at the first short page misses the
    /// rest. With `limit=1` a page holds its one order.
    ShortPageThenMore,
    /// Page 2 answers 204 with no body while page 3 on holds the orders page 2 should have had (every
    /// order of page 2 dropped after the page was cut): a client that stops at the first 204 misses them.
    EmptyPageThenMore,
    /// Every page is full, past the real orders with made-up ones (IDs from [`ENDLESS_ORDER_ID`] on,
    /// matching the filter), however far the client pages: the listing never ends, and a client must
    /// stop at a bound of its own.
    EndlessPages,
}

/// The first made-up order ID of [`HostileOrders::EndlessPages`].
/// (Made-up IDs stop at [`ENDLESS_ORDER_ID_LAST`], millions of pages later, where a shipping address's
/// ID would no longer fit in 32 bits.)
pub const ENDLESS_ORDER_ID: u32 = 100_000_000;

/// The last made-up order ID of [`HostileOrders::EndlessPages`].
pub const ENDLESS_ORDER_ID_LAST: u32 = 400_000_000;

/// The fake store's settings. `Default` is a Standard-plan store `demo42` with 1000 customers and no
/// subscribers (add them with [`SimConfig::subscribers`]), a quota
/// of 150 per 30 s, no latency and no faults; the setters below make test set-ups one line each.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The store hash served; any other gives 404.
    pub store_hash: String,
    /// Number of seeded customers, with IDs `1..=customers`.
    pub customers: u32,
    /// Number of seeded newsletter subscribers, with IDs `1..=subscribers` (their own namespace).
    pub subscribers: u32,
    /// Seeded records whose email (and channel) a test chose: several customers may share one email.
    pub customer_emails: Vec<SeededEmail>,
    /// Seeded subscribers whose email (and channel) a test chose.
    pub subscriber_emails: Vec<SeededEmail>,
    /// How `email:in` (customers) and `email` (subscribers) compare.
    pub email_match: EmailMatch,
    /// What deleting an unknown subscriber ID answers.
    pub unknown_subscriber: UnknownSubscriber,
    /// `DELETE /customers/subscribers/{id}` for any of these answers `422` and deletes nothing.
    pub reject_subscriber_ids: BTreeSet<u32>,
    /// Seed for customer data and for injected faults: the same seed gives the same store.
    pub seed: u64,
    /// Requests per rate-limit window (shared by every client of the store).
    pub quota: u32,
    /// Rate-limit window length; a window starts with the first request after the previous one ended.
    pub window: Duration,
    /// Delay added before every response.
    pub latency: Duration,
    /// Fraction (0..=1) of authenticated requests (customers and subscribers) answered with an injected
    /// 500/502/503/504.
    pub fail_rate: f64,
    /// Fraction (0..=1) of requests answered with a 429 carrying no rate-limit headers ("platform load").
    pub bare_429_rate: f64,
    /// Leave `x-retry-after` out of quota 429s (the validate-credentials behaviour).
    pub omit_retry_after: bool,
    /// Fraction (0..=1) of requests over the quota answered `500` instead of 429 (API-NOTES §2.3: "you
    /// may occasionally receive a `500` for similar scenarios"); the rate-limit headers stay.
    pub over_quota_500_rate: f64,
    /// Most IDs one DELETE may carry; more answers `over_cap_status`. `None`: unlimited.
    pub max_ids_per_delete: Option<usize>,
    /// Status for a DELETE over `max_ids_per_delete`: 413, 414 or 422 (anything else is treated as 413).
    pub over_cap_status: u16,
    /// What `limit` above 250 does.
    pub over_limit: OverLimit,
    /// A DELETE naming any of these answers `422 "Bulk operation has failed"` with
    /// `"errors":{"<id>":"Unauthorized to delete"}` and deletes nothing (see `partial_reject`).
    pub reject_delete_ids: BTreeSet<u32>,
    /// With `reject_delete_ids`: still delete the batch's other IDs before answering 422 (partial failure).
    pub partial_reject: bool,
    /// What DELETE does with IDs that do not exist.
    pub unknown_delete_ids: UnknownIds,
    /// What DELETE does with an empty or non-numeric `id:in`.
    pub invalid_id_in: InvalidIdIn,
    /// What a trailing slash or unknown path answers.
    pub unknown_path: UnknownPath,
    /// Most requests in flight at once; excess requests get a 429 without rate-limit headers.
    pub max_in_flight: Option<usize>,
    /// Make successful GETs misbehave (can also be switched at run time through `faults()`).
    pub hostile: Option<Hostile>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seeded V2 orders, in this order; IDs from [`FIRST_ORDER_ID`] on, consecutively.
    pub orders: Vec<SeededOrders>,
    /// Make V2 order listings misbehave (can also be switched at run time through `faults()`).
    pub hostile_orders: Option<HostileOrders>,
}

/// The first seeded order's ID (order IDs are their own namespace; 100 makes them unlike customer IDs).
pub const FIRST_ORDER_ID: u32 = 100;

/// Whose orders to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOwner {
    /// The customer with this ID (seeded or overridden): its name, email and phone on the orders.
    Customer(u32),
    /// A guest checkout (`customer_id` 0) with this email.
    Guest(String),
}

/// `count` orders of one owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededOrders {
    pub owner: OrderOwner,
    pub count: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            store_hash: "demo42".to_string(),
            customers: 1000,
            subscribers: 0,
            customer_emails: Vec::new(),
            subscriber_emails: Vec::new(),
            email_match: EmailMatch::Exact,
            unknown_subscriber: UnknownSubscriber::NoContent204,
            reject_subscriber_ids: BTreeSet::new(),
            seed: 42,
            quota: 150,
            window: Duration::from_secs(30),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            bare_429_rate: 0.0,
            omit_retry_after: false,
            over_quota_500_rate: 0.0,
            max_ids_per_delete: None,
            over_cap_status: 413,
            over_limit: OverLimit::Status413,
            reject_delete_ids: BTreeSet::new(),
            partial_reject: false,
            unknown_delete_ids: UnknownIds::Ignore,
            invalid_id_in: InvalidIdIn::Status422,
            unknown_path: UnknownPath::NotFound404,
            max_in_flight: None,
            hostile: None,
            port: 0,
            orders: Vec::new(),
            hostile_orders: None,
        }
    }
}

impl SimConfig {
    /// Seed `count` orders of customer `id` (after the orders seeded so far; IDs consecutive).
    pub fn orders_for(mut self, id: u32, count: u32) -> Self {
        self.orders.push(SeededOrders {
            owner: OrderOwner::Customer(id),
            count,
        });
        self
    }

    /// Seed `count` guest orders with this email (after the orders seeded so far).
    pub fn guest_orders(mut self, email: impl Into<String>, count: u32) -> Self {
        self.orders.push(SeededOrders {
            owner: OrderOwner::Guest(email.into()),
            count,
        });
        self
    }

    /// Make V2 order listings misbehave from the start.
    pub fn hostile_orders(mut self, mode: HostileOrders) -> Self {
        self.hostile_orders = Some(mode);
        self
    }

    /// Serve this store hash.
    pub fn store_hash(mut self, hash: impl Into<String>) -> Self {
        self.store_hash = hash.into();
        self
    }

    /// Seed `n` customers, IDs `1..=n`.
    pub fn customers(mut self, n: u32) -> Self {
        self.customers = n;
        self
    }

    /// Seed `n` newsletter subscribers, IDs `1..=n`; about 60% of those with `id <= customers` are the
    /// same person as customer `customers + 1 - id` (same email, name and channel).
    pub fn subscribers(mut self, n: u32) -> Self {
        self.subscribers = n;
        self
    }

    /// Customer `id` has this email on this channel (replacing its seeded email, or added when `id` is
    /// past the seeded range). Call it for several IDs with one email to get one account per channel.
    pub fn customer_with_email(
        mut self,
        id: u32,
        email: impl Into<String>,
        channel_id: u32,
    ) -> Self {
        self.customer_emails.push(SeededEmail {
            id,
            email: email.into(),
            channel_id,
        });
        self
    }

    /// Subscriber `id` has this email on this channel (replacing its seeded email, or added).
    pub fn subscriber_with_email(
        mut self,
        id: u32,
        email: impl Into<String>,
        channel_id: u32,
    ) -> Self {
        self.subscriber_emails.push(SeededEmail {
            id,
            email: email.into(),
            channel_id,
        });
        self
    }

    /// How email filters compare (default: exactly).
    pub fn email_match(mut self, mode: EmailMatch) -> Self {
        self.email_match = mode;
        self
    }

    /// What deleting an unknown subscriber answers (default: 204).
    pub fn unknown_subscriber(mut self, mode: UnknownSubscriber) -> Self {
        self.unknown_subscriber = mode;
        self
    }

    /// Deleting any of these subscribers answers 422 and deletes nothing.
    pub fn reject_subscriber_ids(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.reject_subscriber_ids = ids.into_iter().collect();
        self
    }

    /// Seed for data and faults.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// `quota` requests per `window`.
    pub fn rate_limit(mut self, quota: u32, window: Duration) -> Self {
        self.quota = quota;
        self.window = window;
        self
    }

    /// A quota so large that tests unconcerned with rate limiting never meet it.
    pub fn unlimited(self) -> Self {
        self.rate_limit(u32::MAX, Duration::from_secs(30))
    }

    /// Delay every response by `latency`.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Inject a 5xx into this fraction of authenticated requests (customers and subscribers).
    pub fn fail_rate(mut self, rate: f64) -> Self {
        self.fail_rate = rate;
        self
    }

    /// Answer this fraction of requests with a header-less 429.
    pub fn bare_429_rate(mut self, rate: f64) -> Self {
        self.bare_429_rate = rate;
        self
    }

    /// Leave `x-retry-after` out of quota 429s.
    pub fn omit_retry_after(mut self, omit: bool) -> Self {
        self.omit_retry_after = omit;
        self
    }

    /// Answer this fraction of over-quota requests with 500 instead of 429.
    pub fn over_quota_500_rate(mut self, rate: f64) -> Self {
        self.over_quota_500_rate = rate;
        self
    }

    /// At most `max` IDs per DELETE, else `status` (413, 414 or 422).
    pub fn max_ids_per_delete(mut self, max: usize, status: u16) -> Self {
        self.max_ids_per_delete = Some(max);
        self.over_cap_status = status;
        self
    }

    /// What `limit` above 250 does.
    pub fn over_limit(mut self, mode: OverLimit) -> Self {
        self.over_limit = mode;
        self
    }

    /// DELETEs naming any of these IDs answer 422.
    pub fn reject_delete_ids(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.reject_delete_ids = ids.into_iter().collect();
        self
    }

    /// With rejected IDs, still delete the rest of the batch.
    pub fn partial_reject(mut self, partial: bool) -> Self {
        self.partial_reject = partial;
        self
    }

    /// What DELETE does with unknown IDs.
    pub fn unknown_delete_ids(mut self, mode: UnknownIds) -> Self {
        self.unknown_delete_ids = mode;
        self
    }

    /// What DELETE does with an empty or non-numeric `id:in`.
    pub fn invalid_id_in(mut self, mode: InvalidIdIn) -> Self {
        self.invalid_id_in = mode;
        self
    }

    /// What unknown paths and trailing slashes answer.
    pub fn unknown_path(mut self, mode: UnknownPath) -> Self {
        self.unknown_path = mode;
        self
    }

    /// Answer requests beyond `max` in flight with a header-less 429.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = Some(max);
        self
    }

    /// Make successful GETs misbehave from the start.
    pub fn hostile(mut self, mode: Hostile) -> Self {
        self.hostile = Some(mode);
        self
    }

    /// Listen on this port of 127.0.0.1 (0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}
