//! The text report, for a person: findings grouped by input, most severe
//! first, coloured on a terminal.

use std::{collections::BTreeMap, fmt::Write as _};

use anstyle::{AnsiColor, Style};

use super::{Context, plural};
use crate::{
    context::JobReport,
    history::FindingHistory,
    report::{BaselineState, FindingOut, Report, Severity},
    sanitize::{escape, escape_block},
};

/// ` NEW` or ` (in the baseline)` after a finding's title, when the run
/// was compared with a baseline.
fn baseline_mark(f: &FindingOut) -> String {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    match f.baseline {
        Some(BaselineState::New) => format!(" {bold}NEW{bold:#}"),
        Some(BaselineState::Unchanged) => format!(" {dim}(in the baseline){dim:#}"),
        None => String::new(),
    }
}

/// What history knows of a finding: how often it was seen, the past
/// failures like it, and the actions to try, numbered as `augur feedback
/// --action N` takes them.
fn history_lines(out: &mut String, h: &FindingHistory, indent: &str) {
    let dim = Style::new().dimmed();
    let day = |t: &str| t.get(..10).unwrap_or(t).to_owned();
    let _ = writeln!(out, "{indent}{dim}{}{dim:#}", h.seen_line());
    for s in &h.similar {
        let fixed = s.fixed_suffix(|a| escape(a).into_owned());
        let _ = writeln!(
            out,
            "{indent}{dim}like {} on {} ({}){dim:#}{fixed}",
            escape(&one_line(&s.title, 80)),
            day(&s.at),
            escape(&s.input)
        );
    }
    for (n, a) in h.actions.iter().enumerate() {
        let proven = match a.effectiveness {
            Some(pct) if a.source == "history" => format!(
                "  {dim}(fixed {} of {} times, {pct}%){dim:#}",
                a.fixed, a.suggested
            ),
            _ => String::new(),
        };
        let _ = writeln!(out, "{indent}{}. {}{proven}", n + 1, escape(&a.action));
    }
}

