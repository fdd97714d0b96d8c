//! Times the Arrow section's workloads with the system allocator, in a
//! process of its own (the bench binary's counting allocator would add its
//! bookkeeping to every allocation). The bench starts it and reads its
//! output; see `src/arrow.rs`.
//!
//! `arrow-timing convert|parquet ROWS ITERATIONS RUNS` prints one line per
//! run: `<connecty ns> <baseline ns>`, each the median of ITERATIONS calls,
//! the two sides taking turns call by call. `split` (a diagnostic) prints
//! connecty's parse and conversion times instead.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "../arrow_work.rs"]
#[allow(dead_code, missing_docs)]
mod arrow_work;
#[path = "../data.rs"]
#[allow(dead_code, missing_docs)]
mod data;

fn timed<O>(f: impl FnOnce() -> Result<O, String>) -> Result<Duration, String> {
    let t = Instant::now();
    let out = f()?;
    let d = t.elapsed();
    drop(out);
    Ok(d)
}

fn run(args: &[String]) -> Result<(), String> {
    let [what, rows, iterations, runs] = args else {
        return Err("usage: arrow-timing convert|parquet ROWS ITERATIONS RUNS".into());
    };
    let parse = |s: &String| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
    let (rows, iterations, runs) = (parse(rows)?, parse(iterations)?, parse(runs)?);
    let inputs = arrow_work::Inputs::new(rows)?;
    let df = arrow_work::frame(inputs.body.clone())?;
    let prebuilt = arrow_work::connecty(inputs.body.clone())?;
    // One warm-up call of each side, then RUNS runs of ITERATIONS pairs.
    for run in 0..=runs {
        let mut ours = Vec::with_capacity(iterations);
        let mut base = Vec::with_capacity(iterations);
        for i in 0..iterations.max(1) {
            for side in [i % 2, 1 - i % 2] {
                let d = match (what.as_str(), side) {
                    ("convert", 0) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::connecty(body))?
                    }
                    ("convert", _) => {
                        let text = inputs.rows_text.clone();
                        timed(|| inputs.arrow_json(text))?
                    }
                    // Diagnostic: connecty's two halves, parse then convert.
                    ("split", 0) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::frame(body))?
                    }
                    ("split", _) => timed(|| {
                        connecty_arrow::to_record_batch(&df, None).map_err(|e| e.to_string())
                    })?,
                    ("parquet", 0) => timed(|| arrow_work::connecty_parquet(&df))?,
                    ("parquet", _) => timed(|| arrow_work::arrow_writer(&prebuilt))?,
                    _ => return Err(format!("unknown workload {what:?}")),
                };
                if side == 0 { &mut ours } else { &mut base }.push(d);
            }
            if run == 0 {
                break;
            }
        }
        if run == 0 {
            continue;
        }
        ours.sort();
        base.sort();
        println!(
            "{} {}",
            ours[ours.len() / 2].as_nanos(),
            base[base.len() / 2].as_nanos()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("arrow-timing: {e}");
            ExitCode::FAILURE
        }
    }
}
