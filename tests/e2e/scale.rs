//! Inputs at scale: long series must work (and stay fast; the timings are
//! printed for `bench/derivers.sh`, never asserted).

use std::fmt::Write as _;

use serde_json::Value;

use crate::util::{augur, calls, finding_keys, guest, root, s, write_pack};

/// 10,000 snapshots of one repository, one every 10 minutes from 2026-01-01:
/// lint climbing from 1000 to 1499 around one file always at the top, type
/// errors flat, a rejected high-confidence `lint_fix` proposal every 100
/// snapshots, and 55% coverage. Returns the folder and the newest time.
fn long_series(dir: &std::path::Path, n: usize) -> String {
    let start = 1_767_225_600i64; // 2026-01-01T00:00:00Z
    let at = |i: usize| {
        let t = time::OffsetDateTime::from_unix_timestamp(start + 600 * i as i64).unwrap();
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    for i in 0..n {
        let mut proposals = String::new();
        if i % 100 == 0 {
            write!(
                proposals,
                r#", "proposals": [{{"id": "p{i}", "family": "lint_fix", "created_at": "{}", "outcome": "rejected", "confidence": "high"}}]"#,
                at(i)
            )
            .unwrap();
        }
        let doc = format!(
            r#"{{"schema": "augur.snapshot/v1", "repo": "org/long", "observed_at": "{}", "signals": {{"lint": {{"count": {}, "top_files": [{{"path": "src/hot.py", "count": 90}}, {{"path": "src/m{}.py", "count": 10}}]}}, "types": {{"count": 50}}, "coverage": {{"percent": 55.0}}{proposals}}}}}"#,
            at(i),
            1000 + i / 20,
            i % 7
        );
        std::fs::write(dir.join(format!("{i:05}.json")), doc).unwrap();
    }
    at(n - 1)
}

#[test]
fn ten_thousand_snapshots_of_one_repository() {
    let dir = tempfile::tempdir().unwrap();
    let newest = long_series(dir.path(), 10_000);
    let now = newest.replace("T10:30:00Z", "T11:00:00Z");
    let out = augur(&[
        "run",
        "--snapshots",
        dir.path().to_str().unwrap(),
        "--now",
        &now,
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "{:#}",
        report["errors"]
    );
    assert_eq!(report["warnings"], serde_json::json!([]));
    let kinds: Vec<String> = finding_keys(&report).into_iter().map(|k| k.1).collect();
    assert_eq!(
        kinds,
        [
            "calibration/over_confident",
            "coverage_gap/low_overall",
            "noop_loop/family_cycling",
            "quality_trend/lint_degrading",
            "quality_trend/stagnant",
            "theme/lint_cluster",
        ]
    );
    let finding = |kind: &str| -> &Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap()
    };
    let trend = &finding("quality_trend/lint_degrading")["data"];
    assert_eq!(
        (&trend["oldest_count"], &trend["newest_count"]),
        (&1000.into(), &1499.into())
    );
    let theme = &finding("theme/lint_cluster")["data"];
    assert_eq!(theme["file"], "src/hot.py");
    assert_eq!(theme["consecutive_snapshots"], 10_000);
    let calibration = &finding("calibration/over_confident")["data"];
    assert_eq!(
        (&calibration["n"], &calibration["accepted"]),
        (&100.into(), &0.into())
    );
    // The 14 days up to snapshot 9999 start just before snapshot 7983: the
    // proposals of snapshots 8000, 8100, ..., 9900 are in the window.
    let noop = &finding("noop_loop/family_cycling")["data"];
    assert_eq!(noop["proposals_in_window"], 20);

    for rule in report["stats"]["rules"].as_array().unwrap() {
        eprintln!(
            "{:<18} {:>8.1} ms  {:>14} fuel",
            s(&rule["rule"]),
            rule["wall_time_ms"].as_f64().unwrap_or(0.0),
            rule["fuel_used"]
        );
    }
}

#[test]
fn a_50_mb_line_is_read_in_pieces_and_the_failure_after_it_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("minified.log");
    let mut text = String::from("$ pytest -q\n");
    text.push_str(&"x".repeat(50 * 1000 * 1000));
    text.push_str("\nE       AssertionError: assert 1 == 2\nFAILED tests/test_a.py::test_one - AssertionError\nexit: 1\n");
    std::fs::write(&log, text).unwrap();
    let out = augur(&["run", "--jobs", log.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(
        report["errors"],
        serde_json::json!([]),
        "{:#}",
        report["errors"]
    );
    let found = |rule: &str| -> Value {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding: {:#}", report["findings"]))
            .clone()
    };
    let failure = found("failure-class");
    assert_eq!(failure["kind"], "failure/validation_failure");
    // The failing test's assertion, the first line that names the failure.
    assert_eq!(failure["evidence"][0]["locator"], "L3");
    let category = found("error-category");
    assert_eq!(category["kind"], "error_category/assertion_failure");
    assert_eq!(category["data"]["line"], 4);
    // The line's pieces came in windows of `window_bytes` (8 MiB): each
    // log scanner made one `scan` per window and one `finish`.
    assert!(
        calls(&report, "failure-class") >= 7,
        "{:#}",
        report["stats"]
    );
    // What a finding quotes of the long line is an excerpt, not 50 MB.
    assert!(report.to_string().len() < 1 << 20);
}

/// A pack of the built-in `rules` that reads logs in windows of `window`
/// bytes (8 lines of overlap), or whole with `None`; `tail` ends the
/// manifest (the last rule's config).
fn windowed_pack(
    dir: &std::path::Path,
    window: Option<usize>,
    rules: &[&str],
    tail: &str,
) -> std::path::PathBuf {
    let path = dir.join(format!("pack-{window:?}.toml"));
    let mut manifest = String::new();
    if let Some(bytes) = window {
        write!(
            manifest,
            "[limits]\nwindow_bytes = {bytes}\nwindow_overlap_lines = 8\n\n"
        )
        .unwrap();
    }
    for rule in rules {
        write!(manifest, "[[rule]]\nbuiltin = \"{rule}\"\n\n").unwrap();
    }
    manifest.push_str(tail);
    std::fs::write(&path, manifest).unwrap();
    path
}

#[test]
fn small_windows_give_the_same_findings_as_whole_logs() {
    let dir = tempfile::tempdir().unwrap();
    let pack = |window: Option<usize>| {
        windowed_pack(
            dir.path(),
            window,
            &[
                "failure-class",
                "error-category",
                "postflight",
                "quality-erosion",
            ],
            "[rule.config]\nallowed_paths = [\"src/**\"]\n",
        )
    };
    let run = |window: Option<usize>| {
        let pack = pack(window);
        let mut args = vec!["run", "--pack", pack.to_str().unwrap()];
        let logs = crate::util::case_inputs("failure-class", "output.log");
        for log in &logs {
            args.extend(["--jobs", log]);
        }
        args.extend([
            "--jobs",
            "tests/fixtures/classifier-logs/jobs",
            "--format",
            "json",
            "--no-timings",
        ]);
        let out = augur(&args);
        assert_eq!(out.status, 0, "{}", out.stderr);
        out.json()
    };
    let whole = run(None);
    let windowed = run(Some(1024));
    assert_eq!(whole["errors"], serde_json::json!([]));
    assert_eq!(windowed["errors"], serde_json::json!([]));
    assert!(finding_keys(&whole).len() > 50);
    assert_eq!(whole["findings"], windowed["findings"]);
    // The corpus's longer logs took several windows.
    assert!(calls(&windowed, "postflight") > calls(&whole, "postflight"));
}

/// The real CI logs of `tests/corpus` read in 64 KiB windows: the CI
/// reader's steps and outcome, and each class's first line, carry across
/// windows, so the findings are those of whole logs.
#[test]
fn real_logs_in_windows_give_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut logs: Vec<String> = Vec::new();
    let mut stack = vec![root().join("tests/corpus")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "output.log") {
                logs.push(path.to_str().unwrap().to_owned());
            }
        }
    }
    logs.sort();
    assert!(logs.len() >= 200, "{} logs", logs.len());
    let run = |window: Option<usize>| {
        let rules = ["failure-class", "error-category", "postflight"];
        let path = windowed_pack(dir.path(), window, &rules, "");
        let mut args = vec!["run", "--pack", path.to_str().unwrap()];
        for log in &logs {
            args.extend(["--jobs", log.as_str()]);
        }
        args.extend(["--format", "json", "--no-timings"]);
        let out = augur(&args);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let report = out.json();
        assert_eq!(report["errors"], serde_json::json!([]));
        report
    };
    let whole = run(None);
    let windowed = run(Some(64 * 1024));
    assert_eq!(whole["findings"], windowed["findings"]);
    assert!(calls(&windowed, "failure-class") > calls(&whole, "failure-class"));
}

