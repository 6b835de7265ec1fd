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
//! [`AsciiSet`], many patterns matched at once, is built without literal
//! prefilters or capture groups: for a set of a hundred patterns that cuts
//! its build from ~7 ms to ~1 ms (native; a component pays it on every call)
//! and does not slow the scan of log lines. A set of more than
//! [`SET_CHUNK`] patterns is split into several automata, each with a
//! [`SET_CACHE_BYTES`] state cache (see [`AsciiSet`]).

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

/// An ASCII-only set of regexes over bytes: which of them match a line.
///
/// The set is kept as several automata of at most [`SET_CHUNK`] patterns
/// each: a lazy DFA's states are sets of the patterns' threads, and one
/// automaton of a few hundred patterns over varied log lines outgrows its
/// state cache and rebuilds states without end (measured on the real CI
/// logs of `tests/corpus`: 12 MB/s for 276 patterns in one automaton with
/// the default 2 MiB cache, 132 MB/s in three of 92 with 4 MiB each).
#[derive(Debug, Clone)]
pub struct AsciiSet {
    chunks: Vec<meta::Regex>,
}

/// The most patterns one automaton of an [`AsciiSet`] holds.
pub const SET_CHUNK: usize = 96;

/// The lazy DFA state cache of each automaton of an [`AsciiSet`] (the
/// regex crate's default is 2 MiB): allocated as states are made, so a set
/// over few distinct lines stays small. Room for what [`WARM_UP_LOG`]
/// builds and what a call adds: a full cache is cleared, warm states and all.
pub const SET_CACHE_BYTES: usize = 16 << 20;

/// Builds an [`AsciiSet`]; panics on a bad pattern, as [`ascii`] does.
pub fn ascii_set<'a>(patterns: impl IntoIterator<Item = &'a str>) -> AsciiSet {
    let patterns: Vec<&str> = patterns.into_iter().collect();
    let chunks = patterns
        .chunks(SET_CHUNK)
        .map(|chunk| {
            meta::Regex::builder()
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .configure(
                    meta::Config::new()
                        .match_kind(MatchKind::All)
                        .which_captures(WhichCaptures::None)
                        .auto_prefilter(false)
                        .hybrid_cache_capacity(SET_CACHE_BYTES),
                )
                .build_many(chunk)
                .unwrap_or_else(|e| panic!("patterns `{}` do not compile: {e}", chunk.join(" | ")))
        })
        .collect();
    AsciiSet { chunks }
}

/// CI log lines for [`AsciiSet::warm`]: a few dozen ordinary ones (GitHub
/// Actions, GitLab, Travis, Jenkins, Maven, Gradle, cargo, pytest, jest, go,
/// make, docker), the job logs of augur's own examples and fixtures (about
/// 25 KB), then 10 000 distinct lines of real GitHub Actions and Travis CI
/// logs (the first and last lines of each, about 900 KB; their sources are
/// in `patterns/WARM-UP-SOURCES.md`).
///
/// Each call of a rule starts from the state its `setup` left, and the states
/// a call's lazy automata build are lost when it ends: each window of a long
/// log pays for them again. Warmed over real logs, a set holds most of the
/// states real logs need from the start: measured on real logs of other
/// CI systems than the sample's, failure-class used 21% less fuel and 26%
/// less time.
pub const WARM_UP_LOG: &str = concat!(
    include_str!("patterns/warm-up.log"),
    include_str!("patterns/warm-up-real.log")
);

impl AsciiSet {
    /// Matches the set against each line of `sample`, so that its lazy
    /// automata hold the states ordinary lines need. Call it in
    /// `Rule::setup` (with [`WARM_UP_LOG`], say): the states are then part
    /// of the state every call starts from, instead of being built again by
    /// each call. What the set matches does not change.
    pub fn warm(&self, sample: &str) {
        for line in sample.lines() {
            std::hint::black_box(self.matches(line.as_bytes()));
        }
    }

    /// The indices of the patterns that match somewhere in `haystack`, in
    /// pattern order.
    pub fn matches(&self, haystack: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        for (i, re) in self.chunks.iter().enumerate() {
            if !re.is_match(haystack) {
                continue;
            }
            let mut set = PatternSet::new(re.pattern_len());
            re.which_overlapping_matches(&Input::new(haystack), &mut set);
            found.extend(set.iter().map(|p| i * SET_CHUNK + p.as_usize()));
        }
        found
    }

    /// The first pattern (in pattern order) that matches in `haystack`.
    pub fn first_match(&self, haystack: &[u8]) -> Option<usize> {
        self.chunks.iter().enumerate().find_map(|(i, re)| {
            if !re.is_match(haystack) {
                return None;
            }
            let mut set = PatternSet::new(re.pattern_len());
            re.which_overlapping_matches(&Input::new(haystack), &mut set);
            set.iter().next().map(|p| i * SET_CHUNK + p.as_usize())
        })
    }
}

/// The shortest literal [`literals`] draws from a pattern: a shorter one
/// would be in most lines, and a prefilter on it would keep them all.
pub const MIN_LITERAL_BYTES: usize = 2;

