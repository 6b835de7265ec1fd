//! Memory across runs: every run's inputs and findings, kept in a history
//! store, so that a report can say what was seen before, what past failures
//! looked like this one, and which suggested actions fixed them.
//!
//! One store, two backends behind one [`Db`](db::Db) interface: an embedded
//! SQLite file (`--history PATH`) and a shared PostgreSQL database
//! (`--history postgres://…`). Every query is written once, in the SQL both
//! understand; the schema is a list of migrations ([`schema`]).
//!
//! A run is recorded in one transaction after its rules have finished:
//! an interrupted or killed run is either wholly recorded or not at all, and
//! several augur processes may record at once.

mod db;
mod postgres;
mod record;
mod schema;
mod sqlite;
#[cfg(test)]
pub(crate) mod test_cluster;
#[cfg(test)]
mod tests;
mod transfer;
pub mod unknowns;
mod view;

use std::{collections::HashMap, path::Path, time::Duration};

use serde::{Deserialize, Serialize};

use db::{Db, Val, transaction};

pub use record::{ActionRecord, FindingRecord, InputRecord, RunRecord, mask, run_record};
pub use view::{HistoryView, PastRow, Query};

/// How long a finding is looked for in the past ("seen 3× in 30 days").
pub const DEFAULT_WINDOW_DAYS: u32 = 30;
/// How long a writer waits for another to finish (SQLite) before the run's
/// recording fails.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting to a PostgreSQL history may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How far back the findings rules may read go (`[history] rule_window_days`).
pub const DEFAULT_RULE_WINDOW_DAYS: u32 = 90;
/// The most past findings read for rules (`[history] rule_rows`): the
/// newest are kept.
pub const DEFAULT_RULE_ROWS: u32 = 200_000;
/// The most rows one query of a rule returns (`[history] rule_query_rows`).
pub const DEFAULT_RULE_QUERY_ROWS: u32 = 100_000;
/// Past failures listed per failed job.
pub const MAX_SIMILAR: usize = 3;
/// Actions suggested per finding: history's proven ones first, then the
/// rule's own.
pub const MAX_SUGGESTED: usize = 3;

const DAY: i64 = 86_400;

/// The `[history]` table of `augur.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    /// A SQLite file (relative to the manifest) or a `postgres://` URL.
    pub path: Option<String>,
    pub window_days: Option<u32>,
    pub busy_timeout_ms: Option<u64>,
    pub connect_timeout_ms: Option<u64>,
    pub rule_window_days: Option<u32>,
    pub rule_rows: Option<u32>,
    pub rule_query_rows: Option<u32>,
}

/// How a history is used, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub window_days: u32,
    pub busy_timeout: Duration,
    pub connect_timeout: Duration,
    pub rule_window_days: u32,
    pub rule_rows: u32,
    pub rule_query_rows: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            window_days: DEFAULT_WINDOW_DAYS,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            rule_window_days: DEFAULT_RULE_WINDOW_DAYS,
            rule_rows: DEFAULT_RULE_ROWS,
            rule_query_rows: DEFAULT_RULE_QUERY_ROWS,
        }
    }
}

impl HistoryConfig {
    pub fn settings(&self) -> Settings {
        let d = Settings::default();
        Settings {
            window_days: self.window_days.unwrap_or(d.window_days).max(1),
            busy_timeout: self
                .busy_timeout_ms
                .map_or(d.busy_timeout, Duration::from_millis),
            connect_timeout: self
                .connect_timeout_ms
                .map_or(d.connect_timeout, Duration::from_millis),
            rule_window_days: self.rule_window_days.unwrap_or(d.rule_window_days),
            rule_rows: self.rule_rows.unwrap_or(d.rule_rows),
            rule_query_rows: self.rule_query_rows.unwrap_or(d.rule_query_rows),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history {store}: {message}")]
    Open { store: String, message: String },
    #[error("history: {0}")]
    Query(String),
    /// Something the user gave does not fit (an import line, a fingerprint).
    #[error("{0}")]
    Usage(String),
}

/// Whether `spec` names a PostgreSQL database rather than a file.
pub fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// `spec` as reports and messages show it (a URL without its password).
pub fn label(spec: &str) -> String {
    if is_postgres(spec) {
        postgres::label(spec)
    } else {
        spec.to_owned()
    }
}

/// A finding as history knows it, added to the report's finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingHistory {
    /// Runs that recorded the finding (the same rule, kind and
    /// fingerprint) in the window, this run included.
    pub seen: u64,
    /// The first and last of those times (RFC 3339).
    pub first_seen: String,
    pub last_seen: String,
    pub window_days: u32,
    /// The days of the window (UTC) on which runs recorded it, oldest
    /// first, with how many runs did: what the HTML report draws as a
    /// sparkline.
    pub by_day: Vec<DaySeen>,
    /// For a failure: past failures most like it, the most alike first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub similar: Vec<SimilarIssue>,
    /// What to do, at most [`MAX_SUGGESTED`]: the actions that fixed
    /// findings of this kind before, the most effective first, then the
    /// rule's own. `augur feedback FINGERPRINT --action N` names one by its
    /// place here (from 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<SuggestedAction>,
}

/// Runs that recorded a finding on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySeen {
    /// `2026-11-18`.
    pub day: String,
    pub runs: u64,
}

