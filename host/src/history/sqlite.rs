//! The embedded history: one SQLite file, in WAL mode, so that readers never
//! wait and writers (several augur processes on one machine) take turns
//! within the busy timeout.

use std::{path::Path, time::Duration};

use rusqlite::{Connection, OpenFlags, types::Value as SqlValue};

use super::{
    Backend, HistoryError,
    db::{Db, Row, Val},
};

pub(crate) struct Sqlite {
    conn: Connection,
}

/// Switches the database to WAL and says which mode it is in. Processes
/// that open a new database at once race for the switch, and SQLite answers
/// the losers "busy" without waiting (waiting could deadlock): they try
/// again, within the busy timeout.
fn wal_mode(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + busy_timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl Sqlite {
    /// Opens (or creates) the history at `path`, creating its directory.
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Sqlite, HistoryError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| HistoryError::Open {
                store: shown.clone(),
                message: format!("cannot create its directory: {e}"),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open_error = |e: rusqlite::Error| HistoryError::Open {
            store: shown.clone(),
            message: e.to_string(),
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(busy_timeout).map_err(open_error)?;
        // WAL: a crash (or kill -9) loses at most the transaction under way,
        // never a committed run; NORMAL sync is durable in WAL mode except
        // against power loss, where the last runs may be lost whole.
        let mode = wal_mode(&conn, busy_timeout).map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(HistoryError::Open {
                store: shown,
                message: format!(
                    "the database cannot use write-ahead logging (journal mode `{mode}`): \
                     put the history on a local file system"
                ),
            });
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(open_error)?;
        Ok(Sqlite { conn })
    }
}

fn error(e: rusqlite::Error) -> HistoryError {
    HistoryError::Query(e.to_string())
}

fn to_sql(v: &Val) -> SqlValue {
    match v {
        Val::Int(Some(i)) => SqlValue::Integer(*i),
        Val::Text(Some(s)) => SqlValue::Text(s.clone()),
        Val::Int(None) | Val::Text(None) => SqlValue::Null,
    }
}

impl Db for Sqlite {
    fn begin(&mut self) -> Result<(), HistoryError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(error)
    }

    fn commit(&mut self) -> Result<(), HistoryError> {
        self.conn.execute_batch("COMMIT").map_err(error)
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, HistoryError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(error)?;
        let changed = statement
            .execute(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(error)?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, HistoryError> {
        let mut statement = self.conn.prepare_cached(sql).map_err(error)?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params.iter().map(to_sql)))
            .map_err(error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i).map_err(error)? {
                    rusqlite::types::ValueRef::Integer(n) => Val::Int(Some(n)),
                    rusqlite::types::ValueRef::Text(t) => {
                        Val::Text(Some(String::from_utf8_lossy(t).into_owned()))
                    }
                    rusqlite::types::ValueRef::Null => Val::Text(None),
                    other => {
                        return Err(HistoryError::Query(format!(
                            "unexpected {:?} value in column {i}",
                            other.data_type()
                        )));
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), HistoryError> {
        self.conn.execute_batch(sql).map_err(error)
    }

    fn lock_for_migration(&mut self) -> Result<(), HistoryError> {
        Ok(()) // BEGIN IMMEDIATE holds the database's write lock
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }
}
