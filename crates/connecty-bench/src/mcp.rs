//! MCP: what `connecty mcp` adds to a question, and whether it holds up.
//!
//! The MCP server runs in a child process (`connecty-bench --serve-mcp
//! stdio|http ...`: connecty-mcp's `ConnectyMcp` over a connecty-hyper
//! client, as `connecty mcp` builds it, with the bench's fast poll
//! schedule), so its memory is its own. This process is the MCP client:
//! newline-delimited JSON-RPC on the child's stdin/stdout, or Streamable
//! HTTP POSTs with ureq. The baseline is the library's own `ask_and_wait`
//! with the same client settings, against the same emulator.
//!
//! - overhead: sequential `ask` tool calls, stdio and HTTP, against
//!   sequential `ask_and_wait` (target at most 1.2x);
//! - 100 concurrent `ask` calls over one HTTP session make 1 token exchange;
//! - the soak: 5,000 `ask` calls over HTTP (2 at a time) with 2 s access
//!   tokens: failures, and the server's resident memory after warm-up and
//!   at the end (target: 0 failures, growth under 10%).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connecty_mcp::{BearerToken, ConnectyMcp, HttpOptions, HttpServer, ServerConfig};
use connecty_proto::{IncludeSet, PollSchedule, WaitOptions};
use serde_json::{Value, json};

use crate::emu::EmuProc;
use crate::report::{Report, Table};
use crate::transport::{QUESTION, hyper_builder};

const DW: u64 = 13;
/// The bearer token between this process and its child server.
const TOKEN: &str = "bench-mcp-token-not-a-secret";
/// As in the concurrency section: the emulator answers at once, so the
/// default 250 ms first poll would measure sleeping.
const POLL: PollSchedule = PollSchedule {
    first: Duration::from_millis(5),
    factor: 1.5,
    cap: Duration::from_millis(100),
    max_fraction: 0.25,
};
const OVERHEAD_TARGET: f64 = 1.2;
const CONCURRENT: usize = 100;
/// Two at a time.
const SOAK_THREADS: usize = 2;
/// The soak's calls are spread over at least this long, so that it
/// outlasts three 2 s tokens: unpaced, 5,000 calls take about 1.5 s.
const SOAK_SPAN: Duration = Duration::from_secs(7);

fn overhead_target(transport: &str) -> String {
    format!(
        "mcp: an ask tool call over {transport} takes at most {OVERHEAD_TARGET}x the library's ask_and_wait"
    )
}

fn concurrent_target() -> String {
    format!("mcp: {CONCURRENT} concurrent ask calls over one HTTP session make 1 token exchange")
}

fn soak_target(calls: usize) -> String {
    format!(
        "mcp: soak, {calls} ask calls over HTTP with 2 s tokens: 0 failures, server RSS growth after warm-up under 10%"
    )
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names(quick: bool) -> Vec<String> {
    vec![
        overhead_target("stdio"),
        overhead_target("HTTP"),
        concurrent_target(),
        soak_target(soak_calls(quick)),
    ]
}

fn soak_calls(quick: bool) -> usize {
    if quick { 1_000 } else { 5_000 }
}

// ---------------------------------------------------------------------------
// The child: the server.

/// `connecty-bench --serve-mcp stdio|http <base_url> <client_id> <secret>`.
pub fn serve(args: &[String]) -> i32 {
    let [mode, url, id, secret] = args else {
        eprintln!("usage: --serve-mcp stdio|http BASE_URL CLIENT_ID CLIENT_SECRET");
        return 2;
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return 1;
        }
    };
    let served: Result<(), String> = rt.block_on(async {
        let client = connecty_hyper::ClientBuilder::new()
            .base_url(url)
            .and_then(|b| b.credentials(id, secret))
            .map(|b| b.poll(POLL))
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let server = ConnectyMcp::new(client, ServerConfig::default());
        if mode == "stdio" {
            return connecty_mcp::serve_stdio(server)
                .await
                .map_err(|e| e.to_string());
        }
        let options = HttpOptions {
            addr: ([127, 0, 0, 1], 0).into(),
            allow_remote: false,
            token: BearerToken::new(TOKEN).ok_or("no token")?,
        };
        let http = HttpServer::bind(server, options)
            .await
            .map_err(|e| e.to_string())?;
        let addr = http.local_addr().map_err(|e| e.to_string())?;
        println!("ready http://{addr}/mcp");
        let _ = std::io::stdout().flush();
        http.run().await.map_err(|e| e.to_string())
    });
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("serve-mcp: {e}");
            1
        }
    }
}

