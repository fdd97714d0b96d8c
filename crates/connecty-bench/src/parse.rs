//! Parse: connecty-proto's results parser against serde_json, sonic-rs and
//! simd-json.
//!
//! The measuring is done by two `benches/` targets (harness = false), so
//! that the baselines are dev-dependencies that never reach this binary,
//! and so that timings and heap figures come from different processes:
//!
//! - `benches/parse.rs` times every parser in one process with the system
//!   allocator, interleaved, in rounds;
//! - `benches/parse_heap.rs` runs each parser once more under the counting
//!   allocator (`peak_alloc`) for the heap figures.
//!
//! This section runs both through `cargo bench` (in the `bench` profile,
//! like this binary) and renders their figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::data::{ParseSize, ParseTiming, parse_sizes};
use crate::report::{Report, Table};

/// The parser every ratio compares connecty with, for the targets.
const SONIC_VALUE: &str = "sonic-rs `Value`";
const SERDE_VALUE: &str = "serde_json `Value`";
const CONNECTY: &str = "connecty `parse_results_body`";

/// Runs `cargo bench -p connecty-bench --bench NAME -- --json FILE` and
/// reads what it wrote.
fn run_bench(name: &str, quick: bool, dir: &Path) -> Result<Vec<ParseSize>, String> {
    let cargo = std::env::var_os("CARGO").ok_or(
        "not run through cargo: the parse section runs `cargo bench -p connecty-bench --bench parse` (use `cargo xtask bench`)",
    )?;
    let out = dir.join(format!("{name}.json"));
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace)
        .args(["bench", "--quiet", "-p", "connecty-bench", "--bench", name])
        .arg("--")
        .arg("--json")
        .arg(&out);
    if quick {
        cmd.arg("--quick");
    }
    eprintln!("running {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("running cargo bench: {e}"))?;
    if !status.success() {
        return Err(format!("`cargo bench --bench {name}` failed ({status})"));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", out.display()))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// connecty's throughput over `other`'s, round by round: (median, min, max).
fn ratios(connecty: &ParseTiming, other: &ParseTiming) -> (f64, f64, f64) {
    let r: Vec<f64> = connecty
        .rounds_mb_s
        .iter()
        .zip(&other.rounds_mb_s)
        .map(|(c, o)| c / o)
        .collect();
    let min = r.iter().copied().fold(f64::INFINITY, f64::min);
    let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(&r), min, max)
}

fn find<'a>(size: &'a ParseSize, parser: &str) -> Result<&'a ParseTiming, String> {
    size.timings
        .iter()
        .find(|t| t.parser == parser)
        .ok_or_else(|| format!("no timing for {parser} at {} rows", size.rows))
}

