//! What our backend does with each answer (the KFTC handling table), for withdraw,
//! deposit and balance. The `Careless` flag switches on exactly two mistakes:
//! re-sending a transfer whose outcome is unknown under a new bank_tran_id (instead of
//! asking 이체결과조회), and re-sending a withdraw refused with A0017/311 under the same
//! bank_tran_id (instead of taking the refusal).

use std::time::Duration;

use serde_json::Value;

use super::center::{Answer, Center, TokenError, first_item, s};
use super::ids;
use super::{Careless, Outcome, Report, log};

/// 이체결과조회 polling: first pause, doubling, capped.
const POLL_FIRST: Duration = Duration::from_millis(200);
const POLL_CAP: Duration = Duration::from_millis(2000);
/// Inquiries when a transfer's outcome is unknown (no answer, A0007, A0003, 803/804).
const UNKNOWN_TRIES: u32 = 5;
/// Inquiries while a deposit is in progress (A0001 / 400).
const PENDING_TRIES: u32 = 8;
/// How many times the careless client re-sends a transfer with an unknown outcome.
const CARELESS_RESENDS: u32 = 2;
/// How many times the careless client repeats a withdraw refused with A0017/311.
const CARELESS_SAME_ID_RETRIES: u32 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    Withdraw,
    Deposit,
}

impl Check {
    fn code(self) -> &'static str {
        match self {
            Check::Withdraw => "1",
            Check::Deposit => "2",
        }
    }
}

/// One transfer answer, sorted by what it asks of us.
enum Class {
    /// A0000 (and bank 000).
    Done,
    /// Outcome unknown: no answer, A0007, A0003, bank 803/804.
    Unknown(String),
    /// Deposit in progress: A0001 / bank 400.
    Pending,
    /// Withdraw A0017 with bank 311: the bank did not answer; a refusal.
    BankTimeout,
    /// A0326: the bank_tran_id was already used; the first request stands.
    Duplicate,
    /// A0319 (withdraw) / A0316 (inquiry): consent over a year old.
    ConsentExpired(String),
    /// Any other refusal.
    Refused(String),
}

fn codes(v: &Value) -> String {
    let mut out = format!("{} {}", s(v, "rsp_code"), s(v, "rsp_message"));
    if !s(v, "bank_rsp_code").is_empty() {
        out.push_str(&format!(" (bank {} {})", s(v, "bank_rsp_code"), s(v, "bank_rsp_message")));
    }
    out.trim().to_string()
}

fn classify_withdraw(a: &Answer) -> Class {
    let v = match a {
        Answer::NoResponse(why) => return Class::Unknown(format!("no response: {why}")),
        Answer::Body(v) => v,
    };
    let bank = s(v, "bank_rsp_code");
    match s(v, "rsp_code") {
        "A0000" if bank.is_empty() || bank == "000" => Class::Done,
        "A0007" | "A0003" => Class::Unknown(codes(v)),
        _ if bank == "803" || bank == "804" => Class::Unknown(codes(v)),
        "A0017" if bank == "311" => Class::BankTimeout,
        "A0326" => Class::Duplicate,
        "A0319" => Class::ConsentExpired(codes(v)),
        "A0001" => Class::Unknown(codes(v)),
        _ => Class::Refused(codes(v)),
    }
}

fn classify_deposit(a: &Answer) -> Class {
    let v = match a {
        Answer::NoResponse(why) => return Class::Unknown(format!("no response: {why}")),
        Answer::Body(v) => v,
    };
    let item_bank = first_item(v).map(|i| s(i, "bank_rsp_code")).unwrap_or("");
    let detail = || match first_item(v) {
        Some(i) => format!(
            "{} {} (item bank {} {})",
            s(v, "rsp_code"),
            s(v, "rsp_message"),
            item_bank,
            s(i, "bank_rsp_message")
        ),
        None => codes(v),
    };
    match s(v, "rsp_code") {
        "A0000" if item_bank == "000" => Class::Done,
        "A0000" | "A0001" if item_bank == "400" => Class::Pending,
        "A0001" => Class::Pending,
        "A0007" | "A0003" => Class::Unknown(detail()),
        _ if item_bank == "803" || item_bank == "804" => Class::Unknown(detail()),
        "A0326" => Class::Duplicate,
        _ => Class::Refused(detail()),
    }
}

/// The business date to quote for the transfer `a` answered: the answer's bank_tran_date,
/// else the center's date seen in an answer, else ours.
fn org_date(c: &Center<'_>, a: &Answer) -> String {
    if let Answer::Body(v) = a {
        let d =
            first_item(v).map(|i| s(i, "bank_tran_date")).filter(|d| !d.is_empty()).unwrap_or(s(v, "bank_tran_date"));
        if d.len() == 8 {
            return d.to_string();
        }
    }
    c.center_date().map(str::to_string).unwrap_or_else(ids::today)
}

