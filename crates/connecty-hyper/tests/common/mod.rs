//! Loopback servers for the transport tests: an API look-alike with
//! scripted behaviours, over plain TCP or TLS, HTTP/1.1 or HTTP/2, and a
//! tiny proxy.
//!
//! Everything binds 127.0.0.1:0 and nothing else.

#![allow(dead_code)] // each test binary uses a part

use std::collections::HashSet;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use connecty_hyper::connecty_proto::{PollSchedule, ProxySetting, RetryPolicy};
use connecty_hyper::{Client, ClientBuilder};
use http::{Request, Response, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const QUESTION_ID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";
pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-secret-hunter2";
pub const DATAFRAME: &str = r#"[["country","orders"],["Poland",12],["Chile",7]]"#;

// ---------------------------------------------------------------------------
// Response bodies.

/// A response body: whole, in chunks, endless, or stalling.
pub enum Body {
    /// These chunks, then the end.
    Chunks(std::collections::VecDeque<Bytes>),
    /// `remaining` bytes of `b'x'` in 64 KiB chunks, made on demand and
    /// counted in `produced`.
    Generated {
        remaining: u64,
        produced: Option<Arc<AtomicU64>>,
    },
    /// This chunk, then nothing ever again.
    Stall(Option<Bytes>),
}

impl Body {
    pub fn full(data: impl Into<Bytes>) -> Self {
        Body::Chunks([data.into()].into_iter().collect())
    }

    pub fn empty() -> Self {
        Body::Chunks(Default::default())
    }
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match this {
            Body::Chunks(chunks) => Poll::Ready(chunks.pop_front().map(|c| Ok(Frame::data(c)))),
            Body::Generated {
                remaining,
                produced,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let n = (*remaining).min(64 * 1024);
                *remaining -= n;
                if let Some(p) = produced {
                    p.fetch_add(n, Ordering::SeqCst);
                }
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n as usize])))))
            }
            // Pending without registering the waker: this body never ends.
            Body::Stall(first) => match first.take() {
                Some(c) => Poll::Ready(Some(Ok(Frame::data(c)))),
                None => Poll::Pending,
            },
        }
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

pub fn json(status: u16, body: impl Into<String>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::full(body.into()))
        .expect("valid response")
}

// ---------------------------------------------------------------------------
// The scripted API.

/// A request as the server saw it: what tests assert on.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub version: Version,
    pub authorization: Option<String>,
    pub accept_encoding: Option<String>,
}

/// What the API does, and what it saw.
pub struct Api {
    /// Token lifetime; tokens are refused with 401 once expired.
    pub token_lifetime: Duration,
    /// Results answer IN_PROGRESS until this long after the ask.
    pub complete_after: Duration,
    /// Also answer IN_PROGRESS to this many polls.
    pub in_progress_polls: u32,
    /// Answer this many asks with 429 first.
    pub rate_limited_asks: AtomicU32,
    /// The `Retry-After` of those 429s.
    pub retry_after: &'static str,
    /// Gzip JSON bodies when the client accepts it.
    pub gzip: bool,
    /// Send JSON bodies in several chunks without Content-Length.
    pub chunked: bool,
    /// Answer results with a 307 to this URL.
    pub redirect_results_to: Option<String>,

    pub token_requests: AtomicU32,
    pub asks: AtomicU32,
    pub polls: AtomicU32,
    pub seen: Mutex<Vec<Seen>>,
    pub issued: Mutex<Vec<(String, Instant)>>,
    pub asked_at: Mutex<Option<Instant>>,
}

impl Default for Api {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3600),
            complete_after: Duration::ZERO,
            in_progress_polls: 1,
            rate_limited_asks: AtomicU32::new(0),
            retry_after: "1",
            gzip: false,
            chunked: false,
            redirect_results_to: None,
            token_requests: AtomicU32::new(0),
            asks: AtomicU32::new(0),
            polls: AtomicU32::new(0),
            seen: Mutex::new(Vec::new()),
            issued: Mutex::new(Vec::new()),
            asked_at: Mutex::new(None),
        }
    }
}

