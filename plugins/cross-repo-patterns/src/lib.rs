//! cross-repo-patterns: the same insight in several repositories at once.
//!
//! A correlator: it runs after every other rule, over what they found. When
//! findings of one kind concern `min_repositories` or more repositories in
//! one run, fixing them repository by repository repeats the same work; the
//! cause is often shared (a template, a dependency, a CI setup, a tool
//! version). That gives one `cross_repo/pattern_detected` per kind, naming
//! the repositories and citing one piece of evidence from each.
//!
//! Findings without a known repository (a job output without `repo` in its
//! `meta.json`) cannot be placed and are left out.

use std::collections::BTreeMap;

use augur_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const PATTERN_DETECTED: &str = "cross_repo/pattern_detected";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Repositories with a finding of the same kind from which it is a pattern.
    pub min_repositories: usize,
    /// Kinds never reported as patterns (e.g. `quality_trend/stagnant`).
    pub ignore_kinds: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_repositories: 3,
            ignore_kinds: Vec::new(),
        }
    }
}

pub struct CrossRepoPatterns;

impl Rule for CrossRepoPatterns {
    type Config = Config;
    const ID: &'static str = "cross-repo-patterns";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "The same kind of finding in several repositories in one run: one org-wide fix instead of many";
    const KINDS: &'static [&'static str] = &[PATTERN_DETECTED];
}

impl Correlator for CrossRepoPatterns {
    fn correlate(findings: &[ReportedFinding], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.min_repositories < 2 {
            return Err(RuleError::InvalidConfig(format!(
                "min_repositories must be at least 2 (a pattern spans repositories), got {}",
                config.min_repositories
            )));
        }
        // kind → repository → that repository's findings of the kind.
        let mut by_kind: BTreeMap<&str, BTreeMap<&str, Vec<&ReportedFinding>>> = BTreeMap::new();
        for reported in findings {
            let kind = reported.finding.kind.as_str();
            // A pattern of patterns is not a new insight.
            if kind == PATTERN_DETECTED || config.ignore_kinds.iter().any(|k| k == kind) {
                continue;
            }
            if let Some(repo) = reported.repo.as_deref() {
                by_kind
                    .entry(kind)
                    .or_default()
                    .entry(repo)
                    .or_default()
                    .push(reported);
            }
        }
        Ok(by_kind
            .into_iter()
            .filter(|(_, repos)| repos.len() >= config.min_repositories)
            .map(|(kind, repos)| pattern(kind, &repos, config))
            .collect())
    }
}

fn pattern(kind: &str, repos: &BTreeMap<&str, Vec<&ReportedFinding>>, config: &Config) -> Finding {
    let names: Vec<&str> = repos.keys().copied().collect();
    let all = || repos.values().flatten();
    let severity = all()
        .map(|r| r.finding.severity)
        .max()
        .unwrap_or(Severity::Info);
    let rules: std::collections::BTreeSet<&str> = all().map(|r| r.rule.as_str()).collect();
    let count = all().count();
    let mut finding = Finding::new(
        PATTERN_DETECTED,
        severity,
        format!(
            "{kind} in {} repositories: {}",
            names.len(),
            list(&names, 5)
        ),
    )
    .message(format!(
        "{count} `{kind}` finding(s) from {} concern {} repositories in this run: {}. The same \
         insight in many places usually has one cause; one org-wide fix is cheaper than {} \
         separate ones.",
        rules.iter().copied().collect::<Vec<_>>().join(", "),
        names.len(),
        names.join(", "),
        names.len()
    ))
    .fingerprint(fingerprint(&[
        CrossRepoPatterns::ID,
        PATTERN_DETECTED,
        kind,
    ]));
    for found in repos.values() {
        if let Some(evidence) = found.iter().find_map(|r| r.finding.evidence.first()) {
            finding = finding.evidence(evidence.clone());
        }
    }
    finding
        .action(format!(
            "Open one org-wide task for `{kind}` covering {}, instead of one task per repository",
            list(&names, 3)
        ))
        .action(
            "Look for what these repositories share: a project template, a dependency, CI \
             configuration or a tool version",
        )
        .action(format!(
            "If `{kind}` is expected across the organisation, add it to `ignore_kinds`"
        ))
        .data(json!({
            "kind": kind,
            "repositories": names,
            "repository_count": names.len(),
            "findings": count,
            "rules": rules,
            "min_repositories": config.min_repositories,
        }))
}

