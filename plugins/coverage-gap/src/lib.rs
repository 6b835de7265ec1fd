//! coverage-gap: is the newest snapshot of a repository short of test
//! coverage?
//!
//! Only the newest snapshot counts: coverage is a state, not a trend, and an
//! older report may describe code that is gone. Below `min_percent` overall
//! gives `coverage_gap/low_overall`; `min_uncovered_files` or more files with
//! no coverage at all gives `coverage_gap/uncovered_files`, listing them. A
//! newest snapshot without a coverage signal says nothing: the observer only
//! collects coverage when a report exists, so its absence is not a gap.

use augur_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const LOW_OVERALL: &str = "coverage_gap/low_overall";
pub const UNCOVERED_FILES: &str = "coverage_gap/uncovered_files";

/// Files named one by one in a finding's evidence; `data` lists them all.
const EVIDENCE_FILES: usize = 20;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Overall coverage, in percent, below which the repository has a gap.
    pub min_percent: f64,
    /// Uncovered files from which they are reported.
    pub min_uncovered_files: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_percent: 60.0,
            min_uncovered_files: 3,
        }
    }
}

pub struct CoverageGap;

impl Rule for CoverageGap {
    type Config = Config;
    const ID: &'static str = "coverage-gap";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Low overall test coverage, and files with none, in a repository's newest snapshot";
    const KINDS: &'static [&'static str] = &[LOW_OVERALL, UNCOVERED_FILES];
}

impl Deriver for CoverageGap {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if !(config.min_percent.is_finite() && (0.0..=100.0).contains(&config.min_percent)) {
            return Err(RuleError::InvalidConfig(format!(
                "min_percent must be between 0 and 100, got {}",
                config.min_percent
            )));
        }
        if config.min_uncovered_files == 0 {
            return Err(RuleError::InvalidConfig(
                "min_uncovered_files must be at least 1".into(),
            ));
        }
        let Some(newest) = series.last() else {
            return Ok(Vec::new());
        };
        let Some(coverage) = &newest.signals.coverage else {
            return Ok(Vec::new());
        };
        let repo = &newest.repo;
        let mut findings = Vec::new();

        if let Some(percent) = coverage.percent.filter(|p| *p < config.min_percent) {
            let mut finding = Finding::new(
                LOW_OVERALL,
                if percent < config.min_percent / 2.0 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "Test coverage in {repo} is {percent:.1}%, below {}%",
                    config.min_percent
                ),
            )
            .message(format!(
                "The newest snapshot of {repo} ({}) reports {percent:.1}% overall coverage; the \
                 threshold is {}%.",
                newest.observed_at, config.min_percent
            ))
            .fingerprint(fingerprint(&[CoverageGap::ID, LOW_OVERALL, repo]))
            .evidence(Evidence::at_pointer(
                newest,
                "/signals/coverage/percent",
                format!("{percent}"),
            ))
            .data(json!({
                "percent": percent,
                "min_percent": config.min_percent,
                "observed_at": newest.observed_at,
            }));
            if !coverage.uncovered_files.is_empty() {
                let first: Vec<&str> = coverage
                    .uncovered_files
                    .iter()
                    .take(3)
                    .map(String::as_str)
                    .collect();
                finding = finding.action(format!(
                    "Start with the files that have no tests at all: {}",
                    first.join(", ")
                ));
            }
            findings.push(
                finding
                    .action("Gate coverage in CI so it cannot fall further (fail under the current figure)")
                    .action("Keep the coverage report (coverage.xml) as a CI artifact so each snapshot carries it"),
            );
        }

        let uncovered = &coverage.uncovered_files;
        if uncovered.len() >= config.min_uncovered_files {
            let mut finding = Finding::new(
                UNCOVERED_FILES,
                Severity::Low,
                format!("{} files in {repo} have no test coverage", uncovered.len()),
            )
            .message(format!(
                "The newest snapshot of {repo} ({}) lists {} files without coverage: {}.",
                newest.observed_at,
                uncovered.len(),
                list(uncovered, 10)
            ))
            .fingerprint(fingerprint(&[CoverageGap::ID, UNCOVERED_FILES, repo]));
            for (i, file) in uncovered.iter().enumerate().take(EVIDENCE_FILES) {
                finding = finding.evidence(Evidence::at_pointer(
                    newest,
                    &format!("/signals/coverage/uncovered_files/{i}"),
                    file.clone(),
                ));
            }
            findings.push(
                finding
                    .action(format!(
                        "Add a first test for each of: {}",
                        list(uncovered, 3)
                    ))
                    .action("Require a test with every new file in review")
                    .data(json!({
                        "uncovered_files": uncovered,
                        "count": uncovered.len(),
                        "min_uncovered_files": config.min_uncovered_files,
                        "observed_at": newest.observed_at,
                    })),
            );
        }
        Ok(findings)
    }
}

