//! Where results go: stdout (through the pager when a table is taller than
//! the terminal), or `--output FILE`, replaced atomically.
//!
//! | destination | table width | pager |
//! |---|---|---|
//! | stdout, a terminal | `COLUMNS`, else the terminal's | for table and markdown taller than the screen, unless `--no-pager` |
//! | stdout, a pipe or file | never cut | never |
//! | `--output FILE` | never cut | never |
//!
//! A binary format ([`Format::is_binary`]) is refused on a terminal before
//! anything is asked, and an `--output` whose directory cannot take the
//! file is refused the same way (exit 2).

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::atomic::{AtomicFile, Mode};
use crate::cli::{ChartArgs, OutputArgs};
use crate::exit::{ExitStatus, Failure, FailureKind, Outcome};
use crate::format::{DEFAULT_WIDTH, Format};
use crate::interrupt;

/// The pager when neither `CONNECTY_PAGER` nor `PAGER` is set: quits when
/// the text fits (`-F`), keeps colours (`-R`), leaves the text on screen
/// (`-X`), as git does.
pub const DEFAULT_PAGER: &str = "less -FRX";

/// Environment variable naming the pager (wins over `PAGER`).
pub const ENV_PAGER: &str = "CONNECTY_PAGER";

/// What a chart needs besides the answer: the flags, and the question for a
/// title when the answer has no summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChartContext<'a> {
    /// `--x`, `--y`, `--chart`, `--width` (`None`: all unset).
    pub args: Option<&'a ChartArgs>,
    /// The question asked, when known.
    pub question: Option<&'a str>,
}

impl ChartContext<'_> {
    /// The rule's overrides from the flags.
    pub fn request(&self) -> connecty_chart::Request {
        self.args
            .map_or_else(connecty_chart::Request::default, |a| {
                connecty_chart::Request {
                    x: a.x.clone(),
                    y: a.y.clone(),
                    kind: a.chart,
                }
            })
    }
}

/// Where and how one result is written.
#[derive(Debug, Clone, Copy)]
pub struct Output<'a> {
    /// The format.
    pub format: Format,
    /// `--output FILE`.
    pub file: Option<&'a Path>,
    /// Whether the pager may be used (`--no-pager` clears it).
    pub pager: bool,
    /// What `--format chart` and `svg` draw with.
    pub chart: ChartContext<'a>,
}

/// Stdout as a buffered writer; a closed pipe ends quietly. The writer is
/// `Send` (the Parquet encoder needs it): stdout is locked per flush of the
/// 64 KiB buffer rather than held.
pub fn write_stdout(
    f: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    quiet_pipe(f(&mut out).and_then(|()| out.flush()))
}

/// Prints one line on stdout.
pub fn println_out(line: &str) -> Outcome {
    write_stdout(|out| writeln!(out, "{line}"))?;
    Ok(ExitStatus::Success)
}

fn quiet_pipe(r: io::Result<()>) -> Result<(), Failure> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::other(format!("could not write the output: {e}"))),
    }
}

/// The width tables are cut to on a terminal: `COLUMNS`, else the
/// terminal's, else [`DEFAULT_WIDTH`].
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    match terminal_size::terminal_size() {
        Some((terminal_size::Width(w), _)) if w > 0 => usize::from(w),
        _ => DEFAULT_WIDTH,
    }
}

/// The pager command: `CONNECTY_PAGER`, else `PAGER`, else
/// [`DEFAULT_PAGER`]; `None` when the chosen one is empty.
pub fn pager_command(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let cmd = env(ENV_PAGER)
        .or_else(|| env("PAGER"))
        .unwrap_or_else(|| DEFAULT_PAGER.to_string());
    let cmd = cmd.trim();
    (!cmd.is_empty()).then(|| cmd.to_string())
}

impl<'a> Output<'a> {
    /// Where `--format` and `--output` say, through the pager unless
    /// `--no-pager`.
    pub fn new(args: &'a OutputArgs, pager: bool) -> Self {
        Output {
            format: args.format,
            file: args.output.as_deref(),
            pager,
            chart: ChartContext {
                args: Some(&args.chart),
                question: None,
            },
        }
    }

    /// Checks, before anything is asked, that the result can be written:
    /// no binary format on a terminal, and an `--output` file that can be
    /// created beside its target (tried, then removed).
    pub fn check(&self) -> Result<(), Failure> {
        match self.file {
            None => {
                if self.format.is_binary() && io::stdout().is_terminal() {
                    return Err(Failure::usage(
                        format!(
                            "--format {} is binary and stdout is a terminal",
                            self.format_name()
                        ),
                    )
                    .hint(
                        "write it to a file with --output FILE (in the shell: \\output FILE), or redirect stdout",
                    ));
                }
                Ok(())
            }
            Some(path) => {
                if path.is_dir() {
                    return Err(Failure::usage(format!(
                        "--output {} is a directory",
                        path.display()
                    )));
                }
                AtomicFile::create(path, Mode::Ordinary)
                    .map(drop)
                    .map_err(|e| {
                        Failure::usage(format!("cannot write --output {}: {e}", path.display()))
                    })
            }
        }
    }

