//! What became of one DELETE, in the terms `apply` decides on ([`DeleteError`], defined on the domain
//! floor in `store`): split, bisect, stop, try the next batch, or re-list because the store may have acted.
//!
//! HTTP stays in `api`: [`DeleteError::from_api`] is the one place that reads statuses (413/414, 422 and
//! its `errors` keys, other 4xx) and retry outcomes (429 or a refused connection: provably not carried
//! out; a 5xx, a timeout or a dropped connection: perhaps carried out, whatever a retry then got, even
//! a refusal). Every delete endpoint (the bulk
//! customers DELETE, and the per-ID subscriber DELETE to come) goes through it, so apply's bookkeeping
//! never depends on which request was sent.

use super::ApiError;
use crate::store::DeleteError;

/// The start of the message the client gives a transport error before any byte was sent.
const CONNECT_FAILED: &str = "could not connect";

impl DeleteError {
    /// Classify an API error from a DELETE. Conservative where it cannot know: anything that may have
    /// reached the store and not been answered with a clear refusal is [`DeleteError::Unknown`].
    pub fn from_api(error: ApiError) -> DeleteError {
        let message = error.to_string();
        match error {
            ApiError::Status {
                status: 413 | 414, ..
            } => DeleteError::TooLarge { message },
            ApiError::Status {
                status: 422,
                errors,
                ..
            } => DeleteError::Rejected {
                ids: errors
                    .into_iter()
                    .filter_map(|(key, text)| {
                        Some((key.trim().parse::<u32>().ok()?, format!("HTTP 422: {text}")))
                    })
                    .collect(),
                message,
            },
            ApiError::Status { status, .. } => DeleteError::Refused {
                status: Some(status),
                message,
            },
            ApiError::MissingToken
            | ApiError::InvalidToken
            | ApiError::Config(_)
            | ApiError::EmptyDelete => DeleteError::Refused {
                status: None,
                message,
            },
            // An earlier attempt may have been carried out: a later 429 or refused connection proves
            // only that the later attempt was not.
            ApiError::RetriesExhausted {
                may_have_acted: true,
                ..
            } => DeleteError::Unknown { message },
            ApiError::RetriesExhausted {
                last_status: Some(429),
                ..
            } => DeleteError::NotDone { message },
            ApiError::RetriesExhausted {
                last_status: None,
                ref last,
                ..
            } if last.starts_with(CONNECT_FAILED) => DeleteError::NotDone { message },
            ApiError::RetriesExhausted { .. }
            | ApiError::InvalidResponse { .. }
            | ApiError::RefusedAfterUnknown { .. } => DeleteError::Unknown { message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, errors: &[(&str, &str)]) -> ApiError {
        ApiError::Status {
            request: "DELETE /stores/s/v3/customers?id:in=1,2".into(),
            status,
            title: Some("Bulk operation has failed".into()),
            errors: errors
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn exhausted(last_status: Option<u16>, last: &str) -> ApiError {
        ApiError::RetriesExhausted {
            request: "DELETE /stores/s/v3/customers?id:in=1".into(),
            attempts: 3,
            last_status,
            last: last.into(),
            may_have_acted: false,
        }
    }

    #[test]
    fn statuses_become_what_apply_does() {
        for code in [413, 414] {
            assert!(matches!(
                DeleteError::from_api(status(code, &[])),
                DeleteError::TooLarge { .. }
            ));
        }
        match DeleteError::from_api(status(422, &[("3", "Unauthorized"), ("id:in", "bad")])) {
            DeleteError::Rejected { ids, message } => {
                assert_eq!(
                    ids,
                    std::collections::BTreeMap::from([(3, "HTTP 422: Unauthorized".to_string())])
                );
                assert!(message.contains("422"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        for code in [301, 400, 401, 403, 404] {
            assert!(
                matches!(
                    DeleteError::from_api(status(code, &[])),
                    DeleteError::Refused { status: Some(c), .. } if c == code
                ),
                "{code}"
            );
        }
        assert!(matches!(
            DeleteError::from_api(ApiError::EmptyDelete),
            DeleteError::Refused { status: None, .. }
        ));
    }

    #[test]
    fn only_what_cannot_have_reached_the_store_is_not_done() {
        let not_done = [
            exhausted(Some(429), "HTTP 429 Too Many Requests"),
            exhausted(None, "could not connect: connection refused"),
        ];
        for error in not_done {
            let what = DeleteError::from_api(error);
            assert!(matches!(what, DeleteError::NotDone { .. }), "{what:?}");
            assert!(!what.may_have_deleted());
        }
        let unknown = [
            exhausted(Some(500), "HTTP 500"),
            exhausted(Some(503), "HTTP 503"),
            exhausted(None, "no complete response within 30s (timeout)"),
            exhausted(
                None,
                "the request failed: connection closed before message completed",
            ),
            exhausted(Some(200), "HTTP 200 but the body was cut off: …"),
            ApiError::RefusedAfterUnknown {
                attempts: 2,
                then: Box::new(status(422, &[("1", "not found")])),
            },
            ApiError::RefusedAfterUnknown {
                attempts: 2,
                then: Box::new(status(403, &[])),
            },
        ];
        for error in unknown {
            let what = DeleteError::from_api(error);
            assert!(matches!(what, DeleteError::Unknown { .. }), "{what:?}");
            assert!(what.may_have_deleted());
        }
    }

    /// The one coupling to the client's wording: a refused connection really reads "could not connect".
    #[tokio::test]
    async fn a_refused_connection_is_not_done() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let config = super::super::ClientConfig {
            retry: super::super::RetryPolicy::parse("max_attempts=2,base_ms=1,cap_ms=2")
                .expect("policy"),
            ..super::super::ClientConfig::new(
                format!("http://127.0.0.1:{port}"),
                "s",
                // A realistic token: the client scrubs the token from every message, so a one-letter
                // token would scrub this test's evidence away.
                super::super::Token::new("k7vq2xw9refusedconnectiontoken31".to_string()),
            )
        };
        let client = super::super::Client::new(config).expect("client");
        let error = tokio::time::timeout(std::time::Duration::from_secs(20), client.delete(&[1]))
            .await
            .expect("bounded")
            .expect_err("nothing listens");
        let what = DeleteError::from_api(error);
        assert!(matches!(what, DeleteError::NotDone { .. }), "{what:?}");
    }
}
