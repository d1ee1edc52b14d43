//! HTTPS for `obharness sim --tls`: institutions' clients are configured with
//! `https://testapi.openbanking.or.kr`, and some refuse plain HTTP or insist on a
//! certificate they trust.
//!
//! Without certificate files the simulator makes its own small PKI at start: a CA, and a
//! server certificate signed by it for the listen address, `localhost`, `127.0.0.1` and `::1`.
//! The CA certificate is what a client trusts (it is written where `--tls-ca-out` says);
//! trusting a CA rather than a self-signed leaf is what every TLS stack accepts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the simulator's certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {what}")]
    Pem { path: PathBuf, what: String },
    #[error("the certificate and key do not make a TLS server configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// A server certificate chain and its key, in PEM, and the CA a client should trust.
#[derive(Clone)]
pub struct TlsMaterial {
    pub cert_chain_pem: String,
    pub key_pem: String,
    /// The certificate to trust: the generated CA, or the given chain's last certificate.
    pub trust_pem: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("TlsMaterial").field("trust_pem", &self.trust_pem).finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// A fresh CA and a server certificate for `listen` plus the loopback names.
    pub fn generate(listen: IpAddr) -> Result<TlsMaterial, TlsError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.distinguished_name.push(DnType::CommonName, "obharness simulator CA (test only)");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
        if !listen.is_unspecified() && !names.contains(&listen.to_string()) {
            names.push(listen.to_string());
        }
        let mut leaf = CertificateParams::new(names)?;
        leaf.distinguished_name.push(DnType::CommonName, "obharness simulator");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate()?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
        Ok(TlsMaterial {
            cert_chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
            key_pem: leaf_key.serialize_pem(),
            trust_pem: ca_cert.pem(),
        })
    }

    /// A certificate chain and key from PEM files (`--tls-cert`, `--tls-key`).
    pub fn from_files(cert: &Path, key: &Path) -> Result<TlsMaterial, TlsError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsError::Read { path: path.to_path_buf(), source })
        };
        let cert_chain_pem = read(cert)?;
        let key_pem = read(key)?;
        let chain = parse_certs(&cert_chain_pem, cert)?;
        let last = chain.last().expect("parse_certs returns at least one");
        let trust_pem = pem_block("CERTIFICATE", last.as_ref());
        parse_key(&key_pem, key)?;
        Ok(TlsMaterial { cert_chain_pem, key_pem, trust_pem })
    }

    /// The acceptor the listener wraps each connection in (HTTP/1.1 only, like the simulator).
    pub fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
        let certs = parse_certs(&self.cert_chain_pem, Path::new("certificate"))?;
        let key = parse_key(&self.key_pem, Path::new("key"))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

fn parse_certs(pem: &str, origin: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem { path: origin.to_path_buf(), what: format!("not a PEM certificate chain: {e}") })?;
    if certs.is_empty() {
        return Err(TlsError::Pem { path: origin.to_path_buf(), what: "no CERTIFICATE block".into() });
    }
    Ok(certs)
}

fn parse_key(pem: &str, origin: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| TlsError::Pem { path: origin.to_path_buf(), what: format!("no usable private key: {e}") })
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> =
        body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_material_makes_an_acceptor_and_round_trips_through_files() {
        let m = TlsMaterial::generate("127.0.0.1".parse().unwrap()).unwrap();
        assert!(m.trust_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(m.cert_chain_pem.matches("BEGIN CERTIFICATE").count(), 2, "leaf then CA");
        m.acceptor().unwrap();
        let dir = std::env::temp_dir().join(format!("obh-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, &m.cert_chain_pem).unwrap();
        std::fs::write(&key, &m.key_pem).unwrap();
        let back = TlsMaterial::from_files(&cert, &key).unwrap();
        assert_eq!(back.trust_pem, m.trust_pem, "the chain's last certificate is the one to trust");
        std::fs::write(&key, "not a key").unwrap();
        let err = TlsMaterial::from_files(&cert, &key).unwrap_err().to_string();
        assert!(err.contains("key.pem") && err.contains("private key"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
