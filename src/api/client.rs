//! The HTTP client: builds the requests, sends them through the pacer and the retry loop, reads
//! bodies with a size cap, and turns answers into [`Live`] or typed errors.
//!
//! Every request goes through [`Client::send`]: take a parallelism slot, take a pacer ticket, send
//! with a per-attempt timeout covering the whole body, feed the rate-limit headers back to the pacer,
//! then decide: done, a typed error (never retried), or retry after a wait. Redirects are not
//! followed, because following one would resend `X-Auth-Token` to wherever it points.
//!
//! Cancel-safety: dropping a `list` or `delete` future stops at the next await; its slot and pacer
//! ticket are released by `Drop`. A DELETE already on the wire may or may not have been applied by
//! the store (apply re-lists to verify, so that is safe). `list` never returns a partial result.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::error::{ApiError, sanitize};
use super::listing::{Accept, PAGE_LIMIT, PageError, Walk, check_records, only_asked};
use super::pacer::Pacer;
use super::retry::{Backoff, RetryPolicy, rate_limit_wait, small_jitter};
use super::scrub::Scrubber;
use super::token::Token;
use super::{Live, LiveCustomer};
use crate::{CustomerId, Resource};

/// The `User-Agent` BigCommerce asks integrations to send, so they can tell who is calling.
pub const USER_AGENT: &str = concat!(
    "bcprune/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/bcprune/bcprune)"
);

/// The longest a connection (TCP and TLS) may take to open, at most the request timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an error response (4xx/5xx) is read: enough for the API's JSON error, no more.
pub(super) const ERROR_BODY_CAP: usize = 64 * 1024;

/// Everything a [`Client`] needs. Start from [`ClientConfig::new`] and adjust the public fields.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://api.bigcommerce.com` (a trailing `/` is fine).
    pub api_url: String,
    /// The store hash: letters, digits, `-` and `_` only.
    pub store_hash: String,
    /// The access token, sent as `X-Auth-Token`.
    pub token: Token,
    /// Requests in flight at most (default 3, BigCommerce's historical concurrency advice).
    pub parallelism: usize,
    /// Per attempt, from sending to the last byte of the body (default 30 s).
    pub timeout: Duration,
    /// Retries and back-off.
    pub retry: RetryPolicy,
    /// The largest successful response body read (default 16 MiB; a page of 250 customers is far less).
    pub max_body_bytes: usize,
    /// Where `api_url` came from (`--api-url`, `BIGCOMMERCE_API_URL`, `the default`), named when
    /// nothing can connect to it (PRODUCT §17); `None` when the caller does not know.
    pub api_url_origin: Option<&'static str>,
    /// Told about rate-limit waits and answers, for a progress display; `None`: nobody.
    pub observer: Option<super::pacer::Observe>,
}

impl ClientConfig {
    /// A configuration with the defaults: parallelism 3, 30 s timeout, default retries, 16 MiB cap.
    pub fn new(api_url: impl Into<String>, store_hash: impl Into<String>, token: Token) -> Self {
        ClientConfig {
            api_url: api_url.into(),
            store_hash: store_hash.into(),
            token,
            parallelism: 3,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_body_bytes: 16 * 1024 * 1024,
            api_url_origin: None,
            observer: None,
        }
    }
}

/// What the client did, for `-v` output and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// GET requests sent (every attempt counts).
    pub get_requests: u64,
    /// DELETE requests sent (every attempt counts).
    pub delete_requests: u64,
    /// Attempts that were retries of an earlier failed attempt.
    pub retries: u64,
    /// 429 responses received.
    pub rate_limited: u64,
    /// Time requests spent waiting for the pacer (summed over concurrent requests).
    pub pacer_wait: Duration,
    /// Time spent waiting before retries (summed over concurrent requests).
    pub retry_wait: Duration,
}

