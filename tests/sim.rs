//! Integration tests: the fake store (`bcprune::sim`) behaves as API-NOTES §7 says the real Customers V3
//! API does, as §10 and `subscribers.v3.yml` say the subscribers endpoints do — the collection DELETE
//! that wipes every subscriber included —, and as §11 and `orders.v2.yml` say the V2 orders endpoints
//! do — the archiving DELETEs and the PUT's side effects included —; and its knobs, faults and hostile
//! modes do what the rest of the test suite relies on. No assertion depends on the machine's speed.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bcprune::Resource;
use bcprune::sim::{
    EmailMatch, Hostile, InvalidIdIn, OverLimit, READ_ONLY_TOKEN, READ_WRITE_TOKEN, SimConfig,
    SimServer, UnknownIds, UnknownPath, UnknownSubscriber, encode_cursor,
};
use serde_json::{Value, json};

const RATE_HEADERS: [&str; 4] = [
    "x-rate-limit-time-window-ms",
    "x-rate-limit-time-reset-ms",
    "x-rate-limit-requests-quota",
    "x-rate-limit-requests-left",
];

/// One answer, fully read.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn ids(&self) -> Vec<u64> {
        self.json()["data"]
            .as_array()
            .expect("data array")
            .iter()
            .map(|c| c["id"].as_u64().expect("id"))
            .collect()
    }
}

thread_local! {
    /// One client per test thread (each `#[tokio::test]` has its own thread and runtime): building a
    /// rustls client is slow, and pooled connections must not outlive the runtime that made them.
    static CLIENT: reqwest::Client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
}

fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

/// Send `method` to `url` with an optional token; panics only on transport errors.
async fn send(method: &str, url: &str, token: Option<&str>) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client().request(method, url);
    if let Some(token) = token {
        req = req.header("X-Auth-Token", token);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

async fn get(sim: &SimServer, query: &str) -> Resp {
    send(
        "GET",
        &format!("{}?{query}", sim.customers_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await
}

async fn delete(sim: &SimServer, query: &str) -> Resp {
    let url = if query.is_empty() {
        sim.customers_url()
    } else {
        format!("{}?{query}", sim.customers_url())
    };
    send("DELETE", &url, Some(READ_WRITE_TOKEN)).await
}

async fn start(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("sim starts")
}

/// A small store with no rate limit in the way.
fn small() -> SimConfig {
    SimConfig::default().customers(300).unlimited()
}

fn ids(range: std::ops::RangeInclusive<u32>) -> BTreeSet<u32> {
    range.collect()
}

// ------------------------------------------------------------------------------- routing and auth

#[tokio::test]
async fn unknown_paths_trailing_slash_and_unknown_store_are_404_and_other_methods_405() {
    let sim = start(small()).await;
    let base = sim.base_url();
    for path in [
        "/stores/demo42/v3/customers/",
        "/stores/demo42/v3/orders",
        "/stores/demo42/v2/customers",
        "/",
    ] {
        let r = send("GET", &format!("{base}{path}"), Some(READ_WRITE_TOKEN)).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["status"], 404);
    }
    let r = send(
        "GET",
        &format!("{base}/stores/other1/v3/customers"),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 404);
    for method in ["POST", "PUT", "PATCH"] {
        let r = send(method, &sim.customers_url(), Some(READ_WRITE_TOKEN)).await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, DELETE"));
    }
    assert_eq!(sim.customer_ids().len(), 300);

    let sim = start(small().unknown_path(UnknownPath::AuthenticationRequired403)).await;
    let url = format!("{}/", sim.customers_url());
    let r = send("GET", &url, Some(READ_WRITE_TOKEN)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["title"], "Authentication Required");
}

#[tokio::test]
async fn missing_or_wrong_token_is_401_with_the_error_shape() {
    let sim = start(small()).await;
    for token in [None, Some("nope"), Some("")] {
        for method in ["GET", "DELETE"] {
            let r = send(method, &format!("{}?id:in=1", sim.customers_url()), token).await;
            assert_eq!(r.status, 401, "{method} {token:?}");
            let body = r.json();
            assert_eq!(body["status"], 401);
            assert!(body["title"].is_string() && body["type"].is_string());
        }
    }
    assert!(
        sim.customer_ids().contains(&1),
        "a 401 DELETE deleted nothing"
    );
}

#[tokio::test]
async fn read_only_token_may_get_but_delete_is_403_and_deletes_nothing() {
    let sim = start(small()).await;
    let url = format!("{}?id:in=1,2", sim.customers_url());
    let r = send("GET", &url, Some(READ_ONLY_TOKEN)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.ids(), vec![1, 2]);
    let r = send("DELETE", &url, Some(READ_ONLY_TOKEN)).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"status":403,"title":"You don't have a required scope to access the endpoint",
               "type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes","errors":{}})
    );
    assert_eq!(sim.customer_ids(), ids(1..=300));
}

#[tokio::test]
async fn an_accept_header_without_json_is_406_and_head_works_like_get() {
    let sim = start(small()).await;
    let url = format!("{}?id:in=1", sim.customers_url());
    for (accept, status) in [
        ("text/html", 406),
        ("application/json", 200),
        ("*/*", 200),
        ("text/html, application/json;q=0.9", 200),
    ] {
        let r = client()
            .get(&url)
            .header("X-Auth-Token", READ_WRITE_TOKEN)
            .header("Accept", accept)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), status, "{accept}");
    }
    let r = send("HEAD", &url, Some(READ_ONLY_TOKEN)).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

// -------------------------------------------------------------------------------------------- GET

#[tokio::test]
async fn get_filters_by_id_in_sorted_and_by_email_in() {
    let sim = start(small()).await;
    let r = get(&sim, "id:in=42,7,999,7").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.ids(),
        vec![7, 42],
        "sorted by id, unknown and repeated IDs dropped"
    );
    // Percent-encoded colon and commas are the same request.
    assert_eq!(get(&sim, "id%3Ain=42%2C7").await.ids(), vec![7, 42]);

    let email = sim.customer(7).expect("seeded")["email"]
        .as_str()
        .expect("email")
        .to_string();
    let r = get(&sim, &format!("email:in={email},nobody@example.com")).await;
    assert_eq!(r.ids(), vec![7]);
    assert_eq!(r.json()["data"][0], sim.customer(7).expect("seeded"));
}

#[tokio::test]
async fn customers_carry_every_customer_full_field_in_the_api_formats() {
    let sim = start(small()).await;
    let c = get(&sim, "id:in=1").await.json()["data"][0].clone();
    for field in [
        "id",
        "email",
        "first_name",
        "last_name",
        "company",
        "phone",
        "registration_ip_address",
        "notes",
        "tax_exempt_category",
        "customer_group_id",
        "date_created",
        "date_modified",
        "address_count",
        "attribute_count",
        "authentication",
        "accepts_product_review_abandoned_cart_emails",
        "store_credit_amounts",
        "origin_channel_id",
        "channel_ids",
    ] {
        assert!(c.get(field).is_some(), "missing {field}: {c}");
    }
    for field in ["addresses", "attributes", "form_fields"] {
        assert!(c.get(field).is_none(), "{field} only with include");
    }
    let date = c["date_modified"].as_str().expect("date");
    assert_eq!(date.len(), 20, "{date}");
    assert!(date.ends_with('Z') && date.as_bytes()[10] == b'T', "{date}");
    assert!(c["authentication"]["force_password_reset"].is_boolean());
    assert!(c["store_credit_amounts"][0]["amount"].is_number());

    let c = get(&sim, "id:in=1&include=addresses,attributes,formfields")
        .await
        .json()["data"][0]
        .clone();
    assert_eq!(
        c["addresses"].as_array().map(Vec::len),
        c["address_count"].as_u64().map(|n| n as usize)
    );
    assert_eq!(c["attributes"], json!([]));
    assert_eq!(c["form_fields"], json!([]));
}

#[tokio::test]
async fn limit_defaults_to_50_and_250_is_served() {
    let sim = start(small()).await;
    let r = get(&sim, "").await.json();
    assert_eq!(r["data"].as_array().map(Vec::len), Some(50));
    assert_eq!(r["meta"]["pagination"]["per_page"], 50);
    let r = get(&sim, "limit=250").await.json();
    assert_eq!(r["data"].as_array().map(Vec::len), Some(250));
    assert_eq!(r["meta"]["pagination"]["total_pages"], 2);
    // A 250-ID id:in with limit=250 comes back whole in one page.
    let all: Vec<String> = (1..=250).map(|n| n.to_string()).collect();
    let r = get(&sim, &format!("id:in={}&limit=250", all.join(","))).await;
    assert_eq!(r.ids().len(), 250);
}

#[tokio::test]
async fn limit_over_250_is_413_or_422_or_clamped_as_configured() {
    let sim = start(small()).await;
    let r = get(&sim, "limit=251").await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["status"], 413);
    assert!(
        r.json()["title"]
            .as_str()
            .is_some_and(|t| t.contains("limit"))
    );

    let sim = start(small().over_limit(OverLimit::Status422)).await;
    let r = get(&sim, "limit=251").await;
    assert_eq!(r.status, 422);
    assert!(r.json()["errors"].is_object());

    let sim = start(small().over_limit(OverLimit::Clamp)).await;
    let r = get(&sim, "limit=1000").await.json();
    assert_eq!(r["data"].as_array().map(Vec::len), Some(250));
    assert_eq!(r["meta"]["pagination"]["per_page"], 250);
}

