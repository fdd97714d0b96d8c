//! Profiles: `config.toml` and `credentials.toml` in the config directory.
//!
//! ```toml
//! # config.toml
//! [profiles.default]
//! region = "eu1"              # or base_url = "https://gateway.example/connecty"
//! transport = "hyper"         # ureq (default) or hyper
//! ca_cert = "gateway-ca.pem"  # relative to the config directory
//! client_id = "my-client"
//!
//! # credentials.toml (mode 0600: refused when group or others can read it)
//! [profiles.default]
//! client_secret = "..."
//! client_id = "my-client"     # optional; wins over config.toml's
//! ```
//!
//! A key the command does not know is an error naming it, so a typo never
//! goes unnoticed; the secret in config.toml is refused the same way.
//! Errors about credentials.toml never quote its text.

use std::path::{Path, PathBuf};

use connecty_proto::{BaseUrl, Region};
use toml_edit::{DocumentMut, Item, Table};

use crate::cli::TransportKind;
use crate::exit::{self, Failure, register_secret};

/// Environment variable naming the config directory.
pub const ENV_CONFIG_DIR: &str = "CONNECTY_CONFIG_DIR";
/// Environment variable naming the profile.
pub const ENV_PROFILE: &str = "CONNECTY_PROFILE";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";
/// The settings file.
pub const CONFIG_FILE: &str = "config.toml";
/// The secrets file.
pub const CREDENTIALS_FILE: &str = "credentials.toml";
/// The shell's history file.
pub const HISTORY_FILE: &str = "history";

const CONFIG_KEYS: [&str; 5] = ["region", "base_url", "transport", "ca_cert", "client_id"];
const CREDENTIALS_KEYS: [&str; 2] = ["client_secret", "client_id"];

/// `$CONNECTY_CONFIG_DIR`, else the platform's config directory +
/// `connecty` (`$XDG_CONFIG_HOME/connecty` or `~/.config/connecty` on
/// Linux). `None` when neither is known (no home directory).
pub fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env(ENV_CONFIG_DIR).filter(|v| !v.trim().is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::config_dir().map(|d| d.join("connecty")),
    }
}

/// Creates `dir` (and its parents) when missing, with mode 0700 on Unix:
/// it holds secrets and the shell's history.
pub fn create_private_dir(dir: &Path) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("cannot create {}: {e}", dir.display()),
        )
    })
}

/// The chosen profile's name and whether the user named it (`--profile` or
/// `CONNECTY_PROFILE`) rather than falling back to `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName {
    /// The name.
    pub name: String,
    /// Whether it was asked for by name.
    pub explicit: bool,
}

impl ProfileName {
    /// `--profile`, else `CONNECTY_PROFILE`, else `default`.
    pub fn choose(flag: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> ProfileName {
        let named = flag
            .map(str::to_string)
            .or_else(|| env(ENV_PROFILE))
            .filter(|n| !n.trim().is_empty());
        match named {
            Some(name) => ProfileName {
                name: name.trim().to_string(),
                explicit: true,
            },
            None => ProfileName {
                name: DEFAULT_PROFILE.to_string(),
                explicit: false,
            },
        }
    }
}

/// Checks a profile name: letters, digits, `-`, `_` and `.`, as a file
/// name would be, so it reads the same in every file and message.
pub fn validate_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            exit::USAGE,
            "invalid_input",
            format!(
                "{:?} is not a profile name",
                crate::format::escape_for_line(name)
            ),
        )
        .hint("use letters, digits, -, _ and . (at most 64)"))
    }
}

/// One profile's settings from config.toml.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// `region`.
    pub region: Option<Region>,
    /// `base_url` (wins over `region`).
    pub base_url: Option<BaseUrl>,
    /// `transport`.
    pub transport: Option<TransportKind>,
    /// `ca_cert`, made absolute against the config directory.
    pub ca_cert: Option<PathBuf>,
    /// `client_id`.
    pub client_id: Option<String>,
}

