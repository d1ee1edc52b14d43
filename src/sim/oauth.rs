//! OAuth 2.0: 사용자인증 and 계좌등록확인 (consent page or headless approval), the token
//! endpoint's three grants, and revocation. Errors are HTTP 200 with an `O`-code, like
//! the center's gateway.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use chrono::Duration;
use serde_json::{Value, json};

use super::auth::{CODE_LIFETIME_SECS, CodeGrant, Scopes, Subject, TOKEN_LIFETIME_SECS, TokenCheck};
use super::center::Center;
use super::consent_page;
use super::http::{Flow, Incoming, finish, json_response};
use crate::protocol::codes::OAUTH_REVOKED;
use crate::protocol::fields::check_fields;
use crate::protocol::{ApiId, RspCode, Scope};

fn oauth_error(code: RspCode, detail: impl std::fmt::Display) -> Flow {
    let body = json!({ "rsp_code": code.code(), "rsp_message": format!("{} ({detail})", code.message()) });
    Flow::Raw(json_response(StatusCode::OK, body.to_string().into_bytes()), Some(code.code().to_string()))
}

fn params_of(inc: &Incoming, text: &[u8]) -> Option<serde_json::Map<String, Value>> {
    inc.pairs(text)
}

/// `GET /oauth/2.0/authorize` and `/authorize_account`.
pub async fn authorize(center: Arc<Center>, api: ApiId, req: axum::extract::Request) -> Response<Body> {
    let inc = Incoming::from_request(req, center.config.max_body_bytes).await;
    let flow = authorize_flow(&center, api, &inc);
    finish(&center, Some(api), &inc, flow).await
}

fn authorize_flow(center: &Center, api: ApiId, inc: &Incoming) -> Flow {
    if inc.method != axum::http::Method::GET {
        return oauth_error(RspCode::WrongMethod, "GET only");
    }
    let Some(params) = params_of(inc, inc.query.as_deref().unwrap_or("").as_bytes()) else {
        return oauth_error(RspCode::AuthParameterError, "query string 해석 불가");
    };
    if let Err(e) = check_fields(api.api().request, &params) {
        return oauth_error(RspCode::AuthParameterError, e);
    }
    let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let inst = center.institution();
    if p("client_id") != inst.client_id {
        return oauth_error(RspCode::AuthParameterError, "등록되지 않은 client_id");
    }
    if p("redirect_uri") != inst.redirect_uri {
        return oauth_error(RspCode::AuthParameterError, "등록되지 않은 redirect_uri");
    }
    let scopes = match Scopes::parse(&p("scope")) {
        Ok(s) if !s.is_empty() => s,
        Ok(_) => return oauth_error(RspCode::AuthParameterError, "scope 없음"),
        Err(e) => return oauth_error(RspCode::AuthParameterError, e),
    };
    if scopes.contains(Scope::Oob) || scopes.contains(Scope::Sa) {
        return oauth_error(RspCode::ScopeNotAllowed, "oob/sa는 이용기관 토큰으로만 발급");
    }

    // auth_type 2 skips the consent screen for a user who holds a valid token.
    let user_seq_no = if p("auth_type") == "2" {
        let h = |name: &str| inc.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let seq = h("Kftc-Bfop-UserSeqNo");
        match center.tokens.check(&h("Kftc-Bfop-AccessToken"), center.now()) {
            TokenCheck::Valid { subject: Subject::User(s), .. } if s == seq => Some(seq),
            _ => return oauth_error(RspCode::AccessTokenRejected, "auth_type 2: Kftc-Bfop-* 헤더 검증 실패"),
        }
    } else {
        params.get("sim_user_seq_no").and_then(Value::as_str).map(str::to_string)
    };
    let Some(seq) = user_seq_no else {
        let html = consent_page::render(center, api, &params);
        let mut r = Response::new(Body::from(html));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        return Flow::Raw(r, None);
    };
    approve(center, api, &seq, scopes, &params)
}

/// The user approved: consents take effect now, and the callback gets a code.
fn approve(center: &Center, api: ApiId, seq: &str, scopes: Scopes, params: &serde_json::Map<String, Value>) -> Flow {
    let now = center.now();
    {
        let mut w = center.world();
        let Some(u) = w.user(seq) else {
            return oauth_error(RspCode::AuthParameterError, format!("사용자 {seq} 없음"));
        };
        if w.users[u].closed {
            return oauth_error(RspCode::ClosedMember, format!("사용자 {seq}"));
        }
        w.users[u].unlinked = false;
        match api {
            ApiId::OauthAuthorizeAccount => w.renew_consents(u, now),
            _ => w.register_missing_consents(u, scopes.contains(Scope::Inquiry), scopes.contains(Scope::Transfer), now),
        }
    }
    let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let redirect_uri = p("redirect_uri");
    let code = center.tokens.new_code(CodeGrant {
        user_seq_no: seq.to_string(),
        scopes,
        redirect_uri: redirect_uri.clone(),
        expires_at: now + Duration::seconds(CODE_LIFETIME_SECS),
    });
    let query = serde_urlencoded::to_string([
        ("code", code.as_str()),
        ("scope", scopes.to_wire().as_str()),
        ("client_info", p("client_info").as_str()),
        ("state", p("state").as_str()),
    ])
    .unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{query}");
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            r.headers_mut().insert(header::LOCATION, v);
            Flow::Raw(r, Some(RspCode::Success.code().to_string()))
        }
        Err(_) => oauth_error(RspCode::AuthParameterError, "redirect_uri"),
    }
}

