//! Registries of the configuration and their scans: state, schedule and last run of each, and
//! a manual trigger.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, Result};
use crate::routes::list::ApiPath;
use crate::scheduler::{RegistryStatus, TriggerError};
use crate::state::AppState;

/// Every configured registry, in configuration order (a short list: not paged).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RegistryList {
    /// The registries.
    pub(crate) items: Vec<RegistryStatus>,
}

/// The configured registries: schedule, state (`idle`, `queued`, `running`), next run and last
/// run. Credentials are never shown. Empty when the server runs without `--config`.
#[utoipa::path(
    get,
    path = "/api/v1/registries",
    tag = "registries",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The registries", body = RegistryList),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn list_registries(State(state): State<AppState>) -> Json<RegistryList> {
    let items = state
        .scheduler
        .as_ref()
        .map(crate::Scheduler::registries)
        .unwrap_or_default();
    Json(RegistryList { items })
}

/// Queues a scan of one registry now. Refused with 409 while a run of that registry is queued
/// or running (never two at once).
#[utoipa::path(
    post,
    path = "/api/v1/registries/{name}/scans",
    tag = "registries",
    params(("name" = String, Path, description = "The registry's name")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; the registry's new state", body = RegistryStatus),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token, or one without admin scope", body = ErrorBody),
        (status = 404, description = "No registry of this name", body = ErrorBody),
        (status = 409, description = "A run of this registry is already queued or running", body = ErrorBody),
        (status = 503, description = "The server is shutting down", body = ErrorBody),
    )
)]
pub(crate) async fn trigger_scan(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<(StatusCode, Json<RegistryStatus>)> {
    let Some(scheduler) = &state.scheduler else {
        return Err(ApiError::NotFound(format!(
            "no registry named `{name}` (the server runs without --config)"
        )));
    };
    match scheduler.trigger(&name) {
        Ok(status) => Ok((StatusCode::ACCEPTED, Json(status))),
        Err(e @ TriggerError::Unknown(_)) => Err(ApiError::NotFound(e.to_string())),
        Err(e @ TriggerError::Busy { .. }) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ TriggerError::Stopping) => Err(ApiError::ShuttingDown(e.to_string())),
    }
}
