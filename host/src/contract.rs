//! The host side of the WIT contract in `wit/`, bound from the same files the
//! SDK binds, so the two sides cannot drift.
//!
//! The bindings are generated for the widest world (`any-rule`); a component
//! that exports some of the interfaces is driven through their
//! `GuestIndices` alone.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "any-rule",
});

pub use self::augur::rules::host::LogLevel;
pub use self::augur::rules::types::{
    Evidence as WitEvidence, Finding as WitFinding, JobOutput, RuleError, RuleInfo,
    Severity as WitSeverity, Snapshot as WitSnapshot,
};
pub use self::exports::augur::rules::correlator::ReportedFinding;
pub use self::exports::augur::rules::{
    classifier, correlator, deriver, log_scanner, prefilter, rule, setup,
};

impl From<augur_sdk::Severity> for WitSeverity {
    fn from(s: augur_sdk::Severity) -> WitSeverity {
        use augur_sdk::Severity as S;
        match s {
            S::Info => WitSeverity::Info,
            S::Low => WitSeverity::Low,
            S::Medium => WitSeverity::Medium,
            S::High => WitSeverity::High,
            S::Critical => WitSeverity::Critical,
        }
    }
}

impl From<crate::report::EvidenceOut> for WitEvidence {
    fn from(e: crate::report::EvidenceOut) -> WitEvidence {
        WitEvidence {
            source: e.source,
            locator: e.locator,
            excerpt: e.excerpt,
        }
    }
}

impl From<WitEvidence> for crate::report::EvidenceOut {
    fn from(e: WitEvidence) -> crate::report::EvidenceOut {
        crate::report::EvidenceOut {
            source: e.source,
            locator: e.locator,
            excerpt: e.excerpt,
        }
    }
}

impl From<WitSeverity> for augur_sdk::Severity {
    fn from(s: WitSeverity) -> augur_sdk::Severity {
        use augur_sdk::Severity as S;
        match s {
            WitSeverity::Info => S::Info,
            WitSeverity::Low => S::Low,
            WitSeverity::Medium => S::Medium,
            WitSeverity::High => S::High,
            WitSeverity::Critical => S::Critical,
        }
    }
}

/// The contract version this host speaks, as in `wit/augur-rules.wit`.
pub const CONTRACT_VERSION: &str = "0.1.5";

/// Whether a component built against contract `version` can run here: the
/// same major version, and for 0.x the same minor (semver's rule, which is
/// also how wasmtime matches interface names). Older patch releases only
/// lack interfaces added since; newer ones add interfaces this host ignores.
pub fn is_compatible(version: &str) -> bool {
    let (theirs, ours) = (version_fields(version), version_fields(CONTRACT_VERSION));
    theirs.len() >= 3 && theirs[0] == ours[0] && (ours[0] != 0 || theirs[1] == ours[1])
}

/// Whether semver-like `version` is newer than this host's contract (numeric
/// fields compared in order; anything unparsable counts as older).
pub fn is_newer(version: &str) -> bool {
    version_fields(version) > version_fields(CONTRACT_VERSION)
}

/// The leading numeric fields of a version: `0.1.1-2` → [0, 1, 1, 2].
fn version_fields(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .map_while(|p| p.parse().ok())
        .collect()
}

/// The version of an export named `augur:rules/<interface>@<version>`.
pub fn export_version<'a>(export: &'a str, interface: &str) -> Option<&'a str> {
    export
        .strip_prefix("augur:rules/")?
        .strip_prefix(interface)?
        .strip_prefix('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatible_versions_share_major_and_for_0_x_minor() {
        assert!(is_compatible("0.1.0"));
        assert!(is_compatible("0.1.1"));
        assert!(is_compatible("0.1.7"));
        assert!(!is_compatible("0.2.0"));
        assert!(!is_compatible("1.1.0"));
        assert!(!is_compatible("99.0.0"));
        assert!(!is_compatible("0.1"));
    }

    #[test]
    fn newer_versions_compare_field_by_field() {
        assert!(is_newer("0.2.0"));
        assert!(is_newer("99.0.0"));
        assert!(is_newer("1.0.0"));
        assert!(!is_newer(CONTRACT_VERSION));
        assert!(!is_newer("0.1.0"));
        assert!(!is_newer("0.0.9"));
    }

    #[test]
    fn export_versions_are_read_from_names() {
        assert_eq!(
            export_version("augur:rules/rule@0.1.0", "rule"),
            Some("0.1.0")
        );
        assert_eq!(export_version("augur:rules/ruler@0.1.0", "rule"), None);
        assert_eq!(export_version("wasi:cli/run@0.2.0", "rule"), None);
    }
}
