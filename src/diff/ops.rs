//! The operations a differential case is made of, and the proptest strategies that draw them.
//!
//! Operations are abstract: they name an account, an amount or "the k-th most recent
//! transfer", never a concrete id. [`super::plan`] resolves them against a model of the
//! case (state-machine style), so any subsequence proptest keeps while shrinking is still a
//! valid case: an operation whose precondition no longer holds (a re-send with no earlier
//! transfer) is simply left out.

use proptest::prelude::*;

use crate::protocol::ApiId;
use crate::scenario::model::Capability;

/// Which account an operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Account {
    /// The default user's first account (`${fintech_use_num}`).
    Own,
    /// The default user's second account (`${fintech_use_num_2}`).
    OwnSecond,
    /// Another user's account (`${other_fintech_use_num}`): not the caller's.
    OtherUser,
    /// A well-formed fintech_use_num no one holds.
    Unknown,
    /// A fintech_use_num longer than its format allows.
    Malformed,
}

impl Account {
    /// The value sent, as a scenario template.
    pub fn template(self) -> &'static str {
        match self {
            Account::Own => "${fintech_use_num}",
            Account::OwnSecond => "${fintech_use_num_2}",
            Account::OtherUser => "${other_fintech_use_num}",
            Account::Unknown => "120269999999000000000001",
            Account::Malformed => "1202600000010000000000010000",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Account::Own => "own account",
            Account::OwnSecond => "own second account",
            Account::OtherUser => "another user's account",
            Account::Unknown => "an unknown account",
            Account::Malformed => "a malformed fintech_use_num",
        }
    }
}

/// An amount, from the valid space and from around and outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Won1000,
    Won1,
    Won123456,
    /// The per-transfer limit exactly (5,000,000).
    AtLimit,
    /// One won over the per-transfer limit.
    OverLimit,
    Zero,
    Negative,
    NotANumber,
    /// 13 digits: longer than N(12).
    TooLong,
}

impl Amount {
    pub fn text(self) -> &'static str {
        match self {
            Amount::Won1000 => "1000",
            Amount::Won1 => "1",
            Amount::Won123456 => "123456",
            Amount::AtLimit => "5000000",
            Amount::OverLimit => "5000001",
            Amount::Zero => "0",
            Amount::Negative => "-1000",
            Amount::NotANumber => "12a0",
            Amount::TooLong => "1000000000000",
        }
    }
}

/// Where a transfer request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The default client (127.0.0.1, on the whitelist).
    Registered,
    /// 127.0.0.9, a loopback address no whitelist holds.
    Elsewhere,
}

/// The non-whitelisted loopback address [`Source::Elsewhere`] sends from.
pub const ELSEWHERE: &str = "127.0.0.9";

/// A jump of the target's virtual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    Hour,
    Day,
    /// Past an access token's 90 days.
    TokenLife,
    /// Past a consent's year.
    ConsentLife,
}

impl Jump {
    pub fn seconds(self) -> u64 {
        match self {
            Jump::Hour => 3_600,
            Jump::Day => 86_400,
            Jump::TokenLife => 90 * 86_400 + 3_600,
            Jump::ConsentLife => 366 * 86_400,
        }
    }
}

/// A fault armed on the target (one firing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 출금이체 answered A0017 / 311: a refusal.
    WithdrawA0017,
    /// 출금이체 answered A0007, not processed.
    WithdrawA0007NotCommitted,
    /// 출금이체 answered A0007, processed all the same.
    WithdrawA0007Committed,
    /// 입금이체 answered A0001, settled after two 이체결과조회.
    DepositA0001Later,
    /// 출금이체 gets no answer (the connection closes), not processed.
    WithdrawDropped,
}

