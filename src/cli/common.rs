//! Helpers shared by the commands: logging setup, stderr notes, and the steps several commands take
//! (load the manifest, pick the store, build the client, load the state), each failing with a
//! [`CliError`].

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::api::{ApiError, Client, ClientConfig};
use crate::manifest::{self, Manifest};
use crate::plan::StateRef;
use crate::state::Summary;

use super::error::CliError;
pub use super::out::{note, stderr_is_terminal, warning};
use super::settings::Settings;

pub use super::settings::{AUDIT_FILE, STATE_FILE, beside_manifest};

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(super::progress::log_writer)
        .with_ansi(use_color(no_color))
        .without_time();
    // Up to -v, lines read like bcprune's own notes (`warning: …`), without Rust module paths; from
    // -vv on, the full format, for whoever debugs bcprune itself.
    let _ = if verbose >= 2 {
        builder.try_init()
    } else {
        builder.event_format(Plain).try_init()
    };
}

/// `warning: message key=value`: a log line as bcprune's notes look, with no target or span.
struct Plain;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            tracing::Level::INFO => "info",
            tracing::Level::DEBUG => "debug",
            tracing::Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Whether to color stderr output: a terminal and no `--no-color` / `NO_COLOR` (resolved in [`Settings`]).
pub fn use_color(no_color: bool) -> bool {
    !no_color && std::io::stderr().is_terminal()
}

/// Whether to colour what goes to stdout (the plan table): stdout is a terminal and no `--no-color` /
/// `NO_COLOR` (resolved in [`Settings`]).
pub fn stdout_color(no_color: bool) -> bool {
    !no_color && std::io::stdout().is_terminal()
}

/// Print an error on stderr (for messages that do not end the command; those are a [`CliError`]).
/// A closed stderr is ignored.
pub fn error(message: impl std::fmt::Display) {
    note(format_args!("error: {message}"));
}

/// Load and validate the manifest; `-v` lists the files read (PRODUCT §1).
pub fn load_manifest(path: &Path) -> Result<Manifest, CliError> {
    let manifest = manifest::load(path).map_err(CliError::Manifest)?;
    log_files(&manifest);
    Ok(manifest)
}

/// At `-v`, one line per manifest file read, in the order they were merged.
pub fn log_files(manifest: &Manifest) {
    for file in &manifest.files {
        // A file may be named after the requester: addresses masked, as in every message.
        let shown = crate::mask::addresses(&file.display().to_string());
        tracing::info!("read manifest file {shown}");
    }
}

/// `"s"` unless `n` is one.
pub fn plural(n: usize) -> &'static str {
    plural_of(n, "", "s")
}

pub use crate::text::plural as plural_of;

/// The state file path: `--state`, or beside the manifest.
pub fn state_path(settings: &Settings, manifest: &Path) -> PathBuf {
    settings.files(manifest).state
}

/// The audit log path: `--audit-log`, or beside the manifest.
pub fn audit_path(settings: &Settings, manifest: &Path) -> PathBuf {
    settings.files(manifest).audit_log
}

/// The target store: `--store-hash` / `BIGCOMMERCE_STORE_HASH` and the manifest's `store_hash` must agree
/// when both are given; at least one is required.
pub fn store_hash(settings: &Settings, manifest: &Manifest) -> Result<String, CliError> {
    target_store(settings.store_hash.as_ref(), manifest)
}

/// [`store_hash`] for a command whose `--store-hash` is not among its [`Settings`] (`report`, offline).
pub fn target_store(given: Option<&String>, manifest: &Manifest) -> Result<String, CliError> {
    match (given, &manifest.store_hash) {
        (Some(flag), Some(file)) if flag != file => Err(CliError::StoreConflict {
            flag: flag.clone(),
            file: file.clone(),
        }),
        (Some(hash), _) | (None, Some(hash)) => Ok(hash.clone()),
        (None, None) => Err(CliError::NoStore),
    }
}

/// Requests the client has sent so far (every attempt counts).
pub fn requests_sent(client: &Client) -> u64 {
    let stats = client.stats();
    stats.get_requests + stats.delete_requests
}

