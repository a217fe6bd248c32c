//! `OpenShift`'s integrated registry (`type = "ocp"`), through the image streams of the
//! `OpenShift` API (`image.openshift.io/v1`,
//! <https://docs.openshift.com/container-platform/latest/rest_api/image_apis/imagestream-image-openshift-io-v1.html>):
//! `GET <api_url>/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams` per configured
//! namespace, or `GET <api_url>/apis/image.openshift.io/v1/imagestreams` for every namespace
//! the token may read, paged with `limit` and the `metadata.continue` token the list returns.
//! A stream `ns/name` is the registry repository `ns/name`; each of its `status.tags[]` gives
//! the tag, and that tag's newest history entry (`items[0]`) the manifest digest (`image`) and
//! when it was tagged (`created`). One listing per run gives every tag of every stream, so
//! [`Discovery::tags`] asks the API again only for a stream the listing did not name.
//!
//! The token (a service account's, or `oc whoami -t`) goes to the API host as
//! `Authorization: Bearer`, and to the registry as the password of any user name (its token
//! endpoint takes it): nowhere else. Without `api_url` the registry's own `/v2/_catalog` is
//! used, as for `type = "distribution"`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use plimsoll_registry::ApiAuth;
use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Distribution, Endpoint, Error, ListedTag, Result, Vendor};

/// Pages read at most per listing: a guard against an API that never says it is done.
const MAX_PAGES: usize = 10_000;

/// Discovery through `OpenShift` image streams, or the registry's catalog without an API URL.
#[derive(Debug)]
pub struct Ocp {
    endpoint: Endpoint,
    /// Without `api_url`: the registry's catalog.
    catalog: Option<Distribution>,
    /// Repository (`ns/stream`) → its tags, filled by the repository listing.
    streams: Mutex<BTreeMap<String, Vec<ListedTag>>>,
}

/// `ImageStreamList`.
#[derive(Deserialize)]
struct StreamList {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Vec<ImageStream>,
}

#[derive(Default, Deserialize)]
struct ListMeta {
    #[serde(rename = "continue")]
    next: Option<String>,
}

#[derive(Deserialize)]
struct ImageStream {
    metadata: ObjectMeta,
    #[serde(default)]
    status: StreamStatus,
}

#[derive(Deserialize)]
struct ObjectMeta {
    name: String,
    namespace: String,
}

#[derive(Default, Deserialize)]
struct StreamStatus {
    /// `null` for a stream with no tag yet.
    #[serde(default)]
    tags: Option<Vec<NamedTagEventList>>,
}

#[derive(Deserialize)]
struct NamedTagEventList {
    tag: String,
    /// Newest first; empty (or `null`) while an import has not succeeded yet.
    #[serde(default)]
    items: Option<Vec<TagEvent>>,
}

#[derive(Deserialize)]
struct TagEvent {
    image: Option<String>,
    created: Option<String>,
}

impl ImageStream {
    fn repository(&self) -> String {
        format!("{}/{}", self.metadata.namespace, self.metadata.name)
    }

    /// Tags with at least one image, sorted by name.
    fn tags(&self) -> Vec<ListedTag> {
        let mut tags: BTreeMap<&str, ListedTag> = BTreeMap::new();
        for tag in self.status.tags.iter().flatten() {
            let Some(newest) = tag.items.as_ref().and_then(|i| i.first()) else {
                continue;
            };
            tags.insert(
                &tag.tag,
                ListedTag {
                    name: tag.tag.clone(),
                    digest: newest
                        .image
                        .as_deref()
                        .and_then(|d| d.parse::<Digest>().ok()),
                    pushed_at: newest
                        .created
                        .as_deref()
                        .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok()),
                },
            );
        }
        tags.into_values().collect()
    }
}

impl Ocp {
    /// Discovery of `endpoint`'s integrated registry: through image streams when the endpoint
    /// has an API URL ([`Endpoint::api_url`]: the cluster's API server), else its catalog.
    pub fn new(endpoint: Endpoint) -> Self {
        let catalog = endpoint
            .api
            .url
            .is_none()
            .then(|| Distribution::for_vendor(endpoint.clone(), Vendor::Ocp));
        Ocp {
            endpoint,
            catalog,
            streams: Mutex::new(BTreeMap::new()),
        }
    }

