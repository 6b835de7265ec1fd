//! noop-loop: a proposal family proposed again and again, never accepted.
//!
//! Within a look-back window ending at the newest snapshot, every family with
//! at least `min_proposals` proposals and no merges is cycling: the loop
//! spends effort on changes nobody takes. Proposals repeated across snapshots
//! count once (see [`augur_sdk::series::unique_proposals`]); a proposal
//! without `created_at` is dated by the first snapshot that lists it.

use std::collections::BTreeMap;

use augur_sdk::{prelude::*, series};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const FAMILY_CYCLING: &str = "noop_loop/family_cycling";

const DAY: i64 = 24 * 60 * 60;
/// Proposals named one by one in a finding's evidence.
const EVIDENCE_PROPOSALS: usize = 10;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Days back from the newest snapshot that count.
    pub look_back_days: u32,
    /// Proposals of one family in the window, with no merge, that make a loop.
    pub min_proposals: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            look_back_days: 14,
            min_proposals: 3,
        }
    }
}

pub struct NoopLoop;

impl Rule for NoopLoop {
    type Config = Config;
    const ID: &'static str = "noop-loop";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Proposal families proposed again and again within a look-back window without one merge";
    const KINDS: &'static [&'static str] = &[FAMILY_CYCLING];
}

#[derive(Default)]
struct Family<'a> {
    proposals: Vec<series::SeenProposal<'a>>,
    merges: usize,
}

impl Deriver for NoopLoop {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.min_proposals == 0 {
            return Err(RuleError::InvalidConfig(
                "min_proposals must be at least 1".into(),
            ));
        }
        let Some(newest) = series.last() else {
            return Ok(Vec::new());
        };
        let Some(end) = series::unix_seconds(&newest.observed_at) else {
            return Ok(Vec::new());
        };
        let start = end - i64::from(config.look_back_days) * DAY;

        let mut families: BTreeMap<&str, Family<'_>> = BTreeMap::new();
        for seen in series::unique_proposals(series) {
            let (Some(family), Some(created)) = (seen.proposal.family.as_deref(), seen.created)
            else {
                continue;
            };
            if created < start || created > end {
                continue;
            }
            let entry = families.entry(family).or_default();
            entry.merges += usize::from(seen.accepted());
            entry.proposals.push(seen);
        }

        let repo = &newest.repo;
        let days = config.look_back_days;
        Ok(families
            .into_iter()
            .filter(|(_, f)| f.merges == 0 && f.proposals.len() >= config.min_proposals)
            .map(|(family, f)| {
                let n = f.proposals.len();
                let rejected = f.proposals.iter().filter(|p| p.refused()).count();
                let mut finding = Finding::new(
                    FAMILY_CYCLING,
                    if n >= 2 * config.min_proposals { Severity::High } else { Severity::Medium },
                    format!("`{family}` proposals in {repo} keep cycling: {n} in {days} days, none merged"),
                )
                .message(format!(
                    "{n} `{family}` proposals were made for {repo} in the {days} days up to {} \
                     ({rejected} rejected, the rest still open or abandoned) and none was merged: the \
                     loop keeps proposing changes nobody takes.",
                    newest.observed_at
                ))
                .fingerprint(fingerprint(&[NoopLoop::ID, FAMILY_CYCLING, repo, family]));
                for p in f.proposals.iter().rev().take(EVIDENCE_PROPOSALS) {
                    let excerpt = format!(
                        "{} {}",
                        p.proposal.id.as_deref().unwrap_or("(no id)"),
                        p.proposal.outcome.as_deref().unwrap_or("no outcome")
                    );
                    finding = finding.evidence(Evidence::at_pointer(p.snapshot, &p.pointer(), excerpt));
                }
                finding
                    .action(format!(
                        "Raise the `{family}` family's signal threshold (config/autonomy_tuning.json) so it \
                         fires only on signals that warrant a fix"
                    ))
                    .action(format!(
                        "Or demote the family until its proposals are accepted: autonomy-tiers set --family \
                         {family} --tier 0"
                    ))
                    .action("Check why its proposals are turned down (state/rejection_patterns.json) and whether \
                             the tools it needs are installed")
                    .data(json!({
                        "family": family,
                        "proposals_in_window": n,
                        "merges_in_window": f.merges,
                        "rejected_in_window": rejected,
                        "look_back_days": days,
                        "window_end": newest.observed_at,
                    }))
            })
            .collect())
    }
}

