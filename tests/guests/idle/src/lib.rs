//! A rule that does nothing: what a (rule, input) call costs the host (a
//! fresh instance, the job handed over, the result checked), measured by
//! `bench-classifiers`.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "idle";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Finds nothing";
    const KINDS: &'static [&'static str] = &["idle/never"];
}

impl Classifier for Guest {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        Ok(Vec::new())
    }
}

augur_sdk::export_classifier!(Guest);
