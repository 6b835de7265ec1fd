//! Write augur rules in Rust.
//!
//! A rule is a plain type with a few constants and one function over typed
//! input. Implement [`Rule`] plus [`Deriver`] (a snapshot series in, findings
//! out), [`Classifier`] (one job output in, findings out), or both,
//! [`LogScanner`] (a job output window by window, for logs of any size), or
//! [`Correlator`] (the findings of the whole run in, findings out), then
//! export it with one macro:
//!
//! ```ignore
//! use augur_sdk::prelude::*;
//!
//! pub struct Hello;
//!
//! #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Config {}
//!
//! impl Rule for Hello {
//!     type Config = Config;
//!     const ID: &'static str = "hello";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     const DESCRIPTION: &'static str = "Says hello to every job";
//!     const KINDS: &'static [&'static str] = &["hello/world"];
//! }
//!
//! impl Classifier for Hello {
//!     fn classify(job: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
//!         Ok(vec![Finding::new("hello/world", Severity::Info, "Hello")])
//!     }
//! }
//!
//! augur_sdk::export_classifier!(Hello);
//! ```
//!
//! The crate is a `cdylib` built for `wasm32-wasip2` (the component) and an
//! `rlib` built natively, so the rule's logic is unit-tested with plain
//! `cargo test`: the export macro expands to nothing outside wasm. The rule
//! crate must name this dependency `augur-sdk` (the generated bindings refer
//! to it by that name).

pub mod ci;
mod finding;
pub mod history;
mod input;
mod log;
#[cfg(feature = "patterns")]
pub mod patterns;
pub mod prefilter;
pub mod series;
pub mod window;

pub use finding::{EXCERPT_CHARS, Evidence, Finding, Severity, excerpt, fingerprint};
pub use input::{
    CountSignal, Coverage, DocumentError, FileCount, Job, JobMeta, Proposal, SNAPSHOT_SCHEMA_V1,
    Signals, Snapshot, exit_code_in, log_text,
};
pub use log::{LogLevel, log};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

/// The contract version this SDK builds components against.
pub const CONTRACT_VERSION: &str = env!("AUGUR_CONTRACT_VERSION");

/// Everything a rule file usually needs.
pub mod prelude {
    pub use crate::{
        Classifier, Correlator, Deriver, Evidence, Finding, Job, LogLevel, LogScanner,
        ReportedFinding, Rule, RuleError, Severity, Snapshot, fingerprint, log,
    };
}

/// What every rule declares about itself.
pub trait Rule {
    /// The rule's config: deserialized from the pack's `config` table (an
    /// empty table gives `Default`). Its JSON Schema is published in the
    /// rule's info, so `#[derive(JsonSchema)]` and document the fields.
    type Config: DeserializeOwned + JsonSchema + Default;
    /// Short, stable, kebab-case: `quality-trend`.
    const ID: &'static str;
    /// The rule's own version; `env!("CARGO_PKG_VERSION")` is usual.
    const VERSION: &'static str;
    const DESCRIPTION: &'static str;
    /// Every kind the rule can emit.
    const KINDS: &'static [&'static str];

    /// Work done once, not at every call: build what every call needs, such
    /// as compiled patterns (force your `LazyLock`s here). augur runs it
    /// once when it prepares the component and starts every call from the
    /// state it leaves, so a call no longer pays for it. It gets no input
    /// and no config, sees the clock at 1970-01-01, and must not print.
    /// Natively (in tests) nothing calls it: lazies still build on first use.
    fn setup() {}
}

