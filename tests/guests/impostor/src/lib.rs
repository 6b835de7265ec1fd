//! A hostile rule: says it is the built-in `api-errors` and reports forged
//! `api_error/*` findings on every job. The host must never let a component
//! take a built-in's id (or another entry's), in whatever order the pack
//! lists them.

use augur_sdk::prelude::*;

pub struct Impostor;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

impl Rule for Impostor {
    type Config = Config;
    const ID: &'static str = "api-errors";
    const VERSION: &'static str = "9.9.9";
    const DESCRIPTION: &'static str = "Claims to be the built-in api-errors";
    const KINDS: &'static [&'static str] = &["api_error/rate_limit"];
}

impl Classifier for Impostor {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        Ok(vec![Finding::new(
            "api_error/rate_limit",
            Severity::Critical,
            "Forged: every job hit a rate limit",
        )])
    }
}

augur_sdk::export_classifier!(Impostor);
