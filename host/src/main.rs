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
    path::PathBuf,
    process::ExitCode,
    sync::atomic::{AtomicBool, Ordering},
};

use augur::{
    baseline,
    cache::{CACHE_DIR_VAR, CompileCache},
    input,
    limits::WORKER_STACK_BYTES,
    output::{self, Format, ListFormat, RuleCard, locate},
    pack::Pack,
    report::{Report, Severity},
    run::{Inputs, Progress, RunOptions},
    sandbox::{Roles, Sandbox},
    sanitize::escape,
};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

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
}

#[derive(Args)]
struct NewArgs {
    /// The rule's id, kebab-case (`my-rule`): also the crate's name.
    #[arg(value_name = "NAME")]
    name: String,
    #[arg(long, value_enum, default_value_t = augur::scaffold::RuleKind::Classifier)]
    kind: augur::scaffold::RuleKind,
    /// Where to write the crate. Default: ./NAME.
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
}

#[derive(Args)]
struct TestArgs {
    /// The rule's folder: a crate, and its tests/cases/.
    #[arg(default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    /// Test this component instead of building DIR.
    #[arg(long, value_name = "FILE", conflicts_with = "builtin")]
    component: Option<PathBuf>,
    /// Test this built-in rule instead of building DIR.
    #[arg(long, value_name = "NAME")]
    builtin: Option<String>,
    /// Record what the rule does (findings and fuel) as each case's
    /// expected.json.
    #[arg(long)]
    accept: bool,
    /// Percent of its recorded fuel a case may use beyond it before it fails.
    #[arg(long, value_name = "PERCENT", default_value_t = augur::rule_test::DEFAULT_FUEL_TOLERANCE)]
    fuel_tolerance: f64,
    /// The clock the rule reads (RFC 3339). Default: 2026-01-01T00:00:00Z,
    /// so that cases repeat exactly.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    now: Option<std::time::SystemTime>,
}

/// The clock of `augur test` when `--now` is not given.
const TEST_NOW: &str = "2026-01-01T00:00:00Z";

#[derive(Subcommand)]
enum PackCommand {
    /// Write the sha256 of every component the manifest names into it, so
    /// that the pack refuses a component that changed.
    Lock(PackArg),
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
    /// The rule pack: an augur.toml manifest, a directory holding one, a
    /// directory of .wasm components, or `builtin`. Without it, the
    /// augur.toml of the current directory or the nearest parent (up to
    /// the repository's root) is used, else the built-in pack.
    #[arg(long, value_name = "PATH")]
    pack: Option<PathBuf>,
}

/// What a run reads: the pack, the inputs, and how to run them.
#[derive(Args)]
struct InputArgs {
    #[command(flatten)]
    pack: PackArg,
    /// Observer snapshots: a JSON file or a directory of them (repeatable).
    #[arg(long, value_name = "PATH")]
    snapshots: Vec<PathBuf>,
    /// Job outputs: a log file, a directory of logs or job folders, or `-`
    /// for standard input (repeatable; `-` at most once).
    #[arg(long, value_name = "PATH")]
    jobs: Vec<PathBuf>,
    /// The name of the log read from `-`, as findings, evidence and
    /// annotations give it (say, the path the log was saved under).
    #[arg(long, value_name = "NAME", default_value = "-")]
    stdin_name: String,
    /// Paths in SARIF, annotations, Code Quality reports and baselines are
    /// relative to DIR. Default: the repository holding the current
    /// directory, else the current directory.
    #[arg(long, value_name = "DIR")]
    source_root: Option<PathBuf>,
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
struct RunArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// The report's format: text, json, sarif, github (annotations, and the
    /// job summary when GITHUB_STEP_SUMMARY is set), gitlab (Code Quality),
    /// junit or markdown. Default: text.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (`-`: standard output), as
    /// many times as wanted: `--write sarif=augur.sarif --write github=-`.
    #[arg(long = "write", value_name = "FORMAT=FILE", value_parser = parse_write)]
    writes: Vec<(Format, PathBuf)>,
    /// Exit 1 when a finding is at or above this severity (info, low,
    /// medium, high, critical); with --baseline, only a new one counts.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Compare with a baseline written by `augur baseline`: findings in it
    /// are `unchanged`, the others `new`, and --fail-on counts only new ones.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Leave wall times out of the stats, so that the same inputs and pack
    /// give byte-identical output.
    #[arg(long)]
    no_timings: bool,
}

