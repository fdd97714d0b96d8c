//! [`Emulator`]: its settings ([`EmulatorBuilder`]), its failures to start
//! ([`EmulatorError`]) and a running one ([`EmulatorHandle`]).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use connecty_proto::{BaseUrl, ClientConfig, Credentials};

use crate::api::{App, Config, Counters};
use crate::loopback::{Loopback, LoopbackServer};
use crate::schedule::Schedule;
use crate::storage::{Database, Source};

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
/// `Emulator::builder().start()`; see the [crate docs](crate).
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
            (Some(path), _) => Source::File(path.clone()),
            (None, n) => Source::Sample {
                large_table_rows: n,
            },
        };
        let client_secret = self.client_secret.clone();
        let stopping = Arc::new(AtomicBool::new(false));
        let database = Database::open(
            &source,
            self.query_timeout,
            self.max_rows_cap,
            Arc::clone(&stopping),
        )
        .map_err(EmulatorError::Database)?;

        let listener = Loopback::bind(self.port).map_err(EmulatorError::Bind)?;
        let addr = listener.addr();
        let base_url = format!("http://{addr}");
        let parsed_base =
            BaseUrl::parse(&base_url).map_err(|e| EmulatorError::InvalidConfig(e.to_string()))?;

        let app = Arc::new(App::new(
            Config {
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
        let server = listener
            .serve(2, move |tcp, _| Arc::clone(&app).serve(tcp))
            .map_err(EmulatorError::Runtime)?;
        Ok(EmulatorHandle {
            addr,
            base_url,
            config: ClientConfig::new(parsed_base, credentials),
            client_id: self.client_id,
            client_secret,
            workspace_id: self.workspace_id,
            counters,
            stopping,
            server,
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
    counters: Arc<Counters>,
    stopping: Arc<AtomicBool>,
    server: LoopbackServer,
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
        self.server.connections()
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
        self.server.stop();
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
