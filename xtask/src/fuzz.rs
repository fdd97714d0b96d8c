//! `cargo xtask fuzz` and `cargo xtask fuzz-seeds`.
//!
//! With cargo-fuzz installed and a toolchain that can build its targets,
//! each target runs under libFuzzer for `--seconds` with the seed corpus,
//! and the final executions, coverage (`cov:`, `ft:`) and `exec/s` are
//! reported. cargo-fuzz passes `-Z` flags, so on a stable toolchain the
//! build runs with `RUSTC_BOOTSTRAP=1`. Without cargo-fuzz (or when its
//! build fails) the same command runs the proptest soak of
//! `crates/connecty-proto/tests/soak.rs`, which checks the same properties
//! (it compiles the fuzz crate's own files), and reports cases executed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{cargo, root, run};

/// The fuzz targets, in the order they run (`fuzz/fuzz_targets/*.rs`).
pub const TARGETS: [&str; 10] = [
    "results_body",
    "token",
    "ask",
    "health",
    "dataframe",
    "statistics",
    "caller_input",
    "machine",
    "client",
    "arrow",
];

struct Options {
    seconds: u64,
    target: Option<String>,
    jobs: usize,
    soak: bool,
    keep_going: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seconds: 60,
        target: None,
        jobs: 1,
        soak: false,
        keep_going: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--seconds" => {
                o.seconds = value("--seconds")?
                    .parse()
                    .map_err(|_| "--seconds takes a whole number of seconds".to_string())?
            }
            "--target" => {
                let t = value("--target")?;
                if !TARGETS.contains(&t.as_str()) {
                    return Err(format!(
                        "no fuzz target {t:?}; the targets are {}",
                        TARGETS.join(", ")
                    ));
                }
                o.target = Some(t);
            }
            "--jobs" => {
                o.jobs = value("--jobs")?
                    .parse::<usize>()
                    .map_err(|_| "--jobs takes a number".to_string())?
                    .max(1)
            }
            "--soak" => o.soak = true,
            "--keep-going" => o.keep_going = true,
            other => return Err(format!("fuzz: unknown option {other:?}")),
        }
    }
    Ok(o)
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// `cargo xtask fuzz-seeds`: writes the seed corpus of every target to
/// `fuzz/corpus/<target>/` from `fuzz/seeds/`, the API reference's
/// examples and `crates/connecty-testkit/fixtures/`.
pub fn seeds() -> Result<(), String> {
    let mut cmd = cargo();
    cmd.current_dir(root()).args([
        "run",
        "--quiet",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--no-default-features",
        "--example",
        "seed_corpus",
        "--",
    ]);
    cmd.arg(fuzz_dir().join("corpus"));
    run("fuzz-seeds", cmd)
}

