//! A probing rule: its `setup` counts how often it ran and builds a table;
//! every call reports what it finds. Run once before the snapshot, setup
//! shows in every call as having run exactly once, with its table there.
//! Every call also writes memory (its counters, 4 MiB it grows): when calls
//! reuse an instance's slot, none may see what an earlier one wrote.

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

/// Grows memory by 4 MiB, counts the bytes of it that are not zero (what an
/// earlier call in a reused slot left, if the slot were not reset), then
/// writes all of it.
fn stale_bytes_in_grown_memory() -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        const PAGES: usize = 64;
        let old = core::arch::wasm32::memory_grow(0, PAGES);
        assert_ne!(old, usize::MAX, "memory.grow failed");
        // SAFETY: the pages were just grown and nothing else knows of them;
        // the allocator grows memory for itself past them.
        let grown =
            unsafe { std::slice::from_raw_parts_mut((old * 65536) as *mut u8, PAGES * 65536) };
        let stale = grown.iter().filter(|b| **b != 0).count();
        grown.fill(0xAA);
        stale
    }
    #[cfg(not(target_arch = "wasm32"))]
    0
}

impl Classifier for SetupProbe {
    fn classify(job: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
        let calls = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
        let setups = SETUPS.load(Ordering::Relaxed);
        let stale = stale_bytes_in_grown_memory();
        Ok(vec![
            Finding::new("probe/setup", Severity::Info, "setup probe")
                .data(serde_json::json!({
                    "setups": setups,
                    "calls_in_this_instance": calls,
                    "table_last": TABLE[TABLE.len() - 1],
                    "stale_bytes": stale,
                }))
                .evidence(Evidence::at_lines(job, 1, 1, "")),
        ])
    }
}

augur_sdk::export_classifier!(SetupProbe);
