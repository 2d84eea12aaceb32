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
use super::listing::{PAGE_LIMIT, check_page};
use super::pacer::Pacer;
use super::retry::{Backoff, RetryPolicy, rate_limit_wait, small_jitter};
use super::token::Token;
use super::{Live, LiveCustomer};
use crate::CustomerId;

/// The `User-Agent` BigCommerce asks integrations to send, so they can tell who is calling.
pub const USER_AGENT: &str = concat!(
    "bcprune/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/bcprune/bcprune)"
);

/// How much of an error response (4xx/5xx) is read: enough for the API's JSON error, no more.
const ERROR_BODY_CAP: usize = 64 * 1024;

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
    parallelism: usize,
    timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: usize,
    slots: Semaphore,
    pacer: Pacer,
    stats: Mutex<Stats>,
}

/// The end of one attempt.
enum Outcome {
    /// A 2xx answer with its body.
    Done(u16, Vec<u8>),
    /// Stop now with this error (4xx, invalid answer).
    Fatal(ApiError),
    /// 429: wait what the headers say (if usable), then retry.
    RateLimited(Option<Duration>, String),
    /// 5xx, timeout, connection trouble: back off, then retry.
    Retry(Option<u16>, String),
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
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            collection,
            host,
            auth,
            parallelism: config.parallelism,
            timeout: config.timeout,
            retry: RetryPolicy {
                max_attempts: config.retry.max_attempts.max(1),
                ..config.retry
            },
            max_body_bytes: config.max_body_bytes,
            slots: Semaphore::new(config.parallelism),
            pacer: Pacer::new(config.retry.max_wait),
            stats: Mutex::new(Stats::default()),
        })
    }

    /// The API host (and port, if not the default), as recorded in a saved plan.
    pub fn api_host(&self) -> String {
        self.host.clone()
    }

    /// A snapshot of the counters so far.
    pub fn stats(&self) -> Stats {
        self.stats_lock().clone()
    }

    /// List which of `ids` exist now, with `GET ?id:in=<≤250 ids>&limit=250` (⌈N/250⌉ requests for N
    /// distinct IDs, at most `parallelism` at once, more pages followed if the API says so). Every
    /// answer is checked; any failure fails the whole listing, never a partial [`Live`].
    pub async fn list(&self, ids: &[CustomerId]) -> Result<Live, ApiError> {
        let ids = sorted_unique(ids);
        let mut live = Live::default();
        // Futures collected first (they are lazy: nothing runs before polled), so that no closure
        // with a borrowed argument lives across an await, which would make this future !Send.
        let chunks: Vec<_> = ids.chunks(PAGE_LIMIT).map(|c| self.list_chunk(c)).collect();
        let mut pending = futures_util::stream::iter(chunks).buffer_unordered(self.parallelism);
        while let Some(result) = pending.next().await {
            for customer in result? {
                live.customers.insert(customer.id, customer);
            }
        }
        Ok(live)
    }

    async fn list_chunk(&self, ids: &[CustomerId]) -> Result<Vec<LiveCustomer>, ApiError> {
        let asked: BTreeSet<CustomerId> = ids.iter().copied().collect();
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        let mut page_size = PAGE_LIMIT;
        let mut page: u32 = 1;
        loop {
            let (url, label) = self.url(&Method::GET, ids, page)?;
            let (status, body) = self
                .send(Method::GET, url, &label, self.max_body_bytes)
                .await?;
            let invalid = |problem: String| ApiError::InvalidResponse {
                request: label.clone(),
                status,
                problem,
            };
            if status != 200 {
                return Err(invalid("expected HTTP 200 with a list of customers".into()));
            }
            let checked = check_page(&body, page, &asked, &mut seen).map_err(invalid)?;
            if page == 1 {
                // A server that pages by fewer than 250 may legitimately need more pages; a first
                // page that announces another one was full, so its length is the page size.
                page_size = checked.per_page.unwrap_or(if checked.more {
                    checked.customers.len().max(1)
                } else {
                    PAGE_LIMIT
                });
            }
            found.extend(checked.customers);
            if !checked.more || seen.len() == asked.len() {
                return Ok(found);
            }
            // Each page brings new IDs that were asked for, so this many pages always suffice.
            let max_pages = asked.len().div_ceil(page_size.max(1));
            if page as usize >= max_pages {
                return Err(invalid(format!(
                    "pagination never ends: the response announces page {} but {} IDs fit in {} \
                     page(s) of {}",
                    page + 1,
                    asked.len(),
                    max_pages,
                    page_size
                )));
            }
            page += 1;
        }
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
    async fn send(
        &self,
        method: Method,
        url: Url,
        label: &str,
        body_cap: usize,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let mut backoff = Backoff::new(&self.retry);
        let mut rate_limited_in_a_row = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (wait, last_status, last) = match self.attempt(&method, &url, label, body_cap).await
            {
                Outcome::Done(status, body) => return Ok((status, body)),
                Outcome::Fatal(error) => return Err(error),
                Outcome::RateLimited(header_wait, last) => {
                    rate_limited_in_a_row += 1;
                    let wait = match header_wait {
                        Some(wait) if rate_limited_in_a_row == 1 => wait + small_jitter(wait),
                        // Still limited after waiting as told: wait longer each time.
                        Some(wait) => (wait + small_jitter(wait)).max(backoff.next_wait()),
                        None => backoff.next_wait(),
                    }
                    .min(self.retry.max_wait);
                    self.pacer.block_until(Instant::now() + wait);
                    (wait, Some(429), last)
                }
                Outcome::Retry(status, last) => {
                    rate_limited_in_a_row = 0;
                    (backoff.next_wait().min(self.retry.max_wait), status, last)
                }
            };
            if attempt >= self.retry.max_attempts {
                tracing::debug!(request = label, attempts = attempt, last = %last, "giving up");
                return Err(ApiError::RetriesExhausted {
                    request: label.to_owned(),
                    attempts: attempt,
                    last_status,
                    last,
                });
            }
            tracing::info!(
                request = label,
                attempt,
                wait_ms = wait.as_millis() as u64,
                "{last}; retrying"
            );
            {
                let mut stats = self.stats_lock();
                stats.retries += 1;
                stats.retry_wait += wait;
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, method: &Method, url: &Url, label: &str, body_cap: usize) -> Outcome {
        let Ok(_slot) = self.slots.acquire().await else {
            return Outcome::Fatal(ApiError::Config("the client was shut down".into()));
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
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (status, headers, body, over) = match result {
            Err(_) => {
                tracing::debug!(request = label, elapsed_ms, "timed out");
                return Outcome::Retry(
                    None,
                    format!("no complete response within {:?} (timeout)", self.timeout),
                );
            }
            Ok(Err((status, error))) => {
                tracing::debug!(request = label, elapsed_ms, ?status, "transport error");
                if error.is_timeout() {
                    return Outcome::Retry(
                        status,
                        format!("no complete response within {:?} (timeout)", self.timeout),
                    );
                }
                if error.is_builder() || error.is_redirect() {
                    return Outcome::Fatal(ApiError::Config(describe(error)));
                }
                let what = match status {
                    Some(status) => format!(
                        "HTTP {status} but the body was cut off: {}",
                        describe(error)
                    ),
                    None => describe(error),
                };
                return Outcome::Retry(status, what);
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
            200..=299 if over && *method == Method::GET => {
                Outcome::Fatal(ApiError::InvalidResponse {
                    request: label.to_owned(),
                    status,
                    problem: format!(
                        "the body is larger than {body_cap} bytes, far more than any page of customers"
                    ),
                })
            }
            200..=299 => Outcome::Done(status, body),
            429 => {
                self.stats_lock().rate_limited += 1;
                let wait = rate_limit_wait(&headers, self.retry.max_wait);
                Outcome::RateLimited(
                    wait,
                    format!("HTTP 429 Too Many Requests{}", title_of(&body)),
                )
            }
            500 | 502 | 503 | 504 => {
                Outcome::Retry(Some(status), format!("HTTP {status}{}", title_of(&body)))
            }
            _ => {
                let (title, errors) = api_error_body(&body);
                Outcome::Fatal(ApiError::Status {
                    request: label.to_owned(),
                    status,
                    title,
                    errors,
                })
            }
        }
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
    sanitize(&text)
}

/// ` "title"` from a JSON error body, or nothing.
fn title_of(body: &[u8]) -> String {
    match api_error_body(body).0 {
        Some(title) => format!(" \"{title}\""),
        None => String::new(),
    }
}

/// The API's `title` (or V2-style `message`) and `errors` map from an error body, sanitized.
fn api_error_body(body: &[u8]) -> (Option<String>, std::collections::BTreeMap<String, String>) {
    let mut errors = std::collections::BTreeMap::new();
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, errors);
    };
    let title = ["title", "message"]
        .iter()
        .find_map(|key| object.get(*key).and_then(|v| v.as_str()))
        .map(sanitize);
    if let Some(serde_json::Value::Object(map)) = object.get("errors") {
        for (key, value) in map.iter().take(1000) {
            let message = match value {
                serde_json::Value::String(s) => sanitize(s),
                other => sanitize(&other.to_string()),
            };
            errors.insert(sanitize(key), message);
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
