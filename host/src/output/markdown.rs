//! The report as GitHub-flavoured Markdown: for a pull-request comment or a
//! job summary. Counts by severity, a table of findings (most severe
//! first), then per input what was found, with its evidence and next steps.
//!
//! Untrusted text (titles, messages, excerpts, names) cannot add markup:
//! controls are escaped by the sanitiser, Markdown and HTML characters are
//! backslash-escaped, `@` cannot mention anyone, and excerpts are code spans
//! whose fence is longer than any run of backticks inside them.

use std::{collections::BTreeMap, fmt::Write as _};

use super::{Context, most_severe_first, plural};
use crate::{
    context::JobReport,
    report::{BaselineState, FindingOut, Report, Severity},
    sanitize::escape,
};

/// No cap on the size of the Markdown.
pub(crate) const NO_LIMIT: usize = usize::MAX;

/// The report in Markdown, at most `max_bytes` long: past that, the
/// per-input details and then table rows are left out, and a line says
/// how many.
pub(crate) fn render(report: &Report, context: &Context, max_bytes: usize) -> String {
    let findings = most_severe_first(report);
    let head = heading(report, context);
    let mut table = String::new();
    let mut shown_rows = 0;
    let mut details = String::new();
    if !findings.is_empty() {
        table.push_str("| severity | finding | input | where |\n|---|---|---|---|\n");
    }
    let rows: Vec<String> = findings.iter().map(|f| row(f, context)).collect();
    let budget = max_bytes.saturating_sub(head.len() + 400);
    for row in &rows {
        if table.len() + row.len() > budget {
            break;
        }
        table.push_str(row);
        shown_rows += 1;
    }
    let mut shown_details = 0;
    if shown_rows == rows.len() {
        let mut by_input: BTreeMap<&str, Vec<&FindingOut>> = BTreeMap::new();
        for f in &findings {
            by_input.entry(&f.input).or_default().push(f);
        }
        for (input, list) in by_input {
            let mut section = String::new();
            let _ = writeln!(section, "\n### {}\n", input_name(input));
            match report
                .job_reports
                .as_ref()
                .and_then(|r| r.jobs.iter().find(|j| j.input == input))
            {
                Some(job) => section.push_str(&job_report(report, job)),
                None => {
                    for f in list {
                        section.push_str(&detail(f));
                    }
                }
            }
            if table.len() + details.len() + section.len() > budget {
                break;
            }
            details.push_str(&section);
            shown_details += 1;
        }
    }
    let mut out = head;
    out.push_str(&table);
    if shown_rows < rows.len() {
        let _ = writeln!(
            out,
            "\n_{} more findings are not shown here: the full report has them._",
            rows.len() - shown_rows
        );
    }
    if shown_details > 0 {
        out.push_str(&details);
    }
    errors(report, &mut out, max_bytes);
    out
}

/// The title line, the gate's verdict and the counts by severity.
fn heading(report: &Report, context: &Context) -> String {
    let mut out = String::from("## augur\n\n");
    let failing = report.findings.iter().filter(|f| context.fails(f)).count();
    if let Some(least) = context.fail_on {
        let _ = writeln!(
            out,
            "{} **{}** finding{} at or above `{}`{}.\n",
            if failing > 0 { "❌" } else { "✅" },
            failing,
            plural(failing),
            least.as_str(),
            if report.baseline.is_some() {
                ", new since the baseline"
            } else {
                ""
            }
        );
    }
    let mut counts: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for f in &report.findings {
        *counts.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
    }
    if counts.is_empty() {
        let _ = writeln!(
            out,
            "No findings over {} job{} and {} repositor{}.\n",
            report.stats.inputs.jobs,
            plural(report.stats.inputs.jobs),
            report.stats.inputs.repositories,
            if report.stats.inputs.repositories == 1 {
                "y"
            } else {
                "ies"
            },
        );
    } else {
        out.push_str("| severity | findings |\n|---|---|\n");
        for (s, n) in &counts {
            let _ = writeln!(out, "| {} | {n} |", badge(s.0));
        }
        out.push('\n');
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "Against the baseline `{}`: {} new, {} unchanged, {} no longer found.\n",
            code_text(&b.file),
            b.new,
            b.unchanged,
            b.absent.len()
        );
    }
    out
}

