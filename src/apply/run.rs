//! The apply use-case, end to end: lock → the plan's offline checks → reconcile → plan → guards →
//! approval → execute → verify. It reaches the user only through a [`View`] and an [`Approver`]
//! (Terraform's `backend_apply.go`: `opApply` talks through `View` and `UIInput`), and returns an
//! [`Outcome`] that knows its exit code, so the CLI, the property tests and the benchmark run exactly
//! the same path.
//!
//! Where the plan comes from (made now, or a saved plan file) is one value, a [`PlanSource`]: its
//! methods check it offline, prove its claims, list it into a `Planned`, say whether it is approved
//! and name it in the audit log, so this module has no branch on it.
//!
//! The lock is held from the first step to the last and released before `run` returns, however it
//! ends (declined, interrupted at the prompt, an error, a stop at once).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::reconcile::{ReconcileError, reconcile};
use super::store::Store;
use super::{Approved, Executed, Interrupt, Options, Target, View, execute};
use crate::Resource;
use crate::api::ApiError;
use crate::audit::{AuditEntry, AuditError, AuditLog, EventKind};
use crate::exit::Exit;
use crate::live::Live;
use crate::manifest::Manifest;
use crate::plan::guards::Violation;
use crate::plan::{Current, Plan, PlanSource, Planned, Staleness, StateRef};
use crate::state::{Lock, LockError, State, StateError};

/// Everything an apply needs but its plan's source, resolved: no arguments or environment are read
/// past this point.
#[derive(Debug, Clone)]
pub struct Request {
    /// The loaded, valid manifest.
    pub manifest: Manifest,
    /// The target store.
    pub store_hash: String,
    /// The state file (its lock sits beside it).
    pub state_path: PathBuf,
    /// The audit log.
    pub audit_path: PathBuf,
    /// IDs per DELETE (1..=250).
    pub batch_size: usize,
    /// Requests in flight.
    pub parallelism: usize,
    /// `--max-deletes`, overriding the manifest's.
    pub max_deletes: Option<u32>,
    /// Do not ask (`--auto-approve`; a saved plan is approved by being passed, [`PlanSource::is_approval`]).
    pub auto_approve: bool,
    /// Show every row of the plan.
    pub full: bool,
    /// This run's ID (state, audit, lock).
    pub run_id: String,
    /// This machine's host name, for the lock (resolved by the CLI's settings).
    pub host: String,
    /// Who runs the apply, for the audit log (resolved by the CLI's settings).
    pub actor: String,
}

/// The question put to the approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalRequest<'a> {
    pub store_hash: &'a str,
    /// Customers that would be deleted.
    pub count: usize,
    /// Newsletter subscribers that would be deleted.
    pub subscribers: usize,
    /// Orders whose personal fields would be overwritten (PRODUCT §15).
    pub orders: usize,
}

/// The approver's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    Approved,
    Declined,
    /// Ctrl-C or SIGTERM while asking.
    Interrupted,
}

/// Who approves a plan made at apply time (a prompt, or a fixed answer in tests).
pub trait Approver {
    fn approve(&self, request: &ApprovalRequest<'_>) -> Approval;
}

/// A fixed answer approves (or declines) every plan.
impl Approver for Approval {
    fn approve(&self, _request: &ApprovalRequest<'_>) -> Approval {
        *self
    }
}

/// Why an apply refused before any DELETE (exit 3).
#[derive(Debug)]
pub enum Refusal {
    /// Another apply holds the lock, or a lock that cannot be taken over.
    Lock(LockError),
    /// The saved plan no longer describes the world.
    Stale(Vec<Staleness>),
    /// The plan breaks a guard.
    Guards(Vec<Violation>),
    /// The approver said no.
    Declined,
}

/// Why an apply failed before any DELETE (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Lock(LockError),
    #[error("{0}")]
    State(StateError),
    #[error("{0}")]
    Audit(AuditError),
    #[error("could not write the audit log, so nothing was deleted: {0}")]
    AuditStart(AuditError),
    #[error("{0}")]
    Reconcile(ReconcileError),
    #[error("could not list customers or subscribers: {0}")]
    List(ApiError),
    #[error("could not write to stdout: {0}")]
    Output(std::io::Error),
}

