//! MCP: what `connecty mcp` adds to a question, and whether it holds up.
//!
//! The MCP server runs in a child process (`--serve-mcp stdio|http ...`,
//! [`child::serve`]: connecty-mcp's `ConnectyMcp` over a connecty-hyper
//! client, as `connecty mcp` builds it, with the bench's fast poll
//! schedule), so its memory is its own. The bench is the MCP client:
//! newline-delimited JSON-RPC on the child's stdin/stdout, or Streamable
//! HTTP POSTs with ureq. The baseline is the library's own `ask_and_wait`
//! with the same client settings, against the same emulator.
//!
//! - overhead: sequential `ask` tool calls, stdio and HTTP, against
//!   sequential `ask_and_wait` (target at most 1.2x). Timed by
//!   `mcp-timing` (src/bin/mcp-timing.rs), whose processes all run on the
//!   system allocator;
//! - 100 concurrent `ask` calls over one HTTP session make 1 token exchange;
//! - the soak: 5,000 `ask` calls over HTTP (2 at a time) with 2 s access
//!   tokens: failures, and the server's resident memory after warm-up and
//!   at the end (target: 0 failures, growth under 10%).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub mod child;
// Shared with src/bin/mcp-timing.rs, which also uses the stdio client and
// ping; this binary drives the HTTP client only (concurrency, soak).
#[allow(dead_code)]
mod clients;

use child::QUESTION;
use clients::{HttpClient, ServerProc};

use crate::emu::EmuProc;
use crate::report::{Report, Table, spread};

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

/// Per-run means from `mcp-timing CALLS RUNS`, in seconds: library, ask
/// over stdio, ask over HTTP, ping over stdio, ping over HTTP.
fn timings(calls: usize, runs: usize) -> Result<Vec<[f64; 5]>, String> {
    let bin = crate::timing::binary("mcp-timing")?;
    let out = Command::new(bin)
        .args([calls.to_string(), runs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running mcp-timing: {e}"))?;
    if !out.status.success() {
        return Err("mcp-timing failed".into());
    }
    let rows: Vec<[f64; 5]> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split(' ').filter_map(|x| x.parse().ok()).collect();
            <[f64; 5]>::try_from(v.iter().map(|ns| ns / 1e9).collect::<Vec<_>>())
                .map_err(|_| format!("mcp-timing printed {l:?}"))
        })
        .collect::<Result<_, _>>()?;
    if rows.is_empty() {
        return Err("mcp-timing printed no run".into());
    }
    Ok(rows)
}

fn ms(d: f64) -> String {
    format!("{:.3} ms", d * 1000.0)
}

/// Runs the MCP measurements.
pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let (calls, runs) = if quick { (50, 3) } else { (200, 7) };
    let rows = timings(calls, runs)?;
    let column = |i: usize| spread(rows.iter().map(|r| r[i]).collect()).0;
    let library = column(0);
    // Each run's own ratio, then their median and range: the sides of a
    // ratio were measured minutes apart at most.
    let ratios = |i: usize| spread(rows.iter().map(|r| r[i] / r[0]).collect());
    // (library + a bare round trip) / library: the least a tool call can
    // cost when column `i` is the transport's ping.
    let floor = |i: usize| spread(rows.iter().map(|r| (r[0] + r[i]) / r[0]).collect()).0;
    let sides = [("stdio", 1, 3), ("HTTP", 2, 4)];
    for (name, call, ping) in sides {
        let (r, lo, hi) = ratios(call);
        let least = floor(ping);
        report.target(
            overhead_target(name),
            r <= OVERHEAD_TARGET,
            format!(
                "{r:.2}x, runs {lo:.2}–{hi:.2}x ({} against {}; a ping's round trip over {name} alone: {}, so \
                 no tool call can be under {least:.2}x)",
                ms(column(call)),
                ms(library),
                ms(column(ping)),
            ),
        );
    }
    let row = |label: &str, i: usize| {
        let (against, runs) = if i == 0 {
            ("1.00x".to_string(), "(the baseline)".to_string())
        } else {
            let (r, lo, hi) = ratios(i);
            (format!("{r:.2}x"), format!("{lo:.2}–{hi:.2}x"))
        };
        vec![label.to_string(), ms(column(i)), against, runs]
    };
    report.table(Table {
        title: format!(
            "MCP: one ask tool call against the library's ask_and_wait ({runs} runs of {calls} sequential calls each)"
        ),
        command: "cargo xtask bench (connecty-bench, mcp; timings from target/release/mcp-timing)".into(),
        notes: vec![format!(
            "Question `{QUESTION}` (41 rows, every part included) on the emulator (`Schedule::IMMEDIATE`), \
             polls every 5 ms rising to 100 ms on both sides. The MCP server is connecty-mcp in a child \
             process over the same connecty-hyper client settings as the library's; the timing process is \
             its client (JSON-RPC lines on the child's stdin/stdout, or Streamable HTTP POSTs with ureq on \
             one session) and parses every response. Every process here (client, server, emulator) runs on \
             the system allocator: `mcp-timing` (src/bin/mcp-timing.rs) starts itself as each of them. The \
             five rows take turns in blocks of {calls} calls, the order rotating from run to run; the figure \
             is the median of the runs' means, the ratio the median of the runs' own ratios. A tool call's \
             time includes the server's JSON-RPC, the type ladder, the budget and the text block. A `ping` \
             (a request with no tool behind it) measures the protocol's round trip between the two \
             processes, the floor under any tool call: library + ping is the least a call can cost."
        )],
        header: ["path", "per call (median)", "against the library", "runs"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            row("library ask_and_wait (in process)", 0),
            row("MCP ask over stdio", 1),
            row("MCP ask over Streamable HTTP", 2),
            row("MCP ping over stdio (no tool)", 3),
            row("MCP ping over Streamable HTTP (no tool)", 4),
        ],
    });

    // 100 concurrent asks over one session: a fresh emulator and server.
    let mut emu = EmuProc::start(0)?;
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
            ms(wall.as_secs_f64())
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
