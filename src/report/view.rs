//! What every writer shows the same way: a scenario's verdict, its failing steps and their
//! one-line summaries, text made safe for one line or many, and numbers with their units.
//! The renderers (terminal, JUnit, HTML, Markdown) read the run model through these; none
//! imports another.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{
    ApiStats, CheckFailure, LoadModelInfo, Outcome, RunKind, RunReport, ScenarioResult, Severity, StepResult,
};
use crate::protocol::codes::{BankRspCode, Handling, RspCode};
use crate::protocol::{ApiId, ParamsIn};

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

/// What kind of run a report is, in words: `Conformance`, `Client certification`, …
pub fn run_kind_words(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Conformance => "Conformance",
        RunKind::ClientCertification => "Client certification",
        RunKind::Differential => "Differential check",
    }
}

/// What was judged, against what: the target; the client and the simulator that judged it.
pub fn run_subject(report: &RunReport) -> String {
    let target = one_line(&report.target.name);
    match (report.kind, &report.subject) {
        (RunKind::ClientCertification, Some(client)) => format!("{} — judged by {target}", one_line(client)),
        (RunKind::Differential, _) => format!("{target} against the reference simulator"),
        _ => target,
    }
}

/// The report's title: `Conformance report — embedded simulator`,
/// `Client certification report — client \`./pay\` — judged by obharness simulator`.
pub fn run_title(report: &RunReport) -> String {
    format!("{} report — {}", run_kind_words(report.kind), run_subject(report))
}

/// What an interrupted run says of itself, everywhere it is reported.
pub fn interruption_note(report: &RunReport) -> Option<String> {
    let signal = report.interrupted.as_deref()?;
    let unfinished = report
        .scenarios
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped && r.reason.as_deref().is_some_and(|w| w.contains("interrupted")))
        .count();
    Some(format!(
        "INTERRUPTED by {}: {} not run to the end; this run cannot pass",
        one_line(signal),
        plural(unfinished, "scenario", "scenarios")
    ))
}

/// A load run's totals: `1200 requests at 120.00 req/s, 0.50 % errors (5 refused, 1 without
/// an answer)`.
pub fn load_totals(overall: &ApiStats) -> String {
    let mut line = format!(
        "{} requests at {} req/s, {} errors",
        overall.count,
        fixed(overall.rate),
        percent(overall.errors, overall.count)
    );
    if overall.failed > 0 || overall.refused > 0 {
        line.push_str(&format!(" ({} refused, {} without an answer)", overall.refused, overall.failed));
    }
    line
}

/// A load model in a line: its kind, then its summary after `separator`, or its users and rate.
pub fn load_model(model: &LoadModelInfo, separator: &str) -> String {
    if !model.summary.is_empty() {
        return format!("{}{separator}{}", model.kind.as_str(), one_line(&model.summary));
    }
    let mut t = model.kind.as_str().to_string();
    if let Some(users) = model.users {
        t.push_str(&format!(", {users} users"));
    }
    if let Some(rate) = model.rate {
        t.push_str(&format!(", {}/s", fixed(rate)));
    }
    t
}

/// `1,000,000 won`.
pub fn won(amount: i128) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out} won", if amount < 0 { "-" } else { "" })
}

/// A failed scenario as reports lead with it: where it failed, what that means for the
/// money or the data, the request to replay, and the KFTC rule it breaks.
pub struct FailureBrief<'a> {
    pub scenario: &'a ScenarioResult,
    /// The first failing step (none when the scenario errored before one).
    pub step: Option<&'a StepResult>,
    /// In plain words, for an institution: "the account holds 4,000 won less than it should".
    pub consequence: Option<String>,
    /// The KFTC document and section, in the words an institution can look up.
    pub rules: Vec<String>,
    /// The failing request as a curl command (secrets already masked in the model).
    pub curl: Option<String>,
}

/// The scenarios that need attention (failed, errored, unexpectedly passed, failed
/// warnings), in the model's order (by id).
pub fn failure_briefs(report: &RunReport) -> Vec<FailureBrief<'_>> {
    report
        .scenarios
        .iter()
        .filter(|r| matches!(Verdict::of(r), Verdict::Fail | Verdict::Error | Verdict::XPass | Verdict::Warn))
        .map(|r| {
            let step = failing_steps(r).next();
            FailureBrief {
                scenario: r,
                step,
                consequence: step.and_then(|s| consequence(r, s)),
                rules: step.map(kftc_rules).unwrap_or_default(),
                curl: step.and_then(curl).map(|c| replayable(c, &report.target.base_url)),
            }
        })
        .collect()
}

