//! The HTML reports: one self-contained file per run (inline CSS and SVG, a few lines of inline
//! JavaScript for the scenario filter, no external resources), readable offline, printable, and
//! what an institution hands over when it certifies.
//!
//! Both renderers are pure functions of their run model. Pages are askama templates
//! (`templates/*.html`) that escape every inserted value; the only markup inserted unescaped is
//! the charts of [`super::svg`], which escape their own text. Text that came from the target
//! (bodies, failure values, diffs, reasons) additionally goes through the terminal renderer's
//! secret masking and loses its control characters.

use std::collections::BTreeMap;
use std::io::Write;

use askama::Template;
use serde_json::Value;

use super::model::{ApiStats, CheckFailure, LoadReport, Outcome, RunReport, ScenarioResult, StepResult};
use super::svg::{self, Bar, Series};
use super::terminal::{Verdict, check_summary, failing_steps, multi_line, one_line, redact_check, redact_secrets};
use crate::protocol::codes::{Handling, RspCode};

/// Request and response bodies longer than this (pretty-printed, in characters) are cut.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Expected and actual values longer than this are cut.
const MAX_VALUE_CHARS: usize = super::terminal::MAX_VALUE_CHARS;
/// Diffs longer than this are cut.
const MAX_DIFF_LINES: usize = super::terminal::MAX_DIFF_LINES;

/// Writes the HTML report of a conformance run.
pub fn write_conformance(report: &RunReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_conformance_stamped(report, None, out)
}

/// Writes the HTML report of a conformance run that belongs to an evidence bundle, whose
/// digest and signer the header names.
pub fn write_conformance_stamped(
    report: &RunReport,
    stamp: Option<&super::stamp::BundleStamp>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut page = ConformancePage::new(report);
    page.bundle = stamp.map(|s| (one_line(&s.digest), one_line(&s.signer_text())));
    out.write_all(page.render().map_err(std::io::Error::other)?.as_bytes())
}

