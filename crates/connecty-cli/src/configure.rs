//! `connecty configure`: write one profile to config.toml and
//! credentials.toml, keeping everything else in both files, then check the
//! credentials with one token exchange.
//!
//! Both files are edited with toml_edit, so other profiles, comments and
//! key order survive; each is replaced atomically ([`AtomicFile`]), and
//! credentials.toml is always written with mode 0600. The secret is read
//! without echo (a terminal) or from stdin (`--client-secret-stdin`), and
//! is never printed.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use connecty_proto::{BaseUrl, Credentials, Region, Settings};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::app::{Outcome, build, expiry_line};
use crate::atomic::{AtomicFile, Mode};
use crate::cli::{Cli, ConfigureArgs, TransportKind};
use crate::exit::{self, Context, Failure, failure, register_secret};
use crate::profile::{self, CONFIG_FILE, CREDENTIALS_FILE, ProfileName};
use crate::resolve::ENV_TRANSPORT;

/// Where a profile sends requests, as written to config.toml.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// `region = "..."`.
    Region(Region),
    /// `base_url = "..."`.
    BaseUrl(BaseUrl),
}

impl Endpoint {
    fn parse(s: &str) -> Result<Endpoint, String> {
        let s = s.trim();
        if s.contains("://") {
            BaseUrl::parse(s)
                .map(Endpoint::BaseUrl)
                .map_err(|e| e.message)
        } else {
            s.parse::<Region>()
                .map(Endpoint::Region)
                .map_err(|e| e.message)
        }
    }

    fn base_url(&self) -> BaseUrl {
        match self {
            Endpoint::Region(r) => r.base_url(),
            Endpoint::BaseUrl(u) => u.clone(),
        }
    }
}

/// What one `configure` run writes to profile `name`.
pub struct Update {
    /// The endpoint; `None` keeps the profile's.
    pub endpoint: Option<Endpoint>,
    /// The client id.
    pub client_id: String,
    /// The client secret; `None` keeps the stored one.
    pub client_secret: Option<String>,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::new(exit::USAGE, "invalid_input", message)
}

/// The `[profiles.NAME]` table of `doc`, created when missing.
fn profile_table<'a>(
    doc: &'a mut DocumentMut,
    name: &str,
    path: &Path,
) -> Result<&'a mut Table, Failure> {
    let not_table = || {
        usage(format!(
            "profiles.{name} in {} is not a table",
            path.display()
        ))
    };
    let profiles = doc.entry("profiles").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let profiles = profiles.as_table_mut().ok_or_else(not_table)?;
    profiles
        .entry(name)
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_mut()
        .ok_or_else(not_table)
}

/// Applies `update` to both documents: only profile `name`'s keys change.
pub fn apply(
    config: &mut DocumentMut,
    credentials: &mut DocumentMut,
    name: &str,
    update: &Update,
    paths: (&Path, &Path),
) -> Result<(), Failure> {
    let c = profile_table(config, name, paths.0)?;
    match &update.endpoint {
        Some(Endpoint::Region(r)) => {
            c.insert("region", value(r.to_string()));
            c.remove("base_url");
        }
        Some(Endpoint::BaseUrl(u)) => {
            c.insert("base_url", value(u.to_string()));
            c.remove("region");
        }
        None => {}
    }
    c.insert("client_id", value(update.client_id.as_str()));
    let s = profile_table(credentials, name, paths.1)?;
    if let Some(secret) = &update.client_secret {
        s.insert("client_secret", value(secret.as_str()));
    }
    if s.contains_key("client_id") {
        s.insert("client_id", value(update.client_id.as_str()));
    }
    Ok(())
}

fn current(doc: &DocumentMut, name: &str, key: &str) -> Option<String> {
    doc.get("profiles")?
        .get(name)?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

fn prompt(question: &str) -> Result<String, Failure> {
    eprint!("{question}");
    let _ = io::stderr().flush();
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err(usage("configure was cancelled; nothing was written")),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(usage(format!("cannot read the answer: {e}"))),
    }
}

