//! What a `request` may be (PRODUCT.md §16): the reference of the erasure request an entry belongs to,
//! such as `DSR-2026-0043`, which groups a person's records in the report and names a receipt.
//!
//! 1 to 64 characters of `[A-Za-z0-9._:-]`, so it reads the same everywhere (a file name, a CSV cell, a
//! markdown heading) and can never be an email address: a manifest lives in git history, which cannot
//! be erased (§1). One rule for the manifest and `import --request`.

use std::fmt;

/// The longest request reference.
pub const MAX_LEN: usize = 64;

/// A request's reference, checked ([`parse`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(Box<str>);

impl RequestId {
    /// The reference as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a `request` value is refused; the message says what to write instead. It never repeats the
/// value (it may hold an address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Empty or null.
    #[error(
        "`request` is empty: write the request's reference (e.g. `DSR-2026-0043`), or remove the key"
    )]
    Empty,
    /// A plain scalar YAML reads as a boolean or a number (`what`).
    #[error(
        "`request: {text}` is {what} to YAML, not text: quote it (`request: \"{text}\"`) or write the \
         full reference (e.g. `DSR-{text}`)"
    )]
    NotText {
        /// The value.
        text: String,
        /// `a boolean` or `a number`.
        what: &'static str,
    },
    /// Shaped like an email address.
    #[error(
        "`request` contains an email address: a manifest lives in git history, which cannot be \
         erased, so the address would outlive the erasure; write the request's reference instead \
         (e.g. `DSR-2026-0043`)"
    )]
    Email,
    /// Longer than 64 characters.
    #[error("`request` is {0} characters long: a request's reference has at most 64")]
    TooLong(usize),
    /// A character outside `[A-Za-z0-9._:-]`.
    #[error(
        "`request` contains {0}: a request's reference is letters, digits, `.`, `_`, `:` and `-` \
         only (e.g. `DSR-2026-0043`)"
    )]
    Character(Shown),
}

/// A refused character, shown so that it cannot disturb the line it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(pub char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if c.is_ascii_graphic() && c != '`' {
            write!(f, "`{c}`")
        } else if c == ' ' {
            f.write_str("a space")
        } else {
            write!(f, "the character U+{:04X}", u32::from(c))
        }
    }
}

/// Whether `c` may stand in a request's reference.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')
}

/// Check a `request` value written in YAML with `style`: a plain `~`, `null`, boolean or number is not
/// text to YAML (nor to an editor checking the schema), so it must be quoted; then [`parse`].
pub(super) fn parse_yaml(
    text: &str,
    style: yaml_rust2::scanner::TScalarStyle,
) -> Result<RequestId, RequestError> {
    if style == yaml_rust2::scanner::TScalarStyle::Plain {
        if matches!(text, "~" | "null" | "Null" | "NULL") {
            return Err(RequestError::Empty);
        }
        let what = if super::reason::is_bool_word(text) {
            Some("a boolean")
        } else if super::number::looks_like_number(text) {
            Some("a number")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(RequestError::NotText {
                text: text.to_string(),
                what,
            });
        }
    }
    parse(text)
}

/// Check a request's reference: `[A-Za-z0-9._:-]{1,64}`, never an address.
pub fn parse(text: &str) -> Result<RequestId, RequestError> {
    if text.is_empty() {
        return Err(RequestError::Empty);
    }
    if let Some(c) = text.chars().find(|&c| !allowed(c)) {
        // An address is named as such, whatever else is wrong with it.
        if super::reason::contains_email(text) {
            return Err(RequestError::Email);
        }
        return Err(RequestError::Character(Shown(c)));
    }
    let len = text.chars().count();
    if len > MAX_LEN {
        return Err(RequestError::TooLong(len));
    }
    Ok(RequestId(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn references_of_the_pattern_are_accepted_and_nothing_else() {
        for ok in ["DSR-2026-0043", "a", "x.y_z:1-2", &"9".repeat(64)] {
            assert_eq!(parse(ok).map(|r| r.to_string()).as_deref(), Ok(ok));
        }
        assert_eq!(parse(""), Err(RequestError::Empty));
        assert_eq!(parse(&"a".repeat(65)), Err(RequestError::TooLong(65)));
        assert_eq!(parse("jane@example.com"), Err(RequestError::Email));
        assert_eq!(parse("jane%40example.com"), Err(RequestError::Email));
        assert_eq!(parse("DSR 1"), Err(RequestError::Character(Shown(' '))));
        assert_eq!(
            parse("DSR/1").unwrap_err().to_string(),
            "`request` contains `/`: a request's reference is letters, digits, `.`, `_`, `:` and `-` \
             only (e.g. `DSR-2026-0043`)"
        );
        assert!(parse("é").unwrap_err().to_string().contains("U+00E9"));
    }

    proptest! {
        #[test]
        fn a_reference_is_accepted_exactly_when_it_matches_the_pattern(text in "\\PC{0,70}|[A-Za-z0-9._:@-]{0,70}") {
            let matches = (1..=64).contains(&text.chars().count()) && text.chars().all(allowed);
            prop_assert_eq!(parse(&text).is_ok(), matches);
        }
    }
}
