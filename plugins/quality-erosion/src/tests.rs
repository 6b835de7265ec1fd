use super::*;

const DIFF: &str = "\
I will silence the linter for now.
diff --git a/src/app/models.py b/src/app/models.py
index 3f1c2aa..9b0d4e1 100644
--- a/src/app/models.py
+++ b/src/app/models.py
@@ -10,7 +10,9 @@ class User:
     def save(self):
-        self.db.write(self)
+        self.db.write(self)  # type: ignore
+        import os  # noqa: F401
         return True
+# noqa is mentioned in this added comment line too  # NOQA
diff --git a/src/app/views.py b/src/app/views.py
--- a/src/app/views.py
+++ b/src/app/views.py
@@ -1,3 +1,4 @@
 def handler(request):
-    return render(request)
+    pass
+    pass  # TODO
 
";

fn run(text: &str, config: &Config) -> Vec<Finding> {
    QualityErosion::classify(&Job::from_text("agent.log", text), config).unwrap()
}

#[test]
fn counts_suppressions_in_added_lines_per_kind_and_file() {
    let findings = run(DIFF, &Config::default());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.kind, SUPPRESSIONS);
    assert_eq!(f.data["total"], 5);
    assert_eq!(
        f.data["counts"],
        json!({"noqa": 2, "type_ignore": 1, "bare_pass": 2})
    );
    assert_eq!(
        f.data["files"]["src/app/views.py"],
        json!({"noqa": 0, "type_ignore": 0, "bare_pass": 2})
    );
    let cited: Vec<&str> = f.evidence.iter().map(|e| e.locator.as_str()).collect();
    assert_eq!(cited, ["L9", "L10", "L12", "L19", "L20"]);
}

#[test]
fn removed_and_context_lines_and_lines_outside_diffs_do_not_count() {
    let log = "\
+ echo 'pass'
pass
--- a/x.py
+++ b/x.py
@@ -1,3 +1,3 @@
-    pass  # noqa
-    x = 1  # type: ignore
     y = 2  # noqa
+    z = 3
Ran 3 tests
+    pass
";
    assert!(run(log, &Config::default()).is_empty());
}

#[test]
fn below_the_threshold_is_quiet_and_the_threshold_is_configurable() {
    let log = "--- a/x.py\n+++ b/x.py\n@@ -1 +1,2 @@\n+a = 1  # noqa\n+    pass\n";
    assert!(run(log, &Config::default()).is_empty());
    let config = Config {
        min_suppressions: 2,
        ..Config::default()
    };
    assert_eq!(run(log, &config).len(), 1);
}

#[test]
fn files_outside_allowed_paths_are_a_scope_violation() {
    let log = format!(
        "{DIFF}diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\n--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n@@ -1 +1 @@\n-a\n+b\n\
         diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    );
    let config = Config {
        allowed_paths: vec!["src/app/*.py".into(), "docs/**".into()],
        ..Config::default()
    };
    let findings = run(&log, &config);
    let scope = findings
        .iter()
        .find(|f| f.kind == SCOPE)
        .expect("a scope finding");
    assert_eq!(
        scope.data["files"],
        json!([".github/workflows/ci.yml", "old.py"])
    );
    assert!(
        scope.message.contains(".github/workflows/ci.yml, old.py"),
        "{}",
        scope.message
    );
    assert_eq!(scope.evidence[0].locator, "L24");
    // `*` does not cross a `/`.
    let config = Config {
        allowed_paths: vec!["src/*.py".into()],
        ..Config::default()
    };
    let scope = run(DIFF, &config)
        .into_iter()
        .find(|f| f.kind == SCOPE)
        .unwrap();
    assert_eq!(
        scope.data["files"],
        json!(["src/app/models.py", "src/app/views.py"])
    );
}

#[test]
fn a_bad_glob_is_a_config_error_naming_it() {
    let config = Config {
        allowed_paths: vec!["src/**".into(), "src/[".into()],
        ..Config::default()
    };
    let err = QualityErosion::classify(&Job::from_text("a.log", DIFF), &config).unwrap_err();
    assert!(
        matches!(&err, RuleError::InvalidConfig(m) if m.contains("allowed_paths[1]")),
        "{err}"
    );
}

#[test]
fn windows_give_the_same_findings_as_a_whole_log() {
    let log = "noise line\n".repeat(30) + DIFF + &"more noise\n".repeat(30);
    let job = Job::from_text("agent.log", &log);
    let config = Config {
        allowed_paths: vec!["src/app/models.py".into()],
        ..Config::default()
    };
    let whole = augur_sdk::scan_whole::<QualityErosion>(&job, &config).unwrap();
    assert_eq!(whole.len(), 2);
    for overlap in [0, 4] {
        let windowed =
            augur_sdk::scan_in_windows::<QualityErosion>(&job, &config, 64, overlap).unwrap();
        assert_eq!(windowed, whole);
    }
}
