//! Redaction, decided once where the run model is built: secrets (by the key that names them
//! and by their known values) become `[redacted]`, full account numbers are masked the way
//! the center masks them (`1001000000***`). Every output (JSON, JUnit, HTML, Markdown,
//! terminal) is rendered from the redacted model.

use serde_json::Value;

use std::borrow::Cow;

use super::model::{CheckFailure, RunReport, ScenarioResult, StepResult};
use crate::protocol::ids::mask_account_num;

pub const REDACTED: &str = "[redacted]";

/// Key names (lower case, substrings) whose values are secrets: the one list every output's
/// redaction reads, by key in JSON and by `key=value` / `"key": "value"` in text.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "access_token",
    "refresh_token",
    "id_token",
    "pass_phrase",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "apikey",
];

/// Keys that are exactly a secret (too short to match as a substring).
const SECRET_EXACT: &[&str] = &["code", "obh_code", "token"];

/// Whether a key (`client_secret`, `OBH_WD_PASS_PHRASE`, `Authorization`) names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|s| k.contains(s)) || SECRET_EXACT.contains(&k.as_str())
}

/// Whether a key names an account number (`account_num`, `cntr_account_num`,
/// `OBH_CNTR_ACCOUNT_NUM`, `recv_client_account_num`, `account_num_masked`).
pub fn is_account_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("account_num")
}

/// A JSON value with secret keys redacted and account numbers masked, at any depth.
pub fn redact_value(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if is_secret_key(k) => Value::String(REDACTED.into()),
                        Value::String(s) if is_account_key(k) => Value::String(mask_account_num(s)),
                        other => redact_value(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_value).collect()),
        other => other.clone(),
    }
}

/// Known secret values and account numbers, scrubbed from every text of a result (client
/// transcripts, failure messages, reasons), wherever they appear.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
    accounts: Vec<String>,
}

impl Scrubber {
    /// Adds a secret value (values shorter than 6 characters, such as the test bed's `NONE`
    /// pass phrase, are too common to scrub from text; their keys are still redacted).
    pub fn secret(&mut self, value: &str) -> &mut Self {
        if value.chars().count() >= 6 && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_string());
            // The longest first, so a secret containing another is scrubbed whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        self
    }

    /// Adds a full account number, to be masked wherever it appears.
    pub fn account(&mut self, value: &str) -> &mut Self {
        if value.chars().count() >= 6 && !self.accounts.iter().any(|s| s == value) {
            self.accounts.push(value.to_string());
            self.accounts.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        self
    }

    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        for account in &self.accounts {
            if out.contains(account.as_str()) {
                out = out.replace(account.as_str(), &mask_account_num(account));
            }
        }
        // And any `secret_key=value` or `"secret_key": "value"` of values not known here.
        redact_secrets(&out).into_owned()
    }

    pub fn value(&self, v: &Value) -> Value {
        match redact_value(v) {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (self.text(k), self.value(v))).collect()),
            other => other,
        }
    }

    pub fn step(&self, r: &mut StepResult) {
        r.name = self.text(&r.name);
        r.action = self.text(&r.action);
        r.request = r.request.as_ref().map(|v| self.value(v));
        r.response = r.response.as_ref().map(|v| self.value(v));
        for f in &mut r.failures {
            let checked = redact_check(f);
            f.expected = self.text(&checked.expected);
            f.actual = self.text(&checked.actual);
            f.diff = checked.diff.as_deref().map(|d| self.text(d));
        }
    }

    pub fn scenario(&self, r: &mut ScenarioResult) {
        r.reason = r.reason.as_deref().map(|s| self.text(s));
        for step in &mut r.steps {
            self.step(step);
        }
    }

    /// Every scenario of a run.
    pub fn run(&self, report: &mut RunReport) {
        for r in &mut report.scenarios {
            self.scenario(r);
        }
    }
}

/// Whether a text (a check's expectation, `$.access_token exists`) names a secret.
fn names_secret(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|k| lower.contains(k))
}

/// Values that say something about a secret without being one.
fn is_placeholder(v: &str) -> bool {
    let lower = v.trim().to_ascii_lowercase();
    lower.is_empty()
        || matches!(
            lower.as_str(),
            "null" | "missing" | "absent" | "present" | "exists" | "true" | "false" | "bearer" | "basic"
        )
        || lower.starts_with(['<', '[', '(', '{', '$', '*'])
}

