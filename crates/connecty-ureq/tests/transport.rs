//! The ureq transport against loopback servers: one fixture per documented
//! behaviour.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::{
    Proxy, QUESTION, Reply, Req, Resp, Server, completed_body, dead_port, fake_api, pki,
    token_reply, wait_for_close,
};
use connecty_ureq::connecty_proto::{
    Event, PollSchedule, ProxySetting, Resource, RetryPolicy, State, TransportErrorKind,
};
use connecty_ureq::{ClientBuilder, Error, QuestionId, ResultsOptions, WaitOptions, WorkspaceId};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A builder for `url`: test credentials, no proxy whatever the
/// environment says, fast retries and polls.
fn builder_for(url: &str) -> ClientBuilder {
    ClientBuilder::new()
        .base_url(url)
        .unwrap()
        .credentials("my-client", "my-secret")
        .unwrap()
        .proxy(ProxySetting::Disabled)
        .retry(RetryPolicy {
            max_attempts: 3,
            base: ms(10),
            cap: ms(50),
        })
        .poll(PollSchedule {
            first: ms(20),
            factor: 1.0,
            cap: ms(20),
            ..PollSchedule::default()
        })
}

fn builder(server: &Server) -> ClientBuilder {
    builder_for(&server.url())
}

fn transport_kind(e: &Error) -> TransportErrorKind {
    match e {
        Error::Transport(t) => t.kind,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn assert_seed_answer(answer: &connecty_ureq::Answer) {
    assert_eq!(answer.question_id.to_string(), QUESTION);
    let df = answer.results.dataframe.as_ref().expect("dataframe");
    assert_eq!(df.columns(), ["country", "orders"]);
    assert_eq!(df.len(), 2);
    assert_eq!(df.cell(0, 0).unwrap().as_str().unwrap(), "Poland");
    assert_eq!(df.cell(1, 1).unwrap().as_u64(), Some(7));
}

// ---------------------------------------------------------------------------
// The seed flow.

#[test]
fn seed_flow_health_token_ask_and_poll_until_completed() {
    let server = Server::start(fake_api(2));
    let client = builder(&server)
        .user_agent_suffix("tests/1")
        .build()
        .unwrap();
    client.health().unwrap();

    let states = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&states);
    let options = WaitOptions::new().on_progress(move |e| {
        if let Event::StateChanged { state, .. } = e {
            seen.lock().unwrap().push(state.clone());
        }
    });
    let answer = client
        .ask_and_wait(
            13,
            "list the top 5 countries with the most orders",
            &options,
        )
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(
        *states.lock().unwrap(),
        [State::InProgress, State::Completed]
    );

    let reqs = server.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path()).collect();
    let results = format!("/v1/dw/13/questions/{QUESTION}/results");
    assert_eq!(
        paths,
        [
            "/v1/health",
            "/v1/auth/token",
            "/v1/dw/13/questions",
            results.as_str(),
            results.as_str(),
            results.as_str()
        ]
    );
    for r in &reqs {
        assert_eq!(r.header("accept-encoding"), Some("gzip"), "{r:?}");
        let ua = r.header("user-agent").unwrap();
        assert!(
            ua.starts_with("connecty-rs/") && ua.ends_with(" tests/1"),
            "{ua}"
        );
    }
    assert_eq!(reqs[0].header("authorization"), None);
    assert_eq!(reqs[1].header("authorization"), None);
    let token_body: serde_json::Value = serde_json::from_slice(&reqs[1].body).unwrap();
    assert_eq!(token_body["client_id"], "my-client");
    assert_eq!(token_body["client_secret"], "my-secret");
    let ask_body: serde_json::Value = serde_json::from_slice(&reqs[2].body).unwrap();
    assert_eq!(
        ask_body["question"],
        "list the top 5 countries with the most orders"
    );
    for r in &reqs[2..] {
        assert_eq!(r.header("authorization"), Some("Bearer tok-1"));
    }
    assert_eq!(reqs[3].target, format!("{results}?include=dataframe"));
    assert_eq!(
        reqs[0].header("content-length"),
        None,
        "a GET carries no body"
    );
    // Keep-alive: one pooled connection carried everything.
    assert_eq!(server.connections(), 1);
}

