//! Small text helpers several modules need, written once: singular or plural, lowercase hex, and making
//! untrusted text (server messages, manifest reasons) safe to show on one terminal line.

/// `one` when `n` is one, else `many`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Lowercase hex of `bytes` (sha2 0.11 digests do not format with `{:x}`).
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Make untrusted text one inert line: control characters (terminal escape sequences, newlines) become
/// `?`, and past `max` characters (when given) the text is cut and ends with `…`.
pub fn sanitize(text: &str, max: Option<usize>) -> String {
    let limit = max.unwrap_or(usize::MAX);
    let mut out: String = text
        .chars()
        .take(limit)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if max.is_some() && text.chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
    }

    #[test]
    fn sanitize_neutralises_controls_and_cuts_only_when_asked() {
        assert_eq!(sanitize("a\x1b[31mb\nc", None), "a?[31mb?c");
        assert_eq!(sanitize("abcdef", Some(3)), "abc…");
        assert_eq!(sanitize("abc", Some(3)), "abc");
    }

    #[test]
    fn plural_picks_by_count() {
        assert_eq!(plural(1, "entry", "entries"), "entry");
        assert_eq!(plural(0, "entry", "entries"), "entries");
    }
}
