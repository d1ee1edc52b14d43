//! Markdown summaries for CI job pages (GitHub's `$GITHUB_STEP_SUMMARY`, GitLab, PR comments):
//! the verdict, the counts and what needs a look, short enough to read at a glance. The HTML
//! and JSON reports have everything else.
//!
//! Pure functions of the run models. Every value is one line, stripped of control characters,
//! secrets masked, and escaped so that it cannot open a tag, a link or a table cell.

use std::io::Write;

use super::model::{ApiStats, Change, LATENCY_RANGES, LoadModelKind, LoadReport, RunReport, ScenarioResult};
use super::view::{
    Verdict, check_summary, failing_steps, failure_briefs, interruption_note, load_model, load_totals, one_line,
    run_kind_words, run_subject,
};
use super::view::{fixed, ms, percent, public_url, seconds, sorted_codes};

/// Rows of the failures table; the rest are counted.
const MAX_ROWS: usize = 50;
/// Longest table cell, in characters.
const MAX_CELL_CHARS: usize = 200;

/// Writes the summary of a conformance run: the verdict line, the counts, the quirks warning
/// and a table of the scenarios that need a look (failures, errors, unexpected passes, failed
/// warnings) with their first failure.
pub fn write_conformance(report: &RunReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_conformance_stamped(report, None, out)
}

/// The summary of a conformance run that belongs to an evidence bundle: the line under the
/// heading names the bundle's digest and signer.
pub fn write_conformance_stamped(
    report: &RunReport,
    stamp: Option<&super::stamp::BundleStamp>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let count = |v: Verdict| report.scenarios.iter().filter(|r| Verdict::of(r) == v).count();
    let (pass, fail, skip, error) =
        (count(Verdict::Pass), count(Verdict::Fail), count(Verdict::Skip), count(Verdict::Error));
    let (warn, xfail, xpass) = (count(Verdict::Warn), count(Verdict::XFail), count(Verdict::XPass));
    let success = report.is_success();
    let mut md = String::new();

    md.push_str(&format!(
        "## {} {} {} — {}\n\n",
        if success { "✅" } else { "❌" },
        run_kind_words(report.kind),
        if success { "PASS" } else { "FAIL" },
        text(&run_subject(report))
    ));
    let mut line = format!(
        "**{} passed, {} failed, {} skipped** ({}, {})",
        pass + warn + xfail,
        fail + error + xpass,
        skip,
        plural(report.scenarios.len(), "scenario", "scenarios"),
        seconds(report.duration_ms)
    );
    let as_failed = counted(&[(error, "error", "errors"), (xpass, "unexpected pass", "unexpected passes")]);
    if !as_failed.is_empty() {
        line.push_str(&format!(" · {as_failed} (counted as failed)"));
    }
    let as_passed = counted(&[(warn, "warning", "warnings"), (xfail, "expected failure", "expected failures")]);
    if !as_passed.is_empty() {
        line.push_str(&format!(" · {as_passed} (counted as passed)"));
    }
    md.push_str(&line);
    md.push_str("\n\n");
    if let Some(note) = interruption_note(report) {
        md.push_str(&format!("> **{}**\n\n", text(&note)));
    }
    if !report.target.quirks.is_empty() {
        md.push_str(&format!(
            "> **Warning:** simulator quirks enabled ({}): this run is a demonstration, not a certification.\n\n",
            text(&report.target.quirks.join(", "))
        ));
    }
    md.push_str(&format!(
        "Target {} at {} · started {} · {} {}\n",
        text(&report.target.name),
        text(&public_url(&report.target.base_url)),
        text(&report.started_at),
        text(&report.tool),
        text(&report.version)
    ));
    if let Some(s) = stamp {
        md.push_str(&format!("\nEvidence bundle {} · signed by {}\n", code(&s.digest), code(&s.signer_text())));
    }

    let attention = failure_briefs(report);
    if !attention.is_empty() {
        md.push_str(
            "\n### Failures\n\n| Verdict | Scenario | Title | First failure | Consequence | KFTC rule |\n|---|---|---|---|---|---|\n",
        );
        for b in attention.iter().take(MAX_ROWS) {
            let r = b.scenario;
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                Verdict::of(r).label(),
                code(&r.id),
                text(&r.title),
                text(&first_failure(r)),
                b.consequence.as_deref().map(text).unwrap_or_default(),
                b.rules.iter().map(|r| text(r)).collect::<Vec<_>>().join("<br>")
            ));
        }
        if attention.len() > MAX_ROWS {
            md.push_str(&format!(
                "\n… and {} more (the HTML and JSON reports have them all)\n",
                attention.len() - MAX_ROWS
            ));
        }
    }
    if !report.unused_snapshots.is_empty() {
        md.push_str(&format!(
            "\n{} not used by any step: {}\n",
            plural(report.unused_snapshots.len(), "golden snapshot", "golden snapshots"),
            report.unused_snapshots.iter().take(MAX_ROWS).map(|p| code(p)).collect::<Vec<_>>().join(", ")
        ));
    }
    out.write_all(md.as_bytes())
}

