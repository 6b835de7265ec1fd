//! The HTML report (`--format html`): one self-contained page, to open from
//! a CI artifact or a mail attachment, on a phone or on paper.
//!
//! - a summary (the findings by severity and by rule, the gate's verdict);
//! - the context error report of each failed job;
//! - per repository, a plot of each signal of its snapshot series (inline
//!   SVG, [`plot`]) with the thresholds the findings state and the
//!   snapshots they point at marked, then its findings;
//! - every other finding by input, then the run's errors and warnings.
//!
//! Nothing leaves the file: no script, no font, no stylesheet or image from
//! elsewhere, and a Content-Security-Policy that forbids loading any, so
//! that a page opened from an untrusted artifact cannot call out even if
//! text slipped through. Every piece of untrusted text (what logs and rules
//! wrote, file names) goes through [`crate::sanitize`] and then HTML
//! escaping.

mod plot;
pub mod trends;

use std::fmt::Write as _;

use super::{Context, plural, shown_by_input};
use crate::{
    context::JobReport,
    report::{FindingOut, Report, Severity},
    sanitize::{escape, escape_block},
};
use plot::{Plot, Threshold};
use trends::{Metric, Trend};

/// The page's style: system fonts, a single column that fits a phone, and
/// print rules (no backgrounds, no page break inside a block).
const STYLE: &str = r#"
:root{--fg:#1d2329;--dim:#5b6670;--line:#d8dee4;--bg:#fff;--card:#f6f8fa;
--critical:#8e1b1b;--high:#c62828;--medium:#b35c00;--low:#1f6fb2;--info:#5b6670}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .6em;border-bottom:1px solid var(--line)}
h3{font-size:1.05em;margin:.2em 0 .5em}
code,pre{font:13px/1.45 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
code{background:var(--card);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}
pre{background:var(--card);padding:8px;border-radius:4px;overflow-x:auto;margin:.4em 0;white-space:pre}
pre .causal{font-weight:700;background:#fde7e7}
.dim{color:var(--dim)}
.verdict{padding:8px 12px;border-radius:4px;margin:.6em 0;font-weight:600}
.verdict.fails{background:#fde7e7;color:var(--high)}.verdict.passes{background:#e6f4ea;color:#1e6b34}
.verdict.none{background:var(--card);color:var(--dim);font-weight:400}
.counts{display:flex;flex-wrap:wrap;gap:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.4em 0}th,td{text-align:left;padding:3px 10px 3px 0;border-bottom:1px solid var(--line);vertical-align:top}
td.n{text-align:right}
.sev{display:inline-block;min-width:5.4em;text-align:center;font-size:.75em;font-weight:700;letter-spacing:.04em;color:#fff;border-radius:3px;padding:1px 4px;margin-right:6px;text-transform:uppercase}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}
.sev-low{background:var(--low)}.sev-info{background:var(--info)}
article{border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:12px 0;break-inside:avoid}
article.job{border-left:4px solid var(--high)}
dl.report{display:grid;grid-template-columns:9em 1fr;gap:4px 12px;margin:.4em 0}
dl.report dt{font-weight:700}dl.report dd{margin:0;min-width:0}
ol,ul{margin:.3em 0;padding-left:1.4em}
ul.findings{list-style:none;padding:0}
li.finding{padding:6px 0;border-top:1px solid var(--line)}
li.finding:first-child{border-top:0}
.meta{font-size:.85em;color:var(--dim)}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px}
figure{margin:0;min-width:0}figcaption{font-size:.9em;font-weight:600}
svg.plot{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{font-size:10px;fill:var(--dim)}
svg .line{fill:none;stroke-width:2}
svg .line-0{stroke:#1f6fb2;fill:#1f6fb2}svg .line-1{stroke:#c62828;fill:#c62828}
svg polyline.line-0,svg polyline.line-1{fill:none}
svg .threshold{stroke:#b35c00;stroke-width:1.2;stroke-dasharray:5 4}
svg .threshold-label{font-size:10px;fill:#b35c00}
svg .mark{fill:none;stroke:var(--high);stroke-width:2}
.key{font-size:.8em;color:var(--dim)}.key .k0{color:#1f6fb2}.key .k1{color:#c62828}
svg.spark{vertical-align:middle;margin-right:6px}
svg.spark .day{fill:var(--medium)}svg.spark .base{stroke:var(--line)}
details summary{cursor:pointer;color:var(--dim)}
details.snippet{display:inline}details.snippet[open]{display:block}
footer{margin:2em 0 1em;font-size:.8em;color:var(--dim)}
@media (max-width:600px){body{font-size:14px}main{padding:10px}dl.report{grid-template-columns:1fr}dl.report dt{margin-top:.4em}}
@media print{body{font-size:11pt}main{max-width:none}article,figure,li.finding{break-inside:avoid}
.verdict,pre,code{background:none}pre{white-space:pre-wrap}details>summary{display:none}}
"#;

/// Untrusted text, escaped for HTML (and made visible where it carries
/// control characters).
pub(super) fn h(untrusted: &str) -> String {
    html_escape(&escape(untrusted))
}

/// Untrusted text that may span lines (inside `<pre>`).
fn h_block(untrusted: &str) -> String {
    html_escape(&escape_block(untrusted))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The longest excerpt shown whole on one line.
const SNIPPET_CHARS: usize = 160;

/// An evidence excerpt: inline when it is one short line, else its first
/// line with the whole folded below it.
fn snippet(excerpt: &str) -> String {
    let first = excerpt.lines().next().unwrap_or("");
    if !excerpt.contains('\n') && excerpt.chars().count() <= SNIPPET_CHARS {
        return format!("<code>{}</code>", h(excerpt));
    }
    let head: String = first.chars().take(SNIPPET_CHARS).collect();
    format!(
        "<details class=\"snippet\"><summary><code>{}</code> …</summary><pre>{}</pre></details>",
        h(&head),
        h_block(excerpt)
    )
}

fn badge(s: Severity) -> String {
    format!("<span class=\"sev sev-{0}\">{0}</span>", s.as_str())
}

pub(crate) fn render(report: &Report, context: &Context) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>augur report</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    summary(&mut out, report, context);

    let jobs: &[JobReport] = report.job_reports.as_ref().map_or(&[], |r| &r.jobs);
    if !jobs.is_empty() {
        let _ = writeln!(
            out,
            "<section id=\"failed-jobs\">\n<h2>Failed jobs ({})</h2>",
            jobs.len()
        );
        for job in jobs {
            job_report(&mut out, report, job);
        }
        out.push_str("</section>\n");
    }

    let (mut by_input, hidden) = shown_by_input(report, context);
    if !context.trends.is_empty() {
        out.push_str("<section id=\"trends\">\n<h2>Trends</h2>\n");
        for trend in &context.trends {
            let all: Vec<&FindingOut> = report
                .findings
                .iter()
                .filter(|f| f.input == trend.repo)
                .collect();
            let shown = by_input.remove(trend.repo.as_str()).unwrap_or_default();
            repository(&mut out, trend, &all, &shown);
        }
        out.push_str("</section>\n");
    }

    by_input.retain(|input, _| !jobs.iter().any(|j| j.input == *input));
    if !by_input.is_empty() || hidden > 0 {
        out.push_str("<section id=\"findings\">\n<h2>Other findings</h2>\n");
        for (input, mut findings) in by_input {
            findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            let name = if input == crate::run::WHOLE_RUN {
                "Across the run".to_owned()
            } else {
                format!("<code>{}</code>", h(input))
            };
            let _ = writeln!(out, "<article class=\"input\">\n<h3>{name}</h3>");
            finding_list(&mut out, &findings);
            out.push_str("</article>\n");
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "<p class=\"dim\">{hidden} finding{} not shown: {}</p>",
                plural(hidden),
                match context.show.min_severity {
                    Some(least) =>
                        format!("below {} (<code>--min-severity</code>)", least.as_str()),
                    None => "the quality reports of jobs that did not fail \
                             (<code>--show all</code> shows them)"
                        .into(),
                }
            );
        }
        out.push_str("</section>\n");
    }

    problems(&mut out, report);
    let _ = writeln!(
        out,
        "<footer>augur {} · {} rule{} · fingerprints identify findings across runs \
         (<code>augur feedback</code>, baselines)</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        report.stats.rules.len(),
        plural(report.stats.rules.len()),
    );
    out
}

/// The heading, the gate's verdict and the counts.
fn summary(out: &mut String, report: &Report, context: &Context) {
    let _ = writeln!(
        out,
        "<header id=\"summary\">\n<h1>augur report</h1>\n<p class=\"dim\">{} finding{} · {}</p>",
        report.findings.len(),
        plural(report.findings.len()),
        super::scope(report),
    );
    match context.fail_on {
        Some(least) => {
            let failing = report.findings.iter().filter(|f| context.fails(f)).count();
            let new = if report.baseline.is_some() {
                " new"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<p class=\"verdict {}\">The gate {}: {failing}{new} finding{} at or above {} \
                 (<code>--fail-on {}</code>)</p>",
                if failing > 0 { "fails" } else { "passes" },
                if failing > 0 { "fails" } else { "passes" },
                plural(failing),
                least.as_str(),
                least.as_str(),
            );
        }
        None => out.push_str(
            "<p class=\"verdict none\">No gate: give <code>--fail-on SEVERITY</code> to fail \
             the run on findings.</p>\n",
        ),
    }
    if report.findings.is_empty() {
        return out.push_str("</header>\n");
    }
    out.push_str(
        "<div class=\"counts\">\n<div class=\"scroll\"><table class=\"by-severity\">\
                  <thead><tr><th>Severity</th><th>Findings</th></tr></thead><tbody>",
    );
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        let n = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        if n > 0 {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
                badge(severity)
            );
        }
    }
    out.push_str("</tbody></table></div>\n<div class=\"scroll\"><table class=\"by-rule\">\
                  <thead><tr><th>Rule</th><th>Findings</th><th>Most severe</th></tr></thead><tbody>");
    let mut rules: Vec<(&str, usize, Severity)> = Vec::new();
    for f in &report.findings {
        match rules.iter_mut().find(|(r, _, _)| *r == f.rule) {
            Some((_, n, worst)) => {
                *n += 1;
                *worst = (*worst).max(f.severity);
            }
            None => rules.push((&f.rule, 1, f.severity)),
        }
    }
    rules.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
    for (rule, n, worst) in rules {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{n}</td><td>{}</td></tr>",
            h(rule),
            badge(worst)
        );
    }
    out.push_str("</tbody></table></div>\n</div>\n</header>\n");
}

/// A failed job's context error report: the four sections of the text and
/// Markdown formats.
fn job_report(out: &mut String, report: &Report, job: &JobReport) {
    let p = &report.findings[job.primary];
    let about: Vec<String> = [
        job.repo
            .as_deref()
            .map(|r| format!("<code>{}</code>", h(r))),
        job.job
            .as_deref()
            .map(|j| format!("job <code>{}</code>", h(j))),
        job.stage
            .as_deref()
            .map(|s| format!("stage <code>{}</code>", h(s))),
        job.task_kind
            .as_deref()
            .map(|t| format!("<code>{}</code>", h(t))),
        job.exit_code.map(|c| format!("exit code {c}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = writeln!(
        out,
        "<article class=\"job\" data-input=\"{input}\">\n<h3><code>{input}</code></h3>\
         <p class=\"meta\">{}</p>\n<dl class=\"report\">",
        about.join(" · "),
        input = h(&job.input),
    );
    let _ = write!(
        out,
        "<dt>What failed</dt><dd>{} <strong>{}</strong> <span class=\"meta\">{} · {}</span>",
        badge(p.severity),
        h(&p.title),
        h(&p.kind),
        h(&p.rule)
    );
    if !job.related.is_empty() {
        out.push_str("<ul>");
        for &i in &job.related {
            let f = &report.findings[i];
            let _ = write!(
                out,
                "<li>also: {} <span class=\"meta\">{} · {}</span></li>",
                h(&f.title),
                h(&f.kind),
                f.severity.as_str()
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</dd>\n<dt>Why</dt><dd>");
    match job.why.line {
        Some(line) => {
            let _ = write!(out, "line {line}");
        }
        None => out.push_str(&h_block(&p.message)),
    }
    if !job.why.context.is_empty() {
        let width = job
            .why
            .context
            .last()
            .map_or(1, |l| l.line.to_string().len());
        out.push_str("<pre class=\"context\">");
        for l in &job.why.context {
            let causal = Some(l.line) == job.why.line;
            let _ = writeln!(
                out,
                "{}{:>width$} │ {}{}",
                if causal {
                    "<span class=\"causal\">"
                } else {
                    ""
                },
                l.line,
                h(&l.text),
                if causal { "</span>" } else { "" },
            );
        }
        out.push_str("</pre>");
    }
    if !job.why.evidence.is_empty() {
        out.push_str("<ul class=\"evidence\">");
        for e in &job.why.evidence {
            let _ = write!(
                out,
                "<li><code>{}</code> {}: {}</li>",
                h(&report.findings[e.finding].rule),
                h(&e.locator),
                snippet(&e.excerpt)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</dd>\n<dt>Similar past issues</dt><dd>");
    match &p.history {
        None => out.push_str(
            "<span class=\"dim\">no history: run with <code>--history</code> to compare with \
             past runs</span>",
        ),
        Some(hist) => {
            let _ = write!(
                out,
                "{}{}",
                plot::sparkline(&hist.by_day, hist.window_days, &hist.last_seen),
                h(&hist.seen_line())
            );
            if !hist.similar.is_empty() {
                out.push_str("<ul class=\"similar\">");
                for s in &hist.similar {
                    let _ = write!(
                        out,
                        "<li>{} on {} (<code>{}</code>){}</li>",
                        h(&s.title),
                        h(s.at.get(..10).unwrap_or(&s.at)),
                        h(&s.input),
                        s.fixed_suffix(h)
                    );
                }
                out.push_str("</ul>");
            }
        }
    }
    out.push_str("</dd>\n<dt>What to do</dt><dd><ol class=\"actions\">");
    for a in &job.actions {
        let proven = match (a.fixed, a.suggested, a.effectiveness) {
            (Some(fixed), Some(suggested), Some(pct)) => {
                format!(" <span class=\"meta\">fixed {fixed} of {suggested} times, {pct}%</span>")
            }
            _ => String::new(),
        };
        let _ = write!(out, "<li>{}{proven}</li>", h(&a.action));
    }
    let _ = writeln!(
        out,
        "</ol></dd>\n</dl>\n<p class=\"meta\">fingerprint <code>{}</code></p>\n</article>",
        h(&p.fingerprint)
    );
}

/// A repository: a plot per signal its snapshots carry, then its findings.
fn repository(out: &mut String, trend: &Trend, all: &[&FindingOut], shown: &[&FindingOut]) {
    let _ = writeln!(
        out,
        "<article class=\"repo\" data-repo=\"{repo}\">\n<h3><code>{repo}</code> \
         <span class=\"meta\">{} snapshot{}</span></h3>\n<div class=\"plots\">",
        trend.points.len(),
        plural(trend.points.len()),
        repo = h(&trend.repo),
    );
    for metric in Metric::ALL {
        let plot = Plot {
            repo: &trend.repo,
            metric,
            points: &trend.points,
            thresholds: thresholds(metric, all),
            marks: trend
                .points
                .iter()
                .map(|p| {
                    all.iter()
                        .filter(|f| {
                            f.evidence.iter().any(|e| {
                                e.source == p.source && points_into(&e.locator, metric.pointer())
                            })
                        })
                        .map(|f| f.title.clone())
                        .collect()
                })
                .collect(),
        };
        if !plot.has_values() {
            continue;
        }
        let key = match trends::lines(metric) {
            [_] => String::new(),
            names => {
                let keys: Vec<String> = names
                    .iter()
                    .enumerate()
                    .map(|(n, name)| format!("<span class=\"k{n}\">●</span> {name}"))
                    .collect();
                format!(" <span class=\"key\">{}</span>", keys.join(" "))
            }
        };
        let _ = writeln!(
            out,
            "<figure><figcaption>{}{key}</figcaption>{}</figure>",
            metric.title(),
            plot::svg(&plot)
        );
    }
    out.push_str("</div>\n");
    if !shown.is_empty() {
        let mut shown = shown.to_vec();
        shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
        finding_list(out, &shown);
    }
    out.push_str("</article>\n");
}

/// Whether a JSON pointer is `prefix` or below it.
fn points_into(locator: &str, prefix: &str) -> bool {
    locator
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The thresholds the findings about a repository state for `metric`: a
/// least coverage (`data.min_percent`), or a change in percent from the
/// oldest count (`data.metric`, `data.threshold_percent`,
/// `data.oldest_count`), drawn as the band it allows.
fn thresholds(metric: Metric, findings: &[&FindingOut]) -> Vec<Threshold> {
    let mut out: Vec<Threshold> = Vec::new();
    for f in findings {
        let number = |key: &str| f.data.get(key).and_then(serde_json::Value::as_f64);
        let about_metric = f.data.get("metric").and_then(serde_json::Value::as_str)
            == Some(metric.id())
            || f.evidence
                .iter()
                .any(|e| points_into(&e.locator, metric.pointer()));
        if !about_metric {
            continue;
        }
        if let Some(least) = number("min_percent") {
            out.push(Threshold {
                y: least,
                label: format!("{}: at least {least}%", f.rule),
            });
        }
        if let (Some(pct), Some(oldest), Some(_)) = (
            number("threshold_percent"),
            number("oldest_count"),
            f.data.get("metric").and_then(serde_json::Value::as_str),
        ) {
            for sign in [1.0, -1.0] {
                out.push(Threshold {
                    y: oldest * (1.0 + sign * pct / 100.0),
                    label: format!("{}: {}{pct}%", f.rule, if sign > 0.0 { "+" } else { "−" }),
                });
            }
        }
    }
    let mut seen: Vec<Threshold> = Vec::new();
    // A rule's data is untrusted: a threshold off the number line is not
    // drawn (it would put `NaN` in the page).
    for t in out.into_iter().filter(|t| t.y.is_finite()) {
        if !seen
            .iter()
            .any(|s| s.label == t.label && (s.y - t.y).abs() < 1e-9)
        {
            seen.push(t);
        }
    }
    seen
}

/// Findings as a list: severity, title, kind, message, evidence, actions,
/// and how often history saw each.
fn finding_list(out: &mut String, findings: &[&FindingOut]) {
    out.push_str("<ul class=\"findings\">\n");
    for f in findings {
        let _ = write!(
            out,
            "<li class=\"finding\" data-kind=\"{}\">{} <strong>{}</strong> \
             <span class=\"meta\">{}</span>",
            h(&f.kind),
            badge(f.severity),
            h(&f.title),
            h(&f.kind),
        );
        if let Some(state) = f.baseline {
            let _ = write!(
                out,
                " <span class=\"meta\">{}</span>",
                match state {
                    crate::report::BaselineState::New => "new",
                    crate::report::BaselineState::Unchanged => "in the baseline",
                }
            );
        }
        if !f.message.is_empty() {
            let _ = write!(
                out,
                "<div>{}</div>",
                h_block(&f.message).replace('\n', "<br>")
            );
        }
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "<li><code>{}</code> {}{}</li>",
                    h(&e.source),
                    h(&e.locator),
                    if e.excerpt.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", snippet(&e.excerpt))
                    }
                )
            })
            .collect();
        match evidence.len() {
            0 => {}
            1..=3 => {
                let _ = write!(
                    out,
                    "<ul class=\"evidence meta\">{}</ul>",
                    evidence.concat()
                );
            }
            n => {
                let _ = write!(
                    out,
                    "<details><summary>{n} pieces of evidence</summary>\
                     <ul class=\"evidence meta\">{}</ul></details>",
                    evidence.concat()
                );
            }
        }
        let actions: Vec<String> = match &f.history {
            Some(hist) if !hist.actions.is_empty() => {
                hist.actions.iter().map(|a| a.action.clone()).collect()
            }
            _ => f.actions.clone(),
        };
        if !actions.is_empty() {
            out.push_str("<ol class=\"actions\">");
            for a in &actions {
                let _ = write!(out, "<li>{}</li>", h(a));
            }
            out.push_str("</ol>");
        }
        if let Some(hist) = &f.history {
            let _ = write!(
                out,
                "<div class=\"meta seen\">{}{}</div>",
                plot::sparkline(&hist.by_day, hist.window_days, &hist.last_seen),
                h(&hist.seen_line())
            );
        }
        let _ = writeln!(
            out,
            "<div class=\"meta\"><code>{}</code> · <code>{}</code></div></li>",
            h(&f.rule),
            h(&f.fingerprint)
        );
    }
    out.push_str("</ul>\n");
}

/// The run's errors and warnings.
fn problems(out: &mut String, report: &Report) {
    if report.errors.is_empty() && report.warnings.is_empty() {
        return;
    }
    out.push_str("<section id=\"errors\">\n<h2>Errors and warnings</h2>\n<ul>\n");
    for e in &report.errors {
        let about: Vec<String> = [e.rule.as_deref(), e.input.as_deref()]
            .into_iter()
            .flatten()
            .map(|s| format!("<code>{}</code>", h(s)))
            .collect();
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> {}: {}{}</li>",
            h(&e.class),
            about.join(" on "),
            h_block(&e.message).replace('\n', "<br>"),
            if e.hint.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"meta\">hint: {}</span>", h(&e.hint))
            }
        );
    }
    for w in &report.warnings {
        let _ = writeln!(
            out,
            "<li>warning: <code>{}</code>: {}</li>",
            h(&w.input),
            h(&w.message)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::{finding, report};

    #[test]
    fn untrusted_text_stays_text() {
        let mut f = finding(0, Severity::High);
        f.title = "<script>alert(1)</script>\u{1b}]0;owned\u{7}".into();
        f.message = "a \"quoted\" & 'single' <img src=x onerror=y>".into();
        f.evidence[0].excerpt = "</code></li><iframe src=//evil>".into();
        let page = render(&report(vec![f]), &Context::default());
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img") && !page.contains("<iframe"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\x1b]0;owned\\x07"));
        assert!(page.contains("&quot;quoted&quot; &amp; &#39;single&#39;"));
        assert!(!page.contains('\u{1b}'));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let page = render(
            &report(vec![finding(0, Severity::Low)]),
            &Context::default(),
        );
        assert!(page.contains("default-src 'none'"));
        for outside in ["http://", "https://", "src=", "<link", "@import", "url("] {
            let cleaned = page.replace("http://www.w3.org/2000/svg", "");
            assert!(!cleaned.contains(outside), "{outside}");
        }
    }

    #[test]
    fn thresholds_come_from_the_findings_that_state_them() {
        let mut f = finding(0, Severity::Medium);
        f.data =
            serde_json::json!({"metric": "lint", "threshold_percent": 10.0, "oldest_count": 100});
        let mut c = finding(1, Severity::Low);
        c.data = serde_json::json!({"min_percent": 60.0});
        c.evidence[0].locator = "/signals/coverage/percent".into();
        let lint = thresholds(Metric::Lint, &[&f, &c]);
        let ys: Vec<f64> = lint.iter().map(|t| t.y.round()).collect();
        assert_eq!(ys, [110.0, 90.0]);
        let coverage = thresholds(Metric::Coverage, &[&f, &c]);
        assert_eq!(coverage.len(), 1);
        assert_eq!(coverage[0].y, 60.0);
        assert!(thresholds(Metric::Types, &[&f, &c]).is_empty());
        // Data off the number line draws nothing.
        let mut huge = finding(2, Severity::Low);
        huge.data = serde_json::json!({"metric": "types", "threshold_percent": 1e300, "oldest_count": 1e300});
        assert!(thresholds(Metric::Types, &[&huge]).is_empty());
    }
}
