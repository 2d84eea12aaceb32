//! The request pipeline of the fake store, in the order a real gateway applies it: concurrency limit,
//! rate limit (every request costs one unit), injected platform faults, latency, routing, auth, then the
//! Customers V3 `GET` and `DELETE` behaviours of API-NOTES §7 (the subscribers endpoints, §10, are in
//! [`super::subscriber_api`], the V2 orders, §11, in [`super::order_api`]; the answers and faults they
//! share in [`super::respond`]). One function
//! per step, so a reader can check each rule against the notes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::Resource;

use super::config::{EmailMatch, Hostile, InvalidIdIn, UnknownIds, UnknownPath};
use super::customers::Customer;
use super::log::{RecordedRequest, lock};
use super::params::{self, Cursor, ListQuery};
use super::ratelimit::Decision;
use super::records::Records;
use super::respond::{
    Replied, TYPE_STATUS_CODES, after_delete, effective_faults, empty, error, filter_error,
    hostile_for, hostile_response, json_response, over_limit, page_size, pagination, raw, reason,
};
use super::{READ_ONLY_TOKEN, READ_WRITE_TOKEN, Shared};
use super::{order_api, subscriber_api};

/// `type` of the 429 body.
const TYPE_429: &str = "/api-docs/getting-started/api-status-codes";

/// Which customers scope a token carries (the subscribers endpoints use the customers scopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    ReadWrite,
    ReadOnly,
}

/// What a path names: one of the three endpoints the fake store serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    /// `/v3/customers`.
    Customers,
    /// `/v3/customers/subscribers` (the collection).
    Subscribers,
    /// `/v3/customers/subscribers/{id}`.
    Subscriber(u32),
    /// `/v2/orders` (the collection).
    Orders,
    /// `/v2/orders/{id}`.
    Order(u32),
    /// `/v2/orders/{id}/shipping_addresses`.
    ShippingAddresses(u32),
    /// `/v2/orders/{id}/shipping_addresses/{sid}`.
    ShippingAddress(u32, u32),
}

impl Endpoint {
    /// The resource of a customers or subscribers path; `None` for orders (not a [`Resource`] yet:
    /// faults narrowed to one resource with [`super::Faults::only`] leave orders alone).
    pub(super) fn resource(self) -> Option<Resource> {
        match self {
            Endpoint::Customers => Some(Resource::Customer),
            Endpoint::Subscribers | Endpoint::Subscriber(_) => Some(Resource::Subscriber),
            _ => None,
        }
    }

    /// The methods the endpoint serves (`Allow` of a 405).
    fn allowed(self) -> &'static [Method] {
        match self {
            Endpoint::Order(_) => &[Method::GET, Method::HEAD, Method::PUT, Method::DELETE],
            Endpoint::ShippingAddresses(_) => &[Method::GET, Method::HEAD],
            Endpoint::ShippingAddress(_, _) => &[Method::PUT],
            _ => &[Method::GET, Method::HEAD, Method::DELETE],
        }
    }
}

/// `/v2/orders[/{id}[/shipping_addresses[/{sid}]]]` after the store hash.
fn order_endpoint(tail: &str) -> Option<Endpoint> {
    if tail.is_empty() {
        return Some(Endpoint::Orders);
    }
    let mut parts = tail.strip_prefix('/')?.split('/');
    let id = params::positive(parts.next()?)?;
    let found = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => Endpoint::Order(id),
        (Some("shipping_addresses"), None, _) => Endpoint::ShippingAddresses(id),
        (Some("shipping_addresses"), Some(sid), None) => {
            Endpoint::ShippingAddress(id, params::positive(sid)?)
        }
        _ => return None,
    };
    Some(found)
}

