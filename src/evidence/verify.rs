//! Checking a bundle offline: the archive reads, the manifest's signature holds (against the
//! key the reviewer expects, when given), the archive holds exactly the manifest's files with
//! their hashes, the transcript's chain is intact up to the manifest's head, the bundle digest
//! matches, and the reports say what the run model says (re-rendered and compared).
//!
//! The first broken item is named; a bundle that cannot be read at all is told apart from one
//! that was changed.

use std::collections::BTreeMap;
use std::path::Path;

use super::bundle::{self, FORMAT, MANIFEST, Manifest, Role, SIGNATURE, SIGNER};
use super::sign::PublicKey;
use super::tar;
use crate::report::{self, RunReport};

/// Who signed a valid bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// Signed by the key given with `--pubkey`.
    Expected(String),
    /// Signed by the key the bundle carries; no key was given to compare with.
    Embedded(String),
    Unsigned,
}

/// What a valid bundle says.
#[derive(Debug, Clone)]
pub struct Valid {
    pub signer: Signer,
    pub manifest: Manifest,
    pub run: RunReport,
    pub files: usize,
    /// The reports were rendered again from the run model and matched byte for byte; `false`
    /// when this obharness is another build than the one that made the bundle and its
    /// renderings differ (so the check could not be made).
    pub reports_rerendered: bool,
    /// Files the run read that the bundle could not hold (`facts.json`), each with why.
    pub not_bundled: Vec<String>,
}

/// The verdict on a bundle.
#[derive(Debug, Clone)]
pub enum Verdict {
    Valid(Box<Valid>),
    /// Changed after it was made: the first broken item (a file, `transcript.jsonl entry N`,
    /// the signature) and why.
    Tampered {
        item: String,
        why: String,
    },
    /// Not readable as a bundle at all (not an archive, truncated, no manifest).
    Unreadable {
        why: String,
    },
}

/// The bytes of a bundle's files by path, and the archive's order.
pub struct Opened {
    pub files: BTreeMap<String, Vec<u8>>,
    pub order: Vec<String>,
}

/// Reads a bundle's archive; a duplicate path is reported as tampering.
pub fn open(path: &Path) -> Result<Opened, Verdict> {
    let bytes = std::fs::read(path)
        .map_err(|e| Verdict::Unreadable { why: format!("{}: cannot read: {e}", path.display()) })?;
    let entries = tar::read(&bytes)
        .map_err(|e| Verdict::Unreadable { why: format!("{}: not a readable bundle: {e}", path.display()) })?;
    let mut files = BTreeMap::new();
    let mut order = Vec::new();
    for e in entries {
        if files.contains_key(&e.path) {
            return Err(Verdict::Tampered {
                item: e.path.clone(),
                why: "appears twice in the archive: a file was added".into(),
            });
        }
        order.push(e.path.clone());
        files.insert(e.path, e.data);
    }
    if !files.contains_key(MANIFEST) {
        return Err(Verdict::Unreadable {
            why: format!("{}: no {MANIFEST}: not an obharness evidence bundle", path.display()),
        });
    }
    Ok(Opened { files, order })
}

fn tampered(item: impl Into<String>, why: impl Into<String>) -> Verdict {
    Verdict::Tampered { item: item.into(), why: why.into() }
}

/// Checks the bundle at `path`, against `expected` when the reviewer has the signer's key.
pub fn verify(path: &Path, expected: Option<&PublicKey>) -> Verdict {
    match open(path) {
        Ok(opened) => check(&opened, expected),
        Err(v) => v,
    }
}

/// Checks an opened bundle.
pub fn check(opened: &Opened, expected: Option<&PublicKey>) -> Verdict {
    match check_inner(opened, expected) {
        Ok(valid) => Verdict::Valid(Box::new(valid)),
        Err(v) => v,
    }
}

