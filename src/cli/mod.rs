//! The command line: clap definitions, turning raw arguments into [`Settings`] once, running the command
//! and mapping its outcome to an exit code. This is the only layer that prints; each command's printing
//! lives in its own file here, and errors are rendered in one place ([`error::render`]).
//!
//! Each command takes only the flags it uses (argument groups flattened into it, never `global = true`),
//! so `bcprune schema manifest --batch-size 3` is an error. Every argument error exits 1 (PRODUCT §2: a 2
//! would read as "deletions pending"); `--help` and `--version` exit 0.

mod apply;
mod args;
mod audit;
pub mod common;
mod demo;
mod docs;
pub mod error;
mod force_unlock;
mod import;
mod knobs;
mod out;
mod plan;
mod progress;
mod report;
mod schema;
pub mod settings;
mod show;
mod sim;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

pub use apply::ApplyArgs;
pub use args::{AuditLogArgs, DeleteArgs, Format, OutputArgs, StateArgs, StoreArgs, TodayArgs};
pub use audit::AuditCommand;
pub use error::CliError;
pub use import::ImportArgs;
pub use plan::PlanArgs;
pub use report::{ReportArgs, ReportFormat};
pub use schema::SchemaKind;
pub use settings::{Files, GlobalArgs, Groups, Settings, check_distinct_files};
pub use show::ShowArgs;
pub use sim::SimArgs;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check a manifest, offline.
    Validate {
        /// A manifest file, or a directory of *.yaml / *.yml files.
        manifest: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Read the store and show what apply would delete and redact.
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
    /// Plan afresh (or take a saved plan), ask for approval, delete and redact, verify, record.
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
    #[command(
        after_help = "Example, one erasure request whose orders are redacted once their retention ends:\n  \
        bcprune import --into customers/2026/12/dsr-2026-0043.yaml --reason \"GDPR erasure\" \\\n    \
        --received 2026-12-02 --request DSR-2026-0043 --orders redact -   # emails on stdin"
    )]
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
    #[command(after_help = "Examples:\n  \
        bcprune report customers/                    one row per record (orders: redacted, or retained until a date)\n  \
        bcprune report customers/ --by request       one row per request: status, due, days late, what stays\n  \
        bcprune report customers/ --receipt DSR-2026-0043 --format json --out receipt.json\n  \
        bcprune audit verify customers/ --receipt receipt.json    (anyone holding the log checks the receipt)")]
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
    #[command(
        after_help = "Example, customer 5 with three orders and two guest orders (order IDs 100-104):\n  \
        bcprune sim --orders 5:3 --guest-orders guest@example.com:2"
    )]
    Sim {
        #[command(flatten)]
        args: SimArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
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
                    receipt,
                    output,
                },
        } => {
            settings(Groups {
                output: Some(output),
                ..Groups::default()
            })?;
            let log = audit::log_path(log.as_deref(), manifest.as_deref());
            if let Some(receipt) = receipt {
                let days = crate::manifest::Days::now();
                return audit::verify_receipt(&log, receipt, manifest.as_deref(), days);
            }
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
