//! The sandbox's escapes, closed: each attack found from outside has a
//! hostile guest (tests/guests/, tests/guests/wat/) or a hostile input, and a
//! test asserting the exact error class it ends in and that the built-in
//! rules' findings are unchanged.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    adversarial::{attack, guest_rule, run_manifest, run_pack, signal, start_long_call},
    util::{
        augur, augur_command, augur_in, calls, guest, root, rule_stats, s, wat_guest, write_pack,
    },
};

/// The escape sequences, controls and bidi override the hostile rules use.
const RAW: [char; 5] = ['\x1b', '\r', '\u{202e}', '\u{9b}', '\x07'];

fn wat_rule(name: &str, extra: &str) -> String {
    format!("[[rule]]\npath = {:?}\n{extra}\n", wat_guest(name))
}

/// The wall time of `rule` in a report made with timings, in ms.
fn wall_ms(report: &Value, rule: &str) -> f64 {
    rule_stats(report, rule)["wall_time_ms"]
        .as_f64()
        .expect("rule stats with a wall time")
}

#[test]
fn a_rule_that_sleeps_forever_pays_fuel_and_never_blocks_the_host() {
    // Default limits: each sleep is a host call, paid in fuel.
    let run = attack("sleeper", "");
    run.error("sleeper", "fuel_exhausted");

    // Unlimited fuel: the deadline stops it, on time (no real timer holds
    // the host past it).
    let (dir, pack) = crate::adversarial::pack(&guest_rule(
        "sleeper",
        "[rule.limits]\nfuel = 18_000_000_000_000_000_000\nwall_time_ms = 2000",
    ));
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--format",
        "json",
        "--jobs",
        "examples/jobs/codex-timeout.log",
    ]);
    drop(dir);
    let report = out.json();
    let errors: Vec<&Value> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"] == "sleeper")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["class"], "deadline_exceeded");
    // 2000 ms plus one 10 ms epoch tick; the margin is for a loaded machine,
    // far below the hour a real timer would hold it.
    let wall = wall_ms(&report, "sleeper");
    assert!(wall < 3000.0, "stopped after {wall} ms");
}

#[test]
fn listing_a_rule_that_sleeps_in_info_returns_at_once() {
    let (_dir, pack) = crate::adversarial::pack(&guest_rule("sleeper", ""));
    let out = augur(&["rules", "--pack", pack.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.contains("sleeper 0.0.1"), "{}", out.stdout);
}

#[test]
fn ctrl_c_during_a_sleep_ends_the_run_with_a_partial_report() {
    let (child, stderr, _dir) = start_long_call(
        "sleeper",
        "[rule.limits]\nfuel = 18_000_000_000_000_000_000\nwall_time_ms = 600_000",
        &[],
    );
    let sent = Instant::now();
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = stderr.join().unwrap();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["interrupted"]["stopped_rule"], "sleeper");
    // The rule read with it had begun: its calls are in the partial report.
    assert!(calls(&report, "api-errors") > 0, "{report:#}");
    // Within an epoch tick on an idle machine; generous here for a loaded one.
    assert!(
        took < Duration::from_secs(2),
        "exited {took:?} after Ctrl-C"
    );
}

#[test]
fn timers_are_those_of_the_frozen_clock_so_runs_repeat_exactly() {
    let (_dir, pack) = crate::adversarial::pack(&guest_rule("timer-poller", ""));
    let args = [
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--format",
        "json",
        "--no-timings",
        "--now",
        "2026-11-20T14:00:00Z",
        "--jobs",
        "examples/jobs/codex-timeout.log",
    ];
    let first = augur(&args);
    let second = augur(&args);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert_eq!(first.stdout, second.stdout, "two runs differ");
    let report = first.json();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "timer-poller")
        .expect("the probe's finding");
    assert_eq!(finding["data"]["not_ready"], 0, "{finding:#}");
    assert_eq!(
        finding["data"]["monotonic_before"],
        finding["data"]["monotonic_after"]
    );
}

#[test]
fn memory_is_capped_for_the_whole_instance_not_per_memory() {
    let run = attack_wat("many-memories");
    let e = run.error("many-memories", "memory_limit");
    assert!(s(&e["message"]).contains("256 MiB"), "{e:#}");
}

#[test]
fn tables_are_capped_for_the_whole_instance() {
    let run = attack_wat("many-tables");
    let e = run.error("many-tables", "memory_limit");
    assert!(s(&e["message"]).contains("tables"), "{e:#}");
    assert!(s(&e["hint"]).contains("table_elements"), "{e:#}");
}

