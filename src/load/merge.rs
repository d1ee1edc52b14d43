//! `report merge`: the shards of a run across machines added up into one run. HDR histograms
//! add exactly (bucket by bucket), so the merged percentiles are those of one histogram of
//! every request; per-second series are aligned by wall-clock second; the thresholds are
//! evaluated again on the merged figures by the same code as a one-machine run's.
//!
//! Refused, naming the file: unreadable, truncated or invalid JSON; a run that is not a
//! shard's; shards of another run (profile digest, effective plan, `--start-at`, target, shard
//! count); a shard twice; histograms recorded with other settings or not matching their counts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::recorder::{self, ApiTally, CoarseHist};
use super::shard::PlanRecord;
use super::verdict;
use crate::report::model::{ApiSecond, LoadReport, SecondStats, ThresholdResult};
use crate::report::scale_out::{MergedRun, ScaleOut, ShardRow, ShardRun};

/// Why shards cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    /// A file cannot be read, is not a shard's run, or does not belong with the others.
    #[error("{file}: {why}")]
    File { file: String, why: String },
    /// A file named on the command line is not there (yet).
    #[error("{file}: no such file")]
    Missing { file: String },
    /// The set of shards is wrong as a whole (one is missing).
    #[error("{0}")]
    Set(String),
}

fn file_error(file: &str, why: impl Into<String>) -> MergeError {
    MergeError::File { file: file.to_string(), why: why.into() }
}

/// One shard's run, read and checked on its own.
#[derive(Debug, Clone)]
pub struct ShardInput {
    pub file: String,
    pub report: LoadReport,
    pub shard: ShardRun,
    pub plan: PlanRecord,
}

/// Reads one shard's JSON.
pub fn read_shard(path: &Path) -> Result<ShardInput, MergeError> {
    let file = path.display().to_string();
    if !path.exists() {
        return Err(MergeError::Missing { file });
    }
    let text = crate::scenario::input::read_text_limited(path, crate::scenario::input::MAX_RUN_JSON_BYTES)
        .map_err(|e| file_error(&file, e.message))?;
    parse_shard(&file, &text)
}

/// Checks one shard's JSON text (`file` names it in errors).
pub fn parse_shard(file: &str, text: &str) -> Result<ShardInput, MergeError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        let hint = if e.is_eof() { " (the file is truncated)" } else { "" };
        file_error(file, format!("{}:{}: not valid JSON{hint}: {e}", e.line(), e.column()))
    })?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some("load") => {}
        Some(other) => return Err(file_error(file, format!("a {other} run, not a load run's JSON"))),
        None => return Err(file_error(file, "not a run's JSON (no \"kind\")")),
    }
    let report: LoadReport =
        serde_json::from_value(value).map_err(|e| file_error(file, format!("not a load run's JSON: {e}")))?;
    let shard = match &report.scale_out {
        Some(ScaleOut::Shard(s)) => s.clone(),
        Some(ScaleOut::Merged(_)) => return Err(file_error(file, "a merged run, not a shard's")),
        None => return Err(file_error(file, "not a shard's run: it was not run with --shard K/N")),
    };
    if shard.count == 0 || shard.index == 0 || shard.index > shard.count || shard.count > super::shard::MAX_SHARDS {
        return Err(file_error(file, format!("shard {}/{} is not a shard of a run", shard.index, shard.count)));
    }
    let plan: PlanRecord = serde_json::from_value(shard.plan.clone())
        .map_err(|e| file_error(file, format!("scale_out.shard.plan is not a run's plan: {e}")))?;
    plan.thresholds().map_err(|e| file_error(file, e))?;
    Ok(ShardInput { file: file.to_string(), report, shard, plan })
}

