//! Registry discovery: which repositories and tags a registry holds, behind one trait so that
//! `plimsoll registry scan` does not care which vendor it talks to.
//!
//! - [`Discovery`]: the seam. Two questions, asked per registry: its repositories (optionally
//!   only the first N) and the tags of one repository. Object safe, so a run holds a
//!   `Vec<Box<dyn Discovery>>` built from configuration.
//! - [`Endpoint`]: what an implementation is built from: the registry host as image
//!   references name it and the shared [`RegistryClient`] (credentials, CA certificates,
//!   retries). Vendors that need more (an API URL, a region) grow it with builder methods.
//! - [`Vendor`] and [`discovery`] (`src/all.rs`): the closed list of registry types a
//!   configuration may name, each mapped to its implementation.
//! - [`resolve`]: one configured registry → the registry hosts it stands for ([`Resolved`]):
//!   one for most vendors, every member account × region for ECR in Organizations mode, each
//!   with vendor-issued pull credentials where the vendor has them (ECR's authorization
//!   tokens, Google's access tokens).
//! - One module per vendor: [`Distribution`] (plain OCI Distribution v2: `/v2/_catalog` and
//!   `/v2/<name>/tags/list`), [`Harbor`] (API v2.0), [`Quay`] (API v1), [`Gitlab`] (API v4),
//!   [`DockerHub`] (Hub API), [`Artifactory`] (its Docker API), [`Ocp`] (`OpenShift` image
//!   streams), [`ecr`] (Amazon ECR through the AWS SDK), [`Acr`] (ACR's `/acr/v1` listing on the registry host, through the registry's
//!   own token flow: [`RegistryClient::registry_api_get`]), [`Icr`] (IBM Cloud Container
//!   Registry's `/api/v1/images` with an IAM token renewed before expiry), [`gar`] (Google
//!   Artifact Registry's API, GCR's catalog; access tokens from a service-account key); Nexus
//!   connectors use
//!   [`Distribution`]. Vendor APIs are called
//!   through [`RegistryClient::api_get`], which keeps their credentials to their own host.
//!
//! Discovery stops at names, plus a tag's digest and push time where the vendor's listing
//! gives them ([`ListedTag`]). Which images to scan (age, patterns, caps) is decided by
//! `plimsoll-filter`; digests not listed and creation dates come from `plimsoll-registry`
//! ([`RegistryClient::manifest_digest`], the image config).
//!
//! ## Why boxed futures
//!
//! Rust 1.95 has `async fn` in traits, but such traits are not object safe: a
//! `Box<dyn Discovery>` needs a nameable future type. The methods therefore return
//! [`BoxFuture`], a pinned boxed `Send` future; implementations write
//! `Box::pin(async move { … })`. One allocation per listing call is nothing next to the HTTP
//! round trips behind it, and it spares a macro crate (`async-trait`).
//!
//! Depends only on `plimsoll-registry` and `plimsoll-types` among Plimsoll's crates. The AWS
//! SDK is a plain dependency, not a feature: the one binary needs it anyway, and a feature would
//! have to be built and tested both ways in CI (its cost: docs/performance.md).

#![deny(missing_docs)]

mod acr;
mod all;
mod artifactory;
mod distribution;
mod dockerhub;
pub mod ecr;
mod error;
pub mod gar;
mod gitlab;
mod harbor;
mod icr;
mod ocp;
mod quay;
mod renewal;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use plimsoll_registry::{ApiAuth, Credentials, RegistryClient, SharedCredentials};
use plimsoll_types::Digest;
use time::OffsetDateTime;
use url::Url;

pub use crate::acr::Acr;
pub use crate::all::{Vendor, discovery, resolve};
pub use crate::artifactory::{AccessMethod, Artifactory};
pub use crate::distribution::Distribution;
pub use crate::dockerhub::DockerHub;
pub use crate::error::{Error, Result};
pub use crate::gitlab::Gitlab;
pub use crate::harbor::Harbor;
pub use crate::icr::{API_KEY_USER as ICR_API_KEY_USER, DEFAULT_IAM_URL, Icr};
pub use crate::ocp::Ocp;
pub use crate::quay::Quay;

