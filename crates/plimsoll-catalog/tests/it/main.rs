//! Tests of the catalogers through the public API, against real files and reference tools.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers: fail loudly, say why a test skips

mod composer_oracle;
mod gem_oracle;
mod go_oracle;
mod java_oracle;
mod pnpm_oracle;
mod python_lock_oracle;
mod rpm_oracle;
mod rust_oracle;
mod yarn_oracle;

use std::path::{Path, PathBuf};

use plimsoll_catalog::{Cataloger, FileCandidate};

/// The path in `PLIMSOLL_TOOLS_<var>` (exported by `scripts/tools/*.sh`), or `None` with a
/// message saying why the test skips. Under `CI` a missing variable fails instead.
fn tool_env(var: &str) -> Option<PathBuf> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false") => {
            panic!("CI is set but {var} is not: run scripts/test-tools.sh")
        }
        _ => {
            eprintln!("skipping: {var} not set (eval \"$(scripts/test-tools.sh)\")");
            None
        }
    }
}

/// Regular files with an execute bit under `dir`, recursively when `recurse`, sorted.
fn executables(dir: &Path, recurse: bool) -> Vec<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() && recurse {
            out.extend(executables(&entry.path(), true));
        } else if kind.is_file() && entry.metadata().unwrap().permissions().mode() & 0o111 != 0 {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}

/// The catalogers of `all()` that want `real` as a file at `path` (its real size and mode).
fn claimants(path: &str, real: &Path) -> Vec<Box<dyn Cataloger>> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = fs_err::metadata(real).unwrap();
    let file = FileCandidate {
        path,
        size: meta.len(),
        mode: meta.permissions().mode(),
    };
    plimsoll_catalog::all()
        .into_iter()
        .filter(|c| c.wants_file(&file))
        .collect()
}