impl Fault {
    /// The rule as `POST /_sim/faults` takes it.
    pub fn rule(self) -> serde_json::Value {
        use crate::protocol::codes::{BankRspCode, RspCode};
        use serde_json::json;
        match self {
            Fault::WithdrawA0017 => json!({"api": ApiId::TransferWithdraw.as_str(), "action": "respond",
                "rsp_code": RspCode::BankResponseTimeout.code(), "bank_rsp_code": BankRspCode::ResponseTimeout.code(),
                "times": 1}),
            Fault::WithdrawA0007NotCommitted => json!({"api": ApiId::TransferWithdraw.as_str(), "action": "respond",
                "rsp_code": RspCode::Timeout.code(), "commit": "no", "times": 1}),
            Fault::WithdrawA0007Committed => json!({"api": ApiId::TransferWithdraw.as_str(), "action": "respond",
                "rsp_code": RspCode::Timeout.code(), "commit": "yes", "times": 1}),
            Fault::DepositA0001Later => json!({"api": ApiId::TransferDeposit.as_str(), "action": "respond",
                "rsp_code": RspCode::Processing.code(), "commit": "later", "times": 1}),
            Fault::WithdrawDropped => {
                json!({"api": ApiId::TransferWithdraw.as_str(), "action": "drop", "commit": "no", "times": 1})
            }
        }
    }
}

/// A bank_tran_id outside the valid space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadId {
    /// The right layout with another institution's 이용기관코드.
    OtherInstitution,
    /// No layout at all.
    NoLayout,
}

impl BadId {
    pub fn text(self) -> &'static str {
        match self {
            BadId::OtherInstitution => "M999999999U0000ABCD1",
            BadId::NoLayout => "OBHBADID",
        }
    }
}

/// Where a malformed JSON body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadJson {
    /// 출금이체 (user token), a truncated object.
    Withdraw,
    /// 계좌실명조회 (institution token), text that is not JSON at all.
    RealName,
}

/// One operation of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Balance(Account),
    TransactionList(Account),
    Withdraw {
        account: Account,
        amount: Amount,
        from: Source,
    },
    Deposit {
        account: Account,
        amount: Amount,
        from: Source,
    },
    /// 1,000 won out of (or into) the own account with a bank_tran_id outside the valid space.
    BadId {
        deposit: bool,
        id: BadId,
    },
    /// The `back`-th most recent transfer sent again, same bank_tran_id and body.
    Resend {
        back: u8,
    },
    /// Several 출금이체 with one bank_tran_id at once.
    Concurrent {
        account: Account,
        amount: Amount,
        copies: u8,
    },
    /// 이체결과조회 of the `back`-th most recent transfer (of today).
    ResultKnown {
        back: u8,
    },
    /// 이체결과조회 of a transfer never sent.
    ResultUnknown,
    /// 사용자인증 and a token for it, held for later operations.
    TokenIssue,
    /// 사용자정보조회 with the `back`-th most recent held token.
    TokenUse {
        back: u8,
    },
    /// 토큰갱신 with a held token's refresh token.
    TokenRefresh {
        back: u8,
    },
    /// 토큰폐기 of a held token.
    TokenRevoke {
        back: u8,
    },
    Advance(Jump),
    /// 계좌등록확인: renews the default user's consents.
    AuthorizeAccount,
    Arm(Fault),
    MalformedJson(BadJson),
}

/// What the target allows the generator to use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    pub transfers: bool,
    pub clock: bool,
    pub faults: bool,
    pub fixtures: bool,
    pub source_binding: bool,
}

impl Allowed {
    pub fn from_capabilities(caps: &std::collections::BTreeSet<Capability>, transfers: bool) -> Allowed {
        Allowed {
            transfers,
            clock: caps.contains(&Capability::ClockControl),
            faults: caps.contains(&Capability::FaultInjection),
            fixtures: caps.contains(&Capability::Fixtures),
            source_binding: caps.contains(&Capability::SourceAddressBinding),
        }
    }
}

fn account() -> impl Strategy<Value = Account> + Clone {
    prop_oneof![
        6 => Just(Account::Own),
        2 => Just(Account::OwnSecond),
        1 => Just(Account::OtherUser),
        1 => Just(Account::Unknown),
        1 => Just(Account::Malformed),
    ]
}

