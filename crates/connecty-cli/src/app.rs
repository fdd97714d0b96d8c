//! The dispatcher: parses the command line and runs the command, in one
//! `match`. Nothing imports this module but the crate root.

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::commands;
use crate::exit::{self, ExitStatus, Outcome};

/// The `connecty` command's argument definitions, for completions and man
/// pages.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses the command line and runs the command; returns how to exit.
pub fn run() -> ExitStatus {
    // Nothing a user or a server sends should panic; should a bug do so
    // anyway, say it in one line, without a backtrace, remove any
    // half-written file and exit 1.
    std::panic::set_hook(Box::new(|info| {
        let text = info.to_string();
        eprintln!(
            "error: internal error in connecty (please report it): {}",
            crate::format::escape_for_line(&exit::redact(&text))
        );
        crate::atomic::remove_pending();
        std::process::exit(i32::from(ExitStatus::Failure.code()));
    }));
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // Help and version go to stdout with 0; errors to stderr with 2.
            let _ = e.print();
            return if e.exit_code() == 0 {
                ExitStatus::Success
            } else {
                ExitStatus::Usage
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitStatus::Usage;
        }
    };
    match dispatch(&cli) {
        Ok(status) => status,
        Err(f) => {
            f.print();
            f.status()
        }
    }
}

fn dispatch(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Health => commands::health::run(cli),
        Command::Token { show } => commands::token::run(cli, *show),
        Command::Ask(args) => commands::ask::run(cli, args),
        Command::Results(args) => commands::results::run(cli, args),
        Command::Batch(args) => commands::batch::run(cli, args),
        Command::Shell(args) => commands::shell::run(cli, args),
        Command::Configure(args) => commands::configure::run(cli, args),
        Command::Completions { shell } => commands::completions::run(*shell),
        Command::Emulator(args) => commands::emulator::run(args),
        Command::Mcp(args) => commands::mcp::run(cli, args),
        Command::Demo => {
            commands::demo::run(cli.transport.unwrap_or_default().into(), !cli.no_pager)
        }
    }
}
