//! Concurrency: many `ask_and_wait` at once through one hyper client,
//! against raw hyper making the same requests at the same concurrency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connecty_proto::{PollSchedule, WaitOptions};
use http::HeaderValue;
use serde::Deserialize;

use crate::emu::{EmuProc, Stats};
use crate::raw::{self, RawHyper};
use crate::report::{Report, Table};
use crate::transport::{QUESTION, hyper_builder};
use crate::{heap, reset_peak};

const DW: u64 = 13;
const ROWS: usize = 41;

/// Both sides poll on this schedule: the emulator answers at once
/// (`Schedule::IMMEDIATE`), so the default 250 ms first poll would make the
/// run a measure of sleeping.
const POLL: PollSchedule = PollSchedule {
    first: Duration::from_millis(5),
    factor: 1.5,
    cap: Duration::from_millis(100),
    max_fraction: 0.25,
};

/// The target's name (also used when it cannot be measured).
pub fn target_name(n: usize) -> String {
    format!(
        "concurrency: {n} concurrent ask_and_wait through one hyper client make exactly one token exchange"
    )
}

struct RunResult {
    wall: Duration,
    ok: usize,
    first_error: Option<String>,
    stats: Stats,
    peak_heap: usize,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

fn connecty_run(n: usize) -> Result<(RunResult, u64), String> {
    let mut emu = EmuProc::start(0)?;
    let rt = runtime()?;
    let client = hyper_builder(&emu)?
        .poll(POLL)
        .build()
        .map_err(|e| e.to_string())?;
    let before = emu.stats()?;
    let (base, _) = heap();
    reset_peak();
    let t = Instant::now();
    let outcomes = rt.block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    let answer = client
                        .ask_and_wait(DW, QUESTION, &WaitOptions::new())
                        .await
                        .map_err(|e| e.to_string())?;
                    let rows = answer.results.dataframe.as_ref().map_or(0, |d| d.len());
                    if rows == ROWS {
                        Ok(())
                    } else {
                        Err(format!("{rows} rows, not {ROWS}"))
                    }
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.push(t.await.map_err(|e| e.to_string()).and_then(|r| r));
        }
        out
    });
    let wall = t.elapsed();
    let peak_heap = heap().1.saturating_sub(base);
    let stats = emu.stats()?.since(before);
    let exchanges = client.token_exchanges();
    Ok((summarize(wall, outcomes, stats, peak_heap), exchanges))
}

#[derive(Deserialize)]
struct StateOnly {
    state: String,
}

#[derive(Deserialize)]
struct Asked {
    question_id: String,
}

/// One raw ask-and-wait: POST the question, then GET its results on
/// [`POLL`] until `COMPLETED`.
async fn raw_ask_and_wait(
    client: RawHyper,
    base_url: Arc<str>,
    bearer: HeaderValue,
) -> Result<(), String> {
    let started = Instant::now();
    let body = serde_json::to_vec(&serde_json::json!({ "question": QUESTION }))
        .map_err(|e| e.to_string())?;
    let req = raw::post_json(
        &format!("{base_url}/v1/dw/{DW}/questions"),
        Some(&bearer),
        body,
    )?;
    let asked: Asked = serde_json::from_slice(&raw::send(&client, req).await?)
        .map_err(|e| format!("bad ask body: {e}"))?;
    let url = format!(
        "{base_url}/v1/dw/{DW}/questions/{}/results?include=dataframe",
        asked.question_id
    );
    for n in 0u32.. {
        tokio::time::sleep(POLL.delay_after(n, started.elapsed())).await;
        let body = raw::send(&client, raw::get(&url, &bearer)?).await?;
        let s: StateOnly =
            serde_json::from_slice(&body).map_err(|e| format!("bad results body: {e}"))?;
        match s.state.as_str() {
            "COMPLETED" => return Ok(()),
            "FAILED" => return Err("question failed".into()),
            _ => {}
        }
    }
    Ok(())
}

fn raw_run(n: usize) -> Result<RunResult, String> {
    let mut emu = EmuProc::start(0)?;
    let rt = runtime()?;
    let client = raw::hyper_client();
    let base_url: Arc<str> = Arc::from(emu.base_url.as_str());
    let bearer = rt.block_on(raw::token(
        &client,
        &emu.base_url,
        &emu.client_id,
        &emu.client_secret,
    ))?;
    let before = emu.stats()?;
    let (base, _) = heap();
    reset_peak();
    let t = Instant::now();
    let outcomes = rt.block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                tokio::spawn(raw_ask_and_wait(
                    client.clone(),
                    Arc::clone(&base_url),
                    bearer.clone(),
                ))
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.push(t.await.map_err(|e| e.to_string()).and_then(|r| r));
        }
        out
    });
    let wall = t.elapsed();
    let peak_heap = heap().1.saturating_sub(base);
    let stats = emu.stats()?.since(before);
    Ok(summarize(wall, outcomes, stats, peak_heap))
}

fn summarize(
    wall: Duration,
    outcomes: Vec<Result<(), String>>,
    stats: Stats,
    peak_heap: usize,
) -> RunResult {
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    let first_error = outcomes.into_iter().find_map(Result::err);
    RunResult {
        wall,
        ok,
        first_error,
        stats,
        peak_heap,
    }
}

