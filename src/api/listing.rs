//! Checking the pages of a listing (`GET /v3/customers?id:in=…`, `…?email:in=…`,
//! `GET /v3/customers/subscribers?id:in=…`, `…?email=…`) before anything in them is believed.
//!
//! The plan decides what gets deleted from this data, and an ID missing from a listing is called
//! absent, so a response that is not exactly what was asked for is an error, never a best effort: a
//! record that was not asked for, a duplicate, an ID that is not an integer, or pagination that does
//! not account for every record the API says matched ([`Walk`], the one rule: the figures agree with
//! each other and with what was read; API-NOTES §5.3: `total_pages` has been seen wrong in the wild).
//! Customers and subscribers share the page shape (`data` + `meta.pagination`) and the fields bcprune
//! reads, so one checker serves both; what "asked for" means (an ID of the `id:in`) is the caller's
//! `accept`. Pure functions over bytes, so they are tested without a server.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::LiveCustomer;
use super::error::sanitize;
use crate::{CustomerId, Resource};

pub use crate::store::PAGE_LIMIT;

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

/// The pagination figures one page states (`meta.pagination`), all required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Figures {
    pub total: u64,
    pub count: u64,
    pub per_page: u64,
    pub total_pages: u64,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "total {}, count {}, per_page {}, total_pages {}",
            self.total, self.count, self.per_page, self.total_pages
        )
    }
}

/// Why a page of a listing is not believed (so neither is the listing): which record, which figure,
/// which page. Surfaces as the problem of an [`super::ApiError::InvalidResponse`] naming the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PageError {
    /// The body is not JSON of the documented shape (`html`: it looks like an HTML or XML page).
    #[error("{} ({detail})", body_kind(*.html))]
    NotJson { html: bool, detail: String },
    #[error("data[{index}] is not a JSON object")]
    NotAnObject { index: usize },
    #[error("data[{index}] has no id")]
    NoId { index: usize },
    /// `shown` is the value as the body had it, made safe to print.
    #[error("data[{index}] has id {shown}, not a {resource} ID")]
    BadId {
        index: usize,
        resource: Resource,
        shown: String,
    },
    #[error("{resource} {id} has no {field}")]
    MissingField {
        resource: Resource,
        id: u32,
        field: &'static str,
    },
    #[error("{resource} {id} has a {field} that is not a string")]
    NotAString {
        resource: Resource,
        id: u32,
        field: &'static str,
    },
    /// A record the filter did not ask for ([`only_asked`]).
    #[error("{resource} {id} was returned but not asked for (the id:in filter was not applied?)")]
    NotAsked { resource: Resource, id: u32 },
    #[error("{resource} {id} was returned twice")]
    Twice { resource: Resource, id: u32 },
    #[error(
        "page {page} has no meta.pagination, so nothing says whether it holds every {resource} that matched"
    )]
    NoPagination { page: u32, resource: Resource },
    #[error("nonsense pagination on page {page}: {figure} is {value}")]
    Negative {
        page: u32,
        figure: &'static str,
        value: i64,
    },
    #[error(
        "page {page}'s meta.pagination has no {figure}, so nothing says whether the listing is complete"
    )]
    NoFigure { page: u32, figure: &'static str },
    #[error("asked for page {page} but the response says it is page {current}")]
    OtherPage { page: u32, current: i64 },
    /// The figures contradict each other, the earlier pages or what was read ([`Walk`]).
    #[error(
        "contradictory pagination on page {page} ({figures}; {held} {resource}{} on the page): {why}",
        if *.held == 1 { "" } else { "s" }
    )]
    Contradictory {
        page: u32,
        figures: Figures,
        held: u64,
        resource: Resource,
        why: Contradiction,
    },
    /// The pages never end (more than a page number can count).
    #[error("too many pages")]
    TooManyPages,
}

fn body_kind(html: bool) -> &'static str {
    if html {
        "the body is HTML or XML, not JSON"
    } else {
        "the body is not the documented JSON {\"data\": [...], \"meta\": {...}}"
    }
}

