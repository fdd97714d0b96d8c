//! The hyper transport against the testkit's loopback servers: the seed
//! flow, TLS, pooling, bodies, timeouts, retries, tokens, redirects and
//! proxies.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connecty_emulator::gzip;
use connecty_hyper::connecty_proto::{
    AsyncTransport, Event, PollSchedule, ProxySetting, RetryPolicy, State, TransportErrorKind,
};
use connecty_hyper::{Client, ClientBuilder, Error, WaitOptions};
use connecty_testkit::net::{
    Body, FakeApi, Reply, Request, Server, TestCa, TestProxy, assert_fake_answer, client_settings,
    completed_body, dead_port,
};
use connecty_testkit::progress::record_states;
use connecty_testkit::values::{CLIENT_SECRET, QUESTION_ID};
use http::{Response, StatusCode, Version};

fn builder(base_url: &str) -> ClientBuilder {
    ClientBuilder::from_settings(client_settings(base_url))
}

fn client(base_url: &str) -> Client {
    builder(base_url).build().expect("client builds")
}

/// A failure that must mention neither the secret nor a token.
fn assert_no_secrets(text: &str) {
    assert!(!text.contains(CLIENT_SECRET), "secret leaked: {text}");
    assert!(!text.contains("token-"), "token leaked: {text}");
}

/// The status of an HTTP error.
fn status_of(e: &Error) -> Option<StatusCode> {
    match e {
        Error::Api { status, .. }
        | Error::Server { status, .. }
        | Error::Authentication { status, .. } => Some(*status),
        _ => None,
    }
}

fn serve(api: &Arc<FakeApi>) -> Server {
    api.serve().expect("loopback server")
}

fn serve_tls(api: &Arc<FakeApi>) -> Server {
    api.serve_tls(TestCa::shared().loopback())
        .expect("loopback server")
}

/// Waits (at most 5 s) until `n` connections to `server` have ended,
/// letting this runtime's connection tasks run meanwhile.
async fn closed(server: &Server, n: u64) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.closed() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the connection is closed");
}

fn custom(f: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(f).expect("loopback server")
}

fn transport_kind(e: &Error) -> Option<TransportErrorKind> {
    match e {
        Error::Transport(t) => Some(t.kind),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The seed flow.

#[tokio::test]
async fn seed_flow_health_token_ask_poll_until_completed() {
    let api = Arc::new(FakeApi {
        in_progress_polls: 2,
        ..FakeApi::default()
    });
    let server = serve(&api);
    let client = client(&server.url());

    client.health().await.expect("healthy");
    let (options, states) = record_states(WaitOptions::new());
    let answer = client
        .ask_and_wait(
            13,
            "list the top 5 countries with the most orders",
            &options,
        )
        .await
        .expect("answered");
    assert_fake_answer(&answer);
    assert_eq!(
        *states.lock().unwrap(),
        [State::InProgress, State::Completed]
    );

    assert_eq!(api.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(api.asks.load(Ordering::SeqCst), 1);
    assert_eq!(api.polls.load(Ordering::SeqCst), 3);
    let seen = server.requests();
    let paths: Vec<&str> = seen.iter().map(|s| s.path()).collect();
    assert_eq!(
        paths[..3],
        ["/v1/health", "/v1/auth/token", "/v1/dw/13/questions"]
    );
    let results = format!("/v1/dw/13/questions/{QUESTION_ID}/results");
    assert!(paths[3..].iter().all(|p| *p == results), "{paths:?}");
    for s in &seen {
        assert_eq!(s.header("accept-encoding"), Some("gzip"), "{}", s.path());
        let authenticated = s.path().starts_with("/v1/dw/");
        assert_eq!(
            s.header("authorization").is_some(),
            authenticated,
            "{}",
            s.path()
        );
        assert_eq!(s.version, Version::HTTP_11);
    }
    // One pooled connection carried all six requests.
    assert_eq!(server.connections(), 1);
}

// ---------------------------------------------------------------------------
// TLS.

#[tokio::test]
async fn https_with_the_private_ca_added_is_trusted_and_speaks_h2() {
    let api = Arc::new(FakeApi::default());
    let server = serve_tls(&api);
    let client = builder(&server.url())
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .build()
        .unwrap();

    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("trusted");
    assert_fake_answer(&answer);
    let seen = server.requests();
    assert!(seen.len() >= 3);
    assert!(
        seen.iter().all(|s| s.version == Version::HTTP_2),
        "{seen:?}"
    );
    assert_eq!(server.connections(), 1);
    assert_eq!(server.tls_failures(), 0);
}

#[tokio::test]
async fn https_without_the_ca_is_refused_as_a_tls_error() {
    let api = Arc::new(FakeApi::default());
    let server = serve_tls(&api);
    let client = client(&server.url());

    let e = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Tls), "{e}");
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
    assert_no_secrets(&e.to_string());
    assert!(
        server.requests().is_empty(),
        "nothing may be sent to an untrusted server"
    );
    // TLS failures are not retried.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    // Signed by a trusted CA, but for another host.
    let config = TestCa::shared().server_config(&["api.example.com"]);
    let server = Server::start_tls(config, |_: &Request| Reply::json(200, "{}")).unwrap();
    let client = builder(&server.url())
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Tls), "{e}");
    assert!(e.to_string().contains("not valid for name"), "{e}");
    assert!(
        e.to_string().contains("for another host name"),
        "the hint: {e}"
    );
    assert_eq!(server.connections(), 1, "not retried");
}

