use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn balance_answers_with_bank_fields_and_the_ledger_balance() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v = sim.balance(&token, FIN1).await;
    assert_eq!(rsp(&v), "A0000");
    assert_eq!(v["bank_rsp_code"], "000");
    assert_eq!(v["bank_code_tran"], "097");
    assert_eq!(v["balance_amt"].as_str().unwrap().parse::<u64>().unwrap(), sim.balance_of(FIN1).await);
    assert_eq!(v["api_tran_dtm"].as_str().unwrap().len(), 17);
    assert!(v["api_tran_id"].as_str().unwrap().len() <= 40);
    insta::assert_json_snapshot!("balance", v, {
        ".api_tran_id" => "[uuid]", ".api_tran_dtm" => "[dtm]", ".bank_tran_id" => "[id]"
    });
}

async fn tx_page(sim: &Sim, token: &str, trace: Option<&str>, sort: &str, kind: &str) -> Value {
    let id = sim.tran_id();
    let dt = sim.tran_dtime().await;
    let mut q = vec![
        ("bank_tran_id", id.as_str()),
        ("fintech_use_num", FIN1),
        ("inquiry_type", kind),
        ("inquiry_base", "D"),
        ("from_date", "20250101"),
        ("to_date", "20261231"),
        ("sort_order", sort),
        ("tran_dtime", dt.as_str()),
    ];
    if let Some(t) = trace {
        q.push(("befor_inquiry_trace_info", t));
    }
    sim.get(token, "/v2.0/account/transaction_list/fin_num", &q).await
}

#[tokio::test]
async fn transaction_list_pages_by_25_with_trace_info() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let mut seen = 0;
    let mut trace: Option<String> = None;
    let mut pages = 0;
    loop {
        let v = tx_page(&sim, &token, trace.as_deref(), "D", "A").await;
        assert_eq!(rsp(&v), "A0000", "{v}");
        let cnt: usize = v["page_record_cnt"].as_str().unwrap().parse().unwrap();
        assert!(cnt <= 25);
        assert_eq!(v["res_list"].as_array().unwrap().len(), cnt);
        seen += cnt;
        pages += 1;
        if v["next_page_yn"] == "N" {
            break;
        }
        trace = Some(v["befor_inquiry_trace_info"].as_str().unwrap().to_string());
    }
    assert_eq!((seen, pages), (60, 3), "60 seeded transactions in pages of 25, 25, 10");
}

#[tokio::test]
async fn transaction_list_shows_new_transfers_first_and_filters_direction() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let w = sim.withdraw(&token, &sim.withdraw_body(FIN1, "4321").await).await;
    assert_eq!(rsp(&w), "A0000");
    let v = tx_page(&sim, &token, None, "D", "O").await;
    let first = &v["res_list"][0];
    assert_eq!(first["tran_amt"], "4321");
    assert_eq!(first["inout_type"], "출금");
    assert!(v["res_list"].as_array().unwrap().iter().all(|r| r["inout_type"] == "출금"));
    assert_eq!(first["after_balance_amt"], v["balance_amt"]);
}

#[tokio::test]
async fn a_trace_the_simulator_did_not_issue_starts_from_the_first_page() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let first = tx_page(&sim, &token, None, "D", "A").await;
    let foreign = tx_page(&sim, &token, Some("123"), "D", "A").await;
    assert_eq!(rsp(&foreign), "A0000");
    assert_eq!(foreign["res_list"], first["res_list"]);
}

#[tokio::test]
async fn inquiry_consent_expires_after_a_year_and_authorize_account_renews_it() {
    let sim = Sim::start().await;
    sim.advance(364 * 86_400).await;
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");
    sim.advance(2 * 86_400).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0316");
    // 사용자인증 재인증 (auth_type 1) issues a token but renews no consent.
    let fresh = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.balance(&fresh, FIN1).await), "A0316");
    // 계좌등록확인 renews both consents when the user approves.
    let r = sim.authorize("/oauth/2.0/authorize_account", USER1, "login inquiry transfer").await;
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(rsp(&sim.balance(&fresh, FIN1).await), "A0000");
    let acct = sim.admin_get(&format!("/_sim/accounts/{FIN1}")).await;
    assert!(acct["inquiry_agree_dtime"].as_str().unwrap().starts_with("2027"));
}

