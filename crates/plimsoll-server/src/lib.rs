//! The HTTP API of `plimsoll serve`: the results store of `plimsoll registry scan`, read over
//! REST (axum), behind API tokens, described by an OpenAPI document generated from the
//! handlers (utoipa).
//!
//! - [`app`] builds the whole [`Router`] from an [`AppState`] (the store and the analyzer key)
//!   without binding anything, so tests drive it with `tower::ServiceExt::oneshot`; [`serve`]
//!   binds it to a listener with graceful shutdown ([`shutdown_signal`]: Ctrl-C or SIGTERM, then
//!   requests in flight finish).
//! - Routes, one module per resource under `routes/`: `/healthz`, `/readyz` and
//!   `/api/openapi.json` are public; everything under `/api/v1` (images, one image's report and
//!   exports, the images of a vulnerability, runs, registries) needs
//!   `Authorization: Bearer <token>` of at least read scope, and admin scope for the writes.
//!   No CORS layer: browsers allow only same-origin calls.
//! - [`ApiError`] is the one error type: 4xx with a JSON body `{code, message}`, internal
//!   errors an opaque 500 logged once.
//! - Tokens ([`create_token`], [`ensure_admin_token`]) are 256 random bits, stored as SHA-256
//!   (why that suffices: `auth.rs`), never logged.
//! - The web UI (`ui/`, askama templates in `templates/`): login with an API token or the admin
//!   password ([`ensure_admin_password`], [`set_admin_password`]; argon2id), sessions held in
//!   memory ([`Sessions`]) behind an `HttpOnly`, `SameSite=Strict` cookie, per-session CSRF tokens
//!   on every form; dashboard, registries, repositories, images, one image's tabs, CSV
//!   downloads and vulnerability pages over the same queries and reports as the API.
//! - [`Scheduler`] (optional, [`AppState::with_scheduler`]): each configured registry's
//!   [`Schedule`] (cron with optional seconds, or an interval), its state (idle, queued,
//!   running) and one run queue; `GET /api/v1/registries` shows it and
//!   `POST /api/v1/registries/{name}/scans` (admin) queues a scan, 409 while one is queued or
//!   running. Registries come from the configuration file (replaced on reload) and from the
//!   API (`POST`, `PUT`, `DELETE /api/v1/registries…`, admin; kept in the store,
//!   [`sync_api_registries`]); credentials are write-only.
//! - [`DbRefresher`] (optional, [`AppState::with_vulndb`]): the vulnerability database
//!   refresh (`[vulndb]`: an interval, sources, a manual `POST /api/v1/vulndb/updates`), a new
//!   build noticed however it came and re-matched for the registries with
//!   `rescan_on_db_update`; `GET /api/v1/vulndb` shows it. [`StaleWatch`] reports images not
//!   scanned for longer than `[alerts] stale_after` as `image.stale`.
//!
//! It reads the store (`plimsoll-store`) and writes reports (`plimsoll-report`, and
//! `plimsoll-worker`'s `load_report`, which assembles one from the store). It never pulls or
//! matches itself: scans are started through an injected [`ScanRunner`] (the binary's runs
//! `plimsoll_worker::run`) and database updates and re-matches through a [`DbMaintenance`],
//! so this crate needs no vulnerability database.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use tower::ServiceExt as _;
//!
//! let dir = tempfile::tempdir()?;
//! let store = plimsoll_store::Store::open(&dir.path().join("store.sqlite")).await?;
//! let app = plimsoll_server::app(plimsoll_server::AppState::new(store, "analyzer key"));
//! let response = app
//!     .oneshot(Request::get("/api/v1/images").body(Body::empty())?)
//!     .await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod api_registries;
mod auth;
mod error;
mod routes;
mod schedule;
mod scheduler;
mod stale;
mod state;
mod ui;
mod vulndb_refresh;

use std::future::Future;

use axum::extract::{MatchedPath, Request};
use axum::{Extension, Router, middleware};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::api_registries::sync_api_registries;
pub use crate::auth::{create_token, ensure_admin_token};
pub use crate::error::{ApiError, ErrorBody, Result};
pub use crate::schedule::{
    DEFAULT_SCHEDULE, MAX_INTERVAL, MIN_INTERVAL, Schedule, ScheduleError, Zone,
};
pub use crate::scheduler::{
    BoxFuture, LastRun, RegistryStatus, RunHandle, RunReport, ScanRunner, Scheduler, Source,
    Trigger, TriggerError,
};
pub use crate::stale::{MAX_STALE_AFTER, MIN_STALE_AFTER, StaleWatch, parse_stale_after};
pub use crate::state::AppState;
pub use crate::ui::{MIN_PASSWORD_CHARS, Sessions, ensure_admin_password, set_admin_password};
pub use crate::vulndb_refresh::{
    ConfigError, DEFAULT_UPDATE_INTERVAL, DbBuild, DbMaintenance, DbRefresher, LastRematch,
    LastUpdate, RefreshSettings, RematchHandle, RematchReport, RematchStatus, RescanHosts,
    UpdateError, UpdateTrigger, VulnDbStatus,
};

