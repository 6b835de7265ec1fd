//! The history store through the binary: seen-before counts over runs, a
//! run killed while it records, concurrent writers on SQLite and on a real
//! PostgreSQL server, the feedback loop, and the `history` commands.

use std::{
    path::{Path, PathBuf},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::util::{augur_command, augur_in, s};

#[path = "../../host/src/history/test_cluster.rs"]
mod test_cluster;

const FAILING_LOG: &str = "\
============================= test session starts ==============================
collected 12 items

tests/test_api.py ........F...                                           [100%]

=================================== FAILURES ===================================
_________________________________ test_limit __________________________________
    def test_limit():
>       assert client.get('/limit').status_code == 200
E       assert 429 == 200
tests/test_api.py:41: AssertionError
=========================== short test summary info ============================
FAILED tests/test_api.py::test_limit - assert 429 == 200
========================= 1 failed, 11 passed in 2.31s =========================
";

const PASSING_LOG: &str = "\
============================= test session starts ==============================
collected 12 items

tests/test_api.py ............                                           [100%]

============================== 12 passed in 2.02s ==============================
";

/// A job folder `dir/name`: acme/api's job `name`.
fn job(dir: &Path, name: &str, log: &str, exit_code: i32) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("output.log"), log).unwrap();
    std::fs::write(
        folder.join("meta.json"),
        format!(
            r#"{{"repo": "acme/api", "job": "{name}", "stage": "test", "exit_code": {exit_code}}}"#
        ),
    )
    .unwrap();
    folder
}

/// `augur run` of the built-in pack over `jobs/`, recording in `history`
/// at `now`.
fn run_args<'a>(history: &'a str, now: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--pack",
        "builtin",
        "--jobs",
        "jobs",
        "--history",
        history,
        "--now",
        now,
    ]
}

/// That run's JSON report (it must succeed).
fn run(dir: &Path, history: &str, now: &str, extra: &[&str]) -> crate::util::Output {
    let mut args = run_args(history, now);
    args.extend_from_slice(&["--format", "json"]);
    args.extend_from_slice(extra);
    let out = augur_in(dir, &args, b"");
    assert_eq!(out.status, 0, "{}", out.stderr);
    out
}

/// That run's text report.
fn run_text(dir: &Path, history: &str, now: &str) -> crate::util::Output {
    let mut args = run_args(history, now);
    args.extend_from_slice(&["--color", "never"]);
    augur_in(dir, &args, b"")
}

/// That run, started, its JSON report piped.
fn run_command(dir: &Path, history: &str, now: &str) -> std::process::Command {
    let mut command = augur_command();
    command
        .args(run_args(history, now))
        .args(["--format", "json"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The failure-class finding of a report.
fn failure(report: &Value) -> &Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| s(&f["kind"]).starts_with("failure/"))
        .unwrap_or_else(|| panic!("no failure finding: {report:#}"))
}

#[test]
fn three_runs_over_a_failing_job_say_it_was_seen_three_times() {
    let dir = tempfile::tempdir().unwrap();
    job(&dir.path().join("jobs"), "unit", FAILING_LOG, 1);
    run(dir.path(), "h.db", "2026-11-18T09:00:00Z", &[]);
    run(dir.path(), "h.db", "2026-11-19T09:30:00Z", &[]);
    let third = run(dir.path(), "h.db", "2026-11-20T10:00:00Z", &[]).json();
    let history = &failure(&third)["history"];
    assert_eq!(history["seen"], 3, "{history:#}");
    assert_eq!(history["first_seen"], "2026-11-18T09:00:00Z");
    assert_eq!(history["last_seen"], "2026-11-20T10:00:00Z");
    assert_eq!(history["window_days"], 30);
    assert_eq!(third["history"]["store"], "h.db");
    // The past failures like it: the same fingerprint, newest first.
    let similar: Vec<String> = history["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(&x["at"]))
        .collect();
    assert_eq!(similar, ["2026-11-19T09:30:00Z", "2026-11-18T09:00:00Z"]);

    // A person reads it in text.
    let text = run_text(dir.path(), "h.db", "2026-11-21T10:00:00Z");
    assert!(
        text.stdout
            .contains("seen 4× in 30 days, first on 2026-11-18"),
        "{}",
        text.stdout
    );
    // Without --history nothing is said of it, and nothing recorded.
    let plain = augur_in(
        dir.path(),
        &[
            "run", "--pack", "builtin", "--jobs", "jobs", "--format", "json",
        ],
        b"",
    );
    assert!(plain.json()["history"].is_null());
    assert!(failure(&plain.json())["history"].is_null());
}

/// Integrity, and every recorded run holding exactly its findings.
fn check_store(db: &Path) -> u64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut statement = conn
        .prepare(
            "SELECT r.id, r.findings, (SELECT COUNT(*) FROM augur_findings f WHERE f.run_id = r.id) \
             FROM augur_runs r",
        )
        .unwrap();
    let runs: Vec<(String, i64, i64)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, said, held) in &runs {
        assert_eq!(said, held, "run {id} is recorded in part");
    }
    runs.len() as u64
}

