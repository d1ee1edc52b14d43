//! A typed client of an obharness simulator's admin API (`/_sim/…`, served by
//! `sim::admin`): reset, fixtures, the virtual clock, faults, balances and the journal. Every
//! runner reaches the simulator through this, so its paths are written once on each side.

use serde_json::{Value, json};

use super::record::SendRecorded;

/// The header carrying the admin token.
pub const TOKEN_HEADER: &str = "X-Sim-Admin-Token";

/// What went wrong talking to the admin API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("the target has no simulator admin API (an obharness simulator and its admin token are needed)")]
    NoAdmin,
    #[error("{method} {path}: {why}")]
    Unreachable { method: &'static str, path: String, why: String },
    #[error("{method} {path}: HTTP {status}: {message}")]
    Refused { method: &'static str, path: String, status: u16, message: String },
    #[error("{method} {path}: unexpected answer: {why}")]
    Unexpected { method: &'static str, path: String, why: String },
}

/// An admin endpoint and its token.
#[derive(Clone)]
pub struct SimAdmin {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// The simulator's clock as `GET /_sim/clock` reports it.
#[derive(Debug, Clone)]
pub struct SimClock {
    pub now: chrono::DateTime<chrono::FixedOffset>,
    /// The clock as a request's `tran_dtime` (KST, `YYYYMMDDhhmmss`).
    pub tran_dtime: String,
}

impl SimAdmin {
    pub fn new(base: &str, token: &str, http: reqwest::Client) -> SimAdmin {
        SimAdmin { base: base.trim_end_matches('/').to_string(), token: token.to_string(), http }
    }

    /// The admin token (reports scrub it).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Puts the simulator back to its fixtures and an empty ledger and journal.
    pub async fn reset(&self) -> Result<(), AdminError> {
        self.post("/_sim/reset", json!({})).await.map(drop)
    }

    /// The simulator's test data (users, accounts, the institution's credentials).
    pub async fn fixture(&self) -> Result<Value, AdminError> {
        self.get("/_sim/fixture").await
    }

    pub async fn clock(&self) -> Result<SimClock, AdminError> {
        let path = "/_sim/clock";
        let v = self.get(path).await?;
        let unexpected = |why: String| AdminError::Unexpected { method: "GET", path: path.into(), why };
        let now = v["now"]
            .as_str()
            .and_then(|n| chrono::DateTime::parse_from_rfc3339(n).ok())
            .ok_or_else(|| unexpected(format!("no RFC 3339 `now` in {v}")))?;
        let tran_dtime = v["tran_dtime"].as_str().ok_or_else(|| unexpected(format!("no `tran_dtime` in {v}")))?;
        Ok(SimClock { now, tran_dtime: tran_dtime.to_string() })
    }

    /// Moves the virtual clock forward.
    pub async fn advance_clock(&self, seconds: u64) -> Result<(), AdminError> {
        self.post("/_sim/clock/advance", json!({ "seconds": seconds })).await.map(drop)
    }

    /// Arms a fault rule (the simulator checks its shape and says what is wrong).
    pub async fn arm_fault(&self, rule: &Value) -> Result<(), AdminError> {
        self.post("/_sim/faults", rule.clone()).await.map(drop)
    }

    pub async fn clear_faults(&self) -> Result<(), AdminError> {
        self.send(reqwest::Method::DELETE, "DELETE", "/_sim/faults", None).await.map(drop)
    }

    /// An account's balance in won, read outside the API.
    pub async fn balance(&self, fintech_use_num: &str) -> Result<i128, AdminError> {
        let path = format!("/_sim/accounts/{fintech_use_num}");
        let v = self.get(&path).await?;
        let amount = match &v["balance_amt"] {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_i64().map(i128::from),
            _ => None,
        };
        amount.ok_or_else(|| AdminError::Unexpected { method: "GET", path, why: format!("no balance_amt in {v}") })
    }

    /// Every journal entry after sequence number `after`, page by page (the admin API
    /// serves bounded pages; the journal itself is bounded too).
    pub async fn journal_since(&self, mut after: u64) -> Result<Vec<Value>, AdminError> {
        // Only stops a client that never stops calling from paging forever.
        const MAX_PAGES: usize = 1000;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let path = format!("/_sim/journal?after={after}");
            let mut page = self.get(&path).await?;
            let Some(Value::Array(entries)) = page.get_mut("entries").map(Value::take) else {
                return Err(AdminError::Unexpected { method: "GET", path, why: "no entries list".into() });
            };
            after = page["next_after"].as_u64().unwrap_or(after);
            super::record::journal_entries(&entries);
            out.extend(entries);
            if page["more"] != Value::Bool(true) {
                break;
            }
        }
        Ok(out)
    }

    /// The sequence number of the journal's newest entry (0 when empty).
    pub async fn journal_head(&self) -> Result<u64, AdminError> {
        let path = "/_sim/journal?limit=0";
        let v = self.get(path).await?;
        v.get("last_seq").and_then(Value::as_u64).ok_or_else(|| AdminError::Unexpected {
            method: "GET",
            path: path.into(),
            why: format!("no last_seq in {v}"),
        })
    }

    async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.send(reqwest::Method::GET, "GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, AdminError> {
        self.send(reqwest::Method::POST, "POST", path, Some(body)).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        name: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, AdminError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).header(TOKEN_HEADER, &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send_recorded().await.map_err(|e| AdminError::Unreachable {
            method: name,
            path: path.into(),
            why: super::call::error_chain(&e),
        })?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(v)
        } else {
            Err(AdminError::Refused {
                method: name,
                path: path.into(),
                status: status.as_u16(),
                message: v["error"].as_str().unwrap_or("").to_string(),
            })
        }
    }
}
