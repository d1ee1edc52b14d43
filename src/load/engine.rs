//! The goose engine: transactions built at run time from the profile's mix, every answer's
//! rsp_code checked (failures marked with `set_failure`), every latency recorded in the
//! user's own HDR histograms, and an open model on top of goose's closed one: each request
//! takes the next slot of a shared schedule and its latency is measured from the slot's
//! intended start (coordinated-omission correct, as wrk2 does).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use goose::config::GooseConfiguration;
use goose::prelude::*;
use parking_lot::Mutex;
use rand::Rng;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::profile::{LoadPlan, ModelKind, ThinkTime};
use super::recorder::{Aggregate, Ending, UserRecorder};
use super::shard::{IdSpace, SERIAL_LEN};
use crate::protocol::{ApiId, ParamsIn};
use crate::scenario::model::WithValue;
use crate::scenario::template::Template;
use crate::target::request::{self, Fresh};
use crate::target::session::Session;

/// One call of the mix, prepared once: everything but the fresh bank_tran_id, down to the
/// encoded query or body (a request costs one string built around the id, not a map cloned
/// and encoded again).
pub struct Entry {
    pub api: ApiId,
    method: reqwest::Method,
    /// Parsed once, without the query: URL parsing was measured at ~12% of the engine's CPU.
    url: reqwest::Url,
    /// The query string (GET APIs), encoded once.
    query: Option<Spliced>,
    /// The body (form or JSON APIs), encoded once.
    body: Option<Spliced>,
    /// Authorization, the step's own headers and the body's content type.
    headers: HeaderMap,
    carries_id: bool,
    expected: Vec<String>,
    weight: u32,
}

/// Stands for the fresh bank_tran_id while a request is encoded once. Ids are ASCII letters
/// and digits, which a query, a form and JSON all carry unchanged, so the encoded text can be
/// split here and each request's id written between the halves.
const ID_MARK: &str = "OBHxFRESHxBANKxTRANxID";

/// An encoded request part split where the fresh bank_tran_id goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spliced {
    before: String,
    /// `None`: the part carries no id.
    after: Option<String>,
}

impl Spliced {
    fn new(encoded: String) -> Spliced {
        match encoded.split_once(ID_MARK) {
            Some((before, after)) => Spliced { before: before.to_string(), after: Some(after.to_string()) },
            None => Spliced { before: encoded, after: None },
        }
    }

    /// The part with `id` (written in pieces) in its place.
    fn with_id(&self, id: &[&str]) -> String {
        let Some(after) = &self.after else { return self.before.clone() };
        let mut out =
            String::with_capacity(self.before.len() + after.len() + id.iter().map(|p| p.len()).sum::<usize>());
        out.push_str(&self.before);
        id.iter().for_each(|p| out.push_str(p));
        out.push_str(after);
        out
    }
}

/// The open model's schedule: slot k's intended start. A shard of a run across machines
/// takes every `stride`-th slot of the whole run's schedule from `phase` on (slot k of the
/// shard is slot `k × stride + phase` of the whole), so the shards' union is the whole.
pub struct Schedule {
    /// (start offset, rate, slots before this stage, slots in this stage), of the whole run.
    stages: Vec<(Duration, f64, u64, u64)>,
    /// This schedule's slots.
    pub total: u64,
    stride: u64,
    phase: u64,
    next: AtomicU64,
}

impl Schedule {
    pub fn new(stages: &[(Duration, f64)]) -> Schedule {
        Schedule::sharded(stages, 1, 0)
    }

    /// Slots `phase`, `phase + stride`, … of the schedule of `stages`.
    pub fn sharded(stages: &[(Duration, f64)], stride: u64, phase: u64) -> Schedule {
        let mut out = Vec::new();
        let (mut at, mut before) = (Duration::ZERO, 0u64);
        for (d, rate) in stages {
            let n = (d.as_secs_f64() * rate).floor() as u64;
            out.push((at, *rate, before, n));
            at += *d;
            before += n;
        }
        let stride = stride.max(1);
        Schedule { stages: out, total: Self::mine(before, stride, phase), stride, phase, next: AtomicU64::new(0) }
    }

