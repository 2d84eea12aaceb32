//! The V2 orders endpoints of the fake store (`orders.v2.yml`, API-NOTES §11), after the shared
//! pipeline of [`super::handlers`] (rate limit, faults, latency, routing, auth; the customers tokens
//! stand for the orders scopes: read-only → 403 on `PUT` and `DELETE`):
//!
//! - `GET /v2/orders`: filters `customer_id` (one integer), `email` (one address, compared as
//!   [`super::EmailMatch`] says), `min_id`, `max_id`, `page`, `limit` (default 50, above 250 as
//!   [`super::OverLimit`] says); sorted by ID; a **bare JSON array** (V2 has no pagination metadata),
//!   and **204 with no body** when the page is empty ([I] in the notes: long-standing V2 behaviour).
//!   Other parameters of the spec are accepted and ignored; unknown ones → 422 like the V3 filters.
//!   The hostile modes of [`HostileOrders`] cut the listing as a misbehaving server would: a page
//!   repeated, a short page or a 204 with more after it, pages that never end.
//! - `GET /v2/orders/{id}` (archived ones too, `is_deleted: true`), 404 when unknown.
//! - `GET /v2/orders/{id}/shipping_addresses`: a bare array, paged by `page` and `limit`, 204 when empty.
//! - `PUT /v2/orders/{id}`: the fields given, with the side effects [`super::orders`] models and
//!   records; `PUT /v2/orders/{id}/shipping_addresses/{sid}`. A body that is not a JSON object → 400.
//! - `DELETE /v2/orders/{id}` archives the order; `DELETE /v2/orders` **archives every order** (the
//!   hazard: recorded, see [`super::SimServer::order_collection_deletes`]). Both answer 204.

use serde_json::{Map, Value, json};

use super::Shared;
use super::config::{ENDLESS_ORDER_ID, ENDLESS_ORDER_ID_LAST, HostileOrders};
use super::log::lock;
use super::orders::{Order, Owner};
use super::params::{self, DEFAULT_LIMIT};
use super::respond::{
    Replied, TYPE_STATUS_CODES, empty, error, filter_error, json_response, over_limit,
};

/// The spec's `GET /orders` parameters the sim accepts without filtering on them.
const IGNORED: [&str; 15] = [
    "min_total",
    "max_total",
    "status_id",
    "cart_id",
    "payment_method",
    "min_date_created",
    "max_date_created",
    "min_date_modified",
    "max_date_modified",
    "sort",
    "channel_id",
    "include",
    "consignment_structure",
    "external_order_id",
    "is_deleted",
];

fn base(shared: &Shared) -> String {
    format!("/stores/{}/v2", shared.config.store_hash)
}

fn not_found() -> Replied {
    error(
        404,
        "The requested resource was not found.",
        TYPE_STATUS_CODES,
        None,
    )
    .into()
}

fn bad_body() -> Replied {
    error(
        400,
        "The request body must be a JSON object.",
        TYPE_STATUS_CODES,
        None,
    )
    .into()
}

/// `GET /v2/orders`.
pub(super) fn list(shared: &Shared, pairs: &[(String, String)]) -> Replied {
    let (mut page, mut limit) = (1u32, DEFAULT_LIMIT);
    let (mut customer, mut email, mut min_id, mut max_id) = (None, None, None, None);
    let mut bad: Vec<String> = Vec::new();
    for (key, value) in pairs {
        let ok = match key.as_str() {
            "customer_id" => (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                .then(|| value.parse::<u32>().ok())
                .flatten()
                .map(|n| customer = Some(n))
                .is_some(),
            "email" => {
                email = Some(value.clone());
                true
            }
            "min_id" => params::positive(value).map(|n| min_id = Some(n)).is_some(),
            "max_id" => params::positive(value).map(|n| max_id = Some(n)).is_some(),
            "page" => params::positive(value).map(|n| page = n).is_some(),
            "limit" => params::positive(value).map(|n| limit = n).is_some(),
            k => IGNORED.contains(&k),
        };
        if !ok && !bad.contains(key) {
            bad.push(key.clone());
        }
    }
    if !bad.is_empty() {
        return filter_error(&bad).into();
    }
    if let Some(refused) = over_limit(shared, &mut limit) {
        return refused;
    }
    let fold = shared.config.email_match == super::EmailMatch::IgnoreCase;
    let hostile = lock(&shared.faults.state).hostile_orders;
    let records = lock(&shared.records);
    let matches = |o: &&Order| {
        let have = o
            .billing_address
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("");
        !o.is_deleted
            && customer.is_none_or(|c| o.customer_id == c)
            && email.as_ref().is_none_or(|e| {
                if fold {
                    super::collate(e) == super::collate(have)
                } else {
                    e == have
                }
            })
            && min_id.is_none_or(|m| o.id >= m)
            && max_id.is_none_or(|m| o.id <= m)
    };
    let base = base(shared);
    let matched: Vec<&Order> = records.orders.all().filter(matches).collect();
    let mut rows: Vec<Value> = page_of(&matched, hostile, page, limit)
        .into_iter()
        .map(|o| o.to_json(&base))
        .collect();
    if hostile == Some(HostileOrders::EndlessPages) {
        let filter = (customer, email.as_deref());
        rows.extend(made_up(shared, filter, page, limit, rows.len(), &base));
    }
    if rows.is_empty() {
        return empty(204).into();
    }
    json_response(200, &Value::Array(rows))
}

/// The orders page `page` holds: `limit` of them in ID order, or as the hostile mode cuts the listing
/// ([`HostileOrders`]).
fn page_of<'a>(
    matched: &[&'a Order],
    hostile: Option<HostileOrders>,
    page: u32,
    limit: u32,
) -> Vec<&'a Order> {
    let (page, size) = match hostile {
        Some(HostileOrders::RepeatedPage) => (1, limit),
        Some(HostileOrders::ShortPageThenMore) => (page, limit.saturating_sub(1).max(1)),
        Some(HostileOrders::EmptyPageThenMore) if page == 2 => return Vec::new(),
        Some(HostileOrders::EmptyPageThenMore) if page > 2 => (page - 1, limit),
        _ => (page, limit),
    };
    let skip = (page as usize - 1).saturating_mul(size as usize);
    matched
        .iter()
        .skip(skip)
        .take(size as usize)
        .copied()
        .collect()
}

