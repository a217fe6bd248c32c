//! Registries created through `plimsoll serve`'s API, kept as opaque JSON definitions by name.
//! What a definition holds, and checking it, is `plimsoll-server`'s job; this is their table.
//! A definition may hold a password in the clear (see `0004_registries.sql`).

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// One registry created through the API. No `Debug`: the definition may hold a password.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiRegistry {
    /// Its unique name.
    pub name: String,
    /// Its keys as JSON.
    pub definition: String,
}

impl Store {
    /// Every registry created through the API, oldest first.
    pub async fn api_registries(&self) -> Result<Vec<ApiRegistry>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, definition FROM api_registries ORDER BY created_at, name")
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err("list the API registries"))?;
        Ok(rows
            .into_iter()
            .map(|(name, definition)| ApiRegistry { name, definition })
            .collect())
    }

    /// Adds a registry; `false` (nothing written) when one of this name exists.
    pub async fn insert_api_registry(&self, name: &str, definition: &str) -> Result<bool> {
        let now = codec::now_ms();
        let done = sqlx::query(
            "INSERT INTO api_registries (name, definition, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(definition)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(self.query_err("add an API registry"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Replaces a registry's definition; `false` when none of this name exists.
    pub async fn update_api_registry(&self, name: &str, definition: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_registries SET definition = $1, updated_at = $2 WHERE name = $3",
        )
        .bind(definition)
        .bind(codec::now_ms())
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(self.query_err("update an API registry"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a registry; `false` when none of this name exists. Its runs and results stay.
    pub async fn delete_api_registry(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM api_registries WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(self.query_err("delete an API registry"))?;
        Ok(done.rows_affected() > 0)
    }
}