/// The Customers V3 API client. Share it by reference between concurrent futures; it is `Send + Sync`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    /// `{api_url}/stores/{store_hash}/v3/customers`, no trailing slash.
    collection: String,
    host: String,
    auth: HeaderValue,
    /// Removes the token from every server text before it reaches an error or a log line.
    pub(super) scrub: Scrubber,
    parallelism: usize,
    timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: usize,
    slots: Semaphore,
    pacer: Pacer,
    stats: Mutex<Stats>,
    /// `http://…, the API URL from --api-url`: what a connection failure names (PRODUCT §17).
    reach: String,
}

/// The filter of a listing GET. There is no filter-less listing, and no listing is ever a DELETE.
pub(super) enum Filter<'a> {
    /// `id:in=1,2,3` (at most [`PAGE_LIMIT`] IDs).
    Ids(&'a [u32]),
    /// `email:in=<percent-encoded emails, comma-separated>` (customers).
    EmailIn { encoded: String, count: usize },
    /// `email=<one percent-encoded email>` (subscribers).
    Email { encoded: String },
}

/// The end of one attempt.
enum Attempt {
    /// A 2xx answer with its body.
    Done(u16, Vec<u8>),
    /// Stop now with this error (4xx, invalid answer).
    Fatal(ApiError),
    /// 429: wait what the headers say (if usable), then retry.
    RateLimited(Option<Duration>, String),
    /// 5xx, timeout, a body cut off: back off, then retry.
    Retry(Option<u16>, String),
    /// Nothing reached the server (connection refused, unreachable, DNS): retry briefly
    /// ([`RetryPolicy::connect_waits`]), then give up.
    Unreachable(String),
}

