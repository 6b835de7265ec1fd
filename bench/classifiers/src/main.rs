//! Throughput of the built-in classifiers, each measured natively (the rule
//! crate linked into this binary) and as a component (the built-in pack, run
//! by the host as `augur run` runs it: sandboxed, fuel-metered, log windows),
//! in one run on one machine, so the ratio means something however noisy the
//! machine is.
//!
//! ```text
//! cargo run --release -p augur-bench -- [--large-mib N] [--seconds S] [--pack-only]
//! ```
//!
//! Three measurements:
//! - the fixture corpus (every log under `tests/fixtures/*/jobs` and
//!   `examples/jobs`), one call per log: what a CI run of ordinary jobs sees,
//!   per-job costs included;
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
}

fn args() -> Args {
    let mut args = Args {
        large_mib: 64,
        seconds: 1.0,
        pack_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--large-mib" => args.large_mib = value().parse().expect("--large-mib N"),
            "--seconds" => args.seconds = value().parse().expect("--seconds S"),
            "--pack-only" => args.pack_only = true,
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

/// Every log of the fixture corpus and the examples, as the host reads them.
fn corpus_paths() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("examples/jobs")];
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let jobs = entry.unwrap().path().join("jobs");
        if jobs.is_dir() {
            dirs.push(jobs);
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

fn run_pack(sandbox: &Sandbox, pack: &Pack, jobs: &[JobInput]) -> augur::report::Report {
    let inputs = Inputs {
        series: Vec::new(),
        jobs: jobs.to_vec(),
        problems: Vec::new(),
    };
    let options = RunOptions {
        timings: true,
        fail_closed: false,
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
    let sandbox = Sandbox::new().expect("a sandbox");
    let mut problems = Vec::new();
    let corpus = input::load_jobs(&corpus_paths(), &mut std::io::empty(), &mut problems);
    let corpus: Vec<JobInput> = corpus.into_iter().filter(|j| j.text().is_some()).collect();
    let native_corpus: Vec<Job> = corpus.iter().map(native_job).collect();
    let corpus_bytes: usize = native_corpus.iter().map(|j| j.text.len()).sum();
    println!(
        "corpus: {} logs, {:.1} KB (tests/fixtures/*/jobs and examples/jobs; {} input problems, as the bad-inputs fixture means: {})",
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
                std::hint::black_box(run_pack(&sandbox, &pack, &corpus));
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
                std::hint::black_box(run_pack(&sandbox, &pack, &large));
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
    }

    // The classifier pack over the large log, and what it holds in memory.
    let ids: Vec<&str> = RULES.iter().map(|(id, _)| *id).collect();
    let pack = pack_of(&sandbox, &ids);
    let start = Instant::now();
    let report = run_pack(&sandbox, &pack, &large);
    let wall = start.elapsed();
    println!(
        "\nthe {} classifiers over the {:.0} MB log: {:.2} s ({:.1} MB/s for the pack); peak RSS {:.0} MiB{}",
        ids.len(),
        large_bytes as f64 / 1e6,
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
