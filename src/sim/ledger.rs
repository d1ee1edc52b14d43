//! The world behind the center: users, accounts with their consents and history, and the
//! double-entry ledger. Money only ever moves between two accounts of this ledger, so the
//! total is constant; every operation holds the world lock for O(1) work.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset};

use super::fixture::Fixture;
use super::registry::{Registry, TranKey, TransferState};
use crate::protocol::banks::bank_name;
use crate::protocol::time::kst;
use crate::protocol::{BankRspCode, RspCode};

pub type AccountIdx = usize;
pub type UserIdx = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inout {
    In,
    Out,
}

impl Inout {
    pub fn label(self) -> &'static str {
        match self {
            Inout::In => "입금",
            Inout::Out => "출금",
        }
    }
}

/// One line of an account's history. Kept small (40 bytes): every transfer adds two, and
/// a load test adds millions. The instant is stored in UTC (every instant of the simulator
/// is KST, so nothing is lost), the print content as an id into [`World::text`].
#[derive(Debug, Clone, Copy)]
pub struct TxEntry {
    at_utc: chrono::NaiveDateTime,
    pub inout: Inout,
    kind: TranKind,
    pub print_content: TextId,
    /// The other side's ledger index + 1, for 송금인정보조회; 0 for none.
    counterparty: u32,
    pub amount: u64,
    pub after_balance: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TranKind {
    Transfer,
    Cash,
}

impl TxEntry {
    pub fn new(
        at: DateTime<FixedOffset>,
        inout: Inout,
        tran_type: &'static str,
        print_content: TextId,
        amount: u64,
        after_balance: u64,
        counterparty: Option<AccountIdx>,
    ) -> TxEntry {
        debug_assert!(at.offset().local_minus_utc() == kst().local_minus_utc(), "instants are KST");
        TxEntry {
            at_utc: at.naive_utc(),
            inout,
            kind: if tran_type == "현금" { TranKind::Cash } else { TranKind::Transfer },
            print_content,
            counterparty: counterparty.map_or(0, |c| u32::try_from(c + 1).expect("fewer than 4e9 accounts")),
            amount,
            after_balance,
        }
    }

    /// When it happened (KST).
    pub fn at(&self) -> DateTime<FixedOffset> {
        DateTime::from_naive_utc_and_offset(self.at_utc, kst())
    }

    /// 거래구분: 이체 or 현금.
    pub fn tran_type(&self) -> &'static str {
        match self.kind {
            TranKind::Transfer => "이체",
            TranKind::Cash => "현금",
        }
    }

    pub fn counterparty(&self) -> Option<AccountIdx> {
        (self.counterparty > 0).then(|| self.counterparty as usize - 1)
    }
}

/// An interned piece of text (print contents): transfers mostly repeat a few, and the
/// history and the registry keep one per transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextId(u32);

/// The texts behind [`TextId`]s; each distinct text is stored once.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    list: Vec<std::sync::Arc<str>>,
    index: HashMap<std::sync::Arc<str>, TextId>,
}

impl Texts {
    pub fn intern(&mut self, text: &str) -> TextId {
        if let Some(id) = self.index.get(text) {
            return *id;
        }
        let id = TextId(u32::try_from(self.list.len()).expect("fewer than 4e9 distinct texts"));
        let text: std::sync::Arc<str> = text.into();
        self.list.push(text.clone());
        self.index.insert(text, id);
        id
    }

    pub fn get(&self, id: TextId) -> &str {
        self.list.get(id.0 as usize).map_or("", |t| t)
    }
}

const CHUNK: usize = 1024;

/// An append-only log in fixed-size chunks: appending never copies old entries, so a
/// busy account's history costs no latency spikes as it grows.
#[derive(Debug, Default, Clone)]
pub struct History {
    chunks: Vec<Vec<TxEntry>>,
    len: usize,
}

