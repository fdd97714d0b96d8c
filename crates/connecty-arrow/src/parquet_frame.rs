//! A dataframe written as Parquet in blocks of rows: each block converted,
//! then each of its columns encoded, the two kinds of work sharing the
//! threads so that encoding starts long before the last row is read.
//!
//! The rows are cut into blocks (about [`BLOCK_CELLS`] cells each, a
//! multiple of 1,024 rows, never across a row group). A worker takes the
//! next job: encoding the blocks of a column that are ready (oldest
//! first), else converting the next block. Each block is converted as a
//! stretch of [`parts`] is, every column starting with the type its first
//! value suggests; a column is encoded as the type of the first block
//! that holds a value, block after block, each block's array handed to
//! that column's `ArrowColumnWriter` as one write.
//!
//! That type is a guess until the last block is read. A block that built
//! the column as another type (or gave it up) shows the guess wrong: the
//! column's encoding is dropped, and once every block is read the column
//! is decided from all its cells and encoded again, as the conversion
//! does for a column its stretches disagree on. A column with no value
//! in any block gets its type from the statistics (else Null) at the end.
//!
//! The file is the same, byte for byte, whatever the thread count: every
//! column is written in the same blocks, each as one write. It holds the
//! same row groups, types and values as arrow-rs's `ArrowWriter` writes
//! for the converted batch; only the pages may be cut at other rows,
//! since a write ends a mini-batch of the column writer.

use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use arrow_array::ArrayRef;
use arrow_schema::{FieldRef, Schema};
use connecty_proto::{DataFrame, Statistics};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::build::Builder;
use crate::convert::{build_column, decide_type, field, hint, text_bytes_hint, unique_names};
use crate::infer::ColumnType;
use crate::parquet_file::{Fail, no_columns, watched};
use crate::{Error, parts, threads};

/// About how many cells one block holds.
pub(crate) const BLOCK_CELLS: usize = 1 << 19;

/// Rows per block for a frame `width` columns wide: a multiple of 1,024
/// (the column writer's mini-batch for a column with nulls), at least
/// 1,024.
fn block_rows(width: usize) -> usize {
    (BLOCK_CELLS / width.max(1)).max(1024) / 1024 * 1024
}

/// One block: its rows, and the row group they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    rows: Range<usize>,
    group: usize,
}

/// `rows` rows cut into row groups of `group_rows`, each cut into blocks
/// of `block_rows` (the last of each group shorter).
fn blocks(rows: usize, group_rows: usize, block_rows: usize) -> Vec<Block> {
    let (group_rows, block_rows) = (group_rows.max(1), block_rows.max(1));
    let mut out = Vec::new();
    let mut start = 0;
    let mut group = 0;
    while start < rows {
        let group_end = start.saturating_add(group_rows).min(rows);
        let mut at = start;
        while at < group_end {
            let end = at.saturating_add(block_rows).min(group_end);
            out.push(Block {
                rows: at..end,
                group,
            });
            at = end;
        }
        start = group_end;
        group += 1;
    }
    out
}

/// A column's writer and what it has encoded.
struct Encoder {
    field: FieldRef,
    ty: ColumnType,
    /// Makes the column's writer for each row group: from a file writer
    /// (to nowhere) of a schema with this one field, whose column chunks
    /// are then appended to the real file's row groups (Parquet checks
    /// that their descriptors match).
    factory: ArrowRowGroupWriterFactory,
    group: usize,
    writer: ArrowColumnWriter,
    /// The finished chunks of the row groups before `group`.
    chunks: Vec<ArrowColumnChunk>,
}

impl Encoder {
    fn new(
        name: &str,
        sent: &str,
        ty: ColumnType,
        props: &WriterProperties,
    ) -> Result<Encoder, ParquetError> {
        let field: FieldRef = Arc::new(field(name, sent, ty));
        let schema = Arc::new(Schema::new(vec![field.clone()]));
        let (_, factory) = ArrowWriter::try_new(std::io::sink(), schema, Some(props.clone()))?
            .into_serialized_writer()?;
        let writer = one_writer(&factory, 0)?;
        Ok(Encoder {
            field,
            ty,
            factory,
            group: 0,
            writer,
            chunks: Vec::new(),
        })
    }

