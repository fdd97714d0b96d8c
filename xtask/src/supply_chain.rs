//! Supply chain: `cargo deny` over the workspace, with `deny.toml`.

use std::process::Command;

use crate::{cargo, root, run};

fn deny_installed() -> bool {
    cargo()
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

const NOT_INSTALLED: &str = "cargo-deny is not installed: .ci/run installs it; \
     elsewhere run `cargo install cargo-deny --locked`";

/// `cargo deny check bans licenses sources`: licences, duplicate versions,
/// and crates only from crates.io. Works offline.
pub fn deny() -> Result<(), String> {
    if !deny_installed() {
        return Err(NOT_INSTALLED.into());
    }
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["deny", "check", "bans", "licenses", "sources"]);
    run("cargo deny", cmd)
}

/// Whether cargo-deny's output says the advisory database could not be
/// fetched (no network).
fn fetch_failed(output: &str) -> bool {
    let o = output.to_ascii_lowercase();
    [
        "failed to fetch advisory database",
        "failed to clone",
        "unable to access",
        "could not resolve host",
        "failed to resolve",
        "failed to open advisory database",
        "failed to load advisory database",
    ]
    .iter()
    .any(|m| o.contains(m))
}

/// `cargo deny check advisories`: known vulnerabilities, unmaintained and
/// yanked crates. It fetches the RustSec advisory database, so it needs a
/// network.
pub fn audit() -> Result<(), String> {
    if !deny_installed() {
        return Err(NOT_INSTALLED.into());
    }
    let mut cmd: Command = cargo();
    cmd.current_dir(root())
        .args(["deny", "check", "advisories"]);
    eprintln!("xtask: audit: {cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| format!("audit: could not start cargo deny: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{text}");
    if out.status.success() {
        return Ok(());
    }
    if fetch_failed(&text) {
        return Err(
            "audit: the RustSec advisory database could not be fetched. \
             `cargo deny check advisories` needs a network to clone or update it \
             (https://github.com/rustsec/advisory-db); these build machines have \
             none. Run `cargo xtask audit` where a network exists (a developer \
             machine, or a CI runner with network access)."
                .into(),
        );
    }
    Err(format!(
        "audit: cargo deny check advisories failed ({})",
        out.status
    ))
}
