//! The plan: what `apply` would do, and the saved-plan document that carries it from a pull request to
//! the apply on merge.
//!
//! [`compute`] is a pure function of the manifest and the live snapshot, so it can be property-tested and
//! so `plan` and `apply` can never disagree about what a manifest means. The saved-plan file (its
//! document, reading, writing and staleness checks) lives in [`mod@file`]. [`run()`] is the plan use-case
//! every caller shares (state proof → [`mod@scope`] listing → [`compute_incremental`] → [`guards`] →
//! [`Planned`]); [`recheck`] brings a saved plan to the same [`Planned`]; [`PlanSource`] is how an
//! apply gets its [`Planned`] (made now, or a saved [`PlanFile`]).

use serde::{Deserialize, Serialize};

use crate::Resource;
use crate::live::Live;
use crate::manifest::{AbsentEntry, Manifest};
use crate::mask;
use crate::state::Settled;

pub mod cost;
pub mod file;
pub mod guards;
pub mod orders;
pub mod run;
pub mod scope;

pub use file::{
    Current, FORMAT_VERSION, ManifestRef, PlanCheckError, PlanFileError, SavedPlan, Staleness,
    StateRef, check_offline, live_staleness, offline_staleness, unproven_claims,
};
pub use run::{
    Input, PlanFile, PlanSource, Planned, ProvenState, load_state, recheck, run, today_utc,
};

/// What happens to one manifest ID.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The customer (or subscriber) exists now and will be deleted.
    Delete,
    /// The order's retention has ended: its personal fields will be overwritten (PRODUCT §15).
    Redact,
    /// The order is kept for the law until `retained_until`; nothing is sent for it now.
    Retain,
    /// The record does not exist (or the order is already redacted); nothing to do.
    Absent,
}

impl Action {
    /// The word shown in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Redact => "redact",
            Action::Retain => "retain",
            Action::Absent => "absent",
        }
    }

    /// Whether apply sends a request for it (a deletion or a redaction).
    pub fn changes(self) -> bool {
        matches!(self, Action::Delete | Action::Redact)
    }
}

/// One manifest ID and what the plan does with it. Personal data only ever appears masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// `customer`, `subscriber` (PRODUCT §7) or `order` (§15): each has its own ID namespace. Plans
    /// saved before subscribers existed have none and are customers.
    #[serde(default)]
    pub resource: Resource,
    /// The customer, subscriber or order ID.
    pub id: u32,
    /// `delete` (exists now), `redact` / `retain` (an order, §15) or `absent` (already gone, or an
    /// order already redacted).
    pub action: Action,
    /// An order's last day of retention (§15): redacted once today (UTC) is after it. Only for orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub retained_until: Option<jiff::civil::Date>,
    /// An order's customer, when it was discovered through `orders: redact` on that customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<u32>,
    /// The legal basis of an order's retention (the manifest's `orders_retention.basis`), shown as
    /// `until DATE (basis)` beside a retained order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// An order's shipping addresses (each is one more `PUT` when it is redacted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shipping_addresses: usize,
    /// `absent` without a request: the state records it as deleted and verified, or found absent, so it
    /// was not listed again (PRODUCT §11; IDs are never reused). False for everything listed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recorded: bool,
    /// `delete` of an ID the state records as gone: it is present again (found by `--refresh-all`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reappeared: bool,
    /// The day the erasure request arrived, from the manifest (PRODUCT §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub received: Option<jiff::civil::Date>,
    /// The day it must be done by: one calendar month after `received`, or `respond_within_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub due: Option<jiff::civil::Date>,
    /// The reason given in the manifest, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The customer's email, masked (`j***@example.com`); only for `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_masked: Option<String>,
    /// The customer's name, masked (`J*** D***`); only for `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_masked: Option<String>,
    /// The customer's `date_modified` as the API returned it when planned; a saved plan whose customer
    /// changed since is stale. Only for `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
}

/// Counts of a plan, in the order of the summary line.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "Summary")]
pub struct Counts {
    pub to_delete: usize,
    /// Orders to redact now (PRODUCT §15).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub to_redact: usize,
    /// Orders kept until their retention ends.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retained: usize,
    pub already_absent: usize,
    /// Whether the plan has order rows (the summary line then names orders).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub orders: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What `apply` would do: every manifest ID exactly once, deletions first, each group sorted by ID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
}

