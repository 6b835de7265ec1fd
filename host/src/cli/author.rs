//! Writing a rule: `augur new` and `augur test`.

use crate::*;

#[derive(Args)]
pub(crate) struct NewArgs {
    /// The rule's id, kebab-case (`my-rule`): also the crate's name.
    #[arg(value_name = "NAME")]
    pub(crate) name: String,
    #[arg(long, value_enum, default_value_t = augur::scaffold::RuleKind::Classifier)]
    pub(crate) kind: augur::scaffold::RuleKind,
    /// Where to write the crate. Default: ./NAME.
    #[arg(long, value_name = "DIR")]
    pub(crate) path: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct TestArgs {
    /// The rule's folder: a crate, and its tests/cases/.
    #[arg(default_value = ".", value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Test this component instead of building DIR.
    #[arg(long, value_name = "FILE", conflicts_with = "builtin")]
    pub(crate) component: Option<PathBuf>,
    /// Test this built-in rule instead of building DIR.
    #[arg(long, value_name = "NAME")]
    pub(crate) builtin: Option<String>,
    /// Record what the rule does (findings and fuel) as each case's
    /// expected.json.
    #[arg(long)]
    pub(crate) accept: bool,
    /// Percent of its recorded fuel a case may use beyond it before it fails.
    #[arg(long, value_name = "PERCENT", default_value_t = augur::rule_test::DEFAULT_FUEL_TOLERANCE)]
    pub(crate) fuel_tolerance: f64,
    /// The clock the rule reads (RFC 3339). Default: 2026-01-01T00:00:00Z,
    /// so that cases repeat exactly.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub(crate) now: Option<std::time::SystemTime>,
}

/// The clock of `augur test` when `--now` is not given.
pub(crate) const TEST_NOW: &str = "2026-01-01T00:00:00Z";

pub(crate) fn test_rule(sandbox: &Sandbox, args: &TestArgs) -> Result<ExitCode, String> {
    use augur::{pack::Origin, rule_test};
    let origin = match (&args.component, &args.builtin) {
        (Some(file), _) => Origin::File(file.clone()),
        (None, Some(name)) => Origin::Builtin(name.clone()),
        (None, None) => Origin::File(build_rule(&args.dir)?),
    };
    let options = rule_test::TestOptions {
        accept: args.accept,
        fuel_tolerance: args.fuel_tolerance,
    };
    let results = rule_test::run_cases(sandbox, &origin, &args.dir, &options)?;
    output::emit(&rule_test::render(&results, args.accept), None)
        .map_err(|e| format!("cannot write the results: {e}"))?;
    Ok(if results.iter().all(|r| r.failures.is_empty()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// Builds the rule crate in `dir` for `wasm32-wasip2` (release) and returns
/// the component cargo reports.
pub(crate) fn build_rule(dir: &std::path::Path) -> Result<PathBuf, String> {
    let shown = escape(&dir.display().to_string()).into_owned();
    if !dir.join("Cargo.toml").is_file() {
        return Err(format!(
            "{shown}: no Cargo.toml to build; give the rule's crate folder, or --component FILE"
        ));
    }
    eprintln!("augur: building {shown} for wasm32-wasip2");
    let out =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(dir)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown}: the build failed (see above); `rustup target add wasm32-wasip2` if the target is missing"
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
        })
        .rfind(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| format!("{shown}: the build made no .wasm (is the crate a `cdylib`?)"))
}

pub(crate) fn new_rule(args: &NewArgs) -> Result<ExitCode, String> {
    let dir = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    let files = augur::scaffold::new_rule(&args.name, args.kind, &dir)?;
    let shown = escape(&dir.display().to_string()).into_owned();
    println!(
        "wrote {} files in {shown}\n\nnext:\n  cd {shown}\n  cargo test      # the rule's unit tests\n  augur test --accept   # build it, record its case\n  augur test      # build it, run its cases in the sandbox",
        files.len()
    );
    Ok(ExitCode::SUCCESS)
}
