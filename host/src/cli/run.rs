//! `augur run` and `augur baseline`: the inputs and pack of a run, the run,
//! its outputs and its exit status.

use crate::*;

/// What a run reads: the pack, the inputs, and how to run them.
#[derive(Args)]
pub(crate) struct InputArgs {
    #[command(flatten)]
    pub(crate) pack: PackArg,
    /// Observer snapshots: a JSON file or a directory of them (repeatable).
    #[arg(long, value_name = "PATH")]
    pub(crate) snapshots: Vec<PathBuf>,
    /// Job outputs: a log file, a directory of logs or job folders, or `-`
    /// for standard input (repeatable; `-` at most once).
    #[arg(long, value_name = "PATH")]
    pub(crate) jobs: Vec<PathBuf>,
    /// The name of the log read from `-`, as findings, evidence and
    /// annotations give it (say, the path the log was saved under).
    #[arg(long, value_name = "NAME", default_value = "-")]
    pub(crate) stdin_name: String,
    /// Paths in SARIF, annotations, Code Quality reports and baselines are
    /// relative to DIR. Default: the repository holding the current
    /// directory, else the current directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) source_root: Option<PathBuf>,
    /// Make every rule fail-closed: any rule error (a limit hit, a trap,
    /// invalid output, a rule that cannot load) fails the run with exit 3.
    #[arg(long)]
    pub(crate) fail_closed: bool,
    /// The time of the run, RFC 3339 (`2026-11-21T09:00:00Z`): the clock every
    /// rule reads, e.g. to judge a snapshot's age. Default: now. Give it to
    /// make time-dependent findings reproducible.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub(crate) now: Option<std::time::SystemTime>,
    #[command(flatten)]
    pub(crate) threads: ThreadsArg,
    /// Hand every log scanner every line, even one that declares which
    /// lines it reads: the findings must be the same, only slower (a check
    /// of a rule's declared interest).
    #[arg(long)]
    pub(crate) no_prefilter: bool,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) inputs: InputArgs,
    /// The report's format: text, json, sarif, github (annotations, and the
    /// job summary when GITHUB_STEP_SUMMARY is set), gitlab (Code Quality),
    /// junit, markdown or html (one self-contained page with trend plots).
    /// Default: text.
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE (`-`: standard output), as
    /// many times as wanted: `--write sarif=augur.sarif --write github=-`.
    #[arg(long = "write", value_name = "FORMAT=FILE", value_parser = parse_write)]
    pub(crate) writes: Vec<(Format, PathBuf)>,
    /// Exit 1 when a finding is at or above this severity (info, low,
    /// medium, high, critical); with --baseline, only a new one counts.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub(crate) fail_on: Option<Severity>,
    /// Compare with a baseline written by `augur baseline`: findings in it
    /// are `unchanged`, the others `new`, and --fail-on counts only new ones.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Leave wall times out of the stats, so that the same inputs and pack
    /// give byte-identical output.
    #[arg(long)]
    pub(crate) no_timings: bool,
    #[command(flatten)]
    pub(crate) history: HistoryArg,
    /// Text and HTML reports: `all` also shows the quality reports
    /// (postflight) of jobs that did not fail, which are left out by default.
    #[arg(long, value_enum, default_value_t = ShowArg::Failures)]
    pub(crate) show: ShowArg,
    /// Text and HTML reports: only findings at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub(crate) min_severity: Option<Severity>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ShowArg {
    /// What there is to act on: every finding but the quality reports of
    /// jobs that did not fail.
    Failures,
    /// Every finding.
    All,
}

