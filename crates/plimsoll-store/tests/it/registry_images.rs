//! The stored images of given registries: inventories to re-match, tags not scanned lately.

use plimsoll_store::{ImageOutcome, ManifestMeta, OutcomeStatus, PlatformImage, RunEnd, RunTotals};
use plimsoll_types::Digest;
use time::OffsetDateTime;

use crate::temp_store;
use crate::values::inventory;

#[tokio::test]
async fn registries_select_their_inventories_and_their_stale_tags() {
    let (_dir, store) = temp_store().await;
    let index = Digest::sha256_of(b"index");
    let platform = Digest::sha256_of(b"amd64 image");
    store
        .put_manifest_meta(&ManifestMeta {
            digest: index.clone(),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            platforms: vec![PlatformImage {
                platform: "linux/amd64".parse().unwrap(),
                manifest_digest: platform.clone(),
                config_digest: Digest::sha256_of(b"config"),
                created: None,
            }],
        })
        .await
        .unwrap();
    store
        .record_tags("a.example", "app", &[("1".into(), index.clone())])
        .await
        .unwrap();
    store
        .put_inventory(&inventory(&platform, "linux/amd64", 0), "key")
        .await
        .unwrap();

    let of = |hosts: &[&str]| {
        let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        let store = store.clone();
        async move { store.inventory_digests_in(&hosts, "key").await.unwrap() }
    };
    assert_eq!(of(&["a.example"]).await, vec![platform.clone()]);
    assert!(of(&["b.example"]).await.is_empty());
    assert!(of(&[]).await.is_empty());
    assert!(
        store
            .inventory_digests_in(&["a.example".into()], "other key")
            .await
            .unwrap()
            .is_empty()
    );

    // Stale: by the latest success only.
    let hosts = vec!["a.example".to_owned()];
    let far = OffsetDateTime::now_utc() + time::Duration::days(1);
    assert!(store.scanned_before(&hosts, far).await.unwrap().is_empty());
    let run = store.start_run("test").await.unwrap();
    let outcome = |status| ImageOutcome {
        registry: "a.example".into(),
        repository: "app".into(),
        tag: "1".into(),
        digest: Some(index.clone()),
        platform: None,
        status,
        cause: None,
        pull_ms: None,
        analysis_ms: None,
        matching_ms: None,
    };
    store
        .record_outcome(run, &outcome(OutcomeStatus::Failed))
        .await
        .unwrap();
    assert!(store.scanned_before(&hosts, far).await.unwrap().is_empty());
    store
        .record_outcome(run, &outcome(OutcomeStatus::Success))
        .await
        .unwrap();
    store
        .finish_run(run, RunEnd::Completed, RunTotals::default())
        .await
        .unwrap();
    let stale = store.scanned_before(&hosts, far).await.unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].reference(), "a.example/app:1");
    let past = OffsetDateTime::now_utc() - time::Duration::days(1);
    assert!(store.scanned_before(&hosts, past).await.unwrap().is_empty());
    assert!(
        store
            .scanned_before(&["b.example".into()], far)
            .await
            .unwrap()
            .is_empty()
    );
}