/// `/stores/{hash}/v3/customers[/subscribers[/{id}]]`, exactly (no trailing slash): the store hash and
/// the endpoint. Anything else is an unknown path.
pub(super) fn endpoint(path: &str) -> Option<(&str, Endpoint)> {
    let rest = path.strip_prefix("/stores/")?;
    if let Some((hash, tail)) = rest.split_once("/v2/orders")
        && !hash.is_empty()
        && !hash.contains('/')
    {
        return Some((hash, order_endpoint(tail)?));
    }
    let (hash, tail) = rest.split_once("/v3/customers")?;
    if hash.is_empty() || hash.contains('/') {
        return None;
    }
    let found = match tail {
        "" => Endpoint::Customers,
        "/subscribers" => Endpoint::Subscribers,
        _ => {
            let id = tail.strip_prefix("/subscribers/")?;
            Endpoint::Subscriber(params::positive(id)?)
        }
    };
    Some((hash, found))
}

/// Decrements the in-flight count when the request is done, however it ends.
struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The single entry point: every request, on every path, comes here.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let arrival = Instant::now();
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts, Body::empty());
    // A body that cannot be read (or is over 1 MiB) is handled as an empty one: a 400 where one is needed.
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let scope = match headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        Some(READ_WRITE_TOKEN) => Some(Scope::ReadWrite),
        Some(READ_ONLY_TOKEN) => Some(Scope::ReadOnly),
        _ => None,
    };
    let pairs = params::parse_query(&query);
    let target = endpoint(&path).map(|(_, e)| e);
    let index = shared.log.push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query,
        ids: params::id_in(&pairs).and_then(Result::ok),
        status: 0,
        at: arrival.duration_since(shared.started),
        token_valid: scope.is_some(),
        deleted: Vec::new(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        resource: target.and_then(Endpoint::resource),
        subscriber_id: match target {
            Some(Endpoint::Subscriber(id)) => Some(id),
            _ => None,
        },
    });
    let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = InFlight(&shared);

    // Every request costs one unit of the shared window, whatever happens to it next.
    let d = lock(&shared.window).consume(arrival);
    let outcome = 'outcome: {
        if shared
            .config
            .max_in_flight
            .is_some_and(|max| in_flight > max)
        {
            // Historical "3 concurrent requests" limit: a 429 without rate-limit headers.
            break 'outcome bare_429();
        }
        if chance(&shared, shared.config.bare_429_rate) {
            break 'outcome bare_429();
        }
        if !d.allowed {
            if chance(&shared, shared.config.over_quota_500_rate) {
                break 'outcome error(500, "Internal Server Error", TYPE_STATUS_CODES, None).into();
            }
            break 'outcome too_many_requests(&d, shared.config.omit_retry_after).into();
        }
        if *shared.faults.held.borrow() {
            let mut held = shared.faults.held.subscribe();
            let mut stop = shared.shutdown.clone();
            tokio::select! {
                _ = held.wait_for(|h| !*h) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
        if !shared.config.latency.is_zero() {
            let mut stop = shared.shutdown.clone();
            tokio::select! {
                () = tokio::time::sleep(shared.config.latency) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        }
        route(&shared, &method, &path, &headers, &pairs, scope, &body).await
    };

    let mut response = outcome.response;
    if outcome.rate_headers {
        add_rate_headers(response.headers_mut(), &d);
    }
    let status = if outcome.drop_connection {
        response = dropped_connection();
        0
    } else {
        response.status().as_u16()
    };
    let deleted = outcome.deleted;
    tracing::info!(%method, %path, status, deleted = deleted.len(), "sim request");
    shared.log.finish(index, |entry| {
        entry.status = status;
        entry.deleted = deleted;
    });
    response
}

/// A response that never reaches the client: its body fails before a byte is sent, so hyper closes the
/// connection with the head still unsent (it writes the head together with the first body chunk).
fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other(
            "sim: connection dropped after the delete",
        ))
    });
    raw(200, "application/json", Body::from_stream(stream)).response
}

/// Draw from the seeded generator; draws happen only for knobs that are on, so enabling one knob does
/// not change the sequence another one sees.
fn chance(shared: &Shared, rate: f64) -> bool {
    rate > 0.0 && lock(&shared.rng).f64() < rate
}

