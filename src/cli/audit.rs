//! `bcprune audit verify`: recompute the audit log's hash chain and say whether it is intact, or name the
//! first line from which it cannot be trusted.

use std::io::Write;
use std::path::Path;

use crate::audit;
use crate::error::Exit;

use super::common::plural_of;
use super::error::CliError;

/// Verify the log at `log`: exit 0 with a one-line summary on stdout when intact, exit 1 naming the first
/// bad line (or why the file cannot be read) otherwise.
pub fn verify(log: &Path) -> Result<Exit, CliError> {
    let report = audit::verify(log).map_err(CliError::verify)?;
    let hash = report.last_hash.get(..12).unwrap_or(&report.last_hash);
    let lines = usize::try_from(report.lines).unwrap_or(usize::MAX);
    writeln!(
        std::io::stdout().lock(),
        "Audit log {} is intact: {} {}, {} {}, last hash {hash}…",
        log.display(),
        report.lines,
        plural_of(lines, "entry", "entries"),
        report.runs,
        plural_of(report.runs, "run", "runs"),
    )
    .map_err(CliError::output)?;
    Ok(Exit::Success)
}