impl History {
    pub fn push(&mut self, e: TxEntry) {
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("just ensured").push(e);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Oldest first; reversible for newest-first listings.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &TxEntry> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    pub fn last(&self) -> Option<&TxEntry> {
        self.chunks.last().and_then(|c| c.last())
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub fintech_use_num: Option<String>,
    pub bank_code_std: String,
    pub account_num: String,
    pub holder_name: String,
    pub balance: u64,
    pub account_type: String,
    pub product_name: String,
    pub alias: String,
    pub issue_date: String,
    /// 개별저축은행명 for accounts at a savings bank (bank code 050); blank otherwise.
    pub savings_bank_name: String,
    /// 회차번호 (blank for accounts without one).
    pub account_seq: String,
    /// 오픈뱅킹 납부자번호 (user accounts).
    pub payer_num: String,
    pub owner: Option<UserIdx>,
    /// 금융정보 제3자제공동의 time; `None` = not given or cancelled.
    pub inquiry_agree: Option<DateTime<FixedOffset>>,
    /// 출금동의 time; `None` = not given or cancelled.
    pub transfer_agree: Option<DateTime<FixedOffset>>,
    pub history: History,
}

impl Account {
    pub fn bank_name(&self) -> &'static str {
        bank_name(&self.bank_code_std).unwrap_or("")
    }

    /// The account number with its last three digits masked, as the center shows it.
    pub fn masked(&self) -> String {
        crate::protocol::ids::mask_account_num(&self.account_num)
    }

    /// Both consents gone: the registration is cancelled (account_state 09).
    pub fn cancelled(&self) -> bool {
        self.inquiry_agree.is_none() && self.transfer_agree.is_none()
    }
}

/// [project rule] A payer number no fixture names: the registration date and the fintech
/// number's last 12 digits, 20 characters like the real answer's `"20230410319808135955"`.
fn default_payer_num(registered: DateTime<FixedOffset>, fintech_use_num: &impl std::fmt::Display) -> String {
    let fintech = fintech_use_num.to_string();
    let tail = &fintech[fintech.len().saturating_sub(12)..];
    format!("{}{tail:0>12}", crate::protocol::time::date8(registered))
}

#[derive(Debug, Clone)]
pub struct User {
    pub user_seq_no: String,
    pub name: String,
    pub ci: String,
    pub birth_date: String,
    pub daily_limit: u64,
    pub per_transfer_limit: u64,
    /// (yyyyMMdd, amount withdrawn that day).
    pub used: (u32, u64),
    pub closed: bool,
    pub unlinked: bool,
    pub accounts: Vec<AccountIdx>,
}

impl User {
    fn used_on(&self, day: u32) -> u64 {
        if self.used.0 == day { self.used.1 } else { 0 }
    }

    /// What the user may still withdraw today.
    pub fn remaining_limit(&self, day: u32) -> u64 {
        self.daily_limit.saturating_sub(self.used_on(day))
    }
}

/// A money movement to perform, prepared and checked by an API handler.
#[derive(Debug, Clone)]
pub enum MoneyOp {
    /// User account → the institution's 약정계좌.
    Withdraw { from: AccountIdx, user: UserIdx, amount: u64, wd_print: TextId, dps_print: TextId },
    /// The institution's 약정계좌 → a user account.
    Deposit { to: AccountIdx, amount: u64, wd_print: TextId, dps_print: TextId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpDone {
    /// Withdraw: the user's remaining daily limit.
    pub wd_limit_remain: Option<u64>,
}

/// Why an operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rsp: RspCode,
    pub bank: Option<BankRspCode>,
    pub message: Option<String>,
}

impl Refusal {
    pub fn center(rsp: RspCode, message: impl Into<String>) -> Refusal {
        Refusal { rsp, bank: None, message: Some(message.into()) }
    }

