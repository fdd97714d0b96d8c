//! Waiting for an answer with a spinner, and printing a question's results
//! in any format: what ask, results, shell and demo share.

use std::sync::{Arc, Mutex, PoisonError};

use connecty_proto::Members;
use connecty_proto::{
    Answer, Error, Event, Include, IncludeSet, ProgressFn, QuestionId, QuestionResults,
    ResultsOptions, State, Statistics, WaitOptions, WorkspaceId,
};

use crate::cli::ResultOptions;
use crate::client::{AnyClient, WaitFor, Waited};
use crate::exit::{Context, ExitStatus, Failure, Outcome, failure, resume_command};
use crate::format::{self, Format, TableOptions};
use crate::output::Output;
use crate::progress::Progress;
use crate::truncation::{self, Knobs};

/// A question's state and results, as one command shows them.
pub struct Shown<'a> {
    /// The question.
    pub question_id: &'a QuestionId,
    /// Its state.
    pub state: &'a State,
    /// Its results, when it has any.
    pub results: Option<&'a QuestionResults>,
    /// Other top-level fields the API sent (json carries them).
    pub extra: Option<&'a Members>,
    /// Whether to show the state (above a table; on stderr for csv,
    /// ndjson and markdown; json always carries it).
    pub show_state: bool,
    /// The answer's statistics when they are not shown (all rows fetched
    /// them unasked): the binary formats still type empty columns by them.
    pub unshown_statistics: Option<&'a Statistics>,
}

/// The state of every answer a wait returns.
static COMPLETED: State = State::Completed;

impl<'a> Shown<'a> {
    /// A COMPLETED answer, as a wait returns it.
    pub fn answer(answer: &'a Answer, show_state: bool) -> Self {
        Shown {
            question_id: &answer.question_id,
            state: &COMPLETED,
            results: Some(&answer.results),
            extra: None,
            show_state,
            unshown_statistics: None,
        }
    }
}

/// What a wait asked for, to word the note of a cut answer.
#[derive(Debug, Clone, Copy)]
pub struct Asking {
    /// The components `--include` asked for.
    pub include: IncludeSet,
    /// Whether every row was asked for.
    pub all_rows: bool,
    /// How the note names the settings.
    pub knobs: &'static Knobs,
}

/// Prints a waited answer, then, on stderr, a note when it may be cut.
/// Statistics that all rows fetched only to count the rows are not shown
/// unless `--include` asked for them.
pub fn print_answer(
    output: &Output<'_>,
    mut answer: Answer,
    asking: &Asking,
    show_state: bool,
) -> Result<(), Failure> {
    let note = answer
        .completeness()
        .and_then(|c| truncation::note(&c, answer.max_rows, asking.all_rows, asking.knobs));
    let unshown = if asking.all_rows && !asking.include.contains(Include::Statistics) {
        answer.results.dataframe_stats.take()
    } else {
        None
    };
    let mut shown = Shown::answer(&answer, show_state);
    shown.unshown_statistics = unshown.as_ref();
    print_results(output, &shown)?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    Ok(())
}

/// Prints (or writes to `--output`) a question's state and results.
pub fn print_results(output: &Output<'_>, shown: &Shown<'_>) -> Result<(), Failure> {
    let state = shown.state;
    match output.format {
        Format::Json => output.emit(|out, _| {
            format::write_json(out, shown.question_id, state, shown.results, shown.extra)
        }),
        Format::Table => output.emit(|out, width| {
            if shown.show_state {
                writeln!(out, "state: {state}")?;
                if shown.results.is_some() {
                    writeln!(out)?;
                }
            }
            if let Some(r) = shown.results {
                format::write_table(out, r, &TableOptions { width })?;
            }
            Ok(())
        }),
        Format::Markdown => {
            if shown.show_state {
                eprintln!("state: {state}");
            }
            let Some(r) = shown.results else {
                return Ok(());
            };
            output.emit(|out, _| format::write_markdown(out, r))
        }
        Format::Csv | Format::Ndjson | Format::Parquet | Format::Arrow => {
            if shown.show_state {
                eprintln!("state: {state}");
            }
            let Some(r) = shown.results else {
                return Ok(());
            };
            let Some(df) = &r.dataframe else {
                eprintln!("note: the results have no dataframe (add dataframe to --include)");
                return Ok(());
            };
            let statistics = r.dataframe_stats.as_ref().or(shown.unshown_statistics);
            output.emit(|out, _| match output.format.file_format() {
                Some(file) => format::write_file_format(out, df, statistics, file),
                None if output.format == Format::Csv => format::write_csv(out, df),
                None => format::write_ndjson(out, df),
            })
        }
    }
}

