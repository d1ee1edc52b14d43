//! Issue 10, load side: profile and variable bombs are positioned input errors (exit 2, no
//! panic, no abort, no gigabytes); runs that prove nothing fail; signals are reported.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{profile, scratch};

/// Runs the binary, killing it (and failing) after `limit`.
pub fn obharness_within(args: &[&str], dir: &Path, limit: Duration) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("obharness {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.code().unwrap_or(-1), out, err)
}

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
}

#[test]
fn the_shipped_profiles_still_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/load");
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        obharness::load::profile::load(&p).unwrap_or_else(|e| panic!("{e}"));
    }
}
