//! IBM Cloud Container Registry, through its Container Registry API
//! (<https://cloud.ibm.com/apidocs/container-registry>): one `GET /api/v1/images` on the
//! regional host (`us.icr.io`, …) lists every private image of the account
//! (`includeIBM=false&includePrivate=true&includeManifestLists=true`, `namespace=` per
//! configured namespace), each with its `RepoTags` (`us.icr.io/<namespace>/<repo>:<tag>`),
//! `DigestTags` (manifest digest → tags) and `Created` (Unix seconds). The answer is not paged;
//! it is read once per run and both [`Discovery`] questions are answered from it.
//!
//! The API wants an IAM access token (`Authorization: Bearer`) and the account id
//! (`Account: <id>`). The token comes from exchanging the API key at IBM Cloud IAM
//! (<https://cloud.ibm.com/apidocs/iam-identity-token-api>: `POST /identity/token`,
//! form-encoded `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=…`, answering
//! `access_token`, `expires_in` and `expiration`) and is renewed before it expires. The API
//! key is the registry password of user `iamapikey` (what `docker login` takes too, so pulls
//! use it unchanged); it goes to the IAM URL only, and the IAM token to the API host only.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::{Mutex, OnceCell};
use url::Url;

use plimsoll_registry::ApiAuth;
use plimsoll_types::Digest;

use crate::{BoxFuture, Discovery, Endpoint, Error, ListedTag, Result, Vendor};

/// IBM Cloud IAM's token endpoint, unless configured otherwise.
pub const DEFAULT_IAM_URL: &str = "https://iam.cloud.ibm.com/identity/token";

/// The user name under which ICR takes an API key as password.
pub const API_KEY_USER: &str = "iamapikey";

/// The IAM grant for an API key.
const GRANT_TYPE: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// Discovery through the IBM Cloud Container Registry API.
#[derive(Debug)]
pub struct Icr {
    endpoint: Endpoint,
    iam: Mutex<Option<IamToken>>,
    listing: OnceCell<BTreeMap<String, BTreeMap<String, ListedTag>>>,
}

/// An IAM access token and when to stop using it; `Debug` never shows it.
struct IamToken {
    value: String,
    renew_at: Instant,
}

impl std::fmt::Debug for IamToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IamToken(<redacted>)")
    }
}

#[derive(Deserialize)]
struct IamAnswer {
    access_token: String,
    expires_in: Option<u64>,
    expiration: Option<i64>,
}

/// One entry of `GET /api/v1/images` (`RemoteAPIImage`), the fields used.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemoteImage {
    #[serde(default)]
    repo_tags: Vec<String>,
    #[serde(default)]
    repo_digests: Vec<String>,
    #[serde(default)]
    digest_tags: BTreeMap<String, Vec<String>>,
    created: Option<i64>,
}

/// When to renew a token that lives `lifetime`: at 80 % of it, and at least a minute before
/// it ends (a token about to expire must not be sent); immediately for one shorter than that.
fn renew_after(lifetime: Duration) -> Duration {
    (lifetime * 4 / 5).min(lifetime.saturating_sub(Duration::from_mins(1)))
}

/// `us.icr.io/<namespace>/<repo>:<tag>` → (`<namespace>/<repo>`, `<tag>`).
fn split_repo_tag(repo_tag: &str) -> Option<(&str, &str)> {
    let (_host, rest) = repo_tag.split_once('/')?;
    let (repository, tag) = rest.rsplit_once(':')?;
    (!repository.is_empty() && !tag.is_empty() && !tag.contains('/')).then_some((repository, tag))
}