fn token_failure(e: TokenError, what: &str) -> Report {
    Report::new(Outcome::Failed, format!("{what}: {e}"))
}

// ------------------------------------------------------------------ withdraw

/// 출금이체 (the user token is already there).
pub async fn withdraw(c: &mut Center<'_>, careless: Careless) -> Report {
    let mut id = c.ids.next();
    let mut renewed = false;
    let mut resends = 0;
    let mut same_id_retries = 0;
    loop {
        let answer = c.withdraw(&id).await;
        match classify_withdraw(&answer) {
            Class::Done => return Report::new(Outcome::Succeeded, format!("withdraw {id}: A0000")),
            Class::Unknown(why) if careless.0 => {
                if resends >= CARELESS_RESENDS {
                    return Report::new(Outcome::Unknown, format!("withdraw {id}: {why}"));
                }
                resends += 1;
                id = c.ids.next();
                log(&format!("[careless] outcome unknown ({why}); re-sending the withdraw as {id}"));
            }
            Class::Unknown(why) => {
                log(&format!("withdraw {id}: outcome unknown ({why}); asking 이체결과조회, never re-sending"));
                let date = org_date(c, &answer);
                return resolve(c, Check::Withdraw, &id, date, UNKNOWN_TRIES, &why).await;
            }
            Class::BankTimeout if careless.0 && same_id_retries < CARELESS_SAME_ID_RETRIES => {
                same_id_retries += 1;
                log(&format!("[careless] A0017/311; repeating the same request {id} (retry {same_id_retries})"));
            }
            Class::BankTimeout => {
                return Report::new(
                    Outcome::Failed,
                    format!("withdraw {id}: A0017 / bank 311 (참가은행 응답 없음): refused, not retried"),
                );
            }
            Class::Duplicate => {
                log(&format!("withdraw {id}: A0326, the first request with this id stands; asking 이체결과조회"));
                let date = org_date(c, &answer);
                return resolve(c, Check::Withdraw, &id, date, 1, "A0326").await;
            }
            Class::ConsentExpired(why) if !renewed => {
                log(&format!("withdraw {id}: {why}; renewing consent via 계좌등록확인"));
                if let Err(e) = c.user_token(true).await {
                    return token_failure(e, "계좌등록확인");
                }
                renewed = true;
                id = c.ids.next();
            }
            Class::ConsentExpired(why) => {
                return Report::new(Outcome::Failed, format!("withdraw {id}: {why} (even after 계좌등록확인)"));
            }
            Class::Pending => unreachable!("withdraw answers are never classed pending"),
            Class::Refused(why) => return Report::new(Outcome::Failed, format!("withdraw {id}: {why}")),
        }
    }
}

// ------------------------------------------------------------------ deposit

/// 입금이체 (the institution token is already there).
pub async fn deposit(c: &mut Center<'_>, careless: Careless) -> Report {
    let token = match c.institution_token().await {
        Ok(t) => t,
        Err(e) => return token_failure(e, "이용기관 토큰"),
    };
    let mut id = c.ids.next();
    let mut resends = 0;
    loop {
        let answer = c.deposit(&id, &token).await;
        match classify_deposit(&answer) {
            Class::Done => return Report::new(Outcome::Succeeded, format!("deposit {id}: A0000 / 000")),
            Class::Pending => {
                log(&format!("deposit {id}: in progress; polling 이체결과조회 until final"));
                let date = org_date(c, &answer);
                return resolve(c, Check::Deposit, &id, date, PENDING_TRIES, "A0001 / 400 처리 중").await;
            }
            Class::Unknown(why) if careless.0 => {
                if resends >= CARELESS_RESENDS {
                    return Report::new(Outcome::Unknown, format!("deposit {id}: {why}"));
                }
                resends += 1;
                id = c.ids.next();
                log(&format!("[careless] outcome unknown ({why}); re-sending the deposit as {id}"));
            }
            Class::Unknown(why) => {
                log(&format!("deposit {id}: outcome unknown ({why}); asking 이체결과조회, never re-sending"));
                let date = org_date(c, &answer);
                return resolve(c, Check::Deposit, &id, date, UNKNOWN_TRIES, &why).await;
            }
            Class::Duplicate => {
                log(&format!("deposit {id}: A0326, the first request with this id stands; asking 이체결과조회"));
                let date = org_date(c, &answer);
                return resolve(c, Check::Deposit, &id, date, 1, "A0326").await;
            }
            Class::BankTimeout | Class::ConsentExpired(_) => unreachable!("not a deposit class"),
            Class::Refused(why) => return Report::new(Outcome::Failed, format!("deposit {id}: {why}")),
        }
    }
}

// ------------------------------------------------------------------ 이체결과조회

/// What one 이체결과조회 said about our transfer.
enum Truth {
    Completed,
    NotFinal(String),
    NotFound(String),
    Refused(String),
}

