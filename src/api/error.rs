//! The errors of the API client, each saying what failed, where (method, path and query, HTTP status,
//! the API's `title`) and what to do next.
//!
//! The token is never part of any of them: it travels only in a header, and errors carry the request
//! line (method, path, query) and the response status, never headers. The client builds every error
//! that carries server text through the constructors below ([`ApiError::status_error`],
//! [`ApiError::invalid`], [`ApiError::exhausted`], [`ApiError::from_server`]), each of which passes
//! every string through a [`Scrubber`]: the token is removed even when the server quotes it back
//! (`scrub.rs`), terminal escape sequences are neutralised and megabytes of text are cut. A test reads
//! the client's sources and fails if any of them builds such a variant by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::scrub::Scrubber;

/// Everything that can go wrong talking to the Customers API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `BIGCOMMERCE_ACCESS_TOKEN` is unset or blank.
    #[error(
        "BIGCOMMERCE_ACCESS_TOKEN is not set or is empty: set it to the access token of a store API \
         account with the Customers scope (modify scope to apply)"
    )]
    MissingToken,

    /// The token holds characters that cannot be sent in an HTTP header.
    #[error(
        "BIGCOMMERCE_ACCESS_TOKEN holds characters that cannot be sent in an HTTP header \
         (a newline or non-ASCII character?): check how it was set"
    )]
    InvalidToken,

    /// The API URL, store hash or another client setting is unusable.
    #[error("invalid API client configuration: {0}")]
    Config(String),

    /// `delete` was called with no IDs. Refused without sending anything: the API answers a DELETE
    /// without `id:in` with a 204 no-op, which would hide the bug that produced the empty list.
    #[error(
        "refusing to send DELETE /v3/customers without any customer ID: the API would answer 204 and \
         do nothing, hiding a bug in bcprune; please report it"
    )]
    EmptyDelete,

    /// The API answered with a status that is not retried (4xx other than 429, 3xx, or a 5xx
    /// outside 500/502/503/504). `title` and `errors` are the API's own words, sanitized.
    #[error("{request} returned HTTP {status}{}: {}", title_part(title, errors), status_hint(*status))]
    Status {
        /// Method, path and query of the request (IDs abbreviated), never a header.
        request: String,
        /// The HTTP status code.
        status: u16,
        /// The API's `title`, if the body was the documented JSON error shape.
        title: Option<String>,
        /// The API's `errors` map (for a bulk DELETE: customer ID → message).
        errors: BTreeMap<String, String>,
    },

    /// The API answered, but the answer cannot be trusted (not JSON, an HTML page, an ID not asked
    /// for, nonsense pagination, a body over the size cap). Not retried: the whole listing fails.
    #[error(
        "{request} returned an invalid response (HTTP {status}): {problem}. The response was not \
         used; check that --api-url points at the BigCommerce API (or a faithful proxy) and try again"
    )]
    InvalidResponse {
        /// Method, path and query of the request.
        request: String,
        /// The HTTP status code of the response.
        status: u16,
        /// What was wrong with it.
        problem: String,
    },

    /// Every attempt failed with a retryable problem (429, 500/502/503/504, timeout, connection).
    #[error(
        "{request} failed after {attempts} attempts; the last one: {last}. {}",
        exhausted_hint(last)
    )]
    RetriesExhausted {
        /// Method, path and query of the request.
        request: String,
        /// How many attempts were made.
        attempts: u32,
        /// The status of the last attempt, if it got a response.
        last_status: Option<u16>,
        /// What went wrong the last time.
        last: String,
        /// Whether an attempt was answered with a 5xx, timed out or lost its connection after being
        /// sent: the store may have carried the request out, whatever the last attempt got.
        may_have_acted: bool,
    },

    /// A DELETE whose earlier attempt may have been carried out (a 5xx, a timeout, a connection lost
    /// after sending) got `then` on a retry. `then` speaks only of the retry: whether the store deleted
    /// the records is unknown until they are listed again.
    #[error(
        "{then}; an earlier attempt of the same request got no clear answer and may have been carried \
         out (attempt {attempts} was the last)"
    )]
    RefusedAfterUnknown {
        /// How many attempts were made.
        attempts: u32,
        /// What the last attempt got.
        then: Box<ApiError>,
    },
}

impl ApiError {
    /// A non-retried status answer, with the API's `title` and `errors` scrubbed.
    pub(crate) fn status_error<'a>(
        scrub: &Scrubber,
        request: &str,
        status: u16,
        title: Option<&str>,
        errors: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> ApiError {
        ApiError::Status {
            request: scrub.text(request),
            status,
            title: title.map(|t| scrub.text(t)),
            errors: errors
                .into_iter()
                .map(|(key, message)| (scrub.text(key), scrub.text(message)))
                .collect(),
        }
    }

    /// An answer that cannot be trusted; `problem` may quote the body, so it is scrubbed.
    pub(crate) fn invalid(scrub: &Scrubber, request: &str, status: u16, problem: &str) -> ApiError {
        ApiError::InvalidResponse {
            request: scrub.text(request),
            status,
            problem: scrub.text(problem),
        }
    }

