//! The stored images of given registries, for what `plimsoll serve` does besides scanning:
//! the inventories to re-match after a database update, and each tag's last successful scan
//! (for `image.stale`). Registry hosts are passed as one JSON array bound to `json_each`, so
//! the SQL text never depends on the input.

use time::OffsetDateTime;

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// A tag and when a scan run last checked it successfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastScan {
    /// Registry host.
    pub registry: String,
    /// Repository.
    pub repository: String,
    /// Tag.
    pub tag: String,
    /// The latest `success` outcome of the tag in any run.
    pub last_scanned: OffsetDateTime,
}

impl LastScan {
    /// `registry/repository:tag`.
    pub fn reference(&self) -> String {
        format!("{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

impl Store {
    /// The image manifest digests of the inventories stored under `analyzer` of the platform
    /// images that a tag of one of `registries` (hosts, as tags are filed) points at, sorted.
    pub async fn inventory_digests_in(
        &self,
        registries: &[String],
        analyzer: &str,
    ) -> Result<Vec<plimsoll_types::Digest>> {
        let hosts = serde_json::to_string(registries).unwrap_or_else(|_| "[]".to_owned());
        let digests: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT i.manifest_digest FROM inventories i \
             JOIN manifest_platforms p ON p.manifest_digest = i.manifest_digest \
             JOIN tags t ON t.digest = p.digest \
             WHERE i.analyzer = $1 AND t.registry IN (SELECT value FROM json_each($2)) \
             ORDER BY i.manifest_digest",
        )
        .bind(analyzer)
        .bind(hosts)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("list the inventories of registries"))?;
        digests
            .iter()
            .map(|digest| self.digest(digest, "inventory"))
            .collect()
    }

    /// The tags of `registries` (hosts) whose latest successful scan is older than `before`,
    /// oldest first. Tags never scanned successfully are not listed (their results show why).
    pub async fn scanned_before(
        &self,
        registries: &[String],
        before: OffsetDateTime,
    ) -> Result<Vec<LastScan>> {
        let hosts = serde_json::to_string(registries).unwrap_or_else(|_| "[]".to_owned());
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT t.registry, t.repository, t.tag, MAX(o.recorded_at) AS last_scanned \
             FROM tags t JOIN run_outcomes o ON o.registry = t.registry \
               AND o.repository = t.repository AND o.tag = t.tag AND o.status = 'success' \
             WHERE t.registry IN (SELECT value FROM json_each($1)) \
             GROUP BY t.registry, t.repository, t.tag \
             HAVING MAX(o.recorded_at) < $2 \
             ORDER BY last_scanned, t.registry, t.repository, t.tag",
        )
        .bind(hosts)
        .bind(codec::ms_of(before))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("list the tags not scanned lately"))?;
        rows.into_iter()
            .map(|(registry, repository, tag, ms)| {
                Ok(LastScan {
                    last_scanned: self.time(ms, "outcome time")?,
                    registry,
                    repository,
                    tag,
                })
            })
            .collect()
    }
}
