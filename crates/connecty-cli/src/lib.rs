//! # connecty-cli
//!
//! The `connecty` command of the connecty SDK: ask ConnectyAI questions of a
//! Data Workspace, wait, and print the answer as a table, CSV, JSON, NDJSON
//! or Markdown, on screen or into a file, or write it as a Parquet or Arrow
//! file; say when an answer was cut and fetch every row; keep settings in
//! profiles; work in an interactive shell; run question sets in batch; try
//! it all offline with `connecty demo`.
//!
//! **What it is for:** people trying the service, daily use at a terminal,
//! scripts, and question sets in batch. Run `connecty --help` for the
//! commands, options, environment variables and exit codes.
//!
//! **What it is not:** a library for programs; use `connecty-ureq` or
//! `connecty-hyper`. This crate's library part holds what the binary is made
//! of, public where it is worth reusing or testing: the output
//! [formats](mod@format), the [`exit`] codes and the argument definitions
//! ([`command`], for completions and man pages).
//!
//! The command builds its clients from connecty-proto's `Settings` through
//! the transports' `ClientBuilder`, and nothing else: the profile, the
//! environment and the flags only decide the `Settings`.
//!
//! ```
//! use connecty_cli::exit;
//! assert_eq!(exit::QUESTION_FAILED, 4);
//! assert_eq!(exit::DEADLINE, 5);
//! assert!(connecty_cli::command().find_subcommand("shell").is_some());
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod ask;
mod atomic;
mod batch;
mod cli;
mod client;
mod configure;
mod demo;
pub mod exit;
pub mod format;
mod interrupt;
mod mcp;
mod output;
mod profile;
mod progress;
mod resolve;
mod shell;
mod truncation;

pub use app::{command, expiry_line, run};
pub use cli::parse_secs;
pub use demo::DEMO_QUESTION;
