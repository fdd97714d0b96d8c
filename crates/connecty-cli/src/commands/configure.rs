//! `connecty configure`: write one profile to config.toml and
//! credentials.toml, keeping everything else in both files, then check the
//! credentials with one token exchange.
//!
//! Both files are edited by connecty-settings ([`apply`]: toml_edit, so
//! other profiles, comments and key order survive); each is replaced
//! atomically ([`AtomicFile`]), and
//! credentials.toml is always written with mode 0600. The secret is read
//! without echo (a terminal) or from stdin (`--client-secret-stdin`), and
//! is never printed.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use connecty_proto::{Credentials, Region, Settings};
use connecty_settings::{
    CONFIG_FILE, CREDENTIALS_FILE, DocumentMut, ENV_CONFIG_DIR, ENV_TRANSPORT, Endpoint,
    ProfileName, Transport, Update, apply, check_private, config_dir, create_private_dir, current,
    read_doc, validate_name,
};

use super::token::expiry_line;
use crate::atomic::{AtomicFile, Mode};
use crate::cli::{Cli, ConfigureArgs};
use crate::client::build;
use crate::exit::{Context, ExitStatus, Failure, Outcome, failure, register_secret};
use crate::settings::{endpoint_flag, read_file};

fn prompt(question: &str) -> Result<String, Failure> {
    eprint!("{question}");
    let _ = io::stderr().flush();
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(Failure::usage(
            "configure was cancelled; nothing was written",
        )),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(Failure::usage(format!("cannot read the answer: {e}"))),
    }
}

fn read_secret(interactive_prompt: Option<&str>) -> Result<String, Failure> {
    let secret = match interactive_prompt {
        Some(p) => rpassword::prompt_password(p)
            .map_err(|e| Failure::usage(format!("cannot read the client secret: {e}")))?,
        None => {
            let mut buf = Vec::new();
            io::stdin()
                .lock()
                .take(64 * 1024)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Failure::usage(format!("cannot read the client secret from stdin: {e}"))
                })?;
            let text = String::from_utf8(buf)
                .map_err(|_| Failure::usage("the client secret on stdin is not UTF-8"))?;
            text.lines().next().unwrap_or("").to_string()
        }
    };
    register_secret(&secret);
    Ok(secret)
}

/// Asks on the terminal for what the flags did not give.
fn gather(
    cli: &Cli,
    args: &ConfigureArgs,
    config: &DocumentMut,
    credentials: &DocumentMut,
    name: &str,
) -> Result<Update, Failure> {
    let flag_endpoint = endpoint_flag(cli)?;
    let terminal = io::stdin().is_terminal();
    let has_secret = current(credentials, name, "client_secret").is_some();
    if !terminal && (args.client_id.is_none() || !args.client_secret_stdin) {
        return Err(Failure::usage("stdin is not a terminal, so configure cannot ask").hint(
            "give --client-id ID and the secret on stdin with --client-secret-stdin (and --region or --base-url)",
        ));
    }
    let endpoint = match flag_endpoint {
        Some(e) => Some(e),
        None if terminal => {
            let now = current(config, name, "base_url")
                .or_else(|| current(config, name, "region"))
                .unwrap_or_else(|| Region::default().to_string());
            let answer = prompt(&format!("Region (eu1, us1) or base URL [{now}]: "))?;
            let text = if answer.is_empty() { now } else { answer };
            Some(Endpoint::parse(&text).map_err(Failure::usage)?)
        }
        None => None,
    };
    let client_id = match &args.client_id {
        Some(id) => id.clone(),
        None => {
            let now = current(config, name, "client_id");
            let shown = now
                .as_deref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default();
            let answer = prompt(&format!("Client id{shown}: "))?;
            match (answer.is_empty(), now) {
                (false, _) => answer,
                (true, Some(n)) => n,
                (true, None) => {
                    return Err(Failure::usage("a client id is needed; nothing was written"));
                }
            }
        }
    };
    let client_secret = if args.client_secret_stdin && !terminal {
        Some(read_secret(None)?)
    } else {
        let keep = if has_secret {
            " [Enter keeps the saved one]"
        } else {
            ""
        };
        let s = read_secret(Some(&format!("Client secret (not shown){keep}: ")))?;
        match (s.is_empty(), has_secret) {
            (true, true) => None,
            _ => Some(s),
        }
    };
    // Checked here so that nothing invalid is written.
    let secret_for_check = client_secret
        .clone()
        .or_else(|| current(credentials, name, "client_secret"))
        .unwrap_or_default();
    Credentials::new(client_id.as_str(), secret_for_check.as_str())
        .map_err(|e| Failure::usage(format!("the {}: {}", e.field.replace('_', " "), e.message)))?;
    Ok(Update {
        endpoint,
        client_id,
        client_secret,
    })
}

