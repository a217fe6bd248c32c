//! GitLab's container registry, through the GitLab REST API v4 at the instance's
//! `external_url` (<https://docs.gitlab.com/api/container_registry/>): for each configured
//! group, `GET /api/v4/groups/:id/registry/repositories` (subgroups' projects included), then
//! per repository `GET /api/v4/projects/:project_id/registry/repositories/:id/tags`. Both are
//! paged with `page`/`per_page` (at most 100) and the `Link` next header GitLab sends. The
//! listing names tags only: digests come from the registry (a `HEAD` per tag), which is still
//! one request fewer than GitLab's per-tag details endpoint.
//!
//! The API token (a personal, group or project access token with `read_api` and
//! `read_registry`) is the registry password too: it goes to the API host as `PRIVATE-TOKEN`,
//! and to the registry and its token realm (GitLab's JWT endpoint) through the registry
//! client's challenge flow — nowhere else.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use plimsoll_registry::ApiAuth;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// GitLab's `per_page` maximum.
const MAX_PAGE_SIZE: usize = 100;

/// Discovery through GitLab's API v4.
#[derive(Debug)]
pub struct Gitlab {
    endpoint: Endpoint,
    /// Repository path → (project id, repository id), filled by the repository listing.
    ids: Mutex<BTreeMap<String, (u64, u64)>>,
}

/// A registry repository as `/groups/:id/registry/repositories` lists it.
#[derive(Deserialize)]
struct RepositoryEntry {
    id: u64,
    project_id: u64,
    /// `group/project[/name]`, the repository path in the registry.
    path: String,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
}

impl Gitlab {
    /// Discovery of `endpoint`'s GitLab registry; the API is at [`Endpoint::api_base`]
    /// (`external_url`) + `/api/v4`.
    pub fn new(endpoint: Endpoint) -> Self {
        Gitlab {
            endpoint,
            ids: Mutex::new(BTreeMap::new()),
        }
    }

    fn auth(&self) -> ApiAuth<'_> {
        // GitLab reads the token from its own header; the user name plays no part in the API.
        match self.endpoint.api_credentials_ref() {
            Some(c) => ApiAuth::Header("PRIVATE-TOKEN", c.password()),
            None => ApiAuth::Anonymous,
        }
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("external_url `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend(["api", "v4"])
            .extend(segments);
        url.query_pairs_mut().append_pair("page", "1").append_pair(
            "per_page",
            &self.endpoint.page_size.min(MAX_PAGE_SIZE).to_string(),
        );
        Ok(url)
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, plimsoll_registry::Error> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut url = first;
        loop {
            seen.insert(url.clone());
            let page = self.endpoint.client().api_get(&url, self.auth()).await?;
            let found: Vec<T> = page.json()?;
            let empty = found.is_empty();
            items.extend(found);
            match page.next_page()? {
                Some(next) if !empty && !seen.contains(&next) => url = next,
                _ => break,
            }
        }
        Ok(items)
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        if self.endpoint.namespace_list().is_empty() {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason: "type = \"gitlab\" needs `namespaces` (the groups to list)".into(),
            });
        }
        let mut found = BTreeMap::new();
        for group in self.endpoint.namespace_list() {
            // A group path (`team/sub`) is one URL-encoded path segment.
            let url = self.url(&["groups", group, "registry", "repositories"])?;
            let repositories = self
                .all_pages::<RepositoryEntry>(url)
                .await
                .map_err(|source| Error::Repositories {
                    registry: registry.to_owned(),
                    source: Box::new(source),
                })?;
            found.extend(
                repositories
                    .into_iter()
                    .map(|r| (r.path, (r.project_id, r.id))),
            );
        }
        let names: Vec<String> = found
            .keys()
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        *self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = found;
        Ok(names)
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let ids = self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(repository)
            .copied();
        let Some((project, id)) = ids else {
            return Err(Error::Api {
                registry: registry.to_owned(),
                url: self.endpoint.api_base()?.to_string(),
                reason: format!(
                    "repository `{repository}` was not in the groups' registry listing"
                ),
            });
        };
        let (project, id) = (project.to_string(), id.to_string());
        let url = self.url(&[
            "projects",
            &project,
            "registry",
            "repositories",
            &id,
            "tags",
        ])?;
        let mut tags: Vec<ListedTag> = self
            .all_pages::<TagEntry>(url)
            .await
            .map_err(|source| Error::Tags {
                registry: registry.to_owned(),
                repository: repository.to_owned(),
                source: Box::new(source),
            })?
            .into_iter()
            .map(|t| ListedTag::named(t.name))
            .collect();
        tags.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        tags.dedup_by(|a, b| a.name == b.name);
        Ok(tags)
    }
}

impl Discovery for Gitlab {
    fn vendor(&self) -> Vendor {
        Vendor::Gitlab
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