/// A rule over one repository's snapshot series. Export it with
/// [`export_deriver!`].
///
/// ```
/// use augur_sdk::prelude::*;
///
/// /// Reports a lint count that grew from the first snapshot to the last.
/// pub struct LintGrowing;
///
/// #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(default, deny_unknown_fields)]
/// pub struct Config {}
///
/// impl Rule for LintGrowing {
///     type Config = Config;
///     const ID: &'static str = "lint-growing";
///     const VERSION: &'static str = "0.1.0";
///     const DESCRIPTION: &'static str = "Finds a lint count that grew";
///     const KINDS: &'static [&'static str] = &["lint/growing"];
/// }
///
/// impl Deriver for LintGrowing {
///     fn derive(series: &[Snapshot], _: &Config) -> Result<Vec<Finding>, RuleError> {
///         let lint = |s: &Snapshot| s.signals.lint.as_ref().and_then(|l| l.count);
///         let (Some(first), Some(last)) = (series.first(), series.last()) else {
///             return Ok(Vec::new());
///         };
///         let (Some(from), Some(to)) = (lint(first), lint(last)) else {
///             return Ok(Vec::new());
///         };
///         if to <= from {
///             return Ok(Vec::new());
///         }
///         Ok(vec![
///             Finding::new("lint/growing", Severity::Medium, "Lint violations are growing")
///                 .fingerprint(fingerprint(&[Self::ID, "lint/growing", &last.repo]))
///                 // A snapshot's evidence is a JSON pointer into it.
///                 .evidence(Evidence::at_pointer(first, "/signals/lint/count", from.to_string()))
///                 .evidence(Evidence::at_pointer(last, "/signals/lint/count", to.to_string())),
///         ])
///     }
/// }
///
/// augur_sdk::export_deriver!(LintGrowing);
///
/// let snapshot = |at: &str, n: u64| {
///     let text = format!(r#"{{"repo": "acme/web", "observed_at": "{at}", "signals": {{"lint": {{"count": {n}}}}}}}"#);
///     Snapshot::from_json("s.json", &text).unwrap()
/// };
/// let series = [snapshot("2026-01-01T00:00:00Z", 3), snapshot("2026-01-08T00:00:00Z", 9)];
/// let found = LintGrowing::derive(&series, &Config::default()).unwrap();
/// assert_eq!(found[0].evidence[1].locator, "/signals/lint/count");
/// ```
pub trait Deriver: Rule {
    /// `series` is one repository's snapshots, oldest first.
    fn derive(series: &[Snapshot], config: &Self::Config) -> Result<Vec<Finding>, RuleError>;
}

/// A rule over one job output, whole. Export it with
/// [`export_classifier!`]. For CI logs, which can be of any size, prefer a
/// [`LogScanner`].
///
/// ```
/// use augur_sdk::prelude::*;
///
/// /// Reports the first line that says `Segmentation fault`.
/// pub struct Segfault;
///
/// #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(default, deny_unknown_fields)]
/// pub struct Config {}
///
/// impl Rule for Segfault {
///     type Config = Config;
///     const ID: &'static str = "segfault";
///     const VERSION: &'static str = "0.1.0";
///     const DESCRIPTION: &'static str = "Finds a crashed process";
///     const KINDS: &'static [&'static str] = &["crash/segfault"];
/// }
///
/// impl Classifier for Segfault {
///     fn classify(job: &Job, _: &Config) -> Result<Vec<Finding>, RuleError> {
///         // Lines are numbered as the log's (`first_line` on).
///         let Some((n, line)) = job.lines().find(|(_, l)| l.contains("Segmentation fault")) else {
///             return Ok(Vec::new());
///         };
///         Ok(vec![
///             Finding::new("crash/segfault", Severity::High, "A process crashed")
///                 .fingerprint(fingerprint(&[Self::ID, "crash/segfault"]))
///                 .evidence(Evidence::at_lines(job, n, n, augur_sdk::excerpt(line)))
///                 .action("Run the crashing command under a debugger"),
///         ])
///     }
/// }
///
/// augur_sdk::export_classifier!(Segfault);
///
/// let job = Job::from_text("build.log", "make test\nSegmentation fault (core dumped)\n");
/// let found = Segfault::classify(&job, &Config::default()).unwrap();
/// assert_eq!(found[0].evidence[0].locator, "L2");
/// ```
pub trait Classifier: Rule {
    fn classify(job: &Job, config: &Self::Config) -> Result<Vec<Finding>, RuleError>;
}

