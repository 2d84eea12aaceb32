//! `received: YYYY-MM-DD`, the day an erasure request arrived, and the due date that follows from it
//! (PRODUCT.md §9): one calendar month later (GDPR Art. 12(3)), or `respond_within_days` days later.
//!
//! A date is read in one form only, the one a reviewer cannot misread: an unquoted `YYYY-MM-DD` naming a
//! real calendar day, not after today in the earliest time zone (UTC+14: a date is a day in the
//! calendar of whoever received the request, wherever bcprune runs). Quotes are refused as they are for IDs (one spelling per value,
//! so a file reads the same to every YAML tool); `2026-2-3`, `2026-02-30` and times are refused.

use jiff::ToSpan;
use jiff::civil::Date;
use yaml_rust2::scanner::TScalarStyle;

/// What a `received` date is, said after every refusal.
const EXPECTED: &str = "`received` is the day the request arrived, written YYYY-MM-DD (e.g. \
                        `received: 2026-11-02`)";

/// Why a `received` value is not a day a request can have arrived on; each message ends with what to
/// write instead, and shows the value with any address in it masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceivedError {
    /// Quoted: a date is written without quotes (`hint` says how).
    #[error("`received` must be a date, not the quoted string `{shown}`{hint}")]
    Quoted {
        /// The value as a message may show it.
        shown: String,
        /// What to write instead.
        hint: String,
    },
    /// A block scalar (`|`, `>`).
    #[error("`received` must be a date, not a block scalar; {}", EXPECTED)]
    Block,
    /// Empty or null.
    #[error("`received` is empty: give the date or remove the key; {}", EXPECTED)]
    Empty,
    /// Not shaped `YYYY-MM-DD` (the value as a message may show it).
    #[error("received `{0}` is not a date; {expected}", expected = EXPECTED)]
    NotDate(String),
    /// A real month of a real year, without that day.
    #[error("received {text} is not a calendar date: {month} {year} has {last} days")]
    NoSuchDay {
        /// The value.
        text: String,
        /// The month's name.
        month: &'static str,
        /// The year.
        year: i16,
        /// The days the month has.
        last: i8,
    },
    /// No such month or year.
    #[error("received {0} is not a calendar date; {expected}", expected = EXPECTED)]
    NotCalendar(String),
    /// After today in the earliest time zone.
    #[error("{}", after_today(.text, *.latest))]
    AfterToday {
        /// The value.
        text: String,
        /// Today in the earliest time zone.
        latest: Date,
    },
}

/// Read a `received` value, or say why it is not a date a request can have arrived on.
pub(super) fn parse(text: &str, style: TScalarStyle, today: Date) -> Result<Date, ReceivedError> {
    match style {
        TScalarStyle::Plain => {}
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
            let hint = if is_date_shaped(text) {
                format!("; write it without quotes: received: {text}")
            } else {
                format!("; {EXPECTED}")
            };
            return Err(ReceivedError::Quoted {
                shown: shown(text),
                hint,
            });
        }
        TScalarStyle::Literal | TScalarStyle::Folded => {
            return Err(ReceivedError::Block);
        }
    }
    if text.is_empty() || matches!(text, "~" | "null" | "Null" | "NULL") {
        return Err(ReceivedError::Empty);
    }
    parse_day(text, today)
}

