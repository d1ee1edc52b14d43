//! Golden snapshots through the runner: written locally, compared, blessed, strict in CI.

use obharness::conform::RunOptions;
use obharness::golden::GoldenMode;
use obharness::report::Outcome;
use obharness::target::Target;

use crate::{run_paths, scratch, write};

const SCENARIO: &str = "id: OBH-G-001\ntitle: g\nspec: s\nsteps:\n  - name: who am i\n    call: user.me\n";

fn opts(dir: &std::path::Path, mode: GoldenMode) -> RunOptions {
    RunOptions { golden_root: dir.join("golden"), golden_mode: mode, report_unused: true, ..RunOptions::default() }
}

#[tokio::test]
async fn snapshots_are_written_compared_blessed_and_strict_in_ci() {
    let dir = scratch("golden");
    let file = write(&dir, "g.yaml", SCENARIO);
    let snap = dir.join("golden/OBH-G-001/01-who-am-i.snap");

    let strict = run_paths(vec![file.clone()], Target::embedded(vec![]), opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(strict.scenarios[0].outcome, Outcome::Failed, "missing under CI=true fails");
    assert!(!snap.exists(), "CI never writes");

    let first = run_paths(vec![file.clone()], Target::embedded(vec![]), opts(&dir, GoldenMode::Compare)).await;
    assert_eq!(first.scenarios[0].outcome, Outcome::Passed);
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(
        text.contains("\"api_tran_id\": \"[api_tran_id]\"") && text.contains("\"user_name\": \"홍길동\""),
        "{text}"
    );

    // A doctored snapshot is a shape change: the run fails with a diff.
    std::fs::write(&snap, text.replace("홍길동", "김철수")).unwrap();
    let changed = run_paths(vec![file.clone()], Target::embedded(vec![]), opts(&dir, GoldenMode::Strict)).await;
    let failure = &changed.scenarios[0].steps[0].failures[0];
    assert_eq!(failure.expectation, "golden snapshot");
    let diff = failure.diff.as_deref().unwrap();
    assert!(diff.contains("-  \"user_name\": \"김철수\"") && diff.contains("+  \"user_name\": \"홍길동\""), "{diff}");

    let blessed = run_paths(vec![file.clone()], Target::embedded(vec![]), opts(&dir, GoldenMode::Bless)).await;
    assert_eq!(blessed.scenarios[0].outcome, Outcome::Passed);
    let again = run_paths(vec![file], Target::embedded(vec![]), opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(again.scenarios[0].outcome, Outcome::Passed);

    std::fs::create_dir_all(dir.join("golden/OBH-GONE")).unwrap();
    std::fs::write(dir.join("golden/OBH-GONE/01-x.snap"), "{}").unwrap();
    let listed = run_paths(vec![dir.join("g.yaml")], Target::embedded(vec![]), opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(listed.unused_snapshots.len(), 1, "{:?}", listed.unused_snapshots);
}

#[tokio::test]
async fn a_url_target_with_an_admin_token_gets_every_capability() {
    let sim = obharness::sim::start_embedded(obharness::sim::SimConfig::embedded()).await.unwrap();
    let dir = scratch("url");
    // SAFETY: the variable name is unique to this test; no other thread reads or writes it.
    let var = format!("OBH_TEST_ADMIN_{}", std::process::id());
    unsafe { std::env::set_var(&var, sim.admin_token()) };
    let profile = write(
        &dir,
        "t.yaml",
        &format!(
            "name: standalone\nkind: url\nbase_url: {}\nadmin_token_env: {var}\ncapabilities: [ledger_inspection, clock_control]\nallow_transfers: true\n",
            sim.base_url()
        ),
    );
    let file = write(
        &dir,
        "s.yaml",
        "id: OBH-U-001\ntitle: u\nspec: s\nrequires: [ledger_inspection]\nsteps:\n  - inspect: { fintech_use_num: \"${fintech_use_num}\", capture_balance: b }\n  - call: transfer.withdraw\n    with: { tran_amt: \"700\" }\n  - call: account.balance\n    expect: { json: [{ path: $.balance_amt, eq_num: \"${b} - 700\" }] }\n",
    );
    let target = Target::load(&profile, vec![]).unwrap();
    assert!(!target.golden(), "golden files are for the embedded simulator's data");
    let report = run_paths(vec![file.clone()], target.clone(), opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(report.scenarios[0].outcome, obharness::report::Outcome::Passed, "{:?}", report.scenarios[0]);
    // The target is reset before each scenario: a second run sees the same balance.
    let again = run_paths(vec![file], target, opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(again.scenarios[0].outcome, obharness::report::Outcome::Passed);
}

#[tokio::test]
async fn an_https_url_target_is_reached_through_its_tls_ca_file() {
    let tls = obharness::sim::tls::TlsMaterial::generate("127.0.0.1".parse().unwrap()).unwrap();
    let sim = obharness::sim::start_embedded(obharness::sim::SimConfig {
        tls: Some(tls.clone()),
        ..obharness::sim::SimConfig::embedded()
    })
    .await
    .unwrap();
    assert!(sim.base_url().starts_with("https://"));
    let dir = scratch("https");
    std::fs::write(dir.join("ca.pem"), &tls.trust_pem).unwrap();
    // SAFETY: the variable name is unique to this test; no other thread reads or writes it.
    let var = format!("OBH_TEST_TLS_ADMIN_{}", std::process::id());
    unsafe { std::env::set_var(&var, sim.admin_token()) };
    let profile = |ca: &str| {
        format!(
            "name: https\nkind: url\nbase_url: {}\nadmin_token_env: {var}\ncapabilities: [ledger_inspection]\nallow_transfers: true\n{ca}",
            sim.base_url()
        )
    };
    let file = write(
        &dir,
        "s.yaml",
        "id: OBH-TLS-001\ntitle: t\nspec: s\nsteps:\n  - call: account.balance\n    expect: { rsp_code: A0000 }\n",
    );
    let trusted = Target::load(&write(&dir, "t.yaml", &profile("tls_ca_file: ca.pem\n")), vec![]).unwrap();
    let report = run_paths(vec![file.clone()], trusted, opts(&dir, GoldenMode::Strict)).await;
    assert_eq!(report.scenarios[0].outcome, obharness::report::Outcome::Passed, "{:?}", report.scenarios[0]);
    // Without the CA the handshake fails: an error, never a pass.
    let untrusted = Target::load(&write(&dir, "u.yaml", &profile("")), vec![]).unwrap();
    let report = run_paths(vec![file], untrusted, opts(&dir, GoldenMode::Strict)).await;
    assert_ne!(report.scenarios[0].outcome, obharness::report::Outcome::Passed);
    // A CA file that is not PEM is an input error naming the field.
    std::fs::write(dir.join("bad.pem"), "not a certificate").unwrap();
    let err = Target::load(&write(&dir, "b.yaml", &profile("tls_ca_file: bad.pem\n")), vec![]).unwrap_err();
    assert!(err.to_string().contains("tls_ca_file"), "{err}");
}

#[test]
fn the_snapshots_a_run_writes_are_listed() {
    let dir = crate::scratch("golden-written");
    crate::write(&dir, "s.yaml", "id: OBH-T-GOLD-001\ntitle: t\nspec: s\nsteps:\n  - call: user.me\n");
    let limit = std::time::Duration::from_secs(60);
    let (code, out, err) = crate::bounded::obharness_within(&["run", "s.yaml", "--golden-dir", "g"], &dir, limit);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("wrote 1 golden snapshot (review and commit):"), "{out}");
    assert!(out.contains("g/OBH-T-GOLD-001/"), "{out}");
    let (code, out, _) = crate::bounded::obharness_within(&["run", "s.yaml", "--golden-dir", "g"], &dir, limit);
    assert_eq!(code, 0);
    assert!(!out.contains("wrote"), "an unchanged snapshot is not written again: {out}");
}
