//! 잔액조회, 거래내역조회, 계좌실명조회, 송금인정보조회, 수취조회.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde_json::{Value, json};

use super::{bank_part, obj, text, user_account};
use crate::protocol::banks::bank_code_sub;
use crate::protocol::time::{date8, kst, parse_date8, parse_time6, time6};
use crate::protocol::{BankRspCode, Consent, RspCode};
use crate::sim::center::Center;
use crate::sim::http::{BankPart, Ctx, Reply};
use crate::sim::ledger::{Inout, TxEntry, World};

/// Records per page of 거래내역조회 and 송금인정보조회.
pub const PAGE_SIZE: usize = 25;

pub fn balance(center: &Center, ctx: &Ctx) -> Reply {
    let w = center.world();
    let idx = match user_account(center, ctx, &w, ctx.str("fintech_use_num"), Some(Consent::Inquiry)) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let a = &w.accounts[idx];
    let balance = a.balance.to_string();
    Reply::ok_fields(vec![
        ("account_issue_date", text(&a.issue_date)),
        ("account_type", text(&a.account_type)),
        ("available_amt", text(&balance)),
        ("balance_amt", balance.into()),
        ("bank_name", a.bank_name().into()),
        ("fintech_use_num", text(ctx.str("fintech_use_num"))),
        ("last_tran_date", a.history.last().map(|e| date8(e.at())).unwrap_or_default().into()),
        ("maturity_date", "".into()),
        ("product_name", text(&a.product_name)),
        ("savings_bank_name", text(&a.savings_bank_name)),
    ])
    .with_bank(bank_part(ctx, &w, idx, BankRspCode::Ok))
}

/// The position to resume from, as `befor_inquiry_trace_info` carries it. [project rule] A
/// value the simulator did not issue starts from the first page: KFTC's own example sends
/// `"123"` on a first request, so the center cannot be refusing unknown values.
fn parse_trace(ctx: &Ctx) -> Result<usize, Reply> {
    Ok(ctx
        .opt("befor_inquiry_trace_info")
        .and_then(|t| t.strip_prefix('T'))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0))
}

fn trace(offset: usize) -> String {
    format!("T{offset:010}")
}

fn instant(date: NaiveDate, secs: u32) -> Option<DateTime<FixedOffset>> {
    let naive = date.and_hms_opt(secs / 3600, secs / 60 % 60, secs % 60)?;
    kst().from_local_datetime(&naive).single()
}

/// The [from, to] window of a listing: whole days, or day+time when `with_time`.
fn window(ctx: &Ctx, with_time: bool) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>), Reply> {
    let bad = |f: &str| Reply::error_msg(RspCode::FormatError, format!("{f} 오류"));
    let from_date = parse_date8(ctx.str("from_date")).ok_or_else(|| bad("from_date"))?;
    let to_date = parse_date8(ctx.str("to_date")).ok_or_else(|| bad("to_date"))?;
    let (from_secs, to_secs) = if with_time {
        let f = ctx.opt("from_time").map(parse_time6).unwrap_or(Some(0)).ok_or_else(|| bad("from_time"))?;
        let t = ctx.opt("to_time").map(parse_time6).unwrap_or(Some(86_399)).ok_or_else(|| bad("to_time"))?;
        (f, t)
    } else {
        (0, 86_399)
    };
    let from = instant(from_date, from_secs).ok_or_else(|| bad("from_date"))?;
    let to = instant(to_date, to_secs).ok_or_else(|| bad("to_date"))? + chrono::Duration::milliseconds(999);
    if from > to {
        return Err(Reply::error_msg(RspCode::FormatError, "조회시작일시가 조회종료일시보다 늦습니다"));
    }
    Ok((from, to))
}

/// Selects one page of entries; newest first for `D`.
fn page<'a>(
    entries: impl DoubleEndedIterator<Item = &'a TxEntry>,
    descending: bool,
    offset: usize,
) -> (Vec<&'a TxEntry>, bool) {
    let mut out: Vec<&TxEntry> = if descending {
        entries.rev().skip(offset).take(PAGE_SIZE + 1).collect()
    } else {
        entries.skip(offset).take(PAGE_SIZE + 1).collect()
    };
    let more = out.len() > PAGE_SIZE;
    out.truncate(PAGE_SIZE);
    (out, more)
}

