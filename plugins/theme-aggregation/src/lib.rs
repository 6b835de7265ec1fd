//! theme-aggregation: the same file among the top lint (or type) violators
//! snapshot after snapshot.
//!
//! A file in a snapshot's top violators for `min_consecutive` or more
//! consecutive snapshots is a systematic problem: one clean-up of the file
//! beats a stream of single fixes. Snapshots that carry no list for the
//! metric neither extend nor break a run (nothing was observed); a snapshot
//! whose list leaves the file out breaks it. Each file is reported once per
//! metric, for its longest run (the latest, on a tie).

use std::collections::BTreeMap;

use augur_sdk::prelude::*;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

pub const LINT_CLUSTER: &str = "theme/lint_cluster";
pub const TYPE_CLUSTER: &str = "theme/type_cluster";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Consecutive snapshots a file must be a top violator in.
    pub min_consecutive: usize,
    /// How many of a snapshot's listed files, by count, are its top violators.
    pub top_n: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_consecutive: 3,
            top_n: 10,
        }
    }
}

pub struct ThemeAggregation;

impl Rule for ThemeAggregation {
    type Config = Config;
    const ID: &'static str = "theme-aggregation";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Files among the top lint or type violators in consecutive snapshots: one systematic clean-up";
    const KINDS: &'static [&'static str] = &[LINT_CLUSTER, TYPE_CLUSTER];
}

#[derive(Clone, Copy)]
enum Metric {
    Lint,
    Types,
}

/// A file's run of consecutive appearances: (snapshot index, list index, count).
type Run = Vec<(usize, usize, u64)>;

impl Metric {
    fn signal(self, s: &Snapshot) -> Option<&augur_sdk::CountSignal> {
        match self {
            Metric::Lint => s.signals.lint.as_ref(),
            Metric::Types => s.signals.types.as_ref(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Metric::Lint => "lint",
            Metric::Types => "types",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Metric::Lint => LINT_CLUSTER,
            Metric::Types => TYPE_CLUSTER,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Metric::Lint => "lint violators",
            Metric::Types => "type-error sources",
        }
    }
}

impl Deriver for ThemeAggregation {
    fn derive(series: &[Snapshot], config: &Config) -> Result<Vec<Finding>, RuleError> {
        if config.min_consecutive < 2 {
            return Err(RuleError::InvalidConfig(format!(
                "min_consecutive must be at least 2, got {}",
                config.min_consecutive
            )));
        }
        if config.top_n == 0 {
            return Err(RuleError::InvalidConfig("top_n must be at least 1".into()));
        }
        let mut findings = Vec::new();
        for metric in [Metric::Lint, Metric::Types] {
            findings.extend(clusters(series, metric, config));
        }
        Ok(findings)
    }
}

fn clusters(series: &[Snapshot], metric: Metric, config: &Config) -> Vec<Finding> {
    // Per file: the run in progress and the best finished one.
    let mut current: BTreeMap<&str, Run> = BTreeMap::new();
    let mut best: BTreeMap<&str, Run> = BTreeMap::new();
    fn keep<'a>(best: &mut BTreeMap<&'a str, Run>, file: &'a str, run: Run) {
        let slot = best.entry(file).or_default();
        if run.len() >= slot.len() {
            *slot = run;
        }
    }
    for (i, snapshot) in series.iter().enumerate() {
        let Some(signal) = metric.signal(snapshot) else {
            continue;
        };
        // The top `top_n` by count; the list order breaks ties.
        let mut ranked: Vec<(usize, &augur_sdk::FileCount)> =
            signal.top_files.iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
        ranked.truncate(config.top_n);
        let mut present: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
        for (index, file) in ranked {
            present
                .entry(file.path.as_str())
                .or_insert((index, file.count));
        }
        // Runs of files missing from this list end here.
        let ended: Vec<&str> = current
            .keys()
            .filter(|f| !present.contains_key(*f))
            .copied()
            .collect();
        for file in ended {
            let run = current.remove(file).unwrap();
            keep(&mut best, file, run);
        }
        for (file, (index, count)) in present {
            current.entry(file).or_default().push((i, index, count));
        }
    }
    let last_with_signal = series.iter().rposition(|s| metric.signal(s).is_some());
    let mut ongoing: BTreeMap<&str, bool> = BTreeMap::new();
    for (file, run) in current {
        ongoing.insert(file, true);
        keep(&mut best, file, run);
    }