fn rps(r: &RunResult) -> f64 {
    r.stats.requests as f64 / r.wall.as_secs_f64()
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let n: usize = if quick { 200 } else { 1_000 };
    // Each side runs `rounds` times, alternating which goes first; the
    // table shows each side's fastest run (the same rule for both), so a
    // burst of load from elsewhere on the machine does not decide the ratio.
    let rounds = if quick { 1 } else { 3 };
    let mut connecty_runs: Vec<(RunResult, u64)> = Vec::new();
    let mut raw_runs: Vec<RunResult> = Vec::new();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for is_connecty in order {
            if is_connecty {
                connecty_runs.push(connecty_run(n)?);
            } else {
                raw_runs.push(raw_run(n)?);
            }
        }
    }
    let walls = |v: &mut dyn Iterator<Item = Duration>| {
        v.map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let c_walls = walls(&mut connecty_runs.iter().map(|r| r.0.wall));
    let r_walls = walls(&mut raw_runs.iter().map(|r| r.wall));
    // Exactly one exchange in every connecty run, by both counts.
    let all_one = connecty_runs
        .iter()
        .all(|(r, x)| *x == 1 && r.stats.token_requests == 1 && r.ok == n);
    let exchanges_seen = connecty_runs
        .iter()
        .map(|(r, x)| format!("{x}/{}", r.stats.token_requests))
        .collect::<Vec<_>>()
        .join(", ");
    let (Some((c, exchanges)), Some(r)) = (
        connecty_runs.into_iter().min_by_key(|r| r.0.wall),
        raw_runs.into_iter().min_by_key(|r| r.wall),
    ) else {
        return Err("no run completed".into());
    };
    report.target(
        target_name(n),
        all_one,
        format!(
            "token exchanges (client / emulator) per run: {exchanges_seen}; {} of {n} answers in the fastest run",
            c.ok
        ),
    );
    let throughput = rps(&c) / rps(&r);
    let answers = |x: &RunResult| x.ok as f64 / x.wall.as_secs_f64();
    let row = |name: &str, x: &RunResult, tok: String, ratio: String, mem: String| {
        vec![
            name.to_string(),
            format!("{} / {n}", x.ok),
            tok,
            format!("{}", x.stats.connections),
            format!("{}", x.stats.requests),
            format!("{:.0} ms", x.wall.as_secs_f64() * 1e3),
            format!("{:.0}", rps(x)),
            format!("{:.0}", answers(x)),
            ratio,
            mib(x.peak_heap),
            mem,
        ]
    };
    let rows = vec![
        row(
            "connecty-hyper `ask_and_wait`, one client",
            &c,
            format!(
                "{exchanges} (client) / {} (emulator)",
                c.stats.token_requests
            ),
            format!("**{throughput:.2}x**"),
            format!("{:.2}x", c.peak_heap as f64 / r.peak_heap.max(1) as f64),
        ),
        row(
            "raw hyper: POST + GET results, one pooled client",
            &r,
            "1 (fetched before the run, not counted)".into(),
            "(baseline)".into(),
            "(baseline)".into(),
        ),
    ];
    let mut notes = vec![
        format!(
            "{n} tasks spawned at once on one multi-thread tokio runtime (2 workers), all sharing one client, against a fresh emulator (`Schedule::IMMEDIATE`, a separate process, so the heap figures are the client's alone) for each run. The question is `{QUESTION}` ({ROWS} rows). connecty: `ask_and_wait` with default options. Raw hyper: the same requests with connecty's headers and a token fetched before the run: `POST /v1/dw/13/questions`, then `GET .../results?include=dataframe` until `COMPLETED`, reading only the `state` field."
        ),
        format!(
            "Both poll on the same schedule: first poll {} ms after the ask, x{} per poll, capped at {} ms (connecty through `ClientBuilder::poll`); the default 250 ms first poll would make both runs mostly sleep. Requests, connections and token requests are the emulator's counts for the run (the connecty count includes its one token request). Throughput is requests over wall time; the ratio is connecty's over raw's (higher is better). Peak heap is the counting allocator's peak above the heap before the run. Over HTTP/1.1 a pooled connection carries one request at a time, so with this many requests in flight both clients open hundreds of connections; connection set-up is therefore a large part of both runs. {}",
            POLL.first.as_millis(),
            POLL.factor,
            POLL.cap.as_millis(),
            if rounds > 1 {
                format!(
                    "Each side ran {rounds} times in alternating order (wall times: connecty {c_walls} ms; raw {r_walls} ms); the table shows each side's fastest run."
                )
            } else {
                "Each side ran once (quick mode).".to_string()
            }
        ),
    ];
    for (name, x) in [("connecty", &c), ("raw", &r)] {
        if let Some(e) = &x.first_error {
            notes.push(format!(
                "{name}: {} of {n} calls failed; the first error: {e}",
                n - x.ok
            ));
        }
    }
    report.table(Table {
        title: format!("Concurrency: {n} concurrent ask_and_wait through one hyper client"),
        command: "cargo xtask bench (connecty-bench, concurrency)".into(),
        notes,
        header: [
            "client",
            "answers",
            "token exchanges",
            "connections opened",
            "requests",
            "wall",
            "requests/s",
            "answers/s",
            "throughput vs raw",
            "peak heap",
            "peak heap vs raw",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    });
    Ok(())
}
