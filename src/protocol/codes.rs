//! The response-code table and what an institution must do with each outcome.
//!
//! Center codes (`rsp_code`, AN5) and participating-bank codes (`bank_rsp_code`, AN3) are
//! typed here once; [`required_handling`] encodes the handling table of the KFTC briefing
//! (응답코드 처리 안내), including the rules that depend on the API and the bank code.

use serde::{Deserialize, Serialize};

use super::catalogue::ApiId;

/// What the institution's code must do with an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handling {
    /// Done; nothing more to do.
    Success,
    /// The transaction did not happen; treat it as failed and do not retry the same id.
    Refused,
    /// The outcome is unknown; call 이체결과조회 (`transfer/result`), never re-send.
    InquireResult,
    /// The `bank_tran_id` was already used; the second request was ignored and the first stands.
    DuplicateIgnored,
    /// A consent is over a year old; re-confirm through 계좌등록확인 (`authorize_account`).
    ConsentExpired,
    /// A consent was never given (or was cancelled); register it through 사용자인증.
    ConsentRequired,
    /// The credentials, scope or caller address were rejected; fix them before retrying.
    AuthError,
    /// The request was malformed; fix the request.
    FormatError,
    /// The service is not available now (operating hours, outage); try again later.
    RetryLater,
}

/// What the token revocation (`oauth.revoke`) answers on success: the catalogue's response
/// field says so; the message beside it is a [project rule] (docs/simulator.md).
pub const OAUTH_REVOKED: &str = "O0000";

impl Handling {
    /// What the institution must do, in a line.
    pub fn describe(self) -> &'static str {
        match self {
            Handling::Success => "success",
            Handling::Refused => "refused: treat as failed, do not retry the same id",
            Handling::InquireResult => "outcome unknown: call 이체결과조회, never re-send",
            Handling::DuplicateIgnored => "duplicate: the second request is ignored, the first stands",
            Handling::ConsentExpired => "consent expired: re-confirm through 계좌등록확인",
            Handling::ConsentRequired => "consent missing: register it through 사용자인증",
            Handling::AuthError => "credentials, scope or caller address rejected: fix before retrying",
            Handling::FormatError => "malformed request: fix the request",
            Handling::RetryLater => "not available now: try again later",
        }
    }
}

macro_rules! code_table {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident = ($code:literal, $msg:literal, $handling:ident),)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($variant,)* }

        impl $name {
            /// Every code of the table, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            /// The center's message for the code.
            pub const fn message(self) -> &'static str {
                match self { $($name::$variant => $msg,)* }
            }

            /// The message an answer carries with the code: blank for a success, as in every
            /// real test-bed answer and KFTC's reference examples (`"rsp_message": ""`,
            /// `"bank_rsp_message": ""`); the code's message otherwise.
            pub fn wire_message(self) -> &'static str {
                match self.code() {
                    "A0000" | "000" => "",
                    _ => self.message(),
                }
            }

            /// The handling class of the code on its own (see [`required_handling`] for the
            /// rules that depend on the API and the bank code).
            pub const fn default_handling(self) -> Handling {
                match self { $($name::$variant => Handling::$handling,)* }
            }

            /// Looks a wire code up in the table.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_code(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown code '{s}'")))
            }
        }
    };
}

