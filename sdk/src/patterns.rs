//! Regexes for reading logs (the `patterns` feature).
//!
//! Log patterns are ASCII: `\\b`, `\\w`, `\\d`, `\\s` and `(?i)` here are
//! ASCII-only, and matching is over bytes. Two reasons, both measured:
//!
//! - A Unicode word boundary sends the regex engine from its fast DFA to a
//!   slow one on any non-ASCII text (a `✖`, a `⎿`, an accented name), which
//!   made a pattern set 100 times slower on real logs.
//! - A component starts from a fresh instance on every call, so it compiles
//!   its patterns on every call: ASCII automata compile in a fraction of the
//!   instructions Unicode ones take.
//!
//! A non-ASCII literal in a pattern still matches its UTF-8 bytes.
//!
//! [`AsciiSet`], many patterns matched in one pass, is built without literal
//! prefilters or capture groups: for a set of a hundred patterns that cuts
//! its build from ~7 ms to ~1 ms (native; a component pays it on every call)
//! and does not slow the scan of log lines.

pub use regex::bytes::{Captures, Regex};
use regex_automata::{
    Input, MatchKind, PatternSet, meta, nfa::thompson::WhichCaptures, util::syntax,
};

fn builder_error(pattern: &str, e: regex::Error) -> ! {
    panic!("pattern `{pattern}` does not compile: {e}")
}

/// An ASCII-only regex over bytes. Panics on a bad pattern: patterns are
/// constants of the rule, and its tests compile them all.
pub fn ascii(pattern: &str) -> Regex {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .unwrap_or_else(|e| builder_error(pattern, e))
}

/// An ASCII-only set of regexes over bytes: which of them match a line, in
/// one pass.
#[derive(Debug, Clone)]
pub struct AsciiSet {
    re: meta::Regex,
}

/// Builds an [`AsciiSet`]; panics on a bad pattern, as [`ascii`] does.
pub fn ascii_set<'a>(patterns: impl IntoIterator<Item = &'a str>) -> AsciiSet {
    let patterns: Vec<&str> = patterns.into_iter().collect();
    let re = meta::Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            meta::Config::new()
                .match_kind(MatchKind::All)
                .which_captures(WhichCaptures::None)
                .auto_prefilter(false),
        )
        .build_many(&patterns)
        .unwrap_or_else(|e| panic!("patterns `{}` do not compile: {e}", patterns.join(" | ")));
    AsciiSet { re }
}

impl AsciiSet {
    /// The indices of the patterns that match somewhere in `haystack`, in
    /// pattern order.
    pub fn matches(&self, haystack: &[u8]) -> Vec<usize> {
        if !self.re.is_match(haystack) {
            return Vec::new();
        }
        let mut set = PatternSet::new(self.re.pattern_len());
        self.re
            .which_overlapping_matches(&Input::new(haystack), &mut set);
        set.iter().map(|p| p.as_usize()).collect()
    }

    /// The first pattern (in pattern order) that matches in `haystack`.
    pub fn first_match(&self, haystack: &[u8]) -> Option<usize> {
        self.matches(haystack).first().copied()
    }
}

/// Captured text, with invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_boundaries_and_non_ascii_literals() {
        let re = ascii(r"(?i)\berror\b");
        assert!(re.is_match("✖ ERROR: x".as_bytes()));
        assert!(!re.is_match(b"no_errors_found"));
        assert!(ascii(r"✖ [1-9]\d* problems?").is_match("✖ 2 problems".as_bytes()));
        let set = ascii_set([r"ok$", r"\bfail", r"(?i)FAILED"]);
        assert_eq!(set.matches(b"failed ok"), [0, 1, 2]);
        assert_eq!(set.first_match(b"it failed"), Some(1));
        assert_eq!(set.first_match("✖ nothing".as_bytes()), None);
    }
}
