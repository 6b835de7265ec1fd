//! The bounds every rule call runs under. Each is named, has a default that
//! is generous for an honest rule, and can be set per pack (`[limits]`) and per
//! rule (`[rule.limits]`) in `augur.toml`. The README's "Limits" section
//! explains each default; keep the two in step.

use serde::{Deserialize, Serialize};

/// The largest `stack_kib` a pack may ask for. Rule calls run on a thread
/// whose native stack is larger than this (see [`WORKER_STACK_BYTES`]).
pub const MAX_STACK_KIB: u64 = 64 * 1024;

/// The native stack of the thread that runs rule calls: wasm runs on it, so it
/// must hold the largest wasm stack a rule may have, plus room for the host.
pub const WORKER_STACK_BYTES: usize = (MAX_STACK_KIB as usize) * 1024 + 16 * 1024 * 1024;

/// The smallest `window_bytes`: a window must hold an ordinary line.
pub const MIN_WINDOW_BYTES: usize = 1024;

/// Bounds for one call of one rule on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Instructions (wasmtime fuel) a call may execute, before scaling with
    /// the input. About 1.4 s of work on one core of a 2-core CI machine
    /// (~14 billion units a second).
    pub fuel: u64,
    /// Instructions added per MiB of input (the job's text and metadata, or
    /// every snapshot document of the series): a rule over a 100 MB log is
    /// not judged by the budget of a 1 KB one. api-errors, a regex scan, uses
    /// ~1.2 billion per MB; the default leaves four times that.
    pub fuel_per_mib: u64,
    /// Fuel charged for every call from the rule into the host (its `log`
    /// function, WASI's stdout and stderr, clocks and randomness, growing
    /// memory), plus one unit per byte the rule writes to its log, so a loop
    /// of host calls runs out of fuel like any other loop. The default is
    /// about what a WASI stdout write costs the host in time (~15 µs), priced
    /// as guest instructions; an honest rule makes a few hundred host calls.
    pub host_call_fuel: u64,
    /// Wall-clock time a call may take, in milliseconds, before scaling: the
    /// backstop when fuel alone does not stop a call (a stalled machine, time
    /// spent in the host).
    pub wall_time_ms: u64,
    /// Milliseconds added to the deadline per MiB of input.
    pub wall_time_ms_per_mib: u64,
    /// Linear memory one instance may grow to, in MiB: every memory of the
    /// instance together, so a component with several memories gets no more.
    pub memory_mib: u64,
    /// Table elements one instance may hold, all of its tables together.
    /// Each costs the host a pointer (8 bytes), so the default bounds tables
    /// at 8 MiB; a Rust rule uses a few thousand.
    pub table_elements: u64,
    /// Linear memories one instance may create. A Rust rule has two (its own
    /// and the WASI adapter's); each reserves address space in the host.
    pub max_memories: usize,
    /// Tables one instance may create.
    pub max_tables: usize,
    /// Core module instances one component instance may create (a Rust rule
    /// creates four or five; components made by other toolchains more).
    pub max_instances: usize,
    /// The wasm stack, in KiB: how deep a rule may recurse. The default lets
    /// a typical recursive function nest about ten thousand calls deep.
    pub stack_kib: u64,
    /// Size of the rule's component file, in MiB: a bigger file is refused
    /// before it is read or compiled. Rust rules are 1-2 MiB; components
    /// that carry an interpreter (Python, JavaScript) 10-40 MiB.
    pub component_mib: u64,
    /// Findings one call may return; the rest are cut, with a warning.
    pub max_findings: usize,
    /// Bytes in one string of a finding (title, message, fingerprint, an
    /// action, an excerpt); longer strings are cut, with a warning. A
    /// finding's `data` longer than this is rejected: cut JSON is not JSON.
    pub max_string_bytes: usize,
    /// Bytes the rule may hand to the host in one transfer: the findings a
    /// call returns, all together, or one log message. A call returning more
    /// is rejected (`invalid_output`) before the host copies any of it.
    pub output_bytes: usize,
    /// Bytes a call may write to its log (stdout, stderr and the host log
    /// together); the rest is dropped and the cut is noted.
    pub log_bytes: usize,
    /// Bytes of a log one classifier call sees. A longer log is read in
    /// windows of this size, one call each, so no call (and no copy the host
    /// makes) holds more of it; a log scanner carries its state from window
    /// to window.
    pub window_bytes: usize,
    /// Lines of the previous window repeated at the start of the next, so a
    /// pattern spanning lines is seen whole (at most a quarter of a window).
    pub window_overlap_lines: usize,
    /// Bytes of state a log scanner may carry from one window to the next.
    pub max_state_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 20_000_000_000,
            fuel_per_mib: 5_000_000_000,
            host_call_fuel: 200_000,
            wall_time_ms: 10_000,
            wall_time_ms_per_mib: 1_000,
            memory_mib: 256,
            table_elements: 1_000_000,
            max_memories: 8,
            max_tables: 32,
            max_instances: 64,
            stack_kib: 512,
            component_mib: 128,
            max_findings: 1_000,
            max_string_bytes: 16 * 1024,
            output_bytes: 8 * 1024 * 1024,
            log_bytes: 64 * 1024,
            window_bytes: 8 * 1024 * 1024,
            window_overlap_lines: 32,
            max_state_bytes: 1024 * 1024,
        }
    }
}

