//! The drivers: [`AsyncClient`] and [`BlockingClient`], written once
//! against the transport traits.
//!
//! Both offer the same methods (`health`, `token`, `ask`, `results`,
//! `wait`, `ask_and_wait`). Swapping a transport changes the constructor
//! line and `.await`, nothing else.
//!
//! Concurrent operations on one client share one access token and one
//! in-flight token exchange: fifty questions asked at once against a fresh
//! client make one token request.

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::config::{ClientConfig, IncludeSet, ResultsOptions};
use crate::error::Error;
use crate::ids::{QuestionId, WorkspaceId};
use crate::machine::{Event, Operation, Outcome, Output, later};
use crate::results::{QuestionResults, ResultsResponse};
use crate::secret::AccessToken;
use crate::transport::{AsyncTransport, BlockingTransport};

/// A callback that sees every [`Event`]: each state change, the question's
/// id when asked, and each retry.
pub type ProgressFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// Options of `wait` and `ask_and_wait`.
#[derive(Clone, Default)]
pub struct WaitOptions {
    /// Components and row limit, used by every poll, so the poll that sees
    /// `COMPLETED` already carries the results. With `max_rows` unset the
    /// server returns at most 1,000 rows.
    pub results: ResultsOptions,
    /// The overall deadline, from the call. `None` uses the client's
    /// default (20 minutes unless configured).
    pub timeout: Option<Duration>,
    /// Sees every event.
    pub progress: Option<ProgressFn>,
}

impl WaitOptions {
    /// Defaults: include `dataframe`, no `max_rows` sent (so the server's
    /// default of 1,000 rows applies), the client's deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the components to include.
    #[must_use]
    pub fn include(mut self, include: IncludeSet) -> Self {
        self.results.include = include;
        self
    }

    /// Sets `max_rows`, the most rows returned (1 to
    /// [`MAX_ROWS_LIMIT`](crate::MAX_ROWS_LIMIT)). Unset, the server returns
    /// at most 1,000.
    #[must_use]
    pub fn max_rows(mut self, max_rows: u32) -> Self {
        self.results.max_rows = Some(max_rows);
        self
    }

    /// Sets the overall deadline.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the progress callback.
    #[must_use]
    pub fn on_progress(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("results", &self.results)
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// A completed question: its id and results.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The question.
    pub question_id: QuestionId,
    /// Its results.
    pub results: QuestionResults,
}

// ---------------------------------------------------------------------------
// The shared token slot: one token, one exchange in flight.

#[derive(Default)]
struct Slot {
    token: Option<AccessToken>,
    exchanging: bool,
    generation: u64,
    last_error: Option<(u64, Error)>,
    waiters: Vec<Waker>,
    exchanges: u64,
}

enum Acquire {
    Use(AccessToken),
    Lead,
    Wait(u64),
}

impl Slot {
    fn acquire(&mut self, now: std::time::Instant, reject: &mut Option<AccessToken>) -> Acquire {
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

    /// Ends an exchange; returns the wakers to wake.
    fn complete(&mut self, result: Option<&Result<AccessToken, Error>>) -> Vec<Waker> {
        self.exchanging = false;
        self.generation += 1;
        match result {
            Some(Ok(t)) => self.token = Some(t.clone()),
            Some(Err(e)) => self.last_error = Some((self.generation, e.clone())),
            None => {}
        }
        std::mem::take(&mut self.waiters)
    }

    /// After waiting on generation `gen`: the error that exchange ended
    /// with, if it failed.
    fn error_after(&self, generation: u64) -> Option<Error> {
        match &self.last_error {
            Some((g, e)) if *g == generation + 1 => Some(e.clone()),
            _ => None,
        }
    }
}

#[derive(Default)]
struct TokenCache {
    slot: Mutex<Slot>,
    cond: Condvar,
}

impl TokenCache {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, result: Option<&Result<AccessToken, Error>>) {
        let wakers = self.lock().complete(result);
        self.cond.notify_all();
        for w in wakers {
            w.wake();
        }
    }
}

/// Ends the exchange if the leader's future is dropped half-way.
struct LeaderGuard<'a> {
    cache: &'a TokenCache,
    armed: bool,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.cache.complete(None);
        }
    }
}

struct WaitGeneration<'a> {
    cache: &'a TokenCache,
    generation: u64,
}

