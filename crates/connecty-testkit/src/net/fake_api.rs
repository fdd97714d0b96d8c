//! [`FakeApi`]: a small, scriptable look-alike of the ConnectyAI API for
//! transport tests.
//!
//! The [`Emulator`](connecty_emulator::Emulator) is the faithful one (real SQL, real
//! state); this one answers a fixed question with
//! [`values::DATAFRAME`](crate::values::DATAFRAME) and can misbehave on
//! purpose: rate-limit asks, stay in progress, expire tokens early, gzip or
//! chunk its bodies, redirect its results.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connecty_emulator::gzip;
use connecty_proto::net::format_http_date;
use http::Response;

use super::server::{Body, Reply, Request, Server};
use crate::values::{CLIENT_ID, CLIENT_SECRET, DATAFRAME, QUESTION_ID};

/// What the fake API does; counters of what it saw. Build one with struct
/// update syntax over `FakeApi::default()`, then
/// [`serve`](FakeApi::serve) it.
///
/// It answers `GET /v1/health`; `POST /v1/auth/token` for
/// [`CLIENT_ID`]/[`CLIENT_SECRET`] with `token-1`, `token-2`, ...; `POST
/// /v1/dw/{any}/questions` with [`QUESTION_ID`]; and `GET
/// /v1/dw/{any}/questions/{any}/results` with `IN_PROGRESS` and then
/// `COMPLETED` and [`DATAFRAME`]. The question endpoints need a live token
/// (401 otherwise); anything else is a 404.
#[derive(Debug)]
pub struct FakeApi {
    /// Token lifetime; tokens are refused with 401 once expired. Default
    /// one hour.
    pub token_lifetime: Duration,
    /// Results stay `IN_PROGRESS` until this long after the ask. Default 0.
    pub complete_after: Duration,
    /// Also answer `IN_PROGRESS` to this many polls. Default 1.
    pub in_progress_polls: u32,
    /// Answer this many asks with 429 first. Default 0.
    pub rate_limited_asks: AtomicU32,
    /// The `Retry-After` of those 429s. Default `1`.
    pub retry_after: &'static str,
    /// Gzip bodies when the client accepts it. Default false.
    pub gzip: bool,
    /// Send bodies in 7-byte chunks without `Content-Length`. Default
    /// false.
    pub chunked: bool,
    /// Answer results with a 307 to this URL. Default none.
    pub redirect_results_to: Option<String>,
    /// Token requests seen, refused ones included.
    pub token_requests: AtomicU32,
    /// Asks seen.
    pub asks: AtomicU32,
    /// Result polls seen.
    pub polls: AtomicU32,
    /// What the fake remembers between requests (tokens issued, when the
    /// question was asked). Public only so that struct update syntax works
    /// from other crates; leave it at its default.
    #[doc(hidden)]
    pub memory: Memory,
}

/// [`FakeApi`]'s memory between requests.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Memory {
    issued: Mutex<Vec<(String, Instant)>>,
    asked_at: Mutex<Option<Instant>>,
}

impl Default for FakeApi {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3600),
            complete_after: Duration::ZERO,
            in_progress_polls: 1,
            rate_limited_asks: AtomicU32::new(0),
            retry_after: "1",
            gzip: false,
            chunked: false,
            redirect_results_to: None,
            token_requests: AtomicU32::new(0),
            asks: AtomicU32::new(0),
            polls: AtomicU32::new(0),
            memory: Memory::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `COMPLETED` results body of the fake API.
pub fn completed_body() -> String {
    completed_body_with(DATAFRAME)
}

/// A `COMPLETED` results body whose only part is `dataframe` (its JSON
/// text): the fake API's, and the one-line mocks' of
/// [`MockTransport::completed`](crate::MockTransport::completed).
pub(crate) fn completed_body_with(dataframe: &str) -> String {
    format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{dataframe}}}}}"#)
}

/// A token response for `token` valid `lifetime`, with a `Date` header.
pub fn token_reply(token: &str, lifetime: Duration) -> Reply {
    let wall = chrono::Utc::now();
    let expires_at = wall + chrono::Duration::from_std(lifetime).unwrap_or_default();
    let body = serde_json::json!({
        "access_token": token,
        "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
    });
    Reply::json(200, body.to_string()).header("date", &format_http_date(wall))
}

