//! [`TestCa`]: a certificate authority made at test time with rcgen.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The names every server certificate of [`TestCa::loopback`] is valid
/// for.
pub const LOOPBACK_NAMES: &[&str] = &["127.0.0.1", "localhost", "connecty.test"];

/// A test certificate authority: a self-signed CA (ECDSA P-256, made fresh
/// in memory) that issues server certificates. Nothing is written to disk
/// unless asked.
///
/// ```
/// use connecty_testkit::net::TestCa;
///
/// let ca = TestCa::new();
/// assert!(ca.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// let leaf = ca.issue(&["127.0.0.1", "localhost"]);
/// assert!(leaf.key_pem.contains("PRIVATE KEY"));
/// let _config = ca.server_config(&["127.0.0.1"]);
/// ```
pub struct TestCa {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A server certificate and its key, issued by a [`TestCa`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key (PKCS #8), PEM.
    pub key_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key (PKCS #8), DER.
    pub key_der: Vec<u8>,
}

impl std::fmt::Debug for ServerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCert").finish_non_exhaustive()
    }
}

impl ServerCert {
    /// Writes `cert.pem` and `key.pem` into `dir` (for a server such as
    /// nginx) and returns their paths.
    pub fn write_to(
        &self,
        dir: &Path,
    ) -> std::io::Result<(std::path::PathBuf, std::path::PathBuf)> {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    /// A new CA.
    ///
    /// # Panics
    ///
    /// If the key cannot be generated (a broken random source).
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("rcgen generates an ECDSA P-256 key");
        let mut params =
            CertificateParams::new(Vec::<String>::new()).expect("CA parameters without names");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "connecty test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("rcgen signs the CA");
        Self {
            ca_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// One CA for the whole test process (made on first use), for tests
    /// that only need *a* trusted CA.
    pub fn shared() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(TestCa::new)
    }

    /// The CA certificate, PEM: what a client adds with
    /// `add_root_certificate_pem`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    ///
    /// # Panics
    ///
    /// If a name is neither (rcgen refuses it).
    pub fn issue(&self, names: &[&str]) -> ServerCert {
        let key = KeyPair::generate().expect("rcgen generates an ECDSA P-256 key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
        let mut params = CertificateParams::new(names).expect("valid server names");
        params
            .distinguished_name
            .push(DnType::CommonName, "connecty test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("rcgen signs the server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    /// A rustls server configuration presenting a certificate for `names`,
    /// offering h2 and http/1.1 over ALPN.
    pub fn server_config(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let leaf = self.issue(names);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.cert_der.into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key_der.into()),
            )
            .expect("rcgen's certificate and key match");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// [`server_config`](Self::server_config) for [`LOOPBACK_NAMES`].
    pub fn loopback(&self) -> Arc<rustls::ServerConfig> {
        self.server_config(LOOPBACK_NAMES)
    }
}