#[derive(Args)]
struct BaselineArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Write the baseline to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `--write FORMAT=FILE`.
fn parse_write(text: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum as _;
    let (format, file) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FORMAT=FILE (e.g. sarif=augur.sarif)"))?;
    let format = Format::from_str(format, false).map_err(|_| {
        let names: Vec<&str> = Format::value_variants().iter().map(|f| f.name()).collect();
        format!("unknown format `{format}`; one of {}", names.join(", "))
    })?;
    if file.is_empty() {
        return Err(format!("`{text}` names no file (`-` is standard output)"));
    }
    Ok((format, PathBuf::from(file)))
}

/// `--fail-on`: a severity.
fn parse_severity(text: &str) -> Result<Severity, String> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not a severity: info, low, medium, high or critical"))
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
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
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
    let sandbox = match now {
        Some(now) => Sandbox::at(now),
        None => Sandbox::new(),
    }
    .map_err(|e| format!("{e:#}"))?
    .with_cache(CompileCache::from_env());
    handle_interrupts(&sandbox);
    match cli.command {
        Command::Run(args) => run_pack(&sandbox, args),
        Command::Baseline(args) => write_baseline(&sandbox, args),
        Command::Rules(args) => list_rules(&sandbox, args),
        Command::Check(args) => check_pack(&sandbox, &args),
        Command::Pack(PackCommand::Lock(args)) => lock_pack(&args),
        Command::Test(args) => test_rule(&sandbox, &args),
        Command::New(args) => {
            let dir = args
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(&args.name));
            let files = augur::scaffold::new_rule(&args.name, args.kind, &dir)?;
            let shown = escape(&dir.display().to_string()).into_owned();
            println!(
                "wrote {} files in {shown}\n\nnext:\n  cd {shown}\n  cargo test      # the rule's unit tests\n  augur test --accept   # build it, record its case\n  augur test      # build it, run its cases in the sandbox",
                files.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => eval(&sandbox, args),
        Command::Cache(command) => cache(&sandbox, command),
    }
}

/// The rules of the pack that play one of the `needed` roles: `--pack`,
/// else the repository's own `augur.toml`, else the built-in pack.
fn open_pack(sandbox: &Sandbox, arg: &PackArg, needed: Roles) -> Result<Pack, String> {
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

/// A run's pack and inputs, loaded; and whether an input could not be read.
struct Loaded {
    pack: Pack,
    inputs: Inputs,
    input_failed: bool,
    /// A rule the pack does not mark optional cannot load.
    pack_failed: bool,
    context: output::Context,
}

/// Reads the inputs and opens the pack (only the rules with inputs).
fn load(sandbox: &Sandbox, args: &InputArgs) -> Result<Loaded, String> {
    if args.snapshots.is_empty() && args.jobs.is_empty() {
        return Err(
            "nothing to analyse: give --snapshots PATH and/or --jobs PATH (see `augur run --help`)"
                .into(),
        );
    }
    if args.jobs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err("--jobs - is given twice: standard input can be read once".into());
    }
    // The pack first, so that a pack that cannot run is said before any
    // input is read. Only the rules with something to read are loaded:
    // `--jobs` alone compiles no deriver.
    let needed = Roles {
        deriver: !args.snapshots.is_empty(),
        classifier: !args.jobs.is_empty(),
        correlator: true,
    };
    let pack = open_pack(sandbox, &args.pack, needed)?;
    let broken: Vec<_> = pack.failures.iter().filter(|f| !f.optional).collect();
    if let Some(first) = broken.first() {
        eprintln!(
            "augur: error: {} rule{} of the pack cannot load; the others run, and the run exits 2 \
             (mark a rule `optional = true` in the manifest to run without it):\n  {}\n  hint: {}",
            broken.len(),
            if broken.len() == 1 { "" } else { "s" },
            escape(&first.message),
            escape(&first.hint)
        );
    }
    let pack_failed = !broken.is_empty();
    let mut problems = Vec::new();
    let series = input::load_snapshots(&args.snapshots, &mut problems);
    let mut jobs = input::load_jobs(&args.jobs, &mut std::io::stdin().lock(), &mut problems);
    if args.stdin_name != "-" {
        for job in jobs.iter_mut().filter(|j| j.source == "-") {
            job.source = args.stdin_name.clone();
        }
        for p in problems.iter_mut().filter(|p| p.input == "-") {
            p.input = args.stdin_name.clone();
        }
    }
    let input_failed = problems
        .iter()
        .any(|p| p.severity == input::ProblemSeverity::Error);
    let source_root = match &args.source_root {
        Some(dir) if dir.is_dir() => dir.clone(),
        Some(dir) => {
            return Err(format!(
                "--source-root {}: not a directory",
                escape(&dir.display().to_string())
            ));
        }
        None => {
            let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
            locate::default_source_root(&cwd)
        }
    };
    let mut job_names: Vec<String> = jobs.iter().map(|j| j.source.clone()).collect();
    job_names.sort();
    let mut repositories: Vec<String> = series.iter().map(|s| s.repo.clone()).collect();
    repositories.sort();
    let context = output::Context {
        source_root,
        rules: pack.rules.iter().map(rule_card).collect(),
        repositories,
        jobs: job_names,
        fail_on: None,
    };
    let inputs = Inputs {
        series,
        jobs,
        problems,
    };
    Ok(Loaded {
        pack,
        inputs,
        input_failed,
        pack_failed,
        context,
    })
}

