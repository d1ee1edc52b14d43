//! The handling rules, judged from what the simulator's journal saw the client do.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use super::scenario::{Action, ClientOutcome, ClientScenario, Rule};
use crate::protocol::codes::{BankRspCode, Handling, RspCode, required_handling};
use crate::protocol::{ApiId, codes};
use crate::report::CheckFailure;

/// One journal entry as `GET /_sim/journal` serves it.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub peer: String,
    pub api: Option<String>,
    pub bank_tran_id: Option<String>,
    pub rsp_code: Option<String>,
    pub bank_rsp_code: Option<String>,
    pub dropped: bool,
    #[serde(default)]
    pub request: Value,
}

/// A request value as text: strings as they are, numbers (accepted by the simulator, see
/// [`STRING_TYPED_FIELDS`]) by their decimal text, anything else blank.
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl Entry {
    fn is(&self, api: &str) -> bool {
        self.api.as_deref() == Some(api)
    }

    fn field(&self, name: &str) -> String {
        text(self.request.get(name))
    }

    /// Milliseconds of virtual time (the journal's RFC 3339 instant).
    fn millis(&self) -> i64 {
        DateTime::parse_from_rfc3339(&self.at).map(|t| t.timestamp_millis()).unwrap_or(0)
    }

    /// A deposit's item, or the request itself.
    fn item(&self) -> &Value {
        self.request.get("req_list").and_then(|l| l.get(0)).unwrap_or(&self.request)
    }

    fn amount(&self) -> String {
        text(self.item().get("tran_amt"))
    }

    fn rsp(&self) -> Option<RspCode> {
        self.rsp_code.as_deref().and_then(RspCode::from_code)
    }

    /// What the briefing's handling table requires after this answer (`protocol::codes`).
    fn handling(&self) -> Option<Handling> {
        let api = ApiId::parse(self.api.as_deref()?)?;
        Some(required_handling(api, self.rsp()?, self.bank_rsp_code.as_deref().and_then(BankRspCode::from_code)))
    }

    /// No answer reached the client, or the answer says the outcome is not known yet.
    fn unknown_outcome(&self) -> bool {
        self.dropped || self.handling() == Some(Handling::InquireResult)
    }
}

/// The advisory rule `string-typed-fields`: KFTC's reference examples and every real answer
/// quote each value (`"tran_amt": "10000"`, `"req_cnt": "1"`); the simulator accepts JSON
/// numbers (the center's handling of them is not public), so this names each one a client sent,
/// as `api seq N: path = value`.
pub const STRING_TYPED_FIELDS: &str = "string-typed-fields";

/// Every JSON number in the requests of `journal`, as `transfer.deposit #3: req_list[0].tran_amt = 100`.
pub fn numbers_sent(journal: &[Entry]) -> Vec<String> {
    fn walk(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            // An account number sent as a number is named masked, as everywhere in reports.
            Value::Number(n) if crate::report::redact::is_account_key(at.rsplit(['.', ']']).next().unwrap_or(at)) => {
                out.push(format!("{at} = {}", crate::protocol::ids::mask_account_num(&n.to_string())))
            }
            Value::Number(n) => out.push(format!("{at} = {n}")),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| walk(x, &format!("{at}[{i}]"), out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                walk(x, &if at.is_empty() { k.clone() } else { format!("{at}.{k}") }, out);
            }),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for e in journal {
        let mut paths = Vec::new();
        walk(&e.request, "", &mut paths);
        let api = e.api.as_deref().unwrap_or("?");
        found.extend(paths.into_iter().map(|p| format!("{api} #{}: {p}", e.seq)));
    }
    found
}

/// What the judge knows besides the journal.
pub struct Facts<'a> {
    pub scenario: &'a ClientScenario,
    pub client_use_code: &'a str,
    pub paying_fintech: &'a str,
    pub whitelist: &'a [String],
    pub outcome: Option<ClientOutcome>,
    /// `settle_after_inquiries` of a pending-deposit fault, when armed.
    pub settle_after_inquiries: Option<u64>,
}

fn fail(rule: Rule, expected: impl Into<String>, actual: impl Into<String>) -> Vec<CheckFailure> {
    vec![CheckFailure { expectation: rule.name().into(), expected: expected.into(), actual: actual.into(), diff: None }]
}

fn transfer_api(action: Action) -> &'static str {
    match action {
        Action::Deposit => "transfer.deposit",
        _ => "transfer.withdraw",
    }
}

/// What every rule looks at: the scenario's transfers, result inquiries, and the first
/// transfer whose outcome the client could not know.
struct Seen<'a> {
    journal: &'a [Entry],
    api: &'static str,
    transfers: Vec<&'a Entry>,
    results: Vec<&'a Entry>,
    first_unknown: Option<&'a Entry>,
}

