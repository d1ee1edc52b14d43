//! The request pipeline every API call goes through, in the center's order: method, body,
//! token, whitelist, operating hours, field formats, identifiers, the bank_tran_id
//! registry, fault rules, then the API's own handler. Every rejection is an HTTP 200
//! business error like the center's; every call lands in the journal.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use tokio::sync::Notify;

use super::api;
use super::auth::{Subject, TokenCheck};
use super::center::Center;
use super::config::Quirk;
use super::faults::{Commit, FaultAction, FaultProbe};
use super::journal::JournalEntry;
use super::ledger::{OpDone, PendingOp, Refusal, UserIdx};
use super::registry::{TranKey, TransferRecord, TransferState};
use crate::protocol::fields::check_fields;
use crate::protocol::ids::BankTranId;
use crate::protocol::time::{api_tran_dtm, date8};
use crate::protocol::{ApiId, BankRspCode, ParamsIn, RspCode};

/// Lets a handler close its connection without answering (fault injection), and tells it
/// by when the request being served must have arrived in full.
#[derive(Clone, Default)]
pub struct ConnAbort(pub Arc<Notify>, pub Arc<RequestClock>);

/// One connection's request timing: a request (headers and body) must arrive within the
/// timeout, counted from when the connection became ready for it (accepted, or the
/// previous answer handed over). HTTP/1 serves one request at a time, so one slot suffices.
#[derive(Debug)]
pub struct RequestClock {
    origin: tokio::time::Instant,
    timeout: std::time::Duration,
    ready_at_ms: std::sync::atomic::AtomicU64,
}

impl RequestClock {
    pub fn new(timeout: std::time::Duration) -> RequestClock {
        RequestClock { origin: tokio::time::Instant::now(), timeout, ready_at_ms: Default::default() }
    }