/// A boxed future that may move between threads, as [`Discovery`]'s methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Finds what one registry holds.
pub trait Discovery: Send + Sync {
    /// The vendor this implementation speaks.
    fn vendor(&self) -> Vendor;

    /// The registry host, as image references name it (`registry.example.com`,
    /// `127.0.0.1:5000`).
    fn registry(&self) -> &str;

    /// The registry's repositories, sorted and without duplicates. With `limit`, only the
    /// first `limit` of that sorted list, and implementations stop listing early where the
    /// vendor's API allows it.
    fn repositories(&self, limit: Option<usize>) -> BoxFuture<'_, Result<Vec<String>>>;

    /// The tags of `repository` (a name from [`Discovery::repositories`]), sorted by name and
    /// without duplicates. Tags sharing one manifest are all listed. Vendors whose API says
    /// more than the name (Harbor, ECR: digest and push time) fill [`ListedTag`]'s other
    /// fields, which spare the scan a request per tag and give undated images a date.
    fn tags<'a>(&'a self, repository: &'a str) -> BoxFuture<'a, Result<Vec<ListedTag>>>;
}

/// Vendor-specific configuration of one registry (the sub-tables of `[[registries]]`), each
/// owned by its vendor's module.
#[derive(Clone, Debug, Default)]
pub struct VendorOptions {
    /// `[registries.aws]` of `type = "ecr"`.
    pub aws: Option<ecr::AwsConfig>,
    /// `type = "gar"`: the service-account key, pull authentication, location.
    pub gcp: Option<gar::GcpOptions>,
    /// The registry's CA certificate and proxy, for vendor calls that do not go through the
    /// [`RegistryClient`] (the AWS SDK's).
    pub network: Network,
}

/// How a registry's vendor API is reached when its client is not the [`RegistryClient`]:
/// the registry's `ca_cert` and `proxy` keys.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_cert: Option<std::path::PathBuf>,
    /// An HTTP(S) proxy for every call, without credentials (else the
    /// `HTTPS_PROXY`/`NO_PROXY` environment).
    pub proxy: Option<Url>,
    /// The proxy's Basic credentials (redacted in `Debug`).
    pub proxy_credentials: Option<Credentials>,
}

/// One registry host a configured registry stands for ([`resolve`]).
pub struct Resolved {
    /// Lists it; [`Discovery::registry`] is the host its images are pulled from and named after.
    pub discovery: Box<dyn Discovery>,
    /// Pull credentials the vendor issued for this host alone (ECR's authorization token),
    /// kept current while `discovery` lives; `None`: the configured ones.
    pub credentials: Option<SharedCredentials>,
    /// Whether the host is plain HTTP, when the vendor decides it; `None`: as configured.
    pub plain_http: Option<bool>,
}

/// One tag as a listing found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedTag {
    /// The tag.
    pub name: String,
    /// The manifest digest it points at, when the vendor's listing says (then the scan does
    /// not ask the registry with a `HEAD`).
    pub digest: Option<Digest>,
    /// When it was pushed, when the vendor's listing says; the filters' age rule uses it for
    /// images whose configuration has no creation date.
    pub pushed_at: Option<OffsetDateTime>,
}

impl ListedTag {
    /// A tag known by name only (what `/v2/<name>/tags/list` gives).
    pub fn named(name: impl Into<String>) -> Self {
        ListedTag {
            name: name.into(),
            digest: None,
            pushed_at: None,
        }
    }
}

/// Where a registry is and how to talk to it: what every [`Discovery`] is built from.
#[derive(Clone, Debug)]
pub struct Endpoint {
    registry: String,
    client: Arc<RegistryClient>,
    page_size: usize,
    api: VendorApi,
}

