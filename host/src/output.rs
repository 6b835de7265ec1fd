//! Writing a report: `json` for machines, `text` for a person (grouped by
//! input, most severe first, coloured on a terminal). Files are written
//! atomically: a run killed halfway leaves the previous file whole.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io::{self, Write},
    path::Path,
};

use anstyle::{AnsiColor, Style};

use crate::{
    report::{FindingOut, Report, Severity},
    sanitize::{escape, escape_block},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The report rendered in `format`. Text carries ANSI styles; [`emit`]
/// strips them where colour is not wanted.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("a report serializes");
            s.push('\n');
            s
        }
        Format::Text => render_text(report),
    }
}

/// Writes rendered output to `path` (atomically) or to standard output
/// (coloured only when it is a terminal that wants colour).
pub fn emit(rendered: &str, path: Option<&Path>) -> io::Result<()> {
    match path {
        Some(path) => write_atomically(
            path,
            anstream::adapter::strip_str(rendered)
                .to_string()
                .as_bytes(),
        ),
        None => {
            let mut out = anstream::stdout().lock();
            out.write_all(rendered.as_bytes())?;
            out.flush()
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the new one, never half of one.
///
/// A `path` that is a symbolic link is written through: its target is
/// replaced, the link stays. A file that exists keeps its permissions; a new
/// one gets the usual `0666` less the umask.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).or_else(|_| resolve_dangling_link(path))?
        }
        _ => path.to_owned(),
    };
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".augur-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    if let Some(permissions) = existing {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// The file a link that points at nothing yet would create.
fn resolve_dangling_link(path: &Path) -> io::Result<std::path::PathBuf> {
    let target = std::fs::read_link(path)?;
    Ok(match path.parent() {
        Some(dir) if target.is_relative() => dir.join(target),
        _ => target,
    })
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

fn render_text(report: &Report) -> String {
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
            let _ = writeln!(
                out,
                "  {sev}{:<8}{sev:#} {}  {dim}{}{dim:#}",
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
            for a in &f.actions {
                let _ = writeln!(out, "           → {}", escape(a));
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left behind"
        );
    }

    #[test]
    fn atomic_write_keeps_permissions_and_writes_through_links() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let fresh = dir.path().join("fresh.json");
        write_atomically(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode, 0o600, "a new file is not private to its writer");
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n  b", 10), "a b");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