#[test]
fn raised_table_limits_hold_beyond_the_instance_pool() {
    // The same component twice: under the default limits first (it may
    // share nothing with the second), then with `table_elements` raised
    // past what a pooled slot holds.
    let rules = wat_rule("big-table", "id = \"big-table-default\"")
        + &wat_rule(
            "big-table",
            "id = \"big-table-raised\"\n[rule.limits]\ntable_elements = 2_000_000",
        );
    let run = run_pack(&rules, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let e = run.error("big-table-default", "memory_limit");
    assert!(s(&e["hint"]).contains("table_elements"), "{e:#}");
    assert!(
        run.errors_of("big-table-raised").is_empty(),
        "{:#?}",
        run.errors_of("big-table-raised")
    );
    run.assert_builtins_intact();
}

#[test]
fn the_number_of_memories_is_capped() {
    // Too many memories and no instance can be made, not even to ask the
    // rule for its info: it is refused as it loads.
    let run = attack_wat("memory-count");
    let errors: Vec<&Value> = run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| s(&e["rule"]).ends_with("memory-count.wasm"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["class"], "load_error");
    assert!(
        s(&errors[0]["message"]).contains("more than 8 memories"),
        "{:#}",
        errors[0]
    );
    assert!(
        s(&errors[0]["hint"]).contains("max_memories"),
        "{:#}",
        errors[0]
    );
}

#[test]
fn bulk_fills_pay_fuel_by_the_byte() {
    let run = attack_wat("fill-loop");
    // Fuel, not the deadline: a fill of 64 MiB is not one instruction's worth.
    run.error("fill-loop", "fuel_exhausted");
}

fn attack_wat(name: &str) -> crate::adversarial::Run {
    let run = run_pack(&wat_rule(name, ""), &[]);
    // An attack refused as the pack loads makes a pack that cannot run
    // (exit 2); one stopped while it runs leaves the status at 0.
    let refused = run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["class"] == "load_error");
    assert_eq!(run.status, if refused { 2 } else { 0 }, "{}", run.stderr);
    run.assert_builtins_intact();
    run
}

#[test]
fn a_component_never_takes_the_id_of_a_built_in_whatever_the_order() {
    // The built-ins of the baseline pack come first; put the impostor first too.
    for before in [true, false] {
        let impostor = guest_rule("impostor", "");
        let (_dir, path) = if before {
            let dir = tempfile::tempdir().unwrap();
            let manifest = format!("{impostor}{}", crate::util::BUILTIN_RULES);
            let path = write_pack(dir.path(), &manifest);
            (dir, path)
        } else {
            crate::adversarial::pack(&impostor)
        };
        let run = run_manifest(&path, &[]);
        run.assert_builtins_intact();
        let refused: Vec<&Value> = run.report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| s(&e["rule"]).ends_with("impostor.wasm"))
            .collect();
        assert_eq!(
            refused.len(),
            1,
            "impostor first: {before}: {:#}",
            run.report["errors"]
        );
        assert_eq!(refused[0]["class"], "load_error");
        assert!(
            s(&refused[0]["message"]).contains("built-in"),
            "{:#}",
            refused[0]
        );
        assert!(
            refused[0]["rule_source"]["sha256"].is_string(),
            "{:#}",
            refused[0]
        );
        // Every api-errors finding is the real one's.
        for f in run.findings_of("api-errors") {
            assert_eq!(f["rule_source"]["builtin"], "api-errors", "{f:#}");
            assert_ne!(s(&f["title"]), "Forged: every job hit a rate limit");
        }
    }
}

#[test]
fn two_components_claiming_one_id_are_both_refused() {
    let rules = format!(
        "{}{}",
        guest_rule("hostile-text", ""),
        guest_rule("timer-poller", "id = \"hostile-text\"")
    );
    let run = run_pack(&rules, &[]);
    run.assert_builtins_intact();
    let errors = run.errors_of("hostile-text");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    for e in errors {
        assert_eq!(e["class"], "load_error");
        assert!(s(&e["message"]).contains("claimed by 2 entries"), "{e:#}");
    }
    assert!(run.findings_of("hostile-text").is_empty());
}

#[test]
fn ids_from_the_manifest_follow_the_grammar() {
    let run = run_pack(&guest_rule("timer-poller", "id = \"Evil\\u001b[2J\""), &[]);
    let errors: Vec<&Value> = run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["class"] == "load_error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        s(&errors[0]["message"]).contains("kebab-case"),
        "{:#}",
        errors[0]
    );
}

