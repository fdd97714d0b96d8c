//! # connecty-emulator
//!
//! A stateful local ConnectyAI on `127.0.0.1`, for demos, front-ends and
//! integration tests: `connecty demo` and `connecty emulator` run it, and
//! so can an MCP server, a Python package or your own tests.
//!
//! **What it is:** an emulator of the Public API *contract*. It issues and
//! checks bearer tokens, takes questions, moves them through `PENDING` →
//! `IN_PROGRESS` → `COMPLETED` / `FAILED` on a [`Schedule`], and answers
//! results with a real dataframe and real statistics computed by an
//! embedded SQLite database over a sample shop. Every client, transport and
//! example can run against it without an account or a network.
//!
//! **What it is not:** the ConnectyAI service, nor a text-to-SQL engine,
//! nor a test kit (scripted servers, fixtures, proxies and test CAs are in
//! connecty-testkit, which builds on this crate). It understands two kinds
//! of question:
//!
//! - **SQL**: a question starting with `SELECT` or `WITH` (any letter case)
//!   runs as one read-only SQLite statement, with a time limit;
//! - **known questions**: the short list in [`KNOWN_QUESTIONS`] (the API
//!   reference's "list the top 5 countries with the most orders" first),
//!   each mapped to fixed SQL over the sample workspace. Matching ignores
//!   letter case, repeated whitespace and a trailing `?`, `.` or `!`, and
//!   nothing else.
//!
//! Anything else ends `FAILED` with a message listing what the emulator can
//! answer. A SQL error ends `FAILED` with SQLite's own message.
//!
//! # Example
//!
//! Start one (no async runtime is needed: it runs on its own thread), point
//! a client at it with [`EmulatorHandle::settings`], and ask one of its
//! [`KNOWN_QUESTIONS`]:
//!
//! ```
//! use std::time::Duration;
//! use connecty_emulator::{Emulator, KNOWN_QUESTIONS, Schedule};
//! use connecty_ureq::{ClientBuilder, WaitOptions};
//!
//! let emulator = Emulator::builder()
//!     .schedule(Schedule::QUICK)
//!     .token_ttl(Duration::from_secs(600))
//!     .start()?;
//! assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
//!
//! let client = ClientBuilder::from_settings(emulator.settings()).build()?;
//! let question = KNOWN_QUESTIONS[0].question;
//! let answer = client.ask_and_wait(emulator.workspace_id(), question, &WaitOptions::new())?;
//! assert_eq!(answer.results.dataframe.map(|df| df.len()), Some(5));
//! assert_eq!(emulator.questions_asked(), 1);
//! emulator.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Endpoints
//!
//! As in the API reference; every error body is `{"error": "<message>"}`
//! and every body is `application/json`.
//!
//! | endpoint | answers |
//! |---|---|
//! | `GET /v1/health` | 200 `{"status":"ok"}` |
//! | `POST /v1/auth/token` `{client_id, client_secret}` | 200 `{"access_token", "expires_at"}` (RFC 3339, offset and microseconds) with a `Date` header; 401 `{"error":"invalid client credentials"}`; 400 for a body that is not that JSON object |
//! | `POST /v1/dw/{dw_id}/questions` `{"question"}` | 200 `{"question_id": "<uuid>"}`; 400 for a `dw_id` that is not an integer or a bad body; 404 for another workspace |
//! | `GET /v1/dw/{dw_id}/questions/{question_id}/results?include=…&max_rows=…` | 200 `{"state": …}` as below; 400 for a bad `dw_id`, `question_id` (not a UUID), `include` value or `max_rows` (not a positive integer); 404 for another workspace or an unknown question |
//!
//! The two question endpoints need `Authorization: Bearer <access_token>`;
//! a missing, unknown or expired token gets 401 with a JSON error and
//! `WWW-Authenticate: Bearer`. Tokens really expire after
//! [`EmulatorBuilder::token_ttl`], so a short lifetime exercises a client's
//! refresh. Other paths get 404, other methods 405 with `Allow`. Request
//! bodies over 1 MiB get 413. When a request sends `Accept-Encoding: gzip`
//! (or `x-gzip` or `*`, with a non-zero q-value), every response body is
//! gzip-compressed, with `Content-Encoding: gzip`.
//!
//! # States
//!
//! From the moment a question is asked it is `PENDING` for
//! [`Schedule::pending`], then `IN_PROGRESS` for [`Schedule::in_progress`]
//! (and for as long as its query still runs), then `COMPLETED` with
//! `results`, or `FAILED` with `{"state":"FAILED","error":"<reason>"}`.
//! The query runs in the background as soon as the question is asked.
//!
//! # Results
//!
//! `include` defaults to `dataframe` and takes any comma-separated mix of
//! `dataframe`, `statistics`, `sqlquery` and `summary`; `max_rows` defaults
//! to 1000 and limits the dataframe's rows.
//!
//! - `dataframe`: the column names, then the rows. SQLite `INTEGER` is a
//!   JSON integer (exact `i64`), `REAL` a JSON number, `TEXT` a string,
//!   `NULL` null, `BLOB` a lower-case hex string; in a column declared
//!   `BOOLEAN`, 0 and 1 are `false` and `true`.
//! - `dataframe_stats`: computed from **every row of the result, before
//!   `max_rows` cuts the dataframe**, in the reference's shape. Every column
//!   has `general` `{count, nulls_count}` (`count` is the number of non-null
//!   values). A text column whose values all parse as RFC 3339 date-times
//!   has `temporal` `{distinct_count, distinct_approx: false, min, max}`
//!   (min and max compared as instants, sent as their original text); any
//!   other text column has `string` `{distinct_count, distinct_approx:
//!   false, empty_string_count, min_len, mean_len, max_len}` (lengths in
//!   characters, `mean_len` rounded to 2 decimals); a numeric column has
//!   `numeric` `{distinct_count, min, max, mean, sum}`. Boolean, blob,
//!   mixed and all-null columns have `general` only. A column name used
//!   twice has the statistics of its first column.
//! - `sql_query`: the SQL that ran.
//! - `response_summary`: one honest sentence, such as `Emulator: 5 rows from
//!   the SQL mapped to the known question "…".`
//!
//! Questions with the same SQL share one stored result (the database is
//! read-only), so SQL calling `random()` or `'now'` gives the first
//! answer again.
//!
//! # The sample workspace
//!
//! Generated in memory at start from a fixed seed, so it is the same on
//! every run: `countries` (41 rows: `code`, `name`, `region`), `customers`
//! (1,500 rows: `id`, `name`, `email`, `country_code`, `signup_at` text
//! timestamps with offsets) and `orders` (5,000 rows: `id`, `customer_id`,
//! `ordered_at` text timestamps, `amount DECIMAL(10, 2)`, `status`,
//! `is_gift BOOLEAN`, and a nullable `note` with commas, quotes, an empty
//! string and non-ASCII text). [`EmulatorBuilder::large_table_rows`] adds an
//! `events` table for benchmarks. [`EmulatorBuilder::database`] serves a
//! SQLite file of yours instead, read-only; the known questions still map
//! to their SQL, which fails unless your file has the sample's tables.
//!
//! # Limits
//!
//! A query runs at most [`EmulatorBuilder::query_timeout`] (then its
//! question ends `FAILED`), keeps at most [`EmulatorBuilder::max_rows_cap`]
//! rows, and the emulator remembers the latest 10,000 questions.
//!
//! # The server loop
//!
//! [`loopback`] is the one HTTP server loop of the workspace: the emulator
//! runs on it, and connecty-testkit's test servers reuse it. [`gzip`] is the
//! one gzip encoder they share.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod asked;
mod body;
mod emulator;
pub mod loopback;
mod query;
mod questions;
mod reply;
mod sample;
mod schedule;
mod statistics;
mod storage;
mod values;
mod wire;

pub use emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MAX_ROWS_CAP, DEFAULT_QUERY_TIMEOUT,
    DEFAULT_TOKEN_TTL, DEFAULT_WORKSPACE_ID, Emulator, EmulatorBuilder, EmulatorError,
    EmulatorHandle,
};
pub use questions::{KNOWN_QUESTIONS, KnownQuestion};
pub use schedule::Schedule;
pub use wire::gzip;
