//! The one serialisable run model. Every renderer (terminal, JSON, JUnit, HTML) is a pure
//! function of it, and `--json` writes it as is so runs can be compared and re-rendered.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// `obharness`.
    pub tool: String,
    pub version: String,
    pub kind: RunKind,
    pub target: TargetInfo,
    /// What was judged when it is not the target: the institution's client in a client
    /// certification (its trigger command or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// RFC 3339, wall clock.
    pub started_at: String,
    pub duration_ms: u64,
    pub scenarios: Vec<ScenarioResult>,
    pub summary: Summary,
    /// Golden snapshots present on disk that no scenario step used (full runs only).
    #[serde(default)]
    pub unused_snapshots: Vec<String>,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`); such a run never passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// Golden snapshots this run wrote: new ones, and changes accepted with `--bless`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written_snapshots: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetInfo {
    pub name: String,
    pub base_url: String,
    /// Defect modes of the embedded simulator, if any (a run with quirks is a demo, not a certification).
    #[serde(default)]
    pub quirks: Vec<String>,
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// What kind of run a [`RunReport`] is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// Scenarios against a target (`obharness run`).
    Conformance,
    /// An institution's client judged by the simulator (`obharness certify-client`).
    ClientCertification,
    /// Random cases in lockstep with the reference simulator (`obharness diff`).
    Differential,
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Conformance => "conformance",
            RunKind::ClientCertification => "client-certification",
            RunKind::Differential => "differential",
        }
    }
}

/// Whether a failed scenario fails the run.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Failure,
    /// Reported, but does not fail the run.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Failure => "failure",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Not run: the target lacks a capability, or the filter/fail-fast left it out.
    Skipped,
    /// Could not be run to a verdict (the target did not answer, a request could not be built).
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub spec: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub severity: Severity,
    /// The scenario file, relative to the working directory.
    pub source: String,
    pub outcome: Outcome,
    /// Why it was skipped or errored; the first failure otherwise.
    pub reason: Option<String>,
    /// Listed in the expected-failures file.
    #[serde(default)]
    pub expected_failure: bool,
    pub duration_ms: u64,
    pub steps: Vec<StepResult>,
    /// The rsp_codes the scenario's checks expect (its coverage of the code table).
    #[serde(default)]
    pub expected_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    /// 1-based position in the scenario (after includes are expanded).
    pub index: usize,
    pub name: String,
    /// `call transfer.withdraw`, `advance_clock 31536000`, …
    pub action: String,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// The request as sent, secrets redacted.
    pub request: Option<Value>,
    /// The answer's HTTP status, when there was one.
    pub http_status: Option<u16>,
    /// The answer's body (JSON), secrets redacted.
    pub response: Option<Value>,
    pub failures: Vec<CheckFailure>,
    /// The API a call step called (catalogue id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// The checks made of the answer, in words; a passed step passed each of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckFailure {
    /// What was checked, e.g. `rsp_code`, `$.balance_amt eq_num`, `golden snapshot`.
    pub expectation: String,
    pub expected: String,
    pub actual: String,
    /// A unified diff, for snapshot comparisons.
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub errors: usize,
    /// Failed scenarios of severity `warning` (counted in `failed`, not failing the run).
    pub warnings: usize,
    /// Failed scenarios listed as expected failures.
    pub expected_failures: usize,
    /// Expected failures that passed (these fail the run).
    pub unexpected_passes: usize,
}

impl RunReport {
    /// Whether the run should exit with success.
    pub fn is_success(&self) -> bool {
        self.interrupted.is_none() && !self.scenarios.iter().any(|s| super::view::Verdict::of(s).fails_run())
    }

    /// Seals a run's model: secrets and account numbers redacted by their keys and shapes
    /// (the runners have already scrubbed the values they know), and the summary counted.
    /// Every writer renders the model after this.
    pub fn finish(&mut self) {
        super::redact::Scrubber::default().run(self);
        self.summarise();
    }

    /// Recomputes the summary from the scenarios.
    pub fn summarise(&mut self) {
        use super::view::Verdict;
        let mut s = Summary { total: self.scenarios.len(), ..Summary::default() };
        for r in &self.scenarios {
            match Verdict::of(r) {
                Verdict::Pass => s.passed += 1,
                Verdict::XPass => {
                    s.passed += 1;
                    s.unexpected_passes += 1;
                }
                Verdict::Fail => s.failed += 1,
                Verdict::XFail => {
                    s.failed += 1;
                    s.expected_failures += 1;
                }
                Verdict::Warn => {
                    s.failed += 1;
                    s.warnings += 1;
                }
                Verdict::Skip => s.skipped += 1,
                Verdict::Error => s.errors += 1,
            }
        }
        self.summary = s;
    }
}

/// A load run: the same envelope as a conformance run, with per-API latency statistics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoadReport {
    pub tool: String,
    pub version: String,
    /// `load`.
    pub kind: String,
    /// The profile's name and file.
    pub profile: String,
    pub source: String,
    pub target: TargetInfo,
    pub started_at: String,
    /// The measured window (set-up excluded).
    pub duration_ms: u64,
    pub model: LoadModelInfo,
    /// Per API id, in catalogue order.
    pub apis: Vec<ApiStats>,
    /// All APIs together.
    pub overall: ApiStats,
    /// One entry per second of the measured window.
    pub timeline: Vec<SecondStats>,
    pub thresholds: Vec<ThresholdResult>,
    pub baseline: Option<BaselineComparison>,
    /// Open model: requests that could not start at their intended time (started late, latency
    /// still measured from the intended start).
    pub late_starts: u64,
    /// Open model: requests never sent because the run ended first.
    pub dropped: u64,
    /// Stopped early: a threshold was breached with `abort_on_breach`, or a signal came.
    pub aborted: bool,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`); such a run never passes.
    #[serde(default)]
    pub interrupted: Option<String>,
    pub passed: bool,
    /// A shard of a run across machines (`load --shard K/N`), or the merge of such shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out: Option<super::scale_out::ScaleOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoadModelInfo {
    pub kind: LoadModelKind,
    pub users: Option<u32>,
    /// Requests per second (open model).
    pub rate: Option<f64>,
    /// Human-readable stages, e.g. `10s to 50 users`, `5s at 200/s`.
    pub stages: Vec<String>,
}

