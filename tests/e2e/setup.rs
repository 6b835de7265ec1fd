//! A rule's `setup` (contract 0.1.3): run once when the component is first
//! prepared, its state kept for every call; bounded like any call.

use crate::{
    adversarial::{guest_rule, run_pack},
    util::{augur, s, write_pack},
};

#[test]
fn setup_runs_once_and_every_call_starts_from_what_it_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pack(dir.path(), &guest_rule("setup-probe", ""));
    // More calls than the threads: instances' slots are reused.
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for i in 0..12 {
        std::fs::write(logs.join(format!("job-{i}.log")), format!("job {i}\n")).unwrap();
    }
    let out = augur(&[
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--jobs",
        logs.to_str().unwrap(),
        "--format",
        "json",
        "--threads",
        "2",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    // Its state (a 12 MB table) was kept, not given up for a setup per call.
    assert!(
        !out.stderr.contains("cannot be kept") && !out.stderr.contains("panicked"),
        "{}",
        out.stderr
    );
    let report = out.json();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 12, "{report:#}");
    for f in findings {
        // Setup ran before the snapshot, not in this call; the call is the
        // first of its instance (a fresh one per call, whatever slot it
        // reuses); the table is there; memory it grows is all zero.
        assert_eq!(f["data"]["setups"], 1, "{f:#}");
        assert_eq!(f["data"]["calls_in_this_instance"], 1, "{f:#}");
        assert_eq!(f["data"]["stale_bytes"], 0, "{f:#}");
        assert_eq!(f["data"]["table_last"], 1_499_999u64 * 1_499_999, "{f:#}");
    }
}

#[test]
fn a_setup_that_never_ends_is_the_rules_load_error_and_the_rest_runs() {
    let run = run_pack(
        &guest_rule(
            "setup-looper",
            "id = \"setup-looper\"\n[rule.limits]\nfuel = 50_000_000",
        ),
        &[],
    );
    // The rest of the pack runs; a rule that cannot load makes the status 2.
    assert_eq!(run.status, 2, "{}", run.stderr);
    let error = run.error("setup-looper", "load_error");
    let message = s(&error["message"]);
    assert!(message.contains("its setup failed"), "{message}");
    assert!(message.contains("fuel"), "{message}");
    assert!(s(&error["hint"]).contains("setup runs once"), "{error:#}");
    run.assert_builtins_intact();
}
