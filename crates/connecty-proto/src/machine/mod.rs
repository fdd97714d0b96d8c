//! The operation state machine: one per call, sans-IO.
//!
//! An [`Operation<C>`] makes one [`Call`] `C` ([`Health`], [`Token`],
//! [`Ask`], [`Results`], [`Wait`], [`AskAndWait`]). It is fed inputs
//! (`handle_*`) and drained of outputs ([`Operation::poll_output`]); it
//! never reads a clock: every call takes `now`. The call decides what to
//! send and reads its own answers; this engine keeps what every call
//! shares: the deadline, retries, the 401 replay, the token hand-over and
//! the events. See the crate documentation for the state graph and the
//! driving loop.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::ClientConfig;
use crate::error::{Asked, Error, InvalidInput, TransportError, TransportErrorKind};
use crate::ids::{QuestionId, WorkspaceId};
use crate::request::Endpoint;
use crate::response::{RetryAction, classify_status, classify_transport, status_error};
use crate::results::State;
use crate::schedule::Jitter;
pub(crate) use crate::schedule::later;
use crate::secret::AccessToken;

mod calls;
mod output;
mod wait;

use calls::{Answered, Cx, Next};
pub use calls::{Ask, Call, Health, Results, Token};
pub use output::{Event, Output, RequestId, Transmit};
pub use wait::{Answer, AskAndWait, Wait};

/// The field of the error a finished operation answers when polled again.
pub const POLLED_AFTER_DONE: &str = "operation";

/// What a 404 or 403 of a request refers to: its workspace, and question.
type Target = Option<(WorkspaceId, Option<QuestionId>)>;

#[derive(Debug)]
enum Phase<O> {
    /// Send the call's next request at `at`.
    Idle { at: Instant },
    /// Waiting for [`Operation::handle_token`].
    NeedToken { reject: Option<AccessToken> },
    /// A request is out.
    InFlight {
        id: RequestId,
        expires: Instant,
        endpoint: Endpoint,
        target: Target,
    },
    /// Finished; the result is taken by `poll_output` (once).
    Done(Option<Result<O, Error>>),
}

/// One operation: a [`Call`] `C` driven to its [`Output::Done`].
///
/// Call order: after creating it, loop on [`poll_output`](Self::poll_output)
/// and act on each [`Output`] until [`Output::Done`], which comes once and
/// carries `Result<C::Outcome, Error>`. Every method that depends on time
/// takes `now`; the operation never reads a clock.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Instant;
/// use connecty_proto::{BaseUrl, ClientConfig, Health, Operation, Output};
///
/// let config = Arc::new(ClientConfig::with_optional_credentials(
///     BaseUrl::parse("http://127.0.0.1:8080")?,
///     None,
/// ));
/// let now = Instant::now();
/// let mut op = Operation::new(config, Health, now);
/// let healthy: Result<(), _> = loop {
///     match op.poll_output(now) {
///         Output::Transmit(t) => {
///             // Send t.request; here the service answers 200 at once.
///             let answer = http::Response::new(Vec::new());
///             op.handle_response(t.id, answer, now, chrono::DateTime::UNIX_EPOCH);
///         }
///         Output::NeedToken { .. } => unreachable!("health needs no token"),
///         Output::Event(_) => {}
///         Output::Timeout(_) => unreachable!("nothing to wait for here"),
///         Output::Done(r) => break r,
///     }
/// };
/// assert!(healthy.is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Operation<C: Call> {
    call: C,
    config: Arc<ClientConfig>,
    started: Instant,
    deadline: Instant,
    jitter: Jitter,

    asked: Asked,
    last_state: Option<State>,
    /// Polls answered so far ([`Event::Polled`]).
    polls: u32,
    /// The failure being retried, for the timeout error if the deadline
    /// strikes before a retry succeeds.
    last_failure: Option<Error>,

    token: Option<AccessToken>,
    fresh_token: bool,
    reauthenticated: bool,
    attempt: u32,
    last_retry_after: Option<Duration>,

    phase: Phase<C::Outcome>,
    next_id: u64,
    events: VecDeque<Event>,
}

impl<C: Call> Operation<C> {
    /// An operation making `call`, with the configured default deadline
    /// from `now`. Input the call refuses ends it at once with
    /// [`Error::InvalidInput`], before anything is sent.
    pub fn new(config: Arc<ClientConfig>, call: C, now: Instant) -> Self {
        let deadline = later(now, config.default_deadline);
        let phase = match call.validate() {
            Ok(()) => Phase::Idle { at: now },
            Err(e) => Phase::Done(Some(Err(e.into()))),
        };
        Self {
            asked: call.asked(),
            call,
            config,
            started: now,
            deadline,
            jitter: Jitter::new(0),
            last_state: None,
            polls: 0,
            last_failure: None,
            token: None,
            fresh_token: false,
            reauthenticated: false,
            attempt: 0,
            last_retry_after: None,
            phase,
            next_id: 0,
            events: VecDeque::new(),
        }
    }