fn write(path: &Path, doc: &DocumentMut, mode: Mode) -> Result<(), Failure> {
    let result = AtomicFile::create(path, mode).and_then(|mut f| {
        f.file().write_all(doc.to_string().as_bytes())?;
        f.commit()
    });
    result.map_err(|e| {
        Failure::other(format!(
            "cannot write {}: {e}; it was left as it was",
            path.display()
        ))
    })
}

/// `connecty configure`.
pub fn run(cli: &Cli, args: &ConfigureArgs) -> Outcome {
    let env = connecty_settings::process_env;
    let name = ProfileName::choose(cli.profile.as_deref(), &env).name;
    validate_name(&name)?;
    let dir = config_dir(&env).ok_or_else(|| {
        Failure::usage("there is no config directory (no home directory)")
            .hint(format!("set {ENV_CONFIG_DIR} to a directory"))
    })?;
    let (config_path, cred_path) = (dir.join(CONFIG_FILE), dir.join(CREDENTIALS_FILE));
    let mut config = read_doc(&config_path, false)?.unwrap_or_default();
    let mut credentials = read_doc(&cred_path, true)?.unwrap_or_default();
    let was_open = cred_path.exists() && check_private(&cred_path).is_err();
    if io::stdin().is_terminal() {
        eprintln!("Configuring profile {name:?} in {}", dir.display());
    }
    let update = gather(cli, args, &config, &credentials, &name)?;
    apply(
        &mut config,
        &mut credentials,
        &name,
        &update,
        (&config_path, &cred_path),
    )?;
    create_private_dir(&dir)?;
    write(&cred_path, &credentials, Mode::Private)?;
    write(&config_path, &config, Mode::Ordinary)?;
    eprintln!(
        "saved profile {name:?}: {} and {} (mode 0600)",
        config_path.display(),
        cred_path.display()
    );
    if was_open {
        eprintln!(
            "note: {} could be read by other users; it is now mode 0600",
            cred_path.display()
        );
    }
    check(cli, &config, &credentials, &name, &dir)
}

/// One token exchange with the profile just written.
fn check(
    cli: &Cli,
    config: &DocumentMut,
    credentials: &DocumentMut,
    name: &str,
    dir: &Path,
) -> Outcome {
    let endpoint = current(config, name, "base_url")
        .or_else(|| current(config, name, "region"))
        .and_then(|s| Endpoint::parse(&s).ok())
        .unwrap_or(Endpoint::Region(Region::default()));
    let mut settings = Settings::default();
    settings.base_url = endpoint.base_url();
    let id = current(credentials, name, "client_id").or_else(|| current(config, name, "client_id"));
    let secret = current(credentials, name, "client_secret");
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(Failure::usage("the profile has no client id or secret"));
    };
    let ctx = Context {
        base_url: settings.base_url.to_string(),
        dw: None,
        credentials_from: Some(format!(
            "the client id and secret came from profile {name:?}"
        )),
        body_limit: None,
    };
    settings.credentials = Some(
        Credentials::new(id, secret)
            .map_err(|e| failure(&connecty_proto::Error::InvalidInput(e), &ctx))?,
    );
    let transport = cli
        .transport
        .map(Transport::from)
        .or_else(|| {
            std::env::var(ENV_TRANSPORT)
                .ok()
                .and_then(|t| t.parse().ok())
        })
        .or_else(|| current(config, name, "transport").and_then(|t| t.parse().ok()))
        .unwrap_or(Transport::Ureq);
    let ca: Option<PathBuf> = cli
        .ca_cert
        .clone()
        .or_else(|| current(config, name, "ca_cert").map(|c| dir.join(c)));
    if let Some(path) = ca {
        settings
            .extra_root_certificates
            .push(read_file(&path, "the CA certificate")?);
    }
    let saved = |f: Failure| {
        let hint =
            format!("the profile was saved; change it with `connecty configure --profile {name}`");
        Failure {
            hint: Some(format!("hint: {hint}")),
            ..f
        }
    };
    let client = build(transport, &settings, &ctx).map_err(saved)?;
    match client.token() {
        Ok(token) => {
            eprintln!(
                "checked: the credentials work with {}; {}",
                ctx.base_url,
                expiry_line(token.expires_at(), SystemTime::now())
            );
            Ok(ExitStatus::Success)
        }
        Err(e) => {
            eprintln!("the check failed:");
            Err(saved(failure(&e, &ctx)))
        }
    }
}
