use super::*;

fn job(text: &str, exit: Option<i64>) -> Job {
    let mut job = Job::from_text("job.log", text);
    if let Some(code) = exit {
        job.meta = Some(
            augur_sdk::JobMeta::from_json(
                "meta.json",
                &format!(r#"{{"exit_code": {code}, "stage": "test"}}"#),
            )
            .unwrap(),
        );
    }
    job
}

fn classify(text: &str, exit: Option<i64>) -> Vec<Finding> {
    FailureClass::classify(&job(text, exit), &Config::default()).unwrap()
}

/// The kind and the causal line's locator.
fn verdict(text: &str, exit: Option<i64>) -> Option<(String, String)> {
    let findings = classify(text, exit);
    assert!(findings.len() <= 1, "{findings:#?}");
    findings.first().map(|f| {
        (
            f.kind.clone(),
            f.evidence
                .last()
                .map(|e| e.locator.clone())
                .unwrap_or_default(),
        )
    })
}

fn kind(text: &str, exit: Option<i64>) -> Option<String> {
    verdict(text, exit).map(|v| v.0)
}

#[test]
fn priority_order_decides_between_classes() {
    // OOM outranks the test failure that follows from it.
    let log = "collected 10 items\nKilled\n=========== 1 failed, 9 passed in 3.2s ===========\n";
    assert_eq!(
        verdict(log, Some(137)),
        Some(("failure/oom".into(), "L2".into()))
    );
    // A missing module outranks the failures it causes.
    let log = "E   ModuleNotFoundError: No module named 'requests'\n==== 2 errors in 0.3s ====\n";
    assert_eq!(
        kind(log, Some(1)).as_deref(),
        Some("failure/dependency_missing")
    );
}

#[test]
fn the_causal_line_is_the_first_failure() {
    let log = "FAILED tests/a.py::test_one - assert 1 == 2\nFAILED tests/b.py::test_two - assert 3 == 4\ndone\n";
    assert_eq!(
        verdict(log, Some(1)),
        Some(("failure/validation_failure".into(), "L1".into()))
    );
}

#[test]
fn green_jobs_get_nothing_whatever_they_print() {
    let log = "==== 12 passed, 0 failed in 1.0s ====\nerror: 0\nno_errors_found = True\nexit: 0\n";
    assert_eq!(kind(log, None), None);
    // Exit 0 wins over scary words.
    assert_eq!(kind("FAILED tests/a.py::flaky (expected)\n", Some(0)), None);
}

#[test]
fn exit_codes_come_from_meta_or_the_log() {
    assert_eq!(
        kind("some output\nexit: 2\n", None).as_deref(),
        Some(UNKNOWN)
    );
    assert_eq!(kind("some output\n", Some(3)).as_deref(), Some(UNKNOWN));
    assert_eq!(
        kind("##[error]Process completed with exit code 1.\n", None).as_deref(),
        Some(UNKNOWN)
    );
    // No exit code and nothing recognisable: not a failure.
    assert_eq!(kind("hello\n", None), None);
}

#[test]
fn unknown_failures_cite_the_last_error_looking_lines() {
    let log = "step 1\nerror: something odd happened\n0 errors in lint\nWARN x\nfatal: the end\n";
    let f = &classify(log, Some(1))[0];
    assert_eq!(f.kind, UNKNOWN);
    let locators: Vec<&str> = f.evidence.iter().map(|e| e.locator.as_str()).collect();
    assert_eq!(locators, ["L2", "L5"]);
}

#[test]
fn awaiting_input_carries_the_question_even_on_exit_0() {
    let log = "Working...\n<!-- cp:question: Should I delete the legacy API? -->\n";
    let f = &classify(log, Some(0))[0];
    assert_eq!(f.kind, "failure/awaiting_input");
    assert_eq!(f.data["question"], "Should I delete the legacy API?");
}

#[test]
fn quota_is_kept_apart_from_rate_limits() {
    let quota = r#"API Error: 429 {"type":"error","error":{"type":"insufficient_quota","message":"You exceeded your current quota"}}"#;
    assert_eq!(
        kind(quota, Some(1)).as_deref(),
        Some("failure/quota_exhausted")
    );
    let rate = r#"API Error: 429 {"type":"error","error":{"type":"rate_limit_error"}}"#;
    assert_eq!(kind(rate, Some(1)).as_deref(), Some("failure/model_error"));
}

#[test]
fn known_flaky_tests_are_named_in_config() {
    let log = "FAILED tests/net.py::test_retry_socket - ConnectionResetError\n==== 1 failed, 40 passed ====\n";
    let config = Config {
        known_flaky: vec!["test_retry_socket".into()],
    };
    let f = &FailureClass::classify(&job(log, Some(1)), &config).unwrap()[0];
    assert_eq!(f.kind, "failure/flaky_test");
    assert_eq!(
        kind(log, Some(1)).as_deref(),
        Some("failure/validation_failure")
    );
}

#[test]
fn fingerprints_group_the_same_cause_across_runs() {
    let a = "2026-11-20T09:12:03Z Error response from daemon: pull access denied for 7f3a9c1e2b, /tmp/build-4411/ctx id 123e4567-e89b-12d3-a456-426614174000\n";
    let b = "2026-11-21T18:00:59Z Error response from daemon: pull access denied for 9b1c0d2e3f, /tmp/build-9/ctx id 0e4567ab-e89b-12d3-a456-426614174999\n";
    let (fa, fb) = (&classify(a, Some(1))[0], &classify(b, Some(1))[0]);
    assert_eq!(fa.kind, "failure/infra_tooling");
    assert_eq!(fa.fingerprint, fb.fingerprint);
    assert_eq!(
        mask(a),
        "<time> Error response from daemon: pull access denied for <hex>, <tmp> id <uuid>"
    );
    assert_ne!(
        fa.fingerprint,
        classify("Error response from daemon: manifest unknown\n", Some(1))[0].fingerprint
    );
}

#[test]
fn each_class_is_recognised_in_the_shapes_people_see() {
    let cases: &[(&str, &str)] = &[
        (
            "ERROR: allowed_paths violation: src/secret.py is outside allowed_paths",
            "scope_policy",
        ),
        (
            "[12345.678] Out of memory: Killed process 4242 (python) total-vm:1234kB",
            "oom",
        ),
        (
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "oom",
        ),
        (
            "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
            "oom",
        ),
        (
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "oom",
        ),
        (
            "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 360 minutes.",
            "timeout",
        ),
        ("##[error]The operation was canceled.", "cancelled"),
        (
            "./internal/sync/loop.go:88:2: undefined: drainQueue",
            "build_error",
        ),
        (
            "> Compilation failed; see the compiler error output for details.",
            "build_error",
        ),
        (
            "[ERROR] Tests run: 12, Failures: 2, Errors: 0, Skipped: 0",
            "validation_failure",
        ),
        (
            "> There were failing tests. See the report at: file:///build/reports/tests/test/index.html",
            "validation_failure",
        ),
        (
            "Test Suites: 1 failed, 11 passed, 12 total",
            "validation_failure",
        ),
        ("14 examples, 2 failures", "validation_failure"),
        (
            "Tests: 40, Assertions: 97, Failures: 1.",
            "validation_failure",
        ),
        (
            "Failed!  - Failed:     1, Passed:    57, Skipped:     0, Total:    58",
            "validation_failure",
        ),
        ("would reformat src/app.py", "validation_failure"),
        ("│ Error: Error acquiring the state lock", "infra_tooling"),
        (
            "fatal: unable to access 'https://github.com/acme/api.git/': Could not resolve host: github.com",
            "infra_tooling",
        ),
        (
            "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}",
            "model_error",
        ),
        (
            "[2026-11-20T11:55:06Z] aborting: no response from the model",
            "model_error",
        ),
        (
            "ERROR: stream error: context_length_exceeded: Your input exceeds the context window",
            "context_limit",
        ),
        (
            "API Error: 400 prompt is too long: 210000 tokens > 200000 maximum",
            "context_limit",
        ),
        (
            "/bin/sh: 1: poetry: command not found",
            "dependency_missing",
        ),
        (
            "ERROR: No matching distribution found for torch==9.9.9",
            "dependency_missing",
        ),
        ("npm ERR! code E404", "dependency_missing"),
        (
            "error[E0425]: cannot find value `x` in this scope",
            "build_error",
        ),
        (
            "src/main.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
            "build_error",
        ),
        (
            "test result: FAILED. 3 passed; 1 failed; 0 ignored",
            "validation_failure",
        ),
        (
            "Tests:       2 failed, 14 passed, 16 total",
            "validation_failure",
        ),
        ("FAILED (failures=1)", "validation_failure"),
        (
            " ! [rejected]        main -> main (fetch first)",
            "tool_failure",
        ),
        (
            "git@github.com: Permission denied (publickey).",
            "infra_tooling",
        ),
        (
            "toomanyrequests: You have reached your pull rate limit.",
            "infra_tooling",
        ),
    ];
    for (line, class) in cases {
        assert_eq!(
            kind(line, Some(1)).as_deref(),
            Some(format!("failure/{class}").as_str()),
            "{line}"
        );
    }
}

#[test]
fn kinds_match_the_classes() {
    let from_classes: Vec<String> = CLASSES
        .iter()
        .map(|c| format!("failure/{}", c.name))
        .collect();
    assert_eq!(&KINDS[..KINDS.len() - 1], from_classes.as_slice());
}

/// The rule's cases, the same `augur test` runs through the component.
const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");

/// The log of every case, sorted.
fn case_logs() -> Vec<std::path::PathBuf> {
    let mut logs: Vec<_> = std::fs::read_dir(CASES)
        .unwrap()
        .map(|e| e.unwrap().path().join("output.log"))
        .filter(|p| p.is_file())
        .collect();
    logs.sort();
    logs
}

#[test]
fn windows_give_the_same_findings_as_a_whole_log() {
    let mut logs = 0;
    for path in case_logs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let job = Job::from_text(&path.display().to_string(), &text);
        let config = Config {
            known_flaky: vec!["test_upload".into()],
        };
        let whole = augur_sdk::scan_whole::<FailureClass>(&job, &config).unwrap();
        // Windows of 256 bytes cut every one of these logs in several places,
        // and hold their longest line (a line longer than a window comes in
        // pieces, and a piece is all a finding can quote).
        for overlap in [0, 4] {
            let windowed =
                augur_sdk::scan_in_windows::<FailureClass>(&job, &config, 256, overlap).unwrap();
            assert_eq!(
                windowed,
                whole,
                "{} with {overlap} lines of overlap",
                path.display()
            );
        }
        logs += 1;
    }
    assert!(logs >= 19);
}

