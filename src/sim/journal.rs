//! The request journal: a bounded ring buffer of what the simulator received and answered.
//!
//! Client certification judges an institution's code from it, so each entry keeps the
//! request parameters (clipped to a few KiB, in its own buffer) and renders them only when
//! read, with secrets redacted and account numbers masked. The journal is bounded in
//! entries and in bytes, so a flood of requests cannot exhaust memory.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use crate::protocol::ApiId;

#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub seq: u64,
    pub at: DateTime<FixedOffset>,
    pub peer: SocketAddr,
    pub api: Option<ApiId>,
    pub method: String,
    pub path: String,
    pub bank_tran_id: Option<String>,
    pub rsp_code: Option<String>,
    pub bank_rsp_code: Option<String>,
    pub http_status: u16,
    /// The connection was closed without an answer (fault injection).
    pub dropped: bool,
    pub query: Option<String>,
    pub body: Bytes,
    /// The body's length as received (the journal keeps at most [`MAX_BODY_BYTES`]).
    pub body_len: usize,
}

/// The JSON form served by `GET /_sim/journal`.
#[derive(Debug, Serialize)]
pub struct JournalView {
    pub seq: u64,
    pub at: String,
    pub peer: String,
    pub api: Option<ApiId>,
    pub method: String,
    pub path: String,
    pub bank_tran_id: Option<String>,
    pub rsp_code: Option<String>,
    pub bank_rsp_code: Option<String>,
    pub http_status: u16,
    pub dropped: bool,
    /// The request's parameters (query or body), with secrets redacted and account numbers
    /// masked; a body that does not parse is a clipped, pattern-redacted string.
    pub request: Value,
    /// The body was longer than the journal keeps ([`MAX_BODY_BYTES`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub request_truncated: bool,
}

/// Request bytes kept per entry; the rest is dropped (the entry says so).
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// Query bytes kept per entry.
pub const MAX_QUERY_BYTES: usize = 4 * 1024;
/// Path bytes kept per entry.
pub const MAX_PATH_BYTES: usize = 1024;
/// Characters of an unparsable body shown in the view.
const MAX_RAW_VIEW_CHARS: usize = 1024;

/// Fields whose values never leave the simulator.
const SECRET_FIELDS: &[&str] = &["client_secret", "access_token", "refresh_token", "wd_pass_phrase", "code"];

/// An account number as the center shows it: all but the last three characters.
pub fn mask_account(num: &str) -> String {
    let n = num.chars().count();
    let kept: String = num.chars().take(n.saturating_sub(3)).collect();
    format!("{kept}***")
}

/// Redacts secrets and masks account numbers at any depth.
fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) {
                    *val = Value::String("[redacted]".into());
                } else if k.ends_with("account_num")
                    && let Value::String(s) = val
                {
                    *s = mask_account(s);
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// A body that does not parse, as a clipped string with anything that looks like a secret
/// or an account number after a key (`"key": "…"`, `key=…`) replaced.
fn redact_raw(bytes: &[u8]) -> String {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)(^|[^a-z0-9_])((?:client_secret|access_token|refresh_token|wd_pass_phrase|code|[a-z_]*account_num)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|[^\s&,;}\]"]*)"#,
        )
        .expect("a valid pattern")
    });
    let text: String = String::from_utf8_lossy(bytes).chars().take(MAX_RAW_VIEW_CHARS).collect();
    PATTERN.replace_all(&text, "${1}${2}\"[redacted]\"").into_owned()
}

fn pairs_object(text: &[u8]) -> Option<Value> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(text).ok()?;
    Some(Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
}

impl JournalEntry {
    /// The bytes this entry holds, for the journal's memory bound.
    fn cost(&self) -> usize {
        std::mem::size_of::<JournalEntry>()
            + self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.body.len()
            + self.bank_tran_id.as_ref().map_or(0, String::len)
            + self.rsp_code.as_ref().map_or(0, String::len)
            + self.bank_rsp_code.as_ref().map_or(0, String::len)
    }

