//! systemic-patterns: failures and insights that keep coming back, across
//! runs.
//!
//! A correlator that reads history (contract 0.1.4): for each pattern of its
//! catalogue it counts the findings that indicate it, in this run and in the
//! runs of the last `window_days` days the history store holds, grouped as
//! the pattern says (per repository, per repository and kind, per
//! fingerprint). A group that reaches the pattern's threshold, and shows up
//! in this run, is a `systemic/<pattern>` finding: its count, its severity
//! (escalating with the count, step by step), a root-cause analysis, the
//! recommended fix, this run's findings as evidence and the most recent past
//! ones as examples. When any pattern holds, a `systemic/summary` finding
//! counts them by severity and lists the systemic recommendations,
//! `[URGENT]` for high and critical, `[WARNING]` for the rest.
//!
//! Without a history store the counts are this run's alone.

use std::collections::BTreeMap;

use augur_sdk::{
    history::{self, HistoryQuery, PastFinding},
    prelude::*,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const SUMMARY: &str = "systemic/summary";
/// Past findings read per indicator.
const MAX_ROWS: u32 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<Level> for Severity {
    fn from(l: Level) -> Severity {
        match l {
            Level::Info => Severity::Info,
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
        }
    }
}

/// How the occurrences of a pattern are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One count per repository.
    Repo,
    /// One count per repository and finding kind (a failure class recurring
    /// in one repository).
    RepoKind,
    /// One count per fingerprint (the same flaky test, the same loop).
    Fingerprint,
    /// One count for everything.
    All,
}

/// A finding that counts toward a pattern.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// A kind (`failure/oom`), or a family ending in `/` (`failure/`).
    pub kind: String,
    /// Text the finding's title or causal line must contain (any case).
    #[serde(default)]
    pub text: Option<String>,
}

/// A severity reached at a count.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at: u32,
    pub severity: Level,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// The finding's kind is `systemic/<id>`.
    pub id: String,
    pub description: String,
    pub indicators: Vec<Indicator>,
    pub group_by: GroupBy,
    /// Occurrences in the window from which the pattern holds.
    pub threshold: u32,
    /// Its severity at the threshold.
    #[serde(default = "medium")]
    pub severity: Level,
    /// Higher severities at higher counts.
    #[serde(default)]
    pub escalation: Vec<Step>,
    pub root_cause: String,
    pub fix: String,
}

