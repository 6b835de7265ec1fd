//! failure-class: one primary reason a job failed, the line that shows it,
//! and what to do next.
//!
//! The log is read once, window by window, through `augur_sdk::ci`: each
//! line as the terminal showed it (no escape sequences or CI prefixes), the
//! CI system's steps, and how the job ended. Where the cause is looked for,
//! in order: the failing step (the step whose failure line the CI system
//! printed, or the last step when none did), the steps before it, and what
//! ran after it (uploads, caches, cleanup, post-job hooks).
//!
//! Each class has patterns (lines that name the cause: the failing test,
//! the compiler error), summaries (`1 failed, 47 passed`, `could not
//! compile`), claims (a test harness's failure line, which belongs to the
//! tests whatever words it holds) and deciding lines (Maven's failed goal,
//! which names the phase that failed). In a part of the log, the class is
//! the one a deciding line named, else the first in priority order (the
//! control plane's classification table, with `quota_exhausted` ahead of
//! transient API errors, `cancelled` after the timeouts that cancel jobs,
//! and `build_error` between missing dependencies and failing checks) that a
//! pattern matched, else the first a summary matched. Its causal line is its
//! first line there: the first failing test, the first compiler error.
//!
//! A job has failed when `meta.json`'s exit code is non-zero; else as its log
//! says (the CI system's outcome, a failing step, a command's exit status);
//! else, for plain output, when a class matched. A job that passed gets no
//! failure finding, whatever it printed, except `failure/awaiting_input`: a
//! question for a person blocks the job however it exited. A failed job no
//! class explains is `failure/unknown`, with the last error-looking lines of
//! its failing step as evidence: a failure is never silent.
//!
//! The fingerprint is built from the causal line with its volatile parts
//! masked (UUIDs, timestamps, temporary paths, hex ids, numbers), so the same
//! cause in two runs groups together.

use std::{collections::VecDeque, sync::LazyLock};

