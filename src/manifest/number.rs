//! Reading the numbers of a manifest (customer and subscriber IDs, `max_deletes`, `respond_within_days`,
//! `version`) from their YAML text.
//!
//! YAML readers disagree about numbers: `010` is 10 in YAML 1.2 and 8 in YAML 1.1, `1_000` is 1000 to some
//! and a string to others, `0x1F` is 31. A reviewer must read the same number the tool does, so only one
//! form is accepted: an unquoted run of decimal digits without a leading zero. Everything else is refused
//! with a message that says what the text looks like and how to write it instead.

use yaml_rust2::scanner::TScalarStyle;

/// What a number is for; decides whether 0 is allowed and how the message names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberKind {
    /// A customer ID: 1..=4294967295.
    CustomerId,
    /// A newsletter subscriber ID: 1..=4294967295 (its own namespace).
    SubscriberId,
    /// `max_deletes`: 0..=4294967295 (0 means nothing may be deleted).
    MaxDeletes,
    /// `respond_within_days`: 1..=[`MAX_RESPOND_WITHIN_DAYS`].
    RespondWithinDays,
    /// `version`: any plain number; the caller checks which versions are supported.
    Version,
    /// An order ID (`redact_orders`): 1..=4294967295 (its own namespace).
    OrderId,
    /// `orders_retention.years` and its `by_country` values: 0..=[`MAX_RETENTION_YEARS`].
    RetentionYears,
}

/// The longest retention accepted: a century. Longer is a typo, not a law (the longest commercial
/// retention periods in the EU are around ten years).
pub(super) const MAX_RETENTION_YEARS: u32 = 100;

/// The longest `respond_within_days` accepted: ten years. A longer answer period is a typo, not a law.
pub(super) const MAX_RESPOND_WITHIN_DAYS: u32 = 3650;

impl NumberKind {
    fn noun(self) -> &'static str {
        match self {
            NumberKind::CustomerId => "a customer ID",
            NumberKind::SubscriberId => "a subscriber ID",
            NumberKind::MaxDeletes => "max_deletes",
            NumberKind::RespondWithinDays => "respond_within_days",
            NumberKind::Version => "version",
            NumberKind::OrderId => "an order ID",
            NumberKind::RetentionYears => "a retention in years",
        }
    }

    /// What a value of this kind is, as messages say it.
    pub(super) fn expected(self) -> &'static str {
        match self {
            NumberKind::CustomerId => {
                "a customer ID is a whole number from 1 to 4294967295 written in plain decimal digits"
            }
            NumberKind::SubscriberId => {
                "a subscriber ID is a whole number from 1 to 4294967295 written in plain decimal digits"
            }
            NumberKind::MaxDeletes => {
                "max_deletes is a whole number from 0 to 4294967295 written in plain decimal digits"
            }
            NumberKind::RespondWithinDays => {
                "respond_within_days is a whole number of days from 1 to 3650 written in plain \
                 decimal digits"
            }
            NumberKind::Version => "version is a plain number, e.g. `version: 1`",
            NumberKind::OrderId => {
                "an order ID is a whole number from 1 to 4294967295 written in plain decimal digits"
            }
            NumberKind::RetentionYears => {
                "a retention is a whole number of years from 0 to 100 written in plain decimal digits"
            }
        }
    }
}

