//! End-to-end tests of the `augur` binary: one test binary for the whole
//! suite, so it compiles once.

mod adversarial;
mod browser;
mod cache;
mod cli;
mod escapes;
mod eval;
mod fixtures;
mod gate;
mod history;
mod languages;
mod packs;
mod reports;
mod sandbox;
mod scale;
mod setup;
mod util;
