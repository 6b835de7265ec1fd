//! Past runs' findings, for a correlator exported with
//! [`export_history_correlator!`](crate::export_history_correlator)
//! (contract 0.1.4).
//!
//! Inside augur, [`query`] asks the host, which filters the findings of the
//! history store it read before the run (the run's own findings are the
//! correlator's input, not rows here). Natively, in a rule's unit tests,
//! it answers with what [`set_native`] installed, or "no history".

use std::cell::RefCell;

use crate::Severity;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Kinds that start with this (`failure/`); empty for every kind.
    pub kind_prefix: String,
    /// Only this repository's findings.
    pub repo: Option<String>,
    /// Runs of the last `window_days` days before this run.
    pub window_days: u32,
    /// At most this many rows (the host caps it too).
    pub limit: u32,
}

/// A finding a past run recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastFinding {
    /// When its run ran, RFC 3339.
    pub at: String,
    pub rule: String,
    pub kind: String,
    pub severity: Severity,
    pub fingerprint: String,
    pub input: String,
    pub repo: Option<String>,
    pub title: String,
    /// Its first evidence line, numbers and ids masked.
    pub causal: Option<String>,
}

/// The answer to a [`HistoryQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryRows {
    /// False when the run records no history.
    pub available: bool,
    /// The newest first.
    pub rows: Vec<PastFinding>,
    /// More rows matched than were returned.
    pub truncated: bool,
}

type Answer = fn(&HistoryQuery) -> HistoryRows;

/// Answers given to a native test's queries.
pub type NativeAnswer = Box<dyn Fn(&HistoryQuery) -> HistoryRows>;

static HOST: std::sync::OnceLock<Answer> = std::sync::OnceLock::new();

thread_local! {
    static NATIVE: RefCell<Option<NativeAnswer>> = const { RefCell::new(None) };
}

/// Past findings matching `query`.
pub fn query(query: &HistoryQuery) -> HistoryRows {
    if let Some(host) = HOST.get() {
        return host(query);
    }
    NATIVE.with(|n| n.borrow().as_ref().map(|f| f(query)).unwrap_or_default())
}

/// In native tests: answer this thread's queries with `answer` (`None`: no
/// history).
pub fn set_native(answer: Option<NativeAnswer>) {
    NATIVE.with(|n| *n.borrow_mut() = answer);
}

/// Routes [`query`] to the host; the export macro calls it.
#[doc(hidden)]
pub fn set_host(answer: Answer) {
    let _ = HOST.set(answer);
}
