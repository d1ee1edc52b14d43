//! `obharness run`: the conformance suite against a target.

use super::*;

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
    let mut evidence = match cmd.evidence.start(scenarios.iter().map(|s| s.path.as_path())) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    if let Some(c) = &mut evidence {
        use crate::evidence::Role;
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