/// Writes the summary of a load run: the verdict and its reasons (failures first), the
/// interrupted, aborted and quirks warnings, the open model's late starts and drops, the
/// thresholds, the baseline comparison (each figure with its unit, slower/faster and whether
/// it is beyond noise), the per-API table (Korean names, min and standard deviation) and the
/// latency ranges.
pub fn write_load(report: &LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    let mut md = String::new();
    let overall = &report.overall;
    md.push_str(&format!(
        "## {} Load {} — {} against {}\n\n",
        if report.passed { "✅" } else { "❌" },
        report.verdict_label(),
        text(&report.profile),
        text(&report.target.name)
    ));
    md.push_str(&format!("**{} — {}**\n\n", report.verdict_label(), text(&report.headline())));
    let mut line = load_totals(overall);
    let model = &report.model;
    let model_text = load_model(model, ", ");
    line.push_str(&format!(
        " · model: {} · {} measured · started {} · {} {}",
        text(&model_text),
        seconds(report.duration_ms),
        text(&report.started_at),
        text(&report.tool),
        text(&report.version)
    ));
    md.push_str(&line);
    md.push_str("\n\n");
    if let Some(sig) = &report.interrupted {
        md.push_str(&format!(
            "> **Interrupted** by {}: the numbers cover only the part that ran; an interrupted run never passes.\n\n",
            text(sig)
        ));
    } else if report.aborted {
        md.push_str("> **Aborted:** a threshold was breached and the run stopped early (`abort_on_breach`); the numbers cover only the part that ran.\n\n");
    }
    if !report.target.quirks.is_empty() {
        md.push_str(&format!(
            "> **Warning:** simulator quirks enabled ({}): these numbers are a demonstration.\n\n",
            text(&report.target.quirks.join(", "))
        ));
    }
    if model.kind == LoadModelKind::Open || report.late_starts > 0 || report.dropped > 0 {
        md.push_str(&format!(
            "Open model: {} (sent after their intended time, latency measured from it), {} (never sent).\n\n",
            plural_u64(report.late_starts, "late start", "late starts"),
            plural_u64(report.dropped, "request dropped", "requests dropped")
        ));
    }

    if !report.thresholds.is_empty() {
        md.push_str("### Thresholds\n\n| Verdict | Threshold | Expected | Actual |\n|---|---|---|---|\n");
        for t in &report.thresholds {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                verdict(t.passed),
                text(&t.name),
                text(&t.expected),
                text(&t.actual)
            ));
        }
        md.push('\n');
    }

    if let Some(b) = &report.baseline {
        md.push_str(&format!(
            "### Baseline\n\n**{}** — compared with {}; a figure regresses when it is worse by more than {} % and the per-second samples say the change is real (\"within noise (±x %)\": beyond the tolerance, not beyond noise).\n\n",
            text(&b.headline()),
            code(&b.file),
            fixed(b.max_regression_pct)
        ));
        if let Some(note) = &b.note {
            md.push_str(&format!("> **Noise not judged:** {}\n\n", text(note)));
        }
        md.push_str(
            "| Verdict | API | Metric | Baseline | This run | Change | Judgement |\n|---|---|---|--:|--:|--:|---|\n",
        );
        for r in b.rows.iter().take(MAX_ROWS) {
            let label = match r.change() {
                Change::Regressed => "❌ FAIL",
                Change::WithinNoise => "⚠️ NOISE",
                Change::WithinTolerance => "✅ PASS",
            };
            md.push_str(&format!(
                "| {label} | {} | {} | {} | {} | {} | {} |\n",
                api_cell(&r.api),
                text(&r.metric),
                text(&r.value(r.baseline)),
                text(&r.value(r.current)),
                text(&r.change_words()),
                text(&r.verdict_words())
            ));
        }
        if !b.method.is_empty() {
            md.push_str(&format!("\nTest: {}.\n", text(&b.method)));
        }
        md.push('\n');
    }

    if let Some(v) = super::scale_out::ScaleOutView::of(report) {
        for (k, val) in &v.meta {
            md.push_str(&format!("{k}: {}  \n", text(val)));
        }
        if let Some(m) = &v.merged {
            md.push_str("\n### Shards\n\n| Shard | Requests | Rate (/s) | Errors | p99 (ms) | Start skew | Own verdict |\n|---|--:|--:|--:|--:|--:|---|\n");
            for r in v.shards.iter().chain(std::iter::once(m)) {
                md.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    text(&r.shard),
                    r.requests,
                    r.rate,
                    r.errors,
                    r.p99,
                    text(&r.skew),
                    r.verdict
                ));
            }
        }
        md.push('\n');
    }

    md.push_str("### Per API (latency in ms)\n\n| API | Requests | Rate (req/s) | Min | Mean | Std dev | p50 | p90 | p95 | p99 | p99.9 | Max | Errors | rsp_code |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for a in report.apis.iter().take(MAX_ROWS) {
        md.push_str(&api_row(&api_cell(&a.api), a));
    }
    md.push_str(&api_row("**all APIs**", overall));

    let ranged: Vec<(String, &ApiStats)> = report
        .apis
        .iter()
        .take(MAX_ROWS)
        .map(|a| (api_cell(&a.api), a))
        .chain(std::iter::once(("**all APIs**".to_string(), overall)))
        .filter(|(_, a)| a.latency_ranges.len() == LATENCY_RANGES.len())
        .collect();
    if !ranged.is_empty() {
        md.push_str("\n### Latency ranges (requests)\n\n| API |");
        for (label, _) in LATENCY_RANGES {
            md.push_str(&format!(" {} |", text(label)));
        }
        md.push_str(" Errors |\n|---|");
        md.push_str(&"--:|".repeat(LATENCY_RANGES.len() + 1));
        md.push('\n');
        for (name, a) in ranged {
            md.push_str(&format!("| {name} |"));
            for n in &a.latency_ranges {
                md.push_str(&format!(" {n} ({}) |", percent(*n, a.count)));
            }
            md.push_str(&format!(" {} ({}) |\n", a.errors, percent(a.errors, a.count)));
        }
    }
    out.write_all(md.as_bytes())
}