/// How a page's pagination figures contradict the one rule of [`Walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Contradiction {
    #[error("count is {count} but the page holds {held}")]
    Count { count: u64, held: u64 },
    #[error("per_page must be 1 to {} (the limit asked for)", PAGE_LIMIT)]
    PerPage,
    #[error("{total} {resource}s in pages of {per_page} make {pages} page(s), not {total_pages}")]
    PageCount {
        resource: Resource,
        total: u64,
        per_page: u64,
        pages: u64,
        total_pages: u64,
    },
    #[error("page 1 said {0}")]
    FirstPage(Figures),
    #[error("the filter can match at most {most} {resource}s (pagination never ends)")]
    BeyondMost { resource: Resource, most: u64 },
    #[error("the page is past the last page")]
    PastLast,
    #[error("after {read} {resource}s on earlier pages this page must hold {expected}")]
    Held {
        resource: Resource,
        read: u64,
        expected: u64,
    },
    #[error("links.next points past the last page")]
    NextPastLast,
}

/// The records a filter accepts on a page (`Err`: the record does not belong to the filter).
pub(crate) type Accept<'a> = dyn Fn(&LiveCustomer) -> Result<(), PageError> + Sync + 'a;

/// The `id:in` filter's check: only the `asked` IDs of `resource` belong to the listing.
pub(crate) fn only_asked(
    resource: Resource,
    asked: &BTreeSet<u32>,
) -> impl Fn(&LiveCustomer) -> Result<(), PageError> + Sync + '_ {
    move |record: &LiveCustomer| {
        if asked.contains(&record.id) {
            Ok(())
        } else {
            Err(PageError::NotAsked {
                resource,
                id: record.id,
            })
        }
    }
}

/// What the pages of one listing have said so far: the one rule that makes a listing complete
/// (PRODUCT §14). A listing is complete only when its pages account for every record the API says
/// matched: on every page `total`, `count`, `per_page` and `total_pages` agree with each other
/// (`total_pages = ⌈total/per_page⌉`, 0 or 1 when `total` is 0; `count` = the records on the page =
/// `per_page` before the last page and the rest on it), with the earlier pages (the same `total`,
/// `per_page`, `total_pages`), and with what was read (pages followed to `total_pages`, so the counts
/// add up to `total`). Anything else is a contradiction: the listing is invalid, nothing of it is
/// believed, and no ID is called absent on its say-so.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// The figures of page 1, which every later page must repeat.
    first: Option<Figures>,
    /// Records read on the pages checked so far.
    read: u64,
}

impl Walk {
    /// Check page `page` (1-based) of a listing of `resource`, holding `held` records and stating
    /// `figures` (and a `next` link or not), of a filter that can match at most `most` records.
    /// `Ok(true)`: follow page `page + 1`; `Ok(false)`: the listing is complete. The error names the
    /// page and its figures.
    pub(crate) fn page(
        &mut self,
        page: u32,
        figures: Figures,
        next_link: bool,
        held: u64,
        most: usize,
        resource: Resource,
    ) -> Result<bool, PageError> {
        let page64 = u64::from(page);
        let why = self.contradiction(page64, figures, next_link, held, most as u64, resource);
        if let Some(why) = why {
            return Err(PageError::Contradictory {
                page,
                figures,
                held,
                resource,
                why,
            });
        }
        self.first.get_or_insert(figures);
        self.read += held;
        Ok(page64 < figures.total_pages)
    }

    fn contradiction(
        &self,
        page: u64,
        f: Figures,
        next_link: bool,
        held: u64,
        most: u64,
        resource: Resource,
    ) -> Option<Contradiction> {
        if f.count != held {
            return Some(Contradiction::Count {
                count: f.count,
                held,
            });
        }
        if f.per_page == 0 || f.per_page > PAGE_LIMIT as u64 {
            return Some(Contradiction::PerPage);
        }
        let pages = f.total.div_ceil(f.per_page);
        let pages_ok = f.total_pages == pages || (f.total == 0 && f.total_pages == 1);
        if !pages_ok {
            return Some(Contradiction::PageCount {
                resource,
                total: f.total,
                per_page: f.per_page,
                pages,
                total_pages: f.total_pages,
            });
        }
        if let Some(first) = self.first
            && (first.total, first.per_page, first.total_pages)
                != (f.total, f.per_page, f.total_pages)
        {
            return Some(Contradiction::FirstPage(first));
        }
        if f.total > most {
            return Some(Contradiction::BeyondMost { resource, most });
        }
        if page > f.total_pages.max(1) {
            return Some(Contradiction::PastLast);
        }
        let expected = f.total.saturating_sub(self.read).min(f.per_page);
        if held != expected || self.read != (page - 1) * f.per_page {
            return Some(Contradiction::Held {
                resource,
                read: self.read,
                expected,
            });
        }
        if next_link && page >= f.total_pages {
            return Some(Contradiction::NextPastLast);
        }
        None
    }
}

