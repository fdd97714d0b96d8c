//! Progress on stderr while a question is waited for.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connecty_proto::{Event, ProgressFn};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Clone)]
pub enum Progress {
    /// Nothing (stderr is not a terminal).
    Quiet,
    /// A spinner with the state and the elapsed time.
    Spinner(ProgressBar),
    /// One plain line on stderr per change (`demo` off a terminal).
    Lines(Instant),
}

impl Progress {
    /// A spinner when stderr is a terminal, else nothing.
    pub fn spinner(message: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::Quiet;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress::Spinner(bar)
    }

    /// A spinner when stderr is a terminal, else plain lines.
    pub fn spinner_or_lines(message: &str) -> Progress {
        match Progress::spinner(message) {
            Progress::Quiet => {
                eprintln!("{message}");
                Progress::Lines(Instant::now())
            }
            p => p,
        }
    }

    /// The callback for `WaitOptions::progress`, if anything is shown.
    pub fn callback(&self) -> Option<ProgressFn> {
        match self {
            Progress::Quiet => None,
            Progress::Spinner(bar) => {
                let bar = bar.clone();
                let f: ProgressFn = Arc::new(move |e: &Event| {
                    if let Some(m) = describe(e) {
                        bar.set_message(m);
                    }
                });
                Some(f)
            }
            Progress::Lines(start) => {
                let start = *start;
                let f: ProgressFn = Arc::new(move |e: &Event| {
                    if let Some(m) = describe(e) {
                        eprintln!("{m} [{:.1}s]", start.elapsed().as_secs_f64());
                    }
                });
                Some(f)
            }
        }
    }

    /// Removes the spinner, before the answer is printed.
    pub fn finish(&self) {
        if let Progress::Spinner(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn describe(e: &Event) -> Option<String> {
    match e {
        Event::Asked { question_id } => Some(format!("question {question_id}: asked")),
        Event::StateChanged {
            question_id, state, ..
        } => Some(format!("question {question_id}: {state}")),
        Event::FetchingAllRows {
            question_id,
            max_rows,
        } => Some(format!(
            "question {question_id}: fetching all rows (up to {max_rows})"
        )),
        Event::Retrying {
            attempt,
            delay,
            reason,
            ..
        } => Some(format!(
            "attempt {attempt} failed ({}); retrying in {:.1}s",
            crate::format::escape_for_line(&crate::exit::redact(reason)),
            delay.as_secs_f64()
        )),
        _ => None,
    }
}
