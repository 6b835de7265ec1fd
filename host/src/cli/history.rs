//! The history store from the command line: where a run records itself
//! (`--history`, or `[history]` in the pack's manifest), `augur history
//! prune|export|import|stats`, and `augur feedback`.

use std::io::BufReader;

use augur::{
    history::{self, History, Outcome},
    pack::HistorySpec,
    report::HistoryOut,
};

use crate::*;

/// Where a run is recorded.
#[derive(Args, Clone)]
pub(crate) struct HistoryArg {
    /// Record the run in this history store, and say of each finding how
    /// often it was seen before: a SQLite file (created if missing) or a
    /// `postgres://user@host/db` URL. Default: `[history] path` of the
    /// pack's augur.toml; without either, nothing is recorded.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) history: Option<String>,
    /// Record nothing, even when the manifest names a history.
    #[arg(long, conflicts_with = "history")]
    pub(crate) no_history: bool,
}

/// The store a command works on: `--history` or the manifest's.
#[derive(Args)]
pub(crate) struct StoreArgs {
    /// The history store: a SQLite file or a `postgres://` URL. Default:
    /// `[history] path` of the pack's augur.toml.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) history: Option<String>,
    #[command(flatten)]
    pub(crate) pack: PackArg,
}

#[derive(Subcommand)]
pub(crate) enum HistoryCommand {
    /// Remove the runs recorded more than AGE before now (`90d`, `12w`,
    /// `36h`), with their findings.
    Prune {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: i64,
        /// The time to count from, RFC 3339. Default: now.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<std::time::SystemTime>,
    },
    /// Write every run, oldest first, as JSON Lines (one run per line).
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Write to FILE (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Add the runs of an export (`-`: standard input) that the store does
    /// not hold yet.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Group the failures no rule classified (`failure/unknown`) by the
    /// template of their causal line, the largest groups first, each with a
    /// pattern to start a rule from.
    Unknowns {
        #[command(flatten)]
        store: StoreArgs,
        /// Findings whose kind starts with this.
        #[arg(long, value_name = "PREFIX", default_value = "failure/unknown")]
        kind: String,
        /// How far back to look, in days.
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        days: u32,
        /// Groups shown.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// The time to count back from, RFC 3339. Default: now.
        #[arg(long, value_name = "TIME", value_parser = parse_now)]
        now: Option<std::time::SystemTime>,
    },
    /// How many runs and findings the store holds, and its schema version.
    Stats {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `augur feedback`.
#[derive(Args)]
pub(crate) struct FeedbackArgs {
    /// The finding's fingerprint, as the report gives it.
    #[arg(value_name = "FINGERPRINT")]
    pub(crate) fingerprint: String,
    /// The action, by its number in the report's suggested actions (from 1).
    #[arg(long, value_name = "N")]
    pub(crate) action: usize,
    #[arg(long, value_enum)]
    pub(crate) outcome: OutcomeArg,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum OutcomeArg {
    Fixed,
    NotFixed,
}

/// `90d`, `12w`, `36h`: seconds.
fn parse_age(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an age: a number and d, w or h (`90d`)");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit = match unit {
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit).filter(|s| *s >= 0).ok_or_else(bad)
}

/// The manifest a pack argument names, if it names one (the built-in pack
/// and a directory of components have none).
pub(crate) fn manifest_of(arg: &PackArg) -> Option<PathBuf> {
    match &arg.pack {
        Some(path) if path.as_os_str() == "builtin" => None,
        Some(path) if path.is_dir() => {
            Some(path.join(augur::pack::MANIFEST)).filter(|m| m.is_file())
        }
        Some(path) => Some(path.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| augur::pack::discover(&d)),
    }
}

/// The store `--history` names, else the manifest's `[history]`.
fn store_of(history: Option<&str>, pack: &PackArg) -> Result<Option<HistorySpec>, String> {
    let from_manifest = match manifest_of(pack) {
        Some(manifest) => augur::pack::history_of(&manifest).map_err(|e| e.to_string())?,
        None => None,
    };
    Ok(match history {
        Some(spec) => Some(HistorySpec {
            spec: spec.to_owned(),
            // The manifest's settings still apply to the store given.
            settings: from_manifest.map(|h| h.settings).unwrap_or_default(),
        }),
        None => from_manifest,
    })
}

/// The history a run records in, opened (and migrated) before any rule
/// runs, so that a store that cannot be used is said first.
pub(crate) fn open_for_run(arg: &HistoryArg, pack: &PackArg) -> Result<Option<History>, String> {
    if arg.no_history {
        return Ok(None);
    }
    let Some(spec) = store_of(arg.history.as_deref(), pack)? else {
        return Ok(None);
    };
    History::open(&spec.spec, spec.settings)
        .map(Some)
        .map_err(|e| format!("{}", escape(&e.to_string())))
}

fn open_store(store: &StoreArgs) -> Result<History, String> {
    let spec = store_of(store.history.as_deref(), &store.pack)?.ok_or(
        "no history store: give --history PATH (or a postgres:// URL), or set `[history] path` \
         in the pack's augur.toml",
    )?;
    History::open(&spec.spec, spec.settings).map_err(|e| escape(&e.to_string()).into_owned())
}

/// Reads the past findings the run's rules may query (a bounded window,
/// before any rule runs: a query never waits on the store), when a rule of
/// `pack` reads history.
pub(crate) fn give_rules_history(
    history: &mut History,
    sandbox: &Sandbox,
    pack: &Pack,
) -> Result<(), String> {
    if !pack.rules.iter().any(|r| r.component.reads_history()) {
        return Ok(());
    }
    let at = i64::try_from(sandbox.run_time().as_secs()).unwrap_or(i64::MAX);
    let view = history
        .view(at)
        .map_err(|e| escape(&e.to_string()).into_owned())?;
    if view.was_cut() {
        eprintln!(
            "augur: warning: rules read the newest {} findings of the history's last {} days;              raise `[history] rule_rows` to read more",
            view.len(),
            history.settings().rule_window_days
        );
    }
    sandbox.set_history(view);
    Ok(())
}

/// Records `report` (a whole run) in `history` and adds what history knows
/// to each finding. On failure the report is left as it was.
pub(crate) fn record(
    history: &mut History,
    sandbox: &Sandbox,
    report: &mut Report,
    loaded: (&Inputs, &Pack, &output::Context),
) -> Result<(), String> {
    let (inputs, pack, context) = loaded;
    let at = i64::try_from(sandbox.run_time().as_secs()).unwrap_or(i64::MAX);
    let id = uuid::Uuid::new_v4().to_string();
    let record = history::run_record(id, at, report, inputs, pack, context);
    let recall = history
        .record(&record)
        .map_err(|e| escape(&e.to_string()).into_owned())?;
    for (finding, known) in report.findings.iter_mut().zip(recall.findings) {
        finding.history = Some(known);
    }
    report.history = Some(HistoryOut {
        store: history.label().to_owned(),
        window_days: history.settings().window_days,
        resolved: recall.resolved,
    });
    Ok(())
}

pub(crate) fn history_command(command: HistoryCommand) -> Result<ExitCode, String> {
    match command {
        HistoryCommand::Prune {
            store,
            older_than,
            now,
        } => {
            let now = now.unwrap_or_else(std::time::SystemTime::now);
            let now = now
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let mut h = open_store(&store)?;
            let pruned = h
                .prune(now - older_than)
                .map_err(|e| escape(&e.to_string()).into_owned())?;
            println!(
                "removed {} run{} and {} finding{} recorded before {} from {}",
                pruned.runs,
                plural(pruned.runs as usize),
                pruned.findings,
                plural(pruned.findings as usize),
                history::rfc3339(now - older_than),
                escape(h.label())
            );
        }
        HistoryCommand::Export { store, output } => {
            let mut h = open_store(&store)?;
            let mut out = Vec::new();
            let runs = h
                .export(&mut out)
                .map_err(|e| escape(&e.to_string()).into_owned())?;
            let text = String::from_utf8(out).expect("JSON is UTF-8");
            output::emit(&text, output.as_deref())
                .map_err(|e| format!("cannot write the export: {e}"))?;
            eprintln!("augur: {runs} run{} exported", plural(runs as usize));
        }
        HistoryCommand::Import { store, file } => {
            let mut h = open_store(&store)?;
            let shown = escape(&file.display().to_string()).into_owned();
            let done = if file.as_os_str() == "-" {
                h.import(&mut std::io::stdin().lock(), "-")
            } else {
                let f = std::fs::File::open(&file).map_err(|e| format!("{shown}: {e}"))?;
                h.import(&mut BufReader::new(f), &shown)
            }
            .map_err(|e| escape(&e.to_string()).into_owned())?;
            println!(
                "imported {} run{} into {} ({} already there)",
                done.runs,
                plural(done.runs as usize),
                escape(h.label()),
                done.skipped
            );
        }
        HistoryCommand::Unknowns {
            store,
            kind,
            days,
            top,
            format,
            now,
        } => {
            let now = epoch_seconds(now.unwrap_or_else(std::time::SystemTime::now));
            let mut h = open_store(&store)?;
            let lines = h
                .unknown_lines(&kind, now, days)
                .map_err(|e| escape(&e.to_string()).into_owned())?;
            let mut clusters = history::unknowns::mine(&lines);
            let groups = clusters.len();
            clusters.truncate(top);
            let text = match format {
                ListFormat::Json => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json!({
                        "kind": kind,
                        "days": days,
                        "findings": lines.len(),
                        "groups": groups,
                        "clusters": clusters,
                    }))
                    .expect("serializes")
                ),
                ListFormat::Text => unknowns_text(&kind, days, lines.len(), groups, &clusters),
            };
            print!("{text}");
        }
        HistoryCommand::Stats { store } => {
            let mut h = open_store(&store)?;
            let (runs, findings) = h.counts().map_err(|e| e.to_string())?;
            let version = h.schema_version().map_err(|e| e.to_string())?;
            println!(
                "{}: {runs} run{}, {findings} finding{}, schema version {version}",
                escape(h.label()),
                plural(runs as usize),
                plural(findings as usize)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn epoch_seconds(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn unknowns_text(
    kind: &str,
    days: u32,
    findings: usize,
    groups: usize,
    clusters: &[history::unknowns::Cluster],
) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "{findings} `{}` finding{} in the last {days} days, in {groups} group{}{}\n",
        escape(kind),
        plural(findings),
        plural(groups),
        if clusters.len() < groups {
            format!(" (the largest {} shown)", clusters.len())
        } else {
            String::new()
        }
    );
    for c in clusters {
        let _ = writeln!(
            out,
            "\n{}× {}\n   {} to {}{}",
            c.count,
            escape(&c.template),
            &c.first_seen[..10.min(c.first_seen.len())],
            &c.last_seen[..10.min(c.last_seen.len())],
            if c.repos.is_empty() {
                String::new()
            } else {
                format!(
                    " · {}",
                    c.repos
                        .iter()
                        .map(|r| escape(r).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        for e in &c.examples {
            let _ = writeln!(out, "   e.g. {}: {}", escape(&e.input), escape(&e.line));
        }
        let _ = writeln!(
            out,
            "   pattern to start a rule from: {}",
            escape(&c.proposed_pattern)
        );
    }
    out
}

pub(crate) fn feedback(args: FeedbackArgs) -> Result<ExitCode, String> {
    let mut h = open_store(&args.store)?;
    let outcome = match args.outcome {
        OutcomeArg::Fixed => Outcome::Fixed,
        OutcomeArg::NotFixed => Outcome::NotFixed,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let action = h
        .feedback(&args.fingerprint, args.action, outcome, now)
        .map_err(|e| escape(&e.to_string()).into_owned())?;
    println!(
        "recorded: `{}` {} for {}",
        escape(&action),
        match outcome {
            Outcome::Fixed => "fixed",
            Outcome::NotFixed => "did not fix",
        },
        escape(&args.fingerprint)
    );
    Ok(ExitCode::SUCCESS)
}
