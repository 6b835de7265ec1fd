//! Reading a CI log as a person reads it: what the terminal showed, which
//! step each line belongs to, and how the job ended.
//!
//! Three pieces, shared by the built-in classifiers and open to custom rules:
//!
//! - [`clean`]: a raw log line as a terminal would have shown it, without the
//!   decorations CI systems add. ANSI/VT escape sequences (CSI, OSC, APC, DCS,
//!   charset selection) and other control characters are dropped; an in-line
//!   `\r` keeps what was drawn last (progress bars, and the `\r\e[0K` after a
//!   GitLab section or Travis fold marker); trailing `\r`s (`\r\r\n`) go; so
//!   do GitHub Actions and Jenkins timestamps, workflow commands (`##[group]`,
//!   `##[error]`, Azure's `##[section]`), GitLab's `section_start:`/
//!   `section_end:`, Travis's `travis_fold:`/`travis_time:` and Buildkite's
//!   `_bk;t=` markers. Line numbers are untouched: a rule cleans each line
//!   it reads and cites the original line's number.
//! - [`outcome_in`]: the exit status or result a line reports, and whether it
//!   speaks for the whole job (`Done. Your build exited with 1.`,
//!   `Finished: SUCCESS`, `ERROR: Job failed: exit code 1`), for a CI step
//!   (`Process completed with exit code 2.`, `The command "make" exited with
//!   2.`, `Build step 'Execute shell' marked build as failure`), or for some
//!   command inside one (`exit status 1`).
//! - [`Reader`]: fed every line in order (across windows: it is
//!   serializable state), it knows the CI system, where each step starts,
//!   which lines are the step's own header rather than output (the script
//!   GitHub Actions echoes under `##[group]Run`), when the job moved past its
//!   failing step into post-failure work (uploads, caches, cleanup, post-job
//!   hooks), and finally the job's [`Verdict`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::input::strip_timestamp;

/// Literals every line a [`Reader`] learns from holds (ASCII case aside):
/// the CI systems' markers (step starts and ends, headers, error
/// annotations), their outcome lines and every `exit` line. A rule that
/// reads the job through a `Reader` and declares an
/// [`Interest`](crate::prefilter::Interest) adds these to its own literals:
/// the lines without them are the same to the `Reader` emptied or not.
pub const MARKERS: &[&str] = &[
    "_bk;t=",
    "##[",
    "##teamcity[",
    "post job cleanup",
    "section_",
    "travis_",
    "[pipeline]",
    "started by ",
    "running as system",
    "~~~ ",
    "--- ",
    "+++ ",
    "exit",
    "finished: ",
    "[zuul]",
    "results: ",
    "task run with",
    "build has been terminated",
    "build has been stopped",
    "build failed.",
    "build succeeded.",
    "job succeeded",
    "job failed",
    "marked build as failure",
    "\u{1f6a8}",
];

/// A raw log line as a terminal would have shown it, without CI decorations
/// (see the [module](self) docs). Borrows when there is nothing to remove.
pub fn clean(raw: &str) -> Cow<'_, str> {
    // A byte order mark opens some downloaded logs.
    let line = raw
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    // One pass finds whether there is anything to undo (most lines: no).
    let line: Cow<str> = if has_controls(line.as_bytes()) {
        // What a terminal shows after a carriage return is what was drawn
        // last.
        let line = match line.rfind('\r') {
            Some(at) => &line[at + 1..],
            None => line,
        };
        Cow::Owned(strip_controls(line))
    } else {
        Cow::Borrowed(line)
    };
    match line {
        Cow::Borrowed(line) => Cow::Borrowed(strip_decorations(line)),
        Cow::Owned(line) => {
            let stripped = strip_decorations(&line);
            if stripped.len() == line.len() {
                Cow::Owned(line)
            } else {
                Cow::Owned(stripped.to_owned())
            }
        }
    }
}

/// Whether `bytes` holds a control character other than a tab. Eight bytes
/// at a time: a component has no SIMD, and this runs on every line.
fn has_controls(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = |b: &u8| *b < 0x20 && *b != b'\t';
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // Some byte is under 0x20 (a tab, say): look at the eight.
        if w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0 && word.iter().any(control) {
            return true;
        }
    }
    words.remainder().iter().any(control)
}

