//! Azure Container Registry, through ACR's own listing API
//! (<https://learn.microsoft.com/rest/api/containerregistry/>): `GET /acr/v1/_catalog?n=`
//! ("Repository - Get List") and `GET /acr/v1/{name}/_tags?n=` ("Tag - Get List"), both paged
//! with `last=` in a `Link: <…>; rel="next"` header. Each tag comes with its manifest `digest`,
//! `createdTime` and `lastUpdateTime`, so the scan needs no `HEAD` per tag.
//!
//! The API sits on the registry host beside `/v2/` behind the same token service: a `401`
//! whose `WWW-Authenticate: Bearer realm="https://<host>/oauth2/token"` the registry client
//! already answers (HTTP Basic with the configured user and password at the realm, a bearer
//! token per scope, cached), so this module only names the scopes ACR documents:
//! `registry:catalog:*` for the catalog and `repository:<name>:metadata_read` for tags.
//! Credentials are whatever `docker login` takes: the admin user, a repository-scoped token
//! (name and password) or a service principal (application id and secret).
//!
//! A token whose scope map grants `content/read` but not `metadata/read` (`_repositories_pull`)
//! is refused the tag listing; then the tags come from `/v2/<name>/tags/list` (names only, the
//! digests from the registry), so such a token still scans.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use plimsoll_registry::{ApiResponse, MAX_PAGE_SIZE};
use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// Pages read at most per listing: a guard against an API that never says it is done.
const MAX_PAGES: usize = 10_000;

/// Discovery through ACR's `/acr/v1` listing.
#[derive(Clone, Debug)]
pub struct Acr {
    endpoint: Endpoint,
}

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<TagEntry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagEntry {
    name: String,
    digest: Option<String>,
    created_time: Option<String>,
    last_update_time: Option<String>,
}

impl TagEntry {
    /// The tag as listed: the time it last moved (`lastUpdateTime`, the push of the manifest
    /// it names now), else when it was created.
    fn listed(self) -> ListedTag {
        let time = |t: Option<&str>| t.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        ListedTag {
            digest: self
                .digest
                .as_deref()
                .and_then(|d| d.parse::<Digest>().ok()),
            pushed_at: time(self.last_update_time.as_deref())
                .or_else(|| time(self.created_time.as_deref())),
            name: self.name,
        }
    }
}

/// Repository names as ACR allows them (segments of lowercase letters, digits and `._-`, each
/// starting with a letter or digit, joined by `/`), checked before one goes into a path.
fn valid_repository(name: &str) -> bool {
    name.split('/').all(|segment| {
        segment
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    })
}

impl Acr {
    /// Discovery of `endpoint`'s registry (`<name>.azurecr.io`).
    pub fn new(endpoint: Endpoint) -> Self {
        Acr { endpoint }
    }

    fn page_size(&self) -> usize {
        self.endpoint.page_size.min(MAX_PAGE_SIZE)
    }

    /// GETs `first` and every page its `Link` headers name, passing each answer to `each`
    /// until it says stop (returns `false`).
    async fn pages(
        &self,
        first: String,
        scope: &str,
        what: &str,
        mut each: impl FnMut(&ApiResponse) -> Result<bool>,
    ) -> std::result::Result<(), PageError> {
        let registry = self.endpoint.registry();
        let mut path = first;
        let mut visited = HashSet::new();
        for _ in 0..MAX_PAGES {
            if !visited.insert(path.clone()) {
                break;
            }
            let page = self
                .endpoint
                .client()
                .registry_api_get(registry, &path, scope, what)
                .await
                .map_err(PageError::Registry)?;
            if !each(&page).map_err(PageError::Vendor)? {
                break;
            }
            let Some(next) = page.next_page().map_err(PageError::Registry)? else {
                break;
            };
            path = match next.query() {
                Some(query) => format!("{}?{query}", next.path()),
                None => next.path().to_owned(),
            };
        }
        Ok(())
    }