/// A check with secret-looking values masked: every value when the expectation names a secret
/// (`$.access_token eq`), and `key: value` / `key=value` / `Bearer …` pairs inside any text.
pub fn redact_check(f: &CheckFailure) -> CheckFailure {
    let whole = names_secret(&f.expectation);
    let value =
        |v: &str| if whole && !is_placeholder(v) { REDACTED.to_string() } else { redact_secrets(v).into_owned() };
    CheckFailure {
        expectation: f.expectation.clone(),
        expected: value(&f.expected),
        actual: value(&f.actual),
        diff: f.diff.as_deref().map(|d| redact_secrets(d).into_owned()),
    }
}

/// Masks the values of secret-named keys (`"access_token": "…"`, `client_secret=…`) and
/// credentials after `Bearer ` / `Basic `.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut copied = 0;
    let mut at = 0;
    while at < text.len() {
        let rest = &lower[at..];
        let found = if let Some(scheme) = ["bearer ", "basic "].iter().find(|s| rest.starts_with(**s)) {
            let start = at + scheme.len();
            let start = start + text[start..].len() - text[start..].trim_start_matches(' ').len();
            let end = start
                + text[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(c)))
                    .unwrap_or(text.len() - start);
            (end - start >= 8).then_some((start, end))
        } else if let Some(key) = SECRET_KEYS.iter().find(|k| rest.starts_with(**k)) {
            secret_value(text, at + key.len())
        } else {
            None
        };
        match found {
            Some((start, end)) => {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                copied = end;
                at = end;
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// After a secret key ending at `at`: the byte range of its value, if one follows
/// (`": "v"`, `=v`, `: v`).
fn secret_value(text: &str, at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = at;
    // The rest of the key (`client_secret_x`, `password2`) and a closing quote.
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-') {
        i += 1;
    }
    if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
        i += 1;
    }
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    if i >= bytes.len() || !(bytes[i] == b':' || bytes[i] == b'=') {
        return None;
    }
    i += 1;
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let (start, end) = match bytes.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let start = i + 1;
            let end = text[start..].find(q as char).map_or(text.len(), |n| start + n);
            (start, end)
        }
        Some(b) if b.is_ascii_alphanumeric() => {
            let end =
                text[i..].find(|c: char| c.is_whitespace() || ",&;)}]\"'".contains(c)).map_or(text.len(), |n| i + n);
            (i, end)
        }
        _ => return None,
    };
    (!is_placeholder(&text[start..end])).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_and_account_numbers_at_any_depth() {
        let v = json!({
            "OBH_CLIENT_SECRET": "s3cr3t-value", "OBH_WD_PASS_PHRASE": "NONE", "code": "abc",
            "OBH_CNTR_ACCOUNT_NUM": "1002000000001",
            "req_list": [{"wd_pass_phrase": "P", "recv_client_account_num": "1001000000001"}],
            "account_num_masked": "1001000000***", "tran_amt": "1000"
        });
        let r = redact_value(&v);
        assert_eq!(r["OBH_CLIENT_SECRET"], REDACTED);
        assert_eq!(r["OBH_WD_PASS_PHRASE"], REDACTED);
        assert_eq!(r["code"], REDACTED);
        assert_eq!(r["OBH_CNTR_ACCOUNT_NUM"], "1002000000***");
        assert_eq!(r["req_list"][0]["wd_pass_phrase"], REDACTED);
        assert_eq!(r["req_list"][0]["recv_client_account_num"], "1001000000***");
        assert_eq!(r["account_num_masked"], "1001000000***");
        assert_eq!(r["tran_amt"], "1000");
    }

    #[test]
    fn known_values_are_scrubbed_from_any_text() {
        let mut s = Scrubber::default();
        s.secret("obh-sim-secret").secret("ab").account("1001000000001");
        assert_eq!(s.text("echo obh-sim-secret to 1001000000001 (ab)"), "echo [redacted] to 1001000000*** (ab)");
    }

    #[test]
    fn redaction() {
        let cases = [
            ("client_secret=s3cr3tvalue&scope=oob", "client_secret=[redacted]&scope=oob"),
            ("{\"access_token\":\"tok123\",\"x\":1}", "{\"access_token\":\"[redacted]\",\"x\":1}"),
            ("Authorization: Bearer abc.def.ghi123", "Authorization: Bearer [redacted]"),
            ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [redacted]"),
            ("\"refresh_token\": null", "\"refresh_token\": null"),
            ("\"token_type\": \"Bearer\"", "\"token_type\": \"Bearer\""),
            ("rsp_code A0000, 계좌 잔액", "rsp_code A0000, 계좌 잔액"),
            ("password", "password"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_secrets(input), expected, "{input}");
        }
        assert!(matches!(redact_secrets("nothing here"), Cow::Borrowed(_)));
    }
}
