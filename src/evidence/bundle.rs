//! Writing a bundle: a [`Collector`] is started before a run (it loads the signing key, so a
//! bad key fails before a long run, and turns the transcript on), is told the input files as
//! they are loaded, and writes the bundle from the finished run model.
//!
//! The bundle digest is the SHA-256 of the lines `<sha256>  <path>\n` of every manifest file
//! except the two reports that print it (`run/report.html`, `run/report.md`), in manifest
//! order (paths sorted bytewise): it covers the run model, JUnit, inputs, snapshots,
//! transcript and facts, and is known before those two reports are rendered.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::facts::{BinaryHash, Clocks, Facts, Invocation, Machine, Tool};
use super::sign::SigningKey;
use super::tar;
use crate::report::redact::{REDACTED, is_secret_key};
use crate::report::stamp::BundleStamp;
use crate::report::{self, RunReport};
use crate::target::Target;
use crate::target::record::{MIN_SECRET_CHARS, Recorder};

/// The manifest's `format`: bumped when the layout changes incompatibly.
pub const FORMAT: &str = "obharness-evidence/1";
pub const MANIFEST: &str = "MANIFEST.json";
pub const SIGNATURE: &str = "MANIFEST.sig";
pub const SIGNER: &str = "signer.pub";
pub const RUN_JSON: &str = "run/run.json";
pub const JUNIT: &str = "run/junit.xml";
pub const HTML: &str = "run/report.html";
pub const MARKDOWN: &str = "run/report.md";
pub const TRANSCRIPT: &str = "transcript.jsonl";
pub const FACTS: &str = "facts.json";

/// What a file of the bundle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The run model (`--json`), the one source of the reports.
    RunModel,
    Junit,
    Html,
    Markdown,
    /// A scenario file (conformance or client), as run.
    Scenario,
    /// A fragment a scenario includes.
    Fragment,
    /// The target profile (`--target`).
    Target,
    /// The expected-failures file.
    ExpectedFailures,
    /// A golden snapshot a step compared with.
    Golden,
    Transcript,
    Facts,
}

impl Role {
    /// Whether the bundle digest covers the file: all but the reports that print the digest.
    pub fn in_digest(self) -> bool {
        !matches!(self, Role::Html | Role::Markdown)
    }
}

/// One file of the bundle, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub role: Role,
    /// SHA-256 of the bytes in the bundle (after redaction), hex.
    pub sha256: String,
    pub size: u64,
    /// The path the run read it from, for inputs and snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Secret values replaced by `[redacted]` in this copy (everything else is byte for byte).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redactions: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Where the transcript is and where its chain ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptInfo {
    pub path: String,
    pub entries: usize,
    /// SHA-256 (hex) of its last line.
    pub head: String,
}

/// `MANIFEST.json`: what the bundle holds; the signature covers its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The run's kind: `conformance` or `client-certification`.
    pub kind: String,
    /// When the bundle was made (UTC, RFC 3339).
    pub created_at: String,
    pub tool: Tool,
    /// The signing key's fingerprint; `None` for an unsigned bundle.
    pub signer: Option<String>,
    /// `sha256:…` (see the module documentation).
    pub bundle_digest: String,
    pub transcript: TranscriptInfo,
    /// Every file but the manifest, its signature and the signer's public key; sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn stamp(&self) -> BundleStamp {
        BundleStamp { digest: self.bundle_digest.clone(), signer: self.signer.clone() }
    }
}

/// The bundle digest of manifest files (in their order).
pub fn digest(files: &[FileEntry]) -> String {
    let mut list = String::new();
    for f in files.iter().filter(|f| f.role.in_digest()) {
        list.push_str(&f.sha256);
        list.push_str("  ");
        list.push_str(&f.path);
        list.push('\n');
    }
    format!("sha256:{}", super::sha256_hex(list.as_bytes()))
}