    /// How many of the whole run's first `global` slots are this schedule's.
    fn mine(global: u64, stride: u64, phase: u64) -> u64 {
        global.saturating_sub(phase).div_ceil(stride)
    }

    /// The offset from the start at which slot `k` is due, or `None` past the last slot.
    pub fn offset(&self, k: u64) -> Option<Duration> {
        let g = k.checked_mul(self.stride)?.checked_add(self.phase)?;
        let (at, rate, before, _) = self.stages.iter().find(|(_, _, b, n)| g < b + n)?;
        Some(*at + Duration::from_secs_f64((g - before) as f64 / rate))
    }

    /// How many slots are due before `window` from the start (without walking them).
    pub fn due_before(&self, window: Duration) -> u64 {
        let global = self
            .stages
            .iter()
            .map(|(at, rate, _, n)| match window.checked_sub(*at) {
                Some(left) if !left.is_zero() => ((left.as_secs_f64() * rate).ceil() as u64).min(*n),
                _ => 0,
            })
            .sum();
        Self::mine(global, self.stride, self.phase)
    }

    fn take(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    /// A closed run reached its duration.
    #[error("duration reached")]
    Duration,
    /// The open model's last slot was taken.
    #[error("the open model's schedule is complete")]
    ScheduleComplete,
    #[error("max_requests reached")]
    MaxRequests,
    /// A threshold was breached under `abort_on_breach`.
    #[error("threshold breached: {0}")]
    Breach(String),
    #[error("interrupted ({})", .0.name())]
    Interrupted(super::Interrupt),
    /// A shard used up its part of the bank_tran_id space (see `shard::IdSpace`).
    #[error("this shard's bank_tran_id range is used up")]
    IdsExhausted,
}

impl Stop {
    /// Whether the run went to its planned end (its window is the profile's duration).
    pub fn completed(&self) -> bool {
        matches!(self, Stop::Duration | Stop::ScheduleComplete)
    }
}

/// State shared by every user of one attack.
pub struct Shared {
    pub entries: Vec<Entry>,
    /// Running sums of the entries' weights, for weighted choice.
    cumulative: Vec<u64>,
    pub agg: Mutex<Aggregate>,
    start: std::sync::OnceLock<Instant>,
    pub window: Duration,
    pub schedule: Option<Schedule>,
    max_requests: Option<u64>,
    issued: AtomicU64,
    pub late: AtomicU64,
    pub stopped: AtomicBool,
    pub stop_reason: Mutex<Option<Stop>>,
    think: Option<ThinkTime>,
    client_use_code: String,
    ids: IdSpace,
    id_counter: AtomicU64,
    /// One client for every user (one connection pool), with the settings of every other
    /// request of the tool: no redirects followed, a 30 s bound, the target's own CA trusted.
    client: reqwest::Client,
}

/// The index a draw in `0..sum` falls on, given running sums of weights: entries of weight 0
/// are never chosen.
pub fn pick(cumulative: &[u64], draw: u64) -> usize {
    cumulative.partition_point(|&c| c <= draw).min(cumulative.len().saturating_sub(1))
}

/// A request later than this after its intended start counts as a late start.
const LATE: Duration = Duration::from_millis(1);

impl Shared {
    pub fn start(&self) -> Instant {
        *self.start.get_or_init(Instant::now)
    }

    pub fn started(&self) -> Option<Instant> {
        self.start.get().copied()
    }

    /// Ends the attack (bounds reached, or a threshold breached under abort_on_breach).
    pub fn stop(&self, reason: Stop) {
        if !self.stopped.swap(true, Ordering::AcqRel) {
            goose::trigger_killswitch(&reason.to_string());
            *self.stop_reason.lock() = Some(reason);
        }
    }

    /// The sum of the mix's weights (at least 1).
    pub fn total_weight(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0).max(1)
    }

    /// The mix entry a draw in `0..total_weight()` falls on.
    pub fn pick(&self, draw: u64) -> usize {
        pick(&self.cumulative, draw)
    }

