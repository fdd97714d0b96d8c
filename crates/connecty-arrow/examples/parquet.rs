//! Asks a question of a local ConnectyAI emulator over HTTP (connecty-ureq)
//! and writes the answer's dataframe as a Parquet file, typed column by
//! column. No account or network needed.
//!
//! ```text
//! cargo run -p connecty-arrow --example parquet                      # orders.parquet
//! cargo run -p connecty-arrow --example parquet -- out.parquet "SELECT * FROM customers"
//! python3 -c "import pyarrow.parquet as pq; print(pq.read_schema('orders.parquet'))"
//! duckdb -c "DESCRIBE SELECT * FROM 'orders.parquet'"
//! ```
//!
//! Against the real API, build the client with `ClientBuilder::from_env()`
//! instead of the emulator's address and test credentials.

use std::error::Error;
use std::path::Path;

use connecty_emulator::{Emulator, Schedule};
use connecty_proto::{Include, IncludeSet, MAX_ROWS_LIMIT};
use connecty_ureq::{ClientBuilder, WaitOptions};

/// Asks `question` of a fresh emulator and writes its answer to `out` as
/// Parquet; returns the file's schema, one `name: type` per column.
pub fn ask_to_parquet(question: &str, out: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    let emulator = Emulator::builder().schedule(Schedule::IMMEDIATE).start()?;
    let client = ClientBuilder::new()
        .base_url(&emulator.base_url())?
        .credentials(emulator.client_id(), emulator.client_secret())?
        .build()?;
    // Statistics help type columns whose cells are all null; every row up
    // to the API's limit.
    let options = WaitOptions::new()
        .include(IncludeSet::DEFAULT.with(Include::Statistics))
        .max_rows(MAX_ROWS_LIMIT);
    let answer = client.ask_and_wait(emulator.workspace_id(), question, &options)?;
    let df = answer
        .results
        .dataframe
        .ok_or("the answer has no dataframe")?;
    let batch = connecty_arrow::to_record_batch(&df, answer.results.dataframe_stats.as_ref())?;
    connecty_arrow::write_parquet(&batch, std::fs::File::create(out)?)?;
    emulator.shutdown();
    Ok(batch
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "orders.parquet".into());
    let question = args.next().unwrap_or_else(|| "SELECT * FROM orders".into());
    for line in ask_to_parquet(&question, Path::new(&out))? {
        println!("{line}");
    }
    eprintln!("wrote {out}");
    Ok(())
}
