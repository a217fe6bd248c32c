//! The notifications the worker builds from its results, and those `plimsoll serve` raises by
//! itself ([`Alerts`]): one place that turns a match into a `findings.new` event and hands
//! events to the configured sinks.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use plimsoll_matcher::MatchOutcome;
use plimsoll_notify::{Event, FindingSummary, Notifier, Outcome};
use plimsoll_store::Store;
use plimsoll_types::ImageInventory;

use crate::config::ScanConfig;
use crate::{Error, Result};

/// The `findings.new` event of one image just matched, or `None` when it has no finding it did
/// not have before. New = not among the advisories the store holds for this image from its
/// previous match (an image matched for the first time has only new findings); sinks then keep
/// those at or above their own `min_severity`. Call it before the new findings are stored.
pub(crate) async fn new_findings_event(
    store: &Store,
    inventory: &ImageInventory,
    outcome: &MatchOutcome,
) -> Result<Option<Event>> {
    let before: BTreeSet<String> = store
        .findings(&inventory.manifest_digest)
        .await?
        .map(|stored| stored.findings.into_iter().map(|f| f.id).collect())
        .unwrap_or_default();
    let new: Vec<FindingSummary> = outcome
        .findings
        .iter()
        .filter(|f| !before.contains(&f.id))
        .map(|f| FindingSummary {
            id: f.id.clone(),
            severity: f.severity,
            package: f.package.clone(),
            installed: f.installed.clone(),
            fixed: f.fixed_versions.first().cloned(),
        })
        .collect();
    Ok((!new.is_empty()).then(|| {
        Event::new_findings(
            inventory.source.display_name(),
            inventory.manifest_digest.clone(),
            inventory.platform.clone(),
            new,
        )
    }))
}

/// Sends `event` to every sink of `notifier`, logging the deliveries that failed (delivery
/// never fails the caller).
pub(crate) async fn deliver(notifier: &Notifier, event: &Event) {
    for delivery in notifier.notify(event).await {
        if let Outcome::Failed(reason) = &delivery.outcome {
            tracing::warn!(
                sink = %delivery.sink,
                attempts = delivery.attempts,
                event = event.kind().as_str(),
                "notification not delivered: {reason}"
            );
        }
    }
}

/// The sinks of a configuration's `[[notifications]]`, for the events `plimsoll serve` raises
/// outside scan runs: `db.update_failed` and `image.stale`. Cheap to clone.
#[derive(Clone)]
pub struct Alerts {
    notifier: std::sync::Arc<Notifier>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

impl Alerts {
    /// The sinks of `config` (none configured: every alert goes nowhere).
    pub fn new(config: &ScanConfig) -> Result<Alerts> {
        let notifier = Notifier::new(&config.notifications)
            .map_err(|e| Error::Config(format!("notifications: {e}")))?;
        Ok(Alerts {
            notifier: std::sync::Arc::new(notifier),
        })
    }

    /// A vulnerability database update failed for `reason`; the database built at
    /// `last_good_built_at` stays in use.
    pub async fn db_update_failed(&self, reason: &str, last_good_built_at: Option<OffsetDateTime>) {
        deliver(
            &self.notifier,
            &Event::db_update_failed(reason, last_good_built_at),
        )
        .await;
    }

    /// `image` was last scanned successfully at `last_scanned`, `hours` ago.
    pub async fn image_stale(&self, image: &str, last_scanned: OffsetDateTime, hours: u64) {
        deliver(
            &self.notifier,
            &Event::image_stale(image, last_scanned, hours),
        )
        .await;
    }
}
