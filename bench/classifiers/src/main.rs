//! Throughput of the built-in classifiers, each measured natively (the rule
//! crate linked into this binary) and as a component (the built-in pack, run
//! by the host as `augur run` runs it: sandboxed, fuel-metered, log windows),
//! in one run on one machine, so the ratio means something however noisy the
//! machine is.
//!
//! ```text
//! cargo build --release -p augur -p augur-bench
//! cargo run --release -p augur-bench -- [--large-mib N] [--seconds S] [--pack-only]
//!     [--corpus-logs N] [--corpus-mib M] [--threads T]
//! ```
//!
//! Measurements, in this order:
//! - starting the `augur` process with a cold and a warm compile cache;
//! - the per-call overhead of each classifier over empty logs;
//! - the classifier pack over a corpus of real-shaped logs (`--corpus-logs`
//!   files of 10 KB to 2 MB, `--corpus-mib` in all, made of the real CI logs
//!   of `tests/corpus` and `../shared/corpora`) on `--threads` threads, and
//!   the seeds' Python peer (`../shared/bench/seed_peers.py`) on the same
//!   files;
//! - the fixture corpus (every log under `tests/fixtures/*/jobs`,
//!   `plugins/*/tests/cases` and `examples/jobs`), one call per log: what a
//!   CI run of ordinary jobs sees, per-job costs included;
//! - one large log (the corpus repeated to `--large-mib`, 64 by default),
//!   streamed from disk in windows: the scanning itself;
//! - the whole classifier pack over that large log, with the process's peak
//!   memory (a log is never held whole). `--pack-only` runs only this, so
//!   that the peak is the host's alone: `--large-mib 1024 --pack-only` is
//!   the 1 GB case.

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use augur::{
    input::{self, JobInput},
    pack::Pack,
    run::{self, Inputs, RunOptions},
    sandbox::Sandbox,
};
use augur_sdk::{Classifier, Finding, Job, JobMeta, LogScanner, RuleError};

/// A classifier's native entry point, over a whole log in memory.
type Native = fn(&Job) -> Result<Vec<Finding>, RuleError>;

fn scanner<R: LogScanner>(job: &Job) -> Result<Vec<Finding>, RuleError> {
    augur_sdk::scan_whole::<R>(job, &R::Config::default())
}

fn classifier<R: Classifier>(job: &Job) -> Result<Vec<Finding>, RuleError> {
    R::classify(job, &R::Config::default())
}

const RULES: &[(&str, Native)] = &[
    ("api-errors", classifier::<api_errors::ApiErrors>),
    ("failure-class", scanner::<failure_class::FailureClass>),
    ("error-category", scanner::<error_category::ErrorCategory>),
    ("postflight", scanner::<postflight::Postflight>),
    (
        "quality-erosion",
        scanner::<quality_erosion::QualityErosion>,
    ),
];

struct Args {
    large_mib: usize,
    seconds: f64,
    pack_only: bool,
    corpus_logs: usize,
    corpus_mib: usize,
    threads: usize,
}

fn args() -> Args {
    let mut args = Args {
        large_mib: 64,
        seconds: 1.0,
        pack_only: false,
        corpus_logs: 800,
        corpus_mib: 200,
        threads: RunOptions::all_cores(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--large-mib" => args.large_mib = value().parse().expect("--large-mib N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds S"),
            "--pack-only" => args.pack_only = true,
            "--corpus-logs" => args.corpus_logs = value().parse().expect("--corpus-logs N"),
            "--corpus-mib" => args.corpus_mib = value().parse().expect("--corpus-mib M"),
            "--threads" => args.threads = value().parse().expect("--threads T"),
            other => panic!(
                "unknown argument {other}; see the doc comment of bench/classifiers/src/main.rs"
            ),
        }
    }
    args
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every log of the fixture corpus, the built-ins' own cases and the
/// examples, as the host reads them.
fn corpus_paths() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("examples/jobs")];
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let jobs = entry.unwrap().path().join("jobs");
        if jobs.is_dir() {
            dirs.push(jobs);
        }
    }
    for plugin in std::fs::read_dir(root().join("plugins")).unwrap() {
        let Ok(cases) = std::fs::read_dir(plugin.unwrap().path().join("tests/cases")) else {
            continue;
        };
        for case in cases {
            let log = case.unwrap().path().join("output.log");
            if log.is_file() {
                dirs.push(log);
            }
        }
    }
    dirs.sort();
    dirs
}

