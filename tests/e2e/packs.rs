//! Tools for packs and rule authors: `augur check` validates a pack without
//! running it, `augur pack lock` pins each component's digest in the
//! manifest, and `augur test` runs a rule's cases through its component.

use crate::util::{augur_in, guest};

#[test]
fn check_names_every_problem_of_a_pack_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(guest("sandbox-probe"), dir.path().join("probe.wasm")).unwrap();
    std::fs::copy(guest("future-contract"), dir.path().join("future.wasm")).unwrap();
    let good = "[[rule]]\nbuiltin = \"api-errors\"\n\n[[rule]]\npath = \"probe.wasm\"\n";
    std::fs::write(dir.path().join("augur.toml"), good).unwrap();
    let ok = augur_in(dir.path(), &["check"], b"");
    assert_eq!(ok.status, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("✓ api-errors"), "{}", ok.stdout);
    assert!(
        ok.stdout.ends_with("2 rules would run; 0 errors\n"),
        "{}",
        ok.stdout
    );

    let bad = format!(
        "[[rule]]\nbuiltin = \"api-errors\"\n\n\
         [[rule]]\nbuiltin = \"failure-class\"\n[rule.config]\nknown_flakey = [\"t\"]\n\n\
         [[rule]]\npath = \"probe.wasm\"\nsha256 = \"{}\"\n\n\
         [[rule]]\npath = \"future.wasm\"\n",
        "ab".repeat(32)
    );
    std::fs::write(dir.path().join("augur.toml"), bad).unwrap();
    let out = augur_in(dir.path(), &["check"], b"");
    assert_eq!(out.status, 2, "{}{}", out.stdout, out.stderr);
    let errors: Vec<&str> = out.stdout.lines().filter(|l| l.contains("✗")).collect();
    assert_eq!(errors.len(), 3, "{}", out.stdout);
    assert!(
        errors[0].contains("augur.toml:4:") && errors[0].contains("known_flakey"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("augur.toml:9:") && errors[1].contains("sha256 is"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("augur.toml:13:") && errors[2].contains("contract"),
        "{errors:?}"
    );
    assert!(
        out.stdout.ends_with("1 rule would run; 3 errors\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn lock_pins_each_component_and_keeps_the_manifest_as_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let wasm = dir.path().join("probe.wasm");
    std::fs::copy(guest("sandbox-probe"), &wasm).unwrap();
    std::fs::write(dir.path().join("job.log"), "ok\n").unwrap();
    let manifest = dir.path().join("augur.toml");
    std::fs::write(
        &manifest,
        "# our rules\n[[rule]]\nbuiltin = \"api-errors\"\n\n[[rule]]\npath = \"probe.wasm\" # the probe\n",
    )
    .unwrap();
    let out = augur_in(dir.path(), &["pack", "lock"], b"");
    assert_eq!(out.status, 0, "{}", out.stderr);
    let digest = sha256_hex(&std::fs::read(&wasm).unwrap());
    assert!(
        out.stdout
            .contains(&format!("probe.wasm: sha256 = {digest}")),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.starts_with("# our rules\n") && text.contains("# the probe"),
        "{text}"
    );
    assert!(text.contains(&format!("sha256 = \"{digest}\"")), "{text}");
    let again = augur_in(dir.path(), &["pack", "lock"], b"");
    assert!(
        again.stdout.contains("probe.wasm: unchanged"),
        "{}",
        again.stdout
    );

    // The component changes: the locked pack refuses it, and a new lock
    // says what changed.
    let mut bytes = std::fs::read(&wasm).unwrap();
    bytes.extend_from_slice(&[0, 0]);
    std::fs::write(&wasm, &bytes).unwrap();
    let run = augur_in(dir.path(), &["run", "--jobs", "job.log"], b"");
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("sha256 is"), "{}", run.stderr);
    let relock = augur_in(dir.path(), &["pack", "lock"], b"");
    assert!(
        relock
            .stdout
            .contains(&format!("sha256 changed from {digest} to")),
        "{}",
        relock.stdout
    );

    let builtin = augur_in(dir.path(), &["pack", "lock", "--pack", "builtin"], b"");
    assert_eq!(builtin.status, 2);
    assert!(
        builtin.stderr.contains("no manifest to lock"),
        "{}",
        builtin.stderr
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn test_runs_a_rules_cases_in_the_sandbox_and_locks_their_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("tests/cases");
    let limited = cases.join("rate-limited");
    std::fs::create_dir_all(&limited).unwrap();
    for file in ["output.log", "meta.json"] {
        std::fs::copy(
            crate::util::root()
                .join("examples/jobs/agent-rate-limited")
                .join(file),
            limited.join(file),
        )
        .unwrap();
    }
    let green = cases.join("green");
    std::fs::create_dir_all(&green).unwrap();
    std::fs::write(green.join("output.log"), "all good\n").unwrap();
    std::fs::write(green.join("config.toml"), "tail_lines = 0\n").unwrap();
    let test = |extra: &[&str]| {
        let mut args = vec!["test", ".", "--builtin", "api-errors"];
        args.extend_from_slice(extra);
        augur_in(dir.path(), &args, b"")
    };

    let first = test(&[]);
    assert_eq!(first.status, 1, "no expectation yet: {}", first.stdout);
    assert!(
        first.stdout.contains("no expected.json"),
        "{}",
        first.stdout
    );
    let accepted = test(&["--accept"]);
    assert_eq!(accepted.status, 0, "{}{}", accepted.stdout, accepted.stderr);
    let ok = test(&[]);
    assert_eq!(ok.status, 0, "{}", ok.stdout);
    // The case's config is the rule's config, not a second log to read:
    // read as one, it would about double the case's fuel (parsing the
    // config costs a little).
    let green_fuel = |stdout: &str| -> u64 {
        let line = stdout.lines().find(|l| l.contains(" green ")).unwrap();
        let fuel = line.rsplit(", ").next().unwrap();
        fuel.trim_end_matches(" fuel)").parse().unwrap()
    };
    std::fs::remove_file(green.join("config.toml")).unwrap();
    let without = test(&["--accept"]);
    assert!(
        green_fuel(&ok.stdout) < green_fuel(&without.stdout) * 3 / 2,
        "{}{}",
        ok.stdout,
        without.stdout
    );
    std::fs::write(green.join("config.toml"), "tail_lines = 0\n").unwrap();
    assert_eq!(test(&["--accept"]).status, 0);
    assert!(ok.stdout.ends_with("2 passed, 0 failed\n"), "{}", ok.stdout);

    // A wrong expectation fails with a diff naming both sides.
    let expected_path = limited.join("expected.json");
    let good = std::fs::read_to_string(&expected_path).unwrap();
    let mut expected: serde_json::Value = serde_json::from_str(&good).unwrap();
    expected["findings"][0]["evidence"][0] = "L11".into();
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let wrong = test(&[]);
    assert_eq!(wrong.status, 1);
    assert!(
        wrong.stdout.contains("FAILED   rate-limited"),
        "{}",
        wrong.stdout
    );
    assert!(
        wrong.stdout.contains("- {") && wrong.stdout.contains("\"L11\""),
        "{}",
        wrong.stdout
    );
    assert!(
        wrong.stdout.contains("+ {") && wrong.stdout.contains("\"L12\""),
        "{}",
        wrong.stdout
    );
    assert!(
        wrong.stdout.ends_with("1 passed, 1 failed\n"),
        "{}",
        wrong.stdout
    );

    // A rule that grew more than 10% costlier fails, naming both costs.
    let mut expected: serde_json::Value = serde_json::from_str(&good).unwrap();
    let fuel = expected["fuel"].as_u64().unwrap();
    let recorded = fuel * 100 / 125;
    expected["fuel"] = recorded.into();
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let slower = test(&[]);
    assert_eq!(slower.status, 1, "{}", slower.stdout);
    assert!(
        slower
            .stdout
            .contains(&format!("the case used {fuel} units"))
            && slower.stdout.contains(&format!("the {recorded} recorded")),
        "{}",
        slower.stdout
    );
    assert_eq!(test(&["--fuel-tolerance", "30"]).status, 0);
    test(&["--accept"]);
    assert_eq!(
        std::fs::read_to_string(&expected_path).unwrap(),
        good,
        "--accept restores it"
    );

    // A component file (a rule of its own, not a built-in's id).
    let other = tempfile::tempdir().unwrap();
    let case = other.path().join("tests/cases/one");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("output.log"), "a line\n").unwrap();
    let probe = guest("sandbox-probe");
    let args = ["test", ".", "--component", probe.to_str().unwrap()];
    let accepted = augur_in(other.path(), &[&args[..], &["--accept"]].concat(), b"");
    assert_eq!(accepted.status, 0, "{}{}", accepted.stdout, accepted.stderr);
    let file = augur_in(other.path(), &args, b"");
    assert_eq!(file.status, 0, "{}{}", file.stdout, file.stderr);
    assert!(
        file.stdout.ends_with("1 passed, 0 failed\n"),
        "{}",
        file.stdout
    );
}

/// `augur new` then `augur test`, outside the checkout, as a new author
/// would: for each kind, the generated case passes as written; an edited
/// expectation fails with a diff; `--accept` restores it.
#[test]
fn a_new_rule_builds_and_passes_its_case_outside_the_checkout() {
    let home = tempfile::tempdir().unwrap();
    // One target directory for both crates: their dependencies build once.
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-rules-target");
    let augur = |dir: &std::path::Path, args: &[&str]| {
        let out = crate::util::augur_command()
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_MAKEFLAGS")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .output()
            .expect("running augur");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (name, kind, case) in [
        ("my-rule", "classifier", "deprecated-api"),
        ("my-scanner", "log-scanner", "flaky-download"),
        ("my-deriver", "deriver", "lint-growing"),
        ("my-correlator", "correlator", "matrix-repeat"),
    ] {
        let (status, _, stderr) = augur(home.path(), &["new", name, "--kind", kind]);
        assert_eq!(status, 0, "{stderr}");
        let crate_dir = home.path().join(name);
        let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
        assert!(
            !manifest.contains(env!("CARGO_MANIFEST_DIR")) && !manifest.contains(".."),
            "{manifest}"
        );

        let (status, stdout, stderr) = augur(home.path(), &["test", name]);
        assert_eq!(status, 0, "{kind}: {stdout}{stderr}");
        assert!(stdout.ends_with("1 passed, 0 failed\n"), "{kind}: {stdout}");

        let expected = crate_dir
            .join("tests/cases")
            .join(case)
            .join("expected.json");
        let good = std::fs::read_to_string(&expected).unwrap();
        std::fs::write(
            &expected,
            good.replacen("\"title\": \"", "\"title\": \"Not ", 1),
        )
        .unwrap();
        let (status, stdout, _) = augur(home.path(), &["test", name]);
        assert_eq!(status, 1, "{kind}: {stdout}");
        assert!(
            stdout.contains("- {") && stdout.contains("+ {") && stdout.contains("Not "),
            "{stdout}"
        );
        assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");

        let (status, stdout, _) = augur(home.path(), &["test", name, "--accept"]);
        assert_eq!(status, 0, "{stdout}");
        let (status, stdout, _) = augur(home.path(), &["test", name]);
        assert_eq!(status, 0, "{kind}: --accept restores it: {stdout}");
        let accepted: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
        assert!(
            accepted["fuel"].as_u64().is_some_and(|f| f > 0),
            "the fuel is locked: {accepted}"
        );
    }
    let (status, _, stderr) = augur(home.path(), &["new", "my-rule"]);
    assert_eq!(status, 2, "the folder is taken");
    assert!(stderr.contains("already there"), "{stderr}");
    let (status, _, stderr) = augur(home.path(), &["new", "Bad_Name"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("cannot be a rule's id"), "{stderr}");
}