/// Why a scalar is not the number a key needs; each message names the key's noun and what it expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum NumberError {
    #[error(
        "{noun} must be a number, not the quoted string {quote}{text}{quote}{}",
        if *plain { format!("; write it without quotes: {text}") } else { String::new() }
    )]
    Quoted {
        noun: &'static str,
        quote: char,
        text: String,
        /// The quoted text is a plain decimal: say how to write it.
        plain: bool,
    },
    #[error("{noun} must be a plain number, not a block scalar (`|` or `>`); {expected}")]
    BlockScalar {
        noun: &'static str,
        expected: &'static str,
    },
    #[error("{noun} is missing (the value is empty); {expected}")]
    Empty {
        noun: &'static str,
        expected: &'static str,
    },
    #[error("{noun} is missing (`{text}` is YAML for null); {expected}")]
    Null {
        text: String,
        noun: &'static str,
        expected: &'static str,
    },
    #[error("`{text}` is a boolean, not {noun}; {expected}")]
    Boolean {
        text: String,
        noun: &'static str,
        expected: &'static str,
    },
    #[error(
        "`{0}` has a leading zero, which YAML readers disagree on (decimal or octal); write it without \
         leading zeros"
    )]
    LeadingZero(String),
    #[error("0 is not a valid {what}; {expected}")]
    Zero {
        what: &'static str,
        expected: &'static str,
    },
    #[error("{years} years is out of range; {expected}")]
    YearsOutOfRange { years: u64, expected: &'static str },
    #[error("respond_within_days {days} is out of range; {expected}")]
    DaysOutOfRange { days: u64, expected: &'static str },
    /// `text` is shortened.
    #[error("`{text}` is too large for {noun}: the largest allowed is 4294967295")]
    TooLarge { text: String, noun: &'static str },
    #[error("`{text}` is negative; {expected}")]
    Negative {
        text: String,
        expected: &'static str,
    },
    #[error("`{0}` has a sign; write the number without `+`")]
    Signed(String),
    #[error("`{text}` is {base} number; {expected}")]
    Radix {
        text: String,
        base: &'static str,
        expected: &'static str,
    },
    #[error(
        "`{0}` uses `_` as a digit separator, which YAML readers disagree on; write it without underscores"
    )]
    Underscore(String),
    #[error("`{text}` {what}; {expected}")]
    Float {
        text: String,
        what: &'static str,
        expected: &'static str,
    },
    /// `text` is shortened; `hint` is empty or says to check the indentation.
    #[error("`{text}` is not {noun}; {expected}{hint}")]
    NotANumber {
        text: String,
        noun: &'static str,
        expected: &'static str,
        hint: &'static str,
    },
}

/// The manifest's error list holds messages: a number's problem becomes its message there.
impl From<NumberError> for String {
    fn from(error: NumberError) -> String {
        error.to_string()
    }
}

