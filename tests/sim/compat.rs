//! Wire compatibility with clients written against the real center: requests shaped exactly
//! like KFTC's published examples (the reference pages, KFTC's own sample client, real
//! test-bed traffic) are accepted and move the right money, answers carry exactly the field
//! sets real answers carry (every answer of these tests is also checked against the catalogue
//! by `common::assert_wire_shape`), tokens are JWTs, and the simulator speaks HTTPS.
//!
//! The fixture below carries the reference examples' own identifiers (institution F123456789,
//! 약정계좌 1101230000678, fintech_use_num 123456789012345678901234), so the samples are sent
//! as published. Only the elided pass phrase ("790d56ed........6b821a69") is the test bed's
//! "NONE", and each sample's bank_tran_id ends in a different character, since one id serves
//! one request a day.

use obharness::sim::{Fixture, SimConfig};
use serde_json::{Value, json};

use crate::common::*;

const REF_FINTECH: &str = "123456789012345678901234";
const REF_CNTR: &str = "1101230000678";
const REF_USER: &str = "1100000777";

fn reference_fixture() -> Fixture {
    Fixture::parse(
        r#"
institution:
  name: 오픈핀테크
  client_id: ref-client-0001
  client_secret: ref-secret-not-for-production
  client_use_code: F123456789
  redirect_uri: http://localhost:8080/callback
  cntr_account_num: "1101230000678"
  cntr_account_holder_name: 오픈핀테크
  cntr_balance_amt: "100000000"
  wd_pass_phrase: NONE
  whitelist: ["127.0.0.1"]
users:
  - user_seq_no: "1100000777"
    user_name: 홍길동
    user_ci: "CI-REFERENCE-0000000000000000000000000000000000000000000000000000000000000000000000777=="
    birth_date: "880101"
    accounts:
      - fintech_use_num: "123456789012345678901234"
        account_num: "1234567890123456"
        account_holder_name: 홍길동
        balance_amt: "1000000"
        product_name: 내맘대로통장
        account_alias: 생활비
"#,
        "reference fixture",
    )
    .expect("fixture parses")
}

async fn reference_sim() -> Sim {
    Sim::with(SimConfig { fixture: reference_fixture(), ..SimConfig::embedded() }).await
}

/// KFTC reference 입금이체 (open-banking/deposit), 요청 메시지 명세, with its example values:
/// name_check_option "on", no recipient name anywhere.
fn reference_deposit(bank_tran_id: &str) -> Value {
    json!({
        "cntr_account_type": "N",
        "cntr_account_num": REF_CNTR,
        "wd_pass_phrase": "NONE",
        "wd_print_content": "환불금액",
        "name_check_option": "on",
        "sub_frnc_name": "하위가맹점",
        "sub_frnc_num": "123456789012",
        "sub_frnc_business_num": "1234567890",
        "tran_dtime": "20190910101921",
        "req_cnt": "1",
        "req_list": [{
            "tran_no": "1",
            "bank_tran_id": bank_tran_id,
            "fintech_use_num": REF_FINTECH,
            "print_content": "쇼핑몰환불",
            "tran_amt": "10000",
            "req_client_name": "홍길동",
            "req_client_bank_code": "097",
            "req_client_account_num": REF_CNTR,
            "req_client_num": "HONGGILDONG1234",
            "transfer_purpose": "TR"
        }]
    })
}

#[tokio::test]
async fn the_reference_deposit_sample_succeeds_and_credits_the_recipient() {
    let sim = reference_sim().await;
    let oob = sim.oob_token().await;
    let before = sim.balance_of(REF_FINTECH).await;
    let v = sim.deposit(&oob, &reference_deposit("F123456789U4BC34239Z")).await;
    assert_eq!((rsp(&v), v["rsp_message"].as_str()), ("A0000", Some("")), "{v}");
    let row = &v["res_list"][0];
    assert_eq!((row["bank_rsp_code"].as_str(), row["bank_rsp_message"].as_str()), (Some("000"), Some("")));
    assert_eq!(sim.balance_of(REF_FINTECH).await, before + 10_000);

    // The name check stays reachable: a recipient name that differs is A0312, and no money moves.
    let mut named = reference_deposit("F123456789U4BC34239Y");
    named["req_list"][0]["recv_client_name"] = "김영수".into();
    assert_eq!(rsp(&sim.deposit(&oob, &named).await), "A0312");
    // name_check_option may be left out (its default is "on").
    let mut default_option = reference_deposit("F123456789U4BC34239X");
    default_option.as_object_mut().unwrap().remove("name_check_option");
    assert_eq!(rsp(&sim.deposit(&oob, &default_option).await), "A0000");
    assert_eq!(sim.balance_of(REF_FINTECH).await, before + 20_000);
}

