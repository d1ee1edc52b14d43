//! The evidence subcommands: `obharness keygen`, `obharness verify` and `obharness report
//! FILE.obh`, each returning its exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::bundle::{Collector, Written};
use super::sign::{self, PublicKey};
use super::verify::{self, Signer, Verdict};
use crate::exit;
use crate::report::RunReport;
use crate::report::stamp::BundleStamp;

fn say(out: &mut dyn Write, line: &str) -> anyhow::Result<()> {
    writeln!(out, "{line}")?;
    Ok(())
}

/// A line of a run's own output (a closed stdout ends the process quietly).
fn tell(line: &str) {
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}") {
        exit::quit_on_broken_pipe(&e);
    }
}

/// `--evidence FILE [--sign-key FILE]` of `run` and `certify-client`.
#[derive(Debug, Clone)]
pub struct EvidenceOut {
    pub file: PathBuf,
    pub sign_key: Option<PathBuf>,
}

/// Before a run: the collector (the key is read now, so a bad key costs no run).
pub fn start(e: &EvidenceOut) -> Result<Collector, String> {
    Collector::start(&e.file, e.sign_key.as_deref(), &mut |w| eprintln!("warning: {w}"))
}

/// A bundle written, or why not.
#[derive(Debug)]
pub struct Bundled(Result<Written, String>);

impl Bundled {
    /// What the run's own HTML and Markdown reports name.
    pub fn stamp(&self) -> Option<&BundleStamp> {
        self.0.as_ref().ok().map(|w| &w.stamp)
    }

    /// The run model as bundled, which the run's own reports should show.
    pub fn model(&self) -> Option<&RunReport> {
        self.0.as_ref().ok().map(|w| &w.model)
    }
}

/// After a run: writes the bundle and says so.
pub fn finish(c: Collector, report: &RunReport) -> Bundled {
    match c.finish(report) {
        Ok(w) => {
            tell(&format!(
                "Evidence bundle: {} ({} files, a transcript of {} entries, {}; digest {})",
                w.path.display(),
                w.files,
                w.transcript_entries,
                match &w.stamp.signer {
                    Some(f) => format!("signed by Ed25519 key {f}"),
                    None => "UNSIGNED".to_string(),
                },
                w.stamp.digest
            ));
            Bundled(Ok(w))
        }
        Err(e) => {
            eprintln!("error: the evidence bundle was not written: {e}");
            Bundled(Err(e))
        }
    }
}

/// The run's exit code, or [`exit::RUNTIME`] when its bundle could not be written.
pub fn exit_code(code: u8, bundle: Option<&Bundled>) -> u8 {
    match bundle {
        Some(Bundled(Err(_))) => exit::RUNTIME,
        _ => code,
    }
}

/// Whether a file is a bundle (a ustar archive) rather than a run's JSON.
pub fn is_bundle(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 263];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head[257..262] == b"ustar"
}

/// A report file in the temporary directory, for `--html` without a file.
pub fn temp_report(stem: &str, ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{stem}-{}.{ext}", std::process::id()))
}

/// `obharness keygen FILE [--force]`: a new Ed25519 key pair, FILE (private, mode 0600) and
/// FILE.pub.
pub fn keygen(path: &Path, force: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    match sign::keygen(path, force) {
        Ok(g) => {
            say(out, &format!("private key: {} (keep it secret; mode 0600)", g.private.display()))?;
            say(out, &format!("public key:  {} (hand it to whoever verifies your bundles)", g.public.display()))?;
            say(out, &format!("fingerprint: {}", g.fingerprint))?;
            say(out, &format!("sign a run:  obharness run --evidence run.obh --sign-key {}", g.private.display()))?;
            Ok(exit::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(match e {
                sign::KeygenError::Exists(_) => exit::USAGE,
                sign::KeygenError::Failed(_) => exit::RUNTIME,
            })
        }
    }
}

/// `obharness verify FILE.obh [--pubkey FILE]`: prints the verdict; 0 valid, 1 tampered,
/// 2 unreadable (or an unreadable --pubkey).
pub fn verify(bundle: &Path, pubkey: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let expected = match pubkey.map(PublicKey::load).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: --pubkey {e}");
            return Ok(exit::USAGE);
        }
    };
    let verdict = verify::verify(bundle, expected.as_ref());
    print_verdict(bundle, &verdict, out)
}

