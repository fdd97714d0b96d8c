//! The questions asked: their state over time, what the emulator
//! remembers of them, and the `COMPLETED` body of an answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::body::{Results, ResultsBody, to_json};
use crate::query::ResultsQuery;
use crate::questions::KnownQuestion;
use crate::schedule::Schedule;
use crate::statistics::statistics;
use crate::values::QueryResult;

/// The most questions remembered; the oldest are forgotten first.
pub(crate) const MAX_QUESTIONS: usize = 10_000;

/// How a question is answered.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Sql(String),
    Known(&'static KnownQuestion),
}

impl Kind {
    pub(crate) fn sql(&self) -> &str {
        match self {
            Kind::Sql(s) => s,
            Kind::Known(k) => k.sql,
        }
    }
}

/// How a question ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Completed(Arc<QueryResult>),
    Failed(String),
}

/// One question asked: when, how it is answered (`None`: it cannot be),
/// and its outcome once known.
#[derive(Debug)]
pub(crate) struct Question {
    pub(crate) asked_at: Instant,
    pub(crate) kind: Option<Kind>,
    pub(crate) outcome: OnceLock<Outcome>,
}

/// The latest [`MAX_QUESTIONS`] questions, by id.
#[derive(Debug, Default)]
pub(crate) struct Questions {
    by_id: HashMap<Uuid, Arc<Question>>,
    order: VecDeque<Uuid>,
}

impl Questions {
    /// Remembers `q` as `id`, forgetting the oldest beyond the limit.
    pub(crate) fn insert(&mut self, id: Uuid, q: Arc<Question>) {
        while self.order.len() >= MAX_QUESTIONS {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        self.by_id.insert(id, q);
        self.order.push_back(id);
    }

    /// The question asked as `id`, if still remembered.
    pub(crate) fn get(&self, id: &Uuid) -> Option<Arc<Question>> {
        self.by_id.get(id).cloned()
    }
}

/// The public state of a question at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    InProgress,
    Done,
}

/// The state a question shows `elapsed` after it was asked: `PENDING` for
/// the schedule's pending time, then `IN_PROGRESS` for its in-progress time
/// and for as long as the query still runs, then its outcome.
pub(crate) fn phase(elapsed: Duration, schedule: Schedule, finished: bool) -> Phase {
    if elapsed < schedule.pending {
        Phase::Pending
    } else if elapsed < schedule.pending.saturating_add(schedule.in_progress) || !finished {
        Phase::InProgress
    } else {
        Phase::Done
    }
}

/// The `COMPLETED` body: only the included parts.
pub(crate) fn completed_body(
    q: &Question,
    r: &QueryResult,
    o: ResultsQuery,
    row_cap: usize,
) -> Vec<u8> {
    let results = Results {
        response_summary: o.summary.then(|| summary(q, r, o, row_cap)),
        sql_query: o
            .sqlquery
            .then(|| q.kind.as_ref().map(Kind::sql).unwrap_or("")),
        dataframe: o.dataframe.then(|| r.dataframe(o.max_rows)),
        dataframe_stats: o.statistics.then(|| statistics(r)),
    };
    to_json(&ResultsBody::Completed { results })
}

fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

/// An honest one-line summary of where the answer came from.
fn summary(q: &Question, r: &QueryResult, o: ResultsQuery, row_cap: usize) -> String {
    let mut s = match &q.kind {
        Some(Kind::Known(k)) => format!(
            "Emulator: {} from the SQL mapped to the known question \"{}\".",
            rows(r.rows),
            k.question
        ),
        _ => format!("Emulator: {} from the SQL as asked.", rows(r.rows)),
    };
    if r.capped {
        s.push_str(&format!(
            " The emulator kept only the first {} of the query's rows.",
            rows(row_cap)
        ));
    }
    if o.dataframe && r.rows > o.max_rows {
        s.push_str(&format!(
            " The dataframe holds the first {} (max_rows).",
            rows(o.max_rows)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schedule = Schedule {
        pending: Duration::from_millis(100),
        in_progress: Duration::from_millis(200),
    };

    #[test]
    fn phases_follow_the_schedule() {
        let ms = Duration::from_millis;
        assert_eq!(phase(ms(0), S, true), Phase::Pending);
        assert_eq!(phase(ms(99), S, true), Phase::Pending);
        assert_eq!(phase(ms(100), S, true), Phase::InProgress);
        assert_eq!(phase(ms(299), S, true), Phase::InProgress);
        assert_eq!(phase(ms(300), S, true), Phase::Done);
        // A query still running keeps the question in progress.
        assert_eq!(phase(ms(10_000), S, false), Phase::InProgress);
        let zero = Schedule {
            pending: Duration::ZERO,
            in_progress: Duration::ZERO,
        };
        assert_eq!(phase(ms(0), zero, true), Phase::Done);
        assert_eq!(phase(ms(0), zero, false), Phase::InProgress);
    }
}
