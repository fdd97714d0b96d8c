//! `connecty emulator`: the embedded emulator (connecty-emulator) on loopback until Ctrl-C,
//! for trying the command (and your own code) without an account.

use crate::cli::EmulatorArgs;
use crate::exit::{Context, ExitStatus, Failure, Outcome, failure};
use crate::output::println_out;

/// The sample question of `demo`: the API reference's own example.
pub const DEMO_QUESTION: &str = "list the top 5 countries with the most orders";

/// Starts the emulator `builder` describes (a port in use is a hint).
pub fn start_emulator(
    builder: connecty_emulator::EmulatorBuilder,
) -> Result<connecty_emulator::EmulatorHandle, Failure> {
    builder.start().map_err(|e| {
        let f = Failure::other(format!("{e}"));
        match e {
            connecty_emulator::EmulatorError::Bind(_) => {
                f.hint("choose a free --port, or 0 for any")
            }
            _ => f,
        }
    })
}

/// `connecty emulator`: serves until Ctrl-C or SIGTERM.
pub fn run(args: &EmulatorArgs) -> Outcome {
    let mut builder = connecty_emulator::Emulator::builder().port(args.port);
    if let Some(db) = &args.db {
        if !db.is_file() {
            return Err(Failure::usage(format!(
                "--db {}: no such file",
                db.display()
            )));
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
    for q in connecty_emulator::KNOWN_QUESTIONS {
        text.push_str(&format!("  {}\n", q.question));
    }
    text.push_str("Anything else ends FAILED. Press Ctrl-C to stop.");
    println_out(&text)?;
    rt.block_on(wait_for_interrupt());
    eprintln!("stopping the emulator");
    handle.shutdown();
    Ok(ExitStatus::Success)
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
