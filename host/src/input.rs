//! Reading what rules run over: observer snapshots and job outputs.
//!
//! Every problem with one input is recorded as a [`Problem`] naming the file
//! and what is wrong, and reading goes on with the rest.

use std::{
    collections::BTreeMap,
    fs,
    io::{self, BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
    sync::Arc,
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

impl SnapshotInput {
    /// `observed_at`, in seconds since the Unix epoch.
    pub fn observed_unix(&self) -> i64 {
        self.observed.unix_timestamp()
    }
}

/// One repository's snapshots, oldest first.
#[derive(Debug, Clone)]
pub struct Series {
    pub repo: String,
    pub snapshots: Vec<SnapshotInput>,
}

/// A log larger than this is not held in memory: it stays on disk (standard
/// input is copied to a temporary file) and rules read it window by window.
pub const IN_MEMORY_LOG_BYTES: usize = 8 * 1024 * 1024;

/// The largest JSON document augur reads (a snapshot, a job's `meta.json`):
/// a bigger one is refused with an input error, before it is read whole.
/// Real snapshots are kilobytes; the cap is there so that a stray file (or a
/// link to a device) cannot take the run's memory.
pub const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;

/// How much of a log's start is checked for the signs of a binary file or of
/// UTF-16 text.
const SNIFF_BYTES: usize = 8 * 1024;

/// One job's output.
#[derive(Debug, Clone)]
pub struct JobInput {
    /// The log's path, or `-` for standard input.
    pub source: String,
    /// `meta.json` as JSON text, when the job folder has a valid one.
    pub meta: Option<String>,
    pub body: LogBody,
}

/// Where a log's text is.
#[derive(Debug, Clone)]
pub enum LogBody {
    /// In memory: a small log, decoded (invalid UTF-8 replaced, with a warning).
    Text(String),
    /// On disk: a large log, or a temporary copy of a large standard input or
    /// of a UTF-16 log decoded to UTF-8. Invalid UTF-8 is replaced as it is read.
    File {
        path: PathBuf,
        /// Keeps a temporary copy alive; it is deleted with the last clone.
        temp: Option<Arc<tempfile::TempPath>>,
    },
}

impl JobInput {
    /// The log from its start, as bytes.
    pub fn reader(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(match &self.body {
            LogBody::Text(text) => Box::new(text.as_bytes()),
            LogBody::File { path, .. } => Box::new(BufReader::new(fs::File::open(path)?)),
        })
    }

    /// Its `meta.json`, parsed; empty when it has none or it does not fit
    /// the schema.
    pub fn parsed_meta(&self) -> augur_sdk::JobMeta {
        self.meta
            .as_deref()
            .and_then(|m| augur_sdk::JobMeta::from_json(&self.source, m).ok())
            .unwrap_or_default()
    }

    /// The whole text, when it is held in memory.
    pub fn text(&self) -> Option<&str> {
        match &self.body {
            LogBody::Text(text) => Some(text),
            LogBody::File { .. } => None,
        }
    }
}

/// A job's name from its `meta.json` (`job`): what stays the same from run
/// to run, unlike its id.
pub fn job_name(meta: &augur_sdk::JobMeta) -> Option<String> {
    meta.extra
        .get("job")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
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
    pub fn error(input: impl Into<String>, message: impl Into<String>) -> Problem {
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

/// Files under `path`, sorted, skipping hidden entries. Symbolic links
/// inside the directory are not followed (a link to `.` would repeat every
/// input, a link elsewhere would read what the directory does not hold):
/// each is skipped with a warning. Anything that is neither a regular file
/// nor a directory (a FIFO would block, a device never end) is an error.
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
    let mut children: Vec<(PathBuf, io::Result<fs::FileType>)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| (e.path(), e.file_type()))
        .collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (child, file_type) in children {
        match file_type {
            Ok(t) if t.is_dir() => walk(&child, keep, out, problems),
            Ok(t) if t.is_symlink() => {
                if keep(&child) || is_dir(&child) {
                    problems.push(Problem::warning(
                        display(&child),
                        "skipped: a symbolic link inside a directory is not followed; \
                         name its target on the command line to read it",
                    ));
                }
            }
            Ok(t) if t.is_file() => {
                if keep(&child) {
                    out.push(child);
                }
            }
            Ok(_) => {
                if keep(&child) {
                    problems.push(Problem::error(
                        display(&child),
                        "not a regular file (a FIFO, socket or device): not read",
                    ));
                }
            }
            Err(e) => problems.push(Problem::error(
                display(&child),
                format!("cannot read the directory entry: {e}"),
            )),
        }
    }
}

fn is_dir(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// What a path named on the command line is (links followed).
enum Named {
    Dir,
    /// A regular file.
    File,
    /// A pipe, `/dev/stdin`, process substitution or a terminal: read once,
    /// from start to end, like `-`.
    Stream,
    Other(&'static str),
    Missing,
}

fn named(path: &Path) -> Named {
    use std::os::unix::fs::FileTypeExt as _;
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Named::Missing,
        Err(_) => Named::File, // opening it will say what is wrong
        Ok(m) if m.is_dir() => Named::Dir,
        Ok(m) if m.is_file() => Named::File,
        Ok(m) if m.file_type().is_fifo() || m.file_type().is_char_device() => Named::Stream,
        Ok(m) if m.file_type().is_block_device() => Named::Other("a block device"),
        Ok(m) if m.file_type().is_socket() => Named::Other("a socket"),
        Ok(_) => Named::Other("not a regular file"),
    }
}

/// Why [`read_regular_file`] read nothing.
#[derive(Debug)]
pub enum BoundedReadError {
    Io(io::Error),
    /// A FIFO, socket, device or directory.
    NotAFile,
    /// The file has (or grew, while read, to) more than the bound; its size
    /// when known.
    TooBig(u64),
}

/// Reads a regular file of at most `max_bytes`. It is opened without
/// blocking (opening a FIFO for reading would wait for a writer that never
/// comes), and what it is, is checked on the open file; its size is checked
/// before it is read, and again as it is read.
pub fn read_regular_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, BoundedReadError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(BoundedReadError::Io)?;
    let meta = file.metadata().map_err(BoundedReadError::Io)?;
    if !meta.is_file() {
        return Err(BoundedReadError::NotAFile);
    }
    if meta.len() > max_bytes {
        return Err(BoundedReadError::TooBig(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(BoundedReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(BoundedReadError::TooBig(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads a JSON document of at most [`MAX_JSON_BYTES`] from a regular file.
fn read_json_file(path: &Path) -> Result<Vec<u8>, String> {
    read_regular_file(path, MAX_JSON_BYTES).map_err(|e| match e {
        BoundedReadError::Io(e) => format!("cannot read the file: {e}"),
        BoundedReadError::NotAFile => "not a regular file: a JSON document must be a file".into(),
        BoundedReadError::TooBig(len) => format!(
            "{len} bytes, over the {} MiB a JSON document may have; this is not a snapshot or job metadata",
            MAX_JSON_BYTES >> 20
        ),
    })
}

/// Reads snapshots from files and directories (every `*.json` below them)
/// and groups them into one series per repository, oldest first. Snapshots
/// with the same `observed_at` keep the order of their file names.
pub fn load_snapshots(paths: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<Series> {
    let mut files = Vec::new();
    for path in paths {
        match named(path) {
            Named::Dir => walk(
                path,
                &|p| p.extension().is_some_and(|e| e == "json"),
                &mut files,
                problems,
            ),
            Named::File => files.push(path.clone()),
            Named::Stream => problems.push(Problem::error(
                display(path),
                "a pipe or device: a snapshot must be a file (save it first)",
            )),
            Named::Other(what) => problems.push(Problem::error(
                display(path),
                format!("{what}: not a snapshot file or a directory of them"),
            )),
            Named::Missing => {
                problems.push(Problem::error(display(path), "no such file or directory"))
            }
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
    let bytes = read_json_file(file).map_err(|m| Problem::error(&source, m))?;
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
            match read_log("-", &mut *stdin, None, problems) {
                Ok(Some(body)) => jobs.push(JobInput {
                    source: "-".into(),
                    meta: None,
                    body,
                }),
                Ok(None) => {}
                Err(e) => problems.push(Problem::error(
                    "-",
                    format!("cannot read standard input: {e}"),
                )),
            }
            continue;
        }
        match named(path) {
            Named::Dir => {
                let mut files = Vec::new();
                walk(
                    path,
                    &|p| p.extension().is_none_or(|e| e != "json"),
                    &mut files,
                    problems,
                );
                jobs.extend(files.iter().filter_map(|f| read_job(f, problems)));
            }
            Named::File => jobs.extend(read_job(path, problems)),
            Named::Stream => {
                // Read once, to the end: a pipe cannot be reopened for each
                // rule, so a large one is copied to a temporary file.
                let source = display(path);
                let body = fs::File::open(path).and_then(|f| read_log(&source, f, None, problems));
                match body {
                    Ok(Some(body)) => jobs.push(JobInput {
                        source,
                        meta: None,
                        body,
                    }),
                    Ok(None) => {}
                    Err(e) => problems.push(Problem::error(source, format!("cannot read it: {e}"))),
                }
            }
            Named::Other(what) => problems.push(Problem::error(
                display(path),
                format!("{what}: not a log file or a directory of them"),
            )),
            Named::Missing => {
                problems.push(Problem::error(display(path), "no such file or directory"))
            }
        }
    }
    jobs
}

fn read_job(file: &Path, problems: &mut Vec<Problem>) -> Option<JobInput> {
    let source = display(file);
    let body = fs::File::open(file).and_then(|f| read_log(&source, f, Some(file), problems));
    let body = match body {
        Ok(body) => body?,
        Err(e) => {
            problems.push(Problem::error(
                &source,
                format!("cannot read the file: {e}"),
            ));
            return None;
        }
    };
    let meta_path = file.with_file_name("meta.json");
    // Not followed if it is a link: like any file found in a directory.
    let meta_is_file = fs::symlink_metadata(&meta_path).is_ok_and(|m| m.is_file());
    let meta = if file.file_name().is_some_and(|n| n == "output.log") && meta_is_file {
        read_meta(&meta_path, problems)
    } else {
        None
    };
    Some(JobInput { source, meta, body })
}

/// Reads a log: small ones into memory, large ones left where they are (or,
/// from standard input, copied to a temporary file). A log that starts with a
/// UTF-16 byte order mark is decoded to UTF-8; one with NUL bytes near its
/// start is not text, and is refused (`Ok(None)`, with an error saying so).
pub(crate) fn read_log(
    source: &str,
    mut reader: impl Read,
    on_disk: Option<&Path>,
    problems: &mut Vec<Problem>,
) -> io::Result<Option<LogBody>> {
    let mut head = Vec::new();
    (&mut reader)
        .take(IN_MEMORY_LOG_BYTES as u64 + 1)
        .read_to_end(&mut head)?;
    let sniff = &head[..head.len().min(SNIFF_BYTES)];
    if let Some(big_endian) = match sniff {
        [0xFF, 0xFE, ..] => Some(false),
        [0xFE, 0xFF, ..] => Some(true),
        _ => None,
    } {
        problems.push(Problem::warning(
            source,
            format!(
                "UTF-16 ({}) text, decoded to UTF-8 before the rules read it",
                if big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            ),
        ));
        return decode_utf16(io::Cursor::new(head).chain(reader), big_endian).map(Some);
    }
    if let Some(offset) = sniff.iter().position(|&b| b == 0) {
        problems.push(Problem::error(
            source,
            format!(
                "not a text log: it has a NUL byte at offset {offset}, as binary files do; \
                 give augur the job's text output (convert other encodings to UTF-8 first)"
            ),
        ));
        return Ok(None);
    }
    if head.len() <= IN_MEMORY_LOG_BYTES {
        return Ok(Some(LogBody::Text(decode(source, head, problems))));
    }
    if let Some(path) = on_disk {
        return Ok(Some(LogBody::File {
            path: path.to_owned(),
            temp: None,
        }));
    }
    let mut temp = tempfile::NamedTempFile::new()?;
    temp.write_all(&head)?;
    io::copy(&mut reader, &mut temp)?;
    temp.flush()?;
    Ok(Some(on_disk_body(temp.into_temp_path())))
}

fn on_disk_body(temp: tempfile::TempPath) -> LogBody {
    LogBody::File {
        path: temp.to_path_buf(),
        temp: Some(Arc::new(temp)),
    }
}

/// UTF-16 text (after its byte order mark) as UTF-8, in memory when small,
/// else in a temporary file. Unpaired surrogates become U+FFFD.
fn decode_utf16(reader: impl Read, big_endian: bool) -> io::Result<LogBody> {
    let mut bytes = BufReader::new(reader).bytes().skip(2);
    let mut units_error = None;
    let units = std::iter::from_fn(|| {
        let mut pair = [0u8; 2];
        for b in &mut pair {
            match bytes.next()? {
                Ok(byte) => *b = byte,
                Err(e) => {
                    units_error = Some(e);
                    return None;
                }
            }
        }
        Some(if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        })
    });
    let mut text = String::new();
    let mut temp: Option<BufWriter<tempfile::NamedTempFile>> = None;
    for c in char::decode_utf16(units) {
        text.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        if text.len() >= 64 * 1024 && (temp.is_some() || text.len() > IN_MEMORY_LOG_BYTES) {
            let out = match &mut temp {
                Some(out) => out,
                None => temp.insert(BufWriter::new(tempfile::NamedTempFile::new()?)),
            };
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    if let Some(e) = units_error {
        return Err(e);
    }
    match temp {
        None => Ok(LogBody::Text(text)),
        Some(mut out) => {
            out.write_all(text.as_bytes())?;
            let temp = out.into_inner().map_err(|e| e.into_error())?;
            Ok(on_disk_body(temp.into_temp_path()))
        }
    }
}

fn read_meta(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    let source = display(path);
    let text = match read_json_file(path)
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not valid UTF-8 JSON".to_owned()))
    {
        Ok(t) => t,
        Err(m) => {
            problems.push(Problem::error(
                &source,
                format!("cannot read the job's metadata: {m}; the job is read without it"),
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
        assert_eq!(jobs[1].text(), Some("bad \u{fffd} byte\n"));
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
            (jobs[0].source.as_str(), jobs[0].text()),
            ("-", Some("from stdin"))
        );
    }

    fn read_all(job: &JobInput) -> String {
        let mut text = String::new();
        job.reader().unwrap().read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn large_logs_stay_on_disk_and_large_standard_input_goes_to_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let big = "a line of a large log\n".repeat(IN_MEMORY_LOG_BYTES / 20);
        let path = write(dir.path(), "big.log", big.as_bytes());
        let mut problems = Vec::new();
        let jobs = load_jobs(
            &[path.clone(), PathBuf::from("-")],
            &mut big.as_bytes(),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(matches!(&jobs[0].body, LogBody::File { path: p, temp: None } if *p == path));
        let LogBody::File {
            path: temp,
            temp: Some(_),
        } = jobs[1].body.clone()
        else {
            panic!(
                "standard input should be in a temporary file: {:?}",
                jobs[1].body
            );
        };
        assert_eq!(read_all(&jobs[0]), big);
        assert_eq!(read_all(&jobs[1]), big);
        drop(jobs);
        assert!(!temp.exists(), "the temporary copy is deleted with the job");
    }

    #[test]
    fn utf16_is_decoded_and_binary_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            "Error: café\nexit: 1\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend("ok\n".encode_utf16().flat_map(u16::to_be_bytes));
        let le = write(dir.path(), "le.log", &utf16);
        let be = write(dir.path(), "be.log", &utf16be);
        let bin = write(dir.path(), "core.bin", b"\x7fELF\x02\x01\x01\x00\x00\x00");
        let mut problems = Vec::new();
        let jobs = load_jobs(&[le, be, bin], &mut std::io::empty(), &mut problems);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].text(), Some("Error: café\nexit: 1\n"));
        assert_eq!(jobs[1].text(), Some("ok\n"));
        assert!(
            problems[0].message.contains("UTF-16 (little-endian)"),
            "{problems:?}"
        );
        assert!(
            problems[1].message.contains("UTF-16 (big-endian)"),
            "{problems:?}"
        );
        let binary = &problems[2];
        assert_eq!(binary.severity, ProblemSeverity::Error);
        assert!(binary.input.ends_with("core.bin"));
        assert!(
            binary.message.contains("NUL byte at offset 7"),
            "{}",
            binary.message
        );
    }
}