fn read_result(a: &Answer) -> Truth {
    let v = match a {
        Answer::NoResponse(why) => return Truth::NotFinal(format!("이체결과조회 got no response: {why}")),
        Answer::Body(v) => v,
    };
    match s(v, "rsp_code") {
        "A0000" => {}
        // The center does not know the original (and leaves it out of res_list).
        "A0310" => return Truth::NotFound(codes(v)),
        _ => return Truth::NotFinal(format!("이체결과조회 answered {}", codes(v))),
    }
    let Some(item) = first_item(v) else { return Truth::NotFinal("이체결과조회 answered no item".into()) };
    let (rsp, bank) = (s(item, "rsp_code"), s(item, "bank_rsp_code"));
    let detail = format!("bank {bank} {}", s(item, "bank_rsp_message"));
    match rsp {
        // KFTC's row layout has no rsp_code: a row is read by its bank code alone.
        "A0000" | "" if bank == "000" => Truth::Completed,
        // 400 처리 중 (or no bank verdict yet): ask again later.
        "A0000" | "" if bank == "400" || bank.is_empty() => Truth::NotFinal(detail),
        "A0001" => Truth::NotFinal(detail),
        "A0310" => Truth::NotFound(detail),
        // The original's final answer was a refusal (e.g. A0017/311, A0002/453).
        _ => Truth::Refused(detail),
    }
}

/// Asks 이체결과조회 about transfer `id` (up to `tries` times, backing off) until it is final.
/// The transfer itself is never sent again.
async fn resolve(c: &mut Center<'_>, check: Check, id: &str, mut date: String, tries: u32, why: &str) -> Report {
    let what = if check == Check::Withdraw { "withdraw" } else { "deposit" };
    let token = match c.institution_token().await {
        Ok(t) => t,
        Err(e) => {
            return Report::new(Outcome::Unknown, format!("{what} {id}: {why}; 이체결과조회 impossible: {e}"));
        }
    };
    let mut pause = POLL_FIRST;
    let mut date_corrected = false;
    let mut last = String::from("not asked");
    let mut asked = 0;
    while asked < tries {
        if !c.pause(pause).await {
            last = format!("{last}; run time budget spent");
            break;
        }
        pause = (pause * 2).min(POLL_CAP);
        asked += 1;
        let answer = c.transfer_result(check.code(), id, &date, &token).await;
        match read_result(&answer) {
            Truth::Completed => {
                return Report::new(
                    Outcome::Succeeded,
                    format!("{what} {id}: {why}; 이체결과조회 #{asked}: completed (A0000 / 000)"),
                );
            }
            Truth::Refused(d) => {
                return Report::new(
                    Outcome::Failed,
                    format!("{what} {id}: {why}; 이체결과조회 #{asked}: refused: {d}"),
                );
            }
            Truth::NotFound(d) => {
                // Quoted the wrong business date (ours, when the center never told us its own)?
                if let Some(center) = c.center_date().filter(|cd| *cd != date && !date_corrected).map(str::to_string) {
                    log(&format!("no such transfer on {date}; the center's date is {center}, asking again"));
                    date = center;
                    date_corrected = true;
                    asked -= 1;
                    pause = Duration::ZERO;
                    continue;
                }
                return Report::new(
                    Outcome::Failed,
                    format!("{what} {id}: {why}; 이체결과조회 #{asked}: no such transfer ({d}): it never happened"),
                );
            }
            Truth::NotFinal(d) => {
                log(&format!("{what} {id}: not final yet ({d})"));
                last = d;
            }
        }
    }
    Report::new(Outcome::Unknown, format!("{what} {id}: {why}; still not final after {asked} 이체결과조회: {last}"))
}

// ------------------------------------------------------------------ balance

/// 잔액조회 (the user token is already there).
pub async fn balance(c: &mut Center<'_>) -> Report {
    let mut renewed = false;
    loop {
        let id = c.ids.next();
        let v = match c.balance(&id).await {
            Answer::NoResponse(why) => {
                return Report::new(Outcome::Failed, format!("balance {id}: no response: {why}"));
            }
            Answer::Body(v) => v,
        };
        match s(&v, "rsp_code") {
            "A0000" => {
                return Report::new(
                    Outcome::Succeeded,
                    format!(
                        "balance {id}: A0000, balance_amt {} available_amt {}",
                        s(&v, "balance_amt"),
                        s(&v, "available_amt")
                    ),
                );
            }
            "A0316" if !renewed => {
                log(&format!("balance {id}: {}; renewing consent via 계좌등록확인", codes(&v)));
                if let Err(e) = c.user_token(true).await {
                    return token_failure(e, "계좌등록확인");
                }
                renewed = true;
            }
            _ => return Report::new(Outcome::Failed, format!("balance {id}: {}", codes(&v))),
        }
    }
}