/// `line` without escape sequences and control characters (tabs stay).
fn strip_controls(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b => i = skip_escape(b, i + 1),
            b'\t' => {
                out.push(b'\t');
                i += 1;
            }
            c if c < 0x20 || c == 0x7f => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were removed, so the rest is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The index after the escape sequence whose ESC was just before `i`.
fn skip_escape(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        // CSI: parameters and intermediates, then one final byte.
        Some(b'[') => {
            let mut j = i + 1;
            while j < b.len() && (0x20..0x40).contains(&b[j]) {
                j += 1;
            }
            (j + 1).min(b.len())
        }
        // OSC, DCS, APC, PM, SOS: up to BEL or ST (ESC \).
        Some(b']' | b'P' | b'_' | b'^' | b'X') => {
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    0x07 => return j + 1,
                    0x1b if b.get(j + 1) == Some(&b'\\') => return j + 2,
                    _ => j += 1,
                }
            }
            j
        }
        // Charset selection (`ESC ( B`) and other two-byte intermediates.
        Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%') => (i + 2).min(b.len()),
        // Any other two-byte escape (`ESC =`, `ESC 7`, `ESC M`).
        Some(_) => i + 1,
        None => i,
    }
}

/// `line` without the prefixes CI systems add to what a program printed.
fn strip_decorations(line: &str) -> &str {
    // Every prefix starts with one of these bytes; most lines start with
    // none of them.
    if !matches!(
        line.as_bytes().first(),
        Some(b'0'..=b'9' | b'[' | b'#' | b's' | b't' | b'_' | b'|')
    ) {
        return line;
    }
    let mut rest = line;
    // A timestamp may carry another (a CI log of a log).
    for _ in 0..2 {
        let before = rest.len();
        rest = strip_clock(strip_timestamp(strip_tag(rest)));
        // Zuul: `2017-06-01 10:00:00.123456 | `.
        rest = rest.strip_prefix("| ").unwrap_or(rest);
        if rest.len() == before {
            break;
        }
    }
    // GitHub Actions and Azure Pipelines workflow commands.
    rest = crate::input::strip_workflow_command(rest);
    // Markers whose `\r\e[0K` was lost on the way.
    if rest.starts_with("section_") || rest.starts_with("travis_") {
        for marker in [
            "section_start:",
            "section_end:",
            "travis_fold:",
            "travis_time:",
        ] {
            if let Some(tail) = rest.strip_prefix(marker) {
                rest = tail.split_once(' ').map_or("", |(_, text)| text);
            }
        }
    }
    if let Some(tail) = rest.strip_prefix("_bk;t=") {
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        rest = tail[digits..].trim_start_matches('\u{7}');
    }
    rest
}

/// `line` without a Taskcluster tag: `[taskcluster 2025-02-13 21:56:23.368Z] `,
/// `[task 2025-02-14T07:27:31.970Z] `, `[taskcluster:error] `, `[setup …] `.
fn strip_tag(line: &str) -> &str {
    let Some(inner) = line.strip_prefix('[') else {
        return line;
    };
    let Some(end) = inner.find("] ") else {
        return line;
    };
    let tag = &inner[..end];
    let (name, time) = tag.split_once(' ').unwrap_or((tag, ""));
    let known = name.starts_with("taskcluster")
        || matches!(
            name,
            "task" | "setup" | "fetches" | "cache" | "volume" | "vcs"
        );
    let timed = time.is_empty() || strip_timestamp(time).is_empty();
    if known && timed {
        &inner[end + 2..]
    } else {
        line
    }
}

