//! Repositories: each one's tags, images and findings summed, per registry host.

use std::cmp::Ordering;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use plimsoll_store::RepositorySummary;

use crate::error::{ErrorBody, Result};
use crate::routes::images::Counts;
use crate::routes::list::{ApiQuery, SortOrder, paging, rfc3339};
use crate::state::AppState;

/// Sort keys of the repository list; ties go by registry and repository name.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RepositorySortParam {
    /// Registry, then repository name (the default).
    Repository,
    /// Tags.
    Tags,
    /// Rows of the images list.
    Images,
    /// `CRITICAL` findings.
    Critical,
    /// `HIGH` findings.
    High,
    /// When its newest findings were stored.
    LastScanned,
}

/// Filter, sort and page of `GET /api/v1/repositories`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RepositoriesQuery {
    /// Only this registry host (`127.0.0.1:5000`), exactly.
    registry: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u64>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u64>,
    /// Sort key.
    #[param(inline)]
    sort: Option<RepositorySortParam>,
    /// Sort direction.
    #[param(inline)]
    order: Option<SortOrder>,
}

/// One repository of one registry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RepositoryRow {
    /// Registry host.
    pub(crate) registry: String,
    /// Repository (`team/app`).
    pub(crate) repository: String,
    /// Tags.
    pub(crate) tags: u64,
    /// Rows of the images list (one per tag and platform image).
    pub(crate) images: u64,
    /// Findings per severity, summed over those rows.
    pub(crate) counts: Counts,
    /// When the newest findings of its images were stored (RFC 3339).
    pub(crate) last_scanned: Option<String>,
}

/// A page of repositories.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RepositoryList {
    /// This page's rows.
    pub(crate) items: Vec<RepositoryRow>,
    /// Rows matching, over every page.
    pub(crate) total: u64,
    /// This page's number.
    pub(crate) page: u64,
    /// Rows per page.
    pub(crate) per_page: u64,
}

/// The repositories the store has tags of, with their findings summed over the images list's
/// rows (`/api/v1/images?registry=…&repository=…` lists them one by one).
#[utoipa::path(
    get,
    path = "/api/v1/repositories",
    tag = "images",
    params(RepositoriesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of repositories", body = RepositoryList),
        (status = 400, description = "A parameter cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn list_repositories(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RepositoriesQuery>,
) -> Result<Json<RepositoryList>> {
    let paging = paging(query.page, query.per_page)?;
    let registries = match query.registry {
        Some(registry) => vec![registry],
        None => state
            .store
            .registries_seen()
            .await?
            .into_iter()
            .map(|r| r.registry)
            .collect(),
    };
    // Sorted here: a registry holds at most `max_repositories_per_registry` (10,000)
    // repositories, and the per-repository sums come from one grouped query per registry.
    let mut rows: Vec<(String, RepositorySummary)> = Vec::new();
    for registry in registries {
        let repositories = state.store.repositories(&registry).await?;
        rows.extend(repositories.into_iter().map(|r| (registry.clone(), r)));
    }
    let key = query.sort.unwrap_or(RepositorySortParam::Repository);
    let by_name = |a: &(String, RepositorySummary), b: &(String, RepositorySummary)| {
        (&a.0, &a.1.repository).cmp(&(&b.0, &b.1.repository))
    };
    let by_key = |a: &(String, RepositorySummary), b: &(String, RepositorySummary)| -> Ordering {
        match key {
            RepositorySortParam::Repository => Ordering::Equal,
            RepositorySortParam::Tags => a.1.tags.cmp(&b.1.tags),
            RepositorySortParam::Images => a.1.images.cmp(&b.1.images),
            RepositorySortParam::Critical => a.1.counts.critical.cmp(&b.1.counts.critical),
            RepositorySortParam::High => a.1.counts.high.cmp(&b.1.counts.high),
            RepositorySortParam::LastScanned => a.1.last_scanned.cmp(&b.1.last_scanned),
        }
    };
    let descending = matches!(query.order, Some(SortOrder::Desc));
    rows.sort_by(|a, b| {
        let ordering = by_key(a, b).then_with(|| by_name(a, b));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(usize::try_from(paging.request.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.request.limit).unwrap_or(usize::MAX))
        .map(|(registry, r)| RepositoryRow {
            registry,
            repository: r.repository,
            tags: r.tags,
            images: r.images,
            counts: Counts {
                critical: r.counts.critical,
                high: r.counts.high,
                medium: r.counts.medium,
                low: r.counts.low,
                unknown: r.counts.unknown,
            },
            last_scanned: r.last_scanned.map(rfc3339),
        })
        .collect();
    Ok(Json(RepositoryList {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}
