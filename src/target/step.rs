//! Running one plan step against a session: calls and raw requests with their retries,
//! checks and captures; clock, fault, sleep and inspect steps through the simulator's admin
//! API; parallel calls. Conformance, load set-up, client certification and differential
//! checking all run steps here; conformance adds its golden snapshots through
//! [`AnswerCheck`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Target;
use super::call::{self, Sent};
use super::expect::{Answer, evaluate, text_of};
use super::session::Session;
use crate::report::{CheckFailure, Outcome, StepResult};
use crate::scenario::model::ClockAdvance;
use crate::scenario::plan::{FaultAction, PlanStep, StepKind};

/// A further check of a call's answer, run when the step's own checks passed (conformance
/// compares the answer with its golden snapshot here).
pub trait AnswerCheck: Sync {
    fn check(&self, seen: &AnswerSeen<'_>) -> Vec<CheckFailure>;
}

/// A call's answer as an [`AnswerCheck`] sees it.
pub struct AnswerSeen<'a> {
    pub step: &'a PlanStep,
    pub index: usize,
    /// Whether the step runs on its own (not inside `parallel`).
    pub top_level: bool,
    pub body: &'a Value,
}

/// What a step needs besides the session.
pub struct StepCtx<'a> {
    pub target: &'a Target,
    pub answer_check: Option<&'a dyn AnswerCheck>,
}

