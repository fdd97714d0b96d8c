//! Hostile servers, over both transports: each case ends in a typed error
//! within the configured timeouts, with memory bounded by the body limit.
//!
//! Every server here is a raw TCP listener on 127.0.0.1 that answers the
//! token exchange properly and then misbehaves on the results request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use connecty_proto::{
    Error, QuestionId, ResultsOptions, RetryPolicy, TransportErrorKind, WorkspaceId,
};

const SECRET: &str = "hostile-test-secret-7f3a";
const TOKEN: &str = "hostile-test-token-91c2";
use connecty_testkit::values::QUESTION_ID as QID;
const LIMIT: u64 = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_millis(1500);

type Behaviour = Arc<dyn Fn(&mut TcpStream, &Request) + Send + Sync>;

struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut authorization = None;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v.trim().to_string()),
                "content-length" => length = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        authorization,
    })
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// A server that answers tokens and hands every other request to `hostile`.
/// Returns the base URL and a counter of requests carrying our token.
fn serve(hostile: Behaviour) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let authorized = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&authorized);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let hostile = Arc::clone(&hostile);
            let seen = Arc::clone(&seen);
            thread::spawn(move || {
                while let Some(req) = read_request(&mut stream) {
                    if req.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")) {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                    if req.method == "POST" && req.path.ends_with("/v1/auth/token") {
                        respond(
                            &mut stream,
                            "200 OK",
                            &format!(
                                r#"{{"access_token":"{TOKEN}","expires_at":"2099-01-01T00:00:00+00:00"}}"#
                            ),
                        );
                    } else {
                        hostile(&mut stream, &req);
                        return;
                    }
                }
            });
        }
    });
    (base, authorized)
}

fn settings_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(20),
    }
}

/// Runs a results call on both transports; returns each outcome with how
/// long it took.
fn both(
    base: &str,
) -> Vec<(
    &'static str,
    Result<connecty_proto::ResultsResponse, Error>,
    Duration,
)> {
    let q: QuestionId = QID.parse().unwrap();
    let opts = ResultsOptions::default();
    let mut out = Vec::new();

    let ureq = connecty_ureq::ClientBuilder::new()
        .base_url(base)
        .unwrap()
        .credentials("hostile-client", SECRET)
        .unwrap()
        .body_limit(LIMIT)
        .request_timeout(TIMEOUT)
        .retry(settings_retry())
        .proxy(connecty_proto::ProxySetting::Disabled)
        .build()
        .unwrap();
    let t = Instant::now();
    let r = ureq.results(WorkspaceId(13), q, &opts);
    out.push(("ureq", r, t.elapsed()));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hyper = rt.block_on(async {
        connecty_hyper::ClientBuilder::new()
            .base_url(base)
            .unwrap()
            .credentials("hostile-client", SECRET)
            .unwrap()
            .body_limit(LIMIT)
            .request_timeout(TIMEOUT)
            .retry(settings_retry())
            .proxy(connecty_proto::ProxySetting::Disabled)
            .build()
            .unwrap()
    });
    let t = Instant::now();
    let r = rt.block_on(hyper.results(WorkspaceId(13), q, &opts));
    out.push(("hyper", r, t.elapsed()));
    for (name, r, _) in &out {
        let text = format!("{r:?}");
        if let Err(e) = r {
            let shown = format!("{e} {e:?}");
            assert!(
                !shown.contains(SECRET) && !shown.contains(TOKEN),
                "{name}: secret in {shown}"
            );
        }
        assert!(!text.contains(SECRET), "{name}");
    }
    out
}

/// Both transports fail with a `kind` transport error, in time.
fn both_fail_in_time(base: &str, kind: TransportErrorKind) {
    for (name, r, d) in both(base) {
        assert_eq!(transport_kind(&r), Some(kind), "{name}: {r:?}");
        assert!(in_time(d), "{name} took {d:?}");
    }
}

/// Both attempts within the timeouts: 2 x request timeout plus slack.
fn in_time(d: Duration) -> bool {
    d < 2 * TIMEOUT + Duration::from_secs(2)
}

fn transport_kind(
    r: &Result<connecty_proto::ResultsResponse, Error>,
) -> Option<TransportErrorKind> {
    match r {
        Err(Error::Transport(t)) => Some(t.kind),
        _ => None,
    }
}

#[test]
fn a_declared_ten_gigabyte_body_is_refused_before_reading() {
    let (base, _) = serve(Arc::new(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10737418240\r\n\r\n{\"state\":");
        thread::sleep(Duration::from_secs(3));
    }));
    both_fail_in_time(&base, TransportErrorKind::BodyTooLarge);
}

