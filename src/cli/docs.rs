//! `bcprune completions SHELL` and `bcprune man`: shell completions and a roff man page, generated from
//! the clap definitions so they never drift from the real flags.

use std::io::Write;

use clap::CommandFactory;

use crate::error::Exit;

use super::Cli;
use super::error::CliError;

/// Print the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bcprune", &mut script);
    write_all(&script)
}

/// Print the man page (roff) on stdout: the top-level page, then one section per subcommand.
pub fn man() -> Result<Exit, CliError> {
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render(&mut page).map_err(CliError::Output)?;
    // Each command's own options, after the list of commands the top-level page ends with.
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        writeln!(
            page,
            ".SH \"BCPRUNE {}\"\n{}",
            sub.get_name().to_uppercase(),
            roff_text(&about)
        )
        .map_err(CliError::Output)?;
        clap_mangen::Man::new(sub.clone())
            .render_options_section(&mut page)
            .map_err(CliError::Output)?;
    }
    write_all(&page)
}

fn write_all(bytes: &[u8]) -> Result<Exit, CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// `text` safe as a roff text line: no leading `.` or `'`, backslashes escaped.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\e");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}
