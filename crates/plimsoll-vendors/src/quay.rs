//! Quay (quay.io, Red Hat Quay), through its API v1
//! (<https://docs.redhat.com/en/documentation/red_hat_quay/3/html/red_hat_quay_api_reference/>):
//! `GET /api/v1/repository?namespace=<ns>` per configured namespace (organization or user;
//! paged by the `next_page` token it returns), then `GET /api/v1/repository/<ns>/<name>/tag/
//! ?onlyActiveTags=true&page=N&limit=100` (paged while `has_additional`), each tag with its
//! `manifest_digest` and `start_ts` (when it was pushed).
//!
//! The API takes an `OAuth` access token as `Authorization: Bearer` (an application token of the
//! organization with "View all visible repositories"), sent to the API host only; without one,
//! only public repositories are listed. Pulls use the registry credentials — typically a robot
//! account `org+name` with its encrypted password.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

use plimsoll_registry::ApiAuth;
use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// Quay's `limit` maximum for tag pages.
const MAX_PAGE_SIZE: usize = 100;

/// Pages read at most per listing: a guard against an API that never says it is done.
const MAX_PAGES: usize = 10_000;

/// Discovery through Quay's API v1.
#[derive(Clone, Debug)]
pub struct Quay {
    endpoint: Endpoint,
}

#[derive(Deserialize)]
struct RepositoryPage {
    #[serde(default)]
    repositories: Vec<RepositoryEntry>,
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct RepositoryEntry {
    namespace: String,
    name: String,
}

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Vec<TagEntry>,
    #[serde(default)]
    has_additional: bool,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
    manifest_digest: Option<String>,
    start_ts: Option<i64>,
}

impl Quay {
    /// Discovery of `endpoint`'s Quay; its API is at [`Endpoint::api_base`] + `/api/v1`.
    pub fn new(endpoint: Endpoint) -> Self {
        Quay { endpoint }
    }

    fn auth(&self) -> ApiAuth<'_> {
        self.endpoint
            .api_token_ref()
            .map_or(ApiAuth::Anonymous, ApiAuth::Bearer)
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("API URL `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend(["api", "v1"])
            .extend(segments);
        url.query_pairs_mut().extend_pairs(query);
        Ok(url)
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        let failed = |source| Error::Repositories {
            registry: registry.to_owned(),
            source: Box::new(source),
        };
        if self.endpoint.namespace_list().is_empty() {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason: "type = \"quay\" needs `namespaces` (the organizations or users to list)"
                    .into(),
            });
        }
        let mut repositories = BTreeSet::new();
        for namespace in self.endpoint.namespace_list() {
            let mut token: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut query = vec![("namespace", namespace.as_str())];
                if let Some(token) = &token {
                    query.push(("next_page", token.as_str()));
                }
                let url = self.url(&["repository"], &query)?;
                let page: RepositoryPage = self
                    .endpoint
                    .client()
                    .api_get(&url, self.auth())
                    .await
                    .and_then(|r| r.json())
                    .map_err(failed)?;
                repositories.extend(
                    page.repositories
                        .into_iter()
                        .map(|r| format!("{}/{}", r.namespace, r.name)),
                );
                match page.next_page {
                    Some(next) if !next.is_empty() && token.as_deref() != Some(next.as_str()) => {
                        token = Some(next);
                    }
                    _ => break,
                }
            }
        }
        Ok(repositories
            .into_iter()
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let failed = |source| Error::Tags {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            source: Box::new(source),
        };
        let mut segments = vec!["repository"];
        segments.extend(repository.split('/'));
        // Quay's route ends with a slash: `/tag/`.
        segments.extend(["tag", ""]);
        let limit = self.endpoint.page_size.min(MAX_PAGE_SIZE).to_string();
        let mut tags = BTreeMap::new();
        for page in 1..=MAX_PAGES {
            let page_text = page.to_string();
            let url = self.url(
                &segments,
                &[
                    ("onlyActiveTags", "true"),
                    ("page", &page_text),
                    ("limit", &limit),
                ],
            )?;
            let answer: TagPage = self
                .endpoint
                .client()
                .api_get(&url, self.auth())
                .await
                .and_then(|r| r.json())
                .map_err(failed)?;
            let empty = answer.tags.is_empty();
            for tag in answer.tags {
                let digest = tag
                    .manifest_digest
                    .as_deref()
                    .and_then(|d| d.parse::<Digest>().ok());
                let pushed_at = tag
                    .start_ts
                    .and_then(|ts| OffsetDateTime::from_unix_timestamp(ts).ok());
                tags.insert(
                    tag.name.clone(),
                    ListedTag {
                        name: tag.name,
                        digest,
                        pushed_at,
                    },
                );
            }
            if !answer.has_additional || empty {
                break;
            }
        }
        Ok(tags.into_values().collect())
    }
}

impl Discovery for Quay {
    fn vendor(&self) -> Vendor {
        Vendor::Quay
    }

    fn registry(&self) -> &str {
        self.endpoint.registry()
    }

    fn repositories(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(self.list_repositories(limit))
    }

    fn tags<'a>(&'a self, repository: &'a str) -> BoxFuture<'a, Result<Vec<ListedTag>>> {
        Box::pin(self.list_tags(repository))
    }
}
