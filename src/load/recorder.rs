//! Latency recording: every request goes into its user's own HDR histogram per API (no
//! shared lock per request); when it moves on to another second, and at least once a second,
//! each user flushes into the run's aggregate. The aggregate keeps the run's totals per API
//! (live progress, `abort_on_breach`, the final statistics) and, per second, each API's full
//! HDR histogram, the users that sent and the time requests spent in flight: the per-second
//! samples the charts draw and a baseline comparison judges noise by.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use parking_lot::Mutex;

use crate::report::model::{ApiSecond, ApiStats, LATENCY_RANGES, SecondStats};

/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(HISTOGRAM.lowest, HISTOGRAM.highest, HISTOGRAM.significant_figures)
        .expect("valid histogram bounds")
}

/// The settings of every latency histogram (a merge of shards refuses others).
pub const HISTOGRAM: crate::report::scale_out::HistogramSettings =
    crate::report::scale_out::HistogramSettings { lowest: 1, highest: 600_000_000, significant_figures: 3 };

/// Buckets of a coarse log histogram: ratio 2^(1/4) (~19 %) from 1 µs to ~10 minutes.
const COARSE_BUCKETS: usize = 120;

/// A small fixed-size histogram for per-second percentiles (charts, not verdicts).
#[derive(Debug, Clone)]
pub struct CoarseHist {
    counts: Box<[u32; COARSE_BUCKETS]>,
    total: u64,
}

impl Default for CoarseHist {
    fn default() -> Self {
        CoarseHist { counts: Box::new([0; COARSE_BUCKETS]), total: 0 }
    }
}

impl CoarseHist {
    fn bucket(us: u64) -> usize {
        let b = ((us.max(1) as f64).log2() * 4.0).floor() as usize;
        b.min(COARSE_BUCKETS - 1)
    }

    pub fn record(&mut self, us: u64) {
        self.counts[Self::bucket(us)] += 1;
        self.total += 1;
    }

    pub fn add(&mut self, other: &CoarseHist) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
    }

    /// The non-empty buckets, (bucket, count): what a shard's JSON carries per second.
    pub fn buckets(&self) -> Vec<(u16, u32)> {
        self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i as u16, *c)).collect()
    }

    /// Adds buckets written by [`CoarseHist::buckets`]; `false` when one is out of range.
    pub fn add_buckets(&mut self, buckets: &[(u16, u32)]) -> bool {
        for (i, c) in buckets {
            let Some(slot) = self.counts.get_mut(usize::from(*i)) else { return false };
            *slot = slot.saturating_add(*c);
            self.total += u64::from(*c);
        }
        true
    }

    /// The upper edge of the bucket holding quantile `q`.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return 2f64.powf((i + 1) as f64 / 4.0).round() as u64;
            }
        }
        0
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Answered with an expected rsp_code: its latency is recorded.
    Good,
    /// Answered, but not with an expected rsp_code (A0004, a 500, …): counted, no latency.
    Refused,
    /// No answer (connection refused or reset, timeout, unreadable body): counted, no latency.
    Failed,
}

/// One API's numbers, as a user or the aggregate holds them. Only good answers enter the
/// latency histogram: a refused or failed request is fast and proves nothing about latency.
#[derive(Debug, Clone)]
pub struct ApiTally {
    pub hist: Histogram<u64>,
    pub refused: u64,
    pub failed: u64,
    pub codes: BTreeMap<String, u64>,
}

impl Default for ApiTally {
    fn default() -> Self {
        ApiTally { hist: new_histogram(), refused: 0, failed: 0, codes: BTreeMap::new() }
    }
}

impl ApiTally {
    /// Adds another tally's counts into this one.
    pub fn add(&mut self, other: &ApiTally) {
        if !other.hist.is_empty() {
            let _ = self.hist.add(&other.hist);
        }
        self.refused += other.refused;
        self.failed += other.failed;
        for (k, v) in &other.codes {
            *self.codes.entry(k.clone()).or_default() += v;
        }
    }