/// The path of an input file in the bundle: `inputs/` and its path as the run used it, made
/// relative (`..` resolved where it can be, else `_up`; a root is `_root`), so the bundle keeps
/// the layout the scenario's `include:`s refer to.
pub fn input_path(source: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in source.components() {
        match c {
            Component::Prefix(p) => {
                let drive: String =
                    p.as_os_str().to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                parts.push(format!("_drive_{drive}"));
            }
            Component::RootDir => parts.push("_root".into()),
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(last) if last != "_up" && last != "_root" && !last.starts_with("_drive_") => {
                    parts.pop();
                }
                _ => parts.push("_up".into()),
            },
            Component::Normal(s) => parts.push(s.to_string_lossy().replace(['\\', '\0'], "_")),
        }
    }
    let path = format!("inputs/{}", parts.join("/"));
    if tar::is_clean_path(&path) && tar::fits(&path) {
        return path;
    }
    // Too long for a ustar header: kept under a name made from its hash.
    let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String = name.chars().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    let hash = super::sha256_hex(source.to_string_lossy().as_bytes());
    format!("inputs/_long/{}-{}", &hash[..16], name.replace(['/', '\\', '\0'], "_"))
}

/// Replaces every occurrence of each secret (of [`MIN_SECRET_CHARS`] or more) by
/// `[redacted]`; the number of replacements.
fn scrub_plain(text: &mut String, secrets: &[String]) -> usize {
    let mut n = 0;
    for s in secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_CHARS) {
        let found = text.matches(s.as_str()).count();
        if found > 0 {
            *text = text.replace(s.as_str(), REDACTED);
            n += found;
        }
    }
    n
}

/// In a target profile: the values of keys that name secrets (`wd_pass_phrase: …` under
/// `data:`), replaced by `"[redacted]"` on their line (a block scalar's lines go with it).
/// Keys naming environment variables (`client_secret_env`) hold no secret and stay.
fn redact_yaml_secret_values(text: &str) -> (String, usize) {
    static KEY_VALUE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"^(\s*(?:-\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*:[ \t]+)("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^#\s].*?)(\s+#.*)?$"#,
        )
        .expect("a valid pattern")
    });
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut n = 0;
    let mut out = String::with_capacity(text.len());
    // Inside a redacted block scalar: lines indented deeper than its key are part of it.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let end = &line[body.len()..];
        if let Some(key_indent) = block {
            if body.trim().is_empty() || indent(body) > key_indent {
                continue;
            }
            block = None;
        }
        match KEY_VALUE.captures(body) {
            Some(c)
                if is_secret_key(&c[2])
                    && !c[2].to_ascii_lowercase().ends_with("_env")
                    && &c[3] != "\"[redacted]\"" =>
            {
                n += 1;
                if c[3].starts_with(['|', '>']) {
                    block = Some(indent(body));
                }
                out.push_str(&c[1]);
                out.push_str("\"[redacted]\"");
                out.push_str(c.get(4).map_or("", |m| m.as_str()));
                out.push_str(end);
            }
            _ => out.push_str(line),
        }
    }
    (out, n)
}

/// The fragments a scenario file includes (`include:` steps under `steps:` or `setup:`),
/// resolved as the loader resolves them.
fn includes(path: &Path, text: &str) -> Vec<PathBuf> {
    let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(text) else { return Vec::new() };
    let dir = path.parent().unwrap_or(Path::new("."));
    ["steps", "setup"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(|s| s.as_sequence()))
        .flatten()
        .filter_map(|step| step.get("include").and_then(|i| i.as_str()))
        .map(|inc| dir.join(inc))
        .collect()
}

struct Input {
    role: Role,
    source: String,
    text: String,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    /// The run model as bundled: the run's, scrubbed again with every secret the transcript
    /// saw. The run's own reports are rendered from it, so they match the bundle's.
    pub model: RunReport,
    pub stamp: BundleStamp,
    pub files: usize,
    pub transcript_entries: usize,
}

/// Gathers a run's evidence and writes the bundle.
pub struct Collector {
    out: PathBuf,
    key: Option<SigningKey>,
    recorder: Arc<Recorder>,
    binary: BinaryHash,
    started: chrono::DateTime<chrono::Utc>,
    clock: Instant,
    invocation: Invocation,
    inputs: BTreeMap<String, Input>,
    not_bundled: Vec<String>,
    /// The target's credentials and the simulator fixture's secrets: scrubbed from everything.
    target_secrets: Vec<String>,
    virtual_clock: String,
}

