//! The checked plan: what every runner executes. A step as written ([`Step`]) names its
//! kind by which of eight optional fields it fills; the checker insists on exactly one and
//! this module turns it into a [`PlanStep`] whose kind is an enum and whose credential is
//! parsed, so no runner (conformance, load set-up and mix, client certification,
//! differential checking) works either out again.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;

use super::jsonpath::JsonPath;
use super::model::{ClockAdvance, Expect, Inspect, RawRequest, Retry, Step, WithValue};
use super::template::Template;
use crate::protocol::{ApiId, Scope};

/// One step of a plan.
#[derive(Debug, Clone)]
pub struct PlanStep {
    /// The name as written (reports fall back to the step's position and action).
    pub name: Option<String>,
    pub kind: StepKind,
    /// The credential of a call or request (`as:`); `None` means the API's default.
    pub credential: Option<Credential>,
    pub headers: BTreeMap<String, Template>,
    pub with: BTreeMap<String, WithValue>,
    pub from_ip: Option<IpAddr>,
    pub capture: BTreeMap<String, JsonPath>,
    pub expect: Option<Expect>,
    pub retry: Option<Retry>,
    /// Compare the answer with its golden snapshot (conformance only; `None`: the default).
    pub golden: Option<bool>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Call a catalogue API; the request builder fills a valid request around `with`.
    Call(ApiId),
    /// Send a raw method and path (`with` is the whole request).
    Request(RawRequest),
    AdvanceClock(ClockAdvance),
    Fault(FaultAction),
    Sleep(Duration),
    /// Read a balance outside the API into a variable.
    Inspect(Inspect),
    /// Call steps run concurrently.
    Parallel(Vec<PlanStep>),
}

#[derive(Debug, Clone)]
pub enum FaultAction {
    /// A rule as the simulator's `POST /_sim/faults` takes it.
    Arm(Value),
    Clear,
}

/// Who a call speaks as (`as:`).
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// No Authorization header.
    None,
    /// The target's default user (`user`).
    User,
    /// Another user of the target's fixtures (`user:SEQ`).
    UserSeq(Template),
    /// The institution's own token (`institution`, the oob scope).
    Institution,
    /// A token held in a variable (`${token}`, `token:${token}`).
    Token(Template),
}

/// The keywords of a step's kinds, in the order the checker names them.
pub const KINDS: &[&str] = &["call", "request", "advance_clock", "fault", "sleep_ms", "inspect", "include", "parallel"];

impl Step {
    /// The kinds this step names (the checker insists on exactly one).
    pub fn kinds(&self) -> Vec<&'static str> {
        let present = [
            self.call.is_some(),
            self.request.is_some(),
            self.advance_clock.is_some(),
            self.fault.is_some(),
            self.sleep_ms.is_some(),
            self.inspect.is_some(),
            self.include.is_some(),
            self.parallel.is_some(),
        ];
        KINDS.iter().zip(present).filter(|(_, p)| *p).map(|(k, _)| *k).collect()
    }

    /// Whether this is a call or request step (the steps `as`, `with`, `expect`… belong to).
    pub fn is_call(&self) -> bool {
        self.call.is_some() || self.request.is_some()
    }
}

/// Why a step as written is not one plan step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("does nothing: give one of {}", KINDS.join(", "))]
    NoKind,
    #[error("has several kinds ({}); split it into one step each", .0.join(", "))]
    SeveralKinds(Vec<&'static str>),
    #[error("include '{0}' was not expanded")]
    UnexpandedInclude(String),
    #[error("fault needs exactly one of arm: RULE or clear: true")]
    Fault,
    #[error("as: '{0}' is not a credential (user, user:SEQ, institution, none, or ${{token}})")]
    Credential(String),
}

