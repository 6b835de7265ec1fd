//! calibration: are proposals labelled with more confidence than their
//! outcomes earn?
//!
//! Decided proposals (merged or accepted; rejected, closed, abandoned or
//! declined) are grouped by family and confidence label. With at least
//! `min_outcomes` in a group, its acceptance rate is compared with the rate
//! expected of the label: a ratio below `min_ratio` is over-confident.
//! Proposals still open, and labels without an expected rate, are left out.

use std::collections::BTreeMap;

use augur_sdk::{prelude::*, series};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const OVER_CONFIDENT: &str = "calibration/over_confident";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Decided proposals a family and label need before they are judged.
    pub min_outcomes: usize,
    /// Acceptance rate over expected rate below which a label is over-confident.
    pub min_ratio: f64,
    /// Expected acceptance rate of each confidence label.
    pub expected: BTreeMap<String, f64>,
}

impl Default for Config {
    fn default() -> Self {
        let expected = [("high", 0.8), ("medium", 0.6), ("low", 0.4)];
        Config {
            min_outcomes: 5,
            min_ratio: 0.6,
            expected: expected
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }
}

pub struct Calibration;

impl Rule for Calibration {
    type Config = Config;
    const ID: &'static str = "calibration";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Proposal families whose confidence label promises more acceptance than their outcomes show";
    const KINDS: &'static [&'static str] = &[OVER_CONFIDENT];
}

#[derive(Default)]
struct Group<'a> {
    decided: Vec<series::SeenProposal<'a>>,
    accepted: usize,
}

impl Deriver for Calibration {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.min_outcomes == 0 {
            return Err(RuleError::InvalidConfig(
                "min_outcomes must be at least 1".into(),
            ));
        }
        if let Some((label, rate)) = config
            .expected
            .iter()
            .find(|(_, r)| !(**r > 0.0 && **r <= 1.0))
        {
            return Err(RuleError::InvalidConfig(format!(
                "expected.{label} must be a rate in (0, 1], got {rate}"
            )));
        }
        let mut groups: BTreeMap<(&str, &str), Group<'_>> = BTreeMap::new();
        for seen in series::unique_proposals(series) {
            let (Some(family), Some(confidence)) = (
                seen.proposal.family.as_deref(),
                seen.proposal.confidence.as_deref(),
            ) else {
                continue;
            };
            if !config.expected.contains_key(confidence) || !(seen.accepted() || seen.refused()) {
                continue;
            }
            let group = groups.entry((family, confidence)).or_default();
            group.accepted += usize::from(seen.accepted());
            group.decided.push(seen);
        }
        let Some(newest) = series.last() else {
            return Ok(Vec::new());
        };
        let repo = &newest.repo;
        Ok(groups
            .into_iter()
            .filter(|(_, g)| g.decided.len() >= config.min_outcomes)
            .filter_map(|((family, confidence), g)| {
                let n = g.decided.len();
                let acceptance = g.accepted as f64 / n as f64;
                let expected = config.expected[confidence];
                let ratio = acceptance / expected;
                (ratio < config.min_ratio).then(|| {
                    let round = |x: f64| (x * 1000.0).round() / 1000.0;
                    let mut finding = Finding::new(
                        OVER_CONFIDENT,
                        if confidence == "high" { Severity::Medium } else { Severity::Low },
                        format!(
                            "`{family}` proposals labelled {confidence} confidence in {repo} are accepted {:.0}% of the time, not {:.0}%",
                            acceptance * 100.0,
                            expected * 100.0
                        ),
                    )
                    .message(format!(
                        "{} of {n} decided `{family}` proposals labelled {confidence} were accepted \
                         ({:.1}%), against {:.0}% expected of the label: a ratio of {ratio:.2}, below {}.",
                        g.accepted,
                        acceptance * 100.0,
                        expected * 100.0,
                        config.min_ratio
                    ))
                    .fingerprint(fingerprint(&[Calibration::ID, OVER_CONFIDENT, repo, family, confidence]));
                    for p in g.decided.iter().rev().take(5) {
                        let excerpt = format!(
                            "{} {}",
                            p.proposal.id.as_deref().unwrap_or("(no id)"),
                            p.proposal.outcome.as_deref().unwrap_or("")
                        );
                        finding = finding.evidence(Evidence::at_pointer(p.snapshot, &p.pointer(), excerpt));
                    }
                    finding
                        .action(format!(
                            "Lower the confidence `{family}` proposals are given (or raise the family's min_confidence) until its acceptance recovers"
                        ))
                        .action(format!("Or demote the `{family}` family's tier while it is over-confident"))
                        .data(json!({
                            "family": family,
                            "confidence": confidence,
                            "n": n,
                            "accepted": g.accepted,
                            "acceptance": round(acceptance),
                            "expected": expected,
                            "ratio": round(ratio),
                            "min_ratio": config.min_ratio,
                        }))
                })
            })
            .collect())
    }
}

