//! A plain POSIX ustar archive of regular files, written and read by hand: the bundle needs
//! nothing else (no directories, links, compression or extended headers), and a strict reader
//! of exactly that is short. Any `tar tf` / `tar xf` reads what this writes.
//!
//! Layout: for each file a 512-byte header (name, octal mode/size/mtime, checksum, `ustar\0`
//! `00`), then its bytes padded to 512; two zero blocks end the archive.

use std::fmt;

const BLOCK: usize = 512;
/// Largest file the reader accepts (8 GiB, the ustar size field's limit).
const MAX_SIZE: u64 = 0o77_777_777_777;

/// One regular file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
}

/// Why an archive could not be read (the archive is damaged or not a ustar archive at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Byte offset in the archive where reading stopped.
    pub offset: usize,
    /// The entry being read, when its header was readable.
    pub entry: Option<String>,
    pub why: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(e) => write!(f, "at byte {} (entry '{e}'): {}", self.offset, self.why),
            None => write!(f, "at byte {}: {}", self.offset, self.why),
        }
    }
}

/// Why a file cannot be put in an archive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("'{0}': a path in the bundle must be relative, '/'-separated, without '.' or '..' parts")]
    BadPath(String),
    #[error("'{0}': too long for a ustar header (at most 100 bytes of file name after a 155-byte directory)")]
    PathTooLong(String),
    #[error("'{0}': larger than a ustar archive holds")]
    TooLarge(String),
}

/// Whether `path` is a clean relative path: `/`-separated, no empty, `.` or `..` parts, no
/// backslash or NUL.
pub fn is_clean_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Whether a path fits a ustar header (name and directory prefix).
pub fn fits(path: &str) -> bool {
    split_path(path).is_ok()
}

/// Splits a path into ustar's (prefix, name) fields.
fn split_path(path: &str) -> Result<(&str, &str), WriteError> {
    if path.len() <= 100 {
        return Ok(("", path));
    }
    // The name field takes the last part(s); the prefix the directory before a '/'.
    for (i, _) in path.match_indices('/') {
        let (prefix, name) = (&path[..i], &path[i + 1..]);
        if prefix.len() <= 155 && name.len() <= 100 {
            return Ok((prefix, name));
        }
    }
    Err(WriteError::PathTooLong(path.to_string()))
}

fn octal(field: &mut [u8], value: u64) {
    // Zero-padded octal, then a NUL: `0000644\0`.
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
}

fn header(path: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], WriteError> {
    if !is_clean_path(path) {
        return Err(WriteError::BadPath(path.to_string()));
    }
    if size > MAX_SIZE {
        return Err(WriteError::TooLarge(path.to_string()));
    }
    let (prefix, name) = split_path(path)?;
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime.min(MAX_SIZE));
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is computed with its own field as eight spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

