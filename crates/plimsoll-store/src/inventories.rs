use plimsoll_types::{Digest, ImageInventory};

use crate::codec;
use crate::error::{Error, Result};
use crate::store::Store;

impl Store {
    /// The stored inventory of a platform image (by its image manifest digest), if it was
    /// built with the analyzer key `analyzer`.
    ///
    /// Decoded on tokio's blocking pool, not inline like the other values: an inventory is the
    /// largest of them (tens of kB of JSON for a hundred packages), and `plimsoll registry
    /// rematch` reads thousands, several at a time. Decoded inline, they all queued on the one
    /// task that drives the re-match's futures and took half of its CPU on one core; on the
    /// blocking pool they use every core (`docs/performance.md`, "Registry scan at scale").
    pub async fn inventory(
        &self,
        manifest_digest: &Digest,
        analyzer: &str,
    ) -> Result<Option<ImageInventory>> {
        let action = "read an inventory";
        let blob: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT inventory FROM inventories WHERE manifest_digest = $1 AND analyzer = $2",
        )
        .bind(manifest_digest.as_str())
        .bind(analyzer)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_err(action))?;
        let Some(blob) = blob else {
            return Ok(None);
        };
        let store = self.clone();
        let digest = manifest_digest.clone();
        match tokio::task::spawn_blocking(move || store.decode_inventory(digest.as_str(), &blob))
            .await
        {
            Ok(decoded) => decoded.map(Some),
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // Cancelled: the runtime is shutting down.
            Err(cancelled) => Err(Error::Query {
                path: self.path().to_owned(),
                action,
                source: cancelled.into(),
            }),
        }
    }

    /// Whether an inventory of the platform image is stored under `analyzer`, without reading
    /// it.
    pub async fn has_inventory(&self, manifest_digest: &Digest, analyzer: &str) -> Result<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM inventories WHERE manifest_digest = $1 AND analyzer = $2)",
        )
        .bind(manifest_digest.as_str())
        .bind(analyzer)
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_err("look up an inventory"))
    }

    /// Stores (or replaces) the inventory of a platform image under `analyzer`. Its platform and
    /// distribution are kept as columns for [`Store::results`], its package names as rows for
    /// [`Store::images`]'s `package` filter; one transaction.
    pub async fn put_inventory(&self, inventory: &ImageInventory, analyzer: &str) -> Result<()> {
        let blob = self.encode(inventory, || {
            format!("the inventory of {}", inventory.manifest_digest)
        })?;
        let os = inventory.os.as_ref();
        let action = "store an inventory";
        let mut tx = self.write_tx(action).await?;
        sqlx::query(
            "INSERT INTO inventories (manifest_digest, analyzer, config_digest, platform_os, \
               platform_arch, platform_variant, os_id, os_version, os_name, package_count, \
               stored_at, inventory) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (manifest_digest, analyzer) DO UPDATE SET \
               config_digest = excluded.config_digest, platform_os = excluded.platform_os, \
               platform_arch = excluded.platform_arch, \
               platform_variant = excluded.platform_variant, os_id = excluded.os_id, \
               os_version = excluded.os_version, os_name = excluded.os_name, \
               package_count = excluded.package_count, stored_at = excluded.stored_at, \
               inventory = excluded.inventory",
        )
        .bind(inventory.manifest_digest.as_str())
        .bind(analyzer)
        .bind(inventory.config_digest.as_str())
        .bind(&inventory.platform.os)
        .bind(&inventory.platform.architecture)
        .bind(inventory.platform.variant.as_deref())
        .bind(os.map(|os| os.id.as_str()))
        .bind(os.and_then(|os| os.version_id.as_deref()))
        .bind(os.and_then(|os| os.pretty_name.as_deref()))
        .bind(codec::to_db(inventory.packages.len() as u64))
        .bind(codec::now_ms())
        .bind(blob)
        .execute(&mut *tx)
        .await
        .map_err(self.query_err(action))?;
        self.write_package_names(&mut tx, inventory, analyzer, action)
            .await?;
        tx.commit().await.map_err(self.query_err(action))
    }

    /// The image manifest digests of every inventory stored under `analyzer`, sorted: what a
    /// re-match after a database update walks.
    pub async fn inventory_digests(&self, analyzer: &str) -> Result<Vec<Digest>> {
        let digests: Vec<String> = sqlx::query_scalar(
            "SELECT manifest_digest FROM inventories WHERE analyzer = $1 ORDER BY manifest_digest",
        )
        .bind(analyzer)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err("list inventories"))?;
        digests
            .iter()
            .map(|digest| self.digest(digest, "inventory"))
            .collect()
    }

    fn decode_inventory(&self, manifest_digest: &str, blob: &[u8]) -> Result<ImageInventory> {
        let what = || format!("inventory of {manifest_digest}");
        let inventory: ImageInventory = self.decode(blob, what)?;
        if inventory.manifest_digest.as_str() != manifest_digest {
            return Err(self.corrupt(
                what(),
                format!("it describes image {}", inventory.manifest_digest),
            ));
        }
        Ok(inventory)
    }
}
