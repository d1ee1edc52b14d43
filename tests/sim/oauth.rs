use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn headless_approval_redirects_with_code_scope_and_state() {
    let sim = Sim::start().await;
    let r = sim.authorize("/oauth/2.0/authorize", USER1, "login inquiry").await;
    assert_eq!(r.status().as_u16(), 302);
    let loc = reqwest::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(loc.as_str().starts_with(&sim.inst("redirect_uri")));
    let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "login inquiry");
    assert_eq!(q["state"], "0123456789abcdef0123456789abcdef");
    assert_eq!(q["client_info"], "test");
    assert!(!q["code"].is_empty());
}

#[tokio::test]
async fn the_consent_page_lists_users_and_accounts_and_submits_to_itself() {
    let sim = Sim::start().await;
    let r = sim
        .http
        .get(format!("{}/oauth/2.0/authorize", sim.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", &sim.inst("client_id")),
            ("redirect_uri", &sim.inst("redirect_uri")),
            ("scope", "login inquiry transfer"),
            ("client_info", "<script>alert(1)</script>"),
            ("state", "0123456789abcdef0123456789abcdef"),
            ("auth_type", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("홍길동") && html.contains("김철수"));
    assert!(html.contains("name=\"sim_user_seq_no\" value=\"1100000001\""));
    assert!(html.contains("action=\"/oauth/2.0/authorize\""));
    assert!(html.contains("1001000000***"), "accounts are shown masked");
    assert!(!html.contains("<script>alert(1)</script>"), "request values are escaped");
}

#[tokio::test]
async fn a_foreign_redirect_uri_or_client_id_is_rejected() {
    let sim = Sim::start().await;
    let r = sim
        .http
        .get(format!("{}/oauth/2.0/authorize", sim.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", &sim.inst("client_id")),
            ("redirect_uri", "http://attacker.example/cb"),
            ("scope", "login"),
            ("state", "0123456789abcdef0123456789abcdef"),
            ("auth_type", "0"),
            ("sim_user_seq_no", USER1),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(rsp(&v), "O0001");
    assert!(v["rsp_message"].as_str().unwrap().contains("redirect_uri"));
}

#[tokio::test]
async fn token_issue_carries_the_documented_fields() {
    let sim = Sim::start().await;
    let t = sim.user_token_scoped(USER1, "login inquiry transfer").await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 7_775_999);
    assert_eq!(t["scope"], "login inquiry transfer");
    assert_eq!(t["user_seq_no"], USER1);
    assert!(t["refresh_token"].as_str().is_some());
    let oob = sim
        .token_request(&[
            ("client_id", &sim.inst("client_id")),
            ("client_secret", &sim.inst("client_secret")),
            ("scope", "oob"),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(oob["scope"], "oob");
    assert_eq!(oob["client_use_code"], sim.inst("client_use_code"));
}

#[tokio::test]
async fn a_code_redeems_once_and_a_wrong_secret_is_refused() {
    let sim = Sim::start().await;
    let code = sim.code_for("/oauth/2.0/authorize", USER1, "login").await;
    let form = |secret: String| {
        vec![
            ("code", code.clone()),
            ("client_id", sim.inst("client_id")),
            ("client_secret", secret),
            ("redirect_uri", sim.inst("redirect_uri")),
            ("grant_type", "authorization_code".to_string()),
        ]
    };
    let as_ref = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let bad: Value = sim
        .http
        .post(format!("{}/oauth/2.0/token", sim.base))
        .form(&as_ref(&form("nope".into())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rsp(&bad), "O0001");
    let ok: Value = sim
        .http
        .post(format!("{}/oauth/2.0/token", sim.base))
        .form(&as_ref(&form(sim.inst("client_secret"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ok["access_token"].is_string(), "{ok}");
    let again: Value = sim
        .http
        .post(format!("{}/oauth/2.0/token", sim.base))
        .form(&as_ref(&form(sim.inst("client_secret"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rsp(&again), "O0001");
}

#[tokio::test]
async fn missing_bad_and_wrong_scope_tokens_get_o_codes_as_http_200() {
    let sim = Sim::start().await;
    let r = sim.http.get(format!("{}/v2.0/user/me?user_seq_no={USER1}", sim.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(rsp(&r.json::<Value>().await.unwrap()), "O0001");
    let v = sim.get("not-a-token", "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
    assert_eq!(rsp(&v), "O0002");
    let login_only = sim.user_token_scoped(USER1, "login").await["access_token"].as_str().unwrap().to_string();
    let v = sim.balance(&login_only, FIN1).await;
    assert_eq!(rsp(&v), "O0011");
    let oob = sim.oob_token().await;
    let v = sim.get(&oob, "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
    assert_eq!(rsp(&v), "O0011", "an institution token has no login scope");
}

#[tokio::test]
async fn tokens_expire_after_90_days_of_virtual_time() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    sim.advance(89 * 86_400).await;
    assert_eq!(rsp(&sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "A0000");
    sim.advance(86_400).await;
    assert_eq!(rsp(&sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "O0002");
}

#[tokio::test]
async fn refresh_issues_a_new_pair_and_revoke_kills_a_token() {
    let sim = Sim::start().await;
    let t = sim.user_token_scoped(USER1, "login inquiry").await;
    let old = t["access_token"].as_str().unwrap();
    let refreshed = sim
        .token_request(&[
            ("client_id", &sim.inst("client_id")),
            ("client_secret", &sim.inst("client_secret")),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("scope", "login inquiry"),
            ("grant_type", "refresh_token"),
        ])
        .await;
    let new = refreshed["access_token"].as_str().expect("refreshed").to_string();
    assert_eq!(rsp(&sim.get(old, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "O0002");
    assert_eq!(rsp(&sim.get(&new, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "A0000");
    let revoked: Value = sim
        .http
        .post(format!("{}/oauth/2.0/revoke", sim.base))
        .form(&[
            ("client_id", sim.inst("client_id")),
            ("client_secret", sim.inst("client_secret")),
            ("access_token", new.clone()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rsp(&revoked), "O0000");
    assert_eq!(rsp(&sim.get(&new, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "O0002");
}
