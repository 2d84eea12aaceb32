//! `bcprune completions SHELL` and `bcprune man [--out-dir DIR]`: shell completions, and roff man pages
//! generated from the clap definitions so they never drift from the real flags: `bcprune.1`, then one
//! page per command (`bcprune-plan.1`, `bcprune-audit-verify.1`, …), each with its environment, files and
//! exit status, and a SEE ALSO naming only pages that are written.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::exit::Exit;

use super::Cli;
use super::error::CliError;

/// Print the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bcprune", &mut script);
    write_all(&script)
}

/// Without `out_dir`, print one self-contained page on stdout; with it, write every page there.
pub fn man(out_dir: Option<&Path>) -> Result<Exit, CliError> {
    let Some(dir) = out_dir else {
        return write_all(&single_page().map_err(CliError::Output)?);
    };
    let pages = pages().map_err(CliError::Output)?;
    let written = |path: PathBuf, source| CliError::ManPage { path, source };
    std::fs::create_dir_all(dir).map_err(|e| written(dir.to_path_buf(), e))?;
    for (name, page) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| written(path.clone(), e))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Wrote {} man pages to {}.", pages.len(), dir.display())
        .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// Every man page, `bcprune.1` first: (file name, roff).
pub fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let commands = commands(&built());
    let names: Vec<String> = commands.iter().map(page_name).collect();
    let mut pages = Vec::with_capacity(commands.len());
    for command in &commands {
        let mut page = Vec::new();
        render(command, &names, &mut page)?;
        pages.push((format!("{}.1", page_name(command)), page));
    }
    Ok(pages)
}

/// One page for `bcprune man > bcprune.1`: the top level, then a section per command (its synopsis
/// and options), then the environment, files and exit status of them all. It names no other page.
pub fn single_page() -> std::io::Result<Vec<u8>> {
    let root = built();
    let mut page = Vec::new();
    let man = manual(&root);
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    for command in commands(&root).iter().skip(1) {
        let title = command_path(command).to_uppercase();
        let about = command
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(page, ".SH \"BCPRUNE {title}\"\n{}", roff_text(&about))?;
        if command.get_subcommands().any(|s| !s.is_hide_set()) {
            continue; // `audit`: its commands follow
        }
        let sub = manual(command);
        sub.render_synopsis_section(&mut page)?;
        sub.render_options_section(&mut page)?;
    }
    let facts = facts("");
    section(&mut page, "ENVIRONMENT", facts.env)?;
    section(&mut page, "FILES", facts.files)?;
    section(&mut page, "EXIT STATUS", facts.exit)?;
    writeln!(
        page,
        ".SH \"SEE ALSO\"\n\\fBbcprune man \\-\\-out\\-dir DIR\\fR writes a page per command."
    )?;
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// The clap command as the pages show it: built (bin names `bcprune audit verify`), no `help` command.
fn built() -> clap::Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

fn manual(command: &clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command.clone())
        .source(format!("bcprune {}", env!("CARGO_PKG_VERSION")))
        .manual("bcprune manual")
}

/// The command and all its visible subcommands, depth first.
fn commands(command: &clap::Command) -> Vec<clap::Command> {
    let mut all = vec![command.clone()];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        all.extend(commands(sub));
    }
    all
}

/// `bcprune`, `bcprune-plan`, `bcprune-audit-verify`: the page's name (clap's display name).
fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string()
}

/// `plan`, `audit verify` (empty for the top level): the key of [`facts`].
fn command_path(command: &clap::Command) -> String {
    let bin = command.get_bin_name().unwrap_or_else(|| command.get_name());
    bin.strip_prefix("bcprune")
        .unwrap_or(bin)
        .trim()
        .to_string()
}

fn render(command: &clap::Command, pages: &[String], w: &mut Vec<u8>) -> std::io::Result<()> {
    let man = manual(command);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    let facts = facts(&command_path(command));
    section(w, "ENVIRONMENT", facts.env)?;
    section(w, "FILES", facts.files)?;
    section(w, "EXIT STATUS", facts.exit)?;
    let own = page_name(command);
    let see: Vec<String> = pages
        .iter()
        .filter(|p| {
            **p != own && (own == "bcprune" || p.starts_with(&format!("{own}-")) || *p == "bcprune")
        })
        .map(|p| format!("\\fB{p}\\fR(1)"))
        .collect();
    if !see.is_empty() {
        writeln!(w, ".SH \"SEE ALSO\"\n{}", see.join(", "))?;
    }
    if command.get_version().is_some() || command.get_long_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// A section of tagged paragraphs: (tag, text).
fn section(w: &mut Vec<u8>, title: &str, items: &[(&str, &str)]) -> std::io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(w, ".SH \"{title}\"")?;
    for (tag, text) in items {
        writeln!(w, ".TP\n\\fB{}\\fR\n{}", roff_text(tag), roff_text(text))?;
    }
    Ok(())
}

