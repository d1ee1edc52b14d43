//! What each subcommand does, given its parsed options; `main.rs` only parses arguments.

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
}

#[derive(clap::Args)]
pub struct RunCommand {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios/conformance")]
    pub paths: Vec<PathBuf>,
    /// Target profile (scenarios/targets/NAME.yaml); default: the embedded simulator.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Scenarios at a time (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Only scenarios whose id or title contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only scenarios with this tag (repeatable: all must match).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Stop starting scenarios after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Start the embedded simulator with a defect mode (repeatable), to see the suite bite.
    #[arg(long = "sim-quirk", value_enum, value_name = "NAME")]
    pub sim_quirks: Vec<Quirk>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Scenario ids expected to fail (one per line); their failure passes, their passing fails.
    #[arg(long, value_name = "FILE")]
    pub expected_failures: Option<PathBuf>,
    /// Write new and changed golden snapshots.
    #[arg(long)]
    pub bless: bool,
    /// Where golden snapshots live.
    #[arg(long, default_value = "golden", value_name = "DIR")]
    pub golden_dir: PathBuf,
    #[command(flatten)]
    pub outputs: Outputs,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
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

/// `obharness run`: returns the exit code.
pub fn run(cmd: RunCommand) -> anyhow::Result<u8> {
    let scenarios = match crate::scenario::load(&cmd.paths) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(exit::USAGE);
        }
    };
    let unfiltered = cmd.filter.is_none() && cmd.tags.is_empty();
    let scenarios = conform::select(scenarios, cmd.filter.as_deref(), &cmd.tags);
    if scenarios.is_empty() {
        eprintln!("error: no scenario matches (paths {:?}, filter {:?}, tags {:?})", cmd.paths, cmd.filter, cmd.tags);
        return Ok(exit::USAGE);
    }
    let Some(target) = target_or_report(cmd.target.as_deref(), &cmd.sim_quirks) else {
        return Ok(exit::USAGE);
    };
    // Evidence starts before the first request (the target check is in the transcript too).
    let mut evidence = match cmd.evidence.out().as_ref().map(crate::evidence::command::start).transpose() {
        Ok(e) => e,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(c) = &mut evidence {
        use crate::evidence::Role;
        c.scenarios(scenarios.iter().map(|s| s.path.as_path()));
        for (role, file) in [(Role::Target, &cmd.target), (Role::ExpectedFailures, &cmd.expected_failures)] {
            if let Some(f) = file {
                c.input(role, f);
            }
        }
        c.target(&target);
    }
    let expected_failures = match &cmd.expected_failures {
        Some(p) => read_expected_failures(p)?,
        None => HashSet::new(),
    };
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let mut opts = RunOptions {
        fail_fast: cmd.fail_fast,
        expected_failures,
        golden_root: cmd.golden_dir.clone(),
        golden_mode: GoldenMode::from_flags(cmd.bless, ci),
        report_unused: unfiltered,
        ..RunOptions::default()
    };
    if let Some(j) = cmd.jobs {
        opts.jobs = j.max(1);
    }
    let style = terminal::Style::from_env();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    // A URL target is checked once: a missing token or a target that does not answer is one
    // message, not one per scenario. Not when every scenario is skipped for a capability the
    // target lacks: nothing would be sent.
    let capabilities = target.capabilities();
    let any_runs = scenarios.iter().any(|s| s.requires.is_subset(&capabilities));
    if !target.is_embedded()
        && any_runs
        && let Err(why) = runtime.block_on(crate::target::session::Session::check_target(&target))
    {
        eprintln!("error: target '{}' ({}): {why}", target.profile.name, target.base_url_label());
        return Ok(exit::of_session_error(&why));
    }
    let n = scenarios.len();
    say!("obharness run: {n} scenario(s) against {}", target.profile.name);
    if !target.quirks.is_empty() {
        let names: Vec<&str> = target.quirks.iter().map(|q| q.name()).collect();
        say!("  defect modes on (a demo, not a certification): {}", names.join(", "));
    }
    let progress_style = style;
    let progress: Arc<dyn Fn(&report::ScenarioResult) + Send + Sync> =
        Arc::new(move |r| say!("{}", terminal::scenario_line(r, &progress_style)));
    // Ctrl-C or SIGTERM: the scenarios still running stop, the run is reported (marked
    // interrupted) and exits 130 or 143 rather than dying without a report.
    watch_signals(&runtime, opts.interruption.clone())?;
    let mut report = runtime.block_on(conform::run(scenarios, Arc::new(target), &opts, progress));
    // Source order makes reports stable from run to run.
    report.scenarios.sort_by(|a, b| (a.source.as_str(), a.id.as_str()).cmp(&(b.source.as_str(), b.id.as_str())));
    let code = finish_bundled(
        &report,
        evidence,
        &style,
        cmd.junit.as_deref(),
        cmd.json.as_deref(),
        &cmd.outputs,
        "conformance",
    )?;
    Ok(opts.interruption.code().filter(|_| code != exit::RUNTIME).unwrap_or(code))
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

#[derive(clap::Args)]
pub struct LoadCommand {
    /// The load profile (scenarios/load/NAME.yaml).
    pub profile: PathBuf,
    /// Target profile; default: the profile's `target`, else the embedded simulator.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Write the run model (with HDR histograms) as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report (one testcase per threshold).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Compare p95, p99 and throughput per API with an earlier run's JSON.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest regression allowed against the baseline.
    #[arg(long, default_value = "10%", value_parser = parse_percent, value_name = "PERCENT")]
    pub max_regression: f64,
    /// Highest error rate (refused or failed requests) a run may have and pass, thresholds or
    /// not; overrides the profile's max_error_rate (default 1%).
    #[arg(long, value_parser = parse_percent, value_name = "PERCENT")]
    pub max_error_rate: Option<f64>,
    /// tokio worker threads (default: 1 against a URL target — fastest when it shares the
    /// machine, 62.6k vs 53.4k req/s with 2 on 2 cores — every core for the embedded simulator).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Run shard K of N of the profile, for a run across machines (docs/scale-out.md): K/N
    /// with 1 ≤ K ≤ N, or index=I/N with I from 0 (Kubernetes' JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "K/N", value_parser = crate::load::shard::Shard::parse)]
    pub shard: Option<crate::load::shard::Shard>,
    /// Start the measured window at this instant (RFC 3339, e.g. 2026-03-02T10:00:00Z), once
    /// the target answers; every shard of a run gets the same one.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
    /// How late after --start-at a start still counts as on time.
    #[arg(long, default_value = "1s", value_parser = parse_span, value_name = "DURATION")]
    pub start_tolerance: std::time::Duration,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// Live progress on the terminal (hidden when stdout is not one).
/// A load run's progress: a spinner on a terminal; on a pipe or CI log (where the spinner is
/// hidden), a status line every [`Bar::PLAIN_EVERY`], so a long run is not silent.
struct Bar {
    spinner: indicatif::ProgressBar,
    /// Stdout is not a terminal.
    plain: bool,
    /// When the last plain status line was printed.
    last_line: parking_lot::Mutex<std::time::Duration>,
}

impl Bar {
    const PLAIN_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

    fn new(spinner: indicatif::ProgressBar) -> Bar {
        use std::io::IsTerminal;
        Bar { spinner, plain: !std::io::stdout().is_terminal(), last_line: Default::default() }
    }
}

impl crate::load::Progress for Bar {
    fn tick(&self, elapsed: std::time::Duration, requests: u64, errors: u64, p99_us: u64) {
        let rate = requests as f64 / elapsed.as_secs_f64().max(0.001);
        let status = format!(
            "{:>5.1}s  {requests} requests  {rate:.0} req/s  p99 {:.2} ms  {errors} errors",
            elapsed.as_secs_f64(),
            p99_us as f64 / 1000.0
        );
        if self.plain {
            let mut last = self.last_line.lock();
            if elapsed >= *last + Self::PLAIN_EVERY {
                *last = elapsed;
                say!("  {status}");
            }
        }
        self.spinner.set_message(status);
        self.spinner.tick();
    }

    fn finish(&self) {
        self.spinner.finish_and_clear();
    }
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

/// `obharness load`: returns the exit code.
pub fn load(cmd: LoadCommand) -> anyhow::Result<u8> {
    // Read once: what is parsed is what the digest (a shard's proof of its profile) covers.
    let text = match crate::scenario::input::read_text(&cmd.profile) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return Ok(exit::USAGE);
        }
    };
    let mut plan = match crate::load::profile::parse(&cmd.profile, &text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(pct) = cmd.max_error_rate {
        if pct > 100.0 {
            eprintln!("error: --max-error-rate {pct}% is above 100%");
            return Ok(exit::USAGE);
        }
        plan.profile.max_error_rate = Some(crate::load::profile::Percent(pct));
    }
    let scale = match crate::load::shard::options(&mut plan, cmd.shard, cmd.start_at.as_deref(), &text) {
        Ok(s) => crate::load::shard::ScaleOptions { start_tolerance: cmd.start_tolerance, ..s },
        Err(e) => {
            eprintln!("error: {}: {e}", cmd.profile.display());
            return Ok(exit::USAGE);
        }
    };
    let target_file = cmd
        .target
        .clone()
        .or_else(|| plan.profile.target.as_ref().map(|t| cmd.profile.parent().unwrap_or(Path::new(".")).join(t)));
    let target = match &target_file {
        Some(path) => match Target::load(path, Vec::new()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e}");
                return Ok(exit::USAGE);
            }
        },
        None => Target::embedded(Vec::new()),
    };
    let baseline = match &cmd.baseline {
        Some(path) => {
            let text = crate::scenario::input::read_text_limited(path, crate::scenario::input::MAX_RUN_JSON_BYTES)
                .map_err(|e| exit::usage(format!("{}: {}", path.display(), e.message)))?;
            match serde_json::from_str::<report::model::LoadReport>(&text) {
                Ok(b) => Some(b),
                Err(e) => {
                    eprintln!("error: {}:{}:{}: not a load run's JSON: {e}", path.display(), e.line(), e.column());
                    return Ok(exit::USAGE);
                }
            }
        }
        None => None,
    };
    say!(
        "obharness load: {} against {} ({} model, {:.1}s)",
        plan.profile.name,
        target.profile.name,
        if matches!(plan.kind, crate::load::profile::ModelKind::Open { .. }) { "open" } else { "closed" },
        plan.duration.as_secs_f64()
    );
    if let Some(line) = crate::load::shard::describe(&plan, &scale) {
        say!("  {line}");
    }
    if cmd.shard.is_some() && cmd.json.is_none() {
        eprintln!("warning: --shard without --json: this shard's run cannot be merged");
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    // goose would take Ctrl-C over (and exit the process on a second one): ours stops the
    // attack gracefully instead, so the partial run is still reported, marked interrupted.
    let _ = ctrlc::set_handler(|| crate::load::interrupt(crate::load::Interrupt::Sigint));
    let workers = cmd.workers.unwrap_or(if target.is_embedded() { cores() } else { 1 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    #[cfg(unix)]
    {
        let _in_runtime = runtime.enter();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        runtime.spawn(async move {
            if term.recv().await.is_some() {
                crate::load::interrupt(crate::load::Interrupt::Sigterm);
            }
        });
    }
    let result = runtime.block_on(crate::load::run_scaled(&plan, &target, Arc::new(Bar::new(bar)), &scale));
    let mut report = match result {
        Ok(r) => r,
        Err(crate::load::LoadRunError::Refused(why)) => {
            eprintln!("error: {why}");
            return Ok(exit::USAGE);
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(b), Some(path)) = (&baseline, &cmd.baseline) {
        let cmp = crate::load::verdict::compare(&report, b, &path.display().to_string(), cmd.max_regression);
        report.passed &= cmp.rows.iter().all(|r| r.passed);
        report.baseline = Some(cmp);
    }
    write_load_reports(&report, cmd.json.as_deref(), cmd.junit.as_deref(), &cmd.outputs)?;
    Ok(match crate::load::interrupted() {
        Some(crate::load::Interrupt::Sigint) => exit::INTERRUPTED,
        Some(crate::load::Interrupt::Sigterm) => exit::TERMINATED,
        None if report.passed => exit::SUCCESS,
        // A shard's verdict is the merge's to give: a failed shard is not retried by its Job.
        None if cmd.shard.is_some() => {
            say!("this shard's own checks failed (see above); `obharness report merge` judges the whole run");
            exit::SUCCESS
        }
        None => exit::FAILURES,
    })
}

/// Writes a load run's report files (JSON, JUnit, HTML, Markdown) and its terminal summary.
fn write_load_reports(
    report: &report::model::LoadReport,
    json: Option<&Path>,
    junit: Option<&Path>,
    outputs: &Outputs,
) -> anyhow::Result<()> {
    if let Some(path) = json {
        write_file(path, |w| {
            serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
            writeln!(w)
        })?;
    }
    if let Some(path) = junit {
        write_file(path, |w| report::junit::write_load(report, w))?;
    }
    if let Some(path) = outputs.html_path("load") {
        write_file(&path, |w| report::html::write_load(report, w))?;
    }
    if let Some(path) = &outputs.markdown {
        write_file(path, |w| report::markdown::write_load(report, w))?;
    }
    report::load_terminal::write(report, &mut std::io::stdout())?;
    Ok(())
}

#[derive(clap::Args)]
pub struct MergeCommand {
    /// The shards' JSON files, or directories of them (every *.json inside).
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// Wait up to this long for every shard's file (e.g. 30m), as a merge Job started beside
    /// the shards does.
    #[arg(long, value_parser = parse_span, value_name = "DURATION")]
    pub wait: Option<std::time::Duration>,
    /// Write the merged run model (with HDR histograms) as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report (one testcase per threshold).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Compare p95, p99 and throughput per API with an earlier run's JSON.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest regression allowed against the baseline.
    #[arg(long, default_value = "10%", value_parser = parse_percent, value_name = "PERCENT")]
    pub max_regression: f64,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// `obharness report merge`: 0 when the merged run passes, 1 when it fails, 2 when the files
/// are not the shards of one run.
pub fn merge(cmd: MergeCommand) -> anyhow::Result<u8> {
    use crate::load::merge;
    let inputs = match merge::collect(&cmd.shards, cmd.wait, &mut |note| say!("  {note}")) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let mut report = match merge::merge(&inputs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    say!("obharness report merge: {} shard(s) of {} against {}", inputs.len(), report.profile, report.target.name);
    if let Some(path) = &cmd.baseline {
        let text = match crate::scenario::input::read_text_limited(path, crate::scenario::input::MAX_RUN_JSON_BYTES) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {}: {}", path.display(), e.message);
                return Ok(exit::USAGE);
            }
        };
        let base = match serde_json::from_str::<report::model::LoadReport>(&text) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}:{}:{}: not a load run's JSON: {e}", path.display(), e.line(), e.column());
                return Ok(exit::USAGE);
            }
        };
        let cmp = crate::load::verdict::compare(&report, &base, &path.display().to_string(), cmd.max_regression);
        report.passed &= cmp.rows.iter().all(|r| r.passed);
        report.baseline = Some(cmp);
    }
    write_load_reports(&report, cmd.json.as_deref(), cmd.junit.as_deref(), &cmd.outputs)?;
    Ok(if report.passed { exit::SUCCESS } else { exit::FAILURES })
}

/// A saved run's model, as `--json` wrote it.
enum Saved {
    Run(Box<report::RunReport>),
    Load(Box<report::model::LoadReport>),
}

fn read_saved(json: &Path) -> anyhow::Result<Saved> {
    let text = crate::scenario::input::read_text_limited(json, crate::scenario::input::MAX_RUN_JSON_BYTES)
        .map_err(|e| exit::usage(format!("{}: {}", json.display(), e.message)))?;
    let kind = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| exit::usage(format!("{}:{}:{}: not JSON: {e}", json.display(), e.line(), e.column())))?
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("")
        .to_string();
    let bad = |e: serde_json::Error| {
        exit::usage(format!("{}:{}:{}: not a run model: {e}", json.display(), e.line(), e.column()))
    };
    Ok(if kind == "load" {
        Saved::Load(Box::new(serde_json::from_str(&text).map_err(bad)?))
    } else {
        Saved::Run(Box::new(report::json::read(&text).map_err(bad)?))
    })
}