fn print_verdict(bundle: &Path, verdict: &Verdict, out: &mut dyn Write) -> anyhow::Result<u8> {
    match verdict {
        Verdict::Unreadable { why } => {
            eprintln!("error: {why}");
            Ok(exit::USAGE)
        }
        Verdict::Tampered { item, why } => {
            say(out, &format!("TAMPERED  {}", bundle.display()))?;
            say(out, &format!("  {item}: {why}"))?;
            Ok(exit::FAILURES)
        }
        Verdict::Valid(v) => {
            let m = &v.manifest;
            let headline = match &v.signer {
                Signer::Expected(f) => {
                    format!("VALID  {}  signed by Ed25519 key {f} (the key given)", bundle.display())
                }
                Signer::Embedded(f) => format!(
                    "VALID  {}  signed by Ed25519 key {f} (the key it carries: pass --pubkey to check it is the key you expect)",
                    bundle.display()
                ),
                Signer::Unsigned => format!(
                    "INTACT, UNSIGNED  {}  the files match the manifest, but nothing shows who made it: anyone could have (re)made this bundle",
                    bundle.display()
                ),
            };
            say(out, &headline)?;
            say(out, &format!("  made     {} by {}", m.created_at, m.tool.describe()))?;
            say(out, &format!("  binary   sha256 {}", m.tool.binary_sha256))?;
            let r = &v.run;
            let target = if r.target.name.contains(&r.target.base_url) {
                r.target.name.clone()
            } else {
                format!("{} ({})", r.target.name, r.target.base_url)
            };
            say(out, &format!("  run      {} against {target}, started {}", r.kind, r.started_at))?;
            if !r.target.quirks.is_empty() {
                say(out, &format!("  QUIRKS   {} (a demonstration, not a certification)", r.target.quirks.join(", ")))?;
            }
            say(out, &format!("  results  {}", results_line(r)))?;
            for missing in &v.not_bundled {
                say(out, &format!("  note     read by the run but not in the bundle: {missing}"))?;
            }
            say(out, &format!("  digest   {}", m.bundle_digest))?;
            say(
                out,
                &format!(
                    "  checked  {} files and their SHA-256, the transcript's chain of {} entries, {}, {}",
                    v.files,
                    m.transcript.entries,
                    if v.signer == Signer::Unsigned { "no signature (unsigned)" } else { "the signature" },
                    if v.reports_rerendered {
                        "the reports against the run model (rendered again)".to_string()
                    } else {
                        format!(
                            "not the reports against the run model: made by {}, this is obharness {} (commit {}); check with that build",
                            m.tool.describe(),
                            env!("CARGO_PKG_VERSION"),
                            super::facts::GIT_COMMIT
                        )
                    }
                ),
            )?;
            Ok(exit::SUCCESS)
        }
    }
}

/// `83 scenarios: 83 passed, 0 failed, 0 skipped — PASS`, counted as the terminal summary
/// counts (warnings and expected failures as passed; errors and unexpected passes as failed).
fn results_line(r: &RunReport) -> String {
    use crate::report::terminal::Verdict;
    let count = |vs: &[Verdict]| r.scenarios.iter().filter(|s| vs.contains(&Verdict::of(s))).count();
    format!(
        "{} scenarios: {} passed, {} failed, {} skipped — {}",
        r.scenarios.len(),
        count(&[Verdict::Pass, Verdict::Warn, Verdict::XFail]),
        count(&[Verdict::Fail, Verdict::Error, Verdict::XPass]),
        count(&[Verdict::Skip]),
        if r.is_success() { "PASS" } else { "FAIL" }
    )
}

/// `obharness report FILE.obh --html [OUT] --markdown [OUT]`: the bundle's own reports,
/// extracted after the bundle is checked. A bundle that does not verify still gives its
/// report, with a warning, and exit 1.
pub fn report(bundle: &Path, html: Option<Option<PathBuf>>, markdown: Option<Option<PathBuf>>) -> anyhow::Result<u8> {
    let opened = match verify::open(bundle) {
        Ok(o) => o,
        Err(Verdict::Unreadable { why }) => {
            eprintln!("error: {why}");
            return Ok(exit::USAGE);
        }
        Err(Verdict::Tampered { item, why }) => {
            eprintln!("error: {}: {item}: {why}", bundle.display());
            return Ok(exit::FAILURES);
        }
        Err(Verdict::Valid(_)) => unreachable!("open does not judge"),
    };
    let mut code = exit::SUCCESS;
    match verify::check(&opened, None) {
        Verdict::Valid(v) if v.signer == Signer::Unsigned => {
            eprintln!("note: {} is unsigned: its files are intact, but nothing shows who made it", bundle.display())
        }
        Verdict::Valid(_) => {}
        Verdict::Tampered { item, why } => {
            eprintln!(
                "WARNING: {} does not verify ({item}: {why}); the report written is as found, not evidence",
                bundle.display()
            );
            code = exit::FAILURES;
        }
        Verdict::Unreadable { why } => {
            eprintln!("error: {why}");
            return Ok(exit::USAGE);
        }
    }
    let stem = bundle.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
    for (want, inside, ext) in [(html, super::bundle::HTML, "html"), (markdown, super::bundle::MARKDOWN, "md")] {
        let Some(out) = want else { continue };
        let Some(data) = opened.files.get(inside) else {
            eprintln!("error: {}: holds no {inside}", bundle.display());
            return Ok(exit::USAGE);
        };
        let label = if ext == "html" { "HTML" } else { "Markdown" };
        match out {
            Some(path) => {
                super::bundle::write_atomically(&path, data).map_err(anyhow::Error::msg)?;
                tell(&format!("{label} report: {}", path.display()));
            }
            None if ext == "md" => std::io::stdout().write_all(data)?,
            None => {
                let path = temp_report(&stem, ext);
                super::bundle::write_atomically(&path, data).map_err(anyhow::Error::msg)?;
                tell(&format!("{label} report: {}", path.display()));
                open_in_browser(&path);
            }
        }
    }
    Ok(code)
}

/// Opens a file with the desktop's viewer when a person is at the terminal; otherwise (a pipe,
/// CI) the path printed is all.
pub fn open_in_browser(path: &Path) {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || std::env::var_os("CI").is_some() {
        return;
    }
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let spawned = cmd
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!("note: no viewer to open {} with; open it in a browser", path.display());
    }
}
