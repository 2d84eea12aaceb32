//! When and how long to wait before retrying a request.
//!
//! BigCommerce asks clients to wait `max(X-Rate-Limit-Time-Reset-Ms, X-Retry-After × 1000)` after a
//! 429 and to back off exponentially, with jitter, on a 429 without headers ("platform load"), on
//! 500/502/503/504 and on network failures, for about ten attempts (API-NOTES §2.3). Peer clients got
//! this wrong in instructive ways (§5.2: a missing header became `NaN` and an immediate retry, a hot
//! loop), so every wait here has a floor and a ceiling and garbage headers simply count as absent.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::pacer::header_u64;

/// The most a request that cannot connect at all (connection refused, host unreachable, DNS failure)
/// waits in all before giving up: a closed port or a mistyped `--api-url` is reported within seconds,
/// not after minutes of silent back-off (issue 9.13). Each wait is announced as a warning.
pub const CONNECT_RETRY_BUDGET: Duration = Duration::from_secs(10);

/// How often and how long to retry. `Default` follows BigCommerce's guidance; tests and the CLI's
/// hidden test switch use [`RetryPolicy::parse`] to make it fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The smallest back-off wait, and the scale of the exponential growth.
    pub base: Duration,
    /// The largest back-off wait.
    pub cap: Duration,
    /// The longest any single wait may be, whatever a header says (a hostile or broken
    /// `X-Retry-After: 99999999` must not park the tool for years).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// Why a retry policy spec ([`RetryPolicy::parse`]) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetrySpecError {
    /// A part without `=`.
    #[error("retry policy: expected key=value, got {0:?}")]
    NotKeyValue(String),
    /// A value that is not a whole number.
    #[error("retry policy: {key} needs a whole number, got {value:?}")]
    NotANumber { key: String, value: String },
    /// `max_attempts` beyond `u32`.
    #[error("retry policy: max_attempts {0} is too large")]
    TooManyAttempts(u64),
    /// A key the policy does not have.
    #[error("retry policy: unknown key {0:?}")]
    UnknownKey(String),
    /// `max_attempts=0`.
    #[error("retry policy: max_attempts must be at least 1")]
    NoAttempts,
}

impl RetryPolicy {
    /// Parse `key=value` pairs separated by commas, starting from the defaults:
    /// `max_attempts=3,base_ms=5,cap_ms=50,max_wait_ms=1000`. Unknown keys and bad numbers are errors.
    pub fn parse(spec: &str) -> Result<RetryPolicy, RetrySpecError> {
        let mut policy = RetryPolicy::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| RetrySpecError::NotKeyValue(part.to_string()))?;
            let number: u64 = value
                .trim()
                .parse()
                .map_err(|_| RetrySpecError::NotANumber {
                    key: key.to_string(),
                    value: value.to_string(),
                })?;
            match key.trim() {
                "max_attempts" => {
                    policy.max_attempts = u32::try_from(number)
                        .map_err(|_| RetrySpecError::TooManyAttempts(number))?
                }
                "base_ms" => policy.base = Duration::from_millis(number),
                "cap_ms" => policy.cap = Duration::from_millis(number),
                "max_wait_ms" => policy.max_wait = Duration::from_millis(number),
                other => return Err(RetrySpecError::UnknownKey(other.to_string())),
            }
        }
        if policy.max_attempts == 0 {
            return Err(RetrySpecError::NoAttempts);
        }
        Ok(policy)
    }

    /// The waits before each retry of a request that could not connect: doubling from `base`, each
    /// at most `cap`, together at most [`CONNECT_RETRY_BUDGET`], and at most `max_attempts - 1` of
    /// them. Deterministic (no jitter) so the bound is exact: a refused connection is retried
    /// `connect_waits().len()` times. With the defaults: 0.5 + 1 + 2 + 4 s = 7.5 s over 5 attempts.
    pub fn connect_waits(&self) -> Vec<Duration> {
        let mut waits = Vec::new();
        let mut total = Duration::ZERO;
        let mut wait = self.base.min(self.cap).max(Duration::from_millis(1));
        while (waits.len() as u32) + 1 < self.max_attempts.max(1) {
            let next = wait.min(self.cap).min(self.max_wait);
            if total + next > CONNECT_RETRY_BUDGET {
                break;
            }
            total += next;
            waits.push(next);
            wait = wait.saturating_mul(2);
        }
        waits
    }
}

/// Decorrelated-jitter back-off (each wait is random between `base` and three times the previous
/// one, capped): never shorter than `base`, so a misbehaving server cannot cause a hot loop.
#[derive(Debug)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
    previous: Duration,
}

impl Backoff {
    pub(crate) fn new(policy: &RetryPolicy) -> Backoff {
        let base = policy.base.min(policy.cap);
        Backoff {
            base,
            cap: policy.cap.max(base),
            previous: base,
        }
    }

