//! The conformance runner: scenarios in parallel, each isolated (its own embedded
//! simulator, or a reset shared one), outcomes passed / failed / skipped (with the missing
//! capability named) / error, into the run model.

pub mod step;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::golden::GoldenMode;
use crate::report::model::RunKind;
use crate::report::{Outcome, RunReport, ScenarioResult, StepResult};
use crate::scenario::LoadedScenario;
use crate::scenario::model::Severity;
use crate::scenario::plan::PlanStep;
use crate::target::Target;
use crate::target::session::Session;
use crate::target::step::StepCtx;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenarios at a time (embedded target); URL targets run one at a time.
    pub jobs: usize,
    pub fail_fast: bool,
    /// Scenario ids listed as expected failures.
    pub expected_failures: HashSet<String>,
    pub golden_root: PathBuf,
    pub golden_mode: GoldenMode,
    /// List snapshots no step used (only meaningful for unfiltered runs).
    pub report_unused: bool,
    /// Raised by a signal: scenarios not finished by then are reported as not run.
    pub interruption: Arc<crate::exit::Interruption>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            fail_fast: false,
            expected_failures: HashSet::new(),
            golden_root: PathBuf::from("golden"),
            golden_mode: GoldenMode::Compare,
            report_unused: false,
            interruption: Arc::default(),
        }
    }
}

/// Keeps the scenarios matching `filter` (a substring of id or title) and carrying every tag in `tags`.
pub fn select(scenarios: Vec<LoadedScenario>, filter: Option<&str>, tags: &[String]) -> Vec<LoadedScenario> {
    scenarios
        .into_iter()
        .filter(|s| filter.is_none_or(|f| s.scenario.id.contains(f) || s.scenario.title.contains(f)))
        .filter(|s| tags.iter().all(|t| s.scenario.tags.contains(t)))
        .collect()
}

fn uses_money(steps: &[PlanStep]) -> bool {
    steps.iter().any(PlanStep::moves_money)
}

/// Why a scenario cannot run on `target`, if it cannot.
fn skip_reason(s: &LoadedScenario, target: &Target) -> Option<String> {
    let caps = target.capabilities();
    let missing: Vec<&str> = s.requires.iter().filter(|c| !caps.contains(c)).map(|c| c.name()).collect();
    if !missing.is_empty() {
        return Some(format!("target '{}' lacks {}", target.profile.name, missing.join(", ")));
    }
    if !target.is_embedded() && !target.profile.allow_transfers && uses_money(&s.plan) {
        return Some(format!("moves money; target '{}' does not set allow_transfers: true", target.profile.name));
    }
    None
}

/// Runs the scenarios; `progress` sees each result as it completes.
pub async fn run(
    scenarios: Vec<LoadedScenario>,
    target: Arc<Target>,
    opts: &RunOptions,
    progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
) -> RunReport {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let clock = Instant::now();
    let jobs = if target.is_embedded() { opts.jobs.max(1) } else { 1 };
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let stop = Arc::new(AtomicBool::new(false));
    let used = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let written = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let mut tasks = Vec::new();
    for s in scenarios {
        let (target, semaphore, stop, used, written, progress) =
            (target.clone(), semaphore.clone(), stop.clone(), used.clone(), written.clone(), progress.clone());
        let opts = opts.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("semaphore open");
            let interrupted =
                |signal: &str| skipped(&s, &opts, format!("not run to the end: the run was interrupted ({signal})"));
            let result = if let Some(signal) = opts.interruption.signal() {
                interrupted(signal)
            } else if stop.load(Ordering::Relaxed) {
                skipped(&s, &opts, "not run: --fail-fast after an earlier failure".into())
            } else {
                let run = crate::target::record::scoped(&s.scenario.id, run_one(&s, &target, &opts, &used, &written));
                tokio::select! {
                    r = run => r,
                    () = opts.interruption.raised() => interrupted(opts.interruption.signal().unwrap_or("SIGINT")),
                }
            };
            if opts.fail_fast && matches!(result.outcome, Outcome::Failed | Outcome::Error) && !result.expected_failure
            {
                stop.store(true, Ordering::Relaxed);
            }
            progress(&result);
            result
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        match t.await {
            Ok(r) => results.push(r),
            Err(e) => tracing::error!("a scenario task panicked: {e}"),
        }
    }
    // The model lists scenarios by id, whatever order they finished in, so every report
    // (failures, JUnit, JSON, HTML, Markdown) diffs cleanly between runs.
    results.sort_by(|a, b| a.id.cmp(&b.id));
    let unused_snapshots = if opts.report_unused && target.golden() && opts.golden_mode != GoldenMode::Off {
        let used = used.lock().expect("not poisoned");
        let all: BTreeSet<String> = results.iter().map(|r| r.id.clone()).collect();
        let completed: BTreeSet<String> =
            results.iter().filter(|r| r.outcome == Outcome::Passed).map(|r| r.id.clone()).collect();
        let run = crate::golden::RunScenarios { completed: &completed, all: &all };
        crate::golden::unused(&opts.golden_root, &used, &run).iter().map(|p| p.display().to_string()).collect()
    } else {
        Vec::new()
    };
    let mut report = RunReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: RunKind::Conformance,
        subject: None,
        target: target.info(),
        started_at,
        duration_ms: clock.elapsed().as_millis() as u64,
        scenarios: results,
        summary: Default::default(),
        unused_snapshots,
        interrupted: opts.interruption.signal().map(str::to_string),
        written_snapshots: written.lock().expect("not poisoned").iter().map(|p| p.display().to_string()).collect(),
    };
    report.finish();
    report
}

