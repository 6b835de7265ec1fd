//! A hostile rule: sleeps. Its config schema (built while `info()` runs)
//! sleeps an hour, and every call sleeps an hour at a time, forever. A
//! sleep must never block the host on a real timer: the rule's timers are
//! those of the frozen run clock, ready at once, and each sleep is a host
//! call paid for in fuel.

use std::time::Duration;

use augur_sdk::prelude::*;

pub struct Sleeper;

#[derive(Default, serde::Deserialize)]
pub struct Config {}

impl schemars::JsonSchema for Config {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Config".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        std::thread::sleep(Duration::from_secs(3600));
        schemars::json_schema!({ "type": "object" })
    }
}

impl Rule for Sleeper {
    type Config = Config;
    const ID: &'static str = "sleeper";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Sleeps an hour at a time, forever";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Sleeper {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

augur_sdk::export_classifier!(Sleeper);
