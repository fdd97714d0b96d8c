//! Where each setting comes from: explicit > environment > profile >
//! built-in defaults, as one pure function ([`resolve`]) whose result holds
//! the [`Settings`] every transport's `ClientBuilder` takes.
//!
//! The endpoint is one setting named two ways: at each level `base_url`
//! wins over `region`, and a higher level wins whichever way it names it.
//! The client id and the secret are looked up one by one:
//! `CONNECTY_CLIENT_ID` > credentials.toml > config.toml, and
//! `CONNECTY_CLIENT_SECRET` > credentials.toml.

use std::path::PathBuf;

use connecty_proto::{
    BaseUrl, Credentials, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, Region,
    Settings,
};

use crate::{Endpoint, Error, Profile, ProfileName, StoredCredentials, Transport};

/// Environment variable standing in for an explicit transport
/// (`--transport`).
pub const ENV_TRANSPORT: &str = "CONNECTY_TRANSPORT";

/// The values a caller gives outright (the CLI: its flags); each wins over
/// the environment and the profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Explicit {
    /// The profile to read (else `CONNECTY_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// Where requests go.
    pub endpoint: Option<Endpoint>,
    /// The HTTP client.
    pub transport: Option<Transport>,
    /// A PEM file of extra root certificates.
    pub ca_cert: Option<PathBuf>,
    /// The largest response body accepted, in bytes.
    pub body_limit: Option<u64>,
}

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// [`Explicit`].
    Explicit,
    /// This environment variable.
    Environment(&'static str),
    /// The profile's files.
    Profile,
    /// The built-in default.
    Default,
}

/// Where each resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sources {
    /// Of [`Settings::base_url`].
    pub base_url: Source,
    /// Of [`Resolved::transport`].
    pub transport: Source,
    /// Of [`Resolved::ca_cert`], when there is one.
    pub ca_cert: Option<Source>,
    /// Of the client id, when credentials were resolved.
    pub client_id: Option<Source>,
    /// Of the client secret, when credentials were resolved.
    pub client_secret: Option<Source>,
}

/// The chosen profile, as read from its files.
#[derive(Debug, Clone)]
pub struct ProfileInput {
    /// Its name.
    pub name: ProfileName,
    /// The config directory it was read from, when there is one.
    pub dir: Option<PathBuf>,
    /// Its config.toml entries.
    pub config: Option<Profile>,
    /// Its credentials.toml entries.
    pub credentials: Option<StoredCredentials>,
}

impl ProfileInput {
    /// No profile files: the default profile, nothing in it.
    pub fn empty() -> Self {
        ProfileInput {
            name: ProfileName {
                name: crate::DEFAULT_PROFILE.to_string(),
                explicit: false,
            },
            dir: None,
            config: None,
            credentials: None,
        }
    }

    /// How messages name the profile: `profile "default"
    /// (~/.config/connecty)`.
    pub fn label(&self) -> String {
        match &self.dir {
            Some(dir) => format!("profile {:?} ({})", self.name.name, dir.display()),
            None => format!("profile {:?}", self.name.name),
        }
    }
}

/// Everything a front-end needs to build its client.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The settings for `ClientBuilder::from_settings`, without the extra
    /// root certificates: the front-end reads [`Resolved::ca_cert`] (the
    /// CLI also takes `-` for stdin there).
    pub settings: Settings,
    /// The HTTP client.
    pub transport: Transport,
    /// The PEM file of extra roots.
    pub ca_cert: Option<PathBuf>,
    /// Where each value came from.
    pub sources: Sources,
    /// The profile that was read.
    pub profile: ProfileName,
    /// The config directory, when there is one (the CLI keeps the shell's
    /// history there).
    pub dir: Option<PathBuf>,
    label: String,
}

impl Resolved {
    /// How messages name the profile: `profile "default"
    /// (~/.config/connecty)`.
    pub fn profile_label(&self) -> &str {
        &self.label
    }

    /// Where the client id and secret came from, in words for an
    /// authentication error: `the client id and secret came from profile
    /// "default"`. `None` without credentials.
    pub fn credentials_from(&self) -> Option<String> {
        let id = words(self.sources.client_id?, &self.label);
        let secret = words(self.sources.client_secret?, &self.label);
        Some(if id == secret {
            format!("the client id and secret came from {id}")
        } else {
            format!("the client id came from {id}, the secret from {secret}")
        })
    }
}

/// How messages name where a credential came from: the variable, or the
/// profile.
fn words(source: Source, label: &str) -> String {
    match source {
        Source::Environment(var) => var.to_string(),
        Source::Explicit | Source::Profile | Source::Default => label.to_string(),
    }
}

