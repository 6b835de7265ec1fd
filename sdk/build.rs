//! Fills the export macros' template with the WIT contract, so that a rule
//! crate generates its bindings from exactly the contract this SDK was built
//! against (`wit/` at the workspace root is the single source of truth).

use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let wit_path = manifest.join("../wit/augur-rules.wit");
    let template_path = manifest.join("src/export.rs.in");
    println!("cargo::rerun-if-changed={}", wit_path.display());
    println!("cargo::rerun-if-changed={}", template_path.display());

    let wit = fs::read_to_string(&wit_path)
        .unwrap_or_else(|e| panic!("reading the WIT contract {}: {e}", wit_path.display()));
    assert!(
        !wit.contains("\"###"),
        "the WIT text must not contain `\"###`"
    );
    let template = fs::read_to_string(&template_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", template_path.display()));
    let version = wit
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("package augur:rules@")?
                .strip_suffix(';')
        })
        .expect("the WIT contract declares `package augur:rules@<version>;`");
    println!("cargo::rustc-env=AUGUR_CONTRACT_VERSION={version}");
    let out = template
        .replace("@WIT@", &format!("r###\"{wit}\"###"))
        .replace("@VERSION@", version);
    let out_path = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("export.rs");
    fs::write(&out_path, out).unwrap_or_else(|e| panic!("writing {}: {e}", out_path.display()));
}
