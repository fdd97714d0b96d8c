//! The timing binaries: sections whose timings must not run under this
//! binary's counting allocator have a binary of their own in `src/bin/`
//! (`arrow-timing`, `mcp-timing`) on the system allocator.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds `target/release/<name>` through cargo in the bench profile, the
/// profile every contender is measured in (a no-op when fresh), and
/// returns its path.
pub fn binary(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let bin = exe.with_file_name(name);
    let build = format!("cargo build --profile bench -p connecty-bench --bin {name}");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = Command::new(cargo)
            .args(["build", "--profile", "bench", "--quiet"])
            .args(["-p", "connecty-bench", "--bin", name])
            .current_dir(workspace)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("running cargo: {e}"))?;
        if !status.success() {
            return Err(format!("`{build}` failed"));
        }
    }
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing; build it with `{build}`",
            bin.display()
        ))
    }
}
