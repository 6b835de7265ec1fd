//! What the history needs of a database, and no more: statements with
//! positional parameters (`?`), rows of integers and text, and a write
//! transaction. Both backends implement it, so every query of the history
//! is written once, in the SQL both understand.

use super::HistoryError;

/// A parameter or a column: every value the history stores is an integer
/// or a text, either of which may be NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Val {
    pub(crate) fn int(&self) -> Option<i64> {
        match self {
            Val::Int(v) => *v,
            Val::Text(_) => None,
        }
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Val::Text(v) => v.as_deref(),
            Val::Int(_) => None,
        }
    }

    /// The text of a NOT NULL text column.
    pub(crate) fn string(&self) -> String {
        self.text().unwrap_or_default().to_owned()
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(Some(v))
    }
}

impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::Int(v)
    }
}

impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(Some(v.clone()))
    }
}

impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Val {
        Val::Text(v.map(str::to_owned))
    }
}

impl From<&Option<String>> for Val {
    fn from(v: &Option<String>) -> Val {
        Val::Text(v.clone())
    }
}

pub(crate) type Row = Vec<Val>;

/// A connection to one history database.
pub(crate) trait Db: Send {
    /// Starts a transaction that will write: it waits for other writers
    /// (SQLite's `BEGIN IMMEDIATE`, within the busy timeout).
    fn begin(&mut self) -> Result<(), HistoryError>;
    fn commit(&mut self) -> Result<(), HistoryError>;
    fn rollback(&mut self);
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64, HistoryError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, HistoryError>;
    /// Runs several statements without parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<(), HistoryError>;
    /// Waits for any other process migrating the same database, inside the
    /// current transaction (SQLite's write lock already does).
    fn lock_for_migration(&mut self) -> Result<(), HistoryError>;
    fn backend(&self) -> super::Backend;
}

/// Runs `work` in a write transaction: committed when it returns `Ok`,
/// rolled back otherwise.
pub(crate) fn transaction<T>(
    db: &mut dyn Db,
    work: impl FnOnce(&mut dyn Db) -> Result<T, HistoryError>,
) -> Result<T, HistoryError> {
    db.begin()?;
    match work(db) {
        Ok(value) => {
            db.commit()?;
            Ok(value)
        }
        Err(e) => {
            db.rollback();
            Err(e)
        }
    }
}

/// `?` placeholders numbered as Postgres wants them (`$1`, `$2`, ...). The
/// history's SQL holds no `?` inside a literal.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
