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
    /// OSV id (`GHSA-…`, `PYSEC-…`, `GO-…`, `RUSTSEC-…`, `USN-…`; `DSA-…`/`DLA-…`/`DTSA-…` and
    /// `ALPINE-CVE-…` for records converted from the distributions' native formats).
    pub id: String,
    /// Other ids of the same vulnerability (`aliases`), CVE ↔ GHSA ↔ PYSEC.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Ids of related but different vulnerabilities (`related`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// The upstream vulnerabilities a distribution advisory fixes (`upstream`, OSV 1.7): a
    /// DSA's or an Alpine secfix's CVEs, a USN's `UBUNTU-CVE-…` ids. Unlike `aliases`, these do
    /// not make the record the *same* vulnerability, so they never join alias groups: one DSA
    /// fixing ten CVEs would otherwise merge ten unrelated groups. The distribution converters
    /// also list them in `aliases`, which is what findings show and where the matcher looks for
    /// an alias's severity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
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

/// Ranges, their kinds and events are `plimsoll-version`'s own types (one model of a range,
/// serialised as OSV spells it): the matcher evaluates stored records without converting them.
/// `GIT` ranges are dropped at import; a package scanner cannot order commits.
pub use plimsoll_version::{Event, Range, RangeKind};
