//! CLI end to end: `connecty ask ... --format csv` against a Python
//! standard-library script doing the same calls, on the same emulator.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::compression::QUESTION;
use crate::emu::EmuProc;
use crate::raw;
use crate::report::{Report, Table};

const SCRIPT: &str = include_str!("../python/ask_csv.py");
const GNU_TIME: &str = "/usr/bin/time";
/// Environment the children must not inherit: they get the emulator's
/// address and credentials only, and go direct.
const CLEARED_ENV: [&str; 12] = [
    "CONNECTY_BASE_URL",
    "CONNECTY_REGION",
    "CONNECTY_TRANSPORT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "PYTHONSTARTUP",
];

fn speed_target(rows: u64) -> String {
    format!("CLI end to end, {rows} rows: connecty at least 4x faster than Python (wall)")
}

fn rss_target(rows: u64) -> String {
    format!("CLI end to end, {rows} rows: connecty peak RSS at most half of Python's")
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names(rows: u64) -> Vec<String> {
    vec![speed_target(rows), rss_target(rows)]
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let p = std::env::temp_dir().join(format!("connecty-bench-{}", std::process::id()));
        std::fs::create_dir_all(&p).map_err(|e| format!("temp dir {}: {e}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds (or rebuilds, a no-op when fresh) `target/release/connecty` when
/// run through cargo; returns the binary and a note when it may be stale.
fn cli_binary() -> Result<(PathBuf, Option<String>), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let dir = exe
        .parent()
        .ok_or("the bench binary has no directory")?
        .to_path_buf();
    let bin = dir.join("connecty");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(cargo) = std::env::var_os("CARGO") else {
        return if bin.exists() {
            Ok((
                bin,
                Some("Not run through cargo: the existing `connecty` binary was used without rebuilding it.".into()),
            ))
        } else {
            Err(format!(
                "the connecty CLI is not built ({} is missing); build it with `cargo build --release -p connecty-cli`",
                bin.display()
            ))
        };
    };
    eprintln!("building connecty-cli (release)...");
    let out = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "connecty-cli",
            "--bin",
            "connecty",
        ])
        .current_dir(&workspace)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("running cargo: {e}"))?;
    if out.status.success() && bin.exists() {
        return Ok((bin, None));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error"))
        .take(3)
        .collect();
    if bin.exists() {
        Ok((
            bin,
            Some(format!(
                "`cargo build --release -p connecty-cli` failed ({}); an existing, possibly stale, binary was used.",
                tail.join("; ")
            )),
        ))
    } else {
        Err(format!(
            "the connecty CLI does not build yet: {}",
            if tail.is_empty() {
                "cargo build failed".to_string()
            } else {
                tail.join("; ")
            }
        ))
    }
}

/// The real Python interpreter (not a pyenv shim script, whose start-up
/// would be charged to Python) and its version.
fn python() -> Result<(PathBuf, String), String> {
    for name in ["python3", "python"] {
        let Ok(out) = Command::new(name)
            .args([
                "-c",
                "import sys; print(sys.executable); print(sys.version.split()[0])",
            ])
            .output()
        else {
            continue;
        };
        if !out.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        if let (Some(exe), Some(version)) = (lines.next(), lines.next())
            && !exe.is_empty()
        {
            return Ok((PathBuf::from(exe), version.to_string()));
        }
    }
    Err("no python3 found".into())
}

/// How peak RSS is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rss {
    /// `/usr/bin/time -f %M`: the child's `ru_maxrss` from `wait4`.
    GnuTime,
    /// `VmHWM` of `/proc/<pid>/status`, read every millisecond while the
    /// child runs: a lower bound.
    ProcPoll,
}

/// One run: wall time and peak RSS in KiB.
struct Sample {
    wall: Duration,
    rss_kib: u64,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Job<'a> {
    program: &'a Path,
    args: Vec<String>,
    client_id: &'a str,
    client_secret: &'a str,
}

