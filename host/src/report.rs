//! The result of a run, in the shape `--format json` writes it (version 1).
//! Findings are ordered so that the same inputs and pack give the same bytes.

use serde::Serialize;
use serde_json::Value;

use crate::identity::RuleSource;

pub use augur_sdk::Severity;

pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub findings: Vec<FindingOut>,
    /// Rules that failed (to load, or on an input) and inputs that could not be used.
    pub errors: Vec<ErrorOut>,
    /// Inputs that were used with a caveat (e.g. decoded lossily).
    pub warnings: Vec<WarningOut>,
    /// What rules wrote to their logs, per call, when they wrote anything.
    pub logs: Vec<LogOut>,
    /// Set when the run was interrupted (Ctrl-C) before it finished: what it
    /// had done by then. Everything else in the report is that partial work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<Interruption>,
    /// Set when the run was compared with a baseline (`--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOut>,
    /// Set when the run was recorded in a history store (`--history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryOut>,
    /// For each failed job, every rule's findings about it as one context
    /// error report (set when the run read jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_reports: Option<crate::context::JobReports>,
    pub stats: Stats,
}

/// A finding's state against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: the run made it.
    New,
    /// In the baseline too.
    Unchanged,
}

/// What a comparison with a baseline found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineOut {
    /// The baseline file, as given.
    pub file: String,
    pub new: usize,
    pub unchanged: usize,
    /// Entries of the baseline this run did not find again.
    pub absent: Vec<crate::baseline::Entry>,
}

/// The history store a run was recorded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryOut {
    /// The store: a SQLite file as given, or a PostgreSQL URL without its
    /// password.
    pub store: String,
    /// How far back `seen` looks.
    pub window_days: u32,
    /// Suggestions of earlier failures this run marked fixed, because it
    /// saw the same job pass.
    pub resolved: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interruption {
    /// Rule calls that finished before the interruption.
    pub completed_calls: u64,
    /// Rule calls the run would have made.
    pub planned_calls: u64,
    /// The call that was running, and stopped, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_input: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingOut {
    pub rule: String,
    /// Where the rule came from: `{"builtin": name}`, or `{"path", "sha256"}`
    /// of its component.
    pub rule_source: RuleSource,
    pub kind: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub fingerprint: String,
    /// The repository (derivers) or job output (classifiers) it is about;
    /// `*` for a correlator's finding, which is about the whole run.
    pub input: String,
    /// The repository it concerns, when known (the series', or a job's
    /// `meta.json` `repo`): what correlators receive. Not in the report.
    #[serde(skip)]
    pub repo: Option<String>,
    pub evidence: Vec<EvidenceOut>,
    pub actions: Vec<String>,
    pub data: Value,
    /// `new` or `unchanged` against the baseline, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
    /// What the history store knows of it, when the run has one
    /// (`--history`): how often it was seen, similar past failures, and the
    /// actions to try, the proven ones first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::history::FindingHistory>,
}

impl FindingOut {
    /// Whether the finding counts as new: with no baseline, every finding
    /// does.
    pub fn is_new(&self) -> bool {
        self.baseline != Some(BaselineState::Unchanged)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct EvidenceOut {
    pub source: String,
    pub locator: String,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorOut {
    /// The rule at fault, if a rule is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Where that rule came from, when known (as in findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_source: Option<RuleSource>,
    /// The input concerned, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// `load_error`, `fuel_exhausted`, `deadline_exceeded`, `memory_limit`,
    /// `stack_overflow`, `trap`, `invalid_config`, `rule_error`,
    /// `invalid_output`, `input_error`, ...
    pub class: String,
    /// For `trap`: the trap code (`unreachable_code_reached`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For `trap`: the rule's panic message, when it panicked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// The rule is fail-closed: this error fails the run (exit 3).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fail_closed: bool,
}

impl ErrorOut {
    /// An error with no trap details that does not fail the run.
    pub fn new(
        rule: Option<String>,
        input: Option<String>,
        class: &str,
        message: String,
        hint: String,
    ) -> ErrorOut {
        ErrorOut {
            rule,
            rule_source: None,
            input,
            class: class.into(),
            code: None,
            panic: None,
            message,
            hint,
            fail_closed: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningOut {
    /// The rule concerned, for a cut made to a rule's output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub input: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogOut {
    pub rule: String,
    pub input: String,
    pub text: String,
    pub dropped_bytes: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub pack: String,
    pub rules: Vec<RuleStats>,
    pub inputs: InputStats,
    pub findings: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InputStats {
    pub repositories: usize,
    pub snapshots: usize,
    pub jobs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleStats {
    pub rule: String,
    pub version: String,
    pub calls: u64,
    pub findings: u64,
    pub errors: u64,
    /// Instructions executed, over all calls: deterministic for the same
    /// inputs, pack and augur version.
    pub fuel_used: u64,
    /// Wall time over all calls, in milliseconds; left out under `--no-timings`
    /// so that the output is byte-identical across runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_time_ms: Option<f64>,
}

impl Report {
    /// Orders findings and errors deterministically: by input, rule, kind,
    /// fingerprint, then the rest of the finding.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                &a.input,
                &a.rule,
                &a.kind,
                &a.fingerprint,
                &a.title,
                &a.evidence,
            )
                .cmp(&(
                    &b.input,
                    &b.rule,
                    &b.kind,
                    &b.fingerprint,
                    &b.title,
                    &b.evidence,
                ))
        });
        self.errors.sort_by(|a, b| {
            (&a.rule, &a.input, &a.class, &a.message)
                .cmp(&(&b.rule, &b.input, &b.class, &b.message))
        });
        self.warnings
            .sort_by(|a, b| (&a.input, &a.rule, &a.message).cmp(&(&b.input, &b.rule, &b.message)));
        self.logs
            .sort_by(|a, b| (&a.rule, &a.input).cmp(&(&b.rule, &b.input)));
        self.stats.findings = self.findings.len();
        self.stats.errors = self.errors.len();
    }

    /// Whether an error of a fail-closed rule fails the run.
    pub fn failed_closed(&self) -> bool {
        self.errors.iter().any(|e| e.fail_closed)
    }
}
