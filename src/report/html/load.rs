//! The load page: the verdict and its reasons, thresholds, the baseline comparison, per-API
//! latency and codes, and the charts (each drawn twice: wide for a desktop, narrow for a
//! phone; the stylesheet shows one).

use askama::Template;

use crate::protocol::ApiId;
use crate::protocol::codes::RspCode;
use crate::report::model::{ApiSecond, ApiStats, Change, LATENCY_RANGES, LoadModelKind, LoadReport, SecondStats};
use crate::report::svg::{self, Bar, Frame, NARROW, Segment, Series, StackRow, WIDE};
use crate::report::view::{fixed, load_model, load_totals, ms, one_line, percent, public_url, seconds, sorted_codes};

#[derive(Template)]
#[template(path = "load.html")]
pub(super) struct LoadPage {
    generator: String,
    page_title: String,
    profile: String,
    verdict: &'static str,
    verdict_class: &'static str,
    /// Why it passed or failed, failures first (`LoadReport::headline`).
    headline: String,
    count_line: String,
    aborted: bool,
    interrupted: Option<String>,
    quirks: Vec<String>,
    meta: Vec<(&'static str, String)>,
    open_model: bool,
    late_starts: u64,
    dropped: u64,
    thresholds: Vec<ThresholdView>,
    apis: Vec<ApiRow>,
    overall: ApiRow,
    charts: Vec<Chart>,
    baseline: Option<BaselineView>,
    /// A shard of a run across machines, or a merge of shards (per-shard rows).
    scale_out: Option<crate::report::scale_out::ScaleOutView>,
}

pub(super) struct ThresholdView {
    name: String,
    expected: String,
    actual: String,
    label: &'static str,
    class: &'static str,
}

pub(super) struct ApiRow {
    api: String,
    /// The API's Korean name (empty for all APIs, or an id the catalogue does not know).
    name: String,
    count: u64,
    rate: String,
    min: String,
    mean: String,
    stddev: String,
    p50: String,
    p90: String,
    p95: String,
    p99: String,
    p999: String,
    max: String,
    errors: String,
    codes: Vec<CodeChip>,
}

pub(super) struct CodeChip {
    code: String,
    count: u64,
    title: String,
    class: &'static str,
}

pub(super) struct Chart {
    id: String,
    /// Markup from [`svg`], which escapes its own text: for a desktop, and for a phone.
    wide: String,
    narrow: String,
    caption: String,
}

pub(super) struct BaselineView {
    file: String,
    started_at: String,
    max_regression: String,
    headline: String,
    method: String,
    note: Option<String>,
    rows: Vec<BaselineRowView>,
}

pub(super) struct BaselineRowView {
    api: String,
    name: String,
    metric: String,
    baseline: String,
    current: String,
    change: String,
    direction: &'static str,
    judgement: String,
    label: &'static str,
    class: &'static str,
}

/// The Korean name of an API id (`잔액조회`), or nothing.
pub(super) fn korean(api: &str) -> &'static str {
    ApiId::parse(api).map_or("", |a| a.api().name)
}

/// `account.balance 잔액조회`, or the id alone.
fn labelled(api: &str) -> String {
    match korean(api) {
        "" => one_line(api),
        ko => format!("{} {ko}", one_line(api)),
    }
}

