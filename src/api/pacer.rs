//! One pacer per [`Client`](super::Client): spends the store's shared rate-limit quota without running
//! into 429s.
//!
//! BigCommerce reports the quota on every response (`X-Rate-Limit-Requests-Left`, `-Time-Reset-Ms`,
//! `-Requests-Quota`, `-Time-Window-Ms`; API-NOTES §2.2) and considers clients that keep hitting 429s
//! abusive. So every request first takes a [`Ticket`] here, and every response's headers are fed back
//! with [`Pacer::observe`]. When the quota is spent, new requests wait until the window resets.
//!
//! How the budget is estimated, with several requests in flight: each response `r` says `left = L`.
//! Requests sent after `r` are probably not counted in `L` yet, those sent before it probably are
//! (they reached the server first), so `lo = L − (requests sent after r was sent)` is the working
//! estimate, and `hi = L − (requests sent after r's answer arrived)` a strict upper bound. We keep
//! the best of each (`lo` = max, `hi` = min, both decremented per send) and spend `min(lo, hi)`.
//! When nothing is in flight, `hi` is exact and `lo` catches up to it, so no quota unit is wasted.
//! Other apps spending the same quota lower `L`, and `hi` follows the server at once: the server's
//! word beats our estimate. A server counting requests far out of order can make `lo` optimistic by
//! at most `parallelism − 1`: at worst a few 429s at the end of a window, which are waited out.
//!
//! When the window's reset time passes, the budget becomes the full quota minus the requests still
//! in flight (they may be counted in the new window); responses that still describe the old window
//! are recognised by their reset time and ignored. Missing or garbage headers mean "no information":
//! the pacer then does not pace at all (the parallelism bound and 429 handling still apply).
//!
//! Cancel-safety: [`Pacer::acquire`] can be dropped at any await point without effect; a dropped
//! [`Ticket`] counts its request as finished.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Told what the client is doing, for a progress display (PRODUCT §17): the CLI shows waits for the
/// rate limit as they begin, with how long, and counts answers while a phase lists. Called from the
/// client's tasks: it must not block.
pub trait Observer: Send + Sync {
    /// Requests are held back `wait` (from now) for the store's rate limit: a 429's reset, or the
    /// quota spent. Said once per deadline, not once per waiting request.
    fn waiting(&self, wait: Duration);
    /// A request got an answer (any status).
    fn answered(&self);
}

/// An [`Observer`] to hand to a client (`ClientConfig::observer`).
#[derive(Clone)]
pub struct Observe(pub Arc<dyn Observer>);

impl std::fmt::Debug for Observe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observe(..)")
    }
}

/// Waits shorter than this are not announced: they are pacing, not a stall.
const ANNOUNCE_FROM: Duration = Duration::from_secs(1);

/// Parse a header as a non-negative integer, case-insensitively by name; anything else is `None`.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
}

/// The rate-limit facts one response carried; each is `None` when absent or not a usable number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RateInfo {
    pub left: Option<u64>,
    pub reset: Option<Duration>,
    pub quota: Option<u64>,
    pub window: Option<Duration>,
}

impl RateInfo {
    /// Read the four headers; waits are clamped to `max_wait`, a zero quota or window is garbage.
    pub(crate) fn from_headers(headers: &HeaderMap, max_wait: Duration) -> RateInfo {
        let ms = |name| header_u64(headers, name).map(|v| Duration::from_millis(v).min(max_wait));
        RateInfo {
            left: header_u64(headers, "x-rate-limit-requests-left"),
            reset: ms("x-rate-limit-time-reset-ms"),
            quota: header_u64(headers, "x-rate-limit-requests-quota").filter(|q| *q > 0),
            window: ms("x-rate-limit-time-window-ms").filter(|w| !w.is_zero()),
        }
    }
}