#[test]
fn type_checkers_are_validation_and_compilers_are_build_errors() {
    let mypy = "src/a.py:41: error: Argument 1 to \"f\" has incompatible type \"str\"  [arg-type]\nFound 1 error in 1 file (checked 3 source files)\n";
    // The checker's error line, not its `Found 1 error` summary.
    assert_eq!(
        verdict(mypy, Some(1)),
        Some(("failure/validation_failure".into(), "L1".into()))
    );
    let gcc = "main.c:3:5: error: implicit declaration of function 'foo'\nmake: *** [Makefile:4: main.o] Error 1\n";
    assert_eq!(
        verdict(gcc, Some(2)),
        Some(("failure/build_error".into(), "L1".into()))
    );
}

#[test]
fn the_causal_line_names_the_failure_rather_than_sum_it_up() {
    for (case, class, line) in [
        ("cargo-test-failed", "validation_failure", "L12"),
        ("jest-failed", "validation_failure", "L6"),
        ("pytest-failed", "validation_failure", "L15"),
        ("unittest-failed", "validation_failure", "L4"),
        ("cargo-build-error", "build_error", "L2"),
        ("oom-killer", "oom", "L3"),
    ] {
        let text = std::fs::read_to_string(format!("{CASES}/{case}/output.log")).unwrap();
        assert_eq!(
            verdict(&text, None),
            Some((format!("failure/{class}"), line.to_owned())),
            "{case}"
        );
    }
    // With only a summary, the summary is the causal line.
    assert_eq!(
        verdict("==== 2 failed, 10 passed in 1.2s ====\nexit: 1\n", None),
        Some(("failure/validation_failure".into(), "L1".into()))
    );
}

