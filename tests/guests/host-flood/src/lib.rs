//! A hostile rule: calls the host's `log` function in a tight loop, forever.
//! Each call must cost fuel, so the loop runs out of it like any other.

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "host-flood";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Calls the host in a tight loop";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = (job, config);
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
            log(LogLevel::Trace, "again");
        }
    }
}

augur_sdk::export_classifier!(Guest);