/// Writes the HTML report of a load run.
pub fn write_load(report: &LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    let page = LoadPage::new(report);
    out.write_all(page.render().map_err(std::io::Error::other)?.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Conformance

#[derive(Template)]
#[template(path = "conformance.html")]
struct ConformancePage {
    generator: String,
    page_title: String,
    target_name: String,
    base_url: String,
    capabilities: Vec<String>,
    quirks: Vec<String>,
    started_at: String,
    duration: String,
    verdict: &'static str,
    verdict_class: &'static str,
    count_line: String,
    counts: Vec<Count>,
    code_rows: Vec<MatrixRow>,
    rule_rows: Vec<MatrixRow>,
    verdict_options: Vec<(String, String)>,
    scenarios: Vec<ScenarioView>,
    unused_snapshots: Vec<String>,
    max_body_chars: usize,
    /// The evidence bundle's digest and signer, for a bundled run.
    bundle: Option<(String, String)>,
}

struct Count {
    n: usize,
    label: String,
    class: &'static str,
}

/// A row of the coverage matrix: a response code or a rule, and the scenarios that check it.
struct MatrixRow {
    key: String,
    meaning: String,
    /// The required handling (codes) or the tags matched (rules).
    handling: String,
    status: &'static str,
    status_class: &'static str,
    hits: Vec<Hit>,
}

struct Hit {
    anchor: String,
    id: String,
    title: String,
    label: &'static str,
    class: &'static str,
}

struct ScenarioView {
    anchor: String,
    id: String,
    title: String,
    spec: String,
    source: String,
    tags: Vec<String>,
    severity: String,
    expected_failure: bool,
    label: &'static str,
    class: &'static str,
    duration: String,
    reason: Option<String>,
    /// The first failed check, or the reason: one line for the table.
    summary: String,
    open: bool,
    steps: Vec<StepView>,
}

struct StepView {
    index: usize,
    name: String,
    action: String,
    label: &'static str,
    class: &'static str,
    http_status: Option<u16>,
    duration: String,
    failures: Vec<FailureView>,
    request: Option<String>,
    response: Option<String>,
    open_response: bool,
}

struct FailureView {
    expectation: String,
    expected: String,
    actual: String,
    /// (class, line) per diff line: `add`, `del`, `hunk`, `meta` or `ctx`.
    diff: Vec<(&'static str, String)>,
}

/// Handling rules that are not one response code, found by scenario tag.
const RULES: &[(&str, &str, &[&str])] = &[
    (
        "Consent",
        "제3자정보제공동의 / 출금동의 required, and expiring after one year (A0305, A0306, A0316, A0319)",
        &["consent"],
    ),
    (
        "Caller address",
        "Requests from an address outside the registered whitelist are refused (A0301)",
        &["ip", "whitelist"],
    ),
    (
        "Duplicates",
        "A reused bank_tran_id or a repeated transaction is ignored; the first request stands (A0008, A0326)",
        &["duplicate"],
    ),
    ("AML", "Anti-money-laundering fields of transfers are present and well formed", &["aml"]),
    ("Operating hours", "Outside the service hours the center answers retry-later (A0020)", &["hours"]),
    (
        "Unknown outcome",
        "A transfer whose outcome is unknown is settled with 이체결과조회, never re-sent",
        &["unknown-outcome", "result"],
    ),
    ("Refusals and limits", "Refused transfers and per-transaction / daily limits", &["refusal", "limit"]),
    ("Request format", "Malformed requests are refused with a format error (A0004, O0010)", &["format"]),
    ("Authentication", "OAuth tokens, scopes and their expiry", &["auth", "oauth", "token", "scope"]),
];

impl ConformancePage {
    fn new(report: &RunReport) -> ConformancePage {
        let verdicts: Vec<Verdict> = report.scenarios.iter().map(Verdict::of).collect();
        let count = |v: Verdict| verdicts.iter().filter(|x| **x == v).count();
        let (pass, fail, skip, error) =
            (count(Verdict::Pass), count(Verdict::Fail), count(Verdict::Skip), count(Verdict::Error));
        let (warn, xfail, xpass) = (count(Verdict::Warn), count(Verdict::XFail), count(Verdict::XPass));
        let mut counts = vec![
            Count { n: pass, label: "passed".into(), class: "pass" },
            Count { n: fail, label: "failed".into(), class: "fail" },
        ];
        for (n, one, many, class) in [
            (error, "error", "errors", "error"),
            (xpass, "unexpected pass", "unexpected passes", "xpass"),
            (warn, "failed warning", "failed warnings", "warn"),
            (xfail, "expected failure", "expected failures", "xfail"),
            (skip, "skipped", "skipped", "skip"),
        ] {
            if n > 0 {
                counts.push(Count { n, label: if n == 1 { one } else { many }.to_string(), class });
            }
        }
        let count_line = format!(
            "{} passed, {} failed, {} skipped — {}",
            pass + warn + xfail,
            fail + error + xpass,
            skip,
            plural(report.scenarios.len(), "scenario", "scenarios")
        );

        let mut anchors = Anchors::default();
        let scenarios: Vec<ScenarioView> =
            report.scenarios.iter().map(|r| ScenarioView::new(r, anchors.next(&r.id))).collect();

        let hit = |(_, view): (&ScenarioResult, &ScenarioView)| Hit {
            anchor: view.anchor.clone(),
            id: view.id.clone(),
            title: view.title.clone(),
            label: view.label,
            class: view.class,
        };
        let code_rows = RspCode::ALL
            .iter()
            .map(|code| {
                let hits: Vec<Hit> = report
                    .scenarios
                    .iter()
                    .zip(&scenarios)
                    .filter(|(r, _)| checks_code(r, code.code()))
                    .map(hit)
                    .collect();
                MatrixRow::new(
                    code.code().to_string(),
                    code.message().to_string(),
                    handling(code.default_handling()),
                    hits,
                )
            })
            .collect();
        let rule_rows = RULES
            .iter()
            .map(|(name, meaning, tags)| {
                let hits: Vec<Hit> = report
                    .scenarios
                    .iter()
                    .zip(&scenarios)
                    .filter(|(r, _)| r.tags.iter().any(|t| tags.iter().any(|want| t.eq_ignore_ascii_case(want))))
                    .map(hit)
                    .collect();
                MatrixRow::new(name.to_string(), meaning.to_string(), tags.join(", "), hits)
            })
            .collect();

        let mut verdict_options = vec![("fail error xpass".to_string(), "needs attention".to_string())];
        for v in
            [Verdict::Pass, Verdict::Fail, Verdict::Error, Verdict::XPass, Verdict::Warn, Verdict::XFail, Verdict::Skip]
        {
            let n = count(v);
            if n > 0 {
                verdict_options.push((v.label().to_ascii_lowercase(), format!("{} ({n})", v.label())));
            }
        }

        let success = report.is_success();
        let target_name = one_line(&report.target.name);
        ConformancePage {
            generator: format!("{} {}", one_line(&report.tool), one_line(&report.version)),
            page_title: format!(
                "{} — conformance of {} — {}",
                if success { "PASS" } else { "FAIL" },
                target_name,
                one_line(&report.started_at)
            ),
            target_name,
            base_url: public_url(&report.target.base_url),
            capabilities: report.target.capabilities.iter().map(|c| one_line(c)).collect(),
            quirks: report.target.quirks.iter().map(|q| one_line(q)).collect(),
            started_at: one_line(&report.started_at),
            duration: seconds(report.duration_ms),
            verdict: if success { "PASS" } else { "FAIL" },
            verdict_class: if success { "pass" } else { "fail" },
            count_line,
            counts,
            code_rows,
            rule_rows,
            verdict_options,
            scenarios,
            unused_snapshots: report.unused_snapshots.iter().map(|p| one_line(p)).collect(),
            max_body_chars: MAX_BODY_CHARS,
            bundle: None,
        }
    }
}

impl MatrixRow {
    fn new(key: String, meaning: String, handling: String, hits: Vec<Hit>) -> MatrixRow {
        let verdicts: Vec<&str> = hits.iter().map(|h| h.class).collect();
        let (status, status_class) = if hits.is_empty() {
            ("not covered", "uncovered")
        } else if verdicts.iter().any(|c| matches!(*c, "fail" | "error" | "xpass")) {
            ("failing", "failing")
        } else if verdicts.iter().all(|c| *c == "skip") {
            ("not run", "skipped")
        } else if verdicts.iter().any(|c| matches!(*c, "warn" | "xfail")) {
            ("passing, with warnings", "warning")
        } else {
            ("passing", "passing")
        };
        MatrixRow { key, meaning, handling, status, status_class, hits }
    }
}

/// Whether a scenario checks a response code, as far as its result shows: its id, title, spec
/// reference or a tag names the code, or a failed `rsp_code` check expected it.
fn checks_code(r: &ScenarioResult, code: &str) -> bool {
    [&r.id, &r.title, &r.spec].iter().any(|text| mentions(text, code))
        || r.tags.iter().any(|t| t.eq_ignore_ascii_case(code))
        || r.steps
            .iter()
            .flat_map(|s| &s.failures)
            .any(|f| f.expectation.contains("rsp_code") && mentions(&f.expected, code))
}

/// `text` contains `code` as a word (case-insensitive: tags are lower case).
fn mentions(text: &str, code: &str) -> bool {
    let (text, code) = (text.to_ascii_lowercase(), code.to_ascii_lowercase());
    let bytes = text.as_bytes();
    text.match_indices(&code).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + code.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric()) && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

fn handling(h: Handling) -> String {
    match h {
        Handling::Success => "success",
        Handling::Refused => "refused: treat as failed, do not retry the same id",
        Handling::InquireResult => "outcome unknown: call 이체결과조회, never re-send",
        Handling::DuplicateIgnored => "duplicate: the second request is ignored, the first stands",
        Handling::ConsentExpired => "consent expired: re-confirm through 계좌등록확인",
        Handling::ConsentRequired => "consent missing: register it through 사용자인증",
        Handling::AuthError => "credentials, scope or caller address rejected: fix before retrying",
        Handling::FormatError => "malformed request: fix the request",
        Handling::RetryLater => "not available now: try again later",
    }
    .to_string()
}

/// Unique, URL-safe element ids for scenarios.
#[derive(Default)]
struct Anchors {
    used: BTreeMap<String, usize>,
}

impl Anchors {
    fn next(&mut self, id: &str) -> String {
        let slug: String =
            id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let base = format!("s-{slug}");
        let n = self.used.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}-{n}") }
    }
}

impl ScenarioView {
    fn new(r: &ScenarioResult, anchor: String) -> ScenarioView {
        let verdict = Verdict::of(r);
        let reason = r.reason.as_deref().map(|reason| one_line(&redact_secrets(reason)));
        let summary = match verdict {
            Verdict::Pass => String::new(),
            Verdict::XPass => {
                "passed, but listed as an expected failure: remove it from the expected-failures file".into()
            }
            Verdict::Skip | Verdict::Error => reason.clone().unwrap_or_default(),
            Verdict::Fail | Verdict::Warn | Verdict::XFail => failing_steps(r)
                .flat_map(|s| &s.failures)
                .next()
                .map(check_summary)
                .or_else(|| reason.clone())
                .unwrap_or_default(),
        };
        ScenarioView {
            anchor,
            id: one_line(&r.id),
            title: one_line(&r.title),
            spec: one_line(&r.spec),
            source: one_line(&r.source),
            tags: r.tags.iter().map(|t| one_line(t)).collect(),
            severity: one_line(&r.severity),
            expected_failure: r.expected_failure,
            label: verdict.label(),
            class: verdict_class(verdict),
            duration: seconds(r.duration_ms),
            reason,
            summary: clip_chars(&summary, 300),
            open: verdict.fails_run() || verdict == Verdict::Warn,
            steps: r.steps.iter().map(StepView::new).collect(),
        }
    }
}

impl StepView {
    fn new(s: &StepResult) -> StepView {
        let (label, class) = outcome(s.outcome);
        let failed = !s.failures.is_empty() || matches!(s.outcome, Outcome::Failed | Outcome::Error);
        StepView {
            index: s.index,
            name: one_line(&s.name),
            action: one_line(&s.action),
            label,
            class,
            http_status: s.http_status,
            duration: format!("{} ms", s.duration_ms),
            failures: s.failures.iter().map(FailureView::new).collect(),
            request: s.request.as_ref().map(body),
            response: s.response.as_ref().map(body),
            open_response: failed,
        }
    }
}

impl FailureView {
    fn new(f: &CheckFailure) -> FailureView {
        let f = redact_check(f);
        FailureView {
            expectation: one_line(&f.expectation),
            expected: clip_chars(&f.expected, MAX_VALUE_CHARS),
            actual: clip_chars(&f.actual, MAX_VALUE_CHARS),
            diff: f.diff.as_deref().map(diff_lines).unwrap_or_default(),
        }
    }
}

fn diff_lines(diff: &str) -> Vec<(&'static str, String)> {
    let diff = multi_line(diff);
    let total = diff.lines().count();
    let mut lines: Vec<(&'static str, String)> = diff
        .lines()
        .take(MAX_DIFF_LINES)
        .map(|line| {
            let class = if line.starts_with("+++") || line.starts_with("---") {
                "meta"
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                "ctx"
            };
            // An empty block element has no height: keep blank lines visible.
            (class, if line.is_empty() { " ".to_string() } else { line.to_string() })
        })
        .collect();
    if total > MAX_DIFF_LINES {
        lines.push(("meta", format!("… {} more lines (the JSON report has the whole diff)", total - MAX_DIFF_LINES)));
    }
    lines
}

/// A body as indented JSON, secrets masked, cut after [`MAX_BODY_CHARS`].
fn body(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let text = multi_line(&redact_secrets(&text));
    match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((at, _)) => format!(
            "{}\n… {} more characters (the JSON report has the whole body)",
            &text[..at],
            text[at..].chars().count()
        ),
        None => text,
    }
}

fn clip_chars(s: &str, max: usize) -> String {
    let s = multi_line(s);
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} more characters)", &s[..at], s[at..].chars().count()),
        None => s,
    }
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Skip => "skip",
        Verdict::Error => "error",
        Verdict::Warn => "warn",
        Verdict::XFail => "xfail",
        Verdict::XPass => "xpass",
    }
}

