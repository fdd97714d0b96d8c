//! The Python package: the 200,000-row answer into pandas through
//! `connecty`, against urllib + `json` + `pandas.DataFrame` (+
//! `pd.to_datetime`), end to end as separate processes; and `to_arrow()`
//! of 1,000,000 rows with peak RSS.
//!
//! The work is `crates/connecty-python/bench/to_pandas.py`; this section
//! starts the bench's emulator (`Schedule::IMMEDIATE`, an `events` table
//! as large as the larger answer), runs the script against it with
//! `--json`, and records its figures. `cargo xtask bench` builds the
//! release wheel first and names the interpreter and the wheel's files in
//! `CONNECTY_BENCH_PYTHON` and `CONNECTY_BENCH_PYTHONPATH`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::emu::EmuProc;
use crate::report::{Report, Table};

/// How both tables say they were made.
const COMMAND: &str =
    "cargo xtask bench (connecty-bench, python: crates/connecty-python/bench/to_pandas.py)";
const SPEED_TARGET: f64 = 3.0;
const RSS_TARGET: f64 = 0.6;

fn rows(quick: bool) -> u64 {
    if quick { 50_000 } else { 200_000 }
}

fn arrow_rows(quick: bool) -> u64 {
    if quick { 200_000 } else { 1_000_000 }
}

fn speed_target(quick: bool) -> String {
    format!(
        "python: {} rows into pandas through connecty, end to end, at least {SPEED_TARGET}x faster than urllib + json + pandas",
        rows(quick)
    )
}

fn rss_target(quick: bool) -> String {
    format!(
        "python: {} rows into pandas through connecty at no more than {RSS_TARGET}x the baseline's peak RSS",
        rows(quick)
    )
}

fn arrow_target(quick: bool) -> String {
    format!(
        "python: to_arrow() of {} rows makes no copy (a second call hands out the same buffers)",
        arrow_rows(quick)
    )
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names(quick: bool) -> Vec<String> {
    vec![speed_target(quick), rss_target(quick), arrow_target(quick)]
}

fn f(v: &Value, key: &str) -> Result<f64, String> {
    v[key]
        .as_f64()
        .ok_or_else(|| format!("no {key} in the script's output: {v}"))
}

/// Runs the Python measurements.
pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let python = std::env::var("CONNECTY_BENCH_PYTHON").map_err(|_| {
        "CONNECTY_BENCH_PYTHON is not set: run this section through `cargo xtask bench`, \
         which builds the release wheel and names the interpreter"
            .to_string()
    })?;
    let pythonpath = std::env::var("CONNECTY_BENCH_PYTHONPATH").unwrap_or_default();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../connecty-python/bench/to_pandas.py");
    let runs = if quick { 3 } else { 7 };
    let (rows, arrow_rows) = (rows(quick), arrow_rows(quick));
    let emu = EmuProc::start(rows.max(arrow_rows))?;
    let out = Command::new(&python)
        .arg(&script)
        .args(["--json", "--base-url", &emu.base_url])
        .args(["--rows", &rows.to_string()])
        .args(["--runs", &runs.to_string()])
        .args(["--arrow-rows", &arrow_rows.to_string()])
        .env("PYTHONPATH", &pythonpath)
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    drop(emu);
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" / ")
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("the script's output is not JSON: {e}"))?;
    let (c, b, a) = (&v["connecty"], &v["baseline"], &v["to_arrow"]);
    let (c_wall, b_wall) = (f(c, "end_to_end_s")?, f(b, "end_to_end_s")?);
    let (c_inner, b_inner) = (f(c, "after_imports_s")?, f(b, "after_imports_s")?);
    let (c_rss, b_rss) = (f(c, "peak_rss_mib")?, f(b, "peak_rss_mib")?);
    let speed = b_wall / c_wall;
    let rss = c_rss / b_rss;
    report.target(
        speed_target(quick),
        speed >= SPEED_TARGET,
        format!(
            "{speed:.2}x ({c_wall:.3} s against {b_wall:.3} s); {:.2}x after interpreter start and imports",
            b_inner / c_inner
        ),
    );
    report.target(
        rss_target(quick),
        rss <= RSS_TARGET,
        format!("{rss:.2}x ({c_rss:.0} MiB against {b_rss:.0} MiB)"),
    );
    let same = a["same_buffers"].as_bool() == Some(true);
    let (to_arrow, ask) = (f(a, "to_arrow_s")?, f(a, "ask_s")?);
    let (rss_ask, rss_table) = (f(a, "rss_after_ask_mib")?, f(a, "rss_after_to_arrow_mib")?);
    report.target(
        arrow_target(quick),
        same,
        format!(
            "same buffers: {same}; to_arrow() {:.2} ms after a {ask:.2} s ask, RSS {rss_ask:.0} → {rss_table:.0} MiB",
            to_arrow * 1e3
        ),
    );
    let row = |name: &str, wall: f64, inner: f64, peak: f64| {
        vec![
            name.to_string(),
            format!("{wall:.3} s"),
            format!("{inner:.3} s"),
            format!("{peak:.0} MiB"),
        ]
    };
    report.table(Table {
        title: format!("Python: {rows} rows into pandas, end to end (median of {runs} runs each)"),
        command: COMMAND.into(),
        notes: vec![format!(
            "Each contender is its own `python` process, run alternately: `connecty.Client(...).ask(13, \
             \"SELECT * FROM events ORDER BY id\", max_rows={rows}, include=[\"dataframe\"]).to_pandas()` \
             against urllib + `json.loads` + `pandas.DataFrame` + `pd.to_datetime` on the timestamp \
             column, against the bench's emulator (`Schedule::IMMEDIATE`: complete at the first poll). \
             End to end is the process's whole life (interpreter start, `import pandas`, which both \
             pay, and the work); after imports starts the clock once the imports are done. connecty \
             is the release wheel (`maturin build --release`), as `pip install` builds it."
        )],
        header: ["contender", "end to end", "after imports", "peak RSS"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            row("connecty → to_pandas()", c_wall, c_inner, c_rss),
            row("urllib + json + pandas", b_wall, b_inner, b_rss),
            vec![
                "connecty against the baseline".into(),
                format!("{speed:.2}x faster"),
                format!("{:.2}x faster", b_inner / c_inner),
                format!("{rss:.2}x"),
            ],
        ],
    });
    report.table(Table {
        title: format!("Python: to_arrow() of {arrow_rows} rows"),
        command: COMMAND.into(),
        notes: vec![format!(
            "One process: `ask(..., max_rows={arrow_rows})` (the request, the parse and the one \
             conversion to Arrow, in Rust with the GIL released), then `to_arrow()` twice. The second \
             call's buffers are the first's (compared by address): the table is the answer's own \
             memory, exported through the Arrow C stream interface, not a copy. RSS is VmRSS; peak \
             is ru_maxrss."
        )],
        header: [
            "rows",
            "ask (with the conversion)",
            "to_arrow()",
            "RSS after ask",
            "RSS after to_arrow()",
            "Arrow data",
            "peak RSS",
            "same buffers",
        ]
        .map(String::from)
        .to_vec(),
        rows: vec![vec![
            format!("{}", a["rows"]),
            format!("{ask:.3} s"),
            format!("{:.2} ms", to_arrow * 1e3),
            format!("{rss_ask:.0} MiB"),
            format!("{rss_table:.0} MiB"),
            format!("{:.0} MiB", f(a, "arrow_mib")?),
            format!("{:.0} MiB", f(a, "peak_rss_mib")?),
            same.to_string(),
        ]],
    });
    Ok(())
}