/// `line` without a leading time of day, as Jenkins' timestamper and
/// TeamCity print it: `12:34:56 `, `[12:34:56] `, `[12:34:56.789] `,
/// `00:00:01.234 `.
fn strip_clock(line: &str) -> &str {
    let b = line.as_bytes();
    let bracketed = b.first() == Some(&b'[');
    let s = usize::from(bracketed);
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shaped = digit(s)
        && digit(s + 1)
        && b.get(s + 2) == Some(&b':')
        && digit(s + 3)
        && digit(s + 4)
        && b.get(s + 5) == Some(&b':')
        && digit(s + 6)
        && digit(s + 7);
    if !shaped {
        return line;
    }
    let mut i = s + 8;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if bracketed {
        if b.get(i) != Some(&b']') {
            return line;
        }
        i += 1;
    }
    let rest = match b.get(i) {
        Some(b' ' | b'\t') => &line[i + 1..],
        None => &line[i..],
        Some(_) if bracketed => &line[i..],
        Some(_) => return line,
    };
    strip_level(rest)
}

/// After a time of day, a logger's level: mozharness writes
/// `12:24:02     INFO -  text`.
fn strip_level(line: &str) -> &str {
    let trimmed = line.trim_start_matches(' ');
    for level in ["INFO", "WARNING", "ERROR", "CRITICAL", "DEBUG", "FATAL"] {
        if let Some(rest) = trimmed
            .strip_prefix(level)
            .and_then(|r| r.strip_prefix(" - "))
        {
            return rest.strip_prefix(' ').unwrap_or(rest);
        }
    }
    line
}

/// Which lines a log's outcome speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The whole job: `Done. Your build exited with 1.`, `Finished: FAILURE`,
    /// `ERROR: Job failed: exit code 1`, `Job succeeded`.
    Job,
    /// One step, as the CI system reports it: `Process completed with exit
    /// code 2.`, `The command "make" exited with 2.`, `Build step 'Execute
    /// shell' marked build as failure`, `Exited with code exit status 1`.
    Step,
    /// A command inside a step: `exit status 1`, `exit: 2`.
    Command,
}

/// What a line says about how a job, a step or a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub scope: Scope,
    /// The exit status, when the line gives one.
    pub code: Option<i64>,
    /// It failed (a non-zero status, `FAILURE`, `UNSTABLE`, `ABORTED`).
    pub failed: bool,
    /// It was aborted or cancelled rather than failed by its code.
    pub aborted: bool,
}

impl Outcome {
    /// An outcome said in words, with no exit status.
    fn said(scope: Scope, failed: bool, aborted: bool) -> Outcome {
        Outcome {
            scope,
            code: None,
            failed,
            aborted,
        }
    }

    fn code(scope: Scope, code: i64) -> Outcome {
        Outcome {
            scope,
            code: Some(code),
            failed: code != 0,
            aborted: false,
        }
    }
}

/// The leading integer of `s` (an optional `-`, then digits).
fn leading_number(s: &str) -> Option<i64> {
    let s = s.trim_start_matches(['\'', '"', ' ']);
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(s.len(), |(i, _)| i);
    s[..end].parse().ok()
}