#[tokio::test]
async fn page_one_has_both_meta_blocks_later_pages_only_pagination_cursors_only_cursor() {
    let sim = start(SimConfig::default().customers(120).unlimited()).await;
    let p1 = get(&sim, "limit=50").await.json();
    assert_eq!(
        p1["meta"]["pagination"],
        json!({"total":120,"count":50,"per_page":50,"current_page":1,"total_pages":3,
               "links":{"current":"?page=1&limit=50","next":"?page=2&limit=50"}})
    );
    let cursor = &p1["meta"]["cursor_pagination"];
    assert_eq!(cursor["count"], 50);
    assert_eq!(cursor["start_cursor"], encode_cursor(1));
    assert_eq!(cursor["end_cursor"], encode_cursor(50));
    assert_eq!(cursor["links"]["next"], "?limit=50&after=aWQ6NTA%3D");

    let p3 = get(&sim, "page=3&limit=50").await.json();
    assert!(p3["meta"].get("cursor_pagination").is_none());
    assert_eq!(
        p3["meta"]["pagination"],
        json!({"total":120,"count":20,"per_page":50,"current_page":3,"total_pages":3,
               "links":{"previous":"?page=2&limit=50","current":"?page=3&limit=50"}})
    );
    assert_eq!(p3["data"][0]["id"], 101);

    let after = get(&sim, "limit=50&page=7&after=aWQ6NTA%3D").await;
    let body = after.json();
    assert!(
        body["meta"].get("pagination").is_none(),
        "page is ignored with a cursor"
    );
    assert_eq!(after.ids().first(), Some(&51));
    assert_eq!(
        body["meta"]["cursor_pagination"]["end_cursor"],
        encode_cursor(100)
    );
    let last = get(&sim, &format!("limit=50&after={}", encode_cursor(100))).await;
    assert_eq!(last.ids(), (101..=120).collect::<Vec<_>>());
    assert!(
        last.json()["meta"]["cursor_pagination"]["links"]
            .get("next")
            .is_none()
    );
    let before = get(&sim, &format!("limit=10&before={}", encode_cursor(51))).await;
    assert_eq!(before.ids(), (41..=50).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_filter_matching_nothing_is_200_with_empty_data() {
    let sim = start(small()).await;
    let r = get(&sim, "id:in=100000,100001").await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["pagination"]["total"], 0);
    assert_eq!(body["meta"]["pagination"]["total_pages"], 0);
}

#[tokio::test]
async fn unknown_filters_and_bad_values_are_422_with_the_observed_body() {
    let sim = start(small()).await;
    let r = get(&sim, "customer_id=1").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"status":422,"title":"The filter(s): customer_id are not valid filter parameter(s).",
               "type":"https://developer.bigcommerce.com/api#api-status-codes","errors":{}})
    );
    for query in [
        "id:in=abc",
        "id:in=",
        "id:in=1,,2",
        "limit=0",
        "page=0",
        "page=x",
        "sort=id:asc",
        "after=zzz",
    ] {
        let r = get(&sim, query).await;
        assert_eq!(r.status, 422, "{query}");
        assert_eq!(r.json()["status"], 422);
    }
}

// ----------------------------------------------------------------------------------------- DELETE

#[tokio::test]
async fn delete_without_id_in_answers_204_and_deletes_nothing() {
    let sim = start(small()).await;
    for query in ["", "email:in=x@example.com", "id=1"] {
        let r = delete(&sim, query).await;
        assert_eq!(r.status, 204, "{query:?}");
        assert!(r.body.is_empty());
    }
    assert_eq!(sim.customer_ids(), ids(1..=300));
}

#[tokio::test]
async fn delete_with_empty_or_non_numeric_id_in_is_422_or_configured_no_op() {
    let sim = start(small()).await;
    for query in ["id:in=", "id:in=1,x", "id:in=-1", "id:in=1.5"] {
        let r = delete(&sim, query).await;
        assert_eq!(r.status, 422, "{query}");
        let body = r.json();
        assert_eq!(body["status"], 422);
        assert!(
            body["title"].is_string() && body["type"].is_string() && body["errors"].is_object()
        );
    }
    assert_eq!(
        sim.customer_ids(),
        ids(1..=300),
        "nothing deleted, not even the valid ID 1"
    );

    let sim = start(small().invalid_id_in(InvalidIdIn::NoOp204)).await;
    assert_eq!(delete(&sim, "id:in=1,x").await.status, 204);
    assert_eq!(sim.customer_ids(), ids(1..=300));
}

#[tokio::test]
async fn valid_delete_removes_existing_ids_ignores_unknown_and_answers_empty_204() {
    let sim = start(small()).await;
    let r = delete(&sim, "id:in=3,5,100000").await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), None);
    let now = sim.customer_ids();
    assert!(!now.contains(&3) && !now.contains(&5));
    assert_eq!(now.len(), 298);
    assert_eq!(get(&sim, "id:in=3,4,5").await.ids(), vec![4]);
    // Deleting again is idempotent.
    assert_eq!(delete(&sim, "id:in=3,5").await.status, 204);
}

#[tokio::test]
async fn unknown_ids_can_be_configured_to_fail_the_whole_delete() {
    let sim = start(small().unknown_delete_ids(UnknownIds::Reject422)).await;
    let r = delete(&sim, "id:in=3,100000").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["title"], "Bulk operation has failed");
    assert!(r.json()["errors"].get("100000").is_some());
    assert!(sim.customer_ids().contains(&3), "nothing deleted");
}

#[tokio::test]
async fn deletes_over_the_id_cap_answer_the_configured_status_and_delete_nothing() {
    for status in [413, 414, 422] {
        let sim = start(small().max_ids_per_delete(3, status)).await;
        let r = delete(&sim, "id:in=1,2,3,4").await;
        assert_eq!(r.status, status);
        assert_eq!(sim.customer_ids().len(), 300);
        assert_eq!(delete(&sim, "id:in=1,2,3").await.status, 204);
        assert_eq!(sim.customer_ids().len(), 297);
    }
}

#[tokio::test]
async fn rejected_ids_fail_the_delete_with_the_bulk_error_body() {
    let sim = start(small().reject_delete_ids([7, 9])).await;
    let r = delete(&sim, "id:in=5,7,9").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"status":422,"title":"Bulk operation has failed",
               "type":"https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
               "errors":{"7":"Unauthorized to delete","9":"Unauthorized to delete"}})
    );
    assert!(
        sim.customer_ids().is_superset(&[5, 7, 9].into()),
        "nothing deleted"
    );
    assert_eq!(delete(&sim, "id:in=5").await.status, 204);

    let sim = start(small().reject_delete_ids([7]).partial_reject(true)).await;
    assert_eq!(delete(&sim, "id:in=5,7").await.status, 422);
    let now = sim.customer_ids();
    assert!(
        !now.contains(&5) && now.contains(&7),
        "partial: the others were deleted"
    );
    assert_eq!(
        sim.requests().last().map(|r| r.deleted.clone()),
        Some(vec![5])
    );
}

// ------------------------------------------------------------------------------------ rate limits

#[tokio::test]
async fn every_response_carries_the_four_rate_limit_headers() {
    let sim = start(SimConfig::default().customers(10)).await;
    let base = sim.base_url();
    let url = sim.customers_url();
    let answers = vec![
        get(&sim, "id:in=1").await,
        delete(&sim, "id:in=2").await,
        delete(&sim, "id:in=x").await,
        send("GET", &url, None).await,
        send("GET", &format!("{base}/nope"), Some(READ_WRITE_TOKEN)).await,
        send("POST", &url, Some(READ_WRITE_TOKEN)).await,
        send("DELETE", &url, Some(READ_ONLY_TOKEN)).await,
    ];
    let mut lefts = Vec::new();
    for r in &answers {
        for h in RATE_HEADERS {
            assert!(r.header(h).is_some(), "{h} missing on {}", r.status);
        }
        assert_eq!(r.header("x-rate-limit-requests-quota"), Some("150"));
        assert_eq!(r.header("x-rate-limit-time-window-ms"), Some("30000"));
        lefts.push(
            r.header("x-rate-limit-requests-left")
                .and_then(|v| v.parse::<u32>().ok()),
        );
    }
    let expected: Vec<Option<u32>> = (143..150).rev().map(Some).collect();
    assert_eq!(
        lefts, expected,
        "every request, whatever its status, costs one unit"
    );
}