    /// Keeps at most the journal's share of the request, in buffers of its own (a slice of
    /// the connection's read buffer would keep all of that buffer alive).
    fn clip(&mut self) {
        clip_string(&mut self.path, MAX_PATH_BYTES);
        if let Some(q) = &mut self.query {
            clip_string(q, MAX_QUERY_BYTES);
        }
        if !self.body.is_empty() {
            self.body_len = self.body_len.max(self.body.len());
            self.body = Bytes::copy_from_slice(&self.body[..self.body.len().min(MAX_BODY_BYTES)]);
        }
    }

    pub fn view(&self) -> JournalView {
        let form = self.api.is_some_and(|a| a.api().params_in == crate::protocol::ParamsIn::Form);
        let mut request = if let Some(q) = &self.query {
            pairs_object(q.as_bytes()).unwrap_or_else(|| Value::String(redact_raw(q.as_bytes())))
        } else if self.body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&self.body)
                .ok()
                .or_else(|| if form { pairs_object(&self.body) } else { None })
                .unwrap_or_else(|| Value::String(redact_raw(&self.body)))
        };
        redact(&mut request);
        JournalView {
            seq: self.seq,
            at: self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            peer: self.peer.to_string(),
            api: self.api,
            method: self.method.clone(),
            path: self.path.clone(),
            bank_tran_id: self.bank_tran_id.clone(),
            rsp_code: self.rsp_code.clone(),
            bank_rsp_code: self.bank_rsp_code.clone(),
            http_status: self.http_status,
            dropped: self.dropped,
            request,
            request_truncated: self.body_len > self.body.len(),
        }
    }
}

/// Cuts a string to at most `max` bytes on a character boundary, releasing the rest.
fn clip_string(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.shrink_to_fit();
    }
}

struct Ring {
    /// The last sequence number given out (never reset, so cursors stay valid).
    seq: u64,
    entries: VecDeque<JournalEntry>,
    bytes: usize,
}

/// A bounded journal: at most `capacity` entries and `max_bytes` of memory.
pub struct Journal {
    ring: Mutex<Ring>,
    capacity: usize,
    max_bytes: usize,
}

impl Journal {
    pub fn new(capacity: usize, max_bytes: usize) -> Journal {
        Journal { ring: Mutex::new(Ring { seq: 0, entries: VecDeque::new(), bytes: 0 }), capacity, max_bytes }
    }

    /// Appends an entry (clipped), evicting the oldest while over either bound.
    pub fn push(&self, mut entry: JournalEntry) {
        if self.capacity == 0 {
            return;
        }
        entry.clip();
        let cost = entry.cost();
        let mut guard = self.ring.lock();
        let ring = &mut *guard;
        ring.seq += 1;
        entry.seq = ring.seq;
        if cost > self.max_bytes {
            return;
        }
        while ring.entries.len() >= self.capacity || ring.bytes + cost > self.max_bytes {
            match ring.entries.pop_front() {
                Some(old) => ring.bytes -= old.cost(),
                None => break,
            }
        }
        ring.bytes += cost;
        ring.entries.push_back(entry);
    }

    /// Entries with `seq > after`, oldest first, at most `limit`.
    pub fn since(&self, after: u64, limit: usize) -> Vec<JournalEntry> {
        let guard = self.ring.lock();
        let from = guard.entries.partition_point(|e| e.seq <= after);
        guard.entries.range(from..).take(limit).cloned().collect()
    }

    /// The last sequence number given out (0 before the first request).
    pub fn last_seq(&self) -> u64 {
        self.ring.lock().seq
    }

    /// Entries held and the memory they take.
    pub fn usage(&self) -> (usize, usize) {
        let guard = self.ring.lock();
        (guard.entries.len(), guard.bytes)
    }

