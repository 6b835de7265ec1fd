//! `augur test`: a rule's cases, run through its component in the sandbox
//! with the limits it has in a pack, compared with what each case expects.
//!
//! A case is a folder under `tests/cases/`:
//!
//! - the input: `output.log` (and an optional `meta.json`), `snapshots/`,
//!   or, for a correlator, `findings.json` (the findings of a run);
//! - an optional `config.toml`: the rule's config, as in a manifest's
//!   `[rule.config]`;
//! - an optional `now.txt`: the time the rule's clock reads (RFC 3339),
//!   for a case about age; else `augur test --now`, else a fixed time;
//! - `expected.json`: the findings expected (kind, severity, title,
//!   fingerprint, evidence locators) and the fuel the case used when it was
//!   accepted.
//!
//! A case passes when the rule finds exactly the expected findings, makes
//! no error (what a run refuses, `invalid_output` and the rest, fails the
//! case too), and uses no more fuel than recorded plus the tolerance: a rule
//! that grew slower fails its tests like a rule that grew wrong. `--accept`
//! records what the rule did as the new expectation.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    contract, input,
    output::{plural, write_atomically},
    pack::{Origin, Pack},
    report::{FindingOut, Report},
    run::{self, Inputs, RunOptions},
    sandbox::Sandbox,
};

/// Where the cases of a rule live, under its folder.
pub const CASES_DIR: &str = "tests/cases";

/// The fuel a case may use over what it recorded, in percent, by default.
pub const DEFAULT_FUEL_TOLERANCE: f64 = 10.0;

/// What a case expects: `expected.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Instructions the case used when it was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    pub findings: Vec<ExpectedFinding>,
}

/// The parts of a finding a case pins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub fingerprint: String,
    /// The evidence's locators (`L12`, `L3-L9`, `/signals/lint`), in order.
    pub evidence: Vec<String>,
    /// Optional, written by hand: fields the finding's `data` must hold
    /// (an object's keys recursively, any other value exactly). `--accept`
    /// keeps it while the finding still holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ExpectedFinding {
    fn of(f: &FindingOut) -> ExpectedFinding {
        ExpectedFinding {
            kind: f.kind.clone(),
            severity: f.severity.as_str().to_owned(),
            title: f.title.clone(),
            fingerprint: f.fingerprint.clone(),
            evidence: f.evidence.iter().map(|e| e.locator.clone()).collect(),
            data: None,
        }
    }

    /// The finding without its `data`: what findings are matched by.
    fn line(&self) -> String {
        serde_json::to_string(&ExpectedFinding {
            data: None,
            ..self.clone()
        })
        .expect("serializes")
    }
}

/// Whether `got` holds `want`: every key of an object, recursively; any
/// other value, exactly. What a pinned `data` means, here and in the
/// fixture cases of whole runs.
pub fn holds(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(got), Value::Object(want)) => want
            .iter()
            .all(|(k, w)| got.get(k).is_some_and(|g| holds(g, w))),
        _ => got == want,
    }
}

/// For each expected finding with `data`, the actual finding it matches
/// (the next one with the same kind, severity, title, fingerprint and
/// evidence) and whether that one's data holds it.
fn data_checks<'a>(
    expected: &'a [ExpectedFinding],
    actual: &[ExpectedFinding],
    actual_data: &'a [Value],
) -> Vec<(&'a ExpectedFinding, Option<(usize, bool)>)> {
    let mut taken = vec![false; actual.len()];
    let mut checks = Vec::new();
    for e in expected {
        let line = e.line();
        let matched = (0..actual.len()).find(|&i| !taken[i] && actual[i].line() == line);
        if let Some(i) = matched {
            taken[i] = true;
        }
        if let Some(want) = &e.data {
            checks.push((e, matched.map(|i| (i, holds(&actual_data[i], want)))));
        }
    }
    checks
}

/// How one case went.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    /// Why it failed, line by line; empty when it passed.
    pub failures: Vec<String>,
    /// What the rule did, as an expectation (`--accept` writes it).
    pub actual: Expected,
    /// `--accept` wrote a new `expected.json`.
    pub accepted: bool,
}

