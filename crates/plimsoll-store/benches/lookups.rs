//! The look-ups of a warm re-scan: `manifest_meta` and `has_inventory`, each called once per
//! unchanged tag, on a store holding 10,000 manifests and 10,000 inventories. Criterion
//! reports throughput in look-ups per second (`thrpt`). Then the pages of `plimsoll serve`'s
//! image list over the same store with a tag per manifest: the first page sorted by a count
//! (every row joined, then sorted) and a page filtered by an advisory id (index look-ups).
//!
//! The store is synthetic (built here, in a temporary directory): the figures depend on the
//! number of rows and the SQL, not on what the values contain.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

use plimsoll_store::{
    ImageFilter, ImageOrder, ImageSort, ManifestMeta, Order, PageRequest, PlatformImage, Store,
};
use plimsoll_types::{
    Digest, Finding, FixState, ImageInventory, ImageSource, PackageKind, Platform, Severity,
    SeveritySource,
};

const ENTRIES: usize = 10_000;
const ANALYZER: &str = "apk=1,dpkg=2,npm=1,os-release=1,python=3";

fn meta(i: usize) -> ManifestMeta {
    let digest = Digest::sha256_of(format!("index {i}").as_bytes());
    let platforms = ["linux/amd64", "linux/arm64/v8"]
        .iter()
        .map(|platform| PlatformImage {
            platform: platform.parse::<Platform>().unwrap(),
            manifest_digest: Digest::sha256_of(format!("image {i} {platform}").as_bytes()),
            config_digest: Digest::sha256_of(format!("config {i} {platform}").as_bytes()),
            created: None,
        })
        .collect();
    ManifestMeta {
        digest,
        media_type: "application/vnd.oci.image.index.v1+json".into(),
        platforms,
    }
}

fn inventory(image: &PlatformImage) -> ImageInventory {
    ImageInventory {
        source: ImageSource::Registry {
            reference: "registry.example.com/team/app:latest".into(),
        },
        manifest_digest: image.manifest_digest.clone(),
        index_digest: None,
        config_digest: image.config_digest.clone(),
        platform: image.platform.clone(),
        created: None,
        os: None,
        layers: vec![],
        packages: vec![],
        config: None,
        secrets: vec![],
        warnings: vec![],
    }
}

fn lookups(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, metas) = runtime.block_on(async {
        let store = Store::open(&dir.path().join("store.sqlite")).await.unwrap();
        let metas: Vec<ManifestMeta> = (0..ENTRIES).map(meta).collect();
        for meta in &metas {
            store.put_manifest_meta(meta).await.unwrap();
            store
                .put_inventory(&inventory(&meta.platforms[0]), ANALYZER)
                .await
                .unwrap();
        }
        (store, metas)
    });
    let images: Vec<Digest> = metas
        .iter()
        .map(|m| m.platforms[0].manifest_digest.clone())
        .collect();

    let mut group = c.benchmark_group("rescan 10,000 tags");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ENTRIES as u64));
    group.bench_function("manifest_meta", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for meta in &metas {
                    black_box(store.manifest_meta(&meta.digest).await.unwrap().unwrap());
                }
            });
        });
    });
    group.bench_function("has_inventory", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for image in &images {
                    assert!(store.has_inventory(image, ANALYZER).await.unwrap());
                }
            });
        });
    });
    group.finish();

    runtime.block_on(async {
        for (i, meta) in metas.iter().enumerate() {
            store
                .record_tags(
                    "registry.example.com",
                    &format!("team/app-{}", i / 10),
                    &[(format!("v{i}"), meta.digest.clone())],
                )
                .await
                .unwrap();
            // One image in a hundred has a finding, with its own id.
            let findings = if i % 100 == 0 {
                vec![finding(&format!("CVE-2026-{i:05}"))]
            } else {
                Vec::new()
            };
            store
                .put_findings(&meta.platforms[0].manifest_digest, None, &findings)
                .await
                .unwrap();
        }
    });
    let page = PageRequest {
        offset: 0,
        limit: 50,
    };
    let mut group = c.benchmark_group("serve 10,000 tags");
    group.sample_size(10);
    group.bench_function("first page by critical", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let order = ImageOrder {
                    sort: ImageSort::Critical,
                    order: Order::Desc,
                    page,
                };
                let found = store.images(&ImageFilter::default(), order).await.unwrap();
                assert_eq!(found.total, 2 * ENTRIES as u64);
            });
        });
    });
    group.bench_function("filtered by advisory id", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let filter = ImageFilter {
                    vulnerability: Some("CVE-2026-04200".into()),
                    ..ImageFilter::default()
                };
                let order = ImageOrder {
                    sort: ImageSort::Registry,
                    order: Order::Asc,
                    page,
                };
                let found = store.images(&filter, order).await.unwrap();
                assert_eq!(found.total, 1);
            });
        });
    });
    // The web UI's aggregates over the same store: the dashboard's totals and top CVEs, and a
    // registry page (1,000 repositories of 10 tags each).
    group.bench_function("ui: image totals", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let totals = store.image_totals().await.unwrap();
                assert_eq!(totals.images, 2 * ENTRIES as u64);
            });
        });
    });
    group.bench_function("ui: top CVEs", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let top = store.top_vulnerabilities("CVE-", 10).await.unwrap();
                assert_eq!(top.len(), 10);
            });
        });
    });
    group.bench_function("ui: repositories of a registry", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let repos = store.repositories("registry.example.com").await.unwrap();
                assert_eq!(repos.len(), ENTRIES / 10);
            });
        });
    });
    group.finish();
}

fn finding(id: &str) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        summary: None,
        package: "libssl3".into(),
        kind: PackageKind::Deb,
        installed: "3.0.11-1~deb12u2".into(),
        purl: None,
        matched_ecosystem: "Debian:12".into(),
        matched_name: "openssl".into(),
        fixed_versions: vec![],
        status: FixState::Unfixed,
        severity: Severity::Critical,
        severity_source: SeveritySource::Database,
        cvss: None,
        found_in: "/var/lib/dpkg/status".into(),
        layer: None,
        references: vec![],
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