/// Read `text` (a YAML scalar of the given style) as a number of the given kind, or say why it is not one.
pub(super) fn parse_number(
    text: &str,
    style: TScalarStyle,
    kind: NumberKind,
) -> Result<u32, NumberError> {
    let noun = kind.noun();
    let expected = kind.expected();
    match style {
        TScalarStyle::Plain => {}
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
            let quote = if style == TScalarStyle::SingleQuoted {
                '\''
            } else {
                '"'
            };
            return Err(NumberError::Quoted {
                noun,
                quote,
                text: text.to_string(),
                plain: is_plain_decimal(text),
            });
        }
        TScalarStyle::Literal | TScalarStyle::Folded => {
            return Err(NumberError::BlockScalar { noun, expected });
        }
    }

    if text.is_empty() {
        return Err(NumberError::Empty { noun, expected });
    }
    if matches!(text, "~" | "null" | "Null" | "NULL") {
        return Err(NumberError::Null {
            text: text.to_string(),
            noun,
            expected,
        });
    }
    if matches!(
        text,
        "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    ) {
        return Err(NumberError::Boolean {
            text: text.to_string(),
            noun,
            expected,
        });
    }

    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() > 1 && text.starts_with('0') {
            return Err(NumberError::LeadingZero(text.to_string()));
        }
        // At most 10 digits can fit in 32 bits; longer text must not be parsed into a wider type blindly.
        let value = if text.len() <= 10 {
            text.parse::<u64>().ok()
        } else {
            None
        };
        return match value {
            Some(0) if kind == NumberKind::CustomerId => Err(NumberError::Zero {
                what: "customer ID",
                expected,
            }),
            Some(0) if kind == NumberKind::SubscriberId => Err(NumberError::Zero {
                what: "subscriber ID",
                expected,
            }),
            Some(0) if kind == NumberKind::OrderId => Err(NumberError::Zero {
                what: "order ID",
                expected,
            }),
            Some(v) if kind == NumberKind::RetentionYears && v > u64::from(MAX_RETENTION_YEARS) => {
                Err(NumberError::YearsOutOfRange { years: v, expected })
            }
            Some(v)
                if kind == NumberKind::RespondWithinDays
                    && !(1..=u64::from(MAX_RESPOND_WITHIN_DAYS)).contains(&v) =>
            {
                Err(NumberError::DaysOutOfRange { days: v, expected })
            }
            Some(v) => u32::try_from(v).map_err(|_| too_large(text, noun)),
            None => Err(too_large(text, noun)),
        };
    }

    let unsigned = text.strip_prefix(['-', '+']);
    if let Some(rest) = unsigned
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
    {
        return Err(if text.starts_with('-') {
            NumberError::Negative {
                text: text.to_string(),
                expected,
            }
        } else {
            NumberError::Signed(text.to_string())
        });
    }

    let lower = text.to_ascii_lowercase();
    if let Some(base) = radix_prefix(&lower) {
        return Err(NumberError::Radix {
            text: text.to_string(),
            base,
            expected,
        });
    }
    if text.contains('_') && text.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return Err(NumberError::Underscore(text.to_string()));
    }
    if looks_like_float(&lower) {
        let what = if lower.contains('e') {
            "is written in exponent notation"
        } else if lower.contains("inf") || lower.contains("nan") {
            "is not a finite number"
        } else {
            "is not a whole number"
        };
        return Err(NumberError::Float {
            text: text.to_string(),
            what,
            expected,
        });
    }
    // YAML joins a line indented deeper than a plain value onto that value: `- 101` then `   - 102`.
    let hint = if text.contains(' ') {
        " (if this is more than one value, check the indentation of the lines after it)"
    } else {
        ""
    };
    Err(NumberError::NotANumber {
        text: shorten(text),
        noun,
        expected,
        hint,
    })
}

fn too_large(text: &str, noun: &'static str) -> NumberError {
    NumberError::TooLarge {
        text: shorten(text),
        noun,
    }
}

/// Whether `text` is exactly what the loader accepts as a number (no sign, no leading zero).
fn is_plain_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

fn radix_prefix(lower: &str) -> Option<&'static str> {
    let digits = lower.strip_prefix(['-', '+']).unwrap_or(lower);
    let (base, rest) = if let Some(rest) = digits.strip_prefix("0x") {
        ("a hexadecimal", rest)
    } else if let Some(rest) = digits.strip_prefix("0o") {
        ("an octal", rest)
    } else if let Some(rest) = digits.strip_prefix("0b") {
        ("a binary", rest)
    } else {
        return None;
    };
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit() || b == b'_')).then_some(base)
}

/// Whether a plain scalar is a number to some YAML reader (decimal, signed, float, exponent, `0x`/`0o`/`0b`,
/// `_` separators, `.inf`, `.nan`), so it must be quoted where text is meant.
pub(super) fn looks_like_number(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let body = lower.strip_prefix(['-', '+']).unwrap_or(&lower);
    let integer = !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let starts_with_digit = body.starts_with(|c: char| c.is_ascii_digit());
    let count = |byte| body.bytes().filter(|&b| b == byte).count();
    let float = (starts_with_digit || body.starts_with(".") && body.len() > 1)
        && count(b'.') <= 1
        && count(b'e') <= 1
        && looks_like_float(&lower);
    integer
        || (starts_with_digit && radix_prefix(&lower).is_some())
        || matches!(body, ".inf" | ".nan")
        || float
}

fn looks_like_float(lower: &str) -> bool {
    let body = lower.strip_prefix(['-', '+']).unwrap_or(lower);
    if matches!(body, ".inf" | ".nan") {
        return true;
    }
    let has_digit = body.bytes().any(|b| b.is_ascii_digit());
    has_digit
        && (body.contains('.') || body.contains('e'))
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'-' | b'+' | b'_'))
}