    /// The next wait.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let low = self.base.as_millis() as u64;
        let high = (self.previous.as_millis() as u64)
            .saturating_mul(3)
            .max(low);
        let pick = Duration::from_millis(fastrand::u64(low..=high)).min(self.cap);
        self.previous = pick.max(self.base);
        pick
    }
}

/// What a 429's headers ask for: `max(X-Rate-Limit-Time-Reset-Ms, X-Retry-After × 1000)`, each
/// clamped to `max_wait`; `None` when neither is a usable number (then the caller backs off).
/// `Retry-After` (seconds) is accepted when `X-Retry-After` is absent, as proxies send it.
pub(crate) fn rate_limit_wait(headers: &HeaderMap, max_wait: Duration) -> Option<Duration> {
    let reset = header_u64(headers, "x-rate-limit-time-reset-ms").map(Duration::from_millis);
    let retry_after = header_u64(headers, "x-retry-after")
        .or_else(|| header_u64(headers, "retry-after"))
        .map(|secs| Duration::from_secs(secs.min(max_wait.as_secs().saturating_add(1))));
    let wait = match (reset, retry_after) {
        (None, None) => return None,
        (a, b) => a.unwrap_or_default().max(b.unwrap_or_default()),
    };
    Some(wait.min(max_wait))
}

/// A little random extra on top of a header-given wait, so that several clients released by the
/// same window reset do not all arrive in the same millisecond: up to a tenth of the wait, at least
/// 5 ms and at most 250 ms.
pub(crate) fn small_jitter(wait: Duration) -> Duration {
    let high = (wait.as_millis() as u64 / 10).clamp(5, 250);
    Duration::from_millis(fastrand::u64(0..=high))
}

#[cfg(test)]
mod unit {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("test header"));
        }
        map
    }

    #[test]
    fn rate_limit_wait_is_the_longer_of_the_two_headers() {
        let max = Duration::from_secs(300);
        let h = headers(&[
            ("X-Rate-Limit-Time-Reset-Ms", "1500"),
            ("X-Retry-After", "3"),
        ]);
        assert_eq!(rate_limit_wait(&h, max), Some(Duration::from_secs(3)));
        let h = headers(&[
            ("x-rate-limit-time-reset-ms", "4500"),
            ("x-retry-after", "3"),
        ]);
        assert_eq!(rate_limit_wait(&h, max), Some(Duration::from_millis(4500)));
    }

    #[test]
    fn garbage_headers_count_as_absent_and_huge_ones_are_clamped() {
        let max = Duration::from_secs(300);
        let h = headers(&[
            ("x-retry-after", "abc"),
            ("x-rate-limit-time-reset-ms", "-5"),
        ]);
        assert_eq!(rate_limit_wait(&h, max), None);
        let h = headers(&[("x-retry-after", "1.5")]);
        assert_eq!(rate_limit_wait(&h, max), None);
        let h = headers(&[("x-retry-after", "18446744073709551615")]);
        assert_eq!(rate_limit_wait(&h, max), Some(max));
        let h = headers(&[("x-rate-limit-time-reset-ms", "99999999999")]);
        assert_eq!(rate_limit_wait(&h, max), Some(max));
    }

    #[test]
    fn backoff_stays_between_base_and_cap_and_grows() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(200),
            max_wait: Duration::from_secs(1),
        };
        let mut backoff = Backoff::new(&policy);
        let waits: Vec<Duration> = (0..50).map(|_| backoff.next_wait()).collect();
        assert!(waits.iter().all(|w| *w >= policy.base && *w <= policy.cap));
        assert!(
            waits.iter().any(|w| *w > Duration::from_millis(30)),
            "{waits:?}"
        );
    }

    #[test]
    fn a_connection_that_is_refused_is_given_up_within_seconds() {
        let waits = RetryPolicy::default().connect_waits();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000]);
        // Five attempts, refused at once, 7.5 s of waits: well within the 15 s the issue allows.
        assert!(waits.iter().sum::<Duration>() <= CONNECT_RETRY_BUDGET);
        let few = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        assert_eq!(few.connect_waits().len(), 1);
        let slow = RetryPolicy {
            base: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        assert!(
            slow.connect_waits().is_empty(),
            "one wait may not exceed the budget"
        );
    }

    #[test]
    fn policy_parses_and_rejects() {
        let p = RetryPolicy::parse("max_attempts=3, base_ms=5,cap_ms=50,max_wait_ms=1000")
            .expect("valid");
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.base, Duration::from_millis(5));
        assert_eq!(p.cap, Duration::from_millis(50));
        assert_eq!(p.max_wait, Duration::from_secs(1));
        assert!(RetryPolicy::parse("max_attempts=0").is_err());
        assert!(RetryPolicy::parse("bogus=1").is_err());
        assert!(RetryPolicy::parse("base_ms=x").is_err());
        assert_eq!(
            RetryPolicy::parse("").expect("empty"),
            RetryPolicy::default()
        );
    }
}