#[test]
fn a_run_killed_while_it_records_is_not_recorded_at_all() {
    let dir = tempfile::tempdir().unwrap();
    job(&dir.path().join("jobs"), "unit", FAILING_LOG, 1);
    run(dir.path(), "h.db", "2026-11-18T09:00:00Z", &[]);

    let marker = dir.path().join("recording");
    let mut child = run_command(dir.path(), "h.db", "2026-11-19T09:00:00Z")
        .env("AUGUR_TEST_HISTORY_PAUSE", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "augur never started recording"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "augur ended before recording"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();

    assert_eq!(
        check_store(&dir.path().join("h.db")),
        1,
        "the killed run left nothing"
    );
    let next = run(dir.path(), "h.db", "2026-11-20T09:00:00Z", &[]).json();
    assert_eq!(failure(&next)["history"]["seen"], 2);
    assert_eq!(check_store(&dir.path().join("h.db")), 2);
}

/// Starts `augur run` recording into `history` at `now`.
fn spawn_run(dir: &Path, history: &str, now: &str) -> Child {
    run_command(dir, history, now).spawn().unwrap()
}

/// Eight augur processes record into `history` at once; every run and
/// every finding is there once.
fn eight_writers(history: &str) {
    let dir = tempfile::tempdir().unwrap();
    job(&dir.path().join("jobs"), "unit", FAILING_LOG, 1);
    job(&dir.path().join("jobs"), "lint", PASSING_LOG, 0);
    let children: Vec<Child> = (0..8)
        .map(|i| spawn_run(dir.path(), history, &format!("2026-11-20T10:00:0{i}Z")))
        .collect();
    let mut per_run = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        per_run.push(report["findings"].as_array().unwrap().len());
    }
    // Runs that started later may see the others' records (systemic
    // patterns read history), so their findings may differ: each run's are
    // stored, whole, once.
    assert!(per_run.iter().all(|n| *n > 0), "{per_run:?}");
    let export = augur_in(
        dir.path(),
        &["history", "export", "--history", history],
        b"",
    );
    assert_eq!(export.status, 0, "{}", export.stderr);
    let runs: Vec<Value> = export
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 8);
    let mut stored: Vec<usize> = runs
        .iter()
        .map(|r| r["run"]["findings"].as_array().unwrap().len())
        .collect();
    stored.sort();
    per_run.sort();
    assert_eq!(stored, per_run);
    let mut ids: Vec<String> = runs.iter().map(|r| s(&r["run"]["id"])).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each run recorded once");
    // The last of them saw all eight.
    let last = run(dir.path(), history, "2026-11-20T11:00:00Z", &[]).json();
    assert_eq!(failure(&last)["history"]["seen"], 9);
}

