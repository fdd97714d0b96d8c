//! The options of `wait` and `ask_and_wait`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::machine::Event;
use crate::query::{IncludeSet, ResultsOptions};

/// A callback that sees every [`Event`]: each state change, the question's
/// id when asked, and each retry.
pub type ProgressFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// Options of `wait` and `ask_and_wait`.
///
/// Defaults: the dataframe only (`include`), **at most 1,000 rows**
/// (`max_rows` unset, so the server's default,
/// [`DEFAULT_MAX_ROWS`](crate::DEFAULT_MAX_ROWS), applies; see
/// [`completeness`](crate::Answer::completeness) to know whether an answer
/// was cut, and [`all_rows`](Self::all_rows) to fetch the rest), the
/// client's overall deadline (20 minutes unless the builder sets another),
/// no progress callback.
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
    /// Return every row of the answer, not only the first `max_rows`: see
    /// [`all_rows`](Self::all_rows).
    pub all_rows: bool,
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
    /// at most 1,000 ([`DEFAULT_MAX_ROWS`](crate::DEFAULT_MAX_ROWS)).
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

    /// Returns every row of the answer. The polls then also ask for the
    /// `statistics` (they cost nothing while the question runs), and once
    /// the question is `COMPLETED`:
    ///
    /// - if the frame holds every row (fewer than `max_rows`, or as many as
    ///   the statistics count), nothing more is sent;
    /// - if the statistics give the total, **one** more `GET` fetches it
    ///   with `max_rows` set to that total;
    /// - if nothing gives the total, one more `GET` asks for as many rows
    ///   as the body limit can hold (estimated from the rows already
    ///   received); if that is still not all, the call ends in
    ///   [`Error::AnswerTooLarge`](crate::Error::AnswerTooLarge).
    ///
    /// The question is never asked again. An answer whose estimated size
    /// is above the body limit ends in [`Error::AnswerTooLarge`](crate::Error::AnswerTooLarge)
    /// before anything is fetched (raise it with `ClientBuilder::body_limit`).
    /// The statistics the polls fetched stay in the answer even if
    /// `include` did not ask for them: they are what lets
    /// [`Answer::completeness`](crate::Answer::completeness) prove the
    /// answer whole.
    #[must_use]
    pub fn all_rows(mut self, all_rows: bool) -> Self {
        self.all_rows = all_rows;
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
            .field("all_rows", &self.all_rows)
            .finish()
    }
}
