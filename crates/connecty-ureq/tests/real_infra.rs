//! The blocking client through real third-party servers: Debian's nginx
//! in front of the emulator (TLS with a test CA, gzip done by nginx; ureq
//! speaks HTTP/1.1 only) and Debian's tinyproxy (`CONNECT` for https,
//! `NO_PROXY` around it, and plain http refused with the reason).
//!
//! The servers run on loopback for each test and stop with it
//! (`connecty_testkit::real`). A missing nginx or tinyproxy fails the test
//! with the command that installs it: these tests never skip.

use connecty_testkit::real::Stack;
use connecty_testkit::values::REFERENCE_QUESTION;
use connecty_ureq::connecty_proto::{ProxySetting, Settings};
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

    // ureq offers no ALPN, so nginx stays on HTTP/1.1.
    s.assert_nginx_served(3, "HTTP/1.1", "");
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

fn health(settings: Settings) -> Result<(), Error> {
    ClientBuilder::from_settings(settings).build()?.health()
}

#[test]
fn proxy_credentials_are_sent_and_a_refusal_names_the_proxy() {
    stack().assert_proxy_credentials(health);
}

#[test]
fn no_proxy_forms_go_around_tinyproxy() {
    stack().assert_no_proxy_forms(health);
}