    /// The connection is ready for its next request (the previous answer is out).
    pub fn ready(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.ready_at_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// When the current request must have arrived in full.
    pub fn deadline(&self) -> tokio::time::Instant {
        let ready = std::time::Duration::from_millis(self.ready_at_ms.load(std::sync::atomic::Ordering::Relaxed));
        self.origin + ready + self.timeout
    }
}

impl Default for RequestClock {
    fn default() -> Self {
        RequestClock::new(std::time::Duration::from_secs(30))
    }
}

/// A request's parameters and who sent it, after the generic checks passed.
pub struct Ctx {
    pub api: ApiId,
    pub now: DateTime<FixedOffset>,
    pub subject: Option<Subject>,
    /// The token's user, for user tokens.
    pub user: Option<UserIdx>,
    pub params: Map<String, Value>,
    pub peer: IpAddr,
}

impl Ctx {
    /// A parameter already checked against the catalogue (present when required).
    pub fn str(&self, name: &str) -> &str {
        self.params.get(name).and_then(Value::as_str).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    pub fn list(&self, name: &str) -> &[Value] {
        self.params.get(name).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn today(&self) -> String {
        date8(self.now)
    }
}

/// The participating bank's part of an answer.
#[derive(Debug, Clone)]
pub struct BankPart {
    pub bank_tran_id: String,
    pub bank_tran_date: String,
    pub bank_code_tran: String,
    pub bank_rsp_code: BankRspCode,
    pub bank_rsp_message: Option<String>,
}

/// A text field of an answer: borrowed from the catalogue or the fixture's static data, or owned.
pub type Text = std::borrow::Cow<'static, str>;

/// An answer in the center's envelope.
#[derive(Debug, Clone)]
pub struct Reply {
    pub rsp: RspCode,
    pub message: Option<String>,
    pub bank: Option<Box<BankPart>>,
    pub body: Map<String, Value>,
    /// Flat text fields of the body, written as they are (no map is built for them); the
    /// hot answers (잔액조회, 출금이체) use these. A key in `body` too is written once, from here.
    pub fields: Vec<(&'static str, Text)>,
}

impl Reply {
    pub fn ok(body: Map<String, Value>) -> Reply {
        Reply { rsp: RspCode::Success, message: None, bank: None, body, fields: Vec::new() }
    }

    /// A successful answer whose body is flat text fields.
    pub fn ok_fields(fields: Vec<(&'static str, Text)>) -> Reply {
        Reply { rsp: RspCode::Success, message: None, bank: None, body: Map::new(), fields }
    }

    pub fn error(rsp: RspCode) -> Reply {
        Reply { rsp, message: None, bank: None, body: Map::new(), fields: Vec::new() }
    }

    pub fn error_msg(rsp: RspCode, detail: impl std::fmt::Display) -> Reply {
        Reply {
            rsp,
            message: Some(format!("{} ({detail})", rsp.message())),
            bank: None,
            body: Map::new(),
            fields: Vec::new(),
        }
    }

    pub fn with_bank(mut self, bank: BankPart) -> Reply {
        self.bank = Some(Box::new(bank));
        self
    }

    pub fn from_refusal(r: &Refusal) -> Reply {
        Reply {
            rsp: r.rsp,
            message: r.message.as_ref().map(|m| format!("{} ({m})", r.rsp.message())),
            bank: None,
            body: Map::new(),
            fields: Vec::new(),
        }
    }

    /// The answer's JSON: the body's fields and the envelope's, in one object with sorted
    /// keys (an envelope field replaces a body field of the same name). Written straight
    /// from the reply, without copying the body into a new map.
    fn to_json(&self, now: DateTime<FixedOffset>) -> Vec<u8> {
        let api_tran_id = uuid::Uuid::new_v4();
        let mut id_buf = uuid::Uuid::encode_buffer();
        let dtm = api_tran_dtm(now);
        let msg = self.message.as_deref().unwrap_or_else(|| self.rsp.wire_message());
        // Sorted by key, as serde_json's Map (a BTreeMap) sorts them.
        let mut envelope: Vec<(&str, &str)> = Vec::with_capacity(self.fields.len() + 9);
        macro_rules! add {
            ($k:expr, $v:expr) => {
                envelope.push(($k, $v))
            };
        }
        add!("api_tran_dtm", &dtm);
        add!("api_tran_id", api_tran_id.hyphenated().encode_lower(&mut id_buf));
        if let Some(b) = &self.bank {
            add!("bank_code_tran", &b.bank_code_tran);
            add!("bank_rsp_code", b.bank_rsp_code.code());
            add!("bank_rsp_message", b.bank_rsp_message.as_deref().unwrap_or_else(|| b.bank_rsp_code.wire_message()));
            add!("bank_tran_date", &b.bank_tran_date);
            add!("bank_tran_id", &b.bank_tran_id);
        }
        add!("rsp_code", self.rsp.code());
        add!("rsp_message", msg);
        // The body's text fields after the envelope's, so that a stable sort and dedup keep
        // the envelope's value for a key both have (as inserting into one map did).
        let envelope_len = envelope.len();
        envelope.extend(self.fields.iter().map(|(k, v)| (*k, v.as_ref())));
        if envelope.len() > envelope_len {
            envelope.sort_by(|a, b| a.0.cmp(b.0));
            envelope.dedup_by(|later, earlier| later.0 == earlier.0);
        }
        let merged = Merged { body: &self.body, envelope: &envelope };
        let mut out = Vec::with_capacity(512);
        serde_json::to_writer(&mut out, &merged).map(|_| out).unwrap_or_default()
    }
}

/// A body map and sorted text fields (the envelope's and the body's flat ones), serialised as
/// one object in key order; a key in both is written once, from the text fields.
struct Merged<'a> {
    body: &'a Map<String, Value>,
    envelope: &'a [(&'a str, &'a str)],
}

impl serde::Serialize for Merged<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        let mut body = self.body.iter().peekable();
        let mut env = self.envelope.iter().peekable();
        loop {
            match (body.peek(), env.peek()) {
                (Some((bk, bv)), Some((ek, ev))) => match bk.as_str().cmp(ek) {
                    std::cmp::Ordering::Less => {
                        map.serialize_entry(bk.as_str(), bv)?;
                        body.next();
                    }
                    std::cmp::Ordering::Equal => {
                        map.serialize_entry(ek, ev)?;
                        body.next();
                        env.next();
                    }
                    std::cmp::Ordering::Greater => {
                        map.serialize_entry(ek, ev)?;
                        env.next();
                    }
                },
                (Some((bk, bv)), None) => {
                    map.serialize_entry(bk.as_str(), bv)?;
                    body.next();
                }
                (None, Some((ek, ev))) => {
                    map.serialize_entry(ek, ev)?;
                    env.next();
                }
                (None, None) => break,
            }
        }
        map.end()
    }
}

/// A money movement prepared by a handler; the pipeline decides (with fault rules) whether
/// it happens now, later or never, and records the truth in the registry.
pub struct MoneyPlan {
    pub op: super::ledger::MoneyOp,
    pub key: TranKey,
    pub record: TransferRecord,
    pub render: fn(&Center, &Ctx, &MoneyPlan, &MoneyOutcome) -> Reply,
}

/// What happened to a planned movement, for rendering the answer.
pub enum MoneyOutcome {
    Done(OpDone),
    Refused(Refusal),
    /// Not performed (yet): the answer comes from a fault rule.
    Withheld,
}

/// What a handler asks the pipeline to do.
pub enum Flow {
    Reply(Reply),
    /// A non-envelope answer (OAuth endpoints, redirects, HTML); `rsp_code` for the journal.
    Raw(Response<Body>, Option<String>),
    /// Close the connection without an answer.
    Drop,
}

pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    r
}

/// What the pipeline needs of an incoming request.
pub struct Incoming {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: SocketAddr,
    pub abort: Option<ConnAbort>,
    pub body_too_large: bool,
    /// The body did not arrive before the request timeout; the connection is closed.
    pub timed_out: bool,
    /// The bank_tran_id once the pipeline has parsed it, so the journal need not parse again.
    pub bank_tran_id: std::sync::OnceLock<String>,
}

impl Incoming {
    pub async fn from_request(req: axum::extract::Request, max_body: usize) -> Incoming {
        let (parts, body) = req.into_parts();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let abort = parts.extensions.get::<ConnAbort>().cloned();
        let deadline = abort.as_ref().map(|a| a.1.deadline());
        let read = axum::body::to_bytes(body, max_body);
        let read = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, read).await.ok(),
            None => Some(read.await),
        };
        let (body, body_too_large, timed_out) = match read {
            Some(Ok(b)) => (b, false, false),
            Some(Err(_)) => (Bytes::new(), true, false),
            None => (Bytes::new(), false, true),
        };
        Incoming {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
            peer,
            abort,
            body_too_large,
            timed_out,
            bank_tran_id: std::sync::OnceLock::new(),
        }
    }

    /// The caller's address: the TCP peer, or the forwarded client behind a trusted proxy;
    /// an error (an unknown caller, on no whitelist) when the forwarding headers do not parse.
    pub fn caller_ip(&self, trusted_proxies: &[IpAddr]) -> Result<IpAddr, super::forwarded::ForwardedError> {
        super::forwarded::caller(self.peer.ip(), &self.headers, trusted_proxies)
    }

    /// Query or form parameters as a JSON object of strings; `None` when they do not parse
    /// or name a parameter twice (no "last one wins").
    pub fn pairs(&self, text: &[u8]) -> Option<Map<String, Value>> {
        // form_urlencoded directly (what serde_urlencoded reads with, without its Vec of
        // pairs and serde machinery): the same decoding, lossy UTF-8 included.
        let mut map = Map::new();
        for (k, v) in form_urlencoded::parse(text) {
            if map.insert(k.into_owned(), Value::String(v.into_owned())).is_some() {
                return None;
            }
        }
        Some(map)
    }
}

