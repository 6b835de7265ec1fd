//! `augur new`: a rule crate that builds outside any augur checkout.
//!
//! The SDK reaches it the way it reaches nothing else: augur carries the
//! SDK's source and the WIT contract it was built with, and writes them into
//! the new crate under `vendor/` (`vendor/augur-sdk`, `vendor/wit`). The
//! crate's `Cargo.toml` depends on that copy by path, and on crates.io for
//! the rest, so it builds with rustup, crates.io and nothing else, and
//! always against the contract of the augur that made it. A newer augur
//! writes a newer SDK with `augur new`; a crate keeps working with later
//! augurs of the same contract line, as components do.

use std::path::{Path, PathBuf};

use crate::identity::check_id;

/// The SDK's files, by their path in the SDK crate.
const SDK_FILES: &[(&str, &str)] = &[
    ("build.rs", include_str!("../../sdk/build.rs")),
    ("src/lib.rs", include_str!("../../sdk/src/lib.rs")),
    ("src/ci.rs", include_str!("../../sdk/src/ci.rs")),
    ("src/ci/tests.rs", include_str!("../../sdk/src/ci/tests.rs")),
    (
        "src/export.rs.in",
        include_str!("../../sdk/src/export.rs.in"),
    ),
    ("src/finding.rs", include_str!("../../sdk/src/finding.rs")),
    ("src/history.rs", include_str!("../../sdk/src/history.rs")),
    ("src/input.rs", include_str!("../../sdk/src/input.rs")),
    ("src/log.rs", include_str!("../../sdk/src/log.rs")),
    ("src/patterns.rs", include_str!("../../sdk/src/patterns.rs")),
    (
        "src/prefilter.rs",
        include_str!("../../sdk/src/prefilter.rs"),
    ),
    (
        "src/patterns/warm-up.log",
        include_str!("../../sdk/src/patterns/warm-up.log"),
    ),
    (
        "src/patterns/warm-up-real.log",
        include_str!("../../sdk/src/patterns/warm-up-real.log"),
    ),
    (
        "src/patterns/WARM-UP-SOURCES.md",
        include_str!("../../sdk/src/patterns/WARM-UP-SOURCES.md"),
    ),
    ("src/series.rs", include_str!("../../sdk/src/series.rs")),
    ("src/window.rs", include_str!("../../sdk/src/window.rs")),
];

/// The contract, where the SDK's build script reads it (`../wit` of the
/// SDK).
const WIT: &str = include_str!("../../wit/augur-rules.wit");

/// The vendored SDK's manifest: the workspace's own, with the versions the
/// workspace pins written out (a test keeps the two the same).
const SDK_MANIFEST: &str = r#"[package]
name = "augur-sdk"
description = "Write augur analysis rules in Rust (a copy written by `augur new`)"
version = "@AUGUR_VERSION@"
edition = "2024"
license = "Apache-2.0"
build = "build.rs"

[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = { version = "1", features = ["preserve_order"] }
schemars = { version = "1", default-features = false, features = ["derive", "std"] }
serde_path_to_error = "0.1"
time = { version = "0.3", features = ["parsing", "formatting"] }
regex = { version = "1", default-features = false, features = ["std", "perf-cache", "perf-literal", "perf-onepass", "perf-backtrack"], optional = true }
regex-automata = { version = "0.4", default-features = false, features = ["std", "syntax", "meta", "nfa-pikevm", "nfa-backtrack", "hybrid"], optional = true }
regex-syntax = { version = "0.8", default-features = false, features = ["std"], optional = true }

[features]
patterns = ["dep:regex", "dep:regex-automata", "dep:regex-syntax"]

[target.'cfg(target_arch = "wasm32")'.dependencies]
wit-bindgen = { version = "0.61", default-features = false, features = ["macros", "realloc", "std"] }
"#;

const RULE_MANIFEST: &str = r#"[package]
name = "@ID@"
version = "0.1.0"
edition = "2024"
publish = false

# A component (cdylib, for wasm32-wasip2) and a library (rlib, for the
# native unit tests).
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
augur-sdk = { path = "vendor/augur-sdk" }
serde = { version = "1", features = ["derive"] }
schemars = { version = "1", default-features = false, features = ["derive", "std"] }

# Small components load faster.
[profile.release]
opt-level = "s"
strip = "debuginfo"

# A crate of its own, even inside another workspace.
[workspace]
"#;

const CLASSIFIER: &str = include_str!("scaffold/classifier.rs.tmpl");
const DERIVER: &str = include_str!("scaffold/deriver.rs.tmpl");
const LOG_SCANNER: &str = include_str!("scaffold/log-scanner.rs.tmpl");
const CORRELATOR: &str = include_str!("scaffold/correlator.rs.tmpl");

/// What a new rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuleKind {
    /// Reads one job's output.
    Classifier,
    /// Reads one job's output window by window, carrying its own state: a
    /// log of any size in bounded memory.
    LogScanner,
    /// Reads one repository's snapshot series.
    Deriver,
    /// Reads every finding of a run, after the other rules.
    Correlator,
}

