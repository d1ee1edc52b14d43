//! Our side of the wire to the 오픈뱅킹 center: OAuth (headless consent on the simulator),
//! tokens, and the four APIs this backend uses. No business decisions here: every call
//! returns what came back, or that nothing usable did.

use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use super::config::Config;
use super::ids::{self, IdMint};
use super::log;

/// Per-request limit.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// What one API call got back.
#[derive(Debug)]
pub enum Answer {
    /// A business answer: HTTP 200 with a JSON object (rsp_code inside).
    Body(Value),
    /// No business answer: connection closed or refused, timeout, an HTTP error status,
    /// or a body that is not the center's JSON. For a transfer the outcome is unknown.
    NoResponse(String),
}

/// Why a token could not be had.
#[derive(Debug)]
pub enum TokenError {
    /// The center could not be reached at all: the client's own failure (non-zero exit).
    Unreachable(String),
    /// The center answered but gave no token (an O-code, no redirect, …).
    Refused(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Unreachable(m) => write!(f, "cannot reach the center: {m}"),
            TokenError::Refused(m) => write!(f, "token refused: {m}"),
        }
    }
}

/// A field of an answer as a string ("" when absent).
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The first item of an answer's `res_list` (deposit, transfer/result).
pub fn first_item(v: &Value) -> Option<&Value> {
    v.get("res_list").and_then(Value::as_array).and_then(|l| l.first())
}

pub struct Center<'a> {
    cfg: &'a Config,
    http: reqwest::Client,
    deadline: Instant,
    user_token: Option<String>,
    inst_token: Option<String>,
    pub ids: IdMint,
    /// The center's business date (`yyyyMMdd`) as last seen in an answer's `api_tran_dtm`.
    center_date: Option<String>,
}

impl<'a> Center<'a> {
    pub fn new(cfg: &'a Config, deadline: Instant) -> Result<Center<'a>, String> {
        let mut builder = reqwest::Client::builder()
            // 사용자인증 answers 302 to our redirect_uri: read the code, do not follow.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(HTTP_TIMEOUT)
            // A fresh connection per call: a transfer is never silently re-sent on a pooled
            // connection the server had already closed.
            .pool_max_idle_per_host(0)
            .no_gzip();
        if let Some(file) = &cfg.tls_ca_file {
            let pem = std::fs::read(file).map_err(|e| format!("OBH_TLS_CA_FILE {file}: {e}"))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("OBH_TLS_CA_FILE {file}: {e}"))?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Center {
            cfg,
            http,
            deadline,
            user_token: None,
            inst_token: None,
            ids: IdMint::new(&cfg.client_use_code),
            center_date: None,
        })
    }

