//! The real binary: exit codes, positioned errors, report files.

use std::process::Command;

use crate::{repo, scratch, write};

fn obharness(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const HEAD: &str = "id: OBH-T-001\ntitle: a test\nspec: test\n";

#[test]
fn a_typo_in_an_api_id_is_a_usage_error_with_position_and_hint() {
    let dir = scratch("typo");
    write(&dir, "bad.yaml", &format!("{HEAD}steps:\n  - call: transfer.withdrw\n"));
    let (code, _, err) = obharness(&["run", "bad.yaml"], &dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.yaml:5:11"), "{err}");
    assert!(err.contains("did you mean 'transfer.withdraw'?"), "{err}");
    assert!(err.contains("  - call: transfer.withdrw\n  |           ^^^^^^^^^^^^^^^^"), "{err}");
}

#[test]
fn every_problem_of_every_file_is_reported_at_once() {
    let dir = scratch("many");
    write(&dir, "a.yaml", &format!("{HEAD}steps:\n  - call: user.me\n    expct: {{}}\n"));
    write(&dir, "b.yaml", "id: OBH-T-002\ntitle: b\nspec: s\nsteps:\n  - call: user.me\n    capture: { x: nope }\n");
    let (code, _, err) = obharness(&["run", "."], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("a.yaml:6:5") && err.contains("unknown field `expct`"), "{err}");
    assert!(err.contains("b.yaml:6") && err.contains("must start with '$'"), "{err}");
}

#[test]
fn a_passing_run_exits_0_and_writes_junit_and_json() {
    let dir = scratch("reports");
    write(
        &dir,
        "ok.yaml",
        &format!(
            "{HEAD}steps:\n  - call: user.me\n    golden: false\n    expect: {{ rsp_code: A0000, json: [{{ path: $.user_name, equals: \"${{user_name}}\" }}] }}\n"
        ),
    );
    let (code, out, err) = obharness(&["run", "ok.yaml", "--junit", "out/junit.xml", "--json", "out/run.json"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().last(), Some("1 passed, 0 failed, 0 skipped"), "{out}");
    let junit = std::fs::read_to_string(dir.join("out/junit.xml")).unwrap();
    assert!(junit.contains("<testcase name=\"OBH-T-001 a test\""), "{junit}");
    let json = std::fs::read_to_string(dir.join("out/run.json")).unwrap();
    let report = obharness::report::json::read(&json).unwrap();
    assert_eq!(report.summary.passed, 1);
    assert!(!json.contains("obh-sim-secret"), "no secrets in reports");
}

#[test]
fn a_failing_check_exits_1_and_names_step_expectation_and_actual() {
    let dir = scratch("fail");
    write(
        &dir,
        "f.yaml",
        &format!(
            "{HEAD}steps:\n  - name: wrong code\n    call: user.me\n    golden: false\n    expect: {{ rsp_code: A0326 }}\n"
        ),
    );
    let (code, out, _) = obharness(&["run", "f.yaml", "--junit", "j.xml"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("step 1 \"wrong code\" (call user.me)"), "{out}");
    assert!(out.contains("rsp_code: expected A0326, got A0000"), "{out}");
    let junit = std::fs::read_to_string(dir.join("j.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    // The expected-failures file turns it into a pass, and a pass into a failure.
    write(&dir, "xfail.txt", "# known\nOBH-T-001\n");
    let (code, out, _) = obharness(&["run", "f.yaml", "--expected-failures", "xfail.txt"], &dir);
    assert_eq!(code, 0, "{out}");
    write(&dir, "g.yaml", "id: OBH-T-001\ntitle: now fixed\nspec: s\nsteps:\n  - call: user.me\n    golden: false\n");
    let (code, out, _) = obharness(&["run", "g.yaml", "--expected-failures", "xfail.txt"], &dir);
    assert_eq!(code, 1, "an expected failure that passes fails the run: {out}");
}

#[test]
fn a_missing_capability_skips_never_passes() {
    let dir = scratch("skip");
    write(&dir, "s.yaml", &format!("{HEAD}requires: [clock_control]\nsteps:\n  - advance_clock: 10\n"));
    let target = repo().join("scenarios/targets/kftc-testbed.yaml");
    let (code, out, err) = obharness(&["run", "s.yaml", "--target", target.to_str().unwrap()], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("SKIP") && out.contains("lacks clock_control"), "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 0 failed, 1 skipped"));
}

#[test]
fn schema_prints_a_json_schema_of_the_scenario_format() {
    let (code, out, _) = obharness(&["schema", "scenario"], &repo());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["title"], "Scenario");
    assert!(v.to_string().contains("transfer.withdraw"), "API ids are enumerated");
}

/// `obharness run | head -1`: the reader goes away after the first line; the run ends quietly
/// (exit 141, like a process ended by SIGPIPE), with nothing on stderr.
#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(["run", "scenarios/conformance", "-j", "1"])
        .current_dir(crate::repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The header comes before any scenario runs: closing after it leaves 83 lines to fail.
    assert!(lines.next().unwrap().unwrap().starts_with("obharness run:"));
    drop(lines);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Broken pipe") && !stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

/// A URL target is checked once before any scenario: a missing admin token, or a simulator
/// that is not running, is one message naming what to set, and exit 2.
#[test]
fn a_url_target_is_checked_once_before_any_scenario() {
    let dir = scratch("preflight");
    // Port 9 (discard) on loopback: nothing listens there.
    let target = write(
        &dir,
        "t.yaml",
        "name: down\nkind: url\nbase_url: http://127.0.0.1:9\nadmin_token_env: OBH_TEST_PREFLIGHT_TOKEN\n",
    );
    let run = |token: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_obharness"));
        c.args(["run", "scenarios/conformance", "--target"]).arg(&target).current_dir(crate::repo());
        match token {
            Some(t) => c.env("OBH_TEST_PREFLIGHT_TOKEN", t),
            None => c.env_remove("OBH_TEST_PREFLIGHT_TOKEN"),
        };
        let out = c.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(None);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.matches("OBH_TEST_PREFLIGHT_TOKEN").count(), 1, "one message naming the variable:\n{err}");
    // Set up right but not answering: the run could not be carried out (3), not bad input (2).
    let (code, err) = run(Some("t"));
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
}

#[test]
fn an_interrupted_run_is_reported_as_such_and_exits_130() {
    let dir = crate::scratch("interrupted");
    crate::write(
        &dir,
        "quick.yaml",
        "id: OBH-T-QUICK-001\ntitle: quick\nspec: s\nsteps:\n  - call: user.me\n    golden: false\n",
    );
    crate::write(&dir, "slow.yaml", "id: OBH-T-SLOW-001\ntitle: slow\nspec: s\nsteps:\n  - sleep_ms: 30000\n");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(["run", ".", "--json", "run.json", "--markdown", "run.md", "--junit", "run.xml"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the quick scenario is reported, the slow one is asleep: interrupt it.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("OBH-T-QUICK-001") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the quick scenario is reported");
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the run did not stop on SIGINT");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("INTERRUPTED by SIGINT: 1 scenario not run to the end"), "{stdout}");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(json.contains("\"interrupted\": \"SIGINT\""), "{json}");
    assert!(std::fs::read_to_string(dir.join("run.md")).unwrap().contains("INTERRUPTED by SIGINT"));
    assert!(std::fs::read_to_string(dir.join("run.xml")).unwrap().contains("name=\"interrupted\" value=\"SIGINT\""));
}