#[test]
fn eight_threads_sharing_one_client_make_one_token_request() {
    let api = fake_api(1);
    let server = Server::start(move |req: &Req| {
        if req.path() == "/v1/auth/token" {
            // Server-side latency, so that the other threads arrive while
            // the exchange is in flight.
            std::thread::sleep(ms(100));
        }
        api(req)
    });
    let client = builder(&server).build().unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (client, barrier) = (client.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                client.ask_and_wait(13, "how many orders?", &WaitOptions::new())
            })
        })
        .collect();
    for t in threads {
        assert_seed_answer(&t.join().unwrap().unwrap());
    }
    assert_eq!(server.count("/v1/auth/token"), 1);
    assert_eq!(client.token_exchanges(), 1);
    assert_eq!(server.count("/v1/dw/13/questions"), 8);
}

// ---------------------------------------------------------------------------
// TLS.

#[test]
fn https_is_trusted_when_the_ca_is_added() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let server = Server::start_tls(Arc::clone(&pki.server), fake_api(1));
    let client = builder(&server)
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    client.health().unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(server.connections(), 1);
}

#[test]
fn https_is_refused_when_the_ca_is_not_trusted() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let server = Server::start_tls(Arc::clone(&pki.server), fake_api(0));
    let client = builder(&server).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
    assert!(server.requests().is_empty());
}

#[test]
fn https_is_refused_for_a_certificate_of_another_host() {
    let pki = pki(&["other.example"]);
    let server = Server::start_tls(Arc::clone(&pki.server), fake_api(0));
    let client = builder(&server)
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Tls, "{e}");
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------
// Connections.

