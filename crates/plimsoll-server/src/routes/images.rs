//! Images: the latest result of every tag (one row per tag and platform image, as `plimsoll
//! results list`), one image's full report or export, and the images a vulnerability affects.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use plimsoll_report::{Format, VulnFormat};
use plimsoll_store::{ImageFilter, ImageOrder, ImageSort, ResultRow};
use plimsoll_types::{Digest, FixState, Severity, VulnerabilityReport};

use crate::error::{ApiError, ErrorBody, Result};
use crate::routes::list::{ApiPath, ApiQuery, SortOrder, paging, rfc3339};
use crate::state::AppState;

/// A severity, in lowercase.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SeverityParam {
    /// CVSS 9.0–10.0.
    Critical,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 0.1–3.9.
    Low,
    /// No score and no rating.
    Unknown,
}

impl From<SeverityParam> for Severity {
    fn from(s: SeverityParam) -> Self {
        match s {
            SeverityParam::Critical => Severity::Critical,
            SeverityParam::High => Severity::High,
            SeverityParam::Medium => Severity::Medium,
            SeverityParam::Low => Severity::Low,
            SeverityParam::Unknown => Severity::Unknown,
        }
    }
}

/// The sort keys of image lists; ties go by registry, repository, tag and platform.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ImageSortParam {
    /// Registry, then repository and tag (the default).
    Registry,
    /// Repository, then tag.
    Repository,
    /// Tag.
    Tag,
    /// When the findings were stored.
    ScannedAt,
    /// When discovery last saw the tag.
    LastSeen,
    /// `CRITICAL` findings.
    Critical,
    /// `HIGH` findings.
    High,
    /// `MEDIUM` findings.
    Medium,
    /// `LOW` findings.
    Low,
    /// Findings with a fix.
    Fixable,
}

impl From<ImageSortParam> for ImageSort {
    fn from(s: ImageSortParam) -> Self {
        match s {
            ImageSortParam::Registry => ImageSort::Registry,
            ImageSortParam::Repository => ImageSort::Repository,
            ImageSortParam::Tag => ImageSort::Tag,
            ImageSortParam::ScannedAt => ImageSort::ScannedAt,
            ImageSortParam::LastSeen => ImageSort::LastSeen,
            ImageSortParam::Critical => ImageSort::Critical,
            ImageSortParam::High => ImageSort::High,
            ImageSortParam::Medium => ImageSort::Medium,
            ImageSortParam::Low => ImageSort::Low,
            ImageSortParam::Fixable => ImageSort::Fixable,
        }
    }
}

/// Filters, sort and page of `GET /api/v1/images`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ImagesQuery {
    /// Only this registry host (`127.0.0.1:5000`), exactly.
    registry: Option<String>,
    /// Only this repository (`lab/node-app`), exactly.
    repository: Option<String>,
    /// Only this tag, exactly.
    tag: Option<String>,
    /// Only images with at least one finding of this severity.
    #[param(inline)]
    severity: Option<SeverityParam>,
    /// `true`: only images with at least one finding that has a fix.
    fixable: Option<bool>,
    /// Only images with a finding whose id or alias is this (`CVE-2024-1234`, `GHSA-…`; any
    /// case).
    cve: Option<String>,
    /// Only images whose inventory has a package of this name.
    package: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u64>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u64>,
    /// Sort key.
    #[param(inline)]
    sort: Option<ImageSortParam>,
    /// Sort direction.
    #[param(inline)]
    order: Option<SortOrder>,
}

/// Sort and page of `GET /api/v1/vulnerabilities/{id}/images`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct VulnerabilityImagesQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    page: Option<u64>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    per_page: Option<u64>,
    /// Sort key.
    #[param(inline)]
    sort: Option<ImageSortParam>,
    /// Sort direction.
    #[param(inline)]
    order: Option<SortOrder>,
}

/// Findings per severity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Counts {
    /// `CRITICAL` findings.
    pub(crate) critical: u64,
    /// `HIGH` findings.
    pub(crate) high: u64,
    /// `MEDIUM` findings.
    pub(crate) medium: u64,
    /// `LOW` findings.
    pub(crate) low: u64,
    /// `UNKNOWN` findings.
    pub(crate) unknown: u64,
}

/// The latest result of one tag and platform image.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ImageSummary {
    /// Registry host.
    pub(crate) registry: String,
    /// Repository.
    pub(crate) repository: String,
    /// Tag.
    pub(crate) tag: String,
    /// The manifest (image or index) digest the tag points at.
    pub(crate) digest: String,
    /// The platform image's own manifest digest: what `/api/v1/images/{digest}` takes for
    /// exactly this image. Absent when the manifest's metadata is not stored.
    pub(crate) manifest_digest: Option<String>,
    /// `os/arch[/variant]`.
    pub(crate) platform: Option<String>,
    /// The distribution (`Debian GNU/Linux 12 (bookworm)`).
    pub(crate) os: Option<String>,
    /// Findings per severity (zero when not scanned).
    pub(crate) counts: Counts,
    /// Findings with a fix.
    pub(crate) fixable: u64,
    /// `scanned`, `not-scanned`, `failed` or `skipped`.
    pub(crate) status: String,
    /// Why the latest run failed or skipped it.
    pub(crate) cause: Option<String>,
    /// When the findings were stored (RFC 3339).
    pub(crate) scanned_at: Option<String>,
    /// When the vulnerability database used was built (RFC 3339).
    pub(crate) db_built_at: Option<String>,
    /// When discovery last saw the tag (RFC 3339).
    pub(crate) last_seen: String,
}

