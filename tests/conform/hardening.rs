//! Issue 10, the input side: no credential leaves for another host, no input file hangs,
//! exhausts or leaks, no scenario proves nothing.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use obharness::conform::RunOptions;
use obharness::golden::GoldenMode;
use obharness::report::Outcome;
use obharness::target::Target;

use crate::bounded::obharness_within;
use crate::{run_paths, scratch, write};

const HEAD: &str = "id: OBH-T-001\ntitle: a test\nspec: test\n";

/// A listener on another loopback port that must receive nothing.
fn elsewhere() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

fn assert_nothing_arrived(l: &TcpListener) {
    match l.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("a request from {peer} reached the other host"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_literal_path_that_leaves_the_target_is_a_positioned_input_error() {
    let (listener, port) = elsewhere();
    let dir = scratch("leak-literal");
    for (i, path) in
        [format!("@127.0.0.1:{port}/x"), format!("//127.0.0.1:{port}/x"), format!("http://127.0.0.1:{port}/")]
            .iter()
            .enumerate()
    {
        let name = format!("s{i}.yaml");
        write(
            &dir,
            &name,
            &format!(
                "{HEAD}steps:\n  - request: {{ method: GET, path: \"{path}\" }}\n    as: user\n    golden: false\n"
            ),
        );
        let (code, _, err) = obharness_within(&["run", &name], &dir, Duration::from_secs(30));
        assert_eq!(code, 2, "{path}: {err}");
        assert!(err.contains(&format!("{name}:5:")), "{path}: {err}");
        assert!(err.contains("leave the target") || err.contains("must start with '/'"), "{err}");
    }
    assert_nothing_arrived(&listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_templated_path_that_leaves_the_target_is_a_step_error_and_nothing_is_sent() {
    let (listener, port) = elsewhere();
    let dir = scratch("leak-template");
    for (i, (path, who)) in
        [(format!("@127.0.0.1:{port}/x"), "user"), (format!("//127.0.0.1:{port}/y"), "institution")].iter().enumerate()
    {
        write(
            &dir,
            &format!("s{i}.yaml"),
            &format!(
                "id: OBH-T-00{i}\ntitle: t\nspec: s\nvars:\n  p: \"{path}\"\nsteps:\n  - request: {{ method: POST, path: \"${{p}}\" }}\n    as: {who}\n    golden: false\n"
            ),
        );
    }
    let opts = RunOptions { golden_mode: GoldenMode::Off, ..RunOptions::default() };
    let report = run_paths(vec![dir.clone()], Target::embedded(vec![]), opts).await;
    assert_eq!(report.scenarios.len(), 2);
    for s in &report.scenarios {
        assert_eq!(s.outcome, Outcome::Error, "{s:#?}");
        let why = &s.steps[0].failures[0].actual;
        assert!(why.contains("must start with '/'"), "{why}");
    }
    assert_nothing_arrived(&listener);
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_at_once_and_non_yaml_content_is_never_echoed() {
    let dir = scratch("files");
    let fifo = dir.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    write(&dir, "secret.txt", "root:SECRET-HASH-LINE:19000:0:99999:7:::\n");
    let limit = Duration::from_secs(20);
    let mut includes = vec!["/dev/zero", "/dev/urandom", "secret.txt"];
    if made {
        includes.push("pipe.yaml");
    }
    for inc in includes {
        write(&dir, "s.yaml", &format!("{HEAD}steps:\n  - include: {inc}\n"));
        let (code, out, err) = obharness_within(&["run", "s.yaml"], &dir, limit);
        assert_eq!(code, 2, "{inc}: {out}{err}");
        assert!(err.contains("s.yaml:5:") || err.contains("secret.txt"), "{inc}: {err}");
        assert!(!err.contains("SECRET-HASH-LINE") && !out.contains("SECRET-HASH-LINE"), "{inc} echoed: {err}");
    }
    write(&dir, "ok.yaml", &format!("{HEAD}steps:\n  - call: user.me\n    golden: false\n"));
    for target in ["/dev/zero", "/dev/urandom", "secret.txt"] {
        let (code, _, err) = obharness_within(&["run", "ok.yaml", "--target", target], &dir, limit);
        assert_eq!(code, 2, "{target}: {err}");
        assert!(!err.contains("SECRET-HASH-LINE"), "{err}");
    }
    for args in [
        &["run", "ok.yaml", "--expected-failures", "/dev/zero"][..],
        &["report", "/dev/urandom", "--html", "x.html"][..],
    ] {
        let (code, _, err) = obharness_within(args, &dir, limit);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("only regular files"), "{err}");
    }
    for path in ["/dev/zero", "pipe.yaml"] {
        let (code, _, err) = obharness_within(&["run", path], &dir, limit);
        assert_eq!(code, 2, "{path}: {err}");
        assert!(err.contains("only regular files") || !made, "{path}: {err}");
    }
    if made {
        let (code, _, err) = obharness_within(&["run", "ok.yaml", "--target", "pipe.yaml"], &dir, limit);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("FIFO"), "{err}");
        let (code, _, err) = obharness_within(&["load", "pipe.yaml"], &dir, limit);
        assert_eq!(code, 2, "{err}");
    }
    let big = format!("{HEAD}steps:\n  - call: user.me\n{}", "# padding\n".repeat(500_000));
    write(&dir, "big.yaml", &big);
    let (code, _, err) = obharness_within(&["run", "big.yaml"], &dir, limit);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 4 MiB"), "{err}");
}

#[test]
fn scenario_ids_that_are_not_safe_directory_names_are_refused() {
    let dir = scratch("ids");
    let golden = dir.join("g");
    for id in ["..", ".", "../up", "a/b", ".hidden"] {
        write(&dir, "s.yaml", &format!("id: \"{id}\"\ntitle: t\nspec: s\nsteps:\n  - call: user.me\n"));
        let (code, _, err) = obharness_within(&["run", "s.yaml", "--golden-dir", "g"], &dir, Duration::from_secs(30));
        assert_eq!(code, 2, "{id}: {err}");
        assert!(err.contains("s.yaml:1:") && err.contains("scenario id"), "{id}: {err}");
    }
    assert!(!dir.join("01-user-me.snap").exists() && !golden.exists(), "nothing was written");
}

#[test]
fn bad_bytes_several_documents_and_empty_steps_are_positioned_input_errors() {
    let dir = scratch("shapes");
    let mut bytes = format!("{HEAD}steps:\n  - call: user.me\n    name: \"").into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, b'"', b'\n']);
    std::fs::write(dir.join("latin.yaml"), bytes).unwrap();
    let (code, _, err) = obharness_within(&["run", "latin.yaml"], &dir, Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("latin.yaml:6:") && err.contains("UTF-8"), "{err}");

    write(&dir, "two.yaml", &format!("{HEAD}steps:\n  - call: user.me\n---\nid: other\n"));
    let (code, _, err) = obharness_within(&["run", "two.yaml"], &dir, Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two.yaml:6:") && err.contains("second YAML document"), "{err}");

    write(&dir, "empty.yaml", &format!("{HEAD}steps: []\n"));
    let (code, out, err) = obharness_within(&["run", "empty.yaml"], &dir, Duration::from_secs(30));
    assert_eq!(code, 2, "an empty scenario proves nothing: {out}{err}");
    assert!(err.contains("empty.yaml:4:") && err.contains("at least one step"), "{err}");
}

#[test]
fn deep_flow_nesting_is_refused_before_parsing() {
    let dir = scratch("deep");
    let depth = 100_000;
    write(&dir, "deep.yaml", &format!("{HEAD}steps:\n  - call: {}{}\n", "[".repeat(depth), "]".repeat(depth)));
    let started = Instant::now();
    let (code, _, err) = obharness_within(&["run", "deep.yaml"], &dir, Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deep.yaml:5:") && err.contains("nested more than"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn a_nested_parallel_names_its_own_step() {
    let dir = scratch("parallel");
    write(
        &dir,
        "p.yaml",
        &format!(
            "{HEAD}steps:\n  - call: user.me\n  - parallel:\n      - call: user.me\n      - parallel:\n          - call: user.me\n"
        ),
    );
    let (code, _, err) = obharness_within(&["run", "p.yaml"], &dir, Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("step 2.2") && !err.contains("step 202"), "{err}");
    assert!(err.contains("p.yaml:8:"), "{err}");
}

#[test]
fn run_outputs_mask_account_numbers_and_carry_no_secret() {
    let dir = scratch("masked");
    let suite = crate::repo().join("scenarios/conformance");
    let golden = crate::repo().join("golden");
    let files = [suite.join("inquiry/real-name.yaml"), suite.join("consent/transfer-consent-expired.yaml")];
    let mut args: Vec<&str> = vec!["run"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(["--golden-dir", golden.to_str().unwrap()]);
    args.extend(["--json", "run.json", "--junit", "junit.xml", "--html", "run.html", "--markdown", "run.md"]);
    let (code, out, err) = obharness_within(&args, &dir, Duration::from_secs(60));
    assert_eq!(code, 0, "{out}{err}");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(json.contains("1001000000***"), "account numbers are reported, masked");
    for (name, text) in [
        ("stdout", out),
        ("stderr", err),
        ("json", json),
        ("junit", std::fs::read_to_string(dir.join("junit.xml")).unwrap()),
        ("html", std::fs::read_to_string(dir.join("run.html")).unwrap()),
        ("markdown", std::fs::read_to_string(dir.join("run.md")).unwrap()),
    ] {
        for secret in ["1001000000001", "1002000000001", "obh-sim-secret-not-for-production"] {
            assert!(!text.contains(secret), "{name} carries {secret}");
        }
    }
}
