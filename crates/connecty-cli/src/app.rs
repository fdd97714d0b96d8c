//! The commands.

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use connecty_proto::{
    BaseUrl, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Event, ProgressFn, QuestionId, Region,
    ResultsOptions, State, WaitOptions, WorkspaceId,
};

use crate::cli::{AskArgs, Cli, Command, EmulatorArgs, RegionArg, ResultsArgs, TransportKind};
use crate::client::{AnyClient, ClientSpec};
use crate::exit::{self, Context, Failure, failure, register_secret, resume_command};
use crate::format::{self, Format, TableOptions};
use crate::progress::Progress;

/// The sample question of `demo`: the API reference's own example.
pub const DEMO_QUESTION: &str = "list the top 5 countries with the most orders";

/// Parses the command line and runs the command; returns the exit code.
pub fn run() -> u8 {
    // Nothing a user or a server sends should panic; should a bug do so
    // anyway, say it in one line, without a backtrace, and exit 1.
    std::panic::set_hook(Box::new(|info| {
        let text = info.to_string();
        eprintln!(
            "error: internal error in connecty (please report it): {}",
            crate::format::escape_for_line(&exit::redact(&text))
        );
        std::process::exit(i32::from(exit::FAILURE));
    }));
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // Help and version go to stdout with 0; errors to stderr with 2.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(exit::USAGE);
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return exit::USAGE;
        }
    };
    match dispatch(&cli, &matches) {
        Ok(code) => code,
        Err(f) => {
            f.print();
            f.code
        }
    }
}

type Outcome = Result<u8, Failure>;

fn dispatch(cli: &Cli, matches: &ArgMatches) -> Outcome {
    match &cli.command {
        Command::Emulator(args) => return emulator(args),
        Command::Demo => return demo(cli.transport),
        _ => {}
    }
    let base_url = resolve_base_url(cli, matches)?;
    let mut ctx = Context {
        base_url: base_url.to_string(),
        dw: None,
    };
    let ca_certs = match &cli.ca_cert {
        Some(path) => vec![read_file(path, "--ca-cert")?],
        None => Vec::new(),
    };
    let needs_credentials = !matches!(cli.command, Command::Health);
    let credentials = if needs_credentials {
        Some(credentials_from_env()?)
    } else {
        None
    };
    let mut spec = ClientSpec {
        base_url,
        credentials,
        ca_certs,
        deadline: None,
    };
    match &cli.command {
        Command::Health => {
            let client = build(cli.transport, &spec, &ctx)?;
            client.health().map_err(|e| failure(&e, &ctx))?;
            println_out("ok")
        }
        Command::Token { show } => {
            let client = build(cli.transport, &spec, &ctx)?;
            let token = client.token().map_err(|e| failure(&e, &ctx))?;
            let line = expiry_line(token.expires_at(), SystemTime::now());
            if *show {
                eprintln!("{line}");
                println_out(token.expose())
            } else {
                register_secret(token.expose());
                println_out(&line)
            }
        }
        Command::Ask(args) => {
            ctx.dw = Some(args.dw);
            spec.deadline = args.timeout;
            let client = build(cli.transport, &spec, &ctx)?;
            ask(&client, args, &ctx)
        }
        Command::Results(args) => {
            ctx.dw = Some(args.dw);
            spec.deadline = args.timeout;
            let client = build(cli.transport, &spec, &ctx)?;
            results(&client, args, &ctx)
        }
        Command::Batch(args) => {
            ctx.dw = Some(args.dw);
            spec.deadline = args.timeout;
            crate::batch::run(args, &spec, &ctx)
        }
        Command::Emulator(_) | Command::Demo => Ok(exit::SUCCESS),
    }
}

/// `--base-url` beats `--region`; on the command line either beats the
/// environment; `CONNECTY_BASE_URL` beats `CONNECTY_REGION`; eu1 is the
/// default.
fn resolve_base_url(cli: &Cli, matches: &ArgMatches) -> Result<BaseUrl, Failure> {
    let on_command_line = |id: &str| {
        let mut m = Some(matches);
        while let Some(cur) = m {
            if cur.value_source(id) == Some(ValueSource::CommandLine) {
                return true;
            }
            m = cur.subcommand().map(|(_, sub)| sub);
        }
        false
    };
    let region = |r: RegionArg| match r {
        RegionArg::Eu1 => Region::Eu1.base_url(),
        RegionArg::Us1 => Region::Us1.base_url(),
    };
    if on_command_line("base_url") && on_command_line("region") {
        return Err(Failure::new(
            exit::USAGE,
            "invalid_input",
            "--base-url and --region cannot be used together",
        )
        .hint("--base-url is the API's address itself; --region picks eu1 or us1"));
    }
    Ok(match (&cli.base_url, cli.region) {
        (Some(url), _) if on_command_line("base_url") => url.clone(),
        (_, Some(r)) if on_command_line("region") => region(r),
        (Some(url), _) => url.clone(),
        (None, Some(r)) => region(r),
        (None, None) => Region::Eu1.base_url(),
    })
}

