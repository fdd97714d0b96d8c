//! A virtual-clock harness that drives one [`Operation`] to its end in
//! microseconds, whatever its virtual length.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_proto::request::Endpoint;
use connecty_proto::*;

/// One request the operation sent, with when.
#[derive(Debug)]
pub struct Sent {
    pub at: Duration,
    pub endpoint: Endpoint,
    pub attempt: u32,
    pub timeout: Duration,
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

/// What the scripted server does with a request.
pub enum Reply {
    /// Answer after `latency`.
    Http {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
        latency: Duration,
    },
    /// Fail after `latency`.
    Fail(TransportErrorKind, Duration),
}

pub fn ok(body: &str) -> Reply {
    Reply::Http {
        status: 200,
        headers: vec![],
        body: body.to_string(),
        latency: Duration::from_millis(10),
    }
}

pub fn status(status: u16, body: &str) -> Reply {
    Reply::Http {
        status,
        headers: vec![],
        body: body.to_string(),
        latency: Duration::from_millis(10),
    }
}

pub fn with_header(mut r: Reply, name: &'static str, value: &str) -> Reply {
    if let Reply::Http { headers, .. } = &mut r {
        headers.push((name, value.to_string()));
    }
    r
}

pub const QID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

pub fn asked() -> Reply {
    ok(&format!(r#"{{"question_id":"{QID}"}}"#))
}

pub fn state(s: &str) -> Reply {
    ok(&format!(r#"{{"state":"{s}"}}"#))
}

pub fn completed() -> Reply {
    ok(
        r#"{"state":"COMPLETED","results":{"dataframe":[["country","orders"],["Poland",12],["Chile",7]]}}"#,
    )
}

pub fn config() -> Arc<ClientConfig> {
    Arc::new(ClientConfig::new(
        BaseUrl::parse("https://api.eu1.connecty-ai.com").unwrap(),
        Credentials::new("client-id", "client-secret-value").unwrap(),
    ))
}

pub struct Sim {
    pub start: Instant,
    pub now: Instant,
    pub wall0: DateTime<Utc>,
    /// Lifetime of the tokens the harness hands out.
    pub token_lifetime: Duration,
    pub tokens_issued: u32,
    pub rejected: Vec<String>,
    pub sent: Vec<Sent>,
    pub events: Vec<(Duration, Event)>,
    pub current_token: Option<AccessToken>,
}

impl Sim {
    pub fn new() -> Self {
        let start = Instant::now();
        Self {
            start,
            now: start,
            wall0: DateTime::parse_from_rfc3339("2025-11-05T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            token_lifetime: Duration::from_secs(3600),
            tokens_issued: 0,
            rejected: vec![],
            sent: vec![],
            events: vec![],
            current_token: None,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    pub fn wall(&self) -> DateTime<Utc> {
        self.wall0 + chrono::Duration::from_std(self.elapsed()).unwrap()
    }

    fn issue_token(&mut self) -> AccessToken {
        self.tokens_issued += 1;
        let lifetime = self.token_lifetime;
        let expires_at =
            (self.wall() + chrono::Duration::from_std(lifetime).unwrap()).fixed_offset();
        AccessToken::new(
            format!("token-{}", self.tokens_issued),
            expires_at,
            self.now,
            lifetime,
        )
    }

    /// Drives `op` until it ends; `reply` answers each request.
    pub fn run<C: Call>(
        &mut self,
        mut op: Operation<C>,
        mut reply: impl FnMut(&Sent, &Sim) -> Reply,
    ) -> Result<C::Outcome, Error> {
        for _ in 0..100_000 {
            match op.poll_output(self.now) {
                Output::Transmit(t) => {
                    assert!(
                        t.timeout
                            <= op.deadline().saturating_duration_since(self.now)
                                + Duration::from_nanos(1)
                    );
                    let auth = t
                        .request
                        .headers()
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_string());
                    if let Some(a) = &auth {
                        // Never a token at or past its refresh point unless
                        // it was just handed over; never past expiry.
                        let tok = self.current_token.as_ref().expect("a token was handed out");
                        assert_eq!(a, &format!("Bearer {}", tok.expose()));
                        assert!(self.now < tok.expires(), "token sent past its expiry");
                    }
                    let sent = Sent {
                        at: self.elapsed(),
                        endpoint: t.endpoint,
                        attempt: t.attempt,
                        timeout: t.timeout,
                        method: t.request.method().to_string(),
                        path_and_query: t.request.uri().path_and_query().unwrap().to_string(),
                        authorization: auth,
                        body: t.request.body().clone(),
                    };
                    let r = reply(&sent, self);
                    self.sent.push(sent);
                    match r {
                        Reply::Http {
                            status,
                            headers,
                            body,
                            latency,
                        } => {
                            if latency >= t.timeout {
                                self.now += t.timeout;
                                op.handle_transport_error(
                                    t.id,
                                    TransportError::new(TransportErrorKind::Timeout, "timed out"),
                                    self.now,
                                );
                                continue;
                            }
                            self.now += latency;
                            let mut b = http::Response::builder().status(status);
                            for (k, v) in headers {
                                b = b.header(k, v);
                            }
                            let resp = b.body(body.into_bytes()).unwrap();
                            let wall = self.wall();
                            op.handle_response(t.id, resp, self.now, wall);
                        }
                        Reply::Fail(kind, latency) => {
                            self.now += latency.min(t.timeout);
                            op.handle_transport_error(
                                t.id,
                                TransportError::new(kind, "scripted failure"),
                                self.now,
                            );
                        }
                    }
                }
                Output::NeedToken { reject } => {
                    if let Some(r) = reject {
                        self.rejected.push(r.expose().to_string());
                    }
                    let tok = match &self.current_token {
                        Some(t)
                            if t.is_usable(self.now)
                                && !self.rejected.iter().any(|r| r == t.expose()) =>
                        {
                            t.clone()
                        }
                        _ => self.issue_token(),
                    };
                    self.current_token = Some(tok.clone());
                    op.handle_token(tok, self.now);
                }
                Output::Event(e) => self.events.push((self.elapsed(), e)),
                Output::Timeout(at) => {
                    assert!(at > self.now, "timeout must be in the future");
                    self.now = at;
                }
                Output::Done(r) => {
                    // Done comes once; polling again is a caller bug,
                    // answered with an error.
                    assert!(matches!(
                        op.poll_output(self.now),
                        Output::Done(Err(Error::InvalidInput(InvalidInput {
                            field: POLLED_AFTER_DONE,
                            ..
                        })))
                    ));
                    return r;
                }
            }
        }
        panic!("operation did not end within 100000 steps");
    }

    pub fn polls(&self) -> Vec<Duration> {
        self.sent
            .iter()
            .filter(|s| s.endpoint == Endpoint::Results)
            .map(|s| s.at)
            .collect()
    }
}
