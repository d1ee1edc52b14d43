//! Scale-out: one load profile run as N shards on N machines (`load --shard K/N`), each
//! running its exact part, so that `report merge` can add them up into the one-machine run.
//!
//! - Closed model: users split as evenly as possible (the remainder to the first shards), each
//!   stage alike, and a ramp (`increase_rate`) scaled with the users so every shard finishes
//!   its ramp when the one-machine run would.
//! - Open model: the global arrival schedule is interleaved, slot *i* belonging to shard
//!   *i mod N*: the union of the shards' slots is exactly the one-machine schedule.
//!   `max_in_flight` is split like users.
//! - `max_requests` split exactly (the remainder to the first shards); with the open model the
//!   union is then the first `max_requests` slots of the one-machine schedule.
//! - bank_tran_ids partitioned by shard (see [`IdSpace`]).
//!
//! Nothing here coordinates at run time: Kubernetes (or a shell loop) starts the shards, each
//! waits for the same `--start-at` instant, and the merge is a pure function of their JSON.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::profile::{LoadPlan, ModelKind, Percent, Span, Threshold};

/// Most shards of one run. Each shard then has at least 36^7 / 256 ≈ 306 million
/// bank_tran_ids a run: more than 85,000 requests a second for the longest run (3600 s).
pub const MAX_SHARDS: u32 = 256;

/// How late a shard may start after `--start-at` and still count as on time (default).
pub const DEFAULT_START_TOLERANCE: Duration = Duration::from_secs(1);

/// The furthest ahead `--start-at` may be.
pub const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Parses `K/N` (1 ≤ K ≤ N ≤ [`MAX_SHARDS`]), or `index=I/N` with `I` 0-based as
    /// Kubernetes' `JOB_COMPLETION_INDEX` gives it (so a manifest needs no shell arithmetic).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = |why: &str| format!("--shard '{s}': {why} (expected K/N with 1 ≤ K ≤ N, e.g. 2/3, or index=I/N)");
        let (k, n) = s.trim().split_once('/').ok_or_else(|| bad("no '/'"))?;
        let (k, zero_based) = match k.strip_prefix("index=") {
            Some(i) => (i, true),
            None => (k, false),
        };
        let number = |t: &str, what: &str| t.trim().parse::<u32>().map_err(|_| bad(&format!("{what} is not a number")));
        let k = number(k, if zero_based { "I" } else { "K" })?;
        let n = number(n, "N")?;
        let k = if zero_based { k.checked_add(1).ok_or_else(|| bad("I is too large"))? } else { k };
        if n == 0 {
            return Err(bad("N must be at least 1"));
        }
        if n > MAX_SHARDS {
            return Err(bad(&format!("at most {MAX_SHARDS} shards")));
        }
        if k == 0 || k > n {
            return Err(bad(if zero_based { "I must be 0 to N-1" } else { "K must be 1 to N" }));
        }
        Ok(Shard { index: k, count: n })
    }

    /// This shard's part of `total`: `total / N`, plus one for the first `total % N` shards.
    pub fn part(&self, total: u64) -> u64 {
        let n = u64::from(self.count);
        total / n + u64::from(u64::from(self.index - 1) < total % n)
    }

    /// 0-based position among the shards.
    pub fn residue(&self) -> u64 {
        u64::from(self.index - 1)
    }
}

/// What a plan knows of the run it is a shard of.
#[derive(Debug, Clone, PartialEq)]
pub struct Sharding {
    pub shard: Shard,
    /// The whole run's model (the profile's, before splitting).
    pub full: ModelKind,
    pub full_max_requests: Option<u64>,
    /// The run's 2-character bank_tran_id tag (see [`IdSpace`]).
    pub id_tag: String,
}

