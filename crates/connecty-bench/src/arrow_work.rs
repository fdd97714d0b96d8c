//! The Arrow section's workloads, shared by the bench (memory, under the
//! counting allocator) and `arrow-timing` (time, system allocator).

use std::sync::Arc;

use connecty_arrow::Options;
use connecty_arrow::arrow_array::{Array, RecordBatch};
use connecty_arrow::arrow_schema::{DataType, Field, Schema};
use connecty_arrow::parquet::arrow::ArrowWriter;
use connecty_proto::DataFrame;

/// The inputs both sides read: the results body (connecty) and the same
/// data rows as newline-separated JSON arrays (arrow-json), plus the schema
/// arrow-json is handed.
pub struct Inputs {
    pub body: Vec<u8>,
    pub rows_text: Vec<u8>,
    pub schema: Arc<connecty_arrow::arrow_schema::Schema>,
    pub rows: usize,
}

impl Inputs {
    /// Builds the inputs for `rows` rows of the bench's mixed body and
    /// checks that both decoders produce the same columns.
    pub fn new(rows: usize) -> Result<Inputs, String> {
        let body = crate::data::results_body(rows);
        let df = frame(body.clone())?;
        let mut rows_text = Vec::with_capacity(body.len());
        for row in df.rows() {
            rows_text.push(b'[');
            for (i, c) in row.cells().enumerate() {
                if i > 0 {
                    rows_text.push(b',');
                }
                rows_text.extend_from_slice(c.raw().as_bytes());
            }
            rows_text.extend_from_slice(b"]\n");
        }
        let ours = connecty_arrow::to_record_batch(&df, None).map_err(|e| e.to_string())?;
        // The same schema, except that the timestamp's zone is written as
        // the offset "+00:00": arrow-json knows "UTC" by name only with
        // arrow-array's chrono-tz feature (the whole tz database). The
        // instants are the same.
        let fields: Vec<Field> = ours
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Timestamp(unit, Some(_)) => f
                    .as_ref()
                    .clone()
                    .with_data_type(DataType::Timestamp(*unit, Some("+00:00".into()))),
                _ => f.as_ref().clone(),
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let inputs = Inputs {
            body,
            rows_text,
            schema,
            rows,
        };
        let theirs = inputs.arrow_json(inputs.rows_text.clone())?;
        let same = theirs.columns().iter().zip(ours.columns()).all(|(a, b)| {
            let (a, b) = (a.to_data(), b.to_data());
            a.buffers() == b.buffers() && a.nulls() == b.nulls() && a.len() == b.len()
        });
        if !same || theirs.num_columns() != ours.num_columns() {
            return Err("arrow-json and connecty-arrow decoded different columns".into());
        }
        Ok(inputs)
    }

    /// arrow-json's decoder over `rows_text`, into one batch.
    pub fn arrow_json(&self, rows_text: Vec<u8>) -> Result<RecordBatch, String> {
        let mut decoder = arrow_json::ReaderBuilder::new(self.schema.clone())
            .with_struct_mode(arrow_json::StructMode::ListOnly)
            .with_batch_size(self.rows.max(1))
            .build_decoder()
            .map_err(|e| e.to_string())?;
        let mut at = 0;
        while at < rows_text.len() {
            let n = decoder
                .decode(&rows_text[at..])
                .map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            at += n;
        }
        let batch = decoder.flush().map_err(|e| e.to_string())?;
        drop(rows_text);
        batch.ok_or_else(|| "arrow-json produced no batch".into())
    }

    /// The baseline's whole path to Parquet: arrow-json decodes the rows
    /// (schema given), then `ArrowWriter` writes them with connecty's
    /// writer properties.
    pub fn arrow_json_parquet(&self, rows_text: Vec<u8>) -> Result<(), String> {
        let batch = self.arrow_json(rows_text)?;
        arrow_writer(&batch)
    }
}

/// The dataframe of a results body, parsed by connecty-proto.
pub fn frame(body: Vec<u8>) -> Result<DataFrame, String> {
    connecty_proto::parse_results_body(body)
        .map_err(|e| e.to_string())?
        .results
        .and_then(|r| r.dataframe)
        .ok_or_else(|| "no dataframe".into())
}

/// connecty: parse the body, then convert (the dataframe is dropped once
/// the batch is built).
pub fn connecty(body: Vec<u8>, options: &Options) -> Result<RecordBatch, String> {
    let df = frame(body)?;
    convert(&df, options)
}

/// connecty-arrow's conversion alone.
pub fn convert(df: &DataFrame, options: &Options) -> Result<RecordBatch, String> {
    connecty_arrow::to_record_batch_with(df, None, options).map_err(|e| e.to_string())
}

/// connecty-arrow's Parquet writer from a parsed dataframe (conversion
/// included).
pub fn connecty_parquet(df: &DataFrame, options: &Options) -> Result<(), String> {
    connecty_arrow::write_with(
        df,
        None,
        connecty_arrow::FileFormat::Parquet,
        options,
        std::io::sink(),
    )
    .map_err(|e| e.to_string())
}

/// connecty's whole path to Parquet: the results body as received,
/// parsed, converted and written (the dataframe dropped at the end).
pub fn connecty_whole(body: Vec<u8>, options: &Options) -> Result<(), String> {
    let df = frame(body)?;
    connecty_parquet(&df, options)
}

/// arrow-rs's `ArrowWriter` on a batch built in advance, with the same
/// properties.
pub fn arrow_writer(batch: &RecordBatch) -> Result<(), String> {
    let mut w = ArrowWriter::try_new(
        std::io::sink(),
        batch.schema(),
        Some(connecty_arrow::parquet_properties()),
    )
    .map_err(|e| e.to_string())?;
    w.write(batch).map_err(|e| e.to_string())?;
    w.close().map(|_| ()).map_err(|e| e.to_string())
}
