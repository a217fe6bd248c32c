use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use plimsoll_types::{Digest, Finding, FixState, Severity};

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// Findings per severity bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// `CRITICAL` findings.
    pub critical: u64,
    /// `HIGH` findings.
    pub high: u64,
    /// `MEDIUM` findings.
    pub medium: u64,
    /// `LOW` findings.
    pub low: u64,
    /// `UNKNOWN` findings.
    pub unknown: u64,
}

impl SeverityCounts {
    /// Counts `findings` by severity.
    pub fn of(findings: &[Finding]) -> Self {
        let mut counts = SeverityCounts::default();
        for finding in findings {
            *counts.get_mut(finding.severity) += 1;
        }
        counts
    }

    /// The count of one severity.
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Unknown => self.unknown,
        }
    }

    fn get_mut(&mut self, severity: Severity) -> &mut u64 {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Unknown => &mut self.unknown,
        }
    }

    /// All findings.
    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }
}

/// The latest match of one platform image.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFindings {
    /// The image manifest digest of the platform image.
    pub manifest_digest: Digest,
    /// The findings, as given to [`Store::put_findings`].
    pub findings: Vec<Finding>,
    /// Their counts per severity.
    pub counts: SeverityCounts,
    /// How many have a fix (status [`FixState::Fixed`]).
    pub fixable: u64,
    /// When the vulnerability database used was built (RFC 3339), if known.
    pub db_built_at: Option<String>,
    /// When they were stored.
    pub matched_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct FindingsRow {
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    unknown: i64,
    fixable: i64,
    db_built_at: Option<String>,
    matched_at: i64,
    findings: Vec<u8>,
}

impl Store {
    /// Stores the findings of a platform image, replacing its previous ones atomically, with
    /// their counts per severity, the fixable count, now as `matched_at` and the database build
    /// time, and their advisory ids and aliases (for [`Store::images`]'s `cve` filter), in one
    /// transaction. An empty list is stored too: "matched, nothing found".
    pub async fn put_findings(
        &self,
        manifest_digest: &Digest,
        db_built_at: Option<&str>,
        findings: &[Finding],
    ) -> Result<()> {
        let blob = self.encode(&findings, || format!("the findings of {manifest_digest}"))?;
        let counts = SeverityCounts::of(findings);
        let fixable = findings
            .iter()
            .filter(|f| f.status == FixState::Fixed)
            .count();
        let action = "store findings";
        let mut tx = self.write_tx(action).await?;
        sqlx::query(
            "INSERT INTO findings (manifest_digest, critical, high, medium, low, unknown, \
               fixable, db_built_at, matched_at, findings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (manifest_digest) DO UPDATE SET \
               critical = excluded.critical, high = excluded.high, medium = excluded.medium, \
               low = excluded.low, unknown = excluded.unknown, fixable = excluded.fixable, \
               db_built_at = excluded.db_built_at, matched_at = excluded.matched_at, \
               findings = excluded.findings",
        )
        .bind(manifest_digest.as_str())
        .bind(codec::to_db(counts.critical))
        .bind(codec::to_db(counts.high))
        .bind(codec::to_db(counts.medium))
        .bind(codec::to_db(counts.low))
        .bind(codec::to_db(counts.unknown))
        .bind(codec::to_db(fixable as u64))
        .bind(db_built_at)
        .bind(codec::now_ms())
        .bind(blob)
        .execute(&mut *tx)
        .await
        .map_err(self.query_err(action))?;
        self.write_finding_ids(&mut tx, manifest_digest.as_str(), findings, action)
            .await?;
        tx.commit().await.map_err(self.query_err(action))?;
        Ok(())
    }

    /// Which database build a platform image's stored findings came from: `None` when it was
    /// never matched, `Some(None)` when the build was unknown. Reads one column, not the
    /// findings: a re-scan asks this of every reused image to decide whether to re-match.
    pub async fn findings_db_built_at(
        &self,
        manifest_digest: &Digest,
    ) -> Result<Option<Option<String>>> {
        sqlx::query_scalar("SELECT db_built_at FROM findings WHERE manifest_digest = $1")
            .bind(manifest_digest.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err("read findings"))
    }

    /// The latest findings of a platform image, if it was matched.
    pub async fn findings(&self, manifest_digest: &Digest) -> Result<Option<StoredFindings>> {
        let row: Option<FindingsRow> = sqlx::query_as(
            "SELECT critical, high, medium, low, unknown, fixable, db_built_at, matched_at, \
                    findings \
             FROM findings WHERE manifest_digest = $1",
        )
        .bind(manifest_digest.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_err("read findings"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(StoredFindings {
            manifest_digest: manifest_digest.clone(),
            findings: self.decode(&row.findings, || format!("findings of {manifest_digest}"))?,
            counts: SeverityCounts {
                critical: codec::from_db(row.critical),
                high: codec::from_db(row.high),
                medium: codec::from_db(row.medium),
                low: codec::from_db(row.low),
                unknown: codec::from_db(row.unknown),
            },
            fixable: codec::from_db(row.fixable),
            db_built_at: row.db_built_at,
            matched_at: self.time(row.matched_at, "match")?,
        }))
    }
}
