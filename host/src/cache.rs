//! The compile cache: components compiled to native code once, kept on
//! disk, and loaded in a few milliseconds by every later run.
//!
//! An entry is keyed by the component's sha256 and by the engine's
//! compatibility hash (wasmtime's version, the engine's settings, the target
//! and the CPU features cranelift compiled for), so a change to any of them
//! misses and recompiles. Each file is written to a temporary name and
//! renamed into place, so a reader never sees half an entry and several
//! augur processes may fill the cache at once; the last rename wins, and all
//! of them wrote the same bytes. An entry's name carries a checksum of what
//! it holds; one that fails it (a torn copy, a disk error, a truncated restore
//! of a CI cache) is removed and the component compiled again. A sound entry
//! is mapped, not copied, into memory.
//!
//! The cache holds native code that augur runs: it is trusted like the
//! `augur` binary. Keep it in a directory only you (or your CI job) can
//! write. Where it is: `$AUGUR_CACHE_DIR`, else the platform's cache
//! directory (`$XDG_CACHE_HOME/augur` or `~/.cache/augur` on Linux,
//! `~/Library/Caches/augur` on macOS); `AUGUR_CACHE_DIR=off` turns it off.

use std::{
    fs,
    hash::{Hash, Hasher},
    io::Write,
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
};

use wasmtime::{Engine, component::Component};

/// The environment variable naming the cache directory (`off`: no cache).
pub const CACHE_DIR_VAR: &str = "AUGUR_CACHE_DIR";

/// Entries live in a folder named for the layout, so that a future layout
/// never reads this one's files.
const LAYOUT: &str = "components-v2";

/// Where compiled components are kept, if anywhere.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
    /// A failure to write is said once per process, not once per rule.
    warned: std::sync::Arc<AtomicBool>,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Loaded from the cache.
    Cached,
    /// Compiled now (and stored, when the cache is on).
    Compiled,
}

impl CompileCache {
    /// No cache: every component is compiled when loaded.
    pub fn off() -> CompileCache {
        CompileCache {
            dir: None,
            warned: Default::default(),
        }
    }

    /// A cache in `dir` (created when first written).
    pub fn at(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache {
            dir: Some(dir.into()),
            warned: Default::default(),
        }
    }

    /// The cache the environment asks for: `$AUGUR_CACHE_DIR` (`off` for
    /// none), else `augur` in the platform's cache directory, else none.
    pub fn from_env() -> CompileCache {
        match std::env::var_os(CACHE_DIR_VAR) {
            Some(v) if v == "off" => CompileCache::off(),
            Some(v) if !v.is_empty() => CompileCache::at(v),
            _ => match dirs::cache_dir() {
                Some(base) => CompileCache::at(base.join("augur")),
                None => CompileCache::off(),
            },
        }
    }

    /// The cache directory, when the cache is on.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn entries_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(LAYOUT))
    }

    /// The component with sha256 `digest`, compiled for `engine`: from the
    /// cache when it holds a sound entry, else by `compile` (whose result is
    /// then stored).
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        pooled: bool,
        digest: &[u8; 32],
        compile: impl FnOnce() -> Result<wasmtime::Result<Component>, crate::sandbox::LoadError>,
    ) -> Result<(wasmtime::Result<Component>, Provenance), crate::sandbox::LoadError> {
        let Some(dir) = self.entries_dir() else {
            return Ok((compile()?, Provenance::Compiled));
        };
        let prefix = entry_prefix(engine, pooled, digest);
        if let Some(component) = load_entry(engine, &dir, &prefix) {
            return Ok((Ok(component), Provenance::Cached));
        }
        let compiled = compile()?;
        if let Ok(component) = &compiled
            && let Err(e) = store_entry(&dir, &prefix, component)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "augur: warning: cannot write the compile cache in {}: {e}; rules are compiled at \
                 every start (set {CACHE_DIR_VAR} to a writable directory, or to `off`)",
                crate::sanitize::escape(&dir.display().to_string())
            );
        }
        Ok((compiled, Provenance::Compiled))
    }

    /// Removes every entry; returns how many files and bytes went.
    pub fn clear(&self) -> std::io::Result<(u64, u64)> {
        let Some(dir) = self.entries_dir() else {
            return Ok((0, 0));
        };
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
            Err(e) => return Err(e),
        };
        let (mut files, mut bytes) = (0, 0);
        for entry in entries {
            let entry = entry?;
            // Only what the cache writes: entries and leftover temporary files.
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.ends_with(".cwasm") || name.starts_with(".tmp")) {
                continue;
            }
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            fs::remove_file(entry.path())?;
            files += 1;
            bytes += len;
        }
        Ok((files, bytes))
    }

    /// How many entries the cache holds, and their bytes.
    pub fn usage(&self) -> (u64, u64) {
        let Some(dir) = self.entries_dir() else {
            return (0, 0);
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return (0, 0);
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".cwasm"))
            .fold((0, 0), |(n, b), e| {
                (n + 1, b + e.metadata().map(|m| m.len()).unwrap_or(0))
            })
    }
}

