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
    /// `conformance` (later also `load`, `client-certification`).
    pub kind: String,
    pub target: TargetInfo,
    /// RFC 3339, wall clock.
    pub started_at: String,
    pub duration_ms: u64,
    pub scenarios: Vec<ScenarioResult>,
    pub summary: Summary,
    /// Golden snapshots present on disk that no scenario step used (full runs only).
    #[serde(default)]
    pub unused_snapshots: Vec<String>,
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
    /// `failure` or `warning`.
    pub severity: String,
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
        self.scenarios.iter().all(|s| match s.outcome {
            Outcome::Passed => !s.expected_failure,
            Outcome::Skipped => true,
            Outcome::Failed => s.expected_failure || s.severity == "warning",
            Outcome::Error => false,
        })
    }

    /// Recomputes the summary from the scenarios.
    pub fn summarise(&mut self) {
        let mut s = Summary { total: self.scenarios.len(), ..Summary::default() };
        for r in &self.scenarios {
            match r.outcome {
                Outcome::Passed if r.expected_failure => {
                    s.passed += 1;
                    s.unexpected_passes += 1;
                }
                Outcome::Passed => s.passed += 1,
                Outcome::Failed => {
                    s.failed += 1;
                    if r.expected_failure {
                        s.expected_failures += 1;
                    } else if r.severity == "warning" {
                        s.warnings += 1;
                    }
                }
                Outcome::Skipped => s.skipped += 1,
                Outcome::Error => s.errors += 1,
            }
        }
        self.summary = s;
    }
}
