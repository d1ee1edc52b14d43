//! What conformance adds to running a step: comparing a call's answer with its golden
//! snapshot (the shared step runner in `target::step` knows nothing of snapshots).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::golden::{self, GoldenMode, GoldenResult};
use crate::report::CheckFailure;
use crate::scenario::plan::StepKind;
use crate::target::step::{AnswerCheck, AnswerSeen};

/// The golden-snapshot check of one scenario's calls.
pub struct GoldenCheck<'a> {
    pub scenario_id: &'a str,
    pub root: &'a Path,
    pub mode: GoldenMode,
    /// Snapshot files this run used (to tell unused ones afterwards).
    pub used: &'a Mutex<BTreeSet<PathBuf>>,
    /// Snapshot files this run wrote (new, or blessed changes), to tell the user.
    pub written: &'a Mutex<BTreeSet<PathBuf>>,
}

impl AnswerCheck for GoldenCheck<'_> {
    fn check(&self, seen: &AnswerSeen<'_>) -> Vec<CheckFailure> {
        let step = seen.step;
        // By default every call on its own is snapshotted; retried calls and parallel ones
        // (whose order is not fixed) only when asked.
        let default = seen.top_level && matches!(step.kind, StepKind::Call(_)) && step.retry.is_none();
        if self.mode == GoldenMode::Off || !step.golden.unwrap_or(default) {
            return Vec::new();
        }
        let name = step.display_name(seen.index);
        let label = format!("{} {name} ({})", seen.index, step.action());
        let (path, checked) = match golden::snapshot_path(self.root, self.scenario_id, seen.index, &name) {
            Ok(path) => {
                self.used.lock().expect("not poisoned").insert(path.clone());
                crate::target::record::snapshot_used(&path);
                let r = golden::check(&path, self.scenario_id, &label, seen.body, self.mode);
                (path, r)
            }
            Err(e) => (PathBuf::new(), GoldenResult::BadFormat(e)),
        };
        let failure = |actual: String, expected: String, diff| CheckFailure {
            expectation: "golden snapshot".into(),
            expected,
            actual,
            diff,
        };
        match checked {
            GoldenResult::Matched => Vec::new(),
            GoldenResult::Created | GoldenResult::Blessed => {
                self.written.lock().expect("not poisoned").insert(path);
                Vec::new()
            }
            GoldenResult::Changed(diff) => vec![failure(
                "a different response (run with --bless to accept)".into(),
                path.display().to_string(),
                Some(diff),
            )],
            GoldenResult::Missing => vec![failure(
                "missing (CI never writes snapshots: run --bless locally and commit)".into(),
                path.display().to_string(),
                None,
            )],
            GoldenResult::BadFormat(e) => vec![failure(e, "dynamic fields in their formats".into(), None)],
        }
    }
}
