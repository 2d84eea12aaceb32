//! Keeping the access token out of every text that came from the server.
//!
//! bcprune sends the token only in the `X-Auth-Token` header, but a server (or a proxy, or a hostile
//! fake) may quote it back in an error's `title`, its `errors` map, or any body that ends up in a
//! message, and from there it would reach the terminal, a CI log and the audit log (issue 9.1). So
//! every server-provided string goes through [`Scrubber::text`] before it becomes part of an
//! [`ApiError`](super::ApiError) or a log line: the constructors in `error.rs` take a `Scrubber` and
//! are the only way the client builds an error that carries server text.
//!
//! What is removed, as a security reviewer would insist:
//! - the token itself, compared without regard to ASCII case (a server may upper-case it);
//! - the token with any of its bytes percent-encoded (`%74ok…`, upper or lower hex, `+` for a
//!   space), as a server echoing a URL or form value would write it;
//! - whatever follows `X-Auth-Token:`/`X-Auth-Token=` or `Bearer ` (a header echoed back), even when
//!   it is not exactly our token (a trimmed or altered copy is still a secret).
//!
//! Email addresses in server text are masked too (`j***@example.com`): an error quoting a customer
//! would otherwise put personal data into the terminal, a CI log and the audit log.
//!
//! Scrubbing happens before control characters are neutralised and before the text is cut to its
//! display length, so a token straddling the cut cannot leave a prefix behind. Not covered: a token
//! split across two fields, or encoded some other way (base64, JSON `\u` escapes inside a string
//! that is itself shown raw; bodies are parsed before use, so such escapes are decoded first).

use std::fmt;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "***";

/// The longest server-provided string kept in a message, in characters.
const MAX_CHARS: usize = 300;

/// Removes the token (in the forms above) from server text. Cheap to clone; `Debug` shows nothing.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    token: Vec<u8>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scrubber(***)")
    }
}

impl Scrubber {
    /// A scrubber for this token (blank: only the header forms are redacted).
    pub(crate) fn new(token: &str) -> Scrubber {
        Scrubber {
            token: token.trim().as_bytes().to_vec(),
        }
    }

    /// Make a server-provided string safe to show: the token removed, control characters (terminal
    /// escapes, newlines) replaced by `?`, cut to 300 characters.
    pub(crate) fn text(&self, text: &str) -> String {
        let scrubbed = mask_emails(&self.redact(text));
        let mut out: String = scrubbed
            .chars()
            .take(MAX_CHARS)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        if scrubbed.chars().nth(MAX_CHARS).is_some() {
            out.push('…');
        }
        out
    }

