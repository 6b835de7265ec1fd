//! A run: every rule of a pack over every input it applies to, each call in a
//! fresh sandboxed instance, collected into one [`Report`].
//!
//! What a rule returns is checked before anyone sees it (see [`validate`]):
//! findings of undeclared kinds, without a title, with evidence that points
//! at nothing in the input, or with oversized data are rejected as
//! `invalid_output`; too many findings and overlong strings are cut, with a
//! warning saying so.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use augur_sdk::window::{LogWindow, Windows};

use serde_json::Value;

use crate::{
    contract,
    input::{JobInput, Problem, ProblemSeverity, Series, SnapshotInput},
    limits::WORKER_STACK_BYTES,
    pack::{FailurePolicy, Pack, PackRule},
    prefilter::Prefilter,
    report::{
        ErrorOut, FindingOut, InputStats, Interruption, LogOut, Report, RuleStats, Stats,
        WarningOut,
    },
    sandbox::{CallError, CallOutcome, Sandbox},
};
use augur_sdk::prefilter::Interest;

/// The inputs of a run, already read.
pub struct Inputs {
    pub series: Vec<Series>,
    pub jobs: Vec<JobInput>,
    pub problems: Vec<Problem>,
    /// Findings made before the run (a correlator's test case gives them in
    /// `findings.json`): the correlators receive them with the run's own,
    /// in report order. They are not reported again.
    pub findings: Vec<contract::ReportedFinding>,
}

pub struct RunOptions {
    /// Record wall times in the stats (they differ from run to run).
    pub timings: bool,
    /// Treat every rule as fail-closed, whatever the pack says.
    pub fail_closed: bool,
    /// Threads making rule calls (at least 1). The report is the same
    /// whatever the number, byte for byte.
    pub threads: usize,
    /// Told each time a piece of the run's work is done: (done, all).
    pub progress: Option<Progress>,
    /// Hand each log scanner that declares an interest only the lines it
    /// asks for (contract 0.1.5). Off (`--no-prefilter`), every rule reads
    /// every line: the way to check that an interest loses nothing.
    pub prefilter: bool,
}

/// A callback told how far a run is: `(units done, units in all)`, where a
/// unit is one deriver over one series or one job read by every classifier.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl RunOptions {
    /// Every core of the machine.
    pub fn all_cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

