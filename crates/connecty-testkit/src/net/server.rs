//! [`Server`]: a loopback HTTP server answering with a handler.
//!
//! It runs on the emulator's server loop
//! ([`connecty_emulator::loopback`]): `127.0.0.1` on a free port, hyper
//! (HTTP/1.1 and HTTP/2) on a tokio runtime of its own, on a background
//! thread, so blocking and async tests use it alike. This file adds what
//! tests need around it: TLS with ALPN, a handler that may delay, reset or
//! hang, a record of every request, and counts of connections, so a test
//! can assert pooling, keep-alive and that nothing reached it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use connecty_emulator::loopback::{Loopback, LoopbackServer, serve_connection};
use http::{HeaderMap, Method, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use tokio::io::{AsyncRead, AsyncWrite};

/// A request as the server received it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The request target as sent: origin-form (`/v1/health?x=1`), or
    /// absolute-form when a forwarding proxy passed it on unchanged.
    pub uri: Uri,
    /// The HTTP version of the connection.
    pub version: Version,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// Which connection (0, 1, ...) carried it.
    pub connection: u64,
}

impl Request {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The path and query, as in an origin-form request line.
    pub fn target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }

    /// The value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response body: whole, in chunks, generated, or stalling.
pub enum Body {
    /// These chunks, then the end (several chunks and no `Content-Length`
    /// make a chunked HTTP/1.1 body).
    Chunks(VecDeque<Bytes>),
    /// `remaining` bytes of `b'x'` in 64 KiB chunks, made on demand and
    /// counted in `produced`.
    Generated {
        /// Bytes still to send.
        remaining: u64,
        /// Bytes sent so far, for the test to read.
        produced: Option<Arc<AtomicU64>>,
    },
    /// This chunk, then nothing ever again.
    Stall(Option<Bytes>),
}

impl Body {
    /// The whole body at once.
    pub fn full(data: impl Into<Bytes>) -> Self {
        Body::Chunks([data.into()].into_iter().collect())
    }

    /// No body.
    pub fn empty() -> Self {
        Body::Chunks(VecDeque::new())
    }

    /// `first`, then nothing ever again: a body that stalls.
    pub fn stall(first: &'static [u8]) -> Self {
        Body::Stall(Some(Bytes::from_static(first)))
    }

    /// `data` in chunks of `size` bytes.
    pub fn chunked(data: &[u8], size: usize) -> Self {
        Body::Chunks(
            data.chunks(size.max(1))
                .map(Bytes::copy_from_slice)
                .collect(),
        )
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
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
                let chunk = vec![b'x'; usize::try_from(n).unwrap_or(0)];
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
            // Pending without registering the waker: this body never ends.
            Body::Stall(first) => match first.take() {
                Some(c) => Poll::Ready(Some(Ok(Frame::data(c)))),
                None => Poll::Pending,
            },
        }
    }

    /// Exact for a whole body (so hyper sends `Content-Length`); unknown
    /// for several chunks (so HTTP/1.1 sends them chunked).
    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Body::Chunks(c) if c.len() <= 1 => {
                hyper::body::SizeHint::with_exact(c.front().map_or(0, |b| b.len() as u64))
            }
            _ => hyper::body::SizeHint::default(),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Chunks(c) if c.is_empty())
    }
}

/// What the server does with a request.
pub struct Reply {
    response: Option<Response<Body>>,
    delay: Duration,
}

impl Reply {
    /// Answers `response`.
    pub fn new(response: Response<Body>) -> Self {
        Self {
            response: Some(response),
            delay: Duration::ZERO,
        }
    }

    /// Answers `status` with `body` as `application/json`.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        let mut r = Response::new(Body::full(body.into()));
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Self::new(r)
    }

    /// Closes the connection without answering.
    pub fn reset() -> Self {
        Self {
            response: None,
            delay: Duration::ZERO,
        }
    }

    /// Never answers (until the server stops): a server that hangs.
    pub fn hang() -> Self {
        Self::reset().delay(Duration::from_secs(24 * 3600))
    }

    /// Waits `delay` first.
    #[must_use]
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Adds a response header (ignored by a reset).
    #[must_use]
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let (Some(r), Ok(v)) = (&mut self.response, http::HeaderValue::from_str(value)) {
            r.headers_mut().append(name, v);
        }
        self
    }

    /// The response, to change it.
    pub fn response_mut(&mut self) -> Option<&mut Response<Body>> {
        self.response.as_mut()
    }
}

impl From<Response<Body>> for Reply {
    fn from(r: Response<Body>) -> Self {
        Reply::new(r)
    }
}

/// The TLS acceptor of a server (none without the `tls` feature).
#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Acceptor = Never;

/// A type with no value: the TLS configuration of a server built without
/// the `tls` feature.
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub enum Never {}

/// The handler: one reply per request.
pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync + 'static>;

/// The service's error for a reset: hyper closes the connection.
#[derive(Debug)]
struct ResetByHandler;

impl std::fmt::Display for ResetByHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the handler")
    }
}

impl std::error::Error for ResetByHandler {}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Request>>,
    tls_failures: AtomicU64,
    closed: Mutex<u64>,
    closed_changed: Condvar,
}

/// A running loopback server. Dropping it stops it.
pub struct Server {
    /// First, so that it stops (and cancels every answer) before the rest
    /// drops.
    server: LoopbackServer,
    tls: bool,
    shared: Arc<Shared>,
    close_idle: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `handler` over plain HTTP on `127.0.0.1`.
    pub fn start(
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        Self::spawn(None, Arc::new(handler))
    }

