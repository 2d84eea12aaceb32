//! `bcprune show`: render a saved plan offline, warning (never failing) when it has gone stale.

use std::path::Path;

use crate::exit::Exit;
use crate::plan::{self, SavedPlan};
use crate::render;

use super::Format;
use super::common::{self, warning};
use super::error::CliError;
use super::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A plan saved with `plan --out`.
    pub plan: std::path::PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
}

/// Read and check a saved plan (see [`plan::file::read`]).
pub fn read(path: &Path) -> Result<SavedPlan, CliError> {
    Ok(plan::file::read(path)?)
}

pub fn run(settings: &Settings, args: &ShowArgs) -> Result<Exit, CliError> {
    let saved = read(&args.plan)?;
    for reason in offline_warnings(settings, &saved, &args.plan) {
        warning(format!(
            "{reason}; `apply --plan` would refuse this plan as stale"
        ));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => render::table_with(
            &saved.plan(),
            &render::TableOptions {
                full: args.full,
                colour: common::stdout_color(settings.no_color),
                today: Some(jiff::ZonedDateTime::now().date()),
            },
            &mut out,
        ),
        Format::Json => render::json(&saved, &mut out),
        Format::Markdown => render::markdown(
            &saved,
            &render::Context {
                today: Some(jiff::ZonedDateTime::now().date()),
                ci: settings.ci.clone(),
                ..render::Context::default()
            },
            &mut out,
        ),
    }
    .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// Compare the plan with the manifest at its recorded path and the state beside it; what cannot be read
/// is itself a warning.
fn offline_warnings(settings: &Settings, saved: &SavedPlan, plan_file: &Path) -> Vec<String> {
    let manifest_path = saved.manifest.locate(plan_file);
    let manifest_path = manifest_path.as_path();
    let sha = match crate::manifest::load(manifest_path) {
        Ok(manifest) => Some(manifest.sha256),
        Err(_) => {
            return vec![format!(
                "the manifest {} cannot be read or is invalid now",
                manifest_path.display()
            )];
        }
    };
    let state_path = common::state_path(settings, manifest_path);
    let state = match crate::state::Summary::load(&state_path) {
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
