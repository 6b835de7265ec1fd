//! The fixture harness. Each folder under `tests/fixtures/` is one case: its
//! inputs (snapshots, logs, maybe a pack manifest) and a `case.json` that
//! says how to run `augur` and which findings, errors and warnings must come
//! out. Adding a case is adding data.
//!
//! `case.json`:
//! ```json
//! { "description": "what the case shows",
//!   "args": ["run", "--snapshots", "snapshots"],      // run in the case folder
//!   "exit": 0,
//!   "findings": [{"rule": "...", "kind": "...", "input": "...",
//!                 "severity": "...", "evidence": ["L3"], "data": {"subset": 1}}],
//!   "errors": [{"class": "...", "rule": "...", "input": "...",
//!               "message_contains": "field `signals.lint.count`"}],
//!   "warnings": [{"input": "..."}] }
//! ```
//! Findings must match exactly in number and order (rule, kind, input);
//! `severity`, `evidence` (the locators, in order) and `data` (a subset,
//! recursively, as `augur test` checks a case's pins) are
//! checked when given; so is each error's `message_contains`. `--format json --no-timings` is added to `run`.
//!
//! A built-in rule's cases of its own, under `plugins/<rule>/tests/cases/`,
//! run as an author's rule's do (`augur test`); the fixtures here are runs
//! of packs, of several rules and of bad inputs.

use std::{fs, path::Path};

use serde_json::Value;

use crate::util::{augur_in, root, s};

#[test]
fn fixtures() {
    let dir = root().join("tests/fixtures");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures in {}", dir.display());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run_case(case).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// A built-in's own cases (`plugins/<rule>/tests/cases/`) pass `augur test
/// --builtin`, exactly as an author's rule passes its cases.
#[test]
fn every_builtin_passes_its_own_cases() {
    let mut tested = Vec::new();
    for plugin in fs::read_dir(root().join("plugins")).unwrap() {
        let dir = plugin.unwrap().path();
        if !dir.join("tests/cases").is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let out = augur_in(
            &root(),
            &["test", dir.to_str().unwrap(), "--builtin", &name],
            b"",
        );
        assert_eq!(out.status, 0, "{name}:\n{}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.trim_end().ends_with(" passed, 0 failed"),
            "{name}: {}",
            out.stdout
        );
        tested.push(name);
    }
    tested.sort();
    assert!(tested.len() >= 5, "built-ins with cases: {tested:?}");
}

fn run_case(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let spec: Value = serde_json::from_str(
        &fs::read_to_string(case.join("case.json")).map_err(|e| format!("{name}: {e}"))?,
    )
    .map_err(|e| format!("{name}: case.json: {e}"))?;
    let mut args: Vec<String> = spec["args"].as_array().unwrap().iter().map(s).collect();
    if args.first().map(String::as_str) == Some("run") {
        args.extend(["--format".into(), "json".into(), "--no-timings".into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = augur_in(case, &args, b"");
    let mut problems = Vec::new();

    let want_exit = spec["exit"].as_i64().unwrap_or(0) as i32;
    if out.status != want_exit {
        problems.push(format!(
            "exit status {} (want {want_exit}); stderr: {}",
            out.status,
            out.stderr.trim()
        ));
    }
    let report: Value = match serde_json::from_str(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            return Err(format!(
                "{name}: stdout is not JSON ({e}): {}\nstderr: {}",
                out.stdout, out.stderr
            ));
        }
    };

    let got = report["findings"].as_array().cloned().unwrap_or_default();
    let want = spec["findings"].as_array().cloned().unwrap_or_default();
    let key = |f: &Value| format!("{} {} {}", s(&f["rule"]), s(&f["kind"]), s(&f["input"]));
    let got_keys: Vec<String> = got.iter().map(key).collect();
    let want_keys: Vec<String> = want.iter().map(key).collect();
    if got_keys != want_keys {
        problems.push(format!(
            "findings (rule kind input):\n  got:  {got_keys:#?}\n  want: {want_keys:#?}"
        ));
    } else {
        for (g, w) in got.iter().zip(&want) {
            check_finding(g, w, &mut problems);
        }
    }

    let error_key = |e: &Value| {
        let mut k = s(&e["class"]);
        for field in ["rule", "input"] {
            if let Some(v) = e.get(field).and_then(Value::as_str) {
                k.push_str(&format!(" {field}={v}"));
            }
        }
        k
    };
    let got_errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(error_key)
        .collect();
    let want_errors: Vec<String> = spec["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(error_key)
        .collect();
    if got_errors != want_errors {
        problems.push(format!(
            "errors:\n  got:  {got_errors:#?}\n  want: {want_errors:#?}\n  full: {:#}",
            report["errors"]
        ));
    } else {
        // Same errors: each must also say what the case says it says.
        for (got, want) in report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .zip(spec["errors"].as_array().cloned().unwrap_or_default())
        {
            if let Some(part) = want["message_contains"].as_str()
                && !s(&got["message"]).contains(part)
            {
                problems.push(format!(
                    "error message {:?} does not contain {part:?}",
                    s(&got["message"])
                ));
            }
        }
    }
    let got_warnings: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| s(&w["input"]))
        .collect();
    let want_warnings: Vec<String> = spec["warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|w| s(&w["input"]))
        .collect();
    if got_warnings != want_warnings {
        problems.push(format!(
            "warnings:\n  got:  {got_warnings:?}\n  want: {want_warnings:?}"
        ));
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}:\n  {}", problems.join("\n  ")))
    }
}

fn check_finding(got: &Value, want: &Value, problems: &mut Vec<String>) {
    let at = format!("{} {}", s(&want["kind"]), s(&want["input"]));
    if let Some(sev) = want.get("severity")
        && got["severity"] != *sev
    {
        problems.push(format!("{at}: severity {} (want {sev})", got["severity"]));
    }
    if let Some(locators) = want.get("evidence") {
        let got_locators: Vec<Value> = got["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["locator"].clone())
            .collect();
        if Value::Array(got_locators.clone()) != *locators {
            problems.push(format!(
                "{at}: evidence locators {got_locators:?} (want {locators})"
            ));
        }
    }
    if let Some(data) = want.get("data") {
        for (field, value) in data.as_object().unwrap() {
            if !got["data"]
                .get(field)
                .is_some_and(|g| augur::rule_test::holds(g, value))
            {
                problems.push(format!(
                    "{at}: data.{field} = {} (want {value})",
                    got["data"].get(field).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    for field in ["title", "message", "fingerprint"] {
        if s(&got[field]).trim().is_empty() {
            problems.push(format!("{at}: empty {field}"));
        }
    }
}
