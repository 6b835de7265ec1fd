//! Reading what rules run over: observer snapshots and job outputs.
//!
//! Every problem with one input is recorded as a [`Problem`] naming the file
//! and what is wrong, and reading goes on with the rest.

use std::{
    collections::BTreeMap,
    fs,
    io::Read,
    path::{Path, PathBuf},
};

use augur_sdk::{JobMeta, Snapshot};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// One snapshot, validated, with its document kept as written.
#[derive(Debug, Clone)]
pub struct SnapshotInput {
    pub source: String,
    pub repo: String,
    pub observed_at: String,
    observed: OffsetDateTime,
    pub document: String,
}

/// One repository's snapshots, oldest first.
#[derive(Debug, Clone)]
pub struct Series {
    pub repo: String,
    pub snapshots: Vec<SnapshotInput>,
}

/// One job's output.
#[derive(Debug, Clone)]
pub struct JobInput {
    /// The log's path, or `-` for standard input.
    pub source: String,
    /// `meta.json` as JSON text, when the job folder has a valid one.
    pub meta: Option<String>,
    pub text: String,
}

/// A problem with an input: an error (the input, or part of it, could not be
/// used) or a warning (it was used, with a caveat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub input: String,
    pub severity: ProblemSeverity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemSeverity {
    Error,
    Warning,
}

impl Problem {
    fn error(input: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            input: input.into(),
            severity: ProblemSeverity::Error,
            message: message.into(),
        }
    }

    fn warning(input: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            input: input.into(),
            severity: ProblemSeverity::Warning,
            message: message.into(),
        }
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Files under `path` (itself if a file), sorted, skipping hidden entries.
fn walk(
    path: &Path,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) {
    let entries = match fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            return problems.push(Problem::error(
                display(path),
                format!("cannot list the directory: {e}"),
            ));
        }
    };
    let mut children: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    children.sort();
    for child in children {
        if child.is_dir() {
            walk(&child, keep, out, problems);
        } else if keep(&child) {
            out.push(child);
        }
    }
}

/// Reads snapshots from files and directories (every `*.json` below them)
/// and groups them into one series per repository, oldest first. Snapshots
/// with the same `observed_at` keep the order of their file names.
pub fn load_snapshots(paths: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<Series> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(
                path,
                &|p| p.extension().is_some_and(|e| e == "json"),
                &mut files,
                problems,
            );
        } else if path.exists() {
            files.push(path.clone());
        } else {
            problems.push(Problem::error(display(path), "no such file or directory"));
        }
    }

    let mut by_repo: BTreeMap<String, Vec<SnapshotInput>> = BTreeMap::new();
    for file in files {
        match read_snapshot(&file) {
            Ok(s) => by_repo.entry(s.repo.clone()).or_default().push(s),
            Err(p) => problems.push(p),
        }
    }
    by_repo
        .into_iter()
        .map(|(repo, mut snapshots)| {
            snapshots.sort_by(|a, b| {
                a.observed
                    .cmp(&b.observed)
                    .then_with(|| a.source.cmp(&b.source))
            });
            Series { repo, snapshots }
        })
        .collect()
}

fn read_snapshot(file: &Path) -> Result<SnapshotInput, Problem> {
    let source = display(file);
    let bytes = fs::read(file)
        .map_err(|e| Problem::error(&source, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Problem::error(
            &source,
            format!(
                "not valid UTF-8 JSON (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let snapshot =
        Snapshot::from_json(&source, &text).map_err(|e| Problem::error(&source, describe(&e)))?;
    if snapshot.repo.trim().is_empty() {
        return Err(Problem::error(&source, "field `repo`: must not be empty"));
    }
    let observed = OffsetDateTime::parse(&snapshot.observed_at, &Rfc3339).map_err(|e| {
        Problem::error(
            &source,
            format!(
                "field `observed_at`: `{}` is not an RFC 3339 timestamp like 2026-11-20T10:00:00Z ({e})",
                snapshot.observed_at
            ),
        )
    })?;
    Ok(SnapshotInput {
        source,
        repo: snapshot.repo,
        observed_at: snapshot.observed_at,
        observed,
        document: text,
    })
}

/// Reads job outputs: `-` (standard input), a log file, or a directory. In a
/// directory, a folder holding `output.log` is a job folder (with an
/// optional `meta.json`); any other file that is not `.json` is a log.
pub fn load_jobs(
    paths: &[PathBuf],
    stdin: &mut dyn Read,
    problems: &mut Vec<Problem>,
) -> Vec<JobInput> {
    let mut jobs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match stdin.read_to_end(&mut bytes) {
                Ok(_) => jobs.push(JobInput {
                    source: "-".into(),
                    meta: None,
                    text: decode("-", bytes, problems),
                }),
                Err(e) => problems.push(Problem::error(
                    "-",
                    format!("cannot read standard input: {e}"),
                )),
            }
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(
                path,
                &|p| p.extension().is_none_or(|e| e != "json"),
                &mut files,
                problems,
            );
            jobs.extend(files.iter().filter_map(|f| read_job(f, problems)));
        } else if path.exists() {
            jobs.extend(read_job(path, problems));
        } else {
            problems.push(Problem::error(display(path), "no such file or directory"));
        }
    }
    jobs
}

fn read_job(file: &Path, problems: &mut Vec<Problem>) -> Option<JobInput> {
    let source = display(file);
    let bytes = match fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::error(
                &source,
                format!("cannot read the file: {e}"),
            ));
            return None;
        }
    };
    let text = decode(&source, bytes, problems);
    let meta_path = file.with_file_name("meta.json");
    let meta = if file.file_name().is_some_and(|n| n == "output.log") && meta_path.is_file() {
        read_meta(&meta_path, problems)
    } else {
        None
    };
    Some(JobInput { source, meta, text })
}

