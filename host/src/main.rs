//! The `augur` command line.
//!
//! Exit status: 0 when the run completed (with or without findings, and with
//! or without errors of fail-open rules); 2 for bad usage, an unusable pack,
//! or inputs that could not be read (each named in the output's `errors`); 3
//! when a fail-closed rule failed; 130 when the run was interrupted.

use std::{
    fmt::Write as _,
    path::PathBuf,
    process::ExitCode,
    sync::atomic::{AtomicBool, Ordering},
};

use augur::{
    cache::{CACHE_DIR_VAR, CompileCache},
    input,
    limits::WORKER_STACK_BYTES,
    output::{self, Format},
    pack::Pack,
    run::{Inputs, RunOptions},
    sandbox::{Roles, Sandbox},
    sanitize::escape,
};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

/// Exit status of `augur eval` when a `--min`/`--max` threshold does not hold.
const EXIT_BELOW_THRESHOLD: u8 = 1;
/// Exit status for bad usage or unusable input.
const EXIT_USAGE: u8 = 2;
/// Exit status when a fail-closed rule failed.
const EXIT_FAILED_CLOSED: u8 = 3;
/// Exit status when the run was interrupted (128 + SIGINT, as shells do).
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(
    name = "augur",
    version,
    about = "Run sandboxed analysis rules over repository snapshots and job outputs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a rule pack over snapshots and job outputs.
    Run(RunArgs),
    /// List the rules of a pack: id, version, what they run on, kinds and config.
    Rules(RulesArgs),
    /// Measure a pack on labelled job logs: per kind precision and recall,
    /// the causal-line rate, false alarms on passing logs, and every miss.
    Eval(EvalArgs),
    /// The compile cache: where it is, fill it for a pack, or empty it.
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the cache directory (set it with AUGUR_CACHE_DIR).
    Dir,
    /// Compile every rule of a pack into the cache, so that runs start warm.
    Warm(PackArg),
    /// Remove every compiled component from the cache.
    Clear,
}

#[derive(Args)]
struct PackArg {
    /// The rule pack: an augur.toml manifest, a directory holding one, or a
    /// directory of .wasm components. Without it, the built-in pack runs.
    #[arg(long, value_name = "PATH")]
    pack: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    pack: PackArg,
    /// Observer snapshots: a JSON file or a directory of them (repeatable).
    #[arg(long, value_name = "PATH")]
    snapshots: Vec<PathBuf>,
    /// Job outputs: a log file, a directory of logs or job folders, or `-`
    /// for standard input (repeatable).
    #[arg(long, value_name = "PATH")]
    jobs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Leave wall times out of the stats, so that the same inputs and pack
    /// give byte-identical output.
    #[arg(long)]
    no_timings: bool,
    /// Make every rule fail-closed: any rule error (a limit hit, a trap,
    /// invalid output, a rule that cannot load) fails the run with exit 3.
    #[arg(long)]
    fail_closed: bool,
    /// The time of the run, RFC 3339 (`2026-11-21T09:00:00Z`): the clock every
    /// rule reads, e.g. to judge a snapshot's age. Default: now. Give it to
    /// make time-dependent findings reproducible.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<std::time::SystemTime>,
    #[command(flatten)]
    threads: ThreadsArg,
}

#[derive(Args)]
struct ThreadsArg {
    /// Threads making rule calls. Default: one per core. The report is the
    /// same, byte for byte, whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

impl ThreadsArg {
    fn count(&self) -> usize {
        self.threads.map_or_else(RunOptions::all_cores, usize::from)
    }
}

/// `--now`: an RFC 3339 timestamp.
fn parse_now(text: &str) -> Result<std::time::SystemTime, String> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time like 2026-11-21T09:00:00Z ({e})"))?;
    if at.unix_timestamp() < 0 {
        return Err(format!("`{text}` is before 1970"));
    }
    Ok(at.into())
}

#[derive(Args)]
struct RulesArgs {
    #[command(flatten)]
    pack: PackArg,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    pack: PackArg,
    /// Corpus folders: every folder below holding `label.json` and
    /// `output.log` is a case (see docs/eval.md).
    #[arg(required = true, value_name = "CORPUS")]
    corpus: Vec<PathBuf>,
    /// The family of kinds measured: findings whose kind starts with it.
    #[arg(long, default_value = "failure/", value_name = "PREFIX")]
    family: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the evaluation to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 unless METRIC (recognised, class, causal) is at least PERCENT.
    #[arg(long, value_name = "METRIC=PERCENT", value_parser = parse_bound)]
    min: Vec<(String, f64)>,
    /// Exit 1 unless METRIC (wrong, false_alarms) is at most PERCENT.
    #[arg(long, value_name = "METRIC=PERCENT", value_parser = parse_bound)]
    max: Vec<(String, f64)>,
    #[command(flatten)]
    threads: ThreadsArg,
}

