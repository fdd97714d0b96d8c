//! Extra root certificates: which PEM bundles are accepted, and the one
//! message that refuses the others.
//!
//! A bundle must hold at least one `-----BEGIN CERTIFICATE-----` block and
//! no private key (whatever its label: `PRIVATE KEY`, `RSA PRIVATE KEY`,
//! `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, ...): a key handed over
//! as a "CA certificate" is a mistake that leaks it, so it is refused, not
//! skipped. Text between blocks (the `# Issuer:` comments of system
//! bundles) and blocks of other kinds (public keys, CRLs) are ignored.
//! Every certificate must be DER, and usable as a trust anchor by the
//! transport's TLS library (the `usable` check).
//!
//! PEM decoding is rustls-pki-types' (see docs/dependencies.md).

use rustls_pki_types::pem::{self, PemObject, SectionKind};

use crate::error::InvalidInput;

/// The [`InvalidInput::field`] of a refused root certificate.
pub const ROOT_CERTIFICATE_FIELD: &str = "root_certificate";

/// The one refusal: which bundle, and what is wrong with it.
fn refuse(n: usize, problem: impl std::fmt::Display) -> InvalidInput {
    InvalidInput::new(
        ROOT_CERTIFICATE_FIELD,
        format!(
            "PEM number {n} is not a bundle of CA certificates: {problem}; pass a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)"
        ),
    )
}

/// Whether `text` has a PEM block whose label names a private key.
fn holds_private_key(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n' || *b == b'\r').any(|line| {
        let line = line.trim_ascii();
        line.strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
            .is_some_and(|label| label.windows(11).any(|w| w == b"PRIVATE KEY"))
    })
}

/// Whether `der` is one DER `SEQUENCE` filling the whole buffer, as every
/// X.509 certificate is.
fn is_der_sequence(der: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = der else {
        return false;
    };
    let (len, body) = match *first {
        n @ 0..=0x7f => (usize::from(n), rest),
        n @ 0x81..=0x84 => {
            let k = usize::from(n - 0x80);
            if rest.len() < k {
                return false;
            }
            let len = rest[..k]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[k..])
        }
        _ => return false,
    };
    len == body.len()
}

fn pem_problem(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "it is not valid PEM (a block has no END line)",
        pem::Error::IllegalSectionStart { .. } => "it is not valid PEM (a BEGIN line is malformed)",
        pem::Error::Base64Decode(_) => "it is not valid PEM (a block is not base64)",
        pem::Error::SectionTooLarge => "it is not valid PEM (a block is larger than 256 MB)",
        _ => "it is not valid PEM",
    }
}

