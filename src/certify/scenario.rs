//! Client scenarios (`scenarios/client/*.yaml`): what the client is asked to do, the faults
//! armed before it runs, and the handling rules its journal is judged by.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::error::InputError;
use crate::scenario::input::load_yaml;
use crate::scenario::model::Step;
use crate::scenario::plan::{PlanStep, plan};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientScenario {
    pub id: String,
    pub title: String,
    /// The seed section the rules come from.
    pub spec: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the client is asked to do (`OBH_ACTION`).
    pub action: Action,
    /// `OBH_AMOUNT`.
    #[serde(default = "default_amount")]
    pub amount: String,
    /// Control steps before the client runs (faults, clock), in conformance step syntax.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// Longest the client may take, in milliseconds (it is stopped after that).
    #[serde(default = "default_wait")]
    pub wait_ms: u64,
    /// The rules the journal is judged by.
    pub rules: Vec<Rule>,
    /// The outcome the client must report, if any.
    pub expect_outcome: Option<ClientOutcome>,
}

fn default_amount() -> String {
    "1000".into()
}

/// An amount the client is asked to move: whole won, 1 to 999,999,999,999 (the center's
/// 12-digit `tran_amt`).
pub fn check_amount(amount: &str) -> Result<(), &'static str> {
    if amount.is_empty() || amount.len() > 12 || !amount.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be a whole number of won, 1 to 12 digits");
    }
    if amount.bytes().all(|b| b == b'0') {
        return Err("must be at least 1 won");
    }
    Ok(())
}

fn default_wait() -> u64 {
    15_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Withdraw,
    Deposit,
    Balance,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Withdraw => "withdraw",
            Action::Deposit => "deposit",
            Action::Balance => "balance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientOutcome {
    Succeeded,
    Failed,
    Unknown,
}

/// A handling rule of the KFTC briefing, judged from the request journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// After A0007/A0003/no answer, 이체결과조회 with the right org_bank_tran_id, date and amount.
    InquiresAfterUnknownOutcome,
    /// After an unknown outcome, no further transfer for the same intent (same or new id).
    NeverResends,
    /// After A0017/311 on withdraw: treated as refused, no retry of the same id, no inquiry loop.
    RefusesOnA0017,
    /// After A0001/400 on deposit: transfer/result polled with backoff until final, then stopped.
    PollsPendingDeposit,
    /// After A0326 the client does not treat its first transfer as failed.
    FirstTransferStands,
    /// After A0316/A0319 the client goes through 계좌등록확인 and then succeeds.
    RenewsConsent,
    /// 자금세탁방지: every transfer names the requesting customer as the seed's table says.
    AmlFields,
    /// Every bank_tran_id is laid out correctly and used once.
    UniqueBankTranIds,
    /// Transfers come from the registered address (never A0301).
    WhitelistedSource,
    /// The client reports the outcome the scenario expects.
    ReportsOutcome,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::InquiresAfterUnknownOutcome => "inquires-after-unknown-outcome",
            Rule::NeverResends => "never-resends",
            Rule::RefusesOnA0017 => "refuses-on-a0017",
            Rule::PollsPendingDeposit => "polls-pending-deposit",
            Rule::FirstTransferStands => "first-transfer-stands",
            Rule::RenewsConsent => "renews-consent",
            Rule::AmlFields => "aml-fields",
            Rule::UniqueBankTranIds => "unique-bank-tran-ids",
            Rule::WhitelistedSource => "whitelisted-source",
            Rule::ReportsOutcome => "reports-outcome",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadedClientScenario {
    pub path: PathBuf,
    pub scenario: ClientScenario,
    /// The set-up steps as the runner executes them.
    pub setup: Vec<PlanStep>,
}

/// Loads every client scenario under `paths`, reporting all problems at once.
pub fn load(paths: &[PathBuf]) -> Result<Vec<LoadedClientScenario>, crate::scenario::InputErrors> {
    let files = crate::scenario::load::discover(paths)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_file(&f) {
            Ok(s) => out.push(s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(crate::scenario::InputErrors(errors)) }
}

/// The step kinds a client scenario's set-up may use.
const SETUP_KINDS: [&str; 4] = ["fault", "advance_clock", "sleep_ms", "call"];

/// Loads one client scenario; every problem of the file is reported, each at its position.
pub fn load_file(path: &Path) -> Result<LoadedClientScenario, Vec<InputError>> {
    let (text, scenario): (String, ClientScenario) = load_yaml(path, "client scenario").map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if let Err(why) = crate::scenario::load::check_id(&scenario.id) {
        errors.push(InputError::new(path, format!("scenario id '{}' {why}", scenario.id)).find(&text, "id:", 1));
    }
    if let Err(why) = check_amount(&scenario.amount) {
        errors.push(InputError::new(path, format!("amount '{}' {why}", scenario.amount)).find(&text, "amount:", 1));
    }
    for (i, step) in scenario.setup.iter().enumerate() {
        if !matches!(step.kinds().as_slice(), [one] if SETUP_KINDS.contains(one)) {
            errors.push(
                InputError::new(path, format!("setup step {}: give one of {}", i + 1, SETUP_KINDS.join(", ")))
                    .find(&text, "setup:", 1),
            );
        }
    }
    // The setup steps are checked like a scenario's: fields, variables, bounded waits.
    let all = crate::scenario::Capability::ALL.into();
    let mut known = crate::scenario::load::BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    errors.extend(crate::scenario::load::check_steps(
        path,
        &text,
        "setup.",
        &scenario.setup,
        &all,
        &mut known,
        &Default::default(),
    ));
    if scenario.rules.is_empty() {
        errors.push(InputError::new(path, "rules: name at least one rule").find(&text, "rules:", 1));
    }
    if scenario.rules.contains(&Rule::ReportsOutcome) && scenario.expect_outcome.is_none() {
        errors.push(InputError::new(path, "rule reports-outcome needs expect_outcome").find(
            &text,
            "reports-outcome",
            1,
        ));
    }
    if scenario.wait_ms == 0 || scenario.wait_ms > 120_000 {
        errors.push(InputError::new(path, "wait_ms must be 1 to 120000").find(&text, "wait_ms", 1));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let setup = plan(&scenario.setup).map_err(|e| vec![InputError::new(path, e.to_string())])?;
    Ok(LoadedClientScenario { path: path.to_path_buf(), scenario, setup })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amount_that_is_not_whole_won_is_refused_at_its_position() {
        let dir = std::env::temp_dir().join(format!("obh-client-amount-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.yaml");
        for bad in ["\"-1\"", "\"0\"", "\"1.5\"", "\"\"", "\"1000000000000\"", "\" 5\""] {
            std::fs::write(
                &p,
                format!("id: C\ntitle: t\nspec: s\naction: withdraw\namount: {bad}\nrules: [never-resends]\n"),
            )
            .unwrap();
            let e = load_file(&p).unwrap_err().remove(0);
            assert_eq!(e.line, 5, "{bad}: {e}");
            assert!(e.message.contains("amount"), "{e}");
        }
        std::fs::write(&p, "id: C\ntitle: t\nspec: s\naction: withdraw\namount: \"1\"\nrules: [never-resends]\n")
            .unwrap();
        assert!(load_file(&p).is_ok());
    }

    #[test]
    fn an_unknown_rule_is_positioned() {
        let dir = std::env::temp_dir().join(format!("obh-client-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.yaml");
        std::fs::write(&p, "id: C\ntitle: t\nspec: s\naction: withdraw\nrules: [never-resend]\n").unwrap();
        let e = load_file(&p).unwrap_err().remove(0);
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.contains("never-resend"), "{e}");
    }
}
