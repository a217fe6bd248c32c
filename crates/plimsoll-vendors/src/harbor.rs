//! Harbor, through its API v2.0 (<https://goharbor.io/docs/main/build-customize-contribute/configure-swagger/>,
//! spec `api/v2.0/swagger.yaml` of goharbor/harbor): projects → repositories → artifacts with
//! their tags, digest and push time. Accessories (cosign/notation signatures, SBOMs, Nydus
//! conversions) are not listed as images: Harbor leaves them out of the artifact list unless
//! asked (`with_accessory=false`), and any artifact another one names as its accessory, or
//! that carries no tag, is skipped.
//!
//! Authentication is HTTP Basic with the registry's user and password — a robot account
//! (`robot$project+name`) works, with the "list repository" and "list artifact" permissions —
//! sent to the API's host only. Pages: `page`/`page_size` (at most 100) and the `Link` next
//! header Harbor sends.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// Harbor's `page_size` maximum (swagger: `maximum: 100`).
const MAX_PAGE_SIZE: usize = 100;

/// Discovery through Harbor's API v2.0.
#[derive(Clone, Debug)]
pub struct Harbor {
    endpoint: Endpoint,
}

/// `Project` of the spec (only what is used).
#[derive(Deserialize)]
struct Project {
    name: String,
}

/// `Repository`: `name` is the full path, project first (`library/nginx`).
#[derive(Deserialize)]
struct Repository {
    name: String,
}

/// `Artifact`.
#[derive(Deserialize)]
struct Artifact {
    digest: Option<String>,
    push_time: Option<String>,
    #[serde(default)]
    tags: Option<Vec<Tag>>,
    #[serde(default)]
    accessories: Option<Vec<Accessory>>,
}

/// `Tag`.
#[derive(Deserialize)]
struct Tag {
    name: String,
    push_time: Option<String>,
}

/// `Accessory`.
#[derive(Deserialize)]
struct Accessory {
    digest: Option<String>,
}

impl Harbor {
    /// Discovery of `endpoint`'s Harbor; its API is at [`Endpoint::api_base`] + `/api/v2.0`.
    pub fn new(endpoint: Endpoint) -> Self {
        Harbor { endpoint }
    }

    fn page_size(&self) -> usize {
        self.endpoint.page_size.min(MAX_PAGE_SIZE)
    }

    /// `<base>/api/v2.0/<segments…>?page=1&page_size=N&<query>`, each segment encoded.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("API URL `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend(["api", "v2.0"])
            .extend(segments);
        url.query_pairs_mut()
            .append_pair("page", "1")
            .append_pair("page_size", &self.page_size().to_string())
            .extend_pairs(query);
        Ok(url)
    }

    /// Every item of every page from `first`.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, plimsoll_registry::Error> {
        let client = self.endpoint.client();
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut url = first;
        loop {
            seen.insert(url.clone());
            let page = client.api_get(&url, self.endpoint.api_basic_auth()).await?;
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
        let failed = |source| Error::Repositories {
            registry: registry.to_owned(),
            source: Box::new(source),
        };
        let projects: Vec<String> = if self.endpoint.namespace_list().is_empty() {
            let url = self.url(&["projects"], &[("with_detail", "false")])?;
            self.all_pages::<Project>(url)
                .await
                .map_err(failed)?
                .into_iter()
                .map(|p| p.name)
                .collect()
        } else {
            self.endpoint.namespace_list().to_vec()
        };
        let mut repositories = BTreeSet::new();
        for project in projects {
            let url = self.url(&["projects", &project, "repositories"], &[])?;
            let found = self.all_pages::<Repository>(url).await.map_err(failed)?;
            repositories.extend(found.into_iter().map(|r| r.name));
        }
        tracing::debug!(%registry, repositories = repositories.len(), "Harbor repositories listed");
        Ok(repositories
            .into_iter()
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let registry = self.endpoint.registry();
        let Some((project, name)) = repository.split_once('/') else {
            return Err(Error::Api {
                registry: registry.to_owned(),
                url: self.endpoint.api_base()?.to_string(),
                reason: format!("repository `{repository}` has no project part"),
            });
        };
        // The spec: a repository name with a slash is URL-encoded twice (`a/b` → `a%252Fb`);
        // the URL encoder adds the second layer to this first one.
        let encoded = name.replace('/', "%2F");
        let url = self.url(
            &["projects", project, "repositories", &encoded, "artifacts"],
            &[("with_tag", "true"), ("with_accessory", "false")],
        )?;
        let artifacts = self
            .all_pages::<Artifact>(url)
            .await
            .map_err(|source| Error::Tags {
                registry: registry.to_owned(),
                repository: repository.to_owned(),
                source: Box::new(source),
            })?;
        Ok(listed_tags(&artifacts))
    }
}

