//! quality-trend: are lint and type-error counts getting worse, better, or
//! going nowhere?
//!
//! For each metric, the oldest and newest snapshots that carry it are
//! compared. A rise of more than `threshold_percent` is degrading, a fall of
//! more than it is improving, anything in between is stagnant. A repository
//! with fewer than `min_snapshots` snapshots carrying the metric says nothing
//! about it: two points are not a trend.

use augur_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const LINT_DEGRADING: &str = "quality_trend/lint_degrading";
pub const TYPE_DEGRADING: &str = "quality_trend/type_degrading";
pub const LINT_IMPROVING: &str = "quality_trend/lint_improving";
pub const TYPE_IMPROVING: &str = "quality_trend/type_improving";
pub const STAGNANT: &str = "quality_trend/stagnant";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Change, in percent of the oldest count, beyond which a metric is
    /// degrading or improving.
    pub threshold_percent: f64,
    /// Snapshots carrying a metric needed before it is judged.
    pub min_snapshots: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threshold_percent: 10.0,
            min_snapshots: 3,
        }
    }
}

pub struct QualityTrend;

impl Rule for QualityTrend {
    type Config = Config;
    const ID: &'static str = "quality-trend";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Lint and type-error counts degrading, improving or stagnant across a repository's snapshots";
    const KINDS: &'static [&'static str] = &[
        LINT_DEGRADING,
        TYPE_DEGRADING,
        LINT_IMPROVING,
        TYPE_IMPROVING,
        STAGNANT,
    ];
}

#[derive(Clone, Copy)]
enum Metric {
    Lint,
    Types,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Lint => "lint",
            Metric::Types => "types",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Metric::Lint => "Lint violations",
            Metric::Types => "Type errors",
        }
    }

    fn count(self, snapshot: &Snapshot) -> Option<u64> {
        let signal = match self {
            Metric::Lint => snapshot.signals.lint.as_ref(),
            Metric::Types => snapshot.signals.types.as_ref(),
        };
        signal.and_then(|s| s.count)
    }

    fn top_files(self, snapshot: &Snapshot) -> Vec<String> {
        let signal = match self {
            Metric::Lint => snapshot.signals.lint.as_ref(),
            Metric::Types => snapshot.signals.types.as_ref(),
        };
        signal
            .map(|s| s.top_files.iter().take(3).map(|f| f.path.clone()).collect())
            .unwrap_or_default()
    }
}

impl Deriver for QualityTrend {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if !(config.threshold_percent.is_finite() && config.threshold_percent >= 0.0) {
            return Err(RuleError::InvalidConfig(format!(
                "threshold_percent must be a number >= 0, got {}",
                config.threshold_percent
            )));
        }
        if config.min_snapshots < 2 {
            return Err(RuleError::InvalidConfig(format!(
                "min_snapshots must be at least 2 (a trend needs two points), got {}",
                config.min_snapshots
            )));
        }
        Ok([Metric::Lint, Metric::Types]
            .into_iter()
            .filter_map(|metric| judge(series, metric, config))
            .collect())
    }
}

fn judge(series: &[Snapshot], metric: Metric, config: &Config) -> Option<Finding> {
    let with_metric: Vec<(&Snapshot, u64)> = series
        .iter()
        .filter_map(|s| metric.count(s).map(|c| (s, c)))
        .collect();
    if with_metric.len() < config.min_snapshots {
        return None;
    }
    let (oldest, from) = *with_metric.first()?;
    let (newest, to) = *with_metric.last()?;
    // From zero, any rise is unbounded growth and no change is no change.
    let change = match (from, to) {
        (0, 0) => 0.0,
        (0, _) => f64::INFINITY,
        _ => (to as f64 - from as f64) / from as f64 * 100.0,
    };

    let (kind, severity, direction) = if change > config.threshold_percent {
        let kind = match metric {
            Metric::Lint => LINT_DEGRADING,
            Metric::Types => TYPE_DEGRADING,
        };
        (kind, Severity::Medium, "rose")
    } else if change < -config.threshold_percent {
        let kind = match metric {
            Metric::Lint => LINT_IMPROVING,
            Metric::Types => TYPE_IMPROVING,
        };
        (kind, Severity::Info, "fell")
    } else {
        (STAGNANT, Severity::Low, "stayed within the threshold")
    };

    let repo = &newest.repo;
    let change_text = if change.is_finite() {
        format!("{change:+.1}%")
    } else {
        "up from zero".to_owned()
    };
    let size_text = if change.is_finite() {
        format!("{:.1}%", change.abs())
    } else {
        "from zero".to_owned()
    };
    let message = format!(
        "{} in {repo} {direction}: {from} to {to} ({change_text}) across {} snapshots, {} to {} \
         (threshold {}%).",
        metric.noun(),
        with_metric.len(),
        oldest.observed_at,
        newest.observed_at,
        config.threshold_percent,
    );
    let title = match kind {
        STAGNANT => format!("{} in {repo} are not moving ({from} → {to})", metric.noun()),
        _ => format!(
            "{} in {repo} {direction} {size_text} ({from} → {to})",
            metric.noun()
        ),
    };
    let pointer = format!("/signals/{}/count", metric.name());
    let mut finding = Finding::new(kind, severity, title)
        .message(message)
        .fingerprint(fingerprint(&[QualityTrend::ID, kind, repo, metric.name()]))
        .evidence(Evidence::at_pointer(
            oldest,
            &pointer,
            format!("{} count {from} at {}", metric.name(), oldest.observed_at),
        ))
        .evidence(Evidence::at_pointer(
            newest,
            &pointer,
            format!("{} count {to} at {}", metric.name(), newest.observed_at),
        ))
        .data(json!({
            "metric": metric.name(),
            "oldest_count": from,
            "newest_count": to,
            "change_percent": change.is_finite().then_some((change * 10.0).round() / 10.0),
            "snapshots": with_metric.len(),
            "threshold_percent": config.threshold_percent,
            "oldest_observed_at": oldest.observed_at,
            "newest_observed_at": newest.observed_at,
        }));

    let top = metric.top_files(newest);
    let top_text = if top.is_empty() {
        String::new()
    } else {
        format!(": {}", top.join(", "))
    };
    finding = match kind {
        STAGNANT => finding
            .action(format!(
                "If {} fixes are being proposed for {repo}, check that they reach execution and merge",
                metric.name()
            ))
            .action("Check whether merged fixes introduce equivalent new violations elsewhere"),
        LINT_IMPROVING | TYPE_IMPROVING => finding
            .action("Keep the trend: gate new violations in CI so the count cannot climb back"),
        _ => finding
            .action(format!("Start with the files that contribute most{top_text}"))
            .action(format!(
                "Gate new {} in CI (fail on violations in changed files, or against a baseline)",
                if matches!(metric, Metric::Lint) { "lint violations" } else { "type errors" }
            )),
    };
    Some(finding)
}

