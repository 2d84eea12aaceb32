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
    let (warnings, manifest) = offline_warnings(settings, &saved, &args.plan);
    // The comment groups deletions by request as `plan` did, from the manifest the plan was made of
    // (its SHA-256 unchanged); a manifest changed since says nothing of this plan's requests.
    let requests = manifest
        .filter(|m| m.sha256 == saved.manifest.sha256)
        .map(|m| render::requests_of(&m))
        .unwrap_or_default();
    for reason in warnings {
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
                requests,
                ..render::Context::default()
            },
            &mut out,
        ),
    }
    .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// Compare the plan with the manifest at its recorded path and the state beside it; what cannot be read
/// is itself a warning. Also the manifest, when it reads.
fn offline_warnings(
    settings: &Settings,
    saved: &SavedPlan,
    plan_file: &Path,
) -> (Vec<String>, Option<crate::manifest::Manifest>) {
    let manifest_path = saved.manifest.locate(plan_file);
    let manifest_path = manifest_path.as_path();
    let manifest = match crate::manifest::load(manifest_path) {
        Ok(manifest) => manifest,
        Err(_) => {
            return (
                vec![format!(
                    "the manifest {} cannot be read or is invalid now",
                    manifest_path.display()
                )],
                None,
            );
        }
    };
    let state_path = common::state_path(settings, manifest_path);
    let state = match crate::state::Summary::load(&state_path) {
        Ok(state) => state,
        Err(e) => {
            return (
                vec![format!("the state file cannot be read: {e}")],
                Some(manifest),
            );
        }
    };
    let warnings = plan::offline_staleness(
        saved,
        Some(manifest.sha256.as_str()),
        common::state_ref(state.as_ref()).as_ref(),
        None,
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    (warnings, Some(manifest))
}