/// The options of `augur test`.
#[derive(Debug, Clone)]
pub struct TestOptions {
    pub accept: bool,
    /// Percent of the recorded fuel a case may use beyond it.
    pub fuel_tolerance: f64,
}

/// The case folders under `dir/tests/cases`, sorted.
pub fn cases(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let root = dir.join(CASES_DIR);
    let entries = std::fs::read_dir(&root).map_err(|e| {
        format!(
            "{}: cannot read the cases ({e}); a case is a folder under {CASES_DIR}/ holding output.log \
             or snapshots/, and expected.json",
            root.display()
        )
    })?;
    let mut cases: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    if cases.is_empty() {
        return Err(format!("{}: no cases", root.display()));
    }
    Ok(cases)
}

/// Runs every case of `dir` through the rule at `origin`.
pub fn run_cases(
    sandbox: &Sandbox,
    origin: &Origin,
    dir: &Path,
    options: &TestOptions,
) -> Result<Vec<CaseResult>, String> {
    let mut results = Vec::new();
    let clock = std::time::UNIX_EPOCH + sandbox.run_time();
    for case in cases(dir)? {
        sandbox.set_run_time(case_clock(&case)?.unwrap_or(clock));
        let result = run_case(sandbox, origin, &case, options);
        sandbox.set_run_time(clock);
        results.push(result?);
    }
    Ok(results)
}

/// The time in a case's `now.txt`, if it has one.
fn case_clock(case: &Path) -> Result<Option<std::time::SystemTime>, String> {
    let path = case.join("now.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    crate::sandbox::parse_now(text.trim())
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn run_case(
    sandbox: &Sandbox,
    origin: &Origin,
    case: &Path,
    options: &TestOptions,
) -> Result<CaseResult, String> {
    let name = case
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut failures = Vec::new();
    let config = match std::fs::read_to_string(case.join("config.toml")) {
        Ok(text) => {
            let table: toml::Table = toml::from_str(&text)
                .map_err(|e| format!("{}: not TOML: {e}", case.join("config.toml").display()))?;
            serde_json::to_string(&table).expect("TOML is JSON")
        }
        Err(_) => "{}".to_owned(),
    };
    let inputs = case_inputs(case)?;
    let pack = Pack::single(sandbox, origin.clone(), config);
    if let Some(f) = pack.failures.first() {
        return Err(format!("{}: {}\n  hint: {}", origin, f.message, f.hint));
    }
    let options_run = RunOptions {
        timings: false,
        fail_closed: false,
        threads: 1,
        progress: None,
        prefilter: true,
    };
    let report = run::run(sandbox, &pack, &inputs, &options_run);
    // A scanner that says which lines it reads must find the same as when
    // it reads them all: an interest that misses a literal fails here.
    if pack.rules.iter().any(|r| r.component.has_prefilter()) {
        let every_line = run::run(
            sandbox,
            &pack,
            &inputs,
            &RunOptions {
                prefilter: false,
                ..options_run
            },
        );
        let keys = |r: &crate::report::Report| -> Vec<ExpectedFinding> {
            r.findings.iter().map(ExpectedFinding::of).collect()
        };
        let lost = diff(&keys(&every_line), &keys(&report));
        if !lost.is_empty() {
            failures.push(format!(
                "the rule's interest (the lines it says it reads) changes what it finds; \
                 declare the literals its patterns need, or more context (reading every \
                 line, then reading its interest):\n{}",
                lost.join("\n")
            ));
        }
    }
    for e in &report.errors {
        failures.push(format!(
            "error {}: {} (hint: {})",
            e.class, e.message, e.hint
        ));
    }
    for w in report.warnings.iter().filter(|w| w.rule.is_some()) {
        failures.push(format!("warning: {}", w.message));
    }
    let mut actual = Expected {
        fuel: Some(fuel_used(&report)),
        findings: report.findings.iter().map(ExpectedFinding::of).collect(),
    };
    let actual_data: Vec<Value> = report.findings.iter().map(|f| f.data.clone()).collect();
    let path = case.join("expected.json");
    let expected: Option<Expected> = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| format!("{}: not an expectation: {e}", path.display()))?,
        ),
        Err(_) => None,
    };
    // The data a case pins by hand, and whether the findings hold it. A
    // pin stays through --accept while its finding holds it.
    let pins = expected
        .as_ref()
        .map(|e| data_checks(&e.findings, &actual.findings, &actual_data))
        .unwrap_or_default();
    for (e, matched) in &pins {
        if let Some((i, true)) = matched {
            actual.findings[*i].data = e.data.clone();
        }
    }
    if options.accept {
        if expected.as_ref() != Some(&actual) {
            let mut text = serde_json::to_string_pretty(&actual).expect("serializes");
            text.push('\n');
            write_atomically(&path, text.as_bytes())
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        }
        let accepted = expected.as_ref() != Some(&actual);
        return Ok(CaseResult {
            name,
            failures,
            actual,
            accepted,
        });
    }
    match &expected {
        None => failures.push(
            "no expected.json: run `augur test --accept` to record what the rule finds".to_owned(),
        ),
        Some(expected) => {
            let differ = diff(&expected.findings, &actual.findings);
            if differ.is_empty() {
                for (e, matched) in &pins {
                    if let Some((i, false)) = matched {
                        failures.push(format!(
                            "the data of {} at {} does not hold {}: it is {}",
                            e.kind,
                            e.evidence.join(", "),
                            e.data.as_ref().map(Value::to_string).unwrap_or_default(),
                            actual_data[*i]
                        ));
                    }
                }
            }
            failures.extend(differ);
            if let (Some(recorded), Some(used)) = (expected.fuel, actual.fuel) {
                let allowed = recorded as f64 * (1.0 + options.fuel_tolerance / 100.0);
                if used as f64 > allowed {
                    failures.push(format!(
                        "fuel: the case used {used} units, {:+.1}% over the {recorded} recorded \
                         (tolerance {}%); make the rule faster, or accept the new cost with --accept",
                        (used as f64 / recorded.max(1) as f64 - 1.0) * 100.0,
                        options.fuel_tolerance
                    ));
                }
            }
        }
    }
    Ok(CaseResult {
        name,
        failures,
        actual,
        accepted: false,
    })
}

