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
    certify_over(client, false).await
}

/// Certifies `client` against a simulator over HTTP, or over HTTPS with a CA the client is
/// handed as OBH_TLS_CA_FILE.
async fn certify_over(client: &str, tls: bool) -> RunReport {
    let scenarios = certify::scenario::load(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/client")])
        .unwrap_or_else(|e| panic!("{e}"));
    let material = tls.then(|| sim::tls::TlsMaterial::generate("127.0.0.1".parse().unwrap()).unwrap());
    let sim = sim::start_embedded(SimConfig { tls: material.clone(), ..SimConfig::embedded() }).await.unwrap();
    let mut target = Target::simulator_at(&sim.base_url(), sim.admin_token());
    if let Some(m) = &material {
        let ca = std::env::temp_dir().join(format!("obh-certify-test-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, &m.trust_pem).unwrap();
        target.tls_roots = reqwest::Certificate::from_pem_bundle(m.trust_pem.as_bytes()).unwrap();
        target.profile.tls_ca_file = Some(ca);
    }
    let target = Arc::new(target);
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
async fn the_correct_client_passes_over_https() {
    let report = certify_over("client_correct", true).await;
    assert!(report.target.base_url.starts_with("https://"), "{}", report.target.base_url);
    assert_eq!(
        failed_rules(&report),
        BTreeMap::new(),
        "{:#?}",
        report.scenarios.iter().map(|s| (&s.id, &s.reason)).collect::<Vec<_>>()
    );
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
    assert_eq!(advisory.severity, obharness::report::model::Severity::Warning);
    assert!(advisory.steps[0].failures.iter().any(|f| f.actual.contains("tran_amt = ")), "{advisory:#?}");

    // The report names the client it judged, and shows its evidence as a timeline with the
    // request that broke a rule marked and linked from the failure.
    let client = report.subject.as_deref().unwrap();
    assert!(client.contains("client_careless"), "{client}");
    let mut html = Vec::new();
    obharness::report::html::write_conformance(&report, &mut html).unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<h1>Client certification report — client `"), "names the client in its title");
    assert!(html.contains("class=\"timeline\""), "the journal is a timeline");
    let flagged = html.find("class=\"flagged\"").expect("the resent withdraw is marked");
    let row_id = html[..flagged].rsplit("id=\"").next().unwrap().split('"').next().unwrap();
    assert!(html.contains(&format!("href=\"#{row_id}\"")), "the failure links to {row_id}");
    let mut junit = Vec::new();
    obharness::report::junit::write(&report, &mut junit).unwrap();
    assert!(String::from_utf8(junit).unwrap().contains("name=\"client\" value=\"client `"), "JUnit names the client");
}

/// The simulator's own institution secret and full account numbers (its default fixture).
const KNOWN: &[&str] = &["obh-sim-secret-not-for-production", "1002000000001", "1001000000001", "PASS_PHRASE=NONE"];

#[test]
fn no_output_of_certify_client_carries_a_secret_or_a_full_account_number() {
    let dir = std::env::temp_dir().join(format!("obh-certify-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenarios = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/client");
    let first = std::fs::read_dir(&scenarios).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    // A client that prints everything it was given, secrets included.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(["certify-client", first.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(["--trigger-cmd", "env | grep ^OBH_; echo '{\"outcome\": \"succeeded\"}'"])
        .args(["--json", "run.json", "--junit", "junit.xml", "--html", "run.html", "--markdown", "run.md"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stdout}{stderr}");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(json.contains("OBH_CLIENT_SECRET"), "the inputs are reported, masked: {json}");
    for (name, text) in [
        ("stdout", stdout),
        ("stderr", stderr),
        ("json", json),
        ("junit", std::fs::read_to_string(dir.join("junit.xml")).unwrap()),
        ("html", std::fs::read_to_string(dir.join("run.html")).unwrap()),
        ("markdown", std::fs::read_to_string(dir.join("run.md")).unwrap()),
    ] {
        for secret in KNOWN {
            assert!(!text.contains(secret), "{name} carries {secret}");
        }
    }
}
