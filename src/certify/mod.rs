//! Client certification: the simulator plays the center, faults are armed, the
//! institution's own client is triggered, and its request journal is judged against the
//! handling rules of the KFTC briefing (응답코드 처리 안내).

pub mod rules;
pub mod scenario;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::report::model::{RunKind, Severity};
use crate::report::{CheckFailure, Outcome, RunReport, ScenarioResult, StepResult};
use crate::scenario::plan::{FaultAction, StepKind};
use crate::target::Target;
use crate::target::session::Session;
use crate::target::step::StepCtx;
use scenario::{ClientOutcome, LoadedClientScenario};

/// How the client is set off.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// A shell command; the scenario's inputs arrive as `OBH_*` environment variables and the
    /// client prints `{"outcome": …}` as its last stdout line.
    Command(String),
    /// An HTTP endpoint of the client, POSTed the inputs as JSON; it answers `{"outcome": …}`.
    Url(String),
}

impl Trigger {
    /// The client as reports name it: `client \`./my-client --once\`` or `client at URL`.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Command(cmd) => format!("client `{cmd}`"),
            Trigger::Url(url) => format!("client at {url}"),
        }
    }
}

/// The inputs a client gets, as `OBH_*` variables (or JSON keys without the prefix, lower case).
pub fn inputs(session: &Session, s: &scenario::ClientScenario, base_url: &str) -> BTreeMap<String, String> {
    let d = &session.data;
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        m.insert(k.to_string(), v.to_string());
    };
    put("OBH_BASE_URL", base_url);
    put("OBH_CLIENT_ID", &d.client_id);
    put("OBH_CLIENT_SECRET", &d.client_secret);
    put("OBH_REDIRECT_URI", &d.redirect_uri);
    put("OBH_WD_PASS_PHRASE", &d.wd_pass_phrase);
    for (k, v) in [
        ("OBH_CLIENT_USE_CODE", "client_use_code"),
        ("OBH_USER_SEQ_NO", "user_seq_no"),
        ("OBH_USER_NAME", "user_name"),
        ("OBH_FINTECH_USE_NUM", "fintech_use_num"),
        ("OBH_CNTR_ACCOUNT_NUM", "cntr_account_num"),
        ("OBH_CNTR_BANK_CODE", "cntr_bank_code"),
        ("OBH_INSTITUTION_NAME", "institution_name"),
        ("OBH_RECV_FINTECH_USE_NUM", "other_fintech_use_num"),
    ] {
        put(k, d.get(v));
    }
    put("OBH_ACTION", s.action.as_str());
    put("OBH_AMOUNT", &s.amount);
    put("OBH_SCENARIO", &s.id);
    m
}

/// What the client said and how its run went.
struct ClientRun {
    outcome: Option<ClientOutcome>,
    transcript: String,
    problem: Option<String>,
}

fn parse_outcome(text: &str) -> Option<ClientOutcome> {
    text.lines().rev().find_map(|l| {
        let v: Value = serde_json::from_str(l.trim()).ok()?;
        serde_json::from_value(v.get("outcome")?.clone()).ok()
    })
}

async fn trigger(t: &Trigger, env: &BTreeMap<String, String>, wait: Duration) -> ClientRun {
    match t {
        Trigger::Command(cmd) => {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .envs(env)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn();
            let child = match child {
                Ok(c) => c,
                Err(e) => {
                    return ClientRun {
                        outcome: None,
                        transcript: String::new(),
                        problem: Some(format!("cannot start '{cmd}': {e}")),
                    };
                }
            };
            match tokio::time::timeout(wait, child.wait_with_output()).await {
                Err(_) => ClientRun {
                    outcome: None,
                    transcript: String::new(),
                    problem: Some(format!("the client did not finish within {} ms (stopped)", wait.as_millis())),
                },
                Ok(Err(e)) => ClientRun { outcome: None, transcript: String::new(), problem: Some(e.to_string()) },
                Ok(Ok(out)) => {
                    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                    let tail: String = stderr
                        .lines()
                        .rev()
                        .take(20)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n");
                    ClientRun {
                        outcome: parse_outcome(&stdout),
                        transcript: format!("exit {}\nstdout:\n{stdout}\nstderr (last lines):\n{tail}", out.status),
                        problem: (!out.status.success()).then(|| format!("the client exited with {}", out.status)),
                    }
                }
            }
        }
        Trigger::Url(url) => {
            let body: BTreeMap<String, String> =
                env.iter().map(|(k, v)| (k.trim_start_matches("OBH_").to_lowercase(), v.clone())).collect();
            let client = reqwest::Client::builder().timeout(wait).no_gzip().build().expect("a plain client builds");
            match client.post(url).json(&body).send().await {
                Err(e) => {
                    ClientRun { outcome: None, transcript: String::new(), problem: Some(format!("trigger {url}: {e}")) }
                }
                Ok(r) => {
                    let text = r.text().await.unwrap_or_default();
                    ClientRun { outcome: parse_outcome(&text), transcript: text, problem: None }
                }
            }
        }
    }
}

