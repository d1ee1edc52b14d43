//! Recording what the harness said to its target: every HTTP exchange (request and answer,
//! headers and bodies, when, from which source address to which) and the simulator's journal
//! of what it received, grouped by scenario, for a run's evidence bundle (`evidence` chains
//! and bundles what is recorded here).
//!
//! Recording is off unless a command that writes a bundle installs a [`Recorder`] for the
//! process ([`install`]); the harness's HTTP calls go through [`send`], which is
//! `RequestBuilder::send` when nothing is installed. The scenario an exchange belongs to is
//! the tokio task-local set by [`scoped`] around each scenario.
//!
//! Secrets never reach the transcript: header values that carry credentials, and body, query
//! and form values under secret keys, are redacted as they are recorded; the values the target
//! issued (tokens, codes, the fixture's secrets) and the target's credentials are then
//! scrubbed wherever else they appear, and account numbers are masked, as in the run model.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::call::error_chain;
use crate::report::redact::{REDACTED, Scrubber, is_account_key, is_secret_key, redact_value};

tokio::task_local! {
    static SCOPE: String;
}

static RECORDER: OnceLock<Arc<Recorder>> = OnceLock::new();

/// Installs the process's recorder; `false` when one is installed already (one bundle per
/// process).
pub fn install(recorder: Arc<Recorder>) -> bool {
    RECORDER.set(recorder).is_ok()
}

fn active() -> Option<&'static Arc<Recorder>> {
    RECORDER.get()
}

/// Runs `f` with its exchanges attributed to the scenario `id`.
pub async fn scoped<F: Future>(id: &str, f: F) -> F::Output {
    if active().is_none() {
        return f.await;
    }
    SCOPE.scope(id.to_string(), f).await
}

fn scope() -> String {
    SCOPE.try_with(Clone::clone).unwrap_or_default()
}

/// Headers whose values are credentials, besides any named like a secret.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie", "x-sim-admin-token"];

/// The admin API path whose answers are the journal, recorded as journal records instead.
const JOURNAL_PATH: &str = "/_sim/journal";

/// A body as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    Json(Value),
    /// `application/x-www-form-urlencoded` pairs, in order.
    Form(Vec<(String, String)>),
    /// Anything else, as text (invalid UTF-8 replaced).
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

/// One request the harness sent and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Wall clock (UTC, RFC 3339, microseconds) when the request left and the answer was read.
    pub sent_at: String,
    pub answered_at: Option<String>,
    /// The harness's socket (source address) and the target's, when a connection was made.
    pub from: Option<String>,
    pub to: Option<String>,
    pub request: Request,
    pub response: Option<Response>,
    /// No (complete) answer: the transport error.
    pub error: Option<String>,
}

enum Record {
    Exchange(Box<Exchange>),
    /// One entry of the simulator's journal (`GET /_sim/journal`), as the simulator serves it.
    Journal(Value),
}

#[derive(Default)]
struct Inner {
    /// Records per scenario id ("" = outside any scenario), in the order they were made.
    groups: BTreeMap<String, Vec<Record>>,
    snapshots: BTreeSet<PathBuf>,
    /// Values the target issued or holds as secrets, learned from what was recorded.
    secrets: BTreeSet<String>,
    accounts: BTreeSet<String>,
}

