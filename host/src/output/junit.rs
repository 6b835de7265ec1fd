//! A JUnit XML report, for the test views of CI systems (GitLab's
//! `artifacts: reports: junit`, Jenkins, GitHub test-report actions).
//!
//! One test suite per rule, one test case per input the rule reads (each
//! job for a classifier, each repository for a deriver, the whole run for a
//! correlator). A case fails when the rule found something at or above
//! `--fail-on` (default: high) on that input: its failure's message is the
//! most severe finding's title and its text lists each finding. A rule
//! that failed on an input gives that case an error. Text is sanitised
//! before the serializer escapes it for XML.

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::{Context, most_severe_first};
use crate::{
    report::{FindingOut, Report, Severity},
    run::WHOLE_RUN,
    sanitize::escape_block,
};

/// The least severity that fails a case when `--fail-on` is not given.
pub const DEFAULT_FAIL_ON: Severity = Severity::High;

pub(crate) fn render(report: &Report, context: &Context) -> String {
    let least = context.fail_on.unwrap_or(DEFAULT_FAIL_ON);
    let findings = most_severe_first(report);
    let mut junit = Junit::new("augur");
    for rule in &context.rules {
        let mut inputs: Vec<&str> = Vec::new();
        if rule.classifier {
            inputs.extend(context.jobs.iter().map(String::as_str));
        }
        if rule.deriver {
            inputs.extend(context.repositories.iter().map(String::as_str));
        }
        if rule.correlator {
            inputs.push(WHOLE_RUN);
        }
        let mut suite = TestSuite::new(rule.id.as_str());
        for input in inputs {
            let failing: Vec<&&FindingOut> = findings
                .iter()
                .filter(|f| f.rule == rule.id && f.input == input)
                .filter(|f| f.severity >= least && f.is_new())
                .collect();
            let errors: Vec<_> = report
                .errors
                .iter()
                .filter(|e| {
                    e.rule.as_deref() == Some(&rule.id) && e.input.as_deref() == Some(input)
                })
                .collect();
            let status = if let Some(e) = errors.first() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(escape_block(&e.message).into_owned())
                    .set_type(e.class.as_str())
                    .set_description(
                        escape_block(&format!("{}\nhint: {}", e.message, e.hint)).into_owned(),
                    );
                s
            } else if let Some(first) = failing.first() {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let text: Vec<String> = failing
                    .iter()
                    .map(|f| {
                        let at: Vec<String> = f
                            .evidence
                            .iter()
                            .map(|e| format!("  at {} {}: {}", e.source, e.locator, e.excerpt))
                            .collect();
                        format!(
                            "[{}] {} ({})\n{}\n{}",
                            f.severity.as_str(),
                            f.title,
                            f.kind,
                            f.message,
                            at.join("\n")
                        )
                    })
                    .collect();
                s.set_message(escape_block(&first.title).into_owned())
                    .set_type(first.kind.as_str())
                    .set_description(escape_block(&text.join("\n\n")).into_owned());
                s
            } else {
                TestCaseStatus::success()
            };
            let name = if input == WHOLE_RUN {
                "the whole run"
            } else {
                input
            };
            let mut case = TestCase::new(escape_block(name).into_owned(), status);
            case.set_classname(rule.id.as_str());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    let mut text = junit.to_string().expect("a JUnit report serializes");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
