//! `bcprune show`: render a saved plan offline, warning (never failing) when it has gone stale.

use std::path::Path;

use crate::error::Exit;
use crate::plan::{self, SavedPlan};
use crate::render;

use super::common::{self, error, warning};
use super::{Format, GlobalArgs, ShowArgs};

/// Read and check a saved plan.
pub fn read(path: &Path) -> Result<SavedPlan, String> {
    plan::file::read(path).map_err(|e| e.to_string())
}

pub fn run(global: &GlobalArgs, args: &ShowArgs) -> Exit {
    let saved = match read(&args.plan) {
        Ok(saved) => saved,
        Err(e) => {
            error(e);
            return Exit::Error;
        }
    };
    for reason in offline_warnings(global, &saved) {
        warning(format!(
            "{reason}; `apply --plan` would refuse this plan as stale"
        ));
    }
    let mut out = std::io::stdout().lock();
    let rendered = match args.format {
        Format::Table => render::table(&saved.plan(), args.full, &mut out),
        Format::Json => render::json(&saved, &mut out),
        Format::Markdown => render::markdown(&saved, &mut out),
    };
    match rendered {
        Ok(()) => Exit::Success,
        Err(e) => {
            error(format!("could not write to stdout: {e}"));
            Exit::Error
        }
    }
}

/// Compare the plan with the manifest at its recorded path and the state beside it; what cannot be read
/// is itself a warning.
fn offline_warnings(global: &GlobalArgs, saved: &SavedPlan) -> Vec<String> {
    let manifest_path = Path::new(&saved.manifest.path);
    let sha = match crate::manifest::load(manifest_path) {
        Ok(manifest) => Some(manifest.sha256),
        Err(_) => {
            return vec![format!(
                "the manifest {} cannot be read or is invalid now",
                saved.manifest.path
            )];
        }
    };
    let state_path = common::state_path(global, manifest_path);
    let state = match crate::state::State::load(&state_path) {
        Ok(state) => state,
        Err(e) => return vec![format!("the state file cannot be read: {e}")],
    };
    plan::offline_staleness(
        saved,
        sha.as_deref(),
        common::state_ref(state.as_ref()).as_ref(),
        None,
    )
    .iter()
    .map(ToString::to_string)
    .collect()
}