fn medium() -> Level {
    Level::Medium
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Days of history a count covers.
    pub window_days: u32,
    /// Past examples named per pattern.
    pub examples: usize,
    /// The catalogue (default: the built-in one, see `catalogue()`).
    pub patterns: Vec<Pattern>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_days: 30,
            examples: 3,
            patterns: catalogue(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pattern(
    id: &str,
    description: &str,
    kinds: &[&str],
    group_by: GroupBy,
    threshold: u32,
    escalation: &[(u32, Level)],
    root_cause: &str,
    fix: &str,
) -> Pattern {
    Pattern {
        id: id.into(),
        description: description.into(),
        indicators: kinds
            .iter()
            .map(|k| Indicator {
                kind: (*k).into(),
                text: None,
            })
            .collect(),
        group_by,
        threshold,
        severity: Level::Medium,
        escalation: escalation
            .iter()
            .map(|(at, severity)| Step {
                at: *at,
                severity: *severity,
            })
            .collect(),
        root_cause: root_cause.into(),
        fix: fix.into(),
    }
}

/// The built-in catalogue: the recurring shapes of what augur's own rules
/// find.
pub fn catalogue() -> Vec<Pattern> {
    use GroupBy::*;
    use Level::*;
    vec![
        pattern(
            "recurring_failure",
            "The same class of failure keeps failing this repository's jobs",
            &["failure/"],
            RepoKind,
            3,
            &[(5, High), (10, Critical)],
            "One cause keeps failing jobs of one kind: each failure was retried or patched where it \
             showed, not where it came from.",
            "Find what the failures share (a dependency, a runner, a test, a step) and fix it once; \
             add a check that would have caught it",
        ),
        pattern(
            "flaky_test",
            "The same test fails again and again",
            &["failure/flaky_test"],
            Fingerprint,
            3,
            &[(5, High)],
            "A test that fails intermittently depends on timing, order or shared state; every rerun \
             hides it again.",
            "Quarantine the test, then fix its dependence on timing, order or shared state",
        ),
        pattern(
            "rate_limited",
            "Jobs keep hitting the provider's rate limits or quota",
            &["api_error/rate_limit", "failure/quota_exhausted"],
            Repo,
            5,
            &[(10, High), (20, Critical)],
            "More requests are made than the account allows: concurrency or retries without backoff \
             outgrew the limit.",
            "Cap concurrent jobs, retry with backoff honouring Retry-After, or raise the quota",
        ),
        pattern(
            "unstable_infrastructure",
            "Network and tooling failures keep breaking jobs",
            &[
                "failure/infra_tooling",
                "error_category/network_error",
                "api_error/network",
            ],
            Repo,
            5,
            &[(10, High)],
            "Jobs depend on services and downloads that fail often enough to break them: registries, \
             mirrors, the network of the runners.",
            "Cache or mirror what jobs download, pin it, and retry transient network errors",
        ),
        pattern(
            "recurring_timeouts",
            "Jobs keep running out of time",
            &[
                "failure/timeout",
                "error_category/timeout",
                "api_error/timeout",
            ],
            Repo,
            3,
            &[(6, High)],
            "Work outgrew its time limits, or something hangs without output.",
            "Find the step that grew or hangs (compare step durations), then split it, speed it up \
             or raise its limit deliberately",
        ),
        pattern(
            "memory_exhaustion",
            "Jobs keep running out of memory",
            &["failure/oom", "error_category/memory_error"],
            Repo,
            3,
            &[(5, High)],
            "The jobs' memory use outgrew the runners.",
            "Measure the peak memory of the failing step and cut it (smaller batches, fewer parallel \
             workers) or move it to larger runners",
        ),
        pattern(
            "noop_loop",
            "The same proposal family keeps cycling without a merge",
            &["noop_loop/"],
            Fingerprint,
            3,
            &[(5, High)],
            "Automation keeps proposing changes nobody merges: its goal and the reviewers' disagree.",
            "Pause the family and settle what a mergeable change looks like before it runs again",
        ),
        pattern(
            "coverage_stays_low",
            "Test coverage stays low run after run",
            &["coverage_gap/"],
            Repo,
            3,
            &[(10, High)],
            "Coverage gaps are reported and not acted on: nothing makes closing them part of the work.",
            "Set a coverage floor in CI for changed files and schedule the largest uncovered files",
        ),
        pattern(
            "quality_degrading",
            "Lint or type errors keep growing",
            &[
                "quality_trend/lint_degrading",
                "quality_trend/type_degrading",
            ],
            Repo,
            3,
            &[(6, High)],
            "New code adds lint or type errors faster than they are fixed: nothing blocks them.",
            "Block new errors in CI (a ratchet on the count) and fix the top offending files",
        ),
        pattern(
            "suppressions_creeping",
            "Changes keep adding suppressions instead of fixes",
            &["quality_erosion/"],
            Repo,
            3,
            &[(6, High)],
            "Checks are silenced (`noqa`, `type: ignore`) rather than satisfied.",
            "Require a reason on every suppression and review them; fix the underlying errors",
        ),
    ]
}

pub struct SystemicPatterns;

impl Rule for SystemicPatterns {
    type Config = Config;
    const ID: &'static str = "systemic-patterns";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Failures and insights that keep coming back across runs (from the history store), with root causes and systemic fixes";
    const KINDS: &'static [&'static str] = &["systemic/*"];
}

/// One occurrence of an indicator: in this run or a past one.
struct Occurrence<'a> {
    /// RFC 3339; this run's occurrences have none.
    at: Option<&'a str>,
    kind: &'a str,
    fingerprint: &'a str,
    input: &'a str,
    repo: Option<&'a str>,
    title: &'a str,
    /// This run's finding, to cite.
    now: Option<&'a ReportedFinding>,
}

