//! The operation state machine: one per call, sans-IO.
//!
//! An [`Operation`] is fed inputs (`handle_*`) and drained of outputs
//! ([`Operation::poll_output`]). It never reads a clock: every call takes
//! `now`. See the crate documentation for the state graph and the driving
//! loop.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::{ClientConfig, ResultsOptions, validate_question};
use crate::error::{Asked, Error, TransportError, TransportErrorKind};
use crate::ids::{QuestionId, WorkspaceId};
use crate::request::{self, Endpoint};
use crate::response::{self, RetryAction, classify_status, classify_transport, status_error};
use crate::results::{QuestionResults, ResultsResponse, State};
use crate::secret::AccessToken;

/// `now + d`, saturating far in the future instead of overflowing (a
/// caller may pass `Duration::MAX` for "no limit").
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// Identifies one transmitted request, so its answer finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// A request to send.
///
/// Its `Debug` shows the method, URI and body length, never headers or the
/// body (the token request's body carries the client secret).
#[must_use]
pub struct Transmit {
    /// Pass it back with the answer.
    pub id: RequestId,
    /// Which endpoint, for logs.
    pub endpoint: Endpoint,
    /// 1 for the first try of this request, 2 for the first retry...
    pub attempt: u32,
    /// The transport must give up after this long (it is already cut to the
    /// operation's deadline).
    pub timeout: Duration,
    /// The request.
    pub request: http::Request<Vec<u8>>,
}

impl std::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transmit")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("attempt", &self.attempt)
            .field("timeout", &self.timeout)
            .field("method", self.request.method())
            .field("uri", self.request.uri())
            .field("body_len", &self.request.body().len())
            .finish()
    }
}

/// Something observable happened; for progress displays and logs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The question was accepted and has this id.
    Asked {
        /// The new question's id.
        question_id: QuestionId,
    },
    /// A poll saw a state different from the last one (the first poll
    /// always reports).
    StateChanged {
        /// The question.
        question_id: QuestionId,
        /// Its new state.
        state: State,
        /// Time since the operation started.
        elapsed: Duration,
    },
    /// A request failed and will be tried again after `delay`.
    Retrying {
        /// The endpoint.
        endpoint: Endpoint,
        /// The attempt that failed (1 is the first).
        attempt: u32,
        /// How long until the next attempt.
        delay: Duration,
        /// Why: a status or a transport failure, without secrets.
        reason: String,
    },
}

/// The successful end of an operation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// Health: the service answered 2xx.
    Healthy,
    /// Token: a fresh access token.
    Token(AccessToken),
    /// Ask: the question's id.
    Asked(QuestionId),
    /// Results (one fetch): the state and whatever results exist.
    Results(ResultsResponse),
    /// Wait or ask-and-wait: the question completed.
    Completed {
        /// The question.
        question_id: QuestionId,
        /// Its results.
        results: QuestionResults,
    },
}

/// What the driver must do next.
#[derive(Debug)]
#[must_use]
pub enum Output {
    /// Send this request, then call [`Operation::handle_response`] or
    /// [`Operation::handle_transport_error`].
    Transmit(Transmit),
    /// An access token is needed. Get one (from a shared cache, exchanging
    /// if needed) and call [`Operation::handle_token`], or
    /// [`Operation::handle_token_error`]. `reject` is a token the server
    /// refused or that is too old: do not hand it back.
    NeedToken {
        /// The token not to hand back, if any.
        reject: Option<AccessToken>,
    },
    /// Report this event, then poll again.
    Event(Event),
    /// Nothing to do before this instant: sleep until then, then poll again.
    Timeout(Instant),
    /// The operation ended. Emitted once.
    Done(Result<Outcome, Error>),
    /// The operation has ended and its result was already taken.
    Ended,
}

#[derive(Debug, Clone)]
enum Call {
    Health,
    Token,
    Ask { question: String },
    Results,
    Wait,
    AskAndWait { question: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Health,
    Token,
    Ask,
    Poll,
}

impl Step {
    fn endpoint(self) -> Endpoint {
        match self {
            Step::Health => Endpoint::Health,
            Step::Token => Endpoint::Token,
            Step::Ask => Endpoint::Ask,
            Step::Poll => Endpoint::Results,
        }
    }

