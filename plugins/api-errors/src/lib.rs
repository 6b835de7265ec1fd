//! api-errors: did the job fail because the model provider's API did?
//!
//! A keyword alone is not enough: a bare `503` in an access log or "timed
//! out" in a test name is not an API error. Each class needs a provider or
//! API context marker (`API Error`, `HTTPError`, `request failed`, `claude`,
//! `Anthropic`, `codex`, `OpenAI`, Node's `TypeError`) within the same short
//! window, except for the unambiguous `ETIMEDOUT`. Windows are 1 to 3
//! adjacent lines joined with a space, so output wrapped by a terminal is
//! still caught, and long windows keep only their tail, where the error sits.
//! The latest window that matches is the one reported: the freshest error is
//! the one that explains the job's end.

use std::sync::LazyLock;

use augur_sdk::prelude::*;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const OVERLOADED: &str = "api_error/overloaded";
pub const RATE_LIMIT: &str = "api_error/rate_limit";
pub const NETWORK: &str = "api_error/network";
pub const TIMEOUT: &str = "api_error/timeout";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Scan only this many lines from the end of the output; 0 scans it all.
    pub tail_lines: usize,
    /// Most adjacent lines joined into one window.
    pub window_lines: usize,
    /// Longer windows keep only their last this-many characters.
    pub window_max_chars: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tail_lines: 0,
            window_lines: 3,
            window_max_chars: 400,
        }
    }
}

pub struct ApiErrors;

impl Rule for ApiErrors {
    type Config = Config;
    const ID: &'static str = "api-errors";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Model provider API errors (overloaded, rate limited, 5xx or network failure, timeout) in a job's output";
    const KINDS: &'static [&'static str] = &[OVERLOADED, RATE_LIMIT, NETWORK, TIMEOUT];

    fn setup() {
        for hint in [&KEYWORD_HINT, &CONTEXT_HINT, &STANDALONE_HINT, &CONTEXT_RE] {
            LazyLock::force(hint);
        }
        LazyLock::force(&PATTERNS);
        LazyLock::force(&PROVIDER);
        LazyLock::force(&VOLATILE);
    }
}

/// An error class: its kind, its name in reports, and what to do about it.
struct Class {
    kind: &'static str,
    name: &'static str,
    title: &'static str,
    actions: &'static [&'static str],
}

const CLASSES: [Class; 4] = [
    Class {
        kind: OVERLOADED,
        name: "Overloaded",
        title: "The model provider's API was overloaded",
        actions: &[
            "Retry the job later: the provider was overloaded, the code is not at fault",
            "If it keeps happening, retry with exponential backoff or fall back to another model or provider",
        ],
    },
    Class {
        kind: RATE_LIMIT,
        name: "RateLimit",
        title: "The model provider's API rate-limited the job (429)",
        actions: &[
            "Lower the request rate or the number of concurrent jobs, and honour Retry-After",
            "If the limit is a quota rather than a burst limit, check the account's usage limits",
        ],
    },
    Class {
        kind: NETWORK,
        name: "NetworkError",
        title: "The model provider's API failed (5xx or network error)",
        actions: &[
            "Retry the job: a 5xx or a failed fetch is usually transient",
            "If it persists, check the provider's status page and the runner's network and proxy settings",
        ],
    },
    Class {
        kind: TIMEOUT,
        name: "Timeout",
        title: "A request to the model provider's API timed out",
        actions: &[
            "Retry the job, with a longer request timeout if the requests are large",
            "Check connectivity from the runner to the API endpoint (proxy, DNS, firewall)",
        ],
    },
];

/// The provider or API context a keyword must appear near.
const CONTEXT: &str = r"(?:API\s+Error|HTTP\s*Error|HTTPError|request\s+failed|codex|claude|Anthropic|OpenAI|TypeError)";

/// How far apart, in bytes, a context marker and a keyword may be.
const NEAR: usize = 200;

