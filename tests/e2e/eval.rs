//! `augur eval` over the real-log corpus, and its contract on small corpora.

use std::fs;

use crate::util::{augur, root};

/// The built-in pack on the real CI logs of `tests/corpus`: the bars a
/// failing build must clear (see docs/eval.md for the metrics).
#[test]
fn builtin_pack_holds_on_real_logs() {
    let corpus = root().join("tests/corpus");
    let out = augur(&[
        "eval",
        corpus.to_str().unwrap(),
        "--min",
        "recognised=97",
        "--min",
        "class=90",
        "--min",
        "causal=85",
        "--max",
        "wrong=3",
        "--max",
        "false_alarms=0",
    ]);
    assert_eq!(out.status, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("by CI system"), "{}", out.stdout);
}

#[test]
fn scores_and_gates_a_small_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, log: &str, label: &str| {
        let d = dir.path().join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("output.log"), log).unwrap();
        fs::write(d.join("label.json"), label).unwrap();
    };
    case(
        "pytest",
        "collected 2 items\n\nFAILED tests/test_a.py::test_b - assert 1 == 2\nexit: 1\n",
        r#"{"outcome": "fail", "kind": "failure/validation_failure", "lines": "3", "ci": "terminal"}"#,
    );
    case(
        "jenkins-green",
        "Started by timer\n/tmp/jenkins1.sh: line 4: bc: command not found\nFinished: SUCCESS\n",
        r#"{"outcome": "pass", "ci": "jenkins"}"#,
    );
    case(
        "mislabelled",
        "FAILED tests/test_a.py::test_b - assert 1 == 2\nexit: 1\n",
        r#"{"outcome": "fail", "kind": "failure/build_error", "lines": "1"}"#,
    );
    let path = dir.path().to_str().unwrap();
    let out = augur(&["eval", path, "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let eval = out.json();
    assert_eq!(eval["version"], 1);
    let overall = &eval["overall"];
    assert_eq!(overall["failed"], 2);
    assert_eq!(overall["recognised"], 2);
    assert_eq!(overall["right_kind"], 1);
    assert_eq!(overall["right_line"], 2);
    assert_eq!(overall["wrong_kind"], 1);
    assert_eq!(overall["passed"], 1);
    assert_eq!(overall["false_alarms"], 0);
    assert_eq!(eval["by_ci"]["jenkins"]["passed"], 1);
    assert_eq!(
        eval["by_kind"]["failure/validation_failure"]["predicted"],
        2
    );

    // The text names the miss; a threshold that fails exits 1 and says which.
    let out = augur(&["eval", path, "--min", "class=90"]);
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert!(out.stdout.contains("mislabelled"), "{}", out.stdout);
    assert!(
        out.stdout.contains("expected failure/build_error at 1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("class is 50.0%, under the minimum 90%"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_label_is_named_and_the_rest_measured() {
    let dir = tempfile::tempdir().unwrap();
    for (name, label) in [
        ("good", r#"{"outcome": "pass"}"#),
        (
            "bad",
            r#"{"outcome": "fail", "kind": "failure/oom", "lines": "L3"}"#,
        ),
    ] {
        let d = dir.path().join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("output.log"), "ok\n").unwrap();
        fs::write(d.join("label.json"), label).unwrap();
    }
    let out = augur(&["eval", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .contains("bad/label.json: field `lines`: `L3` is not a line number"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["overall"]["passed"], 1);
}
