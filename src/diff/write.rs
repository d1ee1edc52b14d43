//! The minimal disagreeing case as a conformance scenario: the steps up to the one that
//! disagreed, each expecting what the reference simulator answered, and for a money
//! disagreement a balance check against the reference's change. `obharness run` accepts it
//! as is; against the reference it passes, against the disagreeing target it fails.

use serde_yaml::{Mapping, Value};

use super::compare::{self, Aspect, Disagreement, WATCHED};
use super::lockstep::Trace;
use super::plan::{self, Plan};
use crate::protocol::ApiId;
use crate::report::StepResult;

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

/// A JSONPath (the scenario subset) for a field name as `unknown_answer_fields` gives it
/// (`res_list[0].rsp_code`).
fn json_path(field: &str) -> String {
    let mut out = String::from("$");
    for part in field.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']'))),
            None => (part, None),
        };
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push('.');
            out.push_str(name);
        } else {
            out.push_str(&format!("['{}']", name.replace('\'', "")));
        }
        if let Some(i) = index {
            out.push_str(&format!("[{i}]"));
        }
    }
    out
}

/// At the disagreeing step, what the reference's answer does not carry and the target's does
/// (fields the catalogue does not know, a bank_rsp_code) is expected absent.
fn absent_checks(step: &mut Mapping, api: Option<ApiId>, reference: &StepResult, target: &StepResult) {
    let (r, t) = (compare::observe(api, reference), compare::observe(api, target));
    let mut paths: Vec<String> = t
        .shape
        .iter()
        .filter(|p| !r.shape.contains(p))
        .filter_map(|p| p.strip_prefix("unknown "))
        .map(json_path)
        .collect();
    if r.bank_rsp_code.is_none() && t.bank_rsp_code.is_some() {
        paths.push("$.bank_rsp_code".into());
    }
    let Some(Value::Mapping(expect)) = step.get_mut(s("expect")) else { return };
    let json = expect.entry(s("json")).or_insert_with(|| Value::Sequence(Vec::new()));
    if let Value::Sequence(checks) = json {
        for p in paths {
            checks.push(Value::Mapping([(s("path"), s(&p)), (s("exists"), Value::Bool(false))].into_iter().collect()));
        }
    }
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
        let mut step = with_expectations(&planned.yaml, planned.api, results);
        if i == d.step
            && let Some((r, t)) = trace.steps.get(i).and_then(|(r, t)| Some((r.first()?, t.first()?)))
        {
            absent_checks(&mut step, planned.api, r, t);
        }
        steps.push(step);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_names_become_scenario_json_paths() {
        assert_eq!(json_path("extra"), "$.extra");
        assert_eq!(json_path("res_list[0].rsp_code"), "$.res_list[0].rsp_code");
        assert_eq!(json_path("x-y"), "$['x-y']");
        for p in ["extra", "res_list[0].rsp_code", "x-y"] {
            assert!(crate::scenario::jsonpath::JsonPath::parse(&json_path(p)).is_ok(), "{p}");
        }
    }

    fn answer(body: serde_json::Value) -> StepResult {
        StepResult {
            index: 1,
            name: "op 1".into(),
            action: "call".into(),
            outcome: crate::report::Outcome::Passed,
            duration_ms: 0,
            request: None,
            http_status: Some(200),
            response: Some(body),
            failures: Vec::new(),
            api: None,
            checks: Vec::new(),
        }
    }

    #[test]
    fn an_unknown_field_is_a_field_set_disagreement_written_as_expected_absent() {
        use crate::diff::ops::{Account, Op};
        let plan = plan::plan(&[Op::Balance(Account::Own)]).unwrap();
        let reference = answer(serde_json::json!({"rsp_code": "A0318", "rsp_message": "x"}));
        let target = answer(serde_json::json!({"rsp_code": "A0318", "rsp_message": "x", "debug_id": "7"}));
        let api = plan.steps[0].api;
        let t = crate::target::Target::embedded(Vec::new());
        let d = compare::compare(0, &t, &[compare::observe(api, &reference)], &[compare::observe(api, &target)])
            .expect("a disagreement");
        assert_eq!(d.aspect, Aspect::FieldSet);
        assert_eq!(d.target, "unknown debug_id");
        let trace =
            Trace { steps: vec![(vec![reference], vec![target])], reference_money: vec![None], disagreement: None };
        let (yaml, n) = scenario(1, &plan, &trace, &d);
        assert_eq!(n, 1);
        assert!(yaml.contains("path: $.debug_id\n      exists: false"), "{yaml}");
        let written: crate::scenario::model::Scenario = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(written.steps.len(), 1);
    }
}
