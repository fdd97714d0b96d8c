//! Reading the chosen profile's files and resolving every setting: the one
//! call a front-end makes.

use crate::files::{CONFIG_FILE, CREDENTIALS_FILE, check_private, config_dir, read_doc};
use crate::profile::{all_profiles, parse_credentials, parse_profile, validate_name};
use crate::{Error, Explicit, ProfileInput, ProfileName, Resolved, resolve};

/// The process environment, as [`load`] and [`resolve`] look it up.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// An environment of fixed variables (for tests, or a front-end that keeps
/// its own): looks `name` up in `pairs`.
pub fn env_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// Reads the chosen profile (config.toml, and credentials.toml when the
/// environment does not give both credentials, or when the profile was
/// named but config.toml lacks it) and resolves every setting.
///
/// `env` looks an environment variable up ([`process_env`] for the real
/// one). `needs_credentials` is false for calls that send none (health).
///
/// Errors: an invalid profile name, an unreadable or invalid file, a
/// credentials.toml that others can read, a profile that was named but
/// does not exist, and everything [`resolve`] refuses.
///
/// ```
/// use connecty_settings::{ErrorKind, Explicit, env_from, load};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(
///     dir.path().join("config.toml"),
///     "[profiles.ci]\nregion = \"us1\"\nclient_id = \"me\"\n",
/// ).unwrap();
/// let env = env_from(&[("CONNECTY_CONFIG_DIR", dir.path().to_str().unwrap())]);
/// let explicit = Explicit { profile: Some("ci".into()), ..Explicit::default() };
/// let r = load(&explicit, &env, false).unwrap();
/// assert_eq!(r.settings.base_url.to_string(), "https://api.us1.connecty-ai.com");
///
/// let explicit = Explicit { profile: Some("prod".into()), ..Explicit::default() };
/// let e = load(&explicit, &env, false).unwrap_err();
/// assert_eq!(e.kind, ErrorKind::Invalid);
/// assert!(e.message.starts_with("unknown profile \"prod\""));
/// ```
pub fn load(
    explicit: &Explicit,
    env: &dyn Fn(&str) -> Option<String>,
    needs_credentials: bool,
) -> Result<Resolved, Error> {
    let name = ProfileName::choose(explicit.profile.as_deref(), env);
    if name.explicit {
        validate_name(&name.name)?;
    }
    let dir = config_dir(env);
    let (mut config, mut credentials, mut config_doc, mut cred_doc) = (None, None, None, None);
    if let Some(dir) = &dir {
        let config_path = dir.join(CONFIG_FILE);
        let cred_path = dir.join(CREDENTIALS_FILE);
        config_doc = read_doc(&config_path, false)?;
        if let Some(doc) = &config_doc {
            config = parse_profile(doc, &name.name, &config_path, dir)?;
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
                check_private(&cred_path)?;
            }
            cred_doc = read_doc(&cred_path, true)?;
            if let Some(doc) = &cred_doc {
                credentials = parse_credentials(doc, &name.name, &cred_path)?;
            }
        }
    }
    if name.explicit && config.is_none() && credentials.is_none() {
        let names = all_profiles(config_doc.as_ref(), cred_doc.as_ref());
        let known = if names.is_empty() {
            "there are no profiles yet".to_string()
        } else {
            format!("the profiles are: {}", names.join(", "))
        };
        let place = dir
            .as_ref()
            .map(|d| format!(" in {}", d.display()))
            .unwrap_or_default();
        return Err(
            Error::invalid(format!("unknown profile {:?}{place}; {known}", name.name)).hint(
                format!(
                    "create it with `connecty configure --profile {}`",
                    name.name
                ),
            ),
        );
    }
    let input = ProfileInput {
        name,
        dir,
        config,
        credentials,
    };
    resolve(explicit, env, &input, needs_credentials)
}
