use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a0007_with_commit_moves_money_and_the_result_inquiry_says_so() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0007", "commit": "yes"})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1200").await;
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0007");
    assert_eq!(sim.balance_of(FIN1).await, before - 1200);
    let item = sim.result(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "1200").await;
    assert_eq!((item["bank_rsp_code"].as_str(), item["bank_rsp_message"].as_str()), (Some("000"), Some("")));
}

#[tokio::test]
async fn a0007_without_commit_moves_nothing_and_the_result_inquiry_finds_nothing() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0007", "commit": "no"})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1200").await;
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0007");
    assert_eq!(sim.balance_of(FIN1).await, before);
    let v = sim.result_answer(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "1200").await;
    assert_eq!((rsp(&v), v["res_cnt"].as_str()), ("A0310", Some("0")), "{v}");
}

#[tokio::test]
async fn a0017_311_refuses_and_the_result_inquiry_agrees() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "tran_amt": "3100", "action": "respond", "rsp_code": "A0017", "bank_rsp_code": "311"})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "3100").await;
    let v = sim.withdraw(&token, &body).await;
    assert_eq!((rsp(&v), v["bank_rsp_code"].as_str()), ("A0017", Some("311")));
    assert_eq!(sim.balance_of(FIN1).await, before);
    let item = sim.result(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "3100").await;
    assert_eq!(item["bank_rsp_code"], "311", "the bank's refusal is the original's outcome");
    // Another amount does not match the rule.
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "3101").await).await), "A0000");
}

#[tokio::test]
async fn a_pending_deposit_turns_final_after_the_result_inquiries() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.deposit", "action": "respond", "rsp_code": "A0001", "bank_rsp_code": "400",
                   "settle_after_inquiries": 2}))
        .await;
    let before = sim.balance_of(FIN_USER2).await;
    let body = sim.deposit_body(FIN_USER2, "4000").await;
    let v = sim.deposit(&oob, &body).await;
    assert_eq!(rsp(&v), "A0001");
    assert_eq!(v["res_list"][0]["bank_rsp_code"], "400");
    assert_eq!(sim.balance_of(FIN_USER2).await, before, "not yet");
    let id = body["req_list"][0]["bank_tran_id"].as_str().unwrap();
    let today = sim.today().await;
    let first = sim.result(&oob, "2", id, &today, "4000").await;
    assert_eq!(first["bank_rsp_code"], "400");
    let second = sim.result(&oob, "2", id, &today, "4000").await;
    assert_eq!(second["bank_rsp_code"], "000");
    assert_eq!(sim.balance_of(FIN_USER2).await, before + 4000);
}

#[tokio::test]
async fn a_pending_deposit_turns_final_after_virtual_seconds() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.deposit", "action": "respond", "rsp_code": "A0001", "bank_rsp_code": "400",
                   "commit": "later", "settle_after_seconds": 30}))
        .await;
    let before = sim.balance_of(FIN_USER2).await;
    assert_eq!(rsp(&sim.deposit(&oob, &sim.deposit_body(FIN_USER2, "4000").await).await), "A0001");
    assert_eq!(sim.balance_of(FIN_USER2).await, before);
    sim.advance(31).await;
    assert_eq!(sim.balance_of(FIN_USER2).await, before + 4000);
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_and_the_truth_is_in_the_result() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "nth": 1, "action": "drop", "commit": "yes"})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "800").await;
    let err = sim
        .http
        .post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect_err("no response");
    assert!(!err.is_timeout(), "closed, not hung: {err}");
    assert_eq!(sim.balance_of(FIN1).await, before - 800);
    let item = sim.result(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "800").await;
    assert_eq!(item["bank_rsp_code"], "000");
    let journal = sim.admin_get("/_sim/journal").await;
    let entry =
        journal["entries"].as_array().unwrap().iter().find(|e| e["api"] == "transfer.withdraw").unwrap().clone();
    assert_eq!(entry["dropped"], true);
    assert_eq!(entry["bank_tran_id"], body["bank_tran_id"]);
    // nth: 1 fired once; the next call is answered.
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "800").await).await), "A0000");
}

