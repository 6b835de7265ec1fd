//! What rules may read of the history (contract 0.1.4's `history`
//! interface): the past findings of a bounded window, read from the store
//! once before any rule runs, so that a rule's query is a filter in memory
//! and never waits on a database.

use super::{DAY, History, HistoryError, rfc3339};
use crate::report::Severity;

/// A past finding, as rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRow {
    pub at: i64,
    pub rule: String,
    pub kind: String,
    pub severity: Severity,
    pub fingerprint: String,
    pub input: String,
    pub repo: Option<String>,
    pub title: String,
    pub causal: Option<String>,
}

impl PastRow {
    /// The bytes of its strings: what a rule pays in fuel to receive it.
    pub fn bytes(&self) -> usize {
        self.rule.len()
            + self.kind.len()
            + self.fingerprint.len()
            + self.input.len()
            + self.repo.as_ref().map_or(0, String::len)
            + self.title.len()
            + self.causal.as_ref().map_or(0, String::len)
            + 32
    }

    pub fn at_text(&self) -> String {
        rfc3339(self.at)
    }
}

/// The past findings a run's rules may query.
#[derive(Debug, Clone, Default)]
pub struct HistoryView {
    /// The newest first.
    rows: Vec<PastRow>,
    /// The run's time.
    run_at: i64,
    /// How far back the rows go.
    window_days: u32,
    /// The most rows one query returns.
    query_rows: u32,
    /// The store held more rows in the window than were read.
    cut: bool,
}

/// A rule's query, as the contract gives it.
pub struct Query<'a> {
    pub kind_prefix: &'a str,
    pub repo: Option<&'a str>,
    pub window_days: u32,
    pub limit: u32,
}

impl HistoryView {
    /// Rows of `query`, the newest first, and whether more matched.
    pub fn query(&self, query: &Query) -> (Vec<&PastRow>, bool) {
        let window = query.window_days.min(self.window_days);
        let since = self.run_at - i64::from(window) * DAY;
        let limit = query.limit.min(self.query_rows) as usize;
        let mut matched = self.rows.iter().filter(|r| {
            r.at > since
                && r.kind.starts_with(query.kind_prefix)
                && query
                    .repo
                    .is_none_or(|repo| r.repo.as_deref() == Some(repo))
        });
        let rows: Vec<&PastRow> = matched.by_ref().take(limit).collect();
        let truncated = matched.next().is_some() || (self.cut && rows.len() == limit);
        (rows, truncated)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the store held more than was read (`rule_rows`).
    pub fn was_cut(&self) -> bool {
        self.cut
    }
}

impl History {
    /// The findings of the runs of the last `rule_window_days` days before
    /// `run_at` (and not after it), at most `rule_rows` of them, the newest
    /// first.
    pub fn view(&mut self, run_at: i64) -> Result<HistoryView, HistoryError> {
        let s = self.settings.clone();
        let since = run_at - i64::from(s.rule_window_days) * DAY;
        let rows = self.db.query(
            "SELECT at, rule, kind, severity, fingerprint, input, repo, title, causal \
             FROM augur_findings WHERE at > ? AND at <= ? \
             ORDER BY at DESC, run_id DESC, idx LIMIT ?",
            &[
                since.into(),
                run_at.into(),
                (i64::from(s.rule_rows) + 1).into(),
            ],
        )?;
        let cut = rows.len() > s.rule_rows as usize;
        let rows = rows
            .into_iter()
            .take(s.rule_rows as usize)
            .map(|r| PastRow {
                at: r[0].int().unwrap_or(0),
                rule: r[1].string(),
                kind: r[2].string(),
                severity: serde_json::from_value(serde_json::Value::String(r[3].string()))
                    .unwrap_or(Severity::Info),
                fingerprint: r[4].string(),
                input: r[5].string(),
                repo: r[6].text().map(str::to_owned),
                title: r[7].string(),
                causal: r[8].text().map(str::to_owned),
            })
            .collect();
        Ok(HistoryView {
            rows,
            run_at,
            window_days: s.rule_window_days,
            query_rows: s.rule_query_rows,
            cut,
        })
    }
}
