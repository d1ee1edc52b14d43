//! Latency recording: every request goes into its user's own HDR histogram per API (no
//! shared lock per request); once a second each user flushes into the run's aggregate,
//! which feeds live progress, `abort_on_breach`, and the final per-API statistics.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use parking_lot::Mutex;

use crate::report::model::{ApiStats, SecondStats};

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
        let _ = self.hist.add(&other.hist);
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
        self.hist.reset();
        self.refused = 0;
        self.failed = 0;
        self.codes.clear();
    }
}

#[derive(Debug, Clone, Default)]
pub struct SecondTally {
    pub requests: u64,
    pub errors: u64,
    pub latency: CoarseHist,
}

/// The run's aggregate, behind one lock taken once a second per user.
#[derive(Debug)]
pub struct Aggregate {
    pub start: Instant,
    pub apis: Vec<ApiTally>,
    pub seconds: Vec<SecondTally>,
}

impl Aggregate {
    pub fn new(start: Instant, apis: usize) -> Aggregate {
        Aggregate { start, apis: vec![ApiTally::default(); apis], seconds: Vec::new() }
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
}

/// A user's own tallies, flushed into the aggregate once a second.
#[derive(Clone)]
pub struct UserRecorder {
    apis: Vec<ApiTally>,
    /// The measured window's last second.
    last_second: u32,
    second: Option<u32>,
    current: SecondTally,
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
        let second = (intended.saturating_duration_since(self.start).as_secs() as u32).min(self.last_second);
        if self.second != Some(second) {
            self.flush_second(agg);
            self.second = Some(second);
        }
        self.current.requests += 1;
        if ending == Ending::Good {
            self.current.latency.record(us);
        } else {
            self.current.errors += 1;
        }
        if done.duration_since(self.last_flush) >= FLUSH_EVERY {
            self.flush(agg);
        }
    }

    fn flush_second(&mut self, agg: &Mutex<Aggregate>) {
        let Some(s) = self.second else { return };
        if self.current.requests == 0 {
            return;
        }
        let mut a = agg.lock();
        let s = s as usize;
        if a.seconds.len() <= s {
            a.seconds.resize(s + 1, SecondTally::default());
        }
        let slot = &mut a.seconds[s];
        slot.requests += self.current.requests;
        slot.errors += self.current.errors;
        slot.latency.add(&self.current.latency);
        drop(a);
        self.current = SecondTally::default();
    }

    /// Moves everything recorded so far into the aggregate.
    pub fn flush(&mut self, agg: &Mutex<Aggregate>) {
        self.flush_second(agg);
        self.second = None;
        let mut a = agg.lock();
        for (mine, theirs) in self.apis.iter_mut().zip(a.apis.iter_mut()) {
            theirs.add(mine);
            mine.clear();
        }
        drop(a);
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

/// The report's statistics of one tally over a window.
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
    }
}

/// The per-second timeline.
pub fn timeline(seconds: &[SecondTally]) -> Vec<SecondStats> {
    seconds
        .iter()
        .enumerate()
        .map(|(i, s)| SecondStats {
            second: i as u32,
            requests: s.requests,
            errors: s.errors,
            p50_us: s.latency.quantile(0.50),
            p99_us: s.latency.quantile(0.99),
        })
        .collect()
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
