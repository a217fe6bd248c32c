//! `JFrog` Artifactory, through its Docker repository API under `registry_api_url`
//! (<https://jfrog.com/help/r/jfrog-rest-apis/list-docker-repositories> and
//! "List Docker Tags"): per configured repository key,
//! `GET <registry_api_url>/api/docker/<key>/v2/_catalog?n=100` and
//! `GET <registry_api_url>/api/docker/<key>/v2/<image>/tags/list?n=100`, both paged by the
//! `Link` next header (`last=`) and followed on the API's host only. Local, remote and
//! **virtual** repositories answer alike (a virtual one lists what its members hold).
//!
//! How image references name a repository depends on the Docker access method Artifactory is
//! set up with: `repository_path` (`art.example.com/<key>/<image>`, the default), `subdomain`
//! (`<key>.art.example.com/<image>`) or `port` (`art.example.com:<port>/<image>`). With the
//! latter two, the registry `url` already selects the repository, so one key per entry.
//!
//! The user and password (or an access token as password) go to the API host as HTTP Basic.

use std::collections::BTreeSet;
use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// Names asked per page.
const PAGE_SIZE: usize = 100;

/// How image references reach an Artifactory Docker repository.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessMethod {
    /// `host/<key>/<image>`.
    #[default]
    RepositoryPath,
    /// `<key>.host/<image>`.
    Subdomain,
    /// `host:<port>/<image>`.
    Port,
}

impl AccessMethod {
    /// The `access_method` names, as configured.
    pub const NAMES: [&'static str; 3] = ["repository_path", "subdomain", "port"];

    /// From the `access_method` key.
    pub fn parse(text: &str) -> Option<AccessMethod> {
        match text {
            "repository_path" => Some(AccessMethod::RepositoryPath),
            "subdomain" => Some(AccessMethod::Subdomain),
            "port" => Some(AccessMethod::Port),
            _ => None,
        }
    }
}

/// Discovery through Artifactory's Docker API.
#[derive(Debug)]
pub struct Artifactory {
    endpoint: Endpoint,
    method: AccessMethod,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    repositories: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Artifactory {
    /// Discovery of the repository keys in `endpoint`'s namespaces, reached by its
    /// [`Endpoint::access_method`]; the API is at [`Endpoint::api_base`] (`registry_api_url`).
    pub fn new(endpoint: Endpoint) -> Self {
        let method = endpoint.api.access_method;
        Artifactory { endpoint, method }
    }

    fn url(&self, key: &str, rest: &[&str]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("registry_api_url `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend(["api", "docker", key, "v2"])
            .extend(rest);
        url.query_pairs_mut()
            .append_pair("n", &PAGE_SIZE.min(self.endpoint.page_size).to_string());
        Ok(url)
    }

    /// Every name of every page from `first`.
    async fn names(&self, first: Url, tags: bool) -> Result<Vec<String>, plimsoll_registry::Error> {
        let mut names = Vec::new();
        let mut seen = HashSet::new();
        let mut url = first;
        loop {
            seen.insert(url.clone());
            let page = self
                .endpoint
                .client()
                .api_get(&url, self.endpoint.api_basic_auth())
                .await?;
            let body: Page = page.json()?;
            let found = if tags { body.tags } else { body.repositories }.unwrap_or_default();
            let empty = found.is_empty();
            names.extend(found);
            match page.next_page()? {
                Some(next) if !empty && !seen.contains(&next) => url = next,
                _ => break,
            }
        }
        Ok(names)
    }

    /// The repository key and image of a repository name as [`Discovery::repositories`] gave it.
    fn split<'a>(&'a self, repository: &'a str) -> Option<(&'a str, &'a str)> {
        match self.method {
            AccessMethod::RepositoryPath => repository.split_once('/'),
            AccessMethod::Subdomain | AccessMethod::Port => self
                .endpoint
                .namespace_list()
                .first()
                .map(|key| (key.as_str(), repository)),
        }
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        let keys = self.endpoint.namespace_list();
        if keys.is_empty() {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason: "type = \"artifactory\" needs `namespaces` (the Docker repository keys)"
                    .into(),
            });
        }
        let mut repositories = BTreeSet::new();
        for key in keys {
            let url = self.url(key, &["_catalog"])?;
            let images = self
                .names(url, false)
                .await
                .map_err(|source| Error::Repositories {
                    registry: registry.to_owned(),
                    source: Box::new(source),
                })?;
            repositories.extend(images.into_iter().map(|image| match self.method {
                AccessMethod::RepositoryPath => format!("{key}/{image}"),
                AccessMethod::Subdomain | AccessMethod::Port => image,
            }));
        }
        Ok(repositories
            .into_iter()
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let Some((key, image)) = self.split(repository) else {
            return Err(Error::Api {
                registry: registry.to_owned(),
                url: self.endpoint.api_base()?.to_string(),
                reason: format!("repository `{repository}` names no repository key"),
            });
        };
        let mut rest: Vec<&str> = image.split('/').collect();
        rest.extend(["tags", "list"]);
        let url = self.url(key, &rest)?;
        let mut tags = self.names(url, true).await.map_err(|source| Error::Tags {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            source: Box::new(source),
        })?;
        tags.sort_unstable();
        tags.dedup();
        Ok(tags.into_iter().map(ListedTag::named).collect())
    }
}

impl Discovery for Artifactory {
    fn vendor(&self) -> Vendor {
        Vendor::Artifactory
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
