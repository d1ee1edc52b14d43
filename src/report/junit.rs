//! JUnit XML as CI systems (GitLab, Jenkins, GitHub test reporters) read it, laid out like
//! cargo-nextest's: one `<testsuite>` per run, one `<testcase>` per scenario.
//!
//! - failed: `<failure message="{first check}" type="{expectation}">` with, for every failing
//!   step, its checks and diffs, and the scenario's spec line;
//! - failed warning or expected failure: a passing testcase whose `<system-out>` says so;
//! - expected failure that passed: `<failure type="unexpected-pass">`;
//! - error: `<error>`; skipped: `<skipped message="{reason}"/>`.
//!
//! Request and response bodies are never written (only what the failures quote), and values
//! that look like secrets are masked. Written by hand: every text and attribute goes through
//! [`escape`], which also drops the characters XML 1.0 does not allow.

use std::io::Write;

use super::model::{RunReport, ScenarioResult};
use super::terminal::{Style, failure_details};
use super::view::{Verdict, check_summary, failing_steps, one_line, public_url};

/// Longest `message` attribute, in characters (the text of the element has the details).
const MAX_MESSAGE_CHARS: usize = 300;

/// Writes `report` as JUnit XML.
pub fn write(report: &RunReport, out: &mut dyn Write) -> std::io::Result<()> {
    let count = |f: fn(Verdict) -> bool| report.scenarios.iter().filter(|r| f(Verdict::of(r))).count();
    let tests = report.scenarios.len();
    let failures = count(|v| matches!(v, Verdict::Fail | Verdict::XPass));
    let errors = count(|v| v == Verdict::Error);
    let skipped = count(|v| v == Verdict::Skip);
    let time = seconds(report.duration_ms);

    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time}\">\n",
        attr(&report.tool)
    ));
    x.push_str(&format!(
        "    <testsuite name=\"{}\" tests=\"{tests}\" errors=\"{errors}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time}\" timestamp=\"{}\">\n",
        attr(&match &report.subject {
            Some(subject) => format!("{}: {subject} (judged by {})", report.kind, report.target.name),
            None => format!("{}: {}", report.kind, report.target.name),
        }),
        attr(&report.started_at)
    ));

    let mut properties = vec![
        ("tool", format!("{} {}", report.tool, report.version)),
        ("target", report.target.name.clone()),
        ("base_url", public_url(&report.target.base_url)),
    ];
    if let Some(subject) = &report.subject {
        properties.push(("client", subject.clone()));
    }
    if let Some(signal) = &report.interrupted {
        properties.push(("interrupted", signal.clone()));
    }
    if !report.target.capabilities.is_empty() {
        properties.push(("capabilities", report.target.capabilities.join(", ")));
    }
    if !report.target.quirks.is_empty() {
        properties.push(("quirks", report.target.quirks.join(", ")));
    }
    if !report.unused_snapshots.is_empty() {
        properties.push(("unused_snapshots", report.unused_snapshots.join(", ")));
    }
    x.push_str("        <properties>\n");
    for (name, value) in properties {
        x.push_str(&format!("            <property name=\"{}\" value=\"{}\"/>\n", attr(name), attr(&value)));
    }
    x.push_str("        </properties>\n");

    for r in &report.scenarios {
        testcase(&mut x, r);
    }

    x.push_str("    </testsuite>\n</testsuites>\n");
    out.write_all(x.as_bytes())
}

