//! The load engine against the embedded simulator: latency accuracy, the open model's
//! coordinated-omission correctness, thresholds, baselines and bad profiles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

#[path = "../support/bounded.rs"]
mod bounded;
mod gate;
mod hardening;
mod shard;

use obharness::load::{self, Silent};
use obharness::report::model::LoadReport;
use obharness::target::Target;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-load-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn profile(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn run(path: &Path) -> LoadReport {
    let plan = load::profile::load(path).unwrap_or_else(|e| panic!("{e}"));
    load::run(&plan, &Target::embedded(vec![]), Arc::new(Silent)).await.unwrap()
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_20ms_delay_is_measured_as_such() {
    let dir = scratch("accuracy");
    let p = profile(
        &dir,
        "p.yaml",
        "name: accuracy\nmodel: { kind: closed, users: 4, duration: 2s }\nsetup:\n  - fault: { arm: { api: account.balance, action: delay, ms: 20 } }\nmix: [{ call: account.balance }]\n",
    );
    let r = run(&p).await;
    let b = &r.apis[0];
    assert!(b.count > 50, "{} requests", b.count);
    assert_eq!(b.errors, 0, "{:?}", b.rsp_codes);
    assert!(ms(b.p50_us) >= 20.0 && ms(b.p50_us) < 40.0, "p50 {} ms", ms(b.p50_us));
    assert!(!r.timeline.is_empty() && r.timeline.iter().map(|s| s.requests).sum::<u64>() == r.overall.count);
    let h = obharness::load::recorder::decode(&b.histogram).expect("the histogram is serialised");
    assert_eq!(h.len(), b.count);
}

/// One request stalls for a second mid-run. The open model keeps scheduling requests and
/// charges them the time they waited; a closed model would simply send fewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_model_shows_a_stall_a_closed_model_hides() {
    let dir = scratch("stall");
    let setup = "setup:\n  - fault: { arm: { api: account.balance, nth: 150, action: delay, ms: 1000 } }\nmix: [{ call: account.balance }]\n";
    let open = profile(
        &dir,
        "open.yaml",
        &format!("name: open\nmodel: {{ kind: open, rate: 100, duration: 4s, max_in_flight: 1 }}\n{setup}"),
    );
    let r = run(&open).await;
    assert!(ms(r.overall.p99_us) >= 500.0, "open p99 {} ms", ms(r.overall.p99_us));
    assert!(r.late_starts > 50, "requests due during the stall started late: {}", r.late_starts);
    let closed = profile(
        &dir,
        "closed.yaml",
        &format!("name: closed\nmodel: {{ kind: closed, users: 1, duration: 4s }}\n{setup}"),
    );
    let r = run(&closed).await;
    assert!(r.overall.count > 300, "{}", r.overall.count);
    assert!(ms(r.overall.p99_us) < 500.0, "closed p99 {} ms hides the stall", ms(r.overall.p99_us));
    assert!(ms(r.overall.max_us) >= 1000.0, "only the stalled request itself shows it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_get_fresh_ids_and_the_money_adds_up() {
    let dir = scratch("transfer");
    let p = profile(
        &dir,
        "p.yaml",
        "name: t\nmodel: { kind: closed, users: 4, duration: 1s }\nmax_requests: 400\nmix:\n  - { call: transfer.withdraw, with: { tran_amt: \"1\" } }\n  - { call: transfer.deposit, with: { req_list: [{ tran_amt: \"1\" }] } }\n",
    );
    let r = run(&p).await;
    assert!(r.overall.count >= 100, "{}", r.overall.count);
    assert!(r.overall.count <= 400 + 4, "max_requests bounds the run: {}", r.overall.count);
    assert_eq!(r.overall.errors, 0, "every id fresh, no A0326: {:?}", r.overall.rsp_codes);
}

fn obharness(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_obharness")).args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_breached_threshold_and_a_doctored_baseline_exit_1() {
    let dir = scratch("gate");
    profile(
        &dir,
        "p.yaml",
        "name: gate\nmodel: { kind: closed, users: 2, duration: 1s }\nsetup:\n  - fault: { arm: { api: user.me, action: delay, ms: 5 } }\nmix: [{ call: user.me }]\nthresholds:\n  - { p50: 1000ms }\n",
    );
    let (code, out, err) =
        obharness(&["load", "p.yaml", "--json", "run.json", "--junit", "junit.xml", "--markdown", "sum.md"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().last(), Some("2 passed, 0 failed"), "the threshold and the run's error gate: {out}");
    assert!(
        std::fs::read_to_string(dir.join("junit.xml"))
            .unwrap()
            .contains("<testcase name=\"overall p50 &lt; 1000.00ms\"")
    );

    let mut doctored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    for api in doctored["apis"].as_array_mut().unwrap() {
        api["p99_us"] = 1.into();
        api["rate"] = 1e9.into();
    }
    std::fs::write(dir.join("fast.json"), doctored.to_string()).unwrap();
    let (code, out, _) = obharness(&["load", "p.yaml", "--baseline", "fast.json", "--max-regression", "10%"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  baseline user.me p99 ") && out.contains(" ms in the baseline: "), "{out}");
    // A 1-second run has too few seconds to judge noise: the tolerance decides, and says so.
    assert!(out.contains("% slower — regressed (noise not judged)"), "{out}");
    assert!(out.contains("% lower throughput — regressed"), "{out}");
    assert!(out.contains("note: Noise could not be judged") && out.contains("1 whole second(s)"), "{out}");

    profile(
        &dir,
        "q.yaml",
        "name: strict\nmodel: { kind: closed, users: 2, duration: 1s }\nsetup:\n  - fault: { arm: { api: user.me, action: delay, ms: 5 } }\nmix: [{ call: user.me }]\nthresholds:\n  - { p50: 1ms }\n",
    );
    let (code, out, _) = obharness(&["load", "q.yaml"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL threshold overall p50 < 1.00ms"), "{out}");
}

#[test]
fn bad_profiles_and_unsafe_targets_are_usage_errors() {
    let dir = scratch("bad");
    profile(
        &dir,
        "p.yaml",
        "name: x\nmodel: { kind: closed, users: 2, duration: 1s }\nmix:\n  - { call: acount.balance }\n",
    );
    let (code, _, err) = obharness(&["load", "p.yaml"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("p.yaml:4:") && err.contains("did you mean 'account.balance'"), "{err}");
    profile(&dir, "t.yaml", "name: somebody's gateway\nkind: url\nbase_url: http://127.0.0.1:9\n");
    profile(
        &dir,
        "m.yaml",
        "name: x\nmodel: { kind: closed, users: 2, duration: 1s }\nmix:\n  - { call: transfer.withdraw }\n",
    );
    let (code, _, err) = obharness(&["load", "m.yaml", "--target", "t.yaml"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("allow_transfers"), "{err}");
}

/// A load profile against an HTTPS simulator whose CA the target profile names: every goose
/// user trusts it, and the answers are good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_target_with_a_private_ca_is_loaded() {
    let dir = scratch("https");
    let tls = obharness::sim::tls::TlsMaterial::generate("127.0.0.1".parse().unwrap()).unwrap();
    std::fs::write(dir.join("ca.pem"), &tls.trust_pem).unwrap();
    let sim = obharness::sim::start_embedded(obharness::sim::SimConfig {
        tls: Some(tls),
        ..obharness::sim::SimConfig::embedded()
    })
    .await
    .unwrap();
    // SAFETY: the variable name is unique to this test; no other thread reads or writes it.
    let var = format!("OBH_TEST_LOAD_TLS_ADMIN_{}", std::process::id());
    unsafe { std::env::set_var(&var, sim.admin_token()) };
    let target = profile(
        &dir,
        "t.yaml",
        &format!(
            "name: https sim\nkind: url\nbase_url: {}\nadmin_token_env: {var}\ntls_ca_file: ca.pem\n",
            sim.base_url()
        ),
    );
    let p = profile(
        &dir,
        "p.yaml",
        "name: https\nmodel: { kind: closed, users: 2, duration: 1s }\nmix: [{ call: account.balance }]\n",
    );
    let plan = load::profile::load(&p).unwrap_or_else(|e| panic!("{e}"));
    let target = Target::load(&target, vec![]).unwrap();
    let r = load::run(&plan, &target, Arc::new(Silent)).await.unwrap();
    let b = &r.apis[0];
    assert!(b.count > 10, "{} requests", b.count);
    assert_eq!(b.errors, 0, "{:?}", b.rsp_codes);
}
