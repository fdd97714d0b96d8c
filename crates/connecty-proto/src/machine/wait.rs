//! The waiting calls, [`Wait`] and [`AskAndWait`], and the poller they
//! share.

use std::time::Instant;

use crate::error::{Asked, Error, InvalidInput};
use crate::ids::{QuestionId, WorkspaceId};
use crate::query::{ResultsOptions, validate_question};
use crate::response;
use crate::results::{QuestionResults, State};

use super::calls::{Answered, Authed, Cx, Next, plan::Plan};
use super::later;

/// A completed question: its id and results.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The question.
    pub question_id: QuestionId,
    /// Its results.
    pub results: QuestionResults,
}

/// Polls one question until it completes or fails.
#[derive(Debug, Clone)]
struct Poller {
    workspace: WorkspaceId,
    question_id: QuestionId,
    options: ResultsOptions,
    /// Polls answered with a state that is not final.
    polls: u32,
    /// When the wait began: the ask's answer, or the operation's start.
    since: Option<Instant>,
}

impl Poller {
    fn new(workspace: WorkspaceId, question_id: QuestionId, options: ResultsOptions) -> Self {
        Self {
            workspace,
            question_id,
            options,
            polls: 0,
            since: None,
        }
    }

    fn next(&self) -> Next<'_> {
        Next::Authed(Authed::Results {
            workspace: self.workspace,
            question_id: self.question_id,
            options: &self.options,
        })
    }

    fn answered(&mut self, response: http::Response<Vec<u8>>, cx: &mut Cx<'_>) -> Answered<Answer> {
        let q = self.question_id;
        let r = match response::parse_results(response) {
            Ok(r) => r,
            Err(e) => return Answered::Done(Err(e)),
        };
        cx.saw_state(q, &r.state);
        match r.state {
            State::Completed => Answered::Done(Ok(Answer {
                question_id: q,
                results: r.results.unwrap_or_default(),
            })),
            State::Failed => Answered::Done(Err(Error::QuestionFailed {
                question_id: q,
                reason: r.failure_reason(),
            })),
            _ => {
                // The first poll went at once; the n-th wait after it uses
                // delay(n), held to a fraction of the time waited.
                let n = self.polls;
                self.polls += 1;
                let since = *self.since.get_or_insert(cx.started);
                let waited = cx.now.saturating_duration_since(since);
                Answered::Again {
                    at: later(cx.now, cx.config.poll.delay_after(n, waited)),
                }
            }
        }
    }
}

/// Polls a question until it completes (the outcome is its [`Answer`]),
/// fails ([`Error::QuestionFailed`]) or the deadline passes.
#[derive(Debug, Clone)]
pub struct Wait {
    poller: Poller,
}

impl Wait {
    /// Waits on `question_id` of `workspace`; every poll carries `options`.
    pub fn new(
        workspace: impl Into<WorkspaceId>,
        question_id: QuestionId,
        options: ResultsOptions,
    ) -> Self {
        Self {
            poller: Poller::new(workspace.into(), question_id, options),
        }
    }
}

impl Plan for Wait {
    type Outcome = Answer;

    fn validate(&self) -> Result<(), InvalidInput> {
        self.poller.options.validate()
    }

    fn asked(&self) -> Asked {
        Asked::Yes(self.poller.question_id)
    }

    fn next(&self) -> Next<'_> {
        self.poller.next()
    }

    fn answered(&mut self, response: http::Response<Vec<u8>>, cx: &mut Cx<'_>) -> Answered<Answer> {
        self.poller.answered(response, cx)
    }
}

/// Asks a question, then waits for it like [`Wait`]: the first poll goes
/// as soon as the ask is answered.
#[derive(Debug, Clone)]
pub struct AskAndWait {
    workspace: WorkspaceId,
    question: String,
    options: ResultsOptions,
    /// Set once the question has its id.
    poller: Option<Poller>,
}

impl AskAndWait {
    /// Asks `question` of `workspace`, then polls with `options`.
    pub fn new(
        workspace: impl Into<WorkspaceId>,
        question: impl Into<String>,
        options: ResultsOptions,
    ) -> Self {
        Self {
            workspace: workspace.into(),
            question: question.into(),
            options,
            poller: None,
        }
    }
}

impl Plan for AskAndWait {
    type Outcome = Answer;

    fn validate(&self) -> Result<(), InvalidInput> {
        validate_question(&self.question)?;
        self.options.validate()
    }

    fn asked(&self) -> Asked {
        Asked::No
    }

    fn next(&self) -> Next<'_> {
        match &self.poller {
            None => Next::Authed(Authed::Ask {
                workspace: self.workspace,
                question: &self.question,
            }),
            Some(p) => p.next(),
        }
    }

    fn answered(&mut self, response: http::Response<Vec<u8>>, cx: &mut Cx<'_>) -> Answered<Answer> {
        if let Some(p) = &mut self.poller {
            return p.answered(response, cx);
        }
        match response::parse_ask(&response) {
            Ok(q) => {
                cx.asked(q);
                let mut p = Poller::new(self.workspace, q, self.options);
                p.since = Some(cx.now);
                self.poller = Some(p);
                // Poll at once, as the OpenAI, AWS and Databricks waiters
                // do: a cached or trivial answer is there already; slower
                // ones then follow the schedule.
                Answered::Again { at: cx.now }
            }
            Err(e) => Answered::Done(Err(e)),
        }
    }
}
