//! Rule packs: which rules run, with which config and limits.
//!
//! A pack is the built-in pack (no `--pack`), a manifest (`augur.toml`, or a
//! directory holding one), or a directory of component files. A rule that
//! cannot be loaded becomes a [`LoadFailure`]; the rest of the pack still runs.
//!
//! ```toml
//! [limits]                  # optional: for every rule of the pack
//! wall_time_ms = 10000
//!
//! [[rule]]
//! builtin = "quality-trend" # a built-in rule, by name ...
//! [rule.config]
//! threshold_percent = 15
//!
//! [[rule]]
//! path = "rules/custom.wasm" # ... or a component file, relative to the manifest
//! sha256 = "9f86d0..."       # optional: refuse the file unless it matches
//! on_error = "fail-closed"  # optional: a failure of this rule fails the run
//! [rule.limits]
//! fuel = 40_000_000_000
//! ```
//!
//! A top-level `on_error` sets the policy for every rule of the pack.
//!
//! `extends = "builtin"` takes every built-in rule with its defaults (and
//! the pack's `[limits]` and `on_error`), without listing them: a
//! `[[rule]]` naming a built-in (without an `id`) then replaces that
//! built-in's entry (its config, limits, policy), `exclude = ["name", ...]`
//! drops built-ins, and the other entries add rules.
//!
//! ```toml
//! extends = "builtin"
//! exclude = ["postflight"]
//!
//! [[rule]]
//! builtin = "failure-class"
//! [rule.config]
//! known_flaky = ["test_network_retry"]
//!
//! [[rule]]
//! path = "rules/custom.wasm"
//! ```

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    builtin::{self, BUILTIN_COMPONENTS},
    contract::RuleInfo,
    identity::{self, RuleSource},
    input::{self, BoundedReadError},
    limits::{Limits, LimitsOverride, WORKER_STACK_BYTES},
    sandbox::{LoadedComponent, Roles, Sandbox, roles_of},
};

/// A pack that could not be read at all (the manifest is unusable).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path}: cannot read the pack: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: not a valid pack manifest: {message}")]
    Manifest { path: String, message: String },
    #[error("{path}: neither an augur.toml manifest nor a directory of .wasm components")]
    Empty { path: String },
}

/// What a rule's failure means for the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// The error is reported and the run still succeeds (exit 0).
    #[default]
    FailOpen,
    /// The error is reported and the run fails (exit 3): for gates that must
    /// not pass because a rule could not say anything.
    FailClosed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    limits: LimitsOverride,
    #[serde(default)]
    on_error: FailurePolicy,
    /// `"builtin"`: every built-in rule is in the pack unless excluded.
    extends: Option<String>,
    /// Built-in rules left out of an `extends = "builtin"` pack.
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Spanned<RuleEntry>>,
    /// Where runs with this pack are recorded (`augur run` without
    /// `--history`).
    history: Option<crate::history::HistoryConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    /// A built-in rule by name.
    builtin: Option<String>,
    /// A component file, relative to the manifest.
    path: Option<PathBuf>,
    /// Hex sha256 the component file must have.
    sha256: Option<String>,
    /// Run the rule under this id instead of its own (to run one rule twice
    /// with two configs).
    id: Option<String>,
    #[serde(default)]
    config: toml::Table,
    #[serde(default)]
    limits: LimitsOverride,
    on_error: Option<FailurePolicy>,
    /// The pack runs without this rule when it cannot load (the error is
    /// reported, the exit status stays); otherwise such a pack fails the
    /// run with status 2.
    #[serde(default)]
    optional: bool,
}

