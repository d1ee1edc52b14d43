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
    /// Closed model: the most users; open model: the most requests in flight.
    pub users: Option<u32>,
    /// Requests per second (open model).
    pub rate: Option<f64>,
    /// Human-readable stages, e.g. `10s to 50 users`, `5s at 200/s`; empty for a model of one
    /// stage (the summary says it all).
    pub stages: Vec<String>,
    /// The model in words: `64 users for 10 s, started at 16 users/s`, `500 requests/s for
    /// 30 s, at most 256 in flight`, `2 stages over 5 s, up to 64 users`. Empty in runs written
    /// before it existed.
    #[serde(default)]
    pub summary: String,
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
    /// The fastest good answer (µs; 0 without one).
    #[serde(default)]
    pub min_us: u64,
    /// The standard deviation of the good answers' latency (µs).
    #[serde(default)]
    pub stddev_us: f64,
    /// Good answers by latency range, one count per [`LATENCY_RANGES`] entry (Gatling's
    /// response-time ranges); refused and failed requests are `errors`. Empty in runs written
    /// before it existed.
    #[serde(default)]
    pub latency_ranges: Vec<u64>,
    /// One sample per second of the measured window: what a baseline comparison judges noise
    /// by. Empty in runs written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seconds: Vec<ApiSecond>,
}

/// The latency ranges of [`ApiStats::latency_ranges`]: (label, upper bound in µs, exclusive;
/// `None` for the last, open range).
pub const LATENCY_RANGES: [(&str, Option<u64>); 5] = [
    ("< 10 ms", Some(10_000)),
    ("10–50 ms", Some(50_000)),
    ("50–100 ms", Some(100_000)),
    ("100–500 ms", Some(500_000)),
    ("≥ 500 ms", None),
];

fn full_second() -> u32 {
    1000
}

fn is_full_second(ms: &u32) -> bool {
    *ms == 1000
}

/// One second of one API (or all): its requests and its latency histogram.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ApiSecond {
    /// Seconds since the start of the measured window.
    pub second: u32,
    /// How much of this second the measured window covers (ms): 1000 but for the last second of
    /// a run cut short (or a window that is not whole seconds).
    #[serde(default = "full_second", skip_serializing_if = "is_full_second")]
    pub covered_ms: u32,
    /// Requests meant to start in this second (good, refused and failed).
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    /// The second's latency histogram of good answers, HdrHistogram V2 (deflate) in base64;
    /// empty when there was none.
    #[serde(default)]
    pub histogram: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SecondStats {
    /// Seconds since the start of the measured window.
    pub second: u32,
    /// How much of this second the measured window covers (ms): less than 1000 only for the
    /// last second of a run cut short (or of a window that is not whole seconds). Charts leave
    /// such a second out rather than draw a fall in throughput that did not happen.
    #[serde(default = "full_second", skip_serializing_if = "is_full_second")]
    pub covered_ms: u32,
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    #[serde(default)]
    pub p95_us: u64,
    pub p99_us: u64,
    /// Users that started a request in this second.
    #[serde(default)]
    pub users: u32,
    /// Requests in flight, on average over the second (from each request's intended start to
    /// its answer).
    #[serde(default)]
    pub in_flight: f64,
}

impl Default for SecondStats {
    fn default() -> Self {
        SecondStats {
            second: 0,
            covered_ms: 1000,
            requests: 0,
            errors: 0,
            p50_us: 0,
            p95_us: 0,
            p99_us: 0,
            users: 0,
            in_flight: 0.0,
        }
    }
}

impl SecondStats {
    /// Whether the measured window covers the whole second.
    pub fn is_full(&self) -> bool {
        self.covered_ms >= 1000
    }
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
    /// How noise was judged: the test, its resamples, confidence and seed.
    #[serde(default)]
    pub method: String,
    /// Why noise could not be judged, when it could not for some row (a baseline written
    /// before per-second samples existed, too few whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When the baseline ran (RFC 3339).
    #[serde(default)]
    pub started_at: String,
    /// The baseline's HDR percentile curve, all APIs ((percentile, µs)): drawn beside the run's.
    #[serde(default)]
    pub percentiles: Vec<(f64, u64)>,
}