/// The pacer's belief about the current rate-limit window.
#[derive(Debug)]
struct Window {
    /// When the server said the window resets (the earliest such claim: every claim is late by the
    /// response's travel time, never early).
    deadline: Instant,
    /// Lower and upper bound of the requests we may still send in this window.
    lo: i64,
    hi: i64,
    /// The deadline has passed and `lo`/`hi` were refilled from the quota; the new window's deadline
    /// is not known until one of its responses arrives.
    rolled: bool,
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    /// Sequence numbers of the requests sent and not yet finished.
    in_flight: BTreeSet<u64>,
    quota: Option<u64>,
    window_len: Option<Duration>,
    window: Option<Window>,
    /// After a 429: nobody sends before this instant.
    blocked_until: Option<Instant>,
    /// The last wait announced to the observer ends then: later waiters for the same deadline are quiet.
    announced_until: Option<Instant>,
}

/// Shared by every request of one client. Cheap to clone (an `Arc`).
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
    max_wait: Duration,
    observer: Option<Observe>,
}

/// The right to send one request; hand it back to [`Pacer::observe`] with the response headers.
/// Dropping it (after a response, an error or a cancellation) marks the request finished.
#[derive(Debug)]
pub(crate) struct Ticket {
    seq: u64,
    sent_at: Instant,
    pacer: Pacer,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.pacer.lock();
        state.in_flight.remove(&self.seq);
        drop(state);
        self.pacer.changed.notify_waiters();
    }
}

enum Decision {
    Go(u64),
    WaitUntil(Instant),
    WaitForResponse,
}

/// Timing slack for whole-millisecond headers that may have been rounded down.
const MARGIN: Duration = Duration::from_millis(2);

impl Pacer {
    pub(crate) fn new(max_wait: Duration) -> Pacer {
        Pacer {
            state: Arc::new(Mutex::new(State::default())),
            changed: Arc::new(Notify::new()),
            max_wait,
            observer: None,
        }
    }

    /// The same pacer, telling `observer` about waits.
    pub(crate) fn with_observer(mut self, observer: Option<Observe>) -> Pacer {
        self.observer = observer;
        self
    }

    /// Tell the observer that requests wait until `until`, unless a wait to about then was already
    /// announced or it is too short to matter.
    pub(crate) fn announce(&self, until: Instant) {
        let Some(observer) = &self.observer else {
            return;
        };
        let now = Instant::now();
        let wait = until.saturating_duration_since(now);
        if wait < ANNOUNCE_FROM {
            return;
        }
        {
            let mut state = self.lock();
            if state
                .announced_until
                .is_some_and(|announced| announced + ANNOUNCE_FROM > until)
            {
                return;
            }
            state.announced_until = Some(until);
        }
        observer.0.waiting(wait);
    }

