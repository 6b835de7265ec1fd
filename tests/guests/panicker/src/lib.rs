//! A hostile rule: panics.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "panicker";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Panics";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = config;
        panic!("the rule gave up on {}", job.source)
    }
}

augur_sdk::export_classifier!(Guest);