/// What a cleaned log line (see [`clean`]) says about how the job, a step
/// or a command ended, if anything.
pub fn outcome_in(line: &str) -> Option<Outcome> {
    let line = line.trim();
    // The CI systems' own lines start with one of these bytes (`🚨` with
    // 0xF0), and all but those of the first group say `exit`; any other
    // line can only be a command's `exit status N`. Most lines fail both
    // looks, which cost less than comparing prefixes.
    let says_exit = crate::input::has_exit(line.as_bytes());
    match line.as_bytes().first() {
        Some(b'B' | b'E' | b'F' | b'J' | b'T' | b'Y' | b'[' | b'r') => {}
        Some(b'C' | b'D' | b'P' | b'S' | b'U' | b's' | b'+' | 0xF0) if says_exit => {}
        _ if says_exit => {
            return crate::exit_code_in(line).map(|c| Outcome::code(Scope::Command, c));
        }
        _ => return None,
    }
    let after = |prefix: &str| line.strip_prefix(prefix);
    // Whole jobs.
    if let Some(rest) = after("Done. Your build exited with ") {
        return leading_number(rest).map(|c| Outcome::code(Scope::Job, c));
    }
    // Jenkins, Zuul, Buildbot.
    if let Some(result) = after("Finished: ")
        .or_else(|| after("[Zuul] Job complete, result: "))
        .or_else(|| after("results: "))
    {
        let word = result.split(' ').next().unwrap_or_default();
        let (failed, aborted) = match word {
            "SUCCESS" | "success" => (false, false),
            "FAILURE" | "UNSTABLE" | "failure" | "warnings" | "exception" => (true, false),
            "ABORTED" | "NOT_BUILT" | "retry" | "cancelled" => (true, true),
            _ => return None,
        };
        return Some(Outcome::said(Scope::Job, failed, aborted));
    }
    // Taskcluster, Zuul.
    for (prefix, scope) in [
        ("Unsuccessful task run with exit code: ", Scope::Job),
        ("Successful task run with exit code: ", Scope::Job),
        ("[Zuul] Task exit code: ", Scope::Step),
    ] {
        if let Some(rest) = after(prefix) {
            return leading_number(rest).map(|c| Outcome::code(scope, c));
        }
    }
    // Travis stopped the job (a time limit, a log too long, a stalled build).
    if line == "The build has been terminated" || line == "Your build has been stopped." {
        return Some(Outcome::said(Scope::Job, true, false));
    }
    // MSBuild's own result.
    if line == "Build FAILED." || line == "Build succeeded." {
        return Some(Outcome::code(
            Scope::Command,
            i64::from(line == "Build FAILED."),
        ));
    }
    if line == "Job succeeded" {
        return Some(Outcome::code(Scope::Job, 0));
    }
    if let Some(rest) = after("ERROR: Job failed") {
        let code = rest
            .split_once("exit code ")
            .and_then(|(_, c)| leading_number(c));
        let aborted = rest.contains("canceled") || rest.contains("cancelled");
        return Some(Outcome {
            code,
            ..Outcome::said(Scope::Job, true, aborted)
        });
    }
    if line.starts_with("Build step '") && line.ends_with("' marked build as failure") {
        return Some(Outcome::said(Scope::Step, true, false));
    }
    // Every line below says `exit`.
    if !says_exit {
        return None;
    }
    // CI steps.
    // A GitHub Actions action whose tool failed.
    if line.starts_with("The process '")
        && let Some(at) = line.rfind("' failed with exit code ")
    {
        return leading_number(&line[at + 24..]).map(|c| Outcome::code(Scope::Step, c));
    }
    if line.starts_with("The command \"") {
        for marker in ["\" exited with ", "\" failed and exited with "] {
            if let Some(at) = line.rfind(marker) {
                let code = leading_number(&line[at + marker.len()..]);
                return code.map(|c| Outcome::code(Scope::Step, c));
            }
        }
    }
    // `🚨 Error: …` (Buildkite) and `ERROR: script returned …` (Jenkins)
    // carry a prefix; the rest start the line.
    let body = ["ERROR: ", "🚨 ", "+++ 🚨 "]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .unwrap_or(line);
    for marker in [
        "Process completed with exit code ",
        "Bash exited with code ",
        "PowerShell exited with code ",
        "Cmd.exe exited with code ",
        "Script failed with exit code: ",
        "script returned exit code ",
        "Exited with code exit status ",
        "Exited with code ",
        "Error: The command exited with status ",
        "Process exited with code ",
    ] {
        if let Some(code) = body.strip_prefix(marker).and_then(leading_number) {
            return Some(Outcome::code(Scope::Step, code));
        }
    }
    crate::exit_code_in(line).map(|c| Outcome::code(Scope::Command, c))
}

/// The CI systems a [`Reader`] recognises by their decorations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    GithubActions,
    Gitlab,
    Travis,
    Jenkins,
    Buildkite,
    AzurePipelines,
    Teamcity,
}

/// What a line is, to a rule reading the job for its failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The CI system talking about the job, not the job's own output: a
    /// step's header (the script GitHub Actions echoes under `##[group]Run`),
    /// a section marker. Not a cause.
    Header,
    /// Output of the current step. `new_step` is true on the first line of
    /// a step.
    Output { new_step: bool },
    /// The line that reported the failing step's failure: the last line of
    /// that step.
    FailureMarker,
    /// Output after the failing step (or of a step that only runs after
    /// one: artifact uploads, cache saves, cleanup, post-job hooks). A cause
    /// only when nothing before it is one.
    Post { new_step: bool },
}

