//! The command-line contract: subcommands, formats, exit status, output file.

use serde_json::Value;

use crate::util::{augur, augur_in, finding_keys, root, s, write_pack};

/// The run time the README's quick start uses: acme/api's newest snapshot
/// is then 5 hours old (stale), acme/web's 2 hours (not yet).
const EXAMPLES_NOW: &str = "2026-11-20T14:00:00Z";

fn keys(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn rules_lists_the_builtin_pack() {
    let out = augur(&["rules", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc = out.json();
    let rules = doc["rules"].as_array().unwrap();
    let summary: Vec<(String, Value)> = rules
        .iter()
        .map(|r| (s(&r["id"]), r["runs_on"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("api-errors".to_string(), serde_json::json!(["jobs"])),
            ("calibration".to_string(), serde_json::json!(["snapshots"])),
            ("coverage-gap".to_string(), serde_json::json!(["snapshots"])),
            (
                "cross-repo-patterns".to_string(),
                serde_json::json!(["findings"])
            ),
            ("error-category".to_string(), serde_json::json!(["jobs"])),
            ("failure-class".to_string(), serde_json::json!(["jobs"])),
            ("noop-loop".to_string(), serde_json::json!(["snapshots"])),
            ("postflight".to_string(), serde_json::json!(["jobs"])),
            ("quality-erosion".to_string(), serde_json::json!(["jobs"])),
            (
                "quality-trend".to_string(),
                serde_json::json!(["snapshots"])
            ),
            ("staleness".to_string(), serde_json::json!(["snapshots"])),
            (
                "systemic-patterns".to_string(),
                serde_json::json!(["findings"])
            ),
            (
                "theme-aggregation".to_string(),
                serde_json::json!(["snapshots"])
            ),
        ]
    );
    let quality_trend = &rules[9];
    assert!(
        quality_trend["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "quality_trend/stagnant")
    );
    assert_eq!(
        quality_trend["config_schema"]["properties"]["threshold_percent"]["default"],
        10.0
    );

    let text = augur(&["rules"]);
    assert!(
        text.stdout
            .contains("quality-trend 0.1.0  runs on snapshots"),
        "{}",
        text.stdout
    );
}

#[test]
fn examples_give_the_documented_findings() {
    let out = augur(&[
        "run",
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--now",
        EXAMPLES_NOW,
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["version"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("coverage-gap", "coverage_gap/low_overall", "acme/api"),
            ("noop-loop", "noop_loop/family_cycling", "acme/api"),
            ("quality-trend", "quality_trend/lint_degrading", "acme/api"),
            ("quality-trend", "quality_trend/stagnant", "acme/api"),
            ("staleness", "observer/stale_snapshot", "acme/api"),
            ("theme-aggregation", "theme/lint_cluster", "acme/api"),
            ("theme-aggregation", "theme/lint_cluster", "acme/api"),
            ("theme-aggregation", "theme/type_cluster", "acme/api"),
            ("quality-trend", "quality_trend/lint_improving", "acme/web"),
            ("quality-trend", "quality_trend/stagnant", "acme/web"),
            ("theme-aggregation", "theme/lint_cluster", "acme/web"),
            (
                "api-errors",
                "api_error/rate_limit",
                "examples/jobs/agent-rate-limited/output.log"
            ),
            (
                "error-category",
                "error_category/network_error",
                "examples/jobs/agent-rate-limited/output.log"
            ),
            (
                "failure-class",
                "failure/model_error",
                "examples/jobs/agent-rate-limited/output.log"
            ),
            (
                "postflight",
                "postflight/report",
                "examples/jobs/agent-rate-limited/output.log"
            ),
            (
                "postflight",
                "postflight/report",
                "examples/jobs/build-green/output.log"
            ),
            (
                "api-errors",
                "api_error/timeout",
                "examples/jobs/codex-timeout.log"
            ),
            (
                "error-category",
                "error_category/timeout",
                "examples/jobs/codex-timeout.log"
            ),
            (
                "failure-class",
                "failure/model_error",
                "examples/jobs/codex-timeout.log"
            ),
            (
                "postflight",
                "postflight/report",
                "examples/jobs/codex-timeout.log"
            ),
            (
                "postflight",
                "postflight/report",
                "examples/jobs/deploy-healthcheck/output.log"
            ),
        ])
    );
    assert_eq!(report["errors"], serde_json::json!([]));
    let f = &report["findings"][2];
    assert_eq!(f["rule"], "quality-trend");
    for field in [
        "rule",
        "kind",
        "severity",
        "title",
        "message",
        "fingerprint",
        "input",
        "evidence",
        "actions",
        "data",
    ] {
        assert!(f.get(field).is_some(), "finding lacks `{field}`: {f:#}");
    }
    assert_eq!(
        f["evidence"][0]["source"],
        "examples/snapshots/acme-api/1.json"
    );
    let stats = &report["stats"]["rules"];
    for rule in stats.as_array().unwrap() {
        assert!(rule["fuel_used"].as_u64().unwrap() > 0, "{rule:#}");
        assert!(rule["wall_time_ms"].as_f64().is_some(), "{rule:#}");
    }
    assert_eq!(
        report["stats"]["inputs"],
        serde_json::json!({"repositories": 2, "snapshots": 7, "jobs": 4})
    );
}

#[test]
fn same_inputs_give_byte_identical_output() {
    let args = [
        "run",
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--now",
        EXAMPLES_NOW,
        "--format",
        "json",
        "--no-timings",
    ];
    let a = augur(&args);
    let b = augur(&args);
    assert_eq!(a.status, 0);
    assert!(!a.stdout.contains("wall_time_ms"));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn the_report_is_the_same_whatever_the_thread_count() {
    // Real CI logs (many jobs, each read by every classifier) and one large
    // log (fewer jobs than threads: its classifiers share the threads).
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.log");
    let mut text = String::new();
    for i in 0..40_000 {
        text.push_str(&format!("step {i}: compiling module_{i}.rs\n"));
    }
    text.push_str("error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\n");
    text.push_str("FAILED tests/test_api.py::test_get - AssertionError: assert 1 == 2\n");
    std::fs::write(&big, text).unwrap();
    let big = big.to_str().unwrap();
    // Small windows: the large log is read in many of them.
    let mut manifest = String::from("[limits]\nwindow_bytes = 65536\n");
    for rule in [
        "api-errors",
        "error-category",
        "failure-class",
        "postflight",
        "quality-erosion",
    ] {
        manifest.push_str(&format!("\n[[rule]]\nbuiltin = \"{rule}\"\n"));
    }
    let pack = write_pack(dir.path(), &manifest);
    let pack = pack.to_str().unwrap();
    for inputs in [
        vec![
            "--jobs",
            "tests/corpus",
            "--snapshots",
            "examples/snapshots",
        ],
        vec!["--jobs", big, "--pack", pack],
    ] {
        let run = |threads: &str| {
            let mut args = vec![
                "run",
                "--now",
                EXAMPLES_NOW,
                "--format",
                "json",
                "--no-timings",
                "--threads",
                threads,
            ];
            args.extend(&inputs);
            augur(&args)
        };
        let one = run("1");
        assert_eq!(one.status, 0, "{}", one.stderr);
        for threads in ["2", "5"] {
            let many = run(threads);
            assert_eq!(many.status, 0, "{}", many.stderr);
            assert!(
                one.stdout == many.stdout,
                "--threads {threads} changed the report over {inputs:?}"
            );
        }
    }
    let zero = augur(&["run", "--jobs", "examples/jobs", "--threads", "0"]);
    assert_eq!(zero.status, 2);
}

#[test]
fn text_output_is_plain_when_piped() {
    let out = augur(&[
        "run",
        "--snapshots",
        "examples/snapshots",
        "--now",
        EXAMPLES_NOW,
    ]);
    assert_eq!(out.status, 0);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "ANSI escapes in piped output"
    );
    assert!(out.stdout.starts_with("acme/api\n"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("11 findings (8 medium, 2 low, 1 info) · 0 errors"),
        "{}",
        out.stdout
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let none = augur(&["run"]);
    assert_eq!(none.status, 2);
    assert!(
        none.stderr.contains("nothing to analyse"),
        "{}",
        none.stderr
    );

    let pack = augur(&[
        "run",
        "--pack",
        "no/such/pack.toml",
        "--jobs",
        "examples/jobs",
    ]);
    assert_eq!(pack.status, 2);
    assert!(
        pack.stderr
            .contains("no/such/pack.toml: no such file or directory"),
        "{}",
        pack.stderr
    );

    let format = augur(&["run", "--jobs", "examples/jobs", "--format", "yaml"]);
    assert_eq!(format.status, 2);
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    std::fs::write(&file, "previous").unwrap();
    let out = augur(&[
        "run",
        "--jobs",
        "examples/jobs",
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 10);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temporary file was left behind"
    );
}

#[test]
fn standard_input_is_a_job() {
    let out = augur_in(
        &root(),
        &["run", "--jobs", "-", "--format", "json"],
        b"claude\nAPI Error: Overloaded\n",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        finding_keys(&out.json()),
        keys(&[
            ("api-errors", "api_error/overloaded", "-"),
            ("failure-class", "failure/model_error", "-"),
            ("postflight", "postflight/report", "-")
        ])
    );
}

#[test]
fn now_sets_the_clock_rules_read() {
    let stale = |now: &str| {
        let out = augur(&[
            "run",
            "--snapshots",
            "examples/snapshots",
            "--now",
            now,
            "--format",
            "json",
        ]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let report = out.json();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "observer/stale_snapshot")
            .map(|f| {
                (
                    f["input"].as_str().unwrap().to_owned(),
                    f["data"]["age_hours"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        stale("2026-11-20T13:00:00Z"),
        [("acme/api".into(), serde_json::json!(4.0))]
    );
    assert_eq!(
        stale("2026-11-20T14:00:01+00:00"),
        [
            ("acme/api".into(), serde_json::json!(5.0)),
            ("acme/web".into(), serde_json::json!(2.0))
        ]
    );
    assert_eq!(stale("2026-11-20T10:30:00Z"), []);

    let bad = augur(&[
        "run",
        "--snapshots",
        "examples/snapshots",
        "--now",
        "yesterday",
    ]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("not an RFC 3339 time"),
        "{}",
        bad.stderr
    );
}
