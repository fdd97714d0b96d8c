//! Running the CLI benchmark's programs as children: finding them, and
//! measuring each run's wall time and peak RSS.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const GNU_TIME: &str = "/usr/bin/time";
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

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Result<TempDir, String> {
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
pub fn cli_binary() -> Result<(PathBuf, Option<String>), String> {
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
pub fn python() -> Result<(PathBuf, String), String> {
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
pub enum Rss {
    /// `/usr/bin/time -f %M`: the child's `ru_maxrss` from `wait4`.
    GnuTime,
    /// `VmHWM` of `/proc/<pid>/status`, read every millisecond while the
    /// child runs: a lower bound.
    ProcPoll,
}

/// One run: wall time and peak RSS in KiB.
pub struct Sample {
    pub wall: Duration,
    pub rss_kib: u64,
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

pub struct Job<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

pub fn measure(job: &Job<'_>, rss: Rss, out: &Path, tmp: &Path) -> Result<Sample, String> {
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

/// The versions of `curl` and `jq` (the shell baseline's tools), or why
/// they cannot run.
pub fn curl_and_jq() -> Result<String, String> {
    let version = |tool: &str| -> Result<String, String> {
        let out = Command::new(tool)
            .arg("--version")
            .output()
            .map_err(|e| format!("{tool} is not installed ({e}): apt-get install curl jq"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text.lines().next().unwrap_or(tool).trim().to_string())
    };
    let curl = version("curl")?;
    let jq = version("jq")?;
    let curl = curl
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(format!("{curl}, {jq}"))
}

/// Newlines in a file (CSV lines, when no cell holds a line break).
pub fn lines(path: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count())
}

/// The median of a non-empty list (the upper one of an even count).
pub fn median_of<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}