/// Writes the crate of a new rule `id` into `dir` (which must not exist or
/// be empty) and returns the files written.
pub fn new_rule(id: &str, kind: RuleKind, dir: &Path) -> Result<Vec<PathBuf>, String> {
    check_id(id).map_err(|m| format!("`{id}` cannot be a rule's id: {m}"))?;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{}: already there and not empty; give a new folder with --path",
            dir.display()
        ));
    }
    let type_name: String = id
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let fill = |text: &str| {
        text.replace("@ID@", id)
            .replace("@TYPE@", &type_name)
            .replace("@CRATE@", &id.replace('-', "_"))
            .replace("@AUGUR_VERSION@", env!("CARGO_PKG_VERSION"))
    };
    let (source, case_files): (&str, Vec<(&str, String)>) = match kind {
        RuleKind::Classifier => (
            CLASSIFIER,
            vec![(
                "tests/cases/deprecated-api/output.log",
                format!("Compiling app v1.0.0\n{DEPRECATED_LINE}\nFinished\n"),
            )],
        ),
        RuleKind::LogScanner => (
            LOG_SCANNER,
            vec![(
                "tests/cases/flaky-download/output.log",
                format!("Downloading deps\n{RETRY_LINE}\nDownloaded deps\nTests passed\n"),
            )],
        ),
        RuleKind::Deriver => (
            DERIVER,
            vec![
                (
                    "tests/cases/lint-growing/snapshots/1.json",
                    snapshot("2026-01-01T09:00:00Z", 12),
                ),
                (
                    "tests/cases/lint-growing/snapshots/2.json",
                    snapshot("2026-01-02T09:00:00Z", 30),
                ),
            ],
        ),
        RuleKind::Correlator => (
            CORRELATOR,
            vec![("tests/cases/matrix-repeat/findings.json", matrix_findings())],
        ),
    };
    // What the case expects, worked out as the rule will: the fuel is
    // recorded by the first `augur test --accept`.
    let (case, expected) = match kind {
        RuleKind::Classifier => (
            "deprecated-api",
            expected(
                "deprecation/warning",
                "low",
                "The job uses deprecated features",
                &[id, "deprecation/warning", DEPRECATED_LINE],
                &["L2"],
            ),
        ),
        RuleKind::LogScanner => (
            "flaky-download",
            expected(
                "flakiness/retries",
                "low",
                "The job needed retries",
                &[id, "flakiness/retries", RETRY_LINE],
                &["L2"],
            ),
        ),
        RuleKind::Deriver => (
            "lint-growing",
            expected(
                "lint/growing",
                "medium",
                "Lint violations are growing",
                &[id, "lint/growing", "acme/web"],
                &["/signals/lint/count", "/signals/lint/count"],
            ),
        ),
        RuleKind::Correlator => (
            "matrix-repeat",
            expected(
                "repeat/failure",
                "high",
                "The same failure in 2 jobs",
                &[id, "repeat/failure", "failure-class", MATRIX_FINGERPRINT],
                &["L212", "L208"],
            ),
        ),
    };
    let mut files: Vec<(String, String)> = vec![
        ("Cargo.toml".into(), fill(RULE_MANIFEST)),
        ("src/lib.rs".into(), fill(source)),
        ("README.md".into(), readme(id, kind, case)),
        ("augur.toml".into(), fill(PACK)),
        (".gitignore".into(), "/target\n".into()),
        ("vendor/augur-sdk/Cargo.toml".into(), fill(SDK_MANIFEST)),
        ("vendor/wit/augur-rules.wit".into(), WIT.into()),
    ];
    files.extend(
        SDK_FILES
            .iter()
            .map(|(path, text)| (format!("vendor/augur-sdk/{path}"), (*text).to_owned())),
    );
    files.extend(case_files.into_iter().map(|(p, t)| (p.to_owned(), t)));
    files.push((format!("tests/cases/{case}/expected.json"), expected));
    let mut written = Vec::new();
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: cannot create it: {e}", parent.display()))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot write it: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The line the classifier's case finds.
const DEPRECATED_LINE: &str = "warning: use of deprecated function `old_api`: use `new_api`";
/// The line the log scanner's case finds.
const RETRY_LINE: &str = "Connection reset by peer; retrying in 2s (attempt 2 of 5)";

