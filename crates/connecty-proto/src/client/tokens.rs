//! The token cache a client's clones share: one token, one exchange in
//! flight.
//!
//! [`TokenSlot`] is the decision, sans-IO and table-tested: an operation
//! that needs a token [`acquire`](TokenSlot::acquire)s one and is told to
//! use the cached token, to lead an exchange, or to wait for the exchange
//! in flight (by its generation); the leader [`complete`](TokenSlot::complete)s
//! it. [`TokenCache`] wraps it in a mutex with the two ways to wait (a
//! condvar for threads, a waker list for futures), and
//! [`finish_exchange`](TokenCache::finish_exchange) is what both drivers
//! do once they led an exchange.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use crate::error::Error;
use crate::secret::AccessToken;

/// What an operation needing a token does next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Acquire {
    /// Use this token.
    Use(AccessToken),
    /// Exchange the credentials; then call [`TokenSlot::complete`].
    Lead,
    /// Another caller leads exchange `generation`: wait until it ends
    /// ([`TokenSlot::exchanging`] turns false), then acquire again.
    Wait(u64),
}

/// The shared token and the exchange in flight.
#[derive(Debug, Default)]
pub(crate) struct TokenSlot {
    token: Option<AccessToken>,
    exchanging: bool,
    /// Counts ended exchanges.
    generation: u64,
    /// The error the exchange of a generation ended with.
    last_error: Option<(u64, Error)>,
    /// Exchanges started, for `token_exchanges()`.
    exchanges: u64,
}

impl TokenSlot {
    /// A token for an operation at `now`. `reject` is a token the server
    /// refused or the operation found too old: it is dropped from the cache
    /// (once) if it is still the cached one.
    pub fn acquire(&mut self, now: Instant, reject: &mut Option<AccessToken>) -> Acquire {
        if let Some(r) = reject.take() {
            if self.token.as_ref().is_some_and(|t| t.same_token(&r)) {
                self.token = None;
            }
        }
        if let Some(t) = &self.token {
            if t.is_usable(now) {
                return Acquire::Use(t.clone());
            }
            self.token = None;
        }
        if self.exchanging {
            Acquire::Wait(self.generation)
        } else {
            self.exchanging = true;
            self.exchanges += 1;
            Acquire::Lead
        }
    }

    /// Whether exchange `generation` is still in flight.
    pub fn exchanging(&self, generation: u64) -> bool {
        self.exchanging && self.generation == generation
    }

    /// Ends the exchange in flight: with its token, its error, or `None`
    /// when it ended without a verdict on the credentials (the leader was
    /// dropped, or ran out of its own time): a waiter then leads the next.
    pub fn complete(&mut self, result: Option<&Result<AccessToken, Error>>) {
        self.exchanging = false;
        self.generation += 1;
        match result {
            Some(Ok(t)) => self.token = Some(t.clone()),
            Some(Err(e)) => self.last_error = Some((self.generation, e.clone())),
            None => {}
        }
    }

    /// After waiting on exchange `generation`: the error it ended with, so
    /// waiters of a failed exchange share its verdict instead of each
    /// trying bad credentials again.
    pub fn error_after(&self, generation: u64) -> Option<Error> {
        match &self.last_error {
            Some((g, e)) if *g == generation + 1 => Some(e.clone()),
            _ => None,
        }
    }

    /// Exchanges started so far.
    pub fn exchanges(&self) -> u64 {
        self.exchanges
    }
}

/// The slot and the futures waiting on it.
#[derive(Default)]
pub(crate) struct Guarded {
    pub slot: TokenSlot,
    pub wakers: Vec<Waker>,
}

/// [`TokenSlot`] behind a mutex, with a condvar for threads and wakers for
/// futures.
#[derive(Default)]
pub(crate) struct TokenCache {
    inner: Mutex<Guarded>,
    pub cond: Condvar,
}

impl TokenCache {
    pub fn lock(&self) -> MutexGuard<'_, Guarded> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the exchange in flight and wakes every waiter.
    pub fn complete(&self, result: Option<&Result<AccessToken, Error>>) {
        let wakers = {
            let mut g = self.lock();
            g.slot.complete(result);
            std::mem::take(&mut g.wakers)
        };
        self.cond.notify_all();
        for w in wakers {
            w.wake();
        }
    }

    /// What a leader does with its exchange's result. A timeout is the
    /// leader's own deadline, not a verdict on the credentials: waiters with
    /// more time lead the next attempt.
    pub fn finish_exchange(&self, r: Result<AccessToken, Error>) -> Result<AccessToken, Error> {
        match &r {
            Err(Error::Timeout { .. }) => self.complete(None),
            _ => self.complete(Some(&r)),
        }
        r
    }
}

/// Ends the exchange (without a verdict) if its leader is dropped half-way,
/// so a waiter leads the next one.
pub(crate) struct LeaderGuard<'a> {
    cache: &'a TokenCache,
    armed: bool,
}

