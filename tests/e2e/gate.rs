//! augur as a CI gate: `--fail-on`, baselines, the CI formats (SARIF
//! checked by Microsoft's validator, GitHub annotations and job summary,
//! GitLab Code Quality, JUnit, Markdown), a repository's own pack found
//! without `--pack`, and standard input named with `--stdin-name`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde_json::Value;

use crate::util::{augur, augur_command, augur_in, case_inputs, root};

const NOW: &str = "2026-11-20T14:00:00Z";

/// The inputs the CI formats are checked over: the examples and the
/// fixture corpora (snapshots and job logs).
fn corpora() -> Vec<String> {
    let mut args: Vec<String> = [
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--jobs",
        "tests/fixtures/classifier-logs/jobs",
        "--jobs",
        "tests/fixtures/green-logs/jobs",
        "--jobs",
        "tests/fixtures/cross-repo-series/jobs",
        "--snapshots",
        "tests/fixtures/cross-repo-series/snapshots",
    ]
    .map(String::from)
    .into();
    // The built-ins' own cases.
    for (rule, flag, input) in [
        ("failure-class", "--jobs", "output.log"),
        ("api-errors", "--jobs", "output.log"),
        ("staleness", "--snapshots", "snapshots"),
    ] {
        for path in case_inputs(rule, input) {
            args.extend([flag.into(), path]);
        }
    }
    args
}

/// The string `field` of each object of the JSON array `array`.
fn fields<'a>(array: &'a Value, field: &str) -> Vec<&'a str> {
    let items = array.as_array().unwrap();
    items.iter().map(|x| x[field].as_str().unwrap()).collect()
}

/// `out` is a usage error (exit 2) whose message says `says`.
fn usage_error(out: &crate::util::Output, says: &str) {
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains(says), "{}", out.stderr);
}

fn run_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["run", "--pack", "builtin", "--now", NOW, "--no-timings"]
        .map(String::from)
        .into();
    args.extend(corpora());
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// `args` as `augur` takes them.
fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Microsoft's SARIF validator (`Sarif.Multitool`), installed from npm into
/// the test build's directory the first time a test needs it.
fn sarif_multitool() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-multitool");
        let tool = prefix.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
        if !tool.exists() {
            let status = Command::new("npm")
                .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg("@microsoft/sarif-multitool-linux@5.7.0")
                .status()
                .expect("npm must be installed to fetch Microsoft's SARIF validator (.ci/run installs it)");
            assert!(status.success(), "npm could not install @microsoft/sarif-multitool-linux");
        }
        tool
    })
}

