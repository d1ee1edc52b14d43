//! The conformance (and client-certification and differential) page.

use std::collections::BTreeMap;

use askama::Template;
use serde_json::Value;

use super::MAX_BODY_CHARS;
use crate::protocol::codes::RspCode;
use crate::report::model::{CheckFailure, Outcome, RunReport, ScenarioResult, StepResult};
use crate::report::view::{
    MAX_DIFF_LINES, MAX_VALUE_CHARS, Verdict, check_summary, clip_chars, failing_steps, failure_briefs,
    interruption_note, multi_line, one_line, plural, public_url, run_title, seconds,
};

#[derive(Template)]
#[template(path = "conformance.html")]
pub(super) struct ConformancePage {
    generator: String,
    page_title: String,
    /// What was judged, against what (names the client of a client certification).
    title: String,
    subject: Option<String>,
    interrupted: Option<String>,
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
    /// The scenarios that need attention, first on the page.
    failures: Vec<BriefView>,
    unused_snapshots: Vec<String>,
    max_body_chars: usize,
    /// The evidence bundle's digest and signer, for a bundled run.
    pub(super) bundle: Option<(String, String)>,
}

/// A failure as the page leads with it.
pub(super) struct BriefView {
    anchor: String,
    id: String,
    title: String,
    label: &'static str,
    class: &'static str,
    /// `step 3 "balance after" (call account.balance)`, or why there was no step.
    at: String,
    consequence: Option<String>,
    checks: Vec<FailureView>,
    rules: Vec<String>,
    curl: Option<String>,
    /// The client's request that broke the rule, in the journal timeline.
    journal_link: Option<String>,
}

pub(super) struct Count {
    n: usize,
    label: String,
    class: &'static str,
}

/// A row of the coverage matrix: a response code or a rule, and the scenarios that check it.
pub(super) struct MatrixRow {
    key: String,
    meaning: String,
    /// The required handling (codes) or the tags matched (rules).
    handling: String,
    status: &'static str,
    status_class: &'static str,
    hits: Vec<Hit>,
}

pub(super) struct Hit {
    anchor: String,
    id: String,
    title: String,
    label: &'static str,
    class: &'static str,
}

