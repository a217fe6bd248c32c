//! The rpm database, in all three of its formats, under `/var/lib/rpm/` or
//! `/usr/lib/sysimage/rpm/` (where Fedora 36+ and openSUSE moved it; the old path is then a
//! symlink, which the layer walk does not follow):
//!
//! | file            | backend                                 | used by                           |
//! |-----------------|-----------------------------------------|-----------------------------------|
//! | `rpmdb.sqlite`  | [`sqlite`] (rpm ≥ 4.16)                 | Fedora 33+, RHEL/Rocky/Alma 9, AL2023 |
//! | `Packages`      | [`bdb`], Berkeley DB hash (rpm < 4.16)  | `CentOS`/RHEL 7–8, Amazon Linux 2   |
//! | `Packages.db`   | [`ndb`], rpm's own (rpm ≥ 4.15)         | openSUSE Leap 15, SLES 15         |
//!
//! Each holds one [`header`] blob per installed package. The file name says where to look,
//! but the format is read from the content (the `SQLite` magic, `RpmP`, the Berkeley DB hash
//! magic), so a database at an unexpected one of these names still reads, and a file with
//! none of the magics is an error instead of garbage. An empty file is an empty database (it
//! hides a lower layer's packages, like any empty package database).
//!
//! Each package, checked against `rpm -qa --qf` of rpm 4.18 on databases made by real rpm
//! runs (`testdata/rpm/`, `tests/it/rpm_oracle.rs`):
//!
//! - `gpg-pubkey` entries are skipped: `rpm --import` stores each trusted signing key as a
//!   pseudo-package of that name (version = key id), which is not software.
//! - version is `[epoch:]version-release`. The epoch is written only when the `EPOCH` tag is
//!   present and non-zero. rpm itself is not consistent here: `%{EPOCH}` prints `(none)` for a
//!   missing tag and `0` for `Epoch: 0`, `%{EVR}` then prints `0:0.9-1`, while `rpm -qa`'s
//!   default format omits every epoch. rpm orders a missing epoch as 0, so the two are the same
//!   version, and dropping `0:` gives one spelling (as the dpkg cataloger drops `0:`).
//! - `source` comes from `SOURCERPM` (`openssl-3.0.7-24.el9.src.rpm`): name and
//!   version-release split at its last two dashes, with the binary package's epoch in front
//!   (the source rpm's file name never carries the epoch, and all binaries of one build share
//!   the spec's). No `SOURCERPM` (`gpg-pubkey`, source packages) or an unparsable one leaves
//!   `source` unset. The matcher looks rpm packages up by binary name, so this is for reports.
//! - `LICENSE` is kept whole as one licence expression (`GPL-2.0-or-later AND MIT`).
//! - `VENDOR` is read by rpm but has no field in [`plimsoll_types::Package`], so it is dropped.
//! - Packages come in install order (the database key); the same name may repeat (several
//!   kernels, multilib `i686` + `x86_64`), exactly as rpm lists them.
//!
//! A header or database page that does not read is a warning and the rest is still read;
//! hostile input never panics and nothing is allocated beyond a bounded multiple of the file
//! size (each backend's doc says how). Not read: the `-wal`/`-shm` files beside
//! `rpmdb.sqlite` (see [`sqlite`]) and the index files (`Name`, `Index.db`, …), which only
//! repeat what the headers say.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use plimsoll_types::{FileFacts, Package, PackageKind, SourcePackage};

use crate::{Cataloger, Error, Result};

/// Directories rpm keeps its database in.
const DIRS: [&str; 2] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/"];
/// Database files, one per backend.
const FILES: [&str; 3] = ["rpmdb.sqlite", "Packages", "Packages.db"];

/// Real rpm databases are 5–150 MB; a few hundred packages with file lists can pass 64 MiB.
pub(crate) const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Reads rpm databases (`SQLite`, Berkeley DB hash, ndb).
pub(crate) struct RpmCataloger;

impl RpmCataloger {
    const NAME: &'static str = "rpm";
    /// Output version; bump when the facts change (STYLE rule 8).
    pub(crate) const VERSION: u32 = 1;
}

