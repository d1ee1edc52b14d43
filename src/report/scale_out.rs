//! What a run across machines adds to a load run's model: a shard's own record (`load --shard
//! K/N`), or, in a merged run (`report merge`), one row per shard beside the merged figures.

use serde::{Deserialize, Serialize};

/// A load run's part in a run across machines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ScaleOut {
    /// This run is shard `index` of `count`.
    Shard(ShardRun),
    /// This run is the merge of `shards`.
    Merged(MergedRun),
}

/// One shard's record: everything the merge needs besides the per-API histograms.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardRun {
    /// 1-based.
    pub index: u32,
    pub count: u32,
    /// SHA-256 (hex) of the profile file's bytes.
    pub profile_sha256: String,
    /// The agreed start (`--start-at`, RFC 3339), if one was given.
    pub start_at: Option<String>,
    /// How late a start may be and still count as on time.
    pub start_tolerance_ms: u64,
    /// Wall clock (this machine's) at the start of the measured window, RFC 3339 and Unix ms.
    pub window_start: String,
    pub window_start_unix_ms: i64,
    /// How long after `start_at` the window began, by this machine's clock (`None` without
    /// `--start-at`).
    pub start_skew_ms: Option<f64>,
    /// Started later than `start_at` + the tolerance.
    pub late: bool,
    /// The settings every histogram of the run was recorded with; the merge refuses others.
    pub histogram: HistogramSettings,
    /// The whole run's effective plan (model, thresholds, error bound), for the merge
    /// (`load::shard::PlanRecord`).
    pub plan: serde_json::Value,
    /// How this shard's bank_tran_ids were built, e.g. `tag 4F, n×3+1 in base 36`.
    pub bank_tran_ids: String,
    /// The per-second series, keyed by wall-clock second.
    pub seconds: Vec<WallSecond>,
}

/// HDR histogram settings: values from `lowest` to `highest` (µs), `significant_figures` digits.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistogramSettings {
    pub lowest: u64,
    pub highest: u64,
    pub significant_figures: u8,
}

/// One wall-clock second of a shard's measured window.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WallSecond {
    /// Unix seconds.
    pub unix_s: i64,
    pub requests: u64,
    pub errors: u64,
    /// The second's coarse latency histogram (`recorder::CoarseHist`): (bucket, count) pairs.
    pub latency: Vec<(u16, u32)>,
}

/// A merged run: the shards it was made of.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MergedRun {
    pub count: u32,
    pub profile_sha256: String,
    pub start_at: Option<String>,
    pub start_tolerance_ms: u64,
    pub shards: Vec<ShardRow>,
}

/// One shard's figures beside the merged ones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardRow {
    pub index: u32,
    /// The shard's JSON file, as given to the merge.
    pub file: String,
    pub window_start: String,
    pub start_skew_ms: Option<f64>,
    pub late: bool,
    pub requests: u64,
    pub rate: f64,
    pub errors: u64,
    pub p99_us: u64,
    pub late_starts: u64,
    pub dropped: u64,
    /// The shard's own verdict on its part (for information: the merge decides).
    pub passed: bool,
    pub aborted: bool,
    pub interrupted: Option<String>,
}

/// What the HTML and Markdown reports show of a run across machines: lines for the run's
/// header, and for a merged run one row per shard beside the merged figures.
pub(crate) struct ScaleOutView {
    pub meta: Vec<(&'static str, String)>,
    pub shards: Vec<ShardRowView>,
    /// The merged figures, in the table's last row.
    pub merged: Option<ShardRowView>,
    pub tolerance_ms: u64,
}

pub(crate) struct ShardRowView {
    pub shard: String,
    pub file: String,
    pub requests: u64,
    pub rate: String,
    pub errors: String,
    pub p99: String,
    pub skew: String,
    pub skew_class: &'static str,
    pub late_starts: u64,
    pub dropped: u64,
    pub verdict: &'static str,
    pub class: &'static str,
}

fn skew_text(skew: Option<f64>, late: bool, has_start_at: bool) -> (String, &'static str) {
    let text = match skew {
        Some(s) if s >= 0.0 => format!("+{s:.1} ms"),
        Some(s) => format!("{s:.1} ms"),
        None if has_start_at => "did not start".into(),
        None => "–".into(),
    };
    (if late { format!("{text} (late)") } else { text }, if late { "fail" } else { "pass" })
}

impl ScaleOutView {
    pub(crate) fn of(report: &super::model::LoadReport) -> Option<ScaleOutView> {
        use super::view::{fixed, ms, one_line, percent};
        match report.scale_out.as_ref()? {
            ScaleOut::Shard(s) => {
                let (skew, _) = skew_text(s.start_skew_ms, s.late, s.start_at.is_some());
                let mut meta = vec![
                    (
                        "Shard",
                        format!("{} of {} (merge the shards' JSON with obharness report merge)", s.index, s.count),
                    ),
                    ("Profile SHA-256", one_line(&s.profile_sha256)),
                    ("Window start", one_line(&s.window_start)),
                    ("bank_tran_ids", one_line(&s.bank_tran_ids)),
                ];
                if let Some(at) = &s.start_at {
                    meta.push((
                        "Start at",
                        format!("{} — began {skew} (tolerance {} ms)", one_line(at), s.start_tolerance_ms),
                    ));
                }
                Some(ScaleOutView { meta, shards: vec![], merged: None, tolerance_ms: s.start_tolerance_ms })
            }
            ScaleOut::Merged(m) => {
                let mut meta = vec![
                    ("Shards", format!("{} merged: histograms added exactly, seconds aligned by wall clock", m.count)),
                    ("Profile SHA-256", one_line(&m.profile_sha256)),
                ];
                if let Some(at) = &m.start_at {
                    meta.push(("Start at", format!("{} (tolerance {} ms)", one_line(at), m.start_tolerance_ms)));
                }
                let errors = |e: u64, n: u64| if e == 0 { "0".to_string() } else { format!("{e} ({})", percent(e, n)) };
                let shards = m
                    .shards
                    .iter()
                    .map(|r| {
                        let (skew, skew_class) = skew_text(r.start_skew_ms, r.late, m.start_at.is_some());
                        let (verdict, class) = match (&r.interrupted, r.aborted, r.passed) {
                            (Some(_), _, _) => ("INTERRUPTED", "fail"),
                            (None, true, _) => ("ABORTED", "fail"),
                            (None, false, true) => ("PASS", "pass"),
                            (None, false, false) => ("FAIL", "fail"),
                        };
                        ShardRowView {
                            shard: format!("{}/{}", r.index, m.count),
                            file: one_line(&r.file),
                            requests: r.requests,
                            rate: fixed(r.rate),
                            errors: errors(r.errors, r.requests),
                            p99: ms(r.p99_us),
                            skew,
                            skew_class,
                            late_starts: r.late_starts,
                            dropped: r.dropped,
                            verdict,
                            class,
                        }
                    })
                    .collect();
                let o = &report.overall;
                let merged = ShardRowView {
                    shard: "merged".into(),
                    file: String::new(),
                    requests: o.count,
                    rate: fixed(o.rate),
                    errors: errors(o.errors, o.count),
                    p99: ms(o.p99_us),
                    skew: String::new(),
                    skew_class: "",
                    late_starts: report.late_starts,
                    dropped: report.dropped,
                    verdict: if report.passed { "PASS" } else { "FAIL" },
                    class: if report.passed { "pass" } else { "fail" },
                };
                Some(ScaleOutView { meta, shards, merged: Some(merged), tolerance_ms: m.start_tolerance_ms })
            }
        }
    }
}