impl FindingHistory {
    /// "seen 3× in 30 days, first on 2026-11-18", or "not seen before in
    /// 30 days" for a finding no earlier run in the window recorded.
    pub fn seen_line(&self) -> String {
        if self.seen <= 1 {
            format!("not seen before in {} days", self.window_days)
        } else {
            format!(
                "seen {}× in {} days, first on {}",
                self.seen,
                self.window_days,
                self.first_seen.get(..10).unwrap_or(&self.first_seen)
            )
        }
    }
}

impl SimilarIssue {
    /// " → fixed by: A; B" (each action through `shown`), or nothing.
    pub fn fixed_suffix(&self, shown: impl Fn(&str) -> String) -> String {
        if self.fixed_by.is_empty() {
            return String::new();
        }
        let actions: Vec<String> = self.fixed_by.iter().map(|a| shown(a)).collect();
        format!(" → fixed by: {}", actions.join("; "))
    }
}

/// A past failure like a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimilarIssue {
    /// `fingerprint` (the same failure), `causal_line` (the same kind and
    /// causal line in the same repository) or `causal_line_elsewhere`.
    pub matched: &'static str,
    pub at: String,
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub kind: String,
    pub title: String,
    pub fingerprint: String,
    /// The actions suggested for it that were marked fixed.
    pub fixed_by: Vec<String>,
}

/// An action a report suggests, with how often it worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedAction {
    pub action: String,
    /// `history` (it fixed findings of this kind before) or `rule`.
    pub source: &'static str,
    /// Times it was suggested for this kind before, and marked fixed.
    pub suggested: u64,
    pub fixed: u64,
    /// `fixed` / `suggested`, in percent (rounded down); absent when never
    /// suggested before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effectiveness: Option<u64>,
}

/// What recording a run told the report.
#[derive(Debug, Clone, Default)]
pub struct Recall {
    /// One per finding of the run, in the report's order.
    pub findings: Vec<FindingHistory>,
    /// Suggestions of earlier failures marked fixed because this run saw
    /// the same job succeed.
    pub resolved: u64,
}

/// What pruning removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: u64,
    pub findings: u64,
}

/// A hand-given outcome of a suggested action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Fixed,
    NotFixed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fixed => "fixed",
            Outcome::NotFixed => "not_fixed",
        }
    }
}

/// A history store, open and at the latest schema.
pub struct History {
    db: Box<dyn Db>,
    label: String,
    settings: Settings,
}

impl History {
    /// Opens `spec` (a SQLite file or a `postgres://` URL), creating and
    /// migrating it as needed.
    pub fn open(spec: &str, settings: Settings) -> Result<History, HistoryError> {
        Self::open_at(spec, settings, schema::latest())
    }

    /// Opens `spec` migrated only up to `version` (tests of the migrations).
    fn open_at(spec: &str, settings: Settings, version: i64) -> Result<History, HistoryError> {
        let label = label(spec);
        let mut db: Box<dyn Db> = if is_postgres(spec) {
            Box::new(postgres::Postgres::connect(spec, settings.connect_timeout)?)
        } else {
            Box::new(sqlite::Sqlite::open(
                Path::new(spec),
                settings.busy_timeout,
            )?)
        };
        schema::migrate(db.as_mut(), &label, version)?;
        Ok(History {
            db,
            label,
            settings,
        })
    }

    /// Where the history is, as it may be shown.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The schema version the store is at.
    pub fn schema_version(&mut self) -> Result<i64, HistoryError> {
        schema::version(self.db.as_mut())
    }