impl Collector {
    /// Before the run: finds the signing key (`--sign-key FILE`, else `$OBH_SIGN_KEY`, else
    /// none: an unsigned bundle, which `warn` is told about), turns the transcript on, starts
    /// hashing the binary.
    pub fn start(out: &Path, sign_key: Option<&Path>, warn: &mut dyn FnMut(String)) -> Result<Collector, String> {
        if out.is_dir() {
            return Err(format!("--evidence {}: is a directory; give the bundle's file name", out.display()));
        }
        let key = SigningKey::find(sign_key, warn)?;
        if key.is_none() {
            warn(format!(
                "the evidence bundle will not be signed (no --sign-key FILE, no ${}): it shows changes made by accident, not by someone who re-makes it",
                super::sign::KEY_ENV
            ));
        }
        let recorder = Arc::new(Recorder::new());
        if !crate::target::record::install(recorder.clone()) {
            return Err("one evidence bundle per process: a recorder is installed already".into());
        }
        Ok(Collector {
            out: out.to_path_buf(),
            key,
            recorder,
            binary: BinaryHash::start(),
            started: chrono::Utc::now(),
            clock: Instant::now(),
            invocation: Invocation::now(),
            inputs: BTreeMap::new(),
            not_bundled: Vec::new(),
            target_secrets: Vec::new(),
            virtual_clock: String::new(),
        })
    }

    /// Adds an input file as the run read it (read now, before the run).
    pub fn input(&mut self, role: Role, path: &Path) {
        let at = input_path(path);
        if self.inputs.contains_key(&at) {
            return;
        }
        match crate::scenario::input::read_text(path) {
            Ok(text) => {
                self.inputs.insert(at, Input { role, source: path.display().to_string(), text });
            }
            Err(e) => self.not_bundled.push(format!("{}: {}", path.display(), e.message)),
        }
    }

