//! CLI end to end: `connecty ask ... --format csv` against two programs
//! doing the same calls on the same emulator: a Python standard-library
//! script, and a shell script of curl and jq (what shell users write); and
//! `--format parquet --output FILE` against a Python script with pandas and
//! pyarrow ([`parquet`]).

mod child;
mod parquet;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use child::{Job, Rss, Sample, TempDir, lines, measure, median_of};

use crate::compression::QUESTION;
use crate::emu::EmuProc;
use crate::raw;
use crate::report::{Report, Table};

const PYTHON_SCRIPT: &str = include_str!("../python/ask_csv.py");
const SHELL_SCRIPT: &str = include_str!("../shell/ask_csv.sh");

fn speed_target(rows: u64) -> String {
    format!("CLI end to end, {rows} rows: connecty at least 4x faster than Python (wall)")
}

fn rss_target(rows: u64) -> String {
    format!("CLI end to end, {rows} rows: connecty peak RSS at most half of Python's")
}

fn shell_target(rows: u64) -> String {
    format!("CLI end to end, {rows} rows: connecty faster than curl + jq (wall)")
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names(rows: u64) -> Vec<String> {
    let mut names = vec![speed_target(rows), rss_target(rows), shell_target(rows)];
    names.extend(parquet::target_names(rows));
    names
}

/// True when a (possibly gzip) results body starts with the `COMPLETED`
/// state; only its first bytes are decoded.
fn completed(headers: &http::HeaderMap, body: &[u8]) -> bool {
    use std::io::Read;
    const PREFIX: &[u8] = br#"{"state":"COMPLETED""#;
    let mut head = [0u8; PREFIX.len()];
    let gzip = headers
        .get(http::header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if gzip {
        flate2::read::GzDecoder::new(body)
            .read_exact(&mut head)
            .is_ok()
            && head == PREFIX
    } else {
        body.starts_with(PREFIX)
    }
}

/// The floor both programs share: the same four calls made from the bench
/// with raw hyper, on the same schedule, the answer's body received but
/// neither decoded, parsed nor written.
fn floor(rt: &tokio::runtime::Runtime, emu: &EmuProc, rows: u64) -> Result<Duration, String> {
    rt.block_on(async {
        let client = raw::hyper_client();
        let t = Instant::now();
        let bearer = raw::token(&client, &emu.base_url, &emu.client_id, &emu.client_secret).await?;
        let body = serde_json::to_vec(&serde_json::json!({ "question": QUESTION }))
            .map_err(|e| e.to_string())?;
        let req = raw::post_json(
            &format!("{}/v1/dw/13/questions", emu.base_url),
            Some(&bearer),
            body,
        )?;
        let asked: serde_json::Value = serde_json::from_slice(&raw::send(&client, req).await?)
            .map_err(|e| format!("bad ask body: {e}"))?;
        let qid = asked
            .get("question_id")
            .and_then(|q| q.as_str())
            .ok_or("no question_id")?;
        let url = format!(
            "{}/v1/dw/13/questions/{qid}/results?include=dataframe&max_rows={rows}",
            emu.base_url
        );
        // connecty's schedule: the first poll at once, then 250 ms, x1.5.
        let mut delay = Duration::from_millis(250);
        for _ in 0..100 {
            let (headers, body) = raw::send_raw(&client, raw::get(&url, &bearer)?).await?;
            if completed(&headers, &body) {
                return Ok(t.elapsed());
            }
            tokio::time::sleep(delay).await;
            delay = delay.mul_f64(1.5).min(Duration::from_secs(5));
        }
        Err("the floor run's question never completed".to_string())
    })
}

/// One program of the comparison and its measured runs.
struct Program<'a> {
    label: String,
    job: Job<'a>,
    out: PathBuf,
    samples: Vec<Sample>,
}

impl Program<'_> {
    fn wall(&self) -> Duration {
        median_of(self.samples.iter().map(|s| s.wall).collect())
    }
    fn rss(&self) -> u64 {
        median_of(self.samples.iter().map(|s| s.rss_kib).collect())
    }
    fn each(&self) -> String {
        self.samples
            .iter()
            .map(|s| format!("{:.0}", s.wall.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn run(report: &mut Report, emu: &mut EmuProc, rows: u64, quick: bool) -> Result<(), String> {
    let runs = if quick { 1 } else { 3 };
    let (bin, stale) = child::cli_binary()?;
    let (py, py_version) = child::python()?;
    let shell_tools = child::curl_and_jq();
    let tmp = TempDir::new()?;
    let py_script = tmp.0.join("ask_csv.py");
    std::fs::write(&py_script, PYTHON_SCRIPT)
        .map_err(|e| format!("{}: {e}", py_script.display()))?;
    let sh_script = tmp.0.join("ask_csv.sh");
    std::fs::write(&sh_script, SHELL_SCRIPT)
        .map_err(|e| format!("{}: {e}", sh_script.display()))?;
    let rss = if std::path::Path::new(child::GNU_TIME).exists() {
        Rss::GnuTime
    } else {
        Rss::ProcPoll
    };
    let rows_s = rows.to_string();
    let bash = PathBuf::from("bash");
    let script_args = |script: &PathBuf| {
        vec![
            script.display().to_string(),
            emu.base_url.clone(),
            "13".into(),
            QUESTION.into(),
            rows_s.clone(),
        ]
    };
    let job = |program, args| Job {
        program,
        args,
        client_id: &emu.client_id,
        client_secret: &emu.client_secret,
    };
    let mut programs = vec![
        Program {
            label: "`connecty ask --format csv` (default transport: ureq)".into(),
            job: job(
                &bin,
                vec![
                    "--base-url".into(),
                    emu.base_url.clone(),
                    "ask".into(),
                    "--dw".into(),
                    "13".into(),
                    QUESTION.into(),
                    "--max-rows".into(),
                    rows_s.clone(),
                    "--format".into(),
                    "csv".into(),
                ],
            ),
            out: tmp.0.join("connecty.csv"),
            samples: Vec::new(),
        },
        Program {
            label: format!("Python {py_version} `ask_csv.py` (urllib, json, gzip, csv)"),
            job: job(&py, script_args(&py_script)),
            out: tmp.0.join("python.csv"),
            samples: Vec::new(),
        },
    ];
    if let Ok(versions) = &shell_tools {
        programs.push(Program {
            label: format!("`ask_csv.sh`: curl + jq ({versions})"),
            job: job(&bash, script_args(&sh_script)),
            out: tmp.0.join("shell.csv"),
            samples: Vec::new(),
        });
    }

    // One unmeasured run each: builds the emulator's cached result and
    // warms the page cache for every program.
    let mut counts = Vec::new();
    for p in &programs {
        measure(&p.job, rss, &p.out, &tmp.0)?;
        counts.push(lines(&p.out)?);
    }
    if counts.iter().any(|&c| c != counts[0]) {
        return Err(format!(
            "the CSVs differ in length: {}",
            programs
                .iter()
                .zip(&counts)
                .map(|(p, c)| format!("{}: {c} lines", p.label))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let csv_lines = counts[0];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    floor(&rt, emu, rows)?;
    let mut f = Vec::new();
    for i in 0..runs {
        // The order rotates from run to run.
        let n = programs.len();
        for k in 0..n {
            let p = &mut programs[(k + i) % n];
            p.samples.push(measure(&p.job, rss, &p.out, &tmp.0)?);
        }
        f.push(floor(&rt, emu, rows)?);
    }
    let fw = median_of(f.clone());
    let above = |d: Duration| d.saturating_sub(fw);
    let (cw, cr) = (programs[0].wall(), programs[0].rss());
    let speed_vs = |p: &Program<'_>| p.wall().as_secs_f64() / cw.as_secs_f64();
    let rss_vs = |p: &Program<'_>| cr as f64 / p.rss().max(1) as f64;
    let speed = speed_vs(&programs[1]);
    let mem = rss_vs(&programs[1]);
    report.target(speed_target(rows), speed >= 4.0, format!("{speed:.2}x"));
    report.target(rss_target(rows), mem <= 0.5, format!("{mem:.2}x"));
    match programs.get(2) {
        Some(sh) => {
            let s = speed_vs(sh);
            report.target(shell_target(rows), s > 1.0, format!("{s:.2}x"));
        }
        None => report.target_not_measured(
            shell_target(rows),
            shell_tools.clone().err().unwrap_or_default(),
        ),
    }
    let mut table_rows: Vec<Vec<String>> = programs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let baseline = i > 0;
            vec![
                p.label.clone(),
                ms(p.wall()),
                p.each(),
                if baseline {
                    format!("**{:.2}x**", speed_vs(p))
                } else {
                    "-".into()
                },
                if baseline {
                    format!(
                        "{} ({:.1}x connecty's)",
                        ms(above(p.wall())),
                        above(p.wall()).as_secs_f64() / above(cw).as_secs_f64().max(1e-6)
                    )
                } else {
                    ms(above(cw))
                },
                mib(p.rss()),
                if baseline {
                    format!("**{:.2}x**", rss_vs(p))
                } else {
                    "-".into()
                },
                format!("{csv_lines}"),
            ]
        })
        .collect();
    table_rows.push(vec![
        "floor: the same calls from the bench (raw hyper), body not decoded".into(),
        ms(fw),
        f.iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", "),
        "-".into(),
        "-".into(),
        "-".into(),
        "-".into(),
        "-".into(),
    ]);
    let mut notes = vec![
        format!(
            "Every program fetches `{QUESTION}` with `max_rows={rows}` ({rows} rows, 6 mixed columns, about {:.0} MB of JSON) from the same emulator (started once by the bench, `Schedule::IMMEDIATE`, in its own process) and writes CSV to a file. Each makes the same four calls: token, ask, results polled on connecty's default schedule (the first poll at once, then 250 ms, x1.5) until `COMPLETED`, with gzip accepted. The emulator answers at once, so for all of them the first poll brings the answer; the emulator keeps the last large body and its gzip form, so after the warm-up no program pays for building it; these shared costs are in every wall time. After one unmeasured run of each, {runs} measured run(s) each, the order rotating from run to run; medians.",
            rows as f64 * 87.0 / 1e6
        ),
        format!(
            "Commands: `connecty --base-url URL ask --dw 13 \"{QUESTION}\" --max-rows {rows} --format csv` (credentials in `CONNECTY_CLIENT_ID`/`CONNECTY_CLIENT_SECRET`); `python3 crates/connecty-bench/python/ask_csv.py URL 13 \"{QUESTION}\" {rows}`, run with the interpreter itself (`sys.executable`), not a pyenv shim; `bash crates/connecty-bench/shell/ask_csv.sh URL 13 \"{QUESTION}\" {rows}`: curl for each call (`--compressed`), jq for the JSON, and the CSV written by `jq -r '.results.dataframe[] | @csv'` (the same jq call reads the state, so the large body is parsed once). Every CSV has {csv_lines} lines (a header and {} rows).",
            csv_lines.saturating_sub(1)
        ),
        "The ratio columns are connecty's: its speed over each baseline's (wall time, higher is better) and its peak RSS over each baseline's (lower is better). The floor row is what no program can avoid: the same four calls on the same schedule from inside the bench (raw hyper, no process start), the answer's body received but not decoded, parsed or written: the emulator serving the body and the loopback transfer. \"Above the floor\" is each program's wall time minus the floor's: its own start-up, decoding, parsing and CSV writing. It is a diagnostic; the targets are on the whole wall time.".to_string(),
        match rss {
            Rss::GnuTime => "Peak RSS is the child's `ru_maxrss` as GNU time reports it (`/usr/bin/time -f %M`, from `wait4`); GNU time forks before it runs the command, so the figure also covers the few MB of the forked `time` itself before `exec`. For the shell script it is the largest of bash and the processes it waited for (each of curl and jq runs alone, one after the other), not their sum. Wall time is measured by the bench around the whole child.".to_string(),
            Rss::ProcPoll => "Peak RSS is `VmHWM` from `/proc/<pid>/status`, read every millisecond while the child runs (`/usr/bin/time` is not installed: apt package `time`). The last read can come just before the child's last growth, so the figures are lower bounds; for the shell script it is bash's own only.".to_string(),
        },
    ];
    if let Err(why) = &shell_tools {
        notes.push(format!("The curl + jq baseline did not run: {why}."));
    }
    if let Some(s) = stale {
        notes.push(s);
    }
    if csv_lines as u64 != rows + 1 {
        notes.push(format!(
            "Note: {csv_lines} lines for {rows} rows: some cells hold line breaks (quoted), the same in every file."
        ));
    }
    report.table(Table {
        title: format!("CLI end to end: {rows} rows as CSV, connecty vs Python and curl + jq"),
        command: "cargo xtask bench (connecty-bench, cli)".into(),
        notes,
        header: [
            "program",
            "wall (median)",
            "each run (ms)",
            "connecty's speed vs it",
            "above the floor",
            "peak RSS (median)",
            "connecty's RSS vs it",
            "CSV lines",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: table_rows,
    });
    let setup = parquet::Setup {
        bin: &bin,
        py: &py,
        py_version: &py_version,
        tmp: &tmp.0,
        rss,
        runs: runs.max(3),
        rt: &rt,
    };
    parquet::run(report, emu, rows, &setup);
    Ok(())
}
