//! Each CI system's decorations and outcome lines, on lines taken from real
//! logs (the corpus under `tests/corpus/` names where each came from).

use super::*;

/// Reads `log` and returns each line's role, with the verdict.
fn read(log: &str) -> (Vec<Role>, Option<Verdict>) {
    let mut reader = Reader::default();
    let roles = log
        .split('\n')
        .enumerate()
        .map(|(i, raw)| reader.read(i as u32 + 1, raw, &clean(raw)).role)
        .collect();
    (roles, reader.verdict())
}

#[test]
fn clean_strips_escapes_and_redraws() {
    for (raw, text) in [
        // GitHub Actions: the step's script echoed in cyan.
        (
            "2022-04-13T14:53:23.3223611Z \u{1b}[36;1mmake fmtcheck generate\u{1b}[0m\r",
            "make fmtcheck generate",
        ),
        // Terraform's coloured error box inside a GitHub Actions log.
        (
            "\u{1b}[31m│\u{1b}[0m \u{1b}[0m\u{1b}[1m\u{1b}[31mError: \u{1b}[0m\u{1b}[0m\u{1b}[1mFailed to install provider",
            "│ Error: Failed to install provider",
        ),
        ("\u{1b}[41m\u{1b}[1mError\u{1b}[0m", "Error"),
        // Travis: a fold marker then the command, and `\r\r\n` endings.
        (
            "travis_fold:start:install\r\u{1b}[0Ktravis_time:start:0e1a5f40\r\u{1b}[0K$ pip install -r requirements.txt\r\r",
            "$ pip install -r requirements.txt",
        ),
        (
            "travis_time:end:0e1a5f40:start=1,finish=2,duration=1\r\u{1b}[0K",
            "",
        ),
        // GitLab: a section marker with its header on the same line.
        (
            "\u{1b}[0Ksection_start:1614865462:step_script\r\u{1b}[0K\u{1b}[0K\u{1b}[36;1mExecuting \"step_script\" stage of the job script\u{1b}[0;m",
            "Executing \"step_script\" stage of the job script",
        ),
        ("section_end:1614865462:step_script\r\u{1b}[0K", ""),
        // A progress bar redrawn in place keeps its last state.
        (
            "Downloading  10%\rDownloading  55%\rDownloading 100%",
            "Downloading 100%",
        ),
        // Buildkite's timestamp, an APC sequence.
        (
            "\u{1b}_bk;t=1633123456789\u{7}--- :go: test",
            "--- :go: test",
        ),
        ("_bk;t=1633123456789\u{7}+++ Failed", "+++ Failed"),
        // OSC hyperlinks keep their text.
        (
            "\u{1b}]8;;https://example.com\u{7}link\u{1b}]8;;\u{7} text",
            "link text",
        ),
        // Charset selection.
        ("\u{1b}(Bplain\u{1b}(B", "plain"),
        // Azure Pipelines and Jenkins.
        (
            "2021-03-04T10:00:00.1234567Z ##[section]Starting: Build",
            "Starting: Build",
        ),
        ("[2021-03-04T10:00:00.123Z] + make test", "+ make test"),
        ("10:15:03 Started by user admin", "Started by user admin"),
        ("[10:15:03] [Step 1/2] Running", "[Step 1/2] Running"),
        ("12:00 is not a clock prefix", "12:00 is not a clock prefix"),
        // Taskcluster (tests/corpus/treeherder) and Zuul (tests/corpus/zuul).
        (
            "[taskcluster 2025-02-13 22:26:36.124Z] Unsuccessful task run with exit code: 2 completed in 1812.757 seconds",
            "Unsuccessful task run with exit code: 2 completed in 1812.757 seconds",
        ),
        ("[task 2025-02-14T07:27:31.970Z] + exit 0", "+ exit 0"),
        (
            "[taskcluster:error] Task aborted - max run time exceeded",
            "Task aborted - max run time exceeded",
        ),
        (
            "2017-06-06 12:16:46.744920 | [Zuul] Job complete, result: FAILURE",
            "[Zuul] Job complete, result: FAILURE",
        ),
        ("[tag] kept", "[tag] kept"),
        (
            "\u{feff}2024-09-15T07:40:05.4357140Z Current runner version: '2.319.1'",
            "Current runner version: '2.319.1'",
        ),
        ("plain", "plain"),
        ("tab\tkept", "tab\tkept"),
    ] {
        assert_eq!(clean(raw), text, "{raw:?}");
    }
}

