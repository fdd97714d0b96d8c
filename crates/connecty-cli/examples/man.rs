//! Writes a man page for `connecty` and each of its commands
//! (`connecty.1`, `connecty-ask.1`, ...) from the same argument definitions
//! as `--help` and the completions. `cargo xtask man` runs it:
//!
//! ```text
//! cargo run -p connecty-cli --example man -- DIR
//! ```

use std::path::{Path, PathBuf};

/// Writes the pages of `cmd` and its subcommands into `dir`, named after
/// the command path joined with `-`; returns the files written.
fn write_pages(cmd: clap::Command, dir: &Path, prefix: &str) -> std::io::Result<Vec<PathBuf>> {
    let (name, invoked) = if prefix.is_empty() {
        (cmd.get_name().to_string(), cmd.get_name().to_string())
    } else {
        (
            format!("{prefix}-{}", cmd.get_name()),
            format!("{} {}", prefix.replace('-', " "), cmd.get_name()),
        )
    };
    let mut written = Vec::new();
    let page = dir.join(format!("{name}.1"));
    let mut buf = Vec::new();
    let titled = cmd.clone().display_name(name.clone()).bin_name(invoked);
    clap_mangen::Man::new(titled).render(&mut buf)?;
    std::fs::write(&page, buf)?;
    written.push(page);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written.extend(write_pages(sub.clone(), dir, &name)?);
    }
    Ok(written)
}

fn main() -> std::process::ExitCode {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/man".into()),
    );
    let result =
        std::fs::create_dir_all(&dir).and_then(|()| write_pages(connecty_cli::command(), &dir, ""));
    match result {
        Ok(pages) => {
            for p in &pages {
                println!("{}", p.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the man pages to {}: {e}",
                dir.display()
            );
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_gets_a_page() {
        let dir = tempfile::tempdir().unwrap();
        let pages = write_pages(connecty_cli::command(), dir.path(), "").unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "connecty.1",
            "connecty-ask.1",
            "connecty-shell.1",
            "connecty-configure.1",
            "connecty-completions.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        let ask = std::fs::read_to_string(dir.path().join("connecty-ask.1")).unwrap();
        assert!(ask.starts_with(".ie") || ask.contains(".TH"), "{ask}");
        assert!(ask.contains("\\-\\-output"), "{ask}");
    }
}