/// A finding a correlator's case gives it, in `findings.json`: a finding as
/// `augur run --format json` reports it (its other fields are ignored), and
/// the repository it concerns, which the report leaves out.
#[derive(Debug, Deserialize)]
struct GivenFinding {
    rule: String,
    input: String,
    #[serde(default)]
    repo: Option<String>,
    kind: String,
    severity: augur_sdk::Severity,
    title: String,
    #[serde(default)]
    message: String,
    fingerprint: String,
    #[serde(default)]
    evidence: Vec<crate::report::EvidenceOut>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    data: Option<Value>,
}

impl GivenFinding {
    fn reported(self) -> contract::ReportedFinding {
        contract::ReportedFinding {
            rule: self.rule,
            input: self.input,
            repo: self.repo,
            finding: contract::WitFinding {
                kind: self.kind,
                severity: self.severity.into(),
                title: self.title,
                message: self.message,
                fingerprint: self.fingerprint,
                evidence: self.evidence.into_iter().map(Into::into).collect(),
                actions: self.actions,
                data: self
                    .data
                    .unwrap_or_else(|| Value::Object(Default::default()))
                    .to_string(),
            },
        }
    }
}

/// `findings.json`: a list of findings, or a report holding them (the
/// output of `augur run --format json`).
fn given_findings(path: &Path) -> Result<Vec<contract::ReportedFinding>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    let list = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut report)) => report.remove("findings").unwrap_or(Value::Null),
        Ok(list) => list,
        Err(e) => return Err(format!("{}: not JSON: {e}", path.display())),
    };
    let given: Vec<GivenFinding> = serde_path_to_error::deserialize(list).map_err(|e| {
        format!(
            "{}: at `{}`: {}; give a list of findings as `augur run --format json` reports them \
             (rule, input, kind, severity, title, fingerprint, evidence), each with an optional `repo`, \
             or such a report",
            path.display(),
            e.path(),
            e.inner()
        )
    })?;
    Ok(given.into_iter().map(GivenFinding::reported).collect())
}