/// The shard files among `paths`: files as given, directories as the `*.json` files in them
/// (sorted by name).
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| file_error(&p.display().to_string(), e.to_string()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json") && f.is_file())
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Whether `inputs` hold every shard 1..=N of the N they name.
fn complete(inputs: &[ShardInput]) -> bool {
    let Some(n) = inputs.first().map(|i| i.shard.count) else { return false };
    let have: std::collections::BTreeSet<u32> = inputs.iter().map(|i| i.shard.index).collect();
    (1..=n).all(|k| have.contains(&k))
}

/// Reads the shards among `paths` (files, or directories of `*.json` files). With `wait`, waits
/// up to that long for the set to be complete: files named that are not there yet, or a
/// directory that does not yet hold every shard of the N its files name (shards write their
/// JSON whole and rename it into place, so a file that is there is finished). `note` is told
/// what is still awaited, about every 30 s.
pub fn collect(
    paths: &[PathBuf],
    wait: Option<Duration>,
    note: &mut dyn FnMut(String),
) -> Result<Vec<ShardInput>, MergeError> {
    let deadline = Instant::now() + wait.unwrap_or_default();
    let mut read: HashMap<PathBuf, ShardInput> = HashMap::new();
    let mut last_note = Instant::now();
    loop {
        let files = expand(paths)?;
        let mut missing = None;
        for f in &files {
            if read.contains_key(f) {
                continue;
            }
            match read_shard(f) {
                Ok(input) => {
                    read.insert(f.clone(), input);
                }
                Err(e @ MergeError::Missing { .. }) => missing = Some(e),
                Err(e) => return Err(e),
            }
        }
        let inputs: Vec<ShardInput> = files.iter().filter_map(|f| read.get(f).cloned()).collect();
        let done = missing.is_none() && complete(&inputs);
        if done || wait.is_none() || Instant::now() >= deadline {
            return match missing {
                Some(e) => Err(e),
                None => Ok(inputs),
            };
        }
        if last_note.elapsed() >= Duration::from_secs(30) {
            last_note = Instant::now();
            let have: Vec<String> = inputs.iter().map(|i| i.shard.index.to_string()).collect();
            note(match (&missing, inputs.first()) {
                (Some(e), _) => format!("waiting for {e}"),
                (None, Some(i)) => format!("waiting for shards: have {} of {}", have.len(), i.shard.count),
                (None, None) => "waiting for the first shard's JSON".to_string(),
            });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The longest a merged run may span (first shard's start to last shard's end): shards
/// further apart than that are not one run.
const MAX_SPAN: Duration = Duration::from_secs(24 * 3600);

/// Adds the shards up into one run; the report's thresholds are the merged verdict.
pub fn merge(inputs: &[ShardInput]) -> Result<LoadReport, MergeError> {
    let Some(first) = inputs.first() else { return Err(MergeError::Set("no shard to merge".into())) };
    let n = first.shard.count;
    // One run: the same profile, plan, start, target, shard count and histogram settings.
    for i in &inputs[1..] {
        let differs = |what: &str, mine: String, theirs: String| {
            file_error(&i.file, format!("{what} {theirs}, but {} has {mine}: not shards of one run", first.file))
        };
        if i.shard.profile_sha256 != first.shard.profile_sha256 {
            return Err(differs(
                "ran profile",
                format!("'{}' (sha256 {})", first.report.profile, first.shard.profile_sha256),
                format!("'{}' (sha256 {})", i.report.profile, i.shard.profile_sha256),
            ));
        }
        if i.shard.count != n {
            return Err(differs("is one of", format!("{n} shards"), format!("{} shards", i.shard.count)));
        }
        if i.plan != first.plan {
            return Err(differs(
                "ran another plan (model, thresholds or error bound, e.g. --max-error-rate):",
                serde_json::to_string(&first.plan).unwrap_or_default(),
                serde_json::to_string(&i.plan).unwrap_or_default(),
            ));
        }
        if i.shard.start_at != first.shard.start_at || i.shard.start_tolerance_ms != first.shard.start_tolerance_ms {
            let show = |s: &ShardRun| {
                format!(
                    "--start-at {} (tolerance {} ms)",
                    s.start_at.as_deref().unwrap_or("none"),
                    s.start_tolerance_ms
                )
            };
            return Err(differs("started with", show(&first.shard), show(&i.shard)));
        }
        if (&i.report.target.name, &i.report.target.base_url)
            != (&first.report.target.name, &first.report.target.base_url)
        {
            let show = |r: &LoadReport| format!("target '{}' ({})", r.target.name, r.target.base_url);
            return Err(differs("ran against", show(&first.report), show(&i.report)));
        }
    }
    let mut by_index: BTreeMap<u32, &ShardInput> = BTreeMap::new();
    for i in inputs {
        if let Some(other) = by_index.insert(i.shard.index, i) {
            return Err(file_error(
                &i.file,
                format!("shard {}/{n} twice: {} is shard {}/{n} too", i.shard.index, other.file, i.shard.index),
            ));
        }
    }
    let missing: Vec<String> = (1..=n).filter(|k| !by_index.contains_key(k)).map(|k| k.to_string()).collect();
    if !missing.is_empty() {
        let have: Vec<String> = by_index.values().map(|i| format!("{} ({})", i.shard.index, i.file)).collect();
        return Err(MergeError::Set(format!(
            "shard(s) {} of {n} missing: have {}",
            missing.join(", "),
            have.join(", ")
        )));
    }

    // Per API, in order of first appearance; histograms checked and added bucket by bucket.
    let mut apis: Vec<(String, ApiTally)> = Vec::new();
    for i in by_index.values() {
        if i.shard.histogram != recorder::HISTOGRAM {
            let h = i.shard.histogram;
            return Err(file_error(
                &i.file,
                format!(
                    "histograms recorded from {} to {} µs with {} significant figures; this merge adds only {} to {} µs with {}",
                    h.lowest,
                    h.highest,
                    h.significant_figures,
                    recorder::HISTOGRAM.lowest,
                    recorder::HISTOGRAM.highest,
                    recorder::HISTOGRAM.significant_figures
                ),
            ));
        }
        for a in &i.report.apis {
            let tally = tally_of(&i.file, a)?;
            match apis.iter_mut().find(|(name, _)| *name == a.api) {
                Some((_, t)) => t.add(&tally),
                None => apis.push((a.api.clone(), tally)),
            }
        }
    }

    // The merged window: from the first shard's start to the last one's end.
    let start_ms = by_index.values().map(|i| i.shard.window_start_unix_ms).min().unwrap_or(0);
    let end_ms = by_index
        .values()
        .map(|i| i.shard.window_start_unix_ms.saturating_add(i.report.duration_ms as i64))
        .max()
        .unwrap_or(start_ms);
    let span_ms = end_ms.saturating_sub(start_ms).max(0) as u64;
    if span_ms > MAX_SPAN.as_millis() as u64 {
        return Err(MergeError::Set(format!(
            "the shards' windows span {:.0} s, more than {} hours: not one run",
            span_ms as f64 / 1000.0,
            MAX_SPAN.as_secs() / 3600
        )));
    }
    let window = Duration::from_millis(span_ms);
    let mut stats: Vec<_> = apis.iter().map(|(name, t)| recorder::stats(name, t, window)).collect();
    let mut all = ApiTally::default();
    for (_, t) in &apis {
        all.add(t);
    }
    let mut overall = recorder::stats("overall", &all, window);

    // Per second, by wall-clock second.
    let first_s = start_ms.div_euclid(1000);
    let last_s = (end_ms - 1).max(start_ms).div_euclid(1000);
    let slots = (last_s - first_s + 1).max(1) as usize;
    let at = |unix_s: i64| usize::try_from(unix_s - first_s).ok().filter(|at| *at < slots);
    let wall = |i: &ShardInput, second: u32| (i.shard.window_start_unix_ms + i64::from(second) * 1000).div_euclid(1000);
    let covered = |at: usize| {
        let from = ((first_s + at as i64) * 1000).max(start_ms);
        let to = ((first_s + at as i64 + 1) * 1000).min(end_ms);
        (to - from).clamp(0, 1000) as u32
    };
    let mut seconds: Vec<(u64, u64, CoarseHist)> = vec![(0, 0, CoarseHist::default()); slots];
    let mut load: Vec<(u32, f64)> = vec![(0, 0.0); slots];
    for i in by_index.values() {
        for s in &i.shard.seconds {
            let Some(slot) = at(s.unix_s).and_then(|at| seconds.get_mut(at)) else {
                return Err(file_error(&i.file, format!("second {} lies outside the shard's own window", s.unix_s)));
            };
            slot.0 += s.requests;
            slot.1 += s.errors;
            if !slot.2.add_buckets(&s.latency) {
                return Err(file_error(&i.file, format!("second {}: a latency bucket out of range", s.unix_s)));
            }
        }
        for t in &i.report.timeline {
            if let Some(slot) = at(wall(i, t.second)).and_then(|at| load.get_mut(at)) {
                slot.0 += t.users;
                slot.1 += t.in_flight;
            }
        }
    }
    // The full per-second histograms, when every shard has them (shards of an earlier version
    // have only the coarse buckets above).
    let samples = if by_index.values().all(|i| !i.report.overall.seconds.is_empty()) {
        let mut scratch = recorder::new_histogram();
        let mut all = recorder::new_histogram();
        let mut per_api: Vec<Vec<ApiSecond>> = vec![Vec::with_capacity(slots); stats.len()];
        let mut overall_seconds = Vec::with_capacity(slots);
        // Each shard's samples of each API, by merged second.
        let mut index: Vec<Vec<Vec<Option<&ApiSecond>>>> = Vec::new();
        for i in by_index.values() {
            let mut mine = vec![vec![None; slots]; stats.len()];
            for a in &i.report.apis {
                let Some(k) = stats.iter().position(|s| s.api == a.api) else { continue };
                for s in &a.seconds {
                    match at(wall(i, s.second)) {
                        Some(at) => mine[k][at] = Some(s),
                        None => {
                            return Err(file_error(
                                &i.file,
                                format!("{}: second {} lies outside the shard's own window", a.api, s.second),
                            ));
                        }
                    }
                }
            }
            index.push(mine);
        }
        for at in 0..slots {
            all.reset();
            let (mut requests, mut errors) = (0, 0);
            for (k, out) in per_api.iter_mut().enumerate() {
                scratch.reset();
                let (mut r, mut e) = (0, 0);
                for (shard, i) in index.iter().zip(by_index.values()) {
                    let Some(s) = shard[k][at] else { continue };
                    r += s.requests;
                    e += s.errors;
                    if s.histogram.is_empty() {
                        continue;
                    }
                    let h = recorder::decode(&s.histogram).ok_or_else(|| {
                        file_error(
                            &i.file,
                            format!(
                                "{}: second {}: the histogram is not a base64 HdrHistogram",
                                stats[k].api, s.second
                            ),
                        )
                    })?;
                    scratch
                        .add(&h)
                        .map_err(|e| file_error(&i.file, format!("{}: second {}: {e}", stats[k].api, s.second)))?;
                }
                if !scratch.is_empty() {
                    let _ = all.add(&scratch);
                }
                requests += r;
                errors += e;
                out.push(recorder::api_second(at as u32, covered(at), r, e, &scratch));
            }
            overall_seconds.push(recorder::api_second(at as u32, covered(at), requests, errors, &all));
        }
        Some((per_api, overall_seconds))
    } else {
        None
    };
    let timeline = (0..slots)
        .map(|at| {
            let (requests, errors, latency) = &seconds[at];
            let (users, in_flight) = load[at];
            let (p50_us, p95_us, p99_us) = match &samples {
                Some((_, o)) => (o[at].p50_us, o[at].p95_us, o[at].p99_us),
                None => (latency.quantile(0.50), latency.quantile(0.95), latency.quantile(0.99)),
            };
            SecondStats {
                second: at as u32,
                covered_ms: covered(at),
                requests: *requests,
                errors: *errors,
                p50_us,
                p95_us,
                p99_us,
                users,
                in_flight,
            }
        })
        .collect();
    if let Some((per_api, overall_seconds)) = samples {
        for (s, seconds) in stats.iter_mut().zip(per_api) {
            s.seconds = seconds;
        }
        overall.seconds = overall_seconds;
    }

    // The verdict, again, on the merged figures.
    let kind = first.plan.kind();
    let list = first.plan.thresholds().map_err(|e| file_error(&first.file, e))?;
    let mut thresholds = verdict::thresholds(&list, &stats, &overall, &kind, window.as_secs_f64());
    thresholds.push(verdict::error_gate(&overall, first.plan.max_error_rate));
    if let Some(at) = &first.shard.start_at {
        thresholds.push(start_gate(at, first.shard.start_tolerance_ms, &by_index));
    }
    let interrupted = by_index
        .values()
        .find_map(|i| i.report.interrupted.as_ref().map(|s| format!("{s} (shard {}/{n})", i.shard.index)));
    let aborted = by_index.values().any(|i| i.report.aborted);
    let passed = thresholds.iter().all(|t| t.passed) && !aborted;
    let started = by_index.values().min_by_key(|i| i.shard.window_start_unix_ms).map(|i| i.shard.window_start.clone());

    Ok(LoadReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: "load".into(),
        profile: first.report.profile.clone(),
        source: first.report.source.clone(),
        target: first.report.target.clone(),
        started_at: started.unwrap_or_else(|| first.report.started_at.clone()),
        duration_ms: span_ms,
        model: super::model_info_of(&kind),
        apis: stats,
        overall,
        timeline,
        thresholds,
        baseline: None,
        late_starts: by_index.values().map(|i| i.report.late_starts).sum(),
        dropped: by_index.values().map(|i| i.report.dropped).sum(),
        aborted,
        interrupted,
        passed,
        scale_out: Some(ScaleOut::Merged(MergedRun {
            count: n,
            profile_sha256: first.shard.profile_sha256.clone(),
            start_at: first.shard.start_at.clone(),
            start_tolerance_ms: first.shard.start_tolerance_ms,
            shards: by_index
                .values()
                .map(|i| ShardRow {
                    index: i.shard.index,
                    file: i.file.clone(),
                    window_start: i.shard.window_start.clone(),
                    start_skew_ms: i.shard.start_skew_ms,
                    late: i.shard.late,
                    requests: i.report.overall.count,
                    rate: i.report.overall.rate,
                    errors: i.report.overall.errors,
                    p99_us: i.report.overall.p99_us,
                    late_starts: i.report.late_starts,
                    dropped: i.report.dropped,
                    passed: i.report.passed,
                    aborted: i.report.aborted,
                    interrupted: i.report.interrupted.clone(),
                })
                .collect(),
        })),
    })
}

/// One API's figures of a shard as a tally to add: its histogram decoded and checked against
/// the settings and the counts it claims.
fn tally_of(file: &str, a: &crate::report::model::ApiStats) -> Result<ApiTally, MergeError> {
    let hist: Histogram<u64> = recorder::decode(&a.histogram)
        .ok_or_else(|| file_error(file, format!("{}: the histogram is not a base64 HdrHistogram V2", a.api)))?;
    let want = recorder::HISTOGRAM;
    if (hist.low(), hist.high(), hist.sigfig()) != (want.lowest, want.highest, want.significant_figures) {
        return Err(file_error(
            file,
            format!(
                "{}: histogram recorded from {} to {} µs with {} significant figures, not {} to {} with {}",
                a.api,
                hist.low(),
                hist.high(),
                hist.sigfig(),
                want.lowest,
                want.highest,
                want.significant_figures
            ),
        ));
    }
    let good = a.count.checked_sub(a.errors).filter(|_| a.errors == a.refused + a.failed);
    if good != Some(hist.len()) {
        return Err(file_error(
            file,
            format!(
                "{}: the histogram holds {} latencies, but the run counts {} requests, {} refused and {} failed",
                a.api,
                hist.len(),
                a.count,
                a.refused,
                a.failed
            ),
        ));
    }
    let mut t =
        ApiTally { hist: recorder::new_histogram(), refused: a.refused, failed: a.failed, codes: a.rsp_codes.clone() };
    t.hist.add(&hist).map_err(|e| file_error(file, format!("{}: the histogram does not add: {e}", a.api)))?;
    Ok(t)
}

/// Every shard started within the tolerance of the agreed start.
fn start_gate(at: &str, tolerance_ms: u64, shards: &BTreeMap<u32, &ShardInput>) -> ThresholdResult {
    let late: Vec<String> = shards
        .values()
        .filter(|i| i.shard.late)
        .map(|i| match i.shard.start_skew_ms {
            Some(s) => format!("shard {} ({s:.1} ms after)", i.shard.index),
            None => format!("shard {} (did not start)", i.shard.index),
        })
        .collect();
    let worst = shards.values().filter_map(|i| i.shard.start_skew_ms).fold(f64::NAN, f64::max);
    ThresholdResult {
        name: format!("every shard started within {tolerance_ms} ms of --start-at {at}"),
        expected: format!("≤ {tolerance_ms} ms after {at}"),
        actual: if late.is_empty() {
            format!("latest {:.1} ms after", if worst.is_nan() { 0.0 } else { worst })
        } else {
            format!("late: {}", late.join(", "))
        },
        passed: late.is_empty(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::model::{ApiStats, LoadModelInfo, TargetInfo};
    use crate::report::scale_out::WallSecond;
    use proptest::prelude::*;

    const PROFILE: &str = "name: p\nmodel: { kind: open, rate: 100, duration: 2s }\nmix: [{ call: user.me }]\nthresholds:\n  - { p99: 50ms }\n";

    /// A shard's run holding `latencies` (µs) of `user.me`, all good, starting at `start_ms`.
    pub(crate) fn shard_run(index: u32, count: u32, latencies: &[u64], start_ms: i64) -> ShardInput {
        let plan = crate::load::profile::parse(Path::new("p.yaml"), PROFILE).unwrap();
        let mut t = ApiTally::default();
        let mut second = CoarseHist::default();
        for us in latencies {
            t.hist.saturating_record(*us);
            second.record(*us);
        }
        t.codes.insert("A0000".into(), latencies.len() as u64);
        let window = Duration::from_secs(2);
        let samples = vec![recorder::api_second(0, 1000, latencies.len() as u64, 0, &t.hist)];
        let stats = ApiStats { seconds: samples.clone(), ..recorder::stats("user.me", &t, window) };
        let overall = ApiStats { seconds: samples, ..recorder::stats("overall", &t, window) };
        let shard = ShardRun {
            index,
            count,
            profile_sha256: crate::load::shard::sha256_hex(PROFILE.as_bytes()),
            start_at: Some("2026-03-02T01:00:00.000Z".into()),
            start_tolerance_ms: 1000,
            window_start: "2026-03-02T01:00:00.000Z".into(),
            window_start_unix_ms: start_ms,
            start_skew_ms: Some(0.4),
            late: false,
            histogram: recorder::HISTOGRAM,
            plan: serde_json::to_value(PlanRecord::of(&plan)).unwrap(),
            bank_tran_ids: "tag 00".into(),
            seconds: vec![WallSecond {
                unix_s: start_ms.div_euclid(1000),
                requests: latencies.len() as u64,
                errors: 0,
                latency: second.buckets(),
            }],
        };
        let report = LoadReport {
            tool: "obharness".into(),
            version: "0".into(),
            kind: "load".into(),
            profile: "p".into(),
            source: "p.yaml".into(),
            target: TargetInfo {
                name: "t".into(),
                base_url: "http://127.0.0.1:1".into(),
                quirks: vec![],
                capabilities: vec![],
            },
            started_at: "2026-03-02T01:00:00Z".into(),
            duration_ms: 2000,
            model: LoadModelInfo {
                kind: crate::report::model::LoadModelKind::Open,
                users: None,
                rate: None,
                stages: vec![],
                summary: String::new(),
            },
            apis: vec![stats],
            overall,
            timeline: vec![],
            thresholds: vec![],
            baseline: None,
            late_starts: 0,
            dropped: 0,
            aborted: false,
            interrupted: None,
            passed: true,
            scale_out: Some(ScaleOut::Shard(shard)),
        };
        let text = serde_json::to_string(&report).unwrap();
        parse_shard(&format!("shard-{index}.json"), &text).unwrap()
    }

    fn hist_of(a: &ApiStats) -> Histogram<u64> {
        recorder::decode(&a.histogram).unwrap()
    }

    fn latency() -> impl Strategy<Value = u64> {
        prop_oneof![1u64..2_000, 1u64..200_000, 1u64..700_000_000]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        /// The merged histogram is the histogram of the union: count, min, max and every
        /// percentile equal, whatever the split.
        #[test]
        fn merging_is_exact(latencies in proptest::collection::vec((latency(), 0u32..64), 1..400), n in 1u32..6) {
            let mut parts = vec![Vec::new(); n as usize];
            for (us, to) in &latencies {
                parts[(*to % n) as usize].push(*us);
            }
            let shards: Vec<ShardInput> =
                parts.iter().enumerate().map(|(k, l)| shard_run(k as u32 + 1, n, l, 1_772_413_200_000)).collect();
            let merged = merge(&shards).unwrap();
            let mut union = recorder::new_histogram();
            for (us, _) in &latencies {
                union.saturating_record(*us);
            }
            for got in [&merged.apis[0], &merged.overall] {
                let h = hist_of(got);
                prop_assert_eq!(h.len(), union.len());
                prop_assert_eq!(got.count, latencies.len() as u64);
                prop_assert_eq!((h.min(), h.max()), (union.min(), union.max()));
                for q in (0..=1000).map(|i| f64::from(i) / 1000.0).chain([0.9999, 0.99999]) {
                    prop_assert_eq!(h.value_at_quantile(q), union.value_at_quantile(q), "q {}", q);
                }
                let expect = recorder::stats("x", &ApiTally { hist: union.clone(), ..ApiTally::default() }, Duration::from_secs(2));
                prop_assert_eq!(
                    (got.p50_us, got.p90_us, got.p95_us, got.p99_us, got.p999_us, got.max_us, &got.percentiles),
                    (expect.p50_us, expect.p90_us, expect.p95_us, expect.p99_us, expect.p999_us, expect.max_us, &expect.percentiles)
                );
            }
            prop_assert_eq!(merged.timeline.iter().map(|s| s.requests).sum::<u64>(), latencies.len() as u64);
        }
    }

    #[test]
    fn the_merged_verdict_is_evaluated_again() {
        // Each shard alone is under the 50 ms p99; the union too: pass. A slow third shard
        // fails the merge, and says which shard it was.
        let fast: Vec<u64> = (0..100).map(|i| 1_000 + i).collect();
        let ok = merge(&[shard_run(1, 2, &fast, 0), shard_run(2, 2, &fast, 0)]).unwrap();
        assert!(ok.passed, "{:?}", ok.thresholds);
        assert_eq!(ok.overall.count, 200);
        assert_eq!(ok.duration_ms, 2000);
        let slow: Vec<u64> = (0..100).map(|_| 90_000).collect();
        let bad = merge(&[shard_run(1, 2, &fast, 0), shard_run(2, 2, &slow, 0)]).unwrap();
        assert!(!bad.passed);
        assert!(bad.thresholds.iter().any(|t| !t.passed && t.name == "overall p99 < 50.00ms"), "{:?}", bad.thresholds);
        let Some(ScaleOut::Merged(m)) = &bad.scale_out else { panic!() };
        assert_eq!(m.shards.iter().map(|s| s.p99_us > 50_000).collect::<Vec<_>>(), [false, true]);
    }

    #[test]
    fn per_second_histograms_are_merged_by_wall_clock_second() {
        let a: Vec<u64> = (0..100).map(|i| 1_000 + i).collect();
        let b: Vec<u64> = (0..50).map(|i| 30_000 + i).collect();
        // Shard 2 started a second later: its second 0 is the merge's second 1.
        let m = merge(&[shard_run(1, 2, &a, 0), shard_run(2, 2, &b, 1_000)]).unwrap();
        let s = &m.apis[0].seconds;
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].requests, s[1].requests, s[2].requests), (100, 50, 0));
        assert!((1_049..=1_051).contains(&s[0].p50_us), "{:?}", s[0]);
        assert!((30_040..=30_070).contains(&s[1].p99_us), "{:?}", s[1]);
        assert_eq!(recorder::decode(&m.overall.seconds[1].histogram).unwrap().len(), 50);
        assert_eq!((m.timeline[1].requests, m.timeline[1].p99_us), (50, s[1].p99_us), "full precision");
        // Without per-second histograms (shards of an earlier version): the coarse timeline.
        let mut old = shard_run(2, 2, &b, 1_000);
        old.report.overall.seconds.clear();
        let m = merge(&[shard_run(1, 2, &a, 0), old]).unwrap();
        assert!(m.overall.seconds.is_empty() && m.apis[0].seconds.is_empty());
        assert_eq!(m.timeline[1].requests, 50);
    }

    #[test]
    fn a_late_shard_fails_the_merge() {
        let l: Vec<u64> = vec![1_000; 10];
        let mut late = shard_run(2, 2, &l, 3_000);
        late.shard.late = true;
        late.shard.start_skew_ms = Some(3000.0);
        let m = merge(&[shard_run(1, 2, &l, 0), late]).unwrap();
        let gate = m.thresholds.last().unwrap();
        assert!(!gate.passed && gate.actual.contains("shard 2 (3000.0 ms after)"), "{gate:?}");
        assert_eq!(m.duration_ms, 5000, "the window runs from the first start to the last end");
        assert_eq!(m.timeline.len(), 5);
    }

    #[test]
    fn shards_of_other_runs_are_refused_naming_the_file() {
        let l: Vec<u64> = vec![1_000; 10];
        let (a, b) = (shard_run(1, 2, &l, 0), shard_run(2, 2, &l, 0));
        let twice = merge(&[a.clone(), b.clone(), {
            let mut c = b.clone();
            c.file = "again.json".into();
            c
        }])
        .unwrap_err();
        assert_eq!(twice.to_string(), "again.json: shard 2/2 twice: shard-2.json is shard 2/2 too");
        let missing = merge(std::slice::from_ref(&a)).unwrap_err();
        assert_eq!(missing.to_string(), "shard(s) 2 of 2 missing: have 1 (shard-1.json)");
        let mut other = b.clone();
        other.shard.profile_sha256 = "ff".into();
        let e = merge(&[a.clone(), other]).unwrap_err().to_string();
        assert!(e.starts_with("shard-2.json: ran profile 'p' (sha256 ff), but shard-1.json has"), "{e}");
        let mut other = b.clone();
        other.plan.max_error_rate = 5.0;
        assert!(merge(&[a.clone(), other]).unwrap_err().to_string().starts_with("shard-2.json: ran another plan"));
        let mut other = b.clone();
        other.shard.count = 3;
        assert!(
            merge(&[a.clone(), other]).unwrap_err().to_string().contains("is one of 3 shards, but shard-1.json has 2")
        );
        let mut other = b.clone();
        other.shard.histogram.significant_figures = 2;
        assert!(
            merge(&[a.clone(), other])
                .unwrap_err()
                .to_string()
                .starts_with("shard-2.json: histograms recorded from 1 to 600000000 µs with 2")
        );
        let mut other = b.clone();
        other.report.apis[0].count += 1;
        other.report.apis[0].refused += 1;
        assert!(
            merge(&[a.clone(), other])
                .unwrap_err()
                .to_string()
                .contains("the histogram holds 10 latencies, but the run counts 11 requests, 1 refused")
        );
    }

    #[test]
    fn bad_json_is_refused_with_its_position() {
        let l: Vec<u64> = vec![1_000; 10];
        let text = serde_json::to_string_pretty(&shard_run(1, 1, &l, 0).report).unwrap();
        let e = parse_shard("cut.json", &text[..text.len() / 2]).unwrap_err().to_string();
        assert!(e.starts_with("cut.json: ") && e.contains("not valid JSON (the file is truncated)"), "{e}");
        let e = parse_shard("conf.json", "{\"kind\": \"conformance\"}").unwrap_err().to_string();
        assert_eq!(e, "conf.json: a conformance run, not a load run's JSON");
        let mut plain = shard_run(1, 1, &l, 0).report;
        plain.scale_out = None;
        let e = parse_shard("one.json", &serde_json::to_string(&plain).unwrap()).unwrap_err().to_string();
        assert_eq!(e, "one.json: not a shard's run: it was not run with --shard K/N");
    }
}
