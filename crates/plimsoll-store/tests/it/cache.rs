use plimsoll_store::{ManifestMeta, SeverityCounts};
use plimsoll_types::Severity;

use crate::temp_store;
use crate::values::{
    ANALYZER, created, digest, findings, image_meta, index_meta, inventory, layer_facts,
};

#[tokio::test]
async fn layer_facts_round_trip_replace_and_miss_on_another_analyzer() {
    let (_dir, store) = temp_store().await;
    let base = layer_facts("base layer");
    assert_eq!(
        store.layer_facts(&base.digest, ANALYZER).await.unwrap(),
        None
    );

    store.put_layer_facts(&base, ANALYZER).await.unwrap();
    assert_eq!(
        store
            .layer_facts(&base.digest, ANALYZER)
            .await
            .unwrap()
            .as_ref(),
        Some(&base)
    );
    // Facts of older catalogers are a miss, not a wrong answer.
    assert_eq!(
        store
            .layer_facts(&base.digest, "dpkg=1,os-release=1")
            .await
            .unwrap(),
        None
    );

    // Idempotent upsert, and a second put replaces.
    store.put_layer_facts(&base, ANALYZER).await.unwrap();
    let mut rewritten = base.clone();
    rewritten.entries = 3_413;
    rewritten.files.pop();
    store.put_layer_facts(&rewritten, ANALYZER).await.unwrap();
    assert_eq!(
        store.layer_facts(&base.digest, ANALYZER).await.unwrap(),
        Some(rewritten.clone())
    );
}

