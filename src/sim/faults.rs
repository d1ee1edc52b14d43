//! Fault injection: rules that make the center answer a given code, delay, or drop the
//! connection, with the money committed or not.
//!
//! Whatever a rule says, the transfer record stays true, so `transfer/result` tells the
//! truth (unless the `result-inquiry-lies` defect mode is on).

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::protocol::{ApiId, BankRspCode, RspCode};

/// A rule as posted to `POST /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// The API the rule applies to.
    pub api: ApiId,
    /// Only requests for this account (withdraw: the debited account; deposit: the credited one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fintech_use_num: Option<String>,
    /// Only requests for this amount (decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tran_amt: Option<String>,
    /// Only the n-th matching call (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fire at most this many times (default: once when `nth` is set, otherwise unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    #[serde(flatten)]
    pub action: FaultAction,
}

/// The longest a `commit: later` transfer may wait for its settlement (100 years).
pub const MAX_SETTLE_SECONDS: u64 = 100 * 366 * 86_400;
/// The longest a `delay` rule may hold an answer (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

const RULE_KEYS: &[&str] = &["api", "fintech_use_num", "tran_amt", "nth", "times", "action"];

impl FaultRule {
    /// Parses a rule, rejecting unknown keys: a misspelt filter must not silently widen a
    /// rule to every request. (serde cannot deny unknown fields through `flatten`.)
    pub fn from_json(v: serde_json::Value) -> Result<FaultRule, String> {
        let action_keys: &[&str] = match v.get("action").and_then(serde_json::Value::as_str) {
            Some("respond") => {
                &["rsp_code", "bank_rsp_code", "commit", "settle_after_inquiries", "settle_after_seconds"]
            }
            Some("delay") => &["ms"],
            Some("drop") => &["commit"],
            Some(other) => return Err(format!("action: unknown action '{other}', expected respond, delay or drop")),
            None => return Err("action: missing (respond, delay or drop)".into()),
        };
        if let Some(map) = v.as_object()
            && let Some(bad) =
                map.keys().find(|k| !RULE_KEYS.contains(&k.as_str()) && !action_keys.contains(&k.as_str()))
        {
            let mut known: Vec<&str> = RULE_KEYS.iter().chain(action_keys).copied().collect();
            known.sort();
            return Err(format!("{bad}: unknown field; expected one of {}", known.join(", ")));
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer `rsp_code` (and `bank_rsp_code`) instead of the real outcome.
    Respond {
        rsp_code: RspCode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bank_rsp_code: Option<BankRspCode>,
        #[serde(default)]
        commit: Option<Commit>,
        /// With `commit: later`: turn final after this many 이체결과조회 of the transfer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settle_after_inquiries: Option<u32>,
        /// With `commit: later`: turn final after this many virtual seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settle_after_seconds: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Delay { ms: u64 },
    /// Close the connection without an answer.
    Drop {
        #[serde(default)]
        commit: Option<Commit>,
    },
}

/// Whether money moves when a rule fires on a money-moving API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Commit {
    /// The transfer is processed (and then the answer is replaced or lost).
    Yes,
    /// The transfer is not processed.
    No,
    /// The transfer is processed later (`A0001`/`400`), on the settle condition.
    Later,
}

impl FaultAction {
    /// The commit mode, with the documented defaults: `A0001` → later (after 2 inquiries),
    /// `A0000` → yes, anything else → no.
    pub fn commit(&self) -> Commit {
        match self {
            FaultAction::Respond { commit: Some(c), .. } | FaultAction::Drop { commit: Some(c) } => *c,
            FaultAction::Respond { rsp_code: RspCode::Processing, .. } => Commit::Later,
            FaultAction::Respond { rsp_code: RspCode::Success, .. } => Commit::Yes,
            FaultAction::Respond { .. } | FaultAction::Drop { .. } => Commit::No,
            FaultAction::Delay { .. } => Commit::Yes,
        }
    }
}

/// What a request looks like to the rules.
pub struct FaultProbe<'a> {
    pub api: ApiId,
    pub fintech_use_num: Option<&'a str>,
    pub tran_amt: Option<&'a str>,
}

struct ArmedRule {
    rule: FaultRule,
    matched: AtomicU64,
    fired: AtomicU64,
}

#[derive(Default)]
pub struct Faults {
    rules: RwLock<Vec<ArmedRule>>,
    /// Lets the hot path skip the lock when no rule is armed.
    armed: std::sync::atomic::AtomicBool,
}

impl Faults {
    pub fn arm(&self, rule: FaultRule) -> Result<usize, String> {
        if rule.nth == Some(0) {
            return Err("nth is 1-based; 0 never matches".into());
        }
        if let Some(amt) = &rule.tran_amt {
            crate::protocol::Amount::parse(amt).map_err(|e| e.to_string())?;
        }
        match rule.action {
            FaultAction::Respond { settle_after_seconds: Some(s), .. } if !(1..=MAX_SETTLE_SECONDS).contains(&s) => {
                return Err(format!("settle_after_seconds: {s} is out of range (1 to {MAX_SETTLE_SECONDS})"));
            }
            FaultAction::Delay { ms } if ms > MAX_DELAY_MS => {
                return Err(format!("ms: {ms} is out of range (at most {MAX_DELAY_MS})"));
            }
            _ => {}
        }
        let mut rules = self.rules.write();
        rules.push(ArmedRule { rule, matched: AtomicU64::new(0), fired: AtomicU64::new(0) });
        self.armed.store(true, Ordering::Release);
        Ok(rules.len())
    }

