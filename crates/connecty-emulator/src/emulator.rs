//! A stateful local ConnectyAI for demos and integration tests.
//!
//! **What it is:** an emulator of the Public API *contract*. It listens on
//! `127.0.0.1`, issues and checks bearer tokens, takes questions, moves them
//! through `PENDING` → `IN_PROGRESS` → `COMPLETED` / `FAILED` on a schedule,
//! and answers results with a real dataframe and real statistics computed by
//! an embedded SQLite database. Every client, transport and example can run
//! against it without an account or a network.
//!
//! **What it is not:** a text-to-SQL engine. It understands two kinds of
//! question:
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
//! ```
//! use std::io::{Read, Write};
//! use connecty_testkit::emulator::Emulator;
//!
//! // No async runtime is needed: the emulator runs on its own thread.
//! let emulator = Emulator::builder().start()?;
//! let mut stream = std::net::TcpStream::connect(emulator.addr())?;
//! stream.write_all(b"GET /v1/health HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200"));
//! assert!(response.ends_with(r#"{"status":"ok"}"#));
//!
//! // A connecty client points at it with the emulator's own test credentials:
//! let config = emulator.client_config();
//! assert_eq!(config.base_url.to_string(), emulator.base_url());
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

mod db;
mod questions;
mod server;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use connecty_proto::{BaseUrl, ClientConfig, Credentials};

pub use questions::{KNOWN_QUESTIONS, KnownQuestion};

/// The client id the emulator accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "emulator-client";
/// The client secret the emulator accepts unless told otherwise. A test
/// credential, not a secret.
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-secret";
/// The workspace id the emulator serves unless told otherwise: 13, as in
/// the API reference's examples.
pub const DEFAULT_WORKSPACE_ID: u64 = 13;
/// The token lifetime unless told otherwise: one hour.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// The most rows kept from one query unless told otherwise: 1,000,000.
pub const DEFAULT_MAX_ROWS_CAP: usize = 1_000_000;
/// The longest a query may run unless told otherwise: 10 s.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a question stays in each state before its outcome shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time in `PENDING`, from when the question was asked.
    pub pending: Duration,
    /// Time in `IN_PROGRESS` after that (longer if the query still runs).
    pub in_progress: Duration,
}

impl Schedule {
    /// The default: 200 ms pending, then 600 ms in progress, so a demo
    /// shows progress without a long wait.
    pub const DEFAULT: Schedule = Schedule {
        pending: Duration::from_millis(200),
        in_progress: Duration::from_millis(600),
    };

    /// No waiting: the outcome shows as soon as the query has run.
    pub const IMMEDIATE: Schedule = Schedule {
        pending: Duration::ZERO,
        in_progress: Duration::ZERO,
    };
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::DEFAULT
    }
}

/// Why the emulator could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmulatorError {
    /// A builder setting cannot work (the message says which and why).
    InvalidConfig(String),
    /// The database could not be built or opened.
    Database(String),
    /// Binding `127.0.0.1:<port>` failed (the port is taken?).
    Bind(std::io::Error),
    /// The emulator's thread or async runtime could not start.
    Runtime(std::io::Error),
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulatorError::InvalidConfig(m) => write!(f, "invalid emulator setting: {m}"),
            EmulatorError::Database(m) => write!(f, "emulator database: {m}"),
            EmulatorError::Bind(e) => write!(f, "the emulator could not bind 127.0.0.1: {e}"),
            EmulatorError::Runtime(e) => write!(f, "the emulator could not start: {e}"),
        }
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmulatorError::Bind(e) | EmulatorError::Runtime(e) => Some(e),
            _ => None,
        }
    }
}

/// The local ConnectyAI emulator. Start one with
/// `Emulator::builder().start()`; see the [module docs](self).
#[derive(Debug)]
#[non_exhaustive]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults: credentials
    /// [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`], tokens valid one
    /// hour, [`Schedule::DEFAULT`], workspace 13, the sample workspace, any
    /// free port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Settings of an [`Emulator`]; [`start`](EmulatorBuilder::start) it.