impl FakeApi {
    /// Serves it over plain HTTP on 127.0.0.1.
    pub fn serve(self: &Arc<Self>) -> std::io::Result<Server> {
        let api = Arc::clone(self);
        Server::start(move |r: &Request| api.answer(r))
    }

    /// Serves it over TLS with `config`. Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn serve_tls(
        self: &Arc<Self>,
        config: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Server> {
        let api = Arc::clone(self);
        Server::start_tls(config, move |r: &Request| api.answer(r))
    }

    fn token(&self, body: &[u8]) -> Reply {
        self.token_requests.fetch_add(1, Ordering::SeqCst);
        let creds: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if creds["client_id"] != CLIENT_ID || creds["client_secret"] != CLIENT_SECRET {
            return Reply::json(401, r#"{"error":"invalid client credentials"}"#);
        }
        let mut issued = lock(&self.memory.issued);
        let token = format!("token-{}", issued.len() + 1);
        issued.push((token.clone(), Instant::now() + self.token_lifetime));
        token_reply(&token, self.token_lifetime)
    }

    fn authorized(&self, auth: Option<&str>) -> bool {
        let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) else {
            return false;
        };
        let now = Instant::now();
        lock(&self.memory.issued)
            .iter()
            .any(|(t, expires)| t == token && now < *expires)
    }

    fn ask(&self) -> Reply {
        self.asks.fetch_add(1, Ordering::SeqCst);
        let limited = self
            .rate_limited_asks
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if limited {
            return Reply::json(429, r#"{"error":"slow down"}"#)
                .header("retry-after", self.retry_after);
        }
        *lock(&self.memory.asked_at) = Some(Instant::now());
        Reply::json(200, format!(r#"{{"question_id":"{QUESTION_ID}"}}"#))
    }

    fn results(&self) -> Reply {
        if let Some(to) = &self.redirect_results_to {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = http::StatusCode::TEMPORARY_REDIRECT;
            return Reply::new(r).header("location", to);
        }
        let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        let asked = lock(&self.memory.asked_at).unwrap_or_else(Instant::now);
        if n <= self.in_progress_polls || asked.elapsed() < self.complete_after {
            return Reply::json(200, r#"{"state":"IN_PROGRESS"}"#);
        }
        Reply::json(200, completed_body())
    }

    /// Answers one request like the API.
    pub fn answer(&self, request: &Request) -> Reply {
        let segments: Vec<&str> = request.path().trim_matches('/').split('/').collect();
        let method = request.method.as_str();
        let reply = match (method, segments.as_slice()) {
            ("GET", ["v1", "health"]) => Reply::json(200, r#"{"status":"ok"}"#),
            ("POST", ["v1", "auth", "token"]) => self.token(&request.body),
            (_, ["v1", "dw", _, "questions", ..])
                if !self.authorized(request.header("authorization")) =>
            {
                Reply::json(401, r#"{"error":"token expired or invalid"}"#)
            }
            ("POST", ["v1", "dw", _, "questions"]) => self.ask(),
            ("GET", ["v1", "dw", _, "questions", _, "results"]) => self.results(),
            _ => Reply::json(404, r#"{"error":"no such endpoint"}"#),
        };
        let gzip_ok = request
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"));
        self.encode(reply, gzip_ok)
    }

    fn encode(&self, mut reply: Reply, gzip_ok: bool) -> Reply {
        if !self.gzip && !self.chunked {
            return reply;
        }
        let Some(response) = reply.response_mut() else {
            return reply;
        };
        let Body::Chunks(chunks) = std::mem::replace(response.body_mut(), Body::empty()) else {
            return reply;
        };
        let mut data: Vec<u8> = chunks.into_iter().flatten().collect();
        if self.gzip && gzip_ok {
            data = gzip(&data);
            response.headers_mut().insert(
                http::header::CONTENT_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
        }
        *response.body_mut() = if self.chunked {
            Body::chunked(&data, 7)
        } else {
            Body::full(data)
        };
        reply
    }
}