impl Future for WaitGeneration<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.cache.lock();
        if slot.generation != self.generation || !slot.exchanging {
            Poll::Ready(())
        } else {
            if !slot.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                slot.waiters.push(cx.waker().clone());
            }
            Poll::Pending
        }
    }
}

struct Shared<T> {
    transport: T,
    config: Arc<ClientConfig>,
    tokens: TokenCache,
    seeds: AtomicU64,
    random: std::collections::hash_map::RandomState,
}

impl<T> Shared<T> {
    fn new(transport: T, config: ClientConfig) -> Self {
        Self {
            transport,
            config: Arc::new(config),
            tokens: TokenCache::default(),
            seeds: AtomicU64::new(0),
            random: std::collections::hash_map::RandomState::new(),
        }
    }

    /// A fresh jitter seed: random per process (std's hash keys), distinct
    /// per operation. No clock is read.
    fn seed(&self) -> u64 {
        let mut h = self.random.build_hasher();
        h.write_u64(self.seeds.fetch_add(1, Ordering::Relaxed));
        h.finish()
    }

    fn exchanges(&self) -> u64 {
        self.tokens.lock().exchanges
    }

    // One operation per public method, built the same way for both drivers.

    fn health_op(&self, now: Instant) -> (Operation, tracing::Span) {
        (
            Operation::health(Arc::clone(&self.config), now),
            op_span("health"),
        )
    }

    fn ask_op(&self, dw: WorkspaceId, question: &str, now: Instant) -> (Operation, tracing::Span) {
        let op = Operation::ask(Arc::clone(&self.config), dw, question, now);
        (op, op_span("ask"))
    }

    fn results_op(
        &self,
        dw: WorkspaceId,
        question_id: QuestionId,
        options: &ResultsOptions,
        now: Instant,
    ) -> (Operation, tracing::Span) {
        let op = Operation::results(Arc::clone(&self.config), dw, question_id, *options, now);
        let span = op_span("results");
        span.record("question_id", tracing::field::display(question_id));
        (op, span)
    }

    fn wait_op(
        &self,
        dw: WorkspaceId,
        question_id: QuestionId,
        options: &WaitOptions,
        now: Instant,
    ) -> (Operation, tracing::Span) {
        let op = Operation::wait(
            Arc::clone(&self.config),
            dw,
            question_id,
            options.results,
            options.timeout,
            now,
        );
        let span = op_span("wait");
        span.record("question_id", tracing::field::display(question_id));
        (op, span)
    }

    fn ask_and_wait_op(
        &self,
        dw: WorkspaceId,
        question: &str,
        options: &WaitOptions,
        now: Instant,
    ) -> (Operation, tracing::Span) {
        let op = Operation::ask_and_wait(
            Arc::clone(&self.config),
            dw,
            question,
            options.results,
            options.timeout,
            now,
        );
        (op, op_span("ask_and_wait"))
    }

    fn token_deadline(&self, now: Instant) -> Instant {
        later(now, self.config.default_deadline)
    }
}

fn into_asked(r: Result<Outcome, Error>) -> Result<QuestionId, Error> {
    match r? {
        Outcome::Asked(q) => Ok(q),
        other => Err(unexpected(other)),
    }
}

fn into_results(r: Result<Outcome, Error>) -> Result<ResultsResponse, Error> {
    match r? {
        Outcome::Results(r) => Ok(r),
        other => Err(unexpected(other)),
    }
}

fn op_span(name: &'static str) -> tracing::Span {
    tracing::info_span!(
        "connecty.operation",
        op = name,
        question_id = tracing::field::Empty,
        state = tracing::field::Empty
    )
}

fn request_span(t: &crate::machine::Transmit) -> tracing::Span {
    tracing::debug_span!(
        "connecty.request",
        method = %t.request.method(),
        path = t.request.uri().path(),
        endpoint = t.endpoint.name(),
        attempt = t.attempt,
        status = tracing::field::Empty
    )
}

fn on_event(event: &Event, progress: Option<&ProgressFn>) {
    let span = tracing::Span::current();
    match event {
        Event::Asked { question_id } => {
            span.record("question_id", tracing::field::display(question_id));
            tracing::debug!(%question_id, "question asked");
        }
        Event::StateChanged { state, .. } => {
            span.record("state", tracing::field::display(state));
            tracing::debug!(%state, "state changed");
        }
        Event::Retrying {
            endpoint,
            attempt,
            delay,
            reason,
        } => {
            tracing::info!(endpoint = endpoint.name(), attempt, ?delay, %reason, "retrying");
        }
    }
    if let Some(p) = progress {
        p(event);
    }
}

