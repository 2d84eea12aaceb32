//! `bcprune apply`: plan afresh (or take a saved plan), check the guards, ask for approval, delete,
//! verify and record, then say exactly what happened.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::apply::{self, Approved, Interrupt, Observer, Options, Report};
use crate::audit::{AuditEntry, AuditLog, EventKind};
use crate::error::Exit;
use crate::plan::{self, Plan, SavedPlan};
use crate::render;
use crate::state::{Lock, State};

use super::common::{self, error, plural, warning};
use super::{ApplyArgs, GlobalArgs};

pub fn run(global: &GlobalArgs, args: &ApplyArgs) -> Exit {
    match apply(global, args) {
        Ok(exit) | Err(exit) => exit,
    }
}

/// Print `message` as an error and yield `exit`.
fn fail<T>(exit: Exit, message: impl std::fmt::Display) -> Result<T, Exit> {
    error(message);
    Err(exit)
}

fn apply(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, Exit> {
    let saved = match &args.plan {
        Some(path) => Some(super::show::read(path).or_else(|e| fail(Exit::Error, e))?),
        None => None,
    };
    let manifest_path: PathBuf = match (&args.manifest, &saved) {
        (Some(path), _) => path.clone(),
        (None, Some(saved)) => PathBuf::from(&saved.manifest.path),
        (None, None) => {
            return fail(
                Exit::Error,
                "apply needs a MANIFEST, or --plan PLAN saved by `bcprune plan --out`",
            );
        }
    };
    let manifest = common::load_manifest(&manifest_path).map_err(|e| {
        super::error::render(&e);
        e.exit()
    })?;
    eprintln!("{}", manifest.summary());
    let store_hash = match (common::store_hash(global, &manifest), &saved) {
        (Ok(hash), _) => hash,
        // A saved plan names its store: with no other source, it is the target (the offline check
        // below refuses the plan if another source disagrees).
        (Err(_), Some(saved)) if global.store_hash.is_none() && manifest.store_hash.is_none() => {
            saved.store_hash.clone()
        }
        (Err(e), _) => return fail(Exit::Error, e),
    };
    let state_path = common::state_path(global, &manifest_path);
    let audit_path = common::audit_path(global, &manifest_path);
    super::check_distinct_files(
        &manifest.files,
        &global.files(&manifest_path),
        args.plan.as_deref().map(|plan| ("--plan", plan)),
    )
    .or_else(|e| fail(Exit::Error, e))?;
    let run_id = uuid::Uuid::new_v4().to_string();

    let acquired = Lock::acquire(&state_path, &run_id).or_else(|e| {
        let exit = match e {
            crate::state::LockError::Io { .. } => Exit::Error,
            _ => Exit::Refused,
        };
        fail(exit, e)
    })?;
    let lock = acquired.lock;
    if let Some(previous) = acquired.taken_over {
        warning(crate::state::describe_takeover(&previous));
    }
    let mut state =
        common::load_state(&state_path, &store_hash).or_else(|e| fail(Exit::Error, e))?;

    // A saved plan is checked offline first: the manifest, the state and the store it was made against.
    if let Some(saved) = &saved {
        let stale = plan::offline_staleness(
            saved,
            Some(&manifest.sha256),
            common::state_ref(state.as_ref()).as_ref(),
            Some(&store_hash),
        );
        refuse_if_stale(&stale)?;
    }

    let client = common::client(global, &store_hash).or_else(|e| fail(Exit::Error, e))?;
    if let Some(saved) = &saved
        && saved.api_host != client.api_host()
    {
        error(format!(
            "the saved plan was made against the API at {}, but this apply targets {} (--api-url or BIGCOMMERCE_API_URL). Nothing was deleted.",
            saved.api_host,
            client.api_host()
        ));
        return Err(Exit::Refused);
    }
    let runtime = common::runtime().or_else(|e| fail(Exit::Error, e))?;
    let mut audit_log = AuditLog::open(&audit_path).or_else(|e| fail(Exit::Error, e))?;
    let options = Options {
        batch_size: usize::from(global.batch_size),
        parallelism: usize::from(global.parallelism),
        run_id: run_id.clone(),
        state_path: state_path.clone(),
    };
    let reasons: BTreeMap<_, _> = manifest
        .absent
        .iter()
        .map(|e| (e.id, e.reason.as_deref().map(str::to_owned)))
        .collect();

    // Settle what an earlier run left open, so the plan and the state start from the truth.
    let intents = audit_log
        .unfinished_intents()
        .or_else(|e| fail(Exit::Error, e))?;
    let needs_reconcile = !intents.is_empty()
        || state
            .as_ref()
            .is_some_and(|s| !s.unverified_ids().is_empty());
    if needs_reconcile {
        let state = state.get_or_insert_with(|| State::new(&store_hash, &manifest.sha256));
        let done = runtime
            .block_on(apply::reconcile(
                &client,
                &intents,
                &reasons,
                &options,
                &mut audit_log,
                state,
            ))
            .or_else(|e| fail(Exit::Error, e))?;
        if !done.is_empty() {
            eprintln!(
                "Reconciled an earlier run: {} deletion{} recorded, {} confirmed, {} still present.",
                done.recorded.len(),
                plural(done.recorded.len()),
                done.confirmed.len(),
                done.still_present.len()
            );
        }
    }

    // The plan to approve: made now, or the saved one re-checked against the store.
    let ids: Vec<_> = match &saved {
        Some(saved) => saved.changes.iter().map(|c| c.id).collect(),
        None => manifest.absent.iter().map(|e| e.id).collect(),
    };
    let live = runtime
        .block_on(client.list(&ids))
        .or_else(|e| fail(Exit::Error, format!("could not list customers: {e}")))?;
    eprintln!(
        "Listed {} customer{} in store {store_hash} ({} request{}).\n",
        ids.len(),
        plural(ids.len()),
        common::requests_sent(&client),
        plural(common::requests_sent(&client) as usize)
    );
    let (plan, vanished) = match &saved {
        Some(saved) => {
            refuse_if_stale(&plan::live_staleness(saved, &live))?;
            let mut plan = saved.plan();
            let vanished: Vec<_> = plan
                .to_delete()
                .filter(|c| !live.customers.contains_key(&c.id))
                .map(|c| c.id)
                .collect();
            // Customers that vanished since the plan are skipped, never replaced.
            plan.changes.retain(|c| !vanished.contains(&c.id));
            (plan, vanished)
        }
        None => (plan::compute(&manifest, &live), Vec::new()),
    };

    check_guards(global, &manifest, &plan, saved.as_ref())?;

    let mut stdout = std::io::stdout().lock();
    if let Err(e) = render::table(&plan, args.full, &mut stdout).and_then(|()| stdout.flush()) {
        return fail(Exit::Error, format!("could not write to stdout: {e}"));
    }
    drop(stdout);
    if !vanished.is_empty() {
        eprintln!(
            "Skipped {} customer{} planned for deletion that no longer exist: {}.",
            vanished.len(),
            plural(vanished.len()),
            apply::id_list(&vanished)
        );
    }
    let to_delete: Vec<Approved> = plan
        .to_delete()
        .map(|c| Approved {
            id: c.id,
            reason: c.reason.clone(),
        })
        .collect();
    let already_absent = plan.summary().already_absent + vanished.len();
    if to_delete.is_empty() {
        println!("No changes. The store already matches the manifest: nothing to delete.");
        return Ok(Exit::Success);
    }
    if saved.is_none() && !args.auto_approve && !approve(&store_hash, to_delete.len()) {
        println!("Apply cancelled: nothing was deleted.");
        return Ok(Exit::Refused);
    }

    let state = state.get_or_insert_with(|| State::new(&store_hash, &manifest.sha256));
    state.set_manifest_sha256(&manifest.sha256);
    let started = AuditEntry::new(&run_id, EventKind::ApplyStarted)
        .ids(&to_delete.iter().map(|a| a.id).collect::<Vec<_>>())
        .message(format!(
            "store {store_hash}: {} to delete, {already_absent} already absent; {}",
            to_delete.len(),
            match &args.plan {
                Some(path) => format!("saved plan {}", path.display()),
                None => "planned at apply".to_string(),
            }
        ));
    audit_log.append(started).or_else(|e| {
        fail(
            Exit::Error,
            format!("could not write the audit log, so nothing was deleted: {e}"),
        )
    })?;

    if !vanished.is_empty() {
        let skipped = AuditEntry::new(&run_id, EventKind::Skipped)
            .ids(&vanished)
            .message("planned for deletion but gone before the apply: skipped, not replaced");
        audit_log.append(skipped).or_else(|e| {
            fail(
                Exit::Error,
                format!("could not write the audit log, so nothing was deleted: {e}"),
            )
        })?;
    }
    let interrupt = Interrupt::default();
    let progress = Progress::new(to_delete.len());
    let report = runtime.block_on(async {
        let handler = tokio::spawn(watch_ctrl_c(interrupt.clone()));
        let report = apply::execute(
            &client,
            &to_delete,
            &options,
            &mut audit_log,
            state,
            &progress,
            &interrupt,
        )
        .await;
        handler.abort();
        report
    });
    progress.finish();
    drop(lock);
    common::log_stats(&client);
    Ok(print_report(
        &report,
        already_absent,
        &state_path,
        &audit_path,
    ))
}

/// Refuse a stale saved plan, naming every reason.
fn refuse_if_stale(stale: &[plan::Staleness]) -> Result<(), Exit> {
    if stale.is_empty() {
        return Ok(());
    }
    for reason in stale {
        error(format!("the saved plan is stale: {reason}"));
    }
    eprintln!(
        "Nothing was deleted. Make a new plan (bcprune plan MANIFEST --out PLAN), review it, and apply that."
    );
    Err(Exit::Refused)
}

/// The guards that hold before any DELETE, whatever approved the plan.
fn check_guards(
    global: &GlobalArgs,
    manifest: &crate::manifest::Manifest,
    plan: &Plan,
    saved: Option<&SavedPlan>,
) -> Result<(), Exit> {
    let count = plan.to_delete().count();
    let (max, source) = match global.max_deletes {
        Some(max) => (max, "--max-deletes"),
        None => (manifest.max_deletes, "the manifest's max_deletes"),
    };
    if count > max as usize {
        error(format!(
            "refusing to delete {count} customers: {source} allows at most {max}. Nothing was deleted."
        ));
        eprintln!(
            "If this many deletions are intended, raise max_deletes in the manifest (reviewed like any change) or pass --max-deletes {count}."
        );
        return Err(Exit::Refused);
    }
    let protected: Vec<_> = plan
        .to_delete()
        .map(|c| c.id)
        .filter(|id| manifest.protect.contains(id))
        .collect();
    if !protected.is_empty() {
        error(format!(
            "refusing: the plan would delete protected customers {}. Nothing was deleted.",
            apply::id_list(&protected)
        ));
        return Err(Exit::Refused);
    }
    if saved.is_some() {
        let wanted: BTreeSet<_> = manifest.absent.iter().map(|e| e.id).collect();
        let unlisted: Vec<_> = plan
            .to_delete()
            .map(|c| c.id)
            .filter(|id| !wanted.contains(id))
            .collect();
        if !unlisted.is_empty() {
            error(format!(
                "refusing: the saved plan deletes customers the manifest does not list: {}. Nothing was deleted.",
                apply::id_list(&unlisted)
            ));
            return Err(Exit::Refused);
        }
    }
    Ok(())
}

/// Ask on stderr; only the literal answer `yes` on stdin approves (piped input counts; end of input
/// declines).
fn approve(store_hash: &str, count: usize) -> bool {
    eprintln!();
    eprintln!(
        "Delete {count} customer{} from store {store_hash}? There is no undo.",
        plural(count)
    );
    eprintln!("Only 'yes' will be accepted to approve.");
    eprint!("  Enter a value: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => {
            eprintln!();
            false
        }
        Ok(_) => answer.trim() == "yes",
    }
}