/// The first `n` names, and how many more.
fn list(names: &[&str], n: usize) -> String {
    let shown = names[..names.len().min(n)].join(", ");
    match names.len().saturating_sub(n) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

augur_sdk::export_correlator!(CrossRepoPatterns);

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(kind: &str, repo: Option<&str>, severity: Severity) -> ReportedFinding {
        let input = repo.unwrap_or("jobs/x.log");
        ReportedFinding {
            rule: "some-rule".into(),
            input: input.into(),
            repo: repo.map(str::to_owned),
            finding: Finding::new(kind, severity, "t").evidence(Evidence {
                source: format!("{input}/1.json"),
                locator: "/signals".into(),
                excerpt: String::new(),
            }),
        }
    }

    fn correlate(findings: &[ReportedFinding]) -> Vec<Finding> {
        CrossRepoPatterns::correlate(findings, &Config::default()).unwrap()
    }

    #[test]
    fn three_repositories_with_one_kind_make_a_pattern() {
        let findings = [
            reported("coverage_gap/low_overall", Some("org/c"), Severity::Medium),
            reported("coverage_gap/low_overall", Some("org/a"), Severity::High),
            reported("coverage_gap/low_overall", Some("org/b"), Severity::Medium),
            reported("noop_loop/family_cycling", Some("org/a"), Severity::Medium),
        ];
        let out = correlate(&findings);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.kind, PATTERN_DETECTED);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.data["kind"], "coverage_gap/low_overall");
        assert_eq!(f.data["repositories"], json!(["org/a", "org/b", "org/c"]));
        assert_eq!(f.data["findings"], 3);
        let sources: Vec<&str> = f.evidence.iter().map(|e| e.source.as_str()).collect();
        assert_eq!(sources, ["org/a/1.json", "org/b/1.json", "org/c/1.json"]);
    }

    #[test]
    fn repeated_findings_in_one_repository_count_it_once() {
        let findings = [
            reported("theme/lint_cluster", Some("org/a"), Severity::Medium),
            reported("theme/lint_cluster", Some("org/a"), Severity::Medium),
            reported("theme/lint_cluster", Some("org/a"), Severity::Medium),
            reported("theme/lint_cluster", Some("org/b"), Severity::Medium),
        ];
        assert!(correlate(&findings).is_empty());
    }

    #[test]
    fn findings_without_a_repository_are_left_out() {
        let findings = [
            reported("api_error/rate_limit", None, Severity::High),
            reported("api_error/rate_limit", None, Severity::High),
            reported("api_error/rate_limit", Some("org/a"), Severity::High),
            reported("api_error/rate_limit", Some("org/b"), Severity::High),
        ];
        assert!(correlate(&findings).is_empty());
    }

    #[test]
    fn ignored_kinds_and_the_threshold_are_configurable() {
        let findings: Vec<ReportedFinding> = ["org/a", "org/b"]
            .iter()
            .flat_map(|r| {
                [
                    reported("quality_trend/stagnant", Some(r), Severity::Info),
                    reported("coverage_gap/low_overall", Some(r), Severity::Medium),
                ]
            })
            .collect();
        let config = Config {
            min_repositories: 2,
            ignore_kinds: vec!["quality_trend/stagnant".into()],
        };
        let out = CrossRepoPatterns::correlate(&findings, &config).unwrap();
        let kinds: Vec<&serde_json::Value> = out.iter().map(|f| &f.data["kind"]).collect();
        assert_eq!(kinds, [&json!("coverage_gap/low_overall")]);
        let bad = Config {
            min_repositories: 1,
            ..Config::default()
        };
        assert!(matches!(
            CrossRepoPatterns::correlate(&findings, &bad),
            Err(RuleError::InvalidConfig(m)) if m.contains("min_repositories")
        ));
    }
}
