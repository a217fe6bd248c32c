//! Image pages: the tags of a repository, the images list (filtered, paged on the server, and
//! as CSV), one image with its tabs, its findings as CSV, and the images a vulnerability
//! affects.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use plimsoll_store::{ImageFilter, ImageOrder, ImageSort, Order, PageRequest, ResultRow};
use plimsoll_types::{FixState, Severity, VulnerabilityReport};

use crate::error::ApiError;
use crate::routes::images::{findings_csv as report_csv, load_reports};
use crate::state::AppState;
use crate::ui::UiResult;
use crate::ui::session::Viewer;
use crate::ui::view::{
    Counts, ImageRow, Nav, Pager, bytes, severity_class, short_digest, when_text,
};

/// Rows per page of the image lists.
const PER_PAGE: u64 = 50;

/// Rows per query when a CSV export walks the whole list.
const CSV_CHUNK: u64 = 500;

/// Filters, sort and page of `/images` (and `/images.csv`), as the form sends them: empty
/// fields mean "any".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    registry: String,
    repository: String,
    tag: String,
    severity: String,
    fixable: String,
    cve: String,
    package: String,
    sort: String,
    order: String,
    page: Option<u64>,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The sort keys the list offers: (name in the URL, store key).
const SORTS: [(&str, ImageSort); 7] = [
    ("registry", ImageSort::Registry),
    ("repository", ImageSort::Repository),
    ("tag", ImageSort::Tag),
    ("scanned_at", ImageSort::ScannedAt),
    ("critical", ImageSort::Critical),
    ("high", ImageSort::High),
    ("fixable", ImageSort::Fixable),
];

impl ListQuery {
    fn filter(&self) -> Result<ImageFilter, ApiError> {
        let severity = non_empty(&self.severity)
            .map(|s| {
                s.parse::<Severity>().map_err(|_| {
                    ApiError::BadRequest(format!(
                        "unknown severity `{s}` (critical, high, medium, low, unknown)"
                    ))
                })
            })
            .transpose()?;
        Ok(ImageFilter {
            registry: non_empty(&self.registry),
            repository: non_empty(&self.repository),
            tag: non_empty(&self.tag),
            severity,
            fixable: matches!(self.fixable.as_str(), "true" | "on" | "1"),
            vulnerability: non_empty(&self.cve),
            package: non_empty(&self.package),
        })
    }

    fn sort(&self) -> Result<(ImageSort, Order), ApiError> {
        let sort = match non_empty(&self.sort) {
            None => ImageSort::Registry,
            Some(s) => SORTS
                .iter()
                .find(|(name, _)| *name == s)
                .map(|(_, key)| *key)
                .ok_or_else(|| {
                    let names: Vec<_> = SORTS.iter().map(|(n, _)| *n).collect();
                    ApiError::BadRequest(format!(
                        "unknown sort `{s}` (one of {})",
                        names.join(", ")
                    ))
                })?,
        };
        let order = match self.order.as_str() {
            "" | "asc" => Order::Asc,
            "desc" => Order::Desc,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown order `{other}` (asc, desc)"
                )));
            }
        };
        Ok((sort, order))
    }

    /// The query string of the current filters and sort, URL-encoded, without the page.
    fn query_string(&self) -> String {
        let pairs = [
            ("registry", &self.registry),
            ("repository", &self.repository),
            ("tag", &self.tag),
            ("severity", &self.severity),
            ("fixable", &self.fixable),
            ("cve", &self.cve),
            ("package", &self.package),
            ("sort", &self.sort),
            ("order", &self.order),
        ];
        let mut out = String::new();
        for (key, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('&');
            }
            let _ = write!(out, "{key}={}", encode(value));
        }
        out
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

async fn page_of(
    state: &AppState,
    filter: &ImageFilter,
    sort: ImageSort,
    order: Order,
    page: u64,
    per_page: u64,
) -> Result<(Vec<ResultRow>, u64), ApiError> {
    let found = state
        .store
        .images(
            filter,
            ImageOrder {
                sort,
                order,
                page: PageRequest {
                    offset: (page - 1).saturating_mul(per_page),
                    limit: per_page,
                },
            },
        )
        .await?;
    Ok((found.items, found.total))
}