    /// Records `run` and says what history knows of each of its findings,
    /// in one transaction: a run is recorded whole or not at all.
    ///
    /// A job of the run that passed, with the same repository and job name
    /// (or stage) as an earlier job whose latest record failed, marks the
    /// actions suggested for that failure `fixed`.
    pub fn record(&mut self, run: &RunRecord) -> Result<Recall, HistoryError> {
        let window = self.settings.window_days;
        transaction(self.db.as_mut(), |db| {
            insert_run(db, run)?;
            let resolved = resolve_passed_jobs(db, run)?;
            let findings = recall(db, run, window)?;
            insert_suggestions(db, run, &findings)?;
            pause_for_tests();
            Ok(Recall { findings, resolved })
        })
    }

    /// Removes the runs recorded before `before` (seconds since the epoch),
    /// with their inputs, findings and suggestions.
    pub fn prune(&mut self, before: i64) -> Result<Pruned, HistoryError> {
        transaction(self.db.as_mut(), |db| {
            let findings = count(
                db,
                "SELECT COUNT(*) FROM augur_findings WHERE run_id IN (SELECT id FROM augur_runs WHERE at < ?)",
                &[before.into()],
            )?;
            for table in ["augur_suggestions", "augur_findings", "augur_inputs"] {
                db.execute(
                    &format!(
                        "DELETE FROM {table} WHERE run_id IN (SELECT id FROM augur_runs WHERE at < ?)"
                    ),
                    &[before.into()],
                )?;
            }
            let runs = db.execute("DELETE FROM augur_runs WHERE at < ?", &[before.into()])?;
            Ok(Pruned { runs, findings })
        })
    }

    /// Records by hand what came of action `number` (from 1, as the report
    /// numbers them) suggested for the latest finding with `fingerprint`.
    /// Returns the action.
    pub fn feedback(
        &mut self,
        fingerprint: &str,
        number: usize,
        outcome: Outcome,
        at: i64,
    ) -> Result<String, HistoryError> {
        transaction(self.db.as_mut(), |db| {
            let latest = db.query(
                "SELECT run_id, idx FROM augur_findings WHERE fingerprint = ? \
                 ORDER BY at DESC, run_id DESC, idx DESC LIMIT 1",
                &[fingerprint.into()],
            )?;
            let Some(row) = latest.first() else {
                return Err(HistoryError::Usage(format!(
                    "no finding with fingerprint `{fingerprint}` in the history"
                )));
            };
            let (run_id, finding) = (row[0].string(), row[1].int().unwrap_or(0));
            let actions = db.query(
                "SELECT idx, action FROM augur_suggestions WHERE run_id = ? AND finding = ? ORDER BY idx",
                &[(&run_id).into(), finding.into()],
            )?;
            let Some(chosen) = number.checked_sub(1).and_then(|i| actions.get(i)) else {
                let listed: Vec<String> = actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| format!("{}. {}", i + 1, a[1].string()))
                    .collect();
                return Err(HistoryError::Usage(if listed.is_empty() {
                    format!("the finding `{fingerprint}` was recorded with no suggested action")
                } else {
                    format!(
                        "--action {number}: the finding `{fingerprint}` was suggested {} action{}: {}",
                        listed.len(),
                        if listed.len() == 1 { "" } else { "s" },
                        listed.join("; ")
                    )
                }));
            };
            db.execute(
                "UPDATE augur_suggestions SET outcome = ?, resolved_at = ?, resolved_by = 'manual' \
                 WHERE run_id = ? AND finding = ? AND idx = ?",
                &[
                    outcome.as_str().into(),
                    at.into(),
                    (&run_id).into(),
                    finding.into(),
                    chosen[0].clone(),
                ],
            )?;
            Ok(chosen[1].string())
        })
    }

    /// How many runs and findings the store holds.
    pub fn counts(&mut self) -> Result<(u64, u64), HistoryError> {
        let db = self.db.as_mut();
        Ok((
            count(db, "SELECT COUNT(*) FROM augur_runs", &[])?,
            count(db, "SELECT COUNT(*) FROM augur_findings", &[])?,
        ))
    }
}