fn read_meta(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let source = display(path);
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem::error(
                &source,
                format!("cannot read the job's metadata: {e}; the job is read without it"),
            ));
            return None;
        }
    };
    match JobMeta::from_json(&source, &text) {
        Ok(_) => Some(text),
        Err(e) => {
            problems.push(Problem::error(
                &source,
                format!("{}; the job is read without its metadata", describe(&e)),
            ));
            None
        }
    }
}

/// A document error as a message for its file: the field first, if known.
fn describe(e: &augur_sdk::DocumentError) -> String {
    match &e.field {
        Some(field) => format!("field `{field}`: {}", e.message),
        None => format!("not valid: {}", e.message),
    }
}

/// Log text, decoding invalid UTF-8 lossily and saying so.
fn decode(source: &str, bytes: Vec<u8>, problems: &mut Vec<Problem>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            problems.push(Problem::warning(
                source,
                format!("not valid UTF-8 (first invalid byte at offset {offset}); read with invalid bytes replaced by U+FFFD"),
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn series_are_grouped_and_ordered_by_time() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "b.json",
            br#"{"repo":"r1","observed_at":"2026-01-01T00:00:00Z"}"#,
        );
        write(
            dir.path(),
            "a.json",
            br#"{"repo":"r1","observed_at":"2026-01-02T00:00:00+01:00"}"#,
        );
        write(
            dir.path(),
            "c.json",
            br#"{"repo":"r0","observed_at":"2026-01-01T00:00:00Z"}"#,
        );
        write(
            dir.path(),
            "bad.json",
            br#"{"repo":"r0","observed_at":"yesterday"}"#,
        );
        let mut problems = Vec::new();
        let series = load_snapshots(
            &[dir.path().to_owned(), dir.path().join("missing")],
            &mut problems,
        );
        let order: Vec<(&str, Vec<&str>)> = series
            .iter()
            .map(|s| {
                (
                    s.repo.as_str(),
                    s.snapshots
                        .iter()
                        .map(|x| x.source.rsplit('/').next().unwrap())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            order,
            [("r0", vec!["c.json"]), ("r1", vec!["b.json", "a.json"])]
        );
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].input.ends_with("missing") && problems[0].message.contains("no such file")
        );
        assert!(
            problems[1].input.ends_with("bad.json")
                && problems[1].message.contains("field `observed_at`")
        );
    }

    #[test]
    fn job_folders_logs_and_lossy_text() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "j1/output.log", b"hello\n");
        write(
            dir.path(),
            "j1/meta.json",
            br#"{"job_id":"j1","exit_code":1}"#,
        );
        write(dir.path(), "j2/output.log", b"bad \xff byte\n");
        write(dir.path(), "j2/meta.json", br#"{"exit_code":"one"}"#);
        write(dir.path(), "plain.log", b"x");
        let mut problems = Vec::new();
        let jobs = load_jobs(
            &[dir.path().to_owned()],
            &mut std::io::empty(),
            &mut problems,
        );
        assert_eq!(jobs.len(), 3);
        assert!(jobs[0].meta.as_deref().unwrap().contains("\"j1\""));
        assert_eq!(jobs[1].text, "bad \u{fffd} byte\n");
        assert!(jobs[1].meta.is_none());
        let messages: Vec<_> = problems
            .iter()
            .map(|p| (p.severity, p.message.clone()))
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.severity == ProblemSeverity::Warning && p.message.contains("offset 4"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.input.ends_with("j2/meta.json")
                    && p.message.contains("field `exit_code`"))
        );
    }

    #[test]
    fn standard_input() {
        let mut problems = Vec::new();
        let jobs = load_jobs(
            &[PathBuf::from("-")],
            &mut &b"from stdin"[..],
            &mut problems,
        );
        assert_eq!(
            (jobs[0].source.as_str(), jobs[0].text.as_str()),
            ("-", "from stdin")
        );
    }
}
