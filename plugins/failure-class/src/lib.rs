//! failure-class: one primary reason a job failed, the line that shows it,
//! and what to do next.
//!
//! Classes are checked in priority order (the control plane's classification
//! table, with `quota_exhausted` kept apart from, and ahead of, transient
//! API errors, `cancelled` after the timeouts that cancel jobs, and
//! `build_error` between missing dependencies and failing checks). Each class
//! has patterns (lines that name the cause: the failing test, the compiler
//! error) and summaries (`1 failed, 47 passed`, `could not compile`). The log
//! is read once, window by window, and each class keeps the last line of
//! each kind it matched: its causal line is the last pattern line, nearest
//! the job's end, or, with none, the last summary line. The first class in
//! priority order with a match wins.
//!
//! A job has failed when its exit code (`meta.json`, or an `exit: N`-style
//! line) is non-zero, or, with no exit code known, when a class matched. A
//! job that exited 0 gets no failure finding, whatever it printed, except
//! `failure/awaiting_input`: a question for a person blocks the job however
//! it exited. A failed job no class explains is `failure/unknown`, with its
//! last error-looking lines as evidence: a failure is never silent.
//!
//! The fingerprint is built from the causal line with its volatile parts
//! masked (UUIDs, timestamps, temporary paths, hex ids, numbers), so the same
//! cause in two runs groups together.

use std::{collections::VecDeque, sync::LazyLock};

use augur_sdk::patterns::{self, AsciiSet, Regex};
use augur_sdk::{excerpt, exit_code_in, log_text, prelude::*, window::RecentLines};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Tests or commands known to be flaky: a failing line that names one
    /// makes the failure `failure/flaky_test`.
    pub known_flaky: Vec<String>,
}

pub struct FailureClass;

/// One failure class: its name (the kind is `failure/<name>`), how bad it
/// is, what to say and what to do, and the patterns that show it.
pub struct Class {
    pub name: &'static str,
    severity: Severity,
    title: &'static str,
    actions: &'static [&'static str],
    /// Lines that show the cause itself: the failing test, the compiler
    /// error, the kernel's OOM kill.
    patterns: &'static [&'static str],
    /// Lines that only sum up (`1 failed, 47 passed`, `could not compile`,
    /// a bare `Killed`): they show the class, and are the causal line only
    /// when no line of `patterns` is there.
    summaries: &'static [&'static str],
}

