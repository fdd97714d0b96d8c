//! The hyper transport against loopback servers: the seed flow, TLS,
//! pooling, bodies, timeouts, retries, tokens, redirects and proxies.

mod common;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use connecty_hyper::connecty_proto::{
    AsyncTransport, Event, PollSchedule, ProxySetting, RetryPolicy, State, TransportErrorKind,
};
use connecty_hyper::{Error, QuestionId, WaitOptions};
use http::{Response, Version};

fn transport_kind(e: &Error) -> Option<TransportErrorKind> {
    match e {
        Error::Transport(t) => Some(t.kind),
        _ => None,
    }
}

fn assert_answer(answer: &connecty_hyper::Answer) {
    assert_eq!(
        answer.question_id,
        QUESTION_ID.parse::<QuestionId>().unwrap()
    );
    let df = answer.results.dataframe.as_ref().expect("a dataframe");
    assert_eq!(df.columns(), ["country", "orders"]);
    assert_eq!(df.len(), 2);
    assert_eq!(df.cell(0, 0).unwrap().as_str().unwrap(), "Poland");
    assert_eq!(df.cell(1, 1).unwrap().as_u64(), Some(7));
}

fn states_recorder() -> (WaitOptions, Arc<Mutex<Vec<State>>>) {
    let states = Arc::new(Mutex::new(Vec::new()));
    let seen = states.clone();
    let options = WaitOptions::new().on_progress(move |e| {
        if let Event::StateChanged { state, .. } = e {
            seen.lock().unwrap().push(state.clone());
        }
    });
    (options, states)
}

// ---------------------------------------------------------------------------
// The seed flow.

