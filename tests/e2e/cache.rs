//! The compile cache: filled by the first run, used by the next, refilled
//! when an entry is damaged, shared by processes running at once, and only
//! for the rules a run needs.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use crate::util::{Output, augur_command, root};

/// Runs augur at the repository root with its compile cache in `cache`.
fn augur_cached(cache: &Path, args: &[&str]) -> Output {
    let out = augur_command()
        .args(args)
        .current_dir(root())
        .env("AUGUR_CACHE_DIR", cache)
        .stdin(Stdio::null())
        .output()
        .expect("running augur");
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The compiled components in a cache directory, sorted.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache.join("components-v2"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|e| e == "cwasm"));
    found.sort();
    found
}

const RUN: &[&str] = &[
    "run",
    "--format",
    "json",
    "--no-timings",
    "--now",
    "2026-11-21T09:00:00Z",
    "--jobs",
    "examples/jobs",
    "--snapshots",
    "examples/snapshots",
];

fn rules_running_on(cache: &Path, what: &str) -> usize {
    let out = augur_cached(cache, &["rules", "--format", "json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.json()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["runs_on"].as_array().unwrap().iter().any(|x| x == what))
        .count()
}

#[test]
fn a_warm_run_reports_exactly_what_a_cold_one_does() {
    let cache = tempfile::tempdir().unwrap();
    let cold = augur_cached(cache.path(), RUN);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    let filled = entries(cache.path());
    assert!(!filled.is_empty(), "the first run filled no cache");
    let modified: Vec<_> = filled
        .iter()
        .map(|p| p.metadata().unwrap().modified().unwrap())
        .collect();
    let warm = augur_cached(cache.path(), RUN);
    assert_eq!(warm.status, 0, "{}", warm.stderr);
    assert_eq!(cold.stdout, warm.stdout);
    // Read, not written again.
    assert_eq!(entries(cache.path()), filled);
    for (path, before) in filled.iter().zip(modified) {
        assert_eq!(
            path.metadata().unwrap().modified().unwrap(),
            before,
            "{path:?} rewritten"
        );
    }
    let off = augur_cached(Path::new("off"), RUN);
    assert_eq!(off.stdout, cold.stdout);
    assert!(!root().join("off").exists());
}

#[test]
fn a_damaged_entry_is_compiled_again_and_replaced() {
    let cache = tempfile::tempdir().unwrap();
    let first = augur_cached(cache.path(), RUN);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let filled = entries(cache.path());
    let sizes: Vec<u64> = filled.iter().map(|p| p.metadata().unwrap().len()).collect();
    // One entry cut short (a torn copy), one with a bit flipped in its code,
    // one that is not an entry at all.
    let cut = std::fs::read(&filled[0]).unwrap();
    std::fs::write(&filled[0], &cut[..cut.len() / 2]).unwrap();
    let mut flipped = std::fs::read(&filled[1]).unwrap();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&filled[1], flipped).unwrap();
    std::fs::write(&filled[2], b"\0asm not a compiled component").unwrap();

    let again = augur_cached(cache.path(), RUN);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(again.stdout, first.stdout);
    let refilled = entries(cache.path());
    assert_eq!(refilled, filled);
    let new_sizes: Vec<u64> = refilled
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .collect();
    assert_eq!(new_sizes, sizes);
}

#[test]
fn processes_filling_one_cache_at_once_all_succeed_alike() {
    let cache = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            augur_command()
                .args(RUN)
                .current_dir(root())
                .env("AUGUR_CACHE_DIR", cache.path())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, outputs[0].stdout);
    }
    // No temporary file left behind, and every entry sound: a later run
    // uses them all and says the same.
    let names: Vec<String> = std::fs::read_dir(cache.path().join("components-v2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".cwasm") && !n.starts_with(".tmp")),
        "{names:?}"
    );
    let after = augur_cached(cache.path(), RUN);
    assert_eq!(after.stdout.as_bytes(), outputs[0].stdout.as_slice());
}