/// Every job output in the repository: the real CI logs of `tests/corpus`,
/// the fixture logs and the examples.
fn every_log() -> Vec<String> {
    let mut logs: Vec<String> = Vec::new();
    let mut stack = vec![
        root().join("tests/corpus"),
        root().join("tests/fixtures"),
        // The built-ins' own cases.
        root().join("plugins"),
        root().join("examples/jobs"),
    ];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                logs.push(path.to_str().unwrap().to_owned());
            }
        }
    }
    logs.sort();
    logs
}

/// The built-in log scanners that declare which lines they read.
const DECLARE_AN_INTEREST: &[&str] = &["postflight"];

/// The log scanners that declare an interest get each window with the
/// lines they did not ask for emptied: over every log in the repository,
/// in the default windows and in small ones (context carried across
/// windows), the findings are those of reading every line.
#[test]
fn the_prefilter_gives_the_same_findings_on_every_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let logs = every_log();
    assert!(logs.len() >= 250, "{} logs", logs.len());
    let scanners = [
        "api-errors",
        "error-category",
        "failure-class",
        "postflight",
    ];
    let run = |window: Option<usize>, prefilter: bool| {
        let path = windowed_pack(dir.path(), window, &scanners, "");
        let mut args = vec!["run", "--pack", path.to_str().unwrap()];
        for log in &logs {
            args.extend(["--jobs", log.as_str()]);
        }
        args.extend([
            "--format",
            "json",
            "--no-timings",
            "--now",
            "2026-11-20T14:00:00Z",
        ]);
        if !prefilter {
            args.push("--no-prefilter");
        }
        let out = augur(&args);
        assert!(out.status == 0 || out.status == 2, "{}", out.stderr);
        out.json()
    };
    for window in [None, Some(16 * 1024)] {
        let every_line = run(window, false);
        let prefiltered = run(window, true);
        assert!(finding_keys(&every_line).len() > 300);
        assert_eq!(prefiltered["errors"], every_line["errors"], "{window:?}");
        let (a, b) = (
            prefiltered["findings"].as_array().unwrap(),
            every_line["findings"].as_array().unwrap(),
        );
        for (p, e) in a.iter().zip(b) {
            assert_eq!(p, e, "windows {window:?}: the prefiltered finding first");
        }
        assert_eq!(a.len(), b.len(), "windows {window:?}");
        // And it did prefilter: the scanners that declare an interest ran
        // on less; the others read what they read before.
        for rule in scanners {
            let fuel = |r: &Value| {
                crate::util::rule_stats(r, rule)["fuel_used"]
                    .as_u64()
                    .unwrap()
            };
            let (less, all) = (fuel(&prefiltered), fuel(&every_line));
            if DECLARE_AN_INTEREST.contains(&rule) {
                assert!(
                    less < all,
                    "{rule}: {less} fuel prefiltered, {all} reading every line"
                );
            } else {
                assert_eq!(less, all, "{rule}");
            }
        }
    }
}

