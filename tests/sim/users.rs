use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn user_me_lists_registered_accounts_with_consent_times() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v = sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
    assert_eq!(rsp(&v), "A0000");
    assert_eq!(v["user_name"], "홍길동");
    assert_eq!(v["res_cnt"], "2");
    let first = &v["res_list"][0];
    assert_eq!(first["fintech_use_num"], FIN1);
    assert_eq!(first["inquiry_agree_yn"], "Y");
    assert_eq!(first["transfer_agree_dtime"], "20260302100000");
    insta::assert_json_snapshot!("user_me", v, { ".api_tran_id" => "[uuid]", ".api_tran_dtm" => "[dtm]" });
}

#[tokio::test]
async fn another_users_seq_no_is_a_user_mismatch() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v = sim.get(&token, "/v2.0/user/me", &[("user_seq_no", "1100000002")]).await;
    assert_eq!(rsp(&v), "A0313");
    let v = sim.balance(&token, FIN_USER2).await;
    assert_eq!(rsp(&v), "A0313", "another user's account");
}

#[tokio::test]
async fn account_list_update_info_and_cancel() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let list = |sort: &'static str, include: &'static str| {
        let sim = &sim;
        let token = token.clone();
        async move {
            sim.get(
                &token,
                "/v2.0/account/list",
                &[("user_seq_no", USER1), ("include_cancel_yn", include), ("sort_order", sort)],
            )
            .await
        }
    };
    let v = list("D", "N").await;
    assert_eq!(v["res_list"][0]["fintech_use_num"], FIN2_USER1, "newest first");
    let v = sim
        .post(&token, "/v2.0/account/update_info", &json!({"fintech_use_num": FIN1, "account_alias": "비상금"}))
        .await;
    assert_eq!(rsp(&v), "A0000");
    assert_eq!(list("A", "N").await["res_list"][0]["account_alias"], "비상금");

    for scope in ["inquiry", "transfer"] {
        let body = json!({"bank_tran_id": sim.tran_id(), "scope": scope, "fintech_use_num": FIN2_USER1});
        assert_eq!(rsp(&sim.post(&token, "/v2.0/account/cancel", &body).await), "A0000");
    }
    assert_eq!(list("A", "N").await["res_cnt"], "1", "a cancelled account is hidden");
    let all = list("A", "Y").await;
    assert_eq!(all["res_cnt"], "2");
    assert_eq!(all["res_list"][1]["account_state"], "09");
    assert_eq!(rsp(&sim.balance(&token, FIN2_USER1).await), "A0305", "inquiry consent cancelled");
}

#[tokio::test]
async fn unlink_revokes_tokens_and_close_makes_the_user_a_closed_member() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v = sim
        .post(
            &token,
            "/v2.0/user/unlink",
            &json!({"client_use_code": sim.inst("client_use_code"), "user_seq_no": USER1}),
        )
        .await;
    assert_eq!(rsp(&v), "A0000");
    assert_eq!(rsp(&sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "O0002");

    let token = sim.user_token(USER1).await;
    let v = sim
        .post(
            &token,
            "/v2.0/user/close",
            &json!({"client_use_code": sim.inst("client_use_code"), "user_seq_no": USER1}),
        )
        .await;
    assert_eq!(rsp(&v), "A0000");
    let r = sim.authorize("/oauth/2.0/authorize", USER1, "login").await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rsp(&v), "A0014");
    let oob = sim.oob_token().await;
    let v = sim.deposit(&oob, &sim.deposit_body(FIN1, "1000").await).await;
    assert_eq!(rsp(&v), "A0014", "no deposits to a closed member");
}

#[tokio::test]
async fn a_wrong_client_use_code_is_a_format_error() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v =
        sim.post(&token, "/v2.0/user/unlink", &json!({"client_use_code": "M999999999", "user_seq_no": USER1})).await;
    assert_eq!(rsp(&v), "A0004");
}