fn testcase(x: &mut String, r: &ScenarioResult) {
    let open = format!(
        "        <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&format!("{} {}", r.id, r.title)),
        attr(&r.source),
        seconds(r.duration_ms)
    );
    let plain = Style { color: false };
    let spec = format!("spec: {}\n", one_line(&r.spec));
    let (element, kind, short, details) = match Verdict::of(r) {
        Verdict::Pass => {
            x.push_str(&open);
            x.push_str("/>\n");
            return;
        }
        Verdict::Skip => {
            let reason = r.reason.as_deref().unwrap_or("skipped");
            x.push_str(&format!(
                "{open}>\n            <skipped message=\"{}\"/>\n        </testcase>\n",
                message(reason)
            ));
            return;
        }
        Verdict::Fail => {
            let (message, kind) = first_failure(r);
            ("failure", kind, message, format!("{spec}{}", failure_details(r, &plain)))
        }
        Verdict::XPass => (
            "failure",
            "unexpected-pass".to_string(),
            "listed in the expected-failures file but passed".to_string(),
            format!("{spec}{} passed: remove it from the expected-failures file\n", one_line(&r.id)),
        ),
        Verdict::Error => {
            let reason = r.reason.as_deref().unwrap_or("could not be run to a verdict");
            ("error", "error".to_string(), reason.to_string(), format!("{spec}{}", failure_details(r, &plain)))
        }
        Verdict::Warn => {
            let out = format!(
                "warning: {}\nseverity \"warning\": this failure does not fail the run\n{spec}{}",
                first_failure(r).0,
                failure_details(r, &plain)
            );
            x.push_str(&format!("{open}>\n            <system-out>{}</system-out>\n        </testcase>\n", text(&out)));
            return;
        }
        Verdict::XFail => {
            let out = format!(
                "expected failure: {}\nlisted in the expected-failures file: this failure does not fail the run\n{spec}{}",
                first_failure(r).0,
                failure_details(r, &plain)
            );
            x.push_str(&format!("{open}>\n            <system-out>{}</system-out>\n        </testcase>\n", text(&out)));
            return;
        }
    };
    x.push_str(&format!(
        "{open}>\n            <{element} message=\"{}\" type=\"{}\">{}</{element}>\n        </testcase>\n",
        message(&short),
        attr(&kind),
        text(&details)
    ));
}

/// The short text and the expectation of a scenario's first failed check, falling back to its
/// reason.
fn first_failure(r: &ScenarioResult) -> (String, String) {
    match failing_steps(r).flat_map(|s| &s.failures).next() {
        Some(f) => (check_summary(f), f.expectation.clone()),
        None => (r.reason.clone().unwrap_or_else(|| "scenario failed".into()), "failure".to_string()),
    }
}

/// `12.345`: seconds with three decimals.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A `message` attribute: one line, at most [`MAX_MESSAGE_CHARS`].
fn message(s: &str) -> String {
    let s = one_line(s);
    let s = match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    };
    attr(&s)
}

fn attr(s: &str) -> String {
    escape(s, true)
}

fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes `&`, `<`, `>`, `"` and `'`; drops characters XML 1.0 does not allow and other control
/// characters (C0 other than tab, line feed and carriage return, DEL, C1, U+FFFE, U+FFFF). In
/// attributes, tabs and line breaks are written as references so that they survive
/// attribute-value normalisation; carriage returns are always.
pub(crate) fn escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML of a load run: one testcase per threshold (and per baseline comparison), so a
/// CI gate shows which limit was breached.
pub fn write_load(report: &crate::report::model::LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    let mut cases = String::new();
    let mut failures = 0;
    let mut count = 0;
    let baseline_rows = report.baseline.iter().flat_map(|b| b.rows.iter());
    let rows =
        report.thresholds.iter().map(|t| (t.name.clone(), t.expected.clone(), t.actual.clone(), t.passed)).chain(
            baseline_rows.map(|r| {
                (
                    format!("{} {} vs baseline", r.api, r.metric),
                    format!(
                        "no regression beyond {} % that is beyond noise",
                        report.baseline.as_ref().map(|b| b.max_regression_pct).unwrap_or(0.0)
                    ),
                    format!("{} — {}", r.describe(), r.verdict_words()),
                    r.change() != crate::report::model::Change::Regressed,
                )
            }),
        );
    for (name, expected, actual, passed) in rows {
        count += 1;
        cases.push_str(&format!(
            "        <testcase name=\"{}\" classname=\"{}\" time=\"0.000\">\n",
            attr(&name),
            attr(&report.source)
        ));
        if !passed {
            failures += 1;
            let msg = format!("expected {expected}, got {actual}");
            cases.push_str(&format!(
                "            <failure message=\"{}\" type=\"threshold\">{}</failure>\n",
                attr(&msg),
                text(&msg)
            ));
        }
        cases.push_str("        </testcase>\n");
    }
    if report.aborted {
        count += 1;
        failures += 1;
        let (message, kind) = match &report.interrupted {
            Some(sig) => (format!("interrupted by {sig}: partial results, never a pass"), "interrupted"),
            None => ("aborted: a threshold was breached (abort_on_breach)".to_string(), "aborted"),
        };
        cases.push_str(&format!(
            "        <testcase name=\"run completed\" classname=\"load\" time=\"0.000\">\n            <failure message=\"{}\" type=\"{kind}\"/>\n        </testcase>\n",
            attr(&message)
        ));
    }
    let time = seconds(report.duration_ms);
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"obharness\" tests=\"{count}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">\n    <testsuite name=\"load: {} on {}\" tests=\"{count}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\">\n{cases}    </testsuite>\n</testsuites>\n",
        attr(&report.profile),
        attr(&report.target.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::sample_report;

    fn render(report: &RunReport) -> String {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Checks that `xml` is well formed as far as this writer can get it wrong: one root, tags
    /// balanced, attribute values quoted, no raw `<` or `&` outside markup and references,
    /// no characters XML 1.0 forbids.
    fn assert_well_formed(xml: &str) {
        let body = xml.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").expect("declaration");
        for c in body.chars() {
            assert!(
                matches!(c, '\t' | '\n' | '\r') || !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}',
                "illegal character {c:?}"
            );
        }
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = body;
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt]);
            let gt = rest[lt..].find('>').expect("unterminated tag") + lt;
            let tag = &rest[lt + 1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "closing tag {name}");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "name {name:?}");
            check_attributes(attrs);
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert_eq!(roots, 1);
    }

    fn check_text(text: &str) {
        assert!(!text.contains('>') && !text.contains('"') && !text.contains('\''), "unescaped in {text:?}");
        let mut parts = text.split('&');
        parts.next();
        for part in parts {
            let entity = &part[..part.find(';').expect("unterminated reference")];
            let numeric = entity.strip_prefix('#').is_some_and(|n| n.parse::<u32>().is_ok());
            assert!(numeric || ["amp", "lt", "gt", "quot", "apos"].contains(&entity), "reference &{entity};");
        }
    }

    fn check_attributes(mut attrs: &str) {
        let mut names = Vec::new();
        while !attrs.trim().is_empty() {
            let (name, after) = attrs.trim_start().split_once("=\"").expect("attribute");
            let end = after.find('"').expect("closing quote");
            check_text(&after[..end]);
            assert!(!after[..end].contains(['<', '\n', '\t']));
            assert!(!names.contains(&name), "duplicate attribute {name}");
            names.push(name);
            attrs = &after[end + 1..];
        }
    }

    #[test]
    fn sample_xml() {
        let xml = render(&sample_report());
        assert_well_formed(&xml);
        insta::assert_snapshot!("junit_sample", xml);
    }

    #[test]
    fn counts() {
        let xml = render(&sample_report());
        assert_eq!(xml.matches("<testcase ").count(), 7);
        assert_eq!(xml.matches("<testsuite ").count(), 1);
        assert_eq!(xml.matches("<failure ").count(), 2);
        assert_eq!(
            xml.matches("<failure message=\"rsp_code: expected A0326, got A0000\" type=\"rsp_code\">").count(),
            1
        );
        assert_eq!(xml.matches("type=\"unexpected-pass\"").count(), 1);
        assert_eq!(xml.matches("<error ").count(), 1);
        assert_eq!(xml.matches("<skipped message=\"target lacks clock_control\"/>").count(), 1);
        assert_eq!(xml.matches("<system-out>warning: ").count(), 1);
        assert_eq!(xml.matches("<system-out>expected failure: ").count(), 1);
        assert!(xml.contains("<testsuites name=\"obharness\" tests=\"7\" failures=\"2\" errors=\"1\" time=\"1.234\">"));
        assert!(xml.contains("<testsuite name=\"conformance: embedded-sim\" tests=\"7\""));
        assert!(xml.contains(
            "<testcase name=\"OBH-TR-DUP-001 A reused bank_tran_id is rejected on the same day\" classname=\"scenarios/transfer/duplicate_bank_tran_id.yaml\" time=\"0.047\">"
        ));
    }

    #[test]
    fn failure_text_names_steps_checks_diff_and_spec() {
        let xml = render(&sample_report());
        let start = xml.find("type=\"rsp_code\">").unwrap();
        let failure = &xml[start..start + xml[start..].find("</failure>").unwrap()];
        for needle in [
            "spec: KFTC Open Banking API v2.0 §3.11.3",
            "step 3 &quot;second withdraw with the same bank_tran_id&quot; (call transfer.withdraw)",
            "  rsp_code: expected A0326, got A0000",
            "  golden snapshot: expected golden/transfer/withdraw_dup.json, got differs",
            "    -  &quot;rsp_code&quot;: &quot;A0326&quot;,",
            "    +  &quot;rsp_code&quot;: &quot;A0000&quot;,",
        ] {
            assert!(failure.contains(needle), "{needle} not in {failure}");
        }
        assert!(!failure.contains("step 1") && !failure.contains("step 2"), "passing steps listed");
    }

    #[test]
    fn escaping() {
        let mut report = sample_report();
        report.scenarios[1].title = "<script>&\"'\u{1} x".into();
        report.scenarios[1].steps[2].failures[0].actual = "A0000\u{0}\u{1b}[1m</failure>\r\n".into();
        report.scenarios[2].reason = Some("needs <clock> & \"time\"\nsecond line".into());
        report.target.name = "a'b\u{FFFF}".into();
        let xml = render(&report);
        assert_well_formed(&xml);
        assert!(xml.contains("name=\"OBH-TR-DUP-001 &lt;script&gt;&amp;&quot;&apos; x\""), "{xml}");
        assert!(xml.contains("<skipped message=\"needs &lt;clock&gt; &amp; &quot;time&quot; second line\"/>"));
        assert!(xml.contains("rsp_code: expected A0326, got A0000[1m&lt;/failure&gt;"), "{xml}");
        assert!(xml.contains("name=\"conformance: a&apos;b\""));
        assert!(!xml.contains('\u{1}') && !xml.contains('\u{0}') && !xml.contains('\u{1b}'));

        assert_eq!(escape("a\tb\nc\rd", true), "a&#9;b&#10;c&#13;d");
        assert_eq!(escape("a\tb\nc\rd", false), "a\tb\nc&#13;d");
        assert_eq!(escape("\u{7f}\u{85}\u{FFFE}ok 한글 😀", false), "ok 한글 😀");
    }

    #[test]
    fn no_bodies_and_no_secrets() {
        let mut report = sample_report();
        report.target.base_url = "https://user:pa55word@bank.example:8443/v2.0?key=abc#x".into();
        report.scenarios[1].steps[2].failures[0].actual = "{\"access_token\": \"eyJhbGciOiJIUzI1NiJ9.x\"}".into();
        report.finish();
        let xml = render(&report);
        assert_well_formed(&xml);
        assert!(!xml.contains("BODY-MARKER"));
        assert!(!xml.contains("pa55word") && !xml.contains("key=abc"));
        assert!(xml.contains("value=\"https://bank.example:8443/v2.0\""));
        assert!(!xml.contains("eyJhbGciOiJIUzI1NiJ9"), "{xml}");
        assert!(xml.contains("[redacted]"));
    }

    #[test]
    fn empty_run() {
        let mut report = sample_report();
        report.scenarios.clear();
        report.unused_snapshots.clear();
        let xml = render(&report);
        assert_well_formed(&xml);
        assert!(xml.contains("tests=\"0\" failures=\"0\" errors=\"0\" time="));
        // The common JUnit schema has no `skipped` on <testsuites> and no `disabled` anywhere.
        let suites = xml.lines().find(|l| l.starts_with("<testsuites")).unwrap();
        assert!(!suites.contains("skipped=") && !xml.contains("disabled="), "{xml}");
    }

    #[test]
    fn urls() {
        assert_eq!(public_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(public_url("https://u:p@h/x?y=1"), "https://h/x");
        assert_eq!(public_url("h:1/a"), "h:1/a");
    }
}
