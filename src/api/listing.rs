//! Checking one page of a listing (`GET /v3/customers?id:in=…`, `…?email:in=…`,
//! `GET /v3/customers/subscribers?id:in=…`, `…?email=…`) before anything in it is believed.
//!
//! The plan decides what gets deleted from this data, so a response that is not exactly what was
//! asked for is an error, never a best effort: a record that was not asked for, a duplicate, an ID
//! that is not an integer, or pagination that contradicts itself (API-NOTES §5.3: `total_pages` has
//! been seen wrong in the wild). Customers and subscribers share the page shape (`data` + `meta.
//! pagination`) and the fields bcprune reads, so one checker serves both; what "asked for" means
//! (an ID of the `id:in`, an email of the lookup) is the caller's `accept`. Pure functions over
//! bytes, so they are tested without a server.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::LiveCustomer;
use super::error::sanitize;
use crate::{CustomerId, Resource};

/// The most customers one GET asks for, and the `limit` sent with it (the API's page maximum).
pub const PAGE_LIMIT: usize = 250;

#[derive(Deserialize)]
struct Page {
    data: Vec<serde_json::Value>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    total: Option<i64>,
    count: Option<i64>,
    per_page: Option<i64>,
    current_page: Option<i64>,
    total_pages: Option<i64>,
    #[serde(default)]
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<serde_json::Value>,
}

/// What one checked page holds.
#[derive(Debug)]
pub(crate) struct CheckedPage {
    /// The records (customers, or subscribers in the same shape).
    pub records: Vec<LiveCustomer>,
    /// The server says there is a further page.
    pub more: bool,
    /// The page size the server says it used, when sane (1..=250).
    pub per_page: Option<usize>,
}

/// Check page `page` (1-based) of a customers request for `asked`; `seen` holds the IDs of earlier
/// pages of the same request and is extended. The error says what is wrong, for the caller to name
/// the request.
#[cfg(test)]
pub(crate) fn check_page(
    body: &[u8],
    page: u32,
    asked: &BTreeSet<CustomerId>,
    seen: &mut BTreeSet<CustomerId>,
) -> Result<CheckedPage, String> {
    let accept = |record: &LiveCustomer| {
        if asked.contains(&record.id) {
            Ok(())
        } else {
            Err(format!(
                "customer {} was returned but not asked for (the id:in filter was not applied?)",
                record.id
            ))
        }
    };
    check_records(body, page, Resource::Customer, seen, &accept)
}

/// Check page `page` (1-based) of a listing of `resource`: every record well-formed, accepted by
/// `accept` (the filter's own check), not in `seen` (the IDs of earlier pages, extended here), and
/// pagination that does not contradict itself.
pub(crate) fn check_records(
    body: &[u8],
    page: u32,
    resource: Resource,
    seen: &mut BTreeSet<u32>,
    accept: &(dyn Fn(&LiveCustomer) -> Result<(), String> + Sync),
) -> Result<CheckedPage, String> {
    let noun = resource.as_str();
    let parsed: Page = serde_json::from_slice(body).map_err(|e| {
        let what = if body.first().is_some_and(|b| *b == b'<') {
            "the body is HTML or XML, not JSON"
        } else {
            "the body is not the documented JSON {\"data\": [...], \"meta\": {...}}"
        };
        format!("{what} ({e})")
    })?;
    let mut customers = Vec::with_capacity(parsed.data.len());
    for (index, record) in parsed.data.into_iter().enumerate() {
        let customer = record_from(record, index, noun)?;
        accept(&customer)?;
        if !seen.insert(customer.id) {
            return Err(format!("{noun} {} was returned twice", customer.id));
        }
        customers.push(customer);
    }
    let n = customers.len() as i64;
    let Some(p) = parsed.meta.and_then(|m| m.pagination) else {
        return Ok(CheckedPage {
            records: customers,
            more: false,
            per_page: None,
        });
    };
    let fields = [
        ("total", p.total),
        ("count", p.count),
        ("per_page", p.per_page),
        ("current_page", p.current_page),
        ("total_pages", p.total_pages),
    ];
    if let Some((name, value)) = fields.iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
        return Err(format!(
            "nonsense pagination: {name} is {}",
            value.unwrap_or_default()
        ));
    }
    if let Some(count) = p.count.filter(|c| *c != n) {
        return Err(format!(
            "nonsense pagination: count is {count} but the page holds {n} {noun}s"
        ));
    }
    if p.total_pages == Some(0) && n > 0 {
        return Err(format!(
            "nonsense pagination: total_pages is 0 but the page holds {n} {noun}s"
        ));
    }
    if let Some(total) = p.total.filter(|t| *t < n) {
        return Err(format!(
            "nonsense pagination: total is {total} but the page holds {n} {noun}s"
        ));
    }
    if p.per_page == Some(0) && n > 0 {
        return Err(format!(
            "nonsense pagination: per_page is 0 but the page holds {noun}s"
        ));
    }
    if let Some(current) = p.current_page.filter(|c| *c != i64::from(page) && n > 0) {
        return Err(format!(
            "asked for page {page} but the response says it is page {current}"
        ));
    }
    let next_link = p.links.and_then(|l| l.next).is_some_and(|next| match next {
        serde_json::Value::String(s) => !s.trim().is_empty(),
        serde_json::Value::Null => false,
        _ => true,
    });
    let more_pages = p.total_pages.is_some_and(|t| t > i64::from(page));
    Ok(CheckedPage {
        records: customers,
        // An empty page ends the listing whatever the metadata claims: there is nothing to follow.
        more: n > 0 && (next_link || more_pages),
        per_page: p
            .per_page
            .and_then(|v| usize::try_from(v).ok())
            .filter(|v| (1..=PAGE_LIMIT).contains(v)),
    })
}