/// Where a vendor's own HTTP API is and who to be there (Harbor, Quay, Docker Hub, GitLab…).
#[derive(Clone, Debug, Default)]
struct VendorApi {
    url: Option<Url>,
    credentials: Option<Credentials>,
    token: Option<Token>,
    namespaces: Vec<String>,
    access_method: AccessMethod,
    /// ICR: IBM Cloud IAM's token endpoint (default [`DEFAULT_IAM_URL`]).
    iam_url: Option<Url>,
    /// ICR: the IBM Cloud account id sent as `Account`.
    account_id: Option<String>,
}

/// A vendor API token; `Debug` never shows it.
#[derive(Clone)]
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Endpoint {
    /// The default number of names asked for per page of a listing.
    pub const DEFAULT_PAGE_SIZE: usize = 100;

    /// `registry` is the host as image references name it (`127.0.0.1:5000`, `docker.io`);
    /// `client` is shared by every registry of a run.
    pub fn new(registry: impl Into<String>, client: Arc<RegistryClient>) -> Self {
        Endpoint {
            registry: registry.into(),
            client,
            page_size: Self::DEFAULT_PAGE_SIZE,
            api: VendorApi::default(),
        }
    }

    /// The vendor API's base URL, when it is not the registry's (`https://harbor.example`
    /// for Harbor's `/api/v2.0`, `https://hub.docker.com` for Docker Hub's).
    #[must_use]
    pub fn api_url(mut self, url: Url) -> Self {
        self.api.url = Some(url);
        self
    }

    /// Credentials for the vendor API, sent to the API URL's host only.
    #[must_use]
    pub fn api_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.api.credentials = credentials;
        self
    }

    /// A token for the vendor API (Quay's `OAuth` access token), sent to the API's host only.
    #[must_use]
    pub fn api_token(mut self, token: Option<String>) -> Self {
        self.api.token = token.map(Token);
        self
    }

    /// How image references name an Artifactory repository (default: by path).
    #[must_use]
    pub fn access_method(mut self, method: AccessMethod) -> Self {
        self.api.access_method = method;
        self
    }

    /// ICR: where to exchange the API key for an IAM token (default [`DEFAULT_IAM_URL`]); the
    /// API key goes to this URL and nowhere else.
    #[must_use]
    pub fn iam_url(mut self, url: Option<Url>) -> Self {
        self.api.iam_url = url;
        self
    }

    /// ICR: the IBM Cloud account id (the API's `Account` header).
    #[must_use]
    pub fn account_id(mut self, account_id: Option<String>) -> Self {
        self.api.account_id = account_id;
        self
    }

    /// Namespaces (organizations, users, projects) whose repositories to list, for vendors
    /// whose API lists per namespace.
    #[must_use]
    pub fn namespaces(mut self, namespaces: Vec<String>) -> Self {
        self.api.namespaces = namespaces;
        self
    }

    /// Names per page of a listing (at least 1; registries cap it, Distribution at 1000).
    #[must_use]
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The registry host.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The shared registry client.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The vendor API's base URL: as configured, else `https://` + the registry host.
    pub fn api_base(&self) -> Result<Url> {
        if let Some(url) = &self.api.url {
            return Ok(url.clone());
        }
        Url::parse(&format!("https://{}/", self.registry)).map_err(|e| Error::Config {
            registry: self.registry.clone(),
            reason: format!("no API URL can be made of the host: {e}"),
        })
    }

    /// How to authenticate to the vendor API as HTTP Basic (Harbor, Nexus, Artifactory).
    pub fn api_basic_auth(&self) -> ApiAuth<'_> {
        self.api
            .credentials
            .as_ref()
            .map_or(ApiAuth::Anonymous, ApiAuth::Basic)
    }

    /// The vendor API token, if any.
    pub fn api_token_ref(&self) -> Option<&str> {
        self.api.token.as_ref().map(|t| t.0.as_str())
    }

    /// The vendor API credentials, if any.
    pub fn api_credentials_ref(&self) -> Option<&Credentials> {
        self.api.credentials.as_ref()
    }

    /// The configured namespaces.
    pub fn namespace_list(&self) -> &[String] {
        &self.api.namespaces
    }
}