impl Api {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn token(&self, body: &[u8]) -> Response<Body> {
        let creds: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if creds["client_id"] != CLIENT_ID || creds["client_secret"] != CLIENT_SECRET {
            return json(401, r#"{"error":"invalid client credentials"}"#);
        }
        let n = self.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("token-{n}");
        let now = Instant::now();
        self.issued
            .lock()
            .unwrap()
            .push((token.clone(), now + self.token_lifetime));
        let wall = chrono::Utc::now();
        let expires_at = wall + chrono::Duration::from_std(self.token_lifetime).unwrap();
        let body = serde_json::json!({
            "access_token": token,
            "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        });
        let mut r = json(200, body.to_string());
        let date = wall.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        r.headers_mut().insert("date", date.parse().unwrap());
        r
    }

    fn authorized(&self, auth: Option<&str>) -> bool {
        let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) else {
            return false;
        };
        let now = Instant::now();
        self.issued
            .lock()
            .unwrap()
            .iter()
            .any(|(t, expires)| t == token && now < *expires)
    }

    fn ask(&self) -> Response<Body> {
        self.asks.fetch_add(1, Ordering::SeqCst);
        let limited = self
            .rate_limited_asks
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if limited {
            let mut r = json(429, r#"{"error":"slow down"}"#);
            r.headers_mut()
                .insert("retry-after", self.retry_after.parse().unwrap());
            return r;
        }
        *self.asked_at.lock().unwrap() = Some(Instant::now());
        json(200, format!(r#"{{"question_id":"{QUESTION_ID}"}}"#))
    }

    fn results(&self) -> Response<Body> {
        if let Some(to) = &self.redirect_results_to {
            return Response::builder()
                .status(307)
                .header("location", to)
                .body(Body::empty())
                .unwrap();
        }
        let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        let asked = self.asked_at.lock().unwrap().unwrap_or_else(Instant::now);
        if n <= self.in_progress_polls || asked.elapsed() < self.complete_after {
            return json(200, r#"{"state":"IN_PROGRESS"}"#);
        }
        json(
            200,
            format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{DATAFRAME}}}}}"#),
        )
    }

    /// Answers one request like the API.
    pub fn answer(&self, parts: &http::request::Parts, body: &[u8]) -> Response<Body> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        self.seen.lock().unwrap().push(Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            version: parts.version,
            authorization: header("authorization"),
            accept_encoding: header("accept-encoding"),
        });
        let path = parts.uri.path();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let response = match (parts.method.as_str(), segments.as_slice()) {
            ("GET", ["v1", "health"]) => json(200, r#"{"status":"ok"}"#),
            ("POST", ["v1", "auth", "token"]) => self.token(body),
            (_, ["v1", "dw", _, "questions", ..])
                if !self.authorized(header("authorization").as_deref()) =>
            {
                json(401, r#"{"error":"token expired or invalid"}"#)
            }
            ("POST", ["v1", "dw", _, "questions"]) => self.ask(),
            ("GET", ["v1", "dw", _, "questions", _, "results"]) => self.results(),
            _ => json(404, r#"{"error":"no such endpoint"}"#),
        };
        let gzip_ok = header("accept-encoding").is_some_and(|v| v.contains("gzip"));
        self.encode(response, gzip_ok)
    }

    fn encode(&self, response: Response<Body>, gzip_ok: bool) -> Response<Body> {
        if !self.gzip && !self.chunked {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let Body::Chunks(chunks) = body else {
            return Response::from_parts(parts, body);
        };
        let mut data: Vec<u8> = chunks.into_iter().flatten().collect();
        if self.gzip && gzip_ok {
            data = gzip(&data);
            parts
                .headers
                .insert("content-encoding", "gzip".parse().unwrap());
        }
        let body = if self.chunked {
            // Several frames, no Content-Length: hyper sends them chunked.
            Body::Chunks(data.chunks(7).map(Bytes::copy_from_slice).collect())
        } else {
            Body::full(data)
        };
        Response::from_parts(parts, body)
    }
}

// ---------------------------------------------------------------------------
// Serving.

pub type Handler =
    Arc<dyn Fn(&http::request::Parts, &[u8]) -> Response<Body> + Send + Sync + 'static>;

/// A running loopback server.
pub struct Server {
    pub addr: SocketAddr,
    /// Connections accepted (TCP, before any TLS handshake).
    pub connections: Arc<AtomicU32>,
    /// Connections that ended.
    pub closed: Arc<AtomicU32>,
    /// TLS handshakes that failed.
    pub tls_failures: Arc<AtomicU32>,
    close_idle: tokio::sync::watch::Sender<u64>,
    closed_notify: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Closes every idle connection (as a load balancer's keep-alive
    /// timeout does) and waits until `n` connections have ended in all.
    pub async fn close_idle_and_wait(&self, n: u32) {
        self.close_idle.send_modify(|g| *g += 1);
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let notified = self.closed_notify.notified();
                if self.closed.load(Ordering::SeqCst) >= n {
                    return;
                }
                notified.await;
            }
        })
        .await
        .expect("the server closes its idle connections");
    }
}

/// Serves `handler` on 127.0.0.1, over TLS when `tls` is given.
pub async fn serve(handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let connections = Arc::new(AtomicU32::new(0));
    let closed = Arc::new(AtomicU32::new(0));
    let tls_failures = Arc::new(AtomicU32::new(0));
    let closed_notify = Arc::new(tokio::sync::Notify::new());
    let (close_idle, close_rx) = tokio::sync::watch::channel(0u64);
    let task = {
        let (connections, closed, tls_failures, closed_notify) = (
            connections.clone(),
            closed.clone(),
            tls_failures.clone(),
            closed_notify.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                connections.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let tls = tls.clone();
                let (closed, tls_failures, closed_notify) =
                    (closed.clone(), tls_failures.clone(), closed_notify.clone());
                let close_rx = close_rx.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => match acceptor.accept(tcp).await {
                            Ok(stream) => serve_connection(stream, handler, close_rx).await,
                            Err(_) => {
                                tls_failures.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                        None => serve_connection(tcp, handler, close_rx).await,
                    }
                    closed.fetch_add(1, Ordering::SeqCst);
                    closed_notify.notify_waiters();
                });
            }
        })
    };
    Server {
        addr,
        connections,
        closed,
        tls_failures,
        close_idle,
        closed_notify,
        task,
    }
}