/// What a command's page says beyond its flags.
pub(super) struct Facts {
    pub env: &'static [(&'static str, &'static str)],
    pub files: &'static [(&'static str, &'static str)],
    pub exit: &'static [(&'static str, &'static str)],
}

const TOKEN: (&str, &str) = (
    "BIGCOMMERCE_ACCESS_TOKEN",
    "The API account's access token; the only way to pass it. Never printed, logged or written.",
);
const STORE: (&str, &str) = (
    "BIGCOMMERCE_STORE_HASH",
    "The target store, as --store-hash (or the manifest's store_hash; two that differ are an error).",
);
const API_URL: (&str, &str) = (
    "BIGCOMMERCE_API_URL",
    "The API base URL, as --api-url (default https://api.bigcommerce.com).",
);
const NO_COLOR: (&str, &str) = ("NO_COLOR", "Set to anything: no colours, as --no-color.");
const GITHUB: (&str, &str) = (
    "GITHUB_SHA, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID",
    "With --format markdown: the commit and a link to the CI run.",
);

const MANIFEST: (&str, &str) = (
    "MANIFEST",
    "A manifest file, or a directory of *.yaml / *.yml files.",
);
const STATE: (&str, &str) = (
    "bcprune.state.json",
    "The state file (--state), beside the manifest file or inside the manifest directory.",
);
const AUDIT: (&str, &str) = (
    "bcprune.audit.jsonl",
    "The hash-chained audit log (--audit-log), placed like the state file.",
);
const LOCK: (&str, &str) = (
    "bcprune.state.json.lock",
    "Held while an apply runs; names the process, host, start time and lock ID.",
);
const PLAN: (&str, &str) = (
    "PLAN",
    "A saved plan (JSON, plan --out): masked emails and names only.",
);

const OK: (&str, &str) = ("0", "Success.");
const ERROR: (&str, &str) = (
    "1",
    "Error: bad arguments, a bad file, an API or network failure. Nothing was deleted by this run.",
);
const REFUSED: (&str, &str) = (
    "3",
    "Refused, nothing deleted: approval not given, max_deletes exceeded, a protected ID planned, a stale saved plan, a lock held.",
);
const PARTIAL: (&str, &str) = (
    "4",
    "Partial: some deletions were done and some failed; the state and audit log say exactly which.",
);
const INTERRUPTED: (&str, &str) = (
    "130",
    "Interrupted (Ctrl-C or SIGTERM): in-flight batches finished, state and audit log written.",
);
const OK_OR_ERROR: &[(&str, &str)] = &[OK, ERROR];

