//! Writing a report, one module per format:
//!
//! - `text` for a person (grouped by input, most severe first, coloured on a
//!   terminal), `json` for machines (the report as it is);
//! - `sarif` (2.1.0, for GitHub code scanning and other SARIF viewers),
//!   `github` (workflow-command annotations and a job summary), `gitlab`
//!   (a Code Quality report), `junit` (a test report CI systems show) and
//!   `markdown` (for pull-request comments and summaries);
//! - `html`, one self-contained page with the job reports and a plot of
//!   each repository's signals.
//!
//! Every format that a person reads passes untrusted text (what logs and
//! rules wrote) through [`crate::sanitize`] and then its own escaping.
//! Files are written atomically: a run killed halfway leaves the previous
//! file whole.

mod github;
mod gitlab;
pub mod html;
mod junit;
pub mod locate;
mod markdown;
mod sarif;
mod text;

use std::{
    collections::BTreeMap,
    io::{self, Write},
    path::{Path, PathBuf},
};

use crate::report::{FindingOut, Report, Severity};

pub use github::{STEP_SUMMARY_VAR, step_summary};

/// The formats a run's report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Gitlab,
    Junit,
    Markdown,
    Html,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }
}

/// The formats of listings (`augur rules`, `augur eval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// What the formats need beyond the report: the pack's rules, the run's
/// inputs, where paths are counted from, and the gate.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Paths in SARIF, annotations and Code Quality reports are relative to
    /// this directory (`--source-root`).
    pub source_root: PathBuf,
    /// The rules of the pack, in pack order.
    pub rules: Vec<RuleCard>,
    /// The repositories (derivers' inputs) of the run, sorted.
    pub repositories: Vec<String>,
    /// The job outputs (classifiers' inputs) of the run, sorted.
    pub jobs: Vec<String>,
    /// `--fail-on`: the least severity that fails the run.
    pub fail_on: Option<Severity>,
    /// What the text and HTML reports show (`--show`, `--min-severity`).
    pub show: Show,
    /// The repositories' snapshot series, as the HTML report plots them.
    pub trends: Vec<html::trends::Trend>,
}

/// What the text report shows of the findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Show {
    /// Everything, the passing jobs' `info` reports too (`--show all`).
    pub all: bool,
    /// Only findings at or above this severity (`--min-severity`).
    pub min_severity: Option<Severity>,
}

/// What a report format says about one rule of the pack.
#[derive(Debug, Clone)]
pub struct RuleCard {
    pub id: String,
    pub version: String,
    pub description: String,
    pub kinds: Vec<String>,
    pub deriver: bool,
    pub classifier: bool,
    pub correlator: bool,
    /// The manifest and the line of the rule's entry, for a rule of a
    /// manifest: where a finding with no file evidence points.
    pub manifest: Option<(PathBuf, u32)>,
}

impl Context {
    pub fn rule(&self, id: &str) -> Option<&RuleCard> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// An input as it is named across checkouts: a job's path relative to
    /// the source root; a repository, or `*`, as it is.
    pub fn input_name(&self, input: &str) -> String {
        if self.jobs.iter().any(|j| j == input) {
            locate::relative(input, &self.source_root)
        } else {
            input.to_owned()
        }
    }

    /// Whether `finding` fails the run under `--fail-on` (with a baseline,
    /// only a new finding does).
    pub fn fails(&self, finding: &FindingOut) -> bool {
        self.fail_on.is_some_and(|least| finding.severity >= least) && finding.is_new()
    }
}

/// The report rendered in `format`. Text carries ANSI styles; [`emit`]
/// strips them where colour is not wanted.
pub fn render(report: &Report, format: Format, context: &Context) -> Rendered {
    let mut warnings = Vec::new();
    let text = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("a report serializes");
            s.push('\n');
            s
        }
        Format::Text => text::render(report, context),
        Format::Sarif => sarif::render(report, context, &mut warnings),
        Format::Github => github::render(report, context),
        Format::Gitlab => gitlab::render(report, context),
        Format::Junit => junit::render(report, context),
        Format::Markdown => markdown::render(report, context, markdown::NO_LIMIT),
        Format::Html => html::render(report, context),
    };
    Rendered { text, warnings }
}

/// A rendered report, and what was cut from it to fit the format's limits.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub warnings: Vec<String>,
}

