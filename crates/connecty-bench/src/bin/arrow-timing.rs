//! Times the Arrow section's workloads with the system allocator, in a
//! process of its own (the bench binary's counting allocator would add its
//! bookkeeping to every allocation). The bench starts it and reads its
//! output; see `src/arrow.rs`.
//!
//! `arrow-timing convert|parquet|whole ROWS ITERATIONS RUNS` prints one
//! line per run: `<connecty ns> <baseline ns> <connecty on one thread ns>`,
//! each the median of ITERATIONS calls, the three taking turns call by call
//! (connecty with its default threads, the single-threaded baseline, then
//! connecty held to one thread; the order rotates). `whole` is the path
//! from a results body to a Parquet file, connecty on exactly 2 threads
//! against arrow-json plus `ArrowWriter`. `split` (a diagnostic)
//! prints connecty's parse and conversion times instead (the third figure
//! is the conversion on one thread).

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
        return Err("usage: arrow-timing convert|parquet|whole|split ROWS ITERATIONS RUNS".into());
    };
    let parse = |s: &String| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
    let (rows, iterations, runs) = (parse(rows)?, parse(iterations)?, parse(runs)?);
    let inputs = arrow_work::Inputs::new(rows)?;
    let df = arrow_work::frame(inputs.body.clone())?;
    let auto = connecty_arrow::Options::new();
    let one = connecty_arrow::Options::new().threads(std::num::NonZeroUsize::MIN);
    let two = connecty_arrow::Options::new().threads(std::num::NonZeroUsize::MIN.saturating_add(1));
    let prebuilt = arrow_work::connecty(inputs.body.clone(), &one)?;
    // One warm-up call of each side, then RUNS runs of ITERATIONS pairs.
    for run in 0..=runs {
        let mut times: [Vec<Duration>; 3] = Default::default();
        for i in 0..iterations.max(1) {
            for k in 0..3 {
                let side = (i + k) % 3;
                let d = match (what.as_str(), side) {
                    ("convert", 0) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::connecty(body, &auto))?
                    }
                    ("convert", 1) => {
                        let text = inputs.rows_text.clone();
                        timed(|| inputs.arrow_json(text))?
                    }
                    ("convert", _) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::connecty(body, &one))?
                    }
                    // Diagnostic: connecty's two halves, parse then convert.
                    ("split", 0) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::frame(body))?
                    }
                    ("split", 1) => timed(|| arrow_work::convert(&df, &auto))?,
                    ("split", _) => timed(|| arrow_work::convert(&df, &one))?,
                    ("parquet", 0) => timed(|| arrow_work::connecty_parquet(&df, &auto))?,
                    ("parquet", 1) => timed(|| arrow_work::arrow_writer(&prebuilt))?,
                    ("parquet", _) => timed(|| arrow_work::connecty_parquet(&df, &one))?,
                    ("whole", 0) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::connecty_whole(body, &two))?
                    }
                    ("whole", 1) => {
                        let text = inputs.rows_text.clone();
                        timed(|| inputs.arrow_json_parquet(text))?
                    }
                    ("whole", _) => {
                        let body = inputs.body.clone();
                        timed(|| arrow_work::connecty_whole(body, &one))?
                    }
                    _ => return Err(format!("unknown workload {what:?}")),
                };
                times[side].push(d);
            }
            if run == 0 {
                break;
            }
        }
        if run == 0 {
            continue;
        }
        let [a, b, c] = times.map(|mut t| {
            t.sort();
            t[t.len() / 2].as_nanos()
        });
        println!("{a} {b} {c}");
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