#[tokio::test]
async fn layer_facts_many_returns_the_hits_only() {
    let (_dir, store) = temp_store().await;
    // More than one `IN (…)` list's worth of digests.
    let stored: Vec<_> = (0..600)
        .map(|i| layer_facts(&format!("layer {i}")))
        .collect();
    for facts in &stored {
        store.put_layer_facts(facts, ANALYZER).await.unwrap();
    }
    store
        .put_layer_facts(&layer_facts("other analyzer"), "python=2")
        .await
        .unwrap();

    let mut wanted: Vec<_> = stored.iter().map(|f| f.digest.clone()).collect();
    wanted.push(digest("never stored"));
    wanted.push(digest("other analyzer"));
    let found = store.layer_facts_many(&wanted, ANALYZER).await.unwrap();
    assert_eq!(found.len(), 600);
    for facts in &stored {
        assert_eq!(found.get(&facts.digest), Some(facts));
    }
    assert!(
        store
            .layer_facts_many(&[], ANALYZER)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn manifest_meta_round_trip_and_replace() {
    let (_dir, store) = temp_store().await;
    let index = index_meta("app index");
    let image = image_meta("single image");
    assert_eq!(store.manifest_meta(&index.digest).await.unwrap(), None);

    store.put_manifest_meta(&index).await.unwrap();
    store.put_manifest_meta(&image).await.unwrap();
    let read = store.manifest_meta(&index.digest).await.unwrap().unwrap();
    assert_eq!(read, index);
    assert_eq!(read.created(), Some(created(1_763_000_500)));
    assert_eq!(
        store.manifest_meta(&image.digest).await.unwrap(),
        Some(image.clone())
    );
    assert_eq!(image.created(), None);

    // Replacing keeps exactly the new platform list, in order.
    let mut fewer = index.clone();
    fewer.platforms.reverse();
    fewer.platforms.pop();
    store.put_manifest_meta(&fewer).await.unwrap();
    assert_eq!(
        store.manifest_meta(&index.digest).await.unwrap(),
        Some(fewer)
    );

    // An index without platforms is still a hit.
    let empty = ManifestMeta {
        digest: digest("empty index"),
        media_type: "application/vnd.oci.image.index.v1+json".into(),
        platforms: vec![],
    };
    store.put_manifest_meta(&empty).await.unwrap();
    assert_eq!(
        store.manifest_meta(&empty.digest).await.unwrap(),
        Some(empty)
    );
}

#[tokio::test]
async fn inventories_round_trip_replace_and_miss_on_another_analyzer() {
    let (_dir, store) = temp_store().await;
    let amd64 = inventory(&digest("app amd64"), "linux/amd64", 3);
    let arm64 = inventory(&digest("app arm64"), "linux/arm64/v8", 0);
    assert!(
        !store
            .has_inventory(&amd64.manifest_digest, ANALYZER)
            .await
            .unwrap()
    );

    store.put_inventory(&amd64, ANALYZER).await.unwrap();
    store.put_inventory(&arm64, ANALYZER).await.unwrap();
    store.put_inventory(&arm64, "dpkg=1").await.unwrap();
    assert!(
        store
            .has_inventory(&amd64.manifest_digest, ANALYZER)
            .await
            .unwrap()
    );
    assert!(
        !store
            .has_inventory(&amd64.manifest_digest, "dpkg=1")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .inventory(&amd64.manifest_digest, ANALYZER)
            .await
            .unwrap(),
        Some(amd64.clone())
    );
    assert_eq!(
        store
            .inventory(&amd64.manifest_digest, "dpkg=1")
            .await
            .unwrap(),
        None
    );

    let mut expected = vec![amd64.manifest_digest.clone(), arm64.manifest_digest.clone()];
    expected.sort();
    assert_eq!(store.inventory_digests(ANALYZER).await.unwrap(), expected);
    assert_eq!(
        store.inventory_digests("dpkg=1").await.unwrap(),
        vec![arm64.manifest_digest.clone()]
    );

    let mut rebuilt = amd64.clone();
    rebuilt.packages.truncate(2);
    rebuilt.os = None;
    store.put_inventory(&rebuilt, ANALYZER).await.unwrap();
    assert_eq!(
        store
            .inventory(&amd64.manifest_digest, ANALYZER)
            .await
            .unwrap(),
        Some(rebuilt)
    );
    assert_eq!(store.inventory_digests(ANALYZER).await.unwrap().len(), 2);
}

#[tokio::test]
async fn findings_round_trip_with_counts_and_replace() {
    let (_dir, store) = temp_store().await;
    let image = digest("app amd64");
    assert_eq!(store.findings(&image).await.unwrap(), None);
    assert_eq!(store.findings_db_built_at(&image).await.unwrap(), None);

    let list = findings();
    store
        .put_findings(&image, Some("2026-11-26T04:00:00Z"), &list)
        .await
        .unwrap();
    let stored = store.findings(&image).await.unwrap().unwrap();
    assert_eq!(stored.manifest_digest, image);
    assert_eq!(stored.findings, list);
    assert_eq!(
        stored.counts,
        SeverityCounts {
            critical: 1,
            high: 2,
            medium: 1,
            low: 1,
            unknown: 1,
        }
    );
    assert_eq!(stored.counts.total(), 6);
    assert_eq!(stored.counts.get(Severity::High), 2);
    assert_eq!(stored.fixable, 3);
    assert_eq!(stored.db_built_at.as_deref(), Some("2026-11-26T04:00:00Z"));
    assert_eq!(
        store.findings_db_built_at(&image).await.unwrap(),
        Some(Some("2026-11-26T04:00:00Z".to_owned()))
    );

    // A re-match replaces everything, and "nothing found" is a result too.
    store.put_findings(&image, None, &[]).await.unwrap();
    let stored = store.findings(&image).await.unwrap().unwrap();
    assert!(stored.findings.is_empty());
    assert_eq!(stored.counts, SeverityCounts::default());
    assert_eq!(stored.fixable, 0);
    assert_eq!(stored.db_built_at, None);
    assert_eq!(
        store.findings_db_built_at(&image).await.unwrap(),
        Some(None)
    );
}

#[tokio::test]
async fn tags_are_upserted_and_keep_their_first_sighting() {
    let (_dir, store) = temp_store().await;
    let tags = vec![
        ("1.4.2".to_owned(), digest("app index")),
        ("latest".to_owned(), digest("app index")),
    ];
    store
        .record_tags("registry.example.com", "team/app", &tags)
        .await
        .unwrap();
    let first = store
        .tags("registry.example.com", "team/app")
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[1].tag, "latest");

    // `latest` moves; `1.4.2` is not mentioned and stays.
    store
        .record_tags(
            "registry.example.com",
            "team/app",
            &[("latest".to_owned(), digest("app index 2"))],
        )
        .await
        .unwrap();
    let second = store
        .tags("registry.example.com", "team/app")
        .await
        .unwrap();
    assert_eq!(second.len(), 2);
    assert_eq!(second[0], first[0]);
    assert_eq!(second[1].digest, digest("app index 2"));
    assert_eq!(second[1].first_seen, first[1].first_seen);
    assert!(second[1].last_seen >= first[1].last_seen);
    assert!(
        store
            .tags("registry.example.com", "team")
            .await
            .unwrap()
            .is_empty()
    );
}
