//! The async client through real third-party servers: Debian's nginx in
//! front of the emulator (TLS with a test CA, HTTP/2 by ALPN, gzip done by
//! nginx) and Debian's tinyproxy (`CONNECT` for https, absolute-form for
//! plain http, `NO_PROXY` around it).
//!
//! The servers run on loopback for each test and stop with it
//! (`connecty_testkit::real`). A missing nginx or tinyproxy fails the test
//! with the command that installs it: these tests never skip.

use std::time::Duration;

use connecty_hyper::connecty_proto::{AsyncTransport, ProxySetting, Settings};
use connecty_hyper::{ClientBuilder, Error, IncludeSet, WaitOptions};
use connecty_testkit::real::Stack;
use connecty_testkit::values::REFERENCE_QUESTION;
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

    s.assert_nginx_served(4, "HTTP/2.0", "h2");
}

/// Asks the reference question with `settings` and checks the answer,
/// showing tinyproxy's log on a failure.
async fn ask_through_tinyproxy(s: &Stack, settings: Settings) {
    let client = ClientBuilder::from_settings(settings).build().unwrap();
    let answer = client
        .ask_and_wait(13, REFERENCE_QUESTION, &WaitOptions::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", s.tinyproxy.log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_tinyproxy_in_a_connect_tunnel() {
    let s = stack();
    ask_through_tinyproxy(&s, s.https_settings(s.proxy_vars(None))).await;
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
    ask_through_tinyproxy(&s, s.http_settings(s.proxy_vars(None))).await;
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

/// `health` on a client built from `settings`, on a runtime of its own.
fn health(settings: Settings) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        ClientBuilder::from_settings(settings)
            .build()?
            .health()
            .await
    })
}

#[test]
fn proxy_credentials_are_sent_and_a_refusal_names_the_proxy() {
    stack().assert_proxy_credentials(health);
}

#[test]
fn no_proxy_forms_go_around_tinyproxy() {
    stack().assert_no_proxy_forms(health);
}
