use super::*;

fn job(text: &str, meta: Option<&str>) -> Job {
    let mut job = Job::from_text("job.log", text);
    job.meta = meta.map(|m| augur_sdk::JobMeta::from_json("meta.json", m).unwrap());
    job
}

fn categorise(text: &str, meta: Option<&str>) -> Vec<Finding> {
    ErrorCategory::classify(&job(text, meta), &Config::default()).unwrap()
}

fn category(text: &str) -> Option<String> {
    let findings = categorise(text, Some(r#"{"exit_code": 1}"#));
    assert!(findings.len() <= 1);
    findings
        .first()
        .map(|f| f.data["category"].as_str().unwrap().to_owned())
}

#[test]
fn each_category_in_the_shapes_people_see() {
    let cases = [
        (
            "FileNotFoundError: [Errno 2] No such file or directory: 'data/train.csv'",
            "FILE_ACCESS",
        ),
        (
            "cp: cannot create regular file '/usr/local/bin/x': Permission denied",
            "FILE_ACCESS",
        ),
        (
            "Error: EACCES: permission denied, open '/app/.cache/x'",
            "FILE_ACCESS",
        ),
        (
            "  File \"app.py\", line 3\n    def f(:\n          ^\nSyntaxError: invalid syntax",
            "SYNTAX_ERROR",
        ),
        (
            "error: expected one of `,`, `:`, or `}`, found `let`",
            "SYNTAX_ERROR",
        ),
        ("SyntaxError: Unexpected token '}' (12:4)", "SYNTAX_ERROR"),
        (
            "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
            "TYPE_ERROR",
        ),
        ("error[E0308]: mismatched types", "TYPE_ERROR"),
        (
            "src/a.ts(4,7): error TS2322: Type 'string' is not assignable to type 'number'.",
            "TYPE_ERROR",
        ),
        (
            "app/models.py:12: error: Argument 1 to \"f\" has incompatible type \"str\"; expected \"int\"  [arg-type]",
            "TYPE_ERROR",
        ),
        (
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "TYPE_ERROR",
        ),
        ("E       AssertionError: assert 3 == 4", "ASSERTION_FAILURE"),
        (
            "thread 'tests::sums' panicked at src/lib.rs:9:5:\nassertion `left == right` failed",
            "ASSERTION_FAILURE",
        ),
        ("--- FAIL: TestParse (0.00s)", "ASSERTION_FAILURE"),
        (
            "     Failure/Error: expect(invoice.total).to eq(10.01)",
            "ASSERTION_FAILURE",
        ),
        (
            "    expect(received).toBe(expected) // Object.is equality",
            "ASSERTION_FAILURE",
        ),
        (
            "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.example.com', port=443): Read timed out.",
            "TIMEOUT",
        ),
        (
            "thrown: \"Exceeded timeout of 5000 ms for a test.",
            "TIMEOUT",
        ),
        ("context deadline exceeded", "TIMEOUT"),
        (
            "Error: connect ECONNREFUSED 127.0.0.1:5432",
            "NETWORK_ERROR",
        ),
        (
            "curl: (6) Could not resolve host: example.internal",
            "NETWORK_ERROR",
        ),
        (
            "  ⎿  API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"",
            "NETWORK_ERROR",
        ),
        (
            "npm error 503 Service Unavailable - GET https://registry.npmjs.org/left-pad",
            "NETWORK_ERROR",
        ),
        (
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            "MEMORY_ERROR",
        ),
        (
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "MEMORY_ERROR",
        ),
        ("Killed", "MEMORY_ERROR"),
    ];
    for (text, expected) in cases {
        assert_eq!(category(text).as_deref(), Some(expected), "{text}");
    }
}

#[test]
fn the_last_categorised_line_is_the_cause_and_the_specific_category_wins_a_line() {
    // The assertion is the last error: the earlier timeout was retried.
    let log = "warning: request timed out, retrying\nok\nE   AssertionError: assert 1 == 2\n";
    assert_eq!(category(log).as_deref(), Some("ASSERTION_FAILURE"));
    // A file error reported on a test's failure line is a file problem.
    let log = "FAILED tests/test_io.py::test_read - FileNotFoundError: [Errno 2] No such file or directory: 'x'\n";
    assert_eq!(category(log).as_deref(), Some("FILE_ACCESS"));
}

#[test]
fn green_and_uncategorised_jobs_get_nothing() {
    let green = "tests/test_io.py ... TimeoutError handled\n==== 3 passed in 0.1s ====\n";
    assert!(categorise(green, Some(r#"{"exit_code": 0}"#)).is_empty());
    assert!(categorise("ok\nTypeError: x\nexit: 0\n", None).is_empty());
    assert!(categorise("deploy refused by policy\nexit: 1\n", None).is_empty());
    // No exit code known: a categorised error line is evidence enough.
    assert_eq!(
        categorise("TypeError: x is not a function\n", None).len(),
        1
    );
}

#[test]
fn actions_are_the_categorys_then_the_stages() {
    let log = "E   AssertionError: assert 3 == 4\n";
    let f = &categorise(log, Some(r#"{"exit_code": 1, "stage": "test"}"#))[0];
    assert_eq!(f.kind, "error_category/assertion_failure");
    assert_eq!(f.actions.len(), 3);
    assert!(f.actions[0].contains("expected and actual"));
    assert!(f.actions[2].contains("failing tests on their own"));
    for (stage, words) in [
        ("build", "CI toolchain"),
        ("review", "quality gate"),
        ("pr", "branch protection"),
    ] {
        let f = &categorise(
            log,
            Some(&format!(r#"{{"exit_code": 1, "stage": "{stage}"}}"#)),
        )[0];
        assert!(
            f.actions.last().unwrap().contains(words),
            "{stage}: {:?}",
            f.actions
        );
    }
    let f = &categorise(log, Some(r#"{"exit_code": 1, "stage": "deploy"}"#))[0];
    assert_eq!(f.actions.len(), 2);
    for category in CATEGORIES {
        assert!(
            (2..=3).contains(&category.actions.len()),
            "{}",
            category.name
        );
    }
}

#[test]
fn the_finding_shows_why_with_the_lines_before_the_cause() {
    let log = "collecting\n\ndef test_sum():\n>       assert add(1, 2) == 4\nE       assert 3 == 4\nexit: 1\n";
    let f = &categorise(log, None)[0];
    assert_eq!(f.evidence[0].locator, "L1-L5");
    assert_eq!(f.data["line"], 5);
    assert_eq!(f.data["why"].as_array().unwrap().len(), 3);
    assert_eq!(f.data["exit_code"], 1);
    assert!(f.evidence[0].excerpt.ends_with("E       assert 3 == 4"));
}

#[test]
fn kinds_match_the_categories() {
    let kinds: Vec<String> = CATEGORIES
        .iter()
        .map(|c| format!("error_category/{}", c.name.to_ascii_lowercase()))
        .collect();
    assert_eq!(kinds, KINDS);
}

#[test]
fn windows_give_the_same_findings_as_a_whole_log() {
    let log = "step 1\nwarning: request timed out, retrying\n".repeat(40)
        + "def test_sum():\n>       assert add(1, 2) == 4\nE       assert 3 == 4\nexit: 1\n";
    let job = job(&log, Some(r#"{"stage": "test"}"#));
    let whole = augur_sdk::scan_whole::<ErrorCategory>(&job, &Config::default()).unwrap();
    for overlap in [0, 4] {
        let windowed =
            augur_sdk::scan_in_windows::<ErrorCategory>(&job, &Config::default(), 64, overlap)
                .unwrap();
        assert_eq!(windowed, whole);
    }
}

#[test]
fn a_summary_is_the_cause_only_when_nothing_names_the_error() {
    let log = "thread 'tests::sums' panicked at src/lib.rs:9:5:\nassertion `left == right` failed\n  left: 3\n right: 4\n\ntest result: FAILED. 1 passed; 1 failed\n";
    let f = &categorise(log, Some(r#"{"exit_code": 101}"#))[0];
    assert_eq!(f.data["line"], 2);
    let f = &categorise(
        "test result: FAILED. 1 passed; 1 failed\n",
        Some(r#"{"exit_code": 101}"#),
    )[0];
    assert_eq!(f.data["category"], "ASSERTION_FAILURE");
    assert_eq!(f.data["line"], 1);
}

/// A CI log is read as its system printed it: what ran after the failing
/// step is no cause while one came before, a step's echoed script is not
/// output, and a job the CI system says passed gets nothing.
#[test]
fn ci_logs_are_read_as_their_system_printed_them() {
    let travis = "\
travis_time:start:0a1b\r\u{1b}[0K$ pytest\r
E       AssertionError: assert 1 == 2\r
\u{1b}[31;1mThe command \"pytest\" exited with 1.\u{1b}[0m\r
travis_fold:start:after_failure\r\u{1b}[0K$ artifacts upload\r
curl: (6) Could not resolve host: uploads.example.com\r
Done. Your build exited with 1.\r
";
    let findings = categorise(travis, None);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].data["category"], "ASSERTION_FAILURE");
    assert_eq!(findings[0].data["line"], 2);
    assert_eq!(findings[0].data["exit_code"], 1);
    let gha = "\
2024-01-01T00:00:00.0000000Z ##[group]Run ./check.sh
2024-01-01T00:00:00.0000000Z \u{1b}[36;1mtest -f data.csv || echo 'No such file or directory: data.csv'\u{1b}[0m
2024-01-01T00:00:00.0000000Z ##[endgroup]
2024-01-01T00:00:01.0000000Z ok
";
    assert_eq!(categorise(gha, None), Vec::new());
    let jenkins = "+ ./stats.sh\nTimeoutError: lookup took 3 s, retrying\nFinished: SUCCESS\n";
    assert_eq!(categorise(jenkins, None), Vec::new());
}
