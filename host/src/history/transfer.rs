//! `augur history export` and `import`: the history as JSON Lines, one run
//! per line (its inputs, findings and the outcomes of their suggestions),
//! oldest first. An import adds the runs a store does not hold yet (by run
//! id), so importing the same file twice changes nothing.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{
    History, HistoryError,
    db::{Db, Val, transaction},
    insert_run, insert_suggestions,
    record::{ActionRecord, FindingRecord, InputKind, InputRecord, JobOutcome, RunRecord},
};

/// The version of the export line's format.
pub const EXPORT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    version: u32,
    run: RunRecord,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub runs: u64,
    /// Runs the store held already.
    pub skipped: u64,
}

impl History {
    /// Writes every run, oldest first; the number written.
    pub fn export(&mut self, out: &mut dyn Write) -> Result<u64, HistoryError> {
        let db = self.db.as_mut();
        let runs = db.query(
            "SELECT id, at, pack, pack_digest, augur_version FROM augur_runs ORDER BY at, id",
            &[],
        )?;
        let write_error = |e: std::io::Error| HistoryError::Usage(format!("cannot write: {e}"));
        for r in &runs {
            let run = read_run(db, r)?;
            let line = serde_json::to_string(&Line {
                version: EXPORT_VERSION,
                run,
            })
            .expect("a run serializes");
            writeln!(out, "{line}").map_err(write_error)?;
        }
        out.flush().map_err(write_error)?;
        Ok(runs.len() as u64)
    }

    /// Adds the runs of an export that the store does not hold, in one
    /// transaction: a bad line (named by its number) imports nothing.
    pub fn import(
        &mut self,
        input: &mut dyn BufRead,
        name: &str,
    ) -> Result<Imported, HistoryError> {
        let mut runs = Vec::new();
        for (n, line) in input.lines().enumerate() {
            let line = line.map_err(|e| HistoryError::Usage(format!("{name}: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let parsed: Line = serde_json::from_str(&line).map_err(|e| {
                HistoryError::Usage(format!(
                    "{name}:{}: not a line of `augur history export`: {e}",
                    n + 1
                ))
            })?;
            if parsed.version != EXPORT_VERSION {
                return Err(HistoryError::Usage(format!(
                    "{name}:{}: export version {}, this augur reads {EXPORT_VERSION}",
                    n + 1,
                    parsed.version
                )));
            }
            runs.push(parsed.run);
        }
        let done = transaction(self.db.as_mut(), |db| {
            let mut done = Imported::default();
            for run in &runs {
                let known =
                    db.query("SELECT 1 FROM augur_runs WHERE id = ?", &[(&run.id).into()])?;
                if !known.is_empty() {
                    done.skipped += 1;
                    continue;
                }
                insert_run(db, run)?;
                insert_suggestions(db, run, &[])?;
                done.runs += 1;
            }
            Ok(done)
        })?;
        // Statistics for the query planner, after what may be most of the
        // store's rows (on PostgreSQL, autovacuum would get there later).
        if done.runs > 0 {
            self.db.batch("ANALYZE")?;
        }
        Ok(done)
    }
}

fn read_run(db: &mut dyn Db, r: &[Val]) -> Result<RunRecord, HistoryError> {
    let id = r[0].string();
    let inputs = db
        .query(
            "SELECT name, kind, repo, job, stage, task_kind, exit_code, outcome, last_snapshot_at \
             FROM augur_inputs WHERE run_id = ? ORDER BY idx",
            &[(&id).into()],
        )?
        .into_iter()
        .map(|i| InputRecord {
            name: i[0].string(),
            kind: if i[1].text() == Some("series") {
                InputKind::Series
            } else {
                InputKind::Job
            },
            repo: i[2].text().map(str::to_owned),
            job: i[3].text().map(str::to_owned),
            stage: i[4].text().map(str::to_owned),
            task_kind: i[5].text().map(str::to_owned),
            exit_code: i[6].int(),
            outcome: match i[7].text() {
                Some("failed") => Some(JobOutcome::Failed),
                Some("passed") => Some(JobOutcome::Passed),
                _ => None,
            },
            last_snapshot_at: i[8].int(),
        })
        .collect();
    let mut findings = Vec::new();
    for f in db.query(
        "SELECT idx, rule, kind, severity, fingerprint, input, repo, title, evidence, causal \
         FROM augur_findings WHERE run_id = ? ORDER BY idx",
        &[(&id).into()],
    )? {
        let actions = db
            .query(
                "SELECT action, outcome, resolved_at, resolved_by FROM augur_suggestions \
                 WHERE run_id = ? AND finding = ? ORDER BY idx",
                &[(&id).into(), f[0].clone()],
            )?
            .into_iter()
            .map(|a| ActionRecord {
                action: a[0].string(),
                outcome: a[1].text().map(str::to_owned),
                resolved_at: a[2].int(),
                resolved_by: a[3].text().map(str::to_owned),
            })
            .collect();
        findings.push(FindingRecord {
            rule: f[1].string(),
            kind: f[2].string(),
            severity: f[3].string(),
            fingerprint: f[4].string(),
            input: f[5].string(),
            repo: f[6].text().map(str::to_owned),
            title: f[7].string(),
            evidence: serde_json::from_str(f[8].text().unwrap_or("[]")).unwrap_or_default(),
            causal: f[9].text().map(str::to_owned),
            actions,
        });
    }
    Ok(RunRecord {
        id,
        at: r[1].int().unwrap_or(0),
        pack: r[2].string(),
        pack_digest: r[3].string(),
        augur_version: r[4].string(),
        inputs,
        findings,
    })
}