/// Runs one request through the pipeline, journals it and answers (or drops) it.
pub async fn serve_call(center: Arc<Center>, api: ApiId, req: axum::extract::Request) -> Response<Body> {
    let inc = Incoming::from_request(req, center.config.max_body_bytes).await;
    let abort = inc.abort.clone();
    let mut call = Box::pin(async move {
        let flow = process(&center, api, &inc).await;
        record(&center, Some(api), &inc, flow)
    });
    // Most calls finish in their first poll (nothing to wait for): answered on the
    // connection's task, with no task spawned and no trip through the scheduler. A call that
    // waits (a fault's delay) moves to a task of its own before this future can be dropped,
    // so it runs to its end even when the client goes away mid-way (a delayed transfer still
    // commits and is journaled, as at a real center): hyper drops this future on a
    // disconnect, but not the spawned task.
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
    let outcome = match first {
        std::task::Poll::Ready(outcome) => Ok(outcome),
        std::task::Poll::Pending => tokio::spawn(call).await,
    };
    match outcome {
        Ok(Some(resp)) => resp,
        Ok(None) => close_without_answer(abort).await,
        Err(_) => json_response(StatusCode::INTERNAL_SERVER_ERROR, b"{}".to_vec()),
    }
}

/// Journals the outcome and turns it into a response (or a dropped connection).
pub async fn finish(center: &Center, api: Option<ApiId>, inc: &Incoming, flow: Flow) -> Response<Body> {
    match record(center, api, inc, flow) {
        Some(resp) => resp,
        None => close_without_answer(inc.abort.clone()).await,
    }
}

