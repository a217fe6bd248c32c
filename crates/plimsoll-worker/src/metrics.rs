//! What the scan records for Prometheus, through the `metrics` facade: without a recorder
//! installed (the CLI) every call is a no-op; `plimsoll serve` installs one and renders it on
//! `/metrics`. The names are listed in docs/server.md ("Metrics").

use std::time::Duration;

use plimsoll_store::{OutcomeStatus, RunStatus};

/// One image (one distinct digest, however many tags point at it) came to `status`.
pub(crate) fn image_finished(
    registry: &str,
    status: OutcomeStatus,
    analysed: usize,
    reused: usize,
    took: Duration,
) {
    let registry = registry.to_owned();
    metrics::counter!("plimsoll_images_scanned_total", "registry" => registry.clone(), "status" => status.as_str())
        .increment(1);
    if status == OutcomeStatus::Success {
        metrics::histogram!("plimsoll_image_scan_duration_seconds", "registry" => registry)
            .record(took.as_secs_f64());
    }
    metrics::counter!("plimsoll_platform_images_analysed_total").increment(analysed as u64);
    metrics::counter!("plimsoll_platform_images_reused_total").increment(reused as u64);
}

/// A scan run ended.
pub(crate) fn run_finished(status: RunStatus, took: Duration) {
    metrics::counter!("plimsoll_scan_runs_total", "status" => status.as_str()).increment(1);
    metrics::histogram!("plimsoll_scan_run_duration_seconds").record(took.as_secs_f64());
}

/// A re-match of stored inventories ended.
pub(crate) fn rematch_finished(inventories: usize, took: Duration) {
    metrics::counter!("plimsoll_rematch_runs_total").increment(1);
    metrics::counter!("plimsoll_rematched_inventories_total").increment(inventories as u64);
    metrics::histogram!("plimsoll_rematch_duration_seconds").record(took.as_secs_f64());
}
