//! The emulator's HTTP side: routing, authentication, question state and
//! response encoding. One function per endpoint, named after it.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::watch;
use uuid::Uuid;

use super::Schedule;
use super::db::{Database, QueryResult};
use super::questions::{Interpretation, KnownQuestion, interpret, unknown_question_message};

/// The largest request body accepted: 1 MiB. Larger bodies get 413.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most bytes of an oversized body read and dropped before answering
/// 413: 16 MiB.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The most questions remembered; the oldest are forgotten first.
pub(crate) const MAX_QUESTIONS: usize = 10_000;

/// Bodies at least this large are compressed off the async workers.
const BLOCKING_GZIP_BYTES: usize = 64 * 1024;

/// What the server was configured with.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) token_ttl: Duration,
    pub(crate) schedule: Schedule,
    pub(crate) workspace_id: u64,
    pub(crate) row_cap: usize,
}

/// Request counters, read through the handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) token_requests: AtomicU64,
    pub(crate) questions: AtomicU64,
    pub(crate) connections: AtomicU64,
}

/// How a question is answered.
#[derive(Debug, Clone)]
enum Kind {
    Sql(String),
    Known(&'static KnownQuestion),
}

impl Kind {
    fn sql(&self) -> &str {
        match self {
            Kind::Sql(s) => s,
            Kind::Known(k) => k.sql,
        }
    }
}

#[derive(Debug)]
enum Outcome {
    Completed(Arc<QueryResult>),
    Failed(String),
}

#[derive(Debug)]
struct Question {
    asked_at: Instant,
    kind: Option<Kind>,
    outcome: OnceLock<Outcome>,
}

#[derive(Debug, Default)]
struct Questions {
    by_id: HashMap<Uuid, Arc<Question>>,
    order: VecDeque<Uuid>,
}

/// The state of one emulator.
#[derive(Debug)]
pub(crate) struct App {
    config: Config,
    db: Arc<Database>,
    tokens: Mutex<HashMap<String, Instant>>,
    questions: Mutex<Questions>,
    /// Results shared by questions with the same SQL: the database is
    /// read-only, so the same SQL gives the same rows.
    results: Arc<Mutex<HashMap<String, Weak<QueryResult>>>>,
    pub(crate) counters: Arc<Counters>,
    /// The last large completed body (see [`CACHED_BODY_BYTES`]).
    last_body: Mutex<Option<(BodyKey, Arc<CachedBody>)>>,
}

/// The public state of a question at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    InProgress,
    Done,
}

/// The state a question shows `elapsed` after it was asked: `PENDING` for
/// the schedule's pending time, then `IN_PROGRESS` for its in-progress time
/// and for as long as the query still runs, then its outcome.
pub(crate) fn phase(elapsed: Duration, schedule: Schedule, finished: bool) -> Phase {
    if elapsed < schedule.pending {
        Phase::Pending
    } else if elapsed < schedule.pending.saturating_add(schedule.in_progress) || !finished {
        Phase::InProgress
    } else {
        Phase::Done
    }
}

/// A response before encoding.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    /// A large completed body kept for the next identical request, with its
    /// gzip form made at most once.
    cached: Option<Arc<CachedBody>>,
}

/// A completed body and, once asked for, its gzip form.
#[derive(Debug)]
pub(crate) struct CachedBody {
    plain: Bytes,
    gzip: OnceLock<Option<Bytes>>,
}

/// What makes two completed bodies identical: the same stored result, the
/// same question text (the summary quotes it) and the same options.
type BodyKey = (usize, String, ResultsQuery);

/// Completed bodies at least this large are kept (one at a time), so that
/// polling clients and benchmarks do not pay for building and compressing
/// the same tens of megabytes again.
const CACHED_BODY_BYTES: usize = 1024 * 1024;

impl Reply {
    fn json(status: StatusCode, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            cached: None,
        }
    }

    fn error(status: StatusCode, message: impl AsRef<str>) -> Self {
        let body = serde_json::json!({ "error": message.as_ref() }).to_string();
        Self::json(status, body)
    }

    fn with(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }
}

