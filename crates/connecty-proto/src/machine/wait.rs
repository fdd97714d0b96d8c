//! The waiting calls, [`Wait`] and [`AskAndWait`], and the poller they
//! share.

use std::time::Instant;

use crate::completeness::{Completeness, completeness};
use crate::error::{Asked, DecodeError, Error, InvalidInput};
use crate::ids::{QuestionId, WorkspaceId};
use crate::query::{Include, MAX_ROWS_LIMIT, ResultsOptions, validate_question};
use crate::response;
use crate::results::{QuestionResults, State};
use crate::stats::Statistics;

use super::calls::{Answered, Authed, Cx, Next, plan::Plan};
use super::later;
use super::output::Event;

/// A completed question: its id and results.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The question.
    pub question_id: QuestionId,
    /// Its results.
    pub results: QuestionResults,
    /// The `max_rows` the dataframe was fetched with (`None`: none was
    /// sent, so the server's 1,000 applied).
    pub max_rows: Option<u32>,
}

impl Answer {
    /// Whether the dataframe holds every row of the answer; `None` without
    /// a dataframe. See [`Completeness`].
    pub fn completeness(&self) -> Option<Completeness> {
        self.results.completeness(self.max_rows)
    }
}

/// Where a poller stands.
#[derive(Debug, Clone)]
enum Stage {
    /// Polling until a final state.
    Polling,
    /// Completed with a cut frame: fetching all rows with `options`.
    Fetching {
        options: ResultsOptions,
        /// The statistics of the poll that saw `COMPLETED`.
        statistics: Option<Statistics>,
        /// `max_rows` was chosen by what the body limit holds, not by a
        /// known total: a full frame is still cut.
        by_limit: bool,
    },
}

/// Polls one question until it completes or fails, then (for all rows)
/// fetches the rest.
#[derive(Debug, Clone)]
struct Poller {
    workspace: WorkspaceId,
    question_id: QuestionId,
    /// The caller's options.
    options: ResultsOptions,
    /// What each poll asks: the caller's options, plus `statistics` when
    /// all rows are wanted.
    poll_options: ResultsOptions,
    all_rows: bool,
    /// Polls answered with a state that is not final.
    polls: u32,
    /// When the wait began: the ask's answer, or the operation's start.
    since: Option<Instant>,
    stage: Stage,
}

impl Poller {
    fn new(
        workspace: WorkspaceId,
        question_id: QuestionId,
        options: ResultsOptions,
        all_rows: bool,
    ) -> Self {
        let all_rows = all_rows && options.include.contains(Include::Dataframe);
        let mut poll_options = options;
        if all_rows {
            // Free while the question runs; on COMPLETED they give the total.
            poll_options.include = options.include.with(Include::Statistics);
        }
        Self {
            workspace,
            question_id,
            options,
            poll_options,
            all_rows,
            polls: 0,
            since: None,
            stage: Stage::Polling,
        }
    }

