//! Ed25519 signing keys of evidence bundles (aws-lc-rs, already the build's crypto): key
//! pairs in the files OpenSSL uses (PKCS#8 `PRIVATE KEY` and SubjectPublicKeyInfo `PUBLIC KEY`
//! PEM), fingerprints, signing and checking.
//!
//! A private key comes from a file (`--sign-key FILE`) or from the environment variable
//! [`KEY_ENV`] (a CI secret), never from a flag's value, where it would sit in shell history
//! and `ps` listings.

use std::fmt;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;

/// The environment variable that may hold the signing key (its PEM text, or the base64 of the
/// PKCS#8 document on one line).
pub const KEY_ENV: &str = "OBH_SIGN_KEY";

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID
/// 1.3.101.112 }, BIT STRING (0 unused bits) } before the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// An Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey([u8; 32]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// `SHA256:` and the unpadded base64 of the SHA-256 of the 32 key bytes: what reports,
    /// manifests and `obharness verify` print to name a key.
    pub fn fingerprint(&self) -> String {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &self.0);
        format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(d.as_ref()))
    }

    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.0);
        pem("PUBLIC KEY", &der)
    }

    pub fn from_pem(text: &str) -> Result<PublicKey, String> {
        let der = unpem(text, "PUBLIC KEY")?;
        match der.strip_prefix(&SPKI_PREFIX[..]) {
            Some(key) if key.len() == 32 => Ok(PublicKey(key.try_into().expect("32 bytes"))),
            _ => Err("not an Ed25519 public key (a PEM 'PUBLIC KEY' of the Ed25519 algorithm)".into()),
        }
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.0).verify(message, signature).is_ok()
    }

    /// Reads a public key file (`obharness keygen`'s `.pub`, or `openssl pkey -pubout`).
    pub fn load(path: &Path) -> Result<PublicKey, String> {
        let text = read_small(path)?;
        PublicKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A signing key.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    /// Where it came from, for messages (`keys/obh.key`, `$OBH_SIGN_KEY`).
    pub origin: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({} from {})", self.public().fingerprint(), self.origin)
    }
}

impl SigningKey {
    pub fn generate() -> Result<(SigningKey, String), String> {
        let doc = Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
            .map_err(|_| "cannot generate a key (no system randomness?)".to_string())?;
        let pem = pem("PRIVATE KEY", doc.as_ref());
        let key = SigningKey::from_pem(&pem, "a new key")?;
        Ok((key, pem))
    }

    /// From PEM text (`-----BEGIN PRIVATE KEY-----`, PKCS#8 v1 or v2) or the bare base64 of the
    /// PKCS#8 document.
    pub fn from_pem(text: &str, origin: &str) -> Result<SigningKey, String> {
        let der = if text.contains("-----BEGIN") {
            unpem(text, "PRIVATE KEY")?
        } else {
            let compact: String = text.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| "neither PEM nor base64".to_string())?
        };
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|e| {
            format!(
                "not an Ed25519 private key ({e}); expected the PEM 'PRIVATE KEY' that `obharness keygen` or `openssl genpkey -algorithm ed25519` writes"
            )
        })?;
        Ok(SigningKey { pair, origin: origin.to_string() })
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.pair.public_key().as_ref().try_into().expect("an Ed25519 public key is 32 bytes"))
    }

    /// The 64-byte Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// The key of `--sign-key FILE`, else of `$OBH_SIGN_KEY`, else none (an unsigned bundle).
    /// A key file others may read is warned about (`warn`), not refused.
    pub fn find(file: Option<&Path>, warn: &mut dyn FnMut(String)) -> Result<Option<SigningKey>, String> {
        if let Some(path) = file {
            let text = read_small(path)?;
            let key = SigningKey::from_pem(&text, &path.display().to_string())
                .map_err(|e| format!("--sign-key {}: {e}", path.display()))?;
            if let Some(mode) = loose_mode(path) {
                warn(format!(
                    "{} can be read by others (mode {mode:o}); a signing key should be private: chmod 600 {0}",
                    path.display()
                ));
            }
            return Ok(Some(key));
        }
        match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                SigningKey::from_pem(&text, &format!("${KEY_ENV}")).map(Some).map_err(|e| format!("{KEY_ENV}: {e}"))
            }
            _ => Ok(None),
        }
    }
}

