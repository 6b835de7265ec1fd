//! What a run leaves in the history: the run, each input (a job with what
//! its `meta.json` says, or a repository's series) and each finding with the
//! actions suggested for it. Also the line of export files
//! (`augur history export`), one run per line.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{
    output::Context,
    pack::Pack,
    report::{EvidenceOut, Report},
    run::Inputs,
};

/// A run as the history records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub id: String,
    /// The run clock (`--now`, else the time the run started), in seconds
    /// since the epoch.
    #[serde(with = "rfc3339_seconds")]
    pub at: i64,
    pub pack: String,
    /// sha256 over each rule's id, source, version and config.
    pub pack_digest: String,
    pub augur_version: String,
    pub inputs: Vec<InputRecord>,
    pub findings: Vec<FindingRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Job,
    Series,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Job => "job",
            InputKind::Series => "series",
        }
    }
}

/// How a job ended, as far as the run can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobOutcome {
    Failed,
    Passed,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Failed => "failed",
            JobOutcome::Passed => "passed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputRecord {
    /// A job's path relative to the source root, or a repository's name.
    pub name: String,
    pub kind: InputKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The job's name (`meta.json` `job`), which stays the same from run to
    /// run, unlike its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<JobOutcome>,
    /// A series' last snapshot time.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rfc3339_seconds_opt"
    )]
    pub last_snapshot_at: Option<i64>,
}

