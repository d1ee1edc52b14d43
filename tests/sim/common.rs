//! A test client for the embedded simulator over real HTTP on loopback.

use std::net::{IpAddr, SocketAddr};

use obharness::sim::{self, SimConfig, SimHandle};
use reqwest::Client;
use serde_json::{Value, json};

pub const USER1: &str = "1100000001";
pub const FIN1: &str = "120260000001000000000001";
pub const FIN2_USER1: &str = "120260000001000000000002";
pub const FIN_USER2: &str = "120260000002000000000001";
pub const FIN_USER3: &str = "120260000003000000000001";

/// The compatibility check every API answer of these tests passes: no field the catalogue does
/// not know, at any level (what a strict client refuses to parse), and on success every field
/// the catalogue requires, in its format.
pub fn assert_wire_shape(path: &str, answer: Value) -> Value {
    let Some(api) = obharness::protocol::Api::all().find(|a| a.path == path && path.starts_with("/v2.0/")) else {
        return answer;
    };
    let map = answer.as_object().unwrap_or_else(|| panic!("{path}: answer is not an object: {answer}"));
    let unknown = obharness::protocol::fields::unknown_answer_fields(api.response, map);
    assert!(unknown.is_empty(), "{path}: fields a strict client refuses: {unknown:?}\n{answer}");
    if map.get("rsp_code").and_then(Value::as_str) == Some("A0000")
        && let Err(e) = obharness::protocol::fields::check_response(api.response, map)
    {
        panic!("{path}: answer does not match the catalogue: {e}\n{answer}");
    }
    answer
}

pub struct Sim {
    pub handle: SimHandle,
    pub http: Client,
    pub base: String,
    pub fixture: Value,
    serial: std::sync::atomic::AtomicU32,
}

impl Sim {
    pub async fn start() -> Sim {
        Self::with(SimConfig::embedded()).await
    }

    pub async fn with(config: SimConfig) -> Sim {
        let trust = config.tls.as_ref().map(|m| reqwest::Certificate::from_pem(m.trust_pem.as_bytes()).unwrap());
        let handle = sim::start_embedded(config).await.expect("simulator starts");
        let base = handle.base_url();
        let mut http = Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = trust {
            // Over --tls, the client trusts the simulator's CA and nothing else.
            http = http.tls_certs_only([ca]);
        }
        let http = http.build().unwrap();
        let fixture = http
            .get(format!("{base}/_sim/fixture"))
            .header("X-Sim-Admin-Token", handle.admin_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Sim { handle, http, base, fixture, serial: Default::default() }
    }

    pub fn inst(&self, field: &str) -> String {
        self.fixture["institution"][field].as_str().unwrap().to_string()
    }

    /// A fresh bank_tran_id in the institution's layout.
    pub fn tran_id(&self) -> String {
        let n = self.serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}U{:09}", self.inst("client_use_code"), n + 1)
    }

