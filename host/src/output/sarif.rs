//! SARIF 2.1.0, as GitHub code scanning ingests it.
//!
//! - One `reportingDescriptor` per kind (id = the kind): its rule's
//!   description, and `help` with the next steps its findings give, in text
//!   and Markdown.
//! - `level` from severity: critical and high are `error`, medium is
//!   `warning`, low and info are `note`.
//! - The augur fingerprint in `partialFingerprints`, the baseline state in
//!   `baselineState` (with `--baseline`).
//! - A location with lines for every result (GitHub refuses results without
//!   one): see [`super::locate`].
//! - GitHub's limits: at most [`MAX_RESULTS`] results and [`MAX_GZIP_BYTES`]
//!   of SARIF once gzip-compressed (as GitHub measures an upload); past them,
//!   the least severe results are left out with a warning.
//!
//! Text a person reads (messages, descriptions, help, snippets) is
//! sanitised; identifiers are kept exact.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Context, locate, markdown, most_severe_first};
use crate::{
    report::{BaselineState, FindingOut, Report, Severity},
    sanitize::escape_block,
};

/// The most results GitHub accepts in one run of a SARIF file.
pub const MAX_RESULTS: usize = 25_000;

/// The largest SARIF upload GitHub takes, gzip-compressed.
pub const MAX_GZIP_BYTES: usize = 10_000_000;

/// The most evidence places given per result besides its location.
const MAX_RELATED: usize = 100;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

pub(crate) fn render(report: &Report, context: &Context, warnings: &mut Vec<String>) -> String {
    let findings = most_severe_first(report);
    let mut keep = findings.len().min(MAX_RESULTS);
    loop {
        let text = document(report, context, &findings[..keep]);
        let compressed = gzip_len(&text);
        if compressed <= MAX_GZIP_BYTES || keep == 0 {
            if keep < findings.len() {
                warnings.push(format!(
                    "SARIF: {} of {} findings left out (least severe first) to stay within GitHub's limits \
                     ({MAX_RESULTS} results, {MAX_GZIP_BYTES} bytes gzip-compressed); the JSON report has them all",
                    findings.len() - keep,
                    findings.len()
                ));
            }
            return text;
        }
        // Cut in proportion to the overshoot, and at least one result.
        let scaled = keep as f64 * MAX_GZIP_BYTES as f64 / compressed as f64 * 0.95;
        keep = (scaled as usize).min(keep - 1);
    }
}

/// The size of `text` gzip-compressed (at the default level, as uploads
/// are).
fn gzip_len(text: &str) -> usize {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .expect("writing to memory");
    encoder.finish().expect("writing to memory").len()
}

fn document(report: &Report, context: &Context, findings: &[&FindingOut]) -> String {
    let (rules, index) = descriptors(report, context);
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, context, index.get(f.kind.as_str()).copied()))
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "augur",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if !report.errors.is_empty() {
        run["invocations"] = json!([{
            "executionSuccessful": !report.failed_closed(),
            "toolExecutionNotifications": report.errors.iter().map(|e| {
                let mut n = json!({
                    "level": "error",
                    "message": {"text": escape_block(&format!("{}: {} ({})", e.class, e.message, e.hint))},
                });
                if let Some(rule) = &e.rule {
                    n["associatedRule"] = json!({"id": rule});
                }
                n
            }).collect::<Vec<_>>(),
        }]);
    }
    let doc = json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]});
    let mut text = serde_json::to_string_pretty(&doc).expect("SARIF serializes");
    text.push('\n');
    text
}

/// One descriptor per kind of every rule of the pack (and of any finding's
/// kind the rules did not declare), sorted by kind; and each kind's index.
fn descriptors<'a>(
    report: &'a Report,
    context: &'a Context,
) -> (Vec<Value>, BTreeMap<&'a str, usize>) {
    // Which rule declares each kind: the first in pack order.
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for rule in &context.rules {
        // A family (`systemic/*`) is no kind: its kinds come from findings.
        for kind in rule.kinds.iter().filter(|k| !k.ends_with("/*")) {
            owner.entry(kind.as_str()).or_insert(rule.id.as_str());
        }
    }
    for f in &report.findings {
        owner.entry(f.kind.as_str()).or_insert(f.rule.as_str());
    }
    // A kind's first finding (most severe first) gives its title and steps.
    let mut example: BTreeMap<&str, &FindingOut> = BTreeMap::new();
    for f in most_severe_first(report) {
        example.entry(f.kind.as_str()).or_insert(f);
    }
    let mut index = BTreeMap::new();
    let rules = owner
        .iter()
        .enumerate()
        .map(|(i, (kind, rule_id))| {
            index.insert(*kind, i);
            let card = context.rule(rule_id);
            let description = card.map_or("", |c| c.description.as_str());
            let found = example.get(kind);
            let short = match found {
                Some(f) => f.title.clone(),
                None => format!("{kind} (reported by {rule_id})"),
            };
            let actions: &[String] = found.map_or(&[], |f| f.actions.as_slice());
            let mut help_text = format!("{kind}, from the rule {rule_id}.");
            let mut help_md = format!("`{kind}`, from the rule `{rule_id}`.");
            if !actions.is_empty() {
                help_text.push_str("\n\nWhat to do:");
                help_md.push_str("\n\n**What to do:**\n");
                for a in actions {
                    help_text.push_str(&format!("\n- {a}"));
                    help_md.push_str(&format!("\n- {}", markdown::text(a)));
                }
            }
            let mut d = json!({
                "id": kind,
                "shortDescription": {"text": escape_block(&short)},
                "fullDescription": {"text": escape_block(if description.is_empty() { &short } else { description })},
                "help": {"text": escape_block(&help_text), "markdown": help_md},
                "properties": {
                    "augur-rule": rule_id,
                    "tags": [kind.split('/').next().unwrap_or(kind)],
                },
            });
            if let Some(f) = found {
                d["defaultConfiguration"] = json!({"level": level(f.severity)});
            }
            d
        })
        .collect();
    (rules, index)
}

