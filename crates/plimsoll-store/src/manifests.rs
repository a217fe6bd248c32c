use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use plimsoll_types::{Digest, Platform};

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// What discovery's metadata phase learnt about a top-level manifest (an image manifest or an
/// index). Content addressed: it never changes for a digest, so it is fetched once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestMeta {
    /// Digest of the manifest or index.
    pub digest: Digest,
    /// Its media type (`application/vnd.oci.image.index.v1+json`, …).
    pub media_type: String,
    /// Its platform images, in manifest order: the image itself for an image manifest, one per
    /// entry for an index.
    pub platforms: Vec<PlatformImage>,
}

impl ManifestMeta {
    /// The newest `created` among the platform images.
    pub fn created(&self) -> Option<OffsetDateTime> {
        self.platforms.iter().filter_map(|p| p.created).max()
    }
}

/// One platform image of a [`ManifestMeta`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformImage {
    /// Its platform.
    pub platform: Platform,
    /// Digest of its image manifest (the key of inventories and findings).
    pub manifest_digest: Digest,
    /// Digest of its config.
    pub config_digest: Digest,
    /// Creation time from its config.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created: Option<OffsetDateTime>,
}

/// A tag as last seen by discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRecord {
    /// The tag.
    pub tag: String,
    /// The digest it pointed at when last seen.
    pub digest: Digest,
    /// When discovery first saw the tag.
    pub first_seen: OffsetDateTime,
    /// When discovery last saw it.
    pub last_seen: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct PlatformRow {
    media_type: String,
    platform_os: Option<String>,
    platform_arch: Option<String>,
    platform_variant: Option<String>,
    manifest_digest: Option<String>,
    config_digest: Option<String>,
    created: Option<String>,
}

impl Store {
    /// The stored metadata of a top-level manifest.
    pub async fn manifest_meta(&self, digest: &Digest) -> Result<Option<ManifestMeta>> {
        let rows: Vec<PlatformRow> = sqlx::query_as(
            "SELECT m.media_type, p.platform_os, p.platform_arch, p.platform_variant, \
                    p.manifest_digest, p.config_digest, p.created \
             FROM manifest_meta m LEFT JOIN manifest_platforms p ON p.digest = m.digest \
             WHERE m.digest = $1 ORDER BY p.position",
        )
        .bind(digest.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("read manifest metadata"))?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut meta = ManifestMeta {
            digest: digest.clone(),
            media_type: first.media_type.clone(),
            platforms: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            // A LEFT JOIN row without a platform: an index with no entries.
            let (Some(platform), Some(manifest_digest), Some(config_digest)) = (
                codec::platform_of(row.platform_os, row.platform_arch, row.platform_variant),
                row.manifest_digest,
                row.config_digest,
            ) else {
                continue;
            };
            let created = match row.created {
                Some(text) => Some(OffsetDateTime::parse(&text, &Rfc3339).map_err(|source| {
                    self.corrupt(format!("creation time `{text}` of {digest}"), source)
                })?),
                None => None,
            };
            meta.platforms.push(PlatformImage {
                platform,
                manifest_digest: self.digest(&manifest_digest, "platform manifest")?,
                config_digest: self.digest(&config_digest, "config")?,
                created,
            });
        }
        Ok(Some(meta))
    }

    /// Stores the metadata of a top-level manifest, replacing what was stored for its digest,
    /// in one transaction.
    pub async fn put_manifest_meta(&self, meta: &ManifestMeta) -> Result<()> {
        let action = "store manifest metadata";
        let mut tx = self.write_tx(action).await?;
        sqlx::query(
            "INSERT INTO manifest_meta (digest, media_type, stored_at) VALUES ($1, $2, $3) \
             ON CONFLICT (digest) DO UPDATE SET \
               media_type = excluded.media_type, stored_at = excluded.stored_at",
        )
        .bind(meta.digest.as_str())
        .bind(&meta.media_type)
        .bind(codec::now_ms())
        .execute(&mut *tx)
        .await
        .map_err(self.query_err(action))?;
        sqlx::query("DELETE FROM manifest_platforms WHERE digest = $1")
            .bind(meta.digest.as_str())
            .execute(&mut *tx)
            .await
            .map_err(self.query_err(action))?;
        for (position, image) in (0_i64..).zip(&meta.platforms) {
            let created = match image.created {
                Some(at) => Some(at.format(&Rfc3339).map_err(|source| crate::Error::Encode {
                    path: self.path().to_owned(),
                    what: format!("creation time of {}", image.manifest_digest),
                    source: source.into(),
                })?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO manifest_platforms (digest, position, platform_os, platform_arch, \
                   platform_variant, manifest_digest, config_digest, created) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(meta.digest.as_str())
            .bind(position)
            .bind(&image.platform.os)
            .bind(&image.platform.architecture)
            .bind(image.platform.variant.as_deref())
            .bind(image.manifest_digest.as_str())
            .bind(image.config_digest.as_str())
            .bind(created)
            .execute(&mut *tx)
            .await
            .map_err(self.query_err(action))?;
        }
        tx.commit().await.map_err(self.query_err(action))
    }

    /// Records the tags discovery saw in one repository, each pointing at a top-level manifest
    /// digest: inserted or moved to the new digest, `last_seen` set to now; one transaction.
    /// Tags not in `tags` are left as they are.
    pub async fn record_tags(
        &self,
        registry: &str,
        repository: &str,
        tags: &[(String, Digest)],
    ) -> Result<()> {
        let action = "record tags";
        let now = codec::now_ms();
        let mut tx = self.write_tx(action).await?;
        for (tag, digest) in tags {
            sqlx::query(
                "INSERT INTO tags (registry, repository, tag, digest, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (registry, repository, tag) DO UPDATE SET \
                   digest = excluded.digest, last_seen = excluded.last_seen",
            )
            .bind(registry)
            .bind(repository)
            .bind(tag)
            .bind(digest.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(self.query_err(action))?;
        }
        tx.commit().await.map_err(self.query_err(action))
    }

    /// The tags of one repository as last seen, sorted by tag.
    pub async fn tags(&self, registry: &str, repository: &str) -> Result<Vec<TagRecord>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT tag, digest, first_seen, last_seen FROM tags \
             WHERE registry = $1 AND repository = $2 ORDER BY tag",
        )
        .bind(registry)
        .bind(repository)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("read tags"))?;
        rows.into_iter()
            .map(|(tag, digest, first_seen, last_seen)| {
                Ok(TagRecord {
                    digest: self.digest(&digest, "tag")?,
                    first_seen: self.time(first_seen, "tag first-seen")?,
                    last_seen: self.time(last_seen, "tag last-seen")?,
                    tag,
                })
            })
            .collect()
    }
}
