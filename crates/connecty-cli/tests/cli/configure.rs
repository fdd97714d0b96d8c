//! `connecty configure`, for scripts and on a terminal.

use super::profiles::ConfigDir;
use super::pty::Terminal;
use super::*;

fn configure(dir: &ConfigDir, flags: &[&str], secret: &str) -> Run {
    let mut args = vec!["configure"];
    args.extend_from_slice(flags);
    connecty_in(
        &args,
        &[("CONNECTY_CONFIG_DIR", dir.path())],
        Some(secret),
        false,
    )
}

#[test]
fn configure_for_scripts_writes_one_profile_and_checks_it() {
    let base = fast().base_url();
    let dir = ConfigDir::new();
    dir.write(
        "config.toml",
        "# my own notes\n[profiles.keep]\nregion = \"us1\" # theirs\ntransport = \"hyper\"\n",
        0o644,
    );
    dir.write(
        "credentials.toml",
        "[profiles.keep]\nclient_secret = \"kept-secret-value\"\n",
        0o600,
    );
    // One after the other: two configure runs on one directory at once
    // would each replace the file the other wrote (the last one wins).
    for t in TRANSPORTS {
        let profile = format!("ci-{t}");
        let run = configure(
            &dir,
            &[
                "--transport",
                t,
                "--profile",
                &profile,
                "--base-url",
                &base,
                "--client-id",
                CLIENT_ID,
                "--client-secret-stdin",
            ],
            &format!("{SECRET}\n"),
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            run.stderr.contains(&format!("saved profile \"{profile}\"")),
            "{run:?}"
        );
        assert!(
            run.stderr.contains("checked: the credentials work"),
            "{run:?}"
        );
        // The profile works for other commands.
        let env = [("CONNECTY_CONFIG_DIR", dir.path())];
        let run = connecty(
            &[
                "--profile",
                &profile,
                "ask",
                "--dw",
                "13",
                TOP5,
                "--format",
                "csv",
            ],
            &env,
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("country,orders\r\n"), "{run:?}");
    }
    let config = dir.read("config.toml");
    assert!(
        config.starts_with(
            "# my own notes\n[profiles.keep]\nregion = \"us1\" # theirs\ntransport = \"hyper\"\n"
        ),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            "[profiles.ci-ureq]\nbase_url = \"{base}\"\nclient_id = \"{CLIENT_ID}\"\n"
        )),
        "{config}"
    );
    let credentials = dir.read("credentials.toml");
    assert!(
        credentials.starts_with("[profiles.keep]\nclient_secret = \"kept-secret-value\"\n"),
        "{credentials}"
    );
    assert!(
        credentials.contains(&format!(
            "[profiles.ci-hyper]\nclient_secret = \"{SECRET}\"\n"
        )),
        "{credentials}"
    );
    assert!(!config.contains(SECRET), "{config}");
    assert_eq!(dir.mode("credentials.toml"), 0o600);
    assert_eq!(
        dir.entries(),
        ["config.toml", "credentials.toml"],
        "no temporary file is left"
    );
}

#[test]
fn configure_saves_refused_credentials_but_says_so() {
    let dir = ConfigDir::new();
    let run = configure(
        &dir,
        &[
            "--base-url",
            &fast().base_url(),
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ],
        "not-the-secret",
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("the check failed:"), "{run:?}");
    assert!(
        run.stderr.contains("error: authentication failed"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("connecty configure --profile default"),
        "{run:?}"
    );
    assert!(dir.read("credentials.toml").contains("not-the-secret"));
    assert_eq!(dir.mode("credentials.toml"), 0o600);
    // Without a terminal and without the flags, nothing is asked or written.
    let empty = ConfigDir::new();
    let run = configure(&empty, &["--client-id", CLIENT_ID], "");
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--client-secret-stdin"), "{run:?}");
    assert!(empty.entries().is_empty(), "{:?}", empty.entries());
    // A bad profile name or base URL is refused before anything is written.
    for flags in [
        &[
            "--profile",
            "a b",
            "--client-id",
            "x",
            "--client-secret-stdin",
        ][..],
        &[
            "--base-url",
            "ftp://x",
            "--client-id",
            "x",
            "--client-secret-stdin",
        ][..],
    ] {
        let run = configure(&empty, flags, "s3cret");
        assert_eq!(run.code, 2, "{flags:?}: {run:?}");
    }
    assert!(empty.entries().is_empty(), "{:?}", empty.entries());
}

/// `connecty configure --profile tty` on a terminal, with its config in
/// `dir`.
fn configure_tty(dir: &ConfigDir) -> Terminal {
    let mut cmd = command(
        &["configure", "--profile", "tty"],
        &[("CONNECTY_CONFIG_DIR", dir.path())],
    );
    cmd.env("TERM", "xterm");
    Terminal::spawn(cmd, 24, 100)
}

#[test]
fn configure_on_a_terminal_asks_and_never_echoes_the_secret() {
    let base = fast().base_url();
    let dir = ConfigDir::new();
    let mut term = configure_tty(&dir);
    term.expect("Region (eu1, us1) or base URL [eu1]: ");
    term.send(&format!("{base}\r"));
    term.expect("Client id: ");
    term.send(&format!("{CLIENT_ID}\r"));
    term.expect("Client secret (not shown): ");
    term.wait_for_echo_off();
    term.send(&format!("{SECRET}\r"));
    term.expect("checked: the credentials work");
    let (status, screen) = term.wait();
    assert_eq!(status.code(), Some(0), "{screen}");
    assert!(!screen.contains(SECRET), "the secret was echoed:\n{screen}");
    assert!(dir.read("credentials.toml").contains(SECRET));
    // Again: Enter keeps what is saved.
    let mut term = configure_tty(&dir);
    term.expect(&format!("base URL [{base}]: "));
    term.send("\r");
    term.expect(&format!("Client id [{CLIENT_ID}]: "));
    term.send("\r");
    term.expect("[Enter keeps the saved one]: ");
    term.send("\r");
    term.expect("checked: the credentials work");
    let (status, screen) = term.wait();
    assert_eq!(status.code(), Some(0), "{screen}");
}