async fn serve_connection<IO>(
    io: IO,
    handler: Handler,
    mut close_idle: tokio::sync::watch::Receiver<u64>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let handler = handler.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, Infallible>(handler(&parts, &body))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    close_idle.borrow_and_update();
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = close_idle.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// The API on a plain-HTTP loopback server.
pub async fn api_server(api: Arc<Api>) -> Server {
    serve(Arc::new(move |parts, body| api.answer(parts, body)), None).await
}

/// A server whose every answer is made by `f`.
pub async fn custom_server(
    f: impl Fn(&http::request::Parts, &[u8]) -> Response<Body> + Send + Sync + 'static,
) -> Server {
    serve(Arc::new(f), None).await
}

// ---------------------------------------------------------------------------
// Clients.

/// Fast polls and retries, no proxy from the environment.
pub fn builder(base_url: &str) -> ClientBuilder {
    ClientBuilder::new()
        .base_url(base_url)
        .expect("valid base url")
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .expect("valid credentials")
        .proxy(ProxySetting::Disabled)
        .poll(PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            cap: Duration::from_millis(20),
            ..PollSchedule::default()
        })
        .retry(RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
        })
}

pub fn client(base_url: &str) -> Client {
    builder(base_url).build().expect("client builds")
}

// ---------------------------------------------------------------------------
// TLS material, made at test time.

pub struct Pki {
    pub ca_pem: String,
    pub acceptor: tokio_rustls::TlsAcceptor,
}

/// A CA and a server certificate for 127.0.0.1 and localhost, signed by it;
/// the acceptor offers h2 and http/1.1 over ALPN.
pub fn pki() -> Pki {
    pki_for(&["127.0.0.1", "localhost"])
}