fn have_cargo_fuzz() -> bool {
    cargo()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The common arguments of `cargo fuzz build` and `cargo fuzz run`: an
/// optimised build with debug assertions (overflow checks on), no
/// sanitizer (the code under test has no `unsafe`; ASan would halve the
/// speed on these two-core machines).
const FUZZ_FLAGS: [&str; 4] = ["-O", "--debug-assertions", "--sanitizer", "none"];

fn fuzz_command() -> Command {
    let mut cmd = cargo();
    cmd.current_dir(root()).arg("fuzz");
    // cargo-fuzz passes -Z flags: allowed on stable with RUSTC_BOOTSTRAP.
    cmd.env("RUSTC_BOOTSTRAP", "1");
    cmd
}

/// One target's result.
#[derive(Default, Debug)]
struct Figures {
    target: String,
    seconds: f64,
    execs: Option<u64>,
    exec_per_sec: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
    crashes: Vec<PathBuf>,
    ok: bool,
}

fn number_after(line: &str, key: &str) -> Option<u64> {
    let i = line.find(key)? + key.len();
    line[i..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Reads libFuzzer's last status line (`#N DONE cov: .. ft: .. corp: ..
/// exec/s: ..`) and its final stats (`stat::number_of_executed_units`).
fn read_log(log: &str, f: &mut Figures) {
    for line in log.lines() {
        if line.starts_with('#') && line.contains("cov:") {
            f.execs = number_after(line, "#");
            f.cov = number_after(line, "cov:");
            f.ft = number_after(line, "ft:");
            f.exec_per_sec = number_after(line, "exec/s:");
            f.corpus = line
                .split("corp:")
                .nth(1)
                .and_then(|s| s.split_whitespace().next())
                .map(str::to_string);
            // Fork mode reports the last job's rate and the time so far:
            // the average is executions over time.
            if let Some(rate) = f
                .execs
                .zip(number_after(line, "time:"))
                .and_then(|(n, t)| n.checked_div(t))
            {
                f.exec_per_sec = Some(rate);
            }
        }
        if let Some(n) = number_after(line, "stat::number_of_executed_units:") {
            f.execs = Some(n);
        }
        if let Some(n) = number_after(line, "stat::average_exec_per_sec:") {
            f.exec_per_sec = Some(n);
        }
    }
}

fn artifacts(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("artifacts").join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        ["crash-", "timeout-", "oom-", "leak-"]
                            .iter()
                            .any(|k| n.starts_with(k))
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn spawn_target(o: &Options, target: &str, log: &Path) -> Result<std::process::Child, String> {
    let seconds = o.seconds;
    let corpus = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let artifacts = fuzz_dir().join("artifacts").join(target);
    std::fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut cmd = fuzz_command();
    cmd.arg("run").args(FUZZ_FLAGS).arg(target).arg(&corpus);
    cmd.arg("--").args([
        format!("-max_total_time={seconds}"),
        "-print_final_stats=1".into(),
        "-rss_limit_mb=2048".into(),
        "-timeout=20".into(),
        format!("-artifact_prefix={}/", artifacts.display()),
    ]);
    if o.keep_going {
        // Fork mode: a crash is saved and fuzzing goes on.
        cmd.args([
            "-fork=1",
            "-ignore_crashes=1",
            "-ignore_timeouts=1",
            "-ignore_ooms=1",
        ]);
    }
    cmd.stdout(file).stderr(err);
    eprintln!("xtask: fuzz {target}: {cmd:?} > {}", log.display());
    cmd.spawn()
        .map_err(|e| format!("fuzz {target}: could not start: {e}"))
}

fn libfuzzer(o: &Options, targets: &[&str]) -> Result<Vec<Figures>, String> {
    seeds()?;
    let mut build = fuzz_command();
    build.arg("build").args(FUZZ_FLAGS);
    if let [one] = targets {
        build.arg(one);
    }
    run("cargo fuzz build", build)?;
    let logs = fuzz_dir().join("artifacts");
    let mut figures = Vec::new();
    for batch in targets.chunks(o.jobs) {
        let mut running = Vec::new();
        for t in batch {
            let log = logs.join(format!("{t}.log"));
            let before = artifacts(t).len();
            running.push((
                t,
                log.clone(),
                before,
                Instant::now(),
                spawn_target(o, t, &log)?,
            ));
        }
        for (t, log, before, started, mut child) in running {
            let status = child.wait().map_err(|e| format!("fuzz {t}: {e}"))?;
            let mut f = Figures {
                target: t.to_string(),
                seconds: started.elapsed().as_secs_f64(),
                ok: status.success(),
                ..Figures::default()
            };
            read_log(&std::fs::read_to_string(&log).unwrap_or_default(), &mut f);
            f.crashes = artifacts(t).into_iter().skip(before).collect();
            if !f.ok && f.crashes.is_empty() {
                eprintln!(
                    "xtask: fuzz {t} exited with {status}; see {}",
                    log.display()
                );
            }
            figures.push(f);
        }
    }
    Ok(figures)
}

fn soak(o: &Options, targets: &[&str]) -> Result<Vec<Figures>, String> {
    let mut cmd = cargo();
    cmd.current_dir(root()).args([
        "test",
        "-p",
        "connecty-proto",
        // The `arrow` target's soak lives with connecty-arrow (the proto
        // crate must not depend on it).
        "-p",
        "connecty-arrow",
        "--release",
        "--test",
        "soak",
        "--",
        "--ignored",
        "--nocapture",
    ]);
    cmd.arg(format!("--test-threads={}", o.jobs));
    if let Some(t) = &o.target {
        cmd.args(["--exact", &format!("soak::{t}")]);
    } else {
        cmd.arg("soak::");
    }
    cmd.env("CONNECTY_SOAK_SECONDS", o.seconds.to_string());
    // stdout is read for the figures; stderr (panics, failing inputs)
    // goes straight through.
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    eprintln!("xtask: soak: CONNECTY_SOAK_SECONDS={} {cmd:?}", o.seconds);
    let out = cmd
        .output()
        .map_err(|e| format!("soak: could not start: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    let mut figures = Vec::new();
    // "soak: <target>: <cases> cases in <secs>s (<rate>/s)..."
    // (The harness may print "test soak::x ... " on the same line.)
    for line in text
        .lines()
        .filter_map(|l| l.find("soak: ").map(|i| &l[i + "soak: ".len()..]))
    {
        let mut parts = line.splitn(2, ": ");
        let (Some(t), Some(rest)) = (parts.next(), parts.next()) else {
            continue;
        };
        let mut f = Figures {
            target: t.to_string(),
            ok: true,
            ..Figures::default()
        };
        f.execs = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        f.seconds = rest
            .split(" in ")
            .nth(1)
            .and_then(|s| s.split('s').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        f.exec_per_sec = rest
            .split('(')
            .nth(1)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok());
        figures.push(f);
    }
    for t in targets {
        if !figures.iter().any(|f| f.target == *t) {
            figures.push(Figures {
                target: t.to_string(),
                ok: false,
                ..Figures::default()
            });
        }
    }
    if !out.status.success() {
        eprintln!(
            "xtask: soak failed ({}): the failing input is printed above",
            out.status
        );
    }
    Ok(figures)
}

fn show(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

/// `cargo xtask fuzz --seconds N [--target NAME] [--jobs N] [--soak]`.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let targets: Vec<&str> = match &o.target {
        Some(t) => TARGETS.iter().copied().filter(|x| x == t).collect(),
        None => TARGETS.to_vec(),
    };
    let (engine, figures) = if o.soak {
        ("proptest soak", soak(&o, &targets)?)
    } else if !have_cargo_fuzz() {
        eprintln!(
            "xtask: cargo-fuzz is not installed (`cargo install cargo-fuzz`): \
             running the proptest soak instead"
        );
        ("proptest soak", soak(&o, &targets)?)
    } else {
        match libfuzzer(&o, &targets) {
            Ok(f) => ("libFuzzer", f),
            Err(e) => {
                eprintln!(
                    "xtask: cargo-fuzz could not build or run the targets ({e}): \
                     running the proptest soak instead"
                );
                ("proptest soak", soak(&o, &targets)?)
            }
        }
    };
    println!("\nfuzz summary ({engine}, {} s per target):", o.seconds);
    println!(
        "{:<14} {:>8} {:>12} {:>9} {:>7} {:>7} {:>12}  result",
        "target", "seconds", "executions", "exec/s", "cov", "ft", "corpus"
    );
    let mut failed = Vec::new();
    for f in &figures {
        let result = if !f.crashes.is_empty() {
            format!(
                "CRASH: {}",
                f.crashes
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if f.ok {
            "ok".to_string()
        } else {
            "FAILED".to_string()
        };
        if !f.ok || !f.crashes.is_empty() {
            failed.push(f.target.clone());
        }
        println!(
            "{:<14} {:>8.0} {:>12} {:>9} {:>7} {:>7} {:>12}  {result}",
            f.target,
            f.seconds,
            show(f.execs),
            show(f.exec_per_sec),
            show(f.cov),
            show(f.ft),
            f.corpus.clone().unwrap_or_else(|| "-".into()),
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz: {} failed: {}",
            failed.len(),
            failed.join(", ")
        ))
    }
}