#[test]
fn controls_are_found_at_every_offset() {
    for len in 0..20 {
        for at in 0..len {
            for c in [0x1b_u8, b'\r', 0x07, 0x00] {
                let mut line = vec![b'a'; len];
                line[at] = c;
                assert!(has_controls(&line), "{c:#x} at {at} of {len}");
            }
            let mut line = vec![b'a'; len];
            line[at] = b'\t';
            assert!(!has_controls(&line), "a tab at {at} of {len}");
        }
        assert!(!has_controls("é✖ ok".repeat(len).as_bytes()));
    }
}

#[test]
fn clean_borrows_clean_lines() {
    assert!(matches!(clean("FAILED tests/a.py::t"), Cow::Borrowed(_)));
    assert!(matches!(
        clean("2026-11-20T10:00:00.1234567Z ok"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn outcomes_of_every_system() {
    let job = |code, failed| Outcome {
        scope: Scope::Job,
        code,
        failed,
        aborted: false,
    };
    let step = |code, failed| Outcome {
        scope: Scope::Step,
        code,
        failed,
        aborted: false,
    };
    for (line, outcome) in [
        ("Done. Your build exited with 1.", Some(job(Some(1), true))),
        ("Done. Your build exited with 0.", Some(job(Some(0), false))),
        ("Finished: SUCCESS", Some(job(None, false))),
        ("Finished: FAILURE", Some(job(None, true))),
        ("Finished: UNSTABLE", Some(job(None, true))),
        (
            "Finished: ABORTED",
            Some(Outcome {
                scope: Scope::Job,
                code: None,
                failed: true,
                aborted: true,
            }),
        ),
        ("Job succeeded", Some(job(Some(0), false))),
        ("ERROR: Job failed: exit code 1", Some(job(Some(1), true))),
        (
            "ERROR: Job failed: execution took longer than 1h0m0s seconds",
            Some(job(None, true)),
        ),
        (
            "The command \"./build.sh\" exited with 1.",
            Some(step(Some(1), true)),
        ),
        (
            "The command \"npm install\" exited with 0.",
            Some(step(Some(0), false)),
        ),
        (
            "The command \"./ops/travis/travis-before.sh $JOB\" failed and exited with 1 during .",
            Some(step(Some(1), true)),
        ),
        ("The build has been terminated", Some(job(None, true))),
        (
            "Process completed with exit code 137.",
            Some(step(Some(137), true)),
        ),
        (
            "Build step 'Execute shell' marked build as failure",
            Some(step(None, true)),
        ),
        (
            "The process '/usr/bin/xvfb-run' failed with exit code 1",
            Some(step(Some(1), true)),
        ),
        ("Bash exited with code '1'.", Some(step(Some(1), true))),
        ("Script failed with exit code: 2", Some(step(Some(2), true))),
        (
            "ERROR: script returned exit code 1",
            Some(step(Some(1), true)),
        ),
        ("Exited with code exit status 1", Some(step(Some(1), true))),
        (
            "🚨 Error: The command exited with status 2",
            Some(step(Some(2), true)),
        ),
        ("Process exited with code 1", Some(step(Some(1), true))),
        (
            "exit status 1",
            Some(Outcome {
                scope: Scope::Command,
                code: Some(1),
                failed: true,
                aborted: false,
            }),
        ),
        (
            "Unsuccessful task run with exit code: 2 completed in 1812.757 seconds",
            Some(job(Some(2), true)),
        ),
        (
            "Successful task run with exit code: 0 completed in 442.64 seconds",
            Some(job(Some(0), false)),
        ),
        (
            "[Zuul] Job complete, result: SUCCESS",
            Some(job(None, false)),
        ),
        ("[Zuul] Task exit code: 1", Some(step(Some(1), true))),
        ("results: failure (2)", Some(job(None, true))),
        ("results: success (0)", Some(job(None, false))),
        ("Finished: in 3 s", None),
        ("echo Done. Your build exited with 1.", None),
        ("nothing", None),
    ] {
        assert_eq!(outcome_in(line), outcome, "{line}");
    }
}

/// A log of the real-log corpus (`tests/corpus/`, one folder per source
/// with its licence), read line by line.
fn corpus(path: &str) -> (Vec<Role>, Option<Verdict>) {
    let file = format!(
        "{}/../tests/corpus/{path}/output.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let text = String::from_utf8_lossy(&bytes);
    read(text.strip_suffix('\n').unwrap_or(&text))
}

/// The role of 1-based line `n`.
fn role(roles: &[Role], n: usize) -> Role {
    roles[n - 1]
}

/// hashicorp/terraform's quick-checks (cidiff-gha, run114): the step's
/// script, echoed under `##[group]Run`, says `exit 1`; the failure is a
/// compile error; post-job cleanup follows.
#[test]
fn github_actions_real_log() {
    let (roles, verdict) = corpus("cidiff-gha/quick-checks-run114-fail");
    // The step header, its echoed script included, is not output.
    for n in 696..=706 {
        assert_eq!(role(&roles, n), Role::Header, "line {n}");
    }
    assert_eq!(role(&roles, 710), Role::Output { new_step: false });
    assert_eq!(role(&roles, 718), Role::FailureMarker);
    assert_eq!(role(&roles, 719), Role::Post { new_step: true });
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(2),
            line: Some(718)
        })
    );
    // The passing run of the same job has no `##[error]`: it passed.
    let (_, verdict) = corpus("cidiff-gha/quick-checks-run114-pass");
    assert_eq!(verdict.map(|v| v.failed), Some(false));
}

/// ai/nanoid on Travis (bugswarm-travis): `The command "yarn test" exited
/// with 1.` glued after a `travis_time:end` marker, then the cache upload.
#[test]
fn travis_real_log() {
    let (roles, verdict) = corpus("bugswarm-travis/node-nanoid-564797426");
    assert_eq!(role(&roles, 271), Role::FailureMarker);
    assert!(matches!(role(&roles, 272), Role::Post { .. }));
    assert!(matches!(role(&roles, 290), Role::Post { .. }));
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(1),
            line: Some(295)
        })
    );
}