/// Remembers the question id a wait reports, to name it on Ctrl-C.
#[derive(Clone, Default)]
pub struct Asked(Arc<Mutex<Option<QuestionId>>>);

impl Asked {
    /// Starts with `known`, the id of a question waited on.
    pub fn new(known: Option<QuestionId>) -> Self {
        Asked(Arc::new(Mutex::new(known)))
    }

    /// The id, once known.
    pub fn get(&self) -> Option<QuestionId> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The progress callback: records the id, then feeds `progress`.
    pub fn callback(&self, progress: &Progress) -> ProgressFn {
        let asked = Arc::clone(&self.0);
        let inner = progress.callback();
        Arc::new(move |e: &Event| {
            if let Event::Asked { question_id } = e {
                *asked.lock().unwrap_or_else(PoisonError::into_inner) = Some(*question_id);
            }
            if let Some(f) = &inner {
                f(e);
            }
        })
    }
}

/// What to say when Ctrl-C stopped a wait on workspace `dw`.
pub fn interrupted_message(dw: WorkspaceId, asked: Option<QuestionId>) -> String {
    match asked {
        Some(q) => format!(
            "interrupted: question {q} goes on server-side\nresume with: {}",
            resume_command(Some(dw), &q)
        ),
        None => {
            "interrupted before the server confirmed the question (it may still have been taken)"
                .to_string()
        }
    }
}

/// Waits with a spinner; Ctrl-C gives `Ok(None)` after saying how to
/// resume.
pub fn wait_with_progress(
    client: &AnyClient,
    what: WaitFor<'_>,
    mut wait: WaitOptions,
    label: &str,
) -> (Option<Result<Answer, Error>>, Option<QuestionId>) {
    let (dw, known) = match &what {
        WaitFor::AskAndWait(dw, _) => (*dw, None),
        WaitFor::Wait(dw, q) => (*dw, Some(*q)),
    };
    let progress = Progress::spinner(label);
    let asked = Asked::new(known);
    wait.progress = Some(asked.callback(&progress));
    let waited = client.wait_interruptibly(what, &wait);
    progress.finish();
    match waited {
        Waited::Done(r) => (Some(*r), asked.get()),
        Waited::Interrupted => {
            eprintln!("{}", interrupted_message(dw, asked.get()));
            (None, asked.get())
        }
    }
}

/// The results options `--include` and `--max-rows` give.
pub fn options(results: &ResultOptions) -> ResultsOptions {
    ResultsOptions {
        include: results.include,
        max_rows: results.max_rows,
    }
}

/// The wait options of `ask` and `results --wait`.
pub fn wait_options(
    results: &ResultOptions,
    timeout: Option<std::time::Duration>,
    all_rows: bool,
) -> WaitOptions {
    let mut wait = WaitOptions::new().all_rows(all_rows);
    wait.results = options(results);
    wait.timeout = timeout;
    wait
}

/// `ask` and `results --wait`: waits for `what` with a spinner, then prints
/// the answer and, when it may be cut, a note naming the flags.
pub fn wait_and_print(
    client: &AnyClient,
    what: WaitFor<'_>,
    label: &str,
    request: (&ResultOptions, Option<std::time::Duration>, bool),
    output: &Output<'_>,
    show_state: bool,
    ctx: &Context,
) -> Outcome {
    let (results, timeout, all_rows) = request;
    let wait = wait_options(results, timeout, all_rows);
    let (answer, _) = wait_with_progress(client, what, wait, label);
    let answer = answer
        // The message is already on stderr.
        .ok_or_else(Failure::interrupted)?
        .map_err(|e| failure(&e, ctx))?;
    let asking = Asking {
        include: results.include,
        all_rows,
        knobs: &truncation::FLAGS,
    };
    print_answer(output, answer, &asking, show_state)?;
    Ok(ExitStatus::Success)
}
