//! The rustls configuration: which roots are trusted.
//!
//! Every path below verifies certificates; there is no way to turn
//! verification off.

use std::sync::Arc;

use connecty_proto::InvalidInput;
use connecty_proto::net::{CertificateProblem, parse_root_certificates};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The extra roots: PEM bundles, accepted by the core's rule and checked by
/// rustls now, so a broken certificate fails `build()`, not the first
/// request.
pub(crate) fn parse_roots(pems: &[Vec<u8>]) -> Result<Vec<CertificateDer<'static>>, InvalidInput> {
    let ders = parse_root_certificates(pems, |der| {
        let der = CertificateDer::from(der.to_vec());
        let added = RootCertStore::empty().add(der);
        added.map_err(|e| e.to_string())
    })?;
    Ok(ders.into_iter().map(CertificateDer::from).collect())
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

/// The client configuration: ring, TLS 1.2 and 1.3, the trusted roots.
/// ALPN is set by the HTTPS connector.
pub(crate) fn client_config(extra_roots: &[Vec<u8>]) -> Result<ClientConfig, InvalidInput> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = parse_roots(extra_roots)?;
    let verifier = verifier(extra, &provider);
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| InvalidInput::new("tls", format!("could not be configured: {e}")))?
        // A custom verifier is rustls' "dangerous" API by name only: every
        // verifier chosen here checks the chain, the name and the dates.
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

type Verifier = Arc<dyn ServerCertVerifier>;

fn verifier(extra: Vec<CertificateDer<'static>>, provider: &Arc<CryptoProvider>) -> Verifier {
    let mut chosen: Vec<Verifier> = Vec::new();
    #[cfg(feature = "platform-verifier")]
    if let Some(v) = platform(extra.clone(), provider) {
        chosen.push(v);
    }
    #[cfg(feature = "webpki-roots")]
    {
        let mut store = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        store.add_parsable_certificates(extra.iter().cloned());
        if let Some(v) = webpki(store, provider) {
            chosen.push(v);
        }
    }
    if chosen.is_empty() && !extra.is_empty() {
        let mut store = RootCertStore::empty();
        store.add_parsable_certificates(extra);
        if let Some(v) = webpki(store, provider) {
            chosen.push(v);
        }
    }
    match chosen.len() {
        0 => {
            tracing::warn!(
                "no trusted root certificates: https requests will fail; install the system's CA certificates, enable the webpki-roots feature or add a root certificate"
            );
            Arc::new(NoRoots {
                provider: Arc::clone(provider),
            })
        }
        1 => chosen.remove(0),
        _ => Arc::new(AnyOf(chosen)),
    }
}

#[cfg(feature = "platform-verifier")]
fn platform(
    extra: Vec<CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
) -> Option<Verifier> {
    #[cfg(not(target_os = "android"))]
    let v = rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(provider));
    #[cfg(target_os = "android")]
    let v = {
        // Android's platform verifier takes no extra roots; they are
        // trusted through the plain WebPKI verifier instead.
        drop(extra);
        rustls_platform_verifier::Verifier::new(Arc::clone(provider))
    };
    match v {
        Ok(v) => Some(Arc::new(v)),
        Err(e) => {
            tracing::warn!(error = %e, "the platform certificate verifier is unavailable");
            None
        }
    }
}

fn webpki(store: RootCertStore, provider: &Arc<CryptoProvider>) -> Option<Verifier> {
    if store.is_empty() {
        return None;
    }
    match rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(store),
        Arc::clone(provider),
    )
    .build()
    {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(error = %e, "the WebPKI certificate verifier is unavailable");
            None
        }
    }
}

/// Trusts a certificate when any of its verifiers does (the platform store
/// and the webpki-roots bundle, when both features are on).
#[derive(Debug)]
struct AnyOf(Vec<Verifier>);

impl ServerCertVerifier for AnyOf {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut first_error = None;
        for v in &self.0 {
            match v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error
            .unwrap_or_else(|| rustls::Error::General("no certificate verifier".to_owned())))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match self.0.first() {
            Some(v) => v.verify_tls12_signature(message, cert, dss),
            None => Err(rustls::Error::General("no certificate verifier".to_owned())),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match self.0.first() {
            Some(v) => v.verify_tls13_signature(message, cert, dss),
            None => Err(rustls::Error::General("no certificate verifier".to_owned())),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0
            .first()
            .map(|v| v.supported_verify_schemes())
            .unwrap_or_default()
    }
}

/// Refuses every server: there is no root to trust.
#[derive(Debug)]
struct NoRoots {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NoRoots {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::General(
            "no trusted root certificates: install the system's CA certificates, enable the webpki-roots feature or add a root certificate".to_owned(),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_are_checked_by_the_core_rule() {
        let e = parse_roots(&[b"not a certificate".to_vec()]).unwrap_err();
        assert_eq!(e.field, connecty_proto::net::ROOT_CERTIFICATE_FIELD);
        assert!(e.message.contains("holds no certificate"), "{}", e.message);
        // A DER SEQUENCE that is no certificate: refused by rustls' check.
        let pem = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        let e = parse_roots(&[pem.to_vec()]).unwrap_err();
        assert!(
            e.message.contains("cannot be used as a root"),
            "{}",
            e.message
        );
    }

    #[test]
    fn no_roots_refuses_every_server() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let v = NoRoots { provider };
        let name = ServerName::try_from("example.com").unwrap();
        let r = v.verify_server_cert(
            &CertificateDer::from(vec![0u8; 4]),
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(r.is_err());
    }
}