/// Path, auth, store, `Accept` and method checks, then the faults and the operation itself.
async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    scope: Option<Scope>,
    body: &[u8],
) -> Replied {
    let Some((hash, target)) = endpoint(path) else {
        return match shared.config.unknown_path {
            UnknownPath::NotFound404 => error(404, "Not Found", TYPE_STATUS_CODES, None),
            UnknownPath::AuthenticationRequired403 => {
                error(403, "Authentication Required", TYPE_STATUS_CODES, None)
            }
        }
        .into();
    };
    let Some(scope) = scope else {
        return error(401, "Unauthorized", TYPE_STATUS_CODES, None).into();
    };
    if hash != shared.config.store_hash {
        return error(404, "Store not found", TYPE_STATUS_CODES, None).into();
    }
    if !accepts_json(headers) {
        return error(406, "Not Acceptable", TYPE_STATUS_CODES, None).into();
    }
    let is_get = method == Method::GET || method == Method::HEAD;
    if !target.allowed().contains(method) {
        let allow: Vec<&str> = target
            .allowed()
            .iter()
            .filter(|m| **m != Method::HEAD)
            .map(Method::as_str)
            .collect();
        let mut response = error(405, "Method Not Allowed", TYPE_STATUS_CODES, None);
        if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response.into();
    }
    if !is_get && scope == Scope::ReadOnly {
        return error(
            403,
            "You don't have a required scope to access the endpoint",
            TYPE_STATUS_CODES,
            Some(json!({})),
        )
        .into();
    }
    if !is_get && lock(&shared.faults.state).echo_token {
        let token = headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        return error(
            403,
            &format!("token {token} lacks the modify scope"),
            TYPE_STATUS_CODES,
            Some(json!({ "1": format!("denied for {token}") })),
        )
        .into();
    }
    if let Some(status) = injected_failure(shared, is_get, target.resource()) {
        return error(status, reason(status), TYPE_STATUS_CODES, None).into();
    }
    match (target, is_get) {
        (Endpoint::Customers, true) => get_customers(shared, pairs).await,
        (Endpoint::Customers, false) => delete_customers(shared, pairs),
        (Endpoint::Subscribers, true) => subscriber_api::list(shared, pairs).await,
        (Endpoint::Subscribers, false) => subscriber_api::delete_collection(shared, pairs),
        (Endpoint::Subscriber(id), true) => subscriber_api::get_one(shared, id),
        (Endpoint::Subscriber(id), false) => subscriber_api::delete_one(shared, id),
        (Endpoint::Orders, true) => order_api::list(shared, pairs),
        (Endpoint::Orders, false) => order_api::delete_collection(shared),
        (Endpoint::Order(id), true) => order_api::get_one(shared, id),
        (Endpoint::Order(id), false) if method == Method::PUT => order_api::put(shared, id, body),
        (Endpoint::Order(id), false) => order_api::delete_one(shared, id),
        (Endpoint::ShippingAddresses(id), _) => order_api::shipping_addresses(shared, id, pairs),
        (Endpoint::ShippingAddress(id, sid), _) => order_api::put_shipping(shared, id, sid, body),
    }
}

/// A missing `Accept`, or one that allows JSON, is fine.
fn accepts_json(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().all(|v| {
        v.to_str().map_or(true, |s| {
            s.split(',').any(|item| {
                let media = item.split(';').next().unwrap_or("").trim();
                matches!(media, "application/json" | "application/*" | "*/*" | "")
            })
        })
    })
}