fn record_status(span: &tracing::Span, r: &Result<http::Response<Vec<u8>>, crate::TransportError>) {
    match r {
        Ok(resp) => {
            span.record("status", resp.status().as_u16());
            tracing::debug!(parent: span, status = resp.status().as_u16(), bytes = resp.body().len(), "response");
        }
        Err(e) => {
            tracing::debug!(parent: span, kind = ?e.kind, error = %e.message, "transport error");
        }
    }
}

fn token_timeout(config: &ClientConfig) -> Error {
    Error::Timeout {
        asked: crate::error::Asked::NoQuestion,
        last_state: None,
        elapsed: config.default_deadline,
        last_error: None,
    }
}

fn expect_completed(r: Result<Outcome, Error>) -> Result<Answer, Error> {
    match r? {
        Outcome::Completed {
            question_id,
            results,
        } => Ok(Answer {
            question_id,
            results,
        }),
        other => Err(unexpected(other)),
    }
}

fn unexpected(o: Outcome) -> Error {
    Error::InvalidInput(crate::InvalidInput::new(
        "operation",
        format!("ended with an unexpected outcome: {o:?}"),
    ))
}

// ---------------------------------------------------------------------------
// Async driver.

/// The async client, generic over an [`AsyncTransport`].
///
/// Cheap to clone: clones share the transport (and its connection pool),
/// the configuration and the access token.
///
/// Dropping a future stops the polling; the question goes on server-side
/// and can be resumed with [`wait`](Self::wait) on its id.
pub struct AsyncClient<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for AsyncClient<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for AsyncClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("base_url", &self.shared.config.base_url)
            .finish_non_exhaustive()
    }
}