fn measure(job: &Job<'_>, rss: Rss, out: &Path, tmp: &Path) -> Result<Sample, String> {
    let stdout = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let err_path = tmp.join("stderr.txt");
    let stderr = File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    let rss_path = tmp.join("rss.txt");
    let mut cmd = match rss {
        Rss::GnuTime => {
            let mut c = Command::new(GNU_TIME);
            c.arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&rss_path)
                .arg(job.program);
            c
        }
        Rss::ProcPoll => Command::new(job.program),
    };
    cmd.args(&job.args)
        .env("CONNECTY_CLIENT_ID", job.client_id)
        .env("CONNECTY_CLIENT_SECRET", job.client_secret)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    for k in CLEARED_ENV {
        cmd.env_remove(k);
    }
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {}: {e}", job.program.display()))?;
    let mut hwm = 0;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for {}: {e}", job.program.display())),
        }
        if rss == Rss::ProcPoll {
            hwm = hwm.max(vm_hwm(child.id()).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(1));
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
        if t.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} ran over 5 minutes", job.program.display()));
        }
    };
    let wall = t.elapsed();
    if !status.success() {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        let err: String = err.chars().take(400).collect();
        return Err(format!(
            "{} failed ({status}): {}",
            job.program.display(),
            err.trim()
        ));
    }
    let rss_kib = match rss {
        Rss::GnuTime => std::fs::read_to_string(&rss_path)
            .ok()
            .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
            .ok_or("could not read /usr/bin/time's %M")?,
        Rss::ProcPoll => hwm,
    };
    Ok(Sample { wall, rss_kib })
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

fn lines(path: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count())
}

fn median_of<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

