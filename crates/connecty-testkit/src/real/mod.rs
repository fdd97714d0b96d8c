//! Real third-party servers for tests: nginx and tinyproxy from the
//! operating system's packages, started on loopback for one test and
//! stopped with it.
//!
//! Each server runs as the current user, in the foreground, on a free
//! `127.0.0.1` port, with a configuration generated into a temporary
//! directory that also holds its pid file and logs; nothing is written to
//! system paths. Dropping the handle kills the process and removes the
//! directory.
//!
//! A missing binary is an error, never a skip: [`RealError::Missing`] says
//! to run `.ci/run`, which installs Debian's `nginx-light` and `tinyproxy`.
//!
//! ```no_run
//! use connecty_emulator::Emulator;
//! use connecty_testkit::net::TestCa;
//! use connecty_testkit::real::{Nginx, Tinyproxy};
//!
//! let emulator = Emulator::builder().start()?;
//! let nginx = Nginx::tls_in_front_of(emulator.addr(), TestCa::shared())?;
//! let proxy = Tinyproxy::start(&[nginx.port()])?;
//! println!("{} through {}", nginx.url(), proxy.url());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod nginx;
mod stack;
mod tinyproxy;

pub use nginx::{AccessLine, Nginx};
pub use stack::Stack;
pub use tinyproxy::Tinyproxy;

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections after its start.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a real server could not be started.
#[derive(Debug)]
#[non_exhaustive]
pub enum RealError {
    /// The program is not installed.
    Missing {
        /// The program, such as `nginx`.
        program: &'static str,
        /// The Debian package that has it.
        package: &'static str,
    },
    /// Writing its configuration or starting it failed.
    Io(String, std::io::Error),
    /// The emulator behind a [`Stack`] did not start.
    Emulator(connecty_emulator::EmulatorError),
    /// It exited, or did not listen in time; its log says why.
    NotReady {
        /// The program.
        program: &'static str,
        /// The end of its log and standard error.
        log: String,
    },
}

impl fmt::Display for RealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealError::Missing { program, package } => write!(
                f,
                "{program} is not installed: run .ci/run, which installs it (apt-get install -y {package}); these tests never skip"
            ),
            RealError::Io(what, e) => write!(f, "{what}: {e}"),
            RealError::Emulator(e) => write!(f, "{e}"),
            RealError::NotReady { program, log } => {
                write!(f, "{program} did not start listening on loopback:\n{log}")
            }
        }
    }
}

impl std::error::Error for RealError {}

/// The path of `program`: on `PATH`, or in the `sbin` directories Debian
/// installs servers to (often not on a user's `PATH`).
pub fn find_program(program: &'static str, package: &'static str) -> Result<PathBuf, RealError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            [
                "/usr/sbin",
                "/usr/bin",
                "/usr/local/sbin",
                "/usr/local/bin",
                "/sbin",
            ]
            .map(PathBuf::from),
        )
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(RealError::Missing { program, package })
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> Result<u16, RealError> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| RealError::Io("no free loopback port".into(), e))
}

/// A started server process: killed, and its directory removed, on drop.
pub(crate) struct Process {
    program: &'static str,
    child: Child,
    dir: tempfile::TempDir,
}

impl Process {
    /// Starts `command` (its output going to `stderr.log` in `dir`) and
    /// waits until `127.0.0.1:port` accepts connections.
    pub(crate) fn start(
        program: &'static str,
        mut command: Command,
        dir: tempfile::TempDir,
        port: u16,
        log: &str,
    ) -> Result<Process, RealError> {
        let stderr = std::fs::File::create(dir.path().join("stderr.log"))
            .map_err(|e| RealError::Io(format!("cannot write into {}", dir.path().display()), e))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| RealError::Io(format!("cannot start {program}"), e))?;
        let mut process = Process {
            program,
            child,
            dir,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Ok(process);
            }
            let exited = matches!(process.child.try_wait(), Ok(Some(_)));
            if exited || started.elapsed() > READY_TIMEOUT {
                return Err(RealError::NotReady {
                    program,
                    log: process.tail(log),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The end of `log` and of standard error, for a failure message.
    pub(crate) fn tail(&self, log: &str) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let text = format!("{}{}", read(log), read("stderr.log"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        tracing::debug!(program = self.program, "stopped");
    }
}

/// `read()` once it returns at least `n` items (the servers log as they
/// go, just after answering), waiting at most 5 s.
pub(crate) fn at_least<T>(n: usize, read: impl Fn() -> Vec<T>) -> Vec<T> {
    let started = Instant::now();
    loop {
        let items = read();
        if items.len() >= n || started.elapsed() > Duration::from_secs(5) {
            return items;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A new temporary directory for a server's files.
pub(crate) fn temp_dir(program: &str) -> Result<tempfile::TempDir, RealError> {
    tempfile::Builder::new()
        .prefix(&format!("connecty-{program}-"))
        .tempdir()
        .map_err(|e| RealError::Io("cannot make a temporary directory".into(), e))
}

/// Writes `text` to `dir/name`.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, RealError> {
    let path = dir.join(name);
    std::fs::write(&path, text)
        .map_err(|e| RealError::Io(format!("cannot write {}", path.display()), e))?;
    Ok(path)
}