code_table! {
    /// Center response codes (`rsp_code`).
    pub enum RspCode {
        Success = ("A0000", "성공", Success),
        Processing = ("A0001", "처리 중", InquireResult),
        BankError = ("A0002", "참가은행 에러", Refused),
        InternalError = ("A0003", "내부 처리 에러", InquireResult),
        FormatError = ("A0004", "요청전문 포맷 에러", FormatError),
        RegistrationDataError = ("A0005", "등록 데이터 에러", Refused),
        Timeout = ("A0007", "처리시간 초과 에러", InquireResult),
        DuplicateTransaction = ("A0008", "중복거래", DuplicateIgnored),
        NoApiPermission = ("A0011", "API 사용권한 없음", AuthError),
        ServiceUnavailable = ("A0013", "서비스 사용 불가", RetryLater),
        ClosedMember = ("A0014", "탈퇴 회원", Refused),
        BankResponseTimeout = ("A0017", "참가기관 응답전문 TIMEOUT", Refused),
        NoTransactions = ("A0018", "거래내역 없음", Success),
        OutsideOperatingHours = ("A0020", "조회 가능시간 아님", RetryLater),
        PerTransferLimitExceeded = ("A0111", "사용자 출금한도 초과(건당)", Refused),
        DailyLimitExceeded = ("A0112", "사용자 출금한도 초과(일)", Refused),
        AccessDenied = ("A0301", "접근 권한 없음", AuthError),
        InquiryConsentMissing = ("A0305", "제3자정보제공동의 미완료", ConsentRequired),
        TransferConsentMissing = ("A0306", "출금동의 미완료", ConsentRequired),
        PassPhraseMismatch = ("A0307", "이체암호문구 불일치", Refused),
        NoSuchTransfer = ("A0310", "이체 내역 없음", Refused),
        HolderNameMismatch = ("A0312", "예금주명 불일치", Refused),
        UserMismatch = ("A0313", "사용자 불일치", Refused),
        InquiryConsentExpired = ("A0316", "금융(거래)정보 제3자제공동의 만료", ConsentExpired),
        TransferConsentExpired = ("A0319", "출금동의 만료", ConsentExpired),
        UnregisteredContractAccount = ("A0322", "미등록 약정계좌", Refused),
        BankTranIdDuplicate = ("A0326", "은행거래고유번호 중복", DuplicateIgnored),
        AuthParameterError = ("O0001", "인증 파라미터 오류", AuthError),
        AccessTokenRejected = ("O0002", "Access Token 거부", AuthError),
        WrongMethod = ("O0010", "허용되지 않은 HTTP Method 입니다.", FormatError),
        ScopeNotAllowed = ("O0011", "허용되지 않은 Scope 입니다.", AuthError),
    }
}

code_table! {
    /// Participating-bank response codes (`bank_rsp_code`).
    pub enum BankRspCode {
        Ok = ("000", "정상", Success),
        BankFailure = ("111", "장애", Refused),
        OutsideServiceHours = ("114", "서비스 시간 아님", RetryLater),
        ResponseTimeout = ("311", "응답대기시간 경과", Refused),
        DepositInProgress = ("400", "입금 처리 중", InquireResult),
        InsufficientBalance = ("453", "잔액 부족", Refused),
        InsufficientAvailable = ("454", "출금가능잔액 부족", Refused),
        InternalProcessing = ("803", "내부처리", InquireResult),
        ProcessingTimeout = ("804", "처리시간 초과", InquireResult),
        NoSimulatorResponse = ("818", "시뮬레이터 응답전문 없음", Refused),
    }
}

impl RspCode {
    /// Business errors are answered with HTTP 200; a success is `A0000` only.
    pub fn is_success(self) -> bool {
        self == RspCode::Success
    }
}

/// The handling the briefing requires for an outcome of `api`.
///
/// Context matters: `A0007` means "inquire" only for APIs that move money (an inquiry that
/// timed out is simply retried later), `A0017` with bank `311` on a withdraw is a refusal,
/// `A0001` with bank `400` on a deposit must be followed by result inquiries, and public
/// clients also send `A0003` and bank codes `803`/`804` to 이체결과조회.
pub fn required_handling(api: ApiId, rsp: RspCode, bank: Option<BankRspCode>) -> Handling {
    let moves_money = api.api().money_moving;
    match (rsp, bank) {
        (RspCode::Success, _) => Handling::Success,
        (RspCode::Timeout | RspCode::InternalError | RspCode::Processing, _) if moves_money => Handling::InquireResult,
        (RspCode::Timeout | RspCode::InternalError | RspCode::Processing, _) => Handling::RetryLater,
        (RspCode::BankError, Some(BankRspCode::InternalProcessing | BankRspCode::ProcessingTimeout)) if moves_money => {
            Handling::InquireResult
        }
        (RspCode::BankError, Some(b)) => b.default_handling(),
        (other, _) => other.default_handling(),
    }
}

