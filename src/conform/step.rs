//! Running one step of a scenario against a session.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::expect::{Answer, evaluate, text_of};
use super::session::Session;
use crate::evidence::transcript::SendRecorded;
use crate::golden::{self, GoldenMode, GoldenResult};
use crate::protocol::{ApiId, ParamsIn, Scope};
use crate::report::{CheckFailure, Outcome, StepResult};
use crate::scenario::model::{ClockAdvance, Step, WithValue};
use crate::scenario::request::{self, Fresh};
use crate::scenario::template::{Template, TemplateError};
use crate::target::{Target, join_path};

/// What a step needs besides the session.
pub struct StepCtx<'a> {
    pub target: &'a Target,
    pub scenario_id: &'a str,
    pub golden_root: &'a Path,
    pub golden_mode: GoldenMode,
    /// Snapshot files this run used.
    pub used_snapshots: &'a std::sync::Mutex<std::collections::BTreeSet<std::path::PathBuf>>,
}

/// Masks secrets and account numbers in a request or answer before it goes into a report.
pub fn redact(v: &Value) -> Value {
    crate::report::redact::redact_value(v)
}

/// The value of a variable: built-ins, then the session's variables, then the target's data.
pub fn lookup(session: &Session, tran_dtime: &str, name: &str) -> Option<String> {
    match name {
        "tran_dtime" => Some(tran_dtime.to_string()),
        "today" => Some(tran_dtime.get(..8).unwrap_or("").to_string()),
        "new_bank_tran_id" => Some(session.new_bank_tran_id()),
        _ => session.vars.get(name).cloned().or_else(|| session.data.values.get(name).cloned()),
    }
}

/// Renders a template with the session's variables and built-ins.
fn render_with(session: &Session, tran_dtime: &str, t: &Template) -> Result<String, TemplateError> {
    t.render(&|name| lookup(session, tran_dtime, name))
}

fn render_structure(session: &Session, now: &str, v: &Value) -> Result<Value, TemplateError> {
    crate::scenario::template::render_value(v, &|name| lookup(session, now, name))
}

fn step_name(step: &Step, index: usize) -> String {
    if let Some(n) = &step.name {
        return n.clone();
    }
    match (step.call, &step.request) {
        (Some(api), _) => api.to_string(),
        (None, Some(r)) => format!("{} {}", r.method, r.path),
        _ => format!("step {index}"),
    }
}

fn action(step: &Step) -> String {
    if let Some(api) = step.call {
        return format!("call {api}");
    }
    if let Some(r) = &step.request {
        return format!("request {} {}", r.method, r.path);
    }
    if let Some(s) = step.advance_clock {
        return format!("advance_clock {s}");
    }
    if let Some(f) = &step.fault {
        return match &f.arm {
            Some(rule) => format!("fault arm {rule}"),
            None => "fault clear".into(),
        };
    }
    if let Some(ms) = step.sleep_ms {
        return format!("sleep_ms {ms}");
    }
    if let Some(i) = &step.inspect {
        return format!("inspect {}", i.fintech_use_num);
    }
    if step.parallel.is_some() {
        return "parallel".into();
    }
    "step".into()
}

fn result(index: usize, step: &Step, started: Instant, failures: Vec<CheckFailure>) -> StepResult {
    StepResult {
        index,
        name: step_name(step, index),
        action: action(step),
        outcome: if failures.is_empty() { Outcome::Passed } else { Outcome::Failed },
        duration_ms: started.elapsed().as_millis() as u64,
        request: None,
        http_status: None,
        response: None,
        failures,
    }
}

fn error_failure(what: &str, e: impl std::fmt::Display) -> Vec<CheckFailure> {
    vec![CheckFailure { expectation: what.into(), expected: "success".into(), actual: e.to_string(), diff: None }]
}

