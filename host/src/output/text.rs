//! The text report, for a person: findings grouped by input, most severe
//! first, coloured on a terminal.

use std::{collections::BTreeMap, fmt::Write as _};

use anstyle::{AnsiColor, Style};

use super::{Context, plural};
use crate::{
    history::FindingHistory,
    report::{BaselineState, FindingOut, Report, Severity},
    sanitize::{escape, escape_block},
};

/// What history knows of a finding: how often it was seen, the past
/// failures like it, and the actions to try, numbered as `augur feedback
/// --action N` takes them.
fn history_lines(out: &mut String, h: &FindingHistory) {
    let dim = Style::new().dimmed();
    let day = |t: &str| t.get(..10).unwrap_or(t).to_owned();
    let seen = if h.seen <= 1 {
        format!("first seen in {} days", h.window_days)
    } else {
        format!(
            "seen {}× in {} days, first on {}",
            h.seen,
            h.window_days,
            day(&h.first_seen)
        )
    };
    let _ = writeln!(out, "           {dim}{seen}{dim:#}");
    for s in &h.similar {
        let fixed = if s.fixed_by.is_empty() {
            String::new()
        } else {
            format!(
                " → fixed by: {}",
                s.fixed_by
                    .iter()
                    .map(|a| escape(a).into_owned())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let _ = writeln!(
            out,
            "           {dim}like {} on {} ({}){dim:#}{fixed}",
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
        let _ = writeln!(out, "           {}. {}{proven}", n + 1, escape(&a.action));
    }
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

    let mut by_input: BTreeMap<&str, Vec<&FindingOut>> = BTreeMap::new();
    for f in &report.findings {
        by_input.entry(&f.input).or_default().push(f);
    }
    for (input, mut findings) in by_input {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        if input == crate::run::WHOLE_RUN {
            let _ = writeln!(out, "{bold}across the run{bold:#}");
        } else {
            let _ = writeln!(out, "{bold}{}{bold:#}", escape(input));
        }
        for f in findings {
            let sev = severity_style(f.severity);
            let new = match f.baseline {
                Some(BaselineState::New) => format!(" {bold}NEW{bold:#}"),
                Some(BaselineState::Unchanged) => format!(" {dim}(in the baseline){dim:#}"),
                None => String::new(),
            };
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
                Some(h) => history_lines(&mut out, h),
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
    let s = &report.stats;
    let _ = writeln!(
        out,
        "{bold}{} finding{}{bold:#}{} · {} error{} · {} warning{} — {} rule{} over {} repositor{} ({} snapshot{}) and {} job{}",
        report.findings.len(),
        plural(report.findings.len()),
        if breakdown.is_empty() {
            String::new()
        } else {
            format!(" ({})", breakdown.join(", "))
        },
        report.errors.len(),
        plural(report.errors.len()),
        report.warnings.len(),
        plural(report.warnings.len()),
        s.rules.len(),
        plural(s.rules.len()),
        s.inputs.repositories,
        if s.inputs.repositories == 1 {
            "y"
        } else {
            "ies"
        },
        s.inputs.snapshots,
        plural(s.inputs.snapshots),
        s.inputs.jobs,
        plural(s.inputs.jobs),
    );
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
