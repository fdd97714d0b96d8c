//! Prints a chart of a dataframe given as JSON on stdin (`[[names…],[row]…]`):
//! `cargo run -p connecty-chart --example look -- WIDTH [HEIGHT] < frame.json`.
use std::io::Read;

use connecty_chart::{Chart, Outcome, Request, TextOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let width = args.next().map_or(Ok(80), |w| w.parse())?;
    let height = args.next().map(|h| h.parse()).transpose()?;
    let mut json = String::new();
    std::io::stdin().read_to_string(&mut json)?;
    let df = connecty_proto::DataFrame::from_json(&json)?;
    let batch = connecty_arrow::to_record_batch(&df, None)?;
    match Chart::from_batch(&batch, None, &Request::default(), Some("a look"))? {
        Outcome::Chart(c) => print!(
            "{}",
            c.to_text(&TextOptions {
                width,
                height,
                colour: false
            })?
        ),
        Outcome::NoChart(why) => println!("no chart: {why}"),
    }
    Ok(())
}
