//! The plan use-case, in one place: load what the state proves settled (PRODUCT §14), list what it
//! does not settle (PRODUCT §11), compute the plan and apply the guards (PRODUCT §4), and return a
//! [`Planned`]. `bcprune plan`, `apply` (a plan made at apply time), the demo and the benchmark all
//! call [`run()`]; a saved plan is re-listed and checked by [`recheck`] into the same [`Planned`].
//! [`PlanSource`] is how an apply gets its [`Planned`] (made now, or a saved plan file): one value
//! whose methods hold every difference between the two, so apply goes on from one shape and never
//! asks where its plan came from.
//!
//! It reaches the store only through the [`Store`] seam (no client) and never prints: a warning is
//! returned for the caller to show.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::guards::{self, Violation};
use super::scope::{Listed, Scope};
use super::{
    Current, Plan, SavedPlan, Staleness, check_offline, compute_incremental, live_staleness,
    unproven_claims,
};
use crate::live::Live;
use crate::manifest::Manifest;
use crate::resource::Target;
use crate::state::{Settled, StateError, Summary};
use crate::store::Store;

/// The state as a plan needs it: its summary with only what the audit log proves settled.
#[derive(Debug, Default)]
pub struct ProvenState {
    /// `None`: no state file yet.
    pub summary: Option<Summary>,
    /// What the audit log did not prove (listed again), for the caller to show.
    pub warning: Option<String>,
}

impl ProvenState {
    /// The settled records a plan skips listing.
    pub fn settled(&self) -> Option<&Settled> {
        self.summary.as_ref().map(|s| &s.settled)
    }
}

/// Load the state at `path` for `store_hash` and keep as settled only what `audit_log` proves
/// (PRODUCT §14): the rest is listed again. `orders_wanted`: the manifest has `orders: redact`
/// customers, whose recorded orders are then the log's (PRODUCT §15), even when the state has none.
pub fn load_state(
    path: &Path,
    audit_log: &Path,
    store_hash: &str,
    orders_wanted: bool,
) -> Result<ProvenState, StateError> {
    let mut summary = Summary::load(path)?;
    let mut warning = None;
    if let Some(state) = &mut summary {
        state.check_store(path, store_hash)?;
        let claim = crate::evidence::Claim {
            lineage: state.lineage,
            serial: state.serial,
            store_hash: &state.store_hash,
            audit_head: state.audit_head.as_ref(),
            settled: &state.settled,
            orders_wanted,
        };
        let checked = crate::evidence::check(claim, audit_log);
        if !checked.unproven.is_empty() {
            warning = Some(crate::evidence::unproven_message(
                &checked.unproven,
                checked.why.as_deref(),
            ));
        }
        // The recorded orders (PRODUCT §15) are what the log's `orders_recorded` lines record,
        // customer and date alike, whatever the state says (§14): a state record the log does not
        // match is named and the log's used, one it lacks restored and named.
        if let Some(line) = crate::evidence::orders_message(&checked) {
            warning = Some(match warning {
                Some(w) => format!("{w}\n{line}"),
                None => line,
            });
        }
        state.settled = checked.settled;
    }
    Ok(ProvenState { summary, warning })
}

/// What a plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub manifest: &'a Manifest,
    /// What the (proven) state settles: not listed again unless `refresh_all`.
    pub settled: Option<&'a Settled>,
    /// `--refresh-all`: list every manifest ID.
    pub refresh_all: bool,
    /// `--max-deletes`, overriding the manifest's.
    pub max_deletes: Option<u32>,
    /// Today (UTC): an order is redacted once today is after its retention (PRODUCT §15).
    pub today: jiff::civil::Date,
}

/// Today's date in UTC, the calendar of the orders' retention clock (PRODUCT §15).
pub fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// A plan, with what it was made from and what the guards say of it.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// What the listing found.
    pub live: Live,
    /// What was listed.
    pub scope: Scope,
    /// What was listed, for the "Listed …" line.
    pub listed: Listed,
    /// Planned records that vanished since a saved plan: taken out of `plan`, skipped, never replaced.
    pub vanished: Vec<Target>,
    /// Why a saved plan no longer describes the store (empty for a fresh plan).
    pub stale: Vec<Staleness>,
    /// The guards the plan breaks (PRODUCT §4).
    pub violations: Vec<Violation>,
}

impl Planned {
    /// The records the plan deletes.
    pub fn to_delete(&self) -> BTreeSet<Target> {
        targets(&self.plan)
    }

    /// The listed records the store has now (a recorded one among them has reappeared, PRODUCT §14).
    pub fn present(&self) -> Vec<Target> {
        let customers = self.scope.customers.iter().map(|&id| Target::customer(id));
        let subscribers = self
            .scope
            .subscribers
            .iter()
            .map(|&id| Target::subscriber(id));
        customers
            .chain(subscribers)
            .filter(|t| self.live.contains(t.resource, t.id))
            .collect()
    }
}

/// What the plan changes (deletions and redactions: a redaction counts toward `max_deletes`).
fn targets(plan: &Plan) -> BTreeSet<Target> {
    plan.to_change()
        .map(|c| Target {
            resource: c.resource,
            id: c.id,
        })
        .collect()
}

