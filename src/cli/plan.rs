//! `bcprune plan`: read the store, print what apply would delete, optionally save the plan.

use std::io::Write;
use std::path::Path;

use crate::api::Live;
use crate::exit::Exit;
use crate::plan::{self, Plan, SavedPlan};
use crate::render;

use super::Format;
use super::common;
use super::error::CliError;
use super::settings::{Settings, check_distinct_files};

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// A manifest file, or a directory of *.yaml / *.yml files.
    pub manifest: std::path::PathBuf,
    /// Save the plan (JSON) for `apply --plan`.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit 2 when deletions or redactions are pending, 0 when there is nothing to do.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show a unified diff of the affected customer and subscriber records (masked).
    #[arg(long)]
    pub diff: bool,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
    /// Check the plan against this `max_deletes` instead of the manifest's, as `apply --max-deletes`
    /// would (the apply must be given the same override).
    #[arg(long)]
    pub max_deletes: Option<u32>,
    /// List every manifest ID, including those the state records as deleted and verified or found
    /// absent (by default they are not listed again: IDs are never reused). Finds records that
    /// reappeared.
    #[arg(long)]
    pub refresh_all: bool,
}

/// A plan made against the live store, with what it was made from and the document it saves as.
pub struct PlanMade {
    pub live: Live,
    pub plan: Plan,
    pub saved: SavedPlan,
    /// The guards `apply` would refuse this plan on (PRODUCT §4).
    pub violations: Vec<crate::apply::Violation>,
    /// The limits the guards checked, for the pull-request comment.
    pub guard: render::Guard,
    /// The erasure request of each manifest entry that names one, for the comment's grouping (§16).
    pub requests: render::Requests,
}

/// Load the manifest, list its IDs in the store, and compute the plan. Prints progress lines on stderr.
/// `out` (the file the plan will be saved to, if any) is checked against the manifest's other files first.
pub fn make(
    settings: &Settings,
    manifest_path: &Path,
    out: Option<&Path>,
    refresh_all: bool,
) -> Result<PlanMade, CliError> {
    let manifest = common::load_manifest(manifest_path)?;
    let files = settings.files(manifest_path);
    check_distinct_files(&manifest.files, &files, out.map(|out| ("--out", out)))?;
    common::note(manifest.summary());
    let store_hash = common::store_hash(settings, &manifest)?;
    let state = common::load_state(&files.state, &files.audit_log, &store_hash, &manifest)?;
    let client = common::client(settings, &store_hash)?;
    let runtime = common::runtime()?;
    // The same plan apply makes: both resources, only what the state does not settle (PRODUCT §11).
    let input = plan::Input {
        manifest: &manifest,
        settled: state.as_ref().map(|s| &s.settled),
        refresh_all,
        max_deletes: settings.max_deletes,
        today: plan::today_utc(),
    };
    super::progress::start("Listing", None);
    let planned = runtime.block_on(plan::run(&input, &client));
    super::progress::finish(true);
    let plan::Planned {
        plan,
        live,
        listed,
        violations,
        scope,
        ..
    } = planned.map_err(CliError::List)?;
    let requests = common::requests_sent(&client);
    common::note(common::listed_line(&listed, &store_hash, requests).trim_end_matches('\n'));
    common::note("");
    common::log_stats(&client);
    let mut saved = SavedPlan::new(
        &plan,
        &manifest,
        &store_hash,
        &client.api_host(),
        common::state_ref(state.as_ref()),
        jiff::Timestamp::now(),
    );
    // PRODUCT §10: the audit head the plan was made against (the last line only, not re-verified).
    saved.audit_head = crate::audit::read_head(&files.audit_log).ok().flatten();
    saved.refresh_all = refresh_all;
    // PRODUCT §17: what apply would send, at the quota the store announced (else 150 per 30 s).
    let quota = common::quota_of(&client);
    saved.apply_cost = Some(plan::cost::estimate(
        &plan,
        &scope,
        usize::from(settings.batch_size),
        quota,
    ));
    let guard = render::Guard {
        max_deletes: settings.max_deletes.unwrap_or(manifest.max_deletes),
        from_flag: settings.max_deletes.is_some(),
        protected: manifest.protect.len(),
    };
    let requests = render::requests_of(&manifest);
    Ok(PlanMade {
        live,
        plan,
        saved,
        violations,
        guard,
        requests,
    })
}

/// Write a saved plan atomically (a half-written plan must never be applied).
pub fn save(saved: &SavedPlan, path: &Path) -> Result<(), CliError> {
    Ok(plan::file::write(saved, path)?)
}

pub fn run(settings: &Settings, args: &PlanArgs) -> Result<Exit, CliError> {
    let mut printed = false;
    let result = run_printing(settings, args, &mut printed);
    if let Err(error) = &result
        && args.format == Format::Markdown
    {
        failure_comment(settings, args, error, printed);
    }
    result
}