use augur_sdk::patterns::{self, AsciiSet, Regex};
use augur_sdk::{ci, excerpt, prelude::*, window::RecentLines};
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
    /// Patterns that also claim their line from every other class: a test
    /// runner's `TEST-UNEXPECTED-TIMEOUT | … timed out` is a failing test,
    /// not a job timeout.
    claims: &'static [&'static str],
    /// Lines where the build tool names the phase that failed (Maven's
    /// `Failed to execute goal …surefire…`): the last one in the failing
    /// step decides its class, whatever else the step printed (a failed
    /// javadoc run prints compiler-style errors; a dependency a module
    /// could not resolve may not be what stopped the build).
    decides: &'static [&'static str],
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
        claims: &[],
        decides: &[],
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
            r"Killed signal terminated program",
            r"fatal error: runtime: out of memory",
            r"Reached heap limit Allocation failed",
            r"(?i)virtual memory exhausted",
            r"(?i)\bjava heap space\b",
        ],
        summaries: &[
            r"(?i)\bexit(?:ed with)? code:? 137\b",
            r"(?i)killed \(?signal 9\)?|\bSIGKILL\b",
            r"^\s*Killed\s*$",
        ],
        claims: &[],
        decides: &[],
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
            r"(?i)\b(?:job|step|build|task|process|command|run|execution|script|workflow)(?: has)? timed out after \d",
            r"TimeoutExpired",
            r"(?i)killed (?:after|due to) (?:a )?timeout",
            r"No output has been received in the last \d+ ?m",
            r"(?i)build timed out \(after \d+ minutes?\)",
            r"(?i)execution took longer than \d",
            r"The job exceeded the maximum time limit",
            r"^\+{5,} Timeout \+{5,}$",
            r"^Failed: Timeout >\d",
            r"^panic: test timed out after ",
            r"^command timed out: \d+ seconds",
            r"Task timeout after \d+ seconds|max run time exceeded",
            r"(?i)\bterminated (?:due to|because of|after) (?:a )?time-?out\b",
        ],
        summaries: &[],
        claims: &[],
        decides: &[],
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
            r"(?i)\b(?:cancell?ed|aborted) by (?:user\b|the user\b|@\S)",
            r"^Aborted by \S",
        ],
        summaries: &[r"^Finished: ABORTED$", r"^ERROR: Job failed: .*cancell?ed"],
        claims: &[],
        decides: &[],
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
        claims: &[],
        decides: &[],
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
        claims: &[],
        decides: &[],
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
        claims: &[],
        decides: &[],
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
            r"ImportError: No module named ",
            r"ERROR: Failed building wheel for ",
            r"ERROR: Could not build wheels for ",
            r"(?i)ResolutionImpossible|have conflicting dependencies",
            r"No solution found when resolving dependencies",
            r"npm (?:ERR!|error) code (?:ERESOLVE|E404|ETARGET)",
            r"npm (?:ERR!|error) notarget ",
            r"ERR_PNPM_(?:NO_MATCHING_VERSION|FETCH_404|PEER_DEP)",
            r#"Couldn't find (?:package|any versions for) ""#,
            r"Could not resolve dependencies for project",
            r"Could not find artifact \S+",
            r"Non-resolvable (?:parent POM|import POM)",
            r"Could not resolve all (?:files|dependencies|artifacts|task dependencies) for configuration",
            r"^\s*> Could not find \S+:\S+",
            r"cannot find module providing package|no required module provides package",
            r#"cannot find package ".*" in any of"#,
            r"error: failed to select a version for",
            r"E: Package '\S+' has no installation candidate",
            r"Could not find gem '",
            r"Bundler could not find compatible versions",
            r"cannot load such file -- ",
            r"Your requirements could not be resolved to an installable set of packages",
            r"Could NOT find \w+ \(missing: ",
            r#"By not providing "Find\w+\.cmake""#,
            r"^/bin/(?:ba|da)?sh: \d+: \S+: not found$",
            r"(?i)error: linker `\S+` not found",
            r"(?i)no acceptable C compiler found|C compiler cannot create executables",
            r#"Cannot run program "[^"]+"(?: \(in directory "[^"]*"\))?: error=2, No such file or directory"#,
            r"pkg_resources\.(?:ContextualVersionConflict|VersionConflict|DistributionNotFound)",
            // bnd (OSGi builds): a bundle missing from every repository.
            r"version=[\[(]\S*[\])] Not found in \[",
        ],
        summaries: &[],
        claims: &[],
        decides: &[],
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
            r"^\S+\.go:\d+:\d+: (?:undefined: |undeclared name: |cannot use |imported and not used|syntax error|missing return|too many arguments|not enough arguments)",
            r"error: cannot find symbol",
            r"^(?:E\s+)?\s*(?:SyntaxError|IndentationError|TabError): ",
            r": (?:fatal )?error C\d{4}:",
            r": (?:fatal )?error LNK\d{4}:",
            r": error CS\d{4}:",
            r"^\[ERROR\] \S+\.(?:java|kt|scala|groovy):\[\d+,\d+\] ",
            r"^e: \S+\.kts?:",
            r"clang: error: linker command failed",
            r"^\S+\.swift:\d+:\d+: error: ",
            r"^\[error\] \S+\.(?:scala|java|kt)(?:\.html)?:\d+(?::\d+)?: ",
            r"^\S+\.go:\d+:\d+: .* \(compile\)$",
            r"npm (?:ERR!|error) (?:code )?EJSONPARSE",
        ],
        summaries: &[
            r"error: could not compile",
            r"ld returned \d+ exit status",
            r"\[ERROR\] COMPILATION ERROR",
            r"ninja: build stopped: subcommand failed",
            r"^\[error\] (?:\w+ )?errors? found|^\[error\] \(\S+\) Compilation failed",
            r"^FAILED: \S",
            r"Compilation failed; see the compiler error output|Execution failed for task '[^']*:compile\w*'",
        ],
        claims: &[],
        decides: &[r"Failed to execute goal \S*maven-compiler-plugin\S*"],
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
        claims: &[],
        decides: &[],
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
            r"^(?:FAIL|ERROR): \S+ \(",
            r"^--- FAIL: ",
            r"^thread '[^']+' panicked at ",
            r"^\s*● .+ › ",
            r"^\S+ > .+ FAILED$",
            r"^rspec \./\S+:\d+",
            r"^\[ERROR\]\s+\S+\.\w+:\d+ ",
            r"^\s*AssertionError\b",
            // A checker's own error line: mypy, ESLint, ruff, black.
            r"\.pyi?:\d+(?::\d+)?: error: ",
            r"^\s+\d+:\d+\s+error\s+",
            r"^\S+:\d+:\d+: [A-Z]+\d+ ",
            r"(?i)^would reformat:? \S",
            // pre-commit: `ruff.........Failed`.
            r"\.{4,}Failed$",
            r"Fatal Python error: ",
            r"^E {3,}\S",
            r"^_+ ERROR collecting \S+ _+$",
            r#""Output":"(?:--- FAIL: |panic: )"#,
            // Surefire's failing test (two spaces or ` -- ` before `Time
            // elapsed`; the class's `Tests run: …, Time elapsed` is a summary).
            r"\S(?:  | -- )Time elapsed: [\d.,]+ s(?:ec)?\s+<<< (?:FAILURE|ERROR)!$",
            r"^[\w.$]+\.\w+ FAILED$",
            r"\[junit\] Testcase: \S.*\s(?:FAILED|Caused an ERROR)$",
            r"JUnit (?:Jupiter|Vintage):\S+:\S+\(",
            r"^\s*✖\s+\d+:\d+\s+\S",
            r"Rule \d+: \S+ failed with message:",
            r"^\S+\.xml:\d+: Test \S+ failed",
            r"Rule violated for bundle|Coverage checks have not been met",
            r"The forked VM terminated without (?:properly )?saying (?:properly )?goodbye",
            r"^\s*(?:Uncaught )?AssertionError\b",
            r"^\s*Assertion failure: ",
            r"ERROR: AddressSanitizer: |ERROR: LeakSanitizer: |runtime error: .* (?:overflow|out of bounds)",
            r"\bError: Assertion failed\b",
            r"^\s+\S+\.(?:[cm]?[jt]sx?|vue):\d+:\d+: ",
            r"^\s*\d+:\d+\s+✖\s+\S",
            r"^\S+:\d+:\d+: \[error\] ",
            r"^\S+\.go:\d+:\d+: missing cases in switch of type",
            r"(?i)\bare not up[- ]to[- ]date\b|generated files are (?:inconsistent|out of date)",
            r"^\s+Failure/Error: ",
            r"^\s+FAIL \[\s*[\d.]+s\] ",
            r"^\s*FAIL\s+\S+\.(?:test|spec)\.[cm]?[jt]sx? > ",
            r"^\s*\d+\) (?:Failure|Error):$",
            r"^\d+\) \S+::\w+",
            r"^\s*Failed \S+ \[\d+(?:\.\d+)? ?m?s\]$",
            r"^\s*\d+/\d+ Test\s+#\d+: \S+ \.*\*+(?:Failed|Exception)",
            r"^\s+\d+\) test .* \(\S+\)$",
            r"^FAIL: //\S+",
            r"^panic: ",
            r"\.pyi?:\d+:\d+ - error: ",
            r"^\S+\.rb:\d+:\d+: [CWEF]: ",
            r"\[SC\d{4}\]",
            r"^\s*Error \([A-Z0-9_]+\) ",
            r"^Diff in \S+ at line \d+:",
            r"Imports are incorrectly sorted",
            r"^\S+\.go:\d+:\d+: .* \((?:errcheck|govet|staticcheck|gosimple|unused|ineffassign|typecheck|revive|gocritic|gofmt|goimports|stylecheck|misspell|unparam|SA\d+|ST\d+|S\d+|U\d+|QF\d+)\)$",
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
            // Jest's failing file: the `●` line below it names the test.
            r"^\s*FAIL\s+\S+\.(?:test|spec)\.[cm]?[jt]sx?\b",
            // cargo test's progress line: the panic below it names the cause.
            r"^test \S+ \.\.\. FAILED$",
            r"^\s*\d+ failing$",
            r"^\[error\] \(\S*scalastyle\S*\) ",
            // `go test -json`: the test's own line, quoted.
            r#""Action":"fail""#,
            // A bare checker's `file:line[:col]: message` (go vet, phpstan,
            // sorbet, hlint, reek, haml-lint): a diagnostic, when nothing
            // names the failure better.
            r"^\s*\.?/?[\w./-]+\.(?:go|php|rb|hs|haml|erb|slim|scala|kt|java|[cm]?[jt]sx?|vue|svelte|css|scss|less|ya?ml|sh|bash|tf|hcl|ex|exs|erl|lua|pl|sql|proto|dart|swift|md|rst|html?):\d+(?::\d+)?(?::| \[[A-Z]\])\s*[A-Za-z]",
            r"\d+ files? would be reformatted",
            r"Segmentation fault",
            // Mocha's numbered failures (its details follow below).
            r"^\s+\d+\) \S",
            r"^Tests run: .*<<< (?:FAILURE|ERROR)!",
            r"^\d+ tests? completed, \d+ failed",
            r"^\d+ runs, \d+ assertions, (?:[1-9]\d* failures|\d+ failures, [1-9]\d* errors)",
            r"^\d+% tests passed, [1-9]\d* tests? failed",
            r"^The following tests FAILED:",
            r"^\d+ (?:tests|doctests?|properties)(?:, \d+ \w+)*, [1-9]\d* failures?",
            r"^FAIL\s+\S+\s+[\d.]+s$",
            r"error: test run failed",
            r"Code style issues (?:found|were found)",
        ],
        claims: &[
            // Mozilla's test harnesses (mochitest, reftest, xpcshell, wpt,
            // jit-test, talos), on Taskcluster and Buildbot.
            r"TEST-UNEXPECTED-(?:FAIL|ERROR|CRASH|TIMEOUT|PASS|EXCEPTION|LEAK|NOTRUN)\b",
            r"PROCESS-CRASH \| ",
            // maven-javadoc-plugin quoting javadoc's `File.java:79: error:`.
            r"^\[ERROR\] Exit code: \d+ - ",
        ],
        decides: &[
            r"Failed to execute goal \S*(?:surefire|failsafe|checkstyle|jacoco|enforcer|spotbugs|findbugs|pmd|spotless|javadoc|animal-sniffer|apache-rat|license|scalastyle|scalafmt)\S*",
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
        claims: &[],
        decides: &[],
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
            r"(?i)^(?:error: )?cannot (?:rebase|pull with rebase): ",
            r"fatal: No (?:names found, cannot describe anything|tags can describe )",
            r": error MSB30(?:21|27): ",
            r"^error: (?:Your local changes to the following files|The following untracked working tree files) would be overwritten",
        ],
        summaries: &[],
        claims: &[],
        decides: &[],
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
            r"API rate limit exceeded|secondary rate limit",
            r"\(AccessDenied\) when calling|AccessDenied: Access Denied|InvalidAccessKeyId|SignatureDoesNotMatch",
            r"(?i)failed to download action|An action could not be found at the URI|Can't find 'action\.ya?ml'",
            r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Name or service not known|no such host",
            r"(?i)TLS handshake timeout|certificate verify failed|SSL routines|Received fatal alert",
            r"(?i)\b(?:ETIMEDOUT|ECONNRESET|EAI_AGAIN|ENETUNREACH)\b|network is unreachable|connection reset by peer",
            r"(?i)\bdial tcp\b.*(?:i/o timeout|connection refused|no such host)",
            r"Max retries exceeded with url|ReadTimeoutError|ConnectTimeoutError",
            r"Could not transfer artifact \S+ from/to ",
            r"^curl: \(\d+\) ",
            r"(?i)\b(?:502 Bad Gateway|503 Service (?:Unavailable|Temporarily Unavailable)|504 Gateway Time-?out)\b",
            r"httpReadSeeker|could not fetch content descriptor",
            r"\bENOSPC\b",
            r"denied: requested access to the resource is denied|no basic auth credentials",
            r"remote: Permission to \S+ denied",
            r"The (?:self-hosted |hosted )?runner: .* lost communication",
            r"Error (?:fetching|cloning) remote repo|fatal: Could not read from remote repository",
            r"(?i)\bconnection timed out\b",
            r"Remote Device Error: ",
            r"potentially insufficient UIDs or GIDs",
            r"twisted\.internet\.error\.ConnectionLost|Connection to the other side was lost",
        ],
        summaries: &[],
        claims: &[],
        decides: &[],
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

    fn setup() {
        LazyLock::force(&PATTERNS);
        PATTERNS.0.warm(patterns::WARM_UP_LOG);
        for re in [&QUESTION, &ERROR_LOOKING, &NOISE, &NOT_AN_ERROR] {
            LazyLock::force(re);
        }
        LazyLock::force(&VOLATILE);
    }
}