/// Splits `plan` into shard `shard`'s part; `id_tag` comes from [`id_tag`]. Refuses a split that
/// would leave a shard with nothing to do.
pub fn apply(plan: &LoadPlan, shard: Shard, id_tag: String) -> Result<LoadPlan, String> {
    let n = shard.count;
    let mut out = plan.clone();
    out.kind = match &plan.kind {
        ModelKind::Closed { stages, increase_rate } => {
            if let Some((i, (_, u))) = stages.iter().enumerate().find(|(_, (_, u))| *u < n) {
                let which = if stages.len() == 1 { "the model".to_string() } else { format!("stage {}", i + 1) };
                return Err(format!(
                    "{which} has {u} user(s), fewer than the {n} shards: every shard needs at least one user in every stage"
                ));
            }
            let total = stages.iter().map(|(_, u)| *u).max().unwrap_or(1);
            let mine = |u: u32| shard.part(u64::from(u)) as u32;
            ModelKind::Closed {
                stages: stages.iter().map(|(d, u)| (*d, mine(*u))).collect(),
                increase_rate: increase_rate.map(|r| r * f64::from(mine(total)) / f64::from(total)),
            }
        }
        ModelKind::Open { stages, max_in_flight } => {
            if *max_in_flight < n {
                return Err(format!(
                    "max_in_flight {max_in_flight} is fewer than the {n} shards: every shard needs at least one request in flight"
                ));
            }
            ModelKind::Open { stages: stages.clone(), max_in_flight: shard.part(u64::from(*max_in_flight)) as u32 }
        }
    };
    if let Some(max) = plan.profile.max_requests {
        if max < u64::from(n) {
            return Err(format!("max_requests {max} cannot be split across {n} shards (at least one request each)"));
        }
        out.profile.max_requests = Some(shard.part(max));
    }
    out.shard = Some(Sharding { shard, full: plan.kind.clone(), full_max_requests: plan.profile.max_requests, id_tag });
    Ok(out)
}

/// The model a shard's own thresholds are judged against: its share of the open model's rate
/// (`achieved_rate_at_least` of one shard compares with rate / N).
pub fn share_of(kind: &ModelKind, shard: Shard) -> ModelKind {
    match kind {
        ModelKind::Open { stages, max_in_flight } => ModelKind::Open {
            stages: stages.iter().map(|(d, r)| (*d, r / f64::from(shard.count))).collect(),
            max_in_flight: *max_in_flight,
        },
        closed => closed.clone(),
    }
}

const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Values of the 7-character body of a serial: 36^7.
pub const BODY_SPACE: u64 = 78_364_164_096;

/// Where a run's bank_tran_ids come from. A bank_tran_id is the institution's 10-character
/// code, `U`, and a 9-character serial the institution chooses, unique per KST day. The serial
/// is a 2-character tag followed by 7 base-36 digits holding `n × stride + residue`, `n`
/// counting this process's requests from 0. A shard K of N has stride N and residue K-1, so two
/// shards of one run can never produce the same serial: their bodies differ modulo N. A shard
/// has `(36^7 - residue) / N` ids (≥ 306 million for N ≤ 256); past them it stops rather than
/// wrap. One machine (no `--shard`) has stride 1, residue 0 and a random tag, as before.
///
/// Across runs the tag separates them: a sharded run's tag is the 67-second slot of the KST
/// day its `--start-at` (else its start) falls in, so runs started at least 67 s apart on one
/// day never share a tag; two runs started within the same slot against a target that is not
/// reset between them could repeat ids (the target answers A0326).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSpace {
    pub tag: String,
    pub stride: u64,
    pub residue: u64,
}

impl IdSpace {
    /// How many ids this space holds.
    pub fn capacity(&self) -> u64 {
        (BODY_SPACE - self.residue.min(BODY_SPACE)).div_ceil(self.stride.max(1))
    }

    /// The serial (9 characters) of this space's `n`-th id, or `None` past its capacity.
    pub fn serial(&self, n: u64) -> Option<String> {
        let mut buf = [0; SERIAL_LEN];
        self.write_serial(n, &mut buf).map(str::to_string)
    }

