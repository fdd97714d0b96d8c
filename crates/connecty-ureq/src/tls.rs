//! Which certificates are trusted.
//!
//! Without extra roots the transport uses ureq's
//! `RootCerts::PlatformVerifier`: rustls-platform-verifier, which asks the
//! operating system (Security.framework on macOS, the CryptoAPI on Windows,
//! the system store through rustls-native-certs on Linux).
//!
//! ureq 3 cannot add roots to the platform verifier: its `RootCerts` is
//! either the platform verifier, Mozilla's roots, or a specific list. So
//! with extra roots the transport trusts a specific list: the platform's
//! roots (rustls-native-certs: `SSL_CERT_FILE`/`SSL_CERT_DIR` or the OS
//! store) plus the extra ones, verified by webpki. On Linux that is exactly
//! what the platform verifier does; on macOS and Windows it gives up the
//! OS's own policy checks (revocation, for one) for the exported roots.
//! Mozilla's bundle was not chosen: a machine whose administrator added a
//! corporate CA to the store expects it to keep working when a private
//! gateway's root is added.
//!
//! Certificate verification cannot be turned off.

use connecty_proto::InvalidInput;
use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

const FIELD: &str = "root_certificate";

/// The TLS configuration for `extra_roots` (PEM blobs).
pub(crate) fn tls_config(extra_roots: &[Vec<u8>]) -> Result<TlsConfig, InvalidInput> {
    let builder = TlsConfig::builder().provider(TlsProvider::Rustls);
    if extra_roots.is_empty() {
        return Ok(builder.root_certs(RootCerts::PlatformVerifier).build());
    }
    let extra = parse_roots(extra_roots)?;
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "could not load some platform root certificates");
    }
    let mut roots: Vec<Certificate<'static>> = native
        .certs
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    tracing::debug!(
        platform = roots.len(),
        extra = extra.len(),
        "trusting platform roots plus extra roots"
    );
    roots.extend(extra);
    Ok(builder
        .root_certs(RootCerts::new_with_certs(&roots))
        .build())
}

/// Parses and checks PEM blobs of CA certificates: each must hold at least
/// one certificate, nothing but certificates, and every certificate must be
/// usable as a trust anchor.
pub(crate) fn parse_roots(pems: &[Vec<u8>]) -> Result<Vec<Certificate<'static>>, InvalidInput> {
    let mut out = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let n = i + 1;
        let mut found = 0;
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => {
                    let mut store = rustls::RootCertStore::empty();
                    store
                        .add(CertificateDer::from(cert.der().to_vec()))
                        .map_err(|e| {
                            InvalidInput::new(
                                FIELD,
                                format!(
                                    "PEM number {n}, certificate {}: not a usable CA certificate: {e}",
                                    found + 1
                                ),
                            )
                        })?;
                    found += 1;
                    out.push(cert);
                }
                Ok(PemItem::PrivateKey(_)) => {
                    return Err(InvalidInput::new(
                        FIELD,
                        format!(
                            "PEM number {n} holds a private key: pass only CA certificates, and keep the key secret"
                        ),
                    ));
                }
                Ok(_) => {
                    return Err(InvalidInput::new(
                        FIELD,
                        format!("PEM number {n} holds something other than certificates"),
                    ));
                }
                Err(_) => {
                    return Err(InvalidInput::new(
                        FIELD,
                        format!("PEM number {n} is not valid PEM"),
                    ));
                }
            }
        }
        if found == 0 {
            return Err(InvalidInput::new(
                FIELD,
                format!(
                    "PEM number {n} holds no certificate (expected -----BEGIN CERTIFICATE-----)"
                ),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_certificate() {
        let e = parse_roots(&[b"hello".to_vec()]).unwrap_err();
        assert_eq!(e.field, "root_certificate");
        assert!(e.message.contains("no certificate"), "{e}");

        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec();
        let e = parse_roots(&[garbage]).unwrap_err();
        assert!(e.message.contains("not a usable CA certificate"), "{e}");

        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec();
        let e = parse_roots(&[key]).unwrap_err();
        assert!(e.message.contains("private key"), "{e}");
        assert!(!e.message.contains("AAAA"));
    }

    #[test]
    fn no_extra_roots_uses_the_platform_verifier() {
        let c = tls_config(&[]).unwrap();
        assert!(matches!(c.root_certs(), RootCerts::PlatformVerifier));
        assert!(!c.disable_verification());
    }
}
