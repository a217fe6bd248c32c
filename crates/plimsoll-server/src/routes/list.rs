//! What every list shares: the extractors that answer bad parameters with the JSON error body,
//! and pages (`?page=&per_page=`, 1-based, at most [`MAX_PER_PAGE`] rows).

use axum::extract::FromRequestParts;
use serde::Deserialize;
use utoipa::ToSchema;

use plimsoll_store::{Order, PageRequest};

use crate::error::{ApiError, Result};

/// Rows per page unless `per_page` says otherwise.
pub(crate) const DEFAULT_PER_PAGE: u64 = 50;
/// The most rows one page may ask for: bounds the work and the response of one request.
pub(crate) const MAX_PER_PAGE: u64 = 500;

/// `axum::extract::Query` whose rejection is an [`ApiError`] (a 400 with the JSON body).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct ApiQuery<T>(pub(crate) T);

/// `axum::Json` whose rejection is an [`ApiError`] (a 400 naming the key that does not read).
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct ApiJson<T>(pub(crate) T);

/// `axum::extract::Path` whose rejection is an [`ApiError`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub(crate) T);

/// Sort direction of a list.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortOrder {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl From<SortOrder> for Order {
    fn from(order: SortOrder) -> Self {
        match order {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        }
    }
}

/// A checked page: the store's request and the numbers echoed in the response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paging {
    pub(crate) request: PageRequest,
    pub(crate) page: u64,
    pub(crate) per_page: u64,
}

/// Checks `page` (from 1) and `per_page` (1 to [`MAX_PER_PAGE`]).
pub(crate) fn paging(page: Option<u64>, per_page: Option<u64>) -> Result<Paging> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(ApiError::BadRequest("`page` starts at 1".into()));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::BadRequest(format!(
            "`per_page` must be between 1 and {MAX_PER_PAGE}, not {per_page}"
        )));
    }
    // The document declares `page` an int64. A page past the end is empty, however far: the
    // offset is clamped to SQLite's signed 64-bit range instead of overflowing.
    if i64::try_from(page).is_err() {
        return Err(ApiError::BadRequest(format!(
            "`page` must be at most {}, not {page}",
            i64::MAX
        )));
    }
    let offset = (page - 1)
        .saturating_mul(per_page)
        .min(i64::MAX.unsigned_abs());
    Ok(Paging {
        request: PageRequest {
            offset,
            limit: per_page,
        },
        page,
        per_page,
    })
}

/// RFC 3339 text of a stored time (UTC, as stored).
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
