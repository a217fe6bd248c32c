//! The `binary` cataloger on Rust programs built with `cargo auditable`, with `rust-audit-info`
//! (the `cargo auditable` project's own reader) as the oracle; and the `cargo-lock` cataloger on
//! the same build's `Cargo.lock`, with `cargo metadata` as the oracle.
//!
//! `scripts/tools/binaries.sh` installs both tools and builds the fixture crate (three
//! crates.io dependencies and a path dependency) into `PLIMSOLL_TOOLS_RUST_BINARIES`, and
//! exports its lockfile as `PLIMSOLL_TOOLS_CARGO_LOCK`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use plimsoll_types::PackageKind;

use crate::{claimants, executables, tool_env};

type Crates = BTreeSet<(String, String)>;

/// Registry crates (`source` `crates.io` or `registry`) that `rust-audit-info BINARY` prints.
fn audit_info(tool: &Path, binary: &Path) -> Crates {
    let out = Command::new(tool)
        .arg(binary)
        .output()
        .expect("rust-audit-info");
    assert!(out.status.success(), "rust-audit-info {}", binary.display());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| matches!(p["source"].as_str(), Some("crates.io" | "registry")))
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Cargo packages one cataloger reads from `real`, shown at `path`.
fn cataloged(path: &str, real: &Path, cataloger: &str) -> Crates {
    let claimed = claimants(path, real);
    assert_eq!(claimed.len(), 1, "{path}");
    assert_eq!(claimed[0].name(), cataloger, "{path}");
    let facts = claimed[0]
        .catalog(path, &fs_err::read(real).unwrap())
        .unwrap();
    assert!(facts.warnings.is_empty(), "{path}: {:?}", facts.warnings);
    facts
        .packages
        .iter()
        .map(|p| {
            assert_eq!(p.kind, PackageKind::Cargo);
            assert_eq!(p.found_in, path);
            (p.name.clone(), p.version.clone())
        })
        .collect()
}

#[test]
fn auditable_binaries_match_rust_audit_info() {
    let (Some(tool), Some(dir)) = (
        tool_env("PLIMSOLL_TOOLS_RUST_AUDIT_INFO"),
        tool_env("PLIMSOLL_TOOLS_RUST_BINARIES"),
    ) else {
        return;
    };
    let binaries = executables(&dir, false);
    assert!(!binaries.is_empty(), "no binaries in {}", dir.display());
    for real in &binaries {
        let path = format!("/usr/local/bin/{}", real.file_name().unwrap().display());
        let want = audit_info(&tool, real);
        assert!(want.len() >= 3, "{path}: {want:?}");
        assert_eq!(cataloged(&path, real, "binary"), want, "{path}");
        eprintln!("{path}: {want:?}, identical to rust-audit-info");
    }
}

#[test]
fn cargo_lock_matches_cargo_metadata() {
    let Some(lock) = tool_env("PLIMSOLL_TOOLS_CARGO_LOCK") else {
        return;
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .arg("--manifest-path")
        .arg(lock.with_file_name("Cargo.toml"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: Crates = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("registry+"))
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(cataloged("/app/Cargo.lock", &lock, "cargo-lock"), want);
    eprintln!("Cargo.lock: {want:?}, identical to cargo metadata");
}
