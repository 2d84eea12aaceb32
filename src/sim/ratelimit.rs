//! The store's rate limit: one fixed window shared by every client (API-NOTES §2, §7 "Rate limiting").
//! Every request consumes one unit whatever its outcome; the window starts with the first request after
//! the previous window ended, and when the quota is spent requests get 429 until the window resets.

use std::time::{Duration, Instant};

/// What the limiter decided for one request, with the values for the four `x-rate-limit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (false: answer 429).
    pub allowed: bool,
    /// `x-rate-limit-time-window-ms`.
    pub window_ms: u64,
    /// `x-rate-limit-time-reset-ms`: milliseconds left in the current window.
    pub reset_ms: u64,
    /// `x-rate-limit-requests-quota`.
    pub quota: u32,
    /// `x-rate-limit-requests-left`, after this request.
    pub left: u32,
}

impl Decision {
    /// `x-retry-after`: whole seconds until the window resets, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        self.reset_ms.div_ceil(1000)
    }
}

/// A fixed-window counter.
#[derive(Debug)]
pub struct FixedWindow {
    quota: u32,
    window: Duration,
    started: Option<Instant>,
    used: u32,
}

impl FixedWindow {
    /// `quota` requests per `window`.
    pub fn new(quota: u32, window: Duration) -> FixedWindow {
        FixedWindow {
            quota,
            window,
            started: None,
            used: 0,
        }
    }

    fn roll(&mut self, now: Instant) -> Instant {
        match self.started {
            Some(start) if now.duration_since(start) < self.window => start,
            _ => {
                self.started = Some(now);
                self.used = 0;
                now
            }
        }
    }

    fn decision(&self, start: Instant, now: Instant, allowed: bool) -> Decision {
        let elapsed = now.duration_since(start);
        let reset = self.window.saturating_sub(elapsed);
        Decision {
            allowed,
            window_ms: millis(self.window),
            // At least 1 ms while the window is open, so a client never reads "reset now" and spins.
            reset_ms: millis(reset).max(1),
            quota: self.quota,
            left: self.quota.saturating_sub(self.used),
        }
    }

    /// Count one request arriving at `now`.
    pub fn consume(&mut self, now: Instant) -> Decision {
        let start = self.roll(now);
        let allowed = self.used < self.quota;
        self.used = self.used.saturating_add(1);
        self.decision(start, now, allowed)
    }

    /// End the current window: the next request opens a new one.
    pub fn reset(&mut self) {
        self.started = None;
        self.used = 0;
    }

    /// Spend `units` of the current window without a request, as other apps sharing the store would.
    pub fn spend(&mut self, now: Instant, units: u32) {
        self.roll(now);
        self.used = self.used.saturating_add(units);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_then_429_then_new_window() {
        let mut w = FixedWindow::new(2, Duration::from_millis(1000));
        let t0 = Instant::now();
        let a = w.consume(t0);
        assert!(a.allowed);
        assert_eq!(
            (a.left, a.reset_ms, a.window_ms, a.quota),
            (1, 1000, 1000, 2)
        );
        assert_eq!(w.consume(t0 + Duration::from_millis(100)).left, 0);
        let c = w.consume(t0 + Duration::from_millis(250));
        assert!(!c.allowed);
        assert_eq!((c.left, c.reset_ms, c.retry_after_secs()), (0, 750, 1));
        let d = w.consume(t0 + Duration::from_millis(1000));
        assert!(d.allowed);
        assert_eq!((d.left, d.reset_ms), (1, 1000));
    }

    #[test]
    fn spend_lowers_what_is_left() {
        let mut w = FixedWindow::new(5, Duration::from_secs(30));
        let t0 = Instant::now();
        w.spend(t0, 4);
        assert_eq!(w.consume(t0).left, 0);
        assert!(!w.consume(t0).allowed);
    }
}
