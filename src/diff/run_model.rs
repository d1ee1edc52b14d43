//! A differential run as the conformance run model, so the terminal, JSON, JUnit, HTML and
//! Markdown writers render it like any run: one result for the cases, carrying on a
//! disagreement the target's answers to the minimal case with the disagreeing step failed.

use super::{DiffOutcome, Finding};
use crate::report::model::{RunKind, Severity};
use crate::report::{CheckFailure, Outcome, RunReport, ScenarioResult, StepResult};
use crate::target::Target;

/// The run model of a differential run, for the terminal, JSON, JUnit and HTML writers.
pub fn report(outcome: &DiffOutcome, target: &Target, started_at: String) -> RunReport {
    let mut cases = ScenarioResult {
        id: format!("DIFF-{}", outcome.seed),
        title: format!(
            "{} random case(s) in lockstep with the reference simulator (seed {})",
            outcome.cases_run, outcome.seed
        ),
        spec: "docs/diff.md: rsp_code, bank_rsp_code, result rows, HTTP status, field sets and money moved agree"
            .into(),
        tags: vec!["diff".into()],
        severity: Severity::Failure,
        source: "obharness diff".into(),
        outcome: Outcome::Passed,
        reason: None,
        expected_failure: false,
        duration_ms: outcome.elapsed.as_millis() as u64,
        steps: Vec::new(),
        expected_codes: Vec::new(),
    };
    if let Some(f) = &outcome.finding {
        cases.outcome = Outcome::Failed;
        let mut reason = format!(
            "{} (shrunk to {} operation(s), {} scenario step(s); replay with --seed {})",
            f.disagreement,
            f.ops.len(),
            f.scenario_steps,
            outcome.seed
        );
        if let Some(v) = &f.validation
            && !v.reproduces()
        {
            reason.push_str(&format!(
                "; the written scenario did not reproduce it (reference: {:?}, target: {:?})",
                v.on_reference.outcome, v.on_target.outcome
            ));
        }
        cases.reason = Some(reason);
        cases.steps = target_steps(f);
    }
    let mut report = RunReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: RunKind::Differential,
        subject: None,
        target: target.info(),
        started_at,
        duration_ms: outcome.elapsed.as_millis() as u64,
        scenarios: vec![cases],
        summary: Default::default(),
        unused_snapshots: Vec::new(),
        interrupted: None,
        written_snapshots: Vec::new(),
    };
    report.finish();
    report
}

/// The target's side of the minimal case, the disagreeing step marked failed.
fn target_steps(f: &Finding) -> Vec<StepResult> {
    let mut out = Vec::new();
    for (i, (_, target)) in f.trace.steps.iter().enumerate() {
        for r in target {
            let mut r = r.clone();
            r.failures.clear();
            r.outcome = Outcome::Passed;
            if i == f.disagreement.step {
                r.outcome = Outcome::Failed;
                r.failures.push(CheckFailure {
                    expectation: f.disagreement.aspect.to_string(),
                    expected: format!("{} (the reference simulator)", f.disagreement.reference),
                    actual: f.disagreement.target.clone(),
                    diff: None,
                });
            }
            out.push(r);
        }
    }
    out
}