#[test]
fn downloaded_ci_logs_with_timestamps_get_the_same_verdicts() {
    let mut logs = 0;
    for path in case_logs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let stamped: String = text
            .lines()
            .map(|l| format!("2026-11-20T10:00:00.1234567Z {l}\n"))
            .collect();
        assert_eq!(
            verdict(&stamped, None),
            verdict(&text, None),
            "{}",
            path.display()
        );
        logs += 1;
    }
    assert!(logs >= 19);
}

/// What went wrong on real CI logs before the CI reader: each shape below is
/// cut from a log of that system (the corpus in `tests/corpus` holds whole
/// ones).
#[test]
fn ci_logs_are_read_as_their_system_printed_them() {
    // Travis: the failing test, not the credentials warning of the
    // artifact upload that ran after `The command … exited with 1.`
    let travis = "\
travis_time:start:0a1b\r\u{1b}[0K$ pytest\r
FAILED tests/test_core.py::test_parse - AssertionError: assert 1 == 2\r
\u{1b}[31;1mThe command \"pytest\" exited with 1.\u{1b}[0m\r
travis_fold:start:after_failure\r\u{1b}[0K$ artifacts upload\r
Failed to upload artifacts: Unable to locate credentials\r
Done. Your build exited with 1.\r
";
    assert_eq!(
        verdict(travis, None),
        Some(("failure/validation_failure".into(), "L2".into()))
    );
    // Maven: the compiler's line, not the `COMPILATION ERROR` header.
    let maven = "\
[ERROR] COMPILATION ERROR : 
[INFO] -------------------------------------------------------------
[ERROR] /home/travis/build/a/b/src/main/java/a/B.java:[12,5] cannot find symbol
[INFO] BUILD FAILURE
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.1:compile (default-compile) on project b: Compilation failure
Done. Your build exited with 1.
";
    assert_eq!(
        verdict(maven, None),
        Some(("failure/build_error".into(), "L3".into()))
    );
    // ninja: the compiler's line above `subcommand failed`.
    let ninja = "\
FAILED: obj/src/a.o
../src/a.cc:12:3: error: use of undeclared identifier 'x'
ninja: build stopped: subcommand failed.
##[error]Process completed with exit code 1.
";
    assert_eq!(
        verdict(ninja, None),
        Some(("failure/build_error".into(), "L2".into()))
    );
    // Colour does not hide pytest's FAILED.
    let coloured = "\u{1b}[31mFAILED\u{1b}[0m tests/test_a.py::test_b - assert 1 == 2\nexit: 1\n";
    assert_eq!(
        verdict(coloured, None),
        Some(("failure/validation_failure".into(), "L1".into()))
    );
    // Jenkins said SUCCESS: a `command not found` on the way is no failure.
    let green = "Started by timer\n+ ./stats.sh\n./stats.sh: line 4: bc: command not found\nFinished: SUCCESS\n";
    assert_eq!(verdict(green, None), None);
    // A passing GitHub Actions log (no `##[error]`) whose tests print
    // failures they expect.
    let gha = "\
2024-01-01T00:00:00.0000000Z ##[group]Run go test ./...
2024-01-01T00:00:00.0000000Z ##[endgroup]
2024-01-01T00:00:01.0000000Z --- FAIL: TestRetry (0.00s) expected, retried
2024-01-01T00:00:02.0000000Z ok  \tgithub.com/a/b\t0.02s
";
    assert_eq!(verdict(gha, None), None);
}
