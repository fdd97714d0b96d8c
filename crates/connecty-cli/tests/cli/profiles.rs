//! Profiles: config.toml and credentials.toml, and the precedence flags >
//! environment > profile > defaults.

use super::*;

/// A config directory of its own, removed when dropped.
pub struct ConfigDir(pub tempfile::TempDir);

impl ConfigDir {
    pub fn new() -> Self {
        ConfigDir(tempfile::tempdir().expect("a temporary directory"))
    }

    pub fn path(&self) -> &str {
        self.0.path().to_str().expect("temporary paths are UTF-8")
    }

    pub fn write(&self, name: &str, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.path().join(name);
        std::fs::write(&path, text).expect("the file is written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .expect("the mode is set");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.path().join(name)).unwrap_or_default()
    }

    pub fn mode(&self, name: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.0.path().join(name))
            .expect("the file exists")
            .permissions()
            .mode()
            & 0o777
    }

    pub fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.0.path())
            .expect("the directory lists")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

const OTHER_ID: &str = "other-client";
const OTHER_SECRET: &str = "other-secret-4b1a";

/// A second emulator with other credentials: which one answered shows in
/// whether the token exchange succeeds.
fn other() -> &'static EmulatorHandle {
    static E: OnceLock<EmulatorHandle> = OnceLock::new();
    E.get_or_init(|| start_as((OTHER_ID, OTHER_SECRET), Schedule::DEFAULT, None))
}

fn profiles() -> ConfigDir {
    let (a, b) = (fast().base_url(), other().base_url());
    let dir = ConfigDir::new();
    dir.write(
        "config.toml",
        &format!(
            "# written by hand\n[profiles.default]\nbase_url = \"{a}\"\nclient_id = \"{CLIENT_ID}\"\n\n\
             [profiles.b]\nbase_url = \"{b}\"\n\n\
             [profiles.mixed]\nbase_url = \"{a}\"\nclient_id = \"{OTHER_ID}\"\n"
        ),
        0o644,
    );
    dir.write(
        "credentials.toml",
        &format!(
            "[profiles.default]\nclient_secret = \"{SECRET}\"\n\n\
             [profiles.b]\nclient_id = \"{OTHER_ID}\"\nclient_secret = \"{OTHER_SECRET}\"\n\n\
             [profiles.mixed]\nclient_secret = \"{OTHER_SECRET}\"\n"
        ),
        0o600,
    );
    dir
}

fn token(transport: &str, dir: &ConfigDir, flags: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args = vec!["--transport", transport];
    args.extend_from_slice(flags);
    args.push("token");
    let mut all = vec![("CONNECTY_CONFIG_DIR", dir.path())];
    all.extend_from_slice(env);
    let run = connecty(&args, &all);
    assert!(!run.stderr.contains(OTHER_SECRET), "{run:?}");
    run
}

#[test]
fn flags_beat_environment_beat_profile() {
    let dir = profiles();
    let (a, b) = (fast().base_url(), other().base_url());
    on_both_transports(|t| {
        // The profile alone: emulator A with A's credentials.
        let run = token(t, &dir, &[], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        // The environment's base URL wins over the profile's: B refuses A's
        // credentials.
        let run = token(t, &dir, &[], &[("CONNECTY_BASE_URL", &b)]);
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr
                .contains("the client id and secret came from profile \"default\""),
            "{run:?}"
        );
        // The flag wins over the environment.
        let run = token(t, &dir, &["--base-url", &a], &[("CONNECTY_BASE_URL", &b)]);
        assert_eq!(run.code, 0, "{run:?}");
        // CONNECTY_PROFILE picks a profile; --profile wins over it.
        let run = token(t, &dir, &[], &[("CONNECTY_PROFILE", "mixed")]);
        assert_eq!(run.code, 3, "{run:?}");
        let run = token(
            t,
            &dir,
            &["--profile", "b"],
            &[("CONNECTY_PROFILE", "mixed")],
        );
        assert_eq!(run.code, 0, "{run:?}");
        // The environment's credentials win over the profile's, one by one.
        let run = token(t, &dir, &[], &[("CONNECTY_CLIENT_SECRET", OTHER_SECRET)]);
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr
                .contains("the client id came from profile \"default\" (")
                && run
                    .stderr
                    .contains("the secret from CONNECTY_CLIENT_SECRET"),
            "{run:?}"
        );
        let run = token(
            t,
            &dir,
            &["--profile", "mixed"],
            &[
                ("CONNECTY_CLIENT_ID", CLIENT_ID),
                ("CONNECTY_CLIENT_SECRET", SECRET),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
    });
}

#[test]
fn an_unknown_profile_asked_by_name_exits_2_and_lists_the_profiles() {
    let dir = profiles();
    for (flags, env) in [
        (vec!["--profile", "nope"], vec![]),
        (vec![], vec![("CONNECTY_PROFILE", "nope")]),
    ] {
        let run = token("ureq", &dir, &flags, &env);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.starts_with("error: unknown profile \"nope\"")
                && run.stderr.contains("the profiles are: b, default, mixed"),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("connecty configure --profile nope"),
            "{run:?}"
        );
    }
    // `default` not being there is no error: the built-in defaults apply.
    let empty = ConfigDir::new();
    let run = connecty(
        &["--base-url", &fast().base_url(), "health"],
        &[("CONNECTY_CONFIG_DIR", empty.path())],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // A profile file that is not TOML, or has a typo, is named.
    let bad = ConfigDir::new();
    bad.write(
        "config.toml",
        "[profiles.default]\nregoin = \"eu1\"\n",
        0o644,
    );
    let run = token("ureq", &bad, &[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("unknown key \"regoin\" in [profiles.default]"),
        "{run:?}"
    );
}

#[test]
fn a_credentials_file_others_can_read_is_refused_with_the_fix() {
    let dir = profiles();
    dir.write("credentials.toml", &dir.read("credentials.toml"), 0o644);
    let file = dir.0.path().join("credentials.toml");
    on_both_transports(|t| {
        let run = token(t, &dir, &[], &[]);
        assert_eq!(run.code, 3, "{run:?}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: {} can be read by other users (mode 0644)",
                file.display()
            )),
            "{run:?}"
        );
        assert!(
            run.stderr
                .contains(&format!("hint: chmod 600 {}", file.display())),
            "{run:?}"
        );
        // Commands that need no secret, or get both from the environment,
        // never read it.
        let run = connecty(
            &["--transport", t, "health"],
            &[("CONNECTY_CONFIG_DIR", dir.path())],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let run = token(
            t,
            &dir,
            &[],
            &[
                ("CONNECTY_CLIENT_ID", CLIENT_ID),
                ("CONNECTY_CLIENT_SECRET", SECRET),
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
    });
}