/// GitLab Runner's own CI (gitlab-runner): `step_script`, then the
/// `archive_cache` and `upload_artifacts_on_success` sections that run
/// after it, then `Job succeeded`.
#[test]
fn gitlab_real_log() {
    let (roles, verdict) = corpus("gitlab-runner/go-test-parallel-pass-a");
    assert_eq!(role(&roles, 47), Role::Output { new_step: true });
    assert_eq!(role(&roles, 2573), Role::Post { new_step: true });
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: false,
            aborted: false,
            code: Some(0),
            line: Some(2590)
        })
    );
    // A job that runs GitLab Runner's tests prints their `Job succeeded`
    // banners too; the last one speaks for the job.
    let (_, verdict) = corpus("gitlab-runner/go-test-parallel-pass-b");
    assert_eq!(verdict.map(|v| v.failed), Some(false));
}

/// Node.js's Jenkins (node-core-utils): a freestyle shell step that failed,
/// then post-build tasks, then `Finished: FAILURE`.
#[test]
fn jenkins_real_log() {
    let (roles, verdict) = corpus("node-core-utils/jenkins-no-c-compiler");
    assert_eq!(role(&roles, 100), Role::Output { new_step: false });
    assert_eq!(role(&roles, 106), Role::FailureMarker);
    assert!(matches!(role(&roles, 107), Role::Post { .. }));
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: None,
            line: Some(126)
        })
    );
}

/// A Buildkite job (buildkite-terminal-to-html): `_bk;t=` timestamps, `~~~`
/// groups, and `🚨 Error: The command exited with status 1`.
#[test]
fn buildkite_real_log() {
    let (roles, verdict) = corpus("buildkite-terminal-to-html/buildah-build-userns-fail");
    assert_eq!(role(&roles, 43), Role::Output { new_step: true });
    assert_eq!(role(&roles, 313), Role::Output { new_step: false });
    assert_eq!(role(&roles, 315), Role::FailureMarker);
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(1),
            line: Some(315)
        })
    );
}

/// Zuul v2.5 (zuul), Taskcluster and Buildbot (treeherder): each says how
/// the job ended in its own words.
#[test]
fn zuul_taskcluster_and_buildbot_real_logs() {
    let (roles, verdict) = corpus("zuul/sf-logreduce-tox-pep8-flake8");
    assert_eq!(role(&roles, 54), Role::FailureMarker);
    assert_eq!(verdict.map(|v| (v.failed, v.line)), Some((true, Some(55))));
    let (_, verdict) = corpus("zuul/sf-logreduce-tox-pass");
    assert_eq!(verdict.map(|v| (v.failed, v.line)), Some((false, Some(52))));
    let (_, verdict) = corpus("treeherder/asan-heap-use-after-free");
    assert_eq!(verdict.map(|v| (v.failed, v.code)), Some((true, Some(2))));
    let (_, verdict) = corpus("treeherder/bb-talos-slave-connection-lost");
    assert_eq!(verdict.map(|v| (v.failed, v.line)), Some((true, Some(4))));
}

