//! What an [`Operation`](super::Operation) hands its driver.

use std::time::{Duration, Instant};

use crate::error::Error;
use crate::ids::QuestionId;
use crate::request::Endpoint;
use crate::results::State;
use crate::secret::AccessToken;

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
    /// A poll answered (every poll, the state changed or not; after
    /// [`StateChanged`](Event::StateChanged) when it did): for displays
    /// and protocols that show a long wait is alive, such as MCP's
    /// progress notifications.
    Polled {
        /// The question.
        question_id: QuestionId,
        /// Its state at this poll.
        state: State,
        /// Polls of this question so far in this operation (1 is the
        /// first).
        polls: u32,
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
    /// The question completed with a cut dataframe and all rows were asked
    /// for: the rest is being fetched with a larger `max_rows`.
    FetchingAllRows {
        /// The question.
        question_id: QuestionId,
        /// The `max_rows` of the fetch.
        max_rows: u32,
    },
}

/// What the driver must do next. `O` is the call's outcome
/// ([`Call::Outcome`](super::Call)).
#[derive(Debug)]
#[must_use]
pub enum Output<O> {
    /// Send this request, then call
    /// [`Operation::handle_response`](super::Operation::handle_response) or
    /// [`Operation::handle_transport_error`](super::Operation::handle_transport_error).
    Transmit(Transmit),
    /// An access token is needed. Get one (from a shared cache, exchanging
    /// if needed) and call
    /// [`Operation::handle_token`](super::Operation::handle_token), or
    /// [`Operation::handle_token_error`](super::Operation::handle_token_error).
    /// `reject` is a token the server refused or that is too old: do not
    /// hand it back.
    NeedToken {
        /// The token not to hand back, if any.
        reject: Option<AccessToken>,
    },
    /// Report this event, then poll again.
    Event(Event),
    /// Nothing to do before this instant: sleep until then, then poll again.
    Timeout(Instant),
    /// The operation ended. Emitted once: a driver returns here.
    Done(Result<O, Error>),
}
