//! The center's rules and the institution's handling duties that are more than one response
//! code: the rows of the coverage matrix below the code table. Each names the codes a
//! scenario checks when it checks the rule, and the scenario tags that mark it.

use super::codes::RspCode;

/// A rule a scenario can check.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    /// The rule in the words of KFTC's documents.
    pub meaning: &'static str,
    /// Where an institution reads it (KFTC's documents, not this project's files).
    pub source: &'static str,
    /// A scenario that expects one of these codes checks the rule.
    pub codes: &'static [RspCode],
    /// Or one carrying one of these tags.
    pub tags: &'static [&'static str],
}

const API_SPEC: &str = "KFTC 오픈뱅킹 API 명세서 v2.0";
const HANDLING: &str = "KFTC 오픈뱅킹 응답코드 처리 안내";

pub const RULES: &[Rule] = &[
    Rule {
        name: "Consent",
        meaning: "제3자정보제공동의 / 출금동의 are required, and expire one year after agreement: inquiries answer A0316, withdrawals A0319; 계좌등록확인 renews them",
        source: API_SPEC,
        codes: &[
            RspCode::InquiryConsentExpired,
            RspCode::TransferConsentExpired,
            RspCode::InquiryConsentMissing,
            RspCode::TransferConsentMissing,
        ],
        tags: &["consent"],
    },
    Rule {
        name: "Caller address",
        meaning: "Transfer APIs are accepted only from the institution's registered server addresses (A0301 otherwise)",
        source: API_SPEC,
        codes: &[RspCode::AccessDenied],
        tags: &["ip", "whitelist"],
    },
    Rule {
        name: "Duplicates",
        meaning: "A reused bank_tran_id or a repeated transaction is ignored; the first request stands and money moves once (A0008, A0326)",
        source: HANDLING,
        codes: &[RspCode::DuplicateTransaction, RspCode::BankTranIdDuplicate],
        tags: &["duplicate"],
    },
    Rule {
        name: "AML",
        meaning: "자금세탁방지: every transfer names the requesting customer (req_client_name, req_client_num, account or fintech number)",
        source: API_SPEC,
        codes: &[],
        tags: &["aml"],
    },
    Rule {
        name: "Operating hours",
        meaning: "Outside the service hours (00:05–23:55) the center answers A0020",
        source: API_SPEC,
        codes: &[RspCode::OutsideOperatingHours],
        tags: &["hours"],
    },
    Rule {
        name: "Unknown outcome",
        meaning: "A transfer whose outcome is unknown (no answer, A0007, A0003, 803/804) is settled with 이체결과조회, never re-sent",
        source: HANDLING,
        codes: &[RspCode::Timeout, RspCode::InternalError, RspCode::Processing],
        tags: &["unknown-outcome", "result"],
    },
    Rule {
        name: "Refusals and limits",
        meaning: "Refused transfers and per-transaction / daily limits (A0017 with 311 is a refusal; A0111, A0112)",
        source: HANDLING,
        codes: &[RspCode::BankResponseTimeout, RspCode::PerTransferLimitExceeded, RspCode::DailyLimitExceeded],
        tags: &["refusal", "limit"],
    },
    Rule {
        name: "Request format",
        meaning: "Malformed requests are refused with a format error (A0004, O0010)",
        source: API_SPEC,
        codes: &[RspCode::FormatError, RspCode::WrongMethod],
        tags: &["format"],
    },
    Rule {
        name: "Authentication",
        meaning: "OAuth 2.0 tokens, their scopes and their expiry",
        source: "KFTC 오픈뱅킹 API 명세서 v2.0, 사용자인증 / 토큰발급",
        codes: &[],
        tags: &["auth", "oauth", "token", "scope"],
    },
];

impl Rule {
    /// Whether a scenario with these tags, expecting these codes, checks the rule.
    pub fn checked_by(&self, tags: &[String], expected_codes: &[String]) -> bool {
        self.codes.iter().any(|c| expected_codes.iter().any(|e| e == c.code()))
            || tags.iter().any(|t| self.tags.iter().any(|want| t.eq_ignore_ascii_case(want)))
    }
}
