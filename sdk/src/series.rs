//! Helpers for derivers over a snapshot series: timestamps and the
//! proposals the series has seen.

use std::collections::HashMap;

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{Proposal, Snapshot};

/// Seconds since the Unix epoch of an RFC 3339 timestamp, if it is one.
pub fn unix_seconds(rfc3339: &str) -> Option<i64> {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// A proposal as the series last saw it.
#[derive(Debug, Clone, Copy)]
pub struct SeenProposal<'a> {
    pub proposal: &'a Proposal,
    /// The newest snapshot that lists it.
    pub snapshot: &'a Snapshot,
    /// Its index in that snapshot's `signals.proposals`.
    pub index: usize,
    /// When it was made: its `created_at`, or else when the snapshot that
    /// first listed it was taken (Unix seconds); `None` when neither parses.
    pub created: Option<i64>,
}

impl SeenProposal<'_> {
    /// JSON pointer to the proposal in [`SeenProposal::snapshot`].
    pub fn pointer(&self) -> String {
        format!("/signals/proposals/{}", self.index)
    }

    /// Whether it was accepted (`merged` or `accepted`).
    pub fn accepted(&self) -> bool {
        matches!(self.outcome(), Some("merged" | "accepted"))
    }

    /// Whether it was turned down (`rejected`, `closed`, `abandoned`, `declined`).
    pub fn refused(&self) -> bool {
        matches!(
            self.outcome(),
            Some("rejected" | "closed" | "abandoned" | "declined")
        )
    }

    fn outcome(&self) -> Option<&str> {
        self.proposal.outcome.as_deref()
    }
}

/// Every proposal listed in the series, once: snapshots often repeat the
/// proposals of earlier ones, so proposals are matched by `id` (or, without
/// one, by family and `created_at`) and the newest listing wins, since an
/// outcome is filled in later. Ordered by first appearance.
pub fn unique_proposals(series: &[Snapshot]) -> Vec<SeenProposal<'_>> {
    let mut seen: Vec<SeenProposal<'_>> = Vec::new();
    // (id) or, without one, (family, created_at) → index in `seen`.
    type Key<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut by_key: HashMap<Key<'_>, usize> = HashMap::new();
    for snapshot in series {
        let observed = unix_seconds(&snapshot.observed_at);
        for (index, proposal) in snapshot.signals.proposals.iter().flatten().enumerate() {
            let key = match proposal.id.as_deref() {
                Some(id) => (Some(id), None, None),
                None => (
                    None,
                    proposal.family.as_deref(),
                    proposal.created_at.as_deref(),
                ),
            };
            let created = proposal.created_at.as_deref().and_then(unix_seconds);
            match by_key.get(&key) {
                Some(&i) => {
                    let first_seen = seen[i].created;
                    seen[i] = SeenProposal {
                        proposal,
                        snapshot,
                        index,
                        created: created.or(first_seen),
                    };
                }
                None => {
                    by_key.insert(key, seen.len());
                    seen.push(SeenProposal {
                        proposal,
                        snapshot,
                        index,
                        created: created.or(observed),
                    });
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snap(at: &str, proposals: serde_json::Value) -> Snapshot {
        let doc = json!({"repo": "r", "observed_at": at, "signals": {"proposals": proposals}});
        Snapshot::from_json(&format!("{at}.json"), &doc.to_string()).unwrap()
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(unix_seconds("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(unix_seconds("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(unix_seconds("yesterday"), None);
    }

    #[test]
    fn the_newest_listing_of_a_proposal_wins() {
        let series = [
            snap(
                "2026-01-01T00:00:00Z",
                json!([{"id": "a", "family": "f", "outcome": "open"}, {"family": "g", "created_at": "2026-01-01T00:00:00Z"}]),
            ),
            snap(
                "2026-01-02T00:00:00Z",
                json!([{"id": "b", "family": "f"}, {"id": "a", "family": "f", "outcome": "merged"}]),
            ),
        ];
        let seen = unique_proposals(&series);
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0].proposal.id.as_deref(), Some("a"));
        assert!(seen[0].accepted());
        assert_eq!(seen[0].pointer(), "/signals/proposals/1");
        assert_eq!(seen[0].snapshot.observed_at, "2026-01-02T00:00:00Z");
        // No created_at: dated by the snapshot that first listed it.
        assert_eq!(seen[0].created, unix_seconds("2026-01-01T00:00:00Z"));
        assert_eq!(seen[2].created, unix_seconds("2026-01-02T00:00:00Z"));
    }
}
