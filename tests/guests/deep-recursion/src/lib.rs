//! A hostile rule: recurses without end.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "deep-recursion";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Recurses without end";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = (job, config);
        let depth = dive(0);
        Ok(vec![Finding::new(
            "attack/never",
            Severity::Info,
            format!("reached the bottom at {depth}"),
        )])
    }
}

#[inline(never)]
fn dive(n: u64) -> u64 {
    if std::hint::black_box(n) == u64::MAX {
        return n;
    }
    std::hint::black_box(dive(std::hint::black_box(n + 1))).wrapping_add(1)
}

augur_sdk::export_classifier!(Guest);
