//! The guards that hold before any DELETE, whatever approved the plan: `max_deletes` and `protect`,
//! and for a saved plan that every ID it deletes is listed in the manifest. A library rule, not a CLI
//! one: `apply` refuses on them and `plan` reports them (exit 3), so a pull request cannot be approved
//! into an apply that will refuse.

use std::collections::BTreeSet;

use crate::manifest::Manifest;
use crate::resource::{Target, id_list, target_list};
use crate::{CustomerId, Resource};

/// Where the `max_deletes` limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// `--max-deletes` on the command line.
    Flag,
    /// The manifest's `max_deletes` (default 1000).
    Manifest,
}

/// One guard a plan breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// More deletions than `max_deletes` allows.
    TooMany {
        /// Customers, subscribers and order redactions together.
        count: usize,
        /// Of which subscribers.
        subscribers: usize,
        /// Of which order redactions (PRODUCT §15: they count toward `max_deletes`).
        orders: usize,
        max: u32,
        source: LimitSource,
    },
    /// The plan would delete protected IDs.
    Protected { ids: Vec<CustomerId> },
    /// A saved plan deletes IDs the manifest does not list (for their resource).
    Unlisted { ids: Vec<Target> },
    /// A saved plan redacts orders that are not the manifest's (an `orders: redact` customer's, by
    /// the store's link or the proven state, or a `redact_orders` entry) or whose retention has not
    /// ended today (PRODUCT §15): nothing is redacted on a plan file's say-so.
    OrdersNotDue { ids: Vec<u32> },
}

impl Violation {
    /// What to do about it, when there is more to say than the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            Violation::TooMany { count, .. } => Some(format!(
                "If this many deletions are intended, raise max_deletes in the manifest (reviewed like any change) or pass --max-deletes {count}."
            )),
            Violation::Protected { .. }
            | Violation::Unlisted { .. }
            | Violation::OrdersNotDue { .. } => None,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::TooMany {
                count,
                subscribers,
                orders,
                max,
                source,
            } => write!(
                f,
                "refusing to {}: {} allows at most {max}",
                {
                    let deletions = count - orders;
                    let customers = deletions - subscribers;
                    let s = |n: usize| if n == 1 { "" } else { "s" };
                    let deleted = if *subscribers == 0 {
                        format!("delete {deletions} customers")
                    } else {
                        format!(
                            "delete {deletions} records ({customers} customer{} and {subscribers} subscriber{})",
                            s(customers),
                            s(*subscribers)
                        )
                    };
                    // A redaction is a change of its own, never called a deletion (PRODUCT §15).
                    match (*orders, deletions) {
                        (0, _) => deleted,
                        (orders, 0) => format!("redact {orders} order{}", s(orders)),
                        (orders, _) => format!(
                            "{deleted} and redact {orders} order{} ({count} changes)",
                            s(orders)
                        ),
                    }
                },
                match source {
                    LimitSource::Flag => "--max-deletes",
                    LimitSource::Manifest => "the manifest's max_deletes",
                }
            ),
            Violation::Protected { ids } => write!(
                f,
                "refusing: the plan would delete protected customers {}",
                id_list(ids)
            ),
            Violation::Unlisted { ids } => write!(
                f,
                "refusing: the saved plan deletes {} the manifest does not list",
                target_list(ids)
            ),
            Violation::OrdersNotDue { ids } => write!(
                f,
                "refusing: the saved plan redacts orders {} that the manifest does not redact today \
                 (another customer's, or still retained); make a new plan",
                id_list(ids)
            ),
        }
    }
}

