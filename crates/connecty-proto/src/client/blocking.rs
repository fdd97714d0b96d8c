//! The blocking driver: [`BlockingClient`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::tokens::{Acquire, LeaderGuard};
use super::{ProgressFn, Shared, WaitOptions, feed, feed_token, on_event, op_span, request_span};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::ids::{QuestionId, WorkspaceId};
use crate::machine::{Answer, Ask, AskAndWait, Call, Health, Operation, Output, Results, Wait};
use crate::query::ResultsOptions;
use crate::results::ResultsResponse;
use crate::secret::AccessToken;
use crate::transport::BlockingTransport;

/// The blocking client, generic over a [`BlockingTransport`]. The same
/// methods as [`AsyncClient`](super::AsyncClient), without `.await`.
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

    /// Drives `op` to its end.
    fn drive<C: Call>(
        &self,
        mut op: Operation<C>,
        progress: Option<&ProgressFn>,
    ) -> Result<C::Outcome, Error> {
        let t = &self.shared.transport;
        loop {
            match op.poll_output(t.now()) {
                Output::Transmit(tx) => {
                    let (id, span) = (tx.id, request_span(&tx));
                    let r = span.in_scope(|| t.send(tx.request, tx.timeout));
                    feed(&mut op, id, r, &span, t.now(), t.wall_clock());
                }
                Output::NeedToken { reject } => {
                    let r = self.shared_token(reject, op.deadline());
                    feed_token(&mut op, r, t.now());
                }
                Output::Event(e) => on_event(&e, progress),
                Output::Timeout(at) => t.sleep_until(at),
                Output::Done(r) => return r,
            }
        }
    }

    /// Makes `call` and waits for its outcome.
    fn run<C: Call>(
        &self,
        call: C,
        timeout: Option<Duration>,
        progress: Option<&ProgressFn>,
        span: tracing::Span,
    ) -> Result<C::Outcome, Error> {
        let op = self
            .shared
            .operation(call, timeout, self.shared.transport.now());
        span.in_scope(|| self.drive(op, progress))
    }

    /// The shared token, exchanging it (within `deadline`) if needed.
    fn shared_token(
        &self,
        mut reject: Option<AccessToken>,
        deadline: std::time::Instant,
    ) -> Result<AccessToken, Error> {
        let (cache, t) = (&self.shared.tokens, &self.shared.transport);
        loop {
            let mut g = cache.lock();
            match g.slot.acquire(t.now(), &mut reject) {
                Acquire::Use(token) => return Ok(token),
                Acquire::Wait(generation) => {
                    // Another caller leads the exchange; its own deadline and
                    // retries bound it.
                    while g.slot.exchanging(generation) {
                        g = cache.cond.wait(g).unwrap_or_else(|e| e.into_inner());
                    }
                    if let Some(e) = g.slot.error_after(generation) {
                        return Err(e);
                    }
                }
                Acquire::Lead => {
                    drop(g);
                    let guard = LeaderGuard::new(cache);
                    let op = self.shared.exchange(deadline, t.now());
                    let r = op_span("token", None).in_scope(|| self.drive(op, None));
                    return guard.finish(r);
                }
            }
        }
    }

    /// `GET /v1/health`: `Ok` when the service answers 2xx.
    pub fn health(&self) -> Result<(), Error> {
        self.run(Health, None, None, op_span("health", None))
    }

    /// A usable access token: the shared one, or a fresh exchange.
    pub fn token(&self) -> Result<AccessToken, Error> {
        let deadline = self.shared.token_deadline(self.shared.transport.now());
        self.shared_token(None, deadline)
    }

    /// Asks `question` of workspace `dw`; returns its id at once.
    pub fn ask(&self, dw: impl Into<WorkspaceId>, question: &str) -> Result<QuestionId, Error> {
        self.run(Ask::new(dw, question), None, None, op_span("ask", None))
    }

    /// Fetches a question's state and whatever results exist, once.
    pub fn results(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &ResultsOptions,
    ) -> Result<ResultsResponse, Error> {
        let call = Results::new(dw, question_id, *options);
        self.run(call, None, None, op_span("results", Some(question_id)))
    }

    /// Polls a question until it completes, fails or the deadline passes.
    pub fn wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let call = Wait::new(dw, question_id, options.results).all_rows(options.all_rows);
        let span = op_span("wait", Some(question_id));
        self.run(call, options.timeout, options.progress.as_ref(), span)
    }

    /// Asks a question and waits for its results.
    pub fn ask_and_wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let call = AskAndWait::new(dw, question, options.results).all_rows(options.all_rows);
        let span = op_span("ask_and_wait", None);
        self.run(call, options.timeout, options.progress.as_ref(), span)
    }
}
