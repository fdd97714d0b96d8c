//! `connecty mcp` against clients that no one here wrote: the official
//! Python MCP SDK (client.py) over stdio and over Streamable HTTP, and the
//! MCP Inspector's command-line client, against the emulator.
//!
//! `cargo xtask ci` installs both, pinned (xtask/src/setup/needs.rs): the Python
//! SDK into target/venv, whose `bin/` it puts first on `PATH`, and the
//! Inspector into target/node. A missing one fails these tests with the
//! command that installs it; they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use connecty_emulator::{Emulator, EmulatorHandle, Schedule};
use connecty_testkit::{CannedResponse, Exchange, RequestMatcher, ScriptedServer};

const CLIENT_ID: &str = "mcp-test-client";
/// Recognisable, so that any leak shows.
const SECRET: &str = "S3CRET-mcp-never-print-41d7";
/// The access token the scripted server issues.
const ACCESS_TOKEN: &str = "ACCESS-mcp-never-print-0b9e";
const QID: &str = connecty_testkit::values::QUESTION_ID;
const PYTHON_PACKAGES: &str = "mcp==2.3.0 pyarrow==26.0.1";
/// The Inspector's CLI: 1.x runs on Node 20 (`@modelcontextprotocol/inspector`
/// itself wants Node 22).
const INSPECTOR: &str = "@modelcontextprotocol/inspector-cli@1.0.3";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn emulator(schedule: Schedule) -> EmulatorHandle {
    Emulator::builder()
        .credentials(CLIENT_ID, SECRET)
        .schedule(schedule)
        .start()
        .expect("the emulator starts")
}