/// The listing as repository → tag → [`ListedTag`]. A tag's digest is the `DigestTags` key
/// that names it, else the image's only repository digest; `Created` is its date.
fn index(images: Vec<RemoteImage>) -> BTreeMap<String, BTreeMap<String, ListedTag>> {
    let mut repositories: BTreeMap<String, BTreeMap<String, ListedTag>> = BTreeMap::new();
    for image in images {
        let pushed_at = image
            .created
            .filter(|c| *c > 0)
            .and_then(|c| OffsetDateTime::from_unix_timestamp(c).ok());
        let only_digest = match image.repo_digests.as_slice() {
            [one] => one
                .rsplit_once('@')
                .and_then(|(_, d)| d.parse::<Digest>().ok()),
            _ => None,
        };
        for repo_tag in &image.repo_tags {
            let Some((repository, tag)) = split_repo_tag(repo_tag) else {
                tracing::debug!(%repo_tag, "ICR listed a tag that is not host/namespace/repo:tag; ignored");
                continue;
            };
            let digest = image
                .digest_tags
                .iter()
                .find(|(_, tags)| tags.iter().any(|t| t == tag))
                .and_then(|(d, _)| d.parse::<Digest>().ok())
                .or_else(|| only_digest.clone());
            repositories
                .entry(repository.to_owned())
                .or_default()
                .insert(
                    tag.to_owned(),
                    ListedTag {
                        name: tag.to_owned(),
                        digest,
                        pushed_at,
                    },
                );
        }
    }
    repositories
}

impl Icr {
    /// Discovery of `endpoint`'s ICR: the API at [`Endpoint::api_base`] + `/api/v1`, the IAM
    /// token endpoint and account id from the endpoint, the API key from its credentials.
    pub fn new(endpoint: Endpoint) -> Self {
        Icr {
            endpoint,
            iam: Mutex::new(None),
            listing: OnceCell::new(),
        }
    }

    fn config_error(&self, reason: impl Into<String>) -> Error {
        Error::Config {
            registry: self.endpoint.registry().to_owned(),
            reason: reason.into(),
        }
    }

    fn api_key(&self) -> Result<&str> {
        match self.endpoint.api_credentials_ref() {
            Some(c) if c.username() == API_KEY_USER => Ok(c.password()),
            _ => Err(self.config_error(format!(
                "type = \"icr\" needs user = \"{API_KEY_USER}\" and an IBM Cloud API key as its password"
            ))),
        }
    }

    fn iam_url(&self) -> Result<Url> {
        match &self.endpoint.api.iam_url {
            Some(url) => Ok(url.clone()),
            None => Url::parse(DEFAULT_IAM_URL).map_err(|e| self.config_error(e.to_string())),
        }
    }

