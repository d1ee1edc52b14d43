use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn withdraw_debits_the_user_and_credits_the_institution() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let total = sim.total_money().await;
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "15000").await).await;
    assert_eq!(rsp(&v), "A0000", "{v}");
    assert_eq!(v["bank_rsp_code"], "000");
    assert_eq!(v["wd_limit_remain_amt"], "9985000");
    assert_eq!(v["dps_account_holder_name"], sim.inst("name"));
    assert_eq!(sim.balance_of(FIN1).await, before - 15000);
    assert_eq!(sim.total_money().await, total);
    insta::assert_json_snapshot!("withdraw", v, {
        ".api_tran_id" => "[uuid]", ".api_tran_dtm" => "[dtm]", ".bank_tran_id" => "[id]", ".bank_tran_date" => "[date]"
    });
}

#[tokio::test]
async fn insufficient_balance_is_a0002_453_and_moves_nothing() {
    let sim = Sim::start().await;
    let total = sim.total_money().await;
    // User 3 has no 출금동의 until they authorize with the transfer scope.
    let token =
        sim.user_token_scoped("1100000003", "login inquiry").await["access_token"].as_str().unwrap().to_string();
    let me = sim.get(&token, "/v2.0/user/me", &[("user_seq_no", "1100000003")]).await;
    assert_eq!(me["res_list"][0]["transfer_agree_yn"], "N");
    let token = sim.user_token("1100000003").await;
    let cancel = json!({"bank_tran_id": sim.tran_id(), "scope": "transfer", "fintech_use_num": FIN_USER3});
    assert_eq!(rsp(&sim.post(&token, "/v2.0/account/cancel", &cancel).await), "A0000");
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN_USER3, "20000").await).await;
    assert_eq!(rsp(&v), "A0306");
    let token = sim.user_token("1100000002").await;
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN_USER2, "300001").await).await;
    assert_eq!((rsp(&v), v["bank_rsp_code"].as_str()), ("A0002", Some("453")));
    assert_eq!(sim.balance_of(FIN_USER2).await, 300_000);
    assert_eq!(sim.total_money().await, total);
}

#[tokio::test]
async fn per_transfer_and_daily_limits() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "5000001").await).await), "A0111");
    for _ in 0..2 {
        assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "5000000").await).await), "A0000");
    }
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "1").await).await;
    assert_eq!(rsp(&v), "A0112");
    sim.advance(86_400).await;
    let v = sim.withdraw(&token, &sim.withdraw_body(FIN1, "1").await).await;
    assert_eq!((rsp(&v), v["wd_limit_remain_amt"].as_str()), ("A0000", Some("9999999")));
}

#[tokio::test]
async fn aml_fields_are_enforced_with_a_precise_message() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let mut both = sim.withdraw_body(FIN1, "1000").await;
    both["req_client_bank_code"] = "097".into();
    both["req_client_account_num"] = "1001000000001".into();
    let v = sim.withdraw(&token, &both).await;
    assert_eq!(rsp(&v), "A0004");
    assert!(v["rsp_message"].as_str().unwrap().contains("하나만"), "{v}");
    let mut neither = sim.withdraw_body(FIN1, "1000").await;
    neither.as_object_mut().unwrap().remove("req_client_fintech_use_num");
    assert!(sim.withdraw(&token, &neither).await["rsp_message"].as_str().unwrap().contains("필요"));
    let mut no_recv = sim.withdraw_body(FIN1, "1000").await;
    no_recv.as_object_mut().unwrap().remove("recv_client_account_num");
    let v = sim.withdraw(&token, &no_recv).await;
    assert_eq!(rsp(&v), "A0004");
    assert!(v["rsp_message"].as_str().unwrap().contains("recv_client_account_num"));
    assert_eq!(sim.balance_of(FIN1).await, before);
}

#[tokio::test]
async fn bank_tran_id_layout_is_checked_against_the_institution() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    for bad in ["T991234567U000000001", "M202601315X000000001", "M202601315U00001"] {
        let mut body = sim.withdraw_body(FIN1, "1000").await;
        body["bank_tran_id"] = bad.into();
        let v = sim.withdraw(&token, &body).await;
        assert_eq!(rsp(&v), "A0004", "{bad}: {v}");
    }
}

#[tokio::test]
async fn an_unknown_contract_account_is_a0322() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let mut body = sim.withdraw_body(FIN1, "1000").await;
    body["cntr_account_num"] = "1234567890".into();
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0322");
}

#[tokio::test]
async fn a_reused_bank_tran_id_is_a0326_and_money_moves_once() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1000").await;
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0000");
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0326");
    assert_eq!(sim.balance_of(FIN1).await, before - 1000);
}

