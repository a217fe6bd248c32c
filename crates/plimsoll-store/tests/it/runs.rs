use plimsoll_store::{
    Error, ImageOutcome, OutcomeStatus, RunEnd, RunId, RunStatus, RunTotals, Store,
};

use crate::temp_store;
use crate::values::{digest, platform};

fn outcomes() -> Vec<ImageOutcome> {
    vec![
        ImageOutcome {
            registry: "registry.example.com".into(),
            repository: "team/app".into(),
            tag: "1.4.2".into(),
            digest: Some(digest("app index")),
            platform: Some(platform("linux/arm64/v8")),
            status: OutcomeStatus::Success,
            cause: None,
            pull_ms: Some(1_840),
            analysis_ms: Some(912),
            matching_ms: Some(37),
        },
        ImageOutcome {
            registry: "registry.example.com".into(),
            repository: "team/app".into(),
            tag: "broken".into(),
            digest: None,
            platform: None,
            status: OutcomeStatus::Failed,
            cause: Some("manifest unknown (404)".into()),
            pull_ms: None,
            analysis_ms: None,
            matching_ms: None,
        },
        ImageOutcome {
            registry: "registry.example.com".into(),
            repository: "team/worker".into(),
            tag: "2.0".into(),
            digest: Some(digest("worker image")),
            platform: Some(platform("linux/amd64")),
            status: OutcomeStatus::Skipped,
            cause: Some("unchanged since the last scan".into()),
            pull_ms: None,
            analysis_ms: None,
            matching_ms: None,
        },
    ]
}

#[tokio::test]
async fn a_run_records_outcomes_and_totals() {
    let (_dir, store) = temp_store().await;
    let first = store.start_run("registry.example.com (all)").await.unwrap();
    for outcome in outcomes() {
        store.record_outcome(first, &outcome).await.unwrap();
    }
    assert_eq!(store.run_outcomes(first).await.unwrap(), outcomes());

    // While running, the totals are counted from the outcomes.
    let running = store.runs(10).await.unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].id, first);
    assert_eq!(running[0].status, RunStatus::Running);
    assert_eq!(running[0].finished_at, None);
    assert_eq!(
        running[0].totals,
        RunTotals {
            total: 3,
            success: 1,
            failed: 1,
            skipped: 1,
        }
    );

    let totals = RunTotals {
        total: 4,
        success: 1,
        failed: 2,
        skipped: 1,
    };
    store
        .finish_run(first, RunEnd::Failed, totals)
        .await
        .unwrap();
    let second = store
        .start_run("registry.example.com/team/app")
        .await
        .unwrap();
    assert!(second > first);
    store
        .finish_run(second, RunEnd::Completed, RunTotals::default())
        .await
        .unwrap();

    let runs = store.runs(10).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second, first]
    );
    assert_eq!(runs[0].status, RunStatus::Completed);
    assert_eq!(runs[1].status, RunStatus::Failed);
    assert_eq!(runs[1].totals, totals);
    assert_eq!(runs[1].description, "registry.example.com (all)");
    assert!(runs[1].finished_at.unwrap() >= runs[1].started_at);
    assert_eq!(store.runs(1).await.unwrap().len(), 1);
    assert!(store.run_outcomes(second).await.unwrap().is_empty());
    assert_eq!(first.to_string().parse::<RunId>().unwrap(), first);
}

#[tokio::test]
async fn unknown_runs_are_refused() {
    let (_dir, store) = temp_store().await;
    let ghost = RunId::from(42);
    let err = store
        .finish_run(ghost, RunEnd::Completed, RunTotals::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownRun { run, .. } if run == ghost),
        "{err}"
    );
    let err = store
        .record_outcome(ghost, &outcomes()[0])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownRun { .. }), "{err}");
    assert!(err.to_string().contains("no scan run 42"), "{err}");
}

#[tokio::test]
async fn the_run_lock_is_exclusive_and_names_its_holder() {
    let (dir, store) = temp_store().await;
    let other = Store::open(&dir.path().join("store.sqlite")).await.unwrap();

    let held = store.lock_runs(false).await.unwrap();
    assert_eq!(held.path(), store.lock_path());
    assert!(held.path().to_string_lossy().ends_with("store.sqlite.lock"));
    let err = other.lock_runs(false).await.unwrap_err();
    let Error::RunInProgress { path, holder } = &err else {
        panic!("expected RunInProgress, got {err}");
    };
    assert_eq!(path, &store.lock_path());
    assert!(
        holder.starts_with(&format!("pid {}, started 20", std::process::id())),
        "{holder}"
    );
    assert!(err.to_string().contains("store.sqlite.lock"), "{err}");

    drop(held);
    let again = other.lock_runs(false).await.unwrap();

    // A waiting taker gets the lock once it is released.
    let waiter = tokio::spawn({
        let store = store.clone();
        async move { store.lock_runs(true).await.map(drop) }
    });
    tokio::task::yield_now().await;
    drop(again);
    waiter.await.unwrap().unwrap();
}

#[tokio::test]
async fn taking_the_lock_marks_abandoned_runs_interrupted() {
    let (_dir, store) = temp_store().await;
    let abandoned = {
        let _lock = store.lock_runs(false).await.unwrap();
        store.start_run("killed before it finished").await.unwrap()
    };
    let finished = store.start_run("finished").await.unwrap();
    store
        .finish_run(finished, RunEnd::Completed, RunTotals::default())
        .await
        .unwrap();

    let _lock = store.lock_runs(false).await.unwrap();
    let runs = store.runs(10).await.unwrap();
    let status = |id| runs.iter().find(|r| r.id == id).unwrap().status;
    assert_eq!(status(abandoned), RunStatus::Interrupted);
    assert_eq!(status(finished), RunStatus::Completed);
    assert!(runs.iter().all(|r| r.finished_at.is_some()));
}
