//! The Python package's step of `cargo xtask ci`: build `connecty` into
//! the project's environment (`target/venv`) with `maturin develop` (a
//! debug build, editable) and run its pytest suite there, after the cargo
//! tests (a Rust failure is cheaper to read first).

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