    /// The serial of the next bank_tran_id of this run's [`IdSpace`] (the id is the
    /// client_use_code, `U` and the serial); `None` (and the run stops) once the space is used
    /// up, never a repeat.
    fn fresh_serial<'a>(&self, buf: &'a mut [u8; SERIAL_LEN]) -> Option<&'a str> {
        let n = self.id_counter.fetch_add(1, Ordering::Relaxed);
        match self.ids.write_serial(n, buf) {
            Some(serial) => Some(serial),
            None => {
                self.stop(Stop::IdsExhausted);
                None
            }
        }
    }

    /// Fixes the start of the measured window ahead of the first request (`--start-at`):
    /// requests wait for it. `false` when the start was already set.
    pub fn set_start(&self, at: Instant) -> bool {
        self.start.set(at).is_ok()
    }
}

fn method_of(m: &str) -> reqwest::Method {
    reqwest::Method::from_bytes(m.as_bytes()).unwrap_or(reqwest::Method::GET)
}

/// A request's parameters, encoded.
enum Encoded {
    Query(Spliced),
    /// The body and its content type.
    Body(Spliced, &'static str),
}

/// A request's parameters encoded as the API takes them, once: the query string, or the
/// body with its content type. Values are sent as text, as every request of the tool sends
/// them (`request::build` writes strings).
fn encode(params_in: ParamsIn, params: &Map<String, Value>) -> Result<Encoded, String> {
    let pairs = || -> Result<String, String> {
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        let pairs: Vec<(&str, String)> = params.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
        serde_urlencoded::to_string(pairs).map_err(|e| e.to_string())
    };
    Ok(match params_in {
        ParamsIn::Query => Encoded::Query(Spliced::new(pairs()?)),
        ParamsIn::Form => Encoded::Body(Spliced::new(pairs()?), "application/x-www-form-urlencoded"),
        ParamsIn::Json => {
            let json = serde_json::to_string(params).map_err(|e| e.to_string())?;
            Encoded::Body(Spliced::new(json), "application/json")
        }
    })
}

/// A request's headers, checked once: the bearer token, the step's headers, and the body's
/// content type unless a step header sets one (as reqwest's `json` and `form` do).
fn header_map(
    token: Option<&str>,
    headers: &[(String, String)],
    content_type: Option<&'static str>,
) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    if let Some(t) = token {
        let value =
            HeaderValue::try_from(format!("Bearer {t}")).map_err(|_| "the token is not a header value".to_string())?;
        map.append(AUTHORIZATION, value);
    }
    for (k, v) in headers {
        let name = HeaderName::try_from(k.as_str()).map_err(|_| format!("header '{k}' is not a header name"))?;
        let value =
            HeaderValue::try_from(v.as_str()).map_err(|_| format!("header '{k}': its value is not a header value"))?;
        map.append(name, value);
    }
    if let Some(ct) = content_type
        && !map.contains_key(CONTENT_TYPE)
    {
        map.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    Ok(map)
}

/// Prepares the mix against an open session: tokens obtained and requests built once,
/// outside the measured window.
pub async fn prepare(plan: &LoadPlan, session: &Session) -> Result<Shared, String> {
    let now = session.tran_dtime().await;
    let lookup = |n: &str| crate::target::call::lookup(session, &now, n);
    let render = |t: &Template| t.render(&lookup).map_err(|e| e.to_string());
    let mut entries = Vec::new();
    for (m, step) in plan.profile.mix.iter().zip(&plan.mix) {
        let api = m.call;
        let mut overrides = Map::new();
        for (k, v) in &step.with {
            overrides.insert(
                k.clone(),
                match v {
                    WithValue::Remove(()) => Value::Null,
                    WithValue::Text(t) => Value::String(render(t)?),
                    WithValue::Structure(s) => {
                        crate::scenario::template::render_value(s, &lookup).map_err(|e| e.to_string())?
                    }
                },
            );
        }
        let mut placeholder = || ID_MARK.to_string();
        let mut fresh = Fresh { bank_tran_id: &mut placeholder, tran_dtime: now.clone() };
        let mut params = request::build(api, &session.data, &mut fresh, &overrides);
        let token = session.token_for(&step.effective_credential(), &render).await.map_err(|e| e.to_string())?;
        let headers: Vec<(String, String)> =
            step.headers.iter().map(|(k, v)| Ok((k.clone(), render(v)?))).collect::<Result<_, String>>()?;
        // A `with:` that sets bank_tran_id still gets a fresh one per request (A0326 otherwise).
        let in_list = params
            .get_mut("req_list")
            .and_then(|l| l.get_mut(0))
            .and_then(Value::as_object_mut)
            .filter(|item| item.contains_key("bank_tran_id"));
        let carries_id = if let Some(item) = in_list {
            item.insert("bank_tran_id".into(), ID_MARK.into());
            true
        } else if params.contains_key("bank_tran_id") {
            params.insert("bank_tran_id".into(), ID_MARK.into());
            true
        } else {
            false
        };
        let spec = api.api();
        let (query, body) = match encode(spec.params_in, &params)? {
            Encoded::Query(q) => (Some(q), None),
            Encoded::Body(b, content_type) => (None, Some((b, content_type))),
        };
        entries.push(Entry {
            api,
            method: method_of(spec.method),
            url: crate::target::join_path(&session.base_url, spec.path).map_err(|e| e.to_string())?,
            query,
            body: body.as_ref().map(|(b, _)| b.clone()),
            headers: header_map(token.as_deref(), &headers, body.map(|(_, content_type)| content_type))
                .map_err(|e| format!("mix entry {} ({api}): {e}", entries.len() + 1))?,
            carries_id,
            expected: m.expected_codes(),
            weight: m.weight,
        });
    }
    let schedule = match (&plan.kind, &plan.shard) {
        (ModelKind::Open { stages, .. }, Some(s)) => {
            Some(Schedule::sharded(stages, u64::from(s.shard.count), s.shard.residue()))
        }
        (ModelKind::Open { stages, .. }, None) => Some(Schedule::new(stages)),
        (ModelKind::Closed { .. }, _) => None,
    };
    let mut rng = rand::rng();
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let cumulative = entries
        .iter()
        .scan(0u64, |sum, e| {
            *sum += u64::from(e.weight);
            Some(*sum)
        })
        .collect();
    Ok(Shared {
        cumulative,
        agg: Mutex::new(Aggregate::new(Instant::now(), entries.len())),
        entries,
        start: std::sync::OnceLock::new(),
        window: plan.duration,
        schedule,
        max_requests: plan.profile.max_requests,
        issued: AtomicU64::new(0),
        late: AtomicU64::new(0),
        stopped: AtomicBool::new(false),
        stop_reason: Mutex::new(None),
        think: plan.profile.think_time.clone(),
        client_use_code: session.data.get("client_use_code").to_string(),
        ids: match &plan.shard {
            Some(s) => IdSpace { tag: s.id_tag.clone(), stride: u64::from(s.shard.count), residue: s.shard.residue() },
            None => IdSpace {
                tag: (0..2).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect(),
                stride: 1,
                residue: 0,
            },
        },
        id_counter: AtomicU64::new(0),
        client: crate::target::http_client(session.tls_roots())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?,
    })
}

/// The goose configuration: everything set in code, nothing read from argv, no
/// controllers, no goose reports (our recorder replaces goose's per-request metrics).
pub fn configuration(plan: &LoadPlan, host: &str) -> GooseConfiguration {
    let mut c = GooseConfiguration::default();
    c.host = Some(host.to_string());
    c.quiet = 1;
    c.no_print_metrics = true;
    c.no_error_summary = true;
    c.no_telnet = true;
    c.no_metrics = true;
    c.no_gzip = true;
    let secs = |d: Duration| d.as_secs_f64().ceil().max(1.0) as u64;
    match &plan.kind {
        ModelKind::Closed { stages, increase_rate } if stages.len() == 1 => {
            let users = stages[0].1 as usize;
            c.users = Some(users);
            c.increase_rate = Some(increase_rate.unwrap_or(users as f64).to_string());
            // The run stops itself at the profile's duration; goose's timer is the backstop.
            c.run_time = Some(format!("{}s", secs(stages[0].0) + 5));
        }
        ModelKind::Closed { .. } => {}
        ModelKind::Open { max_in_flight, .. } => {
            c.users = Some(*max_in_flight as usize);
            c.increase_rate = Some(format!("{}", (*max_in_flight).max(1000)));
            // Our schedule ends the run; goose's timer is the backstop.
            c.run_time = Some(format!("{}s", secs(plan.duration) + 5));
        }
    }
    c
}

/// goose's test plan for closed-model stages: ramp to each stage's users over its time.
pub fn test_plan(plan: &LoadPlan) -> Option<String> {
    match &plan.kind {
        ModelKind::Closed { stages, .. } if stages.len() > 1 => {
            // goose takes whole seconds; the profile's stages are checked to be whole seconds.
            let mut steps: Vec<String> = stages.iter().map(|(d, u)| format!("{u},{}", d.as_secs().max(1))).collect();
            // goose's plan starts before the first request: hold the last stage a while so
            // the run, not goose, ends the window at the profile's duration.
            steps.push(format!("{},5", stages.last().map(|(_, u)| *u).unwrap_or(1)));
            steps.push("0,0s".into());
            Some(steps.join(";"))
        }
        _ => None,
    }
}

async fn idle() -> TransactionResult {
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(())
}

/// One request of mix entry `idx` by `user`.
pub async fn call(shared: &Shared, user: &mut GooseUser, idx: usize) -> TransactionResult {
    if shared.stopped.load(Ordering::Relaxed) {
        return idle().await;
    }
    let start = shared.start();
    // A start fixed ahead (`--start-at`): users launched early wait for it.
    if let Some(wait) = start.checked_duration_since(Instant::now()) {
        tokio::time::sleep(wait).await;
    }
    if let Some(max) = shared.max_requests
        && shared.issued.fetch_add(1, Ordering::Relaxed) >= max
    {
        shared.stop(Stop::MaxRequests);
        return idle().await;
    }
    let intended = match &shared.schedule {
        Some(schedule) => {
            let Some(offset) = schedule.offset(schedule.take()) else {
                shared.stop(Stop::ScheduleComplete);
                return idle().await;
            };
            let due = start + offset;
            let now = Instant::now();
            if due > now {
                tokio::time::sleep_until(due.into()).await;
            } else if now - due > LATE {
                shared.late.fetch_add(1, Ordering::Relaxed);
            }
            due
        }
        None => {
            if start.elapsed() >= shared.window {
                shared.stop(Stop::Duration);
                return idle().await;
            }
            Instant::now()
        }
    };
    let entry = &shared.entries[idx];
    let mut serial = [0u8; SERIAL_LEN];
    let id: [&str; 3] = if entry.carries_id {
        let Some(serial) = shared.fresh_serial(&mut serial) else { return idle().await };
        [shared.client_use_code.as_str(), "U", serial]
    } else {
        ["", "", ""]
    };
    let mut url = entry.url.clone();
    if let Some(q) = &entry.query {
        url.set_query(Some(&q.with_id(&id)));
    }
    let mut req = reqwest::Request::new(entry.method.clone(), url);
    *req.headers_mut() = entry.headers.clone();
    if let Some(b) = &entry.body {
        *req.body_mut() = Some(b.with_id(&id).into());
    }
    // Sent with our own client and read by our own checks: goose's per-request bookkeeping
    // (its request metric, URL and name copies) would be thrown away (`no_metrics`).
    let answer = shared.client.execute(req).await;
    // No answer (refused connection, reset, timeout, unreadable body) is a failed request.
    let body = match answer {
        Ok(r) => r.bytes().await.ok(),
        Err(_) => None,
    };
    let code = body.as_deref().map(rsp_code_of);
    let done = Instant::now();
    let ok = code.as_deref().is_some_and(|c| entry.expected.iter().any(|e| e == c));
    let ending = match &code {
        None => Ending::Failed,
        Some(_) if ok => Ending::Good,
        Some(_) => Ending::Refused,
    };
    if user.get_session_data::<UserRecorder>().is_none() {
        user.set_session_data(UserRecorder::new(start, shared.entries.len(), shared.window));
    }
    user.get_session_data_unchecked_mut::<UserRecorder>().record(
        &shared.agg,
        idx,
        intended,
        done,
        code.as_deref().unwrap_or("none"),
        ending,
    );
    if let Some(think) = &shared.think
        && shared.schedule.is_none()
    {
        let pause = match think {
            ThinkTime::Fixed(d) => d.0,
            ThinkTime::Range { min, max } => {
                let (a, b) = (min.0.as_micros() as u64, max.0.as_micros().max(min.0.as_micros()) as u64);
                Duration::from_micros(rand::rng().random_range(a..=b))
            }
        };
        tokio::time::sleep(pause).await;
    }
    // A refused or failed request is counted by the recorder (goose's metrics are off).
    Ok(())
}

/// The rsp_code of an answer body (an OAuth token answer counts as A0000). The center's
/// compact form `"rsp_code":"A0000"` is found by a byte scan; anything else is parsed.
fn rsp_code_of(body: &[u8]) -> Cow<'_, str> {
    const KEY: &[u8] = b"\"rsp_code\":\"";
    if let Some(at) = body.windows(KEY.len()).position(|w| w == KEY)
        && let Some(code) = body.get(at + KEY.len()..at + KEY.len() + 5)
        && body.get(at + KEY.len() + 5) == Some(&b'"')
        && code.iter().all(u8::is_ascii_alphanumeric)
        && let Ok(code) = std::str::from_utf8(code)
    {
        return Cow::Borrowed(code);
    }
    #[derive(serde::Deserialize)]
    struct Code<'a> {
        #[serde(borrow)]
        rsp_code: Option<Cow<'a, str>>,
        access_token: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_slice::<Code<'_>>(body) {
        Ok(Code { rsp_code: Some(c), .. }) => c,
        Ok(Code { access_token: Some(_), .. }) => Cow::Borrowed(crate::protocol::RspCode::Success.code()),
        _ => Cow::Borrowed("none"),
    }
}

