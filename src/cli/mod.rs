//! The command line: clap definitions, turning raw arguments into validated settings, running the
//! command and mapping its outcome to an exit code. This is the only layer that prints; each command's
//! printing lives in its own file here.

mod apply;
mod audit;
mod common;
mod demo;
mod plan;
mod schema;
mod show;
mod sim;
mod validate;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Delete BigCommerce customers declaratively: plan, review, apply, verify, record.
#[derive(Debug, Parser)]
#[command(name = "bcprune", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Target store hash (also BIGCOMMERCE_STORE_HASH, or the manifest's `store_hash`).
    #[arg(long, global = true, env = "BIGCOMMERCE_STORE_HASH")]
    pub store_hash: Option<String>,
    /// API base URL; requests go to {api-url}/stores/{store_hash}/v3/customers.
    #[arg(
        long,
        global = true,
        env = "BIGCOMMERCE_API_URL",
        default_value = "https://api.bigcommerce.com"
    )]
    pub api_url: String,
    /// State file (default: bcprune.state.json beside the manifest file, or inside the manifest directory).
    #[arg(long, global = true)]
    pub state: Option<PathBuf>,
    /// Audit log (default: bcprune.audit.jsonl, placed like the state file).
    #[arg(long, global = true)]
    pub audit_log: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, global = true, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub parallelism: u16,
    /// Customer IDs per DELETE request (at most 250).
    #[arg(long, global = true, default_value_t = 250, value_parser = clap::value_parser!(u16).range(1..=250))]
    pub batch_size: u16,
    /// Override the manifest's `max_deletes`.
    #[arg(long, global = true)]
    pub max_deletes: Option<u32>,
    /// Disable colors (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More detail on stderr (-v, -vv, -vvv). The access token is never printed.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The access token when not from the environment (only `demo` sets it, for its embedded store).
    #[arg(skip)]
    pub token: Option<crate::api::Token>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check a manifest, offline.
    Validate {
        /// A manifest file, or a directory of *.yaml / *.yml files.
        manifest: PathBuf,
    },
    /// Read the store and show what apply would delete.
    Plan(PlanArgs),
    /// Plan afresh (or take a saved plan), ask for approval, delete, verify, record.
    Apply(ApplyArgs),
    /// Render a saved plan, offline.
    Show(ShowArgs),
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print a JSON Schema.
    Schema {
        #[arg(value_enum)]
        which: SchemaKind,
    },
    /// Run plan and apply end to end against an embedded fake store; no credentials needed.
    Demo,
    /// Run the fake BigCommerce store, to rehearse a pipeline without a real store.
    Sim(SimArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A manifest file, or a directory of *.yaml / *.yml files.
    pub manifest: PathBuf,
    /// Save the plan (JSON) for `apply --plan`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit 2 when deletions are pending, 0 when there is nothing to do.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show a unified diff of the affected customer records.
    #[arg(long)]
    pub diff: bool,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
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
    /// Show every row of the table.
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `plan --out`.
    pub plan: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show every row of the table.
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain.
    Verify {
        /// The audit log to check.
        #[arg(long, default_value = "bcprune.audit.jsonl")]
        log: PathBuf,
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

/// Parse the command line, run the command, and return its exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    common::init_tracing(cli.global.verbose, cli.global.no_color);
    let exit = match cli.command {
        Command::Validate { ref manifest } => validate::run(manifest),
        Command::Plan(ref args) => plan::run(&cli.global, args),
        Command::Apply(ref args) => apply::run(&cli.global, args),
        Command::Show(ref args) => show::run(&cli.global, args),
        Command::Audit {
            command: AuditCommand::Verify { ref log },
        } => audit::verify(log),
        Command::Schema { which } => schema::run(which),
        Command::Demo => demo::run(&cli.global),
        Command::Sim(ref args) => sim::run(args),
    };
    exit.into()
}
