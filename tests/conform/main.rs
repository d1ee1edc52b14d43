//! The conformance runner end to end: the real suite, defect modes, load errors, reports,
//! golden snapshots, skips and expected failures.

#[path = "../support/bounded.rs"]
mod bounded;
mod cli;
mod golden;
mod hardening;
mod import;
mod secrets;
mod suite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use obharness::conform::{self, RunOptions};
use obharness::golden::GoldenMode;
use obharness::report::RunReport;
use obharness::sim::Quirk;
use obharness::target::Target;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("obh-conform-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn run_paths(paths: Vec<PathBuf>, target: Target, opts: RunOptions) -> RunReport {
    let scenarios = obharness::scenario::load(&paths).unwrap_or_else(|e| panic!("{e}"));
    conform::run(scenarios, Arc::new(target), &opts, Arc::new(|_| {})).await
}

/// Runs the built-in suite on the embedded simulator, comparing golden snapshots strictly.
pub async fn run_suite(quirks: Vec<Quirk>) -> RunReport {
    let opts = RunOptions {
        golden_root: repo().join("golden"),
        // With a defect mode on, answers differ by design; golden files guard the conformant simulator.
        golden_mode: if quirks.is_empty() { GoldenMode::Strict } else { GoldenMode::Off },
        ..RunOptions::default()
    };
    run_paths(vec![repo().join("scenarios/conformance")], Target::embedded(quirks), opts).await
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