/// How a pattern uses the context marker.
enum Needs {
    /// The keyword alone is enough.
    Nothing,
    /// A context marker anywhere before the keyword.
    ContextBefore,
    /// A context marker within [`NEAR`] bytes before or after the keyword.
    ContextNear,
}

/// One detection: a keyword, what it needs from the context, its class.
struct Pattern {
    keyword: regex::bytes::Regex,
    needs: Needs,
    class: usize,
}

fn ascii(pattern: &str) -> regex::bytes::Regex {
    // ASCII-only matching over bytes: every keyword is ASCII, and small
    // ASCII automata compile in a fraction of the instructions Unicode ones
    // take; every fresh instance pays that cost once.
    regex::bytes::Regex::new(&format!("(?i-u){pattern}")).expect("api-errors patterns compile")
}

/// A word every keyword pattern contains (a superset of the patterns).
static KEYWORD_HINT: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| ascii(r"overloaded|529|429|rate_limit|50[0234]|fetch|timed|timeout"));

/// A word every context marker contains. Like the markers, it has no word
/// boundaries; `api` and `request` need the space (or line end) that follows
/// them in `API Error` and `request failed`.
static CONTEXT_HINT: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    ascii(r"api(?:\s|$)|http|request(?:\s|$)|codex|claude|anthropic|openai|typeerror")
});

/// A word every pattern that needs no context contains.
static STANDALONE_HINT: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| ascii(r"overloaded|429|etimedout"));

static CONTEXT_RE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| ascii(CONTEXT));

/// Patterns in priority order: the first that matches a window decides its class.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |keyword: &str, needs, class| Pattern {
        keyword: ascii(keyword),
        needs,
        class,
    };
    vec![
        p(r"API\s+Error:\s*Overloaded", Needs::Nothing, 0),
        p(r"overloaded_error|\b529\b", Needs::ContextBefore, 0),
        p(r"\b429\b", Needs::ContextBefore, 1),
        p(r"\b429\s+Too\s+Many\s+Requests", Needs::Nothing, 1),
        p(r"rate_limit_error", Needs::ContextBefore, 1),
        p(r"\b5(?:00|02|03|04)\b", Needs::ContextNear, 2),
        p(r"fetch\s+failed", Needs::ContextNear, 2),
        p(
            r"(?:request|connection)\s+(?:timed\s+out|timeout)",
            Needs::ContextNear,
            3,
        ),
        p(r"\bETIMEDOUT\b", Needs::Nothing, 3),
    ]
});

static PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(claude|anthropic|codex|openai)\b").expect("provider pattern")
});

/// The class of the first pattern, in priority order, that matches `window`.
fn classify_window(window: &str) -> Option<&'static Class> {
    let window = window.as_bytes();
    let contexts: Vec<(usize, usize)> = CONTEXT_RE
        .find_iter(window)
        .map(|m| (m.start(), m.end()))
        .collect();
    PATTERNS
        .iter()
        .find(|pattern| {
            pattern
                .keyword
                .find_iter(window)
                .any(|k| match pattern.needs {
                    Needs::Nothing => true,
                    Needs::ContextBefore => contexts.iter().any(|&(_, end)| end <= k.start()),
                    Needs::ContextNear => contexts.iter().any(|&(start, end)| {
                        (end <= k.start() && k.start() - end <= NEAR)
                            || (k.end() <= start && start - k.end() <= NEAR)
                    }),
                })
        })
        .map(|pattern| &CLASSES[pattern.class])
}

/// The last `max` characters of `s`, cut on a character boundary.
fn tail_chars(s: &str, max: usize) -> &str {
    match s.char_indices().rev().nth(max.saturating_sub(1)) {
        Some((i, _)) if max > 0 => &s[i..],
        _ if max == 0 => "",
        _ => s,
    }
}

fn head_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

/// The volatile parts of an error line: request ids, timestamps, long numbers.
static VOLATILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x-u)
        [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}  # UUID
        | \d{4}-\d{2}-\d{2}[T\ ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?   # timestamp
        | \b(?:req|msg|request|id)_[0-9A-Za-z]+                                      # provider ids
        | \b[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b                         # hex with a digit
        | \d{4,}                                                                     # long numbers
        | \d+(?:\.\d+)?\s*(?:ms|s|seconds|secs)\b                                    # durations
        ",
    )
    .expect("volatile pattern")
});

