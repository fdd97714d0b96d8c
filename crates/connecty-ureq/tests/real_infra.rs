//! The blocking client through real third-party servers: Debian's nginx
//! in front of the emulator (TLS with a test CA, gzip done by nginx; ureq
//! speaks HTTP/1.1 only) and Debian's tinyproxy (`CONNECT` for https,
//! `NO_PROXY` around it, and plain http refused with the reason).
//!
//! The servers run on loopback for each test and stop with it
//! (`connecty_testkit::real`). A missing nginx or tinyproxy fails the test
//! with the command that installs it: these tests never skip.

use connecty_testkit::real::{REFERENCE_QUESTION, Stack, Tinyproxy};
use connecty_ureq::connecty_proto::{ProxySetting, TransportErrorKind};
use connecty_ureq::{ClientBuilder, Error, IncludeSet, WaitOptions};

fn stack() -> Stack {
    Stack::start().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn nginx_terminates_tls_and_gzips_over_http_1_1() {
    let s = stack();
    let client = ClientBuilder::from_settings(s.https_settings(ProxySetting::Disabled))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(
            13,
            REFERENCE_QUESTION,
            &WaitOptions::new().include(IncludeSet::ALL),
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", s.nginx.error_log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
    assert!(answer.results.dataframe_stats.is_some());

    let log = s.nginx.access_log_with(3);
    assert!(log.len() >= 3, "{log:?}");
    for line in &log {
        // ureq offers no ALPN, so nginx stays on HTTP/1.1.
        assert_eq!(
            (line.protocol.as_str(), line.alpn.as_str()),
            ("HTTP/1.1", ""),
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

#[test]
fn https_goes_through_tinyproxy_in_a_connect_tunnel() {
    let s = stack();
    let client = ClientBuilder::from_settings(s.https_settings(s.proxy_vars(None)))
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, REFERENCE_QUESTION, &WaitOptions::new())
        .unwrap_or_else(|e| panic!("{e}\n{}", s.tinyproxy.log()));
    assert_eq!(answer.results.dataframe.unwrap().len(), 5);
    assert_eq!(
        s.tinyproxy.requests_with(1),
        [s.tunnel_line()],
        "one tunnel, reused"
    );
}

#[test]
fn plain_http_through_tinyproxy_is_refused_with_the_reason() {
    // hyper sends these requests in absolute-form (its real_infra test);
    // ureq 3 cannot, and tinyproxy refuses a CONNECT tunnel to a port
    // other than 443 with 403. The client says so when it is built.
    let s = stack();
    let e = ClientBuilder::from_settings(s.http_settings(s.proxy_vars(None)))
        .build()
        .unwrap_err();
    match &e {
        Error::InvalidInput(i) => {
            assert_eq!(i.field, "HTTP_PROXY");
            assert!(i.message.contains("absolute-form"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.tinyproxy.requests().is_empty());
}

#[test]
fn proxy_credentials_are_sent_and_a_refusal_names_the_proxy() {
    let s = stack();
    let guarded = Tinyproxy::with_basic_auth(&[s.nginx.port()], "alice", "s3cret")
        .unwrap_or_else(|e| panic!("{e}"));
    let with = |user: &str| {
        let url = format!("http://{user}@127.0.0.1:{}", guarded.port());
        ClientBuilder::from_settings(s.https_settings(ProxySetting::Url(url)))
            .build()
            .unwrap()
    };
    with("alice:s3cret")
        .health()
        .unwrap_or_else(|e| panic!("{e}\n{}", guarded.log()));
    let e = with("alice:wrong").health().unwrap_err();
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

#[test]
fn no_proxy_forms_go_around_tinyproxy() {
    let s = stack();
    for no_proxy in s.bypassing_no_proxy() {
        let client = ClientBuilder::from_settings(s.https_settings(s.proxy_vars(Some(&no_proxy))))
            .build()
            .unwrap();
        client
            .health()
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
            .unwrap_or_else(|e| panic!("NO_PROXY={no_proxy}: {e}"));
    }
    let tunnels = s.tinyproxy.requests_with(forms.len());
    assert_eq!(tunnels, vec![s.tunnel_line(); forms.len()]);
}