    /// Every attempt failed; `last` (which may quote the server) is scrubbed.
    pub(crate) fn exhausted(
        scrub: &Scrubber,
        request: &str,
        attempts: u32,
        last_status: Option<u16>,
        last: &str,
        may_have_acted: bool,
    ) -> ApiError {
        ApiError::RetriesExhausted {
            request: scrub.text(request),
            attempts,
            last_status,
            last: scrub.text(last),
            may_have_acted,
        }
    }

    /// Every attempt failed to connect: name the URL that could not be reached and where it came from
    /// (PRODUCT §17), after the server text was cut to length, so it is never cut off.
    pub(crate) fn reached_nothing(mut self, reach: &str) -> ApiError {
        if let ApiError::RetriesExhausted { last, .. } = &mut self {
            last.push_str("; nothing reached ");
            last.push_str(reach);
        }
        self
    }

    /// A configuration or transport problem whose words may come from the server or the network
    /// stack (a TLS alert, a redirect target), scrubbed.
    pub(crate) fn from_server(scrub: &Scrubber, text: &str) -> ApiError {
        ApiError::Config(scrub.text(text))
    }

    /// The same error with `f` applied to every text it holds (lookups mask the emails they asked
    /// for, in case the server quotes them). Exhaustive, so a new variant must say what it holds.
    pub(crate) fn map_text(self, f: impl Fn(&str) -> String) -> ApiError {
        match self {
            ApiError::MissingToken => ApiError::MissingToken,
            ApiError::InvalidToken => ApiError::InvalidToken,
            ApiError::EmptyDelete => ApiError::EmptyDelete,
            ApiError::Config(text) => ApiError::Config(f(&text)),
            ApiError::Status {
                request,
                status,
                title,
                errors,
            } => ApiError::Status {
                request: f(&request),
                status,
                title: title.map(|t| f(&t)),
                errors: errors.iter().map(|(k, v)| (f(k), f(v))).collect(),
            },
            ApiError::InvalidResponse {
                request,
                status,
                problem,
            } => ApiError::InvalidResponse {
                request: f(&request),
                status,
                problem: f(&problem),
            },
            ApiError::RetriesExhausted {
                request,
                attempts,
                last_status,
                last,
                may_have_acted,
            } => ApiError::RetriesExhausted {
                request: f(&request),
                attempts,
                last_status,
                last: f(&last),
                may_have_acted,
            },
            ApiError::RefusedAfterUnknown { attempts, then } => ApiError::RefusedAfterUnknown {
                attempts,
                then: Box::new(then.map_text(f)),
            },
        }
    }

    /// The HTTP status of the response behind this error, if there was one. `apply` splits a batch
    /// on 413/414 and bisects it on 422.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::InvalidResponse { status, .. } => {
                Some(*status)
            }
            ApiError::RetriesExhausted { last_status, .. } => *last_status,
            ApiError::RefusedAfterUnknown { then, .. } => then.status(),
            _ => None,
        }
    }

    /// The API's `errors` map (ID → message for a failed bulk DELETE), if this is a status error.
    pub fn api_errors(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            ApiError::Status { errors, .. } => Some(errors),
            _ => None,
        }
    }

    /// The API's `title`, if this is a status error whose body carried one.
    pub fn title(&self) -> Option<&str> {
        match self {
            ApiError::Status { title, .. } => title.as_deref(),
            _ => None,
        }
    }
}

fn title_part(title: &Option<String>, errors: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    if let Some(title) = title {
        let _ = write!(out, " \"{title}\"");
    }
    if !errors.is_empty() {
        out.push_str(" (");
        for (i, (key, message)) in errors.iter().enumerate() {
            if i == 5 {
                let _ = write!(out, "; and {} more", errors.len() - 5);
                break;
            }
            if i > 0 {
                out.push_str("; ");
            }
            let _ = write!(out, "{key}: {message}");
        }
        out.push(')');
    }
    out
}

/// What to do when every attempt failed: a connection that never opened is a wrong URL or a network
/// that cannot reach it far more often than an outage, so waiting is not the advice.
fn exhausted_hint(last: &str) -> &'static str {
    if last.starts_with("could not connect") {
        "Check the API URL (--api-url or BIGCOMMERCE_API_URL; the default is https://api.bigcommerce.com) \
         and that this machine can reach it"
    } else {
        "The API or the network is unavailable or the rate limit is exhausted: try again later"
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => "check BIGCOMMERCE_ACCESS_TOKEN (the store API account's access token)",
        403 => {
            "the token needs the Customers modify scope (store_v2_customers); a read-only token can \
             plan but not apply"
        }
        404 => "check the store hash and --api-url",
        // apply splits a DELETE the API finds too large by itself; a single ID too large is about the
        // record (apply says so), so no --batch-size advice here.
        413 | 414 => "the API found the request too large",
        422 => "the API rejected the request or some of its IDs",
        300..=399 => {
            "the server answered with a redirect, which bcprune does not follow (it would resend the \
             token elsewhere): check --api-url (https://api.bigcommerce.com)"
        }
        400..=499 => "this is not retried; see the API's message",
        _ => "the API failed; try again later",
    }
}

/// Make a string safe to show (control characters neutralised, cut to 300 characters) when no
/// token is involved (a store hash or URL the user typed). Server text goes through a [`Scrubber`].
pub(crate) fn sanitize(text: &str) -> String {
    Scrubber::default().text(text)
}
