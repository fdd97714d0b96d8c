//! [`TestProxy`]: a loopback forward proxy that records what it was asked.
//!
//! One listener speaks the three ways a client goes through a proxy:
//! `CONNECT host:port` tunnels, absolute-form plain-HTTP forwarding
//! (`GET http://host:port/path`), and SOCKS5 (no authentication or
//! user/password). Whatever host a client names, the proxy connects to
//! `127.0.0.1` on the named port, so names that do not resolve
//! (`connecty.test`) reach a loopback server and nothing else is ever
//! contacted. Threads, no async runtime: blocking and async tests use it
//! alike.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Default)]
struct Log {
    tunnels: Mutex<Vec<String>>,
    forwarded: Mutex<Vec<String>>,
    socks: Mutex<Vec<String>>,
    auth: Mutex<Vec<String>>,
    connections: AtomicU64,
}

/// A running loopback proxy. Its threads end with the test process; a
/// dropped proxy stops accepting.
pub struct TestProxy {
    addr: SocketAddr,
    log: Arc<Log>,
    stopped: Arc<AtomicBool>,
}

impl std::fmt::Debug for TestProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestProxy")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TestProxy {
    /// A proxy that tunnels and forwards to `127.0.0.1`.
    pub fn start() -> io::Result<Self> {
        Self::spawn(false)
    }

    /// A proxy that refuses every tunnel and forward with `403 Forbidden`
    /// (and every SOCKS request with "not allowed").
    pub fn refusing() -> io::Result<Self> {
        Self::spawn(true)
    }

    fn spawn(refuse: bool) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Log::default());
        let stopped = Arc::new(AtomicBool::new(false));
        let (l, s) = (Arc::clone(&log), Arc::clone(&stopped));
        thread::Builder::new()
            .name(format!("connecty-proxy-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    l.connections.fetch_add(1, Ordering::SeqCst);
                    let l = Arc::clone(&l);
                    let _ = thread::Builder::new()
                        .name("connecty-proxy-conn".into())
                        .spawn(move || {
                            let _ = handle(stream, &l, refuse);
                        });
                }
            })?;
        Ok(Self { addr, log, stopped })
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, the proxy URL to give a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `socks5h://127.0.0.1:<port>`.
    pub fn socks5h_url(&self) -> String {
        format!("socks5h://{}", self.addr)
    }

    /// The `CONNECT` targets asked for, `host:port`, in order.
    pub fn tunnels(&self) -> Vec<String> {
        lock(&self.log.tunnels).clone()
    }

    /// The absolute-form targets of forwarded requests
    /// (`http://host:port/path?query`), in order.
    pub fn forwarded(&self) -> Vec<String> {
        lock(&self.log.forwarded).clone()
    }

    /// The SOCKS5 targets asked for, `host:port`, in order.
    pub fn socks(&self) -> Vec<String> {
        lock(&self.log.socks).clone()
    }

    /// The credentials seen: `Proxy-Authorization` values, and SOCKS5
    /// `user:password` pairs.
    pub fn auth(&self) -> Vec<String> {
        lock(&self.log.auth).clone()
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> u64 {
        self.log.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(mut client: TcpStream, log: &Log, refuse: bool) -> io::Result<()> {
    let mut first = [0u8; 1];
    client.read_exact(&mut first)?;
    if first[0] == 5 {
        return socks5(client, log, refuse);
    }
    let mut buf = first.to_vec();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let rest = buf[head_end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    for (n, v) in &headers {
        if n.eq_ignore_ascii_case("proxy-authorization") {
            lock(&log.auth).push((*v).to_string());
        }
    }
    let mut words = request_line.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if method == "CONNECT" {
        lock(&log.tunnels).push(target.to_string());
        if refuse {
            return client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        }
        let Some(mut upstream) = loopback(target) else {
            return client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        };
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        upstream.write_all(&rest)?;
        return pipe(client, upstream);
    }
    let Some(after_scheme) = target.strip_prefix("http://") else {
        return client.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    };
    lock(&log.forwarded).push(target.to_string());
    let authority = after_scheme.split('/').next().unwrap_or_default();
    if refuse {
        return client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
    }
    let Some(mut upstream) = loopback(authority) else {
        return client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
    };
    // One request per connection, in origin form, without the proxy's own
    // headers, as a forward proxy passes it on.
    let path = &after_scheme[authority.len()..];
    let path = if path.is_empty() { "/" } else { path };
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in &headers {
        let hop = ["proxy-authorization", "proxy-connection", "connection"]
            .iter()
            .any(|h| n.eq_ignore_ascii_case(h));
        if !hop {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    out.push_str("connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes())?;
    upstream.write_all(&rest)?;
    pipe(client, upstream)
}

/// `127.0.0.1` on the port of `host:port` (whatever the host).
fn loopback(authority: &str) -> Option<TcpStream> {
    let port: u16 = authority.rsplit_once(':')?.1.parse().ok()?;
    TcpStream::connect(("127.0.0.1", port)).ok()
}

/// Copies both ways until both sides are done.
fn pipe(client: TcpStream, upstream: TcpStream) -> io::Result<()> {
    let (mut client_r, mut upstream_w) = (client.try_clone()?, upstream.try_clone()?);
    let up = thread::spawn(move || {
        let _ = io::copy(&mut client_r, &mut upstream_w);
        let _ = upstream_w.shutdown(Shutdown::Write);
    });
    let (mut upstream, mut client) = (upstream, client);
    let _ = io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// RFC 1928 with RFC 1929 user/password, `CONNECT` only.
fn socks5(mut c: TcpStream, log: &Log, refuse: bool) -> io::Result<()> {
    let mut n = [0u8; 1];
    c.read_exact(&mut n)?;
    let mut methods = vec![0u8; usize::from(n[0])];
    c.read_exact(&mut methods)?;
    if methods.contains(&2) {
        c.write_all(&[5, 2])?;
        let mut v = [0u8; 2];
        c.read_exact(&mut v)?;
        let mut user = vec![0u8; usize::from(v[1])];
        c.read_exact(&mut user)?;
        c.read_exact(&mut n)?;
        let mut pass = vec![0u8; usize::from(n[0])];
        c.read_exact(&mut pass)?;
        lock(&log.auth).push(format!(
            "{}:{}",
            String::from_utf8_lossy(&user),
            String::from_utf8_lossy(&pass)
        ));
        c.write_all(&[1, 0])?;
    } else {
        c.write_all(&[5, 0])?;
    }
    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            c.read_exact(&mut ip)?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            c.read_exact(&mut n)?;
            let mut name = vec![0u8; usize::from(n[0])];
            c.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0u8; 16];
            c.read_exact(&mut ip)?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    c.read_exact(&mut port)?;
    let port = u16::from_be_bytes(port);
    lock(&log.socks).push(format!("{host}:{port}"));
    let upstream = if refuse {
        None
    } else {
        TcpStream::connect(("127.0.0.1", port)).ok()
    };
    let Some(upstream) = upstream else {
        // 2: connection not allowed by ruleset.
        return c.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
    };
    c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    pipe(c, upstream)
}
