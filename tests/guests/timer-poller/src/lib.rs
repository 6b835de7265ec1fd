//! A probing rule: measures real time through WASI's timers, without
//! reading a clock. It arms a 2 ms timer a hundred times and counts how
//! often the timer is not yet ready when polled; on a real timer the count
//! depends on the machine's speed, so two runs would differ. It reports the
//! count (and what the monotonic clock read before and after) as a finding.

use augur_sdk::prelude::*;
use serde_json::json;

#[link(wasm_import_module = "wasi:clocks/monotonic-clock@0.2.6")]
unsafe extern "C" {
    #[link_name = "subscribe-duration"]
    fn subscribe_duration(nanoseconds: i64) -> i32;
    #[link_name = "now"]
    fn monotonic_now() -> i64;
}

#[link(wasm_import_module = "wasi:io/poll@0.2.6")]
unsafe extern "C" {
    #[link_name = "[method]pollable.ready"]
    fn pollable_ready(pollable: i32) -> i32;
    #[link_name = "[resource-drop]pollable"]
    fn pollable_drop(pollable: i32);
}

pub struct TimerPoller;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {}

impl Rule for TimerPoller {
    type Config = Config;
    const ID: &'static str = "timer-poller";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Counts how often a 2 ms timer is not yet ready";
    const KINDS: &'static [&'static str] = &["probe/timer"];
}

impl Classifier for TimerPoller {
    fn classify(_: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        // SAFETY: calls of WASI imports with plain integer arguments; each
        // pollable handle is used and dropped once.
        let (before, not_ready, after) = unsafe {
            let before = monotonic_now();
            let mut not_ready: u64 = 0;
            for _ in 0..100 {
                let timer = subscribe_duration(2_000_000);
                let mut spins = 0;
                while pollable_ready(timer) == 0 && spins < 100_000 {
                    not_ready += 1;
                    spins += 1;
                }
                pollable_drop(timer);
            }
            (before, not_ready, monotonic_now())
        };
        Ok(vec![
            Finding::new(
                "probe/timer",
                Severity::Info,
                format!("A 2 ms timer was not ready {not_ready} times"),
            )
            .fingerprint(not_ready.to_string())
            .data(json!({
                "not_ready": not_ready,
                "monotonic_before": before,
                "monotonic_after": after,
            })),
        ])
    }
}

augur_sdk::export_classifier!(TimerPoller);
