//! [`ScriptedServer`]: a loopback HTTP server that plays a script.
//!
//! It binds `127.0.0.1` on a free port and runs hyper (HTTP/1.1 and
//! HTTP/2) on a tokio runtime of its own, on a background thread, so both
//! blocking and async tests can use it. It answers the expected exchanges
//! in order, records every request, and answers a request it did not
//! expect with status 599 and a JSON explanation, keeping the mismatch for
//! [`ScriptedServer::finish`].
//!
//! ```
//! use connecty_testkit::{CannedResponse, Exchange, RequestMatcher, ScriptedServer};
//!
//! let server = ScriptedServer::start([Exchange::new(
//!     RequestMatcher::get("/v1/health").header("authorization", "<absent>"),
//!     CannedResponse::text(200, "OK"),
//! )])?;
//! // Any HTTP client works; here, a raw HTTP/1.1 request.
//! use std::io::{Read, Write};
//! let mut s = std::net::TcpStream::connect(server.addr())?;
//! s.write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! s.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//! assert_eq!(server.received()[0].path, "/v1/health");
//! server.finish().map_err(|m| format!("{m:?}"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use crate::fixture::{Exchange, Fixture, Mismatch, RecordedRequest, Reply, Script};
use crate::net::{self, Body, Server};

/// A loopback server playing a script of exchanges.
///
/// It runs on the testkit's [`net::Server`]. Dropping it stops it;
/// [`finish`](Self::finish) stops it and reports.
pub struct ScriptedServer {
    server: Server,
    script: Arc<Mutex<Script>>,
}

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("addr", &self.server.addr())
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Script>) -> MutexGuard<'_, Script> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ScriptedServer {
    /// Starts a server on `127.0.0.1` (a free port) playing `exchanges`.
    pub fn start(exchanges: impl IntoIterator<Item = Exchange>) -> std::io::Result<Self> {
        Self::start_with(exchanges, None)
    }

    /// [`start`](Self::start) over TLS with `config` (for instance
    /// [`TestCa::loopback`](crate::net::TestCa::loopback)). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn start_tls(
        exchanges: impl IntoIterator<Item = Exchange>,
        config: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Self> {
        Self::start_with(exchanges, Some(config))
    }

    fn start_with(
        exchanges: impl IntoIterator<Item = Exchange>,
        #[cfg(feature = "tls")] tls: Option<Arc<rustls::ServerConfig>>,
        #[cfg(not(feature = "tls"))] tls: Option<net::Never>,
    ) -> std::io::Result<Self> {
        let script = Arc::new(Mutex::new(Script::new(exchanges)));
        let played = Arc::clone(&script);
        let handler: net::Handler = Arc::new(move |request: &net::Request| {
            let recorded = RecordedRequest::from_parts(
                &request.method,
                &request.uri,
                &request.headers,
                request.body.clone(),
            );
            answer(Script::play(&played, recorded))
        });
        let server = Server::start_shared(tls, handler)?;
        Ok(Self { server, script })
    }

    /// Starts a server playing a fixture's exchanges, over TLS with a
    /// certificate of `TestCa::shared()` when the fixture says `config.tls`
    /// (feature `tls`; without it such a fixture cannot start).
    pub fn for_fixture(fixture: &Fixture) -> std::io::Result<Self> {
        let exchanges = fixture.exchanges.iter().cloned();
        if !fixture.uses_tls() {
            return Self::start(exchanges);
        }
        #[cfg(feature = "tls")]
        return Self::start_tls(exchanges, crate::net::TestCa::shared().loopback());
        #[cfg(not(feature = "tls"))]
        Err(std::io::Error::other(
            "the fixture's server speaks TLS: enable connecty-testkit's tls feature",
        ))
    }

    /// `http://127.0.0.1:<port>` (`https://` over TLS), the base URL to
    /// give a client.
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Every request received so far, in arrival order.
    pub fn received(&self) -> Vec<RecordedRequest> {
        lock(&self.script).received()
    }

    /// The unexpected requests so far.
    pub fn mismatches(&self) -> Vec<Mismatch> {
        lock(&self.script).unexpected()
    }

    /// Stops the server. `Ok` when every request was expected and every
    /// exchange used; else the unexpected requests, then the unmet
    /// exchanges.
    pub fn finish(self) -> Result<(), Vec<Mismatch>> {
        let Self { server, script } = self;
        drop(server);
        lock(&script).finish()
    }
}

