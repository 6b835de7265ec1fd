//! A lying rule: points its evidence at line 10,000 (or `line`), wherever
//! the log ends, and at a JSON pointer or source that do not exist when asked.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {
    line: Option<u32>,
}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "bad-evidence";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Returns evidence for lines that do not exist";
    const KINDS: &'static [&'static str] = &["attack/evidence"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let line = config.line.unwrap_or(10_000);
        Ok(vec![
            Finding::new(
                "attack/evidence",
                Severity::High,
                "Evidence past the end of the log",
            )
            .evidence(Evidence::at_lines(job, line, line, "made up")),
        ])
    }
}

augur_sdk::export_classifier!(Guest);
