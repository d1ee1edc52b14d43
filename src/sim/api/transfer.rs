//! 출금이체, 입금이체, 이체결과조회, 자금반환청구, 자금반환결과조회.

use serde_json::{Value, json};

use super::{bank_part, check_requesting_customer, obj, user_account};
use crate::sim::center::Center;
use crate::sim::config::Quirk;
use crate::sim::http::{BankPart, Ctx, MoneyOutcome, MoneyPlan, Reply};
use crate::sim::ledger::{CLAIM_DECISION_DELAY_SECS, Claim, ClaimState, MoneyOp};
use crate::sim::registry::{CheckType, TranKey, TransferState};
use crate::spec::banks::bank_code_sub;
use crate::spec::{Amount, BankRspCode, Consent, RspCode};

fn amount(raw: &str, field: &str) -> Result<u64, Reply> {
    Amount::parse(raw).map(|a| a.0).map_err(|e| Reply::error_msg(RspCode::FormatError, format!("{field}: {e}")))
}

fn check_contract_account(center: &Center, ctx: &Ctx) -> Result<(), Reply> {
    let inst = center.institution();
    if ctx.str("cntr_account_type") == "N" && ctx.str("cntr_account_num") == inst.cntr_account_num {
        Ok(())
    } else {
        Err(Reply::error_msg(
            RspCode::UnregisteredContractAccount,
            format!("약정 {} {}", ctx.str("cntr_account_type"), ctx.str("cntr_account_num")),
        ))
    }
}

pub fn plan_withdraw(center: &Center, ctx: &Ctx) -> Result<MoneyPlan, Reply> {
    check_contract_account(center, ctx)?;
    check_requesting_customer(&ctx.params, "")?;
    let amt = amount(ctx.str("tran_amt"), "tran_amt")?;
    let w = center.world();
    let from = user_account(center, ctx, &w, ctx.str("fintech_use_num"), Some(Consent::Transfer))?;
    let user = w.accounts[from].owner.expect("user account");
    let wd_print = ctx.opt("wd_print_content").unwrap_or(&center.institution().name).to_string();
    let dps_print = ctx.str("dps_print_content").to_string();
    let key = TranKey::new(&ctx.today(), ctx.str("bank_tran_id")).expect("validated by the pipeline");
    Ok(MoneyPlan {
        record: crate::sim::registry::TransferRecord {
            check_type: CheckType::Withdraw,
            amount: amt,
            state: TransferState::InFlight,
            wd_print: wd_print.as_str().into(),
            dps_print: dps_print.as_str().into(),
            from,
            to: w.cntr,
        },
        op: MoneyOp::Withdraw { from, user, amount: amt, wd_print, dps_print },
        key,
        render: render_withdraw,
    })
}

fn render_withdraw(center: &Center, ctx: &Ctx, plan: &MoneyPlan, outcome: &MoneyOutcome) -> Reply {
    let w = center.world();
    let MoneyOp::Withdraw { from, user, .. } = plan.op else { unreachable!("withdraw plan") };
    let a = &w.accounts[from];
    let cntr = &w.accounts[w.cntr];
    let remain = match outcome {
        MoneyOutcome::Done(done) => done.wd_limit_remain.unwrap_or_default(),
        _ => w.users[user].remaining_limit(ctx.today().parse().unwrap_or(0)),
    };
    let body = obj(json!({
        "dps_bank_code_std": cntr.bank_code_std,
        "dps_bank_code_sub": bank_code_sub(&cntr.bank_code_std),
        "dps_bank_name": cntr.bank_name(),
        "dps_account_num_masked": cntr.masked(),
        "dps_print_content": &*plan.record.dps_print,
        "dps_account_holder_name": cntr.holder_name,
        "fintech_use_num": ctx.str("fintech_use_num"),
        "account_alias": a.alias,
        "bank_code_std": a.bank_code_std,
        "bank_code_sub": bank_code_sub(&a.bank_code_std),
        "bank_name": a.bank_name(),
        "account_num_masked": a.masked(),
        "print_content": &*plan.record.wd_print,
        "account_holder_name": a.holder_name,
        "tran_amt": plan.record.amount.to_string(),
        "wd_limit_remain_amt": remain.to_string(),
    }));
    match outcome {
        MoneyOutcome::Done(_) | MoneyOutcome::Withheld => {
            Reply::ok(body).with_bank(bank_part(ctx, &w, from, BankRspCode::Ok))
        }
        MoneyOutcome::Refused(r) => {
            let mut reply = Reply::from_refusal(r);
            if let Some(code) = r.bank {
                reply = reply.with_bank(bank_part(ctx, &w, from, code));
            }
            reply
        }
    }
}