/// The context error report of a failed job: what failed, why, similar
/// past issues and the actions to take, every rule's findings about the
/// job folded into one block.
fn job_block(out: &mut String, report: &Report, job: &JobReport) {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    const PAD: &str = "                ";
    let about: Vec<String> = [
        job.repo.clone(),
        job.job.clone(),
        job.stage.as_ref().map(|s| format!("stage {s}")),
        job.task_kind.clone(),
        job.exit_code.map(|c| format!("exit code {c}")),
    ]
    .into_iter()
    .flatten()
    .map(|s| escape(&s).into_owned())
    .collect();
    let _ = writeln!(
        out,
        "{red}✗{red:#} {bold}{}{bold:#}  {dim}{}{dim:#}",
        escape(&job.input),
        about.join(" · ")
    );
    let p = &report.findings[job.primary];
    let sev = severity_style(p.severity);
    let new = baseline_mark(p);
    let _ = writeln!(
        out,
        "  {bold}What failed{bold:#}   {sev}{}{sev:#} {}{new}  {dim}{}{dim:#}",
        p.severity.as_str().to_uppercase(),
        escape(&p.title),
        escape(&p.kind)
    );
    for &i in &job.related {
        let f = &report.findings[i];
        let _ = writeln!(
            out,
            "{PAD}{dim}also:{dim:#} {}  {dim}{} · {}{dim:#}",
            escape(&f.title),
            escape(&f.kind),
            f.severity.as_str()
        );
    }
    let _ = match job.why.line {
        Some(line) => writeln!(out, "  {bold}Why{bold:#}           line {line}:"),
        None => writeln!(
            out,
            "  {bold}Why{bold:#}           {}",
            indented(&p.message)
        ),
    };
    let width = job
        .why
        .context
        .last()
        .map_or(1, |l| l.line.to_string().len());
    for l in &job.why.context {
        let causal = Some(l.line) == job.why.line;
        let (mark, style) = if causal {
            ("→", bold)
        } else {
            (" ", Style::new())
        };
        let _ = writeln!(
            out,
            "{PAD}{mark} {dim}{:>width$} │{dim:#} {style}{}{style:#}",
            l.line,
            escape(&l.text)
        );
    }
    for e in &job.why.evidence {
        let _ = writeln!(
            out,
            "{PAD}{dim}{} {}:{dim:#} {}",
            escape(&report.findings[e.finding].rule),
            escape(&e.locator),
            escape(&one_line(&e.excerpt, 100))
        );
    }
    let _ = write!(out, "  {bold}Seen before{bold:#}   ");
    match &p.history {
        Some(h) => {
            let mut lines = String::new();
            history_lines(
                &mut lines,
                &FindingHistory {
                    actions: Vec::new(),
                    ..h.clone()
                },
                PAD,
            );
            out.push_str(lines.trim_start());
        }
        None => {
            let _ = writeln!(
                out,
                "{dim}no history (give --history to compare with past runs){dim:#}"
            );
        }
    }
    let _ = writeln!(out, "  {bold}What to do{bold:#}");
    for (n, a) in job.actions.iter().enumerate() {
        let proven = match (a.fixed, a.suggested, a.effectiveness) {
            (Some(fixed), Some(suggested), Some(pct)) => {
                format!("  {dim}(fixed {fixed} of {suggested} times, {pct}%){dim:#}")
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "{PAD}{}. {}{proven}", n + 1, escape(&a.action));
    }
    let mut rules: Vec<&str> = std::iter::once(job.primary)
        .chain(job.related.iter().copied())
        .map(|i| report.findings[i].rule.as_str())
        .collect();
    rules.dedup();
    let _ = writeln!(
        out,
        "{PAD}{dim}{} · {}{dim:#}\n",
        rules
            .iter()
            .map(|r| escape(r).into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        escape(&p.fingerprint)
    );
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new()
            .bold()
            .fg_color(Some(AnsiColor::BrightRed.into())),
        Severity::High => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().dimmed(),
    }
}

pub(super) fn render(report: &Report, context: &Context) -> String {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let mut out = String::new();

    let (by_input, hidden) = super::shown_by_input(report, context);
    for (input, mut findings) in by_input {
        if let Some(job) = report
            .job_reports
            .as_ref()
            .and_then(|r| r.jobs.iter().find(|j| j.input == input))
        {
            job_block(&mut out, report, job);
            continue;
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        if input == crate::run::WHOLE_RUN {
            let _ = writeln!(out, "{bold}across the run{bold:#}");
        } else {
            let _ = writeln!(out, "{bold}{}{bold:#}", escape(input));
        }
        for f in findings {
            let sev = severity_style(f.severity);
            let new = baseline_mark(f);
            let _ = writeln!(
                out,
                "  {sev}{:<8}{sev:#} {}{new}  {dim}{}{dim:#}",
                f.severity.as_str().to_uppercase(),
                escape(&f.title),
                escape(&f.kind)
            );
            if !f.message.is_empty() {
                let _ = writeln!(out, "           {}", indented(&f.message));
            }
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "           {dim}at {} {}{dim:#}  {}",
                    escape(&e.source),
                    escape(&e.locator),
                    escape(&one_line(&e.excerpt, 100))
                );
            }
            match &f.history {
                Some(h) => history_lines(&mut out, h, "           "),
                None => {
                    for a in &f.actions {
                        let _ = writeln!(out, "           → {}", escape(a));
                    }
                }
            }
            let _ = writeln!(
                out,
                "           {dim}{} · {}{dim:#}",
                escape(&f.rule),
                escape(&f.fingerprint)
            );
        }
        out.push('\n');
    }

    if !report.errors.is_empty() {
        let _ = writeln!(out, "{bold}Errors{bold:#}");
        for e in &report.errors {
            let about = match (&e.rule, &e.input) {
                (Some(r), Some(i)) => format!("{} on {}", escape(r), escape(i)),
                (Some(r), None) => escape(r).into_owned(),
                (None, Some(i)) => escape(i).into_owned(),
                (None, None) => String::new(),
            };
            let code = e
                .code
                .as_ref()
                .map(|c| format!(" [{}]", escape(c)))
                .unwrap_or_default();
            let gate = if e.fail_closed {
                " (fail-closed: fails the run)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {red}✗ {}{code}{red:#} {about}{gate}: {}",
                escape(&e.class),
                escape(&e.message)
            );
            let _ = writeln!(out, "    {dim}hint: {}{dim:#}", escape(&e.hint));
        }
        out.push('\n');
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "{bold}Warnings{bold:#}");
        for w in &report.warnings {
            let _ = writeln!(
                out,
                "  {yellow}!{yellow:#} {}: {}",
                escape(&w.input),
                escape(&w.message)
            );
        }
        out.push('\n');
    }

    if let Some(i) = &report.interrupted {
        let stopped = match (&i.stopped_rule, &i.stopped_input) {
            (Some(r), Some(input)) => {
                format!("; `{}` was stopped on {}", escape(r), escape(input))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{red}{bold}Interrupted{bold:#}{red:#} after {} of {} rule calls{stopped}: the findings above are partial.\n",
            i.completed_calls, i.planned_calls
        );
    }

    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "Against the baseline {}: {} new, {} unchanged, {} no longer found.",
            escape(&b.file),
            b.new,
            b.unchanged,
            b.absent.len()
        );
        for e in b.absent.iter().take(20) {
            let _ = writeln!(
                out,
                "  {dim}gone: {} {} on {} · {}{dim:#}",
                escape(&e.rule),
                escape(&e.kind),
                escape(&e.input),
                escape(&e.fingerprint)
            );
        }
        if b.absent.len() > 20 {
            let _ = writeln!(out, "  {dim}… and {} more{dim:#}", b.absent.len() - 20);
        }
        out.push('\n');
    }
    if let Some(least) = context.fail_on {
        let failing = report.findings.iter().filter(|f| context.fails(f)).count();
        let _ = writeln!(
            out,
            "{}{failing} finding{} at or above {}{}{}",
            if failing > 0 { red } else { Style::new() },
            plural(failing),
            least.as_str(),
            if report.baseline.is_some() {
                " (new ones only)"
            } else {
                ""
            },
            if failing > 0 {
                format!(": the gate fails{red:#}")
            } else {
                ": the gate passes".into()
            },
        );
    }
    let mut counts: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for f in &report.findings {
        *counts.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
    }
    let breakdown: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.0.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{bold}{} finding{}{bold:#}{} · {}",
        report.findings.len(),
        plural(report.findings.len()),
        if breakdown.is_empty() {
            String::new()
        } else {
            format!(" ({})", breakdown.join(", "))
        },
        super::scope(report),
    );
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{dim}{hidden} finding{} not shown: {}{dim:#}",
            plural(hidden),
            match context.show.min_severity {
                Some(least) => format!("below {} (--min-severity)", least.as_str()),
                None =>
                    "the quality reports of jobs that did not fail (--show all shows them)".into(),
            }
        );
    }
    out
}

/// A message under a finding's title: escaped, its lines kept and indented
/// under the first.
fn indented(message: &str) -> String {
    escape_block(message).replace('\n', "\n           ")
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n  b", 10), "a b");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