/// Send a raw HTTP/1.1 request and return the response head as sent on the wire.
fn raw_head(addr: std::net::SocketAddr, path: &str) -> String {
    raw_get(addr, path)
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The whole response (head and body) to a GET of `path`, as text.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {READ_WRITE_TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    text
}

#[test]
fn rate_limit_header_names_are_lower_case_on_the_wire_from_a_background_server() {
    let sim = SimServer::start_background(SimConfig::default().customers(5)).expect("start");
    let head = raw_head(sim.addr(), "/stores/demo42/v3/customers?id:in=1");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for h in RATE_HEADERS {
        assert!(
            head.contains(&format!("\n{h}: ")),
            "{h} not lower-case in:\n{head}"
        );
    }
    let head = raw_head(sim.addr(), "/stores/demo42/v3/customers/");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(head.contains("\nx-rate-limit-requests-left: "), "{head}");
}

/// No timing: a 30 s window no loaded machine outruns, and the reset comes from `end_window` (the
/// time-based roll is unit-tested in `sim::ratelimit` with explicit instants).
#[tokio::test]
async fn an_exhausted_quota_answers_429_with_retry_after_until_the_window_resets() {
    let sim = start(
        SimConfig::default()
            .customers(10)
            .rate_limit(3, Duration::from_secs(30)),
    )
    .await;
    for left in ["2", "1", "0"] {
        let r = get(&sim, "id:in=1").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-rate-limit-requests-left"), Some(left));
    }
    for _ in 0..2 {
        let r = get(&sim, "id:in=1").await;
        assert_eq!(r.status, 429);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-rate-limit-requests-left"), Some("0"));
        assert_eq!(r.header("x-rate-limit-requests-quota"), Some("3"));
        let reset: u64 = r
            .header("x-rate-limit-time-reset-ms")
            .and_then(|v| v.parse().ok())
            .expect("reset");
        assert!(reset > 0 && reset <= 30_000, "{reset}");
        assert_eq!(
            r.header("x-retry-after"),
            Some(reset.div_ceil(1000).to_string().as_str()),
            "ceil(reset_ms / 1000)"
        );
        assert_eq!(
            r.json(),
            json!({"status":429,"title":"Too many requests","type":"/api-docs/getting-started/api-status-codes","errors":{}})
        );
    }
    assert_eq!(
        get(&sim, "id:in=1").await.status,
        429,
        "still the same window"
    );
    sim.faults().end_window();
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 200, "a new window");
    assert_eq!(r.header("x-rate-limit-requests-left"), Some("2"));
}

#[tokio::test]
async fn quota_429_can_omit_retry_after_and_other_apps_can_eat_the_quota() {
    let sim = start(
        SimConfig::default()
            .customers(10)
            .rate_limit(5, Duration::from_secs(30))
            .omit_retry_after(true),
    )
    .await;
    sim.faults().consume_quota(5);
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-retry-after"), None);
    assert_eq!(r.header("x-rate-limit-requests-left"), Some("0"));
}

#[tokio::test]
async fn over_quota_requests_can_get_a_500_instead_of_a_429() {
    let sim = start(
        SimConfig::default()
            .customers(10)
            .rate_limit(1, Duration::from_secs(30))
            .over_quota_500_rate(1.0),
    )
    .await;
    assert_eq!(get(&sim, "id:in=1").await.status, 200);
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-rate-limit-requests-left"), Some("0"));
}

#[tokio::test]
async fn bare_429_knob_answers_429_without_any_rate_limit_header() {
    let sim = start(small().bare_429_rate(1.0)).await;
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 429);
    for h in RATE_HEADERS.iter().chain(&["x-retry-after"]) {
        assert_eq!(r.header(h), None, "{h}");
    }
}

/// Wait (bounded) until the store has received `n` requests.
async fn until_received(sim: &SimServer, n: usize) {
    for _ in 0..2000 {
        if sim.requests().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store never received {n} requests");
}

/// No head start: the first request is held in flight by the store itself until the second was
/// answered, however slow the machine.
#[tokio::test]
async fn concurrency_limit_answers_excess_requests_with_a_bare_429() {
    let sim = start(small().max_in_flight(1)).await;
    sim.faults().hold(true);
    let (a, b) = tokio::join!(get(&sim, "id:in=1"), async {
        until_received(&sim, 1).await;
        let b = get(&sim, "id:in=2").await;
        sim.faults().hold(false);
        b
    });
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 429);
    assert_eq!(b.header("x-rate-limit-requests-left"), None);
    assert_eq!(
        get(&sim, "id:in=2").await.status,
        200,
        "fine once the first finished"
    );
}

// --------------------------------------------------------------------------------- faults, latency

async fn statuses(seed: u64, n: usize) -> Vec<u16> {
    let sim = start(small().seed(seed).fail_rate(0.3)).await;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(get(&sim, "id:in=1").await.status);
    }
    out
}

#[tokio::test]
async fn fail_rate_injects_roughly_that_share_of_5xx_reproducibly_per_seed() {
    let a = statuses(7, 200).await;
    let failures = a.iter().filter(|&&s| s != 200).count();
    assert!(
        (30..=90).contains(&failures),
        "{failures} of 200 at rate 0.3"
    );
    assert!(
        a.iter().all(|s| [200, 500, 502, 503, 504].contains(s)),
        "{a:?}"
    );
    assert!(
        a.iter()
            .filter(|&&s| s >= 500)
            .collect::<BTreeSet<_>>()
            .len()
            > 1,
        "several 5xx kinds"
    );
    assert_eq!(a, statuses(7, 200).await, "same seed, same faults");
}

#[tokio::test]
async fn latency_knob_delays_every_response() {
    let sim = start(small().latency(Duration::from_millis(150))).await;
    let t = Instant::now();
    assert_eq!(get(&sim, "id:in=1").await.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn runtime_faults_fail_gets_lie_about_deletes_and_fail_after_deleting() {
    let sim = start(small()).await;
    let faults = sim.faults();

    faults.fail_gets(Some(500));
    assert_eq!(get(&sim, "id:in=1").await.status, 500);
    assert_eq!(
        delete(&sim, "id:in=1").await.status,
        204,
        "DELETE unaffected"
    );
    faults.fail_gets(None);
    assert_eq!(get(&sim, "id:in=2").await.status, 200);

    faults.lying_deletes(true);
    assert_eq!(delete(&sim, "id:in=2").await.status, 204);
    assert!(
        sim.customer_ids().contains(&2),
        "a lying 204 deletes nothing"
    );
    faults.lying_deletes(false);

    faults.fail_after_delete(Some(500));
    assert_eq!(delete(&sim, "id:in=2").await.status, 500);
    assert!(!sim.customer_ids().contains(&2), "deleted despite the 500");
    faults.fail_after_delete(None);

    faults.fail_deletes(Some(503));
    assert_eq!(delete(&sim, "id:in=3").await.status, 503);
    assert!(sim.customer_ids().contains(&3));
    faults.clear();

    faults.fail_next(2, 502);
    assert_eq!(get(&sim, "id:in=3").await.status, 502);
    assert_eq!(delete(&sim, "id:in=3").await.status, 502);
    assert_eq!(get(&sim, "id:in=3").await.status, 200);
}

// ------------------------------------------------------------------------------ log and the world

#[tokio::test]
async fn every_request_is_recorded_in_arrival_order_with_its_outcome() {
    let sim = start(small()).await;
    get(&sim, "id:in=1,2&limit=250").await;
    delete(&sim, "id:in=2,400").await;
    send("GET", &sim.customers_url(), Some("bad")).await;
    delete(&sim, "id:in=x").await;
    let log = sim.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log.iter()
            .map(|r| (r.method.as_str(), r.status))
            .collect::<Vec<_>>(),
        vec![("GET", 200), ("DELETE", 204), ("GET", 401), ("DELETE", 422)]
    );
    assert_eq!(log[0].path, "/stores/demo42/v3/customers");
    assert_eq!(log[0].query, "id:in=1,2&limit=250");
    assert_eq!(log[0].ids, Some(vec![1, 2]));
    assert_eq!(log[1].ids, Some(vec![2, 400]));
    assert_eq!(log[1].deleted, vec![2], "only the existing ID was deleted");
    assert!(!log[2].token_valid && log[0].token_valid);
    assert_eq!(log[2].ids, None);
    assert_eq!(log[3].ids, None, "invalid id:in is not parsed");
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn touch_remove_and_insert_change_what_the_store_returns() {
    let sim = start(small()).await;
    let before = sim.customer(5).expect("seeded");
    sim.touch(5);
    let after = get(&sim, "id:in=5").await.json()["data"][0].clone();
    assert!(after["date_modified"].as_str() > before["date_modified"].as_str());
    assert_eq!(after["email"], before["email"]);

    sim.remove(5);
    assert!(!sim.customer_ids().contains(&5));
    assert_eq!(get(&sim, "id:in=5").await.ids(), Vec::<u64>::new());

    sim.insert(5);
    sim.insert(1000);
    assert_eq!(get(&sim, "id:in=5,1000").await.ids(), vec![5, 1000]);
    let again = sim.customer(5).expect("re-created");
    assert_eq!(again["email"], before["email"], "same seeded person");
    assert_ne!(
        again["date_modified"], before["date_modified"],
        "a new record"
    );
}

#[tokio::test]
async fn same_seed_gives_the_same_customers_and_another_seed_does_not() {
    let a = start(small().seed(11)).await;
    let b = start(small().seed(11)).await;
    let c = start(small().seed(12)).await;
    let q = "limit=250";
    assert_eq!(get(&a, q).await.body, get(&b, q).await.body);
    assert_ne!(get(&a, q).await.body, get(&c, q).await.body);
    // Realistic: distinct names and reserved-domain emails.
    let data = get(&a, q).await.json()["data"].clone();
    let names: BTreeSet<&str> = data
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["last_name"].as_str())
        .collect();
    assert!(names.len() > 10);
    assert!(data.as_array().expect("array").iter().all(|c| {
        let email = c["email"].as_str().unwrap_or_default();
        email.ends_with(".test") || email.contains("@example.")
    }));
}

/// Behaviour only (speed belongs in a benchmark): a 100k store serves exactly the 250 IDs asked for.
#[tokio::test]
async fn a_100k_store_answers_a_250_id_lookup_with_exactly_those_ids() {
    let sim = start(SimConfig::default().customers(100_000).unlimited()).await;
    let asked: Vec<u64> = (1..=250).map(|n| n * 397).collect();
    let list: Vec<String> = asked.iter().map(u64::to_string).collect();
    let r = get(&sim, &format!("id:in={}&limit=250", list.join(","))).await;
    assert_eq!(r.ids(), asked);
    assert_eq!(sim.customer_ids().len(), 100_000);
}

// ------------------------------------------------------------------------------------ hostile GETs

#[tokio::test]
async fn hostile_bad_json_and_html_pages() {
    let sim = start(small().hostile(Hostile::BadJson)).await;
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    let sim = start(small().hostile(Hostile::Html200)).await;
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    assert!(String::from_utf8_lossy(&r.body).contains("<html>"));

    sim.faults().hostile(Some(Hostile::Html502));
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 502);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    sim.faults().hostile(None);
    assert_eq!(get(&sim, "id:in=1").await.ids(), vec![1]);
    assert_eq!(
        delete(&sim, "id:in=1").await.status,
        204,
        "DELETE is never hostile"
    );
}

