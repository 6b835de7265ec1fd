//! What the HTML report plots of each repository's snapshot series: one
//! point per snapshot for each signal it carries.

use augur_sdk::Snapshot;

use crate::input::Series;

/// A signal plotted over a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Lint,
    Types,
    Coverage,
    Proposals,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::Lint,
        Metric::Types,
        Metric::Coverage,
        Metric::Proposals,
    ];

    /// Its name in the page (`data-metric`) and in findings' `data.metric`.
    pub fn id(self) -> &'static str {
        match self {
            Metric::Lint => "lint",
            Metric::Types => "types",
            Metric::Coverage => "coverage",
            Metric::Proposals => "proposals",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::Lint => "Lint violations",
            Metric::Types => "Type errors",
            Metric::Coverage => "Coverage (%)",
            Metric::Proposals => "Proposals merged and rejected",
        }
    }

    /// The JSON pointer under which a snapshot holds it: a finding whose
    /// evidence points below it is marked on its plot.
    pub fn pointer(self) -> &'static str {
        match self {
            Metric::Lint => "/signals/lint",
            Metric::Types => "/signals/types",
            Metric::Coverage => "/signals/coverage",
            Metric::Proposals => "/signals/proposals",
        }
    }
}

/// One repository's series.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub repo: String,
    pub points: Vec<TrendPoint>,
}

/// One snapshot's signals.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The snapshot's file, as evidence names it.
    pub source: String,
    pub observed_at: String,
    /// `observed_at` in seconds since the Unix epoch.
    pub at: i64,
    pub lint: Option<f64>,
    pub types: Option<f64>,
    pub coverage: Option<f64>,
    /// The snapshot's proposals by outcome: merged, rejected.
    pub proposals: Option<(f64, f64)>,
}

impl TrendPoint {
    /// The values of `metric` at this snapshot, one per line of its plot.
    pub fn values(&self, metric: Metric) -> Vec<Option<f64>> {
        match metric {
            Metric::Lint => vec![self.lint],
            Metric::Types => vec![self.types],
            Metric::Coverage => vec![self.coverage],
            Metric::Proposals => vec![
                self.proposals.map(|(merged, _)| merged),
                self.proposals.map(|(_, rejected)| rejected),
            ],
        }
    }
}

/// The names of a metric's lines, in [`TrendPoint::values`] order.
pub fn lines(metric: Metric) -> &'static [&'static str] {
    match metric {
        Metric::Proposals => &["merged", "rejected"],
        _ => &[""],
    }
}

/// Each series' points. The snapshots were validated when they were read;
/// one that no longer parses is left out.
pub fn trends(series: &[Series]) -> Vec<Trend> {
    series
        .iter()
        .map(|s| Trend {
            repo: s.repo.clone(),
            points: s
                .snapshots
                .iter()
                .filter_map(|input| {
                    let snapshot = Snapshot::from_json(&input.source, &input.document).ok()?;
                    let signals = snapshot.signals;
                    let count = |c: Option<augur_sdk::CountSignal>| {
                        c.and_then(|c| c.count).map(|n| n as f64)
                    };
                    let outcomes = |ps: &[augur_sdk::Proposal], outcome: &str| {
                        ps.iter()
                            .filter(|p| p.outcome.as_deref() == Some(outcome))
                            .count() as f64
                    };
                    Some(TrendPoint {
                        source: input.source.clone(),
                        observed_at: input.observed_at.clone(),
                        at: input.observed_unix(),
                        lint: count(signals.lint),
                        types: count(signals.types),
                        coverage: signals.coverage.and_then(|c| c.percent),
                        proposals: signals
                            .proposals
                            .map(|ps| (outcomes(&ps, "merged"), outcomes(&ps, "rejected"))),
                    })
                })
                .collect(),
        })
        .collect()
}
