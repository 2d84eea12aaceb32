//! Helpers shared by the commands: logging setup and error printing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::api::{Client, ClientConfig, RetryPolicy, Token};
use crate::manifest::{self, Manifest};
use crate::plan::StateRef;
use crate::state::State;

use super::GlobalArgs;

/// Set up `tracing` on stderr: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` overrides.
/// The access token never reaches a log line: it lives only in a header value marked sensitive.
/// Colors only on a terminal, and never with `--no-color` or `NO_COLOR`.
pub fn init_tracing(verbose: u8, no_color: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "bcprune=info",
        2 => "bcprune=debug",
        _ => "bcprune=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(use_color(no_color))
        .without_time()
        .try_init();
}

/// Whether to color stderr output: a terminal, no `--no-color`, no `NO_COLOR` (https://no-color.org).
pub fn use_color(no_color: bool) -> bool {
    !no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal()
}

/// The state file name used when `--state` is not given.
pub const STATE_FILE: &str = "bcprune.state.json";
/// The audit log name used when `--audit-log` is not given.
pub const AUDIT_FILE: &str = "bcprune.audit.jsonl";

/// Print an error, and optionally what to do about it, on stderr.
pub fn error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}

/// Print a warning on stderr.
pub fn warning(message: impl std::fmt::Display) {
    eprintln!("warning: {message}");
}

/// Load and validate the manifest; on failure print every problem and return `None`.
pub fn load_manifest(path: &Path) -> Option<Manifest> {
    match manifest::load(path) {
        Ok(manifest) => Some(manifest),
        Err(errors) => {
            super::validate::print_errors(&errors);
            None
        }
    }
}

/// `"s"` unless `n` is one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Where a file that lives "beside the manifest" goes: inside a manifest directory, or next to a
/// manifest file.
pub fn beside_manifest(manifest: &Path, name: &str) -> PathBuf {
    if manifest.is_dir() {
        manifest.join(name)
    } else {
        match manifest.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join(name),
            _ => PathBuf::from(name),
        }
    }
}

/// The state file path: `--state`, or beside the manifest.
pub fn state_path(global: &GlobalArgs, manifest: &Path) -> PathBuf {
    global
        .state
        .clone()
        .unwrap_or_else(|| beside_manifest(manifest, STATE_FILE))
}

/// The audit log path: `--audit-log`, or beside the manifest.
pub fn audit_path(global: &GlobalArgs, manifest: &Path) -> PathBuf {
    global
        .audit_log
        .clone()
        .unwrap_or_else(|| beside_manifest(manifest, AUDIT_FILE))
}

/// The target store: `--store-hash` / `BIGCOMMERCE_STORE_HASH` and the manifest's `store_hash` must agree
/// when both are given; at least one is required.
pub fn store_hash(global: &GlobalArgs, manifest: &Manifest) -> Result<String, String> {
    match (&global.store_hash, &manifest.store_hash) {
        (Some(flag), Some(file)) if flag != file => Err(format!(
            "the target store is {flag} (--store-hash or BIGCOMMERCE_STORE_HASH) but the manifest says store_hash: {file}; \
             they must be the same store"
        )),
        (Some(hash), _) | (None, Some(hash)) => Ok(hash.clone()),
        (None, None) => Err(
            "no target store: pass --store-hash, set BIGCOMMERCE_STORE_HASH, or set store_hash in the manifest"
                .to_string(),
        ),
    }
}

/// The retry policy: BigCommerce's guidance, or the hidden test override `BCPRUNE_RETRY`
/// (`base_ms=2,cap_ms=50,…`, see [`RetryPolicy::parse`]) so tests of back-off run fast.
pub fn retry_policy() -> Result<RetryPolicy, String> {
    match std::env::var("BCPRUNE_RETRY") {
        Ok(spec) => RetryPolicy::parse(&spec).map_err(|e| format!("BCPRUNE_RETRY: {e}")),
        Err(_) => Ok(RetryPolicy::default()),
    }
}

/// Requests the client has sent so far (every attempt counts).
pub fn requests_sent(client: &Client) -> u64 {
    let stats = client.stats();
    stats.get_requests + stats.delete_requests
}

/// An API client for the target store, with the token from `BIGCOMMERCE_ACCESS_TOKEN`.
pub fn client(global: &GlobalArgs, store_hash: &str) -> Result<Client, String> {
    let token = match &global.token {
        Some(token) => token.clone(),
        None => Token::from_env().map_err(|e| e.to_string())?,
    };
    let mut config = ClientConfig {
        retry: retry_policy()?,
        parallelism: usize::from(global.parallelism),
        ..ClientConfig::new(&global.api_url, store_hash, token)
    };
    // Hidden test switch: a short per-request timeout, so tests of a hanging store stay short.
    if let Some(ms) = std::env::var("BCPRUNE_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        config.timeout = std::time::Duration::from_millis(ms.max(1));
    }
    Client::new(config).map_err(|e| e.to_string())
}

/// Load the state file (if any) and check it belongs to the target store.
pub fn load_state(path: &Path, store_hash: &str) -> Result<Option<State>, String> {
    let state = State::load(path).map_err(|e| e.to_string())?;
    if let Some(state) = &state {
        state
            .check_store(path, store_hash)
            .map_err(|e| e.to_string())?;
    }
    Ok(state)
}

/// The lineage and serial a plan records.
pub fn state_ref(state: Option<&State>) -> Option<StateRef> {
    state.map(|s| StateRef {
        lineage: s.lineage.to_string(),
        serial: s.serial,
    })
}

/// A single-threaded tokio runtime: the work is I/O-bound and the pacer is shared.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the async runtime: {e}"))
}

/// Whether stderr is an interactive terminal (progress bar vs plain lines).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Log what the client spent (at `-v`): requests, retries, 429s and time waiting for the quota.
pub fn log_stats(client: &Client) {
    let stats = client.stats();
    tracing::info!(
        get = stats.get_requests,
        delete = stats.delete_requests,
        retries = stats.retries,
        rate_limited = stats.rate_limited,
        pacer_wait_ms = stats.pacer_wait.as_millis() as u64,
        retry_wait_ms = stats.retry_wait.as_millis() as u64,
        "API requests"
    );
}