/// Every guard `to_delete` breaks (empty: none). `max_override` is `--max-deletes`; `saved` says the
/// deletions come from a saved plan, which must only name IDs the manifest lists. `max_deletes`
/// counts customers and subscribers together; `protect` names customers only.
pub fn check(
    manifest: &Manifest,
    max_override: Option<u32>,
    to_delete: &BTreeSet<Target>,
    saved: bool,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let (max, source) = match max_override {
        Some(max) => (max, LimitSource::Flag),
        None => (manifest.max_deletes, LimitSource::Manifest),
    };
    if to_delete.len() > max as usize {
        violations.push(Violation::TooMany {
            count: to_delete.len(),
            subscribers: to_delete
                .iter()
                .filter(|t| t.resource == Resource::Subscriber)
                .count(),
            orders: to_delete
                .iter()
                .filter(|t| t.resource == Resource::Order)
                .count(),
            max,
            source,
        });
    }
    let protected: Vec<CustomerId> = to_delete
        .iter()
        .filter(|t| t.resource == Resource::Customer && manifest.protect.contains(&t.id))
        .map(|t| t.id)
        .collect();
    if !protected.is_empty() {
        violations.push(Violation::Protected { ids: protected });
    }
    if saved {
        let listed: BTreeSet<Target> = manifest
            .entries()
            .map(|(resource, e)| Target { resource, id: e.id })
            .collect();
        // Orders are not manifest entries of their own: `plan::recheck` checks them against the
        // store and the retention (`OrdersNotDue`).
        let unlisted: Vec<Target> = to_delete
            .difference(&listed)
            .filter(|t| t.resource != Resource::Order)
            .copied()
            .collect();
        if !unlisted.is_empty() {
            violations.push(Violation::Unlisted { ids: unlisted });
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::manifest::{AbsentEntry, Location};

    fn entry(id: u32) -> AbsentEntry {
        let file: Arc<Path> = Arc::from(Path::new("m.yaml"));
        AbsentEntry {
            id,
            reason: None,
            received: None,
            request: None,
            location: Location {
                file,
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn max_deletes_counts_both_resources_and_protect_only_customers() {
        let manifest = Manifest {
            path: PathBuf::from("m.yaml"),
            files: vec![PathBuf::from("m.yaml")],
            sha256: "0".repeat(64),
            store_hash: None,
            max_deletes: 2,
            protect: [5].into_iter().collect(),
            absent: vec![entry(1)],
            absent_subscribers: vec![entry(5), entry(6)],
            respond_within_days: None,
            orders: Default::default(),
        };
        let to_delete: BTreeSet<Target> = [
            Target::customer(1),
            Target::subscriber(5),
            Target::subscriber(6),
        ]
        .into();
        let violations = check(&manifest, None, &to_delete, true);
        assert_eq!(
            violations,
            vec![Violation::TooMany {
                count: 3,
                subscribers: 2,
                orders: 0,
                max: 2,
                source: LimitSource::Manifest
            }],
            "subscriber 5 is not the protected customer 5, and every ID is listed"
        );
        assert_eq!(
            violations[0].to_string(),
            "refusing to delete 3 records (1 customer and 2 subscribers): the manifest's max_deletes allows at most 2"
        );
        // Order redactions count toward the limit, and are said as redactions (PRODUCT §15).
        let mut changes = to_delete.clone();
        changes.extend([Target::order(10), Target::order(11)]);
        let violations = check(&manifest, Some(4), &changes, false);
        assert_eq!(
            violations[0].to_string(),
            "refusing to delete 3 records (1 customer and 2 subscribers) and redact 2 orders (5 \
             changes): --max-deletes allows at most 4"
        );
        let redactions: BTreeSet<Target> = [Target::order(10), Target::order(11)].into();
        assert_eq!(
            check(&manifest, Some(1), &redactions, false)[0].to_string(),
            "refusing to redact 2 orders: --max-deletes allows at most 1"
        );
        let unlisted: BTreeSet<Target> = [Target::customer(6)].into();
        assert_eq!(
            check(&manifest, Some(10), &unlisted, true),
            vec![Violation::Unlisted {
                ids: vec![Target::customer(6)]
            }],
            "customer 6 is not listed, though subscriber 6 is"
        );
    }
}