/// The errors Microsoft's validator reports on `file` with GitHub's
/// ingestion rules.
fn sarif_errors(file: &Path) -> Vec<String> {
    let out = Command::new(sarif_multitool())
        .arg("validate")
        .arg(file)
        .args(["--rule-kind", "Sarif;Gh"])
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("running Sarif.Multitool");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("Analysis completed successfully"),
        "the validator did not finish:\n{text}"
    );
    text.lines()
        .filter(|l| l.contains(": error "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn sarif_passes_microsofts_validator_with_githubs_rules() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("augur.sarif");
    let out = augur(&strs(&run_args(&[
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ])));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 30, "{} results", results.len());
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(
            region["startLine"].as_u64().is_some_and(|l| l >= 1),
            "{r:#}"
        );
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            !uri.starts_with('/') && !uri.starts_with("file:"),
            "relative to the repository: {uri}"
        );
        assert!(r["partialFingerprints"]["augurFingerprint/v1"].is_string());
        let kind = r["ruleId"].as_str().unwrap();
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], kind);
    }
    // A snapshot finding points at the line of its JSON pointer's value.
    let snapshot = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with(".json")
        })
        .expect("a finding on a snapshot");
    assert!(
        snapshot["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 1
    );
    let errors = sarif_errors(&sarif);
    assert!(
        errors.is_empty(),
        "the validator found errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn fail_on_exits_one_only_at_or_above_the_severity() {
    // Failing jobs with high findings (failure-class), none critical.
    let jobs = "tests/fixtures/classifier-logs/jobs";
    let base = [
        "run", "--pack", "builtin", "--now", NOW, "--format", "json", "--jobs", jobs,
    ];
    let plain = augur(&base);
    assert_eq!(
        plain.status, 0,
        "without --fail-on nothing changes: {}",
        plain.stderr
    );
    let report: Value = serde_json::from_str(&plain.stdout).unwrap();
    let severities: Vec<&str> = fields(&report["findings"], "severity");
    assert!(severities.contains(&"high") && !severities.contains(&"critical"));

    let high = augur(&[&base[..], &["--fail-on", "high"]].concat());
    assert_eq!(high.status, 1, "{}", high.stderr);
    assert!(high.stderr.contains("at or above high"), "{}", high.stderr);
    let critical = augur(&[&base[..], &["--fail-on", "critical"]].concat());
    assert_eq!(critical.status, 0, "{}", critical.stderr);

    // Bad input outranks findings: 2 over 1.
    let missing = augur(&[&base[..], &["--fail-on", "high", "--jobs", "no/such/log"]].concat());
    assert_eq!(missing.status, 2, "{}", missing.stderr);

    let bad = augur(&[&base[..], &["--fail-on", "severe"]].concat());
    usage_error(&bad, "info, low, medium, high or critical");
}

#[test]
fn a_baseline_read_back_leaves_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let green = root().join("tests/fixtures/classifier-logs/jobs");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&green)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    logs.sort();
    // All the logs but one go into the baseline.
    let held_back = logs.pop().unwrap();
    for log in &logs {
        copy_tree(log, &jobs.join(log.file_name().unwrap()));
    }
    let baseline = dir.path().join("baseline.json");
    let written = augur_in(
        dir.path(),
        &[
            "baseline",
            "--pack",
            "builtin",
            "--now",
            NOW,
            "--jobs",
            "jobs",
            "--output",
            "baseline.json",
        ],
        b"",
    );
    assert_eq!(written.status, 0, "{}", written.stderr);
    let text = std::fs::read_to_string(&baseline).unwrap();
    let entries: Value = serde_json::from_str(&text).unwrap();
    let entries = entries["findings"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|e| e["input"].as_str().unwrap().starts_with("jobs/")),
        "inputs relative to the source root: {text}"
    );
    assert_eq!(
        text.lines().count(),
        entries.len() + 5,
        "one entry per line:\n{text}"
    );

    let gate = [
        "run",
        "--pack",
        "builtin",
        "--now",
        NOW,
        "--jobs",
        "jobs",
        "--baseline",
        "baseline.json",
        "--fail-on",
        "info",
        "--format",
        "json",
    ];
    let same = augur_in(dir.path(), &gate, b"");
    assert_eq!(same.status, 0, "{}", same.stderr);
    let report: Value = serde_json::from_str(&same.stdout).unwrap();
    assert_eq!(report["baseline"]["new"], 0);
    assert_eq!(
        report["baseline"]["unchanged"].as_u64().unwrap() as usize,
        entries.len()
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baseline"] == "unchanged")
    );

    // One more failing log: exactly its findings are new.
    copy_tree(&held_back, &jobs.join(held_back.file_name().unwrap()));
    let more = augur_in(dir.path(), &gate, b"");
    assert_eq!(more.status, 1, "{}", more.stderr);
    let report: Value = serde_json::from_str(&more.stdout).unwrap();
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    let name = held_back.file_name().unwrap().to_str().unwrap();
    assert!(!new.is_empty());
    assert!(
        new.iter()
            .all(|f| f["input"].as_str().unwrap().contains(name)),
        "only the added log's findings are new: {new:#?}"
    );
    assert_eq!(
        report["baseline"]["new"].as_u64().unwrap() as usize,
        new.len()
    );
    assert_eq!(report["baseline"]["absent"].as_array().unwrap().len(), 0);

    // From another checkout (a copy elsewhere), the baseline still holds.
    let other = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), other.path());
    let moved = augur_in(other.path(), &gate, b"");
    let report: Value = serde_json::from_str(&moved.stdout).unwrap();
    assert_eq!(
        report["baseline"]["unchanged"].as_u64().unwrap() as usize,
        entries.len()
    );

    // A log gone from the run: its entries are absent.
    std::fs::remove_dir_all(jobs.join(logs[0].file_name().unwrap())).ok();
    std::fs::remove_file(jobs.join(logs[0].file_name().unwrap())).ok();
    let fewer = augur_in(dir.path(), &gate, b"");
    let report: Value = serde_json::from_str(&fewer.stdout).unwrap();
    assert!(
        !report["baseline"]["absent"].as_array().unwrap().is_empty(),
        "{:#}",
        report["baseline"]
    );

    let broken = augur_in(
        dir.path(),
        &["run", "--jobs", "jobs", "--baseline", "jobs"],
        b"",
    );
    usage_error(&broken, "--baseline jobs");
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

