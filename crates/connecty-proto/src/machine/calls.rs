//! The calls an [`Operation`](super::Operation) can make. Each carries its
//! own data and has its own outcome ([`Call::Outcome`]).

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::config::ClientConfig;
use crate::error::{Asked, Error, InvalidInput};
use crate::ids::{QuestionId, WorkspaceId};
use crate::query::{ResultsOptions, validate_question};
use crate::request::{self, Endpoint};
use crate::response;
use crate::results::{ResultsResponse, State};
use crate::secret::AccessToken;

use super::output::Event;

/// One call of the API, with its data; `Outcome` is what it ends with.
///
/// Implemented by [`Health`], [`Token`], [`Ask`], [`Results`],
/// [`Wait`](super::Wait) and [`AskAndWait`](super::AskAndWait). Sealed: the
/// engine's contract with the calls is private, so it can change without
/// breaking callers.
pub trait Call: plan::Plan {}

impl<T: plan::Plan> Call for T {}

/// The request a call wants sent next.
#[derive(Debug)]
pub enum Next<'a> {
    /// A request without a token.
    Plain(Plain),
    /// A request the engine sends only with a token in hand.
    Authed(Authed<'a>),
}

/// Requests that carry no token.
#[derive(Debug, Clone, Copy)]
pub enum Plain {
    Health,
    Token,
}

/// Requests that carry the access token.
#[derive(Debug)]
pub enum Authed<'a> {
    Ask {
        workspace: WorkspaceId,
        question: &'a str,
    },
    Results {
        workspace: WorkspaceId,
        question_id: QuestionId,
        options: &'a ResultsOptions,
    },
}

impl Plain {
    /// The request, without a token.
    pub fn request(self, cfg: &ClientConfig) -> Result<http::Request<Vec<u8>>, InvalidInput> {
        let (base, ua) = (&cfg.base_url, cfg.user_agent.as_str());
        match self {
            Plain::Health => request::health(base, ua),
            Plain::Token => match &cfg.credentials {
                Some(c) => request::token(base, ua, c),
                None => Err(InvalidInput::new(
                    crate::ENV_CLIENT_ID,
                    "no credentials configured: set CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET",
                )),
            },
        }
    }
}

impl Authed<'_> {
    /// The request, carrying `token`.
    pub fn request(
        &self,
        cfg: &ClientConfig,
        token: &AccessToken,
    ) -> Result<http::Request<Vec<u8>>, InvalidInput> {
        let (base, ua) = (&cfg.base_url, cfg.user_agent.as_str());
        match *self {
            Authed::Ask {
                workspace,
                question,
            } => request::ask(base, ua, token, workspace, question),
            Authed::Results {
                workspace,
                question_id,
                options,
            } => request::results(base, ua, token, workspace, question_id, options),
        }
    }
}

impl Next<'_> {
    pub fn endpoint(&self) -> Endpoint {
        match self {
            Next::Plain(Plain::Health) => Endpoint::Health,
            Next::Plain(Plain::Token) => Endpoint::Token,
            Next::Authed(Authed::Ask { .. }) => Endpoint::Ask,
            Next::Authed(Authed::Results { .. }) => Endpoint::Results,
        }
    }

    /// What a 404 or 403 refers to.
    pub fn target(&self) -> Option<(WorkspaceId, Option<QuestionId>)> {
        match self {
            Next::Plain(_) => None,
            Next::Authed(Authed::Ask { workspace, .. }) => Some((*workspace, None)),
            Next::Authed(Authed::Results {
                workspace,
                question_id,
                ..
            }) => Some((*workspace, Some(*question_id))),
        }
    }
}

/// What a call says after a 2xx answer.
#[derive(Debug)]
pub enum Answered<O> {
    /// The operation ends with this.
    Done(Result<O, Error>),
    /// Send `next()` at `at` (a poll, or the first poll after the ask).
    Again { at: Instant },
}

/// What the engine lends a call while it reads an answer.
pub struct Cx<'a> {
    pub now: Instant,
    pub wall_now: DateTime<Utc>,
    pub started: Instant,
    pub config: &'a ClientConfig,
    pub events: &'a mut VecDeque<Event>,
    pub asked: &'a mut Asked,
    pub last_state: &'a mut Option<State>,
    pub polls: &'a mut u32,
}

impl Cx<'_> {
    /// The question was accepted with id `q`.
    pub fn asked(&mut self, q: QuestionId) {
        *self.asked = Asked::Yes(q);
        self.events.push_back(Event::Asked { question_id: q });
    }

    /// A poll of `q` saw `state`: reported at every poll, and as a change
    /// when it differs from the last.
    pub fn saw_state(&mut self, q: QuestionId, state: &State) {
        let elapsed = self.now.saturating_duration_since(self.started);
        if self.last_state.as_ref() != Some(state) {
            *self.last_state = Some(state.clone());
            self.events.push_back(Event::StateChanged {
                question_id: q,
                state: state.clone(),
                elapsed,
            });
        }
        *self.polls = self.polls.saturating_add(1);
        self.events.push_back(Event::Polled {
            question_id: q,
            state: state.clone(),
            polls: *self.polls,
            elapsed,
        });
    }
}

