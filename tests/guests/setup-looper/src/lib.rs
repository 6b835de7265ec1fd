//! A hostile rule: its `setup` never ends. Setup runs under the rule's own
//! limits, so it runs out of fuel and the rule does not load.

use augur_sdk::prelude::*;

pub struct SetupLooper;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

impl Rule for SetupLooper {
    type Config = Config;
    const ID: &'static str = "setup-looper";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Loops forever in its setup";
    const KINDS: &'static [&'static str] = &["attack/never"];

    fn setup() {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

impl Classifier for SetupLooper {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        Ok(Vec::new())
    }
}

augur_sdk::export_classifier!(SetupLooper);