/// The volatile parts of an error line (request ids, timestamps, long
/// numbers) masked, so the same error in two runs has one fingerprint.
fn stable_text(s: &str) -> String {
    VOLATILE.replace_all(s, "#").into_owned()
}

impl Classifier for ApiErrors {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.window_lines == 0 {
            return Err(RuleError::InvalidConfig(
                "window_lines must be at least 1".into(),
            ));
        }
        if config.window_max_chars == 0 {
            return Err(RuleError::InvalidConfig(
                "window_max_chars must be at least 1".into(),
            ));
        }
        let mut lines: Vec<(u32, &str)> = job.lines().map(|(n, l)| (n, l.trim())).collect();
        if config.tail_lines > 0 && lines.len() > config.tail_lines {
            lines.drain(..lines.len() - config.tail_lines);
        }

        // Cheap per-line hints, each a superset of what the patterns need
        // (lines are joined with a space, so no hint word spans two lines).
        // A window is worth classifying only if it holds a keyword word and
        // either a context word or a keyword that needs no context: most
        // lines of most logs are dismissed with two fast scans.
        // Filled as the scan reaches each line: a window only reads lines at or
        // after its start, so an error near the end costs no pass over the rest.
        let mut hints = vec![(false, false); lines.len()];

        // Latest start first; at one start, the smallest window first. The
        // first hit is therefore the latest occurrence, in its tightest window.
        for start in (0..lines.len()).rev() {
            let line = lines[start].1.as_bytes();
            hints[start] = (
                KEYWORD_HINT.is_match(line),
                CONTEXT_HINT.is_match(line) || STANDALONE_HINT.is_match(line),
            );
            if line.is_empty() {
                continue;
            }
            for size in 1..=config.window_lines.min(lines.len() - start) {
                let near = &hints[start..start + size];
                if !(near.iter().any(|h| h.0) && near.iter().any(|h| h.1)) {
                    continue;
                }
                let part = &lines[start..start + size];
                let joined = part
                    .iter()
                    .map(|(_, l)| *l)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                let window = tail_chars(&joined, config.window_max_chars);
                let Some(class) = classify_window(window) else {
                    continue;
                };
                let last = part
                    .iter()
                    .rev()
                    .find(|(_, l)| !l.is_empty())
                    .map_or(part[0].0, |(n, _)| *n);
                return Ok(vec![finding(job, class, part[0].0, last, window)]);
            }
        }
        Ok(Vec::new())
    }
}

fn finding(job: &Job, class: &Class, first: u32, last: u32, window: &str) -> Finding {
    let snippet = head_chars(window, 240);
    let provider = PROVIDER.captures(window).map(|c| c[1].to_lowercase());
    let lines = if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}-{last}")
    };
    let mut f = Finding::new(class.kind, Severity::Medium, class.title)
        .message(format!(
            "{} at {lines} of {}: {}. This is the most recent API error in the output.",
            class.name,
            job.source,
            head_chars(window, 160)
        ))
        .fingerprint(fingerprint(&[
            ApiErrors::ID,
            class.kind,
            &stable_text(tail_chars(window, 120)),
        ]))
        .evidence(Evidence::at_lines(job, first, last, snippet))
        .data(json!({
            "class": class.name,
            "provider": provider,
            "snippet": head_chars(window, 160),
            "window_lines": last - first + 1,
        }));
    for action in class.actions {
        f = f.action(*action);
    }
    f
}

/// Characters of a line kept for `tail_lines`: what a window can use of it
/// (the end of a joined window is what counts).
const KEPT_LINE_CHARS: usize = 4096;

/// What api-errors remembers while it reads a log window by window.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The latest error found so far (`tail_lines` 0).
    latest: Option<Finding>,
    /// The last `tail_lines` lines, cut to their last `KEPT_LINE_CHARS`
    /// characters (`tail_lines` above 0).
    tail: std::collections::VecDeque<(u32, String)>,
}