/// How a load run offers its load.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LoadModelKind {
    /// A population of users, each sending as fast as answers come back.
    Closed,
    /// Requests start on a schedule (arrival rate), whatever the target's speed.
    Open,
}

impl LoadModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadModelKind::Closed => "closed",
            LoadModelKind::Open => "open",
        }
    }
}

/// Latency (microseconds) and outcome counts of one API (or all).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ApiStats {
    pub api: String,
    pub count: u64,
    /// Requests whose rsp_code was not what the mix expects, or with no answer
    /// (`refused` + `failed`).
    pub errors: u64,
    /// Answered with an rsp_code the mix does not expect (not in the latency figures).
    #[serde(default)]
    pub refused: u64,
    /// Never answered: connection refused or reset, timeout (not in the latency figures).
    #[serde(default)]
    pub failed: u64,
    /// Requests per second over the measured window.
    pub rate: f64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// Count per rsp_code (`none` for no answer).
    pub rsp_codes: std::collections::BTreeMap<String, u64>,
    /// (percentile, latency µs) points of the HDR percentile curve, for charts.
    pub percentiles: Vec<(f64, u64)>,
    /// The full histogram, HdrHistogram V2 serialised and base64 encoded, for merging and baselines.
    pub histogram: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SecondStats {
    /// Seconds since the start of the measured window.
    pub second: u32,
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThresholdResult {
    /// As written, e.g. `transfer.withdraw p99 < 50ms`.
    pub name: String,
    pub expected: String,
    pub actual: String,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineComparison {
    /// The earlier run's JSON.
    pub file: String,
    pub max_regression_pct: f64,
    pub rows: Vec<BaselineRow>,
}

impl BaselineComparison {
    /// "2 of 12 baseline checks regressed", for headlines that must not read as a pass.
    pub fn headline(&self) -> String {
        let regressed = self.rows.iter().filter(|r| !r.passed).count();
        format!("{regressed} of {} baseline checks regressed", self.rows.len())
    }
}

impl BaselineRow {
    /// The comparison in words with units: `p99 13.45 ms vs 10.18 ms in the baseline: 32.1 %
    /// slower`, `throughput 4781 req/s vs 6095 req/s: 21.6 % slower`.
    pub fn describe(&self) -> String {
        let (unit, scale) = if self.metric == "throughput" { ("req/s", 1.0) } else { ("ms", 1000.0) };
        let value = |v: f64| if unit == "ms" { format!("{:.2} ms", v / scale) } else { format!("{v:.0} {unit}") };
        let word = if self.regression_pct > 0.0 {
            "slower"
        } else if self.regression_pct < 0.0 {
            "faster"
        } else {
            "the same"
        };
        let pct = self.regression_pct.abs();
        let change = if word == "the same" { word.to_string() } else { format!("{pct:.1} % {word}") };
        format!("{} {} vs {} in the baseline: {change}", self.metric, value(self.current), value(self.baseline))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineRow {
    pub api: String,
    /// `p95`, `p99` or `throughput`.
    pub metric: String,
    pub baseline: f64,
    pub current: f64,
    /// Positive = worse (slower, or less throughput).
    pub regression_pct: f64,
    pub passed: bool,
}

#[cfg(test)]
mod baseline_words {
    use super::*;

    fn row(metric: &str, baseline: f64, current: f64, regression_pct: f64) -> BaselineRow {
        BaselineRow { api: "all".into(), metric: metric.into(), baseline, current, regression_pct, passed: true }
    }

    #[test]
    fn a_comparison_says_slower_or_faster_with_units() {
        assert_eq!(
            row("p99", 10_183.0, 13_447.0, 32.05).describe(),
            "p99 13.45 ms vs 10.18 ms in the baseline: 32.0 % slower"
        );
        assert_eq!(
            row("throughput", 6095.0, 4781.0, 21.56).describe(),
            "throughput 4781 req/s vs 6095 req/s in the baseline: 21.6 % slower"
        );
        assert_eq!(
            row("p95", 2000.0, 1000.0, -50.0).describe(),
            "p95 1.00 ms vs 2.00 ms in the baseline: 50.0 % faster"
        );
    }
}
