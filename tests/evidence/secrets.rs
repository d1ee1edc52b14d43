//! No secret is in any file of a bundle: not the institution's client_secret or pass phrase,
//! not a token the target issued, not an Authorization bearer value, not an admin token, not
//! a credential the target profile names, whichever job made the bundle.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use obharness::evidence::bundle::{self, Role};
use obharness::report::redact::{REDACTED, is_secret_key};
use serde_json::Value;

use crate::{Opened, obh, repo, scratch, suite};

/// The default fixture's secrets and full account numbers.
const FIXTURE_SECRET: &str = "obh-sim-secret-not-for-production";
const FIXTURE_ACCOUNTS: &[&str] = &["1001000000001", "1002000000001"];

/// Every key naming a secret, at any depth, holds `[redacted]` (or nothing).
fn assert_secret_keys_redacted(v: &Value, at: &str) {
    match v {
        Value::Object(m) => {
            for (k, item) in m {
                if let Value::String(s) = item
                    && is_secret_key(k)
                    && !k.to_ascii_lowercase().ends_with("_env")
                {
                    assert!(s == REDACTED || s.is_empty(), "{at}.{k} = {s:?}");
                }
                assert_secret_keys_redacted(item, &format!("{at}.{k}"));
            }
        }
        Value::Array(items) => {
            // A header as recorded: [name, value].
            if let [Value::String(name), Value::String(value)] = items.as_slice()
                && ["authorization", "x-sim-admin-token", "cookie", "proxy-authorization"].contains(&name.as_str())
            {
                assert!(
                    value == REDACTED || value.ends_with(&format!(" {REDACTED}")),
                    "{at}: header {name}: {value:?}"
                );
            }
            for (i, item) in items.iter().enumerate() {
                assert_secret_keys_redacted(item, &format!("{at}[{i}]"));
            }
        }
        Value::String(s) => {
            // A URL or text carrying a one-time code or a token in a query.
            for marker in ["code=", "access_token=", "client_secret="] {
                if let Some(i) = s.find(marker)
                    && (i == 0 || !s.as_bytes()[i - 1].is_ascii_alphanumeric() && s.as_bytes()[i - 1] != b'_')
                {
                    let value = &s[i + marker.len()..];
                    assert!(
                        value.starts_with("%5Bredacted%5D")
                            || value.starts_with(REDACTED)
                            || value.starts_with("\"[redacted]"),
                        "{at}: {s}"
                    );
                }
            }
        }
        _ => {}
    }
}

/// Scans every file of a bundle: none holds one of `secrets`, a JWT (every token the
/// simulator issues is one), or a full account number of the fixture outside the input files
/// (which are kept byte for byte, and may name accounts); every JSON document has its secret
/// keys redacted. Returns the number of files scanned.
fn assert_no_secret(bundle: &Path, secrets: &[&str]) -> usize {
    let opened = Opened::read(bundle);
    for e in &opened.entries {
        let text = String::from_utf8_lossy(&e.data);
        for s in secrets.iter().chain([&FIXTURE_SECRET]) {
            assert!(!text.contains(s), "{} holds the secret {s:?}", e.path);
        }
        if let Some(i) = text.find("eyJ") {
            panic!("{} holds a JWT: {}", e.path, text[i..].chars().take(60).collect::<String>());
        }
        if !e.path.starts_with("inputs/") {
            for a in FIXTURE_ACCOUNTS {
                assert!(!text.contains(a), "{} holds the full account number {a}", e.path);
            }
        }
        if e.path.ends_with(".json") {
            assert_secret_keys_redacted(&serde_json::from_slice(&e.data).unwrap(), &e.path);
        }
        if e.path == bundle::TRANSCRIPT {
            for (i, line) in text.lines().enumerate() {
                assert_secret_keys_redacted(
                    &serde_json::from_str(line).unwrap(),
                    &format!("transcript entry {}", i + 1),
                );
            }
        }
    }
    opened.entries.len()
}

#[test]
fn no_secret_in_a_bundle_of_the_suite() {
    let run = suite();
    // Nor the signing key, of course.
    let key: String = std::fs::read_to_string(&run.key).unwrap().lines().filter(|l| !l.starts_with("-----")).collect();
    let files = assert_no_secret(&run.bundle, &[key.as_str()]);
    assert!(files > 100);
    // The transcript did carry credentials (redacted): the scan above looked at real traffic.
    let t = Opened::read(&run.bundle).text(bundle::TRANSCRIPT);
    for seen in [
        "\"authorization\",\"Bearer [redacted]\"",
        "\"client_secret\":\"[redacted]\"",
        "\"access_token\":\"[redacted]\"",
    ] {
        assert!(t.contains(seen), "no {seen} in the transcript");
    }
    assert!(t.contains("\"wd_pass_phrase\":\"[redacted]\""));
}

/// `obharness sim` in the background, stopped when dropped.
struct Standalone {
    child: Child,
    base: String,
}

