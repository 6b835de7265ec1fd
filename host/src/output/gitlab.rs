//! GitLab's Code Quality report: a JSON array GitLab shows in merge
//! requests and pipelines (`artifacts: reports: codequality`).
//!
//! Each finding is one issue: `description`, `check_name` (the kind),
//! `fingerprint` (unique per issue: the augur fingerprint with the rule,
//! kind and input, hashed), `severity` (`info`, `minor`, `major`,
//! `critical`, `blocker`) and `location.path` / `location.lines.begin`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Context, locate};
use crate::{
    pack::hex,
    report::{Report, Severity},
    sanitize::escape,
};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

pub(crate) fn render(report: &Report, context: &Context) -> String {
    let issues: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let place = locate::place(f, context);
            let input = context.input_name(&f.input);
            let mut hasher = Sha256::new();
            for part in [&f.rule, &f.kind, &input, &f.fingerprint] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            let mut issue = json!({
                "type": "issue",
                "description": escape(&format!("{}: {}", f.title, f.message)),
                "check_name": f.kind,
                "fingerprint": hex(&hasher.finalize()),
                "severity": severity(f.severity),
                "location": {
                    "path": place.path,
                    "lines": {"begin": place.start, "end": place.end},
                },
                "categories": ["Bug Risk"],
            });
            if !f.actions.is_empty() {
                issue["content"] = json!({
                    "body": f.actions.iter().map(|a| format!("- {}", super::markdown::text(a))).collect::<Vec<_>>().join("\n"),
                });
            }
            issue
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).expect("serializes");
    text.push('\n');
    text
}