    /// Requests in all: good, refused and failed.
    pub fn count(&self) -> u64 {
        self.hist.len() + self.refused + self.failed
    }

    /// Refused and failed requests.
    pub fn errors(&self) -> u64 {
        self.refused + self.failed
    }

    fn clear(&mut self) {
        if !self.hist.is_empty() {
            self.hist.reset();
        }
        self.refused = 0;
        self.failed = 0;
        self.codes.clear();
    }
}

/// One second's full latency histogram of one mix entry: dense while the second is being
/// written, packed (HdrHistogram V2, a few hundred bytes) once the run has moved on, so an
/// hour's run holds a few dense histograms, not thousands. A late answer to a packed second
/// unpacks it again.
#[derive(Debug, Clone, Default)]
pub enum SecondHist {
    #[default]
    Empty,
    Dense(Box<Histogram<u64>>),
    Packed(Vec<u8>),
}

impl SecondHist {
    fn dense(&mut self) -> &mut Histogram<u64> {
        if !matches!(self, SecondHist::Dense(_)) {
            let h = match self {
                SecondHist::Packed(bytes) => deserialize(bytes).unwrap_or_else(new_histogram),
                _ => new_histogram(),
            };
            *self = SecondHist::Dense(Box::new(h));
        }
        match self {
            SecondHist::Dense(h) => h,
            _ => unreachable!("made dense above"),
        }
    }

    /// Adds `h` (nothing when it is empty).
    pub fn add(&mut self, h: &Histogram<u64>) {
        if !h.is_empty() {
            let _ = self.dense().add(h);
        }
    }

    fn pack(&mut self) {
        if let SecondHist::Dense(h) = self {
            let mut buf = Vec::new();
            *self = match V2Serializer::new().serialize(h, &mut buf) {
                Ok(_) => SecondHist::Packed(buf),
                // (Cannot happen with a Vec; keep the data rather than lose it.)
                Err(_) => return,
            };
        }
    }

    /// Adds this second's histogram into `into`.
    pub fn add_to(&self, into: &mut Histogram<u64>) {
        match self {
            SecondHist::Empty => {}
            SecondHist::Dense(h) => {
                let _ = into.add(h.as_ref());
            }
            SecondHist::Packed(bytes) => {
                if let Some(h) = deserialize(bytes) {
                    let _ = into.add(&h);
                }
            }
        }
    }
}

fn deserialize(bytes: &[u8]) -> Option<Histogram<u64>> {
    hdrhistogram::serialization::Deserializer::new().deserialize(&mut &bytes[..]).ok()
}

/// One mix entry's part of one second.
#[derive(Debug, Clone, Default)]
pub struct SecondApi {
    /// Requests meant to start in the second: good, refused and failed.
    pub requests: u64,
    pub errors: u64,
    pub hist: SecondHist,
}

/// One second of the measured window, all users together.
#[derive(Debug, Clone, Default)]
pub struct SecondTally {
    pub requests: u64,
    pub errors: u64,
    /// All APIs, coarse: the live progress line and a shard's per-second buckets.
    pub latency: CoarseHist,
    /// Per mix entry (may be shorter than the mix: entries with nothing yet).
    pub apis: Vec<SecondApi>,
    /// Users that started a request in this second.
    pub users: u32,
    /// Time requests were in flight during this second, summed over requests (µs): the mean
    /// number in flight is this over the second's length.
    pub busy_us: u64,
}

/// How many of the latest seconds stay dense (the rest are packed).
const DENSE_SECONDS: usize = 3;

/// The run's aggregate, behind one lock taken about once a second per user.
#[derive(Debug)]
pub struct Aggregate {
    pub start: Instant,
    /// The run's totals per mix entry.
    pub apis: Vec<ApiTally>,
    pub seconds: Vec<SecondTally>,
    /// Seconds with a dense histogram.
    dense: Vec<usize>,
    latest: usize,
}