/// The classes, in priority order.
pub const CLASSES: &[Class] = &[
    Class {
        name: "scope_policy",
        severity: Severity::High,
        title: "The job changed files outside its allowed paths",
        actions: &[
            "Let the policy retry run; the changes were not pushed",
            "If the goal needs those files, widen `allowed_paths` for this task",
        ],
        patterns: &[
            r"(?i)allowed_paths violation",
            r"(?i)\bscope[_ ]violation\b",
            r"(?i)outside (?:of )?(?:the )?allowed[_ ]paths",
        ],
        summaries: &[],
    },
    Class {
        name: "oom",
        severity: Severity::High,
        title: "The job ran out of memory",
        actions: &[
            "Investigate memory pressure: the peak usage of the step, and what else ran on the machine",
            "Give the job more memory (a larger runner, container limit or heap), or process the data in smaller batches",
        ],
        patterns: &[
            r"(?i)out of memory: kill(?:ed)? process",
            r"(?i)\boom[- ]?kill",
            r"OOMKilled",
            r"(?i)CUDA out of memory",
            r"java\.lang\.OutOfMemoryError",
            r"JavaScript heap out of memory",
            r"^\s*MemoryError\b",
            r"(?i)cannot allocate memory",
            r"memory allocation of \d+ bytes failed",
            r"std::bad_alloc",
        ],
        summaries: &[
            r"(?i)\bexit(?:ed with)? code:? 137\b",
            r"(?i)killed \(?signal 9\)?|\bSIGKILL\b",
            r"^\s*Killed\s*$",
        ],
    },
    Class {
        name: "timeout",
        severity: Severity::Medium,
        title: "The job timed out",
        actions: &[
            "Raise the job's time limit (e.g. `executor.timeout_seconds`, `timeout-minutes`) if the work is legitimately long",
            "Otherwise split the task, and look for a step that hangs",
        ],
        patterns: &[
            r"(?i)has exceeded the maximum execution time",
            r"(?i)\b(?:process|command|job|step|execution|task) timed out\b",
            r"(?i)\btimed out after \d",
            r"TimeoutExpired",
            r"(?i)killed (?:after|due to) (?:a )?timeout",
        ],
        summaries: &[],
    },
    Class {
        name: "cancelled",
        severity: Severity::Low,
        title: "The job was cancelled, not failed by its code",
        actions: &[
            "Nothing is wrong with the code: re-run the job if its result is still needed",
            "If cancellations are frequent, check concurrency groups and who or what cancels runs",
        ],
        patterns: &[
            r"(?i)the (?:operation|job|run|workflow) was cancell?ed",
            r"(?i)\bcancell?ing since a higher priority",
            r"(?i)received (?:SIGINT|SIGTERM|an interrupt|a shutdown)",
            r"^\s*KeyboardInterrupt\b",
            r"(?i)\b(?:build|job) was aborted\b",
            r"(?i)\bcancell?ed by (?:user|@?\w+)",
        ],
        summaries: &[],
    },
    Class {
        name: "quota_exhausted",
        severity: Severity::High,
        title: "The model provider quota is exhausted",
        actions: &[
            "Raise the quota or add credit, or wait for the quota period to reset: retrying now will fail again",
            "Pause scheduling for this account so failing jobs do not pile up",
        ],
        patterns: &[
            r"insufficient_quota",
            r"(?i)exceeded your current quota",
            r"(?i)\bquota (?:has been |was )?(?:exceeded|exhausted)",
            r"(?i)credit balance is too low",
            r"(?i)usage limit (?:reached|exceeded|has been reached)",
            r"(?i)billing hard limit",
        ],
        summaries: &[],
    },
    Class {
        name: "model_error",
        severity: Severity::Medium,
        title: "The model provider's API failed (5xx, overloaded or rate limited)",
        actions: &[
            "Retry: API errors like this are transient and a retry usually succeeds",
            "If it persists, check the provider's status page and add backoff between retries",
        ],
        patterns: &[
            r"overloaded_error|rate_limit_error|api_error",
            r"(?i)API Error:?\s*(?:5\d\d|429|overloaded)",
            r"(?i)\b(?:anthropic|openai|claude|codex)\b.*\b(?:5\d\d|429|overloaded|rate[- ]limit(?:ed)?|internal server error|service unavailable|bad gateway)\b",
            r"(?i)stream disconnected before completion",
            r"(?i)stream error: (?:codex|claude|openai|anthropic)\b",
            r"(?i)no response from the model",
        ],
        summaries: &[],
    },
    Class {
        name: "context_limit",
        severity: Severity::Medium,
        title: "The model's context limit was exceeded",
        actions: &[
            "Split the task, handing the prior progress to the next part",
            "Trim what goes into the prompt: large files, long logs, repeated context",
        ],
        patterns: &[
            r"(?i)prompt is too long",
            r"(?i)context[_ ]length[_ ]exceeded",
            r"(?i)maximum context length",
            r"(?i)exceeds? the (?:model's )?context (?:window|limit)",
            r"(?i)input is too long for (?:the )?requested model",
            r"(?i)token limit exceeded|too many tokens",
        ],
        summaries: &[],
    },
    Class {
        name: "dependency_missing",
        severity: Severity::High,
        title: "A dependency or command is missing",
        actions: &[
            "Fix the environment's bootstrap: install the missing package or tool, or add it to the requirements",
            "Pin the dependency so a fresh environment gets the same version",
        ],
        patterns: &[
            r"ModuleNotFoundError: No module named",
            r#"\bNo module named ['"]"#,
            r": command not found\b|\bcommand not found: ",
            r#"Cannot find module ['"]"#,
            r"(?i)could not find a version that satisfies the requirement",
            r"(?i)no matching distribution found for",
            r"npm (?:ERR!|error) (?:code E404|404)",
            r"error: no matching package named",
            r"E: Unable to locate package",
            r"fatal error: [^:]+\.h: No such file or directory",
            r"cannot find -l\w+",
            r"cannot open shared object file",
        ],
        summaries: &[],
    },
    Class {
        name: "build_error",
        severity: Severity::High,
        title: "The code did not compile",
        actions: &[
            "Fix the compiler error at the causal line; later errors often follow from the first",
            "Build locally with the same toolchain version as CI",
        ],
        patterns: &[
            r"error\[E\d{4}\]",
            r"error: linking with .* failed",
            r"undefined reference to",
            r"error TS\d+:",
            // A compiler's `file:line: error:` (Python's checkers print the
            // same shape; they are validation, below).
            r"\.(?:c|cc|cpp|cxx|h|hh|hpp|rs|go|java|kt|scala|swift|m|mm|cs|zig|f90):\d+(?::\d+)?: (?:fatal )?error: ",
            r"^\S+\.go:\d+:\d+: (?:undefined: |cannot use |imported and not used|syntax error|missing return|too many arguments|not enough arguments)",
            r"error: cannot find symbol",
            r"^\s*(?:SyntaxError|IndentationError|TabError): ",
        ],
        summaries: &[
            r"error: could not compile",
            r"ld returned \d+ exit status",
            r"\[ERROR\] COMPILATION ERROR",
            r"Compilation failed; see the compiler error output|Execution failed for task '[^']*:compile\w*'",
        ],
    },
    Class {
        name: "flaky_test",
        severity: Severity::Low,
        title: "A known-flaky test failed",
        actions: &[
            "Stabilise the test (timing, ordering, shared state) or quarantine it",
            "Re-run the job to confirm the rest passes",
        ],
        patterns: &[r"\bRERUN\b", r"(?i)\bflaky\b.*\bfail|\bfail.*\bflaky\b"],
        summaries: &[],
    },
    Class {
        name: "validation_failure",
        severity: Severity::High,
        title: "Tests or lint failed",
        actions: &[
            "Investigate the test output at the causal line and fix the code or the test",
            "Run the same check locally before pushing",
        ],
        patterns: &[
            // pytest's short summary, unittest, Go, Rust, Jest, Gradle, RSpec,
            // Maven: a line naming the failing test.
            r"^FAILED \S+::",
            r"^ERROR \S+::",
            r"^(?:FAIL|ERROR): \w+ \(",
            r"^--- FAIL: ",
            r"^thread '[^']+' panicked at ",
            r"^test \S+ \.\.\. FAILED$",
            r"^\s*● .+ › ",
            r"^\S+ > .+ FAILED$",
            r"^rspec \./\S+:\d+",
            r"^\[ERROR\]\s+\S+\.\w+:\d+ ",
            r"^\s*AssertionError\b",
            // A checker's own error line: mypy, ESLint, ruff, black.
            r"\.pyi?:\d+(?::\d+)?: error: ",
            r"^\s+\d+:\d+\s+error\s+",
            r"^\S+:\d+:\d+: [A-Z]+\d+ ",
            r"^would reformat \S",
        ],
        summaries: &[
            r"^=+ .*\b[1-9]\d* (?:failed|errors?)\b.* =+$",
            r"^FAILED \S",
            r"test result: FAILED",
            r"^\s*Tests:\s+[1-9]\d* failed",
            r"^FAILED \((?:failures|errors)=",
            r"(?i)^Found [1-9]\d* errors?\b",
            r"✖ [1-9]\d* problems?",
            r"npm (?:ERR!|error) Test failed",
            r"^\s*Test Suites:\s+[1-9]\d* failed",
            r"Tests run: \d+, Failures: [1-9]|Tests run: \d+, Failures: \d+, Errors: [1-9]|There (?:are|were) (?:test failures|failing tests)",
            r"^\d+ examples?, [1-9]\d* failures?",
            r"^FAILURES!$|^Tests: \d+, Assertions: \d+, (?:Errors: \d+, )?Failures: [1-9]",
            r"^\s*Failed!\s+- Failed:\s+[1-9]",
            r"^Oh no! .* would (?:be )?reformat",
            r"^\s*error: test failed",
        ],
    },
    Class {
        name: "awaiting_input",
        severity: Severity::Medium,
        title: "The job stopped to ask a question",
        actions: &[
            "Answer the question on the task; the job is re-queued once someone replies",
            "If the question recurs, add the answer to the task's instructions",
        ],
        patterns: &[r"<!--\s*cp:question:"],
        summaries: &[],
    },
    Class {
        name: "tool_failure",
        severity: Severity::Medium,
        title: "A tool the job used (git, a shell command) failed",
        actions: &[
            "Investigate the tool's configuration and the command at the causal line",
            "For a rejected push: fetch and rebase, or check branch protection",
        ],
        patterns: &[
            r"error: failed to push some refs",
            r"! \[(?:remote )?rejected\]",
            r"fatal: (?:not a git repository|refusing to merge|couldn't find remote ref|bad object|ambiguous argument|Needed a single revision|destination path)",
            r"error: pathspec",
            r"^CONFLICT \(",
            r"tool_use_error",
        ],
        summaries: &[],
    },
    Class {
        name: "infra_tooling",
        severity: Severity::High,
        title: "The CI infrastructure failed (runner, registry, credentials, checkout)",
        actions: &[
            "Fix the credentials or the environment: tokens, secrets, registry access, runner health",
            "Re-run once fixed; the code was not the cause",
        ],
        patterns: &[
            r"Permission denied \(publickey",
            r"fatal: Authentication failed",
            r"fatal: could not read Username",
            r"fatal: unable to access",
            r"unauthorized: authentication required",
            r"pull access denied",
            r"manifest unknown",
            r"toomanyrequests:",
            r"Error response from daemon",
            r"ErrImagePull|ImagePullBackOff",
            r"Unable to locate credentials",
            r"ExpiredToken|InvalidClientTokenId|security token included in the request is (?:expired|invalid)",
            r"(?i)could not find default credentials",
            r"Bad credentials",
            r"The runner has received a shutdown signal",
            r"lost communication with the server",
            r"No space left on device",
            r"Could not resolve host: |Temporary failure in name resolution",
            r"Error acquiring the state lock",
            r"Unable to resolve action",
        ],
        summaries: &[],
    },
];

