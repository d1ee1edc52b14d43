//! Every JUnit file obharness writes (conformance with each verdict, client certification,
//! load with a breached threshold, differential checking) validates against the common JUnit
//! schema (junit-10.xsd, fetched by tests/junit/fetch-xsd.sh; `.ci/run` sets OBH_JUNIT_XSD)
//! with xmllint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bounded::obharness_within;
use crate::{repo, scratch, write};

/// The schema and xmllint, or `None` (outside CI, with a loud notice) when either is missing.
fn validator() -> Option<PathBuf> {
    let xsd = std::env::var_os("OBH_JUNIT_XSD")
        .map(PathBuf::from)
        .or_else(|| Some(repo().join("target/junit-xsd/junit-10.xsd")))
        .filter(|p| p.is_file());
    let xmllint = std::process::Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    match xsd {
        Some(xsd) if xmllint => Some(xsd),
        _ => {
            let why = "the JUnit schema (bash tests/junit/fetch-xsd.sh) and xmllint (apt install libxml2-utils)";
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI must validate JUnit files: {why} are needed");
            }
            use std::io::Write;
            let _ = writeln!(std::io::stderr().lock(), "\n!!! SKIPPED: JUnit files were NOT validated: needs {why}.\n");
            None
        }
    }
}

fn validate(xsd: &Path, file: &Path) {
    let out = std::process::Command::new("xmllint").arg("--noout").arg("--schema").arg(xsd).arg(file).output().unwrap();
    assert!(
        out.status.success(),
        "{} does not validate against junit-10.xsd:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

#[test]
fn every_junit_file_validates_against_the_common_schema() {
    let Some(xsd) = validator() else { return };
    let dir = scratch("junit-xsd");
    let conformance = repo().join("scenarios/conformance").display().to_string();
    let clients = repo().join("scenarios/client").display().to_string();
    // Failures, an expected failure, a warning and a skip in one conformance run.
    write(&dir, "expected.txt", "OBH-TR-DUP-001\n");
    write(&dir, "down.yaml", "name: down\nkind: url\nbase_url: http://127.0.0.1:9\ncapabilities: []\n");
    write(
        &dir,
        "load.yaml",
        "name: xsd\nmodel: { kind: closed, users: 2, duration: 1s }\nmax_requests: 100\n\
         mix: [{ call: account.balance }]\nthresholds: [{ p99: 0ms }, { error_rate: 1% }]\n",
    );
    let runs: Vec<Vec<String>> = vec![
        vec!["run".into(), conformance.clone(), "--junit".into(), "run.xml".into()],
        vec![
            "run".into(),
            conformance,
            "--sim-quirk".into(),
            "double-debit-on-duplicate".into(),
            "--sim-quirk".into(),
            "ignore-ip-whitelist".into(),
            "--expected-failures".into(),
            "expected.txt".into(),
            "--junit".into(),
            "run-failing.xml".into(),
        ],
        // Every scenario skipped: the target lacks the capability (nothing is sent to it).
        vec![
            "run".into(),
            repo().join("scenarios/conformance/hours").display().to_string(),
            "--target".into(),
            "down.yaml".into(),
            "--junit".into(),
            "run-skipped.xml".into(),
        ],
        vec!["load".into(), "load.yaml".into(), "--junit".into(), "load.xml".into()],
        vec![
            "diff".into(),
            "--cases".into(),
            "200".into(),
            "--seed".into(),
            "1".into(),
            "--sim-quirk".into(),
            "double-debit-on-duplicate".into(),
            "--write-scenario".into(),
            "diff.yaml".into(),
            "--junit".into(),
            "diff.xml".into(),
        ],
        vec![
            "certify-client".into(),
            clients,
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--trigger-cmd".into(),
            "echo '{\"outcome\": \"succeeded\"}'".into(),
            "--junit".into(),
            "certify.xml".into(),
        ],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = obharness_within(&args, &dir, Duration::from_secs(180));
        assert!(matches!(code, 0 | 1), "{args:?} ran to a verdict ({code}):\n{out}\n{err}");
    }
    for name in ["run.xml", "run-failing.xml", "run-skipped.xml", "load.xml", "diff.xml", "certify.xml"] {
        validate(&xsd, &dir.join(name));
    }
    // The files hold every kind of testcase the schema must accept.
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert!(read("run-failing.xml").contains("<failure"));
    assert!(read("run-skipped.xml").contains("<skipped"));
    assert!(read("load.xml").contains("<failure"));
}