impl InputRecord {
    /// What makes two runs' jobs the same job: the repository and the job's
    /// name, else its stage. None when either is unknown.
    pub fn job_key(&self) -> Option<String> {
        if self.kind != InputKind::Job {
            return None;
        }
        let repo = self.repo.as_deref()?;
        let job = self.job.as_deref().or(self.stage.as_deref())?;
        Some(format!("{repo}\u{1f}{job}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRecord {
    pub rule: String,
    pub kind: String,
    pub severity: String,
    pub fingerprint: String,
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub title: String,
    pub evidence: Vec<EvidenceOut>,
    /// The first evidence line, masked ([`mask`]): what finds the same
    /// failure in another job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causal: Option<String>,
    /// The actions suggested, with what came of them.
    pub actions: Vec<ActionRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRecord {
    pub action: String,
    /// `fixed` or `not_fixed`, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rfc3339_seconds_opt"
    )]
    pub resolved_at: Option<i64>,
    /// `auto` (the job passed later) or `manual` (`augur feedback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
}

impl ActionRecord {
    pub fn new(action: &str) -> ActionRecord {
        ActionRecord {
            action: action.to_owned(),
            outcome: None,
            resolved_at: None,
            resolved_by: None,
        }
    }
}

/// The longest masked causal line kept.
const MAX_CAUSAL_CHARS: usize = 240;

/// A line with what changes from run to run masked: numbers become `<n>`,
/// hexadecimal ids (8 or more hex digits) `<hex>`, runs of blanks one space.
/// Two failures with the same masked line are the same failure in two
/// places.
pub fn mask(line: &str) -> String {
    let mut out = String::with_capacity(line.len().min(MAX_CAUSAL_CHARS));
    let chars: Vec<char> = line.trim().chars().collect();
    let mut i = 0;
    while i < chars.len() && out.len() < MAX_CAUSAL_CHARS {
        let c = chars[i];
        if c.is_ascii_hexdigit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let end = chars[i..]
                .iter()
                .position(|c| !c.is_ascii_hexdigit())
                .map_or(chars.len(), |n| i + n);
            let word_ends = end == chars.len() || !chars[end].is_ascii_alphanumeric();
            let digits = chars[i..end].iter().all(char::is_ascii_digit);
            if word_ends && digits {
                out.push_str("<n>");
                i = end;
                continue;
            }
            if word_ends && end - i >= 8 && chars[i..end].iter().any(char::is_ascii_digit) {
                out.push_str("<hex>");
                i = end;
                continue;
            }
        }
        if c.is_ascii_digit() {
            // digits inside a word (`line42`, `v1.2`): still numbers
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push_str("<n>");
            continue;
        }
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            out.push(' ');
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The record of a finished run: `report` of `pack` over `inputs` at `at`,
/// inputs named as across checkouts.
pub fn run_record(
    id: String,
    at: i64,
    report: &Report,
    inputs: &Inputs,
    pack: &Pack,
    context: &Context,
) -> RunRecord {
    let mut records = Vec::with_capacity(inputs.jobs.len() + inputs.series.len());
    for job in &inputs.jobs {
        let meta = job.parsed_meta();
        let failed_finding = report
            .findings
            .iter()
            .any(|f| f.input == job.source && f.kind.starts_with("failure/"));
        let rule_failed = report
            .errors
            .iter()
            .any(|e| e.input.as_deref() == Some(job.source.as_str()));
        let outcome = match meta.exit_code {
            Some(code) if code != 0 => Some(JobOutcome::Failed),
            _ if failed_finding => Some(JobOutcome::Failed),
            // A rule that could not read the job cannot vouch for it.
            _ if rule_failed => None,
            _ => Some(JobOutcome::Passed),
        };
        records.push(InputRecord {
            name: context.input_name(&job.source),
            kind: InputKind::Job,
            repo: meta.repo.clone(),
            job: crate::input::job_name(&meta),
            stage: meta.stage.clone(),
            task_kind: meta.task_kind.clone(),
            exit_code: meta.exit_code,
            outcome,
            last_snapshot_at: None,
        });
    }
    for series in &inputs.series {
        let last = series.snapshots.last().and_then(|s| {
            time::OffsetDateTime::parse(
                &s.observed_at,
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        });
        records.push(InputRecord {
            name: series.repo.clone(),
            kind: InputKind::Series,
            repo: Some(series.repo.clone()),
            job: None,
            stage: None,
            task_kind: None,
            exit_code: None,
            outcome: None,
            last_snapshot_at: last.map(|t| t.unix_timestamp()),
        });
    }
    let findings = report
        .findings
        .iter()
        .map(|f| FindingRecord {
            rule: f.rule.clone(),
            kind: f.kind.clone(),
            severity: f.severity.as_str().to_owned(),
            fingerprint: f.fingerprint.clone(),
            input: context.input_name(&f.input),
            repo: f.repo.clone(),
            title: f.title.clone(),
            evidence: f.evidence.clone(),
            causal: f
                .evidence
                .first()
                .map(|e| mask(&e.excerpt))
                .filter(|m| !m.is_empty()),
            actions: f.actions.iter().map(|a| ActionRecord::new(a)).collect(),
        })
        .collect();
    RunRecord {
        id,
        at,
        pack: pack.source.clone(),
        pack_digest: pack_digest(pack),
        augur_version: env!("CARGO_PKG_VERSION").to_owned(),
        inputs: records,
        findings,
    }
}

/// sha256 over each rule's id, source, version and config: two runs with
/// the same digest ran the same rules the same way.
pub fn pack_digest(pack: &Pack) -> String {
    let mut hasher = Sha256::new();
    for rule in &pack.rules {
        let source = serde_json::to_string(&rule.source).expect("a source serializes");
        for part in [&rule.id, &source, &rule.info.version, &rule.config] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Times in export files: RFC 3339, to the second.
mod rfc3339_seconds {
    use serde::{Deserialize as _, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(at: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::super::rfc3339(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .map_err(|e| D::Error::custom(format!("`{text}` is not an RFC 3339 time: {e}")))
    }
}

mod rfc3339_seconds_opt {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::rfc3339_seconds::serialize(at, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        super::rfc3339_seconds::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_the_words_and_hides_what_changes() {
        assert_eq!(
            mask("  FAILED tests/test_api.py::test_limit - assert 429 == 200  "),
            "FAILED tests/test_api.py::test_limit - assert <n> == <n>"
        );
        assert_eq!(
            mask("commit 3f2a9c1d8e7b6a5f failed at line42"),
            "commit <hex> failed at line<n>"
        );
        assert_eq!(mask("deadbeef"), "deadbeef", "a hex word with no digit");
        assert_eq!(mask("error:\t\tcode   7"), "error: code <n>");
    }

    #[test]
    fn a_job_is_known_by_its_repository_and_name_or_stage() {
        let mut input = InputRecord {
            name: "logs/a.log".into(),
            kind: InputKind::Job,
            repo: Some("acme/api".into()),
            job: None,
            stage: Some("test".into()),
            task_kind: None,
            exit_code: Some(1),
            outcome: Some(JobOutcome::Failed),
            last_snapshot_at: None,
        };
        assert_eq!(input.job_key().as_deref(), Some("acme/api\u{1f}test"));
        input.job = Some("unit (ubuntu)".into());
        assert_eq!(
            input.job_key().as_deref(),
            Some("acme/api\u{1f}unit (ubuntu)")
        );
        input.repo = None;
        assert_eq!(input.job_key(), None, "no repository, no identity");
    }
}