fn credentials_from_env() -> Result<(String, String), Failure> {
    let get = |name: &str| -> Result<String, Failure> {
        match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            Ok(_) | Err(std::env::VarError::NotPresent) => Err(Failure::new(
                exit::AUTHENTICATION,
                "authentication",
                format!("{name} is not set"),
            )
            .hint(format!(
                "export {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} as issued by ConnectyAI support (or try `connecty demo`)"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(Failure::new(
                exit::AUTHENTICATION,
                "authentication",
                format!("{name} is not valid UTF-8"),
            )),
        }
    };
    let id = get(ENV_CLIENT_ID)?;
    let secret = get(ENV_CLIENT_SECRET)?;
    register_secret(&secret);
    Ok((id, secret))
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let result = if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| {
        Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("cannot read {what} {}: {e}", path.display()),
        )
    })
}

fn build(kind: TransportKind, spec: &ClientSpec, ctx: &Context) -> Result<AnyClient, Failure> {
    AnyClient::build(kind, spec).map_err(|e| failure(&e, ctx))
}

/// "expires at 2025-11-05T11:54:22.793708+01:00 (in 59 minutes)".
pub fn expiry_line(expires_at: chrono::DateTime<chrono::FixedOffset>, now: SystemTime) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(now);
    let secs = (expires_at.with_timezone(&chrono::Utc) - now).num_seconds();
    let when = if secs <= 0 {
        "already expired".to_string()
    } else if secs < 120 {
        format!("in {secs} second{}", if secs == 1 { "" } else { "s" })
    } else {
        format!("in {} minutes", secs / 60)
    };
    format!(
        "token expires at {} ({when})",
        expires_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    )
}

// ---------------------------------------------------------------------------
// Output.

/// Writes to stdout through a buffer; a closed pipe ends quietly.
fn write_out(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let r = f(&mut out).and_then(|()| out.flush());
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(
            exit::FAILURE,
            "other",
            format!("could not write the output: {e}"),
        )),
    }
}

fn println_out(line: &str) -> Outcome {
    write_out(|out| writeln!(out, "{line}"))?;
    Ok(exit::SUCCESS)
}

/// The width tables are cut to: `COLUMNS`, else the terminal's, else 100.
pub fn table_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    if io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            if w > 0 {
                return usize::from(w);
            }
        }
    }
    format::DEFAULT_WIDTH
}

/// Prints a question's state and results in `format`.
///
/// `show_state` prints the state (above a table, on stderr for csv and
/// ndjson); json always carries it.
pub fn print_results(
    format: Format,
    question_id: &QuestionId,
    state: &State,
    results: Option<&connecty_proto::QuestionResults>,
    extra: Option<&connecty_proto::stats::Members>,
    show_state: bool,
) -> Result<(), Failure> {
    match format {
        Format::Json => {
            write_out(|out| format::write_json(out, question_id, state, results, extra))
        }
        Format::Table => {
            let options = TableOptions {
                width: table_width(),
            };
            write_out(|out| {
                if show_state {
                    writeln!(out, "state: {state}")?;
                    if results.is_some() {
                        writeln!(out)?;
                    }
                }
                if let Some(r) = results {
                    format::write_table(out, r, &options)?;
                }
                Ok(())
            })
        }
        Format::Csv | Format::Ndjson => {
            if show_state {
                eprintln!("state: {state}");
            }
            let Some(r) = results else { return Ok(()) };
            let Some(df) = &r.dataframe else {
                eprintln!("note: the results have no dataframe (add dataframe to --include)");
                return Ok(());
            };
            write_out(|out| {
                if format == Format::Csv {
                    format::write_csv(out, df)
                } else {
                    format::write_ndjson(out, df)
                }
            })
        }
    }
}

// ---------------------------------------------------------------------------
// ask and results.

/// The progress callback while waiting: it feeds `progress`, and remembers
/// the question id so that Ctrl-C prints the command to resume (exit 130).
fn waiting(progress: &Progress, dw: WorkspaceId, known: Option<QuestionId>) -> ProgressFn {
    let asked = Arc::new(Mutex::new(known));
    let watched = Arc::clone(&asked);
    let shown = progress.clone();
    // Without a thread the default Ctrl-C behaviour (exit) stays: fine.
    let _ = std::thread::Builder::new()
        .name("connecty-interrupt".to_string())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if rt.block_on(tokio::signal::ctrl_c()).is_err() {
                return;
            }
            shown.finish();
            let id = *watched.lock().unwrap_or_else(PoisonError::into_inner);
            match id {
                Some(q) => eprintln!(
                    "interrupted: question {q} goes on server-side\nresume with: {}",
                    resume_command(Some(dw), &q)
                ),
                None => eprintln!("interrupted"),
            }
            std::process::exit(130);
        });
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

fn options(results: &crate::cli::ResultOptions) -> ResultsOptions {
    ResultsOptions {
        include: results.include,
        max_rows: results.max_rows,
    }
}

