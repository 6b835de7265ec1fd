//! `augur eval`: how well a pack classifies a corpus of labelled job logs.
//!
//! A corpus is any directory tree holding case folders: `output.log` (with
//! an optional `meta.json`, as for `augur run`) and `label.json`, which says
//! how the job ended, which kind of the measured family (`failure/` by
//! default) a person would give it, and the lines a person would quote as
//! its cause (see `docs/eval.md`). The pack runs over every case, and each
//! case's prediction is the most severe finding of the family (the first in
//! report order among equals).
//!
//! Over failed cases it measures how many got a finding of the family
//! (recognised), the right kind (class), a first evidence line that is one
//! of the labelled lines (causal), and a kind that is neither right nor
//! `<family>unknown` (wrong: a confident mistake, worse than an honest
//! unknown). Over passing cases it counts false alarms: any finding of the
//! family. It breaks these down by CI system and by kind (precision and
//! recall), and lists every case that missed.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
    input::{self, JobInput, Problem},
    report::{FindingOut, Report},
};

/// The version of `augur eval --format json`.
pub const EVAL_VERSION: u32 = 1;

/// How a labelled job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Fail,
    Pass,
}

/// A case's `label.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub outcome: Outcome,
    /// The kind a person would give the failure (failed jobs).
    #[serde(default)]
    pub kind: Option<String>,
    /// The lines a person would quote as the cause: `87, 90-92`.
    #[serde(default)]
    pub lines: Option<String>,
    #[serde(default)]
    pub ci: Option<String>,
    #[serde(default)]
    pub toolchain: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// One labelled job.
#[derive(Debug)]
pub struct Case {
    /// The case's folder, as given (under the corpus path).
    pub name: String,
    pub label: Label,
    /// The labelled lines, as inclusive ranges.
    pub lines: Vec<(u32, u32)>,
    pub job: JobInput,
}

/// Parses `87, 90-92` into inclusive ranges.
pub fn parse_lines(text: &str) -> Result<Vec<(u32, u32)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let number = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("`{part}` is not a line number or a range like 90-92"))
            };
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (number(a)?, number(b)?);
                    if a > b {
                        return Err(format!("`{part}` ends before it starts"));
                    }
                    Ok((a, b))
                }
                None => number(part).map(|n| (n, n)),
            }
        })
        .collect()
}

/// Every case folder below `paths` (a folder holding `label.json`), in path
/// order. A case that cannot be used is a problem naming its file and field;
/// the rest are still read.
pub fn load_cases(paths: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<Case> {
    let mut dirs = Vec::new();
    for path in paths {
        if !path.is_dir() {
            problems.push(Problem::error(
                path.display().to_string(),
                "not a directory: give a corpus folder holding case folders (each with output.log and label.json)",
            ));
            continue;
        }
        find_cases(path, &mut dirs, problems);
    }
    dirs.sort();
    dirs.into_iter()
        .filter_map(|dir| load_case(&dir, problems))
        .collect()
}

fn find_cases(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    if dir.join("label.json").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    find_cases(&path, out, problems);
                }
            }
        }
        Err(e) => problems.push(Problem::error(
            dir.display().to_string(),
            format!("cannot list the folder: {e}"),
        )),
    }
}

fn load_case(dir: &Path, problems: &mut Vec<Problem>) -> Option<Case> {
    let label_path = dir.join("label.json");
    let source = label_path.display().to_string();
    let fail = |problems: &mut Vec<Problem>, message: String| {
        problems.push(Problem::error(&source, message));
        None
    };
    let text = match fs::read_to_string(&label_path) {
        Ok(t) => t,
        Err(e) => return fail(problems, format!("cannot read the label: {e}")),
    };
    let de = &mut serde_json::Deserializer::from_str(&text);
    let label: Label = match serde_path_to_error::deserialize(de) {
        Ok(l) => l,
        Err(e) => {
            let path = e.path().to_string();
            return fail(
                problems,
                format!("field `{path}`: {} (see docs/eval.md)", e.into_inner()),
            );
        }
    };
    let lines = match &label.lines {
        Some(text) => match parse_lines(text) {
            Ok(lines) => lines,
            Err(e) => return fail(problems, format!("field `lines`: {e}")),
        },
        None => Vec::new(),
    };
    if label.outcome == Outcome::Fail && label.kind.is_none() {
        return fail(
            problems,
            "field `kind`: a failed case needs the kind a person would give it (`failure/unknown` when none fits)".into(),
        );
    }
    let log = dir.join("output.log");
    if !log.is_file() {
        return fail(
            problems,
            format!("no output.log beside the label in {}", dir.display()),
        );
    }
    let job = input::load_jobs(&[log], &mut std::io::empty(), problems)
        .into_iter()
        .next()?;
    Some(Case {
        name: dir.display().to_string(),
        label,
        lines,
        job,
    })
}

/// What the pack said of one case.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub case: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_lines: Option<String>,
    /// The predicted kind (the most severe finding of the family).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its first evidence line, and that line's excerpt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    pub right_kind: bool,
    pub right_line: bool,
    /// A kind that is neither the right one nor `<family>unknown`.
    pub wrong_kind: bool,
}

