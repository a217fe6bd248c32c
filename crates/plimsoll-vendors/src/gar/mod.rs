//! Google Artifact Registry (`<location>-docker.pkg.dev`) and Container Registry (`gcr.io`,
//! `*.gcr.io`), `type = "gar"` (alias `gcr`, the Sysdig chart's name).
//!
//! Discovery:
//! - with `namespaces` (`project/repository`, each an Artifact Registry repository), through
//!   the Artifact Registry API
//!   (<https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories.dockerImages/list>):
//!   `GET {api}/v1/projects/{project}/locations/{location}/repositories/{repository}/dockerImages
//!   ?pageSize=N[&pageToken=T]`, one item per manifest with its `uri` (`host/project/repository/
//!   image@sha256:…`), `tags` and `uploadTime`: repositories and [`ListedTag`]s with digest and
//!   push time in one listing, read once per run;
//! - without, through `/v2/_catalog` (what GCR answers), as [`Distribution`] does.
//!
//! Credentials: a service-account key ([`ServiceAccountKey`]), used for pulls one of two ways
//! ([`PullAuth`]): an OAuth2 access token (`oauth2accesstoken` + token, renewed before it
//! expires: [`token`]) or the key itself (`_json_key` + the JSON, what `docker login -u
//! _json_key` does). The API always takes the access token as a bearer token. The key's
//! private key is sent nowhere (`gcp_auth` signs with it); the token goes only to the
//! `token_uri` host (which issues it), the API host and the registry host.

mod key;
mod token;

use std::collections::BTreeMap;
use std::sync::Arc;

use plimsoll_registry::{ApiAuth, CredentialStore, Credentials, SharedCredentials};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use url::Url;

use crate::{
    BoxFuture, Discovery, Distribution, Endpoint, Error, ListedTag, Resolved, Result, Vendor,
};

pub use crate::gar::key::ServiceAccountKey;

/// The Artifact Registry API, unless `api_url` says otherwise.
pub const DEFAULT_API_URL: &str = "https://artifactregistry.googleapis.com/";

/// The API's `pageSize` maximum.
const MAX_PAGE_SIZE: usize = 1000;

/// Pages read at most per repository: a guard against an API that never says it is done.
const MAX_PAGES: usize = 10_000;

/// How pulls authenticate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullAuth {
    /// `oauth2accesstoken` + an access token from the key (Google's recommendation: the
    /// registry never sees the key).
    #[default]
    AccessToken,
    /// `_json_key` + the key's JSON, as `docker login -u _json_key` does.
    JsonKey,
}

impl PullAuth {
    /// The configuration names, in messages' order.
    pub const NAMES: [&'static str; 2] = ["access_token", "json_key"];

    /// From its configuration name.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "access_token" => Some(PullAuth::AccessToken),
            "json_key" => Some(PullAuth::JsonKey),
            _ => None,
        }
    }
}

/// `type = "gar"`'s own settings.
#[derive(Clone, Debug, Default)]
pub struct GcpOptions {
    /// The service-account key; `None`: anonymous (public images).
    pub key: Option<Arc<ServiceAccountKey>>,
    /// How pulls authenticate.
    pub pull_auth: PullAuth,
    /// The Artifact Registry location (`us`, `europe-west1`); default: from a
    /// `<location>-docker.pkg.dev` host.
    pub location: Option<String>,
}

/// Discovery of one Google registry host.
pub struct Gar {
    /// Its client carries the pull credentials (the `/v2/_catalog` fallback needs them).
    endpoint: Endpoint,
    location: Option<String>,
    /// `oauth2accesstoken` + the current access token, when there is a key and a use for it.
    token: Option<SharedCredentials>,
    /// Every repository's tags, from one listing of the configured repositories.
    listed: OnceCell<BTreeMap<String, Vec<ListedTag>>>,
    _refresh: Option<crate::renewal::RefreshTask>,
}

