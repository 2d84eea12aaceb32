//! The checks that span a whole manifest (one file or several): an ID listed twice, an ID both absent and
//! protected, and `store_hash` / `max_deletes` set differently by two files. Each error names both places,
//! so a reviewer can see which line to remove.

use std::collections::BTreeSet;

use super::parse::ParsedFile;
use super::{AbsentEntry, DEFAULT_MAX_DELETES, Location, ManifestError};
use crate::CustomerId;

/// The merged contents of every file, ready to become a `Manifest` when no error was found.
pub(super) struct Merged {
    pub store_hash: Option<String>,
    pub max_deletes: u32,
    pub protect: BTreeSet<CustomerId>,
    pub absent: Vec<AbsentEntry>,
}

/// Merge the files (in the order read) and append every cross-file problem to `errors`.
pub(super) fn merge(files: Vec<ParsedFile>, errors: &mut Vec<ManifestError>) -> Merged {
    let mut store_hash: Option<(String, Location)> = None;
    let mut max_deletes: Option<(u32, Location)> = None;
    let mut protect_list: Vec<(CustomerId, Location)> = Vec::new();
    let mut absent: Vec<AbsentEntry> = Vec::new();

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
        if let Some((limit, location)) = file.max_deletes {
            match &max_deletes {
                Some((first, first_location)) if *first != limit => errors.push(ManifestError {
                    location,
                    message: format!(
                        "max_deletes {limit} disagrees with max_deletes {first} at {first_location}; \
                         set it in one file, or to the same value everywhere"
                    ),
                }),
                Some(_) => {}
                None => max_deletes = Some((limit, location)),
            }
        }
        protect_list.extend(file.protect);
        if absent.is_empty() {
            absent = file.absent;
        } else {
            absent.extend(file.absent);
        }
    }

    let protect = check_protect(&protect_list, errors);
    check_absent(&absent, &protect_list, &protect, errors);

    Merged {
        store_hash: store_hash.map(|(hash, _)| hash),
        max_deletes: max_deletes.map_or(DEFAULT_MAX_DELETES, |(limit, _)| limit),
        protect: protect.into_iter().map(|(id, _)| id).collect(),
        absent,
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

/// Report absent IDs listed twice (naming the first place) and absent IDs that are also protected.
/// Sorting (ID, position) pairs keeps this at 8 bytes per entry for a million-ID manifest.
fn check_absent(
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
                    "customer ID {id} is listed twice in `absent`: also at {}; remove one",
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