/// Where a rule's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin(String),
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin(name) => write!(f, "builtin:{name}"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A rule ready to run.
pub struct PackRule {
    /// The id the rule runs under (its own, unless the pack renames it).
    pub id: String,
    pub origin: Origin,
    /// Where it came from, as reports say: built-in name, or path and sha256.
    pub source: RuleSource,
    pub info: RuleInfo,
    pub component: Arc<LoadedComponent>,
    /// The rule's config, a JSON object as text.
    pub config: String,
    pub limits: Limits,
    pub on_error: FailurePolicy,
    /// The manifest and the line of the rule's entry in it, for a rule a
    /// manifest names.
    pub manifest: Option<(PathBuf, u32)>,
}

/// A rule of the pack that could not be loaded.
#[derive(Debug, Clone)]
pub struct LoadFailure {
    /// The rule's id if known, else where it came from.
    pub rule: String,
    /// Where the entry came from, when known.
    pub source: Option<RuleSource>,
    pub message: String,
    pub hint: String,
    pub on_error: FailurePolicy,
    /// The manifest marks the rule optional: its failure to load does not
    /// fail the run.
    pub optional: bool,
    /// The manifest and the line of the entry, when a manifest names it.
    pub manifest: Option<(PathBuf, u32)>,
}

pub struct Pack {
    /// Where the pack came from: `builtin`, or the manifest or directory path.
    pub source: String,
    pub rules: Vec<PackRule>,
    pub failures: Vec<LoadFailure>,
}

/// One entry of a pack before loading.
pub(crate) struct Entry {
    origin: Origin,
    sha256: Option<String>,
    id: Option<String>,
    config: String,
    pub(crate) limits: Limits,
    on_error: FailurePolicy,
    /// The manifest and the line of the entry in it.
    manifest: Option<(PathBuf, u32)>,
    optional: bool,
}

impl Entry {
    fn new(origin: Origin) -> Entry {
        Entry {
            origin,
            sha256: None,
            id: None,
            config: "{}".into(),
            limits: Limits::default(),
            on_error: FailurePolicy::default(),
            manifest: None,
            optional: false,
        }
    }

    /// Whether this entry is the built-in `name` itself (not a second
    /// instance of it under its own `id`).
    fn overrides(&self, name: &str) -> bool {
        self.id.is_none() && matches!(&self.origin, Origin::Builtin(b) if b == name)
    }

    /// The entry's failure to load: the message starts with where the entry
    /// is written (`augur.toml:12: `) when a manifest names it.
    fn failure(
        &self,
        rule: String,
        source: RuleSource,
        message: String,
        hint: String,
    ) -> LoadFailure {
        let message = match &self.manifest {
            Some((path, line)) => format!("{}:{line}: {message}", path.display()),
            None => message,
        };
        LoadFailure {
            rule,
            source: Some(source),
            message,
            hint,
            on_error: self.on_error,
            optional: self.optional,
            manifest: self.manifest.clone(),
        }
    }
}

/// The manifest a run uses when no `--pack` is given: `augur.toml` in `dir`
/// or the nearest parent that has one, not looking past the repository's
/// root (the first directory up holding `.git`).
pub fn discover(dir: &Path) -> Option<PathBuf> {
    for d in dir.ancestors() {
        let manifest = d.join(MANIFEST);
        if manifest.is_file() {
            return Some(manifest);
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// A pack's manifest file name.
pub const MANIFEST: &str = "augur.toml";

impl Pack {
    /// The built-in pack: every built-in rule with its default config, of
    /// those that play one of the `needed` roles.
    pub fn builtin(sandbox: &Sandbox, needed: Roles) -> Pack {
        let entries = BUILTIN_COMPONENTS
            .iter()
            .map(|b| Entry::new(Origin::Builtin(b.name.to_owned())))
            .collect();
        Pack::from_entries(sandbox, "builtin".into(), entries, needed)
    }

    /// A pack of one rule, with `config` (a JSON object as text) and the
    /// default limits: the rule as a pack would run it (`augur test`).
    pub fn single(sandbox: &Sandbox, origin: Origin, config: String) -> Pack {
        let source = origin.to_string();
        let mut entry = Entry::new(origin);
        entry.config = config;
        Pack::from_entries(sandbox, source, vec![entry], Roles::ALL)
    }

    /// A pack from a manifest file, a directory holding `augur.toml`, or a
    /// directory of `.wasm` components: the rules of it that play one of the
    /// `needed` roles (a run loads only the rules that have inputs; a rule
    /// whose roles cannot be read is loaded, to say what is wrong with it).
    pub fn open(sandbox: &Sandbox, path: &Path, needed: Roles) -> Result<Pack, PackError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(PackError::Missing { path: shown });
        }
        if path.is_file() {
            return Pack::from_manifest(sandbox, path, needed);
        }
        let manifest = path.join(MANIFEST);
        if manifest.is_file() {
            return Pack::from_manifest(sandbox, &manifest, needed);
        }
        let mut components: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| PackError::Unreadable {
                path: shown.clone(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        if components.is_empty() {
            return Err(PackError::Empty { path: shown });
        }
        components.sort();
        let entries = components
            .into_iter()
            .map(|p| Entry::new(Origin::File(p)))
            .collect();
        Ok(Pack::from_entries(sandbox, shown, entries, needed))
    }

    fn from_manifest(sandbox: &Sandbox, path: &Path, needed: Roles) -> Result<Pack, PackError> {
        let shown = path.display().to_string();
        let text = fs::read_to_string(path).map_err(|e| PackError::Unreadable {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let entries = parse_manifest(path, &text)?;
        Ok(Pack::from_entries(sandbox, shown, entries, needed))
    }

    fn from_entries(sandbox: &Sandbox, source: String, entries: Vec<Entry>, needed: Roles) -> Pack {
        let mut pack = Pack {
            source,
            rules: Vec::new(),
            failures: Vec::new(),
        };
        let results = load_entries(sandbox, &entries, needed);
        let mut loaded = Vec::new();
        for (entry, result) in entries.into_iter().zip(results) {
            match result {
                // Ctrl-C while loading: stop here; the run reports the
                // interruption.
                None => break,
                Some(Ok(Some((component, info, source)))) => {
                    loaded.push((entry, component, info, source))
                }
                // Nothing to do in this run.
                Some(Ok(None)) => {}
                // Cut short by Ctrl-C: not the entry's fault.
                Some(Err(_)) if sandbox.is_interrupted() => break,
                Some(Err(failure)) => pack.failures.push(failure),
            }
        }
        // Identity: each id checked, and every id claimed by one entry only,
        // whatever the order of the entries.
        let mut checked = Vec::new();
        for (entry, component, info, source) in loaded {
            let id = entry.id.clone().unwrap_or_else(|| info.id.clone());
            let checked_entry = check_identity(&entry.origin, &id, &info)
                .and_then(|()| check_config(&id, &info, &entry.config));
            match checked_entry {
                Ok(()) => checked.push((id, entry, component, info, source)),
                Err((message, hint)) => pack.failures.push(entry.failure(
                    entry.origin.to_string(),
                    source,
                    format!("{}: {message}", entry.origin),
                    hint,
                )),
            }
        }
        let mut claims: HashMap<String, Vec<String>> = HashMap::new();
        for (id, entry, ..) in &checked {
            claims
                .entry(id.clone())
                .or_default()
                .push(entry.origin.to_string());
        }
        for (id, entry, component, info, source) in checked {
            let claimants = &claims[&id];
            if claimants.len() > 1 {
                pack.failures.push(entry.failure(
                    id.clone(),
                    source,
                    format!(
                        "{}: the id `{id}` is claimed by {} entries of the pack ({}); a rule's id must be its own, \
                         so none of them runs",
                        entry.origin,
                        claimants.len(),
                        claimants.join(", ")
                    ),
                    "give each of these entries its own `id = \"...\"` in the manifest".into(),
                ));
                continue;
            }
            pack.rules.push(PackRule {
                id,
                origin: entry.origin,
                source,
                info,
                component,
                config: entry.config,
                limits: entry.limits,
                on_error: entry.on_error,
                manifest: entry.manifest,
            });
        }
        // In the manifest's order, whatever stage refused each.
        pack.failures
            .sort_by_key(|f| f.manifest.as_ref().map(|(_, line)| *line));
        pack
    }
}

/// A history store and how to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySpec {
    /// A SQLite file or a `postgres://` URL.
    pub spec: String,
    pub settings: crate::history::Settings,
}

/// The `[history]` of the manifest at `path`, its file relative to the
/// manifest; `None` when it has none (or names no store).
pub fn history_of(path: &Path) -> Result<Option<HistorySpec>, PackError> {
    let shown = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|e| PackError::Unreadable {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let manifest: Manifest = toml::from_str(&text).map_err(|e| PackError::Manifest {
        path: shown,
        message: e.to_string(),
    })?;
    let Some(config) = manifest.history else {
        return Ok(None);
    };
    let Some(spec) = config.path.clone() else {
        return Ok(None);
    };
    let spec = if crate::history::is_postgres(&spec) || Path::new(&spec).is_absolute() {
        spec
    } else {
        path.parent()
            .unwrap_or(Path::new("."))
            .join(&spec)
            .display()
            .to_string()
    };
    Ok(Some(HistorySpec {
        spec,
        settings: config.settings(),
    }))
}

/// The entries of a manifest (`path` is where it was read, for messages and
/// relative component paths): checked, not yet loaded.
pub(crate) fn parse_manifest(path: &Path, text: &str) -> Result<Vec<Entry>, PackError> {
    let shown = path.display().to_string();
    let manifest: Manifest = toml::from_str(text).map_err(|e| PackError::Manifest {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let pack_limits = Limits::default().with(&manifest.limits);
    pack_limits.validate().map_err(|m| PackError::Manifest {
        path: shown.clone(),
        message: format!("[limits]: {m}"),
    })?;
    let extends_builtin = match manifest.extends.as_deref() {
        None => false,
        Some("builtin") => true,
        Some(other) => {
            return Err(PackError::Manifest {
                path: shown,
                message: format!(
                    "`extends = \"{other}\"`: a pack can extend only \"builtin\", the built-in pack"
                ),
            });
        }
    };
    let known: Vec<&str> = BUILTIN_COMPONENTS.iter().map(|b| b.name).collect();
    if !manifest.exclude.is_empty() && !extends_builtin {
        return Err(PackError::Manifest {
            path: shown,
            message: "`exclude` drops rules of the built-in pack: it needs `extends = \"builtin\"`"
                .into(),
        });
    }
    if let Some(unknown) = manifest
        .exclude
        .iter()
        .find(|n| !known.contains(&n.as_str()))
    {
        return Err(PackError::Manifest {
            path: shown,
            message: format!(
                "`exclude` names `{unknown}`, which is not a built-in rule; the built-in rules are: {}",
                known.join(", ")
            ),
        });
    }
    let mut entries = Vec::new();
    for (i, spanned) in manifest.rules.into_iter().enumerate() {
        let n = i + 1;
        let line = text[..spanned.span().start.min(text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1;
        let rule = spanned.into_inner();
        let origin = match (rule.builtin, rule.path) {
            (Some(name), None) => Origin::Builtin(name),
            (None, Some(p)) => Origin::File(base.join(p)),
            _ => {
                return Err(PackError::Manifest {
                    path: shown,
                    message: format!(
                        "rule #{n}: give exactly one of `builtin = \"<name>\"` or `path = \"<file.wasm>\"`"
                    ),
                });
            }
        };
        if let Some(sha) = &rule.sha256
            && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(PackError::Manifest {
                path: shown,
                message: format!(
                    "line {line}: rule #{n}: `sha256 = \"{sha}\"` is not a sha256: one is 64 hexadecimal digits \
                     (this has {} characters{}); `sha256sum FILE` prints it",
                    sha.chars().count(),
                    if sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                        ""
                    } else {
                        ", not all hexadecimal"
                    }
                ),
            });
        }
        let config = serde_json::to_string(&rule.config).map_err(|e| PackError::Manifest {
            path: shown.clone(),
            message: format!("rule #{n}: config cannot be passed to the rule as JSON: {e}"),
        })?;
        let limits = pack_limits.with(&rule.limits);
        limits.validate().map_err(|m| PackError::Manifest {
            path: shown.clone(),
            message: format!("rule #{n}: [rule.limits]: {m}"),
        })?;
        entries.push(Entry {
            origin,
            sha256: rule.sha256,
            id: rule.id,
            config,
            limits,
            on_error: rule.on_error.unwrap_or(manifest.on_error),
            manifest: Some((path.to_owned(), u32::try_from(line).unwrap_or(u32::MAX))),
            optional: rule.optional,
        });
    }
    if extends_builtin {
        // The built-ins first, in their order: each the manifest's entry for
        // it when there is one (named without an `id`), else its defaults.
        let mut inherited = Vec::new();
        for name in known {
            if manifest.exclude.iter().any(|e| e == name) {
                if let Some(e) = entries.iter().find(|e| e.overrides(name)) {
                    return Err(PackError::Manifest {
                        path: shown,
                        message: format!(
                            "line {}: the built-in `{name}` is both excluded and configured: remove one",
                            e.manifest.as_ref().map_or(0, |m| m.1)
                        ),
                    });
                }
                continue;
            }
            match entries.iter().position(|e| e.overrides(name)) {
                Some(i) => inherited.push(entries.remove(i)),
                None => {
                    let mut entry = Entry::new(Origin::Builtin(name.to_owned()));
                    entry.limits = pack_limits;
                    entry.on_error = manifest.on_error;
                    inherited.push(entry);
                }
            }
        }
        inherited.append(&mut entries);
        entries = inherited;
    }
    Ok(entries)
}

/// A loaded entry, or `None` when it plays none of the `needed` roles.
type Loaded = Option<(Arc<LoadedComponent>, RuleInfo, RuleSource)>;

/// Loads every entry, on every core: compiling is most of a cold start, and
/// a rule's `setup` runs on one thread while another rule compiles. A
/// component is compiled once per engine, however many entries use it
/// (unless two of them start loading it at the same moment). The results
/// are in the entries' order; `None` for an entry not started because the
/// run was interrupted.
fn load_entries(
    sandbox: &Sandbox,
    entries: &[Entry],
    needed: Roles,
) -> Vec<Option<Result<Loaded, LoadFailure>>> {
    let compiled = Mutex::new(HashMap::new());
    let results: Vec<Mutex<Option<Result<Loaded, LoadFailure>>>> =
        entries.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= entries.len() || sandbox.is_interrupted() {
                break;
            }
            let result = load_entry(sandbox, &entries[i], needed, &compiled);
            *results[i].lock().unwrap() = Some(result);
        }
    };
    let helpers = crate::run::RunOptions::all_cores()
        .min(entries.len())
        .saturating_sub(1);
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            // A rule's `info` runs wasm on the thread that loads it.
            let spawned = std::thread::Builder::new()
                .name("augur-load".into())
                .stack_size(WORKER_STACK_BYTES)
                .spawn_scoped(scope, work);
            if let Err(e) = spawned {
                tracing::debug!("loading on fewer threads: {e}");
                break;
            }
        }
        work();
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap())
        .collect()
}

#[allow(
    clippy::result_large_err,
    reason = "one call per pack entry, when the pack loads: not worth a box"
)]
fn load_entry(
    sandbox: &Sandbox,
    entry: &Entry,
    needed: Roles,
    compiled: &Mutex<HashMap<CompileKey, Arc<LoadedComponent>>>,
) -> Result<Loaded, LoadFailure> {
    let name = entry.id.clone().unwrap_or_else(|| entry.origin.to_string());
    let mut source = match &entry.origin {
        Origin::Builtin(name) => RuleSource::Builtin {
            builtin: name.clone(),
        },
        Origin::File(path) => RuleSource::File {
            path: path.display().to_string(),
            sha256: None,
        },
    };
    let fail = |message: String, hint: &str, source: &RuleSource| {
        entry.failure(name.clone(), source.clone(), message, hint.to_owned())
    };
    let (bytes, digest): (std::borrow::Cow<'static, [u8]>, [u8; 32]) = match &entry.origin {
        Origin::Builtin(name) => match builtin::find(name) {
            Some(b) => (b.bytes.into(), b.sha256),
            None => {
                let known: Vec<&str> = BUILTIN_COMPONENTS.iter().map(|b| b.name).collect();
                let builtin = name;
                return Err(fail(
                    format!("no built-in rule named `{builtin}`"),
                    &format!("the built-in rules are: {}", known.join(", ")),
                    &source,
                ));
            }
        },
        Origin::File(path) => {
            let bytes =
                read_component(path, entry.limits.component_bytes()).map_err(|message| {
                    fail(
                        format!("{}: {message}", path.display()),
                        "check the rule's `path` in the manifest (or raise `component_mib`)",
                        &source,
                    )
                })?;
            let digest = Sha256::digest(&bytes).into();
            (bytes.into(), digest)
        }
    };
    if let RuleSource::File { sha256, .. } = &mut source {
        *sha256 = Some(hex(&digest));
    }
    if let Some(expected) = &entry.sha256 {
        let actual = hex(&digest);
        if !expected.eq_ignore_ascii_case(&actual) {
            return Err(fail(
                format!(
                    "{}: sha256 is {actual}, but the manifest requires {expected}",
                    entry.origin
                ),
                "the file changed since the pack was written: check where it came from, then update `sha256`",
                &source,
            ));
        }
    }
    if roles_of(&bytes).is_some_and(|roles| roles.idle_in(needed)) {
        return Ok(None);
    }
    // One compile serves the entries that share the engine it is made for:
    // the same wasm stack, and instances from the pool or not.
    let key = (
        digest,
        entry.limits.stack_kib,
        crate::pool::usable(&entry.limits),
    );
    let known = compiled.lock().unwrap().get(&key).cloned();
    let component = match known {
        Some(c) => c,
        // Two entries of one component loading at once may both compile
        // it; the cache keeps one copy.
        None => {
            let (c, provenance) = sandbox
                .load_with_digest(&bytes, &digest, &entry.limits)
                .map_err(|e| fail(format!("{}: {e}", entry.origin), &e.hint(), &source))?;
            tracing::debug!(rule = %entry.origin, ?provenance, "loaded");
            let c = Arc::new(c);
            compiled.lock().unwrap().insert(key, c.clone());
            c
        }
    };
    let info = sandbox.info(&component, &entry.limits).map_err(|e| {
        fail(
            format!("{}: asking the rule for its info failed: {e}", entry.origin),
            &e.hint(),
            &source,
        )
    })?;
    Ok(Some((component, info, source)))
}

/// What one compile of a component serves: its sha256, the wasm stack
/// (`stack_kib`), and whether its instances may come from the pool.
type CompileKey = ([u8; 32], u64, bool);

/// Reads a component file: a regular file (a FIFO or a device would block or
/// never end) of at most `max_bytes`.
pub(crate) fn read_component(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    input::read_regular_file(path, max_bytes).map_err(|e| match e {
        BoundedReadError::Io(e) => format!("cannot read the component: {e}"),
        BoundedReadError::NotAFile => "not a regular file: a component must be a .wasm file".into(),
        BoundedReadError::TooBig(len) => format!(
            "the component is {len} bytes, over `component_mib` ({} MiB)",
            max_bytes >> 20
        ),
    })
}

/// Checks the id an entry would run under, and what its rule says about
/// itself: a refusal's message and hint.
fn check_identity(origin: &Origin, id: &str, info: &RuleInfo) -> Result<(), (String, String)> {
    identity::check_id(id).map_err(|m| {
        (
            m,
            "a rule's id is kebab-case (`my-rule`): fix the rule's ID, or give the entry `id = \"...\"` \
             in the manifest"
                .to_owned(),
        )
    })?;
    identity::check_info(info).map_err(|m| {
        (
            format!("what the rule says about itself is refused: {m}"),
            "fix what the rule declares (ID, VERSION, KINDS, DESCRIPTION, Config); docs/limits.md gives the bounds".to_owned(),
        )
    })?;
    let builtin_name = builtin::find(id).is_some();
    let is_that_builtin = matches!(origin, Origin::Builtin(name) if name == id);
    if builtin_name && !is_that_builtin {
        return Err((
            format!(
                "takes the id `{id}` of a built-in rule; only the built-in may report as `{id}`, so this \
                 entry does not run"
            ),
            "give the entry its own `id = \"...\"` in the manifest (or rename the rule)".to_owned(),
        ));
    }
    Ok(())
}

/// Checks the config a pack gives a rule against the JSON Schema the rule
/// declares, when the pack loads: a typo in a field's name or a value of
/// the wrong type is found once, before any input is read, instead of
/// failing every call. A rule whose schema cannot be used is not refused
/// for it: the rule still checks its config at each call.
fn check_config(id: &str, info: &RuleInfo, config: &str) -> Result<(), (String, String)> {
    let Ok(schema) = serde_json::from_str::<serde_json::Value>(&info.config_schema) else {
        return Ok(());
    };
    let Ok(validator) = jsonschema::validator_for(&schema) else {
        tracing::debug!(
            rule = id,
            "the rule's config schema cannot be compiled; not checked"
        );
        return Ok(());
    };
    let config: serde_json::Value = serde_json::from_str(config).unwrap_or_default();
    let problems: Vec<String> = validator
        .iter_errors(&config)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() {
                "the config".to_owned()
            } else {
                format!("config `{}`", &at[1..].replace('/', "."))
            };
            format!("{at}: {e}")
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let fields: Vec<&str> = schema["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    Err((
        format!(
            "its [rule.config] does not fit the rule `{id}`: {}",
            problems.join("; ")
        ),
        if fields.is_empty() {
            format!("`{id}` takes no config: remove [rule.config] (see `augur rules`)")
        } else {
            format!(
                "fix [rule.config]: `{id}` takes {} (`augur rules` shows each with its type and default)",
                fields.join(", ")
            )
        },
    ))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