struct ServerProc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl ServerProc {
    fn start(mode: &str, emu: &EmuProc) -> Result<ServerProc, String> {
        let exe = crate::emu::self_exe()?;
        let mut child = Command::new(exe)
            .args([
                "--serve-mcp",
                mode,
                &emu.base_url,
                &emu.client_id,
                &emu.client_secret,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the MCP server process: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the MCP server process has no stdin/stdout".into());
        };
        Ok(ServerProc {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        })
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the MCP server process ended".into()),
            Ok(_) => Ok(line),
            Err(e) => Err(format!("reading from the MCP server: {e}")),
        }
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("reading the server's /proc status: {e}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| "no VmRSS in /proc status".to_string())
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // Our own child, by handle: stdio servers end with stdin; HTTP ones
        // are stopped here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn initialize_params() -> Value {
    json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "connecty-bench", "version": "0"}
    })
}

fn ask_params() -> Value {
    json!({"name": "ask", "arguments": {"question": QUESTION, "dw": DW}})
}

/// Checks a `tools/call` response: a COMPLETED answer with rows.
fn completed(response: &Value) -> Result<(), String> {
    let result = &response["result"];
    if result["isError"] == json!(false)
        && result["structuredContent"]["state"] == "COMPLETED"
        && result["structuredContent"]["row_count"].as_u64() > Some(0)
    {
        Ok(())
    } else {
        let text = response.to_string();
        Err(format!(
            "not a completed answer: {}",
            text.chars().take(300).collect::<String>()
        ))
    }
}

// ---------------------------------------------------------------------------
// stdio client.

struct StdioClient {
    server: ServerProc,
    next_id: u64,
}

impl StdioClient {
    fn start(emu: &EmuProc) -> Result<Self, String> {
        let mut s = StdioClient {
            server: ServerProc::start("stdio", emu)?,
            next_id: 0,
        };
        s.request("initialize", initialize_params())?;
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(s)
    }

    fn send(&mut self, message: &Value) -> Result<(), String> {
        let stdin = self.server.stdin.as_mut().ok_or("stdin closed")?;
        let line = format!("{message}\n");
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to the MCP server: {e}"))
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let line = self.server.read_line()?;
            let v: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
            if v["id"] == json!(id) {
                return Ok(v);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Streamable HTTP client.

struct HttpClient {
    agent: ureq::Agent,
    url: String,
    session: String,
    next_id: AtomicU64,
}

impl HttpClient {
    fn start(server: &mut ServerProc) -> Result<HttpClient, String> {
        let line = server.read_line()?;
        let url = line
            .trim()
            .strip_prefix("ready ")
            .ok_or_else(|| format!("the MCP server did not start: {line}"))?
            .to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut http = HttpClient {
            agent,
            url,
            session: String::new(),
            next_id: AtomicU64::new(0),
        };
        let (_, session) = http.post(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": initialize_params()}),
        )?;
        http.session = session.ok_or("no Mcp-Session-Id in the initialize response")?;
        http.post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))?;
        Ok(http)
    }

    /// POSTs one message; returns the JSON-RPC response (if any) and the
    /// session id header.
    fn post(&self, message: &Value) -> Result<(Option<Value>, Option<String>), String> {
        let mut req = self
            .agent
            .post(&self.url)
            .header("authorization", &format!("Bearer {TOKEN}"))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json");
        if !self.session.is_empty() {
            req = req
                .header("mcp-session-id", &self.session)
                .header("mcp-protocol-version", "2025-06-18");
        }
        let mut resp = req
            .send(message.to_string().as_bytes())
            .map_err(|e| format!("POST {}: {e}", self.url))?;
        let status = resp.status().as_u16();
        let session = resp
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("reading the response: {e}"))?;
        if !(200..300).contains(&status) {
            return Err(format!(
                "HTTP {status}: {}",
                body.chars().take(200).collect::<String>()
            ));
        }
        let id = &message["id"];
        if id.is_null() {
            return Ok((None, session));
        }
        // An SSE stream (`data: {...}` lines) or one JSON body.
        let found = body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .chain(std::iter::once(body.as_str()))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| &v["id"] == id);
        match found {
            Some(v) => Ok((Some(v), session)),
            None => Err(format!(
                "no response to request {id} in: {}",
                body.chars().take(200).collect::<String>()
            )),
        }
    }

    /// A `ping` request: the protocol's round trip with no tool behind it.
    fn ping(&self) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let (v, _) = self.post(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))?;
        v.map(drop).ok_or_else(|| "no response to ping".to_string())
    }

    fn ask(&self) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let (v, _) = self.post(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ask_params()}),
        )?;
        completed(&v.ok_or("no response")?)
    }
}

