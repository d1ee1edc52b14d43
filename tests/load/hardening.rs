//! Issue 10, load side: profile and variable bombs are positioned input errors (exit 2, no
//! panic, no abort, no gigabytes); runs that prove nothing fail; signals are reported.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bounded::obharness_within;
use crate::{profile, scratch};

const CLOSED: &str = "name: x\nmodel: { kind: closed, users: 2, duration: 1s }\n";

#[test]
fn profile_bombs_are_positioned_usage_errors() {
    let dir = scratch("bombs");
    let many: String = (0..10_000).map(|_| "  - { call: user.me }\n").collect();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "huge duration",
            "name: x\nmodel: { kind: closed, users: 2, duration: 99999999999999999999s }\nmix: [{ call: user.me }]\n"
                .into(),
            "p.yaml:2:",
        ),
        (
            "u32 weights",
            format!("{CLOSED}mix:\n  - {{ call: user.me, weight: 4294967295 }}\n  - {{ call: user.me, weight: 4294967295 }}\n"),
            "p.yaml:4:",
        ),
        ("big weight", format!("{CLOSED}mix:\n  - {{ call: user.me, weight: 100000000 }}\n"), "p.yaml:4:"),
        ("many entries", format!("{CLOSED}mix:\n{many}"), "p.yaml:3:"),
        (
            "zero ramp",
            "name: x\nmodel: { kind: closed, users: 2, duration: 1s, increase_rate: 0 }\nmix: [{ call: user.me }]\n"
                .into(),
            "p.yaml:2:",
        ),
        (
            "millisecond stages",
            "name: x\nmodel:\n  kind: closed\n  stages: [{ duration: 1ms, users: 1 }, { duration: 1ms, users: 2 }]\nmix: [{ call: user.me }]\n"
                .into(),
            "p.yaml:4:",
        ),
        (
            "unknown variable",
            format!("{CLOSED}mix:\n  - call: account.balance\n    with: {{ fintech_use_num: \"${{nope}}\" }}\n"),
            "p.yaml:5:",
        ),
        ("think time", format!("{CLOSED}think_time: 99999999999999999999s\nmix: [{{ call: user.me }}]\n"), "p.yaml:3:"),
        ("long think time", format!("{CLOSED}think_time: {{ min: 1s, max: 2m }}\nmix: [{{ call: user.me }}]\n"), "p.yaml:3:"),
        ("no requests", format!("{CLOSED}max_requests: 0\nmix: [{{ call: user.me }}]\n"), "p.yaml:3:"),
        // Checked with the file, not found by 100 % failed requests (or a run that cannot start).
        (
            "header name",
            format!("{CLOSED}mix:\n  - {{ call: user.me, headers: {{ \"bad header\": x }} }}\n"),
            "p.yaml:4:",
        ),
        (
            "header value",
            format!("{CLOSED}mix:\n  - {{ call: user.me, headers: {{ X-A: \"a\\nb\" }} }}\n"),
            "p.yaml:4:",
        ),
    ];
    for (what, text, at) in cases {
        profile(&dir, "p.yaml", &text);
        let (code, out, err) = obharness_within(&["load", "p.yaml"], &dir, Duration::from_secs(20));
        assert_eq!(code, 2, "{what}: {out}{err}");
        assert!(err.contains(at), "{what}: expected a position {at}: {err}");
        for raw in ["GooseError", "--test-plan", "panicked", "Expected format"] {
            assert!(!err.contains(raw) && !out.contains(raw), "{what}: {raw} leaked: {out}{err}");
        }
    }
}

#[test]
fn a_variable_expansion_bomb_is_a_positioned_usage_error() {
    let dir = scratch("var-bomb");
    let mut text = String::from("id: OBH-T-BOMB\ntitle: t\nspec: s\nvars:\n  v0: \"0123456789\"\n");
    for i in 1..=9 {
        text.push_str(&format!("  v{i}: \"{}\"\n", format!("${{v{}}}", i - 1).repeat(10)));
    }
    text.push_str("steps:\n  - call: user.me\n    with: { }\n    headers: { X-Bomb: \"${v9}\" }\n");
    std::fs::write(dir.join("s.yaml"), text).unwrap();
    let (code, out, err) = obharness_within(&["run", "s.yaml"], &dir, Duration::from_secs(20));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("s.yaml:9:") && err.contains("vars.v4 expands to"), "{err}");

    // Under the bound per variable, but referenced many times in one step.
    let mut text = String::from("id: OBH-T-BOMB\ntitle: t\nspec: s\nvars:\n  v0: \"0123456789\"\n");
    for i in 1..=3 {
        text.push_str(&format!("  v{i}: \"{}\"\n", format!("${{v{}}}", i - 1).repeat(10)));
    }
    text.push_str("steps:\n  - name: many\n    call: user.me\n    headers:\n");
    for h in 0..200 {
        text.push_str(&format!("      X-{h}: \"${{v3}}\"\n"));
    }
    std::fs::write(dir.join("s.yaml"), text).unwrap();
    let (code, out, err) = obharness_within(&["run", "s.yaml"], &dir, Duration::from_secs(20));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("s.yaml:10:") && err.contains("step 1 \"many\" can expand to"), "{err}");
    assert!(!err.contains("vars."), "each variable is within its bound: {err}");
}

#[test]
fn the_shipped_profiles_still_load() {
    // The benchmarks' profiles too: a change to the checker once broke `as: "token:bench"`.
    for dir in ["scenarios/load", "benches/load"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut loaded = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if p.extension().is_some_and(|e| e == "yaml") && text.contains("\nmix:") {
                obharness::load::profile::load(&p).unwrap_or_else(|e| panic!("{e}"));
                loaded += 1;
            }
        }
        assert!(loaded >= 2, "{loaded} profiles found");
    }
}

