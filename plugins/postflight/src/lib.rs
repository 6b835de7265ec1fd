//! postflight: the per-job quality report a QA step writes after every job.
//!
//! One `postflight/report` finding per job: the error signals by type (with
//! severity, how many lines show each, and the first of them as context),
//! the success signals, the learnings the job wrote down (`Learned:`,
//! `Solution:`, `Fixed by:`, `Root cause:`, `Workaround:`, over 10
//! characters), the exit code, a 0-100 quality score and recommendations.
//!
//! The score is the QA postflight's: 50, plus 30 for exit code 0 or minus 20
//! for another, minus 15 per high and 8 per medium error type present, plus
//! 5 per success type and 3 per learning, held between 0 and 100.
//!
//! Where the original was naive, this one is not: a zero count is not a
//! signal (`0 failed`, `error: 0`, `failures=0`, `no errors`), and a word
//! inside an identifier is not a word (`no_errors_found`, `onError`,
//! `ErrorBoundary`, `fail_fast`): patterns match whole words only.

use std::sync::{LazyLock, OnceLock};

use augur_sdk::patterns::{self, AsciiSet, Regex};
use augur_sdk::{ci, excerpt, prelude::*};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {}

pub struct Postflight;

pub const REPORT: &str = "postflight/report";

impl Rule for Postflight {
    type Config = Config;
    const ID: &'static str = "postflight";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "A per-job quality report: error and success signals, learnings, the exit code, \
         a 0-100 quality score and recommendations";
    const KINDS: &'static [&'static str] = &[REPORT];

    fn setup() {
        let p = &*PATTERNS;
        for (i, re) in p.errors.iter().enumerate() {
            re.get_or_init(|| patterns::ascii(ERROR_TYPES[i].pattern));
        }
        for re in [&p.learning, &p.zero_after, &p.zero_before] {
            LazyLock::force(re);
        }
        p.any.warm(patterns::WARM_UP_LOG);
        LazyLock::force(&LITERALS);
    }
}

/// The literals every line that counts holds: one a pattern needs, or one
/// the CI reader learns from. `None` if a pattern has none (then every line
/// is read).
static LITERALS: LazyLock<Option<Vec<String>>> = LazyLock::new(|| {
    let all = ERROR_TYPES
        .iter()
        .map(|t| t.pattern)
        .chain(SUCCESS_TYPES.iter().map(|(_, p)| *p))
        .chain([LEARNING]);
    let mut literals = patterns::literals(all)?;
    literals.extend(ci::MARKERS.iter().map(|m| (*m).to_owned()));
    Some(literals)
});

/// How bad an error signal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weight {
    High,
    Medium,
}

/// An error signal: its type, weight, pattern, and what to recommend.
struct ErrorType {
    name: &'static str,
    weight: Weight,
    pattern: &'static str,
    advice: Option<&'static str>,
}

