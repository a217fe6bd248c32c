//! The web UI of `plimsoll serve`: server-rendered HTML pages (askama templates in
//! `templates/`, escaped by default) over the same store queries and reports as the API, one
//! module per page. Assets (one CSS file, one small script for sorting, filtering and tabs) are
//! compiled into the binary; nothing is fetched from elsewhere, and the Content-Security-Policy
//! forbids it.
//!
//! Every page but `/login` and `/assets/…` needs a session ([`session::Viewer`]); without one
//! it redirects to `/login`. State-changing forms (scan now, logout) are POSTs that must carry
//! the session's CSRF token and come from this origin.

mod assets;
mod dashboard;
mod images;
mod login;
mod password;
mod registries;
pub(crate) mod session;
mod view;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use askama::Template;
use askama_web::WebTemplate;

use crate::error::ApiError;
use crate::state::AppState;

pub use crate::ui::password::{MIN_PASSWORD_CHARS, ensure_admin_password, set_admin_password};
pub use crate::ui::session::Sessions;

/// The UI's routes (merged beside the API's by [`crate::app`]).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/registries", get(registries::list))
        .route("/registries/{name}", get(registries::repositories))
        .route("/registries/{name}/scan", post(registries::scan_now))
        .route(
            "/repositories/{registry}/{*repository}",
            get(images::repository),
        )
        .route("/images", get(images::list))
        .route("/images.csv", get(images::list_csv))
        .route("/images/{digest}", get(images::image))
        .route("/images/{digest}/findings.csv", get(images::findings_csv))
        .route("/vulnerabilities/{id}", get(images::vulnerability))
        .route("/assets/{file}", get(assets::asset))
        .layer(middleware::from_fn(security_headers))
}

/// Headers of every UI answer: no framing, no MIME sniffing, only this origin's scripts and
/// styles, no referrer to other sites.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Why a UI request did not get its page.
#[derive(Debug)]
pub(crate) enum UiError {
    /// No live session: go and log in.
    LoginNeeded,
    /// A state-changing form without this session's CSRF token or from another origin.
    Csrf,
    /// The same errors as the API, shown as a page.
    Api(ApiError),
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError::Api(e)
    }
}

impl From<plimsoll_store::Error> for UiError {
    fn from(e: plimsoll_store::Error) -> Self {
        UiError::Api(e.into())
    }
}

/// The error page.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    reason: String,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            UiError::LoginNeeded => return Redirect::to("/login").into_response(),
            UiError::Csrf => (
                StatusCode::FORBIDDEN,
                "this form was not sent from a page of this server (or the session changed): \
                 reload the page and try again"
                    .to_owned(),
            ),
            UiError::Api(e) => {
                let status = e.status();
                // The API's answer logs a server error once and hides its details; reuse it.
                let message = if status.is_server_error() {
                    drop(e.into_response());
                    "internal error (see the server log)".to_owned()
                } else {
                    e.to_string()
                };
                (status, message)
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error").to_owned(),
            message,
        };
        (status, page).into_response()
    }
}

/// Result of UI handlers.
pub(crate) type UiResult<T> = Result<T, UiError>;