impl Aggregate {
    pub fn new(start: Instant, apis: usize) -> Aggregate {
        Aggregate { start, apis: vec![ApiTally::default(); apis], seconds: Vec::new(), dense: Vec::new(), latest: 0 }
    }

    pub fn total(&self) -> (u64, u64) {
        self.apis.iter().fold((0, 0), |(n, e), a| (n + a.count(), e + a.errors()))
    }

    /// All APIs merged.
    pub fn overall(&self) -> ApiTally {
        let mut all = ApiTally::default();
        for a in &self.apis {
            all.add(a);
        }
        all
    }

    fn slot(&mut self, s: usize) -> &mut SecondTally {
        if self.seconds.len() <= s {
            self.seconds.resize(s + 1, SecondTally::default());
        }
        &mut self.seconds[s]
    }

    /// Packs the histograms of seconds the run has moved on from.
    fn compact(&mut self, touched: usize) {
        if !self.dense.contains(&touched) {
            self.dense.push(touched);
        }
        self.latest = self.latest.max(touched);
        let (latest, seconds) = (self.latest, &mut self.seconds);
        self.dense.retain(|&s| {
            if s + DENSE_SECONDS <= latest {
                for a in &mut seconds[s].apis {
                    a.hist.pack();
                }
                false
            } else {
                true
            }
        });
    }

    /// How many seconds hold a dense histogram (tests).
    pub fn dense_seconds(&self) -> usize {
        self.seconds.iter().filter(|s| s.apis.iter().any(|a| matches!(a.hist, SecondHist::Dense(_)))).count()
    }
}

/// A user's own tallies of the second it is in, flushed into the aggregate when it moves on to
/// another second, and at least once a second.
#[derive(Clone)]
pub struct UserRecorder {
    apis: Vec<ApiTally>,
    /// The measured window's last second.
    last_second: u32,
    second: Option<u32>,
    current: SecondTally,
    /// The last second this user was counted in (`SecondTally::users`).
    counted: Option<u32>,
    /// Time in flight per second, not yet flushed: (second, µs).
    busy: Vec<(u32, u64)>,
    last_flush: Instant,
    start: Instant,
}

/// How often users flush into the aggregate.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

impl UserRecorder {
    pub fn new(start: Instant, apis: usize, window: Duration) -> UserRecorder {
        UserRecorder {
            apis: vec![ApiTally::default(); apis],
            last_second: (window.as_secs_f64().ceil() as u32).saturating_sub(1),
            second: None,
            current: SecondTally::default(),
            counted: None,
            busy: Vec::new(),
            last_flush: Instant::now(),
            start,
        }
    }

