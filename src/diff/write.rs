//! The minimal disagreeing case as a conformance scenario: the steps up to the one that
//! disagreed, each expecting what the reference simulator answered, and for a money
//! disagreement a balance check against the reference's change. `obharness run` accepts it
//! as is; against the reference it passes, against the disagreeing target it fails.

use serde_yaml::{Mapping, Value};

use super::compare::{self, Aspect, Disagreement, WATCHED};
use super::lockstep::Trace;
use super::plan::{self, Plan};
use crate::report::StepResult;
use crate::spec::ApiId;

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

/// The expectation of one call from the reference's answer.
fn expect_of(api: Option<ApiId>, r: &StepResult) -> Mapping {
    let o = compare::observe(api, r);
    let mut e = Mapping::new();
    if !o.answered {
        e.insert(s("no_response"), Value::Bool(true));
        return e;
    }
    let authorize = matches!(api, Some(ApiId::OauthAuthorize | ApiId::OauthAuthorizeAccount));
    if let Some(status) = o.status
        && (status != 200 || authorize || api.is_none())
    {
        e.insert(s("status"), Value::Number(status.into()));
    }
    if let Some(code) = &o.rsp_code {
        e.insert(s("rsp_code"), s(code));
    }
    if let Some(bank) = o.bank_rsp_code.as_deref().filter(|b| !b.is_empty()) {
        e.insert(s("bank_rsp_code"), s(bank));
    }
    let mut json = Vec::new();
    if let Some(cnt) = &o.res_cnt {
        json.push(Value::Mapping([(s("path"), s("$.res_cnt")), (s("equals"), s(cnt))].into_iter().collect()));
    }
    for (i, row) in o.rows.iter().enumerate() {
        let path = format!("$.res_list[{i}].bank_rsp_code");
        json.push(Value::Mapping([(s("path"), s(&path)), (s("equals"), s(row))].into_iter().collect()));
    }
    if !json.is_empty() {
        e.insert(s("json"), Value::Sequence(json));
    }
    e
}

/// Adds the reference's expectations to a planned step.
fn with_expectations(yaml: &Mapping, api: Option<ApiId>, results: &[StepResult]) -> Mapping {
    let mut step = yaml.clone();
    if let Some(Value::Sequence(children)) = step.get_mut(s("parallel")) {
        // Which of several concurrent duplicates wins is open: every child may get any of the codes seen.
        let mut codes: Vec<String> = results.iter().filter_map(|r| compare::observe(api, r).rsp_code).collect();
        codes.sort();
        codes.dedup();
        let codes = Value::Sequence(codes.iter().map(|c| s(c)).collect());
        for child in children.iter_mut() {
            if let Value::Mapping(c) = child {
                c.insert(s("expect"), Value::Mapping([(s("rsp_code"), codes.clone())].into_iter().collect()));
            }
        }
        return step;
    }
    let is_exchange = step.contains_key(s("call")) || step.contains_key(s("request"));
    if is_exchange && let Some(r) = results.first() {
        step.insert(s("expect"), Value::Mapping(expect_of(api, r)));
    }
    step
}

/// The written scenario: YAML text and its number of steps.
pub fn scenario(seed: u64, plan: &Plan, trace: &Trace, d: &Disagreement) -> (String, usize) {
    let mut steps: Vec<Mapping> = Vec::new();
    if let Aspect::Money(account) = d.aspect {
        let inspect: Mapping =
            [(s("fintech_use_num"), s(account.template())), (s("capture_balance"), s("before"))].into_iter().collect();
        steps.push([(s("inspect"), Value::Mapping(inspect))].into_iter().collect());
    }
    for (i, planned) in plan.steps.iter().enumerate().take(d.step + 1) {
        let results = trace.steps.get(i).map(|(r, _)| r.as_slice()).unwrap_or(&[]);
        steps.push(with_expectations(&planned.yaml, planned.api, results));
    }
    if let Aspect::Money(account) = d.aspect {
        let slot = WATCHED.iter().position(|a| *a == account).unwrap_or(0);
        let delta = trace.reference_money.get(d.step).copied().flatten().and_then(|m| m[slot]).unwrap_or(0);
        let age = plan.steps.get(d.step).map(|p| p.consent_age).unwrap_or((0, 0));
        steps.extend(plan::balance_check(account, age, "before", delta));
    }
    let referenced = |var: &str| {
        let needle = format!("${{{var}}}");
        steps.iter().any(|m| serde_yaml::to_string(m).is_ok_and(|t| t.contains(&needle)))
    };
    let vars: Mapping =
        plan.vars.iter().filter(|(name, _)| referenced(name)).map(|(name, t)| (s(name), s(t))).collect();
    let requires = plan::requires(&steps);
    let at = plan.steps.get(d.step).and_then(|p| p.step.name.clone()).unwrap_or_else(|| format!("step {}", d.step + 1));
    let title = format!("{} at {at} differs from the reference simulator (obharness diff --seed {seed})", d.aspect);
    let mut doc = Mapping::new();
    doc.insert(s("id"), s(&format!("OBH-DIFF-{seed}")));
    doc.insert(s("title"), s(&title));
    doc.insert(
        s("spec"),
        s("docs/diff.md: the reference simulator's answers to the minimal operation sequence on which the target disagreed"),
    );
    doc.insert(s("tags"), Value::Sequence(vec![s("diff")]));
    if !requires.is_empty() {
        doc.insert(s("requires"), Value::Sequence(requires.iter().map(|c| s(c.name())).collect()));
    }
    if !vars.is_empty() {
        doc.insert(s("vars"), Value::Mapping(vars));
    }
    let n = steps.len();
    doc.insert(s("steps"), Value::Sequence(steps.into_iter().map(Value::Mapping).collect()));
    let header = format!(
        "# Written by `obharness diff --seed {seed}`: the shortest sequence found on which the target\n\
         # and the reference simulator disagree ({d}).\n\
         # Expectations are the reference simulator's answers; see docs/diff.md.\n"
    );
    let body = serde_yaml::to_string(&Value::Mapping(doc)).unwrap_or_default();
    (format!("{header}{body}"), n)
}
