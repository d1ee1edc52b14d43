//! Load profiles (`scenarios/load/*.yaml`): the model (closed users or open arrival rate),
//! the mix of calls written like conformance steps, thresholds, and bounds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::protocol::ApiId;
use crate::scenario::error::{InputError, InputErrors};
use crate::scenario::model::{Capability, Expect, Step, WithValue};
use crate::scenario::template::Template;

/// A profile as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Target profile file (relative to this file); default: the embedded simulator.
    pub target: Option<PathBuf>,
    pub model: Model,
    /// Stop after this many requests in all, even before `duration`.
    pub max_requests: Option<u64>,
    /// Steps run once before the measured window (conformance step syntax: faults, clock,
    /// calls whose captures the mix can use).
    #[serde(default)]
    pub setup: Vec<Step>,
    pub mix: Vec<MixEntry>,
    /// Pause between a user's requests (closed model): `0ms`, or `{min, max}`.
    #[serde(default)]
    pub think_time: Option<ThinkTime>,
    #[serde(default)]
    pub thresholds: Vec<Threshold>,
    /// Stop the run as soon as a threshold is breached (checked every second).
    #[serde(default)]
    pub abort_on_breach: bool,
    /// Most errors (refused or failed requests) a run may have and still pass, thresholds or
    /// not; default 1%. `--max-error-rate` overrides it.
    pub max_error_rate: Option<Percent>,
}

/// The error rate above which a run fails when the profile sets none.
pub const DEFAULT_MAX_ERROR_RATE: f64 = 1.0;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Model {
    /// A fixed population of users, each sending as fast as answers come back.
    Closed {
        users: Option<u32>,
        /// Users started per second (ramp); default: all at once.
        increase_rate: Option<f64>,
        duration: Option<Span>,
        /// A test plan instead of users/duration: each stage ramps to `users` over `duration`.
        #[serde(default)]
        stages: Vec<ClosedStage>,
    },
    /// Requests start on a schedule (`rate` per second) whatever the target's speed; latency
    /// is measured from each request's intended start.
    Open {
        rate: Option<f64>,
        duration: Option<Span>,
        #[serde(default)]
        stages: Vec<OpenStage>,
        /// Most requests in flight at once (the engine's users); default 256.
        max_in_flight: Option<u32>,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedStage {
    pub duration: Span,
    pub users: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStage {
    pub duration: Span,
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ThinkTime {
    Fixed(Span),
    Range { min: Span, max: Span },
}

impl<'de> Deserialize<'de> for ThinkTime {
    // By hand rather than untagged, so a bad span keeps its position in the file.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ThinkTime;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 100ms, or { min, max }")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ThinkTime, E> {
                Span::parse(s).map(ThinkTime::Fixed).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ThinkTime, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Range {
                    min: Span,
                    max: Span,
                }
                let r = Range::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ThinkTime::Range { min: r.min, max: r.max })
            }
        }
        d.deserialize_any(V)
    }
}

/// One call of the mix, written like a conformance call step.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    #[serde(default = "one")]
    pub weight: u32,
    pub call: ApiId,
    #[serde(rename = "as")]
    pub as_: Option<Template>,
    #[serde(default)]
    pub with: BTreeMap<String, WithValue>,
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// What counts as a good answer (default `rsp_code: A0000`); anything else is an error.
    pub expect: Option<Expect>,
}

fn one() -> u32 {
    1
}

impl MixEntry {
    /// The conformance step this entry is, so profiles go through the scenario checker.
    pub fn step(&self) -> Step {
        Step {
            call: Some(self.call),
            as_: self.as_.clone(),
            with: self.with.clone(),
            headers: self.headers.clone(),
            expect: self.expect.clone(),
            golden: Some(false),
            ..Step::default()
        }
    }

    /// The rsp_codes that count as success.
    pub fn expected_codes(&self) -> Vec<String> {
        match self.expect.as_ref().and_then(|e| e.rsp_code.as_ref()) {
            Some(codes) => codes.items().into_iter().map(|t| t.source().to_string()).collect(),
            None => vec![crate::protocol::RspCode::Success.code().into()],
        }
    }
}