/// Runs every client scenario against the simulator at `target` (which this process started).
pub async fn run(
    scenarios: Vec<LoadedClientScenario>,
    target: Arc<Target>,
    how: &Trigger,
    strict_string_fields: bool,
    progress: Arc<dyn Fn(&ScenarioResult) + Send + Sync>,
) -> RunReport {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let clock = Instant::now();
    let mut results = Vec::new();
    let mut numbers = Vec::new();
    for s in &scenarios {
        let (r, found) = crate::target::record::scoped(&s.scenario.id, run_one(s, &target, how)).await;
        progress(&r);
        results.push(r);
        numbers.extend(found.into_iter().map(|f| (s.scenario.id.clone(), f)));
    }
    if !results.is_empty() {
        let r = string_typed_fields(&numbers, strict_string_fields);
        progress(&r);
        results.push(r);
    }
    let mut report = RunReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: RunKind::ClientCertification,
        subject: Some(how.describe()),
        target: target.info(),
        started_at,
        duration_ms: clock.elapsed().as_millis() as u64,
        scenarios: results,
        summary: Default::default(),
        unused_snapshots: Vec::new(),
        interrupted: None,
        written_snapshots: Vec::new(),
    };
    report.finish();
    report
}

/// The advisory over the whole run: the JSON numbers the client sent where KFTC's examples
/// have strings. A warning (the run still passes) unless `strict`.
fn string_typed_fields(numbers: &[(String, String)], strict: bool) -> ScenarioResult {
    let failures: Vec<CheckFailure> = numbers
        .iter()
        .map(|(scenario, found)| CheckFailure {
            expectation: rules::STRING_TYPED_FIELDS.into(),
            expected: "a JSON string, as in KFTC's reference examples (\"tran_amt\": \"10000\")".into(),
            actual: format!("{scenario}: {found}"),
            diff: None,
        })
        .collect();
    let outcome = if failures.is_empty() { Outcome::Passed } else { Outcome::Failed };
    let reason = (!failures.is_empty()).then(|| {
        format!(
            "{}: {} JSON number(s) where the reference has strings, first {}",
            rules::STRING_TYPED_FIELDS,
            failures.len(),
            failures[0].actual
        )
    });
    ScenarioResult {
        id: "OBH-CLI-STRING-TYPES".into(),
        title: "Every value is sent as a JSON string, as KFTC's examples show (advisory)".into(),
        spec: "KFTC API reference examples quote every value (\"10000\", \"1\"); the center's handling of JSON numbers is not public, so the simulator accepts them and this rule only advises (--strict-string-fields makes it a failure)".into(),
        tags: vec!["advisory".into(), "format".into()],
        severity: if strict { Severity::Failure } else { Severity::Warning },
        source: "built-in rule".into(),
        outcome,
        reason,
        expected_failure: false,
        duration_ms: 0,
        steps: vec![StepResult {
            index: 1,
            name: rules::STRING_TYPED_FIELDS.into(),
            action: format!("rule {}", rules::STRING_TYPED_FIELDS),
            outcome,
            duration_ms: 0,
            request: None,
            http_status: None,
            response: None,
            failures,
            api: None,
            checks: Vec::new(),
        }],
        expected_codes: Vec::new(),
    }
}

