//! From files to a checked plan: YAML as typed → scenarios with includes expanded, every
//! API id, field name, variable, JSONPath and template resolved before the first request.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::error::{InputError, InputErrors};
use super::input::{parse_yaml, read_text};
use super::model::{Capability, Fragment, JsonCheck, Scenario, Step, WithValue};
use super::plan::{Credential, PlanError, PlanStep, plan};
use super::template::Template;
use crate::protocol::suggest;

/// Variables the runner provides to every scenario (see `docs/scenarios.md`).
/// The target's data a scenario can name (from the simulator's fixture, or a URL target
/// profile's `data:`), followed by the values made per call.
pub const BUILTIN_VARS: &[&str] = &[
    "client_use_code",
    "institution_name",
    "cntr_account_num",
    "cntr_bank_code",
    "user_seq_no",
    "user_name",
    "fintech_use_num",
    "fintech_use_num_2",
    "account_num",
    "bank_code_std",
    "other_user_seq_no",
    "other_fintech_use_num",
    "today",
    "tran_dtime",
    "new_bank_tran_id",
];

/// The built-ins made per call rather than read from the target's data.
const PER_CALL_VARS: &[&str] = &["today", "tran_dtime", "new_bank_tran_id"];

/// The target data the scenario names (`${other_fintech_use_num}`…): a target without one
/// of them cannot run it.
fn target_data_used(scenario: &Scenario) -> BTreeSet<String> {
    let text = serde_json::to_string(&(&scenario.vars, &scenario.steps)).unwrap_or_default();
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("${") {
        let name: String = text[at + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if BUILTIN_VARS.contains(&name.as_str()) && !PER_CALL_VARS.contains(&name.as_str()) {
            out.insert(name);
        }
    }
    out
}

/// Longest `sleep_ms` or retry `delay_ms`.
pub const MAX_WAIT_MS: u64 = 60_000;
/// Most attempts of a retried call.
pub const MAX_RETRIES: u32 = 100;

/// The most bytes a built-in variable holds (ids, dates, names).
const BUILTIN_VAR_SIZE: usize = 64;

/// The most bytes a scenario variable may expand to.
pub const MAX_VAR_BYTES: usize = 64 * 1024;

/// Longest scenario id.
pub const MAX_ID_LEN: usize = 64;

/// Checks a scenario id: it names a directory of golden snapshots, so it is a safe file
/// name (letters, digits, `-`, `_`, `.`; starting with a letter or digit; no `..`).
pub fn check_id(id: &str) -> Result<(), &'static str> {
    let first_ok = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) || id.contains("..") {
        return Err("must be letters, digits, '-', '_' or '.', start with a letter or digit, and hold no '..'");
    }
    if id.len() > MAX_ID_LEN {
        return Err("is longer than 64 characters");
    }
    Ok(())
}

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
    /// The scenario's and its fragments' requirements.
    pub requires: BTreeSet<Capability>,
    /// The steps, includes expanded, as the runner executes them.
    pub plan: Vec<PlanStep>,
    /// The target data it names: a target lacking one skips it, naming the key.
    pub data_used: BTreeSet<String>,
}

/// Finds scenario files under `paths` (files, or directories searched recursively for
/// `*.yaml`/`*.yml`, skipping `fragments/` directories), in a stable order.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputErrors> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files);
        } else if p.is_file() {
            files.push(p.clone());
        } else if p.exists() {
            errors.push(InputError::new(p, "cannot read: not a regular file (only regular files are read)"));
        } else {
            errors.push(InputError::new(p, "no such file or directory"));
        }
    }
    files.sort();
    files.dedup();
    if errors.is_empty() { Ok(files) } else { Err(InputErrors(errors)) }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "fragments") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// Loads and checks every scenario; reports all problems at once.
