//! A rule built against contract `augur:rules@0.1.0`, the first release:
//! `wit/` holds that contract as it was published, frozen. Later hosts must
//! keep loading and running it (imports `host`, exports `rule`, `deriver` and
//! `classifier` at 0.1.0). It reports each input it sees once, and logs.
//! Never update `wit/` here from the current contract: its age is the test.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: "wit",
    world: "deriver-classifier-rule",
});

use augur::rules::{
    host::{LogLevel, log},
    types::{Evidence, Finding, JobOutput, RuleError, RuleInfo, Severity, Snapshot},
};
use exports::augur::rules::{classifier, deriver, rule};

struct FirstRelease;

fn seen(what: &str, source: &str, locator: &str) -> Finding {
    Finding {
        kind: "legacy/seen".into(),
        severity: Severity::Info,
        title: format!("A 0.1.0 rule read {what}"),
        message: String::new(),
        fingerprint: format!("legacy-{source}"),
        evidence: vec![Evidence {
            source: source.into(),
            locator: locator.into(),
            excerpt: String::new(),
        }],
        actions: vec![],
        data: "{}".into(),
    }
}

impl rule::Guest for FirstRelease {
    fn info() -> RuleInfo {
        RuleInfo {
            id: "contract-0-1-0".into(),
            version: "0.1.0".into(),
            description: "Built against augur:rules@0.1.0".into(),
            kinds: vec!["legacy/seen".into()],
            config_schema: r#"{"type": "object"}"#.into(),
        }
    }
}

impl deriver::Guest for FirstRelease {
    fn derive(series: Vec<Snapshot>, _config: String) -> Result<Vec<Finding>, RuleError> {
        log(LogLevel::Info, &format!("{} snapshots", series.len()));
        let newest = series
            .last()
            .ok_or_else(|| RuleError::InvalidInput("empty series".into()))?;
        Ok(vec![seen(&newest.repo, &newest.source, "/observed_at")])
    }
}

impl classifier::Guest for FirstRelease {
    fn classify(job: JobOutput, _config: String) -> Result<Vec<Finding>, RuleError> {
        log(LogLevel::Info, "a job");
        Ok(vec![seen(&job.source, &job.source, "L1")])
    }
}

export!(FirstRelease);