const ERROR_TYPES: &[ErrorType] = &[
    ErrorType {
        name: "error_detected",
        weight: Weight::High,
        pattern: r"(?i:\berrors?(?:\[[\w-]+\])?:)|\bERROR\b|(?i:^\s*error\b)",
        advice: None,
    },
    ErrorType {
        name: "exception_detected",
        weight: Weight::High,
        pattern: r"(?i:\bexception:)|\b[A-Z][A-Za-z]*(?:Exception|Error)\b:?|^Traceback \(most recent call last\)",
        advice: None,
    },
    ErrorType {
        name: "failure_detected",
        weight: Weight::Medium,
        pattern: r"(?i:\bfail(?:ed|ures?)\b)|\bFAIL\b",
        advice: None,
    },
    ErrorType {
        name: "permission_error",
        weight: Weight::High,
        pattern: r"(?i)permission denied|\bEACCES\b|operation not permitted",
        advice: Some(
            "Permission problem: check file ownership and access rights, and the token's scopes",
        ),
    },
    ErrorType {
        name: "not_found_error",
        weight: Weight::Medium,
        pattern: r"(?i)\bnot found\b|\bENOENT\b|no such file or directory",
        advice: None,
    },
    ErrorType {
        name: "timeout_error",
        weight: Weight::High,
        pattern: r"(?i)\btimed out\b|\btime-?out(?:error|exception|expired)?:|\bETIMEDOUT\b|\bdeadline exceeded\b|\btimeout (?:exceeded|expired|reached)\b",
        advice: Some(
            "Timeout: raise the time limit if the work is legitimately long, or make the slow step faster",
        ),
    },
    ErrorType {
        name: "connection_error",
        weight: Weight::High,
        pattern: r"(?i)connection refused|\bECONNREFUSED\b|connection reset|\bECONNRESET\b",
        advice: Some(
            "Connection refused or reset: check the service is up and reachable from the job",
        ),
    },
    ErrorType {
        name: "syntax_error",
        weight: Weight::High,
        pattern: r"(?i:\bsyntax error\b)|\bSyntaxError\b",
        advice: Some("Syntax error: run the parser or linter on the changed files"),
    },
    ErrorType {
        name: "import_error",
        weight: Weight::High,
        pattern: r"\bImportError\b|\bModuleNotFoundError\b|(?i:\bimport error\b)|Cannot find module",
        advice: Some("Import error: check the dependencies are installed, and pinned"),
    },
    ErrorType {
        name: "config_error",
        weight: Weight::Medium,
        pattern: r"(?i:\bnot configured\b)|\b[A-Z][A-Z0-9_]{2,} (?:is )?not set\b|(?i:\bmissing (?:required )?(?:environment variable|env var|configuration|config)\b)",
        advice: Some(
            "Configuration error: check the environment variables and settings the job needs",
        ),
    },
];

const SUCCESS_TYPES: &[(&str, &str)] = &[
    (
        "success_signal",
        r"(?i)\bcompleted successfully\b|\b(?:task|job|build|rollout|deploy(?:ment)?) (?:completed|complete|done|succeeded|successful)\b|^\s*done\.?\s*$|\bdone in \d",
    ),
    (
        "tests_passed",
        r"(?i)\b[1-9]\d* (?:tests? )?passed\b|\ball (?:\d+ )?(?:tests?|checks?) passed\b|\btest result: ok\b|^OK(?: \(|\s*$)",
    ),
    (
        "deployment_success",
        r"(?i)\bdeployed\b|\bdeployment\b.*\bsucce(?:ss|ssful|eded)\b",
    ),
    ("action_completed", r"(?i)\b(?:created|updated|fixed)\b"),
];

const LEARNING_TYPES: &[(&str, &str)] = &[
    ("explicit_learning", "learned"),
    ("explicit_learning", "learnt"),
    ("solution_found", "solution"),
    ("fix_applied", "fixed by"),
    ("root_cause", "root cause"),
    ("workaround", "workaround"),
];

/// Learnings kept in the report; more are counted.
const MAX_LEARNINGS: usize = 20;
/// Characters of a learning kept.
const LEARNING_CHARS: usize = 500;

const LEARNING: &str =
    r"(?i)\b(learned|learnt|solution|fixed by|root cause|workaround)\b\s*:?\s*(.*)";

struct Patterns {
    /// Every error, success and learning pattern, in that order: which of
    /// them may concern a line, in one pass (most lines concern none).
    any: AsciiSet,
    /// Each error pattern alone, to look at its matches (zero counts);
    /// built the first time a line needs it.
    errors: Vec<OnceLock<Regex>>,
    learning: LazyLock<Regex>,
    /// Right after a match: a zero count (`error: 0`, `failures=0`).
    zero_after: LazyLock<Regex>,
    /// Right before a match: a zero count or a negation (`0 failed`, `no errors`).
    zero_before: LazyLock<Regex>,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    any: patterns::ascii_set(
        ERROR_TYPES
            .iter()
            .map(|t| t.pattern)
            .chain(SUCCESS_TYPES.iter().map(|(_, p)| *p))
            .chain([LEARNING]),
    ),
    errors: ERROR_TYPES.iter().map(|_| OnceLock::new()).collect(),
    learning: LazyLock::new(|| patterns::ascii(LEARNING)),
    zero_after: LazyLock::new(|| patterns::ascii(r"^\s*[:=]?\s*0(?:[^\d.]|$)")),
    zero_before: LazyLock::new(|| patterns::ascii(r"(?i)(?:\b0|\bno|\bwithout|\bzero)\s+$")),
});

