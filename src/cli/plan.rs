//! `bcprune plan`: read the store, print what apply would delete, optionally save the plan.

use std::io::Write;
use std::path::Path;

use crate::api::Live;
use crate::apply::{Scope, Target};
use crate::error::Exit;
use crate::plan::{self, Plan, SavedPlan};
use crate::render;

use super::common;
use super::error::CliError;
use super::settings::{Settings, check_distinct_files};
use super::{Format, PlanArgs};

/// A plan made against the live store, with what it was made from.
pub struct Planned {
    pub live: Live,
    pub plan: Plan,
    pub saved: SavedPlan,
    /// The guards `apply` would refuse this plan on (PRODUCT §4).
    pub violations: Vec<crate::apply::Violation>,
}

/// Load the manifest, list its IDs in the store, and compute the plan. Prints progress lines on stderr.
/// `out` (the file the plan will be saved to, if any) is checked against the manifest's other files first.
pub fn make(
    settings: &Settings,
    manifest_path: &Path,
    out: Option<&Path>,
    refresh_all: bool,
) -> Result<Planned, CliError> {
    let manifest = common::load_manifest(manifest_path)?;
    let files = settings.files(manifest_path);
    check_distinct_files(&manifest.files, &files, out.map(|out| ("--out", out)))?;
    common::note(manifest.summary());
    let store_hash = common::store_hash(settings, &manifest)?;
    let state = common::load_state(&files.state, &store_hash)?;
    let client = common::client(settings, &store_hash)?;
    let runtime = common::runtime()?;
    // The same listing apply makes: both resources, only what the state does not settle (PRODUCT §11).
    let scope = Scope::of_manifest(&manifest, state.as_ref(), refresh_all);
    let live = runtime
        .block_on(scope.list(&client))
        .map_err(CliError::List)?;
    let plan = plan::compute_incremental(&manifest, &live, state.as_ref(), refresh_all);
    let reappeared = plan.changes.iter().filter(|c| c.reappeared).count();
    let requests = common::requests_sent(&client);
    common::note(
        super::apply::listed_line(&scope.listed(reappeared), &store_hash, requests)
            .trim_end_matches('\n'),
    );
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
    saved.refresh_all = refresh_all;
    let to_delete = plan
        .to_delete()
        .map(|c| Target {
            resource: c.resource,
            id: c.id,
        })
        .collect();
    let violations =
        crate::apply::guards::check(&manifest, settings.max_deletes, &to_delete, false);
    Ok(Planned {
        live,
        plan,
        saved,
        violations,
    })
}

/// Write a saved plan atomically (a half-written plan must never be applied).
pub fn save(saved: &SavedPlan, path: &Path) -> Result<(), CliError> {
    Ok(plan::file::write(saved, path)?)
}

pub fn run(settings: &Settings, args: &PlanArgs) -> Result<Exit, CliError> {
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
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => render::table(&planned.plan, args.full, &mut out),
        Format::Json => render::json(&planned.saved, &mut out),
        Format::Markdown => render::markdown(&planned.saved, &mut out),
    }
    .and_then(|()| {
        if args.diff {
            writeln!(out)?;
            render::diff(&planned.plan, &planned.live, &mut out)?;
        }
        out.flush()
    })
    .map_err(CliError::output)?;
    drop(out);
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
        save(&planned.saved, path)?;
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
