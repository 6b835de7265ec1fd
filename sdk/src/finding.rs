//! Findings and the evidence that points back into the input.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Job, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A place in the input that supports a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The snapshot file or job output this points into.
    pub source: String,
    /// A JSON pointer into a snapshot, or `L<n>` / `L<n>-L<m>` in a log.
    pub locator: String,
    pub excerpt: String,
}

impl Evidence {
    /// Evidence at a JSON pointer (`/signals/lint/count`) in a snapshot.
    pub fn at_pointer(snapshot: &Snapshot, pointer: &str, excerpt: impl Into<String>) -> Self {
        Evidence {
            source: snapshot.source.clone(),
            locator: pointer.to_owned(),
            excerpt: excerpt.into(),
        }
    }

    /// Evidence at lines `first..=last` (1-based, in the whole log) of a job output.
    pub fn at_lines(job: &Job, first: u32, last: u32, excerpt: impl Into<String>) -> Self {
        let locator = if first == last {
            format!("L{first}")
        } else {
            format!("L{first}-L{last}")
        };
        Evidence {
            source: job.source.clone(),
            locator,
            excerpt: excerpt.into(),
        }
    }
}

/// How many characters of a line [`excerpt`] keeps.
pub const EXCERPT_CHARS: usize = 300;

/// A log line short enough for a report, and for a rule to keep: trimmed,
/// and cut after [`EXCERPT_CHARS`] characters with `…` saying so.
pub fn excerpt(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// What a rule found. Build one with [`Finding::new`] and the chained setters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    /// Stable across runs for the same issue; when left empty it is derived
    /// from the rule, the kind and the title.
    pub fingerprint: String,
    pub evidence: Vec<Evidence>,
    pub actions: Vec<String>,
    /// Rule-specific fields (a JSON object), `null` when none.
    pub data: Value,
}

impl Finding {
    pub fn new(kind: impl Into<String>, severity: Severity, title: impl Into<String>) -> Self {
        Finding {
            kind: kind.into(),
            severity,
            title: title.into(),
            message: String::new(),
            fingerprint: String::new(),
            evidence: Vec::new(),
            actions: Vec::new(),
            data: Value::Null,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn fingerprint(mut self, fingerprint: impl Into<String>) -> Self {
        self.fingerprint = fingerprint.into();
        self
    }

    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.evidence.push(evidence);
        self
    }

    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.actions.push(action.into());
        self
    }

    /// Sets the rule-specific data; pass a JSON object (`serde_json::json!({...})`).
    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

/// A stable fingerprint of `parts`: 16 hex digits of FNV-1a (64 bit) over the
/// parts, each followed by a separator byte. It never changes between runs,
/// machines or versions of augur, so baselines keyed on it stay valid.
pub fn fingerprint(parts: &[&str]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        for byte in part.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fixed_and_separates_parts() {
        // A known value: changing the algorithm would break every baseline.
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        assert_eq!(fingerprint(&["a"]), fingerprint(&["a"]));
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }

    #[test]
    fn line_locators() {
        let job = Job::from_text("ci.log", "");
        assert_eq!(Evidence::at_lines(&job, 4, 4, "x").locator, "L4");
        assert_eq!(Evidence::at_lines(&job, 4, 6, "x").locator, "L4-L6");
    }
}
