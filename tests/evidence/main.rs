//! Evidence bundles end to end, with the real binary: a bundle of the conformance suite
//! verifies; every kind of change is caught and named (exit 1); an unreadable bundle is told
//! apart (exit 2); no secret is in any file of a bundle; two runs give the same file list and
//! input hashes.

mod secrets;
mod tamper;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use obharness::evidence::bundle::{self, Manifest, Role};
use obharness::evidence::{sha256_hex, tar};
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-evidence-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a run of the binary did.
pub struct Ran {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Ran {
    pub fn all(&self) -> String {
        format!("exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.out, self.err)
    }
}

/// Runs `obharness` in `dir` with extra environment variables, killed (and failing) after two
/// minutes. `CI` and `OBH_SIGN_KEY` are removed unless given.
pub fn obh(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obharness"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("OBH_SIGN_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("obharness {args:?} did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran { code: status.code().unwrap_or(-1), out: out_reader.join().unwrap(), err: err_reader.join().unwrap() }
}

/// A key pair made with `obharness keygen` in `dir`: (private, public).
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let path = dir.join(name);
    let r = obh(&["keygen", path.to_str().unwrap()], dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    (path.clone(), bundle_path_pub(&path))
}

fn bundle_path_pub(private: &Path) -> PathBuf {
    obharness::evidence::sign::public_path(private)
}

/// A bundle's files by path, in archive order.
pub struct Opened {
    pub entries: Vec<tar::Entry>,
}

impl Opened {
    pub fn read(path: &Path) -> Opened {
        Opened { entries: tar::read(&std::fs::read(path).unwrap()).unwrap() }
    }

    pub fn get(&self, path: &str) -> &[u8] {
        &self.entries.iter().find(|e| e.path == path).unwrap_or_else(|| panic!("no {path} in the bundle")).data
    }

    pub fn text(&self, path: &str) -> String {
        String::from_utf8(self.get(path).to_vec()).unwrap()
    }

    pub fn manifest(&self) -> Manifest {
        serde_json::from_slice(self.get(bundle::MANIFEST)).unwrap()
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.path.clone()).collect()
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, tar::write(&self.entries, 0).unwrap()).unwrap();
    }

    /// The transcript's entries, parsed.
    pub fn transcript(&self) -> Vec<Value> {
        self.text(bundle::TRANSCRIPT).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

/// The suite's bundle, made once for the tests that only read it: signed with `key`, with the
/// run's own JSON, HTML and Markdown beside it.
pub struct SuiteRun {
    pub dir: PathBuf,
    pub bundle: PathBuf,
    pub key: PathBuf,
    pub public: PathBuf,
    pub ran_out: String,
}

pub fn suite() -> &'static SuiteRun {
    static RUN: OnceLock<SuiteRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = scratch("suite");
        let (key, public) = keygen(&dir, "signer");
        let bundle = dir.join("suite.obh");
        let s = |p: &Path| p.to_str().unwrap().to_string();
        let r = obh(
            &[
                "run",
                "scenarios/conformance",
                "--target",
                "scenarios/targets/sim.yaml",
                "--evidence",
                &s(&bundle),
                "--sign-key",
                &s(&key),
                "--json",
                &s(&dir.join("run.json")),
                "--html",
                &s(&dir.join("run.html")),
                "--markdown",
                &s(&dir.join("run.md")),
            ],
            &repo(),
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.all());
        SuiteRun { dir, bundle, key, public, ran_out: r.out }
    })
}

