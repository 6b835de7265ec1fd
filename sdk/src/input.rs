//! The typed inputs rules read: observer snapshots and job outputs.
//!
//! Every struct keeps the fields it does not know in `extra`, so a team that
//! records more than the core schema can read it from its own rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `schema` value of a version 1 snapshot.
pub const SNAPSHOT_SCHEMA_V1: &str = "augur.snapshot/v1";

/// An observer snapshot: one repository at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "augur observer snapshot, version 1")]
pub struct Snapshot {
    /// Where the snapshot came from (its file path); not part of the document.
    #[serde(skip)]
    pub source: String,
    /// `augur.snapshot/v1`; may be left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The repository, e.g. `acme/api`.
    pub repo: String,
    /// When the snapshot was taken, RFC 3339 (`2026-11-20T10:00:00Z`).
    pub observed_at: String,
    #[serde(default)]
    pub signals: Signals,
    /// Fields outside the core schema, passed through untouched.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Signals {
    /// Lint violations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<CountSignal>,
    /// Type-check errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<CountSignal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// Automated proposals (pull requests, patches) and what became of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<Proposal>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A count of problems, with the files that contribute most.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CountSignal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The worst files, worst first.
    #[serde(default)]
    pub top_files: Vec<FileCount>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileCount {
    pub path: String,
    pub count: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// Line coverage of the whole repository, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    #[serde(default)]
    pub uncovered_files: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The kind of change, e.g. `lint_fix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `merged`, `rejected`, `open`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `high`, `medium` or `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why an input document (a snapshot, a job's `meta.json`) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// The file the document came from.
    pub source: String,
    /// The JSON path of the offending field (`signals.lint.count`), when known.
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: field `{field}`: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for DocumentError {}

/// Parses JSON text into `T`; errors name the file and, where serde can
/// tell, the field (`signals.lint.count`).
fn parse_document<T: serde::de::DeserializeOwned>(
    source: &str,
    text: &str,
) -> Result<T, DocumentError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        DocumentError {
            source: source.to_owned(),
            field: (path != "." && !inner.is_syntax() && !inner.is_eof()).then_some(path),
            message: inner.to_string(),
        }
    })
}

impl Snapshot {
    /// Parses a snapshot document; errors name the file and, where serde can
    /// tell, the field.
    pub fn from_json(source: &str, text: &str) -> Result<Snapshot, DocumentError> {
        let mut snapshot: Snapshot = parse_document(source, text)?;
        if let Some(schema) = &snapshot.schema
            && schema != SNAPSHOT_SCHEMA_V1
        {
            return Err(DocumentError {
                source: source.to_owned(),
                field: Some("schema".to_owned()),
                message: format!(
                    "unknown snapshot schema `{schema}`; this version of augur reads `{SNAPSHOT_SCHEMA_V1}`"
                ),
            });
        }
        snapshot.source = source.to_owned();
        Ok(snapshot)
    }
}

/// What is known about a job besides its log (`meta.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "augur job metadata (meta.json)")]
pub struct JobMeta {
    /// The job's id (`id` is accepted too).
    #[serde(default, alias = "id", skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The job's exit status; non-zero means it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// `build`, `test`, `review`, `pr`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JobMeta {
    /// Parses a `meta.json`; errors name the file and the field.
    pub fn from_json(source: &str, text: &str) -> Result<JobMeta, DocumentError> {
        parse_document(source, text)
    }
}

/// One job's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The log's name: its file path, or `-` for standard input.
    pub source: String,
    pub meta: Option<JobMeta>,
    pub text: String,
    /// Line number, in the whole log, of the first line of `text`.
    pub first_line: u32,
    /// How many lines at the start of `text` a [`LogScanner`](crate::LogScanner)
    /// already saw at the end of the previous window (0 for a whole log).
    pub overlap: u32,
}

impl Job {
    /// A whole log with no metadata, as tests usually want it.
    pub fn from_text(source: &str, text: &str) -> Job {
        Job {
            source: source.to_owned(),
            meta: None,
            text: text.to_owned(),
            first_line: 1,
            overlap: 0,
        }
    }

    /// The lines of the log with their line numbers in the whole log. A
    /// trailing `\r` is removed.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = (u32, &str)> + ExactSizeIterator {
        let first = self.first_line;
        let lines: Vec<&str> = self.text.lines().collect();
        lines
            .into_iter()
            .enumerate()
            .map(move |(i, line)| (first + i as u32, line))
    }

    /// The job's source and meta, with no text.
    pub fn clone_without_text(&self) -> Job {
        Job {
            source: self.source.clone(),
            meta: self.meta.clone(),
            text: String::new(),
            first_line: self.first_line,
            overlap: 0,
        }
    }

    /// The lines not seen before: [`lines`](Job::lines) without the overlap
    /// with the previous window. What a [`LogScanner`](crate::LogScanner)
    /// counts.
    pub fn new_lines(&self) -> impl DoubleEndedIterator<Item = (u32, &str)> {
        self.lines().skip(self.overlap as usize)
    }
}

