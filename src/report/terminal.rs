//! Human output: one progress line per scenario (in the style of cargo-nextest), a block per
//! failure, and a closing summary whose last line CI tooling parses.
//!
//! Everything here is a pure function of the run model; colour is decided once, by [`Style`].
//! Text that came from the target (failure values, diffs, reasons) is stripped of control
//! characters, so a hostile answer cannot drive the terminal, and of values that look like secrets.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use super::model::{RunReport, ScenarioResult};
pub use super::view::Verdict;
use super::view::{
    MAX_DIFF_LINES, MAX_VALUE_CHARS, clip_chars, clip_lines, failing_steps, failure_briefs, interruption_note,
    multi_line, one_line, plural, run_subject,
};

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>).
    pub fn from_env() -> Style {
        let no_color = std::env::var_os("NO_COLOR");
        let no_color = no_color.as_ref().map(|v| v.to_string_lossy());
        Style { color: color_enabled(no_color.as_deref(), std::io::stdout().is_terminal()) }
    }

    fn paint(&self, color: &str, text: &str) -> String {
        if self.color && !text.is_empty() { format!("{color}{text}{RESET}") } else { text.to_string() }
    }
}

/// The decision behind [`Style::from_env`]: any non-empty `NO_COLOR` disables colour, and so
/// does output that is not a terminal.
pub fn color_enabled(no_color: Option<&str>, is_tty: bool) -> bool {
    is_tty && no_color.is_none_or(str::is_empty)
}

const RESET: &str = "\x1b[0m";
const GREEN: &str = "\x1b[1;32m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const MAGENTA: &str = "\x1b[1;35m";
const BOLD: &str = "\x1b[1m";
const DIFF_ADD: &str = "\x1b[32m";
const DIFF_DEL: &str = "\x1b[31m";
const DIFF_HUNK: &str = "\x1b[36m";

/// Longest progress line, in terminal columns.
pub const MAX_LINE: usize = 120;
/// Ids are padded to this many columns so that titles align.
const ID_WIDTH: usize = 18;
/// Width of the right-aligned status column.
const STATUS_WIDTH: usize = 8;

/// The colour of a verdict's label.
fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => GREEN,
        Verdict::Fail | Verdict::XPass => RED,
        Verdict::Error => MAGENTA,
        Verdict::Skip | Verdict::Warn | Verdict::XFail => YELLOW,
    }
}

/// One progress line, e.g.
/// `    PASS [  0.012s] OBH-TR-DUP-001     A reused bank_tran_id is rejected`.
/// Skips end with ` (reason)`; the title is cut so the line fits in [`MAX_LINE`] columns.
pub fn scenario_line(r: &ScenarioResult, style: &Style) -> String {
    let verdict = Verdict::of(r);
    let label = verdict.label();
    let id = one_line(&r.id);
    let prefix_width = STATUS_WIDTH + 1 + duration(r.duration_ms).len() + 3 + width(&id).max(ID_WIDTH) + 1;
    let budget = MAX_LINE.saturating_sub(prefix_width);

    let title = one_line(&r.title);
    let suffix = match (verdict, &r.reason) {
        (Verdict::Skip, Some(reason)) => format!(" ({})", one_line(reason)),
        _ => String::new(),
    };
    let tail = if width(&title) + width(&suffix) <= budget {
        format!("{title}{suffix}")
    } else {
        // Keep some of the title even when the reason is long; cut the whole at the end.
        let title_room = budget.saturating_sub(width(&suffix)).max(width(&title).min(30));
        truncate(&format!("{}{suffix}", truncate(&title, title_room)), budget)
    };

    let line = format!(
        "{:>pad$}{} [{}] {}{:id_pad$} {tail}",
        "",
        style.paint(verdict_color(verdict), label),
        duration(r.duration_ms),
        id,
        "",
        pad = STATUS_WIDTH.saturating_sub(label.len()),
        id_pad = ID_WIDTH.saturating_sub(width(&id)),
    );
    line.trim_end().to_string()
}

