//! Files replaced whole or not at all: written to a temporary file beside
//! the target (same directory, so the rename cannot cross file systems),
//! flushed to disk, then renamed over it. Until [`AtomicFile::commit`], the
//! target is untouched; a dropped `AtomicFile` removes its temporary file,
//! and so does the panic hook ([`remove_pending`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use tempfile::NamedTempFile;

/// Temporary files not yet committed or dropped, for the panic hook.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A file being written in place of `target`.
pub struct AtomicFile {
    temp: NamedTempFile,
    target: PathBuf,
    _pending: Pending,
}

/// Keeps a temporary file's path in [`PENDING`] while it lives.
struct Pending(PathBuf);

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|p| p != &self.0);
    }
}

/// The mode of a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As a shell redirection makes it (0666 less the umask), or the mode of
    /// the file it replaces.
    Ordinary,
    /// 0600: for secrets, whatever the file it replaces had.
    Private,
}

impl AtomicFile {
    /// Starts writing a replacement for `target`.
    pub fn create(target: &Path, mode: Mode) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let perms = match mode {
                Mode::Private => std::fs::Permissions::from_mode(0o600),
                Mode::Ordinary => match std::fs::metadata(target) {
                    Ok(m) if m.is_file() => m.permissions(),
                    _ => std::fs::Permissions::from_mode(0o666),
                },
            };
            builder.permissions(perms);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let temp = builder.tempfile_in(dir)?;
        PENDING
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(temp.path().to_path_buf());
        Ok(AtomicFile {
            _pending: Pending(temp.path().to_path_buf()),
            temp,
            target: target.to_path_buf(),
        })
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Flushes the data to disk and renames the file over the target.
    pub fn commit(self) -> io::Result<()> {
        let AtomicFile {
            mut temp,
            target,
            _pending,
        } = self;
        temp.as_file_mut().flush()?;
        temp.as_file().sync_all()?;
        temp.persist(&target).map(|_| ()).map_err(|e| e.error)
    }
}

/// Removes every temporary file not yet committed or dropped (the panic
/// hook calls it before the process ends).
pub fn remove_pending() {
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(PoisonError::into_inner));
    for p in pending {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn committed_replaces_dropped_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target, Mode::Ordinary).unwrap();
        f.file().write_all(b"half").unwrap();
        assert_eq!(entries(dir.path()).len(), 2);
        drop(f);
        assert_eq!(entries(dir.path()), ["out.csv"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut f = AtomicFile::create(&target, Mode::Ordinary).unwrap();
        f.file().write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(entries(dir.path()), ["out.csv"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_and_ordinary_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("credentials.toml");
        std::fs::write(&secret, "").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        AtomicFile::create(&secret, Mode::Private)
            .unwrap()
            .commit()
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secret), 0o600);
        let plain = dir.path().join("config.toml");
        std::fs::write(&plain, "").unwrap();
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o640)).unwrap();
        AtomicFile::create(&plain, Mode::Ordinary)
            .unwrap()
            .commit()
            .unwrap();
        assert_eq!(mode(&plain), 0o640);
    }
}