#[test]
fn github_annotations_are_escaped_capped_and_summarised() {
    let dir = tempfile::tempdir().unwrap();
    // A log that tries to forge a workflow command and a summary's markup.
    let log = dir.path().join("forged.log");
    let mut text = String::new();
    for i in 0..15 {
        text.push_str(&format!(
            "step {i}\nAPI Error: 529 {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded%0A::error file=x::forged <img src=x> @admin \u{1b}[2J\"}}}}\n"
        ));
    }
    text.push_str("Error: Process completed with exit code 1.\n");
    std::fs::write(&log, &text).unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step output\n").unwrap();
    let log_arg = log.to_str().unwrap().to_owned();
    let mut args = run_args(&["--format", "github"]);
    args.extend(["--jobs".into(), log_arg]);
    let out = augur_command()
        .args(&args)
        .current_dir(root())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let count = |level: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("::{level} ")))
            .count()
    };
    assert!(count("error") <= 10 && count("warning") <= 10, "{stdout}");
    assert!(count("notice") <= 10, "{stdout}");
    assert!(
        lines.iter().all(|l| l.starts_with("::")),
        "one command per line:\n{stdout}"
    );
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("::notice ") && last.contains("more finding"),
        "{last}"
    );
    // Severity order: errors, then warnings, then notices.
    let order: Vec<usize> = lines
        .iter()
        .map(|l| {
            ["::error", "::warning", "::notice"]
                .iter()
                .position(|p| l.starts_with(p))
                .unwrap()
        })
        .collect();
    let findings_order = &order[..order.len() - 1];
    assert!(
        findings_order.windows(2).all(|w| w[0] <= w[1]),
        "most severe first: {order:?}"
    );
    for l in &lines {
        let (props, message) = l[2..].split_once("::").unwrap();
        assert!(
            !message.contains('\u{1b}') && !props.contains('\u{1b}'),
            "{l}"
        );
    }
    let forged: Vec<&&str> = lines.iter().filter(|l| l.contains("forged.log")).collect();
    assert!(!forged.is_empty(), "{stdout}");
    assert!(
        forged
            .iter()
            .any(|l| l.contains("%250A%3A%3Aerror") || l.contains("%250A::error")),
        "{forged:?}"
    );

    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step output\n## augur"),
        "appended, not replaced:\n{md}"
    );
    assert!(md.contains("| severity | findings |"), "{md}");
    assert!(md.contains("forged"), "{md}");
    assert!(!md.contains('\u{1b}'), "{md}");
    // Outside code spans, the log's markup and mention are inert text.
    let prose = outside_code_spans(&md).replace("\\<", "");
    assert!(
        !prose.contains("<img") && !prose.contains("@admin"),
        "{prose}"
    );
    assert!(md.len() < 1 << 20);
}

