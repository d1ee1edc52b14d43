//! What each subcommand does, given its options (declared here with clap, parsed by
//! `main.rs`): one file per subcommand, and what they share here (report files, evidence
//! options, the target, signals).

/// `println!` for a command's own output. A closed stdout (`obharness run | head -2`) ends the
/// process quietly ([`exit::BROKEN_PIPE`]) instead of a panic in every task that prints.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            $crate::exit::quit_on_broken_pipe(&e);
        }
    }};
}

mod certify;
mod diff;
mod load;
mod reports;
mod run;

pub use certify::{CertifyCommand, certify};
pub use diff::{DiffCommand, diff};
pub use load::{LoadCommand, load};
pub use reports::{MergeCommand, merge, report, rerender};
pub use run::{RunCommand, run};

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::conform::{self, RunOptions};
use crate::exit;
use crate::golden::GoldenMode;
use crate::report::{self, terminal};
use crate::sim::Quirk;
use crate::target::Target;

pub use crate::evidence::command::EvidenceOut;

/// A signed evidence bundle of the run, for run and certify-client.
#[derive(clap::Args)]
pub struct EvidenceArgs {
    /// Write an evidence bundle of the run (reports, inputs, transcript, facts; `obharness
    /// verify` checks it).
    #[arg(long, value_name = "FILE.obh")]
    pub evidence: Option<PathBuf>,
    /// Sign the bundle with this Ed25519 private key (`obharness keygen`); default: the key in
    /// $OBH_SIGN_KEY, else unsigned.
    #[arg(long, value_name = "FILE", requires = "evidence")]
    pub sign_key: Option<PathBuf>,
}

impl EvidenceArgs {
    /// The bundle to write, if one was asked for.
    pub fn out(&self) -> Option<EvidenceOut> {
        self.evidence.clone().map(|file| EvidenceOut { file, sign_key: self.sign_key.clone() })
    }

    /// Starts collecting the bundle, when one was asked for, before the first request, with
    /// the scenario files; a key that cannot be read is the user's to fix (the exit code).
    fn start<'a>(
        &self,
        scenarios: impl Iterator<Item = &'a Path>,
    ) -> Result<Option<crate::evidence::bundle::Collector>, u8> {
        match self.out().as_ref().map(crate::evidence::command::start).transpose() {
            Ok(mut collector) => {
                if let Some(c) = &mut collector {
                    c.scenarios(scenarios);
                }
                Ok(collector)
            }
            Err(why) => {
                eprintln!("error: {why}");
                Err(exit::USAGE)
            }
        }
    }
}

/// Human-facing report files, shared by run, load and certify-client.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Outputs {
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write a Markdown summary (for CI job summaries).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the HTML report to reports/<kind>-<timestamp>.html.
    #[arg(long)]
    pub report: bool,
}

impl Outputs {
    fn html_path(&self, kind: &str) -> Option<PathBuf> {
        self.html.clone().or_else(|| {
            self.report
                .then(|| PathBuf::from(format!("reports/{kind}-{}.html", chrono::Local::now().format("%Y%m%d-%H%M%S"))))
        })
    }
}

/// Reads an expected-failures file: one scenario id per line, `#` comments.
pub fn read_expected_failures(path: &Path) -> anyhow::Result<HashSet<String>> {
    let text = crate::scenario::input::read_text(path)
        .map_err(|e| exit::usage(format!("{}: {}", path.display(), e.message)))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

fn write_file(path: &Path, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Written whole to a temporary file and renamed, so a failed run leaves no partial report.
    let tmp = path.with_extension("tmp");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?,
    );
    render(&mut f).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.flush()?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    // Every report file written is named, so a CI log says where to look.
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("xml") => "JUnit",
        Some("json") => "JSON",
        Some("html") => "HTML",
        Some("md") => "Markdown",
        _ => "report",
    };
    say!("{kind} report: {}", path.display());
    Ok(())
}

/// The target of `--target FILE` (or the embedded simulator with `quirks`); `None` after
/// printing why the profile does not load.
fn target_or_report(path: Option<&Path>, quirks: &[Quirk]) -> Option<Target> {
    match path {
        Some(path) => match Target::load(path, quirks.to_vec()) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("{e}");
                None
            }
        },
        None => Some(Target::embedded(quirks.to_vec())),
    }
}

