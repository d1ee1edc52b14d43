//! `obharness diff`: differential checking against the reference simulator.

use super::*;

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
