//! Helpers shared by the end-to-end tests: run the built `augur` binary and
//! read its JSON report.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::LazyLock,
};

use serde_json::Value;

pub fn augur_bin() -> &'static str {
    env!("CARGO_BIN_EXE_augur")
}

/// The compile cache every test's augur shares (tests of the cache itself
/// use their own): the suite compiles each rule once, not once per test.
pub const SHARED_CACHE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/augur-cache");

/// A command running the built `augur`, with the suite's shared compile
/// cache and no debug logging.
pub fn augur_command() -> Command {
    let mut command = Command::new(augur_bin());
    command
        .env("AUGUR_CACHE_DIR", SHARED_CACHE)
        .env_remove("AUGUR_LOG");
    command
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Paths of the test guests built by host/build.rs, by crate name.
pub fn guest(name: &str) -> PathBuf {
    augur::builtin::test_guest(name)
        .unwrap_or_else(|| panic!("no test guest `{name}`; see tests/guests/"))
}

/// A hostile rule written in WebAssembly text (`tests/guests/wat/<name>.wat`),
/// framed by `rule.wat` and wrapped into a `classifier-rule` component; the
/// path of the component, built once per test process.
pub fn wat_guest(name: &str) -> PathBuf {
    static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let path = DIR.path().join(format!("{name}.wasm"));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|b| b == name) {
        return path;
    }
    let dir = root().join("tests/guests/wat");
    let attack = std::fs::read_to_string(dir.join(format!("{name}.wat"))).unwrap();
    let (fields, body) = attack
        .split_once(";; classify\n")
        .unwrap_or_else(|| panic!("{name}.wat: no `;; classify` line"));
    // The id's length: the low byte of a little-endian u32 (rule.wat has
    // the other three).
    assert!(name.len() < 256);
    let id_len = format!("\\{:02x}", name.len());
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(root().join("wit")).unwrap();
    // The exports are named for the contract's version.
    let contract = resolve.packages[package].name.version.clone().unwrap();
    let text = std::fs::read_to_string(dir.join("rule.wat"))
        .unwrap()
        .replace("@FIELDS@", fields)
        .replace("@BODY@", body)
        .replace("@IDLEN@", &id_len)
        .replace("@ID@", name)
        .replace("@CONTRACT@", &contract.to_string());
    let mut module = wat::parse_str(&text).unwrap_or_else(|e| panic!("{name}.wat: {e}"));
    let world = resolve
        .select_world(&[package], Some("classifier-rule"))
        .unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    let component = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .and_then(|e| e.encode())
        .unwrap_or_else(|e| panic!("{name}.wat as a component: {e:#}"));
    // bench/attacks.sh measures these too: it asks for a copy.
    if let Some(out) = std::env::var_os("AUGUR_WAT_GUESTS_OUT") {
        std::fs::write(Path::new(&out).join(format!("{name}.wasm")), &component).unwrap();
    }
    std::fs::write(&path, component).unwrap();
    built.push(name.to_owned());
    path
}

pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The stdout parsed as a JSON report.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `augur` with `args` in `dir`, feeding `stdin`.
/// `<case>/<name>` of each of a built-in's own cases that has it
/// (`plugins/<rule>/tests/cases/*/output.log`, say), relative to the root,
/// sorted.
pub fn case_inputs(rule: &str, name: &str) -> Vec<String> {
    let cases = format!("plugins/{rule}/tests/cases");
    let mut found: Vec<String> = std::fs::read_dir(root().join(&cases))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|case| format!("{cases}/{case}/{name}"))
        .filter(|path| root().join(path).exists())
        .collect();
    found.sort();
    found
}

pub fn augur_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = augur_command()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running augur");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    Output {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub fn augur(args: &[&str]) -> Output {
    augur_in(&root(), args, b"")
}

/// Findings of `report` as (rule, kind, input) triples, in report order.
pub fn finding_keys(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (s(&f["rule"]), s(&f["kind"]), s(&f["input"])))
        .collect()
}

/// The stats of `rule` in a report (it must be there).
pub fn rule_stats<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["stats"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no stats of `{rule}`: {:#}", report["stats"]))
}

/// The calls `rule` made, from a report's stats.
pub fn calls(report: &Value, rule: &str) -> u64 {
    rule_stats(report, rule)["calls"].as_u64().unwrap()
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Manifest entries for the two well-behaved built-in rules that hostile
/// rules are run next to.
pub const BUILTIN_RULES: &str =
    "[[rule]]\nbuiltin = \"quality-trend\"\n\n[[rule]]\nbuiltin = \"api-errors\"\n\n";

/// Writes a pack manifest in `dir` and returns its path.
pub fn write_pack(dir: &Path, manifest: &str) -> PathBuf {
    let path = dir.join("augur.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

/// Runs `augur` with `args` at the repository root and returns its output and
/// the peak resident memory of the process, in KiB (from `wait4`).
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4 below"
)]
pub fn augur_measured(args: &[&str]) -> (Output, u64) {
    let mut child = augur_command()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running augur");
    let stdout = read_in_background(child.stdout.take().unwrap());
    let stderr = read_in_background(child.stderr.take().unwrap());
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; the child is ours
    // and is reaped only here.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(
        reaped,
        pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let output = Output {
        status: code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (output, usage.ru_maxrss as u64)
}

fn read_in_background(
    mut r: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        s
    })
}