/// A directory under the target directory for the benches' figures.
fn figures_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("the bench binary has no directory")?
        .join("connecty-bench-figures");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let dir = figures_dir()?;
    let timings = run_bench("parse", quick, &dir)?;
    let heaps = run_bench("parse_heap", quick, &dir)?;
    let mut speed_rows = Vec::new();
    let mut heap_rows = Vec::new();
    for size in &timings {
        let n = size.rows;
        let mb = format!("{:.1} MB", size.bytes as f64 / 1e6);
        let c = find(size, CONNECTY)?;
        for t in &size.timings {
            let (med, min, max) = ratios(c, t);
            let each = t
                .rounds_mb_s
                .iter()
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(", ");
            let ratio = if t.parser == CONNECTY {
                "(baseline)".to_string()
            } else {
                format!("**{med:.2}x** ({min:.2}–{max:.2})")
            };
            speed_rows.push(vec![
                format!("{n}"),
                mb.clone(),
                t.parser.clone(),
                format!("{:.0}", median(&t.rounds_mb_s)),
                each,
                ratio,
            ]);
        }
        if n >= 200_000 {
            let label = if n == 1_000_000 {
                "1,000,000".to_string()
            } else {
                n.to_string()
            };
            for (other, want) in [(SONIC_VALUE, 1.0), (SERDE_VALUE, 1.5)] {
                let (med, min, max) = ratios(c, find(size, other)?);
                report.target(
                    format!("parse {label} rows: throughput >= {want:.1}x {other} (same run)"),
                    med >= want,
                    format!("{med:.2}x (rounds {min:.2}–{max:.2})"),
                );
            }
        }
    }
    for size in &heaps {
        let n = size.rows;
        let len = size.bytes as f64;
        for h in &size.heap {
            heap_rows.push(vec![
                format!("{n}"),
                format!("{:.1} MB", len / 1e6),
                h.parser.clone(),
                format!("{:.2}x", h.retained as f64 / len),
                format!("{:.2}x", h.peak as f64 / len),
                if h.includes_body { "yes" } else { "no" }.to_string(),
            ]);
            if h.parser == CONNECTY && n >= 200_000 {
                let (ret, peak) = (h.retained as f64 / len, h.peak as f64 / len);
                report.target(
                    format!("parse {n} rows: parsed dataframe <= 1.3x body size"),
                    ret <= 1.3,
                    format!("{ret:.2}x"),
                );
                report.target(
                    format!("parse {n} rows: peak heap during the parse <= 1.5x body size"),
                    peak <= 1.5,
                    format!("{peak:.2}x"),
                );
            }
        }
    }
    let rounds = timings
        .first()
        .and_then(|s| s.timings.first())
        .map_or(0, |t| t.rounds_mb_s.len());
    let calls: Vec<String> = parse_sizes(quick)
        .iter()
        .map(|(n, c)| format!("{c} at {n} rows"))
        .collect();
    report.table(Table {
        title: "Parse: results bodies, 6 mixed columns (throughput)".into(),
        command: "cargo xtask bench --only parse (runs `cargo bench -p connecty-bench --bench parse`)".into(),
        notes: vec![
            format!(
                "Every parser in one process (`benches/parse.rs`), with the system allocator, built in the `bench` profile (release, thin LTO, one codegen unit) like every contender. {rounds} rounds; in each, every parser is called {} times, interleaved (call i of every parser, in an order that rotates with i, before call i + 1 of any), after one untimed warm-up call each. Only the parse is timed: copying the body for the parsers that take it (connecty) or parse it in place (simd-json) happens before the timer starts, and dropping the result after it stops.",
                calls.join(", ")
            ),
            "Throughput is the body's size over the median call of a round; the MB/s column is the median of the rounds. The ratio is connecty's throughput over the parser's, taken round by round: the median, and in brackets the lowest and highest round (the run-to-run spread). Above 1 connecty is faster.".into(),
            "What each parser does: connecty checks the whole body (JSON grammar, UTF-8, string escapes, depth), decodes the state and the other fields, and keeps the body with one 4-byte offset per cell. `Value` parsers build a full tree. The lazy, raw and tape forms find and validate values without building them: sonic-rs `LazyValue` keeps each cell's raw text (like connecty), `get_from_slice` only locates the `dataframe` array, and simd-json's tape is its flat index of every value, with its buffers and the tape's vector reused from call to call. The two floors are not parsers: `memchr` reads the body once looking for a byte it does not hold, and `std::str::from_utf8` is the UTF-8 check alone.".into(),
        ],
        header: ["rows", "body", "parser", "MB/s (median)", "each round (MB/s)", "connecty vs it (median, min–max)"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: speed_rows,
    });
    report.table(Table {
        title: "Parse: heap held and peak, relative to the body".into(),
        command: "cargo xtask bench --only parse (runs `cargo bench -p connecty-bench --bench parse_heap`)".into(),
        notes: vec![
            "Measured in a separate process (`benches/parse_heap.rs`) under a counting global allocator (peak_alloc), one call per parser after a warm-up, never timed. Retained is the heap the result still holds after the call; peak is the highest heap during the call; both above the heap before the call and divided by the body's size. connecty takes the body and keeps it (each cell is a 4-byte offset into it), so its figures include the body; the other parsers borrow the body (simd-json parses a copy made before the call), so theirs exclude it.".into(),
        ],
        header: ["rows", "body", "parser", "retained / body", "peak / body", "includes the body"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: heap_rows,
    });
    Ok(())
}