/// Limits as written in a manifest: any field may be left out and falls back
/// to the level above (rule → pack → built-in defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsOverride {
    pub fuel: Option<u64>,
    pub fuel_per_mib: Option<u64>,
    pub host_call_fuel: Option<u64>,
    pub wall_time_ms: Option<u64>,
    pub wall_time_ms_per_mib: Option<u64>,
    pub memory_mib: Option<u64>,
    pub table_elements: Option<u64>,
    pub max_memories: Option<usize>,
    pub max_tables: Option<usize>,
    pub max_instances: Option<usize>,
    pub stack_kib: Option<u64>,
    pub component_mib: Option<u64>,
    pub max_findings: Option<usize>,
    pub max_string_bytes: Option<usize>,
    pub output_bytes: Option<usize>,
    pub log_bytes: Option<usize>,
    pub window_bytes: Option<usize>,
    pub window_overlap_lines: Option<usize>,
    pub max_state_bytes: Option<usize>,
}

/// The bounds of one call, with the input-scaled ones worked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBounds {
    pub fuel: u64,
    pub wall_time_ms: u64,
}

impl Limits {
    pub fn with(self, o: &LimitsOverride) -> Limits {
        Limits {
            fuel: o.fuel.unwrap_or(self.fuel),
            fuel_per_mib: o.fuel_per_mib.unwrap_or(self.fuel_per_mib),
            host_call_fuel: o.host_call_fuel.unwrap_or(self.host_call_fuel),
            wall_time_ms: o.wall_time_ms.unwrap_or(self.wall_time_ms),
            wall_time_ms_per_mib: o.wall_time_ms_per_mib.unwrap_or(self.wall_time_ms_per_mib),
            memory_mib: o.memory_mib.unwrap_or(self.memory_mib),
            table_elements: o.table_elements.unwrap_or(self.table_elements),
            max_memories: o.max_memories.unwrap_or(self.max_memories),
            max_tables: o.max_tables.unwrap_or(self.max_tables),
            max_instances: o.max_instances.unwrap_or(self.max_instances),
            stack_kib: o.stack_kib.unwrap_or(self.stack_kib),
            component_mib: o.component_mib.unwrap_or(self.component_mib),
            max_findings: o.max_findings.unwrap_or(self.max_findings),
            max_string_bytes: o.max_string_bytes.unwrap_or(self.max_string_bytes),
            output_bytes: o.output_bytes.unwrap_or(self.output_bytes),
            log_bytes: o.log_bytes.unwrap_or(self.log_bytes),
            window_bytes: o.window_bytes.unwrap_or(self.window_bytes),
            window_overlap_lines: o.window_overlap_lines.unwrap_or(self.window_overlap_lines),
            max_state_bytes: o.max_state_bytes.unwrap_or(self.max_state_bytes),
        }
    }

