//! Parsing the command line, loading the settings, and running a command.

use std::io::{self, Read};
use std::path::Path;
use std::time::SystemTime;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::client::AnyClient;
use crate::exit::{self, Context, Failure, failure, register_secret};
use crate::output::write_stdout;
use crate::profile::{self, ProfileName};
use crate::resolve::{Flags, ProfileInput, Resolved, resolve};

/// The `connecty` command's argument definitions, for completions and man
/// pages.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parses the command line and runs the command; returns the exit code.
pub fn run() -> u8 {
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
    match dispatch(&cli) {
        Ok(code) => code,
        Err(f) => {
            f.print();
            f.code
        }
    }
}

/// A command's result: its exit code, or what to print and exit with.
pub type Outcome = Result<u8, Failure>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn dispatch(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Emulator(args) => return crate::demo::emulator(args),
        Command::Demo => {
            return crate::demo::demo(cli.transport.unwrap_or_default(), !cli.no_pager);
        }
        Command::Completions { shell } => {
            return write_stdout(|out| {
                clap_complete::generate(*shell, &mut Cli::command(), "connecty", out);
                Ok(())
            })
            .map(|()| exit::SUCCESS);
        }
        Command::Configure(args) => return crate::configure::run(cli, args),
        Command::Mcp(args) => return crate::mcp::run(cli, args),
        _ => {}
    }
    let needs_credentials = !matches!(cli.command, Command::Health);
    let loaded = load(cli, needs_credentials)?;
    let mut ctx = Context {
        base_url: loaded.resolved.settings.base_url.to_string(),
        dw: None,
        credentials_from: loaded.resolved.credentials_from.clone(),
        body_limit: Some(loaded.resolved.settings.body_limit),
    };
    let mut settings = loaded.resolved.settings.clone();
    let transport = loaded.resolved.transport;
    match &cli.command {
        Command::Health => {
            let client = build(transport, &settings, &ctx)?;
            client.health().map_err(|e| failure(&e, &ctx))?;
            println_out("ok")
        }
        Command::Token { show } => {
            let client = build(transport, &settings, &ctx)?;
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
            if let Some(t) = args.timeout {
                settings.default_deadline = t;
            }
            let client = build(transport, &settings, &ctx)?;
            crate::ask::ask(&client, args, !cli.no_pager, &ctx)
        }
        Command::Results(args) => {
            ctx.dw = Some(args.dw);
            if let Some(t) = args.timeout {
                settings.default_deadline = t;
            }
            let client = build(transport, &settings, &ctx)?;
            crate::ask::results(&client, args, !cli.no_pager, &ctx)
        }
        Command::Batch(args) => {
            ctx.dw = Some(args.dw);
            if let Some(t) = args.timeout {
                settings.default_deadline = t;
            }
            crate::batch::run(args, &settings, &ctx)
        }
        Command::Shell(args) => {
            if let Some(t) = args.timeout {
                settings.default_deadline = t;
            }
            let client = build(transport, &settings, &ctx)?;
            crate::shell::run(&client, args, &loaded, !cli.no_pager, ctx)
        }
        Command::Emulator(_)
        | Command::Demo
        | Command::Completions { .. }
        | Command::Configure(_)
        | Command::Mcp(_) => Ok(exit::SUCCESS),
    }
}

/// The settings of a command, and where they were read.
pub struct Loaded {
    /// The resolved settings.
    pub resolved: Resolved,
    /// The config directory, when there is one.
    pub dir: Option<std::path::PathBuf>,
}

/// Reads the profile (config.toml, and credentials.toml when the
/// environment does not give both credentials) and resolves every setting.
pub fn load(cli: &Cli, needs_credentials: bool) -> Result<Loaded, Failure> {
    let name = ProfileName::choose(cli.profile.as_deref(), &env);
    if name.explicit {
        profile::validate_name(&name.name)?;
    }
    let dir = profile::config_dir(&env);
    let mut label = format!("profile {:?}", name.name);
    let (mut config, mut stored, mut config_doc, mut cred_doc) = (None, None, None, None);
    if let Some(dir) = &dir {
        label = format!("profile {:?} ({})", name.name, dir.display());
        let config_path = dir.join(profile::CONFIG_FILE);
        let cred_path = dir.join(profile::CREDENTIALS_FILE);
        config_doc = profile::read_doc(&config_path, false)?;
        if let Some(doc) = &config_doc {
            config = profile::parse_profile(doc, &name.name, &config_path, dir)?;
        }
        let env_has_both = [
            connecty_proto::ENV_CLIENT_ID,
            connecty_proto::ENV_CLIENT_SECRET,
        ]
        .iter()
        .all(|k| env(k).is_some_and(|v| !v.trim().is_empty()));
        let must_exist = name.explicit && config.is_none();
        if (needs_credentials && !env_has_both) || must_exist {
            if cred_path.exists() {
                profile::check_private(&cred_path)?;
            }
            cred_doc = profile::read_doc(&cred_path, true)?;
            if let Some(doc) = &cred_doc {
                stored = profile::parse_credentials(doc, &name.name, &cred_path)?;
            }
        }
    }
    if name.explicit && config.is_none() && stored.is_none() {
        let names = profile::all_profiles(config_doc.as_ref(), cred_doc.as_ref());
        let known = if names.is_empty() {
            "there are no profiles yet".to_string()
        } else {
            format!("the profiles are: {}", names.join(", "))
        };
        let place = dir
            .as_ref()
            .map(|d| format!(" in {}", d.display()))
            .unwrap_or_default();
        return Err(Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("unknown profile {:?}{place}; {known}", name.name),
        )
        .hint(format!(
            "create it with `connecty configure --profile {}`",
            name.name
        )));
    }
    let flags = Flags {
        base_url: cli.base_url.as_ref(),
        region: cli.region,
        transport: cli.transport,
        ca_cert: cli.ca_cert.as_deref(),
    };
    let input = ProfileInput {
        label,
        config: config.as_ref(),
        credentials: stored.as_ref(),
    };
    let mut resolved = resolve(&flags, &env, &input, needs_credentials)?;
    if let Some(mib) = cli.body_limit {
        resolved.settings.body_limit = mib.saturating_mul(1024 * 1024);
    }
    if let Some(path) = &resolved.ca_cert {
        let what = if cli.ca_cert.is_some() {
            "--ca-cert"
        } else {
            "the profile's ca_cert"
        };
        let pem = read_file(path, what)?;
        resolved.settings.extra_root_certificates.push(pem);
    }
    Ok(Loaded { resolved, dir })
}

/// Reads a file, or stdin for `-` (exit 2 when it cannot).
pub fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
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

/// Builds the client, mapping a bad setting to its failure.
pub fn build(
    kind: crate::cli::TransportKind,
    settings: &connecty_proto::Settings,
    ctx: &Context,
) -> Result<AnyClient, Failure> {
    AnyClient::build(kind, settings).map_err(|e| failure(&e, ctx))
}

/// Prints one line on stdout.
pub fn println_out(line: &str) -> Outcome {
    write_stdout(|out| writeln!(out, "{line}"))?;
    Ok(exit::SUCCESS)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