impl Client {
    /// Check the configuration and build the client. Sends nothing.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let hash = config.store_hash.trim();
        if hash.is_empty()
            || !hash
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ApiError::Config(format!(
                "store hash {:?} is not valid: use the letters and digits from the store's API path \
                 (/stores/<hash>/v3), via --store-hash or BIGCOMMERCE_STORE_HASH",
                sanitize(hash)
            )));
        }
        let base = config.api_url.trim().trim_end_matches('/');
        let parsed = Url::parse(base).map_err(|e| bad_url(base, &e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad_url(
                base,
                "it must be an http:// or https:// URL with a host",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad_url(base, "it must not have a query or fragment"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // Not echoed: the credentials in it are a secret.
            return Err(ApiError::Config(format!(
                "the API URL for {:?} holds a user name or password: remove it from --api-url or \
                 BIGCOMMERCE_API_URL (the access token goes in BIGCOMMERCE_ACCESS_TOKEN only)",
                sanitize(parsed.host_str().unwrap_or(""))
            )));
        }
        if parsed.scheme() == "http" && !is_loopback(&parsed) {
            // BigCommerce answers http with a redirect, but the request (and X-Auth-Token in it)
            // would already have crossed the network in clear.
            return Err(ApiError::Config(format!(
                "refusing plain http:// for {:?}: the access token would be sent unencrypted. Use \
                 https:// (e.g. https://api.bigcommerce.com) via --api-url or BIGCOMMERCE_API_URL; \
                 http:// is accepted only for this machine (localhost, 127.0.0.0/8, ::1)",
                sanitize(parsed.host_str().unwrap_or(""))
            )));
        }
        let collection = format!("{base}/stores/{hash}/v3/customers");
        Url::parse(&collection).map_err(|e| bad_url(base, &e.to_string()))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        if config.parallelism == 0 {
            return Err(ApiError::Config("parallelism must be at least 1".into()));
        }
        if config.max_body_bytes < 1024 {
            return Err(ApiError::Config(
                "the response size cap must be at least 1 KiB".into(),
            ));
        }
        if config.timeout.is_zero() {
            return Err(ApiError::Config(
                "the request timeout must be above zero".into(),
            ));
        }
        let auth = config.token.header_value()?;
        let scrub = config.token.scrubber();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut builder = reqwest::Client::builder();
        if is_loopback(&parsed) {
            // The embedded demo store and the tests listen on 127.0.0.1: a proxy from HTTP_PROXY
            // could not reach them, and must not see the token.
            builder = builder.no_proxy();
        }
        let http = builder
            .user_agent(USER_AGENT)
            .default_headers(headers)
            // Never follow a redirect: it would carry X-Auth-Token to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            // A host that drops packets is given up like a closed port (connect failures follow
            // the short connect schedule), not after the full request timeout each time.
            .connect_timeout(config.timeout.min(CONNECT_TIMEOUT))
            .timeout(config.timeout)
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            collection,
            host,
            auth,
            scrub,
            parallelism: config.parallelism,
            timeout: config.timeout,
            retry: RetryPolicy {
                max_attempts: config.retry.max_attempts.max(1),
                ..config.retry
            },
            max_body_bytes: config.max_body_bytes,
            slots: Semaphore::new(config.parallelism),
            pacer: Pacer::new(config.retry.max_wait).with_observer(config.observer.clone()),
            stats: Mutex::new(Stats::default()),
            reach: match config.api_url_origin {
                Some(origin) => format!("{}, the API URL from {origin}", sanitize(base)),
                None => sanitize(base),
            },
        })
    }

    /// The API host (and port, if not the default), as recorded in a saved plan.
    pub fn api_host(&self) -> String {
        self.host.clone()
    }

    /// `{api_url}/stores/{store_hash}/v3/customers`, no trailing slash.
    pub(super) fn collection_url(&self) -> &str {
        &self.collection
    }

    /// Requests in flight at most.
    pub(super) fn parallelism(&self) -> usize {
        self.parallelism
    }

    /// The store's rate-limit quota as its last response announced it (requests per window), when its
    /// headers said so: what a plan's cost estimate is computed at (PRODUCT §17).
    pub fn quota(&self) -> Option<(u64, Duration)> {
        self.pacer.quota()
    }

    /// A snapshot of the counters so far.
    pub fn stats(&self) -> Stats {
        self.stats_lock().clone()
    }

    /// List which of `ids` exist now, with `GET ?id:in=<≤250 ids>&limit=250` (⌈N/250⌉ requests for N
    /// distinct IDs, at most `parallelism` at once, more pages followed if the API says so). Every
    /// answer is checked; any failure fails the whole listing, never a partial [`Live`].
    pub async fn list(&self, ids: &[CustomerId]) -> Result<Live, ApiError> {
        let mut live = Live::default();
        for customer in self.list_by_id(Resource::Customer, ids).await? {
            live.customers.insert(customer.id, customer);
        }
        Ok(live)
    }

    /// The records of `resource` with these IDs that exist now: ⌈N/250⌉ `id:in` GETs, at most
    /// `parallelism` at once, each checked; all or nothing.
    pub(super) async fn list_by_id(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> Result<Vec<LiveCustomer>, ApiError> {
        let ids = sorted_unique(ids);
        let mut found = Vec::new();
        // Futures collected first (they are lazy: nothing runs before polled), so that no closure
        // with a borrowed argument lives across an await, which would make this future !Send.
        let chunks: Vec<_> = ids
            .chunks(PAGE_LIMIT)
            .map(|c| self.list_chunk(resource, c))
            .collect();
        let mut pending = futures_util::stream::iter(chunks).buffer_unordered(self.parallelism);
        while let Some(result) = pending.next().await {
            found.extend(result?);
        }
        Ok(found)
    }

    async fn list_chunk(
        &self,
        resource: Resource,
        ids: &[u32],
    ) -> Result<Vec<LiveCustomer>, ApiError> {
        let asked: BTreeSet<u32> = ids.iter().copied().collect();
        let accept = only_asked(resource, &asked);
        let query = Filter::Ids(ids);
        self.list_pages(resource, &query, asked.len(), &accept)
            .await
    }

    /// Follow the pages of one filtered GET to the last page its pagination states, checking each
    /// page (`accept` decides whether a record belongs to the filter) and the pagination of all of
    /// them together ([`Walk`]: figures that contradict each other or what was read make the whole
    /// listing invalid). `most` is how many records the filter can match at most: a listing that
    /// says more matched is invalid too (it would never end).
    pub(super) async fn list_pages(
        &self,
        resource: Resource,
        filter: &Filter<'_>,
        most: usize,
        accept: &Accept<'_>,
    ) -> Result<Vec<LiveCustomer>, ApiError> {
        let mut seen = BTreeSet::new();
        let mut walk = Walk::default();
        let mut found = Vec::new();
        let mut page: u32 = 1;
        loop {
            let (url, label) = self.list_url(resource, filter, page)?;
            let (status, body) = self
                .send(Method::GET, url, &label, self.max_body_bytes)
                .await?;
            let invalid = |problem: &str| ApiError::invalid(&self.scrub, &label, status, problem);
            if status != 200 {
                return Err(invalid(&format!(
                    "expected HTTP 200 with a list of {}s",
                    resource.as_str()
                )));
            }
            let checked = check_records(&body, page, resource, &mut seen, accept, &mut walk, most)
                .map_err(|problem| invalid(&problem.to_string()))?;
            found.extend(checked.records);
            if !checked.more {
                return Ok(found);
            }
            page = page
                .checked_add(1)
                .ok_or_else(|| invalid(&PageError::TooManyPages.to_string()))?;
        }
    }

    /// The URL of one page of a filtered GET on `resource`'s collection, and its loggable label:
    /// IDs abbreviated, emails never shown (they are personal data; the label ends up in errors).
    fn list_url(
        &self,
        resource: Resource,
        filter: &Filter<'_>,
        page: u32,
    ) -> Result<(Url, String), ApiError> {
        let path = match resource {
            Resource::Customer => self.collection.clone(),
            Resource::Subscriber => format!("{}/subscribers", self.collection),
        };
        let page = if page > 1 {
            format!("&page={page}")
        } else {
            String::new()
        };
        let (query, shown) = match filter {
            Filter::Ids(ids) => (
                format!("id:in={}", join_ids(ids)),
                format!("id:in={}", short_ids(ids)),
            ),
            Filter::EmailIn { encoded, count } => (
                format!("email:in={encoded}"),
                format!(
                    "email:in=({count} email{})",
                    if *count == 1 { "" } else { "s" }
                ),
            ),
            Filter::Email { encoded } => (format!("email={encoded}"), "email=(1 email)".to_owned()),
        };
        let url = Url::parse(&format!("{path}?{query}&limit={PAGE_LIMIT}{page}"))
            .map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))?;
        let label = format!("GET {}?{shown}&limit={PAGE_LIMIT}{page}", url.path());
        Ok((url, label))
    }

    /// Delete exactly `ids` with one logical `DELETE ?id:in=…` (retried on 429/5xx/network errors;
    /// deleting by ID list is idempotent). An empty list is refused without sending anything.
    /// 413/414/422 and other 4xx come back as [`ApiError::Status`] carrying the API's `errors` map,
    /// for the caller to split or bisect the batch. A 2xx means "accepted", not "proven deleted".
    pub async fn delete(&self, ids: &[CustomerId]) -> Result<(), ApiError> {
        if ids.is_empty() {
            return Err(ApiError::EmptyDelete);
        }
        let ids = sorted_unique(ids);
        let (url, label) = self.url(&Method::DELETE, &ids, 1)?;
        self.send(Method::DELETE, url, &label, ERROR_BODY_CAP)
            .await
            .map(|_| ())
    }

    /// The request URL (`id:in` with a literal `:` and literal commas) and its loggable label (IDs
    /// abbreviated; nothing secret is ever in a URL).
    fn url(
        &self,
        method: &Method,
        ids: &[CustomerId],
        page: u32,
    ) -> Result<(Url, String), ApiError> {
        let list = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let short = if ids.len() <= 6 {
            list.clone()
        } else {
            let head = ids[..3].iter().map(u32::to_string).collect::<Vec<_>>();
            format!("{},…({} IDs)", head.join(","), ids.len())
        };
        let (query, label_query) = if *method == Method::GET {
            let page = if page > 1 {
                format!("&page={page}")
            } else {
                String::new()
            };
            (
                format!("id:in={list}&limit={PAGE_LIMIT}{page}"),
                format!("id:in={short}&limit={PAGE_LIMIT}{page}"),
            )
        } else {
            (format!("id:in={list}"), format!("id:in={short}"))
        };
        let url = Url::parse(&format!("{}?{query}", self.collection))
            .map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))?;
        let label = format!("{method} {}?{label_query}", url.path());
        Ok((url, label))
    }

    /// Send with pacing and retries until a 2xx (returned with its body) or a final error.
    ///
    /// The last line of defence against a mass deletion: a DELETE whose URL does not name its
    /// records (a non-empty `id:in` on the customers collection, or one subscriber by its path) is
    /// refused here, before anything is sent, whoever built it.
    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        label: &str,
        body_cap: usize,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        if method == Method::DELETE && !self.names_its_records(&url) {
            return Err(ApiError::Config(format!(
                "refusing to send DELETE {}: bcprune deletes customers only by a non-empty id:in and \
                 subscribers only one by one by ID, never a collection (it could delete every record \
                 of the store); this is a bug in bcprune, please report it",
                url.path()
            )));
        }
        let mut backoff = Backoff::new(&self.retry);
        let connect_waits = self.retry.connect_waits();
        let mut unreachable = 0usize;
        let mut rate_limited_in_a_row = 0u32;
        let mut attempt = 0u32;
        // Whether any attempt may have been carried out (5xx, timeout, connection lost after sending).
        let mut may_have_acted = false;
        // The last attempt reached nothing (refused, unreachable, DNS).
        let mut connect_failed;
        loop {
            attempt += 1;
            connect_failed = false;
            let (wait, last_status, last) = match self.attempt(&method, &url, label, body_cap).await
            {
                Attempt::Done(status, body) => return Ok((status, body)),
                // A refusal of a retried DELETE says nothing of the attempt that may have acted.
                Attempt::Fatal(error) if may_have_acted && method == Method::DELETE => {
                    return Err(ApiError::RefusedAfterUnknown {
                        attempts: attempt,
                        then: Box::new(error),
                    });
                }
                Attempt::Fatal(error) => return Err(error),
                Attempt::RateLimited(header_wait, last) => {
                    rate_limited_in_a_row += 1;
                    let wait = match header_wait {
                        Some(wait) if rate_limited_in_a_row == 1 => wait + small_jitter(wait),
                        // Still limited after waiting as told: wait longer each time.
                        Some(wait) => (wait + small_jitter(wait)).max(backoff.next_wait()),
                        None => backoff.next_wait(),
                    }
                    .min(self.retry.max_wait);
                    self.pacer.block_until(Instant::now() + wait);
                    self.pacer.announce(Instant::now() + wait);
                    (Some(wait), Some(429), last)
                }
                Attempt::Retry(status, last) => {
                    rate_limited_in_a_row = 0;
                    may_have_acted = true;
                    (
                        Some(backoff.next_wait().min(self.retry.max_wait)),
                        status,
                        last,
                    )
                }
                Attempt::Unreachable(last) => {
                    rate_limited_in_a_row = 0;
                    connect_failed = true;
                    unreachable += 1;
                    // None past the short connect schedule: give up now.
                    (connect_waits.get(unreachable - 1).copied(), None, last)
                }
            };
            let last = self.scrub.text(&last);
            let wait = match wait {
                Some(wait) if attempt < self.retry.max_attempts => wait,
                _ => {
                    tracing::debug!(request = label, attempts = attempt, last = %last, "giving up");
                    let error = ApiError::exhausted(
                        &self.scrub,
                        label,
                        attempt,
                        last_status,
                        &last,
                        may_have_acted,
                    );
                    return Err(if connect_failed {
                        error.reached_nothing(&self.reach)
                    } else {
                        error
                    });
                }
            };
            // Announced at warn, which stderr shows by default: a slow run says why it is slow.
            tracing::warn!(
                "{label}: attempt {attempt} failed ({last}); retrying in {}",
                human_wait(wait)
            );
            {
                let mut stats = self.stats_lock();
                stats.retries += 1;
                stats.retry_wait += wait;
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, method: &Method, url: &Url, label: &str, body_cap: usize) -> Attempt {
        let Ok(_slot) = self.slots.acquire().await else {
            return Attempt::Fatal(ApiError::Config("the client was shut down".into()));
        };
        let (ticket, waited) = self.pacer.acquire().await;
        {
            let mut stats = self.stats_lock();
            stats.pacer_wait += waited;
            if *method == Method::DELETE {
                stats.delete_requests += 1;
            } else {
                stats.get_requests += 1;
            }
        }
        let started = Instant::now();
        let request = self
            .http
            .request(method.clone(), url.clone())
            .header("x-auth-token", self.auth.clone());
        let result = tokio::time::timeout(self.timeout, async {
            let mut response = request.send().await.map_err(|e| (None, e))?;
            self.pacer.observe(&ticket, response.headers());
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let cap = if response.status().is_success() {
                body_cap
            } else {
                ERROR_BODY_CAP
            };
            let (body, over) = read_capped(&mut response, cap)
                .await
                .map_err(|e| (Some(status), e))?;
            Ok((status, headers, body, over))
        })
        .await;
        drop(ticket);
        if matches!(result, Ok(Ok(_))) {
            self.pacer.answered();
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (status, headers, body, over) = match result {
            Err(_) => {
                tracing::debug!(request = label, elapsed_ms, "timed out");
                return Attempt::Retry(
                    None,
                    format!("no complete response within {:?} (timeout)", self.timeout),
                );
            }
            Ok(Err((status, error))) => {
                tracing::debug!(request = label, elapsed_ms, ?status, "transport error");
                if status.is_none() && error.is_connect() {
                    // Nothing was sent (refused, unreachable, DNS, TLS, connect timeout).
                    return Attempt::Unreachable(describe(error));
                }
                if error.is_timeout() {
                    return Attempt::Retry(
                        status,
                        format!("no complete response within {:?} (timeout)", self.timeout),
                    );
                }
                if error.is_builder() || error.is_redirect() {
                    return Attempt::Fatal(ApiError::from_server(&self.scrub, &describe(error)));
                }
                return match status {
                    Some(status) => Attempt::Retry(
                        Some(status),
                        format!(
                            "HTTP {status} but the body was cut off: {}",
                            describe(error)
                        ),
                    ),
                    None => Attempt::Retry(None, describe(error)),
                };
            }
            Ok(Ok(answer)) => answer,
        };
        tracing::debug!(
            request = label,
            status,
            elapsed_ms,
            bytes = body.len(),
            "response"
        );
        match status {
            // A DELETE's body is not used, so its size does not matter.
            200..=299 if over && *method == Method::GET => Attempt::Fatal(ApiError::invalid(
                &self.scrub,
                label,
                status,
                &format!(
                    "the body is larger than {body_cap} bytes, far more than any page of records"
                ),
            )),
            200..=299 => Attempt::Done(status, body),
            429 => {
                self.stats_lock().rate_limited += 1;
                let wait = rate_limit_wait(&headers, self.retry.max_wait);
                Attempt::RateLimited(
                    wait,
                    format!("HTTP 429 Too Many Requests{}", self.title_of(&body)),
                )
            }
            500 | 502 | 503 | 504 => Attempt::Retry(
                Some(status),
                format!("HTTP {status}{}", self.title_of(&body)),
            ),
            _ => {
                let (title, errors) = api_error_body(&body);
                Attempt::Fatal(ApiError::status_error(
                    &self.scrub,
                    label,
                    status,
                    title.as_deref(),
                    errors.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                ))
            }
        }
    }

    /// ` "title"` from a JSON error body (scrubbed), or nothing.
    fn title_of(&self, body: &[u8]) -> String {
        match api_error_body(body).0 {
            Some(title) => format!(" \"{}\"", self.scrub.text(&title)),
            None => String::new(),
        }
    }

    /// Whether a DELETE URL names exactly the records it deletes: the customers collection with a
    /// non-empty `id:in` of IDs, or `subscribers/{id}` with a positive ID and no query.
    fn names_its_records(&self, url: &Url) -> bool {
        let Ok(collection) = Url::parse(&self.collection) else {
            return false;
        };
        let collection = collection.path();
        if url.path() == collection {
            return url
                .query()
                .and_then(|q| q.strip_prefix("id:in="))
                .is_some_and(|list| {
                    !list.is_empty()
                        && list
                            .split(',')
                            .all(|id| id.parse::<u32>().is_ok_and(|id| id > 0))
                });
        }
        url.query().is_none()
            && url
                .path()
                .strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix("/subscribers/"))
                .is_some_and(|id| id.parse::<u32>().is_ok_and(|id| id > 0))
    }

    fn stats_lock(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The request a real call would send, for tests of its shape (headers, sensitivity).
    #[cfg(test)]
    pub(crate) fn build_request(&self, ids: &[CustomerId]) -> reqwest::Request {
        let (url, _) = self.url(&Method::GET, ids, 1).expect("url");
        self.http
            .request(Method::GET, url)
            .header("x-auth-token", self.auth.clone())
            .build()
            .expect("request")
    }
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn bad_url(url: &str, why: &str) -> ApiError {
    ApiError::Config(format!(
        "API URL {:?} is not usable ({why}): use e.g. https://api.bigcommerce.com via --api-url or \
         BIGCOMMERCE_API_URL",
        sanitize(url)
    ))
}

/// Read at most `cap` bytes of the body, chunk by chunk (decompressed), never buffering more.
/// Returns the bytes and whether the body was longer than `cap` (the rest is not read).
async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Ok((Vec::new(), true));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            let room = cap - body.len();
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// A transport error in words, without the URL (long, and already in the request label).
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the response body could not be read"
    } else {
        "the request failed"
    };
    let error = error.without_url();
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // Scrubbed (and neutralised) where it becomes an error or a log line.
    text
}