/// All patterns and summaries in one set, and which class each belongs to
/// (and whether it is a summary).
static PATTERNS: LazyLock<(AsciiSet, Vec<Owner>)> = LazyLock::new(|| {
    let (patterns, owners): (Vec<&str>, Vec<Owner>) = CLASSES
        .iter()
        .enumerate()
        .flat_map(|(class, c)| {
            let tier = move |list: &'static [&'static str], summary, claims| {
                list.iter().map(move |p| {
                    let owner = Owner {
                        class,
                        summary,
                        claims,
                        decides: false,
                    };
                    (*p, owner)
                })
            };
            let decides = c.decides.iter().map(move |p| {
                let owner = Owner {
                    class,
                    summary: true,
                    claims: false,
                    decides: true,
                };
                (*p, owner)
            });
            tier(c.patterns, false, false)
                .chain(tier(c.claims, false, true))
                .chain(tier(c.summaries, true, false))
                .chain(decides)
        })
        .unzip();
    (patterns::ascii_set(patterns), owners)
});

/// Which class a pattern of the set shows, and how.
#[derive(Clone, Copy)]
struct Owner {
    class: usize,
    summary: bool,
    claims: bool,
    decides: bool,
}

static QUESTION: LazyLock<Regex> =
    LazyLock::new(|| patterns::ascii(r"<!--\s*cp:question:\s*(.*?)\s*-->"));

