//! The "raw engine" of `benches/load_vs_peers.sh`: the smallest goose 0.19 load test that
//! does what `obharness load` does on the wire (one GET per transaction, the body read to
//! the end so the connection is reused), with nothing of obharness on top: no request
//! builder, no rsp_code check, no HDR recording. goose's own per-request metrics are on
//! unless `--no-metrics` is given.
//!
//! ```text
//! cargo build --release --example raw_goose
//! target/release/examples/raw_goose --host http://127.0.0.1:18091 \
//!     --path /v2.0/account/balance/fin_num --users 64 --run-time 10 [--no-metrics] [--workers N]
//! ```
//!
//! It prints one line for scripts:
//! `RAW_GOOSE metrics=on requests=N errors=E window_s=S rps=R goose_requests=G goose_p50_us=..
//! goose_p99_us=..` where `requests` and `rps` come from its own counter (requests answered
//! between the first request's start and the end of the attack: the same window
//! `obharness load` uses), and the `goose_*` fields from goose's metrics (0 with
//! `--no-metrics`). Every run is bounded by `--run-time` (at most 3600 s).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use goose::config::GooseConfiguration;
use goose::prelude::*;

struct Args {
    host: String,
    path: String,
    users: usize,
    run_time: u64,
    metrics: bool,
    workers: Option<usize>,
}

fn usage(msg: &str) -> ! {
    eprintln!("raw_goose: {msg}");
    eprintln!("usage: raw_goose --host URL [--path /p] [--users 64] [--run-time SECONDS] [--no-metrics] [--workers N]");
    std::process::exit(2);
}

fn args() -> Args {
    let mut a = Args { host: String::new(), path: "/".into(), users: 64, run_time: 10, metrics: true, workers: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--host" => a.host = value(),
            "--path" => a.path = value(),
            "--users" => a.users = value().parse().unwrap_or_else(|_| usage("--users: a number")),
            "--run-time" => a.run_time = value().parse().unwrap_or_else(|_| usage("--run-time: seconds")),
            "--workers" => a.workers = Some(value().parse().unwrap_or_else(|_| usage("--workers: a number"))),
            "--no-metrics" => a.metrics = false,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.host.is_empty() {
        usage("--host is required");
    }
    if a.users == 0 || a.users > 10_000 || a.run_time == 0 || a.run_time > 3600 {
        usage("--users must be 1..=10000 and --run-time 1..=3600");
    }
    a
}

/// Shared by every user: the first request's start and the answers counted.
struct Counts {
    first: OnceLock<Instant>,
    answered: AtomicU64,
    errors: AtomicU64,
}

async fn get(counts: &Counts, path: &str, user: &mut GooseUser) -> TransactionResult {
    counts.first.get_or_init(Instant::now);
    let goose = user.get(path).await?;
    match goose.response {
        // Read the body to its end (not parsed): the connection goes back to the pool.
        Ok(r) if r.status().is_success() => match r.bytes().await {
            Ok(_) => counts.answered.fetch_add(1, Ordering::Relaxed),
            Err(_) => counts.errors.fetch_add(1, Ordering::Relaxed),
        },
        _ => counts.errors.fetch_add(1, Ordering::Relaxed),
    };
    Ok(())
}

fn main() {
    let a = args();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(w) = a.workers {
        rt.worker_threads(w);
    }
    let rt = rt.enable_all().build().expect("a tokio runtime");
    rt.block_on(run(a));
}

async fn run(a: Args) {
    let mut c = GooseConfiguration::default();
    c.host = Some(a.host.clone());
    c.users = Some(a.users);
    // All users started within one second, as `obharness load` does for a closed model.
    c.increase_rate = Some(a.users.to_string());
    c.run_time = Some(format!("{}s", a.run_time));
    c.quiet = 1;
    c.no_telnet = true;
    c.no_gzip = true;
    c.no_print_metrics = true;
    c.no_error_summary = true;
    c.no_metrics = !a.metrics;

    let counts = Arc::new(Counts { first: OnceLock::new(), answered: AtomicU64::new(0), errors: AtomicU64::new(0) });
    let path: Arc<str> = a.path.clone().into();
    let tx = {
        let counts = counts.clone();
        Transaction::new(Arc::new(move |user: &mut GooseUser| {
            let counts = counts.clone();
            let path = path.clone();
            Box::pin(async move { get(&counts, &path, user).await })
        }))
        .set_name("get")
    };
    let attack = GooseAttack::initialize_with_config(c)
        .unwrap_or_else(|e| usage(&format!("goose: {e}")))
        .register_scenario(scenario!("raw").register_transaction(tx));
    let metrics = attack.execute().await.unwrap_or_else(|e| {
        eprintln!("raw_goose: goose: {e}");
        std::process::exit(1);
    });
    let end = Instant::now();
    let window = counts.first.get().map(|f| end.duration_since(*f).as_secs_f64()).unwrap_or(0.0);
    let answered = counts.answered.load(Ordering::Relaxed);
    let (mut g_n, mut g_p50, mut g_p99) = (0usize, 0u64, 0u64);
    for agg in metrics.requests.values() {
        g_n += agg.raw_data.counter;
        g_p50 = g_p50.max(agg.raw_data.percentile_us(0.50));
        g_p99 = g_p99.max(agg.raw_data.percentile_us(0.99));
    }
    println!(
        "RAW_GOOSE metrics={} requests={} errors={} window_s={:.3} rps={:.2} goose_duration_s={} goose_requests={} goose_p50_us={} goose_p99_us={}",
        if a.metrics { "on" } else { "off" },
        answered,
        counts.errors.load(Ordering::Relaxed),
        window,
        if window > 0.0 { answered as f64 / window } else { 0.0 },
        metrics.duration,
        g_n,
        g_p50,
        g_p99,
    );
}
