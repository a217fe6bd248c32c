//! The UI's static files, compiled into the binary (no files to install, nothing fetched from
//! elsewhere). Their names carry no hash, so caches keep them an hour, not forever.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `(name, content type, bytes)` of every asset.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    (
        "plimsoll.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/plimsoll.css"),
    ),
    (
        "plimsoll.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/plimsoll.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
    ),
];

pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        *bytes,
    )
        .into_response()
}