static ERROR_LOOKING: LazyLock<Regex> = LazyLock::new(|| {
    patterns::ascii(
        r"(?i)\b(?:error|errors|fatal|failed|failure|exception|panic|panicked|traceback)\b",
    )
});

/// Lines that look like a failure and are not one: a configure script's
/// probe (`_configtest.c: fatal error: sys/endian.h: No such file`), Gradle
/// explaining why a task reruns.
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    patterns::ascii(r"\b_?conf(?:ig)?test\.c(?:pp)?\b|\bis not up-to-date because\b")
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

/// What the classes matched in one part of a log: per class (in `CLASSES`
/// order), its first pattern line and its first summary line.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Found {
    patterns: Vec<Option<Kept>>,
    summaries: Vec<Option<Kept>>,
    /// The class the last deciding line named (see `Class::decides`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decided: Option<usize>,
}

impl Found {
    fn note(&mut self, class: usize, summary: bool, n: u32, line: &str) {
        let kept = if summary {
            &mut self.summaries
        } else {
            &mut self.patterns
        };
        if kept.len() < CLASSES.len() {
            kept.resize(CLASSES.len(), None);
        }
        kept[class].get_or_insert_with(|| (n, excerpt(line)));
    }

    /// A class's causal line here: its first pattern line, else its first
    /// summary line.
    fn causal(&self, class: usize) -> Option<&Kept> {
        fn at(lines: &[Option<Kept>], class: usize) -> Option<&Kept> {
            lines.get(class).and_then(Option::as_ref)
        }
        at(&self.patterns, class).or_else(|| at(&self.summaries, class))
    }

