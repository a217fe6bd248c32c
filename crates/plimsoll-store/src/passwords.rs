//! The web UI's password table (schema 3): one argon2 PHC string per UI user, today only
//! `admin`. Hashing and verifying are `plimsoll-server`'s job; this is their table.

use crate::codec;
use crate::error::Result;
use crate::store::Store;

impl Store {
    /// The stored password hash of UI user `user`, if one is set.
    pub async fn ui_password_hash(&self, user: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT password_hash FROM ui_passwords WHERE user = $1")
            .bind(user)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err("read a UI password"))
    }

    /// Sets (or replaces) the password hash of UI user `user`.
    pub async fn set_ui_password_hash(&self, user: &str, password_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO ui_passwords (user, password_hash, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user) DO UPDATE SET password_hash = excluded.password_hash, \
             updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(password_hash)
        .bind(codec::now_ms())
        .execute(&self.pool)
        .await
        .map_err(self.query_err("set a UI password"))?;
        Ok(())
    }

    /// Sets the password hash of `user` only if none is stored; `false` when one was (the
    /// stored one is kept). One statement, so two servers starting at once cannot both win.
    pub async fn set_ui_password_hash_if_absent(
        &self,
        user: &str,
        password_hash: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO ui_passwords (user, password_hash, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user) DO NOTHING",
        )
        .bind(user)
        .bind(password_hash)
        .bind(codec::now_ms())
        .execute(&self.pool)
        .await
        .map_err(self.query_err("set a UI password"))?;
        Ok(done.rows_affected() > 0)
    }
}
