//! The instance pool: every rule call instantiates a fresh component, and
//! the pool makes that cheap.
//!
//! wasmtime's pooling allocator keeps slots of address space for memories,
//! tables and instance metadata, made once when the engine is. A call takes
//! a slot, and gives it back when its store is dropped; the next instance of
//! the same rule finds its memory image still mapped, and only the pages the
//! last call wrote are put back (found with Linux's `PAGEMAP_SCAN` where the
//! kernel has it, 6.7 and later; else by `madvise`). Without the pool every
//! call maps fresh memory and faults in every page it touches: measured on a
//! 2-core machine, a call over an empty log costs half as much from the pool
//! (docs/performance.md, "Instances from a pool").
//!
//! The slots are sized for the default limits ([`Limits::default`]): a rule
//! whose pack gives it more memories, tables, core instances or table
//! elements than those runs on an engine that allocates on demand, with the
//! same limits and the same errors, only slower to start. Its memory is
//! still bounded by `memory_mib`, through the store's limiter, for both.
//!
//! At most [`PoolSlots::count`] calls hold instances at once; a call beyond
//! that waits for one to end (the pool cannot run out mid-run).

use std::sync::{Condvar, Mutex};

use crate::limits::Limits;

/// Bytes of each memory kept mapped between calls and put back page by
/// page: enough for the pages an ordinary call writes, small enough that
/// idle slots hold little (a larger call's other pages are released).
const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// Bytes of instance metadata (`VMContext`) a core instance may need; the
/// components made by interpreters (Python, JavaScript) are the largest.
const CORE_INSTANCE_BYTES: usize = 4 << 20;

/// The largest linear memory a pooled instance may grow to (wasm32's whole
/// space; `memory_mib` is the real bound).
const MAX_MEMORY_BYTES: usize = 1 << 32;

/// Whether calls under `limits` take their instances from the pool: it is
/// on, and the limits fit its slots.
pub(crate) fn usable(limits: &Limits) -> bool {
    !disabled() && fits(limits)
}

/// Whether calls under `limits` fit the pool's slots.
fn fits(limits: &Limits) -> bool {
    let pool = Limits::default();
    limits.max_memories <= pool.max_memories
        && limits.max_tables <= pool.max_tables
        && limits.max_instances <= pool.max_instances
        && limits.table_elements <= pool.table_elements
        && limits.memory_mib.saturating_mul(1 << 20) <= MAX_MEMORY_BYTES as u64
}

/// Whether the pool is turned off (`AUGUR_POOLING=off`): every call then
/// allocates on demand, to compare the two or to run where reserving the
/// pool's address space is refused.
fn disabled() -> bool {
    switched_off("AUGUR_POOLING")
}

/// Whether the environment variable `var` turns something off (`off` or
/// `0`): the switches that exist to compare a speed-up with its absence.
pub(crate) fn switched_off(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "off" || v == "0")
}

/// The pooling allocator's configuration for `slots` concurrent instances.
pub(crate) fn config(slots: u32) -> wasmtime::PoolingAllocationConfig {
    let limits = Limits::default();
    let memories = limits.max_memories as u32;
    let tables = limits.max_tables as u32;
    let instances = limits.max_instances as u32;
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_component_instances(slots)
        .total_core_instances(slots * instances)
        .total_memories(slots * memories)
        .total_tables(slots * tables)
        // Fiber stacks, for async calls: augur's calls are synchronous, but
        // wasmtime reserves (and guards, one `mprotect` each) as many as
        // this at start-up, 1 000 by default: a third of a warm start.
        .total_stacks(slots)
        .max_core_instances_per_component(instances)
        .max_memories_per_component(memories)
        .max_memories_per_module(memories)
        .max_tables_per_component(tables)
        .max_tables_per_module(tables)
        .table_elements(limits.table_elements as usize)
        .max_memory_size(MAX_MEMORY_BYTES)
        .max_core_instance_size(CORE_INSTANCE_BYTES)
        .max_component_instance_size(CORE_INSTANCE_BYTES)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// Instances that may be alive at once: a counting semaphore in front of
/// the pool, so that a run with more threads than slots waits rather than
/// failing.
pub(crate) struct PoolSlots {
    free: Mutex<u32>,
    freed: Condvar,
    count: u32,
}

/// One slot, held while a call's store lives.
pub(crate) struct Slot<'a>(Option<&'a PoolSlots>);

impl PoolSlots {
    /// Two slots per core (a call's thread and a window's), at least 16
    /// and at most 128.
    pub(crate) fn for_this_machine() -> PoolSlots {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        PoolSlots::new((2 * cores).clamp(16, 128))
    }

    pub(crate) fn new(count: u32) -> PoolSlots {
        PoolSlots {
            free: Mutex::new(count),
            freed: Condvar::new(),
            count,
        }
    }

    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Waits for a free slot.
    pub(crate) fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap();
        while *free == 0 {
            free = self.freed.wait(free).unwrap();
        }
        *free -= 1;
        Slot(Some(self))
    }
}

impl Slot<'_> {
    /// No slot: the call's engine allocates on demand.
    pub(crate) fn none() -> Slot<'static> {
        Slot(None)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(slots) = self.0 {
            *slots.free.lock().unwrap() += 1;
            slots.freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limits_fit_and_larger_ones_do_not() {
        assert!(fits(&Limits::default()));
        for bigger in [
            Limits {
                max_memories: 9,
                ..Limits::default()
            },
            Limits {
                max_tables: 33,
                ..Limits::default()
            },
            Limits {
                max_instances: 65,
                ..Limits::default()
            },
            Limits {
                table_elements: 1_000_001,
                ..Limits::default()
            },
            Limits {
                memory_mib: 4097,
                ..Limits::default()
            },
        ] {
            assert!(!fits(&bigger), "{bigger:?}");
        }
        // Smaller limits fit: the pool is a ceiling, the limiter the bound.
        assert!(fits(&Limits {
            memory_mib: 16,
            max_memories: 2,
            ..Limits::default()
        }));
    }

    #[test]
    fn a_slot_is_given_back_when_dropped_and_a_taker_waits_for_it() {
        let slots = std::sync::Arc::new(PoolSlots::new(1));
        let held = slots.take();
        let waiter = {
            let slots = slots.clone();
            std::thread::spawn(move || {
                let _slot = slots.take();
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!waiter.is_finished(), "the second taker waits");
        drop(held);
        waiter.join().unwrap();
        assert_eq!(*slots.free.lock().unwrap(), 1);
    }
}