augur_sdk::export_deriver!(QualityTrend);

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(at: &str, lint: Option<u64>, types: Option<u64>) -> Snapshot {
        let mut signals = serde_json::Map::new();
        if let Some(c) = lint {
            signals.insert(
                "lint".into(),
                json!({"count": c, "top_files": [{"path": "src/a.py", "count": 3}]}),
            );
        }
        if let Some(c) = types {
            signals.insert("types".into(), json!({"count": c}));
        }
        let doc = json!({"repo": "acme/api", "observed_at": at, "signals": signals});
        Snapshot::from_json(&format!("{at}.json"), &doc.to_string()).unwrap()
    }

    fn kinds(series: &[Snapshot], config: &Config) -> Vec<String> {
        QualityTrend::derive(series, config)
            .unwrap()
            .into_iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn degrading_and_improving() {
        let series = [
            snap("t1", Some(100), Some(50)),
            snap("t2", Some(105), Some(48)),
            snap("t3", Some(111), Some(44)),
        ];
        assert_eq!(
            kinds(&series, &Config::default()),
            [LINT_DEGRADING, TYPE_IMPROVING]
        );
    }

    #[test]
    fn ten_percent_exactly_is_stagnant() {
        let series = [
            snap("t1", Some(100), Some(100)),
            snap("t2", Some(300), None),
            snap("t3", Some(110), Some(90)),
        ];
        // Only two snapshots carry types: no judgement on types at all.
        assert_eq!(kinds(&series, &Config::default()), [STAGNANT]);
    }

    #[test]
    fn fewer_than_three_snapshots_say_nothing() {
        let series = [
            snap("t1", Some(10), Some(10)),
            snap("t2", Some(90), Some(90)),
        ];
        assert!(kinds(&series, &Config::default()).is_empty());
    }

    #[test]
    fn threshold_and_minimum_are_configurable() {
        let series = [snap("t1", Some(100), None), snap("t2", Some(104), None)];
        let config = Config {
            threshold_percent: 3.0,
            min_snapshots: 2,
        };
        assert_eq!(kinds(&series, &config), [LINT_DEGRADING]);
        let bad = Config {
            threshold_percent: -1.0,
            ..Config::default()
        };
        assert!(matches!(
            QualityTrend::derive(&series, &bad),
            Err(RuleError::InvalidConfig(_))
        ));
    }

    #[test]
    fn from_zero() {
        let series = [
            snap("t1", Some(0), Some(0)),
            snap("t2", Some(0), Some(0)),
            snap("t3", Some(4), Some(0)),
        ];
        let findings = QualityTrend::derive(&series, &Config::default()).unwrap();
        assert_eq!(findings[0].kind, LINT_DEGRADING);
        assert_eq!(findings[0].data["change_percent"], serde_json::Value::Null);
        assert_eq!(findings[1].kind, STAGNANT);
    }

    #[test]
    fn evidence_points_at_oldest_and_newest_and_fingerprint_ignores_counts() {
        let a = [
            snap("t1", Some(100), None),
            snap("t2", Some(120), None),
            snap("t3", Some(130), None),
        ];
        let b = [
            snap("t1", Some(100), None),
            snap("t2", Some(120), None),
            snap("t4", Some(180), None),
        ];
        let fa = &QualityTrend::derive(&a, &Config::default()).unwrap()[0];
        let fb = &QualityTrend::derive(&b, &Config::default()).unwrap()[0];
        assert_eq!(fa.fingerprint, fb.fingerprint);
        let locs: Vec<_> = fa
            .evidence
            .iter()
            .map(|e| (e.source.as_str(), e.locator.as_str()))
            .collect();
        assert_eq!(
            locs,
            [
                ("t1.json", "/signals/lint/count"),
                ("t3.json", "/signals/lint/count")
            ]
        );
        assert_eq!(fa.data["change_percent"], 30.0);
        assert!(fa.actions[0].contains("src/a.py"), "{:?}", fa.actions);
    }
}