/// One profile's entries in credentials.toml.
#[derive(Clone, Default, PartialEq)]
pub struct StoredCredentials {
    /// `client_id`, when the file holds one (wins over config.toml's).
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for StoredCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A parsed file, or `None` when it does not exist.
pub fn read_doc(path: &Path, secret: bool) -> Result<Option<DocumentMut>, Failure> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::new(
                exit::USAGE,
                "invalid_input",
                format!("cannot read {}: {e}", path.display()),
            ));
        }
    };
    let bad = |detail: String| {
        Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("{} is not valid TOML: {detail}", path.display()),
        )
        .hint(format!(
            "fix or remove it, or rewrite the profile with `connecty configure`{}",
            if secret {
                " (its text is not shown: it holds secrets)"
            } else {
                ""
            }
        ))
    };
    let text = String::from_utf8(text).map_err(|_| bad("it is not UTF-8".to_string()))?;
    match text.parse::<DocumentMut>() {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => {
            let at = e.span().map(|s| line_col(&text, s.start));
            let detail = match (secret, at) {
                (true, Some((l, c))) => format!("at line {l}, column {c}"),
                (true, None) => "a syntax error".to_string(),
                (false, Some((l, c))) => format!("{} at line {l}, column {c}", e.message()),
                (false, None) => e.message().to_string(),
            };
            Err(bad(detail))
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Refuses a credentials file that group or others can read (exit 3),
/// naming the file and the fix.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o044 != 0 {
        return Err(Failure::new(
            exit::AUTHENTICATION,
            "authentication",
            format!(
                "{} can be read by other users (mode {mode:04o}); it holds client secrets, so it is not used",
                path.display()
            ),
        )
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

/// Permissions are not checked off Unix.
#[cfg(not(unix))]
pub fn check_private(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

/// The names of the profiles a file defines.
pub fn profile_names(doc: &DocumentMut) -> Vec<String> {
    doc.get("profiles")
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// The `[profiles.NAME]` table of `doc`, if there is one.
fn section<'a>(
    doc: &'a DocumentMut,
    name: &str,
    path: &Path,
) -> Result<Option<&'a Table>, Failure> {
    let Some(profiles) = doc.get("profiles") else {
        return Ok(None);
    };
    let not_table = |what: &str| {
        Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("{what} in {} is not a table", path.display()),
        )
        .hint(format!("write it as [{what}]"))
    };
    let Some(profiles) = profiles.as_table() else {
        return Err(not_table("profiles"));
    };
    match profiles.get(name) {
        None => Ok(None),
        Some(item) => item
            .as_table()
            .map(Some)
            .ok_or_else(|| not_table(&format!("profiles.{name}"))),
    }
}

fn string_value(table: &Table, key: &str, what: &str) -> Result<Option<String>, Failure> {
    match table.get(key) {
        None => Ok(None),
        Some(item) => match item.as_str() {
            Some(s) => Ok(Some(s.to_string())),
            None => Err(Failure::new(
                exit::USAGE,
                "invalid_input",
                format!("{key} in {what} is not a string"),
            )),
        },
    }
}

fn check_keys(table: &Table, known: &[&str], what: &str, secret_file: bool) -> Result<(), Failure> {
    for (key, _) in table.iter() {
        if known.contains(&key) {
            continue;
        }
        let f = Failure::new(
            exit::USAGE,
            "invalid_input",
            format!(
                "unknown key {:?} in {what}",
                crate::format::escape_for_line(key)
            ),
        );
        return Err(if key == "client_secret" && !secret_file {
            f.hint(format!(
                "the secret belongs in {CREDENTIALS_FILE} (mode 0600): run `connecty configure`"
            ))
        } else {
            f.hint(format!("the keys are: {}", known.join(", ")))
        });
    }
    Ok(())
}

/// Profile `name` of config.toml (`doc`, read from `path` in `dir`), or
/// `None` when the file has no such profile.
pub fn parse_profile(
    doc: &DocumentMut,
    name: &str,
    path: &Path,
    dir: &Path,
) -> Result<Option<Profile>, Failure> {
    let Some(table) = section(doc, name, path)? else {
        return Ok(None);
    };
    let what = format!("[profiles.{name}] of {}", path.display());
    check_keys(table, &CONFIG_KEYS, &what, false)?;
    let invalid = |key: &str, message: String| {
        Failure::new(
            exit::USAGE,
            "invalid_input",
            format!("{key} in {what}: {message}"),
        )
    };
    let mut p = Profile::default();
    if let Some(r) = string_value(table, "region", &what)? {
        p.region = Some(
            r.parse::<Region>()
                .map_err(|e| invalid("region", e.message))?,
        );
    }
    if let Some(u) = string_value(table, "base_url", &what)? {
        p.base_url = Some(BaseUrl::parse(&u).map_err(|e| invalid("base_url", e.message))?);
    }
    if let Some(t) = string_value(table, "transport", &what)? {
        p.transport = Some(
            t.parse::<TransportKind>()
                .map_err(|e| invalid("transport", e))?,
        );
    }
    if let Some(c) = string_value(table, "ca_cert", &what)? {
        p.ca_cert = Some(dir.join(c));
    }
    p.client_id = string_value(table, "client_id", &what)?;
    Ok(Some(p))
}

/// Profile `name` of credentials.toml (`doc`, read from `path`); its secret
/// is registered for redaction.
pub fn parse_credentials(
    doc: &DocumentMut,
    name: &str,
    path: &Path,
) -> Result<Option<StoredCredentials>, Failure> {
    let Some(table) = section(doc, name, path)? else {
        return Ok(None);
    };
    let what = format!("[profiles.{name}] of {}", path.display());
    check_keys(table, &CREDENTIALS_KEYS, &what, true)?;
    let c = StoredCredentials {
        client_id: string_value(table, "client_id", &what)?,
        client_secret: string_value(table, "client_secret", &what)?,
    };
    if let Some(s) = &c.client_secret {
        register_secret(s);
    }
    Ok(Some(c))
}

/// Every profile in either file, sorted, for "unknown profile" errors.
pub fn all_profiles(
    config: Option<&DocumentMut>,
    credentials: Option<&DocumentMut>,
) -> Vec<String> {
    let mut names: Vec<String> = config
        .into_iter()
        .chain(credentials)
        .flat_map(profile_names)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// An environment of fixed variables, for the tests of every lookup.
#[cfg(test)]
pub(crate) fn fake_env(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::fake_env as env;
    use super::*;

    #[test]
    fn profile_is_the_flag_then_the_environment_then_default() {
        let e = env(&[("CONNECTY_PROFILE", "from-env")]);
        let pick = |flag| ProfileName::choose(flag, &e);
        assert_eq!(pick(Some("flag")).name, "flag");
        assert_eq!(pick(None).name, "from-env");
        assert!(pick(None).explicit);
        let none = env(&[("CONNECTY_PROFILE", " ")]);
        assert_eq!(
            ProfileName::choose(None, &none),
            ProfileName {
                name: "default".into(),
                explicit: false
            }
        );
    }

    #[test]
    fn config_dir_is_the_variable_else_the_platform_dir() {
        let e = env(&[("CONNECTY_CONFIG_DIR", "/tmp/cfg")]);
        assert_eq!(config_dir(&e), Some(PathBuf::from("/tmp/cfg")));
        if let Some(d) = config_dir(&env(&[])) {
            assert!(d.ends_with("connecty"), "{d:?}");
        }
    }

    #[test]
    fn profiles_parse_and_unknown_keys_are_named() {
        let path = Path::new("/cfg/config.toml");
        let doc: DocumentMut = r#"
            [profiles.default]
            region = "us1"
            transport = "hyper"
            ca_cert = "ca.pem"
            client_id = "me"
            [profiles.gw]
            base_url = "http://127.0.0.1:9/x"
            [profiles.typo]
            regoin = "eu1"
            [profiles.secret]
            client_secret = "oops"
        "#
        .parse()
        .unwrap();
        let p = parse_profile(&doc, "default", path, Path::new("/cfg"))
            .unwrap()
            .unwrap();
        assert_eq!(p.region, Some(Region::Us1));
        assert_eq!(p.transport, Some(TransportKind::Hyper));
        assert_eq!(p.ca_cert, Some(PathBuf::from("/cfg/ca.pem")));
        assert_eq!(p.client_id.as_deref(), Some("me"));
        assert!(
            parse_profile(&doc, "gw", path, Path::new("/cfg"))
                .unwrap()
                .unwrap()
                .base_url
                .is_some()
        );
        assert_eq!(
            parse_profile(&doc, "none", path, Path::new("/cfg")).unwrap(),
            None
        );
        let e = parse_profile(&doc, "typo", path, Path::new("/cfg")).unwrap_err();
        assert!(e.message.contains("\"regoin\""), "{e:?}");
        let e = parse_profile(&doc, "secret", path, Path::new("/cfg")).unwrap_err();
        assert!(e.hint.unwrap().contains("credentials.toml"));
        assert_eq!(
            all_profiles(Some(&doc), None),
            ["default", "gw", "secret", "typo"]
        );
    }

    #[test]
    fn credentials_parse_errors_never_quote_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        std::fs::write(
            &path,
            "[profiles.default]\nclient_secret = \"hunter2-very-secret\n",
        )
        .unwrap();
        let e = read_doc(&path, true).unwrap_err();
        let text = format!("{e:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(e.message.contains("line 2"), "{e:?}");
        let e = read_doc(&path, false).unwrap_err();
        assert!(e.message.contains("line 2"), "{e:?}");
    }

    #[cfg(unix)]
    #[test]
    fn open_credentials_are_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = check_private(&path).unwrap_err();
        assert_eq!(e.code, exit::AUTHENTICATION);
        assert!(e.message.contains("mode 0640"), "{e:?}");
        assert_eq!(
            e.hint.unwrap(),
            format!("hint: chmod 600 {}", path.display())
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_private(&path).is_ok());
    }

    #[test]
    fn names() {
        assert!(validate_name("prod-eu_1.a").is_ok());
        for bad in ["", "a b", "a]b", "ä", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
