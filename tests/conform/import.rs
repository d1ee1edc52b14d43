//! `obharness import postman`: a collection written for this test (Postman v2.1: nested
//! folders, variables, an environment, form and raw bodies, test scripts, items that cannot be
//! converted) becomes scenarios that load, run, and carry no secret.

use obharness::conform::RunOptions;
use obharness::golden::GoldenMode;
use obharness::target::Target;

use crate::{repo, run_paths, scratch};

#[tokio::test]
async fn a_postman_collection_becomes_scenarios_that_load_and_run() {
    let dir = scratch("postman");
    let input = repo().join("tests/conform/postman");
    let report =
        obharness::import::postman::import(&input.join("collection.json"), Some(&input.join("environment.json")), &dir)
            .unwrap();

    let names: Vec<String> =
        report.written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        ["pm-kftc-testbed-accounts.yaml", "pm-kftc-testbed-transfer.yaml"],
        "one scenario per folder with a converted request (the root's one item was not); the Korean folder name is dropped from the id"
    );
    let skipped: Vec<(&str, &str)> = report.skipped.iter().map(|s| (s.item.as_str(), s.why.as_str())).collect();
    assert_eq!(
        skipped,
        [
            ("Trace id from a dynamic variable", "the Postman dynamic variable {{$randomBoolean}} has no equivalent"),
            ("Transfer / Receipt upload", "the form field 'receipt' is a file upload"),
        ]
    );

    for file in &report.written {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(!text.contains("MUST-NOT-LEAK"), "a secret was written into {}:\n{text}", file.display());
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, text);
    }

    // Every written file passes `obharness run`'s load-time checks.
    let loaded = obharness::scenario::load(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.len(), 2);

    // The catalogue calls run against the embedded simulator (the raw gateway call cannot).
    let opts = RunOptions { golden_root: dir.join("golden"), golden_mode: GoldenMode::Off, ..RunOptions::default() };
    let accounts = run_paths(vec![dir.join("pm-kftc-testbed-accounts.yaml")], Target::embedded(vec![]), opts).await;
    assert_eq!(accounts.scenarios[0].outcome, obharness::report::Outcome::Passed, "{:?}", accounts.scenarios[0]);
}

#[test]
fn an_unreadable_collection_is_an_error_with_its_position() {
    let dir = scratch("postman-bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"info\": {\"name\": \"x\"},\n \"item\": [ {\"name\": 3} ]}").unwrap();
    let err = obharness::import::postman::import(&bad, None, &dir.join("out")).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:2:", bad.display())), "{err}");
    assert!(err.contains("item[0].name"), "{err}");
}