fn base_result(s: &LoadedScenario, opts: &RunOptions) -> ScenarioResult {
    ScenarioResult {
        id: s.scenario.id.clone(),
        title: s.scenario.title.clone(),
        spec: s.scenario.spec.clone(),
        tags: s.scenario.tags.clone(),
        severity: match s.scenario.severity {
            Severity::Failure => crate::report::model::Severity::Failure,
            Severity::Warning => crate::report::model::Severity::Warning,
        },
        source: s.path.display().to_string(),
        outcome: Outcome::Passed,
        reason: None,
        expected_failure: opts.expected_failures.contains(&s.scenario.id),
        duration_ms: 0,
        steps: Vec::new(),
        expected_codes: crate::scenario::plan::expected_codes(&s.plan),
    }
}

fn skipped(s: &LoadedScenario, opts: &RunOptions, reason: String) -> ScenarioResult {
    ScenarioResult { outcome: Outcome::Skipped, reason: Some(reason), ..base_result(s, opts) }
}

async fn run_one(
    s: &LoadedScenario,
    target: &Target,
    opts: &RunOptions,
    used: &std::sync::Mutex<BTreeSet<PathBuf>>,
    written: &std::sync::Mutex<BTreeSet<PathBuf>>,
) -> ScenarioResult {
    if let Some(reason) = skip_reason(s, target) {
        return skipped(s, opts, reason);
    }
    let started = Instant::now();
    let mut result = base_result(s, opts);
    let mut session = match Session::open(target).await {
        Ok(sess) => sess,
        Err(e) => {
            result.outcome = Outcome::Error;
            result.reason = Some(e.to_string());
            return result;
        }
    };
    // A datum the scenario names but the target lacks (a test bed profile without a second
    // user's account, say) skips it, naming the key, instead of failing on an empty value.
    let missing: Vec<&str> = s
        .data_used
        .iter()
        .filter(|k| session.data.values.get(*k).is_none_or(|v| v.trim().is_empty()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return skipped(
            s,
            opts,
            format!(
                "target '{}' has no data for {} (set it under data: in the target profile)",
                target.profile.name,
                missing.join(", ")
            ),
        );
    }
    // Scenario variables are rendered once, in order, before the first step.
    let now = session.tran_dtime().await;
    for (name, t) in &s.scenario.vars {
        let value = t.render(&|n| crate::target::call::lookup(&session, &now, n));
        match value {
            Ok(v) => {
                session.vars.insert(name.clone(), v);
            }
            Err(e) => {
                result.outcome = Outcome::Error;
                result.reason = Some(format!("vars.{name}: {e}"));
                return result;
            }
        }
    }
    let golden = step::GoldenCheck {
        scenario_id: &s.scenario.id,
        root: &opts.golden_root,
        mode: if target.golden() { opts.golden_mode } else { GoldenMode::Off },
        used,
        written,
    };
    let ctx = StepCtx { target, answer_check: Some(&golden) };
    for (i, st) in s.plan.iter().enumerate() {
        let results: Vec<StepResult> = crate::target::step::run(&ctx, &mut session, st, i + 1).await;
        let failed = results.iter().find(|r| r.outcome != Outcome::Passed).map(|r| (r.outcome, first_failure(r)));
        result.steps.extend(results);
        if let Some((outcome, reason)) = failed {
            result.outcome = if outcome == Outcome::Error { Outcome::Error } else { Outcome::Failed };
            result.reason = Some(reason);
            break;
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    crate::target::record::capture_journal(&session).await;
    session.scrubber().await.scenario(&mut result);
    result
}

fn first_failure(r: &StepResult) -> String {
    match r.failures.first() {
        Some(f) => {
            format!("step {} \"{}\": {}: expected {}, got {}", r.index, r.name, f.expectation, f.expected, f.actual)
        }
        None => format!("step {} \"{}\" failed", r.index, r.name),
    }
}
