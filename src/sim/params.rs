//! Query-string parsing for the fake store: form decoding (by `form_urlencoded`), `id:in` lists, and the typed GET filters.
//! Kept apart from the handlers so that "what did the client ask for" is decided in one place, and a
//! malformed request is rejected with the API's 422 before any data is touched.

use super::customers::{Customer, Include};

/// Largest `limit` the API serves (API-NOTES §1.2).
pub const MAX_LIMIT: u32 = 250;
/// `limit` when none is given.
pub const DEFAULT_LIMIT: u32 = 50;

/// Split a raw query string into decoded `(key, value)` pairs, in order, as a server decodes
/// `application/x-www-form-urlencoded` (the `form_urlencoded` crate): `+` is a space; a `%` not followed by
/// two hex digits is kept literally; invalid UTF-8 is replaced.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

/// Parse an `id:in` value: comma-separated customer IDs, each plain decimal digits fitting in 32 bits.
/// An empty list, an empty item or anything else is invalid (`None`).
pub fn parse_ids(value: &str) -> Option<Vec<u32>> {
    if value.is_empty() {
        return None;
    }
    value
        .split(',')
        .map(|item| {
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                item.parse::<u32>().ok()
            }
        })
        .collect()
}

/// The `id:in` of a query: absent (`None`), present and valid (`Some(Ok)`), or present and invalid.
pub fn id_in(pairs: &[(String, String)]) -> Option<Result<Vec<u32>, ()>> {
    let values: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "id:in")
        .map(|(_, v)| v.as_str())
        .collect();
    if values.is_empty() {
        return None;
    }
    let mut ids = Vec::new();
    for value in values {
        match parse_ids(value) {
            Some(mut more) => ids.append(&mut more),
            None => return Some(Err(())),
        }
    }
    Some(Ok(ids))
}

/// A base64 cursor as the API hands them out: `base64("id:<id>")`, e.g. `aWQ6Nw==` for ID 7.
pub fn encode_cursor(id: u32) -> String {
    base64_encode(format!("id:{id}").as_bytes())
}

/// The customer ID inside a cursor, if it is one of ours.
pub fn decode_cursor(cursor: &str) -> Option<u32> {
    let bytes = base64_decode(cursor)?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let digits = text.strip_prefix("id:")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in trimmed.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

/// The sort orders the API offers, plus its default (by ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Id,
    DateCreated {
        desc: bool,
    },
    LastName {
        desc: bool,
    },
    DateModified {
        desc: bool,
    },
}

impl Sort {
    /// Order two customers by this sort, ties broken by ID.
    pub fn cmp(self, a: &Customer, b: &Customer) -> std::cmp::Ordering {
        let primary = match self {
            Sort::Id => std::cmp::Ordering::Equal,
            Sort::DateCreated { desc } => flip(a.date_created.cmp(&b.date_created), desc),
            Sort::LastName { desc } => flip(a.last_name.cmp(&b.last_name), desc),
            Sort::DateModified { desc } => flip(a.date_modified.cmp(&b.date_modified), desc),
        };
        primary.then(a.id.cmp(&b.id))
    }
}

fn flip(o: std::cmp::Ordering, desc: bool) -> std::cmp::Ordering {
    if desc { o.reverse() } else { o }
}

/// A `date_*` filter bound: seconds since the epoch, and whether only a date (no time) was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateBound {
    pub seconds: i64,
    pub date_only: bool,
}

/// The three filters on one date field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateFilter {
    pub exact: Option<DateBound>,
    pub min: Option<DateBound>,
    pub max: Option<DateBound>,
}

impl DateFilter {
    /// Whether a timestamp (seconds) passes the three bounds.
    pub fn matches(&self, seconds: i64) -> bool {
        let exact = self.exact.is_none_or(|b| {
            if b.date_only {
                seconds >= b.seconds && seconds < b.seconds + 86_400
            } else {
                seconds == b.seconds
            }
        });
        let min = self.min.is_none_or(|b| seconds >= b.seconds);
        let max = self.max.is_none_or(|b| {
            if b.date_only {
                seconds < b.seconds + 86_400
            } else {
                seconds <= b.seconds
            }
        });
        exact && min && max
    }
}

