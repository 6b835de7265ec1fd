//! The context error report (seed 004): for each failed job, one block
//! that combines every rule's findings about it. What failed is the primary
//! cause (the `failure/*` finding, with the job's metadata); why is its
//! causal line with a few lines of context, cleaned of CI decorations and
//! colour codes, and the other rules' evidence lines; similar past issues
//! come from the history store; the suggested actions are 2 or 3, drawn
//! from every rule's, proven ones first, none that contradicts the cause.
//!
//! The JSON report keeps every finding as it is and adds these blocks as
//! `job_reports` (version [`JOB_REPORTS_VERSION`]), which refer to
//! findings by their index in `findings`.

use std::io::BufRead as _;

use serde::Serialize;

use crate::{
    report::{FindingOut, Report},
    run::Inputs,
};

pub const JOB_REPORTS_VERSION: u32 = 1;
/// Lines shown before and after the causal line.
pub const CONTEXT_LINES: u32 = 3;
/// The longest context line kept, in characters.
const MAX_LINE_CHARS: usize = 240;
/// Actions suggested per failed job.
pub const MAX_ACTIONS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobReports {
    pub version: u32,
    pub jobs: Vec<JobReport>,
}

/// One failed job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobReport {
    /// The job's log, as findings name it.
    pub input: String,
    /// From its `meta.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// The index in `findings` of the primary cause (What Failed).
    pub primary: usize,
    /// The indexes of the job's other findings: supporting facts.
    pub related: Vec<usize>,
    pub why: Why,
    pub actions: Vec<JobAction>,
}

/// The causal line in its context, and the other rules' evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    /// The causal line's number, when the primary cause cites one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The lines around it, cleaned (CI timestamps, colour codes, progress
    /// redraws removed), blank ones left out.
    pub context: Vec<ContextLine>,
    /// The other findings' evidence lines, in `findings` order.
    pub evidence: Vec<OtherEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextLine {
    pub line: u32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherEvidence {
    /// Its finding's index in `findings`.
    pub finding: usize,
    pub locator: String,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobAction {
    pub action: String,
    /// The findings that suggest it (indexes in `findings`).
    pub findings: Vec<usize>,
    /// Its record in the history, for an action that fixed this kind of
    /// failure before: times suggested, times it fixed it, and the share in
    /// percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effectiveness: Option<u64>,
}

/// Whether a finding says the job failed.
fn is_failure(f: &FindingOut) -> bool {
    f.kind.starts_with("failure/")
}

/// The failure kinds whose cause is the tests themselves: for the others,
/// an action about tests contradicts the cause (no "run the failing tests"
/// for a rate limit).
const TEST_CAUSES: &[&str] = &[
    "failure/flaky_test",
    "failure/validation_failure",
    "failure/build_error",
    "failure/unknown",
];

/// How relevant a supporting finding's actions are, after the primary's:
/// the API error's detail, then the error category, then the rest, the
/// job's quality report last.
fn relevance(kind: &str) -> u8 {
    match kind.split('/').next().unwrap_or("") {
        "api_error" => 0,
        "error_category" => 1,
        "postflight" => 3,
        _ => 2,
    }
}

/// The first line number of a log locator (`L9`, `L9-L12`).
fn line_of(locator: &str) -> Option<u32> {
    crate::run::parse_lines(locator).and_then(|(first, _)| u32::try_from(first).ok())
}

/// The context error report of each failed job of `report`, in the order
/// of the jobs' first findings.
pub fn job_reports(report: &Report, inputs: &Inputs) -> JobReports {
    let mut jobs = Vec::new();
    for job in &inputs.jobs {
        let mine: Vec<usize> = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.input == job.source)
            .map(|(i, _)| i)
            .collect();
        let Some(&primary) = mine.iter().find(|&&i| is_failure(&report.findings[i])) else {
            continue;
        };
        let meta = job.parsed_meta();
        let mut related: Vec<usize> = mine.iter().copied().filter(|&i| i != primary).collect();
        related.sort_by_key(|&i| (relevance(&report.findings[i].kind), i));
        let p = &report.findings[primary];
        let line = p
            .evidence
            .iter()
            .find(|e| e.source == job.source)
            .and_then(|e| line_of(&e.locator));
        let context = line.map(|l| context_lines(job, l)).unwrap_or_default();
        let evidence = related
            .iter()
            .flat_map(|&i| {
                report.findings[i]
                    .evidence
                    .iter()
                    .take(2)
                    .map(move |e| OtherEvidence {
                        finding: i,
                        locator: e.locator.clone(),
                        excerpt: e.excerpt.clone(),
                    })
            })
            .collect();
        jobs.push(JobReport {
            input: job.source.clone(),
            repo: meta.repo.clone(),
            job: crate::input::job_name(&meta),
            stage: meta.stage.clone(),
            task_kind: meta.task_kind.clone(),
            exit_code: meta.exit_code,
            primary,
            actions: actions(report, primary, &related),
            related,
            why: Why {
                line,
                context,
                evidence,
            },
        });
    }
    jobs.sort_by_key(|j| j.primary);
    JobReports {
        version: JOB_REPORTS_VERSION,
        jobs,
    }
}

/// The lines of `job` around `line`, cleaned, blank ones left out.
fn context_lines(job: &crate::input::JobInput, line: u32) -> Vec<ContextLine> {
    let first = line.saturating_sub(CONTEXT_LINES).max(1);
    let last = line.saturating_add(CONTEXT_LINES);
    let Ok(reader) = job.reader() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut reader = std::io::BufReader::new(reader);
    let mut n = 0u32;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        n += 1;
        if n < first {
            continue;
        }
        if n > last {
            break;
        }
        let raw = String::from_utf8_lossy(&buf);
        let cleaned = augur_sdk::ci::clean(&raw);
        let text = cleaned.trim_end();
        if text.trim().is_empty() {
            continue;
        }
        out.push(ContextLine {
            line: n,
            text: text.chars().take(MAX_LINE_CHARS).collect(),
        });
    }
    out
}