    /// Records one request of API `api` (index in the mix's API list) intended to start at
    /// `intended`, finishing at `done`, that ended as `ending` with `code` (`none` without
    /// an answer). The request counts in the second it was meant to start in, clamped to
    /// the measured window's last second.
    pub fn record(
        &mut self,
        agg: &Mutex<Aggregate>,
        api: usize,
        intended: Instant,
        done: Instant,
        code: &str,
        ending: Ending,
    ) {
        let second = (intended.saturating_duration_since(self.start).as_secs() as u32).min(self.last_second);
        if self.second != Some(second) {
            self.flush_second(agg);
            self.second = Some(second);
        }
        let us = done.saturating_duration_since(intended).as_micros().min(u128::from(u64::MAX)) as u64;
        let tally = &mut self.apis[api];
        match ending {
            Ending::Good => tally.hist.saturating_record(us.max(1)),
            Ending::Refused => tally.refused += 1,
            Ending::Failed => tally.failed += 1,
        }
        match tally.codes.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                tally.codes.insert(code.to_string(), 1);
            }
        }
        self.current.requests += 1;
        if ending == Ending::Good {
            self.current.latency.record(us);
        } else {
            self.current.errors += 1;
        }
        self.add_busy(intended, done);
        if done.duration_since(self.last_flush) >= FLUSH_EVERY {
            self.flush(agg);
        }
    }

    /// Spreads the time from `intended` to `done` over the seconds it overlaps (within the
    /// window).
    fn add_busy(&mut self, intended: Instant, done: Instant) {
        let end_of_window = (u64::from(self.last_second) + 1) * 1_000_000;
        let micros = |t: Instant| (t.saturating_duration_since(self.start).as_micros() as u64).min(end_of_window);
        let (mut at, to) = (micros(intended), micros(done));
        while at < to {
            let s = at / 1_000_000;
            let edge = ((s + 1) * 1_000_000).min(to);
            let s = s as u32;
            match self.busy.iter_mut().rev().find(|(b, _)| *b == s) {
                Some((_, us)) => *us += edge - at,
                None => self.busy.push((s, edge - at)),
            }
            at = edge;
        }
    }

    fn flush_second(&mut self, agg: &Mutex<Aggregate>) {
        let Some(s) = self.second else { return };
        if self.current.requests == 0 && self.busy.is_empty() {
            return;
        }
        let mut a = agg.lock();
        let at = s as usize;
        if self.current.requests > 0 {
            let count_me = self.counted != Some(s);
            let slot = a.slot(at);
            slot.requests += self.current.requests;
            slot.errors += self.current.errors;
            slot.latency.add(&self.current.latency);
            if count_me {
                slot.users += 1;
            }
            if slot.apis.len() < self.apis.len() {
                slot.apis.resize(self.apis.len(), SecondApi::default());
            }
            for (mine, theirs) in self.apis.iter().zip(slot.apis.iter_mut()) {
                if mine.count() > 0 {
                    theirs.requests += mine.count();
                    theirs.errors += mine.errors();
                    theirs.hist.add(&mine.hist);
                }
            }
            for (mine, total) in self.apis.iter_mut().zip(a.apis.iter_mut()) {
                if mine.count() > 0 {
                    total.add(mine);
                    mine.clear();
                }
            }
            a.compact(at);
            self.counted = Some(s);
        }
        for (b, us) in self.busy.drain(..) {
            a.slot(b as usize).busy_us += us;
        }
        drop(a);
        self.current = SecondTally::default();
    }

    /// Moves everything recorded so far into the aggregate.
    pub fn flush(&mut self, agg: &Mutex<Aggregate>) {
        self.flush_second(agg);
        self.second = None;
        self.last_flush = Instant::now();
    }
}

/// Serialises a histogram (HdrHistogram V2, base64) for the JSON model and baselines.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    match V2Serializer::new().serialize(h, &mut buf) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(buf),
        Err(_) => String::new(),
    }
}

/// Reads a histogram written by [`encode`].
pub fn decode(s: &str) -> Option<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    hdrhistogram::serialization::Deserializer::new().deserialize(&mut bytes.as_slice()).ok()
}

/// Serialises a histogram compactly (HdrHistogram V2 with deflate, base64): the per-second
/// samples. [`decode`] reads it.
pub fn encode_compact(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    match hdrhistogram::serialization::V2DeflateSerializer::new().serialize(h, &mut buf) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(buf),
        Err(_) => encode(h),
    }
}

/// Good answers by latency range ([`LATENCY_RANGES`]), by HDR bucket.
pub fn latency_ranges(h: &Histogram<u64>) -> Vec<u64> {
    let mut out = vec![0; LATENCY_RANGES.len()];
    if h.is_empty() {
        return out;
    }
    for v in h.iter_recorded() {
        let us = h.lowest_equivalent(v.value_iterated_to());
        let at = LATENCY_RANGES.iter().position(|(_, upper)| upper.is_none_or(|u| us < u)).unwrap_or(0);
        out[at] += v.count_at_value();
    }
    out
}