pub const UNKNOWN: &str = "failure/unknown";

/// Every kind, in priority order, then `failure/unknown`.
const KINDS: &[&str] = &[
    "failure/scope_policy",
    "failure/oom",
    "failure/timeout",
    "failure/cancelled",
    "failure/quota_exhausted",
    "failure/model_error",
    "failure/context_limit",
    "failure/dependency_missing",
    "failure/build_error",
    "failure/flaky_test",
    "failure/validation_failure",
    "failure/awaiting_input",
    "failure/tool_failure",
    "failure/infra_tooling",
    UNKNOWN,
];

impl Rule for FailureClass {
    type Config = Config;
    const ID: &'static str = "failure-class";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "The one primary reason a job failed, its causal line, and the follow-up action";
    const KINDS: &'static [&'static str] = KINDS;
}

/// All patterns in one set, and which class each belongs to.
/// All patterns and summaries in one set, and which class each belongs to
/// (and whether it is a summary).
static PATTERNS: LazyLock<(AsciiSet, Vec<(usize, bool)>)> = LazyLock::new(|| {
    let (patterns, owners): (Vec<&str>, Vec<(usize, bool)>) = CLASSES
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            let patterns = c.patterns.iter().map(move |p| (*p, (i, false)));
            patterns.chain(c.summaries.iter().map(move |p| (*p, (i, true))))
        })
        .unzip();
    (patterns::ascii_set(patterns), owners)
});