    fn needs_token(self) -> bool {
        matches!(self, Step::Ask | Step::Poll)
    }
}

#[derive(Debug)]
enum Phase {
    /// Send the current step's request at `at`.
    Idle { at: Instant },
    /// Waiting for [`Operation::handle_token`].
    NeedToken { reject: Option<AccessToken> },
    /// A request is out.
    InFlight { id: RequestId, expires: Instant },
    /// Finished; the result is taken by `poll_output`.
    Done(Option<Result<Outcome, Error>>),
}

/// One operation: health, token, ask, results, wait or ask-and-wait.
///
/// Call order: after creating it, loop on [`poll_output`](Self::poll_output)
/// and act on each [`Output`] until [`Output::Done`]. Every method that
/// depends on time takes `now`; the operation never reads a clock.
#[derive(Debug)]
pub struct Operation {
    call: Call,
    config: Arc<ClientConfig>,
    workspace: WorkspaceId,
    options: ResultsOptions,
    started: Instant,
    deadline: Instant,
    rng: u64,

    step: Step,
    question_id: Option<QuestionId>,
    asked: Asked,
    /// The failure being retried, for the timeout error if the deadline
    /// strikes before a retry succeeds.
    last_failure: Option<Error>,
    last_state: Option<State>,
    polls: u32,
    /// When the question was asked (or the wait began).
    waiting_since: Instant,

    token: Option<AccessToken>,
    fresh_token: bool,
    reauthenticated: bool,
    attempt: u32,
    last_retry_after: Option<Duration>,

    phase: Phase,
    next_id: u64,
    events: VecDeque<Event>,
}

impl Operation {
    fn new(
        call: Call,
        config: Arc<ClientConfig>,
        workspace: WorkspaceId,
        question_id: Option<QuestionId>,
        options: ResultsOptions,
        deadline: Option<Duration>,
        now: Instant,
    ) -> Self {
        let step = match call {
            Call::Health => Step::Health,
            Call::Token => Step::Token,
            Call::Ask { .. } | Call::AskAndWait { .. } => Step::Ask,
            Call::Results | Call::Wait => Step::Poll,
        };
        let budget = deadline.unwrap_or(config.default_deadline);
        let asked = match (&call, question_id) {
            (Call::Health | Call::Token, _) => Asked::NoQuestion,
            (_, Some(q)) => Asked::Yes(q),
            (_, None) => Asked::No,
        };
        let mut op = Self {
            call,
            workspace,
            options,
            started: now,
            deadline: later(now, budget),
            rng: 0x9E37_79B9_7F4A_7C15,
            step,
            question_id,
            asked,
            last_failure: None,
            last_state: None,
            polls: 0,
            waiting_since: now,
            token: None,
            fresh_token: false,
            reauthenticated: false,
            attempt: 0,
            last_retry_after: None,
            phase: Phase::Idle { at: now },
            next_id: 0,
            events: VecDeque::new(),
            config,
        };
        if let Err(e) = op.validate() {
            op.phase = Phase::Done(Some(Err(e)));
        }
        op
    }

    fn validate(&self) -> Result<(), Error> {
        match &self.call {
            Call::Ask { question } | Call::AskAndWait { question } => validate_question(question)?,
            _ => {}
        }
        if matches!(
            self.call,
            Call::Results | Call::Wait | Call::AskAndWait { .. }
        ) {
            self.options.validate()?;
        }
        Ok(())
    }

    /// `GET /v1/health`.
    pub fn health(config: Arc<ClientConfig>, now: Instant) -> Self {
        Self::new(
            Call::Health,
            config,
            WorkspaceId(0),
            None,
            ResultsOptions::default(),
            None,
            now,
        )
    }

    /// `POST /v1/auth/token`: exchanges the configured credentials.
    pub fn token(config: Arc<ClientConfig>, now: Instant) -> Self {
        Self::new(
            Call::Token,
            config,
            WorkspaceId(0),
            None,
            ResultsOptions::default(),
            None,
            now,
        )
    }