    fn format_name(&self) -> String {
        use clap::ValueEnum;
        self.format
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// Writes one result: `render` gets the writer and the width to cut
    /// tables to (`None`: never cut).
    pub fn emit(
        &self,
        render: impl FnOnce(&mut (dyn Write + Send), Option<usize>) -> io::Result<()>,
    ) -> Result<(), Failure> {
        if let Some(path) = self.file {
            return write_file(path, render);
        }
        if !io::stdout().is_terminal() {
            return write_stdout(|out| render(out, None));
        }
        let width = Some(terminal_width());
        let env = |k: &str| std::env::var(k).ok();
        let pager = self
            .pager
            .then(|| pager_command(&env))
            .flatten()
            .filter(|_| self.format.is_for_people());
        let Some(pager) = pager else {
            return write_stdout(|out| render(out, width));
        };
        let mut text = Vec::with_capacity(16 * 1024);
        quiet_pipe(render(&mut text, width))?;
        let rows = terminal_size::terminal_size().map_or(usize::MAX, |(_, h)| usize::from(h.0));
        let lines = text.iter().filter(|b| **b == b'\n').count();
        if lines < rows || !page(&pager, &text) {
            return write_stdout(|out| out.write_all(&text));
        }
        Ok(())
    }
}

/// Writes through an [`AtomicFile`]; Ctrl-C while writing leaves the
/// target as it was (exit 130).
fn write_file(
    path: &Path,
    render: impl FnOnce(&mut (dyn Write + Send), Option<usize>) -> io::Result<()>,
) -> Result<(), Failure> {
    let failed = |e: io::Error| {
        Failure::other(format!(
            "could not write {}: {e}; it was left as it was",
            path.display()
        ))
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    let _watch = interrupt::watch(move || flag.store(true, Ordering::SeqCst));
    let mut file = AtomicFile::create(path, Mode::Ordinary).map_err(failed)?;
    {
        let mut out = BufWriter::with_capacity(64 * 1024, file.file());
        render(&mut out, None)
            .and_then(|()| out.flush())
            .map_err(failed)?;
    }
    if interrupted.load(Ordering::SeqCst) {
        drop(file);
        return Err(Failure::new(
            FailureKind::Interrupted,
            format!("interrupted: {} was left as it was", path.display()),
        ));
    }
    file.commit().map_err(failed)?;
    if io::stderr().is_terminal() {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Runs `pager` through the shell with `text` on its stdin; false when it
/// could not be started (the caller prints instead). Ctrl-C goes to the
/// pager alone meanwhile.
#[cfg(unix)]
fn page(pager: &str, text: &[u8]) -> bool {
    use std::process::{Command, Stdio};
    let _watch = interrupt::watch(|| {});
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(pager).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The user may quit the pager before reading everything.
        let _ = stdin.write_all(text);
    }
    let _ = child.wait();
    true
}

/// No pager off Unix: tables are printed as they are.
#[cfg(not(unix))]
fn page(_pager: &str, _text: &[u8]) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_is_connecty_pager_then_pager_then_less() {
        let env = connecty_settings::env_from;
        assert_eq!(
            pager_command(&env(&[("CONNECTY_PAGER", "most"), ("PAGER", "more")])).as_deref(),
            Some("most")
        );
        assert_eq!(
            pager_command(&env(&[("PAGER", "more")])).as_deref(),
            Some("more")
        );
        assert_eq!(pager_command(&env(&[])).as_deref(), Some("less -FRX"));
        assert_eq!(pager_command(&env(&[("CONNECTY_PAGER", " ")])), None);
    }

    #[test]
    fn an_output_file_in_a_missing_directory_is_refused_before_asking() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/out.csv");
        let o = Output {
            format: Format::Csv,
            file: Some(&missing),
            pager: false,
            chart: ChartContext::default(),
        };
        assert_eq!(o.check().unwrap_err().status(), ExitStatus::Usage);
        let ok = dir.path().join("out.csv");
        let o = Output {
            file: Some(&ok),
            ..o
        };
        o.check().unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the probe left nothing"
        );
        let o = Output {
            file: Some(dir.path()),
            ..o
        };
        assert!(o.check().unwrap_err().message.contains("is a directory"));
    }
}