#[tokio::test]
async fn kftc_sample_requests_are_accepted() {
    let sim = reference_sim().await;
    let oob = sim.oob_token().await;
    let user = sim.user_token(REF_USER).await;

    // KFTC reference 거래내역조회 (open-banking/transaction), the example query as published,
    // befor_inquiry_trace_info "123" included.
    let v = sim
        .get(
            &user,
            "/v2.0/account/transaction_list/fin_num",
            &[
                ("bank_tran_id", "F123456789U4BC34239A"),
                ("fintech_use_num", REF_FINTECH),
                ("inquiry_type", "A"),
                ("inquiry_base", "D"),
                ("from_date", "20160404"),
                ("from_time", "100000"),
                ("to_date", "20160405"),
                ("to_time", "110000"),
                ("sort_order", "D"),
                ("tran_dtime", "20160310101921"),
                ("befor_inquiry_trace_info", "123"),
            ],
        )
        .await;
    assert_eq!(rsp(&v), "A0000", "{v}");

    // KFTC sample 출금이체: no wd_print_content, requesting customer by fintech number.
    let before = sim.balance_of(REF_FINTECH).await;
    let withdraw = json!({
        "bank_tran_id": "F123456789U4BC34239B",
        "cntr_account_type": "N",
        "cntr_account_num": REF_CNTR,
        "dps_print_content": "쇼핑몰결제",
        "fintech_use_num": REF_FINTECH,
        "tran_amt": "1000",
        "tran_dtime": "20190910101921",
        "req_client_name": "홍길동",
        "req_client_fintech_use_num": REF_FINTECH,
        "req_client_num": "HONGGILDONG1234",
        "transfer_purpose": "TR",
        "recv_client_name": "오픈핀테크",
        "recv_client_bank_code": "097",
        "recv_client_account_num": REF_CNTR
    });
    let v = sim.withdraw(&user, &withdraw).await;
    assert_eq!((rsp(&v), v["bank_rsp_message"].as_str()), ("A0000", Some("")), "{v}");
    assert_eq!(sim.balance_of(REF_FINTECH).await, before - 1000);

    // KFTC sample 수취조회, fin_num variant: no tran_dtime.
    let receive = json!({
        "bank_tran_id": "F123456789U4BC34239C",
        "cntr_account_type": "N",
        "cntr_account_num": REF_CNTR,
        "fintech_use_num": REF_FINTECH,
        "print_content": "쇼핑몰환불",
        "tran_amt": "10000",
        "req_client_name": "홍길동",
        "req_client_bank_code": "097",
        "req_client_account_num": REF_CNTR,
        "req_client_num": "HONGGILDONG1234",
        "transfer_purpose": "TR"
    });
    let v = sim.post(&oob, "/v2.0/inquiry/receive", &receive).await;
    assert_eq!((rsp(&v), v["account_holder_name"].as_str()), ("A0000", Some("홍길동")), "{v}");
    assert_eq!(
        (v["account_num_masked"].as_str(), v["wd_account_num"].as_str()),
        (Some("1234567890123***"), Some(REF_CNTR))
    );
    // The acnt_num variant: bank code and account number instead.
    let mut by_number = receive.clone();
    let m = by_number.as_object_mut().unwrap();
    m.remove("fintech_use_num");
    m.insert("bank_tran_id".into(), "F123456789U4BC34239D".into());
    m.insert("bank_code_std".into(), "097".into());
    m.insert("account_num".into(), "1234567890123456".into());
    assert_eq!(rsp(&sim.post(&oob, "/v2.0/inquiry/receive", &by_number).await), "A0000");

    // KFTC sample 계좌실명조회: birth-date type as a single space; also with the type left out.
    let real_name = json!({
        "bank_tran_id": "F123456789U4BC34239E",
        "bank_code_std": "097",
        "account_num": "1234567890123456",
        "account_holder_info_type": " ",
        "account_holder_info": "880101",
        "tran_dtime": "20190910101921"
    });
    let v = sim.post(&oob, "/v2.0/inquiry/real_name", &real_name).await;
    assert_eq!((rsp(&v), v["account_holder_name"].as_str()), ("A0000", Some("홍길동")), "{v}");
    let mut no_type = real_name.clone();
    no_type["bank_tran_id"] = "F123456789U4BC34239F".into();
    no_type.as_object_mut().unwrap().remove("account_holder_info_type");
    assert_eq!(rsp(&sim.post(&oob, "/v2.0/inquiry/real_name", &no_type).await), "A0000");
}

