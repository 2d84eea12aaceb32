//! The access token, kept out of every log line, error message and file.
//!
//! A newtype rather than a `String` so that `{:?}`, `{}` and serialization cannot leak it by accident:
//! it implements neither `Serialize` nor a revealing `Debug`/`Display`, and the only way to read the
//! value is [`Token::header_value`], which returns a header value marked *sensitive* (hyper and `http`
//! print sensitive header values as `Sensitive`).

use std::fmt;

use reqwest::header::HeaderValue;

use super::error::ApiError;
use super::scrub::Scrubber;

/// The environment variable the token is read from, and the only place bcprune takes it from
/// (never a flag: flags end up in shell history and CI logs).
pub const TOKEN_ENV: &str = "BIGCOMMERCE_ACCESS_TOKEN";

/// A BigCommerce API account access token. `Debug` and `Display` show `***`, never the value.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wrap a token given by the caller: the CLI's settings (which read `BIGCOMMERCE_ACCESS_TOKEN`), tests, the
    /// embedded demo store.
    pub fn new(value: String) -> Token {
        Token(value)
    }

    /// What removes this token from server text (`scrub.rs`).
    pub(crate) fn scrubber(&self) -> Scrubber {
        Scrubber::new(&self.0)
    }

    /// The `X-Auth-Token` header value, marked sensitive so that no `Debug` output of a request or
    /// header map ever shows it. Fails if the token holds characters a header cannot carry.
    pub(crate) fn header_value(&self) -> Result<HeaderValue, ApiError> {
        if self.0.trim().is_empty() {
            return Err(ApiError::MissingToken);
        }
        let mut value = HeaderValue::from_str(&self.0).map_err(|_| ApiError::InvalidToken)?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