/// Markdown with its code spans taken out (a span opens with a run of
/// backticks and closes at the next run of the same length).
fn outside_code_spans(md: &str) -> String {
    let mut out = String::new();
    let mut rest = md;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        let fence = &rest[start..start + run];
        let after = &rest[start + run..];
        let mut close = None;
        let mut from = 0;
        while let Some(i) = after[from..].find(fence) {
            let at = from + i;
            let longer = after[at + run..].starts_with('`');
            if !longer {
                close = Some(at);
                break;
            }
            from = at + run + after[at + run..].len()
                - after[at + run..].trim_start_matches('`').len();
        }
        match close {
            Some(at) => rest = &after[at + run..],
            None => {
                out.push_str(fence);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn gitlab_and_junit_reports_parse() {
    let dir = tempfile::tempdir().unwrap();
    let gitlab = dir.path().join("gl-code-quality.json");
    let junit = dir.path().join("junit.xml");
    let md = dir.path().join("report.md");
    let writes = [
        format!("gitlab={}", gitlab.display()),
        format!("junit={}", junit.display()),
        format!("markdown={}", md.display()),
    ];
    let mut args = run_args(&["--format", "json", "--fail-on", "medium"]);
    for w in writes {
        args.extend(["--write".into(), w]);
    }
    let out = augur(&strs(&args));
    assert_eq!(out.status, 1, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();

    let issues: Value = serde_json::from_str(&std::fs::read_to_string(&gitlab).unwrap()).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), findings.len());
    let mut fingerprints = std::collections::HashSet::new();
    for i in issues {
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
        assert!(i["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(i["check_name"].as_str().unwrap().contains('/'));
        assert!(
            i["location"]["path"]
                .as_str()
                .is_some_and(|p| !p.starts_with('/')),
            "{i:#}"
        );
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(
            fingerprints.insert(i["fingerprint"].as_str().unwrap().to_owned()),
            "unique: {i:#}"
        );
    }

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let rules: Vec<&str> = fields(&report["stats"]["rules"], "rule");
    assert_eq!(suites.len(), rules.len(), "one suite per rule");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let failing_pairs: std::collections::BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| ["medium", "high", "critical"].contains(&f["severity"].as_str().unwrap()))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["input"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        failing_pairs.len(),
        "a failing case per (rule, input) with a finding at or above --fail-on"
    );
    let classifier = suites
        .iter()
        .find(|s| s.attribute("name") == Some("failure-class"))
        .unwrap();
    assert_eq!(
        classifier
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        report["stats"]["inputs"]["jobs"].as_u64().unwrap() as usize,
        "a case per job"
    );

    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.starts_with("## augur\n"), "{md}");
    assert!(md.contains("❌"), "the gate's verdict: {md}");
}

#[test]
fn a_repositorys_own_pack_is_found_from_a_subdirectory() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    std::fs::write(
        repo.path().join("augur.toml"),
        "[[rule]]\nbuiltin = \"api-errors\"\n",
    )
    .unwrap();
    let sub = repo.path().join("ci/logs");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("job.log"), "API Error: 429 rate limited\nexit 1\n").unwrap();
    let out = augur_in(
        &sub,
        &[
            "run",
            "--jobs",
            "job.log",
            "--format",
            "json",
            "--no-timings",
        ],
        b"",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        report["stats"]["pack"]
            .as_str()
            .unwrap()
            .ends_with("augur.toml"),
        "{:#}",
        report["stats"]
    );
    let rules: Vec<&str> = fields(&report["stats"]["rules"], "rule");
    assert_eq!(rules, ["api-errors"]);
    // `--pack builtin` forces the built-in pack.
    let forced = augur_in(
        &sub,
        &[
            "run", "--pack", "builtin", "--jobs", "job.log", "--format", "json",
        ],
        b"",
    );
    let report: Value = serde_json::from_str(&forced.stdout).unwrap();
    assert_eq!(report["stats"]["pack"], "builtin");
    // A manifest above the repository's root is not this repository's.
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(
        outer.path().join("augur.toml"),
        "[[rule]]\nbuiltin = \"nope\"\n",
    )
    .unwrap();
    let inner = outer.path().join("repo");
    std::fs::create_dir_all(inner.join(".git")).unwrap();
    std::fs::write(inner.join("job.log"), "ok\n").unwrap();
    let out = augur_in(
        &inner,
        &["run", "--jobs", "job.log", "--format", "json"],
        b"",
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["stats"]["pack"], "builtin", "{}", out.stderr);
}

#[test]
fn standard_input_is_named_and_read_once() {
    let log = b"API Error: 429 rate limited\n";
    let out = augur_in(
        &root(),
        &[
            "run",
            "--pack",
            "builtin",
            "--jobs",
            "-",
            "--stdin-name",
            "ci/job.log",
            "--format",
            "json",
        ],
        log,
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["input"], "ci/job.log");
        assert!(
            f["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["source"] == "ci/job.log"),
            "{f:#}"
        );
    }
    let twice = augur_in(&root(), &["run", "--jobs", "-", "--jobs", "-"], log);
    usage_error(&twice, "standard input can be read once");
}

#[test]
fn several_formats_in_one_run_and_no_two_to_one_place() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("a.sarif");
    let w = format!("sarif={}", sarif.display());
    let out = augur(&[
        "run",
        "--pack",
        "builtin",
        "--jobs",
        "examples/jobs",
        "--now",
        NOW,
        "--write",
        &w,
        "--write",
        "github=-",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("::")),
        "standard output has the annotations only:\n{}",
        out.stdout
    );
    assert!(serde_json::from_str::<Value>(&std::fs::read_to_string(&sarif).unwrap()).is_ok());

    let clash = augur(&[
        "run",
        "--jobs",
        "examples/jobs",
        "--format",
        "json",
        "--write",
        "github=-",
    ]);
    usage_error(&clash, "standard output");
    let bad = augur(&["run", "--jobs", "examples/jobs", "--write", "yaml=x"]);
    usage_error(&bad, "unknown format `yaml`");
}