/// A classifier that reads a log window by window, so that a log of any
/// size is read in bounded memory. The host calls [`scan`](LogScanner::scan)
/// for each window in order, then [`finish`](LogScanner::finish) once; every
/// call is a fresh instance, so what the rule remembers between windows lives
/// in its `State`, which crosses the boundary as JSON (the host caps it at the
/// rule's `max_state_bytes`). Keep it small: counts, the last few lines that
/// matter, excerpts rather than whole lines.
///
/// Export it with [`export_log_scanner!`], which also exports a
/// [`Classifier`]-style `classify` that scans a whole log in one window.
/// [`scan_whole`] and [`scan_in_windows`] run it natively, for tests.
///
/// ```
/// use augur_sdk::prelude::*;
///
/// /// Counts `warning:` lines over the whole log, however many windows.
/// pub struct Warnings;
///
/// #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(default, deny_unknown_fields)]
/// pub struct Config {}
///
/// /// Carried from window to window (as JSON): a count and the first line.
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// pub struct State {
///     count: u64,
///     first: Option<(u32, String)>,
/// }
///
/// impl Rule for Warnings {
///     type Config = Config;
///     const ID: &'static str = "warnings";
///     const VERSION: &'static str = "0.1.0";
///     const DESCRIPTION: &'static str = "Counts compiler warnings";
///     const KINDS: &'static [&'static str] = &["build/warnings"];
/// }
///
/// impl LogScanner for Warnings {
///     type State = State;
///
///     fn scan(window: &Job, state: &mut State, _: &Config) -> Result<(), RuleError> {
///         // `new_lines`: the overlap with the previous window is not counted twice.
///         for (n, line) in window.new_lines() {
///             if line.contains("warning:") {
///                 state.count += 1;
///                 state.first.get_or_insert_with(|| (n, augur_sdk::excerpt(line)));
///             }
///         }
///         Ok(())
///     }
///
///     fn finish(job: &Job, state: State, _: &Config) -> Result<Vec<Finding>, RuleError> {
///         let Some((n, text)) = state.first else { return Ok(Vec::new()) };
///         Ok(vec![
///             Finding::new("build/warnings", Severity::Low, "The build has warnings")
///                 .message(format!("{} warnings", state.count))
///                 .fingerprint(fingerprint(&[Self::ID, "build/warnings"]))
///                 .evidence(Evidence::at_lines(job, n, n, text)),
///         ])
///     }
///
///     /// Only the lines holding `warning:` matter (contract 0.1.5).
///     fn interest(_: &Config) -> Option<augur_sdk::prefilter::Interest> {
///         Some(augur_sdk::prefilter::Interest::literals(["warning:"]))
///     }
/// }
///
/// augur_sdk::export_log_scanner!(Warnings);
///
/// let log = "cc a.c\nwarning: unused x\ncc b.c\nwarning: unused y\n";
/// let job = Job::from_text("build.log", log);
/// let whole = augur_sdk::scan_whole::<Warnings>(&job, &Config::default()).unwrap();
/// // Windows of 24 bytes with one line of overlap, and only the lines of its
/// // interest: the same findings.
/// assert_eq!(whole, augur_sdk::scan_in_windows::<Warnings>(&job, &Config::default(), 24, 1).unwrap());
/// assert_eq!(whole, augur_sdk::scan_prefiltered::<Warnings>(&job, &Config::default(), 24, 1).unwrap());
/// assert_eq!(whole[0].message, "2 warnings");
/// ```
pub trait LogScanner: Rule {
    type State: Default + serde::Serialize + DeserializeOwned;

    /// Reads one window. `window.new_lines()` are the lines not seen before;
    /// `window.lines()` adds the overlap with the previous window, as context
    /// for patterns that span lines.
    fn scan(window: &Job, state: &mut Self::State, config: &Self::Config) -> Result<(), RuleError>;

    /// The findings, after the last window. `job` has the job's source and
    /// meta; its text is empty and its `first_line` is one past the last line.
    fn finish(
        job: &Job,
        state: Self::State,
        config: &Self::Config,
    ) -> Result<Vec<Finding>, RuleError>;

