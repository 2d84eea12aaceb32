//! `bcprune audit verify`: recompute the audit log's hash chain, check that the log still carries the head
//! the state file recorded at its last save and any head published elsewhere (`--expect-head`, PRODUCT
//! §10), and say whether it is intact, or name the first line from which it cannot be trusted.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::audit::{self, ExpectedHead};
use crate::exit::Exit;
use crate::state::State;

use super::common::plural_of;
use super::error::CliError;
use super::settings::{AUDIT_FILE, STATE_FILE, beside_manifest};

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; with --receipt, check a receipt against the log.
    #[command(after_help = "Examples:\n  \
        bcprune audit verify customers/                          the log beside the manifest, and the state's head\n  \
        bcprune audit verify customers/ --receipt receipt.json   every claim of a receipt (`report --receipt`)")]
    Verify {
        /// The manifest (file or directory) whose audit log to check: the log beside it, as `plan` and
        /// `apply` place it.
        manifest: Option<std::path::PathBuf>,
        /// The audit log to check (default: bcprune.audit.jsonl beside MANIFEST, else in the current
        /// directory).
        #[arg(long)]
        log: Option<std::path::PathBuf>,
        /// The state file whose audit head the log must carry (default: bcprune.state.json beside the
        /// log, when it exists).
        #[arg(long)]
        state: Option<std::path::PathBuf>,
        /// A head published elsewhere (CI log, PR comment) the log must carry: SEQ:HASH, the hash as a
        /// prefix of at least 12 hex digits (`42:2300f193b3e3`).
        #[arg(long, value_name = "SEQ:HASH", value_parser = clap::value_parser!(crate::audit::ExpectedHead))]
        expect_head: Option<crate::audit::ExpectedHead>,
        /// A receipt (`report --receipt REQUEST --format json`) to check against the log: every record's
        /// proving line, the head, and the figures they make.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["state", "expect_head"])]
        receipt: Option<std::path::PathBuf>,
        #[command(flatten)]
        output: super::args::OutputArgs,
    },
}

/// The log `audit verify` checks: `--log`; else the one beside the manifest, placed as `plan` and
/// `apply` place it (PRODUCT §17); else `bcprune.audit.jsonl` in the current directory.
pub fn log_path(log: Option<&Path>, manifest: Option<&Path>) -> PathBuf {
    match (log, manifest) {
        (Some(log), _) => log.to_path_buf(),
        (None, Some(manifest)) => beside_manifest(manifest, AUDIT_FILE),
        (None, None) => PathBuf::from(AUDIT_FILE),
    }
}

/// `audit verify --receipt FILE`: check every claim of the receipt against the log at `log`; exit 0
/// saying what verified, or 1 naming every claim that failed.
pub fn verify_receipt(
    log: &Path,
    path: &Path,
    manifest: Option<&Path>,
    days: crate::manifest::Days,
) -> Result<Exit, CliError> {
    let receipt = crate::receipt::read(path)?;
    let manifest = manifest
        .map(|m| crate::manifest::load_with(m, &days.options()))
        .transpose()
        .map_err(CliError::Manifest)?;
    crate::receipt::verify(&receipt, path, log, manifest.as_ref())?;
    let head = &receipt.audit_head;
    let proven = receipt
        .records
        .iter()
        .filter_map(|r| r.proof.as_ref().map(|p| p.seq))
        .collect::<std::collections::BTreeSet<u64>>()
        .len();
    let retained: Vec<&crate::receipt::ReceiptRecord> = receipt
        .records
        .iter()
        .filter(|r| r.done == crate::receipt::Done::Retained)
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Receipt {} (request {}) verifies against the audit log {}: {} {} proven by {} {}, head {}:{}.",
        path.display(),
        receipt.request,
        log.display(),
        receipt.records.len(),
        plural_of(receipt.records.len(), "record", "records"),
        proven,
        plural_of(proven, "line", "lines"),
        head.seq,
        head.hash.get(..12).unwrap_or(&head.hash),
    )
    .and_then(|()| match &manifest {
        Some(manifest) => writeln!(
            out,
            "The manifest {} (SHA-256 {}…) lists exactly these records under request {}, received {}.",
            manifest.path.display(),
            manifest.sha256.get(..12).unwrap_or_default(),
            receipt.request,
            receipt.received.map_or_else(|| "-".to_string(), |d| d.to_string())
        ),
        None => writeln!(
            out,
            "Which records make up request {} is the manifest's word: pass the manifest (SHA-256 {}…) \
             to check it.",
            receipt.request,
            receipt.manifest_sha256.get(..12).unwrap_or_default()
        ),
    })
    .and_then(|()| {
        let Some(last) = retained.iter().filter_map(|r| r.retained_until).max() else {
            return Ok(());
        };
        writeln!(
            out,
            "{} retained {}, the last until {last}: each date as the audit line that recorded the \
             order fixed it.",
            retained.len(),
            plural_of(retained.len(), "order", "orders"),
        )
    })
    .and_then(|()| out.flush())
    .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// Verify the log at `log` against the state file beside it, when there is one.
