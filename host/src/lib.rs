//! augur: a plugin host that runs analysis rules, written as WebAssembly
//! components against the `augur:rules` WIT contract, over observer snapshots
//! and job outputs, each call sandboxed and bounded.
//!
//! The modules follow the data: [`pack`] resolves and loads rules (compiled
//! once and kept by [`cache`]; a rule's `setup` run once, in `preinit`),
//! [`sandbox`] runs them under bounds, [`input`] reads what they run over,
//! [`run`] drives a whole run into a [`report::Report`] (each log searched
//! once for every rule that says which lines it reads, in [`prefilter`]),
//! and [`output`] writes it. [`history`] keeps runs and their findings across runs. [`eval`] scores a run over a labelled corpus. [`identity`] checks
//! what a rule says it is; [`sanitize`] makes untrusted text safe to show.

pub mod baseline;
pub mod builtin;
pub mod cache;
pub mod context;
pub mod contract;
pub mod eval;
#[cfg(test)]
mod fuzz;
pub mod history;
pub mod identity;
pub mod input;
pub mod limits;
pub mod lock;
pub mod log;
pub mod output;
pub mod pack;
mod pool;
pub mod prefilter;
mod preinit;
pub mod report;
pub mod rule_test;
pub mod run;
pub mod sandbox;
pub mod sanitize;
pub mod scaffold;