    /// The lines this rule reads (contract 0.1.5): declare them, and augur
    /// hands each window with every other line emptied, found in one native
    /// pass for the whole pack. `None` (the default): every line. The
    /// findings must not change: [`prefilter`] says what to declare, and
    /// [`scan_prefiltered`] checks it natively. It is asked once per run,
    /// so compute what is costly (literals drawn from patterns) in
    /// [`Rule::setup`].
    fn interest(config: &Self::Config) -> Option<prefilter::Interest> {
        let _ = config;
        None
    }
}

/// Runs a [`LogScanner`] over a whole log as one window.
pub fn scan_whole<R: LogScanner>(job: &Job, config: &R::Config) -> Result<Vec<Finding>, RuleError> {
    let mut state = R::State::default();
    R::scan(job, &mut state, config)?;
    let end = Job {
        first_line: job.first_line.saturating_add(job.lines().len() as u32),
        ..job.clone_without_text()
    };
    R::finish(&end, state, config)
}

/// Runs a [`LogScanner`] over a log cut into windows the way the host cuts
/// it (`window_bytes` per window, `overlap_lines` of overlap), with the state
/// going through JSON between windows as it does in a component.
pub fn scan_in_windows<R: LogScanner>(
    job: &Job,
    config: &R::Config,
    window_bytes: usize,
    overlap_lines: usize,
) -> Result<Vec<Finding>, RuleError> {
    scan_windows::<R>(job, config, window_bytes, overlap_lines, None)
}

/// [`scan_in_windows`], each window blanked as augur blanks it for a rule
/// that declares an [`interest`](LogScanner::interest): a rule's tests
/// compare the two to show that its interest loses nothing.
pub fn scan_prefiltered<R: LogScanner>(
    job: &Job,
    config: &R::Config,
    window_bytes: usize,
    overlap_lines: usize,
) -> Result<Vec<Finding>, RuleError> {
    let interest = R::interest(config).map(prefilter::Interest::normalized);
    if let Some(interest) = &interest {
        interest.check().map_err(RuleError::Internal)?;
    }
    scan_windows::<R>(job, config, window_bytes, overlap_lines, interest.as_ref())
}

fn scan_windows<R: LogScanner>(
    job: &Job,
    config: &R::Config,
    window_bytes: usize,
    overlap_lines: usize,
    interest: Option<&prefilter::Interest>,
) -> Result<Vec<Finding>, RuleError> {
    let mut windows = window::Windows::new(job.text.as_bytes(), window_bytes, overlap_lines);
    let mut state = Vec::new();
    let mut carry = 0;
    while let Some(w) = windows
        .next_window()
        .map_err(|e| RuleError::Internal(e.to_string()))?
    {
        let text = match interest {
            Some(interest) => {
                let hits = interest.hits(&w.text);
                prefilter::blank(&w.text, w.first_line, interest, &hits, &mut carry)
            }
            None => w.text,
        };
        let window = Job {
            text,
            first_line: w.first_line,
            overlap: w.overlap,
            ..job.clone_without_text()
        };
        state = __private::scan_step::<R>(&window, &state, config)?;
    }
    let end = Job {
        first_line: windows.end_line(),
        ..job.clone_without_text()
    };
    R::finish(&end, __private::load_state::<R>(&state)?, config)
}

