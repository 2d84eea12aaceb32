//! `bcprune report`: the status of every erasure the manifest lists, offline (PRODUCT.md §9): the
//! manifest, the state file and the audit log, no token and no request. The report itself is
//! [`crate::report`]'s; this picks the files, prints it, and decides the exit code.

use std::io::Write;

use crate::exit::Exit;
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
    /// Exit 2 when any entry is overdue.
    #[arg(long)]
    pub overdue_exitcode: bool,
}

/// The report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Markdown,
    Json,
    Csv,
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
    report.store_hash = Some(store_hash);
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Table => report::table(&report, &mut out),
        ReportFormat::Markdown => report::markdown(&report, &mut out),
        ReportFormat::Json => report::json(&report, &mut out),
        ReportFormat::Csv => report::csv(&report, &mut out),
    }
    .and_then(|()| out.flush())
    .map_err(CliError::output)?;
    drop(out);
    if matches!(args.format, ReportFormat::Json | ReportFormat::Csv) {
        for line in report::notes(&report) {
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