impl Indicator {
    fn matches(&self, kind: &str, title: &str, line: Option<&str>) -> bool {
        let kind_ok = if self.kind.ends_with('/') {
            kind.starts_with(&self.kind)
        } else {
            kind == self.kind
        };
        kind_ok
            && self.text.as_deref().is_none_or(|t| {
                let t = t.to_lowercase();
                title.to_lowercase().contains(&t)
                    || line.is_some_and(|l| l.to_lowercase().contains(&t))
            })
    }
}

fn validate(config: &Config) -> Result<(), RuleError> {
    if config.window_days == 0 {
        return Err(RuleError::InvalidConfig(
            "window_days must be at least 1".into(),
        ));
    }
    for (i, p) in config.patterns.iter().enumerate() {
        let at = format!("patterns[{i}] (`{}`)", p.id);
        let id_ok = !p.id.is_empty()
            && p.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !id_ok || p.id == "summary" {
            return Err(RuleError::InvalidConfig(format!(
                "{at}: id must be lowercase letters, digits and `_`, and not `summary`"
            )));
        }
        if p.indicators.is_empty() {
            return Err(RuleError::InvalidConfig(format!(
                "{at}: indicators is empty"
            )));
        }
        if p.threshold == 0 {
            return Err(RuleError::InvalidConfig(format!(
                "{at}: threshold must be at least 1"
            )));
        }
        if let Some(s) = p.escalation.iter().find(|s| s.at < p.threshold) {
            return Err(RuleError::InvalidConfig(format!(
                "{at}: an escalation step at {} is below the threshold {}",
                s.at, p.threshold
            )));
        }
    }
    Ok(())
}

impl Correlator for SystemicPatterns {
    fn correlate(findings: &[ReportedFinding], config: &Config) -> Result<Vec<Finding>, RuleError> {
        validate(config)?;
        // Past findings, read once per indicator kind and scope: only the
        // groups this run shows can be reported, so a pattern counted per
        // repository reads only the repositories of this run's findings.
        let mut past = Past::new();
        let mut with_history = false;
        for p in &config.patterns {
            for scope in scopes(p, findings) {
                for i in &p.indicators {
                    let key = (i.kind.clone(), scope.clone());
                    if past.contains_key(&key) {
                        continue;
                    }
                    let answer = history::query(&HistoryQuery {
                        kind_prefix: i.kind.clone(),
                        repo: scope.clone(),
                        window_days: config.window_days,
                        limit: MAX_ROWS,
                    });
                    with_history |= answer.available;
                    past.insert(key, answer.rows);
                }
            }
        }
        let mut out = Vec::new();
        for p in &config.patterns {
            out.extend(patterns_of(p, findings, &past, config, with_history));
        }
        if let Some(summary) = summary(&out) {
            out.push(summary);
        }
        Ok(out)
    }
}

/// Past findings by indicator kind and repository (`None`: every one).
type Past = BTreeMap<(String, Option<String>), Vec<PastFinding>>;

/// The repositories whose past a pattern needs: those of this run's
/// findings that indicate it (all of them, `None`, when it is not counted
/// per repository, or a finding has no repository).
fn scopes(p: &Pattern, findings: &[ReportedFinding]) -> std::collections::BTreeSet<Option<String>> {
    findings
        .iter()
        .filter(|r| {
            let f = &r.finding;
            let line = f.evidence.first().map(|e| e.excerpt.as_str());
            p.indicators
                .iter()
                .any(|i| i.matches(&f.kind, &f.title, line))
        })
        .map(|r| match p.group_by {
            GroupBy::Repo | GroupBy::RepoKind => r.repo.clone(),
            GroupBy::Fingerprint | GroupBy::All => None,
        })
        .collect()
}

fn group_key(p: &Pattern, o: &Occurrence) -> String {
    let repo = o.repo.unwrap_or(o.input);
    match p.group_by {
        GroupBy::Repo => repo.to_owned(),
        GroupBy::RepoKind => format!("{repo} {}", o.kind),
        GroupBy::Fingerprint => o.fingerprint.to_owned(),
        GroupBy::All => String::new(),
    }
}

