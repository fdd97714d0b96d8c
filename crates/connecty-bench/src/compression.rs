//! Compression: bytes on the wire and wall time of the large answer, with
//! and without gzip, both fetched by connecty's own `results()`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_hyper::HyperTransport;
use connecty_proto::{AsyncClient, AsyncTransport, ResultsOptions, TransportError, WaitOptions};
use http::header::ACCEPT_ENCODING;

use crate::emu::EmuProc;
use crate::report::{Report, Table};
use crate::transport::proxy_env_set;

const DW: u64 = 13;
/// The large answer's question.
pub const QUESTION: &str = "SELECT * FROM events";

/// A TCP proxy on loopback that counts the bytes the server sends.
struct CountingProxy {
    addr: SocketAddr,
    down: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Copies `from` to `to` until either ends, counting what was read before
/// it is forwarded (so the count is complete once the reader has it).
fn pump(mut from: TcpStream, mut to: TcpStream, counter: Option<Arc<AtomicU64>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(c) = &counter {
            c.fetch_add(n as u64, Ordering::SeqCst);
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

impl CountingProxy {
    fn start(upstream: SocketAddr) -> Result<CountingProxy, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("proxy bind: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("proxy address: {e}"))?;
        let down = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (d, s) = (Arc::clone(&down), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = stream else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let d = Arc::clone(&d);
                std::thread::spawn(move || pump(client, server, None));
                std::thread::spawn(move || pump(s2, c2, Some(d)));
            }
        });
        Ok(CountingProxy {
            addr,
            down,
            stop,
            thread: Some(thread),
        })
    }

    fn down(&self) -> u64 {
        self.down.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// connecty's hyper transport with `Accept-Encoding` removed from every
/// request, so the server answers uncompressed; everything else is the
/// same client.
struct NoGzip(HyperTransport);

#[async_trait::async_trait]
impl AsyncTransport for NoGzip {
    async fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
        timeout: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        request.headers_mut().remove(ACCEPT_ENCODING);
        self.0.send(request, timeout).await
    }

    async fn sleep_until(&self, deadline: Instant) {
        self.0.sleep_until(deadline).await;
    }

    fn now(&self) -> Instant {
        self.0.now()
    }

    fn wall_clock(&self) -> DateTime<Utc> {
        self.0.wall_clock()
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

pub fn run(report: &mut Report, emu: &mut EmuProc, rows: u64, quick: bool) -> Result<(), String> {
    let runs = if quick { 3 } else { 5 };
    let upstream: SocketAddr = emu
        .base_url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("emulator address {:?}: {e}", emu.base_url))?;
    let proxy = CountingProxy::start(upstream)?;
    let base = format!("http://{}", proxy.addr);
    let mut builder = connecty_hyper::ClientBuilder::new()
        .base_url(&base)
        .and_then(|b| b.credentials(&emu.client_id, &emu.client_secret))
        .map_err(|e| e.to_string())?;
    if proxy_env_set() {
        builder = builder.proxy(connecty_proto::ProxySetting::Disabled);
    }
    let settings = builder.settings().clone();
    let gzip = builder.build().map_err(|e| e.to_string())?;
    let plain = AsyncClient::new(
        NoGzip(HyperTransport::new(&settings).map_err(|e| e.to_string())?),
        settings.client_config().map_err(|e| e.to_string())?,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let max_rows = u32::try_from(rows).map_err(|_| "too many rows".to_string())?;
    let opts = ResultsOptions {
        max_rows: Some(max_rows),
        ..ResultsOptions::default()
    };

    // Wall time and response bytes of one results call.
    let fetch = |use_gzip: bool, qid| -> Result<(Duration, u64), String> {
        let before = proxy.down();
        let t = Instant::now();
        let r = if use_gzip {
            rt.block_on(gzip.results(DW, qid, &opts))
        } else {
            rt.block_on(plain.results(DW, qid, &opts))
        };
        let d = t.elapsed();
        let r = r.map_err(|e| e.to_string())?;
        let got = r
            .results
            .as_ref()
            .and_then(|x| x.dataframe.as_ref())
            .map_or(0, |f| f.len());
        if got as u64 != rows {
            return Err(format!("got {got} rows, not {rows}"));
        }
        Ok((d, proxy.down() - before))
    };

    // Ask once (both clients fetch the same completed question).
    let qid = rt
        .block_on(gzip.ask_and_wait(DW, QUESTION, &WaitOptions::new().max_rows(1)))
        .map_err(|e| format!("asking {QUESTION:?}: {e}"))?
        .question_id;
    fetch(true, qid)?;
    fetch(false, qid)?;
    let (mut tg, mut tp) = (Vec::new(), Vec::new());
    let (mut bg, mut bp) = (0, 0);
    for i in 0..runs {
        for use_gzip in if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        } {
            let (d, b) = fetch(use_gzip, qid)?;
            if use_gzip {
                tg.push(d);
                bg = b;
            } else {
                tp.push(d);
                bp = b;
            }
        }
    }
    let (tg, tp) = (median(tg), median(tp));
    // A rough what-if for a real link: loopback time plus the bytes at
    // 100 Mbit/s (12.5 MB/s).
    let at_100 = |t: Duration, b: u64| t.as_secs_f64() + b as f64 / 12.5e6;
    let table_rows = vec![
        vec![
            "gzip (`Accept-Encoding: gzip`, connecty's default)".into(),
            mb(bg),
            format!("**{:.3}**", bg as f64 / bp.max(1) as f64),
            format!("{:.0} ms", tg.as_secs_f64() * 1e3),
            format!("{:.2}x", tg.as_secs_f64() / tp.as_secs_f64()),
            format!("{:.2} s", at_100(tg, bg)),
        ],
        vec![
            "identity (no `Accept-Encoding`)".into(),
            mb(bp),
            "(baseline)".into(),
            format!("{:.0} ms", tp.as_secs_f64() * 1e3),
            "(baseline)".into(),
            format!("{:.2} s", at_100(tp, bp)),
        ],
    ];
    report.table(Table {
        title: format!("Compression: the {rows}-row answer with and without gzip"),
        command: "cargo xtask bench (connecty-bench, compression)".into(),
        notes: vec![
            format!(
                "`{QUESTION}` with `max_rows={rows}` (6 mixed columns) from the emulator, fetched with connecty-hyper's `results()` ({runs} timed fetches each after one warm-up, alternating; medians). The uncompressed run is the same client with one change: its transport removes `Accept-Encoding` from each request (connecty always sends `Accept-Encoding: gzip`), so the emulator answers identity. Both include parsing the body into a dataframe."
            ),
            "Bytes on the wire are counted by a small TCP proxy on loopback between the client and the emulator: every byte of the HTTP responses (status line, headers and body) as sent. The emulator gzips each response on the fly at flate2's default level, so the gzip wall time includes the server compressing and the client decompressing; on loopback bytes are nearly free, so gzip costs time here. The last column is a what-if, not a measurement: loopback wall time plus the response bytes at 100 Mbit/s.".into(),
        ],
        header: [
            "encoding",
            "response bytes on the wire",
            "bytes vs identity",
            "wall (median)",
            "wall vs identity",
            "est. at 100 Mbit/s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: table_rows,
    });
    drop(gzip);
    drop(plain);
    drop(rt);
    drop(proxy);
    Ok(())
}