impl Plan {
    /// The IDs to delete, ascending.
    pub fn to_delete(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|change| change.action == Action::Delete)
    }

    /// What apply sends a request for: deletions and order redactions.
    pub fn to_change(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| change.action.changes())
    }

    /// The counts for the summary line. `already_absent` counts every settled record of any kind
    /// (customers and subscribers found absent or erased, orders already redacted).
    pub fn summary(&self) -> Counts {
        let count = |action: Action| self.changes.iter().filter(|c| c.action == action).count();
        Counts {
            to_delete: count(Action::Delete),
            to_redact: count(Action::Redact),
            retained: count(Action::Retain),
            already_absent: count(Action::Absent),
            orders: self.changes.iter().any(|c| c.resource == Resource::Order),
        }
    }

    /// True when applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.to_change().next().is_none()
    }
}

impl Counts {
    /// The stable summary line: `Plan: N to delete, M already absent.`, or when orders are involved
    /// `Plan: N to delete, R to redact, K retained, M already absent.` (PRODUCT §15).
    pub fn line(&self) -> String {
        if self.orders || self.to_redact > 0 || self.retained > 0 {
            format!(
                "Plan: {} to delete, {} to redact, {} retained, {} already absent.",
                self.to_delete, self.to_redact, self.retained, self.already_absent
            )
        } else {
            format!(
                "Plan: {} to delete, {} already absent.",
                self.to_delete, self.already_absent
            )
        }
    }
}

/// Decide, for every manifest ID (customers and subscribers), whether it is to be deleted (it exists
/// in `live`) or already absent.
///
/// Pure: the same inputs always give the same plan. Records in `live` that the manifest does not name
/// are ignored (the planner never deletes more than the manifest asks for), and protected customer IDs
/// are never deleted even if a caller hands in a manifest that was not validated (`protect` names
/// customers only).
pub fn compute(manifest: &Manifest, live: &Live) -> Plan {
    compute_incremental(manifest, live, None, true)
}

/// [`compute`] for a listing that skipped the IDs the state records as `settled` (PRODUCT §11), unless
/// `refresh_all`: a settled ID is then `absent` with `recorded: true` (it was not listed, so `live`
/// says nothing about it). With `refresh_all` every ID was listed; a settled ID found present again is
/// deleted with `reappeared: true`.
pub fn compute_incremental(
    manifest: &Manifest,
    live: &Live,
    settled: Option<&Settled>,
    refresh_all: bool,
) -> Plan {
    let mut changes: Vec<Change> = manifest
        .entries()
        .map(|(resource, entry)| {
            let absent = Change::absent(resource, entry, manifest);
            let settled = settled.is_some_and(|s| s.contains(resource, entry.id));
            if settled && !refresh_all {
                return Change {
                    recorded: true,
                    ..absent
                };
            }
            let protected = resource == Resource::Customer && manifest.protect.contains(&entry.id);
            let listed = match resource {
                Resource::Customer => live.customers.get(&entry.id).map(|c| {
                    (
                        &c.email,
                        &c.first_name,
                        &c.last_name,
                        c.date_modified.clone(),
                    )
                }),
                Resource::Subscriber => live.subscribers.get(&entry.id).map(|s| {
                    (
                        &s.email,
                        &s.first_name,
                        &s.last_name,
                        s.date_modified.clone(),
                    )
                }),
                // Orders are not manifest entries of their own kind here: see `orders::changes`.
                Resource::Order => None,
            };
            match listed {
                Some((email, first, last, date_modified)) if !protected => Change {
                    action: Action::Delete,
                    reappeared: settled,
                    email_masked: Some(mask::email(email)),
                    name_masked: Some(mask::name(&format!("{first} {last}"))),
                    date_modified: Some(date_modified),
                    ..absent
                },
                _ => absent,
            }
        })
        .collect();
    changes.sort_by_key(Change::order);
    Plan { changes }
}

impl Change {
    /// The change for a manifest entry that is absent: its resource, ID, reason and deadline, nothing
    /// from the store. A deletion fills in what was listed.
    pub fn absent(resource: Resource, entry: &AbsentEntry, manifest: &Manifest) -> Change {
        Change {
            resource,
            id: entry.id,
            action: Action::Absent,
            retained_until: None,
            customer_id: None,
            basis: None,
            shipping_addresses: 0,
            recorded: false,
            reappeared: false,
            received: entry.received,
            due: entry.received.map(|received| manifest.due(received)),
            reason: entry.reason.as_deref().map(str::to_owned),
            email_masked: None,
            name_masked: None,
            date_modified: None,
        }
    }

