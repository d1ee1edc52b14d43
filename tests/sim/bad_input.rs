//! Malformed requests get center-style answers: HTTP 200 + A0004/O0001/O0010, 404 for
//! unknown routes, never a 500 and never money moved.

use obharness::sim::SimConfig;
use serde_json::{Value, json};

use crate::common::*;

async fn raw_post(sim: &Sim, token: &str, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let r = sim
        .http
        .post(format!("{}{path}", sim.base))
        .bearer_auth(token)
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_json_wrong_types_and_overlong_fields_are_a0004() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let before = sim.balance_of(FIN1).await;
    let path = "/v2.0/transfer/withdraw/fin_num";
    let (status, v) = raw_post(&sim, &token, path, "{\"bank_tran_id\": ").await;
    assert_eq!((status, rsp(&v)), (200, "A0004"));
    let (status, v) = raw_post(&sim, &token, path, "[1,2]").await;
    assert_eq!((status, rsp(&v)), (200, "A0004"));

    let mut wrong_type = sim.withdraw_body(FIN1, "1000").await;
    wrong_type["tran_amt"] = json!({"won": 1000});
    let v = sim.withdraw(&token, &wrong_type).await;
    assert_eq!(rsp(&v), "A0004");
    assert!(v["rsp_message"].as_str().unwrap().contains("tran_amt"), "{v}");

    let mut too_long = sim.withdraw_body(FIN1, "1000").await;
    too_long["dps_print_content"] = "가".repeat(21).into();
    let v = sim.withdraw(&token, &too_long).await;
    assert!(v["rsp_message"].as_str().unwrap().contains("dps_print_content"), "{v}");

    let mut missing = sim.withdraw_body(FIN1, "1000").await;
    missing.as_object_mut().unwrap().remove("tran_dtime");
    let v = sim.withdraw(&token, &missing).await;
    assert_eq!(rsp(&v), "A0004");
    assert!(v["rsp_message"].as_str().unwrap().contains("tran_dtime"));

    let mut zero = sim.withdraw_body(FIN1, "0").await;
    zero["tran_amt"] = "0".into();
    assert_eq!(rsp(&sim.withdraw(&token, &zero).await), "A0004");
    assert_eq!(sim.balance_of(FIN1).await, before, "no money moved on any rejected request");
}

#[tokio::test]
async fn oversized_bodies_are_a0004() {
    let sim = Sim::with(SimConfig { max_body_bytes: 1024, ..SimConfig::embedded() }).await;
    let token = sim.user_token(USER1).await;
    let (status, v) = raw_post(&sim, &token, "/v2.0/transfer/withdraw/fin_num", vec![b' '; 4096]).await;
    assert_eq!((status, rsp(&v)), (200, "A0004"));
}

#[tokio::test]
async fn wrong_methods_are_o0010_and_unknown_paths_404() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let r =
        sim.http.get(format!("{}/v2.0/transfer/withdraw/fin_num", sim.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(rsp(&r.json().await.unwrap()), "O0010");
    let r = sim.http.delete(format!("{}/oauth/2.0/token", sim.base)).send().await.unwrap();
    assert_eq!(rsp(&r.json().await.unwrap()), "O0010");
    let r = sim.http.get(format!("{}/v2.0/no/such/api", sim.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn garbage_in_every_api_never_gets_a_500() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    let oob = sim.oob_token().await;
    let bodies: [&[u8]; 6] =
        [b"", b"null", b"{}", b"{\"req_list\": 5}", b"{\"req_list\": [1, \"x\"]}", &[0xff, 0xfe, 0x00]];
    for api in obharness::protocol::Api::all() {
        for body in bodies {
            for tok in [&token, &oob] {
                let url = format!("{}{}", sim.base, api.path);
                let req = if api.method == "GET" {
                    sim.http.get(format!("{url}?{}", String::from_utf8_lossy(body)))
                } else {
                    sim.http.post(url).body(body.to_vec())
                };
                let r = req.bearer_auth(tok).send().await.unwrap();
                let status = r.status().as_u16();
                assert!(status == 200 || status == 302, "{} {:?} → HTTP {status}", api.key, body);
            }
        }
    }
}

#[tokio::test]
async fn outside_operating_hours_is_a0020_unless_switched_off() {
    let sim = Sim::start().await;
    let token = sim.user_token(USER1).await;
    // 10:00 + 14h = 00:00, inside the 23:55–00:05 break.
    sim.advance(14 * 3600).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0020");
    sim.advance(10 * 60).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");

    let sim = Sim::with(SimConfig { operating_hours: false, ..SimConfig::embedded() }).await;
    let token = sim.user_token(USER1).await;
    sim.advance(14 * 3600).await;
    assert_eq!(rsp(&sim.balance(&token, FIN1).await), "A0000");
}
