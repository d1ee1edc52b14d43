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
