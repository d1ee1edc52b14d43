//! Redaction, decided once where the run model is built: secrets (by the key that names them
//! and by their known values) become `[redacted]`, full account numbers are masked the way
//! the center masks them (`1001000000***`). Every output (JSON, JUnit, HTML, Markdown,
//! terminal) is rendered from the redacted model.

use serde_json::Value;

use super::model::{ScenarioResult, StepResult};
use crate::protocol::ids::mask_account_num;

pub const REDACTED: &str = "[redacted]";

/// Key names (lower case, substrings) whose values are secrets.
const SECRET_KEYS: &[&str] =
    &["secret", "access_token", "refresh_token", "id_token", "pass_phrase", "password", "authorization", "api_key"];

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
        super::terminal::redact_secrets(&out).into_owned()
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
            f.expected = self.text(&f.expected);
            f.actual = self.text(&f.actual);
            f.diff = f.diff.as_deref().map(|d| self.text(d));
        }
    }

    pub fn scenario(&self, r: &mut ScenarioResult) {
        r.reason = r.reason.as_deref().map(|s| self.text(s));
        for step in &mut r.steps {
            self.step(step);
        }
    }
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
}