/// The end-to-end tests kill augur in the middle of recording a run: in a
/// debug build, `AUGUR_TEST_HISTORY_PAUSE=FILE` makes the recording write
/// FILE and wait before it commits. Release builds have no such pause.
fn pause_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(marker) = std::env::var_os("AUGUR_TEST_HISTORY_PAUSE") {
        let _ = std::fs::write(marker, b"recording");
        std::thread::sleep(Duration::from_secs(120));
    }
}

fn count(db: &mut dyn Db, sql: &str, params: &[Val]) -> Result<u64, HistoryError> {
    let rows = db.query(sql, params)?;
    Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0).max(0) as u64)
}

/// Seconds since the epoch as RFC 3339 (`2026-11-20T14:00:00Z`).
/// The UTC date of `at`: `2026-11-18`.
fn utc_day(at: i64) -> String {
    let mut day = rfc3339(at);
    day.truncate(10);
    day
}

pub fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| at.to_string())
}

fn insert_run(db: &mut dyn Db, run: &RunRecord) -> Result<(), HistoryError> {
    db.execute(
        "INSERT INTO augur_runs (id, at, pack, pack_digest, augur_version, inputs, findings) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            (&run.id).into(),
            run.at.into(),
            (&run.pack).into(),
            (&run.pack_digest).into(),
            (&run.augur_version).into(),
            (run.inputs.len() as i64).into(),
            (run.findings.len() as i64).into(),
        ],
    )?;
    for (i, input) in run.inputs.iter().enumerate() {
        db.execute(
            "INSERT INTO augur_inputs (run_id, idx, at, name, kind, repo, job, stage, task_kind, \
             exit_code, outcome, last_snapshot_at, job_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                (&run.id).into(),
                (i as i64).into(),
                run.at.into(),
                (&input.name).into(),
                input.kind.as_str().into(),
                (&input.repo).into(),
                (&input.job).into(),
                (&input.stage).into(),
                (&input.task_kind).into(),
                input.exit_code.into(),
                input.outcome.map(|o| o.as_str()).into(),
                input.last_snapshot_at.into(),
                input.job_key().as_deref().into(),
            ],
        )?;
    }
    for (i, f) in run.findings.iter().enumerate() {
        db.execute(
            "INSERT INTO augur_findings (run_id, idx, at, rule, kind, severity, fingerprint, input, \
             repo, title, evidence, causal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                (&run.id).into(),
                (i as i64).into(),
                run.at.into(),
                (&f.rule).into(),
                (&f.kind).into(),
                (&f.severity).into(),
                (&f.fingerprint).into(),
                (&f.input).into(),
                (&f.repo).into(),
                (&f.title).into(),
                serde_json::to_string(&f.evidence)
                    .expect("evidence serializes")
                    .as_str()
                    .into(),
                (&f.causal).into(),
            ],
        )?;
    }
    Ok(())
}

/// The actions each finding was suggested (recorded ones, for an imported
/// run; else what this run's report suggests).
fn insert_suggestions(
    db: &mut dyn Db,
    run: &RunRecord,
    recalled: &[FindingHistory],
) -> Result<(), HistoryError> {
    for (i, f) in run.findings.iter().enumerate() {
        let suggested: Vec<ActionRecord> = match recalled.get(i) {
            Some(h) => h
                .actions
                .iter()
                .map(|a| ActionRecord::new(&a.action))
                .collect(),
            None => f.actions.clone(),
        };
        for (n, a) in suggested.iter().enumerate() {
            db.execute(
                "INSERT INTO augur_suggestions (run_id, finding, idx, kind, action, outcome, \
                 resolved_at, resolved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[
                    (&run.id).into(),
                    (i as i64).into(),
                    (n as i64).into(),
                    (&f.kind).into(),
                    (&a.action).into(),
                    (&a.outcome).into(),
                    a.resolved_at.into(),
                    (&a.resolved_by).into(),
                ],
            )?;
        }
    }
    Ok(())
}