/// `obharness report FILE.json`: re-renders a saved run (conformance or load).
pub fn rerender(json: &Path, html: Option<&Path>, markdown: Option<&Path>) -> anyhow::Result<u8> {
    let saved = read_saved(json)?;
    if html.is_none() && markdown.is_none() {
        return Err(exit::usage("nothing to write: give --html FILE and/or --markdown FILE"));
    }
    match &saved {
        Saved::Load(r) => {
            if let Some(p) = html {
                write_file(p, |w| report::html::write_load(r, w))?;
            }
            if let Some(p) = markdown {
                write_file(p, |w| report::markdown::write_load(r, w))?;
            }
        }
        Saved::Run(r) => {
            if let Some(p) = html {
                write_file(p, |w| report::html::write_conformance(r, w))?;
            }
            if let Some(p) = markdown {
                write_file(p, |w| report::markdown::write_conformance(r, w))?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// `obharness report FILE [--html [OUT]] [--markdown [OUT]]`: an evidence bundle's own reports
/// (checked first), or a saved run re-rendered. Without OUT, the HTML goes to the temporary
/// directory and is opened, the Markdown to stdout.
pub fn report(input: &Path, html: Option<Option<PathBuf>>, markdown: Option<Option<PathBuf>>) -> anyhow::Result<u8> {
    if html.is_none() && markdown.is_none() {
        return Err(exit::usage("nothing to write: give --html [FILE] and/or --markdown [FILE]"));
    }
    if crate::evidence::command::is_bundle(input) {
        return crate::evidence::command::report(input, html, markdown);
    }
    let open = matches!(html, Some(None));
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    let html = html.map(|h| h.unwrap_or_else(|| crate::evidence::command::temp_report(&stem, "html")));
    let to_stdout = matches!(markdown, Some(None));
    let markdown = markdown.flatten();
    if html.is_some() || markdown.is_some() {
        rerender(input, html.as_deref(), markdown.as_deref())?;
    }
    if to_stdout {
        let mut out = Vec::new();
        match read_saved(input)? {
            Saved::Run(r) => report::markdown::write_conformance(&r, &mut out)?,
            Saved::Load(r) => report::markdown::write_load(&r, &mut out)?,
        }
        std::io::stdout().write_all(&out)?;
    }
    if let (Some(path), true) = (&html, open) {
        crate::evidence::command::open_in_browser(path);
    }
    Ok(exit::SUCCESS)
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("trigger").required(true).args(["trigger_cmd", "trigger_url"])))]
pub struct CertifyCommand {
    /// Client scenario files or directories.
    #[arg(default_value = "scenarios/client")]
    pub paths: Vec<PathBuf>,
    /// Where the simulator listens (the client's base URL).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Command that runs the client once; inputs arrive as OBH_* environment variables.
    #[arg(long, value_name = "COMMAND")]
    pub trigger_cmd: Option<String>,
    /// The client's own endpoint, POSTed the inputs as JSON.
    #[arg(long, value_name = "URL")]
    pub trigger_url: Option<String>,
    /// Fail (instead of warn) when the client sends JSON numbers where KFTC's examples have
    /// strings (rule string-typed-fields).
    #[arg(long)]
    pub strict_string_fields: bool,
    /// Serve the simulator over HTTPS with a certificate made at start; the client gets the CA
    /// to trust as OBH_TLS_CA_FILE.
    #[arg(long)]
    pub tls: bool,
    /// Where to write that CA certificate (default: a file in the temporary directory).
    #[arg(long, value_name = "FILE")]
    pub tls_ca_out: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub outputs: Outputs,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

impl CertifyCommand {
    /// How the client is run (clap insists on exactly one of the two).
    pub fn trigger(&self) -> crate::certify::Trigger {
        match (&self.trigger_cmd, &self.trigger_url) {
            (Some(cmd), _) => crate::certify::Trigger::Command(cmd.clone()),
            (None, Some(url)) => crate::certify::Trigger::Url(url.clone()),
            (None, None) => unreachable!("clap requires one trigger"),
        }
    }
}

/// `obharness certify-client`: returns the exit code.
pub fn certify(cmd: CertifyCommand) -> anyhow::Result<u8> {
    let scenarios = match crate::certify::scenario::load(&cmd.paths) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(exit::USAGE);
        }
    };
    let mut evidence = match cmd.evidence.out().as_ref().map(crate::evidence::command::start).transpose() {
        Ok(e) => e,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(c) = &mut evidence {
        c.scenarios(scenarios.iter().map(|s| s.path.as_path()));
    }
    let style = terminal::Style::from_env();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let report = runtime.block_on(async {
        let mut config = crate::sim::SimConfig::embedded();
        let mut ca_file = None;
        if cmd.tls || cmd.tls_ca_out.is_some() {
            let material = crate::sim::tls::TlsMaterial::generate(cmd.listen.ip())?;
            let path = cmd.tls_ca_out.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("obharness-certify-ca-{}.pem", std::process::id()))
            });
            std::fs::write(&path, &material.trust_pem).with_context(|| format!("cannot write {}", path.display()))?;
            ca_file = Some(path);
            config.tls = Some(material);
        }
        let sim =
            crate::sim::start(cmd.listen, config).await.with_context(|| format!("cannot listen on {}", cmd.listen))?;
        let mut target = Target::simulator_at(&sim.base_url(), sim.admin_token());
        if let Some(path) = &ca_file {
            let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            target.tls_roots = reqwest::Certificate::from_pem_bundle(&pem)?;
            target.profile.tls_ca_file = Some(path.clone());
            say!("  TLS: the client trusts {} (OBH_TLS_CA_FILE)", path.display());
        }
        if let Some(c) = &mut evidence {
            c.target(&target);
        }
        let target = Arc::new(target);
        say!(
            "obharness certify-client: {} scenario(s); the simulator plays the center at {}",
            scenarios.len(),
            sim.base_url()
        );
        let progress_style = style;
        let progress: Arc<dyn Fn(&report::ScenarioResult) + Send + Sync> =
            Arc::new(move |r| say!("{}", terminal::scenario_line(r, &progress_style)));
        let report = crate::certify::run(scenarios, target, &cmd.trigger(), cmd.strict_string_fields, progress).await;
        sim.shutdown().await;
        anyhow::Ok(report)
    })?;
    finish_bundled(
        &report,
        evidence,
        &style,
        cmd.junit.as_deref(),
        cmd.json.as_deref(),
        &cmd.outputs,
        "client-certification",
    )
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