impl PlanStep {
    /// The plan step a written step is (includes already expanded by the loader).
    pub fn from_step(step: &Step) -> Result<PlanStep, PlanError> {
        let kind = match step.kinds().as_slice() {
            [] => return Err(PlanError::NoKind),
            [_] => {
                if let Some(api) = step.call {
                    StepKind::Call(api)
                } else if let Some(r) = &step.request {
                    StepKind::Request(r.clone())
                } else if let Some(a) = step.advance_clock {
                    StepKind::AdvanceClock(a)
                } else if let Some(f) = &step.fault {
                    match (&f.arm, f.clear) {
                        (Some(rule), false) => StepKind::Fault(FaultAction::Arm(rule.clone())),
                        (None, true) => StepKind::Fault(FaultAction::Clear),
                        _ => return Err(PlanError::Fault),
                    }
                } else if let Some(ms) = step.sleep_ms {
                    StepKind::Sleep(Duration::from_millis(ms))
                } else if let Some(i) = &step.inspect {
                    StepKind::Inspect(i.clone())
                } else if let Some(children) = &step.parallel {
                    StepKind::Parallel(children.iter().map(PlanStep::from_step).collect::<Result<_, _>>()?)
                } else {
                    return Err(PlanError::UnexpandedInclude(step.include.clone().unwrap_or_default()));
                }
            }
            several => return Err(PlanError::SeveralKinds(several.to_vec())),
        };
        let credential = step.as_.as_ref().map(Credential::parse).transpose()?;
        Ok(PlanStep {
            name: step.name.clone(),
            kind,
            credential,
            headers: step.headers.clone(),
            with: step.with.clone(),
            from_ip: step.from_ip,
            capture: step.capture.clone(),
            expect: step.expect.clone(),
            retry: step.retry.clone(),
            golden: step.golden,
        })
    }

    /// The API a call step calls.
    pub fn api(&self) -> Option<ApiId> {
        match self.kind {
            StepKind::Call(api) => Some(api),
            _ => None,
        }
    }

    /// The name reports show: the one written, else the API or the request line.
    pub fn display_name(&self, index: usize) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match &self.kind {
            StepKind::Call(api) => api.to_string(),
            StepKind::Request(r) => format!("{} {}", r.method, r.path),
            _ => format!("step {index}"),
        }
    }

    /// What the step does, in one line (`call transfer.withdraw`, `advance_clock 60`).
    pub fn action(&self) -> String {
        match &self.kind {
            StepKind::Call(api) => format!("call {api}"),
            StepKind::Request(r) => format!("request {} {}", r.method, r.path),
            StepKind::AdvanceClock(a) => format!("advance_clock {a}"),
            StepKind::Fault(FaultAction::Arm(rule)) => format!("fault arm {rule}"),
            StepKind::Fault(FaultAction::Clear) => "fault clear".into(),
            StepKind::Sleep(d) => format!("sleep_ms {}", d.as_millis()),
            StepKind::Inspect(i) => format!("inspect {}", i.fintech_use_num),
            StepKind::Parallel(_) => "parallel".into(),
        }
    }

    /// Whether this step, or one it runs in parallel, calls an API that moves money.
    pub fn moves_money(&self) -> bool {
        match &self.kind {
            StepKind::Call(api) => api.api().money_moving,
            StepKind::Parallel(children) => children.iter().any(PlanStep::moves_money),
            _ => false,
        }
    }

    /// The credential this call uses: the one written, else the API's default.
    pub fn effective_credential(&self) -> Credential {
        match (&self.credential, self.api()) {
            (Some(c), _) => c.clone(),
            (None, Some(api)) => Credential::default_for(api),
            (None, None) => Credential::None,
        }
    }
}

