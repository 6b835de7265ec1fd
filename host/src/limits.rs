//! The bounds every rule call runs under. Each is named, has a default that
//! is generous for an honest rule, and can be set per pack (`[limits]`) and per
//! rule (`[rule.limits]`) in `augur.toml`.

use serde::{Deserialize, Serialize};

/// Bounds for one call of one rule on one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Instructions (wasmtime fuel) a call may execute. The default, a
    /// hundred billion, is about 7 s of work on one core of a 2-core CI
    /// machine (~14 billion units a second); api-errors uses ~1.2 billion per
    /// MB of log, so the default covers logs of tens of megabytes.
    pub fuel: u64,
    /// Wall-clock time a call may take, in milliseconds: the backstop when
    /// fuel alone does not stop a call (a slow host call, a stalled machine).
    pub wall_time_ms: u64,
    /// Linear memory one instance may grow to, in MiB.
    pub memory_mib: u64,
    /// Bytes a call may write to its log (stdout, stderr and the host log
    /// together); the rest is dropped and the cut is noted.
    pub log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { fuel: 100_000_000_000, wall_time_ms: 30_000, memory_mib: 256, log_bytes: 64 * 1024 }
    }
}

/// Limits as written in a manifest: any field may be left out and falls back
/// to the level above (rule → pack → built-in defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsOverride {
    pub fuel: Option<u64>,
    pub wall_time_ms: Option<u64>,
    pub memory_mib: Option<u64>,
    pub log_bytes: Option<usize>,
}

impl Limits {
    pub fn with(self, o: &LimitsOverride) -> Limits {
        Limits {
            fuel: o.fuel.unwrap_or(self.fuel),
            wall_time_ms: o.wall_time_ms.unwrap_or(self.wall_time_ms),
            memory_mib: o.memory_mib.unwrap_or(self.memory_mib),
            log_bytes: o.log_bytes.unwrap_or(self.log_bytes),
        }
    }

    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_fall_back_field_by_field() {
        let o = LimitsOverride { fuel: Some(5), ..Default::default() };
        let l = Limits::default().with(&o);
        assert_eq!(l.fuel, 5);
        assert_eq!(l.wall_time_ms, Limits::default().wall_time_ms);
    }
}
