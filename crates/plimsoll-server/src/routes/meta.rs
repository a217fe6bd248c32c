//! Public endpoints: liveness, readiness and the OpenAPI document.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, Result};
use crate::state::AppState;

/// The body of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`.
    pub(crate) status: String,
}

/// The process is up and serving requests (nothing else is checked).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "Up", body = Health))
)]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// The results store answers a query: the server can serve the API.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The store does not answer", body = ErrorBody),
    )
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Health>> {
    state.store.runs(1).await.map_err(ApiError::Unavailable)?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

/// The OpenAPI document, serialised once when the router is built.
#[derive(Clone, Debug)]
pub(crate) struct OpenApiJson(pub(crate) Arc<str>);

/// This API's OpenAPI 3.1 document, generated from the handlers.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "health",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub(crate) async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> Response {
    let mut response = doc.0.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