/// What an apply that got to its DELETEs did.
#[derive(Debug)]
pub struct Applied {
    pub report: Executed,
    /// Manifest IDs that were already gone (including planned ones that vanished since a saved plan).
    pub already_absent: usize,
    pub state_path: PathBuf,
    pub audit_path: PathBuf,
}

/// How an apply ended.
#[derive(Debug)]
pub enum Outcome {
    /// Failed before any DELETE.
    Error(RunError),
    /// Refused before any DELETE.
    Refused(Refusal),
    /// Interrupted before any DELETE (while listing, or at the prompt).
    Interrupted,
    /// Nothing to delete.
    NoChanges,
    /// Deletions were attempted.
    Applied(Box<Applied>),
}

impl Outcome {
    /// The process exit code (PRODUCT §2), one arm per outcome, no wildcard.
    pub fn exit(&self) -> Exit {
        match self {
            Outcome::Error(_) => Exit::Error,
            Outcome::Refused(_) => Exit::Refused,
            Outcome::Interrupted => Exit::Interrupted,
            Outcome::NoChanges => Exit::Success,
            Outcome::Applied(applied) => applied.report.exit(),
        }
    }
}

/// A lock that could not be taken: an I/O problem is an error, anyone else's lock a refusal.
fn lock_outcome(error: LockError) -> Outcome {
    match error {
        LockError::Io { .. } => Outcome::Error(RunError::Lock(error)),
        LockError::Held { .. } | LockError::OtherHost { .. } | LockError::Unrecognized { .. } => {
            Outcome::Refused(Refusal::Lock(error))
        }
    }
}

/// Run `future`, unless an interrupt comes first.
async fn unless_interrupted<T>(
    interrupt: &Interrupt,
    future: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        value = future => Some(value),
        () = interrupt.reached(1) => None,
    }
}

/// Apply `request`, with the plan `source` gives, to `store`. See the module documentation for the
/// steps.
pub async fn run<S: Store<ListError = ApiError>>(
    request: &Request,
    source: &PlanSource,
    store: &S,
    view: &dyn View,
    approver: &dyn Approver,
    interrupt: &Interrupt,
) -> Outcome {
    let acquired = match Lock::acquire(&request.state_path, &request.run_id, &request.host) {
        Ok(acquired) => acquired,
        Err(error) => return lock_outcome(error),
    };
    if let Some(previous) = &acquired.taken_over {
        view.lock_taken_over(previous);
    }
    let outcome = locked(request, source, store, view, approver, interrupt).await;
    drop(acquired.lock);
    outcome
}