/// A block for every scenario that needs a look: failed, errored, unexpectedly passed, and
/// failed warnings (marked as such). Expected failures are left out.
pub fn write_failures(report: &RunReport, style: &Style, out: &mut dyn Write) -> std::io::Result<()> {
    for brief in failure_briefs(report) {
        let r = brief.scenario;
        let verdict = Verdict::of(r);
        let note = match verdict {
            Verdict::Fail => None,
            Verdict::Error => Some(format!(
                "error: {}",
                r.reason.as_deref().map_or(Cow::Borrowed("could not be run to a verdict"), Cow::Borrowed)
            )),
            Verdict::XPass => Some(
                "unexpected pass: listed in the expected-failures file but passed; remove it from there".to_string(),
            ),
            Verdict::Warn => Some("warning: severity \"warning\", does not fail the run".to_string()),
            Verdict::Pass | Verdict::Skip | Verdict::XFail => continue,
        };
        let mut block = String::new();
        let header = format!("--- {} {}", one_line(&r.id), one_line(&r.title));
        block.push_str(&style.paint(verdict_color(verdict), &header));
        block.push('\n');
        if let Some(note) = note {
            block.push_str(&style.paint(verdict_color(verdict), &one_line(&note)));
            block.push('\n');
        }
        if let Some(c) = &brief.consequence {
            block.push_str(&style.paint(BOLD, &format!("consequence: {}", one_line(c))));
            block.push('\n');
        }
        for rule in &brief.rules {
            block.push_str(&format!("KFTC rule: {}\n", one_line(rule)));
        }
        block.push_str(&format!("spec: {}\nsource: {}\n", one_line(&r.spec), one_line(&r.source)));
        block.push_str(&failure_details(r, style));
        if let Some(curl) = &brief.curl {
            block.push_str(&format!("replay: {}\n", one_line(curl)));
        }
        block.push('\n');
        out.write_all(block.as_bytes())?;
    }
    Ok(())
}

/// The closing summary. Its last line is exactly `N passed, N failed, N skipped`, uncoloured,
/// for CI tooling: `failed` counts what fails the run (failures, errors, unexpected passes) and
/// `passed` what does not (passes, failed warnings, expected failures), so the three add up to
/// the number of scenarios. The line before it names the target and the duration and spells out
/// those special cases; unused golden snapshots are listed above it.
pub fn write_summary(report: &RunReport, style: &Style, out: &mut dyn Write) -> std::io::Result<()> {
    let count = |v: Verdict| report.scenarios.iter().filter(|r| Verdict::of(r) == v).count();
    let (pass, fail, skip, error) =
        (count(Verdict::Pass), count(Verdict::Fail), count(Verdict::Skip), count(Verdict::Error));
    let (warn, xfail, xpass) = (count(Verdict::Warn), count(Verdict::XFail), count(Verdict::XPass));
    let mut text = String::new();
    if let Some(note) = interruption_note(report) {
        text.push_str(&style.paint(RED, &note));
        text.push('\n');
    }

    if !report.written_snapshots.is_empty() {
        let n = report.written_snapshots.len();
        text.push_str(&format!("wrote {} (review and commit):\n", plural(n, "golden snapshot", "golden snapshots")));
        for path in &report.written_snapshots {
            text.push_str(&format!("  {}\n", one_line(path)));
        }
    }
    if !report.unused_snapshots.is_empty() {
        let n = report.unused_snapshots.len();
        let head = format!("warning: {} not used by any step:", plural(n, "golden snapshot", "golden snapshots"));
        text.push_str(&style.paint(YELLOW, &head));
        text.push('\n');
        for path in &report.unused_snapshots {
            text.push_str(&format!("  {}\n", one_line(path)));
        }
    }

    let as_failed: Vec<String> = [(error, "error", "errors"), (xpass, "unexpected pass", "unexpected passes")]
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| plural(n, one, many))
        .collect();
    let as_passed: Vec<String> = [(warn, "warning", "warnings"), (xfail, "expected failure", "expected failures")]
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| plural(n, one, many))
        .collect();
    let mut line = format!(
        "{} [{}] {}, {}",
        style.paint(BOLD, "Summary"),
        duration(report.duration_ms),
        run_subject(report),
        plural(report.scenarios.len(), "scenario", "scenarios")
    );
    let mut parts = Vec::new();
    if !as_failed.is_empty() {
        parts.push(format!("{} (counted as failed)", as_failed.join(", ")));
    }
    if !as_passed.is_empty() {
        parts.push(format!("{} (counted as passed)", as_passed.join(", ")));
    }
    if !parts.is_empty() {
        line.push_str(": ");
        line.push_str(&parts.join("; "));
    }
    if !report.target.quirks.is_empty() {
        line.push_str(&format!("; simulator quirks: {}", one_line(&report.target.quirks.join(", "))));
    }
    text.push_str(&line);
    text.push('\n');

    text.push_str(&format!("{} passed, {} failed, {} skipped\n", pass + warn + xfail, fail + error + xpass, skip));
    out.write_all(text.as_bytes())
}

