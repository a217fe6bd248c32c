//! Docker Hub, through the Docker Hub API at `hub.docker.com`
//! (<https://docs.docker.com/reference/api/hub/latest/>): for each configured namespace
//! (organization or user), `GET /v2/namespaces/<ns>/repositories?page_size=100`, then per
//! repository `GET /v2/namespaces/<ns>/repositories/<name>/tags?page_size=100`, both paged by
//! the absolute `next` URL in the body (followed only on the API's own host). Each tag comes
//! with its `digest` and `tag_last_pushed`.
//!
//! With a user and password (a personal or organization access token is best), Plimsoll first
//! asks `POST /v2/auth/token` (`identifier`, `secret`) for an access token and lists with it as
//! `Authorization: Bearer`; the password goes to that endpoint on the API host only. Pulls go
//! to the registry (`registry-1.docker.io`) with the same credentials through `auth.docker.io`
//! tokens, as for any registry. Without credentials only public repositories are listed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::OnceCell;
use url::Url;

use plimsoll_registry::ApiAuth;
use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// The Hub API's `page_size` maximum.
const MAX_PAGE_SIZE: usize = 100;

/// Pages read at most per listing.
const MAX_PAGES: usize = 10_000;

/// Discovery through the Docker Hub API.
#[derive(Debug)]
pub struct DockerHub {
    endpoint: Endpoint,
    /// The access token from `/v2/auth/token`, asked once per run.
    token: OnceCell<Option<AccessToken>>,
}

/// An access token; `Debug` never shows it.
struct AccessToken(String);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    results: Vec<T>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct RepositoryEntry {
    name: String,
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
    digest: Option<String>,
    tag_last_pushed: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    token: Option<String>,
}

impl DockerHub {
    /// Discovery of Docker Hub namespaces; the API is at [`Endpoint::api_base`]
    /// (`https://hub.docker.com` unless configured).
    pub fn new(endpoint: Endpoint) -> Self {
        DockerHub {
            endpoint,
            token: OnceCell::new(),
        }
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("API URL `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .push("v2")
            .extend(segments);
        Ok(url)
    }

    /// The access token, asked once; `None` when no credentials are configured.
    async fn token(&self) -> Result<Option<&str>, plimsoll_registry::Error> {
        let token = self
            .token
            .get_or_try_init(|| async {
                let Some(credentials) = self.endpoint.api_credentials_ref() else {
                    return Ok(None);
                };
                let url = self.url(&["auth", "token"]).map_err(|e| {
                    plimsoll_registry::Error::InvalidName {
                        what: "API URL",
                        name: e.to_string(),
                    }
                })?;
                let body = serde_json::json!({
                    "identifier": credentials.username(),
                    "secret": credentials.password(),
                });
                let answer: TokenAnswer = self
                    .endpoint
                    .client()
                    .api_post_json(&url, &body)
                    .await?
                    .json()?;
                Ok(answer.access_token.or(answer.token).map(AccessToken))
            })
            .await?;
        Ok(token.as_ref().map(|t| t.0.as_str()))
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, plimsoll_registry::Error> {
        let token = self.token().await?;
        let auth = token.map_or(ApiAuth::Anonymous, ApiAuth::Bearer);
        let mut items = Vec::new();
        let mut url = first;
        let mut seen = BTreeSet::new();
        for _ in 0..MAX_PAGES {
            seen.insert(url.to_string());
            let response = self.endpoint.client().api_get(&url, auth).await?;
            if let Some(remaining) = response.header("x-ratelimit-remaining") {
                tracing::debug!(remaining, "Docker Hub API rate limit");
            }
            let page: Page<T> = response.json()?;
            let empty = page.results.is_empty();
            items.extend(page.results);
            match page.next.filter(|n| !n.is_empty()) {
                Some(next) if !empty => {
                    let next = response.same_origin_link(&next)?;
                    if !seen.insert(next.to_string()) {
                        break;
                    }
                    url = next;
                }
                _ => break,
            }
        }
        Ok(items)
    }

    fn with_page_size(&self, mut url: Url) -> Url {
        url.query_pairs_mut().append_pair(
            "page_size",
            &self.endpoint.page_size.min(MAX_PAGE_SIZE).to_string(),
        );
        url
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        if self.endpoint.namespace_list().is_empty() {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason:
                    "type = \"dockerhub\" needs `namespaces` (the organizations or users to list)"
                        .into(),
            });
        }
        let mut repositories = BTreeSet::new();
        for namespace in self.endpoint.namespace_list() {
            let url = self.with_page_size(self.url(&["namespaces", namespace, "repositories"])?);
            let found = self
                .all_pages::<RepositoryEntry>(url)
                .await
                .map_err(|source| Error::Repositories {
                    registry: registry.to_owned(),
                    source: Box::new(source),
                })?;
            repositories.extend(
                found
                    .into_iter()
                    .map(|r| format!("{}/{}", r.namespace.as_deref().unwrap_or(namespace), r.name)),
            );
        }
        Ok(repositories
            .into_iter()
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let Some((namespace, name)) = repository.split_once('/') else {
            return Err(Error::Api {
                registry: registry.to_owned(),
                url: self.endpoint.api_base()?.to_string(),
                reason: format!("repository `{repository}` has no namespace"),
            });
        };
        let url = self.with_page_size(self.url(&[
            "namespaces",
            namespace,
            "repositories",
            name,
            "tags",
        ])?);
        let found = self
            .all_pages::<TagEntry>(url)
            .await
            .map_err(|source| Error::Tags {
                registry: registry.to_owned(),
                repository: repository.to_owned(),
                source: Box::new(source),
            })?;
        let mut tags = BTreeMap::new();
        for tag in found {
            let digest = tag.digest.as_deref().and_then(|d| d.parse::<Digest>().ok());
            let pushed_at = tag
                .tag_last_pushed
                .as_deref()
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
            tags.insert(
                tag.name.clone(),
                ListedTag {
                    name: tag.name,
                    digest,
                    pushed_at,
                },
            );
        }
        Ok(tags.into_values().collect())
    }
}

impl Discovery for DockerHub {
    fn vendor(&self) -> Vendor {
        Vendor::DockerHub
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
