//! `obharness load`: a load profile, one shard of it, and its reports.

use super::*;

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
    /// The load generator's tokio worker threads. Default: 1 against a target on this machine
    /// (loopback or localhost: its server shares the cores, and cross-thread wake-ups cost more
    /// than a second worker brings), every core against a remote target, and the cores the
    /// embedded simulator leaves (see --sim-workers).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Threads of the embedded simulator, which runs on a runtime of its own beside the
    /// generator's (default: half the cores, at least 1).
    #[arg(long, value_name = "N")]
    pub sim_workers: Option<usize>,
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
    let mut target = match &target_file {
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
    let (workers, sim_threads) = split_cores(&target, cmd.workers, cmd.sim_workers, cores());
    target.embedded_threads = sim_threads;
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
pub(super) fn write_load_reports(
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

/// The generator's worker threads and, for the embedded simulator, its own threads: the cost
/// of a request is about the same on both sides, so the cores are split in half.
fn split_cores(target: &Target, workers: Option<usize>, sim: Option<usize>, cores: usize) -> (usize, Option<usize>) {
    let cores = cores.max(1);
    if target.is_embedded() {
        let sim = sim.unwrap_or(cores / 2).max(1);
        (workers.unwrap_or(cores.saturating_sub(sim)).max(1), Some(sim))
    } else if target.is_local() {
        (workers.unwrap_or(1).max(1), None)
    } else {
        (workers.unwrap_or(cores).max(1), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_target(base: &str) -> Target {
        let mut t = Target::embedded(Vec::new());
        t.profile.kind = crate::target::TargetKind::Url;
        t.profile.base_url = Some(base.into());
        t
    }

    #[test]
    fn the_cores_are_split_by_where_the_target_runs() {
        let embedded = Target::embedded(Vec::new());
        assert_eq!(split_cores(&embedded, None, None, 2), (1, Some(1)));
        assert_eq!(split_cores(&embedded, None, None, 8), (4, Some(4)));
        assert_eq!(split_cores(&embedded, None, None, 1), (1, Some(1)));
        assert_eq!(split_cores(&embedded, Some(3), Some(2), 2), (3, Some(2)));
        for local in ["http://127.0.0.1:8080", "http://localhost:1", "https://[::1]:443", "http://127.0.0.2"] {
            assert_eq!(split_cores(&url_target(local), None, None, 8), (1, None), "{local}");
        }
        assert_eq!(split_cores(&url_target("https://testapi.openbanking.or.kr"), None, None, 8), (8, None));
        assert_eq!(split_cores(&url_target("http://10.0.0.7:8080"), Some(2), None, 8), (2, None));
    }
}
