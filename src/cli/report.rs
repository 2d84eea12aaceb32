//! `bcprune report`: the status of every erasure the manifest lists, offline (PRODUCT.md §9): the
//! manifest, the state file and the audit log, no token and no request. The report itself is
//! [`crate::report`]'s; this picks the files, prints it, and decides the exit code.

use std::io::Write;

use crate::by_request;
use crate::exit::Exit;
use crate::receipt::{self, ReceiptError};
use crate::report::{self, AuditInfo};

use super::common;
use super::error::CliError;
use super::settings::Settings;

/// `bcprune report` options.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A manifest file, or a directory of *.yaml / *.yml files.
    pub manifest: std::path::PathBuf,
    /// The store reported on (also BIGCOMMERCE_STORE_HASH, or the manifest's `store_hash`; two that differ
    /// are an error); a state file of another store is refused.
    #[arg(long, env = "BIGCOMMERCE_STORE_HASH")]
    pub store_hash: Option<String>,
    /// Output format (with json and csv, the header lines and the summary go to stderr).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Exit 2 when any entry is overdue: a deletion past its due date, or an order whose retention
    /// ended and is not yet redacted.
    #[arg(long)]
    pub overdue_exitcode: bool,
    /// One row per manifest entry (`record`, the default) or per erasure request (`request`: the
    /// entries sharing a `request:` reference, an entry without one on its own).
    #[arg(long, value_enum, default_value_t = By::Record)]
    pub by: By,
    /// Write the receipt of this request (its `request:` reference) instead of the report:
    /// markdown, or JSON with `--format json` (`schemas/receipt.schema.json`). Only for a request that is
    /// settled (erased or retained).
    #[arg(long, value_name = "REQUEST", conflicts_with = "by")]
    pub receipt: Option<String>,
    /// Write the receipt to FILE (replaced atomically) instead of standard output.
    #[arg(long, value_name = "FILE", requires = "receipt")]
    pub out: Option<std::path::PathBuf>,
}

/// What a report row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// One row per manifest entry.
    Record,
    /// One row per erasure request.
    Request,
}

/// The report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Markdown,
    Json,
    Csv,
}

/// `report --receipt REQUEST [--out FILE]`: the receipt of a settled request, made against the audit
/// log as it is now; refused (exit 1) when the log cannot back the report or the request is not settled.
fn write_receipt(
    args: &ReportArgs,
    report: &report::Report,
    request: &str,
    store_hash: &str,
    log: &std::path::Path,
) -> Result<Exit, CliError> {
    if let Some(problem) = &report.audit_log.problem {
        return Err(CliError::ReportAudit(problem.clone()));
    }
    let requests = by_request::compute(report);
    let row = requests
        .requests
        .iter()
        .find(|row| row.request.as_deref() == Some(request))
        .ok_or_else(|| ReceiptError::Unknown(request.to_string()))?;
    let receipt = receipt::make(row, &report.manifest.sha256, store_hash, log)?;
    let mut text = Vec::new();
    match args.format {
        ReportFormat::Json => receipt::json(&receipt, &mut text),
        ReportFormat::Table | ReportFormat::Markdown | ReportFormat::Csv => {
            receipt::markdown(&receipt, &mut text)
        }
    }
    .map_err(CliError::output)?;
    match &args.out {
        Some(path) => {
            crate::fsio::write_atomically(path, &text).map_err(|source| {
                CliError::Receipt(ReceiptError::Write {
                    path: path.clone(),
                    source,
                })
            })?;
            // The check runs as written from here: the manifest and the log this report read, named.
            common::note(format_args!(
                "Wrote the receipt of request {request} to {} (audit head {}:{}). Check it with: \
                 bcprune audit verify {} --log {} --receipt {}",
                path.display(),
                receipt.audit_head.seq,
                receipt.audit_head.hash.get(..12).unwrap_or_default(),
                args.manifest.display(),
                log.display(),
                path.display()
            ));
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&text)
                .and_then(|()| out.flush())
                .map_err(CliError::output)?;
        }
    }
    Ok(Exit::Success)
}