impl From<ResultRow> for ImageSummary {
    fn from(row: ResultRow) -> Self {
        let status = match row.status {
            plimsoll_store::ResultStatus::Scanned => "scanned",
            plimsoll_store::ResultStatus::NotScanned => "not-scanned",
            plimsoll_store::ResultStatus::Failed => "failed",
            plimsoll_store::ResultStatus::Skipped => "skipped",
        };
        ImageSummary {
            registry: row.registry,
            repository: row.repository,
            tag: row.tag,
            digest: row.digest.to_string(),
            manifest_digest: row.manifest_digest.map(|d| d.to_string()),
            platform: row.platform.map(|p| p.to_string()),
            os: row.os,
            counts: Counts {
                critical: row.counts.critical,
                high: row.counts.high,
                medium: row.counts.medium,
                low: row.counts.low,
                unknown: row.counts.unknown,
            },
            fixable: row.fixable,
            status: status.to_owned(),
            cause: row.cause,
            scanned_at: row.scanned_at.map(rfc3339),
            db_built_at: row.db_built_at,
            last_seen: rfc3339(row.last_seen),
        }
    }
}

/// A page of images.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ImageList {
    /// This page's rows.
    pub(crate) items: Vec<ImageSummary>,
    /// Rows matching the filters, over every page.
    pub(crate) total: u64,
    /// This page's number, from 1.
    pub(crate) page: u64,
    /// Rows per page.
    pub(crate) per_page: u64,
}

async fn image_list(
    state: &AppState,
    filter: &ImageFilter,
    page: Option<u64>,
    per_page: Option<u64>,
    sort: Option<ImageSortParam>,
    order: Option<SortOrder>,
) -> Result<ImageList> {
    let paging = paging(page, per_page)?;
    let found = state
        .store
        .images(
            filter,
            ImageOrder {
                sort: sort.map(Into::into).unwrap_or_default(),
                order: order.unwrap_or_default().into(),
                page: paging.request,
            },
        )
        .await?;
    Ok(ImageList {
        items: found.items.into_iter().map(Into::into).collect(),
        total: found.total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// The latest result of every tag and platform image, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/api/v1/images",
    tag = "images",
    params(ImagesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of images", body = ImageList),
        (status = 400, description = "A parameter cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn list_images(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ImagesQuery>,
) -> Result<Json<ImageList>> {
    let filter = ImageFilter {
        registry: query.registry,
        repository: query.repository,
        tag: query.tag,
        severity: query.severity.map(Into::into),
        fixable: query.fixable.unwrap_or(false),
        vulnerability: query.cve,
        package: query.package,
    };
    image_list(
        &state,
        &filter,
        query.page,
        query.per_page,
        query.sort,
        query.order,
    )
    .await
    .map(Json)
}

/// The images with a finding whose id or alias is `{id}`: "which images have CVE-X?".
#[utoipa::path(
    get,
    path = "/api/v1/vulnerabilities/{id}/images",
    tag = "vulnerabilities",
    params(
        ("id" = String, Path, description = "Advisory id or alias (`CVE-…`, `GHSA-…`, `PYSEC-…`), any case"),
        VulnerabilityImagesQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the affected images (empty when none)", body = ImageList),
        (status = 400, description = "A parameter cannot be used", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
    )
)]
pub(crate) async fn vulnerability_images(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<VulnerabilityImagesQuery>,
) -> Result<Json<ImageList>> {
    let filter = ImageFilter {
        vulnerability: Some(id),
        ..ImageFilter::default()
    };
    image_list(
        &state,
        &filter,
        query.page,
        query.per_page,
        query.sort,
        query.order,
    )
    .await
    .map(Json)
}

/// Formats of one image's report.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReportFormat {
    /// Plimsoll's vulnerability JSON (`docs/vulnerability-json.md`): inventory, findings,
    /// layers, secrets, configuration findings.
    #[default]
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 JSON SBOM (the inventory; one platform image).
    Cyclonedx,
    /// SPDX 2.3 JSON SBOM (the inventory; one platform image).
    Spdx,
    /// One CSV row per finding.
    Csv,
}

/// Format of `GET /api/v1/images/{digest}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// Output format (default `json`).
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// The full report of a platform image, or of every platform image of an index, from the
/// store: inventory, findings, layers, secrets (redacted) and configuration findings, as
/// Plimsoll's vulnerability JSON or an export format.
#[utoipa::path(
    get,
    path = "/api/v1/images/{digest}",
    tag = "images",
    params(
        ("digest" = String, Path, description = "A platform image manifest digest, or the digest of an index or image a tag points at (`sha256:…`)", pattern = "^sha256:[0-9a-f]{64}$"),
        ReportQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content(
            (Object = "application/json"),
            (Object = "application/sarif+json"),
            (Object = "application/vnd.cyclonedx+json"),
            (Object = "application/spdx+json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A malformed digest or format, or an SBOM asked of several platform images", body = ErrorBody),
        (status = 401, description = "No token, or an unknown one", body = ErrorBody),
        (status = 403, description = "A revoked token", body = ErrorBody),
        (status = 404, description = "No scanned image with this digest", body = ErrorBody),
    )
)]
pub(crate) async fn image_report(
    State(state): State<AppState>,
    ApiPath(digest): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response> {
    let reports = load_reports(&state, &digest).await?;
    let format = query.format.unwrap_or_default();
    let (content_type, body) = render(format, &reports)?;
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The reports of the platform images behind `digest` (one, or one per platform of an index),
/// from the store: what the API and the web UI's image page show.
pub(crate) async fn load_reports(
    state: &AppState,
    digest: &str,
) -> Result<Vec<VulnerabilityReport>> {
    let digest: Digest = digest
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("`{digest}` is not an image digest: {e}")))?;
    let store = &state.store;
    let tag = store.tag_of(&digest).await?;
    let mut reports = Vec::new();
    for platform_image in store.platform_images_of(&digest).await? {
        if let Some(report) = plimsoll_worker::load_report(
            store,
            &state.analyzer_key,
            &platform_image,
            tag.as_deref(),
        )
        .await?
        {
            reports.push(report);
        }
    }
    if reports.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no scanned image has digest {digest} (the store has no inventory of it from this \
             Plimsoll version)"
        )));
    }
    Ok(reports)
}

