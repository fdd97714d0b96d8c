//! `connecty shell`: questions one after another on a line editor
//! (rustyline), with meta-commands as psql and duckdb have them.
//!
//! ```text
//!            readline
//!   prompt ----------> line --meta--> change the session, or \results (wait)
//!     ^  ^               \--question--> ask and wait (spinner) --> print
//!     |  |                                  |  Ctrl-C: resume hint
//!     |  +-- Ctrl-C: the line is cleared    |  FAILED / deadline: the error
//!     +-------------------------------------+
//!   Ctrl-D or \q: exit 0
//! ```
//!
//! At the prompt the terminal is raw, so Ctrl-C is a key that clears the
//! line; while a question is waited for, it is cooked, and SIGINT stops
//! the wait ([`crate::interrupt`]). Nothing a question does ends the
//! session.

use std::path::{Path, PathBuf};

use connecty_proto::{
    IncludeSet, MAX_ROWS_LIMIT, QuestionId, ResultsOptions, WaitOptions, WorkspaceId,
    validate_question,
};
use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor};

use connecty_settings::{HISTORY_FILE, create_private_dir};

use crate::answer::{Asking, print_answer, wait_with_progress};
use crate::cli::{Cli, ShellArgs, parse_include, parse_question_id, parse_workspace};
use crate::client::{AnyClient, WaitFor};
use crate::exit::{Context, ExitStatus, Failure, Outcome, failure};
use crate::format::{Format, escape_for_line};
use crate::interrupt;
use crate::output::{ChartContext, Output};
use crate::settings;
use crate::truncation;

/// A meta-command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// `\dw ID`.
    Dw(WorkspaceId),
    /// `\format FORMAT`.
    Format(Format),
    /// `\include LIST`.
    Include(IncludeSet),
    /// `\max-rows N` (`None`: the API's default, `\max-rows default`).
    MaxRows(Option<u32>),
    /// `\all-rows on|off`: every row of each answer, or the first
    /// `max-rows`.
    AllRows(bool),
    /// `\output FILE`: the next answer only.
    Output(PathBuf),
    /// `\results QUESTION_ID`.
    Results(QuestionId),
    /// `\help` (or `\?`).
    Help,
    /// `\q` (or `\quit`).
    Quit,
}

/// One line typed at the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing but spaces.
    Empty,
    /// A question for the current workspace.
    Question(String),
    /// A meta-command.
    Meta(Meta),
}

/// Parses a line; the error says what is wrong with a meta-command.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Line::Empty);
    }
    let Some(meta) = line.strip_prefix('\\') else {
        return Ok(Line::Question(line.to_string()));
    };
    let (name, arg) = match meta.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (meta, ""),
    };
    let need = |what: &str| -> Result<&str, String> {
        if arg.is_empty() {
            Err(format!("\\{name} needs {what}"))
        } else {
            Ok(arg)
        }
    };
    let meta = match name {
        "dw" => Meta::Dw(parse_workspace(need("a data workspace id")?)?),
        "format" => {
            use clap::ValueEnum;
            Meta::Format(Format::from_str(need("a format")?, true).map_err(|_| {
                format!(
                    "{arg:?} is not a format: table, csv, json, ndjson, markdown, chart, svg, parquet or arrow"
                )
            })?)
        }
        "include" => Meta::Include(parse_include(need("a list such as dataframe,summary")?)?),
        "max-rows" => match need("a number of rows, or default")? {
            "default" => Meta::MaxRows(None),
            n => Meta::MaxRows(Some(
                n.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_ROWS_LIMIT).contains(n))
                    .ok_or_else(|| {
                        format!("{n:?} is not a number of rows from 1 to {MAX_ROWS_LIMIT}")
                    })?,
            )),
        },
        "all-rows" => match need("on or off")? {
            "on" => Meta::AllRows(true),
            "off" => Meta::AllRows(false),
            other => return Err(format!("\\all-rows takes on or off, not {other:?}")),
        },
        "output" => Meta::Output(PathBuf::from(need("a file name")?)),
        "results" => Meta::Results(parse_question_id(need("a question id")?)?),
        "help" | "?" | "h" => Meta::Help,
        "q" | "quit" | "exit" => Meta::Quit,
        other => {
            return Err(format!(
                "unknown meta-command \\{}; \\help lists them",
                escape_for_line(other)
            ));
        }
    };
    Ok(Line::Meta(meta))
}

/// The session's settings, changed by meta-commands.
#[derive(Debug, Clone)]
pub struct Session {
    /// The workspace questions go to.
    pub dw: Option<WorkspaceId>,
    /// The format answers are shown in.
    pub format: Format,
    /// The components asked for.
    pub include: IncludeSet,
    /// The row limit.
    pub max_rows: Option<u32>,
    /// Every row of each answer (`\all-rows on`).
    pub all_rows: bool,
    /// Where the next answer goes, once.
    pub next_output: Option<PathBuf>,
}

impl Session {
    fn prompt(&self) -> String {
        match self.dw {
            Some(dw) => format!("connecty (dw {dw})> "),
            None => "connecty> ".to_string(),
        }
    }