/// Flushes a user's recorder into the aggregate when the user stops.
pub async fn flush(shared: &Shared, user: &mut GooseUser) -> TransactionResult {
    if let Some(rec) = user.get_session_data_mut::<UserRecorder>() {
        rec.flush(&shared.agg);
    }
    Ok(())
}

/// Builds the goose scenario for the mix.
pub fn scenario(shared: Arc<Shared>) -> Result<goose::goose::Scenario, GooseError> {
    // One transaction picks the mix entry by weight (cumulative sums and a binary search):
    // goose's own weights are materialised as a list, a weight of 10^8 costing gigabytes.
    let sh = shared.clone();
    let tx = Transaction::new(Arc::new(move |user: &mut GooseUser| {
        let sh = sh.clone();
        Box::pin(async move {
            let idx = sh.pick(rand::rng().random_range(0..sh.total_weight()));
            call(&sh, user, idx).await
        })
    }))
    .set_name("mix");
    let s = scenario!("obharness").register_transaction(tx);
    let sh = shared.clone();
    let stop = Transaction::new(Arc::new(move |user: &mut GooseUser| {
        let sh = sh.clone();
        Box::pin(async move { flush(&sh, user).await })
    }))
    .set_name("flush")
    .set_on_stop();
    Ok(s.register_transaction(stop))
}