#[derive(Args)]
pub(crate) struct BaselineArgs {
    #[command(flatten)]
    pub(crate) inputs: InputArgs,
    /// Write the baseline to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `--write FORMAT=FILE`.
pub(crate) fn parse_write(text: &str) -> Result<(Format, PathBuf), String> {
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
pub(crate) fn parse_severity(text: &str) -> Result<Severity, String> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not a severity: info, low, medium, high or critical"))
}

/// A run's pack and inputs, loaded; and whether an input could not be read.
pub(crate) struct Loaded {
    pub(crate) pack: std::mem::ManuallyDrop<Pack>,
    pub(crate) inputs: Inputs,
    pub(crate) input_failed: bool,
    /// A rule the pack does not mark optional cannot load.
    pub(crate) pack_failed: bool,
    pub(crate) context: output::Context,
}

/// Reads the inputs and opens the pack (only the rules with inputs).
pub(crate) fn load(sandbox: &Sandbox, args: &InputArgs) -> Result<Loaded, String> {
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
            plural(broken.len()),
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
        show: output::Show::default(),
        trends: output::html::trends::trends(&series),
    };
    let inputs = Inputs {
        series,
        jobs,
        problems,
        findings: Vec::new(),
    };
    Ok(Loaded {
        pack,
        inputs,
        input_failed,
        pack_failed,
        context,
    })
}

pub(crate) fn rule_card(rule: &augur::pack::PackRule) -> RuleCard {
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
pub(crate) const PROGRESS_MIN_INPUTS: usize = 16;

/// A progress bar on standard error, for a run long enough to want one,
/// when standard error is a terminal and not a CI log (`CI` unset).
pub(crate) fn progress_bar(inputs: &Inputs) -> Option<(indicatif::ProgressBar, Progress)> {
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

/// Runs `pack` over `inputs` as `args` ask, with a progress bar where one
/// is wanted (cleared before anything else is printed).
fn run_loaded(
    sandbox: &Sandbox,
    pack: &Pack,
    inputs: &Inputs,
    args: &InputArgs,
    timings: bool,
) -> Report {
    let bar = progress_bar(inputs);
    let options = RunOptions {
        timings,
        fail_closed: args.fail_closed,
        threads: args.threads.count(),
        progress: bar.as_ref().map(|(_, p)| p.clone()),
        prefilter: !args.no_prefilter,
    };
    let report = augur::run::run(sandbox, pack, inputs, &options);
    if let Some((bar, _)) = bar {
        bar.finish_and_clear();
    }
    report
}

/// Says on standard error that the run was interrupted; `true` if it was.
pub(crate) fn report_interruption(report: &Report) -> bool {
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

pub(crate) fn run_pack(sandbox: &Sandbox, args: RunArgs) -> Result<ExitCode, String> {
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
    context.show = output::Show {
        all: args.show == ShowArg::All,
        min_severity: args.min_severity,
    };
    for file in outputs.iter().filter_map(|(_, f)| f.as_ref()) {
        refuse_output_over_input(file, &inputs)?;
    }
    let mut history = open_for_run(&args.history, &args.inputs.pack)?;
    if let Some(h) = history.as_mut() {
        give_rules_history(h, sandbox, &pack)?;
    }

    let mut report = run_loaded(sandbox, &pack, &inputs, &args.inputs, !args.no_timings);
    if let (Some(entries), Some(file)) = (baseline, &args.baseline) {
        baseline::compare(&mut report, entries, &file.display().to_string(), &context);
    }
    // A run is recorded whole: an interrupted one is not recorded at all.
    let mut history_failed = false;
    if let Some(history) = history.as_mut().filter(|_| report.interrupted.is_none())
        && let Err(e) = record(history, sandbox, &mut report, (&inputs, &pack, &context))
    {
        eprintln!("augur: error: the run was not recorded: {e}");
        history_failed = true;
    }
    if !inputs.jobs.is_empty() {
        report.job_reports = Some(augur::context::job_reports(&report, &inputs));
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
    if history_failed {
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
                plural(failing),
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

pub(crate) fn write_baseline(sandbox: &Sandbox, args: BaselineArgs) -> Result<ExitCode, String> {
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
    let report = run_loaded(sandbox, &pack, &inputs, &args.inputs, false);
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
    let text = baseline::render(&report, &context);
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
pub(crate) fn refuse_output_over_input(
    output: &std::path::Path,
    inputs: &Inputs,
) -> Result<(), String> {
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
