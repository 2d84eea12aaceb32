//! Tests of the API client against tiny axum servers on 127.0.0.1, each serving exactly the answers
//! one behaviour needs (rate-limit headers, 429s, 5xx, hostile bodies), and recording every request.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::*;
use crate::store::DeleteError;

const TOKEN: &str = "tok-SECRET-abc123";
const HASH: &str = "abc123";
const PATH: &str = "/stores/abc123/v3/customers";

// ---------------------------------------------------------------------------------------------
// A scriptable server

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    at: Instant,
}

impl Seen {
    /// The IDs of `id:in`, parsed from the raw query.
    fn ids(&self) -> Vec<u32> {
        param(&self.query, "id:in")
            .map(|list| {
                list.split(',')
                    .map(|id| id.parse().expect("numeric id"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

enum Payload {
    Json(Value),
    Text(&'static str),
    Empty,
    /// Streams 64 KiB chunks forever.
    Endless,
    /// Never answers.
    Hang,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    payload: Payload,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            payload: Payload::Json(body),
            delay: Duration::ZERO,
        }
    }
    fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            payload: Payload::Empty,
            delay: Duration::ZERO,
        }
    }
    fn text(status: u16, text: &'static str) -> Reply {
        Reply {
            payload: Payload::Text(text),
            ..Reply::status(status)
        }
    }
    fn with(mut self, name: &'static str, value: impl ToString) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
    fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Respond = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct App {
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    respond: Box<Respond>,
}

struct Server {
    addr: SocketAddr,
    app: Arc<App>,
}

impl Server {
    async fn start(respond: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
        let app = Arc::new(App {
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            respond: Box::new(respond),
        });
        let router = axum::Router::new().fallback(handle).with_state(app.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Server { addr, app }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.app.seen.lock().expect("lock").clone()
    }

    fn count(&self) -> usize {
        self.app.seen.lock().expect("lock").len()
    }

    fn max_in_flight(&self) -> usize {
        self.app.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let seen = Seen {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        headers: request.headers().clone(),
        at: Instant::now(),
    };
    let now = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let index = {
        let mut log = app.seen.lock().expect("lock");
        log.push(seen.clone());
        log.len() - 1
    };
    let reply = (app.respond)(&seen, index);
    tokio::time::sleep(reply.delay).await;
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    let body = match reply.payload {
        Payload::Json(value) => Body::from(value.to_string()),
        Payload::Text(text) => Body::from(text),
        Payload::Empty => Body::empty(),
        Payload::Endless => Body::from_stream(futures_util::stream::repeat_with(|| {
            Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 64 * 1024]))
        })),
        Payload::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Body::empty()
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("status");
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).expect("header"));
    }
    response
}

/// A well-behaved store holding the customers for which `exists` is true, paging by
/// `min(limit, page_cap)`.
fn store(exists: fn(u32) -> bool, page_cap: usize) -> impl Fn(&Seen, usize) -> Reply {
    move |seen, _| {
        let found: Vec<u32> = seen.ids().into_iter().filter(|id| exists(*id)).collect();
        let limit: usize = param(&seen.query, "limit").map_or(50, |l| l.parse().expect("limit"));
        let per_page = limit.min(page_cap);
        let page: usize = param(&seen.query, "page").map_or(1, |p| p.parse().expect("page"));
        let total_pages = found.len().div_ceil(per_page);
        let data: Vec<Value> = found
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|id| customer(*id))
            .collect();
        let mut links = json!({"current": format!("?page={page}&limit={per_page}")});
        if page < total_pages {
            links["next"] = json!(format!("?page={}&limit={per_page}", page + 1));
        }
        Reply::json(
            200,
            json!({"data": data, "meta": {"pagination": {"total": found.len(), "count": data.len(),
                "per_page": per_page, "current_page": page, "total_pages": total_pages, "links": links}}}),
        )
    }
}

fn customer(id: u32) -> Value {
    json!({"id": id, "email": format!("c{id}@example.com"), "first_name": "Ann", "last_name": "Lee",
           "company": "", "date_created": "2020-02-06T17:46:33Z",
           "date_modified": "2026-01-02T03:04:05Z", "channel_ids": [1]})
}

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
        max_wait: Duration::from_secs(3),
    }
}

fn config(url: String) -> ClientConfig {
    let mut config = ClientConfig::new(url, HASH, Token::new(TOKEN.to_owned()));
    config.retry = fast_retry(4);
    config.timeout = Duration::from_secs(2);
    config
}

fn client(server: &Server) -> Client {
    Client::new(config(server.url())).expect("client")
}

/// Run a future with a hard bound, so that no test can hang.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("the client must not hang")
}

#[track_caller]
fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "the token leaked into: {text}");
    assert!(!text.contains("SECRET"), "the token leaked into: {text}");
}

// ---------------------------------------------------------------------------------------------
// Request shape