impl LoadPage {
    pub(super) fn new(report: &LoadReport) -> LoadPage {
        let overall = &report.overall;
        let count_line = load_totals(overall);
        let model = &report.model;
        let open_model = model.kind == LoadModelKind::Open || report.late_starts > 0 || report.dropped > 0;
        let model_text = load_model(model, " — ");
        let mut meta = vec![
            ("Profile", format!("{} ({})", one_line(&report.profile), one_line(&report.source))),
            ("Target", one_line(&report.target.name)),
            ("Base URL", public_url(&report.target.base_url)),
            ("Model", model_text),
        ];
        // One stage is the model's summary; a "Stages" line would read like a ramp.
        if model.stages.len() > 1 {
            meta.push(("Stages", model.stages.iter().map(|s| one_line(s)).collect::<Vec<_>>().join(" → ")));
        }
        meta.push(("Started", one_line(&report.started_at)));
        meta.push(("Measured window", seconds(report.duration_ms)));
        if open_model {
            meta.push(("Late starts", format!("{} of {} requests", report.late_starts, overall.count)));
            meta.push(("Dropped", report.dropped.to_string()));
        }
        meta.push(("Tool", format!("{} {}", one_line(&report.tool), one_line(&report.version))));
        let scale_out = crate::report::scale_out::ScaleOutView::of(report);
        if let Some(v) = &scale_out {
            meta.extend(v.meta.iter().cloned());
        }

        let verdict = report.verdict_label();
        LoadPage {
            generator: format!("{} {}", one_line(&report.tool), one_line(&report.version)),
            page_title: format!(
                "{verdict} — load {} against {} — {}",
                one_line(&report.profile),
                one_line(&report.target.name),
                one_line(&report.started_at)
            ),
            profile: one_line(&report.profile),
            verdict,
            verdict_class: if report.passed { "pass" } else { "fail" },
            headline: report.headline(),
            count_line,
            aborted: report.aborted,
            interrupted: report.interrupted.as_deref().map(one_line),
            quirks: report.target.quirks.iter().map(|q| one_line(q)).collect(),
            meta,
            open_model,
            late_starts: report.late_starts,
            dropped: report.dropped,
            thresholds: report
                .thresholds
                .iter()
                .map(|t| ThresholdView {
                    name: one_line(&t.name),
                    expected: one_line(&t.expected),
                    actual: one_line(&t.actual),
                    label: if t.passed { "PASS" } else { "FAIL" },
                    class: if t.passed { "pass" } else { "fail" },
                })
                .collect(),
            apis: report.apis.iter().map(|a| ApiRow::new(a, &one_line(&a.api), korean(&a.api))).collect(),
            overall: ApiRow::new(overall, "all APIs", ""),
            charts: charts(report),
            baseline: report.baseline.as_ref().map(|b| BaselineView {
                file: one_line(&b.file),
                started_at: one_line(&b.started_at),
                max_regression: format!("{} %", fixed(b.max_regression_pct)),
                headline: b.headline(),
                method: one_line(&b.method),
                note: b.note.as_deref().map(one_line),
                rows: b
                    .rows
                    .iter()
                    .map(|r| BaselineRowView {
                        api: one_line(&r.api),
                        name: korean(&r.api).to_string(),
                        metric: one_line(&r.metric),
                        baseline: r.value(r.baseline),
                        current: r.value(r.current),
                        change: r.change_words(),
                        direction: if r.regression_pct > 0.0 {
                            "worse"
                        } else if r.regression_pct < 0.0 {
                            "better"
                        } else {
                            "same"
                        },
                        judgement: r.verdict_words(),
                        label: r.label(),
                        class: match r.change() {
                            Change::Regressed => "fail",
                            Change::WithinNoise => "warn",
                            Change::WithinTolerance => "pass",
                        },
                    })
                    .collect(),
            }),
            scale_out,
        }
    }
}

impl ApiRow {
    fn new(a: &ApiStats, api: &str, name: &str) -> ApiRow {
        let measured = a.count > a.errors;
        ApiRow {
            api: api.to_string(),
            name: name.to_string(),
            count: a.count,
            rate: fixed(a.rate),
            min: if measured { ms(a.min_us) } else { "–".into() },
            mean: fixed(a.mean_us / 1000.0),
            stddev: if measured { fixed(a.stddev_us / 1000.0) } else { "–".into() },
            p50: ms(a.p50_us),
            p90: ms(a.p90_us),
            p95: ms(a.p95_us),
            p99: ms(a.p99_us),
            p999: ms(a.p999_us),
            max: ms(a.max_us),
            errors: match (a.errors, a.failed) {
                (0, _) => "0".into(),
                (e, 0) => format!("{e} ({})", percent(e, a.count)),
                (e, f) => format!("{e} ({}; {f} without an answer)", percent(e, a.count)),
            },
            codes: sorted_codes(&a.rsp_codes)
                .into_iter()
                .map(|(code, count)| CodeChip {
                    title: code_title(code),
                    class: code_class(code),
                    code: one_line(code),
                    count,
                })
                .collect(),
        }
    }
}

