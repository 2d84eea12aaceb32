//! The orders' retention clock (PRODUCT §15), pure: when an erased person's order may be redacted.
//!
//! An order is kept for the law from its `date_created` (or from 31 December of its year, with
//! [`Start::EndOfYear`]) for `years` — or for the years its billing country overrides — and redacted once
//! today (UTC) is *after* that date ([`is_due`]). Adding years to 29 February gives 28 February in a
//! year without one (the law's "n years" never ends later than the calendar allows, and never a day
//! early: 28 Feb is the last day of February in that year).
//!
//! V2 orders carry RFC 2822 dates (`"Wed, 10 Jan 2018 21:05:30 +0000"`, API-NOTES §11 \[V\]);
//! [`parse_order_date`] reads them and takes the **UTC** calendar date. Why UTC: the other side of the
//! comparison, "today", is UTC by the contract, so both ends of the clock are on one calendar, and the
//! result cannot change with the offset a server chooses to print (`+0000` and `-0500` for the same
//! instant give the same date). An order written `Mon, 31 Dec 2018 23:30:00 -0500` is 1 January 2019
//! in UTC: with `end_of_year` its retention runs from 31 Dec 2019, a year *later* than the local
//! reading — the reading that never redacts early.
//!
//! No I/O here; the plan and the report call these functions with the dates they have.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;

/// Where an order's retention period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// The order's `date_created` (the default).
    #[default]
    OrderDate,
    /// 31 December of the year the order was created (the German and French commercial practice).
    EndOfYear,
}

impl Start {
    /// `order_date` or `end_of_year`, as written in a manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Start::OrderDate => "order_date",
            Start::EndOfYear => "end_of_year",
        }
    }
}

/// The manifest's `orders_retention`: how long orders are kept, from when, on what legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Retention {
    /// Years kept; 0 redacts at once (the day after the start).
    pub years: u32,
    /// Where the period starts.
    pub from: Start,
    /// The legal basis shown in plan and report (e.g. `§147 AO, §257 HGB`).
    pub basis: String,
    /// Years by the billing address' ISO 3166-1 alpha-2 code (upper case), overriding `years`.
    pub by_country: BTreeMap<String, u32>,
}

impl Retention {
    /// The years that apply to an order billed to `country` (compared ignoring ASCII case; an order
    /// with no country code gets `years`).
    pub fn years_for(&self, country: Option<&str>) -> u32 {
        country
            .map(|c| c.trim().to_ascii_uppercase())
            .and_then(|c| self.by_country.get(&c).copied())
            .unwrap_or(self.years)
    }
}

/// The last day the order must be kept: its start (`date_created`, or 31 Dec of its year) plus the
/// years for its billing country. A date past the calendar's end (year 9999) saturates to the last
/// representable day: never due, rather than wrapping to an early date.
pub fn retained_until(created: Date, billing_country: Option<&str>, r: &Retention) -> Date {
    let start = match r.from {
        Start::OrderDate => created,
        Start::EndOfYear => Date::new(created.year(), 12, 31).unwrap_or(created),
    };
    let years = i64::from(r.years_for(billing_country));
    start.checked_add(years.years()).unwrap_or(Date::MAX)
}

/// Whether an order retained until `until` is due for redaction on `today` (UTC): only once today is
/// *after* that date; on the date itself it is still retained.
pub fn is_due(until: Date, today: Date) -> bool {
    today > until
}

/// Why a V2 date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 2822 date: {0}")]
pub struct BadDate(String);

/// The UTC calendar date of a V2 `date_created` (RFC 2822, e.g. `Wed, 10 Jan 2018 21:05:30 +0000`).
pub fn parse_order_date(text: &str) -> Result<Date, BadDate> {
    let zoned = jiff::fmt::rfc2822::parse(text.trim()).map_err(|e| BadDate(e.to_string()))?;
    Ok(zoned
        .timestamp()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date())
}

