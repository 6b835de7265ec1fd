//! Packs and the compile cache: `augur rules`, `augur check`, `augur pack
//! lock`, `augur cache`.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum PackCommand {
    /// Write the sha256 of every component the manifest names into it, so
    /// that the pack refuses a component that changed.
    Lock(PackArg),
}

#[derive(Subcommand)]
pub(crate) enum CacheCommand {
    /// Print the cache directory (set it with AUGUR_CACHE_DIR).
    Dir,
    /// Compile every rule of a pack into the cache, so that runs start warm.
    Warm(PackArg),
    /// Remove every compiled component from the cache.
    Clear,
}

#[derive(Args)]
pub(crate) struct RulesArgs {
    #[command(flatten)]
    pub(crate) pack: PackArg,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub(crate) format: ListFormat,
}

pub(crate) fn cache(sandbox: &Sandbox, command: CacheCommand) -> Result<ExitCode, String> {
    let cache = sandbox.cache();
    let Some(dir) = cache.dir() else {
        return Err(format!(
            "the compile cache is off ({CACHE_DIR_VAR}=off, or no cache directory on this platform): \
             set {CACHE_DIR_VAR} to a directory"
        ));
    };
    let shown = escape(&dir.display().to_string()).into_owned();
    match command {
        CacheCommand::Dir => println!("{shown}"),
        CacheCommand::Clear => {
            let (files, bytes) = cache
                .clear()
                .map_err(|e| format!("{shown}: cannot clear the cache: {e}"))?;
            println!(
                "removed {files} compiled components ({}) from {shown}",
                mib(bytes)
            );
        }
        CacheCommand::Warm(pack) => {
            let pack = open_pack(sandbox, &pack, Roles::ALL)?;
            if sandbox.is_interrupted() {
                eprintln!("augur: interrupted while compiling the pack");
                return Ok(ExitCode::from(EXIT_INTERRUPTED));
            }
            for f in &pack.failures {
                eprintln!(
                    "augur: {}: {}\n  hint: {}",
                    escape(&f.rule),
                    escape(&f.message),
                    escape(&f.hint)
                );
            }
            let (files, bytes) = cache.usage();
            println!(
                "{} rules of {} ready; the cache in {shown} holds {files} compiled components ({})",
                pack.rules.len(),
                escape(&pack.source),
                mib(bytes)
            );
            if !pack.failures.is_empty() {
                return Ok(ExitCode::from(EXIT_USAGE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// What a rule of the pack reads: `snapshots`, `jobs`, `findings`.
pub(crate) fn runs_on(rule: &augur::pack::PackRule) -> Vec<&'static str> {
    let c = &rule.component;
    [
        (c.is_deriver(), "snapshots"),
        (c.is_classifier(), "jobs"),
        (c.is_correlator(), "findings"),
    ]
    .into_iter()
    .filter_map(|(plays, input)| plays.then_some(input))
    .collect()
}

pub(crate) fn check_pack(sandbox: &Sandbox, arg: &PackArg) -> Result<ExitCode, String> {
    let pack = open_pack(sandbox, arg, Roles::ALL)?;
    if sandbox.is_interrupted() {
        eprintln!("augur: interrupted while loading the pack");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let mut out = format!("pack {}\n", escape(&pack.source));
    for r in &pack.rules {
        let _ = writeln!(
            out,
            "  ✓ {} {}  runs on {}  ({})",
            escape(&r.id),
            escape(&r.info.version),
            runs_on(r).join(" and "),
            escape(&r.origin.to_string())
        );
    }
    let (optional, broken): (Vec<_>, Vec<_>) = pack.failures.iter().partition(|f| f.optional);
    for f in &broken {
        let _ = writeln!(
            out,
            "  ✗ {}\n    hint: {}",
            escape(&f.message),
            escape(&f.hint)
        );
    }
    for f in &optional {
        let _ = writeln!(
            out,
            "  ! {} (optional: the pack runs without it)\n    hint: {}",
            escape(&f.message),
            escape(&f.hint)
        );
    }
    let _ = writeln!(
        out,
        "{} rule{} would run; {} error{}",
        pack.rules.len(),
        plural(pack.rules.len()),
        broken.len(),
        plural(broken.len()),
    );
    output::emit(&out, None).map_err(|e| format!("cannot write the check: {e}"))?;
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_USAGE)
    })
}

pub(crate) fn lock_pack(arg: &PackArg) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let manifest = match &arg.pack {
        Some(path) if path.is_dir() => path.join(augur::pack::MANIFEST),
        Some(path) => path.clone(),
        None => augur::pack::discover(&cwd).ok_or(
            "no augur.toml here or in a parent directory of this repository: give --pack PATH",
        )?,
    };
    if !manifest.is_file() {
        return Err(format!(
            "{}: no manifest to lock (only an augur.toml names components by path)",
            escape(&manifest.display().to_string())
        ));
    }
    let locked = augur::lock::lock(&manifest)?;
    for l in &locked {
        let path = escape(&l.path);
        match &l.change {
            augur::lock::Change::Added(d) => println!("{path}: sha256 = {d}"),
            augur::lock::Change::Updated { from, to } => {
                println!("{path}: sha256 changed from {} to {to}", escape(from))
            }
            augur::lock::Change::Unchanged => println!("{path}: unchanged"),
        }
    }
    println!(
        "{} component{} locked in {}",
        locked.len(),
        plural(locked.len()),
        escape(&manifest.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn list_rules(sandbox: &Sandbox, args: RulesArgs) -> Result<ExitCode, String> {
    let pack = open_pack(sandbox, &args.pack, Roles::ALL)?;
    if sandbox.is_interrupted() {
        eprintln!("augur: interrupted while loading the pack");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let rules: Vec<Value> = pack
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "version": r.info.version,
                "description": r.info.description,
                "runs_on": runs_on(r),
                "kinds": r.info.kinds,
                "origin": r.origin.to_string(),
                "source": r.source,
                "config_schema": serde_json::from_str::<Value>(&r.info.config_schema).unwrap_or(Value::Null),
            })
        })
        .collect();
    let failures: Vec<Value> = pack
        .failures
        .iter()
        .map(|f| json!({"rule": f.rule, "source": f.source, "message": f.message, "hint": f.hint}))
        .collect();
    let rendered = match args.format {
        ListFormat::Json => {
            let doc =
                json!({"version": 1, "pack": pack.source, "rules": rules, "errors": failures});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).expect("serializes")
            )
        }
        ListFormat::Text => rules_text(&rules, &pack),
    };
    output::emit(&rendered, None).map_err(|e| format!("cannot write the list: {e}"))?;
    if pack.failures.iter().any(|f| !f.optional) {
        eprintln!("augur: rules of the pack could not load (listed above)");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn rules_text(rules: &[Value], pack: &Pack) -> String {
    let bold = anstyle::Style::new().bold();
    let dim = anstyle::Style::new().dimmed();
    let mut out = String::new();
    for r in rules {
        let runs_on: Vec<&str> = r["runs_on"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = writeln!(
            out,
            "{bold}{}{bold:#} {}  runs on {}  {dim}{}{dim:#}",
            escape(r["id"].as_str().unwrap_or("")),
            escape(r["version"].as_str().unwrap_or("")),
            runs_on.join(" and "),
            escape(r["origin"].as_str().unwrap_or(""))
        );
        let _ = writeln!(out, "  {}", escape(r["description"].as_str().unwrap_or("")));
        let kinds: Vec<&str> = r["kinds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = writeln!(out, "  kinds:  {}", escape(&kinds.join(", ")));
        let props = r["config_schema"]["properties"].as_object();
        let config: Vec<String> = props
            .into_iter()
            .flatten()
            .map(|(name, p)| {
                let ty = p["type"].as_str().unwrap_or("value");
                let shown = match p.get("default") {
                    Some(d) => format!("{name} ({ty}, default {d})"),
                    None => format!("{name} ({ty})"),
                };
                escape(&shown).into_owned()
            })
            .collect();
        let _ = writeln!(
            out,
            "  config: {}",
            if config.is_empty() {
                "none".to_owned()
            } else {
                config.join(", ")
            }
        );
        out.push('\n');
    }
    for f in &pack.failures {
        let _ = writeln!(
            out,
            "✗ {}: {}\n  hint: {}",
            escape(&f.rule),
            escape(&f.message),
            escape(&f.hint)
        );
    }
    out
}
