use super::*;

fn report(text: &str, exit: Option<i64>) -> Finding {
    let mut job = Job::from_text("job.log", text);
    if let Some(code) = exit {
        job.meta = Some(
            augur_sdk::JobMeta::from_json("meta.json", &format!(r#"{{"exit_code": {code}}}"#))
                .unwrap(),
        );
    }
    let mut findings = Postflight::classify(&job, &Config::default()).unwrap();
    assert_eq!(findings.len(), 1);
    findings.remove(0)
}

fn error_types(f: &Finding) -> Vec<String> {
    f.data["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_green_run_scores_high_and_is_not_a_failure() {
    let log = "\
collected 12 items
tests/test_a.py ............
============ 12 passed, 0 failed, 0 errors in 1.20s ============
lint: error: 0, warnings: 0
no_errors_found = True
handler = onError || ErrorBoundary
fail_fast: false
exit: 0
";
    let f = report(log, None);
    assert_eq!(error_types(&f), Vec::<String>::new(), "{:#?}", f.data);
    // 50 + 30 (exit 0) + 5 (tests passed).
    assert_eq!(f.data["quality_score"], 85);
    assert_eq!(f.data["exit_code"], 0);
    assert_eq!(f.data["exit_from"], "log");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.actions.is_empty(), "{:?}", f.actions);
}

#[test]
fn a_failed_run_has_its_signals_by_type_with_counts_and_context() {
    let log = "\
Traceback (most recent call last):
  File \"app.py\", line 3, in <module>
    import requests
ModuleNotFoundError: No module named 'requests'
ERROR: could not install packages
ERROR: connection refused by proxy
FAILED tests/test_api.py::test_get - ConnectionRefusedError
";
    let f = report(log, Some(1));
    assert_eq!(
        error_types(&f),
        [
            "error_detected",
            "exception_detected",
            "failure_detected",
            "connection_error",
            "import_error"
        ]
    );
    let errors = f.data["errors"].as_array().unwrap();
    assert_eq!(errors[0]["count"], 2);
    assert_eq!(errors[0]["line"], 5);
    assert_eq!(errors[0]["severity"], "high");
    assert_eq!(errors[2]["severity"], "medium");
    assert_eq!(errors[1]["context"], "Traceback (most recent call last):");
    // 50 - 20 (exit 1) - 15 * 4 - 8, held at 0.
    assert_eq!(f.data["quality_score"], 0);
    assert_eq!(f.severity, Severity::Medium);
    let recs = f.data["recommendations"].as_array().unwrap();
    assert!(recs[0].as_str().unwrap().starts_with("The job failed"));
    assert!(
        recs.iter()
            .any(|r| r.as_str().unwrap().starts_with("Import error"))
    );
    assert!(
        recs.iter()
            .any(|r| r.as_str().unwrap().starts_with("No learnings"))
    );
    // One citation per line: lines 1, 4, 5, 6 and 7 are each the first of a type.
    let cited: Vec<&str> = f.evidence.iter().map(|e| e.locator.as_str()).collect();
    assert_eq!(cited, ["L1", "L4", "L5", "L6", "L7"]);
}

#[test]
fn the_score_uses_the_seed_weights() {
    // 50 + 30 - 8 (medium: not found) + 5 (action) + 3 * 2 (learnings) = 83.
    let log = "\
warning: config file not found, using defaults
Fixed by: pinning urllib3 below 2 in requirements.txt
Root cause: the base image moved to Python 3.12
updated requirements.txt
";
    let f = report(log, Some(0));
    assert_eq!(error_types(&f), ["not_found_error"]);
    assert_eq!(f.data["quality_score"], 83);
    let learnings = f.data["learnings"].as_array().unwrap();
    assert_eq!(learnings.len(), 2);
    assert_eq!(learnings[0]["type"], "fix_applied");
    assert_eq!(learnings[1]["type"], "root_cause");
    assert_eq!(learnings[1]["line"], 3);
}

#[test]
fn short_learnings_are_noise() {
    let f = report("Solution: retry\nworkaround: n/a\n", None);
    assert_eq!(f.data["learnings"], json!([]));
}

#[test]
fn zero_counts_and_identifiers_are_not_signals() {
    for line in [
        "Tests: 0 failed, 14 passed",
        "errors: 0",
        "failures=0 skipped=1",
        "Finished with no errors",
        "check_failed_jobs() returned []",
        "if (err) { onError(err) }",
        "0 not found",
    ] {
        let f = report(line, Some(0));
        assert_eq!(error_types(&f), Vec::<String>::new(), "{line}");
    }
    // But a real count is.
    assert_eq!(
        error_types(&report("Tests: 2 failed, 12 passed", None)),
        ["failure_detected"]
    );
    assert_eq!(error_types(&report("errors: 10", None)), ["error_detected"]);
}

#[test]
fn windows_give_the_same_findings_as_a_whole_log() {
    let log = "step ok\n".repeat(50)
        + "ERROR: boom\nRoot cause: the cache key ignored the lockfile\n"
        + &"retrying\n".repeat(50)
        + "12 passed\nexit: 1\n";
    let job = Job::from_text("job.log", &log);
    let whole = augur_sdk::scan_whole::<Postflight>(&job, &Config::default()).unwrap();
    for overlap in [0, 4] {
        let windowed =
            augur_sdk::scan_in_windows::<Postflight>(&job, &Config::default(), 64, overlap)
                .unwrap();
        assert_eq!(windowed, whole);
    }
}

/// Only the lines of its interest, the others emptied: the same findings,
/// over every fixture and real CI log of the repository.
#[test]
fn its_interest_loses_nothing() {
    assert!(
        Postflight::interest(&Config::default()).is_some(),
        "every pattern has literals"
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stack = vec![
        root.join("tests/fixtures"),
        root.join("tests/corpus"),
        root.join("examples/jobs"),
    ];
    let mut logs = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                let job = Job::from_text("job.log", &text);
                let config = Config::default();
                let every_line =
                    augur_sdk::scan_in_windows::<Postflight>(&job, &config, 1 << 16, 8).unwrap();
                let prefiltered =
                    augur_sdk::scan_prefiltered::<Postflight>(&job, &config, 1 << 16, 8).unwrap();
                assert_eq!(prefiltered, every_line, "{}", path.display());
                logs += 1;
            }
        }
    }
    assert!(logs >= 250, "{logs}");
}