#[tokio::test]
async fn hostile_truncated_body_breaks_the_transfer() {
    let sim = start(small().hostile(Hostile::TruncatedBody)).await;
    let resp = client()
        .get(format!("{}?id:in=1,2,3", sim.customers_url()))
        .header("X-Auth-Token", READ_WRITE_TOKEN)
        .send()
        .await
        .expect("head arrives");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.bytes().await.is_err(), "the body never completes");
}

#[tokio::test]
async fn hostile_huge_body_streams_that_many_bytes() {
    let size = 8 * 1024 * 1024;
    let sim = start(small().hostile(Hostile::HugeBody(size))).await;
    let r = get(&sim, "id:in=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), size);
    assert!(r.json()["data"].is_array(), "still valid JSON");
}

#[tokio::test]
async fn hostile_extra_customer_and_missing_id() {
    let sim = start(small().hostile(Hostile::ExtraCustomer)).await;
    let got = get(&sim, "id:in=1,2").await.ids();
    assert_eq!(got.len(), 3);
    assert!(got.iter().any(|id| ![1, 2].contains(id)), "{got:?}");

    sim.faults().hostile(Some(Hostile::MissingId));
    let data = get(&sim, "id:in=1,2").await.json()["data"].clone();
    assert!(data[0].get("id").is_none());
    assert_eq!(data[1]["id"], 2);
}

#[tokio::test]
async fn hostile_pagination_endless_and_zero_total_pages() {
    let sim = start(small().hostile(Hostile::EndlessPagination)).await;
    for page in [1, 2, 50] {
        let body = get(&sim, &format!("id:in=1,2&limit=250&page={page}"))
            .await
            .json();
        let p = &body["meta"]["pagination"];
        assert!(p["total_pages"].as_u64() > Some(1000));
        assert_eq!(p["links"]["next"], format!("?page={}&limit=250", page + 1));
    }
    sim.faults().hostile(Some(Hostile::ZeroTotalPages));
    let body = get(&sim, "id:in=1,2&limit=250").await.json();
    assert_eq!(body["meta"]["pagination"]["total_pages"], 0);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn hostile_hang_and_stall_end_when_the_server_is_dropped() {
    for mode in [Hostile::Hang, Hostile::StallBody] {
        let sim = start(small().hostile(mode)).await;
        let url = format!("{}?id:in=1", sim.customers_url());
        let request = tokio::spawn(async move {
            let resp = client()
                .get(url)
                .header("X-Auth-Token", READ_WRITE_TOKEN)
                .send()
                .await?;
            resp.bytes().await
        });
        until_received(&sim, 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!request.is_finished(), "{mode:?} should still be hanging");
        drop(sim);
        let done = tokio::time::timeout(Duration::from_secs(30), request).await;
        assert!(
            done.is_ok(),
            "{mode:?} did not end after the server was dropped"
        );
    }
}

// ------------------------------------------------------------------------------------ bcprune sim

#[cfg(unix)]
#[test]
fn bcprune_sim_prints_its_url_and_serves_until_killed() {
    let run = crate::support::run::Run::bare()
        .args([
            "sim",
            "--port",
            "0",
            "--customers",
            "20",
            "--subscribers",
            "7",
            "--quota",
            "10",
            "--orders",
            "5:2",
            "--guest-orders",
            "guest@example.com:1",
            "--orders",
            "6:1",
        ])
        .spawn();
    run.wait_for_stdout_lines(9);
    let stdout = run.stdout();
    let mut lines = stdout.lines().map(str::to_string);
    let first = lines.next().expect("a first line");
    let rest: Vec<String> = lines.take(8).collect();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("URL on the first line")
        .to_string();
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().expect("addr");
    let head = raw_head(addr, "/stores/demo42/v3/customers?id:in=20");
    let customer_orders = raw_get(addr, "/stores/demo42/v2/orders?customer_id=6");
    let guest_orders = raw_get(addr, "/stores/demo42/v2/orders?email=guest@example.com");
    // Ctrl-C (SIGINT) stops it with exit 0; the wait is bounded, then a hard kill so no process leaks.
    run.signal("INT");
    let exit = run.finish();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("x-rate-limit-requests-quota: 10"), "{head}");
    // Customers' orders first (5: 100, 101; 6: 102), then the guest's (103).
    assert!(
        customer_orders.starts_with("HTTP/1.1 200"),
        "{customer_orders}"
    );
    assert!(customer_orders.contains("\"id\":102"), "{customer_orders}");
    assert!(guest_orders.contains("\"id\":103"), "{guest_orders}");
    assert!(guest_orders.contains("\"customer_id\":0"), "{guest_orders}");
    assert_eq!(exit.code(), Some(0), "exit status after Ctrl-C");
    let text = rest.join("\n");
    for needle in [
        READ_WRITE_TOKEN,
        READ_ONLY_TOKEN,
        "demo42",
        "BIGCOMMERCE_API_URL=http://127.0.0.1:",
        "subscribers:      IDs 1..=7",
        "orders:           IDs 100..=103",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}

#[test]
fn bcprune_sim_rejects_order_seeds_it_cannot_read() {
    for (args, message) in [
        (["--orders", "5"], "--orders no `:N`: give a customer ID:N"),
        (
            ["--orders", "5:0"],
            "--orders N must be a whole number of orders, at least 1",
        ),
        (["--orders", "x:2"], "--orders \"x\" is not a customer ID"),
        (
            ["--guest-orders", ":2"],
            "--guest-orders nothing before the `:`",
        ),
        (["--orders", "1:1000001"], "at most 1000000 orders in all"),
    ] {
        crate::support::bcprune()
            .arg("sim")
            .args(args)
            .assert()
            .code(1)
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn bcprune_sim_rejects_a_fail_rate_outside_0_to_1() {
    crate::support::bcprune()
        .args(["sim", "--fail-rate", "1.5"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--fail-rate must be between 0 and 1",
        ));
}

// ------------------------------------------------------------------------------------- subscribers

async fn sget(sim: &SimServer, query: &str) -> Resp {
    send(
        "GET",
        &format!("{}?{query}", sim.subscribers_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await
}

async fn sdelete(sim: &SimServer, id: u32) -> Resp {
    send(
        "DELETE",
        &format!("{}/{id}", sim.subscribers_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await
}

/// The raw collection DELETE bcprune must never send (`query` may be empty).
async fn delete_collection(sim: &SimServer, query: &str) -> Resp {
    let url = if query.is_empty() {
        sim.subscribers_url()
    } else {
        format!("{}?{query}", sim.subscribers_url())
    };
    send("DELETE", &url, Some(READ_WRITE_TOKEN)).await
}

/// 300 customers and 200 subscribers, no rate limit in the way.
fn people() -> SimConfig {
    small().subscribers(200)
}

fn email_of(record: &Value) -> String {
    record["email"].as_str().expect("email").to_string()
}

#[tokio::test]
async fn subscribers_carry_the_spec_fields_and_some_are_also_a_customer_under_another_id() {
    let sim = start(people()).await;
    assert_eq!(sim.subscriber_ids(), ids(1..=200));
    assert_eq!(sim.customer_ids(), ids(1..=300), "namespaces are separate");
    let s = sget(&sim, "id:in=1").await.json()["data"][0].clone();
    let keys: BTreeSet<&str> = s
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "id",
            "email",
            "first_name",
            "last_name",
            "source",
            "order_id",
            "channel_id",
            "date_created",
            "date_modified",
            "consents"
        ])
    );
    let all = sim.subscribers();
    let mut paired = 0;
    for sub in &all {
        let source = sub["source"].as_str().expect("source");
        assert!(["storefront", "order", "custom"].contains(&source), "{sub}");
        assert_eq!(sub["order_id"].is_null(), source != "order", "{sub}");
        assert!(sub["consents"].is_array());
        let id = sub["id"].as_u64().expect("id") as u32;
        if let Some(cid) = sim.subscriber_customer(id) {
            paired += 1;
            assert_ne!(cid, id);
            let customer = sim.customer(cid).expect("the paired customer exists");
            assert_eq!(customer["email"], sub["email"]);
            assert_eq!(customer["last_name"], sub["last_name"]);
        } else {
            assert!(
                sim.customers_with_email(&email_of(sub)).is_empty(),
                "a guest"
            );
        }
    }
    assert!(
        (50..=170).contains(&paired),
        "{paired} of 200 are customers too"
    );
    let again = start(people()).await;
    assert_eq!(again.subscribers(), all, "same seed, same subscribers");
}

#[tokio::test]
async fn subscriber_listing_filters_by_id_in_id_and_email_exactly_by_default() {
    let sim = start(people().subscriber_with_email(7, "Mixed.Case@example.com", 2)).await;
    let r = sget(&sim, "id:in=42,7,999,7&limit=250").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.ids(),
        vec![7, 42],
        "sorted, unknown and repeated IDs dropped"
    );
    assert_eq!(sget(&sim, "id=42").await.ids(), vec![42]);
    assert_eq!(r.json()["data"][0]["channel_id"], 2);

    let email = email_of(&sim.subscriber(42).expect("seeded"));
    assert_eq!(sget(&sim, &format!("email={email}")).await.ids(), vec![42]);
    assert_eq!(
        sget(&sim, "email=Mixed.Case@example.com").await.ids(),
        vec![7]
    );
    assert_eq!(
        sget(&sim, "email=mixed.case@example.com").await.ids(),
        Vec::<u64>::new(),
        "exact by default: another case is another address"
    );
    assert_eq!(
        sget(&sim, &format!("email={email},{email}")).await.ids(),
        Vec::<u64>::new(),
        "`email` is one address, not a list"
    );
    let src = sim.subscriber(42).expect("seeded")["source"].clone();
    let by_source = sget(
        &sim,
        &format!("source={}&limit=250", src.as_str().expect("s")),
    )
    .await;
    assert!(by_source.ids().contains(&42));
    assert!(
        by_source.json()["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|s| s["source"] == src)
    );

    let folding = start(
        people()
            .subscriber_with_email(7, "Mixed.Case@example.com", 2)
            .email_match(EmailMatch::IgnoreCase),
    )
    .await;
    assert_eq!(
        sget(&folding, "email=MIXED.case@EXAMPLE.com").await.ids(),
        vec![7]
    );
}

#[tokio::test]
async fn subscriber_listing_pages_with_limit_and_only_the_pagination_meta_block() {
    let sim = start(people()).await;
    let p1 = sget(&sim, "").await.json();
    assert_eq!(
        p1["data"].as_array().map(Vec::len),
        Some(50),
        "default limit 50"
    );
    assert_eq!(
        p1["meta"],
        json!({"pagination":{"total":200,"count":50,"per_page":50,"current_page":1,"total_pages":4,
               "links":{"current":"?page=1&limit=50","next":"?page=2&limit=50"}}}),
        "CollectionMeta: no cursor_pagination for subscribers"
    );
    let last = sget(&sim, "limit=150&page=2").await.json();
    assert_eq!(last["data"].as_array().map(Vec::len), Some(50));
    assert_eq!(
        last["meta"]["pagination"]["links"],
        json!({"previous":"?page=1&limit=150","current":"?page=2&limit=150"})
    );
    assert_eq!(sget(&sim, "limit=250").await.ids().len(), 200);
    assert_eq!(sget(&sim, "limit=251").await.status, 413, "as customers");
    let sim = start(people().over_limit(OverLimit::Clamp)).await;
    assert_eq!(
        sget(&sim, "limit=999").await.json()["meta"]["pagination"]["per_page"],
        250
    );
}

#[tokio::test]
async fn subscriber_listing_refuses_unknown_filters_and_bad_values_with_422() {
    let sim = start(people()).await;
    let r = sget(&sim, "email:in=a@example.com&order_id=x").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["title"],
        "The filter(s): email:in, order_id are not valid filter parameter(s)."
    );
    assert_eq!(sget(&sim, "id:in=1,x").await.status, 422);
    assert_eq!(
        sget(&sim, "email=nobody@example.com").await.ids(),
        Vec::<u64>::new()
    );
}

#[tokio::test]
async fn one_subscriber_get_is_data_and_meta_or_the_spec_404() {
    let sim = start(people()).await;
    let r = send(
        "GET",
        &format!("{}/5", sim.subscribers_url()),
        Some(READ_ONLY_TOKEN),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"data": sim.subscriber(5).expect("seeded"), "meta": {}})
    );
    let r = send(
        "GET",
        &format!("{}/999", sim.subscribers_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["status"], 404);
    for path in ["/x", "/0", "/5/", "/"] {
        let url = format!("{}{path}", sim.subscribers_url());
        assert_eq!(
            send("GET", &url, Some(READ_WRITE_TOKEN)).await.status,
            404,
            "{path}"
        );
    }
    let r = send("POST", &sim.subscribers_url(), Some(READ_WRITE_TOKEN)).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn deleting_one_subscriber_is_an_empty_204_and_an_unknown_id_204_or_404() {
    let sim = start(people()).await;
    let r = sdelete(&sim, 5).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert!(!sim.subscriber_ids().contains(&5));
    assert_eq!(
        sim.customer_ids(),
        ids(1..=300),
        "customer 5 is another record"
    );
    assert_eq!(
        sdelete(&sim, 5).await.status,
        204,
        "the spec lists only 204"
    );
    assert_eq!(sim.subscriber_ids().len(), 199);

    let sim = start(people().unknown_subscriber(UnknownSubscriber::NotFound404)).await;
    assert_eq!(sdelete(&sim, 999).await.status, 404);
    assert_eq!(sdelete(&sim, 9).await.status, 204);
}

#[tokio::test]
async fn subscriber_deletes_need_the_modify_scope_and_a_token() {
    let sim = start(people()).await;
    let one = format!("{}/5", sim.subscribers_url());
    for url in [one.as_str(), sim.subscribers_url().as_str()] {
        let r = send("DELETE", url, Some(READ_ONLY_TOKEN)).await;
        assert_eq!(r.status, 403, "{url}");
        assert_eq!(
            r.json()["title"],
            "You don't have a required scope to access the endpoint"
        );
        assert_eq!(send("DELETE", url, None).await.status, 401, "{url}");
    }
    assert_eq!(sget(&sim, "id:in=5").await.ids(), vec![5]);
    assert_eq!(sim.subscriber_ids(), ids(1..=200), "nothing deleted");
}

#[tokio::test]
async fn a_raw_collection_delete_without_a_filter_wipes_every_subscriber_and_is_logged() {
    let sim = start(people()).await;
    sdelete(&sim, 3).await;
    assert!(
        sim.collection_deletes().is_empty(),
        "a per-ID DELETE is not the collection"
    );
    crate::support::assert_no_collection_delete(&sim);
    assert_eq!(crate::support::subscriber_deletes(&sim), vec![3]);
    let r = delete_collection(&sim, "").await;
    assert_eq!(r.status, 204);
    assert!(sim.subscriber_ids().is_empty(), "every subscriber is gone");
    assert_eq!(sim.customer_ids(), ids(1..=300), "customers are untouched");
    let logged = sim.collection_deletes();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].deleted.len(), 199);
    assert_eq!(logged[0].resource, Some(Resource::Subscriber));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::support::assert_no_collection_delete(&sim);
    }));
    assert!(caught.is_err(), "the support assertion catches it");
    // Even refused attempts are recorded: the predicate is about what was sent.
    send(
        "DELETE",
        &format!("{}/", sim.subscribers_url()),
        Some(READ_ONLY_TOKEN),
    )
    .await;
    assert_eq!(sim.collection_deletes().len(), 2);
}

