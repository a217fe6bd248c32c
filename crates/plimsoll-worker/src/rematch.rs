//! `plimsoll registry rematch`: every stored inventory matched again against the current
//! vulnerability database, without contacting any registry. Matching is a function of the
//! inventory and the database alone, so this is all a database update needs.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use plimsoll_store::Store;
use plimsoll_vulndb::VulnDb;

use crate::matching::MatchService;
use crate::run::{Phase, Progress};
use crate::{Error, Result};

/// Inventories read from the store at once while the matching thread works.
const READ_AHEAD: usize = 8;

/// What a re-match did.
#[derive(Debug, Default)]
pub struct RematchSummary {
    /// Inventories matched.
    pub inventories: usize,
    /// Packages looked up.
    pub packages: usize,
    /// Findings stored.
    pub findings: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Re-matches every inventory stored under `analyzer_key`, replacing each image's findings.
/// Takes the store's run lock, like a scan.
pub async fn rematch(
    store: &Store,
    db: VulnDb,
    analyzer_key: &str,
    wait: bool,
    progress: &dyn Progress,
) -> Result<RematchSummary> {
    let started = Instant::now();
    let _lock = store.lock_runs(wait).await?;
    let digests = store.inventory_digests(analyzer_key).await?;
    progress.start(Phase::Scan, digests.len() as u64);
    let (service, thread) = MatchService::start(db)?;
    let matcher = &service;
    let mut summary = RematchSummary::default();
    // Loading (a store read and a decompression) overlaps matching on its thread. Store
    // writes stay inside the futures: awaiting the store in the loop below while suspended
    // futures hold pool connections could starve it.
    let mut pending = futures_util::stream::iter(digests)
        .map(|digest| async move {
            let Some(inventory) = store.inventory(&digest, analyzer_key).await? else {
                tracing::warn!(%digest, "inventory vanished from the store");
                return Ok::<_, Error>(None);
            };
            let (inventory, outcome) = matcher.match_inventory(inventory).await?;
            store
                .put_findings(
                    &inventory.manifest_digest,
                    matcher.built_at(),
                    &outcome.findings,
                )
                .await?;
            Ok(Some((outcome.packages_checked, outcome.findings.len())))
        })
        .buffer_unordered(READ_AHEAD);
    while let Some(done) = pending.next().await {
        if let Some((packages, findings)) = done? {
            summary.inventories += 1;
            summary.packages += packages;
            summary.findings += findings;
        }
        progress.advance(1);
    }
    drop(pending);
    progress.finish();
    // The thread ends when its last handle is gone.
    drop(service);
    thread
        .join()
        .map_err(|_| Error::Task("the matching thread panicked".into()))?;
    summary.elapsed = started.elapsed();
    crate::metrics::rematch_finished(summary.inventories, summary.elapsed);
    Ok(summary)
}