fn expected(kind: &str, severity: &str, title: &str, parts: &[&str], evidence: &[&str]) -> String {
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "findings": [{
            "kind": kind,
            "severity": severity,
            "title": title,
            "fingerprint": augur_sdk::fingerprint(parts),
            "evidence": evidence,
        }]
    }))
    .expect("serializes");
    text.push('\n');
    text
}

/// The fingerprint of the failure the correlator's case repeats.
const MATRIX_FINGERPRINT: &str = "9c1f0a7e52d4b3a8";

/// The correlator's case: what a run over a build matrix found, as
/// `augur run --format json` reports it (with each job's `repo`). The same
/// test failure in two of the three jobs, and an unrelated one.
fn matrix_findings() -> String {
    let found = |input: &str, kind: &str, title: &str, print: &str, line: u32, excerpt: &str| {
        serde_json::json!({
            "rule": "failure-class",
            "input": input,
            "repo": "acme/web",
            "kind": kind,
            "severity": "high",
            "title": title,
            "message": "",
            "fingerprint": print,
            "evidence": [{"source": input, "locator": format!("L{line}"), "excerpt": excerpt}],
            "actions": [],
            "data": {},
        })
    };
    let failed = "FAILED tests/test_login.py::test_session_expiry - AssertionError";
    let mut text = serde_json::to_string_pretty(&serde_json::json!([
        found(
            "jobs/test-py3.11.log",
            "failure/validation_failure",
            "Tests failed",
            MATRIX_FINGERPRINT,
            212,
            failed
        ),
        found(
            "jobs/test-py3.12.log",
            "failure/validation_failure",
            "Tests failed",
            MATRIX_FINGERPRINT,
            208,
            failed
        ),
        found(
            "jobs/test-py3.13.log",
            "failure/dependency_missing",
            "A dependency is missing",
            "51b7e3d09a6c2f14",
            96,
            "ModuleNotFoundError: No module named 'distutils'",
        ),
    ]))
    .expect("serializes");
    text.push('\n');
    text
}

fn snapshot(at: &str, lint: u64) -> String {
    format!(
        "{{\n  \"repo\": \"acme/web\",\n  \"observed_at\": \"{at}\",\n  \"signals\": {{\"lint\": {{\"count\": {lint}}}}}\n}}\n"
    )
}

/// The pack entry that runs the rule, next to the crate.
const PACK: &str = r#"# A pack that runs @ID@ next to the built-in rules:
#   augur run --pack augur.toml --jobs LOGS --snapshots SNAPSHOTS
# Copy the [[rule]] entry into a repository's own augur.toml to use it there
# (and `augur pack lock` to pin the component's digest).
extends = "builtin"

