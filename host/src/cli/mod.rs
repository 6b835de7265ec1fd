//! The commands of the `augur` binary, beyond `eval` (in `main.rs`), by
//! what they are for. Each module takes its flags and prints its results;
//! the work itself is in the library.

pub(crate) mod author;
pub(crate) mod history;
pub(crate) mod packs;
pub(crate) mod run;
