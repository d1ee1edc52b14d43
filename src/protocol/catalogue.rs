//! The catalogue of the 22 Open Banking APIs: stable id, Korean name, method, path, scope,
//! whether it moves money or is whitelist-only, and its request/response fields.
//!
//! Every API names its `source`: KFTC's API reference page where a copy is public, otherwise
//! real test-bed answers and the client code that others wrote against the test bed (KFTC's own
//! Android sample among them). A field no source shows carries `[project rule]` and its reason
//! in its doc. Where the sources are silent on whether a request field is required, the field is
//! optional: the simulator accepts rather than rejects (docs/simulator.md lists these rules).

use serde::{Deserialize, Serialize};

use super::fields::{Field, Format, opt, req};

/// The stable identifier of an API (`transfer.withdraw`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiId {
    OauthAuthorize,
    OauthAuthorizeAccount,
    OauthToken,
    OauthTokenRefresh,
    OauthTokenClient,
    OauthRevoke,
    UserMe,
    UserUnlink,
    UserClose,
    AccountList,
    AccountUpdateInfo,
    AccountCancel,
    AccountBalance,
    AccountTransactionList,
    InquiryRealName,
    InquiryRemitList,
    InquiryReceive,
    TransferWithdraw,
    TransferDeposit,
    TransferResult,
    ReturnClaim,
    ReturnResult,
}

/// A token scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Login,
    Inquiry,
    Transfer,
    Oob,
    Sa,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Login => "login",
            Scope::Inquiry => "inquiry",
            Scope::Transfer => "transfer",
            Scope::Oob => "oob",
            Scope::Sa => "sa",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "login" => Scope::Login,
            "inquiry" => Scope::Inquiry,
            "transfer" => Scope::Transfer,
            "oob" => Scope::Oob,
            "sa" => Scope::Sa,
            _ => return None,
        })
    }
}

/// Which consent of the account an API relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// 금융정보 제3자제공동의 (inquiries): expired → `A0316`.
    Inquiry,
    /// 출금동의 (withdraw): expired → `A0319`.
    Transfer,
}

/// Where an API takes its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsIn {
    Query,
    Json,
    Form,
}

/// One API of the catalogue.
#[derive(Debug)]
pub struct Api {
    pub id: ApiId,
    /// The stable id string (`transfer.withdraw`).
    pub key: &'static str,
    /// Korean name as in the KFTC documents.
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// Any one of these scopes grants access; empty for the OAuth endpoints.
    pub scopes: &'static [Scope],
    pub money_moving: bool,
    pub whitelist_only: bool,
    pub consent: Option<Consent>,
    pub params_in: ParamsIn,
    pub request: &'static [Field],
    pub response: &'static [Field],
    /// Where the method, path, scope and field sets come from.
    pub source: &'static str,
}

impl ApiId {
    pub const ALL: [ApiId; 22] = [
        ApiId::OauthAuthorize,
        ApiId::OauthAuthorizeAccount,
        ApiId::OauthToken,
        ApiId::OauthTokenRefresh,
        ApiId::OauthTokenClient,
        ApiId::OauthRevoke,
        ApiId::UserMe,
        ApiId::UserUnlink,
        ApiId::UserClose,
        ApiId::AccountList,
        ApiId::AccountUpdateInfo,
        ApiId::AccountCancel,
        ApiId::AccountBalance,
        ApiId::AccountTransactionList,
        ApiId::InquiryRealName,
        ApiId::InquiryRemitList,
        ApiId::InquiryReceive,
        ApiId::TransferWithdraw,
        ApiId::TransferDeposit,
        ApiId::TransferResult,
        ApiId::ReturnClaim,
        ApiId::ReturnResult,
    ];

    /// The stable id used in scenarios, reports and the journal.
    pub const fn as_str(self) -> &'static str {
        self.api().key
    }

    pub const fn api(self) -> &'static Api {
        &CATALOGUE[self as usize]
    }

    /// Looks an id up (`transfer.withdraw`).
    pub fn parse(s: &str) -> Option<ApiId> {
        CATALOGUE.iter().find(|a| a.key == s).map(|a| a.id)
    }

    /// Ids of every API, for "did you mean" hints.
    pub fn names() -> impl Iterator<Item = &'static str> {
        CATALOGUE.iter().map(|a| a.key)
    }
}

impl std::fmt::Display for ApiId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApiId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ApiId::parse(&s).ok_or_else(|| {
            let hint =
                super::suggest(&s, ApiId::names()).map(|n| format!(" — did you mean '{n}'?")).unwrap_or_default();
            serde::de::Error::custom(format!("unknown API '{s}'{hint}"))
        })
    }
}

impl Api {
    /// The catalogue, in reference-page order.
    pub fn all() -> impl Iterator<Item = &'static Api> {
        CATALOGUE.iter()
    }

    /// Whether requests to this API carry a `bank_tran_id` (at top level or per item).
    pub fn carries_bank_tran_id(&self) -> bool {
        self.request.iter().any(|f| {
            f.name == "bank_tran_id"
                || matches!(f.format, Format::List(items) if items.iter().any(|i| i.name == "bank_tran_id"))
        })
    }
}

const BASE: Api = Api {
    id: ApiId::OauthAuthorize,
    key: "",
    name: "",
    method: "GET",
    path: "",
    scopes: &[],
    money_moving: false,
    whitelist_only: false,
    consent: None,
    params_in: ParamsIn::Query,
    request: &[],
    response: &[],
    source: "[project rule] no copy of KFTC's reference page for this API is public; names as in docs/openbanking-api.md",
};