    /// Writes `b` (as the column's type: a nulls-only builder as nulls),
    /// the rows of a block of row group `group`.
    fn write_builder(&mut self, group: usize, b: Builder) -> Result<(), ParquetError> {
        let array = b.into_type(self.ty).finish()?;
        self.write(group, &array)
    }

    /// Writes `array`, the rows of a block of row group `group`.
    fn write(&mut self, group: usize, array: &ArrayRef) -> Result<(), ParquetError> {
        while self.group < group {
            self.group += 1;
            let next = one_writer(&self.factory, self.group)?;
            let done = std::mem::replace(&mut self.writer, next);
            self.chunks.push(done.close()?);
        }
        for leaf in compute_leaves(&self.field, array)? {
            self.writer.write(&leaf)?;
        }
        Ok(())
    }

    /// The column's field and every row group's chunk, in order.
    fn finish(mut self) -> Result<(FieldRef, Vec<ArrowColumnChunk>), ParquetError> {
        self.chunks.push(self.writer.close()?);
        Ok((self.field, self.chunks))
    }
}

fn one_writer(
    factory: &ArrowRowGroupWriterFactory,
    group: usize,
) -> Result<ArrowColumnWriter, ParquetError> {
    factory
        .create_column_writers(group)?
        .pop()
        .ok_or_else(|| ParquetError::General("no column writer for a one-column schema".into()))
}

/// Where a column stands.
#[derive(Default)]
struct Column {
    /// The next block to look at.
    next: usize,
    /// The type guessed from the first block with a value; while it is
    /// `None`, every block before `next` held only nulls and none is
    /// written yet.
    ty: Option<ColumnType>,
    /// `None` while a worker encodes the column (or before its type is
    /// known, or after the guess proved wrong).
    encoder: Option<Box<Encoder>>,
    /// A worker is encoding it.
    busy: bool,
    /// A block disagreed with the guess: decided and encoded at the end.
    wrong: bool,
}

/// What one job encodes for a column: blocks, oldest first, each as its
/// index and its builder (`Builder::Null` for nulls only).
type Batch = Vec<(usize, Builder)>;

/// The work shared by the workers, under one lock.
struct State {
    /// Each block's columns once converted; builders are taken out as they
    /// are encoded.
    converted: Vec<Option<Vec<Option<Builder>>>>,
    /// The blocks not yet taken for conversion, with their indices.
    to_convert: std::iter::Enumerate<std::vec::IntoIter<parts::Stretch>>,
    columns: Vec<Column>,
    /// Columns that may have blocks ready to encode.
    ready: VecDeque<usize>,
    /// Jobs running.
    running: usize,
    failure: Option<Fail>,
}

/// A job a worker took.
enum Job {
    /// Block `.0`, its text `.1`.
    Convert(usize, parts::Stretch),
    /// Column `c`'s ready blocks, as type `ty` (its encoder made on the
    /// first job).
    Encode {
        c: usize,
        ty: ColumnType,
        encoder: Option<Box<Encoder>>,
        batch: Batch,
    },
}

impl Column {
    /// The guess proved wrong: the column is done again at the end.
    fn give_up(&mut self) {
        self.wrong = true;
        self.encoder = None;
    }
}

impl State {
    /// Takes column `c`'s ready blocks, if any, as a job; marks the
    /// column wrong when one disagrees with its type.
    fn take_batch(&mut self, c: usize, blocks: &[Block]) -> Option<Job> {
        let col = &mut self.columns[c];
        if col.busy || col.wrong {
            return None;
        }
        let mut batch = Batch::new();
        while let Some(Some(block)) = self.converted.get_mut(col.next) {
            let b = col.next;
            match (block[c].take(), col.ty) {
                // Given up in this block: the guess cannot stand.
                (None, _) => {
                    col.give_up();
                    return None;
                }
                // Nulls before any value: held until the type is known.
                (Some(Builder::Null(_)), None) => {}
                (Some(nulls @ Builder::Null(_)), Some(_)) => batch.push((b, nulls)),
                (Some(builder), None) => {
                    col.ty = Some(builder.column_type());
                    let held = (0..b).map(|k| (k, Builder::Null(blocks[k].rows.len())));
                    batch.extend(held);
                    batch.push((b, builder));
                }
                (Some(builder), Some(ty)) if builder.column_type() != ty => {
                    col.give_up();
                    return None;
                }
                (Some(builder), Some(_)) => batch.push((b, builder)),
            }
            col.next += 1;
        }
        let ty = col.ty.filter(|_| !batch.is_empty())?;
        col.busy = true;
        Some(Job::Encode {
            c,
            ty,
            encoder: col.encoder.take(),
            batch,
        })
    }