/// What [`Reader::read`] learnt of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub role: Role,
    /// The outcome the line reports, if any (see [`outcome_in`]).
    pub outcome: Option<Outcome>,
    /// The CI system marked the line as an error (GitHub Actions and Azure
    /// Pipelines' `##[error]`), whatever words it holds.
    pub error_annotation: bool,
}

/// How a job ended, as its log tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub failed: bool,
    pub aborted: bool,
    /// The exit status, when the log gives one.
    pub code: Option<i64>,
    /// The line that says so (none for a GitHub Actions log that ended
    /// without an error).
    pub line: Option<u32>,
}

/// A CI log read line by line (see the [module](self) docs). It is small
/// serializable state, so a log scanner keeps it across windows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Reader {
    /// The CI system, once a line shows it.
    pub system: Option<System>,
    /// Inside a GitHub Actions step header (`##[group]Run` to `##[endgroup]`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    in_header: bool,
    /// Past the failing step, or in a step that only runs after the job's
    /// work.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    post: bool,
    /// The last whole-job outcome and its line.
    job: Option<(u32, Outcome)>,
    /// The first failing step and its line.
    step_failure: Option<(u32, Outcome)>,
    /// The last command exit line.
    command: Option<(u32, Outcome)>,
    /// The first `##[error]` line of a GitHub Actions log.
    gha_error: Option<u32>,
}

/// Where a CI marker would start in a raw line: after a timestamp and any
/// escape sequences (GitLab writes `\e[0Ksection_start:…`).
fn marker_text(raw: &str) -> &str {
    if !matches!(raw.as_bytes().first(), Some(b'0'..=b'9' | b'[' | 0x1b)) {
        return raw;
    }
    let mut rest = strip_timestamp(raw);
    while let Some(tail) = rest.strip_prefix('\u{1b}') {
        let b = tail.as_bytes();
        rest = &tail[skip_escape(b, 0).min(b.len())..];
    }
    rest
}

/// Whether a step named `name` only runs after the job's own work.
fn is_post_step(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name.starts_with("post ")
        || name.starts_with("post-job")
        || name.starts_with("post job")
        || [
            "after_script",
            "upload_artifacts",
            "archive_cache",
            "cleanup_file_variables",
        ]
        .iter()
        .any(|s| name.starts_with(s))
        || name.starts_with("finalize")
        || name.starts_with("declarative: post")
}

impl Reader {
    /// Reads the next line: `raw` as the log holds it, `clean` as [`clean`]
    /// returned it.
    pub fn read(&mut self, n: u32, raw: &str, clean: &str) -> Read {
        if self.system.is_none()
            && matches!(raw.as_bytes().first(), Some(0x1b | b'_'))
            && (raw.starts_with("\u{1b}_bk;t=") || raw.starts_with("_bk;t="))
        {
            self.system = Some(System::Buildkite);
        }
        let marker = marker_text(raw);
        let error_annotation =
            marker.as_bytes().first() == Some(&b'#') && marker.starts_with("##[error]");
        let mut outcome = None;
        let role = self.role(n, marker, error_annotation, clean, &mut outcome);
        Read {
            role,
            outcome,
            error_annotation,
        }
    }

    /// The role of a line whose marker text (see [`marker_text`]) is `raw`.
    fn role(
        &mut self,
        n: u32,
        raw: &str,
        error_annotation: bool,
        clean: &str,
        outcome: &mut Option<Outcome>,
    ) -> Role {
        let step = self.step_start(raw, clean);
        if self.in_header {
            // An error cannot be part of the echoed script: a header that
            // never closed ends there.
            if error_annotation || raw.starts_with("##[warning]") {
                self.in_header = false;
            } else if raw.contains("##[endgroup]") {
                self.in_header = false;
                return Role::Header;
            } else {
                return Role::Header;
            }
        }
        if let Some((name, header)) = step {
            if is_post_step(name) {
                self.post = true;
            }
            self.in_header = header;
            if header {
                return Role::Header;
            }
            return if self.post {
                Role::Post { new_step: true }
            } else {
                Role::Output { new_step: true }
            };
        }
        if self.system == Some(System::GithubActions) && error_annotation {
            self.gha_error.get_or_insert(n);
        }
        *outcome = outcome_in(clean);
        if let Some(outcome) = *outcome {
            match outcome.scope {
                Scope::Job => self.job = Some((n, outcome)),
                Scope::Step if outcome.failed && self.step_failure.is_none() => {
                    self.step_failure = Some((n, outcome));
                    if !self.post {
                        self.post = true;
                        return Role::FailureMarker;
                    }
                }
                Scope::Step | Scope::Command => self.command = Some((n, outcome)),
            }
        }
        if self.post {
            Role::Post { new_step: false }
        } else {
            Role::Output { new_step: false }
        }
    }

