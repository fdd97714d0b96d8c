//! The ureq transport against the testkit's loopback servers: one fixture
//! per documented behaviour.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use connecty_emulator::gzip;
use connecty_testkit::net::{
    Body, FakeApi, Reply, Request, Server, TestCa, TestProxy, assert_fake_answer, client_settings,
    dead_port,
};
use connecty_testkit::progress::record_states;
use connecty_testkit::values::{CLIENT_ID, CLIENT_SECRET, QUESTION_ID};
use connecty_ureq::connecty_proto::{
    Event, PollSchedule, ProxySetting, Resource, RetryPolicy, State, TransportErrorKind,
};
use connecty_ureq::{ClientBuilder, Error, QuestionId, ResultsOptions, WaitOptions, WorkspaceId};
use http::Response;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A builder for `url`: test credentials, no proxy whatever the
/// environment says, fast retries and polls.
fn builder_for(url: &str) -> ClientBuilder {
    ClientBuilder::from_settings(client_settings(url))
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

fn fake(in_progress_polls: u32) -> Arc<FakeApi> {
    Arc::new(FakeApi {
        in_progress_polls,
        ..FakeApi::default()
    })
}

fn serve(api: &Arc<FakeApi>) -> Server {
    api.serve().expect("loopback server")
}

fn custom(f: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(f).expect("loopback server")
}

fn body(status: u16, data: Body) -> Reply {
    let mut r = Response::new(data);
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
    Reply::new(r)
}

// ---------------------------------------------------------------------------
// The seed flow.

#[test]
fn seed_flow_health_token_ask_and_poll_until_completed() {
    let server = serve(&fake(2));
    let client = builder(&server)
        .user_agent_suffix("tests/1")
        .build()
        .unwrap();
    client.health().unwrap();

    let (options, states) = record_states(WaitOptions::new());
    let answer = client
        .ask_and_wait(
            13,
            "list the top 5 countries with the most orders",
            &options,
        )
        .unwrap();
    assert_fake_answer(&answer);
    assert_eq!(
        *states.lock().unwrap(),
        [State::InProgress, State::Completed]
    );

    let reqs = server.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path()).collect();
    let results = format!("/v1/dw/13/questions/{QUESTION_ID}/results");
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
    assert_eq!(token_body["client_id"], CLIENT_ID);
    assert_eq!(token_body["client_secret"], CLIENT_SECRET);
    let ask_body: serde_json::Value = serde_json::from_slice(&reqs[2].body).unwrap();
    assert_eq!(
        ask_body["question"],
        "list the top 5 countries with the most orders"
    );
    for r in &reqs[2..] {
        assert_eq!(r.header("authorization"), Some("Bearer token-1"));
    }
    assert_eq!(reqs[3].target(), format!("{results}?include=dataframe"));
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
    let api = fake(1);
    let server = custom(move |req: &Request| {
        let reply = api.answer(req);
        if req.path() == "/v1/auth/token" {
            // Server-side latency, so that the other threads arrive while
            // the exchange is in flight.
            reply.delay(ms(100))
        } else {
            reply
        }
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
        assert_fake_answer(&t.join().unwrap().unwrap());
    }
    assert_eq!(server.count("/v1/auth/token"), 1);
    assert_eq!(client.token_exchanges(), 1);
    assert_eq!(server.count("/v1/dw/13/questions"), 8);
}

// ---------------------------------------------------------------------------
// TLS.

#[test]
fn https_is_trusted_when_the_ca_is_added() {
    let server = fake(1).serve_tls(TestCa::shared().loopback()).unwrap();
    let client = builder(&server)
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .build()
        .unwrap();
    client.health().unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_fake_answer(&answer);
    assert_eq!(server.connections(), 1);
}

#[test]
fn https_is_refused_when_the_ca_is_not_trusted() {
    let server = fake(0).serve_tls(TestCa::shared().loopback()).unwrap();
    let client = builder(&server).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
    // The message says what was wrong; the hint, what to do about it.
    assert!(
        e.to_string().contains("not signed by a trusted root"),
        "{e}"
    );
    assert!(
        e.hint()
            .is_some_and(|h| h.to_string().contains("add_root_certificate_pem")),
        "the hint: {:?}",
        e.hint()
    );
    assert!(server.requests().is_empty());
}

#[test]
fn https_is_refused_for_a_certificate_of_another_host() {
    let config = TestCa::shared().server_config(&["other.example"]);
    let api = fake(0);
    let server = Server::start_tls(config, move |r: &Request| api.answer(r)).unwrap();
    let client = builder(&server)
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Tls, "{e}");
    assert!(
        e.to_string().contains("for another host name"),
        "the hint: {e}"
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------
// Connections.

#[test]
fn pooled_connections_are_reused() {
    let server = serve(&fake(0));
    let client = builder(&server).build().unwrap();
    for _ in 0..3 {
        client.health().unwrap();
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let server = serve(&fake(0));
    let client = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    client.health().unwrap();
    // The far side's idle timeout, without a `Connection: close`.
    server.close_idle();
    assert!(server.wait_closed(1));
    client.health().unwrap();
    client.health().unwrap();
    assert_eq!(server.connections(), 2);
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
fn chunked_and_gzip_bodies_are_read_whole() {
    for (gzip, chunked) in [(false, true), (true, false), (true, true)] {
        let api = Arc::new(FakeApi {
            gzip,
            chunked,
            ..FakeApi::default()
        });
        let server = serve(&api);
        let client = builder(&server).build().unwrap();
        let answer = client
            .ask_and_wait(13, "how many orders?", &WaitOptions::new())
            .unwrap();
        assert_fake_answer(&answer);
    }
}

#[test]
fn an_invalid_gzip_body_is_an_other_error() {
    let server =
        custom(|_| Reply::json(200, "this is not gzip").header("content-encoding", "gzip"));
    let client = builder(&server).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Other, "{e}");
    assert_eq!(server.count("/v1/health"), 1, "not retried");
}

#[test]
fn a_body_of_exactly_the_limit_passes_and_one_more_byte_does_not() {
    let server = custom(|_| body(200, Body::full(vec![b' '; 1000])));
    let client = builder(&server).body_limit(1000).build().unwrap();
    client.health().unwrap();

    let server = custom(|_| body(200, Body::chunked(&[b' '; 1001], 100)));
    let client = builder(&server).body_limit(1000).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
    assert!(e.to_string().contains("body limit of 1000 bytes"), "{e}");
}

#[test]
fn a_streamed_body_over_the_limit_stops_reading_at_the_limit() {
    const TOTAL: u64 = 64 * 1024 * 1024;
    let produced = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&produced);
    let server = custom(move |_| {
        body(
            200,
            Body::Generated {
                remaining: TOTAL,
                produced: Some(Arc::clone(&counter)),
            },
        )
    });
    let client = builder(&server).body_limit(1024 * 1024).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
    assert_eq!(server.count("/v1/health"), 1, "not retried");
    // The client hung up: the server could not push the whole body, so the
    // client never buffered it.
    drop(client);
    assert!(server.wait_closed(1));
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent < TOTAL, "server wrote all {sent} bytes");
}

#[test]
fn an_announced_body_over_the_limit_is_refused_before_reading() {
    // One byte, then nothing: the client must decide from the header alone.
    let server = custom(|_| body(200, Body::stall(b"{")).header("content-length", "67108864"));
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
    let server =
        custom(move |_| body(200, Body::full(bomb.clone())).header("content-encoding", "gzip"));
    let client = builder(&server).body_limit(1024 * 1024).build().unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::BodyTooLarge, "{e}");
}

