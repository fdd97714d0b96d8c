//! `connecty batch`: many questions at once on the async client, one JSON
//! line each, in input order.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use connecty_proto::{Error, Event, Include, QuestionId, State, WaitOptions, WorkspaceId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{BatchArgs, Cli};
use crate::client::{build_async, runtime};
use crate::exit::{Context, ExitStatus, Failure, FailureKind, Outcome, failure};
use crate::format::Compactor;
use crate::settings;
use crate::truncation;

/// One input line: a question, or why it cannot be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The question, trimmed.
    Question(String),
    /// A line that is not UTF-8: its text (lossy) and line number.
    NotUtf8(String, usize),
}

/// Splits input into questions: one per line (LF or CRLF), surrounding
/// whitespace trimmed, blank lines skipped.
pub fn parse_lines(input: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    for (n, raw) in input.split(|b| *b == b'\n').enumerate() {
        match std::str::from_utf8(raw) {
            Ok(s) => {
                let s = s.trim();
                if !s.is_empty() {
                    out.push(Line::Question(s.to_string()));
                }
            }
            Err(_) => {
                let s = String::from_utf8_lossy(raw).trim().to_string();
                out.push(Line::NotUtf8(s, n + 1));
            }
        }
    }
    out
}

/// One finished question: its JSON line, whether it completed, and the
/// note to print when its answer may be cut.
struct Done {
    index: usize,
    line: Vec<u8>,
    completed: bool,
    note: Option<String>,
}

/// What [`answer_one`] gives: the line, whether it completed, the note.
type Answered = (Vec<u8>, bool, Option<String>);

