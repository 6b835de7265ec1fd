//! The built-in rule pack: the components of `plugins/`, built for
//! `wasm32-wasip2` by build.rs and embedded in the binary, so that a user
//! with nothing but `augur` can run them.

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
