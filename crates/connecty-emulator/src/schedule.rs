//! How long a question stays in each state.

use std::time::Duration;

/// How long a question stays in each state before its outcome shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time in `PENDING`, from when the question was asked.
    pub pending: Duration,
    /// Time in `IN_PROGRESS` after that (longer if the query still runs).
    pub in_progress: Duration,
}

impl Schedule {
    /// The default: 200 ms pending, then 600 ms in progress, so a demo
    /// shows progress without a long wait.
    pub const DEFAULT: Schedule = Schedule {
        pending: Duration::from_millis(200),
        in_progress: Duration::from_millis(600),
    };

    /// No waiting: the outcome shows as soon as the query has run.
    pub const IMMEDIATE: Schedule = Schedule {
        pending: Duration::ZERO,
        in_progress: Duration::ZERO,
    };

    /// 50 ms pending, then 100 ms in progress: every state shows, and a
    /// test that waits for the answer still runs in a fraction of a second.
    pub const QUICK: Schedule = Schedule {
        pending: Duration::from_millis(50),
        in_progress: Duration::from_millis(100),
    };
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::DEFAULT
    }
}