/// Whether the match at `start..end` of `line` is a count of zero.
fn is_zero_count(line: &[u8], start: usize, end: usize) -> bool {
    let p = &*PATTERNS;
    p.zero_after.is_match(&line[end..]) || p.zero_before.is_match(&line[..start])
}

/// One error type seen: how many lines, and the first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Seen {
    count: u64,
    first: Option<(u32, String)>,
}

/// What the rule remembers between windows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    errors: Vec<Seen>,
    successes: Vec<u64>,
    /// (type, content, line).
    learnings: Vec<(String, String, u32)>,
    learnings_left_out: u64,
    /// The CI system's steps and the job's outcome.
    ci: ci::Reader,
}

impl LogScanner for Postflight {
    type State = State;

    fn scan(window: &Job, state: &mut State, _: &Config) -> Result<(), RuleError> {
        let p = &*PATTERNS;
        let (errors, successes) = (ERROR_TYPES.len(), SUCCESS_TYPES.len());
        state.errors.resize(errors, Seen::default());
        state.successes.resize(successes, 0);
        for (n, raw) in window.new_lines() {
            let text = ci::clean(raw);
            if state.ci.read(n, raw, &text).role == ci::Role::Header {
                continue;
            }
            let text = text.as_ref();
            let line = text.as_bytes();
            for i in p.any.matches(line) {
                if i < errors {
                    let re = p.errors[i].get_or_init(|| patterns::ascii(ERROR_TYPES[i].pattern));
                    let signal = re
                        .find_iter(line)
                        .any(|m| !is_zero_count(line, m.start(), m.end()));
                    let seen = &mut state.errors[i];
                    if signal {
                        seen.count += 1;
                        if seen.first.is_none() {
                            seen.first = Some((n, excerpt(text)));
                        }
                    }
                } else if i < errors + successes {
                    state.successes[i - errors] += 1;
                } else {
                    learning(p, n, line, state);
                }
            }
        }
        Ok(())
    }

    /// Each line counts on its own (a pattern's match, or what it tells the
    /// CI reader): the lines holding one of [`LITERALS`], no context.
    fn interest(_: &Config) -> Option<augur_sdk::prefilter::Interest> {
        LITERALS
            .as_ref()
            .map(|l| augur_sdk::prefilter::Interest::literals(l.iter().cloned()))
    }