/// At most `n` characters of a value echoed in an error.
fn shown(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

impl App {
    pub(crate) fn new(config: Config, db: Database) -> Self {
        Self {
            config,
            db: Arc::new(db),
            tokens: Mutex::new(HashMap::new()),
            questions: Mutex::new(Questions::default()),
            results: Arc::new(Mutex::new(HashMap::new())),
            counters: Arc::new(Counters::default()),
            last_body: Mutex::new(None),
        }
    }

    /// Answers one request.
    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let gzip = accepts_gzip(req.headers());
        let reply = self.route(req).await;
        encode(reply, gzip).await
    }

    async fn route(&self, req: Request<Incoming>) -> Reply {
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let method = req.method().clone();
        match segments.as_slice() {
            ["v1", "health"] => match method {
                Method::GET => self.health(),
                _ => method_not_allowed(&method, &path, "GET"),
            },
            ["v1", "auth", "token"] => {
                self.counters.token_requests.fetch_add(1, Ordering::Relaxed);
                match method {
                    Method::POST => match read_body(req).await {
                        Ok(body) => self.token(&body),
                        Err(reply) => reply,
                    },
                    _ => method_not_allowed(&method, &path, "POST"),
                }
            }
            ["v1", "dw", dw, "questions"] => match method {
                Method::POST => {
                    if let Err(reply) = self.authorize(req.headers()) {
                        return reply;
                    }
                    let dw = match self.workspace(dw) {
                        Ok(dw) => dw,
                        Err(reply) => return reply,
                    };
                    match read_body(req).await {
                        Ok(body) => self.ask(dw, &body),
                        Err(reply) => reply,
                    }
                }
                _ => method_not_allowed(&method, &path, "POST"),
            },
            ["v1", "dw", dw, "questions", question_id, "results"] => match method {
                Method::GET => {
                    if let Err(reply) = self.authorize(req.headers()) {
                        return reply;
                    }
                    self.results(dw, question_id, &query).await
                }
                _ => method_not_allowed(&method, &path, "GET"),
            },
            _ => Reply::error(
                StatusCode::NOT_FOUND,
                format!(
                    "no such endpoint: {method} {}; the API has /v1/health, /v1/auth/token, \
                     /v1/dw/{{dw_id}}/questions and /v1/dw/{{dw_id}}/questions/{{question_id}}/results",
                    shown(&path, 200)
                ),
            ),
        }
    }

    /// `GET /v1/health`.
    fn health(&self) -> Reply {
        Reply::json(StatusCode::OK, r#"{"status":"ok"}"#)
    }

    /// `POST /v1/auth/token`.
    fn token(&self, body: &[u8]) -> Reply {
        let parsed: Option<(String, String)> = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                let id = v.get("client_id")?.as_str()?.to_string();
                let secret = v.get("client_secret")?.as_str()?.to_string();
                Some((id, secret))
            });
        let Some((id, secret)) = parsed else {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object with string fields client_id and client_secret",
            );
        };
        let id_ok = constant_time_eq(id.as_bytes(), self.config.client_id.as_bytes());
        let secret_ok = constant_time_eq(secret.as_bytes(), self.config.client_secret.as_bytes());
        if !(id_ok && secret_ok) {
            return Reply::error(StatusCode::UNAUTHORIZED, "invalid client credentials");
        }
        let now = Instant::now();
        let token = format!("emu_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        // A century is "forever" and keeps the dates printable.
        let ttl = self
            .config
            .token_ttl
            .min(Duration::from_secs(100 * 365 * 86_400));
        let expires_at = chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|d| chrono::Utc::now().checked_add_signed(d))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        {
            let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            tokens.retain(|_, exp| *exp > now);
            let until = now.checked_add(ttl).unwrap_or(now);
            tokens.insert(token.clone(), until);
        }
        let body = serde_json::json!({
            "access_token": token,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        });
        Reply::json(StatusCode::OK, body.to_string())
    }

    /// Checks `Authorization: Bearer <token>`.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Reply> {
        let unauthorized = |m: &str| {
            Reply::error(StatusCode::UNAUTHORIZED, m).with(header::WWW_AUTHENTICATE, "Bearer")
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "missing Authorization header: send Authorization: Bearer <access_token> from POST /v1/auth/token",
            ));
        };
        let value = value.to_str().unwrap_or("").trim();
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(unauthorized(
                    "the Authorization header must be Bearer <access_token>",
                ));
            }
        };
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        match tokens.get(token) {
            Some(exp) if *exp > now => Ok(()),
            Some(_) => {
                tokens.remove(token);
                Err(unauthorized("access token expired"))
            }
            None => Err(unauthorized("invalid access token")),
        }
    }

    /// Parses `dw_id` (400 if it is not an integer) and checks it is the
    /// served workspace (404 if not).
    fn workspace(&self, dw: &str) -> Result<u64, Reply> {
        let id = parse_workspace_id(dw)?;
        self.check_workspace(id)?;
        Ok(id)
    }

    fn check_workspace(&self, id: u64) -> Result<(), Reply> {
        if id == self.config.workspace_id {
            return Ok(());
        }
        Err(Reply::error(
            StatusCode::NOT_FOUND,
            format!(
                "data workspace {id} not found (this emulator serves workspace {})",
                self.config.workspace_id
            ),
        ))
    }

    /// `POST /v1/dw/{dw_id}/questions`.
    fn ask(&self, _dw: u64, body: &[u8]) -> Reply {
        let question = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("question")?.as_str().map(str::to_string));
        let Some(question) = question else {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object with a string field question",
            );
        };
        if question.trim().is_empty() {
            return Reply::error(StatusCode::BAD_REQUEST, "question is empty");
        }
        if question.len() > connecty_proto::MAX_QUESTION_BYTES {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                format!(
                    "question is {} bytes; the most accepted is {}",
                    question.len(),
                    connecty_proto::MAX_QUESTION_BYTES
                ),
            );
        }
        self.counters.questions.fetch_add(1, Ordering::Relaxed);
        let kind = match interpret(&question) {
            Interpretation::Sql(sql) => Some(Kind::Sql(sql)),
            Interpretation::Known(k) => Some(Kind::Known(k)),
            Interpretation::Unknown => None,
        };
        let q = Arc::new(Question {
            asked_at: Instant::now(),
            kind: kind.clone(),
            outcome: OnceLock::new(),
        });
        match &kind {
            None => {
                let _ = q.outcome.set(Outcome::Failed(unknown_question_message()));
            }
            Some(kind) => self.start_query(kind.sql().to_string(), Arc::clone(&q)),
        }
        let id = Uuid::new_v4();
        {
            let mut qs = self
                .questions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while qs.order.len() >= MAX_QUESTIONS {
                if let Some(old) = qs.order.pop_front() {
                    qs.by_id.remove(&old);
                }
            }
            qs.by_id.insert(id, q);
            qs.order.push_back(id);
        }
        Reply::json(
            StatusCode::OK,
            serde_json::json!({ "question_id": id }).to_string(),
        )
    }

    /// Runs the SQL on the blocking pool and records the outcome.
    fn start_query(&self, sql: String, q: Arc<Question>) {
        let db = Arc::clone(&self.db);
        let cache = Arc::clone(&self.results);
        // Detached: the outcome lands in the question.
        drop(tokio::task::spawn_blocking(move || {
            let cached = cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&sql)
                .and_then(Weak::upgrade);
            let outcome = match cached {
                Some(r) => Outcome::Completed(r),
                None => match db.run(&sql) {
                    Ok(r) => {
                        let r = Arc::new(r);
                        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
                        cache.retain(|_, w| w.strong_count() > 0);
                        cache.insert(sql, Arc::downgrade(&r));
                        Outcome::Completed(r)
                    }
                    Err(message) => Outcome::Failed(message),
                },
            };
            let _ = q.outcome.set(outcome);
        }));
    }

    /// `GET /v1/dw/{dw_id}/questions/{question_id}/results`.
    async fn results(&self, dw: &str, question_id: &str, query: &str) -> Reply {
        let dw_id = match parse_workspace_id(dw) {
            Ok(id) => id,
            Err(reply) => return reply,
        };
        let Ok(qid) = Uuid::parse_str(question_id) else {
            return Reply::error(
                StatusCode::BAD_REQUEST,
                format!(
                    "question_id must be a UUID, got {:?}",
                    shown(question_id, 60)
                ),
            );
        };
        let options = match ResultsQuery::parse(query) {
            Ok(o) => o,
            Err(reply) => return reply,
        };
        if let Err(reply) = self.check_workspace(dw_id) {
            return reply;
        }
        let q = self
            .questions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_id
            .get(&qid)
            .cloned();
        let Some(q) = q else {
            return Reply::error(
                StatusCode::NOT_FOUND,
                format!("question {qid} not found in data workspace {dw_id}"),
            );
        };
        let elapsed = q.asked_at.elapsed();
        match phase(elapsed, self.config.schedule, q.outcome.get().is_some()) {
            Phase::Pending => Reply::json(StatusCode::OK, r#"{"state":"PENDING"}"#),
            Phase::InProgress => Reply::json(StatusCode::OK, r#"{"state":"IN_PROGRESS"}"#),
            Phase::Done => match q.outcome.get() {
                Some(Outcome::Failed(reason)) => Reply::json(
                    StatusCode::OK,
                    serde_json::json!({ "state": "FAILED", "error": reason }).to_string(),
                ),
                Some(Outcome::Completed(result)) => {
                    let key: BodyKey = (
                        Arc::as_ptr(result) as usize,
                        q.kind
                            .as_ref()
                            .map(|k| k.sql().to_string())
                            .unwrap_or_default(),
                        options,
                    );
                    if let Some((k, cached)) = &*self
                        .last_body
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                    {
                        if *k == key {
                            let mut reply = Reply::json(StatusCode::OK, Vec::new());
                            reply.cached = Some(Arc::clone(cached));
                            return reply;
                        }
                    }
                    let result = Arc::clone(result);
                    let q = Arc::clone(&q);
                    let row_cap = self.config.row_cap;
                    let body = tokio::task::spawn_blocking(move || {
                        completed_body(&q, &result, options, row_cap)
                    })
                    .await;
                    match body {
                        Ok(body) if body.len() >= CACHED_BODY_BYTES => {
                            let cached = Arc::new(CachedBody {
                                plain: Bytes::from(body),
                                gzip: OnceLock::new(),
                            });
                            *self
                                .last_body
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) =
                                Some((key, Arc::clone(&cached)));
                            let mut reply = Reply::json(StatusCode::OK, Vec::new());
                            reply.cached = Some(cached);
                            reply
                        }
                        Ok(body) => Reply::json(StatusCode::OK, body),
                        Err(_) => Reply::error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "the emulator could not build the results",
                        ),
                    }
                }
                None => Reply::json(StatusCode::OK, r#"{"state":"IN_PROGRESS"}"#),
            },
        }
    }
}

