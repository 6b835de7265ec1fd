//! A hostile rule: returns one finding whose message is 100 MB (or `mib` MiB).

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {
    mib: Option<usize>,
}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "huge-string";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Returns a 100 MB string";
    const KINDS: &'static [&'static str] = &["attack/huge"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = job;
        let bytes = config.mib.map_or(100_000_000, |m| m << 20);
        Ok(vec![
            Finding::new("attack/huge", Severity::Info, "huge").message("x".repeat(bytes)),
        ])
    }
}

augur_sdk::export_classifier!(Guest);
