//! `bench` and `conformance`: thin wrappers over the crates that do the work.

use crate::{cargo, root, run};

/// `cargo xtask bench [--quick] [--only NAME,...]`: builds connecty-bench in
/// the `bench` profile (release, thin LTO, one codegen unit: the root
/// `Cargo.toml`), runs it, and writes docs/benchmarks.md (unless `--only`
/// picks a subset, which prints to stdout instead). Its parse section runs
/// `cargo bench -p connecty-bench --bench parse` and `--bench parse_heap`,
/// which use the same profile.
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