pub fn plan_deposit(center: &Center, ctx: &Ctx) -> Result<MoneyPlan, Reply> {
    check_contract_account(center, ctx)?;
    if ctx.str("wd_pass_phrase") != center.institution().wd_pass_phrase {
        return Err(Reply::error(RspCode::PassPhraseMismatch));
    }
    let item = ctx.list("req_list")[0].as_object().cloned().unwrap_or_default();
    let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    check_requesting_customer(&item, "req_list[0]: ")?;
    let amt = amount(&field("tran_amt"), "req_list[0].tran_amt")?;
    let w = center.world();
    let fintech = field("fintech_use_num");
    let to = user_account(center, ctx, &w, &fintech, None)?;
    if ctx.str("name_check_option") == "on" {
        let expected = field("recv_client_name");
        if expected.is_empty() {
            return Err(Reply::error_msg(
                RspCode::FormatError,
                "name_check_option on: req_list[0].recv_client_name 필요",
            ));
        }
        if expected != w.accounts[to].holder_name {
            return Err(Reply::error(RspCode::HolderNameMismatch));
        }
    }
    let wd_print = ctx.str("wd_print_content").to_string();
    let dps_print = field("print_content");
    let key = TranKey::new(&ctx.today(), &field("bank_tran_id")).expect("validated by the pipeline");
    Ok(MoneyPlan {
        record: crate::sim::registry::TransferRecord {
            check_type: CheckType::Deposit,
            amount: amt,
            state: TransferState::InFlight,
            wd_print: wd_print.as_str().into(),
            dps_print: dps_print.as_str().into(),
            from: w.cntr,
            to,
        },
        op: MoneyOp::Deposit { to, amount: amt, wd_print, dps_print },
        key,
        render: render_deposit,
    })
}

fn render_deposit(center: &Center, ctx: &Ctx, plan: &MoneyPlan, outcome: &MoneyOutcome) -> Reply {
    let w = center.world();
    let MoneyOp::Deposit { to, .. } = plan.op else { unreachable!("deposit plan") };
    let cntr = &w.accounts[w.cntr];
    let a = &w.accounts[to];
    let item_in = ctx.list("req_list")[0].as_object().cloned().unwrap_or_default();
    let (rsp, bank) = match outcome {
        MoneyOutcome::Done(_) | MoneyOutcome::Withheld => (None, BankRspCode::Ok),
        MoneyOutcome::Refused(r) => (Some(r), r.bank.unwrap_or(BankRspCode::BankFailure)),
    };
    let item = json!({
        "tran_no": item_in.get("tran_no").cloned().unwrap_or(Value::String("1".into())),
        "bank_tran_id": plan.key.id_str(),
        "bank_tran_date": plan.key.date8(),
        "bank_code_tran": a.bank_code_std,
        "bank_rsp_code": bank.code(),
        "bank_rsp_message": bank.message(),
        "fintech_use_num": a.fintech_use_num.clone().unwrap_or_default(),
        "account_alias": a.alias,
        "bank_code_std": a.bank_code_std,
        "bank_name": a.bank_name(),
        "account_num_masked": a.masked(),
        "print_content": &*plan.record.dps_print,
        "account_holder_name": a.holder_name,
        "tran_amt": plan.record.amount.to_string(),
    });
    let body = obj(json!({
        "wd_bank_code_std": cntr.bank_code_std,
        "wd_bank_code_sub": bank_code_sub(&cntr.bank_code_std),
        "wd_bank_name": cntr.bank_name(),
        "wd_account_num_masked": cntr.masked(),
        "wd_print_content": &*plan.record.wd_print,
        "wd_account_holder_name": cntr.holder_name,
        "res_cnt": "1",
        "res_list": [item],
    }));
    match rsp {
        None => Reply::ok(body),
        Some(r) => Reply { body, ..Reply::from_refusal(r) },
    }
}