impl<'a> StepCtx<'a> {
    /// Steps with the step's own checks only (load set-up, certification, diff).
    pub fn plain(target: &'a Target) -> StepCtx<'a> {
        StepCtx { target, answer_check: None }
    }
}

fn result(index: usize, step: &PlanStep, started: Instant, failures: Vec<CheckFailure>) -> StepResult {
    StepResult {
        index,
        name: step.display_name(index),
        action: step.action(),
        outcome: if failures.is_empty() { Outcome::Passed } else { Outcome::Failed },
        duration_ms: started.elapsed().as_millis() as u64,
        request: None,
        http_status: None,
        response: None,
        failures,
    }
}

fn error_failure(what: &str, e: impl std::fmt::Display) -> Vec<CheckFailure> {
    vec![CheckFailure { expectation: what.into(), expected: "success".into(), actual: e.to_string(), diff: None }]
}

/// Runs a step; returns its results (several for `parallel`).
pub async fn run(ctx: &StepCtx<'_>, session: &mut Session, step: &PlanStep, index: usize) -> Vec<StepResult> {
    let started = Instant::now();
    let failures = match &step.kind {
        StepKind::Call(_) | StepKind::Request(_) => {
            let (r, captures) = call(ctx, session, step, index, true).await;
            session.vars.extend(captures);
            return vec![r];
        }
        StepKind::Parallel(children) => {
            let futures =
                children.iter().enumerate().map(|(j, child)| call(ctx, &*session, child, index * 100 + j + 1, false));
            let mut out = Vec::new();
            for (r, captures) in join_all(futures).await {
                session.vars.extend(captures);
                out.push(r);
            }
            return out;
        }
        StepKind::AdvanceClock(advance) => match advance_clock(session, *advance).await {
            // Cached tokens may have expired; the next call fetches fresh ones.
            Ok(()) => {
                session.forget_tokens().await;
                Vec::new()
            }
            Err(e) => error_failure("advance_clock", e),
        },
        StepKind::Fault(action) => {
            let r = match session.admin() {
                Err(e) => Err(e),
                Ok(admin) => match action {
                    FaultAction::Arm(rule) => admin.arm_fault(rule).await,
                    FaultAction::Clear => admin.clear_faults().await,
                },
            };
            r.err().map(|e| error_failure("fault", e)).unwrap_or_default()
        }
        StepKind::Sleep(d) => {
            tokio::time::sleep(*d).await;
            Vec::new()
        }
        StepKind::Inspect(i) => {
            let now = session.tran_dtime().await;
            let balance = match call::render(session, &now, &i.fintech_use_num) {
                Err(e) => Err(e),
                Ok(fin) => match session.admin() {
                    Err(e) => Err(e.to_string()),
                    Ok(admin) => admin.balance(&fin).await.map_err(|e| e.to_string()),
                },
            };
            match balance {
                Ok(won) => {
                    session.vars.insert(i.capture_balance.clone(), won.to_string());
                    Vec::new()
                }
                Err(e) => error_failure("inspect", e),
            }
        }
    };
    vec![result(index, step, started, failures)]
}

/// Moves the target's clock: by seconds, or to the next time it shows a KST time of day.
async fn advance_clock(session: &Session, advance: ClockAdvance) -> Result<(), String> {
    let admin = session.admin().map_err(|e| e.to_string())?;
    let seconds = match advance {
        ClockAdvance::Seconds(s) => s,
        ClockAdvance::To(time_of_day) => {
            let now = admin.clock().await.map_err(|e| e.to_string())?.now.with_timezone(&crate::protocol::time::kst());
            let since_midnight = chrono::Timelike::num_seconds_from_midnight(&now);
            u64::from((time_of_day + 86_400 - since_midnight) % 86_400)
        }
    };
    admin.advance_clock(seconds).await.map_err(|e| e.to_string())
}

/// Runs one call (with its retries); returns its result and captures.
async fn call(
    ctx: &StepCtx<'_>,
    session: &Session,
    step: &PlanStep,
    index: usize,
    top_level: bool,
) -> (StepResult, BTreeMap<String, String>) {
    let started = Instant::now();
    let attempts = step.retry.as_ref().map(|r| r.times.max(1)).unwrap_or(1);
    let delay = Duration::from_millis(step.retry.as_ref().map(|r| r.delay_ms).unwrap_or(0));
    let mut last = None;
    for attempt in 1..=attempts {
        let now = session.tran_dtime().await;
        let sent = match call::send(session, step, &now).await {
            Ok(s) => s,
            Err(e) => {
                let mut r = result(index, step, started, error_failure("build the request", e));
                r.outcome = Outcome::Error;
                return (r, BTreeMap::new());
            }
        };
        let render = |t: &crate::scenario::template::Template| t.render(&|name| call::lookup(session, &now, name));
        let answer = Answer { status: sent.status, body: sent.body.as_ref(), error: sent.error.as_deref() };
        let failures = evaluate(step.expect.as_ref(), step.api(), &answer, ctx.target, &render);
        let done = failures.is_empty() || attempt == attempts;
        last = Some((sent, failures));
        if done {
            break;
        }
        tokio::time::sleep(delay).await;
    }
    let (sent, mut failures): (Sent, _) = last.expect("at least one attempt");
    let mut captures = BTreeMap::new();
    if failures.is_empty()
        && let Some(body) = &sent.body
    {
        failures.extend(capture(step, body, &mut captures));
    }
    if failures.is_empty()
        && let (Some(check), Some(body)) = (ctx.answer_check, &sent.body)
    {
        failures.extend(check.check(&AnswerSeen { step, index, top_level, body }));
    }
    let mut r = result(index, step, started, failures);
    // Redaction of secrets and account numbers happens once, when the run model is built.
    r.request = Some(sent.request);
    r.http_status = sent.status;
    r.response = sent.body;
    (r, captures)
}

/// Captures the step's variables from an answer.
fn capture(step: &PlanStep, body: &Value, captures: &mut BTreeMap<String, String>) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    for (name, path) in &step.capture {
        match path.select(body) {
            // A captured value is held to the bound the loader assumed for it.
            Some(v) if text_of(v).len() > crate::scenario::load::MAX_VAR_BYTES => failures.push(CheckFailure {
                expectation: format!("capture {name}"),
                expected: format!("a value of at most {} bytes", crate::scenario::load::MAX_VAR_BYTES),
                actual: format!("{} bytes", text_of(v).len()),
                diff: None,
            }),
            Some(v) => {
                captures.insert(name.clone(), text_of(v));
            }
            None => failures.push(CheckFailure {
                expectation: format!("capture {name}"),
                expected: format!("a value at {path}"),
                actual: "absent".into(),
                diff: None,
            }),
        }
    }
    failures
}

/// Polls futures concurrently on this task.
pub async fn join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futs.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    results.into_iter().map(|r| r.expect("completed")).collect()
}