fn read_secret(interactive_prompt: Option<&str>) -> Result<String, Failure> {
    let secret = match interactive_prompt {
        Some(p) => rpassword::prompt_password(p)
            .map_err(|e| usage(format!("cannot read the client secret: {e}")))?,
        None => {
            let mut buf = Vec::new();
            io::stdin()
                .lock()
                .take(64 * 1024)
                .read_to_end(&mut buf)
                .map_err(|e| usage(format!("cannot read the client secret from stdin: {e}")))?;
            let text = String::from_utf8(buf)
                .map_err(|_| usage("the client secret on stdin is not UTF-8"))?;
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
    let flag_endpoint = match (&cli.base_url, cli.region) {
        (Some(_), Some(_)) => return Err(usage("--base-url and --region cannot be used together")),
        (Some(u), None) => Some(Endpoint::BaseUrl(u.clone())),
        (None, Some(r)) => Some(Endpoint::Region(r)),
        (None, None) => None,
    };
    let terminal = io::stdin().is_terminal();
    let has_secret = current(credentials, name, "client_secret").is_some();
    if !terminal && (args.client_id.is_none() || !args.client_secret_stdin) {
        return Err(usage("stdin is not a terminal, so configure cannot ask").hint(
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
            Some(Endpoint::parse(&text).map_err(usage)?)
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
                (true, None) => return Err(usage("a client id is needed; nothing was written")),
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
        .map_err(|e| usage(format!("the {}: {}", e.field.replace('_', " "), e.message)))?;
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
        Failure::new(
            exit::FAILURE,
            "other",
            format!(
                "cannot write {}: {e}; it was left as it was",
                path.display()
            ),
        )
    })
}

/// `connecty configure`.
pub fn run(cli: &Cli, args: &ConfigureArgs) -> Outcome {
    let env = |k: &str| std::env::var(k).ok();
    let name = ProfileName::choose(cli.profile.as_deref(), &env).name;
    profile::validate_name(&name)?;
    let dir = profile::config_dir(&env).ok_or_else(|| {
        usage("there is no config directory (no home directory)")
            .hint(format!("set {} to a directory", profile::ENV_CONFIG_DIR))
    })?;
    let (config_path, cred_path) = (dir.join(CONFIG_FILE), dir.join(CREDENTIALS_FILE));
    let mut config = profile::read_doc(&config_path, false)?.unwrap_or_default();
    let mut credentials = profile::read_doc(&cred_path, true)?.unwrap_or_default();
    let was_open = cred_path.exists() && profile::check_private(&cred_path).is_err();
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
    profile::create_private_dir(&dir)?;
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
        return Err(usage("the profile has no client id or secret"));
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
        .or_else(|| {
            std::env::var(ENV_TRANSPORT)
                .ok()
                .and_then(|t| t.parse().ok())
        })
        .or_else(|| current(config, name, "transport").and_then(|t| t.parse().ok()))
        .unwrap_or(TransportKind::Ureq);
    let ca: Option<PathBuf> = cli
        .ca_cert
        .clone()
        .or_else(|| current(config, name, "ca_cert").map(|c| dir.join(c)));
    if let Some(path) = ca {
        settings
            .extra_root_certificates
            .push(crate::app::read_file(&path, "the CA certificate")?);
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
            Ok(exit::SUCCESS)
        }
        Err(e) => {
            eprintln!("the check failed:");
            Err(saved(failure(&e, &ctx)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_profile_keys_change_and_comments_stay() {
        let mut config: DocumentMut = "# my settings\n[profiles.other]\nregion = \"us1\" # theirs\n\n[profiles.prod]\nbase_url = \"http://old.test\"\ntransport = \"hyper\"\n".parse().unwrap();
        let mut creds: DocumentMut = "[profiles.other]\nclient_secret = \"keep-me\"\n"
            .parse()
            .unwrap();
        let update = Update {
            endpoint: Some(Endpoint::Region(Region::Eu1)),
            client_id: "new-id".into(),
            client_secret: Some("new-secret".into()),
        };
        let paths = (Path::new("config.toml"), Path::new("credentials.toml"));
        apply(&mut config, &mut creds, "prod", &update, paths).unwrap();
        assert_eq!(
            config.to_string(),
            "# my settings\n[profiles.other]\nregion = \"us1\" # theirs\n\n[profiles.prod]\ntransport = \"hyper\"\nregion = \"eu1\"\nclient_id = \"new-id\"\n"
        );
        assert_eq!(
            creds.to_string(),
            "[profiles.other]\nclient_secret = \"keep-me\"\n\n[profiles.prod]\nclient_secret = \"new-secret\"\n"
        );
        // A new profile in empty files; a kept secret stays.
        let (mut c, mut s) = (DocumentMut::new(), DocumentMut::new());
        let keep = Update {
            endpoint: None,
            client_id: "a".into(),
            client_secret: None,
        };
        apply(&mut c, &mut s, "default", &keep, paths).unwrap();
        assert_eq!(c.to_string(), "[profiles.default]\nclient_id = \"a\"\n");
    }

    #[test]
    fn endpoints_are_a_region_or_a_url() {
        assert_eq!(Endpoint::parse(" US1 "), Ok(Endpoint::Region(Region::Us1)));
        assert!(matches!(
            Endpoint::parse("http://127.0.0.1:9/x"),
            Ok(Endpoint::BaseUrl(_))
        ));
        assert!(Endpoint::parse("mars").is_err());
        assert!(Endpoint::parse("ftp://x").is_err());
    }
}