pub fn load(paths: &[PathBuf]) -> Result<Vec<LoadedScenario>, InputErrors> {
    let files = discover(paths)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        match load_file(&file) {
            Ok(s) => {
                if let Some(first) = ids.insert(s.scenario.id.clone(), file.clone()) {
                    let text = read_text(&file).unwrap_or_default();
                    errors.push(
                        InputError::new(
                            &file,
                            format!("scenario id '{}' is also used by {}", s.scenario.id, first.display()),
                        )
                        .find(&text, &s.scenario.id, 1),
                    );
                }
                out.push(s);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(InputErrors(errors)) }
}

/// Loads one scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, Vec<InputError>> {
    let text = super::input::read_text(path).map_err(|e| vec![e])?;
    load_text(path, &text)
}

/// Loads scenario text; `path` names it and anchors includes.
pub fn load_text(path: &Path, text: &str) -> Result<LoadedScenario, Vec<InputError>> {
    let mut scenario: Scenario = parse_yaml(path, text, "scenario").map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if let Err(why) = check_id(&scenario.id) {
        errors.push(InputError::new(path, format!("scenario id '{}' {why}", scenario.id)).find(text, "id:", 1));
    }
    if scenario.steps.is_empty() {
        errors.push(InputError::new(path, "steps: a scenario needs at least one step").find(text, "steps:", 1));
    }
    let mut requires: BTreeSet<Capability> = scenario.requires.iter().copied().collect();
    let mut stack = vec![path.to_path_buf()];
    scenario.steps = expand(path, text, std::mem::take(&mut scenario.steps), &mut requires, &mut stack, &mut errors);
    let declared: BTreeSet<Capability> = requires.clone();
    let mut known: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    // Variables may refer to earlier ones: bound what they can expand to before any run.
    let mut sizes: HashMap<String, usize> = HashMap::new();
    for (name, t) in &scenario.vars {
        check_template(path, text, t, &known, &mut errors);
        let size = t.max_len(&|v| sizes.get(v).copied().unwrap_or(BUILTIN_VAR_SIZE));
        if size > MAX_VAR_BYTES {
            errors.push(
                InputError::new(
                    path,
                    format!("vars.{name} expands to {size} bytes, more than the {MAX_VAR_BYTES} a variable may hold"),
                )
                .find(text, &format!("{name}:"), 1),
            );
        }
        sizes.insert(name.clone(), size);
        known.insert(name.clone());
    }
    errors.extend(check_steps(path, text, "", &scenario.steps, &declared, &mut known, &sizes));
    if !errors.is_empty() {
        return Err(errors);
    }
    // The checker passed every step, so each is exactly one plan step.
    let plan = plan(&scenario.steps).map_err(|e| vec![InputError::new(path, e.to_string())])?;
    let data_used = target_data_used(&scenario);
    Ok(LoadedScenario { path: path.to_path_buf(), scenario, requires, plan, data_used })
}

/// Replaces `include` steps with the fragment's steps (recursively, without cycles).
fn expand(
    file: &Path,
    text: &str,
    steps: Vec<Step>,
    requires: &mut BTreeSet<Capability>,
    stack: &mut Vec<PathBuf>,
    errors: &mut Vec<InputError>,
) -> Vec<Step> {
    let mut out = Vec::new();
    for step in steps {
        let Some(inc) = step.include.clone() else {
            out.push(step);
            continue;
        };
        let target = file.parent().unwrap_or(Path::new(".")).join(&inc);
        if stack.iter().any(|p| p == &target) || stack.len() > 8 {
            errors.push(InputError::new(file, format!("include '{inc}' forms a cycle")).find(text, &inc, 1));
            continue;
        }
        let ftext = match read_text(&target) {
            Ok(t) => t,
            Err(e) => {
                errors.push(
                    InputError::new(file, format!("cannot include '{}': {}", target.display(), e.message))
                        .find(text, &inc, 1),
                );
                continue;
            }
        };
        match parse_yaml::<Fragment>(&target, &ftext, "fragment") {
            Ok(fragment) => {
                requires.extend(fragment.requires.iter().copied());
                stack.push(target.clone());
                out.extend(expand(&target, &ftext, fragment.steps, requires, stack, errors));
                stack.pop();
            }
            Err(e) => errors.push(e),
        }
    }
    out
}

