use std::fmt;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use plimsoll_types::{Digest, Platform};

use crate::codec;
use crate::error::Result;
use crate::findings::SeverityCounts;
use crate::runs::OutcomeStatus;
use crate::store::Store;

/// Which rows [`Store::results`] returns. The default selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultFilter {
    /// Only this registry host, exactly.
    pub registry: Option<String>,
    /// Only repositories containing this text.
    pub repository: Option<String>,
}

/// Where the results of one row stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultStatus {
    /// Findings are stored (possibly none: matched, nothing found).
    Scanned,
    /// Nothing stored yet, and no run failed or skipped it.
    NotScanned,
    /// No findings stored; the latest run that tried it failed.
    Failed,
    /// No findings stored; the latest run skipped it.
    Skipped,
}

impl ResultStatus {
    /// The name shown in tables (`not scanned`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Scanned => "scanned",
            ResultStatus::NotScanned => "not scanned",
            ResultStatus::Failed => "failed",
            ResultStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for ResultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `plimsoll results list`: a tag and one of its platform images.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRow {
    /// Registry host.
    pub registry: String,
    /// Repository.
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// The top-level manifest (image or index) digest the tag points at.
    pub digest: Digest,
    /// The platform image; `None` when the manifest's metadata is not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Its image manifest digest (the key of inventories and findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// The distribution, from the newest stored inventory: its `PRETTY_NAME`, else
    /// `ID VERSION_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Findings per severity (zero when not scanned).
    pub counts: SeverityCounts,
    /// Findings with a fix.
    pub fixable: u64,
    /// Where it stands.
    pub status: ResultStatus,
    /// Why the latest run failed or skipped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the findings were stored.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub scanned_at: Option<OffsetDateTime>,
    /// When the vulnerability database used was built (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_built_at: Option<String>,
    /// When discovery last saw the tag.
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    registry: String,
    repository: String,
    tag: String,
    digest: String,
    last_seen: i64,
    platform_os: Option<String>,
    platform_arch: Option<String>,
    platform_variant: Option<String>,
    manifest_digest: Option<String>,
    os_id: Option<String>,
    os_version: Option<String>,
    os_name: Option<String>,
    critical: Option<i64>,
    high: Option<i64>,
    medium: Option<i64>,
    low: Option<i64>,
    unknown: Option<i64>,
    fixable: Option<i64>,
    matched_at: Option<i64>,
    db_built_at: Option<String>,
    outcome_status: Option<String>,
    outcome_cause: Option<String>,
}

/// Tags → their manifest's platform images → the newest inventory (for the distribution) and
/// the findings of each, and the latest outcome of the tag (for that platform, or for the whole
/// tag) to explain a missing result. `LEFT JOIN`s all the way: a tag appears even when nothing
/// else is stored.
pub(crate) const RESULTS_SELECT: &str = "\
SELECT t.registry, t.repository, t.tag, t.digest, t.last_seen,
       p.platform_os, p.platform_arch, p.platform_variant, p.manifest_digest,
       i.os_id, i.os_version, i.os_name,
       f.critical, f.high, f.medium, f.low, f.unknown, f.fixable, f.matched_at, f.db_built_at,
       o.status AS outcome_status, o.cause AS outcome_cause
FROM tags t
LEFT JOIN manifest_platforms p ON p.digest = t.digest
LEFT JOIN inventories i ON i.manifest_digest = p.manifest_digest AND i.analyzer = (
    SELECT i2.analyzer FROM inventories i2 WHERE i2.manifest_digest = p.manifest_digest
    ORDER BY i2.stored_at DESC, i2.analyzer LIMIT 1)
LEFT JOIN findings f ON f.manifest_digest = p.manifest_digest
LEFT JOIN run_outcomes o ON o.id = (
    SELECT o2.id FROM run_outcomes o2
    WHERE o2.registry = t.registry AND o2.repository = t.repository AND o2.tag = t.tag
      AND (o2.digest IS NULL OR o2.digest = t.digest)
      AND (o2.platform_os IS NULL OR (o2.platform_os = p.platform_os
           AND o2.platform_arch = p.platform_arch
           AND o2.platform_variant IS NOT DISTINCT FROM p.platform_variant))
    ORDER BY o2.id DESC LIMIT 1)";

const RESULTS_WHERE: &str = "
WHERE ($1 IS NULL OR t.registry = $1) AND ($2 IS NULL OR instr(t.repository, $2) > 0)
ORDER BY t.registry, t.repository, t.tag, p.position";

impl Store {
    /// The results view: one row per (registry, repository, tag, platform image) of the tags
    /// recorded by [`Store::record_tags`], sorted by registry, repository, tag and manifest
    /// order. Tags whose manifest metadata is not stored give one row without a platform.
    pub async fn results(&self, filter: &ResultFilter) -> Result<Vec<ResultRow>> {
        let sql = format!("{RESULTS_SELECT}{RESULTS_WHERE}");
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(filter.registry.as_deref())
            .bind(filter.repository.as_deref())
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("list results"))?;
        rows.into_iter().map(|row| self.result_row(row)).collect()
    }

    pub(crate) fn result_row(&self, row: Row) -> Result<ResultRow> {
        let outcome = row.outcome_status.as_deref().and_then(OutcomeStatus::parse);
        let status = match (row.matched_at, outcome) {
            (Some(_), _) => ResultStatus::Scanned,
            (None, Some(OutcomeStatus::Failed)) => ResultStatus::Failed,
            (None, Some(OutcomeStatus::Skipped)) => ResultStatus::Skipped,
            (None, Some(OutcomeStatus::Success) | None) => ResultStatus::NotScanned,
        };
        let os = match (row.os_name, row.os_id, row.os_version) {
            (Some(name), _, _) => Some(name),
            (None, Some(id), Some(version)) => Some(format!("{id} {version}")),
            (None, id, None) => id,
            (None, None, Some(_)) => None,
        };
        let count = |n: Option<i64>| codec::from_db(n.unwrap_or(0));
        Ok(ResultRow {
            digest: self.digest(&row.digest, "tag")?,
            platform: codec::platform_of(row.platform_os, row.platform_arch, row.platform_variant),
            manifest_digest: row
                .manifest_digest
                .map(|d| self.digest(&d, "platform manifest"))
                .transpose()?,
            os,
            counts: SeverityCounts {
                critical: count(row.critical),
                high: count(row.high),
                medium: count(row.medium),
                low: count(row.low),
                unknown: count(row.unknown),
            },
            fixable: count(row.fixable),
            cause: match status {
                ResultStatus::Failed | ResultStatus::Skipped => row.outcome_cause,
                ResultStatus::Scanned | ResultStatus::NotScanned => None,
            },
            status,
            scanned_at: row
                .matched_at
                .map(|ms| self.time(ms, "match"))
                .transpose()?,
            db_built_at: row.db_built_at,
            last_seen: self.time(row.last_seen, "tag last-seen")?,
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
        })
    }
}
