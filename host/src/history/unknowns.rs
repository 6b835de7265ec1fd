//! `augur history unknowns`: the failures no rule could classify, grouped
//! by the template of their causal line, so that the largest groups become
//! the next rules.
//!
//! The miner follows Drain (He et al., 2017): a line is split into tokens,
//! tokens that vary from run to run (numbers, hexadecimal ids, paths, URLs,
//! quoted text) are masked as `<*>`, and lines are grouped first by their
//! number of tokens and their first token, then by similarity: a line joins
//! the group whose template shares at least [`SIMILARITY`] of its tokens,
//! and the template keeps the tokens they share, `<*>` where they differ.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{DAY, History, HistoryError, db::Val, rfc3339};

/// The share of equal tokens from which a line joins a group.
pub const SIMILARITY: f64 = 0.6;
/// Examples kept per group.
const EXAMPLES: usize = 3;
/// Tokens of a line looked at: the rest is its tail.
const MAX_TOKENS: usize = 40;

const WILDCARD: &str = "<*>";

/// A group of unclassified failures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// The causal lines' template: what they share, `<*>` where they differ.
    pub template: String,
    pub count: u64,
    pub repos: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub examples: Vec<Example>,
    /// A starting point for a rule that recognises these lines: a regular
    /// expression over the line (ASCII, case-insensitive).
    pub proposed_pattern: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub at: String,
    pub input: String,
    pub line: String,
}

/// One unclassified failure's causal line.
pub struct Line {
    pub at: i64,
    pub input: String,
    pub repo: Option<String>,
    pub text: String,
}

/// Whether a token varies from run to run.
fn varies(token: &str) -> bool {
    let t =
        token.trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | ':' | '.'));
    if t.is_empty() {
        return false;
    }
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let hex = t.len() >= 8 && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') && digits > 0;
    digits * 3 >= t.len()
        || hex
        || t.contains("://")
        || (t.contains('/') && t.len() > 1)
        || t.contains('\\')
        || (t.starts_with(['"', '\'', '`']) && t.len() > 1)
        || t.contains('=')
}

/// A line's tokens, varying ones masked.
pub fn tokens(line: &str) -> Vec<String> {
    line.split_whitespace()
        .take(MAX_TOKENS)
        .map(|t| {
            if varies(t) {
                WILDCARD.to_owned()
            } else {
                t.to_owned()
            }
        })
        .collect()
}

struct Group {
    template: Vec<String>,
    members: Vec<usize>,
}

fn similarity(template: &[String], tokens: &[String]) -> f64 {
    let same = template
        .iter()
        .zip(tokens)
        .filter(|(a, b)| a == b && a.as_str() != WILDCARD)
        .count();
    let compared = template.len().max(1);
    same as f64 / compared as f64
}

/// Groups `lines` by template, the largest first (ties: by template).
pub fn mine(lines: &[Line]) -> Vec<Cluster> {
    // (token count, first token) → groups
    let mut tree: BTreeMap<(usize, String), Vec<Group>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let toks = tokens(&line.text);
        if toks.is_empty() {
            continue;
        }
        let head = toks[0].clone();
        let groups = tree.entry((toks.len(), head)).or_default();
        let best = groups
            .iter_mut()
            .map(|g| (similarity(&g.template, &toks), g))
            .filter(|(s, _)| *s >= SIMILARITY)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((_, g)) => {
                for (t, new) in g.template.iter_mut().zip(&toks) {
                    if t != new {
                        *t = WILDCARD.to_owned();
                    }
                }
                g.members.push(i);
            }
            None => groups.push(Group {
                template: toks,
                members: vec![i],
            }),
        }
    }
    let mut clusters: Vec<Cluster> = tree
        .into_values()
        .flatten()
        .map(|g| cluster(&g, lines))
        .collect();
    clusters.sort_by(|a, b| b.count.cmp(&a.count).then(a.template.cmp(&b.template)));
    clusters
}

fn cluster(g: &Group, lines: &[Line]) -> Cluster {
    let members: Vec<&Line> = g.members.iter().map(|&i| &lines[i]).collect();
    let mut repos: Vec<String> = members.iter().filter_map(|l| l.repo.clone()).collect();
    repos.sort();
    repos.dedup();
    let first = members.iter().map(|l| l.at).min().unwrap_or(0);
    let last = members.iter().map(|l| l.at).max().unwrap_or(0);
    let mut newest: Vec<&&Line> = members.iter().collect();
    newest.sort_by(|a, b| b.at.cmp(&a.at).then(a.input.cmp(&b.input)));
    Cluster {
        template: g.template.join(" "),
        count: members.len() as u64,
        repos,
        first_seen: rfc3339(first),
        last_seen: rfc3339(last),
        examples: newest
            .iter()
            .take(EXAMPLES)
            .map(|l| Example {
                at: rfc3339(l.at),
                input: l.input.clone(),
                line: l.text.clone(),
            })
            .collect(),
        proposed_pattern: pattern(&g.template),
    }
}

