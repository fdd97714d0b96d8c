//! # connecty-proto
//!
//! The sans-IO core of the ConnectyAI Public API client: it builds
//! `http::Request`s, parses responses, and runs the state machine that
//! exchanges tokens, asks, polls, retries and gives up.
//!
//! **What it is for:** the logic every ConnectyAI client needs, written once
//! and tested without a network: [`Operation<C>`](Operation) is a
//! deterministic state machine making one typed [`Call`] ([`Health`],
//! [`Token`], [`Ask`], [`Results`], [`Wait`], [`AskAndWait`]), each with its
//! own outcome; [`AsyncClient`] and [`BlockingClient`] drive it over any
//! [`AsyncTransport`] / [`BlockingTransport`].
//!
//! **What it is not:** an HTTP client. It never opens a socket, reads a
//! clock or sleeps; time comes in as `now` arguments and the transports own
//! the clock. Use `connecty-hyper` (async) or `connecty-ureq` (blocking)
//! for a ready client.
//!
//! ## The state graph of one operation
//!
//! ```text
//!                 new(now)
//!                    |
//!                    v
//!   +---------> [Idle{at}] ----- now >= deadline ------------------> [Done(Err(Timeout))]
//!   |                |
//!   |        at <= now, token needed but missing/old
//!   |                |-----------------> [NeedToken] --handle_token--> [Idle{now}]
//!   |                |                        \--handle_token_error--> [Done(Err)]
//!   |                v
//!   |          [InFlight{id}] --Transmit--> driver sends, then
//!   |                |
//!   |   handle_response / handle_transport_error
//!   |                |
//!   |   +------------+-------------+----------------+------------------+
//!   |   |            |             |                |                  |
//!   |  2xx       401 (first)   429/5xx/conn     other error        2xx results:
//!   |   |       drop token,   retry left?      or retries out    PENDING/IN_PROGRESS/
//!   |   |        NeedToken    backoff+jitter        |            unknown -> poll later
//!   |   v            |             |                v                  |
//!   | Health/Token/Ask: Done(Ok)   |          [Done(Err)]              |
//!   | AskAndWait ask: poll at once, then every 250ms x1.5 (cap 5s)     |
//!   | COMPLETED: Done(Ok)  FAILED: Done(Err(QuestionFailed))           |
//!   | all_rows and a cut frame: one more GET (max_rows = the total)    |
//!   +------------------------------+-----------------------------------+
//! ```
//!
//! The operation's one invariant, as in str0m: after creating it or
//! feeding it anything, drain [`Operation::poll_output`] until it returns
//! [`Output::Timeout`] (sleep until then), [`Output::Transmit`] or
//! [`Output::NeedToken`] (do it, feed the answer back), or [`Output::Done`],
//! which comes once with `Result<C::Outcome, Error>`: a driver is a `loop`
//! over an exhaustive `match` that breaks on `Done` (see [`Operation`]).
//!
//! ## Defaults
//!
//! | what | default | anchor |
//! |---|---|---|
//! | poll schedule | at once, then 250 ms, x1.5, capped at 5 s and at 25% of the time waited, no jitter | OpenAI/AWS/Databricks waiters poll at once ([`PollSchedule`]) |
//! | overall deadline | 20 min | Databricks SDK Genie waiter ([`DEFAULT_DEADLINE`]) |
//! | request timeout | 60 s | Databricks SDK HTTP timeout ([`DEFAULT_REQUEST_TIMEOUT`]) |
//! | retries | 3 attempts, 1 s doubling to 20 s, full jitter | AWS SDK standard mode ([`RetryPolicy`]) |
//! | token refresh | min(60 s, lifetime / 10) before expiry | [`refresh_margin`] |
//!
//! ## Example: ask and wait over a closure transport
//!
//! The transport below is a closure answering like the API; the virtual
//! clock makes the 250 ms polls free.
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Instant;
//! use connecty_proto::{BaseUrl, BlockingClient, ClientConfig, Credentials, FnTransport, WaitOptions};
//!
//! let polls = AtomicU32::new(0);
//! let transport = FnTransport::new(Instant::now(), std::time::SystemTime::now().into(), move |req| {
//!     let body = match (req.method().as_str(), req.uri().path()) {
//!         ("POST", "/v1/auth/token") => r#"{"access_token":"t","expires_at":"2099-01-01T00:00:00+00:00"}"#.to_string(),
//!         ("POST", "/v1/dw/13/questions") => r#"{"question_id":"729cb7a4-4b06-449e-a3c9-df40f5e570b8"}"#.to_string(),
//!         (_, _) if polls.fetch_add(1, Ordering::SeqCst) < 2 => r#"{"state":"IN_PROGRESS"}"#.to_string(),
//!         _ => r#"{"state":"COMPLETED","results":{"dataframe":[["country","orders"],["Poland",12]]}}"#.to_string(),
//!     };
//!     Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap())
//! });
//! let config = ClientConfig::new(
//!     BaseUrl::parse("http://127.0.0.1:8080")?,
//!     Credentials::new("my-client", "my-secret")?,
//! );
//! let client = BlockingClient::new(transport, config);
//! let answer = client.ask_and_wait(13, "list the top 5 countries with the most orders", &WaitOptions::new())?;
//! let df = answer.results.dataframe.expect("dataframe included by default");
//! assert_eq!(df.cell(0, 0).unwrap().as_str().unwrap(), "Poland");
//! assert_eq!(df.column("orders").unwrap().cells().next().unwrap().as_u64(), Some(12));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod client;
mod completeness;
mod config;
mod dataframe;
mod error;
mod hint;
mod ids;
mod json;
mod line;
mod machine;
mod message;
pub mod net;
mod offsets;
mod query;
pub mod request;
pub mod response;
mod results;
mod schedule;
mod secret;
mod settings;
mod stats;
mod transport;