#[test]
fn an_endless_chunked_body_stops_at_the_limit() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let (base, _) = serve(Arc::new(move |s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        // Endless, but bounded for the test's own sake at 64 MiB.
        for _ in 0..1024 {
            if s.write_all(chunk.as_bytes()).is_err() {
                return;
            }
            counter.fetch_add(64 * 1024, Ordering::SeqCst);
        }
    }));
    both_fail_in_time(&base, TransportErrorKind::BodyTooLarge);
    // The client stopped reading long before the server's 128 MiB (two runs).
    assert!(
        sent.load(Ordering::SeqCst) < 64 * 1024 * 1024,
        "{}",
        sent.load(Ordering::SeqCst)
    );
}

#[test]
fn a_body_trickling_one_byte_a_second_times_out() {
    let (base, _) = serve(Arc::new(|s, _| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n",
        );
        for b in br#"{"state":"IN_PROGRESS"}"#.iter().cycle().take(100) {
            if s.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_secs(1));
        }
    }));
    both_fail_in_time(&base, TransportErrorKind::Timeout);
}

#[test]
fn headers_that_never_end_are_an_error() {
    let (base, _) = serve(Arc::new(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        for i in 0..200_000 {
            if write!(s, "x-endless-{i}: {}\r\n", "v".repeat(64)).is_err() {
                return;
            }
        }
    }));
    for (name, r, d) in both(&base) {
        assert!(r.is_err(), "{name}: {r:?}");
        assert!(matches!(r, Err(Error::Transport(_))), "{name}: {r:?}");
        assert!(in_time(d), "{name} took {d:?}");
    }
}

#[test]
fn a_reset_mid_body_is_a_transport_error() {
    let (base, _) = serve(Arc::new(|s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"state\":\"COMPL");
        let _ = s.shutdown(std::net::Shutdown::Both);
    }));
    for (name, r, d) in both(&base) {
        let kind = transport_kind(&r);
        assert!(
            matches!(
                kind,
                Some(TransportErrorKind::Io | TransportErrorKind::Other)
            ),
            "{name}: {r:?}"
        );
        assert!(in_time(d), "{name} took {d:?}");
    }
}

fn body_response(body: Vec<u8>) -> Behaviour {
    Arc::new(move |s, _| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(&body);
    })
}

#[test]
fn invalid_utf8_in_a_json_string_is_a_decode_error() {
    let mut body = br#"{"state":"COMPLETED","results":{"dataframe":[["a"],[""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#""]]}}"#);
    let (base, _) = serve(body_response(body));
    for (name, r, _) in both(&base) {
        match r {
            Err(Error::Decode(d)) => assert!(d.message.contains("UTF-8"), "{name}: {d:?}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn json_nested_100000_deep_is_a_decode_error_not_a_stack_overflow() {
    let mut body = br#"{"state":"COMPLETED","results":{"dataframe":[["a"],["#.to_vec();
    body.extend(std::iter::repeat_n(b'[', 100_000));
    body.extend(std::iter::repeat_n(b']', 100_000));
    body.extend_from_slice(b"]]}}");
    let (base, _) = serve(body_response(body));
    for (name, r, _) in both(&base) {
        match r {
            Err(Error::Decode(d)) => {
                assert!(d.message.contains("nested too deeply"), "{name}: {d:?}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_one_megabyte_cell_is_read_whole() {
    let cell = "é".repeat(250_000) + &"z".repeat(500_000);
    let body = format!(r#"{{"state":"COMPLETED","results":{{"dataframe":[["big"],["{cell}"]]}}}}"#);
    assert!(body.len() < LIMIT as usize && body.len() > 900_000);
    let (base, _) = serve(body_response(body.into_bytes()));
    for (name, r, _) in both(&base) {
        let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        let df = r.results.unwrap().dataframe.unwrap();
        assert_eq!(df.cell(0, 0).unwrap().as_str().unwrap(), cell, "{name}");
    }
}

#[test]
fn a_redirect_loop_is_not_followed() {
    let hits = Arc::new(AtomicU64::new(0));
    let h = Arc::clone(&hits);
    let (base, _) = serve(Arc::new(move |s, req| {
        h.fetch_add(1, Ordering::SeqCst);
        let _ = write!(
            s,
            "HTTP/1.1 302 Found\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
            req.path
        );
    }));
    for (name, r, _) in both(&base) {
        assert!(r.is_err(), "{name}: {r:?}");
    }
    // One results request per transport: nothing was followed.
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[test]
fn a_redirect_to_another_host_gets_no_token() {
    let (other, other_authorized) = serve(Arc::new(|s, _| {
        respond(s, "200 OK", r#"{"state":"COMPLETED"}"#)
    }));
    let target = other.replace("127.0.0.1", "localhost");
    let (base, _) = serve(Arc::new(move |s, req| {
        let _ = write!(
            s,
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}{}\r\ncontent-length: 0\r\n\r\n",
            req.path
        );
    }));
    for (name, r, _) in both(&base) {
        assert!(r.is_err(), "{name}: {r:?}");
    }
    assert_eq!(other_authorized.load(Ordering::SeqCst), 0);
}
