//! The build-dependent limits and test knobs that argument parsing and settings both need, below both
//! (so `args` and `settings` do not import each other): the batch-size cap, which kind of build this is,
//! and how a release build ignores the hidden test knobs (`BCPRUNE_TODAY`, `BCPRUNE_RETRY`,
//! `BCPRUNE_TIMEOUT_MS`) and says so.

/// The most IDs one DELETE may carry: the API's page and batch limit ([`crate::api::PAGE_LIMIT`]).
pub const MAX_BATCH_SIZE: u16 = crate::api::PAGE_LIMIT as u16;

/// Which kind of build this is, for the test knobs: a debug build honours them, a release build ignores
/// them. A parameter (not only `cfg!`) so the release behaviour is tested by the debug test suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildKind {
    /// `debug_assertions` on: the test suite's binary, `cargo build`.
    Debug,
    /// `debug_assertions` off: `cargo install`, the released binaries.
    Release,
}

impl BuildKind {
    /// This binary's kind.
    pub const fn current() -> BuildKind {
        if cfg!(debug_assertions) {
            BuildKind::Debug
        } else {
            BuildKind::Release
        }
    }
}

/// A test knob's value as `build` takes it: the value in a debug build; in a release build `None`, with
/// the knob's `name` to warn about when it was set.
pub fn test_knob<T>(
    name: &'static str,
    value: Option<T>,
    build: BuildKind,
) -> (Option<T>, Option<&'static str>) {
    match (value, build) {
        (Some(_), BuildKind::Release) => (None, Some(name)),
        (value, _) => (value, None),
    }
}

/// The warning for a knob a release build ignored.
pub fn ignored_knob_warning(name: &str) -> String {
    format!(
        "{name} is set but ignored: it is a test knob that only debug builds honour; this release build \
         runs as if it were not set"
    )
}