/// The permission bits of a key file others can read, if so.
fn loose_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Reads a key file (a few KiB at most).
fn read_small(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: not a text key file ({e})", path.display()))?;
    Ok(text)
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn unpem(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).ok_or_else(|| format!("no '{begin}' line"))? + begin.len();
    let stop = text[start..].find(&end).ok_or_else(|| format!("no '{end}' line"))? + start;
    let body: String = text[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body.as_bytes()).map_err(|e| format!("bad base64 in the PEM: {e}"))
}

/// What `obharness keygen` wrote.
#[derive(Debug)]
pub struct Generated {
    pub private: PathBuf,
    pub public: PathBuf,
    pub fingerprint: String,
}

/// The public key file next to a private key file: `NAME.pub`.
pub fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Why `keygen` wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeygenError {
    /// A key file is there already (the user's to decide: `--force`).
    #[error("{0} exists; refusing to overwrite it (pass --force to replace the key pair)")]
    Exists(String),
    /// The files could not be written, or no key made.
    #[error("{0}")]
    Failed(String),
}

/// Writes a new key pair: the private key to `private` (mode 0600 from the start) and the
/// public key to `private.pub`. Refuses to replace either file unless `force`.
pub fn keygen(private: &Path, force: bool) -> Result<Generated, KeygenError> {
    let public = public_path(private);
    if !force {
        for p in [private, public.as_path()] {
            if p.exists() || p.symlink_metadata().is_ok() {
                return Err(KeygenError::Exists(p.display().to_string()));
            }
        }
    }
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| KeygenError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let (key, pem_text) = SigningKey::generate().map_err(KeygenError::Failed)?;
    super::bundle::write_through_temp(private, pem_text.as_bytes(), 0o600).map_err(KeygenError::Failed)?;
    super::bundle::write_through_temp(&public, key.public().to_pem().as_bytes(), 0o644).map_err(KeygenError::Failed)?;
    Ok(Generated { private: private.to_path_buf(), public, fingerprint: key.public().fingerprint() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let (a, _) = SigningKey::generate().unwrap();
        let (b, _) = SigningKey::generate().unwrap();
        let sig = a.sign(b"manifest");
        assert_eq!(sig.len(), 64);
        assert!(a.public().verifies(b"manifest", &sig));
        assert!(!a.public().verifies(b"manifesT", &sig));
        assert!(!b.public().verifies(b"manifest", &sig));
        assert_ne!(a.public().fingerprint(), b.public().fingerprint());
        assert!(a.public().fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn keys_round_trip_through_pem_and_bare_base64() {
        let (key, pem_text) = SigningKey::generate().unwrap();
        assert!(pem_text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = SigningKey::from_pem(&pem_text, "t").unwrap();
        assert_eq!(again.public(), key.public());
        let bare: String = pem_text.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(SigningKey::from_pem(&bare, "t").unwrap().public(), key.public());
        let public = PublicKey::from_pem(&key.public().to_pem()).unwrap();
        assert_eq!(public, key.public());
        assert!(PublicKey::from_pem(&pem_text).is_err(), "a private key is not a public key");
        assert!(SigningKey::from_pem("hello", "t").is_err());
    }

    #[test]
    fn an_openssl_key_pair_is_read() {
        // `openssl genpkey -algorithm ed25519` / `openssl pkey -pubout` (RFC 8410 test key).
        let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let public = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        let key = SigningKey::from_pem(private, "openssl").unwrap();
        assert_eq!(key.public(), PublicKey::from_pem(public).unwrap());
        assert_eq!(key.public().to_pem(), public);
    }

    #[test]
    fn keygen_writes_a_private_file_and_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("obh-keygen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys/signer");
        let g = keygen(&path, false).unwrap();
        assert_eq!(g.public, dir.join("keys/signer.pub"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let first = std::fs::read(&path).unwrap();
        let e = keygen(&path, false).unwrap_err().to_string();
        assert!(e.contains("refusing to overwrite") && e.contains("--force"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), first, "untouched");
        let again = keygen(&path, true).unwrap();
        assert_ne!(again.fingerprint, g.fingerprint);
        let key = SigningKey::find(Some(&path), &mut |w| panic!("no warning expected: {w}")).unwrap().unwrap();
        assert_eq!(key.public().fingerprint(), again.fingerprint);
        assert_eq!(PublicKey::load(&again.public).unwrap(), key.public());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