pub(super) fn code_title(code: &str) -> String {
    match RspCode::from_code(code) {
        Some(c) => c.message().to_string(),
        None if code == "none" => "no answer".to_string(),
        None => "not in the code table".to_string(),
    }
}

pub(super) fn code_class(code: &str) -> &'static str {
    match RspCode::from_code(code) {
        Some(c) if c.is_success() => "good",
        _ if code == "none" => "bad",
        _ => "other",
    }
}

pub(super) fn code_color(code: &str) -> &'static str {
    match code_class(code) {
        "good" => svg::GOOD,
        "bad" => svg::BAD,
        _ => svg::WARN,
    }
}

/// Colours of the latency ranges (fast to slow) and of errors.
const RANGE_COLORS: [&str; 6] = ["#009E73", "#0072B2", "#E69F00", "#D55E00", "#CC79A7", "#555555"];
/// The baseline's line on the percentile chart.
const BASELINE_COLOR: &str = "#767676";
/// Most points a time chart draws (wide, narrow): longer runs are condensed.
const MAX_POINTS: (usize, usize) = (600, 180);

/// How a condensed time series combines the seconds of a point.
#[derive(Clone, Copy)]
enum Combine {
    Mean,
    /// The worst second (latency: a condensed chart must not hide a spike).
    Max,
}

/// `points` (one a second) condensed to at most `max`, each point standing for `step` seconds.
fn condense(points: &[(f64, f64)], step: usize, how: Combine) -> Vec<(f64, f64)> {
    if step <= 1 {
        return points.to_vec();
    }
    points
        .chunks(step)
        .map(|c| {
            let y = match how {
                Combine::Mean => c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64,
                Combine::Max => c.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
            };
            (c[0].0, y)
        })
        .collect()
}

/// The seconds a time chart draws: the whole ones (the last second of a run cut short would
/// show a fall that did not happen), or, when there is none, the partial ones scaled to a
/// second. With a note for the caption when a second was left out.
fn drawn_seconds(timeline: &[SecondStats]) -> (Vec<SecondStats>, Option<String>) {
    let full: Vec<SecondStats> = timeline.iter().filter(|s| s.is_full()).cloned().collect();
    let partial: Vec<&SecondStats> = timeline.iter().filter(|s| !s.is_full()).collect();
    if full.is_empty() {
        let scaled = partial
            .iter()
            .map(|s| {
                let k = 1000.0 / f64::from(s.covered_ms.max(1));
                SecondStats {
                    requests: (s.requests as f64 * k).round() as u64,
                    errors: (s.errors as f64 * k).round() as u64,
                    ..(*s).clone()
                }
            })
            .collect();
        let note = (!partial.is_empty())
            .then(|| "The run is shorter than a second: its rate is scaled to a second.".to_string());
        return (scaled, note);
    }
    let note = match partial.as_slice() {
        [] => None,
        [s] => {
            Some(format!("Second {} is left out: the measured window covers only {} ms of it.", s.second, s.covered_ms))
        }
        many => Some(format!("{} partial seconds are left out.", many.len())),
    };
    (full, note)
}

fn both(draw: impl Fn(&Frame, usize) -> String) -> (String, String) {
    (draw(&WIDE, MAX_POINTS.0), draw(&NARROW, MAX_POINTS.1))
}

/// The step (seconds per point) that keeps `n` seconds within `max` points.
fn step_for(n: usize, max: usize) -> usize {
    n.div_ceil(max.max(1)).max(1)
}

fn latency_series(seconds: &[(f64, [u64; 3])], max: usize) -> (Vec<Series>, f64) {
    let step = step_for(seconds.len(), max);
    let line = |name: &str, k: usize| {
        let points: Vec<(f64, f64)> = seconds.iter().map(|(x, p)| (*x, p[k] as f64 / 1000.0)).collect();
        Series::new(name, condense(&points, step, Combine::Max)).unit("ms", 2)
    };
    let mut series = vec![line("p50", 0)];
    if seconds.iter().any(|(_, p)| p[1] > 0) {
        series.push(line("p95", 1));
    }
    series.push(line("p99", 2));
    (series, step as f64)
}

