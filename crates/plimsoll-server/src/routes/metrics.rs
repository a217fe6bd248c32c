//! `GET /metrics`: Prometheus text exposition. Counters and histograms come from the `metrics`
//! facade, fed where things happen (the worker: images and runs; the registry client: every
//! answer of a registry; this crate: HTTP requests); gauges of state (the scheduler's queue) are
//! set when scraped, from the state itself, so they cannot drift.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ErrorBody;
use crate::state::AppState;

/// Bucket bounds (seconds) for every `…_duration_seconds` histogram: from one request to a
/// multi-hour scan of a large registry.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0,
];

/// The process-wide recorder, installed on first use. The facade takes one global recorder per
/// process, so every router built in a process (tests build many) shares it.
pub(crate) fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_duration_seconds".into()),
                    DURATION_BUCKETS,
                )
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(handle) => Some(handle),
                Err(e) => {
                    // Only if something else in the process installed a recorder first.
                    tracing::warn!(error = %e, "cannot install the Prometheus recorder; /metrics will be empty");
                    None
                }
            }
        })
        .as_ref()
}

/// Counts one answered request by route (the pattern, never the path: bounded labels) and
/// status class.
pub(crate) fn count_request(route: &str, status: u16, seconds: f64) {
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!("plimsoll_http_requests_total", "route" => route.to_owned(), "status" => class)
        .increment(1);
    metrics::histogram!("plimsoll_http_request_duration_seconds", "route" => route.to_owned())
        .record(seconds);
}

/// Prometheus metrics of this process: scans, their durations, registry answers by status, the
/// scan queue, the vulnerability database's build time, HTTP requests.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = recorder() else {
        return String::new().into_response();
    };
    if let Some(scheduler) = &state.scheduler {
        let registries = scheduler.registries();
        let queued = registries.iter().filter(|r| r.state == "queued").count();
        metrics::gauge!("plimsoll_scan_queue_depth")
            .set(f64::from(u32::try_from(queued).unwrap_or(u32::MAX)));
        for registry in registries {
            metrics::gauge!("plimsoll_registry_scan_running", "registry" => registry.name).set(
                if registry.state == "running" {
                    1.0
                } else {
                    0.0
                },
            );
        }
    }
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
