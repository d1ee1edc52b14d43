//! The scenario format as written in YAML (documented in `docs/scenarios.md`). Values that
//! can be checked on their own (API ids, JSONPaths, templates, capabilities) are checked
//! while deserialising, so their errors carry the file position.

use std::collections::BTreeMap;
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::jsonpath::JsonPath;
use super::pattern::Pattern;
use super::template::Template;
use crate::protocol::ApiId;

/// One scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id, e.g. `OBH-TR-DUP-001`.
    pub id: String,
    pub title: String,
    /// The seed section or reference line the scenario checks.
    pub spec: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub severity: Severity,
    /// Target capabilities the scenario needs; without them it is skipped, never passed.
    #[serde(default)]
    pub requires: Vec<Capability>,
    /// Variables available to every step as `${name}`.
    #[serde(default)]
    pub vars: BTreeMap<String, Template>,
    pub steps: Vec<Step>,
}

/// A file of shared steps pulled in with `include:`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    #[serde(default)]
    pub requires: Vec<Capability>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failed check fails the run.
    #[default]
    Failure,
    /// A failed check is reported but does not fail the run.
    Warning,
}

/// What a target can do beyond answering the APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Move the target's clock (`advance_clock`).
    ClockControl,
    /// Arm and clear fault rules (`fault`).
    FaultInjection,
    /// Obtain user consent headlessly and know the target's test data.
    Fixtures,
    /// Read account balances outside the API (`inspect`).
    LedgerInspection,
    /// Send from another source address (`from_ip`).
    SourceAddressBinding,
}

impl Capability {
    /// Every capability (load set-up and client set-up steps may use them all).
    pub const ALL: [Capability; 5] = [
        Capability::ClockControl,
        Capability::FaultInjection,
        Capability::Fixtures,
        Capability::LedgerInspection,
        Capability::SourceAddressBinding,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Capability::ClockControl => "clock_control",
            Capability::FaultInjection => "fault_injection",
            Capability::Fixtures => "fixtures",
            Capability::LedgerInspection => "ledger_inspection",
            Capability::SourceAddressBinding => "source_address_binding",
        }
    }
}

/// One step. Exactly one of the kinds (`call`, `request`, `advance_clock`, `fault`, `sleep_ms`,
/// `inspect`, `include`, `parallel`) is given; the plan stage checks that.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Names the step in reports and golden files (default: its position and API id).
    pub name: Option<String>,

    /// Call an API by catalogue id; the runner fills a valid request around `with`.
    pub call: Option<ApiId>,
    /// Call a raw method and path instead (`with` is then the whole request).
    pub request: Option<RawRequest>,
    /// Move the target's virtual clock forward: by this many seconds, or (`"to 23:54:30"`)
    /// to the next time the clock shows this KST time of day.
    pub advance_clock: Option<ClockAdvance>,
    /// Arm or clear fault rules on the target.
    pub fault: Option<FaultStep>,
    /// Wait this long.
    pub sleep_ms: Option<u64>,
    /// Read an account's balance outside the API into a variable.
    pub inspect: Option<Inspect>,
    /// Run the steps of a fragment file (path relative to this file).
    pub include: Option<String>,
    /// Run these call steps concurrently.
    pub parallel: Option<Vec<Step>>,

    /// The credential: `user` (default for user APIs), `institution` (oob), `none`, or a
    /// template naming a token (`${token}`).
    #[serde(rename = "as")]
    pub as_: Option<Template>,
    /// Extra request headers (templates), e.g. the `Kftc-Bfop-*` headers of `auth_type` 2.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Fields to set (a template each) or remove (`null`).
    #[serde(default)]
    pub with: BTreeMap<String, WithValue>,
    /// Send from this source address (needs `source_address_binding`).
    pub from_ip: Option<IpAddr>,
    /// Variables to capture from the response.
    #[serde(default)]
    pub capture: BTreeMap<String, JsonPath>,
    pub expect: Option<Expect>,
    /// Repeat the call until `expect` holds.
    pub retry: Option<Retry>,
    /// Compare the response with its golden snapshot (default: true for `call` steps).
    pub golden: Option<bool>,
}

/// A field value in `with`: a template, a structure (lists such as `req_list`), or `null`
/// to remove the field the runner would otherwise fill in.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WithValue {
    Remove(()),
    Text(Template),
    Structure(serde_json::Value),
}

/// How far `advance_clock` moves the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(with = "ClockAdvanceSchema")]
pub enum ClockAdvance {
    /// This many seconds.
    Seconds(u64),
    /// To the next moment the clock shows this time of day (KST), as seconds since midnight:
    /// a scenario about operating hours holds whatever time the target's clock starts at.
    To(u32),
}

/// What `advance_clock` accepts, for the JSON Schema.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(untagged)]
enum ClockAdvanceSchema {
    Seconds(u64),
    /// `to HH:MM:SS` (KST)
    To(#[schemars(regex(pattern = r"^to [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$"))] String),
}

impl std::fmt::Display for ClockAdvance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClockAdvance::Seconds(s) => write!(f, "{s}"),
            ClockAdvance::To(t) => write!(f, "to {:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60),
        }
    }
}