#[tokio::test]
async fn the_collection_delete_deletes_what_the_spec_filters_match_and_ignores_id_in() {
    let sim = start(people()).await;
    let victim = sim.subscriber(10).expect("seeded");
    let r = delete_collection(&sim, &format!("email={}", email_of(&victim))).await;
    assert_eq!(r.status, 204);
    assert_eq!(sim.subscriber_ids().len(), 199);
    assert!(!sim.subscriber_ids().contains(&10));

    let source = sim.subscriber(11).expect("seeded")["source"].clone();
    let same: BTreeSet<u32> = sim
        .subscribers()
        .iter()
        .filter(|s| s["source"] == source)
        .map(|s| s["id"].as_u64().expect("id") as u32)
        .collect();
    delete_collection(&sim, &format!("source={}", source.as_str().expect("s"))).await;
    assert!(sim.subscriber_ids().is_disjoint(&same));
    assert_eq!(sim.subscriber_ids().len(), 199 - same.len());

    assert_eq!(delete_collection(&sim, "order_id=x").await.status, 422);
    // id:in is not a filter of this operation: ignored, so it deletes everything left.
    delete_collection(&sim, "id:in=1").await;
    assert!(sim.subscriber_ids().is_empty());
    assert_eq!(sim.collection_deletes().len(), 4);
}

#[tokio::test]
async fn subscriber_requests_share_the_customers_rate_limit_window() {
    let sim = start(people().rate_limit(4, Duration::from_secs(30))).await;
    assert_eq!(
        get(&sim, "id:in=1")
            .await
            .header("x-rate-limit-requests-left"),
        Some("3")
    );
    let r = sget(&sim, "id:in=1").await;
    assert_eq!(r.header("x-rate-limit-requests-left"), Some("2"));
    for h in RATE_HEADERS {
        assert!(r.header(h).is_some(), "{h}");
    }
    assert_eq!(sdelete(&sim, 1).await.status, 204);
    assert_eq!(delete(&sim, "id:in=1").await.status, 204);
    let r = sdelete(&sim, 2).await;
    assert_eq!(r.status, 429);
    assert!(r.header("x-retry-after").is_some());
    assert!(sim.subscriber_ids().contains(&2), "a 429 deletes nothing");
    assert_eq!(sget(&sim, "id:in=2").await.status, 429);
}

#[tokio::test]
async fn the_concurrency_limit_counts_subscriber_and_customer_requests_together() {
    let sim = start(people().max_in_flight(1)).await;
    sim.faults().hold(true);
    let (a, b) = tokio::join!(get(&sim, "id:in=1"), async {
        until_received(&sim, 1).await;
        let b = sdelete(&sim, 2).await;
        sim.faults().hold(false);
        b
    });
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 429);
    assert_eq!(b.header("x-rate-limit-requests-left"), None, "bare 429");
    assert!(sim.subscriber_ids().contains(&2));
}