    pub fn bank(bank: BankRspCode) -> Refusal {
        Refusal { rsp: RspCode::BankError, bank: Some(bank), message: None }
    }
}

/// A transfer answered `A0001`/`400`, to be performed later.
#[derive(Debug, Clone)]
pub struct PendingOp {
    pub key: TranKey,
    pub op: MoneyOp,
    pub remaining_inquiries: Option<u32>,
    pub due: Option<DateTime<FixedOffset>>,
}

/// A 자금반환청구 and its fate. [project rule: a claim is decided one virtual day after it
/// is made: returned if the recipient still holds the amount, otherwise refused]
#[derive(Debug, Clone)]
pub struct Claim {
    pub org: TranKey,
    pub from: AccountIdx,
    pub return_amt: u64,
    pub decided_at: DateTime<FixedOffset>,
    pub state: ClaimState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    Received,
    Returned,
    Refused,
}

impl ClaimState {
    pub fn code(self) -> &'static str {
        match self {
            ClaimState::Received => "1",
            ClaimState::Returned => "2",
            ClaimState::Refused => "3",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ClaimState::Received => "청구접수",
            ClaimState::Returned => "반환완료",
            ClaimState::Refused => "반환불가(잔액부족)",
        }
    }
}

pub const CLAIM_DECISION_DELAY_SECS: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct World {
    pub users: Vec<User>,
    user_index: HashMap<String, UserIdx>,
    pub accounts: Vec<Account>,
    fintech_index: HashMap<String, AccountIdx>,
    number_index: HashMap<(String, String), AccountIdx>,
    /// The institution's 약정계좌.
    pub cntr: AccountIdx,
    pub pending: Vec<PendingOp>,
    pub claims: HashMap<TranKey, Claim>,
    pub claimed: HashSet<TranKey>,
    /// Print contents of the history and of the registry's records.
    pub texts: Texts,
}

fn day_of(t: DateTime<FixedOffset>) -> u32 {
    crate::protocol::time::date_number(t)
}

impl World {
    /// Builds the world of a fixture; consents are given at `start`.
    pub fn from_fixture(f: &Fixture, start: DateTime<FixedOffset>) -> World {
        let inst = &f.institution;
        let mut w = World {
            users: Vec::new(),
            user_index: HashMap::new(),
            accounts: Vec::new(),
            fintech_index: HashMap::new(),
            number_index: HashMap::new(),
            cntr: 0,
            pending: Vec::new(),
            claims: HashMap::new(),
            claimed: HashSet::new(),
            texts: Texts::default(),
        };
        w.cntr = w.add_account(Account {
            fintech_use_num: None,
            bank_code_std: inst.cntr_bank_code.clone(),
            account_num: inst.cntr_account_num.clone(),
            holder_name: inst.cntr_account_holder_name.clone(),
            balance: inst.cntr_balance_amt,
            account_type: "1".into(),
            product_name: "기업 자유입출금".into(),
            alias: String::new(),
            issue_date: "20200101".into(),
            savings_bank_name: String::new(),
            account_seq: String::new(),
            payer_num: String::new(),
            owner: None,
            inquiry_agree: None,
            transfer_agree: None,
            history: History::default(),
        });
        w.add_users(f, start);
        w
    }

    /// Adds the users of `f` (used at start and by `POST /_sim/fixture`).
    pub fn add_users(&mut self, f: &Fixture, start: DateTime<FixedOffset>) {
        for u in &f.users {
            let idx = self.users.len();
            let mut user = User {
                user_seq_no: u.user_seq_no.to_string(),
                name: u.user_name.clone(),
                ci: u.user_ci.clone(),
                birth_date: u.birth_date.clone(),
                daily_limit: u.daily_withdraw_limit,
                per_transfer_limit: u.per_transfer_limit,
                used: (0, 0),
                closed: false,
                unlinked: false,
                accounts: Vec::new(),
            };
            for a in &u.accounts {
                let mut acct = Account {
                    fintech_use_num: Some(a.fintech_use_num.to_string()),
                    bank_code_std: a.bank_code_std.clone(),
                    account_num: a.account_num.clone(),
                    holder_name: a.account_holder_name.clone(),
                    balance: a.balance_amt,
                    account_type: a.account_type.clone(),
                    product_name: a.product_name.clone(),
                    alias: a.account_alias.clone(),
                    issue_date: "20200101".into(),
                    savings_bank_name: a.savings_bank_name.clone(),
                    account_seq: a.account_seq.clone(),
                    payer_num: a.payer_num.clone().unwrap_or_else(|| default_payer_num(start, &a.fintech_use_num)),
                    owner: Some(idx),
                    inquiry_agree: a.inquiry_agree.then_some(start),
                    transfer_agree: a.transfer_agree.then_some(start),
                    history: History::default(),
                };
                seed_history(&mut acct, &mut self.texts, a.seed_history, start);
                user.accounts.push(self.add_account(acct));
            }
            self.user_index.insert(user.user_seq_no.clone(), idx);
            self.users.push(user);
        }
    }