#[tokio::test]
async fn transfer_result_and_return_claim_follow_the_real_layouts() {
    let sim = reference_sim().await;
    let oob = sim.oob_token().await;
    assert_eq!(rsp(&sim.deposit(&oob, &reference_deposit("F123456789U4BC34239Z")).await), "A0000");
    let today = sim.today().await;

    // 이체결과조회 row layout of KFTC's API 명세서 2.5.3: exactly these keys, no per-row rsp_code.
    let row = sim.result(&oob, "2", "F123456789U4BC34239Z", &today, "10000").await;
    let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "tran_no",
        "bank_tran_id",
        "bank_tran_date",
        "bank_code_tran",
        "bank_rsp_code",
        "bank_rsp_message",
        "wd_bank_code_std",
        "wd_bank_code_sub",
        "wd_bank_name",
        "wd_savings_bank_name",
        "wd_fintech_use_num",
        "wd_account_num_masked",
        "wd_print_content",
        "wd_account_holder_name",
        "dps_bank_code_std",
        "dps_bank_code_sub",
        "dps_bank_name",
        "dps_savings_bank_name",
        "dps_fintech_use_num",
        "dps_account_num_masked",
        "dps_print_content",
        "dps_account_holder_name",
        "tran_amt",
    ];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!((row["dps_fintech_use_num"].as_str(), row["bank_rsp_code"].as_str()), (Some(REF_FINTECH), Some("000")));

    // 자금반환청구: the real test-bed request (h22j2.tistory.com, 2022-02-15), pointed at this deposit.
    let claim = json!({
        "bank_tran_id": "F123456789UBCDE12345",
        "org_bank_tran_date": today,
        "org_bank_tran_id": "F123456789U4BC34239Z",
        "org_dps_bank_code_std": "097",
        "org_dps_account_num": "1234567890123456",
        "org_tran_amt": "10000",
        "org_wd_bank_code_std": "097",
        "claim_code": "05",
        "claim_message": "시스템오류",
        "total_return_yn": "Y",
        "return_account_num": REF_CNTR,
        "use_org_contact": "010-1234-5678",
        "use_org_email": "testbed@kftc.or.kr"
    });
    let v = sim.post(&oob, "/v2.0/return/claim", &claim).await;
    assert_eq!((rsp(&v), v["rsp_message"].as_str(), v["bank_rsp_message"].as_str()), ("A0000", Some(""), Some("")));
    // The real answer's keys, exactly.
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    let mut real = vec![
        "api_tran_id",
        "api_tran_dtm",
        "rsp_code",
        "rsp_message",
        "dps_bank_code_std",
        "bank_tran_id",
        "bank_tran_date",
        "bank_code_tran",
        "bank_rsp_code",
        "bank_rsp_message",
        "wd_bank_code_std",
        "wd_bank_code_sub",
        "wd_bank_name",
        "org_bank_tran_date",
        "org_bank_tran_id",
        "org_dps_bank_code_std",
        "org_dps_account_num",
        "org_dps_fintech_use_num",
        "org_tran_amt",
        "return_account_num",
    ];
    real.sort();
    assert_eq!(keys, real);
}