// ---------------------------------------------------------------------------
// Pooling.

#[tokio::test]
async fn a_server_closing_idle_keep_alive_connections_does_not_fail_the_next_request() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let client = client(&server.url());

    client.health().await.expect("first request");
    assert_eq!(server.connections(), 1);
    // The load balancer's keep-alive timeout: the idle pooled connection is
    // closed under the client.
    server.close_idle();
    assert!(
        server.wait_closed(1),
        "the server closes its idle connection"
    );
    client
        .health()
        .await
        .expect("second request after the close");
    client.health().await.expect("third request");
    assert_eq!(server.connections(), 2);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn idle_connections_expire_from_the_pool() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let client = builder(&server.url())
        .pool_idle_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    client.health().await.unwrap();
    // The pool timer closes the idle connection: the server sees it end.
    closed(&server, 1).await;
    client.health().await.unwrap();
    assert_eq!(server.connections(), 2);
}

// ---------------------------------------------------------------------------
// Bodies.

#[tokio::test]
async fn chunked_and_gzip_bodies_are_read_whole() {
    for (gzip, chunked) in [(false, true), (true, false), (true, true)] {
        let api = Arc::new(FakeApi {
            gzip,
            chunked,
            ..FakeApi::default()
        });
        let server = serve(&api);
        let answer = client(&server.url())
            .ask_and_wait(13, "top countries", &WaitOptions::new())
            .await
            .expect("answered");
        assert_fake_answer(&answer);
    }
}

fn gzip_reply(packed: &[u8]) -> Reply {
    let mut r = Response::new(Body::full(packed.to_vec()));
    r.headers_mut()
        .insert("content-encoding", "gzip".parse().unwrap());
    Reply::new(r)
}

