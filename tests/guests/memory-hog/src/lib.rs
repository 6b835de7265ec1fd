//! A hostile rule: grows its linear memory a page at a time, touching every
//! page, until the host refuses; then it keeps asking.
// Uses wasm instructions directly: there is nothing to build natively.
#![cfg(target_arch = "wasm32")]

use augur_sdk::prelude::*;

pub struct Guest;

#[derive(Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Config {}

impl Rule for Guest {
    type Config = Config;
    const ID: &'static str = "memory-hog";
    const VERSION: &'static str = "0.0.1";
    const DESCRIPTION: &'static str = "Grows memory without bound";
    const KINDS: &'static [&'static str] = &["attack/never"];
}

impl Classifier for Guest {
    fn classify(job: &Job, config: &Config) -> Result<Vec<Finding>, RuleError> {
        let _ = (job, config);
        let mut refused = 0u32;
        loop {
            let previous = core::arch::wasm32::memory_grow::<0>(1);
            if previous == usize::MAX {
                refused += 1;
                if refused > 1_000 {
                    panic!("memory.grow was refused {refused} times");
                }
                continue;
            }
            // Touch the new page so it is really committed.
            let page = (previous * 65_536) as *mut u8;
            for offset in (0..65_536).step_by(4_096) {
                // SAFETY: the page was just added to this instance's memory and nothing else uses it.
                unsafe { page.add(offset).write_volatile(1) };
            }
        }
    }
}

augur_sdk::export_classifier!(Guest);