impl Standalone {
    fn start(admin_token: &str) -> Standalone {
        let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
            .args(["sim", "--listen", "127.0.0.1:0", "--workers", "1", "--admin-token", admin_token])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let base = first.trim().rsplit(' ').next().unwrap().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{first}");
        Standalone { child, base }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn no_secret_in_a_bundle_of_a_run_against_a_simulator_with_credentials() {
    let dir = scratch("url-target");
    let admin = "admin-token-of-the-test-7f3a9c";
    let sim = Standalone::start(admin);
    let profile = format!(
        "# a simulator started by the test\nname: test sim\nkind: url\nbase_url: {}\nadmin_token_env: OBH_TEST_EVIDENCE_ADMIN\ncapabilities: [clock_control, fault_injection, fixtures, ledger_inspection, source_address_binding]\nallow_transfers: true\ndata:\n  wd_pass_phrase: \"profile-pass-phrase-91\"   # kept out of bundles\n  user_name: 홍길동\n",
        sim.base
    );
    let target = dir.join("target.yaml");
    std::fs::write(&target, &profile).unwrap();
    let out = dir.join("auth.obh");
    let r = obh(
        &["run", "scenarios/conformance", "--filter", "OBH-AUTH", "--target", target.to_str().unwrap()],
        &repo(),
        &[],
    );
    assert_eq!(r.code, 2, "the admin token comes from the environment:\n{}", r.all());
    let r = obh(
        &[
            "run",
            "scenarios/conformance",
            "--filter",
            "OBH-AUTH",
            "--target",
            target.to_str().unwrap(),
            "--evidence",
            out.to_str().unwrap(),
        ],
        &repo(),
        &[("OBH_TEST_EVIDENCE_ADMIN", admin)],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.err.contains("will not be signed"), "an unsigned bundle is warned about:\n{}", r.all());
    assert_no_secret(&out, &[admin, "profile-pass-phrase-91"]);

    let opened = Opened::read(&out);
    let m = opened.manifest();
    let copy = m.files.iter().find(|f| f.role == Role::Target).expect("the target profile is bundled");
    assert_eq!(copy.redactions, 1);
    assert_eq!(
        opened.text(&copy.path),
        profile.replace("\"profile-pass-phrase-91\"", "\"[redacted]\""),
        "everything but the secret byte for byte"
    );
    // The simulator's journal of each scenario is in the transcript, and the target check
    // before the first scenario too.
    let t = opened.transcript();
    assert!(t.iter().any(|e| e["kind"] == "journal" && e["scenario"] == "OBH-AUTH-TOKEN-001"));
    assert!(t.first().is_some_and(|e| e["scenario"].is_null()), "{}", t[0]);
    // Unsigned: intact, and said so; never valid against a key.
    let r = obh(&["verify", out.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.starts_with("INTACT, UNSIGNED"), "{}", r.all());
    let r = obh(&["verify", out.to_str().unwrap(), "--pubkey", suite().public.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
}

/// The example clients cargo builds next to this test's binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(|d| d.parent()).unwrap().join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples (or `cargo build --examples`)",
        path.display()
    );
    path
}

#[test]
fn no_secret_in_a_bundle_of_a_client_certification() {
    let run = suite();
    let dir = scratch("certify");
    let out = dir.join("client.obh");
    let r = obh(
        &[
            "certify-client",
            "scenarios/client",
            "--listen",
            "127.0.0.1:0",
            "--trigger-cmd",
            example("client_correct").to_str().unwrap(),
            "--evidence",
            out.to_str().unwrap(),
            "--sign-key",
            run.key.to_str().unwrap(),
        ],
        &repo(),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let r = obh(&["verify", out.to_str().unwrap(), "--pubkey", run.public.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.contains("client-certification against obharness simulator at"), "{}", r.all());
    assert_no_secret(&out, &[]);
    let opened = Opened::read(&out);
    let client_scenarios = std::fs::read_dir(repo().join("scenarios/client")).unwrap().count();
    let m = opened.manifest();
    assert_eq!(m.files.iter().filter(|f| f.role == Role::Scenario).count(), client_scenarios);
    // The client's own requests are in the simulator's journal, scenario by scenario.
    let t = opened.transcript();
    let journaled: std::collections::BTreeSet<&str> =
        t.iter().filter(|e| e["kind"] == "journal").filter_map(|e| e["scenario"].as_str()).collect();
    assert_eq!(journaled.len(), client_scenarios, "{journaled:?}");
    assert!(t.iter().any(|e| e["journal"]["api"] == "transfer.withdraw" && e["journal"]["peer"].is_string()));

    // A client that prints everything it was given, secrets included.
    let first = std::fs::read_dir(repo().join("scenarios/client")).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    let out = dir.join("leaky.obh");
    let r = obh(
        &[
            "certify-client",
            first.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--trigger-cmd",
            "env | grep ^OBH_; echo '{\"outcome\": \"succeeded\"}'",
            "--evidence",
            out.to_str().unwrap(),
        ],
        &dir,
        &[],
    );
    assert!(matches!(r.code, 0 | 1), "{}", r.all());
    assert_no_secret(&out, &["PASS_PHRASE=NONE"]);
}
