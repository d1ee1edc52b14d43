//! Thresholds and baselines: pure functions of the load run's statistics.

use super::noise;
use crate::load::profile::{ModelKind, Threshold};
use crate::report::model::{ApiStats, BaselineComparison, BaselineRow, Change, LoadReport, ThresholdResult};

fn ms(us: u64) -> String {
    format!("{:.2}ms", us as f64 / 1000.0)
}

/// Evaluates every threshold against the statistics (per API or overall).
pub fn thresholds(
    list: &[Threshold],
    apis: &[ApiStats],
    overall: &ApiStats,
    model: &ModelKind,
    window_s: f64,
) -> Vec<ThresholdResult> {
    list.iter().map(|t| evaluate(t, apis, overall, model, window_s)).collect()
}

fn evaluate(t: &Threshold, apis: &[ApiStats], overall: &ApiStats, model: &ModelKind, window_s: f64) -> ThresholdResult {
    let scope = t.api.map(|a| a.to_string()).unwrap_or_else(|| "overall".into());
    let empty = ApiStats { api: scope.clone(), ..ApiStats::default() };
    let s = match t.api {
        Some(api) => apis.iter().find(|a| a.api == api.as_str()).unwrap_or(&empty),
        None => overall,
    };
    let latency = [
        ("p50", t.p50, s.p50_us),
        ("p90", t.p90, s.p90_us),
        ("p95", t.p95, s.p95_us),
        ("p99", t.p99, s.p99_us),
        ("p99.9", t.p999, s.p999_us),
        ("max", t.max, s.max_us),
    ];
    for (name, limit, actual) in latency {
        if let Some(limit) = limit {
            let limit_us = limit.0.as_micros() as u64;
            // Latency comes from good answers only: none means nothing was measured.
            let good = s.count.saturating_sub(s.errors);
            return ThresholdResult {
                name: format!("{scope} {name} < {}", ms(limit_us)),
                expected: format!("< {}", ms(limit_us)),
                actual: if good == 0 { "no good answers".into() } else { ms(actual) },
                passed: good > 0 && actual < limit_us,
            };
        }
    }
    let share = |n: u64| if s.count == 0 { 0.0 } else { n as f64 * 100.0 / s.count as f64 };
    if let Some(max) = t.error_rate {
        let rate = share(s.errors);
        return ThresholdResult {
            name: format!("{scope} error rate ≤ {}%", max.0),
            expected: format!("≤ {}%", max.0),
            actual: format!("{rate:.3}% ({} of {})", s.errors, s.count),
            passed: s.count > 0 && rate <= max.0,
        };
    }
    if let Some(code) = &t.rsp_code {
        let n = s.rsp_codes.get(code).copied().unwrap_or(0);
        let got = share(n);
        let (op, limit, ok) = match (t.share_at_least, t.share_at_most) {
            (Some(min), _) => ("≥", min.0, got >= min.0),
            (_, Some(max)) => ("≤", max.0, got <= max.0),
            _ => ("?", 0.0, false),
        };
        return ThresholdResult {
            name: format!("{scope} share of {code} {op} {limit}%"),
            expected: format!("{op} {limit}%"),
            actual: format!("{got:.3}% ({n} of {})", s.count),
            passed: s.count > 0 && ok,
        };
    }
    if let Some(min) = t.achieved_rate_at_least {
        let target = match model {
            ModelKind::Open { stages, .. } => {
                let total: f64 = stages.iter().map(|(d, r)| d.as_secs_f64() * r).sum();
                let secs: f64 = stages.iter().map(|(d, _)| d.as_secs_f64()).sum();
                total / secs.max(f64::MIN_POSITIVE)
            }
            ModelKind::Closed { .. } => 0.0,
        };
        let achieved = if window_s > 0.0 { s.count as f64 / window_s } else { 0.0 };
        let pct = if target > 0.0 { achieved * 100.0 / target } else { 0.0 };
        return ThresholdResult {
            name: format!("{scope} achieved rate ≥ {}% of target", min.0),
            expected: format!("≥ {:.1}/s ({}% of {target:.1}/s)", target * min.0 / 100.0, min.0),
            actual: format!("{achieved:.1}/s ({pct:.1}%)"),
            passed: target > 0.0 && pct >= min.0,
        };
    }
    ThresholdResult { name: scope, expected: "a metric".into(), actual: "none".into(), passed: false }
}