    /// Adds scenario files and, recursively, the fragments they include.
    pub fn scenarios<'a>(&mut self, paths: impl IntoIterator<Item = &'a Path>) {
        let mut todo: Vec<(Role, PathBuf)> = paths.into_iter().map(|p| (Role::Scenario, p.to_path_buf())).collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some((role, path)) = todo.pop() {
            let at = input_path(&path);
            if !seen.insert(at.clone()) {
                continue;
            }
            self.input(role, &path);
            if let Some(input) = self.inputs.get(&at) {
                todo.extend(includes(&path, &input.text).into_iter().map(|p| (Role::Fragment, p)));
            }
        }
    }

    /// The target: its credentials (to scrub) and its clock.
    pub fn target(&mut self, target: &Target) {
        let p = &target.profile;
        let mut secrets = Vec::new();
        for var in
            [&p.credentials.client_secret_env, &p.credentials.user_token_env, &p.admin_token_env].into_iter().flatten()
        {
            if let Ok(v) = std::env::var(var) {
                secrets.push(v);
            }
        }
        secrets.extend(p.data.iter().filter(|(k, _)| is_secret_key(k)).map(|(_, v)| v.clone()));
        secrets.extend(target.admin_token.clone());
        let simulator = target.is_embedded() || target.admin_token.is_some() || p.admin_token_env.is_some();
        if target.is_embedded() || target.admin_token.is_some() {
            let f = crate::sim::SimConfig::embedded().fixture;
            secrets.push(f.institution.client_secret);
            secrets.push(f.institution.wd_pass_phrase);
        }
        self.target_secrets.extend(secrets.into_iter().filter(|s| !s.is_empty()));
        self.virtual_clock = if target.is_embedded() {
            format!(
                "the embedded simulator's virtual clock: each scenario has a simulator of its own whose clock starts at {}",
                crate::sim::config::embedded_clock_start().to_rfc3339()
            )
        } else if target.admin_token.is_some() {
            format!(
                "the virtual clock of the simulator this run started at {}, starting at {}; journal entries' `at` are on it",
                target.base_url_label(),
                crate::sim::config::embedded_clock_start().to_rfc3339()
            )
        } else if simulator {
            format!(
                "the virtual clock of the obharness simulator at {} (reset before each scenario); journal entries' `at` are on it",
                target.base_url_label()
            )
        } else {
            format!(
                "none of ours: {} keeps its own time; requests carry the harness's wall clock",
                target.base_url_label()
            )
        };
    }

    /// Writes the bundle of `report`; returns what the run's own HTML and Markdown reports
    /// must show. Nothing is written when a secret would end up in a file.
    pub fn finish(self, report: &RunReport) -> Result<Written, String> {
        let finished = chrono::Utc::now();
        let created_at = finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let issued = self.recorder.secrets();
        let mut all_secrets: Vec<String> = self.target_secrets.iter().cloned().chain(issued).collect();
        all_secrets.sort();
        all_secrets.dedup();
        let scrubber = self.recorder.scrubber(&self.target_secrets);

        // The run model, scrubbed again with every secret the transcript saw (a no-op for a run
        // whose own redaction caught everything), and its renderings from that one model.
        let mut model = report.clone();
        scrubber.run(&mut model);
        let mut files: Vec<(FileEntry, Vec<u8>)> = Vec::new();
        push_file(&mut files, RUN_JSON, Role::RunModel, None, 0, render(|w| report::json::write(&model, w))?);
        push_file(&mut files, JUNIT, Role::Junit, None, 0, render(|w| report::junit::write(&model, w))?);

        let mut not_bundled = self.not_bundled.clone();
        for (at, input) in &self.inputs {
            let mut text = input.text.clone();
            let mut n = 0;
            if input.role == Role::Target {
                let (t, k) = redact_yaml_secret_values(&text);
                text = t;
                n += k;
            }
            n += scrub_plain(&mut text, &self.target_secrets);
            push_file(&mut files, at, input.role, Some(input.source.clone()), n, text.into_bytes());
        }
        let mut bundled: Vec<String> = files.iter().map(|(f, _)| f.path.clone()).collect();
        for snap in self.recorder.snapshots() {
            let at = input_path(&snap);
            if bundled.contains(&at) {
                continue;
            }
            match std::fs::read(&snap) {
                Ok(bytes) => {
                    let mut text = String::from_utf8_lossy(&bytes).into_owned();
                    let n = scrub_plain(&mut text, &self.target_secrets);
                    let data = if n == 0 { bytes } else { text.into_bytes() };
                    bundled.push(at.clone());
                    push_file(&mut files, &at, Role::Golden, Some(snap.display().to_string()), n, data);
                }
                // A snapshot a step consulted but that is not there (a missing one under CI).
                Err(e) => not_bundled.push(format!("{}: {e}", snap.display())),
            }
        }

        let order: Vec<String> = model.scenarios.iter().map(|s| s.id.clone()).collect();
        let chain = super::transcript::chain_of(self.recorder.finish(&order, &scrubber));
        push_file(&mut files, TRANSCRIPT, Role::Transcript, None, 0, chain.text.clone().into_bytes());

        let moved: Vec<String> = model
            .scenarios
            .iter()
            .filter(|s| s.steps.iter().any(|st| st.action.starts_with("advance_clock")))
            .map(|s| s.id.clone())
            .collect();
        let tool = self.binary.tool();
        let mut invocation = self.invocation.clone();
        for arg in &mut invocation.argv {
            scrub_plain(arg, &all_secrets);
        }
        let offset = chrono::Local::now().offset().to_string();
        let facts = Facts {
            tool: tool.clone(),
            machine: Machine::now(),
            clocks: Clocks {
                real_started_at: self.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                real_finished_at: created_at.clone(),
                real_utc_offset: offset,
                monotonic_ms: self.clock.elapsed().as_millis() as u64,
                virtual_clock: self.virtual_clock.clone(),
                virtual_clock_moved_by: moved,
            },
            command: invocation,
            not_bundled,
        };
        let mut facts_json = serde_json::to_vec_pretty(&facts).map_err(|e| e.to_string())?;
        facts_json.push(b'\n');
        push_file(&mut files, FACTS, Role::Facts, None, 0, facts_json);

        files.sort_by(|a, b| a.0.path.as_bytes().cmp(b.0.path.as_bytes()));
        let entries: Vec<FileEntry> = files.iter().map(|(f, _)| f.clone()).collect();
        let signer = self.key.as_ref().map(|k| k.public().fingerprint());
        let stamp = BundleStamp { digest: digest(&entries), signer: signer.clone() };
        push_file(
            &mut files,
            HTML,
            Role::Html,
            None,
            0,
            render(|w| report::html::write_conformance_stamped(&model, Some(&stamp), w))?,
        );
        push_file(
            &mut files,
            MARKDOWN,
            Role::Markdown,
            None,
            0,
            render(|w| report::markdown::write_conformance_stamped(&model, Some(&stamp), w))?,
        );
        files.sort_by(|a, b| a.0.path.as_bytes().cmp(b.0.path.as_bytes()));

        // The last line of defence: no file of the bundle holds a secret value.
        let findable: Vec<&String> = all_secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_CHARS).collect();
        let finder = SecretFinder::new(&findable);
        if let Some((f, _)) = files.iter().find(|(_, data)| finder.found_in(data)) {
            return Err(format!(
                "a secret value would have been written into {} of the bundle (a bug: please report it); no bundle was written",
                f.path
            ));
        }

        let manifest = Manifest {
            format: FORMAT.into(),
            kind: model.kind.to_string(),
            created_at,
            tool,
            signer,
            bundle_digest: stamp.digest.clone(),
            transcript: TranscriptInfo { path: TRANSCRIPT.into(), entries: chain.entries, head: chain.head.clone() },
            files: files.iter().map(|(f, _)| f.clone()).collect(),
        };
        let mut manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
        manifest_json.push(b'\n');
        let mut archive = vec![tar::Entry { path: MANIFEST.into(), data: manifest_json.clone() }];
        if let Some(key) = &self.key {
            archive.push(tar::Entry { path: SIGNATURE.into(), data: key.sign(&manifest_json) });
            archive.push(tar::Entry { path: SIGNER.into(), data: key.public().to_pem().into_bytes() });
        }
        let n = files.len();
        archive.extend(files.into_iter().map(|(f, data)| tar::Entry { path: f.path, data }));
        let bytes = tar::write(&archive, finished.timestamp().max(0) as u64).map_err(|e| e.to_string())?;
        write_atomically(&self.out, &bytes)?;
        Ok(Written { path: self.out, model, stamp, files: n, transcript_entries: chain.entries })
    }
}