impl Serialize for ClockAdvance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ClockAdvance::Seconds(n) => s.serialize_u64(*n),
            ClockAdvance::To(_) => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for ClockAdvance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        let bad =
            |s: &str| serde::de::Error::custom(format!("advance_clock '{s}': give seconds, or \"to HH:MM:SS\" (KST)"));
        match Raw::deserialize(d)? {
            Raw::Seconds(n) => Ok(ClockAdvance::Seconds(n)),
            Raw::Text(s) => {
                let t = s.strip_prefix("to ").ok_or_else(|| bad(&s))?;
                let parts: Vec<u32> = t.split(':').map(|p| p.parse().map_err(|_| bad(&s))).collect::<Result<_, _>>()?;
                match parts.as_slice() {
                    [h, m, sec] if *h < 24 && *m < 60 && *sec < 60 && t.len() == 8 => {
                        Ok(ClockAdvance::To(h * 3600 + m * 60 + sec))
                    }
                    _ => Err(bad(&s)),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub method: String,
    pub path: Template,
    /// Raw body text, sent as is (for malformed-input checks).
    pub body: Option<String>,
}

/// `fault: {arm: RULE}` or `fault: {clear: true}`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// A fault rule as the simulator's `POST /_sim/faults` takes it.
    pub arm: Option<serde_json::Value>,
    /// Remove every rule.
    #[serde(default)]
    pub clear: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inspect {
    pub fintech_use_num: Template,
    /// Variable receiving the balance in won.
    pub capture_balance: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The rsp_code, or one of several.
    pub rsp_code: Option<OneOrMany>,
    pub bank_rsp_code: Option<OneOrMany>,
    /// HTTP status (default 200 for API calls).
    pub status: Option<u16>,
    /// Check the answer against the catalogue's response fields (default: when rsp_code is A0000).
    pub schema: Option<bool>,
    /// No answer at all (the connection is closed).
    #[serde(default)]
    pub no_response: bool,
    #[serde(default)]
    pub json: Vec<JsonCheck>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(Template),
    Many(Vec<Template>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&Template> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v.iter().collect(),
        }
    }
}

/// A predicate on what a JSONPath selects in the answer. The value checks (`equals`, `regex`,
/// `eq_num`…, `len`) need exactly one node; `exists`, `absent` and `count` look at how many
/// there are; `any`, `all` and `none` apply a check to each node (its `$` is the node).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    pub path: JsonPath,
    /// Text equality after substitution.
    pub equals: Option<Template>,
    /// Regular expression the text must match (anchored by you: `^…$`).
    pub regex: Option<Pattern>,
    pub exists: Option<bool>,
    /// Integer comparisons; the right side is arithmetic (`${before} - 1000`).
    pub eq_num: Option<Template>,
    pub lt: Option<Template>,
    pub lte: Option<Template>,
    pub gt: Option<Template>,
    pub gte: Option<Template>,
    /// The value is a list of this many items.
    pub len: Option<usize>,
    /// The path selects nothing.
    pub absent: Option<bool>,
    /// How many nodes the path selects.
    pub count: Option<Count>,
    /// At least one selected node passes this check.
    pub any: Option<Box<JsonCheck>>,
    /// Every selected node passes this check.
    pub all: Option<Box<JsonCheck>>,
    /// No selected node passes this check.
    pub none: Option<Box<JsonCheck>>,
}

impl JsonCheck {
    /// This check and the checks nested in it (`any`, `all`, `none`), depth first.
    pub fn with_nested(&self) -> Vec<&JsonCheck> {
        let mut out = vec![self];
        for inner in [&self.any, &self.all, &self.none].into_iter().flatten() {
            out.extend(inner.with_nested());
        }
        out
    }
}

/// Comparisons of a node count: `count: { gte: 1 }`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub eq: Option<usize>,
    pub gte: Option<usize>,
    pub gt: Option<usize>,
    pub lte: Option<usize>,
    pub lt: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// At most this many attempts in all.
    pub times: u32,
    #[serde(default = "default_retry_delay")]
    pub delay_ms: u64,
}

fn default_retry_delay() -> u64 {
    100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_clock_takes_seconds_or_a_time_of_day() {
        let parse = |s: &str| serde_yaml::from_str::<ClockAdvance>(s);
        assert_eq!(parse("90").unwrap(), ClockAdvance::Seconds(90));
        assert_eq!(parse("\"to 23:54:30\"").unwrap(), ClockAdvance::To(23 * 3600 + 54 * 60 + 30));
        assert_eq!(parse("\"to 23:54:30\"").unwrap().to_string(), "to 23:54:30");
        for bad in ["\"23:54:30\"", "\"to 24:00:00\"", "\"to 9:00:00\"", "\"to 09:60:00\"", "-5"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