/// Judges one rule; an empty list means it holds.
pub fn judge(rule: Rule, journal: &[Entry], f: &Facts<'_>) -> Vec<CheckFailure> {
    let api = transfer_api(f.scenario.action);
    let transfers: Vec<&Entry> = journal.iter().filter(|e| e.is(api)).collect();
    let results: Vec<&Entry> = journal.iter().filter(|e| e.is("transfer.result")).collect();
    let first_unknown = transfers.iter().find(|e| e.unknown_outcome()).copied();
    let seen = Seen { journal, api, transfers, results, first_unknown };
    match rule {
        Rule::InquiresAfterUnknownOutcome => inquires_after_unknown_outcome(rule, &seen, f),
        Rule::NeverResends => never_resends(rule, &seen, f),
        Rule::RefusesOnA0017 => refuses_on_a0017(rule, &seen, f),
        Rule::PollsPendingDeposit => polls_pending_deposit(rule, &seen, f),
        Rule::FirstTransferStands => first_transfer_stands(rule, &seen, f),
        Rule::RenewsConsent => renews_consent(rule, &seen, f),
        Rule::AmlFields => aml_fields(rule, &seen, f),
        Rule::UniqueBankTranIds => unique_bank_tran_ids(rule, &seen, f),
        Rule::WhitelistedSource => whitelisted_source(rule, &seen, f),
        Rule::ReportsOutcome => reports_outcome(rule, &seen, f),
    }
}

fn inquires_after_unknown_outcome(rule: Rule, seen: &Seen<'_>, _f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { api, results, first_unknown, .. } = seen;
    let Some(t) = first_unknown else {
        return fail(
            rule,
            format!(
                "a transfer with an unknown outcome ({} or no answer)",
                codes::inquire_result_codes(ApiId::parse(api).unwrap_or(ApiId::TransferWithdraw)).join(", ")
            ),
            "none in the journal",
        );
    };
    let id = t.bank_tran_id.clone().unwrap_or_default();
    let date = t.at.get(..10).map(|d| d.replace('-', "")).unwrap_or_default();
    let asked = results.iter().any(|r| {
        r.seq > t.seq
            && r.request.get("req_list").and_then(Value::as_array).is_some_and(|items| {
                items.iter().any(|i| {
                    text(i.get("org_bank_tran_id")) == id
                        && text(i.get("org_bank_tran_date")) == date
                        && text(i.get("org_tran_amt")).trim_start_matches('0') == t.amount().trim_start_matches('0')
                })
            })
    });
    if asked {
        Vec::new()
    } else {
        let seen: Vec<String> = results.iter().map(|r| r.request.to_string()).collect();
        fail(
            rule,
            format!(
                "transfer/result for org_bank_tran_id {id}, org_bank_tran_date {date}, org_tran_amt {}",
                t.amount()
            ),
            if seen.is_empty() { "no transfer/result call".into() } else { format!("only {}", seen.join("; ")) },
        )
    }
}

fn never_resends(rule: Rule, seen: &Seen<'_>, _f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { transfers, first_unknown, .. } = seen;
    let Some(t) = first_unknown else { return Vec::new() };
    let again: Vec<&&Entry> = transfers.iter().filter(|e| e.seq > t.seq && e.amount() == t.amount()).collect();
    if again.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<&str> = again.iter().map(|e| e.bank_tran_id.as_deref().unwrap_or("?")).collect();
        fail(
            rule,
            "no second transfer after an unknown outcome (inquire instead)",
            format!("re-sent {} time(s): {}", again.len(), ids.join(", ")),
        )
    }
}

fn refuses_on_a0017(rule: Rule, seen: &Seen<'_>, _f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { transfers, results, .. } = seen;
    let Some(t) = transfers.iter().find(|e| e.rsp() == Some(RspCode::BankResponseTimeout)) else {
        return fail(rule, "a withdraw answered A0017", "none in the journal");
    };
    let retries = transfers.iter().filter(|e| e.seq > t.seq).count();
    let inquiries = results.iter().filter(|r| r.seq > t.seq).count();
    let mut out = Vec::new();
    if retries > 0 {
        out.extend(fail(
            rule,
            "no retry after A0017/311 (the transfer was refused)",
            format!("{retries} more withdraw(s)"),
        ));
    }
    if inquiries > 1 {
        out.extend(fail(rule, "no inquiry loop after a refusal", format!("{inquiries} transfer/result calls")));
    }
    out
}

fn polls_pending_deposit(rule: Rule, seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { transfers, results, .. } = seen;
    let Some(t) = transfers.iter().find(|e| e.rsp() == Some(RspCode::Processing)) else {
        return fail(rule, "a deposit answered A0001/400", "none in the journal");
    };
    let id = t.bank_tran_id.clone().unwrap_or_default();
    let polls: Vec<&&Entry> =
        results.iter().filter(|r| r.seq > t.seq && r.request.to_string().contains(&format!("\"{id}\""))).collect();
    let needed = f.settle_after_inquiries.unwrap_or(2);
    let mut out = Vec::new();
    if (polls.len() as u64) < needed {
        out.extend(fail(
            rule,
            format!("transfer/result polled until final ({needed} inquiries)"),
            format!("{} inquiries", polls.len()),
        ));
    } else if polls.len() as u64 > needed {
        out.extend(fail(
            rule,
            format!("polling stops once final (after inquiry {needed})"),
            format!("{} inquiries", polls.len()),
        ));
    }
    let gaps: Vec<i64> = polls.windows(2).map(|w| w[1].millis() - w[0].millis()).collect();
    if gaps.windows(2).any(|g| g[1] + 5 < g[0]) {
        out.extend(fail(rule, "backoff: gaps between inquiries never shrink", format!("gaps {gaps:?} ms")));
    }
    out
}