    /// Replaces the default deadline: the operation gives up `timeout`
    /// after it started (`None` keeps the configured default).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        if let Some(t) = timeout {
            self.deadline = later(self.started, t);
        }
        self
    }

    /// Ends the operation no later than `deadline` (the token exchange an
    /// operation needs runs within what is left of that operation's time).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = self.deadline.min(deadline);
        self
    }

    /// Seeds the jitter of retry delays (full jitter needs randomness; the
    /// driver injects it, tests pin it).
    #[must_use]
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter = Jitter::new(seed);
        self
    }

    /// Starts with this token (for example the one a shared cache holds).
    #[must_use]
    pub fn with_token(mut self, token: Option<AccessToken>) -> Self {
        self.token = token;
        self
    }

    /// The call being made.
    pub fn call(&self) -> &C {
        &self.call
    }

    /// The instant after which the operation gives up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How far the question got.
    pub fn asked(&self) -> Asked {
        self.asked
    }

    /// The last state a poll saw.
    pub fn last_state(&self) -> Option<&State> {
        self.last_state.as_ref()
    }

    /// Whether the operation has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    fn finish(&mut self, result: Result<C::Outcome, Error>) {
        self.phase = Phase::Done(Some(result));
    }

    fn time_out(&mut self, now: Instant) {
        let e = Error::Timeout {
            asked: self.asked,
            last_state: self.last_state.clone(),
            elapsed: now.saturating_duration_since(self.started),
            last_error: self.last_failure.take().map(Box::new),
        };
        self.finish(Err(e));
    }

    /// A transport error with the attempts made and the origin filled in.
    fn transport_error(&self, mut error: TransportError) -> Error {
        error.attempts = self.attempt.max(1);
        error.origin = Some(self.config.base_url.origin().to_string());
        Error::Transport(error)
    }

    /// Drains the next output. Call it after creating the operation and
    /// after every `handle_*`, until it returns [`Output::Timeout`] (sleep,
    /// then call again), [`Output::Transmit`] or [`Output::NeedToken`] (act,
    /// then feed the answer back), or [`Output::Done`].
    ///
    /// `Done` comes once. Polling again after it is a caller bug, like
    /// polling a completed future: it answers
    /// `Done(Err(Error::InvalidInput))` with the field
    /// [`POLLED_AFTER_DONE`], and nothing else happens.
    pub fn poll_output(&mut self, now: Instant) -> Output<C::Outcome> {
        if let Some(e) = self.events.pop_front() {
            return Output::Event(e);
        }
        match &mut self.phase {
            Phase::Done(result) => Output::Done(result.take().unwrap_or_else(|| {
                Err(InvalidInput::new(
                    POLLED_AFTER_DONE,
                    "polled after it ended: its result was already taken",
                )
                .into())
            })),
            Phase::NeedToken { .. } if now >= self.deadline => {
                self.time_out(now);
                self.poll_output(now)
            }
            Phase::NeedToken { reject } => Output::NeedToken {
                reject: reject.clone(),
            },
            Phase::InFlight { id, expires, .. } => {
                if now >= *expires {
                    // The transport did not time the request out itself.
                    let id = *id;
                    let e = TransportError::new(TransportErrorKind::Timeout, "request timed out");
                    self.handle_transport_error(id, e, now);
                    self.poll_output(now)
                } else {
                    Output::Timeout(*expires)
                }
            }
            Phase::Idle { at } => {
                let at = *at;
                if now >= self.deadline {
                    self.time_out(now);
                    return self.poll_output(now);
                }
                if at > now {
                    return Output::Timeout(at.min(self.deadline));
                }
                self.transmit(now)
            }
        }
    }

    /// The token to send now, if the one held may still be used.
    fn usable_token(&self, now: Instant) -> Option<&AccessToken> {
        self.token
            .as_ref()
            .filter(|t| t.is_usable(now) || (self.fresh_token && now < t.expires()))
    }

    fn transmit(&mut self, now: Instant) -> Output<C::Outcome> {
        let next = self.call.next();
        let (endpoint, target) = (next.endpoint(), next.target());
        let cfg = &*self.config;
        let built = match next {
            Next::Plain(plain) => plain.request(cfg),
            Next::Authed(authed) => {
                let Some(t) = self.usable_token(now) else {
                    self.phase = Phase::NeedToken {
                        reject: self.token.take(),
                    };
                    return self.poll_output(now);
                };
                authed.request(cfg, t)
            }
        };
        let request = match built {
            Ok(r) => r,
            Err(e) => {
                self.finish(Err(e.into()));
                return self.poll_output(now);
            }
        };
        self.fresh_token = false;
        self.attempt += 1;
        if endpoint == Endpoint::Ask {
            // From here the server may take the question.
            self.asked = Asked::Unconfirmed;
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let timeout = cfg
            .request_timeout
            .min(self.deadline.saturating_duration_since(now));
        self.phase = Phase::InFlight {
            id,
            expires: later(now, timeout),
            endpoint,
            target,
        };
        Output::Transmit(Transmit {
            id,
            endpoint,
            attempt: self.attempt,
            timeout,
            request,
        })
    }

    /// Feeds the token the operation asked for with [`Output::NeedToken`].
    pub fn handle_token(&mut self, token: AccessToken, now: Instant) {
        if let Phase::NeedToken { .. } = self.phase {
            self.token = Some(token);
            self.fresh_token = true;
            self.phase = Phase::Idle { at: now };
        }
    }

    /// The token could not be had (for example the credentials were
    /// refused): the operation ends with `error`. A token exchange that ran
    /// out of this operation's time ([`Error::Timeout`]) ends it with its
    /// own timeout error, carrying the exchange's last failure.
    pub fn handle_token_error(&mut self, error: Error, now: Instant) {
        if let Phase::NeedToken { .. } = self.phase {
            match error {
                Error::Timeout { last_error, .. } => {
                    self.last_failure = last_error.map(|e| *e);
                    self.time_out(now);
                }
                other => self.finish(Err(other)),
            }
        }
    }

    /// The endpoint and target of request `id`, if it is the one in flight.
    fn in_flight(&self, id: RequestId) -> Option<(Endpoint, Target)> {
        match self.phase {
            Phase::InFlight {
                id: current,
                endpoint,
                target,
                ..
            } if current == id => Some((endpoint, target)),
            _ => None,
        }
    }

    /// Schedules a retry, or returns false when the attempts are spent.
    fn retry(
        &mut self,
        endpoint: Endpoint,
        action: RetryAction,
        reason: String,
        now: Instant,
    ) -> bool {
        let policy = self.config.retry;
        if self.attempt >= policy.max_attempts {
            return false;
        }
        let delay = match action {
            RetryAction::RetryAfter(d) => {
                self.last_retry_after = Some(d);
                d.min(policy.cap)
            }
            _ => {
                self.last_retry_after = None;
                let f = self.jitter.next_fraction();
                policy.delay(self.attempt, f)
            }
        };
        let delay = delay.min(self.deadline.saturating_duration_since(now));
        self.events.push_back(Event::Retrying {
            endpoint,
            attempt: self.attempt,
            delay,
            reason,
        });
        self.phase = Phase::Idle {
            at: later(now, delay),
        };
        true
    }

    /// Feeds the answer to the request `id`. `wall_now` is the wall clock,
    /// used for `Retry-After` dates and token expiry.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        response: http::Response<Vec<u8>>,
        now: Instant,
        wall_now: DateTime<Utc>,
    ) {
        let Some((endpoint, target)) = self.in_flight(id) else {
            return;
        };
        let status = response.status();
        let action = classify_status(endpoint, status, response.headers(), wall_now);
        if action == RetryAction::Reauthenticate && !self.reauthenticated {
            if endpoint == Endpoint::Ask {
                // A 401 refused the question: it was not taken.
                self.asked = Asked::No;
            }
            self.reauthenticated = true;
            self.attempt = self.attempt.saturating_sub(1);
            self.phase = Phase::NeedToken {
                reject: self.token.take(),
            };
            return;
        }
        if !status.is_success() {
            let retryable = matches!(action, RetryAction::Retry | RetryAction::RetryAfter(_));
            let retried =
                retryable && self.retry(endpoint, action, format!("status {status}"), now);
            let mut e = status_error(endpoint, status, response.body(), target, self.attempt);
            if let Error::RateLimited { retry_after, .. } = &mut e {
                *retry_after = self.last_retry_after;
            }
            if retried {
                if endpoint == Endpoint::Ask {
                    // 429 and 503 are retried: the server refused the
                    // question, it did not take it.
                    self.asked = Asked::No;
                }
                self.last_failure = Some(e);
            } else if retryable && now >= self.deadline {
                self.last_failure = Some(e);
                self.time_out(now);
            } else {
                self.finish(Err(e));
            }
            return;
        }
        self.attempt = 0;
        self.reauthenticated = false;
        self.last_failure = None;
        let mut cx = Cx {
            now,
            wall_now,
            started: self.started,
            config: &self.config,
            events: &mut self.events,
            asked: &mut self.asked,
            last_state: &mut self.last_state,
            polls: &mut self.polls,
        };
        match self.call.answered(response, &mut cx) {
            Answered::Done(r) => self.finish(r),
            Answered::Again { at } => self.phase = Phase::Idle { at },
        }
    }

    /// Feeds a transport failure of request `id`.
    pub fn handle_transport_error(&mut self, id: RequestId, error: TransportError, now: Instant) {
        let Some((endpoint, _)) = self.in_flight(id) else {
            return;
        };
        if endpoint == Endpoint::Ask && error.kind == TransportErrorKind::Connect {
            // The request never reached the server.
            self.asked = Asked::No;
        }
        let reason = format!("{}: {}", error.kind, error.message);
        let action = classify_transport(endpoint, error.kind);
        let failure = self.transport_error(error);
        if now >= self.deadline {
            self.last_failure = Some(failure);
            return self.time_out(now);
        }
        if action != RetryAction::NoRetry && self.retry(endpoint, action, reason, now) {
            self.last_failure = Some(failure);
            return;
        }
        self.finish(Err(failure));
    }
}
