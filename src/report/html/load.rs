//! The load page: thresholds, per-API latency and codes, charts, the baseline.

use askama::Template;

use crate::protocol::codes::RspCode;
use crate::report::model::{ApiStats, LoadModelKind, LoadReport};
use crate::report::svg::{self, Bar, Series};
use crate::report::view::{fixed, metric_value, ms, one_line, percent, public_url, seconds, sorted_codes};

#[derive(Template)]
#[template(path = "load.html")]
pub(super) struct LoadPage {
    generator: String,
    page_title: String,
    profile: String,
    verdict: &'static str,
    verdict_class: &'static str,
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
    count: u64,
    rate: String,
    mean: String,
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
    id: &'static str,
    /// Markup from [`svg`], which escapes its own text.
    svg: String,
    caption: &'static str,
}

pub(super) struct BaselineView {
    file: String,
    max_regression: String,
    rows: Vec<BaselineRowView>,
}

pub(super) struct BaselineRowView {
    api: String,
    metric: String,
    baseline: String,
    current: String,
    change: String,
    direction: &'static str,
    label: &'static str,
    class: &'static str,
}

impl LoadPage {
    pub(super) fn new(report: &LoadReport) -> LoadPage {
        let passed_thresholds = report.thresholds.iter().filter(|t| t.passed).count();
        let overall = &report.overall;
        let mut count_line = format!(
            "{} requests at {}/s, {} errors",
            overall.count,
            fixed(overall.rate),
            percent(overall.errors, overall.count)
        );
        if overall.failed > 0 || overall.refused > 0 {
            count_line.push_str(&format!(" ({} refused, {} without an answer)", overall.refused, overall.failed));
        }
        if !report.thresholds.is_empty() {
            count_line = format!("{passed_thresholds} of {} thresholds passed — {count_line}", report.thresholds.len());
        }
        if let Some(b) = &report.baseline {
            count_line = format!("{} — {count_line}", b.headline());
        }
        let model = &report.model;
        let open_model = model.kind == LoadModelKind::Open || report.late_starts > 0 || report.dropped > 0;
        let mut model_text = model.kind.as_str().to_string();
        if let Some(users) = model.users {
            model_text.push_str(&format!(", {users} users"));
        }
        if let Some(rate) = model.rate {
            model_text.push_str(&format!(", {}/s", fixed(rate)));
        }
        let mut meta = vec![
            ("Profile", format!("{} ({})", one_line(&report.profile), one_line(&report.source))),
            ("Target", one_line(&report.target.name)),
            ("Base URL", public_url(&report.target.base_url)),
            ("Model", model_text),
        ];
        if !model.stages.is_empty() {
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

        let verdict = if report.passed { "PASS" } else { "FAIL" };
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
            count_line,
            aborted: report.aborted,
            interrupted: report.interrupted.clone(),
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
            apis: report.apis.iter().map(|a| ApiRow::new(a, &one_line(&a.api))).collect(),
            overall: ApiRow::new(overall, "all APIs"),
            charts: charts(report),
            baseline: report.baseline.as_ref().map(|b| BaselineView {
                file: one_line(&b.file),
                max_regression: format!("{} %", fixed(b.max_regression_pct)),
                rows: b
                    .rows
                    .iter()
                    .map(|r| BaselineRowView {
                        api: one_line(&r.api),
                        metric: one_line(&r.metric),
                        baseline: metric_value(&r.metric, r.baseline),
                        current: metric_value(&r.metric, r.current),
                        change: crate::report::view::change(r.regression_pct),
                        direction: if r.regression_pct > 0.0 {
                            "worse"
                        } else if r.regression_pct < 0.0 {
                            "better"
                        } else {
                            "same"
                        },
                        label: if r.passed { "PASS" } else { "FAIL" },
                        class: if r.passed { "pass" } else { "fail" },
                    })
                    .collect(),
            }),
            scale_out,
        }
    }
}