#[test]
fn eight_processes_record_at_once_into_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    eight_writers(db.to_str().unwrap());
    check_store(&db);
}

#[test]
fn eight_processes_record_at_once_into_postgres() {
    let cluster = test_cluster::PgCluster::start();
    eight_writers(&cluster.new_database());
}

#[test]
fn a_passing_job_marks_its_fix_and_the_next_failure_suggests_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    job(&jobs, "unit", FAILING_LOG, 1);
    let failed = run(dir.path(), "h.db", "2026-11-18T09:00:00Z", &[]).json();
    let first_actions = failure(&failed)["history"]["actions"].clone();
    assert!(
        first_actions
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["source"] == "rule"),
        "{first_actions:#}"
    );
    // The same job (acme/api's `unit`) passes: the suggestions of every
    // finding of its failure are marked fixed.
    job(&jobs, "unit", PASSING_LOG, 0);
    let passed = run(dir.path(), "h.db", "2026-11-18T10:00:00Z", &[]).json();
    let resolved = passed["history"]["resolved"].as_u64().unwrap();
    assert!(
        resolved as usize >= first_actions.as_array().unwrap().len(),
        "{resolved}"
    );
    // It fails again, differently: what fixed it last time comes first.
    job(&jobs, "unit", &FAILING_LOG.replace("429", "503"), 1);
    let again = run(dir.path(), "h.db", "2026-11-19T09:00:00Z", &[]).json();
    let actions = &failure(&again)["history"]["actions"];
    assert_eq!(actions[0]["source"], "history", "{actions:#}");
    assert_eq!(actions[0]["effectiveness"], 100);
    assert_eq!(actions[0]["action"], first_actions[0]["action"]);
    let text = run_text(dir.path(), "h.db", "2026-11-19T09:30:00Z");
    assert!(
        text.stdout.contains("(fixed 1 of 2 times, 50%)"),
        "{}",
        text.stdout
    );

    // By hand: the first action of the latest failure did not fix it.
    let fingerprint = s(&failure(&again)["fingerprint"]);
    let said = augur_in(
        dir.path(),
        &[
            "feedback",
            &fingerprint,
            "--action",
            "1",
            "--outcome",
            "not-fixed",
            "--history",
            "h.db",
        ],
        b"",
    );
    assert_eq!(said.status, 0, "{}", said.stderr);
    assert!(said.stdout.starts_with("recorded: `"), "{}", said.stdout);
    let wrong = augur_in(
        dir.path(),
        &[
            "feedback",
            &fingerprint,
            "--action",
            "9",
            "--outcome",
            "fixed",
            "--history",
            "h.db",
        ],
        b"",
    );
    assert_eq!(wrong.status, 2);
    assert!(wrong.stderr.contains("--action 9"), "{}", wrong.stderr);
}

/// The failed job's context report, as the JSON gives it.
fn job_report(report: &Value) -> &Value {
    &report["job_reports"]["jobs"][0]
}

