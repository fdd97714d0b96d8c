//! `save_as`: the whole answer written to a file inside `--output-dir`.
//!
//! Whether a name may be written is [`decide`], one pure function over the
//! name and what the file system holds there ([`Existing`]);
//! [`save`] gathers those facts, asks it, and writes the file atomically
//! (a temporary file beside the target, renamed once complete).
//!
//! Parquet and Arrow files are connecty-arrow's. CSV, JSON and NDJSON are
//! written here, in the shapes of the CLI's `--format csv|json|ndjson`
//! (`connecty_cli::format`, which this crate cannot depend on: the CLI
//! depends on this crate).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use connecty_arrow::FileFormat;

use crate::result::{Completed, Saved};

/// The file formats `save_as` picks by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFormat {
    /// `.parquet`
    Parquet,
    /// `.arrow` (Arrow IPC file)
    Arrow,
    /// `.csv` (RFC 4180, CRLF)
    Csv,
    /// `.json` (`{"question_id", "state", "results"}`, the API's shape)
    Json,
    /// `.ndjson` (one object per row)
    Ndjson,
}

/// What is at the target path now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Nothing.
    Nothing,
    /// A regular file.
    File,
    /// A symbolic link; `inside`: it resolves to a path inside the output
    /// directory.
    Link {
        /// Whether its target is inside the output directory.
        inside: bool,
    },
    /// A directory or anything else that is not a file.
    Other,
}

/// Why a `save_as` name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const EXTENSIONS: &str = ".parquet, .arrow, .csv, .json or .ndjson";

/// Whether `name` may be written in the output directory, and in which
/// format. `output_dir`: whether the server has one; `existing`: what is at
/// `DIR/name` now; `overwrite`: the caller's `overwrite` argument. Pure.
pub fn decide(
    name: &str,
    output_dir: bool,
    existing: Existing,
    overwrite: bool,
) -> Result<SaveFormat, Refusal> {
    let refuse = |why: String| Err(Refusal(format!("save_as {name:?} refused: {why}")));
    if !output_dir {
        return Err(Refusal(
            "save_as needs a directory to write in: start the server with --output-dir DIR \
             (`connecty mcp --output-dir DIR`); files are written only there"
                .to_string(),
        ));
    }
    if name.is_empty() {
        return refuse("the name is empty".to_string());
    }
    if name.starts_with('/') || name.starts_with('\\') || name.get(1..2) == Some(":") {
        return refuse("an absolute path; give a bare file name such as answer.parquet".into());
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return refuse("`..` leaves the output directory; give a bare file name".into());
    }
    if name.contains(['/', '\\']) {
        return refuse("path separators; give a bare file name such as answer.parquet".into());
    }
    if name == "." || name.chars().any(char::is_control) {
        return refuse("not a file name".into());
    }
    if name.starts_with('.') {
        return refuse("a hidden file name (starting with `.`)".into());
    }
    let format = match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) if e == "parquet" => SaveFormat::Parquet,
        Some(e) if e == "arrow" => SaveFormat::Arrow,
        Some(e) if e == "csv" => SaveFormat::Csv,
        Some(e) if e == "json" => SaveFormat::Json,
        Some(e) if e == "ndjson" => SaveFormat::Ndjson,
        _ => return refuse(format!("the extension picks the format: {EXTENSIONS}")),
    };
    match existing {
        Existing::Nothing => Ok(format),
        Existing::Link { inside: false } => {
            refuse("it is a symbolic link that resolves outside the output directory".into())
        }
        Existing::Other => refuse("something that is not a file is there".into()),
        Existing::File | Existing::Link { inside: true } if overwrite => Ok(format),
        Existing::File | Existing::Link { inside: true } => {
            refuse("the file exists; pass overwrite: true to replace it".into())
        }
    }
}

/// What is at `dir/name` (`dir` canonical).
fn existing(dir: &Path, path: &Path) -> Existing {
    match std::fs::symlink_metadata(path) {
        Err(_) => Existing::Nothing,
        Ok(m) if m.file_type().is_symlink() => Existing::Link {
            inside: std::fs::canonicalize(path).is_ok_and(|t| t.starts_with(dir)),
        },
        Ok(m) if m.is_file() => Existing::File,
        Ok(_) => Existing::Other,
    }
}

/// Checks `name` against the output directory and writes the whole answer
/// there. Blocking: call it off the async runtime's threads.
pub fn save(
    output_dir: Option<&Path>,
    name: &str,
    overwrite: bool,
    answer: &Completed,
) -> Result<Saved, Refusal> {
    let dir = match output_dir.map(std::fs::canonicalize) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            return Err(Refusal(format!(
                "the output directory {} cannot be used: {e}",
                output_dir
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )));
        }
    };
    let target = dir.as_ref().map(|d| d.join(name));
    let there = match (&dir, &target) {
        (Some(d), Some(t)) if !name.contains(['/', '\\']) && name != ".." => existing(d, t),
        _ => Existing::Nothing,
    };
    let format = decide(name, dir.is_some(), there, overwrite)?;
    let (Some(dir), Some(target)) = (dir, target) else {
        return Err(Refusal("no output directory".to_string()));
    };
    let df = answer.results.dataframe.as_ref();
    let rows = df.map_or(0, connecty_proto::DataFrame::len) as u64;
    write_atomically(&dir, &target, overwrite, |out| write(format, answer, out))
        .map_err(|e| Refusal(format!("could not write {}: {e}", target.display())))?;
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    Ok(Saved {
        path: target.display().to_string(),
        rows,
        bytes,
    })
}