/// The amount a scenario's first money-moving request carried (`tran_amt`, at the top or in
/// `req_list[0]`).
fn amount_moved(r: &ScenarioResult) -> Option<i128> {
    r.steps.iter().find_map(|s| {
        let api = ApiId::parse(s.api.as_deref()?)?;
        if !api.api().money_moving {
            return None;
        }
        let params = s.request.as_ref()?.get("params")?;
        let amount = params.get("tran_amt").or_else(|| params.get("req_list")?.get(0)?.get("tran_amt"))?;
        amount.as_str().and_then(|a| a.parse().ok()).or_else(|| amount.as_i64().map(i128::from))
    })
}

/// What a failed check means in plain words, for the checks where it is clear: a balance
/// that moved more or less than it should, or an answer that let through what the center
/// must refuse.
pub fn consequence(r: &ScenarioResult, step: &StepResult) -> Option<String> {
    let moved = amount_moved(r);
    for f in &step.failures {
        if f.expectation.contains("balance_amt") && f.expectation.ends_with("eq_num") {
            let expected: i128 = f.expected.split_whitespace().nth(1)?.parse().ok()?;
            let actual: i128 = f.actual.trim().parse().ok()?;
            let diff = actual - expected;
            let times = moved.filter(|m| *m > 0 && diff % m == 0).map(|m| (diff / m).abs());
            let how = match times {
                Some(n) => format!(" ({n} × {})", won(moved.unwrap_or(0))),
                None => String::new(),
            };
            return Some(if diff < 0 {
                format!("the account holds {} less than it should{how}: money left it that must not have", won(-diff))
            } else {
                format!("the account holds {} more than it should{how}: money arrived that must not have", won(diff))
            });
        }
        if f.expectation == "rsp_code" && f.actual.starts_with(RspCode::Success.code()) {
            let expected = RspCode::from_code(f.expected.split(" or ").next()?)?;
            let api = ApiId::parse(step.api.as_deref()?)?;
            let money = api.api().money_moving;
            let amount = moved.map(|m| format!(" ({})", won(m))).unwrap_or_default();
            let what = match (expected.default_handling(), money) {
                (Handling::DuplicateIgnored, true) => {
                    format!("the duplicate request was carried out: money moved twice{amount}")
                }
                (Handling::DuplicateIgnored, false) => "the duplicate request was answered as new".into(),
                (Handling::ConsentExpired, true) => {
                    format!("money moved on a withdrawal consent over a year old{amount}")
                }
                (Handling::ConsentExpired, false) => "account data was given out on a consent over a year old".into(),
                (Handling::ConsentRequired, _) => "the call was served without the consent it needs".into(),
                (Handling::AuthError, true) => {
                    format!("a caller the center must refuse was served: the transfer went through{amount}")
                }
                (Handling::AuthError, false) => "a caller the center must refuse was answered".into(),
                (Handling::Refused, true) => format!("a transfer the center must refuse went through{amount}"),
                _ => return None,
            };
            return Some(what);
        }
    }
    None
}

/// The KFTC rules a failed step breaks, named by KFTC document and section: the API's
/// section of the API specification, and for a response code its row of the handling table.
pub fn kftc_rules(step: &StepResult) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(api) = step.api.as_deref().and_then(ApiId::parse).map(|a| a.api()) {
        out.push(format!("KFTC 오픈뱅킹 API 명세서 v2.0 — {} ({} {})", api.name, api.method, api.path));
    }
    for f in &step.failures {
        if f.expectation == "rsp_code" || f.expectation == "bank_rsp_code" {
            for code in f.expected.split(" or ") {
                if let Some(c) = RspCode::from_code(code) {
                    out.push(format!(
                        "KFTC 오픈뱅킹 응답코드 처리 안내 — {} {}: {}",
                        c.code(),
                        c.message(),
                        c.default_handling().describe()
                    ));
                } else if let Some(c) = BankRspCode::from_code(code) {
                    out.push(format!("KFTC 오픈뱅킹 응답코드 처리 안내 — bank_rsp_code {} {}", c.code(), c.message()));
                }
            }
        }
    }
    out.dedup();
    out
}

/// A curl command against an embedded simulator names a port that is gone once the run ends:
/// its origin becomes `$OBH_BASE_URL`, to point at an `obharness sim` (or any target).
fn replayable(curl: String, target_base_url: &str) -> String {
    if target_base_url.starts_with("http://") || target_base_url.starts_with("https://") {
        return curl;
    }
    match curl.find("'http://127.0.0.1:") {
        Some(at) => {
            let rest = &curl[at + 1..];
            let path_at = rest["http://".len()..].find('/').map_or(rest.len(), |i| i + "http://".len());
            format!("{}\"$OBH_BASE_URL\"'{}", &curl[..at], &rest[path_at..])
        }
        None => curl,
    }
}

