//! Fuzzing the input loaders (scenarios, load profiles, targets, client scenarios) with the
//! project's own files mutated at random, and with random text: no input panics, aborts or
//! hangs a loader, and the binary never exits with anything but 0, 1 or 2. The budget is
//! bounded (a few hundred cases, a few seconds).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

/// The seeds of one kind of file: the files the project ships.
fn seeds(dir: &str) -> Vec<String> {
    let mut files = Vec::new();
    yaml_files(&repo().join(dir), &mut files);
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

/// Pieces that make parsers and checkers work: brackets, anchors, templates, huge numbers,
/// document markers, paths that leave, control characters.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "${",
    "${v}",
    "${user_seq_no}",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "'",
    "\"",
    "#",
    "\n---\n",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!tag ",
    "99999999999999999999",
    "4294967295",
    "18446744073709551616",
    "-1",
    "0",
    "1e309",
    "NaN",
    "0.0000001ms",
    "..",
    "/",
    "@127.0.0.1:1/x",
    "//127.0.0.1:1/x",
    "ms",
    "s",
    "null",
    "~",
    "\u{0}",
    "\u{feff}",
    "한",
    "%YAML 1.2\n",
    "? ",
    "|\n",
    ">-\n",
    "weight: ",
    "duration: ",
    "steps: []",
    "parallel: [",
    "include: ",
];

/// Numbers that overflow, underflow or exhaust, put where the files have numbers.
const NUMBERS: &[&str] = &[
    "99999999999999999999",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "100000000",
    "0",
    "-1",
    "0.0000001",
    "1e309",
    "10000",
    "100001",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, usize),
    Replace(usize, usize, usize),
    /// The k-th run of digits becomes one of [`NUMBERS`].
    Number(usize, usize),
    /// The value after the k-th `: ` becomes a token.
    Value(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => (any::<usize>(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        1 => (any::<usize>(), 1usize..80).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        1 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Edit::Insert(a, t)),
        1 => (any::<usize>(), 1usize..10, 0..TOKENS.len()).prop_map(|(a, n, t)| Edit::Replace(a, n, t)),
        2 => (any::<usize>(), 0..NUMBERS.len()).prop_map(|(k, t)| Edit::Number(k, t)),
        1 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(k, t)| Edit::Value(k, t)),
    ]
}

/// The byte range of the k-th (mod count) digit run of `s`.
fn digit_run(s: &str, k: usize) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    (!runs.is_empty()).then(|| runs[k % runs.len()])
}

fn boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(seed: &str, edits: &[Edit]) -> String {
    let mut s = seed.to_string();
    for e in edits {
        match *e {
            Edit::Delete(a, n) => {
                let a = boundary(&s, a);
                let b = boundary(&s, a + n.min(s.len() - a));
                s.replace_range(a..b, "");
            }
            Edit::Duplicate(a, n) => {
                let a = boundary(&s, a);
                let b = boundary(&s, a + n.min(s.len() - a));
                let piece = s[a..b].to_string();
                s.insert_str(b, &piece);
            }
            Edit::Insert(a, t) => {
                let a = boundary(&s, a);
                s.insert_str(a, TOKENS[t]);
            }
            Edit::Replace(a, n, t) => {
                let a = boundary(&s, a);
                let b = boundary(&s, a + n.min(s.len() - a));
                s.replace_range(a..b, TOKENS[t]);
            }
            Edit::Number(k, t) => {
                if let Some((a, b)) = digit_run(&s, k) {
                    s.replace_range(a..b, NUMBERS[t]);
                }
            }
            Edit::Value(k, t) => {
                let colons: Vec<usize> = s.match_indices(": ").map(|(i, _)| i + 2).collect();
                if !colons.is_empty() {
                    let a = colons[k % colons.len()];
                    let b = a + s[a..].find(['\n', ',', '}']).unwrap_or(s.len() - a);
                    s.replace_range(a..b, TOKENS[t]);
                }
            }
        }
    }
    s
}

/// Mutated seeds and, now and then, random text.
fn input(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let n = seeds.len();
    prop_oneof![
        9 => (0..n, prop::collection::vec(edit(), 1..8)).prop_map(move |(i, edits)| mutate(&seeds[i], &edits)),
        1 => "\\PC{0,300}",
    ]
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A loader call must return (either way) quickly.
fn quick<T>(what: &str, text: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    assert!(started.elapsed() < Duration::from_secs(2), "{what} took {:?} on {text:?}", started.elapsed());
    out
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn the_scenario_loader_never_panics(text in input(seeds("scenarios/conformance"))) {
        let path = repo().join("scenarios/conformance/fuzz.yaml");
        let _ = quick("scenario", &text, || obharness::scenario::load::load_text(&path, &text));
    }

    #[test]
    fn the_profile_loader_never_panics(text in input(seeds("scenarios/load"))) {
        let _ = quick("profile", &text, || obharness::load::profile::parse(Path::new("fuzz.yaml"), &text));
    }
}

proptest! {
    #![proptest_config(config(150))]

    #[test]
    fn the_target_and_client_loaders_never_panic(
        target in input(seeds("scenarios/targets")),
        client in input(seeds("scenarios/client")),
    ) {
        let dir = scratch();
        let t = dir.join("target.yaml");
        std::fs::write(&t, &target).unwrap();
        let _ = quick("target", &target, || obharness::target::Target::load(&t, Vec::new()));
        let c = dir.join("client.yaml");
        std::fs::write(&c, &client).unwrap();
        let _ = quick("client", &client, || obharness::certify::scenario::load_file(&c));
    }
}

/// Seeds the binary can run quickly: scenarios without waits.
fn quick_scenarios() -> Vec<String> {
    seeds("scenarios/conformance")
        .into_iter()
        .filter(|s| !s.contains("sleep_ms") && !s.contains("retry") && !s.contains("include"))
        .collect()
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn the_binary_exits_0_1_or_2_on_any_scenario(text in input(quick_scenarios())) {
        let dir = scratch();
        std::fs::write(dir.join("s.yaml"), &text).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_obharness"))
            .args(["run", "s.yaml", "--golden-dir", "g"])
            .current_dir(&dir)
            .env_remove("CI")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("no answer within 30 s on {text:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        prop_assert!(matches!(status.code(), Some(0..=2)), "exit {:?} on {:?}: {}", status.code(), text, err);
        prop_assert!(!err.contains("panicked"), "{}", err);
    }
}
