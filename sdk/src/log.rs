//! Logging from a rule. Inside augur each line goes to the host's bounded
//! per-rule log; in a native build (unit tests) it goes to standard error.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

static HOST_LOG: OnceLock<fn(LogLevel, &str)> = OnceLock::new();

/// Writes one line to the rule's log.
pub fn log(level: LogLevel, message: &str) {
    match HOST_LOG.get() {
        Some(host) => host(level, message),
        None => eprintln!("[{level:?}] {message}"),
    }
}

/// Routes [`log`] to the host; the export macros call it.
#[doc(hidden)]
pub fn set_host_log(host: fn(LogLevel, &str)) {
    let _ = HOST_LOG.set(host);
}
