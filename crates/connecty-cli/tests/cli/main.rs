//! End-to-end tests of the `connecty` binary against the embedded emulator (connecty-emulator)
//! and scripted servers, over both transports.
//!
//! Every run goes through [`connecty`], which also checks that neither the
//! client secret nor a scripted access token appears in stdout or stderr,
//! and that nothing panicked.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use connecty_emulator::{Emulator, EmulatorHandle, Schedule};

// These use Unix file modes, shells and pseudo-terminals.
#[cfg(unix)]
mod completions;
#[cfg(unix)]
mod configure;
#[cfg(unix)]
mod files;
#[cfg(unix)]
mod output;
#[cfg(unix)]
mod profiles;
#[cfg(unix)]
mod pty;
mod rows;
#[cfg(unix)]
mod shell;
use connecty_testkit::{CannedResponse, Exchange, RequestMatcher, ScriptedServer};
use serde_json::Value;

const CLIENT_ID: &str = "cli-test-client";
/// Recognisable, so that any leak shows.
const SECRET: &str = "S3CRET-cli-never-print-9f2c";
/// The access token the scripted servers issue.
const TOKEN: &str = "TOKEN-only-with-show-5d1e";
const QID: &str = connecty_testkit::values::QUESTION_ID;
const TRANSPORTS: [&str; 2] = ["ureq", "hyper"];
const TOP5: &str = "list the top 5 countries with the most orders";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A config directory with no profiles, shared by the runs that need none.
fn empty_config_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connecty"));
    cmd.args(args);
    for k in [
        "CONNECTY_BASE_URL",
        "CONNECTY_REGION",
        "CONNECTY_TRANSPORT",
        "CONNECTY_CLIENT_ID",
        "CONNECTY_CLIENT_SECRET",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "RUST_BACKTRACE",
        "CONNECTY_PROFILE",
        "CONNECTY_PAGER",
        "PAGER",
        "XDG_CONFIG_HOME",
    ] {
        cmd.env_remove(k);
    }
    // Never the real home: an empty config directory unless a test gives
    // its own.
    cmd.env("CONNECTY_CONFIG_DIR", empty_config_dir());
    cmd.env("COLUMNS", "100");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary; checks that no secret leaked and nothing panicked.
fn connecty_in(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
    token_allowed: bool,
) -> Run {
    let mut cmd = command(args, env);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // A command that refuses its flags exits before it reads its
        // input: a closed pipe is its answer, not the test's failure.
        if let Err(e) = pipe.write_all(input.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
        }
    }
    let out = child.wait_with_output().expect("the binary ends");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(SECRET), "the secret leaked: {run:?}");
        assert!(
            token_allowed || !text.contains(TOKEN),
            "the token leaked: {run:?}"
        );
    }
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "panic: {run:?}"
    );
    run
}

fn connecty(args: &[&str], env: &[(&str, &str)]) -> Run {
    connecty_in(args, env, None, false)
}

/// An emulator accepting the test credentials.
fn start(schedule: Schedule, ttl: Option<Duration>) -> EmulatorHandle {
    start_as((CLIENT_ID, SECRET), schedule, ttl)
}

/// An emulator accepting `credentials` (client id, secret), whose
/// questions take `schedule`, whose tokens live `ttl` (else an hour).
fn start_as(
    credentials: (&str, &str),
    schedule: Schedule,
    ttl: Option<Duration>,
) -> EmulatorHandle {
    let mut b = Emulator::builder()
        .credentials(credentials.0, credentials.1)
        .schedule(schedule);
    if let Some(ttl) = ttl {
        b = b.token_ttl(ttl);
    }
    b.start().expect("the emulator starts")
}

/// An emulator that answers as soon as the query ran.
fn fast() -> &'static EmulatorHandle {
    static E: OnceLock<EmulatorHandle> = OnceLock::new();
    E.get_or_init(|| start(Schedule::IMMEDIATE, None))
}

/// An emulator whose questions take 1.5 s.
fn slow() -> &'static EmulatorHandle {
    static E: OnceLock<EmulatorHandle> = OnceLock::new();
    E.get_or_init(|| {
        start(
            Schedule {
                pending: Duration::from_millis(700),
                in_progress: Duration::from_millis(800),
            },
            None,
        )
    })
}

/// The environment that points `connecty` at `base_url` with the test
/// credentials.
fn env_of(base_url: &str) -> [(&'static str, &str); 3] {
    [
        ("CONNECTY_BASE_URL", base_url),
        ("CONNECTY_CLIENT_ID", CLIENT_ID),
        ("CONNECTY_CLIENT_SECRET", SECRET),
    ]
}

fn with_transport<'a>(transport: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--transport", transport];
    v.extend_from_slice(args);
    v
}