#[tokio::test]
async fn seed_flow_health_token_ask_poll_until_completed() {
    let api = Arc::new(Api {
        in_progress_polls: 2,
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
    let client = client(&server.url());

    client.health().await.expect("healthy");
    let (options, states) = states_recorder();
    let answer = client
        .ask_and_wait(
            13,
            "list the top 5 countries with the most orders",
            &options,
        )
        .await
        .expect("answered");
    assert_answer(&answer);
    assert_eq!(
        *states.lock().unwrap(),
        [State::InProgress, State::Completed]
    );

    assert_eq!(api.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(api.asks.load(Ordering::SeqCst), 1);
    assert_eq!(api.polls.load(Ordering::SeqCst), 3);
    let seen = api.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths[..3],
        ["/v1/health", "/v1/auth/token", "/v1/dw/13/questions"]
    );
    let results = format!("/v1/dw/13/questions/{QUESTION_ID}/results");
    assert!(paths[3..].iter().all(|p| *p == results), "{paths:?}");
    for s in &seen {
        assert_eq!(s.accept_encoding.as_deref(), Some("gzip"), "{}", s.path);
        let authenticated = s.path.starts_with("/v1/dw/");
        assert_eq!(s.authorization.is_some(), authenticated, "{}", s.path);
        assert_eq!(s.version, Version::HTTP_11);
    }
    // One pooled connection carried all six requests.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------
// TLS.

#[tokio::test]
async fn https_with_the_private_ca_added_is_trusted_and_speaks_h2() {
    let pki = pki();
    let api = Arc::new(Api::default());
    let handler = {
        let api = api.clone();
        Arc::new(move |p: &http::request::Parts, b: &[u8]| api.answer(p, b))
    };
    let server = serve(handler, Some(pki.acceptor)).await;
    let client = builder(&server.https_url())
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();

    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("trusted");
    assert_answer(&answer);
    let seen = api.seen();
    assert!(seen.len() >= 3);
    assert!(
        seen.iter().all(|s| s.version == Version::HTTP_2),
        "{seen:?}"
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.tls_failures.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn https_without_the_ca_is_refused_as_a_tls_error() {
    let pki = pki();
    let api = Arc::new(Api::default());
    let handler = {
        let api = api.clone();
        Arc::new(move |p: &http::request::Parts, b: &[u8]| api.answer(p, b))
    };
    let server = serve(handler, Some(pki.acceptor)).await;
    let client = client(&server.https_url());

    let e = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Tls), "{e}");
    assert_no_secrets(&e.to_string());
    assert!(
        api.seen().is_empty(),
        "nothing may be sent to an untrusted server"
    );
    // TLS failures are not retried.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    // Signed by a trusted CA, but for another host.
    let pki = pki_for(&["api.example.com"]);
    let server = serve(
        Arc::new(|_: &http::request::Parts, _: &[u8]| json(200, "{}")),
        Some(pki.acceptor),
    )
    .await;
    let client = builder(&server.https_url())
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Tls), "{e}");
    assert!(e.to_string().contains("not valid for name"), "{e}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 1, "not retried");
}

// ---------------------------------------------------------------------------
// Pooling.

#[tokio::test]
async fn a_server_closing_idle_keep_alive_connections_does_not_fail_the_next_request() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
    let client = client(&server.url());

    client.health().await.expect("first request");
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    // The load balancer's keep-alive timeout: the idle pooled connection is
    // closed under the client.
    server.close_idle_and_wait(1).await;
    client
        .health()
        .await
        .expect("second request after the close");
    client.health().await.expect("third request");
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
    assert_eq!(api.seen().len(), 3);
}

#[tokio::test]
async fn idle_connections_expire_from_the_pool() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
    let client = builder(&server.url())
        .pool_idle_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    client.health().await.unwrap();
    // The pool timer closes the idle connection: the server sees it end.
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.closed.load(Ordering::SeqCst) < 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the pool drops the idle connection");
    client.health().await.unwrap();
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------
// Bodies.

#[tokio::test]
async fn chunked_bodies_without_content_length_are_read_whole() {
    let api = Arc::new(Api {
        chunked: true,
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
    let answer = client(&server.url())
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered");
    assert_answer(&answer);
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let api = Arc::new(Api {
        gzip: true,
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
    let answer = client(&server.url())
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered");
    assert_answer(&answer);

    let gzip_chunked = Arc::new(Api {
        gzip: true,
        chunked: true,
        ..Api::default()
    });
    let server = api_server(gzip_chunked).await;
    let answer = client(&server.url())
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered");
    assert_answer(&answer);
}

#[tokio::test]
async fn gzip_responses_come_back_decoded_without_the_encoding_headers() {
    let plain = format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{DATAFRAME}}}}}"#);
    let packed = gzip(plain.as_bytes());
    let server = custom_server(move |_, _| {
        Response::builder()
            .header("content-encoding", "gzip")
            .header("content-length", packed.len())
            .header("x-kept", "yes")
            .body(Body::full(packed.clone()))
            .unwrap()
    })
    .await;
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
    let server = custom_server(|_, _| {
        Response::builder()
            .header("content-encoding", "gzip")
            .body(Body::full(&b"\x1f\x8b\x08\x00garbage"[..]))
            .unwrap()
    })
    .await;
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
async fn big_body_server(total: u64, announce: bool, produced: Arc<AtomicU64>) -> Server {
    custom_server(move |_, _| {
        let mut r = Response::builder();
        if announce {
            r = r.header("content-length", total);
        }
        r.body(Body::Generated {
            remaining: total,
            produced: Some(produced.clone()),
        })
        .unwrap()
    })
    .await
}

#[tokio::test]
async fn a_body_over_the_limit_stops_early_with_body_too_large() {
    const MIB: u64 = 1024 * 1024;
    let produced = Arc::new(AtomicU64::new(0));
    let server = big_body_server(64 * MIB, false, produced.clone()).await;
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
    tokio::time::timeout(Duration::from_secs(5), async {
        while server.closed.load(Ordering::SeqCst) < 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the connection is dropped");
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent >= MIB, "the server produced {sent} bytes");
    assert!(sent < 32 * MIB, "the server produced {sent} bytes");
}

#[tokio::test]
async fn an_announced_content_length_over_the_limit_is_refused_before_reading() {
    let produced = Arc::new(AtomicU64::new(0));
    let server = big_body_server(64 * 1024 * 1024, true, produced).await;
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
    let plain = vec![b' '; 8 * 1024 * 1024];
    let packed = gzip(&plain);
    assert!(packed.len() < 64 * 1024);
    let server = custom_server(move |_, _| {
        Response::builder()
            .header("content-encoding", "gzip")
            .body(Body::full(packed.clone()))
            .unwrap()
    })
    .await;
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

#[tokio::test]
async fn a_body_stalling_midway_times_out() {
    let requests = Arc::new(AtomicU32::new(0));
    let counted = requests.clone();
    let server = custom_server(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        Response::builder()
            .header("content-length", "1000")
            .body(Body::Stall(Some(bytes::Bytes::from_static(b"{\"state\":"))))
            .unwrap()
    })
    .await;
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
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stalled_idempotent_request_is_retried_then_reported() {
    let requests = Arc::new(AtomicU32::new(0));
    let counted = requests.clone();
    let server = custom_server(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        Response::builder()
            .body(Body::Stall(Some(bytes::Bytes::from_static(b"{"))))
            .unwrap()
    })
    .await;
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
    assert_eq!(requests.load(Ordering::SeqCst), 3);
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
    assert!(e.to_string().contains("within the connect timeout"), "{e}");
    task.abort();
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = builder(&format!("http://{addr}"))
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
    let api = Arc::new(Api {
        rate_limited_asks: AtomicU32::new(1),
        retry_after: "1",
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
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
    assert_answer(&answer);
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
    let api = Arc::new(Api {
        token_lifetime: Duration::from_secs(2),
        complete_after: Duration::from_millis(2300),
        in_progress_polls: 0,
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
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
    assert_answer(&answer);
    assert_eq!(api.token_requests.load(Ordering::SeqCst), 2);
    assert_eq!(client.token_exchanges(), 2);
    let tokens: std::collections::BTreeSet<String> = api
        .seen()
        .into_iter()
        .filter_map(|s| s.authorization)
        .collect();
    assert_eq!(
        tokens.into_iter().collect::<Vec<_>>(),
        ["Bearer token-1", "Bearer token-2"]
    );
}

#[tokio::test]
async fn fifty_concurrent_questions_on_a_fresh_client_make_one_token_request() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
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
        assert_answer(&answer);
    }
    assert_eq!(api.token_requests.load(Ordering::SeqCst), 1);
    assert_eq!(client.token_exchanges(), 1);
    assert_eq!(api.asks.load(Ordering::SeqCst), 50);
}

// ---------------------------------------------------------------------------
// Redirects.

#[tokio::test]
async fn a_redirect_to_another_port_is_not_followed_and_gets_no_token() {
    let elsewhere_requests = Arc::new(AtomicU32::new(0));
    let counted = elsewhere_requests.clone();
    let elsewhere = custom_server(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
        json(200, r#"{"state":"COMPLETED","results":{}}"#)
    })
    .await;
    let api = Arc::new(Api {
        redirect_results_to: Some(format!(
            "{}/v1/dw/13/questions/{QUESTION_ID}/results",
            elsewhere.url()
        )),
        ..Api::default()
    });
    let server = api_server(api.clone()).await;
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
    assert_eq!(elsewhere_requests.load(Ordering::SeqCst), 0);
    assert_eq!(elsewhere.connections.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------
// Proxies.

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_proxy_credentials() {
    let pki = pki();
    let api = Arc::new(Api::default());
    let handler = {
        let api = api.clone();
        Arc::new(move |p: &http::request::Parts, b: &[u8]| api.answer(p, b))
    };
    let server = serve(handler, Some(pki.acceptor)).await;
    let proxy = proxy().await;
    let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr);
    let client = builder(&server.https_url())
        .add_root_certificate_pem(pki.ca_pem.as_bytes())
        .proxy(ProxySetting::Url(proxy_url))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through the tunnel");
    assert_answer(&answer);
    assert_eq!(
        *proxy.tunnels.lock().unwrap(),
        [format!("127.0.0.1:{}", server.addr.port())]
    );
    // base64("user:pa ss")
    assert!(
        proxy
            .auth
            .lock()
            .unwrap()
            .contains("Basic dXNlcjpwYSBzcw==")
    );
    assert!(api.seen().iter().all(|s| s.version == Version::HTTP_2));
}

#[tokio::test]
async fn plain_http_goes_through_a_forwarding_proxy() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
    let proxy = proxy().await;
    let client = builder(&server.url())
        .proxy(ProxySetting::Url(format!(
            "http://user:pass@{}",
            proxy.addr
        )))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through the proxy");
    // base64("user:pass"), on the forwarded request itself.
    assert!(proxy.auth.lock().unwrap().contains("Basic dXNlcjpwYXNz"));
    assert_answer(&answer);
    let forwarded = proxy.forwarded.lock().unwrap().clone();
    assert_eq!(
        forwarded.first().map(String::as_str),
        Some(format!("{}/v1/auth/token", server.url()).as_str()),
        "absolute-form targets: {forwarded:?}"
    );
    assert!(proxy.tunnels.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_proxy_refusing_the_tunnel_is_a_connect_error() {
    let proxy = proxy().await;
    // The test proxy tunnels to loopback only: this CONNECT is refused
    // before anything leaves the machine.
    let client = builder("https://api.eu1.connecty-ai.com")
        .proxy(ProxySetting::Url(proxy.url()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client.health().await.unwrap_err();
    assert_eq!(transport_kind(&e), Some(TransportErrorKind::Connect), "{e}");
    assert_eq!(
        *proxy.tunnels.lock().unwrap(),
        ["api.eu1.connecty-ai.com:443"]
    );
}

#[tokio::test]
async fn disabled_proxy_connects_directly() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
    let proxy = proxy().await;
    // `builder` disables the proxy; the proxy must never be contacted.
    client(&server.url()).health().await.unwrap();
    assert!(!proxy.used.load(Ordering::SeqCst));
}

#[tokio::test]
async fn socks5h_proxies_work_too() {
    let api = Arc::new(Api::default());
    let server = api_server(api.clone()).await;
    let socks = socks5().await;
    let client = builder(&server.url())
        .proxy(ProxySetting::Url(format!("socks5h://{}", socks.0)))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "top countries", &WaitOptions::new())
        .await
        .expect("answered through SOCKS");
    assert_answer(&answer);
    assert_eq!(
        *socks.1.lock().unwrap(),
        [format!("127.0.0.1:{}", server.addr.port())]
    );
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT only, loopback
/// targets only): its address and the targets it was asked for.
async fn socks5() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let targets = Arc::new(Mutex::new(Vec::new()));
    let seen = targets.clone();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 2];
                c.read_exact(&mut head).await.ok()?;
                let mut methods = vec![0u8; head[1] as usize];
                c.read_exact(&mut methods).await.ok()?;
                c.write_all(&[5, 0]).await.ok()?;
                let mut req = [0u8; 4];
                c.read_exact(&mut req).await.ok()?;
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        c.read_exact(&mut ip).await.ok()?;
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let len = c.read_u8().await.ok()?;
                        let mut name = vec![0u8; len as usize];
                        c.read_exact(&mut name).await.ok()?;
                        String::from_utf8(name).ok()?
                    }
                    _ => return None,
                };
                let port = c.read_u16().await.ok()?;
                seen.lock().unwrap().push(format!("{host}:{port}"));
                if host != "127.0.0.1" && host != "localhost" {
                    c.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]).await.ok()?;
                    return None;
                }
                let mut up = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()?;
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await.ok()?;
                tokio::io::copy_bidirectional(&mut c, &mut up).await.ok()?;
                Some(())
            });
        }
    });
    (addr, targets)
}