/// The shapes below follow each system's documented output, and check the
/// cases the corpus does not hold (an unclosed header, a passing Jenkins
/// job that mentions a missing command).
/// hashicorp/terraform's quick-checks (tests/corpus/cidiff-gha, run114):
/// the step's script echoes `exit 1`, the failure is a compile error, and
/// post-job cleanup follows.
#[test]
fn github_actions_steps_headers_and_post() {
    let log = "\
2022-04-13T14:53:23.3223195Z ##[group]Run make fmtcheck generate staticcheck exhaustive protobuf\r
2022-04-13T14:53:23.3224386Z \u{1b}[36;1m  echo >&2 \"ERROR: Generated files are inconsistent.\"\u{1b}[0m\r
2022-04-13T14:53:23.3225024Z \u{1b}[36;1m  exit 1\u{1b}[0m\r
2022-04-13T14:53:23.3275397Z ##[endgroup]\r
2022-04-13T14:53:23.3472394Z ==> Checking that code complies with go fmt requirements...\r
2022-04-13T14:56:45.0791280Z ##[error]internal/command/cliconfig/credentials_test.go:89:4: undeclared name: os (compile)\r
2022-04-13T14:56:45.1180941Z ##[error]Process completed with exit code 2.\r
2022-04-13T14:56:45.1250000Z Post job cleanup.\r
2022-04-13T14:56:45.2961171Z Cleaning up orphan processes\r";
    let (roles, verdict) = read(log);
    assert_eq!(
        roles,
        [
            Role::Header,
            Role::Header,
            Role::Header,
            Role::Header,
            Role::Output { new_step: false },
            Role::Output { new_step: false },
            Role::FailureMarker,
            Role::Post { new_step: true },
            Role::Post { new_step: false },
        ]
    );
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(2),
            line: Some(7)
        })
    );
}

#[test]
fn github_actions_without_an_error_passed() {
    let log = "\
2022-04-12T19:19:50.0975381Z ##[group]Run go test ./...\r
2022-04-12T19:19:50.0975381Z ##[endgroup]\r
2022-04-12T19:19:52.0021774Z --- FAIL: TestFlaky (0.00s) retried\r
2022-04-12T19:19:52.0021774Z ok  \tgithub.com/hashicorp/terraform/internal/addrs\t0.02s\r
2022-04-12T19:19:53.0021774Z Post job cleanup.\r";
    let (_, verdict) = read(log);
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: false,
            aborted: false,
            code: None,
            line: None
        })
    );
}

#[test]
fn travis_command_failure_then_after_failure() {
    let log = "\
travis_time:start:0a1b\r\u{1b}[0K$ ./build.sh\r
FAIL: test_parse (tests.test_core.ParserTest)\r
travis_time:end:0a1b:start=1,finish=2,duration=1\r\u{1b}[0K\r
\u{1b}[31;1mThe command \"./build.sh\" exited with 1.\u{1b}[0m\r
travis_fold:start:after_failure.1\r\u{1b}[0K$ cat /tmp/log\r
Failed to upload artifacts: Unable to locate credentials\r
\r
Done. Your build exited with 1.\r";
    let (roles, verdict) = read(log);
    assert_eq!(roles[0], Role::Output { new_step: true });
    assert_eq!(roles[1], Role::Output { new_step: false });
    assert_eq!(roles[3], Role::FailureMarker);
    assert_eq!(roles[4], Role::Post { new_step: true });
    assert_eq!(roles[5], Role::Post { new_step: false });
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(1),
            line: Some(8)
        })
    );
}

