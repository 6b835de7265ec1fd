//! The published JSON Schemas are generated from the SDK's types, so the
//! documentation cannot drift from what augur accepts. After changing the
//! types, regenerate with `AUGUR_BLESS=1 cargo test -p augur-sdk --test schema`.

use std::path::Path;

fn check(file: &str, schema: schemars::Schema) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(file);
    let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("AUGUR_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; regenerate it with AUGUR_BLESS=1 cargo test -p augur-sdk --test schema",
        path.display()
    );
}

#[test]
fn snapshot_schema_is_current() {
    check(
        "snapshot-v1.schema.json",
        schemars::schema_for!(augur_sdk::Snapshot),
    );
}

#[test]
fn job_meta_schema_is_current() {
    check(
        "job-meta.schema.json",
        schemars::schema_for!(augur_sdk::JobMeta),
    );
}
