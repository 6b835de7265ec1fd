//! error-category: what kind of error stopped a failed job, the lines that
//! show why, and two or three concrete things to try, plus one for the
//! job's stage when `meta.json` names it (build, test, review, pr).
//!
//! The categories are the context-aware error report's: FILE_ACCESS,
//! SYNTAX_ERROR, TYPE_ERROR, ASSERTION_FAILURE, TIMEOUT, NETWORK_ERROR and
//! MEMORY_ERROR. The causal error is the last line that shows one before the
//! failing step ended (read through `augur_sdk::ci`: what ran after the
//! failure, uploads and cleanup, counts only when nothing before it does,
//! and a step's echoed script never); when a line
//! shows several, the more specific category wins (a `FileNotFoundError` in
//! a test's failure line is a file problem, not an assertion). The finding
//! carries the few lines before the causal one, as the report's "why".
//!
//! Only failed jobs are categorised: a non-zero exit code in `meta.json`, a
//! log whose CI system or commands say it failed, or, when the log does not
//! say, an error-looking causal line. An error no category fits gets no finding here
//! (failure-class reports it as `failure/unknown`).

use std::{collections::VecDeque, sync::LazyLock};

use augur_sdk::patterns::{self, AsciiSet};
use augur_sdk::{ci, excerpt, prelude::*, window::RecentLines};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {}

pub struct ErrorCategory;

/// One category: its name (the kind is `error_category/<name>` in lower
/// case), how to say it, what to try, and the patterns that show it.
pub struct Category {
    pub name: &'static str,
    title: &'static str,
    actions: &'static [&'static str],
    /// Lines that show the error itself.
    patterns: &'static [&'static str],
    /// Lines that only sum up (`test result: FAILED`): the causal line when
    /// no category's own line is there.
    summaries: &'static [&'static str],
}