/// A rule over the findings of the whole run: it runs once, after every
/// deriver and classifier, and sees what they found across all inputs.
/// Export it with [`export_correlator!`] (or [`export_history_correlator!`]
/// to also query past runs, see [`history`]).
///
/// ```
/// use augur_sdk::prelude::*;
///
/// /// Reports a kind of finding seen in at least two jobs of the run.
/// pub struct Widespread;
///
/// #[derive(Default, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(default, deny_unknown_fields)]
/// pub struct Config {}
///
/// impl Rule for Widespread {
///     type Config = Config;
///     const ID: &'static str = "widespread";
///     const VERSION: &'static str = "0.1.0";
///     const DESCRIPTION: &'static str = "Finds one failure across jobs";
///     const KINDS: &'static [&'static str] = &["run/widespread"];
/// }
///
/// impl Correlator for Widespread {
///     fn correlate(findings: &[ReportedFinding], _: &Config) -> Result<Vec<Finding>, RuleError> {
///         let mut by_kind = std::collections::BTreeMap::<&str, Vec<&ReportedFinding>>::new();
///         for f in findings {
///             by_kind.entry(f.finding.kind.as_str()).or_default().push(f);
///         }
///         Ok(by_kind
///             .into_iter()
///             .filter(|(_, seen)| seen.len() >= 2)
///             .map(|(kind, seen)| {
///                 let mut finding = Finding::new("run/widespread", Severity::Medium, "One failure in many jobs")
///                     .message(format!("{kind} in {} jobs", seen.len()))
///                     .fingerprint(fingerprint(&[Self::ID, kind]));
///                 // A correlator cites: its evidence is evidence it was given.
///                 for f in seen {
///                     finding.evidence.extend(f.finding.evidence.first().cloned());
///                 }
///                 finding
///             })
///             .collect())
///     }
/// }
///
/// augur_sdk::export_correlator!(Widespread);
/// ```
pub trait Correlator: Rule {
    /// `findings` are in report order. The evidence of a returned finding
    /// must be copied from findings given here: a correlator cites.
    fn correlate(
        findings: &[ReportedFinding],
        config: &Self::Config,
    ) -> Result<Vec<Finding>, RuleError>;
}

/// A finding another rule made in this run, as a [`Correlator`] sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedFinding {
    /// The id of the rule that made it.
    pub rule: String,
    /// The repository (a deriver's finding) or job output (a classifier's)
    /// it is about, as in the report.
    pub input: String,
    /// The repository it concerns, when known: the series' repository, or a
    /// job's `meta.json` `repo`.
    pub repo: Option<String>,
    pub finding: Finding,
}

/// Why a rule could not produce findings. The host reports it as an error of
/// this rule for this input; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// The config does not fit the rule: name the field and what is wrong.
    InvalidConfig(String),
    /// The input cannot be used by this rule: say which part and why.
    InvalidInput(String),
    /// The rule failed for a reason of its own.
    Internal(String),
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
            RuleError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            RuleError::Internal(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for RuleError {}

/// A rule's self-description, as the host receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub version: String,
    pub description: String,
    pub kinds: Vec<String>,
    /// JSON Schema of the config, as JSON text.
    pub config_schema: String,
}

/// The info of rule `R`, with its config schema generated from `R::Config`.
pub fn info<R: Rule>() -> RuleInfo {
    let schema = schemars::schema_for!(R::Config);
    RuleInfo {
        id: R::ID.to_owned(),
        version: R::VERSION.to_owned(),
        description: R::DESCRIPTION.to_owned(),
        kinds: R::KINDS.iter().map(|k| (*k).to_owned()).collect(),
        config_schema: serde_json::to_string(&schema).expect("a JSON schema serializes"),
    }
}

/// The time of the run, in seconds since the Unix epoch.
///
/// Inside augur's sandbox the clock is frozen: every rule of a run reads the
/// same instant, `augur run --now` when given, or else the moment the run
/// started. A rule that depends on the time should read it here (or from
/// `std::time::SystemTime`, which is the same clock) and take it as a
/// parameter of its logic, so that native tests can pass a fixed time.
pub fn run_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Parses a rule config from JSON text; empty text means the default config.
pub fn parse_config<C: DeserializeOwned + Default>(text: &str) -> Result<C, RuleError> {
    if text.trim().is_empty() {
        return Ok(C::default());
    }
    serde_json::from_str(text).map_err(|e| RuleError::InvalidConfig(e.to_string()))
}

