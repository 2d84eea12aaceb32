//! The plan: what `apply` would do, and the saved-plan document that carries it from a pull request to
//! the apply on merge.
//!
//! [`compute`] is a pure function of the manifest and the live snapshot, so it can be property-tested and
//! so `plan` and `apply` can never disagree about what a manifest means. [`staleness`] is the other pure
//! check here: it decides whether a saved plan still describes the store, the manifest and the state.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::CustomerId;
use crate::api::Live;
use crate::manifest::Manifest;
use crate::mask;

/// The version of the saved-plan format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What happens to one manifest ID.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The customer exists now and will be deleted.
    Delete,
    /// The customer does not exist; nothing to do.
    Absent,
}

impl Action {
    /// The word shown in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Absent => "absent",
        }
    }
}

/// One manifest ID and what the plan does with it. Personal data only ever appears masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// The customer ID.
    pub id: CustomerId,
    /// `delete` (exists now) or `absent` (already gone).
    pub action: Action,
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
pub struct Summary {
    pub to_delete: usize,
    pub already_absent: usize,
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

    /// The counts for the summary line.
    pub fn summary(&self) -> Summary {
        let to_delete = self.to_delete().count();
        Summary {
            to_delete,
            already_absent: self.changes.len() - to_delete,
        }
    }

    /// True when applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.to_delete().next().is_none()
    }
}

impl Summary {
    /// The stable summary line: `Plan: N to delete, M already absent.`
    pub fn line(&self) -> String {
        format!(
            "Plan: {} to delete, {} already absent.",
            self.to_delete, self.already_absent
        )
    }
}

/// Decide, for every manifest ID, whether it is to be deleted (it exists in `live`) or already absent.
///
/// Pure: the same inputs always give the same plan. Customers in `live` that the manifest does not name
/// are ignored (the planner never deletes more than the manifest asks for), and protected IDs are never
/// deleted even if a caller hands in a manifest that was not validated.
pub fn compute(manifest: &Manifest, live: &Live) -> Plan {
    let mut changes: Vec<Change> = manifest
        .absent
        .iter()
        .map(|entry| match live.customers.get(&entry.id) {
            Some(customer) if !manifest.protect.contains(&entry.id) => Change {
                id: entry.id,
                action: Action::Delete,
                reason: entry.reason.as_deref().map(str::to_owned),
                email_masked: Some(mask::email(&customer.email)),
                name_masked: Some(mask::name(&format!(
                    "{} {}",
                    customer.first_name, customer.last_name
                ))),
                date_modified: Some(customer.date_modified.clone()),
            },
            _ => Change {
                id: entry.id,
                action: Action::Absent,
                reason: entry.reason.as_deref().map(str::to_owned),
                email_masked: None,
                name_masked: None,
                date_modified: None,
            },
        })
        .collect();
    changes.sort_by_key(|change| (change.action, change.id));
    Plan { changes }
}

/// The manifest a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ManifestRef {
    /// The path as given on the command line.
    pub path: String,
    /// Lowercase hex SHA-256 over the manifest files (see the manifest module).
    pub sha256: String,
}

/// The state file a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateRef {
    /// The state's lineage (UUID).
    pub lineage: String,
    /// The state's serial.
    pub serial: u64,
}

/// A saved plan (`plan --out`), and exactly what `plan --format json` prints. It holds no clear-text
/// personal data and no token: IDs, reasons, masked emails and names, and `date_modified` stamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    /// The format of this document; this build reads and writes 1.
    pub format_version: u32,
    /// The bcprune version that made the plan.
    pub tool_version: String,
    /// When the plan was made (RFC 3339, UTC).
    pub created_at: String,
    /// The store the plan is for.
    pub store_hash: String,
    /// The API host the plan was read from.
    pub api_host: String,
    /// The manifest the plan was made from.
    pub manifest: ManifestRef,
    /// The state file's lineage and serial when planned; `null` when there was no state file yet.
    pub state: Option<StateRef>,
    /// The counts.
    pub summary: Summary,
    /// Every manifest ID: deletions first, then those already absent, each sorted by ID.
    pub changes: Vec<Change>,
}

impl SavedPlan {
    /// Wrap a computed plan with what is needed to apply it later and to detect that it went stale.
    pub fn new(
        plan: &Plan,
        manifest: &Manifest,
        store_hash: &str,
        api_host: &str,
        state: Option<StateRef>,
        created_at: jiff::Timestamp,
    ) -> SavedPlan {
        SavedPlan {
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at: created_at.to_string(),
            store_hash: store_hash.to_string(),
            api_host: api_host.to_string(),
            manifest: ManifestRef {
                path: manifest.path.display().to_string(),
                sha256: manifest.sha256.clone(),
            },
            state,
            summary: plan.summary(),
            changes: plan.changes.clone(),
        }
    }