// Sources, cited by the APIs below. The reference pages are KFTC's developer site
// (developers.kftc.or.kr/dev/openapi/open-banking/…); "KFTC sample" is KFTC's Android sample
// client (package com.kftc.openbankingsample2), whose requests the test bed accepted.
const SRC_DEPOSIT: &str = "KFTC API reference 입금이체 (open-banking/deposit), 요청 메시지 명세; res_list from a real test-bed answer (a client's log, 2024) and client DTOs (row order agreed by four)";
const SRC_TRANSACTION: &str = "KFTC API reference 거래내역조회 (open-banking/transaction), request and response tables; list rows from client DTOs";
const SRC_RESULT: &str = "KFTC API 명세서 2.5.3 이체결과조회 as transcribed field by field with KFTC's example values (download-C/BORA TranResultResListVO); KFTC sample TransferResult; a card issuer's production client (rsp_code read at the top level only)";
const SRC_USER_ME: &str = "a real answer of 2023-04-10 quoted in a client (cashmallow UserMe); KFTC sample ApiCallUserMeResponse; a card issuer's production mapping";
const SRC_ACCOUNT_LIST: &str = "KFTC API 명세서 2.2.3 등록계좌조회 as transcribed by client VOs (download-C/BORA AccountSearchRequestVO, AccountVO)";
const SRC_BALANCE: &str = "KFTC API 명세서 2.3.1 잔액조회 as transcribed by client VOs (download-C/BORA AccountBalanceResponseVO) and three client DTOs agreeing on the order";
const SRC_REAL_NAME: &str = "KFTC sample 계좌실명조회 (request; account_holder_info_type codes incl. ' '); response from a client DTO (mztalk AccountInfoResDto)";
const SRC_REMIT_LIST: &str = "KFTC sample 송금인정보조회 (request); response [project rule] modelled on 거래내역조회";
const SRC_RECEIVE: &str = "KFTC sample 수취조회 (request: fintech_use_num or bank_code_std+account_num, no tran_dtime); response from client DTOs (tacobank, W-E InquiryResponse)";
const SRC_WITHDRAW: &str = "KFTC sample 출금이체 (request) and client request bodies; response from client DTOs (funddeuck ResponseWithdrawVO, with savings_bank_name)";
const SRC_RETURN_CLAIM: &str = "a real test-bed request and answer (h22j2.tistory.com/category/API, 2022-02-15)";
const SRC_OAUTH: &str = "KFTC briefing (shared/seed) and client code: authorize forms (response_type, client_id, redirect_uri, scope, state, auth_type), token requests (whispertome.tistory.com/10)";

// Field formats shared by many APIs.
const BANK_TRAN_ID: Format = Format::An(20);
const FINTECH_USE_NUM: Format = Format::An(24);
const TRAN_DTIME: Format = Format::N(14);
const DATE: Format = Format::N(8);
const TIME: Format = Format::N(6);
const AMOUNT: Format = Format::Digits(12);
const BANK_CODE: Format = Format::N(3);
const ACCOUNT_NUM: Format = Format::An(16);
const BANK_CODE_SUB: Format = Format::N(7);
const SAVINGS_BANK_NAME: Format = Format::Text(20);
const NAME: Format = Format::Text(20);
const USER_SEQ_NO: Format = Format::An(10);
const YN: Format = Format::OneOf(&["Y", "N"]);

/// Every response starts with these.
pub const ENVELOPE: &[Field] = &[
    req("api_tran_id", Format::An(40), "거래고유번호(API), uuid"),
    req("api_tran_dtm", Format::N(17), "거래일시(밀리세컨드) yyyyMMddHHmmssSSS"),
    req("rsp_code", Format::An(5), "응답코드(API)"),
    req("rsp_message", Format::Text(300), "응답메시지(API)"),
];

/// Bank-touching responses add these.
pub const BANK_FIELDS: &[Field] = &[
    req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
    req("bank_tran_date", DATE, "거래일자(참가기관)"),
    req("bank_code_tran", BANK_CODE, "응답코드를 부여한 참가기관 표준코드"),
    req("bank_rsp_code", Format::An(3), "응답코드(참가기관)"),
    req("bank_rsp_message", Format::Text(100), "응답메시지(참가기관)"),
];

const AUTHORIZE_REQUEST: &[Field] = &[
    req("response_type", Format::OneOf(&["code"]), "고정값 code"),
    req("client_id", Format::An(40), "이용기관 client_id"),
    req("redirect_uri", Format::An(100), "등록된 Callback URL"),
    req("scope", Format::An(100), "space-separated scopes, e.g. 'login inquiry transfer'"),
    opt("client_info", Format::An(50), "이용기관 임의 정보, echoed to the callback"),
    req("state", Format::An(32), "CSRF token, 32 random characters, echoed to the callback"),
    req("auth_type", Format::OneOf(&["0", "1", "2"]), "0 최초인증, 1 재인증, 2 인증생략"),
    opt("lang", Format::OneOf(&["kor", "eng"]), "언어"),
    opt("sim_user_seq_no", USER_SEQ_NO, "simulator only: approve headlessly as this user (302 to redirect_uri)"),
];

const AUTHORIZE_CALLBACK: &[Field] = &[
    req("code", Format::An(40), "authorization code"),
    req("scope", Format::An(100), "granted scopes"),
    req("client_info", Format::An(50), "echo"),
    req("state", Format::An(32), "echo"),
];

const TOKEN_RESPONSE: &[Field] = &[
    req("access_token", Format::An(1024), "Access Token"),
    req("token_type", Format::OneOf(&["Bearer"]), "Bearer"),
    req("expires_in", Format::Digits(10), "lifetime in seconds (7775999 = 90 days)"),
    opt("refresh_token", Format::An(1024), "Refresh Token (user tokens)"),
    req("scope", Format::An(100), "granted scopes"),
    opt("user_seq_no", USER_SEQ_NO, "사용자일련번호 (user tokens)"),
    opt("client_use_code", Format::An(10), "이용기관코드 (institution tokens)"),
];

/// A registered account as 사용자정보조회 lists it (source: the real user/me answer, in its order).
const USER_ME_ACCOUNT: &[Field] = &[
    req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
    req("account_alias", Format::Text(50), "계좌별명"),
    req("bank_code_std", BANK_CODE, "출금(개설)기관.대표코드"),
    req("bank_code_sub", BANK_CODE_SUB, "출금(개설)기관.점별코드"),
    req("bank_name", Format::Text(20), "출금(개설)기관명"),
    req("account_num_masked", Format::An(20), "계좌번호 (마스킹)"),
    req("account_holder_name", NAME, "예금주명"),
    req("account_holder_type", Format::OneOf(&["P", "C"]), "P 개인, C 법인"),
    req("inquiry_agree_yn", YN, "조회서비스 동의여부"),
    req("inquiry_agree_dtime", Format::An(14), "조회서비스 동의일시 (blank when none)"),
    req("transfer_agree_yn", YN, "출금서비스 동의여부"),
    req("transfer_agree_dtime", Format::An(14), "출금서비스 동의일시 (blank when none)"),
    req("payer_num", Format::An(20), "오픈뱅킹 납부자번호"),
    req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
    req("account_seq", Format::An(3), "회차번호 (blank when none)"),
    req(
        "account_type",
        Format::OneOf(&["1", "2", "6", "T"]),
        "계좌종류 1 수시입출금, 2 예적금, 6 수익증권, T 종합계좌",
    ),
];

