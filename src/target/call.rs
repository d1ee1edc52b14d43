//! Sending one call or raw request of a plan step to the target: the request filled in
//! around the step's `with`, its credential, headers and source address, and what came back.

use serde_json::{Map, Value, json};

use super::expect::text_of;
use super::join_path;
use super::record::SendRecorded;
use super::request::{self, Fresh};
use super::session::Session;
use crate::protocol::ParamsIn;
use crate::scenario::model::WithValue;
use crate::scenario::plan::{PlanStep, StepKind};
use crate::scenario::template::Template;

/// What one request brought back.
pub struct Sent {
    pub status: Option<u16>,
    pub body: Option<Value>,
    /// The transport error when nothing came back.
    pub error: Option<String>,
    /// The request as reports show it (method, URL, parameters), before redaction.
    pub request: Value,
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
pub fn render(session: &Session, tran_dtime: &str, t: &Template) -> Result<String, String> {
    t.render(&|name| lookup(session, tran_dtime, name)).map_err(|e| e.to_string())
}

/// Builds and sends the request of a call or raw request step. `Err` means the request
/// could not be built (a template, the credential, a path leaving the target); a transport
/// failure is an answer with `error` set.
pub async fn send(session: &Session, step: &PlanStep, now: &str) -> Result<Sent, String> {
    let render = |t: &Template| render(session, now, t);
    let mut overrides = Map::new();
    for (k, v) in &step.with {
        let value = match v {
            WithValue::Remove(()) => Value::Null,
            WithValue::Text(t) => Value::String(render(t)?),
            WithValue::Structure(s) => crate::scenario::template::render_value(s, &|name| lookup(session, now, name))
                .map_err(|e| e.to_string())?,
        };
        overrides.insert(k.clone(), value);
    }
    let token = session.token_for(&step.effective_credential(), &render).await.map_err(|e| e.to_string())?;
    let client = session.client(step.from_ip).await.map_err(|e| e.to_string())?;

    let (method, url, params, params_in, raw_body) = match &step.kind {
        StepKind::Call(api) => {
            let mut id = || session.new_bank_tran_id();
            let mut fresh = Fresh { bank_tran_id: &mut id, tran_dtime: now.to_string() };
            let params = request::build(*api, &session.data, &mut fresh, &overrides);
            let url = join_path(&session.base_url, api.api().path).map_err(|e| e.to_string())?;
            (api.api().method.to_string(), url, params, api.api().params_in, None)
        }
        StepKind::Request(r) => {
            // Credentials go to the target only: a path that leaves its origin is never sent.
            let url = join_path(&session.base_url, &render(&r.path)?).map_err(|e| e.to_string())?;
            let params_in = if r.method.eq_ignore_ascii_case("GET") { ParamsIn::Query } else { ParamsIn::Json };
            (r.method.to_uppercase(), url, overrides, params_in, r.body.clone())
        }
        _ => return Err(format!("{} sends no request", step.action())),
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = client.request(method.clone(), url.clone());
    if let Some(t) = &token {
        req = req.bearer_auth(t);
    }
    for (name, value) in &step.headers {
        req = req.header(name.as_str(), render(value)?);
    }
    let pairs = |params: &Map<String, Value>| params.iter().map(|(k, v)| (k.clone(), text_of(v))).collect::<Vec<_>>();
    req = match (raw_body, params_in) {
        (Some(body), _) => req.header("content-type", "application/json; charset=UTF-8").body(body),
        (None, ParamsIn::Query) => req.query(&pairs(&params)),
        (None, ParamsIn::Form) => req.form(&pairs(&params)),
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
                // An OAuth redirect: its query is the answer.
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

/// An error with its causes, one line (`connect: Connection refused (os error 111)`).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