#[tokio::test]
async fn runtime_faults_apply_to_subscribers_and_only_narrows_them_to_one_resource() {
    let sim = start(people().reject_subscriber_ids([9])).await;
    let faults = sim.faults();
    faults.fail_gets(Some(500));
    assert_eq!(sget(&sim, "id:in=1").await.status, 500);
    faults.only(Some(Resource::Customer));
    assert_eq!(
        sget(&sim, "id:in=1").await.status,
        200,
        "narrowed to customers"
    );
    assert_eq!(get(&sim, "id:in=1").await.status, 500);
    faults.clear();

    faults.lying_deletes(true);
    assert_eq!(sdelete(&sim, 1).await.status, 204);
    assert!(
        sim.subscriber_ids().contains(&1),
        "a lying 204 deletes nothing"
    );
    faults.lying_deletes(false);

    faults.fail_after_delete(Some(500));
    assert_eq!(sdelete(&sim, 1).await.status, 500);
    assert!(
        !sim.subscriber_ids().contains(&1),
        "deleted despite the 500"
    );
    faults.fail_after_delete(None);

    faults.fail_deletes(Some(503));
    assert_eq!(sdelete(&sim, 2).await.status, 503);
    assert!(sim.subscriber_ids().contains(&2));
    faults.clear();

    faults.fail_next(1, 502);
    assert_eq!(sdelete(&sim, 2).await.status, 502);
    assert_eq!(sdelete(&sim, 2).await.status, 204);

    faults.fail_gets_after_delete(Some(503));
    assert_eq!(sdelete(&sim, 3).await.status, 204);
    assert_eq!(
        sget(&sim, "id:in=4").await.status,
        503,
        "broken after a delete"
    );
    faults.fail_gets_after_delete(None);

    let r = sdelete(&sim, 9).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"]["9"], "Unauthorized to delete");
    assert!(sim.subscriber_ids().contains(&9));
}

#[tokio::test]
async fn drop_after_delete_carries_out_the_delete_then_closes_without_an_answer() {
    let sim = start(people()).await;
    sim.faults().drop_after_delete(true);
    for url in [
        format!("{}/4", sim.subscribers_url()),
        format!("{}?id:in=4", sim.customers_url()),
    ] {
        let sent = client()
            .delete(&url)
            .header("X-Auth-Token", READ_WRITE_TOKEN)
            .send()
            .await;
        assert!(sent.is_err(), "no response for {url}: {sent:?}");
    }
    assert!(
        !sim.subscriber_ids().contains(&4),
        "the subscriber was deleted"
    );
    assert!(!sim.customer_ids().contains(&4), "the customer was deleted");
    let log = sim.requests();
    assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), vec![0, 0]);
    assert_eq!(log[0].deleted, vec![4]);
    assert_eq!(log[0].subscriber_id, Some(4));
    sim.faults().drop_after_delete(false);
    assert_eq!(sdelete(&sim, 5).await.status, 204);
}