    /// The token and echoed auth headers removed; nothing else changed.
    fn redact(&self, text: &str) -> String {
        let hay = text.as_bytes();
        let mut out = Vec::with_capacity(hay.len());
        let mut i = 0;
        while i < hay.len() {
            if let Some(end) = self.token_at(hay, i) {
                out.extend_from_slice(REDACTED.as_bytes());
                i = end;
            } else if let Some((value_start, end)) = auth_value_at(hay, i) {
                out.extend_from_slice(&hay[i..value_start]);
                out.extend_from_slice(REDACTED.as_bytes());
                i = end;
            } else {
                out.push(hay[i]);
                i += 1;
            }
        }
        // Every cut is at an ASCII byte, so the result is still UTF-8; lossy only as a fallback.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Where a copy of the token starting at `i` ends, if one does.
    fn token_at(&self, hay: &[u8], start: usize) -> Option<usize> {
        if self.token.is_empty() {
            return None;
        }
        let mut i = start;
        for &want in &self.token {
            let got = *hay.get(i)?;
            if got.eq_ignore_ascii_case(&want) {
                i += 1;
            } else if got == b'%' && decode_hex(hay.get(i + 1..i + 3)?) == Some(want) {
                i += 3;
            } else if got == b'+' && want == b' ' {
                i += 1;
            } else {
                return None;
            }
        }
        Some(i)
    }
}

/// Every address-like token in `text` masked: [`crate::mask::addresses`], the one rule.
fn mask_emails(text: &str) -> String {
    crate::mask::addresses(text)
}

/// `X-Auth-Token: value`, `x-auth-token=value`, `"X-Auth-Token": "value"` or `Bearer value` at `i`:
/// where the value starts and ends. The value is a run of token characters.
fn auth_value_at(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    const HEADER: &[u8] = b"x-auth-token";
    const BEARER: &[u8] = b"bearer ";
    let rest = &hay[i..];
    let after = if starts_with_ci(rest, HEADER) {
        let mut j = i + HEADER.len();
        let mut separator = false;
        while let Some(&c) = hay.get(j) {
            match c {
                b':' | b'=' => separator = true,
                b' ' | b'"' | b'\'' | b'\t' => {}
                _ => break,
            }
            j += 1;
        }
        if !separator {
            return None;
        }
        j
    } else if starts_with_ci(rest, BEARER) {
        let mut j = i + BEARER.len();
        while hay.get(j) == Some(&b' ') {
            j += 1;
        }
        j
    } else {
        return None;
    };
    let end = after
        + hay[after..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || b"-._~+/=%".contains(c))
            .count();
    (end > after).then_some((after, end))
}

fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn decode_hex(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

#[cfg(test)]
mod unit {
    use super::*;

    const TOKEN: &str = "tok-SECRET-abc123";

    #[test]
    fn the_token_is_removed_in_every_form_a_server_may_echo() {
        let scrub = Scrubber::new(TOKEN);
        let forms = [
            format!("token {TOKEN} lacks scope"),
            format!("token {} lacks scope", TOKEN.to_uppercase()),
            format!("token {} lacks scope", TOKEN.to_lowercase()),
            "token %74%6F%6b-SECRET-abc123 lacks scope".to_owned(),
            "token tok%2DSECRET%2Dabc123 lacks scope".to_owned(),
            format!("{TOKEN}{TOKEN}"),
        ];
        for form in forms {
            let out = scrub.text(&form);
            assert!(!out.to_lowercase().contains("secret"), "{form} → {out}");
            assert!(out.contains(REDACTED), "{out}");
        }
        assert_eq!(
            scrub.text(&format!("denied for {TOKEN}.")),
            "denied for ***."
        );
    }

    #[test]
    fn echoed_auth_headers_lose_their_value_even_when_it_is_not_the_token() {
        let scrub = Scrubber::default();
        for (text, expected) in [
            ("X-Auth-Token: abc123def", "X-Auth-Token: ***"),
            ("x-auth-token=abc%20123 rest", "x-auth-token=*** rest"),
            (
                r#"{"X-Auth-Token": "abc123"}"#,
                r#"{"X-Auth-Token": "***"}"#,
            ),
            (
                "Authorization: Bearer eyJ.abc-def",
                "Authorization: Bearer ***",
            ),
            (
                "the x-auth-token header is missing",
                "the x-auth-token header is missing",
            ),
        ] {
            assert_eq!(scrub.text(text), expected);
        }
    }

    #[test]
    fn the_token_is_removed_before_the_text_is_cut() {
        let scrub = Scrubber::new(TOKEN);
        let text = format!("{}{TOKEN}", "x".repeat(290));
        let out = scrub.text(&text);
        assert!(!out.contains("tok-SEC"), "{out}");
        assert!(out.ends_with(REDACTED), "{out}");
    }

    #[test]
    fn emails_in_server_text_are_masked() {
        let scrub = Scrubber::new(TOKEN);
        assert_eq!(
            scrub.text("customer Jane.Doe+x@Example.com. cannot be deleted (see a@b, @c.d, x@y.z)"),
            "customer J***@Example.com. cannot be deleted (see a***@b, ***, x***@y.z)"
        );
        assert_eq!(scrub.text("züri@bücher.ch"), "z***@bücher.ch");
    }

    #[test]
    fn other_text_is_only_neutralised_and_cut() {
        let scrub = Scrubber::new(TOKEN);
        assert_eq!(scrub.text("a\u{1b}[31mb\nc é"), "a?[31mb?c é");
        assert_eq!(scrub.text(&"y".repeat(400)).chars().count(), MAX_CHARS + 1);
        assert_eq!(scrub.text("50% off tok"), "50% off tok");
        assert_eq!(format!("{scrub:?}"), "Scrubber(***)");
    }
}