pub(super) fn charts(report: &LoadReport) -> Vec<Chart> {
    let mut out = Vec::new();

    // The HDR percentile curves, and the baseline's.
    let curve = |points: &[(f64, u64)], name: String| {
        Series::new(name, points.iter().map(|(p, us)| (*p, *us as f64 / 1000.0)).collect()).unit("ms", 2)
    };
    let mut curves: Vec<Series> = report.apis.iter().map(|a| curve(&a.percentiles, labelled(&a.api))).collect();
    if curves.len() != 1 {
        let mut all = curve(&report.overall.percentiles, "all APIs".to_string());
        all.dashed = !curves.is_empty();
        curves.push(all);
    }
    let mut caption =
        "HDR percentile curve per API; the percentile axis is logarithmic (each step adds a nine).".to_string();
    if let Some(b) = report.baseline.as_ref().filter(|b| !b.percentiles.is_empty()) {
        let mut base = curve(&b.percentiles, "baseline, all APIs".to_string());
        base.dashed = true;
        base.color = Some(BASELINE_COLOR);
        curves.push(base);
        caption.push_str(&format!(" Grey dashed: the baseline ({}), all APIs.", one_line(&b.file)));
    }
    let (wide, narrow) = both(|f, _| svg::percentile_chart("Latency by percentile", &curves, f));
    out.push(Chart { id: "chart-percentiles".into(), wide, narrow, caption });

    // Latency ranges (Gatling's response-time ranges), per API.
    let with_ranges: Vec<&ApiStats> = report
        .apis
        .iter()
        .chain(std::iter::once(&report.overall))
        .filter(|a| a.latency_ranges.len() == LATENCY_RANGES.len())
        .collect();
    if !with_ranges.is_empty() {
        let mut segments: Vec<Segment> = LATENCY_RANGES
            .iter()
            .zip(RANGE_COLORS)
            .map(|((label, _), color)| Segment { name: label.to_string(), color })
            .collect();
        segments.push(Segment { name: "errors".into(), color: RANGE_COLORS[5] });
        let rows: Vec<StackRow> = with_ranges
            .iter()
            .map(|a| StackRow {
                label: if std::ptr::eq(*a, &report.overall) { "all APIs".to_string() } else { labelled(&a.api) },
                values: a.latency_ranges.iter().map(|c| *c as f64).chain([a.errors as f64]).collect(),
            })
            .collect();
        let (wide, narrow) = both(|f, _| svg::stacked_bars("Latency ranges", &rows, &segments, f));
        out.push(Chart {
            id: "chart-ranges".into(),
            wide,
            narrow,
            caption: "Requests by latency range per API (good answers), and errors (refused or unanswered).".into(),
        });
    }

    // Over time: throughput, users and requests in flight, latency of all APIs, then each API's.
    let (seconds, partial_note) = drawn_seconds(&report.timeline);
    let note = |s: &str| match &partial_note {
        Some(n) => format!("{s} {n}"),
        None => s.to_string(),
    };
    let x = |s: &SecondStats| f64::from(s.second);
    let (wide, narrow) = both(|f, max| {
        let step = step_for(seconds.len(), max);
        let requests: Vec<(f64, f64)> = seconds.iter().map(|s| (x(s), s.requests as f64)).collect();
        let errors: Vec<(f64, f64)> = seconds.iter().map(|s| (x(s), s.errors as f64)).collect();
        let series = [
            Series::new("requests", condense(&requests, step, Combine::Mean)).unit("req/s", 0),
            Series::new("errors", condense(&errors, step, Combine::Mean)).unit("req/s", 0),
        ];
        svg::time_chart("Throughput", "requests per second", &series, f, step as f64)
    });
    out.push(Chart {
        id: "chart-throughput".into(),
        wide,
        narrow,
        caption: note("Requests and errors in each second of the measured window (by the second each request was meant to start in)."),
    });
    if seconds.iter().any(|s| s.users > 0 || s.in_flight > 0.0) {
        let (wide, narrow) = both(|f, max| {
            let step = step_for(seconds.len(), max);
            let users: Vec<(f64, f64)> = seconds.iter().map(|s| (x(s), f64::from(s.users))).collect();
            let in_flight: Vec<(f64, f64)> = seconds.iter().map(|s| (x(s), s.in_flight)).collect();
            let series = [
                Series::new("users sending", condense(&users, step, Combine::Max)).unit("users", 0),
                Series::new("in flight (mean)", condense(&in_flight, step, Combine::Mean)).unit("requests", 1),
            ];
            svg::time_chart("Users and requests in flight", "users / requests", &series, f, step as f64)
        });
        out.push(Chart {
            id: "chart-concurrency".into(),
            wide,
            narrow,
            caption: note("Users that started a request in each second, and requests in flight on average over the second (from each request's intended start to its answer)."),
        });
    }
    let overall: Vec<(f64, [u64; 3])> = seconds.iter().map(|s| (x(s), [s.p50_us, s.p95_us, s.p99_us])).collect();
    let (wide, narrow) = both(|f, max| {
        let (series, step) = latency_series(&overall, max);
        svg::time_chart("Latency over time, all APIs", "latency (ms)", &series, f, step)
    });
    out.push(Chart {
        id: "chart-latency-time".into(),
        wide,
        narrow,
        caption: note("p50, p95 and p99 of the good answers of each second (full HDR precision), all APIs; a condensed point shows its worst second."),
    });
    if report.apis.len() > 1 {
        for a in report.apis.iter().filter(|a| !a.seconds.is_empty()) {
            let full: Vec<&ApiSecond> = a.seconds.iter().filter(|s| s.covered_ms >= 1000).collect();
            let points: Vec<(f64, [u64; 3])> = full
                .iter()
                .filter(|s| s.requests > s.errors)
                .map(|s| (f64::from(s.second), [s.p50_us, s.p95_us, s.p99_us]))
                .collect();
            let title = format!("Latency over time, {}", labelled(&a.api));
            let (wide, narrow) = both(|f, max| {
                let (series, step) = latency_series(&points, max);
                svg::time_chart(&title, "latency (ms)", &series, f, step)
            });
            out.push(Chart {
                id: format!("chart-latency-{}", a.api.replace(|c: char| !c.is_ascii_alphanumeric(), "-")),
                wide,
                narrow,
                caption: note(&format!("p50, p95 and p99 of {}'s good answers in each second.", one_line(&a.api))),
            });
        }
    }

    // rsp_codes.
    let mut codes = report.overall.rsp_codes.clone();
    if codes.is_empty() {
        for a in &report.apis {
            for (code, n) in &a.rsp_codes {
                *codes.entry(code.clone()).or_default() += n;
            }
        }
    }
    let bars: Vec<Bar> = sorted_codes(&codes)
        .into_iter()
        .map(|(code, n)| Bar {
            label: match RspCode::from_code(code) {
                Some(c) => format!("{code} {}", c.message()),
                None => code.to_string(),
            },
            value: n as f64,
            color: code_color(code),
        })
        .collect();
    let (wide, narrow) = both(|f, _| svg::bar_chart("rsp_code distribution", &bars, f));
    out.push(Chart {
        id: "chart-rsp-codes".into(),
        wide,
        narrow,
        caption: "Answers by rsp_code, all APIs (none = no answer).".into(),
    });
    out
}