/// Raises `interruption` on SIGINT (Ctrl-C) and SIGTERM.
fn watch_signals(runtime: &tokio::runtime::Runtime, interruption: Arc<exit::Interruption>) -> anyhow::Result<()> {
    let on_int = interruption.clone();
    let _ = ctrlc::set_handler(move || on_int.raise("SIGINT"));
    #[cfg(unix)]
    {
        let _in_runtime = runtime.enter();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        runtime.spawn(async move {
            if term.recv().await.is_some() {
                interruption.raise("SIGTERM");
            }
        });
    }
    Ok(())
}

/// Writes a conformance-shaped run's failures, report files and summary; the exit code.
/// Seals the evidence bundle when one is being written (its copy of the model is what the
/// reports render), writes the reports and returns the exit code.
fn finish_bundled(
    report: &report::RunReport,
    evidence: Option<crate::evidence::bundle::Collector>,
    style: &terminal::Style,
    junit: Option<&Path>,
    json: Option<&Path>,
    outputs: &Outputs,
    kind: &str,
) -> anyhow::Result<u8> {
    let bundle = evidence.map(|c| crate::evidence::command::finish(c, report));
    let report = bundle.as_ref().and_then(|b| b.model()).unwrap_or(report);
    let code = finish_run(report, style, junit, json, outputs, kind, bundle.as_ref())?;
    Ok(crate::evidence::command::exit_code(code, bundle.as_ref()))
}

fn finish_run(
    report: &report::RunReport,
    style: &terminal::Style,
    junit: Option<&Path>,
    json: Option<&Path>,
    outputs: &Outputs,
    kind: &str,
    bundle: Option<&crate::evidence::command::Bundled>,
) -> anyhow::Result<u8> {
    // The run's own HTML and Markdown name the bundle they belong to, as the bundle's copies do.
    let stamp = bundle.and_then(|b| b.stamp());
    let stdout = &mut std::io::stdout();
    terminal::write_failures(report, style, stdout)?;
    if let Some(path) = junit {
        write_file(path, |w| report::junit::write(report, w))?;
    }
    if let Some(path) = json {
        write_file(path, |w| report::json::write(report, w))?;
    }
    if let Some(path) = outputs.html_path(kind) {
        write_file(&path, |w| report::html::write_conformance_stamped(report, stamp, w))?;
    }
    if let Some(path) = &outputs.markdown {
        write_file(path, |w| report::markdown::write_conformance_stamped(report, stamp, w))?;
    }
    terminal::write_summary(report, style, stdout)?;
    Ok(if report.is_success() { exit::SUCCESS } else { exit::FAILURES })
}

/// A duration as profiles write it (`30m`, `1s`), for options.
pub fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    crate::load::profile::Span::parse(s).map(|s| s.0)
}

/// `obharness schema scenario|target`: the JSON Schema of a file format.
pub fn schema(what: &str) -> anyhow::Result<String> {
    let schema = match what {
        "scenario" => schemars::schema_for!(crate::scenario::model::Scenario),
        "fragment" => schemars::schema_for!(crate::scenario::model::Fragment),
        "target" => schemars::schema_for!(crate::target::TargetProfile),
        other => return Err(exit::usage(format!("unknown schema '{other}': scenario, fragment or target"))),
    };
    Ok(serde_json::to_string_pretty(&schema)?)
}

/// Parses `10%` or `10` as a percentage.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    s.trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("'{s}' is not a percentage such as 10%"))
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// `obharness import postman`: writes the scenarios, lists what was left out; exit 1 when
/// something was, 2 when the collection cannot be read.
pub fn import_postman(collection: &Path, env: Option<&Path>, out: &Path) -> anyhow::Result<u8> {
    let report = match crate::import::postman::import(collection, env, out) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    for file in &report.written {
        say!("wrote {}", file.display());
    }
    for s in &report.skipped {
        say!("not converted: {}: {}", s.item, s.why);
    }
    say!(
        "{} scenario(s) written, {} item(s) not converted; check them with `obharness run {}`",
        report.written.len(),
        report.skipped.len(),
        out.display()
    );
    Ok(if report.skipped.is_empty() { exit::SUCCESS } else { exit::FAILURES })
}