    fn help(&self) -> String {
        use clap::ValueEnum;
        let format = self
            .format
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        let dw = self.dw.map_or("none".to_string(), |d| d.to_string());
        let rows = self
            .max_rows
            .map_or("default (1000)".to_string(), |n| n.to_string());
        format!(
            "Each line is a question for the current data workspace.\n\
             \x20 \\dw ID           ask data workspace ID\n\
             \x20 \\format FORMAT   table, csv, json, ndjson, markdown, chart; svg, parquet, arrow (with \\output)\n\
             \x20 \\include LIST    dataframe, statistics, sqlquery, summary (or all)\n\
             \x20 \\max-rows N      at most N rows (\\max-rows default: the API's)\n\
             \x20 \\all-rows on|off every row of each answer, or at most max-rows\n\
             \x20 \\output FILE     write the next answer to FILE instead of the screen\n\
             \x20 \\results ID      wait for question ID and show its results\n\
             \x20 \\help            this text\n\
             \x20 \\q               leave (or Ctrl-D)\n\
             Ctrl-C stops a wait (the question goes on server-side) and clears the line at the prompt.\n\
             A line starting with a space is kept out of the history.\n\
             Now: dw {dw}, format {format}, include {}, max-rows {rows}, all-rows {}.",
            self.include.to_query_value(),
            if self.all_rows { "on" } else { "off" }
        )
    }

    fn wait_options(&self) -> WaitOptions {
        let mut w = WaitOptions::new().all_rows(self.all_rows);
        w.results = ResultsOptions {
            include: self.include,
            max_rows: self.max_rows,
        };
        w
    }
}