impl Cataloger for RpmCataloger {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn wants(&self, path: &str) -> bool {
        DIRS.iter()
            .filter_map(|dir| path.strip_prefix(dir))
            .any(|file| FILES.contains(&file))
    }

    fn max_file_size(&self) -> u64 {
        MAX_FILE_SIZE
    }

    fn catalog(&self, path: &str, contents: &[u8]) -> Result<FileFacts> {
        let mut facts = FileFacts {
            path: path.to_owned(),
            cataloger: Self::NAME.to_owned(),
            ..FileFacts::default()
        };
        if contents.is_empty() {
            return Ok(facts);
        }
        let read: ReadFn = if contents.starts_with(sqlite::MAGIC) {
            sqlite::read
        } else if contents.starts_with(ndb::MAGIC) {
            ndb::read
        } else if bdb::is_hash_db(contents) {
            bdb::read
        } else {
            return Err(malformed(
                path,
                "neither SQLite, ndb nor a Berkeley DB hash database".to_owned(),
            ));
        };
        let mut packages = Vec::new();
        let mut warnings = Vec::new();
        let mut sink = |key: u64, blob: &[u8]| {
            if let Some(p) = package(key, blob, path, &mut warnings) {
                packages.push(p);
            }
        };
        let mut db_warnings = Vec::new();
        read(contents, &mut sink, &mut db_warnings).map_err(|reason| malformed(path, reason))?;
        facts.packages = packages;
        facts.warnings = db_warnings;
        facts.warnings.append(&mut warnings);
        Ok(facts)
    }
}

/// A backend's reader: calls the sink with each (key, header blob), pushes warnings, and fails
/// when the file is not a database of its format at all.
type ReadFn = fn(&[u8], &mut dyn FnMut(u64, &[u8]), &mut Vec<String>) -> Result<(), String>;

fn malformed(path: &str, reason: String) -> Error {
    Error::Malformed {
        format: "rpm database",
        path: path.to_owned(),
        reason,
    }
}

/// The package of one header blob stored under `key`, or `None` (with a warning unless it is a
/// `gpg-pubkey`).
fn package(key: u64, blob: &[u8], path: &str, warnings: &mut Vec<String>) -> Option<Package> {
    let header = match header::Header::parse(blob) {
        Ok(h) => h,
        Err(why) => {
            warnings.push(format!("record {key}: {why}, skipped"));
            return None;
        }
    };
    let mut problems = Vec::new();
    let tags = header.tags(&mut problems);
    let label = tags.name.clone().unwrap_or_else(|| format!("record {key}"));
    if tags.name.as_deref() == Some("gpg-pubkey") {
        return None;
    }
    for p in problems {
        warnings.push(format!("{label}: {p}"));
    }
    let Some(name) = tags.name.filter(|n| !n.is_empty()) else {
        warnings.push(format!("record {key}: no NAME, skipped"));
        return None;
    };
    let Some(version) = tags.version.filter(|v| !v.is_empty()) else {
        warnings.push(format!("{name}: no VERSION, skipped"));
        return None;
    };
    let epoch = match tags.epoch {
        Some(e) if e != 0 => format!("{e}:"),
        _ => String::new(),
    };
    let full = match tags.release.as_deref().filter(|r| !r.is_empty()) {
        Some(release) => format!("{epoch}{version}-{release}"),
        None => format!("{epoch}{version}"),
    };
    let mut package = Package::new(PackageKind::Rpm, name, full, path);
    package.arch = tags.arch.filter(|a| !a.is_empty());
    package.licenses = tags.license.filter(|l| !l.is_empty()).into_iter().collect();
    package.source = tags
        .source_rpm
        .as_deref()
        .and_then(source_rpm)
        .map(|(name, version)| SourcePackage {
            name: name.to_owned(),
            version: format!("{epoch}{version}"),
        });
    Some(package)
}

/// `openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`): rpm names source packages
/// `name-version-release.src.rpm` (`.nosrc.rpm` without sources), and neither version nor
/// release may contain a dash, so the last two dashes split it.
fn source_rpm(file: &str) -> Option<(&str, &str)> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name, &stem[name.len() + 1..]))
}

#[cfg(test)]
mod tests;