/// What one checked page holds.
#[derive(Debug)]
pub(crate) struct CheckedPage {
    /// The records (customers, or subscribers in the same shape).
    pub records: Vec<LiveCustomer>,
    /// There is a further page to read (the listing is not complete yet).
    pub more: bool,
}

/// Check page `page` of a customers request for `asked`, as the first page read of its listing. The
/// error says what is wrong, for the caller to name the request.
#[cfg(test)]
pub(crate) fn check_page(
    body: &[u8],
    page: u32,
    asked: &BTreeSet<CustomerId>,
    seen: &mut BTreeSet<CustomerId>,
) -> Result<CheckedPage, PageError> {
    check_records(
        body,
        page,
        Resource::Customer,
        seen,
        &only_asked(Resource::Customer, asked),
        &mut Walk::default(),
        asked.len(),
    )
}

/// Check page `page` (1-based) of a listing of `resource`: every record well-formed, accepted by
/// `accept` (the filter's own check), not in `seen` (the IDs of earlier pages, extended here), and
/// pagination that agrees with itself, with the earlier pages of the listing (`walk`) and with what
/// was read, for a filter that can match at most `most` records.
pub(crate) fn check_records(
    body: &[u8],
    page: u32,
    resource: Resource,
    seen: &mut BTreeSet<u32>,
    accept: &Accept<'_>,
    walk: &mut Walk,
    most: usize,
) -> Result<CheckedPage, PageError> {
    let parsed: Page = serde_json::from_slice(body).map_err(|e| PageError::NotJson {
        html: body.first().is_some_and(|b| *b == b'<'),
        detail: e.to_string(),
    })?;
    let mut customers = Vec::with_capacity(parsed.data.len());
    for (index, record) in parsed.data.into_iter().enumerate() {
        let customer = record_from(record, index, resource)?;
        accept(&customer)?;
        if !seen.insert(customer.id) {
            return Err(PageError::Twice {
                resource,
                id: customer.id,
            });
        }
        customers.push(customer);
    }
    let Some(p) = parsed.meta.and_then(|m| m.pagination) else {
        return Err(PageError::NoPagination { page, resource });
    };
    let fields = [
        ("total", p.total),
        ("count", p.count),
        ("per_page", p.per_page),
        ("current_page", p.current_page),
        ("total_pages", p.total_pages),
    ];
    if let Some(&(figure, value)) = fields.iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
        return Err(PageError::Negative {
            page,
            figure,
            value: value.unwrap_or_default(),
        });
    }
    let figure = |figure: &'static str, value: Option<i64>| {
        value
            .and_then(|v| u64::try_from(v).ok())
            .ok_or(PageError::NoFigure { page, figure })
    };
    let figures = Figures {
        total: figure("total", p.total)?,
        count: figure("count", p.count)?,
        per_page: figure("per_page", p.per_page)?,
        total_pages: figure("total_pages", p.total_pages)?,
    };
    if let Some(current) = p.current_page.filter(|c| *c != i64::from(page)) {
        return Err(PageError::OtherPage { page, current });
    }
    let next_link = p.links.and_then(|l| l.next).is_some_and(|next| match next {
        serde_json::Value::String(s) => !s.trim().is_empty(),
        serde_json::Value::Null => false,
        _ => true,
    });
    let more = walk.page(
        page,
        figures,
        next_link,
        customers.len() as u64,
        most,
        resource,
    )?;
    Ok(CheckedPage {
        records: customers,
        more,
    })
}