fn record_from(
    record: serde_json::Value,
    index: usize,
    noun: &str,
) -> Result<LiveCustomer, String> {
    let object = record
        .as_object()
        .ok_or_else(|| format!("data[{index}] is not a JSON object"))?;
    let id = object
        .get("id")
        .ok_or_else(|| format!("data[{index}] has no id"))?;
    let id = id
        .as_u64()
        .and_then(|v| CustomerId::try_from(v).ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            format!(
                "data[{index}] has id {}, not a {noun} ID",
                sanitize(&id.to_string())
            )
        })?;
    let text = |field: &str, required: bool| -> Result<String, String> {
        match object.get(field) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            None | Some(serde_json::Value::Null) if !required => Ok(String::new()),
            None | Some(serde_json::Value::Null) => Err(format!("{noun} {id} has no {field}")),
            Some(_) => Err(format!("{noun} {id} has a {field} that is not a string")),
        }
    };
    Ok(LiveCustomer {
        id,
        email: text("email", false)?,
        first_name: text("first_name", false)?,
        last_name: text("last_name", false)?,
        // Required: a saved plan's staleness check compares it verbatim.
        date_modified: text("date_modified", true)?,
        record,
    })
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    fn asked(ids: &[u32]) -> BTreeSet<u32> {
        ids.iter().copied().collect()
    }

    fn customer(id: u32) -> serde_json::Value {
        json!({"id": id, "email": format!("c{id}@example.com"), "first_name": "Ann", "last_name": "Lee",
               "date_modified": "2026-01-02T03:04:05Z", "notes": ""})
    }

    fn check(body: serde_json::Value, page: u32, ids: &[u32]) -> Result<CheckedPage, String> {
        check_page(
            body.to_string().as_bytes(),
            page,
            &asked(ids),
            &mut BTreeSet::new(),
        )
    }

    #[test]
    fn a_good_page_yields_the_customers_with_their_full_record() {
        let body = json!({"data": [customer(1), customer(2)], "meta": {"pagination": {
            "total": 2, "count": 2, "per_page": 250, "current_page": 1, "total_pages": 1,
            "links": {"current": "?page=1&limit=250"}}}});
        let page = check(body, 1, &[1, 2, 3]).expect("valid page");
        assert!(!page.more);
        assert_eq!(page.records.len(), 2);
        assert_eq!(page.records[0].email, "c1@example.com");
        assert_eq!(page.records[0].date_modified, "2026-01-02T03:04:05Z");
        assert_eq!(page.records[1].record["notes"], "");
    }

    #[test]
    fn more_pages_are_announced_by_next_link_or_total_pages() {
        let body = json!({"data": [customer(1)], "meta": {"pagination": {
            "count": 1, "per_page": 1, "current_page": 1, "total_pages": 2}}});
        assert!(check(body, 1, &[1, 2]).expect("valid").more);
        let body = json!({"data": [customer(1)], "meta": {"pagination": {
            "links": {"next": "?page=2&limit=1"}}}});
        assert!(check(body, 1, &[1, 2]).expect("valid").more);
        let body = json!({"data": [], "meta": {"pagination": {"total_pages": 9}}});
        assert!(!check(body, 1, &[1, 2]).expect("valid").more);
    }

    #[test]
    fn hostile_pages_are_rejected_with_a_reason() {
        let cases = [
            (json!({"data": [customer(9)]}), "not asked for"),
            (json!({"data": [customer(1), customer(1)]}), "twice"),
            (json!({"data": [{"email": "x@y.z"}]}), "has no id"),
            (json!({"data": [{"id": "1"}]}), "not a customer ID"),
            (json!({"data": [{"id": 1.5}]}), "not a customer ID"),
            (json!({"data": [{"id": -1}]}), "not a customer ID"),
            (
                json!({"data": [{"id": 1, "email": 5, "date_modified": "x"}]}),
                "not a string",
            ),
            (
                json!({"data": [{"id": 1, "email": "a@b.c"}]}),
                "no date_modified",
            ),
            (
                json!({"data": [customer(1)], "meta": {"pagination": {"total_pages": 0}}}),
                "total_pages is 0",
            ),
            (
                json!({"data": [customer(1)], "meta": {"pagination": {"count": 3}}}),
                "count is 3",
            ),
            (
                json!({"data": [customer(1)], "meta": {"pagination": {"total": -1}}}),
                "total is -1",
            ),
            (
                json!({"data": [customer(1)], "meta": {"pagination": {"current_page": 1}}}),
                "says it is page 1",
            ),
            (json!({"meta": {}}), "missing field `data`"),
            (json!({"data": null}), "not the documented JSON"),
            (json!([1, 2]), "not the documented JSON"),
        ];
        for (body, expected) in cases {
            let page = if expected.contains("says it is page") {
                2
            } else {
                1
            };
            let err = check(body.clone(), page, &[1, 2]).expect_err(&body.to_string());
            assert!(err.contains(expected), "{body}: {err}");
        }
        let err = check_page(
            b"<html><body>Bad gateway</body></html>",
            1,
            &asked(&[1]),
            &mut BTreeSet::new(),
        )
        .expect_err("html");
        assert!(err.contains("HTML"), "{err}");
        let err =
            check_page(b"{\"data\": [", 1, &asked(&[1]), &mut BTreeSet::new()).expect_err("cut");
        assert!(err.contains("EOF"), "{err}");
    }

    #[test]
    fn a_duplicate_across_pages_is_rejected() {
        let mut seen = BTreeSet::from([1]);
        let body = json!({"data": [customer(1)]}).to_string();
        let err =
            check_page(body.as_bytes(), 2, &asked(&[1, 2]), &mut seen).expect_err("duplicate");
        assert!(err.contains("twice"), "{err}");
    }
}
