//! From abstract operations to scenario steps: a small model of the case (transfers sent,
//! tokens held, the virtual day, consent age) resolves references and drops operations whose
//! precondition does not hold. The steps are scenario-language YAML from the start, so what
//! runs in lockstep is, step for step, what a written scenario replays.

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Value};

use super::ops::{Account, BadJson, ELSEWHERE, Fault, Op, Source};
use crate::protocol::ApiId;
use crate::scenario::model::{Capability, Step};
use crate::scenario::plan::PlanStep;

/// Seconds from the embedded clock start (10:00 KST) to the next midnight.
const FIRST_DAY_LEFT: u64 = 14 * 3_600;
const YEAR: u64 = 365 * 86_400;

/// One planned step.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// The operation (index into the case) it comes from.
    pub op: usize,
    /// As written in a scenario, without `expect`.
    pub yaml: Mapping,
    /// The same, as the step runner executes it.
    pub step: PlanStep,
    /// The API called (the children's for `parallel`), if any.
    pub api: Option<ApiId>,
    /// Whether money may move (balances are compared after it).
    pub moves_money: bool,
    /// Consent ages (seconds) after the step: the default user's, another user's.
    pub consent_age: (u64, u64),
}

/// A case ready to run: variables rendered once at the start, then the steps.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub vars: Vec<(String, String)>,
    pub steps: Vec<PlannedStep>,
}

/// The plan could not be turned into steps (a bug, not an input problem).
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal error: planned step {index} is not a valid scenario step: {message}")]
pub struct PlanError {
    pub index: usize,
    pub message: String,
}

#[derive(Clone)]
struct Sent {
    var: String,
    api: ApiId,
    with: Mapping,
    from: Source,
    amount: &'static str,
    day: u64,
}

struct Token {
    tok: String,
    refresh: String,
}

#[derive(Default)]
struct Model {
    ids: usize,
    sent: Vec<Sent>,
    tokens: Vec<Token>,
    elapsed: u64,
    own_consent_since: u64,
    /// A dropped-connection fault was armed: concurrent copies are not generated after it,
    /// since a scenario cannot say "no answer or A0326" of one copy.
    drop_armed: bool,
    steps: Vec<(usize, Mapping, Option<ApiId>, bool)>,
    ages: Vec<(u64, u64)>,
}

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn map(pairs: &[(&str, Value)]) -> Mapping {
    pairs.iter().map(|(k, v)| (s(k), v.clone())).collect()
}

impl Model {
    fn day(&self) -> u64 {
        if self.elapsed < FIRST_DAY_LEFT { 0 } else { 1 + (self.elapsed - FIRST_DAY_LEFT) / 86_400 }
    }

    fn new_var(&mut self, vars: &mut Vec<(String, String)>, prefix: &str) -> String {
        self.ids += 1;
        let name = format!("{prefix}{}", self.ids);
        vars.push((name.clone(), "${new_bank_tran_id}".into()));
        name
    }

    fn push(&mut self, op: usize, step: Mapping, api: Option<ApiId>, money: bool) {
        self.steps.push((op, step, api, money));
        self.ages.push((self.elapsed - self.own_consent_since, self.elapsed));
    }

    fn back<T>(items: &[T], back: u8) -> Option<&T> {
        if items.is_empty() { None } else { items.get(items.len() - 1 - (back as usize % items.len())) }
    }
}

fn call(name: String, api: ApiId, with: Mapping) -> Mapping {
    let mut m = map(&[("name", s(&name)), ("call", s(api.as_str()))]);
    if !with.is_empty() {
        m.insert(s("with"), Value::Mapping(with));
    }
    m.insert(s("golden"), Value::Bool(false));
    m
}

fn from_ip(mut m: Mapping, from: Source) -> Mapping {
    if from == Source::Elsewhere {
        m.insert(s("from_ip"), s(ELSEWHERE));
    }
    m
}

fn transfer_with(api: ApiId, var: &str, account: Account, amount: &str) -> Mapping {
    let id = format!("${{{var}}}");
    match api {
        ApiId::TransferDeposit => {
            let item =
                map(&[("bank_tran_id", s(&id)), ("fintech_use_num", s(account.template())), ("tran_amt", s(amount))]);
            map(&[("req_list", Value::Sequence(vec![Value::Mapping(item)]))])
        }
        _ => map(&[("bank_tran_id", s(&id)), ("fintech_use_num", s(account.template())), ("tran_amt", s(amount))]),
    }
}