/// The run-time and random 5xx faults, in a fixed order: `fail_next`, `fail_rate`, then per method
/// (`fail_deletes` for every modifying request: an order `PUT` too).
/// The run-time ones only when they apply to `resource` ([`super::Faults::only`]).
fn injected_failure(shared: &Shared, is_get: bool, resource: Option<Resource>) -> Option<u16> {
    let applies =
        |f: &super::faults::FaultState| resource.map_or(f.only.is_none(), |r| f.applies_to(r));
    {
        let mut faults = lock(&shared.faults.state);
        if let Some((count, status)) = faults.fail_next.filter(|_| applies(&faults)) {
            faults.fail_next = (count > 1).then_some((count - 1, status));
            return Some(status);
        }
    }
    if chance(shared, shared.config.fail_rate) {
        let statuses = [500, 502, 503, 504];
        let pick = lock(&shared.rng).usize(0..statuses.len());
        return Some(statuses[pick]);
    }
    let faults = lock(&shared.faults.state);
    if !applies(&faults) {
        None
    } else if is_get {
        faults.fail_gets
    } else {
        faults.fail_deletes
    }
}

// ---------------------------------------------------------------------------------------------- GET

/// `GET /customers`: filters, sorting, page or cursor pagination, and the hostile modes.
async fn get_customers(shared: &Shared, pairs: &[(String, String)]) -> Replied {
    let mut query = match ListQuery::parse(pairs) {
        Ok(q) => q,
        Err(bad) => return filter_error(&bad.0).into(),
    };
    query.fold_emails = shared.config.email_match == EmailMatch::IgnoreCase;
    if let Some(refused) = over_limit(shared, &mut query.limit) {
        return refused;
    }
    let hostile = hostile_for(shared, Resource::Customer);
    let mut body = {
        let records = lock(&shared.records);
        list_body(&records, &query, shared.config.seed, hostile)
    };
    match hostile {
        None => json_response(200, &body),
        Some(mode) => hostile_response(shared, mode, &mut body).await,
    }
}

/// The IDs of the rows a query selects, in order, before pagination.
fn select<'a>(records: &'a Records, q: &ListQuery) -> Vec<&'a Customer> {
    let mut rows: Vec<&Customer> = if let Some(ids) = &q.ids {
        let unique: BTreeSet<u32> = ids.iter().copied().collect();
        unique
            .into_iter()
            .filter_map(|id| records.get(id))
            .collect()
    } else if let Some(emails) = &q.emails {
        let mut found: Vec<&Customer> = emails
            .iter()
            .flat_map(|e| records.by_email(e, q.fold_emails))
            .collect();
        found.sort_by_key(|c| c.id);
        found.dedup_by_key(|c| c.id);
        found
    } else {
        records.all().collect()
    };
    rows.retain(|c| q.matches(c));
    let sort = q.sort;
    if sort != params::Sort::Id {
        rows.sort_by(|a, b| sort.cmp(a, b));
    }
    rows
}

