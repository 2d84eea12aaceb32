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

/// The Unicode bidirectional formatting characters ("Trojan Source": text that reads differently from
/// what it is): embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), the left-to-right
/// and right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C). The one definition: the
/// manifest, its reasons, `import` and everything shown on screen use it.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` must not reach a terminal or a comment as it is: a control character (escape sequences,
/// newlines), a bidirectional control ([`is_bidi_control`]), or a line or paragraph separator (U+2028/9).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Untrusted text made inert in a markdown paragraph or table cell (the pull-request comment, the
/// erasure report): markdown, HTML and table syntax escaped; `@` followed by a zero-width space (as
/// Renovate does) so a reason cannot mention anyone; unsafe characters ([`is_unsafe`]) as `?`.
pub fn markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => escaped.push_str("\\|"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '@' => escaped.push_str("@&#8203;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '~' | '#' | '!' | '$' => {
                escaped.push('\\');
                escaped.push(c);
            }
            c if is_unsafe(c) => escaped.push('?'),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Make untrusted text one inert line: control characters (terminal escape sequences, newlines) and
/// bidirectional controls ([`is_unsafe`]) become `?`, and past `max` characters (when given) the text is
/// cut and ends with `…`.
pub fn sanitize(text: &str, max: Option<usize>) -> String {
    let limit = max.unwrap_or(usize::MAX);
    let mut out: String = text
        .chars()
        .take(limit)
        .map(|c| if is_unsafe(c) { '?' } else { c })
        .collect();
    if max.is_some() && text.chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}

/// A table as a terminal shows it: each line without the padding tabled leaves at its end, so a terminal
/// narrower than the padded width does not wrap every row into an empty line.
pub fn table_lines(table: &str) -> String {
    let mut out = String::with_capacity(table.len());
    for line in table.lines() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// A date or time for a markdown table cell that never wraps in the middle (a narrow column on GitHub
/// otherwise breaks `2026-11-02` after a hyphen): hyphens become non-breaking hyphens (U+2011, as the
/// entity `&#8209;`, which GitHub keeps), spaces non-breaking spaces. `-` alone (no date) stays as it is.
/// For text bcprune made (dates, times), not for untrusted text (see [`markdown`]).
pub fn nowrap_date(text: &str) -> String {
    if text == "-" {
        return text.to_string();
    }
    text.replace('-', "&#8209;").replace(' ', "&nbsp;")
}

/// `1-250, 300, 302, 303`: IDs as ranges of three or more consecutive numbers (sorted, duplicates
/// dropped); past `max_ranges` pieces, the first ones and `and N more`.
pub fn ranges(ids: &[u32], max_ranges: usize) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for id in sorted {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(id) => *end = id,
            _ => runs.push((id, id)),
        }
    }
    // Two neighbours read better apart than as a range.
    let runs: Vec<(u32, u32)> = runs
        .into_iter()
        .flat_map(|(start, end)| {
            if end - start == 1 {
                vec![(start, start), (end, end)]
            } else {
                vec![(start, end)]
            }
        })
        .collect();
    let shown: Vec<String> = runs
        .iter()
        .take(max_ranges)
        .map(|&(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            }
        })
        .collect();
    let hidden: u64 = runs
        .iter()
        .skip(max_ranges)
        .map(|&(start, end)| u64::from(end - start) + 1)
        .sum();
    if hidden > 0 {
        format!("{} and {hidden} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_markdown_never_break_at_their_hyphens_or_spaces() {
        assert_eq!(nowrap_date("2026-11-02"), "2026&#8209;11&#8209;02");
        assert_eq!(
            nowrap_date("2026-11-02T10:00:00Z"),
            "2026&#8209;11&#8209;02T10:00:00Z"
        );
        assert_eq!(
            nowrap_date("2026-11-02 (due soon)"),
            "2026&#8209;11&#8209;02&nbsp;(due&nbsp;soon)"
        );
        assert_eq!(nowrap_date("-"), "-");
    }

    #[test]
    fn ranges_join_consecutive_ids_and_cut_long_lists() {
        assert_eq!(ranges(&[3, 1, 2, 7, 9, 10, 10], 10), "1-3, 7, 9, 10");
        let many: Vec<u32> = (1..=40).map(|n| n * 2).collect();
        assert_eq!(ranges(&many, 3), "2, 4, 6 and 37 more");
        assert_eq!(
            ranges(&[u32::MAX - 2, u32::MAX - 1, u32::MAX], 3),
            "4294967293-4294967295"
        );
        assert_eq!(ranges(&[], 3), "");
    }

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
    fn sanitize_neutralises_bidi_controls_and_separators() {
        let hostile =
            "a\u{202E}b\u{2066}c\u{2069}d\u{200E}e\u{200F}f\u{061C}g\u{202A}h\u{2028}i\u{2029}j";
        assert_eq!(sanitize(hostile, None), "a?b?c?d?e?f?g?h?i?j");
        assert_eq!(
            sanitize("Zoë \u{200B}ok", None),
            "Zoë \u{200B}ok",
            "other text is kept"
        );
    }

    #[test]
    fn plural_picks_by_count() {
        assert_eq!(plural(1, "entry", "entries"), "entry");
        assert_eq!(plural(0, "entry", "entries"), "entries");
    }
}
