use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;

use plimsoll_store::{ImageFilter, ImageOrder, ImageSort, Order, PageRequest, Store, TokenScope};

use crate::temp_store;
use crate::values::{ANALYZER, digest, findings, image_meta, inventory};

const ALL: ImageOrder = ImageOrder {
    sort: ImageSort::Registry,
    order: Order::Asc,
    page: PageRequest {
        offset: 0,
        limit: 100,
    },
};

/// Ten tags of ten images, tag `t3` with the findings.
async fn populate(store: &Store) {
    for i in 0..10 {
        let meta = image_meta(&format!("image {i}"));
        store.put_manifest_meta(&meta).await.unwrap();
        store
            .put_inventory(&inventory(&meta.digest, "linux/amd64", i), ANALYZER)
            .await
            .unwrap();
        let found = if i == 3 { findings() } else { Vec::new() };
        store
            .put_findings(&meta.digest, None, &found)
            .await
            .unwrap();
        store
            .record_tags(
                "r.example",
                "team/app",
                &[(format!("t{i}"), meta.digest.clone())],
            )
            .await
            .unwrap();
    }
}

fn tags(page: &plimsoll_store::Page<plimsoll_store::ResultRow>) -> Vec<String> {
    page.items.iter().map(|r| r.tag.clone()).collect()
}