/// A regular expression for a template: its words literally (any case),
/// `<*>` as one token, blanks as any run of blanks. Leading and trailing
/// wildcards are left out: the pattern finds the line, not its ends.
pub fn pattern(template: &[String]) -> String {
    let start = template.iter().position(|t| t != WILDCARD).unwrap_or(0);
    let end = template
        .iter()
        .rposition(|t| t != WILDCARD)
        .map_or(0, |i| i + 1);
    let parts: Vec<String> = template[start..end.max(start)]
        .iter()
        .map(|t| {
            if t == WILDCARD {
                r"\S+".to_owned()
            } else {
                regex_escape(t)
            }
        })
        .collect();
    format!("(?i){}", parts.join(r"\s+"))
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl History {
    /// The causal lines of the findings whose kind starts with
    /// `kind_prefix`, in the `days` before `now`.
    pub fn unknown_lines(
        &mut self,
        kind_prefix: &str,
        now: i64,
        days: u32,
    ) -> Result<Vec<Line>, HistoryError> {
        let since = now - i64::from(days) * DAY;
        let rows = self.db.query(
            "SELECT at, input, repo, evidence FROM augur_findings \
             WHERE SUBSTR(kind, 1, ?) = ? AND at > ? AND at <= ? ORDER BY at, run_id, idx",
            &[
                Val::from(kind_prefix.chars().count() as i64),
                kind_prefix.into(),
                since.into(),
                now.into(),
            ],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let evidence: Vec<crate::report::EvidenceOut> =
                    serde_json::from_str(r[3].text().unwrap_or("[]")).ok()?;
                let text = causal_line(&evidence)?.trim().to_owned();
                (!text.is_empty()).then(|| Line {
                    at: r[0].int().unwrap_or(0),
                    input: r[1].string(),
                    repo: r[2].text().map(str::to_owned),
                    text,
                })
            })
            .collect())
    }
}

/// The evidence line that says what went wrong: the first that names an
/// error, else the last (an unclassified failure cites the end of its log).
fn causal_line(evidence: &[crate::report::EvidenceOut]) -> Option<&str> {
    const WORDS: &[&str] = &[
        "error",
        "fail",
        "fatal",
        "refus",
        "denied",
        "exception",
        "traceback",
        "panic",
        "abort",
        "cannot",
        "could not",
        "unable",
    ];
    evidence
        .iter()
        .find(|e| {
            let lower = e.excerpt.to_ascii_lowercase();
            WORDS.iter().any(|w| lower.contains(w))
        })
        .or(evidence.last())
        .map(|e| e.excerpt.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(at: i64, text: &str) -> Line {
        Line {
            at,
            input: format!("jobs/{at}.log"),
            repo: Some("acme/api".into()),
            text: text.into(),
        }
    }

    #[test]
    fn lines_that_differ_in_what_varies_make_one_template() {
        let lines = [
            line(
                1,
                "Error: connect ECONNREFUSED 10.0.0.12:5432 after 3 attempts",
            ),
            line(
                2,
                "Error: connect ECONNREFUSED 10.0.0.99:5432 after 5 attempts",
            ),
            line(
                3,
                "Error: connect ECONNREFUSED 127.0.0.1:6379 after 1 attempts",
            ),
            line(4, "Segmentation fault in worker /opt/build/bin/tool"),
            line(5, "Segmentation fault in worker /srv/ci/bin/other"),
            line(6, "something else entirely happened here today"),
        ];
        let clusters = mine(&lines);
        let shown: Vec<(&str, u64)> = clusters
            .iter()
            .map(|c| (c.template.as_str(), c.count))
            .collect();
        assert_eq!(
            shown,
            [
                ("Error: connect ECONNREFUSED <*> after <*> attempts", 3),
                ("Segmentation fault in worker <*>", 2),
                ("something else entirely happened here today", 1),
            ]
        );
        assert_eq!(
            clusters[0].proposed_pattern,
            r"(?i)Error:\s+connect\s+ECONNREFUSED\s+\S+\s+after\s+\S+\s+attempts"
        );
        let re = regex::Regex::new(&clusters[0].proposed_pattern).unwrap();
        assert!(lines[..3].iter().all(|l| re.is_match(&l.text)));
        assert!(!re.is_match(&lines[3].text));
        assert_eq!(clusters[0].examples[0].at, rfc3339(3), "the newest first");
        assert_eq!(clusters[0].first_seen, rfc3339(1));
    }

    #[test]
    fn what_varies_is_masked_and_words_are_kept() {
        assert_eq!(
            tokens(
                "FAILED tests/test_x.py::test_y 0x7ffe12ab deadbeef12 'quoted' key=value 42s word"
            ),
            ["FAILED", "<*>", "<*>", "<*>", "<*>", "<*>", "<*>", "word"]
        );
    }
}
