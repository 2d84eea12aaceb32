//! The one error type of the command line, its one mapping to an exit code, and its one renderer.
//!
//! Every command returns `Result<Exit, CliError>`; [`super::main`] renders the error with [`render`] and
//! exits with [`CliError::exit`]. The mapping is a single exhaustive `match` without a wildcard, so a new
//! variant (here or in a wrapped library error such as [`LockError`]) cannot compile until someone decides
//! its exit code (cargo-nextest's `ExpectedError::process_exit_code` is the model).

use std::io::Write;

use crate::api::ApiError;
use crate::audit::{AuditError, VerifyError};
use crate::exit::Exit;
use crate::fsio::SameFile;
use crate::manifest::ManifestErrors;
use crate::state::{LockError, StateError, UnlockError};

/// Why a command stopped. Messages say what, where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The manifest has errors; every one is rendered on its own line.
    #[error("{0}")]
    Manifest(ManifestErrors),
    /// The manifest asks for order redaction (`orders: redact`, `redact_orders`), which this version
    /// does not carry out yet: refused before any request, so no plan can look as if it handled them.
    #[error(
        "{}: this version of bcprune does not redact orders yet: it reads `orders: redact`, \
         `redact_orders` and `orders_retention` but would plan nothing for them; remove those keys from \
         the manifest (the customers and subscribers are erased as before) and keep the order requests \
         elsewhere until a version that redacts orders; nothing was sent",
        manifest.display()
    )]
    OrdersNotCarriedOut { manifest: std::path::PathBuf },
    /// `--store-hash` / `BIGCOMMERCE_STORE_HASH` and the manifest's `store_hash` differ.
    #[error(
        "the target store is {flag} (--store-hash or BIGCOMMERCE_STORE_HASH) but the manifest says \
         store_hash: {file}; they must be the same store"
    )]
    StoreConflict { flag: String, file: String },
    /// No store hash anywhere.
    #[error(
        "no target store: pass --store-hash, set BIGCOMMERCE_STORE_HASH, or set store_hash in the manifest"
    )]
    NoStore,
    /// The hidden retry override (`BCPRUNE_RETRY`) does not parse.
    #[error("BCPRUNE_RETRY: {0}")]
    RetrySpec(crate::api::RetrySpecError),
    /// The API client could not be built (no token, bad URL, …).
    #[error("{0}")]
    Client(ApiError),
    /// Listing the manifest's records failed.
    #[error("could not list customers: {0}")]
    List(ApiError),
    /// The async runtime could not start.
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The state file cannot be read or used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The apply lock cannot be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// `force-unlock` did not remove the lock.
    #[error(transparent)]
    Unlock(#[from] UnlockError),
    /// The audit log cannot be opened or written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// `audit verify` found the chain broken.
    #[error(
        "{0} (the chain is broken from this line on; the log was edited, truncated or reordered)"
    )]
    AuditBroken(VerifyError),
    /// `audit verify` could not read the log.
    #[error(
        "{0}. Name the manifest (`bcprune audit verify MANIFEST`: the log beside it, as plan and apply place it) or pass the log with --log FILE (default: ./bcprune.audit.jsonl)"
    )]
    AuditUnreadable(VerifyError),
    /// A saved plan cannot be read, parsed, checked or written.
    #[error(transparent)]
    PlanFile(#[from] crate::plan::file::PlanFileError),
    /// Two of the files a command uses are one file.
    #[error(transparent)]
    SameFile(#[from] SameFile),
    /// Two flags that cannot go together.
    #[error("{0}")]
    Conflict(&'static str),
    /// A `bcprune sim` knob out of range.
    #[error("{flag} {message}")]
    SimFlag { flag: &'static str, message: String },
    /// `bcprune sim` could not listen.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source}. Pick another --port (0 chooses a free one)"
    )]
    SimListen { port: u16, source: std::io::Error },
    /// Waiting for Ctrl-C failed (`bcprune sim`).
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
    /// `apply` was given neither a manifest nor a saved plan.
    #[error("apply needs a MANIFEST, or --plan PLAN saved by `bcprune plan --out`")]
    ApplyNeedsManifest,
    /// `bcprune demo` could not run its scenario.
    #[error("{0}")]
    Demo(String),
    /// `man --out-dir`: a page could not be written.
    #[error("cannot write the man page {}: {source}", path.display())]
    ManPage {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// Writing the command's output failed (other than a closed pipe).
    #[error("could not write to standard output: {0}")]
    Output(std::io::Error),
    /// `import` stopped before writing anything.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// An `import` flag (`--reason`, `--received`) is invalid.
    #[error("{0}")]
    ImportFlag(String),
    /// `import` could not look the emails up.
    #[error("could not look the emails up, so nothing was written: {0}")]
    Lookup(ApiError),
    /// `audit verify`: the log does not carry a head recorded elsewhere (cut short, or rewritten).
    #[error(transparent)]
    AuditHead(crate::audit::HeadMismatch),
    /// `report`: the audit log cannot back the report printed above.
    #[error(
        "the report above cannot be matched against the audit log: {0}. Run `bcprune audit verify` on it"
    )]
    ReportAudit(String),
    /// The report lists entries as `unproven` (PRODUCT §14).
    #[error(
        "the report above lists {} {} as unproven: the state records them as erased or absent, but the \
         audit log does not prove it. Do not file it: restore the state file from version control, or \
         run `bcprune apply`, which lists them again",
        .0,
        crate::text::plural(*.0, "entry", "entries")
    )]
    ReportUnproven(usize),
    /// `report --receipt` could not make the receipt, or `audit verify --receipt` found claims the log
    /// does not back (PRODUCT §16).
    #[error(transparent)]
    Receipt(#[from] crate::receipt::ReceiptError),
    /// The hidden `BCPRUNE_TODAY` / `--today` is not a date.
    #[error("BCPRUNE_TODAY: `{0}` is not a date written YYYY-MM-DD")]
    BadToday(String),
    /// The reader of stdout went away (`| head`): stop quietly.
    #[error("standard output was closed")]
    ClosedPipe,
}

