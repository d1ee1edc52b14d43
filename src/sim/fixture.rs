//! Test data: the institution, its users and their accounts.
//!
//! The default data set is documented in `docs/simulator.md`; more can be loaded from a
//! YAML or JSON file (`--fixtures FILE`), like the test bed's 테스트 데이터 등록.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::protocol::ids::{ClientUseCode, FintechUseNum, UserSeqNo};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub institution: InstitutionFixture,
    #[serde(default)]
    pub users: Vec<UserFixture>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionFixture {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_use_code: ClientUseCode,
    /// The registered callback; authorize requests naming another are rejected.
    pub redirect_uri: String,
    /// The institution's 약정계좌 (collection/payment account) at `cntr_bank_code`.
    pub cntr_account_num: String,
    #[serde(default = "default_bank")]
    pub cntr_bank_code: String,
    pub cntr_account_holder_name: String,
    #[serde(with = "amount_str")]
    pub cntr_balance_amt: u64,
    /// 입금이체용 암호문구.
    pub wd_pass_phrase: String,
    /// Registered server addresses allowed to call transfer APIs.
    pub whitelist: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFixture {
    pub user_seq_no: UserSeqNo,
    pub user_name: String,
    pub user_ci: String,
    /// 생년월일 YYMMDD, checked by 계좌실명조회 with account_holder_info_type ' '.
    pub birth_date: String,
    #[serde(default = "default_daily_limit", with = "amount_str")]
    pub daily_withdraw_limit: u64,
    #[serde(default = "default_per_transfer_limit", with = "amount_str")]
    pub per_transfer_limit: u64,
    pub accounts: Vec<AccountFixture>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFixture {
    pub fintech_use_num: FintechUseNum,
    #[serde(default = "default_bank")]
    pub bank_code_std: String,
    pub account_num: String,
    pub account_holder_name: String,
    #[serde(with = "amount_str")]
    pub balance_amt: u64,
    #[serde(default = "default_account_type")]
    pub account_type: String,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub account_alias: String,
    /// 개별저축은행명, for an account at a savings bank (bank_code_std 050).
    #[serde(default)]
    pub savings_bank_name: String,
    /// 회차번호, for accounts that have one.
    #[serde(default)]
    pub account_seq: String,
    /// 오픈뱅킹 납부자번호; generated from the registration date and fintech_use_num when absent.
    #[serde(default)]
    pub payer_num: Option<String>,
    /// Whether 금융정보 제3자제공동의 is given (fresh at the clock's start).
    #[serde(default = "yes")]
    pub inquiry_agree: bool,
    /// Whether 출금동의 is given (fresh at the clock's start).
    #[serde(default = "yes")]
    pub transfer_agree: bool,
    /// Number of past transactions to generate (deterministically) before the clock's start.
    #[serde(default)]
    pub seed_history: u32,
}

fn default_bank() -> String {
    "097".to_string()
}
fn default_account_type() -> String {
    "1".to_string()
}
fn default_daily_limit() -> u64 {
    10_000_000
}
fn default_per_transfer_limit() -> u64 {
    5_000_000
}
fn yes() -> bool {
    true
}

/// Amounts are decimal strings on the wire; fixtures accept numbers too.
mod amount_str {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(n),
            Raw::S(s) => s.parse().map_err(|_| serde::de::Error::custom(format!("'{s}' is not an amount in won"))),
        }
    }
}