/// Collects a run's transcript.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    fn push(&self, scope: String, r: Record) {
        self.inner.lock().groups.entry(scope).or_default().push(r);
    }

    /// Records an exchange (values under secret keys already redacted by the caller).
    pub fn exchange(&self, scope: &str, e: Exchange) {
        self.push(scope.to_string(), Record::Exchange(Box::new(e)));
    }

    /// Records journal entries as the simulator serves them.
    pub fn journal(&self, scope: &str, entries: &[Value]) {
        let mut inner = self.inner.lock();
        let group = inner.groups.entry(scope.to_string()).or_default();
        group.extend(entries.iter().cloned().map(Record::Journal));
    }

    /// Notes a golden snapshot a step compared with (or wrote).
    pub fn snapshot(&self, path: &Path) {
        self.inner.lock().snapshots.insert(path.to_path_buf());
    }

    pub fn snapshots(&self) -> BTreeSet<PathBuf> {
        self.inner.lock().snapshots.clone()
    }

    /// Remembers a secret value, to be scrubbed from everything bundled.
    pub fn secret(&self, value: &str) {
        if !value.is_empty() && value != REDACTED {
            self.inner.lock().secrets.insert(value.to_string());
        }
    }

    /// The secrets learned so far (long enough to be found in text).
    pub fn secrets(&self) -> Vec<String> {
        self.inner.lock().secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_CHARS).cloned().collect()
    }

    /// Learns the secret values and account numbers in `v` when the target `issued` it (a
    /// response, the journal). What the harness sent under a secret or account key is redacted
    /// but not learned: it may be a scenario's deliberately wrong literal, not a secret.
    fn learn(&self, v: &Value, issued: bool) {
        let mut inner = self.inner.lock();
        learn_from(v, issued, &mut inner);
    }

    /// A scrubber holding every secret and account number learned, and `extra` secrets.
    pub fn scrubber(&self, extra: &[String]) -> Scrubber {
        let inner = self.inner.lock();
        let mut s = Scrubber::default();
        for secret in inner.secrets.iter().chain(extra) {
            s.secret(secret);
        }
        for account in &inner.accounts {
            s.account(account);
        }
        s
    }

    /// The records, scrubbed with `scrubber`, scenarios in `order` (ids; others after them,
    /// records outside any scenario first): one JSON object per record, `{"scenario": id or
    /// null, "kind": "exchange" | "journal", <kind>: …}`. Takes them out of the recorder.
    pub fn finish(&self, order: &[String], scrubber: &Scrubber) -> Vec<Value> {
        let mut inner = self.inner.lock();
        let mut groups = std::mem::take(&mut inner.groups);
        let mut ordered: Vec<(String, Vec<Record>)> = Vec::new();
        if let Some(g) = groups.remove("") {
            ordered.push((String::new(), g));
        }
        for id in order {
            if let Some(g) = groups.remove(id) {
                ordered.push((id.clone(), g));
            }
        }
        ordered.extend(groups);
        let mut out = Vec::new();
        for (scenario, records) in ordered {
            let scenario = if scenario.is_empty() { Value::Null } else { Value::String(scenario) };
            for r in records {
                let (kind, body) = match r {
                    Record::Exchange(e) => ("exchange", serde_json::to_value(e).unwrap_or(Value::Null)),
                    Record::Journal(v) => ("journal", v),
                };
                out.push(json!({ "scenario": scenario, "kind": kind, kind: scrubber.value(&body) }));
            }
        }
        out
    }
}

/// Secrets shorter than this are too common to scrub from text (the test bed's pass phrase
/// `NONE`); they are still redacted wherever a key names them.
pub const MIN_SECRET_CHARS: usize = 6;

fn learn_from(v: &Value, issued: bool, inner: &mut Inner) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::String(s) if is_secret_key(k) => {
                        if issued && !s.is_empty() && s != REDACTED {
                            inner.secrets.insert(s.clone());
                        }
                    }
                    // A full account number the target holds; what a scenario sends may be made up
                    // (and a substring of something else), and is masked by its key only.
                    Value::String(s) if is_account_key(k) && issued && !s.ends_with('*') && s.len() >= 6 => {
                        inner.accounts.insert(s.clone());
                    }
                    other => learn_from(other, issued, inner),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| learn_from(i, issued, inner)),
        _ => {}
    }
}

/// A header value with credentials redacted (the scheme of an Authorization header stays).
fn header_value(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if !(SECRET_HEADERS.contains(&lower.as_str()) || is_secret_key(&lower)) {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, _)) if lower.ends_with("authorization") => format!("{scheme} {REDACTED}"),
        _ => REDACTED.to_string(),
    }
}

