//! Load runs: profiles, the goose engine with HDR recording, thresholds and baselines.

pub mod engine;
pub mod merge;
pub mod noise;
pub mod profile;
pub mod recorder;
pub mod shard;
pub mod verdict;

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use goose::prelude::*;

use crate::report::model::{ApiStats, LoadModelInfo, LoadModelKind, LoadReport};
use crate::target::Target;
use crate::target::session::Session;
use crate::target::step::StepCtx;
use profile::{LoadPlan, ModelKind};

/// goose runs one attack per process at a time (a global killswitch).
static ATTACK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The signal that interrupted this process's load run (0: none).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// A signal that stops a load run; the run is still reported, marked interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// Ctrl-C.
    Sigint,
    Sigterm,
}

impl Interrupt {
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::Sigint => "SIGINT",
            Interrupt::Sigterm => "SIGTERM",
        }
    }

    /// The signal's number (exit status 128 + this).
    pub fn number(self) -> i32 {
        match self {
            Interrupt::Sigint => 2,
            Interrupt::Sigterm => 15,
        }
    }

    fn from_number(n: i32) -> Option<Interrupt> {
        [Interrupt::Sigint, Interrupt::Sigterm].into_iter().find(|i| i.number() == n)
    }
}

/// Stops the running (or next) load run: called from signal handlers.
pub fn interrupt(signal: Interrupt) {
    INTERRUPTED.store(signal.number(), Ordering::SeqCst);
    goose::trigger_killswitch(&format!("interrupted ({})", signal.name()));
}

fn interrupted_now() -> bool {
    interrupted().is_some()
}

/// The signal that interrupted the load run, if one did.
pub fn interrupted() -> Option<Interrupt> {
    Interrupt::from_number(INTERRUPTED.load(Ordering::SeqCst))
}

/// Why a load run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadRunError {
    #[error("{0}")]
    Refused(String),
    #[error("the target: {0}")]
    Target(String),
    #[error("goose: {0}")]
    Engine(String),
}

/// How a run reports progress.
pub trait Progress: Send + Sync {
    /// Called about once a second with (elapsed, requests, errors, p99 µs of the last second).
    fn tick(&self, elapsed: Duration, requests: u64, errors: u64, p99_us: u64);
    fn finish(&self);
}

/// No progress output (tests).
pub struct Silent;

impl Progress for Silent {
    fn tick(&self, _: Duration, _: u64, _: u64, _: u64) {}
    fn finish(&self) {}
}

fn model_info(plan: &LoadPlan) -> LoadModelInfo {
    model_info_of(&plan.kind)
}

/// What reports say of a model.
pub fn model_info_of(kind: &ModelKind) -> LoadModelInfo {
    let secs = |d: &Duration| {
        let s = d.as_secs_f64();
        if s.fract() == 0.0 { format!("{s:.0} s") } else { format!("{s:.1} s") }
    };
    let total: Duration = match kind {
        ModelKind::Closed { stages, .. } => stages.iter().map(|(d, _)| *d).sum(),
        ModelKind::Open { stages, .. } => stages.iter().map(|(d, _)| *d).sum(),
    };
    match kind {
        ModelKind::Closed { stages, increase_rate } => {
            let summary = match (&stages[..], increase_rate) {
                ([(d, u)], Some(r)) => format!("{u} users for {}, started at {r} users/s", secs(d)),
                ([(d, u)], None) => format!("{u} users for {}, all started at once", secs(d)),
                _ => format!("{} stages over {}, up to {} users", stages.len(), secs(&total), kind.max_users()),
            };
            LoadModelInfo {
                kind: LoadModelKind::Closed,
                users: Some(kind.max_users()),
                rate: None,
                // One stage is the summary: no "Stages" line that reads like a ramp.
                stages: if stages.len() > 1 {
                    stages.iter().map(|(d, u)| format!("{} to {u} users", secs(d))).collect()
                } else {
                    Vec::new()
                },
                summary,
            }
        }
        ModelKind::Open { stages, max_in_flight } => {
            let summary = match &stages[..] {
                [(d, r)] => format!("{r} requests/s for {}, at most {max_in_flight} in flight", secs(d)),
                _ => format!("{} stages over {}, at most {max_in_flight} in flight", stages.len(), secs(&total)),
            };
            LoadModelInfo {
                kind: LoadModelKind::Open,
                users: Some(*max_in_flight),
                rate: stages.first().map(|(_, r)| *r),
                stages: if stages.len() > 1 {
                    stages.iter().map(|(d, r)| format!("{} at {r}/s", secs(d))).collect()
                } else {
                    Vec::new()
                },
                summary,
            }
        }
    }
}