    /// The plan inside the document.
    pub fn plan(&self) -> Plan {
        Plan {
            changes: self.changes.clone(),
        }
    }

    /// Check that the document is internally consistent and of a version this build understands.
    pub fn check(&self) -> Result<(), String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "saved plan format_version {} is not supported by bcprune {} (it reads version {FORMAT_VERSION}); make a new plan with this version",
                self.format_version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        let mut seen = BTreeSet::new();
        for change in &self.changes {
            if !seen.insert(change.id) {
                return Err(format!(
                    "saved plan lists customer {} twice; make a new plan",
                    change.id
                ));
            }
            if change.action == Action::Delete && change.date_modified.is_none() {
                return Err(format!(
                    "saved plan has no date_modified for customer {} to delete; make a new plan",
                    change.id
                ));
            }
        }
        if self.plan().summary() != self.summary {
            return Err("saved plan summary does not match its changes; make a new plan".into());
        }
        Ok(())
    }
}

/// Why a saved plan no longer describes the world. Any one of these makes `apply --plan` refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// The manifest's content changed since the plan.
    ManifestChanged { planned: String, now: String },
    /// The state file was written (serial) or replaced (lineage) since the plan, or appeared/disappeared.
    StateChanged {
        planned: Option<StateRef>,
        now: Option<StateRef>,
    },
    /// The plan was made for another store.
    StoreChanged { planned: String, now: String },
    /// A customer planned for deletion was modified since (its `date_modified` differs).
    CustomerModified {
        id: CustomerId,
        planned: String,
        now: String,
    },
    /// A customer the plan saw as absent exists now (a new customer reusing the ID is never deleted
    /// without a fresh review).
    CustomerAppeared { id: CustomerId },
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn state(s: &Option<StateRef>) -> String {
            match s {
                Some(s) => format!("lineage {} serial {}", s.lineage, s.serial),
                None => "no state file".to_string(),
            }
        }
        match self {
            Staleness::ManifestChanged { planned, now } => write!(
                f,
                "the manifest changed since the plan (sha256 {} then, {} now)",
                short(planned),
                short(now)
            ),
            Staleness::StateChanged { planned, now } => write!(
                f,
                "the state file changed since the plan ({} then, {} now)",
                state(planned),
                state(now)
            ),
            Staleness::StoreChanged { planned, now } => write!(
                f,
                "the plan is for store {planned}, but the target store is {now}"
            ),
            Staleness::CustomerModified { id, planned, now } => write!(
                f,
                "customer {id} was modified since the plan (date_modified {planned} then, {now} now)"
            ),
            Staleness::CustomerAppeared { id } => {
                write!(f, "customer {id} was absent when planned but exists now")
            }
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The offline part of the staleness check: manifest, state and store. Used by `show` (as warnings) and by
/// `apply --plan` before anything is read from the store.
pub fn offline_staleness(
    saved: &SavedPlan,
    manifest_sha256: Option<&str>,
    state: Option<&StateRef>,
    store_hash: Option<&str>,
) -> Vec<Staleness> {
    let mut reasons = Vec::new();
    if let Some(now) = store_hash
        && now != saved.store_hash
    {
        reasons.push(Staleness::StoreChanged {
            planned: saved.store_hash.clone(),
            now: now.to_string(),
        });
    }
    if let Some(now) = manifest_sha256
        && now != saved.manifest.sha256
    {
        reasons.push(Staleness::ManifestChanged {
            planned: saved.manifest.sha256.clone(),
            now: now.to_string(),
        });
    }
    if saved.state.as_ref() != state {
        reasons.push(Staleness::StateChanged {
            planned: saved.state.clone(),
            now: state.cloned(),
        });
    }
    reasons
}

/// The live part of the staleness check: every planned deletion must still carry the `date_modified` it
/// was reviewed with, and nothing planned as absent may have appeared. Customers planned for deletion that
/// vanished since are not stale: apply skips them.
pub fn live_staleness(saved: &SavedPlan, live: &Live) -> Vec<Staleness> {
    let mut reasons = Vec::new();
    for change in &saved.changes {
        match (change.action, live.customers.get(&change.id)) {
            (Action::Delete, Some(customer)) => {
                let planned = change.date_modified.clone().unwrap_or_default();
                if customer.date_modified != planned {
                    reasons.push(Staleness::CustomerModified {
                        id: change.id,
                        planned,
                        now: customer.date_modified.clone(),
                    });
                }
            }
            (Action::Absent, Some(_)) => {
                reasons.push(Staleness::CustomerAppeared { id: change.id });
            }
            _ => {}
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::api::LiveCustomer;
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
            absent: absent
                .iter()
                .enumerate()
                .map(|(i, &id)| AbsentEntry {
                    id,
                    reason: Some(format!("reason {id}").into()),
                    received: None,
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