/// A registered account as 등록계좌조회 lists it (source: download-C/BORA AccountVO, 2.2 계좌 정보).
const ACCOUNT_LIST_ACCOUNT: &[Field] = &[
    req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
    req("account_alias", Format::Text(50), "계좌별명"),
    req("bank_code_std", BANK_CODE, "출금(개설)기관.대표코드"),
    req("bank_code_sub", BANK_CODE_SUB, "출금(개설)기관.점별코드"),
    req("bank_name", Format::Text(20), "출금(개설)기관명"),
    req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
    req("account_num_masked", Format::An(20), "계좌번호 (마스킹)"),
    req("account_seq", Format::An(3), "회차번호 (blank when none)"),
    req("account_holder_name", NAME, "예금주명"),
    req("account_holder_type", Format::OneOf(&["P", "C"]), "P 개인, C 법인"),
    req("account_type", Format::OneOf(&["1", "2", "6", "T"]), "계좌종류"),
    req("inquiry_agree_yn", YN, "조회서비스 동의여부"),
    req("inquiry_agree_dtime", Format::An(14), "조회서비스 동의일시 (blank when none)"),
    req("transfer_agree_yn", YN, "출금서비스 동의여부"),
    req("transfer_agree_dtime", Format::An(14), "출금서비스 동의일시 (blank when none)"),
    req("account_state", Format::OneOf(&["01", "09"]), "01 사용, 09 해지"),
];

/// The rows of 사용자정보조회's card, pay, insurance and loan lists: the simulator registers
/// none, so each list is `[]` and its count `"0"`, as in the real answer.
const NO_ROWS: &[Field] = &[];

const AML_FIELDS_WITHDRAW: &[Field] = &[
    req("req_client_name", NAME, "요청고객성명 (자금세탁방지)"),
    opt("req_client_bank_code", BANK_CODE, "요청고객계좌 개설기관 표준코드 (XOR req_client_fintech_use_num)"),
    opt("req_client_account_num", ACCOUNT_NUM, "요청고객계좌번호 (XOR req_client_fintech_use_num)"),
    opt("req_client_fintech_use_num", FINTECH_USE_NUM, "요청고객 핀테크이용번호 (XOR account)"),
    req("req_client_num", Format::An(20), "요청고객회원번호"),
    req("transfer_purpose", Format::OneOf(&["TR", "ST", "RC", "AU"]), "TR 송금, ST 결제, RC 충전, AU 인증"),
];

/// source: KFTC reference 입금이체, req_list rows up to req_client_num; the later ones from clients.
const DEPOSIT_ITEM: &[Field] = &[
    req("tran_no", Format::Digits(5), "거래순번 N(5)"),
    req("bank_tran_id", BANK_TRAN_ID, "은행거래고유번호 AN(20)"),
    req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호 AN(24)"),
    req("print_content", Format::Text(20), "입금계좌인자내역 AH(20)"),
    req("tran_amt", AMOUNT, "거래금액 N(12)"),
    req("req_client_name", NAME, "요청고객성명 AH(20) (자금세탁방지)"),
    opt("req_client_bank_code", BANK_CODE, "요청고객계좌 개설기관.표준코드 (XOR req_client_fintech_use_num)"),
    opt("req_client_account_num", ACCOUNT_NUM, "요청고객계좌번호 (XOR req_client_fintech_use_num)"),
    opt("req_client_fintech_use_num", FINTECH_USE_NUM, "요청고객핀테크이용번호 (XOR account)"),
    req("req_client_num", Format::An(20), "요청고객회원번호 (자금세탁방지: the briefing names 성명, 계좌, 회원번호)"),
    opt(
        "transfer_purpose",
        Format::OneOf(&["TR", "ST", "RC", "AU"]),
        "이체용도 [project rule] optional: the reference copy ends before it; clients send it",
    ),
    opt("recv_bank_tran_id", BANK_TRAN_ID, "수취조회 거래고유번호 (clients)"),
    opt("cms_num", Format::An(20), "CMS번호 (clients)"),
    opt("withdraw_bank_tran_id", BANK_TRAN_ID, "출금이체 거래고유번호 (clients)"),
    opt(
        "recv_client_name",
        NAME,
        "[project rule] 수취인성명: no source shows it in deposit rows; sent with name_check_option on, it is compared with the account holder's name (A0312); absent, the check passes",
    ),
];

/// source: a real test-bed deposit answer's res_list row (keys and order) and client DTOs.
const DEPOSIT_RESULT_ITEM: &[Field] = &[
    req("tran_no", Format::Digits(5), "거래순번"),
    req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
    req("bank_tran_date", DATE, "거래일자(참가기관)"),
    req("bank_code_tran", BANK_CODE, "응답코드를 부여한 참가기관"),
    req("bank_rsp_code", Format::An(3), "응답코드(참가기관)"),
    req("bank_rsp_message", Format::Text(100), "응답메시지(참가기관), blank on success"),
    req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
    req("account_alias", Format::Text(50), "계좌별명"),
    req("bank_code_std", BANK_CODE, "입금기관.대표코드"),
    req("bank_code_sub", BANK_CODE_SUB, "입금기관.점별코드"),
    req("bank_name", Format::Text(20), "입금기관명"),
    req("account_num_masked", Format::An(20), "입금계좌번호 (마스킹)"),
    req("print_content", Format::Text(20), "입금계좌인자내역"),
    req("account_holder_name", NAME, "수취인성명"),
    req("tran_amt", AMOUNT, "거래금액"),
    req("cms_num", Format::An(20), "CMS번호 (blank when none)"),
    req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
    req("withdraw_bank_tran_id", Format::An(20), "출금이체 거래고유번호 (blank when none)"),
];

const RESULT_ITEM: &[Field] = &[
    req("tran_no", Format::Digits(5), "거래순번"),
    req("org_bank_tran_id", BANK_TRAN_ID, "원거래 거래고유번호(참가기관)"),
    req("org_bank_tran_date", DATE, "원거래 거래일자(참가기관)"),
    req("org_tran_amt", AMOUNT, "원거래 거래금액"),
];

