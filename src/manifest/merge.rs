//! The checks that span a whole manifest (one file or several): an ID listed twice (within `absent`,
//! within `absent_subscribers`: the two are separate namespaces), a customer ID both absent and
//! protected, entries of one `request` that disagree on `received`, and `store_hash` / `max_deletes` /
//! `respond_within_days` set differently by two files. Each error names both places,
//! so a reviewer can see which line to remove.

use std::collections::{BTreeMap, BTreeSet};

use super::grammar::ParsedFile;
use super::{AbsentEntry, DEFAULT_MAX_DELETES, Location, ManifestError, OrderSettings, RequestId};
use crate::CustomerId;
use crate::retention::Retention;

/// The merged contents of every file, ready to become a `Manifest` when no error was found.
pub(super) struct Merged {
    pub store_hash: Option<String>,
    pub max_deletes: u32,
    pub respond_within_days: Option<u32>,
    pub protect: BTreeSet<CustomerId>,
    pub absent: Vec<AbsentEntry>,
    pub absent_subscribers: Vec<AbsentEntry>,
    pub orders: OrderSettings,
}

/// What the files merged are: a whole manifest, or a file joining a directory whose other files may
/// set what it lacks (`orders_retention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Whole,
    Joining,
}

/// Merge the files (in the order read) and append every cross-file problem to `errors`.
pub(super) fn merge(
    files: Vec<ParsedFile>,
    scope: Scope,
    errors: &mut Vec<ManifestError>,
) -> Merged {
    let mut store_hash: Option<(String, Location)> = None;
    let mut max_deletes: Option<(u32, Location)> = None;
    let mut respond_within_days: Option<(u32, Location)> = None;
    let mut protect_list: Vec<(CustomerId, Location)> = Vec::new();
    let mut absent: Vec<AbsentEntry> = Vec::new();
    let mut absent_subscribers: Vec<AbsentEntry> = Vec::new();
    let mut redact_orders: Vec<AbsentEntry> = Vec::new();
    let mut orders_redact: Vec<(CustomerId, Location)> = Vec::new();
    let mut retention: Option<(Retention, Location)> = None;
    let mut retention_written = false;

    for file in files {
        if let Some((hash, location)) = file.store_hash {
            match &store_hash {
                Some((first, first_location)) if *first != hash => errors.push(ManifestError {
                    location,
                    message: format!(
                        "store_hash `{hash}` disagrees with store_hash `{first}` at {first_location}; \
                         every file of a manifest must name the same store"
                    ),
                }),
                Some(_) => {}
                None => store_hash = Some((hash, location)),
            }
        }
        agree(
            "max_deletes",
            file.max_deletes,
            &mut max_deletes,
            "set it in one file, or to the same value everywhere",
            errors,
        );
        agree(
            "respond_within_days",
            file.respond_within_days,
            &mut respond_within_days,
            "set it in one file, or to the same value everywhere",
            errors,
        );
        protect_list.extend(file.protect);
        if absent.is_empty() {
            absent = file.absent;
        } else {
            absent.extend(file.absent);
        }
        absent_subscribers.extend(file.absent_subscribers);
        retention_written |= file.orders_retention_written;
        redact_orders.extend(file.redact_orders);
        orders_redact.extend(file.orders_redact);
        if let Some((value, location)) = file.orders_retention {
            match &retention {
                Some((first, first_location)) if *first != value => errors.push(ManifestError {
                    location,
                    message: format!(
                        "orders_retention disagrees with orders_retention at {first_location}; \
                         set it in one file, or the same everywhere"
                    ),
                }),
                Some(_) => {}
                None => retention = Some((value, location)),
            }
        }
    }

    let protect = check_protect(&protect_list, errors);
    check_absent(
        ("customer", "absent"),
        &absent,
        &protect_list,
        &protect,
        errors,
    );
    // `protect` lists customer IDs; subscriber and order IDs are other namespaces.
    let subscribers = ("subscriber", "absent_subscribers");
    check_absent(subscribers, &absent_subscribers, &[], &[], errors);
    check_absent(("order", "redact_orders"), &redact_orders, &[], &[], errors);
    check_requests(
        [&absent, &absent_subscribers, &redact_orders]
            .into_iter()
            .flatten(),
        errors,
    );
    if !retention_written && scope == Scope::Whole {
        let first = orders_redact
            .iter()
            .map(|(_, location)| location)
            .chain(redact_orders.iter().map(|entry| &entry.location))
            .min();
        if let Some(location) = first {
            errors.push(ManifestError {
                location: location.clone(),
                message: "orders are to be redacted here, but no file sets `orders_retention`: \
                          add `orders_retention:` with `years` and `basis` (the law that makes \
                          the store keep orders), so nothing is redacted before the law allows"
                    .to_owned(),
            });
        }
    }

    Merged {
        store_hash: store_hash.map(|(hash, _)| hash),
        max_deletes: max_deletes.map_or(DEFAULT_MAX_DELETES, |(limit, _)| limit),
        respond_within_days: respond_within_days.map(|(days, _)| days),
        protect: protect.into_iter().map(|(id, _)| id).collect(),
        absent,
        absent_subscribers,
        orders: OrderSettings {
            redact_customers: orders_redact.into_iter().map(|(id, _)| id).collect(),
            redact_orders,
            retention: retention.map(|(r, _)| r),
        },
    }
}