/// [`HostileOrders::EndlessPages`]: made-up orders that fill page `page` (which holds `real` real ones)
/// up to `limit`, matching the filter (`customer_id`, `email`), their IDs from [`ENDLESS_ORDER_ID`] on
/// by position in the listing, so every page brings new ones.
fn made_up(
    shared: &Shared,
    (customer, email): (Option<u32>, Option<&str>),
    page: u32,
    limit: u32,
    real: usize,
    base: &str,
) -> Vec<Value> {
    let owner = Owner::Guest(email.unwrap_or("endless@example.invalid").to_string());
    let first = u64::from(page - 1) * u64::from(limit);
    (real as u64..u64::from(limit))
        .map_while(|k| {
            u32::try_from(u64::from(ENDLESS_ORDER_ID) + first + k)
                .ok()
                .filter(|id| *id <= ENDLESS_ORDER_ID_LAST)
        })
        .map(|id| {
            let mut order = Order::generate(shared.config.seed, id, &owner);
            order.customer_id = customer.unwrap_or(0);
            order.to_json(base)
        })
        .collect()
}

/// `GET /v2/orders/{id}`.
pub(super) fn get_one(shared: &Shared, id: u32) -> Replied {
    let records = lock(&shared.records);
    match records.orders.get(id) {
        Some(order) => json_response(200, &order.to_json(&base(shared))),
        None => not_found(),
    }
}

/// `GET /v2/orders/{id}/shipping_addresses`: the spec's `page` and `limit` (default 50, above 250 as
/// [`super::OverLimit`] says), a bare array, 204 for an empty page; other parameters → 422.
pub(super) fn shipping_addresses(shared: &Shared, id: u32, pairs: &[(String, String)]) -> Replied {
    let (mut page, mut limit) = (1u32, DEFAULT_LIMIT);
    let mut bad: Vec<String> = Vec::new();
    for (key, value) in pairs {
        let ok = match key.as_str() {
            "page" => params::positive(value).map(|n| page = n).is_some(),
            "limit" => params::positive(value).map(|n| limit = n).is_some(),
            _ => false,
        };
        if !ok && !bad.contains(key) {
            bad.push(key.clone());
        }
    }
    if !bad.is_empty() {
        return filter_error(&bad).into();
    }
    if let Some(refused) = over_limit(shared, &mut limit) {
        return refused;
    }
    let records = lock(&shared.records);
    let Some(order) = records.orders.get(id) else {
        return not_found();
    };
    let skip = (page as usize - 1).saturating_mul(limit as usize);
    let rows: Vec<Value> = order
        .shipping_addresses
        .iter()
        .skip(skip)
        .take(limit as usize)
        .map(|a| Value::Object(a.clone()))
        .collect();
    if rows.is_empty() {
        return empty(204).into();
    }
    json_response(200, &Value::Array(rows))
}

fn object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// `PUT /v2/orders/{id}`.
pub(super) fn put(shared: &Shared, id: u32, body: &[u8]) -> Replied {
    let Some(map) = object(body) else {
        return bad_body();
    };
    let zip_empty = map
        .get("billing_address")
        .and_then(|a| a.get("zip"))
        .is_some_and(|z| z.as_str().is_none_or(str::is_empty));
    if zip_empty {
        return error(
            400,
            "billing_address.zip is required.",
            TYPE_STATUS_CODES,
            Some(json!({ "billing_address.zip": "required" })),
        )
        .into();
    }
    let mut records = lock(&shared.records);
    let Some(order) = records.orders.get_mut(id) else {
        return not_found();
    };
    let events = order.put(&map);
    let answer = order.to_json(&base(shared));
    records.orders.events.extend(events);
    json_response(200, &answer)
}

/// `PUT /v2/orders/{id}/shipping_addresses/{sid}`.
pub(super) fn put_shipping(shared: &Shared, id: u32, sid: u32, body: &[u8]) -> Replied {
    let Some(map) = object(body) else {
        return bad_body();
    };
    let mut records = lock(&shared.records);
    let Some(order) = records.orders.get_mut(id) else {
        return not_found();
    };
    let Some(events) = order.put_shipping(sid, &map) else {
        return not_found();
    };
    let answer = order
        .shipping_addresses
        .iter()
        .find(|a| a.get("id").and_then(Value::as_u64) == Some(u64::from(sid)))
        .map(|a| Value::Object(a.clone()))
        .unwrap_or_default();
    records.orders.events.extend(events);
    json_response(200, &answer)
}

/// `DELETE /v2/orders/{id}`: archive the order (every field kept).
pub(super) fn delete_one(shared: &Shared, id: u32) -> Replied {
    let mut records = lock(&shared.records);
    let Some(order) = records.orders.get_mut(id) else {
        return not_found();
    };
    order.is_deleted = true;
    records
        .orders
        .events
        .push(super::OrderEvent::Archived { order: id });
    empty(204).into()
}

/// `DELETE /v2/orders`: archive every order of the store (any query).
pub(super) fn delete_collection(shared: &Shared) -> Replied {
    lock(&shared.records).orders.archive_all();
    empty(204).into()
}
