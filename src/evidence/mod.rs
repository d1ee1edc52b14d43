//! Certification evidence: one signed, tamper-evident bundle per run (`--evidence FILE.obh`)
//! that a third party checks offline (`obharness verify`).
//!
//! A bundle is a plain ustar archive ([`tar`]) of the run model and its renderings, the exact
//! input files (secrets redacted), the golden snapshots consulted, the hash-chained transcript
//! ([`transcript`]) and the facts of the run ([`facts`]), listed with their SHA-256 in
//! `MANIFEST.json`, which is signed with Ed25519 ([`sign`]). [`bundle`] writes it,
//! [`verify`] checks it, [`command`] holds `keygen`, `verify` and `report FILE.obh`.
//! The layout, the manifest and the digest are specified in `docs/evidence.md`.

pub mod bundle;
pub mod command;
pub mod facts;
pub mod sign;
pub mod tar;
pub mod transcript;
pub mod verify;

pub use bundle::{Collector, Manifest, Role};
pub use sign::{PublicKey, SigningKey};

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}