/// Make a plan now: list what `input.settled` does not settle, compute, check the guards.
pub async fn run<S: Store>(input: &Input<'_>, store: &S) -> Result<Planned, S::ListError> {
    let Input {
        manifest,
        settled,
        refresh_all,
        max_deletes,
        today,
    } = *input;
    let scope = Scope::of_manifest(manifest, settled, refresh_all);
    let live = scope.list(store).await?;
    let mut plan = compute_incremental(manifest, &live, settled, refresh_all);
    plan.changes.extend(super::orders::changes(
        manifest,
        &live,
        settled,
        refresh_all,
        today,
    ));
    plan.changes.sort_by_key(super::Change::order);
    let listed = scope.listed(Scope::reappeared(manifest, settled, &live));
    let violations = guards::check(manifest, max_deletes, &targets(&plan), false);
    Ok(Planned {
        plan,
        live,
        scope,
        listed,
        vanished: Vec::new(),
        stale: Vec::new(),
        violations,
    })
}

/// Re-list a saved plan's records and check it against the store: what changed makes it stale;
/// what vanished is taken out (skipped, never replaced); the guards apply as to any plan, and every
/// record it deletes must be in `manifest`.
pub async fn recheck<S: Store>(
    saved: &SavedPlan,
    manifest: &Manifest,
    max_deletes: Option<u32>,
    settled: Option<&Settled>,
    store: &S,
) -> Result<Planned, S::ListError> {
    let scope = Scope::of_saved(&saved.changes);
    let live = scope.list(store).await?;
    // Each order the saved plan redacts is re-derived from the store and the manifest today.
    let fresh = super::orders::changes(manifest, &live, settled, false, today_utc());
    let not_due: Vec<u32> = saved
        .changes
        .iter()
        .filter(|c| c.resource == crate::Resource::Order && c.action.changes())
        .filter(|c| live.contains(c.resource, c.id))
        .filter(|c| {
            !fresh
                .iter()
                .any(|f| f.id == c.id && f.action == super::Action::Redact)
        })
        .map(|c| c.id)
        .collect();
    let reappeared = saved.changes.iter().filter(|c| c.reappeared).count();
    let listed = scope.listed(reappeared);
    let stale = live_staleness(saved, &live);
    let mut plan = saved.plan();
    let vanished: BTreeSet<Target> = targets(&plan)
        .into_iter()
        .filter(|t| !live.contains(t.resource, t.id))
        .collect();
    plan.changes.retain(|c| {
        !vanished.contains(&Target {
            resource: c.resource,
            id: c.id,
        })
    });
    let mut violations = guards::check(manifest, max_deletes, &targets(&plan), true);
    if !not_due.is_empty() {
        violations.push(Violation::OrdersNotDue { ids: not_due });
    }
    Ok(Planned {
        plan,
        live,
        scope,
        listed,
        vanished: vanished.into_iter().collect(),
        stale,
        violations,
    })
}

/// A saved plan, and where it was read from (named in the audit log).
#[derive(Debug, Clone)]
pub struct PlanFile {
    pub path: PathBuf,
    pub plan: SavedPlan,
}

/// How an apply gets its [`Planned`]: the one place that knows whether the plan is made now or was
/// saved, with one method per step where the two differ (issue 18.1).
#[derive(Debug, Clone)]
pub enum PlanSource {
    /// Planned at apply time by [`run()`]: the manifest's records that the state does not settle
    /// are listed (every one with `refresh_all`, `--refresh-all`).
    Fresh { refresh_all: bool },
    /// A saved plan (`apply --plan`): checked offline, its recorded claims proven, re-listed by
    /// [`recheck`]. Passing it is the approval.
    Saved(Box<PlanFile>),
}

impl PlanSource {
    /// Why the plan no longer describes the world before anything is listed (a saved plan's store,
    /// API host, manifest and state, [`check_offline`]); nothing for a plan made now.
    pub fn offline_staleness(&self, current: &Current<'_>) -> Vec<Staleness> {
        match self {
            PlanSource::Fresh { .. } => Vec::new(),
            PlanSource::Saved(file) => check_offline(&file.plan, current),
        }
    }

    /// The plan's claims that a record is settled that `settled` (what the audit log proves) does
    /// not back ([`unproven_claims`]); nothing for a plan made now, which claims only what it is given.
    pub fn unproven(&self, settled: Option<&Settled>) -> Vec<Staleness> {
        match self {
            PlanSource::Fresh { .. } => Vec::new(),
            PlanSource::Saved(file) => unproven_claims(&file.plan, settled),
        }
    }

    /// The plan to approve: made now from `manifest`, listing what `settled` does not settle, or the
    /// saved one re-listed and checked; the guards applied either way.
    pub async fn planned<S: Store>(
        &self,
        manifest: &Manifest,
        settled: Option<&Settled>,
        max_deletes: Option<u32>,
        store: &S,
    ) -> Result<Planned, S::ListError> {
        match self {
            PlanSource::Fresh { refresh_all } => {
                let input = Input {
                    manifest,
                    settled,
                    refresh_all: *refresh_all,
                    max_deletes,
                    today: today_utc(),
                };
                run(&input, store).await
            }
            PlanSource::Saved(file) => {
                recheck(&file.plan, manifest, max_deletes, settled, store).await
            }
        }
    }

    /// Whether the plan is approved by the way it came: a saved plan is (passing it is the approval).
    pub fn is_approval(&self) -> bool {
        match self {
            PlanSource::Fresh { .. } => false,
            PlanSource::Saved(_) => true,
        }
    }

    /// Where the plan came from, for the audit log's `apply_started` line.
    pub fn origin(&self) -> String {
        match self {
            PlanSource::Fresh { .. } => "planned at apply".to_string(),
            PlanSource::Saved(file) => format!("saved plan {}", file.path.display()),
        }
    }
}