/// A limit the run must respect; exactly one metric per entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The API it applies to; default: all requests together.
    pub api: Option<ApiId>,
    pub p50: Option<Span>,
    pub p90: Option<Span>,
    pub p95: Option<Span>,
    pub p99: Option<Span>,
    #[serde(rename = "p99.9")]
    pub p999: Option<Span>,
    pub max: Option<Span>,
    /// Most errors allowed, as a percentage (`1%`).
    pub error_rate: Option<Percent>,
    /// With `share_at_least` or `share_at_most`: the share of answers with this rsp_code.
    pub rsp_code: Option<String>,
    pub share_at_least: Option<Percent>,
    pub share_at_most: Option<Percent>,
    /// Achieved rate as a percentage of the open model's target rate.
    pub achieved_rate_at_least: Option<Percent>,
}

/// Longest span written anywhere in a profile (durations, stages, think time, thresholds).
pub const MAX_SPAN: Duration = Duration::from_secs(86_400);
/// Largest weight of a mix entry.
pub const MAX_WEIGHT: u32 = 1_000_000;
/// Most calls in a mix.
pub const MAX_MIX: usize = 100;
/// Most stages, setup steps or thresholds.
pub const MAX_ITEMS: usize = 100;
/// Fastest ramp of a closed model, users started per second.
pub const MAX_INCREASE_RATE: f64 = 10_000.0;

/// A duration written `250ms`, `30s`, `2m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    pub fn parse(s: &str) -> Result<Span, String> {
        let s = s.trim();
        let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len()));
        let n: f64 = num.parse().map_err(|_| format!("'{s}' is not a duration (e.g. 250ms, 30s, 2m)"))?;
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            _ => return Err(format!("'{s}': unit must be ms, s or m")),
        };
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("'{s}' is not a duration"));
        }
        if secs > MAX_SPAN.as_secs_f64() {
            return Err(format!("'{s}' is longer than {} s (a day)", MAX_SPAN.as_secs()));
        }
        Duration::try_from_secs_f64(secs).map(Span).map_err(|_| format!("'{s}' is not a duration"))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Span::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}ms", self.0.as_millis()))
    }
}

impl JsonSchema for Span {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Span".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9.]+(ms|s|m)$" })
    }
}

/// A percentage written `1%` or `99.5%`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(pub f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let n: f64 = s
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse().ok())
            .filter(|n: &f64| (0.0..=100.0).contains(n))
            .ok_or_else(|| serde::de::Error::custom(format!("'{s}' is not a percentage between 0% and 100%")))?;
        Ok(Percent(n))
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}%", self.0))
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9.]+%$" })
    }
}

/// A profile with its model resolved into a schedule and its bounds checked.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub path: PathBuf,
    pub profile: Profile,
    /// The set-up steps and the mix's calls (in `profile.mix` order) as plan steps.
    pub setup: Vec<crate::scenario::plan::PlanStep>,
    pub mix: Vec<crate::scenario::plan::PlanStep>,
    pub kind: ModelKind,
    /// Measured duration in all.
    pub duration: Duration,
    /// Set when this plan is one shard's part of a run across machines (`load --shard K/N`).
    pub shard: Option<super::shard::Sharding>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// (at time, users) steps; users ramp linearly within a stage.
    Closed { stages: Vec<(Duration, u32)>, increase_rate: Option<f64> },
    /// (stage duration, rate) steps.
    Open { stages: Vec<(Duration, f64)>, max_in_flight: u32 },
}

impl ModelKind {
    pub fn max_users(&self) -> u32 {
        match self {
            ModelKind::Closed { stages, .. } => stages.iter().map(|(_, u)| *u).max().unwrap_or(1),
            ModelKind::Open { max_in_flight, .. } => *max_in_flight,
        }
    }
}

