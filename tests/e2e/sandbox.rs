//! The sandbox holds: hostile guests end as error entries, the other rules'
//! findings are still reported, and a guest that reaches for the machine gets
//! nothing.

use std::path::Path;

use serde_json::Value;

use crate::util::{BUILTIN_RULES, augur, finding_keys, guest, s, write_pack};

/// A pack of the two built-in rules plus `extra` (TOML for more rules).
fn pack_with(dir: &Path, extra: &str) -> String {
    write_pack(dir, &format!("{BUILTIN_RULES}{extra}"))
        .to_string_lossy()
        .into_owned()
}

/// Runs `pack` over the examples; the run must exit with `status`.
fn run_examples(pack: &str, status: i32) -> Value {
    let out = augur(&[
        "run",
        "--pack",
        pack,
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, status, "{}", out.stderr);
    out.json()
}

/// The findings the built-in rules give on the examples, with no hostile rule.
fn builtin_findings() -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let pack = pack_with(dir.path(), "");
    let out = augur(&[
        "run",
        "--pack",
        &pack,
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs",
        "--format",
        "json",
    ]);
    finding_keys(&out.json())
}

fn error_classes(report: &Value, rule: &str) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] == rule)
        .map(|e| s(&e["class"]))
        .collect()
}

#[test]
fn an_endless_loop_runs_out_of_fuel_and_the_others_still_report() {
    let dir = tempfile::tempdir().unwrap();
    let looper = guest("looper");
    let pack = pack_with(
        dir.path(),
        &format!(
            "[[rule]]\npath = {:?}\n[rule.limits]\nfuel = 50_000_000\n",
            looper
        ),
    );
    let report = run_examples(&pack, 0);
    // A deriver and a classifier: one call per repository and per job.
    assert_eq!(
        error_classes(&report, "looper"),
        vec!["fuel_exhausted"; 2 + 4]
    );
    assert_eq!(finding_keys(&report), builtin_findings());
    let error = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"] == "looper")
        .unwrap();
    assert!(s(&error["hint"]).contains("fuel"), "{error:#}");
    let stats = report["stats"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "looper")
        .unwrap();
    assert_eq!(stats["errors"], 6);
    assert_eq!(stats["fuel_used"], 6 * 50_000_000u64);
}

#[test]
fn an_endless_loop_with_fuel_to_spare_hits_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let looper = guest("looper");
    let pack = pack_with(
        dir.path(),
        &format!(
            "[[rule]]\npath = {:?}\n[rule.limits]\nfuel = 18_000_000_000_000_000_000\nwall_time_ms = 100\n",
            looper
        ),
    );
    let report = run_examples(&pack, 0);
    assert_eq!(
        error_classes(&report, "looper"),
        vec!["deadline_exceeded"; 6]
    );
    assert_eq!(finding_keys(&report), builtin_findings());
}

#[test]
fn a_guest_reaching_outside_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pack = write_pack(
        dir.path(),
        &format!("[[rule]]\npath = {:?}\n", guest("sandbox-probe")),
    );
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--jobs",
        "examples/jobs/codex-timeout.log",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    let data = &report["findings"][0]["data"];
    assert_eq!(
        data["passwd_bytes"],
        Value::Null,
        "read /etc/passwd: {data:#}"
    );
    assert!(data["passwd_error"].is_string());
    assert_eq!(data["root_entries"], Value::Null, "listed /: {data:#}");
    assert_eq!(
        data["input_file_bytes"],
        Value::Null,
        "read the input file by path: {data:#}"
    );
    assert_eq!(data["home"], Value::Null);
    assert_eq!(data["env_vars"], serde_json::json!([]));
    assert_eq!(data["args"], serde_json::json!([]));
    assert_eq!(data["socket_connected"], false);
    // What it printed and logged is kept, tagged by stream.
    let log = s(&report["logs"][0]["text"]);
    assert!(
        log.contains("[stdout] probe ran on examples/jobs/codex-timeout.log"),
        "{log}"
    );
    assert!(log.contains("[info] probe finished"), "{log}");
}

#[test]
fn components_that_cannot_load_are_load_errors_and_the_rest_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("text.wasm"), "this is not wasm").unwrap();
    // The smallest core module: a component is required.
    std::fs::write(dir.path().join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let extra = format!(
        "[[rule]]\npath = \"text.wasm\"\n\n[[rule]]\npath = \"core.wasm\"\n\n\
         [[rule]]\npath = {:?}\nsha256 = \"{}\"\n\n[[rule]]\npath = \"missing.wasm\"\n\n[[rule]]\nbuiltin = \"nope\"\n",
        guest("sandbox-probe"),
        "0".repeat(64)
    );
    // A pack with rules that cannot load runs the rest, and exits 2.
    let report = run_examples(&pack_with(dir.path(), &extra), 2);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", s(&e["class"]), s(&e["message"])))
        .collect();
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors.iter().all(|e| e.starts_with("load_error ")),
        "{errors:#?}"
    );
    let all = errors.join("\n");
    for expected in [
        "not a WebAssembly file",
        "a core WebAssembly module, not a component",
        "but the manifest requires 0000",
        "missing.wasm: cannot read the component",
        "no built-in rule named `nope`",
    ] {
        assert!(all.contains(expected), "no error says {expected:?}:\n{all}");
    }
    assert_eq!(finding_keys(&report), builtin_findings());
}

#[test]
fn a_rule_config_that_does_not_fit_the_rules_schema_is_found_once_when_the_pack_loads() {
    let dir = tempfile::tempdir().unwrap();
    let pack = write_pack(
        dir.path(),
        "[[rule]]\nbuiltin = \"quality-trend\"\n[rule.config]\nthreshold = 5\n",
    );
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--snapshots",
        "examples/snapshots",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    let report = out.json();
    let errors = report["errors"].as_array().unwrap();
    // Once for the pack, not once per repository.
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["class"], "load_error");
    assert!(
        s(&errors[0]["message"]).contains("augur.toml:1:")
            && s(&errors[0]["message"]).contains("'threshold' was unexpected"),
        "{:#}",
        errors[0]
    );
    assert!(
        s(&errors[0]["hint"]).contains("threshold_percent"),
        "the hint names the fields there are: {:#}",
        errors[0]
    );
}

/// A rule built against the first contract release keeps loading and running
/// in hosts that extended the contract since.
#[test]
fn a_rule_built_against_contract_0_1_0_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let pack = write_pack(
        dir.path(),
        &format!("[[rule]]\npath = {:?}\n", guest("contract-0-1-0")),
    );
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--snapshots",
        "examples/snapshots",
        "--jobs",
        "examples/jobs/codex-timeout.log",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(report["errors"], serde_json::json!([]));
    let inputs: Vec<String> = finding_keys(&report).into_iter().map(|k| k.2).collect();
    assert_eq!(
        inputs,
        ["acme/api", "acme/web", "examples/jobs/codex-timeout.log"]
    );
    // Its host import (`log@0.1.0`) is served by the current host.
    assert_eq!(report["logs"].as_array().unwrap().len(), 3);
}