/// Resolves a case into steps.
pub fn plan(ops: &[Op]) -> Result<Plan, PlanError> {
    let mut m = Model::default();
    let mut vars = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let n = i + 1;
        match *op {
            Op::Balance(a) => {
                let with = map(&[("fintech_use_num", s(a.template()))]);
                m.push(i, call(format!("op {n}: balance of {}", a.label()), ApiId::AccountBalance, with), None, false);
            }
            Op::TransactionList(a) => {
                let with = map(&[("fintech_use_num", s(a.template()))]);
                let name = format!("op {n}: transaction list of {}", a.label());
                m.push(i, call(name, ApiId::AccountTransactionList, with), None, false);
            }
            Op::Withdraw { account, amount, from } | Op::Deposit { account, amount, from } => {
                let api =
                    if matches!(op, Op::Withdraw { .. }) { ApiId::TransferWithdraw } else { ApiId::TransferDeposit };
                let var = m.new_var(&mut vars, "id");
                let with = transfer_with(api, &var, account, amount.text());
                let what = if api == ApiId::TransferWithdraw { "withdraw" } else { "deposit" };
                let via = if from == Source::Elsewhere { format!(" from {ELSEWHERE}") } else { String::new() };
                let name = format!("op {n}: {what} {} won, {}{via}", amount.text(), account.label());
                m.push(i, from_ip(call(name, api, with.clone()), from), None, true);
                let day = m.day();
                m.sent.push(Sent { var, api, with, from, amount: amount.text(), day });
            }
            Op::BadId { deposit, id } => {
                let api = if deposit { ApiId::TransferDeposit } else { ApiId::TransferWithdraw };
                let mut with = transfer_with(api, "", Account::Own, "1000");
                let literal = s(id.text());
                match with.get_mut(s("req_list")) {
                    Some(Value::Sequence(items)) => {
                        if let Some(Value::Mapping(item)) = items.first_mut() {
                            item.insert(s("bank_tran_id"), literal);
                        }
                    }
                    _ => {
                        with.insert(s("bank_tran_id"), literal);
                    }
                }
                let what = if deposit { "deposit" } else { "withdraw" };
                let name = format!("op {n}: {what} 1000 won, own account, bank_tran_id {}", id.text());
                m.push(i, call(name, api, with), None, true);
            }
            Op::Concurrent { .. } if m.drop_armed => continue,
            Op::Concurrent { account, amount, copies } => {
                let var = m.new_var(&mut vars, "id");
                let with = transfer_with(ApiId::TransferWithdraw, &var, account, amount.text());
                let children: Vec<Value> = (1..=copies)
                    .map(|c| {
                        let name = format!(
                            "op {n}.{c}: withdraw {} won, {} (one bank_tran_id)",
                            amount.text(),
                            account.label()
                        );
                        Value::Mapping(call(name, ApiId::TransferWithdraw, with.clone()))
                    })
                    .collect();
                let name = format!("op {n}: {copies} concurrent withdraws with one bank_tran_id");
                let step = map(&[("name", s(&name)), ("parallel", Value::Sequence(children))]);
                m.push(i, step, Some(ApiId::TransferWithdraw), true);
                let day = m.day();
                m.sent.push(Sent {
                    var,
                    api: ApiId::TransferWithdraw,
                    with,
                    from: Source::Registered,
                    amount: amount.text(),
                    day,
                });
            }
            Op::Resend { back } => {
                let Some(orig) = Model::back(&m.sent, back).cloned() else { continue };
                let what = if orig.api == ApiId::TransferWithdraw { "withdraw" } else { "deposit" };
                let name = format!("op {n}: the {what} with ${{{}}} sent again", orig.var);
                m.push(i, from_ip(call(name, orig.api, orig.with.clone()), orig.from), None, true);
            }
            Op::ResultKnown { back } => {
                let today = m.day();
                let todays: Vec<Sent> = m.sent.iter().filter(|t| t.day == today).cloned().collect();
                let Some(orig) = Model::back(&todays, back) else { continue };
                let check_type = if orig.api == ApiId::TransferWithdraw { "1" } else { "2" };
                let item = map(&[
                    ("tran_no", s("1")),
                    ("org_bank_tran_id", s(&format!("${{{}}}", orig.var))),
                    ("org_bank_tran_date", s("${today}")),
                    ("org_tran_amt", s(orig.amount)),
                ]);
                let with = map(&[
                    ("check_type", s(check_type)),
                    ("req_cnt", s("1")),
                    ("req_list", Value::Sequence(vec![Value::Mapping(item)])),
                ]);
                let name = format!("op {n}: transfer result of ${{{}}}", orig.var);
                m.push(i, call(name, ApiId::TransferResult, with), None, true);
            }
            Op::ResultUnknown => {
                let var = m.new_var(&mut vars, "never");
                let item = map(&[
                    ("tran_no", s("1")),
                    ("org_bank_tran_id", s(&format!("${{{var}}}"))),
                    ("org_bank_tran_date", s("${today}")),
                    ("org_tran_amt", s("1000")),
                ]);
                let with = map(&[
                    ("check_type", s("1")),
                    ("req_cnt", s("1")),
                    ("req_list", Value::Sequence(vec![Value::Mapping(item)])),
                ]);
                let name = format!("op {n}: transfer result of a transfer never sent");
                m.push(i, call(name, ApiId::TransferResult, with), None, false);
            }
            Op::TokenIssue => {
                m.ids += 1;
                let k = m.ids;
                let (code, tok, refresh) = (format!("code{k}"), format!("token{k}"), format!("refresh{k}"));
                let mut authorize = call(format!("op {n}: authorize"), ApiId::OauthAuthorize, Mapping::new());
                authorize.insert(s("capture"), Value::Mapping(map(&[(code.as_str(), s("$.code"))])));
                m.push(i, authorize, None, false);
                let with = map(&[("code", s(&format!("${{{code}}}")))]);
                let mut token = call(format!("op {n}: token for the code"), ApiId::OauthToken, with);
                token.insert(
                    s("capture"),
                    Value::Mapping(map(&[
                        (tok.as_str(), s("$.access_token")),
                        (refresh.as_str(), s("$.refresh_token")),
                    ])),
                );
                m.push(i, token, None, false);
                m.tokens.push(Token { tok, refresh });
            }
            Op::TokenUse { back } => {
                let Some(t) = Model::back(&m.tokens, back) else { continue };
                let mut step = call(format!("op {n}: user info with ${{{}}}", t.tok), ApiId::UserMe, Mapping::new());
                step.insert(s("as"), s(&format!("${{{}}}", t.tok)));
                m.push(i, step, None, false);
            }
            Op::TokenRefresh { back } => {
                let Some(t) = Model::back(&m.tokens, back) else { continue };
                let with = map(&[("refresh_token", s(&format!("${{{}}}", t.refresh)))]);
                let step = call(format!("op {n}: refresh with ${{{}}}", t.refresh), ApiId::OauthTokenRefresh, with);
                m.push(i, step, None, false);
            }
            Op::TokenRevoke { back } => {
                let Some(t) = Model::back(&m.tokens, back) else { continue };
                let with = map(&[("access_token", s(&format!("${{{}}}", t.tok)))]);
                let step = call(format!("op {n}: revoke ${{{}}}", t.tok), ApiId::OauthRevoke, with);
                m.push(i, step, None, false);
            }
            Op::Advance(jump) => {
                m.elapsed += jump.seconds();
                let step = map(&[("advance_clock", Value::Number(jump.seconds().into()))]);
                // Deferred settlements (A0001 later) may complete as time passes.
                m.push(i, step, None, true);
            }
            Op::AuthorizeAccount => {
                m.own_consent_since = m.elapsed;
                let step = call(format!("op {n}: 계좌등록확인"), ApiId::OauthAuthorizeAccount, Mapping::new());
                m.push(i, step, None, false);
            }
            Op::Arm(fault) => {
                m.drop_armed |= fault == Fault::WithdrawDropped;
                let rule = serde_yaml::to_value(fault.rule()).unwrap_or(Value::Null);
                let step = map(&[("fault", Value::Mapping(map(&[("arm", rule)])))]);
                m.push(i, step, None, false);
            }
            Op::MalformedJson(target) => {
                let (path, body, cred) = match target {
                    BadJson::Withdraw => ("/v2.0/transfer/withdraw/fin_num", "{\"bank_tran_id\": \"M2026", "user"),
                    BadJson::RealName => ("/v2.0/inquiry/real_name", "bank_tran_id=1&tran_amt=1000", "institution"),
                };
                let request = map(&[("method", s("POST")), ("path", s(path)), ("body", s(body))]);
                let step = map(&[
                    ("name", s(&format!("op {n}: malformed JSON to {path}"))),
                    ("request", Value::Mapping(request)),
                    ("as", s(cred)),
                ]);
                m.push(i, step, None, true);
            }
        }
    }
    let mut steps = Vec::with_capacity(m.steps.len());
    for (index, ((op, yaml, api, moves_money), age)) in m.steps.into_iter().zip(m.ages).enumerate() {
        let bad = |message: String| PlanError { index: index + 1, message };
        let written: Step = serde_yaml::from_value(Value::Mapping(yaml.clone())).map_err(|e| bad(e.to_string()))?;
        let step = PlanStep::from_step(&written).map_err(|e| bad(e.to_string()))?;
        let api = api.or(step.api());
        steps.push(PlannedStep { op, yaml, step, api, moves_money, consent_age: age });
    }
    Ok(Plan { vars, steps })
}