fn rule_card(rule: &augur::pack::PackRule) -> RuleCard {
    RuleCard {
        id: rule.id.clone(),
        version: rule.info.version.clone(),
        description: rule.info.description.clone(),
        kinds: rule.info.kinds.clone(),
        deriver: rule.component.is_deriver(),
        classifier: rule.component.is_classifier(),
        correlator: rule.component.is_correlator(),
        manifest: rule.manifest.clone(),
    }
}

/// Inputs from which a run shows a progress bar: this many, or any log
/// large enough to be read from disk.
const PROGRESS_MIN_INPUTS: usize = 16;

/// A progress bar on standard error, for a run long enough to want one,
/// when standard error is a terminal and not a CI log (`CI` unset).
fn progress_bar(inputs: &Inputs) -> Option<(indicatif::ProgressBar, Progress)> {
    use std::io::IsTerminal as _;
    let large = inputs
        .jobs
        .iter()
        .any(|j| matches!(j.body, input::LogBody::File { .. }));
    let many = inputs.jobs.len() + inputs.series.len() >= PROGRESS_MIN_INPUTS;
    if !(large || many) || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} inputs read · {elapsed}",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let shown = bar.clone();
    let tell = Progress(std::sync::Arc::new(move |done, all| {
        shown.set_length(all as u64);
        shown.set_position(done as u64);
    }));
    Some((bar, tell))
}

/// Says on standard error that the run was interrupted; `true` if it was.
fn report_interruption(report: &Report) -> bool {
    let Some(i) = &report.interrupted else {
        return false;
    };
    eprintln!(
        "augur: interrupted after {} of {} rule calls ({} findings, {} errors so far)",
        i.completed_calls,
        i.planned_calls,
        report.findings.len(),
        report.errors.len()
    );
    true
}

