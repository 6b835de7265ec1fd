//! Baselines: the findings a team has accepted, so that a gate fails only
//! on new ones.
//!
//! `augur baseline` writes the run's findings as entries (rule, kind,
//! input, fingerprint), sorted, one per line, so that a change to the
//! baseline reads well in a diff. `augur run --baseline FILE` marks each
//! finding `new` or `unchanged` and lists the entries it did not find
//! again (`absent`). A job's input is its path relative to the source root,
//! so a baseline written in one checkout works in another. Entries are
//! compared as a multiset: two equal findings need two equal entries.

use std::{collections::BTreeMap, fmt::Write as _};

use serde::{Deserialize, Serialize};

use crate::{
    output::Context,
    report::{BaselineOut, BaselineState, FindingOut, Report},
};

/// The version of the baseline file's format.
pub const BASELINE_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub kind: String,
    /// A job's path relative to the source root, a repository's name, or
    /// `*` for the whole run.
    pub input: String,
    pub fingerprint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// The entry a finding would have: its input named as across checkouts
/// ([`Context::input_name`]).
pub fn entry(finding: &FindingOut, context: &Context) -> Entry {
    Entry {
        rule: finding.rule.clone(),
        kind: finding.kind.clone(),
        input: context.input_name(&finding.input),
        fingerprint: finding.fingerprint.clone(),
    }
}

/// The baseline file for `report`: sorted entries, one per line.
pub fn render(report: &Report, context: &Context) -> String {
    let mut entries: Vec<Entry> = report.findings.iter().map(|f| entry(f, context)).collect();
    entries.sort();
    let mut out = format!("{{\n  \"version\": {BASELINE_VERSION},\n  \"findings\": [");
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    {}",
            if i == 0 { "" } else { "," },
            serde_json::to_string(e).expect("an entry serializes")
        );
    }
    out.push_str(if entries.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    out
}

/// Reads a baseline file; the error names the file and what is wrong.
pub fn read(path: &std::path::Path) -> Result<Vec<Entry>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--baseline {shown}: cannot read it: {e}"))?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        format!("--baseline {shown}: not an augur baseline ({e}); write one with `augur baseline`")
    })?;
    if file.version != BASELINE_VERSION {
        return Err(format!(
            "--baseline {shown}: version {} is not one this augur reads ({BASELINE_VERSION}); \
             write it again with `augur baseline`",
            file.version
        ));
    }
    Ok(file.findings)
}

/// Marks each finding of `report` new or unchanged against `baseline`, and
/// records the comparison in the report.
pub fn compare(report: &mut Report, baseline: Vec<Entry>, file: &str, context: &Context) {
    let mut remaining: BTreeMap<Entry, usize> = BTreeMap::new();
    for e in baseline {
        *remaining.entry(e).or_default() += 1;
    }
    let (mut new, mut unchanged) = (0, 0);
    for f in &mut report.findings {
        let key = entry(f, context);
        let state = match remaining.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                unchanged += 1;
                BaselineState::Unchanged
            }
            _ => {
                new += 1;
                BaselineState::New
            }
        };
        f.baseline = Some(state);
    }
    let absent = remaining
        .into_iter()
        .flat_map(|(e, n)| std::iter::repeat_n(e, n))
        .collect();
    report.baseline = Some(BaselineOut {
        file: file.to_owned(),
        new,
        unchanged,
        absent,
    });
}