/// One item of 이체결과조회, told from the registry's record.
fn result_item(center: &Center, ctx: &Ctx, check: CheckType, item: &serde_json::Map<String, Value>) -> Value {
    let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let id = field("org_bank_tran_id");
    let date = field("org_bank_tran_date");
    let mut out = json!({
        "tran_no": field("tran_no"),
        "bank_tran_id": id,
        "bank_tran_date": date,
        "tran_amt": field("org_tran_amt"),
    });
    let not_found = |mut out: Value| {
        out["rsp_code"] = RspCode::NoSuchTransfer.code().into();
        out["rsp_message"] = RspCode::NoSuchTransfer.message().into();
        out["bank_code_tran"] = "".into();
        out["bank_rsp_code"] = "".into();
        out["bank_rsp_message"] = "".into();
        out
    };
    let Some(key) = TranKey::new(&date, &id) else { return not_found(out) };
    center.world().note_inquiry(&key, ctx.now, &center.registry);
    let Some(rec) = center.registry.transfer(&key) else { return not_found(out) };
    if rec.check_type != check || field("org_tran_amt").trim_start_matches('0') != rec.amount.to_string() {
        return not_found(out);
    }
    let lies = center.has(Quirk::ResultInquiryLies);
    let (rsp, bank) = match rec.state {
        _ if lies => (RspCode::Success, Some(BankRspCode::Ok)),
        TransferState::Committed => (RspCode::Success, Some(BankRspCode::Ok)),
        TransferState::Pending | TransferState::InFlight => (RspCode::Success, Some(BankRspCode::DepositInProgress)),
        TransferState::Refused { rsp, bank } => (rsp, bank),
        TransferState::NotProcessed => return not_found(out),
    };
    let w = center.world();
    let (wd, dps) = (&w.accounts[rec.from], &w.accounts[rec.to]);
    let bank_code_tran = if check == CheckType::Withdraw { &wd.bank_code_std } else { &dps.bank_code_std };
    out["rsp_code"] = rsp.code().into();
    out["rsp_message"] = rsp.message().into();
    out["bank_code_tran"] = bank_code_tran.as_str().into();
    out["bank_rsp_code"] = bank.map(|b| b.code()).unwrap_or("").into();
    out["bank_rsp_message"] = bank.map(|b| b.message()).unwrap_or("").into();
    for (prefix, a, print) in [("wd", wd, &rec.wd_print), ("dps", dps, &rec.dps_print)] {
        out[format!("{prefix}_bank_code_std")] = a.bank_code_std.as_str().into();
        out[format!("{prefix}_account_num_masked")] = a.masked().into();
        out[format!("{prefix}_print_content")] = print.as_ref().into();
        out[format!("{prefix}_account_holder_name")] = a.holder_name.as_str().into();
    }
    out["tran_amt"] = rec.amount.to_string().into();
    out
}