/// An API id in code style with its Korean name: `` `account.balance` 잔액조회 ``.
fn api_cell(api: &str) -> String {
    match crate::protocol::ApiId::parse(api) {
        Some(id) => format!("{} {}", code(api), text(id.api().name)),
        None => code(api),
    }
}

fn api_row(name: &str, a: &ApiStats) -> String {
    let errors = match (a.errors, a.failed) {
        (0, _) => "0".to_string(),
        (e, 0) => format!("{e} ({})", percent(e, a.count)),
        (e, f) => format!("{e} ({}; {f} without an answer)", percent(e, a.count)),
    };
    let codes: Vec<String> =
        sorted_codes(&a.rsp_codes).into_iter().map(|(code, n)| format!("{} {n}", text(code))).collect();
    let measured = a.count > a.errors;
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {errors} | {} |\n",
        a.count,
        fixed(a.rate),
        if measured { ms(a.min_us) } else { "–".into() },
        fixed(a.mean_us / 1000.0),
        if measured { fixed(a.stddev_us / 1000.0) } else { "–".into() },
        ms(a.p50_us),
        ms(a.p90_us),
        ms(a.p95_us),
        ms(a.p99_us),
        ms(a.p999_us),
        ms(a.max_us),
        codes.join(", ")
    )
}

fn verdict(passed: bool) -> &'static str {
    if passed { "✅ PASS" } else { "❌ FAIL" }
}

/// The first failed check, or the reason, or what an unexpected pass means.
fn first_failure(r: &ScenarioResult) -> String {
    if Verdict::of(r) == Verdict::XPass {
        return "passed, but listed as an expected failure: remove it from the expected-failures file".into();
    }
    failing_steps(r)
        .flat_map(|s| &s.failures)
        .next()
        .map(check_summary)
        .or_else(|| r.reason.clone())
        .unwrap_or_else(|| "failed".into())
}