#[test]
fn a_failed_jobs_report_lists_its_past_failures_and_what_fixed_them_first() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    job(&jobs, "unit", FAILING_LOG, 1);
    let first = run(dir.path(), "h.db", "2026-11-18T09:00:00Z", &[]).json();
    let fix = s(&job_report(&first)["actions"][0]["action"]);
    job(&jobs, "unit", PASSING_LOG, 0);
    run(dir.path(), "h.db", "2026-11-18T10:00:00Z", &[]);
    job(&jobs, "unit", FAILING_LOG, 1);
    run(dir.path(), "h.db", "2026-11-19T09:00:00Z", &[]);
    job(&jobs, "unit", PASSING_LOG, 0);
    run(dir.path(), "h.db", "2026-11-19T10:00:00Z", &[]);
    job(&jobs, "unit", FAILING_LOG, 1);

    // JSON: the earlier failures, each with what fixed it; the fix first.
    let now = "2026-11-20T09:00:00Z";
    let report = run(dir.path(), "h.db", now, &[]).json();
    let findings = report["findings"].as_array().unwrap();
    let job = job_report(&report);
    let primary = &findings[job["primary"].as_u64().unwrap() as usize];
    let similar = primary["history"]["similar"].as_array().unwrap();
    let at: Vec<String> = similar.iter().map(|x| s(&x["at"])).collect();
    assert_eq!(at, ["2026-11-19T09:00:00Z", "2026-11-18T09:00:00Z"]);
    for x in similar {
        assert!(
            x["fixed_by"]
                .as_array()
                .unwrap()
                .contains(&Value::from(fix.clone())),
            "{x:#}"
        );
    }
    assert_eq!(job["actions"][0]["action"], fix, "{job:#}");
    assert_eq!(job["actions"][0]["fixed"], 2, "{job:#}");

    // Text and Markdown say it; HTML draws it, a bar per day seen.
    let text = run_text(dir.path(), "h.db", now).stdout;
    let block = &text[text.find("Seen before").unwrap_or_else(|| panic!("{text}"))..];
    assert!(
        block.contains("2026-11-19") && block.contains("2026-11-18"),
        "{text}"
    );
    assert!(block.contains(&format!("fixed by: {fix}")), "{text}");
    let what_to_do = &block[block.find("What to do").unwrap()..];
    assert!(
        what_to_do.contains(&format!("1. {fix}  (fixed 2 of")),
        "{what_to_do}"
    );
    let markdown = augur_in(
        dir.path(),
        &[run_args("h.db", now), vec!["--format", "markdown"]].concat(),
        b"",
    )
    .stdout;
    assert!(
        markdown.contains("**Similar past issues**: seen "),
        "{markdown}"
    );
    let html = augur_in(
        dir.path(),
        &[run_args("h.db", now), vec!["--format", "html"]].concat(),
        b"",
    )
    .stdout;
    let article = &html[html.find("<article class=\"job\"").unwrap()..];
    let article = &article[..article.find("</article>").unwrap()];
    let spark = &article[article
        .find("<svg class=\"spark\"")
        .unwrap_or_else(|| panic!("{article}"))..];
    let spark = &spark[..spark.find("</svg>").unwrap()];
    assert_eq!(spark.matches("<rect").count(), 3, "{spark}");
}

#[test]
fn history_commands_prune_export_import_and_the_manifests_store() {
    let dir = tempfile::tempdir().unwrap();
    job(&dir.path().join("jobs"), "unit", FAILING_LOG, 1);
    // `[history] path` in the repository's augur.toml: no --history needed.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("augur.toml"),
        "extends = \"builtin\"\n\n[history]\npath = \".augur/history.db\"\nwindow_days = 7\n",
    )
    .unwrap();
    for now in [
        "2026-08-01T00:00:00Z",
        "2026-11-19T00:00:00Z",
        "2026-11-20T00:00:00Z",
    ] {
        let out = augur_in(
            dir.path(),
            &["run", "--jobs", "jobs", "--now", now, "--format", "json"],
            b"",
        );
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert_eq!(out.json()["history"]["window_days"], 7);
    }
    assert!(dir.path().join(".augur/history.db").is_file());
    let stats = augur_in(dir.path(), &["history", "stats"], b"");
    assert!(stats.stdout.contains(": 3 runs, "), "{}", stats.stdout);

    let export = augur_in(
        dir.path(),
        &["history", "export", "--output", "all.jsonl"],
        b"",
    );
    assert_eq!(export.status, 0, "{}", export.stderr);
    let pruned = augur_in(
        dir.path(),
        &[
            "history",
            "prune",
            "--older-than",
            "90d",
            "--now",
            "2026-11-21T00:00:00Z",
        ],
        b"",
    );
    assert_eq!(pruned.status, 0, "{}", pruned.stderr);
    assert!(
        pruned.stdout.starts_with("removed 1 run and "),
        "{}",
        pruned.stdout
    );
    let imported = augur_in(
        dir.path(),
        &["history", "import", "all.jsonl", "--history", "copy.db"],
        b"",
    );
    assert_eq!(imported.status, 0, "{}", imported.stderr);
    assert!(
        imported.stdout.starts_with("imported 3 runs into copy.db"),
        "{}",
        imported.stdout
    );

    // --no-history records nothing.
    let out = augur_in(
        dir.path(),
        &["run", "--jobs", "jobs", "--no-history", "--format", "json"],
        b"",
    );
    assert!(out.json()["history"].is_null());
    let stats = augur_in(dir.path(), &["history", "stats"], b"");
    assert!(stats.stdout.contains(": 2 runs, "), "{}", stats.stdout);

    // A store that cannot be used is said before any rule runs, without the
    // password of its URL.
    let bad = augur_in(
        dir.path(),
        &[
            "run",
            "--jobs",
            "jobs",
            "--history",
            "postgres://ci:s3cret@127.0.0.1:1/augur?connect_timeout=2",
        ],
        b"",
    );
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr
            .contains("history postgres://ci@127.0.0.1:1/augur"),
        "{}",
        bad.stderr
    );
    assert!(!bad.stderr.contains("s3cret"), "{}", bad.stderr);
    assert!(bad.stdout.is_empty());
    let nothing = augur_in(dir.path(), &["history", "stats", "--pack", "builtin"], b"");
    assert_eq!(nothing.status, 2);
    assert!(
        nothing.stderr.contains("no history store"),
        "{}",
        nothing.stderr
    );
}