impl std::fmt::Debug for Gar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gar")
            .field("registry", &self.endpoint.registry())
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImagesPage {
    #[serde(default)]
    docker_images: Vec<DockerImage>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerImage {
    uri: String,
    #[serde(default)]
    tags: Vec<String>,
    upload_time: Option<String>,
}

/// The host's registry, with pull credentials issued from the key (renewed while it lives).
pub(crate) async fn resolve(mut endpoint: Endpoint, options: GcpOptions) -> Result<Vec<Resolved>> {
    let registry = endpoint.registry().to_owned();
    let listing = !endpoint.namespace_list().is_empty();
    let location = match (&options.location, registry.strip_suffix("-docker.pkg.dev")) {
        (Some(location), _) => Some(location.clone()),
        (None, Some(location)) => Some(location.to_owned()),
        (None, None) if listing => {
            return Err(Error::Config {
                registry,
                reason: "type = \"gar\" with `namespaces` needs `location` (the Artifact Registry location, e.g. `us` or `europe-west1`) when the host is not <location>-docker.pkg.dev".into(),
            });
        }
        (None, None) => None,
    };
    let Some(key) = options.key else {
        return Ok(vec![Resolved {
            discovery: Box::new(Gar {
                endpoint,
                location,
                token: None,
                listed: OnceCell::new(),
                _refresh: None,
            }),
            credentials: None,
            plain_http: None,
        }]);
    };
    tracing::debug!(%registry, account = %key.client_email(), mode = ?options.pull_auth, "Google service account");
    let needs_token = options.pull_auth == PullAuth::AccessToken || listing;
    let (token, refresh) = if needs_token {
        let (token, refresh) = token::start(
            Arc::clone(&key),
            registry.clone(),
            Arc::clone(&endpoint.client),
        )
        .await?;
        (Some(token), Some(refresh))
    } else {
        (None, None)
    };
    let pull = match (options.pull_auth, &token) {
        (PullAuth::AccessToken, Some(token)) => token.clone(),
        _ => SharedCredentials::new(Credentials::new("_json_key", key.json())),
    };
    let mut store = CredentialStore::new();
    store.insert_shared(&registry, pull.clone());
    endpoint.client = Arc::new(endpoint.client().with_credentials(store));
    Ok(vec![Resolved {
        discovery: Box::new(Gar {
            endpoint,
            location,
            token,
            listed: OnceCell::new(),
            _refresh: refresh,
        }),
        credentials: Some(pull),
        plain_http: None,
    }])
}

impl Gar {
    fn catalog(&self) -> Distribution {
        Distribution::for_vendor(self.endpoint.clone(), Vendor::Gar)
    }

    /// `{api}/v1/projects/{project}/locations/{location}/repositories/{repository}/dockerImages`.
    fn images_url(&self, project: &str, repository: &str, page_token: Option<&str>) -> Result<Url> {
        let registry = self.endpoint.registry();
        let location = self.location.as_deref().unwrap_or_default();
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| Error::Config {
                registry: registry.to_owned(),
                reason: format!("API URL `{shown}` cannot take a path"),
            })?
            .pop_if_empty()
            .extend([
                "v1",
                "projects",
                project,
                "locations",
                location,
                "repositories",
                repository,
                "dockerImages",
            ]);
        let size = self.endpoint.page_size.min(MAX_PAGE_SIZE).to_string();
        url.query_pairs_mut().append_pair("pageSize", &size);
        if let Some(page_token) = page_token {
            url.query_pairs_mut().append_pair("pageToken", page_token);
        }
        Ok(url)
    }

    /// Every configured repository's images, as repository → tags.
    async fn list_all(&self) -> Result<BTreeMap<String, Vec<ListedTag>>> {
        let registry = self.endpoint.registry();
        let failed = |source| Error::Repositories {
            registry: registry.to_owned(),
            source: Box::new(source),
        };
        let mut by_repository: BTreeMap<String, BTreeMap<String, ListedTag>> = BTreeMap::new();
        for namespace in self.endpoint.namespace_list() {
            let Some((project, repository)) = namespace.split_once('/') else {
                return Err(Error::Config {
                    registry: registry.to_owned(),
                    reason: format!("namespaces: `{namespace}` is not `project/repository`"),
                });
            };
            let prefix = format!("{project}/{repository}/");
            let mut page_token: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let url = self.images_url(project, repository, page_token.as_deref())?;
                let credentials = self.token.as_ref().map(SharedCredentials::get);
                let auth = credentials
                    .as_ref()
                    .map_or(ApiAuth::Anonymous, |c| ApiAuth::Bearer(c.password()));
                let page: ImagesPage = self
                    .endpoint
                    .client()
                    .api_get(&url, auth)
                    .await
                    .and_then(|r| r.json())
                    .map_err(failed)?;
                for image in page.docker_images {
                    let Some((name, digest)) = image_name(&image.uri, &prefix) else {
                        return Err(Error::Api {
                            registry: registry.to_owned(),
                            url: url[..url::Position::AfterPath].to_owned(),
                            reason: format!(
                                "image uri `{}` is not <host>/{prefix}<image>@<digest>",
                                image.uri.escape_debug()
                            ),
                        });
                    };
                    let pushed_at = image.upload_time.as_deref().and_then(|t| {
                        OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                            .ok()
                    });
                    let tags = by_repository.entry(name).or_default();
                    for tag in image.tags {
                        tags.insert(
                            tag.clone(),
                            ListedTag {
                                name: tag,
                                digest: Some(digest.clone()),
                                pushed_at,
                            },
                        );
                    }
                }
                match page.next_page_token {
                    Some(next)
                        if !next.is_empty() && page_token.as_deref() != Some(next.as_str()) =>
                    {
                        page_token = Some(next);
                    }
                    _ => break,
                }
            }
        }
        Ok(by_repository
            .into_iter()
            // Untagged images (only digests) are not scanned: no tag names them.
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(name, tags)| (name, tags.into_values().collect()))
            .collect())
    }

    async fn listed(&self) -> Result<&BTreeMap<String, Vec<ListedTag>>> {
        self.listed.get_or_try_init(|| self.list_all()).await
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        if self.endpoint.namespace_list().is_empty() {
            return self.catalog().repositories(limit).await;
        }
        Ok(self
            .listed()
            .await?
            .keys()
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        if self.endpoint.namespace_list().is_empty() {
            return self.catalog().tags(repository).await;
        }
        Ok(self
            .listed()
            .await?
            .get(repository)
            .cloned()
            .unwrap_or_default())
    }
}