/// Rates over a set of cases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rates {
    pub failed: usize,
    pub recognised: usize,
    pub right_kind: usize,
    /// Failed cases with labelled lines: the denominator of `right_line`.
    pub with_lines: usize,
    pub right_line: usize,
    pub wrong_kind: usize,
    pub passed: usize,
    pub false_alarms: usize,
}

impl Rates {
    fn add(&mut self, v: &Verdict, has_lines: bool) {
        match v.outcome {
            Outcome::Fail => {
                self.failed += 1;
                self.recognised += usize::from(v.kind.is_some());
                self.right_kind += usize::from(v.right_kind);
                self.with_lines += usize::from(has_lines);
                self.right_line += usize::from(v.right_line);
                self.wrong_kind += usize::from(v.wrong_kind);
            }
            Outcome::Pass => {
                self.passed += 1;
                self.false_alarms += usize::from(v.kind.is_some());
            }
        }
    }

    /// A named rate in percent: `recognised`, `class`, `causal`, `wrong`,
    /// `false_alarms`.
    pub fn percent(&self, metric: &str) -> Option<f64> {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                100.0
            } else {
                100.0 * n as f64 / d as f64
            }
        };
        Some(match metric {
            "recognised" => pct(self.recognised, self.failed),
            "class" => pct(self.right_kind, self.failed),
            "causal" => pct(self.right_line, self.with_lines),
            "wrong" => {
                if self.failed == 0 {
                    0.0
                } else {
                    pct(self.wrong_kind, self.failed)
                }
            }
            "false_alarms" => {
                if self.passed == 0 {
                    0.0
                } else {
                    pct(self.false_alarms, self.passed)
                }
            }
            _ => return None,
        })
    }
}

/// Precision and recall of one kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindRates {
    /// Failed cases labelled with this kind.
    pub labelled: usize,
    /// Cases (failed or passed) predicted as this kind.
    pub predicted: usize,
    /// Both.
    pub right: usize,
    /// Labelled cases whose causal line was found.
    pub right_line: usize,
}

/// The whole evaluation, as `--format json` writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub version: u32,
    pub family: String,
    pub overall: Rates,
    pub by_ci: BTreeMap<String, Rates>,
    pub by_kind: BTreeMap<String, KindRates>,
    pub cases: Vec<Verdict>,
}

/// The metrics `--min` and `--max` take.
pub const METRICS: &[&str] = &["recognised", "class", "causal", "wrong", "false_alarms"];

/// The first line of an evidence locator (`L12`, `L12-L20`).
fn locator_line(locator: &str) -> Option<u32> {
    let first = locator.split('-').next()?;
    first.strip_prefix('L')?.parse().ok()
}