/// A load run with two APIs, an open model with late starts and drops, a failed and a passed
/// threshold, a baseline (one figure regressed, one within noise, one within tolerance) and a
/// ten-second timeline whose last second is partial. Shared by the tests of the HTML and
/// Markdown renderers.
#[cfg(test)]
pub(crate) fn sample_load_report() -> LoadReport {
    use crate::report::model::{BaselineComparison, BaselineRow, LoadModelInfo, TargetInfo, ThresholdResult};

    fn stats(api: &str, count: u64, errors: u64, scale: u64, codes: &[(&str, u64)]) -> ApiStats {
        let points = [
            (0.0, 310),
            (50.0, 1000),
            (75.0, 1400),
            (90.0, 2100),
            (95.0, 2900),
            (99.0, 5200),
            (99.9, 9800),
            (99.99, 15000),
            (100.0, 21000),
        ];
        let good = count - errors;
        ApiStats {
            api: api.to_string(),
            count,
            errors,
            refused: errors,
            failed: 0,
            rate: count as f64 / 10.0,
            mean_us: 1234.5 * scale as f64,
            p50_us: 1000 * scale,
            p90_us: 2100 * scale,
            p95_us: 2900 * scale,
            p99_us: 5200 * scale,
            p999_us: 9800 * scale,
            max_us: 21000 * scale,
            rsp_codes: codes.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            percentiles: points.iter().map(|(p, us)| (*p, us * scale)).collect(),
            histogram: "HISTFAAAAB14nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEidAA=".to_string(),
            min_us: 310 * scale,
            stddev_us: 987.6 * scale as f64,
            latency_ranges: vec![good - good / 50 - 3, good / 50, 2, 1, 0],
            seconds: (0..10)
                .map(|s| ApiSecond {
                    second: s,
                    covered_ms: if s == 9 { 600 } else { 1000 },
                    requests: count / 10,
                    errors: errors / 10,
                    p50_us: (1000 + u64::from(s) * 10) * scale,
                    p95_us: (2900 + u64::from(s % 3) * 100) * scale,
                    p99_us: (5000 + u64::from(s % 5) * 200) * scale,
                    histogram: String::new(),
                })
                .collect(),
        }
    }
    let withdraw = stats("transfer.withdraw", 1500, 20, 2, &[("A0000", 1480), ("A0326", 15), ("none", 5)]);
    let balance = stats("account.balance", 2500, 0, 1, &[("A0000", 2500)]);
    let mut overall = stats("all", 4000, 20, 1, &[("A0000", 3980), ("A0326", 15), ("none", 5)]);
    overall.rate = 400.0;
    let row = |api: &str, metric: &str, baseline: f64, current: f64, pct: f64, change: Change, interval| BaselineRow {
        api: api.into(),
        metric: metric.into(),
        baseline,
        current,
        regression_pct: pct,
        passed: change != Change::Regressed,
        change: Some(change),
        interval_pct: interval,
    };
    LoadReport {
        tool: "obharness".into(),
        version: "0.1.0".into(),
        kind: "load".into(),
        profile: "transfer-mix".into(),
        source: "profiles/transfer-mix.yaml".into(),
        target: TargetInfo {
            name: "embedded-sim".into(),
            base_url: "http://127.0.0.1:8080".into(),
            quirks: vec![],
            capabilities: vec![],
        },
        started_at: "2025-01-02T03:04:05Z".into(),
        duration_ms: 9_600,
        model: LoadModelInfo {
            kind: LoadModelKind::Open,
            users: Some(64),
            rate: Some(200.0),
            stages: vec!["2 s at 200/s".into(), "8 s at 400/s".into()],
            summary: "2 stages over 10 s, at most 64 in flight".into(),
        },
        apis: vec![withdraw, balance],
        overall,
        timeline: (0..10)
            .map(|s| SecondStats {
                second: s,
                covered_ms: if s == 9 { 600 } else { 1000 },
                requests: if s < 2 { 200 * u64::from(s + 1) } else if s == 9 { 240 } else { 400 + u64::from(s % 3) },
                errors: u64::from(s % 4 == 3) * 5,
                p50_us: 1000 + u64::from(s) * 20,
                p95_us: 2900 + u64::from(s % 3) * 100,
                p99_us: 5000 + u64::from(s % 5) * 300,
                users: 8 + s,
                in_flight: 1.5 + f64::from(s) * 0.25,
            })
            .collect(),
        thresholds: vec![
            ThresholdResult {
                name: "transfer.withdraw p99 < 10ms".into(),
                expected: "< 10ms".into(),
                actual: "10.40ms".into(),
                passed: false,
            },
            ThresholdResult {
                name: "errors < 1%".into(),
                expected: "< 1%".into(),
                actual: "0.50%".into(),
                passed: true,
            },
        ],
        baseline: Some(BaselineComparison {
            file: "reports/load-baseline.json".into(),
            max_regression_pct: 10.0,
            rows: vec![
                row("transfer.withdraw", "p99", 9000.0, 10400.0, 15.555555, Change::Regressed, Some((12.1, 19.8))),
                row("transfer.withdraw", "throughput", 170.0, 150.0, 11.764706, Change::WithinNoise, Some((-4.2, 25.0))),
                row("account.balance", "p95", 3000.0, 2900.0, -3.333333, Change::WithinTolerance, Some((-8.0, 1.5))),
            ],
            method: "bootstrap over whole seconds (1000 resamples, seed 0xb4a4e5520260013 and the API's name); regressed = worse than the tolerance, and so is the low end of the 90 % interval".into(),
            note: None,
            started_at: "2025-01-01T03:04:05Z".into(),
            percentiles: vec![(0.0, 300), (50.0, 900), (90.0, 1900), (99.0, 4700), (99.9, 9000), (100.0, 20000)],
        }),
        late_starts: 3,
        dropped: 1,
        aborted: false,
        interrupted: None,
        scale_out: None,
        passed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(r: &LoadReport) -> String {
        let mut out = Vec::new();
        super::super::write_load(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn figure<'a>(html: &'a str, id: &str) -> &'a str {
        let at = html.find(&format!("<figure class=\"chart\" id=\"{id}\">")).unwrap_or_else(|| panic!("no {id}"));
        &html[at..at + html[at..].find("</figure>").unwrap()]
    }

    /// The wide (desktop) or narrow (phone) SVG of a figure.
    fn svg<'a>(figure: &'a str, class: &str) -> &'a str {
        let at = figure.find(&format!("<svg class=\"chart {class}\"")).unwrap();
        &figure[at..at + figure[at..].find("</svg>").unwrap()]
    }

    #[test]
    fn apis_have_their_korean_names_min_and_std_dev() {
        let html = page(&sample_load_report());
        assert!(html.contains("<td><code>account.balance</code> <span class=\"ko\">잔액조회</span></td>"), "{html}");
        assert!(html.contains("<td><code>transfer.withdraw</code> <span class=\"ko\">출금이체</span></td>"));
        // Requests, rate, min, mean, std dev, p50: withdraw's.
        assert!(html.contains(
            "<td class=\"num\">1500</td><td class=\"num\">150.00</td><td class=\"num\">0.62</td><td class=\"num\">2.47</td><td class=\"num\">1.98</td><td class=\"num\">2.00</td>"
        ));
    }

    #[test]
    fn the_baseline_says_regressed_within_noise_or_within_tolerance() {
        let html = page(&sample_load_report());
        let at = html.find("<section id=\"baseline\">").unwrap();
        let section = &html[at..at + html[at..].find("</section>").unwrap()];
        assert!(section.contains("<strong>1 of 3 baseline checks regressed (1 within noise)</strong>"), "{section}");
        assert!(section.contains("<span class=\"badge fail\">FAIL</span>"));
        assert!(section.contains("<td>regressed (beyond noise: +12.1 to +19.8 %)</td>"));
        assert!(section.contains("<span class=\"badge warn\">NOISE</span>"));
        assert!(
            section.contains("<td class=\"num worse\">11.8 % lower throughput</td><td>within noise (±14.6 %)</td>")
        );
        assert!(section.contains("<td>within tolerance (noise ±4.8 %)</td>"));
        assert!(section.contains("Test: bootstrap over whole seconds"));
        assert!(!section.contains("id=\"baseline-note\""));
        assert!(html.find("<section id=\"baseline\">") < html.find("<section id=\"apis\">"), "gates first");

        let mut old = sample_load_report();
        let b = old.baseline.as_mut().unwrap();
        b.note = Some("the baseline has no per-second samples".into());
        for r in &mut b.rows {
            r.interval_pct = None;
        }
        let html = page(&old);
        assert!(html.contains("<div class=\"banner warn\" id=\"baseline-note\"><strong>Noise not judged:</strong> the baseline has no per-second samples</div>"));
        assert!(html.contains("<td>regressed (noise not judged)</td>"));
    }

    #[test]
    fn charts_show_values_on_hover_and_leave_the_partial_second_out() {
        let html = page(&sample_load_report());
        let throughput = figure(&html, "chart-throughput");
        for class in ["wide", "narrow"] {
            let svg = svg(throughput, class);
            assert_eq!(svg.matches("<rect class=\"hover\"").count(), 9, "nine whole seconds: {svg}");
            assert!(svg.contains("<title>second 8: requests 402 req/s · errors 0 req/s</title>"), "{svg}");
            assert!(!svg.contains("second 9"), "the partial second is not drawn: {svg}");
        }
        assert!(throughput.contains("Second 9 is left out: the measured window covers only 600 ms of it."));

        let percentiles = figure(&html, "chart-percentiles");
        assert!(percentiles.contains("<title>transfer.withdraw 출금이체 p99.9: 19.60 ms</title>"), "{percentiles}");
        assert!(percentiles.contains("<title>baseline, all APIs p99: 4.70 ms</title>"));
        assert!(
            percentiles.contains("stroke=\"#767676\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-dasharray")
        );
        assert!(percentiles.contains("Grey dashed: the baseline (reports/load-baseline.json), all APIs."));

        let ranges = figure(&html, "chart-ranges");
        assert!(ranges.contains("<title>account.balance 잔액조회 — &lt; 10 ms: 2447 (97.9%)</title>"), "{ranges}");
        assert!(ranges.contains("<title>all APIs — errors: 20 (0.5%)</title>"));

        let users = figure(&html, "chart-concurrency");
        assert!(
            users.contains("<title>second 8: users sending 16 users · in flight (mean) 3.5 requests</title>"),
            "{users}"
        );

        let withdraw = figure(&html, "chart-latency-transfer-withdraw");
        assert!(withdraw.contains("Latency over time, transfer.withdraw 출금이체"));
        assert!(withdraw.contains("<title>second 3: p50 2.06 ms · p95 5.80 ms · p99 11.20 ms</title>"), "{withdraw}");
        let all = figure(&html, "chart-latency-time");
        assert!(all.contains("<title>second 0: p50 1.00 ms · p95 2.90 ms · p99 5.00 ms</title>"), "{all}");
    }

    #[test]
    fn a_run_shorter_than_a_second_is_scaled_not_dropped() {
        let mut r = sample_load_report();
        r.timeline.truncate(1);
        r.timeline[0].covered_ms = 500;
        r.timeline[0].requests = 100;
        let html = page(&r);
        let throughput = figure(&html, "chart-throughput");
        assert!(throughput.contains("<title>second 0: requests 200 req/s"), "{throughput}");
        assert!(throughput.contains("shorter than a second"));
    }

    #[test]
    fn long_runs_are_condensed_without_hiding_a_spike() {
        let mut r = sample_load_report();
        r.timeline = (0..3600)
            .map(|s| SecondStats {
                second: s,
                requests: 100,
                p50_us: 1000,
                p95_us: 2000,
                p99_us: if s == 1234 { 90_000 } else { 3000 },
                ..SecondStats::default()
            })
            .collect();
        let html = page(&r);
        let latency = figure(&html, "chart-latency-time");
        let wide = svg(latency, "wide");
        assert_eq!(wide.matches("<rect class=\"hover\"").count(), 600);
        assert!(wide.contains("<title>seconds 1230–1235: p50 1.00 ms · p95 2.00 ms · p99 90.00 ms</title>"), "{wide}");
        assert!(wide.contains("(each point 6 s)"));
        assert_eq!(svg(latency, "narrow").matches("<rect class=\"hover\"").count(), 180);
    }

    #[test]
    fn phone_charts_keep_their_text_readable() {
        let html = page(&sample_load_report());
        let mut narrow = 0;
        for (at, _) in html.match_indices("<svg class=\"chart narrow\"") {
            let svg = &html[at..at + html[at..].find("</svg>").unwrap()];
            narrow += 1;
            assert!(svg.contains("viewBox=\"0 0 360 "), "{svg}");
            for size in svg.split("font-size=\"").skip(1).map(|r| r[..r.find('"').unwrap()].parse::<f64>().unwrap()) {
                // Shown about 340 px wide on a 390 px phone: 13 units are 12 px.
                assert!(size >= 13.0, "font-size {size} in {svg}");
            }
        }
        assert_eq!(narrow, html.matches("<svg class=\"chart wide\"").count());
        assert!(narrow >= 8, "{narrow} charts");
    }

    #[test]
    fn a_model_of_one_stage_has_no_stages_line() {
        let mut r = sample_load_report();
        r.model.stages.clear();
        r.model.summary = "64 users for 10 s, all started at once".into();
        r.model.kind = LoadModelKind::Closed;
        let html = page(&r);
        assert!(html.contains("<dt>Model</dt><dd>closed — 64 users for 10 s, all started at once</dd>"), "{html}");
        assert!(!html.contains("<dt>Stages</dt>"));
        assert!(html.contains("<dt>Measured window</dt><dd>9.600 s</dd>"));
    }
}