#[tokio::test]
async fn a_delay_rule_delays_the_answer() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    sim.arm(json!({"api": "account.balance", "action": "delay", "ms": 150})).await;
    let t = Instant::now();
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");
    assert!(t.elapsed() >= Duration::from_millis(150));
    let (status, cleared) = sim.admin_post("/_sim/faults", json!({"api": "transfer.withdrw", "action": "drop"})).await;
    assert_eq!(status, 400);
    assert!(cleared["error"].as_str().unwrap().contains("transfer.withdrw"), "{cleared}");
}

#[tokio::test]
async fn the_journal_records_peer_api_id_and_codes_and_redacts_secrets() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    sim.balance(&token, FIN1).await;
    let j = sim.admin_get("/_sim/journal").await;
    let entries = j["entries"].as_array().unwrap();
    let token_call = entries.iter().find(|e| e["api"] == "oauth.token").unwrap();
    assert_eq!(token_call["request"]["client_secret"], "[redacted]");
    let bal = entries.iter().find(|e| e["api"] == "account.balance").unwrap();
    assert_eq!(bal["rsp_code"], "A0000");
    assert_eq!(bal["bank_rsp_code"], "000");
    assert!(bal["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(bal["request"]["fintech_use_num"], FIN1);
    let after: u64 = bal["seq"].as_u64().unwrap();
    let later = sim.admin_get(&format!("/_sim/journal?after={after}")).await;
    assert!(later["entries"].as_array().unwrap().iter().all(|e| e["seq"].as_u64().unwrap() > after));
}

#[tokio::test]
async fn reset_restores_the_fixture_and_forgets_everything() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await;
    sim.advance(1000).await;
    let (s, v) = sim.admin_post("/_sim/reset", json!({})).await;
    assert_eq!(s, 200);
    assert!(v["clock"]["tran_dtime"].as_str().unwrap().starts_with("2026030210"));
    assert_eq!(sim.balance_of(FIN1).await, before);
    assert_eq!(rsp(&sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await), "O0002");
    assert!(sim.admin_get("/_sim/journal").await["entries"].as_array().unwrap().len() <= 1);
}

#[tokio::test]
async fn the_admin_api_needs_its_token_and_can_add_users() {
    let sim = Sim::start().await;
    let r = sim.http.get(format!("{}/_sim/clock", sim.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let user = json!({"users": [{"user_seq_no": "1100000099", "user_name": "박민수", "user_ci": "CI-PARK", "birth_date": "950505",
        "accounts": [{"fintech_use_num": "120260000099000000000001", "account_num": "1001000000991", "account_holder_name": "박민수",
                      "balance_amt": "50000"}]}]});
    let (s, _) = sim.admin_post("/_sim/fixture", user.clone()).await;
    assert_eq!(s, 200);
    let token = sim.user_token("1100000099").await;
    assert_eq!(sim.balance(&token, "120260000099000000000001").await["balance_amt"], "50000");
    let (s, v) = sim.admin_post("/_sim/fixture", user).await;
    assert_eq!(s, 422, "duplicate user: {v}");
    let (s, v) = sim.admin_post("/_sim/clock/advance", json!({"seconds": "soon"})).await;
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("seconds"), "{v}");
}

#[tokio::test]
async fn a_transfer_whose_client_gave_up_still_completes_and_is_journaled() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "action": "delay", "ms": 300})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "900").await;
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    let err = impatient
        .post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect_err("the client times out first");
    assert!(err.is_timeout());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sim.balance_of(FIN1).await, before - 900, "the center finished the transfer");
    let item = sim.result(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "900").await;
    assert_eq!(item["bank_rsp_code"], "000", "and 이체결과조회 says so");
    let journal = sim.admin_get("/_sim/journal").await;
    assert!(
        journal["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["bank_tran_id"] == body["bank_tran_id"] && e["rsp_code"] == "A0000")
    );
}