/// `--min`/`--max`: `causal=85`.
fn parse_bound(text: &str) -> Result<(String, f64), String> {
    let (metric, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not METRIC=PERCENT (e.g. causal=85)"))?;
    if !augur::eval::METRICS.contains(&metric) {
        return Err(format!(
            "unknown metric `{metric}`; one of {}",
            augur::eval::METRICS.join(", ")
        ));
    }
    let value: f64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a percentage"))?;
    Ok((metric.to_owned(), value))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("AUGUR_LOG"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    // Rules run on this thread's stack: it must hold the largest wasm stack
    // a pack may ask for.
    let worker = std::thread::Builder::new()
        .name("augur-run".into())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || run(cli))
        .expect("starting the run thread");
    match worker.join() {
        Ok(Ok(code)) => code,
        Ok(Err(message)) => {
            eprintln!("augur: error: {}", escape(&message));
            ExitCode::from(EXIT_USAGE)
        }
        Err(_) => ExitCode::from(101),
    }
}

/// Ctrl-C (or SIGTERM) once stops the rules and reports what was done;
/// twice exits at once.
fn handle_interrupts(sandbox: &Sandbox) {
    static SEEN: AtomicBool = AtomicBool::new(false);
    let flag = sandbox.interrupt_flag();
    let installed = ctrlc::set_handler(move || {
        if SEEN.swap(true, Ordering::SeqCst) {
            eprintln!("augur: interrupted again, exiting now");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!("augur: interrupted; stopping the rules (press Ctrl-C again to exit at once)");
        flag.store(true, Ordering::SeqCst);
    });
    if let Err(e) = installed {
        tracing::warn!("cannot handle Ctrl-C: {e}");
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let sandbox = match &cli.command {
        Command::Run(RunArgs { now: Some(now), .. }) => Sandbox::at(*now),
        _ => Sandbox::new(),
    }
    .map_err(|e| format!("{e:#}"))?
    .with_cache(CompileCache::from_env());
    handle_interrupts(&sandbox);
    match cli.command {
        Command::Run(args) => run_pack(&sandbox, args),
        Command::Rules(args) => list_rules(&sandbox, args),
        Command::Eval(args) => eval(&sandbox, args),
        Command::Cache(command) => cache(&sandbox, command),
    }
}

/// The rules of the pack that play one of the `needed` roles.
fn open_pack(sandbox: &Sandbox, arg: &PackArg, needed: Roles) -> Result<Pack, String> {
    match &arg.pack {
        Some(path) => Pack::open(sandbox, path, needed).map_err(|e| e.to_string()),
        None => Ok(Pack::builtin(sandbox, needed)),
    }
}

fn cache(sandbox: &Sandbox, command: CacheCommand) -> Result<ExitCode, String> {
    let cache = sandbox.cache();
    let Some(dir) = cache.dir() else {
        return Err(format!(
            "the compile cache is off ({CACHE_DIR_VAR}=off, or no cache directory on this platform): \
             set {CACHE_DIR_VAR} to a directory"
        ));
    };
    let shown = escape(&dir.display().to_string()).into_owned();
    match command {
        CacheCommand::Dir => println!("{shown}"),
        CacheCommand::Clear => {
            let (files, bytes) = cache
                .clear()
                .map_err(|e| format!("{shown}: cannot clear the cache: {e}"))?;
            println!(
                "removed {files} compiled components ({}) from {shown}",
                mib(bytes)
            );
        }
        CacheCommand::Warm(pack) => {
            let pack = open_pack(sandbox, &pack, Roles::ALL)?;
            if sandbox.is_interrupted() {
                eprintln!("augur: interrupted while compiling the pack");
                return Ok(ExitCode::from(EXIT_INTERRUPTED));
            }
            for f in &pack.failures {
                eprintln!(
                    "augur: {}: {}\n  hint: {}",
                    escape(&f.rule),
                    escape(&f.message),
                    escape(&f.hint)
                );
            }
            let (files, bytes) = cache.usage();
            println!(
                "{} rules of {} ready; the cache in {shown} holds {files} compiled components ({})",
                pack.rules.len(),
                escape(&pack.source),
                mib(bytes)
            );
            if !pack.failures.is_empty() {
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

fn run_pack(sandbox: &Sandbox, args: RunArgs) -> Result<ExitCode, String> {
    if args.snapshots.is_empty() && args.jobs.is_empty() {
        return Err(
            "nothing to analyse: give --snapshots PATH and/or --jobs PATH (see `augur run --help`)"
                .into(),
        );
    }
    let mut problems = Vec::new();
    let series = input::load_snapshots(&args.snapshots, &mut problems);
    let jobs = input::load_jobs(&args.jobs, &mut std::io::stdin().lock(), &mut problems);
    // Only the rules with something to read are loaded: `--jobs` alone
    // compiles no deriver.
    let needed = Roles {
        deriver: !series.is_empty(),
        classifier: !jobs.is_empty(),
        correlator: !series.is_empty() || !jobs.is_empty(),
    };
    let pack = open_pack(sandbox, &args.pack, needed)?;
    let input_failed = problems
        .iter()
        .any(|p| p.severity == input::ProblemSeverity::Error);
    let inputs = Inputs {
        series,
        jobs,
        problems,
    };
    if let Some(output) = &args.output {
        refuse_output_over_input(output, &inputs)?;
    }

    let options = RunOptions {
        timings: !args.no_timings,
        fail_closed: args.fail_closed,
        threads: args.threads.count(),
    };
    let report = augur::run::run(sandbox, &pack, &inputs, &options);
    let rendered = output::render(&report, args.format);
    if let Some(i) = &report.interrupted {
        eprintln!(
            "augur: interrupted after {} of {} rule calls ({} findings, {} errors so far)",
            i.completed_calls,
            i.planned_calls,
            report.findings.len(),
            report.errors.len()
        );
        match &args.output {
            // A partial report must not replace a whole one.
            Some(path) => eprintln!(
                "augur: {} was left as it was",
                escape(&path.display().to_string())
            ),
            None => output::emit(&rendered, None)
                .map_err(|e| format!("cannot write the report: {e}"))?,
        }
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    output::emit(&rendered, args.output.as_deref()).map_err(|e| match &args.output {
        Some(path) => format!("{}: cannot write the report: {e}", path.display()),
        None => format!("cannot write the report: {e}"),
    })?;
    if input_failed {
        eprintln!("augur: some inputs could not be read; see `errors` in the report");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if report.failed_closed() {
        eprintln!("augur: a fail-closed rule failed; see `errors` in the report");
        return Ok(ExitCode::from(EXIT_FAILED_CLOSED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--output` must not replace a file the run reads.
fn refuse_output_over_input(output: &std::path::Path, inputs: &Inputs) -> Result<(), String> {
    let Ok(output) = std::fs::canonicalize(output) else {
        return Ok(()); // not there yet: it is not an input
    };
    let sources = inputs.jobs.iter().map(|j| j.source.as_str()).chain(
        inputs
            .series
            .iter()
            .flat_map(|s| s.snapshots.iter().map(|x| x.source.as_str())),
    );
    for source in sources {
        if std::fs::canonicalize(source).is_ok_and(|s| s == output) {
            return Err(format!(
                "--output {} is one of the inputs; write the report somewhere else",
                escape(source)
            ));
        }
    }
    Ok(())
}

fn eval(sandbox: &Sandbox, args: EvalArgs) -> Result<ExitCode, String> {
    let needed = Roles {
        deriver: false,
        ..Roles::ALL
    };
    let pack = open_pack(sandbox, &args.pack, needed)?;
    let mut problems = Vec::new();
    let cases = augur::eval::load_cases(&args.corpus, &mut problems);
    for p in &problems {
        let level = match p.severity {
            input::ProblemSeverity::Error => "error",
            input::ProblemSeverity::Warning => "warning",
        };
        eprintln!(
            "augur: {level}: {}: {}",
            escape(&p.input),
            escape(&p.message)
        );
    }
    let unusable = problems
        .iter()
        .any(|p| p.severity == input::ProblemSeverity::Error);
    if cases.is_empty() {
        return Err(
            "no cases: a case is a folder holding label.json and output.log (see docs/eval.md)"
                .into(),
        );
    }
    let inputs = Inputs {
        series: Vec::new(),
        jobs: cases.iter().map(|c| c.job.clone()).collect(),
        problems: Vec::new(),
    };
    let options = RunOptions {
        timings: false,
        fail_closed: false,
        threads: args.threads.count(),
    };
    let report = augur::run::run(sandbox, &pack, &inputs, &options);
    if report.interrupted.is_some() {
        eprintln!("augur: interrupted; no evaluation");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    for e in &report.errors {
        eprintln!("augur: {}: {}", e.class, escape(&e.message));
    }
    let evaluation = augur::eval::evaluate(&cases, &report, &args.family);
    let rendered = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&evaluation).expect("serializes")
        ),
        Format::Text => augur::eval::render_text(&evaluation),
    };
    output::emit(&rendered, args.output.as_deref())
        .map_err(|e| format!("cannot write the evaluation: {e}"))?;
    let unmet = augur::eval::check(&evaluation, &args.min, &args.max);
    for u in &unmet {
        eprintln!("augur: {u}");
    }
    if unusable || !report.errors.is_empty() {
        eprintln!("augur: some cases could not be used or rules failed; see above");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if !unmet.is_empty() {
        return Ok(ExitCode::from(EXIT_BELOW_THRESHOLD));
    }
    Ok(ExitCode::SUCCESS)
}

fn list_rules(sandbox: &Sandbox, args: RulesArgs) -> Result<ExitCode, String> {
    let pack = open_pack(sandbox, &args.pack, Roles::ALL)?;
    if sandbox.is_interrupted() {
        eprintln!("augur: interrupted while loading the pack");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let rules: Vec<Value> = pack
        .rules
        .iter()
        .map(|r| {
            let mut runs_on = Vec::new();
            if r.component.is_deriver() {
                runs_on.push("snapshots");
            }
            if r.component.is_classifier() {
                runs_on.push("jobs");
            }
            if r.component.is_correlator() {
                runs_on.push("findings");
            }
            json!({
                "id": r.id,
                "version": r.info.version,
                "description": r.info.description,
                "runs_on": runs_on,
                "kinds": r.info.kinds,
                "origin": r.origin.to_string(),
                "source": r.source,
                "config_schema": serde_json::from_str::<Value>(&r.info.config_schema).unwrap_or(Value::Null),
            })
        })
        .collect();
    let failures: Vec<Value> = pack
        .failures
        .iter()
        .map(|f| json!({"rule": f.rule, "source": f.source, "message": f.message, "hint": f.hint}))
        .collect();
    let rendered = match args.format {
        Format::Json => {
            let doc =
                json!({"version": 1, "pack": pack.source, "rules": rules, "errors": failures});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).expect("serializes")
            )
        }
        Format::Text => rules_text(&rules, &pack),
    };
    output::emit(&rendered, None).map_err(|e| format!("cannot write the list: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn rules_text(rules: &[Value], pack: &Pack) -> String {
    let bold = anstyle::Style::new().bold();
    let dim = anstyle::Style::new().dimmed();
    let mut out = String::new();
    for r in rules {
        let runs_on: Vec<&str> = r["runs_on"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = writeln!(
            out,
            "{bold}{}{bold:#} {}  runs on {}  {dim}{}{dim:#}",
            escape(r["id"].as_str().unwrap_or("")),
            escape(r["version"].as_str().unwrap_or("")),
            runs_on.join(" and "),
            escape(r["origin"].as_str().unwrap_or(""))
        );
        let _ = writeln!(out, "  {}", escape(r["description"].as_str().unwrap_or("")));
        let kinds: Vec<&str> = r["kinds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = writeln!(out, "  kinds:  {}", escape(&kinds.join(", ")));
        let props = r["config_schema"]["properties"].as_object();
        let config: Vec<String> = props
            .into_iter()
            .flatten()
            .map(|(name, p)| {
                let ty = p["type"].as_str().unwrap_or("value");
                let shown = match p.get("default") {
                    Some(d) => format!("{name} ({ty}, default {d})"),
                    None => format!("{name} ({ty})"),
                };
                escape(&shown).into_owned()
            })
            .collect();
        let _ = writeln!(
            out,
            "  config: {}",
            if config.is_empty() {
                "none".to_owned()
            } else {
                config.join(", ")
            }
        );
        out.push('\n');
    }
    for f in &pack.failures {
        let _ = writeln!(
            out,
            "✗ {}: {}\n  hint: {}",
            escape(&f.rule),
            escape(&f.message),
            escape(&f.hint)
        );
    }
    out
}
