//! The command line: clap definitions, turning raw arguments into [`Settings`] once, running the command
//! and mapping its outcome to an exit code. This is the only layer that prints; each command's printing
//! lives in its own file here, and errors are rendered in one place ([`error::render`]).
//!
//! Each command takes only the flags it uses (argument groups flattened into it, never `global = true`),
//! so `bcprune schema manifest --batch-size 3` is an error. Every argument error exits 1 (PRODUCT §2: a 2
//! would read as "deletions pending"); `--help` and `--version` exit 0.

mod apply;
mod audit;
pub mod common;
mod demo;
mod docs;
pub mod error;
mod force_unlock;
mod import;
mod plan;
mod progress;
mod report;
mod schema;
pub mod settings;
mod show;
mod sim;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Exit;

pub use error::CliError;
pub use settings::{Files, GlobalArgs, Groups, Settings, check_distinct_files};

/// The default of `--api-url`.
pub const DEFAULT_API_URL: &str = "https://api.bigcommerce.com";
/// The default of `--parallelism`.
pub const DEFAULT_PARALLELISM: u16 = 3;

/// Delete BigCommerce customers and newsletter subscribers declaratively: plan, review, apply, verify,
/// record.
#[derive(Debug, Parser)]
#[command(name = "bcprune", version, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `-v` and `--no-color`: how a command reports on stderr.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Disable colors (also NO_COLOR).
    #[arg(long)]
    pub no_color: bool,
    /// More detail on stderr (-v, -vv, -vvv). The access token is never printed.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Which store and API to talk to, and how hard.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Target store hash (also BIGCOMMERCE_STORE_HASH, or the manifest's `store_hash`).
    #[arg(long, env = "BIGCOMMERCE_STORE_HASH")]
    pub store_hash: Option<String>,
    /// API base URL; requests go to {api-url}/stores/{store_hash}/v3/customers (and …/v3/customers/subscribers).
    #[arg(long, env = "BIGCOMMERCE_API_URL", default_value = DEFAULT_API_URL)]
    pub api_url: String,
    /// Requests in flight at once.
    #[arg(long, default_value_t = DEFAULT_PARALLELISM, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallelism: u16,
    /// Test knob: the retry policy (`base_ms=2,cap_ms=50,…`), so tests of back-off run fast.
    #[arg(long, env = "BCPRUNE_RETRY", hide = true, hide_env = true)]
    pub retry_policy: Option<String>,
    /// Test knob: a per-request timeout in milliseconds, so tests of a hanging store stay short.
    #[arg(long, env = "BCPRUNE_TIMEOUT_MS", hide = true, hide_env = true)]
    pub timeout_ms: Option<u64>,
}

/// `--state`.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// State file (default: bcprune.state.json beside the manifest file, or inside the manifest directory).
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// `--audit-log`.
#[derive(Debug, Clone, Args)]
pub struct AuditLogArgs {
    /// Audit log (default: bcprune.audit.jsonl, placed like the state file).
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
}