// ---------------------------------------------------------------------------
// Statuses.

#[test]
fn a_404_comes_back_as_not_found() {
    let other: QuestionId = "00000000-0000-4000-8000-000000000000".parse().unwrap();
    let api = fake(0);
    let server = custom(move |r: &Request| {
        if r.path().contains(&other.to_string()) || r.path() == "/v1/dw/99/questions" {
            Reply::json(404, r#"{"detail":"Not Found"}"#)
        } else {
            api.answer(r)
        }
    });
    let client = builder(&server).build().unwrap();
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
    let server = custom(move |_| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(503, r#"{"detail":"busy"}"#)
        } else {
            Reply::json(200, r#"{"status":"ok"}"#)
        }
    });
    let client = builder(&server).build().unwrap();
    client.health().unwrap();
    assert_eq!(server.count("/v1/health"), 2);
}

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let api = Arc::new(FakeApi {
        rate_limited_asks: AtomicU32::new(1),
        retry_after: "1",
        ..FakeApi::default()
    });
    let server = serve(&api);
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
    assert_fake_answer(&answer);
    assert_eq!(*retries.lock().unwrap(), [Duration::from_secs(1)]);
    assert_eq!(server.count("/v1/dw/13/questions"), 2);
}

// ---------------------------------------------------------------------------
// Timeouts.