/// rsp_code counts of the whole run, for the progress line.
pub fn codes(agg: &Aggregate) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for a in &agg.apis {
        for (k, v) in &a.codes {
            *out.entry(k.clone()).or_default() += v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spaces_slots_by_rate_across_stages() {
        let s = Schedule::new(&[(Duration::from_secs(1), 10.0), (Duration::from_secs(1), 100.0)]);
        assert_eq!(s.total, 110);
        assert_eq!(s.offset(0), Some(Duration::ZERO));
        assert_eq!(s.offset(5), Some(Duration::from_millis(500)));
        assert_eq!(s.offset(10), Some(Duration::from_secs(1)));
        assert_eq!(s.offset(60), Some(Duration::from_millis(1500)));
        assert_eq!(s.offset(110), None);
        for w in [0, 1, 500, 999, 1000, 1001, 1500, 2000, 5000] {
            let window = Duration::from_millis(w);
            let walked = (0..).take_while(|k| s.offset(*k).is_some_and(|o| o < window)).count() as u64;
            assert_eq!(s.due_before(window), walked, "{w} ms");
        }
        let huge = Schedule::new(&[(Duration::from_secs(3600), 1_000_000.0)]);
        assert_eq!(huge.due_before(Duration::from_secs(3600)), 3_600_000_000);
    }

    #[test]
    fn weighted_choice_uses_running_sums_and_skips_zero_weights() {
        let cumulative = [3, 3, 4, 4_000_000_004];
        let picks: Vec<usize> = [0, 2, 3, 4, 4_000_000_003].into_iter().map(|d| pick(&cumulative, d)).collect();
        assert_eq!(picks, [0, 0, 2, 3, 3]);
    }

    /// Encoding once and writing the id between the halves gives the bytes that encoding
    /// each request's own parameters gives.
    #[test]
    fn a_part_encoded_once_carries_each_fresh_id_as_encoding_it_afresh_would() {
        let id = ["M202601315", "U", "AB0000001"];
        let with = |mark: &str| {
            serde_json::json!({
                "tran_dtime": "20260301101010",
                "print_content": "오픈뱅킹 & co=1",
                "req_list": [{ "bank_tran_id": mark, "tran_amt": "1000" }],
            })
            .as_object()
            .cloned()
            .unwrap()
        };
        let Encoded::Body(body, content_type) = encode(ParamsIn::Json, &with(ID_MARK)).unwrap() else { panic!() };
        assert_eq!(content_type, "application/json");
        assert_eq!(body.with_id(&id), serde_json::to_string(&with("M202601315UAB0000001")).unwrap());
        let flat = |mark: &str| {
            let mut m = with(mark);
            m.remove("req_list");
            m.insert("bank_tran_id".into(), mark.into());
            m
        };
        let Encoded::Query(query) = encode(ParamsIn::Query, &flat(ID_MARK)).unwrap() else { panic!() };
        let expected = "bank_tran_id=M202601315UAB0000001&print_content=%EC%98%A4%ED%94%88%EB%B1%85%ED%82%B9+%26+co%3D1&tran_dtime=20260301101010";
        assert_eq!(query.with_id(&id), expected);
        let Encoded::Body(form, content_type) = encode(ParamsIn::Form, &flat(ID_MARK)).unwrap() else { panic!() };
        assert_eq!((form.with_id(&id).as_str(), content_type), (expected, "application/x-www-form-urlencoded"));
        // A part without an id is sent as it is.
        let plain = Spliced::new("a=1".into());
        assert_eq!(plain.with_id(&["", "", ""]), "a=1");
    }

    #[test]
    fn headers_are_checked_once_and_a_step_may_set_the_content_type() {
        let steps = [("Content-Type".to_string(), "application/json; charset=UTF-8".to_string())];
        let map = header_map(Some("tok"), &steps, Some("application/json")).unwrap();
        assert_eq!(map[AUTHORIZATION], "Bearer tok");
        assert_eq!(map.get_all(CONTENT_TYPE).iter().count(), 1);
        assert_eq!(map[CONTENT_TYPE], "application/json; charset=UTF-8");
        let err = header_map(None, &[("bad header".into(), "x".into())], None).unwrap_err();
        assert!(err.contains("'bad header' is not a header name"), "{err}");
        assert!(header_map(None, &[("X-A".into(), "line\nbreak".into())], None).is_err());
    }

    #[test]
    fn rsp_codes_are_read_from_answers() {
        assert_eq!(rsp_code_of(br#"{"rsp_code":"A0326","x":1}"#), "A0326");
        assert_eq!(rsp_code_of(br#"{"access_token":"t","token_type":"Bearer"}"#), "A0000");
        assert_eq!(rsp_code_of(b"<html>"), "none");
        assert_eq!(rsp_code_of(br#"{ "rsp_code" : "A0004" }"#), "A0004", "spaced JSON falls back to parsing");
        assert_eq!(rsp_code_of(br#"{"a":"\"rsp_code\":\"X","rsp_code":"A0000"}"#), "A0000");
    }
}
