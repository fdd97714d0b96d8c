//! Loopback test servers: a tiny threaded HTTP/1.1 server (plain or TLS), a
//! fake of the ConnectyAI API on top of it, a CONNECT proxy and a test PKI.
//!
//! Everything binds 127.0.0.1:0; nothing leaves the machine.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which connection (0, 1, ...) carried it.
    pub connection: usize,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body chunked, in chunks of this size.
    pub chunked: Option<usize>,
    /// Close the connection after this response (without saying so).
    pub close: bool,
}

impl Resp {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            chunked: None,
            close: false,
        }
    }

    pub fn json(status: u16, body: &str) -> Self {
        Self::new(status, body).header("Content-Type", "application/json")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn chunked(mut self, size: usize) -> Self {
        self.chunked = Some(size);
        self
    }
}

pub type Custom = Box<dyn FnOnce(&mut dyn Stream) + Send>;

/// What the handler answers.
pub enum Reply {
    Full(Resp),
    /// Writes whatever it likes; the connection is closed afterwards.
    Custom(Custom),
}

impl From<Resp> for Reply {
    fn from(r: Resp) -> Self {
        Reply::Full(r)
    }
}

type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

/// A running server. Its threads live until the test process ends.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    tls: bool,
    log: Arc<Mutex<Vec<Req>>>,
    connections: Arc<AtomicUsize>,
    closed: Arc<(Mutex<usize>, std::sync::Condvar)>,
}