#[derive(Clone)]
pub struct EmulatorBuilder {
    client_id: String,
    client_secret: String,
    token_ttl: Duration,
    schedule: Schedule,
    database: Option<PathBuf>,
    workspace_id: u64,
    port: u16,
    max_rows_cap: usize,
    large_table_rows: u64,
    query_timeout: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            token_ttl: DEFAULT_TOKEN_TTL,
            schedule: Schedule::DEFAULT,
            database: None,
            workspace_id: DEFAULT_WORKSPACE_ID,
            port: 0,
            max_rows_cap: DEFAULT_MAX_ROWS_CAP,
            large_table_rows: 0,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("token_ttl", &self.token_ttl)
            .field("schedule", &self.schedule)
            .field("database", &self.database)
            .field("workspace_id", &self.workspace_id)
            .field("port", &self.port)
            .field("max_rows_cap", &self.max_rows_cap)
            .field("large_table_rows", &self.large_table_rows)
            .field("query_timeout", &self.query_timeout)
            .finish()
    }
}

impl EmulatorBuilder {
    /// The only client credentials the token endpoint accepts. Neither may
    /// be empty or hold control characters.
    #[must_use]
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = client_id.into();
        self.client_secret = client_secret.into();
        self
    }

    /// How long an access token is valid; after that the question
    /// endpoints answer 401 to it. Default one hour.
    #[must_use]
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// How long questions stay `PENDING` and `IN_PROGRESS`. Default
    /// [`Schedule::DEFAULT`]; [`Schedule::IMMEDIATE`] for fast tests.
    #[must_use]
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Serves this SQLite file, opened read-only, instead of the sample
    /// workspace.
    #[must_use]
    pub fn database(mut self, path: impl Into<PathBuf>) -> Self {
        self.database = Some(path.into());
        self
    }

    /// The one workspace id served (default 13); other ids answer 404.
    #[must_use]
    pub fn workspace_id(mut self, id: u64) -> Self {
        self.workspace_id = id;
        self
    }

    /// The port to bind on 127.0.0.1; 0 (the default) takes any free port.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The most rows kept from one query result (default
    /// [`DEFAULT_MAX_ROWS_CAP`]); rows past it are dropped before the
    /// dataframe and the statistics are made, and the summary says so.
    /// This bounds the emulator's memory; `max_rows` then cuts the
    /// dataframe of each answer.
    #[must_use]
    pub fn max_rows_cap(mut self, rows: usize) -> Self {
        self.max_rows_cap = rows;
        self
    }

    /// Adds a table `events` with `rows` generated rows to the sample
    /// workspace, for benchmarks: `id INTEGER`, `value REAL`, `label TEXT`,
    /// `occurred_at TIMESTAMP` (RFC 3339 text), `flag BOOLEAN` and a
    /// nullable `comment TEXT`, about 87 bytes of dataframe JSON per row:
    /// `SELECT * FROM events` with `max_rows=200000` over 200,000 rows
    /// answers about 17 MB. Building takes time proportional to `rows`.
    /// Not available with [`database`](Self::database).
    #[must_use]
    pub fn large_table_rows(mut self, rows: u64) -> Self {
        self.large_table_rows = rows;
        self
    }

    /// The longest one query may run before it is stopped and its question
    /// ends `FAILED` (default [`DEFAULT_QUERY_TIMEOUT`]).
    #[must_use]
    pub fn query_timeout(mut self, timeout: Duration) -> Self {
        self.query_timeout = timeout;
        self
    }

    /// Builds the database, binds `127.0.0.1`, and starts serving on a
    /// background thread with its own async runtime.
    ///
    /// It needs no runtime from the caller and can be called from sync or
    /// async code (it blocks while the database is built: milliseconds for
    /// the sample workspace, longer with a large `events` table).
    pub fn start(self) -> Result<EmulatorHandle, EmulatorError> {
        let credentials = Credentials::new(self.client_id.clone(), self.client_secret.clone())
            .map_err(|e| EmulatorError::InvalidConfig(e.to_string()))?;
        if self.max_rows_cap == 0 {
            return Err(EmulatorError::InvalidConfig(
                "max_rows_cap must be at least 1".to_string(),
            ));
        }
        let source = match (&self.database, self.large_table_rows) {
            (Some(_), n) if n > 0 => {
                return Err(EmulatorError::InvalidConfig(
                    "large_table_rows adds a table to the sample workspace; it cannot be used with database(path)".to_string(),
                ));
            }
            (Some(path), _) => db::Source::File(path.clone()),
            (None, n) => db::Source::Sample {
                large_table_rows: n,
            },
        };
        let client_secret = self.client_secret.clone();
        let stopping = Arc::new(AtomicBool::new(false));
        let database = db::Database::open(
            &source,
            self.query_timeout,
            self.max_rows_cap,
            Arc::clone(&stopping),
        )
        .map_err(EmulatorError::Database)?;

        let listener =
            std::net::TcpListener::bind(("127.0.0.1", self.port)).map_err(EmulatorError::Bind)?;
        let addr = listener.local_addr().map_err(EmulatorError::Bind)?;
        listener
            .set_nonblocking(true)
            .map_err(EmulatorError::Bind)?;
        let base_url = format!("http://{addr}");
        let parsed_base =
            BaseUrl::parse(&base_url).map_err(|e| EmulatorError::InvalidConfig(e.to_string()))?;

        let app = Arc::new(server::App::new(
            server::Config {
                client_id: self.client_id.clone(),
                client_secret: client_secret.clone(),
                token_ttl: self.token_ttl,
                schedule: self.schedule,
                workspace_id: self.workspace_id,
                row_cap: self.max_rows_cap,
            },
            database,
        ));
        let counters = Arc::clone(&app.counters);
        let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("connecty-emulator".to_string())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .max_blocking_threads(8)
                    .thread_name("connecty-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let listener =
                    match rt.block_on(async { tokio::net::TcpListener::from_std(listener) }) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                let _ = ready_tx.send(Ok(()));
                rt.block_on(server::serve(listener, app, shutdown_rx));
                rt.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(EmulatorError::Runtime)?;
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the emulator thread ended before it was ready",
            ))
        });
        if let Err(e) = ready {
            let _ = thread.join();
            return Err(EmulatorError::Runtime(e));
        }
        Ok(EmulatorHandle {
            addr,
            base_url,
            config: ClientConfig::new(parsed_base, credentials),
            client_id: self.client_id,
            client_secret,
            workspace_id: self.workspace_id,
            counters,
            stopping,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }
}

