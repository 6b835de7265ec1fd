//! The compile cache: components compiled to native code once, kept on
//! disk, and loaded in a few milliseconds by every later run.
//!
//! An entry is keyed by the component's sha256 and by the engine's
//! compatibility hash (wasmtime's version, the engine's settings, the target
//! and the CPU features cranelift compiled for), so a change to any of them
//! misses and recompiles. Each file is written to a temporary name and
//! renamed into place, so a reader never sees half an entry and several
//! augur processes may fill the cache at once; the last rename wins, and all
//! of them wrote the same bytes. An entry carries a checksum of what it
//! holds; one that fails it (a torn copy, a disk error, a truncated restore
//! of a CI cache) is removed and the component compiled again.
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

/// The first bytes of every entry, with the layout's version.
const MAGIC: &[u8; 8] = b"augurcw1";

/// Entries live in a folder named for the layout, so that a future layout
/// never reads this one's files.
const LAYOUT: &str = "components-v1";

/// What an entry file starts with: magic, payload length, payload crc32.
const HEADER_BYTES: usize = 8 + 8 + 4;

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
        digest: &[u8; 32],
        compile: impl FnOnce() -> Result<wasmtime::Result<Component>, crate::sandbox::LoadError>,
    ) -> Result<(wasmtime::Result<Component>, Provenance), crate::sandbox::LoadError> {
        let Some(path) = self.entry_path(engine, digest) else {
            return Ok((compile()?, Provenance::Compiled));
        };
        if let Some(component) = load_entry(engine, &path) {
            return Ok((Ok(component), Provenance::Cached));
        }
        let compiled = compile()?;
        if let Ok(component) = &compiled {
            if let Err(e) = store_entry(&path, component) {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "augur: warning: cannot write the compile cache in {}: {e}; rules are compiled at \
                         every start (set {CACHE_DIR_VAR} to a writable directory, or to `off`)",
                        crate::sanitize::escape(
                            &path.parent().unwrap_or(&path).display().to_string()
                        )
                    );
                }
            }
        }
        Ok((compiled, Provenance::Compiled))
    }

    /// The file holding `digest` compiled for `engine`.
    fn entry_path(&self, engine: &Engine, digest: &[u8; 32]) -> Option<PathBuf> {
        let dir = self.entries_dir()?;
        Some(dir.join(format!(
            "{}-{:016x}.cwasm",
            crate::pack::hex(digest),
            engine_key(engine)
        )))
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
            let path = entry.path();
            // Only what the cache writes: entries and leftover temporary files.
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !(name.ends_with(".cwasm") || name.starts_with(".tmp")) {
                continue;
            }
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            fs::remove_file(&path)?;
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

/// What decides whether code compiled by one engine runs in another:
/// wasmtime's compatibility hash (version, settings, target, CPU features).
pub fn engine_key(engine: &Engine) -> u64 {
    // SipHash with fixed keys: the same on every run of this build.
    let mut hasher = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// A sound entry at `path`, deserialized for `engine`; `None` when there is
/// none, and when it is unsound (then it is removed, to be written again).
fn load_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read a compile cache entry: {e}");
            return None;
        }
    };
    match check_entry(&bytes) {
        Ok(payload) => {
            // SAFETY: the payload is what `Component::serialize` wrote for an
            // engine with this compatibility hash (the file is named for it,
            // and wasmtime checks it again), and its checksum holds, so it is
            // the code wasmtime compiled, unchanged. The cache directory is
            // trusted like the augur binary (see the module docs).
            match unsafe { Component::deserialize(engine, payload) } {
                Ok(component) => return Some(component),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "compile cache entry refused: {e:#}");
                }
            }
        }
        Err(why) => tracing::warn!(path = %path.display(), "compile cache entry unsound: {why}"),
    }
    let _ = fs::remove_file(path);
    None
}

/// The payload of an entry whose header and checksum hold.
fn check_entry(bytes: &[u8]) -> Result<&[u8], &'static str> {
    if bytes.len() < HEADER_BYTES || &bytes[..8] != MAGIC {
        return Err("not an entry of this cache layout");
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().unwrap());
    let crc = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
    let payload = &bytes[HEADER_BYTES..];
    if payload.len() as u64 != len {
        return Err("truncated or extended");
    }
    if crc32fast::hash(payload) != crc {
        return Err("checksum mismatch");
    }
    Ok(payload)
}

/// Writes an entry atomically: a temporary file in the same directory,
/// synced, then renamed over the entry's name.
fn store_entry(path: &Path, component: &Component) -> std::io::Result<()> {
    let payload = component
        .serialize()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    let dir = path.parent().expect("entries live in a directory");
    fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(".tmp")
        .suffix(".cwasm")
        .tempfile_in(dir)?;
    file.write_all(MAGIC)?;
    file.write_all(&(payload.len() as u64).to_le_bytes())?;
    file.write_all(&crc32fast::hash(&payload).to_le_bytes())?;
    file.write_all(&payload)?;
    file.as_file().sync_data()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(payload: &[u8]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn an_entry_is_checked_before_it_is_used() {
        let good = entry(b"compiled code");
        assert_eq!(check_entry(&good), Ok(&b"compiled code"[..]));
        // Cut short, as a torn copy or an interrupted cache restore leaves it.
        assert!(check_entry(&good[..good.len() - 1]).is_err());
        assert!(check_entry(&good[..10]).is_err());
        // One bit flipped in the code.
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(check_entry(&flipped), Err("checksum mismatch"));
        // Something else altogether.
        assert!(check_entry(b"\0asm\x0d\0\x01\0 a component, not an entry").is_err());
    }
}
