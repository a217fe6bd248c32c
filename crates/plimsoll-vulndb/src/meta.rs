//! The database's metadata (`meta.json`): what `plimsoll db status` prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::source::{SourceFormat, SourceKind};

/// On-disk schema this build reads and writes. Bump it whenever the layout, a file format or
/// the meaning of a stored field changes; a database of another version is refused with
/// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) and rebuilt by the next import.
pub const SCHEMA_VERSION: u32 = 1;

/// Metadata of one database generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbMeta {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// When this generation was built.
    #[serde(with = "time::serde::rfc3339")]
    pub built_at: OffsetDateTime,
    /// The crate and version that built it, e.g. `plimsoll-vulndb 0.1.0`.
    pub built_by: String,
    /// Number of advisories stored.
    pub records: usize,
    /// Advisories per full OSV ecosystem (`PyPI`, `Ubuntu:22.04:LTS`); a record affecting
    /// several ecosystems counts in each.
    pub ecosystems: BTreeMap<String, usize>,
    /// Every source merged into the database, the most recent import of each location.
    pub sources: Vec<SourceMeta>,
    /// The data files, one per base ecosystem.
    pub files: Vec<DataFile>,
}

impl DbMeta {
    /// Distribution releases without an OSV ecosystem over all sources (Debian `sid`):
    /// release → native entries skipped.
    pub fn unknown_releases(&self) -> BTreeMap<String, usize> {
        let mut total = BTreeMap::new();
        for source in &self.sources {
            for (name, count) in &source.counts.unknown_releases {
                *total.entry(name.clone()).or_default() += count;
            }
        }
        total
    }

    /// Unknown ecosystems over all sources: ecosystem string → `affected[]` entries dropped.
    pub fn unknown_ecosystems(&self) -> BTreeMap<String, usize> {
        let mut total = BTreeMap::new();
        for source in &self.sources {
            for (name, count) in &source.counts.unknown_ecosystems {
                *total.entry(name.clone()).or_default() += count;
            }
        }
        total
    }

    /// Counts summed over all sources.
    pub fn totals(&self) -> ImportCounts {
        let mut total = ImportCounts::default();
        for source in &self.sources {
            total.add(&source.counts);
        }
        total
    }
}

/// One source as recorded in the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Directory, zip, file or URL.
    pub kind: SourceKind,
    /// Path or URL; a later import of the same location replaces this entry.
    pub location: String,
    /// `ETag` of the downloaded feed, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the downloaded feed, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// When it was imported.
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
    /// What the source held: documents read per format (a directory such as the advisory
    /// corpus mixes OSV records, Debian tracker lists and Alpine secdb files). Documents that
    /// were neither (invalid or unrecognised JSON) are not counted here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub formats: BTreeMap<SourceFormat, usize>,
    /// What the import of this source found.
    pub counts: ImportCounts,
}

/// What an import found in a source. Every skipped document or record is counted here and
/// named in the import's warnings; none aborts the import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportCounts {
    /// Documents read (files, archive entries).
    pub documents: usize,
    /// Records in them: OSV records; for the native formats, Debian tracker entries and the
    /// `ALPINE-…` records converted from secdb files.
    pub records: usize,
    /// Advisories of this source present in the database after the import.
    pub imported: usize,
    /// Advisories of this source not kept because a copy of the same id with a later
    /// `modified` (or the same, from a later source) won, or a withdrawal removed it.
    pub superseded: usize,
    /// Withdrawn records (excluded; they also remove an older copy of their id).
    pub withdrawn: usize,
    /// Documents that are not JSON, records that break the OSV schema, and lines or entries
    /// of a native format that could not be read (skipped).
    pub malformed: usize,
    /// JSON documents in no format the import reads (neither OSV, Alpine secdb nor the Debian
    /// tracker's `config.json`).
    pub not_osv: usize,
    /// Valid records with no package in a known ecosystem (nothing could match them), such as
    /// Debian tracker entries without a release line (announcements, key changes).
    pub no_packages: usize,
    /// `affected[]` entries dropped per unknown ecosystem string.
    pub unknown_ecosystems: BTreeMap<String, usize>,
    /// Native entries stating that a release was never affected (Debian `<not-affected>`, an
    /// Alpine secfix under version `0`), one per package and vulnerability: nothing to store.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_affected: usize,
    /// Native entries skipped per distribution release without an OSV ecosystem (Debian
    /// `sid`, which has no release number; an unknown codename).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_releases: BTreeMap<String, usize>,
    /// Fixed versions of native entries that the ecosystem's version ordering cannot read
    /// (Alpine's `0.8.21.r2`). They are stored as written; the matcher reports them as
    /// problems rather than guessing.
    #[serde(skip_serializing_if = "is_zero")]
    pub unreadable_versions: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ImportCounts {
    pub(crate) fn add(&mut self, other: &ImportCounts) {
        self.documents += other.documents;
        self.records += other.records;
        self.imported += other.imported;
        self.superseded += other.superseded;
        self.withdrawn += other.withdrawn;
        self.malformed += other.malformed;
        self.not_osv += other.not_osv;
        self.no_packages += other.no_packages;
        for (name, count) in &other.unknown_ecosystems {
            *self.unknown_ecosystems.entry(name.clone()).or_default() += count;
        }
        self.not_affected += other.not_affected;
        for (name, count) in &other.unknown_releases {
            *self.unknown_releases.entry(name.clone()).or_default() += count;
        }
        self.unreadable_versions += other.unreadable_versions;
    }
}

/// One data file of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Base ecosystem (`Debian` for `Debian:12`).
    pub ecosystem: String,
    /// File name inside the generation directory.
    pub file: String,
    /// Advisories in the file.
    pub records: usize,
    /// Compressed size.
    pub bytes: u64,
}
