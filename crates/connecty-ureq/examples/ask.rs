//! Asks a question of a Data Workspace, waits, and prints the answer.
//!
//! ```text
//! export CONNECTY_CLIENT_ID=... CONNECTY_CLIENT_SECRET=...  # and CONNECTY_REGION=us1 or CONNECTY_BASE_URL=...
//! cargo run -p connecty-ureq --example ask -- 13 "list the top 5 countries with the most orders"
//! ```
//!
//! State changes go to stderr, the columns and rows to stdout, tab-separated.

use std::process::ExitCode;

use connecty_ureq::connecty_proto::Event;
use connecty_ureq::{ClientBuilder, WaitOptions};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dw), Some(question)) = (args.next(), args.next()) else {
        return Err("usage: ask <dw_id> <question>".into());
    };
    let dw: connecty_ureq::WorkspaceId = dw.parse()?;

    let client = ClientBuilder::from_env()?.build()?;
    let options = WaitOptions::new().on_progress(|event| match event {
        Event::Asked { question_id } => eprintln!("asked: question {question_id}"),
        Event::StateChanged { state, elapsed, .. } => {
            eprintln!("{state} after {:.1} s", elapsed.as_secs_f64());
        }
        _ => {}
    });
    let answer = client.ask_and_wait(dw, &question, &options)?;

    let Some(df) = answer.results.dataframe else {
        return Err("the answer has no dataframe".into());
    };
    println!("{}", df.columns().join("\t"));
    for row in df.rows() {
        let cells: Vec<String> = row.cells().map(|c| c.to_string()).collect();
        println!("{}", cells.join("\t"));
    }
    Ok(())
}