/// The one rule for a `received` day, the manifest's and `import`'s: `YYYY-MM-DD` in ASCII digits, a
/// real calendar day, not after `latest` (today in the earliest time zone,
/// [`crate::manifest::latest_received`]). A refusal shows the value with any address in it masked, never
/// in clear.
pub fn parse_day(text: &str, latest: Date) -> Result<Date, ReceivedError> {
    if !is_date_shaped(text) {
        return Err(ReceivedError::NotDate(shown(text)));
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let month_i8 = i8::try_from(month).unwrap_or(0);
    let day_i8 = i8::try_from(day).unwrap_or(0);
    let date = Date::new(year, month_i8, day_i8).map_err(|_| {
        if (1..=12).contains(&month) && year >= 1 {
            let last = Date::new(year, month_i8, 1).map_or(0, |first| first.days_in_month());
            ReceivedError::NoSuchDay {
                text: text.to_string(),
                month: month_name(month_i8),
                year,
                last,
            }
        } else {
            ReceivedError::NotCalendar(text.to_string())
        }
    })?;
    if date > latest {
        return Err(ReceivedError::AfterToday {
            text: text.to_string(),
            latest,
        });
    }
    Ok(date)
}

/// A refused value as a message may show it: addresses masked ([`crate::mask::addresses`]), one inert
/// line, shortened.
fn shown(text: &str) -> String {
    crate::text::sanitize(&crate::mask::addresses(text), Some(40))
}

/// The date in the earliest time zone (UTC+14) at `now`: no request anywhere can have arrived later.
pub(super) fn latest_day(now: jiff::Timestamp) -> Date {
    let earliest = jiff::tz::TimeZone::fixed(jiff::tz::offset(14));
    now.to_zoned_datetime(earliest).date()
}

/// Why `text` (a date after `latest`) cannot be a `received` date: the one message of the manifest and
/// `import`.
pub fn after_today(text: &str, latest: Date) -> String {
    format!(
        "received {text} is after today ({latest}): a request cannot have arrived in the future, and \
         {latest} is today in the earliest time zone (UTC+14); check the date"
    )
}

/// `NNNN-NN-NN` in ASCII digits.
fn is_date_shaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, &b)| match index {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

fn month_name(month: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(month - 1)
        .ok()
        .and_then(|index| NAMES.get(index))
        .copied()
        .unwrap_or("this month")
}

/// The due date of a request received on `received`: `days` days later when given, else one calendar
/// month later, on the same day of the month or, when that month is shorter, its last day (31 January →
/// 28 or 29 February). Saturates at the last date jiff can represent.
pub(super) fn due(received: Date, days: Option<u32>) -> Date {
    let later = match days {
        Some(days) => received.checked_add(i64::from(days).days()),
        None => received.checked_add(1.month()),
    };
    later.unwrap_or(Date::MAX)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    /// A value that is not a date is shown masked, in the manifest as in `import` (the manifest showed
    /// it in clear while `import` masked it: one rule with two homes).
    #[test]
    fn a_refused_value_never_shows_an_address_in_clear() {
        let today = date(2026, 12, 1);
        for style in [TScalarStyle::Plain, TScalarStyle::DoubleQuoted] {
            let message = parse("jane.doe@example.com", style, today)
                .expect_err("not a date")
                .to_string();
            assert!(!message.contains("jane.doe@"), "{message}");
            assert!(message.contains("j***@example.com"), "{message}");
        }
        let message = parse_day("jane.doe@example.com", today)
            .expect_err("not a date")
            .to_string();
        assert!(!message.contains("jane.doe@"), "{message}");
    }

    const TODAY: Date = date(2026, 12, 1);

    #[test]
    fn the_latest_day_is_today_in_the_earliest_time_zone() {
        let at = |text: &str| latest_day(text.parse().expect("timestamp"));
        assert_eq!(at("2026-12-01T09:59:59Z"), date(2026, 12, 1));
        assert_eq!(at("2026-12-01T10:00:00Z"), date(2026, 12, 2));
        assert_eq!(at("2026-12-31T23:59:59Z"), date(2027, 1, 1));
    }

    fn read(text: &str) -> Result<Date, ReceivedError> {
        parse(text, TScalarStyle::Plain, TODAY)
    }

    #[test]
    fn one_calendar_month_clamped_to_the_last_day() {
        let cases = [
            (date(2026, 1, 29), date(2026, 2, 28)),
            (date(2026, 1, 30), date(2026, 2, 28)),
            (date(2026, 1, 31), date(2026, 2, 28)),
            (date(2028, 1, 29), date(2028, 2, 29)),
            (date(2028, 1, 30), date(2028, 2, 29)),
            (date(2028, 1, 31), date(2028, 2, 29)),
            (date(2026, 1, 28), date(2026, 2, 28)),
            (date(2026, 3, 31), date(2026, 4, 30)),
            (date(2026, 12, 31), date(2027, 1, 31)),
            (date(2026, 11, 2), date(2026, 12, 2)),
            (date(2028, 2, 29), date(2028, 3, 29)),
        ];
        for (received, expected) in cases {
            assert_eq!(due(received, None), expected, "{received}");
        }
    }

    #[test]
    fn respond_within_days_counts_calendar_days() {
        assert_eq!(due(date(2026, 1, 31), Some(45)), date(2026, 3, 17));
        assert_eq!(due(date(2028, 2, 28), Some(1)), date(2028, 2, 29));
        assert_eq!(due(date(2026, 12, 31), Some(1)), date(2027, 1, 1));
        assert_eq!(due(Date::MAX, Some(1)), Date::MAX);
    }

    #[test]
    fn a_received_date_is_a_real_day_not_after_today() {
        assert_eq!(read("2026-11-02"), Ok(date(2026, 11, 2)));
        assert_eq!(read("2026-12-01"), Ok(TODAY));
        assert_eq!(read("2024-02-29"), Ok(date(2024, 2, 29)));
        for (text, fragment) in [
            (
                "2026-02-30",
                "is not a calendar date: February 2026 has 28 days",
            ),
            ("2026-02-29", "February 2026 has 28 days"),
            ("2026-04-31", "April 2026 has 30 days"),
            ("2026-13-01", "is not a calendar date"),
            ("2026-00-10", "is not a calendar date"),
            ("2026-12-02", "is after today (2026-12-01)"),
            ("2026-2-3", "is not a date"),
            ("2026-11-02T10:00:00", "is not a date"),
            ("02.11.2026", "is not a date"),
            ("", "is empty"),
            ("~", "is empty"),
        ] {
            let message = read(text).expect_err(text).to_string();
            assert!(message.contains(fragment), "{text}: {message}");
        }
        let quoted = parse("2026-11-02", TScalarStyle::DoubleQuoted, TODAY)
            .expect_err("quoted")
            .to_string();
        assert!(
            quoted.contains("write it without quotes: received: 2026-11-02"),
            "{quoted}"
        );
    }
}
