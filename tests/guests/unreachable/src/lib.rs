//! A hostile rule: executes wasm's `unreachable` instruction, with no panic.
// Uses wasm instructions directly: there is nothing to build natively.
#![cfg(target_arch = "wasm32")]

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "unreachable";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Executes unreachable";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = (job, config);
        core::arch::wasm32::unreachable()
    }
}

augur_sdk::export_classifier!(Guest);