/// An RFC 2822 date as V2 writes it, for a UTC instant given in seconds since the epoch (the fake
/// store's dates; tests).
pub fn format_order_date(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .ok()
        .and_then(|t| {
            jiff::fmt::rfc2822::to_string(&t.to_zoned_datetime(jiff::tz::TimeZone::UTC)).ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn retention(years: u32, from: Start) -> Retention {
        Retention {
            years,
            from,
            basis: "§147 AO".to_string(),
            by_country: BTreeMap::new(),
        }
    }

    #[test]
    fn leap_day_plus_years_is_28_february_unless_the_year_has_one() {
        let r = retention(1, Start::OrderDate);
        assert_eq!(
            retained_until(date(2024, 2, 29), None, &r),
            date(2025, 2, 28)
        );
        let r = retention(4, Start::OrderDate);
        assert_eq!(
            retained_until(date(2024, 2, 29), None, &r),
            date(2028, 2, 29)
        );
        let r = retention(10, Start::EndOfYear);
        assert_eq!(
            retained_until(date(2024, 2, 29), None, &r),
            date(2034, 12, 31)
        );
    }

    #[test]
    fn by_country_overrides_years_by_billing_code_in_any_case() {
        let mut r = retention(8, Start::EndOfYear);
        r.by_country.insert("FR".to_string(), 10);
        let d = date(2020, 6, 1);
        assert_eq!(retained_until(d, Some("DE"), &r), date(2028, 12, 31));
        assert_eq!(retained_until(d, Some("FR"), &r), date(2030, 12, 31));
        assert_eq!(retained_until(d, Some("fr"), &r), date(2030, 12, 31));
        assert_eq!(retained_until(d, None, &r), date(2028, 12, 31));
    }

    #[test]
    fn due_only_the_day_after_retention_ends_and_zero_years_means_tomorrow() {
        let r = retention(0, Start::OrderDate);
        let until = retained_until(date(2026, 12, 2), None, &r);
        assert_eq!(until, date(2026, 12, 2));
        assert!(!is_due(until, date(2026, 12, 2)));
        assert!(is_due(until, date(2026, 12, 3)));
    }

    #[test]
    fn rfc_2822_dates_are_read_as_their_utc_date() {
        for (text, want) in [
            ("Wed, 10 Jan 2018 21:05:30 +0000", date(2018, 1, 10)),
            ("Thu, 29 Feb 2024 00:00:00 +0000", date(2024, 2, 29)),
            ("Mon, 31 Dec 2018 23:30:00 -0500", date(2019, 1, 1)),
            ("Tue, 01 Jan 2019 00:30:00 +0200", date(2018, 12, 31)),
            ("10 Jan 2018 21:05:30 GMT", date(2018, 1, 10)),
            ("Wed, 10 Jan 2018 21:05 +0000", date(2018, 1, 10)),
            ("  Wed, 10 Jan 2018 21:05:30 +0000 ", date(2018, 1, 10)),
        ] {
            assert_eq!(parse_order_date(text), Ok(want), "{text}");
        }
        for bad in [
            "",
            "2018-01-10T21:05:30Z",
            "Wed, 30 Feb 2018 21:05:30 +0000",
            "yesterday",
        ] {
            assert!(parse_order_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatted_dates_read_back() {
        let s = format_order_date(1_515_618_330);
        assert_eq!(s, "Wed, 10 Jan 2018 21:05:30 +0000");
        assert_eq!(parse_order_date(&s), Ok(date(2018, 1, 10)));
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1990i16..=2060, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            let last = date(y, m, 1).days_in_month();
            date(y, m, d.min(last))
        })
    }

    fn any_from() -> impl Strategy<Value = Start> {
        prop_oneof![Just(Start::OrderDate), Just(Start::EndOfYear)]
    }

    proptest! {
        #[test]
        fn the_clock_is_never_early_and_never_a_day_late(
            created in any_date(),
            years in 0u32..=30,
            from in any_from(),
            fr in proptest::option::of(0u32..=30),
            billed in prop_oneof![Just("DE"), Just("FR"), Just("US")],
        ) {
            let mut r = retention(years, from);
            if let Some(y) = fr {
                r.by_country.insert("FR".to_string(), y);
            }
            let until = retained_until(created, Some(billed), &r);
            let y = if billed == "FR" { fr.unwrap_or(years) } else { years };
            let start = match from {
                Start::OrderDate => created,
                Start::EndOfYear => date(created.year(), 12, 31),
            };
            // Exactly `y` years on: same month, the same day or (29 Feb) the last day of February.
            prop_assert_eq!(i32::from(until.year()), i32::from(start.year()) + y as i32);
            prop_assert_eq!(until.month(), start.month());
            prop_assert!(until.day() == start.day()
                || (start.month() == 2 && start.day() == 29 && until.day() == 28));
            // Never before the start, and due exactly from the next day on.
            prop_assert!(until >= start);
            prop_assert!(!is_due(until, until));
            prop_assert!(!is_due(until, start));
            prop_assert!(is_due(until, until.tomorrow().expect("in range")));
            // Retention only grows with the years.
            let mut longer = r.clone();
            longer.years = years + 1;
            longer.by_country.values_mut().for_each(|v| *v += 1);
            prop_assert!(retained_until(created, Some(billed), &longer) > until);
        }

        #[test]
        fn end_of_year_never_ends_before_order_date(
            created in any_date(), years in 0u32..=30,
        ) {
            let a = retained_until(created, None, &retention(years, Start::OrderDate));
            let b = retained_until(created, None, &retention(years, Start::EndOfYear));
            prop_assert!(b >= a);
        }

        #[test]
        fn any_instant_formatted_reads_back_as_its_utc_date(s in 0i64..4_000_000_000) {
            let want = jiff::Timestamp::from_second(s).expect("range")
                .to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            prop_assert_eq!(parse_order_date(&format_order_date(s)), Ok(want));
        }
    }
}