/// The answers after which `api`'s outcome is unknown and 이체결과조회 must settle it, as the
/// codes an institution looks up (`A0007`, `A0002/803`, …).
pub fn inquire_result_codes(api: ApiId) -> Vec<String> {
    let mut out = Vec::new();
    for rsp in RspCode::ALL {
        if required_handling(api, *rsp, None) == Handling::InquireResult {
            out.push(rsp.code().to_string());
        }
        for bank in BankRspCode::ALL {
            if required_handling(api, *rsp, Some(*bank)) == Handling::InquireResult
                && required_handling(api, *rsp, None) != Handling::InquireResult
            {
                out.push(format!("{}/{}", rsp.code(), bank.code()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unknown_outcomes_of_a_withdraw_are_listed_as_codes() {
        let codes = inquire_result_codes(ApiId::TransferWithdraw);
        for want in ["A0001", "A0003", "A0007", "A0002/803", "A0002/804"] {
            assert!(codes.iter().any(|c| c == want), "{want} in {codes:?}");
        }
        let inquiry = inquire_result_codes(ApiId::AccountBalance);
        assert!(
            !inquiry.iter().any(|c| c == "A0007" || c == "A0003"),
            "inquiries are retried, not inquired: {inquiry:?}"
        );
    }

    #[test]
    fn every_code_round_trips_through_the_wire_form() {
        for code in RspCode::ALL {
            assert_eq!(RspCode::from_code(code.code()), Some(*code));
            assert_eq!(code.code().len(), 5, "{code} is AN5");
        }
        for code in BankRspCode::ALL {
            assert_eq!(BankRspCode::from_code(code.code()), Some(*code));
            assert_eq!(code.code().len(), 3, "{code} is AN3");
        }
    }

    // One test per row of the briefing's handling table (응답코드 처리 안내).

    #[test]
    fn a0000_is_done() {
        let h = required_handling(ApiId::TransferWithdraw, RspCode::Success, Some(BankRspCode::Ok));
        assert_eq!(h, Handling::Success);
    }

    #[test]
    fn a0007_on_a_transfer_means_inquire_never_resend() {
        for api in [ApiId::TransferWithdraw, ApiId::TransferDeposit] {
            assert_eq!(required_handling(api, RspCode::Timeout, None), Handling::InquireResult);
        }
    }

    #[test]
    fn withdraw_a0017_with_bank_311_is_refused() {
        let h = required_handling(
            ApiId::TransferWithdraw,
            RspCode::BankResponseTimeout,
            Some(BankRspCode::ResponseTimeout),
        );
        assert_eq!(h, Handling::Refused);
    }

    #[test]
    fn deposit_a0001_with_bank_400_means_poll_the_result() {
        let h = required_handling(ApiId::TransferDeposit, RspCode::Processing, Some(BankRspCode::DepositInProgress));
        assert_eq!(h, Handling::InquireResult);
    }

    #[test]
    fn a0326_means_the_duplicate_was_ignored_and_the_first_stands() {
        let h = required_handling(ApiId::TransferWithdraw, RspCode::BankTranIdDuplicate, None);
        assert_eq!(h, Handling::DuplicateIgnored);
    }

    #[test]
    fn a0316_on_inquiry_means_reconfirm_consent() {
        let h = required_handling(ApiId::AccountBalance, RspCode::InquiryConsentExpired, None);
        assert_eq!(h, Handling::ConsentExpired);
    }

    #[test]
    fn a0319_on_withdraw_means_reconfirm_consent() {
        let h = required_handling(ApiId::TransferWithdraw, RspCode::TransferConsentExpired, None);
        assert_eq!(h, Handling::ConsentExpired);
    }

    #[test]
    fn public_clients_also_inquire_after_a0003_and_bank_803_804() {
        let api = ApiId::TransferWithdraw;
        assert_eq!(required_handling(api, RspCode::InternalError, None), Handling::InquireResult);
        for bank in [BankRspCode::InternalProcessing, BankRspCode::ProcessingTimeout] {
            assert_eq!(required_handling(api, RspCode::BankError, Some(bank)), Handling::InquireResult);
        }
    }

    #[test]
    fn a_timeout_on_an_inquiry_is_retried_not_inquired() {
        let h = required_handling(ApiId::AccountBalance, RspCode::Timeout, None);
        assert_eq!(h, Handling::RetryLater);
    }

    #[test]
    fn insufficient_balance_is_a_refusal() {
        let h = required_handling(ApiId::TransferWithdraw, RspCode::BankError, Some(BankRspCode::InsufficientBalance));
        assert_eq!(h, Handling::Refused);
    }

    #[test]
    fn token_errors_are_auth_errors() {
        for code in [RspCode::AuthParameterError, RspCode::AccessTokenRejected, RspCode::ScopeNotAllowed] {
            assert_eq!(required_handling(ApiId::UserMe, code, None), Handling::AuthError);
        }
    }
}