    /// Time left for one more request, at most the per-request limit; None when the run's
    /// budget is spent.
    pub fn budget(&self) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        (left >= Duration::from_millis(100)).then(|| left.min(HTTP_TIMEOUT))
    }

    /// Sleeps `d`, or until the run's budget would be spent; false when no time is left after.
    pub async fn pause(&self, d: Duration) -> bool {
        let left = self.deadline.saturating_duration_since(Instant::now());
        // Keep at least a second for the request that follows the pause.
        let room = left.saturating_sub(Duration::from_secs(1));
        tokio::time::sleep(d.min(room)).await;
        d <= room
    }

    /// The business date to quote as `org_bank_tran_date`: the center's if an answer told
    /// us, else our own KST date.
    pub fn center_date(&self) -> Option<&str> {
        self.center_date.as_deref()
    }

    fn note_answer(&mut self, v: &Value) {
        let dtm = s(v, "api_tran_dtm");
        if dtm.len() >= 8 && dtm[..8].bytes().all(|b| b.is_ascii_digit()) {
            self.center_date = Some(dtm[..8].to_string());
        }
    }

    // ---------------------------------------------------------------- OAuth

    /// 사용자인증 (`authorize`) or 계좌등록확인 (`authorize_account`), approved headlessly as
    /// our customer (`sim_user_seq_no`), then the code exchanged for a user token.
    pub async fn user_token(&mut self, account_confirmation: bool) -> Result<String, TokenError> {
        let path = if account_confirmation { "/oauth/2.0/authorize_account" } else { "/oauth/2.0/authorize" };
        let state: String = {
            let mut rng = rand::rng();
            (0..32).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])).collect()
        };
        let budget = self.budget().ok_or_else(|| TokenError::Unreachable("run time budget spent".into()))?;
        log(&format!("GET {path} (user {})", self.cfg.user_seq_no));
        let r = self
            .http
            .get(format!("{}{path}", self.cfg.base_url))
            .query(&[
                ("response_type", "code"),
                ("client_id", self.cfg.client_id.as_str()),
                ("redirect_uri", self.cfg.redirect_uri.as_str()),
                ("scope", "login inquiry transfer"),
                ("client_info", "x"),
                ("state", state.as_str()),
                ("auth_type", "0"),
                ("sim_user_seq_no", self.cfg.user_seq_no.as_str()),
            ])
            .timeout(budget)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(format!("{path}: {}", error_chain(&e))))?;
        let status = r.status();
        let location = r.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
        let Some(location) = location else {
            let body: Value = r.json().await.unwrap_or(Value::Null);
            return Err(TokenError::Refused(format!(
                "{path}: no redirect (HTTP {status}) {} {}",
                s(&body, "rsp_code"),
                s(&body, "rsp_message")
            )));
        };
        let url = reqwest::Url::parse(&location)
            .map_err(|e| TokenError::Refused(format!("{path}: bad Location '{location}': {e}")))?;
        let pair = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        if pair("state").as_deref() != Some(state.as_str()) {
            return Err(TokenError::Refused(format!("{path}: the callback's state is not ours")));
        }
        let code = pair("code").ok_or_else(|| TokenError::Refused(format!("{path}: the callback carries no code")))?;
        let token = self
            .token(&[
                ("code", code.as_str()),
                ("client_id", self.cfg.client_id.as_str()),
                ("client_secret", self.cfg.client_secret.as_str()),
                ("redirect_uri", self.cfg.redirect_uri.as_str()),
                ("grant_type", "authorization_code"),
            ])
            .await?;
        self.user_token = Some(token.clone());
        Ok(token)
    }

    /// The institution token (client_credentials, scope oob), fetched once.
    pub async fn institution_token(&mut self) -> Result<String, TokenError> {
        if let Some(t) = &self.inst_token {
            return Ok(t.clone());
        }
        let token = self
            .token(&[
                ("client_id", self.cfg.client_id.as_str()),
                ("client_secret", self.cfg.client_secret.as_str()),
                ("scope", "oob"),
                ("grant_type", "client_credentials"),
            ])
            .await?;
        self.inst_token = Some(token.clone());
        Ok(token)
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<String, TokenError> {
        let grant = form.iter().find(|(k, _)| *k == "grant_type").map(|(_, v)| *v).unwrap_or("");
        let budget = self.budget().ok_or_else(|| TokenError::Unreachable("run time budget spent".into()))?;
        log(&format!("POST /oauth/2.0/token ({grant})"));
        let r = self
            .http
            .post(format!("{}/oauth/2.0/token", self.cfg.base_url))
            .form(form)
            .timeout(budget)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(format!("token: {}", error_chain(&e))))?;
        let status = r.status();
        let v: Value = r.json().await.map_err(|e| TokenError::Refused(format!("token: HTTP {status}: {e}")))?;
        match v.get("access_token").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => Ok(t.to_string()),
            _ => Err(TokenError::Refused(format!("token ({grant}): {} {}", s(&v, "rsp_code"), s(&v, "rsp_message")))),
        }
    }

    // ---------------------------------------------------------------- APIs

    fn user_bearer(&self) -> String {
        self.user_token.clone().unwrap_or_default()
    }

    /// 출금이체: the customer's account → our 약정계좌, with the AML fields of a payment to us.
    pub async fn withdraw(&mut self, bank_tran_id: &str) -> Answer {
        let c = self.cfg;
        let body = json!({
            "bank_tran_id": bank_tran_id,
            "cntr_account_type": "N",
            "cntr_account_num": c.cntr_account_num,
            "dps_print_content": clip(&c.user_name, 10),
            "fintech_use_num": c.fintech_use_num,
            "wd_print_content": clip(&c.institution_name, 10),
            "tran_amt": c.tran_amt(),
            "tran_dtime": ids::tran_dtime(),
            // 요청고객: the paying customer.
            "req_client_name": clip(&c.user_name, 20),
            "req_client_fintech_use_num": c.fintech_use_num,
            "req_client_num": c.req_client_num(),
            "transfer_purpose": "TR",
            // 수취인: the institution (our 약정계좌).
            "recv_client_name": clip(&c.institution_name, 20),
            "recv_client_bank_code": c.cntr_bank_code,
            "recv_client_account_num": c.cntr_account_num,
        });
        let token = self.user_bearer();
        self.post("/v2.0/transfer/withdraw/fin_num", &token, &body).await
    }

    /// 입금이체: our 약정계좌 → the recipient, for our customer (A→B via the institution).
    pub async fn deposit(&mut self, bank_tran_id: &str, token: &str) -> Answer {
        let c = self.cfg;
        let body = json!({
            "cntr_account_type": "N",
            "cntr_account_num": c.cntr_account_num,
            "wd_pass_phrase": c.wd_pass_phrase,
            "wd_print_content": clip(&c.user_name, 10),
            "name_check_option": "off",
            "tran_dtime": ids::tran_dtime(),
            "req_cnt": "1",
            "req_list": [{
                "tran_no": "1",
                "bank_tran_id": bank_tran_id,
                "fintech_use_num": c.recv_fintech_use_num,
                "print_content": clip(&c.user_name, 10),
                "tran_amt": c.tran_amt(),
                // 요청고객: the customer who asked for the transfer (A).
                "req_client_name": clip(&c.user_name, 20),
                "req_client_fintech_use_num": c.fintech_use_num,
                "req_client_num": c.req_client_num(),
                "transfer_purpose": "TR",
            }],
        });
        self.post("/v2.0/transfer/deposit/fin_num", token, &body).await
    }

    /// 이체결과조회 of one transfer (`check_type` 1 withdraw, 2 deposit).
    pub async fn transfer_result(&mut self, check_type: &str, org_id: &str, org_date: &str, token: &str) -> Answer {
        let body = json!({
            "check_type": check_type,
            "tran_dtime": ids::tran_dtime(),
            "req_cnt": "1",
            "req_list": [{
                "tran_no": "1",
                "org_bank_tran_id": org_id,
                "org_bank_tran_date": org_date,
                "org_tran_amt": self.cfg.amount,
            }],
        });
        self.post("/v2.0/transfer/result", token, &body).await
    }

    /// 잔액조회 of the customer's account.
    pub async fn balance(&mut self, bank_tran_id: &str) -> Answer {
        let query = [
            ("bank_tran_id", bank_tran_id.to_string()),
            ("fintech_use_num", self.cfg.fintech_use_num.clone()),
            ("tran_dtime", ids::tran_dtime()),
        ];
        let Some(budget) = self.budget() else { return Answer::NoResponse("run time budget spent".into()) };
        log(&format!("GET /v2.0/account/balance/fin_num bank_tran_id={bank_tran_id}"));
        let r = self
            .http
            .get(format!("{}/v2.0/account/balance/fin_num", self.cfg.base_url))
            .bearer_auth(self.user_bearer())
            .query(&query)
            .timeout(budget)
            .send()
            .await;
        self.answer(r).await
    }

    async fn post(&mut self, path: &str, token: &str, body: &Value) -> Answer {
        let Some(budget) = self.budget() else { return Answer::NoResponse("run time budget spent, not sent".into()) };
        let id = s(body, "bank_tran_id");
        let id = if id.is_empty() {
            first_item(body).map(|i| s(i, "bank_tran_id")).filter(|i| !i.is_empty()).unwrap_or("-")
        } else {
            id
        };
        log(&format!("POST {path} bank_tran_id={id} tran_amt={}", self.cfg.amount));
        let r = self
            .http
            .post(format!("{}{path}", self.cfg.base_url))
            .bearer_auth(token)
            .json(body)
            .timeout(budget)
            .send()
            .await;
        self.answer(r).await
    }

    async fn answer(&mut self, r: Result<reqwest::Response, reqwest::Error>) -> Answer {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() { format!("timeout: {}", error_chain(&e)) } else { error_chain(&e) };
                log(&format!("  → no response ({why})"));
                return Answer::NoResponse(why);
            }
        };
        let status = r.status();
        let text = match r.text().await {
            Ok(t) => t,
            Err(e) => {
                log(&format!("  → HTTP {status}, body lost ({})", error_chain(&e)));
                return Answer::NoResponse(format!("HTTP {status}, body lost: {}", error_chain(&e)));
            }
        };
        if !status.is_success() {
            log(&format!("  → HTTP {status} (no business answer)"));
            return Answer::NoResponse(format!("HTTP {status}"));
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Object(_)) if !s(&v, "rsp_code").is_empty() => {
                self.note_answer(&v);
                let bank = match first_item(&v) {
                    Some(item) => format!(" item bank {}", s(item, "bank_rsp_code")),
                    None if !s(&v, "bank_rsp_code").is_empty() => format!(" bank {}", s(&v, "bank_rsp_code")),
                    None => String::new(),
                };
                log(&format!("  → {} {}{bank}", s(&v, "rsp_code"), s(&v, "rsp_message")));
                Answer::Body(v)
            }
            _ => {
                log(&format!("  → HTTP {status}, not the center's JSON"));
                Answer::NoResponse(format!("HTTP {status} without a JSON answer"))
            }
        }
    }
}

/// At most `n` characters (print contents and names have small limits).
fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// reqwest's error with its sources ("error sending request: connection closed …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
