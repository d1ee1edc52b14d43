//! The run model as JSON: what `--json` writes, and the one source any later re-rendering
//! (HTML, a comparison of two runs) reads back.

use std::io::Write;

use super::model::RunReport;

/// Writes `report` as pretty-printed JSON followed by a newline.
pub fn write(report: &RunReport, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Reads a report written by [`write`].
pub fn read(text: &str) -> Result<RunReport, serde_json::Error> {
    serde_json::from_str(text)
}

/// A run exercising every kind of result: passed, failed (two checks, one with a diff),
/// skipped, error, a failed warning, an expected failure and an unexpected pass.
/// Shared by the tests of every renderer.
#[cfg(test)]
pub(crate) fn sample_report() -> RunReport {
    use super::model::{CheckFailure, Outcome, RunKind, ScenarioResult, Severity, StepResult, TargetInfo};
    use serde_json::json;

    fn step(index: usize, name: &str, action: &str, outcome: Outcome, failures: Vec<CheckFailure>) -> StepResult {
        StepResult {
            index,
            name: name.to_string(),
            action: action.to_string(),
            outcome,
            duration_ms: 3,
            request: Some(
                json!({"bank_tran_id": "M202300001U000000001", "tran_amt": "1000", "note": "REQUEST-BODY-MARKER"}),
            ),
            http_status: Some(200),
            response: Some(json!({"rsp_code": "A0000", "note": "RESPONSE-BODY-MARKER"})),
            failures,
            api: None,
            checks: Vec::new(),
        }
    }
    fn ok(index: usize, name: &str, action: &str) -> StepResult {
        step(index, name, action, Outcome::Passed, vec![])
    }
    fn check(expectation: &str, expected: &str, actual: &str, diff: Option<&str>) -> CheckFailure {
        CheckFailure {
            expectation: expectation.to_string(),
            expected: expected.to_string(),
            actual: actual.to_string(),
            diff: diff.map(str::to_string),
        }
    }
    #[allow(clippy::too_many_arguments)]
    fn scenario(
        id: &str,
        title: &str,
        severity: &str,
        source: &str,
        outcome: Outcome,
        reason: Option<&str>,
        expected_failure: bool,
        duration_ms: u64,
        steps: Vec<StepResult>,
    ) -> ScenarioResult {
        ScenarioResult {
            id: id.to_string(),
            title: title.to_string(),
            spec: format!("KFTC Open Banking API v2.0, {id}"),
            tags: vec!["sample".to_string()],
            severity: if severity == "warning" { Severity::Warning } else { Severity::Failure },
            source: source.to_string(),
            outcome,
            reason: reason.map(str::to_string),
            expected_failure,
            duration_ms,
            expected_codes: steps
                .iter()
                .flat_map(|s| &s.failures)
                .filter(|f| f.expectation == "rsp_code")
                .map(|f| f.expected.clone())
                .collect(),
            steps,
        }
    }

    let snapshot_diff = "--- expected (golden/transfer/withdraw_dup.json)\n+++ actual\n@@ -1,4 +1,4 @@\n {\n-  \"rsp_code\": \"A0326\",\n+  \"rsp_code\": \"A0000\",\n   \"api_tran_id\": \"<redacted>\"\n }";
    let mut failed = scenario(
        "OBH-TR-DUP-001",
        "A reused bank_tran_id is rejected on the same day",
        "failure",
        "scenarios/transfer/duplicate_bank_tran_id.yaml",
        Outcome::Failed,
        Some("rsp_code: expected A0326, got A0000"),
        false,
        47,
        vec![
            ok(1, "issue token", "call oauth.token"),
            ok(2, "first withdraw", "call transfer.withdraw"),
            step(
                3,
                "second withdraw with the same bank_tran_id",
                "call transfer.withdraw",
                Outcome::Failed,
                vec![
                    check("rsp_code", "A0326", "A0000", None),
                    check("golden snapshot", "golden/transfer/withdraw_dup.json", "differs", Some(snapshot_diff)),
                ],
            ),
        ],
    );
    failed.spec = "KFTC Open Banking API v2.0 §3.11.3 출금이체: bank_tran_id is unique per institution per day".into();

    let mut report = RunReport {
        tool: "obharness".into(),
        version: "0.1.0".into(),
        kind: RunKind::Conformance,
        subject: None,
        target: TargetInfo {
            name: "embedded-sim".into(),
            base_url: "http://127.0.0.1:8080".into(),
            quirks: vec![],
            capabilities: vec!["oauth".into(), "transfer".into()],
        },
        started_at: "2025-01-02T03:04:05Z".into(),
        duration_ms: 1234,
        scenarios: vec![
            scenario(
                "OBH-AUTH-001",
                "client_credentials issues an OOB token",
                "failure",
                "scenarios/auth/token.yaml",
                Outcome::Passed,
                None,
                false,
                12,
                vec![ok(1, "issue token", "call oauth.token")],
            ),
            failed,
            scenario(
                "OBH-CLK-002",
                "A consent expires after one year",
                "failure",
                "scenarios/auth/consent_expiry.yaml",
                Outcome::Skipped,
                Some("target lacks clock_control"),
                false,
                0,
                vec![],
            ),
            scenario(
                "OBH-ACC-003",
                "Account list pages by 20",
                "failure",
                "scenarios/account/list.yaml",
                Outcome::Error,
                Some("step 1 \"list accounts\": connection refused (127.0.0.1:8080)"),
                false,
                5,
                vec![step(1, "list accounts", "call account.list", Outcome::Error, vec![])],
            ),
            scenario(
                "OBH-INQ-004",
                "Balance inquiry echoes the fintech_use_num",
                "warning",
                "scenarios/inquiry/balance.yaml",
                Outcome::Failed,
                Some("$.fintech_use_num eq: expected 120220000001, got (missing)"),
                false,
                8,
                vec![step(
                    1,
                    "inquire balance",
                    "call inquiry.balance",
                    Outcome::Failed,
                    vec![check("$.fintech_use_num eq", "120220000001", "(missing)", None)],
                )],
            ),
            scenario(
                "OBH-TR-005",
                "Deposit to a closed account is refused",
                "failure",
                "scenarios/transfer/deposit_closed.yaml",
                Outcome::Failed,
                Some("rsp_code: expected A0324, got A0000"),
                true,
                9,
                vec![step(
                    1,
                    "deposit",
                    "call transfer.deposit",
                    Outcome::Failed,
                    vec![check("rsp_code", "A0324", "A0000", None)],
                )],
            ),
            scenario(
                "OBH-TR-006",
                "Withdraw over the daily limit is refused",
                "failure",
                "scenarios/transfer/daily_limit.yaml",
                Outcome::Passed,
                None,
                true,
                11,
                vec![ok(1, "withdraw over the limit", "call transfer.withdraw")],
            ),
        ],
        summary: Default::default(),
        unused_snapshots: vec!["golden/inquiry/old_balance.json".into()],
        interrupted: None,
        written_snapshots: Vec::new(),
    };
    report.summarise();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let report = sample_report();
        let mut buf = Vec::new();
        write(&report, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.ends_with("}\n"));
        assert_eq!(read(&text).unwrap(), report);
    }

    #[test]
    fn defaults_for_optional_lists() {
        let mut report = sample_report();
        report.unused_snapshots.clear();
        report.target.quirks.clear();
        report.target.capabilities.clear();
        let mut value = serde_json::to_value(&report).unwrap();
        let obj = value.as_object_mut().unwrap();
        obj.remove("unused_snapshots");
        obj["target"].as_object_mut().unwrap().remove("quirks");
        obj["target"].as_object_mut().unwrap().remove("capabilities");
        assert_eq!(read(&value.to_string()).unwrap(), report);
    }
}