#[tokio::test]
async fn concurrent_duplicates_move_money_once() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1000").await;
    let calls = (0..16).map(|_| sim.withdraw(&token, &body));
    let answers = futures_join_all(calls).await;
    let ok = answers.iter().filter(|v| rsp(v) == "A0000").count();
    let dup = answers.iter().filter(|v| rsp(v) == "A0326").count();
    assert_eq!((ok, dup), (1, 15));
    assert_eq!(sim.balance_of(FIN1).await, before - 1000);
}

pub use obharness::target::step::join_all as futures_join_all;

#[tokio::test]
async fn transfer_apis_are_denied_from_an_unregistered_address() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let stranger = client_from("127.0.0.9");
    let before = sim.balance_of(FIN1).await;
    let v = sim
        .post_via(&stranger, &token, "/v2.0/transfer/withdraw/fin_num", &sim.withdraw_body(FIN1, "1000").await)
        .await;
    assert_eq!(rsp(&v), "A0301");
    let v =
        sim.post_via(&stranger, &oob, "/v2.0/transfer/deposit/fin_num", &sim.deposit_body(FIN1, "1000").await).await;
    assert_eq!(rsp(&v), "A0301");
    let result = json!({"check_type": "1", "tran_dtime": sim.tran_dtime().await, "req_cnt": "1",
        "req_list": [{"tran_no": "1", "org_bank_tran_id": sim.tran_id(), "org_bank_tran_date": sim.today().await, "org_tran_amt": "1"}]});
    assert_eq!(rsp(&sim.post_via(&stranger, &oob, "/v2.0/transfer/result", &result).await), "A0301");
    for path in ["/v2.0/return/claim", "/v2.0/return/result"] {
        assert_eq!(rsp(&sim.post_via(&stranger, &oob, path, &json!({})).await), "A0301", "{path}");
    }
    assert_eq!(sim.balance_of(FIN1).await, before);
    // Inquiries are not whitelist-only.
    let v = stranger
        .get(format!("{}/v2.0/user/me?user_seq_no={USER1}", sim.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(rsp(&v), "A0000");
    // The registered address is accepted.
    let registered = client_from("127.0.0.1");
    let v = sim
        .post_via(&registered, &token, "/v2.0/transfer/withdraw/fin_num", &sim.withdraw_body(FIN1, "1000").await)
        .await;
    assert_eq!(rsp(&v), "A0000");
}

#[tokio::test]
async fn the_denial_code_is_configurable_and_forwarded_headers_need_a_trusted_proxy() {
    let mut config = obharness::sim::SimConfig::embedded();
    config.access_denied_code = obharness::protocol::RspCode::NoApiPermission;
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let sim = Sim::with(config).await;
    let token = sim.user_token(USER1).await;
    let send = |xff: &'static str| {
        let sim = &sim;
        let token = token.clone();
        async move {
            sim.http
                .post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base))
                .bearer_auth(token)
                .header("X-Forwarded-For", xff)
                .json(&sim.withdraw_body(FIN1, "1000").await)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(rsp(&send("203.0.113.7").await), "A0011", "the forwarded client is judged");
    // The right-most address that is not a trusted proxy is the caller: a hop through the
    // proxy itself does not launder the client's address.
    assert_eq!(rsp(&send("203.0.113.7, 127.0.0.1").await), "A0011", "the proxy's own hop is skipped");
    assert_eq!(rsp(&send("[::1]:4711").await), "A0000", "a whitelisted forwarded client");
    // From an untrusted peer the header is ignored.
    let stranger = client_from("127.0.0.9");
    let v = stranger
        .post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base))
        .bearer_auth(&token)
        .header("X-Forwarded-For", "127.0.0.1")
        .json(&sim.withdraw_body(FIN1, "1000").await)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(rsp(&v), "A0011");
}

#[tokio::test]
async fn withdraw_consent_expires_after_a_year_and_is_renewed() {
    let sim = Sim::start().await;
    sim.advance(366 * 86_400).await;
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await), "A0319");
    assert_eq!(
        sim.authorize("/oauth/2.0/authorize_account", USER1, "login inquiry transfer").await.status().as_u16(),
        302
    );
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await), "A0000");
}