/// Scores the report of a run over `cases`.
pub fn evaluate(cases: &[Case], report: &Report, family: &str) -> Evaluation {
    let mut by_input: BTreeMap<&str, Vec<&FindingOut>> = BTreeMap::new();
    for f in &report.findings {
        if f.kind.starts_with(family) {
            by_input.entry(f.input.as_str()).or_default().push(f);
        }
    }
    let unknown = format!("{family}unknown");
    let mut eval = Evaluation {
        version: EVAL_VERSION,
        family: family.to_owned(),
        overall: Rates::default(),
        by_ci: BTreeMap::new(),
        by_kind: BTreeMap::new(),
        cases: Vec::new(),
    };
    for case in cases {
        let findings = by_input
            .get(case.job.source.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        // The most severe; the first in report order among equals.
        let predicted = findings.iter().rev().max_by_key(|f| f.severity).copied();
        let evidence = predicted.and_then(|f| {
            f.evidence
                .iter()
                .find(|e| e.source == case.job.source)
                .and_then(|e| Some((locator_line(&e.locator)?, e.excerpt.clone())))
        });
        let line = evidence.as_ref().map(|(n, _)| *n);
        let failed = case.label.outcome == Outcome::Fail;
        let kind = predicted.map(|f| f.kind.clone());
        let right_kind = failed && kind.is_some() && kind == case.label.kind;
        let right_line =
            failed && line.is_some_and(|n| case.lines.iter().any(|&(a, b)| (a..=b).contains(&n)));
        let wrong_kind = failed
            && kind
                .as_ref()
                .is_some_and(|k| Some(k) != case.label.kind.as_ref() && *k != unknown);
        let verdict = Verdict {
            case: case.name.clone(),
            outcome: case.label.outcome,
            ci: case.label.ci.clone(),
            expected_kind: case.label.kind.clone(),
            expected_lines: case.label.lines.clone(),
            kind,
            line,
            excerpt: evidence.map(|(_, e)| e),
            right_kind,
            right_line,
            wrong_kind,
        };
        let has_lines = failed && !case.lines.is_empty();
        eval.overall.add(&verdict, has_lines);
        eval.by_ci
            .entry(case.label.ci.clone().unwrap_or_else(|| "unlabelled".into()))
            .or_default()
            .add(&verdict, has_lines);
        if let (true, Some(k)) = (failed, &verdict.expected_kind) {
            let rates = eval.by_kind.entry(k.clone()).or_default();
            rates.labelled += 1;
            rates.right += usize::from(right_kind);
            rates.right_line += usize::from(right_line);
        }
        if let Some(k) = &verdict.kind {
            eval.by_kind.entry(k.clone()).or_default().predicted += 1;
        }
        eval.cases.push(verdict);
    }
    eval
}

/// A threshold that did not hold, said as a sentence.
pub fn check(eval: &Evaluation, min: &[(String, f64)], max: &[(String, f64)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (metric, bound) in min {
        let value = eval.overall.percent(metric).unwrap_or(0.0);
        if value < *bound {
            failed.push(format!(
                "{metric} is {value:.1}%, under the minimum {bound}%"
            ));
        }
    }
    for (metric, bound) in max {
        let value = eval.overall.percent(metric).unwrap_or(100.0);
        if value > *bound {
            failed.push(format!(
                "{metric} is {value:.1}%, over the maximum {bound}%"
            ));
        }
    }
    failed
}

/// `s` on one line, with control characters shown as escapes, cut to `max`
/// characters: log text is untrusted.
fn printable(s: &str, max: usize) -> String {
    let mut cut: String = s.chars().take(max).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    crate::sanitize::escape(&cut).into_owned()
}

/// The evaluation for a person: the rates, by CI system and by kind, then
/// every miss.
pub fn render_text(eval: &Evaluation) -> String {
    let mut out = String::new();
    let o = &eval.overall;
    let _ = writeln!(
        out,
        "{} cases ({} failed, {} passed), kinds {}*\n",
        o.failed + o.passed,
        o.failed,
        o.passed,
        eval.family
    );
    let header = |out: &mut String, first: &str| {
        let _ = writeln!(
            out,
            "{first:<28} {:>6} {:>11} {:>8} {:>8} {:>8} {:>7} {:>13}",
            "failed", "recognised", "class", "causal", "wrong", "passed", "false alarms"
        );
    };
    let row = |out: &mut String, name: &str, r: &Rates| {
        let pct = |m: &str| match r.percent(m) {
            Some(p) if r.failed > 0 => format!("{p:.1}%"),
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>11} {:>8} {:>8} {:>8} {:>7} {:>13}",
            printable(name, 28),
            r.failed,
            pct("recognised"),
            pct("class"),
            pct("causal"),
            pct("wrong"),
            r.passed,
            r.false_alarms
        );
    };
    header(&mut out, "");
    row(&mut out, "all", o);
    out.push('\n');
    header(&mut out, "by CI system");
    for (ci, r) in &eval.by_ci {
        row(&mut out, ci, r);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{:<36} {:>9} {:>9} {:>6} {:>10} {:>8} {:>8}",
        "by kind", "labelled", "predicted", "right", "precision", "recall", "causal"
    );
    for (kind, k) in &eval.by_kind {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}%", 100.0 * n as f64 / d as f64)
            }
        };
        let _ = writeln!(
            out,
            "{:<36} {:>9} {:>9} {:>6} {:>10} {:>8} {:>8}",
            printable(kind, 36),
            k.labelled,
            k.predicted,
            k.right,
            pct(k.right, k.predicted),
            pct(k.right, k.labelled),
            pct(k.right_line, k.labelled)
        );
    }
    let misses: Vec<&Verdict> = eval
        .cases
        .iter()
        .filter(|v| match v.outcome {
            Outcome::Fail => !v.right_kind || (v.expected_lines.is_some() && !v.right_line),
            Outcome::Pass => v.kind.is_some(),
        })
        .collect();
    let _ = writeln!(out, "\nmisses ({})", misses.len());
    for v in misses {
        let got = match (&v.kind, v.line) {
            (Some(k), Some(n)) => format!(
                "{k} at L{n}: {}",
                printable(v.excerpt.as_deref().unwrap_or(""), 100)
            ),
            (Some(k), None) => k.clone(),
            (None, _) => "nothing".to_owned(),
        };
        let expected = match v.outcome {
            Outcome::Pass => "pass".to_owned(),
            Outcome::Fail => format!(
                "{} at {}",
                v.expected_kind.as_deref().unwrap_or("?"),
                v.expected_lines.as_deref().unwrap_or("?")
            ),
        };
        let _ = writeln!(
            out,
            "  {}\n    expected {expected}\n    got      {got}",
            printable(&v.case, 200)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_refuse() {
        assert_eq!(parse_lines("87, 90-92").unwrap(), vec![(87, 87), (90, 92)]);
        assert_eq!(parse_lines("5").unwrap(), vec![(5, 5)]);
        assert!(parse_lines("0").is_err());
        assert!(parse_lines("9-3").unwrap_err().contains("ends before"));
        assert!(parse_lines("L12").unwrap_err().contains("`L12`"));
    }

    #[test]
    fn locators() {
        assert_eq!(locator_line("L12"), Some(12));
        assert_eq!(locator_line("L12-L20"), Some(12));
        assert_eq!(locator_line("/signals/lint"), None);
    }

    #[test]
    fn printable_escapes_controls() {
        assert_eq!(printable("a\u{1b}[31mb\r", 50), "a\\x1b[31mb\\r");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}