pub fn result(center: &Center, ctx: &Ctx) -> Reply {
    let items = ctx.list("req_list");
    let cnt = ctx.str("req_cnt").parse::<usize>().unwrap_or(0);
    if cnt == 0 || cnt > 25 || cnt != items.len() {
        return Reply::error_msg(RspCode::FormatError, "req_cnt는 1~25이며 req_list 건수와 같아야 합니다");
    }
    let check = if ctx.str("check_type") == "1" { CheckType::Withdraw } else { CheckType::Deposit };
    let list: Vec<Value> = items
        .iter()
        .map(|i| result_item(center, ctx, check, i.as_object().unwrap_or(&serde_json::Map::new())))
        .collect();
    Reply::ok(obj(json!({ "res_cnt": list.len().to_string(), "res_list": list })))
}

fn own_bank_part(ctx: &Ctx, bank_code: &str, code: BankRspCode) -> BankPart {
    BankPart {
        bank_tran_id: ctx.str("bank_tran_id").to_string(),
        bank_tran_date: ctx.today(),
        bank_code_tran: bank_code.to_string(),
        bank_rsp_code: code,
        bank_rsp_message: None,
    }
}

pub fn return_claim(center: &Center, ctx: &Ctx) -> Reply {
    let org = match TranKey::new(ctx.str("org_bank_tran_date"), ctx.str("org_bank_tran_id")) {
        Some(k) => k,
        None => return Reply::error(RspCode::NoSuchTransfer),
    };
    let Some(rec) = center.registry.transfer(&org) else { return Reply::error(RspCode::NoSuchTransfer) };
    let org_amt = ctx.str("org_tran_amt").trim_start_matches('0').to_string();
    if rec.check_type != CheckType::Deposit
        || rec.state != TransferState::Committed
        || org_amt != rec.amount.to_string()
    {
        return Reply::error_msg(RspCode::NoSuchTransfer, "반환청구할 완료된 입금이체가 없습니다");
    }
    let return_amt = match amount(ctx.str("return_amt"), "return_amt") {
        Ok(a) if a <= rec.amount => a,
        Ok(_) => return Reply::error_msg(RspCode::FormatError, "return_amt가 원거래 금액보다 큽니다"),
        Err(r) => return r,
    };
    let mut w = center.world();
    let bank_code = w.accounts[rec.to].bank_code_std.clone();
    if !w.claimed.insert(org) {
        return Reply::error_msg(RspCode::DuplicateTransaction, "이미 반환청구된 거래");
    }
    let key = TranKey::new(&ctx.today(), ctx.str("bank_tran_id")).expect("validated by the pipeline");
    w.claims.insert(
        key,
        Claim {
            org,
            from: rec.to,
            return_amt,
            decided_at: ctx.now + chrono::Duration::seconds(CLAIM_DECISION_DELAY_SECS),
            state: ClaimState::Received,
        },
    );
    Reply::ok(obj(json!({
        "org_bank_tran_id": ctx.str("org_bank_tran_id"),
        "return_amt": return_amt.to_string(),
        "claim_state": ClaimState::Received.code(),
    })))
    .with_bank(own_bank_part(ctx, &bank_code, BankRspCode::Ok))
}

pub fn return_result(center: &Center, ctx: &Ctx) -> Reply {
    let Some(key) = TranKey::new(ctx.str("org_bank_tran_date"), ctx.str("org_bank_tran_id")) else {
        return Reply::error(RspCode::NoSuchTransfer);
    };
    let w = center.world();
    let Some(claim) = w.claims.get(&key) else {
        return Reply::error_msg(RspCode::NoSuchTransfer, "자금반환청구 내역 없음");
    };
    let bank_code = w.accounts[claim.from].bank_code_std.clone();
    let returned = if claim.state == ClaimState::Returned { claim.return_amt } else { 0 };
    Reply::ok(obj(json!({
        "org_bank_tran_id": ctx.str("org_bank_tran_id"),
        "return_amt": claim.return_amt.to_string(),
        "returned_amt": returned.to_string(),
        "claim_state": claim.state.code(),
        "claim_state_message": claim.state.message(),
    })))
    .with_bank(own_bank_part(ctx, &bank_code, BankRspCode::Ok))
}
