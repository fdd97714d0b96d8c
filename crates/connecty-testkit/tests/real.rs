//! The real-server helpers: nginx and tinyproxy start on loopback with
//! generated configurations, do what they are configured for, and stop.
//! These tests fail (never skip) when the programs are missing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connecty_emulator::{Emulator, Schedule};
use connecty_testkit::net::TestCa;
use connecty_testkit::real::{Nginx, RealError, Tinyproxy, find_program};

fn must<T>(r: Result<T, RealError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn http_get(stream: &mut impl ReadWrite, request: &str) -> String {
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

#[test]
fn a_missing_program_says_to_run_ci() {
    let e = find_program("connecty-no-such-program", "connecty-no-such-package").unwrap_err();
    assert_eq!(
        e.to_string(),
        "connecty-no-such-program is not installed: run .ci/run, which installs it (apt-get install -y connecty-no-such-package); these tests never skip"
    );
}

#[test]
fn nginx_terminates_tls_offers_h2_and_passes_requests_on() {
    let started = Instant::now();
    let emulator = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let ca = TestCa::new();
    let nginx = must(Nginx::tls_in_front_of(emulator.addr(), &ca));

    // A TLS client trusting the test CA, offering h2 and http/1.1.
    let mut roots = rustls::RootCertStore::empty();
    let ca_der = rustls::pki_types::CertificateDer::from(rustls_pem(ca.ca_pem()));
    roots.add(ca_der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let name = "127.0.0.1".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(
        conn,
        TcpStream::connect(("127.0.0.1", nginx.port())).unwrap(),
    );
    tls.flush().unwrap();
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"h2"[..]));

    // HTTP/1.1 (ALPN without h2): the emulator answers through nginx, and
    // nginx gzips it.
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let conn =
        rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(
        conn,
        TcpStream::connect(("127.0.0.1", nginx.port())).unwrap(),
    );
    let answer = http_get(
        &mut tls,
        "GET /v1/health HTTP/1.1\r\nhost: localhost\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
    );
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{answer}\n{}",
        nginx.error_log()
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-encoding: gzip"),
        "{answer}"
    );
    let log = nginx.access_log_with(1);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].uri.as_str(), log[0].status), ("/v1/health", 200));
    assert!(log[0].gzip_ratio.is_some(), "{log:?}");
    assert_eq!(emulator.requests(), 1);
    eprintln!("nginx test took {:?}", started.elapsed());
}

/// The DER of the first certificate of a PEM text.
fn rustls_pem(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[test]
fn tinyproxy_forwards_absolute_form_and_refuses_connect_to_other_ports() {
    let emulator = Emulator::builder().start().unwrap();
    let proxy = must(Tinyproxy::start(&[]));
    let port = emulator.addr().port();

    let mut s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let answer = http_get(
        &mut s,
        &format!(
            "GET http://127.0.0.1:{port}/v1/health HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n"
        ),
    );
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{answer}\n{}",
        proxy.log()
    );
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");

    let mut s = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let answer = http_get(
        &mut s,
        &format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n\r\n"),
    );
    assert!(
        answer.starts_with("HTTP/1.0 403") || answer.starts_with("HTTP/1.1 403"),
        "{answer}"
    );
    assert_eq!(
        proxy.requests_with(2),
        [
            format!("GET http://127.0.0.1:{port}/v1/health HTTP/1.1"),
            format!("CONNECT 127.0.0.1:{port} HTTP/1.1"),
        ]
    );
}