    pub fn clear(&self) {
        self.rules.write().clear();
        self.armed.store(false, Ordering::Release);
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.read().iter().map(|r| r.rule.clone()).collect()
    }

    /// The action of the first rule that fires for this request, counting the call.
    pub fn fire(&self, probe: &FaultProbe<'_>) -> Option<FaultAction> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let rules = self.rules.read();
        for armed in rules.iter() {
            let r = &armed.rule;
            if r.api != probe.api
                || r.fintech_use_num.as_deref().is_some_and(|f| Some(f) != probe.fintech_use_num)
                || r.tran_amt.as_deref().is_some_and(|a| {
                    probe.tran_amt.and_then(|t| t.trim_start_matches('0').into()) != Some(a.trim_start_matches('0'))
                })
            {
                continue;
            }
            let n = armed.matched.fetch_add(1, Ordering::AcqRel) + 1;
            if r.nth.is_some_and(|nth| nth != n) {
                continue;
            }
            let limit = r.times.unwrap_or(if r.nth.is_some() { 1 } else { u64::MAX });
            if armed.fired.fetch_add(1, Ordering::AcqRel) >= limit {
                continue;
            }
            return Some(r.action.clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultRule {
        FaultRule::from_json(serde_json::from_str(json).unwrap()).unwrap()
    }

    fn probe(amt: &str) -> FaultProbe<'_> {
        FaultProbe {
            api: ApiId::TransferWithdraw,
            fintech_use_num: Some("120260000001000000000001"),
            tran_amt: Some(amt),
        }
    }

    #[test]
    fn rules_parse_from_the_admin_json() {
        let r = rule(r#"{"api":"transfer.withdraw","action":"respond","rsp_code":"A0017","bank_rsp_code":"311"}"#);
        assert_eq!(r.action.commit(), Commit::No);
        let r = rule(r#"{"api":"transfer.deposit","action":"respond","rsp_code":"A0001","bank_rsp_code":"400"}"#);
        assert_eq!(r.action.commit(), Commit::Later);
        let r = rule(r#"{"api":"transfer.withdraw","action":"drop","commit":"yes"}"#);
        assert_eq!(r.action.commit(), Commit::Yes);
        let parse = |s: &str| FaultRule::from_json(serde_json::from_str(s).unwrap());
        assert!(parse(r#"{"api":"transfer.withdrw","action":"drop"}"#).unwrap_err().contains("transfer.withdrw"));
        let typo = parse(r#"{"api":"transfer.withdraw","tran_amount":"5","action":"drop"}"#).unwrap_err();
        assert!(typo.starts_with("tran_amount: unknown field"), "{typo}");
    }

    #[test]
    fn nth_fires_on_that_call_only_and_amount_filters() {
        let f = Faults::default();
        f.arm(rule(r#"{"api":"transfer.withdraw","tran_amt":"1000","nth":2,"action":"delay","ms":5}"#)).unwrap();
        assert!(f.fire(&probe("1000")).is_none());
        assert!(f.fire(&probe("999")).is_none());
        assert!(f.fire(&probe("1000")).is_some());
        assert!(f.fire(&probe("1000")).is_none());
    }

    #[test]
    fn times_bounds_the_firings() {
        let f = Faults::default();
        f.arm(rule(r#"{"api":"transfer.withdraw","times":2,"action":"delay","ms":5}"#)).unwrap();
        let fired = (0..5).filter(|_| f.fire(&probe("1")).is_some()).count();
        assert_eq!(fired, 2);
    }
}
