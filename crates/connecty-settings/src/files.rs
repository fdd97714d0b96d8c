//! Where the profile files live, and reading them: the config directory,
//! config.toml, credentials.toml (refused when others can read it).

use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::Error;

/// Environment variable naming the config directory.
pub const ENV_CONFIG_DIR: &str = "CONNECTY_CONFIG_DIR";
/// The settings file, in the config directory.
pub const CONFIG_FILE: &str = "config.toml";
/// The secrets file, in the config directory (mode 0600).
pub const CREDENTIALS_FILE: &str = "credentials.toml";
/// The shell's history file, in the config directory.
pub const HISTORY_FILE: &str = "history";

/// `$CONNECTY_CONFIG_DIR`, else the platform's config directory +
/// `connecty` (`$XDG_CONFIG_HOME/connecty` or `~/.config/connecty` on
/// Linux). `None` when neither is known (no home directory).
pub fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env(ENV_CONFIG_DIR).filter(|v| !v.trim().is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::config_dir().map(|d| d.join("connecty")),
    }
}

/// Creates `dir` (and its parents) when missing, with mode 0700 on Unix:
/// it holds secrets and the shell's history.
pub fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::invalid(format!("cannot create {}: {e}", dir.display())))
}

/// A parsed profile file, or `None` when it does not exist. `secret` says
/// it is credentials.toml: then no error quotes its text.
pub fn read_doc(path: &Path, secret: bool) -> Result<Option<DocumentMut>, Error> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::invalid(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let bad = |detail: String| {
        Error::invalid(format!("{} is not valid TOML: {detail}", path.display())).hint(format!(
            "fix or remove it, or rewrite the profile with `connecty configure`{}",
            if secret {
                " (its text is not shown: it holds secrets)"
            } else {
                ""
            }
        ))
    };
    let text = String::from_utf8(text).map_err(|_| bad("it is not UTF-8".to_string()))?;
    match text.parse::<DocumentMut>() {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => {
            let at = e.span().map(|s| line_col(&text, s.start));
            let detail = match (secret, at) {
                (true, Some((l, c))) => format!("at line {l}, column {c}"),
                (true, None) => "a syntax error".to_string(),
                (false, Some((l, c))) => format!("{} at line {l}, column {c}", e.message()),
                (false, None) => e.message().to_string(),
            };
            Err(bad(detail))
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Refuses a credentials file that group or others can read
/// ([`ErrorKind::Authentication`](crate::ErrorKind::Authentication)),
/// naming the file and the fix. A file that does not exist passes.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o044 != 0 {
        return Err(Error::authentication(format!(
            "{} can be read by other users (mode {mode:04o}); it holds client secrets, so it is not used",
            path.display()
        ))
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

/// Permissions are not checked off Unix.
#[cfg(not(unix))]
pub fn check_private(_path: &Path) -> Result<(), Error> {
    Ok(())
}