/// 2 or 3 actions for the job: the primary's (the proven ones first, when
/// history ranked them), then the supporting findings' by relevance; each
/// once; none about tests when tests are not the cause.
fn actions(report: &Report, primary: usize, related: &[usize]) -> Vec<JobAction> {
    let p = &report.findings[primary];
    let tests_may_be_the_cause = TEST_CAUSES.contains(&p.kind.as_str());
    let mut out: Vec<JobAction> = Vec::new();
    let mut add = |action: &str, finding: usize, record: Option<(u64, u64, u64)>| {
        let key = action.trim().to_lowercase();
        if let Some(a) = out
            .iter_mut()
            .find(|a| a.action.trim().to_lowercase() == key)
        {
            if !a.findings.contains(&finding) {
                a.findings.push(finding);
            }
            return;
        }
        if finding != primary && !tests_may_be_the_cause && mentions_tests(&key) {
            return;
        }
        out.push(JobAction {
            action: action.to_owned(),
            findings: vec![finding],
            suggested: record.map(|r| r.0),
            fixed: record.map(|r| r.1),
            effectiveness: record.map(|r| r.2),
        });
    };
    match &p.history {
        Some(h) if !h.actions.is_empty() => {
            for a in &h.actions {
                let record = a
                    .effectiveness
                    .filter(|_| a.source == "history")
                    .map(|pct| (a.suggested, a.fixed, pct));
                add(&a.action, primary, record);
            }
        }
        _ => {
            for a in &p.actions {
                add(a, primary, None);
            }
        }
    }
    for &i in related {
        for a in &report.findings[i].actions {
            add(a, i, None);
        }
    }
    // Actions more than one rule suggests rank first among the supporting
    // ones; the primary's stay first.
    let primary_count = out
        .iter()
        .take_while(|a| a.findings.first() == Some(&primary))
        .count();
    out[primary_count..].sort_by_key(|a| std::cmp::Reverse(a.findings.len()));
    out.truncate(MAX_ACTIONS);
    out
}

fn mentions_tests(action: &str) -> bool {
    action
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "test" | "tests" | "testing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_give_their_first_line() {
        assert_eq!(line_of("L9"), Some(9));
        assert_eq!(line_of("L9-L12"), Some(9));
        assert_eq!(line_of("/coverage/overall"), None);
    }

    #[test]
    fn test_actions_are_recognised_by_word() {
        assert!(mentions_tests("run the failing tests on their own"));
        assert!(!mentions_tests("check the latest status page"));
    }
}