fn ask(client: &AnyClient, args: &AskArgs, ctx: &Context) -> Outcome {
    if args.no_wait {
        let id = client
            .ask(args.dw, &args.question)
            .map_err(|e| failure(&e, ctx))?;
        return println_out(&id.to_string());
    }
    let progress = Progress::spinner("asking");
    let mut wait = WaitOptions::new();
    wait.results = options(&args.results);
    wait.timeout = args.timeout;
    wait.progress = Some(waiting(&progress, args.dw, None));
    let answer = client.ask_and_wait(args.dw, &args.question, &wait);
    progress.finish();
    let answer = answer.map_err(|e| failure(&e, ctx))?;
    print_results(
        args.format,
        &answer.question_id,
        &State::Completed,
        Some(&answer.results),
        None,
        false,
    )?;
    Ok(exit::SUCCESS)
}

fn results(client: &AnyClient, args: &ResultsArgs, ctx: &Context) -> Outcome {
    if args.wait {
        let progress = Progress::spinner(&format!("question {}: waiting", args.question_id));
        let mut wait = WaitOptions::new();
        wait.results = options(&args.results);
        wait.timeout = args.timeout;
        wait.progress = Some(waiting(&progress, args.dw, Some(args.question_id)));
        let answer = client.wait(args.dw, args.question_id, &wait);
        progress.finish();
        let answer = answer.map_err(|e| failure(&e, ctx))?;
        print_results(
            args.format,
            &answer.question_id,
            &State::Completed,
            Some(&answer.results),
            None,
            true,
        )?;
        return Ok(exit::SUCCESS);
    }
    let response = client
        .results(args.dw, args.question_id, &options(&args.results))
        .map_err(|e| failure(&e, ctx))?;
    print_results(
        args.format,
        &args.question_id,
        &response.state,
        response.results.as_ref(),
        Some(&response.extra),
        true,
    )?;
    match response.state {
        State::Failed => Err(failure(
            &connecty_proto::Error::QuestionFailed {
                question_id: args.question_id,
                reason: response.failure_reason(),
            },
            ctx,
        )),
        State::Completed => Ok(exit::SUCCESS),
        ref other => {
            eprintln!(
                "the question is {other}; wait for it with: {}",
                resume_command(ctx.dw, &args.question_id)
            );
            Ok(exit::SUCCESS)
        }
    }
}

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

fn emulator(args: &EmulatorArgs) -> Outcome {
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

fn demo(transport: TransportKind) -> Outcome {
    let handle = start_emulator(connecty_testkit::emulator::Emulator::builder())?;
    let base_url = BaseUrl::parse(&handle.base_url())
        .map_err(|e| failure(&connecty_proto::Error::InvalidInput(e), &Context::default()))?;
    let ctx = Context {
        base_url: base_url.to_string(),
        dw: Some(WorkspaceId(handle.workspace_id())),
    };
    let spec = ClientSpec {
        base_url,
        credentials: Some((
            handle.client_id().to_string(),
            handle.client_secret().to_string(),
        )),
        ca_certs: Vec::new(),
        deadline: Some(Duration::from_secs(60)),
    };
    let transport_name = match transport {
        TransportKind::Ureq => "ureq (blocking)",
        TransportKind::Hyper => "hyper (async)",
    };
    eprintln!(
        "Started a local ConnectyAI emulator at {} with a sample shop (workspace {}); no account or network needed.",
        ctx.base_url,
        handle.workspace_id()
    );
    let client = build(transport, &spec, &ctx)?;
    let progress = Progress::spinner_or_lines(&format!(
        "Asking \"{DEMO_QUESTION}\" over HTTP with {transport_name}"
    ));
    let mut wait = WaitOptions::new();
    wait.results.include = connecty_proto::IncludeSet::DEFAULT
        .with(connecty_proto::Include::Summary)
        .with(connecty_proto::Include::SqlQuery);
    wait.progress = progress.callback();
    let answer = client.ask_and_wait(WorkspaceId(handle.workspace_id()), DEMO_QUESTION, &wait);
    progress.finish();
    let answer = answer.map_err(|e| failure(&e, &ctx))?;
    eprintln!();
    print_results(
        Format::Table,
        &answer.question_id,
        &State::Completed,
        Some(&answer.results),
        None,
        false,
    )?;
    eprintln!(
        "\nNext: `connecty emulator` serves this emulator until Ctrl-C and prints the exports to point `connecty ask` at it."
    );
    drop(client);
    handle.shutdown();
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_in_minutes_and_seconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2025-11-05T11:54:22.793708+01:00").unwrap();
        let now: SystemTime = chrono::DateTime::parse_from_rfc3339("2025-11-05T09:54:22+00:00")
            .unwrap()
            .with_timezone(&chrono::Utc)
            .into();
        assert_eq!(
            expiry_line(at, now),
            "token expires at 2025-11-05T11:54:22.793708+01:00 (in 60 minutes)"
        );
        let now = now + Duration::from_secs(3599);
        assert_eq!(
            expiry_line(at, now),
            "token expires at 2025-11-05T11:54:22.793708+01:00 (in 1 second)"
        );
        let now = now + Duration::from_secs(10);
        assert!(expiry_line(at, now).ends_with("(already expired)"));
    }
}