/// Runs `ci/augur-gate.sh` (what the GitHub Action and the GitLab template
/// run) in a repository of failing logs, with the CI's variables set.
fn gate_script(repo: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(root().join("ci/augur-gate.sh"));
    command
        .current_dir(repo)
        .env("AUGUR", crate::util::augur_bin())
        .env("AUGUR_CACHE_DIR", crate::util::SHARED_CACHE)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .env("AUGUR_PACK", "builtin")
        .env("AUGUR_JOBS", "logs")
        .env("AUGUR_ARGS", format!("--now {NOW}"));
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("running ci/augur-gate.sh")
}

#[test]
fn the_ci_integrations_run_as_their_ci_runs_them() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    copy_tree(
        &root().join("tests/fixtures/classifier-logs/jobs"),
        &repo.path().join("logs"),
    );

    // GitHub Actions: the action's run step calls the script with its inputs.
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for wired in [
        "ci/augur-gate.sh",
        "AUGUR_JOBS: ${{ inputs.jobs }}",
        "AUGUR_SNAPSHOTS: ${{ inputs.snapshots }}",
        "AUGUR_FAIL_ON: ${{ inputs.fail-on }}",
        "AUGUR_PACK: ${{ inputs.pack }}",
        "AUGUR_SARIF: ${{ inputs.sarif }}",
        "value: ${{ steps.run.outputs.sarif }}",
    ] {
        assert!(action.contains(wired), "action.yml lacks `{wired}`");
    }
    let summary = repo.path().join("summary.md");
    let outputs = repo.path().join("github-output");
    let out = gate_script(
        repo.path(),
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
            ("AUGUR_FAIL_ON", "high"),
        ],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a high finding fails the step: {stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("::error file=logs/")),
        "{stdout}"
    );
    assert!(stdout.lines().all(|l| l.starts_with("::")), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "sarif=augur.sarif\n"
    );
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path().join("augur.sarif")).unwrap())
            .unwrap();
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("## augur")
    );

    // An empty fail-on never fails on findings.
    let lenient = gate_script(
        repo.path(),
        &[("GITHUB_ACTIONS", "true"), ("AUGUR_FAIL_ON", "")],
    );
    assert_eq!(lenient.status.code(), Some(0));

    // GitLab CI: the template runs the script and collects its two reports.
    let template = std::fs::read_to_string(root().join("ci/augur.gitlab-ci.yml")).unwrap();
    for wired in [
        "ci/augur-gate.sh",
        "codequality: gl-code-quality-report.json",
        "junit: augur-junit.xml",
    ] {
        assert!(
            template.contains(wired),
            "the GitLab template lacks `{wired}`"
        );
    }
    let out = gate_script(repo.path(), &[("GITLAB_CI", "true")]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("at or above high"),
        "the text report: {stdout}"
    );
    let quality: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    assert!(
        quality
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["location"]["path"].as_str().unwrap().starts_with("logs/"))
    );
    let junit = std::fs::read_to_string(repo.path().join("augur-junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("failure")));
}

#[test]
fn a_broken_pack_never_passes_a_gate_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.log"), "API Error: 429 rate limited\n").unwrap();
    let wasm = crate::util::guest("sandbox-probe");
    std::fs::copy(&wasm, dir.path().join("rule.wasm")).unwrap();
    let cases = [
        (
            "a wrong sha256",
            format!("[[rule]]\nbuiltin = \"api-errors\"\n\n[[rule]]\npath = \"rule.wasm\"\nsha256 = \"{}\"\n", "0".repeat(64)),
            "augur.toml:4:",
            "sha256 is",
        ),
        (
            "a missing component",
            "[[rule]]\nbuiltin = \"api-errors\"\n\n[[rule]]\npath = \"gone.wasm\"\n".to_owned(),
            "augur.toml:4:",
            "gone.wasm",
        ),
        (
            "a typo in a config field",
            "[[rule]]\nbuiltin = \"api-errors\"\n\n[[rule]]\nbuiltin = \"failure-class\"\n[rule.config]\nknown_flakey = [\"t\"]\n".to_owned(),
            "augur.toml:4:",
            "'known_flakey' was unexpected",
        ),
    ];
    for (what, manifest, place, says) in cases {
        std::fs::write(dir.path().join("augur.toml"), &manifest).unwrap();
        let run = augur_in(
            dir.path(),
            &["run", "--jobs", "job.log", "--format", "json"],
            b"",
        );
        assert_eq!(run.status, 2, "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains(place) && run.stderr.contains(says),
            "{what}: {}",
            run.stderr
        );
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        let errors = report["errors"].as_array().unwrap();
        assert_eq!(
            errors.len(),
            1,
            "{what}: reported once, not once per input: {errors:#?}"
        );
        assert_eq!(errors[0]["class"], "load_error");
        assert!(
            errors[0]["message"].as_str().unwrap().contains(place),
            "{what}"
        );
        // The rest of the pack still ran.
        assert!(crate::util::calls(&report, "api-errors") > 0, "{what}");
        let rules = augur_in(dir.path(), &["rules"], b"");
        assert_eq!(
            rules.status, 2,
            "{what}: `augur rules` lists it and fails: {}",
            rules.stdout
        );
        assert!(rules.stdout.contains(says), "{what}: {}", rules.stdout);

        // Marked optional, the pack runs without it and the status stays.
        let optional = manifest.replacen("\n\n[[rule]]\n", "\n\n[[rule]]\noptional = true\n", 1);
        std::fs::write(dir.path().join("augur.toml"), &optional).unwrap();
        let run = augur_in(
            dir.path(),
            &["run", "--jobs", "job.log", "--format", "json"],
            b"",
        );
        assert_eq!(run.status, 0, "{what}, optional: {}", run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(
            report["errors"][0]["class"], "load_error",
            "{what}: still reported"
        );
    }

    for (sha, names) in [
        ("abc", "3 characters"),
        (&"z".repeat(64)[..], "not all hexadecimal"),
    ] {
        std::fs::write(
            dir.path().join("augur.toml"),
            format!("[[rule]]\npath = \"rule.wasm\"\nsha256 = \"{sha}\"\n"),
        )
        .unwrap();
        let run = augur_in(dir.path(), &["run", "--jobs", "job.log"], b"");
        usage_error(&run, "is not a sha256");
        assert!(run.stderr.contains(names), "{}", run.stderr);
        assert!(
            !run.stderr.contains("changed"),
            "not named as a changed file: {}",
            run.stderr
        );
    }
}

#[test]
fn a_pack_extends_the_builtin_pack_without_listing_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("augur.toml"),
        "extends = \"builtin\"\nexclude = [\"postflight\"]\n\n\
         [[rule]]\nbuiltin = \"failure-class\"\n[rule.config]\nknown_flaky = [\"x\"]\n[rule.limits]\nfuel = 90_000_000_000\n\n\
         [[rule]]\nbuiltin = \"api-errors\"\nid = \"api-errors-tail\"\n[rule.config]\ntail_lines = 50\n",
    )
    .unwrap();
    let listed = augur_in(dir.path(), &["rules", "--format", "json"], b"");
    assert_eq!(listed.status, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let ids: Vec<&str> = fields(&listed["rules"], "id");
    let builtin = augur_in(
        dir.path(),
        &["rules", "--pack", "builtin", "--format", "json"],
        b"",
    );
    let builtin: Value = serde_json::from_str(&builtin.stdout).unwrap();
    let mut expected = fields(&builtin["rules"], "id");
    expected.retain(|id| *id != "postflight");
    expected.push("api-errors-tail");
    assert_eq!(
        ids, expected,
        "every built-in but the excluded one, once, then the added rule"
    );

    for (manifest, says) in [
        (
            "extends = \"builtin\"\nexclude = [\"nope\"]\n",
            "not a built-in rule",
        ),
        (
            "exclude = [\"postflight\"]\n",
            "needs `extends = \"builtin\"`",
        ),
        ("extends = \"recommended\"\n", "can extend only"),
        (
            "extends = \"builtin\"\nexclude = [\"postflight\"]\n[[rule]]\nbuiltin = \"postflight\"\n",
            "both excluded and configured",
        ),
    ] {
        std::fs::write(dir.path().join("augur.toml"), manifest).unwrap();
        usage_error(&augur_in(dir.path(), &["rules"], b""), says);
    }
}