#[derive(Template, WebTemplate)]
#[template(path = "images.html")]
pub(crate) struct ImagesPage {
    nav: Nav,
    q: ListQuery,
    rows: Vec<ImageRow>,
    pager: Pager,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> UiResult<ImagesPage> {
    let filter = q.filter()?;
    let (sort, order) = q.sort()?;
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = page_of(&state, &filter, sort, order, page, PER_PAGE).await?;
    Ok(ImagesPage {
        nav: Nav::new(&viewer, "images"),
        pager: Pager::new(page, PER_PAGE, total, q.query_string()),
        rows: rows.into_iter().map(ImageRow::from).collect(),
        q,
    })
}

/// The columns of the images list CSV.
const LIST_COLUMNS: [&str; 14] = [
    "registry",
    "repository",
    "tag",
    "platform",
    "manifest_digest",
    "status",
    "critical",
    "high",
    "medium",
    "low",
    "unknown",
    "fixable",
    "scanned_at",
    "os",
];

/// Every row the filters select (not only one page), as CSV.
pub(crate) async fn list_csv(
    State(state): State<AppState>,
    _viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> UiResult<Response> {
    let filter = q.filter()?;
    let (sort, order) = q.sort()?;
    let err = |e: csv::Error| ApiError::Write(Box::new(e));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(LIST_COLUMNS).map_err(err)?;
    let mut page = 1;
    loop {
        let (rows, total) = page_of(&state, &filter, sort, order, page, CSV_CHUNK).await?;
        for row in rows {
            let row = ImageRow::from(row);
            let c = row.counts;
            writer
                .write_record([
                    row.registry,
                    row.repository,
                    row.tag,
                    row.platform,
                    row.digest,
                    row.status.to_owned(),
                    c.critical.to_string(),
                    c.high.to_string(),
                    c.medium.to_string(),
                    c.low.to_string(),
                    c.unknown.to_string(),
                    row.fixable.to_string(),
                    row.scanned_at,
                    row.os,
                ])
                .map_err(err)?;
        }
        if page * CSV_CHUNK >= total {
            break;
        }
        page += 1;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Write(Box::new(e.into_error())))?;
    Ok(csv_response(body, "images.csv"))
}

fn csv_response(body: Vec<u8>, file: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "repository.html")]
pub(crate) struct RepositoryPage {
    nav: Nav,
    registry: String,
    repository: String,
    rows: Vec<ImageRow>,
    pager: Pager,
}

/// Page of a repository's tags.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PageQuery {
    page: Option<u64>,
}

pub(crate) async fn repository(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((registry, repository)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> UiResult<RepositoryPage> {
    let filter = ImageFilter {
        registry: Some(registry.clone()),
        repository: Some(repository.clone()),
        ..ImageFilter::default()
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) =
        page_of(&state, &filter, ImageSort::Tag, Order::Asc, page, PER_PAGE).await?;
    if total == 0 {
        return Err(ApiError::NotFound(format!(
            "no tags of repository `{repository}` in registry `{registry}`"
        ))
        .into());
    }
    Ok(RepositoryPage {
        nav: Nav::new(&viewer, "registries"),
        pager: Pager::new(page, PER_PAGE, total, String::new()),
        rows: rows.into_iter().map(ImageRow::from).collect(),
        registry,
        repository,
    })
}

pub(crate) struct FindingLine {
    pub(crate) id: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) summary: String,
    pub(crate) severity: &'static str,
    pub(crate) severity_rank: u8,
    pub(crate) class: &'static str,
    pub(crate) package: String,
    pub(crate) installed: String,
    pub(crate) fixed: String,
    pub(crate) status: &'static str,
    pub(crate) cvss: String,
    pub(crate) layer: String,
}

pub(crate) struct PackageLine {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) kind: &'static str,
    pub(crate) layer: String,
    pub(crate) found_in: String,
    pub(crate) findings: usize,
    pub(crate) worst: &'static str,
    pub(crate) worst_class: &'static str,
}

pub(crate) struct LayerLine {
    pub(crate) index: usize,
    pub(crate) digest: String,
    pub(crate) short_digest: String,
    pub(crate) created_by: String,
    pub(crate) compressed: String,
    pub(crate) uncompressed: String,
    pub(crate) base_image: bool,
    pub(crate) added: Vec<String>,
    pub(crate) added_more: usize,
    pub(crate) removed: usize,
    pub(crate) changed: usize,
    pub(crate) findings: usize,
}

pub(crate) struct SecretLine {
    pub(crate) title: String,
    pub(crate) rule: String,
    pub(crate) severity: &'static str,
    pub(crate) class: &'static str,
    pub(crate) path: String,
    pub(crate) line: u32,
    pub(crate) redacted: String,
    pub(crate) layer: String,
}

pub(crate) struct ConfigLine {
    pub(crate) id: String,
    pub(crate) severity: &'static str,
    pub(crate) class: &'static str,
    pub(crate) title: String,
    pub(crate) detail: String,
}

pub(crate) struct PlatformLink {
    pub(crate) platform: String,
    pub(crate) digest: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "image.html")]