#[tokio::test]
async fn every_hostile_mode_applies_to_the_subscriber_listing() {
    let sim = start(people()).await;
    let faults = sim.faults();
    faults.hostile(Some(Hostile::BadJson));
    let r = sget(&sim, "id:in=1").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    faults.hostile(Some(Hostile::Html200));
    assert!(String::from_utf8_lossy(&sget(&sim, "id:in=1").await.body).contains("<html>"));
    faults.hostile(Some(Hostile::Html502));
    assert_eq!(sget(&sim, "id:in=1").await.status, 502);
    faults.hostile(Some(Hostile::HugeBody(1024 * 1024)));
    assert_eq!(sget(&sim, "id:in=1").await.body.len(), 1024 * 1024);
    faults.hostile(Some(Hostile::ExtraCustomer));
    let got = sget(&sim, "id:in=1,2").await.ids();
    assert_eq!(got.len(), 3);
    assert!(got.iter().any(|id| ![1, 2].contains(id)), "{got:?}");
    faults.hostile(Some(Hostile::MissingId));
    let data = sget(&sim, "id:in=1,2").await.json()["data"].clone();
    assert!(data[0].get("id").is_none());
    faults.hostile(Some(Hostile::EndlessPagination));
    let p = sget(&sim, "id:in=1&limit=250&page=7").await.json()["meta"]["pagination"].clone();
    assert!(p["total_pages"].as_u64() > Some(1000));
    assert_eq!(p["links"]["next"], "?page=8&limit=250");
    faults.hostile(Some(Hostile::ZeroTotalPages));
    let body = sget(&sim, "id:in=1,2").await.json();
    assert_eq!(body["meta"]["pagination"]["total_pages"], 0);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    faults.hostile(Some(Hostile::TruncatedBody));
    let resp = client()
        .get(format!("{}?id:in=1,2,3", sim.subscribers_url()))
        .header("X-Auth-Token", READ_WRITE_TOKEN)
        .send()
        .await
        .expect("head arrives");
    assert!(resp.bytes().await.is_err(), "the body never completes");
    faults.hostile(Some(Hostile::Hang));
    let url = format!("{}?id:in=1", sim.subscribers_url());
    let hanging = tokio::spawn(async move {
        client()
            .get(url)
            .header("X-Auth-Token", READ_WRITE_TOKEN)
            .send()
            .await
    });
    until_received(&sim, 10).await;
    faults.hostile(Some(Hostile::StallBody));
    let url = format!("{}?id:in=1", sim.subscribers_url());
    let stalled = tokio::spawn(async move {
        let resp = client()
            .get(url)
            .header("X-Auth-Token", READ_WRITE_TOKEN)
            .send()
            .await?;
        resp.bytes().await
    });
    until_received(&sim, 11).await;
    faults.only(Some(Resource::Customer));
    assert_eq!(sget(&sim, "id:in=1").await.ids(), vec![1], "narrowed away");
    assert_eq!(
        sdelete(&sim, 1).await.status,
        204,
        "DELETE is never hostile"
    );
    assert!(!hanging.is_finished(), "Hang holds the subscriber listing");
    assert_eq!(sim.requests()[9].status, 0, "still unanswered");
    assert!(!stalled.is_finished(), "StallBody holds the body");
    drop(sim);
    for task in [hanging.abort_handle(), stalled.abort_handle()] {
        for _ in 0..3000 {
            if task.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(task.is_finished(), "the hang ended with the server");
    }
}

#[tokio::test]
async fn touch_remove_and_insert_change_what_the_subscribers_listing_returns() {
    let sim = start(people()).await;
    let before = sim.subscriber(5).expect("seeded");
    sim.touch_subscriber(5);
    let after = sget(&sim, "id:in=5").await.json()["data"][0].clone();
    assert!(after["date_modified"].as_str() > before["date_modified"].as_str());
    sim.remove_subscriber(5);
    assert_eq!(sget(&sim, "id:in=5").await.ids(), Vec::<u64>::new());
    assert!(sim.customer_ids().contains(&5), "only the subscriber");
    sim.insert_subscriber(5);
    sim.insert_subscriber(700);
    assert_eq!(sget(&sim, "id:in=5,700").await.ids(), vec![5, 700]);
    let again = sim.subscriber(5).expect("re-created");
    assert_eq!(again["email"], before["email"], "same seeded person");
    assert_ne!(again["date_modified"], before["date_modified"]);
    assert_eq!(
        sim.subscribers_with_email(&email_of(&again)),
        BTreeSet::from([5])
    );
}

// ------------------------------------------------------------------------ customers by email:in

#[tokio::test]
async fn email_in_finds_every_account_of_an_email_one_per_channel_with_limit_and_page() {
    let shared = "jane.erasure@example.com";
    let sim = start(
        small()
            .customer_with_email(3, shared, 1)
            .customer_with_email(250, shared, 2)
            .customer_with_email(301, shared, 3),
    )
    .await;
    assert_eq!(
        sim.customer_ids().len(),
        301,
        "an ID past the seeded range is added"
    );
    assert_eq!(
        sim.customers_with_email(shared),
        BTreeSet::from([3, 250, 301])
    );
    let other = email_of(&sim.customer(7).expect("seeded"));
    let r = get(
        &sim,
        &format!("email:in={shared},{other},nobody@example.com&limit=250"),
    )
    .await;
    assert_eq!(r.ids(), vec![3, 7, 250, 301]);
    let channels: Vec<Value> = r.json()["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| c["email"] == shared)
        .map(|c| c["channel_ids"].clone())
        .collect();
    assert_eq!(channels, vec![json!([1]), json!([2]), json!([3])]);
    let p2 = get(&sim, &format!("email:in={shared},{other}&limit=3&page=2"))
        .await
        .json();
    assert_eq!(p2["data"][0]["id"], 301);
    assert_eq!(p2["meta"]["pagination"]["total"], 4);
    assert_eq!(
        get(&sim, &format!("email:in={shared}&id:in=250,7"))
            .await
            .ids(),
        vec![250],
        "combined with id:in, both must match"
    );
}

#[tokio::test]
async fn email_in_matches_exactly_by_default_and_ignoring_case_on_request() {
    let config = small().customer_with_email(12, "Jane.Case@Example.com", 1);
    let sim = start(config.clone()).await;
    assert_eq!(
        get(&sim, "email:in=Jane.Case@Example.com").await.ids(),
        vec![12]
    );
    assert_eq!(
        get(&sim, "email:in=jane.case@example.com").await.ids(),
        Vec::<u64>::new(),
        "exact: a client must query the address as given too"
    );
    let sim = start(config.email_match(EmailMatch::IgnoreCase)).await;
    assert_eq!(
        get(&sim, "email:in=JANE.case@example.COM").await.ids(),
        vec![12]
    );
}

#[tokio::test]
async fn the_log_names_each_requests_resource_and_subscriber_id() {
    let sim = start(people()).await;
    get(&sim, "id:in=1").await;
    sget(&sim, "id:in=1,2").await;
    sdelete(&sim, 2).await;
    send(
        "GET",
        &format!("{}/v3/orders", sim.base_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    let log = sim.requests();
    let seen: Vec<_> = log.iter().map(|r| (r.resource, r.subscriber_id)).collect();
    assert_eq!(
        seen,
        vec![
            (Some(Resource::Customer), None),
            (Some(Resource::Subscriber), None),
            (Some(Resource::Subscriber), Some(2)),
            (None, None),
        ]
    );
    assert_eq!(log[1].ids, Some(vec![1, 2]));
    assert_eq!(log[2].deleted, vec![2]);
}

// ------------------------------------------------------------------------------------ V2 orders

/// Customer 5 with 7 orders (IDs 100..=106), customer 6 with 2 (107, 108), a guest with 3 (109..=111).
fn with_orders() -> SimConfig {
    small()
        .orders_for(5, 7)
        .orders_for(6, 2)
        .guest_orders("guest@example.com", 3)
}

async fn send_json(method: &str, url: &str, token: &str, body: &Value) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let resp = client()
        .request(method, url)
        .header("X-Auth-Token", token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

async fn orders(sim: &SimServer, query: &str) -> Resp {
    send(
        "GET",
        &format!("{}?{query}", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await
}

#[track_caller]
fn order_ids(r: &Resp) -> Vec<u64> {
    r.json()
        .as_array()
        .expect("a bare array")
        .iter()
        .map(|o| o["id"].as_u64().expect("id"))
        .collect()
}

#[tokio::test]
async fn orders_list_as_bare_arrays_paged_by_page_and_limit_and_an_empty_page_is_204() {
    let sim = start(with_orders()).await;
    let mut seen = Vec::new();
    for (page, want) in [(1, 3), (2, 3), (3, 1)] {
        let r = orders(&sim, &format!("customer_id=5&limit=3&page={page}")).await;
        assert_eq!(r.status, 200);
        let ids = order_ids(&r);
        assert_eq!(ids.len(), want, "page {page}");
        seen.extend(ids);
    }
    assert_eq!(seen, (100..=106).collect::<Vec<u64>>(), "by ID, once each");
    let r = orders(&sim, "customer_id=5&limit=3&page=4").await;
    assert_eq!(
        (r.status, r.body.len()),
        (204, 0),
        "past the end: 204, no body"
    );
    let r = orders(&sim, "customer_id=7").await;
    assert_eq!(
        (r.status, r.body.len()),
        (204, 0),
        "a customer without orders"
    );
    let r = orders(&sim, "email=guest@example.com").await;
    assert_eq!(order_ids(&r), vec![109, 110, 111]);
    assert!(r.json()[0]["customer_id"] == 0, "a guest");
    // Dates are RFC 2822, and read back with the retention module's parser.
    for o in orders(&sim, "limit=250")
        .await
        .json()
        .as_array()
        .expect("array")
    {
        let text = o["date_created"].as_str().expect("date");
        assert!(bcprune::retention::parse_order_date(text).is_ok(), "{text}");
        assert!(text.ends_with("+0000"), "{text}");
    }
    let r = orders(&sim, "limit=251").await;
    assert_eq!(r.status, 413, "limit above 250 as the sim's OverLimit says");
    let r = orders(&sim, "customer_id:in=5,6").await;
    assert_eq!(r.status, 422, "there is no customer_id:in");
    // One order, and its shipping addresses (a bare array).
    let r = send(
        "GET",
        &format!("{}/103", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.json()["id"], 103);
    let r = send(
        "GET",
        &format!("{}/102/shipping_addresses", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    let addresses = r.json();
    assert_eq!(
        addresses.as_array().expect("array").len(),
        2,
        "order 102: two addresses"
    );
    assert_eq!(addresses[0]["order_id"], 102);
    let r = send(
        "GET",
        &format!("{}/999", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 404);
    // Every request is in the log.
    assert_eq!(sim.order_requests().len(), 12);
    assert!(sim.order_requests().iter().all(|r| r.resource.is_none()));
}

#[tokio::test]
async fn a_redaction_put_changes_only_the_personal_fields_and_triggers_nothing() {
    use bcprune::order_redaction::{self as redaction, Present};
    let sim = start(with_orders()).await;
    let before = sim.order(104).expect("seeded");
    let discounts = sim.order_discounts(104);
    let body = redaction::order_body(Present::of(&before));
    let r = send_json(
        "PUT",
        &format!("{}/104", sim.orders_url()),
        READ_WRITE_TOKEN,
        &body,
    )
    .await;
    assert_eq!(r.status, 200);
    let after = sim.order(104).expect("kept");
    for key in redaction::ADDRESS_KEYS {
        assert_eq!(
            after["billing_address"][key].as_str(),
            redaction::address_placeholder(key),
            "{key}"
        );
    }
    assert_eq!(after["customer_message"], redaction::TEXT);
    assert_eq!(after["ip_address"], redaction::IP_V4);
    for kept in ["country", "country_iso2", "state"] {
        assert_eq!(
            after["billing_address"][kept], before["billing_address"][kept],
            "{kept}"
        );
    }
    assert_eq!(after["fees"], before["fees"]);
    assert_eq!(after["date_created"], before["date_created"]);
    assert_eq!(sim.order_discounts(104), discounts);
    let sid = sim.order_shipping_addresses(104)[0]["id"]
        .as_u64()
        .expect("sid");
    let r = send_json(
        "PUT",
        &format!("{}/104/shipping_addresses/{sid}", sim.orders_url()),
        READ_WRITE_TOKEN,
        &redaction::address_body(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["email"], redaction::EMAIL);
    assert_eq!(sim.order_shipping_addresses(104)[0]["zip"], redaction::ZIP);
    assert_eq!(sim.order_events(), vec![], "nothing beyond §15's fields");
    let r = send_json(
        "PUT",
        &format!("{}/104", sim.orders_url()),
        READ_ONLY_TOKEN,
        &body,
    )
    .await;
    assert_eq!(r.status, 403, "read-only token");
    let r = send_json(
        "PUT",
        &format!("{}/104", sim.orders_url()),
        READ_WRITE_TOKEN,
        &json!({"billing_address": {"zip": ""}}),
    )
    .await;
    assert_eq!(r.status, 400, "zip is required");
}

#[tokio::test]
async fn a_put_with_products_clears_their_discounts_and_one_with_fees_replaces_all_logged() {
    use bcprune::sim::OrderEvent;
    let sim = start(with_orders()).await;
    let discounts = sim.order_discounts(100);
    assert!(discounts.iter().all(|d| *d > 0), "seeded with discounts");
    let r = send_json(
        "PUT",
        &format!("{}/100", sim.orders_url()),
        READ_WRITE_TOKEN,
        &json!({"products": [{"id": 1001, "quantity": 2}], "fees": []}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        sim.order_discounts(100)[0],
        0,
        "line item 1001's discount is gone"
    );
    assert_eq!(
        &sim.order_discounts(100)[1..],
        &discounts[1..],
        "the others keep theirs"
    );
    assert_eq!(
        sim.order(100).expect("order")["fees"],
        json!([]),
        "every fee replaced"
    );
    let events = sim.order_events();
    assert!(events.contains(&OrderEvent::DiscountsCleared {
        order: 100,
        line_items: vec![1001]
    }));
    assert!(events.contains(&OrderEvent::FeesReplaced {
        order: 100,
        before: 1,
        after: 0
    }));
    for field in ["products", "fees"] {
        assert!(events.contains(&OrderEvent::OtherField {
            order: 100,
            field: field.to_string()
        }));
    }
    send_json(
        "PUT",
        &format!("{}/101", sim.orders_url()),
        READ_WRITE_TOKEN,
        &json!({"billing_address": {"country_iso2": "FR", "zip": "75001"}, "status_id": 5}),
    )
    .await;
    let events = sim.order_events();
    for field in ["billing_address.country_iso2", "status_id"] {
        assert!(
            events.contains(&OrderEvent::OtherField {
                order: 101,
                field: field.to_string()
            }),
            "{field}"
        );
    }
}

#[tokio::test]
async fn deleting_an_order_archives_it_and_the_collection_delete_archives_every_order_logged() {
    use bcprune::sim::OrderEvent;
    let sim = start(with_orders()).await;
    let before = sim.order(101).expect("seeded");
    let r = send(
        "DELETE",
        &format!("{}/101", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 204);
    let archived = sim.order(101).expect("an archived order keeps every field");
    assert_eq!(archived["is_deleted"], true);
    assert_eq!(archived["billing_address"], before["billing_address"]);
    assert!(!order_ids(&orders(&sim, "customer_id=5").await).contains(&101));
    assert!(
        sim.order_collection_deletes().is_empty(),
        "one order is not the collection"
    );
    let r = send(
        "DELETE",
        &format!("{}?limit=1", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        sim.archived_orders(),
        (100..=111).collect(),
        "every order, whatever the limit"
    );
    assert_eq!(
        orders(&sim, "").await.status,
        204,
        "nothing listed any more"
    );
    assert_eq!(sim.order_collection_deletes().len(), 1);
    let events = sim.order_events();
    assert_eq!(events[0], OrderEvent::Archived { order: 101 });
    assert!(matches!(&events[1], OrderEvent::ArchivedAll { orders } if orders.len() == 12));
    // Refused attempts are recorded too, trailing slash included.
    send(
        "DELETE",
        &format!("{}/", sim.orders_url()),
        Some(READ_ONLY_TOKEN),
    )
    .await;
    assert_eq!(sim.order_collection_deletes().len(), 2);
}

#[tokio::test]
async fn a_deleted_customers_orders_lose_their_link_and_are_reached_only_by_id() {
    let sim = start(with_orders()).await;
    assert_eq!(sim.orders_of(6), BTreeSet::from([107, 108]));
    assert_eq!(delete(&sim, "id:in=6").await.status, 204);
    let r = orders(&sim, "customer_id=6").await;
    assert_eq!(r.status, 204, "the link is gone");
    let order = sim.order(107).expect("the order stays");
    assert_eq!(order["customer_id"], 0);
    assert!(
        order["billing_address"]["email"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    sim.remove(5);
    assert!(sim.orders_of(5).is_empty());
}

#[tokio::test]
async fn orders_share_the_rate_limit_and_the_injected_faults() {
    let sim = start(with_orders().rate_limit(3, Duration::from_secs(30))).await;
    assert_eq!(get(&sim, "id:in=1").await.status, 200);
    assert_eq!(orders(&sim, "customer_id=5").await.status, 200);
    let r = orders(&sim, "customer_id=6").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-rate-limit-requests-left"), Some("0"));
    assert_eq!(
        orders(&sim, "customer_id=5").await.status,
        429,
        "one shared window"
    );
    let sim = start(with_orders()).await;
    sim.faults().fail_next(1, 503);
    assert_eq!(orders(&sim, "customer_id=5").await.status, 503);
    sim.faults().only(Some(Resource::Subscriber));
    sim.faults().fail_gets(Some(500));
    assert_eq!(
        orders(&sim, "customer_id=5").await.status,
        200,
        "narrowed elsewhere"
    );
    sim.faults().only(None);
    let r = send_json(
        "PUT",
        &format!("{}/100", sim.orders_url()),
        READ_WRITE_TOKEN,
        &json!({"customer_message": "x"}),
    )
    .await;
    assert_eq!(r.status, 200, "fail_gets leaves a PUT alone");
    sim.faults().fail_deletes(Some(502));
    let r = send_json(
        "PUT",
        &format!("{}/100", sim.orders_url()),
        READ_WRITE_TOKEN,
        &json!({"customer_message": "y"}),
    )
    .await;
    assert_eq!(r.status, 502, "a modifying request fails like a DELETE");
    assert_eq!(sim.order(100).expect("order")["customer_message"], "x");
    let r = send("POST", &sim.orders_url(), Some(READ_WRITE_TOKEN)).await;
    assert_eq!(r.status, 405);
}

/// The IDs of a V2 listing page, or `None` for a 204 with no body.
#[track_caller]
fn page_ids(r: &Resp) -> Option<Vec<u64>> {
    if r.status == 204 {
        assert!(r.body.is_empty(), "a 204 has no body");
        return None;
    }
    assert_eq!(r.status, 200);
    Some(order_ids(r))
}

/// V2 order listings carry no pagination figures (API-NOTES §11): a client knows it has every order
/// only from a page shorter than `limit` or a 204. Each hostile mode breaks that as a real server
/// plausibly could — a cache that ignores `page`, a page cut before archived orders are dropped from
/// it (short, or empty, with more after it), a listing that never ends — and touches nothing else.
#[tokio::test]
async fn hostile_order_listings_repeat_a_page_end_early_with_more_after_or_never_end() {
    use bcprune::sim::{ENDLESS_ORDER_ID, HostileOrders};
    let sim = start(with_orders()).await;
    let page = |n: u32| format!("customer_id=5&limit=3&page={n}");
    let mut pages = Vec::new();
    for n in 1..=4 {
        pages.push(page_ids(&orders(&sim, &page(n)).await));
    }
    let honest = vec![
        Some(vec![100, 101, 102]),
        Some(vec![103, 104, 105]),
        Some(vec![106]),
        None,
    ];
    assert_eq!(
        pages, honest,
        "no mode: pages of 3, a short last one, then 204"
    );

    sim.faults()
        .hostile_orders(Some(HostileOrders::RepeatedPage));
    for n in [1, 2, 9] {
        assert_eq!(
            page_ids(&orders(&sim, &page(n)).await),
            Some(vec![100, 101, 102]),
            "page {n} repeats page 1"
        );
    }

    sim.faults()
        .hostile_orders(Some(HostileOrders::ShortPageThenMore));
    let mut pages = Vec::new();
    for n in 1..=5 {
        pages.push(page_ids(&orders(&sim, &page(n)).await));
    }
    assert_eq!(
        pages,
        [
            Some(vec![100, 101]),
            Some(vec![102, 103]),
            Some(vec![104, 105]),
            Some(vec![106]),
            None
        ],
        "every page one short of the limit, with more after it"
    );

    sim.faults()
        .hostile_orders(Some(HostileOrders::EmptyPageThenMore));
    let mut pages = Vec::new();
    for n in 1..=5 {
        pages.push(page_ids(&orders(&sim, &page(n)).await));
    }
    assert_eq!(
        pages,
        [
            Some(vec![100, 101, 102]),
            None,
            Some(vec![103, 104, 105]),
            Some(vec![106]),
            None
        ],
        "page 2 is a 204 although pages 3 and 4 hold orders"
    );

    sim.faults()
        .hostile_orders(Some(HostileOrders::EndlessPages));
    let first = u64::from(ENDLESS_ORDER_ID);
    assert_eq!(
        page_ids(&orders(&sim, &page(3)).await),
        Some(vec![106, first + 7, first + 8]),
        "the real last page filled up with made-up orders"
    );
    let far = orders(&sim, &page(100_000)).await;
    let made_up = far.json();
    let made_up = made_up.as_array().expect("a full page");
    assert_eq!(made_up.len(), 3, "a page 100,000 is still full");
    assert!(made_up.iter().all(|o| o["customer_id"] == 5));
    let guest = orders(&sim, "email=guest@example.com&limit=2&page=50").await;
    let guest = guest.json();
    assert!(
        guest
            .as_array()
            .expect("full")
            .iter()
            .all(|o| o["billing_address"]["email"] == "guest@example.com" && o["customer_id"] == 0),
        "made-up orders match the filter: {guest}"
    );

    // Only listings misbehave.
    let one = send(
        "GET",
        &format!("{}/101", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(one.json()["id"], 101);
    sim.faults().hostile_orders(None);
    let mut pages = Vec::new();
    for n in 1..=4 {
        pages.push(page_ids(&orders(&sim, &page(n)).await));
    }
    assert_eq!(pages, honest, "switched off: honest again");
}

#[tokio::test]
async fn a_hostile_order_mode_can_be_set_from_the_start_and_leaves_customers_alone() {
    use bcprune::sim::HostileOrders;
    let sim = start(with_orders().hostile_orders(HostileOrders::RepeatedPage)).await;
    let r = orders(&sim, "customer_id=5&limit=2&page=3").await;
    assert_eq!(page_ids(&r), Some(vec![100, 101]));
    let customers = get(&sim, "id:in=1,2&limit=1&page=2").await;
    assert_eq!(
        customers.json()["data"][0]["id"],
        2,
        "customers page honestly"
    );
}

/// `GET /v2/orders/{id}/shipping_addresses` takes the spec's `page` and `limit` like the listing: a bare
/// array, 204 past the end, 422 for another parameter, 404 for an unknown order; `PUT` of one address
/// answers it as stored.
#[tokio::test]
async fn shipping_addresses_page_like_the_listing_and_a_put_answers_the_address() {
    let sim = start(with_orders()).await;
    let url = |query: &str| format!("{}/102/shipping_addresses?{query}", sim.orders_url());
    let ids = |r: &Resp| -> Vec<u64> {
        r.json()
            .as_array()
            .expect("a bare array")
            .iter()
            .map(|a| a["id"].as_u64().expect("id"))
            .collect()
    };
    let r = send("GET", &url("limit=1&page=2"), Some(READ_WRITE_TOKEN)).await;
    assert_eq!(ids(&r), [1022]);
    let r = send("GET", &url("limit=250&page=1"), Some(READ_WRITE_TOKEN)).await;
    assert_eq!(ids(&r), [1021, 1022]);
    let r = send("GET", &url("limit=250&page=2"), Some(READ_WRITE_TOKEN)).await;
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = send("GET", &url("email=x"), Some(READ_WRITE_TOKEN)).await;
    assert_eq!(r.status, 422);
    let r = send(
        "GET",
        &format!("{}/999/shipping_addresses", sim.orders_url()),
        Some(READ_WRITE_TOKEN),
    )
    .await;
    assert_eq!(r.status, 404);
    let body = json!({"city": "redacted"});
    let r = send_json(
        "PUT",
        &format!("{}/102/shipping_addresses/1022", sim.orders_url()),
        READ_WRITE_TOKEN,
        &body,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], 1022);
    assert_eq!(r.json()["city"], "redacted");
    assert_eq!(sim.order_shipping_addresses(102)[1]["city"], "redacted");
}
