//! The CLI's Parquet row: `connecty ask ... --format parquet --output FILE`
//! against what a data user writes instead, a Python script that makes the
//! same calls and hands the dataframe to pandas and pyarrow
//! (`python/ask_parquet.py`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::child::{Job, Rss, Sample, measure, median_of};
use super::{floor, mib, ms};
use crate::compression::QUESTION;
use crate::emu::EmuProc;
use crate::report::{Report, Table};

const SCRIPT: &str = include_str!("../../python/ask_parquet.py");

/// The wall-time ratio connecty must reach.
const SPEED: f64 = 5.0;
/// The peak-RSS ratio connecty must stay under.
const RSS: f64 = 0.5;

fn speed_target(rows: u64) -> String {
    format!(
        "CLI to Parquet, {rows} rows: connecty at least {SPEED}x faster than Python + pandas (wall)"
    )
}

fn rss_target(rows: u64) -> String {
    format!(
        "CLI to Parquet, {rows} rows: connecty peak RSS at most {RSS}x Python + pandas' (peak RSS)"
    )
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names(rows: u64) -> Vec<String> {
    vec![speed_target(rows), rss_target(rows)]
}

/// What the Parquet comparison runs with, from the CSV comparison.
pub struct Setup<'a> {
    pub bin: &'a Path,
    pub py: &'a Path,
    pub py_version: &'a str,
    pub tmp: &'a Path,
    pub rss: Rss,
    pub runs: usize,
    pub rt: &'a tokio::runtime::Runtime,
}