/// Runs a step; returns its results (several for `parallel`).
pub async fn run(ctx: &StepCtx<'_>, session: &mut Session, step: &Step, index: usize) -> Vec<StepResult> {
    let started = Instant::now();
    if step.call.is_some() || step.request.is_some() {
        let (r, captures) = call(ctx, session, step, index, true).await;
        session.vars.extend(captures);
        return vec![r];
    }
    if let Some(children) = &step.parallel {
        let futures =
            children.iter().enumerate().map(|(j, child)| call(ctx, &*session, child, index * 100 + j + 1, false));
        let outcomes = join_all(futures).await;
        let mut out = Vec::new();
        for (r, captures) in outcomes {
            session.vars.extend(captures);
            out.push(r);
        }
        return out;
    }
    let failures = if let Some(advance) = step.advance_clock {
        let seconds = match advance {
            ClockAdvance::Seconds(s) => Ok(s),
            ClockAdvance::To(time_of_day) => session.admin_get("/_sim/clock").await.and_then(|c| {
                let now = c["now"].as_str().and_then(|n| chrono::DateTime::parse_from_rfc3339(n).ok());
                let now = now.ok_or_else(|| format!("GET /_sim/clock: no clock in {c}"))?;
                let now = now.with_timezone(&crate::protocol::time::kst());
                let since_midnight = chrono::Timelike::num_seconds_from_midnight(&now);
                Ok(u64::from((time_of_day + 86_400 - since_midnight) % 86_400))
            }),
        };
        match async {
            let seconds = seconds?;
            session.admin_post("/_sim/clock/advance", json!({ "seconds": seconds })).await
        }
        .await
        {
            Ok(_) => {
                // Cached tokens may have expired; `as: user` fetches a fresh one.
                session.forget_tokens().await;
                Vec::new()
            }
            Err(e) => error_failure("advance_clock", e),
        }
    } else if let Some(f) = &step.fault {
        let r = match &f.arm {
            Some(rule) => session.admin_post("/_sim/faults", rule.clone()).await,
            None => session.admin_delete("/_sim/faults").await,
        };
        r.err().map(|e| error_failure("fault", e)).unwrap_or_default()
    } else if let Some(ms) = step.sleep_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Vec::new()
    } else if let Some(i) = &step.inspect {
        let now = session.tran_dtime().await;
        match render_with(session, &now, &i.fintech_use_num) {
            Err(e) => error_failure("inspect", e),
            Ok(fin) => match session.admin_get(&format!("/_sim/accounts/{fin}")).await {
                Ok(v) => {
                    session.vars.insert(i.capture_balance.clone(), text_of(&v["balance_amt"]));
                    Vec::new()
                }
                Err(e) => error_failure("inspect", e),
            },
        }
    } else {
        error_failure("step", "nothing to do")
    };
    vec![result(index, step, started, failures)]
}

/// The credential a call uses when the step names none.
pub fn default_credential(api: ApiId) -> &'static str {
    let scopes = api.api().scopes;
    if scopes.is_empty() {
        "none"
    } else if scopes.contains(&Scope::Oob) {
        "institution"
    } else {
        "user"
    }
}

struct Sent {
    status: Option<u16>,
    body: Option<Value>,
    error: Option<String>,
    request: Value,
}

/// Runs one call (with its retries); returns its result and captures.
async fn call(
    ctx: &StepCtx<'_>,
    session: &Session,
    step: &Step,
    index: usize,
    golden_default: bool,
) -> (StepResult, BTreeMap<String, String>) {
    let started = Instant::now();
    let attempts = step.retry.as_ref().map(|r| r.times.max(1)).unwrap_or(1);
    let delay = Duration::from_millis(step.retry.as_ref().map(|r| r.delay_ms).unwrap_or(0));
    let mut last = None;
    for attempt in 1..=attempts {
        let now = session.tran_dtime().await;
        let sent = match send(session, step, &now).await {
            Ok(s) => s,
            Err(e) => {
                let mut r = result(index, step, started, error_failure("build the request", e));
                r.outcome = Outcome::Error;
                return (r, BTreeMap::new());
            }
        };
        let render = |t: &Template| render_with(session, &now, t);
        let answer = Answer { status: sent.status, body: sent.body.as_ref(), error: sent.error.as_deref() };
        let failures = evaluate(step.expect.as_ref(), step.call, &answer, ctx.target, &render);
        let done = failures.is_empty() || attempt == attempts;
        last = Some((sent, failures));
        if done {
            break;
        }
        tokio::time::sleep(delay).await;
    }
    let (sent, mut failures) = last.expect("at least one attempt");
    let mut captures = BTreeMap::new();
    if failures.is_empty()
        && let Some(body) = &sent.body
    {
        for (name, path) in &step.capture {
            match path.select(body) {
                // A captured value is held to the bound the loader assumed for it.
                Some(v) if text_of(v).len() > crate::scenario::load::MAX_VAR_BYTES => failures.push(CheckFailure {
                    expectation: format!("capture {name}"),
                    expected: format!("a value of at most {} bytes", crate::scenario::load::MAX_VAR_BYTES),
                    actual: format!("{} bytes", text_of(v).len()),
                    diff: None,
                }),
                Some(v) => {
                    captures.insert(name.clone(), text_of(v));
                }
                None => failures.push(CheckFailure {
                    expectation: format!("capture {name}"),
                    expected: format!("a value at {path}"),
                    actual: "absent".into(),
                    diff: None,
                }),
            }
        }
    }
    let wants_golden = step.golden.unwrap_or(golden_default && step.call.is_some() && step.retry.is_none());
    if failures.is_empty()
        && wants_golden
        && ctx.target.golden()
        && ctx.golden_mode != GoldenMode::Off
        && let Some(body) = &sent.body
    {
        let name = step_name(step, index);
        let label = format!("{index} {name} ({})", action(step));
        let checked = golden::snapshot_path(ctx.golden_root, ctx.scenario_id, index, &name).map(|path| {
            ctx.used_snapshots.lock().expect("not poisoned").insert(path.clone());
            crate::evidence::transcript::snapshot_used(&path);
            let r = golden::check(&path, ctx.scenario_id, &label, body, ctx.golden_mode);
            (path, r)
        });
        let (path, checked) = match checked {
            Ok(pr) => pr,
            Err(e) => (std::path::PathBuf::new(), GoldenResult::BadFormat(e)),
        };
        match checked {
            GoldenResult::Matched | GoldenResult::Created | GoldenResult::Blessed => {}
            GoldenResult::Changed(diff) => failures.push(CheckFailure {
                expectation: "golden snapshot".into(),
                expected: path.display().to_string(),
                actual: "a different response (run with --bless to accept)".into(),
                diff: Some(diff),
            }),
            GoldenResult::Missing => failures.push(CheckFailure {
                expectation: "golden snapshot".into(),
                expected: path.display().to_string(),
                actual: "missing (CI never writes snapshots: run --bless locally and commit)".into(),
                diff: None,
            }),
            GoldenResult::BadFormat(e) => failures.push(CheckFailure {
                expectation: "golden snapshot".into(),
                expected: "dynamic fields in their formats".into(),
                actual: e,
                diff: None,
            }),
        }
    }
    let mut r = result(index, step, started, failures);
    r.request = Some(redact(&sent.request));
    r.http_status = sent.status;
    r.response = sent.body.as_ref().map(redact);
    (r, captures)
}

