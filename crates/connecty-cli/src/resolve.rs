//! Where each setting comes from: flags > environment > profile > built-in
//! defaults, as one pure function ([`resolve`]) whose result is the
//! [`Settings`] every transport's `ClientBuilder` takes.
//!
//! The endpoint is one setting named two ways: at each level `base_url`
//! wins over `region` (both as flags is a usage error), and a higher level
//! wins whichever way it names it. The client id and the secret are looked
//! up one by one: `CONNECTY_CLIENT_ID` > credentials.toml > config.toml,
//! and `CONNECTY_CLIENT_SECRET` > credentials.toml.

use std::path::{Path, PathBuf};

use connecty_proto::{
    BaseUrl, Credentials, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION, Region,
    Settings,
};

use crate::cli::TransportKind;
use crate::exit::{self, Failure, register_secret};
use crate::profile::{Profile, StoredCredentials};

/// Environment variable standing in for `--transport`.
pub const ENV_TRANSPORT: &str = "CONNECTY_TRANSPORT";

/// The global flags that carry settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    /// `--base-url`.
    pub base_url: Option<&'a BaseUrl>,
    /// `--region`.
    pub region: Option<Region>,
    /// `--transport`.
    pub transport: Option<TransportKind>,
    /// `--ca-cert`.
    pub ca_cert: Option<&'a Path>,
}

/// The chosen profile as read from its files.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput<'a> {
    /// How to name the profile in messages, such as
    /// `profile "default" (~/.config/connecty)`.
    pub label: String,
    /// Its config.toml entries.
    pub config: Option<&'a Profile>,
    /// Its credentials.toml entries.
    pub credentials: Option<&'a StoredCredentials>,
}

/// Everything a command needs to build its client.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The settings for `ClientBuilder::from_settings` (without the extra
    /// roots, read from [`Resolved::ca_cert`] by the caller).
    pub settings: Settings,
    /// The transport.
    pub transport: TransportKind,
    /// The PEM file of extra roots.
    pub ca_cert: Option<PathBuf>,
    /// Where the client id and secret came from, for authentication errors.
    pub credentials_from: Option<String>,
}

