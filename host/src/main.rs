//! The `augur` command line.
//!
//! Exit status: 0 when the run completed (with or without findings, and with
//! or without errors of fail-open rules); 1 when `--fail-on` is given and a
//! finding (a new one, with `--baseline`) is at or above it; 2 for bad
//! usage, an unusable pack, or inputs that could not be read (each named in
//! the output's `errors`); 3 when a fail-closed rule failed; 130 when the
//! run was interrupted. When several apply: 2, then 3, then 1.

use std::{
    fmt::Write as _,
    mem::ManuallyDrop,
    path::PathBuf,
    process::ExitCode,
    sync::atomic::{AtomicBool, Ordering},
};

use augur::{
    baseline,
    cache::{CACHE_DIR_VAR, CompileCache},
    input,
    limits::WORKER_STACK_BYTES,
    output::{self, Format, ListFormat, RuleCard, locate, plural},
    pack::Pack,
    report::{Report, Severity},
    run::{Inputs, Progress, RunOptions},
    sandbox::{Roles, Sandbox, parse_now},
    sanitize::escape,
};
use clap::{Args, Parser, Subcommand};
use cli::{author::*, history::*, packs::*, run::*};
use serde_json::{Value, json};

mod cli;

/// Exit status of `augur eval` when a `--min`/`--max` threshold does not hold.
const EXIT_BELOW_THRESHOLD: u8 = 1;
/// Exit status of `augur run --fail-on` when a finding is at or above it.
const EXIT_FINDINGS: u8 = 1;
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
    /// Colour on standard output and error: `auto` colours a terminal
    /// unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Run a rule pack over snapshots and job outputs.
    Run(RunArgs),
    /// Write the findings of a run as a baseline: the findings a later
    /// `augur run --baseline FILE` treats as known, not new.
    Baseline(BaselineArgs),
    /// List the rules of a pack: id, version, what they run on, kinds and config.
    Rules(RulesArgs),
    /// Check a pack without running it: the manifest, each component (its
    /// file, digest, contract version and world) and each rule's config
    /// against its schema; print what would run. Exit 2 on any error.
    Check(PackArg),
    /// Manage a pack's manifest.
    #[command(subcommand)]
    Pack(PackCommand),
    /// Start a rule: a crate, outside any augur checkout, with the SDK and
    /// the contract it builds against, a small working rule, a test case
    /// and the pack entry that runs it.
    New(NewArgs),
    /// Test a rule: build the crate in DIR for wasm32-wasip2 (or take
    /// --component / --builtin), run each case of DIR/tests/cases through
    /// the component in the sandbox, and compare with its expected.json.
    Test(TestArgs),
    /// Measure a pack on labelled job logs: per kind precision and recall,
    /// the causal-line rate, false alarms on passing logs, and every miss.
    Eval(EvalArgs),
    /// The compile cache: where it is, fill it for a pack, or empty it.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// The history store runs are recorded in (`augur run --history`):
    /// prune old runs, export and import them, count them.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Record whether a suggested action fixed a finding, so that reports
    /// rank the actions that work first.
    Feedback(FeedbackArgs),
}

#[derive(Args)]
struct PackArg {
    /// The rule pack: an augur.toml manifest, a directory holding one, a
    /// directory of .wasm components, or `builtin`. Without it, the
    /// augur.toml of the current directory or the nearest parent (up to
    /// the repository's root) is used, else the built-in pack.
    #[arg(long, value_name = "PATH")]
    pack: Option<PathBuf>,
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
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
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
    match cli.color {
        ColorArg::Auto => {}
        ColorArg::Always => anstream::ColorChoice::Always.write_global(),
        ColorArg::Never => anstream::ColorChoice::Never.write_global(),
    }
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
    let now = match &cli.command {
        Command::Run(RunArgs { inputs, .. }) | Command::Baseline(BaselineArgs { inputs, .. }) => {
            inputs.now
        }
        Command::Test(args) => Some(
            args.now
                .unwrap_or_else(|| parse_now(TEST_NOW).expect("a valid time")),
        ),
        _ => None,
    };
    let sandbox = ends_with_the_process(
        match now {
            Some(now) => Sandbox::at(now),
            None => Sandbox::new(),
        }
        .map_err(|e| format!("{e:#}"))?
        .with_cache(CompileCache::from_env()),
    );
    handle_interrupts(&sandbox);
    match cli.command {
        Command::Run(args) => run_pack(&sandbox, args),
        Command::Baseline(args) => write_baseline(&sandbox, args),
        Command::Rules(args) => list_rules(&sandbox, args),
        Command::Check(args) => check_pack(&sandbox, &args),
        Command::Pack(PackCommand::Lock(args)) => lock_pack(&args),
        Command::Test(args) => test_rule(&sandbox, &args),
        Command::New(args) => new_rule(&args),
        Command::Eval(args) => eval(&sandbox, args),
        Command::Cache(command) => cache(&sandbox, command),
        Command::History(command) => history_command(command),
        Command::Feedback(args) => feedback(args),
    }
}

/// The rules of the pack that play one of the `needed` roles: `--pack`,
/// else the repository's own `augur.toml`, else the built-in pack.
///
/// The pack lives until the process ends (see [`ends_with_the_process`]).
fn open_pack(
    sandbox: &Sandbox,
    arg: &PackArg,
    needed: Roles,
) -> Result<ManuallyDrop<Pack>, String> {
    find_pack(sandbox, arg, needed).map(ends_with_the_process)
}

/// What the process keeps to its end is left to the operating system to
/// free: unmapping a pack's compiled code and the instance pool's address
/// space thread by thread (each `munmap` interrupting every core to flush
/// its TLB) was a tenth of a warm start; exiting frees it all at once.
fn ends_with_the_process<T>(value: T) -> ManuallyDrop<T> {
    ManuallyDrop::new(value)
}

fn find_pack(sandbox: &Sandbox, arg: &PackArg, needed: Roles) -> Result<Pack, String> {
    let found;
    let path = match &arg.pack {
        Some(path) if path.as_os_str() == "builtin" => return Ok(Pack::builtin(sandbox, needed)),
        Some(path) => path,
        None => match std::env::current_dir()
            .ok()
            .and_then(|d| augur::pack::discover(&d))
        {
            Some(manifest) => {
                found = manifest;
                tracing::info!(manifest = %found.display(), "using the repository's pack");
                &found
            }
            None => return Ok(Pack::builtin(sandbox, needed)),
        },
    };
    Pack::open(sandbox, path, needed).map_err(|e| e.to_string())
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
        findings: Vec::new(),
    };
    let options = RunOptions {
        timings: false,
        fail_closed: false,
        threads: args.threads.count(),
        progress: None,
        prefilter: true,
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
        ListFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&evaluation).expect("serializes")
        ),
        ListFormat::Text => augur::eval::render_text(&evaluation),
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
