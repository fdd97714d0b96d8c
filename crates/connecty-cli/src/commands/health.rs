//! `connecty health`: `GET /v1/health`, no credentials; prints `ok`.

use crate::cli::Cli;
use crate::exit::{Outcome, failure};
use crate::output::println_out;
use crate::settings;

/// `connecty health`.
pub fn run(cli: &Cli) -> Outcome {
    let loaded = settings::load(cli, false)?;
    let client = loaded.client()?;
    client.health().map_err(|e| failure(&e, &loaded.ctx))?;
    println_out("ok")
}