/// The environment, files and exit status of the command at `path` (`plan`, `audit verify`; empty: the
/// top level, which lists them all).
pub(super) fn facts(path: &str) -> Facts {
    match path {
        "" => Facts {
            env: &[TOKEN, STORE, API_URL, NO_COLOR, GITHUB],
            files: &[MANIFEST, STATE, AUDIT, LOCK, PLAN],
            exit: &[
                OK,
                ERROR,
                (
                    "2",
                    "plan --detailed-exitcode: deletions are pending; report --overdue-exitcode: requests are overdue.",
                ),
                REFUSED,
                PARTIAL,
                INTERRUPTED,
            ],
        },
        "validate" => Facts {
            env: &[NO_COLOR],
            files: &[MANIFEST],
            exit: &[
                OK,
                ("1", "The manifest has errors (file:line:column each)."),
            ],
        },
        "plan" => Facts {
            env: &[TOKEN, STORE, API_URL, NO_COLOR, GITHUB],
            files: &[MANIFEST, STATE, AUDIT, PLAN],
            exit: &[
                ("0", "Success; with --detailed-exitcode, no changes."),
                ERROR,
                ("2", "With --detailed-exitcode: deletions are pending."),
                (
                    "3",
                    "Refused: max_deletes exceeded or a protected ID planned.",
                ),
            ],
        },
        "apply" => Facts {
            env: &[TOKEN, STORE, API_URL, NO_COLOR],
            files: &[MANIFEST, STATE, AUDIT, LOCK, PLAN],
            exit: &[OK, ERROR, REFUSED, PARTIAL, INTERRUPTED],
        },
        "show" => Facts {
            env: &[NO_COLOR, GITHUB],
            files: &[PLAN, MANIFEST, STATE],
            exit: OK_OR_ERROR,
        },
        "import" => Facts {
            env: &[TOKEN, STORE, API_URL, NO_COLOR],
            files: &[
                (
                    "--into FILE",
                    "The new manifest file written (.yaml or .yml): IDs only, never an email.",
                ),
                (
                    "--from CSV",
                    "Erasure requests, one or more emails per row.",
                ),
            ],
            exit: OK_OR_ERROR,
        },
        "report" => Facts {
            env: &[NO_COLOR, GITHUB],
            files: &[MANIFEST, STATE, AUDIT],
            exit: &[
                OK,
                (
                    "1",
                    "Error, or a record the audit log does not prove (shown as unproven).",
                ),
                ("2", "With --overdue-exitcode: requests are overdue."),
            ],
        },
        "audit" | "audit verify" => Facts {
            env: &[NO_COLOR],
            files: &[
                ("bcprune.audit.jsonl", "The audit log checked (--log)."),
                (
                    "bcprune.state.json",
                    "The state whose audit head the log must carry (--state; default: beside the log).",
                ),
            ],
            exit: &[
                ("0", "The chain is intact and carries the expected heads."),
                (
                    "1",
                    "A line breaks the chain (named), or the log lacks the head the state or --expect-head records.",
                ),
            ],
        },
        "force-unlock" => Facts {
            env: &[NO_COLOR],
            files: &[LOCK, STATE],
            exit: &[
                OK,
                ERROR,
                (
                    "3",
                    "The lock is held right now, or its lock ID is another.",
                ),
            ],
        },
        "schema" | "completions" => Facts {
            env: &[],
            files: &[],
            exit: OK_OR_ERROR,
        },
        "man" => Facts {
            env: &[],
            files: &[(
                "--out-dir DIR",
                "Receives bcprune.1 and a bcprune-COMMAND.1 per command.",
            )],
            exit: OK_OR_ERROR,
        },
        "demo" | "sim" => Facts {
            env: &[NO_COLOR],
            files: &[],
            exit: OK_OR_ERROR,
        },
        _ => Facts {
            env: &[],
            files: &[],
            exit: &[],
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command has its own environment, files and exit status: a new command without them
    /// fails here, naming it.
    #[test]
    fn every_command_says_its_environment_files_and_exit_status() {
        let missing: Vec<String> = commands(&built())
            .iter()
            .map(command_path)
            .filter(|p| facts(p).exit.is_empty())
            .collect();
        assert!(
            missing.is_empty(),
            "no facts for {missing:?} in docs::facts"
        );
    }

    /// The pages a page names as `NAME(1)`, `\fBNAME\fR(1)` included, as file names.
    fn references(page: &str) -> Vec<String> {
        let page = page.replace("\\-", "-");
        let mut found = Vec::new();
        for (at, _) in page.match_indices("(1)") {
            let before = page[..at].strip_suffix("\\fR").unwrap_or(&page[..at]);
            let start = before
                .rfind(|c: char| !(c.is_ascii_lowercase() || c == '-'))
                .map_or(0, |i| i + 1);
            found.push(format!("{}.1", &before[start..]));
        }
        found
    }

    #[test]
    fn each_page_has_its_sections_and_sees_only_pages_that_exist() {
        let pages = pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "bcprune.1",
            "bcprune-plan.1",
            "bcprune-apply.1",
            "bcprune-audit.1",
            "bcprune-audit-verify.1",
            "bcprune-man.1",
        ] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
        for (name, page) in &pages {
            let page = String::from_utf8(page.clone()).unwrap();
            for section in [
                ".SH NAME",
                ".SH SYNOPSIS",
                ".SH \"EXIT STATUS\"",
                ".SH \"SEE ALSO\"",
            ] {
                assert!(page.contains(section), "{name} lacks {section}:\n{page}");
            }
            for target in references(&page) {
                assert!(
                    names.contains(&target.as_str()),
                    "{name} refers to {target}"
                );
            }
        }
        let plan = String::from_utf8(
            pages[names.iter().position(|n| *n == "bcprune-plan.1").unwrap()]
                .1
                .clone(),
        )
        .unwrap();
        assert!(
            plan.contains(".SH \"ENVIRONMENT\"") && plan.contains("BIGCOMMERCE_ACCESS_TOKEN"),
            "{plan}"
        );
        assert!(
            plan.contains(".SH \"FILES\"") && plan.contains("bcprune.state.json"),
            "{plan}"
        );
        assert!(
            plan.contains("bcprune plan"),
            "the synopsis names the command: {plan}"
        );
        let verify = String::from_utf8(
            pages[names
                .iter()
                .position(|n| *n == "bcprune-audit-verify.1")
                .unwrap()]
            .1
            .clone(),
        )
        .unwrap();
        assert!(verify.contains("\\-\\-expect\\-head"), "{verify}");
        assert!(verify.contains("bcprune.audit.jsonl"), "{verify}");
    }
}