fn parse_workspace_id(dw: &str) -> Result<u64, Reply> {
    dw.parse::<u64>().map_err(|_| {
        Reply::error(
            StatusCode::BAD_REQUEST,
            format!(
                "dw_id must be an integer workspace id, got {:?}",
                shown(dw, 40)
            ),
        )
    })
}

/// The `include` and `max_rows` of a results call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ResultsQuery {
    pub(crate) dataframe: bool,
    pub(crate) statistics: bool,
    pub(crate) sqlquery: bool,
    pub(crate) summary: bool,
    pub(crate) max_rows: usize,
}

impl ResultsQuery {
    /// Parses the query string: `include` (default `dataframe`) and
    /// `max_rows` (default 1000). Other parameters are ignored.
    fn parse(query: &str) -> Result<Self, Reply> {
        let mut include: Option<String> = None;
        let mut max_rows: Option<String> = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(k), Some(v)) = (percent_decode(k), percent_decode(v)) else {
                return Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "the query string is not valid percent-encoded UTF-8",
                ));
            };
            match k.as_str() {
                "include" if include.is_none() => include = Some(v),
                "max_rows" if max_rows.is_none() => max_rows = Some(v),
                _ => {}
            }
        }
        let mut out = ResultsQuery {
            dataframe: false,
            statistics: false,
            sqlquery: false,
            summary: false,
            max_rows: 1000,
        };
        match include {
            None => out.dataframe = true,
            Some(list) => {
                for item in list.split(',').map(str::trim) {
                    match item {
                        "dataframe" => out.dataframe = true,
                        "statistics" => out.statistics = true,
                        "sqlquery" => out.sqlquery = true,
                        "summary" => out.summary = true,
                        other => {
                            return Err(Reply::error(
                                StatusCode::BAD_REQUEST,
                                format!(
                                    "invalid include value {:?}: expected a comma-separated list of dataframe, statistics, sqlquery, summary",
                                    shown(other, 40)
                                ),
                            ));
                        }
                    }
                }
            }
        }
        if let Some(n) = max_rows {
            match n.trim().parse::<u64>() {
                Ok(n) if n > 0 => out.max_rows = usize::try_from(n).unwrap_or(usize::MAX),
                _ => {
                    return Err(Reply::error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "max_rows must be a positive integer, got {:?}",
                            shown(&n, 40)
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Decodes `%XX` escapes and `+`; `None` if not valid UTF-8 or a bad
/// escape.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `COMPLETED` body: only the included parts, in the order
/// `response_summary`, `sql_query`, `dataframe`, `dataframe_stats`.
fn completed_body(q: &Question, r: &QueryResult, o: ResultsQuery, row_cap: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(if o.dataframe {
        64 + r.rows.min(o.max_rows) * 64
    } else {
        256
    });
    out.extend_from_slice(br#"{"state":"COMPLETED","results":{"#);
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b',');
        }
        first = false;
    };
    if o.summary {
        sep(&mut out);
        out.extend_from_slice(br#""response_summary":"#);
        let s = summary(q, r, o, row_cap);
        out.extend_from_slice(serde_json::to_string(&s).unwrap_or_default().as_bytes());
    }
    if o.sqlquery {
        sep(&mut out);
        out.extend_from_slice(br#""sql_query":"#);
        let sql = q.kind.as_ref().map(Kind::sql).unwrap_or("");
        out.extend_from_slice(serde_json::to_string(sql).unwrap_or_default().as_bytes());
    }
    if o.dataframe {
        sep(&mut out);
        out.extend_from_slice(br#""dataframe":"#);
        r.write_dataframe(o.max_rows, &mut out);
    }
    if o.statistics {
        sep(&mut out);
        out.extend_from_slice(br#""dataframe_stats":"#);
        out.extend_from_slice(r.stats_json().as_bytes());
    }
    out.extend_from_slice(b"}}");
    out
}

fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

/// An honest one-line summary of where the answer came from.
fn summary(q: &Question, r: &QueryResult, o: ResultsQuery, row_cap: usize) -> String {
    let mut s = match &q.kind {
        Some(Kind::Known(k)) => format!(
            "Emulator: {} from the SQL mapped to the known question \"{}\".",
            rows(r.rows),
            k.question
        ),
        _ => format!("Emulator: {} from the SQL as asked.", rows(r.rows)),
    };
    if r.capped {
        s.push_str(&format!(
            " The emulator kept only the first {} of the query's rows.",
            rows(row_cap)
        ));
    }
    if o.dataframe && r.rows > o.max_rows {
        s.push_str(&format!(
            " The dataframe holds the first {} (max_rows).",
            rows(o.max_rows)
        ));
    }
    s
}

fn method_not_allowed(method: &Method, path: &str, allowed: &'static str) -> Reply {
    Reply::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{method} is not allowed on {}; use {allowed}",
            shown(path, 200)
        ),
    )
    .with(header::ALLOW, allowed)
}

/// Reads a request body of at most [`MAX_BODY_BYTES`]. A larger body is
/// read on and dropped (up to [`DRAIN_BYTES`]) before the 413 goes out, so
/// the client sees the answer rather than a reset connection.
async fn read_body(req: Request<Incoming>) -> Result<Vec<u8>, Reply> {
    let too_large = || {
        Reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = req.into_body();
    let mut out = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            ));
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= MAX_BODY_BYTES {
                out.extend_from_slice(&data);
            } else if seen > DRAIN_BYTES {
                break;
            }
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(out)
}

/// Whether `Accept-Encoding` allows gzip (`gzip`, `x-gzip` or `*`, with a
/// non-zero q-value).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<bool> = None;
    let mut star = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q_zero = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            match name.as_str() {
                "gzip" | "x-gzip" => gzip = Some(!q_zero),
                "*" => star = !q_zero,
                _ => {}
            }
        }
    }
    gzip.unwrap_or(star)
}

