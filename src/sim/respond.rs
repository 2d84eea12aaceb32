//! What both endpoint families answer with: the customers endpoints in [`super::handlers`] and the
//! subscribers endpoints in [`super::subscriber_api`]. The [`Replied`] a handler returns, BigCommerce's
//! error bodies (API-NOTES §6), and the behaviours both share: a listing's `limit` over 250, the hostile
//! modes of a listing, and what a DELETE answers once it has acted (the run-time faults).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::Resource;

use super::Shared;
use super::config::{Hostile, OverLimit};
use super::faults::FaultState;
use super::log::lock;
use super::params::MAX_LIMIT;

/// `type` of most error bodies.
pub(super) const TYPE_STATUS_CODES: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";
/// `type` of the observed 422 for an unknown filter.
const TYPE_FILTER: &str = "https://developer.bigcommerce.com/api#api-status-codes";

/// A response plus what the request log must know about it.
pub(super) struct Replied {
    pub(super) response: Response,
    pub(super) deleted: Vec<u32>,
    /// Add the four rate-limit headers (false only for header-less 429s).
    pub(super) rate_headers: bool,
    /// Send no answer: close the connection instead (the `drop_after_delete` fault).
    pub(super) drop_connection: bool,
}

impl From<Response> for Replied {
    fn from(response: Response) -> Self {
        Replied {
            response,
            deleted: Vec::new(),
            rate_headers: true,
            drop_connection: false,
        }
    }
}

pub(super) fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// What `limit` above 250 does ([`OverLimit`]): the refusal to send, or `None` with `limit` clamped.
pub(super) fn over_limit(shared: &Shared, limit: &mut u32) -> Option<Replied> {
    if *limit <= MAX_LIMIT {
        return None;
    }
    match shared.config.over_limit {
        OverLimit::Status413 => Some(
            error(
                413,
                "The specified limit exceeds the maximum allowed.",
                TYPE_STATUS_CODES,
                Some(json!({ "max_limit": MAX_LIMIT })),
            )
            .into(),
        ),
        OverLimit::Status422 => Some(
            error(
                422,
                "The specified limit exceeds the maximum allowed.",
                TYPE_STATUS_CODES,
                Some(json!({ "limit": format!("must be at most {MAX_LIMIT}") })),
            )
            .into(),
        ),
        OverLimit::Clamp => {
            *limit = MAX_LIMIT;
            None
        }
    }
}

/// The hostile mode switched on, if it applies to listings of `resource`.
pub(super) fn hostile_for(shared: &Shared, resource: Resource) -> Option<Hostile> {
    let faults = lock(&shared.faults.state);
    faults.hostile.filter(|_| faults.applies_to(resource))
}

/// The page size a listing serves: `limit`, or 2 in the hostile mode [`Hostile::ShortPages`].
pub(super) fn page_size(hostile: Option<Hostile>, limit: u32) -> u32 {
    if hostile == Some(Hostile::ShortPages) {
        limit.min(2)
    } else {
        limit
    }
}

/// The `meta.pagination` of a listing: the true figures of page `page` holding `count` of `total`
/// records in pages of `per_page` (with its links), or the lie a hostile mode tells instead.
pub(super) fn pagination(
    hostile: Option<Hostile>,
    total: usize,
    count: usize,
    per_page: u32,
    page: usize,
) -> Value {
    let limit = per_page as usize;
    let mut total_pages = total.div_ceil(limit);
    let (mut total, mut count) = (total, count);
    match hostile {
        Some(Hostile::EndlessPagination) => {
            total_pages = 1_000_000;
            total = total_pages * limit;
        }
        Some(Hostile::ZeroTotalPages) => total_pages = 0,
        Some(Hostile::ShortPages) => total_pages = total_pages.min(1),
        Some(Hostile::TotalBeyondRecords) => {
            total += 1;
            total_pages = total.div_ceil(limit);
        }
        Some(Hostile::CountBeyondPage) => count += 1,
        _ => {}
    }
    let mut links = serde_json::Map::new();
    if page > 1 {
        links.insert(
            "previous".into(),
            json!(format!("?page={}&limit={per_page}", page - 1)),
        );
    }
    links.insert(
        "current".into(),
        json!(format!("?page={page}&limit={per_page}")),
    );
    if page < total_pages || hostile == Some(Hostile::EndlessPagination) {
        links.insert(
            "next".into(),
            json!(format!("?page={}&limit={per_page}", page + 1)),
        );
    }
    json!({
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": Value::Object(links),
    })
}