pub fn run(report: &mut Report, emu: &mut EmuProc, rows: u64, quick: bool) -> Result<(), String> {
    let runs = if quick { 1 } else { 3 };
    let (bin, stale) = cli_binary()?;
    let (py, py_version) = python()?;
    let tmp = TempDir::new()?;
    let script = tmp.0.join("ask_csv.py");
    std::fs::write(&script, SCRIPT).map_err(|e| format!("{}: {e}", script.display()))?;
    let rss = if Path::new(GNU_TIME).exists() {
        Rss::GnuTime
    } else {
        Rss::ProcPoll
    };
    let rows_s = rows.to_string();
    let cli = Job {
        program: &bin,
        args: vec![
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
        client_id: &emu.client_id,
        client_secret: &emu.client_secret,
    };
    let python = Job {
        program: &py,
        args: vec![
            script.display().to_string(),
            emu.base_url.clone(),
            "13".into(),
            QUESTION.into(),
            rows_s,
        ],
        client_id: &emu.client_id,
        client_secret: &emu.client_secret,
    };
    let (cli_out, py_out) = (tmp.0.join("connecty.csv"), tmp.0.join("python.csv"));

    // One unmeasured run each: builds the emulator's cached result and
    // warms the page cache for both binaries.
    measure(&cli, rss, &cli_out, &tmp.0)?;
    measure(&python, rss, &py_out, &tmp.0)?;
    let (cli_lines, py_lines) = (lines(&cli_out)?, lines(&py_out)?);
    if cli_lines != py_lines {
        return Err(format!(
            "the CSVs differ: connecty wrote {cli_lines} lines, Python {py_lines}"
        ));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    floor(&rt, emu, rows)?;
    let mut c = Vec::new();
    let mut p = Vec::new();
    let mut f = Vec::new();
    for i in 0..runs {
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_cli in order {
            if is_cli {
                c.push(measure(&cli, rss, &cli_out, &tmp.0)?);
            } else {
                p.push(measure(&python, rss, &py_out, &tmp.0)?);
            }
        }
        f.push(floor(&rt, emu, rows)?);
    }
    let fw = median_of(f.clone());
    let (cw, pw) = (
        median_of(c.iter().map(|s| s.wall).collect()),
        median_of(p.iter().map(|s| s.wall).collect()),
    );
    let (cr, pr) = (
        median_of(c.iter().map(|s| s.rss_kib).collect()),
        median_of(p.iter().map(|s| s.rss_kib).collect()),
    );
    let speed = pw.as_secs_f64() / cw.as_secs_f64();
    let mem = cr as f64 / pr.max(1) as f64;
    report.target(speed_target(rows), speed >= 4.0, format!("{speed:.2}x"));
    report.target(rss_target(rows), mem <= 0.5, format!("{mem:.2}x"));
    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
    let all = |v: &[Sample]| {
        v.iter()
            .map(|s| format!("{:.0}", s.wall.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let above = |d: Duration| d.saturating_sub(fw);
    let above_ratio = above(pw).as_secs_f64() / above(cw).as_secs_f64().max(1e-6);
    let table_rows = vec![
        vec![
            "`connecty ask --format csv` (default transport: ureq)".into(),
            ms(cw),
            all(&c),
            format!("**{speed:.2}x**"),
            format!("{} ({above_ratio:.1}x less than Python)", ms(above(cw))),
            mib(cr),
            format!("**{mem:.2}x**"),
            format!("{cli_lines}"),
        ],
        vec![
            format!("Python {py_version} `ask_csv.py` (urllib, json, gzip, csv)"),
            ms(pw),
            all(&p),
            "(baseline)".into(),
            ms(above(pw)),
            mib(pr),
            "(baseline)".into(),
            format!("{py_lines}"),
        ],
        vec![
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
        ],
    ];
    let mut notes = vec![
        format!(
            "Both fetch `{QUESTION}` with `max_rows={rows}` ({rows} rows, 6 mixed columns, about {:.0} MB of JSON) from the same emulator (started once by the bench, `Schedule::IMMEDIATE`, in its own process) and write CSV to a file. Each makes the same four calls: token, ask, results polled on connecty's default schedule (the first poll at once, then 250 ms, x1.5) until `COMPLETED`, with `Accept-Encoding: gzip`. The emulator answers at once, so for both the first poll brings the answer; the emulator keeps the last large body and its gzip form, so after the warm-up neither pays for building it; these shared costs are in both wall times. After one unmeasured run of each, {runs} measured run(s) each, alternating; medians.",
            rows as f64 * 87.0 / 1e6
        ),
        format!(
            "Command: `connecty --base-url URL ask --dw 13 \"{QUESTION}\" --max-rows {rows} --format csv` (credentials in `CONNECTY_CLIENT_ID`/`CONNECTY_CLIENT_SECRET`) against `python3 crates/connecty-bench/python/ask_csv.py URL 13 \"{QUESTION}\" {rows}`, run with the interpreter itself (`sys.executable`), not a pyenv shim. Both CSVs have {cli_lines} lines (a header and {} rows).",
            cli_lines.saturating_sub(1)
        ),
        format!(
            "The floor row is what neither program can avoid: the same four calls on the same schedule from inside the bench (raw hyper, no process start), the answer's body received but not decoded, parsed or written: the emulator serving the body and the loopback transfer. \"Above the floor\" is each program's wall time minus the floor's: its own start-up, decoding, parsing and CSV writing. It is a diagnostic; the target is on the whole wall time."
        ),
        match rss {
            Rss::GnuTime => "Peak RSS is the child's `ru_maxrss` as GNU time reports it (`/usr/bin/time -f %M`, from `wait4`); GNU time forks before it runs the command, so the figure also covers the few MB of the forked `time` itself before `exec`. Wall time is measured by the bench around the whole child.".to_string(),
            Rss::ProcPoll => "Peak RSS is `VmHWM` from `/proc/<pid>/status`, read every millisecond while the child runs (`/usr/bin/time` is not installed: apt package `time`). The last read can come just before the child's last growth, so both figures are lower bounds.".to_string(),
        },
    ];
    if let Some(s) = stale {
        notes.push(s);
    }
    if cli_lines as u64 != rows + 1 {
        notes.push(format!(
            "Note: {cli_lines} lines for {rows} rows: some cells hold line breaks (quoted), the same in both files."
        ));
    }
    report.table(Table {
        title: format!("CLI end to end: {rows} rows as CSV, connecty vs Python"),
        command: "cargo xtask bench (connecty-bench, cli)".into(),
        notes,
        header: [
            "program",
            "wall (median)",
            "each run (ms)",
            "speed vs Python",
            "above the floor",
            "peak RSS (median)",
            "RSS vs Python",
            "CSV lines",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: table_rows,
    });
    Ok(())
}