/// Longest run a profile may ask for: every load loop is bounded.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Loads and checks a profile; errors name the file, line and column.
pub fn load(path: &Path) -> Result<LoadPlan, InputErrors> {
    let text = crate::scenario::input::read_text(path).map_err(|e| InputErrors(vec![e]))?;
    parse(path, &text)
}

/// Checks profile text; every problem is reported, each at its position.
pub fn parse(path: &Path, text: &str) -> Result<LoadPlan, InputErrors> {
    let profile: Profile =
        crate::scenario::input::parse_yaml(path, text, "load profile").map_err(|e| InputErrors(vec![e]))?;
    let err = |msg: String, needle: &str| InputError::new(path, msg).find(text, needle, 1);
    let mut errors = Vec::new();
    if profile.mix.is_empty() {
        errors.push(err("mix: at least one call is needed".into(), "mix:"));
    }
    // Bounds first: a file far over them is not checked entry by entry.
    if profile.mix.len() > MAX_MIX {
        return Err(InputErrors(vec![err(
            format!("mix: at most {MAX_MIX} calls (this one has {})", profile.mix.len()),
            "mix:",
        )]));
    }
    for (what, n) in [("setup", profile.setup.len()), ("thresholds", profile.thresholds.len())] {
        if n > MAX_ITEMS {
            return Err(InputErrors(vec![err(format!("{what}: at most {MAX_ITEMS} entries"), &format!("{what}:"))]));
        }
    }
    if let Some(m) = profile.mix.iter().find(|m| m.weight > MAX_WEIGHT) {
        errors.push(err(format!("mix: weight {} is above {MAX_WEIGHT}", m.weight), &m.weight.to_string()));
    }
    if !profile.mix.is_empty() && profile.mix.iter().all(|m| m.weight == 0) {
        errors.push(err("mix: every weight is 0".into(), "weight"));
    }
    for (i, step) in profile.setup.iter().enumerate() {
        if matches!(step.kinds().as_slice(), ["include"] | ["parallel"]) {
            errors.push(err(
                format!("setup step {}: give one of call, request, advance_clock, fault, sleep_ms, inspect", i + 1),
                "setup:",
            ));
        }
    }
    for (i, m) in profile.mix.iter().enumerate() {
        if let Some(e) = &m.expect
            && (e.bank_rsp_code.is_some()
                || e.status.is_some()
                || e.schema.is_some()
                || e.no_response
                || !e.json.is_empty())
        {
            // The engine judges each answer by its rsp_code only, to stay cheap per request.
            errors.push(err(
                format!("mix.{}: expect takes only rsp_code in a load mix (other checks would never run)", i + 1),
                "expect",
            ));
        }
    }
    // Setup and mix are checked like conformance steps: fields, credentials, variables
    // (built-ins and the setup's captures), each error at its position.
    let all: std::collections::BTreeSet<Capability> = Capability::ALL.into();
    let mut known: std::collections::BTreeSet<String> =
        crate::scenario::load::BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    errors.extend(crate::scenario::load::check_steps(
        path,
        text,
        "setup.",
        &profile.setup,
        &all,
        &mut known,
        &Default::default(),
    ));
    let mix: Vec<Step> = profile.mix.iter().map(MixEntry::step).collect();
    errors.extend(crate::scenario::load::check_steps(path, text, "mix.", &mix, &all, &mut known, &Default::default()));
    for t in &profile.thresholds {
        let metrics = [
            t.p50.is_some(),
            t.p90.is_some(),
            t.p95.is_some(),
            t.p99.is_some(),
            t.p999.is_some(),
            t.max.is_some(),
            t.error_rate.is_some(),
            t.share_at_least.is_some() || t.share_at_most.is_some(),
            t.achieved_rate_at_least.is_some(),
        ];
        if metrics.iter().filter(|m| **m).count() != 1 {
            errors.push(err("thresholds: each entry names exactly one metric".into(), "thresholds:"));
        }
        if (t.share_at_least.is_some() || t.share_at_most.is_some()) != t.rsp_code.is_some() {
            errors.push(err("thresholds: rsp_code goes with share_at_least or share_at_most".into(), "thresholds:"));
        }
        if let Some(code) = &t.rsp_code
            && crate::protocol::RspCode::from_code(code).is_none()
        {
            errors.push(err(format!("thresholds: '{code}' is not a known rsp_code"), code));
        }
    }
    let model = (|| -> Result<(ModelKind, Duration), InputError> {
        Ok(match &profile.model {
            Model::Closed { users, increase_rate, duration, stages } => {
                let stages: Vec<(Duration, u32)> = if stages.is_empty() {
                    let (Some(users), Some(d)) = (users, duration) else {
                        return Err(err("model: closed needs users and duration, or stages".into(), "model:"));
                    };
                    vec![(d.0, *users)]
                } else {
                    stages.iter().map(|s| (s.duration.0, s.users)).collect()
                };
                if stages.len() > MAX_ITEMS {
                    return Err(err(format!("model: at most {MAX_ITEMS} stages"), "stages"));
                }
                if stages.iter().any(|(_, u)| *u == 0 || *u > 10_000) {
                    return Err(err("model: users must be 1 to 10000".into(), "users"));
                }
                // goose ramps closed-model stages in whole seconds.
                if stages.len() > 1 && stages.iter().any(|(d, _)| d.is_zero() || d.subsec_nanos() != 0) {
                    return Err(err(
                        "model: closed-model stages last whole seconds (1s, 30s, 2m), at least 1s".into(),
                        "stages",
                    ));
                }
                if let Some(r) = increase_rate
                    && !(r.is_finite() && *r > 0.0 && *r <= MAX_INCREASE_RATE)
                {
                    return Err(err(
                        format!(
                            "model: increase_rate must be above 0 and at most {MAX_INCREASE_RATE} users per second"
                        ),
                        "increase_rate",
                    ));
                }
                let total: Duration = stages.iter().map(|(d, _)| *d).sum();
                (ModelKind::Closed { stages, increase_rate: *increase_rate }, total)
            }
            Model::Open { rate, duration, stages, max_in_flight } => {
                let stages: Vec<(Duration, f64)> = if stages.is_empty() {
                    let (Some(rate), Some(d)) = (rate, duration) else {
                        return Err(err("model: open needs rate and duration, or stages".into(), "model:"));
                    };
                    vec![(d.0, *rate)]
                } else {
                    stages.iter().map(|s| (s.duration.0, s.rate)).collect()
                };
                if stages.len() > MAX_ITEMS {
                    return Err(err(format!("model: at most {MAX_ITEMS} stages"), "stages"));
                }
                if stages.iter().any(|(_, r)| !(r.is_finite() && *r > 0.0 && *r <= 1_000_000.0)) {
                    return Err(err("model: rate must be above 0 and at most 1000000 per second".into(), "rate"));
                }
                let total: Duration = stages.iter().map(|(d, _)| *d).sum();
                (ModelKind::Open { stages, max_in_flight: max_in_flight.unwrap_or(256).clamp(1, 10_000) }, total)
            }
        })
    })();
    let (kind, duration) = match model {
        Ok(kd) => kd,
        Err(e) => {
            errors.push(e);
            (ModelKind::Open { stages: Vec::new(), max_in_flight: 1 }, Duration::from_secs(1))
        }
    };
    if duration.is_zero() || duration > MAX_DURATION {
        errors.push(err(
            format!("model: the run must last more than 0 s and at most {} s", MAX_DURATION.as_secs()),
            "duration",
        ));
    }
    if profile.max_requests == Some(0) {
        errors.push(err("max_requests must be at least 1".into(), "max_requests"));
    }
    let think_max = match &profile.think_time {
        Some(ThinkTime::Fixed(d)) => d.0,
        Some(ThinkTime::Range { min, max }) => min.0.max(max.0),
        None => Duration::ZERO,
    };
    if think_max > MAX_THINK_TIME {
        errors.push(err(format!("think_time: at most {} s", MAX_THINK_TIME.as_secs()), "think_time"));
    }
    if !errors.is_empty() {
        return Err(InputErrors(errors));
    }
    // Checked above: every setup step and mix entry is one plan step.
    let bad_plan = |e: crate::scenario::plan::PlanError| InputErrors(vec![InputError::new(path, e.to_string())]);
    let setup = crate::scenario::plan::plan(&profile.setup).map_err(bad_plan)?;
    let mix = crate::scenario::plan::plan(&mix).map_err(bad_plan)?;
    Ok(LoadPlan { path: path.to_path_buf(), profile, setup, mix, kind, duration, shard: None })
}