static QUESTION: LazyLock<Regex> =
    LazyLock::new(|| patterns::ascii(r"<!--\s*cp:question:\s*(.*?)\s*-->"));

static ERROR_LOOKING: LazyLock<Regex> = LazyLock::new(|| {
    patterns::ascii(
        r"(?i)\b(?:error|errors|fatal|failed|failure|exception|panic|panicked|traceback)\b",
    )
});

/// Counts of zero and empty error fields: a summary, not a signal.
static NOT_AN_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    patterns::ascii(
        r"(?i)\b0 (?:errors?|failed|failures?)\b|\b(?:errors?|failures?|failed)[:=]\s*0\b|\bno errors?\b|\bwithout errors?\b",
    )
});

/// The parts of a causal line that change from run to run.
static VOLATILE: LazyLock<[(Regex, &str); 5]> = LazyLock::new(|| {
    [
        (
            patterns::ascii(
                r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            ),
            "<uuid>",
        ),
        (
            patterns::ascii(
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
            ),
            "<time>",
        ),
        (
            patterns::ascii(
                r#"(?:/tmp/|/var/folders/|/private/var/folders/|(?i:[a-z]:\\Users\\[^\\]+\\AppData\\Local\\Temp\\))[^\s'":,)]*"#,
            ),
            "<tmp>",
        ),
        (patterns::ascii(r"\b(?:0x)?[0-9a-fA-F]{7,}\b"), "<hex>"),
        (patterns::ascii(r"\d+"), "<n>"),
    ]
});