    /// A plan's order: deletions first, then what is already absent; customers before subscribers;
    /// by ID.
    pub fn order(&self) -> (Action, Resource, u32) {
        (self.action, self.resource, self.id)
    }

    /// Whether this change is overdue on `today`: still to delete (or redact) and past its due date.
    pub fn is_overdue(&self, today: jiff::civil::Date) -> bool {
        self.action.changes() && self.due.is_some_and(|due| due < today)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;

    use crate::CustomerId;

    use super::*;
    use crate::live::LiveCustomer;
    use crate::manifest::{AbsentEntry, Location};

    fn manifest(absent: &[CustomerId], protect: &[CustomerId]) -> Manifest {
        let file: Arc<Path> = Arc::from(Path::new("m.yaml"));
        Manifest {
            path: PathBuf::from("m.yaml"),
            files: vec![PathBuf::from("m.yaml")],
            sha256: "0".repeat(64),
            store_hash: None,
            max_deletes: 1000,
            protect: protect.iter().copied().collect(),
            absent_subscribers: Vec::new(),
            respond_within_days: None,
            orders: Default::default(),
            absent: absent
                .iter()
                .enumerate()
                .map(|(i, &id)| AbsentEntry {
                    id,
                    reason: Some(format!("reason {id}").into()),
                    received: None,
                    request: None,
                    location: Location {
                        file: file.clone(),
                        line: u32::try_from(i).unwrap_or(0) + 2,
                        column: 5,
                    },
                })
                .collect(),
        }
    }

    fn live(ids: &[CustomerId]) -> Live {
        Live {
            subscribers: BTreeMap::new(),
            orders: BTreeMap::new(),
            customers: ids
                .iter()
                .map(|&id| {
                    (
                        id,
                        LiveCustomer {
                            id,
                            email: format!("person{id}@example.com"),
                            first_name: "Pat".into(),
                            last_name: "Lee".into(),
                            date_modified: "2026-01-02T03:04:05Z".into(),
                            record: serde_json::json!({ "id": id }),
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn existing_ids_are_deleted_and_missing_ones_already_absent() {
        let plan = compute(&manifest(&[5, 3, 9], &[]), &live(&[1, 3, 5]));
        let actions: Vec<_> = plan.changes.iter().map(|c| (c.action, c.id)).collect();
        assert_eq!(
            actions,
            vec![
                (Action::Delete, 3),
                (Action::Delete, 5),
                (Action::Absent, 9)
            ]
        );
        assert_eq!(
            plan.summary().line(),
            "Plan: 2 to delete, 1 already absent."
        );
        let first = &plan.changes[0];
        assert_eq!(first.email_masked.as_deref(), Some("p***@example.com"));
        assert_eq!(first.name_masked.as_deref(), Some("P*** L***"));
        assert_eq!(first.reason.as_deref(), Some("reason 3"));
    }

    #[test]
    fn a_protected_id_is_never_deleted_even_from_an_unvalidated_manifest() {
        let plan = compute(&manifest(&[3], &[3]), &live(&[3]));
        assert!(plan.is_empty());
    }

    #[test]
    fn saved_plan_round_trips_and_checks() {
        let m = manifest(&[1, 2], &[]);
        let plan = compute(&m, &live(&[1]));
        let saved = SavedPlan::new(
            &plan,
            &m,
            "acme",
            "api.test",
            None,
            jiff::Timestamp::UNIX_EPOCH,
        );
        let text = serde_json::to_string(&saved).expect("serialize");
        assert!(!text.contains("person1@example.com"), "{text}");
        let back: SavedPlan = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, saved);
        assert_eq!(back.check(), Ok(()));
        let mut wrong = back.clone();
        wrong.format_version = 2;
        assert!(wrong.check().is_err());
    }

    #[test]
    fn staleness_detects_each_change() {
        let m = manifest(&[1, 2], &[]);
        let saved = SavedPlan::new(
            &compute(&m, &live(&[1])),
            &m,
            "acme",
            "api.test",
            None,
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert!(offline_staleness(&saved, Some(&m.sha256), None, Some("acme")).is_empty());
        let state = StateRef {
            lineage: "l".into(),
            serial: 1,
        };
        let reasons = offline_staleness(&saved, Some("ff"), Some(&state), Some("other"));
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        // The API host is a staleness reason like the others, not an ad-hoc check.
        let current = Current {
            manifest_sha256: Some(&m.sha256),
            store_hash: Some("acme"),
            api_host: Some("elsewhere.test"),
            ..Current::default()
        };
        assert_eq!(
            check_offline(&saved, &current),
            vec![Staleness::ApiHostChanged {
                planned: "api.test".into(),
                now: "elsewhere.test".into()
            }]
        );
        let same = Current {
            api_host: Some("api.test"),
            ..current
        };
        assert!(check_offline(&saved, &same).is_empty());

        assert!(live_staleness(&saved, &live(&[1])).is_empty());
        // Vanished since the plan: not stale, apply skips it.
        assert!(live_staleness(&saved, &live(&[])).is_empty());
        let mut modified = live(&[1]);
        if let Some(c) = modified.customers.get_mut(&1) {
            c.date_modified = "2026-02-02T00:00:00Z".into();
        }
        assert!(matches!(
            live_staleness(&saved, &modified)[..],
            [Staleness::CustomerModified { id: 1, .. }]
        ));
        assert_eq!(
            live_staleness(&saved, &live(&[1, 2])),
            vec![Staleness::CustomerAppeared { id: 2 }]
        );
    }

    #[test]
    fn subscribers_are_planned_in_their_own_namespace_and_protect_is_for_customers() {
        let mut m = manifest(&[3], &[3, 7]);
        m.absent_subscribers = manifest(&[7, 8], &[]).absent;
        let mut listed = live(&[3, 7]);
        listed.subscribers = live(&[7])
            .customers
            .into_iter()
            .map(|(id, c)| (id, c.into()))
            .collect();
        let plan = compute(&m, &listed);
        let actions: Vec<_> = plan
            .changes
            .iter()
            .map(|c| (c.action, c.resource, c.id))
            .collect();
        assert_eq!(
            actions,
            vec![
                (Action::Delete, Resource::Subscriber, 7),
                (Action::Absent, Resource::Customer, 3),
                (Action::Absent, Resource::Subscriber, 8),
            ],
            "customer 3 is protected; subscriber 7 is not, though customer 7 is"
        );
        assert_eq!(
            plan.summary().line(),
            "Plan: 1 to delete, 2 already absent."
        );
    }

    #[test]
    fn settled_ids_are_recorded_and_a_refresh_finds_them_reappeared() {
        let m = manifest(&[1, 2], &[]);
        let mut state = crate::state::State::new("acme", "0".repeat(64));
        state.record_deleted(1, jiff::Timestamp::UNIX_EPOCH, "r", None, true);
        let state = state.settled();
        // Incremental: 1 was not listed (so `live` says nothing about it).
        let plan = compute_incremental(&m, &live(&[2]), Some(&state), false);
        let one = plan.changes.iter().find(|c| c.id == 1).expect("change");
        assert!(one.recorded && one.action == Action::Absent);
        // Full refresh: 1 is present again.
        let plan = compute_incremental(&m, &live(&[1, 2]), Some(&state), true);
        let one = plan.changes.iter().find(|c| c.id == 1).expect("change");
        assert!(one.reappeared && !one.recorded && one.action == Action::Delete);
        let two = plan.changes.iter().find(|c| c.id == 2).expect("change");
        assert!(!two.reappeared && two.action == Action::Delete);
    }

    proptest! {
        /// Deletions are exactly manifest ∩ live minus protect; every manifest ID appears once.
        #[test]
        fn deletions_are_manifest_and_live_only(
            absent in proptest::collection::btree_set(1u32..200, 0..60),
            live_ids in proptest::collection::btree_set(1u32..200, 0..120),
            protect in proptest::collection::btree_set(1u32..200, 0..10),
        ) {
            let absent: Vec<_> = absent.into_iter().collect();
            let live_ids: Vec<_> = live_ids.into_iter().collect();
            let protect: Vec<_> = protect.into_iter().collect();
            let plan = compute(&manifest(&absent, &protect), &live(&live_ids));
            let deleted: BTreeSet<_> = plan.to_delete().map(|c| c.id).collect();
            let expected: BTreeSet<_> = absent.iter().copied()
                .filter(|id| live_ids.contains(id) && !protect.contains(id)).collect();
            prop_assert_eq!(deleted, expected);
            prop_assert_eq!(plan.changes.len(), absent.len());

            // After applying (removing the deleted IDs from the store), a re-plan has nothing to do.
            let after: Vec<_> = live_ids.iter().copied()
                .filter(|id| !plan.to_delete().any(|c| c.id == *id)).collect();
            prop_assert!(compute(&manifest(&absent, &protect), &live(&after)).is_empty());
        }
    }
}