/// A job as the SDK gives it to a native rule.
fn native_job(job: &JobInput) -> Job {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut job.reader().unwrap(), &mut text).unwrap();
    Job {
        meta: job
            .meta
            .as_deref()
            .map(|m| JobMeta::from_json("meta.json", m).unwrap()),
        ..Job::from_text(&job.source, &text)
    }
}

/// Runs `f` until `seconds` have passed (at least 3 times); the time per run.
fn time(seconds: f64, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 3 || start.elapsed().as_secs_f64() < seconds {
        f();
        runs += 1;
    }
    start.elapsed() / runs
}

fn mb_per_s(bytes: usize, per_run: Duration) -> f64 {
    bytes as f64 / 1e6 / per_run.as_secs_f64()
}

/// The built-in pack cut to the rules named.
fn pack_of(sandbox: &Sandbox, ids: &[&str]) -> Pack {
    let mut pack = Pack::builtin(sandbox, augur::sandbox::Roles::ALL);
    assert!(pack.failures.is_empty(), "built-in rules failed to load");
    pack.rules.retain(|r| ids.contains(&r.id.as_str()));
    assert_eq!(pack.rules.len(), ids.len(), "built-in rules {ids:?}");
    pack
}

fn run_pack(
    sandbox: &Sandbox,
    pack: &Pack,
    jobs: &[JobInput],
    threads: usize,
) -> augur::report::Report {
    run_pack_with(sandbox, pack, jobs, threads, true)
}

/// [`run_pack`], with the prefilter on or off (`--no-prefilter`).
fn run_pack_with(
    sandbox: &Sandbox,
    pack: &Pack,
    jobs: &[JobInput],
    threads: usize,
    prefilter: bool,
) -> augur::report::Report {
    let inputs = Inputs {
        series: Vec::new(),
        jobs: jobs.to_vec(),
        problems: Vec::new(),
        findings: Vec::new(),
    };
    let options = RunOptions {
        timings: true,
        fail_closed: false,
        threads,
        progress: None,
        prefilter,
    };
    let report = run::run(sandbox, pack, &inputs, &options);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    report
}

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

/// One line per rule: MB/s natively and as a component, their ratio, and
/// the time per log (`logs` of them in `bytes`).
fn table(title: &str, bytes: usize, logs: usize, rows: &[(&str, Duration, Duration)]) {
    println!("\n{title}");
    println!(
        "{:<16} {:>12} {:>15} {:>17} {:>15} {:>18}",
        "rule",
        "native MB/s",
        "component MB/s",
        "native/component",
        "native ms/log",
        "component ms/log"
    );
    for (rule, native, component) in rows {
        let (n, c) = (mb_per_s(bytes, *native), mb_per_s(bytes, *component));
        let per_log = |d: &Duration| d.as_secs_f64() * 1e3 / logs as f64;
        println!(
            "{rule:<16} {n:>12.3} {c:>15.3} {:>16.1}x {:>15.3} {:>18.3}",
            n / c,
            per_log(native),
            per_log(component)
        );
    }
}