    best.into_iter()
        .filter(|(_, run)| run.len() >= config.min_consecutive)
        .map(|(file, run)| {
            let is_ongoing = ongoing.get(file).copied().unwrap_or(false)
                && run.last().map(|r| r.0) == last_with_signal;
            finding(series, metric, file, &run, is_ongoing)
        })
        .collect()
}

/// Counts listed in a finding: the run's latest.
const MAX_COUNTS: usize = 20;

fn finding(series: &[Snapshot], metric: Metric, file: &str, run: &Run, ongoing: bool) -> Finding {
    let first = &series[run[0].0];
    let last = &series[run[run.len() - 1].0];
    let repo = &last.repo;
    let n = run.len();
    // A run can span thousands of snapshots: its latest counts tell the story.
    let left_out = n.saturating_sub(MAX_COUNTS);
    let counts: Vec<u64> = run[left_out..].iter().map(|r| r.2).collect();
    let mut finding = Finding::new(
        metric.kind(),
        if ongoing { Severity::Medium } else { Severity::Low },
        format!("{file} has been among the top {} in {repo} for {n} snapshots in a row", metric.noun()),
    )
    .message(format!(
        "{file} was among the top {} in {n} consecutive snapshots of {repo}, {} to {}{} (counts {}{}). \
         Repeated single fixes are not removing the cause.",
        metric.noun(),
        first.observed_at,
        last.observed_at,
        if ongoing { ", and still is" } else { "" },
        if left_out > 0 { "…, " } else { "" },
        counts.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    ))
    .fingerprint(fingerprint(&[ThemeAggregation::ID, metric.kind(), repo, file]));
    for &(i, index, count) in [run[0], run[n - 1]].iter().take(if n > 1 { 2 } else { 1 }) {
        finding = finding.evidence(Evidence::at_pointer(
            &series[i],
            &format!("/signals/{}/top_files/{index}", metric.name()),
            format!("{file}: {count} at {}", series[i].observed_at),
        ));
    }
    finding
        .action(format!(
            "Open one [Refactor] task for {file}: address the pattern behind its {} instead of fixing them one by one",
            if matches!(metric, Metric::Lint) { "violations" } else { "type errors" }
        ))
        .action(format!("Stop proposing single {} fixes for {file} until the refactor lands", metric.name()))
        .data(json!({
            "file": file,
            "metric": metric.name(),
            "consecutive_snapshots": n,
            "counts": counts,
            "counts_left_out": left_out,
            "max_count": run.iter().map(|r| r.2).max(),
            "first_observed_at": first.observed_at,
            "last_observed_at": last.observed_at,
            "ongoing": ongoing,
        }))
}