#[test]
fn an_empty_log_is_still_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("jobs/silent");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(job.join("output.log"), "").unwrap();
    std::fs::write(job.join("meta.json"), r#"{"exit_code": 1}"#).unwrap();
    // The built-in log scanners, and a classifier that is not one.
    let pack = write_pack(
        dir.path(),
        &format!(
            "[[rule]]\nbuiltin = \"failure-class\"\n\n[[rule]]\nbuiltin = \"postflight\"\n\n[[rule]]\npath = {:?}\n",
            guest("contract-0-1-0")
        ),
    );
    let jobs = dir.path().join("jobs");
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--jobs",
        jobs.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["errors"], serde_json::json!([]));
    let rules: Vec<String> = finding_keys(&report).into_iter().map(|k| k.0).collect();
    assert_eq!(rules, ["contract-0-1-0", "failure-class", "postflight"]);
    assert!(s(&report["findings"][1]["message"]).contains("printed nothing"));
    // The plain classifier was called once, on the empty log; each log
    // scanner for its one (empty) window and its finish.
    assert_eq!(calls(&report, "contract-0-1-0"), 1);
    assert_eq!(calls(&report, "failure-class"), 2);
}

#[test]
fn a_large_log_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let pack = write_pack(
        dir.path(),
        "[[rule]]\nbuiltin = \"failure-class\"\n\n[[rule]]\nbuiltin = \"quality-erosion\"\n",
    );
    // The same lines, 1 MB and 128 MB of them, ending the same way.
    let write_log = |name: &str, mib: usize| {
        let path = dir.path().join(name);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block = "tests/test_sync.py::test_drain PASSED                       [ 42%]\n\
                     2026-11-20T10:00:00.1234567Z step 17/40: uploading artifact shard\n"
            .repeat(1 << 10);
        for _ in 0..(mib << 20) / block.len() {
            std::io::Write::write_all(&mut out, block.as_bytes()).unwrap();
        }
        std::io::Write::write_all(&mut out, b"Killed\nexit: 137\n").unwrap();
        path
    };
    let peak = |log: &std::path::Path| {
        let (out, peak_kib) = crate::util::augur_measured(&[
            "run",
            "--pack",
            pack.to_str().unwrap(),
            "--jobs",
            log.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let report = out.json();
        assert_eq!(report["errors"], serde_json::json!([]));
        assert_eq!(s(&report["findings"][0]["kind"]), "failure/oom");
        peak_kib / 1024
    };
    let small = peak(&write_log("small.log", 1));
    let large = peak(&write_log("large.log", 128));
    eprintln!("peak resident memory: {small} MiB over 1 MiB of log, {large} MiB over 128 MiB");
    // Holding the log would add 128 MiB (and more, for the copies a call
    // makes); windows add nothing that grows with it.
    assert!(
        large < small + 48,
        "peak {large} MiB for 128 MiB of log, {small} MiB for 1 MiB"
    );
}
