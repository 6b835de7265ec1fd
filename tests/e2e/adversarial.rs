//! The adversarial suite: one hostile guest per attack (see tests/guests/),
//! each run in a pack next to the built-in rules. Every test asserts the
//! exact error class the attack ends in, and that the well-behaved rules in
//! the same run still report all of their findings.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::Stdio,
    sync::LazyLock,
};

use serde_json::Value;

use crate::util::{
    BUILTIN_RULES, augur, augur_command, augur_measured, finding_keys, guest, root, s, wat_guest,
    write_pack,
};

/// Snapshots for the deriver, one log for the classifiers: every attack is a
/// classifier, so it runs once.
pub(crate) const INPUTS: [&str; 4] = [
    "--snapshots",
    "examples/snapshots",
    "--jobs",
    "examples/jobs/codex-timeout.log",
];

/// What the two built-in rules of [`BUILTIN_RULES`] find on [`INPUTS`] with no
/// hostile rule around.
pub(crate) static BASELINE: LazyLock<Vec<(String, String, String)>> = LazyLock::new(|| {
    let (_dir, path) = pack("");
    let mut args = vec!["run", "--pack", path.to_str().unwrap(), "--format", "json"];
    args.extend(INPUTS);
    let out = augur(&args);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let keys = finding_keys(&out.json());
    assert!(
        keys.len() >= 2,
        "the baseline must have findings of both built-in rules: {keys:?}"
    );
    keys
});

/// A manifest of the two built-in rules and `rules` (TOML), written to a
/// fresh directory.
pub(crate) fn pack(rules: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_pack(dir.path(), &format!("{BUILTIN_RULES}{rules}"));
    (dir, path)
}

/// TOML for one rule from a test guest, with extra lines (config, limits).
pub(crate) fn guest_rule(name: &str, extra: &str) -> String {
    format!("[[rule]]\npath = {:?}\n{extra}\n", guest(name))
}

pub(crate) struct Run {
    pub status: i32,
    pub report: Value,
    pub stderr: String,
}

impl Run {
    pub fn errors_of(&self, rule: &str) -> Vec<&Value> {
        self.report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["rule"] == rule)
            .collect()
    }

    /// The only error of `rule`, asserted to be of `class`.
    pub fn error(&self, rule: &str, class: &str) -> &Value {
        let errors = self.errors_of(rule);
        assert_eq!(
            errors.len(),
            1,
            "{rule}: expected one error, got {errors:#?}\nstderr: {}",
            self.stderr
        );
        assert_eq!(errors[0]["class"], class, "{rule}: {:#}", errors[0]);
        assert!(!s(&errors[0]["hint"]).is_empty());
        errors[0]
    }

    pub fn findings_of(&self, rule: &str) -> Vec<&Value> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .collect()
    }

    pub fn log_of(&self, rule: &str) -> &Value {
        self.report["logs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rule"] == rule)
            .expect("a log")
    }

    pub fn warnings_of(&self, rule: &str) -> Vec<String> {
        self.report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["rule"] == rule)
            .map(|w| s(&w["message"]))
            .collect()
    }

    /// The built-in rules reported exactly what they report alone.
    pub fn assert_builtins_intact(&self) {
        let builtin: Vec<_> = finding_keys(&self.report)
            .into_iter()
            .filter(|(rule, _, _)| rule == "quality-trend" || rule == "api-errors")
            .collect();
        assert_eq!(builtin, *BASELINE, "the well-behaved rules lost findings");
    }
}

pub(crate) fn run_pack(rules: &str, extra_args: &[&str]) -> Run {
    let (_dir, path) = pack(rules);
    run_manifest(&path, extra_args)
}

/// Runs the pack at `path` over [`INPUTS`], reporting JSON without timings.
pub(crate) fn run_manifest(path: &Path, extra_args: &[&str]) -> Run {
    let mut args = vec![
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--no-timings",
    ];
    args.extend(INPUTS);
    args.extend(extra_args);
    let out = augur(&args);
    Run {
        status: out.status,
        report: out.json(),
        stderr: out.stderr,
    }
}

/// Runs the built-ins plus one guest, asserting a clean exit and intact
/// built-in findings.
pub(crate) fn attack(name: &str, extra: &str) -> Run {
    let run = run_pack(&guest_rule(name, extra), &[]);
    assert_eq!(
        run.status, 0,
        "fail-open rule errors exit 0: {}",
        run.stderr
    );
    run.assert_builtins_intact();
    run
}