#[test]
fn a_run_on_jobs_compiles_no_deriver() {
    let cache = tempfile::tempdir().unwrap();
    let out = augur_cached(
        cache.path(),
        &["run", "--format", "json", "--jobs", "examples/jobs"],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let report = out.json();
    let ran: Vec<&str> = report["stats"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    // The classifiers and the correlator, each compiled once.
    let jobs_rules = rules_running_on(cache.path(), "jobs");
    let correlators = rules_running_on(cache.path(), "findings");
    assert_eq!(ran.len(), jobs_rules + correlators, "{ran:?}");
    assert!(!ran.contains(&"quality-trend"), "{ran:?}");
    let other = tempfile::tempdir().unwrap();
    augur_cached(
        other.path(),
        &["run", "--format", "json", "--jobs", "examples/jobs"],
    );
    assert_eq!(entries(other.path()).len(), jobs_rules + correlators);
}

#[test]
fn the_cache_command_says_where_fills_and_clears() {
    let cache = tempfile::tempdir().unwrap();
    let dir = augur_cached(cache.path(), &["cache", "dir"]);
    assert_eq!(dir.status, 0, "{}", dir.stderr);
    assert_eq!(dir.stdout.trim(), cache.path().to_str().unwrap());

    let warm = augur_cached(cache.path(), &["cache", "warm"]);
    assert_eq!(warm.status, 0, "{}", warm.stderr);
    let rules = rules_running_on(cache.path(), "jobs")
        + rules_running_on(cache.path(), "snapshots")
        + rules_running_on(cache.path(), "findings");
    assert!(
        warm.stdout.contains("rules of builtin ready"),
        "{}",
        warm.stdout
    );
    assert_eq!(entries(cache.path()).len(), rules);

    let clear = augur_cached(cache.path(), &["cache", "clear"]);
    assert_eq!(clear.status, 0, "{}", clear.stderr);
    assert!(
        clear
            .stdout
            .starts_with(&format!("removed {rules} compiled components")),
        "{}",
        clear.stdout
    );
    assert!(entries(cache.path()).is_empty());

    let off = augur_cached(Path::new("off"), &["cache", "dir"]);
    assert_eq!(off.status, 2);
    assert!(off.stderr.contains("AUGUR_CACHE_DIR"), "{}", off.stderr);
}

#[test]
fn an_unwritable_cache_is_said_once_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache's directory would be: nothing can be written.
    let blocked = dir.path().join("cache");
    std::fs::write(&blocked, "not a directory").unwrap();
    let out = augur_cached(&blocked, RUN);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let reference = augur_cached(Path::new("off"), RUN);
    assert_eq!(out.stdout, reference.stdout);
    assert_eq!(
        out.stderr.matches("cannot write the compile cache").count(),
        1,
        "{}",
        out.stderr
    );
}

/// A rule's `setup` runs in code from Winch, which compiles in a fraction of
/// Cranelift's time; the state it leaves, so the compiled component every
/// call starts from, is the same byte for byte (an entry's name carries the
/// checksum of its code).
#[test]
fn setup_leaves_the_same_state_whichever_compiler_ran_it() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("augur.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[rule]]\nbuiltin = \"failure-class\"\n\n[[rule]]\npath = {:?}\n",
            crate::util::guest("setup-probe")
        ),
    )
    .unwrap();
    // `augur cache warm` into `cache`, with one more variable set.
    let warm = |cache: &Path, (var, value): (&str, &str)| {
        let out = augur_command()
            .args(["cache", "warm", "--pack", manifest.to_str().unwrap()])
            .env("AUGUR_CACHE_DIR", cache)
            .env(var, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    let (winch, cranelift) = (dir.path().join("winch"), dir.path().join("cranelift"));
    let stderr = warm(&winch, ("AUGUR_LOG", "augur=debug"));
    // Winch ran both setups: none fell back to Cranelift.
    assert!(!stderr.contains("trying the next"), "{stderr}");
    warm(&cranelift, ("AUGUR_WINCH", "off"));
    let names = |cache: &Path| -> Vec<_> {
        entries(cache)
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&winch).len(), 2);
    assert_eq!(names(&winch), names(&cranelift));
}