/// `host/project/repository/image@sha256:…` → (`project/repository/image`, digest), when the
/// path starts with `prefix` (`project/repository/`).
fn image_name(uri: &str, prefix: &str) -> Option<(String, plimsoll_types::Digest)> {
    let (_host, path) = uri.split_once('/')?;
    let (name, digest) = path.split_once('@')?;
    let image = name.strip_prefix(prefix)?;
    if image.is_empty() {
        return None;
    }
    Some((name.to_owned(), digest.parse().ok()?))
}

impl Discovery for Gar {
    fn vendor(&self) -> Vendor {
        Vendor::Gar
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
    fn image_uris_name_repository_and_digest() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let (name, d) = image_name(
            &format!("us-docker.pkg.dev/lab/images/team/app@{digest}"),
            "lab/images/",
        )
        .unwrap();
        assert_eq!(name, "lab/images/team/app");
        assert_eq!(d.to_string(), digest);
        for bad in [
            format!("us-docker.pkg.dev/other/images/app@{digest}"),
            format!("us-docker.pkg.dev/lab/images/@{digest}"),
            "us-docker.pkg.dev/lab/images/app@sha256:short".to_owned(),
            "us-docker.pkg.dev/lab/images/app".to_owned(),
        ] {
            assert!(image_name(&bad, "lab/images/").is_none(), "{bad}");
        }
    }

    #[test]
    fn pull_auth_names() {
        assert_eq!(PullAuth::parse("access_token"), Some(PullAuth::AccessToken));
        assert_eq!(PullAuth::parse("json_key"), Some(PullAuth::JsonKey));
        assert_eq!(PullAuth::parse("basic"), None);
        assert_eq!(PullAuth::default(), PullAuth::AccessToken);
    }
}
