//! Golden snapshots of responses: canonicalised (sorted keys, dynamic fields redacted to a
//! placeholder after their format is checked) and compared with `golden/<scenario>/<step>.snap`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How snapshots are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoldenMode {
    /// Compare; write missing snapshots (reported as new), never overwrite.
    Compare,
    /// Write new and changed snapshots (`--bless`).
    Bless,
    /// Compare only; a missing snapshot fails (`CI=true`).
    Strict,
    /// No snapshot work (targets whose data are not ours).
    Off,
}

impl GoldenMode {
    /// The mode for a run: `--bless` wins, then `CI=true` makes it strict.
    pub fn from_flags(bless: bool, ci: bool) -> GoldenMode {
        match (bless, ci) {
            (true, _) => GoldenMode::Bless,
            (false, true) => GoldenMode::Strict,
            (false, false) => GoldenMode::Compare,
        }
    }
}

/// Fields whose values change from run to run, with the format they must still have.
const DYNAMIC: &[(&str, &str)] = &[
    ("api_tran_id", r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    ("api_tran_dtm", r"^[0-9]{17}$"),
    ("bank_tran_id", r"^[A-Za-z0-9]{10}U[A-Za-z0-9]{9}$"),
    ("org_bank_tran_id", r"^[A-Za-z0-9]{10}U[A-Za-z0-9]{9}$"),
    ("bank_tran_date", r"^([0-9]{8})?$"),
    ("tran_date", r"^[0-9]{8}$"),
    ("tran_time", r"^[0-9]{6}$"),
    ("last_tran_date", r"^([0-9]{8})?$"),
    ("access_token", r"^\S+$"),
    ("refresh_token", r"^\S+$"),
    ("code", r"^\S+$"),
    // An authorize redirect's Location carries the one-time code.
    ("location", r"^\S+$"),
];

/// What a comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoldenResult {
    Matched,
    /// Written for the first time.
    Created,
    /// Rewritten under `--bless`.
    Blessed,
    /// Differs; the unified diff (expected → actual).
    Changed(String),
    /// Missing under `CI=true`.
    Missing,
    /// A dynamic field had the wrong format.
    BadFormat(String),
}