    fn finish(job: &Job, mut state: State, _: &Config) -> Result<Vec<Finding>, RuleError> {
        state.errors.resize(ERROR_TYPES.len(), Seen::default());
        state.successes.resize(SUCCESS_TYPES.len(), 0);
        let (exit, exit_from) = match job.meta.as_ref().and_then(|m| m.exit_code) {
            Some(code) => (Some(code), Some("meta.json")),
            None => {
                let code = state.ci.verdict().and_then(|v| v.code);
                (code, code.map(|_| "log"))
            }
        };
        let errors: Vec<(&ErrorType, &Seen)> = ERROR_TYPES
            .iter()
            .zip(&state.errors)
            .filter(|(_, s)| s.count > 0)
            .collect();
        let successes: Vec<(&str, u64)> = SUCCESS_TYPES
            .iter()
            .zip(&state.successes)
            .filter(|(_, n)| **n > 0)
            .map(|((name, _), n)| (*name, *n))
            .collect();
        let learnings = state.learnings.len() as u64 + state.learnings_left_out;

        let mut score: i64 = 50;
        match exit {
            Some(0) => score += 30,
            Some(_) => score -= 20,
            None => {}
        }
        for (t, _) in &errors {
            score -= match t.weight {
                Weight::High => 15,
                Weight::Medium => 8,
            };
        }
        score += 5 * successes.len() as i64 + 3 * learnings as i64;
        let score = score.clamp(0, 100);

        let failed = exit.is_some_and(|c| c != 0);
        let mut recommendations: Vec<&str> = Vec::new();
        if failed {
            recommendations.push("The job failed: read its error lines, fix the cause, then retry");
        }
        recommendations.extend(errors.iter().filter_map(|(t, _)| t.advice));
        if score < 50 {
            recommendations.push("Low quality score: review the job's output before trusting its result, or retry it");
        }
        if learnings == 0 && (failed || !errors.is_empty()) {
            recommendations.push(
                "No learnings recorded: have the job write down what it found (`Root cause: ...`, `Solution: ...`) so the next run can use it",
            );
        }

        // A job that passed is reported for the record, not to act on.
        let severity = match score {
            _ if exit == Some(0) => Severity::Info,
            80.. => Severity::Info,
            50..80 => Severity::Low,
            _ => Severity::Medium,
        };
        let error_names: Vec<&str> = errors.iter().map(|(t, _)| t.name).collect();
        let mut finding = Finding::new(
            REPORT,
            severity,
            format!("Postflight: quality score {score}/100"),
        )
        .message(format!(
            "{}: {}; {} error signal type(s){}; {} success signal type(s); {learnings} learning(s)",
            job.source,
            match (exit, exit_from) {
                (Some(code), Some(from)) => format!("exit code {code} (from {from})"),
                _ => "exit code unknown".to_owned(),
            },
            errors.len(),
            if error_names.is_empty() {
                String::new()
            } else {
                format!(" ({})", error_names.join(", "))
            },
            successes.len(),
        ))
        .fingerprint(fingerprint(&[
            Postflight::ID,
            REPORT,
            &error_names.join(","),
        ]));
        // The first line of each error type, each line once, in log order.
        let mut cited: Vec<&(u32, String)> = errors
            .iter()
            .filter_map(|(_, s)| s.first.as_ref())
            .collect();
        cited.sort_by_key(|(n, _)| *n);
        cited.dedup_by_key(|(n, _)| *n);
        for (n, line) in cited {
            finding = finding.evidence(Evidence::at_lines(job, *n, *n, line.as_str()));
        }
        for r in &recommendations {
            finding = finding.action(*r);
        }
        Ok(vec![finding.data(json!({
            "quality_score": score,
            "exit_code": exit,
            "exit_from": exit_from,
            "errors": errors.iter().map(|(t, s)| json!({
                "type": t.name,
                "severity": t.weight,
                "count": s.count,
                "context": s.first.as_ref().map(|f| &f.1),
                "line": s.first.as_ref().map(|f| f.0),
            })).collect::<Vec<_>>(),
            "successes": successes.iter().map(|(t, n)| json!({"type": t, "count": n})).collect::<Vec<_>>(),
            "learnings": state.learnings.iter().map(|(t, c, n)| json!({"type": t, "content": c, "line": n})).collect::<Vec<_>>(),
            "learnings_left_out": state.learnings_left_out,
            "recommendations": recommendations,
        }))])
    }
}

/// Keeps the learning a line writes down, if it says enough.
fn learning(p: &Patterns, n: u32, line: &[u8], state: &mut State) {
    let Some(c) = p.learning.captures(line) else {
        return;
    };
    let content = patterns::text(&c[2]);
    let content = content.trim();
    if content.chars().count() <= 10 {
        return;
    }
    let keyword = patterns::text(&c[1]).to_ascii_lowercase();
    let kind = LEARNING_TYPES
        .iter()
        .find(|(_, k)| *k == keyword)
        .map_or("explicit_learning", |(t, _)| t);
    if state.learnings.len() < MAX_LEARNINGS {
        let content: String = content.chars().take(LEARNING_CHARS).collect();
        state.learnings.push((kind.to_owned(), content, n));
    } else {
        state.learnings_left_out += 1;
    }
}

impl Classifier for Postflight {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        augur_sdk::scan_whole::<Postflight>(job, config)
    }
}

augur_sdk::export_log_scanner!(Postflight);

#[cfg(test)]
mod tests;