use crate::routes::{images, meta, metrics, registries, repositories, runs, vulndb};

/// The document's fixed parts; the paths and schemas come from the handlers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Plimsoll API",
        description = "The results of `plimsoll registry scan`: images and their latest \
                       findings, full reports and exports, the images a vulnerability affects, \
                       scan runs; the registries scanned, their schedules and scans. Every \
                       `/api/v1` endpoint needs `Authorization: Bearer <token>` (admin scope \
                       for the writes)."
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "images", description = "Images and their reports"),
        (name = "vulnerabilities", description = "Images by vulnerability"),
        (name = "runs", description = "Scan-run history"),
        (name = "registries", description = "Registries (the configuration file's and those created through the API), their schedules and scans"),
        (name = "vulndb", description = "The vulnerability database, its refresh and re-matches"),
        (name = "health", description = "Liveness, readiness, this document"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the `/api/v1` operations name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `plimsoll serve token create` (or the admin token \
                         printed at the first start)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The router of the whole server over `state`. API routes are registered only through
/// `utoipa_axum::routes!`, so each one is in the OpenAPI document served at
/// `/api/openapi.json`; the web UI's HTML routes (`ui/`) are merged beside them and are not
/// part of the document.
pub fn app(state: AppState) -> Router {
    // Installed before any request, so the first scrape already has the counters.
    metrics::recorder();
    let (router, doc) = api(&state).split_for_parts();
    let json = serde_json::to_string(&doc).unwrap_or_else(|e| {
        // Unreachable in practice (the document is plain data), but a broken document must
        // not take the API down.
        tracing::error!(error = %e, "cannot serialise the OpenAPI document");
        "{}".to_owned()
    });
    router
        .merge(ui::router())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(Extension(meta::OpenApiJson(json.into())))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(middleware::from_fn(count_request))
        .with_state(state)
}

/// The routes and their documentation, before they are split.
fn api(state: &AppState) -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(images::list_images))
        .routes(routes!(images::image_report))
        .routes(routes!(images::vulnerability_images))
        .routes(routes!(repositories::list_repositories))
        .routes(routes!(runs::list_runs))
        .routes(routes!(runs::get_run))
        .routes(routes!(registries::list_registries))
        .routes(routes!(metrics::metrics))
        .routes(routes!(registries::get_registry))
        .routes(routes!(vulndb::vulndb_status))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read,
        ));
    let admin = OpenApiRouter::new()
        .routes(routes!(registries::trigger_scan))
        .routes(routes!(registries::create_registry))
        .routes(routes!(
            registries::replace_registry,
            registries::delete_registry
        ))
        .routes(routes!(vulndb::trigger_update))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::readyz))
        .routes(routes!(meta::openapi_json))
        .merge(v1)
        .merge(admin)
}

/// One span per request with its method, path and route (never its headers or query), and the
/// id of the token that authenticated it.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        route,
        token_id = tracing::field::Empty,
    )
}

/// Counts each answered request for `/metrics`, by route pattern (unknown paths as
/// `unmatched`, so a scanner probing random paths cannot grow the label set).
async fn count_request(request: Request, next: middleware::Next) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    metrics::count_request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Unknown paths get the JSON error body too, except a browser's page outside `/api`, which
/// gets the web UI's error page.
async fn no_route(request: Request) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = request.uri().path();
    let error = ApiError::NotFound(format!("no route {} {path}", request.method()));
    let wants_html = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !path.starts_with("/api") {
        return ui::UiError::Api(error).into_response();
    }
    error.into_response()
}

/// Known paths asked with another method get the JSON error body too (axum keeps the `Allow`
/// header).
async fn wrong_method(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{} {} is not served with this method",
        request.method(),
        request.uri().path()
    ))
}

/// Serves [`app`] over `state` on `listener` until `shutdown` completes, then stops accepting
/// and waits for the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes at Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}