/// A log scanner with the classifier's answer: the latest error of the
/// whole log. With `tail_lines` 0 each window is classified (its overlap
/// with the previous one holds the lines a joined window spans) and a later
/// window's error replaces an earlier one's; otherwise the last `tail_lines`
/// lines are kept and classified at the end.
impl LogScanner for ApiErrors {
    type State = State;

    fn scan(window: &Job, state: &mut State, config: &Config) -> Result<(), RuleError> {
        if config.tail_lines == 0 {
            if let Some(found) = ApiErrors::classify(window, config)?.pop() {
                state.latest = Some(found);
            }
            return Ok(());
        }
        for (n, line) in window.new_lines() {
            match state.tail.back_mut() {
                // The next piece of a line longer than a window.
                Some((last, kept)) if *last == n => kept.push_str(line),
                _ => {
                    if state.tail.len() == config.tail_lines {
                        state.tail.pop_front();
                    }
                    state.tail.push_back((n, line.to_owned()));
                }
            }
            let (_, kept) = state.tail.back_mut().expect("a line was just kept");
            let skip = kept.chars().count().saturating_sub(KEPT_LINE_CHARS);
            if let Some((at, _)) = kept.char_indices().nth(skip).filter(|_| skip > 0) {
                kept.drain(..at);
            }
        }
        Ok(())
    }

    fn finish(job: &Job, state: State, config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.tail_lines == 0 {
            return Ok(state.latest.into_iter().collect());
        }
        let Some((first, _)) = state.tail.front() else {
            return Ok(Vec::new());
        };
        let tail = Job {
            text: state
                .tail
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            first_line: *first,
            ..job.clone_without_text()
        };
        ApiErrors::classify(&tail, config)
    }
}

