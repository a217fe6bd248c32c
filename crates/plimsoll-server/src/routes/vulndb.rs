//! The vulnerability database: which build is in use, its refresh and the re-match that
//! follows a new build, and a manual update.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::{ApiError, ErrorBody, Result};
use crate::state::AppState;
use crate::vulndb_refresh::{UpdateError, VulnDbStatus};

/// The database in use (generation, build time, age), the last update attempt and its error,
/// the next scheduled update, and the re-match after a new build. Without `--config` the server
/// does not refresh the database: `configured` is false and the rest is empty.
#[utoipa::path(
    get,
    path = "/api/v1/vulndb",
    tag = "vulndb",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The database and its refresh", body = VulnDbStatus),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn vulndb_status(State(state): State<AppState>) -> Json<VulnDbStatus> {
    Json(
        state
            .vulndb
            .as_ref()
            .map_or_else(VulnDbStatus::unconfigured, crate::DbRefresher::status),
    )
}

/// Queues a database update from the configured sources now. Refused with 409 while one is
/// queued or running. A new build is then re-matched against the stored images of the
/// registries with `rescan_on_db_update`.
#[utoipa::path(
    post,
    path = "/api/v1/vulndb/updates",
    tag = "vulndb",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; the new status", body = VulnDbStatus),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token, or one without admin scope", body = ErrorBody),
        (status = 404, description = "The server runs without --config", body = ErrorBody),
        (status = 409, description = "An update is already queued or running", body = ErrorBody),
        (status = 503, description = "The server is shutting down", body = ErrorBody),
    )
)]
pub(crate) async fn trigger_update(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<VulnDbStatus>)> {
    let Some(refresher) = &state.vulndb else {
        return Err(ApiError::NotFound(
            "the server runs without --config: it does not update the vulnerability database"
                .into(),
        ));
    };
    match refresher.trigger() {
        Ok(status) => Ok((StatusCode::ACCEPTED, Json(status))),
        Err(e @ UpdateError::Busy(_)) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ UpdateError::Stopping) => Err(ApiError::ShuttingDown(e.to_string())),
    }
}
