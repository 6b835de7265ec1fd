//! Rules in other languages: the example classifiers in Python
//! (componentize-py) and JavaScript (componentize-js) under
//! `examples/rules/`, built by their own toolchains and run by `augur test`
//! over their cases, in the sandbox, with the limits of a pack.
//!
//! The toolchains come from the package registries (`.ci/run` installs them):
//! `componentize-py` on PATH (or `COMPONENTIZE_PY` naming it), and
//! `examples/rules/js/node_modules` from `npm ci`.

use std::{path::Path, process::Command};

use crate::util::{augur_command, root};

/// Builds the example in `examples/rules/<lang>` with its `build.sh` into a
/// temporary folder and returns the component's path.
fn build(lang: &str, file: &str, out_dir: &Path) -> std::path::PathBuf {
    let dir = root().join("examples/rules").join(lang);
    let out = out_dir.join(file);
    let result = Command::new(dir.join("build.sh"))
        .env("OUT", &out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run examples/rules/{lang}/build.sh: {e}"));
    assert!(
        result.status.success() && out.is_file(),
        "examples/rules/{lang}/build.sh failed; {}\nstdout:\n{}\nstderr:\n{}",
        match lang {
            "python" =>
                "install componentize-py (`pip install componentize-py==0.25.1`; .ci/run does)",
            _ => "run `npm ci` in examples/rules/js (.ci/run does)",
        },
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr),
    );
    out
}

/// `augur test DIR --component COMPONENT`: (status, stdout, stdout and stderr).
fn augur_test(dir: &Path, component: &Path) -> (i32, String, String) {
    let out = augur_command()
        .arg("test")
        .arg(dir)
        .arg("--component")
        .arg(component)
        .output()
        .expect("running augur");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let both = stdout.clone() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), stdout, both)
}

fn the_example_passes_its_cases(lang: &str, file: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let component = build(lang, file, tmp.path());
    let dir = root().join("examples/rules").join(lang);
    let (status, stdout, both) = augur_test(&dir, &component);
    assert_eq!(status, 0, "{lang}: {both}");
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{lang}: {stdout}");

    // The cases are not a formality: a rule that finds something else fails
    // them. A config that asks for more warnings than the log has empties
    // the finding the first case expects.
    let cases = tmp.path().join("cases");
    copy_dir(&dir.join("tests/cases"), &cases.join("tests/cases"));
    let config = cases.join("tests/cases/npm-install-deprecations/config.toml");
    std::fs::write(&config, "min_warnings = 5\n").unwrap();
    let (status, stdout, _) = augur_test(&cases, &component);
    assert_eq!(status, 1, "{lang}: {stdout}");
    assert!(stdout.ends_with("2 passed, 1 failed\n"), "{lang}: {stdout}");
    assert!(stdout.contains("npm-install-deprecations"), "{stdout}");

    // A config that does not fit the rule's schema is named.
    std::fs::write(&config, "min_warnings = \"many\"\n").unwrap();
    let (status, _, both) = augur_test(&cases, &component);
    assert_ne!(status, 0, "{lang}: {both}");
    assert!(both.contains("min_warnings"), "{lang}: {both}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_classifier_written_in_python_passes_its_cases() {
    the_example_passes_its_cases("python", "deprecations-py.wasm");
}

#[test]
fn a_classifier_written_in_javascript_passes_its_cases() {
    the_example_passes_its_cases("js", "deprecations-js.wasm");
}