fn amount() -> impl Strategy<Value = Amount> + Clone {
    prop_oneof![
        8 => Just(Amount::Won1000),
        2 => Just(Amount::Won1),
        2 => Just(Amount::Won123456),
        2 => Just(Amount::AtLimit),
        2 => Just(Amount::OverLimit),
        1 => Just(Amount::Zero),
        1 => Just(Amount::Negative),
        1 => Just(Amount::NotANumber),
        1 => Just(Amount::TooLong),
    ]
}

fn source(binding: bool) -> BoxedStrategy<Source> {
    if binding {
        prop_oneof![4 => Just(Source::Registered), 1 => Just(Source::Elsewhere)].boxed()
    } else {
        Just(Source::Registered).boxed()
    }
}

fn back() -> impl Strategy<Value = u8> + Clone {
    prop_oneof![3 => Just(0u8), 1 => 0u8..4]
}

/// One operation, drawn from what the target allows.
pub fn op(allowed: Allowed) -> BoxedStrategy<Op> {
    let mut choices: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (3, account().prop_map(Op::Balance).boxed()),
        (2, account().prop_map(Op::TransactionList).boxed()),
        (1, Just(Op::ResultUnknown).boxed()),
        (1, prop_oneof![Just(BadJson::Withdraw), Just(BadJson::RealName)].prop_map(Op::MalformedJson).boxed()),
    ];
    if allowed.transfers {
        let binding = allowed.source_binding;
        choices.extend([
            (
                6,
                (account(), amount(), source(binding))
                    .prop_map(|(account, amount, from)| Op::Withdraw { account, amount, from })
                    .boxed(),
            ),
            (
                3,
                (account(), amount(), source(binding))
                    .prop_map(|(account, amount, from)| Op::Deposit { account, amount, from })
                    .boxed(),
            ),
            (3, back().prop_map(|back| Op::Resend { back }).boxed()),
            (
                1,
                (any::<bool>(), prop_oneof![Just(BadId::OtherInstitution), Just(BadId::NoLayout)])
                    .prop_map(|(deposit, id)| Op::BadId { deposit, id })
                    .boxed(),
            ),
            (
                2,
                (account(), amount(), 2u8..=4)
                    .prop_map(|(account, amount, copies)| Op::Concurrent { account, amount, copies })
                    .boxed(),
            ),
            (5, back().prop_map(|back| Op::ResultKnown { back }).boxed()),
        ]);
    }
    if allowed.fixtures {
        choices.extend([
            (2, Just(Op::TokenIssue).boxed()),
            (2, back().prop_map(|back| Op::TokenUse { back }).boxed()),
            (1, back().prop_map(|back| Op::TokenRefresh { back }).boxed()),
            (1, back().prop_map(|back| Op::TokenRevoke { back }).boxed()),
            (1, Just(Op::AuthorizeAccount).boxed()),
        ]);
    }
    if allowed.clock {
        let jump = prop_oneof![Just(Jump::Hour), Just(Jump::Day), Just(Jump::TokenLife), Just(Jump::ConsentLife)];
        choices.push((2, jump.prop_map(Op::Advance).boxed()));
    }
    if allowed.faults && allowed.transfers {
        let fault = prop_oneof![
            Just(Fault::WithdrawA0017),
            Just(Fault::WithdrawA0007NotCommitted),
            Just(Fault::WithdrawA0007Committed),
            Just(Fault::DepositA0001Later),
            Just(Fault::WithdrawDropped),
        ];
        choices.push((3, fault.prop_map(Op::Arm).boxed()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// A case: one to `max_steps` operations.
pub fn case(allowed: Allowed, max_steps: usize) -> BoxedStrategy<Vec<Op>> {
    proptest::collection::vec(op(allowed), 1..=max_steps.max(1)).boxed()
}
