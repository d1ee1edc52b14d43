//! What every writer shows the same way: a scenario's verdict, its failing steps and their
//! one-line summaries, text made safe for one line or many, and numbers with their units.
//! The renderers (terminal, JUnit, HTML, Markdown) read the run model through these; none
//! imports another.

use std::collections::BTreeMap;

use super::model::{CheckFailure, Outcome, ScenarioResult, Severity, StepResult};

/// Diff lines shown per failed check (the JSON report keeps the whole diff).
pub const MAX_DIFF_LINES: usize = 200;
/// Expected and actual values longer than this are cut.
pub const MAX_VALUE_CHARS: usize = 2000;

/// How a scenario ended, as reported to a person or CI: the outcome with severity and the
/// expected-failures list applied. The run's summary counts these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Skip,
    Error,
    /// Failed, severity `warning`.
    Warn,
    /// Failed, listed as an expected failure.
    XFail,
    /// Passed although listed as an expected failure.
    XPass,
}

impl Verdict {
    pub fn of(r: &ScenarioResult) -> Verdict {
        match r.outcome {
            Outcome::Passed if r.expected_failure => Verdict::XPass,
            Outcome::Passed => Verdict::Pass,
            Outcome::Failed if r.expected_failure => Verdict::XFail,
            Outcome::Failed if r.severity == Severity::Warning => Verdict::Warn,
            Outcome::Failed => Verdict::Fail,
            Outcome::Skipped => Verdict::Skip,
            Outcome::Error => Verdict::Error,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
            Verdict::Warn => "WARN",
            Verdict::XFail => "XFAIL",
            Verdict::XPass => "XPASS",
        }
    }

    /// The CSS class (lower case label).
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
            Verdict::Error => "error",
            Verdict::Warn => "warn",
            Verdict::XFail => "xfail",
            Verdict::XPass => "xpass",
        }
    }

    /// Whether this verdict makes the run fail (agrees with `RunReport::is_success`).
    pub fn fails_run(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Error | Verdict::XPass)
    }
}

/// Steps that failed or errored, or carry failed checks.
pub fn failing_steps(r: &ScenarioResult) -> impl Iterator<Item = &StepResult> {
    r.steps.iter().filter(|s| !s.failures.is_empty() || matches!(s.outcome, Outcome::Failed | Outcome::Error))
}

/// `expectation: expected X, got Y` on one line: the short text of a failure.
pub fn check_summary(f: &CheckFailure) -> String {
    format!("{}: expected {}, got {}", one_line(&f.expectation), one_line(&f.expected), one_line(&f.actual))
}

fn is_control(c: char) -> bool {
    c.is_control() // C0, DEL and C1
}

/// For one-line fields: tabs and line breaks become spaces, other control characters go.
pub fn one_line(s: &str) -> String {
    s.chars()
        .filter_map(|c| if matches!(c, '\t' | '\n' | '\r') { Some(' ') } else { (!is_control(c)).then_some(c) })
        .collect()
}

/// For multi-line text: keeps line breaks and tabs, drops other control characters.
pub fn multi_line(s: &str) -> String {
    s.chars().filter(|&c| matches!(c, '\t' | '\n') || !is_control(c)).collect()
}

/// Multi-line text cut after `max` characters, saying how much was cut.
pub fn clip_chars(s: &str, max: usize) -> String {
    let s = multi_line(s);
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}… ({} more characters)", &s[..at], s[at..].chars().count()),
        None => s,
    }
}

/// Text cut after `max` lines, pointing at the JSON report for the rest.
pub fn clip_lines(s: &str, max: usize) -> String {
    let s = multi_line(s);
    let total = s.lines().count();
    if total <= max {
        return s;
    }
    let mut kept: Vec<&str> = s.lines().take(max).collect();
    let more = format!("… {} more lines (the JSON report has the whole diff)", total - max);
    kept.push(&more);
    kept.join("\n")
}

/// `3 scenarios`, `1 scenario`.
pub fn plural<N: TryInto<u64> + std::fmt::Display + Copy>(n: N, one: &str, many: &str) -> String {
    let singular = n.try_into().ok() == Some(1);
    format!("{n} {}", if singular { one } else { many })
}

/// Microseconds as milliseconds with two decimals (no unit: for tables headed "ms").
pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Two decimals; `–` for values that are not numbers.
pub fn fixed(v: f64) -> String {
    if v.is_finite() { format!("{v:.2}") } else { "–".to_string() }
}

/// `12.50 %`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "0.00 %".to_string() } else { format!("{:.2} %", part as f64 * 100.0 / whole as f64) }
}

/// `1.234 s`.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// A baseline value with its unit: latencies (`p95`, `p99`, … in µs) in ms, throughput in
/// requests per second.
pub fn metric_value(metric: &str, v: f64) -> String {
    if metric.starts_with('p') && metric[1..].chars().all(|c| c.is_ascii_digit() || c == '.') && metric.len() > 1 {
        format!("{} ms", fixed(v / 1000.0))
    } else if metric == "throughput" {
        format!("{}/s", fixed(v))
    } else {
        fixed(v)
    }
}

/// A change in percent, signed (`+` is worse).
pub fn change(pct: f64) -> String {
    match pct {
        p if !p.is_finite() => "–".to_string(),
        p if p.abs() < 0.005 => "0.00 %".to_string(),
        p => format!("{p:+.2} %"),
    }
}

/// A base URL without user information, query or fragment.
pub fn public_url(url: &str) -> String {
    let url = one_line(url);
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if scheme.is_empty() { format!("{host}{path}") } else { format!("{scheme}://{host}{path}") }
}

/// rsp_codes, most frequent first.
pub fn sorted_codes(codes: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut codes: Vec<(&str, u64)> = codes.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_user_info_query_and_fragment() {
        assert_eq!(public_url("https://u:p@gw.example:8443/ob?x=1#f"), "https://gw.example:8443/ob");
        assert_eq!(public_url("gw.example/x"), "gw.example/x");
    }

    #[test]
    fn figures_carry_their_units() {
        assert_eq!(metric_value("p99", 12_345.0), "12.35 ms");
        assert_eq!(metric_value("throughput", 4781.0), "4781.00/s");
        assert_eq!(change(21.6), "+21.60 %");
        assert_eq!(percent(1, 8), "12.50 %");
        assert_eq!(plural(1u32, "scenario", "scenarios"), "1 scenario");
    }
}