/// Runs the built-in pack over `jobs` (folders: name → (log, repo)) at `now`.
fn run_jobs(dir: &Path, jobs: &[(&str, &str, &str)], now: &str) -> Value {
    let jobs_dir = dir.join("jobs");
    let _ = std::fs::remove_dir_all(&jobs_dir);
    for (name, log, repo) in jobs {
        let folder = jobs_dir.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(crate::util::root().join(log), folder.join("output.log")).unwrap();
        std::fs::write(
            folder.join("meta.json"),
            format!(r#"{{"repo": "{repo}", "job": "{name}", "exit_code": 1}}"#),
        )
        .unwrap();
    }
    run(dir, "h.db", now, &[]).json()
}

/// The systemic findings of a report: (kind, group, severity).
fn systemic(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| s(&f["kind"]).starts_with("systemic/"))
        .map(|f| (s(&f["kind"]), s(&f["data"]["group"]), s(&f["severity"])))
        .collect()
}

#[test]
fn thirty_days_of_runs_give_the_systemic_patterns_their_thresholds_call_for() {
    const OOM: &str = "plugins/failure-class/tests/cases/oom-killer/output.log";
    const RATE_LIMITED: &str = "examples/jobs/agent-rate-limited/output.log";
    let dir = tempfile::tempdir().unwrap();
    // acme/api's `train` job is killed for memory every third day; acme/web's
    // agent is rate-limited on the last two days only.
    let mut at_day = std::collections::BTreeMap::new();
    for day in (3..=30).step_by(3) {
        let mut jobs = vec![("train", OOM, "acme/api")];
        if day >= 29 {
            jobs.push(("agent", RATE_LIMITED, "acme/web"));
        }
        let now = format!("2026-10-{day:02}T10:00:00Z");
        at_day.insert(day, systemic(&run_jobs(dir.path(), &jobs, &now)));
    }
    let day29 = run_jobs(
        dir.path(),
        &[("agent", RATE_LIMITED, "acme/web")],
        "2026-10-29T12:00:00Z",
    );
    assert_eq!(
        systemic(&day29),
        [],
        "acme/web's rate limits: under every threshold"
    );

    let oom = |kind: &str, severity: &str| {
        let group = if kind == "systemic/recurring_failure" {
            "acme/api failure/oom"
        } else {
            "acme/api"
        };
        (kind.to_owned(), group.to_owned(), severity.to_owned())
    };
    let summary = |severity: &str| {
        (
            "systemic/summary".to_owned(),
            String::new(),
            severity.to_owned(),
        )
    };
    // Two failures: under the threshold of 3.
    assert_eq!(at_day[&6], []);
    // Three: both patterns at their threshold, medium.
    assert_eq!(
        at_day[&9],
        [
            oom("systemic/memory_exhaustion", "medium"),
            oom("systemic/recurring_failure", "medium"),
            summary("medium"),
        ]
    );
    // Five: both escalate to high.
    assert_eq!(
        at_day[&15],
        [
            oom("systemic/memory_exhaustion", "high"),
            oom("systemic/recurring_failure", "high"),
            summary("high"),
        ]
    );
    // Ten: recurring_failure's last step, critical; nothing for acme/web.
    assert_eq!(
        at_day[&30],
        [
            oom("systemic/memory_exhaustion", "high"),
            oom("systemic/recurring_failure", "critical"),
            summary("critical"),
        ]
    );
    // The window is 30 days: a run 20 days after the last one counts only
    // the failures of days 21 to 30 (4 of them) and its own: 5.
    let later = run_jobs(
        dir.path(),
        &[("train", OOM, "acme/api")],
        "2026-11-20T09:00:00Z",
    );
    let found = systemic(&later);
    assert_eq!(
        found[1],
        oom("systemic/recurring_failure", "high"),
        "{found:?}"
    );
    let pattern = later["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "systemic/recurring_failure")
        .unwrap();
    assert_eq!(pattern["data"]["count"], 5);
    assert_eq!(pattern["data"]["examples"].as_array().unwrap().len(), 3);
    let summary = later["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "systemic/summary")
        .unwrap();
    assert!(
        s(&summary["actions"][0]).starts_with("[URGENT] "),
        "{summary:#}"
    );
}

#[test]
fn unknown_failures_are_grouped_by_the_template_of_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let odd = std::fs::read_to_string(
        crate::util::root().join("plugins/failure-class/tests/cases/odd-failure/output.log"),
    )
    .unwrap();
    // The same unclassified failure, its numbers and ids changing.
    for (day, (revision, size)) in [("7f3e91a", "41"), ("0c1d2e3", "44"), ("99aa88b", "40")]
        .iter()
        .enumerate()
    {
        let log = odd
            .replace("7f3e91a", revision)
            .replace("41 MB", &format!("{size} MB"));
        job(&dir.path().join("jobs"), "deploy", &log, 1);
        run(
            dir.path(),
            "h.db",
            &format!("2026-11-1{day}T10:00:00Z"),
            &[],
        );
    }
    let out = augur_in(
        dir.path(),
        &[
            "history",
            "unknowns",
            "--history",
            "h.db",
            "--now",
            "2026-11-20T00:00:00Z",
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let found: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(found["findings"], 3);
    assert_eq!(found["groups"], 1, "{found:#}");
    let cluster = &found["clusters"][0];
    assert_eq!(cluster["count"], 3);
    assert_eq!(cluster["repos"], serde_json::json!(["acme/api"]));
    assert_eq!(
        cluster["template"],
        "deploy: remote said: refusing rollout, revision <*> is older than live revision"
    );
    let pattern = regex::Regex::new(&s(&cluster["proposed_pattern"])).unwrap();
    for example in cluster["examples"].as_array().unwrap() {
        assert!(pattern.is_match(&s(&example["line"])), "{cluster:#}");
    }
    let text = augur_in(
        dir.path(),
        &[
            "history",
            "unknowns",
            "--history",
            "h.db",
            "--now",
            "2026-11-20T00:00:00Z",
        ],
        b"",
    );
    assert!(
        text.stdout
            .starts_with("3 `failure/unknown` findings in the last 30 days, in 1 group\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("pattern to start a rule from: (?i)"),
        "{}",
        text.stdout
    );
}
