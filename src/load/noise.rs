//! Is a change between two runs real, or noise? A bootstrap over the runs' whole seconds.
//!
//! The figures judged are the ones the report shows: an API's p95 and p99 (of all its good
//! answers, from one HDR histogram) and its throughput. Each resample draws the run's seconds
//! with replacement, adds the drawn seconds' histograms and takes p95, p99 and requests per
//! second of that sum; done for both runs, [`RESAMPLES`] times, this gives the distribution of
//! the change between them, and its 5th and 95th percentiles the 90 % interval the reports print
//! ("within noise (±x %)" is half its width).
//!
//! Why a bootstrap rather than Mann-Whitney on per-second values: it judges the run's own p99,
//! not a proxy (the median second's p99, which a rank test would compare); it needs no
//! assumption about how seconds vary; it gives an interval, not just a p-value; and it still
//! says something of short runs, where a rank test of 3 seconds against 3 can never reach
//! p < 0.05.
//!
//! The unit drawn is the second, not the request: requests of one second share the machine's
//! state (a garbage collection, a neighbour's burst), so resampling requests would take a slow
//! second for many independent slow requests and call every such run a regression. A run
//! longer than [`MAX_BLOCKS`] seconds is cut into that many blocks of consecutive seconds,
//! which keeps slow drifts inside a block. Only whole seconds count (the last second of a run
//! cut short is left out); at least [`MIN_SECONDS`] in each run.
//!
//! Deterministic: the generator is SplitMix64 seeded with [`SEED`] and the API's name, so the
//! same two files always give the same verdict.

use hdrhistogram::Histogram;

use crate::report::model::ApiSecond;

/// Resamples per comparison.
pub const RESAMPLES: usize = 1000;
/// The seed of every comparison (mixed with the API's name).
pub const SEED: u64 = 0x0b4a_4e55_2026_0013;
/// Fewest whole seconds each run needs for its noise to be judged.
pub const MIN_SECONDS: usize = 3;
/// Most blocks a run is cut into.
pub const MAX_BLOCKS: usize = 60;
/// The interval's nominal coverage: 90 %, so its low end is a one-sided 95 % bound. The
/// percentiles actually taken are widened for small samples (see [`expanded_tail`]).
pub const INTERVAL: f64 = 0.90;

/// One-sided 95 % quantiles of Student's t for 1 to 30 degrees of freedom.
const T95: [f64; 30] = [
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746,
    1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
];

/// The standard normal distribution function (Abramowitz and Stegun 7.1.26, error < 1.5e-7).
fn normal_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-(x * x) / 2.0).exp();
    if x >= 0.0 { (1.0 + erf) / 2.0 } else { (1.0 - erf) / 2.0 }
}

/// The tail to cut from each end of the bootstrap distribution for a 90 % interval from `n`
/// blocks: the percentile bootstrap's intervals are too narrow in small samples (its spread
/// is that of a sample of n, without the n − 1 and without Student's t), so this takes
/// Hesterberg's expanded percentile interval, `Φ(−√(n/(n−1)) · t(0.95, n−1))`: 3.8 % a side
/// for 20 blocks, 2.7 % for 10, 0.02 % for 3, 4.6 % for 60 (against 5 %).
pub fn expanded_tail(n: usize) -> f64 {
    let n = n.max(2);
    let df = n - 1;
    let t = T95.get(df - 1).copied().unwrap_or_else(|| {
        let z = 1.644_853_6;
        z + (z * z * z + z) / (4.0 * df as f64)
    });
    normal_cdf(-(n as f64 / df as f64).sqrt() * t)
}

/// SplitMix64: small, fast, and the same on every platform and version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The seed of a comparison of API `api` (FNV-1a of its name, mixed into [`SEED`]).
pub fn seed_for(api: &str) -> u64 {
    api.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)) ^ SEED
}