/// Closes the connection without an answer (fault injection).
async fn close_without_answer(abort: Option<ConnAbort>) -> Response<Body> {
    match abort {
        Some(abort) => {
            abort.0.notify_one();
            // The connection task drops this future along with the connection.
            std::future::pending::<()>().await;
            unreachable!("a dropped connection is never answered")
        }
        None => json_response(StatusCode::BAD_GATEWAY, Vec::new()),
    }
}

/// The answer to a request whose body did not arrive in time; the connection closes.
fn request_timeout_response() -> Response<Body> {
    let mut r = json_response(StatusCode::REQUEST_TIMEOUT, br#"{"error":"request not received in time"}"#.to_vec());
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Journals the outcome; `None` means: close the connection without an answer.
fn record(center: &Center, api: Option<ApiId>, inc: &Incoming, flow: Flow) -> Option<Response<Body>> {
    let flow = if inc.timed_out { Flow::Raw(request_timeout_response(), None) } else { flow };
    let now = center.now();
    let bank_tran_id = match inc.bank_tran_id.get() {
        Some(id) => Some(id.clone()),
        None => api.and_then(|a| bank_tran_id_in(a, inc)),
    };
    let mut entry = JournalEntry {
        seq: 0,
        at: now,
        peer: inc.peer,
        api,
        method: inc.method.to_string(),
        path: inc.path.clone(),
        bank_tran_id,
        rsp_code: None,
        bank_rsp_code: None,
        http_status: 200,
        dropped: false,
        query: inc.query.clone(),
        body: inc.body.clone(),
        body_len: inc.body.len(),
    };
    match flow {
        Flow::Reply(reply) => {
            entry.rsp_code = Some(reply.rsp.code().to_string());
            entry.bank_rsp_code = reply.bank.as_ref().map(|b| b.bank_rsp_code.code().to_string());
            center.journal.push(entry);
            Some(json_response(StatusCode::OK, reply.to_json(now)))
        }
        Flow::Raw(resp, code) => {
            entry.rsp_code = code;
            entry.http_status = resp.status().as_u16();
            center.journal.push(entry);
            Some(resp)
        }
        Flow::Drop => {
            entry.dropped = true;
            entry.http_status = 0;
            center.journal.push(entry);
            None
        }
    }
}

/// The bank_tran_id a request carries, for the journal (best effort, before validation).
fn bank_tran_id_in(api: ApiId, inc: &Incoming) -> Option<String> {
    if !api.api().carries_bank_tran_id() {
        return None;
    }
    let params: Value = match api.api().params_in {
        ParamsIn::Query => Value::Object(inc.pairs(inc.query.as_deref().unwrap_or("").as_bytes())?),
        _ => serde_json::from_slice(&inc.body).ok()?,
    };
    params
        .get("bank_tran_id")
        .or_else(|| params.get("req_list")?.get(0)?.get("bank_tran_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

macro_rules! reject {
    ($reply:expr) => {
        return Flow::Reply($reply)
    };
}

async fn process(center: &Center, api_id: ApiId, inc: &Incoming) -> Flow {
    let api = api_id.api();
    let now = center.now();
    if inc.timed_out {
        return Flow::Raw(request_timeout_response(), None);
    }
    if inc.method.as_str() != api.method {
        reject!(Reply::error_msg(RspCode::WrongMethod, format!("{} {} only", api.method, api.path)));
    }
    if inc.body_too_large {
        reject!(Reply::error_msg(
            RspCode::FormatError,
            format!("요청 본문이 {}바이트를 넘습니다", center.config.max_body_bytes)
        ));
    }

    // The token comes first, as at the center's gateway.
    let Some(token) = bearer(&inc.headers) else {
        reject!(Reply::error_msg(RspCode::AuthParameterError, "Authorization: Bearer 토큰 없음"));
    };
    let (subject, scopes) = match center.tokens.check(token, now) {
        TokenCheck::Valid { subject, scopes } => (subject, scopes),
        TokenCheck::Unknown => reject!(Reply::error(RspCode::AccessTokenRejected)),
        TokenCheck::Expired => reject!(Reply::error_msg(RspCode::AccessTokenRejected, "만료된 토큰")),
    };
    if !scopes.any_of(api.scopes) {
        reject!(Reply::error(RspCode::ScopeNotAllowed));
    }
    let user = match &subject {
        Subject::User(seq) => {
            let w = center.world();
            let Some(idx) = w.user(seq) else { reject!(Reply::error(RspCode::AccessTokenRejected)) };
            if w.users[idx].closed {
                reject!(Reply::error(RspCode::ClosedMember));
            }
            Some(idx)
        }
        Subject::Institution => None,
    };

    let caller = inc.caller_ip(&center.config.trusted_proxies);
    if api.whitelist_only && !center.has(Quirk::IgnoreIpWhitelist) {
        match &caller {
            Ok(ip) if center.institution().whitelist.contains(ip) => {}
            Ok(ip) => reject!(Reply::error_msg(center.config.access_denied_code, format!("등록되지 않은 IP {ip}"))),
            Err(e) => reject!(Reply::error_msg(center.config.access_denied_code, format!("발신 IP 확인 불가: {e}"))),
        }
    }
    let peer = caller.unwrap_or_else(|_| inc.peer.ip().to_canonical());
    if center.config.operating_hours && !super::clock::within_operating_hours(now) {
        reject!(Reply::error_msg(RspCode::OutsideOperatingHours, "운영시간 00:05~23:55"));
    }

    let params = match api.params_in {
        ParamsIn::Query => match inc.pairs(inc.query.as_deref().unwrap_or("").as_bytes()) {
            Some(p) => p,
            None => reject!(Reply::error_msg(RspCode::FormatError, "query string 해석 불가")),
        },
        ParamsIn::Json | ParamsIn::Form => match super::strict_json::from_slice(&inc.body) {
            Ok(Value::Object(m)) => m,
            Ok(_) => reject!(Reply::error_msg(RspCode::FormatError, "요청 본문은 JSON 객체여야 합니다")),
            Err(e) => {
                if center.has(Quirk::Http500OnBadJson) {
                    return Flow::Raw(json_response(StatusCode::INTERNAL_SERVER_ERROR, b"{}".to_vec()), None);
                }
                reject!(Reply::error_msg(RspCode::FormatError, format!("JSON 파싱 오류: {e}")));
            }
        },
    };
    let mut params = params;
    // [project rule] JSON numbers where the reference has strings (`"tran_amt": 100`) are read
    // as their decimal text: the center's handling is not public, so the simulator accepts
    // rather than rejects; the raw body stays in the journal, where certify-client's advisory
    // rule `string-typed-fields` finds them. `--strict-string-fields` refuses them (A0004).
    if !center.config.strict_string_fields {
        stringify_numbers(&mut params);
    }
    if let Err(e) = check_fields(api.request, &params) {
        reject!(Reply::error_msg(RspCode::FormatError, e));
    }
    let ctx = Ctx { api: api_id, now, subject: Some(subject), user, params, peer };

    if let Some(seq) = ctx.opt("user_seq_no")
        && let Some(u) = ctx.user
        && center.world().users[u].user_seq_no != seq
    {
        reject!(Reply::error_msg(RspCode::UserMismatch, "user_seq_no가 토큰의 사용자와 다릅니다"));
    }
    if let Some(code) = ctx.opt("client_use_code")
        && code != center.institution().client_use_code.as_str()
    {
        reject!(Reply::error_msg(RspCode::FormatError, format!("client_use_code '{code}' 불일치")));
    }

    // The bank_tran_id: layout, then the per-day registry.
    let mut duplicate = false;
    if api.carries_bank_tran_id() {
        let raw = match api_id {
            ApiId::TransferDeposit => {
                let list = ctx.list("req_list");
                if list.len() != 1 || ctx.str("req_cnt").trim_start_matches('0') != "1" {
                    reject!(Reply::error_msg(
                        RspCode::FormatError,
                        "입금이체는 1건씩 요청합니다 (req_cnt = 1, req_list 1건)"
                    ));
                }
                list[0].get("bank_tran_id").and_then(Value::as_str).unwrap_or("")
            }
            _ => ctx.str("bank_tran_id"),
        };
        let _ = inc.bank_tran_id.set(raw.to_string());
        if let Err(e) = BankTranId::parse_for(raw, &center.institution().client_use_code) {
            reject!(Reply::error_msg(RspCode::FormatError, e));
        }
        let k = TranKey::new(&ctx.today(), raw).expect("validated id and date");
        // A well-formed request uses its id whatever happens next, refusals included.
        if !center.registry.register(k, None) {
            if !(api.money_moving && center.has(Quirk::DoubleDebitOnDuplicate)) {
                reject!(Reply::error(RspCode::BankTranIdDuplicate));
            }
            duplicate = true;
        }
    }

    if let Some(plan_fn) = api::money_handler(api_id) {
        let plan = match plan_fn(center, &ctx) {
            Ok(plan) => plan,
            Err(reply) => return Flow::Reply(reply),
        };
        if !duplicate {
            center.registry.attach(&plan.key, plan.record);
        }
        return run_money(center, &ctx, plan, duplicate).await;
    }

    let probe = FaultProbe { api: api_id, fintech_use_num: ctx.opt("fintech_use_num"), tran_amt: ctx.opt("tran_amt") };
    match center.faults.fire(&probe) {
        None => Flow::Reply(api::plain_handler(api_id)(center, &ctx)),
        Some(FaultAction::Delay { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Flow::Reply(api::plain_handler(api_id)(center, &ctx))
        }
        Some(action @ FaultAction::Respond { rsp_code, bank_rsp_code, .. }) => {
            let mut reply = if action.commit() == Commit::Yes {
                api::plain_handler(api_id)(center, &ctx)
            } else {
                Reply::error(rsp_code)
            };
            override_codes(&mut reply, &ctx, rsp_code, bank_rsp_code);
            Flow::Reply(reply)
        }
        Some(action @ FaultAction::Drop { .. }) => {
            if action.commit() == Commit::Yes {
                api::plain_handler(api_id)(center, &ctx);
            }
            Flow::Drop
        }
    }
}

/// Replaces every JSON number in `params` (lists included) by its decimal text.
fn stringify_numbers(params: &mut Map<String, Value>) {
    fn walk(v: &mut Value) {
        match v {
            Value::Number(n) => *v = Value::String(n.to_string()),
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::Object(m) => m.values_mut().for_each(walk),
            _ => {}
        }
    }
    params.values_mut().for_each(walk);
}

fn override_codes(reply: &mut Reply, ctx: &Ctx, rsp: RspCode, bank: Option<BankRspCode>) {
    reply.rsp = rsp;
    reply.message = None;
    // A deposit answers its bank codes per item of res_list.
    if let Some(item) =
        reply.body.get_mut("res_list").and_then(|l| l.get_mut(0)).filter(|_| ctx.api == ApiId::TransferDeposit)
    {
        let code = bank.unwrap_or(BankRspCode::Ok);
        item["bank_rsp_code"] = code.code().into();
        item["bank_rsp_message"] = code.wire_message().into();
        return;
    }
    if let Some(code) = bank {
        let b = reply.bank.get_or_insert_with(|| {
            Box::new(BankPart {
                bank_tran_id: ctx.str("bank_tran_id").to_string(),
                bank_tran_date: ctx.today(),
                bank_code_tran: "097".into(),
                bank_rsp_code: code,
                bank_rsp_message: None,
            })
        });
        b.bank_rsp_code = code;
        b.bank_rsp_message = None;
    } else if rsp != RspCode::Success {
        reply.bank = None;
    }
}

/// Performs (or withholds) a planned movement per the fault rules and records the truth.
async fn run_money(center: &Center, ctx: &Ctx, plan: MoneyPlan, duplicate: bool) -> Flow {
    let fintech = match &plan.op {
        super::ledger::MoneyOp::Withdraw { from, .. } => center.world().accounts[*from].fintech_use_num.clone(),
        super::ledger::MoneyOp::Deposit { to, .. } => center.world().accounts[*to].fintech_use_num.clone(),
    };
    let amount = plan.record.amount.to_string();
    let probe = FaultProbe { api: ctx.api, fintech_use_num: fintech.as_deref(), tran_amt: Some(&amount) };
    let action = if duplicate { None } else { center.faults.fire(&probe) };

    let execute = |center: &Center| -> MoneyOutcome {
        let result = center.world().execute(&plan.op, ctx.now);
        if !duplicate {
            let state = match &result {
                Ok(_) => TransferState::Committed,
                Err(r) => TransferState::Refused { rsp: r.rsp, bank: r.bank },
            };
            center.registry.update(&plan.key, |rec| rec.state = state);
        }
        match result {
            Ok(done) => MoneyOutcome::Done(done),
            Err(r) => MoneyOutcome::Refused(r),
        }
    };

    if duplicate {
        // Defect mode double-debit-on-duplicate: the money moves again under an A0326 answer.
        execute(center);
        return Flow::Reply(Reply::error(RspCode::BankTranIdDuplicate));
    }

    let Some(action) = action else {
        let outcome = execute(center);
        return Flow::Reply((plan.render)(center, ctx, &plan, &outcome));
    };
    if let FaultAction::Delay { ms } = action {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        let outcome = execute(center);
        return Flow::Reply((plan.render)(center, ctx, &plan, &outcome));
    }

    let mut commit = action.commit();
    if commit == Commit::No
        && center.has(Quirk::CommitOnA0017)
        && matches!(action, FaultAction::Respond { rsp_code: RspCode::BankResponseTimeout, .. })
    {
        commit = Commit::Yes;
    }
    let outcome = match commit {
        Commit::Yes => execute(center),
        Commit::No => {
            let state = match &action {
                FaultAction::Respond { rsp_code, bank_rsp_code, .. }
                    if !matches!(rsp_code, RspCode::Timeout | RspCode::Processing | RspCode::InternalError) =>
                {
                    TransferState::Refused { rsp: *rsp_code, bank: *bank_rsp_code }
                }
                _ => TransferState::NotProcessed,
            };
            center.registry.update(&plan.key, |rec| rec.state = state);
            MoneyOutcome::Withheld
        }
        Commit::Later => {
            let (inquiries, seconds) = match &action {
                FaultAction::Respond { settle_after_inquiries, settle_after_seconds, .. } => {
                    (*settle_after_inquiries, *settle_after_seconds)
                }
                _ => (None, None),
            };
            let inquiries = if inquiries.is_none() && seconds.is_none() { Some(2) } else { inquiries };
            center.registry.update(&plan.key, |rec| rec.state = TransferState::Pending);
            center.world().pending.push(PendingOp {
                key: plan.key,
                op: plan.op.clone(),
                remaining_inquiries: inquiries.map(|n| n.max(1)),
                // Rules are range-checked when armed; an instant past the calendar never comes.
                due: seconds.and_then(|s| {
                    let s = chrono::Duration::try_seconds(i64::try_from(s).ok()?)?;
                    ctx.now.checked_add_signed(s)
                }),
            });
            MoneyOutcome::Withheld
        }
    };
    match action {
        FaultAction::Respond { rsp_code, bank_rsp_code, .. } => {
            let mut reply = (plan.render)(center, ctx, &plan, &outcome);
            override_codes(&mut reply, ctx, rsp_code, bank_rsp_code);
            Flow::Reply(reply)
        }
        _ => Flow::Drop,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