impl BaselineComparison {
    /// Rows that regressed (they fail the run).
    pub fn regressed(&self) -> usize {
        self.rows.iter().filter(|r| r.change() == Change::Regressed).count()
    }

    /// Rows beyond the tolerance that the samples cannot tell from noise.
    pub fn within_noise(&self) -> usize {
        self.rows.iter().filter(|r| r.change() == Change::WithinNoise).count()
    }

    /// "2 of 12 baseline checks regressed", for headlines that must not read as a pass;
    /// "0 of 12 baseline checks regressed (3 within noise)".
    pub fn headline(&self) -> String {
        let mut s = format!("{} of {} baseline checks regressed", self.regressed(), self.rows.len());
        let noise = self.within_noise();
        if noise > 0 {
            s.push_str(&format!(" ({noise} within noise)"));
        }
        s
    }
}

/// What a baseline comparison concluded of one figure.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Worse by more than the tolerance, and the per-second samples say it is real (or noise
    /// could not be judged): fails the run.
    Regressed,
    /// Worse by more than the tolerance, but the per-second samples cannot tell it from noise.
    WithinNoise,
    /// Worse by no more than the tolerance, or better.
    WithinTolerance,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineRow {
    pub api: String,
    /// `p95`, `p99` or `throughput`.
    pub metric: String,
    /// Latency in µs; throughput in requests per second.
    pub baseline: f64,
    pub current: f64,
    /// Positive = worse (slower, or less throughput).
    pub regression_pct: f64,
    /// Not [`Change::Regressed`].
    pub passed: bool,
    /// The conclusion (absent in comparisons written before it existed: `passed` says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The 90 % bootstrap interval of `regression_pct` over the per-second samples (low,
    /// high); absent when noise could not be judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_pct: Option<(f64, f64)>,
}

impl BaselineRow {
    pub fn is_throughput(&self) -> bool {
        self.metric == "throughput"
    }

    pub fn change(&self) -> Change {
        self.change.unwrap_or(if self.passed { Change::WithinTolerance } else { Change::Regressed })
    }

    /// Half the width of the 90 % interval: the `±x %` of "within noise".
    pub fn noise_pct(&self) -> Option<f64> {
        self.interval_pct.map(|(lo, hi)| (hi - lo).abs() / 2.0).filter(|x| x.is_finite())
    }

    /// A value of this row with its unit: `13.45 ms`, `4781 req/s`.
    pub fn value(&self, v: f64) -> String {
        if !v.is_finite() {
            "–".to_string()
        } else if self.is_throughput() {
            format!("{v:.1} req/s")
        } else {
            format!("{:.2} ms", v / 1000.0)
        }
    }

    /// The change in words: `32.1 % slower`, `3.3 % faster`, `21.6 % lower throughput`,
    /// `no change`.
    pub fn change_words(&self) -> String {
        let pct = self.regression_pct;
        if !pct.is_finite() {
            return "–".to_string();
        }
        if pct.abs() < 0.05 {
            return "no change".to_string();
        }
        let word = match (self.is_throughput(), pct > 0.0) {
            (false, true) => "slower",
            (false, false) => "faster",
            (true, true) => "lower throughput",
            (true, false) => "higher throughput",
        };
        format!("{:.1} % {word}", pct.abs())
    }

    /// The comparison in words with units: `p99 13.45 ms vs 10.18 ms in the baseline: 32.1 %
    /// slower`, `throughput 4781.0 req/s vs 6095.0 req/s in the baseline: 21.6 % lower
    /// throughput`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} vs {} in the baseline: {}",
            self.metric,
            self.value(self.current),
            self.value(self.baseline),
            self.change_words()
        )
    }

    /// The conclusion in words: `regressed (beyond noise: +25.0 to +39.1 %)`, `within noise
    /// (±14.2 %)`, `within tolerance (noise ±3.1 %)`, `regressed (noise not judged)`.
    pub fn verdict_words(&self) -> String {
        let interval = self.interval_pct.filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
        match (self.change(), interval, self.noise_pct()) {
            (Change::Regressed, Some((lo, hi)), _) => format!("regressed (beyond noise: {lo:+.1} to {hi:+.1} %)"),
            (Change::Regressed, None, _) => "regressed (noise not judged)".to_string(),
            (Change::WithinNoise, _, Some(x)) => format!("within noise (±{x:.1} %)"),
            (Change::WithinNoise, _, None) => "within noise".to_string(),
            (Change::WithinTolerance, _, Some(x)) => format!("within tolerance (noise ±{x:.1} %)"),
            (Change::WithinTolerance, _, None) => "within tolerance".to_string(),
        }
    }

    /// Short label for tables: `FAIL`, `NOISE`, `PASS`.
    pub fn label(&self) -> &'static str {
        match self.change() {
            Change::Regressed => "FAIL",
            Change::WithinNoise => "NOISE",
            Change::WithinTolerance => "PASS",
        }
    }
}

