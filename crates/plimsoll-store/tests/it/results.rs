use plimsoll_store::{
    ImageOutcome, OutcomeStatus, ResultFilter, ResultRow, ResultStatus, SeverityCounts, Store,
};

use crate::temp_store;
use crate::values::{ANALYZER, digest, findings, image_meta, index_meta, inventory, platform};

const REGISTRY: &str = "registry.example.com";

fn outcome(repository: &str, tag: &str, status: OutcomeStatus) -> ImageOutcome {
    ImageOutcome {
        registry: REGISTRY.into(),
        repository: repository.into(),
        tag: tag.into(),
        digest: None,
        platform: None,
        status,
        cause: None,
        pull_ms: None,
        analysis_ms: None,
        matching_ms: None,
    }
}

/// `team/app:1.4.2` and `:latest` → an index: amd64 scanned, arm64 inventoried but its match
/// failed; `team/app:edge` → a manifest never fetched; `team/worker:2.0` skipped;
/// `docker.io/library/alpine:3.20` scanned, nothing found.
async fn populate(store: &Store) {
    let index = index_meta("app index");
    store.put_manifest_meta(&index).await.unwrap();
    let amd64 = &index.platforms[0];
    let arm64 = &index.platforms[1];
    store
        .put_inventory(
            &inventory(&amd64.manifest_digest, "linux/amd64", 0),
            ANALYZER,
        )
        .await
        .unwrap();
    let mut arm_inventory = inventory(&arm64.manifest_digest, "linux/arm64/v8", 0);
    arm_inventory.os.as_mut().unwrap().pretty_name = None;
    store.put_inventory(&arm_inventory, ANALYZER).await.unwrap();
    store
        .put_findings(
            &amd64.manifest_digest,
            Some("2026-11-26T04:00:00Z"),
            &findings(),
        )
        .await
        .unwrap();
    store
        .record_tags(
            REGISTRY,
            "team/app",
            &[
                ("1.4.2".into(), index.digest.clone()),
                ("latest".into(), index.digest.clone()),
                ("edge".into(), digest("edge image")),
            ],
        )
        .await
        .unwrap();

    let worker = image_meta("worker image");
    store.put_manifest_meta(&worker).await.unwrap();
    store
        .record_tags(
            REGISTRY,
            "team/worker",
            &[("2.0".into(), worker.digest.clone())],
        )
        .await
        .unwrap();

    let alpine = image_meta("alpine image");
    store.put_manifest_meta(&alpine).await.unwrap();
    store.put_findings(&alpine.digest, None, &[]).await.unwrap();
    store
        .record_tags(
            "docker.io",
            "library/alpine",
            &[("3.20".into(), alpine.digest.clone())],
        )
        .await
        .unwrap();

    let run = store.start_run("registry.example.com").await.unwrap();
    // A failure of the amd64 image in an earlier attempt does not hide its findings.
    let mut amd64_failed = outcome("team/app", "1.4.2", OutcomeStatus::Failed);
    amd64_failed.platform = Some(platform("linux/amd64"));
    amd64_failed.cause = Some("pull: connection reset".into());
    store.record_outcome(run, &amd64_failed).await.unwrap();
    for tag in ["1.4.2", "latest"] {
        let mut failed = outcome("team/app", tag, OutcomeStatus::Failed);
        failed.digest = Some(index.digest.clone());
        failed.platform = Some(platform("linux/arm64/v8"));
        failed.cause = Some("matching: no vulnerability database".into());
        store.record_outcome(run, &failed).await.unwrap();
    }
    let mut skipped = outcome("team/worker", "2.0", OutcomeStatus::Skipped);
    skipped.cause = Some("excluded by --exclude 'team/worker'".into());
    store.record_outcome(run, &skipped).await.unwrap();
}

fn key(row: &ResultRow) -> String {
    let platform = row
        .platform
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!("{}/{}:{} {platform}", row.registry, row.repository, row.tag)
}

#[tokio::test]
async fn results_join_tags_platforms_inventories_findings_and_outcomes() {
    let (_dir, store) = temp_store().await;
    populate(&store).await;
    let rows = store.results(&ResultFilter::default()).await.unwrap();
    let keys: Vec<String> = rows.iter().map(key).collect();
    assert_eq!(
        keys,
        [
            "docker.io/library/alpine:3.20 linux/amd64",
            "registry.example.com/team/app:1.4.2 linux/amd64",
            "registry.example.com/team/app:1.4.2 linux/arm64/v8",
            "registry.example.com/team/app:edge ",
            "registry.example.com/team/app:latest linux/amd64",
            "registry.example.com/team/app:latest linux/arm64/v8",
            "registry.example.com/team/worker:2.0 linux/amd64",
        ]
    );

    let alpine = &rows[0];
    assert_eq!(alpine.status, ResultStatus::Scanned);
    assert_eq!(alpine.counts, SeverityCounts::default());
    assert!(alpine.scanned_at.is_some());
    assert_eq!(alpine.os, None);

    let index = index_meta("app index");
    let amd64 = &rows[1];
    assert_eq!(amd64.digest, index.digest);
    assert_eq!(
        amd64.manifest_digest,
        Some(index.platforms[0].manifest_digest.clone())
    );
    assert_eq!(amd64.status, ResultStatus::Scanned);
    assert_eq!(amd64.cause, None);
    assert_eq!(amd64.os.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(amd64.counts.total(), 6);
    assert_eq!(amd64.counts.critical, 1);
    assert_eq!(amd64.fixable, 3);
    assert_eq!(amd64.db_built_at.as_deref(), Some("2026-11-26T04:00:00Z"));

    let arm64 = &rows[2];
    assert_eq!(arm64.status, ResultStatus::Failed);
    assert_eq!(
        arm64.cause.as_deref(),
        Some("matching: no vulnerability database")
    );
    assert_eq!(arm64.os.as_deref(), Some("debian 12"));
    assert_eq!(arm64.counts, SeverityCounts::default());
    assert_eq!(arm64.scanned_at, None);

    let edge = &rows[3];
    assert_eq!(edge.status, ResultStatus::NotScanned);
    assert_eq!(
        (edge.platform.as_ref(), edge.manifest_digest.as_ref()),
        (None, None)
    );

    assert_eq!(rows[4].counts, amd64.counts);
    assert_eq!(rows[5].status, ResultStatus::Failed);

    let worker = &rows[6];
    assert_eq!(worker.status, ResultStatus::Skipped);
    assert_eq!(
        worker.cause.as_deref(),
        Some("excluded by --exclude 'team/worker'")
    );
}

#[tokio::test]
async fn results_filter_by_registry_and_repository_substring() {
    let (_dir, store) = temp_store().await;
    populate(&store).await;
    let count = |registry: Option<&str>, repository: Option<&str>| {
        let filter = ResultFilter {
            registry: registry.map(Into::into),
            repository: repository.map(Into::into),
        };
        let store = store.clone();
        async move { store.results(&filter).await.unwrap().len() }
    };
    assert_eq!(count(Some("docker.io"), None).await, 1);
    assert_eq!(count(Some(REGISTRY), None).await, 6);
    assert_eq!(count(None, Some("team/")).await, 6);
    assert_eq!(count(None, Some("work")).await, 1);
    assert_eq!(count(Some("docker.io"), Some("team")).await, 0);
    assert_eq!(count(None, Some("app")).await, 5);
}