fn outcome(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Passed => ("PASS", "pass"),
        Outcome::Failed => ("FAIL", "fail"),
        Outcome::Skipped => ("SKIP", "skip"),
        Outcome::Error => ("ERROR", "error"),
    }
}

// ---------------------------------------------------------------------------------------------
// Load

#[derive(Template)]
#[template(path = "load.html")]
struct LoadPage {
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
}

struct ThresholdView {
    name: String,
    expected: String,
    actual: String,
    label: &'static str,
    class: &'static str,
}

struct ApiRow {
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

struct CodeChip {
    code: String,
    count: u64,
    title: String,
    class: &'static str,
}

struct Chart {
    id: &'static str,
    /// Markup from [`svg`], which escapes its own text.
    svg: String,
    caption: &'static str,
}

struct BaselineView {
    file: String,
    max_regression: String,
    rows: Vec<BaselineRowView>,
}

struct BaselineRowView {
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
    fn new(report: &LoadReport) -> LoadPage {
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
        let open_model = model.kind == "open" || report.late_starts > 0 || report.dropped > 0;
        let mut model_text = one_line(&model.kind);
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
                        change: super::markdown::change(r.regression_pct),
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

/// rsp_codes, most frequent first.
pub(super) fn sorted_codes(codes: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut codes: Vec<(&str, u64)> = codes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    codes
}

fn code_title(code: &str) -> String {
    match RspCode::from_code(code) {
        Some(c) => c.message().to_string(),
        None if code == "none" => "no answer".to_string(),
        None => "not in the code table".to_string(),
    }
}

fn code_class(code: &str) -> &'static str {
    match RspCode::from_code(code) {
        Some(c) if c.is_success() => "good",
        _ if code == "none" => "bad",
        _ => "other",
    }
}

fn code_color(code: &str) -> &'static str {
    match code_class(code) {
        "good" => svg::GOOD,
        "bad" => svg::BAD,
        _ => svg::WARN,
    }
}

fn charts(report: &LoadReport) -> Vec<Chart> {
    let curve = |a: &ApiStats, name: String, dashed: bool| Series {
        name,
        points: a.percentiles.iter().map(|(p, us)| (*p, *us as f64 / 1000.0)).collect(),
        dashed,
    };
    let mut curves: Vec<Series> = report.apis.iter().map(|a| curve(a, one_line(&a.api), false)).collect();
    if curves.len() != 1 {
        curves.push(curve(&report.overall, "all APIs".to_string(), !curves.is_empty()));
    }
    let per_second = |f: fn(&super::model::SecondStats) -> f64, busy_only: bool| -> Vec<(f64, f64)> {
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

/// A baseline value: latencies (`p95`, `p99`, … in µs, like [`ApiStats`]) in ms,
/// throughput in requests per second.
pub(super) fn metric_value(metric: &str, v: f64) -> String {
    if metric.starts_with('p') && metric[1..].chars().all(|c| c.is_ascii_digit() || c == '.') && metric.len() > 1 {
        format!("{} ms", fixed(v / 1000.0))
    } else if metric == "throughput" {
        format!("{}/s", fixed(v))
    } else {
        fixed(v)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared formatting

/// Microseconds as milliseconds with two decimals.
pub(super) fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Two decimals; `–` for values that are not numbers.
pub(super) fn fixed(v: f64) -> String {
    if v.is_finite() { format!("{v:.2}") } else { "–".to_string() }
}

pub(super) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "0.00 %".to_string() } else { format!("{:.2} %", part as f64 * 100.0 / whole as f64) }
}

/// `1.234 s`.
pub(super) fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A base URL without user information, query or fragment.
pub(super) fn public_url(url: &str) -> String {
    let url = one_line(url);
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if scheme.is_empty() { format!("{host}{path}") } else { format!("{scheme}://{host}{path}") }
}

/// A load run with two APIs, an open model with late starts and drops, a failed and a passed
/// threshold, a baseline and a ten-second timeline. Shared by the tests of the HTML and
/// Markdown renderers.
#[cfg(test)]
pub(crate) fn sample_load_report() -> LoadReport {
    use super::model::{BaselineComparison, BaselineRow, LoadModelInfo, SecondStats, TargetInfo, ThresholdResult};

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
            kind: "open".into(),
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
        passed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::sample_report;

    pub(crate) fn conformance_html(report: &RunReport) -> String {
        let mut out = Vec::new();
        write_conformance(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    pub(crate) fn load_html(report: &LoadReport) -> String {
        let mut out = Vec::new();
        write_load(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const VOID: &[&str] = &["meta", "link", "br", "hr", "img", "input", "wbr", "col", "source", "area", "base"];

    /// A start or end tag: (name, attributes, self-closing), or `None` for an end tag's name.
    struct Tag<'a> {
        name: String,
        closing: bool,
        self_closing: bool,
        attrs: Vec<(String, &'a str)>,
        raw: &'a str,
    }

    /// Splits an HTML document made by these templates into tags and text (no comments; the
    /// contents of `<script>` and `<style>` as one text each). Panics on what a browser would
    /// have to repair: an unterminated tag or an unquoted attribute value.
    fn tokens(html: &str) -> Vec<Result<Tag<'_>, &str>> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            if lt > 0 {
                out.push(Err(&rest[..lt]));
            }
            let gt = lt + rest[lt..].find('>').expect("unterminated tag");
            let raw = &rest[lt..=gt];
            rest = &rest[gt + 1..];
            if raw.starts_with("<!") {
                continue;
            }
            let inner = raw[1..raw.len() - 1].trim_end_matches('/');
            let closing = inner.starts_with('/');
            let inner = inner.trim_start_matches('/');
            let (name, mut attrs_text) = inner.split_once([' ', '\n']).unwrap_or((inner, ""));
            let mut attrs = Vec::new();
            while !attrs_text.trim().is_empty() {
                attrs_text = attrs_text.trim_start();
                let end = attrs_text.find([' ', '=']).unwrap_or(attrs_text.len());
                let key = attrs_text[..end].to_ascii_lowercase();
                attrs_text = &attrs_text[end..];
                if let Some(value) = attrs_text.strip_prefix("=\"") {
                    let close = value.find('"').expect("unterminated attribute value");
                    attrs.push((key, &value[..close]));
                    attrs_text = &value[close + 1..];
                } else {
                    assert!(!attrs_text.starts_with('='), "unquoted attribute value in {raw}");
                    attrs.push((key, ""));
                }
            }
            let name = name.to_ascii_lowercase();
            let self_closing = raw.ends_with("/>") || VOID.contains(&name.as_str());
            let raw_text = !closing && (name == "script" || name == "style");
            out.push(Ok(Tag { name: name.clone(), closing, self_closing, attrs, raw }));
            if raw_text {
                let end = rest.find(&format!("</{name}>")).expect("unterminated raw text element");
                out.push(Err(&rest[..end]));
                rest = &rest[end..];
            }
        }
        if !rest.is_empty() {
            out.push(Err(rest));
        }
        out
    }

    /// The document's outline, for snapshots: one line per landmark element (one with an id,
    /// headings, sections, tables, charts, scenario blocks), indented by nesting, with table
    /// column headers and body row counts, chart data element counts and heading texts. Also
    /// checks that every element is closed in order.
    fn outline(html: &str) -> String {
        let toks = tokens(html);
        let mut stack: Vec<(String, bool)> = Vec::new();
        let mut lines = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            if let Ok(tag) = &toks[i] {
                if tag.closing {
                    let (open, _) = stack.pop().unwrap_or_else(|| panic!("stray </{}>", tag.name));
                    assert_eq!(open, tag.name, "</{}> closes <{open}>", tag.name);
                } else {
                    let attr = |k: &str| tag.attrs.iter().find(|(key, _)| key == k).map(|(_, v)| *v);
                    let heading = matches!(tag.name.as_str(), "h1" | "h2" | "h3" | "h4");
                    let landmark = attr("id").is_some()
                        || heading
                        || matches!(
                            tag.name.as_str(),
                            "section" | "table" | "svg" | "details" | "header" | "nav" | "footer"
                        )
                        || tag.name == "pre" && attr("class") == Some("diff");
                    if landmark {
                        let depth = stack.iter().filter(|(_, l)| *l).count();
                        let mut line = format!("{}{}", "  ".repeat(depth), tag.name);
                        if let Some(id) = attr("id") {
                            line.push_str(&format!("#{id}"));
                        }
                        if let Some(class) = attr("class") {
                            for c in class.split_whitespace() {
                                line.push_str(&format!(".{c}"));
                            }
                        }
                        let inner = element_text(&toks[i + 1..], &tag.name);
                        if heading {
                            line.push_str(&format!(": {}", inner.text));
                        }
                        if tag.name == "table" {
                            line.push_str(&format!(" [{}] rows={}", inner.headers.join(" | "), inner.body_rows));
                        }
                        if tag.name == "svg" {
                            line.push_str(&format!(" paths={} rects={}", inner.count("path"), inner.count("rect")));
                        }
                        lines.push(line);
                    }
                    if !tag.self_closing {
                        stack.push((tag.name.clone(), landmark));
                    }
                }
            }
            i += 1;
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        lines.join("\n")
    }

    struct Inner {
        text: String,
        headers: Vec<String>,
        body_rows: usize,
        tags: Vec<String>,
    }

    impl Inner {
        fn count(&self, name: &str) -> usize {
            self.tags.iter().filter(|t| *t == name).count()
        }
    }

    /// The text, `<thead>` headers, `<tbody>` rows and start tags of an element, from the
    /// tokens after its start tag.
    fn element_text(toks: &[Result<Tag<'_>, &str>], name: &str) -> Inner {
        let mut inner = Inner { text: String::new(), headers: Vec::new(), body_rows: 0, tags: Vec::new() };
        let (mut depth, mut in_thead, mut in_tbody, mut in_th) = (0, false, false, false);
        for tok in toks {
            match tok {
                Ok(tag) if tag.closing => {
                    if tag.name == name {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    }
                    in_thead &= tag.name != "thead";
                    in_tbody &= tag.name != "tbody";
                    in_th &= tag.name != "th";
                }
                Ok(tag) => {
                    inner.tags.push(tag.name.clone());
                    if tag.name == name && !tag.self_closing {
                        depth += 1;
                    }
                    match tag.name.as_str() {
                        "thead" => in_thead = true,
                        "tbody" => in_tbody = true,
                        "th" if in_thead => {
                            in_th = true;
                            inner.headers.push(String::new());
                        }
                        "tr" if in_tbody => inner.body_rows += 1,
                        _ => {}
                    }
                }
                Err(text) => {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if in_th {
                        inner.headers.last_mut().unwrap().push_str(&text);
                    }
                    if !inner.text.is_empty() && !text.is_empty() {
                        inner.text.push(' ');
                    }
                    inner.text.push_str(&text);
                }
            }
        }
        inner
    }

    /// Every reference to an external resource: in any tag, an `http:`, `https:` or
    /// protocol-relative (`//`) URL in any attribute (src, href, xlink:href, action, poster,
    /// srcset, style, …), and elements that load resources by nature (`<link>`, `<iframe>`,
    /// `<object>`, `<embed>`, `<img>`, `<script src>`); in `<style>`, any `url(` or `@import`;
    /// in `<script>`, any URL or network API.
    ///
    /// The rule: an `http://` or `https://` may appear only in text content, where every value
    /// is escaped (a target's base URL, for instance) and a browser never loads it.
    fn asset_references(html: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut parent = String::new();
        for tok in tokens(html) {
            match tok {
                Ok(tag) => {
                    if !tag.closing {
                        parent = tag.name.clone();
                    }
                    if matches!(tag.name.as_str(), "link" | "iframe" | "object" | "embed" | "img" | "frame" | "base") {
                        found.push(tag.raw.to_string());
                    }
                    for (key, value) in &tag.attrs {
                        let v = value.trim().to_ascii_lowercase();
                        if v.contains("http:") || v.contains("https:") || v.starts_with("//") || v.contains("url(") {
                            found.push(format!("{key}=\"{value}\" in {}", tag.raw));
                        }
                        if key == "src" || key.ends_with("href") && !value.starts_with('#') {
                            found.push(format!("{key}=\"{value}\" in {}", tag.raw));
                        }
                    }
                }
                Err(text) if parent == "style" => {
                    for bad in ["url(", "@import", "http:", "https:"] {
                        if text.contains(bad) {
                            found.push(format!("{bad} in <style>"));
                        }
                    }
                    parent.clear();
                }
                Err(text) if parent == "script" => {
                    for bad in ["http:", "https:", "//", "fetch(", "XMLHttpRequest", "import(", "WebSocket", "src"] {
                        if text.contains(bad) {
                            found.push(format!("{bad} in <script>"));
                        }
                    }
                    parent.clear();
                }
                Err(_) => {}
            }
        }
        found
    }

    fn all_pages() -> Vec<(&'static str, String)> {
        let mut quirky = sample_report();
        quirky.target.quirks = vec!["http-500-on-bad-json".into()];
        let mut aborted = sample_load_report();
        aborted.aborted = true;
        aborted.baseline = None;
        aborted.model.kind = "closed".into();
        aborted.model.users = Some(50);
        aborted.model.rate = None;
        aborted.late_starts = 0;
        aborted.dropped = 0;
        let mut empty_load = sample_load_report();
        empty_load.apis.clear();
        empty_load.overall = ApiStats { api: "all".into(), ..ApiStats::default() };
        empty_load.timeline.clear();
        empty_load.thresholds.clear();
        let mut empty_run = sample_report();
        empty_run.scenarios.clear();
        empty_run.summarise();
        vec![
            ("conformance", conformance_html(&sample_report())),
            ("conformance with quirks", conformance_html(&quirky)),
            ("conformance without scenarios", conformance_html(&empty_run)),
            ("load", load_html(&sample_load_report())),
            ("load aborted, closed model", load_html(&aborted)),
            ("load without data", load_html(&empty_load)),
        ]
    }

    #[test]
    fn conformance_outline() {
        insta::assert_snapshot!("html_conformance_outline", outline(&conformance_html(&sample_report())));
    }

    #[test]
    fn load_outline() {
        insta::assert_snapshot!("html_load_outline", outline(&load_html(&sample_load_report())));
    }

    #[test]
    fn pages_are_self_contained() {
        for (name, html) in all_pages() {
            let refs = asset_references(&html);
            assert!(refs.is_empty(), "{name}: external references {refs:?}");
            assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{name}");
            assert!(html.contains("<meta charset=\"utf-8\">"), "{name}");
            assert!(html.contains("\"Apple SD Gothic Neo\", \"Malgun Gothic\", \"Noto Sans KR\""), "{name}");
            assert!(html.contains("@media print"), "{name}");
            // The base URL appears, as text only.
            assert!(
                html.contains("<code>http://127.0.0.1:8080</code>") || html.contains("<dd>http://127.0.0.1:8080</dd>")
            );
            outline(&html);
        }
        // The checker finds what it is meant to find.
        let bad = [
            "<img src=\"https://cdn.example/x.png\">",
            "<link rel=\"stylesheet\" href=\"https://cdn.example/x.css\">",
            "<script src=\"//cdn.example/x.js\"></script>",
            "<style>@import \"x.css\";</style>",
            "<style>body { background: url(data.png) }</style>",
            "<div style=\"background:url(https://x.example/a.png)\"></div>",
            "<svg><image href=\"http://x.example/a.png\"/></svg>",
            "<a href=\"https://example.com\">x</a>",
            "<script>fetch('/x')</script>",
        ];
        for html in bad {
            assert!(!asset_references(html).is_empty(), "{html}");
        }
        assert!(asset_references("<p>see http://127.0.0.1:8080</p><a href=\"#s-x\">x</a>").is_empty());
    }

    #[test]
    fn no_nan_or_infinity() {
        let mut odd = sample_load_report();
        odd.overall.rate = f64::NAN;
        odd.apis[0].mean_us = f64::INFINITY;
        odd.apis[1].percentiles.push((f64::NAN, 3));
        odd.model.rate = Some(f64::INFINITY);
        odd.baseline.as_mut().unwrap().rows[0].regression_pct = f64::NAN;
        odd.baseline.as_mut().unwrap().max_regression_pct = f64::NEG_INFINITY;
        let mut pages = all_pages();
        pages.push(("load with non-finite numbers", load_html(&odd)));
        let number_word = regex::Regex::new(r"(?i)\b(nan|inf|infinity)\b").unwrap();
        for (name, html) in pages {
            assert!(!html.contains("NaN"), "{name}");
            assert!(!number_word.is_match(&html), "{name}: {:?}", number_word.find(&html));
        }
    }

    #[test]
    fn hostile_text_is_escaped() {
        let xss = "<script>alert(1)</script>";
        let mut report = sample_report();
        report.scenarios[1].title = format!("dup {xss}");
        report.scenarios[1].id = format!("OBH-\"><img src=x onerror=alert(2)>{xss}");
        report.scenarios[1].tags.push(xss.into());
        report.scenarios[1].steps[2].response = Some(serde_json::json!({"rsp_message": xss, "x": "</pre><b>"}));
        report.scenarios[1].steps[2].failures[1].diff = Some(format!("+{xss}\n-</span></pre>"));
        report.scenarios[1].steps[2].failures[0].actual = xss.into();
        report.scenarios[1].reason = Some(xss.into());
        report.target.name = xss.into();
        report.target.base_url = format!("http://x/{xss}");
        report.target.quirks = vec![xss.into()];
        report.unused_snapshots = vec![xss.into()];
        let html = conformance_html(&report);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("</pre><b>"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("&lt;script&gt;alert(1)"));
        assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
        outline(&html);
        assert!(asset_references(&html).is_empty());

        let mut load = sample_load_report();
        load.profile = xss.into();
        load.apis[0].api = xss.into();
        load.apis[0].rsp_codes.insert(xss.into(), 1);
        load.thresholds[0].name = xss.into();
        load.baseline.as_mut().unwrap().file = xss.into();
        let html = load_html(&load);
        assert!(!html.contains("<script>alert"), "{html}");
        assert_eq!(html.matches("<script>").count(), 1);
        outline(&html);
    }

    #[test]
    fn conformance_content() {
        let html = conformance_html(&sample_report());
        // Verdict and counts.
        assert!(html.contains("<span class=\"verdict fail\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains("3 passed, 3 failed, 1 skipped — 7 scenarios"));
        // Bodies are pretty-printed; diffs coloured by line.
        assert!(
            html.contains("  &#34;note&#34;: &#34;RESPONSE-BODY-MARKER&#34;") || html.contains("  &quot;note&quot;")
        );
        assert!(html.contains("<span class=\"del\">-  &#34;rsp_code&#34;: &#34;A0326&#34;,</span>"), "{html}");
        assert!(html.contains("<span class=\"add\">+  &#34;rsp_code&#34;: &#34;A0000&#34;,</span>"));
        assert!(html.contains("<span class=\"hunk\">@@ -1,4 +1,4 @@</span>"));
        // Failing scenarios are open, passing ones closed.
        assert!(html.contains("<details class=\"scenario fail\" id=\"s-OBH-TR-DUP-001\" open>"));
        assert!(html.contains("<details class=\"scenario pass\" id=\"s-OBH-AUTH-001\">"));
        // The coverage matrix: the duplicate scenario checks A0326 (spec/failure), the expected
        // failure A0324 is not in the table; uncovered codes say so.
        let row = html.lines().find(|l| l.contains("<td><code>A0326</code>")).unwrap();
        assert!(row.contains("status-failing") && row.contains("href=\"#s-OBH-TR-DUP-001\""), "{row}");
        let row = html.lines().find(|l| l.contains("<td><code>A0020</code>")).unwrap();
        assert!(row.contains("status-uncovered") && row.contains("not covered"), "{row}");
        // Without JavaScript the filter stays hidden and the table complete.
        assert!(html.contains("<div class=\"filter\" id=\"filter\" hidden>"));
    }

    #[test]
    fn secrets_and_long_bodies() {
        let mut report = sample_report();
        let step = &mut report.scenarios[0].steps[0];
        step.response =
            Some(serde_json::json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.secret", "long": "x".repeat(30_000)}));
        step.failures.push(CheckFailure {
            expectation: "$.access_token eq".into(),
            expected: "eyJhbGciOiJIUzI1NiJ9.other".into(),
            actual: "(missing)".into(),
            diff: Some((0..500).map(|i| format!("+line {i}\n")).collect()),
        });
        let html = conformance_html(&report);
        assert!(!html.contains("eyJhbGciOiJIUzI1NiJ9"), "secrets are masked");
        assert!(html.contains("more characters (the JSON report has the whole body)"));
        assert!(!html.contains(&"x".repeat(MAX_BODY_CHARS)));
        assert!(html.contains(">+line 199<") && !html.contains(">+line 200<"));
        assert!(html.contains("… 300 more lines"));
    }

    #[test]
    fn load_content() {
        let html = load_html(&sample_load_report());
        assert!(html.contains("<span class=\"verdict fail\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains("1 of 2 thresholds passed — 4000 requests at 400.00/s, 0.50 % errors"));
        // p50/p90/p95/p99/p99.9/max in ms with two decimals.
        assert!(html.contains(
            "<td class=\"num\">2.00</td><td class=\"num\">4.20</td><td class=\"num\">5.80</td><td class=\"num\">10.40</td><td class=\"num\">19.60</td><td class=\"num\">42.00</td>"
        ));
        assert!(html.contains("<td class=\"num\">20 (1.33 %)</td>"));
        assert!(html.contains("title=\"은행거래고유번호 중복\">A0326 15</span>"));
        assert!(html.contains("<b>3</b>late starts") && html.contains("<b>1</b>dropped"));
        assert!(html.contains(
            "<td class=\"num\">9.00 ms</td><td class=\"num\">10.40 ms</td><td class=\"num worse\">+15.56 %</td>"
        ));
        assert!(html.contains("<td class=\"num better\">-3.33 %</td>"));
        assert!(!html.contains("id=\"aborted\""));
        for id in ["chart-percentiles", "chart-throughput", "chart-latency-time", "chart-rsp-codes"] {
            let at = html.find(&format!("id=\"{id}\"")).unwrap();
            let chart = &html[at..at + html[at..].find("</figure>").unwrap()];
            assert!(chart.contains("<svg class=\"chart\" role=\"img\""), "{id}");
            assert!(chart.contains("<path class=\"series\" d=\"M") || chart.contains("<rect x="), "{id}");
        }

        let mut closed = sample_load_report();
        closed.aborted = true;
        closed.model =
            super::super::model::LoadModelInfo { kind: "closed".into(), users: Some(50), rate: None, stages: vec![] };
        closed.late_starts = 0;
        closed.dropped = 0;
        closed.baseline = None;
        let html = load_html(&closed);
        assert!(html.contains("id=\"aborted\""));
        closed.interrupted = Some("SIGINT".into());
        let html = load_html(&closed);
        assert!(html.contains("id=\"interrupted\"") && html.contains("stopped by SIGINT"), "interrupted run");
        assert!(!html.contains("id=\"aborted\""), "one banner");
        assert!(!html.contains("late starts") && !html.contains("id=\"baseline\""));
        assert!(html.contains("<dd>closed, 50 users</dd>"));
    }
}