// What the export macros call; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::log::set_host_log;
    use crate::*;

    pub struct RawSnapshot {
        pub source: String,
        pub repo: String,
        pub observed_at: String,
        pub document: String,
    }

    pub struct RawJob {
        pub source: String,
        pub meta: Option<String>,
        pub text: String,
        pub first_line: u32,
    }

    pub fn derive<R: Deriver>(
        series: Vec<RawSnapshot>,
        config: &str,
    ) -> Result<Vec<Finding>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        let series = series
            .into_iter()
            .map(|raw| {
                Snapshot::from_json(&raw.source, &raw.document)
                    .map_err(|e| RuleError::InvalidInput(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        R::derive(&series, &config).map(finish::<R>)
    }

    pub fn classify<R: Classifier>(raw: RawJob, config: &str) -> Result<Vec<Finding>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        R::classify(&job(raw)?, &config).map(finish::<R>)
    }

    /// One `scan` call as a component makes it: state in and out as JSON.
    pub fn scan_step<R: LogScanner>(
        window: &Job,
        state: &[u8],
        config: &R::Config,
    ) -> Result<Vec<u8>, RuleError> {
        let mut state = load_state::<R>(state)?;
        R::scan(window, &mut state, config)?;
        serde_json::to_vec(&state).map_err(|e| RuleError::Internal(format!("saving state: {e}")))
    }

    pub fn load_state<R: LogScanner>(state: &[u8]) -> Result<R::State, RuleError> {
        if state.is_empty() {
            return Ok(R::State::default());
        }
        serde_json::from_slice(state).map_err(|e| {
            RuleError::Internal(format!(
                "the state handed back by the host does not load: {e}"
            ))
        })
    }

    fn job(raw: RawJob) -> Result<Job, RuleError> {
        let meta = match raw.meta.as_deref() {
            Some(text) => Some(
                JobMeta::from_json("meta.json", text)
                    .map_err(|e| RuleError::InvalidInput(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Job {
            source: raw.source,
            meta,
            text: raw.text,
            first_line: raw.first_line,
            overlap: 0,
        })
    }

    pub fn scan<R: LogScanner>(
        raw: RawJob,
        overlap: u32,
        state: &[u8],
        config: &str,
    ) -> Result<Vec<u8>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        let window = Job {
            overlap,
            ..job(raw)?
        };
        scan_step::<R>(&window, state, &config)
    }

    pub fn finish_scan<R: LogScanner>(
        raw: RawJob,
        state: &[u8],
        config: &str,
    ) -> Result<Vec<Finding>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        let state = load_state::<R>(state)?;
        R::finish(&job(raw)?, state, &config).map(finish::<R>)
    }

    pub fn classify_whole<R: LogScanner>(
        raw: RawJob,
        config: &str,
    ) -> Result<Vec<Finding>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        scan_whole::<R>(&job(raw)?, &config).map(finish::<R>)
    }

    /// A scanner's interest with `config`, in the form the host receives.
    pub fn interest<R: LogScanner>(config: &str) -> Result<Option<prefilter::Interest>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        Ok(R::interest(&config).map(prefilter::Interest::normalized))
    }

    pub fn correlate<R: Correlator>(
        findings: Vec<ReportedFinding>,
        config: &str,
    ) -> Result<Vec<Finding>, RuleError> {
        let config = parse_config::<R::Config>(config)?;
        R::correlate(&findings, &config).map(finish::<R>)
    }

    /// A finding's `data` text as JSON (`null` when empty or not JSON; the
    /// host only passes objects).
    pub fn parse_data(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
    }

    /// Gives every finding a fingerprint: one the rule left empty is derived
    /// from the rule, the kind and the title.
    fn finish<R: Rule>(mut findings: Vec<Finding>) -> Vec<Finding> {
        for f in &mut findings {
            if f.fingerprint.is_empty() {
                f.fingerprint = fingerprint(&[R::ID, &f.kind, &f.title]);
            }
        }
        findings
    }

    /// A finding's `data` as JSON text (`{}` when it has none).
    pub fn data_text(finding: &Finding) -> String {
        if finding.data.is_null() {
            "{}".to_owned()
        } else {
            finding.data.to_string()
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

// The export macros, with the WIT contract inlined by build.rs.
include!(concat!(env!("OUT_DIR"), "/export.rs"));
