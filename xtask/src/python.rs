//! The Python package's step of `cargo xtask ci`: build `connecty` into
//! the project's environment (`target/venv`) with `maturin develop` (a
//! debug build, editable) and run its pytest suite there, after the cargo
//! tests (a Rust failure is cheaper to read first). And the release wheel
//! the bench's `python` section measures.

use std::path::PathBuf;
use std::process::Command;

use crate::{root, run, setup};

fn in_venv(program: &str) -> Command {
    let mut cmd = Command::new(setup::venv().join("bin").join(program));
    cmd.current_dir(root())
        .env("PATH", setup::path_with_venv())
        .env("VIRTUAL_ENV", setup::venv());
    cmd
}

/// `maturin develop`, then `python -m pytest crates/connecty-python/tests`.
pub(crate) fn test() -> Result<(), String> {
    let mut develop = in_venv("maturin");
    develop.args([
        "develop",
        "--manifest-path",
        "crates/connecty-python/Cargo.toml",
    ]);
    run("python package (maturin develop)", develop)?;
    let mut pytest = in_venv("python3");
    pytest.args([
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "crates/connecty-python/tests",
    ]);
    run("python tests (pytest)", pytest)
}

/// The release wheel, as `pip install ./crates/connecty-python` builds
/// it, installed (without its dependencies, which `target/venv` has) into
/// `target/bench-python`, a directory of its own that the bench puts on
/// `PYTHONPATH`: the editable debug build in `target/venv` stays as the
/// tests left it. Returns the interpreter and that directory.
pub(crate) fn bench_wheel() -> Result<(PathBuf, PathBuf), String> {
    let wheels = root().join("target").join("bench-wheel");
    let site = root().join("target").join("bench-python");
    for dir in [&wheels, &site] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
        }
    }
    let mut build = in_venv("maturin");
    build
        .args([
            "build",
            "--release",
            "--manifest-path",
            "crates/connecty-python/Cargo.toml",
            "--out",
        ])
        .arg(&wheels);
    run("python wheel (maturin build --release)", build)?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("cannot read {}: {e}", wheels.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("no wheel in {}", wheels.display()))?;
    let mut install = in_venv("python3");
    install
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
        .arg(&site)
        .arg(&wheel);
    run("python wheel (pip install --target)", install)?;
    Ok((setup::venv().join("bin").join("python3"), site))
}
