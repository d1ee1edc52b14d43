//! What is compared between the target's answer and the reference simulator's, and what is
//! not: rsp_code (through the target's `code_overrides`), bank_rsp_code, the outcome rows
//! of 이체결과조회/입금이체, HTTP status, whether there was an answer at all, and the
//! answer's field set against the catalogue. Timestamps, ids and messages never are.

use serde_json::Value;

use super::ops::Account;
use crate::protocol::ApiId;
use crate::protocol::fields::{FieldError, check_response, unknown_answer_fields};
use crate::report::StepResult;
use crate::target::Target;
use crate::target::expect::{effective_rsp_code, text_of};

/// The parts of one answer that are compared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observation {
    pub answered: bool,
    pub status: Option<u16>,
    pub rsp_code: Option<String>,
    pub bank_rsp_code: Option<String>,
    /// `res_cnt` and each row's `bank_rsp_code` (이체결과조회, 입금이체).
    pub res_cnt: Option<String>,
    pub rows: Vec<String>,
    /// Field-set problems against the catalogue (unknown fields; missing or malformed
    /// required fields on success).
    pub shape: Vec<String>,
}

/// What differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aspect {
    /// One side answered, the other closed the connection.
    Answer,
    HttpStatus,
    RspCode,
    BankRspCode,
    /// 이체결과조회/입금이체 rows (count or outcome codes).
    Rows,
    /// The answer's fields against the catalogue.
    FieldSet,
    /// Money moved differently on this account (change since the case began).
    Money(Account),
}

impl std::fmt::Display for Aspect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Aspect::Answer => f.write_str("whether there was an answer"),
            Aspect::HttpStatus => f.write_str("HTTP status"),
            Aspect::RspCode => f.write_str("rsp_code"),
            Aspect::BankRspCode => f.write_str("bank_rsp_code"),
            Aspect::Rows => f.write_str("result rows"),
            Aspect::FieldSet => f.write_str("the answer's field set"),
            Aspect::Money(a) => write!(f, "money moved on {}", a.label()),
        }
    }
}

/// The first difference found in a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// Index into the plan's steps.
    pub step: usize,
    pub aspect: Aspect,
    pub reference: String,
    pub target: String,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {}: {} differs: reference {}, target {}",
            self.step + 1,
            self.aspect,
            self.reference,
            self.target
        )
    }
}

fn shape_problem(e: &FieldError) -> String {
    match e {
        FieldError::Missing { field } => format!("missing {field}"),
        FieldError::NotAString { field, .. }
        | FieldError::NotAList { field }
        | FieldError::TooLong { field, .. }
        | FieldError::BadFormat { field, .. }
        | FieldError::Blank { field } => format!("malformed {field}"),
    }
}

/// Reads the compared parts of a step's answer.
pub fn observe(api: Option<ApiId>, r: &StepResult) -> Observation {
    let Some(body) = r.response.as_ref().filter(|_| r.http_status.is_some()) else {
        return Observation { answered: r.http_status.is_some(), status: r.http_status, ..Observation::default() };
    };
    let rsp_code = effective_rsp_code(r.http_status, body);
    let mut shape = Vec::new();
    if let (Some(api), Some(map)) = (api.filter(|a| a.api().path.starts_with("/v2.0/")), body.as_object()) {
        shape.extend(unknown_answer_fields(api.api().response, map).into_iter().map(|f| format!("unknown {f}")));
        if rsp_code.as_deref() == Some("A0000")
            && let Err(e) = check_response(api.api().response, map)
        {
            shape.push(shape_problem(&e));
        }
    }
    let rows = body
        .get("res_list")
        .and_then(Value::as_array)
        .map(|rows| rows.iter().map(|row| row.get("bank_rsp_code").map(text_of).unwrap_or_default()).collect())
        .unwrap_or_default();
    Observation {
        answered: true,
        status: r.http_status,
        rsp_code,
        bank_rsp_code: body.get("bank_rsp_code").map(text_of),
        res_cnt: body.get("res_cnt").map(text_of),
        rows,
        shape,
    }
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".into())
}