    /// Writes the serial of this space's `n`-th id into `buf` (no allocation: the load
    /// engine takes one per request); `None` past the capacity, or with a tag that is not two
    /// ASCII characters.
    pub fn write_serial<'a>(&self, n: u64, buf: &'a mut [u8; SERIAL_LEN]) -> Option<&'a str> {
        if n >= self.capacity() || self.tag.len() != 2 || !self.tag.is_ascii() {
            return None;
        }
        buf[..2].copy_from_slice(self.tag.as_bytes());
        let mut v = n * self.stride + self.residue;
        for d in buf[2..].iter_mut().rev() {
            *d = BASE36[(v % 36) as usize];
            v /= 36;
        }
        std::str::from_utf8(buf).ok()
    }
}

/// The length of a serial: the 2-character tag and 7 base-36 digits.
pub const SERIAL_LEN: usize = 9;

/// A sharded run's 2-character tag: the 67-second slot of the KST day of `at` (0 to 1289, in
/// base 36).
pub fn id_tag(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let kst = at.with_timezone(&crate::protocol::time::kst());
    let slot = kst.num_seconds_from_midnight() / 67;
    let (hi, lo) = ((slot / 36) as usize, (slot % 36) as usize);
    format!("{}{}", BASE36[hi] as char, BASE36[lo] as char)
}

/// Parses `--start-at`: RFC 3339, at most [`MAX_START_AHEAD`] ahead of `now`.
pub fn parse_start_at(s: &str, now: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let at = chrono::DateTime::parse_from_rfc3339(s.trim())
        .map_err(|e| format!("--start-at '{s}': {e} (expected RFC 3339, e.g. 2026-03-02T10:00:00Z)"))?
        .with_timezone(&chrono::Utc);
    if at - now > chrono::Duration::from_std(MAX_START_AHEAD).unwrap_or(chrono::Duration::MAX) {
        return Err(format!("--start-at '{s}' is more than {} hours ahead", MAX_START_AHEAD.as_secs() / 3600));
    }
    Ok(at)
}

