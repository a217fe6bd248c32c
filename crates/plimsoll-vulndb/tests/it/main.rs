//! Public-API tests of plimsoll-vulndb, one binary. Where a new test belongs:
//!
//! - `import`: sources (directory, zip, single file), counts, bad input, look-ups, aliases.
//! - `merge`: what a second import does to the records of the first (merge, replace,
//!   withdrawals, newer-wins).
//! - `atomic`: crash safety (a panic and a real `abort()` mid-import), concurrent readers,
//!   the import lock.
//! - `open`: missing database, schema mismatch, corrupt files.
//! - `http`: `update` against a loopback HTTP server (`ETag` / 304, truncated bodies).
//! - `corpus`: the whole `../shared/advisories` corpus against its `INDEX.tsv` (skipped with a
//!   message when the corpus is absent).
//! - `distro`: Debian security-tracker lists and Alpine secdb files converted on import, the
//!   real corpus's facts, and matching end to end through `plimsoll-matcher`.

// Test helpers: a failure should fail the test loudly; skipped tests say why on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod atomic;
mod corpus;
mod distro;
mod http;
mod import;
mod merge;
mod open;

use std::io::Write;
use std::path::{Path, PathBuf};

use plimsoll_vulndb::{ImportMode, ImportOptions, ImportReport, ImportSource, import};

/// `testdata/osv/<case>`.
pub(crate) fn testdata(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/osv")
        .join(case)
}

/// Imports directories into `db` with the given mode.
pub(crate) fn import_dirs(db: &Path, cases: &[&str], mode: ImportMode) -> ImportReport {
    let sources: Vec<ImportSource> = cases
        .iter()
        .map(|case| ImportSource::Dir(testdata(case)))
        .collect();
    import(db, &sources, &ImportOptions::new().mode(mode)).unwrap()
}

/// Every file under `dir` (recursively, hidden ones included), as (relative name, bytes).
pub(crate) fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in fs_err::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((name, fs_err::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A zip archive (deflated) of `entries`.
pub(crate) fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The ids a look-up returned, sorted.
pub(crate) fn ids(advisories: &[std::sync::Arc<plimsoll_vulndb::Advisory>]) -> Vec<String> {
    let mut ids: Vec<String> = advisories.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids
}