/// source: KFTC API 명세서 2.5.3 이체결과조회 row layout (SRC_RESULT). No source shows an
/// `rsp_code`/`rsp_message` per row: the original's outcome is its `bank_rsp_code`.
const RESULT_RESPONSE_ITEM: &[Field] = &[
    req("tran_no", Format::Digits(5), "거래순번"),
    req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관) of the original"),
    req("bank_tran_date", DATE, "거래일자(참가기관) of the original"),
    req("bank_code_tran", BANK_CODE, "응답코드를 부여한 참가기관.표준코드"),
    req("bank_rsp_code", Format::An(3), "원거래의 응답코드(참가기관): 000 완료, 400 처리 중, …"),
    req("bank_rsp_message", Format::Text(100), "응답메시지(참가기관), blank on success"),
    req("wd_bank_code_std", BANK_CODE, "출금기관.표준코드"),
    req("wd_bank_code_sub", BANK_CODE_SUB, "출금기관.점별코드"),
    req("wd_bank_name", Format::Text(20), "출금기관명"),
    req("wd_savings_bank_name", SAVINGS_BANK_NAME, "개별(출금)저축은행명"),
    req("wd_fintech_use_num", FINTECH_USE_NUM, "출금계좌 핀테크이용번호 (blank for the institution's account)"),
    req("wd_account_num_masked", Format::An(20), "출금계좌번호(출력용)"),
    req("wd_print_content", Format::Text(20), "출금계좌인자내역"),
    req("wd_account_holder_name", NAME, "송금인성명"),
    req("dps_bank_code_std", BANK_CODE, "입금(개설)기관.표준코드"),
    req("dps_bank_code_sub", BANK_CODE_SUB, "입금(개설)기관.점별코드"),
    req("dps_bank_name", Format::Text(20), "입금(개설)기관명"),
    req("dps_savings_bank_name", SAVINGS_BANK_NAME, "개별(입금)저축은행명"),
    req("dps_fintech_use_num", FINTECH_USE_NUM, "입금계좌 핀테크이용번호 (blank for the institution's account)"),
    req("dps_account_num_masked", Format::An(20), "입금계좌번호(출력용)"),
    req("dps_print_content", Format::Text(20), "입금계좌인자내역"),
    req("dps_account_holder_name", NAME, "수취인성명"),
    req("tran_amt", AMOUNT, "거래금액"),
];

const TRANSACTION_RECORD: &[Field] = &[
    req("tran_date", DATE, "거래일자"),
    req("tran_time", TIME, "거래시간"),
    req("inout_type", Format::OneOf(&["입금", "출금"]), "입출금구분"),
    req("tran_type", Format::Text(10), "거래구분"),
    req("print_content", Format::Text(20), "통장인자내용"),
    req("tran_amt", AMOUNT, "거래금액"),
    req("after_balance_amt", Format::An(13), "거래후잔액 (may be negative for credit lines)"),
    req("branch_name", Format::Text(20), "거래점명"),
];

const REMIT_RECORD: &[Field] = &[
    req("tran_date", DATE, "거래일자"),
    req("tran_time", TIME, "거래시간"),
    req("print_content", Format::Text(20), "통장인자내용"),
    req("tran_amt", AMOUNT, "입금금액"),
    req("remitter_name", NAME, "송금인성명"),
    req("remitter_bank_code", BANK_CODE, "송금인 계좌 개설기관"),
    req("remitter_account_num", Format::An(20), "송금인 계좌번호 (마스킹)"),
];

macro_rules! concat_fields {
    ($($part:expr),* $(,)?) => {{
        const PARTS: &[&[Field]] = &[$($part),*];
        const LEN: usize = { let mut n = 0; let mut i = 0; while i < PARTS.len() { n += PARTS[i].len(); i += 1; } n };
        const OUT: [Field; LEN] = {
            let mut out = [PARTS[0][0]; LEN];
            let (mut k, mut i) = (0, 0);
            while i < PARTS.len() {
                let mut j = 0;
                while j < PARTS[i].len() { out[k] = PARTS[i][j]; k += 1; j += 1; }
                i += 1;
            }
            out
        };
        &OUT
    }};
}