fn run_pack(sandbox: &Sandbox, args: RunArgs) -> Result<ExitCode, String> {
    // Where each rendering goes (`None`: standard output). `--format` goes
    // to `--output` or standard output, unless it was not given and a
    // `--write` takes standard output.
    let stdout_written = args.writes.iter().any(|(_, f)| f.as_os_str() == "-");
    let mut outputs: Vec<(Format, Option<PathBuf>)> = Vec::new();
    if args.format.is_some() || args.output.is_some() || !stdout_written {
        outputs.push((args.format.unwrap_or(Format::Text), args.output.clone()));
    }
    outputs.extend(
        args.writes
            .iter()
            .map(|(format, file)| (*format, (file.as_os_str() != "-").then(|| file.clone()))),
    );
    let mut seen = std::collections::HashSet::new();
    for (_, to) in &outputs {
        if !seen.insert(to.clone()) {
            return Err(match to {
                None => "two reports would go to standard output: send all but one to files \
                         (`--write FORMAT=FILE`)"
                    .into(),
                Some(file) => format!(
                    "{} is the destination of two reports: give each its own file",
                    escape(&file.display().to_string())
                ),
            });
        }
    }
    let baseline = args.baseline.as_deref().map(baseline::read).transpose()?;

    let Loaded {
        pack,
        inputs,
        input_failed,
        pack_failed,
        mut context,
    } = load(sandbox, &args.inputs)?;
    context.fail_on = args.fail_on;
    for file in outputs.iter().filter_map(|(_, f)| f.as_ref()) {
        refuse_output_over_input(file, &inputs)?;
    }

    let bar = progress_bar(&inputs);
    let options = RunOptions {
        timings: !args.no_timings,
        fail_closed: args.inputs.fail_closed,
        threads: args.inputs.threads.count(),
        progress: bar.as_ref().map(|(_, p)| p.clone()),
    };
    let mut report = augur::run::run(sandbox, &pack, &inputs, &options);
    if let Some((bar, _)) = bar {
        bar.finish_and_clear();
    }
    if let (Some(entries), Some(file)) = (baseline, &args.baseline) {
        baseline::compare(
            &mut report,
            entries,
            &file.display().to_string(),
            &context.jobs,
            &context.source_root,
        );
    }
    if report_interruption(&report) {
        for (format, to) in &outputs {
            match to {
                // A partial report must not replace a whole one.
                Some(path) => eprintln!(
                    "augur: {} was left as it was",
                    escape(&path.display().to_string())
                ),
                None => {
                    let rendered = output::render(&report, *format, &context);
                    output::emit(&rendered.text, None)
                        .map_err(|e| format!("cannot write the report: {e}"))?
                }
            }
        }
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    for (format, to) in &outputs {
        let rendered = output::render(&report, *format, &context);
        for w in &rendered.warnings {
            eprintln!("augur: warning: {}", escape(w));
        }
        output::emit(&rendered.text, to.as_deref()).map_err(|e| match to {
            Some(path) => format!("{}: cannot write the report: {e}", path.display()),
            None => format!("cannot write the report: {e}"),
        })?;
        if *format == Format::Github {
            // The job summary, beside the annotations; a summary that cannot
            // be written costs the summary, not the run.
            if let Err(e) = output::step_summary(&report, &context) {
                eprintln!(
                    "augur: warning: cannot append to ${}: {e}",
                    output::STEP_SUMMARY_VAR
                );
            }
        }
    }
    if input_failed {
        eprintln!("augur: some inputs could not be read; see `errors` in the report");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if pack_failed {
        eprintln!("augur: rules of the pack could not load; see `errors` in the report");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if report.failed_closed() {
        eprintln!("augur: a fail-closed rule failed; see `errors` in the report");
        return Ok(ExitCode::from(EXIT_FAILED_CLOSED));
    }
    if let Some(least) = args.fail_on {
        let failing = report.findings.iter().filter(|f| context.fails(f)).count();
        if failing > 0 {
            eprintln!(
                "augur: {failing} finding{} at or above {}{}: failing (--fail-on)",
                if failing == 1 { "" } else { "s" },
                least.as_str(),
                if report.baseline.is_some() {
                    ", new since the baseline"
                } else {
                    ""
                }
            );
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_baseline(sandbox: &Sandbox, args: BaselineArgs) -> Result<ExitCode, String> {
    let Loaded {
        pack,
        inputs,
        input_failed,
        pack_failed,
        context,
    } = load(sandbox, &args.inputs)?;
    if let Some(file) = &args.output {
        refuse_output_over_input(file, &inputs)?;
    }
    let bar = progress_bar(&inputs);
    let options = RunOptions {
        timings: false,
        fail_closed: args.inputs.fail_closed,
        threads: args.inputs.threads.count(),
        progress: bar.as_ref().map(|(_, p)| p.clone()),
    };
    let report = augur::run::run(sandbox, &pack, &inputs, &options);
    if let Some((bar, _)) = bar {
        bar.finish_and_clear();
    }
    if report_interruption(&report) {
        eprintln!("augur: no baseline written: the run was interrupted");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    for e in &report.errors {
        eprintln!("augur: {}: {}", escape(&e.class), escape(&e.message));
    }
    if input_failed || pack_failed || report.failed_closed() {
        // A baseline missing what an unreadable input or a failed rule
        // would have found would hide those findings later.
        eprintln!(
            "augur: no baseline written: some inputs could not be read, or rules could not load or failed closed"
        );
        return Ok(ExitCode::from(if input_failed || pack_failed {
            EXIT_USAGE
        } else {
            EXIT_FAILED_CLOSED
        }));
    }
    let text = baseline::render(&report, &context.jobs, &context.source_root);
    output::emit(&text, args.output.as_deref())
        .map_err(|e| format!("cannot write the baseline: {e}"))?;
    if let Some(file) = &args.output {
        eprintln!(
            "augur: {} findings written to {}",
            report.findings.len(),
            escape(&file.display().to_string())
        );
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
        progress: None,
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

fn test_rule(sandbox: &Sandbox, args: &TestArgs) -> Result<ExitCode, String> {
    use augur::{pack::Origin, rule_test};
    let origin = match (&args.component, &args.builtin) {
        (Some(file), _) => Origin::File(file.clone()),
        (None, Some(name)) => Origin::Builtin(name.clone()),
        (None, None) => Origin::File(build_rule(&args.dir)?),
    };
    let options = rule_test::TestOptions {
        accept: args.accept,
        fuel_tolerance: args.fuel_tolerance,
    };
    let results = rule_test::run_cases(sandbox, &origin, &args.dir, &options)?;
    output::emit(&rule_test::render(&results, args.accept), None)
        .map_err(|e| format!("cannot write the results: {e}"))?;
    Ok(if results.iter().all(|r| r.failures.is_empty()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// Builds the rule crate in `dir` for `wasm32-wasip2` (release) and returns
/// the component cargo reports.
fn build_rule(dir: &std::path::Path) -> Result<PathBuf, String> {
    let shown = escape(&dir.display().to_string()).into_owned();
    if !dir.join("Cargo.toml").is_file() {
        return Err(format!(
            "{shown}: no Cargo.toml to build; give the rule's crate folder, or --component FILE"
        ));
    }
    eprintln!("augur: building {shown} for wasm32-wasip2");
    let out =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(dir)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown}: the build failed (see above); `rustup target add wasm32-wasip2` if the target is missing"
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
        })
        .rfind(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| format!("{shown}: the build made no .wasm (is the crate a `cdylib`?)"))
}

/// What a rule of the pack reads: `snapshots`, `jobs`, `findings`.
fn runs_on(rule: &augur::pack::PackRule) -> Vec<&'static str> {
    let c = &rule.component;
    [
        (c.is_deriver(), "snapshots"),
        (c.is_classifier(), "jobs"),
        (c.is_correlator(), "findings"),
    ]
    .into_iter()
    .filter_map(|(plays, input)| plays.then_some(input))
    .collect()
}

fn check_pack(sandbox: &Sandbox, arg: &PackArg) -> Result<ExitCode, String> {
    let pack = open_pack(sandbox, arg, Roles::ALL)?;
    if sandbox.is_interrupted() {
        eprintln!("augur: interrupted while loading the pack");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let mut out = format!("pack {}\n", escape(&pack.source));
    for r in &pack.rules {
        let _ = writeln!(
            out,
            "  ✓ {} {}  runs on {}  ({})",
            escape(&r.id),
            escape(&r.info.version),
            runs_on(r).join(" and "),
            escape(&r.origin.to_string())
        );
    }
    let (optional, broken): (Vec<_>, Vec<_>) = pack.failures.iter().partition(|f| f.optional);
    for f in &broken {
        let _ = writeln!(
            out,
            "  ✗ {}\n    hint: {}",
            escape(&f.message),
            escape(&f.hint)
        );
    }
    for f in &optional {
        let _ = writeln!(
            out,
            "  ! {} (optional: the pack runs without it)\n    hint: {}",
            escape(&f.message),
            escape(&f.hint)
        );
    }
    let _ = writeln!(
        out,
        "{} rule{} would run; {} error{}",
        pack.rules.len(),
        if pack.rules.len() == 1 { "" } else { "s" },
        broken.len(),
        if broken.len() == 1 { "" } else { "s" },
    );
    output::emit(&out, None).map_err(|e| format!("cannot write the check: {e}"))?;
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    })
}

fn lock_pack(arg: &PackArg) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let manifest = match &arg.pack {
        Some(path) if path.is_dir() => path.join(augur::pack::MANIFEST),
        Some(path) => path.clone(),
        None => augur::pack::discover(&cwd).ok_or(
            "no augur.toml here or in a parent directory of this repository: give --pack PATH",
        )?,
    };
    if !manifest.is_file() {
        return Err(format!(
            "{}: no manifest to lock (only an augur.toml names components by path)",
            escape(&manifest.display().to_string())
        ));
    }
    let locked = augur::lock::lock(&manifest)?;
    for l in &locked {
        let path = escape(&l.path);
        match &l.change {
            augur::lock::Change::Added(d) => println!("{path}: sha256 = {d}"),
            augur::lock::Change::Updated { from, to } => {
                println!("{path}: sha256 changed from {} to {to}", escape(from))
            }
            augur::lock::Change::Unchanged => println!("{path}: unchanged"),
        }
    }
    println!(
        "{} component{} locked in {}",
        locked.len(),
        if locked.len() == 1 { "" } else { "s" },
        escape(&manifest.display().to_string())
    );
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
            json!({
                "id": r.id,
                "version": r.info.version,
                "description": r.info.description,
                "runs_on": runs_on(r),
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
        ListFormat::Json => {
            let doc =
                json!({"version": 1, "pack": pack.source, "rules": rules, "errors": failures});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).expect("serializes")
            )
        }
        ListFormat::Text => rules_text(&rules, &pack),
    };
    output::emit(&rendered, None).map_err(|e| format!("cannot write the list: {e}"))?;
    if pack.failures.iter().any(|f| !f.optional) {
        eprintln!("augur: rules of the pack could not load (listed above)");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
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
