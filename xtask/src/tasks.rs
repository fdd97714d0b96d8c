//! `bench` and `conformance`: thin wrappers over the crates that do the work.

use crate::{cargo, python, root, run, setup};

/// `cargo xtask bench [--quick] [--only NAME,...]`: builds connecty-bench in
/// the `bench` profile (release, thin LTO, one codegen unit: the root
/// `Cargo.toml`), runs it, and writes docs/benchmarks.md (unless `--only`
/// picks a subset, which prints to stdout instead). Its parse section runs
/// `cargo bench -p connecty-bench --bench parse` and `--bench parse_heap`,
/// which use the same profile. Its python section needs the release wheel
/// ([`python::bench_wheel`]) and the project's Python environment, which
/// this prepares first.
pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.current_dir(root()).args([
        "run",
        "--profile",
        "bench",
        "--quiet",
        "-p",
        "connecty-bench",
        "--",
    ]);
    let partial = args.iter().any(|a| a == "--only");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let wants = |name: &str| only.is_none_or(|names| names.split(',').any(|n| n.trim() == name));
    // The python section (the release wheel against pandas) and the CLI
    // section's Python + pandas contender run in the project's
    // environment, which must hold them.
    if wants("python") || wants("cli") {
        setup::ensure(setup::Mode::Install)?;
    }
    if wants("python") {
        let (python, site) = python::bench_wheel()?;
        cmd.env("CONNECTY_BENCH_PYTHON", python)
            .env("CONNECTY_BENCH_PYTHONPATH", site);
    }
    cmd.env("PATH", setup::path_with_venv());
    cmd.args(args);
    if !partial {
        cmd.args(["--out", "docs/benchmarks.md"]);
    }
    run("bench", cmd)
}

/// `cargo xtask conformance [FILTER...] [--adapter NAME]`: every fixture
/// against every adapter, printed as a matrix; non-zero on any failure.
pub(crate) fn conformance(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["run", "--quiet", "-p", "connecty-conformance", "--"])
        .args(args);
    run("conformance", cmd)
}