/// A block of consecutive whole seconds of one run.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub seconds: u32,
    pub requests: u64,
    /// (latency µs, count) of its good answers, by value.
    pub latencies: Vec<(u64, u64)>,
}

/// One run's samples of one API.
#[derive(Debug, Clone, Default)]
pub struct RunSamples {
    pub blocks: Vec<Block>,
    /// Whole seconds.
    pub seconds: usize,
}

impl RunSamples {
    /// The whole seconds of `seconds`, their histograms read, cut into at most [`MAX_BLOCKS`]
    /// blocks. An error names a second whose histogram cannot be read.
    pub fn of(seconds: &[ApiSecond]) -> Result<RunSamples, String> {
        let whole: Vec<&ApiSecond> = seconds.iter().filter(|s| s.covered_ms >= 1000).collect();
        let n = whole.len();
        let b = n.min(MAX_BLOCKS);
        let mut blocks = Vec::with_capacity(b);
        for k in 0..b {
            let mut hist: Option<Histogram<u64>> = None;
            let mut block = Block::default();
            for s in &whole[k * n / b..(k + 1) * n / b] {
                block.seconds += 1;
                block.requests += s.requests;
                if s.histogram.is_empty() {
                    continue;
                }
                let h = super::recorder::decode(&s.histogram)
                    .ok_or_else(|| format!("second {}: the histogram is not a base64 HdrHistogram", s.second))?;
                match &mut hist {
                    Some(sum) => sum.add(&h).map_err(|e| format!("second {}: {e}", s.second))?,
                    None => hist = Some(h),
                }
            }
            if let Some(h) = hist {
                block.latencies = h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect();
            }
            blocks.push(block);
        }
        Ok(RunSamples { blocks, seconds: n })
    }

    /// Samples of synthetic seconds, each its request count and good answers' latencies (µs),
    /// one block a second: for tests.
    pub fn synthetic(seconds: &[(u64, Vec<u64>)]) -> RunSamples {
        let blocks = seconds
            .iter()
            .map(|(requests, latencies)| {
                let mut sorted = latencies.clone();
                sorted.sort_unstable();
                let mut pairs: Vec<(u64, u64)> = Vec::new();
                for v in sorted {
                    match pairs.last_mut() {
                        Some((last, c)) if *last == v => *c += 1,
                        _ => pairs.push((v, 1)),
                    }
                }
                Block { seconds: 1, requests: *requests, latencies: pairs }
            })
            .collect();
        RunSamples { blocks, seconds: seconds.len() }
    }
}

/// One run prepared for resampling: per block, its cumulative counts over a value axis shared
/// with the other run.
struct Prepared {
    /// `cumulative[b][g]`: good answers of block `b` at or below `axis[g]`.
    cumulative: Vec<Vec<u64>>,
    requests: Vec<u64>,
    seconds: Vec<u32>,
}

impl Prepared {
    fn new(run: &RunSamples, axis: &[u64]) -> Prepared {
        let cumulative = run
            .blocks
            .iter()
            .map(|b| {
                let mut row = vec![0u64; axis.len()];
                for (v, c) in &b.latencies {
                    if let Ok(g) = axis.binary_search(v) {
                        row[g] += c;
                    }
                }
                let mut sum = 0;
                for x in &mut row {
                    sum += *x;
                    *x = sum;
                }
                row
            })
            .collect();
        Prepared {
            cumulative,
            requests: run.blocks.iter().map(|b| b.requests).collect(),
            seconds: run.blocks.iter().map(|b| b.seconds).collect(),
        }
    }

    /// Draws the blocks of one resample: (block, times drawn), for blocks drawn at least once.
    fn draw(&self, rng: &mut SplitMix64, times: &mut [u32], drawn: &mut Vec<(usize, u64)>) {
        times.iter_mut().for_each(|t| *t = 0);
        let b = self.seconds.len();
        for _ in 0..b {
            times[rng.below(b)] += 1;
        }
        drawn.clear();
        drawn.extend(times.iter().enumerate().filter(|(_, t)| **t > 0).map(|(i, t)| (i, u64::from(*t))));
    }