/// Parses and checks extra root certificates: `pems` are PEM bundles (the
/// first is "PEM number 1" in messages); `usable` is the transport's own
/// check that a DER certificate can be a trust anchor (its error text is
/// quoted). Returns every certificate, DER, in order.
///
/// Every refusal is an [`InvalidInput`] for [`ROOT_CERTIFICATE_FIELD`]
/// saying which bundle and what is wrong; it never quotes the bundle.
///
/// ```
/// use connecty_proto::net::parse_root_certificates;
///
/// let e = parse_root_certificates(&[b"not a pem".to_vec()], |_| Ok(())).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "invalid root_certificate: PEM number 1 is not a bundle of CA certificates: it holds no certificate; pass a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks)"
/// );
/// ```
pub fn parse_root_certificates(
    pems: &[Vec<u8>],
    usable: impl Fn(&[u8]) -> Result<(), String>,
) -> Result<Vec<Vec<u8>>, InvalidInput> {
    let mut out = Vec::new();
    for (i, text) in pems.iter().enumerate() {
        let n = i + 1;
        if holds_private_key(text) {
            return Err(refuse(n, "it holds a private key (keep the key secret)"));
        }
        let mut found = 0;
        for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(text) {
            let (kind, der) = item.map_err(|e| refuse(n, pem_problem(&e)))?;
            if kind != SectionKind::Certificate {
                continue;
            }
            found += 1;
            if !is_der_sequence(&der) {
                return Err(refuse(
                    n,
                    format_args!("certificate {found} is not a DER certificate"),
                ));
            }
            usable(&der).map_err(|why| {
                refuse(
                    n,
                    format_args!("certificate {found} cannot be used as a root ({why})"),
                )
            })?;
            out.push(der);
        }
        if found == 0 {
            return Err(refuse(n, "it holds no certificate"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER SEQUENCE of 5 bytes, as base64: `MAMCAQE=` is 30 03 02 01 01.
    const TINY: &str = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

    fn check(pems: &[&str]) -> Result<usize, String> {
        let pems: Vec<Vec<u8>> = pems.iter().map(|p| p.as_bytes().to_vec()).collect();
        parse_root_certificates(&pems, |der| {
            if der.len() > 5 {
                Ok(())
            } else {
                Err("too short to be a root".into())
            }
        })
        .map(|v| v.len())
        .map_err(|e| {
            assert_eq!(e.field, ROOT_CERTIFICATE_FIELD);
            e.message
        })
    }

    fn cert_pem(der: &[u8]) -> String {
        let b64 = crate::net::base64::encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn refusals_table() {
        let long = cert_pem(&[0x30, 0x05, 1, 2, 3, 4, 5]);
        let long_form = cert_pem(&[0x30, 0x81, 0x04, 1, 2, 3, 4]);
        let with_comment = format!("# Issuer: CN=Test\n{long}\n# another\n{long_form}");
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        let public = "-----BEGIN PUBLIC KEY-----\nMAMCAQE=\n-----END PUBLIC KEY-----\n";
        let key_then_cert = format!("{key}{long}");
        let public_and_cert = format!("{public}{long}");
        let table: Vec<(Vec<&str>, Result<usize, &str>)> = vec![
            (vec![long.as_str()], Ok(1)),
            (vec![with_comment.as_str()], Ok(2)),
            (vec![long.as_str(), long_form.as_str()], Ok(2)),
            (vec![public_and_cert.as_str()], Ok(1)),
            (
                vec!["hello"],
                Err("PEM number 1 is not a bundle of CA certificates: it holds no certificate"),
            ),
            (
                vec![""],
                Err("PEM number 1 is not a bundle of CA certificates: it holds no certificate"),
            ),
            (
                vec![public],
                Err("PEM number 1 is not a bundle of CA certificates: it holds no certificate"),
            ),
            (
                vec![long.as_str(), key],
                Err(
                    "PEM number 2 is not a bundle of CA certificates: it holds a private key (keep the key secret)",
                ),
            ),
            (
                vec![key_then_cert.as_str()],
                Err("PEM number 1 is not a bundle of CA certificates: it holds a private key"),
            ),
            (vec![enc], Err("it holds a private key")),
            (vec![ssh], Err("it holds a private key")),
            (
                vec!["-----BEGIN CERTIFICATE-----\nAAAA\n"],
                Err("it is not valid PEM (a block has no END line)"),
            ),
            (
                vec!["-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"],
                Err("it is not valid PEM (a block is not base64)"),
            ),
            (
                vec!["-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n"],
                Err("certificate 1 is not a DER certificate"),
            ),
            (
                vec![TINY],
                Err("certificate 1 cannot be used as a root (too short to be a root)"),
            ),
        ];
        for (pems, want) in table {
            match (check(&pems), want) {
                (Ok(n), Ok(w)) => assert_eq!(n, w, "{pems:?}"),
                (Err(m), Err(w)) => {
                    assert!(m.contains(w), "{pems:?}: {m}");
                    assert!(m.ends_with("(-----BEGIN CERTIFICATE----- blocks)"), "{m}");
                    assert!(!m.contains("AAAA"), "the bundle is never quoted: {m}");
                }
                (got, want) => panic!("{pems:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn der_sequences() {
        assert!(is_der_sequence(&[0x30, 0x00]));
        assert!(is_der_sequence(&[0x30, 0x82, 0x00, 0x01, 0xff]));
        assert!(!is_der_sequence(&[0x30, 0x82, 0x00]));
        assert!(!is_der_sequence(&[0x31, 0x00]));
        assert!(!is_der_sequence(&[0x30, 0x02, 0x00]));
        assert!(!is_der_sequence(&[0x30, 0x80]));
        assert!(!is_der_sequence(&[]));
    }
}