/// Canonical text of a response: keys sorted, dynamic fields checked and redacted.
pub fn canonicalise(v: &Value) -> Result<String, String> {
    let mut v = v.clone();
    redact(&mut v, "$")?;
    Ok(serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn redact(v: &mut Value, at: &str) -> Result<(), String> {
    match v {
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                let path = format!("{at}.{k}");
                if let Some((_, pattern)) = DYNAMIC.iter().find(|(name, _)| name == k) {
                    if let Value::String(s) = item {
                        let re = regex::Regex::new(pattern).expect("valid built-in pattern");
                        if !re.is_match(s) {
                            return Err(format!("{path} '{s}' does not match {pattern}"));
                        }
                        *item = Value::String(format!("[{k}]"));
                    }
                } else if let Value::String(s) = item
                    && crate::report::redact::is_account_key(k)
                {
                    // Snapshots are committed: account numbers as the center masks them.
                    *s = crate::protocol::ids::mask_account_num(s);
                } else {
                    redact(item, &path)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                redact(item, &format!("{at}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The file of a step's snapshot: `golden/<scenario-id>/<NN>-<slug>.snap`, always inside
/// `root` (an id that is not a safe directory name is refused).
pub fn snapshot_path(root: &Path, scenario_id: &str, index: usize, step_name: &str) -> Result<PathBuf, String> {
    crate::scenario::load::check_id(scenario_id).map_err(|why| format!("scenario id '{scenario_id}' {why}"))?;
    let slug: String = step_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let path = root.join(scenario_id).join(format!("{index:02}-{slug}.snap"));
    // The id is one normal component and the slug has no separator: the path stays in root.
    let inside = path.strip_prefix(root).is_ok_and(|rest| {
        rest.components().count() == 2 && rest.components().all(|c| matches!(c, std::path::Component::Normal(_)))
    });
    if inside { Ok(path) } else { Err(format!("snapshot path {} leaves {}", path.display(), root.display())) }
}

fn file_text(scenario_id: &str, step_label: &str, canonical: &str) -> String {
    format!(
        "# obharness golden snapshot — review changes like code\n# scenario: {scenario_id}\n# step: {step_label}\n{canonical}\n"
    )
}

fn body_of(file: &str) -> &str {
    let mut rest = file;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map(|(_, r)| r).unwrap_or("");
    }
    rest.trim_end()
}

/// Compares (and per `mode` writes) the snapshot of one step.
pub fn check(path: &Path, scenario_id: &str, step_label: &str, response: &Value, mode: GoldenMode) -> GoldenResult {
    if mode == GoldenMode::Off {
        return GoldenResult::Matched;
    }
    let canonical = match canonicalise(response) {
        Ok(c) => c,
        Err(e) => return GoldenResult::BadFormat(e),
    };
    let write = |result: GoldenResult| {
        let ok = path.parent().map(std::fs::create_dir_all).transpose().is_ok()
            && std::fs::write(path, file_text(scenario_id, step_label, &canonical)).is_ok();
        if ok { result } else { GoldenResult::BadFormat(format!("cannot write {}", path.display())) }
    };
    match std::fs::read_to_string(path) {
        Err(_) => match mode {
            GoldenMode::Strict => GoldenResult::Missing,
            GoldenMode::Bless | GoldenMode::Compare => write(GoldenResult::Created),
            GoldenMode::Off => GoldenResult::Matched,
        },
        Ok(existing) => {
            let expected = body_of(&existing);
            if expected == canonical.trim_end() {
                GoldenResult::Matched
            } else if mode == GoldenMode::Bless {
                write(GoldenResult::Blessed)
            } else {
                let diff = similar::TextDiff::from_lines(expected, canonical.trim_end())
                    .unified_diff()
                    .context_radius(3)
                    .header("golden", "actual")
                    .to_string();
                GoldenResult::Changed(diff)
            }
        }
    }
}

/// What a run tells about its scenarios, for judging snapshots unused.
pub struct RunScenarios<'a> {
    /// Scenarios that ran to their end (passed): every step reached its snapshot.
    pub completed: &'a BTreeSet<String>,
    /// Every scenario of the run, whatever its outcome.
    pub all: &'a BTreeSet<String>,
}

/// Snapshot files under `root` that are not in `used`: in the directory of a scenario that ran
/// to its end (a failed scenario may not have reached a step), or in a directory of no
/// scenario at all when the run is the suite those snapshots belong to (some scenario of the
/// run has a directory here), which is what a deleted or renamed scenario leaves behind.
pub fn unused(root: &Path, used: &BTreeSet<PathBuf>, run: &RunScenarios<'_>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(root) else { return out };
    let dirs: Vec<_> = dirs.flatten().collect();
    let name = |d: &std::fs::DirEntry| d.file_name().to_string_lossy().into_owned();
    let suite_here = dirs.iter().any(|d| run.all.contains(&name(d)));
    for d in dirs {
        let id = name(&d);
        let judged = run.completed.contains(&id) || (suite_here && !run.all.contains(&id));
        if !judged {
            continue;
        }
        let Ok(files) = std::fs::read_dir(d.path()) else { continue };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "snap") && !used.contains(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dynamic_fields_are_checked_then_redacted_and_keys_sorted() {
        let v = json!({"rsp_code": "A0000", "api_tran_id": "8d44ba3b-2404-461c-83fe-fe25fc3b408d", "api_tran_dtm": "20260302100000123",
                       "res_list": [{"tran_date": "20260302", "tran_amt": "1"}]});
        let c = canonicalise(&v).unwrap();
        assert!(c.find("api_tran_dtm").unwrap() < c.find("rsp_code").unwrap());
        assert!(c.contains("\"[api_tran_id]\"") && c.contains("\"[tran_date]\""));
        assert!(c.contains("\"tran_amt\": \"1\""));
        let masked =
            canonicalise(&json!({"account_num": "1001000000001", "res_list": [{"account_num": "1001000000002"}]}))
                .unwrap();
        assert!(!masked.contains("1001000000001") && !masked.contains("1001000000002"), "{masked}");
        assert!(masked.contains("\"1001000000***\""), "{masked}");
        let bad = canonicalise(&json!({"api_tran_dtm": "2026"})).unwrap_err();
        assert!(bad.contains("$.api_tran_dtm"));
    }

    #[test]
    fn compare_create_bless_and_strict_modes() {
        let dir = std::env::temp_dir().join(format!("obh-golden-{}", std::process::id()));
        let path = snapshot_path(&dir, "OBH-T-001", 1, "Balance, before!").unwrap();
        for bad in ["..", ".", "a/b", "../x", "", "/abs"] {
            assert!(snapshot_path(&dir, bad, 1, "x").is_err(), "{bad}");
        }
        assert!(path.ends_with("OBH-T-001/01-balance-before.snap"));
        let v1 = json!({"balance_amt": "100"});
        let v2 = json!({"balance_amt": "99"});
        assert_eq!(check(&path, "OBH-T-001", "1", &v1, GoldenMode::Strict), GoldenResult::Missing);
        assert_eq!(check(&path, "OBH-T-001", "1", &v1, GoldenMode::Compare), GoldenResult::Created);
        assert_eq!(check(&path, "OBH-T-001", "1", &v1, GoldenMode::Strict), GoldenResult::Matched);
        match check(&path, "OBH-T-001", "1", &v2, GoldenMode::Compare) {
            GoldenResult::Changed(diff) => {
                assert!(diff.contains("-  \"balance_amt\": \"100\"") && diff.contains("+  \"balance_amt\": \"99\""))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(check(&path, "OBH-T-001", "1", &v2, GoldenMode::Bless), GoldenResult::Blessed);
        assert_eq!(check(&path, "OBH-T-001", "1", &v2, GoldenMode::Strict), GoldenResult::Matched);
        let id = BTreeSet::from(["OBH-T-001".to_string()]);
        let none = BTreeSet::new();
        let passed = RunScenarios { completed: &id, all: &id };
        assert_eq!(unused(&dir, &BTreeSet::new(), &passed), vec![path.clone()]);
        assert!(unused(&dir, &BTreeSet::from([path.clone()]), &passed).is_empty());
        // A scenario that failed before reaching the step: its snapshot is not unused.
        assert!(unused(&dir, &BTreeSet::new(), &RunScenarios { completed: &none, all: &id }).is_empty());
        // A run of other scenarios (none has a directory here) judges nothing.
        let other = BTreeSet::from(["PM-IMPORTED".to_string()]);
        assert!(unused(&dir, &BTreeSet::new(), &RunScenarios { completed: &other, all: &other }).is_empty());
        // The suite without OBH-T-001 (deleted): its directory is left over.
        std::fs::create_dir_all(dir.join("OBH-T-002")).unwrap();
        let suite = BTreeSet::from(["OBH-T-002".to_string()]);
        assert_eq!(unused(&dir, &BTreeSet::new(), &RunScenarios { completed: &suite, all: &suite }), vec![path]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