/// The plural ending of a count in English: `1 finding`, `2 findings`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a run was about, after its findings count: "0 errors · 1 warning —
/// 13 rules over 2 repositories (7 snapshots) and 4 jobs".
pub(crate) fn scope(report: &Report) -> String {
    let s = &report.stats;
    format!(
        "{} error{} · {} warning{} — {} rule{} over {} repositor{} ({} snapshot{}) and {} job{}",
        report.errors.len(),
        plural(report.errors.len()),
        report.warnings.len(),
        plural(report.warnings.len()),
        s.rules.len(),
        plural(s.rules.len()),
        s.inputs.repositories,
        if s.inputs.repositories == 1 {
            "y"
        } else {
            "ies"
        },
        s.inputs.snapshots,
        plural(s.inputs.snapshots),
        s.inputs.jobs,
        plural(s.inputs.jobs),
    )
}

/// The per-job quality report (postflight's), shown for failed jobs only
/// unless asked.
const QUALITY_REPORT: &str = "postflight/report";

/// The findings a person's report shows, by input (sorted), and how many
/// it leaves out: with `--min-severity`, those below it; otherwise, unless
/// `--show all`, the quality reports of jobs that did not fail (a record,
/// not something to act on).
pub(crate) fn shown_by_input<'r>(
    report: &'r Report,
    context: &Context,
) -> (BTreeMap<&'r str, Vec<&'r FindingOut>>, usize) {
    let mut by_input: BTreeMap<&str, Vec<&FindingOut>> = BTreeMap::new();
    for f in &report.findings {
        by_input.entry(&f.input).or_default().push(f);
    }
    let failed = |input: &str| {
        report
            .job_reports
            .as_ref()
            .is_some_and(|r| r.jobs.iter().any(|j| j.input == input))
    };
    let mut hidden = 0;
    by_input.retain(|input, findings| {
        let before = findings.len();
        match context.show.min_severity {
            Some(least) => findings.retain(|f| f.severity >= least),
            None if !context.show.all
                && context.jobs.iter().any(|j| j == input)
                && !failed(input) =>
            {
                findings.retain(|f| f.kind != QUALITY_REPORT)
            }
            None => {}
        }
        hidden += before - findings.len();
        !findings.is_empty()
    });
    (by_input, hidden)
}

/// Findings most severe first, in report order within a severity.
pub(crate) fn most_severe_first(report: &Report) -> Vec<&FindingOut> {
    let mut findings: Vec<&FindingOut> = report.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Writes rendered output to `path` (atomically) or to standard output
/// (coloured only when it is a terminal that wants colour).
pub fn emit(rendered: &str, path: Option<&Path>) -> io::Result<()> {
    match path {
        Some(path) => write_atomically(
            path,
            anstream::adapter::strip_str(rendered)
                .to_string()
                .as_bytes(),
        ),
        None => {
            let mut out = anstream::stdout().lock();
            out.write_all(rendered.as_bytes())?;
            out.flush()
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the new one, never half of one.
///
/// A `path` that is a symbolic link is written through: its target is
/// replaced, the link stays. A file that exists keeps its permissions; a new
/// one gets the usual `0666` less the umask.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).or_else(|_| resolve_dangling_link(path))?
        }
        _ => path.to_owned(),
    };
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".augur-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    if let Some(permissions) = existing {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// The file a link that points at nothing yet would create.
fn resolve_dangling_link(path: &Path) -> io::Result<PathBuf> {
    let target = std::fs::read_link(path)?;
    Ok(match path.parent() {
        Some(dir) if target.is_relative() => dir.join(target),
        _ => target,
    })
}

/// Reports made up for the formats' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::{
        identity::RuleSource,
        report::{EvidenceOut, FindingOut, Report, Severity, Stats},
    };

    pub(crate) fn finding(i: usize, severity: Severity) -> FindingOut {
        FindingOut {
            rule: "r".into(),
            rule_source: RuleSource::Builtin {
                builtin: "r".into(),
            },
            kind: "k/one".into(),
            severity,
            title: format!("finding {i}"),
            message: "x".into(),
            fingerprint: format!("{i:016x}"),
            input: "a.log".into(),
            repo: None,
            evidence: vec![EvidenceOut {
                source: "a.log".into(),
                locator: format!("L{}", i + 1),
                excerpt: "line".into(),
            }],
            actions: Vec::new(),
            data: serde_json::Value::Null,
            baseline: None,
            history: None,
        }
    }

    pub(crate) fn report(findings: Vec<FindingOut>) -> Report {
        Report {
            version: 1,
            findings,
            errors: Vec::new(),
            warnings: Vec::new(),
            logs: Vec::new(),
            interrupted: None,
            baseline: None,
            history: None,
            job_reports: None,
            stats: Stats::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left behind"
        );
    }

    #[test]
    fn atomic_write_keeps_permissions_and_writes_through_links() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let fresh = dir.path().join("fresh.json");
        write_atomically(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode, 0o600, "a new file is not private to its writer");
    }
}