#[test]
fn a_bundle_of_the_suite_verifies_and_says_who_what_and_how_it_went() {
    let run = suite();
    let fingerprint = obharness::evidence::PublicKey::load(&run.public).unwrap().fingerprint();
    assert!(run.ran_out.contains(&format!("Evidence bundle: {}", run.bundle.display())), "{}", run.ran_out);
    let r = obh(&["verify", run.bundle.to_str().unwrap(), "--pubkey", run.public.to_str().unwrap()], &run.dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let opened = Opened::read(&run.bundle);
    let manifest = opened.manifest();
    let model: obharness::report::RunReport = serde_json::from_slice(opened.get(bundle::RUN_JSON)).unwrap();
    for want in [
        format!("VALID  {}  signed by Ed25519 key {fingerprint} (the key given)", run.bundle.display()),
        format!("{} scenarios: {} passed, 0 failed, 0 skipped — PASS", model.scenarios.len(), model.scenarios.len()),
        "conformance against embedded simulator".to_string(),
        format!("digest   {}", manifest.bundle_digest),
        "the reports against the run model (rendered again)".to_string(),
        format!("chain of {} entries", manifest.transcript.entries),
    ] {
        assert!(r.out.contains(&want), "missing {want:?} in\n{}", r.all());
    }
    // Without --pubkey the key the bundle carries is named, and the reviewer told to pass one.
    let r = obh(&["verify", run.bundle.to_str().unwrap()], &run.dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.contains(&fingerprint) && r.out.contains("pass --pubkey"), "{}", r.all());

    // The run's own reports are the bundle's: the same run model, the same stamped HTML and
    // Markdown, which name the bundle's digest and signer.
    assert_eq!(std::fs::read(run.dir.join("run.json")).unwrap(), opened.get(bundle::RUN_JSON));
    assert_eq!(std::fs::read(run.dir.join("run.html")).unwrap(), opened.get(bundle::HTML));
    assert_eq!(std::fs::read(run.dir.join("run.md")).unwrap(), opened.get(bundle::MARKDOWN));
    let html = opened.text(bundle::HTML);
    assert!(html.contains(&format!("<code id=\"bundle-digest\">{}</code>", manifest.bundle_digest)), "HTML header");
    assert!(html.contains(&format!("<code id=\"bundle-signer\">Ed25519 key {fingerprint}</code>")), "HTML header");
    let md = opened.text(bundle::MARKDOWN);
    assert!(
        md.contains(&format!("Evidence bundle `{}` · signed by `Ed25519 key {fingerprint}`", manifest.bundle_digest))
    );

    // The exact inputs, byte for byte: every scenario the run model names, the fragments they
    // include, the target profile, every snapshot; and the facts of the run.
    let by_path: BTreeMap<&str, &bundle::FileEntry> = manifest.files.iter().map(|f| (f.path.as_str(), f)).collect();
    for s in &model.scenarios {
        let at = bundle::input_path(Path::new(&s.source));
        let f = by_path.get(at.as_str()).unwrap_or_else(|| panic!("{} ({}) is not bundled", s.source, s.id));
        assert_eq!(f.role, Role::Scenario);
        assert_eq!(opened.get(&at), std::fs::read(repo().join(&s.source)).unwrap(), "{at}");
    }
    let fragment = "inputs/scenarios/fragments/deposit-1000.yaml";
    assert_eq!(by_path[fragment].role, Role::Fragment);
    assert_eq!(opened.get(fragment), std::fs::read(repo().join("scenarios/fragments/deposit-1000.yaml")).unwrap());
    let target = "inputs/scenarios/targets/sim.yaml";
    assert_eq!((by_path[target].role, by_path[target].redactions), (Role::Target, 0));
    assert_eq!(opened.get(target), std::fs::read(repo().join("scenarios/targets/sim.yaml")).unwrap());
    let goldens: Vec<&&bundle::FileEntry> = by_path.values().filter(|f| f.role == Role::Golden).collect();
    assert!(goldens.len() > 50, "{} snapshots", goldens.len());
    for g in goldens {
        assert_eq!(opened.get(&g.path), std::fs::read(repo().join(g.source.as_ref().unwrap())).unwrap(), "{}", g.path);
    }
    let facts: Value = serde_json::from_slice(opened.get(bundle::FACTS)).unwrap();
    let binary = std::fs::read(env!("CARGO_BIN_EXE_obharness")).unwrap();
    assert_eq!(facts["tool"]["binary_sha256"], sha256_hex(&binary), "{facts:#}");
    assert_eq!(facts["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(facts["tool"]["git_commit"].as_str().is_some_and(|c| !c.is_empty()), "{facts:#}");
    assert!(facts["machine"]["cores"].as_u64().is_some_and(|n| n >= 1) && facts["machine"]["os"].is_string());
    assert!(facts["clocks"]["virtual_clock"].as_str().unwrap().contains("2026-03-02T10:00:00+09:00"), "{facts:#}");
    assert!(facts["clocks"]["real_started_at"].is_string() && facts["clocks"]["real_finished_at"].is_string());

    // The transcript: every request with its answer, times and addresses, and the simulator's
    // journal of each scenario (on its virtual clock), grouped by scenario.
    let transcript = opened.transcript();
    assert_eq!(transcript.len(), manifest.transcript.entries);
    let exchanges: Vec<&Value> = transcript.iter().filter(|e| e["kind"] == "exchange").collect();
    let journal: Vec<&Value> = transcript.iter().filter(|e| e["kind"] == "journal").collect();
    assert!(exchanges.len() > 300 && journal.len() > 300, "{} exchanges, {} journal", exchanges.len(), journal.len());
    for e in &exchanges {
        let x = &e["exchange"];
        assert!(x["sent_at"].is_string() && x["request"]["method"].is_string(), "{e}");
        if x["error"].is_null() {
            assert!(x["answered_at"].is_string() && x["response"]["status"].is_u64(), "{e}");
            assert!(x["from"].as_str().is_some_and(|a| a.starts_with("127.0.0.")), "source address: {e}");
        }
    }
    for j in &journal {
        assert!(j["scenario"].is_string() && j["journal"]["peer"].is_string() && j["journal"]["at"].is_string(), "{j}");
    }
    // A whitelist scenario sends from another loopback address, and the transcript shows it.
    assert!(exchanges.iter().any(|e| e["exchange"]["from"].as_str().is_some_and(|a| a.starts_with("127.0.0.9:"))));
    let ids: Vec<&str> = model.scenarios.iter().map(|s| s.id.as_str()).collect();
    let order: Vec<&str> = transcript.iter().filter_map(|e| e["scenario"].as_str()).fold(Vec::new(), |mut v, s| {
        if v.last() != Some(&s) {
            v.push(s);
        }
        v
    });
    assert_eq!(order, ids, "one group per scenario, in the run model's order");

    // An independent check of the signature, where OpenSSL is installed.
    let dir = scratch("openssl");
    for name in [bundle::MANIFEST, bundle::SIGNATURE, bundle::SIGNER] {
        std::fs::write(dir.join(name), opened.get(name)).unwrap();
    }
    if let Ok(out) = Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey", "signer.pub", "-rawin", "-in", "MANIFEST.json"])
        .args(["-sigfile", "MANIFEST.sig"])
        .current_dir(&dir)
        .output()
    {
        assert!(
            out.status.success(),
            "openssl: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_bundles_report_comes_out_as_it_went_in() {
    let run = suite();
    let dir = scratch("report");
    let out = dir.join("report.html");
    let r = obh(&["report", run.bundle.to_str().unwrap(), "--html", out.to_str().unwrap(), "--markdown"], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let opened = Opened::read(&run.bundle);
    assert_eq!(std::fs::read(&out).unwrap(), opened.get(bundle::HTML));
    assert!(r.out.contains(&opened.text(bundle::MARKDOWN)), "the Markdown goes to stdout:\n{}", r.all());
}

#[test]
fn two_runs_give_the_same_files_and_the_same_inputs() {
    let first = suite();
    let dir = scratch("again");
    // The second run signs with the key from the environment, as a CI job would.
    let key_text = std::fs::read_to_string(&first.key).unwrap();
    let bundle = dir.join("again.obh");
    let r = obh(
        &[
            "run",
            "scenarios/conformance",
            "--target",
            "scenarios/targets/sim.yaml",
            "--evidence",
            bundle.to_str().unwrap(),
        ],
        &repo(),
        &[("OBH_SIGN_KEY", key_text.as_str())],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.err.contains("not be signed"), "{}", r.all());
    let r = obh(&["verify", bundle.to_str().unwrap(), "--pubkey", first.public.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());

    let (a, b) = (Opened::read(&first.bundle), Opened::read(&bundle));
    assert_eq!(a.names(), b.names(), "the same files, in the same order");
    let hashes = |o: &Opened| -> BTreeMap<String, String> {
        o.manifest().files.into_iter().filter(|f| f.path.starts_with("inputs/")).map(|f| (f.path, f.sha256)).collect()
    };
    assert_eq!(hashes(&a), hashes(&b), "the same scenarios, fragments, target and snapshots");
    assert!(hashes(&a).len() > 100);
    // The transcripts hold the same exchanges, scenario by scenario (times, ports and ids vary).
    let shape = |o: &Opened| -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in o.transcript() {
            let what = match e["kind"].as_str() {
                Some("exchange") => {
                    let url = e["exchange"]["request"]["url"].as_str().unwrap_or("");
                    let path = reqwest::Url::parse(url).map(|u| u.path().to_string()).unwrap_or_default();
                    format!("{} {path}", e["exchange"]["request"]["method"].as_str().unwrap_or(""))
                }
                _ => format!("journal {}", e["journal"]["path"].as_str().unwrap_or("")),
            };
            m.entry(e["scenario"].as_str().unwrap_or("").to_string()).or_default().push(what);
        }
        m.values_mut().for_each(|v| v.sort());
        m
    };
    assert_eq!(shape(&a), shape(&b));
}

#[test]
fn an_unreadable_bundle_exits_2_and_names_the_file() {
    let run = suite();
    let dir = scratch("unreadable");
    let bytes = std::fs::read(&run.bundle).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.obh", bytes[..bytes.len() / 2].to_vec(), "truncated"),
        ("cut-at-the-end.obh", bytes[..bytes.len() - 700].to_vec(), "truncated"),
        ("garbage.obh", b"not a bundle at all\n".repeat(100), "not a readable bundle"),
        ("empty.obh", Vec::new(), "truncated"),
        (
            "no-manifest.obh",
            tar::write(&[tar::Entry { path: "x".into(), data: b"x".to_vec() }], 0).unwrap(),
            "no MANIFEST.json",
        ),
    ];
    for (name, data, why) in cases {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let r = obh(&["verify", path.to_str().unwrap()], &dir, &[]);
        assert_eq!(r.code, 2, "{name}: {}", r.all());
        assert!(r.err.contains(path.to_str().unwrap()) && r.err.contains(why), "{name}: {}", r.all());
        let r = obh(&["report", path.to_str().unwrap(), "--html", "x.html"], &dir, &[]);
        assert_eq!(r.code, 2, "{name}: {}", r.all());
    }
    let missing = dir.join("missing.obh");
    let r = obh(&["verify", missing.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err.contains("missing.obh"), "{}", r.all());
    let r = obh(&["verify", run.bundle.to_str().unwrap(), "--pubkey", missing.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn keygen_keeps_the_private_key_private_and_never_overwrites_it() {
    let dir = scratch("keygen");
    let (key, public) = keygen(&dir, "k");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let before = (std::fs::read(&key).unwrap(), std::fs::read(&public).unwrap());
    let r = obh(&["keygen", key.to_str().unwrap()], &dir, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err.contains("refusing to overwrite") && r.err.contains("--force"), "{}", r.all());
    assert_eq!((std::fs::read(&key).unwrap(), std::fs::read(&public).unwrap()), before);
    let r = obh(&["keygen", key.to_str().unwrap(), "--force"], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_ne!(std::fs::read(&key).unwrap(), before.0);
    // A key is never taken from a flag's value.
    let r = obh(&["run", "--evidence", "x.obh", "--sign-key-text", "abc"], &dir, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    // A signing key that is not one fails before the run.
    std::fs::write(dir.join("bad.key"), "not a key").unwrap();
    let r = obh(&["run", "scenarios/conformance", "--evidence", "x.obh", "--sign-key"], &repo(), &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    let r = obh(
        &[
            "run",
            "scenarios/conformance",
            "--evidence",
            dir.join("x.obh").to_str().unwrap(),
            "--sign-key",
            dir.join("bad.key").to_str().unwrap(),
        ],
        &repo(),
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.err.contains("bad.key") && !r.out.contains("scenario(s) against"), "{}", r.all());
    assert!(!dir.join("x.obh").exists());
}

#[test]
fn a_failing_run_has_a_valid_bundle_that_says_it_failed_and_what_it_could_not_hold() {
    let dir = scratch("failing");
    std::fs::write(dir.join("me.yaml"), "id: OBH-T-ME-001\ntitle: who am I\nspec: test\nsteps:\n  - call: user.me\n")
        .unwrap();
    // Under CI a missing snapshot fails the step (and is never written).
    let r = obh(&["run", "me.yaml", "--evidence", "me.obh"], &dir, &[("CI", "true")]);
    assert_eq!(r.code, 1, "{}", r.all());
    let r = obh(&["verify", "me.obh"], &dir, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.out.contains("1 scenarios: 0 passed, 1 failed, 0 skipped — FAIL"), "{}", r.all());
    assert!(r.out.contains("not in the bundle: golden/OBH-T-ME-001/01-user-me.snap"), "{}", r.all());
    let o = Opened::read(&dir.join("me.obh"));
    assert_eq!(o.get("inputs/me.yaml"), std::fs::read(dir.join("me.yaml")).unwrap());
}