fn render(
    format: ReportFormat,
    reports: &[VulnerabilityReport],
) -> Result<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let write_err = |e: plimsoll_report::Error| ApiError::Write(Box::new(e));
    let content_type = match format {
        ReportFormat::Json => {
            plimsoll_report::write_vulnerability_reports(VulnFormat::Json, reports, &mut out)
                .map_err(write_err)?;
            "application/json"
        }
        ReportFormat::Sarif => {
            plimsoll_report::write_vulnerability_reports(VulnFormat::Sarif, reports, &mut out)
                .map_err(write_err)?;
            "application/sarif+json"
        }
        ReportFormat::Cyclonedx | ReportFormat::Spdx => {
            let [report] = reports else {
                let digests: Vec<String> = reports
                    .iter()
                    .map(|r| format!("{} ({})", r.image.manifest_digest, r.image.platform))
                    .collect();
                return Err(ApiError::BadRequest(format!(
                    "an SBOM describes one platform image and this digest has {}: ask for one \
                     of {}",
                    reports.len(),
                    digests.join(", ")
                )));
            };
            let (sbom, content_type) = match format {
                ReportFormat::Cyclonedx => {
                    (Format::CycloneDxJson, "application/vnd.cyclonedx+json")
                }
                _ => (Format::SpdxJson, "application/spdx+json"),
            };
            plimsoll_report::write_inventory(sbom, &report.image, &mut out).map_err(write_err)?;
            content_type
        }
        ReportFormat::Csv => {
            out = findings_csv(reports)?;
            "text/csv; charset=utf-8"
        }
    };
    Ok((content_type, out))
}

/// The columns of the CSV export, one row per finding (as `findings.csv` of `plimsoll report
/// --format csv`, without the registry columns the path already names).
const CSV_COLUMNS: [&str; 10] = [
    "platform",
    "id",
    "aliases",
    "package",
    "installed",
    "fixed_versions",
    "status",
    "severity",
    "cvss_score",
    "layer",
];

pub(crate) fn findings_csv(reports: &[VulnerabilityReport]) -> Result<Vec<u8>> {
    let err = |e: csv::Error| ApiError::Write(Box::new(e));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS).map_err(err)?;
    for report in reports {
        let platform = report.image.platform.to_string();
        for f in &report.findings {
            let status = match f.status {
                FixState::Fixed => "fixed",
                FixState::Unfixed => "unfixed",
                FixState::WontFix => "wont-fix",
            };
            writer
                .write_record([
                    platform.as_str(),
                    &f.id,
                    &f.aliases.join(" "),
                    &f.package,
                    &f.installed,
                    &f.fixed_versions.join(" "),
                    status,
                    &f.severity.to_string(),
                    &f.cvss
                        .as_ref()
                        .map(|c| c.score.to_string())
                        .unwrap_or_default(),
                    &f.layer
                        .as_ref()
                        .map(|l| l.digest.to_string())
                        .unwrap_or_default(),
                ])
                .map_err(err)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Write(Box::new(e.into_error())))
}
