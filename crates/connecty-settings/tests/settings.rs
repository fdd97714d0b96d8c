//! Table tests of the settings: every precedence case, the profile files
//! (missing, unreadable, invalid, open to others), unknown profiles, and
//! the edits of `connecty configure`.

use std::path::{Path, PathBuf};

use connecty_proto::{BaseUrl, Region};
use connecty_settings::{
    DocumentMut, Endpoint, ErrorKind, Explicit, Profile, ProfileInput, ProfileName, Resolved,
    Source, StoredCredentials, Transport, Update, all_profiles, apply, check_private, config_dir,
    env_from as env, load, parse_profile, read_doc, resolve, validate_name,
};

type Env = &'static [(&'static str, &'static str)];
/// Explicit values, environment, profile; the transport and where from,
/// the CA file.
type TransportCase<'a> = (
    &'a Explicit,
    Env,
    Option<Profile>,
    Transport,
    Source,
    Option<&'static str>,
);
/// Environment, profile, credentials.toml; the client id and where the
/// credentials came from.
type CredentialsCase = (
    Env,
    Option<Profile>,
    Option<StoredCredentials>,
    &'static str,
    &'static str,
);

fn url(s: &str) -> BaseUrl {
    BaseUrl::parse(s).unwrap()
}

fn profile() -> Profile {
    Profile {
        base_url: Some(url("http://profile.test")),
        region: Some(Region::Us1),
        transport: Some(Transport::Hyper),
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

fn input(p: Option<Profile>, c: Option<StoredCredentials>) -> ProfileInput {
    ProfileInput {
        config: p,
        credentials: c,
        ..ProfileInput::empty()
    }
}

fn run(
    explicit: &Explicit,
    e: Env,
    p: Option<Profile>,
    c: Option<StoredCredentials>,
) -> Result<Resolved, connecty_settings::Error> {
    resolve(explicit, &env(e), &input(p, c), true)
}

fn endpoint(e: Endpoint) -> Explicit {
    Explicit {
        endpoint: Some(e),
        ..Explicit::default()
    }
}

// ---------------------------------------------------------------------------
// Precedence: explicit > environment > profile > default.

#[test]
fn endpoint_precedence_explicit_env_profile_default() {
    let by_region = Profile {
        base_url: None,
        ..profile()
    };
    let flag = endpoint(Endpoint::BaseUrl(url("http://flag.test")));
    let eu1 = endpoint(Endpoint::Region(Region::Eu1));
    let none = Explicit::default();
    let cases: Vec<(&Explicit, Env, Option<Profile>, &str, Source)> = vec![
        (
            &flag,
            &[("CONNECTY_BASE_URL", "http://env.test")],
            Some(profile()),
            "http://flag.test",
            Source::Explicit,
        ),
        (
            &eu1,
            &[("CONNECTY_BASE_URL", "http://env.test")],
            Some(profile()),
            "https://api.eu1.connecty-ai.com",
            Source::Explicit,
        ),
        (
            &none,
            &[
                ("CONNECTY_BASE_URL", "http://env.test"),
                ("CONNECTY_REGION", "eu1"),
            ],
            Some(profile()),
            "http://env.test",
            Source::Environment("CONNECTY_BASE_URL"),
        ),
        (
            &none,
            &[("CONNECTY_REGION", "eu1")],
            Some(profile()),
            "https://api.eu1.connecty-ai.com",
            Source::Environment("CONNECTY_REGION"),
        ),
        (
            &none,
            &[("CONNECTY_REGION", " ")],
            Some(profile()),
            "http://profile.test",
            Source::Profile,
        ),
        (
            &none,
            &[],
            Some(by_region),
            "https://api.us1.connecty-ai.com",
            Source::Profile,
        ),
        (
            &none,
            &[],
            None,
            "https://api.eu1.connecty-ai.com",
            Source::Default,
        ),
    ];
    for (i, (explicit, e, p, want, from)) in cases.into_iter().enumerate() {
        let r = resolve(explicit, &env(e), &input(p, None), false).unwrap();
        assert_eq!(r.settings.base_url.to_string(), want, "case {i}");
        assert_eq!(r.sources.base_url, from, "case {i}");
    }
}

#[test]
fn transport_and_ca_cert_precedence() {
    let flags = Explicit {
        transport: Some(Transport::Hyper),
        ca_cert: Some(PathBuf::from("/flag.pem")),
        ..Explicit::default()
    };
    let none = Explicit::default();
    let ureq: Env = &[("CONNECTY_TRANSPORT", "ureq")];
    let cases: Vec<TransportCase<'_>> = vec![
        (
            &flags,
            ureq,
            Some(profile()),
            Transport::Hyper,
            Source::Explicit,
            Some("/flag.pem"),
        ),
        (
            &none,
            ureq,
            Some(profile()),
            Transport::Ureq,
            Source::Environment("CONNECTY_TRANSPORT"),
            Some("/cfg/ca.pem"),
        ),
        (
            &none,
            &[],
            Some(profile()),
            Transport::Hyper,
            Source::Profile,
            Some("/cfg/ca.pem"),
        ),
        (&none, &[], None, Transport::Ureq, Source::Default, None),
    ];
    for (i, (explicit, e, p, transport, from, ca)) in cases.into_iter().enumerate() {
        let r = resolve(explicit, &env(e), &input(p, None), false).unwrap();
        assert_eq!(
            (r.transport, r.sources.transport),
            (transport, from),
            "case {i}"
        );
        assert_eq!(r.ca_cert.as_deref(), ca.map(Path::new), "case {i}");
    }
}

#[test]
fn an_explicit_body_limit_wins_over_the_default() {
    let explicit = Explicit {
        body_limit: Some(3 * 1024 * 1024),
        ..Explicit::default()
    };
    let r = resolve(&explicit, &env(&[]), &ProfileInput::empty(), false).unwrap();
    assert_eq!(r.settings.body_limit, 3 * 1024 * 1024);
    let r = resolve(
        &Explicit::default(),
        &env(&[]),
        &ProfileInput::empty(),
        false,
    )
    .unwrap();
    assert_eq!(
        r.settings.body_limit,
        connecty_proto::Settings::default().body_limit
    );
}

#[test]
fn bad_environment_values_are_invalid_and_name_the_variable() {
    for (var, value, message) in [
        ("CONNECTY_REGION", "mars", "CONNECTY_REGION: "),
        ("CONNECTY_BASE_URL", "ftp://x", "CONNECTY_BASE_URL: "),
        (
            "CONNECTY_TRANSPORT",
            "carrier-pigeon",
            "CONNECTY_TRANSPORT: \"carrier-pigeon\" is not a transport: expected ureq or hyper",
        ),
    ] {
        let pairs = [(var, value)];
        let e = resolve(
            &Explicit::default(),
            &env(&pairs),
            &ProfileInput::empty(),
            false,
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{var}");
        assert!(e.message.starts_with(message), "{e:?}");
    }
}

#[test]
fn credentials_come_key_by_key_and_say_from_where() {
    let none = Explicit::default();
    let with_id = StoredCredentials {
        client_id: Some("cred-id".into()),
        ..stored()
    };
    let env_id: Env = &[("CONNECTY_CLIENT_ID", "env-id")];
    let both: Env = &[
        ("CONNECTY_CLIENT_ID", "env-id"),
        ("CONNECTY_CLIENT_SECRET", "env-secret"),
    ];
    let from_profile = "the client id and secret came from profile \"default\"";
    let cases: Vec<CredentialsCase> = vec![
        // config.toml's id, credentials.toml's secret.
        (
            &[],
            Some(profile()),
            Some(stored()),
            "config-id",
            from_profile,
        ),
        // credentials.toml's id wins over config.toml's.
        (
            &[],
            Some(profile()),
            Some(with_id.clone()),
            "cred-id",
            from_profile,
        ),
        // The environment's id wins over both.
        (
            env_id,
            Some(profile()),
            Some(with_id),
            "env-id",
            "the client id came from CONNECTY_CLIENT_ID, the secret from profile \"default\"",
        ),
        (
            both,
            Some(profile()),
            Some(stored()),
            "env-id",
            "the client id came from CONNECTY_CLIENT_ID, the secret from CONNECTY_CLIENT_SECRET",
        ),
    ];
    for (i, (e, p, c, id, from)) in cases.into_iter().enumerate() {
        let r = run(&none, e, p, c).unwrap();
        assert_eq!(
            r.settings.credentials.as_ref().unwrap().client_id(),
            id,
            "case {i}"
        );
        assert_eq!(r.credentials_from().as_deref(), Some(from), "case {i}");
    }
}

#[test]
fn missing_or_bad_credentials_are_authentication_errors() {
    let none = Explicit::default();
    let e = run(&none, &[("CONNECTY_CLIENT_ID", "env-id")], None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert_eq!(
        e.message,
        "no client secret: CONNECTY_CLIENT_SECRET is not set and profile \"default\" has none"
    );
    assert_eq!(
        e.hint.as_deref(),
        Some(
            "run `connecty configure` to save a profile, or export CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET as issued by ConnectyAI support (or try `connecty demo`)"
        )
    );
    let e = run(&none, &[], None, Some(stored())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(
        e.message
            .starts_with("no client id: CONNECTY_CLIENT_ID is not set"),
        "{e:?}"
    );
    let bad = StoredCredentials {
        client_secret: Some("bad\nsecret-with-newline".into()),
        ..stored()
    };
    let e = run(&none, &[], Some(profile()), Some(bad)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(
        e.message
            .starts_with("the client secret from profile \"default\" "),
        "{e:?}"
    );
    assert!(!format!("{e:?}").contains("secret-with-newline"), "{e:?}");
    // Health needs none.
    let r = resolve(&none, &env(&[]), &ProfileInput::empty(), false).unwrap();
    assert!(r.settings.credentials.is_none());
    assert_eq!(r.credentials_from(), None);
}

// ---------------------------------------------------------------------------
// The profile's name and directory.

#[test]
fn profile_is_the_explicit_name_then_the_environment_then_default() {
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
fn names() {
    assert!(validate_name("prod-eu_1.a").is_ok());
    for bad in ["", "a b", "a]b", "ä", &"x".repeat(65)] {
        assert!(validate_name(bad).is_err(), "{bad:?}");
    }
    let e = validate_name("a\nb").unwrap_err();
    assert_eq!(e.message, r#""a\\nb" is not a profile name"#);
    assert_eq!(
        e.hint.as_deref(),
        Some("use letters, digits, -, _ and . (at most 64)")
    );
}

// ---------------------------------------------------------------------------
// The files.

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
    assert_eq!(p.transport, Some(Transport::Hyper));
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

/// A config directory holding `config` and `credentials` (mode 0600) when
/// given.
fn dir_with(config: Option<&str>, credentials: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = config {
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
    }
    if let Some(text) = credentials {
        let path = dir.path().join("credentials.toml");
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    dir
}

fn load_in(
    dir: &Path,
    profile: Option<&str>,
    extra: &[(&str, &str)],
    needs_credentials: bool,
) -> Result<Resolved, connecty_settings::Error> {
    let mut pairs = vec![("CONNECTY_CONFIG_DIR", dir.to_str().unwrap())];
    pairs.extend_from_slice(extra);
    let explicit = Explicit {
        profile: profile.map(str::to_string),
        ..Explicit::default()
    };
    load(&explicit, &env(&pairs), needs_credentials)
}

const CONFIG: &str = "[profiles.default]\nregion = \"us1\"\nclient_id = \"me\"\n\n[profiles.gw]\nbase_url = \"http://127.0.0.1:9/x\"\ntransport = \"hyper\"\nca_cert = \"ca.pem\"\n";
const CREDENTIALS: &str = "[profiles.default]\nclient_secret = \"s3cret\"\n\n[profiles.only-secret]\nclient_id = \"id2\"\nclient_secret = \"s2\"\n";

#[test]
fn load_reads_the_chosen_profile_and_labels_it_with_the_directory() {
    let dir = dir_with(Some(CONFIG), Some(CREDENTIALS));
    let r = load_in(dir.path(), None, &[], true).unwrap();
    assert_eq!(
        r.settings.base_url.to_string(),
        "https://api.us1.connecty-ai.com"
    );
    assert_eq!(r.settings.credentials.as_ref().unwrap().client_id(), "me");
    assert_eq!(r.dir.as_deref(), Some(dir.path()));
    assert_eq!(
        r.credentials_from().unwrap(),
        format!(
            "the client id and secret came from profile \"default\" ({})",
            dir.path().display()
        )
    );
    let r = load_in(dir.path(), Some("gw"), &[], false).unwrap();
    assert_eq!(r.transport, Transport::Hyper);
    assert_eq!(r.ca_cert, Some(dir.path().join("ca.pem")));
    assert!(r.profile.explicit);
    // A profile only credentials.toml names exists too.
    let r = load_in(dir.path(), Some("only-secret"), &[], true).unwrap();
    assert_eq!(r.settings.credentials.unwrap().client_id(), "id2");
    // CONNECTY_PROFILE names it as the flag would.
    let r = load_in(dir.path(), None, &[("CONNECTY_PROFILE", "gw")], false).unwrap();
    assert_eq!(r.profile.name, "gw");
}

#[test]
fn missing_files_are_no_profile_and_the_defaults_hold() {
    let dir = dir_with(None, None);
    let r = load_in(dir.path(), None, &[], false).unwrap();
    assert_eq!(
        r.settings.base_url.to_string(),
        "https://api.eu1.connecty-ai.com"
    );
    assert_eq!(r.sources.base_url, Source::Default);
    let e = load_in(dir.path(), None, &[], true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    let both = [
        ("CONNECTY_CLIENT_ID", "id"),
        ("CONNECTY_CLIENT_SECRET", "secret"),
    ];
    assert!(load_in(dir.path(), None, &both, true).is_ok());
}

#[test]
fn unknown_profiles_name_the_known_ones_and_how_to_create_it() {
    let dir = dir_with(Some(CONFIG), Some(CREDENTIALS));
    let e = load_in(dir.path(), Some("prod"), &[], false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert_eq!(
        e.message,
        format!(
            "unknown profile \"prod\" in {}; the profiles are: default, gw, only-secret",
            dir.path().display()
        )
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("create it with `connecty configure --profile prod`")
    );
    let empty = dir_with(None, None);
    let e = load_in(empty.path(), Some("prod"), &[], false).unwrap_err();
    assert!(e.message.ends_with("; there are no profiles yet"), "{e:?}");
    let e = load_in(empty.path(), Some("a b"), &[], false).unwrap_err();
    assert_eq!(e.message, "\"a b\" is not a profile name");
}

#[test]
fn invalid_files_are_named_with_the_fix() {
    let dir = dir_with(Some("[profiles.default\n"), None);
    let e = load_in(dir.path(), None, &[], false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(
        e.message.starts_with(&format!(
            "{} is not valid TOML: ",
            dir.path().join("config.toml").display()
        )),
        "{e:?}"
    );
    assert_eq!(
        e.hint.as_deref(),
        Some("fix or remove it, or rewrite the profile with `connecty configure`")
    );
    let dir = dir_with(Some("profiles = 3\n"), None);
    let e = load_in(dir.path(), None, &[], false).unwrap_err();
    assert_eq!(e.hint.as_deref(), Some("write it as [profiles]"));
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_invalid() {
    // A directory where the file should be cannot be read, even by root.
    let dir = dir_with(None, None);
    std::fs::create_dir(dir.path().join("config.toml")).unwrap();
    let e = load_in(dir.path(), None, &[], false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(
        e.message.starts_with(&format!(
            "cannot read {}: ",
            dir.path().join("config.toml").display()
        )),
        "{e:?}"
    );
}

#[cfg(unix)]
#[test]
fn open_credentials_are_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir_with(Some(CONFIG), Some(CREDENTIALS));
    let path = dir.path().join("credentials.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    for e in [
        check_private(&path).unwrap_err(),
        load_in(dir.path(), None, &[], true).unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert_eq!(
            e.message,
            format!(
                "{} can be read by other users (mode 0640); it holds client secrets, so it is not used",
                path.display()
            )
        );
        assert_eq!(e.hint, Some(format!("chmod 600 {}", path.display())));
    }
    // Not read at all when the environment gives both credentials.
    let both = [
        ("CONNECTY_CLIENT_ID", "id"),
        ("CONNECTY_CLIENT_SECRET", "secret"),
    ];
    assert!(load_in(dir.path(), None, &both, true).is_ok());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(check_private(&path).is_ok());
}

// ---------------------------------------------------------------------------
// Editing, as `connecty configure` does.

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
    assert!(!format!("{update:?}").contains("new-secret"));
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