    /// Forgets every entry and gives their memory back (sequence numbers carry on).
    pub fn clear(&self) {
        let old = {
            let mut guard = self.ring.lock();
            guard.bytes = 0;
            std::mem::take(&mut guard.entries)
        };
        drop(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at: chrono::Utc::now().fixed_offset(),
            peer: "127.0.0.1:1".parse().unwrap(),
            api: Some(ApiId::TransferWithdraw),
            method: "POST".into(),
            path: "/v2.0/transfer/withdraw/fin_num".into(),
            bank_tran_id: None,
            rsp_code: Some("A0000".into()),
            bank_rsp_code: None,
            http_status: 200,
            dropped: false,
            query: None,
            body: Bytes::from(body.to_string()),
            body_len: body.len(),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let j = Journal::new(3, usize::MAX);
        for _ in 0..5 {
            j.push(entry("{}"));
        }
        let seqs: Vec<u64> = j.since(0, 100).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(j.since(4, 100).len(), 1);
    }

    #[test]
    fn secrets_are_redacted_in_the_view() {
        let view = entry(r#"{"wd_pass_phrase":"hunter2","tran_amt":"1000"}"#).view();
        assert_eq!(view.request["wd_pass_phrase"], "[redacted]");
        assert_eq!(view.request["tran_amt"], "1000");
    }

    #[test]
    fn nested_secrets_are_redacted_and_account_numbers_masked() {
        let body = r#"{"wd_pass_phrase":"hunter2","cntr_account_num":"1002000000001",
            "req_list":[{"wd_pass_phrase":"nested-secret","recv_client_account_num":"1001000000123",
            "deep":{"client_secret":"s"}}],"account_num_masked":"100***"}"#;
        let view = entry(body).view();
        let text = serde_json::to_string(&view).unwrap();
        for secret in ["hunter2", "nested-secret", "\"s\"", "1002000000001", "1001000000123"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(view.request["req_list"][0]["wd_pass_phrase"], "[redacted]");
        assert_eq!(view.request["req_list"][0]["deep"]["client_secret"], "[redacted]");
        assert_eq!(view.request["cntr_account_num"], "1002000000***");
        assert_eq!(view.request["req_list"][0]["recv_client_account_num"], "1001000000***");
        assert_eq!(view.request["account_num_masked"], "100***", "already masked fields stay");
    }

    #[test]
    fn a_malformed_body_is_a_clipped_pattern_redacted_string() {
        for body in [
            r#"{"wd_pass_phrase": "hunter2", "tran_amt": "1000", "req_client_account_num": "1001000000123""#,
            r#"{"req_list":[{"wd_pass_phrase":"hunter2\"x","code" : 'hunter2'}"#,
            "client_secret=hunter2&code=hunter2&grant_type=x{",
            r#"{"ACCESS_TOKEN":"hunter2"#,
        ] {
            let view = entry(body).view();
            let text = view.request.as_str().expect("a string placeholder").to_string();
            assert!(!text.contains("hunter2") && !text.contains("1001000000123"), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
        let long = format!("{{\"tran_amt\": \"{}", "9".repeat(5000));
        let view = entry(&long).view();
        assert!(view.request.as_str().unwrap().chars().count() <= MAX_RAW_VIEW_CHARS + 20);
    }

    #[test]
    fn bodies_are_clipped_and_the_journal_is_bounded_in_bytes() {
        let j = Journal::new(1000, 64 * 1024);
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(60_000));
        for _ in 0..100 {
            j.push(entry(&big));
        }
        let (n, bytes) = j.usage();
        assert!(bytes <= 64 * 1024, "{bytes}");
        assert!(n >= 10, "clipped entries fit: {n}");
        let kept = j.since(0, 1);
        assert_eq!(kept[0].body.len(), MAX_BODY_BYTES);
        assert!(kept[0].view().request_truncated);
        assert_eq!(j.last_seq(), 100);
        j.clear();
        assert_eq!(j.usage(), (0, 0));
        j.push(entry("{}"));
        assert_eq!(j.since(0, 10)[0].seq, 101, "sequence numbers carry on after a clear");
    }
}