fn counted(parts: &[(usize, &str, &str)]) -> String {
    parts.iter().filter(|(n, ..)| *n > 0).map(|(n, one, many)| plural(*n, one, many)).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn plural_u64(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// One line of inline Markdown: control characters dropped, secrets masked, cut after
/// [`MAX_CELL_CHARS`], and every character that could start markup (emphasis, code, links,
/// HTML, table cells, strike-through, entities) escaped.
fn text(s: &str) -> String {
    let s = one_line(s);
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if i == MAX_CELL_CHARS {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Inside a word (`bank_tran_id`) an underscore never starts emphasis.
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push('_'),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An identifier as a code span (or as escaped text when it contains a backtick).
fn code(s: &str) -> String {
    let s = one_line(s);
    if s.contains('`') || s.chars().count() > MAX_CELL_CHARS || s.trim().is_empty() {
        return text(&s);
    }
    // Inside a table a pipe ends the cell even in a code span, unless escaped.
    format!("`{}`", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::sample_load_report;
    use crate::report::json::sample_report;

    fn conformance(report: &RunReport) -> String {
        let mut out = Vec::new();
        write_conformance(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn load(report: &LoadReport) -> String {
        let mut out = Vec::new();
        write_load(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn conformance_summary() {
        insta::assert_snapshot!("markdown_conformance", conformance(&sample_report()));
    }

    #[test]
    fn load_summary() {
        insta::assert_snapshot!("markdown_load", load(&sample_load_report()));
    }

    #[test]
    fn failed_requests_and_interruptions_are_shown() {
        let mut report = sample_load_report();
        report.apis[0].failed = 5;
        report.overall.failed = 5;
        report.interrupted = Some("SIGTERM".into());
        let md = load(&report);
        assert!(md.contains("(15 refused, 5 without an answer)") || md.contains("5 without an answer"), "{md}");
        assert!(md.contains("> **Interrupted** by SIGTERM"), "{md}");
    }

    #[test]
    fn passing_runs_and_warnings() {
        let mut report = sample_report();
        report.scenarios.retain(|r| matches!(Verdict::of(r), Verdict::Pass | Verdict::Skip));
        report.target.quirks = vec!["http-500-on-bad-json".into()];
        report.unused_snapshots.clear();
        report.summarise();
        let md = conformance(&report);
        assert!(md.starts_with("## ✅ Conformance PASS — embedded-sim\n\n**1 passed, 0 failed, 1 skipped**"), "{md}");
        assert!(!md.contains("### Failures"), "{md}");
        assert!(md.contains("> **Warning:** simulator quirks enabled (http-500-on-bad-json)"), "{md}");

        let mut run = sample_load_report();
        run.aborted = true;
        run.baseline = None;
        run.thresholds.clear();
        run.model.kind = LoadModelKind::Closed;
        run.late_starts = 0;
        run.dropped = 0;
        let md = load(&run);
        assert!(md.contains("> **Aborted:**"), "{md}");
        assert!(!md.contains("Open model") && !md.contains("### Baseline") && !md.contains("### Thresholds"), "{md}");
    }

    #[test]
    fn escaping() {
        let xss = "<script>alert(1)</script>";
        let mut report = sample_report();
        report.scenarios[1].title = format!("{xss} | [link](http://evil) *bold* `code`");
        report.scenarios[1].id = "OBH|`x`".into();
        report.scenarios[1].steps[2].failures[0].actual = xss.into();
        let md = conformance(&report);
        assert!(!md.contains("<script"), "{md}");
        assert!(
            md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| \\[link\\](http://evil) \\*bold\\* \\`code\\`"),
            "{md}"
        );
        let row = md.lines().find(|l| l.contains("alert(1)") && l.starts_with("| FAIL")).unwrap();
        assert_eq!(row.matches(" | ").count(), 5, "six cells, none split by the hostile title: {row}");

        let mut run = sample_load_report();
        run.thresholds[0].name = xss.into();
        run.apis[0].api = "a|b".into();
        let md = load(&run);
        assert!(!md.contains("<script"), "{md}");
        assert!(md.contains("| `a\\|b` |"), "{md}");
    }

    #[test]
    fn no_nan_or_infinity() {
        let mut run = sample_load_report();
        run.overall.rate = f64::NAN;
        run.model.rate = Some(f64::INFINITY);
        let baseline = run.baseline.as_mut().unwrap();
        baseline.max_regression_pct = f64::NEG_INFINITY;
        baseline.rows[0].regression_pct = f64::NAN;
        baseline.rows[1].current = f64::INFINITY;
        let md = load(&run);
        let number_word = regex::Regex::new(r"(?i)\b(nan|inf|infinity)\b").unwrap();
        assert!(!number_word.is_match(&md), "{md}");
        assert!(md.contains("4000 requests at – req/s"), "{md}");
    }

    #[test]
    fn long_lists_are_cut() {
        let mut report = sample_report();
        let failed = report.scenarios[1].clone();
        report.scenarios = (0..120)
            .map(|i| {
                let mut r = failed.clone();
                r.id = format!("OBH-{i:03}");
                r.title = "t".repeat(500);
                r
            })
            .collect();
        report.summarise();
        let md = conformance(&report);
        assert_eq!(md.lines().filter(|l| l.starts_with("| FAIL |")).count(), MAX_ROWS);
        assert!(md.contains("… and 70 more"), "{md}");
        assert!(md.lines().all(|l| l.chars().count() < 600), "cells are cut");
    }
}