/// The causal line with its volatile parts masked.
pub fn mask(line: &str) -> String {
    let mut out = line.trim().as_bytes().to_vec();
    for (i, (re, with)) in VOLATILE.iter().enumerate() {
        out = if i == 3 {
            // Ids have digits; words like `deadline` or `facade` do not.
            re.replace_all(&out, |c: &patterns::Captures| {
                if c[0].iter().any(u8::is_ascii_digit) {
                    with.as_bytes().to_vec()
                } else {
                    c[0].to_vec()
                }
            })
            .into_owned()
        } else {
            re.replace_all(&out, with.as_bytes()).into_owned()
        };
    }
    patterns::text(&out).into_owned()
}

/// How many error-looking lines a `failure/unknown` finding cites.
const UNKNOWN_LINES: usize = 3;

/// A line and its number, as kept between windows: the line cut to an
/// excerpt, so the state stays small whatever the log holds.
type Kept = (u32, String);

/// What the rule remembers while it reads a log window by window.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Per class, in `CLASSES` order, the last line of its patterns.
    last: Vec<Option<Kept>>,
    /// Per class, the last line of its summaries.
    last_summary: Vec<Option<Kept>>,
    /// The last failing line that names a known-flaky test.
    flaky_named: Option<Kept>,
    /// The last question asked with `<!-- cp:question: ... -->`.
    question: Option<String>,
    /// The code of the last `exit: N`-style line.
    exit: Option<i64>,
    /// The last error-looking lines, oldest first.
    error_lines: VecDeque<Kept>,
    /// The last non-blank lines that are not exit lines, oldest first.
    tail: VecDeque<Kept>,
}

impl LogScanner for FailureClass {
    type State = State;

    fn scan(window: &Job, state: &mut State, config: &Config) -> Result<(), RuleError> {
        let (set, owners) = &*PATTERNS;
        state.last.resize(CLASSES.len(), None);
        state.last_summary.resize(CLASSES.len(), None);
        let mut error_lines = RecentLines::resume(UNKNOWN_LINES, &state.error_lines);
        let mut tail = RecentLines::resume(UNKNOWN_LINES, &state.tail);
        for (n, line) in window.new_lines() {
            let line = log_text(line);
            let matches = set.matches(line.as_bytes());
            for &pattern in &matches {
                let (class, summary) = owners[pattern];
                let last = if summary {
                    &mut state.last_summary
                } else {
                    &mut state.last
                };
                last[class] = Some((n, excerpt(line)));
            }
            if !matches.is_empty()
                && let Some(q) = QUESTION.captures(line.as_bytes())
            {
                state.question = Some(excerpt(&patterns::text(&q[1])));
            }
            let error_looking = ERROR_LOOKING.is_match(line.as_bytes());
            if error_looking && !NOT_AN_ERROR.is_match(line.as_bytes()) {
                error_lines.push(n, line);
            }
            if error_looking
                && config
                    .known_flaky
                    .iter()
                    .any(|t| !t.is_empty() && line.contains(t.as_str()))
            {
                state.flaky_named = Some((n, excerpt(line)));
            }
            match exit_code_in(line) {
                Some(code) => state.exit = Some(code),
                None if !line.trim().is_empty() => tail.push(n, line),
                None => {}
            }
        }
        state.error_lines = error_lines.excerpts();
        state.tail = tail.excerpts();
        Ok(())
    }