augur_sdk::export_deriver!(NoopLoop);

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(at: &str, proposals: serde_json::Value) -> Snapshot {
        let doc =
            json!({"repo": "acme/api", "observed_at": at, "signals": {"proposals": proposals}});
        Snapshot::from_json(&format!("{at}.json"), &doc.to_string()).unwrap()
    }

    fn p(id: &str, family: &str, day: u32, outcome: &str) -> serde_json::Value {
        json!({"id": id, "family": family, "created_at": format!("2026-03-{day:02}T12:00:00Z"), "outcome": outcome})
    }

    fn derive(series: &[Snapshot]) -> Vec<Finding> {
        NoopLoop::derive(series, &Config::default()).unwrap()
    }

    #[test]
    fn three_proposals_without_a_merge_cycle() {
        let series = [
            snap(
                "2026-03-10T00:00:00Z",
                json!([
                    p("1", "lint_fix", 7, "rejected"),
                    p("2", "lint_fix", 9, "rejected")
                ]),
            ),
            snap(
                "2026-03-20T00:00:00Z",
                json!([
                    p("2", "lint_fix", 9, "rejected"),
                    p("3", "lint_fix", 19, "open")
                ]),
            ),
        ];
        let findings = derive(&series);
        assert_eq!(findings.len(), 1);
        let d = &findings[0].data;
        assert_eq!(d["family"], "lint_fix");
        assert_eq!(
            d["proposals_in_window"], 3,
            "proposal 2 is listed twice but counts once"
        );
        assert_eq!(d["merges_in_window"], 0);
        assert_eq!(d["look_back_days"], 14);
        assert_eq!(findings[0].evidence.len(), 3);
        assert!(findings[0].actions[0].contains("threshold"));
        assert!(findings[0].actions[1].contains("--tier 0"));
    }

    #[test]
    fn one_merge_breaks_the_loop() {
        let series = [snap(
            "2026-03-20T00:00:00Z",
            json!([
                p("1", "f", 10, "rejected"),
                p("2", "f", 11, "rejected"),
                p("3", "f", 12, "merged")
            ]),
        )];
        assert!(derive(&series).is_empty());
    }

    #[test]
    fn a_proposal_merged_later_is_seen_as_merged() {
        let series = [
            snap(
                "2026-03-13T00:00:00Z",
                json!([
                    p("1", "f", 10, "rejected"),
                    p("2", "f", 11, "rejected"),
                    p("3", "f", 12, "open")
                ]),
            ),
            snap("2026-03-14T00:00:00Z", json!([p("3", "f", 12, "merged")])),
        ];
        assert!(derive(&series).is_empty());
    }

    #[test]
    fn proposals_outside_the_window_do_not_count() {
        // The window is 14 days back from 2026-03-20: the 1st and 5th are out.
        let series = [snap(
            "2026-03-20T00:00:00Z",
            json!([
                p("1", "f", 1, "rejected"),
                p("2", "f", 5, "rejected"),
                p("3", "f", 10, "rejected"),
                p("4", "f", 19, "rejected")
            ]),
        )];
        assert!(derive(&series).is_empty());
        let wider = Config {
            look_back_days: 30,
            ..Config::default()
        };
        let findings = NoopLoop::derive(&series, &wider).unwrap();
        assert_eq!(findings[0].data["proposals_in_window"], 4);
        assert_eq!(findings[0].data["look_back_days"], 30);
    }

    #[test]
    fn families_are_judged_apart_and_in_name_order() {
        let series = [snap(
            "2026-03-20T00:00:00Z",
            json!([
                p("1", "type_fix", 10, "rejected"),
                p("2", "lint_fix", 10, "open"),
                p("3", "type_fix", 11, "open"),
                p("4", "lint_fix", 11, "rejected"),
                p("5", "type_fix", 12, "rejected"),
                p("6", "lint_fix", 12, "open"),
                p("7", "docs", 12, "rejected")
            ]),
        )];
        let families: Vec<String> = derive(&series)
            .iter()
            .map(|f| f.data["family"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(families, ["lint_fix", "type_fix"]);
    }

    #[test]
    fn no_proposals_say_nothing() {
        assert!(derive(&[snap("2026-03-20T00:00:00Z", json!([]))]).is_empty());
        assert!(derive(&[]).is_empty());
    }
}