    pub async fn tran_dtime(&self) -> String {
        self.admin_get("/_sim/clock").await["tran_dtime"].as_str().unwrap().to_string()
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .header("X-Sim-Admin-Token", self.handle.admin_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Sim-Admin-Token", self.handle.admin_token())
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn advance(&self, seconds: u64) {
        let (s, _) = self.admin_post("/_sim/clock/advance", json!({ "seconds": seconds })).await;
        assert_eq!(s, 200);
    }

    pub async fn arm(&self, rule: Value) {
        let (s, body) = self.admin_post("/_sim/faults", rule).await;
        assert_eq!(s, 201, "{body}");
    }

    pub async fn balance_of(&self, fintech: &str) -> u64 {
        let v = self.admin_get(&format!("/_sim/accounts/{fintech}")).await;
        v["balance_amt"].as_str().unwrap().parse().unwrap()
    }

    pub async fn total_money(&self) -> u128 {
        self.admin_get("/_sim/ledger").await["total_amt"].as_str().unwrap().parse().unwrap()
    }

    /// The 302 Location of a headless authorize call.
    pub async fn authorize(&self, path: &str, user: &str, scope: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .query(&[
                ("response_type", "code"),
                ("client_id", &self.inst("client_id")),
                ("redirect_uri", &self.inst("redirect_uri")),
                ("scope", scope),
                ("client_info", "test"),
                ("state", "0123456789abcdef0123456789abcdef"),
                ("auth_type", "0"),
                ("sim_user_seq_no", user),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn code_for(&self, path: &str, user: &str, scope: &str) -> String {
        let r = self.authorize(path, user, scope).await;
        assert_eq!(r.status().as_u16(), 302, "{:?}", r.text().await);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let url = reqwest::Url::parse(&loc).unwrap();
        url.query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Value {
        self.http.post(format!("{}/oauth/2.0/token", self.base)).form(form).send().await.unwrap().json().await.unwrap()
    }

    pub async fn user_token_scoped(&self, user: &str, scope: &str) -> Value {
        let code = self.code_for("/oauth/2.0/authorize", user, scope).await;
        self.token_request(&[
            ("code", &code),
            ("client_id", &self.inst("client_id")),
            ("client_secret", &self.inst("client_secret")),
            ("redirect_uri", &self.inst("redirect_uri")),
            ("grant_type", "authorization_code"),
        ])
        .await
    }

    pub async fn user_token(&self, user: &str) -> String {
        let t = self.user_token_scoped(user, "login inquiry transfer").await;
        t["access_token"].as_str().expect("token issued").to_string()
    }

    pub async fn oob_token(&self) -> String {
        let t = self
            .token_request(&[
                ("client_id", &self.inst("client_id")),
                ("client_secret", &self.inst("client_secret")),
                ("scope", "oob"),
                ("grant_type", "client_credentials"),
            ])
            .await;
        t["access_token"].as_str().expect("token issued").to_string()
    }

    pub async fn get(&self, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .map(|v| assert_wire_shape(path, v))
            .unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> Value {
        self.post_via(&self.http, token, path, body).await
    }

    pub async fn post_via(&self, client: &Client, token: &str, path: &str, body: &Value) -> Value {
        let r = client.post(format!("{}{path}", self.base)).bearer_auth(token).json(body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_wire_shape(path, r.json().await.unwrap())
    }

    pub async fn balance(&self, token: &str, fintech: &str) -> Value {
        let id = self.tran_id();
        let dt = self.tran_dtime().await;
        self.get(
            token,
            "/v2.0/account/balance/fin_num",
            &[("bank_tran_id", &id), ("fintech_use_num", fintech), ("tran_dtime", &dt)],
        )
        .await
    }

    pub async fn withdraw_body(&self, fintech: &str, amount: &str) -> Value {
        json!({
            "bank_tran_id": self.tran_id(),
            "cntr_account_type": "N",
            "cntr_account_num": self.inst("cntr_account_num"),
            "dps_print_content": "obh충전",
            "fintech_use_num": fintech,
            "wd_print_content": "오비하네스",
            "tran_amt": amount,
            "tran_dtime": self.tran_dtime().await,
            "req_client_name": "홍길동",
            "req_client_fintech_use_num": fintech,
            "req_client_num": "CUST0001",
            "transfer_purpose": "TR",
            "recv_client_name": self.inst("name"),
            "recv_client_bank_code": "097",
            "recv_client_account_num": self.inst("cntr_account_num"),
        })
    }

    pub async fn withdraw(&self, token: &str, body: &Value) -> Value {
        self.post(token, "/v2.0/transfer/withdraw/fin_num", body).await
    }

    pub async fn deposit_body(&self, fintech: &str, amount: &str) -> Value {
        json!({
            "cntr_account_type": "N",
            "cntr_account_num": self.inst("cntr_account_num"),
            "wd_pass_phrase": self.inst("wd_pass_phrase"),
            "wd_print_content": "환불",
            "name_check_option": "off",
            "tran_dtime": self.tran_dtime().await,
            "req_cnt": "1",
            "req_list": [{
                "tran_no": "1",
                "bank_tran_id": self.tran_id(),
                "fintech_use_num": fintech,
                "print_content": "오비환불",
                "tran_amt": amount,
                "req_client_name": "홍길동",
                "req_client_fintech_use_num": FIN1,
                "req_client_num": "CUST0001",
                "transfer_purpose": "TR",
            }],
        })
    }

    pub async fn deposit(&self, token: &str, body: &Value) -> Value {
        self.post(token, "/v2.0/transfer/deposit/fin_num", body).await
    }

    /// 이체결과조회 for one original the center knows: its row.
    pub async fn result(&self, token: &str, check_type: &str, bank_tran_id: &str, date: &str, amount: &str) -> Value {
        let v = self.result_answer(token, check_type, bank_tran_id, date, amount).await;
        assert_eq!((v["rsp_code"].as_str(), v["res_cnt"].as_str()), (Some("A0000"), Some("1")), "{v}");
        v["res_list"][0].clone()
    }

    /// 이체결과조회 for one original: the whole answer (rsp_code A0310 when it is unknown).
    pub async fn result_answer(
        &self,
        token: &str,
        check_type: &str,
        bank_tran_id: &str,
        date: &str,
        amount: &str,
    ) -> Value {
        let body = json!({
            "check_type": check_type,
            "tran_dtime": self.tran_dtime().await,
            "req_cnt": "1",
            "req_list": [{ "tran_no": "1", "org_bank_tran_id": bank_tran_id, "org_bank_tran_date": date, "org_tran_amt": amount }],
        });
        self.post(token, "/v2.0/transfer/result", &body).await
    }

    pub async fn today(&self) -> String {
        self.tran_dtime().await[..8].to_string()
    }
}

/// A client whose connections come from another loopback address.
pub fn client_from(ip: &str) -> Client {
    Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

pub fn rsp(v: &Value) -> &str {
    v["rsp_code"].as_str().unwrap_or("<none>")
}

#[allow(dead_code)]
pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}
