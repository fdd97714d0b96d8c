//! `connecty ask`: ask a question, wait with a spinner, print the answer
//! (or, with `--no-wait`, only its id).

use crate::answer::wait_and_print;
use crate::cli::{AskArgs, Cli};
use crate::client::WaitFor;
use crate::exit::{Outcome, failure};
use crate::output::{Output, println_out};
use crate::settings;

/// `connecty ask`.
pub fn run(cli: &Cli, args: &AskArgs) -> Outcome {
    let loaded = settings::load(cli, true)?.waiting(Some(args.dw), &args.deadline);
    let client = loaded.client()?;
    let ctx = &loaded.ctx;
    if args.no_wait {
        let id = client
            .ask(args.dw, &args.question)
            .map_err(|e| failure(&e, ctx))?;
        return println_out(&id.to_string());
    }
    let mut output = Output::new(&args.output, !cli.no_pager);
    output.chart.question = Some(&args.question);
    output.check()?;
    wait_and_print(
        &client,
        WaitFor::AskAndWait(args.dw, &args.question),
        "asking",
        (&args.results, args.deadline.timeout, args.all_rows),
        &output,
        false,
        ctx,
    )
}
