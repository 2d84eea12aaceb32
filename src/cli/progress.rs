//! Progress on stderr for every phase that can take more than a second (PRODUCT §17): listing,
//! deleting, verifying, and the waits for the store's rate limit, which say so and for how long.
//!
//! On a terminal, one line redrawn in place (a bar while deleting, a spinner while listing or
//! verifying), its clock ticking also while nothing is answered. Otherwise plain lines: at most one
//! every 10 s per phase, each wait as it begins, and where the deletions ended. There is one display per
//! process, so the API client's observer (waits, answers), the apply view and log lines all go through
//! it and never draw over each other.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::api::{Observe, Observer};

/// Without a terminal, a phase prints at most one line this often (waits aside).
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// How often a bar or spinner redraws by itself, so its clock never stands still.
const TICK: Duration = Duration::from_millis(200);

/// The display's state: the phase under way and its counts.
struct State {
    /// Whether stderr is a terminal (decided when a phase starts).
    terminal: bool,
    bar: Option<ProgressBar>,
    /// `Listing`, `Deleting`, `Verifying`; `None` between phases.
    phase: Option<&'static str>,
    started: Instant,
    /// Answers received in this phase (listing, verifying).
    answered: u64,
    /// Records deleted (or sent with an unknown outcome) and failed, of `total` (deleting).
    done: usize,
    failed: usize,
    total: Option<usize>,
    /// When the last plain line was printed.
    last_line: Instant,
    /// Rate-limit waits announced in this phase, summed.
    waited: Duration,
}

/// Requests wait for the rate limit until this many milliseconds after [`BASE`] (0: no wait). Apart from
/// [`State`] because the bar's ticker thread reads it to count the wait down: it must not take a lock
/// a thread drawing the bar may hold.
static WAIT_UNTIL_MS: AtomicU64 = AtomicU64::new(0);
static BASE: LazyLock<Instant> = LazyLock::new(Instant::now);

/// What is left of the wait under way, if any.
fn wait_left() -> Option<Duration> {
    let until = WAIT_UNTIL_MS.load(Ordering::Relaxed);
    let now = u64::try_from(BASE.elapsed().as_millis()).unwrap_or(u64::MAX);
    (until > now).then(|| Duration::from_millis(until - now))
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        terminal: false,
        bar: None,
        phase: None,
        started: Instant::now(),
        answered: 0,
        done: 0,
        failed: 0,
        total: None,
        last_line: Instant::now(),
        waited: Duration::ZERO,
    })
});

fn state() -> MutexGuard<'static, State> {
    // Counters only: a panic elsewhere while holding it leaves nothing unusable.
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The observer to give an API client: its waits and answers reach this display.
pub fn observer() -> Observe {
    Observe(Arc::new(Watch))
}

struct Watch;

impl Observer for Watch {
    fn waiting(&self, wait: Duration) {
        waiting(wait);
    }

    fn answered(&self) {
        let mut state = state();
        if matches!(state.phase, Some("Listing" | "Verifying")) {
            state.answered += 1;
            update(&mut state);
        }
    }
}

/// The phase of carrying out a plan, named by what it changes (an order redaction is never called a
/// deletion, PRODUCT §15).
pub const DELETING: &str = "Deleting";
/// Only orders are redacted.
pub const REDACTING: &str = "Redacting";
/// Both.
pub const DELETING_AND_REDACTING: &str = "Deleting and redacting";
/// Every name of carrying out a plan: its last count is always said, even without a terminal.
const CARRYING_OUT: [&str; 3] = [DELETING, REDACTING, DELETING_AND_REDACTING];

/// Start a phase: a bar of `total` records, or a spinner counting answers when `total` is `None`.
/// Whatever phase was under way ends first.
pub fn start(phase: &'static str, total: Option<usize>) {
    let mut state = state();
    end(&mut state, true);
    let now = Instant::now();
    state.terminal = super::out::stderr_is_terminal();
    state.phase = Some(phase);
    state.started = now;
    state.answered = 0;
    state.done = 0;
    state.failed = 0;
    state.total = total;
    state.last_line = now;
    state.waited = Duration::ZERO;
    if state.terminal {
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::new(total as u64),
                "{prefix} {bar:20} {pos}/{len} ({elapsed}){msg}{wait}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{prefix} {spinner} ({elapsed}){msg}{wait}",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.with_key(
                "wait",
                |_: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    if let Some(left) = wait_left() {
                        let _ = write!(
                            out,
                            " — waiting {} for the store's rate limit",
                            seconds(left)
                        );
                    }
                },
            ));
        }
        bar.set_prefix(phase);
        bar.enable_steady_tick(TICK);
        state.bar = Some(bar);
        update(&mut state);
    }
}