fn json_str(out: &mut Vec<u8>, s: &str) {
    // Serialising a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn line_head(out: &mut Vec<u8>, question: &str, id: Option<&QuestionId>, state: Option<&State>) {
    out.extend_from_slice(b"{\"question\":");
    json_str(out, question);
    out.extend_from_slice(b",\"question_id\":");
    match id {
        Some(id) => json_str(out, &id.to_string()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"state\":");
    match state {
        Some(s) => json_str(out, s.as_str()),
        None => out.extend_from_slice(b"null"),
    }
}

fn error_line(
    question: &str,
    id: Option<&QuestionId>,
    state: Option<&State>,
    f: &Failure,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    line_head(&mut out, question, id, state);
    out.extend_from_slice(b",\"error\":{\"kind\":");
    json_str(&mut out, f.kind.name());
    out.extend_from_slice(b",\"message\":");
    json_str(&mut out, &f.message_line());
    out.extend_from_slice(b"}}\n");
    out
}

#[derive(Default)]
struct Seen {
    question_id: Option<QuestionId>,
    state: Option<State>,
}

async fn answer_one(
    client: &connecty_hyper::Client,
    dw: WorkspaceId,
    line: &Line,
    base: &WaitOptions,
    ctx: &Context,
) -> Answered {
    let question = match line {
        Line::Question(q) => q,
        Line::NotUtf8(text, n) => {
            let f = Failure::usage(format!("line {n} is not valid UTF-8"));
            return (error_line(text, None, None, &f), false, None);
        }
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut options = base.clone();
    let record = Arc::clone(&seen);
    options.progress = Some(Arc::new(move |e: &Event| {
        let mut s = record.lock().unwrap_or_else(PoisonError::into_inner);
        match e {
            Event::Asked { question_id } => s.question_id = Some(*question_id),
            Event::StateChanged { state, .. } => s.state = Some(state.clone()),
            _ => {}
        }
    }));
    match client.ask_and_wait(dw, question, &options).await {
        Ok(mut answer) => {
            let completeness = answer.completeness();
            let note = completeness.and_then(|c| {
                truncation::note(&c, answer.max_rows, base.all_rows, &truncation::FLAGS)
            });
            if base.all_rows && !base.results.include.contains(Include::Statistics) {
                // Fetched only to count the rows (all rows): not asked for.
                answer.results.dataframe_stats = None;
            }
            let mut out = Vec::with_capacity(1024);
            line_head(
                &mut out,
                question,
                Some(&answer.question_id),
                Some(&State::Completed),
            );
            out.extend_from_slice(b",\"results\":");
            let mut c = Compactor::new(&mut out);
            if serde_json::to_writer(&mut c, &answer.results).is_err() {
                let f = Failure::new(
                    FailureKind::Sdk(connecty_proto::ErrorKind::Decode),
                    "the results could not be written as JSON",
                );
                return (
                    error_line(
                        question,
                        Some(&answer.question_id),
                        Some(&State::Completed),
                        &f,
                    ),
                    false,
                    None,
                );
            }
            out.extend_from_slice(b",\"completeness\":");
            match completeness {
                Some(c) => {
                    let rows = answer.results.dataframe.as_ref().map_or(0, |df| df.len());
                    out.extend_from_slice(truncation::to_json(&c, rows as u64).as_bytes());
                }
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b"}\n");
            (out, true, note)
        }
        Err(e) => {
            let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            let (id, state) = match &e {
                Error::QuestionFailed { question_id, .. } => {
                    (Some(*question_id), Some(State::Failed))
                }
                Error::Timeout {
                    asked, last_state, ..
                } => (
                    asked.question_id().or(seen.question_id),
                    last_state.clone().or_else(|| seen.state.clone()),
                ),
                _ => (seen.question_id, seen.state.clone()),
            };
            let f = failure(&e, ctx);
            (
                error_line(question, id.as_ref(), state.as_ref(), &f),
                false,
                None,
            )
        }
    }
}

fn batch_progress(total: usize) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} batch: {pos}/{len} done{msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

/// Runs `connecty batch`.
pub fn run(cli: &Cli, args: &BatchArgs) -> Outcome {
    let loaded = settings::load(cli, true)?.waiting(Some(args.dw), &args.deadline);
    let (settings, ctx) = (&loaded.settings, &loaded.ctx);
    let input = read_questions(&args.file)?;
    let lines = parse_lines(&input);
    drop(input);
    let rt = runtime().map_err(|e| failure(&e, ctx))?;
    let client = {
        let _guard = rt.enter();
        build_async(settings).map_err(|e| failure(&e, ctx))?
    };
    let mut base = WaitOptions::new().all_rows(args.all_rows);
    base.results.include = args.results.include;
    base.results.max_rows = args.results.max_rows;
    base.timeout = args.deadline.timeout;

    let total = lines.len();
    let dw = args.dw;
    let concurrency = (args.concurrency.max(1) as usize).min(total.max(1));
    let (completed, cut, write_error) = rt.block_on(async {
        if total > 0 {
            // One token exchange up front: bad credentials are one error,
            // not one per question.
            if let Err(e) = client.token().await {
                return Err(failure(&e, ctx));
            }
        }
        let lines = Arc::new(lines);
        let next = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Done>();
        for _ in 0..concurrency {
            let (client, lines, next, tx, base, ctx) = (
                client.clone(),
                Arc::clone(&lines),
                Arc::clone(&next),
                tx.clone(),
                base.clone(),
                ctx.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(line) = lines.get(index) else { break };
                    let (line, completed, note) = answer_one(&client, dw, line, &base, &ctx).await;
                    if tx
                        .send(Done {
                            index,
                            line,
                            completed,
                            note,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);

        let bar = batch_progress(total);
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut pending: BTreeMap<usize, (Vec<u8>, Option<String>)> = BTreeMap::new();
        let mut written = 0usize;
        let mut completed = 0usize;
        let mut failed = 0usize;
        let mut cut = 0usize;
        let mut write_error: Option<io::Error> = None;
        while let Some(done) = rx.recv().await {
            if done.completed {
                completed += 1;
            } else {
                failed += 1;
            }
            if let Some(bar) = &bar {
                bar.inc(1);
                if failed > 0 {
                    bar.set_message(format!(", {failed} failed"));
                }
            }
            pending.insert(done.index, (done.line, done.note));
            while let Some((line, note)) = pending.remove(&written) {
                written += 1;
                if write_error.is_none()
                    && let Err(e) = out.write_all(&line).and_then(|()| out.flush())
                {
                    write_error = Some(e);
                }
                if let Some(note) = note {
                    cut += 1;
                    // Question N is line N of the output.
                    let say = || eprintln!("note: question {written}: {note}");
                    match &bar {
                        Some(bar) => bar.suspend(say),
                        None => say(),
                    }
                }
            }
            if write_error.is_some() {
                // Nobody reads the output any more: stop asking.
                break;
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok((completed, cut, write_error.map(|e| (e, written))))
    })?;

    if let Some((e, _)) = write_error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(ExitStatus::Failure);
        }
        return Err(Failure::other(format!("could not write the output: {e}")));
    }
    let cut = match cut {
        0 => String::new(),
        1 => "; 1 answer may be cut (see its note)".to_string(),
        n => format!("; {n} answers may be cut (see their notes)"),
    };
    if completed < total {
        eprintln!(
            "batch: {completed} of {total} questions completed; {} did not (see the \"error\" lines){cut}",
            total - completed
        );
        Ok(ExitStatus::Failure)
    } else {
        eprintln!("batch: all {total} questions completed{cut}");
        Ok(ExitStatus::Success)
    }
}

fn read_questions(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    settings::read_input(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read the questions from {}: {e}",
            path.display()
        ))
        .hint("give a file with one question per line, or - for stdin")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_blank_ones_skipped() {
        let lines = parse_lines(b"first\r\n\n   \n second \nthird");
        assert_eq!(
            lines,
            vec![
                Line::Question("first".into()),
                Line::Question("second".into()),
                Line::Question("third".into()),
            ]
        );
        let lines = parse_lines(b"ok\n\xff\xfe bad\n");
        assert_eq!(lines[1], Line::NotUtf8("\u{FFFD}\u{FFFD} bad".into(), 2));
    }

    #[test]
    fn error_lines_are_one_json_object() {
        let f = Failure::new(
            FailureKind::Sdk(connecty_proto::ErrorKind::QuestionFailed),
            "no\nsuch table",
        );
        let q: QuestionId = "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap();
        let line = error_line("what \"is\"", Some(&q), Some(&State::Failed), &f);
        let text = String::from_utf8(line).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["question"], "what \"is\"");
        assert_eq!(v["question_id"], "729cb7a4-4b06-449e-a3c9-df40f5e570b8");
        assert_eq!(v["state"], "FAILED");
        assert_eq!(v["error"]["kind"], "question_failed");
        assert_eq!(v["error"]["message"], "no\\nsuch table");
    }
}