/// The tags of a repository's artifacts, by name: each with its artifact's digest and the tag's
/// push time (else the artifact's). Artifacts that another one names as its accessory, and
/// untagged ones, give none.
fn listed_tags(artifacts: &[Artifact]) -> Vec<ListedTag> {
    let accessories: HashSet<&str> = artifacts
        .iter()
        .flat_map(|a| a.accessories.iter().flatten())
        .filter_map(|a| a.digest.as_deref())
        .collect();
    let mut tags = BTreeMap::new();
    for artifact in artifacts {
        if artifact
            .digest
            .as_deref()
            .is_some_and(|d| accessories.contains(d))
        {
            continue;
        }
        let digest = artifact.digest.as_deref().and_then(|d| {
            d.parse::<Digest>()
                .inspect_err(|_| {
                    tracing::debug!(
                        digest = d,
                        "Harbor listed a digest that does not parse; asking the registry instead"
                    );
                })
                .ok()
        });
        for tag in artifact.tags.iter().flatten() {
            let pushed_at = tag
                .push_time
                .as_deref()
                .or(artifact.push_time.as_deref())
                .and_then(parse_time);
            tags.insert(
                tag.name.clone(),
                ListedTag {
                    name: tag.name.clone(),
                    digest: digest.clone(),
                    pushed_at,
                },
            );
        }
    }
    tags.into_values().collect()
}

/// Harbor's times are RFC 3339 (`2024-05-01T10:00:00.000Z`).
fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

impl Discovery for Harbor {
    fn vendor(&self) -> Vendor {
        Vendor::Harbor
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn accessories_and_untagged_artifacts_give_no_tags() {
        let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let artifacts: Vec<Artifact> = serde_json::from_value(serde_json::json!([
            {"digest": digest('a'), "push_time": "2026-01-02T03:04:05.000Z",
             "tags": [{"name": "1.0", "push_time": "2026-02-01T00:00:00Z"}, {"name": "latest"}],
             "accessories": [{"digest": digest('c'), "type": "signature.cosign"}]},
            {"digest": digest('b'), "tags": null},
            {"digest": digest('c'), "tags": [{"name": "sha256-aaaa.sig"}]},
            {"digest": "not-a-digest", "tags": [{"name": "odd"}]}
        ]))
        .unwrap();
        let tags = listed_tags(&artifacts);
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["1.0", "latest", "odd"]);
        assert_eq!(tags[0].digest, Some(digest('a').parse().unwrap()));
        assert_eq!(tags[0].pushed_at, parse_time("2026-02-01T00:00:00Z"));
        assert_eq!(tags[1].pushed_at, parse_time("2026-01-02T03:04:05.000Z"));
        assert!(tags[1].pushed_at.is_some());
        assert_eq!(
            tags[2].digest, None,
            "an unparsable digest is asked of the registry"
        );
    }

    #[test]
    fn artifact_urls_encode_nested_repositories_twice() {
        let client = Arc::new(
            plimsoll_registry::RegistryClient::builder()
                .build()
                .unwrap(),
        );
        let harbor = Harbor::new(
            Endpoint::new("harbor.example", client)
                .api_url(Url::parse("https://harbor.example/").unwrap()),
        );
        let url = harbor
            .url(
                &["projects", "lib", "repositories", "team/app", "artifacts"],
                &[],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://harbor.example/api/v2.0/projects/lib/repositories/team%2Fapp/artifacts?page=1&page_size=100"
        );
        let url = harbor
            .url(
                &[
                    "projects",
                    "lib",
                    "repositories",
                    &"team/app".replace('/', "%2F"),
                ],
                &[],
            )
            .unwrap();
        assert!(url.path().ends_with("/repositories/team%252Fapp"), "{url}");
    }
}