    fn auth(&self) -> ApiAuth<'_> {
        match self.endpoint.api_credentials_ref() {
            Some(c) => ApiAuth::Bearer(c.password()),
            None => ApiAuth::Anonymous,
        }
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: self.endpoint.registry().to_owned(),
                reason: format!("api_url `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend(["apis", "image.openshift.io", "v1"])
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Every page of one image stream list (`segments` under `/apis/image.openshift.io/v1`),
    /// or with `enough`, the pages up to the first `enough` streams. Lists come in storage key
    /// order (namespace, then name), so those are the sorted first ones; checked, and a list
    /// out of order is read whole.
    async fn list_streams(
        &self,
        segments: &[&str],
        enough: Option<usize>,
    ) -> Result<Vec<ImageStream>> {
        let registry = self.endpoint.registry();
        let failed = |source| Error::Repositories {
            registry: registry.to_owned(),
            source: Box::new(source),
        };
        let limit = self.endpoint.page_size.to_string();
        let mut streams = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("limit", limit.as_str())];
            if let Some(next) = &next {
                query.push(("continue", next.as_str()));
            }
            let url = self.url(segments, &query)?;
            let page: StreamList = self
                .endpoint
                .client()
                .api_get(&url, self.auth())
                .await
                .and_then(|r| r.json())
                .map_err(failed)?;
            streams.extend(page.items);
            if enough.is_some_and(|n| streams.len() >= n)
                && streams.is_sorted_by_key(ImageStream::repository)
            {
                break;
            }
            match page.metadata.next {
                Some(token) if !token.is_empty() && next.as_deref() != Some(token.as_str()) => {
                    next = Some(token);
                }
                _ => break,
            }
        }
        Ok(streams)
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        if let Some(catalog) = &self.catalog {
            return catalog.repositories(limit).await;
        }
        let streams = match self.endpoint.namespace_list() {
            [] => self.list_streams(&["imagestreams"], limit).await?,
            [namespace] => {
                self.list_streams(&["namespaces", namespace, "imagestreams"], limit)
                    .await?
            }
            // Several lists: only all of them give the sorted first ones.
            namespaces => {
                let mut all = Vec::new();
                for namespace in namespaces {
                    all.extend(
                        self.list_streams(&["namespaces", namespace, "imagestreams"], None)
                            .await?,
                    );
                }
                all
            }
        };
        let found: BTreeMap<String, Vec<ListedTag>> =
            streams.iter().map(|s| (s.repository(), s.tags())).collect();
        let names: Vec<String> = found
            .keys()
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        *self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = found;
        Ok(names)
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        if let Some(catalog) = &self.catalog {
            return catalog.tags(repository).await;
        }
        let listed = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(repository)
            .cloned();
        if let Some(tags) = listed {
            return Ok(tags);
        }
        // Not in this run's listing: read the one stream.
        let registry = self.endpoint.registry();
        let failed = |source| Error::Tags {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            source: Box::new(source),
        };
        let Some((namespace, name)) = repository.split_once('/') else {
            return Err(Error::Config {
                registry: registry.to_owned(),
                reason: format!("`{repository}` is no image stream (namespace/name)"),
            });
        };
        let url = self.url(&["namespaces", namespace, "imagestreams", name], &[])?;
        let stream: ImageStream = self
            .endpoint
            .client()
            .api_get(&url, self.auth())
            .await
            .and_then(|r| r.json())
            .map_err(failed)?;
        Ok(stream.tags())
    }
}

impl Discovery for Ocp {
    fn vendor(&self) -> Vendor {
        Vendor::Ocp
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

    /// The documented `ImageStream` shape: tags with a history, newest first; a tag whose
    /// import failed has no items and is not listed.
    #[test]
    fn a_stream_gives_its_tags_newest_image() {
        let stream: ImageStream = serde_json::from_value(serde_json::json!({
            "kind": "ImageStream",
            "metadata": {"name": "app", "namespace": "team"},
            "spec": {"lookupPolicy": {"local": false}},
            "status": {
                "dockerImageRepository": "image-registry.openshift-image-registry.svc:5000/team/app",
                "tags": [
                    {"tag": "v2", "items": [
                        {"created": "2026-01-02T03:04:05Z", "dockerImageReference": "x@sha256:2222222222222222222222222222222222222222222222222222222222222222",
                         "image": "sha256:2222222222222222222222222222222222222222222222222222222222222222", "generation": 2},
                        {"created": "2025-01-02T03:04:05Z", "image": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "generation": 1}
                    ]},
                    {"tag": "broken", "items": null, "conditions": [{"type": "ImportSuccess", "status": "False"}]}
                ]
            }
        }))
        .unwrap();
        assert_eq!(stream.repository(), "team/app");
        let tags = stream.tags();
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].name, "v2");
        assert_eq!(
            tags[0].digest.as_ref().unwrap().to_string(),
            "sha256:2222222222222222222222222222222222222222222222222222222222222222"
        );
        assert_eq!(tags[0].pushed_at.unwrap().unix_timestamp(), 1_767_323_045);
        let empty: ImageStream = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "new", "namespace": "team"}, "status": {"tags": null}
        }))
        .unwrap();
        assert!(empty.tags().is_empty());
    }
}