/// Build `{"data":[…],"meta":{…}}` for a query (the hostile pagination modes adjust `meta` here).
fn list_body(records: &Records, q: &ListQuery, seed: u64, hostile: Option<Hostile>) -> Value {
    let rows = select(records, q);
    let l = page_size(hostile, q.limit);
    let limit = l as usize;
    let total = rows.len();
    let (start, end) = match q.cursor {
        None => {
            let start = (q.page as usize - 1).saturating_mul(limit).min(total);
            (start, start.saturating_add(limit).min(total))
        }
        Some(Cursor::After(id)) => {
            let start = position(&rows, id, q.sort == params::Sort::Id)
                .map_or(total, |p| p.after)
                .min(total);
            (start, start.saturating_add(limit).min(total))
        }
        Some(Cursor::Before(id)) => {
            let end = position(&rows, id, q.sort == params::Sort::Id)
                .map_or(0, |p| p.at)
                .min(total);
            (end.saturating_sub(limit), end)
        }
    };
    let page = &rows[start..end];
    let mut data: Vec<Value> = page.iter().map(|c| c.to_json(q.include)).collect();
    let count = data.len();

    let cursor_block = || {
        let mut links = serde_json::Map::new();
        if start > 0
            && let Some(first) = page.first()
        {
            let c = params::encode_cursor(first.id);
            links.insert(
                "previous".into(),
                json!(format!("?limit={l}&before={}", url_encode(&c))),
            );
        }
        let current = match q.cursor {
            None => format!("?limit={l}"),
            Some(Cursor::After(id)) => format!(
                "?limit={l}&after={}",
                url_encode(&params::encode_cursor(id))
            ),
            Some(Cursor::Before(id)) => format!(
                "?limit={l}&before={}",
                url_encode(&params::encode_cursor(id))
            ),
        };
        links.insert("current".into(), json!(current));
        let endless = hostile == Some(Hostile::EndlessPagination);
        if end < total || endless {
            let after = page.last().map_or_else(
                || match q.cursor {
                    Some(Cursor::After(id) | Cursor::Before(id)) => id,
                    None => 0,
                },
                |c| c.id,
            );
            let c = params::encode_cursor(after);
            links.insert(
                "next".into(),
                json!(format!("?limit={l}&after={}", url_encode(&c))),
            );
        }
        let mut block = serde_json::Map::new();
        block.insert("count".into(), json!(count));
        block.insert("per_page".into(), json!(l));
        if let (Some(first), Some(last)) = (page.first(), page.last()) {
            block.insert(
                "start_cursor".into(),
                json!(params::encode_cursor(first.id)),
            );
            block.insert("end_cursor".into(), json!(params::encode_cursor(last.id)));
        }
        block.insert("links".into(), Value::Object(links));
        Value::Object(block)
    };

    let mut meta = serde_json::Map::new();
    if q.cursor.is_none() {
        meta.insert(
            "pagination".into(),
            pagination(hostile, total, count, l, q.page as usize),
        );
    }
    if q.cursor.is_some() || q.page == 1 {
        meta.insert("cursor_pagination".into(), cursor_block());
    }

    match hostile {
        Some(Hostile::ExtraCustomer) => {
            let asked: BTreeSet<u32> = q.ids.iter().flatten().copied().collect();
            let mut extra = records
                .all()
                .last()
                .map_or(1, |c| c.id.saturating_add(1000));
            // Bounded: at most |asked| + 1 steps find an ID that was not asked for.
            for _ in 0..=asked.len() {
                if !asked.contains(&extra) {
                    break;
                }
                extra = extra.wrapping_add(1).max(1);
            }
            data.push(Customer::generate(seed, extra).to_json(q.include));
        }
        Some(Hostile::MissingId) => {
            if let Some(first) = data.first_mut().and_then(Value::as_object_mut) {
                first.remove("id");
            }
        }
        _ => {}
    }
    json!({ "data": data, "meta": Value::Object(meta) })
}

/// Where a cursor's row sits in `rows`: its index and the index just after it.
struct Position {
    at: usize,
    after: usize,
}

/// With another sort, a cursor whose row no longer exists yields `None` (an empty page): the position
/// is unknowable, and an empty page ends the client's walk rather than repeating rows.
fn position(rows: &[&Customer], id: u32, by_id: bool) -> Option<Position> {
    if by_id {
        // Works even when the cursor's row has since been deleted.
        let at = rows.partition_point(|c| c.id < id);
        let after = rows.partition_point(|c| c.id <= id);
        return Some(Position { at, after });
    }
    rows.iter()
        .position(|c| c.id == id)
        .map(|at| Position { at, after: at + 1 })
}

/// Percent-encode a cursor for a link (`=` and `+` and `/`, as base64 needs).
fn url_encode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

// ------------------------------------------------------------------------------------------- DELETE