/// The history file in the config directory, created with mode 0600 (a
/// question may hold private text); `None` when there is no directory.
fn history_file(dir: Option<&Path>) -> Option<PathBuf> {
    let dir = dir?;
    if let Err(e) = create_private_dir(dir) {
        eprintln!("note: no history: {}", Failure::from(e).message_line());
        return None;
    }
    let path = dir.join(HISTORY_FILE);
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    if let Err(e) = open.open(&path) {
        eprintln!("note: no history: cannot open {}: {e}", path.display());
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Some(path)
}

/// Runs `connecty shell` until `\q` or Ctrl-D.
pub fn run(cli: &Cli, args: &ShellArgs) -> Outcome {
    let loaded = settings::load(cli, true)?.waiting(None, &args.deadline);
    let client = &loaded.client()?;
    let pager = !cli.no_pager;
    let config = Config::builder()
        .history_ignore_space(true)
        .auto_add_history(false)
        .max_history_size(1000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor = DefaultEditor::with_config(config)
        .map_err(|e| Failure::other(format!("cannot start the line editor: {e}")))?;
    let history = history_file(loaded.dir.as_deref());
    if let Some(h) = &history {
        // An unreadable history is no reason to refuse the session.
        let _ = editor.load_history(h);
    }
    // SIGINT outside a wait (kill -INT at the prompt) does not end it.
    let _ignore = interrupt::watch(|| {});
    let mut session = Session {
        dw: args.dw,
        format: Format::Table,
        include: IncludeSet::DEFAULT,
        max_rows: None,
        all_rows: false,
        next_output: None,
    };
    eprintln!(
        "connecty shell: questions go to {}; \\help for commands, Ctrl-D to leave.",
        session
            .dw
            .map_or("no data workspace yet (\\dw ID)".to_string(), |d| format!(
                "data workspace {d}"
            ))
    );
    let mut ctx = loaded.ctx.clone();
    loop {
        let line = match editor.readline(&session.prompt()) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return Ok(ExitStatus::Success),
            Err(e) => {
                return Err(Failure::other(format!("the line editor failed: {e}")));
            }
        };
        if !line.trim().is_empty()
            && editor.add_history_entry(line.as_str()).unwrap_or(false)
            && let Some(h) = &history
        {
            let _ = editor.append_history(h);
        }
        match parse_line(&line) {
            Ok(Line::Empty) => {}
            Ok(Line::Meta(Meta::Quit)) => return Ok(ExitStatus::Success),
            Ok(Line::Meta(Meta::Help)) => println!("{}", session.help()),
            Ok(Line::Meta(Meta::Dw(dw))) => session.dw = Some(dw),
            Ok(Line::Meta(Meta::Format(f))) => session.format = f,
            Ok(Line::Meta(Meta::Include(i))) => session.include = i,
            Ok(Line::Meta(Meta::MaxRows(n))) => session.max_rows = n,
            Ok(Line::Meta(Meta::AllRows(on))) => session.all_rows = on,
            Ok(Line::Meta(Meta::Output(p))) => session.next_output = Some(p),
            Ok(Line::Meta(Meta::Results(q))) => {
                if let Some(dw) = need_dw(&session) {
                    ctx.dw = Some(dw);
                    answer(client, &mut session, WaitFor::Wait(dw, q), pager, &ctx);
                }
            }
            Ok(Line::Question(q)) => {
                if let Err(e) = validate_question(&q) {
                    eprintln!("error: the question {}", e.message);
                } else if let Some(dw) = need_dw(&session) {
                    ctx.dw = Some(dw);
                    answer(
                        client,
                        &mut session,
                        WaitFor::AskAndWait(dw, &q),
                        pager,
                        &ctx,
                    );
                }
            }
            Err(message) => eprintln!("error: {message}"),
        }
    }
}

fn need_dw(session: &Session) -> Option<WorkspaceId> {
    if session.dw.is_none() {
        eprintln!("error: no data workspace yet: choose one with \\dw ID");
    }
    session.dw
}

/// Waits for one answer and shows it; every failure is printed and the
/// session goes on.
fn answer(
    client: &AnyClient,
    session: &mut Session,
    what: WaitFor<'_>,
    pager: bool,
    ctx: &Context,
) {
    let file = session.next_output.take();
    let question = match &what {
        WaitFor::AskAndWait(_, q) => Some(*q),
        WaitFor::Wait(..) => None,
    };
    let output = Output {
        format: session.format,
        file: file.as_deref(),
        pager,
        chart: ChartContext {
            args: None,
            question,
        },
    };
    if let Err(f) = output.check() {
        f.print();
        return;
    }
    let label = match &what {
        WaitFor::AskAndWait(..) => "asking".to_string(),
        WaitFor::Wait(_, q) => format!("question {q}: waiting"),
    };
    let (answer, asked) = wait_with_progress(client, what, session.wait_options(), &label);
    let answer = match answer {
        None => {
            not_written(file.as_deref());
            if let Some(q) = asked {
                eprintln!("or here: \\results {q}");
            }
            return;
        }
        Some(Err(e)) => {
            failure(&e, ctx).print();
            not_written(file.as_deref());
            if let (connecty_proto::Error::Timeout { .. }, Some(q)) = (&e, asked) {
                eprintln!("or here: \\results {q}");
            }
            return;
        }
        Some(Ok(a)) => a,
    };
    let asking = Asking {
        include: session.include,
        all_rows: session.all_rows,
        knobs: &truncation::SHELL,
    };
    if let Err(f) = print_answer(&output, answer, &asking, false) {
        f.print();
    }
}

/// Says that `\output FILE` was not used: the answer never came.
fn not_written(file: Option<&Path>) {
    if let Some(f) = file {
        eprintln!("{} was not written", f.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_questions_or_meta_commands() {
        let ok: Vec<(&str, Line)> = vec![
            ("   ", Line::Empty),
            (
                " how many orders? ",
                Line::Question("how many orders?".into()),
            ),
            ("\\dw 13", Line::Meta(Meta::Dw(WorkspaceId(13)))),
            (
                "\\format MARKDOWN",
                Line::Meta(Meta::Format(Format::Markdown)),
            ),
            ("\\format chart", Line::Meta(Meta::Format(Format::Chart))),
            ("\\format svg", Line::Meta(Meta::Format(Format::Svg))),
            (
                "\\include dataframe,summary",
                Line::Meta(Meta::Include(parse_include("dataframe,summary").unwrap())),
            ),
            ("\\max-rows 5", Line::Meta(Meta::MaxRows(Some(5)))),
            ("\\max-rows default", Line::Meta(Meta::MaxRows(None))),
            ("\\all-rows on", Line::Meta(Meta::AllRows(true))),
            ("\\all-rows off", Line::Meta(Meta::AllRows(false))),
            (
                "\\output out.csv",
                Line::Meta(Meta::Output(PathBuf::from("out.csv"))),
            ),
            (
                "\\results 729cb7a4-4b06-449e-a3c9-df40f5e570b8",
                Line::Meta(Meta::Results(
                    "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap(),
                )),
            ),
            ("\\help", Line::Meta(Meta::Help)),
            ("\\?", Line::Meta(Meta::Help)),
            ("\\q", Line::Meta(Meta::Quit)),
        ];
        for (text, want) in ok {
            assert_eq!(parse_line(text), Ok(want), "{text:?}");
        }
        for bad in [
            "\\dw",
            "\\dw x",
            "\\format xml",
            "\\max-rows 0",
            "\\max-rows lots",
            "\\all-rows",
            "\\all-rows yes",
            "\\results 12",
            "\\output",
            "\\frobnicate",
        ] {
            let e = parse_line(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad:?}");
        }
        assert!(parse_line("\\frobnicate").unwrap_err().contains("\\help"));
    }

    #[test]
    fn help_shows_the_session() {
        let s = Session {
            dw: Some(WorkspaceId(13)),
            format: Format::Csv,
            include: IncludeSet::DEFAULT,
            max_rows: Some(5),
            all_rows: true,
            next_output: None,
        };
        let h = s.help();
        assert!(
            h.contains("Now: dw 13, format csv, include dataframe, max-rows 5, all-rows on."),
            "{h}"
        );
        assert_eq!(s.prompt(), "connecty (dw 13)> ");
    }
}