/// Literals every match of `patterns` contains, for a prefilter
/// ([`crate::prefilter::Interest`]), in ASCII lower case: for each pattern,
/// the prefixes (or suffixes) its matches start (end) with, or those of a
/// part every match holds (a branch of each alternative, a piece of a
/// sequence: `^\s*done\.?\s*$` holds `done`). `None` when a pattern has no
/// such set of literals of at least [`MIN_LITERAL_BYTES`] (`^\w+$`): then
/// no literal tells where it may match, and the rule must read every line.
///
/// It parses every pattern: call it once, in [`crate::Rule::setup`].
pub fn literals<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Option<Vec<String>> {
    let config = syntax::Config::new().unicode(false).utf8(false);
    let mut out: Vec<String> = Vec::new();
    for pattern in patterns {
        let hir = syntax::parse_with(pattern, &config).ok()?;
        out.extend(necessary(&hir)?);
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// A set of literals one of which every match of `hir` holds: the best of
/// what its prefixes, its suffixes and its parts give.
fn necessary(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::{Hir, HirKind};
    let mut best: Option<Vec<String>> = None;
    let mut consider = |found: Option<Vec<String>>| {
        if let Some(found) = found.filter(|f| !f.is_empty()) {
            let shortest = |v: &[String]| v.iter().map(String::len).min().unwrap_or(0);
            let better = best.as_ref().is_none_or(|b| {
                (found.len(), std::cmp::Reverse(shortest(&found)))
                    < (b.len(), std::cmp::Reverse(shortest(b)))
            });
            if better {
                best = Some(found);
            }
        }
    };
    consider(affixes(hir, false));
    consider(affixes(hir, true));
    match hir.kind() {
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            let each = branches.iter().try_for_each(|b| {
                all.extend(necessary(b)?);
                Some(())
            });
            if each.is_some() {
                all.sort();
                all.dedup();
                consider(Some(all));
            }
        }
        HirKind::Concat(items) => {
            for i in 0..items.len() {
                consider(necessary(&items[i]));
                if i > 0 {
                    consider(affixes(&Hir::concat(items[i..].to_vec()), false));
                    consider(affixes(&Hir::concat(items[..=i].to_vec()), true));
                }
            }
        }
        HirKind::Capture(c) => consider(necessary(&c.sub)),
        HirKind::Repetition(r) if r.min >= 1 => consider(necessary(&r.sub)),
        _ => {}
    }
    best
}

/// The prefixes (`suffix` false) or suffixes every match of `hir` starts
/// or ends with, lower-cased, each at least [`MIN_LITERAL_BYTES`]; one
/// common affix instead when they all share one that long.
fn affixes(hir: &regex_syntax::hir::Hir, suffix: bool) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut extractor = Extractor::new();
    extractor
        .kind(if suffix {
            ExtractKind::Suffix
        } else {
            ExtractKind::Prefix
        })
        .limit_class(16)
        .limit_repeat(16)
        .limit_literal_len(64)
        .limit_total(1024);
    let seq = extractor.extract(hir);
    let mut lits: Vec<String> = Vec::new();
    for l in seq.literals()? {
        let s = String::from_utf8(l.as_bytes().to_ascii_lowercase()).ok()?;
        if s.len() < MIN_LITERAL_BYTES {
            return None;
        }
        lits.push(s);
    }
    lits.sort();
    lits.dedup();
    if lits.is_empty() {
        return None;
    }
    // `0 failed` ... `9 failed`: every one holds ` failed`, and so does
    // every match. One literal searches faster than ten.
    let common = common_affix(&lits, suffix);
    if lits.len() > 1 && common.len() >= MIN_LITERAL_BYTES {
        lits = vec![common];
    }
    Some(lits)
}

/// The longest prefix (or suffix) all of `literals` share, cut at a
/// character boundary.
fn common_affix(literals: &[String], suffix: bool) -> String {
    let first = literals[0].as_bytes();
    let mut n = first.len();
    for l in &literals[1..] {
        let l = l.as_bytes();
        let shared = if suffix {
            first
                .iter()
                .rev()
                .zip(l.iter().rev())
                .take_while(|(a, b)| a == b)
                .count()
        } else {
            first.iter().zip(l).take_while(|(a, b)| a == b).count()
        };
        n = n.min(shared);
    }
    let bytes = if suffix {
        &first[first.len() - n..]
    } else {
        &first[..n]
    };
    String::from_utf8_lossy(bytes)
        .trim_matches('\u{fffd}')
        .to_owned()
}

/// Captured text, with invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_every_match_contains() {
        let found = literals([r"(?i)\berror\b", r"\d+ failed"]).unwrap();
        assert_eq!(found, [" failed", "error"]);
        // Each match holds one of them.
        for (pattern, line) in [
            (r"(?i)\berror\b", "An ERROR here"),
            (r"\d+ failed", "3 failed, 1 passed"),
        ] {
            assert!(ascii(pattern).is_match(line.as_bytes()));
            assert!(
                found
                    .iter()
                    .any(|l| line.to_ascii_lowercase().contains(l.as_str()))
            );
        }
        // A pattern that can match without two fixed bytes: no prefilter.
        assert_eq!(literals([r"error", r"^\w+$"]), None);
        // A literal inside, between repetitions.
        assert_eq!(literals([r"(?i)^\s*done\.?\s*$"]).unwrap(), ["done"]);
        for (pattern, line) in [
            (r"✖ [1-9]\d* problems?", "✖ 2 problems"),
            (r"^E\s+assert", "E   assert 1 == 2"),
        ] {
            let found = literals([pattern]).unwrap();
            assert!(!found.is_empty());
            assert!(
                found
                    .iter()
                    .any(|l| line.to_ascii_lowercase().contains(l.as_str())),
                "{found:?}"
            );
        }
    }

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
        // Past one automaton's worth, indices still count from the first.
        let many: Vec<String> = (0..SET_CHUNK * 2 + 5).map(|i| format!("^p{i}$")).collect();
        let set = ascii_set(many.iter().map(String::as_str));
        assert_eq!(set.matches(b"p0"), [0]);
        assert_eq!(
            set.matches(format!("p{}", SET_CHUNK + 3).as_bytes()),
            [SET_CHUNK + 3]
        );
        assert_eq!(
            set.first_match(format!("p{}", 2 * SET_CHUNK + 4).as_bytes()),
            Some(2 * SET_CHUNK + 4)
        );
    }
}