#[test]
fn a_loop_calling_the_host_pays_fuel_for_every_call() {
    let run = attack("host-flood", "");
    let e = run.error("host-flood", "fuel_exhausted");
    assert!(s(&e["hint"]).contains("fuel"), "{e:#}");
    let log = run.log_of("host-flood");
    assert_eq!(
        s(&log["text"]).len(),
        64 * 1024,
        "the log is cut at log_bytes"
    );
    assert!(log["dropped_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let run = attack("memory-hog", "[rule.limits]\nmemory_mib = 64");
    let e = run.error("memory-hog", "memory_limit");
    assert!(s(&e["message"]).contains("64 MiB"), "{e:#}");
    assert!(s(&e["hint"]).contains("memory_mib"), "{e:#}");
}

#[test]
fn deep_recursion_overflows_the_configured_stack() {
    let small = attack("deep-recursion", "");
    let e = small.error("deep-recursion", "stack_overflow");
    assert!(s(&e["message"]).contains("512 KiB"), "{e:#}");
    assert!(s(&e["hint"]).contains("stack_kib"), "{e:#}");

    let large = attack("deep-recursion", "[rule.limits]\nstack_kib = 4096");
    let e = large.error("deep-recursion", "stack_overflow");
    assert!(s(&e["message"]).contains("4096 KiB"), "{e:#}");
    // Eight times the stack, about eight times as deep before it overflows.
    let fuel = |run: &Run| {
        run.report["stats"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "deep-recursion")
            .unwrap()["fuel_used"]
            .as_u64()
            .unwrap()
    };
    assert!(
        fuel(&large) > 6 * fuel(&small),
        "{} vs {}",
        fuel(&large),
        fuel(&small)
    );
}

#[test]
fn a_million_findings_are_refused_before_the_host_copies_them() {
    let run = attack("finding-flood", "");
    let e = run.error("finding-flood", "invalid_output");
    assert!(
        s(&e["message"]).contains("more than 8388608 bytes"),
        "{e:#}"
    );
    assert!(s(&e["hint"]).contains("output_bytes"), "{e:#}");
    assert!(run.findings_of("finding-flood").is_empty());
}

#[test]
fn findings_past_max_findings_are_cut_with_a_warning() {
    let run = attack("finding-flood", "[rule.config]\ncount = 1500");
    assert!(run.errors_of("finding-flood").is_empty());
    assert_eq!(run.findings_of("finding-flood").len(), 1000);
    let warnings = run.warnings_of("finding-flood");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("returned 1500 findings; the first 1000 were kept (`max_findings`)"),
        "{warnings:?}"
    );

    let run = attack(
        "finding-flood",
        "[rule.config]\ncount = 1500\n[rule.limits]\nmax_findings = 10",
    );
    assert_eq!(run.findings_of("finding-flood").len(), 10);
}

#[test]
fn a_100_mb_string_is_refused() {
    let run = attack("huge-string", "");
    run.error("huge-string", "invalid_output");
    assert!(run.findings_of("huge-string").is_empty());
}

#[test]
fn an_overlong_string_is_cut_with_a_warning() {
    let run = attack("huge-string", "[rule.config]\nmib = 1");
    assert!(run.errors_of("huge-string").is_empty());
    let findings = run.findings_of("huge-string");
    let message = s(&findings[0]["message"]);
    assert!(message.len() < 16 * 1024 + 64, "{}", message.len());
    assert!(
        message.ends_with(&format!("… [cut {} bytes]", (1 << 20) - 16 * 1024)),
        "{}",
        &message[message.len() - 40..]
    );
    let warnings = run.warnings_of("huge-string");
    assert!(warnings[0].contains("`max_string_bytes`"), "{warnings:?}");
}

#[test]
fn printing_gigabytes_costs_fuel_and_keeps_a_bounded_log() {
    let run = attack("stdout-flood", "");
    run.error("stdout-flood", "fuel_exhausted");
    let log = run.log_of("stdout-flood");
    assert_eq!(s(&log["text"]).len(), 64 * 1024);
    assert!(s(&log["text"]).starts_with("[stdout] yyyy"));
    assert!(
        log["dropped_bytes"].as_u64().unwrap() > 1_000_000_000,
        "{log:#}"
    );
}

#[test]
fn a_panic_is_a_trap_with_the_panic_message() {
    let run = attack("panicker", "");
    let e = run.error("panicker", "trap");
    assert_eq!(e["code"], "unreachable_code_reached");
    assert_eq!(
        s(&e["panic"]),
        "the rule gave up on examples/jobs/codex-timeout.log (panicked at tests/guests/panicker/src/lib.rs:22:9)"
    );
    assert!(s(&e["message"]).contains("the rule gave up"), "{e:#}");
}

#[test]
fn unreachable_is_a_trap_with_its_code() {
    let run = attack("unreachable", "");
    let e = run.error("unreachable", "trap");
    assert_eq!(e["code"], "unreachable_code_reached");
    assert_eq!(e.get("panic"), None, "{e:#}");
}

#[test]
fn evidence_past_the_end_of_the_log_is_refused() {
    let run = attack("bad-evidence", "");
    let e = run.error("bad-evidence", "invalid_output");
    assert!(
        s(&e["message"]).contains("evidence points at L10000"),
        "{e:#}"
    );
    assert!(s(&e["message"]).contains("has lines 1 to 7"), "{e:#}");
    assert!(run.findings_of("bad-evidence").is_empty());

    // The same rule pointing at a line that exists is believed.
    let run = attack("bad-evidence", "[rule.config]\nline = 7");
    assert!(run.errors_of("bad-evidence").is_empty());
    assert_eq!(
        run.findings_of("bad-evidence")[0]["evidence"][0]["locator"],
        "L7"
    );
}

/// Files that are not rules, written into `dir`, by name.
fn broken_components(dir: &Path) -> Vec<(&'static str, &'static [&'static str])> {
    // The smallest core module: a module, not a component.
    std::fs::write(dir.join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    // Random bytes from a fixed seed (xorshift), not starting with the magic.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    assert_ne!(&random[..4], b"\0asm");
    std::fs::write(dir.join("random.wasm"), random).unwrap();
    let whole = std::fs::read(guest("looper")).unwrap();
    std::fs::write(dir.join("truncated.wasm"), &whole[..whole.len() / 2]).unwrap();
    std::fs::copy(guest("wrong-world"), dir.join("wrong-world.wasm")).unwrap();
    std::fs::copy(guest("future-contract"), dir.join("future.wasm")).unwrap();
    vec![
        (
            "core.wasm",
            &[
                "a core WebAssembly module, not a component",
                "wasm32-wasip2",
            ],
        ),
        ("random.wasm", &["not a WebAssembly file"]),
        ("truncated.wasm", &["truncated", "fetch or build it again"]),
        (
            "wrong-world.wasm",
            &["a component of another world", "wasi:cli/run", "a command"],
        ),
        (
            "future.wasm",
            &["augur:rules@99.0.0", "augur:rules@0.1.5", "upgrade augur"],
        ),
    ]
}

#[test]
fn files_that_are_not_rules_are_load_errors_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let cases = broken_components(dir.path());
    let rules: String = cases
        .iter()
        .map(|(file, _)| format!("[[rule]]\npath = \"{file}\"\n\n"))
        .collect();
    let path = write_pack(dir.path(), &format!("{BUILTIN_RULES}{rules}"));
    let mut args = vec!["run", "--pack", path.to_str().unwrap(), "--format", "json"];
    args.extend(INPUTS);
    let out = augur(&args);
    // Rules that cannot load: the rest runs, and the run exits 2.
    assert_eq!(out.status, 2, "{}", out.stderr);
    let run = Run {
        status: out.status,
        report: out.json(),
        stderr: out.stderr,
    };
    run.assert_builtins_intact();
    for (file, expected) in cases {
        let errors: Vec<&Value> = run.report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| s(&e["rule"]).ends_with(file))
            .collect();
        assert_eq!(errors.len(), 1, "{file}: {errors:#?}");
        assert_eq!(errors[0]["class"], "load_error", "{file}");
        let text = format!("{} {}", s(&errors[0]["message"]), s(&errors[0]["hint"]));
        for fragment in expected {
            assert!(
                text.contains(fragment),
                "{file}: no {fragment:?} in {text:?}"
            );
        }
    }
}

#[test]
fn a_fail_closed_rule_that_fails_fails_the_run() {
    let open = run_pack(&guest_rule("panicker", ""), &[]);
    assert_eq!(open.status, 0);
    assert_eq!(open.error("panicker", "trap").get("fail_closed"), None);

    let closed = run_pack(&guest_rule("panicker", "on_error = \"fail-closed\""), &[]);
    assert_eq!(closed.status, 3, "{}", closed.stderr);
    assert_eq!(closed.error("panicker", "trap")["fail_closed"], true);
    assert!(
        closed.stderr.contains("a fail-closed rule failed"),
        "{}",
        closed.stderr
    );
    // Still a whole report: the other rules ran and reported.
    closed.assert_builtins_intact();

    let flag = run_pack(&guest_rule("panicker", ""), &["--fail-closed"]);
    assert_eq!(flag.status, 3);

    // A rule that cannot even load fails the run, fail-closed or not: with
    // status 2, a pack that cannot run (2 outranks 3).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let path = write_pack(
        dir.path(),
        "on_error = \"fail-closed\"\n\n[[rule]]\npath = \"core.wasm\"\n",
    );
    let out = augur(&[
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--jobs",
        "examples/jobs",
        "--format",
        "json",
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert_eq!(out.json()["errors"][0]["fail_closed"], true);
}

#[test]
fn limits_that_cannot_work_are_refused_naming_the_field() {
    let (_dir, path) =
        pack("[[rule]]\nbuiltin = \"api-errors\"\nid = \"again\"\n[rule.limits]\nstack_kib = 0\n");
    let out = augur(&[
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--jobs",
        "examples/jobs",
    ]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .contains("rule #3: [rule.limits]: `stack_kib` must be between 1 and 65536"),
        "{}",
        out.stderr
    );
    let (_dir, path) = pack(
        "[[rule]]\nbuiltin = \"api-errors\"\nid = \"again\"\n[rule.limits]\nfuel_per_kib = 1\n",
    );
    let out = augur(&[
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--jobs",
        "examples/jobs",
    ]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("unknown field `fuel_per_kib`"),
        "{}",
        out.stderr
    );
}

/// Every attack in one pack, with the default limits: the run finishes, each
/// hostile rule is reported with its class, the built-in rules lose nothing,
/// and the whole process stays under 512 MB.
#[test]
fn a_pack_of_every_attack_runs_to_the_end_within_512_mb() {
    let dir = tempfile::tempdir().unwrap();
    let broken = broken_components(dir.path());
    let attacks = [
        ("looper", "fuel_exhausted"),
        ("host-flood", "fuel_exhausted"),
        ("memory-hog", "memory_limit"),
        ("deep-recursion", "stack_overflow"),
        ("finding-flood", "invalid_output"),
        ("huge-string", "invalid_output"),
        ("stdout-flood", "fuel_exhausted"),
        ("panicker", "trap"),
        ("unreachable", "trap"),
        ("bad-evidence", "invalid_output"),
        ("sleeper", "fuel_exhausted"),
    ];
    let wat_attacks = [
        ("many-memories", "memory_limit"),
        ("many-tables", "memory_limit"),
        ("fill-loop", "fuel_exhausted"),
    ];
    let mut manifest = String::from(BUILTIN_RULES);
    for (name, _) in attacks {
        manifest.push_str(&guest_rule(name, ""));
    }
    for (name, _) in wat_attacks {
        manifest.push_str(&format!("[[rule]]\npath = {:?}\n\n", wat_guest(name)));
    }
    // Probes and impostors: no error of their own, or refused at load.
    manifest.push_str(&guest_rule("timer-poller", ""));
    manifest.push_str(&guest_rule("hostile-text", ""));
    manifest.push_str(&guest_rule("impostor", ""));
    manifest.push_str(&format!(
        "[[rule]]\npath = {:?}\n\n",
        wat_guest("memory-count")
    ));
    manifest.push_str(&guest_rule("sandbox-probe", ""));
    for (file, _) in &broken {
        manifest.push_str(&format!("[[rule]]\npath = \"{file}\"\n\n"));
    }
    let path = write_pack(dir.path(), &manifest);
    let mut args = vec![
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--no-timings",
    ];
    args.extend(INPUTS);
    let (out, peak_kib) = augur_measured(&args);
    // Some attacks are refused when they load: the run goes on, and exits 2.
    assert_eq!(out.status, 2, "{}", out.stderr);
    let run = Run {
        status: out.status,
        report: out.json(),
        stderr: out.stderr,
    };
    run.assert_builtins_intact();
    for (name, class) in attacks {
        let classes: Vec<String> = run.errors_of(name).iter().map(|e| s(&e["class"])).collect();
        // looper is also a deriver: it runs on the two repositories too.
        let calls = if name == "looper" { 3 } else { 1 };
        assert_eq!(classes, vec![class; calls], "{name}");
    }
    for (name, class) in wat_attacks {
        let classes: Vec<String> = run.errors_of(name).iter().map(|e| s(&e["class"])).collect();
        assert_eq!(classes, vec![class], "{name}");
    }
    assert!(run.errors_of("sandbox-probe").is_empty());
    assert!(run.errors_of("timer-poller").is_empty());
    assert!(run.errors_of("hostile-text").is_empty());
    let load_errors = run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["class"] == "load_error")
        .count();
    // The broken files, the impostor, and the rule with too many memories.
    assert_eq!(load_errors, broken.len() + 2);
    assert_eq!(run.status, 2, "rules that cannot load make the status 2");
    assert!(peak_kib < 512 * 1024, "peak memory {peak_kib} KiB");
}

/// Starts a run that loops for a minute per call, and returns once the looper
/// is running (its debug log line has been read).
fn start_long_run(
    extra_args: &[&str],
) -> (
    std::process::Child,
    std::thread::JoinHandle<String>,
    tempfile::TempDir,
) {
    start_long_call(
        "looper",
        "[rule.limits]\nfuel = 18_000_000_000_000_000_000\nwall_time_ms = 60_000",
        extra_args,
    )
}

/// Starts a run of api-errors and the guest `name` (with `extra` TOML for its
/// entry) over the example jobs, and returns once the guest's first call has
/// started (its debug log line has been read).
pub(crate) fn start_long_call(
    name: &str,
    extra: &str,
    extra_args: &[&str],
) -> (
    std::process::Child,
    std::thread::JoinHandle<String>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "[[rule]]\nbuiltin = \"api-errors\"\n\n{}",
        guest_rule(name, extra)
    );
    let path = write_pack(dir.path(), &manifest);
    let mut child = augur_command()
        .args([
            "run",
            "--pack",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--jobs",
            "examples/jobs",
        ])
        .args(extra_args)
        .current_dir(root())
        .env("AUGUR_LOG", "augur=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "augur ended before {name} ran"
        );
        if line.contains("calling the rule") && line.contains(&format!("rule={name}")) {
            break;
        }
    }
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    (child, rest, dir)
}