/// Marks fixed the suggestions of the last failure of each job this run saw
/// pass. Returns how many were marked.
fn resolve_passed_jobs(db: &mut dyn Db, run: &RunRecord) -> Result<u64, HistoryError> {
    let mut resolved = 0;
    for input in &run.inputs {
        if input.outcome != Some(record::JobOutcome::Passed) {
            continue;
        }
        let Some(key) = input.job_key() else {
            continue;
        };
        let last = db.query(
            "SELECT run_id, name, outcome FROM augur_inputs WHERE job_key = ? AND at < ? \
             ORDER BY at DESC, run_id DESC LIMIT 1",
            &[key.as_str().into(), run.at.into()],
        )?;
        let Some(last) = last.first() else { continue };
        if last[2].text() != Some(record::JobOutcome::Failed.as_str()) {
            continue;
        }
        resolved += db.execute(
            "UPDATE augur_suggestions SET outcome = 'fixed', resolved_at = ?, resolved_by = 'auto' \
             WHERE outcome IS NULL AND run_id = ? AND finding IN \
             (SELECT idx FROM augur_findings WHERE run_id = ? AND input = ?)",
            &[
                run.at.into(),
                last[0].clone(),
                last[0].clone(),
                last[1].clone(),
            ],
        )?;
    }
    Ok(resolved)
}

/// What history knows of each finding of `run` (already inserted).
fn recall(
    db: &mut dyn Db,
    run: &RunRecord,
    window_days: u32,
) -> Result<Vec<FindingHistory>, HistoryError> {
    let since = run.at - i64::from(window_days) * DAY;
    type Seen = (u64, i64, i64, Vec<DaySeen>);
    let mut seen_cache: HashMap<(&str, &str, &str), Seen> = HashMap::new();
    let mut actions_cache: HashMap<&str, Vec<(String, u64, u64)>> = HashMap::new();
    let mut out = Vec::with_capacity(run.findings.len());
    for f in &run.findings {
        let key = (f.rule.as_str(), f.kind.as_str(), f.fingerprint.as_str());
        if let std::collections::hash_map::Entry::Vacant(entry) = seen_cache.entry(key) {
            // A run has one time, so the runs of each day add up to the
            // runs of the window.
            let rows = db.query(
                "SELECT at / 86400, COUNT(DISTINCT run_id), MIN(at), MAX(at) FROM augur_findings \
                 WHERE fingerprint = ? AND rule = ? AND kind = ? AND at > ? AND at <= ? \
                 GROUP BY at / 86400 ORDER BY at / 86400",
                &[
                    (&f.fingerprint).into(),
                    (&f.rule).into(),
                    (&f.kind).into(),
                    since.into(),
                    run.at.into(),
                ],
            )?;
            let mut v: Seen = (0, run.at, run.at, Vec::with_capacity(rows.len()));
            for (i, row) in rows.iter().enumerate() {
                let runs = row[1].int().unwrap_or(0).max(0) as u64;
                let (first, last) = (
                    row[2].int().unwrap_or(run.at),
                    row[3].int().unwrap_or(run.at),
                );
                if i == 0 {
                    v.1 = first;
                }
                v.2 = last;
                v.0 += runs;
                v.3.push(DaySeen {
                    day: utc_day(row[0].int().unwrap_or(0) * DAY),
                    runs,
                });
            }
            entry.insert(v);
        }
        let (seen, first, last, by_day) = seen_cache[&key].clone();
        let similar = if f.kind.starts_with("failure/") {
            similar(db, run, f)?
        } else {
            Vec::new()
        };
        if !actions_cache.contains_key(f.kind.as_str()) {
            let stats = effectiveness(db, &f.kind)?;
            actions_cache.insert(&f.kind, stats);
        }
        let actions = suggest(&actions_cache[f.kind.as_str()], &f.actions);
        out.push(FindingHistory {
            seen,
            first_seen: rfc3339(first),
            last_seen: rfc3339(last),
            window_days,
            by_day,
            similar,
            actions,
        });
    }
    Ok(out)
}

/// Each action suggested for `kind` before: how often, and how often it was
/// marked fixed. (The run being recorded has no suggestions yet: they are
/// what this decides.)
fn effectiveness(db: &mut dyn Db, kind: &str) -> Result<Vec<(String, u64, u64)>, HistoryError> {
    let rows = db.query(
        "SELECT action, COUNT(*), SUM(CASE WHEN outcome = 'fixed' THEN 1 ELSE 0 END) \
         FROM augur_suggestions WHERE kind = ? GROUP BY action",
        &[kind.into()],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r[0].string(),
                r[1].int().unwrap_or(0).max(0) as u64,
                r[2].int().unwrap_or(0).max(0) as u64,
            )
        })
        .collect())
}