pub use builder::{BuildClient, ClientBuilder};
pub use client::{AsyncClient, BlockingClient, ProgressFn, WaitOptions};
pub use completeness::{Completeness, DEFAULT_MAX_ROWS, completeness, row_bounds};
pub use config::{
    BaseUrl, ClientConfig, Credentials, DEFAULT_BODY_LIMIT, DEFAULT_DEADLINE,
    DEFAULT_REQUEST_TIMEOUT, Region, default_user_agent,
};
pub use dataframe::{Cell, CellKind, Column, DataFrame, Row, RowError};
pub use error::{
    Asked, DecodeError, EXCERPT_LIMIT, Error, InvalidInput, Resource, TransportError,
    TransportErrorKind, excerpt, server_message,
};
pub use hint::{Hint, Knob, SdkVocabulary, Vocabulary};
pub use ids::{QuestionId, WorkspaceId};
pub use json::MAX_DEPTH;
pub use line::{escape_for_line, is_invisible_format};
pub use machine::{
    Answer, Ask, AskAndWait, Call, Event, Health, Operation, Output, POLLED_AFTER_DONE, RequestId,
    Results, Token, Transmit, Wait,
};
pub use net::proxy::{ProxySetting, redact_userinfo};
pub use query::{
    Include, IncludeSet, MAX_QUESTION_BYTES, MAX_ROWS_LIMIT, ResultsOptions, validate_question,
};
pub use results::{QuestionResults, ResultsResponse, State, parse_results_body};
pub use schedule::{PollSchedule, RetryPolicy};
pub use secret::{AccessToken, ClientSecret, SKEWED_TOKEN_LIFETIME, refresh_margin};
pub use settings::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_IDLE_TIMEOUT, ENV_BASE_URL, ENV_CLIENT_ID,
    ENV_CLIENT_SECRET, ENV_REGION, Settings,
};
pub use stats::{
    ColumnStatistics, GeneralStats, Members, RawJson, Statistics, StringStats, TemporalStats,
    Timestamp,
};
pub use transport::{AsyncTransport, BlockingTransport, FnTransport};