fn run_printing(
    settings: &Settings,
    args: &PlanArgs,
    printed: &mut bool,
) -> Result<Exit, CliError> {
    if args.diff && args.format == Format::Json {
        return Err(CliError::Conflict(
            "--diff shows a human-readable diff and cannot be combined with --format json",
        ));
    }
    let planned = make(
        settings,
        &args.manifest,
        args.out.as_deref(),
        args.refresh_all,
    )?;
    let today = jiff::ZonedDateTime::now().date();
    // The document saved with `--out` (and printed by `--format json`, the same document) records the
    // manifest relative to the plan file, so `apply --plan` works from any directory (PRODUCT §17).
    let document = match &args.out {
        Some(out) => SavedPlan {
            manifest: planned.saved.manifest.relative_to(out),
            ..planned.saved.clone()
        },
        None => planned.saved.clone(),
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => render::table_with(
            &planned.plan,
            &render::TableOptions {
                full: args.full,
                colour: common::stdout_color(settings.no_color),
                today: Some(today),
            },
            &mut out,
        ),
        Format::Json => render::json(&document, &mut out),
        Format::Markdown => args
            .diff
            .then(|| render::diffs(&planned.plan, &planned.live))
            .transpose()
            .and_then(|diff| {
                let context = render::Context {
                    today: Some(today),
                    guard: Some(planned.guard),
                    ci: settings.ci.clone(),
                    refusals: planned
                        .violations
                        .iter()
                        .map(|v| render::RefusalNote {
                            message: v.to_string(),
                            hint: v.hint(),
                        })
                        .collect(),
                    diff,
                    requests: planned.requests.clone(),
                };
                render::markdown(&planned.saved, &context, &mut out)
            }),
    }
    .and_then(|()| {
        if args.format == Format::Table
            && let Some(cost) = &planned.saved.apply_cost
        {
            writeln!(out, "{}", cost.line())?;
        }
        if args.diff && args.format == Format::Table {
            writeln!(out)?;
            render::diff(&planned.plan, &planned.live, &mut out)?;
        }
        out.flush()
    })
    .map_err(CliError::output)?;
    drop(out);
    *printed = true;
    if !planned.violations.is_empty() {
        // The plan is shown, but it is not one a pull request may be approved into (PRODUCT §4).
        for violation in &planned.violations {
            common::error(format_args!("apply would refuse this plan: {violation}"));
            if let Some(hint) = violation.hint() {
                common::note(hint);
            }
        }
        return Ok(Exit::Refused);
    }
    if let Some(path) = &args.out {
        save(&document, path)?;
        common::note(format_args!(
            "Saved the plan to {}. To apply exactly this plan: bcprune apply --plan {}",
            path.display(),
            path.display()
        ));
    }
    if args.detailed_exitcode && !planned.plan.is_empty() {
        Ok(Exit::ChangesPending)
    } else {
        Ok(Exit::Success)
    }
}

/// What the pull request's author can do about `error`, said once under the error (PRODUCT §13). Pushing
/// again helps only where the pull request itself is at fault (its manifest, its arguments); a fork
/// gets no secrets however often it pushes, and a store or network failure needs the job re-run.
fn next_step(error: &CliError, on_github: bool) -> &'static str {
    match error {
        CliError::Client(crate::api::ApiError::MissingToken) if on_github => {
            "On GitHub Actions, a pull request from a fork runs without the repository's secrets, so \
             there is no token to plan with, and pushing again will not change that. A maintainer can \
             push the branch to this repository to get a plan."
        }
        CliError::Client(crate::api::ApiError::MissingToken) => {
            "Set BIGCOMMERCE_ACCESS_TOKEN for the job (from a secret) and run it again: this comment is \
             replaced by the plan."
        }
        CliError::List(_) | CliError::Client(_) | CliError::Runtime(_) => {
            "If the store, the token or the network is at fault, nothing in the pull request needs to \
             change: re-run the job once it is fixed, and this comment is replaced by the plan."
        }
        _ => "Fix what it says and push again: this comment is replaced by the plan.",
    }
}

/// `--format markdown` and the plan failed: still write a comment under the same marker that says what
/// failed (PRODUCT §13), so the pull request shows why its check is red. The error is returned as
/// before, so stderr and the exit code are unchanged. Nothing more is written to a closed stdout.
fn failure_comment(settings: &Settings, args: &PlanArgs, error: &CliError, printed: bool) {
    if matches!(error, CliError::ClosedPipe | CliError::Output(_)) {
        return;
    }
    // The store as far as it is known: the flag or environment, else the manifest if it reads.
    let from_manifest = || {
        crate::manifest::load(&args.manifest)
            .ok()
            .and_then(|m| m.store_hash)
    };
    let store = settings.store_hash.clone().or_else(from_manifest);
    let ci = &settings.ci;
    let hint = next_step(error, ci.github);
    let failure = render::Failure {
        store: store.as_deref(),
        error: &super::error::rendered(error),
        exit_code: error.exit().code(),
        hint: (!printed).then_some(hint),
        at: jiff::Timestamp::now(),
        after_plan: printed,
    };
    let context = render::Context {
        ci: ci.clone(),
        ..render::Context::default()
    };
    let mut out = std::io::stdout().lock();
    let _ = render::markdown_failure(&failure, &context, &mut out).and_then(|()| out.flush());
}
