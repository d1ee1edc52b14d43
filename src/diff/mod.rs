//! Differential checking (`obharness diff`): random operation sequences run in lockstep on a
//! target and on a clean reference simulator; the first disagreement is shrunk (proptest) to
//! the shortest sequence that still disagrees and written out as a conformance scenario.
//!
//! - [`ops`]: the operations and the strategies that draw them;
//! - [`plan`]: operations → scenario steps, through a model of the case;
//! - [`lockstep`]: one case on both sides, step by step;
//! - [`compare`]: what is compared (and what never is);
//! - [`write`]: the minimal case as a scenario with the reference's expectations.
//!
//! Documented in `docs/diff.md`.

pub mod compare;
pub mod lockstep;
pub mod ops;
pub mod plan;
pub mod run_model;
pub mod write;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::report::{Outcome, ScenarioResult};
use crate::scenario::model::Capability;
use crate::target::Target;
pub use compare::{Aspect, Disagreement};
pub use ops::Op;
pub use run_model::report;

/// How a differential run goes.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// What is checked; the reference is always a clean embedded simulator.
    pub target: Target,
    /// Random cases to try (shrinking runs come on top).
    pub cases: u32,
    pub seed: u64,
    /// Operations per case, at most.
    pub max_steps: usize,
    /// Wall-clock bound for generating cases; no new case starts after it.
    pub max_duration: Duration,
    /// Shrinking bounds: attempts and wall-clock time.
    pub max_shrink_iters: u32,
    pub max_shrink_time: Duration,
    /// Where the minimal disagreeing scenario is written (and checked on both sides).
    pub write_scenario: Option<PathBuf>,
}

impl DiffOptions {
    pub fn new(target: Target, seed: u64) -> DiffOptions {
        DiffOptions {
            target,
            cases: 500,
            seed,
            max_steps: 8,
            max_duration: Duration::from_secs(300),
            max_shrink_iters: 512,
            max_shrink_time: Duration::from_secs(60),
            write_scenario: None,
        }
    }
}

/// Why a differential run could not reach a verdict.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot open a session on the {side}: {message}")]
    Session { side: &'static str, message: String },
    #[error("cannot read balances on the {side} (ledger inspection): {message}")]
    Ledger { side: &'static str, message: String },
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error("cannot write the scenario to {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the target's virtual clock is at {target} after a reset, the reference simulator's starts at {reference}: \
         dates, operating hours and daily limits would differ. Start the target with --clock-start {reference}"
    )]
    ClockMismatch { target: String, reference: String },
    #[error("proptest stopped: {0}")]
    Aborted(String),
}

/// How the written scenario fared when run with the conformance runner.
#[derive(Debug, Clone)]
pub struct Validation {
    pub on_reference: ScenarioResult,
    pub on_target: ScenarioResult,
}

impl Validation {
    /// Passes on the reference and fails on the target: the scenario shows the disagreement.
    pub fn reproduces(&self) -> bool {
        self.on_reference.outcome == Outcome::Passed && self.on_target.outcome == Outcome::Failed
    }
}

/// The shrunk disagreement.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The minimal operations.
    pub ops: Vec<Op>,
    pub disagreement: Disagreement,
    /// The lockstep trace of the minimal case.
    pub trace: lockstep::Trace,
    pub plan: plan::Plan,
    /// The written scenario and its number of steps.
    pub scenario: String,
    pub scenario_steps: usize,
    pub written_to: Option<PathBuf>,
    pub validation: Option<Validation>,
    /// Cases generated up to and including the first disagreeing one.
    pub found_after: u32,
    /// Case runs spent shrinking.
    pub shrink_runs: u32,
}

/// What a differential run found.
#[derive(Debug, Clone)]
pub struct DiffOutcome {
    pub seed: u64,
    /// Random cases run (not counting shrinking).
    pub cases_run: u32,
    pub elapsed: Duration,
    /// The time bound ended generation before `cases`.
    pub stopped_early: bool,
    pub finding: Option<Finding>,
    /// Compared balances (the target has ledger inspection).
    pub money_compared: bool,
}

impl DiffOutcome {
    pub fn cases_per_second(&self) -> f64 {
        self.cases_run as f64 / self.elapsed.as_secs_f64().max(1e-6)
    }
}

fn allowed(target: &Target) -> ops::Allowed {
    let transfers = target.is_embedded() || target.profile.allow_transfers;
    ops::Allowed::from_capabilities(&target.capabilities(), transfers)
}

fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        // SplitMix64 steps: distinct, well-mixed words from one seed.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn runner(opts: &DiffOptions) -> TestRunner {
    // Every field that Config::default() would read from PROPTEST_* variables is set here:
    // a run depends on its seed and options only.
    let config = Config {
        cases: opts.cases.max(1),
        max_local_rejects: 1_000,
        max_global_rejects: 1_000,
        max_flat_map_regens: 1_000,
        failure_persistence: None,
        source_file: None,
        test_name: None,
        fork: false,
        timeout: 0,
        max_shrink_time: opts.max_shrink_time.as_millis().min(u32::MAX as u128) as u32,
        max_shrink_iters: opts.max_shrink_iters,
        max_default_size_range: 100,
        result_cache: proptest::test_runner::noop_result_cache,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, rng(opts.seed))
}

/// The first `n` cases a seed draws (what `run` tries, in order), for inspection and tests.
pub fn sample_cases(target: &Target, seed: u64, max_steps: usize, n: u32) -> Vec<Vec<Op>> {
    let opts = DiffOptions { cases: n, max_steps, ..DiffOptions::new(target.clone(), seed) };
    let mut runner = runner(&opts);
    let strategy = ops::case(allowed(target), max_steps);
    (0..n).filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current())).collect()
}

/// Runs the differential check: returns what it found, or why it could not run.
pub fn run(opts: &DiffOptions) -> Result<DiffOutcome, DiffError> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(DiffError::Runtime)?;
    let reference = Target::embedded(Vec::new());
    let target = &opts.target;
    let money = target.capabilities().contains(&Capability::LedgerInspection);
    let strategy = ops::case(allowed(target), opts.max_steps);
    if !target.is_embedded() {
        rt.block_on(check_clock(target))?;
    }
    let started = Instant::now();
    let generated = Cell::new(0u32);
    let failing = Cell::new(false);
    let shrink_runs = Cell::new(0u32);
    let stopped_early = Cell::new(false);
    let fatal: RefCell<Option<DiffError>> = RefCell::new(None);
    let mut runner = runner(opts);
    let result = runner.run(&strategy, |case| {
        if fatal.borrow().is_some() {
            return Err(TestCaseError::reject("stopped by an error"));
        }
        if failing.get() {
            shrink_runs.set(shrink_runs.get() + 1);
        } else {
            if stopped_early.get() || started.elapsed() > opts.max_duration {
                // proptest has no early stop: rejecting every further case ends the run once
                // max_global_rejects is reached, without drawing the remaining cases.
                stopped_early.set(true);
                return Err(TestCaseError::reject("the time bound is reached"));
            }
            generated.set(generated.get() + 1);
        }
        let outcome = plan::plan(&case)
            .map_err(DiffError::from)
            .and_then(|p| rt.block_on(lockstep::run_case(&p, &reference, target, money)));
        match outcome {
            Err(e) => {
                *fatal.borrow_mut() = Some(e);
                Ok(())
            }
            Ok(trace) => match trace.disagreement {
                None => Ok(()),
                Some(d) => {
                    failing.set(true);
                    Err(TestCaseError::fail(d.to_string()))
                }
            },
        }
    });
    if let Some(e) = fatal.into_inner() {
        return Err(e);
    }
    let mut outcome = DiffOutcome {
        seed: opts.seed,
        cases_run: generated.get(),
        elapsed: started.elapsed(),
        stopped_early: stopped_early.get(),
        finding: None,
        money_compared: money,
    };
    let minimal = match result {
        Ok(()) => return Ok(outcome),
        Err(TestError::Abort(_)) if stopped_early.get() => return Ok(outcome),
        Err(TestError::Abort(why)) => return Err(DiffError::Aborted(why.to_string())),
        Err(TestError::Fail(_, ops)) => ops,
    };
    let disagrees = |ops: &[Op]| -> Result<bool, DiffError> {
        shrink_runs.set(shrink_runs.get() + 1);
        let p = plan::plan(ops)?;
        Ok(rt.block_on(lockstep::run_case(&p, &reference, target, money))?.disagreement.is_some())
    };
    let budget = opts.max_shrink_iters.saturating_sub(shrink_runs.get()).max(32);
    let minimal = simplify(minimal, budget, &disagrees)?;
    // Once more, to keep the minimal case's trace (and the reference's answers).
    let plan = plan::plan(&minimal)?;
    let trace = rt.block_on(lockstep::run_case(&plan, &reference, target, money))?;
    let Some(disagreement) = trace.disagreement.clone() else {
        return Err(DiffError::Aborted(
            "the shrunk case no longer disagrees when run again (a non-deterministic target?)".into(),
        ));
    };
    let (scenario, scenario_steps) = write::scenario(opts.seed, &plan, &trace, &disagreement);
    let mut finding = Finding {
        ops: minimal,
        disagreement,
        trace,
        plan,
        scenario,
        scenario_steps,
        written_to: None,
        validation: None,
        found_after: generated.get(),
        shrink_runs: shrink_runs.get(),
    };
    if let Some(path) = &opts.write_scenario {
        write_file(path, &finding.scenario)?;
        finding.written_to = Some(path.clone());
        finding.validation = rt.block_on(validate(path, &reference, target));
    }
    outcome.finding = Some(finding);
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