/// The run's own gate, thresholds or not: some requests were made and at most `max_pct`
/// percent of them were refused or failed.
pub fn error_gate(overall: &ApiStats, max_pct: f64) -> ThresholdResult {
    let rate = if overall.count == 0 { 0.0 } else { overall.errors as f64 * 100.0 / overall.count as f64 };
    ThresholdResult {
        name: format!("run error rate ≤ {max_pct}% (refused {}, failed {})", overall.refused, overall.failed),
        expected: format!("≤ {max_pct}% of at least one request"),
        actual: if overall.count == 0 {
            "no requests".into()
        } else {
            format!("{rate:.3}% ({} of {})", overall.errors, overall.count)
        },
        passed: overall.count > 0 && rate <= max_pct,
    }
}

/// Compares p95, p99 and throughput per API (and all APIs) with an earlier run. A figure
/// regresses when it is worse by more than `max_regression_pct` and the low end of its 90 %
/// bootstrap interval over the runs' per-second samples is too (see [`super::noise`]): the
/// change exceeds the tolerance and is not noise. Worse by more than the tolerance but not
/// beyond noise is "within noise". When either run has no per-second samples (a baseline
/// written by an earlier version) or fewer than [`noise::MIN_SECONDS`] whole seconds, noise
/// cannot be judged: the tolerance alone decides, and the comparison's note says so.
pub fn compare(current: &LoadReport, baseline: &LoadReport, file: &str, max_regression_pct: f64) -> BaselineComparison {
    let mut rows = Vec::new();
    let mut unjudged: Vec<String> = Vec::new();
    for cur in current.apis.iter().chain(std::iter::once(&current.overall)) {
        let base = if cur.api == current.overall.api {
            Some(&baseline.overall)
        } else {
            baseline.apis.iter().find(|b| b.api == cur.api)
        };
        let Some(base) = base.filter(|b| b.count > 0) else { continue };
        let samples = match (noise::RunSamples::of(&base.seconds), noise::RunSamples::of(&cur.seconds)) {
            (Ok(b), Ok(c)) if b.seconds >= noise::MIN_SECONDS && c.seconds >= noise::MIN_SECONDS => {
                Ok(noise::intervals(&b, &c, noise::seed_for(&cur.api)))
            }
            (Err(e), _) => Err(format!("the baseline's {}: {e}", cur.api)),
            (_, Err(e)) => Err(format!("this run's {}: {e}", cur.api)),
            (Ok(b), Ok(c)) => Err(if b.seconds == 0 && base.seconds.is_empty() {
                "the baseline has no per-second samples (it was written by an earlier obharness)".to_string()
            } else if b.seconds < noise::MIN_SECONDS {
                format!("the baseline has {} whole second(s) of {}", b.seconds, cur.api)
            } else {
                format!("this run has {} whole second(s) of {}", c.seconds, cur.api)
            }),
        };
        if let Err(why) = &samples
            && !unjudged.contains(why)
        {
            unjudged.push(why.clone());
        }
        for (metric, b, c, higher_is_worse) in [
            ("p95", base.p95_us as f64, cur.p95_us as f64, true),
            ("p99", base.p99_us as f64, cur.p99_us as f64, true),
            ("throughput", base.rate, cur.rate, false),
        ] {
            let regression = if b <= 0.0 {
                0.0
            } else if higher_is_worse {
                (c - b) * 100.0 / b
            } else {
                (b - c) * 100.0 / b
            };
            let interval = samples.as_ref().ok().and_then(|i| i.of(metric)).map(|i| i.around(regression));
            let change = if regression <= max_regression_pct {
                Change::WithinTolerance
            } else {
                match interval {
                    Some((low, _)) if low <= max_regression_pct => Change::WithinNoise,
                    _ => Change::Regressed,
                }
            };
            rows.push(BaselineRow {
                api: cur.api.clone(),
                metric: metric.into(),
                baseline: b,
                current: c,
                regression_pct: regression,
                passed: change != Change::Regressed,
                change: Some(change),
                interval_pct: interval,
            });
        }
    }
    let note = (!unjudged.is_empty()).then(|| {
        format!(
            "Noise could not be judged for every figure: {}. Where it could not, a change beyond the tolerance fails on its own (at least {} whole seconds of per-second samples are needed in both runs).",
            unjudged.join("; "),
            noise::MIN_SECONDS
        )
    });
    BaselineComparison {
        file: file.to_string(),
        max_regression_pct,
        rows,
        method: format!(
            "bootstrap over whole seconds ({} resamples, seed {:#x} and the API's name); regressed = worse than the tolerance, and so is the low end of the 90 % interval",
            noise::RESAMPLES,
            noise::SEED
        ),
        note,
        started_at: baseline.started_at.clone(),
        percentiles: baseline.overall.percentiles.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::profile::{Percent, Span};
    use std::time::Duration;

    fn stats(api: &str, p99_us: u64, count: u64, errors: u64) -> ApiStats {
        ApiStats {
            api: api.into(),
            count,
            errors,
            refused: errors,
            p95_us: p99_us / 2,
            p99_us,
            rate: count as f64 / 10.0,
            ..ApiStats::default()
        }
    }

    #[test]
    fn latency_error_and_share_thresholds() {
        let apis = vec![stats("account.balance", 30_000, 1000, 5)];
        let mut overall = stats("overall", 30_000, 1000, 5);
        overall.rsp_codes.insert("A0000".into(), 995);
        let closed = ModelKind::Closed { stages: vec![], increase_rate: None };
        let t = |th: Threshold| evaluate(&th, &apis, &overall, &closed, 10.0);
        let pass = t(Threshold {
            api: Some(crate::protocol::ApiId::AccountBalance),
            p99: Some(Span(Duration::from_millis(50))),
            ..Default::default()
        });
        assert!(pass.passed, "{pass:?}");
        let fail = t(Threshold { p99: Some(Span(Duration::from_millis(20))), ..Default::default() });
        assert!(!fail.passed);
        assert_eq!(fail.actual, "30.00ms");
        assert!(t(Threshold { error_rate: Some(Percent(1.0)), ..Default::default() }).passed);
        assert!(!t(Threshold { error_rate: Some(Percent(0.1)), ..Default::default() }).passed);
        let share =
            t(Threshold { rsp_code: Some("A0000".into()), share_at_least: Some(Percent(99.0)), ..Default::default() });
        assert!(share.passed, "{share:?}");
        let missing = t(Threshold {
            api: Some(crate::protocol::ApiId::UserMe),
            p99: Some(Span(Duration::from_millis(50))),
            ..Default::default()
        });
        assert!(!missing.passed, "no requests is not a pass");
    }

    /// A run of one API: `seconds` whole seconds, each with `per_second` answers whose
    /// latency is `base_us` times the second's factor from `factors` (cycled).
    fn run(seconds: u32, per_second: u64, base_us: f64, factors: &[f64]) -> LoadReport {
        use crate::load::recorder;
        let mut all = recorder::new_histogram();
        let samples: Vec<_> = (0..seconds)
            .map(|s| {
                let f = factors[s as usize % factors.len()];
                let mut h = recorder::new_histogram();
                for i in 0..per_second {
                    h.record((base_us * f * (0.8 + 0.4 * i as f64 / per_second as f64)) as u64).unwrap();
                }
                all.add(&h).unwrap();
                recorder::api_second(s, 1000, per_second, 0, &h)
            })
            .collect();
        let tally = recorder::ApiTally { hist: all, ..Default::default() };
        let window = Duration::from_secs(u64::from(seconds));
        let api = ApiStats { seconds: samples.clone(), ..recorder::stats("user.me", &tally, window) };
        let overall = ApiStats { seconds: samples, ..recorder::stats("overall", &tally, window) };
        let mut r = crate::report::html::sample_load_report();
        r.apis = vec![api];
        r.overall = overall;
        r.baseline = None;
        r
    }

    #[test]
    fn a_change_beyond_the_tolerance_and_beyond_noise_regresses() {
        let noisy = [1.0, 1.3, 0.8, 1.1, 0.7, 1.25, 0.9, 1.2];
        let base = run(20, 200, 2000.0, &noisy);
        // The same, 15 % slower: beyond a 10 % tolerance, but not beyond this noise.
        let mut factors: Vec<f64> = noisy.iter().map(|f| f * 1.15).collect();
        factors.rotate_left(3);
        let cmp = compare(&run(20, 200, 2000.0, &factors), &base, "base.json", 10.0);
        let p99 = cmp.rows.iter().find(|r| r.metric == "p99" && r.api == "user.me").unwrap();
        assert!(p99.regression_pct > 10.0, "{p99:?}");
        assert_eq!(p99.change, Some(Change::WithinNoise), "{p99:?}");
        assert!(p99.passed && p99.interval_pct.is_some());
        assert!(cmp.note.is_none() && cmp.method.contains("1000 resamples"));
        // Steady seconds, 40 % slower: regressed.
        let steady = [1.0, 1.02, 0.98];
        let cmp = compare(&run(20, 200, 2800.0, &steady), &run(20, 200, 2000.0, &steady), "base.json", 10.0);
        let p99 = cmp.rows.iter().find(|r| r.metric == "p99").unwrap();
        assert_eq!(p99.change, Some(Change::Regressed), "{p99:?}");
        assert!(!p99.passed && p99.interval_pct.unwrap().0 > 10.0);
        let throughput = cmp.rows.iter().find(|r| r.metric == "throughput").unwrap();
        assert_eq!(throughput.change, Some(Change::WithinTolerance), "same count a second: {throughput:?}");
        assert_eq!(cmp.headline(), "4 of 6 baseline checks regressed");
        assert_eq!(cmp.percentiles, run(20, 200, 2000.0, &steady).overall.percentiles);
    }

    #[test]
    fn a_baseline_without_samples_is_judged_by_the_tolerance_alone_and_says_so() {
        let steady = [1.0, 1.02, 0.98];
        let mut old = run(20, 200, 2000.0, &steady);
        for a in old.apis.iter_mut().chain(std::iter::once(&mut old.overall)) {
            a.seconds.clear();
        }
        // As an older obharness wrote it: no `seconds` at all.
        let text = serde_json::to_string(&old).unwrap();
        assert!(!text.contains("\"seconds\""));
        let old: LoadReport = serde_json::from_str(&text).unwrap();
        let cmp = compare(&run(20, 200, 2300.0, &steady), &old, "old.json", 10.0);
        let p99 = cmp.rows.iter().find(|r| r.metric == "p99").unwrap();
        assert_eq!((p99.change, p99.interval_pct), (Some(Change::Regressed), None));
        assert_eq!(p99.verdict_words(), "regressed (noise not judged)");
        let note = cmp.note.unwrap();
        assert!(
            note.contains("the baseline has no per-second samples (it was written by an earlier obharness)"),
            "{note}"
        );
        // Too short a run: the same, naming the seconds.
        let cmp = compare(&run(2, 200, 2000.0, &steady), &run(20, 200, 2000.0, &steady), "b.json", 10.0);
        assert!(cmp.note.unwrap().contains("this run has 2 whole second(s) of user.me"));
    }

    #[test]
    fn achieved_rate_is_measured_against_the_open_models_target() {
        let open = ModelKind::Open { stages: vec![(Duration::from_secs(10), 100.0)], max_in_flight: 8 };
        let overall = stats("overall", 1, 950, 0);
        let r = evaluate(
            &Threshold { achieved_rate_at_least: Some(Percent(90.0)), ..Default::default() },
            &[],
            &overall,
            &open,
            10.0,
        );
        assert!(r.passed, "{r:?}");
        let r = evaluate(
            &Threshold { achieved_rate_at_least: Some(Percent(99.0)), ..Default::default() },
            &[],
            &overall,
            &open,
            10.0,
        );
        assert!(!r.passed);
    }
}
