//! Where a finding points, as CI systems want it: a file relative to the
//! source root and a line range.
//!
//! A line locator (`L12-L14`) gives its lines. A JSON pointer into a
//! snapshot gives the line where the value sits in the file. A finding with
//! no evidence in a file points at its rule's entry in the pack manifest,
//! else at its input's first line.

use std::path::{Component, Path, PathBuf};

use super::Context;
use crate::{report::FindingOut, run::parse_lines};

/// A place in a file: its path relative to the source root (`/`-separated;
/// absolute when the file is outside the root) and a line range, from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub start: u32,
    pub end: u32,
}

/// The place `finding` points at: its first evidence, else its rule's
/// manifest entry, else its input.
pub fn place(finding: &FindingOut, context: &Context) -> Place {
    for evidence in &finding.evidence {
        if let Some((start, end)) = parse_lines(&evidence.locator) {
            return Place {
                path: relative(&evidence.source, &context.source_root),
                start: clamp(start),
                end: clamp(end.max(start)),
            };
        }
        if evidence.locator.is_empty() || evidence.locator.starts_with('/') {
            let line = std::fs::read_to_string(&evidence.source)
                .ok()
                .and_then(|text| pointer_line(&text, &evidence.locator))
                .unwrap_or(1);
            return Place {
                path: relative(&evidence.source, &context.source_root),
                start: line,
                end: line,
            };
        }
    }
    if let Some((manifest, line)) = context
        .rule(&finding.rule)
        .and_then(|r| r.manifest.as_ref())
    {
        return Place {
            path: relative(&manifest.to_string_lossy(), &context.source_root),
            start: *line,
            end: *line,
        };
    }
    Place {
        path: relative(&finding.input, &context.source_root),
        start: 1,
        end: 1,
    }
}

fn clamp(line: u64) -> u32 {
    u32::try_from(line.max(1)).unwrap_or(u32::MAX)
}

/// `source` (a path as the run was given it) relative to `root`, with `/`
/// separators. A path outside the root stays absolute; a name that is not a
/// path (`-`) stays as it is.
pub fn relative(source: &str, root: &Path) -> String {
    if source == "-" {
        return source.to_owned();
    }
    let path = Path::new(source);
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => return slashes(path),
        }
    };
    // Symbolic links on the way (a temp dir under /var on macOS, a checkout
    // behind a link) must not hide that a file is under the root.
    let absolute = std::fs::canonicalize(&absolute).unwrap_or_else(|_| normalize(&absolute));
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| normalize(root));
    match absolute.strip_prefix(&root) {
        Ok(inside) if !inside.as_os_str().is_empty() => slashes(inside),
        _ => slashes(&absolute),
    }
}

/// `..` and `.` resolved without the file system (for paths that do not
/// exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

fn slashes(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

/// The directory paths are made relative to when `--source-root` is not
/// given: the repository (the nearest directory up from `cwd` holding
/// `.git`), else `cwd`.
pub fn default_source_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_owned()
}

/// The line (from 1) where the value at JSON `pointer` starts in `text`, a
/// JSON document; `None` when the text is not JSON or the value is not
/// there. The empty pointer is the whole document.
pub fn pointer_line(text: &str, pointer: &str) -> Option<u32> {
    let tokens: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    for token in &tokens {
        match bytes.get(at)? {
            b'{' => {
                at = skip_space(bytes, at + 1);
                loop {
                    if bytes.get(at)? == &b'}' {
                        return None;
                    }
                    let key_end = string_end(bytes, at)?;
                    let key: String = serde_json::from_slice(&bytes[at..key_end]).ok()?;
                    at = skip_space(bytes, key_end);
                    if bytes.get(at)? != &b':' {
                        return None;
                    }
                    at = skip_space(bytes, at + 1);
                    if &key == token {
                        break;
                    }
                    at = skip_space(bytes, value_end(bytes, at)?);
                    match bytes.get(at)? {
                        b',' => at = skip_space(bytes, at + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                if token.len() > 1 && token.starts_with('0') {
                    return None;
                }
                at = skip_space(bytes, at + 1);
                for _ in 0..index {
                    if bytes.get(at)? == &b']' {
                        return None;
                    }
                    at = skip_space(bytes, value_end(bytes, at)?);
                    match bytes.get(at)? {
                        b',' => at = skip_space(bytes, at + 1),
                        _ => return None,
                    }
                }
                if bytes.get(at)? == &b']' {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    u32::try_from(line).ok()
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
        at += 1;
    }
    at
}

/// One past the closing quote of the string starting at `at`.
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at)? != &b'"' {
        return None;
    }
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// One past the end of the value starting at `at`.
fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "repo": "acme/web",
  "a/b": {"x~y": 1},
  "signals": {
    "lint": {
      "count": 12,
      "by": ["x", {"k": "v"}, "]\"}"]
    },
    "tests": [
      1,
      {"failed": 3}
    ]
  }
}"#;

    #[test]
    fn a_pointer_finds_the_line_of_its_value() {
        assert_eq!(pointer_line(DOC, ""), Some(1));
        assert_eq!(pointer_line(DOC, "/repo"), Some(2));
        assert_eq!(pointer_line(DOC, "/a~1b/x~0y"), Some(3));
        assert_eq!(pointer_line(DOC, "/signals/lint/count"), Some(6));
        assert_eq!(pointer_line(DOC, "/signals/lint/by/2"), Some(7));
        assert_eq!(pointer_line(DOC, "/signals/tests"), Some(9));
        assert_eq!(pointer_line(DOC, "/signals/tests/1/failed"), Some(11));
    }

    #[test]
    fn a_pointer_to_nothing_finds_nothing() {
        for pointer in [
            "/nope",
            "/signals/tests/2",
            "/signals/tests/01",
            "/repo/x",
            "repo",
        ] {
            assert_eq!(pointer_line(DOC, pointer), None, "{pointer}");
        }
        assert_eq!(pointer_line("not json", "/a"), None);
        assert_eq!(pointer_line("{\"a\": [1,", "/a/3"), None);
    }

    #[test]
    fn paths_are_relative_to_the_root_when_inside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("logs").join("a b.log");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "x").unwrap();
        assert_eq!(
            relative(&file.to_string_lossy(), dir.path()),
            "logs/a b.log"
        );
        let outside = tempfile::tempdir().unwrap();
        let shown = relative(&file.to_string_lossy(), outside.path());
        assert!(
            shown.starts_with('/') && shown.ends_with("logs/a b.log"),
            "{shown}"
        );
        assert_eq!(relative("-", outside.path()), "-");
    }
}
