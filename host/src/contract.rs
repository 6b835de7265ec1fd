//! The host side of the WIT contract in `wit/`, bound from the same files the
//! SDK binds, so the two sides cannot drift.
//!
//! The bindings are generated for the widest world (a rule that is both a
//! deriver and a classifier); a component that exports only one of the two
//! interfaces is driven through that interface's `GuestIndices` alone.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "deriver-classifier-rule",
});

pub use self::augur::rules::host::LogLevel;
pub use self::augur::rules::types::{
    Evidence as WitEvidence, Finding as WitFinding, JobOutput, RuleError, RuleInfo,
    Severity as WitSeverity, Snapshot as WitSnapshot,
};
pub use self::exports::augur::rules::{classifier, deriver, rule};

/// The contract version this host speaks, as in `wit/augur-rules.wit`.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Export names of the contract's interfaces at this version.
pub fn interface_name(interface: &str) -> String {
    format!("augur:rules/{interface}@{CONTRACT_VERSION}")
}