#[test]
fn a_body_that_stalls_midway_times_out() {
    let server = custom(|_| body(200, Body::stall(b"{\"status\"")).header("content-length", "100"));
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
    let server = custom(|_| Reply::hang());
    let client = builder(&server)
        .request_timeout(ms(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Timeout, "{e}");
}

#[test]
fn a_stalled_poll_ends_at_the_wait_deadline() {
    // The request timeout (60 s) is longer than the whole wait (400 ms): the
    // poll's own timeout is cut to the time left, so it cannot outlive the
    // deadline.
    let api = fake(0);
    let server = custom(move |req: &Request| {
        if req.path().ends_with("/results") {
            return Reply::hang();
        }
        api.answer(req)
    });
    let client = builder(&server).retry(RetryPolicy::none()).build().unwrap();
    let e = client
        .wait(
            13,
            QUESTION_ID.parse().unwrap(),
            &WaitOptions::new().timeout(ms(400)),
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Timeout { .. })
            || matches!(&e, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Tokens.

#[test]
fn a_token_expiring_mid_wait_is_replaced_once() {
    let api = Arc::new(FakeApi {
        token_lifetime: Duration::from_secs(2),
        complete_after: ms(2500),
        in_progress_polls: 0,
        ..FakeApi::default()
    });
    let server = serve(&api);
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
    assert_fake_answer(&answer);
    assert_eq!(server.count("/v1/auth/token"), 2);
    assert_eq!(client.token_exchanges(), 2);
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer token-2"));
}

// ---------------------------------------------------------------------------
// Redirects.

#[test]
fn a_redirect_is_not_followed_and_the_token_stays_home() {
    let thief = custom(|_| Reply::json(200, "{}"));
    let elsewhere = thief.url();
    let api = fake(0);
    let server = custom(
        move |req: &Request| match (req.method.as_str(), req.path()) {
            ("POST", "/v1/dw/13/questions") => body(307, Body::empty())
                .header("location", &format!("{elsewhere}/v1/dw/13/questions")),
            ("GET", p) if p.ends_with("/results") => {
                body(302, Body::empty()).header("location", &format!("{elsewhere}{p}"))
            }
            _ => api.answer(req),
        },
    );
    let client = builder(&server).build().unwrap();

    let e = client.ask(13, "how many orders?").unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, .. } if status.as_u16() == 307),
        "{e:?}"
    );
    let e = client
        .results(13, QUESTION_ID.parse().unwrap(), &ResultsOptions::default())
        .unwrap_err();
    assert!(
        matches!(&e, Error::Api { status, .. } if status.as_u16() == 302),
        "{e:?}"
    );
    assert_eq!(server.count("/v1/dw/13/questions"), 1, "not retried");
    assert_eq!(thief.connections(), 0, "the other origin was contacted");
}

// ---------------------------------------------------------------------------
// Proxies, given explicitly (the rule itself is table-tested in
// connecty_proto::net; real proxies are in tests/real_infra.rs).

#[test]
fn an_explicit_proxy_tunnels_https_with_connect_and_credentials() {
    let server = fake(1).serve_tls(TestCa::shared().loopback()).unwrap();
    let proxy = TestProxy::start().unwrap();
    // A name only the proxy can resolve: the request cannot go direct.
    let client = builder_for(&format!("https://connecty.test:{}", server.port()))
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .proxy(ProxySetting::Url(format!(
            "http://user:pa%20ss@{}",
            proxy.addr()
        )))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_fake_answer(&answer);
    assert_eq!(
        proxy.tunnels(),
        [format!("connecty.test:{}", server.port())],
        "one tunnel, reused"
    );
    // base64("user:pa ss")
    assert_eq!(proxy.auth(), ["Basic dXNlcjpwYSBzcw=="]);
}

#[test]
fn plain_http_through_an_http_proxy_is_refused_with_the_reason() {
    // ureq 3 cannot send the absolute-form request curl sends; a CONNECT
    // tunnel to a plain-http port is what real proxies refuse. The limit
    // is reported when the client is built, naming the setting.
    let proxy = TestProxy::start().unwrap();
    let e = builder_for("http://connecty.test:8080")
        .proxy(ProxySetting::Url(format!(
            "http://user:hunter2@{}",
            proxy.addr()
        )))
        .build()
        .unwrap_err();
    match &e {
        Error::InvalidInput(i) => {
            assert_eq!(i.field, "proxy");
            assert!(i.message.contains("absolute-form"), "{e}");
            assert!(i.message.contains("connecty-hyper"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("hunter2"));
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn plain_http_goes_through_a_socks5h_proxy() {
    let server = serve(&fake(1));
    let proxy = TestProxy::start().unwrap();
    let client = builder_for(&format!("http://connecty.test:{}", server.port()))
        .proxy(ProxySetting::Url(proxy.socks5h_url()))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "how many orders?", &WaitOptions::new())
        .unwrap();
    assert_fake_answer(&answer);
    assert_eq!(proxy.socks(), [format!("connecty.test:{}", server.port())]);
}

#[test]
fn a_proxy_refusing_the_tunnel_is_a_connect_error_naming_the_proxy() {
    let proxy = TestProxy::refusing().unwrap();
    let client = builder_for("https://connecty.test:8443")
        .proxy(ProxySetting::Url(proxy.url()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().unwrap_err();
    assert_eq!(transport_kind(&e), TransportErrorKind::Connect, "{e}");
    assert!(
        e.to_string().contains(&format!(
            "the proxy {} (proxy) refused the tunnel",
            proxy.addr()
        )),
        "{e}"
    );
    assert_eq!(proxy.tunnels(), ["connecty.test:8443"]);
}

#[test]
fn idle_connections_are_dropped_after_the_pool_idle_timeout() {
    let server = serve(&fake(0));
    let client = builder(&server).pool_idle_timeout(ms(50)).build().unwrap();
    client.health().unwrap();
    // Setup, not an assertion: let the pooled connection grow older than
    // the idle timeout.
    std::thread::sleep(ms(150));
    client.health().unwrap();
    assert_eq!(server.connections(), 2);
}