fn env_value(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

fn env_invalid(name: &str, message: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{name}: {message}"))
}

/// The base URL: explicit, environment, profile, default (eu1).
fn endpoint(
    explicit: Option<&Endpoint>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&Profile>,
) -> Result<(BaseUrl, Source), Error> {
    if let Some(e) = explicit {
        return Ok((e.base_url(), Source::Explicit));
    }
    if let Some(url) = env_value(env, ENV_BASE_URL) {
        return BaseUrl::parse(&url)
            .map(|u| (u, Source::Environment(ENV_BASE_URL)))
            .map_err(|e| env_invalid(ENV_BASE_URL, e.message));
    }
    if let Some(r) = env_value(env, ENV_REGION) {
        return r
            .parse::<Region>()
            .map(|r| (r.base_url(), Source::Environment(ENV_REGION)))
            .map_err(|e| env_invalid(ENV_REGION, e.message));
    }
    if let Some(p) = profile {
        if let Some(url) = &p.base_url {
            return Ok((url.clone(), Source::Profile));
        }
        if let Some(r) = p.region {
            return Ok((r.base_url(), Source::Profile));
        }
    }
    Ok((Region::default().base_url(), Source::Default))
}

/// The first of the environment variable `var` and the profile's value.
fn env_or_profile(
    env: &dyn Fn(&str) -> Option<String>,
    var: &'static str,
    profile: Option<String>,
) -> Option<(String, Source)> {
    env_value(env, var)
        .map(|v| (v, Source::Environment(var)))
        .or_else(|| profile.map(|v| (v, Source::Profile)))
}

/// Resolves the settings from the explicit values, the environment (`env`
/// looks a variable up) and the profile. `needs_credentials` is false for
/// calls that send none (health): then missing credentials are no error.
///
/// ```
/// use connecty_settings::{Explicit, ProfileInput, Source, env_from, resolve};
///
/// let env = env_from(&[
///     ("CONNECTY_REGION", "us1"),
///     ("CONNECTY_CLIENT_ID", "me"),
///     ("CONNECTY_CLIENT_SECRET", "s3cret"),
/// ]);
/// let r = resolve(&Explicit::default(), &env, &ProfileInput::empty(), true).unwrap();
/// assert_eq!(r.settings.base_url.to_string(), "https://api.us1.connecty-ai.com");
/// assert_eq!(r.sources.base_url, Source::Environment("CONNECTY_REGION"));
/// assert_eq!(r.settings.credentials.unwrap().client_id(), "me");
/// ```
pub fn resolve(
    explicit: &Explicit,
    env: &dyn Fn(&str) -> Option<String>,
    profile: &ProfileInput,
    needs_credentials: bool,
) -> Result<Resolved, Error> {
    let config = profile.config.as_ref();
    let label = profile.label();
    let mut settings = Settings::default();
    let (base_url, base_url_from) = endpoint(explicit.endpoint.as_ref(), env, config)?;
    settings.base_url = base_url;
    if let Some(bytes) = explicit.body_limit {
        settings.body_limit = bytes;
    }
    let (transport, transport_from) = match (explicit.transport, env_value(env, ENV_TRANSPORT)) {
        (Some(t), _) => (t, Source::Explicit),
        (None, Some(t)) => (
            t.parse::<Transport>()
                .map_err(|e| env_invalid(ENV_TRANSPORT, e))?,
            Source::Environment(ENV_TRANSPORT),
        ),
        (None, None) => match config.and_then(|p| p.transport) {
            Some(t) => (t, Source::Profile),
            None => (Transport::default(), Source::Default),
        },
    };
    let ca_cert = match (&explicit.ca_cert, config.and_then(|p| p.ca_cert.clone())) {
        (Some(path), _) => Some((path.clone(), Source::Explicit)),
        (None, Some(path)) => Some((path, Source::Profile)),
        (None, None) => None,
    };
    let mut sources = Sources {
        base_url: base_url_from,
        transport: transport_from,
        ca_cert: ca_cert.as_ref().map(|(_, s)| *s),
        client_id: None,
        client_secret: None,
    };
    if needs_credentials {
        let stored = profile.credentials.as_ref();
        let id = env_or_profile(
            env,
            ENV_CLIENT_ID,
            stored
                .and_then(|c| c.client_id.clone())
                .or_else(|| config.and_then(|p| p.client_id.clone())),
        );
        let secret = env_or_profile(
            env,
            ENV_CLIENT_SECRET,
            stored.and_then(|c| c.client_secret.clone()),
        );
        let missing = |what: &str, var: &str| {
            Error::authentication(format!("no {what}: {var} is not set and {label} has none"))
                .hint(format!(
                    "run `connecty configure` to save a profile, or export {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} as issued by ConnectyAI support (or try `connecty demo`)"
                ))
        };
        let (id, id_from) = id.ok_or_else(|| missing("client id", ENV_CLIENT_ID))?;
        let (secret, secret_from) =
            secret.ok_or_else(|| missing("client secret", ENV_CLIENT_SECRET))?;
        let credentials = Credentials::new(id, secret).map_err(|e| {
            let from = if e.field == "client_id" {
                words(id_from, &label)
            } else {
                words(secret_from, &label)
            };
            Error::authentication(format!(
                "the {} from {from} {}",
                e.field.replace('_', " "),
                e.message
            ))
        })?;
        settings.credentials = Some(credentials);
        sources.client_id = Some(id_from);
        sources.client_secret = Some(secret_from);
    }
    Ok(Resolved {
        settings,
        transport,
        ca_cert: ca_cert.map(|(p, _)| p),
        sources,
        profile: profile.name.clone(),
        dir: profile.dir.clone(),
        label,
    })
}