fn push_file(
    files: &mut Vec<(FileEntry, Vec<u8>)>,
    path: &str,
    role: Role,
    source: Option<String>,
    redactions: usize,
    data: Vec<u8>,
) {
    let entry = FileEntry {
        path: path.into(),
        role,
        sha256: super::sha256_hex(&data),
        size: data.len() as u64,
        source,
        redactions,
    };
    files.push((entry, data));
}

fn render(f: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    f(&mut buf).map_err(|e| format!("cannot render a report: {e}"))?;
    Ok(buf)
}

/// Finds any of many secret values in a file in one pass (hundreds of issued tokens against
/// megabytes of transcript).
struct SecretFinder<'a> {
    set: Option<regex::bytes::Regex>,
    secrets: &'a [&'a String],
}

impl<'a> SecretFinder<'a> {
    fn new(secrets: &'a [&'a String]) -> SecretFinder<'a> {
        let pattern = secrets.iter().map(|s| regex::escape(s)).collect::<Vec<_>>().join("|");
        let set = (!secrets.is_empty())
            .then(|| regex::bytes::RegexBuilder::new(&pattern).size_limit(512 << 20).build().ok())
            .flatten();
        SecretFinder { set, secrets }
    }

    fn found_in(&self, data: &[u8]) -> bool {
        match &self.set {
            Some(re) => re.is_match(data),
            // Too many to compile at once: one at a time.
            None => {
                let text = String::from_utf8_lossy(data);
                self.secrets.iter().any(|s| text.contains(s.as_str()))
            }
        }
    }
}

/// Writes the bundle to a temporary file beside `path` and renames it into place: a failed or
/// killed run never leaves half a bundle.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_through_temp(path, bytes, 0o644)
}

