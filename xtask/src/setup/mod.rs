//! `cargo xtask setup` and the first step of `cargo xtask ci`: every program
//! and Python package the tests talk to, checked before anything is built,
//! and what is missing installed in one step per package manager.
//!
//! The list is [`NEEDS`], one row per thing a test starts or imports, with
//! the test that needs it. A test never skips because one is missing: it
//! fails and names the install command, so the list here must be complete.
//!
//! Where each kind goes:
//! - Debian packages: one `apt-get install` (through `sudo` unless root),
//!   after `apt-get update` only if the first try fails;
//! - Python packages: one `pip install` of pinned versions into the
//!   project's own virtual environment, `target/venv`, never into the
//!   user's Python; `cargo xtask ci` puts its `bin/` first on `PATH`, so the
//!   tests' `python3` is that environment's;
//! - cargo tools: `cargo install --locked` at a pinned version;
//! - npm packages: one `npm install --prefix target/node` of pinned
//!   versions; the tests find them under `target/node/node_modules`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{cargo, root, run as run_step};

mod needs;

use needs::{NEEDS, Need, Source};

/// The project's Python environment: `target/venv` under the repository.
pub(crate) fn venv() -> PathBuf {
    root().join("target").join("venv")
}

/// Where the tests' npm packages are installed: `target/node`.
pub(crate) fn node_prefix() -> PathBuf {
    root().join("target").join("node")
}

fn npm_has(package: &str, version: &str) -> bool {
    let manifest = node_prefix()
        .join("node_modules")
        .join(package)
        .join("package.json");
    std::fs::read_to_string(manifest)
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
}

fn venv_python() -> PathBuf {
    venv().join("bin").join("python3")
}