    fn next_job(&mut self, blocks: &[Block]) -> Option<Job> {
        while let Some(c) = self.ready.pop_front() {
            if let Some(job) = self.take_batch(c, blocks) {
                return Some(job);
            }
        }
        let (b, stretch) = self.to_convert.next()?;
        Some(Job::Convert(b, stretch))
    }
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Converts `df` and writes it as Parquet with `props` (which cut row
/// groups by row count only), on up to `threads` threads.
pub(crate) fn write_frame<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    threads: usize,
    props: WriterProperties,
) -> Result<(), Error> {
    write_in_blocks(df, statistics, out, threads, props, block_rows(df.width()))
}

/// [`write_frame`] with blocks of `block_rows` rows.
fn write_in_blocks<W: Write + Send>(
    df: &DataFrame,
    statistics: Option<&Statistics>,
    out: W,
    threads: usize,
    props: WriterProperties,
    block_rows: usize,
) -> Result<(), Error> {
    let width = df.width();
    if width == 0 {
        return Err(no_columns());
    }
    let rows = df.len();
    let names = df.columns();
    let unique = unique_names(names);
    let stats: Vec<_> = names
        .iter()
        .map(|n| statistics.and_then(|s| s.column(n)))
        .collect();
    let text_hints: Vec<usize> = stats.iter().map(|s| text_bytes_hint(*s, rows)).collect();
    let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
    let blocks = blocks(rows, group_rows, block_rows);
    let text = df.raw_json_bytes();
    let mut cuts: Vec<usize> = blocks.iter().map(|b| b.rows.start).collect();
    cuts.push(rows);
    let state = Mutex::new(State {
        converted: (0..blocks.len()).map(|_| None).collect(),
        to_convert: parts::stretches_at(df, text, &cuts).into_iter().enumerate(),
        columns: (0..width).map(|_| Column::default()).collect(),
        ready: VecDeque::new(),
        running: 0,
        failure: None,
    });
    let wake = Condvar::new();

    let run_job = |job: Job| -> Result<Option<(usize, Box<Encoder>)>, Fail> {
        match job {
            Job::Convert(b, stretch) => {
                #[cfg(test)]
                if b == 1 && names.first().map(String::as_str) == Some(tests::PANICS) {
                    panic!("a job panics (test)");
                }
                let part = parts::convert(df, text, stretch, &text_hints).map_err(Fail::Frame)?;
                let mut s = lock(&state);
                s.converted[b] = Some(part.columns);
                // Columns waiting for this block.
                for c in 0..width {
                    let col = &s.columns[c];
                    if col.next == b && !col.busy && !col.wrong {
                        s.ready.push_back(c);
                    }
                }
                Ok(None)
            }
            Job::Encode {
                c,
                ty,
                encoder,
                batch,
            } => {
                let mut encoder = match encoder {
                    Some(e) => e,
                    None => Box::new(Encoder::new(&unique[c], &names[c], ty, &props)?),
                };
                for (b, builder) in batch {
                    encoder.write_builder(blocks[b].group, builder)?;
                }
                Ok(Some((c, encoder)))
            }
        }
    };
    let worker = || {
        let mut s = lock(&state);
        loop {
            if s.failure.is_some() {
                break;
            }
            let Some(job) = s.next_job(&blocks) else {
                if s.running == 0 {
                    break;
                }
                s = wake.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            s.running += 1;
            drop(s);
            let unwinding = Unwinding {
                state: &state,
                wake: &wake,
            };
            let done = run_job(job);
            std::mem::forget(unwinding);
            s = lock(&state);
            s.running -= 1;
            match done {
                Ok(None) => {}
                Ok(Some((c, encoder))) => {
                    let col = &mut s.columns[c];
                    col.busy = false;
                    col.encoder = Some(encoder);
                    s.ready.push_back(c);
                }
                Err(e) => {
                    s.failure.get_or_insert(e);
                }
            }
            wake.notify_all();
        }
        wake.notify_all();
    };
    threads::spread(threads, worker);

    let mut s = state.into_inner().unwrap_or_else(|p| p.into_inner());
    watched(out, move |out| {
        if let Some(e) = s.failure.take() {
            return Err(e);
        }
        // The columns whose guess was wrong or that held only nulls,
        // finished here; the others' last row group closed.
        let columns: Vec<(usize, Column)> = std::mem::take(&mut s.columns)
            .into_iter()
            .enumerate()
            .collect();
        let finished = threads::run(columns, threads, |(c, col)| {
            finish_column(df, c, col, &stats, &unique, &blocks, &props)
        })?;
        let fields: Vec<FieldRef> = finished.iter().map(|(f, _)| f.clone()).collect();
        let schema = Arc::new(Schema::new(fields));
        let (mut file, _) =
            ArrowWriter::try_new(out, schema, Some(props.clone()))?.into_serialized_writer()?;
        let groups = blocks.last().map_or(0, |b| b.group + 1);
        let mut chunks: Vec<_> = finished.into_iter().map(|(_, ch)| ch.into_iter()).collect();
        for _ in 0..groups {
            let mut row_group = file.next_row_group()?;
            for column in chunks.iter_mut() {
                let chunk = column.next().ok_or_else(|| {
                    ParquetError::General("a column is missing a row group".into())
                })?;
                chunk.append_to_row_group(&mut row_group)?;
            }
            row_group.close()?;
        }
        file.into_inner()?.flush()?;
        Ok(())
    })
}

/// Dropped only if a job panics (a bug): stops the other workers, which
/// would otherwise wait for the job for ever, so that the panic reaches
/// the caller when the threads are joined.
struct Unwinding<'a> {
    state: &'a Mutex<State>,
    wake: &'a Condvar,
}

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        let mut s = lock(self.state);
        s.running = s.running.saturating_sub(1);
        s.failure.get_or_insert(Fail::Parquet(ParquetError::General(
            "a worker panicked".into(),
        )));
        self.wake.notify_all();
    }
}

