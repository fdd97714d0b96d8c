//! Editing one profile in config.toml and credentials.toml, as
//! `connecty configure` does: only that profile's keys change; other
//! profiles, comments and key order stay (toml_edit).

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, value};

use crate::{Endpoint, Error};

/// What one edit writes to a profile.
#[derive(Clone, PartialEq)]
pub struct Update {
    /// The endpoint; `None` keeps the profile's.
    pub endpoint: Option<Endpoint>,
    /// The client id.
    pub client_id: String,
    /// The client secret; `None` keeps the stored one.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for Update {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The `[profiles.NAME]` table of `doc`, created when missing.
fn profile_table<'a>(
    doc: &'a mut DocumentMut,
    name: &str,
    path: &Path,
) -> Result<&'a mut Table, Error> {
    let not_table = || {
        Error::invalid(format!(
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

/// Applies `update` to both documents (config.toml, credentials.toml, read
/// from `paths`): only profile `name`'s keys change. The client id goes to
/// config.toml, and to credentials.toml too when that file already holds
/// one.
pub fn apply(
    config: &mut DocumentMut,
    credentials: &mut DocumentMut,
    name: &str,
    update: &Update,
    paths: (&Path, &Path),
) -> Result<(), Error> {
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

/// The string `key` of profile `name` in `doc`, as it stands (unchecked).
pub fn current(doc: &DocumentMut, name: &str, key: &str) -> Option<String> {
    doc.get("profiles")?
        .get(name)?
        .get(key)?
        .as_str()
        .map(str::to_string)
}