/// The actions to suggest: those that fixed this kind before, the most
/// effective first (then the most often fixed, then by text), then the
/// rule's own, at most [`MAX_SUGGESTED`] in all.
fn suggest(stats: &[(String, u64, u64)], own: &[ActionRecord]) -> Vec<SuggestedAction> {
    let with_stats = |action: &str, source: &'static str| {
        let (suggested, fixed) = stats
            .iter()
            .find(|(a, ..)| a == action)
            .map_or((0, 0), |(_, s, f)| (*s, *f));
        SuggestedAction {
            action: action.to_owned(),
            source,
            suggested,
            fixed,
            effectiveness: (suggested > 0).then(|| fixed * 100 / suggested),
        }
    };
    let mut proven: Vec<&(String, u64, u64)> = stats.iter().filter(|(_, _, f)| *f > 0).collect();
    proven.sort_by(|a, b| {
        // fixed/suggested, compared without division
        (b.2 * a.1)
            .cmp(&(a.2 * b.1))
            .then(b.2.cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
    let mut out: Vec<SuggestedAction> = Vec::new();
    for (action, ..) in proven {
        out.push(with_stats(action, "history"));
    }
    for a in own {
        if !out.iter().any(|s| s.action == a.action) {
            out.push(with_stats(&a.action, "rule"));
        }
    }
    out.truncate(MAX_SUGGESTED);
    out
}

/// Past failures like `f`: the same fingerprint (and rule), then the same kind and
/// causal line in the same repository, then elsewhere.
fn similar(
    db: &mut dyn Db,
    run: &RunRecord,
    f: &FindingRecord,
) -> Result<Vec<SimilarIssue>, HistoryError> {
    const COLUMNS: &str = "run_id, idx, at, input, repo, kind, title, fingerprint";
    let mut found: Vec<(&'static str, db::Row)> = Vec::new();
    let limit = MAX_SIMILAR as i64;
    let same = db.query(
        &format!(
            "SELECT {COLUMNS} FROM augur_findings WHERE fingerprint = ? AND rule = ? AND kind = ? \
             AND run_id <> ? AND at <= ? ORDER BY at DESC, run_id DESC, idx LIMIT ?"
        ),
        &[
            (&f.fingerprint).into(),
            (&f.rule).into(),
            (&f.kind).into(),
            (&run.id).into(),
            run.at.into(),
            limit.into(),
        ],
    )?;
    found.extend(same.into_iter().map(|r| ("fingerprint", r)));
    if let Some(causal) = &f.causal {
        if let Some(repo) = &f.repo {
            let rows = db.query(
                &format!(
                    "SELECT {COLUMNS} FROM augur_findings WHERE kind = ? AND causal = ? AND repo = ? \
                     AND fingerprint <> ? AND run_id <> ? AND at <= ? \
                     ORDER BY at DESC, run_id DESC, idx LIMIT ?"
                ),
                &[
                    (&f.kind).into(),
                    causal.into(),
                    repo.into(),
                    (&f.fingerprint).into(),
                    (&run.id).into(),
                    run.at.into(),
                    limit.into(),
                ],
            )?;
            found.extend(rows.into_iter().map(|r| ("causal_line", r)));
        }
        let rows = db.query(
            &format!(
                "SELECT {COLUMNS} FROM augur_findings WHERE kind = ? AND causal = ? \
                 AND (repo IS NULL OR repo <> ?) AND fingerprint <> ? AND run_id <> ? AND at <= ? \
                 ORDER BY at DESC, run_id DESC, idx LIMIT ?"
            ),
            &[
                (&f.kind).into(),
                causal.into(),
                f.repo.as_deref().unwrap_or("").into(),
                (&f.fingerprint).into(),
                (&run.id).into(),
                run.at.into(),
                limit.into(),
            ],
        )?;
        found.extend(rows.into_iter().map(|r| ("causal_line_elsewhere", r)));
    }
    found.truncate(MAX_SIMILAR);
    let mut out = Vec::with_capacity(found.len());
    for (matched, r) in found {
        let fixed = db.query(
            "SELECT action FROM augur_suggestions WHERE run_id = ? AND finding = ? \
             AND outcome = 'fixed' ORDER BY idx",
            &[r[0].clone(), r[1].clone()],
        )?;
        out.push(SimilarIssue {
            matched,
            at: rfc3339(r[2].int().unwrap_or(0)),
            input: r[3].string(),
            repo: r[4].text().map(str::to_owned),
            kind: r[5].string(),
            title: r[6].string(),
            fingerprint: r[7].string(),
            fixed_by: fixed.iter().map(|a| a[0].string()).collect(),
        });
    }
    Ok(out)
}
