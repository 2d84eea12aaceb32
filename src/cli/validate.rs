//! `bcprune validate`: check a manifest offline and say what it contains, or list every problem in it.
//! Printing lives here; the checks themselves are in [`crate::manifest`].

use std::io::Write;
use std::path::Path;

use crate::error::Exit;
use crate::manifest::ManifestErrors;

/// Run `bcprune validate MANIFEST`: exit 0 with a summary on stdout, or 1 with every error on stderr.
pub fn run(manifest: &Path) -> Exit {
    match crate::manifest::load(manifest) {
        Ok(manifest) => {
            let limit = if manifest.max_deletes == 0 {
                " (nothing may be deleted)"
            } else {
                ""
            };
            let store = match &manifest.store_hash {
                Some(hash) => format!(" Store {hash}."),
                None => String::new(),
            };
            // A closed stdout (e.g. `| head -0`) is not the manifest's fault: ignore write errors.
            let _ = writeln!(
                std::io::stdout().lock(),
                "{} max_deletes {}{limit}.{store}",
                manifest.summary(),
                manifest.max_deletes
            );
            Exit::Success
        }
        Err(errors) => {
            print_errors(&errors);
            Exit::Error
        }
    }
}

/// Print every manifest error to stderr as `path:line:column: error: message`, then a count saying that
/// nothing was sent to the API. Shared by every command that reads a manifest.
pub(super) fn print_errors(errors: &ManifestErrors) {
    // Buffered: a manifest with a million mistakes should not cost a million system calls.
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    for error in &errors.0 {
        let _ = writeln!(stderr, "{}: error: {}", error.location, error.message);
    }
    let count = errors.0.len();
    let problems = if count == 1 { "problem" } else { "problems" };
    let _ = writeln!(
        stderr,
        "error: {count} {problems} in the manifest; nothing was sent to the API."
    );
    let _ = stderr.flush();
}