/// Parse `2024-05-14T09:34:00`, `2024-05-14T09:34:00Z` (or any offset) or `2024-05-14`, as UTC.
pub fn parse_date(value: &str) -> Option<DateBound> {
    if let Ok(ts) = value.parse::<jiff::Timestamp>() {
        return Some(DateBound {
            seconds: ts.as_second(),
            date_only: false,
        });
    }
    let has_time = value.contains(['T', 't', ' ']);
    if has_time && let Ok(dt) = value.parse::<jiff::civil::DateTime>() {
        let ts = jiff::tz::Offset::UTC.to_timestamp(dt).ok()?;
        return Some(DateBound {
            seconds: ts.as_second(),
            date_only: false,
        });
    }
    if has_time {
        return None;
    }
    let date = value.parse::<jiff::civil::Date>().ok()?;
    let ts = jiff::tz::Offset::UTC
        .to_timestamp(date.at(0, 0, 0, 0))
        .ok()?;
    Some(DateBound {
        seconds: ts.as_second(),
        date_only: true,
    })
}

/// Where a cursor request starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Rows after the row with this ID.
    After(u32),
    /// Rows before the row with this ID.
    Before(u32),
}

/// A validated `GET /customers` query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub ids: Option<Vec<u32>>,
    pub emails: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub name_like: Option<Vec<String>>,
    pub companies: Option<Vec<String>>,
    pub group_ids: Option<Vec<u32>>,
    pub phones: Option<Vec<String>>,
    pub ips: Option<Vec<String>>,
    pub date_created: DateFilter,
    pub date_modified: DateFilter,
    pub include: Include,
    pub sort: Sort,
    /// Page number, from 1.
    pub page: u32,
    /// `limit` as asked (may exceed [`MAX_LIMIT`]; the handler decides what that means).
    pub limit: u32,
    pub cursor: Option<Cursor>,
    /// Compare `email:in` ignoring case ([`super::EmailMatch::IgnoreCase`]); set by the handler.
    pub fold_emails: bool,
}

/// Why a GET query was refused: the parameter names to put in the API's 422 title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParams(pub Vec<String>);

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_string).collect()
}

fn append(slot: &mut Option<Vec<String>>, value: &str) {
    slot.get_or_insert_with(Vec::new).extend(list(value));
}

impl ListQuery {
    /// Validate a GET query. Unknown parameters and bad values are collected and reported together.
    pub fn parse(pairs: &[(String, String)]) -> Result<ListQuery, BadParams> {
        let mut q = ListQuery {
            page: 1,
            limit: DEFAULT_LIMIT,
            ..ListQuery::default()
        };
        let mut bad: Vec<String> = Vec::new();
        for (key, value) in pairs {
            let ok = match key.as_str() {
                "id:in" => true, // parsed below, all occurrences together
                "email:in" => {
                    append(&mut q.emails, value);
                    !value.is_empty()
                }
                "name:in" => {
                    append(&mut q.names, value);
                    !value.is_empty()
                }
                "name:like" => {
                    append(&mut q.name_like, value);
                    !value.is_empty()
                }
                "company:in" => {
                    append(&mut q.companies, value);
                    !value.is_empty()
                }
                "phone:in" => {
                    append(&mut q.phones, value);
                    !value.is_empty()
                }
                "registration_ip_address:in" => {
                    append(&mut q.ips, value);
                    !value.is_empty()
                }
                "customer_group_id:in" => match parse_ids(value) {
                    Some(ids) => {
                        q.group_ids.get_or_insert_with(Vec::new).extend(ids);
                        true
                    }
                    None => false,
                },
                "date_created" => set_date(&mut q.date_created.exact, value),
                "date_created:min" => set_date(&mut q.date_created.min, value),
                "date_created:max" => set_date(&mut q.date_created.max, value),
                "date_modified" => set_date(&mut q.date_modified.exact, value),
                "date_modified:min" => set_date(&mut q.date_modified.min, value),
                "date_modified:max" => set_date(&mut q.date_modified.max, value),
                "include" => value.split(',').all(|item| {
                    let inc = &mut q.include;
                    match item {
                        "addresses" => inc.addresses = true,
                        "attributes" => inc.attributes = true,
                        "formfields" => inc.formfields = true,
                        "shopper_profile_id" => inc.shopper_profile_id = true,
                        "segment_ids" => inc.segment_ids = true,
                        "storecredit" => {}
                        _ => return false,
                    }
                    true
                }),
                "sort" => {
                    q.sort = match value.as_str() {
                        "date_created:asc" => Sort::DateCreated { desc: false },
                        "date_created:desc" => Sort::DateCreated { desc: true },
                        "last_name:asc" => Sort::LastName { desc: false },
                        "last_name:desc" => Sort::LastName { desc: true },
                        "date_modified:asc" => Sort::DateModified { desc: false },
                        "date_modified:desc" => Sort::DateModified { desc: true },
                        _ => Sort::Id,
                    };
                    q.sort != Sort::Id
                }
                "page" => match positive(value) {
                    Some(n) => {
                        q.page = n;
                        true
                    }
                    None => false,
                },
                "limit" => match positive(value) {
                    Some(n) => {
                        q.limit = n;
                        true
                    }
                    None => false,
                },
                "after" | "before" => match decode_cursor(value) {
                    Some(id) => {
                        q.cursor = Some(if key == "after" {
                            Cursor::After(id)
                        } else {
                            Cursor::Before(id)
                        });
                        true
                    }
                    None => false,
                },
                _ => false,
            };
            if !ok && !bad.contains(key) {
                bad.push(key.clone());
            }
        }
        match id_in(pairs) {
            None => {}
            Some(Ok(ids)) => q.ids = Some(ids),
            Some(Err(())) => bad.push("id:in".to_string()),
        }
        if bad.is_empty() {
            Ok(q)
        } else {
            Err(BadParams(bad))
        }
    }

