//! connecty's benchmarks. Every figure is a ratio against a baseline
//! measured in the same run, because shared machines are noisy.
//!
//! `cargo xtask bench [--quick]` builds this in the `bench` profile
//! (release, thin LTO, one codegen unit) and writes docs/benchmarks.md.
//! The parse section's timings run in a process of their own with the
//! system allocator (`benches/parse.rs`); this binary's counting allocator
//! serves the heap figures of the other sections. `--only NAME[,NAME...]` runs some measurements:
//! parse, polling, transport, concurrency, compression, cli, arrow, chart, mcp,
//! python (which `cargo xtask bench` prepares: a release wheel).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::time::Instant;

use peak_alloc::PeakAlloc;

mod arrow;
mod chart;
mod cli;
mod compression;
mod concurrency;
mod data;
mod emu;
mod mcp;
mod parse;
mod polling;
mod python;
mod raw;
mod report;
mod timing;
mod transport;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Bytes allocated and still live, and the peak since the last reset.
pub fn heap() -> (usize, usize) {
    (ALLOC.current_usage(), ALLOC.peak_usage())
}

/// Resets the peak to the current usage.
pub fn reset_peak() {
    ALLOC.reset_peak_usage();
}

/// The measurements, in the order they run; `--only` picks some by name.
const MEASUREMENTS: [&str; 10] = [
    "parse",
    "polling",
    "transport",
    "concurrency",
    "compression",
    "cli",
    "arrow",
    "chart",
    "mcp",
    "python",
];

const USAGE: &str = "usage: connecty-bench [--quick] [--out FILE] [--only NAME[,NAME...]]
names: parse, polling, transport, concurrency, compression, cli, arrow, chart, mcp, python";

/// Runs one measurement; an error or a panic becomes a note in the report.
/// `targets` are the measurement's targets, recorded as not measured when
/// it fails before recording them.
fn guarded(
    report: &mut report::Report,
    name: &str,
    targets: &[String],
    f: impl FnOnce(&mut report::Report) -> Result<(), String>,
) {
    eprintln!("-- {name}");
    let started = Instant::now();
    let recorded = report.target_count();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *report)));
    let why = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(p) => Some(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into()),
        ),
    };
    if let Some(why) = why {
        eprintln!("{name}: could not run: {why}");
        report.not_run(name, &why);
        if report.target_count() == recorded {
            for t in targets {
                report.target_not_measured(
                    t.clone(),
                    format!("not measured: {name} could not run (see its section)"),
                );
            }
        }
    }
    eprintln!("-- {name}: {:.1} s", started.elapsed().as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve-emulator") {
        std::process::exit(emu::serve(&args[1..]));
    }
    if args.first().map(String::as_str) == Some("--serve-mcp") {
        std::process::exit(mcp::child::serve(&args[1..]));
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(|n| n.trim().to_string()).collect());
    if let Some(bad) = only
        .iter()
        .flatten()
        .find(|n| !MEASUREMENTS.contains(&n.as_str()))
    {
        eprintln!("unknown measurement {bad:?}\n{USAGE}");
        std::process::exit(2);
    }
    let wants = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|n| n == name));
    let started = Instant::now();
    let mut report = report::Report::new(quick);
    if wants("parse") {
        guarded(&mut report, "parse", &[], |r| parse::run(r, quick));
    }
    if wants("polling") {
        guarded(&mut report, "polling", &[], |r| {
            polling::run(r);
            Ok(())
        });
    }
    if wants("transport") {
        guarded(&mut report, "transport", &transport::target_names(), |r| {
            transport::run(r, quick)
        });
    }
    if wants("concurrency") {
        let n = if quick { 200 } else { 1_000 };
        guarded(
            &mut report,
            "concurrency",
            &[concurrency::target_name(n)],
            |r| concurrency::run(r, quick),
        );
    }
    if wants("arrow") {
        guarded(&mut report, "arrow", &arrow::target_names(quick), |r| {
            arrow::run(r, quick)
        });
    }
    if wants("chart") {
        guarded(&mut report, "chart", &chart::target_names(), |r| {
            chart::run(r, quick)
        });
    }
    if wants("mcp") {
        guarded(&mut report, "mcp", &mcp::target_names(quick), |r| {
            mcp::run(r, quick)
        });
    }
    if wants("python") {
        guarded(&mut report, "python", &python::target_names(quick), |r| {
            python::run(r, quick)
        });
    }
    // Compression and the CLI share one emulator with a large `events`
    // table (building it takes a moment).
    let want_large = wants("compression") || wants("cli");
    let large_rows: u64 = if quick { 50_000 } else { 200_000 };
    let mut large = if want_large {
        eprintln!("-- starting an emulator with {large_rows} events rows");
        Some(emu::EmuProc::start(large_rows))
    } else {
        None
    };
    if wants("compression") {
        guarded(&mut report, "compression", &[], |r| match &mut large {
            Some(Ok(e)) => compression::run(r, e, large_rows, quick),
            Some(Err(why)) => Err(why.clone()),
            None => Err("no emulator".into()),
        });
    }
    if wants("cli") {
        guarded(
            &mut report,
            "cli",
            &cli::target_names(large_rows),
            |r| match &mut large {
                Some(Ok(e)) => cli::run(r, e, large_rows, quick),
                Some(Err(why)) => Err(why.clone()),
                None => Err("no emulator".into()),
            },
        );
    }
    drop(large);
    eprintln!("total: {:.1} s", started.elapsed().as_secs_f64());
    let text = report.render();
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, &text) {
                eprintln!("could not write {path}: {e}");
                std::process::exit(1);
            }
            eprintln!("wrote {path}");
        }
        None => print!("{text}"),
    }
}