    /// Quantile `q` of the sum of the drawn blocks (HDR's rule: the first value whose
    /// cumulative count reaches `ceil(q × total)`), or `None` without good answers.
    fn quantile(&self, drawn: &[(usize, u64)], axis: &[u64], q: f64) -> Option<u64> {
        let last = axis.len().checked_sub(1)?;
        let at = |g: usize| {
            let mut sum = 0;
            for &(b, w) in drawn {
                sum += w * self.cumulative[b][g];
            }
            sum
        };
        let total = at(last);
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let (mut lo, mut hi) = (0, last);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if at(mid) >= rank { hi = mid } else { lo = mid + 1 }
        }
        Some(axis[lo])
    }

    fn throughput(&self, drawn: &[(usize, u64)]) -> Option<f64> {
        let requests: u64 = drawn.iter().map(|(b, w)| w * self.requests[*b]).sum();
        let seconds: u64 = drawn.iter().map(|(b, w)| w * u64::from(self.seconds[*b])).sum();
        (seconds > 0).then(|| requests as f64 / seconds as f64)
    }
}

/// The bootstrap's view of a change (percent, positive = worse): the change between the two
/// runs' samples taken whole (`centre`), and the 90 % interval around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub centre: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The interval moved onto `point`, the change the report shows (from the runs' whole
    /// histograms and windows; the samples' own figure differs only by a partial second): the
    /// samples give the noise, the report the change.
    pub fn around(&self, point: f64) -> (f64, f64) {
        (point - (self.centre - self.low), point + (self.high - self.centre))
    }
}

/// The intervals of the change in p95, p99 and throughput from one run to the other; `None`
/// for a figure one of the runs has nothing of.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Intervals {
    pub p95: Option<Interval>,
    pub p99: Option<Interval>,
    pub throughput: Option<Interval>,
}

impl Intervals {
    /// The interval of `metric` (`p95`, `p99`, `throughput`).
    pub fn of(&self, metric: &str) -> Option<Interval> {
        match metric {
            "p95" => self.p95,
            "p99" => self.p99,
            "throughput" => self.throughput,
            _ => None,
        }
    }
}