fn first_transfer_stands(rule: Rule, _seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    match f.outcome {
        Some(ClientOutcome::Failed) => {
            fail(rule, "the first transfer treated as standing (not failed) after A0326", "the client reported failed")
        }
        Some(_) => Vec::new(),
        None => fail(rule, "the client's reported outcome", "no outcome reported"),
    }
}

fn renews_consent(rule: Rule, seen: &Seen<'_>, _f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { journal, .. } = seen;
    let Some(expired) = journal.iter().find(|e| e.handling() == Some(Handling::ConsentExpired)) else {
        return fail(rule, "an A0316/A0319 answer", "none in the journal");
    };
    let renewal = journal.iter().find(|e| e.seq > expired.seq && e.is("oauth.authorize_account"));
    let Some(renewal) = renewal else {
        return fail(rule, "계좌등록확인 (oauth.authorize_account) after the consent expired", "never called");
    };
    let same_api = expired.api.clone().unwrap_or_default();
    let succeeded = journal.iter().any(|e| e.seq > renewal.seq && e.is(&same_api) && e.rsp() == Some(RspCode::Success));
    if succeeded {
        Vec::new()
    } else {
        fail(rule, format!("{same_api} succeeding after the renewal"), "no A0000 after it")
    }
}

fn aml_fields(_rule: Rule, seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { transfers, .. } = seen;
    let mut out = Vec::new();
    for e in transfers.iter() {
        let item = e.item();
        let get = |k: &str| text(item.get(k));
        let account = !get("req_client_bank_code").is_empty() && !get("req_client_account_num").is_empty();
        let fintech = get("req_client_fintech_use_num");
        // 요청고객 is an account or a fintech_use_num: exactly one of them.
        let has_fintech = !fintech.is_empty();
        let exactly_one = account ^ has_fintech;
        let who =
            if fintech.is_empty() { format!("account {}", get("req_client_account_num")) } else { fintech.to_string() };
        if get("req_client_name").is_empty() || get("req_client_num").is_empty() || !exactly_one {
            out.extend(fail(
                Rule::AmlFields,
                "req_client_name, req_client_num and one of account or fintech_use_num",
                format!("{} {item}", e.bank_tran_id.as_deref().unwrap_or("")),
            ));
        } else if !fintech.is_empty() && fintech != f.paying_fintech {
            out.extend(fail(Rule::AmlFields, format!("요청고객 = the paying customer {}", f.paying_fintech), who));
        }
        if e.is("transfer.withdraw")
            && ["recv_client_name", "recv_client_bank_code", "recv_client_account_num"]
                .iter()
                .any(|k| e.field(k).is_empty())
        {
            out.extend(fail(Rule::AmlFields, "recv_client_* (최종수취고객) on every withdraw", "missing"));
        }
    }
    out
}

fn unique_bank_tran_ids(rule: Rule, seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { journal, .. } = seen;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in journal.iter().filter(|e| e.bank_tran_id.is_some()) {
        let id = e.bank_tran_id.as_deref().unwrap_or("");
        let layout = crate::protocol::ids::ClientUseCode::parse(f.client_use_code)
            .ok()
            .is_some_and(|c| crate::protocol::BankTranId::parse_for(id, &c).is_ok());
        if !layout {
            out.extend(fail(rule, format!("{}U + 9 characters", f.client_use_code), id));
        }
        if !seen.insert(id.to_string()) {
            out.extend(fail(
                rule,
                "each bank_tran_id used once",
                format!("{id} sent again ({})", e.api.as_deref().unwrap_or("")),
            ));
        }
    }
    out
}

fn whitelisted_source(rule: Rule, seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    let Seen { journal, .. } = seen;
    let mut out = Vec::new();
    for e in journal
        .iter()
        .filter(|e| e.api.as_deref().is_some_and(|a| a.starts_with("transfer.") || a.starts_with("return.")))
    {
        let ip = e.peer.rsplit_once(':').map(|(ip, _)| ip.trim_matches(|c| c == '[' || c == ']')).unwrap_or("");
        if !f.whitelist.iter().any(|w| w == ip) || e.rsp() == Some(RspCode::AccessDenied) {
            out.extend(fail(rule, format!("a registered address ({})", f.whitelist.join(", ")), e.peer.clone()));
        }
    }
    out
}

fn reports_outcome(rule: Rule, _seen: &Seen<'_>, f: &Facts<'_>) -> Vec<CheckFailure> {
    let expected = f.scenario.expect_outcome;
    if f.outcome == expected {
        Vec::new()
    } else {
        fail(
            rule,
            format!("{expected:?}").to_lowercase(),
            f.outcome.map(|o| format!("{o:?}").to_lowercase()).unwrap_or_else(|| "no outcome".into()),
        )
    }
}
