//! The async driver: [`AsyncClient`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tracing::Instrument;

use super::tokens::{Acquire, LeaderGuard, TokenCache};
use super::{ProgressFn, Shared, WaitOptions, feed, feed_token, on_event, op_span, request_span};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::ids::{QuestionId, WorkspaceId};
use crate::machine::{Answer, Ask, AskAndWait, Call, Health, Operation, Output, Results, Wait};
use crate::query::ResultsOptions;
use crate::results::ResultsResponse;
use crate::secret::AccessToken;
use crate::transport::AsyncTransport;

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

/// Ready when exchange `generation` has ended.
struct ExchangeEnded<'a> {
    cache: &'a TokenCache,
    generation: u64,
}

impl Future for ExchangeEnded<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut g = self.cache.lock();
        if !g.slot.exchanging(self.generation) {
            return Poll::Ready(());
        }
        if !g.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            g.wakers.push(cx.waker().clone());
        }
        Poll::Pending
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

    /// Drives `op` to its end.
    async fn drive<C: Call>(
        &self,
        mut op: Operation<C>,
        progress: Option<&ProgressFn>,
    ) -> Result<C::Outcome, Error> {
        let t = &self.shared.transport;
        loop {
            match op.poll_output(t.now()) {
                Output::Transmit(tx) => {
                    let (id, span) = (tx.id, request_span(&tx));
                    let r = t
                        .send(tx.request, tx.timeout)
                        .instrument(span.clone())
                        .await;
                    feed(&mut op, id, r, &span, t.now(), t.wall_clock());
                }
                Output::NeedToken { reject } => {
                    let r = Box::pin(self.shared_token(reject, op.deadline())).await;
                    feed_token(&mut op, r, t.now());
                }
                Output::Event(e) => on_event(&e, progress),
                Output::Timeout(at) => t.sleep_until(at).await,
                Output::Done(r) => return r,
            }
        }
    }

    /// Makes `call` and waits for its outcome.
    async fn run<C: Call>(
        &self,
        call: C,
        timeout: Option<Duration>,
        progress: Option<&ProgressFn>,
        span: tracing::Span,
    ) -> Result<C::Outcome, Error> {
        let op = self
            .shared
            .operation(call, timeout, self.shared.transport.now());
        self.drive(op, progress).instrument(span).await
    }

    /// The shared token, exchanging it (within `deadline`) if needed.
    async fn shared_token(
        &self,
        mut reject: Option<AccessToken>,
        deadline: std::time::Instant,
    ) -> Result<AccessToken, Error> {
        let (cache, t) = (&self.shared.tokens, &self.shared.transport);
        loop {
            let step = cache.lock().slot.acquire(t.now(), &mut reject);
            match step {
                Acquire::Use(token) => return Ok(token),
                Acquire::Wait(generation) => {
                    // Another caller leads the exchange; its own deadline and
                    // retries bound it. (Racing a sleep here would jump a
                    // virtual clock to this caller's deadline.)
                    ExchangeEnded { cache, generation }.await;
                    if let Some(e) = cache.lock().slot.error_after(generation) {
                        return Err(e);
                    }
                }
                Acquire::Lead => {
                    let guard = LeaderGuard::new(cache);
                    let op = self.shared.exchange(deadline, t.now());
                    let r = self
                        .drive(op, None)
                        .instrument(op_span("token", None))
                        .await;
                    return guard.finish(r);
                }
            }
        }
    }

    /// `GET /v1/health`: `Ok` when the service answers 2xx.
    pub async fn health(&self) -> Result<(), Error> {
        self.run(Health, None, None, op_span("health", None)).await
    }

    /// A usable access token: the shared one, or a fresh exchange.
    pub async fn token(&self) -> Result<AccessToken, Error> {
        let deadline = self.shared.token_deadline(self.shared.transport.now());
        Box::pin(self.shared_token(None, deadline)).await
    }

    /// Asks `question` of workspace `dw`; returns its id at once.
    pub async fn ask(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
    ) -> Result<QuestionId, Error> {
        self.run(Ask::new(dw, question), None, None, op_span("ask", None))
            .await
    }

    /// Fetches a question's state and whatever results exist, once.
    pub async fn results(
        &self,
        dw: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: &ResultsOptions,
    ) -> Result<ResultsResponse, Error> {
        let call = Results::new(dw, question_id, *options);
        self.run(call, None, None, op_span("results", Some(question_id)))
            .await
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
        let call = Wait::new(dw, question_id, options.results).all_rows(options.all_rows);
        let span = op_span("wait", Some(question_id));
        self.run(call, options.timeout, options.progress.as_ref(), span)
            .await
    }

    /// Asks a question and waits for its results.
    pub async fn ask_and_wait(
        &self,
        dw: impl Into<WorkspaceId>,
        question: &str,
        options: &WaitOptions,
    ) -> Result<Answer, Error> {
        let call = AskAndWait::new(dw, question, options.results).all_rows(options.all_rows);
        let span = op_span("ask_and_wait", None);
        self.run(call, options.timeout, options.progress.as_ref(), span)
            .await
    }
}