async fn run_one(s: &LoadedClientScenario, target: &Target, how: &Trigger) -> (ScenarioResult, Vec<String>) {
    let sc = &s.scenario;
    let started = Instant::now();
    let mut result = ScenarioResult {
        id: sc.id.clone(),
        title: sc.title.clone(),
        spec: sc.spec.clone(),
        tags: sc.tags.clone(),
        severity: Severity::Failure,
        source: s.path.display().to_string(),
        outcome: Outcome::Passed,
        reason: None,
        expected_failure: false,
        duration_ms: 0,
        steps: Vec::new(),
        expected_codes: Vec::new(),
    };
    let error = |mut r: ScenarioResult, why: String| {
        r.outcome = Outcome::Error;
        r.reason = Some(why);
        (r, Vec::new())
    };
    let mut session = match Session::open(target).await {
        Ok(sess) => sess,
        Err(e) => return error(result, e.to_string()),
    };
    let ctx = StepCtx::plain(target);
    for (i, step) in s.setup.iter().enumerate() {
        for r in crate::target::step::run(&ctx, &mut session, step, i + 1).await {
            if !r.failures.is_empty() {
                let why = format!("setup step {} ({}): {}", r.index, r.action, r.failures[0].actual);
                return error(result, why);
            }
        }
    }
    let admin = match session.admin() {
        Ok(a) => a.clone(),
        Err(e) => return error(result, e.to_string()),
    };
    let after = match admin.journal_head().await {
        Ok(seq) => seq,
        Err(e) => return error(result, e.to_string()),
    };
    let fixture = match admin.fixture().await {
        Ok(f) => f,
        Err(e) => return error(result, e.to_string()),
    };
    let mut env = inputs(&session, sc, &session.base_url);
    if let Some(ca) = &target.profile.tls_ca_file {
        env.insert("OBH_TLS_CA_FILE".into(), ca.display().to_string());
    }
    let run = trigger(how, &env, Duration::from_millis(sc.wait_ms)).await;
    let journal = match admin.journal_since(after).await.map_err(|e| e.to_string()).and_then(|entries| {
        entries
            .into_iter()
            .map(serde_json::from_value::<rules::Entry>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("GET /_sim/journal: unexpected entries ({e})"))
    }) {
        Ok(j) => j,
        Err(e) => return error(result, e),
    };
    let whitelist: Vec<String> = fixture["institution"]["whitelist"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let settle_after_inquiries = s
        .setup
        .iter()
        .filter_map(|st| match &st.kind {
            StepKind::Fault(FaultAction::Arm(rule)) => rule.get("settle_after_inquiries")?.as_u64(),
            _ => None,
        })
        .next();
    let facts = rules::Facts {
        scenario: sc,
        client_use_code: session.data.get("client_use_code"),
        paying_fintech: session.data.get("fintech_use_num"),
        whitelist: &whitelist,
        outcome: run.outcome,
        settle_after_inquiries,
    };
    let journal_view: Value = Value::Array(
        journal
            .iter()
            .map(|e| {
                // The original a result inquiry or return asks about, at the top or in its list.
                let org = e
                    .request
                    .get("org_bank_tran_id")
                    .or_else(|| e.request.get("req_list")?.get(0)?.get("org_bank_tran_id"))
                    .and_then(Value::as_str);
                serde_json::json!({
                    "seq": e.seq, "at": e.at, "api": e.api, "bank_tran_id": e.bank_tran_id,
                    "org_bank_tran_id": org, "rsp_code": e.rsp_code, "bank_rsp_code": e.bank_rsp_code,
                    "dropped": e.dropped, "peer": e.peer,
                })
            })
            .collect(),
    );
    result.steps.push(StepResult {
        index: 1,
        name: "the client runs".into(),
        action: format!("trigger {} {}", sc.action.as_str(), sc.amount),
        outcome: if run.problem.is_some() { Outcome::Failed } else { Outcome::Passed },
        duration_ms: started.elapsed().as_millis() as u64,
        request: Some(serde_json::to_value(&env).unwrap_or_default()),
        http_status: None,
        response: Some(
            serde_json::json!({ "outcome": run.outcome, "transcript": run.transcript, "journal": journal_view }),
        ),
        failures: run
            .problem
            .iter()
            .map(|p| CheckFailure {
                expectation: "client run".into(),
                expected: "the client finishes and reports an outcome".into(),
                actual: p.clone(),
                diff: None,
            })
            .collect(),
        api: None,
        checks: Vec::new(),
    });
    for (i, rule) in sc.rules.iter().enumerate() {
        let failures = rules::judge(*rule, &journal, &facts);
        result.steps.push(StepResult {
            index: i + 2,
            name: rule.name().into(),
            action: format!("rule {}", rule.name()),
            outcome: if failures.is_empty() { Outcome::Passed } else { Outcome::Failed },
            duration_ms: 0,
            request: None,
            http_status: None,
            response: None,
            failures,
            api: None,
            checks: Vec::new(),
        });
    }
    if let Some(bad) = result.steps.iter().find(|s| s.outcome != Outcome::Passed) {
        result.outcome = Outcome::Failed;
        result.reason =
            bad.failures.first().map(|f| format!("{}: expected {}, got {}", bad.name, f.expected, f.actual));
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    // The client was handed the institution's secrets: whatever it printed, they stay out.
    let mut scrubber = session.scrubber().await;
    for (k, v) in &env {
        if crate::report::redact::is_secret_key(k) {
            scrubber.secret(v);
        } else if crate::report::redact::is_account_key(k) {
            scrubber.account(v);
        }
    }
    scrubber.scenario(&mut result);
    (result, rules::numbers_sent(&journal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_typed_fields_warns_by_default_and_fails_when_strict() {
        let found = [("OBH-CLI-X".to_string(), "transfer.withdraw #3: tran_amt = 1000".to_string())];
        let advisory = string_typed_fields(&found, false);
        assert_eq!((advisory.outcome, advisory.severity), (Outcome::Failed, Severity::Warning));
        assert!(advisory.reason.unwrap().contains("tran_amt = 1000"));
        assert_eq!(string_typed_fields(&found, true).severity, Severity::Failure);
        let clean = string_typed_fields(&[], true);
        assert_eq!((clean.outcome, clean.steps[0].failures.len()), (Outcome::Passed, 0));
    }

    #[test]
    fn numbers_are_found_at_any_depth_of_a_request() {
        let entry: rules::Entry = serde_json::from_value(serde_json::json!({
            "seq": 7, "at": "2026-03-02T10:00:00+09:00", "peer": "127.0.0.1:1", "api": "transfer.deposit",
            "bank_tran_id": null, "rsp_code": "A0000", "bank_rsp_code": null, "dropped": false,
            "request": {"req_cnt": 1, "req_list": [{"tran_amt": 100, "print_content": "x"}]}
        }))
        .unwrap();
        assert_eq!(
            rules::numbers_sent(&[entry]),
            ["transfer.deposit #7: req_cnt = 1", "transfer.deposit #7: req_list[0].tran_amt = 100"]
        );
    }
}