/// A case's inputs, named relative to the case (`output.log`,
/// `snapshots/a.json`) so that what a rule derives from names is the same
/// wherever the case is.
fn case_inputs(case: &Path) -> Result<Inputs, String> {
    let mut problems = Vec::new();
    let log = case.join("output.log");
    let snapshots = case.join("snapshots");
    let given = case.join("findings.json");
    let mut jobs = Vec::new();
    let mut series = Vec::new();
    let findings = if given.is_file() {
        given_findings(&given)?
    } else {
        Vec::new()
    };
    if log.is_file() {
        // The log itself (with the meta.json beside it), not the folder:
        // the case's other files are not logs.
        jobs = input::load_jobs(
            std::slice::from_ref(&log),
            &mut std::io::empty(),
            &mut problems,
        );
        for job in &mut jobs {
            job.source = relative_to(case, &job.source);
        }
    }
    if snapshots.is_dir() {
        series = input::load_snapshots(&[snapshots], &mut problems);
        for s in &mut series {
            for x in &mut s.snapshots {
                x.source = relative_to(case, &x.source);
            }
        }
    }
    if let Some(p) = problems
        .iter()
        .find(|p| p.severity == input::ProblemSeverity::Error)
    {
        return Err(format!("{}: {}", p.input, p.message));
    }
    if jobs.is_empty() && series.is_empty() && !given.is_file() {
        return Err(format!(
            "{}: no input: a case holds output.log (and meta.json), snapshots/, or findings.json \
             (for a correlator)",
            case.display()
        ));
    }
    Ok(Inputs {
        series,
        jobs,
        problems,
        findings,
    })
}

fn relative_to(base: &Path, source: &str) -> String {
    Path::new(source)
        .strip_prefix(base)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| source.to_owned())
}

fn fuel_used(report: &Report) -> u64 {
    report.stats.rules.iter().map(|r| r.fuel_used).sum()
}

/// The findings only one side has, one line each: `- ` expected and not
/// found, `+ ` found and not expected.
fn diff(expected: &[ExpectedFinding], actual: &[ExpectedFinding]) -> Vec<String> {
    let mut count: BTreeMap<String, i64> = BTreeMap::new();
    for f in expected {
        *count.entry(f.line()).or_default() += 1;
    }
    for f in actual {
        *count.entry(f.line()).or_default() -= 1;
    }
    let mut lines = Vec::new();
    for f in expected {
        let line = f.line();
        if let Some(n) = count.get_mut(&line)
            && *n > 0
        {
            *n -= 1;
            lines.push(format!("- {line}"));
        }
    }
    for f in actual {
        let line = f.line();
        if let Some(n) = count.get_mut(&line)
            && *n < 0
        {
            *n += 1;
            lines.push(format!("+ {line}"));
        }
    }
    lines
}

