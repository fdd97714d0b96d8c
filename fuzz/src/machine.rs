//! The state machine under arbitrary answers and time steps.
//!
//! [`run_operation`] drives one [`Operation`] on a virtual clock, the way
//! `crates/connecty-proto/tests/harness/mod.rs` does, with the driver's
//! token cache played by the harness; [`run_client`] drives the real
//! [`BlockingClient`] (its token cache and token exchanges included) over a
//! scripted transport with a virtual clock. Both check, on every step:
//!
//! - the operation ends, within its deadline when the transport enforces
//!   its timeouts, and within the deadline plus one request timeout when
//!   the transport overruns them;
//! - no request leaves after [`Output::Done`], and nothing fed after it
//!   brings the operation back;
//! - the number of requests is bounded (by the answers scripted plus one
//!   round of retries, and by the deadline over the poll interval);
//! - no token is sent at or past its [`AccessToken::expires`], and only the
//!   token handed to the operation is sent, in a sensitive header;
//! - a question is never asked again after an answer that may have reached
//!   the server (timeout, broken connection, 502/504);
//! - no request goes to another origin;
//! - neither the client secret nor a token appears in any event, error or
//!   outcome (unless the scripted server itself echoed it);
//! - a `Completed` outcome comes only from a `COMPLETED` answer, and a
//!   stale answer (for an earlier request id) changes nothing.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_proto::request::Endpoint;
use connecty_proto::{
    AccessToken, Ask, AskAndWait, BaseUrl, BlockingClient, BlockingTransport, Call, ClientConfig,
    Credentials, Error, Event, Health, InvalidInput, Operation, Output, POLLED_AFTER_DONE,
    PollSchedule, QuestionId, RequestId, Results, ResultsOptions, RetryPolicy, State, Token,
    TransportError, TransportErrorKind, Wait, WaitOptions,
};

use super::scenario::{
    CACHED_TOKEN, CallKind, PREFIX, RETRY_AFTERS, Reply, SLOW_TOKENS, STATUSES, STRICT_TRANSPORT,
    Scenario, Step, TOKEN_ERROR,
};

/// The client secret every scenario uses; it must never be shown.
pub const CLIENT_SECRET: &str = "fuzz-client-secret-7f3a9c";
/// The prefix of every token value; tokens must never be shown.
pub const TOKEN_PREFIX: &str = "fuzz-token-";
/// The question id the scripted server hands out.
pub const QID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";
/// The origin a redirect points to.
pub const EVIL: &str = "https://evil.example";
/// How long a slow token exchange takes.
pub const TOKEN_EXCHANGE: Duration = Duration::from_millis(200);
/// The most driver steps before the run counts as endless.
pub const MAX_STEPS: usize = 200_000;

/// The example response of the API reference (results with statistics).
pub const API_EXAMPLE: &str = r#"{"state":"COMPLETED","results":{"sql_query":"WITH ranked_logins AS (\n SELECT l.user_id, l.login_at AS login_timestamp FROM usr.logins l\n)\nSELECT login_timestamp, user_email FROM ranked_logins WHERE login_rank <= 100;\n","dataframe":[["login_timestamp","user_email"],["2025-11-04T13:05:01.146+01:00","damian@connectyai.com"],["2025-11-04T11:48:15.46+01:00","damian@connectyai.com"],["2025-11-04T10:49:22.91+01:00","damian@connectyai.com"]],"dataframe_stats":{"login_timestamp":{"general":{"count":100,"nulls_count":0},"temporal":{"distinct_count":100,"distinct_approx":false,"min":"2025-10-24T11:03:05.196568+02:00","max":"2025-11-04T13:05:01.146482+01:00"}},"user_email":{"general":{"count":100,"nulls_count":0},"string":{"distinct_count":2,"distinct_approx":false,"empty_string_count":0,"min_len":21,"mean_len":22.44,"max_len":45}}}}}"#;

/// 200 bodies of the results endpoint (and a few broken ones).
pub fn canned_body(i: u8) -> Vec<u8> {
    let bodies: [&[u8]; 16] = [
        br#"{"state":"PENDING"}"#,
        br#"{"state":"IN_PROGRESS"}"#,
        br#"{"state":"COMPLETED","results":{"dataframe":[["country","orders"],["Poland",12],["Chile",7]]}}"#,
        br#"{"state":"FAILED"}"#,
        br#"{"state":"FAILED","error":"the warehouse is unreachable"}"#,
        br#"{"state":"SOMETHING_NEW"}"#,
        API_EXAMPLE.as_bytes(),
        b"<html><body>502 Bad Gateway</body></html>",
        b"",
        br#"{"state":"COMPLETED"}"#,
        br#"{"state":"COMPLETED","results":null}"#,
        br#"{"state":"COMPLETED","results":{"dataframe":[]}}"#,
        br#"{"state":"IN_PROGRESS"} trailing"#,
        br#"{"state":"COMPLETED","results":{"dataframe":[["a"],[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}"#,
        br#"{"state":5}"#,
        b"{\"state\":\"IN_\xff_PROGRESS\"}",
    ];
    bodies[i as usize % bodies.len()].to_vec()
}