/// The step's request as a curl command: the redacted parameters as sent (masked values
/// stay masked; the token is a shell variable to fill in).
pub fn curl(step: &StepResult) -> Option<String> {
    let request = step.request.as_ref()?;
    let method = request.get("method")?.as_str()?;
    let url = request.get("url")?.as_str()?;
    let params = request.get("params").cloned().unwrap_or(Value::Object(Default::default()));
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let api = step.api.as_deref().and_then(ApiId::parse).map(|a| a.api());
    let mut cmd = format!("curl -sS -X {method}");
    let pairs = || {
        params
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect::<Vec<_>>()
    };
    match api.map(|a| a.params_in) {
        Some(ParamsIn::Query) | None if method == "GET" => {
            let query = pairs().join("&");
            let sep = if url.contains('?') { '&' } else { '?' };
            cmd.push_str(&format!(
                " {}",
                quote(&if query.is_empty() { url.to_string() } else { format!("{url}{sep}{query}") })
            ));
        }
        Some(ParamsIn::Form) => {
            cmd.push_str(&format!(" {}", quote(url)));
            for p in pairs() {
                cmd.push_str(&format!(" --data-urlencode {}", quote(&p)));
            }
        }
        _ => {
            cmd.push_str(&format!(" {}", quote(url)));
            cmd.push_str(" -H 'Content-Type: application/json; charset=UTF-8'");
            cmd.push_str(&format!(" --data {}", quote(&params.to_string())));
        }
    }
    if api.is_none_or(|a| !a.scopes.is_empty()) {
        cmd.push_str(" -H \"Authorization: Bearer $ACCESS_TOKEN\"");
    }
    Some(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lead_with_their_consequence_rule_and_curl() {
        let mut report = crate::report::json::sample_report();
        report.finish();
        let briefs = failure_briefs(&report);
        assert!(!briefs.is_empty());
        assert_eq!(won(1_234_567), "1,234,567 won");
        assert_eq!(won(-1000), "-1,000 won");
        let step = StepResult {
            index: 3,
            name: "balance after".into(),
            action: "call account.balance".into(),
            outcome: Outcome::Failed,
            duration_ms: 1,
            request: Some(
                serde_json::json!({"method": "GET", "url": "http://127.0.0.1:1/v2.0/account/balance/fin_num",
                "params": {"fintech_use_num": "1202", "bank_tran_id": "M1U1"}}),
            ),
            http_status: Some(200),
            response: None,
            failures: vec![CheckFailure {
                expectation: "$.balance_amt eq_num".into(),
                expected: "eq_num 999999000 (${before} - 1000)".into(),
                actual: "999995000".into(),
                diff: None,
            }],
            api: Some("account.balance".into()),
            checks: vec![],
        };
        let withdraw = StepResult {
            index: 1,
            action: "call transfer.withdraw".into(),
            api: Some("transfer.withdraw".into()),
            request: Some(serde_json::json!({"method": "POST", "url": "http://x/v2.0/transfer/withdraw/fin_num",
                "params": {"tran_amt": "1000", "wd_pass_phrase": "[redacted]"}})),
            failures: vec![],
            outcome: Outcome::Passed,
            ..step.clone()
        };
        let mut r = report.scenarios[0].clone();
        r.steps = vec![withdraw.clone(), step.clone()];
        assert_eq!(
            consequence(&r, &step).unwrap(),
            "the account holds 4,000 won less than it should (4 × 1,000 won): money left it that must not have"
        );
        assert!(kftc_rules(&step)[0].contains("잔액조회"), "{:?}", kftc_rules(&step));
        let c = curl(&step).unwrap();
        assert!(c.starts_with("curl -sS -X GET 'http://127.0.0.1:1/v2.0/account/balance/fin_num?"), "{c}");
        assert!(c.contains("$ACCESS_TOKEN"), "{c}");
        let c = curl(&withdraw).unwrap();
        assert!(c.contains("--data '{") && c.contains("[redacted]"), "{c}");
        // Against the embedded simulator the port is gone after the run: the origin is a variable.
        let c = replayable(curl(&step).unwrap(), "in-process (127.0.0.1:ephemeral)");
        assert!(c.starts_with("curl -sS -X GET \"$OBH_BASE_URL\"'/v2.0/account/balance/fin_num?"), "{c}");
        assert_eq!(
            replayable("curl 'http://127.0.0.1:1/x'".into(), "http://127.0.0.1:1"),
            "curl 'http://127.0.0.1:1/x'"
        );
    }

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