augur_sdk::export_log_scanner!(ApiErrors);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Finding> {
        ApiErrors::classify(&Job::from_text("job.log", text), &Config::default()).unwrap()
    }

    fn kind(text: &str) -> Option<String> {
        run(text).pop().map(|f| f.kind)
    }

    #[test]
    fn each_class_with_context() {
        assert_eq!(kind("API Error: Overloaded").as_deref(), Some(OVERLOADED));
        assert_eq!(
            kind("claude: API Error: 429 rate limited").as_deref(),
            Some(RATE_LIMIT)
        );
        assert_eq!(
            kind("HTTP 429 Too Many Requests").as_deref(),
            Some(RATE_LIMIT)
        );
        assert_eq!(
            kind("OpenAI request failed with status 503").as_deref(),
            Some(NETWORK)
        );
        assert_eq!(kind("TypeError: fetch failed").as_deref(), Some(NETWORK));
        assert_eq!(
            kind("codex: request timed out after 600s").as_deref(),
            Some(TIMEOUT)
        );
        assert_eq!(
            kind("connect ETIMEDOUT 10.0.0.1:443").as_deref(),
            Some(TIMEOUT)
        );
    }

    #[test]
    fn keywords_without_context_are_not_api_errors() {
        assert_eq!(
            kind("10.0.0.7 - - [20/Nov/2026] \"GET /health HTTP/1.1\" 503 12"),
            None
        );
        assert_eq!(
            kind("test_request_timed_out ... ok\nconnection timed out while waiting for db"),
            None
        );
        assert_eq!(kind("fetch failed: npm registry unreachable"), None);
        assert_eq!(kind("Processed 429 files"), None);
    }

    #[test]
    fn wrapped_output_is_joined() {
        let findings = run("starting\nclaude:\n   request timed out\nexit 1");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, TIMEOUT);
        assert_eq!(findings[0].evidence[0].locator, "L2-L3");
    }

    #[test]
    fn latest_occurrence_wins() {
        let findings = run(
            "API Error: Overloaded\nretrying\nAnthropic API error 500 Internal Server Error\ndone",
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, NETWORK);
        assert_eq!(findings[0].evidence[0].locator, "L3");
        assert_eq!(findings[0].data["provider"], "anthropic");
    }

    #[test]
    fn context_must_be_near_for_5xx_fetch_and_timeouts() {
        let gap = "x ".repeat(120);
        assert_eq!(kind(&format!("claude said {gap} then 503")), None);
        assert_eq!(kind(&format!("503 {gap} claude")), None);
        assert_eq!(
            kind("503 from upstream, said claude").as_deref(),
            Some(NETWORK)
        );
        assert_eq!(
            kind(&format!("claude said {gap} then 429")).as_deref(),
            Some(RATE_LIMIT)
        );
        assert_eq!(kind("429 then claude"), None);
    }

    #[test]
    fn markers_inside_longer_words_still_count() {
        // The context markers carry no word boundaries; the line hints must not add any.
        assert_eq!(
            kind("ClientHTTPError: 503 Service Unavailable").as_deref(),
            Some(NETWORK)
        );
        assert_eq!(kind("subrequest failed: 502").as_deref(), Some(NETWORK));
        assert_eq!(kind("GraphAPI Error: 429").as_deref(), Some(RATE_LIMIT));
    }

    #[test]
    fn markers_and_keywords_split_over_lines_are_still_found() {
        assert_eq!(
            kind("the request\nfailed with 503").as_deref(),
            Some(NETWORK)
        );
        assert_eq!(
            kind("HTTP 429 Too Many\nRequests").as_deref(),
            Some(RATE_LIMIT)
        );
        assert_eq!(kind("claude:\nfetch\nfailed").as_deref(), Some(NETWORK));
    }

    #[test]
    fn overloaded_outranks_other_classes_in_one_window() {
        assert_eq!(
            kind("API Error: Overloaded (HTTP 529) request timed out").as_deref(),
            Some(OVERLOADED)
        );
    }

    #[test]
    fn long_windows_keep_their_tail() {
        let noise = "x".repeat(1000);
        assert_eq!(
            kind(&format!("{noise} claude API Error: 429")).as_deref(),
            Some(RATE_LIMIT)
        );
    }

    #[test]
    fn fingerprint_ignores_volatile_parts_but_not_the_class() {
        let a = run("claude: API Error: 429 request_id=req_011CXk2 at 2026-11-20T10:00:01Z");
        let b = run("noise\nclaude: API Error: 429 request_id=req_99ZZab at 2026-11-21T08:12:45Z");
        let c = run("claude: API Error: 500 request_id=req_011CXk2 at 2026-11-20T10:00:01Z");
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[0].fingerprint, c[0].fingerprint);
    }

    #[test]
    fn tail_lines_limits_the_scan() {
        let text = "API Error: Overloaded\nok\nok\nok";
        let config = Config {
            tail_lines: 2,
            ..Config::default()
        };
        assert!(
            ApiErrors::classify(&Job::from_text("j", text), &config)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn tail_chars_respects_char_boundaries() {
        assert_eq!(tail_chars("héllo", 4), "éllo");
        assert_eq!(tail_chars("ab", 5), "ab");
    }

    #[test]
    fn windows_give_the_same_findings_as_a_whole_log() {
        // The rule's cases, the same `augur test` runs through the component.
        let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
        let mut logs = 0;
        for case in std::fs::read_dir(cases).unwrap() {
            let entry = case.unwrap().path().join("output.log");
            if !entry.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&entry).unwrap();
            let job = Job::from_text("job.log", &text);
            for config in [
                Config::default(),
                Config {
                    tail_lines: 5,
                    ..Config::default()
                },
            ] {
                let whole = ApiErrors::classify(&job, &config).unwrap();
                for overlap in [4, 8] {
                    let windowed =
                        augur_sdk::scan_in_windows::<ApiErrors>(&job, &config, 256, overlap)
                            .unwrap();
                    assert_eq!(windowed, whole, "{}", entry.display());
                }
            }
            logs += 1;
        }
        assert!(logs >= 5, "{logs}");
    }
}
