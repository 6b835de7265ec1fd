//! Builds the WebAssembly components the host needs: the built-in rules in
//! `plugins/` (embedded in the binary, so `augur` runs them with no
//! configuration) and the test guests in `tests/guests/` (hostile or probing
//! rules the integration tests load by path).
//!
//! Each built-in rule is built with a nested `cargo build --target
//! wasm32-wasip2`, one crate per invocation so that SDK features never unify
//! across rules; the test guests are built together, in one invocation, as
//! what they share does not matter. Both go into a target directory of their
//! own so the outer build's lock is never contended.

use sha2::{Digest, Sha256};
use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "wasm-rules";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-components");

    for watched in ["plugins", "sdk", "wit", "tests/guests", "Cargo.lock"] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }

    let plugins = crates_in(&root.join("plugins"));
    let guests = crates_in(&root.join("tests/guests"));

    let mut builtin = String::from(
        "/// The built-in rules, in name order.\n\
         pub const BUILTIN_COMPONENTS: &[BuiltinComponent] = &[\n",
    );
    for name in &plugins {
        let wasm = build_components(&root, &target_dir, std::slice::from_ref(name)).remove(0);
        // Hashed here, once, rather than at every start.
        let bytes = fs::read(&wasm).unwrap();
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        builtin.push_str(&format!(
            "    BuiltinComponent {{ name: {name:?}, bytes: include_bytes!({:?}), sha256: {sha256:?} }},\n",
            wasm.display().to_string()
        ));
    }
    builtin.push_str("];\n");
    fs::write(out_dir.join("builtin.rs"), builtin).unwrap();

    let mut guest_paths = String::new();
    if !guests.is_empty() {
        for (name, wasm) in guests
            .iter()
            .zip(build_components(&root, &target_dir, &guests))
        {
            guest_paths.push_str(&format!("{name}={}\n", wasm.display()));
        }
    }
    // Read by the integration tests (env!("AUGUR_TEST_GUESTS")).
    let list = out_dir.join("test-guests.txt");
    fs::write(&list, guest_paths).unwrap();
    println!("cargo::rustc-env=AUGUR_TEST_GUESTS={}", list.display());
}

/// Names of the crates directly under `dir` (each a folder with a Cargo.toml).
fn crates_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Builds the crates `names` in one cargo invocation and returns their
/// component files, in the same order.
fn build_components(root: &Path, target_dir: &Path, names: &[String]) -> Vec<PathBuf> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(target_dir);
    for name in names {
        cmd.args(["-p", name]);
    }
    // The outer build's flags are for the host, not for wasm.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let list = names.join(", ");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build {list}: {e}"));
    if !status.success() {
        panic!(
            "building {list} for {TARGET} failed (see the output above).\n\
             If the target is missing, install it with: rustup target add {TARGET}"
        );
    }
    let out = target_dir.join(TARGET).join(PROFILE);
    names
        .iter()
        .map(|name| {
            // A library (a rule) is named with underscores; a binary keeps its name.
            [name.replace('-', "_"), name.clone()]
                .into_iter()
                .map(|stem| out.join(format!("{stem}.wasm")))
                .find(|p| p.is_file())
                .unwrap_or_else(|| {
                    panic!(
                        "cargo built {name} but no {name}.wasm is in {}",
                        out.display()
                    )
                })
        })
        .collect()
}
