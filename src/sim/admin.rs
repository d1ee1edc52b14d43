//! The admin API under `/_sim/`: a contract other tools and scripts rely on (documented in
//! `docs/simulator.md`). Every request needs `X-Sim-Admin-Token`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::center::Center;
use super::faults::FaultRule;
use super::fixture::UserFixture;
use crate::protocol::time::tran_dtime;

/// Proof that the caller presented the admin token.
pub struct Admin;

impl FromRequestParts<Arc<Center>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, center: &Arc<Center>) -> Result<Self, Self::Rejection> {
        match parts.headers.get("x-sim-admin-token").and_then(|v| v.to_str().ok()) {
            Some(t) if token_matches(t.as_bytes(), center.admin_token.as_bytes()) => Ok(Admin),
            Some(_) => Err(problem(StatusCode::UNAUTHORIZED, "wrong X-Sim-Admin-Token")),
            None => Err(problem(StatusCode::UNAUTHORIZED, "missing X-Sim-Admin-Token header")),
        }
    }
}

/// Compares a presented token with the expected one in time that depends only on the
/// expected token's length, so timing reveals neither its content nor how much matched.
fn token_matches(given: &[u8], expected: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let mut same = given.len().ct_eq(&expected.len());
    for (i, e) in expected.iter().enumerate() {
        same &= e.ct_eq(given.get(i).unwrap_or(&!*e));
    }
    // An empty expected token never matches (the configuration refuses one anyway).
    bool::from(same) && !expected.is_empty()
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A JSON body whose errors name the field, line and column.
pub struct Body<T>(T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<Arc<Center>> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, _: &Arc<Center>) -> Result<Self, Self::Rejection> {
        let deadline = req.extensions().get::<super::http::ConnAbort>().map(|a| a.1.deadline());
        let read = axum::body::to_bytes(req.into_body(), 1 << 20);
        let read = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, read).await.map_err(|_| {
                let mut r = problem(StatusCode::REQUEST_TIMEOUT, "request not received in time");
                r.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
                r
            })?,
            None => read.await,
        };
        let bytes = read.map_err(|_| problem(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB"))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(Body).map_err(|e| {
            let inner = e.inner();
            problem(
                StatusCode::BAD_REQUEST,
                format!("{}: {} (line {}, column {})", e.path(), inner, inner.line(), inner.column()),
            )
        })
    }
}

pub fn router() -> Router<Arc<Center>> {
    Router::new()
        .route("/_sim/fixture", get(fixture).post(add_fixture))
        .route("/_sim/clock", get(clock))
        .route("/_sim/clock/advance", post(advance))
        .route("/_sim/accounts/{fintech_use_num}", get(account))
        .route("/_sim/ledger", get(ledger))
        .route("/_sim/faults", get(list_faults).post(arm_fault).delete(clear_faults))
        .route("/_sim/journal", get(journal))
        .route("/_sim/reset", post(reset))
        .method_not_allowed_fallback(|| async { problem(StatusCode::METHOD_NOT_ALLOWED, "method: not allowed here") })
}