/// The report's statistics of one tally over a window (its per-second samples are added by
/// [`samples`]).
pub fn stats(name: &str, t: &ApiTally, window: Duration) -> ApiStats {
    let h = &t.hist;
    let q = |p: f64| if h.is_empty() { 0 } else { h.value_at_quantile(p) };
    let percentiles = [0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0]
        .into_iter()
        .filter(|_| !h.is_empty())
        .map(|p| (p, q(p / 100.0)))
        .collect();
    let secs = window.as_secs_f64();
    ApiStats {
        api: name.to_string(),
        count: t.count(),
        errors: t.errors(),
        refused: t.refused,
        failed: t.failed,
        rate: if secs > 0.0 { t.count() as f64 / secs } else { 0.0 },
        mean_us: if h.is_empty() { 0.0 } else { h.mean() },
        p50_us: q(0.50),
        p90_us: q(0.90),
        p95_us: q(0.95),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: if h.is_empty() { 0 } else { h.max() },
        rsp_codes: t.codes.clone(),
        percentiles,
        histogram: encode(h),
        min_us: if h.is_empty() { 0 } else { h.min() },
        stddev_us: if h.is_empty() { 0.0 } else { h.stdev() },
        latency_ranges: latency_ranges(h),
        seconds: Vec::new(),
    }
}

/// How much of second `s` a window of `window_ms` covers (ms).
pub fn covered_ms(s: usize, window_ms: u64) -> u32 {
    window_ms.saturating_sub(s as u64 * 1000).min(1000) as u32
}

/// One second's sample of a merged histogram.
pub fn api_second(second: u32, covered_ms: u32, requests: u64, errors: u64, h: &Histogram<u64>) -> ApiSecond {
    let q = |p: f64| if h.is_empty() { 0 } else { h.value_at_quantile(p) };
    ApiSecond {
        second,
        covered_ms,
        requests,
        errors,
        p50_us: q(0.50),
        p95_us: q(0.95),
        p99_us: q(0.99),
        histogram: if h.is_empty() { String::new() } else { encode_compact(h) },
    }
}

/// The per-second samples of a run: per group of mix entries (the entries that call one API),
/// all APIs together, and the timeline (with users and requests in flight). Every second of the
/// window is there, seconds without a request included.
pub struct Samples {
    pub apis: Vec<Vec<ApiSecond>>,
    pub overall: Vec<ApiSecond>,
    pub timeline: Vec<SecondStats>,
}

