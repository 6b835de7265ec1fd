//! quality-erosion: a change that quiets the checks instead of passing them.
//!
//! In a job output that holds a unified diff (a coding agent's transcript, a
//! `git diff` step), the lines the diff adds are searched for the three ways
//! to silence Python's checks: `# noqa`, `# type: ignore` and a bare `pass`.
//! `min_suppressions` (3) or more in total gives
//! `quality_erosion/suppressions_added` with the counts, per kind and per
//! file. With `allowed_paths` (globs), a diff that touches files outside them
//! gives `scope/violation` naming those files.
//!
//! Only lines inside a diff's hunks count: a `+` line elsewhere in a log is
//! not an added line. A file is named by its `+++` header (its `---` header
//! when it was deleted).

use std::{collections::BTreeMap, sync::LazyLock};

use augur_sdk::patterns::{self, Regex};
use augur_sdk::{excerpt, log_text, prelude::*};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Suppressions added, in total, from which the change is reported.
    pub min_suppressions: u64,
    /// Globs of the paths the change may touch (`src/**`, `docs/*.md`); `*`
    /// does not cross `/`, `**` does. Empty: no scope check.
    pub allowed_paths: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_suppressions: 3,
            allowed_paths: Vec::new(),
        }
    }
}

pub struct QualityErosion;

pub const SUPPRESSIONS: &str = "quality_erosion/suppressions_added";
pub const SCOPE: &str = "scope/violation";

impl Rule for QualityErosion {
    type Config = Config;
    const ID: &'static str = "quality-erosion";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Suppressions a diff adds (`# noqa`, `# type: ignore`, bare `pass`), \
         and files it touches outside `allowed_paths`";
    const KINDS: &'static [&'static str] = &[SUPPRESSIONS, SCOPE];

    fn setup() {
        LazyLock::force(&SUPPRESSION);
    }
}

/// The suppressions, as named in the finding's data.
const NAMES: [&str; 3] = ["noqa", "type_ignore", "bare_pass"];

static SUPPRESSION: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        patterns::ascii(r"(?i)#\s*noqa\b"),
        patterns::ascii(r"#\s*type:\s*ignore\b"),
        patterns::ascii(r"^\s*pass\s*(?:#.*)?$"),
    ]
});

/// Files kept by name (per-file counts, files out of scope); past this,
/// they are only counted.
const MAX_FILES: usize = 200;
/// Lines cited as evidence, per finding.
const MAX_EVIDENCE: usize = 10;

/// What the rule remembers between windows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The file of the current diff section, and the old path its `---`
    /// header named.
    file: Option<String>,
    old_file: Option<String>,
    in_hunk: bool,
    totals: [u64; 3],
    per_file: BTreeMap<String, [u64; 3]>,
    files_left_out: u64,
    /// Added suppressions cited: line, excerpt.
    cited: Vec<(u32, String)>,
    /// Files touched outside `allowed_paths`: path → line of its header.
    outside: BTreeMap<String, u32>,
    outside_left_out: u64,
    files_touched: u64,
}

/// `b/src/app.py` → `src/app.py`; `/dev/null` → None. A tab (and what
/// follows, a timestamp) ends the path.
fn header_path(rest: &str) -> Option<String> {
    let path = rest.split('\t').next().unwrap_or(rest).trim();
    if path == "/dev/null" || path.is_empty() {
        return None;
    }
    let path = path.trim_matches('"');
    Some(
        path.strip_prefix("a/")
            .or_else(|| path.strip_prefix("b/"))
            .unwrap_or(path)
            .to_owned(),
    )
}