pub fn run(sandbox: &Sandbox, pack: &Pack, inputs: &Inputs, options: &RunOptions) -> Report {
    let mut report = Report {
        version: crate::report::REPORT_VERSION,
        findings: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        logs: Vec::new(),
        interrupted: None,
        baseline: None,
        history: None,
        job_reports: None,
        stats: Stats {
            pack: pack.source.clone(),
            inputs: InputStats {
                repositories: inputs.series.len(),
                snapshots: inputs.series.iter().map(|s| s.snapshots.len()).sum(),
                jobs: inputs.jobs.len(),
            },
            ..Stats::default()
        },
    };
    let fails_closed =
        |policy: FailurePolicy| options.fail_closed || policy == FailurePolicy::FailClosed;

    for failure in &pack.failures {
        let mut error = ErrorOut::new(
            Some(failure.rule.clone()),
            None,
            "load_error",
            failure.message.clone(),
            failure.hint.clone(),
        );
        error.fail_closed = fails_closed(failure.on_error);
        error.rule_source = failure.source.clone();
        report.errors.push(error);
    }
    for problem in &inputs.problems {
        match problem.severity {
            ProblemSeverity::Error => report.errors.push(ErrorOut::new(
                None,
                Some(problem.input.clone()),
                "input_error",
                problem.message.clone(),
                "fix or remove the file; the other inputs were analysed".into(),
            )),
            ProblemSeverity::Warning => report.warnings.push(WarningOut {
                rule: None,
                input: problem.input.clone(),
                message: problem.message.clone(),
            }),
        }
    }

    // Built once and shared by every deriver.
    let wit_series: Vec<Vec<contract::WitSnapshot>> = inputs
        .series
        .iter()
        .map(|s| {
            s.snapshots
                .iter()
                .map(|x| contract::WitSnapshot {
                    source: x.source.clone(),
                    repo: x.repo.clone(),
                    observed_at: x.observed_at.clone(),
                    document: x.document.clone(),
                })
                .collect()
        })
        .collect();
    let series_views: Vec<InputView> = inputs.series.iter().map(InputView::series).collect();
    let job_views: Vec<InputView> = inputs.jobs.iter().map(InputView::job).collect();

    // The work, planned up front so that an interruption can say how far the
    // run got: a unit is one deriver over one series, or one job read once
    // by every classifier. Correlators run last, once, over what the others
    // found.
    let rules = &pack.rules;
    let derivers: Vec<usize> = (0..rules.len())
        .filter(|&i| rules[i].component.is_deriver())
        .collect();
    let classifiers: Vec<usize> = (0..rules.len())
        .filter(|&i| rules[i].component.is_classifier())
        .collect();
    let correlators: Vec<usize> = (0..rules.len())
        .filter(|&i| rules[i].component.is_correlator())
        .collect();
    let mut units: Vec<Unit> = Vec::new();
    for &rule in &derivers {
        units.extend((0..inputs.series.len()).map(|series| Unit::Derive { rule, series }));
    }
    if !classifiers.is_empty() {
        units.extend((0..inputs.jobs.len()).map(|job| Unit::Job { job }));
    }
    let planned_calls = (derivers.len() * inputs.series.len()
        + classifiers.len() * inputs.jobs.len()
        + correlators.len()) as u64;

    let runner = Runner {
        sandbox,
        pack,
        options,
        interests: pack
            .rules
            .iter()
            .map(|rule| interest(sandbox, rule, options))
            .collect(),
        prefilters: Mutex::default(),
    };
    let threads = options.threads.max(1);
    // Few jobs for many threads (one large log, say): the classifiers of a
    // job share the threads, window by window.
    let jobs_in_units = units
        .iter()
        .filter(|u| matches!(u, Unit::Job { .. }))
        .count();
    let inner = if jobs_in_units < threads { threads } else { 1 };
    let done = AtomicUsize::new(0);
    let results = parallel(units.len(), threads, sandbox, |i| {
        let result = match units[i] {
            Unit::Derive { rule, series } => {
                runner.derive(rule, &series_views[series], &wit_series[series])
            }
            Unit::Job { job } => {
                runner.job(&classifiers, &job_views[job], &inputs.jobs[job], inner)
            }
        };
        if let Some(Progress(tell)) = &options.progress {
            tell(done.fetch_add(1, Ordering::Relaxed) + 1, units.len());
        }
        result
    });

    let mut tallies = vec![Tally::default(); rules.len()];
    let mut completed_calls = 0;
    let mut stopped: Option<Stop> = None;
    let mut not_started = false;
    for result in results {
        let Some(collected) = result else {
            not_started = true;
            continue;
        };
        completed_calls += collected.completed_calls;
        if stopped.is_none() {
            stopped = collected.stopped.clone();
        }
        collected.into_report(&mut report, &mut tallies);
    }
    let mut interrupted = (stopped.is_some() || not_started).then(|| Interruption {
        completed_calls,
        planned_calls,
        stopped_rule: stopped.as_ref().map(|s| rules[s.rule].id.clone()),
        stopped_input: stopped.as_ref().map(|s| s.input.clone()),
    });
    if interrupted.is_none() && !correlators.is_empty() {
        // In report order, so that correlators see the same list every run.
        report.sort();
        let mut reported: Vec<contract::ReportedFinding> =
            report.findings.iter().map(reported_finding).collect();
        if !inputs.findings.is_empty() {
            reported.extend(inputs.findings.iter().cloned());
            reported.sort_by(report_order);
        }
        let view = InputView::findings(&reported);
        for &index in &correlators {
            let mut collected = Collected::default();
            runner.correlate(index, &view, &reported, &mut collected);
            completed_calls += collected.completed_calls;
            let stop = collected.stopped.clone();
            collected.into_report(&mut report, &mut tallies);
            if let Some(stop) = stop {
                interrupted = Some(Interruption {
                    completed_calls,
                    planned_calls,
                    stopped_rule: Some(rules[stop.rule].id.clone()),
                    stopped_input: Some(stop.input),
                });
                break;
            }
        }
    }
    // Interrupted before any call could notice (while the pack was loading,
    // say): the run is still an interrupted one, never a clean pass.
    if interrupted.is_none() && sandbox.is_interrupted() {
        interrupted = Some(Interruption {
            completed_calls,
            planned_calls,
            stopped_rule: None,
            stopped_input: None,
        });
    }
    report.interrupted = interrupted;
    for (rule, tally) in rules.iter().zip(tallies) {
        report.stats.rules.push(RuleStats {
            rule: rule.id.clone(),
            version: rule.info.version.clone(),
            calls: tally.calls,
            findings: tally.findings,
            errors: tally.errors,
            fuel_used: tally.fuel_used,
            wall_time_ms: options
                .timings
                .then(|| (tally.wall.as_secs_f64() * 1e6).round() / 1e3),
        });
    }
    report.sort();
    report
}

/// What `rule` reads of a log, when it is a log scanner that says so and
/// the run prefilters. An interest the rule cannot give (its config is
/// wrong, it fails) or that is out of bounds is not used: the rule reads
/// every line, and its calls report what is wrong as they would.
fn interest(sandbox: &Sandbox, rule: &PackRule, options: &RunOptions) -> Option<Interest> {
    if !options.prefilter || !rule.component.has_prefilter() {
        return None;
    }
    let outcome = sandbox.interest(&rule.component, &rule.limits, &rule.config);
    let declared = match outcome.result {
        Ok(declared) => declared?,
        Err(e) => {
            tracing::debug!(rule = %rule.id, "no interest: {e}");
            return None;
        }
    };
    let interest = Interest {
        literals: declared.literals,
        before: declared.before,
        after: declared.after,
        head: declared.head,
    };
    crate::prefilter::accept(interest)
        .inspect_err(|e| tracing::debug!(rule = %rule.id, "interest not used: {e}"))
        .ok()
}

/// One piece of a run's work, done on one thread.
enum Unit {
    /// A deriver over one series.
    Derive { rule: usize, series: usize },
    /// One job, each window read once and handed to every classifier.
    Job { job: usize },
}

/// Runs `work` for each of `count` units on `threads` threads, and returns
/// the results in unit order: the order, and so the report, does not depend
/// on which thread did what. A unit not started because the run was
/// interrupted is `None`.
fn parallel<T: Send>(
    count: usize,
    threads: usize,
    sandbox: &Sandbox,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<Option<T>> {
    let results: Vec<Mutex<Option<T>>> = (0..count).map(|_| Mutex::new(None)).collect();
    spread(
        count,
        threads,
        || sandbox.is_interrupted(),
        |i| {
            let result = work(i);
            *results[i].lock().unwrap() = Some(result);
        },
    );
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap())
        .collect()
}

