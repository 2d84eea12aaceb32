//! `bcprune validate`: check a manifest offline and say what it contains, or list every problem in it.
//! Printing lives here; the checks themselves are in [`crate::manifest`].

use std::io::Write;
use std::path::Path;

use crate::exit::Exit;

use super::common;
use super::error::CliError;

/// Run `bcprune validate MANIFEST`: exit 0 with a summary on stdout, or 1 with every error on stderr.
pub fn run(manifest: &Path) -> Result<Exit, CliError> {
    let manifest = common::load_manifest(manifest)?;
    let limit = if manifest.max_deletes == 0 {
        " (nothing may be deleted)"
    } else {
        ""
    };
    let store = match &manifest.store_hash {
        Some(hash) => format!(" Store {hash}."),
        None => String::new(),
    };
    writeln!(
        std::io::stdout().lock(),
        "{} max_deletes {}{limit}.{store}",
        manifest.summary(),
        manifest.max_deletes
    )
    .map_err(CliError::output)?;
    Ok(Exit::Success)
}