    fn next(&self) -> Next<'_> {
        let options = match &self.stage {
            Stage::Polling => &self.poll_options,
            Stage::Fetching { options, .. } => options,
        };
        Next::Authed(Authed::Results {
            workspace: self.workspace,
            question_id: self.question_id,
            options,
        })
    }

    fn answer(&self, results: QuestionResults, max_rows: Option<u32>) -> Answered<Answer> {
        Answered::Done(Ok(Answer {
            question_id: self.question_id,
            results,
            max_rows,
        }))
    }

    fn answered(&mut self, response: http::Response<Vec<u8>>, cx: &mut Cx<'_>) -> Answered<Answer> {
        let q = self.question_id;
        let r = match response::parse_results(response) {
            Ok(r) => r,
            Err(e) => return Answered::Done(Err(e)),
        };
        cx.saw_state(q, &r.state);
        match (r.state.clone(), &self.stage) {
            (State::Completed, Stage::Polling) => self.completed(r.results.unwrap_or_default(), cx),
            (State::Completed, Stage::Fetching { .. }) => {
                self.fetched(r.results.unwrap_or_default(), cx)
            }
            (State::Failed, _) => Answered::Done(Err(Error::QuestionFailed {
                question_id: q,
                reason: r.failure_reason(),
            })),
            (state, Stage::Fetching { .. }) => Answered::Done(Err(DecodeError::new(
                "$.state",
                format!("the question was COMPLETED, then its results answered state {state}"),
                b"",
            )
            .into())),
            (_, Stage::Polling) => {
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

    /// The poll saw `COMPLETED` with `results`: done, or fetch the rest.
    fn completed(&mut self, results: QuestionResults, cx: &mut Cx<'_>) -> Answered<Answer> {
        let asked = self.options.max_rows;
        let (Some(df), true) = (&results.dataframe, self.all_rows) else {
            return self.answer(results, asked);
        };
        let rows = df.len() as u64;
        let verdict = completeness(rows, asked, results.dataframe_stats.as_ref());
        let (at_least, at_most) = match verdict {
            Completeness::Cut {
                at_least, at_most, ..
            } => (at_least, at_most),
            Completeness::Unknown { rows, at_most } => (rows, at_most),
            _ => return self.answer(results, asked),
        };
        // Bytes a row takes, from the rows received (the header counts as
        // one); `None` for an empty frame.
        let per_row = (rows > 0).then(|| (df.raw_json().len() as u64).div_ceil(rows + 1));
        let limit = cx.config.body_limit;
        let too_large = |estimated_bytes| {
            Answered::Done(Err(Error::AnswerTooLarge {
                question_id: self.question_id,
                rows_at_least: at_least,
                estimated_bytes,
                body_limit: limit,
            }))
        };
        let (max_rows, by_limit) = match (at_most, per_row) {
            // The statistics bound the total: fetch that many, if they fit.
            (Some(total), Some(per_row)) => {
                let estimate = per_row.saturating_mul(total.saturating_add(1));
                if estimate > limit {
                    return too_large(Some(estimate));
                }
                (total, false)
            }
            (Some(total), None) => (total, false),
            // No total: as many rows as the body limit holds, one request.
            (None, per_row) => {
                let fits = per_row.map_or(u64::MAX, |b| (limit / b).saturating_sub(1));
                if fits <= at_least {
                    return too_large(per_row.map(|b| b.saturating_mul(at_least + 1)));
                }
                (fits, true)
            }
        };
        let max_rows = max_rows.min(u64::from(MAX_ROWS_LIMIT)) as u32;
        cx.events.push_back(Event::FetchingAllRows {
            question_id: self.question_id,
            max_rows,
        });
        self.stage = Stage::Fetching {
            options: ResultsOptions {
                include: self.options.include,
                max_rows: Some(max_rows),
            },
            statistics: results.dataframe_stats,
            by_limit,
        };
        Answered::Again { at: cx.now }
    }

    /// The rest was fetched.
    fn fetched(&mut self, mut results: QuestionResults, cx: &Cx<'_>) -> Answered<Answer> {
        let Stage::Fetching {
            options,
            statistics,
            by_limit,
        } = std::mem::replace(&mut self.stage, Stage::Polling)
        else {
            return self.answer(results, self.options.max_rows);
        };
        let rows = results.dataframe.as_ref().map_or(0, |df| df.len() as u64);
        let max_rows = options.max_rows.unwrap_or(MAX_ROWS_LIMIT);
        if by_limit && rows >= u64::from(max_rows) {
            // As many rows as the limit holds, and maybe more.
            let per_row = results
                .dataframe
                .as_ref()
                .map(|df| (df.raw_json().len() as u64).div_ceil(rows + 1));
            return Answered::Done(Err(Error::AnswerTooLarge {
                question_id: self.question_id,
                rows_at_least: rows,
                estimated_bytes: per_row.map(|b| b.saturating_mul(rows + 1)),
                body_limit: cx.config.body_limit,
            }));
        }
        if results.dataframe_stats.is_none() {
            // The statistics of the whole answer, as counted before.
            results.dataframe_stats = statistics;
        }
        self.answer(results, Some(max_rows))
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
            poller: Poller::new(workspace.into(), question_id, options, false),
        }
    }

    /// Returns every row of the answer, fetching the rest once the question
    /// completes with a cut frame (see
    /// [`WaitOptions::all_rows`](crate::WaitOptions::all_rows)).
    #[must_use]
    pub fn all_rows(mut self, all_rows: bool) -> Self {
        let p = &self.poller;
        self.poller = Poller::new(p.workspace, p.question_id, p.options, all_rows);
        self
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
    all_rows: bool,
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
            all_rows: false,
            poller: None,
        }
    }

    /// Returns every row of the answer, as [`Wait::all_rows`].
    #[must_use]
    pub fn all_rows(mut self, all_rows: bool) -> Self {
        self.all_rows = all_rows;
        self
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
                let mut p = Poller::new(self.workspace, q, self.options, self.all_rows);
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
