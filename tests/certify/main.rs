//! Client certification end to end: the correct reference client passes every client
//! scenario; the careless one fails exactly the rules it breaks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use obharness::certify::{self, Trigger};
use obharness::report::{Outcome, RunReport};
use obharness::sim::{self, SimConfig};
use obharness::target::Target;

/// The example binaries cargo builds next to this test's own binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().join("examples").join(name);
    assert!(dir.exists(), "{} is missing: cargo test builds the examples", dir.display());
    dir
}

async fn certify_with(client: &str) -> RunReport {
    let scenarios = certify::scenario::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/client")])
        .unwrap_or_else(|e| panic!("{e}"));
    let sim = sim::start_embedded(SimConfig::embedded()).await.unwrap();
    let target = Arc::new(Target::simulator_at(&sim.base_url(), sim.admin_token()));
    let trigger = Trigger::Command(example(client).display().to_string());
    certify::run(scenarios, target, &trigger, false, Arc::new(|_| {})).await
}

/// scenario id → the rules that failed.
fn failed_rules(r: &RunReport) -> BTreeMap<String, Vec<String>> {
    r.scenarios
        .iter()
        .map(|s| {
            let rules = s.steps.iter().filter(|st| st.outcome != Outcome::Passed).map(|st| st.name.clone()).collect();
            (s.id.clone(), rules)
        })
        .filter(|(_, rules): &(String, Vec<String>)| !rules.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_client_passes_every_rule() {
    let report = certify_with("client_correct").await;
    assert!(report.scenarios.len() >= 8);
    assert_eq!(
        failed_rules(&report),
        BTreeMap::new(),
        "{:#?}",
        report.scenarios.iter().map(|s| (&s.id, &s.reason)).collect::<Vec<_>>()
    );
    assert!(report.is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_careless_client_fails_exactly_the_rules_it_breaks() {
    let report = certify_with("client_careless").await;
    let expected: BTreeMap<String, Vec<String>> = [
        ("OBH-CLI-A0007-001", vec!["inquires-after-unknown-outcome", "never-resends"]),
        ("OBH-CLI-NORESP-001", vec!["inquires-after-unknown-outcome", "never-resends"]),
        ("OBH-CLI-A0017-001", vec!["refuses-on-a0017", "unique-bank-tran-ids"]),
        ("OBH-CLI-STRING-TYPES", vec!["string-typed-fields"]),
    ]
    .into_iter()
    .map(|(id, rules)| (id.to_string(), rules.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(failed_rules(&report), expected);
    assert!(!report.is_success());
    // Amounts sent as JSON numbers are accepted (money moved) and named by an advisory that
    // does not fail the run on its own.
    let advisory = report.scenarios.iter().find(|s| s.id == "OBH-CLI-STRING-TYPES").unwrap();
    assert_eq!(advisory.severity, "warning");
    assert!(advisory.steps[0].failures.iter().any(|f| f.actual.contains("tran_amt = ")), "{advisory:#?}");
}
