//! A hostile rule: prints to stdout without end, gigabytes of it.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "stdout-flood";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Prints gigabytes to stdout";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = (job, config);
        use std::io::Write;
        let line = [b'y'; 64 * 1024];
        let mut out = std::io::stdout().lock();
        loop {
            // A full log is not an error for the rule: it keeps writing.
            let _ = out.write_all(&line);
        }
    }
}

augur_sdk::export_classifier!(Guest);