pub(super) async fn hostile_response(shared: &Shared, mode: Hostile, body: &mut Value) -> Replied {
    const HTML: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\
                        <body><h1>502 Bad Gateway</h1><p>The server returned an invalid response.</p></body></html>\n";
    match mode {
        Hostile::BadJson => raw(
            200,
            "application/json",
            Body::from(r#"{"data":[{"id":1,"email":"#),
        ),
        Hostile::Html200 => raw(200, "text/html; charset=utf-8", Body::from(HTML)),
        Hostile::Html502 => raw(502, "text/html; charset=utf-8", Body::from(HTML)),
        Hostile::TruncatedBody => {
            let full = serde_json::to_vec(body).unwrap_or_default();
            let half = Bytes::from(full[..full.len() / 2].to_vec());
            // The pause lets the head and the first half reach the client before the cut.
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let half = half.clone();
                async move {
                    match step {
                        0 => Some((Ok(half), 1)),
                        1 => {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Some((Err(std::io::Error::other("sim: truncated body")), 2))
                        }
                        _ => None,
                    }
                }
            });
            raw(200, "application/json", Body::from_stream(stream))
        }
        Hostile::HugeBody(bytes) => {
            raw(200, "application/json", Body::from_stream(huge_body(bytes)))
        }
        Hostile::Hang => {
            let mut stop = shared.shutdown.clone();
            let _ = stop.wait_for(|s| *s).await;
            error(503, "Service Unavailable", TYPE_STATUS_CODES, None).into()
        }
        Hostile::StallBody => {
            let stop = shared.shutdown.clone();
            let stream = futures_util::stream::unfold((0u8, stop), |(step, mut stop)| async move {
                match step {
                    0 => Some((Ok(Bytes::from_static(b"{\"data\":[")), (1, stop))),
                    1 => {
                        let _ = stop.wait_for(|s| *s).await;
                        Some((Err(std::io::Error::other("sim: server stopped")), (2, stop)))
                    }
                    _ => None,
                }
            });
            raw(200, "application/json", Body::from_stream(stream))
        }
        Hostile::ExtraCustomer
        | Hostile::MissingId
        | Hostile::EndlessPagination
        | Hostile::ZeroTotalPages
        | Hostile::ShortPages
        | Hostile::TotalBeyondRecords
        | Hostile::CountBeyondPage => json_response(200, body),
    }
}

/// A valid JSON document of about `bytes` bytes, streamed in 64 KiB chunks so the sim never holds it.
fn huge_body(bytes: usize) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send {
    const CHUNK: usize = 64 * 1024;
    let head = Bytes::from_static(br#"{"data":[],"meta":{},"padding":""#);
    let tail = Bytes::from_static(b"\"}");
    let padding = bytes.saturating_sub(head.len() + tail.len());
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let full_chunks = padding / CHUNK;
    let rest = padding % CHUNK;
    let pieces = std::iter::once(head)
        .chain(std::iter::repeat_n(filler.clone(), full_chunks))
        .chain(std::iter::once(filler.slice(..rest)))
        .chain(std::iter::once(tail))
        .map(Ok);
    futures_util::stream::iter(pieces)
}

/// The run-time faults as they apply to a request on `resource` (all off when narrowed elsewhere).
pub(super) fn effective_faults(shared: &Shared, resource: Resource) -> FaultState {
    let faults = lock(&shared.faults.state);
    if faults.applies_to(resource) {
        faults.clone()
    } else {
        FaultState::default()
    }
}

/// A DELETE has removed `deleted`: arm `fail_gets_after_delete` and `hostile_after_delete`, then answer 204, or the
/// `fail_after_delete` status, or nothing at all (`drop_after_delete`).
pub(super) fn after_delete(shared: &Shared, faults: &FaultState, deleted: Vec<u32>) -> Replied {
    if !deleted.is_empty()
        && let Some(status) = faults.fail_gets_after_delete
    {
        lock(&shared.faults.state).fail_gets = Some(status);
    }
    if !deleted.is_empty()
        && let Some(mode) = faults.hostile_after_delete
    {
        let mut state = lock(&shared.faults.state);
        state.hostile = Some(mode);
        state.hostile_after_delete = None;
    }
    if faults.fail_after_delete.is_some()
        && let Some(then) = faults.then_fail_deletes
    {
        let mut state = lock(&shared.faults.state);
        state.fail_after_delete = None;
        state.then_fail_deletes = None;
        state.fail_deletes = Some(then);
    }
    let response = match faults.fail_after_delete {
        Some(status) => error(status, reason(status), TYPE_STATUS_CODES, None),
        None => empty(204),
    };
    Replied {
        response,
        deleted,
        rate_headers: true,
        drop_connection: faults.drop_after_delete,
    }
}

/// The observed 422 for unknown or invalid filter parameters.
pub(super) fn filter_error(names: &[String]) -> Response {
    error(
        422,
        &format!(
            "The filter(s): {} are not valid filter parameter(s).",
            names.join(", ")
        ),
        TYPE_FILTER,
        Some(json!({})),
    )
}

/// A JSON error body `{status,title,type[,errors]}`; an out-of-range status becomes 500.
pub(super) fn error(status: u16, title: &str, kind: &str, errors: Option<Value>) -> Response {
    let mut body = json!({ "status": status, "title": title, "type": kind });
    if let (Some(errors), Some(object)) = (errors, body.as_object_mut()) {
        object.insert("errors".into(), errors);
    }
    json_response(status, &body).response
}

pub(super) fn json_response(status: u16, body: &Value) -> Replied {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    raw(status, "application/json", Body::from(bytes))
}

pub(super) fn raw(status: u16, content_type: &'static str, body: Body) -> Replied {
    let mut response = empty(status);
    *response.body_mut() = body;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.into()
}

pub(super) fn empty(status: u16) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}
