//! The context error report: one block per failed job combining every
//! rule's findings about it, in text, Markdown and JSON.

use serde_json::Value;

use crate::util::{augur, augur_in, s};

const EXAMPLE_ARGS: &[&str] = &[
    "run",
    "--pack",
    "builtin",
    "--snapshots",
    "examples/snapshots",
    "--jobs",
    "examples/jobs",
    "--now",
    "2026-11-20T14:00:00Z",
];

const RATE_LIMITED: &str = "examples/jobs/agent-rate-limited/output.log";

fn examples(extra: &[&str]) -> crate::util::Output {
    let mut args = EXAMPLE_ARGS.to_vec();
    args.extend_from_slice(extra);
    let out = augur(&args);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out
}

fn mentions_tests(action: &str) -> bool {
    action
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "test" | "tests"))
}

#[test]
fn a_failed_job_is_one_report_in_the_json() {
    let report = examples(&["--format", "json"]).json();
    let reports = &report["job_reports"];
    assert_eq!(reports["version"], 1);
    let jobs = reports["jobs"].as_array().unwrap();
    let job = jobs
        .iter()
        .find(|j| j["input"] == RATE_LIMITED)
        .unwrap_or_else(|| panic!("{reports:#}"));
    let findings = report["findings"].as_array().unwrap();
    let primary = &findings[job["primary"].as_u64().unwrap() as usize];
    assert_eq!(primary["rule"], "failure-class");
    assert!(s(&primary["kind"]).starts_with("failure/"), "{primary:#}");
    assert_eq!(job["repo"], "acme/api");
    assert_eq!(job["stage"], "test");
    assert_eq!(job["exit_code"], 1);
    // Every other finding about the job is a supporting fact, the API
    // error's detail first.
    let related: Vec<String> = job["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| s(&findings[i.as_u64().unwrap() as usize]["kind"]))
        .collect();
    assert_eq!(related[0], "api_error/rate_limit", "{related:?}");
    assert!(
        related.contains(&"postflight/report".to_owned()),
        "{related:?}"
    );
    // Why: the causal line (the 429) with the lines around it.
    let line = job["why"]["line"].as_u64().unwrap();
    let context = job["why"]["context"].as_array().unwrap();
    let causal = context
        .iter()
        .find(|l| l["line"] == line)
        .unwrap_or_else(|| panic!("{context:?}"));
    assert!(s(&causal["text"]).contains("429"), "{causal:#}");
    assert!(context.len() >= 3, "{context:?}");
    // What to do: 2 or 3 actions, none about tests for a rate limit.
    let actions: Vec<String> = job["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(&a["action"]))
        .collect();
    assert!((2..=3).contains(&actions.len()), "{actions:?}");
    assert!(!actions.iter().any(|a| mentions_tests(a)), "{actions:?}");
    assert!(
        actions
            .iter()
            .any(|a| a.to_lowercase().contains("retry") || a.to_lowercase().contains("rate")),
        "{actions:?}"
    );
    // Every finding is still there, as it was.
    assert_eq!(report["stats"]["findings"], findings.len());
    // A green job is no failed job.
    assert!(!jobs.iter().any(|j| s(&j["input"]).contains("build-green")));
}

#[test]
fn a_failed_job_reads_as_one_block_in_text_and_markdown() {
    let text = examples(&["--color", "never"]).stdout;
    let start = text
        .find(&format!("✗ {RATE_LIMITED}"))
        .unwrap_or_else(|| panic!("{text}"));
    let block = &text[start..];
    let block = &block[..block.find("\n\n").unwrap_or(block.len())];
    for part in [
        "What failed",
        "also:",
        "Why           line ",
        "→ ",
        "Seen before",
        "no history",
        "What to do",
        "1. ",
    ] {
        assert!(block.contains(part), "no `{part}` in:\n{block}");
    }
    assert!(
        block.contains("acme/api · stage test · fix_tests · exit code 1"),
        "{block}"
    );
    assert_eq!(
        block.matches("What failed").count(),
        1,
        "one headline, the other rules' findings under it:\n{block}"
    );

    let markdown = examples(&["--format", "markdown"]).stdout;
    for part in [
        "**What failed**: ",
        "**Why**: line ",
        "<details><summary>the log around it</summary>",
        "**Similar past issues**: _no history",
        "**Suggested actions**",
        "\n1. ",
    ] {
        assert!(markdown.contains(part), "no `{part}` in:\n{markdown}");
    }
}

#[test]
fn hostile_log_lines_in_a_report_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("jobs/evil");
    std::fs::create_dir_all(&job).unwrap();
    std::fs::write(
        job.join("output.log"),
        "$ npm install\nnpm ERR! code E404\n<script>alert(1)</script> \x1b]0;pwned\x07\n```\n</details>\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found\n",
    )
    .unwrap();
    std::fs::write(
        job.join("meta.json"),
        r#"{"repo": "acme/api", "exit_code": 1}"#,
    )
    .unwrap();
    let text = augur_in(
        dir.path(),
        &[
            "run", "--pack", "builtin", "--jobs", "jobs", "--color", "never",
        ],
        b"",
    );
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("✗ jobs/evil/output.log"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains('\x1b'), "{}", text.stdout);
    assert!(!text.stdout.contains('\x07'), "{}", text.stdout);
    let markdown = augur_in(
        dir.path(),
        &[
            "run", "--pack", "builtin", "--jobs", "jobs", "--format", "markdown",
        ],
        b"",
    );
    let md = markdown.stdout;
    assert!(md.contains("**What failed**"), "{md}");
    // The context block's fence outlasts the backticks in the log, so the
    // `</details>` line and the script stay inside it, as text.
    let block_start = md.find("````text").unwrap_or_else(|| panic!("{md}"));
    let block_end = block_start + md[block_start + 8..].find("\n````").unwrap() + 8;
    let block = &md[block_start..block_end];
    assert!(block.contains("<script>alert(1)</script>"), "{block}");
    assert!(block.contains("</details>"), "{block}");
    assert!(!md.contains('\x1b'), "{md}");
    let json: Value = serde_json::from_str(
        &augur_in(
            dir.path(),
            &[
                "run", "--pack", "builtin", "--jobs", "jobs", "--format", "json",
            ],
            b"",
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["job_reports"]["jobs"].as_array().unwrap().len(), 1);
}

#[test]
fn passing_jobs_are_left_out_of_the_text_unless_asked() {
    let text = examples(&["--color", "never"]).stdout;
    // The green build and the deploy whose 503s are health checks: their
    // quality reports are left out, and nothing else was found in them.
    assert!(
        !text.contains("examples/jobs/build-green/output.log"),
        "{text}"
    );
    assert!(
        !text.contains("examples/jobs/deploy-healthcheck/output.log"),
        "{text}"
    );
    assert!(
        text.contains(
            "2 findings not shown: the quality reports of jobs that did not fail (--show all shows them)"
        ),
        "{text}"
    );
    let all = examples(&["--color", "never", "--show", "all"]).stdout;
    assert!(
        all.contains("examples/jobs/build-green/output.log"),
        "{all}"
    );
    assert!(!all.contains("not shown"), "{all}");
    let high = examples(&["--color", "never", "--min-severity", "high"]).stdout;
    assert!(!high.contains("INFO "), "{high}");
    assert!(high.contains("below high (--min-severity)"), "{high}");
    // The green job's report is info, whatever its score.
    let json = examples(&["--format", "json"]).json();
    for f in json["findings"].as_array().unwrap() {
        if f["kind"] == "postflight/report" && f["data"]["exit_code"] == 0 {
            assert_eq!(f["severity"], "info", "{f:#}");
        }
    }
}