/// `PATH` with the project's Python environment first.
pub(crate) fn path_with_venv() -> std::ffi::OsString {
    let mut dirs = vec![venv().join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

fn quiet(mut cmd: Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(program: &str) -> bool {
    let found = |dir: &Path| dir.join(program).is_file();
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| found(&d)))
        || found(Path::new("/usr/sbin"))
}

fn python_has(module: &str, distribution: &str, version: &str) -> bool {
    let python = venv_python();
    if !python.is_file() {
        return false;
    }
    // The installed distribution's version (not every package has a
    // `__version__`: `mcp` does not), and the module must import.
    let mut cmd = Command::new(python);
    cmd.args([
        "-c",
        &format!(
            "import sys, importlib.metadata, {module}; \
             sys.exit(importlib.metadata.version({distribution:?}) != {version:?})"
        ),
    ]);
    quiet(cmd)
}

fn present(source: Source) -> bool {
    match source {
        Source::Debian { program, .. } => on_path(program),
        Source::Python {
            module,
            distribution,
            version,
        } => python_has(module, distribution, version),
        Source::Npm { package, version } => npm_has(package, version),
        Source::Cargo { subcommand, .. } => {
            let mut cmd = cargo();
            cmd.args([subcommand, "--version"]);
            quiet(cmd)
        }
    }
}

/// What is missing, in [`NEEDS`] order.
fn missing() -> Vec<Need> {
    NEEDS
        .iter()
        .copied()
        .filter(|n| !present(n.source))
        .collect()
}

/// The commands that install `missing`, one per package manager, as a
/// person would type them (for the message when installing fails or is
/// not wanted).
fn install_commands(missing: &[Need]) -> Vec<String> {
    let mut out = Vec::new();
    let debian: Vec<&str> = missing
        .iter()
        .filter_map(|n| match n.source {
            Source::Debian { packages, .. } => packages.first().copied(),
            _ => None,
        })
        .collect();
    if !debian.is_empty() {
        out.push(format!(
            "sudo apt-get install --no-install-recommends {}",
            debian.join(" ")
        ));
    }
    let python = python_pins(missing);
    if !python.is_empty() {
        out.push(format!(
            "python3 -m venv target/venv && target/venv/bin/python3 -m pip install {}",
            python.join(" ")
        ));
    }
    let npm = npm_pins(missing);
    if !npm.is_empty() {
        out.push(format!(
            "npm install --prefix target/node --no-audit --no-fund {}",
            npm.join(" ")
        ));
    }
    for n in missing {
        if let Source::Cargo { krate, version, .. } = n.source {
            out.push(format!(
                "cargo install {krate} --locked --version {version}"
            ));
        }
    }
    out
}

/// `distribution==version` for each Python package among `needs`.
fn python_pins(needs: &[Need]) -> Vec<String> {
    needs
        .iter()
        .filter_map(|n| match n.source {
            Source::Python {
                distribution,
                version,
                ..
            } => Some(format!("{distribution}=={version}")),
            _ => None,
        })
        .collect()
}

/// `package@version` for each npm package among `needs`.
fn npm_pins(needs: &[Need]) -> Vec<String> {
    needs
        .iter()
        .filter_map(|n| match n.source {
            Source::Npm { package, version } => Some(format!("{package}@{version}")),
            _ => None,
        })
        .collect()
}

fn describe(n: &Need) -> String {
    let what = match n.source {
        Source::Debian { program, .. } => format!("{program} (Debian)"),
        Source::Python {
            distribution,
            version,
            ..
        } => format!("{distribution} {version} (Python, in target/venv)"),
        Source::Cargo { krate, version, .. } => format!("{krate} {version} (cargo)"),
        Source::Npm { package, version } => format!("{package} {version} (npm, in target/node)"),
    };
    format!("{what}: {}", n.used_by)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn apt_get() -> Command {
    let mut cmd = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// The package among `choices` that the archive knows, the first one
/// when it knows none (apt-get will then say so).
fn known_package(choices: &[&'static str]) -> &'static str {
    choices
        .iter()
        .copied()
        .find(|p| {
            let mut cmd = Command::new("apt-cache");
            cmd.args(["show", p]);
            quiet(cmd)
        })
        .unwrap_or(choices[0])
}

fn install_debian(needs: &[Need]) -> Result<(), String> {
    let choices: Vec<&[&'static str]> = needs
        .iter()
        .filter_map(|n| match n.source {
            Source::Debian { packages, .. } => Some(packages),
            _ => None,
        })
        .collect();
    if choices.is_empty() {
        return Ok(());
    }
    let install = || {
        let mut cmd = apt_get();
        cmd.args(["install", "-y", "-qq", "--no-install-recommends"]);
        cmd.args(choices.iter().map(|c| known_package(c)));
        cmd
    };
    if run_step("apt-get install", install()).is_ok() {
        return Ok(());
    }
    // A fresh machine's package index may be empty or stale.
    let mut update = apt_get();
    update.args(["update", "-qq"]);
    run_step("apt-get update", update)?;
    run_step("apt-get install", install())
}

fn install_python(needs: &[Need]) -> Result<(), String> {
    let pins = python_pins(needs);
    if pins.is_empty() {
        return Ok(());
    }
    if !venv_python().is_file() {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "venv"]).arg(venv());
        run_step("python3 -m venv", cmd).map_err(|e| {
            format!(
                "{e}: the tests' Python packages go into target/venv, which needs \
                 Python's venv module (Debian: `sudo apt-get install python3-venv`)"
            )
        })?;
    }
    let mut pip = Command::new(venv_python());
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ])
    .args(&pins);
    run_step("pip install", pip)
}

fn install_npm(needs: &[Need]) -> Result<(), String> {
    let pins = npm_pins(needs);
    if pins.is_empty() {
        return Ok(());
    }
    let mut cmd = Command::new("npm");
    cmd.args(["install", "--prefix"])
        .arg(node_prefix())
        .args(["--no-audit", "--no-fund", "--loglevel", "error"])
        .args(&pins);
    run_step("npm install", cmd)
}

fn install_cargo(needs: &[Need]) -> Result<(), String> {
    for n in needs {
        if let Source::Cargo { krate, version, .. } = n.source {
            let mut cmd = cargo();
            cmd.args(["install", krate, "--locked", "--version", version]);
            run_step("cargo install", cmd)?;
        }
    }
    Ok(())
}

/// Whether `setup` may install what is missing or must only report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Install what is missing, then check again.
    Install,
    /// Report what is missing and how to install it; install nothing.
    Check,
}

/// Checks every requirement; installs the missing ones (one step per
/// package manager) in [`Mode::Install`]. Fails, naming everything still
/// missing and the commands that install it, before anything is built.
pub(crate) fn ensure(mode: Mode) -> Result<(), String> {
    let before = missing();
    if before.is_empty() {
        eprintln!(
            "xtask: setup: all {} test requirements present",
            NEEDS.len()
        );
        return Ok(());
    }
    let list = |needs: &[Need]| {
        needs
            .iter()
            .map(|n| format!("  - {}", describe(n)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if mode == Mode::Install {
        eprintln!(
            "xtask: setup: installing what is missing:\n{}",
            list(&before)
        );
        // Each step is tried even when an earlier one failed, so that one
        // run installs all it can; the check below says what is left.
        let steps = [
            install_debian(&before),
            install_python(&before),
            install_npm(&before),
            install_cargo(&before),
        ];
        for e in steps.iter().filter_map(|s| s.as_ref().err()) {
            eprintln!("xtask: setup: {e}");
        }
    }
    let after = missing();
    if after.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the tests need what is missing here:\n{}\n{} it with:\n  {}\n(`cargo xtask setup` runs these)",
        list(&after),
        if mode == Mode::Install {
            "installing failed; install"
        } else {
            "install"
        },
        install_commands(&after).join("\n  ")
    ))
}

/// `cargo xtask setup [--check]`.
pub(crate) fn setup(args: &[String]) -> Result<(), String> {
    match args {
        [] => ensure(Mode::Install),
        [flag] if flag == "--check" => ensure(Mode::Check),
        _ => Err("usage: cargo xtask setup [--check]".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_commands_name_one_step_per_manager() {
        let commands = install_commands(NEEDS);
        assert_eq!(
            commands,
            [
                "sudo apt-get install --no-install-recommends nginx-light tinyproxy zsh fish npm",
                "python3 -m venv target/venv && target/venv/bin/python3 -m pip install pyarrow==26.0.1 duckdb==2.0.0 mcp==2.3.0 maturin==1.16.0 pytest==9.2.0 polars==2.1.0 pandas==3.1.1",
                "npm install --prefix target/node --no-audit --no-fund @modelcontextprotocol/inspector-cli@1.0.3",
                "cargo install cargo-deny --locked --version 0.20.2",
            ]
        );
        assert!(install_commands(&[]).is_empty());
    }

    #[test]
    fn every_need_says_who_needs_it() {
        for n in NEEDS {
            assert!(!n.used_by.is_empty(), "{n:?}");
            assert!(describe(n).contains(n.used_by));
        }
    }
}