/// Compares the observations of one step. For `parallel` (several concurrent duplicates)
/// which copy wins is not specified, and a scenario can only say which codes each copy may
/// get: there, each of the target's answers must be one the reference gave to some copy
/// (money moved is compared after the step as for any other).
pub fn compare(
    step: usize,
    target: &Target,
    reference: &[Observation],
    actual: &[Observation],
) -> Option<Disagreement> {
    if reference.len() != 1 || actual.len() != 1 {
        return compare_concurrent(step, target, reference, actual);
    }
    let (r, t) = (&reference[0], &actual[0]);
    let differ = |aspect: Aspect, r: String, t: String| Some(Disagreement { step, aspect, reference: r, target: t });
    let answered = |o: &Observation| if o.answered { "an answer".to_string() } else { "no answer".to_string() };
    if r.answered != t.answered {
        return differ(Aspect::Answer, answered(r), answered(t));
    }
    if r.status != t.status {
        let status = |o: &Observation| o.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
        return differ(Aspect::HttpStatus, status(r), status(t));
    }
    // The target may answer another code where the project chose one (code_overrides).
    if r.rsp_code.as_deref().map(|c| target.expected_code(c)) != t.rsp_code {
        return differ(Aspect::RspCode, show(&r.rsp_code), show(&t.rsp_code));
    }
    if r.bank_rsp_code != t.bank_rsp_code {
        return differ(Aspect::BankRspCode, show(&r.bank_rsp_code), show(&t.bank_rsp_code));
    }
    if r.res_cnt != t.res_cnt || r.rows != t.rows {
        let rows = |o: &Observation| format!("res_cnt {} rows [{}]", show(&o.res_cnt), o.rows.join(" "));
        return differ(Aspect::Rows, rows(r), rows(t));
    }
    field_set(step, reference, actual)
}

fn compare_concurrent(
    step: usize,
    target: &Target,
    reference: &[Observation],
    actual: &[Observation],
) -> Option<Disagreement> {
    let list = |obs: &[Observation], f: &dyn Fn(&Observation) -> String| {
        let mut v: Vec<String> = obs.iter().map(f).collect();
        v.sort();
        v.dedup();
        v.join(", ")
    };
    let differ = |aspect: Aspect, f: &dyn Fn(&Observation) -> String| {
        Some(Disagreement { step, aspect, reference: list(reference, f), target: list(actual, f) })
    };
    let status = |o: &Observation| o.status.map(|s| s.to_string()).unwrap_or_else(|| "no answer".into());
    if actual.iter().any(|t| !reference.iter().any(|r| r.status == t.status)) {
        return differ(Aspect::HttpStatus, &status);
    }
    let code = |o: &Observation| show(&o.rsp_code);
    let expected: Vec<Option<String>> =
        reference.iter().map(|r| r.rsp_code.as_deref().map(|c| target.expected_code(c))).collect();
    if actual.iter().any(|t| !expected.contains(&t.rsp_code)) {
        return differ(Aspect::RspCode, &code);
    }
    field_set(step, reference, actual)
}

fn field_set(step: usize, reference: &[Observation], actual: &[Observation]) -> Option<Disagreement> {
    let known: Vec<&String> = reference.iter().flat_map(|o| &o.shape).collect();
    let extra: Vec<String> = actual.iter().flat_map(|o| &o.shape).filter(|p| !known.contains(p)).cloned().collect();
    if extra.is_empty() {
        return None;
    }
    let r = if known.is_empty() {
        "the catalogue's fields".to_string()
    } else {
        known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    };
    Some(Disagreement { step, aspect: Aspect::FieldSet, reference: r, target: extra.join(", ") })
}

/// The accounts whose balances are compared.
pub const WATCHED: [Account; 3] = [Account::Own, Account::OwnSecond, Account::OtherUser];

/// Balance changes since the case began, per watched account (`None`: not readable).
pub type Deltas = [Option<i128>; 3];

/// Compares balance changes after a step.
pub fn compare_money(step: usize, reference: &Deltas, actual: &Deltas) -> Option<Disagreement> {
    for (i, account) in WATCHED.iter().enumerate() {
        if let (Some(r), Some(t)) = (reference[i], actual[i])
            && r != t
        {
            return Some(Disagreement {
                step,
                aspect: Aspect::Money(*account),
                reference: format!("{r:+} won"),
                target: format!("{t:+} won"),
            });
        }
    }
    None
}
