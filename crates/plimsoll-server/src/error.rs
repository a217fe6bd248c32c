use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Errors of the server, each with its HTTP status (see [`ApiError::status`]). Client errors
/// (4xx) answer with their message; internal ones answer an opaque 500 (503 for readiness) and
/// are logged once, here, with their whole cause chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 401: no `Authorization: Bearer` header, or a token the store does not know.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: a revoked token, or one whose scope does not allow the request.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such image, run or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: a method the route does not serve.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request conflicts with the server's state (a scan already queued or running, a
    /// registry name taken or defined in the configuration file).
    #[error("{0}")]
    Conflict(String),
    /// 503: the server is shutting down and starts nothing new.
    #[error("{0}")]
    ShuttingDown(String),
    /// 400: a query or path parameter, or a body, that cannot be used.
    #[error("{0}")]
    BadRequest(String),
    /// 503: the store does not answer (`/readyz`).
    #[error("the results store does not answer")]
    Unavailable(#[source] plimsoll_store::Error),
    /// 500: a store query failed.
    #[error("results store query failed")]
    Store(#[from] plimsoll_store::Error),
    /// 500: a report could not be built from the store.
    #[error("cannot build the report")]
    Report(#[from] plimsoll_worker::Error),
    /// 500: a report could not be written in the asked format.
    #[error("cannot write the report")]
    Write(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// 500: the operating system's random generator failed (token creation).
    #[error("the operating system's random generator failed")]
    Random(#[source] getrandom::Error),
}

/// Result with [`ApiError`].
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code (`unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `bad_request`, `conflict`, `unavailable`, `internal`).
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) | ApiError::ShuttingDown(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Report(_) | ApiError::Write(_) | ApiError::Random(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) | ApiError::ShuttingDown(_) => "unavailable",
            ApiError::Store(_) | ApiError::Report(_) | ApiError::Write(_) | ApiError::Random(_) => {
                "internal"
            }
        }
    }
}

/// `error: cause: cause`, the whole chain on one line for the log.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            // Logged once here; the client gets no internals (paths, SQL).
            tracing::error!(error = %chain(&self), "request failed");
            match self {
                ApiError::Unavailable(_) | ApiError::ShuttingDown(_) => self.to_string(),
                _ => "internal error (see the server log)".to_owned(),
            }
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            code: self.code().to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: a 401 names the scheme the client should use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"plimsoll\""),
            );
        }
        response
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}