/// Runs a profile against a target; the report carries thresholds' verdicts.
pub async fn run(plan: &LoadPlan, target: &Target, progress: Arc<dyn Progress>) -> Result<LoadReport, LoadRunError> {
    run_scaled(plan, target, progress, &shard::ScaleOptions::default()).await
}

/// [`run`], as a part of a run across machines: the plan may be a shard's (`shard::apply`),
/// and `scale` may fix the instant the measured window starts (`--start-at`).
pub async fn run_scaled(
    plan: &LoadPlan,
    target: &Target,
    progress: Arc<dyn Progress>,
    scale: &shard::ScaleOptions,
) -> Result<LoadReport, LoadRunError> {
    let moves_money = plan.profile.mix.iter().any(|m| m.call.api().money_moving);
    if moves_money && !target.is_embedded() && !target.profile.allow_transfers {
        return Err(LoadRunError::Refused(format!(
            "the mix moves money and target '{}' does not set allow_transfers: true",
            target.profile.name
        )));
    }
    let _one_at_a_time = ATTACK.lock().await;
    if let Some(at) = scale.start_at {
        shard::wait_ready(target, at).await.map_err(LoadRunError::Target)?;
    }
    // The shards of a run share the target: none may reset it under the others.
    let shared_target;
    let target = if plan.shard.is_some() {
        shared_target = Target { shared: true, ..target.clone() };
        &shared_target
    } else {
        target
    };
    let mut session = Session::open(target).await.map_err(|e| LoadRunError::Target(e.to_string()))?;
    let ctx = StepCtx::plain(target);
    for (i, step) in plan.setup.iter().enumerate() {
        for r in crate::target::step::run(&ctx, &mut session, step, i + 1).await {
            if let Some(f) = r.failures.first() {
                return Err(LoadRunError::Target(format!(
                    "setup step {} ({}): {}: expected {}, got {}",
                    r.index, r.action, f.expectation, f.expected, f.actual
                )));
            }
        }
    }
    let shared = Arc::new(engine::prepare(plan, &session).await.map_err(LoadRunError::Target)?);
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);

    // With --start-at: wait for the launch (ahead of the start by the time goose needs to
    // start its users), and fix the window's start.
    let lead = shard::launch_lead(&plan.kind);
    let timing = match scale.start_at {
        Some(at) => Some(shard::wait_for_start(at, lead, scale.start_tolerance, interrupted_now).await),
        None => None,
    };
    if let Some(t) = &timing {
        shared.set_start(t.start);
    }
    let mut config = engine::configuration(plan, &session.base_url);
    shard::extend_backstop(&mut config, lead);
    let mut attack = GooseAttack::initialize_with_config(config)
        .map_err(|e| LoadRunError::Engine(e.to_string()))?
        .register_scenario(engine::scenario(shared.clone()).map_err(|e| LoadRunError::Engine(e.to_string()))?)
        // The engine sends with its own client (`Shared::client`); one shared goose client
        // spares building a client, with its root store, per user.
        .set_client_builder_without_cookies(goose::client::GooseClientBuilder::new().without_cookies())
        .map_err(|e| LoadRunError::Engine(e.to_string()))?;
    if let Some(tp) = engine::test_plan(plan) {
        attack = *attack
            .set_default(GooseDefault::TestPlan, tp.as_str())
            .map_err(|e| LoadRunError::Engine(e.to_string()))?;
    }

    // Progress and abort_on_breach, once a second, off the hot path.
    let monitor = {
        let shared = shared.clone();
        let progress = progress.clone();
        let thresholds = plan.profile.thresholds.clone();
        let abort = plan.profile.abort_on_breach;
        let kind = plan.kind.clone();
        let names: Vec<String> = shared.entries.iter().map(|e| e.api.to_string()).collect();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                // goose resets its killswitch as it starts: a signal that came before is
                // passed on again here.
                if let Some(sig) = interrupted() {
                    shared.stop(engine::Stop::Interrupted(sig));
                }
                let Some(start) = shared.started() else { continue };
                let elapsed = start.elapsed();
                let (requests, errors, p99, breach) = {
                    let agg = shared.agg.lock();
                    let (n, e) = agg.total();
                    let last = agg.seconds.len().saturating_sub(2);
                    let p99 = agg.seconds.get(last).map(|s| s.latency.quantile(0.99)).unwrap_or(0);
                    let breach = if abort && n > 0 {
                        let window = elapsed.as_secs_f64();
                        let apis: Vec<_> =
                            agg.apis.iter().zip(&names).map(|(t, n)| recorder::stats(n, t, elapsed)).collect();
                        let overall = recorder::stats("overall", &agg.overall(), elapsed);
                        verdict::thresholds(&thresholds, &apis, &overall, &kind, window)
                            .into_iter()
                            // Rates are judged at the end only: mid-run they are not yet meaningful.
                            .find(|t| !t.passed && !t.name.contains("achieved rate"))
                            .map(|t| engine::Stop::Breach(format!("{} (actual {})", t.name, t.actual)))
                    } else {
                        None
                    };
                    (n, e, p99, breach)
                };
                progress.tick(elapsed, requests, errors, p99);
                if let Some(reason) = breach {
                    shared.stop(reason);
                }
                if shared.stopped.load(Ordering::Relaxed) {
                    break;
                }
            }
        })
    };
    // A closed model ends at the profile's duration, not a second later.
    let timer = {
        let shared = shared.clone();
        let closed = matches!(plan.kind, ModelKind::Closed { .. });
        let window = plan.duration;
        tokio::spawn(async move {
            let start = loop {
                match shared.started() {
                    Some(s) => break s,
                    None => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            };
            if closed {
                tokio::time::sleep_until((start + window).into()).await;
                shared.stop(engine::Stop::Duration);
            }
        })
    };
    let executed = if interrupted().is_some() { Ok(GooseMetrics::default()) } else { attack.execute().await };
    timer.abort();
    let end = Instant::now();
    monitor.abort();
    progress.finish();
    executed.map_err(|e| LoadRunError::Engine(e.to_string()))?;

    let start = shared.started().unwrap_or(end);
    // The measured window is the profile's duration when the run went to its end (the
    // open model's last slot is due just before it), the time it ran when it was cut short.
    let completed = shared.stop_reason.lock().as_ref().is_some_and(engine::Stop::completed);
    let window = if completed { plan.duration } else { end.saturating_duration_since(start).min(plan.duration) };
    let agg = shared.agg.lock();
    // Several mix entries may call one API: the report has one row per API, in mix order.
    let mut by_api: Vec<(crate::protocol::ApiId, recorder::ApiTally, Vec<usize>)> = Vec::new();
    for (i, (tally, e)) in agg.apis.iter().zip(&shared.entries).enumerate() {
        match by_api.iter_mut().find(|(api, _, _)| *api == e.api) {
            Some((_, merged, entries)) => {
                merged.add(tally);
                entries.push(i);
            }
            None => by_api.push((e.api, tally.clone(), vec![i])),
        }
    }
    let groups: Vec<Vec<usize>> = by_api.iter().map(|(_, _, entries)| entries.clone()).collect();
    let samples = recorder::samples(&agg.seconds, &groups, window);
    let by_api: Vec<_> = by_api
        .iter()
        .zip(samples.apis)
        .map(|((api, t, _), seconds)| ApiStats { seconds, ..recorder::stats(api.as_str(), t, window) })
        .collect();
    let overall = ApiStats { seconds: samples.overall, ..recorder::stats("overall", &agg.overall(), window) };
    let timeline = samples.timeline;
    drop(agg);
    // A shard judges its own part against its share of the model (the merge judges the whole).
    let kind = match &plan.shard {
        Some(s) => shard::share_of(&plan.kind, s.shard),
        None => plan.kind.clone(),
    };
    let mut thresholds = verdict::thresholds(&plan.profile.thresholds, &by_api, &overall, &kind, window.as_secs_f64());
    // The run's own gate: errors within the bound, thresholds or not.
    let bound = plan.profile.max_error_rate.map(|p| p.0).unwrap_or(profile::DEFAULT_MAX_ERROR_RATE);
    thresholds.push(verdict::error_gate(&overall, bound));
    let (late_starts, dropped) = match &shared.schedule {
        Some(s) => {
            let due_by_end = s.due_before(window);
            (shared.late.load(Ordering::Relaxed), due_by_end.saturating_sub(overall.count))
        }
        None => (0, 0),
    };
    if let Some(t) = &timing {
        thresholds.push(t.verdict());
    }
    let scale_out = plan.shard.as_ref().map(|_| {
        let agg = shared.agg.lock();
        shard::record(plan, scale, timing.as_ref(), start, &agg.seconds)
    });
    let interrupted = interrupted().map(|i| i.name().to_string());
    let aborted = interrupted.is_some() || matches!(*shared.stop_reason.lock(), Some(engine::Stop::Breach(_)));
    let passed = thresholds.iter().all(|t| t.passed) && !aborted;
    Ok(LoadReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: "load".into(),
        profile: plan.profile.name.clone(),
        source: plan.path.display().to_string(),
        target: target.info(),
        started_at,
        duration_ms: window.as_millis() as u64,
        model: model_info(plan),
        apis: by_api,
        overall,
        timeline,
        thresholds,
        baseline: None,
        late_starts,
        dropped,
        aborted,
        interrupted,
        passed,
        scale_out,
    })
}
