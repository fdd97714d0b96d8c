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
//! Which PEM bundles are accepted is the core's rule
//! ([`connecty_proto::net::parse_root_certificates`]); this module only
//! hands the certificates to ureq. Certificate verification cannot be
//! turned off.

use connecty_proto::InvalidInput;
use connecty_proto::net::{CertificateProblem, parse_root_certificates};
use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

/// The TLS configuration for `extra_roots` (PEM bundles).
pub(crate) fn tls_config(extra_roots: &[Vec<u8>]) -> Result<TlsConfig, InvalidInput> {
    let builder = TlsConfig::builder().provider(TlsProvider::Rustls);
    if extra_roots.is_empty() {
        return Ok(builder.root_certs(RootCerts::PlatformVerifier).build());
    }
    let extra = parse_root_certificates(extra_roots, |der| {
        let der = CertificateDer::from(der.to_vec());
        let added = rustls::RootCertStore::empty().add(der);
        added.map_err(|e| e.to_string())
    })?;
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
    roots.extend(
        extra
            .iter()
            .map(|der| Certificate::from_der(der).to_owned()),
    );
    Ok(builder
        .root_certs(RootCerts::new_with_certs(&roots))
        .build())
}

/// rustls' words for a certificate problem, in the core's vocabulary.
pub(crate) fn certificate_problem(e: &rustls::Error) -> CertificateProblem {
    use CertificateProblem as P;
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = e else {
        return P::Other;
    };
    match c {
        C::UnknownIssuer => P::UnknownIssuer,
        C::NotValidForName | C::NotValidForNameContext { .. } => P::NotValidForName,
        C::Expired | C::ExpiredContext { .. } => P::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => P::NotYetValid,
        C::Revoked => P::Revoked,
        _ => P::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_are_checked_by_the_core_rule() {
        let e = tls_config(&[b"hello".to_vec()]).unwrap_err();
        assert_eq!(e.field, connecty_proto::net::ROOT_CERTIFICATE_FIELD);
        assert!(e.message.contains("holds no certificate"), "{e}");
        // A DER SEQUENCE that is no certificate: refused by rustls' check.
        let garbage = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        let e = tls_config(&[garbage.to_vec()]).unwrap_err();
        assert!(e.message.contains("cannot be used as a root"), "{e}");
    }

    #[test]
    fn no_extra_roots_uses_the_platform_verifier() {
        let c = tls_config(&[]).unwrap();
        assert!(matches!(c.root_certs(), RootCerts::PlatformVerifier));
        assert!(!c.disable_verification());
    }

    #[test]
    fn certificate_problems() {
        use rustls::CertificateError as C;
        let p = |c| certificate_problem(&rustls::Error::InvalidCertificate(c));
        assert_eq!(p(C::UnknownIssuer), CertificateProblem::UnknownIssuer);
        assert_eq!(p(C::NotValidForName), CertificateProblem::NotValidForName);
        assert_eq!(p(C::Expired), CertificateProblem::Expired);
        assert_eq!(p(C::BadEncoding), CertificateProblem::Other);
        assert_eq!(
            certificate_problem(&rustls::Error::DecryptError),
            CertificateProblem::Other
        );
    }
}