/// An API client for the target store, with the token of the settings (`BIGCOMMERCE_ACCESS_TOKEN`).
pub fn client(settings: &Settings, store_hash: &str) -> Result<Client, CliError> {
    let token = settings
        .token
        .clone()
        .ok_or(CliError::Client(ApiError::MissingToken))?;
    let mut config = ClientConfig {
        retry: settings.retry,
        parallelism: usize::from(settings.parallelism),
        api_url_origin: Some(settings.api_url_origin),
        observer: Some(super::progress::observer()),
        ..ClientConfig::new(&settings.api_url, store_hash, token)
    };
    if let Some(timeout) = settings.timeout {
        config.timeout = timeout;
    }
    Client::new(config).map_err(CliError::Client)
}

/// What a plan needs of the state file (if any), checked to belong to the target store.
/// Its settled set is only what the audit log at `audit_log` proves (PRODUCT §14); a warning names the rest.
pub fn load_state(
    path: &Path,
    audit_log: &Path,
    store_hash: &str,
    manifest: &crate::manifest::Manifest,
) -> Result<Option<Summary>, CliError> {
    let orders_wanted = !manifest.orders.redact_customers.is_empty();
    let proven = crate::plan::load_state(path, audit_log, store_hash, orders_wanted)?;
    if let Some(message) = &proven.warning {
        warning(message);
    }
    Ok(proven.summary)
}

/// The lineage and serial a plan records.
pub fn state_ref(state: Option<&Summary>) -> Option<StateRef> {
    state.map(|s| StateRef {
        lineage: s.lineage.to_string(),
        serial: s.serial,
    })
}

/// A single-threaded tokio runtime: the work is I/O-bound and the pacer is shared.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
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

/// Keep the panic hook quiet for a print to a closed pipe (`println!` / `eprintln!` panic on `EPIPE`); main
/// catches that unwind and exits 1 without a message or backtrace. Every other panic is reported as usual.
pub fn silence_closed_pipe_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_closed_pipe_panic(info.payload()) {
            default(info);
        }
    }));
}

/// Whether a panic payload is the standard library's "failed printing to stdout/stderr" on a closed pipe.
pub fn is_closed_pipe_panic(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    message.starts_with("failed printing to std") && message.contains("Broken pipe")
}

/// `Listed 3 customers and 2 subscribers in store abc (2 requests).`, then what was not listed again
/// and what reappeared, each on its own line; a blank line ends it.
pub fn listed_line(listed: &crate::apply::Listed, store_hash: &str, requests: u64) -> String {
    let mut text =
        if listed.customers + listed.subscribers + listed.orders == 0 && listed.not_listed > 0 {
            format!(
                "Listed nothing in store {store_hash}: the state records every manifest ID as gone \
             ({requests} request{}).\n",
                plural(requests as usize)
            )
        } else {
            format!(
                "Listed {}{} in store {store_hash} ({requests} request{}).\n",
                resource_count(listed.customers, crate::Resource::Customer),
                if listed.subscribers > 0 {
                    format!(
                        " and {}",
                        resource_count(listed.subscribers, crate::Resource::Subscriber)
                    )
                } else {
                    String::new()
                },
                plural(requests as usize)
            )
        };
    if listed.orders + listed.discovered_for > 0 {
        text.push_str(&format!(
            "Orders: discovered for {}; {} read by ID.\n",
            resource_count(listed.discovered_for, crate::Resource::Customer),
            resource_count(listed.orders, crate::Resource::Order)
        ));
    }
    if listed.not_listed > 0 {
        text.push_str(&format!(
            "Not listed again: {} ID{} the state records as deleted and verified or found absent (IDs are never reused; --refresh-all lists them too).\n",
            listed.not_listed,
            plural(listed.not_listed)
        ));
    }
    if listed.reappeared > 0 {
        text.push_str(&format!(
            "Reappeared: {} ID{} the state records as gone {} present again and planned for deletion.\n",
            listed.reappeared,
            plural(listed.reappeared),
            if listed.reappeared == 1 { "is" } else { "are" }
        ));
    }
    text.push('\n');
    text
}

/// `3 customers`, `1 subscriber`.
fn resource_count(n: usize, resource: crate::Resource) -> String {
    format!("{n} {resource}{}", plural(n))
}

/// The quota the store's rate-limit headers announced to `client`, if they did.
pub fn quota_of(client: &crate::api::Client) -> Option<crate::plan::cost::Quota> {
    client
        .quota()
        .map(|(requests, window)| crate::plan::cost::Quota {
            requests,
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
        })
}
