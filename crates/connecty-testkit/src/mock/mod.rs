//! [`MockTransport`]: an in-memory transport with a virtual clock.
//!
//! It answers from a script of expected requests and canned responses (a
//! fixture's exchanges, or ones built with [`MockTransport::expect`]),
//! records every request, and sleeps by advancing its clock, so a
//! ten-minute wait runs in microseconds. It is both a
//! [`BlockingTransport`] and an [`AsyncTransport`].
//!
//! A request the script does not expect is answered with status 599 and
//! a JSON explanation, and kept for [`MockTransport::finish`].
//!
//! # Unit-testing your own code
//!
//! In one line, an API whose every question completes with a dataframe
//! ([`MockTransport::completed`]) or fails with a reason
//! ([`MockTransport::failed`]); [`MockTransport::blocking_client`] and
//! [`MockTransport::async_client`] give a client over it. The examples are
//! written as an app that depends on `connecty-ureq` (or `connecty-hyper`)
//! and this testkit sees them.
//!
//! ```
//! use connecty_testkit::MockTransport;
//! use connecty_ureq::{BlockingClient, BlockingTransport, WaitOptions};
//!
//! // The code under test: it counts the rows of an answer, over any
//! // blocking transport.
//! fn count_rows<T: BlockingTransport>(client: &BlockingClient<T>) -> usize {
//!     let answer = client
//!         .ask_and_wait(13, "how many orders per country?", &WaitOptions::new())
//!         .expect("answered");
//!     answer.results.dataframe.map_or(0, |df| df.len())
//! }
//!
//! let transport = MockTransport::completed(r#"[["country","n"],["PL",3],["CL",2]]"#);
//! assert_eq!(count_rows(&transport.blocking_client()), 2);
//! ```
//!
//! To script each request and check what was sent:
//!
//! ```
//! use std::time::Duration;
//! use connecty_testkit::{CannedResponse, MockTransport, RequestMatcher};
//! use connecty_ureq::{BlockingClient, BlockingTransport, WaitOptions};
//!
//! // The code under test: it counts the rows of an answer.
//! fn count_rows<T: BlockingTransport>(client: &BlockingClient<T>) -> usize {
//!     let answer = client
//!         .ask_and_wait(13, "how many orders per country?", &WaitOptions::new())
//!         .expect("answered");
//!     answer.results.dataframe.map_or(0, |df| df.len())
//! }
//!
//! let results = "/v1/dw/13/questions/729cb7a4-4b06-449e-a3c9-df40f5e570b8/results";
//! let transport = MockTransport::new()
//!     .expect(RequestMatcher::post("/v1/auth/token"))
//!     .respond(CannedResponse::json(200, r#"{"access_token":"tok-1","expires_at":"2099-01-01T00:00:00Z"}"#))
//!     .expect(RequestMatcher::post("/v1/dw/13/questions").bearer())
//!     .respond(CannedResponse::json(201, r#"{"question_id":"729cb7a4-4b06-449e-a3c9-df40f5e570b8"}"#))
//!     // The first poll takes 30 s to answer: virtual seconds, the test does not wait.
//!     .expect(RequestMatcher::get(results).bearer().query("include", "dataframe"))
//!     .respond(CannedResponse::json(200, r#"{"state":"IN_PROGRESS"}"#).delay(Duration::from_secs(30)))
//!     .expect(RequestMatcher::get(results).bearer())
//!     .respond_with(|request| {
//!         assert_eq!(request.query.as_deref(), Some("include=dataframe"));
//!         CannedResponse::json(200, r#"{"state":"COMPLETED","results":{"dataframe":[["country","n"],["PL",3],["CL",2]]}}"#)
//!     });
//!
//! assert_eq!(count_rows(&transport.blocking_client()), 2);
//! assert!(transport.elapsed() >= Duration::from_secs(30));
//! assert_eq!(transport.requests().len(), 4);
//! transport.finish().map_err(|m| format!("{m:?}"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_proto::net::format_http_date;
use connecty_proto::{AsyncTransport, BlockingTransport, TransportError, TransportErrorKind};

mod canned;

pub use canned::{MOCK_BASE_URL, MOCK_QUESTION_ID};

use crate::fixture::{
    CannedResponse, Entry, Exchange, Fixture, Mismatch, RecordedRequest, Reply, RequestMatcher,
    Responder, Script,
};

struct Inner {
    script: Mutex<Script>,
    start: Instant,
    wall_start: Mutex<DateTime<Utc>>,
    elapsed: Mutex<Duration>,
}