fn check_template(path: &Path, text: &str, t: &Template, known: &BTreeSet<String>, errors: &mut Vec<InputError>) {
    for v in t.vars() {
        if !known.contains(v) {
            let hint = suggest(v, known.iter().map(String::as_str))
                .map(|s| format!(" — did you mean '${{{s}}}'?"))
                .unwrap_or_default();
            errors.push(
                InputError::new(
                    path,
                    format!(
                        "unknown variable '${{{v}}}'{hint} (variables: vars, captures of earlier steps, built-ins)"
                    ),
                )
                .find(text, &format!("${{{v}}}"), 1),
            );
        }
    }
}

fn check_structure(
    path: &Path,
    text: &str,
    v: &serde_json::Value,
    known: &BTreeSet<String>,
    errors: &mut Vec<InputError>,
) {
    match v {
        serde_json::Value::String(s) => match Template::parse(s) {
            Ok(t) => check_template(path, text, &t, known, errors),
            Err(e) => errors.push(InputError::new(path, e.to_string()).find(text, s, 1)),
        },
        serde_json::Value::Array(items) => items.iter().for_each(|i| check_structure(path, text, i, known, errors)),
        serde_json::Value::Object(m) => m.values().for_each(|i| check_structure(path, text, i, known, errors)),
        _ => {}
    }
}

/// Checks steps in order (numbered `{prefix}1`, `{prefix}2`, …): kinds, API fields,
/// credentials, templates against `known` (which gains each step's captures), capabilities.
/// `var_sizes` bounds what each scenario variable can expand to (see [`MAX_VAR_BYTES`]).
pub fn check_steps(
    path: &Path,
    text: &str,
    prefix: &str,
    steps: &[Step],
    declared: &BTreeSet<Capability>,
    known: &mut BTreeSet<String>,
    var_sizes: &HashMap<String, usize>,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    let mut parallels = Vec::new();
    parallel_numbers(steps, prefix, &mut parallels);
    let ctx = Ctx { path, text, declared, parallels: &parallels, var_sizes };
    for (i, step) in steps.iter().enumerate() {
        check_step(&ctx, &format!("{prefix}{}", i + 1), step, known, false, &mut errors);
    }
    errors
}

/// What every step of one file is checked against.
struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    declared: &'a BTreeSet<Capability>,
    /// The numbers of the file's `parallel` steps, in the order they are written.
    parallels: &'a [String],
    /// The most bytes each scenario variable expands to.
    var_sizes: &'a HashMap<String, usize>,
}

impl Ctx<'_> {
    /// The most bytes variable `name` can hold: a scenario variable's bound, a built-in's,
    /// or (a capture) the bound every captured value is held to.
    fn var_size(&self, name: &str) -> usize {
        match self.var_sizes.get(name) {
            Some(n) => *n,
            None if BUILTIN_VARS.contains(&name) => BUILTIN_VAR_SIZE,
            None => MAX_VAR_BYTES,
        }
    }
}

/// The most bytes one step's templates may expand to in all.
pub const MAX_STEP_BYTES: usize = 1024 * 1024;

/// Every string of a JSON structure, for bounding what it expands to.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        serde_json::Value::Object(m) => m.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// The numbers of the `parallel` steps, in the order they are written.
fn parallel_numbers(steps: &[Step], prefix: &str, out: &mut Vec<String>) {
    for (j, step) in steps.iter().enumerate() {
        let number = format!("{prefix}{}", j + 1);
        if let Some(children) = &step.parallel {
            out.push(number.clone());
            parallel_numbers(children, &format!("{number}."), out);
        }
    }
}