fn main() {
    let args = args();
    let sandbox = Sandbox::new()
        .expect("a sandbox")
        .with_cache(augur::cache::CompileCache::from_env());
    let mut problems = Vec::new();
    let corpus = input::load_jobs(&corpus_paths(), &mut std::io::empty(), &mut problems);
    let corpus: Vec<JobInput> = corpus.into_iter().filter(|j| j.text().is_some()).collect();
    let native_corpus: Vec<Job> = corpus.iter().map(native_job).collect();
    let corpus_bytes: usize = native_corpus.iter().map(|j| j.text.len()).sum();
    println!(
        "corpus: {} logs, {:.1} KB (tests/fixtures/*/jobs, plugins/*/tests/cases and examples/jobs; {} input problems, as the bad-inputs fixture means: {})",
        corpus.len(),
        corpus_bytes as f64 / 1e3,
        problems.len(),
        problems
            .iter()
            .map(|p| p.input.rsplit('/').next().unwrap_or(&p.input))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The large log: the corpus repeated, written to disk as it is made.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.log");
    let mut large_bytes = 0;
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        while large_bytes < args.large_mib << 20 {
            for job in &native_corpus {
                out.write_all(job.text.as_bytes()).unwrap();
                out.write_all(b"\n").unwrap();
                large_bytes += job.text.len() + 1;
            }
        }
        out.flush().unwrap();
    }
    let large = input::load_jobs(
        std::slice::from_ref(&path),
        &mut std::io::empty(),
        &mut problems,
    );

    if !args.pack_only {
        starts(&root().join("examples/jobs/codex-timeout.log"));
        overhead(&sandbox, args.seconds);
        corpus_run(&sandbox, args.corpus_logs, args.corpus_mib, args.threads);

        // One call per log, as in an ordinary run.
        let mut rows = Vec::new();
        for (id, native) in RULES {
            let native_time = time(args.seconds, || {
                for job in &native_corpus {
                    std::hint::black_box(native(job).unwrap());
                }
            });
            let pack = pack_of(&sandbox, &[id]);
            let component_time = time(args.seconds, || {
                std::hint::black_box(run_pack(&sandbox, &pack, &corpus, 1));
            });
            rows.push((*id, native_time, component_time));
        }
        table(
            "fixture corpus, one call per log",
            corpus_bytes,
            corpus.len(),
            &rows,
        );

        // The large log: natively in memory, as a component streamed from disk.
        let large_job = native_job(&large[0]);
        let mut rows = Vec::new();
        for (id, native) in RULES {
            let native_time = time(args.seconds, || {
                std::hint::black_box(native(&large_job).unwrap());
            });
            let pack = pack_of(&sandbox, &[id]);
            let component_time = time(args.seconds, || {
                std::hint::black_box(run_pack(&sandbox, &pack, &large, 1));
            });
            rows.push((*id, native_time, component_time));
        }
        table(
            &format!(
                "one {:.0} MB log (natively in memory; as a component read from disk in windows)",
                large_bytes as f64 / 1e6
            ),
            large_bytes,
            1,
            &rows,
        );

        // What the prefilter saves each rule that declares an interest.
        println!("\nthe prefilter, each rule that declares an interest over the large log:");
        for (id, _) in RULES {
            let pack = pack_of(&sandbox, &[id]);
            let rule = &pack.rules[0];
            let declared = sandbox.interest(&rule.component, &rule.limits, &rule.config);
            if !matches!(declared.result, Ok(Some(_))) {
                continue;
            }
            let every_line = time(args.seconds, || {
                std::hint::black_box(run_pack_with(&sandbox, &pack, &large, 1, false));
            });
            let its_lines = time(args.seconds, || {
                std::hint::black_box(run_pack_with(&sandbox, &pack, &large, 1, true));
            });
            println!(
                "  {id:<16} every line {:>7.1} MB/s   its lines {:>7.1} MB/s   {:.1}x",
                mb_per_s(large_bytes, every_line),
                mb_per_s(large_bytes, its_lines),
                every_line.as_secs_f64() / its_lines.as_secs_f64()
            );
        }
    }

    // The classifier pack over the large log, and what it holds in memory.
    let ids: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    let pack = pack_of(&sandbox, &ids);
    let start = Instant::now();
    let report = run_pack(&sandbox, &pack, &large, args.threads);
    let wall = start.elapsed();
    println!(
        "\nthe {} classifiers over the {:.0} MB log, {} threads: {:.2} s ({:.1} MB/s for the pack); peak RSS {:.0} MiB{}",
        ids.len(),
        large_bytes as f64 / 1e6,
        args.threads,
        wall.as_secs_f64(),
        mb_per_s(large_bytes, wall),
        peak_rss_mib(),
        if args.pack_only {
            ""
        } else {
            " (the native runs above held the log whole: use --pack-only)"
        }
    );
    for stats in &report.stats.rules {
        println!(
            "  {:<16} {:>5} calls {:>10.1} ms",
            stats.rule,
            stats.calls,
            stats.wall_time_ms.unwrap_or_default()
        );
    }
}