    /// Whether a customer passes every filter except `id:in` and `email:in` (used to pick candidates).
    pub fn matches(&self, c: &Customer) -> bool {
        let in_list = |list: &Option<Vec<String>>, field: &str, fold: bool| {
            list.as_ref().is_none_or(|items| {
                items.iter().any(|item| {
                    if fold {
                        super::collate(item) == super::collate(field)
                    } else {
                        item == field
                    }
                })
            })
        };
        let full_name = c.full_name().to_lowercase();
        in_list(&self.emails, &c.email, self.fold_emails)
            && in_list(&self.names, &full_name, true)
            && self.name_like.as_ref().is_none_or(|items| {
                items
                    .iter()
                    .any(|item| full_name.contains(&item.to_lowercase()))
            })
            && in_list(&self.companies, &c.company, true)
            && in_list(&self.phones, &c.phone, false)
            && in_list(&self.ips, &c.registration_ip_address, false)
            && self
                .group_ids
                .as_ref()
                .is_none_or(|g| g.contains(&c.customer_group_id))
            && self.date_created.matches(c.date_created)
            && self.date_modified.matches(c.date_modified)
    }
}

/// Parse a date filter value into `slot`; whether it was valid.
pub fn set_date(slot: &mut Option<DateBound>, value: &str) -> bool {
    *slot = parse_date(value);
    slot.is_some()
}

/// A positive decimal integer (no sign, no spaces), as `page`, `limit` and IDs must be.
pub fn positive(value: &str) -> Option<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u32>().ok().filter(|&n| n >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(
            parse_query("id%3Ain=1%2C2&email:in=a+b%40x.test&x"),
            vec![
                ("id:in".to_string(), "1,2".to_string()),
                ("email:in".to_string(), "a b@x.test".to_string()),
                ("x".to_string(), String::new()),
            ]
        );
        assert_eq!(
            parse_query("a=%zz%4"),
            vec![("a".to_string(), "%zz%4".to_string())]
        );
    }

    #[test]
    fn id_lists() {
        assert_eq!(parse_ids("4,5,6"), Some(vec![4, 5, 6]));
        for bad in ["", "1,", ",1", "1,,2", "a", "-1", "1.5", " 1", "4294967296"] {
            assert_eq!(parse_ids(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_match_the_api_example() {
        assert_eq!(encode_cursor(7), "aWQ6Nw==");
        for id in [1, 12, 123, 4_000_000_000] {
            assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        }
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&base64_encode(b"xx:1")), None);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2024-05-14"),
            Some(DateBound {
                seconds: 1_715_644_800,
                date_only: true
            })
        );
        assert_eq!(
            parse_date("2024-05-14T00:00:10").map(|b| b.seconds),
            Some(1_715_644_810)
        );
        assert_eq!(
            parse_date("2024-05-14T00:00:10Z").map(|b| b.seconds),
            Some(1_715_644_810)
        );
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn unknown_and_bad_params_are_named() {
        let pairs = parse_query("customer_id=1&limit=0&page=2&id:in=x");
        assert_eq!(
            ListQuery::parse(&pairs),
            Err(BadParams(vec![
                "customer_id".into(),
                "limit".into(),
                "id:in".into()
            ]))
        );
        let q =
            ListQuery::parse(&parse_query("page=3&limit=251&sort=last_name:desc")).expect("valid");
        assert_eq!(
            (q.page, q.limit, q.sort),
            (3, 251, Sort::LastName { desc: true })
        );
    }
}