/// Why a fixture file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Fixture {
    /// Loads a fixture file (YAML, which includes JSON).
    pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
        /// A fixture larger than this is not test data (and `/dev/zero` is not a fixture).
        const MAX_BYTES: u64 = 16 * 1024 * 1024;
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| FixtureError::Read { path: shown.clone(), source })?;
        if !meta.is_file() {
            return Err(FixtureError::Invalid { path: shown, message: "not a regular file".into() });
        }
        if meta.len() > MAX_BYTES {
            return Err(FixtureError::Invalid { path: shown, message: format!("larger than {MAX_BYTES} bytes") });
        }
        let text =
            std::fs::read_to_string(path).map_err(|source| FixtureError::Read { path: shown.clone(), source })?;
        Self::parse(&text, &shown)
    }

    /// Parses fixture text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Fixture, FixtureError> {
        let fixture: Fixture = serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            FixtureError::Parse { path: origin.to_string(), line, column, message: e.to_string() }
        })?;
        fixture.validate().map_err(|message| FixtureError::Invalid { path: origin.to_string(), message })?;
        Ok(fixture)
    }

    /// Cross-field rules serde cannot express.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen_users = std::collections::HashSet::new();
        let mut seen_fintech = std::collections::HashSet::new();
        let mut seen_accounts = std::collections::HashSet::new();
        let inst = &self.institution;
        seen_accounts.insert((inst.cntr_bank_code.clone(), inst.cntr_account_num.clone()));
        if crate::protocol::banks::bank_name(&inst.cntr_bank_code).is_none() {
            return Err(format!("institution.cntr_bank_code '{}' is not a known bank code", inst.cntr_bank_code));
        }
        for (i, u) in self.users.iter().enumerate() {
            if !seen_users.insert(u.user_seq_no.clone()) {
                return Err(format!("users[{i}].user_seq_no '{}' appears twice", u.user_seq_no));
            }
            if u.birth_date.len() != 6 || !u.birth_date.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("users[{i}].birth_date '{}' must be YYMMDD", u.birth_date));
            }
            for (j, a) in u.accounts.iter().enumerate() {
                let at = format!("users[{i}].accounts[{j}]");
                if !seen_fintech.insert(a.fintech_use_num.clone()) {
                    return Err(format!("{at}.fintech_use_num '{}' appears twice", a.fintech_use_num));
                }
                if !seen_accounts.insert((a.bank_code_std.clone(), a.account_num.clone())) {
                    return Err(format!("{at}: account {} at bank {} appears twice", a.account_num, a.bank_code_std));
                }
                if crate::protocol::banks::bank_name(&a.bank_code_std).is_none() {
                    return Err(format!("{at}.bank_code_std '{}' is not a known bank code", a.bank_code_std));
                }
                if !["1", "2", "6", "T"].contains(&a.account_type.as_str()) {
                    return Err(format!("{at}.account_type '{}' must be one of 1, 2, 6, T", a.account_type));
                }
                if a.account_num.is_empty()
                    || a.account_num.len() > 16
                    || !a.account_num.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(format!("{at}.account_num '{}' must be 1 to 16 digits", a.account_num));
                }
            }
        }
        Ok(())
    }
}

impl Default for Fixture {
    /// The documented default data set (see `docs/simulator.md`).
    fn default() -> Self {
        serde_yaml::from_str(DEFAULT_FIXTURE).expect("the built-in fixture parses")
    }
}

/// The built-in data set, as a fixture file would write it.
pub const DEFAULT_FIXTURE: &str = include_str!("default_fixture.yaml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_as_fixtures() {
        let err = Fixture::load(Path::new("/dev/zero")).unwrap_err().to_string();
        assert_eq!(err, "/dev/zero: not a regular file");
    }

    #[test]
    fn the_default_fixture_is_valid_and_funds_benchmarks() {
        let f = Fixture::default();
        f.validate().unwrap();
        assert!(f.users[0].accounts[0].balance_amt >= 100_000_000);
        assert_eq!(f.institution.client_use_code.as_str().len(), 10);
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = Fixture::parse("institution:\n  name: x\n  bogus: 1\n", "f.yaml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("f.yaml:"), "{msg}");
        assert!(msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn duplicate_fintech_numbers_are_rejected() {
        let mut f = Fixture::default();
        let dup = f.users[0].accounts[0].clone();
        f.users[1].accounts.push(dup);
        assert!(f.validate().unwrap_err().contains("appears twice"));
    }
}