/// The failing steps of a scenario, each with its failed checks and their diffs: shared by the
/// terminal block and the JUnit failure text (uncoloured there).
pub(crate) fn failure_details(r: &ScenarioResult, style: &Style) -> String {
    let mut text = String::new();
    for step in failing_steps(r) {
        text.push_str(&format!("step {} \"{}\" ({})\n", step.index, one_line(&step.name), one_line(&step.action)));
        for f in &step.failures {
            let expected = clip_chars(&f.expected, MAX_VALUE_CHARS);
            let actual = clip_chars(&f.actual, MAX_VALUE_CHARS);
            if expected.contains('\n') || actual.contains('\n') {
                text.push_str(&format!("  {}:\n    expected:\n", one_line(&f.expectation)));
                push_indented(&mut text, &expected, "      ", None);
                text.push_str("    got:\n");
                push_indented(&mut text, &actual, "      ", None);
            } else {
                text.push_str(&format!(
                    "  {}: expected {}, got {}\n",
                    one_line(&f.expectation),
                    multi_line(&expected),
                    multi_line(&actual)
                ));
            }
            if let Some(diff) = &f.diff {
                push_indented(&mut text, &clip_lines(diff, MAX_DIFF_LINES), "    ", Some(style));
            }
        }
    }
    text
}

fn push_indented(text: &mut String, block: &str, indent: &str, diff_style: Option<&Style>) {
    for line in block.lines() {
        let painted = match diff_style {
            Some(style) if line.starts_with('+') => style.paint(DIFF_ADD, line),
            Some(style) if line.starts_with('-') => style.paint(DIFF_DEL, line),
            Some(style) if line.starts_with("@@") => style.paint(DIFF_HUNK, line),
            _ => line.to_string(),
        };
        text.push_str(indent);
        text.push_str(&painted);
        text.push('\n');
    }
}

/// `  0.012s`: seconds right-aligned in three columns, milliseconds.
fn duration(ms: u64) -> String {
    format!("{:>3}.{:03}s", ms / 1000, ms % 1000)
}