impl CliError {
    /// The exit code for this error (PRODUCT.md §2). Exhaustive, no wildcard: decide for every new variant.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Lock(lock) => match lock {
                LockError::Held { .. } => Exit::Refused,
                LockError::OtherHost { .. } => Exit::Refused,
                LockError::Unrecognized { .. } => Exit::Refused,
                LockError::Io { .. } => Exit::Error,
            },
            CliError::Unlock(unlock) => match unlock {
                UnlockError::InUse { .. } => Exit::Refused,
                UnlockError::NotLocked { .. }
                | UnlockError::Mismatch { .. }
                | UnlockError::Unrecognized { .. }
                | UnlockError::Io { .. } => Exit::Error,
            },
            CliError::Manifest(_)
            | CliError::OrdersNotCarriedOut { .. }
            | CliError::StoreConflict { .. }
            | CliError::NoStore
            | CliError::RetrySpec(_)
            | CliError::Client(_)
            | CliError::List(_)
            | CliError::Runtime(_)
            | CliError::State(_)
            | CliError::Audit(_)
            | CliError::AuditBroken(_)
            | CliError::AuditUnreadable(_)
            | CliError::PlanFile(_)
            | CliError::SameFile(_)
            | CliError::Conflict(_)
            | CliError::SimFlag { .. }
            | CliError::SimListen { .. }
            | CliError::Signal(_)
            | CliError::Demo(_)
            | CliError::ApplyNeedsManifest
            | CliError::Output(_)
            | CliError::ManPage { .. }
            | CliError::Import(_)
            | CliError::ImportFlag(_)
            | CliError::Lookup(_)
            | CliError::AuditHead(_)
            | CliError::ReportAudit(_)
            | CliError::ReportUnproven(_)
            | CliError::Receipt(_)
            | CliError::BadToday(_)
            | CliError::ClosedPipe => Exit::Error,
        }
    }

    /// An error writing the command's output: a closed pipe is [`CliError::ClosedPipe`].
    pub fn output(error: std::io::Error) -> CliError {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::ClosedPipe
        } else {
            CliError::Output(error)
        }
    }

    /// An `audit verify` failure, with the hint that fits it.
    pub fn verify(error: VerifyError) -> CliError {
        match error {
            VerifyError::Broken { .. } => CliError::AuditBroken(error),
            VerifyError::Read { .. } => CliError::AuditUnreadable(error),
        }
    }
}

/// Write `error` to `out` as the user sees it: a manifest's errors one per line (`path:line:column: error:
/// …`) and a count; a closed pipe as nothing; anything else as `error: …`.
pub fn render_to(error: &CliError, out: &mut dyn Write) -> std::io::Result<()> {
    // Every error may quote what a person typed (a manifest value, a key, a file name, a cell, a flag)
    // or a server echoed: every address-like token is masked, whatever the command (PRODUCT §14).
    let masked = crate::mask::addresses;
    match error {
        CliError::Manifest(errors) => {
            for error in &errors.0 {
                let line = format!("{}: error: {}", error.location, error.message);
                writeln!(out, "{}", masked(&line))?;
            }
            let count = errors.0.len();
            let problems = if count == 1 { "problem" } else { "problems" };
            writeln!(
                out,
                "error: {count} {problems} in the manifest; nothing was sent to the API."
            )
        }
        CliError::ClosedPipe => Ok(()),
        other => writeln!(out, "error: {}", masked(&other.to_string())),
    }
}