#[test]
fn gitlab_after_script_is_post() {
    let log = "\
\u{1b}[0Ksection_start:1614865462:step_script\r\u{1b}[0K\u{1b}[0K\u{1b}[36;1mExecuting \"step_script\" stage\u{1b}[0;m
$ pytest
FAILED tests/test_a.py::test_b - AssertionError
section_end:1614865470:step_script\r\u{1b}[0K
\u{1b}[0Ksection_start:1614865470:after_script\r\u{1b}[0K\u{1b}[0K\u{1b}[36;1mRunning after_script\u{1b}[0;m
Uploading artifacts: permission denied
\u{1b}[31;1mERROR: Job failed: exit code 1
\u{1b}[0;m";
    let (roles, verdict) = read(log);
    assert_eq!(roles[0], Role::Output { new_step: true });
    assert_eq!(roles[2], Role::Output { new_step: false });
    assert_eq!(roles[4], Role::Post { new_step: true });
    assert_eq!(roles[5], Role::Post { new_step: false });
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: true,
            aborted: false,
            code: Some(1),
            line: Some(7)
        })
    );
}

#[test]
fn jenkins_success_wins_over_error_words() {
    let log = "\
Started by timer
[workspace] $ /bin/bash /tmp/jenkins123.sh
/tmp/jenkins123.sh: line 4: bc: command not found
Finished: SUCCESS";
    let (roles, verdict) = read(log);
    assert!(roles.iter().all(|r| matches!(r, Role::Output { .. })));
    assert_eq!(
        verdict,
        Some(Verdict {
            failed: false,
            aborted: false,
            code: None,
            line: Some(4)
        })
    );
}

#[test]
fn jenkins_freestyle_failure_marker() {
    let log = "\
+ make test
make: *** [test] Error 2
Build step 'Execute shell' marked build as failure
Archiving artifacts
Finished: FAILURE";
    let (roles, verdict) = read(log);
    assert_eq!(roles[2], Role::FailureMarker);
    assert_eq!(roles[3], Role::Post { new_step: false });
    assert_eq!(verdict.map(|v| (v.failed, v.line)), Some((true, Some(5))));
}

#[test]
fn buildkite_groups_are_steps() {
    let log = "\
\u{1b}_bk;t=1633123456789\u{7}~~~ Running commands
\u{1b}_bk;t=1633123456790\u{7}--- FAIL: TestX (0.00s)
\u{1b}_bk;t=1633123456791\u{7}🚨 Error: The command exited with status 1
\u{1b}_bk;t=1633123456792\u{7}~~~ Uploading artifacts";
    let (roles, verdict) = read(log);
    assert_eq!(roles[0], Role::Output { new_step: true });
    // A group header starts a step; Go's `--- FAIL:` is output all the same.
    assert_eq!(roles[1], Role::Output { new_step: true });
    assert_eq!(roles[2], Role::FailureMarker);
    assert_eq!(roles[3], Role::Post { new_step: true });
    assert_eq!(verdict.map(|v| v.code), Some(Some(1)));
}

#[test]
fn azure_sections_and_finalize() {
    let log = "\
2021-03-04T10:00:00.1234567Z ##[section]Starting: Test
2021-03-04T10:00:01.1234567Z error TS2304: Cannot find name 'x'.
2021-03-04T10:00:02.1234567Z ##[error]Bash exited with code '2'.
2021-03-04T10:00:03.1234567Z ##[section]Starting: Finalize Job";
    let (roles, verdict) = read(log);
    assert_eq!(roles[0], Role::Output { new_step: true });
    assert_eq!(roles[2], Role::FailureMarker);
    assert_eq!(roles[3], Role::Post { new_step: true });
    assert_eq!(verdict.map(|v| v.code), Some(Some(2)));
}

#[test]
fn plain_output_reads_command_exits() {
    let (roles, verdict) = read("running\nexit status 3");
    assert!(
        roles
            .iter()
            .all(|r| matches!(r, Role::Output { new_step: false }))
    );
    assert_eq!(verdict.map(|v| (v.failed, v.code)), Some((true, Some(3))));
    assert_eq!(read("just text").1, None);
}

/// Every line a reader learns from holds one of [`MARKERS`]: over the real
/// CI logs of `tests/corpus` and the fixtures, a reader that gets the other
/// lines emptied gives every line the same role and the job the same
/// verdict.
#[test]
fn lines_without_a_marker_teach_a_reader_nothing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![root.join("tests/corpus"), root.join("tests/fixtures")];
    let mut logs = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "log") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let log = String::from_utf8_lossy(&bytes);
            let emptied: Vec<&str> = log
                .split('\n')
                .map(|line| {
                    let lower = line.to_ascii_lowercase();
                    if MARKERS
                        .iter()
                        .any(|m| lower.contains(&m.to_ascii_lowercase()))
                    {
                        line
                    } else {
                        ""
                    }
                })
                .collect();
            assert_eq!(read(&log), read(&emptied.join("\n")), "{}", path.display());
            logs += 1;
        }
    }
    assert!(logs >= 250, "{logs} logs");
}