static CATALOGUE: [Api; 22] = [
    Api {
        id: ApiId::OauthAuthorize,
        key: "oauth.authorize",
        source: SRC_OAUTH,
        name: "사용자인증",
        path: "/oauth/2.0/authorize",
        request: AUTHORIZE_REQUEST,
        response: AUTHORIZE_CALLBACK,
        ..BASE
    },
    Api {
        id: ApiId::OauthAuthorizeAccount,
        key: "oauth.authorize_account",
        source: SRC_OAUTH,
        name: "계좌등록확인",
        path: "/oauth/2.0/authorize_account",
        request: AUTHORIZE_REQUEST,
        response: AUTHORIZE_CALLBACK,
        ..BASE
    },
    Api {
        id: ApiId::OauthToken,
        key: "oauth.token",
        source: SRC_OAUTH,
        name: "토큰발급",
        method: "POST",
        path: "/oauth/2.0/token",
        params_in: ParamsIn::Form,
        request: &[
            req("code", Format::An(40), "authorization code"),
            req("client_id", Format::An(40), "client_id"),
            req("client_secret", Format::An(40), "client_secret"),
            req("redirect_uri", Format::An(100), "the redirect_uri of the authorize call"),
            req("grant_type", Format::OneOf(&["authorization_code"]), "authorization_code"),
        ],
        response: TOKEN_RESPONSE,
        ..BASE
    },
    Api {
        id: ApiId::OauthTokenRefresh,
        key: "oauth.token_refresh",
        source: SRC_OAUTH,
        name: "토큰갱신",
        method: "POST",
        path: "/oauth/2.0/token",
        params_in: ParamsIn::Form,
        request: &[
            req("client_id", Format::An(40), "client_id"),
            req("client_secret", Format::An(40), "client_secret"),
            req("refresh_token", Format::An(1024), "refresh_token"),
            opt("scope", Format::An(100), "scopes (must be within the original grant)"),
            req("grant_type", Format::OneOf(&["refresh_token"]), "refresh_token"),
        ],
        response: TOKEN_RESPONSE,
        ..BASE
    },
    Api {
        id: ApiId::OauthTokenClient,
        key: "oauth.token_client",
        source: SRC_OAUTH,
        name: "이용기관 토큰발급",
        method: "POST",
        path: "/oauth/2.0/token",
        params_in: ParamsIn::Form,
        request: &[
            req("client_id", Format::An(40), "client_id"),
            req("client_secret", Format::An(40), "client_secret"),
            req("scope", Format::OneOf(&["oob", "sa"]), "oob or sa"),
            req("grant_type", Format::OneOf(&["client_credentials"]), "client_credentials"),
        ],
        response: TOKEN_RESPONSE,
        ..BASE
    },
    Api {
        id: ApiId::OauthRevoke,
        key: "oauth.revoke",
        source: SRC_OAUTH,
        name: "토큰폐기",
        method: "POST",
        path: "/oauth/2.0/revoke",
        params_in: ParamsIn::Form,
        request: &[
            req("client_id", Format::An(40), "client_id"),
            req("client_secret", Format::An(40), "client_secret"),
            req("access_token", Format::An(1024), "the token to revoke"),
        ],
        response: &[
            req("rsp_code", Format::An(5), "O0000 on success"),
            req("rsp_message", Format::Text(300), "message"),
        ],
        ..BASE
    },
    Api {
        id: ApiId::UserMe,
        key: "user.me",
        name: "사용자정보조회",
        path: "/v2.0/user/me",
        scopes: &[Scope::Login],
        request: &[req("user_seq_no", USER_SEQ_NO, "사용자일련번호")],
        response: concat_fields!(
            ENVELOPE,
            &[
                req("user_seq_no", USER_SEQ_NO, "사용자일련번호"),
                req("user_ci", Format::An(100), "CI"),
                req("user_name", NAME, "사용자명"),
                req("res_cnt", Format::Digits(5), "등록계좌개수"),
                req("res_list", Format::List(USER_ME_ACCOUNT), "등록계좌목록"),
                req("inquiry_card_cnt", Format::Digits(5), "카드 조회서비스 등록 건수"),
                req("inquiry_card_list", Format::List(NO_ROWS), "카드 조회서비스 등록 목록"),
                req("inquiry_pay_cnt", Format::Digits(5), "선불 조회서비스 등록 건수"),
                req("inquiry_pay_list", Format::List(NO_ROWS), "선불 조회서비스 등록 목록"),
                req("inquiry_insurance_cnt", Format::Digits(5), "보험 조회서비스 등록 건수"),
                req("inquiry_insurance_list", Format::List(NO_ROWS), "보험 조회서비스 등록 목록"),
                req("inquiry_loan_cnt", Format::Digits(5), "대출 조회서비스 등록 건수"),
                req("inquiry_loan_list", Format::List(NO_ROWS), "대출 조회서비스 등록 목록"),
            ]
        ),
        source: SRC_USER_ME,
        ..BASE
    },
    Api {
        id: ApiId::UserUnlink,
        key: "user.unlink",
        name: "사용자 연결동의 해제",
        method: "POST",
        path: "/v2.0/user/unlink",
        scopes: &[Scope::Login],
        params_in: ParamsIn::Json,
        request: &[
            req("client_use_code", Format::An(10), "이용기관코드"),
            req("user_seq_no", USER_SEQ_NO, "사용자일련번호"),
        ],
        response: concat_fields!(ENVELOPE, &[req("user_seq_no", USER_SEQ_NO, "사용자일련번호")]),
        ..BASE
    },
    Api {
        id: ApiId::UserClose,
        key: "user.close",
        name: "사용자탈퇴",
        method: "POST",
        path: "/v2.0/user/close",
        scopes: &[Scope::Login, Scope::Sa],
        params_in: ParamsIn::Json,
        request: &[
            req("client_use_code", Format::An(10), "이용기관코드"),
            req("user_seq_no", USER_SEQ_NO, "사용자일련번호"),
        ],
        response: concat_fields!(ENVELOPE, &[req("user_seq_no", USER_SEQ_NO, "사용자일련번호")]),
        ..BASE
    },
    Api {
        id: ApiId::AccountList,
        key: "account.list",
        name: "등록계좌조회",
        path: "/v2.0/account/list",
        scopes: &[Scope::Login],
        request: &[
            req("user_seq_no", USER_SEQ_NO, "사용자일련번호"),
            req("include_cancel_yn", YN, "해지계좌포함여부"),
            req("sort_order", Format::OneOf(&["D", "A"]), "정렬순서"),
        ],
        response: concat_fields!(
            ENVELOPE,
            &[
                req("user_name", NAME, "사용자명"),
                req("res_cnt", Format::Digits(5), "등록계좌개수"),
                req("res_list", Format::List(ACCOUNT_LIST_ACCOUNT), "등록계좌목록"),
            ]
        ),
        source: SRC_ACCOUNT_LIST,
        ..BASE
    },
    Api {
        id: ApiId::AccountUpdateInfo,
        key: "account.update_info",
        name: "계좌정보변경",
        method: "POST",
        path: "/v2.0/account/update_info",
        scopes: &[Scope::Login],
        params_in: ParamsIn::Json,
        request: &[
            req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
            req("account_alias", Format::Text(50), "변경할 계좌별명"),
        ],
        response: concat_fields!(
            ENVELOPE,
            &[
                req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
                req("account_alias", Format::Text(50), "계좌별명"),
            ]
        ),
        ..BASE
    },
    Api {
        id: ApiId::AccountCancel,
        key: "account.cancel",
        name: "계좌해지",
        method: "POST",
        path: "/v2.0/account/cancel",
        scopes: &[Scope::Login],
        params_in: ParamsIn::Json,
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("scope", Format::OneOf(&["inquiry", "transfer"]), "해지할 서비스"),
            req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
        ],
        response: concat_fields!(ENVELOPE, &[req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)")]),
        ..BASE
    },
    Api {
        id: ApiId::AccountBalance,
        key: "account.balance",
        name: "잔액조회",
        path: "/v2.0/account/balance/fin_num",
        scopes: &[Scope::Inquiry],
        consent: Some(Consent::Inquiry),
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("bank_name", Format::Text(20), "개설기관명"),
                req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
                req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
                req("balance_amt", Format::An(13), "계좌잔액 (부호있음 13자리)"),
                req("available_amt", AMOUNT, "출금가능금액"),
                req(
                    "account_type",
                    Format::OneOf(&["1", "2", "6", "T"]),
                    "1 수시입출금, 2 예적금, 6 수익증권, T 종합계좌"
                ),
                req("product_name", Format::Text(50), "상품명"),
                req("account_issue_date", DATE, "계좌개설일"),
                req("maturity_date", Format::An(8), "만기일 (blank when none)"),
                req("last_tran_date", Format::An(8), "최종거래일 (blank when none)"),
            ]
        ),
        source: SRC_BALANCE,
        ..BASE
    },
    Api {
        id: ApiId::AccountTransactionList,
        key: "account.transaction_list",
        name: "거래내역조회",
        path: "/v2.0/account/transaction_list/fin_num",
        scopes: &[Scope::Inquiry],
        consent: Some(Consent::Inquiry),
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
            req("inquiry_type", Format::OneOf(&["A", "I", "O"]), "A 전체, I 입금, O 출금"),
            req("inquiry_base", Format::OneOf(&["D", "T"]), "D 일자, T 시간"),
            req("from_date", DATE, "조회시작일자"),
            opt("from_time", TIME, "조회시작시간 (inquiry_base T)"),
            req("to_date", DATE, "조회종료일자"),
            opt("to_time", TIME, "조회종료시간 (inquiry_base T)"),
            req("sort_order", Format::OneOf(&["D", "A"]), "D 내림차순, A 오름차순"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
            opt("befor_inquiry_trace_info", Format::An(20), "직전조회추적정보 (absent on page 1)"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("bank_name", Format::Text(20), "개설기관명 AH(20)"),
                req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 AH(20)"),
                req("fintech_use_num", FINTECH_USE_NUM, "핀테크이용번호"),
                req("balance_amt", Format::An(13), "계좌잔액"),
                req("page_record_cnt", Format::Digits(2), "현재페이지 조회건수 (≤25)"),
                req("next_page_yn", YN, "다음페이지 존재여부"),
                req("befor_inquiry_trace_info", Format::An(20), "직전조회추적정보, to send back for the next page"),
                req("res_list", Format::List(TRANSACTION_RECORD), "조회목록"),
            ]
        ),
        source: SRC_TRANSACTION,
        ..BASE
    },
    Api {
        id: ApiId::InquiryRealName,
        key: "inquiry.real_name",
        name: "계좌실명조회",
        method: "POST",
        path: "/v2.0/inquiry/real_name",
        scopes: &[Scope::Oob],
        params_in: ParamsIn::Json,
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("bank_code_std", BANK_CODE, "개설기관.표준코드"),
            req("account_num", ACCOUNT_NUM, "계좌번호"),
            opt(
                "account_holder_info_type",
                Format::OneOf(&["", " ", "1", "2", "3", "4", "5", "6", "E", "N"]),
                "' ' 생년월일, 1 주민등록번호, 2 외국인등록번호, 3 국내거소신고번호, 4 조합주민번호, 5 여권번호, 6 사업자등록번호, E 기타, N 검사생략. [project rule] absent or blank is ' ' (생년월일): KFTC's sample sends ' ', and no source says the key is required",
            ),
            opt("account_holder_info", Format::An(13), "예금주 실명번호 (blank for N)"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("bank_code_std", BANK_CODE, "개설기관.표준코드"),
                req("bank_code_sub", BANK_CODE_SUB, "개설기관.점별코드"),
                req("bank_name", Format::Text(20), "개설기관명"),
                req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
                req("account_num", ACCOUNT_NUM, "계좌번호"),
                req("account_seq", Format::An(3), "회차번호 (blank when none)"),
                req("account_holder_info_type", Format::An(1), "예금주 실명번호 구분코드"),
                req("account_holder_info", Format::An(13), "예금주 실명번호"),
                req("account_holder_name", NAME, "예금주성명"),
                req("account_type", Format::OneOf(&["1", "2", "6", "T"]), "계좌종류"),
            ]
        ),
        source: SRC_REAL_NAME,
        ..BASE
    },
    Api {
        id: ApiId::InquiryRemitList,
        key: "inquiry.remit_list",
        name: "송금인정보조회",
        method: "POST",
        path: "/v2.0/inquiry/remit_list",
        scopes: &[Scope::Oob],
        params_in: ParamsIn::Json,
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("bank_code_std", BANK_CODE, "수취계좌 개설기관"),
            req("account_num", ACCOUNT_NUM, "수취계좌번호"),
            req("from_date", DATE, "조회시작일자"),
            req("from_time", TIME, "조회시작시간"),
            req("to_date", DATE, "조회종료일자"),
            req("to_time", TIME, "조회종료시간"),
            req("sort_order", Format::OneOf(&["D", "A"]), "정렬순서"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
            opt("befor_inquiry_trace_info", Format::An(20), "직전조회추적정보 (absent on page 1)"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("bank_name", Format::Text(20), "개설기관명"),
                req("account_num", ACCOUNT_NUM, "수취계좌번호"),
                req("page_record_cnt", Format::Digits(2), "현재페이지 조회건수 (≤25)"),
                req("next_page_yn", YN, "다음페이지 존재여부"),
                req("befor_inquiry_trace_info", Format::An(20), "직전조회추적정보"),
                req("res_list", Format::List(REMIT_RECORD), "송금인 목록"),
            ]
        ),
        source: SRC_REMIT_LIST,
        ..BASE
    },
    Api {
        id: ApiId::InquiryReceive,
        key: "inquiry.receive",
        name: "수취조회",
        method: "POST",
        path: "/v2.0/inquiry/receive",
        scopes: &[Scope::Oob],
        params_in: ParamsIn::Json,
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("cntr_account_type", Format::OneOf(&["N", "C"]), "N 계좌, C 계정"),
            req("cntr_account_num", ACCOUNT_NUM, "약정 계좌/계정 번호"),
            opt("fintech_use_num", FINTECH_USE_NUM, "입금계좌 핀테크이용번호 (or bank_code_std + account_num)"),
            opt("bank_code_std", BANK_CODE, "입금기관.표준코드 (with account_num, instead of fintech_use_num)"),
            opt("account_num", ACCOUNT_NUM, "입금계좌번호 (with bank_code_std)"),
            req("print_content", Format::Text(20), "입금계좌인자내역"),
            req("tran_amt", AMOUNT, "거래금액"),
            opt("tran_dtime", TRAN_DTIME, "요청일시 (KFTC's sample does not send it)"),
            opt("req_client_name", NAME, "요청고객성명"),
            opt("req_client_bank_code", BANK_CODE, "요청고객계좌 개설기관"),
            opt("req_client_account_num", ACCOUNT_NUM, "요청고객계좌번호"),
            opt("req_client_fintech_use_num", FINTECH_USE_NUM, "요청고객 핀테크이용번호"),
            opt("req_client_num", Format::An(20), "요청고객회원번호"),
            opt("transfer_purpose", Format::OneOf(&["TR", "ST", "RC", "AU"]), "이체용도"),
            opt("cms_num", Format::An(20), "CMS번호"),
            opt("sub_frnc_name", Format::Text(40), "하위가맹점명"),
            opt("sub_frnc_num", Format::An(20), "하위가맹점번호"),
            opt("sub_frnc_business_num", Format::N(10), "하위가맹점 사업자등록번호"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("bank_code_std", BANK_CODE, "입금기관.표준코드"),
                req("bank_code_sub", BANK_CODE_SUB, "입금기관.점별코드"),
                req("bank_name", Format::Text(20), "입금기관명"),
                req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
                req("account_num", ACCOUNT_NUM, "입금계좌번호 (blank when asked by fintech_use_num)"),
                req("account_num_masked", Format::An(20), "입금계좌번호 (마스킹)"),
                req("print_content", Format::Text(20), "입금계좌인자내역"),
                req("account_holder_name", NAME, "수취인성명"),
                req("wd_bank_code_std", BANK_CODE, "출금(개설)기관.표준코드: the institution's contract account"),
                req("wd_bank_name", Format::Text(20), "출금(개설)기관명"),
                req("wd_account_num", ACCOUNT_NUM, "출금계좌번호: the institution's contract account"),
                req("tran_amt", AMOUNT, "거래금액"),
            ]
        ),
        source: SRC_RECEIVE,
        ..BASE
    },
    Api {
        id: ApiId::TransferWithdraw,
        key: "transfer.withdraw",
        name: "출금이체",
        method: "POST",
        path: "/v2.0/transfer/withdraw/fin_num",
        scopes: &[Scope::Transfer],
        money_moving: true,
        whitelist_only: true,
        consent: Some(Consent::Transfer),
        params_in: ParamsIn::Json,
        request: concat_fields!(
            &[
                req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
                req("cntr_account_type", Format::OneOf(&["N", "C"]), "N 계좌, C 계정"),
                req("cntr_account_num", ACCOUNT_NUM, "약정 계좌/계정 번호"),
                req("dps_print_content", Format::Text(20), "입금계좌인자내역"),
                req("fintech_use_num", FINTECH_USE_NUM, "출금계좌 핀테크이용번호"),
                opt("wd_print_content", Format::Text(20), "출금계좌인자내역"),
                req("tran_amt", AMOUNT, "거래금액"),
                req("tran_dtime", TRAN_DTIME, "요청일시"),
            ],
            AML_FIELDS_WITHDRAW,
            &[
                req("recv_client_name", NAME, "최종수취고객성명 (자금세탁방지)"),
                req("recv_client_bank_code", BANK_CODE, "최종수취고객계좌 개설기관 (자금세탁방지)"),
                req("recv_client_account_num", ACCOUNT_NUM, "최종수취고객계좌번호 (자금세탁방지)"),
            ],
        ),
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("dps_bank_code_std", BANK_CODE, "입금기관.표준코드"),
                req("dps_bank_code_sub", BANK_CODE_SUB, "입금기관.점별코드"),
                req("dps_bank_name", Format::Text(20), "입금기관명"),
                req("dps_account_num_masked", Format::An(20), "입금계좌번호 (마스킹)"),
                req("dps_print_content", Format::Text(20), "입금계좌인자내역"),
                req("dps_account_holder_name", NAME, "수취인성명"),
                req("fintech_use_num", FINTECH_USE_NUM, "출금계좌 핀테크이용번호"),
                req("account_alias", Format::Text(50), "출금계좌별명"),
                req("bank_code_std", BANK_CODE, "출금기관.표준코드"),
                req("bank_code_sub", BANK_CODE_SUB, "출금기관.점별코드"),
                req("bank_name", Format::Text(20), "출금기관명"),
                req("savings_bank_name", SAVINGS_BANK_NAME, "개별저축은행명 (blank unless a savings bank)"),
                req("account_num_masked", Format::An(20), "출금계좌번호 (마스킹)"),
                req("print_content", Format::Text(20), "출금계좌인자내역"),
                req("account_holder_name", NAME, "송금인성명"),
                req("tran_amt", AMOUNT, "거래금액"),
                req("wd_limit_remain_amt", AMOUNT, "출금한도잔여금액 (일)"),
            ]
        ),
        source: SRC_WITHDRAW,
    },
    Api {
        id: ApiId::TransferDeposit,
        key: "transfer.deposit",
        name: "입금이체",
        method: "POST",
        path: "/v2.0/transfer/deposit/fin_num",
        scopes: &[Scope::Oob],
        money_moving: true,
        whitelist_only: true,
        params_in: ParamsIn::Json,
        request: &[
            req("cntr_account_type", Format::OneOf(&["N", "C"]), "약정 계좌/계정구분 A(1)"),
            req("cntr_account_num", ACCOUNT_NUM, "약정 계좌/계정 번호 AN(16) (출금계좌)"),
            req("wd_pass_phrase", Format::An(128), "입금이체용 암호문구 aN(128)"),
            req("wd_print_content", Format::Text(20), "출금계좌인자내역 AH(20)"),
            opt(
                "name_check_option",
                Format::OneOf(&["on", "off"]),
                "수취인성명검증 여부 aN(3) (미지정 시 기본값: \"on\")",
            ),
            opt("sub_frnc_name", Format::Text(40), "하위가맹점명 AH(40)"),
            opt("sub_frnc_num", Format::An(20), "하위가맹점번호 AN(20)"),
            opt("sub_frnc_business_num", Format::N(10), "하위가맹점 사업자등록번호 N(10)"),
            req("tran_dtime", TRAN_DTIME, "요청일시 N(14)"),
            req("req_cnt", Format::Digits(5), "입금요청건수 N(5), 고정값 1"),
            req("req_list", Format::List(DEPOSIT_ITEM), "입금요청목록"),
        ],
        response: concat_fields!(
            ENVELOPE,
            &[
                req("wd_bank_code_std", BANK_CODE, "출금기관.표준코드"),
                req("wd_bank_code_sub", BANK_CODE_SUB, "출금기관.점별코드"),
                req("wd_bank_name", Format::Text(20), "출금기관명"),
                req("wd_account_num_masked", Format::An(20), "출금계좌번호 (마스킹)"),
                req("wd_print_content", Format::Text(20), "출금계좌인자내역"),
                req("wd_account_holder_name", NAME, "송금인성명"),
                req("res_cnt", Format::Digits(5), "입금건수"),
                req("res_list", Format::List(DEPOSIT_RESULT_ITEM), "입금결과목록"),
            ]
        ),
        source: SRC_DEPOSIT,
        ..BASE
    },
    Api {
        id: ApiId::TransferResult,
        key: "transfer.result",
        name: "이체결과조회",
        method: "POST",
        path: "/v2.0/transfer/result",
        scopes: &[Scope::Oob],
        whitelist_only: true,
        params_in: ParamsIn::Json,
        request: &[
            req("check_type", Format::OneOf(&["1", "2"]), "1 출금이체, 2 입금이체"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
            req("req_cnt", Format::Digits(5), "요청건수 (≤25)"),
            req("req_list", Format::List(RESULT_ITEM), "요청목록"),
        ],
        response: concat_fields!(
            ENVELOPE,
            &[
                req("res_cnt", Format::Digits(5), "이체건수"),
                req("res_list", Format::List(RESULT_RESPONSE_ITEM), "이체목록: one row per original found"),
            ]
        ),
        source: SRC_RESULT,
        ..BASE
    },
    Api {
        id: ApiId::ReturnClaim,
        key: "return.claim",
        name: "자금반환청구",
        method: "POST",
        path: "/v2.0/return/claim",
        scopes: &[Scope::Oob],
        whitelist_only: true,
        params_in: ParamsIn::Json,
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("org_bank_tran_date", DATE, "원거래(입금이체) 거래일자"),
            req("org_bank_tran_id", BANK_TRAN_ID, "원거래(입금이체) 거래고유번호"),
            opt("org_dps_bank_code_std", BANK_CODE, "원거래 입금기관"),
            opt("org_dps_account_num", ACCOUNT_NUM, "원거래 입금계좌번호"),
            req("org_tran_amt", AMOUNT, "원거래 금액"),
            opt("org_wd_bank_code_std", BANK_CODE, "원거래 출금기관"),
            opt("claim_code", Format::An(2), "청구사유코드"),
            opt("claim_message", Format::Text(100), "청구사유"),
            opt("total_return_yn", YN, "전액반환여부 (Y; N with return_amt)"),
            opt("return_amt", AMOUNT, "[project rule] 반환청구금액 when total_return_yn is N; absent = 전액"),
            opt("return_account_num", ACCOUNT_NUM, "반환받을 계좌번호"),
            opt("use_org_contact", Format::Text(20), "이용기관 연락처"),
            opt("use_org_email", Format::Text(100), "이용기관 이메일"),
            opt("tran_dtime", TRAN_DTIME, "요청일시 (not in the real request)"),
        ],
        response: concat_fields!(
            ENVELOPE,
            &[req("dps_bank_code_std", BANK_CODE, "입금기관 (of the original deposit)")],
            BANK_FIELDS,
            &[
                req("wd_bank_code_std", BANK_CODE, "출금기관: the institution's contract account"),
                req("wd_bank_code_sub", BANK_CODE_SUB, "출금기관.점별코드"),
                req("wd_bank_name", Format::Text(20), "출금기관명"),
                req("org_bank_tran_date", DATE, "원거래 거래일자"),
                req("org_bank_tran_id", BANK_TRAN_ID, "원거래 거래고유번호"),
                req("org_dps_bank_code_std", BANK_CODE, "원거래 입금기관"),
                req("org_dps_account_num", ACCOUNT_NUM, "원거래 입금계좌번호 (as sent)"),
                req(
                    "org_dps_fintech_use_num",
                    FINTECH_USE_NUM,
                    "원거래 입금 핀테크이용번호 (blank when asked by account)"
                ),
                req("org_tran_amt", AMOUNT, "원거래 금액"),
                req("return_account_num", ACCOUNT_NUM, "반환받을 계좌번호 (as sent)"),
            ]
        ),
        source: SRC_RETURN_CLAIM,
        ..BASE
    },
    Api {
        id: ApiId::ReturnResult,
        key: "return.result",
        name: "자금반환결과조회",
        method: "POST",
        path: "/v2.0/return/result",
        scopes: &[Scope::Oob],
        whitelist_only: true,
        params_in: ParamsIn::Json,
        // [project rule] field set: no request or answer of 자금반환결과조회 is public. It asks
        // after a claim by the claim's own bank_tran_id and date.
        request: &[
            req("bank_tran_id", BANK_TRAN_ID, "거래고유번호(참가기관)"),
            req("org_bank_tran_id", BANK_TRAN_ID, "자금반환청구의 거래고유번호"),
            req("org_bank_tran_date", DATE, "자금반환청구 거래일자"),
            req("tran_dtime", TRAN_DTIME, "요청일시"),
        ],
        response: concat_fields!(
            ENVELOPE,
            BANK_FIELDS,
            &[
                req("org_bank_tran_id", BANK_TRAN_ID, "자금반환청구의 거래고유번호"),
                req("return_amt", AMOUNT, "반환청구금액"),
                req("returned_amt", AMOUNT, "반환된 금액"),
                req("claim_state", Format::OneOf(&["1", "2", "3"]), "1 청구접수, 2 반환완료, 3 반환불가"),
                req("claim_state_message", Format::Text(50), "상태 설명"),
            ]
        ),
        ..BASE
    },
];