/// Writes through a temporary file in `dir`, renamed to `target` once
/// complete; without `overwrite`, a file that appeared meanwhile is kept.
fn write_atomically(
    dir: &Path,
    target: &PathBuf,
    overwrite: bool,
    body: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix(".connecty-mcp-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        body(&mut out)?;
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    if overwrite {
        tmp.persist(target).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(target).map_err(|e| e.error)?;
    }
    Ok(())
}

fn write(format: SaveFormat, answer: &Completed, out: &mut (dyn Write + Send)) -> io::Result<()> {
    let Some(df) = answer.results.dataframe.as_ref() else {
        return Err(io::Error::other(
            "the answer has no dataframe (include \"dataframe\")",
        ));
    };
    let stats = answer.results.dataframe_stats.as_ref();
    let mut arrow = |f| {
        connecty_arrow::write(df, stats, f, &mut *out).map_err(|e| match e {
            connecty_arrow::Error::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
        })
    };
    match format {
        SaveFormat::Parquet => arrow(FileFormat::Parquet),
        SaveFormat::Arrow => arrow(FileFormat::ArrowIpc),
        // The CLI's writers (connecty-format): the same bytes as
        // `connecty ask --format csv|ndjson|json`.
        SaveFormat::Csv => connecty_format::write_csv(out, df),
        SaveFormat::Ndjson => connecty_format::write_ndjson(out, df),
        SaveFormat::Json => connecty_format::write_json(
            out,
            &answer.question_id,
            &connecty_proto::State::Completed,
            Some(&answer.results),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_rules() {
        use Existing::*;
        let ok = |f| Ok::<SaveFormat, Refusal>(f);
        type Case<'a> = (&'a str, bool, Existing, bool, Result<SaveFormat, &'a str>);
        let cases: &[Case] = &[
            ("a.parquet", true, Nothing, false, Ok(SaveFormat::Parquet)),
            ("A.PARQUET", true, Nothing, false, Ok(SaveFormat::Parquet)),
            ("a.arrow", true, Nothing, false, Ok(SaveFormat::Arrow)),
            ("a.csv", true, Nothing, false, Ok(SaveFormat::Csv)),
            ("a.json", true, Nothing, false, Ok(SaveFormat::Json)),
            ("a b.ndjson", true, Nothing, false, Ok(SaveFormat::Ndjson)),
            ("a.parquet", false, Nothing, false, Err("--output-dir")),
            ("/etc/passwd.csv", true, Nothing, false, Err("absolute")),
            ("\\x.csv", true, Nothing, false, Err("absolute")),
            ("C:x.csv", true, Nothing, false, Err("absolute")),
            ("../a.csv", true, Nothing, false, Err("`..`")),
            ("..", true, Nothing, false, Err("`..`")),
            ("x/../../a.csv", true, Nothing, false, Err("`..`")),
            ("sub/a.csv", true, Nothing, false, Err("separators")),
            ("sub\\a.csv", true, Nothing, false, Err("separators")),
            ("", true, Nothing, false, Err("empty")),
            (".", true, Nothing, false, Err("not a file name")),
            ("a\n.csv", true, Nothing, false, Err("not a file name")),
            (".hidden.csv", true, Nothing, false, Err("hidden")),
            ("a.txt", true, Nothing, false, Err("extension")),
            ("parquet", true, Nothing, false, Err("extension")),
            ("a.csv", true, File, false, Err("overwrite: true")),
            ("a.csv", true, File, true, Ok(SaveFormat::Csv)),
            (
                "a.csv",
                true,
                Link { inside: false },
                true,
                Err("symbolic link"),
            ),
            (
                "a.csv",
                true,
                Link { inside: false },
                false,
                Err("symbolic link"),
            ),
            (
                "a.csv",
                true,
                Link { inside: true },
                false,
                Err("overwrite: true"),
            ),
            (
                "a.csv",
                true,
                Link { inside: true },
                true,
                Ok(SaveFormat::Csv),
            ),
            ("a.csv", true, Other, true, Err("not a file")),
        ];
        for (name, dir, there, overwrite, want) in cases {
            let got = decide(name, *dir, *there, *overwrite);
            match (want, &got) {
                (Ok(f), _) => assert_eq!(got, ok(*f), "{name}"),
                (Err(words), Err(Refusal(msg))) => {
                    assert!(msg.contains(words), "{name}: {msg}");
                }
                (Err(_), Ok(_)) => panic!("{name} was allowed"),
            }
        }
    }

    #[test]
    fn a_symlink_out_of_the_directory_is_refused_and_nothing_is_written() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim.csv");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("link.csv")).unwrap();
        let answer = Completed {
            question_id: "729cb7a4-4b06-449e-a3c9-df40f5e570b8".parse().unwrap(),
            results: Default::default(),
            max_rows: None,
        };
        let e = save(Some(dir.path()), "link.csv", true, &answer).unwrap_err();
        assert!(e.0.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn text_files_keep_every_cell_exact() {
        // What `save_as` writes, through the CLI's writers.
        use connecty_format::{write_csv, write_ndjson};
        let df = connecty_proto::DataFrame::from_json(
            r#"[["n","s","j"],[12345678901234567890,"a,\"b\"",{"x": [1, 2]}],[null,"zaż",null]]"#,
        )
        .unwrap();
        let mut csv = Vec::new();
        write_csv(&mut csv, &df).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "n,s,j\r\n12345678901234567890,\"a,\"\"b\"\"\",\"{\"\"x\"\":[1,2]}\"\r\n,zaż,\r\n"
        );
        let mut nd = Vec::new();
        write_ndjson(&mut nd, &df).unwrap();
        assert_eq!(
            String::from_utf8(nd).unwrap(),
            "{\"n\":12345678901234567890,\"s\":\"a,\\\"b\\\"\",\"j\":{\"x\":[1,2]}}\n{\"n\":null,\"s\":\"zaż\",\"j\":null}\n"
        );
    }
}