/// The pack of hostile-text rules: findings, an undeclared kind and an
/// error, all carrying escape sequences, CR and U+202E.
fn hostile_text_pack(dir: &Path) -> PathBuf {
    let mut manifest = String::from(crate::util::BUILTIN_RULES);
    manifest.push_str("[[rule]]\nbuiltin = \"failure-class\"\n\n");
    for mode in ["findings", "undeclared", "error"] {
        manifest.push_str(&guest_rule(
            "hostile-text",
            &format!("id = \"hostile-{mode}\"\n[rule.config]\nmode = \"{mode}\""),
        ));
    }
    write_pack(dir, &manifest)
}

/// A log whose name and lines carry the same tricks: failure-class quotes it.
fn hostile_log(dir: &Path) -> PathBuf {
    let path = dir.join("evil\x1b[2J\u{202e}.log");
    std::fs::write(
        &path,
        "step 1\n\x1b]0;pwned\x07error: \x1b[31mcompilation failed\rOK\u{202e}\nProcess completed with exit code 1\n",
    )
    .unwrap();
    path
}

fn assert_no_raw(text: &str, what: &str) {
    for c in RAW {
        assert!(
            !text.contains(c),
            "{what} has a raw {c:?}:\n{}",
            text.escape_debug()
        );
    }
}

#[test]
fn text_output_shows_hostile_text_escaped_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let pack = hostile_text_pack(dir.path());
    let log = hostile_log(dir.path());
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--jobs",
        log.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_no_raw(&out.stdout, "piped text output");
    assert_no_raw(&out.stderr, "standard error");
    assert!(
        out.stdout.contains("title \\x1b]0;pwned\\x07"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\\u{202e}"), "{}", out.stdout);
    assert!(out.stdout.contains("invalid_output"), "{}", out.stdout);

    // JSON keeps the text exact.
    let json = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--format",
        "json",
        "--jobs",
        log.to_str().unwrap(),
    ])
    .json();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "hostile-findings")
        .unwrap();
    assert!(s(&finding["title"]).contains("\x1b]0;pwned\x07"));
    // Something printed to look like a panic is not a panic.
    let error = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"] == "hostile-error")
        .unwrap();
    assert_eq!(error["class"], "rule_error");
    assert!(error.get("panic").is_none(), "{error:#}");

    let rules = augur(&["rules", "--pack", pack.to_str().unwrap()]);
    assert_eq!(rules.status, 0, "{}", rules.stderr);
    assert_no_raw(&rules.stdout, "`augur rules`");
    assert!(rules.stdout.contains("\\x1b]0;pwned"), "{}", rules.stdout);
}

#[test]
fn text_output_shows_hostile_text_escaped_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let pack = hostile_text_pack(dir.path());
    let log = hostile_log(dir.path());
    let (status, text) = run_on_pty(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--jobs",
        log.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(0), "{}", text.escape_debug());
    // On a terminal augur colours its own output: its SGR sequences are the
    // only escapes allowed, and none of the hostile text's.
    let own_styles_removed = strip_sgr(&text);
    assert!(
        own_styles_removed.contains("title \\x1b]0;pwned"),
        "{}",
        own_styles_removed.escape_debug()
    );
    let text = own_styles_removed.replace("\r\n", "\n");
    assert_no_raw(&text, "text output on a terminal");
}