/// A server answering one question with cells that are hard to keep exact.
fn exact_cells() -> ScriptedServer {
    let body = r#"{"state":"COMPLETED","results":{"response_summary":"Awkward cells.","sql_query":"SELECT 1;","dataframe":[["big","dec","f","nested","u"],[12345678901234567890,1234567890.123456789012,12.50,{"k": [1, 2, "x, y"]},"żółw 🐢"]]}}"#;
    ScriptedServer::start([
        Exchange::new(
            RequestMatcher::post("/v1/auth/token"),
            CannedResponse::json(
                200,
                format!(
                    r#"{{"access_token":"{ACCESS_TOKEN}","expires_at":"2099-01-01T00:00:00+00:00"}}"#
                ),
            ),
        ),
        Exchange::new(
            RequestMatcher::post("/v1/dw/13/questions").bearer(),
            CannedResponse::json(200, format!(r#"{{"question_id":"{QID}"}}"#)),
        ),
        Exchange::new(
            RequestMatcher::get(format!("/v1/dw/13/questions/{QID}/results")).bearer(),
            CannedResponse::json(200, body),
        )
        .repeated(),
    ])
    .expect("the scripted server starts")
}

fn python_ready() {
    let check = Command::new("python3")
        .args(["-c", "import mcp, pyarrow, httpx2, anyio"])
        .output();
    let install = format!(
        "cargo xtask setup (or: python3 -m venv target/venv && target/venv/bin/python3 -m pip \
         install {PYTHON_PACKAGES}, then put target/venv/bin first on PATH)"
    );
    match check {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "the Python MCP SDK is needed for this test: {install}\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("python3 is needed for this test ({e}): {install}"),
    }
}

/// Runs client.py over `transport` and checks that no output, tool result
/// or server log holds a secret.
fn python_client(transport: &str) {
    python_ready();
    let fast = emulator(Schedule::IMMEDIATE);
    let slow = emulator(Schedule {
        pending: Duration::from_millis(500),
        in_progress: Duration::from_millis(2500),
    });
    let exact = exact_cells();
    let transcript = tempfile::NamedTempFile::new().expect("a temporary file");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(transport)
        .env("CONNECTY_BIN", env!("CARGO_BIN_EXE_connecty"))
        .env("FAST_URL", fast.base_url())
        .env("SLOW_URL", slow.base_url())
        .env("EXACT_URL", exact.base_url())
        .env("MCP_CLIENT_ID", CLIENT_ID)
        .env("MCP_CLIENT_SECRET", SECRET)
        .env("MCP_TRANSCRIPT", transcript.path())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let transcript = std::fs::read_to_string(transcript.path()).unwrap_or_default();
    assert!(
        out.status.success(),
        "client.py {transport} failed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- transcript (tail) ---\n{}",
        tail(&transcript, 6000)
    );
    assert!(stdout.contains("ok "), "{stdout}");
    for text in [&*stdout, &*stderr, &*transcript] {
        assert!(!text.contains(SECRET), "the client secret leaked:\n{text}");
        assert!(
            !text.contains(ACCESS_TOKEN),
            "an access token leaked:\n{text}"
        );
        assert!(!text.contains("panicked"), "{text}");
    }
    assert!(
        transcript.contains("rows_omitted"),
        "the transcript holds the results"
    );
    println!("{stdout}");
}

fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

#[test]
fn python_sdk_over_stdio() {
    python_client("stdio");
}

#[test]
fn python_sdk_over_http() {
    python_client("http");
}

/// The Inspector's CLI lists the tools and calls `ask` once, over stdio,
/// starting the server exactly as the README's snippets do: `connecty mcp
/// --profile NAME --dw ID`.
#[test]
fn mcp_inspector_cli_lists_tools_and_asks() {
    // The CLI client itself (build/index.js; build/cli.js is the launcher of
    // the web Inspector). It finds its own package.json relative to the
    // working directory, so it runs from its build directory.
    let build =
        repo_root().join("target/node/node_modules/@modelcontextprotocol/inspector-cli/build");
    assert!(
        build.join("index.js").is_file(),
        "the MCP Inspector CLI is needed for this test: cargo xtask setup (or: npm install \
         --prefix target/node {INSPECTOR})"
    );
    let fast = emulator(Schedule::IMMEDIATE);
    let config = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        config.path().join("config.toml"),
        format!(
            "[profiles.agent]\nbase_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n",
            fast.base_url()
        ),
    )
    .expect("config.toml is written");
    let credentials = config.path().join("credentials.toml");
    std::fs::write(
        &credentials,
        format!("[profiles.agent]\nclient_secret = \"{SECRET}\"\n"),
    )
    .expect("credentials.toml is written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600))
            .expect("credentials.toml is private");
    }
    let run = |method: &[&str]| {
        let out = Command::new("node")
            .current_dir(&build)
            .args(["index.js", env!("CARGO_BIN_EXE_connecty")])
            .args(method)
            .args(["--", "mcp", "--profile", "agent", "--dw", "13"])
            .env("CONNECTY_CONFIG_DIR", config.path())
            .env_remove("CONNECTY_BASE_URL")
            .env_remove("CONNECTY_CLIENT_ID")
            .env_remove("CONNECTY_CLIENT_SECRET")
            .env_remove("CONNECTY_PROFILE")
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
        serde_json::from_str::<serde_json::Value>(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\n{stderr}"))
    };
    let tools = run(&["--method", "tools/list"]);
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .expect("a tool list")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["ask", "results", "health"]);
    let asked = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        "ask",
        "--tool-arg",
        "question=list the top 5 countries with the most orders",
    ]);
    assert_eq!(asked["isError"], serde_json::json!(false), "{asked}");
    assert_eq!(asked["structuredContent"]["state"], "COMPLETED", "{asked}");
    assert_eq!(
        asked["structuredContent"]["rows"].as_array().map(Vec::len),
        Some(5),
        "{asked}"
    );
}

/// `connecty mcp --http ADDR` with `token` (or none) in the environment;
/// it must refuse to start: its exit code and stderr.
fn refused_http(addr: &str, token: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connecty"));
    cmd.args(["mcp", "--http", addr])
        .env_remove("CONNECTY_MCP_TOKEN")
        .env("CONNECTY_CLIENT_ID", CLIENT_ID)
        .env("CONNECTY_CLIENT_SECRET", SECRET);
    if let Some(t) = token {
        cmd.env("CONNECTY_MCP_TOKEN", t);
    }
    let out = cmd.output().expect("connecty runs");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--http` without `CONNECTY_MCP_TOKEN` refuses to start: exit 2 and how
/// to set it; so does a non-loopback address without `--allow-remote`.
#[test]
fn http_without_a_token_exits_2_and_says_how_to_set_it() {
    let (code, stderr) = refused_http("127.0.0.1:0", None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("export CONNECTY_MCP_TOKEN="), "{stderr}");
    let (code, stderr) = refused_http("127.0.0.1:0", Some("   "));
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr) = refused_http("0.0.0.0:0", Some("t0ken-for-the-test"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(!stderr.contains("t0ken-for-the-test"), "{stderr}");
}