/// Print the report; exit 1 (after printing it) when the audit log cannot back it (broken, unreadable,
/// missing while the state names its head, or not carrying the state's head) or does not prove an
/// entry the state calls erased or absent (`unproven`, PRODUCT §14); else 2 with `--overdue-exitcode`
/// when an entry is overdue (or reappeared past its due date); else 0.
pub fn run(
    settings: &Settings,
    args: &ReportArgs,
    days: crate::manifest::Days,
) -> Result<Exit, CliError> {
    let today = days.today;
    let options = days.options();
    let manifest =
        crate::manifest::load_with(&args.manifest, &options).map_err(CliError::Manifest)?;
    super::common::log_files(&manifest);
    let files = settings.files(&args.manifest);
    // The store is resolved as for `plan` (flag, environment, manifest; they must agree) before any file
    // is trusted: another store's state would report its deletions as this store's erasures (IDs are
    // per store).
    let store_hash = common::target_store(args.store_hash.as_ref(), &manifest)?;
    let state = crate::state::State::load(&files.state)?;
    if let Some(state) = &state {
        state.check_store(&files.state, &store_hash)?;
    }
    let audit = AuditInfo::read(&files.audit_log, state.as_ref());
    // PRODUCT §14: every erased or absent record is checked against the log, never the state alone.
    let evidence = match &state {
        // The head is checked above (`AuditInfo`, exit 1); the statuses come from the lines there are.
        Some(state) => crate::evidence::prove(&files.audit_log, None, &state.store_hash),
        None => Ok(crate::evidence::Proof::default()),
    };
    let mut report = report::compute(
        &manifest,
        state.as_ref().map(|s| (s, files.state.as_path())),
        audit,
        &evidence,
        today,
    );
    // The store reported on is the one resolved above (the state, if any, was checked to be it).
    report.store_hash = Some(store_hash.clone());
    if let Some(request) = &args.receipt {
        return write_receipt(args, &report, request, &store_hash, &files.audit_log);
    }
    let mut out = std::io::stdout().lock();
    let notes = match args.by {
        By::Record => {
            match args.format {
                ReportFormat::Table => report::table(&report, &mut out),
                ReportFormat::Markdown => report::markdown(&report, &mut out),
                ReportFormat::Json => report::json(&report, &mut out),
                ReportFormat::Csv => report::csv(&report, &mut out),
            }
            .map_err(CliError::output)?;
            report::notes(&report)
        }
        By::Request => {
            let requests = by_request::compute(&report);
            match args.format {
                ReportFormat::Table => by_request::table(&requests, &mut out),
                ReportFormat::Markdown => by_request::markdown(&requests, &mut out),
                ReportFormat::Json => by_request::json(&requests, &mut out),
                ReportFormat::Csv => by_request::csv(&requests, &mut out),
            }
            .map_err(CliError::output)?;
            by_request::notes(&requests)
        }
    };
    out.flush().map_err(CliError::output)?;
    drop(out);
    if matches!(args.format, ReportFormat::Json | ReportFormat::Csv) {
        for line in notes {
            common::note(line);
        }
    }
    if let Some(problem) = &report.audit_log.problem {
        return Err(CliError::ReportAudit(problem.clone()));
    }
    if report.summary.unproven > 0 {
        return Err(CliError::ReportUnproven(report.summary.unproven));
    }
    // A reappeared entry past its due date is overdue work too.
    let reappeared_overdue = report
        .entries
        .iter()
        .any(|e| e.status == report::Status::Reappeared && e.due.is_some_and(|due| due < today));
    if args.overdue_exitcode && (report.summary.overdue > 0 || reappeared_overdue) {
        // Exit 2 is the "something is pending" code of `plan --detailed-exitcode` (PRODUCT §2, §9).
        return Ok(Exit::ChangesPending);
    }
    Ok(Exit::Success)
}
