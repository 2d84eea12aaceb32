//! Settings resolved once: each command's clap arguments (low level, as typed) plus the environment become
//! one [`Settings`] value (high level, checked) before the command runs, as ripgrep turns its `LowArgs` into
//! `HiArgs`. Nothing below the CLI reads the environment or the raw arguments: the test knobs
//! (`BCPRUNE_RETRY`, `BCPRUNE_TIMEOUT_MS`, `BCPRUNE_TODAY`) are hidden arguments with those env names, and
//! the token, `NO_COLOR`, the CI's `GITHUB_*` ([`crate::render::Ci`]), the audit log's actor
//! ([`crate::audit::actor_from`]) and the lock's host name ([`host_name`]) are read here, once, and passed
//! down as values.
//!
//! The test knobs change what bcprune does (another day for every deadline, another retry schedule), so
//! only a debug build (what the tests run) honours them; a release build ignores each one that is set and
//! says so by name on every run ([`BuildKind`], [`test_knob`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{RetryPolicy, TOKEN_ENV, Token};

/// The environment variable that sets the API base URL (below `--api-url`).
const API_URL_ENV: &str = "BIGCOMMERCE_API_URL";
use crate::fsio::{self, Role};
use crate::state::Lock;

use super::args::{AuditLogArgs, DeleteArgs, OutputArgs, StateArgs, StoreArgs};
use super::error::CliError;

/// The state file name used when `--state` is not given.
pub const STATE_FILE: &str = "bcprune.state.json";
/// The audit log name used when `--audit-log` is not given.
pub const AUDIT_FILE: &str = "bcprune.audit.jsonl";

pub use super::knobs::{BuildKind, MAX_BATCH_SIZE, ignored_knob_warning, test_knob};

/// Everything a command needs from its arguments and the environment, resolved once. A command that does
/// not take a flag gets its default here (it cannot be passed to that command).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--store-hash` / `BIGCOMMERCE_STORE_HASH`; the manifest may name it instead ([`super::common::store_hash`]).
    pub store_hash: Option<String>,
    /// `--api-url` / `BIGCOMMERCE_API_URL`.
    pub api_url: String,
    /// Where `api_url` came from: `--api-url`, `BIGCOMMERCE_API_URL` or `the default`.
    pub api_url_origin: &'static str,
    /// `--state`; `None`: beside the manifest ([`Settings::files`]).
    pub state: Option<PathBuf>,
    /// `--audit-log`; `None`: beside the manifest.
    pub audit_log: Option<PathBuf>,
    /// `--parallelism`: requests in flight at once.
    pub parallelism: u16,
    /// `--batch-size`: IDs per DELETE (at most [`MAX_BATCH_SIZE`]).
    pub batch_size: u16,
    /// `--max-deletes`: overrides the manifest's.
    pub max_deletes: Option<u32>,
    /// No colors: `--no-color`, or `NO_COLOR` set and not empty.
    pub no_color: bool,
    /// `-v` count.
    pub verbose: u8,
    /// The access token from `BIGCOMMERCE_ACCESS_TOKEN` (or the demo's embedded store); `None` when unset.
    pub token: Option<Token>,
    /// Retry policy: BigCommerce's guidance, or the hidden `--retry-policy` / `BCPRUNE_RETRY`.
    pub retry: RetryPolicy,
    /// Per-request timeout override: hidden `--timeout-ms` / `BCPRUNE_TIMEOUT_MS`.
    pub timeout: Option<Duration>,
    /// Test knobs that were set and that this (release) build ignored, by name: the CLI warns of each.
    pub ignored_knobs: Vec<&'static str>,
    /// Where the run happens, from the CI's `GITHUB_*` (plan comments, the saved plan).
    pub ci: crate::render::Ci,
    /// Who runs an apply, for the audit log: the CI run's URL, else `$USER`, else "unknown".
    pub actor: String,
    /// This machine's host name, for the lock ([`host_name`]).
    pub host: String,
}