/// The results as a person reads them: a line per case, what failed under
/// it, and `N passed, N failed` last.
pub fn render(results: &[CaseResult], accept: bool) -> String {
    let mut out = String::new();
    let mut passed = 0;
    for r in results {
        if r.failures.is_empty() {
            passed += 1;
            let fuel = r.actual.fuel.unwrap_or(0);
            let what = if accept && r.accepted {
                "accepted"
            } else {
                "ok"
            };
            let _ = writeln!(
                out,
                "{what:<8} {} ({} finding{}, {fuel} fuel)",
                crate::sanitize::escape(&r.name),
                r.actual.findings.len(),
                plural(r.actual.findings.len())
            );
        } else {
            let _ = writeln!(out, "FAILED   {}", crate::sanitize::escape(&r.name));
            for f in &r.failures {
                let _ = writeln!(out, "    {}", crate::sanitize::escape(f));
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {} failed", results.len() - passed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: &str, locator: &str) -> ExpectedFinding {
        ExpectedFinding {
            kind: kind.into(),
            severity: "high".into(),
            title: "t".into(),
            fingerprint: "0".into(),
            evidence: vec![locator.into()],
            data: None,
        }
    }

    #[test]
    fn pinned_data_is_a_subset_matched_finding_by_finding() {
        use serde_json::json;
        assert!(holds(
            &json!({"class": "Timeout", "n": 2, "inner": {"a": 1, "b": 2}}),
            &json!({"class": "Timeout", "inner": {"b": 2}})
        ));
        assert!(!holds(
            &json!({"class": "Timeout"}),
            &json!({"class": "Network"})
        ));
        assert!(!holds(&json!({"n": [1, 2]}), &json!({"n": [1]})));
        assert!(!holds(&json!({}), &json!({"missing": null})));

        // The second `a/y` pins its data; it is matched to the second `a/y`
        // found, whatever the order of the others.
        let mut pinned = f("a/y", "L2");
        pinned.data = Some(json!({"n": 2}));
        let expected = [f("a/y", "L2"), pinned, f("a/x", "L1")];
        let actual = [f("a/x", "L1"), f("a/y", "L2"), f("a/y", "L2")];
        let data = [json!({}), json!({"n": 1}), json!({"n": 2, "m": 0})];
        let checks = data_checks(&expected, &actual, &data);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].1, Some((2, true)));
        let data = [json!({}), json!({"n": 1}), json!({"n": 3})];
        assert_eq!(
            data_checks(&expected, &actual, &data)[0].1,
            Some((2, false))
        );
    }

    #[test]
    fn a_correlators_case_takes_a_list_of_findings_or_a_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("findings.json");
        let finding = serde_json::json!({
            "rule": "api-errors", "rule_source": {"builtin": "api-errors"},
            "input": "jobs/a.log", "repo": "org/a", "kind": "api_error/rate_limit",
            "severity": "medium", "title": "Rate limited", "fingerprint": "ab12",
            "evidence": [{"source": "jobs/a.log", "locator": "L3", "excerpt": "429"}],
        });
        for text in [
            serde_json::json!([finding]),
            serde_json::json!({"version": 1, "findings": [finding], "stats": {}}),
        ] {
            std::fs::write(&path, text.to_string()).unwrap();
            let given = given_findings(&path).unwrap();
            assert_eq!(given.len(), 1);
            assert_eq!(given[0].repo.as_deref(), Some("org/a"));
            assert_eq!(given[0].finding.severity, contract::WitSeverity::Medium);
            assert_eq!(given[0].finding.evidence[0].locator, "L3");
            assert_eq!(given[0].finding.data, "{}");
        }
        std::fs::write(&path, r#"[{"rule": "r", "input": "i"}]"#).unwrap();
        let error = given_findings(&path).unwrap_err();
        assert!(
            error.contains("at `[0]`") && error.contains("kind"),
            "{error}"
        );
    }

    #[test]
    fn a_case_may_set_its_clock() {
        let case = tempfile::tempdir().unwrap();
        assert_eq!(case_clock(case.path()), Ok(None));
        std::fs::write(case.path().join("now.txt"), "2026-06-01T12:00:00Z\n").unwrap();
        let at = case_clock(case.path()).unwrap().unwrap();
        let since = at.duration_since(std::time::UNIX_EPOCH).unwrap();
        assert_eq!(since.as_secs(), 1_780_315_200);
        std::fs::write(case.path().join("now.txt"), "June 1st").unwrap();
        let error = case_clock(case.path()).unwrap_err();
        assert!(
            error.contains("now.txt") && error.contains("RFC 3339"),
            "{error}"
        );
    }

    #[test]
    fn the_diff_shows_only_what_differs_counting_repeats() {
        let expected = [f("a/x", "L1"), f("a/y", "L2"), f("a/y", "L2")];
        let actual = [f("a/y", "L2"), f("a/z", "L3")];
        let lines = diff(&expected, &actual);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with("- ") && lines[0].contains("a/x"));
        assert!(lines[1].starts_with("- ") && lines[1].contains("a/y"));
        assert!(lines[2].starts_with("+ ") && lines[2].contains("a/z"));
        assert!(diff(&expected, &expected).is_empty());
    }
}