/// Column `c`'s field and chunks, once every block is read: its
/// encoding closed, or (a wrong guess, or nulls only) done here.
fn finish_column(
    df: &DataFrame,
    c: usize,
    col: Column,
    stats: &[Option<&connecty_proto::ColumnStatistics>],
    unique: &[String],
    blocks: &[Block],
    props: &WriterProperties,
) -> Result<(FieldRef, Vec<ArrowColumnChunk>), Fail> {
    let name = &df.columns()[c];
    if !col.wrong {
        if let Some(encoder) = col.encoder {
            return Ok(encoder.finish()?);
        }
        if col.ty.is_none() {
            // Nulls only (or no rows): the statistics' type, else Null.
            let ty = stats[c].and_then(hint).unwrap_or(ColumnType::Null);
            if blocks.is_empty() {
                // No rows: no row group, only the field.
                return Ok((Arc::new(field(&unique[c], name, ty)), Vec::new()));
            }
            let mut encoder = Encoder::new(&unique[c], name, ty, props)?;
            for b in blocks {
                encoder.write_builder(b.group, Builder::Null(b.rows.len()))?;
            }
            return Ok(encoder.finish()?);
        }
    }
    let ty = decide_type(df, c);
    let array =
        build_column(df, c, ty, text_bytes_hint(stats[c], df.len())).map_err(Fail::Frame)?;
    let mut encoder = Encoder::new(&unique[c], name, ty, props)?;
    for b in blocks {
        encoder.write(b.group, &array.slice(b.rows.start, b.rows.len()))?;
    }
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cut_row_groups_and_never_cross_them() {
        assert_eq!(blocks(0, 100, 10), vec![]);
        let b = blocks(25, 12, 5);
        let got: Vec<(Range<usize>, usize)> = b.into_iter().map(|b| (b.rows, b.group)).collect();
        assert_eq!(
            got,
            vec![
                (0..5, 0),
                (5..10, 0),
                (10..12, 0),
                (12..17, 1),
                (17..22, 1),
                (22..24, 1),
                (24..25, 2)
            ]
        );
        assert_eq!(
            blocks(3, usize::MAX, usize::MAX),
            vec![Block {
                rows: 0..3,
                group: 0
            }]
        );
        assert_eq!(block_rows(6), 87_040);
        assert_eq!(block_rows(10_000), 1024);
        assert_eq!(block_rows(0), BLOCK_CELLS);
    }

    /// A frame whose first column has this name panics in its second
    /// block's conversion.
    pub(super) const PANICS: &str = "__panics_in_block_1__";

    /// A bug that panics in one worker reaches the caller as a panic,
    /// without the other workers waiting for it for ever.
    #[test]
    fn a_panicking_job_is_a_panic_not_a_hang() {
        let mut text = format!(r#"[["{PANICS}"]"#);
        for i in 0..5_000 {
            text.push_str(&format!(",[{i}]"));
        }
        text.push(']');
        let df = DataFrame::from_json(&text).unwrap();
        for threads in [1, 2, 3] {
            let panicked = std::panic::catch_unwind(|| {
                let props = WriterProperties::builder().build();
                write_in_blocks(&df, None, std::io::sink(), threads, props, 1024)
            });
            assert!(panicked.is_err(), "{threads} threads");
        }
    }

    fn read_back(file: Vec<u8>) -> (Vec<arrow_array::RecordBatch>, Vec<i64>) {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
        let groups = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let batches = reader.build().unwrap().map(|b| b.unwrap()).collect();
        (batches, groups)
    }

    /// Columns that need the end-of-file paths: a guess proved wrong in
    /// a later block, a type known only after blocks of nulls, nulls only
    /// (with and without a statistics hint), and row groups that end
    /// inside a block's stride.
    #[test]
    fn in_blocks_the_file_holds_the_converted_batch_at_any_thread_count() {
        let rows = 7_000u64;
        let mut text =
            String::from(r#"[["id","late_float","late_start","nulls","hinted","mixed","s"]"#);
        for i in 0..rows {
            let late_float = if i == rows - 3 {
                "2.5".to_string()
            } else {
                i.to_string()
            };
            let late_start = if i < 2_500 {
                "null".to_string()
            } else {
                format!("\"2025-10-24T11:03:05.{:03}Z\"", i % 1000)
            };
            let mixed = if i == 4_000 {
                r#""x""#.to_string()
            } else {
                format!("{}", i % 7 == 0)
            };
            text.push_str(&format!(
                r#",[{i},{late_float},{late_start},null,null,{mixed},"s{}"]"#,
                i % 13
            ));
        }
        text.push(']');
        let df = DataFrame::from_json(&text).unwrap();
        let stats: Statistics = serde_json::from_str(
            r#"{"hinted":{"general":{"count":0,"nulls_count":7000},"string":{"mean_len":3}}}"#,
        )
        .unwrap();
        let want = crate::to_record_batch(&df, Some(&stats)).unwrap();
        let props = || {
            WriterProperties::builder()
                .set_max_row_group_row_count(Some(3_000))
                .build()
        };
        let mut files = Vec::new();
        for threads in [1, 2, 5] {
            let mut out = Vec::new();
            write_in_blocks(&df, Some(&stats), &mut out, threads, props(), 1024).unwrap();
            files.push(out);
        }
        assert!(
            files.iter().all(|f| *f == files[0]),
            "the file depends on the thread count"
        );
        let (batches, groups) = read_back(files.swap_remove(0));
        assert_eq!(groups, vec![3_000, 3_000, 1_000]);
        let got = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(got.schema(), want.schema());
        assert_eq!(got, want);
        // Booleans, then a string in the fourth block: JSON text.
        assert_eq!(
            want.schema().field(5).extension_type_name(),
            Some("arrow.json")
        );
        let types: Vec<String> = want
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "Int64",
                "Float64",
                "Timestamp(µs, \"UTC\")",
                "Null",
                "Utf8",
                "Utf8",
                "Utf8"
            ]
        );
    }
}
