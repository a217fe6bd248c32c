//! Ordinary files yield no secrets: the real Debian root file system, Python site-packages
//! and node app the test harness builds (`scripts/test-registry.sh`), walked through `wants`
//! then `scan`. Every finding must be on the explained list below.

use std::path::PathBuf;

use crate::{keys, scan_tree};

/// Scans the tree named by `var`, or says why not.
fn scan_env_tree(var: &str) -> Option<Vec<(String, u32, String)>> {
    let Some(root) = std::env::var_os(var).map(PathBuf::from) else {
        eprintln!("skipped: {var} is not set (source .plimsoll-test/env)");
        return None;
    };
    if !root.is_dir() {
        eprintln!("skipped: {var}={} is not a directory", root.display());
        return None;
    }
    let (found, files, bytes) = scan_tree(&root);
    eprintln!("{var}: scanned {files} files, {bytes} bytes");
    Some(keys(&found))
}

#[test]
fn debian_rootfs_has_no_secrets() {
    let Some(found) = scan_env_tree("PLIMSOLL_TEST_DEBIAN_ROOTFS") else {
        return;
    };
    let explained: Vec<(String, u32, String)> = Vec::new();
    assert_eq!(found, explained);
}

#[test]
fn python_site_packages_have_no_secrets() {
    let Some(found) = scan_env_tree("PLIMSOLL_TEST_PYTHON_SITE") else {
        return;
    };
    let explained: Vec<(String, u32, String)> = Vec::new();
    assert_eq!(found, explained);
}

#[test]
fn node_app_has_no_secrets() {
    let Some(found) = scan_env_tree("PLIMSOLL_TEST_NODE_APP") else {
        return;
    };
    let explained: Vec<(String, u32, String)> = Vec::new();
    assert_eq!(found, explained);
}