/// A target with an admin API must start its clock where the reference's starts (after the
/// reset a session does), within a minute.
async fn check_clock(target: &Target) -> Result<(), DiffError> {
    let fail = |e: &dyn std::fmt::Display| DiffError::Session { side: "target", message: e.to_string() };
    let session = crate::target::session::Session::open(target).await.map_err(|e| fail(&e))?;
    let Ok(admin) = session.admin() else {
        return Ok(());
    };
    let clock = admin.clock().await.map_err(|e| fail(&e))?;
    let reference = crate::sim::config::embedded_clock_start();
    match clock.now {
        t if (t - reference).num_seconds().abs() <= 60 => Ok(()),
        t => Err(DiffError::ClockMismatch { target: t.to_rfc3339(), reference: reference.to_rfc3339() }),
    }
}

/// Shrinking steps proptest cannot take on its own, because an operation that refers to an
/// earlier one (a re-send) keeps that one alive: each re-send is tried as a fresh copy of an
/// earlier transfer, then every operation is tried without. Greedy, deterministic, at most
/// `budget` case runs.
fn simplify(
    mut ops: Vec<Op>,
    budget: u32,
    disagrees: &dyn Fn(&[Op]) -> Result<bool, DiffError>,
) -> Result<Vec<Op>, DiffError> {
    let mut runs = 0u32;
    let mut progress = true;
    while progress && runs < budget {
        progress = false;
        let mut candidates: Vec<Vec<Op>> = Vec::new();
        for i in 0..ops.len() {
            let mut without = ops.clone();
            without.remove(i);
            candidates.push(without);
        }
        for (i, op) in ops.iter().enumerate() {
            if !matches!(op, Op::Resend { .. }) {
                continue;
            }
            for earlier in ops[..i].iter().rev() {
                let fresh = match earlier {
                    Op::Withdraw { .. } | Op::Deposit { .. } => earlier.clone(),
                    Op::Concurrent { account, amount, .. } => {
                        Op::Withdraw { account: *account, amount: *amount, from: ops::Source::Registered }
                    }
                    _ => continue,
                };
                let mut replaced = ops.clone();
                replaced[i] = fresh;
                candidates.push(replaced);
            }
        }
        for c in candidates {
            if runs >= budget {
                break;
            }
            runs += 1;
            if !c.is_empty() && disagrees(&c)? {
                ops = c;
                progress = true;
                break;
            }
        }
    }
    Ok(ops)
}

fn write_file(path: &Path, text: &str) -> Result<(), DiffError> {
    let err = |source| DiffError::Write { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Runs a written scenario with the conformance runner on the reference and on the target.
pub async fn validate(path: &Path, reference: &Target, target: &Target) -> Option<Validation> {
    let scenarios = crate::scenario::load(&[path.to_path_buf()]).ok()?;
    let opts = crate::conform::RunOptions {
        jobs: 1,
        golden_mode: crate::golden::GoldenMode::Off,
        ..crate::conform::RunOptions::default()
    };
    let quiet: Arc<dyn Fn(&ScenarioResult) + Send + Sync> = Arc::new(|_| {});
    let on = |t: &Target| crate::conform::run(scenarios.clone(), Arc::new(t.clone()), &opts, quiet.clone());
    let on_reference = on(reference).await.scenarios.into_iter().next()?;
    let on_target = on(target).await.scenarios.into_iter().next()?;
    Some(Validation { on_reference, on_target })
}
