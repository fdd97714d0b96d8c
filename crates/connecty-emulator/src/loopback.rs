//! The one HTTP server loop: a listener on `127.0.0.1`, a tokio runtime of
//! its own on a background thread, hyper (HTTP/1.1 and HTTP/2) on every
//! connection.
//!
//! The emulator serves on it, and so does every test server of
//! connecty-testkit (which adds TLS, recording and misbehaviour around
//! [`serve_connection`]). Nothing here knows the API.
//!
//! ```
//! use std::convert::Infallible;
//! use std::io::{Read, Write};
//! use connecty_emulator::loopback::{Loopback, serve_connection};
//!
//! let server = Loopback::bind(0)?.serve(0, |tcp, _connection| async move {
//!     let service = hyper::service::service_fn(|_request| async {
//!         let body = http_body_util::Full::new(bytes::Bytes::from_static(b"hello"));
//!         Ok::<_, Infallible>(http::Response::new(body))
//!     });
//!     serve_connection(tcp, service, std::future::pending()).await;
//! })?;
//! let mut stream = std::net::TcpStream::connect(server.addr())?;
//! stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"));
//! assert_eq!(server.connections(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How long a stopping server waits for work still running on its
/// runtime's blocking pool (a query, a compression) before it lets go.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A listener bound on `127.0.0.1`, not yet serving.
#[derive(Debug)]
pub struct Loopback {
    listener: std::net::TcpListener,
    addr: SocketAddr,
}

impl Loopback {
    /// Binds `127.0.0.1:<port>`; port 0 takes any free port.
    pub fn bind(port: u16) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr })
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts serving on a background thread with a tokio runtime of its
    /// own: `workers` worker threads, or the current-thread runtime for 0.
    /// Every accepted connection (with `TCP_NODELAY` set) goes to
    /// `on_connection` with its number (0, 1, …) and runs as a task of its
    /// own.
    ///
    /// The runtime's errors (it could not start) are the only errors.
    pub fn serve<F, Fut>(self, workers: usize, on_connection: F) -> std::io::Result<LoopbackServer>
    where
        F: Fn(TcpStream, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut builder = if workers == 0 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(workers).max_blocking_threads(8);
            b
        };
        let runtime = builder
            .thread_name(format!("connecty-loopback-{}", self.addr.port()))
            .enable_all()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(self.listener)?
        };
        let connections = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&connections);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("connecty-server-{}", self.addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        _ = stopped => {}
                        () = accept_loop(listener, on_connection, counted) => {}
                    }
                });
                // Dropping the runtime cancels answers still waiting and
                // closes their connections.
                runtime.shutdown_timeout(STOP_GRACE);
            })?;
        Ok(LoopbackServer {
            addr: self.addr,
            connections,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running loopback server. It stops on [`stop`](Self::stop) or when
/// dropped.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    connections: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// The address listened on (always on 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every connection and waits for the server's
    /// thread (at most about two seconds for work on its blocking pool).
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop<F, Fut>(
    listener: tokio::net::TcpListener,
    on_connection: F,
    connections: Arc<AtomicU64>,
) where
    F: Fn(TcpStream, u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                // Out of file descriptors or similar: back off, do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let n = connections.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(on_connection(tcp, n));
    }
}

/// Serves HTTP/1.1 or HTTP/2 (whichever the client speaks) on one
/// connection with `service`, until the connection ends; when `close`
/// finishes first, the connection is shut down gracefully (answers in
/// flight complete, idle connections close without a
/// `Connection: close`).
pub async fn serve_connection<IO, S, B>(io: IO, service: S, close: impl Future<Output = ()>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<hyper::Request<Incoming>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = close => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
