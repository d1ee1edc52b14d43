//! The APIs' own logic, one module per service group. The pipeline in `sim::http` has
//! already checked the token, address, hours, field formats and bank_tran_id.

mod inquiry;
mod transfer;
mod user;

use serde_json::{Map, Value, json};

use super::center::Center;
use super::http::{BankPart, Ctx, MoneyPlan, Reply};
use super::ledger::{AccountIdx, World, consent_expired};
use crate::protocol::{ApiId, BankRspCode, Consent, RspCode};
use crate::sim::config::Quirk;

pub type PlainHandler = fn(&Center, &Ctx) -> Reply;
pub type MoneyHandler = fn(&Center, &Ctx) -> Result<MoneyPlan, Reply>;

/// The handler of an API that moves no money.
pub fn plain_handler(api: ApiId) -> PlainHandler {
    match api {
        ApiId::UserMe => user::me,
        ApiId::UserUnlink => user::unlink,
        ApiId::UserClose => user::close,
        ApiId::AccountList => user::account_list,
        ApiId::AccountUpdateInfo => user::update_info,
        ApiId::AccountCancel => user::cancel,
        ApiId::AccountBalance => inquiry::balance,
        ApiId::AccountTransactionList => inquiry::transaction_list,
        ApiId::InquiryRealName => inquiry::real_name,
        ApiId::InquiryRemitList => inquiry::remit_list,
        ApiId::InquiryReceive => inquiry::receive,
        ApiId::TransferResult => transfer::result,
        ApiId::ReturnClaim => transfer::return_claim,
        ApiId::ReturnResult => transfer::return_result,
        // OAuth endpoints and money movers have their own paths through the pipeline.
        _ => |_, _| Reply::error(RspCode::FormatError),
    }
}

/// The planner of an API that moves money.
pub fn money_handler(api: ApiId) -> Option<MoneyHandler> {
    match api {
        ApiId::TransferWithdraw => Some(transfer::plan_withdraw),
        ApiId::TransferDeposit => Some(transfer::plan_deposit),
        _ => None,
    }
}

/// The bank's part of a successful or bank-refused answer about `acct`.
fn bank_part(ctx: &Ctx, w: &World, acct: AccountIdx, code: BankRspCode) -> BankPart {
    BankPart {
        bank_tran_id: ctx.str("bank_tran_id").to_string(),
        bank_tran_date: ctx.today(),
        bank_code_tran: w.accounts[acct].bank_code_std.clone(),
        bank_rsp_code: code,
        bank_rsp_message: None,
    }
}

/// Finds the account behind a fintech_use_num for the caller and checks its consent.
///
/// [project rule] An unknown fintech_use_num is `A0005 등록 데이터 에러`; another user's
/// account is `A0313 사용자 불일치`; a consent never given or cancelled is `A0305`/`A0306`.
fn user_account(
    center: &Center,
    ctx: &Ctx,
    w: &World,
    fintech: &str,
    consent: Option<Consent>,
) -> Result<AccountIdx, Reply> {
    let Some(idx) = w.by_fintech(fintech) else {
        return Err(Reply::error_msg(RspCode::RegistrationDataError, format!("핀테크이용번호 {fintech} 없음")));
    };
    let acct = &w.accounts[idx];
    let owner = acct.owner.expect("fintech numbers belong to users");
    if let Some(u) = ctx.user
        && u != owner
    {
        return Err(Reply::error_msg(RspCode::UserMismatch, "다른 사용자의 계좌"));
    }
    if w.users[owner].closed {
        return Err(Reply::error(RspCode::ClosedMember));
    }
    let never_expires = center.has(Quirk::ConsentNeverExpires);
    match consent {
        Some(Consent::Inquiry) => match acct.inquiry_agree {
            None => return Err(Reply::error(RspCode::InquiryConsentMissing)),
            Some(t) if !never_expires && consent_expired(t, ctx.now) => {
                return Err(Reply::error(RspCode::InquiryConsentExpired));
            }
            Some(_) => {}
        },
        Some(Consent::Transfer) => match acct.transfer_agree {
            None => return Err(Reply::error(RspCode::TransferConsentMissing)),
            Some(t) if !never_expires && consent_expired(t, ctx.now) => {
                return Err(Reply::error(RspCode::TransferConsentExpired));
            }
            Some(_) => {}
        },
        None => {}
    }
    Ok(idx)
}

/// The 자금세탁방지 rule for 요청고객: an account (bank code and number together) or a
/// fintech_use_num, never both, never neither.
fn check_requesting_customer(params: &Map<String, Value>, at: &str) -> Result<(), Reply> {
    let has = |k: &str| params.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let bank = has("req_client_bank_code");
    let num = has("req_client_account_num");
    let fin = has("req_client_fintech_use_num");
    let problem = match (bank, num, fin) {
        (true, true, false) | (false, false, true) => return Ok(()),
        (true, false, _) | (false, true, _) => "req_client_bank_code와 req_client_account_num은 함께 보내야 합니다",
        (true, true, true) => {
            "요청고객 계좌(req_client_bank_code, req_client_account_num)와 req_client_fintech_use_num 중 하나만 보내야 합니다"
        }
        (false, false, false) => {
            "요청고객 계좌(req_client_bank_code, req_client_account_num) 또는 req_client_fintech_use_num이 필요합니다"
        }
    };
    Err(Reply::error_msg(RspCode::FormatError, format!("자금세탁방지 {at}{problem}")))
}

/// Which list an account row is for: 사용자정보조회 and 등록계좌조회 differ in a few fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AccountRow {
    UserMe,
    AccountList,
}

/// An account as 사용자정보조회 or 등록계좌조회 lists it (fields: `protocol::catalogue`).
fn account_record(w: &World, idx: AccountIdx, row: AccountRow) -> Value {
    let a = &w.accounts[idx];
    let dtime =
        |t: Option<chrono::DateTime<chrono::FixedOffset>>| t.map(crate::protocol::time::tran_dtime).unwrap_or_default();
    let yn = |b: bool| if b { "Y" } else { "N" };
    let mut record = json!({
        "fintech_use_num": a.fintech_use_num.clone().unwrap_or_default(),
        "account_alias": a.alias,
        "bank_code_std": a.bank_code_std,
        "bank_code_sub": crate::protocol::banks::bank_code_sub(&a.bank_code_std),
        "bank_name": a.bank_name(),
        "savings_bank_name": a.savings_bank_name,
        "account_num_masked": a.masked(),
        "account_seq": a.account_seq,
        "account_holder_name": a.holder_name,
        "account_holder_type": "P",
        "account_type": a.account_type,
        "inquiry_agree_yn": yn(a.inquiry_agree.is_some()),
        "inquiry_agree_dtime": dtime(a.inquiry_agree),
        "transfer_agree_yn": yn(a.transfer_agree.is_some()),
        "transfer_agree_dtime": dtime(a.transfer_agree),
    });
    match row {
        AccountRow::UserMe => record["payer_num"] = a.payer_num.as_str().into(),
        AccountRow::AccountList => record["account_state"] = if a.cancelled() { "09" } else { "01" }.into(),
    }
    record
}

/// A text field of an answer, copied only when it is not empty.
fn text(s: &str) -> super::http::Text {
    if s.is_empty() { "".into() } else { s.to_owned().into() }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
