//! The web UI's admin password: argon2id (a slow, salted hash, because a password, unlike an
//! API token, may be guessable), stored as a PHC string in the store's `ui_passwords` table.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

use plimsoll_store::Store;

use crate::error::{ApiError, Result};

/// The one UI user a password logs in.
pub(crate) const ADMIN_USER: &str = "admin";

/// Shortest password accepted: argon2 slows guessing down, it cannot make `abc` safe.
pub const MIN_PASSWORD_CHARS: usize = 12;

fn hash(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the admin password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Write(e.to_string().into()))
}

/// Hashes on a blocking thread: argon2 is made to be slow.
async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| ApiError::Write(Box::new(e)))?
}

/// Sets (or replaces) the admin password (`plimsoll serve password set`).
pub async fn set_admin_password(store: &Store, password: &str) -> Result<()> {
    let hashed = hash_blocking(password.to_owned()).await?;
    store.set_ui_password_hash(ADMIN_USER, &hashed).await?;
    tracing::info!("web UI admin password set");
    Ok(())
}

/// At the start of `plimsoll serve`: stores `password` (from `PLIMSOLL_ADMIN_PASSWORD`) as the
/// admin password when none is stored yet; `false` when one was (it is kept: the variable
/// only seeds the first one, `serve password set` changes it).
pub async fn ensure_admin_password(store: &Store, password: &str) -> Result<bool> {
    if store.ui_password_hash(ADMIN_USER).await?.is_some() {
        return Ok(false);
    }
    let hashed = hash_blocking(password.to_owned()).await?;
    Ok(store
        .set_ui_password_hash_if_absent(ADMIN_USER, &hashed)
        .await?)
}

/// Whether `user` and `password` are the admin's. Unknown users and a store without a
/// password answer `false`.
pub(crate) async fn verify(store: &Store, user: &str, password: &str) -> Result<bool> {
    if user != ADMIN_USER {
        return Ok(false);
    }
    let Some(stored) = store.ui_password_hash(ADMIN_USER).await? else {
        return Ok(false);
    };
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            tracing::error!("the stored admin password hash is not a PHC string");
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| ApiError::Write(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_password_is_salted_argon2id_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).await.unwrap();
        assert!(
            !verify(&store, "admin", "correct horse battery")
                .await
                .unwrap()
        );
        assert!(
            ensure_admin_password(&store, "correct horse battery")
                .await
                .unwrap()
        );
        assert!(
            !ensure_admin_password(&store, "another long password")
                .await
                .unwrap()
        );
        let stored = store.ui_password_hash("admin").await.unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("horse"));
        assert!(
            verify(&store, "admin", "correct horse battery")
                .await
                .unwrap()
        );
        assert!(
            !verify(&store, "admin", "correct horse batterY")
                .await
                .unwrap()
        );
        assert!(
            !verify(&store, "root", "correct horse battery")
                .await
                .unwrap()
        );
        set_admin_password(&store, "another long password")
            .await
            .unwrap();
        assert!(
            verify(&store, "admin", "another long password")
                .await
                .unwrap()
        );
        assert!(set_admin_password(&store, "short").await.is_err());
        // Same password, new salt: a different hash.
        assert_ne!(
            hash("another long password").unwrap(),
            hash("another long password").unwrap()
        );
    }
}
