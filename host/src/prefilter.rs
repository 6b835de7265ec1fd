//! One native pass over each log window for every log scanner of a pack
//! that says which lines it reads (contract 0.1.5's `prefilter`).
//!
//! Each such rule declares literals (and the context it reads around them).
//! The host searches the window once for all the rules' literals together
//! (Aho-Corasick, ASCII case-insensitive); a line with a hit is then checked
//! against each rule's own literals, and every rule gets the window with the
//! lines it did not ask for emptied ([`augur_sdk::prefilter::blank`]). Lines
//! without a hit, most of a log, are never looked at twice.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input};
use augur_sdk::prefilter::Interest;

/// The search for one window group's rules: the literals of all of them,
/// and each one's own.
pub struct Prefilter {
    all: AhoCorasick,
    /// In the order the rules were given; `None` for a rule that reads
    /// every line.
    rules: Vec<Option<AhoCorasick>>,
}

fn searcher<'a>(literals: impl IntoIterator<Item = &'a String>) -> Option<AhoCorasick> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(literals)
        .ok()
}

impl Prefilter {
    /// The search for rules with these interests (`None`: every line), or
    /// `None` when no rule has one.
    pub fn new(interests: &[Option<&Interest>]) -> Option<Prefilter> {
        if interests.iter().all(Option::is_none) {
            return None;
        }
        let rules: Vec<Option<AhoCorasick>> = interests
            .iter()
            .map(|i| i.and_then(|i| searcher(&i.literals)))
            .collect();
        let all = searcher(interests.iter().flatten().flat_map(|i| &i.literals))?;
        Some(Prefilter { all, rules })
    }

    /// For each rule, the lines of `text` (indexes from 0) holding one of
    /// its literals; `None` for a rule that reads every line (it declares
    /// no interest, or its literals could not be searched for).
    pub fn hits(&self, text: &str) -> Vec<Option<Vec<u32>>> {
        let bytes = text.as_bytes();
        let mut out: Vec<Option<Vec<u32>>> = self
            .rules
            .iter()
            .map(|r| r.as_ref().map(|_| Vec::new()))
            .collect();
        let mut line = 0u32;
        let mut counted = 0;
        let mut from = 0;
        while let Some(m) = self.all.find(Input::new(bytes).span(from..bytes.len())) {
            let start = memchr::memrchr(b'\n', &bytes[..m.start()]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &bytes[m.start()..])
                .map_or(bytes.len(), |i| m.start() + i + 1);
            line += memchr::memchr_iter(b'\n', &bytes[counted..start]).count() as u32;
            counted = start;
            let text = &bytes[start..end];
            for (rule, hits) in self.rules.iter().zip(&mut out) {
                if let (Some(rule), Some(hits)) = (rule, hits)
                    && rule.is_match(text)
                {
                    hits.push(line);
                }
            }
            if end >= bytes.len() {
                break;
            }
            from = end;
        }
        out
    }
}

/// A rule's interest as the host uses it: checked against the bounds, the
/// literals normalised. An interest out of bounds is not used: the rule
/// reads every line, and `Err` says why.
pub fn accept(interest: augur_sdk::prefilter::Interest) -> Result<Interest, String> {
    let interest = interest.normalized();
    interest.check()?;
    Ok(interest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_rules_lines_in_one_pass() {
        let a = Interest::literals(["error"]).normalized();
        let b = Interest::literals(["429", "rate limit"]).normalized();
        let p = Prefilter::new(&[Some(&a), None, Some(&b)]).unwrap();
        let text = "ok\nERROR: boom\nhttp 429\nfine\nRate Limit and error\nend";
        assert_eq!(p.hits(text), [Some(vec![1, 4]), None, Some(vec![2, 4])]);
        // The same lines a plain search finds.
        assert_eq!(p.hits(text)[0].as_ref(), Some(&a.hits(text)));
        assert_eq!(p.hits(text)[2].as_ref(), Some(&b.hits(text)));
    }

    #[test]
    fn no_interest_no_search() {
        assert!(Prefilter::new(&[None, None]).is_none());
    }
}
