//! Scan runs: the history, and one run with the outcome of each image.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use plimsoll_store::{ImageOutcome, OutcomeSort, RunId, RunRecord, RunSort};

use crate::error::{ApiError, ErrorBody, Result};
use crate::routes::list::{ApiPath, ApiQuery, SortOrder, paging, rfc3339};
use crate::state::AppState;

/// Sort keys of the run list; ties go newest first.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunSortParam {
    /// The run id, i.e. start order.
    Id,
    /// When it started.
    StartedAt,
    /// When it finished.
    FinishedAt,
    /// Its status.
    Status,
}

impl From<RunSortParam> for RunSort {
    fn from(s: RunSortParam) -> Self {
        match s {
            RunSortParam::Id => RunSort::Id,
            RunSortParam::StartedAt => RunSort::StartedAt,
            RunSortParam::FinishedAt => RunSort::FinishedAt,
            RunSortParam::Status => RunSort::Status,
        }
    }
}

/// Sort keys of a run's outcomes; ties go in recording order.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutcomeSortParam {
    /// Recording order (the default).
    Recorded,
    /// Registry, repository, tag.
    Image,
    /// The outcome.
    Status,
}

impl From<OutcomeSortParam> for OutcomeSort {
    fn from(s: OutcomeSortParam) -> Self {
        match s {
            OutcomeSortParam::Recorded => OutcomeSort::Recorded,
            OutcomeSortParam::Image => OutcomeSort::Image,
            OutcomeSortParam::Status => OutcomeSort::Status,
        }
    }
}

/// Sort and page of `GET /api/v1/runs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RunsQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u64>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u64>,
    /// Sort key (default `id`).
    #[param(inline)]
    sort: Option<RunSortParam>,
    /// Sort direction (default `desc`: newest first).
    #[param(inline)]
    order: Option<SortOrder>,
}

/// Sort and page of the outcomes in `GET /api/v1/runs/{id}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RunQuery {
    /// Page number of the outcomes, from 1.
    #[param(minimum = 1)]
    page: Option<u64>,
    /// Outcomes per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u64>,
    /// Sort key of the outcomes.
    #[param(inline)]
    sort: Option<OutcomeSortParam>,
    /// Sort direction.
    #[param(inline)]
    order: Option<SortOrder>,
}

/// Image counts of a run: total = success + failed + skipped.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Totals {
    /// Images attempted.
    pub(crate) total: u64,
    /// Scanned.
    pub(crate) success: u64,
    /// Failed.
    pub(crate) failed: u64,
    /// Skipped (filtered out, or unchanged since the last scan).
    pub(crate) skipped: u64,
}

/// A scan run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Run {
    /// Its id.
    pub(crate) id: i64,
    /// What was scanned.
    pub(crate) description: String,
    /// `running`, `completed`, `failed` or `interrupted`.
    pub(crate) status: String,
    /// When it started (RFC 3339).
    pub(crate) started_at: String,
    /// When it finished (RFC 3339).
    pub(crate) finished_at: Option<String>,
    /// Its image counts (counted from the outcomes while it runs).
    pub(crate) totals: Totals,
}

impl From<RunRecord> for Run {
    fn from(run: RunRecord) -> Self {
        Run {
            id: run.id.get(),
            description: run.description,
            status: run.status.as_str().to_owned(),
            started_at: rfc3339(run.started_at),
            finished_at: run.finished_at.map(rfc3339),
            totals: Totals {
                total: run.totals.total,
                success: run.totals.success,
                failed: run.totals.failed,
                skipped: run.totals.skipped,
            },
        }
    }
}

/// What became of one image in a run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Outcome {
    /// Registry host.
    pub(crate) registry: String,
    /// Repository.
    pub(crate) repository: String,
    /// Tag.
    pub(crate) tag: String,
    /// The manifest digest the tag pointed at, if resolved.
    pub(crate) digest: Option<String>,
    /// The platform image (`os/arch[/variant]`); absent for the whole tag.
    pub(crate) platform: Option<String>,
    /// `success`, `failed` or `skipped`.
    pub(crate) status: String,
    /// Why it failed or was skipped.
    pub(crate) cause: Option<String>,
    /// Milliseconds spent pulling.
    pub(crate) pull_ms: Option<u64>,
    /// Milliseconds spent analysing layers.
    pub(crate) analysis_ms: Option<u64>,
    /// Milliseconds spent matching.
    pub(crate) matching_ms: Option<u64>,
}

impl From<ImageOutcome> for Outcome {
    fn from(o: ImageOutcome) -> Self {
        Outcome {
            registry: o.registry,
            repository: o.repository,
            tag: o.tag,
            digest: o.digest.map(|d| d.to_string()),
            platform: o.platform.map(|p| p.to_string()),
            status: o.status.as_str().to_owned(),
            cause: o.cause,
            pull_ms: o.pull_ms,
            analysis_ms: o.analysis_ms,
            matching_ms: o.matching_ms,
        }
    }
}

/// A page of runs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RunList {
    /// This page's runs.
    pub(crate) items: Vec<Run>,
    /// Runs over every page.
    pub(crate) total: u64,
    /// This page's number, from 1.
    pub(crate) page: u64,
    /// Rows per page.
    pub(crate) per_page: u64,
}

/// A page of a run's outcomes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct OutcomeList {
    /// This page's outcomes.
    pub(crate) items: Vec<Outcome>,
    /// Outcomes of the run over every page.
    pub(crate) total: u64,
    /// This page's number, from 1.
    pub(crate) page: u64,
    /// Rows per page.
    pub(crate) per_page: u64,
}

/// One run with a page of its outcomes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RunDetail {
    /// The run.
    pub(crate) run: Run,
    /// Its outcomes, paged by `page`/`per_page`.
    pub(crate) outcomes: OutcomeList,
}

/// The scan-run history, newest first unless sorted otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "runs",
    params(RunsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of runs", body = RunList),
        (status = 400, description = "A parameter cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn list_runs(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<Json<RunList>> {
    let paging = paging(query.page, query.per_page)?;
    let sort = query.sort.map_or(RunSort::Id, Into::into);
    let order = query.order.unwrap_or(SortOrder::Desc).into();
    let found = state.store.runs_page(sort, order, paging.request).await?;
    Ok(Json(RunList {
        items: found.items.into_iter().map(Into::into).collect(),
        total: found.total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// One run and a page of what became of each image in it.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}",
    tag = "runs",
    params(("id" = i64, Path, description = "Run id"), RunQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The run and a page of its outcomes", body = RunDetail),
        (status = 400, description = "A parameter cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
        (status = 404, description = "No run with this id", body = ErrorBody),
    )
)]
pub(crate) async fn get_run(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<RunQuery>,
) -> Result<Json<RunDetail>> {
    let paging = paging(query.page, query.per_page)?;
    let run = RunId::from(id);
    let Some(record) = state.store.run(run).await? else {
        return Err(ApiError::NotFound(format!("no scan run {id}")));
    };
    let outcomes = state
        .store
        .outcomes_page(
            run,
            query.sort.map(Into::into).unwrap_or_default(),
            query.order.unwrap_or_default().into(),
            paging.request,
        )
        .await?;
    Ok(Json(RunDetail {
        run: record.into(),
        outcomes: OutcomeList {
            items: outcomes.items.into_iter().map(Into::into).collect(),
            total: outcomes.total,
            page: paging.page,
            per_page: paging.per_page,
        },
    }))
}
