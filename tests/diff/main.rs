//! `obharness diff` end to end: a clean simulator agrees with the reference, every defect
//! mode is found, shrunk and written as a scenario the conformance runner replays, and a
//! seed fixes the cases and the written scenario.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use obharness::conform::{self, RunOptions};
use obharness::diff::ops::Source;
use obharness::diff::{self, DiffOptions, DiffOutcome, Op};
use obharness::golden::GoldenMode;
use obharness::report::{Outcome, ScenarioResult};
use obharness::sim::Quirk;
use obharness::target::Target;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-diff-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn diff_run(target: Target, seed: u64, cases: u32, write: Option<PathBuf>) -> DiffOutcome {
    let mut opts = DiffOptions::new(target, seed);
    opts.cases = cases;
    opts.write_scenario = write;
    diff::run(&opts).unwrap_or_else(|e| panic!("diff run failed: {e}"))
}

/// Runs a scenario file with the library's conformance runner.
fn conform_run(path: &Path, target: Target) -> ScenarioResult {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let scenarios = obharness::scenario::load(&[path.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions { jobs: 1, golden_mode: GoldenMode::Off, ..RunOptions::default() };
    let report = rt.block_on(conform::run(scenarios, Arc::new(target), &opts, Arc::new(|_| {})));
    report.scenarios.into_iter().next().expect("one scenario")
}

#[test]
fn a_clean_simulator_agrees_with_the_reference_in_500_cases() {
    let outcome = diff_run(Target::embedded(Vec::new()), 20261129, 500, None);
    assert!(outcome.finding.is_none(), "{:?}", outcome.finding.map(|f| (f.ops, f.disagreement)));
    assert_eq!(outcome.cases_run, 500);
    assert!(!outcome.stopped_early);
    assert!(outcome.money_compared);
}

/// Finds `quirk`, checks the shrunk scenario's size and replays it on both simulators.
fn finds(quirk: Quirk, seed: u64) {
    let dir = scratch(quirk.name());
    let file = dir.join("minimal.yaml");
    let outcome = diff_run(Target::embedded(vec![quirk]), seed, 400, Some(file.clone()));
    let f = outcome.finding.unwrap_or_else(|| panic!("{}: no disagreement in 400 cases", quirk.name()));
    assert!(f.scenario_steps <= 5, "{}: {} steps after shrinking:\n{}", quirk.name(), f.scenario_steps, f.scenario);
    let v = f.validation.as_ref().expect("validated");
    assert!(
        v.reproduces(),
        "{}: {:?} / {:?}\n{}",
        quirk.name(),
        v.on_reference.reason,
        v.on_target.outcome,
        f.scenario
    );
    let on_quirky = conform_run(&file, Target::embedded(vec![quirk]));
    assert_eq!(on_quirky.outcome, Outcome::Failed, "{}: {:?}\n{}", quirk.name(), on_quirky.reason, f.scenario);
    let on_clean = conform_run(&file, Target::embedded(Vec::new()));
    assert_eq!(on_clean.outcome, Outcome::Passed, "{}: {:?}\n{}", quirk.name(), on_clean.reason, f.scenario);
}

#[test]
fn double_debit_on_duplicate_is_found_and_written() {
    finds(Quirk::DoubleDebitOnDuplicate, 1);
}

#[test]
fn ignore_ip_whitelist_is_found_and_written() {
    finds(Quirk::IgnoreIpWhitelist, 1);
}

#[test]
fn consent_never_expires_is_found_and_written() {
    finds(Quirk::ConsentNeverExpires, 1);
}

#[test]
fn result_inquiry_lies_is_found_and_written() {
    finds(Quirk::ResultInquiryLies, 3);
}

#[test]
fn commit_on_a0017_is_found_and_written() {
    finds(Quirk::CommitOnA0017, 1);
}

#[test]
fn shrinking_replaces_a_resend_kept_alive_by_its_original() {
    // Seed 24 first disagrees on withdraw, A0017 armed, a day later the withdraw re-sent;
    // proptest alone stops there (the re-send needs its original).
    let f = diff_run(Target::embedded(vec![Quirk::CommitOnA0017]), 24, 400, None).finding.expect("found");
    assert_eq!(f.ops.len(), 2, "{:?}", f.ops);
    assert_eq!(f.scenario_steps, 4, "{}", f.scenario);
}

#[test]
fn http_500_on_bad_json_is_found_and_written() {
    finds(Quirk::Http500OnBadJson, 1);
}

#[test]
fn the_same_seed_gives_the_same_cases_and_the_same_written_scenario() {
    let target = Target::embedded(Vec::new());
    let a = diff::sample_cases(&target, 99, 8, 50);
    assert_eq!(a, diff::sample_cases(&target, 99, 8, 50));
    assert_ne!(a, diff::sample_cases(&target, 100, 8, 50));
    let quirky = || Target::embedded(vec![Quirk::CommitOnA0017]);
    let first = diff_run(quirky(), 2, 300, None).finding.expect("found");
    let second = diff_run(quirky(), 2, 300, None).finding.expect("found");
    assert_eq!(first.ops, second.ops);
    assert_eq!(first.found_after, second.found_after);
    assert_eq!(first.scenario, second.scenario);
}

#[test]
fn code_overrides_make_a_center_s_own_code_equivalent() {
    let dir = scratch("overrides");
    let profile = dir.join("target.yaml");
    std::fs::write(&profile, "name: a center denying with A0011\nkind: embedded\ncode_overrides: { A0301: A0011 }\n")
        .unwrap();
    let target = Target::load(&profile, Vec::new()).unwrap();
    let from_elsewhere = diff::sample_cases(&target, 5, 8, 150).iter().flatten().any(|op| {
        matches!(op, Op::Withdraw { from: Source::Elsewhere, .. } | Op::Deposit { from: Source::Elsewhere, .. })
    });
    assert!(from_elsewhere, "the cases send from a non-whitelisted address");
    let outcome = diff_run(target, 5, 150, None);
    assert!(outcome.finding.is_none(), "{:?}", outcome.finding.map(|f| f.disagreement));
}

#[test]
fn the_binary_writes_a_scenario_that_obharness_run_replays() {
    let bin = env!("CARGO_BIN_EXE_obharness");
    let dir = scratch("cli");
    let file = dir.join("ip.yaml");
    let json = dir.join("diff.json");
    let out = Command::new(bin)
        .args(["diff", "--sim-quirk", "ignore-ip-whitelist", "--seed", "1", "--cases", "100"])
        .arg("--write-scenario")
        .arg(&file)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(dir.join("diff.html"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("--seed 1"), "{stdout}");
    let model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(model["kind"], "differential");
    assert_eq!(model["summary"]["failed"], 1);
    let html = std::fs::read_to_string(dir.join("diff.html")).unwrap();
    assert!(html.contains("A0301"), "the HTML report shows the reference's code");
    let run = |quirk: Option<&str>| {
        let mut c = Command::new(bin);
        c.arg("run").arg(&file).arg("--golden-dir").arg(dir.join("golden"));
        if let Some(q) = quirk {
            c.args(["--sim-quirk", q]);
        }
        c.output().unwrap().status.code()
    };
    assert_eq!(run(Some("ignore-ip-whitelist")), Some(1));
    assert_eq!(run(None), Some(0));
}

#[test]
fn bad_input_is_a_usage_error() {
    let bin = env!("CARGO_BIN_EXE_obharness");
    let out = Command::new(bin).args(["diff", "--cases", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin).args(["diff", "--target", "/nonexistent/target.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/target.yaml"));
    let out = Command::new(bin).args(["diff", "--seed", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_time_bound_stops_generation_and_says_so() {
    let bin = env!("CARGO_BIN_EXE_obharness");
    let dir = scratch("time");
    let out = Command::new(bin)
        .args(["diff", "--cases", "1000000", "--max-seconds", "1", "--seed", "3"])
        .arg("--write-scenario")
        .arg(dir.join("none.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("stopped by --max-seconds"), "{stdout}");
    assert!(!dir.join("none.yaml").exists(), "nothing to write without a disagreement");
}

#[test]
fn an_unreachable_target_is_a_clear_error_not_a_disagreement() {
    let bin = env!("CARGO_BIN_EXE_obharness");
    let dir = scratch("unreachable");
    let profile = dir.join("target.yaml");
    std::fs::write(
        &profile,
        "name: nobody home\nkind: url\nbase_url: http://127.0.0.1:9\nadmin_token_env: OBH_DIFF_TEST_TOKEN\n\
         capabilities: [ledger_inspection]\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let out = Command::new(bin)
        .args(["diff", "--cases", "1000", "--seed", "1", "--target"])
        .arg(&profile)
        .env("OBH_DIFF_TEST_TOKEN", "t")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot open a session on the target"), "{stderr}");
    assert!(start.elapsed() < std::time::Duration::from_secs(20), "it stops at the first case");
}

#[test]
fn a_url_target_is_reset_per_case_and_must_share_the_reference_s_clock() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let fixed = rt.block_on(obharness::sim::start(addr, obharness::sim::SimConfig::embedded())).unwrap();
    let outcome = diff_run(Target::simulator_at(&fixed.base_url(), fixed.admin_token()), 8, 60, None);
    assert!(outcome.finding.is_none(), "{:?}", outcome.finding.map(|f| f.disagreement));
    assert_eq!(outcome.cases_run, 60);
    let wall = rt.block_on(obharness::sim::start(addr, obharness::sim::SimConfig::default())).unwrap();
    let mut opts = DiffOptions::new(Target::simulator_at(&wall.base_url(), wall.admin_token()), 8);
    opts.cases = 5;
    let err = diff::run(&opts).expect_err("a wall-clock simulator is refused");
    assert!(err.to_string().contains("--clock-start 2026-03-02T10:00:00+09:00"), "{err}");
    drop((fixed, wall));
}
