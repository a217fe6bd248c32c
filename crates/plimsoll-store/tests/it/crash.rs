//! A writer process killed with SIGKILL mid-write: the store reopens, every stored value
//! decodes, and the run lock is free again.
//!
//! The writer is this test binary itself, re-run on [`crash_writer_child`] with
//! `PLIMSOLL_STORE_CRASH_WRITER` naming the store; without that variable the "test" does
//! nothing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use plimsoll_store::{ImageOutcome, OutcomeStatus, RunStatus, Store};

use crate::values::{ANALYZER, digest, findings, inventory, layer_facts};

const WRITER_ENV: &str = "PLIMSOLL_STORE_CRASH_WRITER";

/// Inventories the parent waits for before killing the writer.
const WRITES_BEFORE_KILL: usize = 40;

/// The writer's bound, should the parent die without killing it.
const MAX_WRITES: usize = 50_000;

/// The inventory rewritten on every round, so the kill may also land in an upsert.
fn hot_digest() -> plimsoll_types::Digest {
    digest("rewritten on every round")
}

#[tokio::test]
async fn crash_writer_child() {
    let Some(path) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&path)).await.unwrap();
    let _lock = store.lock_runs(false).await.unwrap();
    let run = store.start_run("crash test writer").await.unwrap();
    for round in 0..MAX_WRITES {
        // Two writers at once, like the scan pipeline's concurrent images.
        let image = digest(&format!("image {round}"));
        let fresh = inventory(&image, "linux/amd64", 200 + round % 50);
        let hot = inventory(&hot_digest(), "linux/amd64", round % 300);
        let a = store.put_inventory(&fresh, ANALYZER);
        let b = store.put_inventory(&hot, ANALYZER);
        let (a, b) = tokio::join!(a, b);
        a.unwrap();
        b.unwrap();
        store
            .put_layer_facts(&layer_facts(&format!("layer {round}")), ANALYZER)
            .await
            .unwrap();
        store
            .put_findings(&image, Some("2026-11-26T04:00:00Z"), &findings())
            .await
            .unwrap();
        let outcome = ImageOutcome {
            registry: "registry.example.com".into(),
            repository: "team/app".into(),
            tag: format!("build-{round}"),
            digest: Some(image),
            platform: None,
            status: OutcomeStatus::Success,
            cause: None,
            pull_ms: Some(10),
            analysis_ms: Some(20),
            matching_ms: Some(3),
        };
        store.record_outcome(run, &outcome).await.unwrap();
    }
}

#[tokio::test]
async fn a_writer_killed_mid_write_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let observer = Store::open(&path).await.unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash::crash_writer_child", "--exact", "--test-threads=1"])
        .env(WRITER_ENV, &path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        let written = observer.inventory_digests(ANALYZER).await.unwrap().len();
        if written >= WRITES_BEFORE_KILL {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the writer ended on its own after {written} inventories: {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // `Child::kill` is SIGKILL on Unix: no destructor, no unlock, no rollback.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), Some(9), "{status}");
    }
    #[cfg(not(unix))]
    assert!(!status.success());
    observer.close().await;

    let store = Store::open(&path).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&raw_pool(&path).await)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");

    let digests = store.inventory_digests(ANALYZER).await.unwrap();
    assert!(digests.len() >= WRITES_BEFORE_KILL);
    for image in &digests {
        let stored = store.inventory(image, ANALYZER).await.unwrap().unwrap();
        assert_eq!(&stored.manifest_digest, image);
        assert!(stored.packages.len() >= 5);
        if let Some(found) = store.findings(image).await.unwrap() {
            assert_eq!(found.findings, findings());
        }
    }
    assert!(digests.contains(&hot_digest()));
    for round in 0.. {
        let layer = digest(&format!("layer {round}"));
        match store.layer_facts(&layer, ANALYZER).await.unwrap() {
            Some(facts) => assert_eq!(facts, layer_facts(&format!("layer {round}"))),
            None => break,
        }
    }

    // The kernel released the dead writer's lock; taking it closes the writer's run.
    let _lock = store.lock_runs(false).await.unwrap();
    let runs = store.runs(10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Interrupted);
    assert_eq!(
        store.run_outcomes(runs[0].id).await.unwrap().len() as u64,
        runs[0].totals.total
    );
}

async fn raw_pool(path: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}
