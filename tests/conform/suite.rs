use obharness::report::Outcome;
use obharness::sim::Quirk;

use crate::run_suite;

fn failing(report: &obharness::report::RunReport) -> Vec<String> {
    let mut ids: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| s.outcome != Outcome::Passed)
        .map(|s| format!("{} ({:?}: {:?})", s.id, s.outcome, s.reason))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_suite_passes_on_the_conformant_simulator() {
    let report = run_suite(vec![]).await;
    assert!(report.scenarios.len() >= 40, "the suite covers every rule: {} scenarios", report.scenarios.len());
    assert_eq!(failing(&report), Vec::<String>::new());
    assert!(report.is_success());
    assert!(report.unused_snapshots.is_empty(), "{:?}", report.unused_snapshots);
    // Scenarios run in parallel; the report lists them by id, so reports diff between runs.
    assert!(report.scenarios.windows(2).all(|w| w[0].id < w[1].id), "not sorted by id");
}

/// Each defect mode makes exactly the scenarios that cover it fail.
const QUIRK_COVERAGE: &[(Quirk, &[&str])] = &[
    (Quirk::DoubleDebitOnDuplicate, &["OBH-TR-DUP-001", "OBH-TR-DUP-002", "OBH-TR-DUP-003", "OBH-TR-DUP-004"]),
    (
        Quirk::IgnoreIpWhitelist,
        &[
            "OBH-IP-CLAIM-001",
            "OBH-IP-DEPOSIT-001",
            "OBH-IP-RESULT-001",
            "OBH-IP-RETURN-RESULT-001",
            "OBH-IP-WITHDRAW-001",
        ],
    ),
    (
        Quirk::ConsentNeverExpires,
        &["OBH-CONS-A0316-001", "OBH-CONS-A0319-001", "OBH-CONS-REAUTH-001", "OBH-CONS-RENEW-001"],
    ),
    (
        Quirk::ResultInquiryLies,
        &[
            "OBH-TR-A0001-001",
            "OBH-TR-A0003-001",
            "OBH-TR-A0007-NOCOMMIT-001",
            "OBH-TR-A0017-002",
            "OBH-TR-NORESP-NOCOMMIT-001",
        ],
    ),
    (Quirk::CommitOnA0017, &["OBH-TR-A0017-001", "OBH-TR-A0017-002"]),
    (Quirk::Http500OnBadJson, &["OBH-FMT-JSON-001"]),
];

#[test]
fn every_defect_mode_is_covered() {
    use clap::ValueEnum;
    for q in Quirk::value_variants() {
        let covered = QUIRK_COVERAGE.iter().find(|(c, _)| c == q).map(|(_, ids)| ids.len()).unwrap_or(0);
        assert!(covered > 0, "no scenario catches --sim-quirk {}", q.name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_defect_mode_fails_exactly_the_scenarios_covering_it() {
    for (quirk, expected) in QUIRK_COVERAGE {
        let report = run_suite(vec![*quirk]).await;
        let mut failed: Vec<&str> =
            report.scenarios.iter().filter(|s| s.outcome == Outcome::Failed).map(|s| s.id.as_str()).collect();
        failed.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(failed, expected, "--sim-quirk {}", quirk.name());
        assert!(report.scenarios.iter().all(|s| s.outcome != Outcome::Error), "{}", quirk.name());
    }
}