fn env_value(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

fn env_invalid(name: &str, message: impl std::fmt::Display) -> Failure {
    Failure::new(exit::USAGE, "invalid_input", format!("{name}: {message}"))
}

/// The base URL: flag, environment, profile, default (eu1).
fn endpoint(
    flags: &Flags<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&Profile>,
) -> Result<BaseUrl, Failure> {
    match (flags.base_url, flags.region) {
        (Some(_), Some(_)) => {
            return Err(Failure::new(
                exit::USAGE,
                "invalid_input",
                "--base-url and --region cannot be used together",
            )
            .hint("--base-url is the API's address itself; --region picks eu1 or us1"));
        }
        (Some(url), None) => return Ok(url.clone()),
        (None, Some(r)) => return Ok(r.base_url()),
        (None, None) => {}
    }
    if let Some(url) = env_value(env, ENV_BASE_URL) {
        return BaseUrl::parse(&url).map_err(|e| env_invalid(ENV_BASE_URL, e.message));
    }
    if let Some(r) = env_value(env, ENV_REGION) {
        return r
            .parse::<Region>()
            .map(Region::base_url)
            .map_err(|e| env_invalid(ENV_REGION, e.message));
    }
    if let Some(p) = profile {
        if let Some(url) = &p.base_url {
            return Ok(url.clone());
        }
        if let Some(r) = p.region {
            return Ok(r.base_url());
        }
    }
    Ok(Region::default().base_url())
}

/// Resolves the settings. `needs_credentials` is false for commands that
/// send none (health): then missing credentials are no error.
pub fn resolve(
    flags: &Flags<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    profile: &ProfileInput<'_>,
    needs_credentials: bool,
) -> Result<Resolved, Failure> {
    let config = profile.config;
    let mut settings = Settings::default();
    settings.base_url = endpoint(flags, env, config)?;
    let transport = match (flags.transport, env_value(env, ENV_TRANSPORT)) {
        (Some(t), _) => t,
        (None, Some(t)) => t
            .parse::<TransportKind>()
            .map_err(|e| env_invalid(ENV_TRANSPORT, e))?,
        (None, None) => config.and_then(|p| p.transport).unwrap_or_default(),
    };
    let ca_cert = flags
        .ca_cert
        .map(Path::to_path_buf)
        .or_else(|| config.and_then(|p| p.ca_cert.clone()));
    let mut credentials_from = None;
    if needs_credentials {
        let stored = profile.credentials;
        let id = env_value(env, ENV_CLIENT_ID)
            .map(|v| (v, ENV_CLIENT_ID.to_string()))
            .or_else(|| {
                stored
                    .and_then(|c| c.client_id.clone())
                    .or_else(|| config.and_then(|p| p.client_id.clone()))
                    .map(|v| (v, profile.label.clone()))
            });
        let secret = env_value(env, ENV_CLIENT_SECRET)
            .map(|v| (v, ENV_CLIENT_SECRET.to_string()))
            .or_else(|| {
                stored
                    .and_then(|c| c.client_secret.clone())
                    .map(|v| (v, profile.label.clone()))
            });
        let missing = |what: &str, var: &str| {
            Failure::new(
                exit::AUTHENTICATION,
                "authentication",
                format!("no {what}: {var} is not set and {} has none", profile.label),
            )
            .hint(format!(
                "run `connecty configure` to save a profile, or export {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} as issued by ConnectyAI support (or try `connecty demo`)"
            ))
        };
        let (id, id_from) = id.ok_or_else(|| missing("client id", ENV_CLIENT_ID))?;
        let (secret, secret_from) =
            secret.ok_or_else(|| missing("client secret", ENV_CLIENT_SECRET))?;
        register_secret(&secret);
        let credentials = Credentials::new(id, secret).map_err(|e| {
            let from = if e.field == "client_id" {
                &id_from
            } else {
                &secret_from
            };
            Failure::new(
                exit::AUTHENTICATION,
                "authentication",
                format!(
                    "the {} from {from} {}",
                    e.field.replace('_', " "),
                    e.message
                ),
            )
        })?;
        settings.credentials = Some(credentials);
        credentials_from = Some(if id_from == secret_from {
            format!("the client id and secret came from {id_from}")
        } else {
            format!("the client id came from {id_from}, the secret from {secret_from}")
        });
    }
    Ok(Resolved {
        settings,
        transport,
        ca_cert,
        credentials_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Env = &'static [(&'static str, &'static str)];

    use crate::profile::fake_env as env;

    fn url(s: &str) -> BaseUrl {
        BaseUrl::parse(s).unwrap()
    }

    fn profile() -> Profile {
        Profile {
            base_url: Some(url("http://profile.test")),
            region: Some(Region::Us1),
            transport: Some(TransportKind::Hyper),
            ca_cert: Some(PathBuf::from("/cfg/ca.pem")),
            client_id: Some("config-id".into()),
        }
    }

    fn stored() -> StoredCredentials {
        StoredCredentials {
            client_id: None,
            client_secret: Some("stored-secret".into()),
        }
    }

    fn run(
        flags: Flags<'_>,
        e: Env,
        p: Option<&Profile>,
        c: Option<&StoredCredentials>,
    ) -> Result<Resolved, Failure> {
        let input = ProfileInput {
            label: "profile \"default\"".into(),
            config: p,
            credentials: c,
        };
        resolve(&flags, &env(e), &input, true)
    }

    #[test]
    fn endpoint_precedence_flag_env_profile_default() {
        let flag_url = url("http://flag.test");
        let p = profile();
        let by_region = Profile {
            base_url: None,
            ..profile()
        };
        let cases: Vec<(Flags<'_>, Env, Option<&Profile>, &str)> = vec![
            (
                Flags {
                    base_url: Some(&flag_url),
                    ..Flags::default()
                },
                &[("CONNECTY_BASE_URL", "http://env.test")],
                Some(&p),
                "http://flag.test",
            ),
            (
                Flags {
                    region: Some(Region::Eu1),
                    ..Flags::default()
                },
                &[("CONNECTY_BASE_URL", "http://env.test")],
                Some(&p),
                "https://api.eu1.connecty-ai.com",
            ),
            (
                Flags::default(),
                &[
                    ("CONNECTY_BASE_URL", "http://env.test"),
                    ("CONNECTY_REGION", "eu1"),
                ],
                Some(&p),
                "http://env.test",
            ),
            (
                Flags::default(),
                &[("CONNECTY_REGION", "eu1")],
                Some(&p),
                "https://api.eu1.connecty-ai.com",
            ),
            (Flags::default(), &[], Some(&p), "http://profile.test"),
            (
                Flags::default(),
                &[],
                Some(&by_region),
                "https://api.us1.connecty-ai.com",
            ),
            (
                Flags::default(),
                &[],
                None,
                "https://api.eu1.connecty-ai.com",
            ),
        ];
        for (i, (flags, e, p, want)) in cases.into_iter().enumerate() {
            let input = ProfileInput {
                config: p,
                ..ProfileInput::default()
            };
            let r = resolve(&flags, &env(e), &input, false).unwrap();
            assert_eq!(r.settings.base_url.to_string(), want, "case {i}");
        }
    }

    #[test]
    fn both_endpoint_flags_and_bad_environment_values_are_usage_errors() {
        let u = url("http://flag.test");
        let both = Flags {
            base_url: Some(&u),
            region: Some(Region::Us1),
            ..Flags::default()
        };
        assert_eq!(run(both, &[], None, None).unwrap_err().code, exit::USAGE);
        for e in [
            &[("CONNECTY_REGION", "mars")][..],
            &[("CONNECTY_BASE_URL", "ftp://x")][..],
            &[("CONNECTY_TRANSPORT", "carrier-pigeon")][..],
        ] {
            let f =
                resolve(&Flags::default(), &env(e), &ProfileInput::default(), false).unwrap_err();
            assert_eq!(f.code, exit::USAGE, "{e:?}");
            assert!(f.message.starts_with(e[0].0), "{f:?}");
        }
    }

    #[test]
    fn transport_and_ca_cert_precedence() {
        let p = profile();
        let r = run(Flags::default(), &[], Some(&p), Some(&stored())).unwrap();
        assert_eq!(
            (r.transport, r.ca_cert.as_deref()),
            (TransportKind::Hyper, Some(Path::new("/cfg/ca.pem")))
        );
        let r = run(
            Flags::default(),
            &[("CONNECTY_TRANSPORT", "ureq")],
            Some(&p),
            Some(&stored()),
        )
        .unwrap();
        assert_eq!(r.transport, TransportKind::Ureq);
        let flags = Flags {
            transport: Some(TransportKind::Hyper),
            ca_cert: Some(Path::new("/flag.pem")),
            ..Flags::default()
        };
        let r = run(
            flags,
            &[("CONNECTY_TRANSPORT", "ureq")],
            Some(&p),
            Some(&stored()),
        )
        .unwrap();
        assert_eq!(
            (r.transport, r.ca_cert.as_deref()),
            (TransportKind::Hyper, Some(Path::new("/flag.pem")))
        );
        let r = run(Flags::default(), &[], None, Some(&stored())).unwrap_err();
        assert_eq!(r.code, exit::AUTHENTICATION);
    }

    #[test]
    fn credentials_come_key_by_key_and_say_from_where() {
        let p = profile();
        let r = run(Flags::default(), &[], Some(&p), Some(&stored())).unwrap();
        let c = r.settings.credentials.as_ref().unwrap();
        assert_eq!(c.client_id(), "config-id");
        assert_eq!(
            r.credentials_from.as_deref(),
            Some("the client id and secret came from profile \"default\"")
        );
        let with_id = StoredCredentials {
            client_id: Some("cred-id".into()),
            ..stored()
        };
        let r = run(Flags::default(), &[], Some(&p), Some(&with_id)).unwrap();
        assert_eq!(r.settings.credentials.unwrap().client_id(), "cred-id");
        let r = run(
            Flags::default(),
            &[("CONNECTY_CLIENT_ID", "env-id")],
            Some(&p),
            Some(&stored()),
        )
        .unwrap();
        assert_eq!(
            r.settings.credentials.as_ref().unwrap().client_id(),
            "env-id"
        );
        assert_eq!(
            r.credentials_from.as_deref(),
            Some("the client id came from CONNECTY_CLIENT_ID, the secret from profile \"default\"")
        );
        let e = run(
            Flags::default(),
            &[("CONNECTY_CLIENT_ID", "env-id")],
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.code, exit::AUTHENTICATION);
        assert!(
            e.message.contains("CONNECTY_CLIENT_SECRET is not set"),
            "{e:?}"
        );
        let bad = StoredCredentials {
            client_secret: Some("bad\nsecret-with-newline".into()),
            ..stored()
        };
        let e = run(Flags::default(), &[], Some(&p), Some(&bad)).unwrap_err();
        assert!(!format!("{e:?}").contains("secret-with-newline"), "{e:?}");
        // Health needs none.
        let r = resolve(
            &Flags::default(),
            &env(&[]),
            &ProfileInput::default(),
            false,
        )
        .unwrap();
        assert!(r.settings.credentials.is_none());
    }
}