/// The capabilities a list of written steps needs (`requires:`).
pub fn requires(steps: &[Mapping]) -> BTreeSet<Capability> {
    fn walk(m: &Mapping, out: &mut BTreeSet<Capability>) {
        let has = |k: &str| m.contains_key(s(k));
        if has("advance_clock") {
            out.insert(Capability::ClockControl);
        }
        if has("fault") {
            out.insert(Capability::FaultInjection);
        }
        if has("inspect") {
            out.insert(Capability::LedgerInspection);
        }
        if has("from_ip") {
            out.insert(Capability::SourceAddressBinding);
        }
        let call = m.get(s("call")).and_then(Value::as_str).unwrap_or("");
        let as_other = m.get(s("as")).and_then(Value::as_str).is_some_and(|a| a.starts_with("user:"));
        if call.starts_with("oauth.authorize") || as_other {
            out.insert(Capability::Fixtures);
        }
        if let Some(Value::Sequence(children)) = m.get(s("parallel")) {
            for c in children.iter().filter_map(Value::as_mapping) {
                walk(c, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    for m in steps {
        walk(m, &mut out);
    }
    out
}

/// The credential and consent-renewal steps a balance check of `account` needs, given the
/// consent ages at that point.
pub fn balance_check(account: Account, consent_age: (u64, u64), var: &str, delta: i128) -> Vec<Mapping> {
    let mut out = Vec::new();
    let other = account == Account::OtherUser;
    let age = if other { consent_age.1 } else { consent_age.0 };
    if age >= YEAR {
        let mut renew = call("renew consent (계좌등록확인)".into(), ApiId::OauthAuthorizeAccount, Mapping::new());
        if other {
            renew.insert(s("with"), Value::Mapping(map(&[("sim_user_seq_no", s("${other_user_seq_no}"))])));
        }
        renew.insert(
            s("expect"),
            Value::Mapping(map(&[("rsp_code", s("A0000")), ("status", Value::Number(302.into()))])),
        );
        out.push(renew);
    }
    let expected = match delta {
        0 => format!("${{{var}}}"),
        d if d < 0 => format!("${{{var}}} - {}", -d),
        d => format!("${{{var}}} + {d}"),
    };
    let with = map(&[("fintech_use_num", s(account.template()))]);
    let mut check = call(format!("the balance of {}", account.label()), ApiId::AccountBalance, with);
    if other {
        check.insert(s("as"), s("user:${other_user_seq_no}"));
    }
    let json = map(&[("path", s("$.balance_amt")), ("eq_num", s(&expected))]);
    check.insert(
        s("expect"),
        Value::Mapping(map(&[("rsp_code", s("A0000")), ("json", Value::Sequence(vec![Value::Mapping(json)]))])),
    );
    out.push(check);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::ops::{Amount, Jump};

    fn withdraw() -> Op {
        Op::Withdraw { account: Account::Own, amount: Amount::Won1000, from: Source::Registered }
    }

    #[test]
    fn operations_without_their_precondition_are_left_out() {
        let plan = plan(&[
            Op::Resend { back: 0 },
            Op::ResultKnown { back: 0 },
            Op::TokenUse { back: 1 },
            Op::Balance(Account::Own),
        ])
        .unwrap();
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].op, 3);
        assert_eq!(plan.steps[0].api, Some(ApiId::AccountBalance));
    }

    #[test]
    fn a_resend_repeats_the_original_id_and_body() {
        let plan = plan(&[withdraw(), Op::Balance(Account::Own), Op::Resend { back: 5 }]).unwrap();
        assert_eq!(plan.vars, [("id1".to_string(), "${new_bank_tran_id}".to_string())]);
        assert_eq!(plan.steps[0].yaml.get(s("with")), plan.steps[2].yaml.get(s("with")));
        assert!(plan.steps[2].moves_money);
    }

    #[test]
    fn results_are_asked_for_today_s_transfers_only() {
        let same_day = plan(&[withdraw(), Op::Advance(Jump::Hour), Op::ResultKnown { back: 0 }]).unwrap();
        assert_eq!(same_day.steps.len(), 3);
        assert_eq!(same_day.steps[2].api, Some(ApiId::TransferResult));
        let next_day = plan(&[withdraw(), Op::Advance(Jump::Day), Op::ResultKnown { back: 0 }]).unwrap();
        assert_eq!(next_day.steps.len(), 2, "yesterday's transfer has no ${{today}}");
    }

    #[test]
    fn consent_age_restarts_at_authorize_account_and_checks_renew_it_when_due() {
        let p = plan(&[Op::Advance(Jump::ConsentLife), Op::AuthorizeAccount, Op::Balance(Account::Own)]).unwrap();
        assert_eq!(p.steps[0].consent_age, (366 * 86_400, 366 * 86_400));
        assert_eq!(p.steps[2].consent_age, (0, 366 * 86_400));
        assert_eq!(balance_check(Account::Own, p.steps[2].consent_age, "b", -1000).len(), 1);
        let other = balance_check(Account::OtherUser, p.steps[2].consent_age, "b", 0);
        assert_eq!(other.len(), 2, "another user's consent is renewed first");
        assert_eq!(other[1].get(s("as")), Some(&s("user:${other_user_seq_no}")));
    }

    #[test]
    fn no_concurrent_copies_after_a_dropped_connection_is_armed() {
        let concurrent = Op::Concurrent { account: Account::Own, amount: Amount::Won1000, copies: 2 };
        let p = plan(&[concurrent.clone(), Op::Arm(Fault::WithdrawDropped), withdraw(), concurrent]).unwrap();
        let ops: Vec<usize> = p.steps.iter().map(|s| s.op).collect();
        assert_eq!(ops, [0, 1, 2]);
    }

    #[test]
    fn ids_outside_the_valid_space_are_sent_literally_and_never_re_sent() {
        use crate::diff::ops::BadId;
        let p = plan(&[
            Op::BadId { deposit: false, id: BadId::NoLayout },
            Op::BadId { deposit: true, id: BadId::OtherInstitution },
            Op::Resend { back: 0 },
        ])
        .unwrap();
        assert_eq!(p.steps.len(), 2);
        assert!(p.vars.is_empty());
        let text = serde_yaml::to_string(&p.steps[1].yaml).unwrap();
        assert!(text.contains("bank_tran_id: M999999999U0000ABCD1"), "{text}");
        assert!(!text.contains("${id"), "{text}");
    }

    #[test]
    fn written_steps_require_the_capabilities_they_use() {
        let p = plan(&[
            Op::Arm(Fault::WithdrawA0017),
            Op::Withdraw { account: Account::Own, amount: Amount::Won1, from: Source::Elsewhere },
            Op::Advance(Jump::TokenLife),
            Op::TokenIssue,
        ])
        .unwrap();
        let steps: Vec<Mapping> = p.steps.iter().map(|s| s.yaml.clone()).collect();
        let caps: Vec<&str> = requires(&steps).iter().map(|c| c.name()).collect();
        assert_eq!(caps, ["clock_control", "fault_injection", "fixtures", "source_address_binding"]);
    }
}
