//! Plimsoll's local vulnerability database, built from OSV records
//! (<https://ossf.github.io/osv-schema/>) and from the distributions' native advisory formats
//! converted to the same model.
//!
//! - [`import`] reads [`ImportSource`]s (directories of OSV JSON, OSV `all.zip` archives,
//!   single files, completed downloads), normalises each record to an [`Advisory`] (dropping
//!   `details`, `GIT` ranges, withdrawn records, unknown ecosystems; counting and naming every
//!   skipped document) and writes a new database *generation* that replaces the previous one
//!   atomically: a crash at any point leaves the previous database current and intact.
//!   Documents are recognised by content ([`SourceFormat`]): besides OSV, Debian
//!   security-tracker lists (`data/DSA/list`…) become `DSA-…`/`DLA-…`/`DTSA-…` records in
//!   `Debian:<release>` and Alpine secdb files become `ALPINE-CVE-…` records in
//!   `Alpine:v<release>`, the way OSV's own Debian and Alpine feeds express them
//!   (`docs/matching.md`, "Distribution data").
//! - [`update`] (async) downloads feed URLs conditionally (`ETag`, `Last-Modified`) and imports
//!   the ones that changed.
//! - [`VulnDb`] opens the current generation and answers [`VulnDb::advisories_for`]
//!   `(ecosystem, package)` from an in-memory hash index built per base ecosystem on first use,
//!   [`VulnDb::by_id`] (also through aliases: CVE ↔ GHSA ↔ PYSEC) and [`VulnDb::status`].
//!
//! Storage is one zstd-compressed JSON-lines file per base ecosystem plus `meta.json` and an
//! id/alias index; `docs/architecture.md` ("Vulnerability database") gives the measurements
//! behind that choice and the update protocol.
//!
//! In the pipeline this crate sits before the matcher, which asks it for candidate advisories
//! and does the version comparison itself. It depends on no other stage and compares no
//! versions. Import and look-ups are synchronous (call them from `spawn_blocking` in async
//! code); only the HTTP download is async.
//!
//! ```
//! use plimsoll_vulndb::{ImportOptions, ImportSource, VulnDb, import};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let feed = tempfile::tempdir()?;
//! std::fs::write(feed.path().join("GHSA-test.json"), r#"{
//!     "id": "GHSA-test", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-0001"],
//!     "affected": [{"package": {"ecosystem": "PyPI", "name": "Some_Package"},
//!                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}]
//! }"#)?;
//! let db_dir = tempfile::tempdir()?;
//! let report = import(db_dir.path(), &[ImportSource::Dir(feed.path().into())], &ImportOptions::new())?;
//! assert_eq!(report.meta.records, 1);
//!
//! let db = VulnDb::open(db_dir.path())?;
//! let hits = db.advisories_for("PyPI", "some-package")?; // PEP 503 on both sides
//! assert_eq!(hits[0].id, "GHSA-test");
//! assert_eq!(db.by_id("CVE-2024-0001")?.map(|a| a.id.as_str()), Some("GHSA-test"));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod alpine_secdb;
mod db;
mod debian_tracker;
mod download;
mod ecosystem;
mod error;
mod import;
mod meta;
mod model;
mod osv;
mod source;
mod store;

use std::ffi::OsString;
use std::path::PathBuf;

pub use crate::db::VulnDb;
pub use crate::download::{
    Download, Downloaded, OSV_BUCKET, UpdateReport, download, osv_all_zip_url, update,
};
pub use crate::ecosystem::normalise_package_name;
pub use crate::error::{Error, Result};
pub use crate::import::{
    ImportEvent, ImportMode, ImportOptions, ImportReport, ImportWarning, import,
};
pub use crate::meta::{DataFile, DbMeta, ImportCounts, SCHEMA_VERSION, SourceMeta};
pub use crate::model::{Advisory, Affected, Event, Range, RangeKind, Reference, Severity};
pub use crate::source::{ImportSource, SourceFormat, SourceKind};

/// The name of the generation `CURRENT` points at in `db_dir` (`None`: no import has completed
/// there yet). One small file read: a process that keeps a database open (`plimsoll serve`)
/// polls it to notice an import made by another process, then opens the new generation.
pub fn current_generation(db_dir: impl AsRef<std::path::Path>) -> Result<Option<String>> {
    store::read_current(db_dir.as_ref())
}

/// The database directory when none is given: `$PLIMSOLL_DB_DIR`, else
/// `$XDG_CACHE_HOME/plimsoll/db` (XDG base directory spec: only an absolute value counts),
/// else `~/.cache/plimsoll/db`, else `.plimsoll/db` in the working directory.
pub fn default_db_dir() -> PathBuf {
    db_dir_from(|name| std::env::var_os(name), std::env::home_dir())
}

fn db_dir_from(var: impl Fn(&str) -> Option<OsString>, home: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = var("PLIMSOLL_DB_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(cache) = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return cache.join("plimsoll").join("db");
    }
    match home {
        Some(home) => home.join(".cache").join("plimsoll").join("db"),
        None => PathBuf::from(".plimsoll").join("db"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_dir_precedence() {
        let home = Some(PathBuf::from("/home/u"));
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            db_dir_from(
                env(&[("PLIMSOLL_DB_DIR", "/x"), ("XDG_CACHE_HOME", "/c")]),
                home.clone()
            ),
            PathBuf::from("/x")
        );
        assert_eq!(
            db_dir_from(env(&[("XDG_CACHE_HOME", "/c")]), home.clone()),
            PathBuf::from("/c/plimsoll/db")
        );
        assert_eq!(
            db_dir_from(env(&[("XDG_CACHE_HOME", "relative")]), home.clone()),
            PathBuf::from("/home/u/.cache/plimsoll/db")
        );
        assert_eq!(
            db_dir_from(env(&[("PLIMSOLL_DB_DIR", "")]), home),
            PathBuf::from("/home/u/.cache/plimsoll/db")
        );
        assert_eq!(db_dir_from(env(&[]), None), PathBuf::from(".plimsoll/db"));
    }
}
