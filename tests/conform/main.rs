//! The conformance runner end to end: the real suite, defect modes, load errors, reports,
//! golden snapshots, skips and expected failures.

#[path = "../support/bounded.rs"]
mod bounded;
mod cli;
mod golden;
mod hardening;
mod import;
mod junit_xsd;
mod secrets;
#[path = "../support/standalone.rs"]
mod standalone;
mod suite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use obharness::conform::{self, RunOptions};
use obharness::golden::GoldenMode;
use obharness::report::RunReport;
use obharness::sim::Quirk;
use obharness::target::Target;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-conform-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn run_paths(paths: Vec<PathBuf>, target: Target, opts: RunOptions) -> RunReport {
    let scenarios = obharness::scenario::load(&paths).unwrap_or_else(|e| panic!("{e}"));
    conform::run(scenarios, Arc::new(target), &opts, Arc::new(|_| {})).await
}

/// Runs the built-in suite on the embedded simulator, comparing golden snapshots strictly.
pub async fn run_suite(quirks: Vec<Quirk>) -> RunReport {
    let opts = RunOptions {
        golden_root: repo().join("golden"),
        // With a defect mode on, answers differ by design; golden files guard the conformant simulator.
        golden_mode: if quirks.is_empty() { GoldenMode::Strict } else { GoldenMode::Off },
        ..RunOptions::default()
    };
    run_paths(vec![repo().join("scenarios/conformance")], Target::embedded(quirks), opts).await
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_naming_target_data_the_target_lacks_is_skipped_naming_the_key() {
    let dir = scratch("missing-datum");
    let scenario = write(
        &dir,
        "s.yaml",
        "id: OBH-T-DATA-001\ntitle: t\nspec: s\nsteps:\n  - call: account.balance\n    with: { fintech_use_num: \"${other_fintech_use_num}\" }\n    golden: false\n",
    );
    // A gateway profile without a second user's account: nothing is sent, the scenario is skipped.
    let profile = write(
        &dir,
        "t.yaml",
        "name: gateway\nkind: url\nbase_url: http://127.0.0.1:9\ncapabilities: []\ndata:\n  fintech_use_num: \"120260000001000000000001\"\n",
    );
    let target = Target::load(&profile, Vec::new()).unwrap();
    let report =
        run_paths(vec![scenario], target, RunOptions { golden_mode: GoldenMode::Off, ..RunOptions::default() }).await;
    let r = &report.scenarios[0];
    assert_eq!(r.outcome, obharness::report::Outcome::Skipped, "{r:?}");
    let reason = r.reason.as_deref().unwrap();
    assert!(reason.contains("other_fintech_use_num") && reason.contains("gateway"), "{reason}");
}
