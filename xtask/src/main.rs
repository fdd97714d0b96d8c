//! `cargo xtask`: the project's own tasks. `cargo xtask ci` is exactly what
//! CI runs.

use std::process::{Command, ExitCode};

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(name: &str, mut cmd: Command) -> Result<(), String> {
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

fn ci() -> Result<(), String> {
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
    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-Dwarnings");
    run("rustdoc", doc)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        _ => {
            eprintln!("usage: cargo xtask <ci>");
            eprintln!("  ci    fmt --check, clippy -D warnings, all tests, rustdoc -D warnings");
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
