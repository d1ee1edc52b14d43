//! Issue 14: one load test across many machines. Three shard processes of an open-model
//! profile against one `obharness sim` on loopback, started with `--start-at`, then merged;
//! and the merge's refusals of files that are not the shards of one run.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bounded::obharness_within;
use crate::{profile, scratch};

/// A standalone simulator on a free loopback port, stopped when dropped.
struct Sim {
    child: Child,
    base: String,
    token: String,
}

impl Sim {
    fn start() -> Sim {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let token = format!("shard-test-{}", std::process::id());
        let child = Command::new(env!("CARGO_BIN_EXE_obharness"))
            .args(["sim", "--listen", &format!("127.0.0.1:{port}"), "--no-operating-hours", "--admin-token", &token])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the simulator starts");
        let sim = Sim { child, base: format!("http://127.0.0.1:{port}"), token };
        let started = Instant::now();
        while sim.get("/_sim/clock").is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the simulator did not answer on {}", sim.base);
            std::thread::sleep(Duration::from_millis(50));
        }
        sim
    }

    fn get(&self, path: &str) -> Result<serde_json::Value, String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let r = reqwest::Client::new()
                .get(format!("{}{path}", self.base))
                .header("X-Sim-Admin-Token", &self.token)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            r.json().await.map_err(|e| e.to_string())
        })
    }

    /// Every journal entry, page by page.
    fn journal(&self) -> Vec<serde_json::Value> {
        let mut all: Vec<serde_json::Value> = Vec::new();
        loop {
            let after = all.last().and_then(|e| e["seq"].as_u64()).unwrap_or(0);
            let page = self.get(&format!("/_sim/journal?after={after}&limit=1000")).unwrap();
            let entries = page["entries"].as_array().cloned().unwrap_or_default();
            if entries.is_empty() {
                return all;
            }
            all.extend(entries);
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

/// The shards' union is the one-machine run: 3 processes, one simulator, one merged report.
/// Shard 3 is started 2 s after the agreed instant: within its tolerance, so it passes its own
/// checks, but the merged run's window is 2 s longer and its achieved rate falls below the
/// threshold: a breach only the merged data shows, and the merge exits 1.
#[test]
fn three_shards_against_one_simulator_merge_into_the_one_machine_run() {
    let dir = scratch("shards");
    let sim = Sim::start();
    profile(
        &dir,
        "t.yaml",
        &format!(
            "name: shared simulator\nkind: url\nbase_url: {}\nadmin_token_env: OBH_TEST_SHARD_ADMIN\nallow_transfers: true\n",
            sim.base
        ),
    );
    // 3 s at 150/s: 450 slots, 150 per shard.
    profile(
        &dir,
        "p.yaml",
        "name: sharded\nmodel: { kind: open, rate: 150, duration: 3s, max_in_flight: 24 }\nmix:\n  - { call: account.balance, weight: 2 }\n  - { call: transfer.withdraw, with: { tran_amt: \"1\" } }\nthresholds:\n  - { p99: 2000ms }\n  - { achieved_rate_at_least: 90% }\n",
    );
    let start_at = chrono::Utc::now() + chrono::Duration::seconds(5);
    let at = start_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shard = |k: u32| {
        Command::new(env!("CARGO_BIN_EXE_obharness"))
            .args(["load", "p.yaml", "--target", "t.yaml", "--start-at", &at, "--start-tolerance", "10s"])
            .args(["--shard", &format!("{k}/3"), "--json", &format!("s{k}.json")])
            .current_dir(&dir)
            .env("OBH_TEST_SHARD_ADMIN", &sim.token)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut children = vec![shard(1), shard(2)];
    let late_by = (start_at + chrono::Duration::seconds(2) - chrono::Utc::now()).to_std().unwrap_or_default();
    std::thread::sleep(late_by);
    children.push(shard(3));
    for (k, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "shard {}: {text}", k + 1);
    }

    let shards: Vec<serde_json::Value> = (1..=3).map(|k| json(&dir, &format!("s{k}.json"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let me = &s["scale_out"]["shard"];
        assert_eq!((me["index"].as_u64(), me["count"].as_u64()), (Some(k as u64 + 1), Some(3)));
        assert_eq!(s["overall"]["count"], 150, "shard {}'s part of the 450 slots: {}", k + 1, s["overall"]);
        assert_eq!(s["overall"]["errors"], 0, "{}", s["overall"]);
        assert!(s["passed"].as_bool().unwrap(), "each shard passes its own checks: {}", s["thresholds"]);
    }
    let skew = |k: usize| shards[k]["scale_out"]["shard"]["start_skew_ms"].as_f64().unwrap();
    assert!(skew(0) < 1900.0 && skew(1) < 1900.0, "shards 1 and 2 were ready in time: {} {}", skew(0), skew(1));
    assert!((1900.0..10_000.0).contains(&skew(2)), "shard 3 started late, within its tolerance: {}", skew(2));
    assert_eq!(
        shards[0]["scale_out"]["shard"]["window_start"],
        format!("{}", start_at.format("%Y-%m-%dT%H:%M:%S.000Z"))
    );

    let (code, out, err) = obharness_within(
        &[
            "report", "merge", "s1.json", "s2.json", "s3.json", "--json", "m.json", "--html", "m.html", "--junit",
            "m.xml",
        ],
        &dir,
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{out}{err}");
    let m = json(&dir, "m.json");
    let sum: u64 = shards.iter().map(|s| s["overall"]["count"].as_u64().unwrap()).sum();
    assert_eq!(m["overall"]["count"].as_u64(), Some(sum), "the merged count is the sum");
    assert_eq!(sum, 450, "the union is the one-machine schedule's 450 slots");
    assert_eq!(m["timeline"].as_array().unwrap().iter().map(|s| s["requests"].as_u64().unwrap()).sum::<u64>(), 450);
    let rate = m["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"].as_str().unwrap().contains("achieved rate"))
        .unwrap();
    assert_eq!(rate["passed"], false, "only the merged window shows the late shard: {rate}");
    let gate = m["thresholds"].as_array().unwrap().last().unwrap();
    assert!(
        gate["name"].as_str().unwrap().starts_with("every shard started within 10000 ms") && gate["passed"] == true,
        "{gate}"
    );
    assert!(m["duration_ms"].as_u64().unwrap() >= 4900, "the merged window spans the late shard: {}", m["duration_ms"]);
    let html = std::fs::read_to_string(dir.join("m.html")).unwrap();
    assert!(html.contains("id=\"shard-table\"") && html.matches("<td><code>s").count() == 3, "per-shard rows");
    assert!(out.contains("shard 3/3: 150 requests"), "{out}");

    // No bank_tran_id was used twice: no A0326 in any answer, every id in the journal unique,
    // and the ids' bodies fall in all three residues mod 3.
    let codes: BTreeMap<String, u64> = serde_json::from_value(m["overall"]["rsp_codes"].clone()).unwrap();
    assert_eq!(codes.keys().collect::<Vec<_>>(), ["A0000"], "{codes:?}");
    let journal = sim.journal();
    let ids: Vec<&str> = journal
        .iter()
        .filter(|e| e["api"] == "account.balance" || e["api"] == "transfer.withdraw")
        .filter_map(|e| e["bank_tran_id"].as_str())
        .collect();
    assert!(ids.len() >= 450, "{} ids in the journal", ids.len());
    assert!(journal.iter().all(|e| e["rsp_code"] != "A0326"), "a duplicate bank_tran_id was refused");
    let unique: HashSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "every bank_tran_id is new");
    let residues: HashSet<u64> =
        ids.iter().filter_map(|id| u64::from_str_radix(&id[13..], 36).ok()).map(|body| body % 3).collect();
    assert_eq!(residues.len(), 3, "ids from every shard's part of the space");

    // Merging refuses what is not the shards of one run, naming the file (exit 2).
    let s2 = std::fs::read_to_string(dir.join("s2.json")).unwrap();
    std::fs::write(dir.join("cut.json"), &s2[..s2.len() / 2]).unwrap();
    std::fs::write(dir.join("again.json"), &s2).unwrap();
    let mut other = json(&dir, "s3.json");
    other["profile"] = "another-profile".into();
    other["scale_out"]["shard"]["profile_sha256"] = "0".repeat(64).into();
    std::fs::write(dir.join("other.json"), other.to_string()).unwrap();
    for (files, expect) in [
        (&["s1.json", "cut.json", "s3.json"][..], "cut.json: "),
        (&["s1.json", "s2.json", "s3.json", "again.json"][..], "again.json: shard 2/3 twice: s2.json is shard 2/3 too"),
        (&["s1.json", "s2.json", "other.json"][..], "other.json: ran profile 'another-profile'"),
        (&["s1.json", "s2.json"][..], "shard(s) 3 of 3 missing"),
    ] {
        let args: Vec<&str> = ["report", "merge"].iter().copied().chain(files.iter().copied()).collect();
        let (code, out, err) = obharness_within(&args, &dir, Duration::from_secs(30));
        assert_eq!(code, 2, "{files:?}: {out}{err}");
        assert!(err.contains(expect), "{files:?}: expected '{expect}' in: {err}");
    }
    let (_, _, err) =
        obharness_within(&["report", "merge", "s1.json", "cut.json", "s3.json"], &dir, Duration::from_secs(30));
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn bad_shard_options_are_usage_errors() {
    let dir = scratch("shard-options");
    profile(&dir, "p.yaml", "name: x\nmodel: { kind: closed, users: 2, duration: 1s }\nmix: [{ call: user.me }]\n");
    for (args, expect) in [
        (&["--shard", "4/3"][..], "K must be 1 to N"),
        (&["--shard", "0/3"][..], "K must be 1 to N"),
        (&["--shard", "index=3/3"][..], "I must be 0 to N-1"),
        (&["--shard", "two/3"][..], "K is not a number"),
        (&["--shard", "3/3"][..], "the model has 2 user(s), fewer than the 3 shards"),
        (&["--start-at", "soon"][..], "--start-at 'soon'"),
    ] {
        let all: Vec<&str> = ["load", "p.yaml"].iter().copied().chain(args.iter().copied()).collect();
        let (code, out, err) = obharness_within(&all, &dir, Duration::from_secs(20));
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(expect), "{args:?}: expected '{expect}' in: {err}");
    }
}

/// The Kubernetes manifests run what they claim: the profile and target in the ConfigMap
/// load, the shard count agrees in its three places, and every index's `--shard` parses.
/// (`deploy/validate.sh` renders and schema-checks them; this needs no tool.)
#[test]
fn the_deploy_manifests_agree_with_the_cli() {
    let k8s = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s");
    obharness::load::profile::load(&k8s.join("profile.yaml")).unwrap_or_else(|e| panic!("{e}"));
    obharness::target::Target::load(&k8s.join("target.yaml"), vec![]).unwrap_or_else(|e| panic!("{e}"));
    let env = std::fs::read_to_string(k8s.join("run.env")).unwrap();
    let var = |name: &str| {
        env.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).unwrap_or_else(|| panic!("run.env lacks {name}"))
    };
    let shards: u32 = var("SHARDS").parse().unwrap();
    chrono::DateTime::parse_from_rfc3339(var("START_AT")).expect("START_AT is RFC 3339");
    let job: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(k8s.join("load-job.yaml")).unwrap()).unwrap();
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"].as_u64(), Some(u64::from(shards)), "completions = SHARDS");
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(u64::from(shards)), "parallelism = SHARDS");
    let args: Vec<&str> = job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let after = |flag: &str| args[args.iter().position(|a| *a == flag).unwrap_or_else(|| panic!("no {flag}")) + 1];
    assert_eq!(after("--start-at"), "$(START_AT)");
    let mut seen = HashSet::new();
    for index in 0..shards {
        let spec = after("--shard")
            .replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
            .replace("$(SHARDS)", &shards.to_string());
        let s = obharness::load::shard::Shard::parse(&spec).unwrap();
        assert!(seen.insert(s.index) && s.count == shards, "{spec}");
    }
    let merge: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(k8s.join("merge-job.yaml")).unwrap()).unwrap();
    let margs: Vec<&str> = merge["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&margs[..3], ["report", "merge", "/results/$(START_AT)/shards"]);
    assert!(after("--json").starts_with("/results/$(START_AT)/shards/"), "the shards write where the merge reads");
}