#[derive(clap::Args)]
pub struct DiffCommand {
    /// Target profile; default: the embedded simulator (with --sim-quirk, a broken one).
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Random cases to try (shrinking comes on top).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: u32,
    /// Seed of the case generator (default: random, printed); the same seed gives the same
    /// cases and the same written scenario.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Operations per case, at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_steps: u16,
    /// No new case starts after this many seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub max_seconds: u64,
    /// Where the minimal disagreeing scenario goes (default: reports/diff-SEED.yaml).
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<PathBuf>,
    /// Start the embedded simulator under test with a defect mode (repeatable).
    #[arg(long = "sim-quirk", value_enum, value_name = "NAME")]
    pub sim_quirks: Vec<Quirk>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run model as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// `obharness diff`: returns the exit code.
pub fn diff(cmd: DiffCommand) -> anyhow::Result<u8> {
    let Some(target) = target_or_report(cmd.target.as_deref(), &cmd.sim_quirks) else {
        return Ok(exit::USAGE);
    };
    let seed = cmd.seed.unwrap_or_else(rand::random);
    let write_to = cmd.write_scenario.clone().unwrap_or_else(|| PathBuf::from(format!("reports/diff-{seed}.yaml")));
    let mut opts = crate::diff::DiffOptions::new(target.clone(), seed);
    opts.cases = cmd.cases;
    opts.max_steps = cmd.max_steps.into();
    opts.max_duration = std::time::Duration::from_secs(cmd.max_seconds);
    opts.write_scenario = Some(write_to);
    let style = terminal::Style::from_env();
    say!(
        "obharness diff: {} case(s) of at most {} operation(s) against {}, reference: a clean embedded simulator",
        opts.cases,
        opts.max_steps,
        target.profile.name
    );
    if !target.quirks.is_empty() {
        let names: Vec<&str> = target.quirks.iter().map(|q| q.name()).collect();
        say!("  defect modes on (a demo, not a certification): {}", names.join(", "));
    }
    say!("  seed {seed} (replay: --seed {seed})");
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let outcome = match crate::diff::run(&opts) {
        Ok(o) => o,
        Err(
            e @ (crate::diff::DiffError::Session { .. }
            | crate::diff::DiffError::Ledger { .. }
            | crate::diff::DiffError::ClockMismatch { .. }),
        ) => {
            eprintln!("error: {e}");
            return Ok(exit::RUNTIME);
        }
        Err(e) => return Err(e.into()),
    };
    say!(
        "  {} case(s) in {:.1}s ({:.1} cases/s){}{}",
        outcome.cases_run,
        outcome.elapsed.as_secs_f64(),
        outcome.cases_per_second(),
        if outcome.money_compared { "" } else { "; balances not compared (no ledger_inspection)" },
        if outcome.stopped_early { "; stopped by --max-seconds" } else { "" }
    );
    if let Some(f) = &outcome.finding {
        say!(
            "  DISAGREEMENT after {} case(s), shrunk in {} run(s) to {} operation(s):",
            f.found_after,
            f.shrink_runs,
            f.ops.len()
        );
        for (i, op) in f.ops.iter().enumerate() {
            say!("    {}. {op:?}", i + 1);
        }
        say!("  {}", f.disagreement);
        if let Some(path) = &f.written_to {
            say!("  scenario ({} steps): {}", f.scenario_steps, path.display());
        }
        match &f.validation {
            Some(v) if v.reproduces() => {
                say!("  checked with the conformance runner: passes on the reference, fails on the target")
            }
            Some(v) => say!(
                "  checked with the conformance runner: reference {:?}, target {:?} (it does not show the disagreement)",
                v.on_reference.outcome,
                v.on_target.outcome
            ),
            None => say!("  the written scenario could not be loaded back (a bug: please report it)"),
        }
        say!("  replay: obharness diff --seed {seed} --cases {} --max-steps {}", cmd.cases, cmd.max_steps);
    }
    let report = crate::diff::report(&outcome, &target, started_at);
    finish_run(&report, &style, cmd.junit.as_deref(), cmd.json.as_deref(), &cmd.outputs, "diff", None)
}
