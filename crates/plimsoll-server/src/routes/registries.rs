//! Registries and their scans: state, schedule and last run of each, a manual trigger, and
//! registries created, replaced and deleted through the API (those of the configuration file
//! are read-only here). Credentials are write-only: no answer carries them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_registries::{RegistryBody, check, sync_api_registries};
use crate::error::{ApiError, ErrorBody, Result};
use crate::routes::list::{ApiJson, ApiPath};
use crate::scheduler::{RegistryStatus, Scheduler, Source, TriggerError};
use crate::state::AppState;

/// Every configured registry, in configuration order (a short list: not paged).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RegistryList {
    /// The registries.
    pub(crate) items: Vec<RegistryStatus>,
}

/// The registries: the configuration file's, then those created through the API. Schedule,
/// state (`idle`, `queued`, `running`), next run and last run; credentials are never shown.
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

/// The scheduler, or the answer of a server that has none.
fn scheduler(state: &AppState) -> Result<&Scheduler> {
    state.scheduler.as_ref().ok_or_else(|| {
        ApiError::Conflict("this server schedules no scans, so it keeps no registries".into())
    })
}

/// The refusal to change a registry of the configuration file.
fn read_only(state: &AppState, name: &str) -> ApiError {
    let file = state
        .config_file
        .as_deref()
        .unwrap_or("the configuration file");
    ApiError::Conflict(format!(
        "registry `{name}` is defined in {file}; edit the file and reload (SIGHUP)"
    ))
}

/// One registry: schedule, state, next and last run (never its credentials).
#[utoipa::path(
    get,
    path = "/api/v1/registries/{name}",
    tag = "registries",
    params(("name" = String, Path, description = "The registry's name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The registry", body = RegistryStatus),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
        (status = 404, description = "No registry of this name", body = ErrorBody),
    )
)]
pub(crate) async fn get_registry(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<RegistryStatus>> {
    state
        .scheduler
        .as_ref()
        .and_then(|s| s.status(&name))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no registry named `{name}`")))
}

/// Creates a registry, stored in the results store and scheduled at once (queued now with
/// `scan_on_start`). Checked with the configuration file's rules; a `400` names the key.
#[utoipa::path(
    post,
    path = "/api/v1/registries",
    tag = "registries",
    request_body = RegistryBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; its state", body = RegistryStatus),
        (status = 400, description = "A key that cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token, or one without admin scope", body = ErrorBody),
        (status = 409, description = "A registry of this name exists (in the file: read-only)", body = ErrorBody),
    )
)]
pub(crate) async fn create_registry(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegistryBody>,
) -> Result<(StatusCode, Json<RegistryStatus>)> {
    let scheduler = scheduler(&state)?;
    let checked = check(&body).map_err(ApiError::BadRequest)?;
    let name = checked.registry.display_name();
    let _editing = scheduler.edit().await;
    match scheduler.registry(&name) {
        Some((_, Source::File)) => return Err(read_only(&state, &name)),
        Some((_, Source::Api)) => {
            return Err(ApiError::Conflict(format!(
                "registry `{name}` exists; PUT /api/v1/registries/{name} replaces it"
            )));
        }
        None => {}
    }
    if !state
        .store
        .insert_api_registry(&name, &checked.definition)
        .await?
    {
        // Stored but not scheduled: only if another server process shares the store.
        return Err(ApiError::Conflict(format!(
            "registry `{name}` exists in the store"
        )));
    }
    sync_api_registries(&state.store, scheduler).await?;
    tracing::info!(registry = %name, "registry created through the API");
    let status = scheduler
        .status(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no registry named `{name}`")))?;
    Ok((StatusCode::CREATED, Json(status)))
}

/// Replaces a registry created through the API with the keys given (absent keys take their
/// defaults, credentials included). Its state and last run stay; a new schedule gets a new
/// next run; other keys apply from its next run.
#[utoipa::path(
    put,
    path = "/api/v1/registries/{name}",
    tag = "registries",
    params(("name" = String, Path, description = "The registry's name")),
    request_body = RegistryBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced; its state", body = RegistryStatus),
        (status = 400, description = "A key that cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token, or one without admin scope", body = ErrorBody),
        (status = 404, description = "No registry of this name", body = ErrorBody),
        (status = 409, description = "The registry is the configuration file's", body = ErrorBody),
    )
)]
pub(crate) async fn replace_registry(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(mut body): ApiJson<RegistryBody>,
) -> Result<Json<RegistryStatus>> {
    let scheduler = scheduler(&state)?;
    match &body.name {
        Some(given) if *given != name => {
            return Err(ApiError::BadRequest(format!(
                "name: `{given}` differs from the path's `{name}`; a registry cannot be renamed \
                 (create the new one, then delete this one)"
            )));
        }
        _ => body.name = Some(name.clone()),
    }
    let checked = check(&body).map_err(ApiError::BadRequest)?;
    let _editing = scheduler.edit().await;
    match scheduler.registry(&name) {
        Some((_, Source::File)) => return Err(read_only(&state, &name)),
        Some((_, Source::Api)) => {}
        None => return Err(ApiError::NotFound(format!("no registry named `{name}`"))),
    }
    if !state
        .store
        .update_api_registry(&name, &checked.definition)
        .await?
    {
        return Err(ApiError::NotFound(format!("no registry named `{name}`")));
    }
    sync_api_registries(&state.store, scheduler).await?;
    tracing::info!(registry = %name, "registry replaced through the API");
    scheduler
        .status(&name)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no registry named `{name}`")))
}

/// Deletes a registry created through the API: no longer scheduled (a run in flight
/// finishes). Its runs and results stay in the store.
#[utoipa::path(
    delete,
    path = "/api/v1/registries/{name}",
    tag = "registries",
    params(("name" = String, Path, description = "The registry's name")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token, or one without admin scope", body = ErrorBody),
        (status = 404, description = "No registry of this name", body = ErrorBody),
        (status = 409, description = "The registry is the configuration file's", body = ErrorBody),
    )
)]
pub(crate) async fn delete_registry(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode> {
    let scheduler = scheduler(&state)?;
    let _editing = scheduler.edit().await;
    match scheduler.registry(&name) {
        Some((_, Source::File)) => return Err(read_only(&state, &name)),
        Some((_, Source::Api)) => {}
        None => return Err(ApiError::NotFound(format!("no registry named `{name}`"))),
    }
    if !state.store.delete_api_registry(&name).await? {
        return Err(ApiError::NotFound(format!("no registry named `{name}`")));
    }
    sync_api_registries(&state.store, scheduler).await?;
    tracing::info!(registry = %name, "registry deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}