/// Everything after the lock; the caller releases it whatever this returns.
async fn locked<S: Store<ListError = ApiError>>(
    request: &Request,
    source: &PlanSource,
    store: &S,
    view: &dyn View,
    approver: &dyn Approver,
    interrupt: &Interrupt,
) -> Outcome {
    let manifest = &request.manifest;
    let store_hash = request.store_hash.as_str();
    let mut state = match State::load(&request.state_path).and_then(|state| {
        if let Some(state) = &state {
            state.check_store(&request.state_path, store_hash)?;
        }
        Ok(state)
    }) {
        Ok(state) => state,
        Err(error) => return Outcome::Error(RunError::State(error)),
    };

    // The plan is checked offline first (a saved plan's manifest, state, store and API host), before
    // the audit log is opened.
    let state_ref = state.as_ref().map(|s| StateRef {
        lineage: s.lineage.to_string(),
        serial: s.serial,
    });
    let api_host = store.api_host();
    let stale = source.offline_staleness(&Current {
        manifest_sha256: Some(&manifest.sha256),
        state: state_ref.as_ref(),
        store_hash: Some(store_hash),
        api_host: Some(&api_host),
    });
    if !stale.is_empty() {
        return Outcome::Refused(Refusal::Stale(stale));
    }

    let head = state.as_ref().and_then(|s| s.audit_head.as_ref()); // PRODUCT §10
    let mut audit = match AuditLog::open_at_head(&request.audit_path, head, &request.actor) {
        Ok(audit) => audit,
        Err(error) => return Outcome::Error(RunError::Audit(error)),
    };
    // PRODUCT §14: only what the audit log proves is settled. Unproven records are taken out of the
    // state before anything is saved (never laundered into a new digest), and listed again.
    let checked = state.as_ref().map(|s| {
        let settled = s.settled();
        let claim = crate::evidence::Claim {
            lineage: s.lineage,
            serial: s.serial,
            store_hash: &s.store_hash,
            audit_head: s.audit_head.as_ref(),
            settled: &settled,
            orders_wanted: !manifest.orders.redact_customers.is_empty(),
        };
        crate::evidence::check(claim, &request.audit_path)
    });
    if let (Some(state), Some(checked)) = (state.as_mut(), checked.as_ref())
        && !checked.unproven.is_empty()
    {
        let unproven: BTreeSet<(Resource, u32)> = checked.unproven.iter().copied().collect();
        state.drop_unproven(|resource, id| !unproven.contains(&(resource, id)));
        view.warn(&crate::evidence::unproven_message(
            &checked.unproven,
            checked.why.as_deref(),
        ));
    }
    if let (Some(state), Some(checked)) = (state.as_mut(), checked.as_ref())
        && let Some(warning) = super::orders::use_logged_orders(state, checked)
    {
        view.warn(&warning);
    }
    // What the plan claims settled must be what the log proves (a saved plan's `recorded` rows).
    let unproven = source.unproven(checked.as_ref().map(|c| &c.settled));
    if !unproven.is_empty() {
        return Outcome::Refused(Refusal::Stale(unproven));
    }
    let options = Options {
        batch_size: request.batch_size,
        parallelism: request.parallelism,
        run_id: request.run_id.clone(),
        state_path: request.state_path.clone(),
    };
    let reasons: BTreeMap<Target, Option<String>> = manifest
        .entries()
        .map(|(resource, e)| {
            let target = Target { resource, id: e.id };
            (target, e.reason.as_deref().map(str::to_owned))
        })
        .collect();

    // Settle what an earlier run left open, so the plan and the state start from the truth.
    let intents = match audit.unfinished_intents() {
        Ok(intents) => intents,
        Err(error) => return Outcome::Error(RunError::Audit(error)),
    };
    let needs_reconcile = !intents.is_empty()
        || state.as_ref().is_some_and(|s| {
            Resource::ALL
                .into_iter()
                .any(|resource| !s.unverified(resource).is_empty())
        });
    if needs_reconcile {
        let state = state.get_or_insert_with(|| State::new(store_hash, &manifest.sha256));
        let settled = reconcile(store, &intents, &reasons, &options, &mut audit, state);
        match unless_interrupted(interrupt, settled).await {
            None => return Outcome::Interrupted,
            Some(Err(error)) => return Outcome::Error(RunError::Reconcile(error)),
            Some(Ok(done)) => {
                if !done.is_empty() {
                    view.reconciled(&done);
                }
            }
        }
    }

    // The plan to approve, from its source (made now, or the saved one re-listed and checked). The
    // state's unproven records were taken out above, so what it settles is what the log proves (with
    // what reconcile has just recorded): a plan made now lists only the rest (PRODUCT §11), unless
    // --refresh-all.
    let settled = state.as_ref().map(State::settled);
    let planning = source.planned(manifest, settled.as_ref(), request.max_deletes, store);
    let planned = match unless_interrupted(interrupt, planning).await {
        None => return Outcome::Interrupted,
        Some(Err(error)) => return Outcome::Error(RunError::List(error)),
        Some(Ok(planned)) => planned,
    };
    view.listed(&planned.listed, store_hash, store.requests_sent());
    // PRODUCT §14: a recorded ID the listing found present stops being settled at once.
    if let Some(state) = state.as_mut() {
        let present: Vec<(Resource, u32)> = planned
            .present()
            .into_iter()
            .map(|t| (t.resource, t.id))
            .collect();
        let marked = crate::evidence::mark_reappeared(&mut audit, state, &present, &request.run_id);
        match marked {
            Err(error) => return Outcome::Error(RunError::AuditStart(error)),
            Ok(marked) if !marked.is_empty() => {
                let stored = crate::evidence::save_state(
                    &mut audit,
                    state,
                    &request.state_path,
                    &request.run_id,
                );
                match stored {
                    Ok(()) => {}
                    Err(crate::evidence::SaveError::State(error)) => {
                        return Outcome::Error(RunError::State(error));
                    }
                    Err(crate::evidence::SaveError::Audit(error)) => {
                        return Outcome::Error(RunError::AuditStart(error));
                    }
                }
            }
            Ok(_) => {}
        }
    }
    if !planned.stale.is_empty() {
        return Outcome::Refused(Refusal::Stale(planned.stale));
    }
    if !planned.violations.is_empty() {
        return Outcome::Refused(Refusal::Guards(planned.violations));
    }
    let Planned {
        plan,
        vanished,
        live,
        ..
    } = planned;
    // Deletions and order redactions: what apply sends a request for.
    let to_delete: Vec<Target> = plan
        .to_change()
        .map(|c| Target {
            resource: c.resource,
            id: c.id,
        })
        .collect();
    if let Err(error) = view.plan(&plan, request.full) {
        return Outcome::Error(RunError::Output(error));
    }
    if !vanished.is_empty() {
        view.skipped(&vanished);
    }
    if to_delete.is_empty() {
        // PRODUCT §9: what this apply found absent is recorded, even with nothing to delete.
        let found = super::found::found_absent(&plan, &vanished);
        let state = state.get_or_insert_with(|| State::new(store_hash, &manifest.sha256));
        let orders = super::orders::found_orders(&plan, state);
        let run = (
            request.run_id.as_str(),
            store_hash,
            manifest.sha256.as_str(),
        );
        let path = &request.state_path;
        if let Err(error) =
            super::found::record_no_delete_apply(&mut audit, state, &found, &orders, run, path)
        {
            return Outcome::Error(error.into());
        }
        return Outcome::NoChanges;
    }
    if !(source.is_approval() || request.auto_approve) {
        let question = ApprovalRequest {
            store_hash,
            count: super::count_of(&to_delete, Resource::Customer),
            subscribers: super::count_of(&to_delete, Resource::Subscriber),
            orders: super::count_of(&to_delete, Resource::Order),
        };
        match approver.approve(&question) {
            Approval::Approved => {}
            Approval::Declined => return Outcome::Refused(Refusal::Declined),
            Approval::Interrupted => return Outcome::Interrupted,
        }
    }
    if interrupt.is_set() {
        return Outcome::Interrupted;
    }
    delete(
        request,
        store,
        view,
        interrupt,
        DeleteInput {
            plan: &plan,
            live: &live,
            origin: source.origin(),
            vanished: &vanished,
            options: &options,
            audit: &mut audit,
            state: state.get_or_insert_with(|| State::new(store_hash, &manifest.sha256)),
        },
    )
    .await
}