    /// The current IAM token, exchanged for a new one when due.
    async fn iam_token(&self) -> Result<String> {
        let mut slot = self.iam.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let url = self.iam_url()?;
        let answer = self
            .endpoint
            .client()
            .api_post_form(
                &url,
                &[("grant_type", GRANT_TYPE), ("apikey", self.api_key()?)],
            )
            .await
            .map_err(|e| Error::Repositories {
                registry: self.endpoint.registry().to_owned(),
                source: Box::new(e),
            })?;
        let answer: IamAnswer = answer.json().map_err(|e| Error::Api {
            registry: self.endpoint.registry().to_owned(),
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let lifetime = answer
            .expires_in
            .or_else(|| {
                let left = answer.expiration? - OffsetDateTime::now_utc().unix_timestamp();
                u64::try_from(left).ok()
            })
            .map_or(Duration::ZERO, Duration::from_secs);
        let renew_at = Instant::now() + renew_after(lifetime);
        if slot.is_some() {
            tracing::debug!(registry = %self.endpoint.registry(), "IBM Cloud IAM token renewed");
        }
        *slot = Some(IamToken {
            value: answer.access_token.clone(),
            renew_at,
        });
        Ok(answer.access_token)
    }

    fn images_url(&self, namespace: Option<&str>) -> Result<Url> {
        let mut url = self.endpoint.api_base()?;
        let shown = url.to_string();
        url.path_segments_mut()
            .map_err(|()| self.config_error(format!("API URL `{shown}` cannot take a path")))?
            .pop_if_empty()
            .extend(["api", "v1", "images"]);
        let mut query = url.query_pairs_mut();
        query.extend_pairs([
            ("includeIBM", "false"),
            ("includePrivate", "true"),
            ("includeManifestLists", "true"),
            ("vulnerabilities", "false"),
        ]);
        if let Some(namespace) = namespace {
            query.append_pair("namespace", namespace);
        }
        drop(query);
        Ok(url)
    }

    /// Every image of the account (or of the configured namespaces), read once.
    async fn listing(&self) -> Result<&BTreeMap<String, BTreeMap<String, ListedTag>>> {
        self.listing
            .get_or_try_init(|| async {
                let account = self.endpoint.api.account_id.clone().ok_or_else(|| {
                    self.config_error(
                        "type = \"icr\" needs `account_id` (the IBM Cloud account that owns the namespaces)",
                    )
                })?;
                let namespaces: Vec<Option<&str>> = if self.endpoint.namespace_list().is_empty() {
                    vec![None]
                } else {
                    self.endpoint
                        .namespace_list()
                        .iter()
                        .map(|n| Some(n.as_str()))
                        .collect()
                };
                let mut images = Vec::new();
                for namespace in namespaces {
                    let url = self.images_url(namespace)?;
                    let token = self.iam_token().await?;
                    let page: Vec<RemoteImage> = self
                        .endpoint
                        .client()
                        .api_get_with_headers(&url, ApiAuth::Bearer(&token), &[("account", &account)])
                        .await
                        .and_then(|r| r.json())
                        .map_err(|e| Error::Repositories {
                            registry: self.endpoint.registry().to_owned(),
                            source: Box::new(e),
                        })?;
                    images.extend(page);
                }
                Ok::<_, Error>(index(images))
            })
            .await
    }

    async fn list_repositories(&self, limit: Option<usize>) -> Result<Vec<String>> {
        let names: BTreeSet<&String> = self.listing().await?.keys().collect();
        Ok(names
            .into_iter()
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<ListedTag>> {
        let listing = self.listing().await?;
        match listing.get(repository) {
            Some(tags) => Ok(tags.values().cloned().collect()),
            None => Err(Error::Tags {
                registry: self.endpoint.registry().to_owned(),
                repository: repository.to_owned(),
                source: Box::new(plimsoll_registry::Error::RepositoryUnknown {
                    registry: self.endpoint.registry().to_owned(),
                    repository: repository.to_owned(),
                    detail: ": not in the account's image list".into(),
                }),
            }),
        }
    }
}

impl Discovery for Icr {
    fn vendor(&self) -> Vendor {
        Vendor::Icr
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

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn images_map_to_repositories_and_tags() {
        // The shape of `RemoteAPIImage` in the API reference.
        let images: Vec<RemoteImage> = serde_json::from_value(serde_json::json!([
            {"Id": "sha256:aaaa", "ParentId": "", "Created": 1_767_323_045,
             "DigestTags": {D1: ["1.0", "latest"]},
             "RepoTags": ["us.icr.io/team/app:1.0", "us.icr.io/team/app:latest"],
             "RepoDigests": [format!("us.icr.io/team/app@{D1}")],
             "Size": 1, "VirtualSize": 1, "Vulnerable": "false", "VulnerabilityCount": 0,
             "ManifestType": "application/vnd.oci.image.manifest.v1+json", "Labels": {}},
            {"Created": 0, "RepoTags": ["us.icr.io/team/sub/web:2"],
             "RepoDigests": [format!("us.icr.io/team/sub/web@{D2}")]},
            {"RepoTags": ["no-namespace", "us.icr.io/team/app:"]}
        ]))
        .unwrap();
        let index = index(images);
        assert_eq!(
            index.keys().collect::<Vec<_>>(),
            ["team/app", "team/sub/web"]
        );
        let app = &index["team/app"];
        assert_eq!(app.keys().collect::<Vec<_>>(), ["1.0", "latest"]);
        assert_eq!(app["1.0"].digest.as_ref().unwrap().to_string(), D1);
        assert_eq!(
            app["latest"].pushed_at.unwrap().unix_timestamp(),
            1_767_323_045
        );
        let web = &index["team/sub/web"]["2"];
        assert_eq!(web.digest.as_ref().unwrap().to_string(), D2);
        assert_eq!(web.pushed_at, None);
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        // IAM's usual hour: at 48 minutes.
        assert_eq!(
            renew_after(Duration::from_hours(1)),
            Duration::from_mins(48)
        );
        // Short ones: at least a minute early, so never sent about to expire.
        assert_eq!(renew_after(Duration::from_mins(2)), Duration::from_mins(1));
        assert_eq!(renew_after(Duration::from_secs(30)), Duration::ZERO);
        assert_eq!(renew_after(Duration::ZERO), Duration::ZERO);
    }
}