/// An in-memory transport with a virtual clock, answering from a script.
///
/// Cheap to clone: clones share the script, the recorded requests and the
/// clock, so a test keeps one handle and gives the other to a client.
#[derive(Clone)]
pub struct MockTransport {
    inner: Arc<Inner>,
}

impl Default for MockTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockTransport")
            .field("elapsed", &self.elapsed())
            .field("requests", &self.script().received().len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MockTransport {
    /// An empty script; add exchanges with [`expect`](Self::expect). The
    /// virtual wall clock starts at the real current time.
    pub fn new() -> Self {
        Self::from_script(Script::default())
    }

    /// A transport playing `exchanges` in order.
    pub fn from_exchanges(exchanges: impl IntoIterator<Item = Exchange>) -> Self {
        Self::from_script(Script::new(exchanges))
    }

    /// A transport playing a fixture's exchanges.
    pub fn for_fixture(fixture: &Fixture) -> Self {
        Self::from_exchanges(fixture.exchanges.iter().cloned())
    }

    fn from_script(script: Script) -> Self {
        Self {
            inner: Arc::new(Inner {
                script: Mutex::new(script),
                start: Instant::now(),
                wall_start: Mutex::new(Utc::now()),
                elapsed: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// Sets the virtual wall clock (used for `Retry-After` dates, token
    /// expiry and the `Date` header of answers) to `at` now.
    #[must_use]
    pub fn with_wall_clock(self, at: DateTime<Utc>) -> Self {
        let elapsed = self.elapsed();
        *lock(&self.inner.wall_start) =
            at - chrono::Duration::from_std(elapsed).unwrap_or_default();
        self
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        lock(&self.inner.script)
    }

    /// Starts an expectation: the next request (after those already
    /// expected) must match `request`. Finish it with
    /// [`Expectation::respond`] or [`Expectation::respond_with`].
    pub fn expect(self, request: RequestMatcher) -> Expectation {
        Expectation {
            transport: self,
            request,
            repeat: false,
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.script().received()
    }

    /// The unexpected requests so far.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        self.script().unexpected()
    }

    /// `Ok` when every request was expected and every expectation met;
    /// else the unexpected requests, then the unmet expectations.
    pub fn finish(&self) -> Result<(), Vec<Mismatch>> {
        self.script().finish()
    }

    /// Virtual time passed since the transport was made.
    pub fn elapsed(&self) -> Duration {
        *lock(&self.inner.elapsed)
    }

    /// Advances the virtual clock by `d`.
    pub fn advance(&self, d: Duration) {
        *lock(&self.inner.elapsed) += d;
    }

    fn advance_to(&self, deadline: Instant) {
        let target = deadline.saturating_duration_since(self.inner.start);
        let mut e = lock(&self.inner.elapsed);
        if target > *e {
            *e = target;
        }
    }

    fn virtual_now(&self) -> Instant {
        self.inner.start + self.elapsed()
    }

    fn virtual_wall(&self) -> DateTime<Utc> {
        *lock(&self.inner.wall_start)
            + chrono::Duration::from_std(self.elapsed()).unwrap_or_default()
    }

    fn exchange(
        &self,
        request: &http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let recorded = RecordedRequest::from_http(request);
        let reply = Script::play(&self.inner.script, recorded);
        let delay = match &reply {
            Reply::Respond { delay, .. } | Reply::Reset { delay } => *delay,
        };
        if delay > timeout {
            self.advance(timeout);
            return Err(TransportError::new(
                TransportErrorKind::Timeout,
                format!("no answer within {timeout:?} (the script waits {delay:?})"),
            ));
        }
        self.advance(delay);
        match reply {
            Reply::Reset { .. } => Err(TransportError::new(
                TransportErrorKind::Io,
                "connection closed before an answer (the script resets it)",
            )),
            Reply::Respond {
                status,
                headers,
                body,
                ..
            } => {
                let mut b = http::Response::builder().status(status);
                let mut has_date = false;
                for (k, v) in &headers {
                    has_date |= k.eq_ignore_ascii_case("date");
                    b = b.header(k.as_str(), v.as_str());
                }
                if !has_date {
                    b = b.header("date", format_http_date(self.virtual_wall()));
                }
                b.body(body).map_err(|e| {
                    TransportError::new(
                        TransportErrorKind::Other,
                        format!("the script's answer is not valid HTTP: {e}"),
                    )
                })
            }
        }
    }
}

/// An expectation being built: a matcher waiting for its response.
#[must_use = "an expectation does nothing until it is given a response"]
pub struct Expectation {
    transport: MockTransport,
    request: RequestMatcher,
    repeat: bool,
}

impl std::fmt::Debug for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expectation")
            .field("request", &self.request)
            .field("repeat", &self.repeat)
            .finish_non_exhaustive()
    }
}

impl Expectation {
    /// Answers every further request this matches (at least one), until a
    /// request does not; then the next expectation is tried.
    pub fn repeatedly(mut self) -> Self {
        self.repeat = true;
        self
    }

    /// Answers with `response`.
    pub fn respond(self, response: CannedResponse) -> MockTransport {
        self.push(Responder::Canned(response))
    }

    /// Answers with whatever `f` returns for the request.
    pub fn respond_with(
        self,
        f: impl Fn(&RecordedRequest) -> CannedResponse + Send + Sync + 'static,
    ) -> MockTransport {
        self.push(Responder::Fn(Arc::new(f)))
    }

    fn push(self, respond: Responder) -> MockTransport {
        self.transport.script().push(Entry {
            request: self.request,
            respond,
            repeat: self.repeat,
        });
        self.transport
    }
}

impl BlockingTransport for MockTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.exchange(&request, timeout)
    }

    fn sleep_until(&self, deadline: Instant) {
        self.advance_to(deadline);
    }

    fn now(&self) -> Instant {
        self.virtual_now()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.virtual_wall()
    }
}

#[async_trait::async_trait]
impl AsyncTransport for MockTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.exchange(&request, timeout)
    }

    async fn sleep_until(&self, deadline: Instant) {
        self.advance_to(deadline);
    }

    fn now(&self) -> Instant {
        self.virtual_now()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.virtual_wall()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> http::Request<Vec<u8>> {
        http::Request::get(format!("http://connecty.mock{path}"))
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn delays_resets_and_timeouts_use_the_virtual_clock() {
        let t = MockTransport::new()
            .expect(RequestMatcher::get("/a"))
            .respond(CannedResponse::json(200, "{}").delay(Duration::from_secs(3)))
            .expect(RequestMatcher::get("/b"))
            .respond(CannedResponse::new(200).delay(Duration::from_secs(90)))
            .expect(RequestMatcher::get("/c"))
            .respond(CannedResponse::reset().delay(Duration::from_secs(1)));
        let timeout = Duration::from_secs(60);
        let r = BlockingTransport::send(&t, get("/a"), timeout).unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        assert!(r.headers().contains_key("date"));
        assert_eq!(t.elapsed(), Duration::from_secs(3));
        let e = BlockingTransport::send(&t, get("/b"), timeout).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Timeout);
        assert_eq!(t.elapsed(), Duration::from_secs(63));
        let e = BlockingTransport::send(&t, get("/c"), timeout).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Io);
        assert_eq!(t.elapsed(), Duration::from_secs(64));
        let r = BlockingTransport::send(&t, get("/d"), timeout).unwrap();
        assert_eq!(r.status(), 599);
        assert_eq!(t.requests().len(), 4);
        assert_eq!(t.mismatches().len(), 1);
        assert!(t.finish().is_err());
    }

    #[test]
    fn both_traits_share_the_clock_and_the_script() {
        let t = MockTransport::new()
            .with_wall_clock("2025-11-05T10:00:00Z".parse().unwrap())
            .expect(RequestMatcher::any())
            .repeatedly()
            .respond(CannedResponse::new(204));
        let start = BlockingTransport::now(&t);
        BlockingTransport::sleep_until(&t, start + Duration::from_secs(600));
        assert_eq!(AsyncTransport::now(&t) - start, Duration::from_secs(600));
        assert_eq!(
            AsyncTransport::wall_clock(&t).to_rfc3339(),
            "2025-11-05T10:10:00+00:00"
        );
        // Sleeping into the past does not move the clock back.
        BlockingTransport::sleep_until(&t, start);
        assert_eq!(t.elapsed(), Duration::from_secs(600));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let r = runtime
            .block_on(AsyncTransport::send(&t, get("/x"), Duration::from_secs(1)))
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(r.headers()["date"], "Wed, 05 Nov 2025 10:10:00 GMT");
        BlockingTransport::send(&t, get("/y"), Duration::from_secs(1)).unwrap();
        assert_eq!(t.requests().len(), 2);
        t.finish().unwrap();
    }

    #[test]
    fn a_responder_may_look_at_the_transport() {
        let t = MockTransport::new();
        let seen = t.clone();
        let t = t
            .expect(RequestMatcher::get("/count"))
            .repeatedly()
            .respond_with(move |_| CannedResponse::text(200, seen.requests().len().to_string()));
        for n in 1..=3 {
            let r = BlockingTransport::send(&t, get("/count"), Duration::from_secs(1)).unwrap();
            assert_eq!(r.body(), n.to_string().as_bytes());
        }
        t.finish().unwrap();
    }
}
