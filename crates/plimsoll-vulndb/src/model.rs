//! The normalised advisory: the subset of an OSV record that matching and reports use.
//!
//! Field names and shapes follow the OSV schema (<https://ossf.github.io/osv-schema/>) so a stored
//! record reads like the OSV it came from; `details`, `credits`, `GIT` ranges and most
//! `*_specific` blobs are dropped at import to keep the database small (see
//! `docs/architecture.md`, "Vulnerability database").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ecosystem::{canonical_ecosystem, normalise_package_name};

/// One OSV advisory as stored in the database. Withdrawn records are never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// OSV id (`GHSA-…`, `PYSEC-…`, `GO-…`, `RUSTSEC-…`, `USN-…`).
    pub id: String,
    /// Other ids of the same vulnerability (`aliases`), CVE ↔ GHSA ↔ PYSEC.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Ids of related but different vulnerabilities (`related`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Last modification (`modified`); on import the record with the later time wins.
    #[serde(with = "time::serde::rfc3339")]
    pub modified: OffsetDateTime,
    /// First publication (`published`), when the record states a valid one.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<OffsetDateTime>,
    /// One-line summary (`summary`). `details` is not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Record-level severity vectors (`severity[]`: CVSS v2/v3/v4, Ubuntu priority…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// The database's own label (`database_specific.severity`, e.g. GHSA's `"moderate"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_severity: Option<String>,
    /// Links (`references[]`), with their OSV type (`ADVISORY`, `FIX`, `WEB`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Affected packages in ecosystems this database knows; never empty.
    pub affected: Vec<Affected>,
}

impl Advisory {
    /// The affected entries for one package, compared the way the index compares them
    /// (ecosystem case-insensitive on its base name, package name normalised per
    /// [`normalise_package_name`]). A record may list one package several times, e.g. once per
    /// release line.
    pub fn affected_for<'a>(
        &'a self,
        ecosystem: &str,
        name: &str,
    ) -> impl Iterator<Item = &'a Affected> + 'a {
        let ecosystem = canonical_ecosystem(ecosystem).map(std::borrow::Cow::into_owned);
        let name = ecosystem
            .as_deref()
            .map(|eco| normalise_package_name(eco, name).into_owned());
        self.affected.iter().filter(move |affected| {
            ecosystem.as_deref() == Some(affected.ecosystem.as_str())
                && name.as_deref()
                    == Some(normalise_package_name(&affected.ecosystem, &affected.name).as_ref())
        })
    }
}

/// A severity score (`severity[]` in the OSV schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`…, as written in the record.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or label.
    pub score: String,
}

/// A link (`references[]` in the OSV schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `ARTICLE`, `FIX`, `PACKAGE`, `REPORT`, `WEB`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// One affected package (`affected[]` in the OSV schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Full OSV ecosystem, base name in its canonical spelling: `PyPI`, `Debian:12`,
    /// `Ubuntu:22.04:LTS`.
    pub ecosystem: String,
    /// Package name as the record writes it (the index normalises it, this keeps it for
    /// display). For distributions it is the *source* package.
    pub name: String,
    /// Package URL, when the record gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// `SEMVER` and `ECOSYSTEM` ranges; `GIT` ranges (commit hashes) are dropped at import.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions (`versions[]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Per-package severity vectors (`affected[].severity[]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// A textual severity from `affected[].ecosystem_specific` / `database_specific`
    /// (`severity`, Debian's `urgency`, the highest Ubuntu priority in `cves_map`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_hint: Option<String>,
}

/// A version range (`affected[].ranges[]` in the OSV schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How the versions in `events` are ordered.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// Events in the order the record gives them; the OSV evaluation algorithm sorts them by
    /// version, which is the matcher's job.
    pub events: Vec<Event>,
}

/// The ordering of a range's versions. OSV 1.x defines exactly these plus `GIT`, which a
/// package scanner cannot evaluate and the import drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// Semantic Versioning 2.0 ordering (a leading `v` is not part of the version, per the schema).
    Semver,
    /// The ecosystem's own ordering (PEP 440, dpkg, apk, Maven…).
    Ecosystem,
}

/// One range event. OSV 1.x defines exactly these four; an event with another key makes the
/// record malformed rather than being guessed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Vulnerable from this version on (`"0"`: from the beginning).
    Introduced(String),
    /// Not vulnerable from this version on.
    Fixed(String),
    /// Vulnerable up to and including this version.
    LastAffected(String),
    /// Upper bound of the range, exclusive (not a fix).
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}