fn patterns_of(
    p: &Pattern,
    findings: &[ReportedFinding],
    past: &Past,
    config: &Config,
    with_history: bool,
) -> Vec<Finding> {
    let mut groups: BTreeMap<String, Vec<Occurrence>> = BTreeMap::new();
    for r in findings {
        let f = &r.finding;
        let line = f.evidence.first().map(|e| e.excerpt.as_str());
        if p.indicators
            .iter()
            .any(|i| i.matches(&f.kind, &f.title, line))
        {
            let o = Occurrence {
                at: None,
                kind: &f.kind,
                fingerprint: &f.fingerprint,
                input: &r.input,
                repo: r.repo.as_deref(),
                title: &f.title,
                now: Some(r),
            };
            groups.entry(group_key(p, &o)).or_default().push(o);
        }
    }
    // A past finding is counted once, whichever indicators match it.
    let mut seen = std::collections::BTreeSet::new();
    for i in &p.indicators {
        let rows = past
            .range((i.kind.clone(), None)..)
            .take_while(|((kind, _), _)| *kind == i.kind)
            .flat_map(|(_, rows)| rows);
        for row in rows {
            if !i.matches(&row.kind, &row.title, row.causal.as_deref()) {
                continue;
            }
            if !seen.insert((&row.at, &row.input, &row.fingerprint, &row.kind, &row.rule)) {
                continue;
            }
            let o = Occurrence {
                at: Some(&row.at),
                kind: &row.kind,
                fingerprint: &row.fingerprint,
                input: &row.input,
                repo: row.repo.as_deref(),
                title: &row.title,
                now: None,
            };
            // Only groups this run shows: a pattern is reported while it
            // is happening, citing this run's findings.
            if let Some(g) = groups.get_mut(&group_key(p, &o)) {
                g.push(o);
            }
        }
    }
    // A job counts once per run, whatever number of indicators it has.
    for g in groups.values_mut() {
        let mut jobs = std::collections::BTreeSet::new();
        g.retain(|o| jobs.insert((o.at, o.input)));
    }
    groups
        .into_iter()
        .filter(|(_, g)| g.len() >= p.threshold as usize)
        .map(|(key, g)| systemic(p, &key, &g, config, with_history))
        .collect()
}

fn systemic(
    p: &Pattern,
    key: &str,
    group: &[Occurrence],
    config: &Config,
    with_history: bool,
) -> Finding {
    let count = group.len() as u32;
    let severity = p
        .escalation
        .iter()
        .filter(|s| count >= s.at)
        .map(|s| s.severity)
        .fold(p.severity, Level::max);
    let now: Vec<&ReportedFinding> = group.iter().filter_map(|o| o.now).collect();
    let mut past: Vec<&Occurrence> = group.iter().filter(|o| o.at.is_some()).collect();
    past.sort_by(|a, b| b.at.cmp(&a.at));
    let where_ = match p.group_by {
        GroupBy::All => String::new(),
        GroupBy::Fingerprint => format!(" ({})", now[0].finding.title),
        GroupBy::Repo | GroupBy::RepoKind => {
            let repo = now[0].repo.as_deref().unwrap_or(&now[0].input);
            match p.group_by {
                GroupBy::RepoKind => format!(" in {repo} ({})", now[0].finding.kind),
                _ => format!(" in {repo}"),
            }
        }
    };
    let first = past
        .last()
        .and_then(|o| o.at)
        .map(|t| t.get(..10).unwrap_or(t));
    let span = match first {
        Some(first) => format!(", the first on {first}"),
        None if with_history => String::new(),
        None => " (no history store: this run alone)".into(),
    };
    let mut finding = Finding::new(
        format!("systemic/{}", p.id),
        severity.into(),
        format!(
            "{}{where_}: {count} times in {} days",
            p.description, config.window_days
        ),
    )
    .message(format!(
        "Root cause: {} Evidence: {count} occurrences in {} days ({} in this run, {} before{span}); \
         the threshold is {}. Recommended fix: {}.",
        p.root_cause,
        config.window_days,
        now.len(),
        past.len(),
        p.threshold,
        p.fix
    ))
    .fingerprint(fingerprint(&[SystemicPatterns::ID, &p.id, key]))
    .action(p.fix.clone());
    for r in now.iter().take(config.examples.max(1)) {
        if let Some(e) = r.finding.evidence.first() {
            finding = finding.evidence(e.clone());
        }
    }
    let examples: Vec<_> = past
        .iter()
        .take(config.examples)
        .map(|o| json!({"at": o.at, "input": o.input, "kind": o.kind, "title": o.title}))
        .collect();
    finding.data(json!({
        "pattern": p.id,
        "count": count,
        "in_this_run": now.len(),
        "window_days": config.window_days,
        "threshold": p.threshold,
        "group": key,
        "root_cause": p.root_cause,
        "recommended_fix": p.fix,
        "examples": examples,
    }))
}