    /// Tell the observer that a request got an answer.
    pub(crate) fn answered(&self) {
        if let Some(observer) = &self.observer {
            observer.0.answered();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the numbers unusable, so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wait until a request may be sent without overrunning the quota, and take a ticket for it.
    /// Returns the ticket and how long this call waited (zero if it did not wait).
    pub(crate) async fn acquire(&self) -> (Ticket, Duration) {
        let started = Instant::now();
        let mut waited = false;
        loop {
            // Register for wake-ups before looking, so a response landing in between is not missed.
            let changed = self.changed.notified();
            match self.decide(Instant::now()) {
                Decision::Go(seq) => {
                    let ticket = Ticket {
                        seq,
                        sent_at: Instant::now(),
                        pacer: self.clone(),
                    };
                    let wait = if waited {
                        started.elapsed()
                    } else {
                        Duration::ZERO
                    };
                    return (ticket, wait);
                }
                Decision::WaitUntil(until) => {
                    waited = true;
                    self.announce(until);
                    // A response may show budget left before then (in-flight requests settling
                    // the estimate), so wake on either.
                    let _ = tokio::time::timeout_at(until, changed).await;
                }
                Decision::WaitForResponse => {
                    waited = true;
                    // Bounded, so that even a lost wake-up cannot stall a run.
                    let _ = tokio::time::timeout(Duration::from_millis(100), changed).await;
                }
            }
        }
    }

    fn decide(&self, now: Instant) -> Decision {
        let mut state = self.lock();
        if let Some(until) = state.blocked_until {
            if until > now {
                return Decision::WaitUntil(until);
            }
            state.blocked_until = None;
        }
        let in_flight = state.in_flight.len() as i64;
        let quota = state.quota;
        if let Some(window) = state.window.as_mut()
            && !window.rolled
            && now >= window.deadline
        {
            match quota {
                Some(quota) => {
                    window.rolled = true;
                    window.hi = quota as i64;
                    window.lo = quota as i64 - in_flight;
                }
                None => state.window = None,
            }
        }
        if in_flight == 0
            && let Some(window) = state.window.as_mut()
        {
            // Nothing in flight: every request we sent has been answered, so the freshest `left`
            // (minus what we sent since) is exact, and the conservative bound can catch up.
            window.lo = window.hi;
        }
        if let Some(window) = state.window.as_ref()
            && window.lo.min(window.hi) <= 0
        {
            if !window.rolled {
                return Decision::WaitUntil(window.deadline);
            }
            if in_flight > 0 {
                return Decision::WaitForResponse;
            }
            // Refilled window spent, nothing in flight to tell us more: no information left.
            state.window = None;
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.in_flight.insert(seq);
        if let Some(window) = state.window.as_mut() {
            window.lo -= 1;
            window.hi -= 1;
        }
        Decision::Go(seq)
    }

    /// The quota the store last announced (`X-Rate-Limit-Requests-Quota` per `-Time-Window-Ms`), when
    /// both were seen.
    pub(crate) fn quota(&self) -> Option<(u64, Duration)> {
        let state = self.lock();
        state.quota.zip(state.window_len)
    }

    /// Learn from a response's headers (any status). `ticket` is the request it answers.
    pub(crate) fn observe(&self, ticket: &Ticket, headers: &HeaderMap) {
        let info = RateInfo::from_headers(headers, self.max_wait);
        self.observe_info(ticket.seq, ticket.sent_at, info, Instant::now());
        self.changed.notify_waiters();
    }

    fn observe_info(&self, seq: u64, sent_at: Instant, info: RateInfo, now: Instant) {
        let mut state = self.lock();
        if info.quota.is_some() {
            state.quota = info.quota;
        }
        if info.window.is_some() {
            state.window_len = info.window;
        }
        let (Some(left), Some(reset)) = (info.left, info.reset) else {
            return;
        };
        let left = left.min(i64::MAX as u64 / 2) as i64;
        // Sent after this request: probably not counted in `left` yet. Sent before it and still
        // unanswered: probably counted, but a busy server may have taken them later; assume not.
        let sent_after = state.next_seq.saturating_sub(seq + 1) as i64;
        let older_in_flight = state.in_flight.range(..seq).count() as i64;
        let estimate = left - sent_after - older_in_flight;
        // The server computed `reset` somewhere between our send and this arrival, so its window
        // ends between `sent_at + reset` and `now + reset`. The late end is the safe deadline; the
        // early end tells windows apart: an answer from the window we know can never claim an end
        // later than that window's (itself a late estimate).
        let deadline = now + reset + MARGIN;
        let earliest_end = sent_at + reset;
        let fresh = Window {
            deadline,
            lo: estimate,
            hi: left,
            rolled: false,
        };
        match state.window.as_mut() {
            None => state.window = Some(fresh),
            Some(window) if earliest_end > window.deadline + MARGIN => *window = fresh,
            // Describes a window we already saw end: stale, ignore.
            Some(window) if window.rolled => {}
            Some(window) => {
                window.deadline = window.deadline.min(deadline);
                window.hi = window.hi.min(left);
                window.lo = window.lo.max(estimate);
            }
        }
    }

    /// After a 429: hold every new request back until `until` (the pacer learns from it too).
    pub(crate) fn block_until(&self, until: Instant) {
        let mut state = self.lock();
        let later = state
            .blocked_until
            .map_or(until, |current| current.max(until));
        state.blocked_until = Some(later);
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use reqwest::header::HeaderValue;

    fn info(left: u64, reset_ms: u64) -> RateInfo {
        RateInfo {
            left: Some(left),
            reset: Some(Duration::from_millis(reset_ms)),
            quota: Some(5),
            window: Some(Duration::from_millis(1000)),
        }
    }

    fn go(pacer: &Pacer, now: Instant) -> u64 {
        match pacer.decide(now) {
            Decision::Go(seq) => seq,
            _ => panic!("expected the pacer to let a request go"),
        }
    }

    #[test]
    fn headers_are_read_case_insensitively_and_garbage_is_none() {
        let mut h = HeaderMap::new();
        h.insert("X-RATE-LIMIT-REQUESTS-LEFT", HeaderValue::from_static("7"));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("nan"),
        );
        h.insert("X-Rate-Limit-Requests-Quota", HeaderValue::from_static("0"));
        h.insert(
            "X-Rate-Limit-Time-Window-Ms",
            HeaderValue::from_static("-30000"),
        );
        let info = RateInfo::from_headers(&h, Duration::from_secs(300));
        assert_eq!(
            info,
            RateInfo {
                left: Some(7),
                ..RateInfo::default()
            }
        );
    }

    #[test]
    fn spends_exactly_the_quota_then_waits_for_the_reset() {
        let pacer = Pacer::new(Duration::from_secs(300));
        let t0 = Instant::now();
        let s0 = go(&pacer, t0);
        // One response: 4 left, window resets in 1 s. Nothing else in flight: exact.
        pacer.observe_info(s0, t0, info(4, 1000), t0);
        pacer.lock().in_flight.clear();
        for _ in 0..4 {
            go(&pacer, t0);
        }
        match pacer.decide(t0) {
            Decision::WaitUntil(until) => assert_eq!(until, t0 + Duration::from_millis(1002)),
            _ => panic!("the fifth request must wait for the reset"),
        }
        pacer.lock().in_flight.clear();
        // After the reset the full quota is available again.
        let later = t0 + Duration::from_millis(1002);
        for _ in 0..5 {
            go(&pacer, later);
        }
        assert!(matches!(pacer.decide(later), Decision::WaitForResponse));
    }

    #[test]
    fn trusts_a_lower_left_from_the_server() {
        let pacer = Pacer::new(Duration::from_secs(300));
        let t0 = Instant::now();
        let s0 = go(&pacer, t0);
        pacer.observe_info(s0, t0, info(4, 1000), t0);
        let s1 = go(&pacer, t0);
        // Another app spent the rest: the server says 0 left.
        pacer.observe_info(s1, t0, info(0, 900), t0);
        assert!(matches!(pacer.decide(t0), Decision::WaitUntil(_)));
    }

    #[test]
    fn stale_answers_from_an_ended_window_are_ignored_and_new_windows_recognised() {
        let pacer = Pacer::new(Duration::from_secs(300));
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let s0 = go(&pacer, t0);
        pacer.observe_info(s0, t0, info(2, 100), t0); // window ends at t0 + 102
        pacer.lock().in_flight.clear();
        let s1 = go(&pacer, t0 + ms(90));
        let s2 = go(&pacer, t0 + ms(110)); // rolls over: 5 − 1 in flight
        // s1 was counted in the old window but is answered late: "0 left, resets in 5 ms".
        pacer.observe_info(s1, t0 + ms(90), info(0, 5), t0 + ms(150));
        assert!(
            matches!(pacer.decide(t0 + ms(150)), Decision::Go(_)),
            "a stale answer must not stop the new window"
        );
        // s2's answer describes the new window (ends at t0 + 300) with nothing left.
        pacer.observe_info(s2, t0 + ms(110), info(0, 190), t0 + ms(155));
        match pacer.decide(t0 + ms(160)) {
            Decision::WaitUntil(until) => assert_eq!(until, t0 + ms(155 + 190 + 2)),
            _ => panic!("the new window is spent: wait for its end"),
        }
    }

    #[test]
    fn an_older_request_still_in_flight_is_assumed_uncounted() {
        let pacer = Pacer::new(Duration::from_secs(300));
        let t0 = Instant::now();
        let _s0 = go(&pacer, t0);
        let s1 = go(&pacer, t0);
        // s1 answered first with 1 left; s0 may not be counted yet, so nothing may be sent.
        pacer.observe_info(s1, t0, info(1, 1000), t0);
        assert!(matches!(pacer.decide(t0), Decision::WaitUntil(_)));
    }

    #[test]
    fn no_headers_means_no_pacing() {
        let pacer = Pacer::new(Duration::from_secs(300));
        let t0 = Instant::now();
        for _ in 0..100 {
            let seq = go(&pacer, t0);
            pacer.observe_info(seq, t0, RateInfo::default(), t0);
        }
    }
}