/// Render `error` on stderr (buffered: a manifest with a million mistakes should not cost a million system
/// calls). A closed stderr is ignored: there is no one left to tell.
pub fn render(error: &CliError) {
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    let _ = render_to(error, &mut stderr);
    let _ = stderr.flush();
}

/// The rendered text, for tests.
pub fn rendered(error: &CliError) -> String {
    let mut out = Vec::new();
    let _ = render_to(error, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A command's result as its exit code, rendering the error if any (for commands that run others).
pub fn exit_of(result: Result<Exit, CliError>) -> Exit {
    result.unwrap_or_else(|error| {
        render(&error);
        error.exit()
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::manifest::{Location, ManifestError};
    use crate::state::LockHolder;

    fn holder(host: &str) -> LockHolder {
        LockHolder {
            pid: 4242,
            host: host.to_string(),
            started_at: "2026-11-28T20:00:00Z".parse().expect("ts"),
            run_id: "8f0c".to_string(),
        }
    }

    /// Every message as the user reads it, with its exit code.
    fn shown(error: CliError) -> String {
        format!("[exit {}] {}", error.exit().code(), rendered(&error))
    }

    #[test]
    fn manifest_errors_are_one_per_line_then_a_count() {
        let file: Arc<Path> = Arc::from(Path::new("customers/a.yaml"));
        let at = |line, column| Location {
            file: file.clone(),
            line,
            column,
        };
        let error = CliError::Manifest(ManifestErrors(vec![
            ManifestError {
                location: at(3, 9),
                message: "id must be a positive integer".into(),
            },
            ManifestError {
                location: at(7, 1),
                message: "unknown key `absnet`".into(),
            },
        ]));
        insta::assert_snapshot!(shown(error), @r"
        [exit 1] customers/a.yaml:3:9: error: id must be a positive integer
        customers/a.yaml:7:1: error: unknown key `absnet`
        error: 2 problems in the manifest; nothing was sent to the API.
        ");
    }

    #[test]
    fn store_and_settings_errors() {
        insta::assert_snapshot!(shown(CliError::StoreConflict { flag: "abc".into(), file: "xyz".into() }), @"[exit 1] error: the target store is abc (--store-hash or BIGCOMMERCE_STORE_HASH) but the manifest says store_hash: xyz; they must be the same store");
        insta::assert_snapshot!(shown(CliError::NoStore), @"[exit 1] error: no target store: pass --store-hash, set BIGCOMMERCE_STORE_HASH, or set store_hash in the manifest");
        insta::assert_snapshot!(shown(CliError::RetrySpec(crate::api::RetrySpecError::NotKeyValue("x".into()))), @r#"[exit 1] error: BCPRUNE_RETRY: retry policy: expected key=value, got "x""#);
        insta::assert_snapshot!(shown(CliError::SimFlag { flag: "--quota", message: "must be at least 1 request per window".into() }), @"[exit 1] error: --quota must be at least 1 request per window");
    }

    #[test]
    fn lock_errors_map_variant_by_variant() {
        let path = PathBuf::from("ci/bcprune.state.json.lock");
        insta::assert_snapshot!(shown(CliError::Lock(LockError::OtherHost { path: path.clone(), holder: holder("runner-7"), our_host: "laptop".into() })), @r#"[exit 3] error: the lock ci/bcprune.state.json.lock was taken by an apply on another machine: process 4242 on host "runner-7", started 2026-11-28T20:00:00Z, lock ID 8f0c. Its lock cannot be checked from this host ("laptop"), so that apply may still be running. Wait for it to finish; if you are sure no apply is running (the machine is gone), clear it with `bcprune force-unlock 8f0c --state ci/bcprune.state.json`"#);
        insta::assert_snapshot!(shown(CliError::Lock(LockError::Held { path: path.clone(), holder: Some(holder("runner-7")), elsewhere: true })), @r#"[exit 3] error: another apply holds the lock ci/bcprune.state.json.lock right now: process 4242 on host "runner-7", started 2026-11-28T20:00:00Z, lock ID 8f0c. Wait for that apply to finish; if its machine is gone (a CI runner that vanished), clear it with `bcprune force-unlock 8f0c --state ci/bcprune.state.json`"#);
        insta::assert_snapshot!(shown(CliError::Lock(LockError::Unrecognized { path: path.clone(), reason: "empty".into() })), @"[exit 3] error: the lock file ci/bcprune.state.json.lock exists but is not a bcprune lock (empty). If you are sure no apply is running, delete it");
        insta::assert_snapshot!(shown(CliError::Lock(LockError::Io { path: path.clone(), source: std::io::Error::other("disk full") })), @"[exit 1] error: cannot use the lock file ci/bcprune.state.json.lock: disk full");
        insta::assert_snapshot!(shown(CliError::Unlock(UnlockError::Mismatch { path: path.clone(), given: "nope".into(), holder: holder("runner-7") })), @r#"[exit 1] error: the lock ci/bcprune.state.json.lock has lock ID 8f0c, not nope: process 4242 on host "runner-7", started 2026-11-28T20:00:00Z, lock ID 8f0c. Nothing was removed; check that this is the lock you mean, then run `bcprune force-unlock 8f0c` with its ID"#);
        insta::assert_snapshot!(shown(CliError::Unlock(UnlockError::InUse { path, holder: None })), @"[exit 3] error: an apply holds the lock ci/bcprune.state.json.lock right now (a process that has not written its details yet); it is not removed. Wait for that apply to finish");
    }

    #[test]
    fn file_errors() {
        insta::assert_snapshot!(shown(CliError::PlanFile(crate::plan::file::PlanFileError::Parse { path: "plan.json".into(), line: 3, column: 7, message: "expected value".into() })), @"[exit 1] error: plan.json:3:7: not a bcprune plan: expected value");
        insta::assert_snapshot!(shown(CliError::SameFile(crate::fsio::SameFile { first: "--out", second: "a manifest file", path: "/w/m.yaml".into() })), @"[exit 1] error: --out and a manifest file are the same file (/w/m.yaml); each must be its own file, or one would overwrite the other. Nothing was read or written");
        insta::assert_snapshot!(shown(CliError::Conflict("--diff shows a human-readable diff and cannot be combined with --format json")), @"[exit 1] error: --diff shows a human-readable diff and cannot be combined with --format json");
    }

    #[test]
    fn import_report_and_audit_head_errors() {
        insta::assert_snapshot!(shown(CliError::Import(crate::import::ImportError::Exists("r.yaml".into()))), @"[exit 1] error: r.yaml already exists: import writes a new manifest file, one per request, and never changes one. Pick a new file name (e.g. customers/2026/12/request-0043.yaml)");
        let input = crate::import::InputError {
            origin: crate::import::Origin::Line {
                source: "r.csv".into(),
                line: 3,
            },
            message: "`***` is not a valid email address: no @".into(),
        };
        insta::assert_snapshot!(shown(CliError::Import(crate::import::ImportError::Input(vec![input]))), @r"
        [exit 1] error: r.csv:3: `***` is not a valid email address: no @
        error: 1 invalid input; nothing was looked up or written
        ");
        insta::assert_snapshot!(shown(CliError::ImportFlag("--received: received 2027-01-01 is after today (2026-12-01): a request cannot have arrived in the future".into())), @"[exit 1] error: --received: received 2027-01-01 is after today (2026-12-01): a request cannot have arrived in the future");
        let mismatch = crate::audit::HeadMismatch::Shorter {
            log: "a.jsonl".into(),
            lines: 3,
            seq: 5,
            expected: "5:2300f193b3e3".into(),
            by: "--expect-head".into(),
        };
        insta::assert_snapshot!(shown(CliError::AuditHead(mismatch)), @"[exit 1] error: the audit log a.jsonl has 3 lines, but --expect-head records its head at line 5 (5:2300f193b3e3): the log was cut short (lines removed from its end). Restore the log from version control or the CI artifact; do not apply with it");
        insta::assert_snapshot!(shown(CliError::ReportAudit("the chain is broken".into())), @"[exit 1] error: the report above cannot be matched against the audit log: the chain is broken. Run `bcprune audit verify` on it");
        insta::assert_snapshot!(shown(CliError::BadToday("x".into())), @"[exit 1] error: BCPRUNE_TODAY: `x` is not a date written YYYY-MM-DD");
    }

    #[test]
    fn a_closed_pipe_says_nothing_and_exits_1() {
        let error = CliError::output(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(shown(error), "[exit 1] ");
        let other = CliError::output(std::io::Error::other("disk full"));
        insta::assert_snapshot!(shown(other), @"[exit 1] error: could not write to standard output: disk full");
    }
}