pub(super) struct ScenarioView {
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

pub(super) struct StepView {
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
    /// The checks the step made; for a passed step, the evidence it passed.
    checks: Vec<String>,
    /// A client certification's evidence: the simulator's journal of the client's calls.
    timeline: Vec<TimelineRow>,
}

/// One call of the client, as the simulator's journal saw it.
pub(super) struct TimelineRow {
    anchor: String,
    time: String,
    /// Since the client's previous call.
    interval: String,
    api: String,
    bank_tran_id: String,
    org_bank_tran_id: String,
    codes: String,
    peer: String,
    /// Named by a failed rule: the request that broke it.
    flagged: bool,
}

/// The journal rows of a client-certification step, those named by a failure (`flags`: the
/// bank_tran_ids and addresses the failures quote) marked.
fn timeline(anchor: &str, step: &StepResult, flags: &[String]) -> Vec<TimelineRow> {
    let Some(journal) = step.response.as_ref().and_then(|r| r.get("journal")).and_then(Value::as_array) else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(one_line).unwrap_or_default();
    let mut previous: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    journal
        .iter()
        .map(|e| {
            let at = e.get("at").and_then(Value::as_str).and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let interval = match (at, previous) {
                (Some(now), Some(before)) => format!("+{:.3} s", (now - before).num_milliseconds() as f64 / 1000.0),
                _ => String::new(),
            };
            previous = at.or(previous);
            let api = text(e, "api");
            let korean = crate::protocol::ApiId::parse(&api).map(|a| a.api().name).unwrap_or("");
            let bank_tran_id = text(e, "bank_tran_id");
            let peer = text(e, "peer");
            let ip = peer.rsplit_once(':').map_or(peer.as_str(), |(ip, _)| ip).to_string();
            let rsp = text(e, "rsp_code");
            let codes = if e.get("dropped").and_then(Value::as_bool) == Some(true) {
                "no answer (dropped)".to_string()
            } else {
                [rsp, text(e, "bank_rsp_code")].into_iter().filter(|c| !c.is_empty()).collect::<Vec<_>>().join(" / ")
            };
            let flagged = flags.iter().any(|f| {
                (!bank_tran_id.is_empty() && f.contains(&bank_tran_id)) || (!ip.is_empty() && f.contains(&ip))
            });
            TimelineRow {
                anchor: format!("{anchor}-j{}", e.get("seq").and_then(Value::as_u64).unwrap_or(0)),
                time: at.map(|t| t.format("%H:%M:%S%.3f").to_string()).unwrap_or_default(),
                interval,
                api: if korean.is_empty() { api } else { format!("{api} {korean}") },
                bank_tran_id,
                org_bank_tran_id: text(e, "org_bank_tran_id"),
                codes,
                peer,
                flagged,
            }
        })
        .collect()
}

pub(super) struct FailureView {
    expectation: String,
    expected: String,
    actual: String,
    /// (class, line) per diff line: `add`, `del`, `hunk`, `meta` or `ctx`.
    diff: Vec<(&'static str, String)>,
}

impl ConformancePage {
    pub(super) fn new(report: &RunReport) -> ConformancePage {
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
                    .filter(|(r, _)| r.expected_codes.iter().any(|c| c == code.code()))
                    .map(hit)
                    .collect();
                MatrixRow::new(
                    code.code().to_string(),
                    code.message().to_string(),
                    code.default_handling().describe().to_string(),
                    hits,
                )
            })
            .collect();
        let rule_rows = crate::protocol::rules::RULES
            .iter()
            .map(|rule| {
                let hits: Vec<Hit> = report
                    .scenarios
                    .iter()
                    .zip(&scenarios)
                    .filter(|(r, _)| rule.checked_by(&r.tags, &r.expected_codes))
                    .map(hit)
                    .collect();
                let checked_by: Vec<&str> =
                    rule.codes.iter().map(|c| c.code()).chain(rule.tags.iter().copied()).collect();
                MatrixRow::new(
                    rule.name.to_string(),
                    format!("{} ({})", rule.meaning, rule.source),
                    checked_by.join(", "),
                    hits,
                )
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
                "{} — {} — {}",
                if success { "PASS" } else { "FAIL" },
                run_title(report),
                one_line(&report.started_at)
            ),
            title: run_title(report),
            interrupted: interruption_note(report),
            subject: report.subject.as_deref().map(one_line),
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
            failures: failure_briefs(report)
                .into_iter()
                .map(|b| {
                    let view = report
                        .scenarios
                        .iter()
                        .zip(&scenarios)
                        .find(|(r, _)| std::ptr::eq(*r, b.scenario))
                        .map(|(_, v)| v);
                    BriefView {
                        anchor: view.map(|v| v.anchor.clone()).unwrap_or_default(),
                        id: one_line(&b.scenario.id),
                        title: one_line(&b.scenario.title),
                        label: view.map_or("FAIL", |v| v.label),
                        class: view.map_or("fail", |v| v.class),
                        at: match b.step {
                            Some(st) => {
                                format!("step {} \"{}\" ({})", st.index, one_line(&st.name), one_line(&st.action))
                            }
                            None => b.scenario.reason.as_deref().map(one_line).unwrap_or_default(),
                        },
                        consequence: b.consequence.clone(),
                        checks: b.step.map(|st| st.failures.iter().map(FailureView::new).collect()).unwrap_or_default(),
                        rules: b.rules.clone(),
                        curl: b.curl.clone(),
                        journal_link: view.and_then(|v| {
                            v.steps.iter().flat_map(|s| &s.timeline).find(|t| t.flagged).map(|t| t.anchor.clone())
                        }),
                    }
                })
                .collect(),
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

/// Unique, URL-safe element ids for scenarios.
#[derive(Default)]
pub(super) struct Anchors {
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
        let reason = r.reason.as_deref().map(one_line);
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
            anchor: anchor.clone(),
            id: one_line(&r.id),
            title: one_line(&r.title),
            spec: one_line(&r.spec),
            source: one_line(&r.source),
            tags: r.tags.iter().map(|t| one_line(t)).collect(),
            severity: r.severity.as_str().to_string(),
            expected_failure: r.expected_failure,
            label: verdict.label(),
            class: verdict_class(verdict),
            duration: seconds(r.duration_ms),
            reason,
            summary: clip_chars(&summary, 300),
            open: verdict.fails_run() || verdict == Verdict::Warn,
            steps: {
                // What the failures quote (ids, addresses) marks the journal rows that broke a rule.
                let flags: Vec<String> = r.steps.iter().flat_map(|s| &s.failures).map(|f| f.actual.clone()).collect();
                r.steps
                    .iter()
                    .map(|s| {
                        let mut view = StepView::new(s);
                        view.timeline = timeline(&anchor, s, &flags);
                        view
                    })
                    .collect()
            },
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
            checks: s.checks.iter().map(|c| one_line(c)).collect(),
            timeline: Vec::new(),
        }
    }
}

impl FailureView {
    fn new(f: &CheckFailure) -> FailureView {
        FailureView {
            expectation: one_line(&f.expectation),
            expected: clip_chars(&f.expected, MAX_VALUE_CHARS),
            actual: clip_chars(&f.actual, MAX_VALUE_CHARS),
            diff: f.diff.as_deref().map(diff_lines).unwrap_or_default(),
        }
    }
}

pub(super) fn diff_lines(diff: &str) -> Vec<(&'static str, String)> {
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

/// A body as indented JSON (redacted with the run model), cut after [`MAX_BODY_CHARS`].
pub(super) fn body(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let text = multi_line(&text);
    match text.char_indices().nth(MAX_BODY_CHARS) {
        Some((at, _)) => format!(
            "{}\n… {} more characters (the JSON report has the whole body)",
            &text[..at],
            text[at..].chars().count()
        ),
        None => text,
    }
}

pub(super) fn verdict_class(v: Verdict) -> &'static str {
    v.class()
}

pub(super) fn outcome(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Passed => ("PASS", "pass"),
        Outcome::Failed => ("FAIL", "fail"),
        Outcome::Skipped => ("SKIP", "skip"),
        Outcome::Error => ("ERROR", "error"),
    }
}