#[tokio::test]
async fn deposit_credits_the_user_and_checks_pass_phrase_and_name() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    let before = sim.balance_of(FIN_USER2).await;
    let v = sim.deposit(&oob, &sim.deposit_body(FIN_USER2, "2500").await).await;
    assert_eq!(rsp(&v), "A0000", "{v}");
    assert_eq!(v["res_list"][0]["bank_rsp_code"], "000");
    assert_eq!(v["res_list"][0]["account_holder_name"], "김철수");
    assert_eq!(sim.balance_of(FIN_USER2).await, before + 2500);

    let mut wrong_phrase = sim.deposit_body(FIN_USER2, "2500").await;
    wrong_phrase["wd_pass_phrase"] = "guess".into();
    assert_eq!(rsp(&sim.deposit(&oob, &wrong_phrase).await), "A0307");

    let mut checked = sim.deposit_body(FIN_USER2, "2500").await;
    checked["name_check_option"] = "on".into();
    checked["req_list"][0]["recv_client_name"] = "김영수".into();
    assert_eq!(rsp(&sim.deposit(&oob, &checked).await), "A0312");
    checked["req_list"][0]["bank_tran_id"] = sim.tran_id().into();
    checked["req_list"][0]["recv_client_name"] = "김철수".into();
    assert_eq!(rsp(&sim.deposit(&oob, &checked).await), "A0000");
    assert_eq!(sim.balance_of(FIN_USER2).await, before + 5000);
}

#[tokio::test]
async fn transfer_result_reports_completed_and_unknown_transfers() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let body = sim.withdraw_body(FIN1, "3000").await;
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0000");
    let id = body["bank_tran_id"].as_str().unwrap();
    let item = sim.result(&oob, "1", id, &sim.today().await, "3000").await;
    assert_eq!(item["bank_rsp_code"], "000");
    assert_eq!(
        (item["wd_account_holder_name"].as_str(), item["wd_fintech_use_num"].as_str()),
        (Some("홍길동"), Some(FIN1))
    );
    assert_eq!((item["dps_bank_name"].as_str(), item["dps_fintech_use_num"].as_str()), (Some("오픈은행"), Some("")));
    assert!(item.get("rsp_code").is_none(), "KFTC's row layout has no rsp_code: {item}");
    let unknown = sim.tran_id();
    let v = sim.result_answer(&oob, "1", &unknown, &sim.today().await, "3000").await;
    assert_eq!((rsp(&v), v["res_cnt"].as_str()), ("A0310", Some("0")));
    assert!(v["rsp_message"].as_str().unwrap().contains("tran_no 1"), "names the unknown original: {v}");
    let v = sim.result_answer(&oob, "2", id, &sim.today().await, "3000").await;
    assert_eq!(rsp(&v), "A0310", "a withdraw is not a deposit");
    // Known and unknown originals together: the known one's row, and A0310 naming the other.
    let body = json!({
        "check_type": "1",
        "tran_dtime": sim.tran_dtime().await,
        "req_cnt": "2",
        "req_list": [
            { "tran_no": "1", "org_bank_tran_id": id, "org_bank_tran_date": sim.today().await, "org_tran_amt": "3000" },
            { "tran_no": "2", "org_bank_tran_id": unknown, "org_bank_tran_date": sim.today().await, "org_tran_amt": "3000" },
        ],
    });
    let v = sim.post(&oob, "/v2.0/transfer/result", &body).await;
    assert_eq!(
        (rsp(&v), v["res_cnt"].as_str(), v["res_list"][0]["bank_tran_id"].as_str()),
        ("A0310", Some("1"), Some(id))
    );
}

#[tokio::test]
async fn return_claim_returns_a_deposit_after_a_day() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    let dep = sim.deposit_body(FIN_USER2, "9000").await;
    assert_eq!(rsp(&sim.deposit(&oob, &dep).await), "A0000");
    let after_deposit = sim.balance_of(FIN_USER2).await;
    let org_id = dep["req_list"][0]["bank_tran_id"].as_str().unwrap().to_string();
    let today = sim.today().await;
    let claim_id = sim.tran_id();
    let claim = json!({"bank_tran_id": claim_id, "org_bank_tran_id": org_id, "org_bank_tran_date": today,
        "org_tran_amt": "9000", "claim_code": "05", "claim_message": "착오송금", "total_return_yn": "Y"});
    let v = sim.post(&oob, "/v2.0/return/claim", &claim).await;
    assert_eq!((rsp(&v), v["org_tran_amt"].as_str()), ("A0000", Some("9000")), "{v}");
    assert_eq!(v["org_dps_fintech_use_num"], FIN_USER2);
    let query = || async {
        sim.post(
            &oob,
            "/v2.0/return/result",
            &json!({"bank_tran_id": sim.tran_id(), "org_bank_tran_id": claim_id,
            "org_bank_tran_date": today, "tran_dtime": sim.tran_dtime().await}),
        )
        .await
    };
    assert_eq!(query().await["claim_state"], "1");
    sim.advance(86_400).await;
    let v = query().await;
    assert_eq!((v["claim_state"].as_str(), v["returned_amt"].as_str()), (Some("2"), Some("9000")));
    assert_eq!(sim.balance_of(FIN_USER2).await, after_deposit - 9000);
    let mut again = claim.clone();
    again["bank_tran_id"] = sim.tran_id().into();
    assert_eq!(rsp(&sim.post(&oob, "/v2.0/return/claim", &again).await), "A0008", "one claim per deposit");
}
