//! A probing rule: its `setup` counts how often it ran and builds a table;
//! every call reports what it finds. Run once before the snapshot, setup
//! shows in every call as having run exactly once, with its table there.

use std::sync::{
    LazyLock,
    atomic::{AtomicU32, Ordering},
};

use augur_sdk::prelude::*;

pub struct SetupProbe;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

static SETUPS: AtomicU32 = AtomicU32::new(0);
static CALLS: AtomicU32 = AtomicU32::new(0);

/// Work worth doing once: a table of squares, 12 MB: more than a call may
/// hand the host at once (`output_bytes`), which must not stop the host
/// from keeping it.
static TABLE: LazyLock<Vec<u64>> = LazyLock::new(|| (0..1_500_000u64).map(|i| i * i).collect());

impl Rule for SetupProbe {
    type Config = Config;
    const ID: &'static str = "setup-probe";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Reports how often its setup ran before the call";
    const KINDS: &'static [&'static str] = &["probe/setup"];

    fn setup() {
        SETUPS.fetch_add(1, Ordering::Relaxed);
        LazyLock::force(&TABLE);
    }
}

impl Classifier for SetupProbe {
    fn classify(job: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
        let setups = SETUPS.load(Ordering::Relaxed);
        Ok(vec![
            Finding::new("probe/setup", Severity::Info, "setup probe")
                .data(serde_json::json!({
                    "setups": setups,
                    "calls_in_this_instance": calls,
                    "table_last": TABLE[TABLE.len() - 1],
                }))
                .evidence(Evidence::at_lines(job, 1, 1, "")),
        ])
    }
}

augur_sdk::export_classifier!(SetupProbe);