pub fn transaction_list(center: &Center, ctx: &Ctx) -> Reply {
    let w = center.world();
    let idx = match user_account(center, ctx, &w, ctx.str("fintech_use_num"), Some(Consent::Inquiry)) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let (from, to) = match window(ctx, ctx.str("inquiry_base") == "T") {
        Ok(w) => w,
        Err(r) => return r,
    };
    let offset = match parse_trace(ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let kind = ctx.str("inquiry_type");
    let a = &w.accounts[idx];
    let matching = a.history.iter().filter(|e| {
        e.at() >= from
            && e.at() <= to
            && match kind {
                "I" => e.inout == Inout::In,
                "O" => e.inout == Inout::Out,
                _ => true,
            }
    });
    let (records, more) = page(matching, ctx.str("sort_order") == "D", offset);
    let list: Vec<Value> = records
        .iter()
        .map(|e| {
            json!({
                "tran_date": date8(e.at()),
                "tran_time": time6(e.at()),
                "inout_type": e.inout.label(),
                "tran_type": e.tran_type(),
                "print_content": w.texts.get(e.print_content),
                "tran_amt": e.amount.to_string(),
                "after_balance_amt": e.after_balance.to_string(),
                "branch_name": "본점",
            })
        })
        .collect();
    Reply::ok(obj(json!({
        "bank_name": a.bank_name(),
        "savings_bank_name": a.savings_bank_name,
        "fintech_use_num": ctx.str("fintech_use_num"),
        "balance_amt": a.balance.to_string(),
        "page_record_cnt": list.len().to_string(),
        "next_page_yn": if more { "Y" } else { "N" },
        "befor_inquiry_trace_info": trace(offset + list.len()),
        "res_list": list,
    })))
    .with_bank(bank_part(ctx, &w, idx, BankRspCode::Ok))
}

/// An account the bank does not know: the test bed answers `A0002` + `818`.
fn unknown_account(ctx: &Ctx, bank_code: &str, why: &str) -> Reply {
    Reply::error(RspCode::BankError).with_bank(BankPart {
        bank_tran_id: ctx.str("bank_tran_id").to_string(),
        bank_tran_date: ctx.today(),
        bank_code_tran: bank_code.to_string(),
        bank_rsp_code: BankRspCode::NoSimulatorResponse,
        bank_rsp_message: Some(format!("{} ({why})", BankRspCode::NoSimulatorResponse.message())),
    })
}

pub fn real_name(center: &Center, ctx: &Ctx) -> Reply {
    let w = center.world();
    let bank = ctx.str("bank_code_std");
    let Some(idx) = w.by_number(bank, ctx.str("account_num")) else {
        return unknown_account(ctx, bank, "계좌 없음");
    };
    let a = &w.accounts[idx];
    // [project rule] an absent or blank type is ' ' (생년월일), the code KFTC's sample sends.
    let info_type = ctx.opt("account_holder_info_type").filter(|t| !t.trim().is_empty()).unwrap_or(" ");
    let info = ctx.str("account_holder_info");
    // [project rule] only the birth date (type ' ') is known to the simulator; other
    // identity numbers are accepted as given, and type N skips the check.
    if info_type == " "
        && let Some(owner) = a.owner
        && w.users[owner].birth_date != info
    {
        return unknown_account(ctx, bank, "실명번호 불일치");
    }
    Reply::ok(obj(json!({
        "bank_code_std": bank,
        "bank_code_sub": bank_code_sub(bank),
        "bank_name": a.bank_name(),
        "savings_bank_name": a.savings_bank_name,
        "account_num": ctx.str("account_num"),
        "account_seq": a.account_seq,
        "account_holder_info_type": info_type,
        "account_holder_info": info,
        "account_holder_name": a.holder_name,
        "account_type": a.account_type,
    })))
    .with_bank(bank_part(ctx, &w, idx, BankRspCode::Ok))
}

pub fn remit_list(center: &Center, ctx: &Ctx) -> Reply {
    let w = center.world();
    let bank = ctx.str("bank_code_std");
    let Some(idx) = w.by_number(bank, ctx.str("account_num")) else {
        return unknown_account(ctx, bank, "계좌 없음");
    };
    let (from, to) = match window(ctx, true) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let offset = match parse_trace(ctx) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let a = &w.accounts[idx];
    let inbound = a
        .history
        .iter()
        .filter(|e| e.inout == Inout::In && e.counterparty().is_some() && e.at() >= from && e.at() <= to);
    let (records, more) = page(inbound, ctx.str("sort_order") == "D", offset);
    let list: Vec<Value> = records.iter().map(|e| remitter(&w, e)).collect();
    Reply::ok(obj(json!({
        "bank_name": a.bank_name(),
        "account_num": ctx.str("account_num"),
        "page_record_cnt": list.len().to_string(),
        "next_page_yn": if more { "Y" } else { "N" },
        "befor_inquiry_trace_info": trace(offset + list.len()),
        "res_list": list,
    })))
    .with_bank(bank_part(ctx, &w, idx, BankRspCode::Ok))
}

fn remitter(w: &World, e: &TxEntry) -> Value {
    let other = &w.accounts[e.counterparty().unwrap_or_default()];
    json!({
        "tran_date": date8(e.at()),
        "tran_time": time6(e.at()),
        "print_content": w.texts.get(e.print_content),
        "tran_amt": e.amount.to_string(),
        "remitter_name": other.holder_name,
        "remitter_bank_code": other.bank_code_std,
        "remitter_account_num": other.masked(),
    })
}

/// 수취조회: the recipient account is named by fintech_use_num or by bank_code_std + account_num,
/// as KFTC's sample sends either. Nothing moves, so the 자금세탁방지 fields are optional here.
pub fn receive(center: &Center, ctx: &Ctx) -> Reply {
    let w = center.world();
    let inst = center.institution();
    if ctx.str("cntr_account_type") != "N" || ctx.str("cntr_account_num") != inst.cntr_account_num {
        return Reply::error_msg(
            RspCode::UnregisteredContractAccount,
            format!("약정계좌 {}", ctx.str("cntr_account_num")),
        );
    }
    let (idx, account_num) = match (ctx.opt("fintech_use_num"), ctx.opt("bank_code_std"), ctx.opt("account_num")) {
        (Some(fintech), None, None) => match w.by_fintech(fintech) {
            Some(idx) => (idx, ""),
            None => return Reply::error_msg(RspCode::RegistrationDataError, format!("핀테크이용번호 {fintech} 없음")),
        },
        (None, Some(bank), Some(num)) => match w.by_number(bank, num) {
            Some(idx) => (idx, num),
            None => return unknown_account(ctx, bank, "수취계좌 없음"),
        },
        _ => {
            return Reply::error_msg(
                RspCode::FormatError,
                "수취계좌는 fintech_use_num 또는 bank_code_std와 account_num으로 지정합니다 (둘 중 하나만)",
            );
        }
    };
    let a = &w.accounts[idx];
    let cntr = &w.accounts[w.cntr];
    Reply::ok(obj(json!({
        "bank_code_std": a.bank_code_std,
        "bank_code_sub": bank_code_sub(&a.bank_code_std),
        "bank_name": a.bank_name(),
        "savings_bank_name": a.savings_bank_name,
        "account_num": account_num,
        "account_num_masked": a.masked(),
        "print_content": ctx.str("print_content"),
        "account_holder_name": a.holder_name,
        "wd_bank_code_std": cntr.bank_code_std,
        "wd_bank_name": cntr.bank_name(),
        "wd_account_num": cntr.account_num,
        "tran_amt": ctx.str("tran_amt"),
    })))
    .with_bank(bank_part(ctx, &w, idx, BankRspCode::Ok))
}
