//! # connecty-arrow
//!
//! A ConnectyAI answer's dataframe as typed Arrow columns, and as Arrow IPC
//! or Parquet files, for DataFusion, Polars, DuckDB, pandas/pyarrow or
//! Spark.
//!
//! **What it is for:** [`to_record_batch`] turns a
//! [`DataFrame`](connecty_proto::DataFrame) (plus its
//! [`Statistics`](connecty_proto::Statistics), when the answer has them)
//! into one [`RecordBatch`](arrow_array::RecordBatch) with a type per
//! column; [`write_ipc`], `write_parquet` and [`write()`] put it in a file
//! or any other [`std::io::Write`]. Parquet needs the default feature
//! `parquet` (arrow-rs's parquet crate and the zstd C library).
//!
//! **What it is not:** a reader, or a general JSON-to-Arrow decoder
//! (that is arrow-json). It knows one input, the dataframe connecty-proto
//! parsed, and it keeps every cell's value exactly. connecty-proto does
//! not depend on this crate, so clients that never need Arrow never build
//! arrow-rs.
//!
//! ```
//! use arrow_schema::{DataType, TimeUnit};
//! use connecty_proto::DataFrame;
//!
//! let df = DataFrame::from_json(r#"[
//!     ["id", "amount", "ordered_at", "note"],
//!     [12345678901234567890, 12.50, "2025-10-24T11:03:05.196568+02:00", null],
//!     [7, 0.1, "2025-10-25T08:00:00Z", "gift"]
//! ]"#)?;
//! let batch = connecty_arrow::to_record_batch(&df, None)?;
//! let types: Vec<&DataType> = batch.schema_ref().fields().iter().map(|f| f.data_type()).collect();
//! assert_eq!(types, [
//!     &DataType::UInt64,
//!     &DataType::Float64,
//!     &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
//!     &DataType::Utf8,
//! ]);
//!
//! let mut parquet = Vec::new();
//! connecty_arrow::write_parquet(&batch, &mut parquet)?;
//! assert_eq!(&parquet[..4], b"PAR1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The type ladder
//!
//! Each column's type is the narrowest on this ladder that holds every one
//! of its cells **exactly**. Nothing is rounded, dropped or made up; a JSON
//! `null` is an Arrow null in every type, and every field is nullable.
//!
//! | the column's non-null cells | Arrow type |
//! |---|---|
//! | none (no rows, or all `null`) | `Null`, unless the statistics hint (below) |
//! | only `true` / `false` | `Boolean` |
//! | numbers written as integers, all within `i64` | `Int64` |
//! | … all within `u64` (none negative, some above `i64::MAX`) | `UInt64` |
//! | … all of at most 38 digits | `Decimal128(38, 0)` |
//! | numbers, some written with `.` or an exponent, that all *read back exactly* from `f64` | `Float64` |
//! | … else all exact in 38 digits at the smallest scale `s` that holds every one | `Decimal128(38, s)` |
//! | numbers that fit none of these (`1e400`, a 40-digit integer) | `Utf8` JSON text, marked `arrow.json` |
//! | strings, all RFC 3339 date-times with a whole-microsecond instant | `Timestamp(Microsecond, "UTC")` |
//! | strings, all exactly `YYYY-MM-DD` | `Date32` |
//! | other strings | `Utf8` |
//! | any array or object, or a column that mixes kinds | `Utf8` JSON text, marked `arrow.json` |
//!
//! **Reads back exactly** means: the `f64` nearest the JSON number has a
//! shortest round-trip text (what `ryu` or Rust's `{}` print) with the same
//! decimal value as the JSON number. `0.1`, `1e-7`, `10` and `-0.0` do;
//! `0.10000000000000000001`, `9007199254740993` and `1e-400` do not.
//!
//! **JSON text marked `arrow.json`** is the canonical Arrow extension type
//! (`ARROW:extension:name = arrow.json` on the field; Parquet's JSON
//! logical type in Parquet files). Each cell holds the cell's JSON exactly
//! as sent: a string keeps its quotes and escapes, a number its digits.
//!
//! ## Decisions
//!
//! - **Spelling decides integer or not.** `1` is an integer and `1.0` or
//!   `1e0` is not: a column of `1.0, 2.0` is `Float64`, not `Int64`,
//!   because a SQL float column that happens to hold whole numbers is
//!   still a float column (and Python writes its floats that way).
//! - **Integers and non-integers in one column** are one numeric column:
//!   `1, 2.5` is `Float64` when every number (the integers too) reads back
//!   exactly, else `Decimal128(38, s)`; a 17-digit integer next to `0.5`
//!   makes `Decimal128(38, 1)`.
//! - **`-0`**: the integer `-0` is `0` (integers have no negative zero).
//!   `-0.0` in a `Float64` column stays `-0.0`; in a `Decimal128` column
//!   it is `0`. Its value, zero, is kept either way.
//! - **Exponents** are read exactly: `1E2` is the number 100 (a
//!   non-integer spelling, so `Float64`), `1.5e-7` needs scale 8 in a
//!   decimal. An exponent too large or too small for `f64` and for 38
//!   digits leaves the column as JSON text.
//! - **Decimal scale** is the smallest that holds every value (`1.50` and
//!   `2.125` need 3), not the number of digits written: a decimal keeps
//!   values, and trailing zeros are not a value.
//! - **`null` is no kind.** A column of strings and nulls is a string
//!   column; "mixes kinds" means two of boolean, number, string, array,
//!   object among the non-null cells. Such a column is JSON text, where
//!   each cell keeps its own kind (a string keeps its quotes).
//! - **Timestamps** are RFC 3339 as chrono reads it (`T`, `t` or a space
//!   between date and time; `Z`, `z` or `±hh:mm`), with a fraction of any
//!   length whose digits after the sixth are all `0`. The instant is
//!   exact; **the offset is not kept**, and the field's metadata says so
//!   under `connecty:offset`. A leap second (`23:59:60`) has no exact
//!   instant on Arrow's clock, so its column stays `Utf8`. A date-time
//!   without an offset is not RFC 3339 and stays `Utf8`.
//! - **Dates and date-times in one column** stay `Utf8`: no type holds
//!   both exactly.
//! - **Statistics are hints; the cells decide.** They are used only for a
//!   column whose cells say nothing (no rows, or all `null`): a `temporal`
//!   section whose `min`/`max` are date-times makes `Timestamp` (dates,
//!   `Date32`), a `string` section `Utf8`, a `numeric` section's `min` and
//!   `max` pick a number type by the ladder. `string.mean_len` also sizes
//!   a text column's buffer. Statistics are looked up by the column's name
//!   as sent.
//!
//! ## Names and metadata
//!
//! Arrow field names are unique and non-empty, because DataFusion, Polars
//! and DuckDB refuse or rename duplicates. A repeated name gets the first
//! free `_2`, `_3`… suffix (`id`, `id_2`, as `SELECT a.id, b.id` gives),
//! an empty one `column_<index>`; the name as sent is then in the field's
//! metadata under `connecty:name` ([`META_NAME`]).
//!
//! ## Bad input
//!
//! Nothing from a server panics. Each case ends in a typed column or an
//! [`Error`] naming the column:
//!
//! | input | result |
//! |---|---|
//! | a ragged row | cannot reach this crate: connecty-proto refuses it when parsing, naming the row |
//! | a cell that changes kind mid-column | the column is JSON text (`arrow.json`), every cell exact |
//! | a 1 MB string (or larger) | a `Utf8` value like any other |
//! | more than 2 GiB of text in one column | [`Error::Column`]: one Arrow `Utf8` array holds at most 2 GiB |
//! | 10,000 columns | 10,000 fields |
//! | an empty frame (`[]`, no header) | a batch with no columns and no rows; Parquet refuses it with [`Error::Encode`] (a Parquet file needs a column), Arrow IPC writes it |
//! | a header only | a batch of 0 rows, each column typed by its statistics or `Null` |
//! | repeated or empty column names | unique names, the sent name in `connecty:name` |
//! | a string escaping a lone surrogate (`"\ud800"`), the only non-UTF-8 a dataframe can hold | no `Utf8` value can hold it, so its column is JSON text, where the cell keeps its exact escape |
//!
//! ## Speed
//!
//! Conversion reads the dataframe's cells once, row by row, through
//! connecty-proto's cursor of raw cells
//! ([`DataFrame::raw_rows`](connecty_proto::DataFrame::raw_rows)): each
//! cell's exact bytes, found from the offsets the parser recorded (the
//! text is not walked again), its kind, and whether a string has escapes,
//! so that one without is taken as it is. Each column starts with the type
//! its first non-null cell suggests and fills an arrow-rs builder directly
//! from the cell's text (integers and short decimals without a float
//! parser: Clinger's exact fast path). A large frame is cut into blocks of
//! rows, one per thread (see [`Options`]), each checking only its own
//! bytes are UTF-8; each block gives up a column whose later cell does not
//! fit, and the blocks' arrays of a column are joined when they all kept
//! one type. Otherwise, and only for that column, its type is decided from
//! all its cells and it is built again. The batch is the same whatever the
//! thread count.
//!
//! `write_parquet` encodes each row group's columns on several threads
//! with arrow-rs's `ArrowColumnWriter`; the file is the same, byte for
//! byte, as `ArrowWriter` writes with `parquet_properties`. Parquet
//! straight from a dataframe ([`write()`] with [`FileFormat::Parquet`])
//! goes in blocks of rows instead, in steps: each step converts the next
//! block while the columns of the block before are encoded (one job per
//! column), so encoding overlaps conversion; a column's type is its first
//! block's guess, checked by every later block, and a column whose guess
//! proves wrong is decided from all its cells and encoded again. That file
//! holds the same row groups, types and values as `ArrowWriter`'s for the
//! converted batch (pages may end at other rows), and is the same, byte
//! for byte, at any thread count.
//! `cargo xtask bench` compares both with arrow-json and `ArrowWriter`,
//! and the whole path from a results body to a Parquet file with arrow-json
//! plus `ArrowWriter` (docs/benchmarks.md, "Arrow").

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod block;
mod build;
mod convert;
mod error;
mod format;
mod infer;
mod io;
mod ipc;
mod number;
#[cfg(feature = "parquet")]
mod parquet_file;
mod render;
mod schema;
mod temporal;
mod threads;
mod write;

pub use convert::{schema, to_record_batch, to_record_batch_with};
pub use error::Error;
pub use format::{FileFormat, UnknownFormat};
pub use ipc::write_ipc;
#[cfg(feature = "parquet")]
pub use parquet_file::{parquet_properties, write_parquet, write_parquet_with};
pub use render::cell_json;
pub use schema::{META_NAME, META_OFFSET, OFFSET_NOT_KEPT};
pub use threads::Options;
pub use write::{write, write_with};

/// The parquet crate this one writes with (feature `parquet`).
#[cfg(feature = "parquet")]
pub use parquet;
/// The arrow-rs crates this one builds on, re-exported so that users name
/// the same versions.
pub use {arrow_array, arrow_schema};