[[rule]]
path = "target/wasm32-wasip2/release/@CRATE@.wasm"
"#;

fn readme(id: &str, kind: RuleKind, case: &str) -> String {
    let what = match kind {
        RuleKind::Classifier => "a classifier: it reads one job's output",
        RuleKind::LogScanner => {
            "a log scanner: it reads one job's output window by window, so that a log of any size \
             fits in bounded memory"
        }
        RuleKind::Deriver => "a deriver: it reads one repository's snapshot series",
        RuleKind::Correlator => {
            "a correlator: it reads every finding of a run, after the other rules"
        }
    };
    format!(
        "# {id}\n\n\
         An augur rule, {what}. `src/lib.rs` is the rule; `tests/cases/` holds its cases.\n\n\
         ```sh\n\
         cargo test                 # the rule's unit tests, natively\n\
         augur test                 # builds the component, runs tests/cases/ through it in the sandbox\n\
         augur test --accept        # records what it finds (and the fuel it uses) as each case's expected.json\n\
         ```\n\n\
         A case is a folder under `tests/cases/` (see `{case}`): the input (`output.log` and an optional\n\
         `meta.json`, `snapshots/`, or `findings.json` for a correlator: findings as\n\
         `augur run --format json` reports them), an optional `config.toml` (the rule's\n\
         `[rule.config]`), and\n\
         `expected.json`. `augur test` fails a case whose findings differ, or that uses more than its\n\
         recorded fuel plus 10% (`--fuel-tolerance`).\n\n\
         Build the component with `cargo build --release --target wasm32-wasip2`\n\
         (`rustup target add wasm32-wasip2` once). `augur.toml` runs it with the built-in rules.\n\n\
         `vendor/` holds the augur SDK and the WIT contract this rule is built against, written by\n\
         `augur new`: the crate needs nothing but crates.io.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_sdk_is_carried() {
        let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        let mut found = Vec::new();
        let mut stack = vec![sdk.join("src")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.push(
                        path.strip_prefix(&sdk)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        found.push("build.rs".into());
        found.sort();
        let mut carried: Vec<String> = SDK_FILES.iter().map(|(p, _)| (*p).to_owned()).collect();
        carried.sort();
        assert_eq!(carried, found, "add the SDK's new files to SDK_FILES");
    }

    #[test]
    fn the_vendored_sdk_pins_what_the_workspace_pins() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let workspace: toml::Table =
            toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
        let pinned = &workspace["workspace"]["dependencies"];
        let sdk: toml::Table =
            toml::from_str(&std::fs::read_to_string(root.join("sdk/Cargo.toml")).unwrap()).unwrap();
        let vendored: toml::Table = toml::from_str(SDK_MANIFEST).unwrap();
        let sections = [
            (&sdk["dependencies"], &vendored["dependencies"]),
            (
                &sdk["target"]["cfg(target_arch = \"wasm32\")"]["dependencies"],
                &vendored["target"]["cfg(target_arch = \"wasm32\")"]["dependencies"],
            ),
        ];
        for (ours, theirs) in sections {
            let ours = ours.as_table().unwrap();
            let theirs = theirs.as_table().unwrap();
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                theirs.keys().collect::<Vec<_>>()
            );
            for (name, spec) in ours {
                let mut expected = match &pinned[name] {
                    toml::Value::String(v) => {
                        let mut t = toml::Table::new();
                        t.insert("version".into(), v.clone().into());
                        t
                    }
                    other => other.as_table().unwrap().clone(),
                };
                if spec.get("optional").is_some() {
                    expected.insert("optional".into(), true.into());
                }
                let given = match &theirs[name] {
                    toml::Value::String(v) => {
                        let mut t = toml::Table::new();
                        t.insert("version".into(), v.clone().into());
                        t
                    }
                    other => other.as_table().unwrap().clone(),
                };
                assert_eq!(given, expected, "`{name}` in the vendored SDK's manifest");
            }
        }
    }
}
