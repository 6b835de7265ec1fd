//! The history's behaviour, one set of tests run against both backends: a
//! SQLite file, and a real PostgreSQL server started for the tests.

use super::{
    record::{InputKind, JobOutcome},
    test_cluster::PgCluster,
    *,
};
use crate::report::EvidenceOut;

const DAY: i64 = 86_400;
/// 2026-11-01T00:00:00Z
const T0: i64 = 1_793_491_200;

/// Opens a new, empty store of one backend.
type Opener<'a> = &'a dyn Fn() -> String;

fn open(spec: &str) -> History {
    History::open(spec, Settings::default()).expect("the store opens")
}

fn job(name: &str, stage: &str, exit_code: i64) -> InputRecord {
    InputRecord {
        name: name.into(),
        kind: InputKind::Job,
        repo: Some("acme/api".into()),
        job: None,
        stage: Some(stage.into()),
        task_kind: None,
        exit_code: Some(exit_code),
        outcome: Some(if exit_code == 0 {
            JobOutcome::Passed
        } else {
            JobOutcome::Failed
        }),
        last_snapshot_at: None,
    }
}

fn finding(
    kind: &str,
    fingerprint: &str,
    input: &str,
    line: &str,
    actions: &[&str],
) -> FindingRecord {
    FindingRecord {
        rule: "failure-class".into(),
        kind: kind.into(),
        severity: "high".into(),
        fingerprint: fingerprint.into(),
        input: input.into(),
        repo: Some("acme/api".into()),
        title: format!("{kind} in {input}"),
        evidence: vec![EvidenceOut {
            source: input.into(),
            locator: "L12".into(),
            excerpt: line.into(),
        }],
        causal: Some(mask(line)),
        actions: actions.iter().map(|a| ActionRecord::new(a)).collect(),
    }
}

fn run(id: &str, at: i64, inputs: Vec<InputRecord>, findings: Vec<FindingRecord>) -> RunRecord {
    RunRecord {
        id: id.into(),
        at,
        pack: "builtin".into(),
        pack_digest: "0".repeat(64),
        augur_version: "0.1.0".into(),
        inputs,
        findings,
    }
}

/// A failed `test` job of acme/api with one failure finding.
fn failed_run(id: &str, at: i64, fingerprint: &str, actions: &[&str]) -> RunRecord {
    run(
        id,
        at,
        vec![job("ci/test.log", "test", 1)],
        vec![finding(
            "failure/flaky_test",
            fingerprint,
            "ci/test.log",
            "FAILED tests/test_api.py::test_limit - assert 429 == 200",
            actions,
        )],
    )
}

fn passed_run(id: &str, at: i64) -> RunRecord {
    run(id, at, vec![job("ci/test.log", "test", 0)], Vec::new())
}

fn seen_counts_the_window_with_this_run(new_store: Opener) {
    let mut h = open(&new_store());
    h.record(&failed_run("old", T0 - 40 * DAY, "fp1", &[]))
        .unwrap();
    h.record(&failed_run("r1", T0, "fp1", &[])).unwrap();
    h.record(&failed_run("r2", T0 + DAY, "fp1", &[])).unwrap();
    h.record(&failed_run("r2b", T0 + DAY + 3600, "fp1", &[]))
        .unwrap();
    let recall = h
        .record(&failed_run("r3", T0 + 2 * DAY, "fp1", &[]))
        .unwrap();
    let seen = &recall.findings[0];
    assert_eq!(seen.seen, 4, "the run 40 days before is outside the window");
    let days: Vec<(&str, u64)> = seen
        .by_day
        .iter()
        .map(|d| (d.day.as_str(), d.runs))
        .collect();
    assert_eq!(
        days,
        [("2026-11-01", 1), ("2026-11-02", 2), ("2026-11-03", 1)],
        "the runs of each day, oldest first"
    );
    assert_eq!(seen.first_seen, "2026-11-01T00:00:00Z");
    assert_eq!(seen.last_seen, "2026-11-03T00:00:00Z");
    assert_eq!(seen.window_days, 30);
    // Another fingerprint is another finding.
    let other = h
        .record(&failed_run("r4", T0 + 3 * DAY, "fp2", &[]))
        .unwrap();
    assert_eq!(other.findings[0].seen, 1);
}