    /// The class a deciding line named; else the first class, in priority
    /// order, that a line naming the failure matched here; else the first a
    /// summary matched.
    fn best(&self) -> Option<usize> {
        if self.decided.is_some() {
            return self.decided;
        }
        let any = |lines: &[Option<Kept>]| (0..lines.len()).find(|&c| lines[c].is_some());
        any(&self.patterns).or_else(|| any(&self.summaries))
    }

    /// Takes in `later`'s matches, class by class: the nearest step wins.
    fn absorb(&mut self, later: Found) {
        if later.decided.is_some() {
            self.decided = later.decided;
        }
        for (mine, theirs) in [
            (&mut self.patterns, later.patterns),
            (&mut self.summaries, later.summaries),
        ] {
            mine.resize(CLASSES.len(), None);
            for (m, t) in mine.iter_mut().zip(theirs) {
                if t.is_some() {
                    *m = t;
                }
            }
        }
    }
}

/// What the rule remembers while it reads a log window by window.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The CI system, its steps and the job's outcome.
    ci: ci::Reader,
    /// What the current step matched.
    step: Found,
    /// Per class, what the nearest earlier step matched.
    earlier: Found,
    /// What the failing step matched, once the log moved past it.
    failing: Option<Found>,
    /// What was matched after the failing step (uploads, cleanup).
    post: Found,
    /// The first failing line that names a known-flaky test.
    flaky_named: Option<Kept>,
    /// The first question asked with `<!-- cp:question: ... -->`.
    question: Option<String>,
    /// The last error-looking lines before the failing step ended, oldest
    /// first.
    error_lines: VecDeque<Kept>,
    /// The last non-blank lines before the failing step ended that are not
    /// exit lines, oldest first.
    tail: VecDeque<Kept>,
}