impl<T: AsyncTransport> AsyncClient<T> {
    /// A client over `transport` with `config`.
    pub fn new(transport: T, config: ClientConfig) -> Self {
        Self {
            shared: Arc::new(Shared::new(transport, config)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.shared.transport
    }

    /// How many token exchanges this client (and its clones) started.
    pub fn token_exchanges(&self) -> u64 {
        self.shared.exchanges()
    }

    async fn drive(
        &self,
        mut op: Operation,
        progress: Option<&ProgressFn>,
    ) -> Result<Outcome, Error> {
        let t = &self.shared.transport;
        op = op.with_jitter_seed(self.shared.seed());
        loop {
            match op.poll_output(t.now()) {
                Output::Transmit(tx) => {
                    let span = request_span(&tx);
                    let id = tx.id;
                    let r = t
                        .send(tx.request, tx.timeout)
                        .instrument(span.clone())
                        .await;
                    record_status(&span, &r);
                    let now = t.now();
                    match r {
                        Ok(resp) => op.handle_response(id, resp, now, t.wall_clock()),
                        Err(e) => op.handle_transport_error(id, e, now),
                    }
                }
                Output::NeedToken { reject } => {
                    match Box::pin(self.shared_token(reject, Some(op.deadline()))).await {
                        Ok(Some(tok)) => op.handle_token(tok, t.now()),
                        // The operation's deadline passed while waiting: the
                        // next poll ends it with its own timeout error.
                        Ok(None) => {}
                        Err(e) => op.handle_token_error(e, t.now()),
                    }
                }
                Output::Event(e) => on_event(&e, progress),
                Output::Timeout(at) => t.sleep_until(at).await,
                Output::Done(r) => return r,
                Output::Ended => {
                    return Err(unexpected(Outcome::Healthy));
                }
            }
        }
    }

    /// The shared token, exchanging it if needed. `Ok(None)` when
    /// `deadline` passed first.
    async fn shared_token(
        &self,
        mut reject: Option<AccessToken>,
        deadline: Option<Instant>,
    ) -> Result<Option<AccessToken>, Error> {
        let cache = &self.shared.tokens;
        let transport = &self.shared.transport;
        loop {
            let step = cache.lock().acquire(transport.now(), &mut reject);
            match step {
                Acquire::Use(t) => return Ok(Some(t)),
                Acquire::Wait(generation) => {
                    // Another caller leads the exchange; its own deadline and
                    // retries bound it. (Racing a sleep here would jump a
                    // virtual clock to this caller's deadline.)
                    WaitGeneration { cache, generation }.await;
                    if let Some(e) = cache.lock().error_after(generation) {
                        return Err(e);
                    }
                }
                Acquire::Lead => {
                    let mut guard = LeaderGuard { cache, armed: true };
                    let mut op = Operation::token(Arc::clone(&self.shared.config), transport.now());
                    if let Some(d) = deadline {
                        op = op.with_deadline(d);
                    }
                    let r = self
                        .drive(op, None)
                        .instrument(op_span("token"))
                        .await
                        .and_then(|o| match o {
                            Outcome::Token(t) => Ok(t),
                            other => Err(unexpected(other)),
                        });
                    guard.armed = false;
                    if let Err(e @ Error::Timeout { .. }) = r {
                        // This caller's deadline, not the exchange's fault:
                        // waiters with more time lead the next attempt.
                        cache.complete(None);
                        return Err(e);
                    }
                    cache.complete(Some(&r));
                    return r.map(Some);
                }
            }
        }
    }

    fn start(&self) -> std::time::Instant {
        self.shared.transport.now()
    }

    /// `GET /v1/health`: `Ok` when the service answers 2xx.
    pub async fn health(&self) -> Result<(), Error> {
        let (op, span) = self.shared.health_op(self.start());
        self.drive(op, None).instrument(span).await.map(|_| ())
    }

    /// A usable access token: the shared one, or a fresh exchange.
    pub async fn token(&self) -> Result<AccessToken, Error> {
        let deadline = self.shared.token_deadline(self.start());
        Box::pin(self.shared_token(None, Some(deadline)))
            .await?
            .ok_or_else(|| token_timeout(&self.shared.config))
    }

    /// Asks `question` of workspace `dw`; returns its id at once.
    pub async fn ask(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
    ) -> Result<QuestionId, Error> {
        let (op, span) = self.shared.ask_op(dw.into(), question, self.start());
        into_asked(self.drive(op, None).instrument(span).await)
    }

    /// Fetches a question's state and whatever results exist, once.
    pub async fn results(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &ResultsOptions,
    ) -> Result<ResultsResponse, Error> {
        let (op, span) = self
            .shared
            .results_op(dw.into(), question_id, options, self.start());
        into_results(self.drive(op, None).instrument(span).await)
    }

    /// Polls a question until it completes (`Ok`), fails
    /// ([`Error::QuestionFailed`]) or the deadline passes
    /// ([`Error::Timeout`], carrying the id to resume with).
    pub async fn wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let (op, span) = self
            .shared
            .wait_op(dw.into(), question_id, options, self.start());
        expect_completed(
            self.drive(op, options.progress.as_ref())
                .instrument(span)
                .await,
        )
    }

    /// Asks a question and waits for its results.
    pub async fn ask_and_wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let (op, span) = self
            .shared
            .ask_and_wait_op(dw.into(), question, options, self.start());
        expect_completed(
            self.drive(op, options.progress.as_ref())
                .instrument(span)
                .await,
        )
    }
}

// ---------------------------------------------------------------------------
// Blocking driver.

/// The blocking client, generic over a [`BlockingTransport`]. The same
/// methods as [`AsyncClient`], without `.await`.
///
/// Cheap to clone and `Send + Sync`: threads can share one client, its
/// connections and its token.
pub struct BlockingClient<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for BlockingClient<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for BlockingClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("base_url", &self.shared.config.base_url)
            .finish_non_exhaustive()
    }
}