pub fn verify(log: &Path) -> Result<Exit, CliError> {
    verify_against(log, None, None)
}

/// Verify the log at `log`, against the state's head (`state`, or the state file beside the log when it
/// exists) and `expect`: exit 0 with a summary on stdout when intact, exit 1 naming the first bad line,
/// or the head the log does not carry and who recorded it, otherwise.
pub fn verify_against(
    log: &Path,
    state: Option<&Path>,
    expect: Option<&ExpectedHead>,
) -> Result<Exit, CliError> {
    // The state is read first: a named state file that cannot be read is an error before anything else.
    let (state_path, state) = match state {
        Some(path) => match State::load(path)? {
            Some(state) => (path.to_path_buf(), Some(state)),
            None => {
                return Err(CliError::State(crate::state::StateError::Read {
                    path: path.to_path_buf(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                }));
            }
        },
        None => {
            let beside = crate::fsio::parent_dir(log).join(STATE_FILE);
            let beside = strip_dot(beside);
            let state = State::load(&beside)?;
            (beside, state)
        }
    };
    let mut checks: Vec<(ExpectedHead, String)> = Vec::new();
    if let Some(state) = &state
        && let Some(head) = &state.audit_head
    {
        checks.push((
            ExpectedHead::from(head),
            format!(
                "the state file {} (serial {})",
                state_path.display(),
                state.serial
            ),
        ));
    }
    if let Some(expect) = expect {
        checks.push((expect.clone(), "--expect-head".to_string()));
    }
    let seqs: BTreeSet<u64> = checks.iter().map(|(head, _)| head.seq).collect();
    let (report, hashes) = audit::verify_at(log, &seqs).map_err(CliError::verify)?;
    for (head, by) in &checks {
        audit::head::check(log, &report, &hashes, head, by).map_err(CliError::AuditHead)?;
    }

    let hash = report.last_hash.get(..12).unwrap_or(&report.last_hash);
    let lines = usize::try_from(report.lines).unwrap_or(usize::MAX);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Audit log {} is intact: {} {}, {} {}, last hash {hash}…",
        log.display(),
        report.lines,
        plural_of(lines, "entry", "entries"),
        report.runs,
        plural_of(report.runs, "run", "runs"),
    )
    .map_err(CliError::output)?;
    for (head, by) in &checks {
        writeln!(out, "It carries the head {head} recorded by {by}.").map_err(CliError::output)?;
    }
    if let Some(state) = &state
        && state.audit_head.is_none()
    {
        writeln!(
            out,
            "The state file {} records no audit head (written before bcprune recorded one): a log cut \
             short cannot be detected against it until the next apply saves it.",
            state_path.display()
        )
        .map_err(CliError::output)?;
    }
    Ok(Exit::Success)
}

/// `./x` → `x`, so the default placement reads as the user typed the log.
fn strip_dot(path: PathBuf) -> PathBuf {
    path.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or(path)
}