/// The categories, most specific first: when one line matches several, the
/// first wins.
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "MEMORY_ERROR",
        title: "The job failed for lack of memory",
        actions: &[
            "Reduce batch size or parallelism (test workers, build jobs, data loader workers)",
            "Check for memory leaks in loops: data kept alive across iterations, caches without bounds",
            "If the work needs the memory, give the job a larger runner or a higher memory limit",
        ],
        patterns: &[
            r"\bMemoryError\b|OutOfMemoryError|(?i:out of memory)|\bOOMKilled\b|(?i:oom-kill)",
            r"JavaScript heap out of memory|(?i:cannot allocate memory)|std::bad_alloc",
            r"memory allocation of \d+ bytes failed|(?i:exit(?:ed with)? code:? 137)\b|^\s*Killed\s*$",
        ],
        summaries: &[],
    },
    Category {
        name: "TIMEOUT",
        title: "The job failed on a timeout",
        actions: &[
            "Increase the timeout if the work is legitimately slow, or look for an infinite loop or a hang",
            "Review async/await patterns: an await that never resolves, a lock that is never released",
            "Find the slow step (timestamps, `--durations`) before raising limits",
        ],
        patterns: &[
            r"(?i)\btimed out\b|\bTimeoutError\b|\bTimeoutException\b|\bTimeoutExpired\b|\bETIMEDOUT\b",
            r"(?i)\bdeadline exceeded\b|exceeded the maximum execution time|\bexceeded timeout of \d+",
            r"(?i)\btimeout (?:exceeded|expired|reached)\b",
        ],
        summaries: &[],
    },
    Category {
        name: "NETWORK_ERROR",
        title: "The job failed on a network error",
        actions: &[
            "Check the API endpoint or registry is up and reachable from the runner",
            "Verify auth tokens are valid and not expired",
            "Retry with backoff if the failure is transient (a 502/503, a reset connection)",
        ],
        patterns: &[
            r"(?i)connection (?:refused|reset|aborted|closed unexpectedly)|\bECONNREFUSED\b|\bECONNRESET\b",
            r"(?i)\bENOTFOUND\b|\bEAI_AGAIN\b|getaddrinfo|name or service not known|temporary failure in name resolution",
            r"(?i)could not resolve host|network is unreachable|no route to host|socket hang up|\bfetch failed\b",
            r"(?i)\b50[234] (?:bad gateway|service unavailable|gateway time-?out)\b|certificate verify failed|\bSSLError\b|TLS handshake",
            // A model provider's API refusing or failing requests.
            r"(?i)\bAPI Error:?\s*(?:5\d\d|429)\b|\boverloaded_error\b|\brate_limit_error\b|\b429 Too Many Requests\b|stream disconnected before completion",
            r"(?i)\btoomanyrequests\b|\bpull rate limit\b|the requested URL returned error: 40[13]\b",
        ],
        summaries: &[],
    },
    Category {
        name: "FILE_ACCESS",
        title: "The job failed to read or write a file",
        actions: &[
            "Check file permissions and paths: the working directory, relative paths, the user the job runs as",
            "Verify the file exists at that point of the job (generated files, checkout depth, artifacts from earlier steps)",
        ],
        patterns: &[
            r"No such file or directory|\bFileNotFoundError\b|\bPermissionError\b|\bIsADirectoryError\b|\bNotADirectoryError\b",
            r"(?i)permission denied|\bEACCES\b|\bENOENT\b|\bEISDIR\b|\bENOTDIR\b|\bEROFS\b|read-only file system",
            r"java\.io\.FileNotFoundException|NoSuchFileException|AccessDeniedException|(?i:access is denied)",
            r"(?i)\b(?:cannot|could not|failed to|unable to) (?:open|read|write|create|find) (?:the )?(?:file|directory)\b",
        ],
        summaries: &[],
    },
    Category {
        name: "SYNTAX_ERROR",
        title: "The job failed on a syntax error",
        actions: &[
            "Run the linter or parser on the changed files to find the exact spot",
            "Check for unclosed brackets, quotes or blocks, and for indentation, just before the reported line",
        ],
        patterns: &[
            r"\bSyntaxError\b|\bIndentationError\b|\bTabError\b|\bJSONDecodeError\b|\bParseError\b",
            r"(?i)\bsyntax error\b|\bparse error\b|unexpected token|unexpected end of (?:file|input)|unterminated string",
            r"error: expected (?:one of|`|item|expression|identifier)|(?i:yaml\.\w*(?:scanner|parser)error)",
        ],
        summaries: &[],
    },
    Category {
        name: "TYPE_ERROR",
        title: "The job failed on a type error",
        actions: &[
            "Verify function signatures match their callers (argument count, order and types)",
            "Check for null/undefined/None values reaching code that expects an object",
        ],
        patterns: &[
            r"\bTypeError\b|AttributeError: 'NoneType'|\bNullPointerException\b|\bClassCastException\b",
            r"mismatched types|error\[E0308\]|error TS2\d{3}:|is not assignable to (?:type|parameter)|incompatible types?\b",
            r"(?i)cannot read propert(?:y|ies) of (?:undefined|null)|undefined is not a function|is not a function\b",
            r"\[(?:arg-type|attr-defined|union-attr|assignment|return-value|call-arg|operator|index)\]$",
        ],
        summaries: &[],
    },
    Category {
        name: "ASSERTION_FAILURE",
        title: "A test assertion failed",
        actions: &[
            "Compare the expected and actual values in the test output: is the code or the expectation wrong?",
            "Check the test fixtures and snapshots are current with the change",
        ],
        patterns: &[
            r"\bAssertionError\b|\bAssertionFailedError\b|(?i:\bassertion\b.*\bfailed\b)|\bassert_eq!|\bassert!\(",
            r"^FAILED \S+::|^--- FAIL: |^\s*expect\(.*\)\.|(?i)^\s*expected:? .+\b(?:but (?:was|got)|received|actual)\b",
            r"^\s*E\s+assert\b|^\s*(?:Expected|Received):\s|^\s*Failure/Error: ",
        ],
        summaries: &[r"\btest result: FAILED\b"],
    },
];

/// The stage-specific action, for the stages people name.
fn stage_action(stage: &str) -> Option<&'static str> {
    Some(match stage.to_ascii_lowercase().as_str() {
        "build" => {
            "Rebuild locally with the CI toolchain version, and read the first error of the build log, not the last"
        }
        "test" => {
            "Run the failing tests on their own to isolate the issue (and rule out order or shared state)"
        }
        "review" => {
            "Check the quality gate's thresholds: the change may be right and the gate too strict, or the other way round"
        }
        "pr" => {
            "Verify the token's permissions and the branch protection rules for the target branch"
        }
        _ => return None,
    })
}

/// How many lines before the causal one the finding shows.
const WHY_LINES: usize = 5;

/// Every kind, in category order.
const KINDS: &[&str] = &[
    "error_category/memory_error",
    "error_category/timeout",
    "error_category/network_error",
    "error_category/file_access",
    "error_category/syntax_error",
    "error_category/type_error",
    "error_category/assertion_failure",
];

impl Rule for ErrorCategory {
    type Config = Config;
    const ID: &'static str = "error-category";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "The category of the error that stopped a failed job (file access, syntax, type, assertion, \
         timeout, network, memory), the lines that show why, and what to try";
    const KINDS: &'static [&'static str] = KINDS;

    fn setup() {
        LazyLock::force(&PATTERNS);
        PATTERNS.0.warm(patterns::WARM_UP_LOG);
    }
}