// ---------------------------------------------------------------------------

fn per_call(n: usize, mut f: impl FnMut() -> Result<(), String>) -> Result<Duration, String> {
    for _ in 0..5 {
        f()?;
    }
    let start = Instant::now();
    for _ in 0..n {
        f()?;
    }
    Ok(start.elapsed() / n as u32)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs the MCP measurements.
pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let n = if quick { 50 } else { 200 };
    let mut emu = EmuProc::start(0)?;
    // The library's own ask_and_wait, same client settings, all four parts
    // included as `ask` does by default.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let client = {
        let _guard = rt.enter();
        hyper_builder(&emu)?
            .poll(POLL)
            .build()
            .map_err(|e| e.to_string())?
    };
    let options = WaitOptions::new().include(IncludeSet::ALL);
    let library = per_call(n, || {
        rt.block_on(client.ask_and_wait(DW, QUESTION, &options))
            .map(drop)
            .map_err(|e| e.to_string())
    })?;
    let mut stdio = StdioClient::start(&emu)?;
    let over_stdio = per_call(n, || {
        let v = stdio.request("tools/call", ask_params())?;
        completed(&v)
    })?;
    let ping_stdio = per_call(n, || stdio.request("ping", json!({})).map(drop))?;
    drop(stdio);
    let mut server = ServerProc::start("http", &emu)?;
    let http = HttpClient::start(&mut server)?;
    let over_http = per_call(n, || http.ask())?;
    let ping_http = per_call(n, || http.ping())?;
    drop(server);
    let ratio = |d: Duration| d.as_secs_f64() / library.as_secs_f64();
    for (name, d, ping) in [
        ("stdio", over_stdio, ping_stdio),
        ("HTTP", over_http, ping_http),
    ] {
        report.target(
            overhead_target(name),
            ratio(d) <= OVERHEAD_TARGET,
            format!(
                "{:.2}x ({} against {}; a ping's round trip over {name} alone: {})",
                ratio(d),
                ms(d),
                ms(library),
                ms(ping)
            ),
        );
    }
    report.table(Table {
        title: format!("MCP: one ask tool call against the library's ask_and_wait ({n} sequential calls each)"),
        command: "cargo xtask bench (connecty-bench, mcp)".into(),
        notes: vec![format!(
            "Question `{QUESTION}` (41 rows, every part included) on the emulator (`Schedule::IMMEDIATE`), \
             polls every 5 ms rising to 100 ms on both sides. The MCP server is connecty-mcp in a child \
             process over a connecty-hyper client; this process is its client (JSON-RPC lines on the \
             child's stdin/stdout, or Streamable HTTP POSTs with ureq on one session). The call's time \
             includes the server's JSON-RPC, the type ladder, the budget and the text block. A `ping` \
             (a request with no tool behind it) measures the protocol's round trip between the two \
             processes, the floor under any tool call."
        )],
        header: ["path", "per call", "against the library"].map(String::from).to_vec(),
        rows: vec![
            vec!["library ask_and_wait (in process)".into(), ms(library), "1.00x".into()],
            vec!["MCP ask over stdio".into(), ms(over_stdio), format!("{:.2}x", ratio(over_stdio))],
            vec!["MCP ask over Streamable HTTP".into(), ms(over_http), format!("{:.2}x", ratio(over_http))],
            vec!["MCP ping over stdio (no tool)".into(), ms(ping_stdio), format!("{:.2}x", ratio(ping_stdio))],
            vec!["MCP ping over Streamable HTTP (no tool)".into(), ms(ping_http), format!("{:.2}x", ratio(ping_http))],
        ],
    });
    drop(emu);

    // 100 concurrent asks over one session: a fresh emulator and server.
    emu = EmuProc::start(0)?;
    let before = emu.stats()?;
    let mut server = ServerProc::start("http", &emu)?;
    let http = Arc::new(HttpClient::start(&mut server)?);
    let start = Instant::now();
    let failures = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (http, failures) = (Arc::clone(&http), Arc::clone(&failures));
            std::thread::spawn(move || {
                if http.ask().is_err() {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let wall = start.elapsed();
    let after = emu.stats()?.since(before);
    let failed = failures.load(Ordering::SeqCst);
    report.target(
        concurrent_target(),
        after.token_requests == 1 && failed == 0,
        format!(
            "{} token exchange(s), {failed} failures, {} in {}",
            after.token_requests,
            CONCURRENT,
            ms(wall)
        ),
    );
    drop(server);
    drop(emu);

    // The soak: 2 s tokens, SOAK_THREADS at a time.
    let calls = soak_calls(quick);
    let mut emu = EmuProc::start_with(0, Some(Duration::from_secs(2)))?;
    let before = emu.stats()?;
    let mut server = ServerProc::start("http", &emu)?;
    let http = Arc::new(HttpClient::start(&mut server)?);
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let warm = calls / 10;
    let start = Instant::now();
    let threads: Vec<_> = (0..SOAK_THREADS)
        .map(|_| {
            let (http, done, failures, first_error) = (
                Arc::clone(&http),
                Arc::clone(&done),
                Arc::clone(&failures),
                Arc::clone(&first_error),
            );
            std::thread::spawn(move || {
                loop {
                    let k = done.fetch_add(1, Ordering::SeqCst);
                    if k >= calls {
                        break;
                    }
                    // Call k starts no earlier than its share of the span.
                    let due = SOAK_SPAN.mul_f64(k as f64 / calls as f64);
                    if let Some(wait) = due.checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    if let Err(e) = http.ask() {
                        failures.fetch_add(1, Ordering::SeqCst);
                        let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
                        first.get_or_insert(e);
                    }
                }
            })
        })
        .collect();
    let mut rss_warm = None;
    let mut rss_max = 0;
    while threads.iter().any(|t| !t.is_finished()) {
        std::thread::sleep(Duration::from_millis(50));
        let rss = server.rss_kib()?;
        rss_max = rss_max.max(rss);
        if rss_warm.is_none() && done.load(Ordering::SeqCst) >= warm {
            rss_warm = Some(rss);
        }
    }
    for t in threads {
        let _ = t.join();
    }
    let wall = start.elapsed();
    let rss_end = server.rss_kib()?;
    let rss_warm = rss_warm.unwrap_or(rss_end);
    let stats = emu.stats()?.since(before);
    let failed = failures.load(Ordering::SeqCst);
    let growth = (rss_end as f64 - rss_warm as f64) / rss_warm as f64 * 100.0;
    report.target(
        soak_target(calls),
        failed == 0 && growth < 10.0,
        format!(
            "{failed} failures; RSS {rss_warm} KiB after {warm} calls, {rss_end} KiB at the end ({growth:+.1}%)"
        ),
    );
    let mut notes = vec![format!(
        "{calls} ask calls ({QUESTION}) over one Streamable HTTP session, {SOAK_THREADS} at a time, against \
         an emulator whose access tokens live 2 s, call k starting no earlier than k/{calls} of {} s into the run \
         (unpaced, the calls would end before the first token does); the server is connecty-mcp in a child \
         process. RSS is the server process's VmRSS, read every 50 ms; warm-up is the first {warm} calls.",
        SOAK_SPAN.as_secs()
    )];
    if let Some(e) = first_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
        notes.push(format!("First failure: {e}"));
    }
    report.table(Table {
        title: format!("MCP soak: {calls} calls over HTTP with 2 s tokens"),
        command: "cargo xtask bench (connecty-bench, mcp)".into(),
        notes,
        header: [
            "calls",
            "failures",
            "wall",
            "token exchanges",
            "RSS after warm-up",
            "RSS peak",
            "RSS at the end",
            "growth",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![vec![
            calls.to_string(),
            failed.to_string(),
            format!("{:.1} s", wall.as_secs_f64()),
            stats.token_requests.to_string(),
            format!("{rss_warm} KiB"),
            format!("{rss_max} KiB"),
            format!("{rss_end} KiB"),
            format!("{growth:+.1}%"),
        ]],
    });
    Ok(())
}