/// First Ctrl-C: finish in-flight batches, start no new ones. Second: exit at once (the state file is
/// always complete, because every write is atomic).
async fn watch_ctrl_c(interrupt: Interrupt) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    interrupt.trigger();
    eprintln!(
        "\nInterrupted: finishing the requests in flight, starting no new ones. Press Ctrl-C again to stop at once."
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("Stopped at once. The state file is valid; run apply again to finish.");
        std::process::exit(i32::from(Exit::Interrupted.code()));
    }
}

/// Progress on stderr: a bar on a terminal, a plain line per batch otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = common::stderr_is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) =
                ProgressStyle::with_template("Deleting {bar:20} {pos}/{len} ({elapsed})")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl Observer for Progress {
    fn progress(&self, done: usize, total: usize) {
        match &self.bar {
            Some(bar) => bar.set_position(done as u64),
            None if done > 0 => eprintln!("Deleting: {done}/{total}"),
            None => {}
        }
    }

    fn warn(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("warning: {message}")),
            None => warning(message),
        }
    }
}

/// Say exactly what happened, per ID, and choose the exit code.
fn print_report(
    report: &Report,
    already_absent: usize,
    state_path: &Path,
    audit_path: &Path,
) -> Exit {
    if !report.verified.is_empty() {
        println!(
            "Verified: {} customer{} {} gone.",
            report.verified.len(),
            plural(report.verified.len()),
            if report.verified.len() == 1 {
                "is"
            } else {
                "are"
            }
        );
    }
    if let Some(why) = &report.verify_error {
        println!(
            "Not verified: {} customer{} the API accepted for deletion could not be listed again ({why}). They are recorded with verified: false; the next plan or apply shows the truth.",
            report.unverified.len(),
            plural(report.unverified.len())
        );
    }
    for failure in &report.failed {
        println!("Failed: customer {}: {}", failure.id, failure.message);
    }
    if !report.not_attempted.is_empty() {
        println!(
            "Not attempted: {} customer{} ({}).",
            report.not_attempted.len(),
            plural(report.not_attempted.len()),
            apply::id_list(&report.not_attempted)
        );
    }
    if let Some(fatal) = &report.fatal {
        error(format!("the run stopped: {fatal}"));
    }
    let status = if report.interrupted {
        "Apply interrupted"
    } else if report.failed.is_empty() && report.fatal.is_none() && report.unverified.is_empty() {
        "Apply complete"
    } else {
        "Apply finished with failures"
    };
    println!(
        "{status}: {} deleted, {already_absent} already absent, {} failed{}.",
        report.deleted_count(),
        report.failed.len(),
        if report.not_attempted.is_empty() {
            String::new()
        } else {
            format!(", {} not attempted", report.not_attempted.len())
        }
    );
    println!(
        "State: {} (serial {}). Audit log: {}.",
        state_path.display(),
        report.state_serial,
        audit_path.display()
    );
    let any_accepted =
        report.deleted_count() > 0 || report.failed.iter().any(|f| f.status == Some(204));
    if report.interrupted {
        Exit::Interrupted
    } else if report.failed.is_empty() && report.fatal.is_none() && report.unverified.is_empty() {
        Exit::Success
    } else if any_accepted {
        Exit::Partial
    } else {
        Exit::Error
    }
}