/// Calls `work(i)` once for each `i` below `count`, on up to `threads`
/// threads that each have a stack for wasm, taking the next `i` as each
/// finishes; no new `i` is begun once `stop()` says so.
fn spread(
    count: usize,
    threads: usize,
    stop: impl Fn() -> bool + Sync,
    work: impl Fn(usize) + Sync,
) {
    let next = AtomicUsize::new(0);
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count || stop() {
                break;
            }
            work(i);
        }
    };
    let threads = threads.min(count);
    if threads <= 1 {
        // The calling thread has a stack for wasm (`limits::WORKER_STACK_BYTES`).
        worker();
        return;
    }
    std::thread::scope(|scope| {
        for _ in 0..threads {
            std::thread::Builder::new()
                .name("augur-worker".into())
                .stack_size(WORKER_STACK_BYTES)
                .spawn_scoped(scope, worker)
                .expect("starting a worker thread");
        }
    });
}

/// Where a run stopped: the rule and input of the call that was running.
#[derive(Debug, Clone)]
struct Stop {
    rule: usize,
    input: String,
}

/// One rule's share of the stats.
#[derive(Debug, Clone, Default)]
struct Tally {
    calls: u64,
    findings: u64,
    errors: u64,
    fuel_used: u64,
    wall: std::time::Duration,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.calls += other.calls;
        self.findings += other.findings;
        self.errors += other.errors;
        self.fuel_used += other.fuel_used;
        self.wall += other.wall;
    }
}

/// What some calls produced, before it joins the report.
#[derive(Debug, Default)]
struct Collected {
    findings: Vec<FindingOut>,
    errors: Vec<ErrorOut>,
    warnings: Vec<WarningOut>,
    logs: Vec<LogOut>,
    /// (rule index, its share of the stats).
    tallies: Vec<(usize, Tally)>,
    completed_calls: u64,
    stopped: Option<Stop>,
}

impl Collected {
    /// The tally of rule `index`.
    fn tally(&mut self, index: usize) -> &mut Tally {
        match self.tallies.iter().position(|(i, _)| *i == index) {
            Some(at) => &mut self.tallies[at].1,
            None => {
                self.tallies.push((index, Tally::default()));
                &mut self.tallies.last_mut().unwrap().1
            }
        }
    }

    /// Adds `other` after what is here.
    fn append(&mut self, other: Collected) {
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
        self.logs.extend(other.logs);
        for (index, t) in other.tallies {
            self.tally(index).add(&t);
        }
        self.completed_calls += other.completed_calls;
        if self.stopped.is_none() {
            self.stopped = other.stopped;
        }
    }

    fn into_report(self, report: &mut Report, tallies: &mut [Tally]) {
        report.findings.extend(self.findings);
        report.errors.extend(self.errors);
        report.warnings.extend(self.warnings);
        report.logs.extend(self.logs);
        for (index, t) in self.tallies {
            tallies[index].add(&t);
        }
    }
}

/// One classifier's progress through one job.
struct Lane {
    rule: usize,
    scanner: bool,
    /// The window's lines holding one of the rule's literals, when it
    /// declares an interest and the run prefilters; `None`: every line.
    hits: Option<Vec<u32>>,
    /// The last line wanted as context after a hit of an earlier window.
    carry: u32,
    /// A log scanner's state between windows.
    state: Vec<u8>,
    /// The rule failed on a window: a scanner cannot go on without its state.
    failed: bool,
    collected: Collected,
}

/// What each call needs: the sandbox, the pack and the options.
struct Runner<'r> {
    sandbox: &'r Sandbox,
    pack: &'r Pack,
    options: &'r RunOptions,
    /// Each rule's interest (by pack index), when it is a log scanner that
    /// declares one and the run prefilters.
    interests: Vec<Option<Interest>>,
    /// The search for each set of rules that read jobs together (their
    /// pack indexes), built once per run: building one costs more than
    /// searching a small log.
    prefilters: Mutex<HashMap<Vec<usize>, Option<Arc<Prefilter>>>>,
}