fn badge(s: Severity) -> String {
    let icon = match s {
        Severity::Critical => "🟥",
        Severity::High => "🟧",
        Severity::Medium => "🟨",
        Severity::Low => "🟦",
        Severity::Info => "⬜",
    };
    format!("{icon} {}", s.as_str())
}

fn row(f: &FindingOut, context: &Context) -> String {
    let place = super::locate::place(f, context);
    let new = match f.baseline {
        Some(BaselineState::New) => " 🆕",
        _ => "",
    };
    format!(
        "| {} | {}{new}<br>{} | {} | {} |\n",
        badge(f.severity),
        text(&f.title),
        code(&f.kind),
        input_name(&f.input),
        code(&format!(
            "{}:{}",
            place.path,
            if place.start == place.end {
                place.start.to_string()
            } else {
                format!("{}-{}", place.start, place.end)
            }
        )),
    )
}

fn detail(f: &FindingOut) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "- **{}** {} ({}, {})",
        f.severity.as_str(),
        text(&f.title),
        code(&f.kind),
        code(&f.rule)
    );
    if !f.message.is_empty() {
        let _ = writeln!(out, "  {}", text(&f.message));
    }
    for e in &f.evidence {
        let _ = writeln!(
            out,
            "  - at {} {}: {}",
            code(&e.source),
            code(&e.locator),
            code(&e.excerpt)
        );
    }
    for a in &f.actions {
        let _ = writeln!(out, "  - → {}", text(a));
    }
    out
}