/// Transport failure kinds for [`Reply::Fail`].
pub const FAILURES: [TransportErrorKind; 7] = [
    TransportErrorKind::Connect,
    TransportErrorKind::Timeout,
    TransportErrorKind::Io,
    TransportErrorKind::Tls,
    TransportErrorKind::BodyTooLarge,
    TransportErrorKind::Redirect,
    TransportErrorKind::Other,
];

/// Redirect statuses.
pub const REDIRECTS: [u16; 5] = [301, 302, 303, 307, 308];

/// Bodies answering a question.
pub fn asked_body(i: u8) -> Vec<u8> {
    let bodies = [
        format!(r#"{{"question_id":"{QID}"}}"#),
        r#"{"question_id":"not-a-uuid"}"#.to_string(),
        r#"{"question_id":null}"#.to_string(),
        format!(r#"{{"question_id":"{}"}}"#, QID.replace('-', "")),
        format!(r#"{{"question_id":"urn:uuid:{QID}"}}"#),
        format!(r#"{{"question_id":"{QID}"}} and more"#),
        "{}".to_string(),
        format!(r#"{{"question_id":"{QID}","question_id":"{QID}"}}"#),
    ];
    bodies[i as usize % bodies.len()].clone().into_bytes()
}

/// A token answer: body and extra headers. `value` is the token; `wall`
/// the server's clock.
pub fn token_reply(
    i: u8,
    value: &str,
    wall: DateTime<Utc>,
) -> (String, Vec<(&'static str, String)>) {
    let at = |secs: i64| (wall + chrono::Duration::seconds(secs)).to_rfc3339();
    let date = |secs: i64| {
        (wall + chrono::Duration::seconds(secs))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    };
    let none = Vec::new();
    match i % 14 {
        0 => (
            format!(
                r#"{{"access_token":"{value}","expires_at":"{}"}}"#,
                at(3600)
            ),
            none,
        ),
        1 => (
            format!(r#"{{"access_token":"{value}","expires_in":3600}}"#),
            none,
        ),
        2 => (
            format!(r#"{{"access_token":"{value}","expires_at":"{}"}}"#, at(300)),
            none,
        ),
        3 => (
            format!(r#"{{"access_token":"{value}","expires_at":"{}"}}"#, at(-60)),
            none,
        ),
        4 => (
            format!(r#"{{"access_token":"{value}","expires_at":"{}"}}"#, at(1)),
            none,
        ),
        5 => (
            format!(r#"{{"access_token":"{value}","expires_in":0.5}}"#),
            none,
        ),
        6 => (
            format!(r#"{{"access_token":"{value}","expires_at":"9999-12-31T23:59:59Z"}}"#),
            none,
        ),
        7 => (
            format!(
                r#"{{"access_token":"{value}","expires_at":"{}"}}"#,
                at(3600)
            ),
            vec![("date", date(3000))],
        ),
        8 => (
            format!(
                r#"{{"access_token":"{value}","expires_at":"{}"}}"#,
                at(3600)
            ),
            vec![("date", date(-7200))],
        ),
        9 => (
            r#"{"access_token":"","expires_at":"2099-01-01T00:00:00Z"}"#.to_string(),
            none,
        ),
        10 => (format!(r#"{{"access_token":"{value}"}}"#), none),
        11 => (
            format!(r#"{{"access_token":"{value}","expires_in":1e300}}"#),
            none,
        ),
        12 => (
            format!(r#"{{"access_token":"{value}","expires_in":-5}}"#),
            none,
        ),
        _ => (
            format!(
                r#"{{"access_token":"{value}\n","expires_at":"{}"}}"#,
                at(3600)
            ),
            none,
        ),
    }
}

/// The answer a step gives to a request for `endpoint`, at wall time
/// `wall`; tokens in token bodies are named `token`.
pub fn build_response(
    reply: &Reply,
    token: &str,
    wall: DateTime<Utc>,
) -> Result<http::Response<Vec<u8>>, TransportErrorKind> {
    let mut b = http::Response::builder();
    let body = match reply {
        Reply::Canned(i) => canned_body(*i),
        Reply::Custom(body) => body.clone(),
        Reply::Status(i) => {
            b = b.status(STATUSES[*i as usize % STATUSES.len()]);
            Vec::new()
        }
        Reply::StatusWithMessage(i) => {
            b = b
                .status(STATUSES[*i as usize % STATUSES.len()])
                .header("content-type", "application/json");
            br#"{"error":{"message":"the server refused","code":"E42"}}"#.to_vec()
        }
        Reply::TooMany(i) => {
            b = b.status(429).header(
                "retry-after",
                RETRY_AFTERS[*i as usize % RETRY_AFTERS.len()],
            );
            br#"{"detail":"slow down"}"#.to_vec()
        }
        Reply::Unavailable(i) => {
            b = b.status(503).header(
                "retry-after",
                RETRY_AFTERS[*i as usize % RETRY_AFTERS.len()],
            );
            b"maintenance".to_vec()
        }
        Reply::Fail(i) => return Err(FAILURES[*i as usize % FAILURES.len()]),
        Reply::Unauthorized => {
            b = b.status(401);
            br#"{"error":"token expired"}"#.to_vec()
        }
        Reply::Asked(i) => asked_body(*i),
        Reply::TokenBody(i) => {
            let (body, headers) = token_reply(*i, token, wall);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            body.into_bytes()
        }
        Reply::Redirect(i) => {
            b = b
                .status(REDIRECTS[*i as usize % REDIRECTS.len()])
                .header("location", format!("{EVIL}/v1/steal"));
            Vec::new()
        }
    };
    // Every header above is valid, so the builder cannot fail.
    Ok(b.body(body).unwrap_or_default())
}

/// What one run did, for the soak's statistics.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Requests transmitted.
    pub requests: usize,
    /// Virtual time the operation took.
    pub elapsed: Duration,
    /// `ok`, or the error's variant.
    pub outcome: &'static str,
}

/// Whether `o` is the answer to polling an operation that has ended.
fn polled_after_done<O>(o: Output<O>) -> bool {
    matches!(
        o,
        Output::Done(Err(Error::InvalidInput(InvalidInput {
            field: POLLED_AFTER_DONE,
            ..
        })))
    )
}

fn outcome_name<O>(r: &Result<O, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::Authentication { .. }) => "authentication",
        Err(Error::Forbidden { .. }) => "forbidden",
        Err(Error::NotFound { .. }) => "not_found",
        Err(Error::RateLimited { .. }) => "rate_limited",
        Err(Error::Server { .. }) => "server",
        Err(Error::Api { .. }) => "api",
        Err(Error::Decode(_)) => "decode",
        Err(Error::QuestionFailed { .. }) => "question_failed",
        Err(Error::Timeout { .. }) => "timeout",
        Err(Error::Transport(_)) => "transport",
        Err(Error::InvalidInput(_)) => "invalid_input",
        Err(_) => "other",
    }
}

/// The configuration a scenario describes.
pub fn config(s: &Scenario) -> ClientConfig {
    let url = if s.has(PREFIX) {
        "http://127.0.0.1:8080/gateway/connecty/"
    } else {
        "https://api.eu1.connecty-ai.com"
    };
    let base = BaseUrl::parse(url).unwrap_or_else(|e| panic!("base url: {e}"));
    let creds = Credentials::new("fuzz-client-id", CLIENT_SECRET)
        .unwrap_or_else(|e| panic!("credentials: {e}"));
    let mut c = ClientConfig::new(base, creds);
    let (base_ms, cap_ms) = s.backoff_ms();
    c.retry = RetryPolicy {
        max_attempts: u32::from(s.max_attempts.clamp(1, 5)),
        base: Duration::from_millis(base_ms),
        cap: Duration::from_millis(cap_ms),
    };
    let (first, factor, cap, fraction) = s.poll_schedule();
    c.poll = PollSchedule {
        first: Duration::from_millis(first),
        factor,
        cap: Duration::from_millis(cap),
        max_fraction: fraction,
    };
    c.request_timeout = Duration::from_millis(s.request_timeout_ms());
    c
}

/// The caller's timeout.
pub fn caller_deadline(s: &Scenario) -> Option<Duration> {
    s.deadline_ms().map(|ms| {
        if ms == u64::MAX {
            Duration::MAX
        } else {
            Duration::from_millis(ms)
        }
    })
}

/// Whether `secret` is in `body`: a server that echoes a secret in an
/// answer has it shown in errors, which is the server's doing.
fn contains(body: &[u8], secret: &str) -> bool {
    body.windows(secret.len().max(1))
        .any(|w| w == secret.as_bytes())
}

/// Whether a string is distinctive enough to be searched for in output:
/// 12 bytes or more, a digit and a letter, no whitespace. (A token named
/// `expires_at` would be "found" in every message naming that field.)
pub fn looks_secret(s: &str) -> bool {
    s.len() >= 12
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && !s.chars().any(char::is_whitespace)
}

/// The secrets that must not be shown: those of `candidates` that look
/// like secrets and that no answer in `served` carried.
fn secrets(candidates: impl IntoIterator<Item = String>, served: &[Vec<u8>]) -> Vec<String> {
    candidates
        .into_iter()
        .filter(|c| looks_secret(c) && !served.iter().any(|b| contains(b, c)))
        .collect()
}

/// Every body a scenario can serve (custom ones verbatim).
fn custom_bodies(s: &Scenario) -> Vec<Vec<u8>> {
    s.steps
        .iter()
        .filter_map(|st| match &st.reply {
            Reply::Custom(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// Panics if `shown` carries one of `secrets`.
pub fn assert_no_secret(what: &str, shown: &str, secrets: &[String]) {
    for t in secrets {
        assert!(
            !shown.contains(t.as_str()),
            "secret {t:?} appears in {what}: {shown}"
        );
    }
}

fn min_poll_gap(s: &Scenario) -> Duration {
    let (first, _, cap, _) = s.poll_schedule();
    Duration::from_millis(first.min(cap).max(1))
}

fn ambiguous_for_ask(reply: &Reply, strict_timeout: bool) -> bool {
    if strict_timeout {
        return true;
    }
    match reply {
        Reply::Fail(i) => matches!(
            FAILURES[*i as usize % FAILURES.len()],
            TransportErrorKind::Timeout | TransportErrorKind::Io | TransportErrorKind::Other
        ),
        Reply::Status(i) | Reply::StatusWithMessage(i) => {
            matches!(STATUSES[*i as usize % STATUSES.len()], 500..=502 | 504..=599)
        }
        _ => false,
    }
}

/// Whether a body is a `COMPLETED` answer the parser accepts.
fn is_completed(status: u16, body: &[u8]) -> bool {
    (200..300).contains(&status)
        && connecty_proto::parse_results_body(body.to_vec())
            .map(|r| r.state == State::Completed)
            .unwrap_or(false)
}

fn wall0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-05T10:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn qid() -> QuestionId {
    QID.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// Drives one [`Operation`] through scenario `s` and checks the
/// invariants of the module doc; panics on a violation.
pub fn run_operation(s: &Scenario) -> Report {
    let cfg = Arc::new(config(s));
    let deadline = caller_deadline(s);
    let question = "list the top 5 countries with the most orders";
    let opts = ResultsOptions::default();
    match s.call_kind() {
        CallKind::AskAndWait => drive(s, cfg, AskAndWait::new(13, question, opts), deadline, true),
        CallKind::Wait => drive(s, cfg, Wait::new(13, qid(), opts), deadline, true),
        CallKind::Ask => drive(s, cfg, Ask::new(13, question), None, false),
        CallKind::Results => drive(s, cfg, Results::new(13, qid(), opts), None, false),
        CallKind::Health => drive(s, cfg, Health, None, false),
        CallKind::Token => drive(s, cfg, Token, None, false),
    }
}

/// Drives `call` with the caller's `deadline`; `waits` says that success
/// must come from a `COMPLETED` answer.
fn drive<C: Call>(
    s: &Scenario,
    cfg: Arc<ClientConfig>,
    call: C,
    deadline: Option<Duration>,
    waits: bool,
) -> Report {
    let start = Instant::now();
    let wall0 = wall0();
    let mut now = start;
    let wall = |now: Instant| wall0 + chrono::Duration::from_std(now - start).unwrap_or_default();
    let mut op = Operation::new(Arc::clone(&cfg), call, now)
        .with_timeout(deadline)
        .with_jitter_seed(s.seed);

    let lifetime = Duration::from_millis(s.token_lifetime_ms());
    let mut issued: Vec<String> = Vec::new();
    let issue = |now: Instant, issued: &mut Vec<String>| {
        let value = format!("{TOKEN_PREFIX}secret-{:04}", issued.len());
        issued.push(value.clone());
        let at =
            (wall(now) + chrono::Duration::from_std(lifetime).unwrap_or_default()).fixed_offset();
        AccessToken::new(value, at, now, lifetime)
    };
    let mut cache: Option<AccessToken> = None;
    if s.has(CACHED_TOKEN) {
        let t = issue(now, &mut issued);
        cache = Some(t.clone());
        op = op.with_token(Some(t));
    }
    let mut handed: Option<AccessToken> = cache.clone();
    let mut rejected: Vec<String> = Vec::new();
    let mut exchanges = 0u32;
    let bodies = custom_bodies(s);
    // Tokens a token endpoint handed out are secrets too.
    let server_token = format!("{TOKEN_PREFIX}from-server-42");

    let op_deadline = op.deadline();
    let strict = s.has(STRICT_TRANSPORT);
    let request_timeout = cfg.request_timeout;
    let mut slack = if strict {
        Duration::ZERO
    } else {
        request_timeout
    };
    if s.has(SLOW_TOKENS) {
        slack += TOKEN_EXCHANGE;
    }
    let max_attempts = cfg.retry.max_attempts as usize;
    let step_bound = s.steps.len() + max_attempts;
    let time_bound = op_deadline
        .saturating_duration_since(start)
        .as_nanos()
        .checked_div(min_poll_gap(s).as_nanos())
        .unwrap_or(u128::MAX)
        .saturating_add(2)
        .saturating_mul(max_attempts as u128 + 1);

    let mut next_step = 0usize;
    let mut requests = 0usize;
    let mut ids: Vec<RequestId> = Vec::new();
    let mut asked_ambiguously = false;
    let mut last_completed = false;
    let mut need_tokens = 0usize;
    let mut last_state: Option<State> = None;
    // The token endpoint's token is a secret, unless the script also
    // served it to another endpoint (then the server echoed it).
    let mut server_token_is_secret = false;
    let mut server_token_echoed = false;

    for _ in 0..MAX_STEPS {
        let mut candidates = issued.clone();
        candidates.push(CLIENT_SECRET.to_string());
        if server_token_is_secret && !server_token_echoed {
            candidates.push(server_token.clone());
        }
        let secrets = secrets(candidates, &bodies);
        let out = op.poll_output(now);
        match out {
            Output::Transmit(t) => {
                requests += 1;
                assert!(
                    requests <= step_bound,
                    "{requests} requests for {} scripted answers and {max_attempts} attempts",
                    s.steps.len()
                );
                assert!(
                    (requests as u128) <= time_bound,
                    "{requests} requests within the deadline, bound {time_bound}"
                );
                assert!(
                    now < op_deadline,
                    "a request leaves at or after the deadline"
                );
                assert!(
                    t.timeout <= request_timeout,
                    "timeout {:?} above the configured one",
                    t.timeout
                );
                assert!(
                    t.timeout <= op_deadline.saturating_duration_since(now),
                    "request timeout {:?} runs past the deadline",
                    t.timeout
                );
                let uri = t.request.uri().to_string();
                assert!(
                    uri.starts_with(&cfg.base_url.to_string()),
                    "request to {uri} outside {}",
                    cfg.base_url
                );
                let auth = t.request.headers().get(http::header::AUTHORIZATION);
                match t.endpoint {
                    Endpoint::Ask | Endpoint::Results => {
                        let a = auth.unwrap_or_else(|| panic!("{:?} without a token", t.endpoint));
                        assert!(a.is_sensitive(), "Authorization is not marked sensitive");
                        let tok = handed.as_ref().unwrap_or_else(|| {
                            panic!("a token was sent before one was handed over")
                        });
                        assert_eq!(
                            a.as_bytes(),
                            format!("Bearer {}", tok.expose()).as_bytes(),
                            "sent a token other than the one handed over"
                        );
                        assert!(now < tok.expires(), "token sent at or past its expiry");
                        assert!(
                            !rejected.iter().any(|r| r == tok.expose()),
                            "sent a token that was rejected"
                        );
                    }
                    _ => assert!(auth.is_none(), "{:?} carries a token", t.endpoint),
                }
                if t.endpoint == Endpoint::Ask {
                    assert!(
                        !asked_ambiguously,
                        "asked again after an answer that may have reached the server"
                    );
                }
                assert_no_secret(
                    "a transmit's Debug",
                    &format!("{:?}", t.request.headers()),
                    &secrets,
                );
                ids.push(t.id);
                let default_step = Step {
                    reply: Reply::Fail(0),
                    latency_ms: 0,
                    replay_stale: false,
                    wake_early: false,
                };
                let step = s.steps.get(next_step).cloned().unwrap_or(default_step);
                next_step += 1;
                let sent_at = now;
                let latency = Duration::from_millis(step.latency_ms);
                if step.wake_early && latency > Duration::ZERO && latency / 2 < t.timeout {
                    let mid = now + latency / 2;
                    match op.poll_output(mid) {
                        Output::Timeout(at) => {
                            assert_eq!(
                                at,
                                sent_at + t.timeout,
                                "in flight: wake at the request's expiry"
                            )
                        }
                        other => panic!("in flight, polled early: {other:?}"),
                    }
                }
                if strict && latency >= t.timeout {
                    now = sent_at + t.timeout;
                    if t.endpoint == Endpoint::Ask {
                        asked_ambiguously = true;
                    }
                    op.handle_transport_error(
                        t.id,
                        TransportError::new(TransportErrorKind::Timeout, "timed out"),
                        now,
                    );
                } else {
                    let latency = latency.min(t.timeout + request_timeout);
                    now = sent_at + latency;
                    if t.endpoint == Endpoint::Ask && ambiguous_for_ask(&step.reply, false) {
                        asked_ambiguously = true;
                    }
                    if let Reply::TokenBody(_) = step.reply {
                        if t.endpoint == Endpoint::Token {
                            server_token_is_secret = true;
                        } else {
                            server_token_echoed = true;
                        }
                    }
                    match build_response(&step.reply, &server_token, wall(now)) {
                        Ok(resp) => {
                            last_completed = is_completed(resp.status().as_u16(), resp.body());
                            op.handle_response(t.id, resp, now, wall(now));
                        }
                        Err(kind) => {
                            last_completed = false;
                            op.handle_transport_error(
                                t.id,
                                TransportError::new(kind, "scripted failure"),
                                now,
                            );
                        }
                    }
                }
                if step.replay_stale && ids.len() >= 2 {
                    let old = ids[(step.latency_ms as usize) % (ids.len() - 1)];
                    let resp = build_response(&Reply::Canned(2), &server_token, wall(now))
                        .unwrap_or_default();
                    op.handle_response(old, resp, now, wall(now));
                    op.handle_transport_error(
                        old,
                        TransportError::new(TransportErrorKind::Tls, "stale"),
                        now,
                    );
                }
            }
            Output::NeedToken { reject } => {
                need_tokens += 1;
                assert!(
                    need_tokens <= 3 * requests + 3,
                    "{need_tokens} token requests for {requests} requests"
                );
                if let Some(r) = &reject {
                    let held = handed.as_ref().map(|h| h.same_token(r)).unwrap_or(false);
                    assert!(held, "rejected a token it was never handed");
                    rejected.push(r.expose().to_string());
                    if cache.as_ref().is_some_and(|c| c.same_token(r)) {
                        cache = None;
                    }
                }
                assert_no_secret("NeedToken's Debug", &format!("{reject:?}"), &secrets);
                exchanges += 1;
                if s.has(TOKEN_ERROR) && exchanges == 2 {
                    op.handle_token_error(
                        Error::Authentication {
                            status: http::StatusCode::UNAUTHORIZED,
                            message: Some("credentials refused".into()),
                        },
                        now,
                    );
                    continue;
                }
                let tok = match &cache {
                    Some(c) if c.is_usable(now) => c.clone(),
                    _ => {
                        let t = issue(now, &mut issued);
                        // A slow exchange (every other one) hands over a
                        // token that aged in transit.
                        if s.has(SLOW_TOKENS) && issued.len() % 2 == 1 {
                            now += TOKEN_EXCHANGE;
                        }
                        t
                    }
                };
                cache = Some(tok.clone());
                handed = Some(tok.clone());
                op.handle_token(tok, now);
            }
            Output::Event(e) => {
                assert_no_secret("an event", &format!("{e:?}"), &secrets);
                match &e {
                    // (An answer that arrives after the deadline may still
                    // announce a zero-delay retry; the deadline ends it.)
                    Event::Retrying { delay, .. } => assert!(
                        now >= op_deadline || now + *delay <= op_deadline,
                        "retry scheduled past the deadline"
                    ),
                    Event::StateChanged { state, .. } => {
                        assert_ne!(
                            last_state.as_ref(),
                            Some(state),
                            "state change to the same state"
                        );
                        last_state = Some(state.clone());
                    }
                    _ => {}
                }
            }
            Output::Timeout(at) => {
                assert!(at > now, "a timeout that is not in the future");
                assert!(at <= op_deadline, "a timeout past the deadline");
                now = at;
            }
            Output::Done(r) => {
                let elapsed = now - start;
                assert!(
                    op_deadline.checked_add(slack).is_none_or(|end| now <= end),
                    "ended after {elapsed:?}, deadline {:?} + {slack:?}",
                    op_deadline - start
                );
                let shown = match &r {
                    Ok(o) => format!("{o:?}"),
                    Err(e) => format!("{e} {e:?}"),
                };
                assert_no_secret("the result", &shown, &secrets);
                match &r {
                    Err(Error::Timeout { .. }) => {
                        assert!(now >= op_deadline, "a timeout error before the deadline")
                    }
                    Ok(_) if waits => {
                        assert!(last_completed, "completed without a COMPLETED answer")
                    }
                    _ => {}
                }
                let outcome = outcome_name(&r);
                // Nothing brings it back: polling again is a caller bug,
                // answered with an error.
                assert!(polled_after_done(op.poll_output(now)));
                let resp =
                    build_response(&Reply::Canned(2), &server_token, wall(now)).unwrap_or_default();
                if let Some(id) = ids.last() {
                    op.handle_response(*id, resp, now, wall(now));
                    op.handle_transport_error(
                        *id,
                        TransportError::new(TransportErrorKind::Connect, "late"),
                        now,
                    );
                }
                let t = issue(now, &mut issued);
                op.handle_token(t, now);
                op.handle_token_error(
                    Error::Authentication {
                        status: http::StatusCode::UNAUTHORIZED,
                        message: None,
                    },
                    now,
                );
                for later in [
                    now,
                    now + Duration::from_secs(1),
                    now + Duration::from_secs(86_400),
                ] {
                    let o = op.poll_output(later);
                    assert!(polled_after_done(o), "after Done");
                }
                assert!(op.is_done());
                return Report {
                    requests,
                    elapsed,
                    outcome,
                };
            }
        }
    }
    panic!("the operation did not end within {MAX_STEPS} driver steps");
}

/// A scripted transport on a virtual clock, for [`run_client`].
pub struct ScriptedTransport {
    start: Instant,
    wall0: DateTime<Utc>,
    state: Mutex<ScriptState>,
    strict: bool,
    request_timeout: Duration,
    steps: Vec<Step>,
    base: String,
}

#[derive(Default)]
struct ScriptState {
    elapsed: Duration,
    next_step: usize,
    requests: usize,
    /// Token value -> its monotonic expiry as the client computes it.
    tokens: HashMap<String, Instant>,
    asked_ambiguously: bool,
    last_completed: bool,
    violation: Option<String>,
    /// Bodies served to other endpoints than the token one.
    served_elsewhere: Vec<Vec<u8>>,
}

impl ScriptedTransport {
    fn lock(&self) -> std::sync::MutexGuard<'_, ScriptState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(st: &mut ScriptState, msg: String) {
        st.violation.get_or_insert(msg);
    }
}

impl BlockingTransport for ScriptedTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let mut st = self.lock();
        st.requests += 1;
        let now = self.start + st.elapsed;
        let path = request.uri().path().to_string();
        let uri = request.uri().to_string();
        if !uri.starts_with(&self.base) {
            Self::fail(&mut st, format!("request to {uri} outside {}", self.base));
        }
        let is_token = path.ends_with("/v1/auth/token");
        let is_ask = request.method() == http::Method::POST && path.ends_with("/questions");
        if let Some(a) = request.headers().get(http::header::AUTHORIZATION) {
            let v = String::from_utf8_lossy(a.as_bytes()).to_string();
            let tok = v.strip_prefix("Bearer ").unwrap_or(&v).to_string();
            match st.tokens.get(&tok) {
                None => Self::fail(&mut st, format!("sent a token never issued: {tok:?}")),
                Some(exp) if now >= *exp => {
                    Self::fail(&mut st, "token sent at or past its expiry".into())
                }
                Some(_) => {}
            }
            if !a.is_sensitive() {
                Self::fail(&mut st, "Authorization is not marked sensitive".into());
            }
        }
        if is_ask && st.asked_ambiguously {
            Self::fail(
                &mut st,
                "asked again after an answer that may have reached the server".into(),
            );
        }
        let default_step = Step {
            reply: Reply::Fail(0),
            latency_ms: 0,
            replay_stale: false,
            wake_early: false,
        };
        let step = self
            .steps
            .get(st.next_step)
            .cloned()
            .unwrap_or(default_step);
        st.next_step += 1;
        let latency = Duration::from_millis(step.latency_ms);
        if self.strict && latency >= timeout {
            st.elapsed += timeout;
            if is_ask {
                st.asked_ambiguously = true;
            }
            st.last_completed = false;
            return Err(TransportError::new(
                TransportErrorKind::Timeout,
                "timed out",
            ));
        }
        st.elapsed += latency.min(timeout + self.request_timeout);
        if is_ask && ambiguous_for_ask(&step.reply, false) {
            st.asked_ambiguously = true;
        }
        let now = self.start + st.elapsed;
        let wall = self.wall0 + chrono::Duration::from_std(st.elapsed).unwrap_or_default();
        let value = format!("{TOKEN_PREFIX}server-{:04}", st.requests);
        match build_response(&step.reply, &value, wall) {
            Ok(resp) => {
                st.last_completed = is_completed(resp.status().as_u16(), resp.body());
                if !is_token {
                    st.served_elsewhere.push(resp.body().clone());
                }
                if is_token {
                    // Record the token with the expiry the client computes.
                    if let Ok(t) = connecty_proto::response::parse_token(&resp, now, wall) {
                        st.tokens.insert(t.expose().to_string(), t.expires());
                    }
                }
                Ok(resp)
            }
            Err(kind) => {
                st.last_completed = false;
                Err(TransportError::new(kind, "scripted failure"))
            }
        }
    }

    fn sleep_until(&self, deadline: Instant) {
        let mut st = self.lock();
        let target = deadline.saturating_duration_since(self.start);
        if target > st.elapsed {
            st.elapsed = target;
        }
    }

    fn now(&self) -> Instant {
        self.start + self.lock().elapsed
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.wall0 + chrono::Duration::from_std(self.lock().elapsed).unwrap_or_default()
    }
}

thread_local! {
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Drives the real [`BlockingClient`] through scenario `s` over a
/// [`ScriptedTransport`] and checks the invariants of the module doc;
/// panics on a violation. Token exchanges are requests like any other
/// here: token answers come from the script.
pub fn run_client(s: &Scenario) -> Report {
    let cfg = config(s);
    let start = Instant::now();
    let strict = s.has(STRICT_TRANSPORT);
    let transport = ScriptedTransport {
        start,
        wall0: wall0(),
        state: Mutex::new(ScriptState::default()),
        strict,
        request_timeout: cfg.request_timeout,
        steps: s.steps.clone(),
        base: cfg.base_url.to_string(),
    };
    let request_timeout = cfg.request_timeout;
    let max_attempts = cfg.retry.max_attempts as usize;
    let default_deadline = cfg.default_deadline;
    let client = BlockingClient::new(transport, cfg);
    let deadline = caller_deadline(s);
    let mut options = WaitOptions::new().on_progress(|e: &Event| {
        EVENTS.with(|v| v.borrow_mut().push(format!("{e:?}")));
    });
    if let Some(d) = deadline {
        options = options.timeout(d);
    }
    EVENTS.with(|v| v.borrow_mut().clear());
    let question = "list the top 5 countries with the most orders";
    let r: Result<String, Error> = match s.call_kind() {
        CallKind::AskAndWait => client
            .ask_and_wait(13, question, &options)
            .map(|a| format!("{a:?}")),
        CallKind::Wait => client.wait(13, qid(), &options).map(|a| format!("{a:?}")),
        CallKind::Ask => client.ask(13, question).map(|q| q.to_string()),
        CallKind::Results => client
            .results(13, qid(), &ResultsOptions::default())
            .map(|r| format!("{r:?}")),
        CallKind::Health => client.health().map(|()| "healthy".to_string()),
        CallKind::Token => client.token().map(|t| format!("{t:?} {t}")),
    };
    let t = client.transport();
    let st = t.lock();
    if let Some(v) = &st.violation {
        panic!("{v}");
    }
    let elapsed = st.elapsed;
    // One deadline per operation, the token exchange included.
    let budget = match s.call_kind() {
        CallKind::AskAndWait | CallKind::Wait => deadline.unwrap_or(default_deadline),
        _ => default_deadline,
    };
    let slack = if strict {
        Duration::ZERO
    } else {
        request_timeout
    };
    assert!(
        elapsed <= budget.saturating_add(slack),
        "ended after {elapsed:?}, deadline {budget:?} + {slack:?}"
    );
    assert!(
        st.requests <= s.steps.len() + 2 * max_attempts,
        "{} requests for {} scripted answers and {max_attempts} attempts",
        st.requests,
        s.steps.len()
    );
    {
        let mut candidates: Vec<String> = st.tokens.keys().cloned().collect();
        candidates.push(CLIENT_SECRET.to_string());
        let tokens = secrets(candidates, &st.served_elsewhere);
        let shown = match &r {
            Ok(v) => v.clone(),
            Err(e) => format!("{e} {e:?}"),
        };
        assert_no_secret("the result", &shown, &tokens);
        EVENTS.with(|v| {
            for e in v.borrow().iter() {
                assert_no_secret("an event", e, &tokens);
            }
        });
        assert_no_secret("the client's Debug", &format!("{client:?}"), &tokens);
    }
    if let (CallKind::AskAndWait | CallKind::Wait, Ok(_)) = (s.call_kind(), &r) {
        assert!(st.last_completed, "completed without a COMPLETED answer");
    }
    Report {
        requests: st.requests,
        elapsed,
        outcome: match &r {
            Ok(_) => "ok",
            Err(e) => outcome_name::<()>(&Err(e.clone())),
        },
    }
}