/// Keep messages readable when someone pastes a paragraph where a number belongs.
pub(super) fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    let single_line = text.replace(['\n', '\r'], " ");
    if single_line.chars().count() <= MAX_CHARS {
        single_line
    } else {
        let mut short: String = single_line.chars().take(MAX_CHARS).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> Result<u32, NumberError> {
        parse_number(text, TScalarStyle::Plain, NumberKind::CustomerId)
    }

    #[test]
    fn accepts_plain_decimal_ids_in_range() {
        assert_eq!(id("1"), Ok(1));
        assert_eq!(id("101"), Ok(101));
        assert_eq!(id("4294967295"), Ok(u32::MAX));
    }

    #[test]
    fn rejects_every_ambiguous_or_out_of_range_form_with_a_specific_reason() {
        let cases = [
            ("0", "0 is not a valid customer ID"),
            ("-3", "is negative"),
            ("+3", "has a sign"),
            ("1.5", "is not a whole number"),
            ("1.0", "is not a whole number"),
            ("1e3", "exponent notation"),
            ("4294967296", "too large"),
            ("99999999999999999999999", "too large"),
            ("~", "null"),
            ("null", "null"),
            ("", "is missing"),
            ("true", "boolean"),
            ("0x1F", "hexadecimal"),
            ("0o17", "octal"),
            ("0b101", "binary"),
            ("010", "leading zero"),
            ("1_000", "digit separator"),
            (".inf", "not a finite number"),
            ("abc", "is not a customer ID"),
            ("101 102", "is not a customer ID"),
        ];
        for (text, fragment) in cases {
            let err = id(text).expect_err(text).to_string();
            assert!(err.contains(fragment), "{text:?}: {err}");
        }
    }

    #[test]
    fn quoted_numbers_are_refused_with_the_unquoted_spelling() {
        let err = parse_number("101", TScalarStyle::DoubleQuoted, NumberKind::CustomerId)
            .expect_err("quoted")
            .to_string();
        assert_eq!(
            err,
            "a customer ID must be a number, not the quoted string \"101\"; write it without quotes: 101"
        );
        assert!(parse_number("7", TScalarStyle::Literal, NumberKind::CustomerId).is_err());
    }

    #[test]
    fn max_deletes_allows_zero_but_ids_do_not() {
        assert_eq!(
            parse_number("0", TScalarStyle::Plain, NumberKind::MaxDeletes),
            Ok(0)
        );
        assert!(id("0").is_err());
    }

    #[test]
    fn subscriber_ids_and_respond_within_days_have_their_ranges() {
        let subscriber = |text| parse_number(text, TScalarStyle::Plain, NumberKind::SubscriberId);
        assert_eq!(subscriber("17"), Ok(17));
        assert!(
            subscriber("0")
                .expect_err("0")
                .to_string()
                .contains("not a valid subscriber ID")
        );
        let days = |text| parse_number(text, TScalarStyle::Plain, NumberKind::RespondWithinDays);
        assert_eq!(days("1"), Ok(1));
        assert_eq!(days("3650"), Ok(3650));
        assert!(
            days("0")
                .expect_err("0")
                .to_string()
                .contains("out of range")
        );
        assert!(
            days("3651")
                .expect_err("3651")
                .to_string()
                .contains("out of range")
        );
    }

    #[test]
    fn numbers_that_must_be_quoted_as_text() {
        for text in [
            "12", "-3", "+3", "1.5", "1e3", "0x1F", "0o17", "1_000", ".inf", "-.NaN",
        ] {
            assert!(looks_like_number(text), "{text}");
        }
        for text in [
            "OPS-1182",
            "2026-0042",
            "1.2.3",
            "e3",
            "abc",
            "12 cases",
            "",
        ] {
            assert!(!looks_like_number(text), "{text}");
        }
    }

    #[test]
    fn long_text_is_shortened_in_messages() {
        let long = "x".repeat(500);
        let err = id(&long).expect_err("not a number").to_string();
        assert!(err.len() < 200, "{err}");
    }
}
