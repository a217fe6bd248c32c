//! `plimsoll registry rematch`, and `plimsoll serve`'s re-match after a database update: stored
//! inventories matched again against the current vulnerability database, without contacting
//! any registry. Matching is a function of the inventory and the database alone, so this is all
//! a database update needs.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use plimsoll_notify::{NotificationConfig, Notifier};
use plimsoll_store::{RunEnd, RunId, RunTotals, Store};
use plimsoll_vulndb::VulnDb;

use crate::matching::MatchService;
use crate::run::{Phase, Progress};
use crate::{Error, Result};

/// Inventories read from the store at once while the matching thread works.
const READ_AHEAD: usize = 8;

/// What to re-match and what to tell.
#[derive(Clone, Copy, Debug, Default)]
pub struct RematchOptions<'a> {
    /// Wait for a run in progress on the same store instead of failing at once.
    pub wait: bool,
    /// Only the images tagged in these registries (hosts, as tags are filed); `None`: every
    /// stored inventory.
    pub registries: Option<&'a [String]>,
    /// Sinks told about `findings.new` (advisories the store did not hold for an image before
    /// this re-match), as a scan run tells them.
    pub notifications: &'a [NotificationConfig],
    /// Record the re-match in the store's run history under this description (its totals:
    /// inventories matched; no per-image outcomes).
    pub record_run: Option<&'a str>,
}

/// What a re-match did.
#[derive(Debug, Default)]
pub struct RematchSummary {
    /// Its run in the store, when recorded.
    pub run: Option<RunId>,
    /// Inventories matched.
    pub inventories: usize,
    /// Packages looked up.
    pub packages: usize,
    /// Findings stored.
    pub findings: usize,
    /// `findings.new` events raised (images with an advisory they did not have before).
    pub images_with_new_findings: usize,
    /// It stopped early because [`Progress::should_stop`] said so.
    pub stopped: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Re-matches every inventory stored under `analyzer_key` (of `options.registries`, if given),
/// replacing each image's findings. Takes the store's run lock, like a scan, so it never runs
/// beside one: a scan started before a database update finishes with the database it opened,
/// and this re-match then brings its images to the new one.
pub async fn rematch(
    store: &Store,
    db: VulnDb,
    analyzer_key: &str,
    options: RematchOptions<'_>,
    progress: &dyn Progress,
) -> Result<RematchSummary> {
    let started = Instant::now();
    let notifier = Notifier::new(options.notifications)
        .map_err(|e| Error::Config(format!("notifications: {e}")))?;
    let _lock = store.lock_runs(options.wait).await?;
    let run = match options.record_run {
        Some(description) => {
            let id = store.start_run(description).await?;
            progress.run_started(id);
            Some(id)
        }
        None => None,
    };
    let mut summary = RematchSummary {
        run,
        ..RematchSummary::default()
    };
    let mut events = Vec::new();
    let result = rematch_all(
        store,
        db,
        analyzer_key,
        options,
        progress,
        &mut summary,
        (!options.notifications.is_empty()).then_some(&mut events),
    )
    .await;
    if let Some(id) = run {
        let end = match &result {
            Ok(()) if summary.stopped => RunEnd::Interrupted,
            Ok(()) => RunEnd::Completed,
            Err(_) => RunEnd::Failed,
        };
        let matched = summary.inventories as u64;
        let totals = RunTotals {
            total: matched,
            success: matched,
            failed: 0,
            skipped: 0,
        };
        store.finish_run(id, end, totals).await?;
    }
    summary.images_with_new_findings = events.len();
    for event in &events {
        crate::alerts::deliver(&notifier, event).await;
    }
    summary.elapsed = started.elapsed();
    crate::metrics::rematch_finished(summary.inventories, summary.elapsed);
    result.map(|()| summary)
}

async fn rematch_all(
    store: &Store,
    db: VulnDb,
    analyzer_key: &str,
    options: RematchOptions<'_>,
    progress: &dyn Progress,
    summary: &mut RematchSummary,
    mut events: Option<&mut Vec<plimsoll_notify::Event>>,
) -> Result<()> {
    let digests = match options.registries {
        Some(hosts) => store.inventory_digests_in(hosts, analyzer_key).await?,
        None => store.inventory_digests(analyzer_key).await?,
    };
    progress.start(Phase::Scan, digests.len() as u64);
    let (service, thread) = MatchService::start(db)?;
    let matcher = &service;
    let notify = events.is_some();
    let stop_requested = std::sync::atomic::AtomicBool::new(false);
    let stop_requested = &stop_requested;
    // Loading (a store read and a decompression) overlaps matching on its thread. Store
    // writes stay inside the futures: awaiting the store in the loop below while suspended
    // futures hold pool connections could starve it.
    let mut pending = futures_util::stream::iter(digests)
        // Asked before each inventory: stopping here loses nothing (each image's findings are
        // one store write).
        .take_while(|_| {
            let stop = progress.should_stop();
            if stop {
                stop_requested.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            std::future::ready(!stop)
        })
        .map(|digest| async move {
            let Some(inventory) = store.inventory(&digest, analyzer_key).await? else {
                tracing::warn!(%digest, "inventory vanished from the store");
                return Ok::<_, Error>(None);
            };
            let (inventory, outcome) = matcher.match_inventory(inventory).await?;
            let event = if notify {
                crate::alerts::new_findings_event(store, &inventory, &outcome).await?
            } else {
                None
            };
            store
                .put_findings(
                    &inventory.manifest_digest,
                    matcher.built_at(),
                    &outcome.findings,
                )
                .await?;
            Ok(Some((
                outcome.packages_checked,
                outcome.findings.len(),
                event,
            )))
        })
        .buffer_unordered(READ_AHEAD);
    while let Some(done) = pending.next().await {
        if let Some((packages, findings, event)) = done? {
            summary.inventories += 1;
            summary.packages += packages;
            summary.findings += findings;
            if let (Some(events), Some(event)) = (events.as_deref_mut(), event) {
                events.push(event);
            }
        }
        progress.advance(1);
    }
    drop(pending);
    summary.stopped = stop_requested.load(std::sync::atomic::Ordering::Relaxed);
    progress.finish();
    // The thread ends when its last handle is gone.
    drop(service);
    thread
        .join()
        .map_err(|_| Error::Task("the matching thread panicked".into()))?;
    Ok(())
}