#[tokio::test]
async fn search_tables_follow_every_put() {
    let (_dir, store) = temp_store().await;
    populate(&store).await;
    let by_id = |id: &str| ImageFilter {
        vulnerability: Some(id.into()),
        ..ImageFilter::default()
    };
    let found = store.images(&by_id("cve-2024-0003"), ALL).await.unwrap();
    assert_eq!(tags(&found), ["t3"]);
    assert_eq!(found.total, 1);
    let by_package = ImageFilter {
        package: Some("plugin-7".into()),
        ..ImageFilter::default()
    };
    assert_eq!(
        tags(&store.images(&by_package, ALL).await.unwrap()),
        ["t8", "t9"]
    );
    // A re-match with nothing found empties the image's ids.
    store
        .put_findings(&digest("image 3"), None, &[])
        .await
        .unwrap();
    assert_eq!(
        store
            .images(&by_id("CVE-2024-0003"), ALL)
            .await
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn a_schema_1_store_gets_its_search_tables_filled_once_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let store = Store::open(&path).await.unwrap();
    populate(&store).await;
    store.close().await;
    // What a store written before schema 2 looks like once migrated: blobs, empty tables, the
    // task pending.
    let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    for sql in [
        "DELETE FROM finding_ids",
        "DELETE FROM inventory_packages",
        "INSERT INTO store_tasks (name) VALUES ('fill-search-tables')",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = Store::open(&path).await.unwrap();
    let filter = ImageFilter {
        vulnerability: Some("DSA-5680-1-2024-0003".into()),
        package: Some("plugin-2".into()),
        ..ImageFilter::default()
    };
    assert_eq!(tags(&store.images(&filter, ALL).await.unwrap()), ["t3"]);
    let tasks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_tasks")
        .fetch_one(
            &SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(tasks, 0);
}

#[tokio::test]
async fn image_pages_count_sort_and_stay_on_indexes() {
    let (_dir, store) = temp_store().await;
    populate(&store).await;
    let page = store
        .images(
            &ImageFilter::default(),
            ImageOrder {
                sort: ImageSort::Tag,
                order: Order::Desc,
                page: PageRequest {
                    offset: 2,
                    limit: 3,
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(tags(&page), ["t7", "t6", "t5"]);
    assert_eq!(page.total, 10);

    // Filtered lists start from an index (the search tables' primary keys, the tags' key), and
    // no table is scanned whole: 10,000 tags stay a few look-ups.
    for filter in [
        ImageFilter {
            vulnerability: Some("CVE-2024-0001".into()),
            ..ImageFilter::default()
        },
        ImageFilter {
            package: Some("requests".into()),
            ..ImageFilter::default()
        },
        ImageFilter {
            registry: Some("r.example".into()),
            repository: Some("team/app".into()),
            ..ImageFilter::default()
        },
    ] {
        let plan = store.explain_images(&filter, ALL).await.unwrap();
        let text = plan.join("\n");
        assert!(
            // Only the page itself (at most `limit` rows) is walked whole.
            !plan
                .iter()
                .any(|line| line.starts_with("SCAN ") && line != "SCAN page"),
            "{filter:?} scans a table: {text}"
        );
        if filter.vulnerability.is_some() {
            assert!(
                text.contains("SEARCH fi USING PRIMARY KEY (vuln_id=?)"),
                "{text}"
            );
            assert!(
                text.contains("SEARCH t USING INDEX tags_by_digest"),
                "{text}"
            );
        }
        if filter.package.is_some() {
            assert!(
                text.contains("SEARCH ip USING PRIMARY KEY (name=?)"),
                "{text}"
            );
        }
        if filter.registry.is_some() {
            assert!(text.contains("(registry=? AND repository=?)"), "{text}");
        }
    }
}

#[tokio::test]
async fn tokens_are_stored_by_hash_and_revoked_once() {
    let (_dir, store) = temp_store().await;
    assert!(!store.has_admin_token().await.unwrap());
    let read = store
        .create_api_token("ci", TokenScope::Read, &"a".repeat(64))
        .await
        .unwrap();
    assert!(!store.has_admin_token().await.unwrap());
    let admin = store
        .create_api_token("ops", TokenScope::Admin, &"b".repeat(64))
        .await
        .unwrap();
    assert!(store.has_admin_token().await.unwrap());
    assert_eq!(
        store.api_token_by_hash(&"a".repeat(64)).await.unwrap(),
        Some(read.clone())
    );
    assert_eq!(
        store.api_token_by_hash(&"c".repeat(64)).await.unwrap(),
        None
    );
    assert!(store.revoke_api_token(admin.id).await.unwrap());
    assert!(!store.revoke_api_token(admin.id).await.unwrap());
    assert!(!store.revoke_api_token(999).await.unwrap());
    assert!(!store.has_admin_token().await.unwrap());
    let all = store.api_tokens().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[1].revoked_at.is_some());
    assert!(TokenScope::Admin.allows(TokenScope::Read));
    assert!(!TokenScope::Read.allows(TokenScope::Admin));
    // The same hash twice is refused by the unique index.
    assert!(
        store
            .create_api_token("dup", TokenScope::Read, &"a".repeat(64))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn api_registries_are_added_once_replaced_listed_and_deleted() {
    let (_dir, store) = temp_store().await;
    assert!(store.api_registries().await.unwrap().is_empty());
    assert!(store.insert_api_registry("a", r#"{"v":1}"#).await.unwrap());
    assert!(store.insert_api_registry("b", r#"{"v":2}"#).await.unwrap());
    // A name is added once: the second insert writes nothing.
    assert!(!store.insert_api_registry("a", r#"{"v":3}"#).await.unwrap());
    assert!(store.update_api_registry("a", r#"{"v":4}"#).await.unwrap());
    assert!(!store.update_api_registry("zz", "{}").await.unwrap());
    let listed: Vec<(String, String)> = store
        .api_registries()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.definition))
        .collect();
    assert_eq!(
        listed,
        [
            ("a".to_owned(), r#"{"v":4}"#.to_owned()),
            ("b".to_owned(), r#"{"v":2}"#.to_owned())
        ]
    );
    assert!(store.delete_api_registry("a").await.unwrap());
    assert!(!store.delete_api_registry("a").await.unwrap());
    assert_eq!(store.api_registries().await.unwrap().len(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_store_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, store) = temp_store().await;
    store.insert_api_registry("a", "{}").await.unwrap();
    for name in ["store.sqlite", "store.sqlite-wal"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

/// The web UI's aggregates: repositories of a registry, totals, top advisory ids.
#[tokio::test]
async fn ui_aggregates_count_the_rows_of_the_images_list() {
    let (_dir, store) = temp_store().await;
    populate(&store).await;
    // A second registry with one repository whose tag points at image 3 too.
    store
        .record_tags(
            "q.example",
            "other/app",
            &[("v1".into(), digest("image 3"))],
        )
        .await
        .unwrap();

    let seen = store.registries_seen().await.unwrap();
    let hosts: Vec<_> = seen
        .iter()
        .map(|r| (r.registry.as_str(), r.repositories, r.tags))
        .collect();
    assert_eq!(hosts, [("q.example", 1, 1), ("r.example", 1, 10)]);

    let repos = store.repositories("r.example").await.unwrap();
    assert_eq!(repos.len(), 1);
    let app = &repos[0];
    assert_eq!(
        (app.repository.as_str(), app.tags, app.images),
        ("team/app", 10, 10)
    );
    // Image 3 holds one finding of each severity but two highs.
    assert_eq!(
        (
            app.counts.critical,
            app.counts.high,
            app.counts.medium,
            app.counts.low,
            app.counts.unknown
        ),
        (1, 2, 1, 1, 1)
    );
    assert!(app.last_scanned.is_some());
    assert!(
        store
            .repositories("nowhere.example")
            .await
            .unwrap()
            .is_empty()
    );

    let totals = store.image_totals().await.unwrap();
    assert_eq!((totals.images, totals.scanned), (11, 11));
    // Image 3 is counted once per row that shows it: two tags.
    assert_eq!((totals.counts.critical, totals.counts.high), (2, 4));
    let page = store.images(&ImageFilter::default(), ALL).await.unwrap();
    let summed: u64 = page.items.iter().map(|r| r.counts.high).sum();
    assert_eq!(summed, totals.counts.high, "the totals are the list's sums");

    let top = store.top_vulnerabilities("cve-", 3).await.unwrap();
    let ids: Vec<_> = top.iter().map(|v| (v.id.as_str(), v.images)).collect();
    assert_eq!(
        ids,
        [
            ("CVE-2024-0001", 2),
            ("CVE-2024-0002", 2),
            ("CVE-2024-0003", 2)
        ]
    );
    // Only ids with the prefix; `_` and `%` in it are literal.
    assert!(
        store
            .top_vulnerabilities("DSA_", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.top_vulnerabilities("DSA-", 10).await.unwrap().len(),
        6
    );
    assert_eq!(
        store
            .images(
                &ImageFilter {
                    vulnerability: Some("CVE-2024-0001".into()),
                    ..ImageFilter::default()
                },
                ALL
            )
            .await
            .unwrap()
            .total,
        2,
        "the vulnerability page lists as many rows as the dashboard counts"
    );
}

#[tokio::test]
async fn the_ui_password_is_set_once_unless_replaced() {
    let (_dir, store) = temp_store().await;
    assert_eq!(store.ui_password_hash("admin").await.unwrap(), None);
    assert!(
        store
            .set_ui_password_hash_if_absent("admin", "$argon2id$one")
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_ui_password_hash_if_absent("admin", "$argon2id$two")
            .await
            .unwrap()
    );
    assert_eq!(
        store.ui_password_hash("admin").await.unwrap().as_deref(),
        Some("$argon2id$one")
    );
    store
        .set_ui_password_hash("admin", "$argon2id$three")
        .await
        .unwrap();
    assert_eq!(
        store.ui_password_hash("admin").await.unwrap().as_deref(),
        Some("$argon2id$three")
    );
}
