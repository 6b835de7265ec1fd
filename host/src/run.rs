//! A run: every rule of a pack over every input it applies to, each call in a
//! fresh sandboxed instance, collected into one [`Report`].

use std::collections::HashSet;

use crate::{
    contract,
    input::{JobInput, Problem, ProblemSeverity, Series},
    pack::{Pack, PackRule},
    report::{ErrorOut, EvidenceOut, FindingOut, InputStats, LogOut, Report, RuleStats, Severity, Stats, WarningOut},
    sandbox::{CallOutcome, Sandbox},
};

/// The inputs of a run, already read.
pub struct Inputs {
    pub series: Vec<Series>,
    pub jobs: Vec<JobInput>,
    pub problems: Vec<Problem>,
}

pub struct RunOptions {
    /// Record wall times in the stats (they differ from run to run).
    pub timings: bool,
}

pub fn run(sandbox: &Sandbox, pack: &Pack, inputs: &Inputs, options: &RunOptions) -> Report {
    let mut report = Report {
        version: crate::report::REPORT_VERSION,
        findings: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        logs: Vec::new(),
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

    for failure in &pack.failures {
        report.errors.push(ErrorOut {
            rule: Some(failure.rule.clone()),
            input: None,
            class: "load_error".into(),
            message: failure.message.clone(),
            hint: failure.hint.clone(),
        });
    }
    for problem in &inputs.problems {
        match problem.severity {
            ProblemSeverity::Error => report.errors.push(ErrorOut {
                rule: None,
                input: Some(problem.input.clone()),
                class: "input_error".into(),
                message: problem.message.clone(),
                hint: "fix or remove the file; the other inputs were analysed".into(),
            }),
            ProblemSeverity::Warning => {
                report.warnings.push(WarningOut { input: problem.input.clone(), message: problem.message.clone() })
            }
        }
    }

    // Built once and shared by every deriver.
    let wit_series: Vec<(&str, Vec<contract::WitSnapshot>)> = inputs
        .series
        .iter()
        .map(|s| {
            let snapshots = s
                .snapshots
                .iter()
                .map(|x| contract::WitSnapshot {
                    source: x.source.clone(),
                    repo: x.repo.clone(),
                    observed_at: x.observed_at.clone(),
                    document: x.document.clone(),
                })
                .collect();
            (s.repo.as_str(), snapshots)
        })
        .collect();
    let wit_jobs: Vec<contract::JobOutput> = inputs
        .jobs
        .iter()
        .map(|j| contract::JobOutput { source: j.source.clone(), meta: j.meta.clone(), text: j.text.clone(), first_line: 1 })
        .collect();

    for rule in &pack.rules {
        let mut stats = RuleStats {
            rule: rule.id.clone(),
            version: rule.info.version.clone(),
            calls: 0,
            findings: 0,
            errors: 0,
            fuel_used: 0,
            wall_time_ms: None,
        };
        let mut wall = std::time::Duration::ZERO;
        if rule.component.is_deriver() {
            for (repo, series) in &wit_series {
                let outcome = sandbox.derive(&rule.component, &rule.limits, series, &rule.config);
                wall += outcome.usage.wall_time;
                collect(&mut report, &mut stats, rule, repo, outcome);
            }
        }
        if rule.component.is_classifier() {
            for job in &wit_jobs {
                let outcome = sandbox.classify(&rule.component, &rule.limits, job, &rule.config);
                wall += outcome.usage.wall_time;
                collect(&mut report, &mut stats, rule, &job.source, outcome);
            }
        }
        if options.timings {
            stats.wall_time_ms = Some((wall.as_secs_f64() * 1e6).round() / 1e3);
        }
        report.stats.rules.push(stats);
    }
    report.sort();
    report
}

fn collect(report: &mut Report, stats: &mut RuleStats, rule: &PackRule, input: &str, outcome: CallOutcome) {
    stats.calls += 1;
    stats.fuel_used += outcome.usage.fuel;
    if !outcome.log.is_empty() {
        report.logs.push(LogOut {
            rule: rule.id.clone(),
            input: input.to_owned(),
            text: outcome.log.text,
            dropped_bytes: outcome.log.dropped_bytes,
        });
    }
    let findings = match outcome.result {
        Ok(findings) => findings,
        Err(error) => {
            stats.errors += 1;
            report.errors.push(ErrorOut {
                rule: Some(rule.id.clone()),
                input: Some(input.to_owned()),
                class: error.class().into(),
                message: format!("rule `{}` {error}", rule.id),
                hint: error.hint(),
            });
            return;
        }
    };
    let declared: HashSet<&str> = rule.info.kinds.iter().map(String::as_str).collect();
    for finding in findings {
        match check(finding, &declared, rule, input) {
            Ok(f) => {
                stats.findings += 1;
                report.findings.push(f);
            }
            Err(message) => {
                stats.errors += 1;
                report.errors.push(ErrorOut {
                    rule: Some(rule.id.clone()),
                    input: Some(input.to_owned()),
                    class: "invalid_output".into(),
                    message: format!("rule `{}` returned a finding that was dropped: {message}", rule.id),
                    hint: "fix the rule: findings must use declared kinds, a title, and JSON object data".into(),
                });
            }
        }
    }
}

/// The host's checks on a finding before anyone sees it.
fn check(f: contract::WitFinding, declared: &HashSet<&str>, rule: &PackRule, input: &str) -> Result<FindingOut, String> {
    if !declared.contains(f.kind.as_str()) {
        return Err(format!("kind `{}` is not among the kinds it declares ({})", f.kind, rule.info.kinds.join(", ")));
    }
    if f.title.trim().is_empty() {
        return Err(format!("a `{}` finding has an empty title", f.kind));
    }
    let data: serde_json::Value = match f.data.trim() {
        "" => serde_json::Value::Object(Default::default()),
        text => serde_json::from_str(text).map_err(|e| format!("`data` of a `{}` finding is not JSON: {e}", f.kind))?,
    };
    if !data.is_object() {
        return Err(format!("`data` of a `{}` finding is not a JSON object", f.kind));
    }
    Ok(FindingOut {
        rule: rule.id.clone(),
        kind: f.kind,
        severity: match f.severity {
            contract::WitSeverity::Info => Severity::Info,
            contract::WitSeverity::Low => Severity::Low,
            contract::WitSeverity::Medium => Severity::Medium,
            contract::WitSeverity::High => Severity::High,
            contract::WitSeverity::Critical => Severity::Critical,
        },
        title: f.title,
        message: f.message,
        fingerprint: f.fingerprint,
        input: input.to_owned(),
        evidence: f
            .evidence
            .into_iter()
            .map(|e| EvidenceOut { source: e.source, locator: e.locator, excerpt: e.excerpt })
            .collect(),
        actions: f.actions,
        data,
    })
}