pub(crate) fn signal(child: &std::process::Child, signal: libc::c_int) {
    // SAFETY: sending a signal to a child we spawned and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn ctrl_c_stops_the_rules_and_reports_what_was_done() {
    let (child, stderr, _dir) = start_long_run(&[]);
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = stderr.join().unwrap();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("augur: interrupted after"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let interrupted = &report["interrupted"];
    assert_eq!(interrupted["stopped_rule"], "looper");
    assert_eq!(interrupted["planned_calls"], 8);
    assert!(
        interrupted["completed_calls"].as_u64().unwrap() < 8,
        "{interrupted:#}"
    );
    // Each job is read once by both rules, window by window: api-errors had
    // read the windows the looper was given when the run stopped, and its
    // calls are in the partial report.
    assert!(crate::util::calls(&report, "api-errors") > 0, "{report:#}");
}

#[test]
fn an_interrupted_or_killed_run_leaves_the_previous_output_whole() {
    for sig in [libc::SIGINT, libc::SIGKILL] {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("report.json");
        std::fs::write(&output, "{\"previous\": true}\n").unwrap();
        let (child, stderr, _pack) = start_long_run(&["--output", output.to_str().unwrap()]);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        let stderr = stderr.join().unwrap();
        if sig == libc::SIGINT {
            assert_eq!(out.status.code(), Some(130), "{stderr}");
            assert!(stderr.contains("was left as it was"), "{stderr}");
        }
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "{\"previous\": true}\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}

#[test]
fn fuel_and_deadline_grow_with_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let line = "a line of an ordinary build log, nothing wrong in it\n";
    let small = dir.path().join("small.log");
    let large = dir.path().join("large.log");
    std::fs::write(&small, line).unwrap();
    // 3.5 MiB: three started MiB past the first.
    std::fs::write(
        &large,
        line.repeat((3 * 1024 * 1024 + 512 * 1024) / line.len()),
    )
    .unwrap();
    let path = write_pack(
        dir.path(),
        &guest_rule(
            "looper",
            "[rule.limits]\nfuel = 50_000_000\nfuel_per_mib = 10_000_000",
        ),
    );
    let out = augur(&[
        "run",
        "--pack",
        path.to_str().unwrap(),
        "--jobs",
        small.to_str().unwrap(),
        "--jobs",
        large.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report = out.json();
    let messages: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", s(&e["input"]), s(&e["message"])))
        .collect();
    assert_eq!(
        messages,
        [
            format!(
                "{} rule `looper` used all of its 80000000 units of fuel",
                large.display()
            ),
            format!(
                "{} rule `looper` used all of its 50000000 units of fuel",
                small.display()
            ),
        ]
    );
}