impl<T: BlockingTransport> BlockingClient<T> {
    /// A client over `transport` with `config`.
    pub fn new(transport: T, config: ClientConfig) -> Self {
        Self {
            shared: Arc::new(Shared::new(transport, config)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.shared.transport
    }

    /// How many token exchanges this client (and its clones) started.
    pub fn token_exchanges(&self) -> u64 {
        self.shared.exchanges()
    }

    fn drive(&self, mut op: Operation, progress: Option<&ProgressFn>) -> Result<Outcome, Error> {
        let t = &self.shared.transport;
        op = op.with_jitter_seed(self.shared.seed());
        loop {
            match op.poll_output(t.now()) {
                Output::Transmit(tx) => {
                    let span = request_span(&tx);
                    let id = tx.id;
                    let r = span.in_scope(|| t.send(tx.request, tx.timeout));
                    record_status(&span, &r);
                    let now = t.now();
                    match r {
                        Ok(resp) => op.handle_response(id, resp, now, t.wall_clock()),
                        Err(e) => op.handle_transport_error(id, e, now),
                    }
                }
                Output::NeedToken { reject } => {
                    match self.shared_token(reject, Some(op.deadline())) {
                        Ok(Some(tok)) => op.handle_token(tok, t.now()),
                        Ok(None) => {}
                        Err(e) => op.handle_token_error(e, t.now()),
                    }
                }
                Output::Event(e) => on_event(&e, progress),
                Output::Timeout(at) => t.sleep_until(at),
                Output::Done(r) => return r,
                Output::Ended => return Err(unexpected(Outcome::Healthy)),
            }
        }
    }

    /// The shared token, exchanging it if needed. `Ok(None)` when
    /// `deadline` passed first.
    fn shared_token(
        &self,
        mut reject: Option<AccessToken>,
        deadline: Option<Instant>,
    ) -> Result<Option<AccessToken>, Error> {
        let cache = &self.shared.tokens;
        let transport = &self.shared.transport;
        loop {
            let mut slot = cache.lock();
            match slot.acquire(transport.now(), &mut reject) {
                Acquire::Use(t) => return Ok(Some(t)),
                Acquire::Wait(generation) => {
                    // Another caller leads the exchange; its own deadline and
                    // retries bound it.
                    while slot.exchanging && slot.generation == generation {
                        slot = cache.cond.wait(slot).unwrap_or_else(|e| e.into_inner());
                    }
                    if let Some(e) = slot.error_after(generation) {
                        return Err(e);
                    }
                }
                Acquire::Lead => {
                    drop(slot);
                    let mut guard = LeaderGuard { cache, armed: true };
                    let mut op = Operation::token(Arc::clone(&self.shared.config), transport.now());
                    if let Some(d) = deadline {
                        op = op.with_deadline(d);
                    }
                    let r =
                        op_span("token")
                            .in_scope(|| self.drive(op, None))
                            .and_then(|o| match o {
                                Outcome::Token(t) => Ok(t),
                                other => Err(unexpected(other)),
                            });
                    guard.armed = false;
                    if let Err(e @ Error::Timeout { .. }) = r {
                        cache.complete(None);
                        return Err(e);
                    }
                    cache.complete(Some(&r));
                    return r.map(Some);
                }
            }
        }
    }

    fn start(&self) -> std::time::Instant {
        self.shared.transport.now()
    }

    /// `GET /v1/health`: `Ok` when the service answers 2xx.
    pub fn health(&self) -> Result<(), Error> {
        let (op, span) = self.shared.health_op(self.start());
        span.in_scope(|| self.drive(op, None)).map(|_| ())
    }

    /// A usable access token: the shared one, or a fresh exchange.
    pub fn token(&self) -> Result<AccessToken, Error> {
        let deadline = self.shared.token_deadline(self.start());
        self.shared_token(None, Some(deadline))?
            .ok_or_else(|| token_timeout(&self.shared.config))
    }

    /// Asks `question` of workspace `dw`; returns its id at once.
    pub fn ask(&self, dw: impl Into<WorkspaceId>, question: &str) -> Result<QuestionId, Error> {
        let (op, span) = self.shared.ask_op(dw.into(), question, self.start());
        into_asked(span.in_scope(|| self.drive(op, None)))
    }

    /// Fetches a question's state and whatever results exist, once.
    pub fn results(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &ResultsOptions,
    ) -> Result<ResultsResponse, Error> {
        let (op, span) = self
            .shared
            .results_op(dw.into(), question_id, options, self.start());
        into_results(span.in_scope(|| self.drive(op, None)))
    }

    /// Polls a question until it completes, fails or the deadline passes.
    pub fn wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let (op, span) = self
            .shared
            .wait_op(dw.into(), question_id, options, self.start());
        expect_completed(span.in_scope(|| self.drive(op, options.progress.as_ref())))
    }

    /// Asks a question and waits for its results.
    pub fn ask_and_wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let (op, span) = self
            .shared
            .ask_and_wait_op(dw.into(), question, options, self.start());
        expect_completed(span.in_scope(|| self.drive(op, options.progress.as_ref())))
    }
}
