//! Times the MCP section's overhead rows with the system allocator, in
//! processes of their own: this binary is the client and the library
//! baseline, and it starts itself again as the emulator
//! (`--serve-emulator`) and as the MCP server (`--serve-mcp`). The bench
//! binary's counting allocator would add its bookkeeping to every
//! allocation, and a tool call allocates far more than `ask_and_wait`
//! (it took 10% of the server's samples in `perf`). The bench starts it
//! and reads its output; see `src/mcp/mod.rs`.
//!
//! `mcp-timing CALLS RUNS` prints one line per run, each a mean over
//! CALLS sequential calls in nanoseconds: `<library ask_and_wait> <ask over
//! stdio> <ask over HTTP> <ping over stdio> <ping over HTTP>`. Within a run
//! the five take turns in blocks, the order rotating from run to run, after
//! one unreported warm-up run.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "../mcp/child.rs"]
#[allow(dead_code)]
mod child;
#[path = "../mcp/clients.rs"]
#[allow(dead_code)]
mod clients;
#[path = "../emu.rs"]
#[allow(dead_code)]
mod emu;

use connecty_proto::{IncludeSet, WaitOptions};
use serde_json::json;

/// The mean time of `n` calls of `f`.
fn per_call(n: usize, mut f: impl FnMut() -> Result<(), String>) -> Result<Duration, String> {
    let start = Instant::now();
    for _ in 0..n {
        f()?;
    }
    Ok(start.elapsed() / n.max(1) as u32)
}

fn run(args: &[String]) -> Result<(), String> {
    let [calls, runs] = args else {
        return Err("usage: mcp-timing CALLS RUNS".into());
    };
    let parse = |s: &String| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
    let (calls, runs) = (parse(calls)?.max(1), parse(runs)?);
    let emu = emu::EmuProc::start(0)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let client = {
        let _guard = rt.enter();
        child::client(&emu.base_url, &emu.client_id, &emu.client_secret)?
    };
    // All four parts, as the `ask` tool includes by default.
    let options = WaitOptions::new().include(IncludeSet::ALL);
    let mut stdio = clients::StdioClient::start(&emu)?;
    let mut server = clients::ServerProc::start("http", &emu)?;
    let http = clients::HttpClient::start(&mut server)?;
    for run in 0..=runs {
        let mut times = [Duration::ZERO; 5];
        for k in 0..5 {
            let side = (run + k) % 5;
            times[side] = match side {
                0 => per_call(calls, || {
                    rt.block_on(client.ask_and_wait(child::DW, child::QUESTION, &options))
                        .map(drop)
                        .map_err(|e| e.to_string())
                })?,
                1 => per_call(calls, || {
                    clients::completed(&stdio.request("tools/call", clients::ask_params())?)
                })?,
                2 => per_call(calls, || http.ask())?,
                3 => per_call(calls, || stdio.request("ping", json!({})).map(drop))?,
                _ => per_call(calls, || http.ping())?,
            };
        }
        if run > 0 {
            let ns: Vec<String> = times.iter().map(|t| t.as_nanos().to_string()).collect();
            println!("{}", ns.join(" "));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("--serve-emulator") => emu::serve(&args[1..]),
        Some("--serve-mcp") => child::serve(&args[1..]),
        _ => match run(&args) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("mcp-timing: {e}");
                1
            }
        },
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