fn a_passing_job_marks_its_last_failures_suggestions_fixed(new_store: Opener) {
    let mut h = open(&new_store());
    let first = h
        .record(&failed_run(
            "f1",
            T0,
            "fp1",
            &["Retry the job", "Pin the clock"],
        ))
        .unwrap();
    assert_eq!(first.resolved, 0);
    assert!(
        first.findings[0]
            .actions
            .iter()
            .all(|a| a.source == "rule" && a.effectiveness.is_none()),
        "nothing known yet: {:?}",
        first.findings[0].actions
    );
    let pass = h.record(&passed_run("p1", T0 + 3600)).unwrap();
    assert_eq!(
        pass.resolved, 2,
        "both suggestions of the failure are fixed"
    );
    // A second pass resolves nothing more: the job's last record passed.
    assert_eq!(h.record(&passed_run("p2", T0 + 7200)).unwrap().resolved, 0);

    let next = h
        .record(&failed_run(
            "f2",
            T0 + DAY,
            "fp9",
            &["Quarantine the test", "Pin the clock"],
        ))
        .unwrap();
    let actions = &next.findings[0].actions;
    let shown: Vec<(&str, &str, Option<u64>)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.source, a.effectiveness))
        .collect();
    assert_eq!(
        shown,
        [
            ("Pin the clock", "history", Some(100)),
            ("Retry the job", "history", Some(100)),
            ("Quarantine the test", "rule", None),
        ]
    );
    // By hand: the first action suggested for f2 did not fix it, the second
    // did. Each was suggested twice: "Retry the job" fixed both times,
    // "Pin the clock" once.
    assert_eq!(
        h.feedback("fp9", 1, Outcome::NotFixed, T0 + DAY + 60)
            .unwrap(),
        "Pin the clock"
    );
    assert_eq!(
        h.feedback("fp9", 2, Outcome::Fixed, T0 + DAY + 60).unwrap(),
        "Retry the job"
    );
    let later = h
        .record(&failed_run("f3", T0 + 2 * DAY, "fp8", &[]))
        .unwrap();
    let ranked: Vec<(&str, Option<u64>)> = later.findings[0]
        .actions
        .iter()
        .map(|a| (a.action.as_str(), a.effectiveness))
        .collect();
    assert_eq!(
        ranked,
        [("Retry the job", Some(100)), ("Pin the clock", Some(50))]
    );
}

fn feedback_names_what_it_cannot_find(new_store: Opener) {
    let mut h = open(&new_store());
    h.record(&failed_run("f1", T0, "fp1", &["Retry the job"]))
        .unwrap();
    let unknown = h.feedback("nope", 1, Outcome::Fixed, T0).unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("no finding with fingerprint `nope`"),
        "{unknown}"
    );
    let out_of_range = h.feedback("fp1", 2, Outcome::Fixed, T0).unwrap_err();
    assert!(
        out_of_range.to_string().contains("1. Retry the job"),
        "{out_of_range}"
    );
    assert_eq!(
        h.feedback("fp1", 1, Outcome::Fixed, T0).unwrap(),
        "Retry the job"
    );
}

fn similar_failures_same_fingerprint_first_then_the_same_line(new_store: Opener) {
    let mut h = open(&new_store());
    h.record(&failed_run("a", T0, "fp-same", &["Retry the job"]))
        .unwrap();
    h.record(&passed_run("a-pass", T0 + 60)).unwrap();
    // The same causal line (numbers differ) in another job of the repository.
    let mut other = failed_run("b", T0 + 120, "fp-other", &[]);
    other.findings[0].evidence[0].excerpt =
        "FAILED tests/test_api.py::test_limit - assert 503 == 200".into();
    other.findings[0].causal = Some(mask(&other.findings[0].evidence[0].excerpt));
    h.record(&other).unwrap();
    // The same line in another repository.
    let mut elsewhere = failed_run("c", T0 + 180, "fp-elsewhere", &[]);
    elsewhere.findings[0].repo = Some("acme/web".into());
    elsewhere.inputs[0].repo = Some("acme/web".into());
    h.record(&elsewhere).unwrap();

    let now = h
        .record(&failed_run("d", T0 + 240, "fp-same", &[]))
        .unwrap();
    let similar: Vec<(&str, &str, &[String])> = now.findings[0]
        .similar
        .iter()
        .map(|s| (s.matched, s.fingerprint.as_str(), s.fixed_by.as_slice()))
        .collect();
    assert_eq!(
        similar,
        [
            ("fingerprint", "fp-same", &["Retry the job".to_owned()][..]),
            ("causal_line", "fp-other", &[][..]),
            ("causal_line_elsewhere", "fp-elsewhere", &[][..]),
        ]
    );
}