augur_sdk::export_deriver!(Calibration);

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(proposals: Vec<serde_json::Value>) -> Snapshot {
        let doc = json!({"repo": "acme/api", "observed_at": "2026-03-20T00:00:00Z", "signals": {"proposals": proposals}});
        Snapshot::from_json("s.json", &doc.to_string()).unwrap()
    }

    /// `accepted` merged and `rejected` rejected proposals of `family`/`confidence`.
    fn outcomes(
        family: &str,
        confidence: &str,
        accepted: usize,
        rejected: usize,
    ) -> Vec<serde_json::Value> {
        (0..accepted + rejected)
            .map(|i| {
                let outcome = if i < accepted { "merged" } else { "rejected" };
                json!({"id": format!("{family}-{confidence}-{i}"), "family": family, "confidence": confidence, "outcome": outcome})
            })
            .collect()
    }

    fn derive(series: &[Snapshot]) -> Vec<Finding> {
        Calibration::derive(series, &Config::default()).unwrap()
    }

    #[test]
    fn the_seed_table() {
        // lint_fix high: 5 of 8 (62.5%, ratio 0.78) is fine; type_fix high: 2 of 6 (ratio 0.42) is not.
        let mut proposals = outcomes("lint_fix", "high", 5, 3);
        proposals.extend(outcomes("type_fix", "high", 2, 4));
        let findings = derive(&[snap(proposals)]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].data,
            json!({"family": "type_fix", "confidence": "high", "n": 6, "accepted": 2, "acceptance": 0.333,
                   "expected": 0.8, "ratio": 0.417, "min_ratio": 0.6})
        );
        assert_eq!(findings[0].severity, Severity::Medium);
    }

    #[test]
    fn fewer_than_five_outcomes_say_nothing() {
        assert!(derive(&[snap(outcomes("f", "high", 0, 4))]).is_empty());
        assert_eq!(derive(&[snap(outcomes("f", "high", 0, 5))]).len(), 1);
    }

    #[test]
    fn open_proposals_and_unknown_labels_are_left_out() {
        let mut proposals = outcomes("f", "medium", 1, 3);
        proposals
            .push(json!({"id": "o", "family": "f", "confidence": "medium", "outcome": "open"}));
        proposals.extend(outcomes("f", "certain", 0, 9));
        assert!(derive(&[snap(proposals)]).is_empty());
    }

    #[test]
    fn each_label_has_its_own_expected_rate() {
        // 1 of 5 accepted: 0.2 / 0.4 = 0.5 for low (flagged), 0.2 / 0.6 for medium (flagged).
        // 2 of 5 at low: 0.4 / 0.4 = 1.0 (fine).
        let mut proposals = outcomes("a", "low", 1, 4);
        proposals.extend(outcomes("b", "low", 2, 3));
        let findings = derive(&[snap(proposals)]);
        let flagged: Vec<&str> = findings
            .iter()
            .map(|f| f.data["family"].as_str().unwrap())
            .collect();
        assert_eq!(flagged, ["a"]);
        assert_eq!(findings[0].data["ratio"], 0.5);
    }

    #[test]
    fn rejects_rates_outside_0_to_1() {
        let mut config = Config::default();
        config.expected.insert("high".into(), 1.5);
        assert!(
            matches!(Calibration::derive(&[], &config), Err(RuleError::InvalidConfig(m)) if m.contains("expected.high"))
        );
    }
}
