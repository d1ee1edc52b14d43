//! Typed identifiers with validation. A value of these types is known to be well-formed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("bank_tran_id '{0}' must be 20 characters: 이용기관코드 (10) + 'U' + 9 alphanumerics")]
    BankTranIdLayout(String),
    #[error("bank_tran_id '{id}' does not start with the caller's 이용기관코드 '{expected}'")]
    BankTranIdInstitution { id: String, expected: String },
    #[error("fintech_use_num '{0}' must be 24 digits")]
    FintechUseNum(String),
    #[error("client_use_code '{0}' must be 10 alphanumerics")]
    ClientUseCode(String),
    #[error("user_seq_no '{0}' must be 10 digits")]
    UserSeqNo(String),
    #[error("tran_dtime '{0}' must be yyyyMMddHHmmss")]
    TranDtime(String),
    #[error("amount '{0}' must be a positive decimal of at most 12 digits")]
    Amount(String),
}

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

string_id! {
    /// 이용기관코드: 10 alphanumerics, e.g. `M202601315`.
    ClientUseCode
}

impl ClientUseCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 10 && alnum(s) {
            Ok(ClientUseCode(s.to_string()))
        } else {
            Err(IdError::ClientUseCode(s.to_string()))
        }
    }
}

string_id! {
    /// 은행거래고유번호: 이용기관코드 (10) + `U` + 9 alphanumerics chosen by the institution,
    /// unique per calendar day.
    BankTranId
}

impl BankTranId {
    /// Checks the layout only.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        if b.len() == 20 && b[10] == b'U' && alnum(&s[..10]) && alnum(&s[11..]) {
            Ok(BankTranId(s.to_string()))
        } else {
            Err(IdError::BankTranIdLayout(s.to_string()))
        }
    }

    /// Checks the layout and that the id belongs to `institution`.
    ///
    /// ```
    /// use obharness::protocol::{BankTranId, ClientUseCode};
    ///
    /// let me = ClientUseCode::parse("M202601315").unwrap();
    /// let id = BankTranId::parse_for("M202601315U000000042", &me).unwrap();
    /// assert_eq!(id.serial(), "000000042");
    /// assert!(BankTranId::parse_for("T991234567U000000042", &me).is_err());
    /// ```
    pub fn parse_for(s: &str, institution: &ClientUseCode) -> Result<Self, IdError> {
        let id = Self::parse(s)?;
        if id.institution() == institution.as_str() {
            Ok(id)
        } else {
            Err(IdError::BankTranIdInstitution { id: s.to_string(), expected: institution.to_string() })
        }
    }

    /// Builds an id from an institution code and a 9-character serial.
    pub fn new(institution: &ClientUseCode, serial: &str) -> Result<Self, IdError> {
        Self::parse(&format!("{institution}U{serial}"))
    }

    /// The 이용기관코드 part.
    pub fn institution(&self) -> &str {
        &self.0[..10]
    }

    /// The institution-chosen 9 characters.
    pub fn serial(&self) -> &str {
        &self.0[11..]
    }
}

string_id! {
    /// 핀테크이용번호: 24 digits the center assigns to a registered account.
    FintechUseNum
}

impl FintechUseNum {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 24 && digits(s) {
            Ok(FintechUseNum(s.to_string()))
        } else {
            Err(IdError::FintechUseNum(s.to_string()))
        }
    }
}

string_id! {
    /// 사용자일련번호: 10 digits.
    UserSeqNo
}

impl UserSeqNo {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 10 && digits(s) { Ok(UserSeqNo(s.to_string())) } else { Err(IdError::UserSeqNo(s.to_string())) }
    }
}

string_id! {
    /// 요청일시: N14 `yyyyMMddHHmmss`, a valid calendar instant (KST).
    TranDtime
}

impl TranDtime {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        match super::time::parse_tran_dtime(s) {
            Some(_) => Ok(TranDtime(s.to_string())),
            None => Err(IdError::TranDtime(s.to_string())),
        }
    }
}

/// An amount in won. On the wire amounts are decimal strings of at most 12 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Amount(pub u64);

impl Amount {
    pub const MAX: u64 = 999_999_999_999;

    /// Parses a positive amount (`"1000"`); leading zeros are allowed, zero is not.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.len() > 12 || !digits(s) {
            return Err(IdError::Amount(s.to_string()));
        }
        match s.parse::<u64>() {
            Ok(0) | Err(_) => Err(IdError::Amount(s.to_string())),
            Ok(n) => Ok(Amount(n)),
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An account number as the center shows it: the last three characters replaced by `***`
/// (`1001000000001` → `1001000000***`). Already-masked numbers stay as they are; numbers of
/// three characters or fewer become `***`; a blank one stays blank.
pub fn mask_account_num(account_num: &str) -> String {
    // A blank number (an answer's field the center leaves empty) stays blank.
    if account_num.is_empty() {
        return String::new();
    }
    let n = account_num.chars().count();
    let kept: String = account_num.chars().take(n.saturating_sub(3)).collect();
    format!("{kept}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn institution() -> ClientUseCode {
        ClientUseCode::parse("M202601315").unwrap()
    }

    #[test]
    fn bank_tran_id_layout_is_institution_u_serial() {
        let id = BankTranId::parse_for("M202601315U00000001A", &institution()).unwrap();
        assert_eq!(id.institution(), "M202601315");
        assert_eq!(id.serial(), "00000001A");
        assert_eq!(BankTranId::new(&institution(), "123456789").unwrap().as_str(), "M202601315U123456789");
    }

    #[test]
    fn bank_tran_id_rejects_wrong_layouts() {
        for bad in ["M202601315X000000001", "M202601315U0000001", "M202601315U0000000011", "M20260131-U000000001", ""] {
            assert!(matches!(BankTranId::parse(bad), Err(IdError::BankTranIdLayout(_))), "{bad}");
        }
        let other = BankTranId::parse_for("T991234567U000000001", &institution()).unwrap_err();
        assert!(matches!(other, IdError::BankTranIdInstitution { .. }));
    }

    #[test]
    fn fintech_use_num_is_24_digits() {
        assert!(FintechUseNum::parse("120260000001000000000001").is_ok());
        assert!(FintechUseNum::parse("12026000000100000000001").is_err());
        assert!(FintechUseNum::parse("12026000000100000000000A").is_err());
    }

    #[test]
    fn amounts_are_positive_12_digit_decimals() {
        assert_eq!(Amount::parse("1000").unwrap(), Amount(1000));
        assert_eq!(Amount::parse("999999999999").unwrap().0, Amount::MAX);
        for bad in ["0", "", "-1", "1.5", "1000000000000", " 1"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tran_dtime_is_a_real_instant() {
        assert!(TranDtime::parse("20260302100000").is_ok());
        assert!(TranDtime::parse("20260399100000").is_err());
    }

    #[test]
    fn ids_deserialize_with_validation() {
        let ok: Result<FintechUseNum, _> = serde_json::from_str("\"120260000001000000000001\"");
        assert!(ok.is_ok());
        let bad: Result<UserSeqNo, _> = serde_json::from_str("\"12\"");
        assert!(bad.unwrap_err().to_string().contains("user_seq_no '12'"));
    }

    #[test]
    fn account_numbers_are_masked_like_the_center_does() {
        assert_eq!(mask_account_num("1001000000001"), "1001000000***");
        assert_eq!(mask_account_num("1001000000***"), "1001000000***");
        assert_eq!(mask_account_num("12"), "***");
        assert_eq!(mask_account_num("계좌번호1234"), "계좌번호1***");
    }
}