/// `DELETE /customers?id:in=…`: the API's no-op without `id:in`, validation, caps, rejections, and
/// the run-time lies and failures.
fn delete_customers(shared: &Shared, pairs: &[(String, String)]) -> Replied {
    let no_content = || empty(204);
    let ids = match params::id_in(pairs) {
        // The documented quirk: no id:in deletes nothing and still answers 204.
        None => return no_content().into(),
        Some(Err(())) => {
            return match shared.config.invalid_id_in {
                InvalidIdIn::Status422 => filter_error(&["id:in".to_string()]).into(),
                InvalidIdIn::NoOp204 => no_content().into(),
            };
        }
        Some(Ok(ids)) => ids,
    };
    if let Some(max) = shared.config.max_ids_per_delete
        && ids.len() > max
    {
        return over_cap(shared.config.over_cap_status, max).into();
    }
    let unique: BTreeSet<u32> = ids.iter().copied().collect();
    let rejected: Vec<u32> = unique
        .iter()
        .copied()
        .filter(|id| shared.config.reject_delete_ids.contains(id))
        .collect();
    let faults = effective_faults(shared, Resource::Customer);
    let mut records = lock(&shared.records);
    if !rejected.is_empty() {
        let mut deleted = Vec::new();
        if shared.config.partial_reject && !faults.lying_deletes {
            for &id in unique.iter().filter(|id| !rejected.contains(id)) {
                if records.remove(id) {
                    deleted.push(id);
                }
            }
        }
        let errors: serde_json::Map<String, Value> = rejected
            .iter()
            .map(|id| (id.to_string(), json!("Unauthorized to delete")))
            .collect();
        return Replied {
            response: error(
                422,
                "Bulk operation has failed",
                TYPE_STATUS_CODES,
                Some(Value::Object(errors)),
            ),
            deleted,
            rate_headers: true,
            drop_connection: false,
        };
    }
    if shared.config.unknown_delete_ids == UnknownIds::Reject422 {
        let unknown: serde_json::Map<String, Value> = unique
            .iter()
            .filter(|&&id| records.get(id).is_none())
            .map(|id| (id.to_string(), json!("Customer does not exist")))
            .collect();
        if !unknown.is_empty() {
            return error(
                422,
                "Bulk operation has failed",
                TYPE_STATUS_CODES,
                Some(Value::Object(unknown)),
            )
            .into();
        }
    }
    if faults.lying_deletes {
        return no_content().into();
    }
    let deleted: Vec<u32> = unique
        .into_iter()
        .filter(|&id| records.remove(id))
        .collect();
    after_delete(shared, &faults, deleted)
}

fn over_cap(status: u16, max: usize) -> Response {
    match status {
        422 => error(
            422,
            "Bulk operation has failed",
            TYPE_STATUS_CODES,
            Some(json!({ "id:in": format!("At most {max} IDs may be deleted per request") })),
        ),
        414 => error(414, "URI Too Long", TYPE_STATUS_CODES, None),
        _ => error(
            413,
            &format!(
                "The request payload is too large. The maximum number of items allowed is {max}."
            ),
            TYPE_STATUS_CODES,
            None,
        ),
    }
}

// ------------------------------------------------------------------------------ rate-limit answers

fn bare_429() -> Replied {
    let mut outcome = json_response(
        429,
        &json!({ "status": 429, "title": "Too many requests", "type": TYPE_429, "errors": {} }),
    );
    outcome.rate_headers = false;
    outcome
}

fn too_many_requests(d: &Decision, omit_retry_after: bool) -> Response {
    let mut response = json_response(
        429,
        &json!({ "status": 429, "title": "Too many requests", "type": TYPE_429, "errors": {} }),
    )
    .response;
    if !omit_retry_after {
        response
            .headers_mut()
            .insert("x-retry-after", HeaderValue::from(d.retry_after_secs()));
    }
    response
}

/// The four lower-case rate-limit headers (HTTP/1 header names are sent as written: lower case).
fn add_rate_headers(headers: &mut HeaderMap, d: &Decision) {
    headers.insert(
        "x-rate-limit-time-window-ms",
        HeaderValue::from(d.window_ms),
    );
    headers.insert("x-rate-limit-time-reset-ms", HeaderValue::from(d.reset_ms));
    headers.insert("x-rate-limit-requests-quota", HeaderValue::from(d.quota));
    headers.insert("x-rate-limit-requests-left", HeaderValue::from(d.left));
}
