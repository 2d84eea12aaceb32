//! `bcprune plan`: read the store, print what apply would delete, optionally save the plan.

use std::io::Write;
use std::path::Path;

use crate::api::Live;
use crate::error::Exit;
use crate::plan::{self, Plan, SavedPlan};
use crate::render;

use super::common::{self, error};
use super::{Format, GlobalArgs, PlanArgs};

/// A plan made against the live store, with what it was made from.
pub struct Planned {
    pub live: Live,
    pub plan: Plan,
    pub saved: SavedPlan,
    /// The guards `apply` would refuse this plan on (PRODUCT §4).
    pub violations: Vec<crate::apply::Violation>,
}

/// Load the manifest, list its IDs in the store, and compute the plan. Prints progress lines on stderr
/// and errors; `Err` carries the exit code.
pub fn make(global: &GlobalArgs, manifest_path: &Path) -> Result<Planned, Exit> {
    let manifest = common::load_manifest(manifest_path).ok_or(Exit::Error)?;
    eprintln!("{}", manifest.summary());
    let store_hash = common::store_hash(global, &manifest).map_err(|e| {
        error(e);
        Exit::Error
    })?;
    let state_path = common::state_path(global, manifest_path);
    let state = common::load_state(&state_path, &store_hash).map_err(|e| {
        error(e);
        Exit::Error
    })?;
    let client = common::client(global, &store_hash).map_err(|e| {
        error(e);
        Exit::Error
    })?;
    let runtime = common::runtime().map_err(|e| {
        error(e);
        Exit::Error
    })?;
    let ids: Vec<_> = manifest.absent.iter().map(|e| e.id).collect();
    let live = runtime.block_on(client.list(&ids)).map_err(|e| {
        error(format!("could not list customers: {e}"));
        Exit::Error
    })?;
    let requests = common::requests_sent(&client);
    eprintln!(
        "Listed {} customer{} in store {store_hash} ({requests} request{}).\n",
        ids.len(),
        common::plural(ids.len()),
        common::plural(requests as usize)
    );
    common::log_stats(&client);
    let plan = plan::compute(&manifest, &live);
    let saved = SavedPlan::new(
        &plan,
        &manifest,
        &store_hash,
        &client.api_host(),
        common::state_ref(state.as_ref()),
        jiff::Timestamp::now(),
    );
    let to_delete = plan.to_delete().map(|c| c.id).collect();
    let violations = crate::apply::guards::check(&manifest, global.max_deletes, &to_delete, false);
    Ok(Planned {
        live,
        plan,
        saved,
        violations,
    })
}

/// Write a saved plan atomically (a half-written plan must never be applied).
pub fn save(saved: &SavedPlan, path: &Path) -> Result<(), String> {
    plan::file::write(saved, path).map_err(|e| e.to_string())
}

pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Exit {
    if args.diff && args.format == Format::Json {
        error("--diff shows a human-readable diff and cannot be combined with --format json");
        return Exit::Error;
    }
    let planned = match make(global, &args.manifest) {
        Ok(planned) => planned,
        Err(exit) => return exit,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let rendered = match args.format {
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
    });
    if let Err(e) = rendered {
        error(format!("could not write the plan to stdout: {e}"));
        return Exit::Error;
    }
    if !planned.violations.is_empty() {
        for violation in &planned.violations {
            error(format!("apply would refuse this plan: {violation}"));
            if let Some(hint) = violation.hint() {
                eprintln!("{hint}");
            }
        }
        return Exit::Refused;
    }
    if let Some(path) = &args.out {
        if let Err(e) = save(&planned.saved, path) {
            error(e);
            return Exit::Error;
        }
        eprintln!(
            "Saved the plan to {}. To apply exactly this plan: bcprune apply --plan {}",
            path.display(),
            path.display()
        );
    }
    if args.detailed_exitcode && !planned.plan.is_empty() {
        Exit::ChangesPending
    } else {
        Exit::Success
    }
}
