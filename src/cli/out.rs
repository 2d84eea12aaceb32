//! The lowest layer of what the CLI prints on stderr: a note, a warning (addresses masked), and whether
//! stderr is a terminal. Everything that prints (commands, the progress display) uses these; they use
//! nothing of the CLI.

use std::io::{IsTerminal, Write};

/// Print a warning on stderr; a closed stderr is ignored.
pub fn warning(message: impl std::fmt::Display) {
    // A warning may quote input too: addresses masked, as in errors.
    note(format_args!(
        "warning: {}",
        crate::mask::addresses(&message.to_string())
    ));
}

/// Print a line on stderr, ignoring a closed stderr (`eprintln!` would panic).
pub fn note(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// Whether stderr is an interactive terminal (progress bar vs plain lines).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
