//! Public-API tests of `plimsoll-secrets`: planted credentials, the oracle comparison with
//! `detect-secrets`, redaction of every planted secret, and clean corpora of real files.

#![allow(clippy::print_stderr)] // skip messages when an optional input is absent
#![allow(clippy::unwrap_used)] // test helpers: a failure should stop the test loudly

mod corpus;
mod oracle;
mod planted;
mod redaction;

use std::path::{Path, PathBuf};

use plimsoll_secrets::SecretScanner;
use plimsoll_types::Secret;

/// The planted fixture tree.
fn planted_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/planted")
}

/// Scans a directory as if it were an image's root: every regular file's image path and size
/// go through `wants`, the wanted ones through `scan`. Returns the findings and the number of
/// (files, bytes) wanted.
fn scan_tree(root: &Path) -> (Vec<Secret>, usize, u64) {
    let scanner = SecretScanner::builtin();
    let mut found = Vec::new();
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let disk = entry.unwrap().path();
            let meta = disk.symlink_metadata().unwrap();
            if meta.is_dir() {
                stack.push(disk);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let path = format!("/{}", disk.strip_prefix(root).unwrap().display());
            if !scanner.wants(&path, meta.len()) {
                continue;
            }
            let content = fs_err::read(&disk).unwrap();
            files += 1;
            bytes += content.len() as u64;
            found.extend(scanner.scan(&path, &content));
        }
    }
    found.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    (found, files, bytes)
}

/// `(path, line, rule)` of findings, for compact comparisons.
fn keys(found: &[Secret]) -> Vec<(String, u32, String)> {
    found
        .iter()
        .map(|s| (s.path.clone(), s.line, s.rule.clone()))
        .collect()
}