impl Server {
    /// A plain HTTP server.
    pub fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        Self::start_with(None, handler)
    }

    /// An HTTPS server.
    pub fn start_tls(
        tls: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Server {
        Self::start_with(Some(tls), handler)
    }

    fn start_with(
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server {
            addr: listener.local_addr().unwrap(),
            tls: tls.is_some(),
            log: Arc::default(),
            connections: Arc::default(),
            closed: Arc::default(),
        };
        let handler: Handler = Arc::new(handler);
        let s = server.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = s.connections.fetch_add(1, Ordering::SeqCst);
                let (s, handler, tls) = (s.clone(), Arc::clone(&handler), tls.clone());
                thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        Some(cfg) => {
                            let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            let mut tls_stream = rustls::StreamOwned::new(conn, stream);
                            s.serve(&mut tls_stream, n, &handler);
                        }
                        None => {
                            let mut stream = stream;
                            s.serve(&mut stream, n, &handler);
                        }
                    }
                    let (lock, cond) = &*s.closed;
                    *lock.lock().unwrap() += 1;
                    cond.notify_all();
                });
            }
        });
        server
    }

    fn serve(&self, stream: &mut dyn Stream, connection: usize, handler: &Handler) {
        let mut buf = Vec::new();
        loop {
            let Some(mut req) = read_request(stream, &mut buf) else {
                return;
            };
            req.connection = connection;
            self.log.lock().unwrap().push(req.clone());
            match handler(&req) {
                Reply::Full(resp) => {
                    if write_response(stream, &resp).is_err() || resp.close {
                        return;
                    }
                }
                Reply::Custom(f) => {
                    f(stream);
                    return;
                }
            }
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose path is `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Blocks until at least `n` connections have been closed by the
    /// server (or 10 s passed: then the test fails on its next assertion).
    pub fn wait_closed(&self, n: usize) -> usize {
        let (lock, cond) = &*self.closed;
        let guard = lock.lock().unwrap();
        let (guard, _) = cond
            .wait_timeout_while(guard, Duration::from_secs(10), |c| *c < n)
            .unwrap();
        *guard
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request (head and Content-Length body); `None` at EOF or on
/// garbage.
fn read_request(stream: &mut dyn Stream, buf: &mut Vec<u8>) -> Option<Req> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf.drain(..len).collect();
    Some(Req {
        method,
        target,
        headers,
        body,
        connection: 0,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

pub fn write_response(stream: &mut dyn Stream, r: &Resp) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (n, v) in &r.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    match r.chunked {
        Some(_) => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
        None => head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len())),
    }
    stream.write_all(head.as_bytes())?;
    match r.chunked {
        Some(size) => {
            for c in r.body.chunks(size.max(1)) {
                stream.write_all(format!("{:x}\r\n", c.len()).as_bytes())?;
                stream.write_all(c)?;
                stream.write_all(b"\r\n")?;
                stream.flush()?;
            }
            stream.write_all(b"0\r\n\r\n")?;
        }
        None => stream.write_all(&r.body)?,
    }
    stream.flush()
}

/// Reads until the peer closes (or errors): how a stalling server waits
/// without a sleep.
pub fn wait_for_close(stream: &mut dyn Stream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

// ---------------------------------------------------------------------------
// The fake API.

pub const QUESTION: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub fn token_reply(token: &str, lifetime: chrono::Duration) -> Resp {
    let now = chrono::Utc::now();
    let body = format!(
        r#"{{"access_token":"{token}","expires_at":"{}"}}"#,
        (now + lifetime).to_rfc3339()
    );
    Resp::json(200, &body).header("Date", &http_date(now))
}

pub fn completed_body() -> String {
    r#"{"state":"COMPLETED","results":{"dataframe":[["country","orders"],["Poland",12],["Chile",7]]}}"#
        .to_string()
}

/// The API: health, token, ask (workspace 13), results that stay
/// `IN_PROGRESS` for `in_progress` polls, then `COMPLETED`. Anything else
/// is a 404.
pub fn fake_api(in_progress: usize) -> impl Fn(&Req) -> Reply + Send + Sync + 'static {
    let polls = AtomicUsize::new(0);
    move |req: &Req| -> Reply {
        let results = format!("/v1/dw/13/questions/{QUESTION}/results");
        match (req.method.as_str(), req.path()) {
            ("GET", "/v1/health") => Resp::json(200, r#"{"status":"ok"}"#).into(),
            ("POST", "/v1/auth/token") => token_reply("tok-1", chrono::Duration::hours(1)).into(),
            ("POST", "/v1/dw/13/questions") if req.header("authorization").is_some() => {
                Resp::json(200, &format!(r#"{{"question_id":"{QUESTION}"}}"#)).into()
            }
            ("GET", p) if p == results && req.header("authorization").is_some() => {
                if polls.fetch_add(1, Ordering::SeqCst) < in_progress {
                    Resp::json(200, r#"{"state":"IN_PROGRESS"}"#).into()
                } else {
                    Resp::json(200, &completed_body()).into()
                }
            }
            _ => Resp::json(404, r#"{"detail":"Not Found"}"#).into(),
        }
    }
}

// ---------------------------------------------------------------------------
// A CONNECT proxy.

/// A proxy that tunnels `CONNECT host:port` to 127.0.0.1:port, whatever the
/// host (so names that do not resolve still reach the loopback server, and
/// nothing else is ever contacted). Other methods get 405.
#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(refuse: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            log: Arc::default(),
        };
        let log = Arc::clone(&proxy.log);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = Arc::clone(&log);
                thread::spawn(move || tunnel(stream, &log, refuse));
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The `CONNECT` targets seen, `host:port`.
    pub fn targets(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn tunnel(mut client: TcpStream, log: &Mutex<Vec<String>>, refuse: bool) {
    let mut buf = Vec::new();
    let Some(req) = read_request(&mut client, &mut buf) else {
        return;
    };
    if req.method != "CONNECT" {
        let _ = write_response(&mut client, &Resp::new(405, "CONNECT only"));
        return;
    }
    log.lock().unwrap().push(req.target.clone());
    if refuse {
        let _ = write_response(&mut client, &Resp::new(403, "no"));
        return;
    }
    let Some(port) = req
        .target
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
    else {
        let _ = write_response(&mut client, &Resp::new(400, "bad target"));
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)) else {
        let _ = write_response(&mut client, &Resp::new(502, "upstream down"));
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
        || upstream.write_all(&buf).is_err()
    {
        return;
    }
    let (Ok(mut client_r), Ok(mut upstream_w)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let up = thread::spawn(move || {
        let _ = io::copy(&mut client_r, &mut upstream_w);
        let _ = upstream_w.shutdown(std::net::Shutdown::Write);
    });
    let _ = io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

// ---------------------------------------------------------------------------
// Test PKI.

pub struct Pki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// A server configuration presenting a certificate for `names`, signed
    /// by the CA.
    pub server: Arc<rustls::ServerConfig>,
}

/// A CA and a server certificate for `names` (DNS names or IP addresses).
pub fn pki(names: &[&str]) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "connecty test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "connecty test server");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

/// A port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