/// A failed job's context error report: What Failed, Why (its context in
/// a folded code block), Similar Past Issues, Suggested Actions.
fn job_report(report: &Report, job: &JobReport) -> String {
    let mut out = String::new();
    let p = &report.findings[job.primary];
    let about: Vec<String> = [
        job.repo.as_deref().map(code),
        job.job.as_deref().map(code),
        job.stage.as_deref().map(|s| format!("stage {}", code(s))),
        job.task_kind.as_deref().map(code),
        job.exit_code.map(|c| format!("exit code {c}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = writeln!(
        out,
        "**What failed**: {} {} ({}, {}){}\n",
        badge(p.severity),
        text(&p.title),
        code(&p.kind),
        code(&p.rule),
        if about.is_empty() {
            String::new()
        } else {
            format!(" · {}", about.join(" · "))
        }
    );
    for &i in &job.related {
        let f = &report.findings[i];
        let _ = writeln!(out, "- also: {} ({})", text(&f.title), code(&f.kind));
    }
    match job.why.line {
        Some(line) => {
            let _ = writeln!(out, "\n**Why**: line {line}\n");
        }
        None => {
            let _ = writeln!(out, "\n**Why**: {}\n", text(&p.message));
        }
    }
    if !job.why.context.is_empty() {
        let width = job
            .why
            .context
            .last()
            .map_or(1, |l| l.line.to_string().len());
        let body: Vec<String> = job
            .why
            .context
            .iter()
            .map(|l| {
                let mark = if Some(l.line) == job.why.line {
                    "→"
                } else {
                    " "
                };
                format!("{mark} {:>width$} │ {}", l.line, escape(&l.text))
            })
            .collect();
        let body = body.join("\n");
        let fence = "`".repeat(
            body.split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or(0)
                .max(2)
                + 1,
        );
        let _ = writeln!(
            out,
            "<details><summary>the log around it</summary>\n\n{fence}text\n{body}\n{fence}\n\n</details>\n"
        );
    }
    for e in &job.why.evidence {
        let _ = writeln!(
            out,
            "- {} {}: {}",
            code(&report.findings[e.finding].rule),
            code(&e.locator),
            code(&e.excerpt)
        );
    }
    out.push_str("\n**Similar past issues**: ");
    match &p.history {
        None => out.push_str("_no history: run with `--history` to compare with past runs_\n"),
        Some(h) => {
            let _ = writeln!(out, "{}", h.seen_line());
            for s in &h.similar {
                let fixed = s.fixed_suffix(text);
                let _ = writeln!(
                    out,
                    "- {} on {} ({}){fixed}",
                    text(&s.title),
                    s.at.get(..10).unwrap_or(&s.at),
                    code(&s.input)
                );
            }
        }
    }
    out.push_str("\n**Suggested actions**\n\n");
    for (n, a) in job.actions.iter().enumerate() {
        let proven = match (a.fixed, a.suggested, a.effectiveness) {
            (Some(fixed), Some(suggested), Some(pct)) => {
                format!(" _(fixed {fixed} of {suggested} times, {pct}%)_")
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "{}. {}{proven}", n + 1, text(&a.action));
    }
    out
}

fn errors(report: &Report, out: &mut String, max_bytes: usize) {
    if report.errors.is_empty() {
        return;
    }
    let mut section = format!("\n### Errors ({})\n\n", report.errors.len());
    for e in &report.errors {
        let about = [e.rule.as_deref(), e.input.as_deref()]
            .into_iter()
            .flatten()
            .map(code)
            .collect::<Vec<_>>()
            .join(" on ");
        let line = format!("- {} {about}: {}\n", code(&e.class), text(&e.message));
        if out.len() + section.len() + line.len() > max_bytes.saturating_sub(100) {
            section.push_str("- _more errors: see the full report_\n");
            break;
        }
        section.push_str(&line);
    }
    out.push_str(&section);
}

/// An input's name as a heading or cell: `*` is the whole run.
fn input_name(input: &str) -> String {
    if input == crate::run::WHOLE_RUN {
        "across the run".into()
    } else {
        code(input)
    }
}

/// Untrusted text as Markdown text on one line: controls escaped, every
/// character that could start markup backslash-escaped, and `@` kept from
/// mentioning anyone.
pub(crate) fn text(untrusted: &str) -> String {
    let flat = untrusted.split_whitespace().collect::<Vec<_>>().join(" ");
    let safe = escape(&flat);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '-' | '!' | '|' | '~' | '&' | '=' | ':' => {
                out.push('\\');
                out.push(c);
            }
            // A zero-width space after `@` keeps a mention from notifying.
            '@' => out.push_str("@&#8203;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text as a code span: controls escaped, fenced by more
/// backticks than it holds in a row, `|` escaped for tables.
pub(crate) fn code(untrusted: &str) -> String {
    let body = code_text(untrusted);
    if body.is_empty() {
        return "` `".into();
    }
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// The inside of a code span: one line, controls escaped, `|` escaped (a
/// table cell ends at a bare one, even in code).
fn code_text(untrusted: &str) -> String {
    let flat = untrusted.split_whitespace().collect::<Vec<_>>().join(" ");
    escape(&flat).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_adds_no_markup() {
        let hostile =
            "<img src=x onerror=alert(1)> [click](http://evil) **bold** | cell @admin \x1b[31m";
        let shown = text(hostile);
        // Every markup character is escaped by a backslash.
        let bytes = shown.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if b"<>[]()*|".contains(b) {
                assert_eq!(bytes[i - 1], b'\\', "unescaped at {i}: {shown}");
            }
        }
        assert!(shown.contains("@&#8203;admin"), "{shown}");
        assert!(!shown.contains('\x1b'), "{shown}");
    }

    #[test]
    fn a_summary_stays_under_its_cap_and_says_what_it_left_out() {
        use crate::output::test_support::{finding, report};
        let findings = (0..2_000).map(|i| finding(i, Severity::Medium)).collect();
        let report = report(findings);
        let whole = render(&report, &Context::default(), NO_LIMIT);
        assert!(whole.contains("### ") && whole.contains("finding 1999"));
        for cap in [whole.len() / 2, 20_000, 2_000] {
            let cut = render(&report, &Context::default(), cap);
            assert!(cut.len() <= cap, "{} > {cap}", cut.len());
            assert!(cut.contains("more findings are not shown here"), "{cut}");
        }
    }

    #[test]
    fn code_spans_outlast_the_backticks_inside() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("a|b\nc"), "`a\\|b c`");
        assert_eq!(code(""), "` `");
    }
}