impl LoadReport {
    /// `PASS` or `FAIL`.
    pub fn verdict_label(&self) -> &'static str {
        if self.passed { "PASS" } else { "FAIL" }
    }

    /// Why the run passed or failed, what failed first: `interrupted by SIGINT after 3.214 s
    /// (partial results) · 2 of 14 baseline checks regressed · 3 of 3 thresholds passed`. Every
    /// writer heads its report with `verdict_label() — headline()`.
    pub fn headline(&self) -> String {
        let mut bad = Vec::new();
        let mut good = Vec::new();
        if let Some(sig) = &self.interrupted {
            bad.push(format!(
                "interrupted by {} after {:.3} s (partial results)",
                super::view::one_line(sig),
                self.duration_ms as f64 / 1000.0
            ));
        } else if self.aborted {
            bad.push("aborted: a threshold was breached (abort_on_breach)".to_string());
        }
        if let Some(b) = &self.baseline {
            if b.regressed() > 0 { bad.push(b.headline()) } else { good.push(b.headline()) }
        }
        let failed = self.thresholds.iter().filter(|t| !t.passed).count();
        let total = self.thresholds.len();
        if failed > 0 {
            bad.push(format!("{failed} of {total} thresholds failed"));
        } else if total > 0 {
            good.push(format!("{total} of {total} thresholds passed"));
        }
        bad.extend(good);
        bad.join(" · ")
    }
}

#[cfg(test)]
mod baseline_words {
    use super::*;

    fn row(metric: &str, baseline: f64, current: f64, regression_pct: f64) -> BaselineRow {
        BaselineRow {
            api: "all".into(),
            metric: metric.into(),
            baseline,
            current,
            regression_pct,
            passed: true,
            change: None,
            interval_pct: None,
        }
    }

    #[test]
    fn a_comparison_says_slower_or_faster_with_units() {
        assert_eq!(
            row("p99", 10_183.0, 13_447.0, 32.05).describe(),
            "p99 13.45 ms vs 10.18 ms in the baseline: 32.0 % slower"
        );
        assert_eq!(
            row("throughput", 6095.0, 4781.0, 21.56).describe(),
            "throughput 4781.0 req/s vs 6095.0 req/s in the baseline: 21.6 % lower throughput"
        );
        assert_eq!(
            row("p95", 2000.0, 1000.0, -50.0).describe(),
            "p95 1.00 ms vs 2.00 ms in the baseline: 50.0 % faster"
        );
        assert_eq!(row("throughput", 100.0, 110.0, -10.0).change_words(), "10.0 % higher throughput");
        assert_eq!(row("p99", 100.0, 100.0, 0.0).change_words(), "no change");
    }

    #[test]
    fn a_verdict_says_whether_noise_was_judged() {
        let mut r = row("p99", 10_000.0, 13_000.0, 30.0);
        r.change = Some(Change::WithinNoise);
        r.interval_pct = Some((-4.0, 24.4));
        assert_eq!(r.verdict_words(), "within noise (±14.2 %)");
        assert_eq!(r.label(), "NOISE");
        r.change = Some(Change::Regressed);
        r.interval_pct = Some((25.0, 39.1));
        assert_eq!(r.verdict_words(), "regressed (beyond noise: +25.0 to +39.1 %)");
        r.interval_pct = None;
        assert_eq!(r.verdict_words(), "regressed (noise not judged)");
        // A comparison written before the verdict existed: `passed` decides.
        let mut old = row("p99", 1.0, 2.0, 100.0);
        old.passed = false;
        assert_eq!(old.change(), Change::Regressed);
    }
}
