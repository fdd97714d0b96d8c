//! The emulator in a child process.
//!
//! The bench binary starts itself again as `connecty-bench --serve-emulator`
//! so the emulator's heap, threads and allocations stay out of the bench
//! process: the counting allocator then sees only the client side, and the
//! emulator's own runtime does not share the client's thread pool.
//!
//! Protocol on the child's stdin/stdout, one line each way:
//! - the child prints `ready <base_url> <client_id> <client_secret>` once
//!   the emulator listens (the credentials are the emulator's own test
//!   credentials, not secrets);
//! - `stats` is answered with `<token_requests> <requests> <connections>
//!   <questions>`;
//! - end of stdin stops the emulator and the child.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use connecty_emulator::{Emulator, Schedule};

/// The emulator's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests to the token endpoint.
    pub token_requests: u64,
    /// HTTP requests on every path.
    pub requests: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// Questions accepted.
    pub questions: u64,
}

impl Stats {
    /// The counts between `earlier` and `self`.
    pub fn since(self, earlier: Stats) -> Stats {
        Stats {
            token_requests: self.token_requests.saturating_sub(earlier.token_requests),
            requests: self.requests.saturating_sub(earlier.requests),
            connections: self.connections.saturating_sub(earlier.connections),
            questions: self.questions.saturating_sub(earlier.questions),
        }
    }
}

/// This binary, to start children of it (the emulator, the MCP server):
/// `/proc/self/exe` still runs it after cargo replaced the file (the parse
/// and arrow sections' `cargo bench`/`cargo build` relink it mid-run),
/// where the path from `current_exe` would name a deleted file.
pub fn self_exe() -> Result<std::path::PathBuf, String> {
    let proc_exe = std::path::Path::new("/proc/self/exe");
    if proc_exe.exists() {
        return Ok(proc_exe.to_path_buf());
    }
    std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))
}

/// A running emulator in a child process, with `Schedule::IMMEDIATE`.
pub struct EmuProc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The emulator's client id.
    pub client_id: String,
    /// The emulator's (test) client secret.
    pub client_secret: String,
}

impl EmuProc {
    /// Starts an emulator with an `events` table of `large_rows` rows (0 for
    /// none) and waits until it listens.
    pub fn start(large_rows: u64) -> Result<EmuProc, String> {
        Self::start_with(large_rows, None)
    }

    /// [`start`](Self::start) with access tokens that live `token_ttl`
    /// (the emulator's default, one hour, when `None`).
    pub fn start_with(large_rows: u64, token_ttl: Option<Duration>) -> Result<EmuProc, String> {
        let exe = self_exe()?;
        let mut child = Command::new(exe)
            .arg("--serve-emulator")
            .arg(large_rows.to_string())
            .args(token_ttl.map(|t| t.as_millis().to_string()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the emulator process: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the emulator process has no stdin/stdout".into());
        };
        let mut emu = EmuProc {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            base_url: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
        };
        let line = emu.read_line()?;
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("ready"), Some(url), Some(id), Some(secret)) => {
                emu.base_url = url.to_string();
                emu.client_id = id.to_string();
                emu.client_secret = secret.to_string();
                Ok(emu)
            }
            _ => Err(format!(
                "the emulator process did not start: {}",
                line.chars().take(200).collect::<String>()
            )),
        }
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the emulator process ended".into()),
            Ok(_) => Ok(line.trim().to_string()),
            Err(e) => Err(format!("reading from the emulator process: {e}")),
        }
    }

    /// The emulator's counters now.
    pub fn stats(&mut self) -> Result<Stats, String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| "the emulator process was stopped".to_string())?;
        stdin
            .write_all(b"stats\n")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to the emulator process: {e}"))?;
        let line = self.read_line()?;
        let n: Vec<u64> = line
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        match n[..] {
            [token_requests, requests, connections, questions] => Ok(Stats {
                token_requests,
                requests,
                connections,
                questions,
            }),
            _ => Err(format!("unexpected emulator stats line: {line:?}")),
        }
    }
}

impl Drop for EmuProc {
    fn drop(&mut self) {
        // End of stdin stops the child; it shuts the emulator down within
        // about two seconds. Kill it (our own child, by handle) if not.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return;
                }
            }
        }
    }
}

/// The child side: `connecty-bench --serve-emulator <large_rows>
/// [<token_ttl_ms>]`.
pub fn serve(args: &[String]) -> i32 {
    let rows = args.first().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut builder = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .large_table_rows(rows);
    if let Some(ms) = args.get(1).and_then(|s| s.parse::<u64>().ok()) {
        builder = builder.token_ttl(Duration::from_millis(ms));
    }
    let emulator = match builder.start() {
        Ok(e) => e,
        Err(e) => {
            println!("error {e}");
            return 1;
        }
    };
    let mut out = std::io::stdout().lock();
    let ready = writeln!(
        out,
        "ready {} {} {}",
        emulator.base_url(),
        emulator.client_id(),
        emulator.client_secret()
    )
    .and_then(|()| out.flush());
    if ready.is_err() {
        return 1;
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "stats" {
            let written = writeln!(
                out,
                "{} {} {} {}",
                emulator.token_requests(),
                emulator.requests(),
                emulator.connections(),
                emulator.questions_asked()
            )
            .and_then(|()| out.flush());
            if written.is_err() {
                break;
            }
        }
    }
    emulator.shutdown();
    0
}