fn gzip_bytes(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        // Level 1: the emulator compresses every large answer on the fly;
        // level 6 spent ~0.7 s per 17 MB answer and dominated client
        // benchmarks, for an output only a few percent smaller.
        flate2::Compression::fast(),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

/// The HTTP date of now, for the `Date` header.
fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Builds the HTTP response: JSON content type, `Date`, and gzip when
/// accepted.
async fn encode(reply: Reply, gzip: bool) -> Response<Full<Bytes>> {
    let Reply {
        status,
        body,
        headers,
        cached,
    } = reply;
    let (body, gzipped): (Bytes, bool) = match cached {
        Some(c) if gzip => {
            let made = Arc::clone(&c);
            let gz = tokio::task::spawn_blocking(move || {
                made.gzip
                    .get_or_init(|| gzip_bytes(&made.plain).map(Bytes::from))
                    .clone()
            })
            .await
            .ok()
            .flatten();
            match gz {
                Some(gz) => (gz, true),
                None => (c.plain.clone(), false),
            }
        }
        Some(c) => (c.plain.clone(), false),
        None if gzip => {
            let compressed = if body.len() >= BLOCKING_GZIP_BYTES {
                let raw = body;
                match tokio::task::spawn_blocking(move || (gzip_bytes(&raw), raw)).await {
                    Ok((c, raw)) => (c, raw),
                    Err(_) => (None, Vec::new()),
                }
            } else {
                (gzip_bytes(&body), body)
            };
            match compressed {
                (Some(c), _) => (Bytes::from(c), true),
                (None, raw) => (Bytes::from(raw), false),
            }
        }
        None => (Bytes::from(body), false),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(date) = HeaderValue::from_str(&http_date()) {
        h.insert(header::DATE, date);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    for (name, value) in headers {
        h.insert(name, value);
    }
    response
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or similar: back off briefly.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        app.counters.connections.fetch_add(1, Ordering::Relaxed);
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(app.handle(req).await) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schedule = Schedule {
        pending: Duration::from_millis(100),
        in_progress: Duration::from_millis(200),
    };

    #[test]
    fn phases_follow_the_schedule() {
        let ms = Duration::from_millis;
        assert_eq!(phase(ms(0), S, true), Phase::Pending);
        assert_eq!(phase(ms(99), S, true), Phase::Pending);
        assert_eq!(phase(ms(100), S, true), Phase::InProgress);
        assert_eq!(phase(ms(299), S, true), Phase::InProgress);
        assert_eq!(phase(ms(300), S, true), Phase::Done);
        // A query still running keeps the question in progress.
        assert_eq!(phase(ms(10_000), S, false), Phase::InProgress);
        let zero = Schedule {
            pending: Duration::ZERO,
            in_progress: Duration::ZERO,
        };
        assert_eq!(phase(ms(0), zero, true), Phase::Done);
        assert_eq!(phase(ms(0), zero, false), Phase::InProgress);
    }

    fn parse(q: &str) -> Result<ResultsQuery, StatusCode> {
        ResultsQuery::parse(q).map_err(|r| r.status)
    }

    #[test]
    fn results_query_defaults_and_errors() {
        let d = parse("").unwrap();
        assert!(d.dataframe && !d.statistics && !d.sqlquery && !d.summary);
        assert_eq!(d.max_rows, 1000);
        let a = parse("include=dataframe%2Cstatistics,%20sqlquery&max_rows=3&x=y").unwrap();
        assert!(a.dataframe && a.statistics && a.sqlquery && !a.summary);
        assert_eq!(a.max_rows, 3);
        let s = parse("include=summary").unwrap();
        assert!(!s.dataframe && s.summary);
        for bad in [
            "include=",
            "include=tables",
            "include=dataframe,,summary",
            "max_rows=0",
            "max_rows=-1",
            "max_rows=abc",
            "max_rows=",
            "max_rows=99999999999999999999999",
            "include=%ZZ",
            "include=%FF",
        ] {
            assert_eq!(parse(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn accept_encoding_is_read_with_q_values() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&m)
        };
        assert!(h("gzip"));
        assert!(h("br, GZIP;q=0.5"));
        assert!(h("*"));
        assert!(!h("gzip;q=0"));
        assert!(!h("*, gzip;q=0"));
        assert!(!h("br, deflate"));
        assert!(!h("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn gzip_round_trips() {
        let body = br#"{"state":"PENDING"}"#.repeat(100);
        let c = gzip_bytes(&body).unwrap();
        let mut d = flate2::read::GzDecoder::new(&c[..]);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut out).unwrap();
        assert_eq!(out, body);
    }
}