    /// Serves `handler` over TLS with `config` (see
    /// [`TestCa::server_config`](crate::net::TestCa::server_config), which
    /// offers h2 and http/1.1 over ALPN). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn start_tls(
        config: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        Self::start_shared(Some(config), Arc::new(handler))
    }

    /// [`start`](Self::start) (without `config`) or
    /// [`start_tls`](Self::start_tls) with a shared handler. Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn start_shared(
        config: Option<Arc<rustls::ServerConfig>>,
        handler: Handler,
    ) -> std::io::Result<Self> {
        Self::spawn(config.map(tokio_rustls::TlsAcceptor::from), handler)
    }

    /// [`start`](Self::start) with a shared handler.
    #[cfg(not(feature = "tls"))]
    pub fn start_shared(config: Option<Never>, handler: Handler) -> std::io::Result<Self> {
        Self::spawn(config.map(|n| match n {}), handler)
    }

    fn spawn(tls: Option<Acceptor>, handler: Handler) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let (close_idle, close_rx) = tokio::sync::watch::channel(0u64);
        let is_tls = tls.is_some();
        let served = Arc::clone(&shared);
        let server = Loopback::bind(0)?.serve(0, move |tcp, connection| {
            let (tls, handler, shared, close_idle) = (
                tls.clone(),
                Arc::clone(&handler),
                Arc::clone(&served),
                close_rx.clone(),
            );
            async move {
                match tls {
                    #[cfg(feature = "tls")]
                    Some(acceptor) => match acceptor.accept(tcp).await {
                        Ok(stream) => serve(stream, connection, handler, &shared, close_idle).await,
                        Err(_) => {
                            shared.tls_failures.fetch_add(1, Ordering::SeqCst);
                        }
                    },
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match never {},
                    None => serve(tcp, connection, handler, &shared, close_idle).await,
                }
                *lock(&shared.closed) += 1;
                shared.closed_changed.notify_all();
            }
        })?;
        Ok(Self {
            server,
            tls: is_tls,
            shared,
            close_idle,
        })
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// `http://127.0.0.1:<port>`, or `https://...` over TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr())
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests had path `path`.
    pub fn count(&self, path: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.path() == path)
            .count()
    }

    /// TCP connections accepted (before any TLS handshake).
    pub fn connections(&self) -> u64 {
        self.server.connections()
    }

    /// TLS handshakes that failed.
    pub fn tls_failures(&self) -> u64 {
        self.shared.tls_failures.load(Ordering::SeqCst)
    }

    /// Connections that ended.
    pub fn closed(&self) -> u64 {
        *lock(&self.shared.closed)
    }

    /// Blocks until `n` connections have ended in all, at most 10 s;
    /// whether they did.
    pub fn wait_closed(&self, n: u64) -> bool {
        let guard = lock(&self.shared.closed);
        let (guard, _) = self
            .shared
            .closed_changed
            .wait_timeout_while(guard, Duration::from_secs(10), |c| *c < n)
            .unwrap_or_else(|e| e.into_inner());
        *guard >= n
    }

    /// Closes every idle connection, as a load balancer's keep-alive
    /// timeout does (without `Connection: close` on the last response).
    pub fn close_idle(&self) {
        self.close_idle.send_modify(|g| *g += 1);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn serve<IO>(
    io: IO,
    connection: u64,
    handler: Handler,
    shared: &Arc<Shared>,
    mut close_idle: tokio::sync::watch::Receiver<u64>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let recorder = Arc::clone(shared);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (handler, shared) = (Arc::clone(&handler), Arc::clone(&recorder));
        async move {
            let (parts, body) = req.into_parts();
            // A body that breaks off is recorded as what arrived (nothing).
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            let request = Request {
                method: parts.method,
                uri: parts.uri,
                version: parts.version,
                headers: parts.headers,
                body,
                connection,
            };
            lock(&shared.requests).push(request.clone());
            let reply = handler(&request);
            tokio::time::sleep(reply.delay).await;
            reply.response.ok_or(ResetByHandler)
        }
    });
    close_idle.borrow_and_update();
    let closing = async move {
        let _ = close_idle.changed().await;
    };
    serve_connection(io, service, closing).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(server: &Server, raw: &str) -> String {
        crate::net::raw_exchange(server.addr(), raw)
    }

    #[test]
    fn answers_records_and_counts() {
        let server = Server::start(|r: &Request| match r.path() {
            "/reset" => Reply::reset(),
            "/chunked" => Reply::new(Response::new(Body::chunked(b"abcdefgh", 3))),
            _ => Reply::json(201, r#"{"ok":true}"#).header("x-note", "kept"),
        })
        .unwrap();
        let a = send(
            &server,
            "GET /x?y=1 HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
        );
        assert!(a.starts_with("HTTP/1.1 201"), "{a}");
        assert!(
            a.contains("x-note: kept") && a.ends_with(r#"{"ok":true}"#),
            "{a}"
        );
        let b = send(
            &server,
            "GET /chunked HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n",
        );
        assert!(b.contains("transfer-encoding: chunked"), "{b}");
        assert_eq!(send(&server, "GET /reset HTTP/1.1\r\nhost: h\r\n\r\n"), "");
        let seen = server.requests();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].target(), "/x?y=1");
        assert_eq!(seen[0].header("host"), Some("h"));
        assert_eq!(server.connections(), 3);
        assert!(server.wait_closed(3));
        assert_eq!(server.url(), format!("http://{}", server.addr()));
    }
}
