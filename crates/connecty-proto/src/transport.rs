//! The transport seam: what an HTTP stack must provide.
//!
//! A transport sends one `http::Request<Vec<u8>>` and returns the whole
//! `http::Response<Vec<u8>>` (any status: classification is the core's job),
//! or a [`TransportError`] whose [`kind`](TransportError::kind) drives retry
//! decisions. It also owns the clock and sleeping, so a test transport can
//! run a ten-minute wait in microseconds.
//!
//! A transport must:
//! - give up after `timeout` (headers and body);
//! - never follow redirects (answer them as responses or as
//!   [`TransportErrorKind::Redirect`](crate::TransportErrorKind::Redirect));
//! - decode `Content-Encoding: gzip`;
//! - enforce its body limit with
//!   [`TransportErrorKind::BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge);
//! - never log or report headers or bodies.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::error::TransportError;

/// A blocking HTTP transport.
pub trait BlockingTransport: Send + Sync {
    /// Sends `request`, giving up after `timeout`.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;

    /// Blocks until `deadline`.
    fn sleep_until(&self, deadline: Instant);

    /// The monotonic clock.
    fn now(&self) -> Instant;

    /// The wall clock (for `Retry-After` dates and token expiry).
    fn wall_clock(&self) -> DateTime<Utc>;
}

/// An async HTTP transport.
#[async_trait::async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request`, giving up after `timeout`.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;

    /// Sleeps until `deadline`.
    async fn sleep_until(&self, deadline: Instant);

    /// The monotonic clock.
    fn now(&self) -> Instant;

    /// The wall clock (for `Retry-After` dates and token expiry).
    fn wall_clock(&self) -> DateTime<Utc>;
}

/// A transport made of a closure and a virtual clock: sleeping advances the
/// clock at once. Both a [`BlockingTransport`] and an [`AsyncTransport`].
///
/// It is for tests and examples: the closure answers every request, and a
/// whole ask-and-wait runs in microseconds whatever its virtual length.
///
/// ```
/// # use std::time::{Duration, Instant};
/// use connecty_proto::{FnTransport, BlockingTransport};
/// let t = FnTransport::new(Instant::now(), std::time::SystemTime::now().into(), |_req| {
///     Ok(http::Response::builder().status(200).body(Vec::new()).unwrap())
/// });
/// let start = t.now();
/// t.sleep_until(start + Duration::from_secs(600));
/// assert_eq!(t.now() - start, Duration::from_secs(600));
/// ```
pub struct FnTransport<F> {
    f: F,
    start: Instant,
    wall_start: DateTime<Utc>,
    elapsed: Mutex<Duration>,
}

impl<F> FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    /// A transport whose virtual clock starts at `start` (monotonic) and
    /// `wall_start` (wall clock).
    pub fn new(start: Instant, wall_start: DateTime<Utc>, f: F) -> Self {
        Self {
            f,
            start,
            wall_start,
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Advances the virtual clock by `d`.
    pub fn advance(&self, d: Duration) {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner()) += d;
    }

    fn advance_to(&self, deadline: Instant) {
        let mut e = self.elapsed.lock().unwrap_or_else(|e| e.into_inner());
        let target = deadline.saturating_duration_since(self.start);
        if target > *e {
            *e = target;
        }
    }
}

impl<F> BlockingTransport for FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (self.f)(request)
    }

    fn sleep_until(&self, deadline: Instant) {
        self.advance_to(deadline);
    }

    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.wall_start + chrono::Duration::from_std(self.elapsed()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl<F> AsyncTransport for FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (self.f)(request)
    }

    async fn sleep_until(&self, deadline: Instant) {
        self.advance_to(deadline);
    }

    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.wall_start + chrono::Duration::from_std(self.elapsed()).unwrap_or_default()
    }
}
