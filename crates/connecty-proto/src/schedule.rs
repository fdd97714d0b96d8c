//! When polls and retries are sent: the poll schedule and the retry policy.

use std::time::{Duration, Instant};

/// `now + d`, saturating far in the future instead of overflowing (a
/// caller may pass `Duration::MAX` for "no limit").
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// The random fractions of full-jitter backoff: SplitMix64 from a seed the
/// driver injects (tests pin it), so the core reads no entropy itself.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Jitter(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next fraction, uniform in `[0, 1)`.
    pub fn next_fraction(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// When polls are sent while waiting for a question.
///
/// Default: the first poll as soon as the question is asked (as the OpenAI,
/// AWS and Databricks waiters do), then 250 ms later, then each delay 1.5
/// times the last, capped at 5 s; no jitter (polls of one question are
/// already spread by when it was asked). Each delay is also held to at most
/// a quarter of the time waited so far (but never below `first`), so the
/// client learns of a completed question within 25% of the question's own
/// time: a 10 s question is seen within 2.5 s, a 2 s one within 0.5 s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    /// Delay between the first poll (at once) and the second.
    pub first: Duration,
    /// Growth factor per poll (at least 1).
    pub factor: f64,
    /// The longest delay between two polls.
    pub cap: Duration,
    /// The longest delay as a fraction of the time waited so far (0.25);
    /// 1.0 or more disables this bound.
    pub max_fraction: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(250),
            factor: 1.5,
            cap: Duration::from_secs(5),
            max_fraction: 0.25,
        }
    }
}

impl PollSchedule {
    /// The delay before poll number `n` when `waited` has passed since the
    /// question was asked (or the wait began): [`delay`](Self::delay) held
    /// to `max(first, max_fraction * waited)`.
    pub fn delay_after(&self, n: u32, waited: Duration) -> Duration {
        let d = self.delay(n);
        if !(self.max_fraction.is_finite() && self.max_fraction > 0.0 && self.max_fraction < 1.0) {
            return d;
        }
        d.min(waited.mul_f64(self.max_fraction).max(self.first))
    }

    /// The delay before poll number `n` (0 is the first poll).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let secs = self.first.as_secs_f64() * factor.powi(n.min(64) as i32);
        if !secs.is_finite() || secs >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(secs).min(self.cap)
        }
    }
}

/// How failed requests are retried.
///
/// Default, as the AWS SDKs' standard mode: 3 attempts in all, exponential
/// backoff from 1 s doubling to at most 20 s, with full jitter (each delay is
/// uniform in zero to the exponential value). A 429's `Retry-After` replaces
/// the computed delay, clamped to `cap` and to the time left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The backoff base: the ceiling of the first retry's delay.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff ceiling before retry `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << exp).min(self.cap)
    }

    /// The jittered delay before retry `retry`, with `fraction` in `[0, 1)`.
    pub fn delay(&self, retry: u32, fraction: f64) -> Duration {
        let f = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        let p = PollSchedule::default();
        assert_eq!(p.delay(0), Duration::from_millis(250));
        assert_eq!(p.delay(1), Duration::from_millis(375));
        assert_eq!(p.delay(100), Duration::from_secs(5));
        assert_eq!(
            p.delay_after(100, Duration::from_secs(4)),
            Duration::from_secs(1)
        );
        assert_eq!(
            p.delay_after(1, Duration::from_millis(300)),
            Duration::from_millis(250)
        );
        assert_eq!(
            p.delay_after(100, Duration::from_secs(600)),
            Duration::from_secs(5)
        );
        let r = RetryPolicy::default();
        assert_eq!(r.ceiling(1), Duration::from_secs(1));
        assert_eq!(r.ceiling(2), Duration::from_secs(2));
        assert_eq!(r.ceiling(6), Duration::from_secs(20));
        assert_eq!(r.ceiling(1000), Duration::from_secs(20));
        assert_eq!(r.delay(2, 0.5), Duration::from_secs(1));
        assert_eq!(r.delay(2, f64::NAN), Duration::ZERO);
    }
}