fn run_on(base_url: &str, transport: &str, args: &[&str]) -> Run {
    let env = env_of(base_url);
    connecty(&with_transport(transport, args), &env)
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!("connecty-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("the temporary file is written");
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `f` for each transport, both at once.
fn on_both_transports(f: impl Fn(&'static str) + Sync) {
    std::thread::scope(|scope| {
        for transport in TRANSPORTS {
            let f = &f;
            scope.spawn(move || f(transport));
        }
    });
}

/// `connecty` against one server on one transport: what a test runs once
/// per transport.
#[derive(Clone, Copy)]
struct On<'a> {
    base: &'a str,
    transport: &'static str,
}

impl On<'_> {
    /// Runs `args` against the server on this transport.
    fn run(self, args: &[&str]) -> Run {
        run_on(self.base, self.transport, args)
    }

    /// `ask --dw 13 QUESTION ARGS`.
    fn ask(self, question: &str, args: &[&str]) -> Run {
        let mut all = vec!["ask", "--dw", "13", question];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `ask --dw 13 QUESTION --no-wait`: the question's id.
    fn ask_no_wait(self, question: &str) -> String {
        let asked = self.ask(question, &["--no-wait"]);
        assert_eq!(asked.code, 0, "{asked:?}");
        let id = asked.stdout.trim_end();
        assert!(is_uuid(id), "{asked:?}");
        id.to_string()
    }
}

/// Runs `f` against `base` once per transport, both at once.
fn against_both(base: &str, f: impl Fn(On<'_>) + Sync) {
    on_both_transports(|transport| f(On { base, transport }));
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

/// The question id named in a deadline message.
fn resume_id(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("resume with: connecty results --dw 13 "))
        .unwrap_or_else(|| panic!("no resume line in {stderr}"));
    let id = line
        .trim_start_matches("resume with: connecty results --dw 13 ")
        .trim_end_matches(" --wait");
    assert!(is_uuid(id), "{line}");
    id.to_string()
}

// ---------------------------------------------------------------------------
// Scripted servers.

fn token_exchange() -> Exchange {
    Exchange::new(
        RequestMatcher::post("/v1/auth/token"),
        CannedResponse::json(
            200,
            format!(r#"{{"access_token":"{TOKEN}","expires_at":"2099-01-01T00:00:00+00:00"}}"#),
        ),
    )
}

/// A server answering one `ask`: token, question, then `results_body`.
fn scripted_ask(results_status: u16, results_body: &str) -> ScriptedServer {
    ScriptedServer::start([
        token_exchange(),
        Exchange::new(
            RequestMatcher::post("/v1/dw/13/questions").bearer(),
            CannedResponse::json(200, format!(r#"{{"question_id":"{QID}"}}"#)),
        ),
        Exchange::new(
            RequestMatcher::get(format!("/v1/dw/13/questions/{QID}/results")).bearer(),
            CannedResponse::text(results_status, results_body)
                .header("content-type", "application/json"),
        )
        .repeated(),
    ])
    .expect("the scripted server starts")
}

/// A server answering `results` for [`QID`] with `body`, after a token.
fn scripted_results(body: &str) -> ScriptedServer {
    ScriptedServer::start([
        token_exchange(),
        Exchange::new(
            RequestMatcher::get(format!("/v1/dw/13/questions/{QID}/results")).bearer(),
            CannedResponse::json(200, body),
        ),
    ])
    .expect("the scripted server starts")
}

/// Results whose cells and statistics are awkward to keep exact.
const AWKWARD_RESULTS: &str = r#"{"response_summary":"Awkward \"cells\".","sql_query":"SELECT 1;","dataframe":[["big","neg","float","s","n","b","nested","u","e"],[12345678901234567890,-98765432109876543210,1.10e+400,"a,\"b\"\r\nc",null,true,{"k":[1,2.50,"x, y"]},"żółw 🐢","" ],[1,2,3,"plain",null,false,[],"",null]],"dataframe_stats":{"big":{"general":{"count":2,"nulls_count":0},"numeric":{"min":1,"max":12345678901234567890,"mean":6.17e18}}},"extra_field":{"kept":true}}"#;

fn awkward_body() -> String {
    format!(r#"{{"state":"COMPLETED","results":{AWKWARD_RESULTS}}}"#)
}

// ---------------------------------------------------------------------------
// Help and usage errors.

#[test]
fn help_documents_commands_environment_and_exit_codes() {
    let run = connecty(&["--help"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for needle in [
        "health",
        "token",
        "ask",
        "results",
        "batch",
        "emulator",
        "demo",
        "--base-url",
        "--region",
        "--transport",
        "--ca-cert",
        "CONNECTY_CLIENT_ID",
        "CONNECTY_CLIENT_SECRET",
        "CONNECTY_BASE_URL",
        "CONNECTY_REGION",
        "CONNECTY_TRANSPORT",
        "Exit codes:",
        "0  success",
        "1  any other failure",
        "2  usage error",
        "3  authentication failed",
        "4  the question FAILED",
        "5  deadline reached",
        "130  interrupted",
        "shell",
        "configure",
        "completions",
        "--profile",
        "--no-pager",
        "CONNECTY_PROFILE",
        "CONNECTY_CONFIG_DIR",
        "CONNECTY_PAGER",
        "forbidden (403",
    ] {
        assert!(
            run.stdout.contains(needle),
            "--help lacks {needle:?}: {run:?}"
        );
    }
    let subcommands: [(&str, &[&str]); 10] = [
        ("shell", &["--dw", "\\help", "Ctrl-C", "Ctrl-D"]),
        (
            "configure",
            &["--client-id", "--client-secret-stdin", "mode 0600"],
        ),
        (
            "completions",
            &["bash", "zsh", "fish", "powershell", "elvish"],
        ),
        ("health", &["ok"]),
        ("token", &["--show"]),
        (
            "ask",
            &[
                "--dw",
                "--include",
                "--max-rows",
                "--format",
                "--timeout",
                "--no-wait",
                "--output",
                "table",
                "ndjson",
                "markdown",
            ],
        ),
        (
            "results",
            &[
                "--dw",
                "--include",
                "--max-rows",
                "--format",
                "--wait",
                "--timeout",
            ],
        ),
        (
            "batch",
            &[
                "--dw",
                "--concurrency",
                "--include",
                "--max-rows",
                "--timeout",
                "FILE|-",
            ],
        ),
        ("emulator", &["--port", "--db", "--token-ttl"]),
        ("demo", &["no credentials"]),
    ];
    for (sub, needles) in subcommands {
        let run = connecty(&[sub, "--help"], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        for needle in needles {
            assert!(
                run.stdout.contains(needle),
                "{sub} --help lacks {needle:?}: {run:?}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let base = fast().base_url();
    let env = env_of(&base);
    let cases: &[&[&str]] = &[
        &["--bogus", "health"],
        &["frobnicate"],
        &["ask", TOP5],
        &["ask", "--dw", "thirteen", TOP5],
        &["ask", "--dw", "13", "   "],
        &["ask", "--dw", "13", TOP5, "--format", "xml"],
        &["ask", "--dw", "13", TOP5, "--max-rows", "0"],
        &["ask", "--dw", "13", TOP5, "--include", "rows"],
        &["ask", "--dw", "13", TOP5, "--timeout", "soon"],
        &["results", "--dw", "13", "not-a-uuid"],
        &["batch", "--dw", "13", "-", "--concurrency", "0"],
        &[
            "--base-url",
            "http://127.0.0.1:9",
            "--region",
            "us1",
            "health",
        ],
        &["--base-url", "ftp://example", "health"],
        &["--ca-cert", "/nonexistent/ca.pem", "health"],
        &["batch", "--dw", "13", "/nonexistent/questions.txt"],
        &["emulator", "--db", "/nonexistent/shop.sqlite"],
    ];
    for args in cases {
        let run = connecty(args, &env);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert!(run.stderr.starts_with("error: "), "{args:?}: {run:?}");
        assert!(run.stderr.lines().count() <= 6, "{args:?}: {run:?}");
    }
    let run = connecty(&["health"], &[("CONNECTY_TRANSPORT", "carrier-pigeon")]);
    assert_eq!(run.code, 2, "{run:?}");
    let garbage = TempFile::new("garbage.pem", "not a certificate");
    let garbage = garbage.path();
    against_both(&base, |on| {
        let run = on.run(&["--ca-cert", garbage, "health"]);
        assert_eq!(run.code, 2, "{run:?}");
    });
}

// ---------------------------------------------------------------------------
// health, token, credentials.

#[test]
fn health_prints_ok_on_both_transports() {
    let base = fast().base_url();
    on_both_transports(|transport| {
        let run = connecty(
            &["--transport", transport, "--base-url", &base, "health"],
            &[],
        );
        assert_eq!((run.code, run.stdout.as_str()), (0, "ok\n"), "{run:?}");
        assert!(run.stderr.is_empty(), "{run:?}");
    });
    // The environment stands in for the flags, and the flag beats it.
    let run = connecty(
        &["health"],
        &[
            ("CONNECTY_BASE_URL", &base),
            ("CONNECTY_TRANSPORT", "hyper"),
            ("CONNECTY_REGION", "us1"),
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, "ok\n"), "{run:?}");
    let run = connecty(
        &["--base-url", &base, "health"],
        &[("CONNECTY_BASE_URL", "http://127.0.0.1:9")],
    );
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn unreachable_service_exits_1_with_advice() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    against_both(&base, |on| {
        let run = on.ask(TOP5, &["--timeout", "5"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .starts_with(&format!("error: cannot reach {base}")),
            "{run:?}"
        );
        assert!(run.stderr.contains("hint: "), "{run:?}");
        assert_eq!(run.stderr.lines().count(), 2, "{run:?}");
    });
}

#[test]
fn token_prints_expiry_and_shows_the_token_only_with_show() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let run = on.run(&["token"]);
        assert_eq!(run.code, 0, "{run:?}");
        let line = run.stdout.trim_end();
        assert!(line.starts_with("token expires at "), "{run:?}");
        assert!(
            line.ends_with("(in 59 minutes)") || line.ends_with("(in 60 minutes)"),
            "{run:?}"
        );
        let stamp = line
            .trim_start_matches("token expires at ")
            .split(' ')
            .next()
            .unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{stamp}"
        );
        assert_eq!(run.stdout.lines().count(), 1);

        let env = env_of(&base);
        let shown = connecty_in(
            &["--transport", on.transport, "token", "--show"],
            &env,
            None,
            true,
        );
        assert_eq!(shown.code, 0, "{shown:?}");
        let token = shown.stdout.trim_end();
        assert_eq!(shown.stdout.lines().count(), 1, "{shown:?}");
        assert!(token.len() >= 16 && !token.contains(' '), "{shown:?}");
        assert!(shown.stderr.starts_with("token expires at "), "{shown:?}");
        assert!(!run.stdout.contains(token));
    });
    // A scripted token: it shows with --show, never without.
    let server = ScriptedServer::start([token_exchange()]).unwrap();
    let base = server.base_url();
    let shown = connecty_in(&["token", "--show"], &env_of(&base), None, true);
    assert_eq!(shown.stdout, format!("{TOKEN}\n"), "{shown:?}");
    let server = ScriptedServer::start([token_exchange()]).unwrap();
    let run = run_on(&server.base_url(), "hyper", &["token"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2099-01-01T00:00:00+00:00"), "{run:?}");
}

#[test]
fn authentication_failures_exit_3() {
    let base = fast().base_url();
    let wrong = [
        ("CONNECTY_BASE_URL", base.as_str()),
        ("CONNECTY_CLIENT_ID", CLIENT_ID),
        ("CONNECTY_CLIENT_SECRET", "not-the-secret"),
    ];
    let questions = TempFile::new("auth.txt", &format!("{TOP5}\n{TOP5}\n"));
    let questions = questions.path();
    on_both_transports(|transport| {
        for args in [
            vec!["token"],
            vec!["ask", "--dw", "13", TOP5],
            vec!["results", "--dw", "13", QID],
            vec!["batch", "--dw", "13", questions],
        ] {
            let run = connecty(&with_transport(transport, &args), &wrong);
            assert_eq!(run.code, 3, "{args:?}: {run:?}");
            assert!(run.stdout.is_empty(), "{run:?}");
            assert!(
                run.stderr.starts_with("error: authentication failed"),
                "{run:?}"
            );
            assert!(run.stderr.contains("CONNECTY_CLIENT_SECRET"), "{run:?}");
        }
    });
    // Credentials come only from the environment.
    let run = connecty(
        &["--base-url", &base, "token"],
        &[("CONNECTY_CLIENT_SECRET", SECRET)],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("CONNECTY_CLIENT_ID is not set"),
        "{run:?}"
    );
    // A server echoing the secret in its error: it is redacted.
    let server = ScriptedServer::start([Exchange::new(
        RequestMatcher::post("/v1/auth/token"),
        CannedResponse::json(401, format!(r#"{{"error":"secret {SECRET} is wrong"}}"#)),
    )])
    .unwrap();
    let run = run_on(&server.base_url(), "ureq", &["token"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("secret [redacted] is wrong"), "{run:?}");
}

// ---------------------------------------------------------------------------
// ask and results against the emulator.

#[test]
fn ask_prints_every_format_on_both_transports() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let table = on.ask(TOP5, &[]);
        assert_eq!(table.code, 0, "{table:?}");
        let lines: Vec<&str> = table.stdout.lines().collect();
        assert_eq!(lines[0], "country        | orders", "{table:?}");
        assert_eq!(lines[1], "---------------+-------", "{table:?}");
        assert_eq!(lines[2], "United States  |    731", "{table:?}");
        assert_eq!(lines.last(), Some(&"(5 rows)"), "{table:?}");
        assert!(
            table.stderr.is_empty(),
            "no spinner off a terminal: {table:?}"
        );

        let csv = on.ask(TOP5, &["--format", "csv"]);
        assert_eq!(csv.code, 0, "{csv:?}");
        assert!(
            csv.stdout
                .starts_with("country,orders\r\nUnited States,731\r\nGermany,548\r\n"),
            "{csv:?}"
        );
        assert_eq!(csv.stdout.matches("\r\n").count(), 6, "{csv:?}");

        let json = on.ask(TOP5, &["--format", "json"]);
        assert_eq!(json.code, 0, "{json:?}");
        assert_eq!(json.stdout.lines().count(), 1, "{json:?}");
        let v: Value = serde_json::from_str(&json.stdout).unwrap();
        assert!(is_uuid(v["question_id"].as_str().unwrap()), "{v}");
        assert_eq!(v["state"], "COMPLETED");
        assert_eq!(
            v["results"]["dataframe"][0],
            serde_json::json!(["country", "orders"])
        );
        assert_eq!(
            v["results"]["dataframe"][1],
            serde_json::json!(["United States", 731])
        );
        assert_eq!(v.as_object().unwrap().len(), 3);

        let nd = on.ask(TOP5, &["--format", "ndjson"]);
        assert_eq!(nd.code, 0, "{nd:?}");
        let rows: Vec<Value> = nd
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows[0],
            serde_json::json!({"country": "United States", "orders": 731})
        );
    });
}

#[test]
fn ask_shows_summary_and_sql_above_the_table_and_honours_max_rows() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let run = on.ask(
            TOP5,
            &[
                "--include",
                "dataframe,summary,sqlquery,statistics",
                "--max-rows",
                "2",
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let out = &run.stdout;
        let summary = out.find("Summary:\n  Emulator: ").expect("summary");
        let sql = out.find("SQL:\n  SELECT").expect("sql");
        let table = out.find("country       | orders\n").expect("table");
        let stats = out
            .find("Statistics:\n  country:\n    general: count=5 nulls_count=0\n")
            .expect("statistics");
        assert!(summary < sql && sql < table && table < stats, "{run:?}");
        assert!(out.contains("(2 rows)"), "{run:?}");
    });
}

#[test]
fn ask_no_wait_then_results_once_and_with_wait() {
    let emu = slow();
    let base = emu.base_url();
    against_both(&base, |on| {
        let asked = on.ask(TOP5, &["--no-wait"]);
        assert_eq!(asked.code, 0, "{asked:?}");
        let id = asked.stdout.trim_end();
        assert!(
            is_uuid(id) && asked.stdout.lines().count() == 1,
            "{asked:?}"
        );

        let once = on.run(&["results", "--dw", "13", id]);
        assert_eq!(once.code, 0, "{once:?}");
        assert!(
            once.stdout == "state: PENDING\n" || once.stdout == "state: IN_PROGRESS\n",
            "{once:?}"
        );
        assert!(
            once.stderr
                .contains(&format!("connecty results --dw 13 {id} --wait")),
            "{once:?}"
        );
        let json = on.run(&["results", "--dw", "13", id, "--format", "json"]);
        let v: Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(v["question_id"], id);
        assert!(v.get("results").is_none(), "{json:?}");

        let waited = on.run(&["results", "--dw", "13", id, "--wait", "--format", "csv"]);
        assert_eq!(waited.code, 0, "{waited:?}");
        assert!(
            waited.stdout.starts_with("country,orders\r\n"),
            "{waited:?}"
        );
        assert_eq!(waited.stderr, "state: COMPLETED\n", "{waited:?}");

        let table = on.run(&["results", "--dw", "13", id]);
        assert_eq!(table.code, 0, "{table:?}");
        assert!(
            table.stdout.starts_with("state: COMPLETED\n\ncountry "),
            "{table:?}"
        );
        let nd = on.run(&["results", "--dw", "13", id, "--format", "ndjson"]);
        assert_eq!(nd.stdout.lines().count(), 5, "{nd:?}");
    });
}

#[test]
fn not_found_names_the_workspace_or_question() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let run = on.run(&["ask", "--dw", "99", TOP5]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .starts_with("error: data workspace 99 was not found"),
            "{run:?}"
        );
        assert!(
            run.stderr
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("hint: check --dw"),
            "{run:?}"
        );
        let run = on.run(&["results", "--dw", "13", QID]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: question {QID} in data workspace 13 was not found"
            )),
            "{run:?}"
        );
    });
}

#[test]
fn a_403_is_forbidden_exit_3_with_the_cores_hint() {
    on_both_transports(|transport| {
        let server = ScriptedServer::start([
            token_exchange(),
            Exchange::new(
                RequestMatcher::post("/v1/dw/13/questions").bearer(),
                CannedResponse::json(403, r#"{"error":"client may not use workspace 13"}"#),
            ),
        ])
        .expect("the scripted server starts");
        let run = run_on(&server.base_url(), transport, &["ask", "--dw", "13", TOP5]);
        assert_eq!(run.code, 3, "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert!(
            lines[0].starts_with("error: access to data workspace 13 was refused (403 Forbidden)"),
            "{run:?}"
        );
        assert!(
            lines[1]
                .starts_with("hint: these credentials may not use data workspace 13: check --dw"),
            "{run:?}"
        );
    });
}

#[test]
fn a_failed_question_exits_4_with_its_reason() {
    let base = fast().base_url();
    against_both(&base, |on| {
        let run = on.ask("what is the meaning of life", &[]);
        assert_eq!(run.code, 4, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        let first = run.stderr.lines().next().unwrap();
        assert!(
            first.starts_with("error: question ") && first.contains(" failed: "),
            "{run:?}"
        );
        assert!(first.contains("not a text-to-SQL engine"), "{run:?}");
        assert_eq!(run.stderr.lines().count(), 2, "{run:?}");
        // SQL errors carry SQLite's reason; `results` on a failed question exits 4 too.
        let id = &on.ask_no_wait("SELECT * FROM no_such_table");
        let waited = on.run(&["results", "--dw", "13", id, "--wait"]);
        assert_eq!(waited.code, 4, "{waited:?}");
        assert!(waited.stderr.contains("no such table"), "{waited:?}");
        let once = on.run(&["results", "--dw", "13", id, "--format", "json"]);
        assert_eq!(once.code, 4, "{once:?}");
        let v: Value = serde_json::from_str(&once.stdout).unwrap();
        assert_eq!(v["state"], "FAILED");
        assert!(
            v["error"].as_str().unwrap().contains("no such table"),
            "{once:?}"
        );
    });
}

#[test]
fn a_deadline_exits_5_and_names_the_command_to_resume() {
    let base = slow().base_url();
    against_both(&base, |on| {
        let run = on.ask(TOP5, &["--timeout", "0.3"]);
        assert_eq!(run.code, 5, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            run.stderr.starts_with("error: deadline reached after "),
            "{run:?}"
        );
        let id = resume_id(&run.stderr);
        assert!(run.stderr.lines().next().unwrap().contains(&id), "{run:?}");
        let resumed = on.run(&["results", "--dw", "13", &id, "--wait", "--format", "json"]);
        assert_eq!(resumed.code, 0, "{resumed:?}");
        let v: Value = serde_json::from_str(&resumed.stdout).unwrap();
        assert_eq!(
            (v["question_id"].as_str(), v["state"].as_str()),
            (Some(id.as_str()), Some("COMPLETED"))
        );
        // `results --wait` has a deadline too.
        let id = &on.ask_no_wait(TOP5);
        let run = on.run(&["results", "--dw", "13", id, "--wait", "--timeout", "0.2"]);
        assert_eq!(run.code, 5, "{run:?}");
        assert_eq!(&resume_id(&run.stderr), id);
    });
}

#[test]
fn a_token_that_expires_mid_wait_is_refreshed() {
    on_both_transports(|transport| {
        // Tokens live 1 s; the question takes 2 s.
        let emu = start(
            Schedule {
                pending: Duration::from_millis(600),
                in_progress: Duration::from_millis(1400),
            },
            Some(Duration::from_secs(1)),
        );
        let run = run_on(
            &emu.base_url(),
            transport,
            &["ask", "--dw", "13", TOP5, "--format", "csv"],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("country,orders\r\n"), "{run:?}");
        assert!(
            emu.token_requests() >= 2,
            "the token was refreshed: {run:?}"
        );
    });
}

// ---------------------------------------------------------------------------
// Exactness of awkward cells.

#[test]
fn emulator_sql_cells_stay_exact_in_every_format() {
    let base = fast().base_url();
    let sql = "SELECT 9223372036854775807 AS big, -9223372036854775808 AS small, \
               'a,\"b\"' || char(13) || char(10) || 'c' AS s, NULL AS n, 'żółw 🐢' AS u, '' AS e, \
               1.5 AS f, char(27) || '[31mred' AS esc";
    against_both(&base, |on| {
        let id = &on.ask_no_wait(sql);
        let csv = on.run(&["results", "--dw", "13", id, "--wait", "--format", "csv"]);
        assert_eq!(csv.code, 0, "{csv:?}");
        assert_eq!(
            csv.stdout,
            "big,small,s,n,u,e,f,esc\r\n9223372036854775807,-9223372036854775808,\"a,\"\"b\"\"\r\nc\",,żółw 🐢,\"\",1.5,\u{1b}[31mred\r\n"
        );
        let json = on.run(&["results", "--dw", "13", id, "--format", "json"]);
        assert!(
            json.stdout.contains(r#""dataframe":[["big","small","s","n","u","e","f","esc"],[9223372036854775807,-9223372036854775808,"a,\"b\"\r\nc",null,"żółw 🐢","",1.5,"\u001b[31mred"]]"#),
            "{json:?}"
        );
        let nd = on.run(&["results", "--dw", "13", id, "--format", "ndjson"]);
        assert_eq!(
            nd.stdout,
            "{\"big\":9223372036854775807,\"small\":-9223372036854775808,\"s\":\"a,\\\"b\\\"\\r\\nc\",\"n\":null,\"u\":\"żółw 🐢\",\"e\":\"\",\"f\":1.5,\"esc\":\"\\u001b[31mred\"}\n"
        );
        let table = on.run(&["results", "--dw", "13", id]);
        assert!(
            !table.stdout.contains('\u{1b}') && !table.stdout.contains('\r'),
            "{table:?}"
        );
        let row = table.stdout.lines().nth(4).unwrap();
        assert_eq!(
            row,
            "9223372036854775807 | -9223372036854775808 | a,\"b\"\\r\\nc | NULL | żółw 🐢 |   | 1.5 | \\u{1b}[31mred"
        );
    });
}

#[test]
fn scripted_big_numbers_and_nested_values_stay_exact() {
    on_both_transports(|transport| {
        let server = scripted_ask(200, &awkward_body());
        let json = run_on(
            &server.base_url(),
            transport,
            &["ask", "--dw", "13", "awkward", "--format", "json"],
        );
        assert_eq!(json.code, 0, "{json:?}");
        let want_results = AWKWARD_RESULTS.replace(",\"\" ]", ",\"\"]");
        assert_eq!(
            json.stdout,
            format!(
                "{{\"question_id\":\"{QID}\",\"state\":\"COMPLETED\",\"results\":{want_results}}}\n"
            )
        );

        let server = scripted_results(&awkward_body());
        let csv = run_on(
            &server.base_url(),
            transport,
            &["results", "--dw", "13", QID, "--format", "csv"],
        );
        assert_eq!(
            csv.stdout,
            "big,neg,float,s,n,b,nested,u,e\r\n\
             12345678901234567890,-98765432109876543210,1.10e+400,\"a,\"\"b\"\"\r\nc\",,true,\"{\"\"k\"\":[1,2.50,\"\"x, y\"\"]}\",żółw 🐢,\"\"\r\n\
             1,2,3,plain,,false,[],\"\",\r\n"
        );

        let server = scripted_results(&awkward_body());
        let nd = run_on(
            &server.base_url(),
            transport,
            &["results", "--dw", "13", QID, "--format", "ndjson"],
        );
        let first = nd.stdout.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"big":12345678901234567890,"neg":-98765432109876543210,"float":1.10e+400,"s":"a,\"b\"\r\nc","n":null,"b":true,"nested":{"k":[1,2.50,"x, y"]},"u":"żółw 🐢","e":""}"#
        );

        let server = scripted_results(&awkward_body());
        let base = server.base_url();
        let mut env = env_of(&base).to_vec();
        env.push(("COLUMNS", "200"));
        let table = connecty(
            &["--transport", transport, "results", "--dw", "13", QID],
            &env,
        );
        assert!(
            table
                .stdout
                .contains("    numeric: min=1 max=12345678901234567890 mean=6.17e18\n"),
            "{table:?}"
        );
        assert!(
            table
                .stdout
                .contains("12345678901234567890 | -98765432109876543210 | 1.10e+400"),
            "{table:?}"
        );
        assert!(
            table.stdout.contains(r#"{"k":[1,2.50,"x, y"]}"#),
            "{table:?}"
        );
        server.finish().expect("the script was followed");
    });
}

#[test]
fn a_body_that_is_not_json_is_reported_with_an_excerpt() {
    on_both_transports(|transport| {
        let server = scripted_ask(200, "<html><body>Gateway says hello</body></html>");
        let run = run_on(
            &server.base_url(),
            transport,
            &["ask", "--dw", "13", "anything"],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{run:?}");
        assert_eq!(
            lines[0],
            r#"error: unexpected response at $: expected JSON but got HTML or XML (body starts: "<html><body>Gateway says hello</body></html>")"#,
            "{run:?}"
        );
        assert!(
            lines[1].starts_with("hint: the server does not answer like the ConnectyAI API: check --base-url or --region (now http://127.0.0.1:"),
            "{run:?}"
        );
    });
}

// ---------------------------------------------------------------------------
// batch.

#[test]
fn batch_of_20_with_failures_keeps_input_order() {
    let base = fast().base_url();
    let mut questions = Vec::new();
    for i in 0..20 {
        questions.push(match i % 4 {
            0 => format!("SELECT {i} AS n, 'q{i}' AS label"),
            1 => TOP5.to_string(),
            2 => format!("unanswerable question number {i}"),
            _ => "how many orders were placed each month".to_string(),
        });
    }
    // Blank lines and CRLF are skipped.
    let input = format!("\n{}\r\n\n", questions.join("\r\n\n   \n"));
    let file = TempFile::new("batch.txt", &input);
    // From a file with --transport hyper, and from stdin with --transport ureq
    // (batch always runs on hyper): both at once.
    on_both_transports(|transport| {
        let source = (transport == "hyper").then(|| file.path());
        let env = env_of(&base);
        let file = source.unwrap_or("-");
        let args = [
            "--transport",
            transport,
            "batch",
            "--dw",
            "13",
            file,
            "--concurrency",
            "4",
        ];
        let run = connecty_in(
            &args,
            &env,
            source.is_none().then_some(input.as_str()),
            false,
        );
        assert_eq!(run.code, 1, "{run:?}");
        let lines: Vec<Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 20, "{run:?}");
        for (i, (line, question)) in lines.iter().zip(&questions).enumerate() {
            assert_eq!(line["question"], question.as_str(), "line {i}");
            assert!(
                is_uuid(line["question_id"].as_str().unwrap_or("")),
                "line {i}: {line}"
            );
            if i % 4 == 2 {
                assert_eq!(line["state"], "FAILED", "line {i}: {line}");
                assert_eq!(line["error"]["kind"], "question_failed", "line {i}: {line}");
                assert!(
                    line["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains(" failed: "),
                    "{line}"
                );
                assert!(line.get("results").is_none());
            } else {
                assert_eq!(line["state"], "COMPLETED", "line {i}: {line}");
                assert!(line.get("error").is_none());
                let df = &line["results"]["dataframe"];
                if i % 4 == 0 {
                    assert_eq!(df[1], serde_json::json!([i, format!("q{i}")]), "line {i}");
                } else if i % 4 == 1 {
                    assert_eq!(df[1], serde_json::json!(["United States", 731]), "line {i}");
                }
            }
            let keys: Vec<&str> = line
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            // question, question_id, state, and error or results +
            // completeness.
            let want = if i % 4 == 2 { 4 } else { 5 };
            assert_eq!(keys.len(), want, "{line}");
        }
        assert!(
            run.stderr.contains("15 of 20 questions completed"),
            "{run:?}"
        );
    });
    // All succeed: exit 0; include and max_rows apply to every question.
    let env = env_of(&base);
    let run = connecty_in(
        &[
            "batch",
            "--dw",
            "13",
            "-",
            "--include",
            "dataframe,sqlquery",
            "--max-rows",
            "1",
        ],
        &env,
        Some(&format!("{TOP5}\nSELECT 1 AS one\n")),
        false,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0]["results"]["dataframe"].as_array().unwrap().len(),
        2
    );
    assert!(
        lines[0]["results"]["sql_query"]
            .as_str()
            .unwrap()
            .contains("SELECT")
    );
    assert_eq!(
        lines[1]["results"]["dataframe"],
        serde_json::json!([["one"], [1]])
    );
    // An empty input is no work.
    let run = connecty_in(&["batch", "--dw", "13", "-"], &env, Some("\n \n"), false);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
}

#[test]
fn batch_reports_deadlines_and_keeps_going() {
    let base = slow().base_url();
    let env = env_of(&base);
    let run = connecty_in(
        &["batch", "--dw", "13", "-", "--timeout", "0.3"],
        &env,
        Some(&format!("{TOP5}\n{TOP5}\n")),
        false,
    );
    assert_eq!(run.code, 1, "{run:?}");
    for line in run.stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["error"]["kind"], "timeout", "{v}");
        assert!(is_uuid(v["question_id"].as_str().unwrap()), "{v}");
        assert!(v["state"].is_null() || v["state"] == "PENDING", "{v}");
    }
    assert_eq!(run.stdout.lines().count(), 2);
}

// ---------------------------------------------------------------------------
// emulator and demo.

#[test]
fn demo_needs_no_credentials_on_either_transport() {
    on_both_transports(|transport| {
        let run = connecty(
            &["--transport", transport, "demo"],
            &[("CONNECTY_CLIENT_SECRET", SECRET)],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let out = &run.stdout;
        let summary = out.find("Summary:\n").expect("summary");
        let sql = out.find("SQL:\n  SELECT").expect("sql");
        let table = out.find("country        | orders\n").expect("table");
        assert!(summary < sql && sql < table, "{run:?}");
        assert!(out.ends_with("(5 rows)\n"), "{run:?}");
        assert!(
            run.stderr.contains("COMPLETED"),
            "progress is shown: {run:?}"
        );
    });
}

#[test]
fn emulator_serves_until_interrupted() {
    let mut child = command(
        &["emulator", "--port", "0", "--token-ttl", "60"],
        &[("CONNECTY_CLIENT_SECRET", SECRET)],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut exports = Vec::new();
    let mut text = String::new();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if let Some(kv) = line.trim().strip_prefix("export ") {
            let (k, v) = kv.split_once('=').unwrap();
            exports.push((k.to_string(), v.to_string()));
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    assert!(
        text.starts_with("ConnectyAI emulator listening on http://127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains(SECRET), "{text}");
    let keys: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "CONNECTY_BASE_URL",
            "CONNECTY_CLIENT_ID",
            "CONNECTY_CLIENT_SECRET"
        ],
        "{text}"
    );
    let env: Vec<(&str, &str)> = exports
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let run = connecty(&["ask", "--dw", "13", TOP5, "--format", "csv"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("country,orders\r\n"), "{run:?}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `args` against an emulator of its own whose questions take
/// 1.5 s, sends SIGINT (Ctrl-C) once the question was asked, and collects
/// what the command printed.
fn interrupted_run(args: &[&str]) -> Run {
    let emulator = start(
        Schedule {
            pending: Duration::from_millis(700),
            in_progress: Duration::from_millis(800),
        },
        None,
    );
    let base = emulator.base_url();
    let env = env_of(&base);
    let child = command(args, &env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The question reached the server: the command is waiting on it.
    let asked_by = std::time::Instant::now() + Duration::from_secs(20);
    while emulator.questions_asked() == 0 {
        assert!(
            std::time::Instant::now() < asked_by,
            "the question was never asked"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn ctrl_c_while_waiting_prints_the_resume_command() {
    // The question takes 1.5 s; interrupt it while it is polled.
    on_both_transports(|t| {
        let run = interrupted_run(&["--transport", t, "ask", "--dw", "13", TOP5]);
        assert_eq!(run.code, 130, "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(run.stderr.starts_with("interrupted: question "), "{run:?}");
        resume_id(&run.stderr);
    });
}
