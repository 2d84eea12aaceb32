//! `bcprune audit verify`: recompute the audit log's hash chain and say whether it is intact, or name the
//! first line from which it cannot be trusted.

use std::path::Path;

use crate::audit::{self, VerifyError};
use crate::error::Exit;

/// Verify the log at `log`: exit 0 with a one-line summary on stdout when intact, exit 1 naming the first
/// bad line (or why the file cannot be read) on stderr otherwise.
pub fn verify(log: &Path) -> Exit {
    match audit::verify(log) {
        Ok(report) => {
            let hash = report.last_hash.get(..12).unwrap_or(&report.last_hash);
            println!(
                "Audit log {} is intact: {} {}, {} {}, last hash {hash}…",
                log.display(),
                report.lines,
                plural(report.lines, "entry", "entries"),
                report.runs,
                plural(report.runs as u64, "run", "runs"),
            );
            Exit::Success
        }
        Err(err @ VerifyError::Broken { .. }) => {
            eprintln!(
                "error: {err} (the chain is broken from this line on; the log was edited, truncated or \
                 reordered)"
            );
            Exit::Error
        }
        Err(err @ VerifyError::Read { .. }) => {
            eprintln!(
                "error: {err}. Pass the log with --log FILE (default: ./bcprune.audit.jsonl, or the \
                 --audit-log given to apply)"
            );
            Exit::Error
        }
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
