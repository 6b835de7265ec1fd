//! A hostile rule: returns a million findings (or as many as the number in
//! its config, `count = N`). It binds the contract with wit-bindgen directly and keeps
//! each finding as small as the contract allows, so that it is the host's
//! bound on what a rule returns that stops it, not its own memory.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: "../../../wit",
    world: "classifier-rule",
});

use augur::rules::types::{Finding, JobOutput, RuleError, RuleInfo, Severity};
use exports::augur::rules::{classifier, rule};

struct FindingFlood;

impl rule::Guest for FindingFlood {
    fn info() -> RuleInfo {
        RuleInfo {
            id: "finding-flood".into(),
            version: "0.0.1".into(),
            description: "Returns a million findings".into(),
            kinds: vec!["attack/flood".into()],
            config_schema: r#"{"type": "object"}"#.into(),
        }
    }
}

impl classifier::Guest for FindingFlood {
    fn classify(_job: JobOutput, config: String) -> Result<Vec<Finding>, RuleError> {
        let digits: String = config.chars().filter(char::is_ascii_digit).collect();
        let count: usize = digits.parse().unwrap_or(1_000_000);
        Ok((0..count)
            .map(|_| Finding {
                kind: "attack/flood".into(),
                severity: Severity::Info,
                title: "x".into(),
                message: String::new(),
                fingerprint: String::new(),
                evidence: Vec::new(),
                actions: Vec::new(),
                data: String::new(),
            })
            .collect())
    }
}

export!(FindingFlood);