fn check_inner(opened: &Opened, expected: Option<&PublicKey>) -> Result<Valid, Verdict> {
    let files = &opened.files;
    let manifest_bytes = &files[MANIFEST];

    // 1. The signature, over the manifest's exact bytes, before anything in it is believed.
    let signer = match (files.get(SIGNATURE), files.get(SIGNER)) {
        (None, None) => {
            if let Some(key) = expected {
                return Err(tampered(
                    SIGNATURE,
                    format!(
                        "missing: the bundle is unsigned, so nothing shows it comes from the key given with --pubkey ({})",
                        key.fingerprint()
                    ),
                ));
            }
            Signer::Unsigned
        }
        (Some(_), None) => return Err(tampered(SIGNER, "missing: the signature's public key was removed")),
        (None, Some(_)) => return Err(tampered(SIGNATURE, "missing: the signature was removed")),
        (Some(sig), Some(pem)) => {
            let text = String::from_utf8_lossy(pem);
            let carried = PublicKey::from_pem(&text).map_err(|e| tampered(SIGNER, e))?;
            // Exactly as written: not even whitespace in it may change unnoticed.
            if carried.to_pem().as_bytes() != pem.as_slice() {
                return Err(tampered(SIGNER, "not the bytes the bundle was made with (the key's PEM was edited)"));
            }
            let key = expected.unwrap_or(&carried);
            if *key != carried {
                return Err(tampered(
                    SIGNATURE,
                    format!(
                        "signed by key {}, not by the key given with --pubkey ({})",
                        carried.fingerprint(),
                        key.fingerprint()
                    ),
                ));
            }
            if !key.verifies(manifest_bytes, sig) {
                return Err(tampered(
                    MANIFEST,
                    format!(
                        "its signature does not verify with key {}: the manifest (or {SIGNATURE}) was changed after signing",
                        key.fingerprint()
                    ),
                ));
            }
            match expected {
                Some(_) => Signer::Expected(key.fingerprint()),
                None => Signer::Embedded(key.fingerprint()),
            }
        }
    };
    let signed = signer != Signer::Unsigned;

    // 2. The manifest.
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        // Signed and intact, yet not readable: a format this obharness does not know.
        Err(e) if signed => {
            return Err(Verdict::Unreadable { why: format!("{MANIFEST}: not a manifest this obharness reads ({e})") });
        }
        Err(e) => return Err(tampered(MANIFEST, format!("damaged: not a manifest ({e})"))),
    };
    if manifest.format != FORMAT {
        return Err(Verdict::Unreadable {
            why: format!("{MANIFEST}: format '{}', this obharness reads '{FORMAT}'", manifest.format),
        });
    }
    let carried_fingerprint = match &signer {
        Signer::Expected(f) | Signer::Embedded(f) => Some(f.clone()),
        Signer::Unsigned => None,
    };
    match (&manifest.signer, &carried_fingerprint) {
        (Some(said), None) => {
            return Err(tampered(
                SIGNATURE,
                format!("missing: the manifest says the bundle was signed by {said}; the signature was removed"),
            ));
        }
        (said, Some(f)) if said.as_deref() != Some(f.as_str()) => {
            return Err(tampered(
                SIGNER,
                format!("key {f} is not the signer the manifest names ({})", said.as_deref().unwrap_or("none")),
            ));
        }
        _ => {}
    }

    // 3. Exactly the manifest's files, each with its hash; the transcript's chain first, so a
    //    removed or changed entry is named.
    let mut listed = std::collections::BTreeSet::new();
    let mut previous: Option<&str> = None;
    for f in &manifest.files {
        if !tar::is_clean_path(&f.path) || [MANIFEST, SIGNATURE, SIGNER].contains(&f.path.as_str()) {
            return Err(tampered(MANIFEST, format!("lists '{}', which no bundle holds", f.path)));
        }
        if previous.is_some_and(|p| p.as_bytes() >= f.path.as_bytes()) {
            return Err(tampered(MANIFEST, format!("files out of order or listed twice at '{}'", f.path)));
        }
        previous = Some(&f.path);
        listed.insert(f.path.as_str());
    }
    for path in &opened.order {
        if !listed.contains(path.as_str()) && ![MANIFEST, SIGNATURE, SIGNER].contains(&path.as_str()) {
            return Err(tampered(path.clone(), "not listed in the manifest: a file was added"));
        }
    }
    for f in &manifest.files {
        let Some(data) = files.get(&f.path) else {
            return Err(tampered(f.path.clone(), "listed in the manifest but not in the archive: a file was removed"));
        };
        if f.path == manifest.transcript.path {
            let text = std::str::from_utf8(data)
                .map_err(|_| tampered(f.path.clone(), "not UTF-8 text: the file was changed"))?;
            let n = super::transcript::check_chain(text, &manifest.transcript.head)
                .map_err(|b| tampered(format!("{} entry {}", f.path, b.entry), b.why))?;
            if n != manifest.transcript.entries {
                return Err(tampered(
                    f.path.clone(),
                    format!("{n} entries, the manifest says {}", manifest.transcript.entries),
                ));
            }
        }
        let sha = super::sha256_hex(data);
        if sha != f.sha256 || data.len() as u64 != f.size {
            return Err(tampered(
                f.path.clone(),
                format!(
                    "SHA-256 {} ({} bytes), the manifest says {} ({} bytes): the file was changed",
                    short(&sha),
                    data.len(),
                    short(&f.sha256),
                    f.size
                ),
            ));
        }
    }
    if !manifest.files.iter().any(|f| f.path == manifest.transcript.path) {
        return Err(tampered(manifest.transcript.path.clone(), "the manifest's transcript is not among its files"));
    }
    let digest = bundle::digest(&manifest.files);
    if digest != manifest.bundle_digest {
        return Err(tampered(
            MANIFEST,
            format!("bundle digest {} does not match its files ({digest})", manifest.bundle_digest),
        ));
    }

    // 4. The reports say what the run model says.
    let run_path = manifest
        .files
        .iter()
        .find(|f| f.role == Role::RunModel)
        .map(|f| f.path.clone())
        .ok_or_else(|| tampered(MANIFEST, "lists no run model"))?;
    let text = std::str::from_utf8(&files[&run_path])
        .map_err(|_| Verdict::Unreadable { why: format!("{run_path}: not UTF-8") })?;
    let run = report::json::read(text).map_err(|e| Verdict::Unreadable {
        why: format!("{run_path}: not a run model this obharness reads ({e}); made by {}", manifest.tool.describe()),
    })?;
    let stamp = manifest.stamp();
    let mut mismatched = None;
    for f in &manifest.files {
        let rendered = match f.role {
            Role::Html => render(|w| report::html::write_conformance_stamped(&run, Some(&stamp), w)),
            Role::Markdown => render(|w| report::markdown::write_conformance_stamped(&run, Some(&stamp), w)),
            Role::Junit => render(|w| report::junit::write(&run, w)),
            _ => continue,
        };
        if rendered != files[&f.path] && mismatched.is_none() {
            mismatched = Some(f.path.clone());
        }
    }
    let reports_rerendered = match mismatched {
        None => true,
        Some(path) if manifest.tool.same_build_as_this() => {
            return Err(tampered(
                path.clone(),
                format!(
                    "differs from {path} rendered again from {run_path}: the report does not say what the run model says"
                ),
            ));
        }
        Some(_) => {
            // Another build's renderers: at least the reports must name this bundle.
            for f in manifest.files.iter().filter(|f| matches!(f.role, Role::Html | Role::Markdown)) {
                let text = String::from_utf8_lossy(&files[&f.path]);
                if !text.contains(&stamp.digest) || !text.contains(&stamp.signer_text()) {
                    return Err(tampered(f.path.clone(), "does not name the bundle's digest and signer"));
                }
            }
            false
        }
    };
    let not_bundled = manifest
        .files
        .iter()
        .find(|f| f.role == Role::Facts)
        .and_then(|f| serde_json::from_slice::<super::facts::Facts>(&files[&f.path]).ok())
        .map(|facts| facts.not_bundled)
        .unwrap_or_default();
    Ok(Valid { signer, files: manifest.files.len(), manifest, run, reports_rerendered, not_bundled })
}

fn render(f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = f(&mut buf);
    buf
}

fn short(hex: &str) -> String {
    hex.chars().take(16).collect::<String>() + "…"
}
