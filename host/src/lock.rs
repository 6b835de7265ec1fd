//! `augur pack lock`: writes the sha256 of every component a manifest names
//! into the manifest, so that the pack refuses a component that changed.
//!
//! The manifest is edited in place, keeping its comments, order and layout
//! (`toml_edit`), and written atomically. An entry that had a digest gets
//! the file's current one, and the change is reported: locking is the
//! deliberate "these are the bytes we trust" step.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{
    limits::Limits,
    output::write_atomically,
    pack::{hex, read_component},
};

/// What locking did to one `[[rule]]` entry with a `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// The entry's `path`, as the manifest writes it.
    pub path: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The entry had no digest; it has this one now.
    Added(String),
    /// The entry's digest was `from`; the file's is `to`.
    Updated { from: String, to: String },
    /// The entry already had the file's digest.
    Unchanged,
}

/// Locks every component entry of the manifest at `manifest`, and writes
/// it back when anything changed. An error names the manifest or the entry
/// and what is wrong; nothing is written then.
pub fn lock(manifest: &Path) -> Result<Vec<Locked>, String> {
    let shown = manifest.display();
    let text = std::fs::read_to_string(manifest)
        .map_err(|e| format!("{shown}: cannot read the manifest: {e}"))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{shown}: not a valid pack manifest: {e}"))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut locked = Vec::new();
    if let Some(rules) = doc.get_mut("rule").and_then(|r| r.as_array_of_tables_mut()) {
        for (i, rule) in rules.iter_mut().enumerate() {
            let Some(path) = rule.get("path").and_then(|p| p.as_str()).map(str::to_owned) else {
                continue;
            };
            let file = base.join(&path);
            let bytes = read_component(&file, Limits::default().component_bytes())
                .map_err(|e| format!("{shown}: rule #{} (`{path}`): {e}", i + 1))?;
            let digest = hex(&Sha256::digest(&bytes));
            let change = match rule.get("sha256").and_then(|s| s.as_str()) {
                None => Change::Added(digest.clone()),
                Some(old) if old.eq_ignore_ascii_case(&digest) => Change::Unchanged,
                Some(old) => Change::Updated {
                    from: old.to_owned(),
                    to: digest.clone(),
                },
            };
            if change != Change::Unchanged {
                rule["sha256"] = toml_edit::value(digest);
            }
            locked.push(Locked { path, change });
        }
    }
    if locked.iter().any(|l| l.change != Change::Unchanged) {
        write_atomically(manifest, doc.to_string().as_bytes())
            .map_err(|e| format!("{shown}: cannot write the manifest: {e}"))?;
    }
    Ok(locked)
}