#[tokio::test]
async fn list_sends_the_documented_request_and_returns_the_live_customers() {
    let server = Server::start(store(|id| id != 2, 250)).await;
    // A trailing slash on the API URL must not produce `//stores` or a trailing slash.
    let client = Client::new(config(format!("{}/", server.url()))).expect("client");
    let live = bounded(client.list(&[3, 1, 2, 2])).await.expect("list");

    assert_eq!(live.customers.keys().copied().collect::<Vec<_>>(), [1, 3]);
    let one = &live.customers[&1];
    assert_eq!(one.email, "c1@example.com");
    assert_eq!(
        (one.first_name.as_str(), one.last_name.as_str()),
        ("Ann", "Lee")
    );
    assert_eq!(one.date_modified, "2026-01-02T03:04:05Z");
    assert_eq!(one.record, customer(1));

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, PATH);
    assert_eq!(
        request.query, "id:in=1,2,3&limit=250",
        "literal : and , sorted, deduplicated"
    );
    assert_eq!(request.headers["x-auth-token"], TOKEN);
    assert_eq!(request.headers["accept"], "application/json");
    let agent = request.headers["user-agent"].to_str().expect("ascii");
    assert_eq!(
        agent,
        format!(
            "bcprune/{} (+https://github.com/bcprune/bcprune)",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(request.headers.get("x-auth-client").is_none());
    assert_eq!(client.api_host(), server.addr.to_string());
    assert_eq!(client.stats().get_requests, 1);
}

#[tokio::test]
async fn an_empty_id_list_needs_no_request() {
    let server = Server::start(store(|_| true, 250)).await;
    let live = bounded(client(&server).list(&[])).await.expect("list");
    assert!(live.customers.is_empty());
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn n_ids_take_ceil_n_over_250_gets_with_at_most_parallelism_in_flight() {
    for parallelism in [1, 3] {
        let server = Server::start(move |seen: &Seen, i| {
            store(|id| id % 2 == 0, 250)(seen, i).delayed(Duration::from_millis(40))
        })
        .await;
        let mut config = config(server.url());
        config.parallelism = parallelism;
        let client = Client::new(config).expect("client");
        let ids: Vec<u32> = (1..=1001).rev().collect();
        let live = bounded(client.list(&ids)).await.expect("list");

        assert_eq!(live.customers.len(), 500);
        let seen = server.seen();
        assert_eq!(seen.len(), 5, "⌈1001/250⌉ requests");
        let mut all = BTreeSet::new();
        for request in &seen {
            assert_eq!(param(&request.query, "limit"), Some("250"));
            assert!(request.ids().len() <= 250);
            all.extend(request.ids());
        }
        assert_eq!(all, (1..=1001).collect::<BTreeSet<u32>>());
        assert_eq!(
            server.max_in_flight(),
            parallelism,
            "parallelism {parallelism}"
        );
    }
}

#[tokio::test]
async fn more_pages_are_followed_when_the_server_pages_by_less() {
    let server = Server::start(store(|_| true, 2)).await;
    let live = bounded(client(&server).list(&[1, 2, 3, 4, 5]))
        .await
        .expect("list");
    assert_eq!(live.customers.len(), 5);
    let pages: Vec<Option<String>> = server
        .seen()
        .iter()
        .map(|s| param(&s.query, "page").map(str::to_owned))
        .collect();
    assert_eq!(pages, [None, Some("2".into()), Some("3".into())]);
}

#[tokio::test]
async fn pages_are_followed_to_total_pages_even_without_a_next_link() {
    // The API sometimes omits `links.next` (API-NOTES §3): the figures decide, not the link.
    let server = Server::start(|seen: &Seen, _| {
        if param(&seen.query, "page") == Some("2") {
            Reply::json(
                200,
                json!({"data": [customer(3)], "meta": {"pagination": {"total": 3, "count": 1,
                    "per_page": 2, "current_page": 2, "total_pages": 2, "links": {}}}}),
            )
        } else {
            Reply::json(
                200,
                json!({"data": [customer(1), customer(2)], "meta": {"pagination": {"total": 3,
                    "count": 2, "per_page": 2, "current_page": 1, "total_pages": 2, "links": {}}}}),
            )
        }
    })
    .await;
    let live = bounded(client(&server).list(&[1, 2, 3, 4]))
        .await
        .expect("list");
    assert_eq!(
        live.customers.keys().copied().collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn pagination_that_never_ends_is_an_error_on_the_first_page() {
    // Claims a million pages of one customer each: more than the 3 IDs asked for can match.
    let server = Server::start(|seen: &Seen, i| {
        let id = seen.ids()[i.min(2)];
        Reply::json(
            200,
            json!({"data": [customer(id)], "meta": {"pagination": {"total": 1_000_000,
                "count": 1, "per_page": 1, "total_pages": 1_000_000,
                "links": {"next": "?page=2&limit=250"}}}}),
        )
    })
    .await;
    let error = bounded(client(&server).list(&[1, 2, 3]))
        .await
        .expect_err("must fail");
    assert!(
        error.to_string().contains("pagination never ends"),
        "{error}"
    );
    assert_eq!(server.count(), 1, "page 2 is never asked for");
}

// ---------------------------------------------------------------------------------------------
// Hostile answers

#[tokio::test]
async fn hostile_answers_fail_the_whole_listing_with_a_clear_error() {
    type Make = fn(&Seen) -> Reply;
    let cases: Vec<(&str, Make, &str)> = vec![
        (
            "html",
            |_| Reply::text(200, "<html><body>Oops</body></html>"),
            "HTML",
        ),
        (
            "bad json",
            |_| Reply::text(200, "{\"data\": [1,"),
            "not the documented JSON",
        ),
        (
            "empty 200",
            |_| Reply::status(200),
            "not the documented JSON",
        ),
        (
            "not asked",
            |_| Reply::json(200, json!({"data": [customer(999)]})),
            "not asked for",
        ),
        (
            "missing id",
            |_| Reply::json(200, json!({"data": [{"email": "a@b.c"}]})),
            "has no id",
        ),
        (
            "string id",
            |_| Reply::json(200, json!({"data": [{"id": "1"}]})),
            "not a customer ID",
        ),
        (
            "duplicate",
            |_| Reply::json(200, json!({"data": [customer(1), customer(1)]})),
            "twice",
        ),
        (
            "total_pages 0",
            |_| {
                Reply::json(
                    200,
                    json!({"data": [customer(1)], "meta": {"pagination": {"total": 1, "count": 1,
                        "per_page": 250, "total_pages": 0}}}),
                )
            },
            "contradictory pagination on page 1",
        ),
        (
            "negative",
            |_| {
                Reply::json(
                    200,
                    json!({"data": [], "meta": {"pagination": {"total": -4}}}),
                )
            },
            "nonsense pagination",
        ),
        ("204 to a GET", |_| Reply::status(204), "expected HTTP 200"),
        (
            "endless body",
            |_| Reply {
                payload: Payload::Endless,
                ..Reply::status(200)
            },
            "larger than",
        ),
        (
            "big body",
            |_| Reply::json(200, json!({"data": [], "pad": "x".repeat(100_000)})),
            "larger than",
        ),
        (
            "escape sequences",
            |_| {
                Reply::json(
                    400,
                    json!({"title": "\u{1b}[31mred\u{1b}[0m", "errors": {}}),
                )
            },
            "?[31mred?[0m",
        ),
    ];
    for (name, make, expected) in cases {
        // Two chunks: the first is answered honestly, the second with the hostile reply.
        let server = Server::start(move |seen: &Seen, i| {
            if seen.ids().contains(&1) {
                make(seen)
            } else {
                store(|_| true, 250)(seen, i)
            }
        })
        .await;
        let mut config = config(server.url());
        config.max_body_bytes = 64 * 1024;
        let client = Client::new(config).expect("client");
        let ids: Vec<u32> = (1..=300).collect();
        let error = bounded(client.list(&ids)).await.expect_err(name);
        let text = error.to_string();
        assert!(text.contains(expected), "{name}: {text}");
        assert!(
            text.contains(&format!("GET {PATH}?id:in=1,2,3,…(250 IDs)&limit=250")),
            "{name}: {text}"
        );
        assert!(error.status().is_some(), "{name}: {text}");
        assert!(!text.contains('\u{1b}'), "{name}: {text}");
        assert_no_token(&text);
        assert_no_token(&format!("{error:?}"));
    }
}

#[tokio::test]
async fn a_hanging_server_times_out_and_is_retried_then_reported() {
    let server = Server::start(|_: &Seen, _| Reply {
        payload: Payload::Hang,
        ..Reply::status(200)
    })
    .await;
    let mut config = config(server.url());
    config.timeout = Duration::from_millis(150);
    config.retry = fast_retry(2);
    let error = bounded(Client::new(config).expect("client").list(&[1]))
        .await
        .expect_err("must time out");
    assert!(
        matches!(error, ApiError::RetriesExhausted { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("timeout"), "{error}");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_truncated_body_is_a_transport_error_not_a_hang() {
    // A raw server announcing 1000 bytes, sending 10, and closing the connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 16 * 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"data\":[")
                .await;
            let _ = socket.shutdown().await;
        }
    });
    let mut config = config(format!("http://{addr}"));
    config.retry = fast_retry(3);
    let error = bounded(Client::new(config).expect("client").list(&[1]))
        .await
        .expect_err("must fail");
    let text = error.to_string();
    assert!(
        matches!(error, ApiError::RetriesExhausted { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(text.contains("cut off"), "{text}");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// Delete

#[tokio::test]
async fn an_empty_delete_is_refused_without_any_request() {
    let server = Server::start(|_: &Seen, _| Reply::status(204)).await;
    let client = client(&server);
    let error = bounded(client.delete(&[])).await.expect_err("refused");
    assert!(matches!(error, ApiError::EmptyDelete));
    assert_eq!(server.count(), 0);
    assert_eq!(client.stats().delete_requests, 0);
}

#[tokio::test]
async fn delete_sends_one_request_with_exactly_the_ids() {
    let server = Server::start(|_: &Seen, _| Reply::status(204)).await;
    let client = client(&server);
    bounded(client.delete(&[9, 1, 5])).await.expect("deleted");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(seen[0].path, PATH);
    assert_eq!(seen[0].query, "id:in=1,5,9");
    assert_eq!(seen[0].headers["x-auth-token"], TOKEN);
    assert_eq!(client.stats().delete_requests, 1);
}

#[tokio::test]
async fn delete_refusals_come_back_typed_with_the_apis_errors_and_are_not_retried() {
    let cases = [
        (
            422,
            json!({"status": 422, "title": "Bulk operation has failed",
                   "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
                   "errors": {"1": "Unauthorized to delete", "2": "Metafield does not exist"}}),
            "Bulk operation has failed",
        ),
        (
            413,
            json!({"status": 413, "title": "Too large"}),
            "the API found the request too large",
        ),
        (414, json!({}), "the API found the request too large"),
        (
            401,
            json!({"title": "Unauthorized"}),
            "check BIGCOMMERCE_ACCESS_TOKEN",
        ),
        (
            403,
            json!({"status": 403, "title": "You don't have a required scope to access the endpoint", "errors": {}}),
            "Customers modify scope (store_v2_customers)",
        ),
        (404, json!({}), "check the store hash and --api-url"),
        (400, json!({"title": "Bad"}), "not retried"),
    ];
    for (status, body, expected) in cases {
        let reply_body = body.clone();
        let server =
            Server::start(move |_: &Seen, _| Reply::json(status, reply_body.clone())).await;
        let error = bounded(client(&server).delete(&[1, 2]))
            .await
            .expect_err("refused");
        assert_eq!(error.status(), Some(status));
        let text = error.to_string();
        assert!(text.contains(expected), "{status}: {text}");
        assert!(
            text.contains(&format!("DELETE {PATH}?id:in=1,2 returned HTTP {status}")),
            "{text}"
        );
        assert_no_token(&text);
        assert_eq!(server.count(), 1, "{status} is not retried");
        if status == 422 {
            let errors = error.api_errors().expect("errors");
            assert_eq!(errors["1"], "Unauthorized to delete");
            assert_eq!(errors["2"], "Metafield does not exist");
            assert_eq!(error.title(), Some("Bulk operation has failed"));
        }
    }
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_token_goes_nowhere_else() {
    let elsewhere = Server::start(|_: &Seen, _| Reply::status(204)).await;
    let target = format!("{}{PATH}?id:in=1", elsewhere.url());
    let server =
        Server::start(move |_: &Seen, _| Reply::status(301).with("location", &target)).await;
    let error = bounded(client(&server).delete(&[1]))
        .await
        .expect_err("301");
    assert_eq!(error.status(), Some(301));
    assert!(error.to_string().contains("check --api-url"), "{error}");
    assert_eq!(elsewhere.count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Retries

fn gaps(seen: &[Seen]) -> Vec<Duration> {
    seen.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[tokio::test]
async fn a_429_waits_the_longer_of_reset_ms_and_retry_after_then_retries() {
    // (reset ms, retry-after s, expected wait)
    for (reset_ms, retry_after, expected) in [(250u64, 0u64, 250u64), (20, 1, 1000)] {
        let server = Server::start(move |_: &Seen, i| {
            if i == 0 {
                Reply::json(429, json!({"status": 429, "title": "Too many requests"}))
                    .with("x-rate-limit-time-reset-ms", reset_ms)
                    .with("x-retry-after", retry_after)
                    .with("x-rate-limit-requests-left", 0)
                    .with("x-rate-limit-requests-quota", 5)
                    .with("x-rate-limit-time-window-ms", 1000)
            } else {
                Reply::status(204)
            }
        })
        .await;
        let client = client(&server);
        bounded(client.delete(&[1])).await.expect("retried");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        let gap = gaps(&seen)[0];
        assert!(
            gap >= Duration::from_millis(expected),
            "{gap:?} < {expected} ms"
        );
        assert!(
            gap < Duration::from_millis(expected + 400),
            "{gap:?} ≫ {expected} ms"
        );
        let stats = client.stats();
        assert_eq!((stats.rate_limited, stats.retries), (1, 1));
    }
}

#[tokio::test]
async fn a_429_without_headers_and_5xx_back_off_and_eventually_succeed() {
    let server = Server::start(|seen: &Seen, i| match i {
        0 => Reply::status(429),
        1 => Reply::json(500, json!({"title": "Internal"})),
        2 => Reply::status(502),
        3 => Reply::status(503),
        4 => Reply::status(504),
        _ => store(|_| true, 250)(seen, i),
    })
    .await;
    let mut config = config(server.url());
    config.retry = RetryPolicy {
        base: Duration::from_millis(20),
        ..fast_retry(10)
    };
    let client = Client::new(config).expect("client");
    let live = bounded(client.list(&[7])).await.expect("eventually");
    assert_eq!(live.customers.len(), 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 6);
    for gap in gaps(&seen) {
        assert!(
            gap >= Duration::from_millis(20),
            "backed off at least base: {gap:?}"
        );
    }
    let stats = client.stats();
    assert_eq!(
        (stats.get_requests, stats.retries, stats.rate_limited),
        (6, 5, 1)
    );
}

#[tokio::test]
async fn exhausted_retries_say_how_many_attempts_and_the_last_status() {
    let server =
        Server::start(|_: &Seen, _| Reply::json(503, json!({"title": "Service Unavailable"})))
            .await;
    let error = bounded(client(&server).delete(&[1]))
        .await
        .expect_err("gives up");
    let text = error.to_string();
    assert!(
        matches!(
            error,
            ApiError::RetriesExhausted {
                attempts: 4,
                last_status: Some(503),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(text.contains("after 4 attempts"), "{text}");
    assert!(text.contains("HTTP 503 \"Service Unavailable\""), "{text}");
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn garbage_rate_limit_headers_cause_no_hot_loop() {
    let server = Server::start(|_: &Seen, _| {
        Reply::status(429)
            .with("x-retry-after", "abc")
            .with("x-rate-limit-time-reset-ms", "-1")
            .with("x-rate-limit-requests-left", "NaN")
            .with("x-rate-limit-requests-quota", "0")
            .with("x-rate-limit-time-window-ms", "1e9")
    })
    .await;
    let mut config = config(server.url());
    config.retry = RetryPolicy {
        max_attempts: 10,
        base: Duration::from_millis(20),
        cap: Duration::from_millis(40),
        max_wait: Duration::from_secs(1),
    };
    let started = Instant::now();
    let error = bounded(Client::new(config).expect("client").delete(&[1]))
        .await
        .expect_err("gives up");
    assert!(matches!(
        error,
        ApiError::RetriesExhausted { attempts: 10, .. }
    ));
    assert_eq!(server.count(), 10, "bounded attempts");
    assert!(
        started.elapsed() >= Duration::from_millis(9 * 20),
        "every retry waited at least the base: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_huge_retry_after_is_clamped_to_max_wait() {
    let server = Server::start(|_: &Seen, i| {
        if i == 0 {
            Reply::status(429).with("x-retry-after", "99999999999")
        } else {
            Reply::status(204)
        }
    })
    .await;
    let mut config = config(server.url());
    config.retry.max_wait = Duration::from_millis(100);
    bounded(Client::new(config).expect("client").delete(&[1]))
        .await
        .expect("retried after the clamped wait");
    assert_eq!(server.count(), 2);
}

// ---------------------------------------------------------------------------------------------
// Pacing

/// A store with a fixed window of `window` starting at the first request and `quota` requests per
/// window, counting every request; a request arriving with nothing left gets a 429. `other_app`
/// units of each window are spent by another app sharing the quota, as soon as the window starts.
/// GETs are answered by an honest store, DELETEs with 204.
fn limited(
    quota: u32,
    window: Duration,
    latency: Duration,
    other_app: u32,
) -> impl Fn(&Seen, usize) -> Reply {
    let state: Mutex<(Option<Instant>, u32)> = Mutex::new((None, 0)); // window start, used
    move |seen, i| {
        let mut state = state.lock().expect("lock");
        let now = seen.at;
        let first = *state.0.get_or_insert(now);
        let windows = ((now - first).as_nanos() / window.as_nanos()) as u32;
        let window_start = first + window * windows;
        if state.0 != Some(window_start) || i == 0 {
            *state = (Some(window_start), other_app);
        }
        let reset_ms = (window_start + window - now).as_millis();
        let left = quota.saturating_sub(state.1);
        let headers = |reply: Reply, left: u32| {
            reply
                .with("X-Rate-Limit-Requests-Left", left)
                .with("X-Rate-Limit-Time-Reset-Ms", reset_ms)
                .with("X-Rate-Limit-Requests-Quota", quota)
                .with("X-Rate-Limit-Time-Window-Ms", window.as_millis())
        };
        if left == 0 {
            // No X-Retry-After: in whole seconds it would dwarf these tiny windows (it is tested
            // on its own above).
            return headers(Reply::status(429), 0);
        }
        state.1 += 1;
        let reply = if seen.method == "DELETE" {
            Reply::status(204)
        } else {
            store(|_| true, 250)(seen, i)
        };
        headers(reply, left - 1).delayed(latency)
    }
}

fn rate_limited_store(
    quota: u32,
    window: Duration,
    latency: Duration,
) -> impl Fn(&Seen, usize) -> Reply {
    limited(quota, window, latency, 0)
}

/// Run `requests` single-ID DELETEs through one client with `parallelism`, as apply would.
async fn run_deletes(server: &Server, parallelism: usize, requests: u32) -> (Duration, Stats) {
    let mut config = config(server.url());
    config.parallelism = parallelism;
    let client = Client::new(config).expect("client");
    let batches: Vec<[u32; 1]> = (1..=requests).map(|id| [id]).collect();
    let started = Instant::now();
    let results = bounded(
        futures_util::stream::iter(batches.iter().map(|ids| client.delete(ids)))
            .buffer_unordered(parallelism)
            .collect::<Vec<_>>(),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    (elapsed, client.stats())
}

#[tokio::test]
async fn a_quota_smaller_than_parallelism_costs_at_most_a_few_429s() {
    let server = Server::start(limited(
        2,
        Duration::from_millis(100),
        Duration::from_millis(2),
        0,
    ))
    .await;
    let (elapsed, stats) = run_deletes(&server, 3, 8).await;
    assert!(stats.rate_limited <= 2, "{stats:?}");
    // (⌈8/2⌉ − 1) × 100 ms, plus at most one extra window for the blind start.
    assert!(
        elapsed <= Duration::from_millis(450),
        "{elapsed:?} {stats:?}"
    );
}

#[tokio::test]
async fn another_app_spending_the_quota_is_followed_with_few_429s() {
    // Quota 10, of which the other app takes 4 per window: 6 per window for us.
    let server = Server::start(limited(
        10,
        Duration::from_millis(150),
        Duration::from_millis(2),
        4,
    ))
    .await;
    let (elapsed, stats) = run_deletes(&server, 3, 18).await;
    assert!(stats.rate_limited <= 3, "{stats:?}");
    assert!(
        elapsed <= Duration::from_millis(150 * 3 + 150),
        "{elapsed:?} {stats:?}"
    );
}

/// Not a test: measurements of the pacer for the report (`cargo test --lib pacer_benchmark --
/// --ignored --nocapture`).
#[tokio::test]
#[ignore]
async fn pacer_benchmark() {
    for (quota, window_ms, requests, parallelism, latency_ms) in [
        (5u32, 200u64, 15u32, 3usize, 5u64),
        (10, 300, 40, 3, 20),
        (25, 500, 100, 3, 10),
        (3, 200, 12, 3, 5),
        (150, 1000, 450, 3, 2),
        (20, 300, 60, 1, 10),
    ] {
        let window = Duration::from_millis(window_ms);
        let server =
            Server::start(limited(quota, window, Duration::from_millis(latency_ms), 0)).await;
        let (elapsed, stats) = run_deletes(&server, parallelism, requests).await;
        let target = window * (requests.div_ceil(quota) - 1);
        eprintln!(
            "Q={quota} W={window_ms}ms R={requests} p={parallelism} L={latency_ms}ms: {elapsed:?} \
             = {:.3} × (⌈R/Q⌉−1)×W, 429s: {}",
            elapsed.as_secs_f64() / target.as_secs_f64(),
            stats.rate_limited
        );
    }
    for (requests, parallelism, latency_ms) in [(30u32, 3usize, 50u64), (20, 1, 20)] {
        let server = Server::start(move |_: &Seen, _| {
            Reply::status(204).delayed(Duration::from_millis(latency_ms))
        })
        .await;
        let (elapsed, _) = run_deletes(&server, parallelism, requests).await;
        let ideal = Duration::from_millis(latency_ms) * requests.div_ceil(parallelism as u32);
        eprintln!(
            "no headers R={requests} p={parallelism} L={latency_ms}ms: {elapsed:?} = {:.3} × ⌈R/p⌉×L",
            elapsed.as_secs_f64() / ideal.as_secs_f64()
        );
    }
}

#[tokio::test]
async fn the_pacer_waits_for_the_reset_instead_of_running_into_429s() {
    let (quota, window) = (5u32, Duration::from_millis(200));
    let server = Server::start(rate_limited_store(quota, window, Duration::from_millis(5))).await;
    let client = client(&server);
    // 15 GETs (15 chunks of 250 IDs) with quota 5 per 200 ms: three windows.
    let ids: Vec<u32> = (1..=15 * 250).collect();
    let started = Instant::now();
    let live = bounded(client.list(&ids)).await.expect("list");
    let elapsed = started.elapsed();
    assert_eq!(live.customers.len(), 15 * 250);
    let stats = client.stats();
    assert_eq!(stats.rate_limited, 0, "no 429: {stats:?}");
    assert_eq!(server.count(), 15);
    assert!(
        elapsed >= Duration::from_millis(380),
        "must wait for resets: {elapsed:?}"
    );
    // Generous: these GETs carry 250 customers each, parsed in a debug build on a busy machine.
    assert!(
        elapsed <= Duration::from_millis(1500),
        "far too slow: {elapsed:?}"
    );
    assert!(stats.pacer_wait > Duration::ZERO);
}

#[tokio::test]
async fn paced_requests_take_about_the_windows_they_need() {
    let (quota, window) = (5u32, Duration::from_millis(200));
    let server = Server::start(rate_limited_store(quota, window, Duration::from_millis(2))).await;
    let (elapsed, stats) = run_deletes(&server, 3, 15).await;
    assert_eq!(stats.rate_limited, 0, "{stats:?}");
    // (⌈15/5⌉ − 1) × 200 ms = 400 ms; the target is 1.1× that, plus the last window's own requests.
    // Wasting a single unit of quota per window would need a fourth window: 600 ms or more.
    assert!(elapsed >= Duration::from_millis(395), "{elapsed:?}");
    assert!(
        elapsed <= Duration::from_millis(580),
        "{elapsed:?} {stats:?}"
    );
}

#[tokio::test]
async fn without_rate_limit_headers_there_is_no_pacing_overhead() {
    let server =
        Server::start(|_: &Seen, _| Reply::status(204).delayed(Duration::from_millis(60))).await;
    let (elapsed, stats) = run_deletes(&server, 3, 9).await;
    // ⌈9/3⌉ × 60 ms = 180 ms; one at a time would take 540 ms (slack for a busy machine).
    assert!(elapsed >= Duration::from_millis(180), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(450), "{elapsed:?}");
    assert_eq!(stats.pacer_wait, Duration::ZERO);
}

#[tokio::test]
async fn concurrent_deletes_share_one_pacer() {
    let (quota, window) = (4u32, Duration::from_millis(150));
    let server = Server::start(rate_limited_store(quota, window, Duration::from_millis(2))).await;
    let client = client(&server);
    let batches: Vec<[u32; 1]> = (1..=10u32).map(|id| [id]).collect();
    let deletes: Vec<_> = batches.iter().map(|ids| client.delete(ids)).collect();
    let results = bounded(futures_util::future::join_all(deletes)).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(client.stats().rate_limited, 0);
    assert_eq!(server.count(), 10);
}

// ---------------------------------------------------------------------------------------------
// Secrets and configuration

#[test]
fn the_token_never_shows_in_debug_display_or_the_request() {
    let token = Token::new(TOKEN.to_owned());
    assert_no_token(&format!("{token:?} {token}"));
    let config = ClientConfig::new("https://api.bigcommerce.com", HASH, token);
    assert_no_token(&format!("{config:?}"));
    let client = Client::new(config).expect("client");
    assert_no_token(&format!("{client:?}"));
    let request = client.build_request(&[1, 2]);
    let debug = format!("{request:?} {:?}", request.headers());
    assert_no_token(&debug);
    assert!(debug.contains("Sensitive"), "{debug}");
    assert!(request.headers()["x-auth-token"].is_sensitive());
}

#[tokio::test]
async fn trace_logs_never_carry_the_token() {
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start(|seen: &Seen, i| {
        if i == 0 {
            Reply::status(503)
        } else {
            store(|_| true, 250)(seen, i)
        }
    })
    .await;
    bounded(client(&server).list(&[1])).await.expect("list");
    let error = bounded(client(&server).delete(&[]))
        .await
        .expect_err("empty");
    tracing::error!("{error}");

    let logged = String::from_utf8_lossy(&capture.0.lock().expect("lock")).into_owned();
    assert!(logged.contains(PATH), "the capture works: {logged}");
    assert!(logged.contains("retrying"), "{logged}");
    assert_no_token(&logged);
}

#[test]
fn bad_configuration_is_refused_with_a_hint() {
    let token = || Token::new(TOKEN.to_owned());
    let cases = [
        (
            ClientConfig::new("https://api.bigcommerce.com", "../admin", token()),
            "store hash",
        ),
        (
            ClientConfig::new("https://api.bigcommerce.com", "", token()),
            "store hash",
        ),
        (
            ClientConfig::new("ftp://example.com", HASH, token()),
            "--api-url",
        ),
        (ClientConfig::new("not a url", HASH, token()), "--api-url"),
        (
            ClientConfig::new("https://x.test/?a=1", HASH, token()),
            "--api-url",
        ),
        (
            ClientConfig::new("https://x.test", HASH, Token::new("  ".into())),
            "BIGCOMMERCE_ACCESS_TOKEN",
        ),
        (
            ClientConfig::new("https://x.test", HASH, Token::new("a\nb".into())),
            "BIGCOMMERCE_ACCESS_TOKEN",
        ),
        (
            ClientConfig {
                parallelism: 0,
                ..ClientConfig::new("https://x.test", HASH, token())
            },
            "parallelism",
        ),
    ];
    for (config, expected) in cases {
        let error = Client::new(config).expect_err(expected);
        let text = error.to_string();
        assert!(text.contains(expected), "{text}");
        assert_no_token(&text);
    }
    let client = Client::new(ClientConfig::new(
        "https://api.bigcommerce.com/",
        HASH,
        token(),
    ))
    .expect("client");
    assert_eq!(client.api_host(), "api.bigcommerce.com");
}

#[test]
fn the_client_and_its_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Client>();
    send_sync::<ApiError>();
    let client = Client::new(config("http://127.0.0.1:9".into())).expect("client");
    send(&client.list(&[1]));
    send(&client.delete(&[1]));
    send(&client.list_subscribers(&[1]));
    send(&client.delete_subscriber(1));
    let emails = ["a@b.c".to_owned()];
    send(&client.customers_by_email(&emails));
    send(&client.subscribers_by_email("a@b.c"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_multi_thread_runtime_shared_through_an_arc() {
    let server = Server::start(store(|_| true, 250)).await;
    let client = Arc::new(client(&server));
    let tasks: Vec<_> = (0..4u32)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.list(&[n * 1000 + 1, n * 1000 + 2]).await })
        })
        .collect();
    for task in tasks {
        let live = bounded(task).await.expect("join").expect("list");
        assert_eq!(live.customers.len(), 2);
    }
    assert_eq!(client.stats().get_requests, 4);
}

#[tokio::test]
async fn a_large_body_on_a_successful_delete_does_not_matter() {
    let server =
        Server::start(|_: &Seen, _| Reply::json(200, json!({"pad": "x".repeat(200_000)}))).await;
    bounded(client(&server).delete(&[1]))
        .await
        .expect("accepted");
}

#[test]
fn error_messages_say_what_where_and_what_to_do() {
    let request = format!("DELETE {PATH}?id:in=1,2,3,…(250 IDs)");
    let errors = [
        ApiError::MissingToken,
        ApiError::InvalidToken,
        ApiError::EmptyDelete,
        ApiError::Config("parallelism must be at least 1".into()),
        ApiError::Status {
            request: request.clone(),
            status: 422,
            title: Some("Bulk operation has failed".into()),
            errors: [
                ("1", "Unauthorized to delete"),
                ("2", "Metafield does not exist"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        },
        ApiError::Status {
            request: request.clone(),
            status: 403,
            title: Some("You don't have a required scope to access the endpoint".into()),
            errors: Default::default(),
        },
        ApiError::Status {
            request: format!("GET {PATH}?id:in=1&limit=250"),
            status: 401,
            title: None,
            errors: Default::default(),
        },
        ApiError::Status {
            request: format!("GET {PATH}?id:in=1&limit=250"),
            status: 404,
            title: Some("Store not found".into()),
            errors: Default::default(),
        },
        ApiError::Status {
            request: request.clone(),
            status: 413,
            title: None,
            errors: Default::default(),
        },
        ApiError::InvalidResponse {
            request: format!("GET {PATH}?id:in=1,2,3,…(250 IDs)&limit=250"),
            status: 200,
            problem:
                "customer 999 was returned but not asked for (the id:in filter was not applied?)"
                    .into(),
        },
        ApiError::RetriesExhausted {
            request,
            attempts: 10,
            last_status: Some(503),
            last: "HTTP 503 \"Service Unavailable\"".into(),
            may_have_acted: true,
        },
    ];
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// The token echoed by the server (issue 9.1)

/// Captures what `tracing` writes, at the given level and above, while the guard lives.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture(level: tracing::Level) -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // Other test threads register and drop their own subscribers: recompute every callsite's
        // interest now that this one is live, so an event is not skipped on an interest cached while it
        // was not (seen as a missing retry announcement under heavy load).
        tracing::callsite::rebuild_interest_cache();
        (logs, guard)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[tokio::test]
async fn a_token_the_server_echoes_never_reaches_an_error_or_a_log() {
    let (logs, _guard) = Logs::capture(tracing::Level::TRACE);
    let echo = json!({"status": 403, "title": format!("token {TOKEN} lacks the scope"),
                      "errors": {"1": format!("denied for {TOKEN}"), TOKEN: "X-Auth-Token: other-secret"}});
    let upper = json!({"title": format!("Bearer {}", TOKEN.to_uppercase())});
    let encoded = json!({"title": "token tok%2DSECRET%2Dabc123 unknown"});
    let cases = [
        (403, echo.clone()),
        (401, upper),
        (422, encoded),
        // Retried until exhausted: the last attempt's title is in the error and every log line.
        (503, echo.clone()),
        (429, echo),
        // A 200 whose body quotes it: the JSON error message can include the offending value.
        (200, json!({"data": TOKEN})),
        (200, json!({"data": [{"id": TOKEN, "date_modified": "x"}]})),
    ];
    for (code, body) in cases {
        let server = Server::start(move |_: &Seen, _| Reply::json(code, body.clone())).await;
        let error = bounded(client(&server).list(&[1]))
            .await
            .expect_err("refused");
        assert_eq!(error.status(), Some(code), "{error}");
        let shown = format!("{error} {error:?}");
        assert_no_token(&shown);
        assert!(!shown.to_lowercase().contains("secret"), "{shown}");
        if code == 403 {
            let errors = error.api_errors().expect("errors");
            assert_eq!(errors["1"], "denied for ***");
            assert_eq!(errors["***"], "X-Auth-Token: ***");
            assert_eq!(error.title(), Some("token *** lacks the scope"));
        }
    }
    let logged = logs.text();
    assert!(logged.contains("retrying"), "the capture works: {logged}");
    assert_no_token(&logged);
    assert!(!logged.to_lowercase().contains("secret"), "{logged}");
}

#[test]
fn no_client_code_builds_an_error_with_server_text_by_hand() {
    // Every error holding server text is built by the scrubbing constructors in error.rs; a struct
    // literal elsewhere could skip the scrub. (Patterns in matches would contain the same text:
    // the client's files have none.)
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    for file in [
        "client.rs",
        "listing.rs",
        "lookup.rs",
        "subscribers.rs",
        "pacer.rs",
        "retry.rs",
        "token.rs",
    ] {
        let source = std::fs::read_to_string(dir.join(file)).expect(file);
        for literal in [
            "ApiError::Status {",
            "ApiError::InvalidResponse {",
            "ApiError::RetriesExhausted {",
        ] {
            assert!(
                !source.contains(literal),
                "{file} builds `{literal}` by hand"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Plain http (issue 9.2)

#[test]
fn plain_http_is_refused_for_any_host_but_this_machine() {
    let token = || Token::new(TOKEN.to_owned());
    for url in [
        "http://api.bigcommerce.com",
        "HTTP://api.bigcommerce.com/",
        "http://10.0.0.1:8080",
        "http://[::ffff:127.0.0.1]:80",
        "http://localhost.evil.test",
        "http://128.0.0.1",
    ] {
        let error = Client::new(ClientConfig::new(url, HASH, token())).expect_err(url);
        let text = error.to_string();
        assert!(matches!(error, ApiError::Config(_)), "{url}: {text}");
        assert!(text.contains("refusing plain http://"), "{url}: {text}");
        assert!(text.contains("https://"), "{url}: {text}");
    }
    for url in [
        "http://127.0.0.1:1",
        "http://127.0.0.2:47000",
        "http://[::1]:47000",
        "http://localhost:47000",
        "http://LOCALHOST:47000",
        "https://api.bigcommerce.com",
    ] {
        Client::new(ClientConfig::new(url, HASH, token())).expect(url);
    }
    let error = Client::new(ClientConfig::new(
        "https://user:hunter2@api.bigcommerce.com",
        HASH,
        token(),
    ))
    .expect_err("credentials in the URL");
    let text = error.to_string();
    assert!(
        text.contains("user name or password") && !text.contains("hunter2"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// A closed port (issue 9.13)

#[tokio::test]
async fn a_closed_port_is_given_up_after_the_short_connect_schedule_announcing_each_retry() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    let mut config = config(format!("http://127.0.0.1:{port}"));
    config.retry = RetryPolicy {
        max_attempts: 10,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
        max_wait: Duration::from_secs(1),
    };
    let waits = config.retry.connect_waits();
    let client = Client::new(config).expect("client");
    let error = bounded(client.list(&[1])).await.expect_err("refused");
    let ApiError::RetriesExhausted {
        attempts,
        last_status,
        ref last,
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(attempts as usize, waits.len() + 1, "{error}");
    assert_eq!(last_status, None);
    assert!(last.starts_with("could not connect"), "{last}");
    let stats = client.stats();
    assert_eq!(stats.get_requests as usize, waits.len() + 1);
    assert_eq!(stats.retry_wait, waits.iter().sum::<Duration>());

    let logged = logs.text();
    let announced: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("retrying in"))
        .collect();
    assert_eq!(announced.len(), waits.len(), "{logged}");
    for (n, line) in announced.iter().enumerate() {
        assert!(line.contains("WARN"), "{line}");
        assert!(
            line.contains(&format!("attempt {} failed", n + 1)),
            "{line}"
        );
        assert!(line.contains("could not connect"), "{line}");
        assert!(
            line.contains(&format!("GET {PATH}?id:in=1&limit=250")),
            "{line}"
        );
    }
    // With the default policy the whole schedule is 7.5 s of waits over 5 attempts (retry.rs).
    assert!(
        RetryPolicy::default()
            .connect_waits()
            .iter()
            .sum::<Duration>()
            <= CONNECT_RETRY_BUDGET
    );
}

#[tokio::test]
async fn server_failures_are_announced_at_warn_too() {
    let (logs, _guard) = Logs::capture(tracing::Level::WARN);
    let server = Server::start(|seen: &Seen, i| {
        if i == 0 {
            Reply::status(503)
        } else {
            store(|_| true, 250)(seen, i)
        }
    })
    .await;
    bounded(client(&server).list(&[1])).await.expect("list");
    let logged = logs.text();
    assert!(
        logged.contains("attempt 1 failed (HTTP 503); retrying in"),
        "{logged}"
    );
}

// ---------------------------------------------------------------------------------------------
// Subscribers (issue 10)

const SUBSCRIBERS: &str = "/stores/abc123/v3/customers/subscribers";

fn subscriber(id: u32) -> Value {
    json!({"id": id, "email": format!("s{id}@example.com"), "first_name": "Sam", "last_name": "Poe",
           "source": "storefront", "order_id": null, "channel_id": 1, "consents": [],
           "date_created": "2020-02-06T17:46:33Z", "date_modified": "2026-01-02T03:04:05Z"})
}

/// A subscribers endpoint holding the subscribers for which `exists` is true, paging by `page_cap`.
fn subscriber_store(exists: fn(u32) -> bool, page_cap: usize) -> impl Fn(&Seen, usize) -> Reply {
    move |seen, i| {
        if seen.path != SUBSCRIBERS || seen.method != "GET" {
            return Reply::status(404);
        }
        let mut reply = store(exists, page_cap)(seen, i);
        if let Payload::Json(body) = &mut reply.payload {
            for record in body["data"].as_array_mut().expect("data") {
                *record = subscriber(record["id"].as_u64().expect("id") as u32);
            }
        }
        reply
    }
}

#[tokio::test]
async fn list_subscribers_asks_by_id_in_pages_of_250_and_checks_the_answers() {
    let server = Server::start(subscriber_store(|id| id % 2 == 0, 100)).await;
    let client = client(&server);
    let ids: Vec<u32> = (1..=600).rev().collect();
    let live = bounded(client.list_subscribers(&ids)).await.expect("list");
    assert_eq!(live.subscribers.len(), 300);
    let s = &live.subscribers[&2];
    assert_eq!(s.email, "s2@example.com");
    assert_eq!(s.first_name, "Sam");
    assert_eq!(s.date_modified, "2026-01-02T03:04:05Z");
    assert_eq!(s.record["source"], "storefront");
    let seen = server.seen();
    assert!(
        seen.iter()
            .all(|s| s.method == "GET" && s.path == SUBSCRIBERS)
    );
    let first_pages: Vec<&Seen> = seen
        .iter()
        .filter(|s| param(&s.query, "page").is_none())
        .collect();
    assert_eq!(first_pages.len(), 3, "⌈600/250⌉ id:in requests");
    let asked: BTreeSet<u32> = first_pages.iter().flat_map(|s| s.ids()).collect();
    assert_eq!(asked, (1..=600).collect());
    assert!(
        first_pages
            .iter()
            .all(|s| s.ids().len() <= 250 && s.query.ends_with("&limit=250"))
    );
    // 125, 125 and 50 even IDs in the chunks 1–250, 251–500, 501–600, at 100 per page: 2 + 2 + 1.
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn a_hostile_subscriber_listing_fails_whole() {
    let cases = [
        (
            json!({"data": [subscriber(1), subscriber(9)]}),
            "subscriber 9 was returned but not asked for",
        ),
        (
            json!({"data": [subscriber(1), subscriber(1)]}),
            "subscriber 1 was returned twice",
        ),
        (json!({"data": [{"email": "a@b.c"}]}), "data[0] has no id"),
        (
            json!({"data": [{"id": 1, "email": "a@b.c"}]}),
            "subscriber 1 has no date_modified",
        ),
        (
            json!({"data": [subscriber(1)], "meta": {"pagination": {"total": 1, "count": 1,
                "per_page": 250, "total_pages": 0}}}),
            "make 1 page(s), not 0",
        ),
        (json!({"data": [subscriber(1)]}), "no meta.pagination"),
    ];
    for (body, expected) in cases {
        let reply = body.clone();
        let server = Server::start(move |_: &Seen, _| Reply::json(200, reply.clone())).await;
        let error = bounded(client(&server).list_subscribers(&[1, 2]))
            .await
            .expect_err(expected);
        assert!(matches!(error, ApiError::InvalidResponse { .. }), "{error}");
        assert!(error.to_string().contains(expected), "{body}: {error}");
    }
}

#[tokio::test]
async fn delete_subscriber_sends_one_delete_to_its_own_path_and_is_retried_like_customers() {
    let server = Server::start(|_: &Seen, i| {
        if i == 0 {
            Reply::status(503)
        } else {
            Reply::status(204)
        }
    })
    .await;
    let client = client(&server);
    bounded(client.delete_subscriber(7)).await.expect("deleted");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.method, "DELETE");
        assert_eq!(s.path, format!("{SUBSCRIBERS}/7"));
        assert_eq!(s.query, "");
        assert_eq!(s.headers["x-auth-token"], TOKEN);
    }
    let stats = client.stats();
    assert_eq!((stats.delete_requests, stats.retries), (2, 1));

    let server = Server::start(|_: &Seen, _| {
        Reply::json(404, json!({"status": 404, "title": "Subscriber not found"}))
    })
    .await;
    let error = bounded(client_for(&server).delete_subscriber(8))
        .await
        .expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert!(
        error.to_string().contains(&format!(
            "DELETE {SUBSCRIBERS}/8 returned HTTP 404 \"Subscriber not found\""
        )),
        "{error}"
    );
    assert_eq!(server.count(), 1, "a 404 is not retried");
}

fn client_for(server: &Server) -> Client {
    client(server)
}

#[tokio::test]
async fn no_delete_can_reach_the_subscribers_collection() {
    let server = Server::start(|_: &Seen, _| Reply::status(204)).await;
    let client = client(&server);
    let error = bounded(client.delete_subscriber(0))
        .await
        .expect_err("zero");
    assert!(error.to_string().contains("subscriber 0"), "{error}");
    // Even a hand-built request is stopped where every request passes.
    let collection = format!("{}{SUBSCRIBERS}", server.url());
    for url in [
        collection.clone(),
        format!("{collection}?email=a@b.c"),
        format!("{collection}/"),
        format!("{collection}/0"),
        format!("{collection}/7?x=1"),
        format!("{}{PATH}", server.url()),
        format!("{}{PATH}?id:in=", server.url()),
        format!("{}{PATH}?email:in=a@b.c", server.url()),
    ] {
        let url = reqwest::Url::parse(&url).expect("url");
        let error = bounded(client.send(reqwest::Method::DELETE, url.clone(), "test", 1024))
            .await
            .expect_err(url.as_str());
        assert!(
            error.to_string().contains("refusing to send DELETE"),
            "{url}: {error}"
        );
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

// ---------------------------------------------------------------------------------------------
// Email lookups (issue 11.1)

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// The emails a lookup asked for (`email:in` split on commas, or `email`), decoded.
fn asked_emails(seen: &Seen) -> Vec<String> {
    param(&seen.query, "email:in")
        .map(|list| list.split(',').map(decode).collect())
        .or_else(|| param(&seen.query, "email").map(|e| vec![decode(e)]))
        .unwrap_or_default()
}

/// People in the store: (id, email). Matching is exact, as a case-sensitive API would do.
const PEOPLE: &[(u32, &str)] = &[
    (1, "jane@example.com"),
    (2, "jane@example.com"),
    (3, "Bob+news@Example.org"),
    (4, "other@example.com"),
];

fn people_store(subscribers: bool) -> impl Fn(&Seen, usize) -> Reply {
    move |seen, _| {
        let asked = asked_emails(seen);
        let data: Vec<Value> = PEOPLE
            .iter()
            .filter(|(_, email)| asked.iter().any(|a| a == email))
            .map(|(id, email)| {
                let mut record = if subscribers {
                    subscriber(*id)
                } else {
                    customer(*id)
                };
                record["email"] = json!(email);
                record
            })
            .collect();
        Reply::json(
            200,
            json!({"data": data, "meta": {"pagination": {"total": data.len(),
            "count": data.len(), "per_page": 250, "current_page": 1, "total_pages": 1}}}),
        )
    }
}

#[tokio::test]
async fn customers_by_email_queries_both_cases_and_matches_back_without_regard_to_case() {
    let server = Server::start(people_store(false)).await;
    let client = client(&server);
    let emails = [
        " Jane@Example.com ",
        "bob+news@example.org",
        "nobody@example.com",
    ]
    .map(String::from);
    let found = bounded(client.customers_by_email(&emails))
        .await
        .expect("lookup");
    let ids = |email: &str| found[email].iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(found.len(), 3);
    assert_eq!(ids("Jane@Example.com"), [1, 2], "both channels' customers");
    assert_eq!(
        ids("bob+news@example.org"),
        Vec::<u32>::new(),
        "the store holds Bob+news@Example.org; the API matched exactly"
    );
    assert_eq!(ids("nobody@example.com"), Vec::<u32>::new());
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one email:in request");
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, PATH);
    assert!(seen[0].query.contains("email:in="), "{}", seen[0].query);
    assert!(
        seen[0].query.contains("bob%2Bnews@example.org"),
        "a plus is encoded: {}",
        seen[0].query
    );
    let mut asked = asked_emails(&seen[0]);
    asked.sort();
    assert_eq!(
        asked,
        [
            "Jane@Example.com",
            "bob+news@example.org",
            "jane@example.com",
            "nobody@example.com"
        ]
    );
    assert!(seen[0].query.ends_with("&limit=250"));
}

#[tokio::test]
async fn a_lookup_takes_only_records_whose_email_is_the_address_up_to_ascii_case() {
    // The store answers a stranger and look-alikes (a collation that folds Unicode case, fullwidth
    // forms, long s) along with the person's own record in another ASCII case.
    let server = Server::start(|_: &Seen, _| {
        let emails = [
            "stranger@example.com",
            "\u{212A}ate@example.com",
            "kate@example.com",
            "\u{FF4B}ate@example.com",
            "KATE@EXAMPLE.COM",
        ];
        let data: Vec<Value> = emails
            .iter()
            .enumerate()
            .map(|(i, email)| {
                let mut record = customer(i as u32 + 1);
                record["email"] = json!(email);
                record
            })
            .collect();
        Reply::json(
            200,
            json!({"data": data, "meta": {"pagination": {"total": 5, "count": 5, "per_page": 250,
                "current_page": 1, "total_pages": 1}}}),
        )
    })
    .await;
    let asked = "Kate@Example.com".to_owned();
    let found = bounded(client(&server).customers_by_email(std::slice::from_ref(&asked)))
        .await
        .expect("lookup");
    let ids: Vec<u32> = found[&asked].iter().map(|c| c.id).collect();
    assert_eq!(ids, [3, 5], "only kate@ in ASCII case variants");
    let look_alike = "\u{212A}ate@example.com".to_owned();
    let found = bounded(client(&server).customers_by_email(std::slice::from_ref(&look_alike)))
        .await
        .expect("lookup");
    let ids: Vec<u32> = found[&look_alike].iter().map(|c| c.id).collect();
    assert_eq!(ids, [2], "the KELVIN SIGN address is its own");
    let subscribers = bounded(client(&server).subscribers_by_email("\u{FF4B}ate@example.com"))
        .await
        .expect("lookup");
    let ids: Vec<u32> = subscribers.iter().map(|s| s.id).collect();
    assert_eq!(ids, [4]);
}

#[tokio::test]
async fn lookup_errors_never_show_an_asked_email_in_clear() {
    let server = Server::start(|seen: &Seen, _| {
        let asked = asked_emails(seen).join(",");
        Reply::json(
            422,
            json!({"status": 422, "title": format!("The filter(s): {asked} are not valid")}),
        )
    })
    .await;
    let error = bounded(client(&server).customers_by_email(&["Jane.Doe@Example.com".to_owned()]))
        .await
        .expect_err("422");
    let text = format!("{error} {error:?}");
    assert!(!text.to_lowercase().contains("jane.doe@"), "{text}");
    assert!(
        text.contains("J***@Example.com") || text.contains("j***@example.com"),
        "{text}"
    );
    assert!(text.contains("email:in=(2 emails)"), "{text}");
    let error = bounded(client(&server).subscribers_by_email("Jane.Doe@Example.com"))
        .await
        .expect_err("422");
    let text = format!("{error} {error:?}");
    assert!(!text.to_lowercase().contains("jane.doe@"), "{text}");
    assert!(text.contains("email=(1 email)"), "{text}");
}

#[tokio::test]
async fn many_emails_are_batched_in_queries_well_under_8_kb() {
    let server = Server::start(people_store(false)).await;
    let client = client(&server);
    let emails: Vec<String> = (0..700)
        .map(|n| {
            format!(
                "person.{n:04}+erasure-request{}@example-{n}.com",
                "x".repeat(n % 40)
            )
        })
        .collect();
    let found = bounded(client.customers_by_email(&emails))
        .await
        .expect("lookup");
    assert_eq!(found.len(), 700);
    let seen = server.seen();
    let mut asked = Vec::new();
    for s in &seen {
        assert!(
            s.query.len() <= EMAIL_QUERY_BUDGET,
            "{} bytes",
            s.query.len()
        );
        let batch = asked_emails(s);
        assert!(batch.len() <= EMAILS_PER_LOOKUP);
        asked.extend(batch);
    }
    asked.sort();
    let mut expected = emails.clone();
    expected.sort();
    assert_eq!(asked, expected, "every email asked exactly once");
    // As few requests as fit: every batch but the last is full (one more would not fit).
    let batches = lookup::email_batches(&expected);
    assert_eq!(seen.len(), batches.len());
    for pair in batches.windows(2) {
        let (encoded, batch) = &pair[0];
        let next = lookup::encode(&pair[1].1[0]);
        assert!(
            batch.len() == EMAILS_PER_LOOKUP
                || format!("email:in={encoded},{next}&limit=250&page=99999").len()
                    > EMAIL_QUERY_BUDGET
        );
    }
    assert!(seen.len() >= 700usize.div_ceil(EMAILS_PER_LOOKUP));
}

#[tokio::test]
async fn customers_by_email_follows_pages() {
    // 3 customers with the same email, served 2 per page.
    let server = Server::start(|seen: &Seen, _| {
        let page: usize = param(&seen.query, "page").map_or(1, |p| p.parse().expect("page"));
        let data: Vec<Value> = [11u32, 12, 13]
            .iter()
            .skip((page - 1) * 2)
            .take(2)
            .map(|id| {
                let mut c = customer(*id);
                c["email"] = json!("jane@example.com");
                c
            })
            .collect();
        Reply::json(
            200,
            json!({"data": data, "meta": {"pagination": {"total": 3, "count": data.len(),
            "per_page": 2, "current_page": page, "total_pages": 2}}}),
        )
    })
    .await;
    let found = bounded(client(&server).customers_by_email(&["jane@example.com".to_owned()]))
        .await
        .expect("lookup");
    let ids: Vec<u32> = found["jane@example.com"].iter().map(|c| c.id).collect();
    assert_eq!(ids, [11, 12, 13]);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn subscribers_by_email_asks_once_per_form_of_the_address() {
    let server = Server::start(people_store(true)).await;
    let client = client(&server);
    let found = bounded(client.subscribers_by_email(" jane@example.com "))
        .await
        .expect("lookup");
    assert_eq!(found.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(server.count(), 1, "already lower-case: one request");
    let found = bounded(client.subscribers_by_email("BOB+news@example.ORG"))
        .await
        .expect("lookup");
    assert!(
        found.is_empty(),
        "neither form is the stored Bob+news@Example.org"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "mixed case: as given and lower-cased");
    let asked: Vec<String> = seen[1..].iter().flat_map(asked_emails).collect();
    assert!(
        asked.contains(&"BOB+news@example.ORG".to_owned())
            && asked.contains(&"bob+news@example.org".to_owned()),
        "{asked:?}"
    );
    for s in &seen {
        assert_eq!(s.method, "GET", "a read-only token is enough");
        assert_eq!(s.path, SUBSCRIBERS);
        assert!(
            param(&s.query, "email").is_some() && s.query.ends_with("&limit=250"),
            "{}",
            s.query
        );
    }
    let error = bounded(client.subscribers_by_email("  "))
        .await
        .expect_err("empty");
    assert!(matches!(error, ApiError::Config(_)));
    assert_eq!(server.count(), 3, "nothing sent for an empty address");
}

#[tokio::test]
async fn a_delete_whose_first_attempt_may_have_acted_stays_unknown_when_later_attempts_are_429() {
    // The first attempt gets a 503 (the store may have carried it out); every retry is rate limited
    // until the attempts run out. The last answer being a 429 proves only that the *last* attempt was
    // not carried out: the outcome of the DELETE is unknown, so apply must list again, not fail it.
    let server = Server::start(|_: &Seen, n| {
        if n == 0 {
            Reply::json(503, json!({"title": "Service Unavailable"}))
        } else {
            Reply::status(429).with("x-rate-limit-time-reset-ms", "1")
        }
    })
    .await;
    let error = bounded(client(&server).delete(&[1]))
        .await
        .expect_err("gives up");
    let what = DeleteError::from_api(error);
    assert!(
        matches!(what, DeleteError::Unknown { .. }),
        "an earlier attempt may have deleted: {what:?}"
    );
    assert!(what.may_have_deleted());
    assert_eq!(server.count(), 4);
}

// ---------------------------------------------------------------------------------------------
// Orders (PRODUCT §15): what can never be sent

#[tokio::test]
async fn no_order_delete_and_no_put_but_a_redaction_body_can_be_sent() {
    let server = Server::start(|_: &Seen, _| Reply::status(204)).await;
    let client = client(&server);
    let orders = format!("{}/stores/abc123/v2/orders", server.url());
    // No DELETE on any orders URL: the collection archives every order, an ID archives one.
    for url in [
        orders.clone(),
        format!("{orders}?customer_id=5"),
        format!("{orders}/7"),
        format!("{orders}/7/shipping_addresses/71"),
    ] {
        let url = reqwest::Url::parse(&url).expect("url");
        let error = bounded(client.send(reqwest::Method::DELETE, url.clone(), "test", 1024))
            .await
            .expect_err(url.as_str());
        assert!(
            error.to_string().contains("refusing to send DELETE"),
            "{url}: {error}"
        );
    }
    // A PUT only with the redaction body, only to one order or one of its shipping addresses.
    let redaction = crate::order_redaction::order_body(Default::default());
    let mut with_products = redaction.clone();
    with_products["products"] = json!([{"id": 1, "quantity": 1}]);
    let mut with_value = redaction.clone();
    with_value["billing_address"]["first_name"] = json!("Jane");
    let address = crate::order_redaction::address_body();
    let cases: Vec<(String, Option<Value>)> = vec![
        (format!("{orders}/7"), Some(with_products)),
        (format!("{orders}/7"), Some(with_value)),
        (format!("{orders}/7"), Some(json!({"fees": []}))),
        (format!("{orders}/7"), Some(json!({"status_id": 5}))),
        (format!("{orders}/7"), Some(address.clone())),
        (format!("{orders}/7"), None),
        (orders.clone(), Some(redaction.clone())),
        (format!("{orders}/0"), Some(redaction.clone())),
        (format!("{orders}/7?x=1"), Some(redaction.clone())),
        (
            format!("{orders}/7/shipping_addresses/71"),
            Some(redaction.clone()),
        ),
        (format!("{}{PATH}/7", server.url()), Some(redaction.clone())),
    ];
    for (url, body) in cases {
        let url = reqwest::Url::parse(&url).expect("url");
        let error = bounded(client.send_body(
            reqwest::Method::PUT,
            url.clone(),
            "test",
            1024,
            body.as_ref(),
        ))
        .await
        .expect_err(url.as_str());
        assert!(
            error.to_string().contains("refusing to send PUT"),
            "{url} {body:?}: {error}"
        );
    }
    // No other method carries a body, and no other method is sent at all.
    for method in [reqwest::Method::POST, reqwest::Method::PATCH] {
        let url = reqwest::Url::parse(&format!("{orders}/7")).expect("url");
        let error = bounded(client.send_body(method, url, "test", 1024, Some(&redaction)))
            .await
            .expect_err("refused");
        assert!(error.to_string().contains("refusing to send"), "{error}");
    }
    assert_eq!(server.count(), 0, "nothing was sent");
    // The redaction bodies themselves go through.
    for (url, body) in [
        (format!("{orders}/7"), redaction),
        (format!("{orders}/7/shipping_addresses/71"), address),
    ] {
        let url = reqwest::Url::parse(&url).expect("url");
        bounded(client.send_body(reqwest::Method::PUT, url, "test", 1024, Some(&body)))
            .await
            .expect("sent");
    }
    assert_eq!(server.count(), 2);
}