/// Every category's patterns, then every category's summaries, in one set,
/// and which category each belongs to (and whether it is a summary).
static PATTERNS: LazyLock<(AsciiSet, Vec<(usize, bool)>)> = LazyLock::new(|| {
    let tier = |summary: bool| {
        CATEGORIES.iter().enumerate().flat_map(move |(i, c)| {
            let patterns = if summary { c.summaries } else { c.patterns };
            patterns.iter().map(move |p| (*p, (i, summary)))
        })
    };
    let (patterns, owners): (Vec<&str>, Vec<(usize, bool)>) = tier(false).chain(tier(true)).unzip();
    (patterns::ascii_set(patterns), owners)
});

/// A line and its number, cut to an excerpt.
type Kept = (u32, String);

/// What the rule remembers between windows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The CI system, its steps and the job's outcome.
    ci: ci::Reader,
    /// The last categorised line before the failing step ended: its
    /// category, the line, and the lines before it.
    causal: Option<(usize, Kept, Vec<Kept>)>,
    /// The same for the last summary line.
    summary: Option<(usize, Kept, Vec<Kept>)>,
    /// The first categorised line after the failing step (uploads,
    /// cleanup): the cause only when nothing before it is one.
    post: Option<(usize, Kept, Vec<Kept>)>,
    /// The last non-blank lines read, oldest first.
    recent: VecDeque<Kept>,
}

impl LogScanner for ErrorCategory {
    type State = State;

    fn scan(window: &Job, state: &mut State, _: &Config) -> Result<(), RuleError> {
        let (set, owners) = &*PATTERNS;
        let mut recent = RecentLines::resume(WHY_LINES, &state.recent);
        for (n, raw) in window.new_lines() {
            let line = ci::clean(raw);
            let read = state.ci.read(n, raw, &line);
            if read.outcome.is_some() || line.trim().is_empty() {
                continue;
            }
            let post = match read.role {
                ci::Role::Header => continue,
                ci::Role::Post { .. } => true,
                ci::Role::Output { .. } | ci::Role::FailureMarker => false,
            };
            // Patterns are in category order, and all of them before any
            // summary: the first match is the most specific category.
            if let Some(pattern) = set.first_match(line.as_bytes()) {
                let (category, summary) = owners[pattern];
                if !post || (state.post.is_none() && !summary) {
                    let why = recent.excerpts().into();
                    let found = Some((category, (n, excerpt(&line)), why));
                    match (post, summary) {
                        (true, _) => state.post = found,
                        (false, true) => state.summary = found,
                        (false, false) => state.causal = found,
                    }
                }
            }
            recent.push_cow(n, line);
        }
        state.recent = recent.excerpts();
        Ok(())
    }

    fn finish(job: &Job, state: State, _: &Config) -> Result<Vec<Finding>, RuleError> {
        let meta_exit = job.meta.as_ref().and_then(|m| m.exit_code);
        let verdict = state.ci.verdict();
        let exit = meta_exit.or(verdict.and_then(|v| v.code));
        let passed = match (meta_exit, verdict) {
            (Some(code), _) => code == 0,
            (None, Some(v)) => !v.failed,
            (None, None) => false,
        };
        let Some((index, (line_no, line), why)) = state.causal.or(state.summary).or(state.post)
        else {
            return Ok(Vec::new());
        };
        if passed {
            return Ok(Vec::new());
        }
        let category = &CATEGORIES[index];
        let kind = format!("error_category/{}", category.name.to_ascii_lowercase());
        let stage = job.meta.as_ref().and_then(|m| m.stage.clone());
        let mut finding = Finding::new(&kind, Severity::Medium, category.title)
            .message(format!(
                "{}: line {line_no} of {} shows a {} error: {line}",
                category.title, job.source, category.name
            ))
            .fingerprint(fingerprint(&[ErrorCategory::ID, &kind, &line]));
        if let Some((first, _)) = why.first() {
            finding = finding.evidence(Evidence::at_lines(
                job,
                *first,
                line_no,
                why.iter()
                    .map(|(_, l)| l.as_str())
                    .chain([line.as_str()])
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        } else {
            finding = finding.evidence(Evidence::at_lines(job, line_no, line_no, line.as_str()));
        }
        for action in category.actions {
            finding = finding.action(*action);
        }
        if let Some(action) = stage.as_deref().and_then(stage_action) {
            finding = finding.action(action);
        }
        Ok(vec![finding.data(json!({
            "category": category.name,
            "causal_line": line,
            "line": line_no,
            "why": why.iter().map(|(_, l)| l).collect::<Vec<_>>(),
            "exit_code": exit,
            "stage": stage,
        }))])
    }
}

impl Classifier for ErrorCategory {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        augur_sdk::scan_whole::<ErrorCategory>(job, config)
    }
}

augur_sdk::export_log_scanner!(ErrorCategory);

#[cfg(test)]
mod tests;