fn result(f: &FindingOut, context: &Context, rule_index: Option<usize>) -> Value {
    let place = locate::place(f, context);
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&place.path)},
            "region": {"startLine": place.start, "endLine": place.end},
        }
    });
    let excerpt = f
        .evidence
        .first()
        .map(|e| e.excerpt.as_str())
        .unwrap_or_default();
    if !excerpt.is_empty() {
        location["physicalLocation"]["region"]["snippet"] = json!({"text": escape_block(excerpt)});
    }
    // The title, then the message; a message that already opens with the
    // title is enough on its own.
    let text = if f.message.is_empty() {
        f.title.clone()
    } else if f.message.starts_with(&f.title) {
        f.message.clone()
    } else {
        format!("{}: {}", f.title, f.message)
    };
    let mut r = json!({
        "ruleId": f.kind,
        "level": level(f.severity),
        "message": {"text": escape_block(&text)},
        "locations": [location],
        "partialFingerprints": {"augurFingerprint/v1": f.fingerprint},
        "properties": {
            "augur-rule": f.rule,
            "input": f.input,
            "severity": f.severity.as_str(),
        },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    let related: Vec<Value> = f
        .evidence
        .iter()
        .skip(1)
        .take(MAX_RELATED)
        .enumerate()
        .filter_map(|(i, e)| {
            let lines = crate::run::parse_lines(&e.locator)?;
            Some(json!({
                "id": i + 1,
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&locate::relative(&e.source, &context.source_root))},
                    "region": {"startLine": lines.0.max(1), "endLine": lines.1.max(lines.0).max(1)},
                },
                "message": {"text": escape_block(&e.excerpt)},
            }))
        })
        .collect();
    if !related.is_empty() {
        r["relatedLocations"] = json!(related);
    }
    if let Some(state) = f.baseline {
        r["baselineState"] = json!(match state {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        });
    }
    r
}

/// A path as a URI reference: relative paths stay relative, absolute ones
/// become `file://` URIs; characters outside the unreserved set are
/// percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::{finding, report};

    #[test]
    fn past_githubs_limits_the_least_severe_results_are_left_out() {
        // More results than GitHub takes, the last of them the most severe.
        let mut findings: Vec<FindingOut> = (0..MAX_RESULTS + 10)
            .map(|i| finding(i, Severity::Low))
            .collect();
        findings.push(finding(MAX_RESULTS + 10, Severity::Critical));
        let mut warnings = Vec::new();
        let text = render(&report(findings), &Context::default(), &mut warnings);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert_eq!(
            results[0]["level"], "error",
            "the critical one is kept, first"
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("11 of 25011 findings left out"),
            "{warnings:?}"
        );

        // Results too large for 10 MB even compressed (messages that do not
        // compress): cut to fit.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let big: Vec<FindingOut> = (0..20_000)
            .map(|i| {
                let mut f = finding(i, Severity::Medium);
                f.message = (0..80)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        format!("{seed:016x}")
                    })
                    .collect();
                f
            })
            .collect();
        let mut warnings = Vec::new();
        let text = render(&report(big), &Context::default(), &mut warnings);
        assert!(gzip_len(&text) <= MAX_GZIP_BYTES);
        assert!(
            gzip_len(&text) > MAX_GZIP_BYTES / 2,
            "not cut more than needed"
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("logs/a b.log"), "logs/a%20b.log");
        assert_eq!(uri("/tmp/x#1"), "file:///tmp/x%231");
        assert_eq!(uri("ünï"), "%C3%BCn%C3%AF");
    }
}