/// A CA and a server certificate for `names`, signed by it.
pub fn pki_for(names: &[&str]) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "connecty test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("server key");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let params = CertificateParams::new(names).expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server cert");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Pki {
        ca_pem: ca_cert.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

// ---------------------------------------------------------------------------
// A forward proxy: CONNECT tunnels and plain-HTTP forwarding.

/// A loopback proxy that records what it was asked.
pub struct Proxy {
    pub addr: SocketAddr,
    /// `CONNECT host:port` targets.
    pub tunnels: Arc<Mutex<Vec<String>>>,
    /// Absolute-form targets of forwarded plain-HTTP requests.
    pub forwarded: Arc<Mutex<Vec<String>>>,
    /// `Proxy-Authorization` headers seen.
    pub auth: Arc<Mutex<HashSet<String>>>,
    pub used: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || s.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

/// Starts the proxy. It forwards to 127.0.0.1 only.
pub async fn proxy() -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let tunnels = Arc::new(Mutex::new(Vec::new()));
    let forwarded = Arc::new(Mutex::new(Vec::new()));
    let auth = Arc::new(Mutex::new(HashSet::new()));
    let used = Arc::new(AtomicBool::new(false));
    let task = {
        let (tunnels, forwarded, auth, used) = (
            tunnels.clone(),
            forwarded.clone(),
            auth.clone(),
            used.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                used.store(true, Ordering::SeqCst);
                let (tunnels, forwarded, auth) = (tunnels.clone(), forwarded.clone(), auth.clone());
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut client).await else {
                        return;
                    };
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = text.split("\r\n");
                    let request_line = lines.next().unwrap_or_default().to_owned();
                    for line in lines {
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("proxy-authorization") {
                                auth.lock().unwrap().insert(value.trim().to_owned());
                            }
                        }
                    }
                    let mut words = request_line.split(' ');
                    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                    if method == "CONNECT" {
                        tunnels.lock().unwrap().push(target.to_owned());
                        let Some(port) = loopback_port(target) else {
                            let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                            return;
                        };
                        let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
                            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                            return;
                        };
                        if client
                            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                            .await
                            .is_err()
                        {
                            return;
                        }
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    } else {
                        // Plain HTTP: `GET http://127.0.0.1:port/path HTTP/1.1`.
                        forwarded.lock().unwrap().push(target.to_owned());
                        let authority = target
                            .strip_prefix("http://")
                            .and_then(|rest| rest.split('/').next())
                            .unwrap_or_default();
                        let Some(port) = loopback_port(authority) else {
                            let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                            return;
                        };
                        let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
                            return;
                        };
                        // Rewrite to origin form and pass the rest through;
                        // this proxy serves one request per connection.
                        let path = &target["http://".len() + authority.len()..];
                        let path = if path.is_empty() { "/" } else { path };
                        let rewritten = text.replacen(target, path, 1);
                        if upstream.write_all(rewritten.as_bytes()).await.is_err() {
                            return;
                        }
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        })
    };
    Proxy {
        addr,
        tunnels,
        forwarded,
        auth,
        used,
        task,
    }
}

/// The port of `127.0.0.1:port` or `localhost:port`.
fn loopback_port(authority: &str) -> Option<u16> {
    let (host, port) = authority.rsplit_once(':')?;
    if host != "127.0.0.1" && host != "localhost" {
        return None;
    }
    port.parse().ok()
}

/// A failure that must mention neither the secret nor a token.
pub fn assert_no_secrets(text: &str) {
    assert!(!text.contains(CLIENT_SECRET), "secret leaked: {text}");
    assert!(!text.contains("token-"), "token leaked: {text}");
}

/// The status of an HTTP error, or of a transport error.
pub fn status_of(e: &connecty_hyper::Error) -> Option<StatusCode> {
    match e {
        connecty_hyper::Error::Api { status, .. }
        | connecty_hyper::Error::Server { status, .. }
        | connecty_hyper::Error::Authentication { status, .. } => Some(*status),
        _ => None,
    }
}
