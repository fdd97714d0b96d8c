//! The async client through real third-party servers: Debian's nginx in
//! front of the emulator (TLS with a test CA, HTTP/2 by ALPN, gzip done by
//! nginx) and Debian's tinyproxy (`CONNECT` for https, absolute-form for
//! plain http, `NO_PROXY` around it).
//!
//! The servers run on loopback for each test and stop with it
//! (`connecty_testkit::real`). A missing nginx or tinyproxy fails the test
//! with the command that installs it: these tests never skip.

use std::time::Duration;

use connecty_hyper::connecty_proto::{AsyncTransport, ProxySetting, TransportErrorKind};
use connecty_hyper::{ClientBuilder, Error, IncludeSet, WaitOptions};
use connecty_testkit::real::{REFERENCE_QUESTION, Stack};
use http::Version;

fn stack() -> Stack {
    Stack::start().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_terminates_tls_negotiates_h2_and_gzips() {
    let s = stack();
    let client = ClientBuilder::from_settings(s.https_settings(ProxySetting::Disabled))
        .build()
        .unwrap();

    // HTTP/2, chosen by ALPN in the TLS handshake.
    let request = http::Request::get(format!("{}/v1/health", s.nginx.url()))
        .header("accept-encoding", "gzip")
        .body(Vec::new())
        .unwrap();
    let response = client
        .transport()
        .send(request, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.body(), br#"{"status":"ok"}"#);

    let answer = client
        .ask_and_wait(
            13,
            REFERENCE_QUESTION,
            &WaitOptions::new().include(IncludeSet::ALL),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", s.nginx.error_log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
    assert!(answer.results.dataframe_stats.is_some());

    let log = s.nginx.access_log_with(4);
    assert!(log.len() >= 4, "{log:?}");
    for line in &log {
        assert_eq!(
            (line.protocol.as_str(), line.alpn.as_str()),
            ("HTTP/2.0", "h2"),
            "{line:?}"
        );
        assert_eq!(line.status, 200, "{line:?}");
    }
    // nginx compressed the answers (the emulator was asked for none).
    let results: Vec<_> = log.iter().filter(|l| l.uri.contains("/results")).collect();
    assert!(
        !results.is_empty() && results.iter().all(|l| l.gzip_ratio.is_some()),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_tinyproxy_in_a_connect_tunnel() {
    let s = stack();
    let client = ClientBuilder::from_settings(s.https_settings(s.proxy_vars(None)))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, REFERENCE_QUESTION, &WaitOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", s.tinyproxy.log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
    assert_eq!(
        s.tinyproxy.requests_with(1),
        [s.tunnel_line()],
        "one tunnel, reused"
    );
    // TLS (and h2) end to end through the tunnel.
    assert!(
        s.nginx
            .access_log()
            .iter()
            .all(|l| l.protocol == "HTTP/2.0")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_goes_through_tinyproxy_in_absolute_form() {
    let s = stack();
    let client = ClientBuilder::from_settings(s.http_settings(s.proxy_vars(None)))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, REFERENCE_QUESTION, &WaitOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", s.tinyproxy.log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
    let base = s.emulator.base_url();
    let seen = s.tinyproxy.requests_with(3);
    assert!(seen.len() >= 3, "{seen:?}");
    assert_eq!(seen[0], format!("POST {base}/v1/auth/token HTTP/1.1"));
    assert_eq!(seen[1], format!("POST {base}/v1/dw/13/questions HTTP/1.1"));
    assert!(
        seen[2].starts_with(&format!("GET {base}/v1/dw/13/questions/")),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_credentials_are_sent_and_a_refusal_names_the_proxy() {
    let s = stack();
    let guarded =
        connecty_testkit::real::Tinyproxy::with_basic_auth(&[s.nginx.port()], "alice", "s3cret")
            .unwrap_or_else(|e| panic!("{e}"));
    let with = |user: &str| {
        let url = format!("http://{user}@127.0.0.1:{}", guarded.port());
        ClientBuilder::from_settings(s.https_settings(ProxySetting::Url(url)))
            .build()
            .unwrap()
    };
    with("alice:s3cret")
        .health()
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", guarded.log()));
    let e = with("alice:wrong").health().await.unwrap_err();
    match &e {
        Error::Transport(t) => assert_eq!(t.kind, TransportErrorKind::Connect, "{e}"),
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "the proxy 127.0.0.1:{} (proxy) refused the tunnel",
            guarded.port()
        )),
        "{text}"
    );
    assert!(!text.contains("wrong"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_forms_go_around_tinyproxy() {
    let s = stack();
    for no_proxy in s.bypassing_no_proxy() {
        let client = ClientBuilder::from_settings(s.https_settings(s.proxy_vars(Some(&no_proxy))))
            .build()
            .unwrap();
        client
            .health()
            .await
            .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
        assert!(
            s.tinyproxy.requests().is_empty(),
            "NO_PROXY={no_proxy}: {:?}",
            s.tinyproxy.requests()
        );
    }
    let forms = s.proxied_no_proxy();
    for no_proxy in &forms {
        let client = ClientBuilder::from_settings(s.https_settings(s.proxy_vars(Some(no_proxy))))
            .build()
            .unwrap();
        client
            .health()
            .await
            .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
    }
    let tunnels = s.tinyproxy.requests_with(forms.len());
    assert_eq!(tunnels, vec![s.tunnel_line(); forms.len()]);
}