impl Runner<'_> {
    /// The search for the lines `rules` want, or `None` when none of them
    /// declares an interest.
    fn prefilter(&self, rules: Vec<usize>) -> Option<Arc<Prefilter>> {
        let mut built = self.prefilters.lock().expect("no thread panics holding it");
        built
            .entry(rules)
            .or_insert_with_key(|rules| {
                let interests: Vec<Option<&Interest>> =
                    rules.iter().map(|&r| self.interests[r].as_ref()).collect();
                Prefilter::new(&interests).map(Arc::new)
            })
            .clone()
    }

    fn derive(
        &self,
        index: usize,
        view: &InputView,
        series: &[contract::WitSnapshot],
    ) -> Collected {
        let mut out = Collected::default();
        if self.sandbox.is_interrupted() {
            out.stopped = Some(Stop {
                rule: index,
                input: view.name().to_owned(),
            });
            return out;
        }
        let rule = &self.pack.rules[index];
        tracing::debug!(rule = %rule.id, input = view.name(), "calling the rule");
        let outcome = self
            .sandbox
            .derive(&rule.component, &rule.limits, series, &rule.config);
        if self.settle(index, view, outcome, &mut out) {
            out.completed_calls += 1;
        }
        out
    }

    fn correlate(
        &self,
        index: usize,
        view: &InputView,
        found: &[contract::ReportedFinding],
        out: &mut Collected,
    ) {
        let rule = &self.pack.rules[index];
        tracing::debug!(rule = %rule.id, input = view.name(), "calling the rule");
        let outcome = self
            .sandbox
            .correlate(&rule.component, &rule.limits, found, &rule.config);
        if self.settle(index, view, outcome, out) {
            out.completed_calls += 1;
        }
    }

    /// Books one sandbox call and collects what it returned. False when the
    /// call was interrupted (`out.stopped` then says where).
    fn settle(
        &self,
        index: usize,
        view: &InputView,
        outcome: CallOutcome,
        out: &mut Collected,
    ) -> bool {
        let rule = &self.pack.rules[index];
        out.tally(index).wall += outcome.usage.wall_time;
        if matches!(outcome.result, Err(CallError::Interrupted)) {
            out.stopped = Some(Stop {
                rule: index,
                input: view.name().to_owned(),
            });
            return false;
        }
        let fail_closed = self.options.fail_closed || rule.on_error == FailurePolicy::FailClosed;
        collect(out, index, rule, fail_closed, view, outcome);
        true
    }

    /// Runs the classifiers `rules` over one job, reading each window of its
    /// log once and handing it to every one of them (on `threads` threads).
    /// A log scanner gets `scan` for each window, carrying its state, then
    /// `finish`. Any other classifier gets `classify` for each window, and
    /// its findings from all windows are merged by kind and fingerprint (the
    /// last window's kept). Rules that window logs alike share one reading.
    fn job(&self, rules: &[usize], view: &InputView, job: &JobInput, threads: usize) -> Collected {
        let mut out = Collected::default();
        let mut groups: Vec<((usize, usize), Vec<usize>)> = Vec::new();
        for &index in rules {
            let limits = &self.pack.rules[index].limits;
            let key = (limits.window_bytes, limits.window_overlap_lines);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(index),
                None => groups.push((key, vec![index])),
            }
        }
        let mut lossy_warned = false;
        for ((window_bytes, overlap), members) in groups {
            let mut lanes: Vec<Lane> = members
                .into_iter()
                .map(|rule| Lane {
                    rule,
                    scanner: self.pack.rules[rule].component.is_log_scanner(),
                    hits: None,
                    carry: 0,
                    state: Vec::new(),
                    failed: false,
                    collected: Collected::default(),
                })
                .collect();
            self.read_job(
                &mut lanes,
                view,
                job,
                window_bytes,
                overlap,
                threads,
                &mut lossy_warned,
                &mut out,
            );
            for lane in lanes {
                out.append(lane.collected);
            }
            if out.stopped.is_some() {
                break;
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn read_job(
        &self,
        lanes: &mut [Lane],
        view: &InputView,
        job: &JobInput,
        window_bytes: usize,
        overlap: usize,
        threads: usize,
        lossy_warned: &mut bool,
        out: &mut Collected,
    ) {
        let first_findings: Vec<usize> = lanes.iter().map(|l| l.collected.findings.len()).collect();
        let rules: Vec<usize> = lanes.iter().map(|l| l.rule).collect();
        let prefilter = self.prefilter(rules);
        let prefilter = prefilter.as_deref();
        let mut windows = match job.reader() {
            Ok(reader) => Windows::new(reader, window_bytes, overlap),
            Err(e) => {
                for lane in lanes.iter_mut() {
                    self.unreadable(lane, job, &e);
                }
                return;
            }
        };
        let mut window_count = 0;
        loop {
            if self.sandbox.is_interrupted() {
                out.stopped = Some(Stop {
                    rule: lanes[0].rule,
                    input: view.name().to_owned(),
                });
                return;
            }
            let window = match windows.next_window() {
                Ok(Some(window)) => window,
                // An empty log is still a job: one empty window.
                Ok(None) if window_count == 0 => LogWindow {
                    text: String::new(),
                    first_line: 1,
                    overlap: 0,
                    lossy: false,
                },
                Ok(None) => break,
                Err(e) => {
                    for lane in lanes.iter_mut().filter(|l| !l.failed) {
                        self.unreadable(lane, job, &e);
                    }
                    return;
                }
            };
            window_count += 1;
            let last_window = windows.lines_exhausted();
            if last_window {
                for lane in lanes.iter_mut() {
                    lane.collected.warnings.push(WarningOut {
                        rule: Some(self.pack.rules[lane.rule].id.clone()),
                        input: job.source.clone(),
                        message: format!(
                            "the log has more than {} lines; lines past that cannot be numbered and were not read",
                            u32::MAX
                        ),
                    });
                }
            }
            if window.lossy && job.text().is_none() && !*lossy_warned {
                *lossy_warned = true;
                out.warnings.push(WarningOut {
                    rule: None,
                    input: job.source.clone(),
                    message: format!(
                        "not valid UTF-8 (first seen in the window from line {}); read with invalid bytes replaced by U+FFFD",
                        window.first_line
                    ),
                });
            }
            let lines = line_count(&window.text);
            let window_view = view.with_lines(u64::from(window.first_line), lines);
            let wit = contract::JobOutput {
                source: job.source.clone(),
                meta: job.meta.clone(),
                text: window.text,
                first_line: window.first_line,
            };
            let window_overlap = window.overlap;
            let read_bytes = wit.text.len() + wit.meta.as_ref().map_or(0, String::len);
            if let Some(prefilter) = prefilter {
                for (lane, hits) in lanes.iter_mut().zip(prefilter.hits(&wit.text)) {
                    lane.hits = hits;
                }
            }
            let call = |lane: &mut Lane| {
                if lane.failed || lane.collected.stopped.is_some() {
                    return;
                }
                let rule = &self.pack.rules[lane.rule];
                tracing::debug!(rule = %rule.id, input = view.name(), "calling the rule");
                let (component, limits, config) = (&rule.component, &rule.limits, &rule.config);
                if lane.scanner {
                    // The lines the rule asked for, the others emptied.
                    let wanted = match (&self.interests[lane.rule], &lane.hits) {
                        (Some(interest), Some(hits)) => Some(contract::JobOutput {
                            text: augur_sdk::prefilter::blank(
                                &wit.text,
                                wit.first_line,
                                interest,
                                hits,
                                &mut lane.carry,
                            ),
                            source: wit.source.clone(),
                            meta: wit.meta.clone(),
                            first_line: wit.first_line,
                        }),
                        _ => None,
                    };
                    let outcome = self.sandbox.scan(
                        component,
                        limits,
                        wanted.as_ref().unwrap_or(&wit),
                        read_bytes,
                        window_overlap,
                        &lane.state,
                        config,
                    );
                    let (outcome, new_state) = split_state(outcome, limits.max_state_bytes);
                    let ok = outcome.result.is_ok();
                    if !self.settle(lane.rule, &window_view, outcome, &mut lane.collected) {
                        return;
                    }
                    if ok {
                        lane.state = new_state;
                    } else {
                        // Its error is in the report, and without its state
                        // it cannot go on.
                        lane.failed = true;
                        lane.collected.completed_calls += 1;
                    }
                } else {
                    let outcome = self.sandbox.classify(component, limits, &wit, config);
                    self.settle(lane.rule, &window_view, outcome, &mut lane.collected);
                }
            };
            on_threads(lanes, threads, call);
            if let Some(lane) = lanes.iter().find(|l| l.collected.stopped.is_some()) {
                out.stopped = lane.collected.stopped.clone();
                return;
            }
            if last_window {
                break;
            }
        }
        let end = windows.end_line();
        let job_view = view.with_lines(1, u64::from(end) - 1);
        let wit = contract::JobOutput {
            source: job.source.clone(),
            meta: job.meta.clone(),
            text: String::new(),
            first_line: end,
        };
        let finish = |lane: &mut Lane| {
            if lane.failed {
                return;
            }
            let rule = &self.pack.rules[lane.rule];
            if lane.scanner {
                let outcome = self.sandbox.finish(
                    &rule.component,
                    &rule.limits,
                    &wit,
                    &lane.state,
                    &rule.config,
                );
                if !self.settle(lane.rule, &job_view, outcome, &mut lane.collected) {
                    return;
                }
            }
            lane.collected.completed_calls += 1;
        };
        on_threads(lanes, threads, finish);
        for (lane, first) in lanes.iter_mut().zip(first_findings) {
            if lane.scanner || window_count <= 1 || lane.collected.stopped.is_some() {
                continue;
            }
            let findings = lane.collected.findings.split_off(first);
            let returned = findings.len();
            let mut seen = HashSet::new();
            let mut kept: Vec<FindingOut> = findings
                .into_iter()
                .rev()
                .filter(|f| seen.insert((f.kind.clone(), f.fingerprint.clone())))
                .collect();
            kept.reverse();
            lane.collected.tally(lane.rule).findings -= (returned - kept.len()) as u64;
            lane.collected.findings.extend(kept);
        }
        if let Some(lane) = lanes.iter().find(|l| l.collected.stopped.is_some()) {
            out.stopped = lane.collected.stopped.clone();
        }
    }

    /// The log could not be read (it changed or vanished since it was
    /// listed): an input error for this rule, and the run goes on.
    fn unreadable(&self, lane: &mut Lane, job: &JobInput, e: &std::io::Error) {
        let out = &mut lane.collected;
        out.errors.push(ErrorOut::new(
            Some(self.pack.rules[lane.rule].id.clone()),
            Some(job.source.clone()),
            "input_error",
            format!("cannot read the log: {e}"),
            "check the file is still there and readable; the other inputs were analysed".into(),
        ));
        out.tally(lane.rule).errors += 1;
        out.completed_calls += 1;
        lane.failed = true;
    }
}

/// Calls `call` on every lane, on up to `threads` threads.
fn on_threads(lanes: &mut [Lane], threads: usize, call: impl Fn(&mut Lane) + Sync) {
    let count = lanes.len();
    let lanes: Vec<Mutex<&mut Lane>> = lanes.iter_mut().map(Mutex::new).collect();
    spread(
        count,
        threads,
        || false,
        |i| call(&mut lanes[i].lock().unwrap()),
    );
}

/// A scan's outcome as findings (none, or its error) and the state it
/// returned; state over `max_state_bytes` is the rule's error.
fn split_state(outcome: CallOutcome<Vec<u8>>, max_state_bytes: usize) -> (CallOutcome, Vec<u8>) {
    let (result, state) = match outcome.result {
        Ok(state) if state.len() > max_state_bytes => (
            Err(CallError::StateTooLarge {
                bytes: state.len(),
                limit: max_state_bytes,
            }),
            Vec::new(),
        ),
        Ok(state) => (Ok(Vec::new()), state),
        Err(e) => (Err(e), Vec::new()),
    };
    (
        CallOutcome {
            result,
            usage: outcome.usage,
            bounds: outcome.bounds,
            log: outcome.log,
        },
        state,
    )
}

/// [`Report::sort`]'s order, for findings as a correlator receives them.
fn report_order(
    a: &contract::ReportedFinding,
    b: &contract::ReportedFinding,
) -> std::cmp::Ordering {
    fn key(f: &contract::ReportedFinding) -> (&str, &str, &str, &str, &str) {
        let found = &f.finding;
        (
            &f.input,
            &f.rule,
            &found.kind,
            &found.fingerprint,
            &found.title,
        )
    }
    fn evidence(
        f: &contract::ReportedFinding,
    ) -> impl Iterator<Item = (&String, &String, &String)> {
        let evidence = f.finding.evidence.iter();
        evidence.map(|e| (&e.source, &e.locator, &e.excerpt))
    }
    key(a)
        .cmp(&key(b))
        .then_with(|| evidence(a).cmp(evidence(b)))
}

/// A finding of the report as a correlator receives it.
fn reported_finding(f: &FindingOut) -> contract::ReportedFinding {
    contract::ReportedFinding {
        rule: f.rule.clone(),
        input: f.input.clone(),
        repo: f.repo.clone(),
        finding: contract::WitFinding {
            kind: f.kind.clone(),
            severity: f.severity.into(),
            title: f.title.clone(),
            message: f.message.clone(),
            fingerprint: f.fingerprint.clone(),
            evidence: f.evidence.iter().cloned().map(Into::into).collect(),
            actions: f.actions.clone(),
            data: f.data.to_string(),
        },
    }
}

fn collect(
    out: &mut Collected,
    index: usize,
    rule: &PackRule,
    fail_closed: bool,
    view: &InputView,
    outcome: CallOutcome,
) {
    let input = view.name();
    let tally = out.tally(index);
    tally.calls += 1;
    tally.fuel_used += outcome.usage.fuel;
    if !outcome.log.is_empty() {
        out.logs.push(LogOut {
            rule: rule.id.clone(),
            input: input.to_owned(),
            text: outcome.log.text,
            dropped_bytes: outcome.log.dropped_bytes,
        });
    }
    let error = |class: &str, message: String, hint: String| {
        let mut e = ErrorOut::new(
            Some(rule.id.clone()),
            Some(input.to_owned()),
            class,
            message,
            hint,
        );
        e.fail_closed = fail_closed;
        e.rule_source = Some(rule.source.clone());
        e
    };
    let findings = match outcome.result {
        Ok(findings) => findings,
        Err(call_error) => {
            // What the rule said is bounded like any string it returns.
            let max = rule.limits.max_string_bytes;
            let mut message = format!("rule `{}` {call_error}", rule.id);
            cut(&mut message, max, &mut 0);
            let mut e = error(call_error.class(), message, call_error.hint());
            e.code = call_error.trap_code().map(str::to_owned);
            e.panic = call_error.panic_message().map(|p| {
                let mut p = p.to_owned();
                cut(&mut p, max, &mut 0);
                p
            });
            out.tally(index).errors += 1;
            out.errors.push(e);
            return;
        }
    };

    let limits = &rule.limits;
    let returned = findings.len();
    if returned > limits.max_findings {
        out.warnings.push(WarningOut {
            rule: Some(rule.id.clone()),
            input: input.to_owned(),
            message: format!(
                "rule `{}` returned {returned} findings; the first {} were kept (`max_findings`)",
                rule.id, limits.max_findings
            ),
        });
    }
    let declared: HashSet<&str> = rule.info.kinds.iter().map(String::as_str).collect();
    let mut cuts = 0usize;
    for finding in findings.into_iter().take(limits.max_findings) {
        match validate(finding, &declared, rule, view, &mut cuts) {
            Ok(f) => {
                out.tally(index).findings += 1;
                out.findings.push(f);
            }
            Err(message) => {
                let e = error(
                    "invalid_output",
                    format!("rule `{}` returned a finding that was dropped: {message}", rule.id),
                    "fix the rule: findings must use declared kinds, have a title, point at evidence that exists \
                     in the input, and carry JSON object data within `max_string_bytes`"
                        .into(),
                );
                out.tally(index).errors += 1;
                out.errors.push(e);
            }
        }
    }
    if cuts > 0 {
        out.warnings.push(WarningOut {
            rule: Some(rule.id.clone()),
            input: input.to_owned(),
            message: format!(
                "rule `{}` returned {cuts} string(s) longer than {} bytes; they were cut (`max_string_bytes`)",
                rule.id, limits.max_string_bytes
            ),
        });
    }
}

/// The input a call ran on, as the host's checks on evidence see it.
pub(crate) enum InputView<'a> {
    Job {
        source: &'a str,
        /// The lines evidence may point at: those the call was given.
        first_line: u64,
        lines: u64,
        /// `repo` from the job's `meta.json`.
        repo: Option<String>,
    },
    Series {
        repo: &'a str,
        /// The series' snapshots by source: one lookup per piece of evidence.
        by_source: HashMap<&'a str, &'a SnapshotInput>,
        /// Parsed documents by source, parsed when evidence first points in.
        documents: Mutex<HashMap<String, Option<Value>>>,
    },
    /// What a correlator was given: the findings of the run so far.
    Findings {
        /// (source, locator) of every piece of evidence it may cite.
        cited: HashSet<(&'a str, &'a str)>,
    },
}