/// What [`delete`] works on.
struct DeleteInput<'a> {
    plan: &'a Plan,
    /// What the listing that made the plan found (an order's redaction reads nothing of it again).
    live: &'a Live,
    /// Where the plan came from, for the `apply_started` line ([`PlanSource::origin`]).
    origin: String,
    vanished: &'a [Target],
    options: &'a Options,
    audit: &'a mut AuditLog,
    state: &'a mut State,
}

/// The approved part: the opening audit lines, then execute and verify.
async fn delete<S: Store<ListError = ApiError>>(
    request: &Request,
    store: &S,
    view: &dyn View,
    interrupt: &Interrupt,
    input: DeleteInput<'_>,
) -> Outcome {
    let DeleteInput {
        plan,
        live,
        origin,
        vanished,
        options,
        audit,
        state,
    } = input;
    let approved: Vec<Approved> = plan
        .to_change()
        .map(|c| Approved {
            resource: c.resource,
            id: c.id,
            reason: c.reason.clone(),
        })
        .collect();
    let already_absent = plan.summary().already_absent + vanished.len();
    state.set_manifest_sha256(&request.manifest.sha256);
    let customers: Vec<u32> = approved
        .iter()
        .filter(|a| a.resource == Resource::Customer)
        .map(|a| a.id)
        .collect();
    let subscribers: Vec<u32> = approved
        .iter()
        .filter(|a| a.resource == Resource::Subscriber)
        .map(|a| a.id)
        .collect();
    let orders: Vec<u32> = approved
        .iter()
        .filter(|a| a.resource == Resource::Order)
        .map(|a| a.id)
        .collect();
    let mut started = AuditEntry::new(&request.run_id, EventKind::ApplyStarted).ids(&customers);
    if !subscribers.is_empty() {
        // `ids` stays the customers, as in every older log; the subscribers have their own field.
        started = started.field("subscriber_ids", subscribers.clone());
    }
    // Redactions are changes of their own (PRODUCT §15), never counted as deletions.
    let counts = if orders.is_empty() {
        format!("{} to delete", customers.len() + subscribers.len())
    } else {
        started = started
            .field("order_ids", orders.clone())
            .field("to_redact", orders.len());
        format!(
            "{} to delete, {} to redact",
            customers.len() + subscribers.len(),
            orders.len()
        )
    };
    let started = started.message(format!(
        "store {}: {counts}, {already_absent} already absent; {origin}",
        request.store_hash,
    ));
    if let Err(error) = audit.append(started) {
        return Outcome::Error(RunError::AuditStart(error));
    }
    for resource in Resource::ALL {
        let ids = crate::resource::ids_of(vanished, resource);
        if ids.is_empty() {
            continue;
        }
        let skipped = super::execute::about(
            AuditEntry::new(&request.run_id, EventKind::Skipped)
                .ids(&ids)
                .message("planned for deletion but gone before the apply: skipped, not replaced"),
            resource,
        );
        if let Err(error) = audit.append(skipped) {
            return Outcome::Error(RunError::AuditStart(error));
        }
    }
    // PRODUCT §9: what this apply found absent is recorded (state and audit) before any DELETE.
    let found = super::found::found_absent(plan, vanished);
    let recorded = super::found::record_found_absent(
        audit,
        state,
        &found,
        &request.run_id,
        &request.state_path,
    );
    if let Err(error) = recorded {
        return Outcome::Error(error.into());
    }
    // PRODUCT §15: the orders found of a customer are recorded (audit and state) before any request.
    let orders = super::orders::record_found_orders(
        audit,
        state,
        plan,
        &request.run_id,
        &request.state_path,
    );
    if let Err(error) = orders {
        return Outcome::Error(error.into());
    }
    let to_change = super::execute::ToChange {
        approved: &approved,
        read: live,
    };
    let report = execute(store, to_change, options, audit, state, view, interrupt).await;
    Outcome::Applied(Box::new(Applied {
        report,
        already_absent,
        state_path: request.state_path.clone(),
        audit_path: request.audit_path.clone(),
    }))
}
