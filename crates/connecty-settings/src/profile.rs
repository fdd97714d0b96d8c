//! One profile: its name, and its entries in config.toml and
//! credentials.toml.
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
//! A key that is not known is an error naming it, so a typo never goes
//! unnoticed; the secret in config.toml is refused the same way. Errors
//! about credentials.toml never quote its text.

use std::path::{Path, PathBuf};

use connecty_proto::{BaseUrl, Region};
use toml_edit::{DocumentMut, Item, Table};

use crate::files::CREDENTIALS_FILE;
use connecty_proto::escape_for_line;

use crate::Error;

/// Environment variable naming the profile.
pub const ENV_PROFILE: &str = "CONNECTY_PROFILE";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

const CONFIG_KEYS: [&str; 5] = ["region", "base_url", "transport", "ca_cert", "client_id"];
const CREDENTIALS_KEYS: [&str; 2] = ["client_secret", "client_id"];

/// The chosen profile's name and whether the user named it (explicitly or
/// with `CONNECTY_PROFILE`) rather than falling back to `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName {
    /// The name.
    pub name: String,
    /// Whether it was asked for by name.
    pub explicit: bool,
}

impl ProfileName {
    /// `explicit` (such as `--profile`), else `CONNECTY_PROFILE`, else
    /// `default`. Blank names count as none.
    pub fn choose(explicit: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> ProfileName {
        let named = explicit
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
pub fn validate_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(
            Error::invalid(format!("{:?} is not a profile name", escape_for_line(name)))
                .hint("use letters, digits, -, _ and . (at most 64)"),
        )
    }
}

/// The HTTP client a profile asks for (`transport = "..."`,
/// `CONNECTY_TRANSPORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// The blocking client (connecty-ureq).
    #[default]
    Ureq,
    /// The async client on tokio (connecty-hyper).
    Hyper,
}

impl std::str::FromStr for Transport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ureq" => Ok(Transport::Ureq),
            "hyper" => Ok(Transport::Hyper),
            _ => Err(format!("{s:?} is not a transport: expected ureq or hyper")),
        }
    }
}

/// Where requests go, named one of two ways: a region or a base URL.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// `region = "..."`.
    Region(Region),
    /// `base_url = "..."`.
    BaseUrl(BaseUrl),
}

impl Endpoint {
    /// A region name (`eu1`, `us1`) or a URL (anything with `://`).
    pub fn parse(s: &str) -> Result<Endpoint, String> {
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

    /// The base URL it names.
    pub fn base_url(&self) -> BaseUrl {
        match self {
            Endpoint::Region(r) => r.base_url(),
            Endpoint::BaseUrl(u) => u.clone(),
        }
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
    pub transport: Option<Transport>,
    /// `ca_cert`, made absolute against the config directory.
    pub ca_cert: Option<PathBuf>,
    /// `client_id`.
    pub client_id: Option<String>,
}

/// One profile's entries in credentials.toml. Its `Debug` does not show
/// the secret.
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

/// The names of the profiles a file defines.
pub fn profile_names(doc: &DocumentMut) -> Vec<String> {
    doc.get("profiles")
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// The `[profiles.NAME]` table of `doc`, if there is one.
fn section<'a>(doc: &'a DocumentMut, name: &str, path: &Path) -> Result<Option<&'a Table>, Error> {
    let Some(profiles) = doc.get("profiles") else {
        return Ok(None);
    };
    let not_table = |what: &str| {
        Error::invalid(format!("{what} in {} is not a table", path.display()))
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

fn string_value(table: &Table, key: &str, what: &str) -> Result<Option<String>, Error> {
    match table.get(key) {
        None => Ok(None),
        Some(item) => match item.as_str() {
            Some(s) => Ok(Some(s.to_string())),
            None => Err(Error::invalid(format!("{key} in {what} is not a string"))),
        },
    }
}

fn check_keys(table: &Table, known: &[&str], what: &str, secret_file: bool) -> Result<(), Error> {
    for (key, _) in table.iter() {
        if known.contains(&key) {
            continue;
        }
        let e = Error::invalid(format!("unknown key {:?} in {what}", escape_for_line(key)));
        return Err(if key == "client_secret" && !secret_file {
            e.hint(format!(
                "the secret belongs in {CREDENTIALS_FILE} (mode 0600): run `connecty configure`"
            ))
        } else {
            e.hint(format!("the keys are: {}", known.join(", ")))
        });
    }
    Ok(())
}

/// The table of profile `name` in the file at `path`, with its keys
/// checked against `known`, and how messages name it.
fn checked_section<'a>(
    doc: &'a DocumentMut,
    name: &str,
    path: &Path,
    known: &[&str],
    secret_file: bool,
) -> Result<Option<(&'a Table, String)>, Error> {
    let Some(table) = section(doc, name, path)? else {
        return Ok(None);
    };
    let what = format!("[profiles.{name}] of {}", path.display());
    check_keys(table, known, &what, secret_file)?;
    Ok(Some((table, what)))
}

/// Profile `name` of config.toml (`doc`, read from `path` in `dir`), or
/// `None` when the file has no such profile.
pub fn parse_profile(
    doc: &DocumentMut,
    name: &str,
    path: &Path,
    dir: &Path,
) -> Result<Option<Profile>, Error> {
    let Some((table, what)) = checked_section(doc, name, path, &CONFIG_KEYS, false)? else {
        return Ok(None);
    };
    let invalid =
        |key: &str, message: String| Error::invalid(format!("{key} in {what}: {message}"));
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
            t.parse::<Transport>()
                .map_err(|e| invalid("transport", e))?,
        );
    }
    if let Some(c) = string_value(table, "ca_cert", &what)? {
        p.ca_cert = Some(dir.join(c));
    }
    p.client_id = string_value(table, "client_id", &what)?;
    Ok(Some(p))
}

/// Profile `name` of credentials.toml (`doc`, read from `path`), or `None`
/// when the file has no such profile.
pub fn parse_credentials(
    doc: &DocumentMut,
    name: &str,
    path: &Path,
) -> Result<Option<StoredCredentials>, Error> {
    let Some((table, what)) = checked_section(doc, name, path, &CREDENTIALS_KEYS, true)? else {
        return Ok(None);
    };
    Ok(Some(StoredCredentials {
        client_id: string_value(table, "client_id", &what)?,
        client_secret: string_value(table, "client_secret", &what)?,
    }))
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
