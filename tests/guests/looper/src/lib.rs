//! A hostile rule: every call loops forever without touching the host.
//! The fuel limit (or, failing that, the deadline) must stop it.

use augur_sdk::prelude::*;

pub struct Looper;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

impl Rule for Looper {
    type Config = Config;
    const ID: &'static str = "looper";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Loops forever";
    const KINDS: &'static [&'static str] = &["looper/never"];
}

fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

impl Deriver for Looper {
    fn derive(_: &[Snapshot], _: &Config) -> Result<Vec<Finding>, RuleError> {
        spin()
    }
}

impl Classifier for Looper {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        spin()
    }
}

augur_sdk::export_deriver_classifier!(Looper);