#[tokio::test]
async fn gzip_responses_come_back_decoded_without_the_encoding_headers() {
    let plain = completed_body();
    let packed = gzip(plain.as_bytes());
    let server = custom(move |_| gzip_reply(&packed).header("x-kept", "yes"));
    let client = client(&server.url());
    let request = http::Request::get(format!("{}/v1/health", server.url()))
        .body(Vec::new())
        .unwrap();
    let response = client
        .transport()
        .send(request, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(response.body(), plain.as_bytes());
    assert!(response.headers().get("content-encoding").is_none());
    assert!(response.headers().get("content-length").is_none());
    assert_eq!(response.headers()["x-kept"], "yes");
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_an_error_not_a_panic() {
    let server = custom(|_| gzip_reply(b"\x1f\x8b\x08\x00garbage"));
    let e = builder(&server.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Other), "{e}");
}

/// A server streaming `total` bytes (with or without Content-Length),
/// counting what it produced.
fn big_body_server(total: u64, announce: bool, produced: Arc<AtomicU64>) -> Server {
    custom(move |_| {
        let mut r = Response::new(Body::Generated {
            remaining: total,
            produced: Some(produced.clone()),
        });
        if announce {
            r.headers_mut().insert("content-length", total.into());
        }
        Reply::new(r)
    })
}

#[tokio::test]
async fn a_body_over_the_limit_stops_early_with_body_too_large() {
    const MIB: u64 = 1024 * 1024;
    let produced = Arc::new(AtomicU64::new(0));
    let server = big_body_server(64 * MIB, false, produced.clone());
    let client = builder(&server.url()).body_limit(MIB).build().unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(
        transport_kind(&e),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert!(e.to_string().contains("1048576"), "{e}");
    // The client stopped reading and hung up long before 64 MiB: the server
    // could only push what fits in the socket buffers past the limit.
    closed(&server, 1).await;
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent >= MIB, "the server produced {sent} bytes");
    assert!(sent < 32 * MIB, "the server produced {sent} bytes");
}

#[tokio::test]
async fn an_announced_content_length_over_the_limit_is_refused_before_reading() {
    let produced = Arc::new(AtomicU64::new(0));
    let server = big_body_server(64 * 1024 * 1024, true, produced);
    let e = builder(&server.url())
        .body_limit(1024 * 1024)
        .build()
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert_eq!(
        transport_kind(&e),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
}

#[tokio::test]
async fn the_limit_applies_to_the_decoded_size_of_gzip_bodies() {
    // 8 MiB of JSON-ish text compresses to a few KiB: under the limit on
    // the wire, over it decoded.
    let packed = gzip(&vec![b' '; 8 * 1024 * 1024]);
    assert!(packed.len() < 64 * 1024);
    let server = custom(move |_| gzip_reply(&packed));
    let e = builder(&server.url())
        .body_limit(1024 * 1024)
        .build()
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert_eq!(
        transport_kind(&e),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Timeouts.

fn stalling(first: &'static [u8], length: Option<&'static str>) -> Reply {
    let mut r = Response::new(Body::stall(first));
    if let Some(l) = length {
        r.headers_mut().insert("content-length", l.parse().unwrap());
    }
    Reply::new(r)
}

#[tokio::test]
async fn a_body_stalling_midway_times_out() {
    let server = custom(|_| stalling(b"{\"state\":", Some("1000")));
    let client = builder(&server.url())
        .request_timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(10), client.health())
        .await
        .expect("the request timeout ends the call")
        .unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Timeout), "{e}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_stalled_idempotent_request_is_retried_then_reported() {
    let server = custom(|_| stalling(b"{", None));
    let client = builder(&server.url())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    match &e {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Timeout);
            assert_eq!(t.attempts, 3);
        }
        other => panic!("{other}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_tls_handshake_that_never_answers_is_a_connect_timeout() {
    // Accepts TCP and then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let holder = held.clone();
    let task = tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            holder.lock().unwrap().push(s);
        }
    });
    let client = builder(&format!("https://{addr}"))
        .connect_timeout(Duration::from_millis(200))
        .request_timeout(Duration::from_secs(10))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Connect), "{e}");
    assert!(
        e.to_string()
            .contains("within the connect timeout of 200 ms"),
        "{e}"
    );
    task.abort();
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let e = builder(&format!("http://127.0.0.1:{}", dead_port()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .health()
        .await
        .unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Connect), "{e}");
}

// ---------------------------------------------------------------------------
// Retries and tokens.

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_servers_delay() {
    let api = Arc::new(FakeApi {
        rate_limited_asks: AtomicU32::new(1),
        retry_after: "1",
        ..FakeApi::default()
    });
    let server = serve(&api);
    let client = builder(&server.url())
        .retry(RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(300),
        })
        .build()
        .unwrap();
    let delays = Arc::new(Mutex::new(Vec::new()));
    let recorded = delays.clone();
    let options = WaitOptions::new().on_progress(move |e| {
        if let Event::Retrying { delay, reason, .. } = e {
            recorded.lock().unwrap().push((*delay, reason.clone()));
        }
    });
    let answer = client
        .ask_and_wait(13, "top countries", &options)
        .await
        .expect("answered after the retry");
    assert_fake_answer(&answer);
    assert_eq!(api.asks.load(Ordering::SeqCst), 2);
    let delays = delays.lock().unwrap();
    assert_eq!(delays.len(), 1, "{delays:?}");
    // Retry-After: 1 s, held to the policy's 300 ms cap; the backoff alone
    // would have been at most 10 ms.
    assert_eq!(delays[0].0, Duration::from_millis(300), "{delays:?}");
    assert!(delays[0].1.contains("429"), "{delays:?}");
}

#[tokio::test]
async fn a_token_expiring_mid_wait_is_renewed_once() {
    let api = Arc::new(FakeApi {
        token_lifetime: Duration::from_secs(2),
        complete_after: Duration::from_millis(2300),
        in_progress_polls: 0,
        ..FakeApi::default()
    });
    let server = serve(&api);
    let client = builder(&server.url())
        .poll(PollSchedule {
            first: Duration::from_millis(100),
            factor: 1.0,
            cap: Duration::from_millis(100),
            ..PollSchedule::default()
        })
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered across the token's expiry");
    assert_fake_answer(&answer);
    assert_eq!(api.token_requests.load(Ordering::SeqCst), 2);
    assert_eq!(client.token_exchanges(), 2);
    let tokens: std::collections::BTreeSet<String> = server
        .requests()
        .iter()
        .filter_map(|s| s.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        tokens.into_iter().collect::<Vec<_>>(),
        ["Bearer token-1", "Bearer token-2"]
    );
}

