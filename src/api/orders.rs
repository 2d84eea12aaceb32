//! V2 orders (`/v2/orders`, PRODUCT §15, API-NOTES §11): discovery by customer and by email, reading
//! one order with its shipping addresses, and the redaction `PUT`s.
//!
//! V2 answers are bare JSON arrays without pagination metadata, and an empty page is **204 with no
//! body**: a listing is walked `page=1, 2, …` with `limit=250` until a page is empty (204 or `[]`) —
//! a page shorter than the limit does not end it, since the largest `limit` V2 honours is not known
//! (API-NOTES §11 \[U\]): a store that silently serves fewer per page must not hide an order —, at most [`MAX_ORDER_PAGES`] pages (a store that never stops answering is
//! an invalid listing, not an endless loop). Every row is checked against the filter asked for (a
//! `customer_id` listing that returns another customer's order is invalid), and no order may appear
//! twice.
//!
//! What is never sent, structurally: the only PUT bodies are those of [`crate::order_redaction`]
//! (`Client::send_body` checks each with `is_redaction_body` right before sending and refuses any
//! other), and no function builds a DELETE on an orders URL (`Client::send` refuses a DELETE whose
//! URL does not name customers by `id:in` or one subscriber), so neither `DELETE /v2/orders` (which
//! archives every order of the store) nor `DELETE /v2/orders/{id}` (which archives one, keeping every
//! field) can leave bcprune.

use std::collections::BTreeSet;

use futures_util::StreamExt as _;
use reqwest::{Method, Url};
use serde_json::Value;

use super::ApiError;
use super::client::{Client, ERROR_BODY_CAP};
use crate::live::{Live, LiveOrder};
use crate::order_redaction::{self, Present};
use crate::{CustomerId, OrderId};

/// Rows per page of an orders listing (V2's maximum `limit`).
pub const ORDER_PAGE_LIMIT: usize = 250;

/// The most pages one orders listing reads (50,000 orders for one customer or address, far past a
/// person's orders; a wholesale account past it is named in the error and redacted by hand) before it
/// is called invalid: a store that never stops answering must not hold a run for long.
pub const MAX_ORDER_PAGES: u32 = 200;

/// The filter of an orders listing: there is no listing without one.
enum OrderFilter<'a> {
    Customer(CustomerId),
    Email(&'a str),
}

impl Client {
    /// Discovery (PRODUCT §15): the orders linked to each of `customers` now, with
    /// `GET /v2/orders?customer_id=ID&limit=250&page=N` paged to an empty page (one GET for a
    /// customer without orders, one more per page of orders), at most `parallelism` customers at once. All or nothing. The orders
    /// come without their shipping addresses' IDs (a listing names only their count).
    pub async fn orders_of(&self, customers: &[CustomerId]) -> Result<Live, ApiError> {
        let unique: BTreeSet<CustomerId> = customers.iter().copied().filter(|&c| c > 0).collect();
        let walks: Vec<_> = unique
            .into_iter()
            .map(|c| self.order_pages(OrderFilter::Customer(c)))
            .collect();
        let mut pending = futures_util::stream::iter(walks).buffer_unordered(self.parallelism());
        let mut live = Live::default();
        while let Some(rows) = pending.next().await {
            for order in rows? {
                live.orders.insert(order.id, order);
            }
        }
        Ok(live)
    }

    /// Every order the store lists for billing email `email` (`GET /v2/orders?email=…&limit=250&page=N`,
    /// paged like discovery), as the store answered them: `Client::orders_by_email` (`lookup.rs`)
    /// keeps those whose email is the address asked for.
    pub(super) async fn orders_with_email(&self, email: &str) -> Result<Vec<LiveOrder>, ApiError> {
        self.order_pages(OrderFilter::Email(email)).await
    }

    /// Read `ids` now: `GET /v2/orders/{id}` and `GET /v2/orders/{id}/shipping_addresses` each, at
    /// most `parallelism` orders at once. An order the store does not know (404) is not listed. All
    /// or nothing.
    pub async fn list_orders(&self, ids: &[OrderId]) -> Result<Live, ApiError> {
        let unique: BTreeSet<OrderId> = ids.iter().copied().collect();
        let reads: Vec<_> = unique.into_iter().map(|id| self.order(id)).collect();
        let mut pending = futures_util::stream::iter(reads).buffer_unordered(self.parallelism());
        let mut live = Live::default();
        while let Some(order) = pending.next().await {
            if let Some(order) = order? {
                live.orders.insert(order.id, order);
            }
        }
        Ok(live)
    }

    /// One order with its shipping addresses, or `None` when the store does not know it (404).
    pub async fn order(&self, id: OrderId) -> Result<Option<LiveOrder>, ApiError> {
        let Some(value) = self.order_json(id).await? else {
            return Ok(None);
        };
        let shipping = self.shipping_addresses(id).await?;
        let label = format!("GET {}", self.order_path(id, None)?.path());
        live_order(&value, Some(&shipping))
            .map(Some)
            .map_err(|problem| ApiError::invalid(&self.scrub, &label, 200, &problem.0))
    }