impl<'a> LeaderGuard<'a> {
    pub fn new(cache: &'a TokenCache) -> Self {
        Self { cache, armed: true }
    }

    /// The exchange ended with `r`: see [`TokenCache::finish_exchange`].
    pub fn finish(mut self, r: Result<AccessToken, Error>) -> Result<AccessToken, Error> {
        self.armed = false;
        self.cache.finish_exchange(r)
    }
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.cache.complete(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An instant an hour past now, so tokens can be received before it.
    fn later_now() -> Instant {
        Instant::now() + Duration::from_secs(7200)
    }

    fn token(name: &str, now: Instant, life_s: u64) -> AccessToken {
        let at = chrono::DateTime::UNIX_EPOCH.fixed_offset();
        AccessToken::new(name, at, now, Duration::from_secs(life_s))
    }

    fn refused() -> Error {
        Error::Authentication {
            status: http::StatusCode::UNAUTHORIZED,
            message: None,
        }
    }

    #[test]
    fn the_first_asker_leads_the_others_wait_then_use_its_token() {
        let now = later_now();
        let mut s = TokenSlot::default();
        assert_eq!(s.acquire(now, &mut None), Acquire::Lead);
        assert_eq!(s.acquire(now, &mut None), Acquire::Wait(0));
        assert!(s.exchanging(0));
        let t = token("t1", now, 3600);
        s.complete(Some(&Ok(t.clone())));
        assert!(!s.exchanging(0));
        assert_eq!(s.error_after(0), None);
        assert_eq!(s.acquire(now, &mut None), Acquire::Use(t));
        assert_eq!(s.exchanges(), 1);
    }

    #[test]
    fn table_of_acquisitions() {
        let now = later_now();
        let fresh = token("fresh", now, 3600);
        let old = token("old", now - Duration::from_secs(3590), 3600);
        // (cached token, exchange in flight, reject, expected)
        let cases: Vec<(Option<&AccessToken>, bool, Option<&AccessToken>, Acquire)> = vec![
            (None, false, None, Acquire::Lead),
            (None, true, None, Acquire::Wait(0)),
            (Some(&fresh), false, None, Acquire::Use(fresh.clone())),
            (Some(&fresh), true, None, Acquire::Use(fresh.clone())),
            // Too close to expiry: refreshed, not used.
            (Some(&old), false, None, Acquire::Lead),
            // The server refused it: dropped, a new exchange.
            (Some(&fresh), false, Some(&fresh), Acquire::Lead),
            // A refused token that is no longer cached drops nothing.
            (Some(&fresh), false, Some(&old), Acquire::Use(fresh.clone())),
        ];
        for (i, (cached, exchanging, reject, want)) in cases.into_iter().enumerate() {
            let mut s = TokenSlot {
                token: cached.cloned(),
                exchanging,
                ..TokenSlot::default()
            };
            let mut reject = reject.cloned();
            assert_eq!(s.acquire(now, &mut reject), want, "case {i}");
            assert!(reject.is_none(), "case {i}: a reject is used once");
        }
    }

    #[test]
    fn waiters_share_a_failed_exchanges_error_but_not_a_timeout() {
        let now = later_now();
        let mut s = TokenSlot::default();
        assert_eq!(s.acquire(now, &mut None), Acquire::Lead);
        s.complete(Some(&Err(refused())));
        assert_eq!(s.error_after(0), Some(refused()));
        // The next asker leads a new exchange (generation 1).
        assert_eq!(s.acquire(now, &mut None), Acquire::Lead);
        assert_eq!(s.acquire(now, &mut None), Acquire::Wait(1));
        // Ended without a verdict (dropped leader, or its own deadline).
        s.complete(None);
        assert_eq!(s.error_after(1), None);
        assert_eq!(s.acquire(now, &mut None), Acquire::Lead);
        assert_eq!(s.exchanges(), 3);
    }

    #[test]
    fn a_leader_timeout_is_no_verdict_and_a_dropped_leader_frees_the_slot() {
        let cache = TokenCache::default();
        let now = later_now();
        assert_eq!(cache.lock().slot.acquire(now, &mut None), Acquire::Lead);
        let timeout = Error::Timeout {
            asked: crate::Asked::NoQuestion,
            last_state: None,
            elapsed: Duration::from_secs(1),
            last_error: None,
        };
        assert!(LeaderGuard::new(&cache).finish(Err(timeout)).is_err());
        assert_eq!(cache.lock().slot.error_after(0), None);
        assert_eq!(cache.lock().slot.acquire(now, &mut None), Acquire::Lead);
        drop(LeaderGuard::new(&cache));
        assert!(!cache.lock().slot.exchanging(1));
        assert_eq!(cache.lock().slot.acquire(now, &mut None), Acquire::Lead);
    }
}
