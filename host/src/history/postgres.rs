//! The shared history: a PostgreSQL database that every CI runner of an
//! organisation writes to, so that each run sees the others'.

use std::{collections::HashMap, str::FromStr as _, time::Duration};

use postgres::{Client, Config, NoTls, Statement, types::ToSql, types::Type};

use super::{
    Backend, HistoryError,
    db::{Db, Row, Val, numbered},
};

/// A key of PostgreSQL's advisory locks that only augur's migrations take.
const MIGRATION_LOCK: i64 = 0x6175_6775_725f_6869; // "augur_hi"

pub(crate) struct Postgres {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// `url` as it may be shown: without its password.
pub(crate) fn label(url: &str) -> String {
    let Ok(config) = Config::from_str(url) else {
        return "postgres://…".into();
    };
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}{port}/{db}")
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/db?...`). Without a
    /// `connect_timeout` in the URL, `connect_timeout` is used.
    pub(crate) fn connect(url: &str, connect_timeout: Duration) -> Result<Postgres, HistoryError> {
        let open_error = |message: String| HistoryError::Open {
            store: label(url),
            message,
        };
        let mut config = Config::from_str(url)
            .map_err(|e| open_error(format!("not a PostgreSQL connection URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("augur");
        }
        let client = config
            .connect(NoTls)
            .map_err(|e| open_error(describe(&e)))?;
        Ok(Postgres {
            client,
            statements: HashMap::new(),
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, HistoryError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self
            .client
            .prepare(&numbered(sql))
            .map_err(|e| HistoryError::Query(describe(&e)))?;
        self.statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }
}

/// The server's own message when there is one (`relation ... does not
/// exist`), else the client's.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

fn error(e: postgres::Error) -> HistoryError {
    HistoryError::Query(describe(&e))
}

fn params(values: &[Val]) -> Vec<Box<dyn ToSql + Sync>> {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

impl Db for Postgres {
    fn begin(&mut self) -> Result<(), HistoryError> {
        self.client.batch_execute("BEGIN").map_err(error)
    }

    fn commit(&mut self) -> Result<(), HistoryError> {
        self.client.batch_execute("COMMIT").map_err(error)
    }

    fn rollback(&mut self) {
        let _ = self.client.batch_execute("ROLLBACK");
    }

    fn execute(&mut self, sql: &str, values: &[Val]) -> Result<u64, HistoryError> {
        let statement = self.statement(sql)?;
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        self.client.execute(&statement, &refs).map_err(error)
    }

    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Row>, HistoryError> {
        let statement = self.statement(sql)?;
        let owned = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(&statement, &refs).map_err(error)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        Ok(if *ty == Type::INT8 {
                            Val::Int(row.try_get::<_, Option<i64>>(i).map_err(error)?)
                        } else if *ty == Type::INT4 {
                            Val::Int(
                                row.try_get::<_, Option<i32>>(i)
                                    .map_err(error)?
                                    .map(i64::from),
                            )
                        } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                            Val::Text(row.try_get::<_, Option<String>>(i).map_err(error)?)
                        } else {
                            return Err(HistoryError::Query(format!(
                                "unexpected column type {ty} in `{sql}`"
                            )));
                        })
                    })
                    .collect()
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), HistoryError> {
        self.client.batch_execute(sql).map_err(error)
    }

    fn lock_for_migration(&mut self) -> Result<(), HistoryError> {
        self.client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map(|_| ())
            .map_err(error)
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }
}