fn headers(map: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes());
            (k.as_str().to_string(), header_value(k.as_str(), &v))
        })
        .collect()
}

fn redact_pairs(pairs: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    pairs
        .map(|(k, v)| {
            let v = if is_secret_key(&k) {
                REDACTED.to_string()
            } else if is_account_key(&k) {
                crate::protocol::ids::mask_account_num(&v)
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

/// A URL with its query's secret values redacted.
fn redact_url(url: &str) -> String {
    let Ok(mut u) = reqwest::Url::parse(url) else { return url.to_string() };
    if u.query().is_none() {
        return url.to_string();
    }
    let pairs = redact_pairs(u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

fn query_value(url: &str) -> Value {
    let Ok(u) = reqwest::Url::parse(url) else { return Value::Null };
    Value::Object(u.query_pairs().map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect())
}

fn body(bytes: &[u8], content_type: Option<&str>) -> (Option<Body>, Value) {
    if bytes.is_empty() {
        return (None, Value::Null);
    }
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return (Some(Body::Json(redact_value(&v))), v);
    }
    if content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        && let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
    {
        let raw = Value::Object(pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect());
        return (Some(Body::Form(redact_pairs(pairs.into_iter()))), raw);
    }
    (Some(Body::Text(String::from_utf8_lossy(bytes).into_owned())), Value::Null)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Sends a request, recording the exchange when a recorder is installed. The answer is read
/// whole first and handed back as a response of its own: to the caller it is the same
/// response. (When the body cannot be read to its end, the read error is returned as the
/// send's error.)
pub async fn send(builder: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let Some(recorder) = active() else { return builder.send().await };
    let (client, request) = builder.build_split();
    let request = request?;
    let content_type =
        request.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (req_body, req_raw) =
        body(request.body().and_then(|b| b.as_bytes()).unwrap_or_default(), content_type.as_deref());
    recorder.learn(&req_raw, false);
    if let Some(token) = request.headers().get("x-sim-admin-token").and_then(|v| v.to_str().ok()) {
        recorder.secret(token);
    }
    let url = request.url().to_string();
    let journal_call = request.url().path() == JOURNAL_PATH;
    let recorded_request = Request {
        method: request.method().to_string(),
        url: redact_url(&url),
        headers: headers(request.headers()),
        body: req_body,
    };
    let scope = scope();
    let sent_at = now();
    let mut exchange = Exchange {
        sent_at,
        answered_at: None,
        from: None,
        to: None,
        request: recorded_request,
        response: None,
        error: None,
    };
    let mut resp = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            exchange.error = Some(error_chain(&e));
            recorder.exchange(&scope, exchange);
            return Err(e);
        }
    };
    if let Some(info) = resp.extensions().get::<hyper_util::client::legacy::connect::HttpInfo>() {
        exchange.from = Some(info.local_addr().to_string());
        exchange.to = Some(info.remote_addr().to_string());
    }
    let status = resp.status();
    let version = resp.version();
    let header_map = resp.headers().clone();
    let extensions = std::mem::take(resp.extensions_mut());
    let mut response = Response { status: status.as_u16(), headers: headers(&header_map), body: None };
    if let Some(loc) = header_map.get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()) {
        // An authorize redirect carries the one-time code in its query.
        recorder.learn(&query_value(loc), true);
        for (k, v) in &mut response.headers {
            if k == "location" {
                *v = redact_url(v);
            }
        }
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            exchange.answered_at = Some(now());
            exchange.error = Some(error_chain(&e));
            exchange.response = Some(response);
            recorder.exchange(&scope, exchange);
            return Err(e);
        }
    };
    exchange.answered_at = Some(now());
    let ct = header_map.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let (resp_body, resp_raw) = body(&bytes, ct);
    recorder.learn(&resp_raw, true);
    response.body = match resp_body {
        // The journal's entries are recorded one by one by the caller; the page keeps the rest.
        Some(Body::Json(mut v)) if journal_call => {
            if let Some(entries) = v.get_mut("entries").filter(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
                let n = entries.as_array().map_or(0, Vec::len);
                *entries = Value::String(format!("{n} entries, recorded as the journal records that follow"));
            }
            Some(Body::Json(v))
        }
        other => other,
    };
    exchange.response = Some(response);
    recorder.exchange(&scope, exchange);
    let mut rebuilt = hyper::Response::new(bytes);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = header_map;
    *rebuilt.extensions_mut() = extensions;
    Ok(reqwest::Response::from(rebuilt))
}

/// `builder.send_recorded()`: [`send`] as a method, for the harness's call sites.
pub trait SendRecorded {
    fn send_recorded(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;
}

impl SendRecorded for reqwest::RequestBuilder {
    fn send_recorded(self) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send {
        send(self)
    }
}

/// Records journal entries (as `GET /_sim/journal` serves them) under the current scenario.
pub fn journal_entries(entries: &[Value]) {
    if let Some(recorder) = active() {
        for e in entries {
            recorder.learn(e, true);
        }
        recorder.journal(&scope(), entries);
    }
}

/// Records a golden snapshot a step used.
pub fn snapshot_used(path: &Path) {
    if let Some(recorder) = active() {
        recorder.snapshot(path);
    }
}

/// At the end of a scenario: the whole journal of the session's simulator (an embedded one,
/// or an `obharness sim` reset for the scenario) into the transcript (the admin client's
/// `journal_since` records the pages it reads).
pub async fn capture_journal(session: &super::session::Session) {
    if active().is_none() {
        return;
    }
    if let Ok(admin) = session.admin()
        && let Err(e) = admin.journal_since(0).await
    {
        journal_entries(&[json!({ "error": format!("the journal could not be read: {e}") })]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_headers_urls_and_forms_are_redacted_as_recorded() {
        assert_eq!(header_value("Authorization", "Bearer eyJabc.def"), "Bearer [redacted]");
        assert_eq!(header_value("X-Sim-Admin-Token", "t0ken"), REDACTED);
        assert_eq!(header_value("content-type", "application/json"), "application/json");
        let url = redact_url("http://localhost:8080/cb?code=abc123&scope=login&state=x&client_secret=s");
        assert!(url.contains("code=%5Bredacted%5D") && url.contains("scope=login"), "{url}");
        assert!(!url.contains("abc123") && !url.contains("=s&") && !url.ends_with("=s"), "{url}");
        let (b, raw) =
            body(b"client_id=id&client_secret=hunter22&grant_type=x", Some("application/x-www-form-urlencoded"));
        assert_eq!(
            b,
            Some(Body::Form(vec![
                ("client_id".into(), "id".into()),
                ("client_secret".into(), REDACTED.into()),
                ("grant_type".into(), "x".into())
            ]))
        );
        assert_eq!(raw["client_secret"], "hunter22");
    }

    #[test]
    fn issued_secrets_are_learned_and_scrubbed_everywhere() {
        let r = Recorder::new();
        r.learn(&json!({ "access_token": "eyJissued.token.value", "req": [{ "account_num": "1001000000001" }] }), true);
        r.learn(&json!({ "client_secret": "a-wrong-literal" }), false);
        assert_eq!(r.secrets(), ["eyJissued.token.value"], "what was sent is not learned as a secret");
        r.exchange(
            "OBH-X",
            Exchange {
                sent_at: now(),
                answered_at: None,
                from: None,
                to: None,
                request: Request { method: "GET".into(), url: "http://t/".into(), headers: vec![], body: None },
                response: None,
                error: Some("echoed eyJissued.token.value for 1001000000001".into()),
            },
        );
        let records = r.finish(&["OBH-X".to_string()], &r.scrubber(&["target-secret".to_string()]));
        assert_eq!(records.len(), 1);
        let text = records[0].to_string();
        assert!(!text.contains("eyJissued") && !text.contains("1001000000001"), "{text}");
        assert!(text.contains("1001000000***") && records[0]["scenario"] == "OBH-X", "{text}");
    }
}
