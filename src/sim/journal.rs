//! The request journal: a bounded ring buffer of what the simulator received and answered.
//!
//! Client certification judges an institution's code from it, so each entry keeps the raw
//! request parameters (cheaply, as shared bytes) and renders them only when read.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use crate::spec::ApiId;

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
    /// The request's parameters (query or body), with secrets redacted.
    pub request: Value,
}

const SECRET_FIELDS: &[&str] = &["client_secret", "access_token", "refresh_token", "wd_pass_phrase", "code"];

impl JournalEntry {
    pub fn view(&self) -> JournalView {
        let mut request = if let Some(q) = &self.query {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap_or_default();
            Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
        } else if self.body.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(&self.body)
                .or_else(|_| {
                    serde_urlencoded::from_bytes::<Vec<(String, String)>>(&self.body)
                        .map(|pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
                })
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
        };
        if let Value::Object(map) = &mut request {
            for f in SECRET_FIELDS {
                if let Some(v) = map.get_mut(*f) {
                    *v = Value::String("[redacted]".into());
                }
            }
        }
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
        }
    }
}

pub struct Journal {
    entries: Mutex<(u64, VecDeque<JournalEntry>)>,
    capacity: usize,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal { entries: Mutex::new((0, VecDeque::with_capacity(capacity))), capacity }
    }

    /// Appends an entry, evicting the oldest when full; O(1) under the lock.
    pub fn push(&self, mut entry: JournalEntry) {
        if self.capacity == 0 {
            return;
        }
        let mut guard = self.entries.lock();
        let (seq, ring) = &mut *guard;
        *seq += 1;
        entry.seq = *seq;
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    /// Entries with `seq > after`, oldest first, at most `limit`.
    pub fn since(&self, after: u64, limit: usize) -> Vec<JournalEntry> {
        let guard = self.entries.lock();
        guard.1.iter().filter(|e| e.seq > after).take(limit).cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().1.clear();
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
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let j = Journal::new(3);
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
}