pub mod plan {
    use super::*;

    /// The engine's contract with a call. Public in a private module: a
    /// caller can name [`Call`](super::Call) and `C::Outcome`, not this.
    pub trait Plan: fmt::Debug + Send {
        /// What the call ends with.
        type Outcome: fmt::Debug + Send;

        /// Refuses bad input before anything is sent.
        fn validate(&self) -> Result<(), InvalidInput>;

        /// Where the question stands before anything is sent.
        fn asked(&self) -> Asked;

        /// The request to send now.
        fn next(&self) -> Next<'_>;

        /// Reads a 2xx answer to `next()`.
        fn answered(
            &mut self,
            response: http::Response<Vec<u8>>,
            cx: &mut Cx<'_>,
        ) -> Answered<Self::Outcome>;
    }
}

/// `GET /v1/health`; ends with `()` when the service answers 2xx.
#[derive(Debug, Clone, Copy, Default)]
pub struct Health;

impl plan::Plan for Health {
    type Outcome = ();

    fn validate(&self) -> Result<(), InvalidInput> {
        Ok(())
    }

    fn asked(&self) -> Asked {
        Asked::NoQuestion
    }

    fn next(&self) -> Next<'_> {
        Next::Plain(Plain::Health)
    }

    fn answered(&mut self, _: http::Response<Vec<u8>>, _: &mut Cx<'_>) -> Answered<()> {
        Answered::Done(Ok(()))
    }
}

/// `POST /v1/auth/token`: exchanges the configured credentials; ends with a
/// fresh [`AccessToken`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Token;

impl plan::Plan for Token {
    type Outcome = AccessToken;

    fn validate(&self) -> Result<(), InvalidInput> {
        Ok(())
    }

    fn asked(&self) -> Asked {
        Asked::NoQuestion
    }

    fn next(&self) -> Next<'_> {
        Next::Plain(Plain::Token)
    }

    fn answered(
        &mut self,
        response: http::Response<Vec<u8>>,
        cx: &mut Cx<'_>,
    ) -> Answered<AccessToken> {
        Answered::Done(response::parse_token(&response, cx.now, cx.wall_now))
    }
}

/// `POST /v1/dw/{workspace}/questions`: asks `question`; ends with its id,
/// without waiting for the answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ask {
    /// The data workspace.
    pub workspace: WorkspaceId,
    /// The question.
    pub question: String,
}

impl Ask {
    /// Asks `question` of `workspace`.
    pub fn new(workspace: impl Into<WorkspaceId>, question: impl Into<String>) -> Self {
        Self {
            workspace: workspace.into(),
            question: question.into(),
        }
    }
}

impl plan::Plan for Ask {
    type Outcome = QuestionId;

    fn validate(&self) -> Result<(), InvalidInput> {
        validate_question(&self.question)
    }

    fn asked(&self) -> Asked {
        Asked::No
    }

    fn next(&self) -> Next<'_> {
        Next::Authed(Authed::Ask {
            workspace: self.workspace,
            question: &self.question,
        })
    }

    fn answered(
        &mut self,
        response: http::Response<Vec<u8>>,
        cx: &mut Cx<'_>,
    ) -> Answered<QuestionId> {
        let r = response::parse_ask(&response);
        if let Ok(q) = r {
            cx.asked(q);
        }
        Answered::Done(r)
    }
}

/// `GET /v1/dw/{workspace}/questions/{question_id}/results`, once; ends
/// with the state and whatever results exist.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Results {
    /// The data workspace.
    pub workspace: WorkspaceId,
    /// The question.
    pub question_id: QuestionId,
    /// Components and row limit.
    pub options: ResultsOptions,
}

impl Results {
    /// Fetches `question_id`'s results once.
    pub fn new(
        workspace: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: ResultsOptions,
    ) -> Self {
        Self {
            workspace: workspace.into(),
            question_id,
            options,
        }
    }
}

impl plan::Plan for Results {
    type Outcome = ResultsResponse;

    fn validate(&self) -> Result<(), InvalidInput> {
        self.options.validate()
    }

    fn asked(&self) -> Asked {
        Asked::Yes(self.question_id)
    }

    fn next(&self) -> Next<'_> {
        Next::Authed(Authed::Results {
            workspace: self.workspace,
            question_id: self.question_id,
            options: &self.options,
        })
    }

    fn answered(
        &mut self,
        response: http::Response<Vec<u8>>,
        cx: &mut Cx<'_>,
    ) -> Answered<ResultsResponse> {
        let r = response::parse_results(response);
        if let Ok(r) = &r {
            cx.saw_state(self.question_id, &r.state);
        }
        Answered::Done(r)
    }
}
