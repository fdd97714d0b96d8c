//! connecty's benchmarks. Every figure is a ratio against a baseline
//! measured in the same run, because shared machines are noisy.
//!
//! `cargo xtask bench [--quick]` builds this in release mode and writes
//! docs/benchmarks.md.

use std::time::{Duration, Instant};

use peak_alloc::PeakAlloc;

mod data;
mod parse;
mod polling;
mod report;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Median wall time of `runs` calls of `f` after one warm-up call.
/// `setup` builds each call's input outside the timing.
pub fn median<I, O>(
    runs: usize,
    mut setup: impl FnMut() -> I,
    mut f: impl FnMut(I) -> O,
) -> Duration {
    drop(f(setup()));
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            let out = f(input);
            let d = t.elapsed();
            drop(out);
            d
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Bytes allocated and still live, and the peak since the last reset.
pub fn heap() -> (usize, usize) {
    (ALLOC.current_usage(), ALLOC.peak_usage())
}

/// Resets the peak to the current usage.
pub fn reset_peak() {
    ALLOC.reset_peak_usage();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let mut report = report::Report::new(quick);
    parse::run(&mut report, quick);
    polling::run(&mut report);
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