/// Longest pause between a user's requests (a user in its pause delays the run's end).
pub const MAX_THINK_TIME: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<LoadPlan, InputError> {
        parse(Path::new("p.yaml"), text).map_err(|mut e| e.0.remove(0))
    }

    #[test]
    fn a_closed_profile_loads() {
        let p = plan("name: x\nmodel: { kind: closed, users: 8, duration: 2s }\nmix:\n  - { call: account.balance, weight: 3 }\n  - call: user.me\nthresholds:\n  - { api: account.balance, p99: 50ms }\n  - { error_rate: 1% }\n").unwrap();
        assert_eq!(p.duration, Duration::from_secs(2));
        assert_eq!(p.kind, ModelKind::Closed { stages: vec![(Duration::from_secs(2), 8)], increase_rate: None });
        assert_eq!(p.profile.thresholds[0].p99, Some(Span(Duration::from_millis(50))));
    }

    #[test]
    fn an_open_profile_with_stages_loads() {
        let p = plan("name: x\nmodel:\n  kind: open\n  stages: [{ duration: 1s, rate: 100 }, { duration: 500ms, rate: 1000 }]\nmix: [{ call: user.me }]\n").unwrap();
        assert_eq!(p.duration, Duration::from_millis(1500));
        assert!(matches!(p.kind, ModelKind::Open { max_in_flight: 256, .. }));
    }

    #[test]
    fn think_time_is_a_span_or_a_range() {
        let p = plan(
            "name: x\nmodel: { kind: closed, users: 1, duration: 1s }\nthink_time: 10ms\nmix: [{ call: user.me }]\n",
        )
        .unwrap();
        assert!(matches!(p.profile.think_time, Some(ThinkTime::Fixed(Span(d))) if d == Duration::from_millis(10)));
        let p = plan("name: x\nmodel: { kind: closed, users: 1, duration: 1s }\nthink_time: { min: 1ms, max: 5ms }\nmix: [{ call: user.me }]\n").unwrap();
        assert!(matches!(p.profile.think_time, Some(ThinkTime::Range { .. })));
    }

    #[test]
    fn bad_input_is_positioned() {
        let e =
            plan("name: x\nmodel: { kind: closed, users: 8, duration: 2x }\nmix: [{ call: user.me }]\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("unit must be ms, s or m"), "{e}");
        let e = plan("name: x\nmodel: { kind: closed, users: 8, duration: 2s }\nmix: [{ call: acount.balance }]\n")
            .unwrap_err();
        assert!(e.message.contains("did you mean 'account.balance'"), "{e}");
        let e = plan("name: x\nmodel: { kind: closed, users: 8, duration: 2s }\nmix: [{ call: user.me }]\nthresholds: [{ p99: 5ms, p50: 1ms }]\n").unwrap_err();
        assert!(e.message.contains("exactly one metric"), "{e}");
        let e = plan("name: x\nmodel: { kind: open, rate: 10, duration: 2h }\nmix: [{ call: user.me }]\n").unwrap_err();
        assert!(e.message.contains("unit"), "{e}");
        let e =
            plan("name: x\nmodel: { kind: open, rate: 10, duration: 7200s }\nmix: [{ call: user.me }]\n").unwrap_err();
        assert!(e.message.contains("at most 3600 s"), "{e}");
    }
}