/// How apply deletes.
#[derive(Debug, Clone, Args)]
pub struct DeleteArgs {
    /// Customer IDs per DELETE request (at most 250).
    #[arg(
        long,
        default_value_t = settings::MAX_BATCH_SIZE,
        value_parser = clap::value_parser!(u16).range(1..=i64::from(settings::MAX_BATCH_SIZE))
    )]
    pub batch_size: u16,
    /// Override the manifest's `max_deletes`.
    #[arg(long)]
    pub max_deletes: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check a manifest, offline.
    Validate {
        /// A manifest file, or a directory of *.yaml / *.yml files.
        manifest: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Read the store and show what apply would delete.
    Plan {
        #[command(flatten)]
        args: PlanArgs,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        state: StateArgs,
        /// Where the markdown comment reads the audit head from (PRODUCT §10).
        #[command(flatten)]
        audit_log: AuditLogArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Plan afresh (or take a saved plan), ask for approval, delete, verify, record.
    Apply {
        #[command(flatten)]
        args: ApplyArgs,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        audit_log: AuditLogArgs,
        #[command(flatten)]
        delete: DeleteArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Render a saved plan, offline.
    Show {
        #[command(flatten)]
        args: ShowArgs,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Resolve erasure requests' emails to IDs and write a new manifest file holding IDs only.
    Import {
        #[command(flatten)]
        args: ImportArgs,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        today: TodayArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show the status of every erasure the manifest lists, with deadlines and the audit head, offline.
    Report {
        #[command(flatten)]
        args: ReportArgs,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        audit_log: AuditLogArgs,
        #[command(flatten)]
        today: TodayArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which document's schema.
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Remove a lock left by an apply that vanished (a CI runner that is gone), given its lock ID.
    ForceUnlock {
        /// The lock ID, as the lock-held message names it.
        lock_id: String,
        /// The manifest whose state file's lock to remove (or pass --state).
        manifest: Option<PathBuf>,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command with --out-dir.
    Man {
        /// Write bcprune.1 and a bcprune-COMMAND.1 per command into DIR (created if needed).
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Run plan and apply end to end against an embedded fake store, no credentials needed.
    Demo {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Run the fake BigCommerce store, to rehearse a pipeline without a real store.
    Sim {
        #[command(flatten)]
        args: SimArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A manifest file, or a directory of *.yaml / *.yml files.
    pub manifest: PathBuf,
    /// Save the plan (JSON) for `apply --plan`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit 2 when deletions are pending, 0 when there is nothing to do.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show a unified diff of the affected customer and subscriber records (masked).
    #[arg(long)]
    pub diff: bool,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
    /// Check the plan against this `max_deletes` instead of the manifest's, as `apply --max-deletes`
    /// would (the apply must be given the same override).
    #[arg(long)]
    pub max_deletes: Option<u32>,
    /// List every manifest ID, including those the state records as deleted and verified or found
    /// absent (by default they are not listed again: IDs are never reused). Finds records that
    /// reappeared.
    #[arg(long)]
    pub refresh_all: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A manifest file or directory (optional with --plan: then it replaces the plan's recorded path).
    pub manifest: Option<PathBuf>,
    /// Apply a saved plan; passing it is the approval.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
    /// List every manifest ID, including those the state records as settled (see `plan --refresh-all`).
    #[arg(long, conflicts_with = "plan")]
    pub refresh_all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `plan --out`.
    pub plan: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
}

/// `bcprune import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The new manifest file to write (it must not exist).
    #[arg(long, value_name = "FILE")]
    pub into: PathBuf,
    /// The reason on every entry (a ticket or request number, never an email); a CSV `reason` column
    /// overrides it. Required unless every CSV row has one.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The day the request arrived (YYYY-MM-DD, default today); a CSV `received` column overrides it.
    #[arg(long, value_name = "DATE")]
    pub received: Option<String>,
    /// A CSV file with a header naming `email` and optionally `reason` and `received`.
    #[arg(long, value_name = "CSV")]
    pub from: Option<PathBuf>,
    /// The manifest directory FILE joins (IDs it lists already are left out); default: the nearest
    /// directory above FILE holding a bcprune.state.json, else FILE's directory.
    #[arg(long, value_name = "DIR")]
    pub manifest: Option<PathBuf>,
    /// Emails to look up; `-` reads one per line from standard input (arguments may be kept in your
    /// shell history: prefer --from or `-`).
    #[arg(value_name = "EMAIL")]
    pub emails: Vec<String>,
}

/// `bcprune report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A manifest file, or a directory of *.yaml / *.yml files.
    pub manifest: PathBuf,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Markdown,
    Json,
    Csv,
}

/// Test knob: the day taken as today (YYYY-MM-DD), so due and overdue dates are reproducible.
#[derive(Debug, Clone, Args)]
pub struct TodayArgs {
    #[arg(long, env = "BCPRUNE_TODAY", hide = true, hide_env = true)]
    pub today: Option<String>,
}

impl TodayArgs {
    /// The injected day (a debug build only; taken as both today and the latest `received` day), or the
    /// clock's: today as the system time zone says, and today in the earliest time zone for `received`
    /// dates. A release build that ignored the knob warns of it.
    pub fn resolve(&self) -> Result<crate::manifest::Days, CliError> {
        let (days, ignored) = self.resolve_for(settings::BuildKind::current())?;
        if let Some(name) = ignored {
            common::warning(settings::ignored_knob_warning(name));
        }
        Ok(days)
    }

    /// The days as a `build` build takes them, and the knob's name when it was set and ignored.
    pub fn resolve_for(
        &self,
        build: settings::BuildKind,
    ) -> Result<(crate::manifest::Days, Option<&'static str>), CliError> {
        let (injected, ignored) =
            settings::test_knob("BCPRUNE_TODAY (--today)", self.today.as_ref(), build);
        let days = match injected {
            None => crate::manifest::Days::now(),
            Some(text) => text
                .parse()
                .map(crate::manifest::Days::fixed)
                .map_err(|_| CliError::BadToday(text.clone()))?,
        };
        Ok((days, ignored))
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain.
    Verify {
        /// The manifest (file or directory) whose audit log to check: the log beside it, as `plan` and
        /// `apply` place it.
        manifest: Option<PathBuf>,
        /// The audit log to check (default: bcprune.audit.jsonl beside MANIFEST, else in the current
        /// directory).
        #[arg(long)]
        log: Option<PathBuf>,
        /// The state file whose audit head the log must carry (default: bcprune.state.json beside the
        /// log, when it exists).
        #[arg(long)]
        state: Option<PathBuf>,
        /// A head published elsewhere (CI log, PR comment) the log must carry: SEQ:HASH, the hash as a
        /// prefix of at least 12 hex digits (`42:2300f193b3e3`).
        #[arg(long, value_name = "SEQ:HASH", value_parser = clap::value_parser!(crate::audit::ExpectedHead))]
        expect_head: Option<crate::audit::ExpectedHead>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Manifest,
    Plan,
    State,
    Report,
}

/// `bcprune sim` options: the fake store's knobs.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Number of seeded customers (IDs 1..=N).
    #[arg(long, default_value_t = 1000)]
    pub customers: u32,
    /// Number of seeded newsletter subscribers (IDs 1..=N, their own namespace; some are customers too).
    #[arg(long, default_value_t = 200)]
    pub subscribers: u32,
    /// Requests allowed per rate-limit window.
    #[arg(long, default_value_t = 150)]
    pub quota: u32,
    /// Rate-limit window in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub window_ms: u64,
    /// Store hash to serve.
    #[arg(long, default_value = "demo42")]
    pub store: String,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction (0..1) of requests answered with an injected 5xx.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Seed for customer data and injected faults.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Most customer IDs one DELETE may carry (more answers 413); unlimited when not given.
    #[arg(long)]
    pub max_ids_per_delete: Option<usize>,
    /// Most requests in flight at once (excess ones get a 429); unlimited when not given.
    #[arg(long)]
    pub max_in_flight: Option<usize>,
}

/// Parse the command line, run the command, render any error, and return the exit code.
pub fn main() -> std::process::ExitCode {
    common::silence_closed_pipe_panics();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e).into(),
    };
    // A print to a closed pipe that slipped through (a `println!`) unwinds quietly instead of crashing
    // with a backtrace; destructors run, so locks are released.
    let exit = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(exit)) => exit,
        Ok(Err(error)) => {
            error::render(&error);
            error.exit()
        }
        Err(panic) if common::is_closed_pipe_panic(panic.as_ref()) => Exit::Error,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    exit.into()
}

/// `--help` and `--version` print and exit 0; every argument error prints clap's message (naming the
/// argument) and exits 1, never clap's 2.
fn parse_error(error: &clap::Error) -> Exit {
    let _ = error.print();
    if error.exit_code() == 0 {
        Exit::Success
    } else {
        Exit::Error
    }
}

/// Resolve the settings of `command` and run it.
pub fn run(cli: Cli) -> Result<Exit, CliError> {
    let settings = |groups: Groups<'_>| -> Result<Settings, CliError> {
        let settings = Settings::from_args(groups)?;
        common::init_tracing(settings.verbose, settings.no_color);
        for name in &settings.ignored_knobs {
            common::warning(settings::ignored_knob_warning(name));
        }
        Ok(settings)
    };
    match &cli.command {
        Command::Validate { manifest, output } => {
            settings(Groups {
                output: Some(output),
                ..Groups::default()
            })?;
            validate::run(manifest)
        }
        Command::Plan {
            args,
            store,
            state,
            audit_log,
            output,
        } => plan::run(
            &Settings {
                max_deletes: args.max_deletes,
                ..settings(Groups {
                    output: Some(output),
                    store: Some(store),
                    state: Some(state),
                    audit_log: Some(audit_log),
                    ..Groups::default()
                })?
            },
            args,
        ),
        Command::Apply {
            args,
            store,
            state,
            audit_log,
            delete,
            output,
        } => {
            let settings = settings(Groups {
                output: Some(output),
                store: Some(store),
                state: Some(state),
                audit_log: Some(audit_log),
                delete: Some(delete),
            })?;
            apply::run(&settings, args)
        }
        Command::Show {
            args,
            state,
            output,
        } => show::run(
            &settings(Groups {
                output: Some(output),
                state: Some(state),
                ..Groups::default()
            })?,
            args,
        ),
        Command::Import {
            args,
            store,
            today,
            output,
        } => {
            let settings = settings(Groups {
                output: Some(output),
                store: Some(store),
                ..Groups::default()
            })?;
            import::run(&settings, args, today.resolve()?)
        }
        Command::Report {
            args,
            state,
            audit_log,
            today,
            output,
        } => {
            let settings = settings(Groups {
                output: Some(output),
                state: Some(state),
                audit_log: Some(audit_log),
                ..Groups::default()
            })?;
            report::run(&settings, args, today.resolve()?)
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    manifest,
                    log,
                    state,
                    expect_head,
                    output,
                },
        } => {
            settings(Groups {
                output: Some(output),
                ..Groups::default()
            })?;
            let log = audit::log_path(log.as_deref(), manifest.as_deref());
            audit::verify_against(&log, state.as_deref(), expect_head.as_ref())
        }
        Command::Schema { which } => schema::run(*which),
        Command::ForceUnlock {
            lock_id,
            manifest,
            state,
            output,
        } => force_unlock::run(
            &settings(Groups {
                output: Some(output),
                state: Some(state),
                ..Groups::default()
            })?,
            lock_id,
            manifest.as_deref(),
        ),
        Command::Completions { shell } => docs::completions(*shell),
        Command::Man { out_dir } => docs::man(out_dir.as_deref()),
        Command::Demo { output } => {
            let settings = settings(Groups {
                output: Some(output),
                ..Groups::default()
            })?;
            demo::run(&settings)
        }
        Command::Sim { args, output } => {
            settings(Groups {
                output: Some(output),
                ..Groups::default()
            })?;
            sim::run(args)
        }
    }
}
