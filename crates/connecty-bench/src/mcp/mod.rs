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

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connecty_mcp::{BearerToken, ConnectyMcp, HttpOptions, HttpServer, ServerConfig};
use connecty_proto::{IncludeSet, PollSchedule, WaitOptions};
use serde_json::json;

mod clients;

use clients::{DW, HttpClient, ServerProc, StdioClient, TOKEN, ask_params, completed};

use crate::emu::EmuProc;
use crate::report::{Report, Table};
use crate::transport::{QUESTION, hyper_builder};

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