fn allowed(config: &Config) -> Result<Option<GlobSet>, RuleError> {
    if config.allowed_paths.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for (i, glob) in config.allowed_paths.iter().enumerate() {
        let glob = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| RuleError::InvalidConfig(format!("`allowed_paths[{i}]`: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map(Some)
        .map_err(|e| RuleError::InvalidConfig(format!("`allowed_paths`: {e}")))
}

impl State {
    fn touched(&mut self, path: String, line: u32, allowed: Option<&GlobSet>) {
        self.files_touched += 1;
        if let Some(set) = allowed
            && !set.is_match(&path)
            && !self.outside.contains_key(&path)
        {
            if self.outside.len() < MAX_FILES {
                self.outside.insert(path, line);
            } else {
                self.outside_left_out += 1;
            }
        }
    }

    fn suppression(&mut self, which: usize, line_no: u32, line: &str) {
        self.totals[which] += 1;
        let file = self.file.clone().unwrap_or_default();
        let room = self.per_file.len() < MAX_FILES;
        match self.per_file.entry(file) {
            std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut()[which] += 1,
            std::collections::btree_map::Entry::Vacant(e) if room => e.insert([0; 3])[which] = 1,
            std::collections::btree_map::Entry::Vacant(_) => self.files_left_out += 1,
        }
        if self.cited.len() < MAX_EVIDENCE && self.cited.last().is_none_or(|(n, _)| *n != line_no) {
            self.cited.push((line_no, excerpt(line)));
        }
    }
}

impl LogScanner for QualityErosion {
    type State = State;

    fn scan(window: &Job, state: &mut State, config: &Config) -> Result<(), RuleError> {
        let allowed = allowed(config)?;
        for (n, line) in window.new_lines() {
            let line = log_text(line);
            if let Some(rest) = line.strip_prefix("+++ ") {
                state.in_hunk = false;
                state.file = header_path(rest).or_else(|| state.old_file.clone());
                if let Some(file) = state.file.clone() {
                    state.touched(file, n, allowed.as_ref());
                }
            } else if let Some(rest) = line.strip_prefix("--- ")
                && !state.in_hunk
            {
                state.old_file = header_path(rest);
            } else if line.starts_with("diff --git ") {
                state.in_hunk = false;
                state.file = None;
                state.old_file = None;
            } else if line.starts_with("@@ ") {
                state.in_hunk = state.file.is_some();
            } else if state.in_hunk {
                match line.as_bytes().first() {
                    Some(b'+') => {
                        let added = &line[1..];
                        for (which, re) in SUPPRESSION.iter().enumerate() {
                            if re.is_match(added.as_bytes()) {
                                state.suppression(which, n, line);
                            }
                        }
                    }
                    Some(b' ' | b'-' | b'\\') => {}
                    // An empty context line, as some tools print it.
                    None => {}
                    Some(_) => state.in_hunk = false,
                }
            }
        }
        Ok(())
    }

    fn finish(job: &Job, state: State, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let mut findings = Vec::new();
        let total: u64 = state.totals.iter().sum();
        if total >= config.min_suppressions.max(1) {
            let counts = |c: &[u64; 3]| json!({NAMES[0]: c[0], NAMES[1]: c[1], NAMES[2]: c[2]});
            let said: Vec<String> = NAMES
                .iter()
                .zip(state.totals)
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| format!("{n} {}", name.replace('_', " ")))
                .collect();
            let mut f = Finding::new(
                SUPPRESSIONS,
                if total >= 10 { Severity::High } else { Severity::Medium },
                "The change silences checks instead of passing them",
            )
            .message(format!(
                "The diff in {} adds {total} suppressions ({}) in {} file(s)",
                job.source,
                said.join(", "),
                state.per_file.len() as u64 + state.files_left_out
            ))
            .fingerprint(fingerprint(&[
                QualityErosion::ID,
                SUPPRESSIONS,
                &state.per_file.keys().cloned().collect::<Vec<_>>().join("\n"),
            ]))
            .action("Fix the lint and type errors the suppressions hide, or justify each one in the change")
            .action("Make the gate count suppressions (ruff's PGH004, mypy's --warn-unused-ignores), so they cannot grow unseen");
            for (n, l) in &state.cited {
                f = f.evidence(Evidence::at_lines(job, *n, *n, l.as_str()));
            }
            findings.push(f.data(json!({
                "total": total,
                "counts": counts(&state.totals),
                "files": state.per_file.iter().map(|(k, v)| (k.clone(), counts(v))).collect::<serde_json::Map<_, _>>(),
                "files_left_out": state.files_left_out,
                "min_suppressions": config.min_suppressions,
            })));
        }
        if !state.outside.is_empty() {
            let files: Vec<&String> = state.outside.keys().collect();
            let count = files.len() as u64 + state.outside_left_out;
            let mut f = Finding::new(
                SCOPE,
                Severity::High,
                "The change touches files outside its allowed paths",
            )
            .message(format!(
                "The diff in {} changes {count} file(s) outside `allowed_paths` ({}): {}{}",
                job.source,
                config.allowed_paths.join(", "),
                files
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if state.outside_left_out > 0 {
                    format!(" and {} more", state.outside_left_out)
                } else {
                    String::new()
                }
            ))
            .fingerprint(fingerprint(&[
                QualityErosion::ID,
                SCOPE,
                &files
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]))
            .action(
                "Revert the changes outside the allowed paths, or split them into their own task",
            )
            .action("If the task needs those files, widen `allowed_paths` for it");
            for (path, n) in state.outside.iter().take(MAX_EVIDENCE) {
                f = f.evidence(Evidence::at_lines(job, *n, *n, format!("+++ b/{path}")));
            }
            findings.push(f.data(json!({
                "files": files,
                "files_left_out": state.outside_left_out,
                "files_touched": state.files_touched,
                "allowed_paths": config.allowed_paths,
            })));
        }
        Ok(findings)
    }
}

impl Classifier for QualityErosion {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        augur_sdk::scan_whole::<QualityErosion>(job, config)
    }
}

augur_sdk::export_log_scanner!(QualityErosion);

#[cfg(test)]
mod tests;
