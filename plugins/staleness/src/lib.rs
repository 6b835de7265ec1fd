//! staleness: is a repository's newest snapshot too old to act on?
//!
//! Insights drawn from an old snapshot describe a repository that may have
//! moved on. When the newest snapshot of a series is older than
//! `max_age_hours` at the time of the run, this gives
//! `observer/stale_snapshot`: re-run the observer before trusting the rest.
//!
//! The time of the run is the clock the sandbox gives every rule: frozen at
//! `augur run --now` (or at the moment the run started), so the same inputs
//! and `--now` always give the same findings.

use augur_sdk::{prelude::*, series::unix_seconds};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const STALE_SNAPSHOT: &str = "observer/stale_snapshot";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Age, in hours, past which the newest snapshot is stale.
    pub max_age_hours: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_age_hours: 2.0 }
    }
}

pub struct Staleness;

impl Rule for Staleness {
    type Config = Config;
    const ID: &'static str = "staleness";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "A repository whose newest observer snapshot is too old, at the time of the run, to act on";
    const KINDS: &'static [&'static str] = &[STALE_SNAPSHOT];
}

impl Deriver for Staleness {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        stale_at(series, config, augur_sdk::run_time())
    }
}

/// The findings for `series` at `now` (Unix seconds).
pub fn stale_at(series: &[Snapshot], config: &Config, now: i64) -> Result<Vec<Finding>, RuleError> {
    if !(config.max_age_hours.is_finite() && config.max_age_hours > 0.0) {
        return Err(RuleError::InvalidConfig(format!(
            "max_age_hours must be a number above 0, got {}",
            config.max_age_hours
        )));
    }
    // The newest by its timestamp; of equal ones, the last in the series.
    let Some((newest, observed)) = series
        .iter()
        .filter_map(|s| unix_seconds(&s.observed_at).map(|t| (s, t)))
        .max_by_key(|(_, t)| *t)
    else {
        return Ok(Vec::new());
    };
    let age_seconds = now - observed;
    let age_hours = age_seconds as f64 / 3600.0;
    if age_hours <= config.max_age_hours {
        return Ok(Vec::new());
    }
    let repo = &newest.repo;
    let severity = if age_hours > 24.0 * 7.0 {
        Severity::High
    } else {
        Severity::Medium
    };
    let age = human_age(age_seconds);
    Ok(vec![
        Finding::new(
            STALE_SNAPSHOT,
            severity,
            format!("The newest snapshot of {repo} is {age} old"),
        )
        .message(format!(
            "The newest observer snapshot of {repo} was taken at {} ({age} before the run), more \
             than {} hours ago: insights drawn from it may not reflect the repository as it is now.",
            newest.observed_at, config.max_age_hours
        ))
        .fingerprint(fingerprint(&[
            Staleness::ID,
            STALE_SNAPSHOT,
            repo,
            &newest.observed_at,
        ]))
        .evidence(Evidence::at_pointer(
            newest,
            "/observed_at",
            newest.observed_at.clone(),
        ))
        .action(format!(
            "Re-run the observer for {repo} (observe-repo), then generate insights again"
        ))
        .action("Check that the observer's schedule (cron job or watcher) is still running")
        .data(json!({
            "observed_at": newest.observed_at,
            "age_hours": (age_hours * 10.0).round() / 10.0,
            "max_age_hours": config.max_age_hours,
        })),
    ])
}

/// `4.2 h`, `3 days`: an age a person reads at a glance.
fn human_age(seconds: i64) -> String {
    let hours = seconds as f64 / 3600.0;
    if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{} days", (hours / 24.0).floor())
    }
}

augur_sdk::export_deriver!(Staleness);

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_268_800; // 2026-01-01T12:00:00Z

    fn snap(at: &str) -> Snapshot {
        let doc = json!({"repo": "acme/api", "observed_at": at, "signals": {}});
        Snapshot::from_json(&format!("{at}.json"), &doc.to_string()).unwrap()
    }

    fn stale(series: &[Snapshot]) -> Vec<Finding> {
        stale_at(series, &Config::default(), NOW).unwrap()
    }

    #[test]
    fn an_old_newest_snapshot_is_stale_with_its_age() {
        let series = [snap("2026-01-01T06:00:00Z"), snap("2026-01-01T07:48:00Z")];
        let findings = stale(&series);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.kind, STALE_SNAPSHOT);
        assert_eq!(f.title, "The newest snapshot of acme/api is 4.2 h old");
        assert_eq!(f.evidence[0].source, "2026-01-01T07:48:00Z.json");
        assert_eq!(f.evidence[0].locator, "/observed_at");
        assert_eq!(f.data["age_hours"], 4.2);
        assert_eq!(f.data["max_age_hours"], 2.0);
        assert_eq!(f.severity, Severity::Medium);
    }

    #[test]
    fn fresh_enough_gives_nothing_and_the_bound_is_exclusive() {
        assert!(stale(&[snap("2026-01-01T10:00:00Z")]).is_empty());
        assert!(stale(&[snap("2026-01-01T11:59:00Z")]).is_empty());
        assert_eq!(stale(&[snap("2026-01-01T09:59:59Z")]).len(), 1);
    }

    #[test]
    fn the_newest_by_time_counts_whatever_the_order() {
        // An old snapshot last in the list does not make a fresh series stale.
        assert!(stale(&[snap("2026-01-01T11:00:00Z"), snap("2025-12-01T00:00:00Z")]).is_empty());
    }

    #[test]
    fn weeks_old_is_high_and_said_in_days() {
        let f = &stale(&[snap("2025-12-01T12:00:00Z")])[0];
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.title, "The newest snapshot of acme/api is 31 days old");
    }

    #[test]
    fn a_snapshot_from_the_future_is_not_stale() {
        assert!(stale(&[snap("2026-01-02T00:00:00Z")]).is_empty());
    }

    #[test]
    fn no_usable_timestamp_gives_nothing() {
        assert!(stale(&[]).is_empty());
    }

    #[test]
    fn the_threshold_is_configurable_and_checked() {
        let config = Config { max_age_hours: 5.0 };
        assert!(
            stale_at(&[snap("2026-01-01T07:48:00Z")], &config, NOW)
                .unwrap()
                .is_empty()
        );
        let bad = Config { max_age_hours: 0.0 };
        assert!(matches!(
            stale_at(&[], &bad, NOW),
            Err(RuleError::InvalidConfig(m)) if m.contains("max_age_hours")
        ));
    }
}
