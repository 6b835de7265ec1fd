//! Fuzz targets for the parsers that read untrusted input: snapshots and
//! `meta.json`, the pack manifest, evidence locators and JSON pointers, the
//! UTF-16/binary sniffing of logs, and the windowing of large logs.
//!
//! Under `cargo test` each target is a short smoke (random inputs for
//! [`SMOKE`], after replaying any saved corpus in `src/__fuzz__/<target>/`).
//! For a long run, raise the time with bolero's environment variable, e.g.
//! for an hour:
//!
//! ```sh
//! BOLERO_RANDOM_TEST_TIME_MS=3600000 cargo test --release -p augur --lib fuzz:: -- --test-threads 1
//! ```
//!
//! `cargo bolero test -e libfuzzer --sanitizer NONE fuzz::<target>` runs the
//! same targets coverage-guided (with cargo-bolero installed).

use std::{path::Path, sync::LazyLock, time::Duration};

use augur_sdk::window::Windows;
use bolero::check;

use crate::{
    contract,
    input::{self, JobInput, LogBody, Series},
    pack,
    run::{self, InputView},
};

/// How long each target runs under `cargo test`.
const SMOKE: Duration = Duration::from_millis(500);

/// Longest random input: past the 8 KiB sniffing window of logs.
const MAX_LEN: usize = 16 * 1024;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn fuzz_snapshot_and_meta_documents() {
    check!()
        .with_test_time(SMOKE)
        .with_max_len(MAX_LEN)
        .for_each(|bytes: &[u8]| {
            let text = text(bytes);
            if let Ok(snapshot) = augur_sdk::Snapshot::from_json("fuzz.json", &text) {
                // What parsed keeps the fields it was read from.
                assert!(text.contains("repo"));
                let _ = snapshot.observed_at.len();
            }
            let _ = augur_sdk::JobMeta::from_json("meta.json", &text);
        });
}

#[test]
fn fuzz_pack_manifest() {
    check!()
        .with_test_time(SMOKE)
        .with_max_len(MAX_LEN)
        .for_each(|bytes: &[u8]| {
            let text = text(bytes);
            if let Ok(entries) = pack::parse_manifest(Path::new("pack/augur.toml"), &text) {
                // Every limit of an accepted entry can be used.
                for entry in entries {
                    assert!(entry.limits.validate().is_ok());
                }
            }
        });
}

#[test]
fn fuzz_pack_manifest_fields() {
    // Manifests that parse as TOML, with random values in the fields.
    check!()
        .with_test_time(SMOKE)
        .with_type::<(String, String, Option<u64>, Option<u64>, bool)>()
        .for_each(|(id, path, memory, stack, closed)| {
            let mut text = format!("[[rule]]\npath = {path:?}\nid = {id:?}\n");
            if *closed {
                text.push_str("on_error = \"fail-closed\"\n");
            }
            text.push_str("[rule.limits]\n");
            if let Some(m) = memory {
                text.push_str(&format!("memory_mib = {}\n", m % (i64::MAX as u64)));
            }
            if let Some(s) = stack {
                text.push_str(&format!("stack_kib = {}\n", s % (i64::MAX as u64)));
            }
            if let Ok(entries) = pack::parse_manifest(Path::new("augur.toml"), &text) {
                assert_eq!(entries.len(), 1);
                assert!(entries[0].limits.validate().is_ok());
            }
        });
}

