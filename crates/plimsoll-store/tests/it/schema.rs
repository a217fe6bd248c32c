use std::path::Path;

use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;

use plimsoll_store::{Error, Store};

use crate::values::{ANALYZER, digest, index_meta, layer_facts};

/// A plain connection to a store file, to look under the API.
async fn raw(path: &Path) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}

async fn applied_migrations(path: &Path) -> Vec<i64> {
    let pool = raw(path).await;
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    versions
}

#[tokio::test]
async fn open_creates_directories_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/plimsoll/store.sqlite");
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.path(), path);
    store
        .put_manifest_meta(&index_meta("app index"))
        .await
        .unwrap();
    store.close().await;
    let after_first = applied_migrations(&path).await;
    assert_eq!(after_first.first(), Some(&1));

    for _ in 0..2 {
        let store = Store::open(&path).await.unwrap();
        assert_eq!(
            store.manifest_meta(&digest("app index")).await.unwrap(),
            Some(index_meta("app index"))
        );
        store.close().await;
    }
    assert_eq!(applied_migrations(&path).await, after_first);
}

#[tokio::test]
async fn a_store_from_a_newer_plimsoll_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    Store::open(&path).await.unwrap().close().await;
    let pool = raw(&path).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let err = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(err, Error::TooNew { found: 9999, known, .. } if known < 9999),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("newer than this Plimsoll"), "{message}");
    let applied = applied_migrations(&path).await;
    assert_eq!(applied.last(), Some(&9999));
}

#[tokio::test]
async fn a_corrupt_value_is_an_error_naming_it() {
    let (dir, store) = crate::temp_store().await;
    let facts = layer_facts("base layer");
    store.put_layer_facts(&facts, ANALYZER).await.unwrap();
    let pool = raw(&dir.path().join("store.sqlite")).await;
    sqlx::query("UPDATE layer_facts SET facts = x'28b52ffd00deadbeef'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let err = store
        .layer_facts(&facts.digest, ANALYZER)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(facts.digest.as_str()), "{message}");
    assert!(message.contains("store.sqlite"), "{message}");
}

#[tokio::test]
async fn an_unusable_directory_is_an_error_naming_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs_err::write(&file, b"").unwrap();
    let err = Store::open(&file.join("store.sqlite")).await.unwrap_err();
    assert!(matches!(err, Error::CreateDir { .. }), "{err}");
    assert!(err.to_string().contains("not-a-dir/store.sqlite"), "{err}");
}