fn json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

#[test]
fn a_run_whose_answers_are_all_refused_fails_without_thresholds() {
    let dir = scratch("refused");
    profile(&dir, "p.yaml", &format!("{CLOSED}mix:\n  - {{ call: user.me, expect: {{ rsp_code: A0326 }} }}\n"));
    let (code, out, err) = obharness_within(&["load", "p.yaml", "--json", "run.json"], &dir, Duration::from_secs(30));
    assert_eq!(code, 1, "{out}{err}");
    let r = json(&dir, "run.json");
    let count = r["overall"]["count"].as_u64().unwrap();
    assert!(count > 0 && r["overall"]["refused"].as_u64() == Some(count), "{}", r["overall"]);
    assert!(out.contains("FAIL threshold run error rate ≤ 1%"), "{out}");
    // The bound can be raised, by the profile or on the command line.
    let (code, out, _) =
        obharness_within(&["load", "p.yaml", "--max-error-rate", "100%"], &dir, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn with_the_target_dead_failed_connections_are_not_fast_requests() {
    let dir = scratch("dead");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    profile(&dir, "t.yaml", &format!("name: dead\nkind: url\nbase_url: http://127.0.0.1:{port}\n"));
    profile(
        &dir,
        "p.yaml",
        &format!(
            "{CLOSED}max_requests: 2000\nmix:\n  - {{ call: user.me, as: none }}\nthresholds:\n  - {{ p99: 1000ms }}\n"
        ),
    );
    let (code, out, err) = obharness_within(
        &["load", "p.yaml", "--target", "t.yaml", "--json", "run.json"],
        &dir,
        Duration::from_secs(30),
    );
    assert_eq!(code, 1, "{out}{err}");
    let r = json(&dir, "run.json");
    let o = &r["overall"];
    assert!(o["count"].as_u64().unwrap() > 0 && o["failed"] == o["count"], "{o}");
    assert_eq!(o["p99_us"], 0, "failed connections have no latency: {o}");
    assert!(out.contains("FAIL threshold overall p99 < 1000.00ms (actual no good answers)"), "{out}");
}

#[test]
fn the_measured_window_is_the_profiles_duration() {
    let dir = scratch("window");
    profile(
        &dir,
        "p.yaml",
        "name: w\nmodel:\n  kind: closed\n  stages: [{ duration: 1s, users: 1 }, { duration: 1s, users: 2 }]\nmix: [{ call: user.me }]\n",
    );
    let (code, out, err) = obharness_within(&["load", "p.yaml", "--json", "run.json"], &dir, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}{err}");
    let r = json(&dir, "run.json");
    assert_eq!(r["duration_ms"], 2000, "{out}");
    assert_eq!(r["timeline"].as_array().unwrap().len(), 2, "{}", r["timeline"]);
    assert!(out.contains("Summary [   2.000s]"), "{out}");
}

#[cfg(unix)]
fn interrupted_by(signal: &str, expected: i32) {
    let dir = scratch(&format!("signal-{signal}"));
    profile(&dir, "p.yaml", "name: long\nmodel: { kind: closed, users: 2, duration: 60s }\nmix: [{ call: user.me }]\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args([
            "load",
            "p.yaml",
            "--json",
            "run.json",
            "--html",
            "run.html",
            "--markdown",
            "run.md",
            "--junit",
            "run.xml",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has started (its first line), then let requests flow a moment.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if line.starts_with("obharness load:") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(20)).expect("the run starts");
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("SIG{signal} did not stop the run");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = reader.join().unwrap();
    assert_eq!(status.code(), Some(expected), "{out}");
    let r = json(&dir, "run.json");
    assert_eq!(r["interrupted"], format!("SIG{signal}"), "{out}");
    assert_eq!((r["passed"].as_bool(), r["aborted"].as_bool()), (Some(false), Some(true)));
    assert!(r["duration_ms"].as_u64().unwrap() < 20_000);
    assert!(out.contains(&format!("INTERRUPTED by SIG{signal}")), "{out}");
    assert!(out.contains(&format!("FAIL — interrupted by SIG{signal} after ")), "{out}");
    assert!(!out.lines().last().unwrap_or("").ends_with(" 0 failed"), "{out}");
    // Every report says so.
    let html = std::fs::read_to_string(dir.join("run.html")).unwrap();
    assert!(html.contains("id=\"interrupted\"") && html.contains(&format!("stopped by SIG{signal}")), "html");
    assert!(html.contains(&format!("<span id=\"headline\">interrupted by SIG{signal} after ")), "html headline");
    let md = std::fs::read_to_string(dir.join("run.md")).unwrap();
    assert!(md.contains(&format!("> **Interrupted** by SIG{signal}")) && md.contains("**FAIL — interrupted"), "{md}");
    let junit = std::fs::read_to_string(dir.join("run.xml")).unwrap();
    assert!(
        junit.contains(&format!(
            "<failure message=\"interrupted by SIG{signal}: partial results, never a pass\" type=\"interrupted\"/>"
        )),
        "{junit}"
    );
}

#[cfg(unix)]
#[test]
fn sigint_writes_the_report_marked_interrupted_and_exits_130() {
    interrupted_by("INT", 130);
}

#[cfg(unix)]
#[test]
fn sigterm_writes_the_report_marked_interrupted_and_exits_143() {
    interrupted_by("TERM", 143);
}
