//! `cargo xtask`: the project's own tasks. `cargo xtask ci` is exactly what
//! CI runs.
//!
//! Each task is one function and one arm of the `match` in [`main`]; add a
//! task by adding both (and a line to [`USAGE`]).

mod fuzz;
mod python;
mod setup;
mod supply_chain;
mod tasks;
#[cfg(test)]
mod tidy;

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <task> [options]

tasks:
  ci                 setup, then fmt --check, clippy -D warnings, all tests,
                     the Python package's tests, rustdoc -D warnings,
                     cargo deny check bans licenses sources
  python             build the Python package into target/venv (maturin develop)
                     and run its pytest suite (the step `ci` runs after the
                     cargo tests)
  setup              check the programs and Python packages the tests need and
                     install what is missing (apt-get, pip into target/venv,
                     cargo install), one step each
                       --check         only say what is missing and how to install it
  fuzz               run every fuzz target (or one) and report executions and coverage:
                       --seconds N     per target (default 60)
                       --target NAME   only this target
                       --jobs N        targets run at once (default 1)
                       --keep-going    libFuzzer's fork mode: save crashes and go on
                       --soak          the proptest soak even where cargo-fuzz works
                     without a usable cargo-fuzz it runs the proptest soak instead
  fuzz-seeds         write the seed corpus to fuzz/corpus/<target>/
  audit              cargo deny check advisories (needs a network)
  bench              connecty-bench in the bench profile; writes docs/benchmarks.md
                       --quick, --only NAME,... (prints instead)
  conformance        every fixture against every adapter [FILTER...] [--adapter NAME]
  man                man pages for `connecty` and every command (clap_mangen)
                       [DIR]           where to write them (default target/man)";

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn run(name: &str, mut cmd: Command) -> Result<(), String> {
    eprintln!("xtask: {name}: {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

/// The repository root (the parent of `xtask/`).
pub(crate) fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| ".".into())
}

fn ci() -> Result<(), String> {
    // Before anything is built: a missing program fails here in seconds,
    // not after minutes of compiling.
    setup::ensure(setup::Mode::Install)?;
    // The tests' `python3` is the project's environment, where setup put
    // the Python packages they import.
    let cargo = || {
        let mut cmd = cargo();
        cmd.env("PATH", setup::path_with_venv())
            .env("VIRTUAL_ENV", setup::venv());
        cmd
    };
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run("fmt", fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run("clippy", clippy)?;
    let mut test = cargo();
    test.args(["test", "--workspace", "--all-targets"]);
    run("test", test)?;
    let mut doctest = cargo();
    doctest.args(["test", "--workspace", "--doc"]);
    run("doctest", doctest)?;
    python::test()?;
    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-Dwarnings");
    run("rustdoc", doc)?;
    supply_chain::deny()?;
    Ok(())
}

/// `cargo xtask man [DIR]`: the CLI's `man` example writes one page per
/// command from the same definitions as `--help` and the completions.
fn man(rest: &[String]) -> Result<(), String> {
    let dir = rest
        .first()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target").join("man"));
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "connecty-cli",
        "--example",
        "man",
        "--",
    ])
    .arg(&dir);
    run("man", cmd)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("setup") => setup::setup(rest),
        Some("fuzz") => fuzz::fuzz(rest),
        Some("fuzz-seeds") => fuzz::seeds(),
        Some("audit") => supply_chain::audit(),
        Some("bench") => tasks::bench(rest),
        Some("conformance") => tasks::conformance(rest),
        Some("man") => man(rest),
        Some("python") => python::test(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