/// The rsp_codes the steps expect (literal values of `expect.rsp_code`, parallel children
/// included), each once, in order of appearance: what a scenario checks, for the coverage
/// matrix.
pub fn expected_codes(steps: &[PlanStep]) -> Vec<String> {
    fn walk(steps: &[PlanStep], out: &mut Vec<String>) {
        for step in steps {
            if let StepKind::Parallel(children) = &step.kind {
                walk(children, out);
            }
            let codes = step.expect.iter().flat_map(|e| e.rsp_code.iter()).flat_map(|c| c.items());
            for code in codes.filter(|t| t.vars().next().is_none()).map(|t| t.source().to_string()) {
                if !out.contains(&code) {
                    out.push(code);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(steps, &mut out);
    out
}

/// Turns written steps into plan steps (the checker has passed them).
pub fn plan(steps: &[Step]) -> Result<Vec<PlanStep>, PlanError> {
    steps.iter().map(PlanStep::from_step).collect()
}

impl Credential {
    /// Parses `as:`: a keyword, `user:SEQ`, or a template naming a token.
    pub fn parse(t: &Template) -> Result<Credential, PlanError> {
        let source = t.source();
        if let Some(seq) = source.strip_prefix("user:") {
            return Template::parse(seq)
                .map(Credential::UserSeq)
                .map_err(|_| PlanError::Credential(source.to_string()));
        }
        // `token:LITERAL` (a literal token, e.g. a bad one) or a template naming one.
        if let Some(token) = source.strip_prefix("token:").or(t.vars().next().map(|_| source)) {
            return Template::parse(token).map(Credential::Token).map_err(|_| PlanError::Credential(source.into()));
        }
        match source {
            "none" => Ok(Credential::None),
            "user" => Ok(Credential::User),
            "institution" => Ok(Credential::Institution),
            _ => Err(PlanError::Credential(source.to_string())),
        }
    }

    /// The credential an API takes when the step names none: user APIs a user token, the
    /// institution APIs (oob scope) the institution's, OAuth itself none.
    pub fn default_for(api: ApiId) -> Credential {
        let scopes = api.api().scopes;
        if scopes.is_empty() {
            Credential::None
        } else if scopes.contains(&Scope::Oob) {
            Credential::Institution
        } else {
            Credential::User
        }
    }
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::None => f.write_str("none"),
            Credential::User => f.write_str("user"),
            Credential::UserSeq(t) => write!(f, "user:{t}"),
            Credential::Institution => f.write_str("institution"),
            Credential::Token(t) if t.vars().next().is_some() => write!(f, "{t}"),
            Credential::Token(t) => write!(f, "token:{t}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(yaml: &str) -> Step {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_step_becomes_one_kind_with_its_credential_parsed() {
        let p = PlanStep::from_step(&step("call: transfer.withdraw\nas: institution")).unwrap();
        assert!(matches!(p.kind, StepKind::Call(_)));
        assert_eq!(p.credential, Some(Credential::Institution));
        assert_eq!(p.action(), "call transfer.withdraw");
        let p = PlanStep::from_step(&step("call: user.me\nas: user:${seq}")).unwrap();
        assert!(matches!(p.credential, Some(Credential::UserSeq(_))));
        let p = PlanStep::from_step(&step("call: user.me\nas: ${tok}")).unwrap();
        assert!(matches!(p.credential, Some(Credential::Token(_))));
        assert_eq!(p.effective_credential().to_string(), "${tok}");
        assert_eq!(PlanStep::from_step(&step("call: user.me")).unwrap().effective_credential(), Credential::User);
        // docs/scenarios.md: `token:LITERAL` sends that literal token (benches/load uses it).
        let p = PlanStep::from_step(&step("call: user.me\nas: \"token:bench\"")).unwrap();
        assert_eq!(p.effective_credential().to_string(), "token:bench");
        let p = PlanStep::from_step(&step("fault: {clear: true}")).unwrap();
        assert_eq!(p.action(), "fault clear");
        let p = PlanStep::from_step(&step(
            "parallel:\n  - { call: transfer.withdraw, expect: { rsp_code: A0000 } }\n  - { call: transfer.withdraw, expect: { rsp_code: [A0000, A0326] } }",
        ))
        .unwrap();
        assert_eq!(expected_codes(&[p]), ["A0000", "A0326"]);
    }

    #[test]
    fn a_step_with_no_kind_or_several_or_a_bad_credential_is_refused() {
        assert_eq!(PlanStep::from_step(&step("name: x")).unwrap_err(), PlanError::NoKind);
        assert_eq!(
            PlanStep::from_step(&step("call: user.me\nsleep_ms: 5")).unwrap_err(),
            PlanError::SeveralKinds(vec!["call", "sleep_ms"])
        );
        assert!(matches!(PlanStep::from_step(&step("call: user.me\nas: admin")), Err(PlanError::Credential(_))));
        assert_eq!(PlanStep::from_step(&step("fault: {clear: false}")).unwrap_err(), PlanError::Fault);
    }
}
