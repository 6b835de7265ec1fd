//! Builds the WebAssembly components the host needs: the built-in rules in
//! `plugins/` (embedded in the binary, so `augur` runs them with no
//! configuration) and the test guests in `tests/guests/` (hostile or probing
//! rules the integration tests load by path).
//!
//! Each crate is built with a nested `cargo build --target wasm32-wasip2`, one
//! crate per invocation so that SDK features never unify across rules, into a
//! target directory of its own so the outer build's lock is never contended.

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
        "/// The built-in rules: (crate name, component bytes), in name order.\n\
         pub const BUILTIN_COMPONENTS: &[(&str, &[u8])] = &[\n",
    );
    for name in &plugins {
        let wasm = build_component(&root, &target_dir, name);
        builtin.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            wasm.display().to_string()
        ));
    }
    builtin.push_str("];\n");
    fs::write(out_dir.join("builtin.rs"), builtin).unwrap();

    let mut guest_paths = String::new();
    for name in &guests {
        let wasm = build_component(&root, &target_dir, name);
        guest_paths.push_str(&format!("{name}={}\n", wasm.display()));
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

fn build_component(root: &Path, target_dir: &Path, name: &str) -> PathBuf {
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
            "-p",
            name,
        ])
        .arg("--target-dir")
        .arg(target_dir);
    // The outer build's flags are for the host, not for wasm.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build {name}: {e}"));
    if !status.success() {
        panic!(
            "building the `{name}` component for {TARGET} failed (see the output above).\n\
             If the target is missing, install it with: rustup target add {TARGET}"
        );
    }
    let wasm = target_dir
        .join(TARGET)
        .join(PROFILE)
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(
        wasm.is_file(),
        "cargo built {name} but {} is missing",
        wasm.display()
    );
    wasm
}
