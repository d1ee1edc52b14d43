//! The request journal: bounded in memory whatever arrives, paged, redacted and masked.

use std::time::{Duration, Instant};

use obharness::sim::SimConfig;
use serde_json::Value;

use crate::common::*;
use crate::standalone::Standalone;

async fn journal(sim: &Sim, query: &str) -> (u16, Value) {
    let r =
        sim.http.get(format!("{}/_sim/journal{query}", sim.base)).header("X-Sim-Admin-Token", sim.handle.admin_token());
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

#[tokio::test]
async fn bad_journal_parameters_are_a_json_400_naming_the_parameter() {
    let sim = Sim::start().await;
    for (query, param) in [("?limit=abc", "limit"), ("?after=-1", "after"), ("?limit=1&lmit=2", "lmit")] {
        let (status, v) = journal(&sim, query).await;
        assert_eq!(status, 400, "{query}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with(&format!("{param}:")), "{query}: {v}");
    }
}

#[tokio::test]
async fn the_journal_is_served_in_pages_with_a_cursor() {
    let sim = Sim::start().await;
    for _ in 0..5 {
        sim.http.get(format!("{}/no/such/path", sim.base)).send().await.unwrap();
    }
    let (_, first) = journal(&sim, "?limit=2").await;
    let seqs: Vec<u64> = first["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs.len(), 2);
    assert_eq!(first["more"], true);
    let last = first["last_seq"].as_u64().unwrap();
    let mut after = first["next_after"].as_u64().unwrap();
    assert_eq!(after, seqs[1]);
    let mut seen = seqs;
    loop {
        let (_, page) = journal(&sim, &format!("?after={after}&limit=2")).await;
        seen.extend(page["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()));
        after = page["next_after"].as_u64().unwrap();
        if page["more"] != true {
            break;
        }
    }
    assert_eq!(seen, (1..=last).collect::<Vec<_>>(), "every entry once, in order");
    // A huge limit is one bounded page, not everything at once.
    let (status, v) = journal(&sim, "?limit=100000").await;
    assert_eq!(status, 200);
    assert!(v["entries"].as_array().unwrap().len() <= obharness::sim::admin::JOURNAL_PAGE_MAX);
    let (_, v) = journal(&sim, "?limit=0").await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 0);
    assert_eq!(v["last_seq"].as_u64().unwrap(), last, "admin calls are not journaled");
}

#[tokio::test]
async fn the_journal_masks_nested_and_malformed_secrets_and_account_numbers() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let secret = sim.inst("wd_pass_phrase");
    let mut deposit = sim.deposit_body(FIN_USER2, "1000").await;
    deposit["req_list"][0]["wd_pass_phrase"] = "nested-hunter2".into();
    deposit["req_list"][0]["req_client_account_num"] = "1001000000123".into();
    sim.deposit(&oob, &deposit).await;
    let malformed = r#"{"wd_pass_phrase": "malformed-hunter2", "cntr_account_num": "1002000000001", "tran_amt": "#;
    let r = sim.http.post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base)).bearer_auth(&token).body(malformed);
    r.send().await.unwrap();
    let form = "grant_type=refresh_token&refresh_token=form-hunter2&client_secret=form-hunter3&client_id=x";
    let r = sim
        .http
        .post(format!("{}/oauth/2.0/token", sim.base))
        .header("content-type", "application/x-www-form-urlencoded");
    r.body(form).send().await.unwrap();

    let (_, v) = journal(&sim, "").await;
    let text = v.to_string();
    for leaked in
        ["nested-hunter2", "malformed-hunter2", "form-hunter2", "form-hunter3", "1001000000123", "1002000000001"]
    {
        assert!(!text.contains(leaked), "{leaked} in the journal: {text}");
    }
    if secret != "NONE" {
        assert!(!text.contains(&secret));
    }
    let entries = v["entries"].as_array().unwrap();
    let dep = entries.iter().find(|e| e["api"] == "transfer.deposit").unwrap();
    assert_eq!(dep["request"]["req_list"][0]["wd_pass_phrase"], "[redacted]");
    assert_eq!(dep["request"]["req_list"][0]["req_client_account_num"], "1001000000***");
    assert_eq!(dep["request"]["cntr_account_num"], format!("{}***", &sim.inst("cntr_account_num")[..10]));
    let bad = entries.iter().find(|e| e["api"] == "transfer.withdraw").unwrap();
    assert!(bad["request"].as_str().unwrap().contains("[redacted]"), "{bad}");
}

#[tokio::test]
async fn a_large_request_is_journaled_clipped() {
    let sim = Sim::with(SimConfig { journal_max_bytes: 256 * 1024, ..SimConfig::embedded() }).await;
    let body = format!("{{\"x\": \"{}\"}}", "a".repeat(60_000));
    for _ in 0..50 {
        sim.http.post(format!("{}/no/such/path", sim.base)).body(body.clone()).send().await.unwrap();
    }
    let (entries, bytes) = sim.handle.center.journal.usage();
    assert!(bytes <= 256 * 1024, "{bytes} bytes held");
    assert!(entries >= 40, "clipped entries fit the budget: {entries}");
    let (_, v) = journal(&sim, "?limit=1").await;
    assert_eq!(v["entries"][0]["request_truncated"], true, "{v}");
}

/// The standalone simulator in a process of its own, so its memory can be read.
trait Memory {
    /// (resident, peak resident) in MiB.
    fn rss_mib(&self) -> (u64, u64);
}

impl Memory for Standalone {
    fn rss_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib = |key: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(key)).unwrap();
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        (kib("VmRSS:") / 1024, kib("VmHWM:") / 1024)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unauthenticated_65kb_requests_stays_under_256_mib() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc to read memory from");
        return;
    }
    let token = "flood-admin-token";
    let sim = Standalone::start(&["--admin-token", token]);
    let http = reqwest::Client::new();
    let body = bytes::Bytes::from(vec![b'{'; 65_000]);
    let started = Instant::now();
    let (workers, per_worker) = (8, std::env::var("FLOOD_N").map(|v| v.parse().unwrap()).unwrap_or(1500));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, base, body) = (http.clone(), sim.base.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_worker {
                let path = if (w + i) % 2 == 0 { "/no/such/path" } else { "/v2.0/transfer/withdraw/fin_num" };
                let r = http.post(format!("{base}{path}?q={i}")).body(body.clone()).send().await.unwrap();
                assert!(r.status().as_u16() < 500);
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let flood = started.elapsed();
    let (rss, peak) = sim.rss_mib();
    assert!(peak < 256, "peak RSS {peak} MiB through {} requests of 65 KB", workers * per_worker);

    let get = |path: &str| http.get(format!("{}{path}", sim.base)).header("X-Sim-Admin-Token", token).send();
    let page = get("/_sim/journal?limit=100000").await.unwrap().bytes().await.unwrap();
    assert!(page.len() < 16 << 20, "one page is {} bytes", page.len());
    let (_, peak) = sim.rss_mib();
    assert!(peak < 256, "peak RSS {peak} MiB after reading the journal");
    let r = http.post(format!("{}/_sim/reset", sim.base)).header("X-Sim-Admin-Token", token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (after_reset, _) = sim.rss_mib();
    assert!(after_reset < 256, "{after_reset} MiB after reset");
    eprintln!(
        "flood took {flood:?}; RSS {rss} MiB after it, {after_reset} MiB after reset, page {} KiB",
        page.len() / 1024
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn admin_errors_are_json() {
    let sim = Sim::start().await;
    let token = sim.handle.admin_token();
    let r = sim.http.get(format!("{}/_sim/accounts/%FF%FE", sim.base)).header("X-Sim-Admin-Token", token);
    let r = r.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.expect("a JSON error");
    assert!(v["error"].as_str().unwrap().starts_with("fintech_use_num:"), "{v}");
    let r = sim.http.delete(format!("{}/_sim/clock", sim.base)).header("X-Sim-Admin-Token", token);
    let r = r.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let v: Value = r.json().await.expect("a JSON error");
    assert!(v["error"].is_string(), "{v}");
    let r = sim.http.post(format!("{}/_sim/clock/advance", sim.base)).header("X-Sim-Admin-Token", token);
    let r = r.body("{\"seconds\": -1}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.expect("a JSON error");
    assert!(v["error"].as_str().unwrap().starts_with("seconds:"), "{v}");
}

/// The simulator's heap grows with every transfer it keeps; with the allocator's huge pages
/// each new 2 MiB cost one 5-8 ms page fault with every request in flight waiting
/// (benches/README.md). The process turns them off for itself.
#[test]
fn the_standalone_simulator_runs_without_transparent_huge_pages() {
    let sim = Standalone::start(&["--admin-token", "thp-test"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", sim.child.id())).unwrap();
    // Kernels before 6.x do not show the setting; there is nothing to check then.
    if let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:")) {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}