augur_sdk::export_deriver!(ThemeAggregation);

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot on day `day` with lint top files `lint` (None: no lint signal).
    fn snap(day: u32, lint: Option<&[(&str, u64)]>) -> Snapshot {
        let mut signals = serde_json::Map::new();
        if let Some(files) = lint {
            let top: Vec<_> = files
                .iter()
                .map(|(p, c)| json!({"path": p, "count": c}))
                .collect();
            signals.insert("lint".into(), json!({"count": 100, "top_files": top}));
        }
        let at = format!("2026-03-{day:02}T00:00:00Z");
        let doc = json!({"repo": "acme/api", "observed_at": at, "signals": signals});
        Snapshot::from_json(&format!("{day}.json"), &doc.to_string()).unwrap()
    }

    fn derive(series: &[Snapshot]) -> Vec<Finding> {
        ThemeAggregation::derive(series, &Config::default()).unwrap()
    }

    #[test]
    fn three_consecutive_snapshots_make_a_cluster() {
        let series = [
            snap(1, Some(&[("a.py", 9), ("b.py", 4)])),
            snap(2, Some(&[("a.py", 10), ("c.py", 4)])),
            snap(3, Some(&[("b.py", 3), ("a.py", 12)])),
        ];
        let findings = derive(&series);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.kind, LINT_CLUSTER);
        assert_eq!(f.data["file"], "a.py");
        assert_eq!(f.data["consecutive_snapshots"], 3);
        assert_eq!(f.data["counts"], json!([9, 10, 12]));
        assert_eq!(f.data["ongoing"], true);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.evidence[0].locator, "/signals/lint/top_files/0");
        assert_eq!(f.evidence[1].locator, "/signals/lint/top_files/1");
    }

    #[test]
    fn a_gap_breaks_the_run() {
        let series = [
            snap(1, Some(&[("a.py", 9)])),
            snap(2, Some(&[("a.py", 9)])),
            snap(3, Some(&[("b.py", 9)])),
            snap(4, Some(&[("a.py", 9)])),
        ];
        assert!(derive(&series).is_empty());
    }

    #[test]
    fn a_snapshot_without_the_signal_neither_extends_nor_breaks() {
        let series = [
            snap(1, Some(&[("a.py", 9)])),
            snap(2, None),
            snap(3, Some(&[("a.py", 9)])),
            snap(4, Some(&[("a.py", 8)])),
        ];
        let findings = derive(&series);
        assert_eq!(findings[0].data["consecutive_snapshots"], 3);
    }

    #[test]
    fn a_past_run_is_reported_as_not_ongoing() {
        let series = [
            snap(1, Some(&[("a.py", 9)])),
            snap(2, Some(&[("a.py", 9)])),
            snap(3, Some(&[("a.py", 9)])),
            snap(4, Some(&[("b.py", 9)])),
        ];
        let findings = derive(&series);
        assert_eq!(findings[0].data["ongoing"], false);
        assert_eq!(findings[0].severity, Severity::Low);
    }

    #[test]
    fn only_the_top_n_count() {
        let series: Vec<Snapshot> = (1..=3)
            .map(|d| snap(d, Some(&[("big.py", 50), ("small.py", 1)])))
            .collect();
        let config = Config {
            top_n: 1,
            ..Config::default()
        };
        let files: Vec<String> = ThemeAggregation::derive(&series, &config)
            .unwrap()
            .iter()
            .map(|f| f.data["file"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(files, ["big.py"]);
    }

    #[test]
    fn types_are_judged_apart_from_lint() {
        let doc = |d: u32| {
            json!({"repo": "r", "observed_at": format!("2026-03-0{d}T00:00:00Z"),
                   "signals": {"types": {"count": 3, "top_files": [{"path": "t.py", "count": 3}]}}})
        };
        let series: Vec<Snapshot> = (1..=3)
            .map(|d| Snapshot::from_json("s.json", &doc(d).to_string()).unwrap())
            .collect();
        let kinds: Vec<String> = derive(&series).into_iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [TYPE_CLUSTER]);
    }

    #[test]
    fn a_long_run_lists_only_its_latest_counts() {
        let series: Vec<Snapshot> = (1..=28)
            .map(|d| snap(d, Some(&[("a.py", u64::from(d))])))
            .collect();
        let f = &derive(&series)[0];
        assert_eq!(f.data["consecutive_snapshots"], 28);
        assert_eq!(f.data["counts"], json!((9..=28).collect::<Vec<u64>>()));
        assert_eq!(f.data["counts_left_out"], 8);
        assert_eq!(f.data["max_count"], 28);
        assert!(f.message.contains("(counts …, 9, 10,"), "{}", f.message);
    }
}