#[tokio::test]
async fn real_name_checks_the_birth_date_and_unknown_accounts_get_818() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    let body = |acct: &str, info: &str, id: String, dt: String| {
        json!({"bank_tran_id": id, "bank_code_std": "097", "account_num": acct,
               "account_holder_info_type": " ", "account_holder_info": info, "tran_dtime": dt})
    };
    let v = sim
        .post(&oob, "/v2.0/inquiry/real_name", &body("1001000000001", "880101", sim.tran_id(), sim.tran_dtime().await))
        .await;
    assert_eq!(rsp(&v), "A0000");
    assert_eq!(v["account_holder_name"], "홍길동");
    let v = sim
        .post(&oob, "/v2.0/inquiry/real_name", &body("1001000000001", "990101", sim.tran_id(), sim.tran_dtime().await))
        .await;
    assert_eq!((rsp(&v), v["bank_rsp_code"].as_str()), ("A0002", Some("818")));
    let v = sim
        .post(&oob, "/v2.0/inquiry/real_name", &body("9999999", "880101", sim.tran_id(), sim.tran_dtime().await))
        .await;
    assert_eq!((rsp(&v), v["bank_rsp_code"].as_str()), ("A0002", Some("818")));
}

#[tokio::test]
async fn remit_list_shows_who_paid_into_the_institutions_account() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.withdraw(&token, &sim.withdraw_body(FIN1, "7000").await).await), "A0000");
    let oob = sim.oob_token().await;
    let today = sim.today().await;
    let v = sim
        .post(
            &oob,
            "/v2.0/inquiry/remit_list",
            &json!({"bank_tran_id": sim.tran_id(), "bank_code_std": "097", "account_num": sim.inst("cntr_account_num"),
                    "from_date": today, "from_time": "000000", "to_date": today, "to_time": "235959",
                    "sort_order": "D", "tran_dtime": sim.tran_dtime().await}),
        )
        .await;
    assert_eq!(rsp(&v), "A0000", "{v}");
    assert_eq!(v["page_record_cnt"], "1");
    assert_eq!(v["res_list"][0]["remitter_name"], "홍길동");
    assert_eq!(v["res_list"][0]["tran_amt"], "7000");
}

#[tokio::test]
async fn receive_names_the_recipient_and_checks_the_contract_account() {
    let sim = Sim::start().await;
    let oob = sim.oob_token().await;
    let mut body = json!({"bank_tran_id": sim.tran_id(), "cntr_account_type": "N", "cntr_account_num": sim.inst("cntr_account_num"),
        "bank_code_std": "088", "account_num": "1002000000011", "print_content": "환불", "tran_amt": "1000",
        "tran_dtime": sim.tran_dtime().await, "req_client_name": "홍길동", "req_client_fintech_use_num": FIN1,
        "req_client_num": "CUST0001", "transfer_purpose": "TR"});
    let v = sim.post(&oob, "/v2.0/inquiry/receive", &body).await;
    assert_eq!(rsp(&v), "A0000", "{v}");
    assert_eq!(v["account_holder_name"], "김철수");
    body["bank_tran_id"] = sim.tran_id().into();
    body["cntr_account_num"] = "5555".into();
    assert_eq!(rsp(&sim.post(&oob, "/v2.0/inquiry/receive", &body).await), "A0322");
}

#[tokio::test]
async fn a_reused_bank_tran_id_on_an_inquiry_is_a0326() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let dt = sim.tran_dtime().await;
    let q = [("bank_tran_id", "M202601315U777777777"), ("fintech_use_num", FIN1), ("tran_dtime", dt.as_str())];
    assert_eq!(rsp(&sim.get(&token, "/v2.0/account/balance/fin_num", &q).await), "A0000");
    assert_eq!(rsp(&sim.get(&token, "/v2.0/account/balance/fin_num", &q).await), "A0326");
    // Unique per calendar day: the next day it is free again.
    sim.advance(86_400).await;
    let dt = sim.tran_dtime().await;
    let q = [("bank_tran_id", "M202601315U777777777"), ("fintech_use_num", FIN1), ("tran_dtime", dt.as_str())];
    assert_eq!(rsp(&sim.get(&token, "/v2.0/account/balance/fin_num", &q).await), "A0000");
}
