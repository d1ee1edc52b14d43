//! No secret leaves through any output: known canary secrets (the institution's client
//! secret and withdrawal pass phrase in the simulator's fixture, the simulator's admin
//! token, the secrets a URL target reads from the environment, and every OAuth token the
//! run obtains) are fed through `run`, `load` and `diff`, with every report format written,
//! and none of them appears in stdout, stderr or any report file.

use std::path::Path;
use std::time::Duration;

use crate::bounded::obharness_with_env;
use crate::standalone::Standalone;
use crate::{repo, scratch, write};

const CLIENT_SECRET: &str = "CANARY-client-secret-4f1d9a";
const PASS_PHRASE: &str = "CANARY-pass-phrase-77c2";
const ADMIN_TOKEN: &str = "CANARY-admin-token-31b8";
/// Every token the simulator issues is an HS256 JWT: its encoded header starts so.
const JWT_PREFIX: &str = "eyJhbGci";

/// Fails naming the output and the secret when any canary is in `text`.
fn assert_clean(what: &str, text: &str) {
    // One-time authorization codes in redirect URLs.
    for param in ["?code=", "&code="] {
        for (at, _) in text.match_indices(param) {
            let value = &text[at + param.len()..];
            assert!(
                value.starts_with("[redacted]"),
                "{what} carries an authorization code: {}",
                &value[..value.len().min(40)]
            );
        }
    }
    for secret in [CLIENT_SECRET, PASS_PHRASE, ADMIN_TOKEN, JWT_PREFIX] {
        if let Some(at) = text.find(secret) {
            let from = text[..at].char_indices().rev().nth(80).map_or(0, |(i, _)| i);
            let context: String = text[from..].chars().take(200).collect();
            panic!("{what} carries the secret {secret}: …{context}…");
        }
    }
}

fn assert_files_clean(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path.extension().is_some_and(|e| e != "yaml") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert_clean(&path.display().to_string(), &text);
        }
    }
}

#[test]
fn no_secret_reaches_any_output_of_any_command() {
    let dir = scratch("secrets");
    let fixture = std::fs::read_to_string(repo().join("src/sim/default_fixture.yaml"))
        .unwrap()
        .replace("client_secret: obh-sim-secret-not-for-production", &format!("client_secret: {CLIENT_SECRET}"))
        .replace("wd_pass_phrase: NONE", &format!("wd_pass_phrase: {PASS_PHRASE}"));
    assert!(fixture.contains(CLIENT_SECRET) && fixture.contains(PASS_PHRASE), "the fixture took the canaries");
    let fixture = write(&dir, "fixture.yaml", &fixture);
    // The reference simulator of `diff` starts its clock here; the target's must too.
    let fixture_arg = fixture.display().to_string();
    let sim = Standalone::start(&[
        "--admin-token",
        ADMIN_TOKEN,
        "--clock-start",
        "2026-03-02T10:00:00+09:00",
        "--fixtures",
        &fixture_arg,
    ]);
    let port = sim.base.rsplit(':').next().unwrap();
    // With the admin token: every scenario runs, the secrets come from the simulator.
    write(
        &dir,
        "admin.yaml",
        &format!(
            "name: canary sim\nkind: url\nbase_url: {}\nadmin_token_env: OBH_CANARY_ADMIN\n\
             capabilities: [clock_control, fault_injection, fixtures, ledger_inspection, source_address_binding]\n\
             allow_transfers: true\n",
            sim.base
        ),
    );
    // Without it, as an institution's gateway: the secrets come from the environment.
    write(
        &dir,
        "env.yaml",
        &format!(
            "name: canary gateway\nkind: url\nbase_url: http://127.0.0.1:{port}\ncapabilities: []\n\
             credentials:\n  client_id_env: OBH_CANARY_CLIENT_ID\n  client_secret_env: OBH_CANARY_SECRET\n\
             allow_transfers: true\ndata:\n  client_use_code: M202601315\n  user_seq_no: \"1100000001\"\n"
        ),
    );
    write(
        &dir,
        "load.yaml",
        "name: canary load\nmodel: { kind: closed, users: 2, duration: 1s }\nmax_requests: 200\n\
         mix:\n  - { call: account.balance, weight: 3 }\n  - { call: transfer.withdraw, weight: 1 }\n",
    );
    let conformance = repo().join("scenarios/conformance").display().to_string();
    let d = |name: &str| dir.join(name).display().to_string();
    let reports = |prefix: &str| {
        ["--json", "--junit", "--html", "--markdown"]
            .into_iter()
            .zip(["json", "xml", "html", "md"])
            .flat_map(|(flag, ext)| [flag.to_string(), d(&format!("{prefix}.{ext}"))])
            .collect::<Vec<_>>()
    };
    let commands: Vec<(&str, Vec<String>)> = vec![
        (
            "run (admin)",
            [vec!["run".into(), conformance.clone(), "--target".into(), d("admin.yaml")], reports("run-admin")]
                .concat(),
        ),
        (
            "run (env)",
            [vec!["run".into(), conformance.clone(), "--target".into(), d("env.yaml")], reports("run-env")].concat(),
        ),
        ("load", [vec!["load".into(), d("load.yaml"), "--target".into(), d("admin.yaml")], reports("load")].concat()),
        (
            "diff",
            [
                vec![
                    "diff".into(),
                    "--cases".into(),
                    "3".into(),
                    "--seed".into(),
                    "7".into(),
                    "--target".into(),
                    d("admin.yaml"),
                ],
                reports("diff"),
            ]
            .concat(),
        ),
    ];
    for (what, args) in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env = [
            ("OBH_CANARY_ADMIN", ADMIN_TOKEN),
            ("OBH_CANARY_CLIENT_ID", "obh-sim-client-0001"),
            ("OBH_CANARY_SECRET", CLIENT_SECRET),
        ];
        let (code, out, err) = obharness_with_env(&args, &env, &dir, Duration::from_secs(240));
        assert!(matches!(code, 0 | 1), "{what} ran to a verdict ({code}):\n{out}\n{err}");
        assert_clean(&format!("{what} stdout"), &out);
        assert_clean(&format!("{what} stderr"), &err);
    }
    assert_files_clean(&dir);
    // The runs did obtain tokens and send the pass phrase: the check above is not vacuous.
    let run = std::fs::read_to_string(dir.join("run-admin.json")).unwrap();
    assert!(run.contains("\"access_token\": \"[redacted]\"") || run.contains("\"access_token\":\"[redacted]\""));
    assert!(run.contains("wd_pass_phrase"), "a withdraw was sent");
}