/// A running emulator. It stops on [`shutdown`](Self::shutdown) or when
/// dropped.
pub struct EmulatorHandle {
    addr: SocketAddr,
    base_url: String,
    config: ClientConfig,
    client_id: String,
    client_secret: String,
    workspace_id: u64,
    counters: Arc<server::Counters>,
    stopping: Arc<AtomicBool>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id())
            .field("client_secret", &"[redacted]")
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    /// The base URL to give a client, such as `http://127.0.0.1:49152`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The socket address listened on (always on 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The client id the emulator accepts.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret the emulator accepts. This is a test credential
    /// of a local emulator, not a real secret.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The workspace id served.
    pub fn workspace_id(&self) -> u64 {
        self.workspace_id
    }

    /// Client settings for this emulator, as a user would give them to
    /// `ClientBuilder::from_settings`: its base URL and credentials, no
    /// proxy (it is on loopback), every other setting at its default.
    pub fn settings(&self) -> connecty_proto::Settings {
        // Field by field: Settings is non-exhaustive.
        let mut s = connecty_proto::Settings::default();
        s.base_url =
            BaseUrl::parse(&self.base_url()).expect("the emulator's own base URL is valid");
        s.credentials = Some(
            Credentials::new(self.client_id(), self.client_secret())
                .expect("the emulator's credentials are valid"),
        );
        s.proxy = connecty_proto::ProxySetting::Disabled;
        s
    }

    /// A client configuration for this emulator: its base URL and
    /// credentials, every other setting at its default.
    pub fn client_config(&self) -> ClientConfig {
        self.config.clone()
    }

    /// How many requests reached the token endpoint, refused ones included.
    pub fn token_requests(&self) -> u64 {
        self.counters.token_requests.load(Ordering::Relaxed)
    }

    /// How many HTTP requests the emulator received, on every path.
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::Relaxed)
    }

    /// How many TCP connections the emulator accepted.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::Relaxed)
    }

    /// How many questions were accepted (answered with a `question_id`).
    pub fn questions_asked(&self) -> u64 {
        self.counters.questions.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, interrupts running queries, closes open
    /// connections and waits for the emulator's thread (at most about two
    /// seconds).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
