//! What the history costs, over a store of `--findings` recorded findings
//! (100 000 by default, spread over 30 days, 50 repositories and a mix of
//! the kinds augur's rules emit):
//!
//! - recording a run of 100 findings, which looks each one up ("seen
//!   before", similar failures, the actions that worked): the time per
//!   finding;
//! - reading the findings rules may query (the view, before a run);
//! - the built-in `systemic-patterns` rule over a failing job with that
//!   history, as `augur run` runs it.
//!
//! ```text
//! cargo run --release -p augur-bench --bin bench-history -- [--findings N] [--postgres URL]
//! ```
//!
//! `--postgres URL` measures an empty PostgreSQL database instead of a
//! SQLite file in a temporary directory; `--sqlite PATH` keeps the file.

use std::time::{Duration, Instant};

use augur::{
    history::{ActionRecord, FindingRecord, History, InputRecord, RunRecord, Settings, mask},
    input::{JobInput, LogBody},
    pack::Pack,
    report::EvidenceOut,
    run::{self, Inputs, RunOptions},
    sandbox::{Roles, Sandbox},
};

const DAY: i64 = 86_400;
/// 2026-11-20T00:00:00Z
const NOW: i64 = 1_795_132_800;
const KINDS: &[&str] = &[
    "failure/oom",
    "failure/flaky_test",
    "failure/unknown",
    "failure/dependency_missing",
    "api_error/rate_limit",
    "error_category/network_error",
    "quality_trend/lint_degrading",
    "coverage_gap/low_overall",
    "postflight/report",
];

fn finding(n: u64) -> FindingRecord {
    let kind = KINDS[(n % KINDS.len() as u64) as usize];
    let repo = format!("org/repo-{}", n % 50);
    let input = format!("jobs/{repo}/job-{}.log", n % 7);
    let line = format!(
        "ERROR step {} failed after {} ms in {repo}",
        n % 13,
        n % 997
    );
    FindingRecord {
        rule: kind.split('/').next().unwrap().replace('_', "-"),
        kind: kind.into(),
        severity: "medium".into(),
        fingerprint: format!("{:016x}", n % 2_000),
        input: input.clone(),
        repo: Some(repo),
        title: format!("{kind} in job {}", n % 7),
        evidence: vec![EvidenceOut {
            source: input,
            locator: format!("L{}", n % 500 + 1),
            excerpt: line.clone(),
        }],
        causal: Some(mask(&line)),
        actions: vec![
            ActionRecord::new("Retry the job"),
            ActionRecord::new(&format!("Look at step {}", n % 13)),
        ],
    }
}

fn run_record(id: String, at: i64, first: u64, findings: u64) -> RunRecord {
    RunRecord {
        id,
        at,
        pack: "builtin".into(),
        pack_digest: "0".repeat(64),
        augur_version: env!("CARGO_PKG_VERSION").into(),
        inputs: Vec::<InputRecord>::new(),
        findings: (first..first + findings).map(finding).collect(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut total: u64 = 100_000;
    let mut postgres = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--findings" => {
                total = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--findings N")
            }
            "--postgres" => postgres = Some(args.next().expect("--postgres URL")),
            // A SQLite file to keep, to look into afterwards (it must not exist).
            "--sqlite" => postgres = Some(args.next().expect("--sqlite PATH")),
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = postgres.unwrap_or_else(|| dir.path().join("history.db").display().to_string());
    let mut history = History::open(&spec, Settings::default()).expect("the store opens");

    // The store: runs of 100 findings, imported (one transaction).
    let per_run = 100;
    let runs = total / per_run;
    let mut export = Vec::new();
    for r in 0..runs {
        let at = NOW - 30 * DAY + (r as i64 * 30 * DAY) / runs as i64;
        let line = serde_json::json!({
            "version": 1,
            "run": run_record(format!("run-{r:06}"), at, r * per_run, per_run),
        });
        export.extend_from_slice(line.to_string().as_bytes());
        export.push(b'\n');
    }
    let started = Instant::now();
    history.import(&mut export.as_slice(), "generated").unwrap();
    let (_, stored) = history.counts().unwrap();
    println!(
        "store: {} ({}), {stored} findings in {runs} runs imported in {:.1} s",
        history.label(),
        match history.backend() {
            augur::history::Backend::Sqlite => "SQLite",
            augur::history::Backend::Postgres => "PostgreSQL",
        },
        started.elapsed().as_secs_f64()
    );

    // Recording a run: each finding looked up.
    let mut times = Vec::new();
    for i in 0..5 {
        let run = run_record(format!("new-{i}"), NOW + i, i as u64 * 37, per_run);
        let started = Instant::now();
        let recall = history.record(&run).unwrap();
        times.push(started.elapsed());
        assert_eq!(recall.findings.len(), per_run as usize);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "recording a run of {per_run} findings (seen before, similar failures, actions): {:.1} ms, \
         {:.0} µs per finding (median of 5)",
        ms(median),
        median.as_secs_f64() * 1e6 / per_run as f64
    );

    // The view rules read.
    let started = Instant::now();
    let view = history.view(NOW + 10).unwrap();
    println!(
        "reading the findings rules may query: {} rows in {:.1} ms",
        view.len(),
        ms(started.elapsed())
    );

    // systemic-patterns over a failing job, with that history.
    let sandbox =
        Sandbox::at(std::time::UNIX_EPOCH + Duration::from_secs((NOW + 10) as u64)).unwrap();
    sandbox.set_history(view);
    let mut pack = Pack::builtin(&sandbox, Roles::ALL);
    pack.rules
        .retain(|r| ["failure-class", "systemic-patterns"].contains(&r.id.as_str()));
    let job = JobInput {
        source: "jobs/org/repo-1/job-1.log".into(),
        meta: Some(r#"{"repo": "org/repo-1", "exit_code": 137}"#.into()),
        body: LogBody::Text("Out of memory: Killed process 4242 (python)\nKilled\n".into()),
    };
    let inputs = Inputs {
        series: Vec::new(),
        jobs: vec![job],
        problems: Vec::new(),
        findings: Vec::new(),
    };
    let options = RunOptions {
        timings: true,
        fail_closed: false,
        threads: 1,
        progress: None,
        prefilter: true,
    };
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..3 {
        let report = run::run(&sandbox, &pack, &inputs, &options);
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        let stats = report
            .stats
            .rules
            .iter()
            .find(|r| r.rule == "systemic-patterns")
            .unwrap();
        best = best.min(stats.wall_time_ms.unwrap_or(0.0));
        found = report
            .findings
            .iter()
            .filter(|f| f.kind.starts_with("systemic/"))
            .count();
    }
    println!(
        "systemic-patterns over a failing job and {stored} recorded findings: {best:.1} ms \
         (best of 3), {found} systemic findings"
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