impl schemars::JsonSchema for ApiId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ApiId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = ApiId::names().collect();
        schemars::json_schema!({ "type": "string", "enum": names, "description": "API id from the catalogue" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_indexed_by_id_and_has_22_apis() {
        assert_eq!(CATALOGUE.len(), 22);
        for id in ApiId::ALL {
            assert_eq!(id.api().id, id, "catalogue order must match ApiId");
            assert_eq!(ApiId::parse(id.as_str()), Some(id));
        }
        let mut keys: Vec<_> = ApiId::names().collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 22, "ids are unique");
    }

    #[test]
    fn transfer_apis_are_whitelist_only_and_withdraw_and_deposit_move_money() {
        let whitelisted: Vec<_> = Api::all().filter(|a| a.whitelist_only).map(|a| a.key).collect();
        assert_eq!(
            whitelisted,
            ["transfer.withdraw", "transfer.deposit", "transfer.result", "return.claim", "return.result"]
        );
        let moving: Vec<_> = Api::all().filter(|a| a.money_moving).map(|a| a.key).collect();
        assert_eq!(moving, ["transfer.withdraw", "transfer.deposit"]);
    }

    #[test]
    fn scopes_match_the_reference_page() {
        assert_eq!(ApiId::AccountBalance.api().scopes, &[Scope::Inquiry]);
        assert_eq!(ApiId::TransferWithdraw.api().scopes, &[Scope::Transfer]);
        assert_eq!(ApiId::TransferDeposit.api().scopes, &[Scope::Oob]);
        assert_eq!(ApiId::UserClose.api().scopes, &[Scope::Login, Scope::Sa]);
        assert!(ApiId::OauthToken.api().scopes.is_empty());
    }

    #[test]
    fn every_response_of_a_v2_api_starts_with_the_envelope() {
        for api in Api::all().filter(|a| a.path.starts_with("/v2.0/")) {
            let names: Vec<_> = api.response.iter().take(4).map(|f| f.name).collect();
            assert_eq!(names, ["api_tran_id", "api_tran_dtm", "rsp_code", "rsp_message"], "{}", api.key);
        }
    }

    #[test]
    fn apis_carrying_a_bank_tran_id_are_known() {
        let carrying: Vec<_> = Api::all().filter(|a| a.carries_bank_tran_id()).map(|a| a.key).collect();
        assert_eq!(
            carrying,
            [
                "account.cancel",
                "account.balance",
                "account.transaction_list",
                "inquiry.real_name",
                "inquiry.remit_list",
                "inquiry.receive",
                "transfer.withdraw",
                "transfer.deposit",
                "return.claim",
                "return.result"
            ]
        );
    }
}
