//! `bcprune force-unlock LOCK_ID [MANIFEST]`: remove a lock left by an apply that vanished (a CI runner
//! that is gone), only when LOCK_ID names it, as Terraform's `force-unlock` does. The checks live in
//! [`crate::state::force_unlock`].

use std::path::Path;

use crate::exit::Exit;

use super::common;
use super::error::CliError;
use super::settings::Settings;

pub fn run(settings: &Settings, lock_id: &str, manifest: Option<&Path>) -> Result<Exit, CliError> {
    // With neither MANIFEST nor --state, the state file is the one a manifest in this directory uses.
    let state = settings.files(manifest.unwrap_or(Path::new("."))).state;
    let holder = crate::state::force_unlock(&state, lock_id)?;
    common::note(format_args!(
        "Removed the lock {} ({holder}). Another apply can start now; it reconciles whatever the vanished \
         one left open.",
        crate::state::Lock::path_for(&state).display()
    ));
    Ok(Exit::Success)
}
