//! Plain OCI Distribution v2: `/v2/_catalog` for repositories, `/v2/<name>/tags/list` for
//! tags, both through `plimsoll-registry` (its auth, retries and `Link` pagination).
//!
//! Sonatype Nexus Repository (`type = "nexus"`) is served by this module too: a Nexus Docker
//! repository answers the same two endpoints on its HTTP connector port (or behind the
//! repository path / subdomain routing of Nexus 3.44+), so `url` is that connector, e.g.
//! `https://nexus.example.com:8082`
//! (<https://help.sonatype.com/en/docker-registry.html>).
//!
//! The catalog needs the `registry:catalog:*` scope, which registries with token auth often
//! grant only to administrators; the refusal comes back as
//! [`plimsoll_registry::Error::CatalogDenied`].

use plimsoll_registry::RegistryClient;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// Discovery through the Distribution v2 listing endpoints.
#[derive(Clone, Debug)]
pub struct Distribution {
    endpoint: Endpoint,
    vendor: Vendor,
}

impl Distribution {
    /// Discovery of `endpoint`'s registry.
    pub fn new(endpoint: Endpoint) -> Self {
        Distribution {
            endpoint,
            vendor: Vendor::Distribution,
        }
    }

    /// The same discovery for a vendor whose registry serves the Distribution listing
    /// endpoints itself (Nexus on its connector port).
    pub fn for_vendor(endpoint: Endpoint, vendor: Vendor) -> Self {
        Distribution { endpoint, vendor }
    }

    fn client(&self) -> &RegistryClient {
        self.endpoint.client()
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        let catalog = |limit| async move {
            self.client()
                .catalog(registry, self.endpoint.page_size, limit)
                .await
                .map_err(|source| Error::Repositories {
                    registry: registry.to_owned(),
                    source: Box::new(source),
                })
        };
        let mut repositories = catalog(limit).await?;
        // The spec has the catalog in lexical order, so its first N are the sorted first N.
        // A registry that lists in another order makes an early stop wrong: list it all.
        if limit.is_some() && !repositories.is_sorted() {
            tracing::debug!(%registry, "catalog not in lexical order; listing all of it to cap it");
            repositories = catalog(None).await?;
        }
        repositories.sort_unstable();
        repositories.dedup();
        if let Some(limit) = limit {
            repositories.truncate(limit);
        }
        Ok(repositories)
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let mut tags = self
            .client()
            .tags(registry, repository, self.endpoint.page_size)
            .await
            .map_err(|source| Error::Tags {
                registry: registry.to_owned(),
                repository: repository.to_owned(),
                source: Box::new(source),
            })?;
        tags.sort_unstable();
        tags.dedup();
        Ok(tags.into_iter().map(ListedTag::named).collect())
    }
}

impl Discovery for Distribution {
    fn vendor(&self) -> Vendor {
        self.vendor
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
