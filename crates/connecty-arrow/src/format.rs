//! The file formats this crate writes, and their names.

use std::fmt;
use std::str::FromStr;

/// A file format this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// The Arrow IPC file format (`.arrow`, also called Feather v2),
    /// uncompressed: readers map it straight into memory.
    ArrowIpc,
    /// Parquet, zstd-compressed.
    Parquet,
}

impl FileFormat {
    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::ArrowIpc => "arrow",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::ArrowIpc => "Arrow IPC",
            FileFormat::Parquet => "Parquet",
        })
    }
}

/// A format name that is not one of `arrow`, `ipc`, `feather` or
/// `parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown file format {:?}: expected arrow (or ipc, feather) or parquet",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for FileFormat {
    type Err = UnknownFormat;

    /// `arrow`, `ipc` or `feather` for Arrow IPC; `parquet`. Any letter
    /// case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "arrow" | "ipc" | "feather" => Ok(FileFormat::ArrowIpc),
            "parquet" => Ok(FileFormat::Parquet),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names() {
        for (s, f) in [
            ("parquet", FileFormat::Parquet),
            ("PARQUET", FileFormat::Parquet),
            ("arrow", FileFormat::ArrowIpc),
            ("ipc", FileFormat::ArrowIpc),
            ("feather", FileFormat::ArrowIpc),
        ] {
            assert_eq!(s.parse::<FileFormat>(), Ok(f));
        }
        let e = "csv".parse::<FileFormat>().unwrap_err();
        assert!(e.to_string().contains("\"csv\""));
        assert_eq!(FileFormat::Parquet.extension(), "parquet");
    }
}