    /// Redact order `id` (PRODUCT §15): `PUT /v2/orders/{id}` with [`order_redaction::order_body`],
    /// then `PUT …/shipping_addresses/{sid}` with [`order_redaction::address_body`] for each of its
    /// shipping addresses. `read` is what apply's listing read of the order: which IP fields it holds
    /// and, when it was read by ID, its shipping addresses' IDs; only what it does not hold is read
    /// first (the order when `read` is `None`, its shipping addresses when their IDs are unknown), so
    /// the redaction costs [`crate::store::redaction_requests`]. Each body is checked right before it
    /// is sent. A 2xx means accepted, not proven: apply reads the order and its addresses again.
    pub async fn redact_order(
        &self,
        id: OrderId,
        read: Option<&LiveOrder>,
    ) -> Result<(), ApiError> {
        let url = self.order_path(id, None)?;
        let present = match read {
            Some(order) if order.id == id => order.present,
            _ => {
                let Some(order) = self.order_json(id).await? else {
                    return Err(ApiError::Status {
                        request: format!("GET {}", url.path()),
                        status: 404,
                        title: Some("the order does not exist".into()),
                        errors: Default::default(),
                    });
                };
                Present::of(&order)
            }
        };
        let body = order_redaction::order_body(present);
        let label = format!("PUT {}", url.path());
        self.send_body(Method::PUT, url, &label, ERROR_BODY_CAP, Some(&body))
            .await?;
        let known = read
            .filter(|order| order.id == id)
            .and_then(|order| order.shipping_address_ids.clone());
        let shipping = match known {
            Some(ids) => ids,
            None => self
                .shipping_addresses(id)
                .await?
                .iter()
                .map(address_id)
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(|| {
                    ApiError::invalid(
                        &self.scrub,
                        &format!("GET {}/shipping_addresses", self.orders_url()),
                        200,
                        "a shipping address has no positive id",
                    )
                })?,
        };
        for sid in shipping {
            let url = self.order_path(id, Some(sid))?;
            let label = format!("PUT {}", url.path());
            let body = order_redaction::address_body();
            self.send_body(Method::PUT, url, &label, ERROR_BODY_CAP, Some(&body))
                .await?;
        }
        Ok(())
    }