fn record_from(
    record: serde_json::Value,
    index: usize,
    resource: Resource,
) -> Result<LiveCustomer, PageError> {
    let object = record.as_object().ok_or(PageError::NotAnObject { index })?;
    let id = object.get("id").ok_or(PageError::NoId { index })?;
    let id = id
        .as_u64()
        .and_then(|v| CustomerId::try_from(v).ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| PageError::BadId {
            index,
            resource,
            shown: sanitize(&id.to_string()),
        })?;
    let text = |field: &'static str, required: bool| match object.get(field) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        None | Some(serde_json::Value::Null) if !required => Ok(String::new()),
        None | Some(serde_json::Value::Null) => Err(PageError::MissingField {
            resource,
            id,
            field,
        }),
        Some(_) => Err(PageError::NotAString {
            resource,
            id,
            field,
        }),
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
    use proptest::prelude::*;
    use serde_json::json;

    fn asked(ids: &[u32]) -> BTreeSet<u32> {
        ids.iter().copied().collect()
    }

    fn customer(id: u32) -> serde_json::Value {
        json!({"id": id, "email": format!("c{id}@example.com"), "first_name": "Ann", "last_name": "Lee",
               "date_modified": "2026-01-02T03:04:05Z", "notes": ""})
    }

    /// An honest `meta` for page `page` holding `count` of `total` records in pages of `per_page`.
    fn meta(total: u64, count: u64, per_page: u64, page: u64) -> serde_json::Value {
        json!({"pagination": {"total": total, "count": count, "per_page": per_page,
               "current_page": page, "total_pages": total.div_ceil(per_page)}})
    }

    fn check(body: serde_json::Value, page: u32, ids: &[u32]) -> Result<CheckedPage, PageError> {
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
    fn more_pages_are_announced_by_total_pages() {
        let body = json!({"data": [customer(1)], "meta": meta(2, 1, 1, 1)});
        assert!(check(body, 1, &[1, 2]).expect("valid").more);
        let body = json!({"data": [], "meta": meta(0, 0, 250, 1)});
        assert!(!check(body, 1, &[1, 2]).expect("valid").more);
        let body = json!({"data": [], "meta": {"pagination": {"total": 0, "count": 0,
            "per_page": 250, "total_pages": 1}}});
        assert!(
            !check(body, 1, &[1, 2])
                .expect("total_pages 1 of nothing")
                .more
        );
    }

    /// The page: `total: 3, count: 2, per_page: 2, total_pages: 1` — and its relatives.
    #[test]
    fn pagination_that_contradicts_itself_is_an_invalid_listing() {
        let two = json!([customer(1), customer(2)]);
        let cases = [
            (
                json!({"total": 3, "count": 2, "per_page": 2, "total_pages": 1}),
                "make 2 page(s), not 1",
            ),
            (
                json!({"total": 3, "count": 2, "per_page": 250, "total_pages": 1}),
                "must hold 3",
            ),
            (
                json!({"total": 2, "count": 3, "per_page": 250, "total_pages": 1}),
                "count is 3",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 0, "total_pages": 1}),
                "per_page must be",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 251, "total_pages": 1}),
                "per_page must be",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 1, "total_pages": 2}),
                "must hold 1",
            ),
            (
                json!({"total": 1, "count": 2, "per_page": 250, "total_pages": 1}),
                "must hold 1",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 250, "total_pages": 0}),
                "not 0",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 250, "total_pages": 2}),
                "not 2",
            ),
            (
                json!({"total": 9, "count": 2, "per_page": 2, "total_pages": 5}),
                "at most 3",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 250, "total_pages": 1,
                    "links": {"next": "?page=2"}}),
                "links.next",
            ),
            (
                json!({"count": 2, "per_page": 250, "total_pages": 1}),
                "has no total",
            ),
            (
                json!({"total": 2, "per_page": 250, "total_pages": 1}),
                "has no count",
            ),
            (
                json!({"total": 2, "count": 2, "total_pages": 1}),
                "has no per_page",
            ),
            (
                json!({"total": 2, "count": 2, "per_page": 250}),
                "has no total_pages",
            ),
        ];
        for (pagination, expected) in cases {
            let body = json!({"data": two, "meta": {"pagination": pagination}});
            let err = check(body.clone(), 1, &[1, 2, 3])
                .expect_err(&body.to_string())
                .to_string();
            assert!(err.contains(expected), "{body}: {err}");
            assert!(
                err.contains("on page 1") || err.contains("page 1's"),
                "{err}"
            );
        }
        let err = check(json!({"data": two}), 1, &[1, 2])
            .expect_err("no meta")
            .to_string();
        assert!(err.contains("no meta.pagination"), "{err}");
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
                json!({"data": [customer(1)], "meta": {"pagination": {"total": -1}}}),
                "total is -1",
            ),
            (
                json!({"data": [customer(1)], "meta": meta(1, 1, 250, 1)}),
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
            let err = check(body.clone(), page, &[1, 2])
                .expect_err(&body.to_string())
                .to_string();
            assert!(err.contains(expected), "{body}: {err}");
        }
        let err = check_page(
            b"<html><body>Bad gateway</body></html>",
            1,
            &asked(&[1]),
            &mut BTreeSet::new(),
        )
        .expect_err("html")
        .to_string();
        assert!(err.contains("HTML"), "{err}");
        let err = check_page(b"{\"data\": [", 1, &asked(&[1]), &mut BTreeSet::new())
            .expect_err("cut")
            .to_string();
        assert!(err.contains("EOF"), "{err}");
    }

    /// The typed errors read word for word as the messages users and logs have always seen.
    #[test]
    fn page_errors_read_as_before() {
        let two = json!([customer(1), customer(2)]);
        let body = json!({"data": two, "meta": {"pagination":
            {"total": 3, "count": 2, "per_page": 2, "total_pages": 1}}});
        assert_eq!(
            check(body, 1, &[1, 2, 3])
                .expect_err("contradiction")
                .to_string(),
            "contradictory pagination on page 1 (total 3, count 2, per_page 2, total_pages 1; \
             2 customers on the page): 3 customers in pages of 2 make 2 page(s), not 1"
        );
        let body = json!({"data": [customer(9)]});
        assert_eq!(
            check(body, 1, &[1]).expect_err("not asked").to_string(),
            "customer 9 was returned but not asked for (the id:in filter was not applied?)"
        );
        let body = json!({"data": [customer(1)]});
        assert_eq!(
            check(body, 3, &[1]).expect_err("no meta").to_string(),
            "page 3 has no meta.pagination, so nothing says whether it holds every customer that \
             matched"
        );
        let body = json!({"data": [customer(1)], "meta": {"pagination": {"total": 1}}});
        assert_eq!(
            check(body, 1, &[1]).expect_err("no count").to_string(),
            "page 1's meta.pagination has no count, so nothing says whether the listing is complete"
        );
        let body = json!({"data": [{"id": "x"}]});
        assert_eq!(
            check(body, 1, &[1]).expect_err("bad id").to_string(),
            "data[0] has id \"x\", not a customer ID"
        );
        let mut walk = Walk::default();
        let figures = Figures {
            total: 1,
            count: 1,
            per_page: 250,
            total_pages: 1,
        };
        let err = walk
            .page(1, figures, true, 1, 5, Resource::Subscriber)
            .expect_err("next past the last page");
        assert_eq!(
            err.to_string(),
            "contradictory pagination on page 1 (total 1, count 1, per_page 250, total_pages 1; \
             1 subscriber on the page): links.next points past the last page"
        );
    }

    #[test]
    fn a_duplicate_across_pages_is_rejected() {
        let mut seen = BTreeSet::from([1]);
        let body = json!({"data": [customer(1)]}).to_string();
        let err = check_page(body.as_bytes(), 2, &asked(&[1, 2]), &mut seen)
            .expect_err("duplicate")
            .to_string();
        assert!(err.contains("twice"), "{err}");
    }

    /// One stated page: the records it holds and the figures it states (any, true or not).
    #[derive(Debug, Clone)]
    struct Stated {
        ids: Vec<u32>,
        total: i64,
        count: i64,
        per_page: i64,
        total_pages: i64,
        current_page: Option<i64>,
        next: bool,
    }

    /// Read a listing as `Client::list_pages` does, page after page, from `pages` (a page past the
    /// end is empty with the last page's figures): the IDs read, or the error.
    fn read(pages: &[Stated], asked: &BTreeSet<u32>) -> Result<BTreeSet<u32>, PageError> {
        let accept = only_asked(Resource::Customer, asked);
        let (mut seen, mut walk, mut found) = (BTreeSet::new(), Walk::default(), BTreeSet::new());
        for page in 1..=u32::try_from(pages.len()).expect("few") + 1 {
            let stated = pages.get(page as usize - 1).cloned().unwrap_or(Stated {
                ids: Vec::new(),
                ..pages.last().cloned().expect("a page")
            });
            let mut pagination = json!({"total": stated.total, "count": stated.count,
                "per_page": stated.per_page, "total_pages": stated.total_pages});
            if let Some(current) = stated.current_page {
                pagination["current_page"] = json!(current);
            }
            if stated.next {
                pagination["links"] = json!({"next": format!("?page={}", page + 1)});
            }
            let data: Vec<_> = stated.ids.iter().map(|id| customer(*id)).collect();
            let body = json!({"data": data, "meta": {"pagination": pagination}}).to_string();
            let checked = check_records(
                body.as_bytes(),
                page,
                Resource::Customer,
                &mut seen,
                &accept,
                &mut walk,
                asked.len(),
            )?;
            found.extend(checked.records.iter().map(|r| r.id));
            if !checked.more {
                return Ok(found);
            }
        }
        // The walk asked for a page past every page there is.
        Err(PageError::TooManyPages)
    }

    /// The pages an honest store serves for `matching` in pages of `per_page`.
    fn honest(matching: &[u32], per_page: usize) -> Vec<Stated> {
        let total = matching.len();
        let pages = total.div_ceil(per_page).max(1);
        (0..pages)
            .map(|index| {
                let ids: Vec<u32> = matching
                    .iter()
                    .skip(index * per_page)
                    .take(per_page)
                    .copied()
                    .collect();
                Stated {
                    count: ids.len() as i64,
                    ids,
                    total: total as i64,
                    per_page: per_page as i64,
                    total_pages: total.div_ceil(per_page) as i64,
                    current_page: Some(index as i64 + 1),
                    next: index + 1 < total.div_ceil(per_page),
                }
            })
            .collect()
    }

    /// Whether `pages` are what an honest store serves for `matching` in pages of the size they state
    /// (a changed figure can land on another truthful reading: a single page stating another size,
    /// an empty listing stating `total_pages: 1`); a `next` link may be left out, as the API does.
    fn truthful(pages: &[Stated], matching: &[u32]) -> bool {
        let Ok(per_page) = usize::try_from(pages[0].per_page) else {
            return false;
        };
        if !(1..=PAGE_LIMIT).contains(&per_page) {
            return false;
        }
        let honest = honest(matching, per_page);
        honest.len() == pages.len()
            && honest.iter().zip(pages).all(|(h, p)| {
                let pages_ok =
                    p.total_pages == h.total_pages || (h.total == 0 && p.total_pages == 1);
                h.ids == p.ids
                    && (h.total, h.count, h.per_page, h.current_page)
                        == (p.total, p.count, p.per_page, p.current_page)
                    && pages_ok
                    && (!p.next || h.next)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// An honest store's listing is accepted and yields exactly what matched, whatever its page
        /// size; the same listing with any one figure of any page changed, or a record removed or
        /// added, is refused — never read as a listing that lacks an ID that exists.
        #[test]
        fn a_listing_is_accepted_only_when_its_pagination_agrees(
            asked_n in 1u32..40,
            keep in proptest::collection::vec(any::<bool>(), 40),
            per_page in 1usize..12,
            target in any::<proptest::sample::Index>(),
            field in 0usize..7,
            delta in prop_oneof![Just(-1i64), Just(1i64), -300i64..300],
        ) {
            let asked: BTreeSet<u32> = (1..=asked_n).collect();
            let matching: Vec<u32> = asked.iter().copied().filter(|id| keep[*id as usize - 1]).collect();
            let pages = honest(&matching, per_page);
            prop_assert_eq!(read(&pages, &asked), Ok(matching.iter().copied().collect()));

            let mut lying = pages.clone();
            let at = target.index(lying.len());
            let page = &mut lying[at];
            let changed = |v: i64| if v + delta == v { v + 1 } else { v + delta };
            match field {
                0 => page.total = changed(page.total),
                1 => page.count = changed(page.count),
                2 => page.per_page = changed(page.per_page),
                3 => page.total_pages = changed(page.total_pages),
                4 => page.current_page = Some(changed(page.current_page.unwrap_or(1))),
                5 => {
                    // A record dropped from the page, the figures left as they were.
                    if page.ids.pop().is_none() {
                        page.ids.push(asked_n + 1);
                    }
                }
                _ => page.next = !page.next,
            }
            let harmless = truthful(&lying, &matching);
            let result = read(&lying, &asked);
            if harmless {
                prop_assert_eq!(result, Ok(matching.iter().copied().collect()));
            } else {
                prop_assert!(result.is_err(), "accepted {:?}", lying);
            }
        }

        /// Whatever figures and records the pages state, an accepted listing read every record the
        /// API says matched: the IDs read are exactly `total` and come from pages that account for
        /// them (so no ID is called absent while the API says more matched than was read).
        #[test]
        fn an_accepted_listing_holds_as_many_records_as_its_total_says(
            pages in proptest::collection::vec(
                (proptest::collection::vec(1u32..30, 0..6), 0i64..12, 0i64..7, 0i64..7, 0i64..5,
                 proptest::option::of(0i64..5), any::<bool>()),
                1..4),
        ) {
            let asked: BTreeSet<u32> = (1..30).collect();
            let pages: Vec<Stated> = pages
                .into_iter()
                .map(|(mut ids, total, count, per_page, total_pages, current_page, next)| {
                    ids.sort_unstable();
                    ids.dedup();
                    Stated { ids, total, count, per_page, total_pages, current_page, next }
                })
                .collect();
            if let Ok(found) = read(&pages, &asked) {
                prop_assert_eq!(found.len() as i64, pages[0].total);
            }
        }
    }
}