#[tokio::test]
async fn fifty_concurrent_questions_on_a_fresh_client_make_one_token_request() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let client = client(&server.url());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .ask_and_wait(13, &format!("question {i}"), &WaitOptions::new())
                    .await
            })
        })
        .collect();
    for t in tasks {
        let answer = t.await.expect("task ran").expect("answered");
        assert_fake_answer(&answer);
    }
    assert_eq!(api.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(client.token_exchanges(), 1);
    assert_eq!(api.asks.load(Ordering::SeqCst), 50);
}

// ---------------------------------------------------------------------------
// Redirects.

#[tokio::test]
async fn a_redirect_to_another_port_is_not_followed_and_gets_no_token() {
    let elsewhere = custom(|_| Reply::json(200, r#"{"state":"COMPLETED","results":{}}"#));
    let api = Arc::new(FakeApi {
        redirect_results_to: Some(format!(
            "{}/v1/dw/13/questions/{QUESTION_ID}/results",
            elsewhere.url()
        )),
        ..FakeApi::default()
    });
    let server = serve(&api);
    let e = client(&server.url())
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .unwrap_err();
    assert!(
        status_of(&e).is_some_and(|s| s.as_u16() == 307)
            || transport_kind(&e) == Some(TransportErrorKind::Redirect),
        "{e}"
    );
    assert_no_secrets(&e.to_string());
    assert!(elsewhere.requests().is_empty());
    assert_eq!(elsewhere.connections(), 0);
}

// ---------------------------------------------------------------------------
// Proxies (given explicitly; the rule itself is table-tested in
// connecty_proto::net, real proxies are in tests/real_infra.rs).

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_proxy_credentials() {
    let api = Arc::new(FakeApi::default());
    let server = serve_tls(&api);
    let proxy = TestProxy::start().unwrap();
    let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr());
    let client = builder(&server.url())
        .add_root_certificate_pem(TestCa::shared().ca_pem().as_bytes())
        .proxy(ProxySetting::Url(proxy_url))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through the tunnel");
    assert_fake_answer(&answer);
    assert_eq!(proxy.tunnels(), [format!("127.0.0.1:{}", server.port())]);
    // base64("user:pa ss")
    assert_eq!(proxy.auth(), ["Basic dXNlcjpwYSBzcw=="]);
    assert!(
        server
            .requests()
            .iter()
            .all(|s| s.version == Version::HTTP_2)
    );
}

#[tokio::test]
async fn plain_http_goes_through_a_forwarding_proxy_in_absolute_form() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let proxy = TestProxy::start().unwrap();
    let client = builder(&server.url())
        .proxy(ProxySetting::Url(format!(
            "http://user:pass@{}",
            proxy.addr()
        )))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through the proxy");
    assert_fake_answer(&answer);
    // base64("user:pass"), on every forwarded request itself.
    let forwarded = proxy.forwarded();
    assert_eq!(proxy.auth().len(), forwarded.len());
    assert!(proxy.auth().iter().all(|a| a == "Basic dXNlcjpwYXNz"));
    assert_eq!(
        forwarded.first().map(String::as_str),
        Some(format!("{}/v1/auth/token", server.url()).as_str()),
        "absolute-form targets: {forwarded:?}"
    );
    assert!(proxy.tunnels().is_empty());
    // The proxy passed the requests on without its credentials.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("proxy-authorization").is_none())
    );
}

#[tokio::test]
async fn a_proxy_refusing_the_tunnel_is_a_connect_error_naming_the_proxy() {
    let proxy = TestProxy::refusing().unwrap();
    // The proxy refuses before anything leaves the machine.
    let client = builder("https://api.eu1.connecty-ai.com")
        .proxy(ProxySetting::Url(proxy.url()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Connect), "{e}");
    assert!(
        e.to_string().contains(&format!(
            "the proxy {} (proxy) refused the tunnel",
            proxy.addr()
        )),
        "{e}"
    );
    assert_eq!(proxy.tunnels(), ["api.eu1.connecty-ai.com:443"]);
}

#[tokio::test]
async fn disabled_proxy_connects_directly() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let proxy = TestProxy::start().unwrap();
    // `client_settings` disables the proxy; the proxy must never be
    // contacted.
    client(&server.url()).health().await.unwrap();
    assert_eq!(proxy.connections(), 0);
}

#[tokio::test]
async fn socks5h_proxies_work_too() {
    let api = Arc::new(FakeApi::default());
    let server = serve(&api);
    let proxy = TestProxy::start().unwrap();
    let client = builder(&server.url())
        .proxy(ProxySetting::Url(proxy.socks5h_url()))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through SOCKS");
    assert_fake_answer(&answer);
    assert_eq!(proxy.socks(), [format!("127.0.0.1:{}", server.port())]);
}
