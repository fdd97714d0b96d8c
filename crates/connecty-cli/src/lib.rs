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
//! `connecty-hyper`, and connecty-settings for the profiles. This crate's
//! library part holds what the binary is made of, and makes public only
//! what another crate uses: [`run`] (the binary), the argument definitions
//! ([`command`], for completions and man pages) and the [`exit`] codes
//! ([`ExitStatus`](exit::ExitStatus)).
//!
//! The command builds its clients from connecty-proto's `Settings` through
//! the transports' `ClientBuilder`, and nothing else: the profile, the
//! environment and the flags only decide the `Settings` (connecty-settings
//! resolves them).
//!
//! ```
//! use connecty_cli::exit::ExitStatus;
//! assert_eq!(ExitStatus::QuestionFailed.code(), 4);
//! assert_eq!(ExitStatus::Deadline.code(), 5);
//! assert!(connecty_cli::command().find_subcommand("shell").is_some());
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answer;
mod app;
mod atomic;
mod chart;
mod cli;
mod client;
mod commands;
pub mod exit;
mod format;
mod interrupt;
mod output;
mod progress;
mod settings;
mod truncation;

pub use app::{command, run};