impl LogScanner for FailureClass {
    type State = State;

    fn scan(window: &Job, state: &mut State, config: &Config) -> Result<(), RuleError> {
        let (set, owners) = &*PATTERNS;
        let mut error_lines = RecentLines::resume(UNKNOWN_LINES, &state.error_lines);
        let mut tail = RecentLines::resume(UNKNOWN_LINES, &state.tail);
        for (n, raw) in window.new_lines() {
            let line = ci::clean(raw);
            let read = state.ci.read(n, raw, &line);
            let post = match read.role {
                ci::Role::Header => continue,
                ci::Role::Output { new_step } => {
                    if new_step {
                        state.earlier.absorb(std::mem::take(&mut state.step));
                    }
                    false
                }
                ci::Role::FailureMarker => false,
                ci::Role::Post { .. } => {
                    if state.failing.is_none() {
                        state.failing = Some(std::mem::take(&mut state.step));
                    }
                    true
                }
            };
            let mut matches = set.matches(line.as_bytes());
            if !matches.is_empty() && NOISE.is_match(line.as_bytes()) {
                matches.clear();
            }
            let found = if post {
                &mut state.post
            } else {
                &mut state.step
            };
            let claimed = matches
                .iter()
                .find(|&&p| owners[p].claims)
                .map(|&p| owners[p].class);
            for &pattern in &matches {
                let owner = owners[pattern];
                if claimed.is_none_or(|c| c == owner.class) {
                    found.note(owner.class, owner.summary, n, &line);
                    if owner.decides {
                        found.decided = Some(owner.class);
                    }
                }
            }
            if !matches.is_empty()
                && state.question.is_none()
                && let Some(q) = QUESTION.captures(line.as_bytes())
            {
                state.question = Some(excerpt(&patterns::text(&q[1])));
            }
            if read.role == ci::Role::FailureMarker {
                state.failing = Some(std::mem::take(&mut state.step));
            }
            if post {
                continue;
            }
            let error_looking = (ERROR_LOOKING.is_match(line.as_bytes())
                && !NOT_AN_ERROR.is_match(line.as_bytes()))
                || (read.outcome.is_none() && read.error_annotation);
            if error_looking && read.outcome.is_none() {
                error_lines.push_cow(n, line.clone());
            }
            if error_looking
                && state.flaky_named.is_none()
                && config
                    .known_flaky
                    .iter()
                    .any(|t| !t.is_empty() && line.contains(t.as_str()))
            {
                state.flaky_named = Some((n, excerpt(&line)));
            }
            if read.outcome.is_none() && !line.trim().is_empty() {
                tail.push_cow(n, line.clone());
            }
        }
        state.error_lines = error_lines.excerpts();
        state.tail = tail.excerpts();
        Ok(())
    }