/// What decides whether an entry serves this augur: wasmtime's compatibility
/// hash (its version, the engine's settings, the target, the CPU features),
/// whether the engine's instances come from the pool (a component that does
/// not fit the pool is refused there, so it is kept apart), and augur's
/// version, as a rule's `setup` ran in this augur's sandbox.
pub fn engine_key(engine: &Engine, pooled: bool) -> u64 {
    // SipHash with fixed keys: the same on every run of this build.
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    pooled.hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    crate::contract::CONTRACT_VERSION.hash(&mut hasher);
    hasher.finish()
}

/// The start of the file names of `digest` compiled for `engine`; the rest
/// of a name is the CRC-32 of the file's contents.
fn entry_prefix(engine: &Engine, pooled: bool, digest: &[u8; 32]) -> String {
    format!(
        "{}-{:016x}-",
        crate::pack::hex(digest),
        engine_key(engine, pooled)
    )
}

/// The entries of `dir` whose names start with `prefix`, with the checksum
/// each name gives (`None`: the name is not an entry's).
fn entries_named(dir: &Path, prefix: &str) -> Vec<(PathBuf, Option<u32>)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let crc = name.strip_prefix(prefix)?.strip_suffix(".cwasm")?;
            Some((e.path(), u32::from_str_radix(crc, 16).ok()))
        })
        .collect()
}

/// A sound entry named for `prefix`, mapped for `engine`; `None` when there
/// is none, and when it is unsound (then it is removed, to be written again).
fn load_entry(engine: &Engine, dir: &Path, prefix: &str) -> Option<Component> {
    let mut found = None;
    for (path, crc) in entries_named(dir, prefix) {
        let checked = match crc {
            Some(crc) => check_entry(&path, crc),
            None => Err("not an entry's name".into()),
        };
        match checked {
            Ok(()) if found.is_none() => found = Some(path),
            Ok(()) => {}
            Err(why) => {
                tracing::warn!(path = %path.display(), "compile cache entry unsound: {why}");
                let _ = fs::remove_file(&path);
            }
        }
    }
    let path = found?;
    // SAFETY: the file is what `Component::serialize` wrote for an engine
    // with this compatibility hash (its name says so, and wasmtime checks it
    // again), and its checksum holds, so it is the code wasmtime compiled,
    // unchanged. The cache directory is trusted like the augur binary (see
    // the module docs): nothing else writes it while augur maps it.
    match unsafe { Component::deserialize_file(engine, &path) } {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::warn!(path = %path.display(), "compile cache entry refused: {e:#}");
            let _ = fs::remove_file(&path);
            None
        }
    }
}

/// Whether the file at `path` has the CRC-32 `expected`. The file is mapped,
/// not read: its pages come from the page cache, where loading it just put
/// them, with no copy (a copy was a fifth of a warm start).
fn check_entry(path: &Path, expected: u32) -> Result<(), String> {
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    // SAFETY: the map is read once, here, and dropped before this returns.
    // Were the file cut short meanwhile (only a writer outside augur could;
    // augur replaces entries by renaming), reading the map would fault: the
    // cache is trusted like the binary (see the module docs).
    let crc = match file.metadata().map_err(|e| e.to_string())?.len() {
        0 => crc32fast::hash(&[]),
        _ => {
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
            crc32fast::hash(&map)
        }
    };
    match crc {
        crc if crc == expected => Ok(()),
        crc => Err(format!(
            "its contents have checksum {crc:08x}, its name says {expected:08x} (cut short or damaged)"
        )),
    }
}

/// Writes an entry atomically: a temporary file in `dir`, synced, then
/// renamed to its name (`prefix` and its checksum). Other entries of the
/// same prefix are removed.
fn store_entry(dir: &Path, prefix: &str, component: &Component) -> std::io::Result<()> {
    let bytes = component
        .serialize()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".tmp")
        .suffix(".cwasm")
        .tempfile_in(dir)?;
    file.write_all(&bytes)?;
    file.as_file().sync_data()?;
    let crc = crc32fast::hash(&bytes);
    let path = dir.join(format!("{prefix}{crc:08x}.cwasm"));
    file.persist(&path).map_err(|e| e.error)?;
    for (other, _) in entries_named(dir, prefix) {
        if other != path {
            let _ = fs::remove_file(other);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_checked_before_it_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.cwasm");
        let code = b"compiled code".repeat(100_000);
        fs::write(&path, &code).unwrap();
        let crc = crc32fast::hash(&code);
        assert_eq!(check_entry(&path, crc), Ok(()));
        // Cut short, as a torn copy or an interrupted cache restore leaves it.
        fs::write(&path, &code[..code.len() - 1]).unwrap();
        assert!(check_entry(&path, crc).is_err());
        // One bit flipped in the code.
        let mut flipped = code.clone();
        flipped[700_000] ^= 1;
        fs::write(&path, &flipped).unwrap();
        assert!(check_entry(&path, crc).unwrap_err().contains("damaged"));
    }
}