/// `POST /oauth/2.0/token`: authorization_code, refresh_token or client_credentials.
pub async fn token(center: Arc<Center>, req: axum::extract::Request) -> Response<Body> {
    let inc = Incoming::from_request(req, center.config.max_body_bytes).await;
    let params = params_of(&inc, &inc.body).unwrap_or_default();
    let api = match params.get("grant_type").and_then(Value::as_str) {
        Some("refresh_token") => ApiId::OauthTokenRefresh,
        Some("client_credentials") => ApiId::OauthTokenClient,
        _ => ApiId::OauthToken,
    };
    let flow = token_flow(&center, api, &inc, &params);
    finish(&center, Some(api), &inc, flow).await
}

fn client_authenticated(center: &Center, params: &serde_json::Map<String, Value>) -> bool {
    let inst = center.institution();
    let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    p("client_id") == inst.client_id && p("client_secret") == inst.client_secret
}

fn token_flow(center: &Center, api: ApiId, inc: &Incoming, params: &serde_json::Map<String, Value>) -> Flow {
    if inc.method != axum::http::Method::POST {
        return oauth_error(RspCode::WrongMethod, "POST only");
    }
    if params
        .get("grant_type")
        .and_then(Value::as_str)
        .is_none_or(|g| !["authorization_code", "refresh_token", "client_credentials"].contains(&g))
    {
        return oauth_error(
            RspCode::AuthParameterError,
            "grant_type은 authorization_code, refresh_token, client_credentials 중 하나",
        );
    }
    if let Err(e) = check_fields(api.api().request, params) {
        return oauth_error(RspCode::AuthParameterError, e);
    }
    if !client_authenticated(center, params) {
        return oauth_error(RspCode::AuthParameterError, "client_id 또는 client_secret 불일치");
    }
    let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let now = center.now();
    let issued = match api {
        ApiId::OauthToken => {
            let Some(grant) = center.tokens.redeem_code(&p("code"), &p("redirect_uri"), now) else {
                return oauth_error(RspCode::AuthParameterError, "유효하지 않은 code");
            };
            center.tokens.issue_user(&grant.user_seq_no, grant.scopes, now)
        }
        ApiId::OauthTokenRefresh => {
            let scope = match params.get("scope").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => match Scopes::parse(s) {
                    Ok(s) => Some(s),
                    Err(e) => return oauth_error(RspCode::AuthParameterError, e),
                },
            };
            match center.tokens.refresh(&p("refresh_token"), scope, now) {
                Ok(i) => i,
                Err(why) => return oauth_error(RspCode::AuthParameterError, why),
            }
        }
        _ => {
            let scope = Scopes::parse(&p("scope")).unwrap_or_default();
            center.tokens.issue_institution(center.institution().client_use_code.as_str(), scope, now)
        }
    };
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "scope": issued.scopes.to_wire(),
    });
    if let Some(r) = issued.refresh_token {
        body["refresh_token"] = r.into();
    }
    match issued.user_seq_no {
        Some(u) => body["user_seq_no"] = u.into(),
        None => body["client_use_code"] = center.institution().client_use_code.as_str().into(),
    }
    Flow::Raw(json_response(StatusCode::OK, body.to_string().into_bytes()), None)
}

/// `POST /oauth/2.0/revoke`.
pub async fn revoke(center: Arc<Center>, req: axum::extract::Request) -> Response<Body> {
    let inc = Incoming::from_request(req, center.config.max_body_bytes).await;
    let params = params_of(&inc, &inc.body).unwrap_or_default();
    let flow = if inc.method != axum::http::Method::POST {
        oauth_error(RspCode::WrongMethod, "POST only")
    } else if let Err(e) = check_fields(ApiId::OauthRevoke.api().request, &params) {
        oauth_error(RspCode::AuthParameterError, e)
    } else if !client_authenticated(center.as_ref(), &params) {
        oauth_error(RspCode::AuthParameterError, "client_id 또는 client_secret 불일치")
    } else {
        let token = params.get("access_token").and_then(Value::as_str).unwrap_or("");
        if center.tokens.revoke(token) {
            // [project rule] revocation succeeds with O0000.
            let body = json!({ "rsp_code": OAUTH_REVOKED, "rsp_message": "성공" });
            Flow::Raw(json_response(StatusCode::OK, body.to_string().into_bytes()), Some(OAUTH_REVOKED.into()))
        } else {
            oauth_error(RspCode::AccessTokenRejected, "알 수 없는 토큰")
        }
    };
    finish(&center, Some(ApiId::OauthRevoke), &inc, flow).await
}
