//! # connecty-cli
//!
//! The `connecty` command of the connecty SDK: ask ConnectyAI questions of a
//! Data Workspace, wait, and print the answer as a table, CSV, JSON or
//! NDJSON; run question sets in batch; try it all offline with
//! `connecty demo`.
//!
//! **What it is for:** people trying the service, scripts, and question
//! sets in batch. Run `connecty --help` for the commands, options,
//! environment variables and exit codes.
//!
//! **What it is not:** a library for programs; use `connecty-ureq` or
//! `connecty-hyper`. This crate's library part holds what the binary is made
//! of, public where it is worth reusing or testing: the output
//! [formats](mod@format) and the [`exit`] codes.
//!
//! ```
//! use connecty_cli::exit;
//! assert_eq!(exit::QUESTION_FAILED, 4);
//! assert_eq!(exit::DEADLINE, 5);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod batch;
mod cli;
mod client;
pub mod exit;
pub mod format;
mod progress;

pub use app::{DEMO_QUESTION, expiry_line, run};
pub use cli::parse_secs;