pub(crate) struct ImagePage {
    nav: Nav,
    digest: String,
    reference: String,
    platform: String,
    os: String,
    created: String,
    db_built_at: String,
    counts: Counts,
    fixable: usize,
    findings: Vec<FindingLine>,
    packages: Vec<PackageLine>,
    layers: Vec<LayerLine>,
    secrets: Vec<SecretLine>,
    config: Vec<ConfigLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "platforms.html")]
pub(crate) struct PlatformsPage {
    nav: Nav,
    digest: String,
    platforms: Vec<PlatformLink>,
}

/// Packages added by a layer that are listed by name before "and N more".
const ADDED_SHOWN: usize = 12;

fn rank(severity: Severity) -> u8 {
    match severity {
        Severity::Unknown => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn image_page(nav: Nav, digest: String, report: VulnerabilityReport) -> ImagePage {
    let image = report.image;
    let mut counts = Counts::default();
    for f in &report.findings {
        match f.severity {
            Severity::Critical => counts.critical += 1,
            Severity::High => counts.high += 1,
            Severity::Medium => counts.medium += 1,
            Severity::Low => counts.low += 1,
            Severity::Unknown => counts.unknown += 1,
        }
    }
    let fixable = report
        .findings
        .iter()
        .filter(|f| f.status == FixState::Fixed)
        .count();
    let mut per_layer: BTreeMap<usize, usize> = BTreeMap::new();
    // (name, version) → (findings, worst severity)
    let mut per_package: BTreeMap<(&str, &str), (usize, Severity)> = BTreeMap::new();
    for f in &report.findings {
        if let Some(layer) = &f.layer {
            *per_layer.entry(layer.index).or_default() += 1;
        }
        let entry = per_package
            .entry((f.package.as_str(), f.installed.as_str()))
            .or_insert((0, Severity::Unknown));
        entry.0 += 1;
        entry.1 = entry.1.max(f.severity);
    }
    let findings = report
        .findings
        .iter()
        .map(|f| FindingLine {
            id: f.id.clone(),
            aliases: f.aliases.clone(),
            summary: f.summary.clone().unwrap_or_default(),
            severity: f.severity.as_str(),
            severity_rank: rank(f.severity),
            class: severity_class(f.severity),
            package: f.package.clone(),
            installed: f.installed.clone(),
            fixed: f.fixed_versions.join(", "),
            status: match f.status {
                FixState::Fixed => "fix available",
                FixState::Unfixed => "no fix",
                FixState::WontFix => "won't fix",
            },
            cvss: f
                .cvss
                .as_ref()
                .map(|c| format!("{:.1}", c.score))
                .unwrap_or_default(),
            layer: f
                .layer
                .as_ref()
                .map(|l| l.index.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let packages = image
        .packages
        .iter()
        .map(|p| {
            let (n, worst) = per_package
                .get(&(p.name.as_str(), p.version.as_str()))
                .copied()
                .unwrap_or((0, Severity::Unknown));
            PackageLine {
                name: p.name.clone(),
                version: p.version.clone(),
                kind: p.kind.as_str(),
                layer: p
                    .layer
                    .as_ref()
                    .map(|l| l.index.to_string())
                    .unwrap_or_default(),
                found_in: p.found_in.clone(),
                findings: n,
                worst: if n == 0 { "" } else { worst.as_str() },
                worst_class: severity_class(worst),
            }
        })
        .collect();
    let layers = image
        .layers
        .iter()
        .map(|l| {
            let added: Vec<String> = l
                .changes
                .added
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            LayerLine {
                index: l.index,
                digest: l.digest.to_string(),
                short_digest: short_digest(l.digest.as_str()),
                created_by: l.created_by.clone().unwrap_or_default(),
                compressed: bytes(l.compressed_size),
                uncompressed: bytes(l.uncompressed_size),
                base_image: l.base_image,
                added_more: added.len().saturating_sub(ADDED_SHOWN),
                added: added.into_iter().take(ADDED_SHOWN).collect(),
                removed: l.changes.removed.len(),
                changed: l.changes.changed.len(),
                findings: per_layer.get(&l.index).copied().unwrap_or(0),
            }
        })
        .collect();
    let secrets = image
        .secrets
        .iter()
        .map(|s| SecretLine {
            title: s.title.clone(),
            rule: s.rule.clone(),
            severity: s.severity.as_str(),
            class: severity_class(s.severity),
            path: s.path.clone(),
            line: s.line,
            redacted: s.redacted.clone(),
            layer: s
                .layer
                .as_ref()
                .map(|l| l.index.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let config = report
        .config_findings
        .iter()
        .map(|c| ConfigLine {
            id: c.id.clone(),
            severity: c.severity.as_str(),
            class: severity_class(c.severity),
            title: c.title.clone(),
            detail: c.detail.clone(),
        })
        .collect();
    ImagePage {
        nav,
        digest,
        reference: image.source.display_name(),
        platform: image.platform.to_string(),
        os: image
            .os
            .as_ref()
            .map(|o| o.pretty_name.clone().unwrap_or_else(|| o.id.clone()))
            .unwrap_or_default(),
        created: image.created.as_deref().map(when_text).unwrap_or_default(),
        db_built_at: report
            .db_built_at
            .as_deref()
            .map(when_text)
            .unwrap_or_default(),
        counts,
        fixable,
        findings,
        packages,
        layers,
        secrets,
        config,
    }
}

/// One platform image's page, or, for an index, the list of its platform images.
pub(crate) async fn image(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(digest): Path<String>,
) -> UiResult<Response> {
    let mut reports = load_reports(&state, &digest).await?;
    let nav = Nav::new(&viewer, "images");
    if reports.len() > 1 {
        let platforms = reports
            .iter()
            .map(|r| PlatformLink {
                platform: r.image.platform.to_string(),
                digest: r.image.manifest_digest.to_string(),
            })
            .collect();
        return Ok(PlatformsPage {
            nav,
            digest,
            platforms,
        }
        .into_response());
    }
    let report = reports.remove(0);
    Ok(image_page(nav, digest, report).into_response())
}

/// The image's findings as the API's CSV export.
pub(crate) async fn findings_csv(
    State(state): State<AppState>,
    _viewer: Viewer,
    Path(digest): Path<String>,
) -> UiResult<Response> {
    let reports = load_reports(&state, &digest).await?;
    let body = report_csv(&reports)?;
    let file = format!("findings-{}.csv", digest.replace(':', "-"));
    Ok(csv_response(body, &file))
}

/// What one affected image's report says of the vulnerability.
pub(crate) struct Advisory {
    pub(crate) id: String,
    pub(crate) aliases: String,
    pub(crate) summary: String,
    pub(crate) severity: &'static str,
    pub(crate) class: &'static str,
    pub(crate) references: Vec<String>,
    /// References beyond those listed.
    pub(crate) more_references: usize,
}

/// References listed on a vulnerability page before "and N more".
const REFERENCES_SHOWN: usize = 6;

#[derive(Template, WebTemplate)]
#[template(path = "vulnerability.html")]
pub(crate) struct VulnerabilityPage {
    nav: Nav,
    id: String,
    advisory: Option<Advisory>,
    rows: Vec<ImageRow>,
    pager: Pager,
}

pub(crate) async fn vulnerability(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult<VulnerabilityPage> {
    let filter = ImageFilter {
        vulnerability: Some(id.clone()),
        ..ImageFilter::default()
    };
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = page_of(
        &state,
        &filter,
        ImageSort::Critical,
        Order::Desc,
        page,
        PER_PAGE,
    )
    .await?;
    let rows: Vec<ImageRow> = rows.into_iter().map(ImageRow::from).collect();
    // The advisory's text comes from the report of the first affected image (the server has
    // no vulnerability database of its own).
    let mut advisory = None;
    if let Some(first) = rows.first() {
        let reports = load_reports(&state, &first.digest).await?;
        advisory = reports
            .iter()
            .flat_map(|r| &r.findings)
            .find(|f| {
                f.id.eq_ignore_ascii_case(&id)
                    || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&id))
            })
            .map(|f| Advisory {
                id: f.id.clone(),
                aliases: f.aliases.join(", "),
                summary: f.summary.clone().unwrap_or_default(),
                severity: f.severity.as_str(),
                class: severity_class(f.severity),
                references: f
                    .references
                    .iter()
                    .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
                    .take(REFERENCES_SHOWN)
                    .cloned()
                    .collect(),
                more_references: f
                    .references
                    .iter()
                    .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
                    .count()
                    .saturating_sub(REFERENCES_SHOWN),
            });
    }
    Ok(VulnerabilityPage {
        nav: Nav::new(&viewer, "images"),
        pager: Pager::new(page, PER_PAGE, total, String::new()),
        id,
        advisory,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        let q = ListQuery {
            registry: "127.0.0.1:5000".into(),
            severity: "high".into(),
            ..ListQuery::default()
        };
        assert_eq!(q.query_string(), "registry=127.0.0.1%3A5000&severity=high");
        assert!(
            ListQuery {
                sort: "bogus".into(),
                ..ListQuery::default()
            }
            .sort()
            .is_err()
        );
    }
}