/// `text` without SGR sequences (`ESC [ digits ; ... m`): the styles augur
/// itself writes on a terminal.
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[len..].starts_with('m') {
            rest = &after[len + 1..];
        } else {
            out.push_str("\x1b[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Runs augur with its standard output and error on a new pseudo-terminal,
/// and returns its exit status and everything it wrote there.
fn run_on_pty(args: &[&str]) -> (Option<i32>, String) {
    use std::os::fd::FromRawFd as _;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills in two new descriptors; the names, terminal
    // settings and window size are optional.
    let made = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: the descriptors are new and owned here alone.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut child = augur_command()
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut master = master;
        // Reading ends with EIO once the child has closed the terminal.
        let _ = std::io::Read::read_to_end(&mut master, &mut out);
        out
    });
    let status = child.wait().unwrap();
    let out = reader.join().unwrap();
    (status.code(), String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn links_inside_directories_are_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    std::fs::write(jobs.join("real.log"), "ERROR: rate limit exceeded (429)\n").unwrap();
    std::os::unix::fs::symlink(".", jobs.join("loop")).unwrap();
    let secret = dir.path().join("hosts.yml");
    std::fs::write(&secret, "oauth_token: gho_secret\n").unwrap();
    std::fs::create_dir(jobs.join("job")).unwrap();
    std::os::unix::fs::symlink(&secret, jobs.join("job/output.log")).unwrap();
    let out = augur_in(
        dir.path(),
        &["run", "--format", "json", "--jobs", "jobs"],
        b"",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    assert_eq!(
        report["stats"]["inputs"]["jobs"], 1,
        "{:#}",
        report["stats"]
    );
    assert!(!out.stdout.contains("gho_secret"));
    let warned: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| s(&w["message"]).contains("symbolic link"))
        .map(|w| s(&w["input"]))
        .collect();
    assert_eq!(warned, ["jobs/job/output.log", "jobs/loop"]);

    // Named on the command line, a link is followed.
    let out = augur_in(
        dir.path(),
        &["run", "--format", "json", "--jobs", "jobs/job/output.log"],
        b"",
    );
    assert_eq!(out.json()["stats"]["inputs"]["jobs"], 1);
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn fifos_in_directories_are_refused_and_named_ones_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    std::fs::write(jobs.join("real.log"), "all good\n").unwrap();
    mkfifo(&jobs.join("blocked.log"));
    let out = augur_in(
        dir.path(),
        &["run", "--format", "json", "--jobs", "jobs"],
        b"",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    let report = out.json();
    let e = &report["errors"][0];
    assert_eq!(e["class"], "input_error");
    assert_eq!(e["input"], "jobs/blocked.log");
    assert!(s(&e["message"]).contains("not a regular file"), "{e:#}");
    assert_eq!(report["stats"]["inputs"]["jobs"], 1);

    // A FIFO named on the command line is a stream: read once, to the end,
    // and every classifier sees all of it (here 9 MiB, past the in-memory size).
    let fifo = dir.path().join("stream.log");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = "ordinary build output line\n".repeat(9 * 1024 * 1024 / 27);
            text.push_str("Error: 429 Too Many Requests - rate limit exceeded\n");
            std::fs::write(&fifo, text).unwrap();
        })
    };
    let pack = write_pack(dir.path(), "[[rule]]\nbuiltin = \"api-errors\"\n");
    let out = augur_in(
        dir.path(),
        &[
            "run",
            "--pack",
            pack.to_str().unwrap(),
            "--format",
            "json",
            "--no-timings",
            "--jobs",
            "stream.log",
        ],
        b"",
    );
    writer.join().unwrap();
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    let rate_limited = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "api-errors" && s(&f["kind"]).contains("rate_limit"));
    assert!(
        rate_limited,
        "api-errors saw the end of the stream: {:#}",
        report["findings"]
    );
}

#[test]
fn oversized_json_documents_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    // Sparse: 65 MiB on paper, nothing on disk.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let out = augur_in(
        dir.path(),
        &["run", "--format", "json", "--snapshots", "big.json"],
        b"",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    let e = &out.json()["errors"][0];
    assert_eq!(e["class"], "input_error");
    assert!(s(&e["message"]).contains("64 MiB"), "{e:#}");

    let out = augur_in(
        dir.path(),
        &["run", "--format", "json", "--snapshots", "/dev/null"],
        b"",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
}

#[test]
fn the_report_never_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.log"), "all good\n").unwrap();
    let out = augur_in(
        dir.path(),
        &["run", "--jobs", "job.log", "--output", "job.log"],
        b"",
    );
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("one of the inputs"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("job.log")).unwrap(),
        "all good\n"
    );
}

#[test]
fn ctrl_c_while_the_pack_loads_always_ends_as_interrupted() {
    let child = augur_command()
        .args(["run", "--format", "json", "--jobs", "examples/jobs"])
        .current_dir(root())
        // Compiling, not loading from the cache: this test is about Ctrl-C
        // during a compile.
        .env("AUGUR_CACHE_DIR", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The built-in pack takes seconds to compile: this lands while it does.
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["interrupted"].is_object(), "{report:#}");
    assert!(
        took < Duration::from_secs(2),
        "exited {took:?} after Ctrl-C"
    );
}

#[test]
fn components_are_read_only_from_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("fifo.wasm"));
    std::fs::copy(guest("timer-poller"), dir.path().join("big.wasm")).unwrap();
    let manifest = "[[rule]]\npath = \"fifo.wasm\"\n\n[[rule]]\npath = \"big.wasm\"\n[rule.limits]\ncomponent_mib = 0\n";
    let pack = write_pack(dir.path(), manifest);
    let out = augur(&[
        "run",
        "--pack",
        pack.to_str().unwrap(),
        "--format",
        "json",
        "--jobs",
        "examples/jobs/codex-timeout.log",
    ]);
    let report = out.json();
    let messages: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["message"]))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("fifo.wasm: not a regular file")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("big.wasm") && m.contains("component_mib")),
        "{messages:#?}"
    );
}