/// The phase under way, if any.
pub fn phase() -> Option<&'static str> {
    state().phase
}

/// Deleting: `done` records deleted (or sent, outcome unknown) and `failed` refused, of the total.
pub fn deleted(done: usize, failed: usize) {
    let mut state = state();
    state.done = done;
    state.failed = failed;
    update(&mut state);
}

/// Requests are held back `wait` for the store's rate limit: on a terminal, said at once in the phase's
/// line, counting down; otherwise a line of its own when the wait is 10 s or more or no line was printed
/// for 10 s (shorter waits are summed into the phase's next line).
pub fn waiting(wait: Duration) {
    let until = BASE.elapsed() + wait;
    WAIT_UNTIL_MS.store(
        u64::try_from(until.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    let mut state = state();
    state.waited += wait;
    let quiet = state.terminal && state.bar.is_some()
        || (wait < PLAIN_EVERY && state.last_line.elapsed() < PLAIN_EVERY);
    if !quiet {
        state.last_line = Instant::now();
        let line = format!(
            "{}waiting {} for the store's rate limit",
            state.phase.map_or_else(String::new, |p| format!("{p}: ")),
            seconds(wait)
        );
        drop(state);
        super::out::note(line);
    }
}

/// End the phase under way: a bar stays where it stopped (`complete`: full), a spinner is cleared.
pub fn finish(complete: bool) {
    end(&mut state(), complete);
}

/// Print a line on stderr without drawing over the bar (warnings, log lines).
pub fn println(line: impl std::fmt::Display) {
    let state = state();
    match &state.bar {
        Some(bar) => bar.println(line.to_string()),
        None => {
            drop(state);
            super::out::note(line);
        }
    }
}

/// Where log lines go: stderr, around the bar.
pub fn log_writer() -> Through {
    Through
}

/// Writes to stderr with the bar out of the way.
pub struct Through;

impl Write for Through {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let state = state();
        let write = || {
            let _ = std::io::stderr().lock().write_all(buf);
        };
        match &state.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn end(state: &mut State, complete: bool) {
    if let Some(bar) = state.bar.take() {
        match state.total {
            Some(total) => {
                bar.set_position(state.done.min(total) as u64);
                WAIT_UNTIL_MS.store(0, Ordering::Relaxed);
                bar.set_message(message(state));
                // `finish` would jump to N/N: a run that stopped early stays where it stopped.
                if complete && state.done == total {
                    bar.finish();
                } else {
                    bar.abandon();
                }
            }
            None => bar.finish_and_clear(),
        }
    } else if !state.terminal
        && let Some(phase) = state.phase.filter(|p| CARRYING_OUT.contains(p))
        && let Some(total) = state.total
    {
        // Without a terminal, where the deletions and redactions ended is always said.
        super::out::note(format!("{phase}: {}", counts(state, total)));
    }
    state.phase = None;
}

/// Redraw the bar, or print a plain line when 10 s have passed since the last one.
fn update(state: &mut State) {
    if let Some(bar) = &state.bar {
        if let Some(total) = state.total {
            bar.set_position(state.done.min(total) as u64);
        }
        bar.set_message(message(state));
        return;
    }
    if state.terminal || state.last_line.elapsed() < PLAIN_EVERY {
        return;
    }
    let Some(phase) = state.phase else {
        return;
    };
    state.last_line = Instant::now();
    let line = match state.total {
        Some(total) => format!("{phase}: {}", counts(state, total)),
        None => format!(
            "{phase}: {} answered so far ({} s{})",
            requests(state.answered),
            state.started.elapsed().as_secs(),
            if state.waited.is_zero() {
                String::new()
            } else {
                format!(
                    ", {} of it waiting for the store's rate limit",
                    seconds(state.waited)
                )
            }
        ),
    };
    super::out::note(line);
}

/// `12/250`, `12/250, 3 failed`.
fn counts(state: &State, total: usize) -> String {
    if state.failed > 0 {
        format!("{}/{total}, {} failed", state.done, state.failed)
    } else {
        format!("{}/{total}", state.done)
    }
}

/// What follows the bar: failures, or answers so far (a wait under way is the `{wait}` key).
fn message(state: &State) -> String {
    match state.total {
        Some(_) if state.failed > 0 => format!(", {} failed", state.failed),
        Some(_) => String::new(),
        None => format!(" {} answered", requests(state.answered)),
    }
}

fn requests(n: u64) -> String {
    format!("{n} request{}", if n == 1 { "" } else { "s" })
}

/// `12 s` (rounded up: a wait of 0.3 s is `1 s`).
fn seconds(wait: Duration) -> String {
    format!("{} s", wait.as_millis().div_ceil(1000))
}