/// The `augur` binary built next to this one (`cargo build --release -p augur`).
fn augur_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().join("augur");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release -p augur`",
        bin.display()
    );
    bin
}

/// The wall time of `augur ARGS` with its compile cache in `cache`.
fn timed_process(cache: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = std::process::Command::new(augur_binary())
        .args(args)
        .env("AUGUR_CACHE_DIR", cache)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let took = start.elapsed();
    assert!(status.success(), "augur {args:?} failed");
    took
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    times.sort();
    times[runs / 2]
}

/// Cold and warm starts of the whole process, as a CI step sees them.
fn starts(small: &Path) {
    let small = small.to_str().unwrap();
    let run = ["run", "--jobs", small, "--format", "json"];
    let cache = tempfile::tempdir().unwrap();
    let cold = median(3, || {
        augur::cache::CompileCache::at(cache.path())
            .clear()
            .unwrap();
        timed_process(cache.path(), &run)
    });
    timed_process(cache.path(), &["cache", "warm"]);
    let warm = median(11, || timed_process(cache.path(), &run));
    let rules = median(11, || timed_process(cache.path(), &["rules"]));
    let off = timed_process(Path::new("off"), &run);
    println!("\nstarting augur (whole process, median):");
    println!("  run --jobs small.log, cold cache  {:>9.1} ms", ms(cold));
    println!("  run --jobs small.log, warm cache  {:>9.1} ms", ms(warm));
    println!("  rules, warm cache                 {:>9.1} ms", ms(rules));
    println!(
        "  run --jobs small.log, no cache    {:>9.1} ms  (cold/warm {:.0}x)",
        ms(off),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What one (rule, input) call costs beyond the rule's work: a rule that
/// does nothing (`tests/guests/idle`), then each built-in classifier, over
/// empty logs, where it has nothing to do.
fn overhead(sandbox: &Sandbox, seconds: f64) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..200 {
        let path = dir.path().join(format!("empty-{i}.log"));
        std::fs::write(&path, "").unwrap();
        paths.push(path);
    }
    let jobs = input::load_jobs(
        &[dir.path().to_owned()],
        &mut std::io::empty(),
        &mut Vec::new(),
    );
    println!(
        "\nper-call overhead (a fresh instance per call, over {} empty logs, one thread):",
        jobs.len()
    );
    let noop = augur::builtin::test_guest("idle").map(|path| {
        let manifest = dir.path().join("idle.toml");
        std::fs::write(&manifest, format!("[[rule]]\npath = {path:?}\n")).unwrap();
        let pack = Pack::open(sandbox, &manifest, augur::sandbox::Roles::ALL).unwrap();
        assert!(pack.failures.is_empty(), "the no-op rule failed to load");
        ("no-op rule", pack)
    });
    let packs = noop
        .into_iter()
        .chain(RULES.iter().map(|(id, _)| (*id, pack_of(sandbox, &[id]))));
    for (id, pack) in packs {
        let per_run = time(seconds, || {
            std::hint::black_box(run_pack(sandbox, &pack, &jobs, 1));
        });
        // A log scanner makes two calls per log (scan, finish).
        let calls = if pack.rules[0].component.is_log_scanner() {
            2
        } else {
            1
        } * jobs.len();
        println!(
            "  {id:<16} {:>8.1} µs per call",
            per_run.as_secs_f64() * 1e6 / calls as f64
        );
    }
}

/// A corpus of `count` logs of 10 KB to 2 MB (log-uniform), `mib` in all,
/// made of the repository's real CI logs: each file ends with one real log
/// (or its last lines), after other real logs as filler. Returns the folder
/// and its size.
fn real_shaped_corpus(dir: &Path, count: usize, mib: usize) -> usize {
    let mut sources: Vec<PathBuf> = Vec::new();
    for base in [
        root().join("tests/corpus"),
        root().join("../shared/corpora"),
    ] {
        collect_logs(&base, &mut sources);
    }
    for path in corpus_paths() {
        if path.is_file() {
            sources.push(path);
        } else {
            collect_logs(&path, &mut sources);
        }
    }
    sources.sort();
    let texts: Vec<Vec<u8>> = sources
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|t| !t.is_empty())
        .collect();
    assert!(!texts.is_empty(), "no real logs found under tests/corpus");
    // Log-uniform sizes from a fixed sequence, scaled to `mib` in all.
    let (low, high) = (10e3_f64, 2e6_f64);
    let raw: Vec<f64> = (0..count)
        .map(|i| {
            let u = (i as f64 * 0.618_033_988_75).fract();
            low * (high / low).powf(u)
        })
        .collect();
    let scale = (mib << 20) as f64 / raw.iter().sum::<f64>();
    let mut total = 0;
    for (i, size) in raw.iter().enumerate() {
        let size = (size * scale).clamp(low, high) as usize;
        let last = &texts[i % texts.len()];
        let mut body: Vec<u8> = Vec::with_capacity(size + 1024);
        let mut k = i;
        while body.len() + last.len() < size {
            k = (k + 7) % texts.len();
            body.extend_from_slice(&texts[k]);
            if body.last() != Some(&b'\n') {
                body.push(b'\n');
            }
        }
        // The real log, or its last lines (where a failure shows).
        let keep = size.saturating_sub(body.len()).min(last.len()).max(1);
        let mut from = last.len() - keep;
        while from > 0 && last[from - 1] != b'\n' {
            from -= 1;
        }
        body.extend_from_slice(&last[from..]);
        total += body.len();
        std::fs::write(dir.join(format!("{i:04}.log")), body).unwrap();
    }
    total
}

/// Every log file below `dir`: `*.log` files and job folders' `output.log`.
fn collect_logs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_logs(&path, out);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "log") {
            out.push(path);
        }
    }
}

/// The seeds' Python peer over `path`: its MB/s, from its own report.
fn python_peer(path: &Path) -> Option<f64> {
    let script = root().join("../shared/bench/seed_peers.py");
    if !script.is_file() {
        return None;
    }
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(path)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .rsplit(" = ")
        .next()?
        .trim()
        .strip_suffix("MB/s")?
        .trim()
        .parse()
        .ok()
}

/// The classifier pack over the real-shaped corpus, on every core, against
/// the Python peer on the same files.
fn corpus_run(sandbox: &Sandbox, count: usize, mib: usize, threads: usize) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = real_shaped_corpus(dir.path(), count, mib);
    let jobs = input::load_jobs(
        &[dir.path().to_owned()],
        &mut std::io::empty(),
        &mut Vec::new(),
    );
    let ids: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    let pack = pack_of(sandbox, &ids);
    let start = Instant::now();
    let report = run_pack(sandbox, &pack, &jobs, threads);
    let wall = start.elapsed();
    let augur_mbs = mb_per_s(bytes, wall);
    println!(
        "\nthe {} classifiers over {} real-shaped logs ({:.0} MB, 10 KB-2 MB each), {threads} threads: {:.2} s = {:.1} MB/s, {} findings",
        ids.len(),
        jobs.len(),
        bytes as f64 / 1e6,
        wall.as_secs_f64(),
        augur_mbs,
        report.findings.len()
    );
    match python_peer(dir.path()) {
        Some(python) => println!(
            "  the seeds' Python peer (postflight + API errors) on the same files: {python:.2} MB/s; augur/Python {:.1}x",
            augur_mbs / python
        ),
        None => println!(
            "  (the seeds' Python peer, ../shared/bench/seed_peers.py, is not there: not compared)"
        ),
    }
}
