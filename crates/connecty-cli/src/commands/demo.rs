//! `connecty demo`: ask an in-process emulator the sample question over
//! real HTTP on loopback, and print the table.

use std::time::Duration;

use connecty_proto::{BaseUrl, Settings, WaitOptions, WorkspaceId};
use connecty_settings::Transport;

use super::emulator::{DEMO_QUESTION, start_emulator};
use crate::answer::{Shown, print_results};
use crate::client::{WaitFor, Waited, build};
use crate::exit::{Context, ExitStatus, Failure, Outcome, failure};
use crate::format::Format;
use crate::output::Output;
use crate::progress::Progress;

/// `connecty demo`: asks an in-process emulator the sample question.
pub fn run(transport: Transport, pager: bool) -> Outcome {
    let handle = start_emulator(connecty_emulator::Emulator::builder())?;
    let base_url = BaseUrl::parse(&handle.base_url())
        .map_err(|e| failure(&connecty_proto::Error::InvalidInput(e), &Context::default()))?;
    let ctx = Context {
        base_url: base_url.to_string(),
        dw: Some(WorkspaceId(handle.workspace_id())),
        ..Context::default()
    };
    let mut settings = Settings::default();
    settings.base_url = base_url;
    settings.credentials = Some(
        connecty_proto::Credentials::new(handle.client_id(), handle.client_secret())
            .map_err(|e| failure(&connecty_proto::Error::InvalidInput(e), &ctx))?,
    );
    settings.default_deadline = Duration::from_secs(60);
    let transport_name = match transport {
        Transport::Ureq => "ureq (blocking)",
        Transport::Hyper => "hyper (async)",
    };
    eprintln!(
        "Started a local ConnectyAI emulator at {} with a sample shop (workspace {}); no account or network needed.",
        ctx.base_url,
        handle.workspace_id()
    );
    let client = build(transport, &settings, &ctx)?;
    let progress = Progress::spinner_or_lines(&format!(
        "Asking \"{DEMO_QUESTION}\" over HTTP with {transport_name}"
    ));
    let mut wait = WaitOptions::new();
    wait.results.include = connecty_proto::IncludeSet::DEFAULT
        .with(connecty_proto::Include::Summary)
        .with(connecty_proto::Include::SqlQuery);
    wait.progress = progress.callback();
    let dw = WorkspaceId(handle.workspace_id());
    let waited = client.wait_interruptibly(WaitFor::AskAndWait(dw, DEMO_QUESTION), &wait);
    progress.finish();
    let answer = match waited {
        Waited::Done(answer) => answer.map_err(|e| failure(&e, &ctx))?,
        Waited::Interrupted => {
            eprintln!("interrupted");
            return Err(Failure::interrupted());
        }
    };
    eprintln!();
    let output = Output {
        format: Format::Table,
        file: None,
        pager,
    };
    print_results(&output, &Shown::answer(&answer, false))?;
    eprintln!(
        "\nNext: `connecty emulator` serves this emulator until Ctrl-C and prints the exports to point `connecty ask` at it."
    );
    drop(client);
    handle.shutdown();
    Ok(ExitStatus::Success)
}