    /// Asks a question and returns its id without waiting.
    pub fn ask(
        config: Arc<ClientConfig>,
        workspace: WorkspaceId,
        question: impl Into<String>,
        now: Instant,
    ) -> Self {
        let call = Call::Ask {
            question: question.into(),
        };
        Self::new(
            call,
            config,
            workspace,
            None,
            ResultsOptions::default(),
            None,
            now,
        )
    }

    /// Fetches a question's state and results once.
    pub fn results(
        config: Arc<ClientConfig>,
        workspace: WorkspaceId,
        question_id: QuestionId,
        options: ResultsOptions,
        now: Instant,
    ) -> Self {
        Self::new(
            Call::Results,
            config,
            workspace,
            Some(question_id),
            options,
            None,
            now,
        )
    }

    /// Polls a question until it completes or fails, or the deadline
    /// (`timeout` from `now`, else the configured default) is reached.
    pub fn wait(
        config: Arc<ClientConfig>,
        workspace: WorkspaceId,
        question_id: QuestionId,
        options: ResultsOptions,
        timeout: Option<Duration>,
        now: Instant,
    ) -> Self {
        Self::new(
            Call::Wait,
            config,
            workspace,
            Some(question_id),
            options,
            timeout,
            now,
        )
    }

    /// Asks a question, then waits for it like [`wait`](Self::wait).
    pub fn ask_and_wait(
        config: Arc<ClientConfig>,
        workspace: WorkspaceId,
        question: impl Into<String>,
        options: ResultsOptions,
        timeout: Option<Duration>,
        now: Instant,
    ) -> Self {
        let call = Call::AskAndWait {
            question: question.into(),
        };
        Self::new(call, config, workspace, None, options, timeout, now)
    }

    /// Seeds the jitter of retry delays (full jitter needs randomness; the
    /// driver injects it, tests pin it).
    #[must_use]
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.rng = seed ^ 0x9E37_79B9_7F4A_7C15;
        self
    }