fn pruning_removes_old_runs_whole(new_store: Opener) {
    let mut h = open(&new_store());
    h.record(&failed_run(
        "old",
        T0 - 100 * DAY,
        "fp1",
        &["Retry the job"],
    ))
    .unwrap();
    h.record(&failed_run("new", T0, "fp1", &["Retry the job"]))
        .unwrap();
    let pruned = h.prune(T0 - 90 * DAY).unwrap();
    assert_eq!(
        pruned,
        Pruned {
            runs: 1,
            findings: 1
        }
    );
    assert_eq!(h.counts().unwrap(), (1, 1));
    let mut out = Vec::new();
    h.export(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
}

fn export_and_import_carry_everything(new_store: Opener) {
    let mut a = open(&new_store());
    a.record(&failed_run(
        "f1",
        T0,
        "fp1",
        &["Retry the job", "Pin the clock"],
    ))
    .unwrap();
    a.record(&passed_run("p1", T0 + 60)).unwrap();
    let mut series = run("s1", T0 + 120, Vec::new(), Vec::new());
    series.inputs.push(InputRecord {
        name: "acme/api".into(),
        kind: InputKind::Series,
        repo: Some("acme/api".into()),
        job: None,
        stage: None,
        task_kind: None,
        exit_code: None,
        outcome: None,
        last_snapshot_at: Some(T0 + 100),
    });
    a.record(&series).unwrap();
    let mut exported = Vec::new();
    assert_eq!(a.export(&mut exported).unwrap(), 3);
    let text = String::from_utf8(exported.clone()).unwrap();
    assert!(text.contains(r#""outcome":"fixed""#), "{text}");

    // Into the same backend, and into SQLite (moving a history between
    // backends is an export and an import).
    let local = tempfile::tempdir().unwrap();
    let sqlite = local.path().join("imported.db").display().to_string();
    for target in [new_store(), sqlite] {
        let mut b = open(&target);
        let done = b.import(&mut exported.as_slice(), "export.jsonl").unwrap();
        assert_eq!(
            done,
            transfer::Imported {
                runs: 3,
                skipped: 0
            }
        );
        let again = b.import(&mut exported.as_slice(), "export.jsonl").unwrap();
        assert_eq!(
            again,
            transfer::Imported {
                runs: 0,
                skipped: 3
            }
        );
        let mut round = Vec::new();
        b.export(&mut round).unwrap();
        assert_eq!(String::from_utf8(round).unwrap(), text);
    }
    let mut c = open(&new_store());
    let bad = c
        .import(&mut &b"{\"version\":1,\"run\":{}}\n"[..], "bad.jsonl")
        .unwrap_err();
    assert!(bad.to_string().starts_with("bad.jsonl:1: "), "{bad}");
    assert_eq!(c.counts().unwrap(), (0, 0), "a bad line imports nothing");
}

fn migrations_run_from_every_earlier_version(new_store: Opener) {
    for from in 0..=schema::latest() {
        let spec = new_store();
        let mut old = History::open_at(&spec, Settings::default(), from).unwrap();
        assert_eq!(old.schema_version().unwrap(), from);
        drop(old);
        let mut h = open(&spec);
        assert_eq!(h.schema_version().unwrap(), schema::latest());
        h.record(&failed_run("r", T0, "fp", &["Retry"])).unwrap();
    }
    // A store from a newer augur is refused, not written to.
    let spec = new_store();
    let mut h = open(&spec);
    h.db.execute(
        "UPDATE augur_schema SET version = ?",
        &[(schema::latest() + 1).into()],
    )
    .unwrap();
    drop(h);
    let newer = History::open(&spec, Settings::default()).err().unwrap();
    assert!(
        newer.to_string().contains("newer than this augur's"),
        "{newer}"
    );
}

fn concurrent_writers_lose_nothing(new_store: Opener) {
    let spec = new_store();
    open(&spec); // created once, so that the writers race on runs, not on the schema
    std::thread::scope(|s| {
        for w in 0..8 {
            let spec = spec.clone();
            s.spawn(move || {
                let mut h = open(&spec);
                for r in 0..10 {
                    let fp = format!("fp{}", r % 3);
                    h.record(&failed_run(&format!("w{w}-r{r}"), T0 + r, &fp, &["Retry"]))
                        .unwrap();
                }
            });
        }
    });
    let mut h = open(&spec);
    assert_eq!(h.counts().unwrap(), (80, 80));
}

/// A behaviour, named, given a maker of new stores of one backend.
type Behaviour = (&'static str, fn(Opener));

/// Every behaviour, in order, each on a new store of one backend.
const BEHAVIOURS: &[Behaviour] = &[
    ("seen", seen_counts_the_window_with_this_run),
    (
        "feedback loop",
        a_passing_job_marks_its_last_failures_suggestions_fixed,
    ),
    ("feedback errors", feedback_names_what_it_cannot_find),
    (
        "similar",
        similar_failures_same_fingerprint_first_then_the_same_line,
    ),
    ("prune", pruning_removes_old_runs_whole),
    ("export and import", export_and_import_carry_everything),
    ("migrations", migrations_run_from_every_earlier_version),
    ("concurrent writers", concurrent_writers_lose_nothing),
];

#[test]
fn behaviour_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::sync::atomic::AtomicU32::new(0);
    let new_store = || {
        let n = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        dir.path()
            .join(format!("history-{n}.db"))
            .display()
            .to_string()
    };
    for (name, behaviour) in BEHAVIOURS {
        eprintln!("sqlite: {name}");
        behaviour(&new_store);
    }
}

#[test]
fn behaviour_on_postgres() {
    let cluster = PgCluster::start();
    for (name, behaviour) in BEHAVIOURS {
        eprintln!("postgres: {name}");
        behaviour(&|| cluster.new_database());
    }
}

#[test]
fn a_postgres_url_is_shown_without_its_password() {
    assert_eq!(
        label("postgres://ci:s3cret@db.example:5433/augur?sslmode=disable"),
        "postgres://ci@db.example:5433/augur"
    );
    assert_eq!(label("history.db"), "history.db");
}