fn check_step(
    ctx: &Ctx<'_>,
    number: &str,
    step: &Step,
    known: &mut BTreeSet<String>,
    in_parallel: bool,
    errors: &mut Vec<InputError>,
) {
    let (path, text, declared) = (ctx.path, ctx.text, ctx.declared);
    let label = match &step.name {
        Some(n) => format!("step {number} \"{n}\""),
        None => format!("step {number}"),
    };
    let locate = |e: InputError| match (&step.name, step.call) {
        (Some(n), _) => e.find(text, n, 1),
        (None, Some(api)) => e.find(text, api.as_str(), 1),
        // A parallel step is the nth `parallel:` of the file (n counted in step order).
        _ if step.parallel.is_some() => {
            let nth = ctx.parallels.iter().position(|n| n == number).unwrap_or(0);
            match text.match_indices("parallel:").nth(nth) {
                Some((at, _)) => {
                    let line = text[..at].matches('\n').count() + 1;
                    e.find(text, "parallel:", line)
                }
                None => e,
            }
        }
        _ => e,
    };
    let kinds = step.kinds();
    let kind = match kinds.as_slice() {
        [one] => *one,
        [] => return errors.push(locate(InputError::new(path, format!("{label} {}", PlanError::NoKind)))),
        several => {
            let e = PlanError::SeveralKinds(several.to_vec());
            return errors.push(locate(InputError::new(path, format!("{label} {e}"))));
        }
    };
    let is_call = step.is_call();
    if !is_call
        && (step.as_.is_some()
            || !step.with.is_empty()
            || !step.headers.is_empty()
            || !step.capture.is_empty()
            || step.expect.is_some()
            || step.retry.is_some()
            || step.from_ip.is_some())
    {
        errors.push(locate(InputError::new(
            path,
            format!("{label}: as/with/capture/expect/retry/from_ip belong to call and request steps"),
        )));
    }
    if in_parallel && !is_call {
        errors.push(locate(InputError::new(path, format!("{label}: only call and request steps can run in parallel"))));
    }
    let needs = match kind {
        "advance_clock" => Some(Capability::ClockControl),
        "fault" => Some(Capability::FaultInjection),
        "inspect" => Some(Capability::LedgerInspection),
        _ if step.from_ip.is_some() => Some(Capability::SourceAddressBinding),
        _ => None,
    };
    if let Some(cap) = needs
        && !declared.contains(&cap)
    {
        errors.push(locate(InputError::new(
            path,
            format!("{label} needs the target capability '{}': add it to `requires`", cap.name()),
        )));
    }

    if let Some(api) = step.call {
        let fields: Vec<&str> = api.api().request.iter().map(|f| f.name).collect();
        for key in step.with.keys() {
            if !fields.contains(&key.as_str()) {
                let hint =
                    suggest(key, fields.iter().copied()).map(|s| format!(" — did you mean '{s}'?")).unwrap_or_default();
                errors.push(InputError::new(path, format!("'{key}' is not a request field of {api}{hint}")).find(
                    text,
                    &format!("{key}:"),
                    1,
                ));
            }
        }
    }
    if let Some(t) = &step.as_ {
        check_template(path, text, t, known, errors);
        if let Err(e) = Credential::parse(t) {
            errors.push(InputError::new(path, e.to_string()).find(text, &format!("as: {}", t.source()), 1));
        }
    }
    for v in step.with.values() {
        match v {
            WithValue::Text(t) => check_template(path, text, t, known, errors),
            WithValue::Structure(s) => check_structure(path, text, s, known, errors),
            WithValue::Remove(()) => {}
        }
    }
    // What the step's templates can expand to, together: variables cannot multiply into
    // gigabytes through many references.
    let mut templates: Vec<&Template> = step.headers.values().chain(step.as_.iter()).collect();
    templates.extend(step.request.iter().map(|r| &r.path));
    let mut structured = Vec::new();
    for v in step.with.values() {
        match v {
            WithValue::Text(t) => templates.push(t),
            WithValue::Structure(s) => strings(s, &mut structured),
            WithValue::Remove(()) => {}
        }
    }
    let parsed: Vec<Template> = structured.iter().filter_map(|s| Template::parse(s).ok()).collect();
    let total = templates
        .into_iter()
        .chain(parsed.iter())
        .fold(0usize, |n, t| n.saturating_add(t.max_len(&|v| ctx.var_size(v))));
    if total > MAX_STEP_BYTES {
        errors.push(locate(InputError::new(
            path,
            format!("{label} can expand to {total} bytes, more than the {MAX_STEP_BYTES} a step may send"),
        )));
    }
    if let Some(r) = &step.request {
        check_template(path, text, &r.path, known, errors);
        // A literal path is checked now; a templated one when it is rendered, before sending.
        if r.path.vars().next().is_none()
            && let Err(e) = crate::scenario::url::check_path(r.path.source())
        {
            errors.push(InputError::new(path, format!("{label}: {e}")).find(text, r.path.source(), 1));
        }
    }
    for (name, t) in &step.headers {
        check_template(path, text, t, known, errors);
        // Checked here, not when the first request fails: a name always, a value when it is
        // literal (a templated one when it is rendered).
        if reqwest::header::HeaderName::try_from(name.as_str()).is_err() {
            errors.push(
                InputError::new(path, format!("{label}: '{name}' is not an HTTP header name")).find(text, name, 1),
            );
        } else if t.vars().next().is_none() && reqwest::header::HeaderValue::try_from(t.source()).is_err() {
            errors.push(
                InputError::new(
                    path,
                    format!("{label}: header '{name}': its value is not an HTTP header value (control characters?)"),
                )
                .find(text, name, 1),
            );
        }
    }
    // Every wait is bounded: a scenario cannot hang a run.
    if step.sleep_ms.is_some_and(|ms| ms > MAX_WAIT_MS) {
        errors.push(
            InputError::new(path, format!("{label}: sleep_ms is at most {MAX_WAIT_MS}")).find(text, "sleep_ms", 1),
        );
    }
    if let Some(r) = &step.retry
        && (r.times == 0 || r.times > MAX_RETRIES || r.delay_ms > MAX_WAIT_MS)
    {
        errors.push(
            InputError::new(
                path,
                format!("{label}: retry takes 1 to {MAX_RETRIES} times and a delay_ms of at most {MAX_WAIT_MS}"),
            )
            .find(text, "retry", 1),
        );
    }
    if let Some(f) = &step.fault
        && (f.arm.is_some() == f.clear)
    {
        errors.push(locate(InputError::new(path, format!("{label}: {}", PlanError::Fault))));
    }
    if let Some(i) = &step.inspect {
        check_template(path, text, &i.fintech_use_num, known, errors);
        known.insert(i.capture_balance.clone());
    }
    if let Some(children) = &step.parallel {
        for (j, child) in children.iter().enumerate() {
            check_step(ctx, &format!("{number}.{}", j + 1), child, known, true, errors);
        }
    }
    if let Some(e) = &step.expect {
        let templates = e.rsp_code.iter().chain(e.bank_rsp_code.iter()).flat_map(|o| o.items()).chain(
            e.json
                .iter()
                .flat_map(JsonCheck::with_nested)
                .flat_map(|c| [&c.equals, &c.eq_num, &c.lt, &c.lte, &c.gt, &c.gte].into_iter().flatten()),
        );
        for t in templates {
            check_template(path, text, t, known, errors);
        }
        for code in e.rsp_code.iter().flat_map(|o| o.items()) {
            let s = code.source();
            if code.vars().next().is_none()
                && crate::protocol::RspCode::from_code(s).is_none()
                && s != crate::protocol::codes::OAUTH_REVOKED
            {
                let hint = suggest(s, crate::protocol::RspCode::ALL.iter().map(|c| c.code()))
                    .map(|c| format!(" — did you mean '{c}'?"))
                    .unwrap_or_default();
                errors.push(InputError::new(path, format!("'{s}' is not a known rsp_code{hint}")).find(text, s, 1));
            }
        }
    }
    // Captures become visible to the following steps.
    known.extend(step.capture.keys().cloned());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedScenario, Vec<InputError>> {
        load_text(Path::new("t.yaml"), text)
    }

    const HEAD: &str = "id: OBH-T-001\ntitle: t\nspec: s\n";

    #[test]
    fn an_unknown_api_is_reported_at_its_position_with_a_hint() {
        let err = load(&format!("{HEAD}steps:\n  - call: transfer.withdrw\n")).unwrap_err();
        let e = &err[0];
        assert_eq!((e.line, e.column), (5, 11));
        assert!(e.message.contains("did you mean 'transfer.withdraw'?"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_variables_and_credentials_are_errors() {
        let text = format!(
            "{HEAD}steps:\n  - call: account.balance\n    as: admin\n    with: {{ fintech_use_numb: x, tran_dtime: \"${{tran_dtim}}\" }}\n"
        );
        let errs = load(&text).unwrap_err();
        let msgs: Vec<_> = errs.iter().map(|e| e.message.clone()).collect();
        assert!(msgs.iter().any(|m| m.contains("did you mean 'fintech_use_num'")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("did you mean '${tran_dtime}'")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("as: 'admin'")), "{msgs:?}");
    }

    #[test]
    fn a_capture_is_visible_to_later_steps_only() {
        let ok = format!(
            "{HEAD}steps:\n  - call: account.balance\n    capture: {{ before: $.balance_amt }}\n  - call: account.balance\n    expect: {{ json: [{{ path: $.balance_amt, eq_num: \"${{before}}\" }}] }}\n"
        );
        assert!(load(&ok).is_ok());
        let bad = format!(
            "{HEAD}steps:\n  - call: account.balance\n    expect: {{ json: [{{ path: $.balance_amt, eq_num: \"${{before}}\" }}] }}\n  - call: account.balance\n    capture: {{ before: $.balance_amt }}\n"
        );
        assert!(load(&bad).is_err());
    }

    #[test]
    fn control_steps_need_their_capability_declared() {
        let text = format!("{HEAD}steps:\n  - advance_clock: 10\n");
        let errs = load(&text).unwrap_err();
        assert!(errs[0].message.contains("clock_control"), "{}", errs[0].message);
        let text = format!("{HEAD}requires: [clock_control]\nsteps:\n  - advance_clock: 10\n");
        assert!(load(&text).is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_jsonpaths_are_positioned() {
        let errs = load(&format!("{HEAD}steps:\n  - call: user.me\n    expct: {{}}\n")).unwrap_err();
        assert!(errs[0].message.contains("unknown field `expct`"), "{}", errs[0].message);
        assert_eq!(errs[0].line, 6);
        let errs = load(&format!("{HEAD}steps:\n  - call: user.me\n    capture: {{ x: balance }}\n")).unwrap_err();
        assert!(
            errs[0].message.contains("JSONPath 'balance'") && errs[0].message.contains("RFC 9535"),
            "{}",
            errs[0].message
        );
        assert_eq!(errs[0].line, 6);
    }

    #[test]
    fn waits_and_retries_are_bounded() {
        let errs = load(&format!("{HEAD}steps:\n  - sleep_ms: 99999999999\n")).unwrap_err();
        assert!(errs[0].message.contains("sleep_ms is at most 60000"), "{}", errs[0].message);
        assert_eq!(errs[0].line, 5);
        let errs = load(&format!("{HEAD}steps:\n  - call: user.me\n    retry: {{ times: 4000000000, delay_ms: 1 }}\n"))
            .unwrap_err();
        assert!(errs[0].message.contains("retry takes 1 to 100 times"), "{}", errs[0].message);
        assert!(load(&format!("{HEAD}steps:\n  - sleep_ms: 10\n")).is_ok());
    }

    #[test]
    fn a_step_has_exactly_one_kind() {
        let errs = load(&format!("{HEAD}steps:\n  - call: user.me\n    sleep_ms: 5\n")).unwrap_err();
        assert!(errs[0].message.contains("several kinds"));
        let errs = load(&format!("{HEAD}steps:\n  - name: nothing\n")).unwrap_err();
        assert!(errs[0].message.contains("does nothing"));
    }
}