/// Terminal columns taken by a character: East Asian wide characters (Hangul, CJK, full-width
/// forms, most emoji) take two, combining marks none.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Cuts `s` to at most `max` columns, ending with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::sample_report;
    use crate::report::model::CheckFailure;

    const PLAIN: Style = Style { color: false };
    const COLOR: Style = Style { color: true };

    fn render(report: &RunReport, style: &Style) -> String {
        let mut out = Vec::new();
        for r in &report.scenarios {
            out.extend_from_slice(scenario_line(r, style).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        write_failures(report, style, &mut out).unwrap();
        write_summary(report, style, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sample_output() {
        insta::assert_snapshot!("terminal_sample", render(&sample_report(), &PLAIN));
    }

    #[test]
    fn colour_only_when_enabled() {
        let report = sample_report();
        let plain = render(&report, &PLAIN);
        assert!(!plain.contains("\x1b["), "{plain}");
        let colored = render(&report, &COLOR);
        assert!(colored.contains(&format!("{GREEN}PASS{RESET}")));
        assert!(colored.contains(&format!("{RED}FAIL{RESET}")));
        assert!(colored.contains(&format!("{MAGENTA}ERROR{RESET}")));
        assert!(colored.contains(&format!("{DIFF_ADD}+  \"rsp_code\": \"A0000\",{RESET}")));
        assert!(colored.contains(&format!("{DIFF_DEL}-  \"rsp_code\": \"A0326\",{RESET}")));
        // Stripping the escapes gives the plain output back.
        let mut stripped = colored.clone();
        for code in [RESET, GREEN, RED, YELLOW, MAGENTA, BOLD, DIFF_ADD, DIFF_DEL, DIFF_HUNK] {
            stripped = stripped.replace(code, "");
        }
        assert_eq!(stripped, plain);
        // The summary's last line is never coloured.
        assert_eq!(colored.lines().last(), plain.lines().last());
    }

    #[test]
    fn no_color_rules() {
        assert!(color_enabled(None, true));
        assert!(color_enabled(Some(""), true));
        assert!(!color_enabled(Some("1"), true));
        assert!(!color_enabled(Some("false"), true));
        assert!(!color_enabled(None, false));
        assert!(!color_enabled(Some(""), false));
    }

    #[test]
    fn statuses() {
        let report = sample_report();
        let labels: Vec<String> = report
            .scenarios
            .iter()
            .map(|r| scenario_line(r, &PLAIN).split_whitespace().next().unwrap().to_string())
            .collect();
        assert_eq!(labels, ["PASS", "FAIL", "SKIP", "ERROR", "WARN", "XFAIL", "XPASS"]);
        assert!(scenario_line(&report.scenarios[2], &PLAIN).ends_with(" (target lacks clock_control)"));
        let verdicts_failing: Vec<bool> = report.scenarios.iter().map(|r| Verdict::of(r).fails_run()).collect();
        assert_eq!(verdicts_failing, [false, true, false, true, false, false, true]);
    }

    #[test]
    fn titles_align_and_lines_fit() {
        let mut report = sample_report();
        report.scenarios[0].title = "a very long title ".repeat(10);
        report.scenarios[2].title = "긴 한국어 제목 ".repeat(10);
        report.scenarios[2].reason = Some("target lacks clock_control and also something else entirely".into());
        let lines: Vec<String> = report.scenarios.iter().map(|r| scenario_line(r, &PLAIN)).collect();
        for line in &lines {
            assert!(width(line) <= MAX_LINE, "{} columns: {line}", width(line));
        }
        assert!(lines[0].ends_with('…'));
        assert_eq!(width(&lines[0]), MAX_LINE);
        assert!(lines[2].contains("긴 한국어"), "{}", lines[2]);
        // Every title starts in the same column.
        let column = |line: &str, title: &str| width(&line[..line.find(title).unwrap()]);
        let first = column(&lines[0], "a very");
        for (line, r) in lines.iter().zip(&report.scenarios).skip(1) {
            let start: String = r.title.chars().take(3).collect();
            assert_eq!(column(line, &start), first, "{line}");
        }
    }

    #[test]
    fn summary_last_line_shape() {
        let report = sample_report();
        let mut out = Vec::new();
        write_summary(&report, &COLOR, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'));
        let last = text.lines().last().unwrap();
        assert_eq!(last, "3 passed, 3 failed, 1 skipped");
        assert!(is_count_line(last));
        let total: usize = last.split(", ").map(|part| part.split(' ').next().unwrap().parse::<usize>().unwrap()).sum();
        assert_eq!(total, report.scenarios.len());

        let mut empty = sample_report();
        empty.scenarios.clear();
        empty.unused_snapshots.clear();
        let mut out = Vec::new();
        write_summary(&empty, &PLAIN, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "Summary [  1.234s] embedded-sim, 0 scenarios\n0 passed, 0 failed, 0 skipped\n");
    }

    /// `N passed, N failed` optionally followed by `, N skipped`, nothing else.
    fn is_count_line(line: &str) -> bool {
        let parts: Vec<&str> = line.split(", ").collect();
        let words = ["passed", "failed", "skipped"];
        (2..=3).contains(&parts.len())
            && parts.iter().zip(words).all(|(part, word)| {
                part.split_once(' ')
                    .is_some_and(|(n, w)| w == word && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
    }

    #[test]
    fn control_characters_do_not_reach_the_terminal() {
        let mut report = sample_report();
        report.scenarios[1].title = "evil\x1b[2J title\u{1}".into();
        report.scenarios[1].steps[2].failures[0].actual = "A00\x1b]0;pwned\x0700".into();
        let text = render(&report, &PLAIN);
        assert!(!text.contains('\x1b') && !text.contains('\u{1}') && !text.contains('\x07'), "{text}");
        assert!(text.contains("evil[2J title"));
    }

    #[test]
    fn no_bodies_and_no_secrets() {
        let mut report = sample_report();
        let step = &mut report.scenarios[1].steps[2];
        step.failures.push(CheckFailure {
            expectation: "$.access_token exists".into(),
            expected: "eyJhbGciOiJIUzI1NiJ9.secret".into(),
            actual: "(missing)".into(),
            diff: Some(
                "-  \"access_token\": \"eyJhbGciOiJIUzI1NiJ9.aaaa\",\n+  \"token_type\": \"Bearer\",\n+  \"Authorization\": \"Bearer abcdefgh12345\""
                    .into(),
            ),
        });
        report.finish();
        let text = render(&report, &PLAIN);
        assert!(!text.contains("BODY-MARKER"), "{text}");
        assert!(!text.contains("eyJhbGciOiJIUzI1NiJ9"), "{text}");
        assert!(!text.contains("abcdefgh12345"), "{text}");
        assert!(text.contains("$.access_token exists: expected [redacted], got (missing)"), "{text}");
        assert!(text.contains("\"token_type\": \"Bearer\""), "{text}");
        assert!(text.contains("\"Authorization\": \"[redacted]\""), "{text}");
    }

    #[test]
    fn long_diffs_are_cut() {
        let mut report = sample_report();
        let diff: String = (0..500).map(|i| format!("+line {i}\n")).collect();
        report.scenarios[1].steps[2].failures[1].diff = Some(diff);
        let mut out = Vec::new();
        write_failures(&report, &PLAIN, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("+line 199\n"));
        assert!(!text.contains("+line 200\n"));
        assert!(text.contains("… 300 more lines"));
    }
}