#[tokio::test]
async fn user_me_has_the_real_answers_field_set() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let v = sim.get(&token, "/v2.0/user/me", &[("user_seq_no", USER1)]).await;
    // The real answer of 2023-04-10 (cashmallow UserMe); its two camelCase row keys (bankName,
    // accountType) are that client's edits: every other source spells them snake_case.
    let mut top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort();
    let mut real_top = vec![
        "api_tran_id",
        "rsp_code",
        "rsp_message",
        "api_tran_dtm",
        "user_seq_no",
        "user_ci",
        "user_name",
        "res_cnt",
        "res_list",
        "inquiry_card_cnt",
        "inquiry_card_list",
        "inquiry_pay_cnt",
        "inquiry_pay_list",
        "inquiry_insurance_cnt",
        "inquiry_insurance_list",
        "inquiry_loan_cnt",
        "inquiry_loan_list",
    ];
    real_top.sort();
    assert_eq!(top, real_top);
    let mut row: Vec<&str> = v["res_list"][0].as_object().unwrap().keys().map(String::as_str).collect();
    row.sort();
    let mut real_row = vec![
        "fintech_use_num",
        "account_alias",
        "bank_code_std",
        "bank_code_sub",
        "bank_name",
        "account_num_masked",
        "account_holder_name",
        "account_holder_type",
        "inquiry_agree_yn",
        "inquiry_agree_dtime",
        "transfer_agree_yn",
        "transfer_agree_dtime",
        "payer_num",
        "savings_bank_name",
        "account_seq",
        "account_type",
    ];
    real_row.sort();
    assert_eq!(row, real_row);
    assert_eq!((v["rsp_message"].as_str(), v["inquiry_card_cnt"].as_str()), (Some(""), Some("0")));
    assert_eq!(v["res_list"][0]["payer_num"].as_str().map(str::len), Some(20));
}

#[tokio::test]
async fn a_savings_bank_account_names_its_savings_bank() {
    let sim = Sim::start().await;
    let token = sim.user_token("1100000004").await;
    let v = sim.balance(&token, "120260000004000000000001").await;
    assert_eq!((rsp(&v), v["bank_name"].as_str()), ("A0000", Some("상호저축은행")));
    assert_eq!(v["savings_bank_name"], "오픈저축은행");
}

#[tokio::test]
async fn json_numbers_are_read_as_text_unless_strict() {
    let sim = reference_sim().await;
    let oob = sim.oob_token().await;
    let before = sim.balance_of(REF_FINTECH).await;
    let mut numbers = reference_deposit("F123456789U4BC34239Z");
    numbers["req_cnt"] = json!(1);
    numbers["req_list"][0]["tran_no"] = json!(1);
    numbers["req_list"][0]["tran_amt"] = json!(100);
    assert_eq!(rsp(&sim.deposit(&oob, &numbers).await), "A0000");
    assert_eq!(sim.balance_of(REF_FINTECH).await, before + 100);
    // The journal keeps the body as sent, for certify-client's advisory rule.
    let journal = sim.admin_get("/_sim/journal").await;
    let entry = journal["entries"].as_array().unwrap().iter().find(|e| e["api"] == "transfer.deposit").unwrap();
    assert_eq!(entry["request"]["req_list"][0]["tran_amt"], 100, "{entry}");

    let strict =
        Sim::with(SimConfig { fixture: reference_fixture(), strict_string_fields: true, ..SimConfig::embedded() })
            .await;
    let oob = strict.oob_token().await;
    let v = strict.deposit(&oob, &numbers).await;
    assert_eq!(rsp(&v), "A0004");
    assert!(v["rsp_message"].as_str().unwrap().contains("req_cnt"), "{v}");
}

#[tokio::test]
async fn access_tokens_are_jwts_with_the_centers_claims() {
    let sim = Sim::start().await;
    let t = sim.user_token_scoped(USER1, "login inquiry transfer").await;
    let claims = obharness::sim::auth::decode_claims(t["access_token"].as_str().unwrap()).expect("a JWT");
    assert_eq!((claims.aud.as_str(), claims.scope.len()), (USER1, 3));
    let oob = sim.oob_token().await;
    assert_eq!(obharness::sim::auth::decode_claims(&oob).unwrap().aud, "M202601315");
    // A token that decodes but was never issued is refused.
    let forged = format!("{oob}x");
    assert_eq!(rsp(&sim.balance(&forged, FIN1).await), "O0002");
}

#[tokio::test]
async fn the_simulator_speaks_https_with_a_certificate_clients_can_trust() {
    let tls = obharness::sim::tls::TlsMaterial::generate("127.0.0.1".parse().unwrap()).unwrap();
    let sim = Sim::with(SimConfig { tls: Some(tls), ..SimConfig::embedded() }).await;
    assert!(sim.base.starts_with("https://127.0.0.1:"), "{}", sim.base);
    let token = sim.user_token(USER1).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");
    // A client that does not trust the simulator's CA is refused at the handshake.
    let err = reqwest::Client::new().get(format!("{}/openapi.json", sim.base)).send().await.unwrap_err();
    assert!(
        err.is_connect() || err.to_string().contains("certificate") || format!("{err:?}").contains("UnknownIssuer"),
        "{err:?}"
    );
}
