//! The history's schema, as a list of migrations. A database records the
//! version it is at (`augur_schema`); opening it applies the migrations it
//! lacks, in one transaction, so that a database is always at one version
//! whatever process opened it first. A database at a version newer than
//! this augur knows is refused: an older augur must not write to it.
//!
//! To change the schema, append a migration; never edit one that shipped.
//! The SQL is written once for both backends (BIGINT and TEXT columns,
//! `ON CONFLICT`, no backend-specific types).

use super::{
    HistoryError,
    db::{Db, Val, transaction},
};

/// One step of the schema.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "runs, their inputs and findings, and the actions suggested",
    sql: r"
CREATE TABLE augur_runs (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    pack TEXT NOT NULL,
    pack_digest TEXT NOT NULL,
    augur_version TEXT NOT NULL,
    inputs BIGINT NOT NULL,
    findings BIGINT NOT NULL
);
CREATE INDEX augur_runs_at ON augur_runs (at);

CREATE TABLE augur_inputs (
    run_id TEXT NOT NULL REFERENCES augur_runs (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    at BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    repo TEXT,
    job TEXT,
    stage TEXT,
    task_kind TEXT,
    exit_code BIGINT,
    outcome TEXT,
    last_snapshot_at BIGINT,
    job_key TEXT,
    PRIMARY KEY (run_id, idx)
);
CREATE INDEX augur_inputs_job ON augur_inputs (job_key, at);

CREATE TABLE augur_findings (
    run_id TEXT NOT NULL REFERENCES augur_runs (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    at BIGINT NOT NULL,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    input TEXT NOT NULL,
    repo TEXT,
    title TEXT NOT NULL,
    evidence TEXT NOT NULL,
    causal TEXT,
    PRIMARY KEY (run_id, idx)
);
CREATE INDEX augur_findings_seen ON augur_findings (fingerprint, rule, kind, at);
CREATE INDEX augur_findings_causal ON augur_findings (kind, causal, at);
CREATE INDEX augur_findings_causal_repo ON augur_findings (kind, causal, repo, at);
CREATE INDEX augur_findings_at ON augur_findings (at);

CREATE TABLE augur_suggestions (
    run_id TEXT NOT NULL,
    finding BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT,
    resolved_at BIGINT,
    resolved_by TEXT,
    PRIMARY KEY (run_id, finding, idx),
    FOREIGN KEY (run_id, finding) REFERENCES augur_findings (run_id, idx) ON DELETE CASCADE
);
CREATE INDEX augur_suggestions_kind ON augur_suggestions (kind, action, outcome);
",
}];

/// The version this augur writes.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The database's version (0 for an empty one).
pub(crate) fn version(db: &mut dyn Db) -> Result<i64, HistoryError> {
    db.batch("CREATE TABLE IF NOT EXISTS augur_schema (version BIGINT NOT NULL)")?;
    let rows = db.query("SELECT MAX(version) FROM augur_schema", &[])?;
    Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
}

/// Brings the database to `target` (the latest version, except in tests of
/// the migrations themselves).
pub(crate) fn migrate(db: &mut dyn Db, store: &str, target: i64) -> Result<(), HistoryError> {
    transaction(db, |db| {
        db.lock_for_migration()?;
        let current = version(db)?;
        if current > latest() {
            return Err(HistoryError::Open {
                store: store.to_owned(),
                message: format!(
                    "the history is at schema version {current}, newer than this augur's {}: \
                     upgrade augur (or give another --history)",
                    latest()
                ),
            });
        }
        for m in MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= target)
        {
            db.batch(m.sql).map_err(|e| {
                HistoryError::Query(format!("migration {} ({}): {e}", m.version, m.description))
            })?;
            db.execute("DELETE FROM augur_schema", &[])?;
            db.execute(
                "INSERT INTO augur_schema (version) VALUES (?)",
                &[Val::from(m.version)],
            )?;
        }
        Ok(())
    })
}