/// Writes `entries` (in the order given) as one archive; every file gets `mtime` (seconds
/// since the Unix epoch) and mode 0644.
pub fn write(entries: &[Entry], mtime: u64) -> Result<Vec<u8>, WriteError> {
    let total: usize = entries.iter().map(|e| BLOCK + e.data.len().div_ceil(BLOCK) * BLOCK).sum();
    let mut out = Vec::with_capacity(total + 2 * BLOCK);
    for e in entries {
        out.extend_from_slice(&header(&e.path, e.data.len() as u64, mtime)?);
        out.extend_from_slice(&e.data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

fn field_text(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field_text(field)).ok()?.trim_matches(' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// Reads every entry of an archive. Only regular files are accepted; anything else (a
/// directory, a link, a GNU or pax extension, a bad checksum, a short read) is an error that
/// says where.
pub fn read(bytes: &[u8]) -> Result<Vec<Entry>, ReadError> {
    let mut entries = Vec::new();
    let mut at = 0;
    let err =
        |offset: usize, entry: Option<&str>, why: String| ReadError { offset, entry: entry.map(str::to_string), why };
    loop {
        if at == bytes.len() {
            return Err(err(at, None, "truncated: the archive ends without its two closing zero blocks".into()));
        }
        let Some(h) = bytes.get(at..at + BLOCK) else {
            return Err(err(
                at,
                None,
                format!("truncated: {} bytes where a 512-byte header was due", bytes.len() - at),
            ));
        };
        if h.iter().all(|&b| b == 0) {
            // The end: a second zero block should follow (some writers omit it; we never do).
            let rest = &bytes[at + BLOCK..];
            if rest.len() < BLOCK || !rest[..BLOCK].iter().all(|&b| b == 0) {
                return Err(err(at + BLOCK, None, "truncated: the second closing zero block is missing".into()));
            }
            if !rest.iter().all(|&b| b == 0) {
                return Err(err(at + 2 * BLOCK, None, "data after the end of the archive".into()));
            }
            return Ok(entries);
        }
        let name = String::from_utf8_lossy(field_text(&h[0..100])).into_owned();
        let prefix = String::from_utf8_lossy(field_text(&h[345..500])).into_owned();
        let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        if &h[257..262] != b"ustar" {
            return Err(err(at, Some(&path), "not a ustar header (no 'ustar' magic)".into()));
        }
        let stored = parse_octal(&h[148..156])
            .ok_or_else(|| err(at, Some(&path), "the header checksum is not an octal number".into()))?;
        let sum: u64 =
            h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum();
        if sum != stored {
            return Err(err(at, Some(&path), format!("header checksum {stored:o} does not match its bytes ({sum:o})")));
        }
        let kind = h[156];
        if kind != b'0' && kind != 0 {
            return Err(err(
                at,
                Some(&path),
                format!("type '{}' where a bundle holds regular files only", char::from(kind).escape_default()),
            ));
        }
        let size = parse_octal(&h[124..136])
            .filter(|s| *s <= MAX_SIZE)
            .ok_or_else(|| err(at, Some(&path), "the size field is not an octal number".into()))?;
        let size = usize::try_from(size).map_err(|_| err(at, Some(&path), "too large for this machine".into()))?;
        let start = at + BLOCK;
        let Some(data) = bytes.get(start..start + size) else {
            return Err(err(
                start,
                Some(&path),
                format!("truncated: {size} bytes announced, {} present", bytes.len().saturating_sub(start)),
            ));
        };
        entries.push(Entry { path, data: data.to_vec() });
        at = start + size.div_ceil(BLOCK) * BLOCK;
        if at > bytes.len() {
            return Err(err(bytes.len(), entries.last().map(|e| e.path.as_str()), "truncated in the padding".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry { path: "MANIFEST.json".into(), data: b"{}\n".to_vec() },
            Entry { path: "inputs/empty.yaml".into(), data: Vec::new() },
            Entry { path: "run/exact.bin".into(), data: vec![7u8; 1024] },
            Entry { path: format!("inputs/{}/{}.yaml", "d".repeat(120), "n".repeat(90)), data: b"long".to_vec() },
            Entry { path: "inputs/한글.yaml".into(), data: "이체".as_bytes().to_vec() },
        ]
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let bytes = write(&entries(), 1_767_225_600).unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        assert_eq!(read(&bytes).unwrap(), entries());
    }

    #[test]
    fn the_system_tar_reads_what_is_written() {
        let Ok(out) = std::process::Command::new("tar").arg("--version").output() else { return };
        if !out.status.success() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("obh-tar-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.tar");
        std::fs::write(&file, write(&entries(), 0).unwrap()).unwrap();
        let listed = std::process::Command::new("tar").arg("tf").arg(&file).output().unwrap();
        assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
        let names: Vec<String> = String::from_utf8_lossy(&listed.stdout).lines().map(str::to_string).collect();
        let want: Vec<String> = entries().into_iter().map(|e| e.path).collect();
        assert_eq!(names, want);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn truncation_anywhere_is_an_error_never_a_shorter_list() {
        let bytes = write(&entries(), 0).unwrap();
        for cut in [0, 100, 511, 512, 515, 1024, 1536, bytes.len() - 1024, bytes.len() - 512, bytes.len() - 1] {
            let e = read(&bytes[..cut]).expect_err(&format!("cut at {cut}"));
            assert!(e.why.contains("truncated"), "cut at {cut}: {e}");
        }
    }

    #[test]
    fn a_changed_header_byte_is_caught_by_the_checksum() {
        let mut bytes = write(&entries(), 0).unwrap();
        bytes[3] ^= 1;
        let e = read(&bytes).unwrap_err();
        assert!(e.why.contains("checksum"), "{e}");
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn links_and_directories_are_refused() {
        let mut bytes = write(&entries()[..1], 0).unwrap();
        bytes[156] = b'2';
        let sum: u32 = bytes[..BLOCK]
            .iter()
            .enumerate()
            .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) })
            .sum();
        bytes[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let e = read(&bytes).unwrap_err();
        assert!(e.why.contains("regular files only"), "{e}");
        assert_eq!(e.entry.as_deref(), Some("MANIFEST.json"));
    }

    #[test]
    fn garbage_is_not_an_archive() {
        let e = read(&[b'x'; 2048]).unwrap_err();
        assert!(e.why.contains("ustar"), "{e}");
    }

    #[test]
    fn unclean_paths_are_refused_at_write() {
        for bad in ["/abs", "a/../b", "a//b", "./a", "a\\b", ""] {
            assert!(
                matches!(write(&[Entry { path: bad.into(), data: vec![] }], 0), Err(WriteError::BadPath(_))),
                "{bad}"
            );
        }
        let long = "x".repeat(101);
        assert!(matches!(write(&[Entry { path: long, data: vec![] }], 0), Err(WriteError::PathTooLong(_))));
    }
}
