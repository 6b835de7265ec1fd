//! GitHub Actions: findings as workflow-command annotations on the run's
//! page, and a Markdown summary appended to the job summary.
//!
//! `::error file=F,line=L,endLine=E,title=T::message` for a critical or
//! high finding, `::warning` for a medium one, `::notice` for low and info.
//! GitHub shows 10 errors and 10 warnings per step (and drops the rest
//! without a word), so the most severe come first, at most
//! [`ANNOTATIONS_PER_LEVEL`] of each level, and one last notice says how
//! many were left out and where to read them.
//!
//! Escaping: untrusted text passes the sanitiser (controls shown as `\x1b`,
//! `\r`), then GitHub's own escaping: `%`, CR and LF in the message, and
//! also `:` and `,` in properties. A log line cannot end the command or
//! start another.

use std::{
    fmt::Write as _,
    io::{self, Write as _},
    path::Path,
};

use super::{Context, locate, markdown, most_severe_first, plural};
use crate::{
    report::{BaselineState, FindingOut, Report, Severity},
    sanitize::{escape, escape_block},
};

/// The environment variable naming the file GitHub reads the job summary
/// from.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// Annotations of one level GitHub shows per step.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// GitHub's cap on one step's summary.
pub const STEP_SUMMARY_MAX_BYTES: usize = 1 << 20;

fn level(severity: Severity) -> usize {
    match severity {
        Severity::Critical | Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low | Severity::Info => 2,
    }
}

const COMMANDS: [&str; 3] = ["error", "warning", "notice"];

/// The workflow commands for `report`, one per line.
pub(crate) fn render(report: &Report, context: &Context) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    // One notice is kept for saying what was left out, and one warning for
    // the rules' errors.
    let mut room = [
        ANNOTATIONS_PER_LEVEL,
        ANNOTATIONS_PER_LEVEL - usize::from(!report.errors.is_empty()),
        ANNOTATIONS_PER_LEVEL - 1,
    ];
    let mut left_out = 0usize;
    for f in most_severe_first(report) {
        let l = level(f.severity);
        if room[l] == 0 {
            left_out += 1;
            continue;
        }
        room[l] -= 1;
        shown[l] += 1;
        out.push_str(&annotation(f, context));
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "::warning title={}::{}",
            property("augur: rules failed"),
            data(&format!(
                "{} rule error{} (a rule that could not load, or failed on an input): its findings are missing. \
                 The report's errors say which and what to do.",
                report.errors.len(),
                plural(report.errors.len())
            ))
        );
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "::notice title={}::{}",
            property("augur: more findings"),
            data(&format!(
                "{left_out} more finding{} than GitHub shows as annotations: read them in the job summary, \
                 the SARIF upload or the report.",
                plural(left_out)
            ))
        );
    }
    out
}

fn annotation(f: &FindingOut, context: &Context) -> String {
    let place = locate::place(f, context);
    let mut message = if f.message.is_empty() {
        f.title.clone()
    } else {
        f.message.clone()
    };
    if !f.actions.is_empty() {
        message.push_str("\n\nWhat to do:");
        for a in &f.actions {
            message.push_str("\n- ");
            message.push_str(a);
        }
    }
    let _ = write!(message, "\n\n{} · {}", f.kind, f.rule);
    if f.baseline == Some(BaselineState::New) {
        message.push_str(" · new since the baseline");
    }
    format!(
        "::{} file={},line={},endLine={},title={}::{}\n",
        COMMANDS[level(f.severity)],
        property(&place.path),
        place.start,
        place.end,
        property(&format!("{} ({})", f.title, f.severity.as_str())),
        data(&message)
    )
}

/// A command's message: sanitised, then `%`, CR and LF escaped.
fn data(untrusted: &str) -> String {
    escape_block(untrusted)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: one line, sanitised, then `%`, CR, LF, `:`
/// and `,` escaped.
fn property(untrusted: &str) -> String {
    escape(untrusted)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// Appends the report's Markdown to the job summary named by
/// `GITHUB_STEP_SUMMARY`, when it is set: `Ok(None)` when it is not, else
/// the file written. What the step wrote there before is kept, and the
/// whole stays under GitHub's 1 MiB cap.
pub fn step_summary(report: &Report, context: &Context) -> io::Result<Option<std::path::PathBuf>> {
    let Some(path) = std::env::var_os(STEP_SUMMARY_VAR).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = Path::new(&path);
    let used = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
    let room = STEP_SUMMARY_MAX_BYTES.saturating_sub(used + 1);
    let mut summary = markdown::render(report, context, room);
    if summary.len() > room {
        // Not even the heading fits: say so in a line rather than break
        // the cap.
        summary = "## augur\n\nThe job summary is full; the report has the findings.\n".into();
        if summary.len() > room {
            return Ok(Some(path.to_owned()));
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(summary.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(Some(path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_cannot_be_forged_from_untrusted_text() {
        let hostile = "oops\n::error file=/etc/passwd::forged\r\x1b[2J 100%";
        let shown = data(hostile);
        assert!(!shown.contains('\n') && !shown.contains('\r'));
        assert_eq!(
            shown,
            "oops%0A::error file=/etc/passwd::forged\\r\\x1b[2J 100%25"
        );
        assert_eq!(property("a:b,c\nd"), "a%3Ab%2Cc\\nd");
    }
}