    /// Ends the operation no later than `deadline` (the token exchange an
    /// operation needs runs within what is left of that operation's time).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = self.deadline.min(deadline);
        self
    }

    /// Starts with this token (for example the one a shared cache holds).
    #[must_use]
    pub fn with_token(mut self, token: Option<AccessToken>) -> Self {
        self.token = token;
        self
    }

    /// The instant after which the operation gives up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The question's id, once known.
    pub fn question_id(&self) -> Option<QuestionId> {
        self.question_id
    }

    /// The last state a poll saw.
    pub fn last_state(&self) -> Option<&State> {
        self.last_state.as_ref()
    }

    /// Whether the operation has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }

    fn next_fraction(&mut self) -> f64 {
        // SplitMix64.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn finish(&mut self, result: Result<Outcome, Error>) {
        self.phase = Phase::Done(Some(result));
    }

    fn timeout_error(&mut self, now: Instant) -> Error {
        Error::Timeout {
            asked: self.asked,
            last_state: self.last_state.clone(),
            elapsed: now.saturating_duration_since(self.started),
            last_error: self.last_failure.take().map(Box::new),
        }
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
    pub fn poll_output(&mut self, now: Instant) -> Output {
        if let Some(e) = self.events.pop_front() {
            return Output::Event(e);
        }
        match &mut self.phase {
            Phase::Done(result) => match result.take() {
                Some(r) => Output::Done(r),
                None => Output::Ended,
            },
            Phase::NeedToken { .. } if now >= self.deadline => {
                let e = self.timeout_error(now);
                self.finish(Err(e));
                self.poll_output(now)
            }
            Phase::NeedToken { reject } => Output::NeedToken {
                reject: reject.clone(),
            },
            Phase::InFlight { id, expires } => {
                if now >= *expires {
                    // The transport did not time the request out itself.
                    let id = *id;
                    self.handle_transport_error(
                        id,
                        TransportError::new(TransportErrorKind::Timeout, "request timed out"),
                        now,
                    );
                    self.poll_output(now)
                } else {
                    Output::Timeout(*expires)
                }
            }
            Phase::Idle { at } => {
                let at = *at;
                if now >= self.deadline {
                    let e = self.timeout_error(now);
                    self.finish(Err(e));
                    return self.poll_output(now);
                }
                if at > now {
                    return Output::Timeout(at.min(self.deadline));
                }
                self.transmit(now)
            }
        }
    }

    fn transmit(&mut self, now: Instant) -> Output {
        let token = if self.step.needs_token() {
            match &self.token {
                Some(t) if t.is_usable(now) || (self.fresh_token && now < t.expires()) => {
                    Some(t.clone())
                }
                _ => {
                    self.phase = Phase::NeedToken {
                        reject: self.token.take(),
                    };
                    return self.poll_output(now);
                }
            }
        } else {
            None
        };
        let cfg = &*self.config;
        let built = match (self.step, &token) {
            (Step::Health, _) => request::health(&cfg.base_url, &cfg.user_agent),
            (Step::Token, _) => match &cfg.credentials {
                Some(c) => request::token(&cfg.base_url, &cfg.user_agent, c),
                None => Err(crate::InvalidInput::new(
                    crate::ENV_CLIENT_ID,
                    "no credentials configured: set CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET",
                )),
            },
            (Step::Ask, Some(t)) => {
                let question = match &self.call {
                    Call::Ask { question } | Call::AskAndWait { question } => question.as_str(),
                    _ => "",
                };
                request::ask(&cfg.base_url, &cfg.user_agent, t, self.workspace, question)
            }
            (Step::Poll, Some(t)) => match self.question_id {
                Some(q) => request::results(
                    &cfg.base_url,
                    &cfg.user_agent,
                    t,
                    self.workspace,
                    q,
                    &self.options,
                ),
                None => Err(crate::InvalidInput::new("question_id", "missing")),
            },
            _ => Err(crate::InvalidInput::new("access_token", "missing")),
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
        if self.step == Step::Ask {
            // From here the server may take the question.
            self.asked = Asked::Unconfirmed;
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let timeout = self
            .config
            .request_timeout
            .min(self.deadline.saturating_duration_since(now));
        self.phase = Phase::InFlight {
            id,
            expires: later(now, timeout),
        };
        Output::Transmit(Transmit {
            id,
            endpoint: self.step.endpoint(),
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
            let error = match error {
                Error::Timeout { last_error, .. } => {
                    self.last_failure = last_error.map(|e| *e);
                    self.timeout_error(now)
                }
                other => other,
            };
            self.finish(Err(error));
        }
    }

    fn in_flight(&self, id: RequestId) -> bool {
        matches!(self.phase, Phase::InFlight { id: current, .. } if current == id)
    }

    fn target(&self) -> Option<(WorkspaceId, Option<QuestionId>)> {
        match self.step {
            Step::Ask | Step::Poll => Some((self.workspace, self.question_id)),
            _ => None,
        }
    }

    /// Schedules a retry, or returns false when the attempts are spent.
    fn retry(&mut self, action: RetryAction, reason: String, now: Instant) -> bool {
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
                let f = self.next_fraction();
                policy.delay(self.attempt, f)
            }
        };
        let delay = delay.min(self.deadline.saturating_duration_since(now));
        self.events.push_back(Event::Retrying {
            endpoint: self.step.endpoint(),
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
        if !self.in_flight(id) {
            return;
        }
        let endpoint = self.step.endpoint();
        let status = response.status();
        match classify_status(endpoint, status, response.headers(), wall_now) {
            RetryAction::NoRetry => {}
            RetryAction::Reauthenticate => {
                if !self.reauthenticated {
                    self.reauthenticated = true;
                    self.attempt = self.attempt.saturating_sub(1);
                    self.phase = Phase::NeedToken {
                        reject: self.token.take(),
                    };
                    return;
                }
            }
            action => {
                let retried = self.retry(action, format!("status {status}"), now);
                let mut failure = status_error(
                    endpoint,
                    status,
                    response.body(),
                    self.target(),
                    self.attempt,
                );
                if let Error::RateLimited { retry_after, .. } = &mut failure {
                    *retry_after = self.last_retry_after;
                }
                if retried && self.step == Step::Ask {
                    // 429 and 503 are retried: the server refused the
                    // question, it did not take it.
                    self.asked = Asked::No;
                }
                self.last_failure = Some(failure);
                if retried {
                    return;
                }
                if now >= self.deadline {
                    let e = self.timeout_error(now);
                    return self.finish(Err(e));
                }
                if let Some(e) = self.last_failure.take() {
                    return self.finish(Err(e));
                }
            }
        }
        if !status.is_success() {
            let mut e = status_error(
                endpoint,
                status,
                response.body(),
                self.target(),
                self.attempt,
            );
            if let Error::RateLimited { retry_after, .. } = &mut e {
                *retry_after = self.last_retry_after;
            }
            return self.finish(Err(e));
        }
        self.attempt = 0;
        self.reauthenticated = false;
        self.last_failure = None;
        match self.step {
            Step::Health => self.finish(Ok(Outcome::Healthy)),
            Step::Token => {
                let r = response::parse_token(&response, now, wall_now).map(Outcome::Token);
                self.finish(r);
            }
            Step::Ask => match response::parse_ask(&response) {
                Ok(q) => {
                    self.question_id = Some(q);
                    self.asked = Asked::Yes(q);
                    self.events.push_back(Event::Asked { question_id: q });
                    if let Call::AskAndWait { .. } = self.call {
                        self.step = Step::Poll;
                        self.waiting_since = now;
                        self.phase = Phase::Idle {
                            // Poll at once, as the OpenAI, AWS and Databricks
                            // waiters do: a cached or trivial answer is there
                            // already; slower ones then follow the schedule.
                            at: now,
                        };
                    } else {
                        self.finish(Ok(Outcome::Asked(q)));
                    }
                }
                Err(e) => self.finish(Err(e)),
            },
            Step::Poll => match response::parse_results(response) {
                Ok(r) => self.polled(r, now),
                Err(e) => self.finish(Err(e)),
            },
        }
    }

    fn polled(&mut self, r: ResultsResponse, now: Instant) {
        let Some(q) = self.question_id else {
            return self.finish(Err(
                crate::InvalidInput::new("question_id", "missing").into()
            ));
        };
        if self.last_state.as_ref() != Some(&r.state) {
            self.last_state = Some(r.state.clone());
            self.events.push_back(Event::StateChanged {
                question_id: q,
                state: r.state.clone(),
                elapsed: now.saturating_duration_since(self.started),
            });
        }
        if let Call::Results = self.call {
            return self.finish(Ok(Outcome::Results(r)));
        }
        match r.state {
            State::Completed => self.finish(Ok(Outcome::Completed {
                question_id: q,
                results: r.results.unwrap_or_default(),
            })),
            State::Failed => {
                let reason = r.failure_reason();
                self.finish(Err(Error::QuestionFailed {
                    question_id: q,
                    reason,
                }))
            }
            _ => {
                // The first poll went at once; the n-th wait after it uses
                // delay(n).
                let n = self.polls;
                self.polls += 1;
                self.phase = Phase::Idle {
                    at: later(
                        now,
                        self.config
                            .poll
                            .delay_after(n, now.saturating_duration_since(self.waiting_since)),
                    ),
                };
            }
        }
    }

    /// Feeds a transport failure of request `id`.
    pub fn handle_transport_error(&mut self, id: RequestId, error: TransportError, now: Instant) {
        if !self.in_flight(id) {
            return;
        }
        if self.step == Step::Ask && error.kind == TransportErrorKind::Connect {
            // The request never reached the server.
            self.asked = Asked::No;
        }
        let reason = format!("{}: {}", error.kind, error.message);
        let action = classify_transport(self.step.endpoint(), error.kind);
        let failure = self.transport_error(error);
        if now >= self.deadline {
            self.last_failure = Some(failure);
            let e = self.timeout_error(now);
            return self.finish(Err(e));
        }
        if action != RetryAction::NoRetry && self.retry(action, reason, now) {
            self.last_failure = Some(failure);
            return;
        }
        self.finish(Err(failure));
    }
}