/// Writes a file through a temporary one beside it, created new with `mode` (so a private key
/// is never readable by others, not even for a moment), synced, then renamed into place.
pub(crate) fn write_through_temp(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    // A temporary file left by a killed run of this process id would make create_new fail.
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_paths_keep_the_layout_and_stay_inside_the_bundle() {
        assert_eq!(input_path(Path::new("scenarios/conformance/a.yaml")), "inputs/scenarios/conformance/a.yaml");
        assert_eq!(
            input_path(Path::new("scenarios/conformance/ip/../../fragments/deposit-1000.yaml")),
            "inputs/scenarios/fragments/deposit-1000.yaml"
        );
        assert_eq!(input_path(Path::new("./golden/X/01-a.snap")), "inputs/golden/X/01-a.snap");
        assert_eq!(input_path(Path::new("../elsewhere/t.yaml")), "inputs/_up/elsewhere/t.yaml");
        assert_eq!(input_path(Path::new("/tmp/../x/t.yaml")), "inputs/_root/x/t.yaml");
        assert_eq!(input_path(Path::new("/../x/t.yaml")), "inputs/_root/_up/x/t.yaml");
        let long = format!("{}/t.yaml", "d/".repeat(200));
        let p = input_path(Path::new(&long));
        assert!(p.starts_with("inputs/_long/") && p.ends_with("-t.yaml") && tar::fits(&p), "{p}");
    }

    #[test]
    fn secret_values_in_a_target_profile_are_redacted_and_nothing_else_changes() {
        let text = "name: t # the target\r\ncredentials:\n  client_secret_env: OBH_CLIENT_SECRET\ndata:\n  wd_pass_phrase: \"s3cr3t\"   # 암호문구\n  user_name: 테스트\n  \"api_key\": abc\n";
        let (out, n) = redact_yaml_secret_values(text);
        assert_eq!(n, 2);
        assert_eq!(
            out,
            "name: t # the target\r\ncredentials:\n  client_secret_env: OBH_CLIENT_SECRET\ndata:\n  wd_pass_phrase: \"[redacted]\"   # 암호문구\n  user_name: 테스트\n  \"api_key\": \"[redacted]\"\n"
        );
        assert_eq!(redact_yaml_secret_values(&out), (out.clone(), 0), "idempotent");
        let quoted = "data:\n  wd_pass_phrase: \"pass # word\" # comment\n  client_secret: |\n    line one\n\n    line two\n  user: u\n";
        assert_eq!(
            redact_yaml_secret_values(quoted),
            (
                "data:\n  wd_pass_phrase: \"[redacted]\" # comment\n  client_secret: \"[redacted]\"\n  user: u\n"
                    .to_string(),
                2
            )
        );
    }

    #[test]
    fn secrets_are_found_among_many() {
        let many: Vec<String> = (0..500).map(|i| format!("eyJ{i:04}.token-value-{i}")).collect();
        let refs: Vec<&String> = many.iter().collect();
        let finder = SecretFinder::new(&refs);
        assert!(finder.found_in(b"... \"access_token\": \"eyJ0417.token-value-417\" ..."));
        assert!(!finder.found_in(b"eyJ0417.token-value-41 and [redacted]"));
        assert!(!SecretFinder::new(&[]).found_in(b"anything"));
    }

    #[test]
    fn plain_scrubbing_counts_and_skips_short_values() {
        let mut t = "a obh-sim-secret b obh-sim-secret NONE".to_string();
        assert_eq!(scrub_plain(&mut t, &["obh-sim-secret".into(), "NONE".into()]), 2);
        assert_eq!(t, "a [redacted] b [redacted] NONE");
    }

    #[test]
    fn includes_are_found_under_steps_and_setup() {
        let text = "id: X\nsteps:\n  - include: ../fragments/a.yaml\n  - call: user.me\nsetup:\n  - include: b.yaml\n";
        assert_eq!(
            includes(Path::new("s/c/x.yaml"), text),
            [PathBuf::from("s/c/../fragments/a.yaml"), PathBuf::from("s/c/b.yaml")]
        );
    }

    #[test]
    fn the_digest_leaves_out_the_reports_that_print_it() {
        let f = |path: &str, role: Role| FileEntry {
            path: path.into(),
            role,
            sha256: super::super::sha256_hex(path.as_bytes()),
            size: 1,
            source: None,
            redactions: 0,
        };
        let base = vec![f(RUN_JSON, Role::RunModel), f(TRANSCRIPT, Role::Transcript)];
        let mut with_reports = base.clone();
        with_reports.insert(1, f(HTML, Role::Html));
        with_reports.insert(2, f(MARKDOWN, Role::Markdown));
        assert_eq!(digest(&base), digest(&with_reports));
        let mut changed = base.clone();
        changed[0].sha256 = "0".repeat(64);
        assert_ne!(digest(&base), digest(&changed));
        let list = format!("{}  {RUN_JSON}\n{}  {TRANSCRIPT}\n", base[0].sha256, base[1].sha256);
        assert_eq!(digest(&base), format!("sha256:{}", super::super::sha256_hex(list.as_bytes())));
    }
}
