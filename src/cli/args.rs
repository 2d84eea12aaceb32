//! The argument groups several commands share (flattened into each command that uses them, never
//! `global = true`): output, store, state file, audit log, deletion, the injected day, and the output
//! format. Each command's own arguments live beside its `run`, in `cli/<command>.rs`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::error::CliError;
use super::knobs as settings;
use super::{DEFAULT_API_URL, DEFAULT_PARALLELISM, out};

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
    /// API base URL; requests go to {api-url}/stores/{store_hash}/v3/customers (and …/v3/customers/subscribers,
    /// and …/v2/orders when orders are redacted).
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
            out::warning(settings::ignored_knob_warning(name));
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}