/// The profile file's SHA-256, hex: what tells the merge that shards ran the same profile.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The effective plan a shard ran (the whole run's model, thresholds, error bound), as its
/// JSON carries it for the merge. Spans are nanoseconds, so nothing is rounded on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub model: ModelRecord,
    pub max_requests: Option<u64>,
    pub max_error_rate: f64,
    pub thresholds: Vec<ThresholdRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelRecord {
    /// (stage nanoseconds, users).
    Closed { stages: Vec<(u64, u32)>, increase_rate: Option<f64> },
    /// (stage nanoseconds, rate per second).
    Open { stages: Vec<(u64, f64)>, max_in_flight: u32 },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRecord {
    pub api: Option<String>,
    pub p50_ns: Option<u64>,
    pub p90_ns: Option<u64>,
    pub p95_ns: Option<u64>,
    pub p99_ns: Option<u64>,
    pub p999_ns: Option<u64>,
    pub max_ns: Option<u64>,
    pub error_rate: Option<f64>,
    pub rsp_code: Option<String>,
    pub share_at_least: Option<f64>,
    pub share_at_most: Option<f64>,
    pub achieved_rate_at_least: Option<f64>,
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

impl PlanRecord {
    /// The record of `plan` (a shard's plan records the whole run's model).
    pub fn of(plan: &LoadPlan) -> PlanRecord {
        let (kind, max_requests) = match &plan.shard {
            Some(s) => (&s.full, s.full_max_requests),
            None => (&plan.kind, plan.profile.max_requests),
        };
        let span = |s: &Option<Span>| s.map(|s| nanos(s.0));
        let pct = |p: &Option<Percent>| p.map(|p| p.0);
        PlanRecord {
            model: match kind {
                ModelKind::Closed { stages, increase_rate } => ModelRecord::Closed {
                    stages: stages.iter().map(|(d, u)| (nanos(*d), *u)).collect(),
                    increase_rate: *increase_rate,
                },
                ModelKind::Open { stages, max_in_flight } => ModelRecord::Open {
                    stages: stages.iter().map(|(d, r)| (nanos(*d), *r)).collect(),
                    max_in_flight: *max_in_flight,
                },
            },
            max_requests,
            max_error_rate: plan.profile.max_error_rate.map(|p| p.0).unwrap_or(super::profile::DEFAULT_MAX_ERROR_RATE),
            thresholds: plan
                .profile
                .thresholds
                .iter()
                .map(|t| ThresholdRecord {
                    api: t.api.map(|a| a.as_str().to_string()),
                    p50_ns: span(&t.p50),
                    p90_ns: span(&t.p90),
                    p95_ns: span(&t.p95),
                    p99_ns: span(&t.p99),
                    p999_ns: span(&t.p999),
                    max_ns: span(&t.max),
                    error_rate: pct(&t.error_rate),
                    rsp_code: t.rsp_code.clone(),
                    share_at_least: pct(&t.share_at_least),
                    share_at_most: pct(&t.share_at_most),
                    achieved_rate_at_least: pct(&t.achieved_rate_at_least),
                })
                .collect(),
        }
    }

    /// The whole run's model.
    pub fn kind(&self) -> ModelKind {
        match &self.model {
            ModelRecord::Closed { stages, increase_rate } => ModelKind::Closed {
                stages: stages.iter().map(|(d, u)| (Duration::from_nanos(*d), *u)).collect(),
                increase_rate: *increase_rate,
            },
            ModelRecord::Open { stages, max_in_flight } => ModelKind::Open {
                stages: stages.iter().map(|(d, r)| (Duration::from_nanos(*d), *r)).collect(),
                max_in_flight: *max_in_flight,
            },
        }
    }

    /// The thresholds, as the verdict evaluates them; an unknown API name is an error.
    pub fn thresholds(&self) -> Result<Vec<Threshold>, String> {
        let span = |n: Option<u64>| n.map(|n| Span(Duration::from_nanos(n)));
        let pct = |p: Option<f64>| p.map(Percent);
        self.thresholds
            .iter()
            .map(|t| {
                let api = match &t.api {
                    Some(a) => Some(
                        crate::protocol::ApiId::parse(a)
                            .ok_or_else(|| format!("threshold api '{a}' is not an API id"))?,
                    ),
                    None => None,
                };
                Ok(Threshold {
                    api,
                    p50: span(t.p50_ns),
                    p90: span(t.p90_ns),
                    p95: span(t.p95_ns),
                    p99: span(t.p99_ns),
                    p999: span(t.p999_ns),
                    max: span(t.max_ns),
                    error_rate: pct(t.error_rate),
                    rsp_code: t.rsp_code.clone(),
                    share_at_least: pct(t.share_at_least),
                    share_at_most: pct(t.share_at_most),
                    achieved_rate_at_least: pct(t.achieved_rate_at_least),
                })
            })
            .collect()
    }

    /// The measured window of the whole run.
    pub fn duration(&self) -> Duration {
        match &self.model {
            ModelRecord::Closed { stages, .. } => stages.iter().map(|(d, _)| Duration::from_nanos(*d)).sum(),
            ModelRecord::Open { stages, .. } => stages.iter().map(|(d, _)| Duration::from_nanos(*d)).sum(),
        }
    }
}

/// How a run fits into a run across machines, besides its plan's [`Sharding`].
#[derive(Debug, Clone)]
pub struct ScaleOptions {
    /// The instant every shard's measured window starts (`--start-at`).
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How late a start may be and still count as on time.
    pub start_tolerance: Duration,
    /// SHA-256 of the profile file (hex).
    pub profile_sha256: String,
}

impl Default for ScaleOptions {
    fn default() -> Self {
        ScaleOptions { start_at: None, start_tolerance: DEFAULT_START_TOLERANCE, profile_sha256: String::new() }
    }
}

/// Waits until a URL target answers HTTP at all (any status), trying once a second until
/// `deadline`; the embedded simulator is always ready. A pod started before the gateway it
/// loads is then not a failed shard.
pub async fn wait_ready(target: &crate::target::Target, deadline: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    let Some(base) = target.profile.base_url.as_deref().filter(|_| !target.is_embedded()) else { return Ok(()) };
    let client = target
        .http_client()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    loop {
        let why = match client.get(base).send().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why = format!("{why}: {s}");
                    source = s.source();
                }
                why
            }
        };
        if chrono::Utc::now() >= deadline || super::interrupted().is_some() {
            return Err(format!("{base} was not ready by --start-at {} ({why})", deadline.to_rfc3339()));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How long before the start goose is launched: the open model's users (up to
/// `max_in_flight`, started at 1000 a second or faster) then wait for their slots instead of
/// starting late; a closed model is launched at the start itself, so its ramp is the profile's.
pub fn launch_lead(kind: &ModelKind) -> Duration {
    match kind {
        ModelKind::Open { max_in_flight, .. } => {
            Duration::from_secs(1)
                + Duration::from_secs_f64(f64::from(*max_in_flight) / f64::from((*max_in_flight).max(1000)))
        }
        ModelKind::Closed { .. } => Duration::ZERO,
    }
}

/// goose's own timer is a backstop behind the run's: launched `lead` early, it must last that
/// much longer.
pub fn extend_backstop(config: &mut goose::config::GooseConfiguration, lead: Duration) {
    if lead.is_zero() {
        return;
    }
    if let Some(secs) = config.run_time.as_deref().and_then(|t| t.strip_suffix('s')).and_then(|n| n.parse::<u64>().ok())
    {
        config.run_time = Some(format!("{}s", secs + lead.as_secs_f64().ceil() as u64));
    }
}

/// When this run's measured window starts, against the agreed `--start-at`.
#[derive(Debug, Clone)]
pub struct StartTiming {
    /// The window's start on this process's monotonic clock.
    pub start: std::time::Instant,
    pub at: chrono::DateTime<chrono::Utc>,
    pub tolerance: Duration,
    /// The window starts at `at` itself (the shard was ready in time), not when it got ready.
    pub on_time: bool,
    /// How long after `at` the window began (ms, by this machine's wall clock): measured when
    /// the start came (a timer's wake-up), or, for a shard that was not ready by then, when it was.
    skew_ms: std::sync::Arc<parking_lot::Mutex<Option<f64>>>,
}

impl StartTiming {
    pub fn skew_ms(&self) -> Option<f64> {
        *self.skew_ms.lock()
    }

    /// Started later than the tolerance allows (or never).
    pub fn late(&self) -> bool {
        self.skew_ms().is_none_or(|s| s > self.tolerance.as_secs_f64() * 1000.0)
    }

    /// The check every run with `--start-at` carries.
    pub fn verdict(&self) -> crate::report::model::ThresholdResult {
        let tol = self.tolerance.as_millis();
        crate::report::model::ThresholdResult {
            name: format!("started within {tol} ms of --start-at {}", self.at.to_rfc3339()),
            expected: format!("≤ {tol} ms after {}", self.at.to_rfc3339()),
            actual: match self.skew_ms() {
                Some(s) if s >= 0.0 => format!("{s:.1} ms after"),
                Some(s) => format!("{:.1} ms before", -s),
                None => "did not start".into(),
            },
            passed: !self.late(),
        }
    }
}

/// Waits until `lead` before `at` (waking early when `stop()` says so) and fixes the window's
/// start at `at`, or at once when `at` has already passed: a late shard starts when it can
/// and never crams the slots it missed into a burst.
pub async fn wait_for_start(
    at: chrono::DateTime<chrono::Utc>,
    lead: Duration,
    tolerance: Duration,
    stop: fn() -> bool,
) -> StartTiming {
    let lead = chrono::Duration::from_std(lead).unwrap_or(chrono::Duration::zero());
    loop {
        let left = at - lead - chrono::Utc::now();
        if left <= chrono::Duration::zero() || stop() {
            break;
        }
        tokio::time::sleep(left.to_std().unwrap_or_default().min(Duration::from_millis(100))).await;
    }
    let (wall, now) = (chrono::Utc::now(), std::time::Instant::now());
    let skew_ms = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let on_time = (at - wall) >= chrono::Duration::zero();
    let start = match (at - wall).to_std() {
        Ok(ahead) => {
            let start = now + ahead;
            let cell = skew_ms.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start.into()).await;
                *cell.lock() = Some(ms_between(at, chrono::Utc::now()));
            });
            start
        }
        Err(_) => {
            *skew_ms.lock() = Some(ms_between(at, wall));
            now
        }
    };
    StartTiming { start, at, tolerance, on_time, skew_ms }
}

