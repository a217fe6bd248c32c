//! The search tables of schema 2 (`finding_ids`, `inventory_packages`): every advisory id and
//! alias of an image's findings, every package name of its inventory, as rows beside the blobs
//! so the API's `cve` and `package` filters are index look-ups. Rewritten in the transaction
//! that stores the blob; filled once from older stores by [`Store::run_store_tasks`].

use std::collections::BTreeSet;

use sqlx::{Sqlite, Transaction};

use plimsoll_types::{Finding, ImageInventory};

use crate::error::Result;
use crate::store::Store;

/// The one task of schema 2 (`migrations/sqlite/0002_api.sql`).
const FILL_SEARCH_TABLES: &str = "fill-search-tables";

/// Ids and aliases of `findings`, each once. `SQLite`'s NOCASE column folds case again, and
/// `INSERT OR IGNORE` drops what differs only by case.
fn finding_ids(findings: &[Finding]) -> BTreeSet<&str> {
    findings
        .iter()
        .flat_map(|f| std::iter::once(f.id.as_str()).chain(f.aliases.iter().map(String::as_str)))
        .collect()
}

fn package_names(inventory: &ImageInventory) -> BTreeSet<&str> {
    inventory.packages.iter().map(|p| p.name.as_str()).collect()
}

impl Store {
    /// Replaces the advisory ids of one image's findings, inside the caller's transaction. One
    /// statement: the ids go in as one JSON array, unpacked by `json_each`.
    pub(crate) async fn write_finding_ids(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        manifest_digest: &str,
        findings: &[Finding],
        action: &'static str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM finding_ids WHERE manifest_digest = $1")
            .bind(manifest_digest)
            .execute(&mut **tx)
            .await
            .map_err(self.query_err(action))?;
        let ids = serde_json::to_string(&finding_ids(findings))
            .map_err(|source| self.encode_err(format!("the ids of {manifest_digest}"), source))?;
        sqlx::query(
            "INSERT OR IGNORE INTO finding_ids (vuln_id, manifest_digest) \
             SELECT value, $2 FROM json_each($1)",
        )
        .bind(ids)
        .bind(manifest_digest)
        .execute(&mut **tx)
        .await
        .map_err(self.query_err(action))?;
        Ok(())
    }

    /// Replaces the package names of one stored inventory, inside the caller's transaction.
    pub(crate) async fn write_package_names(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        inventory: &ImageInventory,
        analyzer: &str,
        action: &'static str,
    ) -> Result<()> {
        let digest = inventory.manifest_digest.as_str();
        sqlx::query("DELETE FROM inventory_packages WHERE manifest_digest = $1 AND analyzer = $2")
            .bind(digest)
            .bind(analyzer)
            .execute(&mut **tx)
            .await
            .map_err(self.query_err(action))?;
        let names = serde_json::to_string(&package_names(inventory))
            .map_err(|source| self.encode_err(format!("the packages of {digest}"), source))?;
        sqlx::query(
            "INSERT OR IGNORE INTO inventory_packages (name, manifest_digest, analyzer) \
             SELECT value, $2, $3 FROM json_each($1)",
        )
        .bind(names)
        .bind(digest)
        .bind(analyzer)
        .execute(&mut **tx)
        .await
        .map_err(self.query_err(action))?;
        Ok(())
    }

    /// Runs the one-off tasks a migration left in `store_tasks`. Today only filling the search
    /// tables from the blobs of a schema-1 store: every findings and inventory blob decoded once
    /// (seconds for thousands of images), each image in its own transaction, the task row
    /// deleted last, so an interrupted fill restarts from scratch at the next open and the
    /// rewrites make it idempotent.
    pub(crate) async fn run_store_tasks(&self) -> Result<()> {
        let action = "fill the search tables";
        let pending: Option<String> =
            sqlx::query_scalar("SELECT name FROM store_tasks WHERE name = $1")
                .bind(FILL_SEARCH_TABLES)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.query_err(action))?;
        if pending.is_none() {
            return Ok(());
        }
        let findings: Vec<String> = sqlx::query_scalar("SELECT manifest_digest FROM findings")
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        let inventories: Vec<(String, String)> =
            sqlx::query_as("SELECT manifest_digest, analyzer FROM inventories")
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err(action))?;
        if !findings.is_empty() || !inventories.is_empty() {
            tracing::info!(
                path = %self.path().display(),
                findings = findings.len(),
                inventories = inventories.len(),
                "filling the search tables of an older store (once)"
            );
        }
        for digest in &findings {
            let digest = self.digest(digest, "findings")?;
            if let Some(stored) = self.findings(&digest).await? {
                let mut tx = self.write_tx(action).await?;
                self.write_finding_ids(&mut tx, digest.as_str(), &stored.findings, action)
                    .await?;
                tx.commit().await.map_err(self.query_err(action))?;
            }
        }
        for (digest, analyzer) in &inventories {
            let digest = self.digest(digest, "inventory")?;
            if let Some(inventory) = self.inventory(&digest, analyzer).await? {
                let mut tx = self.write_tx(action).await?;
                self.write_package_names(&mut tx, &inventory, analyzer, action)
                    .await?;
                tx.commit().await.map_err(self.query_err(action))?;
            }
        }
        sqlx::query("DELETE FROM store_tasks WHERE name = $1")
            .bind(FILL_SEARCH_TABLES)
            .execute(&self.pool)
            .await
            .map_err(self.query_err(action))?;
        Ok(())
    }
}