/// Bootstraps the change from `baseline` to `current` (see the module's documentation).
pub fn intervals(baseline: &RunSamples, current: &RunSamples, seed: u64) -> Intervals {
    if baseline.blocks.is_empty() || current.blocks.is_empty() {
        return Intervals::default();
    }
    let mut axis: Vec<u64> =
        baseline.blocks.iter().chain(&current.blocks).flat_map(|b| b.latencies.iter().map(|(v, _)| *v)).collect();
    axis.sort_unstable();
    axis.dedup();
    let (b, c) = (Prepared::new(baseline, &axis), Prepared::new(current, &axis));
    let mut rng = SplitMix64(seed);
    let (mut bt, mut ct) = (vec![0u32; b.seconds.len()], vec![0u32; c.seconds.len()]);
    let (mut bd, mut cd) = (Vec::new(), Vec::new());
    let mut changes: [Vec<f64>; 3] = Default::default();
    let worse = |base: f64, cur: f64| (cur - base) * 100.0 / base;
    for _ in 0..RESAMPLES {
        b.draw(&mut rng, &mut bt, &mut bd);
        c.draw(&mut rng, &mut ct, &mut cd);
        for (k, q) in [0.95, 0.99].into_iter().enumerate() {
            if let (Some(x), Some(y)) = (b.quantile(&bd, &axis, q), c.quantile(&cd, &axis, q))
                && x > 0
            {
                changes[k].push(worse(x as f64, y as f64));
            }
        }
        if let (Some(x), Some(y)) = (b.throughput(&bd), c.throughput(&cd))
            && x > 0.0
        {
            // Less throughput is worse.
            changes[2].push(-worse(x, y));
        }
    }
    // The change between the samples taken whole: every block once.
    let every = |p: &Prepared| (0..p.seconds.len()).map(|b| (b, 1u64)).collect::<Vec<_>>();
    let (ball, call) = (every(&b), every(&c));
    let centre_of = |k: usize| match k {
        2 => match (b.throughput(&ball), c.throughput(&call)) {
            (Some(x), Some(y)) if x > 0.0 => Some(-worse(x, y)),
            _ => None,
        },
        _ => match (b.quantile(&ball, &axis, [0.95, 0.99][k]), c.quantile(&call, &axis, [0.95, 0.99][k])) {
            (Some(x), Some(y)) if x > 0 => Some(worse(x as f64, y as f64)),
            _ => None,
        },
    };
    let tail = expanded_tail(baseline.blocks.len().min(current.blocks.len()));
    let interval = |k: usize, changes: &mut [Vec<f64>; 3]| {
        let v = &mut changes[k];
        // Resamples without the figure (a block draw with no good answer) are left out; with
        // too few left the interval would mean little.
        if v.len() < RESAMPLES / 2 {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(Interval { centre: centre_of(k)?, low: at(tail), high: at(1.0 - tail) })
    };
    Intervals { p95: interval(0, &mut changes), p99: interval(1, &mut changes), throughput: interval(2, &mut changes) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-second samples of a run on a busy machine: each second has its own slowness (a
    /// log-normal factor with σ `jitter`, the machine's state at that moment) and throughput
    /// follows it (a closed model: 150 requests/s at slowness 1), and each request its own
    /// on top (log-normal, σ 0.35, median 2 ms). `scale` slows the whole run down.
    fn run(rng: &mut SplitMix64, seconds: usize, jitter: f64, scale: f64, table: &[f64]) -> RunSamples {
        let data: Vec<(u64, Vec<u64>)> = (0..seconds)
            .map(|_| {
                let slowness = (jitter * table[rng.below(table.len())]).exp() * scale;
                let requests = (150.0 / slowness) as u64;
                // Latencies quantised to 10 µs keep the test fast (HDR buckets at 2 ms are 1 µs).
                let latencies = (0..requests)
                    .map(|_| ((2000.0 * slowness * (0.35 * table[rng.below(table.len())]).exp()) as u64 / 10) * 10)
                    .collect();
                (requests, latencies)
            })
            .collect();
        RunSamples::synthetic(&data)
    }

    /// 4,096 standard normal deviates (Box–Muller), drawn once.
    fn normals(rng: &mut SplitMix64) -> Vec<f64> {
        (0..4096)
            .map(|_| {
                let u1 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                let u2 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                (-2.0 * u1.max(1e-300).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect()
    }

    /// Regressed the way `verdict::compare` decides: beyond the tolerance, and the interval's
    /// low end beyond it too.
    fn flagged(i: Option<Interval>, point: f64, tolerance: f64) -> bool {
        point > tolerance && i.is_some_and(|i| i.around(point).0 > tolerance)
    }

    /// The change of the pooled quantile `q` (all seconds once), or of throughput (`q` = 0).
    fn point(base: &RunSamples, cur: &RunSamples, q: f64) -> f64 {
        let all = |r: &RunSamples| (0..r.blocks.len()).map(|b| (b, 1)).collect::<Vec<(usize, u64)>>();
        if q == 0.0 {
            let rate = |r: &RunSamples| Prepared::new(r, &[]).throughput(&all(r)).unwrap_or(0.0);
            return (rate(base) - rate(cur)) * 100.0 / rate(base);
        }
        let pooled = |r: &RunSamples| {
            let mut axis: Vec<u64> = r.blocks.iter().flat_map(|b| b.latencies.iter().map(|(v, _)| *v)).collect();
            axis.sort_unstable();
            axis.dedup();
            Prepared::new(r, &axis).quantile(&all(r), &axis, q).unwrap_or(0) as f64
        };
        (pooled(cur) - pooled(base)) * 100.0 / pooled(base)
    }

    /// Outcome of `trials` seeded trials of `seconds`-second runs with per-second jitter σ
    /// `jitter` and a 10 % tolerance: (trials with any figure flagged between two runs of the
    /// same distribution, trials whose p99 is flagged when the second run is 20 % slower,
    /// trials whose throughput is). Trial `k` draws from its own seed; two threads share them.
    fn trials(trials: u64, seconds: usize, jitter: f64) -> (u64, u64, u64) {
        let table = normals(&mut SplitMix64(2026));
        let one = |trial: u64| {
            let mut rng = SplitMix64(seed_for("trial") ^ trial.wrapping_mul(0x9E37_79B9));
            let base = run(&mut rng, seconds, jitter, 1.0, &table);
            let same = run(&mut rng, seconds, jitter, 1.0, &table);
            let slower = run(&mut rng, seconds, jitter, 1.2, &table);
            let seed = rng.next();
            let i = intervals(&base, &same, seed);
            let alarm = flagged(i.p99, point(&base, &same, 0.99), 10.0)
                || flagged(i.p95, point(&base, &same, 0.95), 10.0)
                || flagged(i.throughput, point(&base, &same, 0.0), 10.0);
            let i = intervals(&base, &slower, seed);
            (
                u64::from(alarm),
                u64::from(flagged(i.p99, point(&base, &slower, 0.99), 10.0)),
                u64::from(flagged(i.throughput, point(&base, &slower, 0.0), 10.0)),
            )
        };
        let add = |a: (u64, u64, u64), b: (u64, u64, u64)| (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        std::thread::scope(|s| {
            let odd = s.spawn(|| (1..trials).step_by(2).map(one).fold((0, 0, 0), add));
            let even = (0..trials).step_by(2).map(one).fold((0, 0, 0), add);
            add(even, odd.join().expect("the other half of the trials"))
        })
    }

    /// 1,000 seeded trials of two 20-second runs from the same distribution, seconds varying
    /// by σ 10 % (a 10 % tolerance): none is flagged. The same with the second run 20 %
    /// slower (and so, a closed model, 17 % less throughput): the share of trials flagged is
    /// the power, measured at 495 of 1000 for p99 and 778 for throughput (`noise_study` gives
    /// the numbers for other settings; docs/load.md has a table).
    #[test]
    fn same_distribution_is_never_flagged_and_a_20_percent_shift_is() {
        let (false_alarms, caught, caught_throughput) = trials(1000, 20, 0.10);
        eprintln!(
            "20 s runs: false alarms {false_alarms} of 1000; 20 % slower: p99 flagged in {caught}, throughput in {caught_throughput}"
        );
        assert_eq!(false_alarms, 0);
        assert!(caught >= 400, "power at a 20 % shift: {caught} of 1000");
        assert!(caught_throughput >= 700, "power at a 17 % drop in throughput: {caught_throughput} of 1000");
    }

    /// Longer runs see further: with 60 seconds, a 20 % slower p99 is flagged in most trials
    /// (measured 883 of 1000), still with no false alarm.
    #[test]
    fn a_minute_long_run_flags_a_20_percent_shift_most_of_the_time() {
        let (false_alarms, caught, caught_throughput) = trials(200, 60, 0.10);
        eprintln!(
            "60 s runs: false alarms {false_alarms} of 200; 20 % slower: p99 flagged in {caught}, throughput in {caught_throughput}"
        );
        assert_eq!(false_alarms, 0);
        assert!(caught >= 160, "power at a 20 % shift: {caught} of 200");
        assert!(caught_throughput >= 190, "{caught_throughput} of 200");
    }

    /// `OBH_NOISE_STUDY="trials seconds jitter"` (default `1000 20 0.15`): false alarms and
    /// power for other runs. `cargo test --lib noise_study -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn noise_study() {
        let spec = std::env::var("OBH_NOISE_STUDY").unwrap_or_else(|_| "1000 20 0.15".into());
        let v: Vec<f64> = spec.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        let (n, seconds, jitter) = (v[0] as u64, v[1] as usize, v[2]);
        let (false_alarms, caught, caught_throughput) = trials(n, seconds, jitter);
        eprintln!(
            "{n} trials of {seconds} s, per-second σ {jitter}: false alarms {false_alarms}; 20 % slower: p99 flagged {caught}, throughput {caught_throughput}"
        );
    }

    #[test]
    fn a_comparison_is_deterministic_and_needs_samples() {
        let mut rng = SplitMix64(7);
        let table = normals(&mut rng);
        let (a, b) = (run(&mut rng, 10, 0.1, 1.0, &table), run(&mut rng, 10, 0.1, 1.0, &table));
        assert_eq!(intervals(&a, &b, 1), intervals(&a, &b, 1));
        let i = intervals(&a, &b, 1);
        let p99 = i.p99.unwrap();
        let (lo, hi) = (p99.low, p99.high);
        assert!(lo < p99.centre && p99.centre < hi, "{p99:?}");
        assert!(lo < 0.0 && hi > 0.0, "the same distribution: the interval holds 0 ({lo}, {hi})");
        assert_eq!(p99.around(p99.centre), (lo, hi));
        assert!(i.throughput.is_some() && i.p95.is_some());
        assert_eq!(intervals(&RunSamples::default(), &b, 1), Intervals::default());
    }

    #[test]
    fn long_runs_are_cut_into_blocks_and_partial_seconds_left_out() {
        let seconds: Vec<ApiSecond> = (0..150)
            .map(|s| ApiSecond {
                second: s,
                requests: 10,
                covered_ms: if s == 149 { 400 } else { 1000 },
                ..Default::default()
            })
            .collect();
        let r = RunSamples::of(&seconds).unwrap();
        assert_eq!((r.seconds, r.blocks.len()), (149, MAX_BLOCKS));
        assert_eq!(r.blocks.iter().map(|b| b.seconds as usize).sum::<usize>(), 149);
        assert_eq!(r.blocks.iter().map(|b| b.requests).sum::<u64>(), 1490);
        let bad = [ApiSecond { histogram: "not base64!".into(), ..Default::default() }];
        let bad = [ApiSecond { covered_ms: 1000, ..bad[0].clone() }];
        assert!(RunSamples::of(&bad).unwrap_err().starts_with("second 0:"));
    }

    #[test]
    fn small_samples_widen_the_interval() {
        assert!((expanded_tail(20) - 0.038).abs() < 0.001, "{}", expanded_tail(20));
        assert!((expanded_tail(10) - 0.027).abs() < 0.001, "{}", expanded_tail(10));
        assert!(expanded_tail(3) < 0.001, "{}", expanded_tail(3));
        assert!((expanded_tail(60) - 0.046).abs() < 0.001, "{}", expanded_tail(60));
        assert!((normal_cdf(-1.644_853_6) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn quantiles_follow_hdr() {
        let latencies: Vec<u64> = (1..=1000).collect();
        let run = RunSamples::synthetic(&[(1000, latencies.clone()), (1000, latencies.clone()), (1000, latencies)]);
        let mut h = crate::load::recorder::new_histogram();
        for us in 1..=1000 {
            h.record_n(us, 3).unwrap();
        }
        let axis: Vec<u64> = run.blocks[0].latencies.iter().map(|(v, _)| *v).collect();
        let p = Prepared::new(&run, &axis);
        let all = [(0, 1), (1, 1), (2, 1)];
        for q in [0.5, 0.95, 0.99, 0.999] {
            assert_eq!(p.quantile(&all, &axis, q), Some(h.value_at_quantile(q)), "q {q}");
        }
        assert_eq!(p.throughput(&all), Some(1000.0));
    }
}
