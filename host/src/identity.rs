//! Who a rule is: the checks on what a component says about itself in
//! `info()`, and where each rule of a report came from.
//!
//! A component is untrusted, and so is its `info()`: an id is what findings
//! are filed under and what users gate on, so it must follow a grammar, and
//! a component may never take the id of a built-in rule or of another entry
//! of the pack (see [`crate::pack`]). Kinds, versions, descriptions and
//! config schemas are bounded so that no rule can flood `augur rules` or a
//! report through them. The bounds are documented in `docs/limits.md`.

use serde::Serialize;

/// The longest rule id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// The longest version, in bytes.
pub const MAX_VERSION_BYTES: usize = 64;
/// The longest description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 4096;
/// The most kinds a rule may declare.
pub const MAX_KINDS: usize = 256;
/// The longest kind, in bytes.
pub const MAX_KIND_BYTES: usize = 128;
/// The largest config schema, in bytes.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// Checks a rule id: lowercase ASCII words of letters and digits joined by
/// single hyphens, starting with a letter (`quality-trend`, `api-errors`),
/// at most [`MAX_ID_BYTES`].
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty".into());
    }
    if id.len() > MAX_ID_BYTES {
        return Err(format!(
            "the id is {} bytes long; at most {MAX_ID_BYTES}",
            id.len()
        ));
    }
    let well_formed = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !well_formed {
        return Err(format!(
            "the id {} is not kebab-case: lowercase letters and digits in words joined by single hyphens, \
             starting with a letter",
            quoted(id)
        ));
    }
    Ok(())
}

/// Checks a kind: `<family>/<name>` (more `/` parts allowed), each part of
/// lowercase letters, digits, `_`, `-` and `.`, at most [`MAX_KIND_BYTES`].
pub fn check_kind(kind: &str) -> Result<(), String> {
    if kind.len() > MAX_KIND_BYTES {
        return Err(format!(
            "the kind {} is {} bytes long; at most {MAX_KIND_BYTES}",
            quoted(kind),
            kind.len()
        ));
    }
    let parts: Vec<&str> = kind.split('/').collect();
    let well_formed = parts.len() >= 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
                })
        });
    if !well_formed {
        return Err(format!(
            "the kind {} is not `<family>/<name>` in lowercase letters, digits, `_`, `-` and `.`",
            quoted(kind)
        ));
    }
    Ok(())
}

/// Whether `kind` is among `declared`: named, or of a family declared with
/// `family/*`.
pub fn declares(declared: &std::collections::HashSet<&str>, kind: &str) -> bool {
    declared.contains(kind)
        || kind.rsplit_once('/').is_some_and(|(family, _)| {
            declared.contains(format!("{family}/*").as_str()) && check_kind(kind).is_ok()
        })
}

/// Checks everything a rule's `info()` returned but its id (which the
/// manifest may replace): version, description, kinds and config schema.
pub fn check_info(info: &crate::contract::RuleInfo) -> Result<(), String> {
    let version_ok = !info.version.is_empty()
        && info.version.len() <= MAX_VERSION_BYTES
        && info
            .version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'));
    if !version_ok {
        return Err(format!(
            "the version {} is not a version: 1 to {MAX_VERSION_BYTES} bytes of letters, digits, `.`, `-` and `+`",
            quoted(&info.version)
        ));
    }
    if info.description.len() > MAX_DESCRIPTION_BYTES {
        return Err(format!(
            "the description is {} bytes long; at most {MAX_DESCRIPTION_BYTES}",
            info.description.len()
        ));
    }
    if info.kinds.is_empty() {
        return Err("it declares no kinds".into());
    }
    if info.kinds.len() > MAX_KINDS {
        return Err(format!(
            "it declares {} kinds; at most {MAX_KINDS}",
            info.kinds.len()
        ));
    }
    for kind in &info.kinds {
        // `family/*` declares every kind of the family: for a rule whose
        // kinds come from its config (systemic-patterns' catalogue).
        match kind.strip_suffix("/*") {
            Some(family) => check_kind(&format!("{family}/any"))?,
            None => check_kind(kind)?,
        }
    }
    if info.config_schema.len() > MAX_SCHEMA_BYTES {
        return Err(format!(
            "its config schema is {} bytes long; at most {MAX_SCHEMA_BYTES}",
            info.config_schema.len()
        ));
    }
    match serde_json::from_str::<serde_json::Value>(&info.config_schema) {
        Ok(serde_json::Value::Object(_) | serde_json::Value::Bool(_)) => Ok(()),
        Ok(_) => Err("its config schema is not a JSON Schema (an object or a boolean)".into()),
        Err(e) => Err(format!("its config schema is not JSON: {e}")),
    }
}

/// Where a rule came from, as every finding and error of a report says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RuleSource {
    /// A built-in rule, embedded in augur: its name.
    Builtin { builtin: String },
    /// A component file: its path as the pack names it, and the sha256 of
    /// the bytes that were loaded (absent when the file could not be read).
    File {
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
}

/// `text` in backquotes with anything unprintable escaped, for messages
/// that quote what a rule said.
fn quoted(text: &str) -> String {
    const SHOWN: usize = 80;
    let mut shown: String = text.chars().take(SHOWN).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("`{}`", crate::sanitize::escape(&shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kebab_case_and_bounded() {
        for ok in ["api-errors", "quality-trend", "a", "rule-2", "x9-y"] {
            assert_eq!(check_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "Api-Errors",
            "-lead",
            "trail-",
            "dou--ble",
            "9lives",
            "snake_case",
            "dot.ted",
            "space d",
            "evil\x1b]0;x\x07",
            "api-errors\u{202e}",
        ] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_id(&"a".repeat(MAX_ID_BYTES)).is_ok());
        assert!(check_id(&"a".repeat(MAX_ID_BYTES + 1)).is_err());
    }

    #[test]
    fn kinds_have_a_family_and_a_name() {
        for ok in [
            "failure/dependency_missing",
            "api_error/rate_limit",
            "quality/lint-cluster",
            "a/b/c",
            "x/v1.2",
        ] {
            assert_eq!(check_kind(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "nofamily",
            "/name",
            "family/",
            "a//b",
            "A/b",
            "a/b c",
            "a/\x1b[31m",
        ] {
            assert!(check_kind(bad).is_err(), "{bad:?}");
        }
        let message = check_kind("a/\x1b[2J").unwrap_err();
        assert!(!message.contains('\x1b'), "{message}");
    }

    #[test]
    fn info_is_bounded() {
        let good = crate::contract::RuleInfo {
            id: "x".into(),
            version: "1.0.0-rc.1+build".into(),
            description: "d".into(),
            kinds: vec!["a/b".into()],
            config_schema: "{}".into(),
        };
        assert_eq!(check_info(&good), Ok(()));
        let bad = |f: fn(&mut crate::contract::RuleInfo)| {
            let mut info = good.clone();
            f(&mut info);
            check_info(&info).unwrap_err()
        };
        assert!(bad(|i| i.version = "1.0 beta".into()).contains("version"));
        assert!(
            bad(|i| i.description = "d".repeat(MAX_DESCRIPTION_BYTES + 1)).contains("description")
        );
        assert!(bad(|i| i.kinds.clear()).contains("no kinds"));
        assert!(bad(|i| i.kinds = vec!["a/b".into(); MAX_KINDS + 1]).contains("kinds"));
        assert!(bad(|i| i.config_schema = "[1]".into()).contains("schema"));
        assert!(bad(|i| i.config_schema = " ".repeat(MAX_SCHEMA_BYTES + 1)).contains("schema"));
    }
}
