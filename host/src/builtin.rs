//! The built-in rule pack: the components of `plugins/`, built for
//! `wasm32-wasip2` by build.rs and embedded in the binary, so that a user
//! with nothing but `augur` can run them.

/// A built-in rule's component.
#[derive(Debug)]
pub struct BuiltinComponent {
    /// The crate's name, which is the rule's id.
    pub name: &'static str,
    pub bytes: &'static [u8],
    /// sha256 of `bytes`, computed when augur was built.
    pub sha256: [u8; 32],
}

/// The built-in rule called `name`.
pub fn find(name: &str) -> Option<&'static BuiltinComponent> {
    BUILTIN_COMPONENTS.iter().find(|b| b.name == name)
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Where build.rs put the component of the test guest `name` (a crate of
/// `tests/guests/`), for the end-to-end tests and the bench; not a rule of
/// the pack.
#[doc(hidden)]
pub fn test_guest(name: &str) -> Option<std::path::PathBuf> {
    include_str!(env!("AUGUR_TEST_GUESTS"))
        .lines()
        .filter_map(|l| l.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, path)| path.into())
}
