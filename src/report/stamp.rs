//! The evidence bundle a report belongs to, named in the report's header so that a printed
//! report can be matched to its bundle (`obharness verify` prints the same two values).

/// The bundle's digest and signer, as the HTML and Markdown of a bundled run show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleStamp {
    /// `sha256:` and 64 hex digits (defined in docs/evidence.md).
    pub digest: String,
    /// The fingerprint of the signing key (`SHA256:…`); `None` for an unsigned bundle.
    pub signer: Option<String>,
}

impl BundleStamp {
    /// `Ed25519 key SHA256:…`, or `unsigned`.
    pub fn signer_text(&self) -> String {
        match &self.signer {
            Some(f) => format!("Ed25519 key {f}"),
            None => "unsigned".to_string(),
        }
    }
}