    fn add_account(&mut self, a: Account) -> AccountIdx {
        let idx = self.accounts.len();
        if let Some(f) = &a.fintech_use_num {
            self.fintech_index.insert(f.clone(), idx);
        }
        self.number_index.insert((a.bank_code_std.clone(), a.account_num.clone()), idx);
        self.accounts.push(a);
        idx
    }

    pub fn user(&self, user_seq_no: &str) -> Option<UserIdx> {
        self.user_index.get(user_seq_no).copied()
    }

    pub fn by_fintech(&self, fintech_use_num: &str) -> Option<AccountIdx> {
        self.fintech_index.get(fintech_use_num).copied()
    }

    pub fn by_number(&self, bank_code_std: &str, account_num: &str) -> Option<AccountIdx> {
        self.number_index.get(&(bank_code_std.to_string(), account_num.to_string())).copied()
    }

    /// The sum of every balance; constant under every operation.
    pub fn total_money(&self) -> u128 {
        self.accounts.iter().map(|a| a.balance as u128).sum()
    }

    /// Checks an operation's limits and balance and, if they allow, performs it.
    pub fn execute(&mut self, op: &MoneyOp, now: DateTime<FixedOffset>) -> Result<OpDone, Refusal> {
        match *op {
            MoneyOp::Withdraw { from, user, amount, wd_print, dps_print } => {
                let day = day_of(now);
                let u = &self.users[user];
                if amount > u.per_transfer_limit {
                    return Err(Refusal::center(
                        RspCode::PerTransferLimitExceeded,
                        format!("사용자 출금한도 초과(건당): 한도 {}원", u.per_transfer_limit),
                    ));
                }
                if amount > u.remaining_limit(day) {
                    return Err(Refusal::center(
                        RspCode::DailyLimitExceeded,
                        format!("사용자 출금한도 초과(일): 잔여한도 {}원", u.remaining_limit(day)),
                    ));
                }
                if self.accounts[from].balance < amount {
                    return Err(Refusal::bank(BankRspCode::InsufficientBalance));
                }
                self.move_money(from, self.cntr, amount, now, wd_print, dps_print);
                let u = &mut self.users[user];
                let used = u.used_on(day) + amount;
                u.used = (day, used);
                Ok(OpDone { wd_limit_remain: Some(u.remaining_limit(day)) })
            }
            MoneyOp::Deposit { to, amount, wd_print, dps_print } => {
                if self.accounts[self.cntr].balance < amount {
                    return Err(Refusal::bank(BankRspCode::InsufficientBalance));
                }
                self.move_money(self.cntr, to, amount, now, wd_print, dps_print);
                Ok(OpDone { wd_limit_remain: None })
            }
        }
    }

    fn move_money(
        &mut self,
        from: AccountIdx,
        to: AccountIdx,
        amount: u64,
        now: DateTime<FixedOffset>,
        wd_print: TextId,
        dps_print: TextId,
    ) {
        let src = &mut self.accounts[from];
        src.balance -= amount;
        let after = src.balance;
        src.history.push(TxEntry::new(now, Inout::Out, "이체", wd_print, amount, after, Some(to)));
        let dst = &mut self.accounts[to];
        dst.balance += amount;
        let after = dst.balance;
        dst.history.push(TxEntry::new(now, Inout::In, "이체", dps_print, amount, after, Some(from)));
    }