/// What a program printed on a log line, without the prefixes a CI system
/// adds: a timestamp (`2026-11-20T10:00:00.1234567Z ` as GitHub Actions
/// writes it, or `[2026-11-20T10:00:00Z] `), then a workflow command
/// (`##[error]`, `##[group]`). Patterns anchored at a line's start (`^FAILED`)
/// then match the same in a downloaded CI log as in a terminal.
pub fn log_text(line: &str) -> &str {
    strip_workflow_command(strip_timestamp(line))
}

/// `line` without a leading GitHub Actions or Azure Pipelines workflow
/// command (`##[error]`, `##[group]`, `##[section]`).
pub(crate) fn strip_workflow_command(line: &str) -> &str {
    if let Some(command) = line.strip_prefix("##[")
        && let Some(end) = command.find(']')
        && command[..end].bytes().all(|b| b.is_ascii_lowercase())
    {
        return &command[end + 1..];
    }
    line
}

/// `line` without a leading RFC 3339 timestamp (optionally in brackets) and
/// the one space after it.
pub(crate) fn strip_timestamp(line: &str) -> &str {
    // Every line of some logs passes here: plain byte comparisons, the
    // cheapest first (most lines fail at their first byte).
    let b = line.as_bytes();
    let s = usize::from(b.first() == Some(&b'['));
    let digit = |i: usize| b.get(s + i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(s + i) == Some(&c);
    // `YYYY-MM-DDTHH:MM:SS`, or a space for the `T`.
    let shaped = b"dddd-dd-ddTdd:dd:dd"
        .iter()
        .enumerate()
        .all(|(i, &c)| match c {
            b'd' => digit(i),
            b'T' => at(i, b'T') || at(i, b' '),
            c => at(i, c),
        });
    if !shaped {
        return line;
    }
    let mut i = 19;
    if at(i, b'.') || at(i, b',') {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if at(i, b'Z') {
        i += 1;
    } else if (at(i, b'+') || at(i, b'-')) && digit(i + 1) && digit(i + 2) {
        i += 3;
        if at(i, b':') {
            i += 1;
        }
        if digit(i) && digit(i + 1) {
            i += 2;
        }
    }
    if s == 1 {
        if !at(i, b']') {
            return line;
        }
        i += 1;
    }
    let start = s + i;
    match b.get(start) {
        Some(b' ') => &line[start + 1..],
        None => &line[start..],
        Some(_) => line,
    }
}

/// Whether `b` holds `exit` in any ASCII case. This runs on every line a
/// CI reader reads, and most lines hold no `x`: look for one eight bytes at
/// a time (a component has no SIMD), then at its neighbours.
pub(crate) fn has_exit(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let exit_at = |i: usize| {
        b[i] | 0x20 == b'x'
            && i >= 1
            && i + 2 < b.len()
            && b[i - 1] | 0x20 == b'e'
            && b[i + 1] | 0x20 == b'i'
            && b[i + 2] | 0x20 == b't'
    };
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        // Lower-cased (as far as `x` goes), then xor'ed with `x`: a byte is
        // zero where the word holds an `x` or an `X`.
        let w = (u64::from_le_bytes(word.try_into().expect("8 bytes")) | (ONES * 0x20))
            ^ (ONES * u64::from(b'x'));
        if w.wrapping_sub(ONES) & !w & HIGH != 0 && (at..at + 8).any(exit_at) {
            return true;
        }
        at += 8;
    }
    (at..b.len()).any(exit_at)
}

/// The exit code a log line reports, when it is an exit line: `exit: 2`
/// (also `exit=2`, `exit 2`) alone on its line, or one that says `Process
/// completed with exit code 2`, `exited with code 2` or `exit status 2`
/// (any case).
pub fn exit_code_in(line: &str) -> Option<i64> {
    if !has_exit(line.as_bytes()) {
        return None;
    }
    let lower = line.trim().to_ascii_lowercase();
    let number = |s: &str| -> Option<i64> {
        let end = s
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
            .map_or(s.len(), |(i, _)| i);
        s[..end].parse().ok()
    };
    if let Some(rest) = lower.strip_prefix("exit")
        && rest.starts_with([':', '=', ' '])
        && let Ok(code) = rest[1..].trim().parse()
    {
        return Some(code);
    }
    [
        "process completed with exit code ",
        "exited with exit code ",
        "exited with code ",
        "exit status ",
    ]
    .iter()
    .find_map(|marker| {
        let at = lower.find(marker)?;
        // `exit status` must start a word (not `myexit status`).
        let starts_word = lower[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        starts_word.then(|| number(&lower[at + marker.len()..]))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_exit_finds_exit_in_any_case_at_any_place() {
        let plain = |b: &[u8]| b.windows(4).any(|w| w.eq_ignore_ascii_case(b"exit"));
        // Every offset across the eight-byte words, every case, and the
        // bytes a word-at-a-time search could confuse with `x`.
        for word in [
            "exit", "EXIT", "eXiT", "exi", "xit", "ex1t", "EXIt", "ext", "x",
        ] {
            for pad in 0..20 {
                for filler in ["a", "\u{f8}", "X", "e", "\u{0}"] {
                    let line = format!("{}{word}{}", filler.repeat(pad), filler.repeat(pad % 7));
                    assert_eq!(
                        has_exit(line.as_bytes()),
                        plain(line.as_bytes()),
                        "{line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn keeps_unknown_fields() {
        let s = Snapshot::from_json(
            "a.json",
            r#"{"repo":"r","observed_at":"2026-01-01T00:00:00Z","team":"x",
                "signals":{"lint":{"count":3,"top_files":[],"tool":"ruff"},"custom":1}}"#,
        )
        .unwrap();
        assert_eq!(s.extra["team"], "x");
        assert_eq!(s.signals.extra["custom"], 1);
        assert_eq!(s.signals.lint.unwrap().extra["tool"], "ruff");
        assert_eq!(s.source, "a.json");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = Snapshot::from_json(
            "a.json",
            r#"{"repo":"r","observed_at":"t","signals":{"lint":{"count":"many"}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("signals.lint.count"));
        assert!(
            e.to_string()
                .starts_with("a.json: field `signals.lint.count`: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn missing_repo_and_unknown_schema_are_errors() {
        let e = Snapshot::from_json("a.json", r#"{"observed_at":"t"}"#).unwrap_err();
        assert!(e.message.contains("missing field `repo`"), "{e}");
        let e = Snapshot::from_json(
            "a.json",
            r#"{"schema":"augur.snapshot/v9","repo":"r","observed_at":"t"}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("augur.snapshot/v9"), "{e}");
    }

    #[test]
    fn log_text_drops_ci_prefixes() {
        for (line, text) in [
            (
                "2026-11-20T10:00:00.1234567Z FAILED tests/a.py::t",
                "FAILED tests/a.py::t",
            ),
            (
                "2026-11-20T10:00:00.1234567Z ##[error]Process completed with exit code 1.",
                "Process completed with exit code 1.",
            ),
            (
                "[2026-11-20T11:50:06Z] stream error: codex:",
                "stream error: codex:",
            ),
            ("2026-11-20 10:00:00,123+01:00   indented", "  indented"),
            ("##[group]Run pytest", "Run pytest"),
            ("2026-11-20T10:00:00Z", ""),
            ("2026-11-20 is the date", "2026-11-20 is the date"),
            (
                "[2026-11-20T10:00:00Z no bracket",
                "[2026-11-20T10:00:00Z no bracket",
            ),
            ("##[not a command", "##[not a command"),
            ("plain line", "plain line"),
        ] {
            assert_eq!(log_text(line), text, "{line}");
        }
    }

    #[test]
    fn exit_lines() {
        for (line, code) in [
            ("exit: 2", Some(2)),
            ("  EXIT=1 ", Some(1)),
            ("exit 137", Some(137)),
            ("exit: -1", Some(-1)),
            ("##[error]Process completed with exit code 1.", Some(1)),
            ("npm error command failed, exited with code 127", Some(127)),
            ("make: *** [all] Error 2; exit status 2", Some(2)),
            ("exit: 2 (after retry)", None),
            ("on exit: cleanup", None),
            ("myexit status 3", None),
            ("nothing here", None),
        ] {
            assert_eq!(exit_code_in(line), code, "{line}");
        }
    }

    #[test]
    fn job_lines_count_from_first_line() {
        let job = Job {
            first_line: 10,
            ..Job::from_text("x", "a\r\nb\nc")
        };
        let lines: Vec<_> = job.lines().collect();
        assert_eq!(lines, vec![(10, "a"), (11, "b"), (12, "c")]);
    }
}
