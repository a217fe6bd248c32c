//! `plimsoll results … --server URL`: the same results, read from a running `plimsoll serve`
//! over its API instead of from a store file. Rows and reports are turned back into the types
//! the local commands print, so both paths share every output format.

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use plimsoll_store::{ResultRow, ResultStatus, SeverityCounts};
use plimsoll_types::{Digest, VulnerabilityReport};

/// The API's largest page: fewer round trips for big stores.
const PER_PAGE: usize = 500;

/// A server and the token to ask it with.
pub(crate) struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// One row of `GET /api/v1/images` (docs/server.md).
#[derive(Deserialize)]
struct ApiImage {
    registry: String,
    repository: String,
    tag: String,
    digest: Digest,
    manifest_digest: Option<Digest>,
    platform: Option<String>,
    os: Option<String>,
    counts: SeverityCounts,
    fixable: u64,
    status: ResultStatus,
    cause: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    scanned_at: Option<time::OffsetDateTime>,
    db_built_at: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    last_seen: time::OffsetDateTime,
}

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
    total: usize,
}

/// The vulnerability JSON document: its reports are `VulnerabilityReport`s (the derived
/// summaries beside them are ignored).
#[derive(Deserialize)]
struct ReportDocument {
    reports: Vec<VulnerabilityReport>,
}

/// The API's error body.
#[derive(Deserialize)]
struct ApiError {
    message: String,
}

impl Remote {
    pub(crate) fn new(server: &str, token: Option<String>) -> anyhow::Result<Self> {
        let Some(token) = token else {
            bail!("--server needs --token (or PLIMSOLL_TOKEN): an API token of that server");
        };
        Ok(Remote {
            base: server.trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::new(),
        })
    }

    /// Every row the server lists for `registry` (all when `None`), in its default order.
    pub(crate) async fn results(&self, registry: Option<&str>) -> anyhow::Result<Vec<ResultRow>> {
        let mut rows = Vec::new();
        for page in 1.. {
            let mut query = vec![
                ("page", page.to_string()),
                ("per_page", PER_PAGE.to_string()),
            ];
            if let Some(registry) = registry {
                query.push(("registry", registry.to_owned()));
            }
            let found: Page<ApiImage> = self.get("/api/v1/images", &query).await?;
            let last = found.items.len() < PER_PAGE;
            for image in found.items {
                rows.push(image.into_row()?);
            }
            if last || rows.len() >= found.total {
                break;
            }
        }
        Ok(rows)
    }

    /// The reports of one platform image (its manifest digest).
    pub(crate) async fn reports(
        &self,
        digest: &Digest,
    ) -> anyhow::Result<Vec<VulnerabilityReport>> {
        let document: ReportDocument = self
            .get(
                &format!("/api/v1/images/{digest}"),
                &[("format", "json".to_owned())],
            )
            .await?;
        Ok(document.reports)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<T> {
        let query: Vec<String> = query
            .iter()
            .map(|(key, value)| format!("{key}={}", crate::serve::path_segment(value)))
            .collect();
        let url = format!("{}{path}?{}", self.base, query.join("&"));
        let response = self
            .http
            .get(&url)
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = response.status();
        if !status.is_success() {
            let message = response
                .json::<ApiError>()
                .await
                .map_or_else(|_| "no message".to_owned(), |e| e.message);
            bail!(
                "the server at {} answered {status} to GET {path}: {message}",
                self.base
            );
        }
        response.json().await.with_context(|| {
            format!(
                "the server at {} answered GET {path} with unexpected JSON",
                self.base
            )
        })
    }
}

impl ApiImage {
    fn into_row(self) -> anyhow::Result<ResultRow> {
        let platform = self
            .platform
            .map(|p| {
                p.parse()
                    .with_context(|| format!("the server sent an unreadable platform `{p}`"))
            })
            .transpose()?;
        Ok(ResultRow {
            registry: self.registry,
            repository: self.repository,
            tag: self.tag,
            digest: self.digest,
            platform,
            manifest_digest: self.manifest_digest,
            os: self.os,
            counts: self.counts,
            fixable: self.fixable,
            status: self.status,
            cause: self.cause,
            scanned_at: self.scanned_at,
            db_built_at: self.db_built_at,
            last_seen: self.last_seen,
        })
    }
}
