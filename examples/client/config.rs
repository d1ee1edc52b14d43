//! The harness hands the client its institution, customer and request as environment
//! variables (the contract of `obharness certify-client`).

use std::fmt;

/// What the backend was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 출금이체: the paying customer's account → the institution's 약정계좌 (user token).
    Withdraw,
    /// 입금이체: the institution's 약정계좌 → the recipient (institution token).
    Deposit,
    /// 잔액조회 of the paying customer's account (user token).
    Balance,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Withdraw => "withdraw",
            Action::Deposit => "deposit",
            Action::Balance => "balance",
        })
    }
}

/// Everything the client needs, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// 이용기관코드 (10 characters): the prefix of every bank_tran_id.
    pub client_use_code: String,
    pub redirect_uri: String,
    pub user_seq_no: String,
    pub user_name: String,
    /// The paying customer's account (요청고객 of every transfer).
    pub fintech_use_num: String,
    pub cntr_account_num: String,
    pub cntr_bank_code: String,
    pub institution_name: String,
    pub wd_pass_phrase: String,
    /// The deposit's recipient.
    pub recv_fintech_use_num: String,
    pub action: Action,
    /// Won, digits only.
    pub amount: String,
    /// The harness's scenario id, for the logs.
    pub scenario: String,
    /// A PEM file of the center's CA to trust besides the system's (`OBH_TLS_CA_FILE`, set
    /// when the simulator serves HTTPS with its own certificate).
    pub tls_ca_file: Option<String>,
    /// Send amounts as JSON numbers (the careless client's third habit; an advisory, not a
    /// handling-rule breach: the simulator accepts them).
    pub numeric_amounts: bool,
}

impl Config {
    /// `tran_amt` as this client writes it.
    pub fn tran_amt(&self) -> serde_json::Value {
        match (self.numeric_amounts, self.amount.parse::<u64>()) {
            (true, Ok(n)) => n.into(),
            _ => self.amount.clone().into(),
        }
    }
}

impl Config {
    /// Reads the `OBH_*` variables; the error lists every missing or malformed one.
    pub fn from_env() -> Result<Config, String> {
        let mut missing = Vec::new();
        let mut problems = Vec::new();
        let mut var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
            Ok(_) | Err(std::env::VarError::NotPresent) => {
                missing.push(name.to_string());
                String::new()
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                missing.push(format!("{name} (not UTF-8)"));
                String::new()
            }
        };
        let cfg_base = var("OBH_BASE_URL");
        let client_id = var("OBH_CLIENT_ID");
        let client_secret = var("OBH_CLIENT_SECRET");
        let client_use_code = var("OBH_CLIENT_USE_CODE");
        let redirect_uri = var("OBH_REDIRECT_URI");
        let user_seq_no = var("OBH_USER_SEQ_NO");
        let user_name = var("OBH_USER_NAME");
        let fintech_use_num = var("OBH_FINTECH_USE_NUM");
        let cntr_account_num = var("OBH_CNTR_ACCOUNT_NUM");
        let cntr_bank_code = var("OBH_CNTR_BANK_CODE");
        let institution_name = var("OBH_INSTITUTION_NAME");
        let wd_pass_phrase = var("OBH_WD_PASS_PHRASE");
        let recv_fintech_use_num = var("OBH_RECV_FINTECH_USE_NUM");
        let action_raw = var("OBH_ACTION");
        let amount_raw = var("OBH_AMOUNT");
        let scenario = var("OBH_SCENARIO");

        let action = match action_raw.as_str() {
            "withdraw" => Some(Action::Withdraw),
            "deposit" => Some(Action::Deposit),
            "balance" => Some(Action::Balance),
            "" => None,
            other => {
                problems.push(format!("OBH_ACTION must be withdraw, deposit or balance, not '{other}'"));
                None
            }
        };
        // Amounts are decimal strings of whole won; leading zeros carry no meaning.
        let amount = amount_raw.trim_start_matches('0').to_string();
        let bad_amount = !amount_raw.bytes().all(|b| b.is_ascii_digit()) || amount.is_empty() || amount.len() > 12;
        if !amount_raw.is_empty() && bad_amount {
            problems
                .push(format!("OBH_AMOUNT must be a positive whole number of won (≤12 digits), not '{amount_raw}'"));
        }
        if !client_use_code.is_empty() && client_use_code.len() != 10 {
            problems.push(format!("OBH_CLIENT_USE_CODE must be 10 characters (이용기관코드), not '{client_use_code}'"));
        }
        let base_url = cfg_base.trim_end_matches('/').to_string();
        if !(base_url.is_empty() || base_url.starts_with("http://") || base_url.starts_with("https://")) {
            problems.push(format!("OBH_BASE_URL must be an http(s) URL, not '{base_url}'"));
        }
        if !missing.is_empty() {
            problems.insert(0, format!("missing environment variables: {}", missing.join(", ")));
        }
        match action {
            Some(action) if problems.is_empty() => Ok(Config {
                base_url,
                client_id,
                client_secret,
                client_use_code,
                redirect_uri,
                user_seq_no,
                user_name,
                fintech_use_num,
                cntr_account_num,
                cntr_bank_code,
                institution_name,
                wd_pass_phrase,
                recv_fintech_use_num,
                action,
                amount,
                scenario,
                tls_ca_file: std::env::var("OBH_TLS_CA_FILE").ok().filter(|v| !v.trim().is_empty()),
                numeric_amounts: false,
            }),
            _ => Err(problems.join("; ")),
        }
    }

    /// 요청고객회원번호: the paying customer's member number in our own user base.
    pub fn req_client_num(&self) -> String {
        let mut n = format!("MBR{}", self.user_seq_no);
        n.truncate(20);
        n
    }
}