/// The former name of [`Settings`] (the global flags it replaced), kept for callers not yet renamed.
pub type GlobalArgs = Settings;

/// The argument groups a command may take; absent ones get their defaults.
#[derive(Debug, Default, Clone, Copy)]
pub struct Groups<'a> {
    pub output: Option<&'a OutputArgs>,
    pub store: Option<&'a StoreArgs>,
    pub state: Option<&'a StateArgs>,
    pub audit_log: Option<&'a AuditLogArgs>,
    pub delete: Option<&'a DeleteArgs>,
}

impl Settings {
    /// Resolve `groups` with the process environment.
    pub fn from_args(groups: Groups<'_>) -> Result<Settings, CliError> {
        Settings::resolve(groups, |name| std::env::var(name).ok())
    }

    /// Resolve `groups` with `env` as the environment (tests pass their own), as this build does.
    pub fn resolve(
        groups: Groups<'_>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, CliError> {
        Settings::resolve_for(groups, env, BuildKind::current())
    }

    /// [`Settings::resolve`] as a `build` build does it (test knobs honoured or ignored).
    pub fn resolve_for(
        groups: Groups<'_>,
        env: impl Fn(&str) -> Option<String>,
        build: BuildKind,
    ) -> Result<Settings, CliError> {
        let (retry_spec, ignored_retry) = test_knob(
            "BCPRUNE_RETRY (--retry-policy)",
            groups.store.and_then(|s| s.retry_policy.as_deref()),
            build,
        );
        let (timeout_ms, ignored_timeout) = test_knob(
            "BCPRUNE_TIMEOUT_MS (--timeout-ms)",
            groups.store.and_then(|s| s.timeout_ms),
            build,
        );
        let retry = match retry_spec {
            Some(spec) => RetryPolicy::parse(spec).map_err(CliError::RetrySpec)?,
            None => RetryPolicy::default(),
        };
        let no_color = groups.output.is_some_and(|o| o.no_color)
            || env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let api_url = groups
            .store
            .map_or_else(|| super::DEFAULT_API_URL.to_string(), |s| s.api_url.clone());
        // clap resolved flag → environment → default; the value tells which it took (a flag that
        // repeats the environment's value or the default names the same URL either way).
        let from_env = env(API_URL_ENV);
        let api_url_origin = if from_env.as_deref() == Some(api_url.as_str()) {
            API_URL_ENV
        } else if from_env.is_none() && api_url == super::DEFAULT_API_URL {
            "the default"
        } else {
            "--api-url"
        };
        Ok(Settings {
            api_url_origin,
            store_hash: groups.store.and_then(|s| s.store_hash.clone()),
            api_url,
            state: groups.state.and_then(|s| s.state.clone()),
            audit_log: groups.audit_log.and_then(|a| a.audit_log.clone()),
            parallelism: groups
                .store
                .map_or(super::DEFAULT_PARALLELISM, |s| s.parallelism),
            batch_size: groups.delete.map_or(MAX_BATCH_SIZE, |d| d.batch_size),
            max_deletes: groups.delete.and_then(|d| d.max_deletes),
            no_color,
            verbose: groups.output.map_or(0, |o| o.verbose),
            token: env(TOKEN_ENV)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Token::new(v.trim().to_string())),
            retry,
            timeout: timeout_ms.map(|ms| Duration::from_millis(ms.max(1))),
            ignored_knobs: [ignored_retry, ignored_timeout]
                .into_iter()
                .flatten()
                .collect(),
            ci: crate::render::Ci::from_env(&env),
            actor: crate::audit::actor_from(&env),
            host: host_name(
                crate::fsio::read_capped_to_string(Path::new("/proc/sys/kernel/hostname"), 4096)
                    .ok(),
                &env,
            ),
        })
    }

    /// The files of the manifest at `manifest`: `--state` / `--audit-log`, or beside the manifest; the lock
    /// beside the state file.
    pub fn files(&self, manifest: &Path) -> Files {
        let state = self
            .state
            .clone()
            .unwrap_or_else(|| beside_manifest(manifest, STATE_FILE));
        Files {
            lock: Lock::path_for(&state),
            audit_log: self
                .audit_log
                .clone()
                .unwrap_or_else(|| beside_manifest(manifest, AUDIT_FILE)),
            state,
        }
    }
}