#[test]
fn pooled_connections_are_reused() {
    let server = Server::start(fake_api(0));
    let client = builder(&server).build().unwrap();
    for _ in 0..3 {
        client.health().unwrap();
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    // The server closes every connection after its response, without a
    // `Connection: close`, as an idle timeout on the far side does.
    let server = Server::start(|_req: &Req| {
        let mut r = Resp::json(200, r#"{"status":"ok"}"#);
        r.close = true;
        r.into()
    });
    let client = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    client.health().unwrap();
    server.wait_closed(1);
    client.health().unwrap();
    client.health().unwrap();
    assert_eq!(server.connections(), 3);
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let client = builder_for(&format!("http://127.0.0.1:{}", dead_port()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Connect, "{e}");
}

// ---------------------------------------------------------------------------
// Bodies: chunked, gzip, limits.

#[test]
fn chunked_bodies_are_read_whole() {
    let api = fake_api(1);
    let server = Server::start(move |req: &Req| match api(req) {
        Reply::Full(r) => r.chunked(7).into(),
        other => other,
    });
    let client = builder(&server).build().unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
}

#[test]
fn gzip_bodies_are_decoded() {
    let api = fake_api(1);
    let gzipped = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&gzipped);
    let server = Server::start(move |req: &Req| match api(req) {
        Reply::Full(mut r) if req.header("accept-encoding") == Some("gzip") => {
            count.fetch_add(1, Ordering::SeqCst);
            r.body = gzip(&r.body);
            let r = r.header("Content-Encoding", "gzip");
            // Results also chunked: gzip inside chunked framing.
            if req.path().ends_with("/results") {
                r.chunked(100).into()
            } else {
                r.into()
            }
        }
        other => other,
    });
    let client = builder(&server).build().unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(gzipped.load(Ordering::SeqCst), 4);
}

#[test]
fn an_invalid_gzip_body_is_an_other_error() {
    let server = Server::start(|_req: &Req| {
        Resp::json(200, "this is not gzip")
            .header("Content-Encoding", "gzip")
            .into()
    });
    let client = builder(&server).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Other, "{e}");
    assert_eq!(server.count("/v1/health"), 1, "not retried");
}

#[test]
fn a_body_of_exactly_the_limit_passes_and_one_more_byte_does_not() {
    let server = Server::start(|_req: &Req| Resp::new(200, vec![b' '; 1000]).into());
    let client = builder(&server).body_limit(1000).build().unwrap();
    client.health().unwrap();

    let server = Server::start(|_req: &Req| Resp::new(200, vec![b' '; 1001]).chunked(100).into());
    let client = builder(&server).body_limit(1000).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
    assert!(e.to_string().contains("1000 byte limit"), "{e}");
}

/// A server streaming a 64 MiB chunked body, reporting how much it managed
/// to write before the client hung up.
fn streaming_server(total: u64, written: mpsc::Sender<u64>) -> Server {
    let written = Mutex::new(written);
    Server::start(move |_req: &Req| {
        let tx = written.lock().unwrap().clone();
        Reply::Custom(Box::new(move |s| {
            let mut sent = 0u64;
            let chunk = vec![b' '; 64 * 1024];
            if s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .is_ok()
            {
                while sent < total {
                    let framed = s
                        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .and_then(|_| s.write_all(&chunk))
                        .and_then(|_| s.write_all(b"\r\n"));
                    if framed.is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                }
                let _ = s.write_all(b"0\r\n\r\n");
            }
            let _ = tx.send(sent);
        }))
    })
}

#[test]
fn a_streamed_body_over_the_limit_stops_reading_at_the_limit() {
    const TOTAL: u64 = 64 * 1024 * 1024;
    let (tx, rx) = mpsc::channel();
    let server = streaming_server(TOTAL, tx);
    let client = builder(&server).body_limit(1024 * 1024).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(server.count("/v1/health"), 1, "not retried");
    // The client hung up: the server could not push the whole body, so the
    // client never buffered it.
    let sent = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(sent < TOTAL, "server wrote all {sent} bytes");
}

#[test]
fn an_announced_body_over_the_limit_is_refused_before_reading() {
    let server = Server::start(|_req: &Req| {
        Reply::Custom(Box::new(|s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n{");
            // No more bytes: the client must decide from the header alone.
            wait_for_close(s);
        }))
    });
    let client = builder(&server)
        .body_limit(1024 * 1024)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
    // Refused on the header, not after the 5 s request timeout.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_gzip_bomb_is_refused_on_its_decoded_size() {
    // 5 MiB of gzip members, each 1 MiB of zeros: about 5 GiB decoded.
    let member = gzip(&vec![0u8; 1024 * 1024]);
    let mut bomb = Vec::with_capacity(5 * 1024 * 1024 + member.len());
    while bomb.len() < 5 * 1024 * 1024 {
        bomb.extend_from_slice(&member);
    }
    let bomb = Arc::new(bomb);
    let server = Server::start(move |_req: &Req| {
        Resp::new(200, bomb.as_slice())
            .header("Content-Encoding", "gzip")
            .into()
    });
    let client = builder(&server).body_limit(1024 * 1024).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
}

// ---------------------------------------------------------------------------
// Statuses.

#[test]
fn a_404_comes_back_as_not_found() {
    let server = Server::start(fake_api(0));
    let client = builder(&server).build().unwrap();
    let other: QuestionId = "00000000-0000-4000-8000-000000000000".parse().unwrap();
    let e = client
        .results(13, other, &ResultsOptions::default())
        .unwrap_err();
    match e {
        Error::NotFound {
            resource: Resource::Question(dw, q),
            message,
        } => {
            assert_eq!((dw, q), (WorkspaceId(13), other));
            assert_eq!(message.as_deref(), Some("Not Found"));
        }
        other => panic!("{other:?}"),
    }
    let e = client.ask(99, "how many orders?").unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                resource: Resource::Workspace(WorkspaceId(99)),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn a_503_is_retried_by_the_core() {
    let calls = AtomicUsize::new(0);
    let server = Server::start(move |_req: &Req| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Resp::json(503, r#"{"detail":"busy"}"#).into()
        } else {
            Resp::json(200, r#"{"status":"ok"}"#).into()
        }
    });
    let client = builder(&server).build().unwrap();
    client.health().unwrap();
    assert_eq!(server.count("/v1/health"), 2);
}

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let api = fake_api(0);
    let asks = AtomicUsize::new(0);
    let server = Server::start(move |req: &Req| {
        if req.path() == "/v1/dw/13/questions" && asks.fetch_add(1, Ordering::SeqCst) == 0 {
            return Resp::json(429, r#"{"detail":"slow down"}"#)
                .header("Retry-After", "1")
                .into();
        }
        api(req)
    });
    // Backoff without Retry-After would be at most 10 ms.
    let client = builder(&server)
        .retry(RetryPolicy {
            max_attempts: 3,
            base: ms(10),
            cap: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&retries);
    let options = WaitOptions::new().on_progress(move |e| {
        if let Event::Retrying { delay, .. } = e {
            seen.lock().unwrap().push(*delay);
        }
    });
    let answer = client
        .ask_and_wait(13, "how many orders?", &options)
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(*retries.lock().unwrap(), [Duration::from_secs(1)]);
    assert_eq!(server.count("/v1/dw/13/questions"), 2);
}

// ---------------------------------------------------------------------------
// Timeouts.

#[test]
fn a_body_that_stalls_midway_times_out() {
    let server = Server::start(|_req: &Req| {
        Reply::Custom(Box::new(|s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\"");
            let _ = s.flush();
            wait_for_close(s);
        }))
    });
    let client = builder(&server)
        .request_timeout(ms(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Timeout, "{e}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start(|_req: &Req| Reply::Custom(Box::new(|s| wait_for_close(s))));
    let client = builder(&server)
        .request_timeout(ms(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Timeout, "{e}");
}

// ---------------------------------------------------------------------------
// Tokens.

#[test]
fn a_token_expiring_mid_wait_is_replaced_once() {
    const LIFETIME: Duration = Duration::from_secs(2);
    #[derive(Default)]
    struct Tokens {
        issued: Vec<(String, Instant)>,
    }
    let tokens = Arc::new(Mutex::new(Tokens::default()));
    let t = Arc::clone(&tokens);
    let server = Server::start(move |req: &Req| {
        let mut tokens = t.lock().unwrap();
        if req.path() == "/v1/auth/token" {
            let value = format!("tok-{}", tokens.issued.len() + 1);
            tokens.issued.push((value.clone(), Instant::now()));
            // expires_at is exact; the Date header has whole seconds.
            return token_reply(&value, chrono::Duration::from_std(LIFETIME).unwrap()).into();
        }
        let valid = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .and_then(|v| tokens.issued.iter().find(|(t, _)| t == v))
            .is_some_and(|(_, at)| at.elapsed() < LIFETIME);
        if !valid {
            return Resp::json(401, r#"{"detail":"token expired"}"#).into();
        }
        let first = tokens.issued[0].1;
        match (req.method.as_str(), req.path()) {
            ("POST", "/v1/dw/13/questions") => {
                Resp::json(200, &format!(r#"{{"question_id":"{QUESTION}"}}"#)).into()
            }
            // Completed only once the first token is dead for sure.
            _ if first.elapsed() >= LIFETIME + ms(500) => Resp::json(200, &completed_body()).into(),
            _ => Resp::json(200, r#"{"state":"IN_PROGRESS"}"#).into(),
        }
    });
    let client = builder(&server)
        .poll(PollSchedule {
            first: ms(50),
            factor: 1.0,
            cap: ms(100),
            ..PollSchedule::default()
        })
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(server.count("/v1/auth/token"), 2);
    assert_eq!(client.token_exchanges(), 2);
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer tok-2"));
}

// ---------------------------------------------------------------------------
// Redirects.

#[test]
fn a_redirect_is_not_followed_and_the_token_stays_home() {
    let thief = Server::start(|_req: &Req| Resp::json(200, "{}").into());
    let elsewhere = thief.url();
    let api = fake_api(0);
    let server = Server::start(move |req: &Req| match (req.method.as_str(), req.path()) {
        ("POST", "/v1/dw/13/questions") => Resp::new(307, "")
            .header("Location", &format!("{elsewhere}/v1/dw/13/questions"))
            .into(),
        ("GET", p) if p.ends_with("/results") => Resp::new(302, "")
            .header("Location", &format!("{elsewhere}{p}"))
            .into(),
        _ => api(req),
    });
    let client = builder(&server).build().unwrap();

    let e = client.ask(13, "how many orders?").unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, .. } if status.as_u16() == 307),
        "{e:?}"
    );
    let e = client
        .results(13, QUESTION.parse().unwrap(), &ResultsOptions::default())
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, .. } if status.as_u16() == 302),
        "{e:?}"
    );
    assert_eq!(server.count("/v1/dw/13/questions"), 1, "not retried");
    assert_eq!(thief.connections(), 0, "the other origin was contacted");
}

// ---------------------------------------------------------------------------
// Proxies (explicit; the environment is tested in tests/proxy_env.rs).

#[test]
fn an_explicit_proxy_tunnels_http_with_connect() {
    let server = Server::start(fake_api(1));
    let proxy = Proxy::start(false);
    // A name only the proxy can resolve: the request cannot go direct.
    let client = builder_for(&format!("http://connecty.test:{}", server.port()))
        .proxy(ProxySetting::Url(proxy.url()))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(
        proxy.targets(),
        [format!("connecty.test:{}", server.port())],
        "one tunnel, reused"
    );
}

#[test]
fn an_explicit_proxy_tunnels_https_with_connect() {
    let pki = pki(&["connecty.test"]);
    let server = Server::start_tls(Arc::clone(&pki.server), fake_api(1));
    let proxy = Proxy::start(false);
    let client = builder_for(&format!("https://connecty.test:{}", server.port()))
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .proxy(ProxySetting::Url(proxy.url()))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_seed_answer(&answer);
    assert_eq!(
        proxy.targets(),
        [format!("connecty.test:{}", server.port())]
    );
}

#[test]
fn a_proxy_refusing_the_tunnel_is_a_connect_error() {
    let server = Server::start(fake_api(0));
    let proxy = Proxy::start(true);
    let client = builder(&server)
        .proxy(ProxySetting::Url(proxy.url()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Connect, "{e}");
    assert_eq!(proxy.targets().len(), 1);
    assert!(server.requests().is_empty());
}

#[test]
fn a_stalled_poll_ends_at_the_wait_deadline() {
    // The request timeout (60 s) is longer than the whole wait (400 ms): the
    // poll's own timeout is cut to the time left, so it cannot outlive the
    // deadline.
    let api = fake_api(0);
    let server = Server::start(move |req: &Req| {
        if req.path().ends_with("/results") {
            return Reply::Custom(Box::new(|s| wait_for_close(s)));
        }
        api(req)
    });
    let client = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    let e = client
        .wait(
            13,
            QUESTION.parse().unwrap(),
            &WaitOptions::new().timeout(ms(400)),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Timeout { .. })
            || matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
        "{e:?}"
    );
}

#[test]
fn idle_connections_are_dropped_after_the_pool_idle_timeout() {
    let server = Server::start(fake_api(0));
    let client = builder(&server).pool_idle_timeout(ms(50)).build().unwrap();
    client.health().unwrap();
    // Setup, not an assertion: let the pooled connection grow older than
    // the idle timeout.
    std::thread::sleep(ms(150));
    client.health().unwrap();
    assert_eq!(server.connections(), 2);
}