impl ApiRow {
    fn new(a: &ApiStats, name: &str) -> ApiRow {
        ApiRow {
            api: name.to_string(),
            count: a.count,
            rate: fixed(a.rate),
            mean: fixed(a.mean_us / 1000.0),
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

pub(super) fn charts(report: &LoadReport) -> Vec<Chart> {
    let curve = |a: &ApiStats, name: String, dashed: bool| Series {
        name,
        points: a.percentiles.iter().map(|(p, us)| (*p, *us as f64 / 1000.0)).collect(),
        dashed,
    };
    let mut curves: Vec<Series> = report.apis.iter().map(|a| curve(a, one_line(&a.api), false)).collect();
    if curves.len() != 1 {
        curves.push(curve(&report.overall, "all APIs".to_string(), !curves.is_empty()));
    }
    let per_second = |f: fn(&crate::report::model::SecondStats) -> f64, busy_only: bool| -> Vec<(f64, f64)> {
        report.timeline.iter().filter(|s| !busy_only || s.requests > 0).map(|s| (f64::from(s.second), f(s))).collect()
    };
    let throughput = [
        Series::new("requests/s", per_second(|s| s.requests as f64, false)),
        Series::new("errors/s", per_second(|s| s.errors as f64, false)),
    ];
    let latency = [
        Series::new("p50", per_second(|s| s.p50_us as f64 / 1000.0, true)),
        Series::new("p99", per_second(|s| s.p99_us as f64 / 1000.0, true)),
    ];
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
    vec![
        Chart {
            id: "chart-percentiles",
            svg: svg::percentile_chart("Latency by percentile", &curves),
            caption: "HDR percentile curve per API; the percentile axis is logarithmic (each step adds a nine).",
        },
        Chart {
            id: "chart-throughput",
            svg: svg::time_chart("Throughput", "requests per second", &throughput),
            caption: "Requests and errors in each second of the measured window.",
        },
        Chart {
            id: "chart-latency-time",
            svg: svg::time_chart("Latency over time", "latency (ms)", &latency),
            caption: "p50 and p99 latency of the requests of each second, all APIs.",
        },
        Chart {
            id: "chart-rsp-codes",
            svg: svg::bar_chart("rsp_code distribution", &bars),
            caption: "Answers by rsp_code, all APIs (none = no answer).",
        },
    ]
}

/// A load run with two APIs, an open model with late starts and drops, a failed and a passed
/// threshold, a baseline and a ten-second timeline. Shared by the tests of the HTML and
/// Markdown renderers.
#[cfg(test)]
pub(crate) fn sample_load_report() -> LoadReport {
    use crate::report::model::{
        BaselineComparison, BaselineRow, LoadModelInfo, SecondStats, TargetInfo, ThresholdResult,
    };

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
        }
    }
    let withdraw = stats("transfer.withdraw", 1500, 20, 2, &[("A0000", 1480), ("A0326", 15), ("none", 5)]);
    let balance = stats("account.balance", 2500, 0, 1, &[("A0000", 2500)]);
    let mut overall = stats("all", 4000, 20, 1, &[("A0000", 3980), ("A0326", 15), ("none", 5)]);
    overall.rate = 400.0;
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
        duration_ms: 10_000,
        model: LoadModelInfo {
            kind: LoadModelKind::Open,
            users: None,
            rate: Some(400.0),
            stages: vec!["2s to 400/s".into(), "8s at 400/s".into()],
        },
        apis: vec![withdraw, balance],
        overall,
        timeline: (0..10)
            .map(|s| SecondStats {
                second: s,
                requests: if s < 2 { 200 * u64::from(s + 1) } else { 400 + u64::from(s % 3) },
                errors: u64::from(s % 4 == 3) * 5,
                p50_us: 1000 + u64::from(s) * 20,
                p99_us: 5000 + u64::from(s % 5) * 300,
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
                BaselineRow {
                    api: "transfer.withdraw".into(),
                    metric: "p99".into(),
                    baseline: 9000.0,
                    current: 10400.0,
                    regression_pct: 15.555555,
                    passed: false,
                },
                BaselineRow {
                    api: "account.balance".into(),
                    metric: "p95".into(),
                    baseline: 3000.0,
                    current: 2900.0,
                    regression_pct: -3.333333,
                    passed: true,
                },
                BaselineRow {
                    api: "account.balance".into(),
                    metric: "throughput".into(),
                    baseline: 250.0,
                    current: 250.0,
                    regression_pct: 0.0,
                    passed: true,
                },
            ],
        }),
        late_starts: 3,
        dropped: 1,
        aborted: false,
        interrupted: None,
        scale_out: None,
        passed: false,
    }
}
