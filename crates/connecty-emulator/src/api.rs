//! The emulator's API: routing, authentication, and one function per
//! endpoint, named after it. The questions' state is in `asked`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use uuid::Uuid;

use crate::asked::{Kind, Outcome, Phase, Question, Questions, completed_body, phase};
use crate::body::{FailedBody, HealthBody, QuestionIdBody, ResultsBody, State, TokenBody};
use crate::loopback::serve_connection;
use crate::query::ResultsQuery;
use crate::questions::{Interpretation, interpret, unknown_question_message};
use crate::reply::{CachedBody, Reply, method_not_allowed, shown};
use crate::schedule::Schedule;
use crate::storage::Database;
use crate::values::QueryResult;
use crate::wire::{accepts_gzip, encode, read_body};

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

/// What makes two completed bodies identical: the same stored result, the
/// same question text (the summary quotes it) and the same options.
type BodyKey = (usize, String, ResultsQuery);

/// Completed bodies at least this large are kept (one at a time), so that
/// polling clients and benchmarks do not pay for building and compressing
/// the same tens of megabytes again.
const CACHED_BODY_BYTES: usize = 1024 * 1024;

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

    /// Serves one connection until it ends.
    pub(crate) async fn serve(self: Arc<Self>, tcp: tokio::net::TcpStream) {
        let service = hyper::service::service_fn(move |req| {
            let app = Arc::clone(&self);
            async move { Ok::<_, Infallible>(app.handle(req).await) }
        });
        serve_connection(tcp, service, std::future::pending()).await;
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
        Reply::ok(&HealthBody { status: "ok" })
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
        Reply::ok(&TokenBody {
            access_token: &token,
            expires_at: &expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        })
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
            qs.insert(id, q);
        }
        Reply::ok(&QuestionIdBody { question_id: id })
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
            .get(&qid);
        let Some(q) = q else {
            return Reply::error(
                StatusCode::NOT_FOUND,
                format!("question {qid} not found in data workspace {dw_id}"),
            );
        };
        let elapsed = q.asked_at.elapsed();
        match phase(elapsed, self.config.schedule, q.outcome.get().is_some()) {
            Phase::Pending => Reply::ok(&ResultsBody::Pending),
            Phase::InProgress => Reply::ok(&ResultsBody::InProgress),
            Phase::Done => match q.outcome.get() {
                Some(Outcome::Failed(reason)) => Reply::ok(&FailedBody {
                    error: reason,
                    state: State::Failed,
                }),
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
                            return Reply::cached(Arc::clone(cached));
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
                            Reply::cached(cached)
                        }
                        Ok(body) => Reply::json(StatusCode::OK, body),
                        Err(_) => Reply::error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "the emulator could not build the results",
                        ),
                    }
                }
                None => Reply::ok(&ResultsBody::InProgress),
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