fn answer(reply: Reply) -> net::Reply {
    match reply {
        Reply::Reset { delay } => net::Reply::reset().delay(delay),
        Reply::Respond {
            status,
            headers,
            body,
            delay,
        } => net::Reply::new(build_response(status, &headers, body)).delay(delay),
    }
}

fn build_response(
    status: u16,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> http::Response<Body> {
    let mut b = http::Response::builder().status(status);
    let mut has_date = false;
    for (k, v) in headers {
        has_date |= k.eq_ignore_ascii_case("date");
        b = b.header(k.as_str(), v.as_str());
    }
    if !has_date {
        b = b.header(
            "date",
            connecty_proto::net::format_http_date(chrono::Utc::now()),
        );
    }
    b.body(Body::full(Bytes::from(body))).unwrap_or_else(|e| {
        // Headers are validated when a fixture loads; a user-built
        // response may still be invalid: answer that, not a panic.
        let mut r = http::Response::new(Body::full(format!(
            "{{\"error\":\"connecty-testkit: the scripted answer is not valid HTTP: {e}\"}}"
        )));
        *r.status_mut() = http::StatusCode::from_u16(crate::fixture::MISMATCH_STATUS)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        r
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpStream;
    use std::time::Duration;

    use super::*;
    use crate::fixture::{CannedResponse, MismatchKind, RequestMatcher};

    fn send(server: &ScriptedServer, raw: &str) -> String {
        crate::net::raw_exchange(server.addr(), raw)
    }

    #[test]
    fn answers_in_order_records_and_explains_mismatches() {
        let server = ScriptedServer::start([
            Exchange::new(
                RequestMatcher::post("/v1/auth/token")
                    .json_body(serde_json::json!({"client_id": "a", "client_secret": "b"})),
                CannedResponse::json(200, r#"{"access_token":"tok-1","expires_in":60}"#),
            ),
            Exchange::new(
                RequestMatcher::get("/v1/health"),
                CannedResponse::text(204, "").header("x-note", "kept"),
            ),
            Exchange::new(RequestMatcher::get("/never"), CannedResponse::new(200)),
        ])
        .unwrap();
        let body = r#"{"client_id":"a","client_secret":"b"}"#;
        let a = send(
            &server,
            &format!(
                "POST /v1/auth/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(a.starts_with("HTTP/1.1 200 OK"), "{a}");
        assert!(
            a.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{a}"
        );
        assert!(a.to_ascii_lowercase().contains("\r\ndate: "), "{a}");
        let b = send(
            &server,
            "GET /v1/health?x=1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        );
        assert!(b.starts_with("HTTP/1.1 204"), "{b}");
        assert!(b.contains("x-note: kept"), "{b}");
        let c = send(
            &server,
            "DELETE /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        );
        assert!(c.starts_with("HTTP/1.1 599"), "{c}");
        assert!(
            c.contains("unexpected request #3: DELETE /v1/health does not match exchange #3"),
            "{c}"
        );
        let received = server.received();
        assert_eq!(received.len(), 3);
        assert_eq!(received[0].json().unwrap()["client_id"], "a");
        assert_eq!(received[1].query.as_deref(), Some("x=1"));
        assert_eq!(server.mismatches().len(), 1);
        let problems = server.finish().unwrap_err();
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].kind, MismatchKind::Unexpected);
        assert_eq!(problems[1].kind, MismatchKind::Unmet);
        assert_eq!(problems[1].exchange, Some(2));
    }

    #[test]
    fn reset_closes_the_connection_without_an_answer() {
        let server = ScriptedServer::start([Exchange::new(
            RequestMatcher::post("/v1/dw/13/questions"),
            CannedResponse::reset().delay(Duration::from_millis(5)),
        )])
        .unwrap();
        let out = send(
            &server,
            "POST /v1/dw/13/questions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}",
        );
        assert_eq!(out, "", "no bytes of an answer");
        assert_eq!(server.received().len(), 1);
        server.finish().unwrap();
    }

    #[test]
    fn a_delayed_answer_does_not_hold_up_finish() {
        let server = ScriptedServer::start([Exchange::new(
            RequestMatcher::get("/slow"),
            CannedResponse::new(200).delay(Duration::from_secs(600)),
        )])
        .unwrap();
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        while server.received().is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        server.finish().unwrap();
    }
}