    /// A step's start, by the CI system's marker: the step's name, and
    /// whether a header follows (a GitHub Actions `##[group]Run`).
    fn step_start<'l>(&mut self, raw: &'l str, clean: &'l str) -> Option<(&'l str, bool)> {
        // Every marker starts with one of these bytes.
        let raw_may = matches!(raw.as_bytes().first(), Some(b'#' | b's' | b't'));
        let clean_may = matches!(
            clean.as_bytes().first(),
            Some(b'P' | b'[' | b'S' | b'R' | b'#' | b'~' | b'-' | b'+')
        );
        if !raw_may && !clean_may {
            return None;
        }
        let mut seen = |system| {
            self.system.get_or_insert(system);
        };
        if let Some(rest) = raw.strip_prefix("##[group]") {
            seen(System::GithubActions);
            return rest.starts_with("Run ").then_some((rest, true));
        }
        if raw.starts_with("##[endgroup]") {
            seen(System::GithubActions);
            return None;
        }
        if clean == "Post job cleanup." {
            return Some(("post job cleanup", false));
        }
        if let Some(rest) = raw.strip_prefix("section_start:") {
            seen(System::Gitlab);
            let name = rest.split([':', '\r']).nth(1).unwrap_or("");
            return Some((name, false));
        }
        if raw.starts_with("section_end:") {
            seen(System::Gitlab);
            return None;
        }
        if let Some(rest) = raw
            .strip_prefix("travis_fold:start:")
            .or_else(|| raw.strip_prefix("travis_time:start:"))
        {
            seen(System::Travis);
            return Some((rest, false));
        }
        if raw.starts_with("travis_") {
            seen(System::Travis);
            return None;
        }
        if let Some(name) = raw.strip_prefix("##[section]Starting: ") {
            seen(System::AzurePipelines);
            return Some((name, false));
        }
        if let Some(rest) = clean.strip_prefix("[Pipeline] ") {
            seen(System::Jenkins);
            return rest
                .strip_prefix("{ (")
                .map(|name| (name.trim_end_matches(')'), false));
        }
        if clean.starts_with("Started by ") || clean.starts_with("Running as SYSTEM") {
            seen(System::Jenkins);
        }
        if clean.starts_with("##teamcity[") {
            seen(System::Teamcity);
        }
        if self.system == Some(System::Buildkite)
            && let Some(name) = ["~~~ ", "--- ", "+++ "]
                .iter()
                .find_map(|p| clean.strip_prefix(p))
        {
            return Some((name, false));
        }
        None
    }

    /// Whether the reader is past the failing step.
    pub fn is_post(&self) -> bool {
        self.post
    }

    /// How the job ended, as far as its log tells: the last whole-job
    /// outcome; else the first failing step; else, for a GitHub Actions log
    /// (which reports every failure with an `##[error]` line), failed when
    /// it has one and passed when it has none; else the last command exit
    /// line. `None` when the log does not say.
    pub fn verdict(&self) -> Option<Verdict> {
        let from = |(line, o): (u32, Outcome)| Verdict {
            failed: o.failed,
            aborted: o.aborted,
            code: o.code,
            line: Some(line),
        };
        if let Some(job) = self.job {
            return Some(from(job));
        }
        if let Some(step) = self.step_failure {
            return Some(from(step));
        }
        if self.system == Some(System::GithubActions) {
            return Some(Verdict {
                failed: self.gha_error.is_some(),
                aborted: false,
                code: None,
                line: self.gha_error,
            });
        }
        self.command.map(from)
    }
}

#[cfg(test)]
mod tests;