/// The `input` of a correlator's findings: they are about the whole run.
pub const WHOLE_RUN: &str = "*";

impl<'a> InputView<'a> {
    /// A job, before any of its lines are read.
    pub(crate) fn job(job: &'a JobInput) -> InputView<'a> {
        InputView::Job {
            source: &job.source,
            first_line: 1,
            lines: 0,
            repo: job
                .meta
                .as_deref()
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
                .and_then(|m| m.get("repo")?.as_str().map(str::to_owned)),
        }
    }

    /// This job, with `lines` lines from `first_line` given to a call.
    pub(crate) fn with_lines(&self, first_line: u64, lines: u64) -> InputView<'a> {
        match self {
            InputView::Job { source, repo, .. } => InputView::Job {
                source,
                first_line,
                lines,
                repo: repo.clone(),
            },
            _ => unreachable!("only a job has lines"),
        }
    }

    fn findings(findings: &'a [contract::ReportedFinding]) -> InputView<'a> {
        InputView::Findings {
            cited: findings
                .iter()
                .flat_map(|r| &r.finding.evidence)
                .map(|e| (e.source.as_str(), e.locator.as_str()))
                .collect(),
        }
    }

    /// The repository a finding on this input concerns, when known.
    fn repo(&self) -> Option<&str> {
        match self {
            InputView::Job { repo, .. } => repo.as_deref(),
            InputView::Series { repo, .. } => Some(repo),
            InputView::Findings { .. } => None,
        }
    }

    pub(crate) fn series(series: &'a Series) -> InputView<'a> {
        InputView::Series {
            repo: &series.repo,
            by_source: series
                .snapshots
                .iter()
                .map(|s| (s.source.as_str(), s))
                .collect(),
            documents: Default::default(),
        }
    }

    /// The input's name in the report: the job's source or the repository.
    fn name(&self) -> &str {
        match self {
            InputView::Job { source, .. } => source,
            InputView::Series { repo, .. } => repo,
            InputView::Findings { .. } => WHOLE_RUN,
        }
    }

    /// Checks that `evidence` points at something in this input.
    pub(crate) fn check_evidence(&self, evidence: &contract::WitEvidence) -> Result<(), String> {
        match self {
            InputView::Job {
                source,
                first_line,
                lines,
                ..
            } => {
                if evidence.source != *source {
                    return Err(format!(
                        "evidence names source `{}`, but the rule was given `{source}`",
                        quote(&evidence.source)
                    ));
                }
                let (first, last) = parse_lines(&evidence.locator).ok_or_else(|| {
                    format!(
                        "evidence locator `{}` is not `L<n>` or `L<n>-L<m>`",
                        quote(&evidence.locator)
                    )
                })?;
                let (count, start) = (*lines, *first_line);
                let end = start + count.max(1) - 1;
                if first < start || last > end || first > last {
                    return Err(format!(
                        "evidence points at {}, but `{source}` has lines {start} to {end} ({count} lines)",
                        quote(&evidence.locator)
                    ));
                }
                Ok(())
            }
            InputView::Series {
                by_source,
                documents,
                ..
            } => {
                let Some(snapshot) = by_source.get(evidence.source.as_str()) else {
                    return Err(format!(
                        "evidence names source `{}`, which is not a snapshot of this series",
                        quote(&evidence.source)
                    ));
                };
                if evidence.locator.is_empty() {
                    return Ok(());
                }
                if !evidence.locator.starts_with('/') {
                    return Err(format!(
                        "evidence locator `{}` is not a JSON pointer",
                        quote(&evidence.locator)
                    ));
                }
                let mut documents = documents.lock().unwrap();
                let document = documents
                    .entry(snapshot.source.clone())
                    .or_insert_with(|| serde_json::from_str(&snapshot.document).ok());
                match document.as_ref().and_then(|d| d.pointer(&evidence.locator)) {
                    Some(_) => Ok(()),
                    None => Err(format!(
                        "evidence points at `{}`, which does not exist in `{}`",
                        quote(&evidence.locator),
                        snapshot.source
                    )),
                }
            }
            InputView::Findings { cited } => {
                if cited.contains(&(evidence.source.as_str(), evidence.locator.as_str())) {
                    Ok(())
                } else {
                    Err(format!(
                        "evidence `{}` at `{}` is not evidence of any finding it was given \
                         (a correlator may only cite its findings' evidence)",
                        quote(&evidence.source),
                        quote(&evidence.locator)
                    ))
                }
            }
        }
    }
}

/// `L12` → (12, 12); `L12-L14` → (12, 14). Numbers are plain decimal
/// (no sign, no leading zero), from 1.
pub(crate) fn parse_lines(locator: &str) -> Option<(u64, u64)> {
    let one = |s: &str| {
        let digits = s.strip_prefix('L')?;
        let plain = digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
            && !digits.is_empty();
        plain.then(|| digits.parse::<u64>().ok()).flatten()
    };
    match locator.split_once('-') {
        Some((a, b)) => Some((one(a)?, one(b)?)),
        None => one(locator).map(|n| (n, n)),
    }
}

/// Rule-given text quoted in a host message, cut to a readable length so
/// that no message grows with what the rule returned.
fn quote(text: &str) -> String {
    let mut text = text.to_owned();
    cut(&mut text, 200, &mut 0);
    text
}

/// Lines in `text`: a last line without a newline counts.
fn line_count(text: &str) -> u64 {
    let newlines = text.bytes().filter(|b| *b == b'\n').count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with('\n'))
}

/// Cuts `s` to at most `max` bytes (at a character boundary), marking the cut.
fn cut(s: &mut String, max: usize, cuts: &mut usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let dropped = s.len() - end;
    s.truncate(end);
    s.push_str(&format!("… [cut {dropped} bytes]"));
    *cuts += 1;
}

/// The host's checks on a finding before anyone sees it.
fn validate(
    mut f: contract::WitFinding,
    declared: &HashSet<&str>,
    rule: &PackRule,
    view: &InputView,
    cuts: &mut usize,
) -> Result<FindingOut, String> {
    let max = rule.limits.max_string_bytes;
    if !crate::identity::declares(declared, &f.kind) {
        let mut kind = f.kind.clone();
        cut(&mut kind, 200, &mut 0);
        return Err(format!(
            "kind `{kind}` is not among the kinds it declares ({})",
            rule.info.kinds.join(", ")
        ));
    }
    if f.title.trim().is_empty() {
        return Err(format!("a `{}` finding has an empty title", f.kind));
    }
    for e in &f.evidence {
        view.check_evidence(e)
            .map_err(|m| format!("a `{}` finding: {m}", f.kind))?;
    }
    if f.data.len() > max {
        return Err(format!(
            "`data` of a `{}` finding is {} bytes, over `max_string_bytes` ({max})",
            f.kind,
            f.data.len()
        ));
    }
    let data: Value = match f.data.trim() {
        "" => Value::Object(Default::default()),
        text => serde_json::from_str(text)
            .map_err(|e| format!("`data` of a `{}` finding is not JSON: {e}", f.kind))?,
    };
    if !data.is_object() {
        return Err(format!(
            "`data` of a `{}` finding is not a JSON object",
            f.kind
        ));
    }
    cut(&mut f.title, max, cuts);
    cut(&mut f.message, max, cuts);
    cut(&mut f.fingerprint, max, cuts);
    for a in &mut f.actions {
        cut(a, max, cuts);
    }
    for e in &mut f.evidence {
        cut(&mut e.excerpt, max, cuts);
    }
    Ok(FindingOut {
        rule: rule.id.clone(),
        rule_source: rule.source.clone(),
        kind: f.kind,
        severity: f.severity.into(),
        title: f.title,
        message: f.message,
        fingerprint: f.fingerprint,
        input: view.name().to_owned(),
        repo: view.repo().map(str::to_owned),
        evidence: f.evidence.into_iter().map(Into::into).collect(),
        actions: f.actions,
        data,
        baseline: None,
        history: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_locators() {
        assert_eq!(parse_lines("L4"), Some((4, 4)));
        assert_eq!(parse_lines("L4-L9"), Some((4, 9)));
        assert_eq!(parse_lines("4"), None);
        assert_eq!(parse_lines("L4-9"), None);
        assert_eq!(parse_lines("/signals/lint"), None);
        for bad in [
            "", "L", "L+5", "L05", "L0", "L-1", "L 5", "L5-", "L5-L+6", "L١",
        ] {
            assert_eq!(parse_lines(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn counts_lines_like_an_editor() {
        assert_eq!(line_count(""), 0);
        assert_eq!(line_count("a"), 1);
        assert_eq!(line_count("a\n"), 1);
        assert_eq!(line_count("a\nb"), 2);
        assert_eq!(line_count("a\n\nb\n"), 3);
    }

    #[test]
    fn cuts_at_a_character_boundary_and_says_so() {
        let mut cuts = 0;
        let mut s = "ééé".to_owned(); // 6 bytes
        cut(&mut s, 3, &mut cuts);
        assert_eq!(s, "é… [cut 4 bytes]");
        assert_eq!(cuts, 1);
        let mut short = "ok".to_owned();
        cut(&mut short, 3, &mut cuts);
        assert_eq!((short.as_str(), cuts), ("ok", 1));
    }

    #[test]
    fn evidence_must_point_at_lines_that_exist() {
        let job = JobInput {
            source: "job.log".into(),
            meta: None,
            body: crate::input::LogBody::Text("one\ntwo\nthree\n".into()),
        };
        let view = InputView::job(&job).with_lines(1, 3);
        let at = |locator: &str| contract::WitEvidence {
            source: "job.log".into(),
            locator: locator.into(),
            excerpt: String::new(),
        };
        assert!(view.check_evidence(&at("L1")).is_ok());
        assert!(view.check_evidence(&at("L2-L3")).is_ok());
        // A job's evidence names lines: an empty locator points at nothing.
        assert!(view.check_evidence(&at("")).is_err());
        assert!(view.check_evidence(&at("L+2")).is_err());
        assert!(view.check_evidence(&at("L02")).is_err());
        let err = view.check_evidence(&at("L10000")).unwrap_err();
        assert!(err.contains("lines 1 to 3"), "{err}");
        assert!(view.check_evidence(&at("L0")).is_err());
        assert!(view.check_evidence(&at("L3-L2")).is_err());
        assert!(view.check_evidence(&at("line 2")).is_err());
        let elsewhere = contract::WitEvidence {
            source: "/etc/passwd".into(),
            locator: "L1".into(),
            excerpt: String::new(),
        };
        assert!(
            view.check_evidence(&elsewhere)
                .unwrap_err()
                .contains("/etc/passwd")
        );
    }

    #[test]
    fn a_correlator_may_only_cite_evidence_it_was_given() {
        let evidence = |source: &str, locator: &str| contract::WitEvidence {
            source: source.into(),
            locator: locator.into(),
            excerpt: String::new(),
        };
        let given = [contract::ReportedFinding {
            rule: "coverage-gap".into(),
            input: "org/a".into(),
            repo: Some("org/a".into()),
            finding: contract::WitFinding {
                kind: "coverage_gap/low_overall".into(),
                severity: contract::WitSeverity::Medium,
                title: "t".into(),
                message: String::new(),
                fingerprint: String::new(),
                evidence: vec![evidence("a.json", "/signals/coverage/percent")],
                actions: vec![],
                data: "{}".into(),
            },
        }];
        let view = InputView::findings(&given);
        assert_eq!(view.name(), WHOLE_RUN);
        assert!(
            view.check_evidence(&evidence("a.json", "/signals/coverage/percent"))
                .is_ok()
        );
        let err = view
            .check_evidence(&evidence("a.json", "/signals/lint"))
            .unwrap_err();
        assert!(err.contains("may only cite"), "{err}");
        assert!(view.check_evidence(&evidence("/etc/passwd", "L1")).is_err());
    }
}