    /// Performs pending transfers and decides claims whose time has come.
    pub fn settle_due(&mut self, now: DateTime<FixedOffset>, registry: &Registry) {
        if !self.pending.is_empty() {
            let mut i = 0;
            while i < self.pending.len() {
                if self.pending[i].due.is_some_and(|d| d <= now) {
                    let p = self.pending.swap_remove(i);
                    self.finish_pending(p, now, registry);
                } else {
                    i += 1;
                }
            }
        }
        if !self.claims.is_empty() {
            let due: Vec<TranKey> = self
                .claims
                .iter()
                .filter(|(_, c)| c.state == ClaimState::Received && c.decided_at <= now)
                .map(|(k, _)| *k)
                .collect();
            for k in due {
                let (from, amt) = {
                    let c = &self.claims[&k];
                    (c.from, c.return_amt)
                };
                let state = if self.accounts[from].balance >= amt {
                    let print = self.texts.intern("자금반환");
                    self.move_money(from, self.cntr, amt, now, print, print);
                    ClaimState::Returned
                } else {
                    ClaimState::Refused
                };
                if let Some(c) = self.claims.get_mut(&k) {
                    c.state = state;
                }
            }
        }
    }

    /// Counts one 이체결과조회 of a pending transfer; performs it when the count runs out.
    pub fn note_inquiry(&mut self, key: &TranKey, now: DateTime<FixedOffset>, registry: &Registry) {
        let Some(i) = self.pending.iter().position(|p| p.key == *key) else { return };
        let p = &mut self.pending[i];
        match p.remaining_inquiries {
            Some(n) if n > 1 => p.remaining_inquiries = Some(n - 1),
            Some(_) => {
                let p = self.pending.swap_remove(i);
                self.finish_pending(p, now, registry);
            }
            None => {}
        }
    }

    fn finish_pending(&mut self, p: PendingOp, now: DateTime<FixedOffset>, registry: &Registry) {
        let state = match self.execute(&p.op, now) {
            Ok(_) => TransferState::Committed,
            Err(r) => TransferState::Refused { rsp: r.rsp, bank: r.bank },
        };
        registry.update(&p.key, |rec| rec.state = state);
    }

    /// Gives both consents of every registered account of `user` anew (계좌등록확인).
    pub fn renew_consents(&mut self, user: UserIdx, now: DateTime<FixedOffset>) {
        for &a in &self.users[user].accounts.clone() {
            let acct = &mut self.accounts[a];
            if acct.inquiry_agree.is_some() {
                acct.inquiry_agree = Some(now);
            }
            if acct.transfer_agree.is_some() {
                acct.transfer_agree = Some(now);
            }
        }
    }