#[test]
fn fuzz_line_locators() {
    let job = JobInput {
        source: "job.log".into(),
        meta: None,
        body: LogBody::Text("a\nb\nc\n".into()),
    };
    let view = std::panic::AssertUnwindSafe(InputView::job(&job).with_lines(1, 3));
    check!()
        .with_test_time(SMOKE)
        .with_type::<String>()
        .for_each(|locator: &String| {
            let parsed = run::parse_lines(locator);
            if let Some((first, last)) = parsed {
                // Only the canonical spelling parses.
                let canonical = if first == last {
                    format!("L{first}")
                } else {
                    format!("L{first}-L{last}")
                };
                assert!(*locator == canonical || *locator == format!("L{first}-L{last}"));
            }
            let evidence = contract::WitEvidence {
                source: "job.log".into(),
                locator: locator.clone(),
                excerpt: String::new(),
            };
            match view.check_evidence(&evidence) {
                Ok(()) => {
                    let (first, last) = parsed.expect("accepted evidence has a locator");
                    assert!((1..=3).contains(&first) && first <= last && last <= 3);
                }
                // The message quotes at most a bounded part of the locator.
                Err(message) => assert!(message.len() < 600),
            }
        });
}

/// The example snapshots, read once.
static SERIES: LazyLock<Vec<Series>> = LazyLock::new(|| {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/snapshots");
    let mut problems = Vec::new();
    let series = input::load_snapshots(&[examples], &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    series
});

#[test]
fn fuzz_json_pointers() {
    let series = &SERIES[0];
    let view = std::panic::AssertUnwindSafe(InputView::series(series));
    let source = series.snapshots[0].source.clone();
    check!()
        .with_test_time(SMOKE)
        .with_type::<String>()
        .for_each(|pointer: &String| {
            let evidence = contract::WitEvidence {
                source: source.clone(),
                locator: pointer.clone(),
                excerpt: String::new(),
            };
            if view.check_evidence(&evidence).is_ok() {
                assert!(pointer.is_empty() || pointer.starts_with('/'));
            }
        });
}

#[test]
fn fuzz_log_sniffing() {
    check!()
        .with_test_time(SMOKE)
        .with_max_len(MAX_LEN)
        .for_each(|bytes: &[u8]| {
            let mut problems = Vec::new();
            let body = input::read_log("fuzz.log", bytes, None, &mut problems).unwrap();
            match body {
                // Text: valid UTF-8 by construction; a NUL in the first 8 KiB
                // of what was not UTF-16 is refused instead.
                Some(LogBody::Text(text)) => {
                    let utf16 =
                        bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
                    if !utf16 {
                        assert!(!bytes[..bytes.len().min(8 * 1024)].contains(&0));
                        assert!(!text.is_empty() || bytes.is_empty());
                    }
                }
                Some(LogBody::File { .. }) => {}
                None => assert!(!problems.is_empty(), "a refused log says why"),
            }
        });
}

#[test]
fn fuzz_windows() {
    check!()
        .with_test_time(SMOKE)
        .with_type::<(Vec<u8>, u16, u8)>()
        .for_each(|(bytes, window, overlap)| {
            let window_bytes = usize::from(*window).max(16);
            let mut windows = Windows::new(&bytes[..], window_bytes, usize::from(*overlap));
            let mut rebuilt = Vec::new();
            let mut next_line = 1u32;
            while let Some(w) = windows.next_window().unwrap() {
                // Windows start where the last one left off, less the overlap.
                assert_eq!(w.first_line + w.overlap, next_line);
                let new_part: Vec<&str> = w
                    .text
                    .split_inclusive('\n')
                    .skip(w.overlap as usize)
                    .collect();
                for piece in &new_part {
                    rebuilt.extend_from_slice(piece.as_bytes());
                }
                next_line = w.first_line + w.text.bytes().filter(|&b| b == b'\n').count() as u32;
                // New bytes up to a window, overlap up to a quarter of one
                // (invalid UTF-8 grows when replaced, so only for valid text).
                if !w.lossy {
                    assert!(w.text.len() <= window_bytes + window_bytes / 4);
                }
            }
            // Nothing is lost or repeated: the new parts make the log again
            // (with invalid UTF-8 replaced).
            if std::str::from_utf8(bytes).is_ok() {
                assert_eq!(rebuilt, *bytes);
            }
            assert!(windows.end_line() >= 1);
        });
}