/// Builds and sends the request of a call or raw request step.
async fn send(session: &Session, step: &Step, now: &str) -> Result<Sent, String> {
    let mut overrides = Map::new();
    for (k, v) in &step.with {
        let value = match v {
            WithValue::Remove(()) => Value::Null,
            WithValue::Text(t) => Value::String(render_with(session, now, t).map_err(|e| e.to_string())?),
            WithValue::Structure(s) => render_structure(session, now, s).map_err(|e| e.to_string())?,
        };
        overrides.insert(k.clone(), value);
    }
    let credential = match &step.as_ {
        Some(t) => render_with(session, now, t).map_err(|e| e.to_string())?,
        None => step.call.map(default_credential).unwrap_or("none").to_string(),
    };
    let token = match credential.as_str() {
        "none" => None,
        "user" | "institution" => Some(session.token(&credential).await?),
        c if c.starts_with("user:") => Some(session.token(c).await?),
        c => Some(c.strip_prefix("token:").unwrap_or(c).to_string()),
    };
    let client = session.client(step.from_ip).await?;

    let (method, url, params, params_in, raw_body) = if let Some(api) = step.call {
        let mut id = || session.new_bank_tran_id();
        let mut fresh = Fresh { bank_tran_id: &mut id, tran_dtime: now.to_string() };
        let params = request::build(api, &session.data, &mut fresh, &overrides);
        let url = join_path(&session.base_url, api.api().path).map_err(|e| e.to_string())?;
        (api.api().method.to_string(), url, params, api.api().params_in, None)
    } else {
        let r = step.request.as_ref().expect("a call or request step");
        let path = render_with(session, now, &r.path).map_err(|e| e.to_string())?;
        // Credentials go to the target only: a path that leaves its origin is never sent.
        let url = join_path(&session.base_url, &path).map_err(|e| e.to_string())?;
        let params_in = if r.method.eq_ignore_ascii_case("GET") { ParamsIn::Query } else { ParamsIn::Json };
        (r.method.to_uppercase(), url, overrides, params_in, r.body.clone())
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method.clone(), url.clone());
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    for (name, value) in &step.headers {
        req = req.header(name.as_str(), render_with(session, now, value).map_err(|e| e.to_string())?);
    }
    req = match (raw_body, params_in) {
        (Some(body), _) => req.header("content-type", "application/json; charset=UTF-8").body(body),
        (None, ParamsIn::Query) => req.query(&params.iter().map(|(k, v)| (k.clone(), text_of(v))).collect::<Vec<_>>()),
        (None, ParamsIn::Form) => req.form(&params.iter().map(|(k, v)| (k.clone(), text_of(v))).collect::<Vec<_>>()),
        (None, ParamsIn::Json) => req.json(&params),
    };
    let request = json!({ "method": method.as_str(), "url": url.as_str(), "params": Value::Object(params) });
    match req.send_recorded().await {
        Err(e) => Ok(Sent { status: None, body: None, error: Some(error_chain(&e)), request }),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
            let text = resp.text().await.map_err(|e| error_chain(&e));
            let body = match (location, text) {
                (Some(loc), _) if status == 302 => {
                    let mut m: Map<String, Value> = reqwest::Url::parse(&loc)
                        .map(|u| u.query_pairs().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect())
                        .unwrap_or_default();
                    m.insert("location".into(), Value::String(loc));
                    Some(Value::Object(m))
                }
                (_, Ok(t)) => Some(serde_json::from_str(&t).unwrap_or(Value::String(t))),
                (_, Err(e)) => return Ok(Sent { status: Some(status), body: None, error: Some(e), request }),
            };
            Ok(Sent { status: Some(status), body, error: None, request })
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Polls futures concurrently on this task.
pub async fn join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<_> = futs.map(|f| Some(Box::pin(f))).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    results.into_iter().map(|r| r.expect("completed")).collect()
}
