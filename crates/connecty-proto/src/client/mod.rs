//! The drivers: [`AsyncClient`] and [`BlockingClient`], written once
//! against the transport traits.
//!
//! Both offer the same methods (`health`, `token`, `ask`, `results`,
//! `wait`, `ask_and_wait`). Each method makes one typed [`Operation`]
//! ([`Health`], [`Token`], [`Ask`], [`Results`], [`Wait`], [`AskAndWait`])
//! and drives it to its `Done`.
//!
//! Concurrent operations on one client share one access token and one
//! in-flight token exchange: fifty questions asked at once against a fresh
//! client make one token request (`tokens.rs`).
//!
//! This module holds what both drive loops share and is not `await`:
//! building an operation and its span, feeding an answer back, events and
//! tracing. The loops themselves (`asynchronous.rs`, `blocking.rs`) are
//! deliberate near-copies, one awaiting and one blocking.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::ClientConfig;
use crate::error::{Error, TransportError};
use crate::ids::QuestionId;
use crate::machine::{Call, Event, Operation, RequestId, Token, Transmit, later};
use crate::secret::AccessToken;

mod asynchronous;
mod blocking;
mod options;
mod tokens;

pub use asynchronous::AsyncClient;
pub use blocking::BlockingClient;
pub use options::{ProgressFn, WaitOptions};

#[cfg(doc)]
use crate::machine::{Ask, AskAndWait, Health, Results, Wait};

/// What a client's clones share.
struct Shared<T> {
    transport: T,
    config: Arc<ClientConfig>,
    tokens: tokens::TokenCache,
    seeds: AtomicU64,
    random: std::collections::hash_map::RandomState,
}

impl<T> Shared<T> {
    fn new(transport: T, config: ClientConfig) -> Self {
        Self {
            transport,
            config: Arc::new(config),
            tokens: tokens::TokenCache::default(),
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
        self.tokens.lock().slot.exchanges()
    }

    /// The operation making `call` from `now`, with its jitter seeded and
    /// `timeout` (else the configured default) as its deadline.
    fn operation<C: Call>(&self, call: C, timeout: Option<Duration>, now: Instant) -> Operation<C> {
        Operation::new(Arc::clone(&self.config), call, now)
            .with_timeout(timeout)
            .with_jitter_seed(self.seed())
    }

    /// The token exchange an operation ending at `deadline` leads.
    fn exchange(&self, deadline: Instant, now: Instant) -> Operation<Token> {
        self.operation(Token, None, now).with_deadline(deadline)
    }

    /// The deadline of a token asked for outside an operation.
    fn token_deadline(&self, now: Instant) -> Instant {
        later(now, self.config.default_deadline)
    }
}

/// The span of one public call.
fn op_span(name: &'static str, question_id: Option<QuestionId>) -> tracing::Span {
    let span = tracing::info_span!(
        "connecty.operation",
        op = name,
        question_id = tracing::field::Empty,
        state = tracing::field::Empty
    );
    if let Some(q) = question_id {
        span.record("question_id", tracing::field::display(q));
    }
    span
}

fn request_span(t: &Transmit) -> tracing::Span {
    tracing::debug_span!(
        "connecty.request",
        method = %t.request.method(),
        path = t.request.uri().path(),
        endpoint = t.endpoint.name(),
        attempt = t.attempt,
        status = tracing::field::Empty
    )
}

/// Logs `event` and hands it to the progress callback.
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
        Event::Polled { state, polls, .. } => {
            tracing::trace!(%state, polls, "polled");
        }
        Event::Retrying {
            endpoint,
            attempt,
            delay,
            reason,
        } => {
            tracing::info!(endpoint = endpoint.name(), attempt, ?delay, %reason, "retrying");
        }
        Event::FetchingAllRows { max_rows, .. } => {
            tracing::debug!(max_rows, "fetching all rows");
        }
    }
    if let Some(p) = progress {
        p(event);
    }
}

/// Feeds the answer to request `id` (or its transport failure) back to
/// `op`, recording it on the request's span.
fn feed<C: Call>(
    op: &mut Operation<C>,
    id: RequestId,
    r: Result<http::Response<Vec<u8>>, TransportError>,
    span: &tracing::Span,
    now: Instant,
    wall_now: DateTime<Utc>,
) {
    match r {
        Ok(resp) => {
            span.record("status", resp.status().as_u16());
            tracing::debug!(parent: span, status = resp.status().as_u16(), bytes = resp.body().len(), "response");
            op.handle_response(id, resp, now, wall_now);
        }
        Err(e) => {
            tracing::debug!(parent: span, kind = ?e.kind, error = %e.message, "transport error");
            op.handle_transport_error(id, e, now);
        }
    }
}

/// Feeds the token `op` asked for, or why there is none.
fn feed_token<C: Call>(op: &mut Operation<C>, r: Result<AccessToken, Error>, now: Instant) {
    match r {
        Ok(t) => op.handle_token(t, now),
        Err(e) => op.handle_token_error(e, now),
    }
}