    fn finish(job: &Job, state: State, _: &Config) -> Result<Vec<Finding>, RuleError> {
        let position = |name: &str| CLASSES.iter().position(|c| c.name == name).unwrap();
        let (flaky, validation, awaiting) = (
            position("flaky_test"),
            position("validation_failure"),
            position("awaiting_input"),
        );
        let verdict = state.ci.verdict();
        let exit = match job.meta.as_ref().and_then(|m| m.exit_code) {
            Some(code) => Some((Some(code), "meta.json")),
            None => verdict.map(|v| (v.code, "log")),
        };
        // Where the cause is looked for: the failing step (the last step when
        // no line marked one), then the steps before it, then what ran after.
        let State {
            step,
            earlier,
            failing,
            post,
            ..
        } = &state;
        let first = failing.as_ref().unwrap_or(step);
        let tiers = [first, earlier, post];
        let matched = tiers.iter().find_map(|t| t.best().map(|c| (*t, c)));
        let failed = match (job.meta.as_ref().and_then(|m| m.exit_code), verdict) {
            (Some(code), _) => code != 0,
            (None, Some(v)) => v.failed,
            (None, None) => matched.is_some(),
        };
        let chosen = if failed {
            matched.map(|(tier, class)| {
                // A known-flaky test's failure counts only when tests failed.
                match (&state.flaky_named, class == validation) {
                    (Some(named), true) => (flaky, named.clone()),
                    _ => (class, tier.causal(class).expect("matched").clone()),
                }
            })
        } else {
            // A green job: only a question for a person is worth saying.
            tiers
                .iter()
                .find_map(|t| t.causal(awaiting))
                .map(|line| (awaiting, line.clone()))
        };
        let stage = job.meta.as_ref().and_then(|m| m.stage.clone());
        let exit_json = exit.map(|(code, from)| json!({"code": code, "from": from}));
        let Some((class_index, (line_no, line))) = chosen else {
            return Ok(if failed {
                vec![unknown(job, state, exit_json, stage)]
            } else {
                Vec::new()
            });
        };
        let class = &CLASSES[class_index];
        let kind = format!("failure/{}", class.name);
        let mut data = json!({
            "class": class.name,
            "causal_line": line,
            "exit": exit_json,
            "stage": stage,
        });
        if let Some(system) = state.ci.system {
            data["ci"] = json!(system);
        }
        if class_index == awaiting {
            data["question"] = json!(state.question.as_deref().unwrap_or(&line));
        }
        let mut finding = Finding::new(&kind, class.severity, class.title)
            .message(format!(
                "{} at line {line_no} of {}: {line}{}",
                class.title,
                job.source,
                match exit {
                    Some((Some(code), from)) => format!(" (exit code {code}, from {from})"),
                    Some((None, from)) => format!(" (failed, from {from})"),
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