    /// Checks values that cannot work; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.stack_kib == 0 || self.stack_kib > MAX_STACK_KIB {
            return Err(format!(
                "`stack_kib` must be between 1 and {MAX_STACK_KIB}, not {}",
                self.stack_kib
            ));
        }
        if self.memory_mib == 0 {
            return Err("`memory_mib` must be at least 1".into());
        }
        for (name, value) in [
            ("max_memories", self.max_memories),
            ("max_tables", self.max_tables),
            ("max_instances", self.max_instances),
        ] {
            if value == 0 {
                return Err(format!("`{name}` must be at least 1"));
            }
        }
        if self.wall_time_ms == 0 {
            return Err("`wall_time_ms` must be at least 1".into());
        }
        if self.output_bytes == 0 {
            return Err("`output_bytes` must be at least 1".into());
        }
        if self.window_bytes < MIN_WINDOW_BYTES {
            return Err(format!(
                "`window_bytes` must be at least {MIN_WINDOW_BYTES}, not {}",
                self.window_bytes
            ));
        }
        Ok(())
    }

    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    pub fn component_bytes(&self) -> u64 {
        self.component_mib.saturating_mul(1024 * 1024)
    }

    pub fn stack_bytes(&self) -> usize {
        usize::try_from(self.stack_kib.saturating_mul(1024)).unwrap_or(usize::MAX)
    }

    /// Fuel and deadline for a call over `input_bytes` of input: the base
    /// plus the per-MiB amount for every started MiB past the first.
    pub fn for_input(&self, input_bytes: usize) -> CallBounds {
        let extra_mib = (input_bytes as u64).div_ceil(1 << 20).saturating_sub(1);
        CallBounds {
            fuel: self
                .fuel
                .saturating_add(self.fuel_per_mib.saturating_mul(extra_mib)),
            wall_time_ms: self
                .wall_time_ms
                .saturating_add(self.wall_time_ms_per_mib.saturating_mul(extra_mib)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_fall_back_field_by_field() {
        let o = LimitsOverride {
            fuel: Some(5),
            stack_kib: Some(1024),
            ..Default::default()
        };
        let l = Limits::default().with(&o);
        assert_eq!(l.fuel, 5);
        assert_eq!(l.stack_kib, 1024);
        assert_eq!(l.wall_time_ms, Limits::default().wall_time_ms);
        assert_eq!(l.output_bytes, Limits::default().output_bytes);
    }

    #[test]
    fn budgets_grow_with_every_started_mib_past_the_first() {
        let l = Limits {
            fuel: 100,
            fuel_per_mib: 10,
            wall_time_ms: 1000,
            wall_time_ms_per_mib: 5,
            ..Limits::default()
        };
        let mib = 1 << 20;
        assert_eq!(
            l.for_input(0),
            CallBounds {
                fuel: 100,
                wall_time_ms: 1000
            }
        );
        assert_eq!(
            l.for_input(mib),
            CallBounds {
                fuel: 100,
                wall_time_ms: 1000
            }
        );
        assert_eq!(
            l.for_input(mib + 1),
            CallBounds {
                fuel: 110,
                wall_time_ms: 1005
            }
        );
        assert_eq!(
            l.for_input(2 * mib),
            CallBounds {
                fuel: 110,
                wall_time_ms: 1005
            }
        );
        assert_eq!(
            l.for_input(100 * mib),
            CallBounds {
                fuel: 100 + 99 * 10,
                wall_time_ms: 1000 + 99 * 5
            }
        );
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let l = Limits {
            fuel: u64::MAX - 1,
            fuel_per_mib: u64::MAX,
            ..Limits::default()
        };
        assert_eq!(l.for_input(usize::MAX).fuel, u64::MAX);
    }

    #[test]
    fn rejects_unusable_values_naming_the_field() {
        let bad = Limits {
            stack_kib: MAX_STACK_KIB + 1,
            ..Limits::default()
        };
        assert!(bad.validate().unwrap_err().contains("stack_kib"));
        assert!(
            Limits {
                memory_mib: 0,
                ..Limits::default()
            }
            .validate()
            .unwrap_err()
            .contains("memory_mib")
        );
        assert!(Limits::default().validate().is_ok());
    }
}
