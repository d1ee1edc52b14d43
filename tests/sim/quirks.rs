//! Each defect mode makes the simulator non-conformant in exactly its own way.

use obharness::sim::{Quirk, SimConfig};
use serde_json::json;

use crate::common::*;

async fn with(quirk: Quirk) -> Sim {
    Sim::with(SimConfig { quirks: vec![quirk], ..SimConfig::embedded() }).await
}

#[tokio::test]
async fn double_debit_on_duplicate() {
    let sim = with(Quirk::DoubleDebitOnDuplicate).await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1000").await;
    sim.withdraw(&token, &body).await;
    assert_eq!(rsp(&sim.withdraw(&token, &body).await), "A0326");
    assert_eq!(sim.balance_of(FIN1).await, before - 2000, "the defect: money moved twice");
}

#[tokio::test]
async fn ignore_ip_whitelist() {
    let sim = with(Quirk::IgnoreIpWhitelist).await;
    let token = sim.user_token(USER1).await;
    let v = sim
        .post_via(
            &client_from("127.0.0.9"),
            &token,
            "/v2.0/transfer/withdraw/fin_num",
            &sim.withdraw_body(FIN1, "1000").await,
        )
        .await;
    assert_eq!(rsp(&v), "A0000");
}

#[tokio::test]
async fn consent_never_expires() {
    let sim = with(Quirk::ConsentNeverExpires).await;
    sim.advance(400 * 86_400).await;
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await), "A0000");
}

#[tokio::test]
async fn result_inquiry_lies() {
    let sim = with(Quirk::ResultInquiryLies).await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    sim.arm(json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0007", "commit": "no"})).await;
    let before = sim.balance_of(FIN1).await;
    let body = sim.withdraw_body(FIN1, "1000").await;
    sim.withdraw(&token, &body).await;
    assert_eq!(sim.balance_of(FIN1).await, before);
    let item = sim.result(&oob, "1", body["bank_tran_id"].as_str().unwrap(), &sim.today().await, "1000").await;
    assert_eq!(item["bank_rsp_code"], "000", "the defect: reports a transfer that never happened");
}

#[tokio::test]
async fn commit_on_a0017() {
    let sim = with(Quirk::CommitOnA0017).await;
    let token = sim.user_token(USER1).await;
    sim.arm(json!({"api": "transfer.withdraw", "action": "respond", "rsp_code": "A0017", "bank_rsp_code": "311"}))
        .await;
    let before = sim.balance_of(FIN1).await;
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "1000").await).await), "A0017");
    assert_eq!(sim.balance_of(FIN1).await, before - 1000, "the defect: a refused transfer moved money");
}

#[tokio::test]
async fn http_500_on_bad_json() {
    let sim = with(Quirk::Http500OnBadJson).await;
    let token = sim.user_token(USER1).await;
    let r = sim
        .http
        .post(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
}