    fn unexpected(&self, page: &ApiResponse, reason: &plimsoll_registry::Error) -> Error {
        let mut url = page.url().clone();
        url.set_query(None);
        Error::Api {
            registry: self.endpoint.registry().to_owned(),
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let registry = self.endpoint.registry();
        if limit == Some(0) {
            return Ok(Vec::new());
        }
        let n = limit.map_or(self.page_size(), |l| l.min(self.page_size()));
        let mut repositories = BTreeSet::new();
        let what = format!("the repository list (`/acr/v1/_catalog`) of {registry}");
        self.pages(
            format!("/acr/v1/_catalog?n={n}"),
            "registry:catalog:*",
            &what,
            |page| {
                let answer: CatalogPage = page.json().map_err(|e| self.unexpected(page, &e))?;
                let names = answer.repositories.unwrap_or_default();
                let empty = names.is_empty();
                for name in names {
                    if !valid_repository(&name) {
                        return Err(Error::Api {
                            registry: registry.to_owned(),
                            url: "/acr/v1/_catalog".into(),
                            reason: format!("`{}` is no repository name", name.escape_debug()),
                        });
                    }
                    repositories.insert(name);
                }
                // ACR lists in name order: with `limit`, the first page(s) are enough.
                Ok(!empty && limit.is_none_or(|l| repositories.len() < l))
            },
        )
        .await
        .map_err(|e| {
            e.into_error(|source| Error::Repositories {
                registry: registry.to_owned(),
                source,
            })
        })?;
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
            source,
        };
        if !valid_repository(repository) {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason: format!("`{}` is no ACR repository name", repository.escape_debug()),
            });
        }
        let mut tags = BTreeMap::new();
        let what = format!("tags of {registry}/{repository} (`/acr/v1/…/_tags`)");
        let listed = self
            .pages(
                format!("/acr/v1/{repository}/_tags?n={}", self.page_size()),
                &format!("repository:{repository}:metadata_read"),
                &what,
                |page| {
                    let answer: TagPage = page.json().map_err(|e| self.unexpected(page, &e))?;
                    let entries = answer.tags.unwrap_or_default();
                    let empty = entries.is_empty();
                    for tag in entries {
                        tags.insert(tag.name.clone(), tag.listed());
                    }
                    Ok(!empty)
                },
            )
            .await;
        match listed {
            Ok(()) => Ok(tags.into_values().collect()),
            Err(PageError::Registry(plimsoll_registry::Error::ApiRefused { status, .. })) => {
                // No `metadata/read` in the token's scope map: the plain listing needs only
                // `content/read`.
                tracing::debug!(%registry, %repository, status, "ACR tag listing refused; listing /v2/<name>/tags/list instead");
                let names = self
                    .endpoint
                    .client()
                    .tags(registry, repository, self.page_size())
                    .await
                    .map_err(|e| failed(Box::new(e)))?;
                let names: BTreeSet<String> = names.into_iter().collect();
                Ok(names.into_iter().map(ListedTag::named).collect())
            }
            Err(e) => Err(e.into_error(failed)),
        }
    }
}

/// Why paging stopped: the registry refused or failed, or a page was not what ACR documents.
enum PageError {
    Registry(plimsoll_registry::Error),
    Vendor(Error),
}

impl PageError {
    fn into_error(self, wrap: impl FnOnce(Box<plimsoll_registry::Error>) -> Error) -> Error {
        match self {
            PageError::Registry(e) => wrap(Box::new(e)),
            PageError::Vendor(e) => e,
        }
    }
}

impl Discovery for Acr {
    fn vendor(&self) -> Vendor {
        Vendor::Acr
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
    use super::*;

    #[test]
    fn tags_parse_as_the_rest_api_documents_them() {
        // The example answer of "Tag - Get List" (trimmed).
        let page: TagPage = serde_json::from_str(
            r#"{"registry": "myregistry.azurecr.io", "imageName": "hello-world", "tags": [
                {"name": "latest",
                 "digest": "sha256:92c7f9c92844bbbb5d0a101b22f7c2a7949e40f8ea90c8b3bc396879d95e899a",
                 "createdTime": "2018-09-13T18:41:56.9279245Z",
                 "lastUpdateTime": "2018-09-13T19:01:02.7502355Z",
                 "signed": false,
                 "changeableAttributes": {"deleteEnabled": true, "writeEnabled": true,
                   "readEnabled": true, "listEnabled": true}},
                {"name": "v1", "digest": "not a digest", "createdTime": "2018-09-13T18:41:56Z"}
            ]}"#,
        )
        .unwrap();
        let tags: Vec<ListedTag> = page
            .tags
            .unwrap()
            .into_iter()
            .map(TagEntry::listed)
            .collect();
        assert_eq!(tags[0].name, "latest");
        assert_eq!(
            tags[0].digest.as_ref().unwrap().to_string(),
            "sha256:92c7f9c92844bbbb5d0a101b22f7c2a7949e40f8ea90c8b3bc396879d95e899a"
        );
        assert_eq!(
            tags[0].pushed_at.unwrap().unix_timestamp(),
            OffsetDateTime::parse("2018-09-13T19:01:02Z", &Rfc3339)
                .unwrap()
                .unix_timestamp()
        );
        assert_eq!(tags[1].digest, None);
        assert_eq!(
            tags[1].pushed_at,
            Some(OffsetDateTime::parse("2018-09-13T18:41:56Z", &Rfc3339).unwrap())
        );
    }

    #[test]
    fn repository_names_are_checked_before_going_into_a_path() {
        for good in ["hello-world", "team/app", "a.b_c/d-e"] {
            assert!(valid_repository(good), "{good}");
        }
        for bad in [
            "", "/x", "x/", "a//b", "App", "a?b", "a%2fb", "a b", "../x", "a/./b",
        ] {
            assert!(!valid_repository(bad), "{bad}");
        }
    }
}
