//! `connecty results`: a question's state and whatever results it has,
//! fetched once, or waited for with `--wait`.

use connecty_proto::{Error, State};

use crate::answer::{Shown, options, print_results, wait_and_print};
use crate::chart;
use crate::cli::{Cli, ResultsArgs};
use crate::client::WaitFor;
use crate::exit::{ExitStatus, Outcome, failure, resume_command};
use crate::output::Output;
use crate::settings;
use crate::truncation;

/// `connecty results`.
pub fn run(cli: &Cli, args: &ResultsArgs) -> Outcome {
    let loaded = settings::load(cli, true)?.waiting(Some(args.dw), &args.deadline);
    let client = loaded.client()?;
    let ctx = &loaded.ctx;
    let output = Output::new(&args.output, !cli.no_pager);
    output.check()?;
    if args.wait {
        let label = format!("question {}: waiting", args.question_id);
        return wait_and_print(
            &client,
            WaitFor::Wait(args.dw, args.question_id),
            &label,
            (&args.results, args.deadline.timeout, args.all_rows),
            &output,
            true,
            ctx,
        );
    }
    let response = client
        .results(args.dw, args.question_id, &options(&args.results))
        .map_err(|e| failure(&e, ctx))?;
    let completed = response.state == State::Completed;
    // A file is written only for a COMPLETED question: an unfinished or
    // failed one never replaces it.
    if completed || output.file.is_none() {
        print_results(
            &output,
            &Shown {
                question_id: &args.question_id,
                state: &response.state,
                results: response.results.as_ref(),
                extra: Some(&response.extra),
                show_state: true,
                unshown_statistics: None,
            },
        )?;
        let note = response
            .results
            .as_ref()
            .filter(|_| completed)
            .and_then(|r| r.completeness(args.results.max_rows))
            .and_then(|c| {
                truncation::note(&c, args.results.max_rows, false, &truncation::RESULTS_ONCE)
            });
        if let Some(note) = note {
            eprintln!("note: {note}");
            let rows = response.results.as_ref().and_then(|r| r.dataframe.as_ref());
            if let Some(cut) = chart::cut_note(output.format, rows.map_or(0, |d| d.rows().len())) {
                eprintln!("{cut}");
            }
        }
    } else {
        eprintln!("state: {}", response.state);
    }
    match response.state {
        State::Failed => Err(failure(
            &Error::QuestionFailed {
                question_id: args.question_id,
                reason: response.failure_reason(),
            },
            ctx,
        )),
        State::Completed => Ok(ExitStatus::Success),
        ref other => {
            let file = output
                .file
                .map(|f| format!(" ({} was not written)", f.display()))
                .unwrap_or_default();
            eprintln!(
                "the question is {other}{file}; wait for it with: {}",
                resume_command(ctx.dw, &args.question_id)
            );
            Ok(ExitStatus::Success)
        }
    }
}