/// This machine's host name: `kernel` (the content of /proc/sys/kernel/hostname, where there is one), else
/// `$HOSTNAME`, else "unknown"; trimmed.
pub fn host_name(kernel: Option<String>, env: impl Fn(&str) -> Option<String>) -> String {
    let named = |name: Option<String>| {
        name.map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
    };
    named(kernel)
        .or_else(|| named(env("HOSTNAME")))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The files one manifest's runs use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    pub state: PathBuf,
    pub audit_log: PathBuf,
    pub lock: PathBuf,
}

/// Refuse when any two of the manifest's files, the state file, the audit log, the lock and the saved plan
/// (`plan --out`, or the plan `apply --plan` reads) are one file (PRODUCT §2; see [`fsio::check_distinct`]).
/// Call it after loading the manifest and before writing anything.
pub fn check_distinct_files(
    manifest_files: &[PathBuf],
    files: &Files,
    plan_file: Option<(Role, &Path)>,
) -> Result<(), CliError> {
    let mut all: Vec<(Role, &Path)> = vec![
        ("the state file", files.state.as_path()),
        ("the audit log", files.audit_log.as_path()),
        ("the lock file", files.lock.as_path()),
    ];
    all.extend(plan_file);
    all.extend(
        manifest_files
            .iter()
            .map(|path| ("a manifest file", path.as_path())),
    );
    fsio::check_distinct(&all)?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_read_only_through_resolve() {
        let output = OutputArgs {
            no_color: false,
            verbose: 2,
        };
        let env = |name: &str| match name {
            "NO_COLOR" => Some("1".to_string()),
            "BIGCOMMERCE_ACCESS_TOKEN" => Some("  tok  ".to_string()),
            _ => None,
        };
        let settings = Settings::resolve(
            Groups {
                output: Some(&output),
                ..Groups::default()
            },
            env,
        )
        .expect("resolve");
        assert!(settings.no_color);
        assert_eq!(settings.verbose, 2);
        assert!(settings.token.is_some());
        assert_eq!(settings.batch_size, 250);
        assert_eq!(settings.api_url, "https://api.bigcommerce.com");
        let empty = Settings::resolve(Groups::default(), |_| Some(String::new())).expect("resolve");
        assert!(!empty.no_color, "an empty NO_COLOR does not count");
        assert!(empty.token.is_none(), "a blank token is no token");
    }

    #[test]
    fn the_ci_the_actor_and_the_host_come_from_the_environment_given() {
        let env = |name: &str| {
            let value = match name {
                "GITHUB_ACTIONS" => "true",
                "GITHUB_SERVER_URL" => "https://github.com",
                "GITHUB_REPOSITORY" => "acme/shop",
                "GITHUB_RUN_ID" => "42",
                "USER" => "alice",
                "HOSTNAME" => "runner-7",
                _ => return None,
            };
            Some(value.to_string())
        };
        let settings = Settings::resolve(Groups::default(), env).expect("resolve");
        assert!(settings.ci.github);
        assert_eq!(settings.ci.run_id.as_deref(), Some("42"));
        assert_eq!(
            settings.actor,
            "https://github.com/acme/shop/actions/runs/42"
        );
        assert!(!settings.host.is_empty());
        // The kernel's name first, then $HOSTNAME, then "unknown"; blank counts as absent.
        assert_eq!(host_name(Some(" box \n".into()), env), "box");
        assert_eq!(host_name(Some("\n".into()), env), "runner-7");
        assert_eq!(host_name(None, |_| Some(" ".into())), "unknown");
    }

    #[test]
    fn a_bad_retry_spec_is_an_error_naming_the_variable() {
        let store = StoreArgs {
            store_hash: None,
            api_url: "http://127.0.0.1:1".into(),
            parallelism: 3,
            retry_policy: Some("nonsense".into()),
            timeout_ms: None,
        };
        let err = Settings::resolve(
            Groups {
                store: Some(&store),
                ..Groups::default()
            },
            |_| None,
        )
        .expect_err("bad spec");
        assert!(err.to_string().starts_with("BCPRUNE_RETRY: "), "{err}");
    }

    #[test]
    fn test_knobs_are_honoured_by_debug_builds_and_ignored_by_name_in_release_builds() {
        let store = StoreArgs {
            store_hash: None,
            api_url: "http://127.0.0.1:1".into(),
            parallelism: 3,
            retry_policy: Some("base_ms=2,cap_ms=50".into()),
            timeout_ms: Some(5),
        };
        let groups = Groups {
            store: Some(&store),
            ..Groups::default()
        };
        // A debug build (the tests' own binary) takes them.
        let debug = Settings::resolve_for(groups, |_| None, BuildKind::Debug).expect("resolve");
        assert_ne!(debug.retry, RetryPolicy::default());
        assert_eq!(debug.timeout, Some(Duration::from_millis(5)));
        assert!(debug.ignored_knobs.is_empty());
        // A release build runs as if they were not set, and names each one it ignored.
        let release = Settings::resolve_for(groups, |_| None, BuildKind::Release).expect("resolve");
        assert_eq!(release.retry, RetryPolicy::default());
        assert_eq!(release.timeout, None);
        assert_eq!(
            release.ignored_knobs,
            [
                "BCPRUNE_RETRY (--retry-policy)",
                "BCPRUNE_TIMEOUT_MS (--timeout-ms)"
            ]
        );
        // Even a value that does not parse is ignored, not an error.
        let bad = StoreArgs {
            retry_policy: Some("nonsense".into()),
            ..store.clone()
        };
        let bad = Groups {
            store: Some(&bad),
            ..Groups::default()
        };
        assert!(Settings::resolve_for(bad, |_| None, BuildKind::Release).is_ok());
        // The day: injected in a debug build, the clock's in a release build.
        let today = super::super::TodayArgs {
            today: Some("2020-01-01".into()),
        };
        let day: jiff::civil::Date = "2020-01-01".parse().expect("date");
        assert_eq!(
            today.resolve_for(BuildKind::Debug).expect("day"),
            (crate::manifest::Days::fixed(day), None)
        );
        let (real, ignored) = today.resolve_for(BuildKind::Release).expect("day");
        assert_eq!(real, crate::manifest::Days::now());
        assert_eq!(ignored, Some("BCPRUNE_TODAY (--today)"));
        // This build is what its profile says.
        assert_eq!(
            BuildKind::current(),
            if cfg!(debug_assertions) {
                BuildKind::Debug
            } else {
                BuildKind::Release
            }
        );
    }

    #[test]
    fn an_ignored_knob_is_said_by_name_with_what_happens_instead() {
        let text = ignored_knob_warning("BCPRUNE_TODAY (--today)");
        assert_eq!(
            text,
            "BCPRUNE_TODAY (--today) is set but ignored: it is a test knob that only debug builds honour; \
             this release build runs as if it were not set"
        );
    }

    #[test]
    fn files_sit_beside_the_manifest_unless_given() {
        let settings = Settings::resolve(Groups::default(), |_| None).expect("resolve");
        let files = settings.files(Path::new("ci/m.yaml"));
        assert_eq!(files.state, PathBuf::from("ci/bcprune.state.json"));
        assert_eq!(files.audit_log, PathBuf::from("ci/bcprune.audit.jsonl"));
        assert_eq!(files.lock, PathBuf::from("ci/bcprune.state.json.lock"));
    }
}