async fn fixture(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    let f = center.fixture();
    let w = center.world();
    let inst = &f.institution;
    let users: Vec<Value> = f
        .users
        .iter()
        .map(|u| {
            let accounts: Vec<Value> = u
                .accounts
                .iter()
                .map(|a| {
                    let balance = w.by_fintech(a.fintech_use_num.as_str()).map(|i| w.accounts[i].balance).unwrap_or(0);
                    json!({
                        "fintech_use_num": a.fintech_use_num,
                        "bank_code_std": a.bank_code_std,
                        "account_num": a.account_num,
                        "account_holder_name": a.account_holder_name,
                        "balance_amt": balance.to_string(),
                        "account_type": a.account_type,
                        "inquiry_agree": a.inquiry_agree,
                        "transfer_agree": a.transfer_agree,
                    })
                })
                .collect();
            json!({
                "user_seq_no": u.user_seq_no,
                "user_name": u.user_name,
                "user_ci": u.user_ci,
                "birth_date": u.birth_date,
                "daily_withdraw_limit": u.daily_withdraw_limit.to_string(),
                "per_transfer_limit": u.per_transfer_limit.to_string(),
                "accounts": accounts,
            })
        })
        .collect();
    Json(json!({
        "institution": {
            "name": inst.name,
            "client_id": inst.client_id,
            "client_secret": inst.client_secret,
            "client_use_code": inst.client_use_code,
            "redirect_uri": inst.redirect_uri,
            "cntr_account_num": inst.cntr_account_num,
            "cntr_bank_code": inst.cntr_bank_code,
            "wd_pass_phrase": inst.wd_pass_phrase,
            "whitelist": inst.whitelist,
        },
        "users": users,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddUsers {
    users: Vec<UserFixture>,
}

async fn add_fixture(_: Admin, State(center): State<Arc<Center>>, Body(add): Body<AddUsers>) -> Response {
    let more = super::fixture::Fixture { institution: center.institution().clone(), users: add.users };
    match center.add_users(&more) {
        Ok(()) => Json(json!({ "added": more.users.len() })).into_response(),
        Err(e) => problem(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

fn clock_json(center: &Center) -> Value {
    let now = center.now();
    json!({
        "now": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        "tran_dtime": tran_dtime(now),
    })
}

async fn clock(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    Json(clock_json(&center))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance(_: Admin, State(center): State<Arc<Center>>, Body(a): Body<Advance>) -> Response {
    match center.clock.advance(a.seconds) {
        Ok(_) => Json(clock_json(&center)).into_response(),
        Err(e) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn account(
    _: Admin,
    State(center): State<Arc<Center>>,
    fintech: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let fintech = match fintech {
        Ok(Path(f)) => f,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("fintech_use_num: {e}")),
    };
    let w = center.world();
    let Some(idx) = w.by_fintech(&fintech) else {
        return problem(StatusCode::NOT_FOUND, format!("no account with fintech_use_num {fintech}"));
    };
    let a = &w.accounts[idx];
    let dtime = |t: Option<chrono::DateTime<chrono::FixedOffset>>| t.map(tran_dtime);
    Json(json!({
        "fintech_use_num": fintech,
        "bank_code_std": a.bank_code_std,
        "account_num": a.account_num,
        "account_holder_name": a.holder_name,
        "balance_amt": a.balance.to_string(),
        "inquiry_agree_dtime": dtime(a.inquiry_agree),
        "transfer_agree_dtime": dtime(a.transfer_agree),
        "history_count": a.history.len(),
    }))
    .into_response()
}

async fn ledger(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    let w = center.world();
    let cntr = &w.accounts[w.cntr];
    Json(json!({
        "total_amt": w.total_money().to_string(),
        "institution": { "account_num": cntr.account_num, "balance_amt": cntr.balance.to_string() },
        "pending_transfers": w.pending.len(),
    }))
}

async fn list_faults(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    Json(json!({ "rules": center.faults.list() }))
}

async fn arm_fault(_: Admin, State(center): State<Arc<Center>>, Body(rule): Body<Value>) -> Response {
    let rule = match FaultRule::from_json(rule) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e),
    };
    match center.faults.arm(rule) {
        Ok(n) => (StatusCode::CREATED, Json(json!({ "armed": n }))).into_response(),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

async fn clear_faults(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    center.faults.clear();
    Json(json!({ "armed": 0 }))
}

/// Entries per page of `GET /_sim/journal`: pages stay a few MiB at most.
pub const JOURNAL_PAGE_MAX: usize = 1000;

/// `after` and `limit` of `GET /_sim/journal`, each error naming the parameter.
fn journal_query(raw: Option<&str>) -> Result<(u64, usize), String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| format!("query string: {e}"))?;
    let (mut after, mut limit) = (0u64, JOURNAL_PAGE_MAX);
    for (k, v) in pairs {
        match k.as_str() {
            "after" => {
                after = v.parse().map_err(|_| format!("after: '{v}' is not a sequence number (0 or more)"))?;
            }
            "limit" => {
                let n: u64 = v.parse().map_err(|_| {
                    format!("limit: '{v}' is not a whole number (0 to {JOURNAL_PAGE_MAX}; larger asks get one page)")
                })?;
                limit = usize::try_from(n).unwrap_or(usize::MAX).min(JOURNAL_PAGE_MAX);
            }
            other => return Err(format!("{other}: unknown parameter; expected after or limit")),
        }
    }
    Ok((after, limit))
}

/// One page of the journal: `{"entries": [...], "next_after": SEQ, "more": bool, "last_seq": SEQ}`.
/// Entries are rendered one at a time into the answer, so a page costs its own size only.
async fn journal(_: Admin, State(center): State<Arc<Center>>, RawQuery(raw): RawQuery) -> Response {
    let (after, limit) = match journal_query(raw.as_deref()) {
        Ok(q) => q,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e),
    };
    // One more than asked tells whether another page follows.
    let mut entries = center.journal.since(after, limit.saturating_add(1));
    let more = entries.len() > limit;
    entries.truncate(limit);
    let next_after = entries.last().map_or(after, |e| e.seq);
    let mut out = Vec::with_capacity(64 + entries.iter().map(|e| 256 + e.body.len()).sum::<usize>());
    out.extend_from_slice(b"{\"entries\":[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if serde_json::to_writer(&mut out, &e.view()).is_err() {
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "journal entry not serialisable");
        }
    }
    drop(entries);
    let tail = json!({ "next_after": next_after, "more": more, "last_seq": center.journal.last_seq() });
    out.extend_from_slice(b"],");
    out.extend_from_slice(&tail.to_string().as_bytes()[1..]);
    super::http::json_response(StatusCode::OK, out)
}

async fn reset(_: Admin, State(center): State<Arc<Center>>) -> Json<Value> {
    center.reset();
    Json(json!({ "reset": true, "clock": clock_json(&center) }))
}
