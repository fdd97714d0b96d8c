//! `connecty emulator` and `connecty demo`: the testkit's emulator on
//! loopback, for trying the command without an account.

use std::time::Duration;

use connecty_proto::{BaseUrl, Settings, WaitOptions, WorkspaceId};

use crate::app::{Outcome, build, println_out};
use crate::ask::{Shown, print_results};
use crate::cli::{EmulatorArgs, TransportKind};
use crate::client::{WaitFor, Waited};
use crate::exit::{self, Context, Failure, failure};
use crate::format::Format;
use crate::output::Output;
use crate::progress::Progress;

/// The sample question of `demo`: the API reference's own example.
pub const DEMO_QUESTION: &str = "list the top 5 countries with the most orders";

// ---------------------------------------------------------------------------
// emulator and demo.

fn start_emulator(
    builder: connecty_testkit::emulator::EmulatorBuilder,
) -> Result<connecty_testkit::emulator::EmulatorHandle, Failure> {
    builder.start().map_err(|e| {
        let f = Failure::new(exit::FAILURE, "other", format!("{e}"));
        match e {
            connecty_testkit::emulator::EmulatorError::Bind(_) => {
                f.hint("choose a free --port, or 0 for any")
            }
            _ => f,
        }
    })
}

/// `connecty emulator`: serves until Ctrl-C or SIGTERM.
pub fn emulator(args: &EmulatorArgs) -> Outcome {
    let mut builder = connecty_testkit::emulator::Emulator::builder().port(args.port);
    if let Some(db) = &args.db {
        if !db.is_file() {
            return Err(Failure::new(
                exit::USAGE,
                "invalid_input",
                format!("--db {}: no such file", db.display()),
            ));
        }
        builder = builder.database(db);
    }
    if let Some(ttl) = args.token_ttl {
        builder = builder.token_ttl(ttl);
    }
    let rt = crate::client::runtime().map_err(|e| failure(&e, &Context::default()))?;
    let handle = start_emulator(builder)?;
    let base = handle.base_url();
    let dw = handle.workspace_id();
    let data = match &args.db {
        Some(db) => format!("answering from {}", db.display()),
        None => "answering from the built-in sample shop".to_string(),
    };
    let mut text = format!(
        "ConnectyAI emulator listening on {base} (workspace {dw}, {data})\n\
         It accepts client id {id} and client secret {secret} (local test credentials).\n\n\
         Point connecty (or your own code) at it:\n\
         \x20 export CONNECTY_BASE_URL={base}\n\
         \x20 export CONNECTY_CLIENT_ID={id}\n\
         \x20 export CONNECTY_CLIENT_SECRET={secret}\n\
         \x20 connecty ask --dw {dw} \"{DEMO_QUESTION}\"\n\n\
         It answers SQL (SELECT ... or WITH ...) and these questions:\n",
        id = handle.client_id(),
        secret = handle.client_secret(),
    );
    for q in connecty_testkit::emulator::KNOWN_QUESTIONS {
        text.push_str(&format!("  {}\n", q.question));
    }
    text.push_str("Anything else ends FAILED. Press Ctrl-C to stop.");
    println_out(&text)?;
    rt.block_on(wait_for_interrupt());
    eprintln!("stopping the emulator");
    handle.shutdown();
    Ok(exit::SUCCESS)
}

async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling: serve until killed.
        std::future::pending::<()>().await;
    }
}

/// `connecty demo`: asks an in-process emulator the sample question.
pub fn demo(transport: TransportKind, pager: bool) -> Outcome {
    let handle = start_emulator(connecty_testkit::emulator::Emulator::builder())?;
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
        TransportKind::Ureq => "ureq (blocking)",
        TransportKind::Hyper => "hyper (async)",
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
            return Err(Failure::silent(exit::INTERRUPTED));
        }
    };
    eprintln!();
    let output = Output {
        format: Format::Table,
        file: None,
        pager,
        chart: Default::default(),
    };
    print_results(&output, &Shown::answer(&answer, false))?;
    eprintln!(
        "\nNext: `connecty emulator` serves this emulator until Ctrl-C and prints the exports to point `connecty ask` at it."
    );
    drop(client);
    handle.shutdown();
    Ok(exit::SUCCESS)
}