pub fn samples(seconds: &[SecondTally], groups: &[Vec<usize>], window: Duration) -> Samples {
    let window_ms = window.as_millis() as u64;
    let n = seconds.len().max(window_ms.div_ceil(1000) as usize);
    let empty = SecondTally::default();
    let mut out =
        Samples { apis: vec![Vec::with_capacity(n); groups.len()], overall: Vec::new(), timeline: Vec::new() };
    let mut scratch = new_histogram();
    let mut all = new_histogram();
    for at in 0..n {
        let slot = seconds.get(at).unwrap_or(&empty);
        let covered = covered_ms(at, window_ms);
        all.reset();
        let (mut requests, mut errors) = (0, 0);
        for (group, out) in groups.iter().zip(out.apis.iter_mut()) {
            scratch.reset();
            let (mut r, mut e) = (0, 0);
            for part in group.iter().filter_map(|i| slot.apis.get(*i)) {
                part.hist.add_to(&mut scratch);
                r += part.requests;
                e += part.errors;
            }
            if !scratch.is_empty() {
                let _ = all.add(&scratch);
            }
            requests += r;
            errors += e;
            out.push(api_second(at as u32, covered, r, e, &scratch));
        }
        let overall = api_second(at as u32, covered, requests, errors, &all);
        out.timeline.push(SecondStats {
            second: at as u32,
            covered_ms: covered,
            requests,
            errors,
            p50_us: overall.p50_us,
            p95_us: overall.p95_us,
            p99_us: overall.p99_us,
            users: slot.users,
            in_flight: if covered > 0 { slot.busy_us as f64 / (f64::from(covered) * 1000.0) } else { 0.0 },
        });
        out.overall.push(overall);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_flush_into_the_aggregate_and_nothing_is_lost() {
        let start = Instant::now();
        let agg = Mutex::new(Aggregate::new(start, 2));
        let mut a = UserRecorder::new(start, 2, Duration::from_secs(2));
        let mut b = UserRecorder::new(start, 2, Duration::from_secs(2));
        for i in 0..1000u64 {
            let at = start + Duration::from_millis(i);
            a.record(&agg, 0, at, at + Duration::from_micros(100 + i), "A0000", Ending::Good);
            let at = start + Duration::from_millis(i * 2);
            let (code, ending) = if i % 10 == 0 { ("A0007", Ending::Refused) } else { ("A0000", Ending::Good) };
            b.record(&agg, 1, at, at + Duration::from_millis(20), code, ending);
        }
        a.flush(&agg);
        b.flush(&agg);
        let agg = agg.lock();
        assert_eq!(agg.total(), (2000, 100));
        assert_eq!(agg.apis[1].codes["A0007"], 100);
        let s = stats("x", &agg.apis[1], Duration::from_secs(2));
        assert!((19_900..=20_100).contains(&s.p50_us), "{}", s.p50_us);
        assert_eq!(s.rate, 500.0);
        assert_eq!((s.count, s.refused, s.failed), (1000, 100, 0));
        assert_eq!(agg.apis[1].hist.len(), 900, "refused answers have no latency");
        let seconds: u64 = agg.seconds.iter().map(|s| s.requests).sum();
        assert_eq!(seconds, 2000, "every request lands in exactly one second");
        assert_eq!(agg.seconds.len(), 2);
    }

    #[test]
    fn failed_requests_never_enter_the_histogram_and_late_ones_stay_in_the_window() {
        let start = Instant::now();
        let agg = Mutex::new(Aggregate::new(start, 1));
        let mut u = UserRecorder::new(start, 1, Duration::from_secs(3));
        for i in 0..100u64 {
            let at = start + Duration::from_millis(i * 35);
            u.record(&agg, 0, at, at + Duration::from_micros(50), "none", Ending::Failed);
        }
        u.flush(&agg);
        let agg = agg.lock();
        let s = stats("x", &agg.apis[0], Duration::from_secs(3));
        assert_eq!((s.count, s.errors, s.failed), (100, 100, 100));
        assert_eq!((s.p99_us, s.max_us), (0, 0), "no latency from failed connections");
        assert_eq!(agg.seconds.len(), 3, "a request meant to start at 3.465 s counts in the last second");
    }

    #[test]
    fn histograms_round_trip_through_base64() {
        let mut h = new_histogram();
        for v in [1, 10, 100, 1000, 1_000_000] {
            h.record(v).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), 5);
        assert_eq!(back.max(), h.max());
    }

    #[test]
    fn each_second_keeps_every_apis_full_histogram() {
        let start = Instant::now();
        let window = Duration::from_millis(3500);
        let agg = Mutex::new(Aggregate::new(start, 3));
        let mut users: Vec<UserRecorder> = (0..4).map(|_| UserRecorder::new(start, 3, window)).collect();
        // 3.5 s: entry 0 (and 2, the same API in another mix entry) 1 ms + the second, entry 1
        // 10 ms; every 10 ms, by four users in turn. Entry 2 refuses every fifth.
        for i in 0..350u64 {
            let at = start + Duration::from_millis(i * 10);
            let user = &mut users[(i % 4) as usize];
            let s = i / 100;
            user.record(&agg, 0, at, at + Duration::from_micros(1000 + s * 1000 + i % 7), "A0000", Ending::Good);
            user.record(&agg, 1, at, at + Duration::from_micros(10_000 + i % 13), "A0000", Ending::Good);
            let (code, ending) = if i % 5 == 0 { ("A0007", Ending::Refused) } else { ("A0000", Ending::Good) };
            user.record(&agg, 2, at, at + Duration::from_micros(1000 + s * 1000), code, ending);
        }
        for u in &mut users {
            u.flush(&agg);
        }
        let agg = agg.lock();
        assert!(agg.dense_seconds() <= DENSE_SECONDS, "older seconds are packed: {}", agg.dense_seconds());
        let s = samples(&agg.seconds, &[vec![0, 2], vec![1]], window);
        assert_eq!(s.timeline.len(), 4);
        assert_eq!(s.timeline.iter().map(|t| t.covered_ms).collect::<Vec<_>>(), [1000, 1000, 1000, 500]);
        assert_eq!(s.timeline.iter().map(|t| t.requests).sum::<u64>(), 350 * 3);
        assert_eq!(s.timeline[0].users, 4, "four users sent in second 0");
        // Full precision: second 2's p50 of the first API is 3 ms (± one HDR bucket), not a
        // ~19 % step.
        let first = &s.apis[0];
        assert_eq!(first[2].requests, 200);
        assert_eq!(first[2].errors, 20);
        assert!((2998..=3010).contains(&first[2].p50_us), "{}", first[2].p50_us);
        assert!((1998..=2010).contains(&first[1].p50_us), "{}", first[1].p50_us);
        let h = decode(&first[2].histogram).expect("a V2 deflate histogram");
        assert_eq!(h.len(), 180, "good answers only");
        assert!((10_000..=10_020).contains(&s.apis[1][0].p99_us));
        // All APIs together, per second: the three entries' histograms added.
        assert_eq!(decode(&s.overall[0].histogram).unwrap().len(), 100 + 100 + 80);
        assert_eq!(s.timeline[0].p50_us, s.overall[0].p50_us);
        // In flight: each 10 ms, requests of 1 + 10 + 1 ms (second 0): 1.2 on average.
        assert!((1.15..=1.25).contains(&s.timeline[0].in_flight), "{}", s.timeline[0].in_flight);
        // The run's totals agree with the seconds.
        assert_eq!(agg.apis[0].count(), 350);
        assert_eq!(agg.apis[2].refused, 70);
    }

    #[test]
    fn a_late_answer_unpacks_its_second() {
        let start = Instant::now();
        let window = Duration::from_secs(10);
        let agg = Mutex::new(Aggregate::new(start, 1));
        let mut fast = UserRecorder::new(start, 1, window);
        let mut slow = UserRecorder::new(start, 1, window);
        for s in 0..10u64 {
            let at = start + Duration::from_secs(s);
            fast.record(&agg, 0, at, at + Duration::from_millis(1), "A0000", Ending::Good);
            fast.flush(&agg);
        }
        // A request meant for second 1, answered after 8 s.
        let at = start + Duration::from_secs(1);
        slow.record(&agg, 0, at, at + Duration::from_secs(8), "A0000", Ending::Good);
        slow.flush(&agg);
        let agg = agg.lock();
        let s = samples(&agg.seconds, &[vec![0]], window);
        assert_eq!(s.apis[0][1].requests, 2);
        assert!(s.apis[0][1].p99_us >= 8_000_000, "{}", s.apis[0][1].p99_us);
        // It was in flight for seconds 1 to 8.
        assert!(s.timeline[5].in_flight >= 1.0, "{:?}", s.timeline[5]);
    }

    #[test]
    fn latency_ranges_stddev_and_min() {
        let mut t = ApiTally::default();
        for us in [5_000, 9_000, 12_000, 60_000, 200_000, 700_000] {
            t.hist.record(us).unwrap();
        }
        let s = stats("x", &t, Duration::from_secs(1));
        assert_eq!(s.latency_ranges, [2, 1, 1, 1, 1]);
        assert!((4_990..=5_000).contains(&s.min_us), "{}", s.min_us);
        assert!(s.stddev_us > 200_000.0, "{}", s.stddev_us);
    }

    #[test]
    fn coarse_quantiles_are_within_a_bucket() {
        let mut c = CoarseHist::default();
        for us in 1..=1000 {
            c.record(us);
        }
        let p50 = c.quantile(0.5);
        assert!((500..=650).contains(&p50), "{p50}");
        assert_eq!(CoarseHist::default().quantile(0.99), 0);
    }
}
