//! 사용자정보조회, 연결동의 해제, 탈퇴, 등록계좌조회, 계좌정보변경, 계좌해지.

use serde_json::{Value, json};

use super::{AccountRow, account_record, obj, user_account};
use crate::protocol::RspCode;
use crate::sim::center::Center;
use crate::sim::http::{Ctx, Reply};

/// The user a call is about: the token's user, or (institution `sa` tokens) `user_seq_no`.
fn subject_user(center: &Center, ctx: &Ctx) -> Result<usize, Reply> {
    if let Some(u) = ctx.user {
        return Ok(u);
    }
    let seq = ctx.str("user_seq_no");
    center
        .world()
        .user(seq)
        .ok_or_else(|| Reply::error_msg(RspCode::RegistrationDataError, format!("사용자일련번호 {seq} 없음")))
}

pub fn me(center: &Center, ctx: &Ctx) -> Reply {
    let Ok(u) = subject_user(center, ctx) else { return Reply::error(RspCode::RegistrationDataError) };
    let w = center.world();
    let user = &w.users[u];
    let list: Vec<Value> = user
        .accounts
        .iter()
        .filter(|a| !w.accounts[**a].cancelled())
        .map(|a| account_record(&w, *a, AccountRow::UserMe))
        .collect();
    // The simulator registers no cards, pay, insurance or loans: empty lists, as the center
    // answers for a user without them.
    Reply::ok(obj(json!({
        "user_seq_no": user.user_seq_no,
        "user_ci": user.ci,
        "user_name": user.name,
        "res_cnt": list.len().to_string(),
        "res_list": list,
        "inquiry_card_cnt": "0",
        "inquiry_card_list": [],
        "inquiry_pay_cnt": "0",
        "inquiry_pay_list": [],
        "inquiry_insurance_cnt": "0",
        "inquiry_insurance_list": [],
        "inquiry_loan_cnt": "0",
        "inquiry_loan_list": [],
    })))
}

pub fn unlink(center: &Center, ctx: &Ctx) -> Reply {
    let u = match subject_user(center, ctx) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let seq = {
        let mut w = center.world();
        w.users[u].unlinked = true;
        w.users[u].user_seq_no.clone()
    };
    center.tokens.revoke_user(&seq);
    Reply::ok(obj(json!({ "user_seq_no": seq })))
}

pub fn close(center: &Center, ctx: &Ctx) -> Reply {
    let u = match subject_user(center, ctx) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let seq = {
        let mut w = center.world();
        if w.users[u].closed {
            return Reply::error(RspCode::ClosedMember);
        }
        w.users[u].closed = true;
        w.users[u].user_seq_no.clone()
    };
    center.tokens.revoke_user(&seq);
    Reply::ok(obj(json!({ "user_seq_no": seq })))
}

pub fn account_list(center: &Center, ctx: &Ctx) -> Reply {
    let Ok(u) = subject_user(center, ctx) else { return Reply::error(RspCode::RegistrationDataError) };
    let w = center.world();
    let include_cancelled = ctx.str("include_cancel_yn") == "Y";
    let mut list: Vec<Value> = w.users[u]
        .accounts
        .iter()
        .filter(|a| include_cancelled || !w.accounts[**a].cancelled())
        .map(|a| account_record(&w, *a, AccountRow::AccountList))
        .collect();
    if ctx.str("sort_order") == "D" {
        list.reverse();
    }
    Reply::ok(obj(json!({
        "user_name": w.users[u].name,
        "res_cnt": list.len().to_string(),
        "res_list": list,
    })))
}

pub fn update_info(center: &Center, ctx: &Ctx) -> Reply {
    let mut w = center.world();
    let idx = match user_account(center, ctx, &w, ctx.str("fintech_use_num"), None) {
        Ok(i) => i,
        Err(r) => return r,
    };
    w.accounts[idx].alias = ctx.str("account_alias").to_string();
    Reply::ok(obj(json!({
        "fintech_use_num": ctx.str("fintech_use_num"),
        "account_alias": w.accounts[idx].alias,
    })))
}

pub fn cancel(center: &Center, ctx: &Ctx) -> Reply {
    let mut w = center.world();
    let idx = match user_account(center, ctx, &w, ctx.str("fintech_use_num"), None) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let acct = &mut w.accounts[idx];
    let slot = if ctx.str("scope") == "inquiry" { &mut acct.inquiry_agree } else { &mut acct.transfer_agree };
    if slot.is_none() {
        return Reply::error_msg(RspCode::RegistrationDataError, "이미 해지된 서비스");
    }
    *slot = None;
    Reply::ok(obj(json!({ "bank_tran_id": ctx.str("bank_tran_id") })))
}