    /// Registers missing consents (최초 사용자인증 of accounts that were cancelled).
    pub fn register_missing_consents(
        &mut self,
        user: UserIdx,
        scopes_inquiry: bool,
        scopes_transfer: bool,
        now: DateTime<FixedOffset>,
    ) {
        for &a in &self.users[user].accounts.clone() {
            let acct = &mut self.accounts[a];
            if scopes_inquiry && acct.inquiry_agree.is_none() {
                acct.inquiry_agree = Some(now);
            }
            if scopes_transfer && acct.transfer_agree.is_none() {
                acct.transfer_agree = Some(now);
            }
        }
    }
}

/// Consent expiry: [project rule] agree time + 1 calendar year, KST.
pub fn consent_expired(agreed: DateTime<FixedOffset>, now: DateTime<FixedOffset>) -> bool {
    let expiry = agreed.checked_add_months(chrono::Months::new(12)).unwrap_or(agreed);
    now >= expiry
}

/// Deterministic past transactions that end at the account's balance.
fn seed_history(acct: &mut Account, texts: &mut Texts, count: u32, start: DateTime<FixedOffset>) {
    if count == 0 {
        return;
    }
    let mut entries = Vec::with_capacity(count as usize);
    let mut after = acct.balance;
    for i in 0..count {
        let amount = 10_000 * u64::from(i % 7 + 1);
        let inout = if i % 3 == 0 { Inout::In } else { Inout::Out };
        let at = start - Duration::hours(7 * i64::from(i) + 1);
        let print = format!("{} {:02}", if inout == Inout::In { "급여" } else { "카드대금" }, i % 100);
        let tran_type = if i % 5 == 0 { "현금" } else { "이체" };
        entries.push(TxEntry::new(at, inout, tran_type, texts.intern(&print), amount, after, None));
        after = match inout {
            Inout::In => after.saturating_sub(amount),
            Inout::Out => after + amount,
        };
    }
    for e in entries.into_iter().rev() {
        acct.history.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::embedded_clock_start;

    fn world() -> World {
        World::from_fixture(&Fixture::default(), embedded_clock_start())
    }

    #[test]
    fn withdraw_moves_money_to_the_institution_and_keeps_the_total() {
        let mut w = world();
        let total = w.total_money();
        let from = w.by_fintech("120260000001000000000001").unwrap();
        let before = w.accounts[from].balance;
        let (wd_print, dps_print) = (w.texts.intern("a"), w.texts.intern("b"));
        let op = MoneyOp::Withdraw { from, user: 0, amount: 1000, wd_print, dps_print };
        let done = w.execute(&op, embedded_clock_start()).unwrap();
        assert_eq!(w.accounts[from].balance, before - 1000);
        assert_eq!(done.wd_limit_remain, Some(10_000_000 - 1000));
        assert_eq!(w.total_money(), total);
    }

    #[test]
    fn limits_and_balance_refuse_without_moving_money() {
        let mut w = world();
        let from = w.by_fintech("120260000003000000000001").unwrap();
        let total = w.total_money();
        let print = w.texts.intern("");
        let op = |amount| MoneyOp::Withdraw { from, user: 2, amount, wd_print: print, dps_print: print };
        let err = w.execute(&op(20_000), embedded_clock_start()).unwrap_err();
        assert_eq!(err.bank, Some(BankRspCode::InsufficientBalance));
        let err = w.execute(&op(6_000_000), embedded_clock_start()).unwrap_err();
        assert_eq!(err.rsp, RspCode::PerTransferLimitExceeded);
        assert_eq!(w.total_money(), total);
    }

    #[test]
    fn the_daily_limit_resets_the_next_day() {
        let mut w = world();
        let from = w.by_fintech("120260000001000000000001").unwrap();
        let now = embedded_clock_start();
        let print = w.texts.intern("");
        let op = MoneyOp::Withdraw { from, user: 0, amount: 5_000_000, wd_print: print, dps_print: print };
        w.execute(&op, now).unwrap();
        w.execute(&op, now).unwrap();
        assert_eq!(w.execute(&op, now).unwrap_err().rsp, RspCode::DailyLimitExceeded);
        assert!(w.execute(&op, now + Duration::days(1)).is_ok());
    }

    #[test]
    fn consent_lasts_one_calendar_year() {
        let t = embedded_clock_start();
        assert!(!consent_expired(t, t + Duration::days(364)));
        assert!(consent_expired(t, t + Duration::days(365)));
    }

    #[test]
    fn history_entries_stay_small() {
        assert!(std::mem::size_of::<TxEntry>() <= 40, "{}", std::mem::size_of::<TxEntry>());
        let mut texts = Texts::default();
        let (a, b) = (texts.intern("급여"), texts.intern("bench"));
        assert_eq!((texts.intern("급여"), texts.get(a), texts.get(b)), (a, "급여", "bench"));
        let t = embedded_clock_start() + Duration::nanoseconds(123_456_789);
        let e = TxEntry::new(t, Inout::In, "현금", a, 1, 2, Some(7));
        assert_eq!((e.at(), e.tran_type(), e.counterparty()), (t, "현금", Some(7)));
        assert_eq!(TxEntry::new(t, Inout::Out, "이체", a, 1, 2, None).counterparty(), None);
    }

    #[test]
    fn seeded_history_ends_at_the_balance() {
        let w = world();
        let a = &w.accounts[w.by_fintech("120260000001000000000001").unwrap()];
        assert_eq!(a.history.len(), 60);
        assert_eq!(a.history.last().unwrap().after_balance, a.balance);
        let times: Vec<_> = a.history.iter().map(|e| e.at()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "oldest first");
    }
}