/// The first `n` items, and how many more.
fn list(items: &[String], n: usize) -> String {
    let shown: Vec<&str> = items.iter().take(n).map(String::as_str).collect();
    match items.len().saturating_sub(n) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

augur_sdk::export_deriver!(CoverageGap);

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(at: &str, coverage: Option<serde_json::Value>) -> Snapshot {
        let mut signals = serde_json::Map::new();
        if let Some(c) = coverage {
            signals.insert("coverage".into(), c);
        }
        let doc = json!({"repo": "acme/api", "observed_at": at, "signals": signals});
        Snapshot::from_json(&format!("{at}.json"), &doc.to_string()).unwrap()
    }

    fn derive(series: &[Snapshot]) -> Vec<Finding> {
        CoverageGap::derive(series, &Config::default()).unwrap()
    }

    #[test]
    fn low_overall_and_uncovered_files_from_the_newest_snapshot() {
        let series = [
            snap("2026-01-01T00:00:00Z", Some(json!({"percent": 80.0}))),
            snap(
                "2026-01-02T00:00:00Z",
                Some(json!({"percent": 59.9, "uncovered_files": ["a.py", "b.py", "c.py"]})),
            ),
        ];
        let findings = derive(&series);
        let kinds: Vec<&str> = findings.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(kinds, [LOW_OVERALL, UNCOVERED_FILES]);
        assert_eq!(findings[0].data["percent"], 59.9);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(findings[1].evidence.len(), 3);
        assert_eq!(
            findings[1].evidence[2].locator,
            "/signals/coverage/uncovered_files/2"
        );
        assert_eq!(findings[1].data["count"], 3);
        assert!(findings.iter().all(|f| !f.actions.is_empty()));
    }

    #[test]
    fn at_the_thresholds_there_is_no_gap() {
        let series = [snap(
            "t",
            Some(json!({"percent": 60.0, "uncovered_files": ["a.py", "b.py"]})),
        )];
        assert!(derive(&series).is_empty());
    }

    #[test]
    fn only_the_newest_snapshot_counts() {
        let series = [
            snap("2026-01-01T00:00:00Z", Some(json!({"percent": 10.0}))),
            snap("2026-01-02T00:00:00Z", Some(json!({"percent": 75.0}))),
        ];
        assert!(derive(&series).is_empty());
        // An older report does not stand in for a missing one.
        let series = [
            snap("2026-01-01T00:00:00Z", Some(json!({"percent": 10.0}))),
            snap("2026-01-02T00:00:00Z", None),
        ];
        assert!(derive(&series).is_empty());
    }

    #[test]
    fn no_coverage_signal_says_nothing() {
        assert!(derive(&[snap("t", None)]).is_empty());
        assert!(derive(&[]).is_empty());
        // Files listed but no overall figure: only the files are judged.
        let kinds: Vec<String> = derive(&[snap(
            "t",
            Some(json!({"uncovered_files": ["a", "b", "c", "d"]})),
        )])
        .into_iter()
        .map(|f| f.kind)
        .collect();
        assert_eq!(kinds, [UNCOVERED_FILES]);
    }

    #[test]
    fn very_low_coverage_is_high_severity() {
        let findings = derive(&[snap("t", Some(json!({"percent": 12.0})))]);
        assert_eq!(findings[0].severity, Severity::High);
    }

    #[test]
    fn rejects_a_threshold_outside_0_to_100() {
        let config = Config {
            min_percent: 160.0,
            ..Config::default()
        };
        assert!(matches!(
            CoverageGap::derive(&[], &config),
            Err(RuleError::InvalidConfig(_))
        ));
    }
}