    fn finish(job: &Job, mut state: State, _: &Config) -> Result<Vec<Finding>, RuleError> {
        // A class's causal line: its last pattern line, else its last summary.
        state.last.resize(CLASSES.len(), None);
        state.last_summary.resize(CLASSES.len(), None);
        for (last, summary) in state.last.iter_mut().zip(&mut state.last_summary) {
            if last.is_none() {
                *last = summary.take();
            }
        }
        let position = |name: &str| CLASSES.iter().position(|c| c.name == name).unwrap();
        let (flaky, validation, awaiting) = (
            position("flaky_test"),
            position("validation_failure"),
            position("awaiting_input"),
        );
        // A known-flaky test's failure counts only when tests failed at all.
        if state.last[flaky].is_none() && state.last[validation].is_some() {
            state.last[flaky] = state.flaky_named.take();
        }

        let exit = match job.meta.as_ref().and_then(|m| m.exit_code) {
            Some(code) => Some((code, "meta.json")),
            None => state.exit.map(|code| (code, "log")),
        };
        let matched = state.last.iter().position(Option::is_some);
        let failed = match exit {
            Some((code, _)) => code != 0,
            None => matched.is_some(),
        };
        let class = if failed {
            matched
        } else {
            // A green job: only a question for a person is worth saying.
            state.last[awaiting].is_some().then_some(awaiting)
        };
        let stage = job.meta.as_ref().and_then(|m| m.stage.clone());
        let exit_json = exit.map(|(code, from)| json!({"code": code, "from": from}));
        let Some(class_index) = class else {
            return Ok(if failed {
                vec![unknown(job, state, exit_json, stage)]
            } else {
                Vec::new()
            });
        };
        let class = &CLASSES[class_index];
        let (line_no, line) = state.last[class_index]
            .take()
            .expect("a matched class has a line");
        let kind = format!("failure/{}", class.name);
        let mut data = json!({
            "class": class.name,
            "causal_line": line,
            "exit": exit_json,
            "stage": stage,
        });
        if class_index == awaiting {
            data["question"] = json!(state.question.as_deref().unwrap_or(&line));
        }
        let mut finding = Finding::new(&kind, class.severity, class.title)
            .message(format!(
                "{} at line {line_no} of {}: {line}{}",
                class.title,
                job.source,
                match exit {
                    Some((code, from)) => format!(" (exit code {code}, from {from})"),
                    None => String::new(),
                }
            ))
            .fingerprint(fingerprint(&[FailureClass::ID, &kind, &mask(&line)]))
            .evidence(Evidence::at_lines(job, line_no, line_no, line.as_str()));
        for action in class.actions {
            finding = finding.action(*action);
        }
        Ok(vec![finding.data(data)])
    }
}

impl Classifier for FailureClass {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        augur_sdk::scan_whole::<FailureClass>(job, config)
    }
}

/// A failed job no class explains: its last error-looking lines or, with
/// none, the last words before the exit (the best clue there is).
fn unknown(
    job: &Job,
    state: State,
    exit: Option<serde_json::Value>,
    stage: Option<String>,
) -> Finding {
    let lines = if state.error_lines.is_empty() {
        state.tail
    } else {
        state.error_lines
    };
    let mut finding = Finding::new(
        UNKNOWN,
        Severity::Medium,
        "The job failed for a reason no class explains",
    )
    .message(match lines.back() {
        Some((n, l)) => format!(
            "{} failed, and no failure class explains it; its last telling line is line {n}: {l}",
            job.source,
        ),
        None => format!("{} failed, and printed nothing", job.source),
    })
    .fingerprint(fingerprint(&[
        FailureClass::ID,
        UNKNOWN,
        &lines.back().map(|(_, l)| mask(l)).unwrap_or_default(),
    ]))
    .action("Investigate stderr and the last lines of the log")
    .action("If this failure recurs, add a pattern for it so it gets a class");
    for (n, l) in &lines {
        finding = finding.evidence(Evidence::at_lines(job, *n, *n, l.as_str()));
    }
    finding.data(json!({
        "class": "unknown",
        "exit": exit,
        "stage": stage,
        "error_lines": lines.iter().map(|(_, l)| l).collect::<Vec<_>>(),
    }))
}

augur_sdk::export_log_scanner!(FailureClass);

#[cfg(test)]
mod tests;