/// pandas' and pyarrow's versions, or why the script cannot run.
fn pandas(py: &Path) -> Result<String, String> {
    let out = Command::new(py)
        .args([
            "-c",
            "import pandas, pyarrow; print(pandas.__version__, pyarrow.__version__)",
        ])
        .output()
        .map_err(|e| format!("{} does not start: {e}", py.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim().to_string();
        return Err(format!(
            "pandas or pyarrow is not installed for {} ({last}); install them with `python3 -m pip install pandas pyarrow` (docs/benchmarks.md)",
            py.display()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut v = text.split_whitespace();
    match (v.next(), v.next()) {
        (Some(pd), Some(pa)) => Ok(format!("pandas {pd}, pyarrow {pa}")),
        _ => Err(format!("unexpected versions from {}: {text}", py.display())),
    }
}

/// The rows and columns of a Parquet file, as pyarrow reads its footer.
fn parquet_shape(py: &Path, file: &Path) -> Result<(u64, u64), String> {
    let out = Command::new(py)
        .args([
            "-c",
            "import sys, pyarrow.parquet as pq; m = pq.read_metadata(sys.argv[1]); print(m.num_rows, m.num_columns)",
        ])
        .arg(file)
        .output()
        .map_err(|e| format!("{} does not start: {e}", py.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut v = text.split_whitespace().map(str::parse::<u64>);
    match (out.status.success(), v.next(), v.next()) {
        (true, Some(Ok(r)), Some(Ok(c))) => Ok((r, c)),
        _ => Err(format!(
            "pyarrow cannot read {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// One program's runs.
struct Runs<'a> {
    label: String,
    job: Job<'a>,
    file: PathBuf,
    samples: Vec<Sample>,
}

/// `min–max` of a list of numbers, formatted by `f`.
fn spread(v: &[f64], f: impl Fn(f64) -> String) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{}–{}", f(min), f(max))
}

fn median_f(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the comparison; records its targets as not measured, with the
/// reason, when it cannot run (pandas missing, a program failing).
pub fn run(report: &mut Report, emu: &EmuProc, rows: u64, setup: &Setup<'_>) {
    if let Err(why) = compare(report, emu, rows, setup) {
        eprintln!("cli (parquet): could not run: {why}");
        for t in target_names(rows) {
            report.target_not_measured(t, format!("not measured: {why}"));
        }
        report.not_run("cli (parquet)", &why);
    }
}

fn compare(report: &mut Report, emu: &EmuProc, rows: u64, s: &Setup<'_>) -> Result<(), String> {
    let versions = pandas(s.py)?;
    let script = s.tmp.join("ask_parquet.py");
    std::fs::write(&script, SCRIPT).map_err(|e| format!("{}: {e}", script.display()))?;
    let rows_s = rows.to_string();
    let job = |program, args| Job {
        program,
        args,
        client_id: &emu.client_id,
        client_secret: &emu.client_secret,
    };
    let (cli_file, py_file) = (s.tmp.join("connecty.parquet"), s.tmp.join("python.parquet"));
    let mut programs = [
        Runs {
            label: "`connecty ask --format parquet --output FILE` (default transport: ureq)".into(),
            job: job(
                s.bin,
                [
                    "--base-url",
                    &emu.base_url,
                    "ask",
                    "--dw",
                    "13",
                    QUESTION,
                    "--max-rows",
                    &rows_s,
                    "--format",
                    "parquet",
                    "--output",
                ]
                .iter()
                .map(|a| a.to_string())
                .chain([cli_file.display().to_string()])
                .collect(),
            ),
            file: cli_file,
            samples: Vec::new(),
        },
        Runs {
            label: format!(
                "Python {} `ask_parquet.py` (urllib, json, gzip; {versions})",
                s.py_version
            ),
            job: job(
                s.py,
                vec![
                    script.display().to_string(),
                    emu.base_url.clone(),
                    "13".into(),
                    QUESTION.into(),
                    rows_s.clone(),
                    py_file.display().to_string(),
                ],
            ),
            file: py_file,
            samples: Vec::new(),
        },
    ];
    let stdout = s.tmp.join("parquet-stdout.txt");
    // One unmeasured run each, then check that both files hold every row.
    for p in &programs {
        measure(&p.job, s.rss, &stdout, s.tmp)?;
        let (r, c) = parquet_shape(s.py, &p.file)?;
        if r != rows || c != 6 {
            return Err(format!(
                "{} wrote {r} rows and {c} columns, not {rows} and 6",
                p.label
            ));
        }
    }
    let mut floors = Vec::new();
    for i in 0..s.runs {
        for k in 0..programs.len() {
            let p = &mut programs[(k + i) % 2];
            std::fs::remove_file(&p.file).map_err(|e| format!("{}: {e}", p.file.display()))?;
            p.samples.push(measure(&p.job, s.rss, &stdout, s.tmp)?);
        }
        floors.push(floor(s.rt, emu, rows)?);
    }
    let [cli, py] = &programs;
    let speed: Vec<f64> = cli
        .samples
        .iter()
        .zip(&py.samples)
        .map(|(c, p)| p.wall.as_secs_f64() / c.wall.as_secs_f64())
        .collect();
    let mem: Vec<f64> = cli
        .samples
        .iter()
        .zip(&py.samples)
        .map(|(c, p)| c.rss_kib as f64 / p.rss_kib.max(1) as f64)
        .collect();
    let ratio = |v: f64| format!("{v:.2}x");
    let (speed_m, mem_m) = (median_f(&speed), median_f(&mem));
    report.target(
        speed_target(rows),
        speed_m >= SPEED,
        format!(
            "{speed_m:.2}x (runs {})",
            spread(&speed, |v| format!("{v:.2}"))
        ),
    );
    report.target(
        rss_target(rows),
        mem_m <= RSS,
        format!("{mem_m:.2}x (runs {})", spread(&mem, |v| format!("{v:.2}"))),
    );
    let walls =
        |p: &Runs<'_>| -> Vec<f64> { p.samples.iter().map(|s| s.wall.as_secs_f64()).collect() };
    let rsss = |p: &Runs<'_>| -> Vec<f64> { p.samples.iter().map(|s| s.rss_kib as f64).collect() };
    let row = |p: &Runs<'_>, speed: String, mem: String| {
        let w = walls(p);
        let r = rsss(p);
        vec![
            p.label.clone(),
            ms(Duration::from_secs_f64(median_f(&w))),
            spread(&w, |v| format!("{:.0}", v * 1e3)),
            speed,
            mib(median_f(&r) as u64),
            spread(&r, |v| format!("{:.1}", v / 1024.0)),
            mem,
        ]
    };
    let fw = median_of(floors.clone());
    let mut table_rows = vec![
        row(cli, "-".into(), "-".into()),
        row(
            py,
            format!("**{}** ({})", ratio(speed_m), spread(&speed, ratio)),
            format!("**{}** ({})", ratio(mem_m), spread(&mem, ratio)),
        ),
    ];
    table_rows.push(vec![
        "floor: the same calls from the bench (raw hyper), body not decoded".into(),
        ms(fw),
        spread(
            &floors.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
            |v| format!("{:.0}", v * 1e3),
        ),
        "-".into(),
        "-".into(),
        "-".into(),
        "-".into(),
    ]);
    let notes = vec![
        format!(
            "Both programs fetch `{QUESTION}` with `max_rows={rows}` from the same emulator as the CSV table (same four calls, same polling schedule, gzip accepted) and write a Parquet file: connecty through connecty-arrow (typed columns, zstd); the script builds `pd.DataFrame(frame[1:], columns=frame[0])` and calls `to_parquet(FILE)` (pyarrow, its default snappy compression), as a data user writes it. Before the measured runs, one unmeasured run of each, and pyarrow reads both files back: {rows} rows and 6 columns each. Then {} rounds, each running both (the order alternating, the file removed first) and the floor; the ratios are taken round by round: the median, and in brackets the lowest and highest round.",
            s.runs
        ),
        format!(
            "Commands: `connecty --base-url URL ask --dw 13 \"{QUESTION}\" --max-rows {rows} --format parquet --output FILE` (credentials in `CONNECTY_CLIENT_ID`/`CONNECTY_CLIENT_SECRET`); `python3 crates/connecty-bench/python/ask_parquet.py URL 13 \"{QUESTION}\" {rows} FILE` (next to `ask_csv.py`, whose `fetch_dataframe` makes the calls), run with the interpreter itself."
        ),
        "Wall time is measured by the bench around the whole child process; peak RSS is measured as in the CSV table, in the same child runs. connecty's speed is the script's wall time over connecty's (higher is better); its RSS ratio is connecty's peak RSS over the script's (lower is better).".to_string(),
    ];
    report.table(Table {
        title: format!("CLI to Parquet: {rows} rows, connecty vs Python with pandas"),
        command: "cargo xtask bench --only cli (connecty-bench, cli)".into(),
        notes,
        header: [
            "program",
            "wall (median)",
            "runs (ms, min–max)",
            "connecty's speed vs it (median, min–max)",
            "peak RSS (median)",
            "runs (MiB, min–max)",
            "connecty's RSS vs it (median, min–max)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: table_rows,
    });
    Ok(())
}