fn ms_between(from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>) -> f64 {
    (to - from).num_microseconds().map(|us| us as f64 / 1000.0).unwrap_or(f64::MAX)
}

/// The wall-clock time of a monotonic instant (past or future), as seen now.
pub fn wall_of(instant: std::time::Instant) -> chrono::DateTime<chrono::Utc> {
    let (wall, now) = (chrono::Utc::now(), std::time::Instant::now());
    let chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
    wall + chrono(instant.saturating_duration_since(now)) - chrono(now.saturating_duration_since(instant))
}

/// A shard's record in its report.
pub fn record(
    plan: &LoadPlan,
    scale: &ScaleOptions,
    timing: Option<&StartTiming>,
    window_start: std::time::Instant,
    seconds: &[super::recorder::SecondTally],
) -> crate::report::scale_out::ScaleOut {
    use crate::report::scale_out::{ScaleOut, ShardRun, WallSecond};
    let sharding = plan.shard.as_ref();
    let shard = sharding.map(|s| s.shard).unwrap_or(Shard { index: 1, count: 1 });
    // On time, the window starts at --start-at itself: every shard's seconds then fall on the
    // same wall-clock seconds, whatever the clocks' reading a millisecond apart.
    let start_wall = match timing {
        Some(t) if t.on_time => t.at,
        _ => wall_of(window_start),
    };
    let start_ms = start_wall.timestamp_millis();
    ScaleOut::Shard(ShardRun {
        index: shard.index,
        count: shard.count,
        profile_sha256: scale.profile_sha256.clone(),
        start_at: scale.start_at.map(|a| a.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        start_tolerance_ms: scale.start_tolerance.as_millis() as u64,
        window_start: start_wall.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        window_start_unix_ms: start_ms,
        start_skew_ms: timing.and_then(StartTiming::skew_ms),
        late: timing.is_some_and(StartTiming::late),
        histogram: super::recorder::HISTOGRAM,
        plan: serde_json::to_value(PlanRecord::of(plan)).unwrap_or_default(),
        bank_tran_ids: format!(
            "tag {} + 7 base-36 digits of n×{}+{}",
            sharding.map(|s| s.id_tag.as_str()).unwrap_or("??"),
            shard.count,
            shard.residue()
        ),
        seconds: seconds
            .iter()
            .enumerate()
            .filter(|(_, s)| s.requests > 0)
            .map(|(i, s)| WallSecond {
                unix_s: (start_ms + i as i64 * 1000).div_euclid(1000),
                requests: s.requests,
                errors: s.errors,
                latency: s.latency.buckets(),
            })
            .collect(),
    })
}

/// Applies `--shard` and `--start-at` to `plan` (profile text `text`): the options of the run,
/// or why they do not fit the profile.
pub fn options(
    plan: &mut LoadPlan,
    shard: Option<Shard>,
    start_at: Option<&str>,
    text: &str,
) -> Result<ScaleOptions, String> {
    let now = chrono::Utc::now();
    let start_at = start_at.map(|s| parse_start_at(s, now)).transpose()?;
    if let Some(shard) = shard {
        *plan = apply(plan, shard, id_tag(start_at.unwrap_or(now))).map_err(|e| format!("--shard {shard}: {e}"))?;
    }
    Ok(ScaleOptions { start_at, profile_sha256: sha256_hex(text.as_bytes()), ..ScaleOptions::default() })
}

/// The line a sharded or scheduled run prints before it starts.
pub fn describe(plan: &LoadPlan, scale: &ScaleOptions) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = &plan.shard {
        let what = match &plan.kind {
            ModelKind::Closed { .. } => format!("{} of {} users", plan.kind.max_users(), s.full.max_users()),
            ModelKind::Open { .. } => {
                format!("arrivals n×{}+{} of the whole schedule", s.shard.count, s.shard.residue())
            }
        };
        parts.push(format!("shard {} ({what}, bank_tran_id tag {})", s.shard, s.id_tag));
    }
    if let Some(at) = scale.start_at {
        let wait = (at - chrono::Utc::now()).num_milliseconds() as f64 / 1000.0;
        parts.push(format!("starts at {} (in {wait:.1} s), once the target answers", at.to_rfc3339()));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(text: &str) -> LoadPlan {
        super::super::profile::parse(Path::new("p.yaml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shards_parse_one_based_or_as_a_job_index() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(Shard::parse("index=0/3"), Ok(Shard { index: 1, count: 3 }));
        assert_eq!(Shard::parse("index=2/3"), Ok(Shard { index: 3, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/3", "1/b", "index=3/3", "1/257", "-1/3", ""] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains(&format!("'{bad}'")) && e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn parts_add_up_and_the_remainder_goes_to_the_first_shards() {
        for n in 1..=7u32 {
            for total in [0u64, 1, 6, 7, 64, 1_000_001] {
                let parts: Vec<u64> = (1..=n).map(|k| Shard { index: k, count: n }.part(total)).collect();
                assert_eq!(parts.iter().sum::<u64>(), total, "{total} over {n}");
                assert!(parts.windows(2).all(|w| w[0] >= w[1] && w[0] - w[1] <= 1), "{parts:?}");
            }
        }
    }

    #[test]
    fn a_closed_model_splits_users_stages_ramp_and_max_requests() {
        let p = plan(
            "name: x\nmodel:\n  kind: closed\n  stages: [{ duration: 2s, users: 10 }, { duration: 3s, users: 4 }]\nmax_requests: 1001\nmix: [{ call: user.me }]\n",
        );
        let parts: Vec<LoadPlan> =
            (1..=3).map(|k| apply(&p, Shard { index: k, count: 3 }, "AB".into()).unwrap()).collect();
        let stages: Vec<Vec<u32>> = parts
            .iter()
            .map(|s| match &s.kind {
                ModelKind::Closed { stages, .. } => stages.iter().map(|(_, u)| *u).collect(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(stages, [vec![4, 2], vec![3, 1], vec![3, 1]]);
        let maxes: Vec<u64> = parts.iter().map(|s| s.profile.max_requests.unwrap()).collect();
        assert_eq!(maxes, [334, 334, 333]);
        assert_eq!(PlanRecord::of(&parts[1]), PlanRecord::of(&p), "every shard records the whole run");

        let ramp = plan(
            "name: x\nmodel: { kind: closed, users: 10, duration: 2s, increase_rate: 5 }\nmix: [{ call: user.me }]\n",
        );
        let s = apply(&ramp, Shard { index: 1, count: 3 }, "AB".into()).unwrap();
        assert_eq!(s.kind, ModelKind::Closed { stages: vec![(Duration::from_secs(2), 4)], increase_rate: Some(2.0) });

        let e = apply(&p, Shard { index: 1, count: 5 }, "AB".into()).unwrap_err();
        assert!(e.contains("stage 2 has 4 user(s), fewer than the 5 shards"), "{e}");
        let few =
            plan("name: x\nmodel: { kind: open, rate: 10, duration: 1s }\nmax_requests: 2\nmix: [{ call: user.me }]\n");
        let e = apply(&few, Shard { index: 1, count: 3 }, "AB".into()).unwrap_err();
        assert!(e.contains("max_requests 2 cannot be split across 3 shards"), "{e}");
    }

    #[test]
    fn shards_never_share_an_id_and_stop_at_their_capacity() {
        let spaces: Vec<IdSpace> = (0..3).map(|r| IdSpace { tag: "K3".into(), stride: 3, residue: r }).collect();
        let mut seen = std::collections::HashSet::new();
        for s in &spaces {
            for n in (0..2000).chain(s.capacity() - 5..s.capacity()) {
                let id = s.serial(n).unwrap();
                assert_eq!(id.len(), 9);
                assert!(seen.insert(id.clone()), "{id} twice");
            }
            assert_eq!(s.serial(s.capacity()), None, "no wrap-around");
        }
        assert_eq!(spaces.iter().map(IdSpace::capacity).sum::<u64>(), BODY_SPACE);
        assert_eq!(IdSpace { tag: "AB".into(), stride: 1, residue: 0 }.serial(35).unwrap(), "AB000000Z");
        let tightest = IdSpace { tag: "AB".into(), stride: u64::from(MAX_SHARDS), residue: 255 };
        assert!(tightest.capacity() > 85_000 * 3600, "{}", tightest.capacity());
    }

    #[test]
    fn the_tag_is_the_67_second_slot_of_the_kst_day() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        assert_eq!(id_tag(at("2026-03-01T15:00:00Z")), "00", "KST midnight");
        assert_eq!(id_tag(at("2026-03-01T15:01:06Z")), "00");
        assert_eq!(id_tag(at("2026-03-01T15:01:07Z")), "01");
        assert_eq!(id_tag(at("2026-03-02T14:59:59Z")), "ZT", "slot 1289, the day's last");
    }

    #[test]
    fn start_at_is_rfc3339_and_not_too_far_ahead() {
        let now = chrono::Utc::now();
        assert!(parse_start_at("2026-03-02T10:00:00+09:00", now).is_ok() || now.timestamp() > 0);
        let e = parse_start_at("tomorrow", now).unwrap_err();
        assert!(e.contains("--start-at 'tomorrow'") && e.contains("RFC 3339"), "{e}");
        let far = (now + chrono::Duration::days(3)).to_rfc3339();
        assert!(parse_start_at(&far, now).unwrap_err().contains("more than 24 hours ahead"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
        /// The shards' slots, taken together, are exactly the one-machine schedule: the same
        /// count, the same offsets, and as many due by any point of the window.
        #[test]
        fn the_union_of_the_shards_schedules_is_the_one_machine_schedule(
            stages in proptest::collection::vec((1u64..3000, 0.5f64..2000.0), 1..4),
            n in 1u32..8,
        ) {
            use super::super::engine::Schedule;
            let stages: Vec<(Duration, f64)> = stages.iter().map(|(ms, r)| (Duration::from_millis(*ms), *r)).collect();
            let whole = Schedule::new(&stages);
            let all: Vec<Duration> = (0..whole.total).map(|k| whole.offset(k).unwrap()).collect();
            proptest::prop_assert_eq!(whole.offset(whole.total), None);
            let shards: Vec<Schedule> =
                (0..n).map(|r| Schedule::sharded(&stages, u64::from(n), u64::from(r))).collect();
            let mut union: Vec<Duration> = Vec::new();
            for s in &shards {
                proptest::prop_assert_eq!(s.offset(s.total), None);
                union.extend((0..s.total).map(|k| s.offset(k).unwrap()));
            }
            union.sort();
            proptest::prop_assert_eq!(&union, &all);
            for k in 0..whole.total.min(50) {
                let s = &shards[(k % u64::from(n)) as usize];
                proptest::prop_assert_eq!(s.offset(k / u64::from(n)), whole.offset(k), "slot {} is shard {}'s", k, k % u64::from(n));
            }
            let end: Duration = stages.iter().map(|(d, _)| *d).sum();
            for w in [Duration::ZERO, end / 3, end / 2, end, end * 2] {
                let due: u64 = shards.iter().map(|s| s.due_before(w)).sum();
                proptest::prop_assert_eq!(due, whole.due_before(w));
            }
        }
    }

    #[test]
    fn the_digest_is_sha256() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn plan_records_round_trip_without_rounding() {
        let p = plan(
            "name: x\nmodel: { kind: open, rate: 333.3, duration: 1.5s }\nmix: [{ call: user.me }]\nthresholds:\n  - { api: user.me, p99: 0.7ms }\n  - { error_rate: 0.5% }\n  - { rsp_code: A0000, share_at_least: 99.5% }\n",
        );
        let r = PlanRecord::of(&p);
        let back: PlanRecord = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.kind(), p.kind);
        assert_eq!(back.duration(), p.duration);
        let t = back.thresholds().unwrap();
        assert_eq!(t[0].p99, p.profile.thresholds[0].p99);
        assert_eq!(t[0].api, p.profile.thresholds[0].api);
        assert_eq!(t[2].share_at_least, p.profile.thresholds[2].share_at_least);
    }
}