/// Keep the first value of a setting; report a later file that sets it differently, naming both.
fn agree(
    key: &str,
    value: Option<(u32, Location)>,
    first: &mut Option<(u32, Location)>,
    fix: &str,
    errors: &mut Vec<ManifestError>,
) {
    let Some((value, location)) = value else {
        return;
    };
    match first {
        Some((first, first_location)) if *first != value => errors.push(ManifestError {
            location,
            message: format!(
                "{key} {value} disagrees with {key} {first} at {first_location}; {fix}"
            ),
        }),
        Some(_) => {}
        None => *first = Some((value, location)),
    }
}

/// Report entries of one request (PRODUCT §16) that disagree on `received` with its first entry (in
/// the order given: customers, subscribers, orders, each in file order), naming both places. A request
/// is one person's: it arrived on one day, and its due date is that day's.
fn check_requests<'a>(
    entries: impl Iterator<Item = &'a AbsentEntry>,
    errors: &mut Vec<ManifestError>,
) {
    let mut first: BTreeMap<&RequestId, &AbsentEntry> = BTreeMap::new();
    for entry in entries {
        let Some(request) = &entry.request else {
            continue;
        };
        let Some(earlier) = first.get(request) else {
            first.insert(request, entry);
            continue;
        };
        if earlier.received != entry.received {
            let day = |entry: &AbsentEntry| {
                entry
                    .received
                    .map_or_else(|| "no `received`".to_string(), |d| format!("received {d}"))
            };
            errors.push(ManifestError {
                location: entry.location.clone(),
                message: format!(
                    "request {request} has {} here but {} at {}: the entries of one request must \
                     agree on `received` (the day the request arrived); correct one",
                    day(entry),
                    day(earlier),
                    earlier.location
                ),
            });
        }
    }
}

/// Report protected IDs listed twice; return each protected ID with its first place, sorted by ID.
fn check_protect(
    list: &[(CustomerId, Location)],
    errors: &mut Vec<ManifestError>,
) -> Vec<(CustomerId, usize)> {
    let mut order: Vec<(CustomerId, usize)> = list
        .iter()
        .enumerate()
        .map(|(index, (id, _))| (*id, index))
        .collect();
    order.sort_unstable();
    order.dedup_by(|later, first| {
        if later.0 != first.0 {
            return false;
        }
        let (id, location) = &list[later.1];
        errors.push(ManifestError {
            location: location.clone(),
            message: format!(
                "customer ID {id} is protected twice: also at {}; remove one",
                list[first.1].1
            ),
        });
        true
    });
    order
}

/// Report IDs of one resource listed twice (naming the first place) and absent IDs that are also
/// protected. Sorting (ID, position) pairs keeps this at 8 bytes per entry for a million-ID manifest.
fn check_absent(
    (noun, key): (&str, &str),
    absent: &[AbsentEntry],
    protect_list: &[(CustomerId, Location)],
    protect: &[(CustomerId, usize)],
    errors: &mut Vec<ManifestError>,
) {
    let mut order: Vec<(CustomerId, u32)> = Vec::with_capacity(absent.len());
    for (index, entry) in absent.iter().enumerate() {
        // More than 4 billion entries cannot fit in memory anyway; stop pairing rather than wrap.
        let Ok(index) = u32::try_from(index) else {
            break;
        };
        order.push((entry.id, index));
    }
    order.sort_unstable();
    let mut previous: Option<(CustomerId, u32)> = None;
    for &(id, index) in &order {
        let entry = &absent[index as usize];
        match previous {
            Some((previous_id, first)) if previous_id == id => errors.push(ManifestError {
                location: entry.location.clone(),
                message: format!(
                    "{noun} ID {id} is listed twice in `{key}`: also at {}; remove one",
                    absent[first as usize].location
                ),
            }),
            _ => {
                previous = Some((id, index));
                if let Ok(found) = protect.binary_search_by_key(&id, |(p, _)| *p) {
                    let protected_at = &protect_list[protect[found].1].1;
                    errors.push(ManifestError {
                        location: entry.location.clone(),
                        message: format!(
                            "customer ID {id} is listed in `absent` here and in `protect` at \
                             {protected_at}: an ID cannot be both deleted and protected; remove one"
                        ),
                    });
                }
            }
        }
    }
}