/// A retry wait for people: `750 ms`, `2.5 s`.
fn human_wait(wait: Duration) -> String {
    if wait < Duration::from_secs(1) {
        format!("{} ms", wait.as_millis())
    } else {
        format!("{:.1} s", wait.as_secs_f64())
    }
}

/// `1,2,3` for a URL.
fn join_ids(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The IDs for a label: all of up to six, else the first three and the count.
fn short_ids(ids: &[u32]) -> String {
    if ids.len() <= 6 {
        join_ids(ids)
    } else {
        format!("{},…({} IDs)", join_ids(&ids[..3]), ids.len())
    }
}

/// The API's `title` (or V2-style `message`) and `errors` map from an error body, raw: the
/// constructors of [`ApiError`] scrub them.
fn api_error_body(body: &[u8]) -> (Option<String>, std::collections::BTreeMap<String, String>) {
    let mut errors = std::collections::BTreeMap::new();
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, errors);
    };
    let title = ["title", "message"]
        .iter()
        .find_map(|key| object.get(*key).and_then(|v| v.as_str()))
        .map(str::to_owned);
    if let Some(serde_json::Value::Object(map)) = object.get("errors") {
        for (key, value) in map.iter().take(1000) {
            let message = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            errors.insert(key.clone(), message);
        }
    }
    (title, errors)
}

/// The IDs in ascending order, each once: requests are deterministic and never repeat an ID.
fn sorted_unique(ids: &[CustomerId]) -> Vec<CustomerId> {
    ids.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