    /// `…/v2/orders/{id}` or `…/v2/orders/{id}/shipping_addresses/{sid}`.
    fn order_path(&self, id: OrderId, shipping: Option<u32>) -> Result<Url, ApiError> {
        if id == 0 {
            return Err(ApiError::Config(
                "refusing order 0: it is not an order ID; this is a bug in bcprune, please report it"
                    .into(),
            ));
        }
        let text = match shipping {
            Some(sid) => format!("{}/{id}/shipping_addresses/{sid}", self.orders_url()),
            None => format!("{}/{id}", self.orders_url()),
        };
        Url::parse(&text)
            .map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))
    }

    /// `GET /v2/orders/{id}`: the order, or `None` on 404.
    async fn order_json(&self, id: OrderId) -> Result<Option<Value>, ApiError> {
        let url = self.order_path(id, None)?;
        let label = format!("GET {}", url.path());
        match self
            .send(Method::GET, url, &label, self.max_body_bytes())
            .await
        {
            Ok((200, body)) => match serde_json::from_slice::<Value>(&body) {
                Ok(value) if value.get("id").and_then(Value::as_u64) == Some(u64::from(id)) => {
                    Ok(Some(value))
                }
                Ok(_) => Err(ApiError::invalid(
                    &self.scrub,
                    &label,
                    200,
                    &format!("expected order {id}"),
                )),
                Err(e) => Err(ApiError::invalid(
                    &self.scrub,
                    &label,
                    200,
                    &format!("not JSON: {e}"),
                )),
            },
            Ok((status, _)) => Err(ApiError::invalid(
                &self.scrub,
                &label,
                status,
                "expected HTTP 200 with the order",
            )),
            Err(ApiError::Status { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET /v2/orders/{id}/shipping_addresses`: a bare array, 204 when there are none.
    async fn shipping_addresses(&self, id: OrderId) -> Result<Vec<Value>, ApiError> {
        let base = self.order_path(id, None)?;
        let url = Url::parse(&format!("{base}/shipping_addresses"))
            .map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))?;
        let label = format!("GET {}", url.path());
        let (status, body) = self
            .send(Method::GET, url, &label, self.max_body_bytes())
            .await?;
        let invalid = |problem: &str| ApiError::invalid(&self.scrub, &label, status, problem);
        match status {
            204 => Ok(Vec::new()),
            200 => match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(rows)) => {
                    if rows.iter().all(|a| address_id(a).is_some()) {
                        Ok(rows)
                    } else {
                        Err(invalid("a shipping address has no positive id"))
                    }
                }
                _ => Err(invalid("expected a JSON array of shipping addresses")),
            },
            _ => Err(invalid("expected HTTP 200 or 204")),
        }
    }

    /// Every page of one filtered orders listing, checked.
    async fn order_pages(&self, filter: OrderFilter<'_>) -> Result<Vec<LiveOrder>, ApiError> {
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for page in 1..=MAX_ORDER_PAGES {
            let (query, shown) = match &filter {
                OrderFilter::Customer(c) => {
                    (format!("customer_id={c}"), format!("customer_id={c}"))
                }
                OrderFilter::Email(e) => (
                    format!("email={}", super::lookup::encode(e)),
                    "email=(1 email)".to_string(),
                ),
            };
            let tail = format!("limit={ORDER_PAGE_LIMIT}&page={page}");
            let url = Url::parse(&format!("{}?{query}&{tail}", self.orders_url()))
                .map_err(|e| ApiError::Config(format!("cannot build the request URL: {e}")))?;
            let label = format!("GET {}?{shown}&{tail}", url.path());
            let (status, body) = self
                .send(Method::GET, url, &label, self.max_body_bytes())
                .await?;
            let invalid = |problem: &str| ApiError::invalid(&self.scrub, &label, status, problem);
            let rows = match status {
                204 => return Ok(found),
                200 => match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Array(rows)) => rows,
                    _ => return Err(invalid("expected a JSON array of orders (V2)")),
                },
                _ => return Err(invalid("expected HTTP 200 or 204")),
            };
            if rows.len() > ORDER_PAGE_LIMIT {
                return Err(invalid(&format!(
                    "{} orders on a page of at most {ORDER_PAGE_LIMIT}",
                    rows.len()
                )));
            }
            if rows.is_empty() {
                return Ok(found);
            }
            for row in &rows {
                let order = live_order(row, None).map_err(|p| invalid(&p.0))?;
                if let OrderFilter::Customer(c) = filter
                    && order.customer_id != c
                {
                    return Err(invalid(&format!(
                        "order {} of customer {} was returned for customer {c} (the customer_id \
                         filter was not applied?)",
                        order.id, order.customer_id
                    )));
                }
                if !seen.insert(order.id) {
                    return Err(invalid(&format!(
                        "order {} was already on an earlier page: the pages repeat, so the listing \
                         cannot be trusted to hold every order",
                        order.id
                    )));
                }
                found.push(order);
            }
        }
        Err(ApiError::invalid(
            &self.scrub,
            &format!("GET {}", self.orders_url()),
            200,
            &format!(
                "more than {MAX_ORDER_PAGES} pages of {ORDER_PAGE_LIMIT} orders: the listing does not end \
                 (or the account has more orders than bcprune reads for one person); look the orders \
                 up in the control panel"
            ),
        ))
    }
}

fn address_id(address: &Value) -> Option<u32> {
    address
        .get("id")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .filter(|&id| id > 0)
}

/// What is wrong with an order's JSON, named without any personal value.
#[derive(Debug)]
struct Problem(String);

impl From<&str> for Problem {
    fn from(text: &str) -> Problem {
        Problem(text.to_string())
    }
}

impl From<String> for Problem {
    fn from(text: String) -> Problem {
        Problem(text)
    }
}

/// An order as the floor holds it, from its JSON (and its shipping addresses when they were read).
fn live_order(value: &Value, shipping: Option<&[Value]>) -> Result<LiveOrder, Problem> {
    let id = value
        .get("id")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .filter(|&id| id > 0)
        .ok_or("an order without a positive id")?;
    let customer_id = value
        .get("customer_id")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    let created = value
        .get("date_created")
        .and_then(Value::as_str)
        .ok_or_else(|| Problem(format!("order {id} has no date_created")))
        .and_then(|d| {
            crate::retention::parse_order_date(d)
                .map_err(|_| Problem(format!("order {id}'s date_created is not an RFC 2822 date")))
        })?;
    let billing = value.get("billing_address");
    let text = |v: Option<&Value>, key: &str| {
        v.and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let country = text(billing, "country_iso2");
    let shipping_address_count = value
        .get("shipping_address_count")
        .and_then(Value::as_u64)
        .map_or(shipping.map_or(0, <[Value]>::len), |n| n as usize);
    Ok(LiveOrder {
        id,
        customer_id,
        created,
        date_modified: text(Some(value), "date_modified"),
        billing_country: (!country.trim().is_empty()).then(|| country.trim().to_ascii_uppercase()),
        email: text(billing, "email"),
        name: format!(
            "{} {}",
            text(billing, "first_name"),
            text(billing, "last_name")
        ),
        present: Present::of(value),
        unredacted: order_redaction::unredacted_fields(value, shipping.unwrap_or(&[])),
        shipping_address_ids: shipping.map(|rows| rows.iter().filter_map(address_id).collect()),
        shipping_address_count: shipping.map_or(shipping_address_count, <[Value]>::len),
    })
}
