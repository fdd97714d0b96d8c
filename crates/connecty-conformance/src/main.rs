//! `cargo run -p connecty-conformance [-- [--fixtures DIR] [--adapter NAME]... [FILTER]...]`
//!
//! Runs the fixtures (those shipped with connecty-testkit, or those in
//! `DIR`) whose names contain any `FILTER` against every adapter (or those
//! named), prints the matrix, and exits 1 if any run failed (2 on a usage
//! or fixture error).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

use connecty_testkit::Fixture;

const USAGE: &str =
    "usage: connecty-conformance [--fixtures DIR] [--adapter NAME]... [--threads N] [FILTER]...";

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut filters: Vec<String> = Vec::new();
    let mut threads = connecty_conformance::default_threads();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fixtures" => match args.next() {
                Some(d) => dir = Some(PathBuf::from(d)),
                None => return usage("--fixtures needs a directory"),
            },
            "--adapter" => match args.next() {
                Some(a) => only.push(a),
                None => return usage("--adapter needs a name"),
            },
            "--threads" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => threads = n,
                None => return usage("--threads needs a number"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if other.starts_with("--") => return usage(&format!("unknown option {other}")),
            other => filters.push(other.to_string()),
        }
    }
    let dir = dir.unwrap_or_else(connecty_testkit::fixtures_dir);
    let fixtures = match Fixture::load_dir(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("connecty-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let fixtures: Vec<Fixture> = fixtures
        .into_iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|p| f.name.contains(p.as_str())))
        .collect();
    let adapters: Vec<_> = connecty_conformance::adapters()
        .into_iter()
        .filter(|a| only.is_empty() || only.iter().any(|o| o == a.name()))
        .collect();
    if fixtures.is_empty() || adapters.is_empty() {
        eprintln!(
            "connecty-conformance: nothing to run ({} fixtures in {}, {} adapters selected)",
            fixtures.len(),
            dir.display(),
            adapters.len()
        );
        return ExitCode::from(2);
    }
    println!(
        "connecty conformance: {} fixtures from {} x {} adapters\n",
        fixtures.len(),
        dir.display(),
        adapters.len()
    );
    let matrix = connecty_conformance::matrix::run(&fixtures, &adapters, threads);
    print!("{}", matrix.render());
    if matrix.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("connecty-conformance: {problem}\n{USAGE}");
    ExitCode::from(2)
}