/// The patterns by severity, the evidence behind them and the systemic
/// recommendations, most severe first.
fn summary(patterns: &[Finding]) -> Option<Finding> {
    let worst = patterns.iter().map(|f| f.severity).max()?;
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut evidence_items = 0u64;
    for f in patterns {
        *by_severity.entry(f.severity).or_default() += 1;
        evidence_items += f.data["count"].as_u64().unwrap_or(0);
    }
    let counts: Vec<String> = by_severity
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let mut sorted: Vec<&Finding> = patterns.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut finding = Finding::new(
        SUMMARY,
        worst,
        format!(
            "{} systemic pattern{}: {}",
            patterns.len(),
            if patterns.len() == 1 { "" } else { "s" },
            counts.join(", ")
        ),
    )
    .message(format!(
        "{} pattern{} over {evidence_items} evidence items: {}.",
        patterns.len(),
        if patterns.len() == 1 { "" } else { "s" },
        sorted
            .iter()
            .map(|f| f.title.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    ))
    .fingerprint(fingerprint(&[SystemicPatterns::ID, SUMMARY]));
    let mut recommended = Vec::new();
    for f in &sorted {
        let prefix = if f.severity >= Severity::High {
            "[URGENT]"
        } else {
            "[WARNING]"
        };
        let action = format!("{prefix} {}", f.actions.first().map_or("", String::as_str));
        if !recommended.contains(&action) {
            recommended.push(action);
        }
        if let Some(e) = f.evidence.first()
            && !finding.evidence.contains(e)
        {
            finding = finding.evidence(e.clone());
        }
    }
    for a in &recommended {
        finding = finding.action(a.clone());
    }
    Some(finding.data(json!({
        "patterns": patterns.len(),
        "by_severity": by_severity.iter().map(|(s, n)| (s.as_str(), *n)).collect::<BTreeMap<_, _>>(),
        "evidence_items": evidence_items,
        "recommendations": recommended,
    })))
}

augur_sdk::export_history_correlator!(SystemicPatterns);

#[cfg(test)]
mod tests {
    use super::*;
    use augur_sdk::history::HistoryRows;

    fn reported(kind: &str, repo: &str, fp: &str) -> ReportedFinding {
        ReportedFinding {
            rule: "failure-class".into(),
            input: format!("jobs/{repo}.log"),
            repo: Some(repo.into()),
            finding: Finding::new(kind, Severity::High, format!("{kind} here"))
                .fingerprint(fp)
                .evidence(Evidence {
                    source: format!("jobs/{repo}.log"),
                    locator: "L3".into(),
                    excerpt: "boom".into(),
                }),
        }
    }

    fn past(kind: &str, repo: &str, fp: &str, day: u32) -> PastFinding {
        PastFinding {
            at: format!("2026-11-{day:02}T00:00:00Z"),
            rule: "failure-class".into(),
            kind: kind.into(),
            severity: Severity::High,
            fingerprint: fp.into(),
            input: format!("jobs/{repo}.log"),
            repo: Some(repo.into()),
            title: format!("{kind} then"),
            causal: None,
        }
    }

    /// Answers queries from `rows`, as the host would: by kind prefix and
    /// repository.
    fn with_history(rows: Vec<PastFinding>) {
        history::set_native(Some(Box::new(move |q: &HistoryQuery| HistoryRows {
            available: true,
            rows: rows
                .iter()
                .filter(|r| {
                    r.kind.starts_with(&q.kind_prefix)
                        && q.repo
                            .as_ref()
                            .is_none_or(|repo| r.repo.as_ref() == Some(repo))
                })
                .cloned()
                .collect(),
            truncated: false,
        })));
    }

    fn kinds(found: &[Finding]) -> Vec<(&str, Severity)> {
        found
            .iter()
            .map(|f| (f.kind.as_str(), f.severity))
            .collect()
    }

    #[test]
    fn a_failure_recurring_in_one_repository_escalates_with_its_count() {
        let now = [reported("failure/oom", "acme/api", "a")];
        // Two past ones: three with this run, the threshold.
        with_history(
            (1..=2)
                .map(|d| past("failure/oom", "acme/api", "x", d))
                .collect(),
        );
        let found = SystemicPatterns::correlate(&now, &Config::default()).unwrap();
        assert_eq!(
            kinds(&found),
            [
                ("systemic/recurring_failure", Severity::Medium),
                ("systemic/memory_exhaustion", Severity::Medium),
                ("systemic/summary", Severity::Medium),
            ]
        );
        assert_eq!(found[0].evidence.len(), 1, "this run's finding is cited");
        assert_eq!(found[0].data["count"], 3);
        // Five: memory_exhaustion's step to high, recurring_failure's too.
        with_history(
            (1..=4)
                .map(|d| past("failure/oom", "acme/api", "x", d))
                .collect(),
        );
        let found = SystemicPatterns::correlate(&now, &Config::default()).unwrap();
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(found[1].severity, Severity::High);
        let summary = found.last().unwrap();
        assert_eq!(summary.severity, Severity::High);
        assert!(
            summary.actions[0].starts_with("[URGENT] "),
            "{:?}",
            summary.actions
        );
        // Ten: recurring_failure is critical.
        with_history(
            (1..=9)
                .map(|d| past("failure/oom", "acme/api", "x", d))
                .collect(),
        );
        let found = SystemicPatterns::correlate(&now, &Config::default()).unwrap();
        assert_eq!(found[0].severity, Severity::Critical);
        history::set_native(None);
    }

    #[test]
    fn under_the_threshold_or_elsewhere_is_no_pattern() {
        let now = [reported("failure/oom", "acme/api", "a")];
        // One past one in the same repository, many in another.
        let mut rows = vec![past("failure/oom", "acme/api", "x", 1)];
        rows.extend((1..=9).map(|d| past("failure/oom", "acme/web", "y", d)));
        with_history(rows);
        let found = SystemicPatterns::correlate(&now, &Config::default()).unwrap();
        assert!(found.is_empty(), "{:?}", kinds(&found));
        // Without history, this run alone counts.
        history::set_native(None);
        let three: Vec<_> = (0..3)
            .map(|i| {
                let mut r = reported("failure/flaky_test", "acme/api", "t0");
                r.input = format!("jobs/shard-{i}.log");
                r
            })
            .collect();
        let found = SystemicPatterns::correlate(&three, &Config::default()).unwrap();
        assert_eq!(found[0].kind, "systemic/recurring_failure");
        assert!(
            found[0].message.contains("no history store"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_job_counts_once_per_run_whatever_number_of_indicators_it_has() {
        history::set_native(None);
        let now = [
            reported("failure/oom", "acme/api", "a"),
            reported("error_category/memory_error", "acme/api", "m"),
        ];
        with_history(vec![
            past("failure/oom", "acme/api", "x", 1),
            past("error_category/memory_error", "acme/api", "y", 1),
        ]);
        let found = SystemicPatterns::correlate(&now, &Config::default()).unwrap();
        assert!(found.is_empty(), "two jobs, not four: {:?}", kinds(&found));
        history::set_native(None);
    }

    #[test]
    fn a_bad_catalogue_names_the_pattern_and_the_field() {
        let mut config = Config::default();
        config.patterns[1].escalation[0].at = 1;
        let e = SystemicPatterns::correlate(&[], &config).unwrap_err();
        assert!(e.to_string().contains("patterns[1] (`flaky_test`)"), "{e}");
        config.patterns[1].id = "summary".into();
        assert!(SystemicPatterns::correlate(&[], &config).is_err());
    }
}
